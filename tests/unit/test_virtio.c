/* Unit tests of the virtio-mmio transport and split virtqueue (zones/virtio/) against fake guest
 * memory. */
#include <string.h>

#include "tests/unit/test.h"
#include "zones/virtio/mmio.h"
#include "zones/virtio/queue.h"

/* ---- fake guest memory: MEM_SIZE bytes at MEM_BASE, nothing else ---------- */
#define MEM_BASE 0x100000ull
#define MEM_SIZE 0x20000ull
#define QSIZE	 8
#define DESC	 (MEM_BASE + 0x0000)
#define AVAIL	 (MEM_BASE + 0x1000)
#define USED	 (MEM_BASE + 0x2000)
#define BUF	 (MEM_BASE + 0x4000)

#include "tests/virtio_fake_mem.h"
#include "tests/virtio_mmio_regs.h"

static void desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	put(DESC + 16 * i, addr, 8);
	put(DESC + 16 * i + 8, len, 4);
	put(DESC + 16 * i + 12, flags, 2);
	put(DESC + 16 * i + 14, next, 2);
}

/* The driver makes chain `head` available at free-running index idx. */
static void offer(uint16_t idx, uint16_t head)
{
	put(AVAIL + 4 + 2 * (idx % QSIZE), head, 2);
	put(AVAIL + 2, (uint16_t)(idx + 1), 2);
}

static void setup_queue(struct virtq *q)
{
	memset(mem, 0, sizeof(mem));
	CHECK(vq_init(q, &fake, QSIZE, DESC, AVAIL, USED, VQ_CHAIN_LEN_NET) == 0);
}

#define NEXT  VIRTQ_DESC_F_NEXT
#define WRITE VIRTQ_DESC_F_WRITE

/* ---- virtqueue ------------------------------------------------------------- */

TEST(vq_init_rejects_bad_sizes_and_alignment)
{
	struct virtq q;

	CHECK(vq_size_valid(1) && vq_size_valid(256) && vq_size_valid(32768));
	CHECK(!vq_size_valid(0) && !vq_size_valid(3) && !vq_size_valid(65536));
	CHECK(vq_init(&q, &fake, 0, DESC, AVAIL, USED, 100) < 0);
	CHECK(vq_init(&q, &fake, 6, DESC, AVAIL, USED, 100) < 0);
	CHECK(vq_init(&q, &fake, 8, DESC + 8, AVAIL, USED, 100) < 0);
	CHECK(vq_init(&q, &fake, 8, DESC, AVAIL + 1, USED, 100) < 0);
	CHECK(vq_init(&q, &fake, 8, DESC, AVAIL, USED + 2, 100) < 0);
	CHECK(vq_init(&q, &fake, 8, DESC, AVAIL, USED, 0) < 0);
	CHECK(vq_init(&q, &fake, 8, DESC, AVAIL, USED, VQ_CHAIN_LEN_LIMIT + 1) < 0);
	CHECK(vq_init(&q, &fake, 8, DESC, AVAIL, USED, 100) == 0);
}

TEST(vq_pop_empty_then_single)
{
	struct virtq q;
	struct vq_chain c;

	setup_queue(&q);
	CHECK(vq_pop(&q, &c) == 1);
	desc(3, BUF, 100, 0, 0);
	offer(0, 3);
	CHECK(vq_pop(&q, &c) == 0);
	CHECK_EQ_U64(c.head, 3);
	CHECK_EQ_U64(c.nsegs, 1);
	CHECK_EQ_U64(c.nreadable, 1);
	CHECK_EQ_U64(c.seg[0].gpa, BUF);
	CHECK_EQ_U64(c.seg[0].len, 100);
	CHECK(!c.seg[0].writable);
	CHECK_EQ_U64(c.readable_len, 100);
	CHECK_EQ_U64(c.writable_len, 0);
	CHECK(vq_pop(&q, &c) == 1);
}

TEST(vq_pop_readable_then_writable)
{
	struct virtq q;
	struct vq_chain c;

	setup_queue(&q);
	desc(0, BUF, 10, NEXT, 5);
	desc(5, BUF + 0x100, 20, NEXT | WRITE, 2);
	desc(2, BUF + 0x200, 30, WRITE, 7); /* next ignored without NEXT */
	offer(0, 0);
	CHECK(vq_pop(&q, &c) == 0);
	CHECK_EQ_U64(c.nsegs, 3);
	CHECK_EQ_U64(c.nreadable, 1);
	CHECK_EQ_U64(c.readable_len, 10);
	CHECK_EQ_U64(c.writable_len, 50);
	CHECK(c.seg[1].writable && c.seg[2].writable);
	CHECK_EQ_U64(c.seg[2].gpa, BUF + 0x200);
}

TEST(vq_pop_head_out_of_range)
{
	struct virtq q;
	struct vq_chain c;

	setup_queue(&q);
	offer(0, QSIZE);
	CHECK(vq_pop(&q, &c) == VQ_ERR_INDEX);
	CHECK(q.broken);
	CHECK(vq_pop(&q, &c) == VQ_ERR_BROKEN);
	CHECK(vq_push(&q, 0, 0) < 0);
}

TEST(vq_pop_next_out_of_range)
{
	struct virtq q;
	struct vq_chain c;

	setup_queue(&q);
	desc(0, BUF, 10, NEXT, 0xffff);
	offer(0, 0);
	CHECK(vq_pop(&q, &c) == VQ_ERR_INDEX);
}

TEST(vq_pop_loop)
{
	struct virtq q;
	struct vq_chain c;

	setup_queue(&q);
	desc(0, BUF, 10, NEXT, 1);
	desc(1, BUF, 10, NEXT, 0);
	offer(0, 0);
	CHECK(vq_pop(&q, &c) == VQ_ERR_LOOP);
	setup_queue(&q);
	desc(4, BUF, 10, NEXT, 4); /* a self-loop */
	offer(0, 4);
	CHECK(vq_pop(&q, &c) == VQ_ERR_LOOP);
}

TEST(vq_pop_longest_chain_is_queue_size)
{
	struct virtq q;
	struct vq_chain c;

	setup_queue(&q);
	for (unsigned i = 0; i < QSIZE; i++)
		desc(i, BUF, 1, i + 1 < QSIZE ? NEXT : 0, (uint16_t)(i + 1));
	offer(0, 0);
	CHECK(vq_pop(&q, &c) == 0);
	CHECK_EQ_U64(c.nsegs, QSIZE);
}

TEST(vq_pop_writable_before_readable)
{
	struct virtq q;
	struct vq_chain c;

	setup_queue(&q);
	desc(0, BUF, 10, NEXT | WRITE, 1);
	desc(1, BUF, 10, 0, 0);
	offer(0, 0);
	CHECK(vq_pop(&q, &c) == VQ_ERR_ORDER);
}

TEST(vq_pop_too_many_segments)
{
	static const struct vq_mem *m = &fake;
	struct virtq q;
	struct vq_chain c;

	memset(mem, 0, sizeof(mem));
	CHECK(vq_init(&q, m, 128, DESC, AVAIL + 0x1000, USED + 0x1000, VQ_CHAIN_LEN_NET) == 0);
	for (unsigned i = 0; i < 128; i++)
		desc(i, BUF, 1, NEXT, (uint16_t)(i + 1));
	put(AVAIL + 0x1000 + 4, 0, 2);
	put(AVAIL + 0x1000 + 2, 1, 2);
	CHECK(vq_pop(&q, &c) == VQ_ERR_SEGS);
	/* exactly VQ_MAX_SEGS is fine */
	CHECK(vq_init(&q, m, 128, DESC, AVAIL + 0x1000, USED + 0x1000, VQ_CHAIN_LEN_NET) == 0);
	desc(VQ_MAX_SEGS - 1, BUF, 1, 0, 0);
	CHECK(vq_pop(&q, &c) == 0);
	CHECK_EQ_U64(c.nsegs, VQ_MAX_SEGS);
}

TEST(vq_limit_segs_lowers_the_segment_limit)
{
	struct virtq q;
	struct vq_chain c;

	setup_queue(&q);
	vq_limit_segs(&q, 0);  /* out of range: ignored */
	vq_limit_segs(&q, 65); /* above VQ_MAX_SEGS: ignored */
	CHECK_EQ_U64(q.max_segs, VQ_MAX_SEGS);
	vq_limit_segs(&q, 4);
	for (unsigned i = 0; i < 5; i++)
		desc(i, BUF + 16 * i, 16, i < 4 ? NEXT : 0, (uint16_t)(i + 1));
	offer(0, 1); /* chain 1..4: exactly 4 segments */
	CHECK(vq_pop(&q, &c) == 0);
	CHECK_EQ_U64(c.nsegs, 4);
	offer(1, 0); /* chain 0..4: 5 segments */
	CHECK(vq_pop(&q, &c) == VQ_ERR_SEGS);
	CHECK(q.broken);
}

TEST(vq_loop_inside_the_segment_limit_is_a_loop)
{
	struct virtq q;
	struct vq_chain c;

	setup_queue(&q);
	vq_limit_segs(&q, 4);
	desc(0, BUF, 16, NEXT, 1);
	desc(1, BUF, 16, NEXT, 2);
	desc(2, BUF, 16, NEXT, 1); /* 0 -> 1 -> 2 -> 1: the 5th hop is a descriptor seen */
	offer(0, 0);
	CHECK(vq_pop(&q, &c) == VQ_ERR_LOOP);
}

TEST(vq_pop_too_long)
{
	struct virtq q;
	struct vq_chain c;

	setup_queue(&q);
	desc(0, BUF, VQ_CHAIN_LEN_NET, NEXT, 1);
	desc(1, BUF, 1, 0, 0);
	offer(0, 0);
	CHECK(vq_pop(&q, &c) == VQ_ERR_LEN);
	setup_queue(&q);
	desc(0, BUF, 0xffffffff, 0, 0); /* one huge descriptor */
	offer(0, 0);
	CHECK(vq_pop(&q, &c) == VQ_ERR_LEN);
	setup_queue(&q);
	desc(0, BUF, VQ_CHAIN_LEN_NET, 0, 0); /* exactly the limit */
	offer(0, 0);
	CHECK(vq_pop(&q, &c) == 0);
}

TEST(vq_pop_address_wraps)
{
	struct virtq q;
	struct vq_chain c;

	setup_queue(&q);
	desc(0, 0xfffffffffffffff0ull, 0x20, 0, 0);
	offer(0, 0);
	CHECK(vq_pop(&q, &c) == VQ_ERR_LEN);
}

TEST(vq_pop_bad_flags_and_zero_length)
{
	struct virtq q;
	struct vq_chain c;

	setup_queue(&q);
	desc(0, BUF, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0, 0);
	CHECK(vq_pop(&q, &c) == VQ_ERR_FLAGS);
	setup_queue(&q);
	desc(0, BUF, 16, 0x80, 0);
	offer(0, 0);
	CHECK(vq_pop(&q, &c) == VQ_ERR_FLAGS);
	setup_queue(&q);
	desc(0, BUF, 0, 0, 0);
	offer(0, 0);
	CHECK(vq_pop(&q, &c) == VQ_ERR_ZERO);
}

TEST(vq_pop_avail_idx_jump)
{
	struct virtq q;
	struct vq_chain c;

	setup_queue(&q);
	desc(0, BUF, 1, 0, 0);
	put(AVAIL + 2, QSIZE, 2); /* a full ring is fine */
	CHECK(vq_pop(&q, &c) == 0);
	setup_queue(&q);
	put(AVAIL + 2, QSIZE + 1, 2);
	CHECK(vq_pop(&q, &c) == VQ_ERR_AVAIL_IDX);
	setup_queue(&q);
	put(AVAIL + 2, 0xffff, 2); /* "behind" is a huge jump ahead too */
	CHECK(vq_pop(&q, &c) == VQ_ERR_AVAIL_IDX);
}

TEST(vq_rings_outside_memory)
{
	struct virtq q;
	struct vq_chain c;

	memset(mem, 0, sizeof(mem));
	CHECK(vq_init(&q, &fake, QSIZE, DESC, 0x1000, USED, 100) == 0);
	CHECK(vq_pop(&q, &c) == VQ_ERR_MEM);
	CHECK(vq_init(&q, &fake, QSIZE, MEM_BASE + MEM_SIZE - 32, AVAIL, USED, 100) == 0);
	put(AVAIL + 4, 5, 2); /* descriptor 5 lies past the end of memory */
	put(AVAIL + 2, 1, 2);
	CHECK(vq_pop(&q, &c) == VQ_ERR_MEM);
	CHECK(vq_init(&q, &fake, QSIZE, DESC, AVAIL, 0x4000, 100) == 0);
	CHECK(vq_push(&q, 0, 0) < 0);
}

TEST(vq_copy_gather_scatter)
{
	struct virtq q;
	struct vq_chain c;
	uint8_t out[32], in[32];

	setup_queue(&q);
	for (unsigned i = 0; i < 8; i++)
		mem[BUF - MEM_BASE + i] = (uint8_t)('a' + i);
	for (unsigned i = 0; i < 4; i++)
		mem[BUF + 0x100 - MEM_BASE + i] = (uint8_t)('A' + i);
	desc(0, BUF, 8, NEXT, 1);
	desc(1, BUF + 0x100, 4, NEXT, 2);
	desc(2, BUF + 0x200, 3, NEXT | WRITE, 3);
	desc(3, BUF + 0x300, 5, WRITE, 0);
	offer(0, 0);
	CHECK(vq_pop(&q, &c) == 0);
	CHECK(vq_copy_from_chain(&q, &c, 0, out, sizeof(out)) == 12);
	CHECK(memcmp(out, "abcdefghABCD", 12) == 0);
	CHECK(vq_copy_from_chain(&q, &c, 6, out, 4) == 4);
	CHECK(memcmp(out, "ghAB", 4) == 0);
	CHECK(vq_copy_from_chain(&q, &c, 12, out, 4) == 0);
	memcpy(in, "0123456789", 10);
	CHECK(vq_copy_to_chain(&q, &c, 0, in, 10) == 8); /* capacity is 8 */
	CHECK(memcmp(mem + (BUF + 0x200 - MEM_BASE), "012", 3) == 0);
	CHECK(memcmp(mem + (BUF + 0x300 - MEM_BASE), "34567", 5) == 0);
	CHECK(vq_copy_to_chain(&q, &c, 4, "xy", 2) == 2);
	CHECK(memcmp(mem + (BUF + 0x300 - MEM_BASE), "3xy67", 5) == 0);
}

TEST(vq_copy_segment_outside_memory)
{
	struct virtq q;
	struct vq_chain c;
	uint8_t out[16];

	setup_queue(&q);
	desc(0, MEM_BASE + MEM_SIZE - 4, 8, NEXT, 1); /* straddles the end */
	desc(1, 0x1000, 8, WRITE, 0);		      /* wholly outside */
	offer(0, 0);
	CHECK(vq_pop(&q, &c) == 0); /* addresses are checked at copy time */
	CHECK(vq_copy_from_chain(&q, &c, 0, out, 8) == -1);
	CHECK(vq_copy_from_chain(&q, &c, 0, out, 4) == 4);
	CHECK(vq_copy_to_chain(&q, &c, 0, out, 1) == -1);
}

TEST(vq_push_used_ring)
{
	struct virtq q;
	struct vq_chain c;

	setup_queue(&q);
	desc(6, BUF, 10, WRITE, 0);
	offer(0, 6);
	CHECK(vq_pop(&q, &c) == 0);
	CHECK(vq_push(&q, c.head, 7) == 0);
	CHECK_EQ_U64(get(USED + 2, 2), 1);
	CHECK_EQ_U64(get(USED + 4, 4), 6);
	CHECK_EQ_U64(get(USED + 8, 4), 7);
	CHECK(vq_push(&q, QSIZE, 0) < 0);
	CHECK_EQ_U64(get(USED + 2, 2), 1);
}

TEST(vq_indices_wrap_at_16_bits)
{
	struct virtq q;
	struct vq_chain c;
	uint16_t idx = 0xfffd;

	setup_queue(&q);
	q.last_avail = idx;
	q.used_idx = idx;
	desc(1, BUF, 4, 0, 0);
	for (unsigned n = 0; n < 6; n++, idx++) {
		offer(idx, 1);
		CHECK(vq_pop(&q, &c) == 0);
		CHECK(vq_push(&q, c.head, n) == 0);
		CHECK_EQ_U64(get(USED + 2, 2), (uint16_t)(idx + 1));
		CHECK_EQ_U64(get(USED + 4 + 8 * (idx % QSIZE) + 4, 4), n);
	}
	CHECK_EQ_U64(q.last_avail, 3);
	CHECK(vq_pop(&q, &c) == 1);
}

TEST(vq_no_interrupt_flag)
{
	struct virtq q;

	setup_queue(&q);
	CHECK(vq_wants_interrupt(&q));
	put(AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT, 2);
	CHECK(!vq_wants_interrupt(&q));
}

TEST(vq_chain_snapshot_survives_rewrite)
{
	struct virtq q;
	struct vq_chain c;
	uint8_t out[4];

	setup_queue(&q);
	memcpy(mem + (BUF - MEM_BASE), "good", 4);
	desc(0, BUF, 4, 0, 0);
	offer(0, 0);
	CHECK(vq_pop(&q, &c) == 0);
	desc(0, 0x1000, 0xffffffff, 0, 0); /* the guest rewrites it after the pop */
	CHECK(vq_copy_from_chain(&q, &c, 0, out, 4) == 4);
	CHECK(memcmp(out, "good", 4) == 0);
}

/* ---- virtio-mmio transport ------------------------------------------------- */
#define S_ACK	  VIRTIO_STATUS_ACKNOWLEDGE
#define S_DRV	  VIRTIO_STATUS_DRIVER
#define S_FEAT_OK VIRTIO_STATUS_FEATURES_OK
#define S_DRV_OK  VIRTIO_STATUS_DRIVER_OK

struct fake_dev {
	uint8_t config[8];
	unsigned notified[VIRTIO_MMIO_MAX_QUEUES];
	unsigned resets;
};

static uint32_t dev_config_read(void *dev, uint32_t off, unsigned size)
{
	struct fake_dev *d = dev;
	uint32_t v = 0;

	memcpy(&v, d->config + off, size);
	return v;
}

static void dev_config_write(void *dev, uint32_t off, unsigned size, uint32_t value)
{
	struct fake_dev *d = dev;

	memcpy(d->config + off, &value, size);
}

static void dev_notify(void *dev, unsigned queue)
{
	((struct fake_dev *)dev)->notified[queue]++;
}

static void dev_reset(void *dev)
{
	((struct fake_dev *)dev)->resets++;
}

#define DEV_FEATURES ((1ull << 5) | (1ull << 16) | VIRTIO_F_VERSION_1 | (1ull << 28))

static const struct virtio_mmio_dev_ops dev_ops = {
	.device_id = 1,
	.vendor_id = 0x5a56,
	.features = DEV_FEATURES, /* bit 28 (INDIRECT_DESC) must not be offered */
	.queue_max = 256,
	.num_queues = 2,
	.config_size = 6,
	.config_read = dev_config_read,
	.config_write = dev_config_write,
	.notify = dev_notify,
	.reset = dev_reset,
};

static struct fake_dev fdev;

static uint32_t rd(struct virtio_mmio *m, uint64_t off)
{
	return virtio_mmio_read(m, off, 4);
}

static void wr(struct virtio_mmio *m, uint64_t off, uint32_t v)
{
	virtio_mmio_write(m, off, 4, v);
}

static void mmio_setup(struct virtio_mmio *m)
{
	memset(&fdev, 0, sizeof(fdev));
	memcpy(fdev.config, "\x52\x54\x00\x12\x34\x56", 6);
	memset(m, 0xa5, sizeof(*m));
	virtio_mmio_init(m, &dev_ops, &fdev);
}

/* 3.1.1 steps 1-6 with the given driver features; returns the final status. */
static uint32_t negotiate(struct virtio_mmio *m, uint64_t features)
{
	wr(m, R_STATUS, S_ACK);
	wr(m, R_STATUS, S_ACK | S_DRV);
	wr(m, R_DRV_FEAT_SEL, 0);
	wr(m, R_DRV_FEAT, (uint32_t)features);
	wr(m, R_DRV_FEAT_SEL, 1);
	wr(m, R_DRV_FEAT, (uint32_t)(features >> 32));
	wr(m, R_STATUS, S_ACK | S_DRV | S_FEAT_OK);
	return rd(m, R_STATUS);
}

static void setup_mmio_queue(struct virtio_mmio *m, uint32_t qi, uint32_t num)
{
	wr(m, R_QUEUE_SEL, qi);
	wr(m, R_QUEUE_NUM, num);
	wr(m, R_DESC_LOW, (uint32_t)DESC);
	wr(m, R_DESC_HIGH, 0);
	wr(m, R_DRIVER_LOW, (uint32_t)AVAIL);
	wr(m, R_DEVICE_LOW, (uint32_t)USED);
	wr(m, R_QUEUE_READY, 1);
}

TEST(mmio_identity_registers)
{
	struct virtio_mmio m;

	mmio_setup(&m);
	CHECK_EQ_U64(rd(&m, R_MAGIC), 0x74726976);
	CHECK_EQ_U64(rd(&m, R_VERSION), 2);
	CHECK_EQ_U64(rd(&m, R_DEVICE_ID), 1);
	CHECK_EQ_U64(rd(&m, R_VENDOR_ID), 0x5a56);
	CHECK_EQ_U64(rd(&m, R_STATUS), 0);
	CHECK_EQ_U64(fdev.resets, 1);
	CHECK_EQ_U64(m.bad_accesses, 0);
}

TEST(mmio_device_features_in_halves)
{
	struct virtio_mmio m;

	mmio_setup(&m);
	CHECK_EQ_U64(rd(&m, R_DEV_FEAT), (1u << 5) | (1u << 16)); /* no bit 28 */
	wr(&m, R_DEV_FEAT_SEL, 1);
	CHECK_EQ_U64(rd(&m, R_DEV_FEAT), 1); /* VERSION_1 is bit 32 */
	wr(&m, R_DEV_FEAT_SEL, 2);
	CHECK_EQ_U64(rd(&m, R_DEV_FEAT), 0);
}

TEST(mmio_init_sequence_succeeds)
{
	struct virtio_mmio m;

	mmio_setup(&m);
	CHECK_EQ_U64(negotiate(&m, VIRTIO_F_VERSION_1 | (1u << 5)), S_ACK | S_DRV | S_FEAT_OK);
	CHECK_EQ_U64(m.driver_features, VIRTIO_F_VERSION_1 | (1u << 5));
	setup_mmio_queue(&m, 0, 128);
	setup_mmio_queue(&m, 1, 256);
	wr(&m, R_STATUS, S_ACK | S_DRV | S_FEAT_OK | S_DRV_OK);
	CHECK_EQ_U64(rd(&m, R_STATUS), S_ACK | S_DRV | S_FEAT_OK | S_DRV_OK);
	CHECK(virtio_mmio_live(&m));
	CHECK_EQ_U64(m.bad_accesses, 0);
	wr(&m, R_QUEUE_SEL, 1);
	CHECK_EQ_U64(rd(&m, R_QUEUE_READY), 1);
	CHECK_EQ_U64(m.queue[1].num, 256);
	CHECK_EQ_U64(m.queue[1].desc, DESC);
	CHECK_EQ_U64(m.queue[1].driver, AVAIL);
	CHECK_EQ_U64(m.queue[1].device, USED);
}

TEST(mmio_features_must_be_offered_and_version_1)
{
	struct virtio_mmio m;

	mmio_setup(&m);
	CHECK_EQ_U64(negotiate(&m, 1u << 5), S_ACK | S_DRV); /* no VERSION_1 */
	wr(&m, R_STATUS, S_ACK | S_DRV | S_FEAT_OK | S_DRV_OK);
	CHECK(!(rd(&m, R_STATUS) & S_DRV_OK));
	mmio_setup(&m);
	CHECK_EQ_U64(negotiate(&m, VIRTIO_F_VERSION_1 | (1u << 28)), S_ACK | S_DRV);
	mmio_setup(&m);
	CHECK_EQ_U64(negotiate(&m, VIRTIO_F_VERSION_1 | (1ull << 40)), S_ACK | S_DRV);
}

TEST(mmio_status_order_enforced)
{
	struct virtio_mmio m;

	mmio_setup(&m);
	wr(&m, R_STATUS, S_DRV); /* DRIVER before ACKNOWLEDGE */
	CHECK_EQ_U64(rd(&m, R_STATUS), 0);
	wr(&m, R_STATUS, S_ACK | S_DRV_OK); /* DRIVER_OK before FEATURES_OK */
	CHECK_EQ_U64(rd(&m, R_STATUS), 0);
	wr(&m, R_STATUS, S_ACK);
	wr(&m, R_STATUS, S_ACK | S_FEAT_OK); /* FEATURES_OK before DRIVER */
	CHECK_EQ_U64(rd(&m, R_STATUS), S_ACK);
	CHECK_EQ_U64(m.bad_accesses, 3);
	negotiate(&m, VIRTIO_F_VERSION_1);
	wr(&m, R_STATUS, S_ACK | S_FEAT_OK); /* clearing DRIVER */
	CHECK_EQ_U64(rd(&m, R_STATUS), S_ACK | S_DRV | S_FEAT_OK);
	wr(&m, R_DRV_FEAT, 0); /* features are fixed after FEATURES_OK */
	CHECK_EQ_U64(m.driver_features, VIRTIO_F_VERSION_1);
	CHECK_EQ_U64(m.bad_accesses, 5);
	wr(&m, R_STATUS, S_ACK | S_DRV | S_FEAT_OK | VIRTIO_STATUS_FAILED);
	CHECK(rd(&m, R_STATUS) & VIRTIO_STATUS_FAILED);
}

TEST(mmio_reset_clears_everything)
{
	struct virtio_mmio m;
	uint32_t gen;

	mmio_setup(&m);
	negotiate(&m, VIRTIO_F_VERSION_1);
	setup_mmio_queue(&m, 0, 64);
	wr(&m, R_STATUS, S_ACK | S_DRV | S_FEAT_OK | S_DRV_OK);
	virtio_mmio_raise(&m, VIRTIO_MMIO_INT_VRING);
	wr(&m, 0x0f0, 0); /* one bad access, kept across the reset */
	gen = rd(&m, R_CONFIG_GEN);
	wr(&m, R_STATUS, 0);
	CHECK_EQ_U64(fdev.resets, 2);
	CHECK_EQ_U64(rd(&m, R_STATUS), 0);
	CHECK_EQ_U64(m.driver_features, 0);
	CHECK_EQ_U64(rd(&m, R_INT_STATUS), 0);
	CHECK_EQ_U64(rd(&m, R_QUEUE_READY), 0);
	CHECK_EQ_U64(m.queue[0].num, 0);
	CHECK_EQ_U64(m.queue[0].desc, 0);
	CHECK_EQ_U64(m.queue_sel, 0);
	CHECK(rd(&m, R_CONFIG_GEN) != gen);
	CHECK_EQ_U64(m.bad_accesses, 1);
	CHECK(!virtio_mmio_irq_line(&m));
}

TEST(mmio_queue_setup_rules)
{
	struct virtio_mmio m;

	mmio_setup(&m);
	negotiate(&m, VIRTIO_F_VERSION_1);
	wr(&m, R_QUEUE_SEL, 0);
	CHECK_EQ_U64(rd(&m, R_QUEUE_MAX), 256);
	wr(&m, R_QUEUE_SEL, 2);
	CHECK_EQ_U64(rd(&m, R_QUEUE_MAX), 0); /* no such queue */
	wr(&m, R_QUEUE_NUM, 8);
	CHECK_EQ_U64(m.bad_accesses, 1);
	wr(&m, R_QUEUE_SEL, 0);
	wr(&m, R_QUEUE_NUM, 512); /* above QueueNumMax */
	wr(&m, R_QUEUE_NUM, 12);  /* not a power of 2 */
	CHECK_EQ_U64(m.queue[0].num, 0);
	wr(&m, R_QUEUE_READY, 1); /* QueueNum never set */
	CHECK_EQ_U64(rd(&m, R_QUEUE_READY), 0);
	wr(&m, R_QUEUE_NUM, 8);
	wr(&m, R_DESC_LOW, 0x1008); /* misaligned descriptor table */
	wr(&m, R_QUEUE_READY, 1);
	CHECK_EQ_U64(rd(&m, R_QUEUE_READY), 0);
	CHECK_EQ_U64(m.bad_accesses, 5);
	setup_mmio_queue(&m, 0, 8);
	CHECK_EQ_U64(rd(&m, R_QUEUE_READY), 1);
	wr(&m, R_QUEUE_NUM, 4); /* while ready */
	wr(&m, R_DESC_LOW, 0);
	CHECK_EQ_U64(m.queue[0].num, 8);
	CHECK_EQ_U64(m.queue[0].desc, DESC);
	CHECK_EQ_U64(m.bad_accesses, 7);
	wr(&m, R_QUEUE_READY, 0); /* stopping is allowed */
	CHECK_EQ_U64(rd(&m, R_QUEUE_READY), 0);
	wr(&m, R_STATUS, S_ACK | S_DRV | S_FEAT_OK | S_DRV_OK);
	wr(&m, R_QUEUE_NUM, 4); /* after DRIVER_OK */
	wr(&m, R_QUEUE_READY, 1);
	CHECK_EQ_U64(m.queue[0].num, 8);
	CHECK_EQ_U64(rd(&m, R_QUEUE_READY), 0);
	CHECK_EQ_U64(m.bad_accesses, 9);
}

TEST(mmio_queue_init_builds_virtq)
{
	struct virtio_mmio m;
	struct virtq q;
	struct vq_chain c;

	mmio_setup(&m);
	memset(mem, 0, sizeof(mem));
	negotiate(&m, VIRTIO_F_VERSION_1);
	CHECK(virtio_mmio_queue_init(&m, 0, &q, &fake, 100) < 0); /* not ready */
	setup_mmio_queue(&m, 0, QSIZE);
	CHECK(virtio_mmio_queue_init(&m, 0, &q, &fake, 100) == 0);
	CHECK(virtio_mmio_queue_init(&m, 2, &q, &fake, 100) < 0);
	desc(0, BUF, 10, 0, 0);
	offer(0, 0);
	CHECK(vq_pop(&q, &c) == 0);
}

TEST(mmio_notify)
{
	struct virtio_mmio m;

	mmio_setup(&m);
	negotiate(&m, VIRTIO_F_VERSION_1);
	setup_mmio_queue(&m, 1, 8);
	wr(&m, R_NOTIFY, 1); /* ready, but before DRIVER_OK: accepted, not delivered */
	CHECK_EQ_U64(fdev.notified[1], 0);
	wr(&m, R_STATUS, S_ACK | S_DRV | S_FEAT_OK | S_DRV_OK);
	wr(&m, R_NOTIFY, 1);
	CHECK_EQ_U64(fdev.notified[1], 1);
	wr(&m, R_NOTIFY, 0); /* not ready */
	wr(&m, R_NOTIFY, 7); /* no such queue */
	CHECK_EQ_U64(fdev.notified[0], 0);
	CHECK_EQ_U64(m.bad_accesses, 2);
	virtio_mmio_needs_reset(&m);
	wr(&m, R_NOTIFY, 1); /* a device needing reset does no work */
	CHECK_EQ_U64(fdev.notified[1], 1);
}

TEST(mmio_interrupt_status_and_ack)
{
	struct virtio_mmio m;

	mmio_setup(&m);
	CHECK(!virtio_mmio_irq_line(&m));
	virtio_mmio_raise(&m, VIRTIO_MMIO_INT_VRING | 0x80);
	CHECK(virtio_mmio_irq_line(&m));
	CHECK_EQ_U64(rd(&m, R_INT_STATUS), 1);
	virtio_mmio_config_changed(&m);
	CHECK_EQ_U64(rd(&m, R_INT_STATUS), 3);
	wr(&m, R_INT_ACK, 1);
	CHECK_EQ_U64(rd(&m, R_INT_STATUS), 2);
	CHECK(virtio_mmio_irq_line(&m));
	wr(&m, R_INT_ACK, 2);
	CHECK(!virtio_mmio_irq_line(&m));
}

TEST(mmio_needs_reset)
{
	struct virtio_mmio m;

	mmio_setup(&m);
	negotiate(&m, VIRTIO_F_VERSION_1);
	virtio_mmio_needs_reset(&m);
	CHECK(rd(&m, R_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	CHECK_EQ_U64(rd(&m, R_INT_STATUS), VIRTIO_MMIO_INT_CONFIG);
	/* the driver's read-modify-write keeps it; the driver cannot clear it */
	wr(&m, R_STATUS, S_ACK | S_DRV | S_FEAT_OK);
	CHECK(rd(&m, R_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	wr(&m, R_STATUS, 0);
	CHECK_EQ_U64(rd(&m, R_STATUS), 0);
}

TEST(mmio_config_space)
{
	struct virtio_mmio m;

	mmio_setup(&m);
	CHECK_EQ_U64(virtio_mmio_read(&m, 0x100, 1), 0x52);
	CHECK_EQ_U64(virtio_mmio_read(&m, 0x104, 2), 0x5634);
	CHECK_EQ_U64(virtio_mmio_read(&m, 0x100, 4), 0x12005452);
	CHECK_EQ_U64(m.bad_accesses, 0);
	CHECK_EQ_U64(virtio_mmio_read(&m, 0x104, 4), 0); /* past config_size */
	CHECK_EQ_U64(virtio_mmio_read(&m, 0x101, 2), 0); /* misaligned */
	CHECK_EQ_U64(virtio_mmio_read(&m, 0x100, 8), 0); /* size */
	CHECK_EQ_U64(m.bad_accesses, 3);
	virtio_mmio_write(&m, 0x105, 1, 0x99);
	CHECK_EQ_U64(fdev.config[5], 0x99);
	virtio_mmio_write(&m, 0x106, 1, 0x99);
	CHECK_EQ_U64(m.bad_accesses, 4);
}

TEST(mmio_bad_accesses)
{
	struct virtio_mmio m;

	mmio_setup(&m);
	CHECK_EQ_U64(virtio_mmio_read(&m, R_MAGIC, 2), 0);
	CHECK_EQ_U64(virtio_mmio_read(&m, R_MAGIC + 1, 4), 0);
	CHECK_EQ_U64(virtio_mmio_read(&m, R_MAGIC, 8), 0);
	CHECK_EQ_U64(rd(&m, R_NOTIFY), 0); /* write-only */
	CHECK_EQ_U64(rd(&m, 0x0e0), 0);	   /* undefined */
	CHECK_EQ_U64(rd(&m, 0x200), 0);	   /* outside the window */
	CHECK_EQ_U64(m.bad_accesses, 6);
	wr(&m, R_MAGIC, 0); /* read-only */
	wr(&m, R_QUEUE_MAX, 0);
	virtio_mmio_write(&m, R_STATUS, 1, S_ACK); /* byte write */
	virtio_mmio_write(&m, R_STATUS + 2, 4, S_ACK);
	CHECK_EQ_U64(rd(&m, R_STATUS), 0);
	CHECK_EQ_U64(m.bad_accesses, 10);
}
