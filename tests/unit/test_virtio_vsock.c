/* Unit tests of the virtio-vsock device model (zones/virtio/vsock.c), driven as Linux's
 * virtio_mmio and vmw_vsock_virtio_transport drivers would, over fake guest memory. */
#include <string.h>

#include "tests/unit/test.h"
#include "zones/virtio/vsock.h"

#define MEM_BASE 0x100000ull
#define MEM_SIZE 0x80000ull
#define QSIZE	 8
#define QBASE(q) (MEM_BASE + 0x4000ull * (q)) /* desc +0, avail +0x1000, used +0x2000 */
#define BUF	 (MEM_BASE + 0x10000)	      /* 0x2000 per descriptor index and queue */
#define CID	 19ull

#include "tests/virtio_fake_mem.h"
#include "tests/virtio_mmio_regs.h"

#define S_LIVE                                                                          \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK | \
	 VIRTIO_STATUS_DRIVER_OK)
#define S_NEEDS VIRTIO_STATUS_DEVICE_NEEDS_RESET
#define WRITE	VIRTQ_DESC_F_WRITE
#define NEXT	VIRTQ_DESC_F_NEXT

static struct virtio_vsock vs;
static uint16_t avail_idx[3];
static uint8_t payload[VSOCK_PAYLOAD_MAX];

static uint64_t buf(unsigned q, unsigned i)
{
	return BUF + 0x2000ull * (QSIZE * q + i);
}

static void desc(unsigned q, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint64_t d = QBASE(q) + 16 * i;

	put(d, addr, 8);
	put(d + 8, len, 4);
	put(d + 12, flags, 2);
	put(d + 14, next, 2);
}

static void offer(unsigned q, uint16_t head)
{
	uint64_t avail = QBASE(q) + 0x1000;

	put(avail + 4 + 2 * (avail_idx[q] % QSIZE), head, 2);
	avail_idx[q]++;
	put(avail + 2, avail_idx[q], 2);
}

static uint64_t used_idx(unsigned q)
{
	return get(QBASE(q) + 0x2000 + 2, 2);
}

static uint64_t used_len(unsigned q, unsigned slot)
{
	return get(QBASE(q) + 0x2000 + 4 + 8 * (slot % QSIZE) + 4, 4);
}

static uint32_t rd(uint64_t off)
{
	return virtio_vsock_mmio_read(&vs, off, 4);
}

static void wr(uint64_t off, uint32_t v)
{
	virtio_vsock_mmio_write(&vs, off, 4, v);
}

static void setup_queue(unsigned q)
{
	wr(R_QUEUE_SEL, q);
	CHECK_EQ_U64(rd(R_QUEUE_MAX), VIRTIO_VSOCK_QUEUE_MAX);
	wr(R_QUEUE_NUM, QSIZE);
	wr(R_DESC_LOW, (uint32_t)QBASE(q));
	wr(R_DRIVER_LOW, (uint32_t)(QBASE(q) + 0x1000));
	wr(R_DEVICE_LOW, (uint32_t)(QBASE(q) + 0x2000));
	wr(R_QUEUE_READY, 1);
	CHECK_EQ_U64(rd(R_QUEUE_READY), 1);
}

/* virtio_vsock_probe(): VERSION_1 only, three queues, DRIVER_OK. */
static void fresh(void)
{
	memset(mem, 0, sizeof(mem));
	memset(avail_idx, 0, sizeof(avail_idx));
	virtio_vsock_init(&vs, CID, &fake);
	CHECK_EQ_U64(rd(R_DEVICE_ID), VIRTIO_ID_VSOCK);
	wr(R_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(R_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(R_DEV_FEAT_SEL, 0);
	CHECK_EQ_U64(rd(R_DEV_FEAT), 0);
	wr(R_DEV_FEAT_SEL, 1);
	CHECK_EQ_U64(rd(R_DEV_FEAT), 1); /* VERSION_1 (bit 32) */
	wr(R_DRV_FEAT_SEL, 1);
	wr(R_DRV_FEAT, 1);
	wr(R_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	for (unsigned q = 0; q < 3; q++)
		setup_queue(q);
	wr(R_QUEUE_SEL, 3);
	CHECK_EQ_U64(rd(R_QUEUE_MAX), 0); /* no fourth queue */
	wr(R_STATUS, S_LIVE);
	CHECK_EQ_U64(rd(R_STATUS), S_LIVE);
}

static struct vsock_hdr hdr(uint16_t op, uint32_t len)
{
	return (struct vsock_hdr){.src_cid = CID,
				  .dst_cid = 2,
				  .src_port = 1024,
				  .dst_port = 5000,
				  .len = len,
				  .type = VSOCK_TYPE_STREAM,
				  .op = op,
				  .buf_alloc = 262144};
}

/* A tx packet in descriptor i: header, then (when there is one) the payload in a second. */
static void post_tx(unsigned i, const struct vsock_hdr *h, uint32_t chain_payload)
{
	uint64_t b = buf(1, i);

	vsock_hdr_encode(h, at(b));
	for (uint32_t k = 0; k < chain_payload; k++)
		at(b + 0x100)[k] = (uint8_t)(k * 13 + 1);
	if (chain_payload) {
		desc(1, i, b, VSOCK_HDR_LEN, NEXT, (uint16_t)(i + 1));
		desc(1, i + 1, b + 0x100, chain_payload, 0, 0);
	} else {
		desc(1, i, b, VSOCK_HDR_LEN, 0, 0);
	}
	offer(1, (uint16_t)i);
	wr(R_NOTIFY, VIRTIO_VSOCK_TXQ);
}

static void post_rx(unsigned i, uint32_t len)
{
	desc(0, i, buf(0, i), len, WRITE, 0);
	offer(0, (uint16_t)i);
}

static int take(struct vsock_hdr *h)
{
	virtio_vsock_tx_begin(&vs);
	return virtio_vsock_tx_next(&vs, h, payload);
}

TEST(vsock_config_is_the_cid)
{
	fresh();
	CHECK_EQ_U64(virtio_vsock_mmio_read(&vs, 0x100, 4), CID);
	CHECK_EQ_U64(virtio_vsock_mmio_read(&vs, 0x104, 4), 0);
	CHECK_EQ_U64(virtio_vsock_mmio_read(&vs, 0x100, 1), CID);
	virtio_vsock_mmio_write(&vs, 0x100, 4, 7); /* read-only */
	CHECK_EQ_U64(virtio_vsock_mmio_read(&vs, 0x100, 4), CID);
	CHECK(vs.mmio.bad_accesses > 0);
}

TEST(vsock_tx_takes_a_good_packet)
{
	struct vsock_hdr h = hdr(VSOCK_OP_RW, 3000), got;

	fresh();
	post_tx(0, &h, 3000);
	CHECK(virtio_vsock_tx_pending(&vs));
	CHECK_EQ_U64(take(&got), 1);
	CHECK_EQ_U64(got.len, 3000);
	CHECK_EQ_U64(got.op, VSOCK_OP_RW);
	CHECK_EQ_U64(got.dst_port, 5000);
	CHECK_EQ_U64(got.buf_alloc, 262144);
	CHECK_EQ_U64(payload[2999], (uint8_t)(2999 * 13 + 1));
	CHECK_EQ_U64(used_idx(1), 0); /* open: it waits in the ring until done */
	memset(payload, 0, 3000);
	CHECK_EQ_U64(virtio_vsock_tx_reread(&vs, payload), 0);
	CHECK_EQ_U64(payload[2999], (uint8_t)(2999 * 13 + 1));
	virtio_vsock_tx_done(&vs);
	CHECK_EQ_U64(used_idx(1), 1);
	CHECK_EQ_U64(virtio_vsock_tx_next(&vs, &got, payload), 0);
	CHECK(!virtio_vsock_tx_pending(&vs));
	CHECK(virtio_vsock_irq_line(&vs));
	CHECK_EQ_U64(vs.stats.tx_pkts, 1);
}

/* Each malformed tx chain sets NEEDS_RESET, counted, and nothing comes out. */
static void refused_tx(struct vsock_hdr h, uint32_t chain_payload, int why)
{
	struct vsock_hdr got;

	fresh();
	post_tx(0, &h, chain_payload);
	CHECK_EQ_U64(take(&got), 0);
	CHECK(rd(R_STATUS) & S_NEEDS);
	CHECK_EQ_U64(vs.stats.refused, 1);
	CHECK_EQ_U64((uint64_t)(int64_t)vs.last_refusal, (uint64_t)(int64_t)why);
	CHECK_EQ_U64(vs.stats.tx_pkts, 0);
	/* and it stays stopped until the driver resets */
	post_tx(2, &h, 0);
	CHECK_EQ_U64(take(&got), 0);
}

TEST(vsock_tx_refuses_bad_headers)
{
	struct vsock_hdr h = hdr(VSOCK_OP_RW, 100);

	refused_tx(h, 99, VIRTIO_VSOCK_REFUSE_LENGTH); /* len says more than the chain */
	h.len = 0;
	refused_tx(h, 5, VIRTIO_VSOCK_REFUSE_LENGTH);
	h = hdr(VSOCK_OP_RW, 10);
	h.type = 2; /* SEQPACKET: not offered */
	refused_tx(h, 10, VIRTIO_VSOCK_REFUSE_HEADER);
	h = hdr(0, 0);
	refused_tx(h, 0, VIRTIO_VSOCK_REFUSE_HEADER);
	h = hdr(8, 0);
	refused_tx(h, 0, VIRTIO_VSOCK_REFUSE_HEADER);
	h = hdr(VSOCK_OP_REQUEST, 4); /* payload not on RW */
	refused_tx(h, 4, VIRTIO_VSOCK_REFUSE_HEADER);
	h = hdr(VSOCK_OP_RW, 0);
	h.flags = 1;
	refused_tx(h, 0, VIRTIO_VSOCK_REFUSE_HEADER);
	h = hdr(VSOCK_OP_SHUTDOWN, 0);
	h.flags = 4;
	refused_tx(h, 0, VIRTIO_VSOCK_REFUSE_HEADER);
	h = hdr(VSOCK_OP_REQUEST, 0);
	h.src_cid = 2; /* pretending to be the host */
	refused_tx(h, 0, VIRTIO_VSOCK_REFUSE_SOURCE);
	h.src_cid = CID | (1ull << 32);
	refused_tx(h, 0, VIRTIO_VSOCK_REFUSE_SOURCE);
}

TEST(vsock_tx_refuses_bad_chains)
{
	struct vsock_hdr h = hdr(VSOCK_OP_REQUEST, 0), got;

	/* shorter than a header */
	fresh();
	vsock_hdr_encode(&h, at(buf(1, 0)));
	desc(1, 0, buf(1, 0), VSOCK_HDR_LEN - 1, 0, 0);
	offer(1, 0);
	wr(R_NOTIFY, VIRTIO_VSOCK_TXQ);
	CHECK_EQ_U64(take(&got), 0);
	CHECK_EQ_U64((uint64_t)(int64_t)vs.last_refusal,
		     (uint64_t)(int64_t)VIRTIO_VSOCK_REFUSE_LENGTH);
	/* a writable segment in tx */
	fresh();
	desc(1, 0, buf(1, 0), VSOCK_HDR_LEN, WRITE, 0);
	offer(1, 0);
	wr(R_NOTIFY, VIRTIO_VSOCK_TXQ);
	CHECK_EQ_U64(take(&got), 0);
	CHECK_EQ_U64((uint64_t)(int64_t)vs.last_refusal,
		     (uint64_t)(int64_t)VIRTIO_VSOCK_REFUSE_DIRECTION);
	/* a payload over 64 KiB: the queue's length bound refuses the chain */
	fresh();
	h = hdr(VSOCK_OP_RW, VSOCK_PAYLOAD_MAX + 1);
	vsock_hdr_encode(&h, at(buf(1, 0)));
	desc(1, 0, buf(1, 0), VSOCK_HDR_LEN, NEXT, 1);
	desc(1, 1, MEM_BASE, VSOCK_PAYLOAD_MAX + 1, 0, 0);
	offer(1, 0);
	wr(R_NOTIFY, VIRTIO_VSOCK_TXQ);
	CHECK_EQ_U64(take(&got), 0);
	CHECK(rd(R_STATUS) & S_NEEDS);
	/* a header outside the zone */
	fresh();
	desc(1, 0, MEM_BASE + MEM_SIZE, VSOCK_HDR_LEN, 0, 0);
	offer(1, 0);
	wr(R_NOTIFY, VIRTIO_VSOCK_TXQ);
	CHECK_EQ_U64(take(&got), 0);
	CHECK_EQ_U64((uint64_t)(int64_t)vs.last_refusal,
		     (uint64_t)(int64_t)VIRTIO_VSOCK_REFUSE_MEM);
	/* the driver's reset brings it back */
	fresh();
	CHECK_EQ_U64(vs.stats.refused, 0);
}

TEST(vsock_tx_batches_are_bounded)
{
	struct vsock_hdr h = hdr(VSOCK_OP_CREDIT_UPDATE, 0), got;
	unsigned n = 0;

	fresh();
	for (unsigned i = 0; i < QSIZE; i++) {
		vsock_hdr_encode(&h, at(buf(1, i)));
		desc(1, i, buf(1, i), VSOCK_HDR_LEN, 0, 0);
		offer(1, (uint16_t)i);
	}
	wr(R_NOTIFY, VIRTIO_VSOCK_TXQ);
	virtio_vsock_tx_begin(&vs);
	vs.tx_pkts_left = 3;
	while (virtio_vsock_tx_next(&vs, &got, payload)) {
		virtio_vsock_tx_done(&vs);
		n++;
	}
	CHECK_EQ_U64(n, 3);
	CHECK(virtio_vsock_tx_pending(&vs)); /* the rest at the next batch */
	virtio_vsock_tx_begin(&vs);
	while (virtio_vsock_tx_next(&vs, &got, payload)) {
		virtio_vsock_tx_done(&vs);
		n++;
	}
	CHECK_EQ_U64(n, QSIZE);
	CHECK(!virtio_vsock_tx_pending(&vs));
	CHECK_EQ_U64(used_idx(1), QSIZE);
}

/* A packet the relay cannot pass on yet keeps its chain, and the ring waits behind it. */
TEST(vsock_tx_open_chain_holds_the_ring)
{
	struct vsock_hdr h = hdr(VSOCK_OP_CREDIT_UPDATE, 0), got;

	fresh();
	vsock_hdr_encode(&h, at(buf(1, 0)));
	desc(1, 0, buf(1, 0), VSOCK_HDR_LEN, 0, 0);
	offer(1, 0);
	vsock_hdr_encode(&h, at(buf(1, 1)));
	desc(1, 1, buf(1, 1), VSOCK_HDR_LEN, 0, 0);
	offer(1, 1);
	wr(R_NOTIFY, VIRTIO_VSOCK_TXQ);
	CHECK_EQ_U64(take(&got), 1);
	CHECK_EQ_U64(take(&got), 0); /* the first is still open */
	CHECK(virtio_vsock_tx_pending(&vs));
	CHECK_EQ_U64(used_idx(1), 0);
	virtio_vsock_tx_done(&vs);
	virtio_vsock_tx_end(&vs);
	CHECK(virtio_vsock_irq_line(&vs));
	CHECK_EQ_U64(take(&got), 1);
	virtio_vsock_tx_done(&vs);
	CHECK_EQ_U64(used_idx(1), 2);
	CHECK_EQ_U64(vs.stats.tx_pkts, 2);
	/* a reset drops an open chain: done and reread then do nothing */
	post_tx(2, &h, 0);
	CHECK_EQ_U64(take(&got), 1);
	wr(R_STATUS, 0);
	CHECK_EQ_U64((uint64_t)(int64_t)virtio_vsock_tx_reread(&vs, payload),
		     (uint64_t)(int64_t)-1);
	virtio_vsock_tx_done(&vs);
	CHECK_EQ_U64(vs.stats.tx_pkts, 2);
}

/* The guest moves an open chain's payload out of its memory: refused at the reread. */
TEST(vsock_tx_reread_refuses_memory_gone)
{
	struct vsock_hdr h = hdr(VSOCK_OP_RW, 100), got;

	fresh();
	post_tx(0, &h, 100);
	CHECK_EQ_U64(take(&got), 1);
	vs.tx_chain.seg[1].gpa = MEM_BASE + MEM_SIZE; /* as if the snapshot named it */
	CHECK_EQ_U64((uint64_t)(int64_t)virtio_vsock_tx_reread(&vs, payload),
		     (uint64_t)(int64_t)-1);
	CHECK(rd(R_STATUS) & S_NEEDS);
}

TEST(vsock_rx_splits_over_buffers)
{
	struct vsock_hdr h = hdr(VSOCK_OP_RW, 0), got;
	uint32_t done = 0;

	fresh();
	for (uint32_t k = 0; k < 10000; k++)
		payload[k] = (uint8_t)(k * 7);
	post_rx(0, 4096);
	post_rx(1, 4096);
	CHECK_EQ_U64(virtio_vsock_rx(&vs, &h, payload, 10000, &done), 1); /* ran dry */
	CHECK_EQ_U64(done, 2 * (4096 - VSOCK_HDR_LEN));
	CHECK_EQ_U64(used_idx(0), 2);
	CHECK_EQ_U64(used_len(0, 0), 4096);
	vsock_hdr_decode(at(buf(0, 1)), &got);
	CHECK_EQ_U64(got.len, 4096 - VSOCK_HDR_LEN);
	CHECK_EQ_U64(got.src_port, 1024);
	CHECK_EQ_U64(at(buf(0, 1))[VSOCK_HDR_LEN], (uint8_t)((4096 - VSOCK_HDR_LEN) * 7));
	post_rx(2, 8192);
	CHECK_EQ_U64(virtio_vsock_rx(&vs, &h, payload, 10000, &done), 0);
	CHECK_EQ_U64(done, 10000);
	vsock_hdr_decode(at(buf(0, 2)), &got);
	CHECK_EQ_U64(got.len, 10000 - 2 * (4096 - VSOCK_HDR_LEN));
	CHECK_EQ_U64(vs.stats.rx_pkts, 3);
	CHECK_EQ_U64(vs.stats.rx_bytes, 10000);
	CHECK(virtio_vsock_irq_line(&vs));
}

TEST(vsock_rx_header_only_takes_one_buffer)
{
	struct vsock_hdr h = hdr(VSOCK_OP_RST, 0);
	uint32_t done = 0;

	fresh();
	CHECK_EQ_U64(virtio_vsock_rx(&vs, &h, NULL, 0, &done), 1); /* none posted */
	CHECK_EQ_U64(vs.stats.rx_no_buffer, 1);
	post_rx(0, 4096);
	CHECK_EQ_U64(virtio_vsock_rx(&vs, &h, NULL, 0, &done), 0);
	CHECK_EQ_U64(used_len(0, 0), VSOCK_HDR_LEN);
}

TEST(vsock_rx_refuses_bad_buffers)
{
	struct vsock_hdr h = hdr(VSOCK_OP_RST, 0);
	uint32_t done = 0;

	fresh();
	post_rx(0, VSOCK_RX_BUF_MIN - 1);
	CHECK_EQ_U64((uint64_t)(int64_t)virtio_vsock_rx(&vs, &h, NULL, 0, &done),
		     (uint64_t)(int64_t)-1);
	CHECK(rd(R_STATUS) & S_NEEDS);
	CHECK_EQ_U64((uint64_t)(int64_t)vs.last_refusal,
		     (uint64_t)(int64_t)VIRTIO_VSOCK_REFUSE_RX_SMALL);
	fresh();
	desc(0, 0, buf(0, 0), 4096, 0, 0); /* readable */
	offer(0, 0);
	CHECK_EQ_U64((uint64_t)(int64_t)virtio_vsock_rx(&vs, &h, NULL, 0, &done),
		     (uint64_t)(int64_t)-1);
	CHECK_EQ_U64((uint64_t)(int64_t)vs.last_refusal,
		     (uint64_t)(int64_t)VIRTIO_VSOCK_REFUSE_DIRECTION);
	fresh();
	post_rx(0, 4096);
	desc(0, 0, MEM_BASE + MEM_SIZE - 20, 4096, WRITE, 0); /* runs out of the zone */
	CHECK_EQ_U64((uint64_t)(int64_t)virtio_vsock_rx(&vs, &h, NULL, 0, &done),
		     (uint64_t)(int64_t)-1);
	CHECK_EQ_U64((uint64_t)(int64_t)vs.last_refusal,
		     (uint64_t)(int64_t)VIRTIO_VSOCK_REFUSE_MEM);
}

TEST(vsock_not_live_takes_nothing)
{
	struct vsock_hdr h = hdr(VSOCK_OP_RST, 0);
	uint32_t done = 0;

	memset(mem, 0, sizeof(mem));
	virtio_vsock_init(&vs, CID, &fake);
	CHECK(!virtio_vsock_live(&vs));
	CHECK_EQ_U64((uint64_t)(int64_t)virtio_vsock_rx(&vs, &h, NULL, 0, &done),
		     (uint64_t)(int64_t)-1);
	fresh();
	CHECK(virtio_vsock_live(&vs));
	wr(R_STATUS, 0);
	CHECK(!virtio_vsock_live(&vs));
	CHECK_EQ_U64(vs.stats.resets, 1);
}

TEST(vsock_hdr_round_trip)
{
	uint8_t b[VSOCK_HDR_LEN];
	struct vsock_hdr h = {0x1122334455667788ull, 0x99aabbccddeeff00ull, 1, 2, 3, 4, 5, 6, 7, 8},
			 g;

	vsock_hdr_encode(&h, b);
	CHECK_EQ_U64(b[0], 0x88);
	CHECK_EQ_U64(b[28], 4); /* type, le16 at 28 */
	vsock_hdr_decode(b, &g);
	CHECK(g.src_cid == h.src_cid && g.dst_cid == h.dst_cid && g.src_port == 1 &&
	      g.dst_port == 2 && g.len == 3 && g.type == 4 && g.op == 5 && g.flags == 6 &&
	      g.buf_alloc == 7 && g.fwd_cnt == 8);
}
