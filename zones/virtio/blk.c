/* The virtio-blk device model (VIRTIO 1.1 5.2): checked requests, a bounce buffer, bounded batches.
 */
#include "zones/virtio/blk.h"

#include "hv/lib/string.h"

/* Config space offsets (5.2.4). */
#define CFG_CAPACITY 0	/* le64: 512-byte sectors */
#define CFG_SIZE_MAX 8	/* le32 */
#define CFG_SEG_MAX  12 /* le32 */
#define CFG_BLK_SIZE 20 /* le32; geometry (16..19) stays 0 */

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint32_t config_read(void *dev, uint32_t off, unsigned size)
{
	const struct virtio_blk *b = dev;
	uint8_t cfg[VIRTIO_BLK_CONFIG_SIZE] = {0};

	put_le(cfg + CFG_CAPACITY, b->disk.size / DISK_SECTOR, 8);
	put_le(cfg + CFG_SIZE_MAX, VIRTIO_BLK_SIZE_MAX, 4);
	put_le(cfg + CFG_SEG_MAX, VIRTIO_BLK_SEG_MAX, 4);
	put_le(cfg + CFG_BLK_SIZE, DISK_SECTOR, 4);
	/* the transport checked off + size <= VIRTIO_BLK_CONFIG_SIZE */
	return (uint32_t)get_le(cfg + off, size);
}

static void reset(void *dev)
{
	struct virtio_blk *b = dev;

	b->vq_built = false;
	b->pending = false;
	b->stats.resets++;
}

/* The queue as the driver configured it, built on first use once live; NULL
 * while the device is not live or the queue not ready. */
static struct virtq *queue(struct virtio_blk *b)
{
	if (!virtio_mmio_live(&b->mmio) || !b->mmio.queue[0].ready)
		return 0;
	if (!b->vq_built) {
		/* registers are frozen after DRIVER_OK, so one build lasts until reset */
		if (virtio_mmio_queue_init(&b->mmio, 0, &b->vq, &b->mem, VIRTIO_BLK_CHAIN_MAX))
			return 0;
		b->vq_built = true;
	}
	return &b->vq;
}

const char *virtio_blk_refusal_text(int why)
{
	switch (why) {
	case VIRTIO_BLK_REFUSE_FRAME: return "a request without a header or a status byte";
	case VIRTIO_BLK_REFUSE_MEM:
		return "a header, status or used ring outside the zone's memory";
	default: return vq_err_text(why);
	}
}

/* 2.1.2: a device error; the driver sees NEEDS_RESET and we stop until it resets. */
static void refuse(struct virtio_blk *b, int why)
{
	b->stats.refused++;
	b->last_refusal = why;
	b->pending = false;
	virtio_mmio_needs_reset(&b->mmio);
}

/* One request being served: where its data lies in the chain. */
struct req {
	struct virtq *q;
	const struct vq_chain *c;
	uint64_t sector;
	uint32_t in_len;  /* data the device reads: readable bytes after the header */
	uint32_t out_len; /* data the device writes: writable bytes before the status */
	uint32_t written; /* bytes of data written into the chain */
};

/* Whether the data [start, end) of the chain's readable (or writable) part
 * keeps to seg_max segments of at most size_max bytes each (5.2.4). */
static bool segs_ok(const struct vq_chain *c, bool writable, uint32_t start, uint32_t end)
{
	uint32_t pos = 0; /* chains are at most VIRTIO_BLK_CHAIN_MAX: no wrap */
	unsigned n = 0;

	for (unsigned i = 0; i < c->nsegs; i++) {
		const struct vq_seg *s = &c->seg[i];
		uint32_t lo, hi;

		if (s->writable != writable)
			continue;
		lo = pos > start ? pos : start;
		hi = pos + s->len < end ? pos + s->len : end;
		pos += s->len;
		if (lo >= hi)
			continue;
		if (++n > VIRTIO_BLK_SEG_MAX || hi - lo > VIRTIO_BLK_SIZE_MAX)
			return false;
	}
	return true;
}

/* Whether len bytes at sector lie inside the disk, without overflow. */
static bool in_disk(const struct disk *d, uint64_t sector, uint32_t len)
{
	uint64_t sectors = d->size / DISK_SECTOR;

	return sector <= sectors && len / DISK_SECTOR <= sectors - sector;
}

static uint8_t backend_failed(struct virtio_blk *b, int r)
{
	if (r == DISK_ENOSPC)
		b->stats.no_space++;
	return VIRTIO_BLK_S_IOERR;
}

/* VIRTIO_BLK_T_IN: disk -> bounce -> the chain's writable part. */
static uint8_t do_read(struct virtio_blk *b, struct req *r)
{
	uint64_t off = r->sector * DISK_SECTOR;

	for (uint32_t done = 0; done < r->out_len;) {
		uint32_t n = r->out_len - done < VIRTIO_BLK_BOUNCE ? r->out_len - done
								   : VIRTIO_BLK_BOUNCE;
		int e = b->disk.ops->read(b->disk.ctx, off + done, b->bounce, n);

		if (e)
			return backend_failed(b, e);
		if (vq_copy_to_chain(r->q, r->c, done, b->bounce, n) != (int)n)
			return VIRTIO_BLK_S_IOERR; /* a data segment outside the zone */
		done += n;
		r->written = done;
	}
	b->stats.reads++;
	b->stats.read_bytes += r->out_len;
	return VIRTIO_BLK_S_OK;
}

/* VIRTIO_BLK_T_OUT: the chain's readable data -> bounce -> disk. */
static uint8_t do_write(struct virtio_blk *b, struct req *r)
{
	uint64_t off = r->sector * DISK_SECTOR;

	if (b->disk.read_only || !b->disk.ops->write)
		return VIRTIO_BLK_S_IOERR; /* 5.2.6.2: RO was offered */
	for (uint32_t done = 0; done < r->in_len;) {
		uint32_t n =
			r->in_len - done < VIRTIO_BLK_BOUNCE ? r->in_len - done : VIRTIO_BLK_BOUNCE;
		int e;

		if (vq_copy_from_chain(r->q, r->c, VIRTIO_BLK_HDR_LEN + done, b->bounce, n) !=
		    (int)n)
			return VIRTIO_BLK_S_IOERR;
		e = b->disk.ops->write(b->disk.ctx, off + done, b->bounce, n);
		if (e)
			return backend_failed(b, e);
		done += n;
	}
	b->stats.writes++;
	b->stats.written_bytes += r->in_len;
	return VIRTIO_BLK_S_OK;
}

/* IN and OUT: data in one direction only, whole sectors, inside the disk,
 * within seg_max and size_max. */
static uint8_t do_rw(struct virtio_blk *b, struct req *r, bool out)
{
	uint32_t len = out ? r->in_len : r->out_len;

	if ((out ? r->out_len : r->in_len) != 0 || len == 0 || len % DISK_SECTOR ||
	    !in_disk(&b->disk, r->sector, len))
		return VIRTIO_BLK_S_IOERR;
	if (out ? !segs_ok(r->c, false, VIRTIO_BLK_HDR_LEN, VIRTIO_BLK_HDR_LEN + len)
		: !segs_ok(r->c, true, 0, len))
		return VIRTIO_BLK_S_IOERR;
	return out ? do_write(b, r) : do_read(b, r);
}

/* 5.2.6.1: GET_ID writes the serial, zero-padded, into up to 20 bytes. */
static uint8_t do_get_id(struct virtio_blk *b, struct req *r)
{
	uint8_t id[DISK_SERIAL_ID] = {0};
	uint32_t n = r->out_len < DISK_SERIAL_ID ? r->out_len : DISK_SERIAL_ID;

	if (r->in_len || !r->out_len)
		return VIRTIO_BLK_S_IOERR;
	zv_memcpy(id, b->disk.serial, zv_strnlen(b->disk.serial, DISK_SERIAL_ID));
	if (vq_copy_to_chain(r->q, r->c, 0, id, n) != (int)n)
		return VIRTIO_BLK_S_IOERR;
	r->written = n;
	return VIRTIO_BLK_S_OK;
}

static uint8_t serve(struct virtio_blk *b, struct req *r, uint32_t type)
{
	switch (type) {
	case VIRTIO_BLK_T_IN: return do_rw(b, r, false);
	case VIRTIO_BLK_T_OUT: return do_rw(b, r, true);
	case VIRTIO_BLK_T_FLUSH:
		/* every write already reached the backend: nothing is cached here */
		if (r->in_len || r->out_len)
			return VIRTIO_BLK_S_IOERR;
		b->stats.flushes++;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID: return do_get_id(b, r);
	default: return VIRTIO_BLK_S_UNSUPP;
	}
}

/* Takes and answers one request: 1 none, 0 answered (*bytes of data), or a refusal (< 0). */
static int one_request(struct virtio_blk *b, struct virtq *q, uint32_t *bytes)
{
	struct vq_chain *c = &b->chain;
	struct req r = {q, c, 0, 0, 0, 0};
	uint8_t hdr[VIRTIO_BLK_HDR_LEN], status;
	int e = vq_pop(q, c);

	if (e)
		return e;
	if (c->readable_len < VIRTIO_BLK_HDR_LEN || c->writable_len < 1)
		return VIRTIO_BLK_REFUSE_FRAME;
	if (vq_copy_from_chain(q, c, 0, hdr, sizeof(hdr)) != (int)sizeof(hdr))
		return VIRTIO_BLK_REFUSE_MEM;
	r.sector = get_le(hdr + 8, 8);
	r.in_len = c->readable_len - VIRTIO_BLK_HDR_LEN;
	r.out_len = c->writable_len - 1;
	status = serve(b, &r, (uint32_t)get_le(hdr, 4));
	if (status != VIRTIO_BLK_S_OK)
		b->stats.errors++;
	/* the status is the last writable byte; the used length counts it (5.2.6) */
	if (vq_copy_to_chain(q, c, c->writable_len - 1, &status, 1) != 1 ||
	    vq_push(q, c->head, r.written + 1))
		return VIRTIO_BLK_REFUSE_MEM;
	*bytes = r.in_len > r.out_len ? r.in_len : r.out_len;
	return 0;
}

/* One batch: up to VIRTIO_BLK_BATCH_REQS requests or VIRTIO_BLK_BATCH_BYTES,
 * then one used-buffer interrupt for all it answered (2.6.7). */
static void batch(struct virtio_blk *b)
{
	struct virtq *q = queue(b);
	uint32_t bytes = 0, total = 0;
	unsigned reqs = 0;
	int e = 0;

	if (!q) {
		b->pending = false;
		return;
	}
	while (reqs < VIRTIO_BLK_BATCH_REQS && total < VIRTIO_BLK_BATCH_BYTES) {
		e = one_request(b, q, &bytes);
		if (e)
			break;
		reqs++;
		total += bytes;
	}
	if (e == 1)
		b->pending = false; /* the ring is empty: the next notify brings more */
	else if (e < 0)
		refuse(b, e);
	if (reqs && vq_wants_interrupt(q))
		virtio_mmio_raise(&b->mmio, VIRTIO_MMIO_INT_VRING);
}

bool virtio_blk_pending(const struct virtio_blk *b)
{
	return b->pending;
}

bool virtio_blk_service(struct virtio_blk *b)
{
	if (!b->pending)
		return false;
	batch(b);
	return true;
}

static void notify(void *dev, unsigned qi)
{
	struct virtio_blk *b = dev;

	(void)qi; /* the transport checked qi < num_queues: the request queue */
	b->pending = true;
	batch(b);
}

static const struct virtio_mmio_dev_ops blk_ops = {
	.device_id = VIRTIO_ID_BLOCK,
	.vendor_id = VIRTIO_BLK_VENDOR_ID,
	.features = VIRTIO_BLK_F_SIZE_MAX | VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_FLUSH,
	.queue_max = VIRTIO_BLK_QUEUE_MAX,
	.num_queues = 1,
	.config_size = VIRTIO_BLK_CONFIG_SIZE,
	.config_read = config_read,
	.config_write = 0, /* writeback (5.2.4) needs CONFIG_WCE, not offered; writes count */
	.notify = notify,
	.reset = reset,
};

static const struct virtio_mmio_dev_ops blk_ro_ops = {
	.device_id = VIRTIO_ID_BLOCK,
	.vendor_id = VIRTIO_BLK_VENDOR_ID,
	.features =
		VIRTIO_BLK_F_SIZE_MAX | VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_RO,
	.queue_max = VIRTIO_BLK_QUEUE_MAX,
	.num_queues = 1,
	.config_size = VIRTIO_BLK_CONFIG_SIZE,
	.config_read = config_read,
	.config_write = 0,
	.notify = notify,
	.reset = reset,
};

void virtio_blk_init(struct virtio_blk *b, const struct disk *disk, const struct vq_mem *mem)
{
	zv_memset(b, 0, sizeof(*b));
	b->disk = *disk;
	b->disk.serial[DISK_SERIAL_ID] = '\0';
	b->disk.size -= b->disk.size % DISK_SECTOR; /* a partial last sector is not offered */
	if (!b->disk.ops->write)
		b->disk.read_only = true;
	b->mem = *mem;
	virtio_mmio_init(&b->mmio, b->disk.read_only ? &blk_ro_ops : &blk_ops, b);
	b->stats.resets = 0; /* count the driver's resets, not this one */
}

uint32_t virtio_blk_mmio_read(struct virtio_blk *b, uint64_t offset, unsigned size)
{
	return virtio_mmio_read(&b->mmio, offset, size);
}

void virtio_blk_mmio_write(struct virtio_blk *b, uint64_t offset, unsigned size, uint32_t value)
{
	virtio_mmio_write(&b->mmio, offset, size, value);
}

bool virtio_blk_irq_line(const struct virtio_blk *b)
{
	return virtio_mmio_irq_line(&b->mmio);
}
