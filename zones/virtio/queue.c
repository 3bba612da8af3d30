/* The split virtqueue (VIRTIO 1.1 section 2.6): every index, flag and length the guest writes is
 * validated. */
#include "zones/virtio/queue.h"

/* 2.6.5: struct virtq_desc { le64 addr; le32 len; le16 flags; le16 next; } */
#define DESC_SIZE	 16
#define DESC_FLAGS_KNOWN (VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_INDIRECT)
/* 2.6.6: struct virtq_avail { le16 flags; le16 idx; le16 ring[]; le16 used_event; } */
#define AVAIL_FLAGS 0
#define AVAIL_IDX   2
#define AVAIL_RING  4
/* 2.6.8: struct virtq_used { le16 flags; le16 idx; struct { le32 id; le32 len; } ring[]; ... } */
#define USED_IDX  2
#define USED_RING 4
#define USED_ELEM 8
/* 2.6, table "Virtqueue Part Alignment". */
#define DESC_ALIGN  16
#define AVAIL_ALIGN 2
#define USED_ALIGN  4

/*
 * Ordering.  The device must read avail idx before the ring entry and the
 * descriptors it covers (2.6.13.3's driver-side barrier pairs with this), and
 * must write the used element before the used idx that publishes it
 * (2.6.8.2).  On x86 (TSO) loads are not reordered with older loads and
 * stores not with older stores, so only the compiler has to be stopped; the
 * callbacks are opaque calls today, but an inlined memcpy would not be.
 */
#define vq_barrier() __asm__ __volatile__("" ::: "memory")

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* Little-endian decode (virtio 1.x structures are le, 1.4). */
static uint64_t le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int read_u16(const struct virtq *q, uint64_t gpa, uint16_t *v)
{
	uint8_t b[2];

	if (q->mem->read(q->mem->ctx, gpa, b, sizeof(b)))
		return -1;
	*v = (uint16_t)le(b, 2);
	return 0;
}

static int read_desc(const struct virtq *q, uint16_t i, struct desc *d)
{
	uint8_t b[DESC_SIZE];

	if (q->mem->read(q->mem->ctx, q->desc + (uint64_t)i * DESC_SIZE, b, sizeof(b)))
		return -1;
	d->addr = le(b, 8);
	d->len = (uint32_t)le(b + 8, 4);
	d->flags = (uint16_t)le(b + 12, 2);
	d->next = (uint16_t)le(b + 14, 2);
	return 0;
}

bool vq_size_valid(uint32_t size)
{
	return size && size <= VQ_SIZE_MAX && !(size & (size - 1));
}

int vq_init(struct virtq *q, const struct vq_mem *mem, uint16_t size, uint64_t desc, uint64_t avail,
	    uint64_t used, uint32_t max_len)
{
	if (!vq_size_valid(size) || !max_len || max_len > VQ_CHAIN_LEN_LIMIT)
		return -1;
	if (desc % DESC_ALIGN || avail % AVAIL_ALIGN || used % USED_ALIGN)
		return -1;
	*q = (struct virtq){
		.mem = mem,
		.desc = desc,
		.avail = avail,
		.used = used,
		.size = size,
		.max_len = max_len,
		.max_segs = VQ_MAX_SEGS,
	};
	return 0;
}

void vq_limit_segs(struct virtq *q, uint16_t segs)
{
	if (segs && segs <= VQ_MAX_SEGS)
		q->max_segs = segs;
}

static int fail(struct virtq *q, int err)
{
	q->broken = true;
	return err;
}

/* One descriptor's checks (2.6.4.2, 2.6.5); appends it to the chain. */
static int add_seg(const struct virtq *q, struct vq_chain *c, const struct desc *d)
{
	bool writable = d->flags & VIRTQ_DESC_F_WRITE;
	struct vq_seg *s;

	if (d->flags & ~DESC_FLAGS_KNOWN || d->flags & VIRTQ_DESC_F_INDIRECT)
		return VQ_ERR_FLAGS;
	if (!d->len)
		return VQ_ERR_ZERO;
	if (d->addr + d->len < d->addr)
		return VQ_ERR_LEN;
	if (!writable && c->writable_len)
		return VQ_ERR_ORDER;
	if (c->nsegs >= q->max_segs)
		return VQ_ERR_SEGS;
	if ((uint64_t)c->readable_len + c->writable_len + d->len > q->max_len)
		return VQ_ERR_LEN;
	s = &c->seg[c->nsegs++];
	*s = (struct vq_seg){.gpa = d->addr, .len = d->len, .writable = writable};
	if (writable) {
		c->writable_len += d->len;
	} else {
		c->readable_len += d->len;
		c->nreadable++;
	}
	return 0;
}

/* Whether descriptor i is already in the chain (seen[0..n)). */
static bool seen_before(const uint16_t *seen, unsigned n, uint16_t i)
{
	for (unsigned k = 0; k < n; k++)
		if (seen[k] == i)
			return true;
	return false;
}

/* Follows the chain from head; hops are bounded by the queue size, so a
 * loop ends in VQ_ERR_LOOP, or in VQ_ERR_SEGS at the segment limit unless the
 * descriptor that does not fit is one the chain already has (a loop, said so). */
static int walk(const struct virtq *q, uint16_t head, struct vq_chain *c)
{
	uint16_t seen[VQ_MAX_SEGS];
	struct desc d;
	uint16_t i = head;
	int err;

	*c = (struct vq_chain){.head = head};
	for (uint32_t hops = 0;; hops++) {
		if (i >= q->size)
			return VQ_ERR_INDEX;
		if (hops >= q->size)
			return VQ_ERR_LOOP;
		if (read_desc(q, i, &d))
			return VQ_ERR_MEM;
		err = add_seg(q, c, &d);
		if (err == VQ_ERR_SEGS && seen_before(seen, c->nsegs, i))
			return VQ_ERR_LOOP;
		if (err)
			return err;
		seen[c->nsegs - 1] = i;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		i = d.next;
	}
}

int vq_pop(struct virtq *q, struct vq_chain *chain)
{
	uint16_t idx, head, pending;
	int err;

	if (q->broken)
		return VQ_ERR_BROKEN;
	if (read_u16(q, q->avail + AVAIL_IDX, &idx))
		return fail(q, VQ_ERR_MEM);
	pending = (uint16_t)(idx - q->last_avail);
	if (pending > q->size)
		return fail(q, VQ_ERR_AVAIL_IDX);
	if (!pending)
		return 1;
	vq_barrier(); /* avail idx before the ring entry it covers */
	if (read_u16(q, q->avail + AVAIL_RING + 2u * (q->last_avail & (q->size - 1)), &head))
		return fail(q, VQ_ERR_MEM);
	err = walk(q, head, chain);
	if (err)
		return fail(q, err);
	q->last_avail++;
	return 0;
}

int vq_push(struct virtq *q, uint16_t head, uint32_t written_len)
{
	uint64_t elem = q->used + USED_RING + (uint64_t)USED_ELEM * (q->used_idx & (q->size - 1));
	uint8_t b[USED_ELEM];
	uint8_t idx[2];

	if (q->broken || head >= q->size)
		return -1;
	put_le(b, head, 4);
	put_le(b + 4, written_len, 4);
	if (q->mem->write(q->mem->ctx, elem, b, sizeof(b)))
		return fail(q, -1);
	vq_barrier(); /* the element before the idx that publishes it */
	put_le(idx, (uint16_t)(q->used_idx + 1), 2);
	if (q->mem->write(q->mem->ctx, q->used + USED_IDX, idx, sizeof(idx)))
		return fail(q, -1);
	q->used_idx++;
	return 0;
}

bool vq_wants_interrupt(const struct virtq *q)
{
	uint16_t flags;

	/* A full fence between the used idx store (vq_push) and this load: the
	 * driver clears NO_INTERRUPT, fences, then re-reads used idx (virtio 1.1
	 * 2.6.7.1 and Linux's virtqueue_enable_cb_delayed).  x86 may move a load
	 * ahead of an earlier store (SDM vol. 3A 8.2.3.4), and then both sides
	 * could miss the other and the interrupt would be lost for good. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (read_u16(q, q->avail + AVAIL_FLAGS, &flags))
		return true; /* an unreadable ring: interrupt, the driver will find out */
	return !(flags & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

/* Walks segments [first, end) skipping `off` bytes, moving up to len bytes
 * with the memory callback `to_guest` selects.  Returns bytes moved or -1. */
static int copy_segs(const struct virtq *q, const struct vq_chain *c, unsigned first, unsigned end,
		     size_t off, uint8_t *buf, size_t len, bool to_guest)
{
	size_t done = 0;

	for (unsigned i = first; i < end && done < len; i++) {
		const struct vq_seg *s = &c->seg[i];
		size_t n;
		int r;

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		n = s->len - off;
		if (n > len - done)
			n = len - done;
		if (to_guest)
			r = q->mem->write(q->mem->ctx, s->gpa + off, buf + done, n);
		else
			r = q->mem->read(q->mem->ctx, s->gpa + off, buf + done, n);
		if (r)
			return -1;
		done += n;
		off = 0;
	}
	return (int)done; /* <= max_len <= VQ_CHAIN_LEN_LIMIT */
}

int vq_copy_from_chain(const struct virtq *q, const struct vq_chain *c, size_t off, void *dst,
		       size_t len)
{
	return copy_segs(q, c, 0, c->nreadable, off, dst, len, false);
}

int vq_copy_to_chain(const struct virtq *q, const struct vq_chain *c, size_t off, const void *src,
		     size_t len)
{
	/* the buffer is only read on this path; the cast serves the shared walker */
	return copy_segs(q, c, c->nreadable, c->nsegs, off, (uint8_t *)(uintptr_t)src, len, true);
}

const char *vq_err_text(int err)
{
	switch (err) {
	case VQ_ERR_MEM: return "a ring or descriptor outside the zone's memory";
	case VQ_ERR_AVAIL_IDX: return "available index more than the queue size ahead";
	case VQ_ERR_INDEX: return "a descriptor index past the queue's end";
	case VQ_ERR_LOOP: return "a descriptor chain that loops";
	case VQ_ERR_ORDER: return "a device-readable segment after a writable one";
	case VQ_ERR_SEGS: return "a chain of more segments than the queue takes";
	case VQ_ERR_LEN: return "a chain too long, or a segment that wraps";
	case VQ_ERR_FLAGS: return "an indirect descriptor or an undefined flag";
	case VQ_ERR_ZERO: return "a zero-length descriptor";
	case VQ_ERR_BROKEN: return "a queue that already failed";
	default: return "unknown error";
	}
}
