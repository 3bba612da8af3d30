/* The virtio-net device model (VIRTIO 1.1 section 5.1) over the virtio-mmio transport (pure C). */
#ifndef ZV_VIRTIO_NET_H
#define ZV_VIRTIO_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zones/virtio/mmio.h"
#include "zones/virtio/queue.h"

/*
 * One NIC with a receiveq (0) and a transmitq (1): no control queue, no
 * multiqueue, no offloads.  Offered: VIRTIO_NET_F_MAC and VIRTIO_NET_F_STATUS
 * (plus VERSION_1 from the transport).  Without offloads and mergeable rx
 * buffers every buffer starts with a 12-byte struct virtio_net_hdr (5.1.6:
 * VERSION_1 makes num_buffers part of it) and every rx buffer must hold a
 * full frame.  A chain the driver gets wrong is refused: counted, the device
 * sets DEVICE_NEEDS_RESET and does nothing more until the driver resets it.
 * No allocation; calls on one device must not run concurrently.
 */

#define VIRTIO_ID_NET	     1		  /* 5: device ID of a network card */
#define VIRTIO_NET_VENDOR_ID 0x5a56	  /* "VZ": ours, the driver ignores it */
#define VIRTIO_NET_F_MAC     (1ull << 5)  /* 5.1.3: config space has mac */
#define VIRTIO_NET_F_STATUS  (1ull << 16) /* 5.1.3: config space has status */
#define VIRTIO_NET_S_LINK_UP 1		  /* 5.1.4: status bit */

#define VIRTIO_NET_RXQ	       0
#define VIRTIO_NET_TXQ	       1
#define VIRTIO_NET_QUEUE_MAX   256 /* QueueNumMax of both queues */
#define VIRTIO_NET_CONFIG_SIZE 8   /* 5.1.4: u8 mac[6]; le16 status */

#define VIRTIO_NET_HDR_LEN   12	  /* 5.1.6: struct virtio_net_hdr with num_buffers */
#define VIRTIO_NET_FRAME_MIN 14	  /* an Ethernet header, no FCS */
#define VIRTIO_NET_FRAME_MAX 1514 /* 1500-byte MTU plus the Ethernet header, no FCS */
/* 5.1.6.3.1: without mergeable or big buffers each rx buffer holds a whole frame. */
#define VIRTIO_NET_RX_BUF_MIN (VIRTIO_NET_HDR_LEN + VIRTIO_NET_FRAME_MAX)

/* Why a chain was refused (last_refusal): a negative enum vq_err from vq_pop, or one of these. */
enum virtio_net_refusal {
	VIRTIO_NET_REFUSE_NONE = 0,
	VIRTIO_NET_REFUSE_DIRECTION = -20, /* a writable segment in tx, a readable one in rx */
	VIRTIO_NET_REFUSE_LENGTH = -21,	   /* tx not 12 + 14..1514 bytes; rx buffer < 12 + 1514 */
	VIRTIO_NET_REFUSE_HEADER = -22,	   /* tx header asks for an offload (flags, gso_type) */
	VIRTIO_NET_REFUSE_MEM = -23,	   /* a segment or the used ring outside the zone */
};

/* What a refusal (enum virtio_net_refusal or enum vq_err) means, for a console line. */
const char *virtio_net_refusal_text(int why);

struct virtio_net_stats {
	uint64_t tx_frames, tx_bytes; /* frames handed to the tx callback; bytes without header */
	uint64_t rx_frames, rx_bytes; /* frames delivered to the zone; bytes without header */
	uint64_t rx_no_buffer;	      /* frames dropped: the driver had posted no rx buffer */
	uint64_t refused;	      /* malformed chains (each sets DEVICE_NEEDS_RESET) */
	uint64_t resets;	      /* the driver reset the device (Status = 0) */
};

struct virtio_net {
	struct virtio_mmio mmio;
	struct vq_mem mem; /* the zone's memory: refuses everything outside it */
	struct virtq vq[2];
	bool vq_built[2]; /* vq[i] was built from the transport's registers since the last reset */
	uint8_t mac[6];
	void (*tx)(void *ctx, const uint8_t *frame, size_t len);
	void *ctx;
	struct virtio_net_stats stats; /* survive resets */
	int last_refusal;	       /* enum virtio_net_refusal or enum vq_err; 0 = none yet */
	struct vq_chain tx_chain, rx_chain; /* separate: tx may call virtio_net_receive */
	uint8_t tx_frame[VIRTIO_NET_FRAME_MAX];
};

/*
 * Sets n up as a reset NIC with address mac; *mem is copied.  tx (not NULL)
 * gets each frame the zone sends (len 14..1514, no FCS, valid only during
 * the call); it may call virtio_net_receive on n.  n must not move after.
 */
void virtio_net_init(struct virtio_net *n, const uint8_t mac[6], const struct vq_mem *mem,
		     void (*tx)(void *ctx, const uint8_t *frame, size_t len), void *ctx);

/* A guest access to the register window (offset < VIRTIO_MMIO_SIZE expected; see
 * virtio_mmio_read/write).  A QueueNotify of the transmitq sends what is queued. */
uint32_t virtio_net_mmio_read(struct virtio_net *n, uint64_t offset, unsigned size);
void virtio_net_mmio_write(struct virtio_net *n, uint64_t offset, unsigned size, uint32_t value);

/*
 * Delivers one frame (len 14..1514, no FCS) to the zone.  Returns 0, or -1
 * when the frame length is out of range, the device is not live or the
 * receiveq not ready, no rx buffer is posted (counted in rx_no_buffer; the
 * frame is dropped), or the posted chain is malformed (refused).
 */
int virtio_net_receive(struct virtio_net *n, const uint8_t *frame, size_t len);

/* The level of the device's interrupt line (InterruptStatus != 0). */
bool virtio_net_irq_line(const struct virtio_net *n);

#endif
