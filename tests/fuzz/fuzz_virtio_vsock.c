/* libFuzzer target for the virtio-vsock device model: random guest memory,
 * then a random mix of register accesses, a correct driver handshake (so the
 * data path is reached), memory pokes and packets delivered to the zone.  Every byte
 * is the guest's; ASan/UBSan and the invariants below report what goes wrong. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zones/virtio/vsock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MEM_BASE 0x10000ull
#define MEM_SIZE 0x10000ull

#include "tests/virtio_fake_mem.h"

#include "tests/fuzz/fuzz_cursor.h"

static struct virtio_vsock vs;
static uint8_t payload[VSOCK_PAYLOAD_MAX];

/* A packet leaves only from a live device, well-formed and from its own CID. */
static void on_tx(const struct vsock_hdr *h)
{
	uint32_t done = 0;

	if (!virtio_mmio_live(&vs.mmio) || h->src_cid != vs.cid || h->len > VSOCK_PAYLOAD_MAX ||
	    h->type != VSOCK_TYPE_STREAM || (h->len && h->op != VSOCK_OP_RW))
		abort();
	if (h->src_port & 1) /* sometimes answer between packets, as the relay does */
		if (virtio_vsock_rx(&vs, h, payload, h->len, &done) == 0 && done != h->len)
			abort();
}

/* One transmit batch as zones/session/vsock_relay.c runs it, within its budget. */
static void tx_batch(void)
{
	struct vsock_hdr h = {0};
	unsigned pkts = 0;

	virtio_vsock_tx_begin(&vs);
	while (virtio_vsock_tx_next(&vs, &h, payload)) {
		on_tx(&h);
		if (h.dst_port & 1) /* as the relay does for a held packet */
			virtio_vsock_tx_reread(&vs, payload);
		if (!(h.dst_port & 2)) /* sometimes left open, for the next batch to find */
			virtio_vsock_tx_done(&vs);
		if (++pkts > VSOCK_TX_BATCH_PKTS)
			abort();
	}
	if (vs.tx_open && (h.src_port & 2)) {
		virtio_vsock_tx_done(&vs);
		virtio_vsock_tx_end(&vs);
	}
}

static void wr(uint64_t off, uint32_t v)
{
	virtio_vsock_mmio_write(&vs, off, 4, v);
}

/* The queues at fixed places inside the first 4 KiB (the fuzz inputs' size):
 * queue q's descriptors at QBASE(q), avail ring +0x100, used ring +0x200. */
#define QSIZE_MAX 16
#define QBASE(q)  (MEM_BASE + 0x300 * (q))
#define BUFS	  (MEM_BASE + 0x900)

static uint16_t qsize;
static uint16_t avail_idx[3];

/* A correct handshake with both queues of qsize entries. */
static void handshake(void)
{
	wr(0x070, 0);
	wr(0x070, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(0x024, 1);
	wr(0x020, 1);

	wr(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	for (uint32_t q = 0; q < 3; q++) {
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
	unsigned q = (unsigned)take(c, 1) % 3, i = (unsigned)take(c, 1) % QSIZE_MAX;
	uint64_t d = QBASE(q) + 16 * i, addr = BUFS + take(c, 2) % (MEM_SIZE - 0x900);
	unsigned how = (unsigned)take(c, 1);

	if (how & 0x80)
		addr = take(c, 8); /* anywhere at all */
	put(d, addr, 8);
	/* often a header, or just over or under, or the smallest rx buffer */
	put(d + 8,
	    how & 0x20 ? (how & 0x10 ? VSOCK_RX_BUF_MIN : VSOCK_HDR_LEN) - 2 + take(c, 1) % 4
		       : take(c, 2),
	    4);
	put(d + 12, how & 7, 2);
	put(d + 14, take(c, 1) % QSIZE_MAX, 2);
	if (how & 0x08) { /* a plausible header: this CID, STREAM, a small op */
		uint64_t h = addr;

		put(h, vs.cid, 8);
		put(h + 24, take(c, 1), 4);
		put(h + 28, VSOCK_TYPE_STREAM, 2);
		put(h + 30, take(c, 1) % 9, 2);
		put(h + 32, 0, 4);
	}
	if (how & 0x40) {
		put(QBASE(q) + 0x100 + 4 + 2 * (avail_idx[q] % qsize), i, 2);
		put(QBASE(q) + 0x100 + 2, ++avail_idx[q], 2);
	}
}

static void check(const struct virtio_vsock_stats *before)
{
	const struct virtio_vsock_stats *s = &vs.stats;

	if (s->tx_bytes > s->tx_pkts * VSOCK_PAYLOAD_MAX)
		abort();
	/* every refusal leaves NEEDS_RESET behind until a reset */
	if (s->refused != before->refused && s->resets == before->resets &&
	    !(vs.mmio.status & VIRTIO_STATUS_DEVICE_NEEDS_RESET))
		abort();
}

static void step(struct cursor *c)
{
	struct virtio_vsock_stats before = vs.stats;
	unsigned op = (unsigned)take(c, 1) % 10;

	switch (op) {
	case 0:
	case 1: {
		uint64_t off = take(c, 2) % (VIRTIO_MMIO_SIZE + 8);
		unsigned sz = (unsigned)take(c, 1) % 9;

		virtio_vsock_mmio_write(&vs, off, sz, (uint32_t)take(c, 4));
		break;
	}
	case 2: virtio_vsock_mmio_read(&vs, take(c, 2) % (VIRTIO_MMIO_SIZE + 8), 4); break;
	case 3: wr(0x050, (uint32_t)take(c, 1) % 4); break; /* QueueNotify */
	case 4:
		qsize = (uint16_t)(1u << (take(c, 1) % 5));
		handshake();
		break;
	case 5: {
		struct vsock_hdr h = {2, vs.cid, 1, 2, 0, VSOCK_TYPE_STREAM, VSOCK_OP_RW, 0, 0, 0};
		uint32_t len = (uint32_t)take(c, 2) % 9000, done = (uint32_t)take(c, 1) * 40;
		uint32_t start = done;
		int was_live = virtio_vsock_live(&vs);
		int r;

		memset(payload, (int)len, len);
		r = virtio_vsock_rx(&vs, &h, payload, len, &done);
		if ((r == 0 && (!was_live || done != len)) || done < start ||
		    (r < 0 && done != start && virtio_vsock_live(&vs)))
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
	if (virtio_vsock_tx_pending(&vs))
		tx_batch(); /* the relay serves pending tx at the zone's next entry */
	check(&before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
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
	virtio_vsock_init(&vs, 16 + (uint64_t)take(&c, 1), &fake);
	qsize = 1;
	memset(avail_idx, 0, sizeof(avail_idx));
	for (unsigned i = 0; i < 256 && c.left; i++)
		step(&c);
	return 0;
}
