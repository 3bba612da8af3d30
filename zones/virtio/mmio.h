/* The virtio-mmio transport, version 2 (VIRTIO 1.1 section 4.2.2): register logic only (pure C). */
#ifndef ZV_VIRTIO_MMIO_H
#define ZV_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stdint.h>

#include "zones/virtio/queue.h"

#define VIRTIO_MMIO_SIZE       0x200 /* registers 0x000-0x0ff, device config 0x100-0x1ff */
#define VIRTIO_MMIO_CONFIG     0x100 /* 4.2.2: device-specific configuration space */
#define VIRTIO_MMIO_MAX_QUEUES 3     /* virtio-vsock: rx, tx, event (net 2, blk 1) */

/* 2.1: device status bits. */
#define VIRTIO_STATUS_ACKNOWLEDGE	 1
#define VIRTIO_STATUS_DRIVER		 2
#define VIRTIO_STATUS_DRIVER_OK		 4
#define VIRTIO_STATUS_FEATURES_OK	 8
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED		 0x80

/* 4.2.2: InterruptStatus bits. */
#define VIRTIO_MMIO_INT_VRING  1 /* used buffer notification */
#define VIRTIO_MMIO_INT_CONFIG 2 /* configuration change notification */

/* 6: reserved feature bits; 24..37 belong to the transport and queues. */
#define VIRTIO_F_VERSION_1	(1ull << 32)
#define VIRTIO_F_TRANSPORT_BITS (((1ull << 38) - 1) & ~((1ull << 24) - 1))

/* What a device model gives the transport.  dev is the model's own state. */
struct virtio_mmio_dev_ops {
	uint32_t device_id; /* 5: 1 network card, ... */
	uint32_t vendor_id;
	uint64_t features;    /* device-type bits; transport bits 24..37 here are dropped */
	uint16_t queue_max;   /* QueueNumMax of every queue: a power of 2 <= VQ_SIZE_MAX */
	uint16_t num_queues;  /* <= VIRTIO_MMIO_MAX_QUEUES */
	uint32_t config_size; /* bytes of device config space, <= 0x100 */
	/* Config accesses, already checked: size 1, 2 or 4, naturally aligned, in range. */
	uint32_t (*config_read)(void *dev, uint32_t off, unsigned size);
	void (*config_write)(void *dev, uint32_t off, unsigned size, uint32_t value);
	/* The driver notified ready queue `queue` (< num_queues) after DRIVER_OK. */
	void (*notify)(void *dev, unsigned queue);
	/* The driver wrote 0 to Status (or virtio_mmio_init ran): forget all state. */
	void (*reset)(void *dev);
};

struct virtio_mmio_queue {
	uint16_t num;	 /* QueueNum, 0 until written */
	bool ready;	 /* QueueReady */
	uint64_t desc;	 /* QueueDescLow/High */
	uint64_t driver; /* QueueDriverLow/High: the available ring */
	uint64_t device; /* QueueDeviceLow/High: the used ring */
};

struct virtio_mmio {
	const struct virtio_mmio_dev_ops *ops;
	void *dev;
	uint32_t status;
	uint32_t device_features_sel;
	uint32_t driver_features_sel;
	uint64_t driver_features;
	uint32_t queue_sel;
	uint32_t interrupt_status;
	uint32_t config_generation;
	uint32_t bad_accesses; /* accesses the spec forbids the driver: a misbehaving guest */
	struct virtio_mmio_queue queue[VIRTIO_MMIO_MAX_QUEUES];
};

/* Binds ops/dev and resets (ops->reset is called).  ops must outlive m. */
void virtio_mmio_init(struct virtio_mmio *m, const struct virtio_mmio_dev_ops *ops, void *dev);

/*
 * An access at offset (from the window base) of size bytes.  Below 0x100 only
 * aligned 32-bit accesses to defined registers in the right direction are
 * valid; anything else reads 0, is not written, and counts in bad_accesses.
 * Writes to a queue's registers while it is ready or after DRIVER_OK count
 * too and are ignored.  A QueueNotify or Status write may call into ops.
 */
uint32_t virtio_mmio_read(struct virtio_mmio *m, uint64_t offset, unsigned size);
void virtio_mmio_write(struct virtio_mmio *m, uint64_t offset, unsigned size, uint32_t value);

/* Features the device offers: ops->features less transport bits, plus VERSION_1. */
uint64_t virtio_mmio_offered(const struct virtio_mmio *m);

/* The interrupt line's level: InterruptStatus != 0 (the line is level-triggered). */
bool virtio_mmio_irq_line(const struct virtio_mmio *m);

/* Sets InterruptStatus bits (VIRTIO_MMIO_INT_*). */
void virtio_mmio_raise(struct virtio_mmio *m, uint32_t bits);

/* The device changed its config: bumps ConfigGeneration, raises INT_CONFIG (4.2.2). */
void virtio_mmio_config_changed(struct virtio_mmio *m);

/* The device hit an error (a malformed chain): sets DEVICE_NEEDS_RESET and
 * raises INT_CONFIG (2.1.2); no queue is notified again until the driver resets. */
void virtio_mmio_needs_reset(struct virtio_mmio *m);

/* True once the driver set DRIVER_OK and the device does not need a reset. */
bool virtio_mmio_live(const struct virtio_mmio *m);

/*
 * Builds a virtqueue over queue qi as the driver configured it.  Returns 0,
 * or -1 if qi is out of range or not ready, or vq_init refuses the layout.
 */
int virtio_mmio_queue_init(const struct virtio_mmio *m, unsigned qi, struct virtq *vq,
			   const struct vq_mem *mem, uint32_t max_len);

#endif
