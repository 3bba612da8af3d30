/* libFuzzer target for the virtio-mmio transport and split virtqueue: random
 * register accesses, then random descriptor tables and rings in fake guest
 * memory driven through vq_pop, the chain copies and vq_push.  Every byte is
 * the guest's; ASan/UBSan and the invariants below report what goes wrong. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zones/virtio/mmio.h"
#include "zones/virtio/queue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MEM_BASE 0x10000ull
#define MEM_SIZE 0x4000ull

#include "tests/virtio_fake_mem.h"

#include "tests/fuzz/fuzz_cursor.h"

static uint8_t config[8];
static unsigned notifies;

static uint32_t cfg_read(void *dev, uint32_t off, unsigned size)
{
	uint32_t v = 0;

	(void)dev;
	if (off + size > sizeof(config))
		abort();
	memcpy(&v, config + off, size);
	return v;
}

static void cfg_write(void *dev, uint32_t off, unsigned size, uint32_t value)
{
	(void)dev;
	if (off + size > sizeof(config))
		abort();
	memcpy(config + off, &value, size);
}

static void notify(void *dev, unsigned queue)
{
	(void)dev;
	if (queue >= 2)
		abort();
	notifies++;
}

static const struct virtio_mmio_dev_ops ops = {
	.device_id = 1,
	.features = 0xffffffffffffffffull,
	.queue_max = 256,
	.num_queues = 2,
	.config_size = sizeof(config),
	.config_read = cfg_read,
	.config_write = cfg_write,
	.notify = notify,
};

static void check_mmio(const struct virtio_mmio *m)
{
	for (unsigned i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++) {
		if (m->queue[i].ready && !vq_size_valid(m->queue[i].num))
			abort();
	}
	if ((m->status & VIRTIO_STATUS_DRIVER_OK) && !(m->status & VIRTIO_STATUS_FEATURES_OK))
		abort();
	if ((m->status & VIRTIO_STATUS_FEATURES_OK) &&
	    (m->driver_features & ~virtio_mmio_offered(m)))
		abort();
}

static void fuzz_mmio(struct cursor *c)
{
	struct virtio_mmio m;
	unsigned steps = (unsigned)take(c, 1);

	virtio_mmio_init(&m, &ops, NULL);
	for (unsigned i = 0; i < steps && c->left; i++) {
		uint64_t off = take(c, 2) % (VIRTIO_MMIO_SIZE + 8);
		unsigned size = (unsigned)take(c, 1) % 9;

		if (take(c, 1) & 1)
			virtio_mmio_write(&m, off, size, (uint32_t)take(c, 4));
		else
			virtio_mmio_read(&m, off, size);
		check_mmio(&m);
	}
}

static void check_chain(const struct virtq *q, const struct vq_chain *ch)
{
	uint64_t total = 0;

	if (ch->head >= q->size || ch->nsegs > VQ_MAX_SEGS || ch->nreadable > ch->nsegs)
		abort();
	for (unsigned i = 0; i < ch->nsegs; i++) {
		if (!ch->seg[i].len || ch->seg[i].writable != (i >= ch->nreadable))
			abort();
		total += ch->seg[i].len;
	}
	if (total > q->max_len || total != (uint64_t)ch->readable_len + ch->writable_len)
		abort();
}

static void fuzz_queue(struct cursor *c)
{
	static uint8_t buf[VQ_CHAIN_LEN_NET];
	struct virtq q;
	struct vq_chain ch;
	uint16_t qsize = (uint16_t)(1u << (take(c, 1) % 9));
	size_t n = c->left < MEM_SIZE ? c->left : MEM_SIZE;

	memset(mem, 0, sizeof(mem));
	memcpy(mem, c->p, n); /* rings at fixed places, contents all the guest's */
	if (vq_init(&q, &fake, qsize, MEM_BASE, MEM_BASE + 0x1000, MEM_BASE + 0x2000,
		    VQ_CHAIN_LEN_NET))
		abort();
	for (unsigned i = 0; i < 2 * qsize + 2; i++) {
		int r = vq_pop(&q, &ch), got;

		if (r == 1 || r < 0)
			break;
		check_chain(&q, &ch);
		if (vq_copy_from_chain(&q, &ch, i % 7, buf, sizeof(buf)) > (int)ch.readable_len)
			abort();
		got = vq_copy_to_chain(&q, &ch, i % 5, buf, ch.writable_len);
		if (got > (int)ch.writable_len)
			abort();
		if (vq_push(&q, ch.head, got < 0 ? 0 : (uint32_t)got) && !q.broken)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor c = {data, size};

	if (take(&c, 1) & 1)
		fuzz_mmio(&c);
	else
		fuzz_queue(&c);
	return 0;
}
