/* Unit tests of the virtio-net device model (zones/virtio/net.c), driven as Linux's virtio_mmio and
 * virtio_net drivers would, over fake guest memory. */
#include <string.h>

#include "tests/unit/test.h"
#include "zones/virtio/net.h"

/* ---- fake guest memory: MEM_SIZE bytes at MEM_BASE, nothing else ---------- */
#define MEM_BASE 0x100000ull
#define MEM_SIZE 0x40000ull
#define QSIZE	 8
#define RXQ_BASE (MEM_BASE + 0x0000) /* desc +0, avail +0x1000, used +0x2000 */
#define TXQ_BASE (MEM_BASE + 0x4000)
#define BUF	 (MEM_BASE + 0x10000) /* 0x1000 per descriptor index and queue */

#include "tests/virtio_fake_mem.h"
#include "tests/virtio_mmio_regs.h"

/* ---- the driver's side: registers (4.2.2) and rings (2.6) ------------------ */
#define S_ACK	  VIRTIO_STATUS_ACKNOWLEDGE
#define S_DRV	  VIRTIO_STATUS_DRIVER
#define S_FEAT_OK VIRTIO_STATUS_FEATURES_OK
#define S_DRV_OK  VIRTIO_STATUS_DRIVER_OK
#define S_LIVE	  (S_ACK | S_DRV | S_FEAT_OK | S_DRV_OK)
#define S_NEEDS	  VIRTIO_STATUS_DEVICE_NEEDS_RESET

#define NEXT  VIRTQ_DESC_F_NEXT
#define WRITE VIRTQ_DESC_F_WRITE

static const uint8_t MAC[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static struct virtio_net net;
static uint16_t avail_idx[2];		   /* the driver's free-running avail idx per queue */
static uint16_t qsize[2] = {QSIZE, QSIZE}; /* what driver_probe sets up */

static uint64_t qbase(unsigned q)
{
	return q == VIRTIO_NET_RXQ ? RXQ_BASE : TXQ_BASE;
}

static uint64_t buf(unsigned q, unsigned i)
{
	return BUF + 0x1000 * (QSIZE * q + i);
}

static void desc(unsigned q, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint64_t d = qbase(q) + 16 * i;

	put(d, addr, 8);
	put(d + 8, len, 4);
	put(d + 12, flags, 2);
	put(d + 14, next, 2);
}

/* Makes chain `head` available on queue q. */
static void offer(unsigned q, uint16_t head)
{
	uint64_t avail = qbase(q) + 0x1000;

	put(avail + 4 + 2 * (avail_idx[q] % qsize[q]), head, 2);
	avail_idx[q]++;
	put(avail + 2, avail_idx[q], 2);
}

static uint64_t used_idx(unsigned q)
{
	return get(qbase(q) + 0x2000 + 2, 2);
}

static uint64_t used_id(unsigned q, unsigned slot)
{
	return get(qbase(q) + 0x2000 + 4 + 8 * (slot % qsize[q]), 4);
}

static uint64_t used_len(unsigned q, unsigned slot)
{
	return get(qbase(q) + 0x2000 + 4 + 8 * (slot % qsize[q]) + 4, 4);
}

static uint32_t rd(uint64_t off)
{
	return virtio_net_mmio_read(&net, off, 4);
}

static void wr(uint64_t off, uint32_t v)
{
	virtio_net_mmio_write(&net, off, 4, v);
}

/* What the tx callback saw. */
static unsigned tx_calls;
static size_t tx_len;
static uint8_t tx_seen[2048];
static bool tx_echo; /* send each frame straight back to the zone, as the switch's ARP replies do */
static int echo_result;

static void on_tx(void *ctx, const uint8_t *frame, size_t len)
{
	CHECK(ctx == &tx_calls);
	tx_calls++;
	tx_len = len;
	memcpy(tx_seen, frame, len < sizeof(tx_seen) ? len : sizeof(tx_seen));
	if (tx_echo)
		echo_result = virtio_net_receive(&net, frame, len);
}

/* virtio_mmio's vm_setup_vq(): select, check, size, addresses, ready. */
static void setup_queue(unsigned q)
{
	uint64_t base = qbase(q);

	wr(R_QUEUE_SEL, q);
	CHECK_EQ_U64(rd(R_QUEUE_READY), 0);
	CHECK_EQ_U64(rd(R_QUEUE_MAX), VIRTIO_NET_QUEUE_MAX);
	wr(R_QUEUE_NUM, qsize[q]);
	wr(R_DESC_LOW, (uint32_t)base);
	wr(R_DESC_HIGH, (uint32_t)(base >> 32));
	wr(R_DRIVER_LOW, (uint32_t)(base + 0x1000));
	wr(R_DRIVER_HIGH, 0);
	wr(R_DEVICE_LOW, (uint32_t)(base + 0x2000));
	wr(R_DEVICE_HIGH, 0);
	wr(R_QUEUE_READY, 1);
	CHECK_EQ_U64(rd(R_QUEUE_READY), 1);
}

/* virtio_mmio_probe() + virtio_dev_probe() + virtnet_probe(), up to DRIVER_OK,
 * with fresh (zeroed) rings as a newly loaded driver allocates them. */
static void driver_probe(void)
{
	uint64_t offered, want;

	memset(mem, 0, sizeof(mem));
	avail_idx[0] = avail_idx[1] = 0;
	CHECK_EQ_U64(rd(R_MAGIC), 0x74726976);
	CHECK_EQ_U64(rd(R_VERSION), 2);
	CHECK_EQ_U64(rd(R_DEVICE_ID), VIRTIO_ID_NET);
	wr(R_STATUS, 0);
	wr(R_STATUS, S_ACK);
	wr(R_STATUS, S_ACK | S_DRV);
	wr(R_DEV_FEAT_SEL, 1);
	offered = (uint64_t)rd(R_DEV_FEAT) << 32;
	wr(R_DEV_FEAT_SEL, 0);
	offered |= rd(R_DEV_FEAT);
	/* what virtio_net's feature table knows: MAC, STATUS, CSUM, GSO, MRG_RXBUF, ... */
	want = offered & (VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS | VIRTIO_F_VERSION_1 |
			  (1ull << 0) | (1ull << 15) | (1ull << 17));
	wr(R_DRV_FEAT_SEL, 1);
	wr(R_DRV_FEAT, (uint32_t)(want >> 32));
	wr(R_DRV_FEAT_SEL, 0);
	wr(R_DRV_FEAT, (uint32_t)want);
	wr(R_STATUS, S_ACK | S_DRV | S_FEAT_OK);
	CHECK(rd(R_STATUS) & S_FEAT_OK);
	setup_queue(VIRTIO_NET_RXQ);
	setup_queue(VIRTIO_NET_TXQ);
	wr(R_STATUS, S_LIVE);
	CHECK_EQ_U64(rd(R_STATUS), S_LIVE);
}

static void fresh(void)
{
	qsize[VIRTIO_NET_RXQ] = qsize[VIRTIO_NET_TXQ] = QSIZE;
	tx_calls = 0;
	tx_len = 0;
	tx_echo = false;
	virtio_net_init(&net, MAC, &fake);
	driver_probe();
}

/* A frame of len bytes: destination, source (our MAC), IPv4 type, then a pattern. */
static void make_frame(uint8_t *f, size_t len)
{
	memcpy(f, "\xff\xff\xff\xff\xff\xff", 6);
	memcpy(f + 6, MAC, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	for (size_t i = 14; i < len; i++)
		f[i] = (uint8_t)(i * 7 + 3);
}

/* xmit_skb() with can_push: one readable descriptor, header then frame. */
static void post_tx(unsigned i, size_t frame_len)
{
	memset(at(buf(VIRTIO_NET_TXQ, i)), 0, VIRTIO_NET_HDR_LEN);
	make_frame(at(buf(VIRTIO_NET_TXQ, i)) + VIRTIO_NET_HDR_LEN, frame_len);
	desc(VIRTIO_NET_TXQ, i, buf(VIRTIO_NET_TXQ, i), (uint32_t)(VIRTIO_NET_HDR_LEN + frame_len),
	     0, 0);
	offer(VIRTIO_NET_TXQ, (uint16_t)i);
}

/* add_recvbuf_small(): one writable buffer of hdr_len + GOOD_PACKET_LEN (1518). */
static void post_rx(unsigned i)
{
	desc(VIRTIO_NET_RXQ, i, buf(VIRTIO_NET_RXQ, i), VIRTIO_NET_HDR_LEN + 1518, WRITE, 0);
	offer(VIRTIO_NET_RXQ, (uint16_t)i);
}

/* One transmit batch, as zones/net/nic.c runs it: each frame to on_tx.  Frames taken. */
static unsigned tx_batch(void)
{
	static uint8_t bounce[VIRTIO_NET_FRAME_MAX];
	unsigned frames = 0;
	size_t len;

	virtio_net_tx_begin(&net);
	while ((len = virtio_net_tx_next(&net, bounce)) != 0) {
		CHECK(len >= VIRTIO_NET_FRAME_MIN && len <= VIRTIO_NET_FRAME_MAX);
		on_tx(&tx_calls, bounce, len);
		frames++;
	}
	return frames;
}

/* The notify, then batches until nothing is pending (nic.c's later services). */
static void kick_tx(void)
{
	wr(R_NOTIFY, VIRTIO_NET_TXQ);
	while (virtio_net_tx_pending(&net))
		tx_batch();
}

/* ---- tests ------------------------------------------------------------------ */

TEST(net_probe_features_and_config)
{
	fresh();
	CHECK_EQ_U64(net.mmio.bad_accesses, 0);
	CHECK_EQ_U64(net.mmio.driver_features,
		     VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS | VIRTIO_F_VERSION_1);
	wr(R_DEV_FEAT_SEL, 0);
	CHECK_EQ_U64(rd(R_DEV_FEAT), VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS);
	wr(R_DEV_FEAT_SEL, 1);
	CHECK_EQ_U64(rd(R_DEV_FEAT), 1);
	/* virtio_cread_bytes(): the MAC byte by byte; virtio_cread16(): status */
	for (unsigned i = 0; i < 6; i++)
		CHECK_EQ_U64(virtio_net_mmio_read(&net, 0x100 + i, 1), MAC[i]);
	CHECK_EQ_U64(virtio_net_mmio_read(&net, 0x106, 2), VIRTIO_NET_S_LINK_UP);
	CHECK_EQ_U64(virtio_net_mmio_read(&net, 0x100, 4), 0x12005452);
	CHECK_EQ_U64(virtio_net_mmio_read(&net, 0x104, 4), 0x00015634);
	CHECK_EQ_U64(net.mmio.bad_accesses, 0);
	CHECK_EQ_U64(virtio_net_mmio_read(&net, 0x108, 1), 0); /* past config_size */
	virtio_net_mmio_write(&net, 0x100, 1, 0xee);	       /* config is read-only */
	CHECK_EQ_U64(virtio_net_mmio_read(&net, 0x100, 1), MAC[0]);
	CHECK_EQ_U64(net.mmio.bad_accesses, 2);
	CHECK(!virtio_net_irq_line(&net));
	CHECK_EQ_U64(net.stats.resets, 1); /* the probe's Status = 0 */
}

TEST(net_tx_frame_reaches_callback)
{
	uint8_t want[1514];

	fresh();
	post_tx(3, 60);
	kick_tx();
	CHECK_EQ_U64(tx_calls, 1);
	CHECK_EQ_U64(tx_len, 60);
	make_frame(want, 60);
	CHECK(memcmp(tx_seen, want, 60) == 0);
	CHECK_EQ_U64(used_idx(VIRTIO_NET_TXQ), 1);
	CHECK_EQ_U64(used_id(VIRTIO_NET_TXQ, 0), 3);
	CHECK_EQ_U64(used_len(VIRTIO_NET_TXQ, 0), 0);
	CHECK_EQ_U64(rd(R_INT_STATUS), VIRTIO_MMIO_INT_VRING);
	CHECK(virtio_net_irq_line(&net));
	wr(R_INT_ACK, VIRTIO_MMIO_INT_VRING);
	CHECK(!virtio_net_irq_line(&net));
	/* the largest frame, the header and frame split over three descriptors */
	make_frame(want, 1514);
	memset(at(buf(1, 0)), 0, 12);
	memcpy(at(buf(1, 1)), want, 100);
	memcpy(at(buf(1, 2)), want + 100, 1414);
	desc(VIRTIO_NET_TXQ, 0, buf(1, 0), 12, NEXT, 1);
	desc(VIRTIO_NET_TXQ, 1, buf(1, 1), 100, NEXT, 2);
	desc(VIRTIO_NET_TXQ, 2, buf(1, 2), 1414, 0, 0);
	offer(VIRTIO_NET_TXQ, 0);
	kick_tx();
	CHECK_EQ_U64(tx_calls, 2);
	CHECK_EQ_U64(tx_len, 1514);
	CHECK(memcmp(tx_seen, want, 1514) == 0);
	CHECK_EQ_U64(used_idx(VIRTIO_NET_TXQ), 2);
	CHECK_EQ_U64(net.stats.tx_frames, 2);
	CHECK_EQ_U64(net.stats.tx_bytes, 60 + 1514);
	CHECK_EQ_U64(net.stats.refused, 0);
	CHECK(!(rd(R_STATUS) & S_NEEDS));
}

TEST(net_tx_drains_a_full_ring_in_one_notify)
{
	fresh();
	for (unsigned i = 0; i < QSIZE; i++)
		post_tx(i, 42 + i);
	kick_tx();
	CHECK_EQ_U64(tx_calls, QSIZE);
	CHECK_EQ_U64(tx_len, 42 + QSIZE - 1);
	CHECK_EQ_U64(used_idx(VIRTIO_NET_TXQ), QSIZE);
	kick_tx(); /* nothing left */
	CHECK_EQ_U64(tx_calls, QSIZE);
}

TEST(net_tx_no_interrupt_hint)
{
	fresh();
	put(TXQ_BASE + 0x1000, VIRTQ_AVAIL_F_NO_INTERRUPT, 2);
	post_tx(0, 60);
	kick_tx();
	CHECK_EQ_U64(tx_calls, 1);
	CHECK(!virtio_net_irq_line(&net));
}

TEST(net_tx_before_driver_ok_does_nothing)
{
	virtio_net_init(&net, MAC, &fake);
	tx_calls = 0;
	memset(mem, 0, sizeof(mem));
	avail_idx[1] = 0;
	wr(R_STATUS, S_ACK);
	wr(R_STATUS, S_ACK | S_DRV);
	wr(R_DRV_FEAT_SEL, 1);
	wr(R_DRV_FEAT, 1);
	wr(R_STATUS, S_ACK | S_DRV | S_FEAT_OK);
	setup_queue(VIRTIO_NET_TXQ);
	post_tx(0, 60);
	kick_tx();
	CHECK_EQ_U64(tx_calls, 0);
	wr(R_STATUS, S_LIVE); /* the rx queue was never set up: tx still works */
	kick_tx();
	CHECK_EQ_U64(tx_calls, 1);
	CHECK(virtio_net_receive(&net, tx_seen, 60) < 0);
	CHECK_EQ_U64(net.stats.rx_no_buffer, 0);
}

TEST(net_rx_lands_in_posted_buffer)
{
	uint8_t f[1514], hdr[12] = {0};

	fresh();
	post_rx(2);
	memset(at(buf(0, 2)), 0xcc, 12 + 1518);
	make_frame(f, 60);
	CHECK(virtio_net_receive(&net, f, 60) == 0);
	hdr[10] = 1; /* num_buffers */
	CHECK(memcmp(at(buf(0, 2)), hdr, 12) == 0);
	CHECK(memcmp(at(buf(0, 2)) + 12, f, 60) == 0);
	CHECK_EQ_U64(*at(buf(0, 2) + 72), 0xcc); /* nothing written past the frame */
	CHECK_EQ_U64(used_idx(VIRTIO_NET_RXQ), 1);
	CHECK_EQ_U64(used_id(VIRTIO_NET_RXQ, 0), 2);
	CHECK_EQ_U64(used_len(VIRTIO_NET_RXQ, 0), 72);
	CHECK_EQ_U64(rd(R_INT_STATUS), VIRTIO_MMIO_INT_VRING);
	CHECK_EQ_U64(net.stats.rx_frames, 1);
	CHECK_EQ_U64(net.stats.rx_bytes, 60);
	/* a buffer split into header and data descriptors; the largest frame */
	desc(VIRTIO_NET_RXQ, 5, buf(0, 5), 12, NEXT | WRITE, 6);
	desc(VIRTIO_NET_RXQ, 6, buf(0, 6), 1514, WRITE, 0);
	offer(VIRTIO_NET_RXQ, 5);
	make_frame(f, 1514);
	CHECK(virtio_net_receive(&net, f, 1514) == 0);
	CHECK(memcmp(at(buf(0, 5)), hdr, 12) == 0);
	CHECK(memcmp(at(buf(0, 6)), f, 1514) == 0);
	CHECK_EQ_U64(used_idx(VIRTIO_NET_RXQ), 2);
	CHECK_EQ_U64(used_id(VIRTIO_NET_RXQ, 1), 5);
	CHECK_EQ_U64(used_len(VIRTIO_NET_RXQ, 1), 12 + 1514);
}

TEST(net_rx_without_buffer_drops_and_counts)
{
	uint8_t f[60];

	fresh();
	make_frame(f, sizeof(f));
	CHECK(virtio_net_receive(&net, f, sizeof(f)) == -1);
	CHECK(virtio_net_receive(&net, f, sizeof(f)) == -1);
	CHECK_EQ_U64(net.stats.rx_no_buffer, 2);
	CHECK_EQ_U64(net.stats.refused, 0);
	CHECK(!virtio_net_irq_line(&net));
	CHECK(!(rd(R_STATUS) & S_NEEDS));
	post_rx(0); /* nothing was consumed: the next frame takes this one */
	CHECK(virtio_net_receive(&net, f, sizeof(f)) == 0);
	CHECK_EQ_U64(used_idx(VIRTIO_NET_RXQ), 1);
	CHECK(virtio_net_receive(&net, f, sizeof(f)) == -1);
	CHECK_EQ_U64(net.stats.rx_no_buffer, 3);
}

TEST(net_rx_frame_length_and_liveness)
{
	uint8_t f[1515];

	fresh();
	make_frame(f, sizeof(f));
	post_rx(0);
	CHECK(virtio_net_receive(&net, f, 13) == -1);
	CHECK(virtio_net_receive(&net, f, 1515) == -1);
	CHECK_EQ_U64(used_idx(VIRTIO_NET_RXQ), 0);
	wr(R_QUEUE_SEL, VIRTIO_NET_RXQ);
	wr(R_QUEUE_READY, 0); /* the driver stops the receiveq */
	CHECK(virtio_net_receive(&net, f, 14) == -1);
	CHECK_EQ_U64(net.stats.rx_no_buffer, 0);
	fresh();
	post_rx(0);
	CHECK(virtio_net_receive(&net, f, 14) == 0);
	wr(R_STATUS, 0);
	CHECK(virtio_net_receive(&net, f, 14) == -1); /* reset: not live */
}

/* Each refused rx chain: -1, NEEDS_RESET, nothing more until a reset. */
static void check_rx_refused(int why)
{
	uint8_t f[60];

	make_frame(f, sizeof(f));
	CHECK(virtio_net_receive(&net, f, sizeof(f)) == -1);
	CHECK(rd(R_STATUS) & S_NEEDS);
	CHECK(rd(R_INT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
	CHECK_EQ_U64(net.stats.refused, 1);
	CHECK_EQ_U64(net.stats.rx_frames, 0);
	CHECK_EQ_U64(net.last_refusal, (uint64_t)(int64_t)why);
	CHECK_EQ_U64(used_idx(VIRTIO_NET_RXQ), 0);
	post_rx(7);
	CHECK(virtio_net_receive(&net, f, sizeof(f)) == -1);
	CHECK_EQ_U64(net.stats.refused, 1);
	driver_probe();
	post_rx(0);
	CHECK(virtio_net_receive(&net, f, sizeof(f)) == 0);
	CHECK_EQ_U64(used_idx(VIRTIO_NET_RXQ), 1);
}

TEST(net_rx_malformed_chains)
{
	fresh();
	desc(VIRTIO_NET_RXQ, 0, buf(0, 0), 1000, WRITE, 0); /* smaller than 12 + 1514 */
	offer(VIRTIO_NET_RXQ, 0);
	check_rx_refused(VIRTIO_NET_REFUSE_LENGTH);

	fresh();
	desc(VIRTIO_NET_RXQ, 0, buf(0, 0), 12, NEXT, 1); /* a readable segment */
	desc(VIRTIO_NET_RXQ, 1, buf(0, 1), 1530, WRITE, 0);
	offer(VIRTIO_NET_RXQ, 0);
	check_rx_refused(VIRTIO_NET_REFUSE_DIRECTION);

	fresh();
	desc(VIRTIO_NET_RXQ, 0, MEM_BASE + MEM_SIZE - 40, 1530, WRITE, 0); /* past the end */
	offer(VIRTIO_NET_RXQ, 0);
	check_rx_refused(VIRTIO_NET_REFUSE_MEM);

	fresh();
	desc(VIRTIO_NET_RXQ, 0, buf(0, 0), 1530, WRITE | NEXT, 0); /* a self-loop */
	offer(VIRTIO_NET_RXQ, 0);
	check_rx_refused(VQ_ERR_LOOP);

	fresh();
	put(RXQ_BASE + 0x1000 + 2, QSIZE + 1, 2); /* avail idx jumps */
	check_rx_refused(VQ_ERR_AVAIL_IDX);
}

TEST(net_rx_used_ring_outside_memory)
{
	uint8_t f[60];

	virtio_net_init(&net, MAC, &fake);
	memset(mem, 0, sizeof(mem));
	avail_idx[0] = 0;
	wr(R_STATUS, S_ACK);
	wr(R_STATUS, S_ACK | S_DRV);
	wr(R_DRV_FEAT_SEL, 1);
	wr(R_DRV_FEAT, 1);
	wr(R_STATUS, S_ACK | S_DRV | S_FEAT_OK);
	wr(R_QUEUE_SEL, 0);
	wr(R_QUEUE_NUM, QSIZE);
	wr(R_DESC_LOW, (uint32_t)RXQ_BASE);
	wr(R_DRIVER_LOW, (uint32_t)(RXQ_BASE + 0x1000));
	wr(R_DEVICE_LOW, 0x1000); /* not the zone's */
	wr(R_QUEUE_READY, 1);
	wr(R_STATUS, S_LIVE);
	post_rx(0);
	make_frame(f, sizeof(f));
	CHECK(virtio_net_receive(&net, f, sizeof(f)) == -1);
	CHECK(rd(R_STATUS) & S_NEEDS);
	CHECK_EQ_U64(net.last_refusal, (uint64_t)(int64_t)VIRTIO_NET_REFUSE_MEM);
	CHECK_EQ_U64(net.stats.rx_frames, 0);
}

/* Each refused tx chain: callback not called, NEEDS_RESET, later kicks do
 * nothing; after a reset and a fresh probe a good frame goes out. */
static void check_tx_refused(int why)
{
	kick_tx();
	CHECK_EQ_U64(tx_calls, 0);
	CHECK(rd(R_STATUS) & S_NEEDS);
	CHECK(rd(R_INT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
	CHECK_EQ_U64(net.stats.refused, 1);
	CHECK_EQ_U64(net.last_refusal, (uint64_t)(int64_t)why);
	CHECK_EQ_U64(used_idx(VIRTIO_NET_TXQ), 0);
	post_tx(6, 60);
	kick_tx();
	CHECK_EQ_U64(tx_calls, 0);
	CHECK_EQ_U64(net.stats.refused, 1);
	driver_probe(); /* Status = 0 first: the device forgets its queues */
	CHECK_EQ_U64(net.stats.resets, 2);
	CHECK(!virtio_net_irq_line(&net));
	post_tx(0, 60);
	kick_tx();
	CHECK_EQ_U64(tx_calls, 1);
	CHECK_EQ_U64(tx_len, 60);
	CHECK_EQ_U64(used_idx(VIRTIO_NET_TXQ), 1);
	CHECK_EQ_U64(net.stats.refused, 1);
}

TEST(net_tx_too_short)
{
	fresh();
	post_tx(0, 13);
	check_tx_refused(VIRTIO_NET_REFUSE_LENGTH);
	fresh();
	desc(VIRTIO_NET_TXQ, 0, buf(1, 0), 12, 0, 0); /* a header and no frame */
	offer(VIRTIO_NET_TXQ, 0);
	check_tx_refused(VIRTIO_NET_REFUSE_LENGTH);
}

TEST(net_tx_too_long)
{
	fresh();
	post_tx(0, 1515);
	check_tx_refused(VIRTIO_NET_REFUSE_LENGTH);
	fresh();
	desc(VIRTIO_NET_TXQ, 0, buf(1, 0), 65536, 0, 0); /* a GSO-sized buffer */
	offer(VIRTIO_NET_TXQ, 0);
	check_tx_refused(VIRTIO_NET_REFUSE_LENGTH);
}

TEST(net_tx_writable_descriptor)
{
	fresh();
	post_tx(0, 60);
	desc(VIRTIO_NET_TXQ, 0, buf(1, 0), 72, NEXT, 1);
	desc(VIRTIO_NET_TXQ, 1, buf(1, 1), 16, WRITE, 0);
	check_tx_refused(VIRTIO_NET_REFUSE_DIRECTION);
	fresh();
	desc(VIRTIO_NET_TXQ, 0, buf(1, 0), 72, WRITE, 0); /* all writable */
	offer(VIRTIO_NET_TXQ, 0);
	check_tx_refused(VIRTIO_NET_REFUSE_DIRECTION);
}

TEST(net_tx_offload_header_fields)
{
	fresh();
	post_tx(0, 60);
	*at(buf(1, 0)) = 1; /* VIRTIO_NET_HDR_F_NEEDS_CSUM: CSUM was never offered */
	check_tx_refused(VIRTIO_NET_REFUSE_HEADER);
	fresh();
	post_tx(0, 60);
	*at(buf(1, 0) + 1) = 1; /* VIRTIO_NET_HDR_GSO_TCPV4 */
	check_tx_refused(VIRTIO_NET_REFUSE_HEADER);
	fresh();
	post_tx(0, 60);
	*at(buf(1, 0) + 1) = 0x80; /* VIRTIO_NET_HDR_GSO_ECN */
	check_tx_refused(VIRTIO_NET_REFUSE_HEADER);
}

TEST(net_tx_ignores_meaningless_header_fields)
{
	fresh();
	post_tx(0, 60);
	put(buf(1, 0) + 2, 0x1234, 2);	/* hdr_len: a hint only */
	put(buf(1, 0) + 10, 0xbeef, 2); /* num_buffers: Linux leaves it unset on tx */
	kick_tx();
	CHECK_EQ_U64(tx_calls, 1);
	CHECK_EQ_U64(net.stats.refused, 0);
}

TEST(net_tx_address_outside_memory)
{
	fresh();
	desc(VIRTIO_NET_TXQ, 0, 0x1000, 72, 0, 0); /* below the zone */
	offer(VIRTIO_NET_TXQ, 0);
	check_tx_refused(VIRTIO_NET_REFUSE_MEM);
	fresh();
	desc(VIRTIO_NET_TXQ, 0, MEM_BASE + MEM_SIZE - 40, 72, 0, 0); /* straddles the end */
	offer(VIRTIO_NET_TXQ, 0);
	check_tx_refused(VIRTIO_NET_REFUSE_MEM);
	fresh();
	desc(VIRTIO_NET_TXQ, 0, 0xffffffffffffffc0ull, 72, 0, 0); /* wraps */
	offer(VIRTIO_NET_TXQ, 0);
	check_tx_refused(VQ_ERR_LEN);
}

TEST(net_tx_loop_and_bad_index)
{
	fresh();
	desc(VIRTIO_NET_TXQ, 0, buf(1, 0), 12, NEXT, 1);
	desc(VIRTIO_NET_TXQ, 1, buf(1, 1), 60, NEXT, 0);
	offer(VIRTIO_NET_TXQ, 0);
	check_tx_refused(VQ_ERR_LOOP);
	fresh();
	offer(VIRTIO_NET_TXQ, QSIZE); /* head past the table */
	check_tx_refused(VQ_ERR_INDEX);
	fresh();
	desc(VIRTIO_NET_TXQ, 0, buf(1, 0), 72, VIRTQ_DESC_F_INDIRECT, 0);
	offer(VIRTIO_NET_TXQ, 0);
	check_tx_refused(VQ_ERR_FLAGS);
}

TEST(net_tx_stops_at_the_bad_chain)
{
	fresh();
	post_tx(0, 60);
	post_tx(1, 1515);
	post_tx(2, 60);
	kick_tx();
	CHECK_EQ_U64(tx_calls, 1); /* the good one before it went out; nothing after */
	CHECK_EQ_U64(used_idx(VIRTIO_NET_TXQ), 1);
	CHECK(rd(R_STATUS) & S_NEEDS);
	CHECK_EQ_U64(rd(R_INT_STATUS), VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG);
}

TEST(net_tx_used_ring_outside_memory)
{
	virtio_net_init(&net, MAC, &fake);
	tx_calls = 0;
	memset(mem, 0, sizeof(mem));
	avail_idx[1] = 0;
	wr(R_STATUS, S_ACK);
	wr(R_STATUS, S_ACK | S_DRV);
	wr(R_DRV_FEAT_SEL, 1);
	wr(R_DRV_FEAT, 1);
	wr(R_STATUS, S_ACK | S_DRV | S_FEAT_OK);
	wr(R_QUEUE_SEL, 1);
	wr(R_QUEUE_NUM, QSIZE);
	wr(R_DESC_LOW, (uint32_t)TXQ_BASE);
	wr(R_DRIVER_LOW, (uint32_t)(TXQ_BASE + 0x1000));
	wr(R_DEVICE_LOW, 0x2000); /* not the zone's */
	wr(R_QUEUE_READY, 1);
	wr(R_STATUS, S_LIVE);
	post_tx(0, 60);
	kick_tx();
	CHECK_EQ_U64(tx_calls, 0); /* the chain is returned before the frame leaves */
	CHECK(rd(R_STATUS) & S_NEEDS);
	CHECK_EQ_U64(net.last_refusal, (uint64_t)(int64_t)VIRTIO_NET_REFUSE_MEM);
}

TEST(net_reset_forgets_queues)
{
	fresh();
	post_tx(0, 60);
	post_tx(1, 61);
	kick_tx();
	CHECK_EQ_U64(tx_calls, 2);
	/* a new driver: rings moved, indices from 0 again */
	wr(R_STATUS, 0);
	CHECK_EQ_U64(net.stats.resets, 2);
	memset(mem, 0, sizeof(mem));
	avail_idx[1] = 0;
	wr(R_STATUS, S_ACK);
	wr(R_STATUS, S_ACK | S_DRV);
	wr(R_DRV_FEAT_SEL, 1);
	wr(R_DRV_FEAT, 1);
	wr(R_STATUS, S_ACK | S_DRV | S_FEAT_OK);
	wr(R_QUEUE_SEL, 1);
	wr(R_QUEUE_NUM, QSIZE);
	wr(R_DESC_LOW, (uint32_t)TXQ_BASE);
	wr(R_DRIVER_LOW, (uint32_t)(TXQ_BASE + 0x1000));
	wr(R_DEVICE_LOW, (uint32_t)(TXQ_BASE + 0x3000)); /* a different used ring */
	wr(R_QUEUE_READY, 1);
	wr(R_STATUS, S_LIVE);
	post_tx(0, 70);
	kick_tx();
	CHECK_EQ_U64(tx_calls, 3);
	CHECK_EQ_U64(tx_len, 70);
	CHECK_EQ_U64(get(TXQ_BASE + 0x3000 + 2, 2), 1);
	CHECK_EQ_U64(used_idx(VIRTIO_NET_TXQ), 0);
}

TEST(net_tx_callback_may_receive)
{
	uint8_t want[80];

	fresh();
	tx_echo = true;
	post_rx(0);
	post_tx(0, 80);
	kick_tx();
	CHECK_EQ_U64(tx_calls, 1);
	CHECK_EQ_U64(echo_result, 0);
	make_frame(want, 80);
	CHECK(memcmp(at(buf(0, 0)) + 12, want, 80) == 0);
	CHECK_EQ_U64(used_len(VIRTIO_NET_RXQ, 0), 92);
	/* an echo into a malformed rx chain refuses and stops the tx drain */
	fresh();
	tx_echo = true;
	desc(VIRTIO_NET_RXQ, 0, buf(0, 0), 100, WRITE, 0);
	offer(VIRTIO_NET_RXQ, 0);
	post_tx(0, 60);
	post_tx(1, 60);
	kick_tx();
	CHECK_EQ_U64(tx_calls, 1);
	CHECK_EQ_U64(echo_result, -1);
	CHECK(rd(R_STATUS) & S_NEEDS);
}

TEST(refusals_have_a_text_for_the_console)
{
	CHECK_STR(virtio_net_refusal_text(VQ_ERR_LOOP), "a descriptor chain that loops");
	CHECK_STR(virtio_net_refusal_text(VIRTIO_NET_REFUSE_HEADER),
		  "an offload that was not offered");
	CHECK_STR(virtio_net_refusal_text(VQ_ERR_MEM),
		  "a ring or descriptor outside the zone's memory");
	CHECK_STR(virtio_net_refusal_text(VIRTIO_NET_REFUSE_SEGS),
		  "a transmit chain of more than 4 segments");
	CHECK_STR(virtio_net_refusal_text(12345), "unknown error");
	for (int e = VQ_ERR_BROKEN; e <= VQ_ERR_MEM; e++)
		CHECK(strcmp(vq_err_text(e), "unknown error") != 0);
}

/* ---- bounded transmit work (issue 16, section 5) ------------------------------- */

#define BIG_TXQ 64 /* descriptors and avail ring fit TXQ_BASE's 0x1000-byte parts */

/* A fresh device whose transmitq has BIG_TXQ entries. */
static void fresh_big_txq(void)
{
	fresh();
	qsize[VIRTIO_NET_TXQ] = BIG_TXQ;
	driver_probe();
}

/* Chain `head` of `segs` descriptors from head on: the header, then a 60-byte
 * frame cut into segs - 1 pieces (the last takes the rest). */
static void tx_chain(unsigned head, unsigned segs)
{
	uint8_t *b = at(buf(VIRTIO_NET_TXQ, 0));
	unsigned piece = 60 / (segs - 1), at_byte = VIRTIO_NET_HDR_LEN;

	memset(b, 0, VIRTIO_NET_HDR_LEN);
	make_frame(b + VIRTIO_NET_HDR_LEN, 60);
	desc(VIRTIO_NET_TXQ, head, buf(VIRTIO_NET_TXQ, 0), VIRTIO_NET_HDR_LEN, NEXT, head + 1);
	for (unsigned i = 1; i < segs; i++) {
		unsigned len = i + 1 < segs ? piece : VIRTIO_NET_HDR_LEN + 60 - at_byte;

		desc(VIRTIO_NET_TXQ, head + i, buf(VIRTIO_NET_TXQ, 0) + at_byte, len,
		     i + 1 < segs ? NEXT : 0, head + i + 1);
		at_byte += len;
	}
}

TEST(net_tx_batch_takes_at_most_its_frame_budget)
{
	fresh_big_txq();
	for (unsigned i = 0; i < 40; i++)
		post_tx(i, 60); /* one descriptor each */
	wr(R_NOTIFY, VIRTIO_NET_TXQ);
	CHECK_EQ_U64(tx_calls, 0); /* the notify itself only marks tx pending */
	CHECK(virtio_net_tx_pending(&net));
	CHECK_EQ_U64(tx_batch(), VIRTIO_NET_TX_BATCH_FRAMES);
	CHECK_EQ_U64(used_idx(VIRTIO_NET_TXQ), VIRTIO_NET_TX_BATCH_FRAMES);
	CHECK_EQ_U64(rd(R_INT_STATUS), VIRTIO_MMIO_INT_VRING); /* the driver may reclaim */
	/* the driver will not notify again for these: the device comes back itself */
	CHECK(virtio_net_tx_pending(&net));
	CHECK_EQ_U64(tx_batch(), 40 - VIRTIO_NET_TX_BATCH_FRAMES);
	CHECK(!virtio_net_tx_pending(&net)); /* the batch found the ring empty */
	CHECK_EQ_U64(used_idx(VIRTIO_NET_TXQ), 40);
	CHECK_EQ_U64(tx_calls, 40);
	CHECK_EQ_U64(tx_batch(), 0);
	CHECK_EQ_U64(net.stats.refused, 0);
}

TEST(net_tx_batch_takes_at_most_its_descriptor_budget)
{
	fresh_big_txq();
	for (unsigned i = 0; i < 12; i++) { /* 12 chains of 4 descriptors: 48 of the 64 */
		tx_chain(4 * i, VIRTIO_NET_TX_SEGS_MAX);
		offer(VIRTIO_NET_TXQ, (uint16_t)(4 * i));
	}
	for (unsigned i = 0; i < 12; i++)
		offer(VIRTIO_NET_TXQ,
		      (uint16_t)(4 * i)); /* each again: 24 chains, 96 descriptors */
	wr(R_NOTIFY, VIRTIO_NET_TXQ);
	CHECK_EQ_U64(tx_batch(), VIRTIO_NET_TX_BATCH_DESCS / VIRTIO_NET_TX_SEGS_MAX);
	CHECK_EQ_U64(tx_len, 60);
	CHECK(virtio_net_tx_pending(&net));
	CHECK_EQ_U64(tx_batch(), 24 - VIRTIO_NET_TX_BATCH_DESCS / VIRTIO_NET_TX_SEGS_MAX);
	CHECK_EQ_U64(tx_calls, 24);
	CHECK_EQ_U64(net.stats.refused, 0);
}

TEST(net_tx_chain_of_four_segments_goes_out)
{
	uint8_t want[60];

	fresh();
	tx_chain(0, VIRTIO_NET_TX_SEGS_MAX);
	offer(VIRTIO_NET_TXQ, 0);
	kick_tx();
	make_frame(want, 60);
	CHECK_EQ_U64(tx_calls, 1);
	CHECK(memcmp(tx_seen, want, 60) == 0);
	CHECK_EQ_U64(net.stats.refused, 0);
}

TEST(net_tx_chain_of_five_segments_is_refused)
{
	fresh();
	tx_chain(0, VIRTIO_NET_TX_SEGS_MAX + 1);
	offer(VIRTIO_NET_TXQ, 0);
	check_tx_refused(VIRTIO_NET_REFUSE_SEGS);
}

/* Descriptor-table reads through a counting view of the fake memory. */
static unsigned desc_reads;

static int counting_read(void *ctx, uint64_t gpa, void *dst, size_t len)
{
	if (gpa >= TXQ_BASE && gpa < TXQ_BASE + 0x1000)
		desc_reads++;
	return fake_read(ctx, gpa, dst, len);
}

static const struct vq_mem counting = {counting_read, fake_write, NULL};

/* The flood of issue 16: every avail entry names one 64-descriptor chain of a
 * well-formed frame.  It was 64 descriptor reads and a frame per entry, all in
 * one notify; now the first chain is refused at its 5th descriptor. */
TEST(net_tx_flood_of_long_chains_costs_five_descriptor_reads)
{
	uint8_t *b = at(buf(VIRTIO_NET_TXQ, 0));

	fresh_big_txq();
	virtio_net_init(&net, MAC, &counting);
	driver_probe();
	memset(b, 0, VIRTIO_NET_HDR_LEN);
	make_frame(b + VIRTIO_NET_HDR_LEN, 64 * 24 - VIRTIO_NET_HDR_LEN);
	for (unsigned i = 0; i < BIG_TXQ; i++)
		desc(VIRTIO_NET_TXQ, i, buf(VIRTIO_NET_TXQ, 0) + 24 * i, 24,
		     i + 1 < BIG_TXQ ? NEXT : 0, i + 1);
	for (unsigned i = 0; i < BIG_TXQ; i++)
		offer(VIRTIO_NET_TXQ, 0);
	desc_reads = 0;
	kick_tx();
	CHECK_EQ_U64(desc_reads, VIRTIO_NET_TX_SEGS_MAX + 1);
	CHECK_EQ_U64(tx_calls, 0);
	CHECK_EQ_U64(net.last_refusal, (uint64_t)(int64_t)VIRTIO_NET_REFUSE_SEGS);
	CHECK(rd(R_STATUS) & S_NEEDS);
	CHECK(!virtio_net_tx_pending(&net));
}

TEST(net_tx_reset_clears_pending)
{
	fresh();
	post_tx(0, 60);
	wr(R_NOTIFY, VIRTIO_NET_TXQ);
	CHECK(virtio_net_tx_pending(&net));
	wr(R_STATUS, 0);
	CHECK(!virtio_net_tx_pending(&net));
	CHECK_EQ_U64(tx_batch(), 0);
	CHECK_EQ_U64(tx_calls, 0);
}
