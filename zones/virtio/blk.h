/* The virtio-blk device model (VIRTIO 1.1 section 5.2) over the virtio-mmio transport (pure C). */
#ifndef ZV_VIRTIO_BLK_H
#define ZV_VIRTIO_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zones/storage/disk.h"
#include "zones/virtio/mmio.h"
#include "zones/virtio/queue.h"

/*
 * One disk with one request queue.  Offered: SIZE_MAX, SEG_MAX, FLUSH, and RO
 * for a read-only disk (plus VERSION_1 from the transport).  BLK_SIZE is not
 * offered: the logical block stays 512 bytes, so partition tables made with
 * the usual 512-byte sectors read the same in the zone.
 *
 * Every request is checked (5.2.6): a 16-byte readable header, the data, a
 * 1-byte writable status last.  A request the driver gets wrong but that has
 * room for its status is answered VIRTIO_BLK_S_IOERR (or UNSUPP for an
 * unknown type) and counted; a chain with no room for one (or one vq_pop
 * refuses) is refused: counted, DEVICE_NEEDS_RESET, nothing more until the
 * driver resets.  Data moves between the zone and the disk's ops through a
 * bounce buffer of VIRTIO_BLK_BOUNCE bytes, so no request makes the device
 * allocate.  Work is bounded: a notify, and each later virtio_blk_service,
 * serves one batch.  No allocation; calls on one device must not overlap.
 */

#define VIRTIO_ID_BLOCK	      2		  /* 5: device ID of a block device */
#define VIRTIO_BLK_VENDOR_ID  0x5a56	  /* "VZ": ours, the driver ignores it */
#define VIRTIO_BLK_F_SIZE_MAX (1ull << 1) /* 5.2.3: config has size_max */
#define VIRTIO_BLK_F_SEG_MAX  (1ull << 2) /* 5.2.3: config has seg_max */
#define VIRTIO_BLK_F_RO	      (1ull << 5) /* 5.2.3: the device is read-only */
#define VIRTIO_BLK_F_FLUSH    (1ull << 9) /* 5.2.3: VIRTIO_BLK_T_FLUSH is served */

/* 5.2.6: request types and status values. */
#define VIRTIO_BLK_T_IN	    0
#define VIRTIO_BLK_T_OUT    1
#define VIRTIO_BLK_T_FLUSH  4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK	    0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_HDR_LEN     16  /* 5.2.6: le32 type, le32 reserved, le64 sector */
#define VIRTIO_BLK_QUEUE_MAX   128 /* QueueNumMax of the request queue */
#define VIRTIO_BLK_CONFIG_SIZE 24  /* 5.2.4: capacity, size_max, seg_max, geometry, blk_size */
/*
 * Data segments of one request (seg_max) and bytes of each (size_max): a
 * request's chain is then at most VQ_MAX_SEGS descriptors (header and status
 * on their own) and 16 + 62 * 16 KiB + 1 bytes, under VQ_CHAIN_LEN_LIMIT.
 * Linux's virtio_blk takes both as its queue limits, so it never builds more.
 */
#define VIRTIO_BLK_SEG_MAX   (VQ_MAX_SEGS - 2)
#define VIRTIO_BLK_SIZE_MAX  16384u
#define VIRTIO_BLK_CHAIN_MAX (VIRTIO_BLK_HDR_LEN + VIRTIO_BLK_SEG_MAX * VIRTIO_BLK_SIZE_MAX + 1)
/* Bytes moved per disk op: the device's buffer.  56 KiB keeps a disk's whole
 * state (zones/storage/blk.c) in 64 KiB of pool. */
#define VIRTIO_BLK_BOUNCE 57344u
/*
 * Work per batch (a notify, or one later service): at most this many
 * requests, and no new request once this many data bytes moved (so at most
 * one request's ~1 MiB past it).  vhost-blk bounds its loop the same way.
 */
#define VIRTIO_BLK_BATCH_REQS  32
#define VIRTIO_BLK_BATCH_BYTES (4u << 20)

/* Why a chain was refused (last_refusal): a negative enum vq_err, or one of these. */
enum virtio_blk_refusal {
	VIRTIO_BLK_REFUSE_NONE = 0,
	VIRTIO_BLK_REFUSE_FRAME = -20, /* no 16-byte readable header or no writable status */
	VIRTIO_BLK_REFUSE_MEM = -21,   /* header, status or used ring outside the zone */
};

/* What a refusal (enum virtio_blk_refusal or enum vq_err) means, for a console line. */
const char *virtio_blk_refusal_text(int why);

struct virtio_blk_stats {
	uint64_t reads, writes, flushes; /* requests completed with VIRTIO_BLK_S_OK */
	uint64_t read_bytes, written_bytes;
	uint64_t errors;   /* requests answered IOERR or UNSUPP */
	uint64_t no_space; /* of those, writes the backend refused with DISK_ENOSPC */
	uint64_t refused;  /* malformed chains (each sets DEVICE_NEEDS_RESET) */
	uint64_t resets;   /* the driver reset the device (Status = 0) */
};

struct virtio_blk {
	struct virtio_mmio mmio;
	struct vq_mem mem; /* the zone's memory: refuses everything outside it */
	struct virtq vq;
	bool vq_built; /* vq was built from the transport's registers since the last reset */
	struct disk disk;
	struct virtio_blk_stats stats; /* survive resets */
	int last_refusal;	       /* enum virtio_blk_refusal or enum vq_err; 0 = none yet */
	bool pending;		       /* a notify not yet served to an empty ring */
	struct vq_chain chain;
	uint8_t bounce[VIRTIO_BLK_BOUNCE];
};

/* Sets b up as a reset device over *disk and *mem (both copied).  b must not move after. */
void virtio_blk_init(struct virtio_blk *b, const struct disk *disk, const struct vq_mem *mem);

/* A guest access to the register window (see virtio_mmio_read/write).  A
 * QueueNotify serves one batch at once and leaves the rest pending. */
uint32_t virtio_blk_mmio_read(struct virtio_blk *b, uint64_t offset, unsigned size);
void virtio_blk_mmio_write(struct virtio_blk *b, uint64_t offset, unsigned size, uint32_t value);

/*
 * The driver notifies once for what it made available (2.6.7.2), so the
 * device comes back to what a batch left: pending stays true until a batch
 * finds the ring empty or the device stopped.  virtio_blk_service serves one
 * batch if pending and says whether it did.
 */
bool virtio_blk_pending(const struct virtio_blk *b);
bool virtio_blk_service(struct virtio_blk *b);

/* The level of the device's interrupt line (InterruptStatus != 0). */
bool virtio_blk_irq_line(const struct virtio_blk *b);

#endif
