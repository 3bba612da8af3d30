/* The virtio-mmio transport, version 2 (VIRTIO 1.1 4.2.2): registers, status rules (3.1.1), queue
 * setup. */
#include "zones/virtio/mmio.h"

#include "hv/lib/string.h"

/* 4.2.2, table "MMIO Device Register Layout". */
#define REG_MAGIC		0x000
#define REG_VERSION		0x004
#define REG_DEVICE_ID		0x008
#define REG_VENDOR_ID		0x00c
#define REG_DEVICE_FEATURES	0x010
#define REG_DEVICE_FEATURES_SEL 0x014
#define REG_DRIVER_FEATURES	0x020
#define REG_DRIVER_FEATURES_SEL 0x024
#define REG_QUEUE_SEL		0x030
#define REG_QUEUE_NUM_MAX	0x034
#define REG_QUEUE_NUM		0x038
#define REG_QUEUE_READY		0x044
#define REG_QUEUE_NOTIFY	0x050
#define REG_INTERRUPT_STATUS	0x060
#define REG_INTERRUPT_ACK	0x064
#define REG_STATUS		0x070
#define REG_QUEUE_DESC_LOW	0x080
#define REG_QUEUE_DESC_HIGH	0x084
#define REG_QUEUE_DRIVER_LOW	0x090
#define REG_QUEUE_DRIVER_HIGH	0x094
#define REG_QUEUE_DEVICE_LOW	0x0a0
#define REG_QUEUE_DEVICE_HIGH	0x0a4
#define REG_CONFIG_GENERATION	0x0fc

#define MMIO_MAGIC   0x74726976 /* 4.2.2: "virt", little-endian */
#define MMIO_VERSION 2		/* 4.2.2: 2 = this (non-legacy) layout */

/* 2.1: the bits a driver may set; NEEDS_RESET is the device's alone. */
#define STATUS_DRIVER_BITS                                                            \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK | \
	 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_FAILED)

static void bad(struct virtio_mmio *m)
{
	if (m->bad_accesses != UINT32_MAX)
		m->bad_accesses++;
}

static void reset(struct virtio_mmio *m)
{
	uint32_t gen = m->config_generation, bad_count = m->bad_accesses;

	zv_memset(&m->status, 0, sizeof(*m) - offsetof(struct virtio_mmio, status));
	m->config_generation = gen + 1; /* config may differ after a reset: make re-reads see it */
	m->bad_accesses = bad_count;	/* the guest's record survives its resets */
	if (m->ops->reset)
		m->ops->reset(m->dev);
}

void virtio_mmio_init(struct virtio_mmio *m, const struct virtio_mmio_dev_ops *ops, void *dev)
{
	zv_memset(m, 0, sizeof(*m));
	m->ops = ops;
	m->dev = dev;
	reset(m);
}

uint64_t virtio_mmio_offered(const struct virtio_mmio *m)
{
	return (m->ops->features & ~VIRTIO_F_TRANSPORT_BITS) | VIRTIO_F_VERSION_1;
}

bool virtio_mmio_irq_line(const struct virtio_mmio *m)
{
	return m->interrupt_status != 0;
}

void virtio_mmio_raise(struct virtio_mmio *m, uint32_t bits)
{
	m->interrupt_status |= bits & (VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG);
}

void virtio_mmio_config_changed(struct virtio_mmio *m)
{
	m->config_generation++;
	virtio_mmio_raise(m, VIRTIO_MMIO_INT_CONFIG);
}

void virtio_mmio_needs_reset(struct virtio_mmio *m)
{
	m->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	virtio_mmio_raise(m, VIRTIO_MMIO_INT_CONFIG);
}

bool virtio_mmio_live(const struct virtio_mmio *m)
{
	return (m->status & VIRTIO_STATUS_DRIVER_OK) &&
	       !(m->status & (VIRTIO_STATUS_DEVICE_NEEDS_RESET | VIRTIO_STATUS_FAILED));
}

/* The selected queue, or NULL when QueueSel names none. */
static struct virtio_mmio_queue *selected(struct virtio_mmio *m)
{
	if (m->queue_sel >= m->ops->num_queues || m->queue_sel >= VIRTIO_MMIO_MAX_QUEUES)
		return 0;
	return &m->queue[m->queue_sel];
}

static uint32_t half(uint64_t v, uint32_t sel)
{
	if (sel == 0)
		return (uint32_t)v;
	return sel == 1 ? (uint32_t)(v >> 32) : 0;
}

static uint32_t queue_reg_read(struct virtio_mmio *m, uint64_t offset)
{
	struct virtio_mmio_queue *q = selected(m);

	if (!q)
		return 0; /* 4.2.2: QueueNumMax 0 says "no such queue" */
	if (offset == REG_QUEUE_NUM_MAX)
		return m->ops->queue_max;
	return q->ready;
}

static uint32_t reg_read(struct virtio_mmio *m, uint64_t offset)
{
	switch (offset) {
	case REG_MAGIC: return MMIO_MAGIC;
	case REG_VERSION: return MMIO_VERSION;
	case REG_DEVICE_ID: return m->ops->device_id;
	case REG_VENDOR_ID: return m->ops->vendor_id;
	case REG_DEVICE_FEATURES: return half(virtio_mmio_offered(m), m->device_features_sel);
	case REG_QUEUE_NUM_MAX:
	case REG_QUEUE_READY: return queue_reg_read(m, offset);
	case REG_INTERRUPT_STATUS: return m->interrupt_status;
	case REG_STATUS: return m->status;
	case REG_CONFIG_GENERATION: return m->config_generation;
	default: bad(m); return 0; /* write-only or undefined */
	}
}

static bool config_access_ok(const struct virtio_mmio *m, uint64_t off, unsigned size)
{
	if (size != 1 && size != 2 && size != 4)
		return false;
	return !(off & (size - 1)) && off + size <= m->ops->config_size;
}

uint32_t virtio_mmio_read(struct virtio_mmio *m, uint64_t offset, unsigned size)
{
	if (offset >= VIRTIO_MMIO_SIZE) {
		bad(m);
		return 0;
	}
	if (offset >= VIRTIO_MMIO_CONFIG) {
		if (!config_access_ok(m, offset - VIRTIO_MMIO_CONFIG, size) ||
		    !m->ops->config_read) {
			bad(m);
			return 0;
		}
		return m->ops->config_read(m->dev, (uint32_t)(offset - VIRTIO_MMIO_CONFIG), size);
	}
	if (size != 4 || offset & 3) {
		bad(m);
		return 0;
	}
	return reg_read(m, offset);
}

/* 3.1.1 step 5: the driver's features must be offered and include VERSION_1
 * (6.1: a non-legacy device fails negotiation without it). */
static bool features_acceptable(const struct virtio_mmio *m)
{
	uint64_t f = m->driver_features;

	return !(f & ~virtio_mmio_offered(m)) && (f & VIRTIO_F_VERSION_1);
}

/* Checks the order of 3.1.1 for the bits being newly set; returns the status
 * to store, with FEATURES_OK dropped when negotiation fails (step 6: the
 * driver re-reads Status to learn that). */
static uint32_t status_next(struct virtio_mmio *m, uint32_t value, bool *ok)
{
	uint32_t want = (value & STATUS_DRIVER_BITS) | (m->status & ~STATUS_DRIVER_BITS);
	uint32_t added = want & ~m->status;

	*ok = !(m->status & STATUS_DRIVER_BITS & ~want); /* 2.1.2: never clear a bit */
	if ((added & VIRTIO_STATUS_DRIVER) && !(want & VIRTIO_STATUS_ACKNOWLEDGE))
		*ok = false;
	if ((added & VIRTIO_STATUS_FEATURES_OK) && !(want & VIRTIO_STATUS_DRIVER))
		*ok = false;
	if ((added & VIRTIO_STATUS_FEATURES_OK) && !features_acceptable(m))
		want &= ~VIRTIO_STATUS_FEATURES_OK;
	if ((added & VIRTIO_STATUS_DRIVER_OK) && !(want & VIRTIO_STATUS_FEATURES_OK))
		*ok = false;
	return want;
}

static void status_write(struct virtio_mmio *m, uint32_t value)
{
	bool ok;
	uint32_t next;

	if (value == 0) {
		reset(m); /* 4.2.2: writing 0 to Status resets the device */
		return;
	}
	next = status_next(m, value, &ok);
	if (!ok) {
		bad(m);
		return;
	}
	m->status = next;
}

static void set_half(uint64_t *v, bool high, uint32_t value)
{
	if (high)
		*v = (*v & 0xffffffffull) | (uint64_t)value << 32;
	else
		*v = (*v & ~0xffffffffull) | value;
}

/* QueueReady=1: the layout must be one vq_init accepts (2.6 sizes and alignment). */
static bool queue_valid(const struct virtio_mmio_queue *q)
{
	struct virtq probe;
	static const struct vq_mem none;

	return vq_init(&probe, &none, q->num, q->desc, q->driver, q->device, 1) == 0;
}

static bool queue_ready_write(struct virtio_mmio *m, struct virtio_mmio_queue *q, uint32_t v)
{
	if (v == 0) {
		q->ready = false; /* stopping a queue is always safe */
		return true;
	}
	if (v != 1 || q->ready || (m->status & VIRTIO_STATUS_DRIVER_OK) || !queue_valid(q))
		return false;
	q->ready = true;
	return true;
}

/* 4.2.3.2: queue registers may change only while the queue is not ready,
 * and (3.1.1 step 7) before DRIVER_OK. */
static bool queue_reg_write(struct virtio_mmio *m, uint64_t offset, uint32_t value)
{
	struct virtio_mmio_queue *q = selected(m);

	if (!q)
		return false;
	if (offset == REG_QUEUE_READY)
		return queue_ready_write(m, q, value);
	if (q->ready || (m->status & VIRTIO_STATUS_DRIVER_OK))
		return false;
	switch (offset) {
	case REG_QUEUE_NUM:
		if (!vq_size_valid(value) || value > m->ops->queue_max)
			return false;
		q->num = (uint16_t)value;
		return true;
	case REG_QUEUE_DESC_LOW:
	case REG_QUEUE_DESC_HIGH: set_half(&q->desc, offset & 4, value); return true;
	case REG_QUEUE_DRIVER_LOW:
	case REG_QUEUE_DRIVER_HIGH: set_half(&q->driver, offset & 4, value); return true;
	default: set_half(&q->device, offset & 4, value); return true;
	}
}

/* QueueNotify carries the queue index (no VIRTIO_F_NOTIFICATION_DATA). */
static bool notify_write(struct virtio_mmio *m, uint32_t value)
{
	if (value >= m->ops->num_queues || value >= VIRTIO_MMIO_MAX_QUEUES ||
	    !m->queue[value].ready)
		return false;
	if (virtio_mmio_live(m) && m->ops->notify)
		m->ops->notify(m->dev, value);
	return true;
}

static bool driver_features_write(struct virtio_mmio *m, uint32_t value)
{
	/* 3.1.1: features are fixed once FEATURES_OK is set */
	if (m->driver_features_sel > 1 || (m->status & VIRTIO_STATUS_FEATURES_OK))
		return false;
	set_half(&m->driver_features, m->driver_features_sel == 1, value);
	return true;
}

static bool reg_write(struct virtio_mmio *m, uint64_t offset, uint32_t value)
{
	switch (offset) {
	case REG_DEVICE_FEATURES_SEL: m->device_features_sel = value; return true;
	case REG_DRIVER_FEATURES: return driver_features_write(m, value);
	case REG_DRIVER_FEATURES_SEL: m->driver_features_sel = value; return true;
	case REG_QUEUE_SEL: m->queue_sel = value; return true;
	case REG_QUEUE_NUM:
	case REG_QUEUE_READY:
	case REG_QUEUE_DESC_LOW:
	case REG_QUEUE_DESC_HIGH:
	case REG_QUEUE_DRIVER_LOW:
	case REG_QUEUE_DRIVER_HIGH:
	case REG_QUEUE_DEVICE_LOW:
	case REG_QUEUE_DEVICE_HIGH: return queue_reg_write(m, offset, value);
	case REG_QUEUE_NOTIFY: return notify_write(m, value);
	case REG_INTERRUPT_ACK: m->interrupt_status &= ~value; return true;
	case REG_STATUS: status_write(m, value); return true;
	default: return false; /* read-only or undefined */
	}
}

void virtio_mmio_write(struct virtio_mmio *m, uint64_t offset, unsigned size, uint32_t value)
{
	uint64_t off = offset - VIRTIO_MMIO_CONFIG;

	if (offset >= VIRTIO_MMIO_SIZE) {
		bad(m);
	} else if (offset >= VIRTIO_MMIO_CONFIG) {
		if (config_access_ok(m, off, size) && m->ops->config_write)
			m->ops->config_write(m->dev, (uint32_t)off, size, value);
		else
			bad(m);
	} else if (size != 4 || offset & 3 || !reg_write(m, offset, value)) {
		bad(m);
	}
}

int virtio_mmio_queue_init(const struct virtio_mmio *m, unsigned qi, struct virtq *vq,
			   const struct vq_mem *mem, uint32_t max_len)
{
	const struct virtio_mmio_queue *q;

	if (qi >= m->ops->num_queues || qi >= VIRTIO_MMIO_MAX_QUEUES)
		return -1;
	q = &m->queue[qi];
	if (!q->ready)
		return -1;
	return vq_init(vq, mem, q->num, q->desc, q->driver, q->device, max_len);
}
