/* The virtio-vsock device model (VIRTIO 1.1 5.10): guest_cid in config space, checked tx, split
 * rx. */
#include "zones/virtio/vsock.h"

#include "hv/lib/string.h"

/* 5.10.6: field offsets of struct virtio_vsock_hdr. */
#define H_SRC_CID   0
#define H_DST_CID   8
#define H_SRC_PORT  16
#define H_DST_PORT  20
#define H_LEN	    24
#define H_TYPE	    28
#define H_OP	    30
#define H_FLAGS	    32
#define H_BUF_ALLOC 36
#define H_FWD_CNT   40

static uint64_t get_le(const uint8_t *p, unsigned bytes)
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

void vsock_hdr_decode(const uint8_t b[VSOCK_HDR_LEN], struct vsock_hdr *h)
{
	h->src_cid = get_le(b + H_SRC_CID, 8);
	h->dst_cid = get_le(b + H_DST_CID, 8);
	h->src_port = (uint32_t)get_le(b + H_SRC_PORT, 4);
	h->dst_port = (uint32_t)get_le(b + H_DST_PORT, 4);
	h->len = (uint32_t)get_le(b + H_LEN, 4);
	h->type = (uint16_t)get_le(b + H_TYPE, 2);
	h->op = (uint16_t)get_le(b + H_OP, 2);
	h->flags = (uint32_t)get_le(b + H_FLAGS, 4);
	h->buf_alloc = (uint32_t)get_le(b + H_BUF_ALLOC, 4);
	h->fwd_cnt = (uint32_t)get_le(b + H_FWD_CNT, 4);
}

void vsock_hdr_encode(const struct vsock_hdr *h, uint8_t b[VSOCK_HDR_LEN])
{
	put_le(b + H_SRC_CID, h->src_cid, 8);
	put_le(b + H_DST_CID, h->dst_cid, 8);
	put_le(b + H_SRC_PORT, h->src_port, 4);
	put_le(b + H_DST_PORT, h->dst_port, 4);
	put_le(b + H_LEN, h->len, 4);
	put_le(b + H_TYPE, h->type, 2);
	put_le(b + H_OP, h->op, 2);
	put_le(b + H_FLAGS, h->flags, 4);
	put_le(b + H_BUF_ALLOC, h->buf_alloc, 4);
	put_le(b + H_FWD_CNT, h->fwd_cnt, 4);
}

static uint32_t config_read(void *dev, uint32_t off, unsigned size)
{
	const struct virtio_vsock *v = dev;
	uint8_t cfg[VIRTIO_VSOCK_CONFIG_SIZE];

	put_le(cfg, v->cid, 8); /* the transport checked off + size <= 8 */
	return (uint32_t)get_le(cfg + off, size);
}

static void reset(void *dev)
{
	struct virtio_vsock *v = dev;

	v->vq_built[VIRTIO_VSOCK_RXQ] = v->vq_built[VIRTIO_VSOCK_TXQ] = false;
	v->tx_pending = false;
	v->tx_open = false;
	v->rx_posted = false;
	v->stats.resets++;
}

static struct virtq *queue(struct virtio_vsock *v, unsigned qi)
{
	if (!virtio_mmio_live(&v->mmio) || !v->mmio.queue[qi].ready)
		return 0;
	if (!v->vq_built[qi]) {
		/* registers are frozen after DRIVER_OK: one build lasts until reset */
		if (virtio_mmio_queue_init(&v->mmio, qi, &v->vq[qi], &v->mem,
					   VSOCK_HDR_LEN + VSOCK_PAYLOAD_MAX))
			return 0;
		v->vq_built[qi] = true;
	}
	return &v->vq[qi];
}

bool virtio_vsock_live(const struct virtio_vsock *v)
{
	return virtio_mmio_live(&v->mmio) && v->mmio.queue[VIRTIO_VSOCK_RXQ].ready;
}

const char *virtio_vsock_refusal_text(int why)
{
	switch (why) {
	case VIRTIO_VSOCK_REFUSE_DIRECTION: return "a segment of the wrong direction";
	case VIRTIO_VSOCK_REFUSE_LENGTH: return "a packet whose length is not its payload's";
	case VIRTIO_VSOCK_REFUSE_HEADER: return "a packet of an unknown type, op or flags";
	case VIRTIO_VSOCK_REFUSE_SOURCE: return "a packet from another CID than the device's";
	case VIRTIO_VSOCK_REFUSE_MEM: return "a segment or used ring outside the zone's memory";
	case VIRTIO_VSOCK_REFUSE_RX_SMALL: return "a receive buffer too small";
	default: return vq_err_text(why);
	}
}

/* 2.1.2: a device error; the driver sees NEEDS_RESET and we stop until it resets. */
static void refuse(struct virtio_vsock *v, int why)
{
	v->stats.refused++;
	v->last_refusal = why;
	virtio_mmio_needs_reset(&v->mmio);
}

/* 5.10.6: what a stream packet may say.  Only RW carries a payload; only
 * SHUTDOWN has flags (RCV, SEND). */
static int check_hdr(const struct virtio_vsock *v, const struct vsock_hdr *h)
{
	if (h->type != VSOCK_TYPE_STREAM || h->op < VSOCK_OP_REQUEST ||
	    h->op > VSOCK_OP_CREDIT_REQUEST)
		return VIRTIO_VSOCK_REFUSE_HEADER;
	if (h->len && h->op != VSOCK_OP_RW)
		return VIRTIO_VSOCK_REFUSE_HEADER;
	if (h->flags & ~(h->op == VSOCK_OP_SHUTDOWN ? VSOCK_SHUTDOWN_FLAGS : 0u))
		return VIRTIO_VSOCK_REFUSE_HEADER;
	if (h->src_cid != v->cid)
		return VIRTIO_VSOCK_REFUSE_SOURCE;
	return 0;
}

/* Takes one tx chain: 1 none, 0 taken, or a refusal (< 0).  The chain stays
 * the device's (open) until virtio_vsock_tx_done gives it back. */
static int tx_one(struct virtio_vsock *v, struct virtq *q, struct vsock_hdr *h, uint8_t *payload)
{
	struct vq_chain *c = &v->tx_chain;
	uint8_t b[VSOCK_HDR_LEN];
	int r = vq_pop(q, c);

	if (r)
		return r;
	if (c->writable_len)
		return VIRTIO_VSOCK_REFUSE_DIRECTION;
	if (c->readable_len < VSOCK_HDR_LEN)
		return VIRTIO_VSOCK_REFUSE_LENGTH;
	if (vq_copy_from_chain(q, c, 0, b, sizeof(b)) != (int)sizeof(b))
		return VIRTIO_VSOCK_REFUSE_MEM;
	vsock_hdr_decode(b, h);
	/* the header is copied once: h->len is checked against the chain as read */
	if (h->len != c->readable_len - VSOCK_HDR_LEN || h->len > VSOCK_PAYLOAD_MAX)
		return VIRTIO_VSOCK_REFUSE_LENGTH;
	r = check_hdr(v, h);
	if (r)
		return r;
	if (vq_copy_from_chain(q, c, VSOCK_HDR_LEN, payload, h->len) != (int)h->len)
		return VIRTIO_VSOCK_REFUSE_MEM;
	return 0;
}

bool virtio_vsock_tx_pending(const struct virtio_vsock *v)
{
	return v->tx_pending;
}

void virtio_vsock_tx_begin(struct virtio_vsock *v)
{
	v->tx_pkts_left = VSOCK_TX_BATCH_PKTS;
	v->tx_descs_left = VSOCK_TX_BATCH_DESCS;
	v->tx_batch_pushed = false;
}

/* Ends a batch: one used-buffer interrupt for all it returned (2.6.7). */
static int tx_end_batch(struct virtio_vsock *v, const struct virtq *q)
{
	if (v->tx_batch_pushed && q && vq_wants_interrupt(q))
		virtio_mmio_raise(&v->mmio, VIRTIO_MMIO_INT_VRING);
	v->tx_batch_pushed = false;
	return 0;
}

/* Charges a taken chain to the batch's budget. */
static void tx_charge(struct virtio_vsock *v)
{
	unsigned segs = v->tx_chain.nsegs;

	v->tx_pkts_left--;
	v->tx_descs_left -= segs < v->tx_descs_left ? segs : v->tx_descs_left;
}

int virtio_vsock_tx_next(struct virtio_vsock *v, struct vsock_hdr *h, uint8_t *payload)
{
	struct virtq *q;
	int r;

	if (!v->tx_pending)
		return 0;
	q = queue(v, VIRTIO_VSOCK_TXQ);
	if (!q) {
		v->tx_pending = false;
		return tx_end_batch(v, q);
	}
	/* the rest waits for the next batch, or for the open chain to be done */
	if (!v->tx_pkts_left || !v->tx_descs_left || v->tx_open)
		return tx_end_batch(v, q);
	r = tx_one(v, q, h, payload);
	if (r) {
		if (r < 0)
			refuse(v, r);
		v->tx_pending = false;
		return tx_end_batch(v, q);
	}
	tx_charge(v);
	v->tx_open = true;
	v->tx_len = h->len;
	return 1;
}

int virtio_vsock_tx_reread(struct virtio_vsock *v, uint8_t *payload)
{
	struct virtq *q = v->tx_open ? queue(v, VIRTIO_VSOCK_TXQ) : 0;

	if (!q)
		return -1;
	if (vq_copy_from_chain(q, &v->tx_chain, VSOCK_HDR_LEN, payload, v->tx_len) !=
	    (int)v->tx_len) {
		v->tx_open = false;
		refuse(v, VIRTIO_VSOCK_REFUSE_MEM);
		return -1;
	}
	return 0;
}

void virtio_vsock_tx_done(struct virtio_vsock *v)
{
	struct virtq *q = v->tx_open ? queue(v, VIRTIO_VSOCK_TXQ) : 0;

	v->tx_open = false;
	if (!q)
		return; /* reset, or stopped: the chain went with it */
	if (vq_push(q, v->tx_chain.head, 0)) {
		refuse(v, VIRTIO_VSOCK_REFUSE_MEM);
		return;
	}
	v->tx_batch_pushed = true;
	v->stats.tx_pkts++;
	v->stats.tx_bytes += v->tx_len;
}

void virtio_vsock_tx_end(struct virtio_vsock *v)
{
	tx_end_batch(v, queue(v, VIRTIO_VSOCK_TXQ));
}

static void notify(void *dev, unsigned qi)
{
	struct virtio_vsock *v = dev;

	/* the event queue only holds buffers for events we never send */
	if (qi == VIRTIO_VSOCK_TXQ)
		v->tx_pending = true;
	else if (qi == VIRTIO_VSOCK_RXQ)
		v->rx_posted = true;
}

static const struct virtio_mmio_dev_ops vsock_ops = {
	.device_id = VIRTIO_ID_VSOCK,
	.vendor_id = VIRTIO_VSOCK_VENDOR_ID,
	.features = 0, /* VERSION_1 alone: stream sockets (no SEQPACKET, bit 1) */
	.queue_max = VIRTIO_VSOCK_QUEUE_MAX,
	.num_queues = 3,
	.config_size = VIRTIO_VSOCK_CONFIG_SIZE,
	.config_read = config_read,
	.config_write = 0, /* 5.10.4: guest_cid is read-only */
	.notify = notify,
	.reset = reset,
};

void virtio_vsock_init(struct virtio_vsock *v, uint64_t cid, const struct vq_mem *mem)
{
	zv_memset(v, 0, sizeof(*v));
	v->cid = cid;
	v->mem = *mem;
	virtio_mmio_init(&v->mmio, &vsock_ops, v);
	v->stats.resets = 0; /* count the driver's resets, not this one */
}

uint32_t virtio_vsock_mmio_read(struct virtio_vsock *v, uint64_t offset, unsigned size)
{
	return virtio_mmio_read(&v->mmio, offset, size);
}

void virtio_vsock_mmio_write(struct virtio_vsock *v, uint64_t offset, unsigned size, uint32_t value)
{
	virtio_mmio_write(&v->mmio, offset, size, value);
}

/* Fills the popped rx chain with h and up to a buffer's worth of the
 * payload from payload[*done]; 0 or a refusal. */
static int rx_fill(struct virtio_vsock *v, struct virtq *q, const struct vsock_hdr *h,
		   const uint8_t *payload, uint32_t len, uint32_t *done)
{
	const struct vq_chain *c = &v->rx_chain;
	uint32_t room, part;
	struct vsock_hdr out = *h;
	uint8_t b[VSOCK_HDR_LEN];

	if (c->nreadable)
		return VIRTIO_VSOCK_REFUSE_DIRECTION;
	if (c->writable_len < VSOCK_RX_BUF_MIN)
		return VIRTIO_VSOCK_REFUSE_RX_SMALL;
	room = c->writable_len - VSOCK_HDR_LEN;
	part = len - *done < room ? len - *done : room;
	out.len = part;
	vsock_hdr_encode(&out, b);
	if (vq_copy_to_chain(q, c, 0, b, sizeof(b)) != (int)sizeof(b) ||
	    (part && vq_copy_to_chain(q, c, VSOCK_HDR_LEN, payload + *done, part) != (int)part))
		return VIRTIO_VSOCK_REFUSE_MEM;
	if (vq_push(q, c->head, VSOCK_HDR_LEN + part))
		return VIRTIO_VSOCK_REFUSE_MEM;
	*done += part;
	v->stats.rx_pkts++;
	v->stats.rx_bytes += part;
	return 0;
}

int virtio_vsock_rx(struct virtio_vsock *v, const struct vsock_hdr *h, const uint8_t *payload,
		    uint32_t len, uint32_t *done)
{
	struct virtq *q = virtio_vsock_live(v) ? queue(v, VIRTIO_VSOCK_RXQ) : 0;
	bool pushed = false;
	int r = 0;

	if (!q || *done > len)
		return -1;
	do {
		r = vq_pop(q, &v->rx_chain);
		if (r == 1) {
			v->stats.rx_no_buffer++;
			v->rx_posted = false;
			break;
		}
		if (!r)
			r = rx_fill(v, q, h, payload, len, done);
		if (r) {
			refuse(v, r);
			break;
		}
		pushed = true;
	} while (*done < len);
	if (pushed && vq_wants_interrupt(q))
		virtio_mmio_raise(&v->mmio, VIRTIO_MMIO_INT_VRING);
	return r < 0 ? -1 : r;
}

bool virtio_vsock_irq_line(const struct virtio_vsock *v)
{
	return virtio_mmio_irq_line(&v->mmio);
}
