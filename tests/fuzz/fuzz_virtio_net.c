/* libFuzzer target for the virtio-net device model: random guest memory, then
 * a random mix of register accesses, a correct driver handshake (so the data
 * path is reached), memory pokes and frames delivered to the zone.  Every byte
 * is the guest's; ASan/UBSan and the invariants below report what goes wrong. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zones/virtio/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MEM_BASE 0x10000ull
#define MEM_SIZE 0x10000ull

#include "tests/virtio_fake_mem.h"

#include "tests/fuzz/fuzz_cursor.h"

static struct virtio_net net;

static void on_tx(const uint8_t *frame, size_t len)
{
	/* a frame leaves only from a live device, and only a well-formed one */
	if (!virtio_mmio_live(&net.mmio) || len < VIRTIO_NET_FRAME_MIN ||
	    len > VIRTIO_NET_FRAME_MAX)
		abort();
	if (frame[len - 1] & 1) /* sometimes answer between frames, as the switch does */
		virtio_net_receive(&net, frame, len);
}

/* One transmit batch as zones/net/nic.c runs it; it never exceeds its budget. */
static void tx_batch(void)
{
	static uint8_t bounce[VIRTIO_NET_FRAME_MAX];
	unsigned frames = 0;
	size_t len;

	virtio_net_tx_begin(&net);
	while ((len = virtio_net_tx_next(&net, bounce)) != 0) {
		on_tx(bounce, len);
		if (++frames > VIRTIO_NET_TX_BATCH_FRAMES)
			abort();
	}
}

static void wr(uint64_t off, uint32_t v)
{
	virtio_net_mmio_write(&net, off, 4, v);
}

/* Both queues at fixed places inside the first 4 KiB (the fuzz inputs' size):
 * queue q's descriptors at QBASE(q), avail ring +0x100, used ring +0x200. */
#define QSIZE_MAX 16
#define QBASE(q)  (MEM_BASE + 0x400 * (q))
#define BUFS	  (MEM_BASE + 0x800)

static uint16_t qsize;
static uint16_t avail_idx[2];

/* A correct handshake with both queues of qsize entries. */
static void handshake(void)
{
	wr(0x070, 0);
	wr(0x070, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(0x024, 1);
	wr(0x020, 1);
	wr(0x024, 0);
	wr(0x020, (uint32_t)(VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS));
	wr(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	for (uint32_t q = 0; q < 2; q++) {
		wr(0x030, q);
		wr(0x038, qsize);
		wr(0x080, (uint32_t)QBASE(q));
		wr(0x090, (uint32_t)(QBASE(q) + 0x100));
		wr(0x0a0, (uint32_t)(QBASE(q) + 0x200));
		avail_idx[q] = 0;
		wr(0x044, 1);
	}
	wr(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
			  VIRTIO_STATUS_DRIVER_OK);
}

/* The driver writes a descriptor with fuzzed length, flags and next, pointing
 * mostly into its memory, and (sometimes) makes it available. */
static void post(struct cursor *c)
{
	unsigned q = (unsigned)take(c, 1) & 1, i = (unsigned)take(c, 1) % QSIZE_MAX;
	uint64_t d = QBASE(q) + 16 * i, addr = BUFS + take(c, 2) % (MEM_SIZE - 0x800);
	unsigned how = (unsigned)take(c, 1);

	if (how & 0x80)
		addr = take(c, 8); /* anywhere at all */
	put(d, addr, 8);
	/* often about the size Linux uses: a full frame, or just over or under */
	put(d + 8, how & 0x20 ? VIRTIO_NET_RX_BUF_MIN - 2 + take(c, 1) % 8 : take(c, 2), 4);
	put(d + 12, how & 7, 2);
	put(d + 14, take(c, 1) % QSIZE_MAX, 2);
	if (how & 0x40) {
		put(QBASE(q) + 0x100 + 4 + 2 * (avail_idx[q] % qsize), i, 2);
		put(QBASE(q) + 0x100 + 2, ++avail_idx[q], 2);
	}
}

static void check(const struct virtio_net_stats *before)
{
	const struct virtio_net_stats *s = &net.stats;

	if (s->tx_bytes > s->tx_frames * VIRTIO_NET_FRAME_MAX ||
	    s->rx_bytes > s->rx_frames * VIRTIO_NET_FRAME_MAX)
		abort();
	/* every refusal leaves NEEDS_RESET behind until a reset */
	if (s->refused != before->refused && s->resets == before->resets &&
	    !(net.mmio.status & VIRTIO_STATUS_DEVICE_NEEDS_RESET))
		abort();
}

static void step(struct cursor *c)
{
	static uint8_t frame[VIRTIO_NET_FRAME_MAX + 1];
	struct virtio_net_stats before = net.stats;
	unsigned op = (unsigned)take(c, 1) % 10;

	switch (op) {
	case 0:
	case 1: {
		uint64_t off = take(c, 2) % (VIRTIO_MMIO_SIZE + 8);
		unsigned sz = (unsigned)take(c, 1) % 9;

		virtio_net_mmio_write(&net, off, sz, (uint32_t)take(c, 4));
		break;
	}
	case 2: virtio_net_mmio_read(&net, take(c, 2) % (VIRTIO_MMIO_SIZE + 8), 4); break;
	case 3: wr(0x050, (uint32_t)take(c, 1) % 3); break; /* QueueNotify */
	case 4:
		qsize = (uint16_t)(1u << (take(c, 1) % 5));
		handshake();
		break;
	case 5: {
		size_t len = take(c, 2) % sizeof(frame) + 1;
		int was_live = virtio_mmio_live(&net.mmio);

		memset(frame, (int)len, len);
		if (virtio_net_receive(&net, frame, len) == 0 &&
		    (!was_live || len < VIRTIO_NET_FRAME_MIN || len > VIRTIO_NET_FRAME_MAX))
			abort();
		break;
	}
	case 6: { /* the guest rewrites some of its memory */
		uint64_t off = take(c, 2) % MEM_SIZE;
		unsigned n = (unsigned)take(c, 1) % 17;

		for (unsigned i = 0; i < n && off + i < MEM_SIZE; i++)
			mem[off + i] = (uint8_t)take(c, 1);
		break;
	}
	case 7:
	case 8: post(c); break;
	default: wr(0x064, (uint32_t)take(c, 1)); break; /* InterruptACK */
	}
	if (virtio_net_tx_pending(&net))
		tx_batch(); /* nic.c serves pending tx at the zone's next entry */
	check(&before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mac[6] = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
	struct cursor c = {data, size};
	size_t n = (size_t)take(&c, 2);

	/* guest memory first: rings and buffers all the guest's */
	if (n > c.left)
		n = c.left;
	if (n > MEM_SIZE)
		n = MEM_SIZE;
	memset(mem, 0, sizeof(mem));
	memcpy(mem, c.p, n);
	c.p += n;
	c.left -= n;
	virtio_net_init(&net, mac, &fake);
	qsize = 1;
	avail_idx[0] = avail_idx[1] = 0;
	for (unsigned i = 0; i < 256 && c.left; i++)
		step(&c);
	return 0;
}
