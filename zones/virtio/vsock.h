/* The virtio-vsock device model (VIRTIO 1.1 section 5.10) over the virtio-mmio transport (pure C).
 */
#ifndef ZV_VIRTIO_VSOCK_H
#define ZV_VIRTIO_VSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zones/virtio/mmio.h"
#include "zones/virtio/queue.h"

/*
 * One socket device with rx (0), tx (1) and event (2) queues; stream sockets
 * only, no feature bit but VERSION_1.  The device is a pipe: the caller (the
 * relay, zones/session/vsock_relay.c) decides where a packet goes.  Every tx
 * chain is checked (directions, header, length, type, op, the source CID) and
 * one the driver gets wrong is refused: counted, DEVICE_NEEDS_RESET, nothing
 * more until the driver resets.  Transmitting is pulled in bounded batches
 * (virtio_vsock_tx_next) as virtio-net's is; receiving splits a payload over
 * as many rx buffers as it needs.  No allocation; calls on one device must
 * not run concurrently.
 */

#define VIRTIO_ID_VSOCK		 19 /* 5: device ID of a socket device */
#define VIRTIO_VSOCK_VENDOR_ID	 0x5a56
#define VIRTIO_VSOCK_RXQ	 0
#define VIRTIO_VSOCK_TXQ	 1
#define VIRTIO_VSOCK_EVENTQ	 2
#define VIRTIO_VSOCK_CONFIG_SIZE 8 /* 5.10.4: le64 guest_cid */

/*
 * QueueNumMax.  Linux's driver takes the largest size offered and keeps rx
 * between half full and full of 4 KiB buffers, refilled after each rx
 * interrupt; the relay cannot make the control zone wait for an agent, so an
 * agent's rx ring must hold what the control zone may send at once: 256 KiB
 * of credit per connection (Linux's default buf_alloc).  1024 buffers are at
 * least 2 MiB free after a refill: eight busy connections.  The buffers are
 * the guest's memory, not ours.
 */
#define VIRTIO_VSOCK_QUEUE_MAX 1024

/* 5.10.6: struct virtio_vsock_hdr, 44 bytes, little-endian, packed. */
#define VSOCK_HDR_LEN	  44
#define VSOCK_PAYLOAD_MAX 65536 /* Linux's VIRTIO_VSOCK_MAX_PKT_BUF_SIZE: our bound too */
#define VSOCK_TYPE_STREAM 1	/* 5.10.6 */
/* 5.10.6: ops. */
#define VSOCK_OP_REQUEST	1
#define VSOCK_OP_RESPONSE	2
#define VSOCK_OP_RST		3
#define VSOCK_OP_SHUTDOWN	4
#define VSOCK_OP_RW		5
#define VSOCK_OP_CREDIT_UPDATE	6
#define VSOCK_OP_CREDIT_REQUEST 7
#define VSOCK_SHUTDOWN_FLAGS	3 /* 5.10.6.4: RCV 1, SEND 2 */
/* Ours: an rx buffer must hold the header and some payload, so a payload
 * split over buffers always moves (Linux posts 4 KiB). */
#define VSOCK_RX_BUF_MIN (VSOCK_HDR_LEN + 64)
/* Work per tx batch (per notify, and per later service): as virtio-net's. */
#define VSOCK_TX_BATCH_PKTS  32
#define VSOCK_TX_BATCH_DESCS 64

struct vsock_hdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port;
	uint32_t len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
};

/* The wire form (5.10.6) to and from struct vsock_hdr. */
void vsock_hdr_decode(const uint8_t b[VSOCK_HDR_LEN], struct vsock_hdr *h);
void vsock_hdr_encode(const struct vsock_hdr *h, uint8_t b[VSOCK_HDR_LEN]);

/* Why a chain was refused (last_refusal): a negative enum vq_err from vq_pop, or one of these. */
enum virtio_vsock_refusal {
	VIRTIO_VSOCK_REFUSE_NONE = 0,
	VIRTIO_VSOCK_REFUSE_DIRECTION = -30, /* a writable segment in tx, a readable one in rx */
	VIRTIO_VSOCK_REFUSE_LENGTH =
		-31, /* tx shorter than a header, len not the payload's, > 64 KiB */
	VIRTIO_VSOCK_REFUSE_HEADER =
		-32, /* type not STREAM, unknown op, flags, payload not on RW */
	VIRTIO_VSOCK_REFUSE_SOURCE = -33,   /* src_cid not the device's own */
	VIRTIO_VSOCK_REFUSE_MEM = -34,	    /* a segment or the used ring outside the zone */
	VIRTIO_VSOCK_REFUSE_RX_SMALL = -35, /* an rx buffer below VSOCK_RX_BUF_MIN */
};

/* What a refusal (enum virtio_vsock_refusal or enum vq_err) means, for a console line. */
const char *virtio_vsock_refusal_text(int why);

struct virtio_vsock_stats {
	uint64_t tx_pkts, tx_bytes; /* packets virtio_vsock_tx_next took; payload bytes */
	uint64_t rx_pkts, rx_bytes; /* packets (one per rx buffer) delivered; payload bytes */
	uint64_t rx_no_buffer;	    /* deliveries that found the rx ring empty */
	uint64_t refused;	    /* malformed chains (each sets DEVICE_NEEDS_RESET) */
	uint64_t resets;	    /* the driver reset the device (Status = 0) */
};

struct virtio_vsock {
	struct virtio_mmio mmio;
	struct vq_mem mem;
	struct virtq vq[2]; /* rx, tx; the event queue is never used (no events are sent) */
	bool vq_built[2];
	uint64_t cid; /* guest_cid */
	struct virtio_vsock_stats stats;
	int last_refusal;
	struct vq_chain tx_chain, rx_chain;
	bool tx_pending;
	bool tx_open;	 /* tx_chain was taken and not yet given back (tx_done) */
	uint32_t tx_len; /* its payload's length */
	bool rx_posted;	 /* the driver notified rx since the last delivery found it empty */
	bool tx_batch_pushed;
	unsigned tx_pkts_left, tx_descs_left;
};

/* Sets v up as a reset device of guest_cid cid; *mem is copied.  v must not move after. */
void virtio_vsock_init(struct virtio_vsock *v, uint64_t cid, const struct vq_mem *mem);

/* A guest access to the register window (see virtio_mmio_read/write). */
uint32_t virtio_vsock_mmio_read(struct virtio_vsock *v, uint64_t offset, unsigned size);
void virtio_vsock_mmio_write(struct virtio_vsock *v, uint64_t offset, unsigned size,
			     uint32_t value);

/* True once the driver set DRIVER_OK, rx is ready and no reset is needed. */
bool virtio_vsock_live(const struct virtio_vsock *v);

/* Transmitting, as virtio_net's: pending until a batch finds the ring empty. */
bool virtio_vsock_tx_pending(const struct virtio_vsock *v);
void virtio_vsock_tx_begin(struct virtio_vsock *v);
/*
 * Takes the batch's next packet: its header into *h, its payload (h->len
 * bytes, <= VSOCK_PAYLOAD_MAX) into payload.  Its chain stays open (the
 * device's, in the zone's tx ring) until virtio_vsock_tx_done, so a packet
 * that cannot go on yet waits in the ring; no other is taken meanwhile.
 * Returns 1, or 0 at the end of the batch (ring empty, device stopped, a chain
 * refused, the budget spent or a chain still open: then still pending).  Only
 * well-formed packets come out: STREAM, a known op, payload only on RW,
 * src_cid == cid.
 */
int virtio_vsock_tx_next(struct virtio_vsock *v, struct vsock_hdr *h, uint8_t *payload);
/* Copies the open chain's payload again (tx_len bytes); 0, or -1 when no chain
 * is open (a reset took it) or its memory is refused (DEVICE_NEEDS_RESET). */
int virtio_vsock_tx_reread(struct virtio_vsock *v, uint8_t *payload);
/* Gives the open chain back on the used ring (nothing if none is open). */
void virtio_vsock_tx_done(struct virtio_vsock *v);
/* Outside a batch: the used-buffer interrupt for chains tx_done gave back. */
void virtio_vsock_tx_end(struct virtio_vsock *v);

/*
 * Delivers header h with payload[*done..len) to the zone: each rx buffer gets
 * h with len set to the part of the payload it carries, so a payload larger
 * than a buffer goes as several packets (5.10.6.3 lets the device split RW).
 * A packet without payload takes one buffer.  *done advances by what went in.
 * Returns 0 when all of it went, 1 when the rx ring ran dry first (call again
 * from *done), -1 when the device is not live or an rx chain was refused.
 */
int virtio_vsock_rx(struct virtio_vsock *v, const struct vsock_hdr *h, const uint8_t *payload,
		    uint32_t len, uint32_t *done);

/* The level of the device's interrupt line. */
bool virtio_vsock_irq_line(const struct virtio_vsock *v);

#endif
