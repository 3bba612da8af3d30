/* Native microbenchmark of a transmit flood (issue 16): the network lock's longest hold, before and
 * after bounded batches, with the real virtio-net, virtqueue and switch code. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zones/net/switch.h"
#include "zones/virtio/net.h"

#define MEM_BASE 0x100000ull
#define MEM_SIZE 0x20000ull
#include "tests/virtio_fake_mem.h"

#define QSIZE  256 /* VIRTIO_NET_QUEUE_MAX: the attacker's ring */
#define DESC   (MEM_BASE + 0x0000)
#define AVAIL  (MEM_BASE + 0x1000)
#define USED   (MEM_BASE + 0x2000)
#define FRAME  (MEM_BASE + 0x4000)
#define ROUNDS 200

static struct net_switch sw;
static struct policy deny_all;
static struct switch_out out;
static const uint8_t gw_mac[6] = {0x02, 0x5a, 0x56, 0x00, 0x00, 0x01};
static const uint8_t zone_mac[6] = {0x02, 0x5a, 0x56, 0x01, 0x00, 0x00};
static uint8_t bounce[VIRTIO_NET_FRAME_MAX];
static char line[SWITCH_DENY_LINE_MAX];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void put(uint64_t gpa, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		mem[gpa - MEM_BASE + i] = (uint8_t)(v >> (8 * i));
}

/* The header and a 1514-byte UDP frame to a denied address, cut into segs descriptors. */
static void chain(unsigned segs)
{
	uint8_t *f = mem + (FRAME - MEM_BASE) + VIRTIO_NET_HDR_LEN;
	uint32_t total = VIRTIO_NET_HDR_LEN + VIRTIO_NET_FRAME_MAX, piece = total / segs;

	memset(mem + (FRAME - MEM_BASE), 0, total);
	memcpy(f, gw_mac, 6);
	memcpy(f + 6, zone_mac, 6);
	memcpy(f + 12, "\x08\x00\x45\x00\x05\xdc\x00\x00\x00\x00\x40\x11\x00\x00", 14);
	memcpy(f + 26, "\x0a\x4d\x00\x0a\xc6\x33\x64\x01\x00\x09\x00\x09\x05\xc8", 14);
	for (unsigned i = 0; i < segs; i++) {
		uint32_t len = i + 1 < segs ? piece : total - piece * i;

		put(DESC + 16 * i, FRAME + piece * i, 8);
		put(DESC + 16 * i + 8, len, 4);
		put(DESC + 16 * i + 12, i + 1 < segs ? VIRTQ_DESC_F_NEXT : 0, 2);
		put(DESC + 16 * i + 14, i + 1, 2);
	}
}

/* Fills the avail ring: QSIZE more entries naming chain 0. */
static void offer_ring(uint16_t *idx)
{
	for (unsigned i = 0; i < QSIZE; i++)
		put(AVAIL + 4 + 2 * i, 0, 2);
	*idx = (uint16_t)(*idx + QSIZE);
	put(AVAIL + 2, *idx, 2);
}

/* What nic.c does for one frame under net_lock: the switch decision and the deny line. */
static void switch_one(size_t len)
{
	switch_from_agent(&sw, 0, bounce, len, 1, &out);
	if (out.reason != SWITCH_PASS)
		switch_format_deny(&out, line, sizeof(line));
}

/* Before: one notify drained the whole ring, every frame under net_lock. */
static double old_notify_us(void)
{
	struct virtq q;
	struct vq_chain c;
	uint16_t idx = 0;
	uint64_t t0, best = UINT64_MAX;

	chain(64);
	vq_init(&q, &fake, QSIZE, DESC, AVAIL, USED, VQ_CHAIN_LEN_NET);
	for (int r = 0; r < ROUNDS; r++) {
		offer_ring(&idx);
		t0 = now_ns();
		while (vq_pop(&q, &c) == 0) {
			int n = vq_copy_from_chain(&q, &c, VIRTIO_NET_HDR_LEN, bounce,
						   c.readable_len - VIRTIO_NET_HDR_LEN);

			vq_push(&q, c.head, 0);
			switch_one((size_t)n);
		}
		if (now_ns() - t0 < best)
			best = now_ns() - t0;
	}
	return best / 1e3;
}

/* After: one batch of Linux-shaped chains (header and data: 2 descriptors,
 * so the frame budget binds, not the descriptor one), and one frame's switch work. */
static void new_batch_us(double *batch, double *frame)
{
	static struct virtio_net n;
	uint16_t idx = 0;
	uint64_t t0, best = UINT64_MAX, one = UINT64_MAX;

	virtio_net_init(&n, zone_mac, &fake);
	virtio_mmio_write(&n.mmio, 0x070, 4, 1 | 2);
	virtio_mmio_write(&n.mmio, 0x024, 4, 1);
	virtio_mmio_write(&n.mmio, 0x020, 4, 1);
	virtio_mmio_write(&n.mmio, 0x070, 4, 1 | 2 | 8);
	virtio_mmio_write(&n.mmio, 0x030, 4, VIRTIO_NET_TXQ);
	virtio_mmio_write(&n.mmio, 0x038, 4, QSIZE);
	virtio_mmio_write(&n.mmio, 0x080, 4, (uint32_t)DESC);
	virtio_mmio_write(&n.mmio, 0x090, 4, (uint32_t)AVAIL);
	virtio_mmio_write(&n.mmio, 0x0a0, 4, (uint32_t)USED);
	virtio_mmio_write(&n.mmio, 0x044, 4, 1);
	virtio_mmio_write(&n.mmio, 0x070, 4, 1 | 2 | 8 | 4);
	chain(2);
	for (int r = 0; r < ROUNDS; r++) {
		size_t len;

		if (r % (QSIZE / VIRTIO_NET_TX_BATCH_FRAMES) == 0)
			offer_ring(&idx);
		virtio_mmio_write(&n.mmio, 0x050, 4, VIRTIO_NET_TXQ);
		t0 = now_ns();
		virtio_net_tx_begin(&n);
		while ((len = virtio_net_tx_next(&n, bounce)) != 0) {
			uint64_t f0 = now_ns();

			switch_one(len);
			if (now_ns() - f0 < one)
				one = now_ns() - f0;
		}
		if (now_ns() - t0 < best)
			best = now_ns() - t0;
	}
	if (n.stats.refused || n.stats.tx_frames != (uint64_t)ROUNDS * VIRTIO_NET_TX_BATCH_FRAMES) {
		fprintf(stderr, "bench_net_flood: the batches did not run as expected\n");
		exit(1);
	}
	*batch = best / 1e3;
	*frame = one / 1e3;
}

int main(void)
{
	double old, batch, frame;

	policy_init(&deny_all, 1);
	switch_init(&sw, 0x0a4d0000u, gw_mac);
	if (switch_add_port(&sw, zone_mac, 0x0a4d000au, &deny_all) != 0) {
		fprintf(stderr, "bench_net_flood: no port\n");
		return 1;
	}
	old = old_notify_us();
	new_batch_us(&batch, &frame);
	printf("bench: net_flood_notify_before_us %.1f (256 frames of 64 descriptors, "
	       "all under net_lock)\n",
	       old);
	printf("bench: net_flood_batch_us %.1f (%d frames of 2 descriptors, net_lock per frame)\n",
	       batch, VIRTIO_NET_TX_BATCH_FRAMES);
	printf("bench: net_flood_lock_hold_us %.2f (one frame's switch work)\n", frame);
	printf("bench: net_flood_lock_hold_ratio %.4f\n", frame / old);
	return 0;
}
