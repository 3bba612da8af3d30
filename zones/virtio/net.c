/* The virtio-net device model (VIRTIO 1.1 5.1): MAC and link in config space, tx drain, rx
 * delivery. */
#include "zones/virtio/net.h"

#include "hv/lib/string.h"

/* 5.1.6: struct virtio_net_hdr { u8 flags; u8 gso_type; le16 hdr_len; le16 gso_size;
 * le16 csum_start; le16 csum_offset; le16 num_buffers; } */
#define HDR_FLAGS	0
#define HDR_GSO_TYPE	1
#define HDR_NUM_BUFFERS 10

/* Config space offsets (5.1.4). */
#define CFG_STATUS 6

static uint32_t config_read(void *dev, uint32_t off, unsigned size)
{
	const struct virtio_net *n = dev;
	uint8_t cfg[VIRTIO_NET_CONFIG_SIZE];
	uint32_t v = 0;

	zv_memcpy(cfg, n->mac, sizeof(n->mac));
	cfg[CFG_STATUS] = VIRTIO_NET_S_LINK_UP; /* le16: the link is always up */
	cfg[CFG_STATUS + 1] = 0;
	for (unsigned i = 0; i < size; i++) /* the transport checked off + size <= 8 */
		v |= (uint32_t)cfg[off + i] << (8 * i);
	return v;
}

static void reset(void *dev)
{
	struct virtio_net *n = dev;

	n->vq_built[VIRTIO_NET_RXQ] = n->vq_built[VIRTIO_NET_TXQ] = false;
	n->tx_pending = false;
	n->stats.resets++;
}

/* The queue qi as the driver configured it, built on first use once the
 * device is live; NULL while the device is not live or the queue not ready
 * (the driver may stop a queue at any time). */
static struct virtq *queue(struct virtio_net *n, unsigned qi)
{
	if (!virtio_mmio_live(&n->mmio) || !n->mmio.queue[qi].ready)
		return 0;
	if (!n->vq_built[qi]) {
		/* registers are frozen after DRIVER_OK, so one build lasts until reset */
		if (virtio_mmio_queue_init(&n->mmio, qi, &n->vq[qi], &n->mem, VQ_CHAIN_LEN_NET))
			return 0;
		if (qi == VIRTIO_NET_TXQ)
			vq_limit_segs(&n->vq[qi], VIRTIO_NET_TX_SEGS_MAX);
		n->vq_built[qi] = true;
	}
	return &n->vq[qi];
}

const char *virtio_net_refusal_text(int why)
{
	switch (why) {
	case VIRTIO_NET_REFUSE_DIRECTION: return "a segment of the wrong direction";
	case VIRTIO_NET_REFUSE_LENGTH: return "a frame or receive buffer of a bad length";
	case VIRTIO_NET_REFUSE_HEADER: return "an offload that was not offered";
	case VIRTIO_NET_REFUSE_MEM: return "a segment or used ring outside the zone's memory";
	case VIRTIO_NET_REFUSE_SEGS: return "a transmit chain of more than 4 segments";
	default: return vq_err_text(why);
	}
}

/* 2.1.2: a device error; the driver sees NEEDS_RESET and we stop until it resets. */
static void refuse(struct virtio_net *n, int why)
{
	n->stats.refused++;
	n->last_refusal = why;
	virtio_mmio_needs_reset(&n->mmio);
}

/* Takes one tx chain into frame: 1 none, 0 taken (*len), or a refusal (< 0).
 * The chain goes back on the used ring before the frame is handed on, so a
 * used ring outside the zone is refused before any frame leaves. */
static int tx_one(struct virtio_net *n, struct virtq *q, uint8_t *frame, uint32_t *len)
{
	struct vq_chain *c = &n->tx_chain;
	uint8_t hdr[VIRTIO_NET_HDR_LEN];
	int r = vq_pop(q, c);

	if (r == VQ_ERR_SEGS)
		return VIRTIO_NET_REFUSE_SEGS;
	if (r)
		return r;
	if (c->writable_len)
		return VIRTIO_NET_REFUSE_DIRECTION;
	if (c->readable_len < VIRTIO_NET_HDR_LEN + VIRTIO_NET_FRAME_MIN ||
	    c->readable_len > VIRTIO_NET_HDR_LEN + VIRTIO_NET_FRAME_MAX)
		return VIRTIO_NET_REFUSE_LENGTH;
	*len = c->readable_len - VIRTIO_NET_HDR_LEN;
	if (vq_copy_from_chain(q, c, 0, hdr, sizeof(hdr)) != (int)sizeof(hdr) ||
	    vq_copy_from_chain(q, c, sizeof(hdr), frame, *len) != (int)*len)
		return VIRTIO_NET_REFUSE_MEM;
	/* 5.1.6.2: no CSUM or GSO was offered, so flags and gso_type must be 0; the
	 * other fields mean nothing then (Linux leaves num_buffers unset) */
	if (hdr[HDR_FLAGS] || hdr[HDR_GSO_TYPE])
		return VIRTIO_NET_REFUSE_HEADER;
	if (vq_push(q, c->head, 0))
		return VIRTIO_NET_REFUSE_MEM;
	return 0;
}

bool virtio_net_tx_pending(const struct virtio_net *n)
{
	return n->tx_pending;
}

void virtio_net_tx_begin(struct virtio_net *n)
{
	n->tx_frames_left = VIRTIO_NET_TX_BATCH_FRAMES;
	n->tx_descs_left = VIRTIO_NET_TX_BATCH_DESCS;
	n->tx_batch_pushed = false;
}

/* Ends a batch: one used-buffer interrupt for all it returned (2.6.7). */
static size_t tx_end_batch(struct virtio_net *n, const struct virtq *q)
{
	if (n->tx_batch_pushed && q && vq_wants_interrupt(q))
		virtio_mmio_raise(&n->mmio, VIRTIO_MMIO_INT_VRING);
	n->tx_batch_pushed = false;
	return 0;
}

/* Charges a taken chain to the batch's budget. */
static void tx_charge(struct virtio_net *n, uint32_t len)
{
	unsigned segs = n->tx_chain.nsegs;

	n->tx_frames_left--;
	n->tx_descs_left -= segs < n->tx_descs_left ? segs : n->tx_descs_left;
	n->tx_batch_pushed = true;
	n->stats.tx_frames++;
	n->stats.tx_bytes += len;
}

size_t virtio_net_tx_next(struct virtio_net *n, uint8_t *frame)
{
	struct virtq *q;
	uint32_t len = 0;
	int r;

	if (!n->tx_pending)
		return 0;
	/* live again at each frame: a frame delivered to n may have refused an rx chain */
	q = virtio_mmio_live(&n->mmio) ? queue(n, VIRTIO_NET_TXQ) : 0;
	if (!q) {
		n->tx_pending = false;
		return tx_end_batch(n, q);
	}
	if (!n->tx_frames_left || !n->tx_descs_left)
		return tx_end_batch(n, q); /* the rest waits for the next batch */
	r = tx_one(n, q, frame, &len);
	if (r) {
		if (r < 0)
			refuse(n, r);
		n->tx_pending = false;
		return tx_end_batch(n, q);
	}
	tx_charge(n, len);
	return len;
}

static void notify(void *dev, unsigned qi)
{
	/* a receiveq notify only says buffers were posted: frames are not held back
	 * waiting for them, so there is nothing to do */
	if (qi == VIRTIO_NET_TXQ)
		((struct virtio_net *)dev)->tx_pending = true;
}

static const struct virtio_mmio_dev_ops net_ops = {
	.device_id = VIRTIO_ID_NET,
	.vendor_id = VIRTIO_NET_VENDOR_ID,
	.features = VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS,
	.queue_max = VIRTIO_NET_QUEUE_MAX,
	.num_queues = 2,
	.config_size = VIRTIO_NET_CONFIG_SIZE,
	.config_read = config_read,
	.config_write = 0, /* 5.1.4.2: nothing is writable without legacy; writes count */
	.notify = notify,
	.reset = reset,
};

void virtio_net_init(struct virtio_net *n, const uint8_t mac[6], const struct vq_mem *mem)
{
	zv_memset(n, 0, sizeof(*n));
	zv_memcpy(n->mac, mac, sizeof(n->mac));
	n->mem = *mem;
	virtio_mmio_init(&n->mmio, &net_ops, n);
	n->stats.resets = 0; /* count the driver's resets, not this one */
}

uint32_t virtio_net_mmio_read(struct virtio_net *n, uint64_t offset, unsigned size)
{
	return virtio_mmio_read(&n->mmio, offset, size);
}

void virtio_net_mmio_write(struct virtio_net *n, uint64_t offset, unsigned size, uint32_t value)
{
	virtio_mmio_write(&n->mmio, offset, size, value);
}

/* Fills the popped rx chain; 0 or a refusal. */
static int rx_fill(struct virtio_net *n, struct virtq *q, const uint8_t *frame, size_t len)
{
	const struct vq_chain *c = &n->rx_chain;
	uint8_t hdr[VIRTIO_NET_HDR_LEN] = {0};

	if (c->nreadable)
		return VIRTIO_NET_REFUSE_DIRECTION;
	if (c->writable_len < VIRTIO_NET_RX_BUF_MIN)
		return VIRTIO_NET_REFUSE_LENGTH;
	hdr[HDR_NUM_BUFFERS] = 1; /* 5.1.6.4: le16 1 without mergeable buffers */
	if (vq_copy_to_chain(q, c, 0, hdr, sizeof(hdr)) != (int)sizeof(hdr) ||
	    vq_copy_to_chain(q, c, sizeof(hdr), frame, len) != (int)len)
		return VIRTIO_NET_REFUSE_MEM;
	if (vq_push(q, c->head, (uint32_t)(sizeof(hdr) + len)))
		return VIRTIO_NET_REFUSE_MEM;
	return 0;
}

int virtio_net_receive(struct virtio_net *n, const uint8_t *frame, size_t len)
{
	struct virtq *q;
	int r;

	if (len < VIRTIO_NET_FRAME_MIN || len > VIRTIO_NET_FRAME_MAX)
		return -1;
	q = queue(n, VIRTIO_NET_RXQ);
	if (!q)
		return -1;
	r = vq_pop(q, &n->rx_chain);
	if (r == 1) {
		n->stats.rx_no_buffer++;
		return -1;
	}
	if (!r)
		r = rx_fill(n, q, frame, len);
	if (r) {
		refuse(n, r);
		return -1;
	}
	n->stats.rx_frames++;
	n->stats.rx_bytes += len;
	if (vq_wants_interrupt(q))
		virtio_mmio_raise(&n->mmio, VIRTIO_MMIO_INT_VRING);
	return 0;
}

bool virtio_net_irq_line(const struct virtio_net *n)
{
	return virtio_mmio_irq_line(&n->mmio);
}
