/* The split virtqueue (VIRTIO 1.1 section 2.6): validated pops, used-ring pushes, chain copies. */
#ifndef ZV_VIRTIO_QUEUE_H
#define ZV_VIRTIO_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Pure logic: every guest-memory access goes through struct vq_mem, whose
 * callbacks return 0 on success and -1 for any byte of [gpa, gpa+len) outside
 * the zone.  Descriptors are read once, into a struct vq_chain, so a guest
 * that rewrites its descriptor table after the pop changes nothing the
 * device uses (no double fetch).
 */

#define VQ_SIZE_MAX	   32768	  /* 2.6: Queue Size is a power of 2, at most 32768 */
#define VQ_MAX_SEGS	   64		  /* segments one chain may have (ours, not the spec's) */
#define VQ_CHAIN_LEN_LIMIT (1u << 20)	  /* upper bound any caller may ask for in vq_init */
#define VQ_CHAIN_LEN_NET   (65536 + 4096) /* a 64 KiB frame, virtio_net_hdr and slack */

/* 2.6.5: descriptor flags. */
#define VIRTQ_DESC_F_NEXT     1
#define VIRTQ_DESC_F_WRITE    2
#define VIRTQ_DESC_F_INDIRECT 4
/* 2.6.6: the driver's "do not interrupt me" hint in the available ring. */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

/* Why vq_pop refused a chain; every one is the driver's fault (2.6.4.2, 2.6.5). */
enum vq_err {
	VQ_ERR_MEM = -1,       /* a ring or descriptor read/write fell outside the zone */
	VQ_ERR_AVAIL_IDX = -2, /* avail idx more than the queue size ahead (2.6.10) */
	VQ_ERR_INDEX = -3,     /* head or next index >= queue size */
	VQ_ERR_LOOP = -4,      /* more hops than the queue has descriptors */
	VQ_ERR_ORDER = -5,     /* a readable segment after a writable one (2.6.4.2) */
	VQ_ERR_SEGS = -6,      /* more segments than the queue's max_segs (VQ_MAX_SEGS at most) */
	VQ_ERR_LEN = -7,       /* total length over the queue's limit, or gpa+len wraps */
	VQ_ERR_FLAGS = -8,     /* INDIRECT (never offered) or an undefined flag bit */
	VQ_ERR_ZERO = -9,      /* a zero-length descriptor */
	VQ_ERR_BROKEN = -10,   /* the queue already failed; reset it */
};

/* What err (an enum vq_err) means, for a console line; "unknown error" otherwise. */
const char *vq_err_text(int err);

struct vq_mem {
	int (*read)(void *ctx, uint64_t gpa, void *dst, size_t len);
	int (*write)(void *ctx, uint64_t gpa, const void *src, size_t len);
	void *ctx;
};

struct vq_seg {
	uint64_t gpa;
	uint32_t len;
	bool writable;
};

/* One popped chain: readable segments first, then writable ones. */
struct vq_chain {
	uint16_t head;
	uint16_t nsegs;
	uint16_t nreadable; /* seg[0..nreadable) are device-readable */
	uint32_t readable_len;
	uint32_t writable_len;
	struct vq_seg seg[VQ_MAX_SEGS];
};

struct virtq {
	const struct vq_mem *mem;
	uint64_t desc;	/* descriptor table: size * 16 bytes */
	uint64_t avail; /* driver area: flags, idx, ring[size], used_event */
	uint64_t used;	/* device area: flags, idx, ring[size] of {id, len}, avail_event */
	uint16_t size;
	uint16_t last_avail; /* free-running: the next avail ring entry to consume */
	uint16_t used_idx;   /* free-running: the next used ring entry to fill */
	uint32_t max_len;    /* bound on a chain's total length */
	uint16_t max_segs;   /* bound on a chain's segments: VQ_MAX_SEGS unless lowered */
	bool broken;	     /* a pop failed; only vq_init brings the queue back */
};

/* True when size is a valid split-queue size: a power of 2, 1..32768 (2.6). */
bool vq_size_valid(uint32_t size);

/*
 * Sets q up over the rings at desc/avail/used with indices at 0 (the state
 * after a device reset).  Returns 0, or -1 if size is invalid, max_len is 0 or
 * above VQ_CHAIN_LEN_LIMIT, or an address is misaligned (2.6: desc 16,
 * avail 2, used 4).  mem must outlive q.
 */
int vq_init(struct virtq *q, const struct vq_mem *mem, uint16_t size, uint64_t desc, uint64_t avail,
	    uint64_t used, uint32_t max_len);

/* Lowers the segments a chain may have to segs (1..VQ_MAX_SEGS; others are
 * ignored): pops stop reading descriptors at the first one past it. */
void vq_limit_segs(struct virtq *q, uint16_t segs);

/*
 * Takes the next available chain into *chain.  Returns 0 (a chain), 1 (none
 * available) or a negative enum vq_err; on an error the queue is marked
 * broken and every later pop fails with VQ_ERR_BROKEN: the caller sets
 * DEVICE_NEEDS_RESET and stops using the queue.  Segment addresses are not
 * checked here: the vq_copy_* calls check every byte through q->mem.
 */
int vq_pop(struct virtq *q, struct vq_chain *chain);

/*
 * Returns chain `head` to the driver with written_len bytes written: fills
 * the next used element, then publishes used idx.  Returns 0, or -1 if head
 * is out of range, the queue is broken or the used ring is outside the zone.
 */
int vq_push(struct virtq *q, uint16_t head, uint32_t written_len);

/* False when the driver set VIRTQ_AVAIL_F_NO_INTERRUPT (2.6.7; no EVENT_IDX). */
bool vq_wants_interrupt(const struct virtq *q);

/*
 * Gathers up to len bytes of the chain's readable part, starting at byte
 * `off` of it, into dst.  Returns the bytes copied (short at the end of the
 * readable part), or -1 if guest memory refused a segment.
 */
int vq_copy_from_chain(const struct virtq *q, const struct vq_chain *c, size_t off, void *dst,
		       size_t len);

/* Scatters up to len bytes of src into the chain's writable part from byte
 * `off` of it.  Returns the bytes written (short when the part is full) or -1. */
int vq_copy_to_chain(const struct virtq *q, const struct vq_chain *c, size_t off, const void *src,
		     size_t len);

#endif
