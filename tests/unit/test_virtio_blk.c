/* Unit tests of the virtio-blk device model (zones/virtio/blk.c), driven as Linux's virtio_mmio and
 * virtio_blk drivers would, over fake guest memory and a RAM-backed disk, and of
 * zones/storage/mem_disk.c. */
#include <string.h>

#include "tests/unit/test.h"
#include "zones/storage/mem_disk.h"
#include "zones/virtio/blk.h"

/* ---- fake guest memory: MEM_SIZE bytes at MEM_BASE, nothing else ---------- */
#define MEM_BASE 0x100000ull
#define MEM_SIZE 0x200000ull
#define QSIZE	 VIRTIO_BLK_QUEUE_MAX
#define QBASE	 MEM_BASE	       /* desc +0, avail +0x1000, used +0x2000 */
#define HDR	 (MEM_BASE + 0x4000)   /* request headers, 0x20 apart */
#define STATUS	 (MEM_BASE + 0x6000)   /* status bytes, 0x20 apart */
#define DATA	 (MEM_BASE + 0x100000) /* 1 MiB of data buffers */

#include "tests/virtio_fake_mem.h"
#include "tests/virtio_mmio_regs.h"

/* ---- a RAM disk ------------------------------------------------------------- */
#define DISK_BYTES (2u << 20)
static uint8_t disk_ram[DISK_BYTES];
static int disk_fail;	    /* the next ops return this */
static unsigned disk_calls; /* read and write calls */
static size_t disk_max_len; /* the longest one: the bounce buffer bounds it */
static unsigned released;

static int ram_read(void *ctx, uint64_t off, void *dst, size_t len)
{
	CHECK(ctx == disk_ram);
	CHECK(off <= DISK_BYTES && len <= DISK_BYTES - off);
	disk_calls++;
	disk_max_len = len > disk_max_len ? len : disk_max_len;
	if (disk_fail)
		return disk_fail;
	memcpy(dst, disk_ram + off, len);
	return 0;
}

static int ram_write(void *ctx, uint64_t off, const void *src, size_t len)
{
	CHECK(ctx == disk_ram);
	CHECK(off <= DISK_BYTES && len <= DISK_BYTES - off);
	disk_calls++;
	disk_max_len = len > disk_max_len ? len : disk_max_len;
	if (disk_fail)
		return disk_fail;
	memcpy(disk_ram + off, src, len);
	return 0;
}

static void ram_release(void *ctx)
{
	(void)ctx;
	released++;
}

static const struct disk_ops rw_ops = {ram_read, ram_write, ram_release};
static const struct disk_ops ro_ops = {ram_read, NULL, ram_release};

/* ---- the driver's side ---------------------------------------------------- */
#define S_LIVE                                                                          \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK | \
	 VIRTIO_STATUS_DRIVER_OK)
#define S_NEEDS VIRTIO_STATUS_DEVICE_NEEDS_RESET

static struct virtio_blk blk;
static uint16_t avail_idx, next_desc, reqs;

static uint32_t rd(uint64_t off)
{
	return virtio_blk_mmio_read(&blk, off, 4);
}

static void wr(uint64_t off, uint32_t v)
{
	virtio_blk_mmio_write(&blk, off, 4, v);
}

static uint64_t offered(void)
{
	wr(R_DEV_FEAT_SEL, 1);
	uint64_t f = (uint64_t)rd(R_DEV_FEAT) << 32;

	wr(R_DEV_FEAT_SEL, 0);
	return f | rd(R_DEV_FEAT);
}

/* virtio_mmio_probe() + virtblk_probe(), up to DRIVER_OK, fresh rings. */
static void driver_probe(void)
{
	uint64_t want = offered();

	memset(mem, 0, sizeof(mem));
	avail_idx = next_desc = reqs = 0;
	CHECK_EQ_U64(rd(R_DEVICE_ID), VIRTIO_ID_BLOCK);
	wr(R_STATUS, 0);
	wr(R_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(R_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(R_DRV_FEAT_SEL, 1);
	wr(R_DRV_FEAT, (uint32_t)(want >> 32));
	wr(R_DRV_FEAT_SEL, 0);
	wr(R_DRV_FEAT, (uint32_t)want);
	wr(R_STATUS, S_LIVE & ~VIRTIO_STATUS_DRIVER_OK);
	wr(R_QUEUE_SEL, 0);
	CHECK_EQ_U64(rd(R_QUEUE_MAX), VIRTIO_BLK_QUEUE_MAX);
	wr(R_QUEUE_NUM, QSIZE);
	wr(R_DESC_LOW, (uint32_t)QBASE);
	wr(R_DRIVER_LOW, (uint32_t)(QBASE + 0x1000));
	wr(R_DEVICE_LOW, (uint32_t)(QBASE + 0x2000));
	wr(R_QUEUE_READY, 1);
	wr(R_STATUS, S_LIVE);
	CHECK_EQ_U64(rd(R_STATUS), S_LIVE);
}

static void fresh_disk(bool read_only)
{
	struct disk d = {read_only ? &ro_ops : &rw_ops, disk_ram, DISK_BYTES, read_only, "zv-test"};

	for (size_t i = 0; i < DISK_BYTES; i++)
		disk_ram[i] = (uint8_t)(i * 13 + i / 4096);
	disk_fail = 0;
	disk_calls = 0;
	disk_max_len = 0;
	virtio_blk_init(&blk, &d, &fake);
	driver_probe();
}

static void fresh(void)
{
	fresh_disk(false);
}

struct seg {
	uint64_t addr;
	uint32_t len;
	bool w;
};

/* Writes a chain over s[0..n) from the next free descriptors and makes it
 * available (not notified); returns its head. */
static uint16_t offer(const struct seg *s, unsigned n)
{
	uint16_t head = next_desc;

	for (unsigned i = 0; i < n; i++) {
		uint64_t d = QBASE + 16 * next_desc;
		uint16_t next = (uint16_t)((next_desc + 1) % QSIZE);

		put(d, s[i].addr, 8);
		put(d + 8, s[i].len, 4);
		put(d + 12, (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0) | (s[i].w ? VIRTQ_DESC_F_WRITE : 0),
		    2);
		put(d + 14, next, 2);
		next_desc = next;
	}
	put(QBASE + 0x1000 + 4 + 2 * (avail_idx % QSIZE), head, 2);
	put(QBASE + 0x1000 + 2, ++avail_idx, 2);
	return head;
}

static uint64_t used_idx(void)
{
	return get(QBASE + 0x2000 + 2, 2);
}

static uint64_t used_len(unsigned slot)
{
	return get(QBASE + 0x2000 + 4 + 8 * (slot % QSIZE) + 4, 4);
}

static uint64_t hdr(unsigned k, uint32_t type, uint64_t sector)
{
	uint64_t h = HDR + 0x20 * (k % 256);

	put(h, type, 4);
	put(h + 4, 0, 4);
	put(h + 8, sector, 8);
	return h;
}

static uint64_t status_at(unsigned k)
{
	put(STATUS + 0x20 * (k % 256), 0xee, 1);
	return STATUS + 0x20 * (k % 256);
}

/* A request as virtblk_add_req() makes it: header, data in pieces of at most
 * `piece` bytes (readable for OUT, writable otherwise), status; offered only. */
static unsigned offer_req(uint32_t type, uint64_t sector, uint64_t data, uint32_t len,
			  uint32_t piece)
{
	struct seg s[VQ_MAX_SEGS + 4];
	unsigned n = 0, k = reqs++;

	s[n++] = (struct seg){hdr(k, type, sector), VIRTIO_BLK_HDR_LEN, false};
	for (uint32_t off = 0; off < len && n < VQ_MAX_SEGS + 3; off += piece)
		s[n++] = (struct seg){data + off, len - off < piece ? len - off : piece,
				      type != VIRTIO_BLK_T_OUT};
	s[n++] = (struct seg){status_at(k), 1, true};
	offer(s, n);
	return k;
}

/* Offers, notifies, and returns the status the device wrote. */
static uint8_t request(uint32_t type, uint64_t sector, uint64_t data, uint32_t len)
{
	unsigned k = offer_req(type, sector, data, len, VIRTIO_BLK_SIZE_MAX);

	wr(R_NOTIFY, 0);
	return (uint8_t)get(STATUS + 0x20 * k, 1);
}

static void pattern(uint64_t gpa, uint32_t len, uint8_t seed)
{
	for (uint32_t i = 0; i < len; i++)
		at(gpa)[i] = (uint8_t)(seed + i * 7 + i / 512);
}

/* ---- tests ----------------------------------------------------------------- */

TEST(probe_offers_features_and_config)
{
	fresh();
	uint64_t f = offered();

	CHECK(f & VIRTIO_BLK_F_SEG_MAX);
	CHECK(f & VIRTIO_BLK_F_SIZE_MAX);
	CHECK(f & VIRTIO_BLK_F_FLUSH);
	CHECK(f & VIRTIO_F_VERSION_1);
	CHECK(!(f & VIRTIO_BLK_F_RO));
	CHECK_EQ_U64(rd(R_CONFIG + 0), DISK_BYTES / 512);
	CHECK_EQ_U64(rd(R_CONFIG + 4), 0);
	CHECK_EQ_U64(rd(R_CONFIG + 8), VIRTIO_BLK_SIZE_MAX);
	CHECK_EQ_U64(rd(R_CONFIG + 12), VIRTIO_BLK_SEG_MAX);
	CHECK_EQ_U64(virtio_blk_mmio_read(&blk, R_CONFIG + 0, 1), (DISK_BYTES / 512) & 0xff);
	CHECK_EQ_U64(rd(R_CONFIG + 20), 512);
	CHECK_EQ_U64(rd(R_CONFIG + VIRTIO_BLK_CONFIG_SIZE), 0); /* past the config */
	fresh_disk(true);
	CHECK(offered() & VIRTIO_BLK_F_RO);
}

TEST(write_then_read_back_through_the_bounce_buffer)
{
	const uint32_t len = 3 * VIRTIO_BLK_BOUNCE / 2; /* more than one bounce */

	fresh();
	pattern(DATA, len, 5);
	CHECK_EQ_U64(request(VIRTIO_BLK_T_OUT, 8, DATA, len), VIRTIO_BLK_S_OK);
	CHECK(memcmp(disk_ram + 8 * 512, at(DATA), len) == 0);
	CHECK_EQ_U64(used_len(0), 1);
	CHECK(disk_max_len <= VIRTIO_BLK_BOUNCE);
	memset(at(DATA), 0, len);
	CHECK_EQ_U64(request(VIRTIO_BLK_T_IN, 8, DATA, len), VIRTIO_BLK_S_OK);
	CHECK(memcmp(disk_ram + 8 * 512, at(DATA), len) == 0);
	CHECK_EQ_U64(used_len(1), len + 1);
	CHECK_EQ_U64(used_idx(), 2);
	CHECK_EQ_U64(blk.stats.reads, 1);
	CHECK_EQ_U64(blk.stats.writes, 1);
	CHECK_EQ_U64(blk.stats.read_bytes, len);
	CHECK_EQ_U64(blk.stats.written_bytes, len);
	CHECK_EQ_U64(blk.stats.errors, 0);
	CHECK(rd(R_INT_STATUS) & VIRTIO_MMIO_INT_VRING);
	CHECK(virtio_blk_irq_line(&blk));
	wr(R_INT_ACK, VIRTIO_MMIO_INT_VRING);
	CHECK(!virtio_blk_irq_line(&blk));
	CHECK(!virtio_blk_pending(&blk));
}

TEST(last_sector_reads_and_flush_and_get_id)
{
	fresh();
	CHECK_EQ_U64(request(VIRTIO_BLK_T_IN, DISK_BYTES / 512 - 1, DATA, 512), VIRTIO_BLK_S_OK);
	CHECK(memcmp(at(DATA), disk_ram + DISK_BYTES - 512, 512) == 0);
	CHECK_EQ_U64(request(VIRTIO_BLK_T_FLUSH, 0, DATA, 0), VIRTIO_BLK_S_OK);
	CHECK_EQ_U64(blk.stats.flushes, 1);
	memset(at(DATA), 0xaa, 32);
	CHECK_EQ_U64(request(VIRTIO_BLK_T_GET_ID, 0, DATA, DISK_SERIAL_ID), VIRTIO_BLK_S_OK);
	CHECK(memcmp(at(DATA), "zv-test\0\0\0\0\0\0\0\0\0\0\0\0\0", 20) == 0);
	CHECK_EQ_U64(at(DATA)[20], 0xaa);
	CHECK_EQ_U64(used_len(2), DISK_SERIAL_ID + 1);
	CHECK_EQ_U64(blk.stats.errors, 0);
}

TEST(out_of_range_and_overflowing_sectors_are_ioerr)
{
	const uint64_t cap = DISK_BYTES / 512;

	fresh();
	CHECK_EQ_U64(request(VIRTIO_BLK_T_IN, cap, DATA, 512), VIRTIO_BLK_S_IOERR);
	CHECK_EQ_U64(request(VIRTIO_BLK_T_IN, cap - 1, DATA, 1024), VIRTIO_BLK_S_IOERR);
	CHECK_EQ_U64(request(VIRTIO_BLK_T_OUT, cap - 1, DATA, 1024), VIRTIO_BLK_S_IOERR);
	/* sector * 512 wraps to 0 or to a small offset */
	CHECK_EQ_U64(request(VIRTIO_BLK_T_IN, 1ull << 55, DATA, 512), VIRTIO_BLK_S_IOERR);
	CHECK_EQ_U64(request(VIRTIO_BLK_T_OUT, (1ull << 55) + 1, DATA, 512), VIRTIO_BLK_S_IOERR);
	CHECK_EQ_U64(request(VIRTIO_BLK_T_IN, UINT64_MAX, DATA, 512), VIRTIO_BLK_S_IOERR);
	CHECK_EQ_U64(disk_calls, 0);
	CHECK_EQ_U64(blk.stats.errors, 6);
	CHECK_EQ_U64(used_len(0), 1); /* nothing written on an error */
	CHECK_EQ_U64(blk.stats.refused, 0);
	CHECK_EQ_U64(rd(R_STATUS), S_LIVE);
}

TEST(write_to_read_only_disk_is_ioerr)
{
	fresh_disk(true);
	pattern(DATA, 512, 1);
	CHECK_EQ_U64(request(VIRTIO_BLK_T_OUT, 0, DATA, 512), VIRTIO_BLK_S_IOERR);
	CHECK_EQ_U64(disk_calls, 0);
	CHECK(disk_ram[0] == 0);
	CHECK_EQ_U64(request(VIRTIO_BLK_T_IN, 0, DATA, 512), VIRTIO_BLK_S_OK);
	CHECK_EQ_U64(request(VIRTIO_BLK_T_FLUSH, 0, DATA, 0), VIRTIO_BLK_S_OK);
}

TEST(wrong_direction_zero_and_partial_sectors_are_ioerr)
{
	struct seg s[3];

	fresh();
	/* IN with readable data, OUT with writable data */
	s[0] = (struct seg){hdr(0, VIRTIO_BLK_T_IN, 0), 16, false};
	s[1] = (struct seg){DATA, 512, false};
	s[2] = (struct seg){status_at(0), 1, true};
	offer(s, 3);
	s[0] = (struct seg){hdr(1, VIRTIO_BLK_T_OUT, 0), 16, false};
	s[1] = (struct seg){DATA, 512, true};
	s[2] = (struct seg){status_at(1), 1, true};
	offer(s, 3);
	/* GET_ID and FLUSH with data to read */
	s[0] = (struct seg){hdr(2, VIRTIO_BLK_T_GET_ID, 0), 16, false};
	s[1] = (struct seg){DATA, 20, false};
	s[2] = (struct seg){status_at(2), 1, true};
	offer(s, 3);
	s[0] = (struct seg){hdr(3, VIRTIO_BLK_T_FLUSH, 0), 16, false};
	s[1] = (struct seg){DATA, 512, true};
	s[2] = (struct seg){status_at(3), 1, true};
	offer(s, 3);
	wr(R_NOTIFY, 0);
	for (unsigned k = 0; k < 4; k++)
		CHECK_EQ_U64(get(STATUS + 0x20 * k, 1), VIRTIO_BLK_S_IOERR);
	reqs = 4;
	CHECK_EQ_U64(request(VIRTIO_BLK_T_IN, 0, DATA, 0), VIRTIO_BLK_S_IOERR);
	CHECK_EQ_U64(request(VIRTIO_BLK_T_OUT, 0, DATA, 0), VIRTIO_BLK_S_IOERR);
	CHECK_EQ_U64(request(VIRTIO_BLK_T_IN, 0, DATA, 100), VIRTIO_BLK_S_IOERR);
	CHECK_EQ_U64(request(VIRTIO_BLK_T_OUT, 0, DATA, 513), VIRTIO_BLK_S_IOERR);
	CHECK_EQ_U64(request(VIRTIO_BLK_T_GET_ID, 0, DATA, 0), VIRTIO_BLK_S_IOERR);
	CHECK_EQ_U64(disk_calls, 0);
	CHECK_EQ_U64(blk.stats.errors, 9);
	CHECK_EQ_U64(rd(R_STATUS), S_LIVE);
}

TEST(unknown_types_are_unsupp)
{
	fresh();
	CHECK_EQ_U64(request(2, 0, DATA, 512), VIRTIO_BLK_S_UNSUPP);  /* legacy SCSI */
	CHECK_EQ_U64(request(11, 0, DATA, 512), VIRTIO_BLK_S_UNSUPP); /* DISCARD, not offered */
	CHECK_EQ_U64(request(0xffffffffu, 0, DATA, 512), VIRTIO_BLK_S_UNSUPP);
	CHECK_EQ_U64(blk.stats.errors, 3);
	CHECK_EQ_U64(disk_calls, 0);
}

TEST(segments_past_seg_max_or_size_max_are_ioerr)
{
	struct seg s[VQ_MAX_SEGS];
	unsigned n = 0;

	fresh();
	/* one segment over size_max */
	CHECK_EQ_U64(offer_req(VIRTIO_BLK_T_IN, 0, DATA, 2 * VIRTIO_BLK_SIZE_MAX,
			       2 * VIRTIO_BLK_SIZE_MAX),
		     0);
	wr(R_NOTIFY, 0);
	CHECK_EQ_U64(get(STATUS, 1), VIRTIO_BLK_S_IOERR);
	/* 63 data segments in 64 descriptors: the header's segment carries data */
	s[n++] = (struct seg){hdr(1, VIRTIO_BLK_T_OUT, 0), 16 + 512, false};
	while (n < VQ_MAX_SEGS - 1) {
		s[n] = (struct seg){DATA + 512 * n, 512, false};
		n++;
	}
	s[n++] = (struct seg){status_at(1), 1, true};
	offer(s, n);
	wr(R_NOTIFY, 0);
	CHECK_EQ_U64(get(STATUS + 0x20, 1), VIRTIO_BLK_S_IOERR);
	/* exactly seg_max data segments of size_max each is fine */
	reqs = 2;
	CHECK_EQ_U64(request(VIRTIO_BLK_T_IN, 0, DATA, VIRTIO_BLK_SEG_MAX * VIRTIO_BLK_SIZE_MAX),
		     VIRTIO_BLK_S_OK);
	CHECK(memcmp(at(DATA), disk_ram, VIRTIO_BLK_SEG_MAX * VIRTIO_BLK_SIZE_MAX) == 0);
	CHECK_EQ_U64(disk_calls,
		     (VIRTIO_BLK_SEG_MAX * VIRTIO_BLK_SIZE_MAX) / VIRTIO_BLK_BOUNCE + 1);
	CHECK_EQ_U64(rd(R_STATUS), S_LIVE);
}

TEST(chain_of_more_than_vq_max_segs_needs_reset)
{
	fresh();
	offer_req(VIRTIO_BLK_T_IN, 0, DATA, 512 * (VQ_MAX_SEGS - 1), 512); /* 65 descriptors */
	wr(R_NOTIFY, 0);
	CHECK_EQ_U64(blk.stats.refused, 1);
	CHECK(rd(R_STATUS) & S_NEEDS);
	CHECK(!virtio_blk_pending(&blk));
}

TEST(chain_without_status_or_header_needs_reset)
{
	struct seg s[2];

	fresh();
	s[0] = (struct seg){hdr(0, VIRTIO_BLK_T_IN, 0), 16, false};
	s[1] = (struct seg){DATA, 512, false};
	offer(s, 2); /* no writable byte at all */
	wr(R_NOTIFY, 0);
	CHECK_EQ_U64(blk.stats.refused, 1);
	CHECK_EQ_U64(blk.last_refusal, VIRTIO_BLK_REFUSE_FRAME);
	CHECK(rd(R_STATUS) & S_NEEDS);
	CHECK(rd(R_INT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
	CHECK_EQ_U64(used_idx(), 0);
	/* the driver resets and probes again: served as new */
	driver_probe();
	s[0] = (struct seg){hdr(0, VIRTIO_BLK_T_IN, 0), 8, false}; /* a short header */
	s[1] = (struct seg){status_at(0), 1, true};
	offer(s, 2);
	wr(R_NOTIFY, 0);
	CHECK_EQ_U64(blk.stats.refused, 2);
	CHECK_EQ_U64(blk.stats.resets, 2); /* one per probe */
	driver_probe();
	CHECK_EQ_U64(request(VIRTIO_BLK_T_IN, 0, DATA, 512), VIRTIO_BLK_S_OK);
	CHECK_EQ_U64(blk.stats.refused, 2);
}

TEST(memory_outside_the_zone)
{
	struct seg s[3];

	fresh();
	/* data outside: IOERR, the device goes on */
	CHECK_EQ_U64(request(VIRTIO_BLK_T_IN, 0, MEM_BASE + MEM_SIZE - 256, 512),
		     VIRTIO_BLK_S_IOERR);
	CHECK_EQ_U64(request(VIRTIO_BLK_T_OUT, 0, 0x1000, 512), VIRTIO_BLK_S_IOERR);
	CHECK_EQ_U64(rd(R_STATUS), S_LIVE);
	/* the status byte outside: nowhere to answer */
	s[0] = (struct seg){hdr(9, VIRTIO_BLK_T_FLUSH, 0), 16, false};
	s[1] = (struct seg){MEM_BASE + MEM_SIZE, 1, true};
	offer(s, 2);
	wr(R_NOTIFY, 0);
	CHECK_EQ_U64(blk.last_refusal, VIRTIO_BLK_REFUSE_MEM);
	CHECK(rd(R_STATUS) & S_NEEDS);
	/* the header outside */
	driver_probe();
	s[0] = (struct seg){0x2000, 16, false};
	s[1] = (struct seg){status_at(0), 1, true};
	offer(s, 2);
	wr(R_NOTIFY, 0);
	CHECK_EQ_U64(blk.last_refusal, VIRTIO_BLK_REFUSE_MEM);
	CHECK_EQ_U64(blk.stats.refused, 2);
}

TEST(backend_errors_are_ioerr_and_counted)
{
	fresh();
	disk_fail = DISK_EIO;
	CHECK_EQ_U64(request(VIRTIO_BLK_T_IN, 0, DATA, 512), VIRTIO_BLK_S_IOERR);
	disk_fail = DISK_ENOSPC;
	CHECK_EQ_U64(request(VIRTIO_BLK_T_OUT, 0, DATA, 512), VIRTIO_BLK_S_IOERR);
	CHECK_EQ_U64(blk.stats.errors, 2);
	CHECK_EQ_U64(blk.stats.no_space, 1);
	CHECK_EQ_U64(blk.stats.reads + blk.stats.writes, 0);
	disk_fail = 0;
	CHECK_EQ_U64(request(VIRTIO_BLK_T_OUT, 0, DATA, 512), VIRTIO_BLK_S_OK);
	CHECK_EQ_U64(rd(R_STATUS), S_LIVE);
}

TEST(a_notify_serves_one_batch_the_rest_is_pending)
{
	fresh();
	for (unsigned k = 0; k < VIRTIO_BLK_BATCH_REQS + 8; k++)
		offer_req(VIRTIO_BLK_T_IN, k, DATA + 512 * k, 512, 512);
	wr(R_NOTIFY, 0);
	CHECK_EQ_U64(used_idx(), VIRTIO_BLK_BATCH_REQS);
	CHECK(virtio_blk_pending(&blk));
	CHECK(virtio_blk_service(&blk));
	CHECK_EQ_U64(used_idx(), VIRTIO_BLK_BATCH_REQS + 8);
	CHECK(!virtio_blk_pending(&blk)); /* that batch found the ring empty */
	CHECK(!virtio_blk_service(&blk));
	CHECK(memcmp(at(DATA), disk_ram, 512 * (VIRTIO_BLK_BATCH_REQS + 8)) == 0);
}

TEST(a_batch_stops_after_its_bytes)
{
	const uint32_t big = VIRTIO_BLK_SEG_MAX * VIRTIO_BLK_SIZE_MAX;
	const unsigned per_batch = (VIRTIO_BLK_BATCH_BYTES + big - 1) / big;

	fresh();
	offer_req(VIRTIO_BLK_T_IN, 0, DATA, big, VIRTIO_BLK_SIZE_MAX);
	for (unsigned i = 1; i < 2 * per_batch; i++) { /* the same chain, made available again */
		put(QBASE + 0x1000 + 4 + 2 * (avail_idx % QSIZE), 0, 2);
		put(QBASE + 0x1000 + 2, ++avail_idx, 2);
	}
	wr(R_NOTIFY, 0);
	CHECK_EQ_U64(used_idx(), per_batch);
	CHECK(virtio_blk_pending(&blk));
	virtio_blk_service(&blk);
	CHECK_EQ_U64(used_idx(), 2 * per_batch);
	virtio_blk_service(&blk);
	CHECK(!virtio_blk_pending(&blk));
}

TEST(no_interrupt_when_the_driver_asks_for_none)
{
	fresh();
	put(QBASE + 0x1000, VIRTQ_AVAIL_F_NO_INTERRUPT, 2);
	CHECK_EQ_U64(request(VIRTIO_BLK_T_IN, 0, DATA, 512), VIRTIO_BLK_S_OK);
	CHECK(!virtio_blk_irq_line(&blk));
}

TEST(not_live_does_nothing)
{
	struct disk d = {&rw_ops, disk_ram, DISK_BYTES + 100, false, ""};

	memset(d.serial, 'x', sizeof(d.serial)); /* no terminating NUL */
	disk_calls = 0;
	virtio_blk_init(&blk, &d, &fake);
	CHECK_EQ_U64(blk.disk.size, DISK_BYTES); /* whole sectors only */
	CHECK_EQ_U64(strlen(blk.disk.serial), DISK_SERIAL_ID);
	wr(R_NOTIFY, 0);
	CHECK(!virtio_blk_service(&blk));
	CHECK_EQ_U64(disk_calls, 0);
	CHECK_EQ_U64(released, 0); /* the model never releases: zones/storage/blk.c does */
	CHECK(virtio_blk_refusal_text(VIRTIO_BLK_REFUSE_FRAME)[0] != 0);
	CHECK(virtio_blk_refusal_text(VQ_ERR_LOOP)[0] != 0);
}

TEST(mem_disk_is_read_only_whole_sectors)
{
	static uint8_t file[3 * 512 + 100];
	struct disk d;

	for (size_t i = 0; i < sizeof(file); i++)
		file[i] = (uint8_t)(i * 31);
	mem_disk_init(&d, file, sizeof(file), "a-file-name-longer-than-twenty.img");
	CHECK_EQ_U64(d.size, 3 * 512);
	CHECK(d.read_only);
	CHECK(d.ops->write == NULL && d.ops->release == NULL);
	CHECK_STR(d.serial, "a-file-name-longer-t");
	virtio_blk_init(&blk, &d, &fake);
	driver_probe();
	CHECK(offered() & VIRTIO_BLK_F_RO);
	CHECK_EQ_U64(rd(R_CONFIG), 3);
	CHECK_EQ_U64(request(VIRTIO_BLK_T_IN, 1, DATA, 1024), VIRTIO_BLK_S_OK);
	CHECK(memcmp(at(DATA), file + 512, 1024) == 0);
	CHECK_EQ_U64(request(VIRTIO_BLK_T_IN, 2, DATA, 1024), VIRTIO_BLK_S_IOERR);
	CHECK_EQ_U64(request(VIRTIO_BLK_T_OUT, 0, DATA, 512), VIRTIO_BLK_S_IOERR);
	CHECK_EQ_U64(file[0], 0);
	CHECK_EQ_U64(blk.stats.errors, 2);
}
