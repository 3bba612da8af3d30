/* libFuzzer target for the virtio-blk device model: random guest memory, then
 * a random mix of register accesses, a correct driver handshake (so requests
 * are reached), descriptor and header pokes, notifies and later services, over
 * a small RAM disk that sometimes fails.  Every byte is the guest's; ASan/UBSan
 * and the invariants below report what goes wrong. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zones/virtio/blk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MEM_BASE 0x10000ull
#define MEM_SIZE 0x10000ull

#include "tests/virtio_fake_mem.h"

#define DISK_BYTES 8192u

static uint8_t disk_ram[DISK_BYTES];
static int disk_fail;
static uint64_t disk_bytes; /* moved by the backend in this input */

/* The device checked the range; a call outside it, or longer than the
 * bounce buffer, is a bug. */
static void disk_check(uint64_t off, size_t len)
{
	if (len == 0 || len > VIRTIO_BLK_BOUNCE || off > DISK_BYTES || len > DISK_BYTES - off)
		abort();
	disk_bytes += len;
}

static int ram_read(void *ctx, uint64_t off, void *dst, size_t len)
{
	(void)ctx;
	disk_check(off, len);
	if (!disk_fail)
		memcpy(dst, disk_ram + off, len);
	return disk_fail;
}

static int ram_write(void *ctx, uint64_t off, const void *src, size_t len)
{
	(void)ctx;
	disk_check(off, len);
	if (!disk_fail)
		memcpy(disk_ram + off, src, len);
	return disk_fail;
}

static const struct disk_ops rw_ops = {ram_read, ram_write, NULL};
static const struct disk_ops ro_ops = {ram_read, NULL, NULL};

#include "tests/fuzz/fuzz_cursor.h"

static struct virtio_blk blk;

static void wr(uint64_t off, uint32_t v)
{
	virtio_blk_mmio_write(&blk, off, 4, v);
}

/* The queue inside the first 4 KiB: descriptors at QBASE, avail +0x200, used +0x400. */
#define QSIZE_MAX 16
#define QBASE	  MEM_BASE
#define BUFS	  (MEM_BASE + 0x800)

static uint16_t qsize, avail_idx;

static void handshake(void)
{
	uint64_t f = virtio_mmio_offered(&blk.mmio); /* virtio_blk accepts them all */

	wr(0x070, 0);
	wr(0x070, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(0x024, 1);
	wr(0x020, (uint32_t)(f >> 32));
	wr(0x024, 0);
	wr(0x020, (uint32_t)f);
	wr(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	wr(0x030, 0);
	wr(0x038, qsize);
	wr(0x080, (uint32_t)QBASE);
	wr(0x090, (uint32_t)(QBASE + 0x200));
	wr(0x0a0, (uint32_t)(QBASE + 0x400));
	avail_idx = 0;
	wr(0x044, 1);
	wr(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
			  VIRTIO_STATUS_DRIVER_OK);
}

/* A descriptor with fuzzed address, length, flags and next, often of the
 * sizes a request has (16, 512, 1), and (sometimes) made available. */
static void post(struct cursor *c)
{
	static const uint32_t lens[4] = {VIRTIO_BLK_HDR_LEN, 512, 1, 4096};
	unsigned i = (unsigned)take(c, 1) % QSIZE_MAX, how = (unsigned)take(c, 1);
	uint64_t d = QBASE + 16 * i, addr = BUFS + take(c, 2) % (MEM_SIZE - 0x800);

	if (how & 0x80)
		addr = take(c, 8); /* anywhere at all */
	put(d, addr, 8);
	put(d + 8, how & 0x20 ? lens[(how >> 3) & 3] : take(c, 4), 4);
	put(d + 12, how & 7, 2);
	put(d + 14, take(c, 1) % QSIZE_MAX, 2);
	if (how & 0x40) {
		put(QBASE + 0x200 + 4 + 2 * (avail_idx % qsize), i, 2);
		put(QBASE + 0x200 + 2, ++avail_idx, 2);
	}
}

/* A request header somewhere in the buffers: a type near the real ones and
 * a sector near the disk's end (or anything). */
static void header(struct cursor *c)
{
	uint64_t gpa = BUFS + take(c, 2) % (MEM_SIZE - 0x800);
	unsigned how = (unsigned)take(c, 1);

	put(gpa, how & 0x80 ? take(c, 4) : (how & 0xf) % 10, 4);
	put(gpa + 8, how & 0x40 ? take(c, 8) : DISK_BYTES / 512 - (how & 0x3f) % 20, 8);
}

static void check(const struct virtio_blk_stats *before)
{
	const struct virtio_blk_stats *s = &blk.stats;

	/* every refusal leaves NEEDS_RESET behind until a reset */
	if (s->refused != before->refused && s->resets == before->resets &&
	    !(blk.mmio.status & VIRTIO_STATUS_DEVICE_NEEDS_RESET))
		abort();
	if (blk.disk.read_only && s->writes != before->writes)
		abort();
	/* one step is at most two batches (a notify and a service) */
	if (s->reads + s->writes + s->flushes + s->errors -
		    (before->reads + before->writes + before->flushes + before->errors) >
	    2 * VIRTIO_BLK_BATCH_REQS)
		abort();
}

static void step(struct cursor *c)
{
	static const int fails[3] = {0, DISK_EIO, DISK_ENOSPC};
	struct virtio_blk_stats before = blk.stats;
	unsigned op = (unsigned)take(c, 1) % 11;

	switch (op) {
	case 0: {
		uint64_t off = take(c, 2) % (VIRTIO_MMIO_SIZE + 8);
		unsigned sz = (unsigned)take(c, 1) % 9;

		virtio_blk_mmio_write(&blk, off, sz, (uint32_t)take(c, 4));
		break;
	}
	case 1:
		virtio_blk_mmio_read(&blk, take(c, 2) % (VIRTIO_MMIO_SIZE + 8),
				     1u << (take(c, 1) % 3));
		break;
	case 2:
	case 3: wr(0x050, (uint32_t)take(c, 1) % 2); break; /* QueueNotify */
	case 4:
		qsize = (uint16_t)(1u << (take(c, 1) % 5));
		handshake();
		break;
	case 5: { /* the guest rewrites some of its memory */
		uint64_t off = take(c, 2) % MEM_SIZE;
		unsigned n = (unsigned)take(c, 1) % 17;

		for (unsigned i = 0; i < n && off + i < MEM_SIZE; i++)
			mem[off + i] = (uint8_t)take(c, 1);
		break;
	}
	case 6:
	case 7: post(c); break;
	case 8: header(c); break;
	case 9: disk_fail = fails[take(c, 1) % 3]; break;
	default: wr(0x064, (uint32_t)take(c, 1)); break; /* InterruptACK */
	}
	virtio_blk_service(&blk); /* storage/blk.c serves the rest at the zone's next entry */
	check(&before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor c = {data, size};
	size_t n = (size_t)take(&c, 2);
	unsigned flags = (unsigned)take(&c, 1);
	struct disk d = {flags & 1 ? &ro_ops : &rw_ops, NULL, DISK_BYTES - (flags & 2 ? 100 : 0),
			 (flags & 4) != 0, "zv-fuzz"};

	/* guest memory first: rings and buffers all the guest's */
	if (n > c.left)
		n = c.left;
	if (n > MEM_SIZE)
		n = MEM_SIZE;
	memset(mem, 0, sizeof(mem));
	memcpy(mem, c.p, n);
	c.p += n;
	c.left -= n;
	disk_fail = 0;
	disk_bytes = 0;
	virtio_blk_init(&blk, &d, &fake);
	qsize = 1;
	for (unsigned i = 0; i < 256 && c.left; i++)
		step(&c);
	return 0;
}
