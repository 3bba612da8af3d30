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
 * Transmitting is pulled by the caller in bounded batches (virtio_net_tx_next),
 * so it can copy frames out under the device's own lock and switch them under
 * another.  No allocation; calls on one device must not run concurrently.
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
/*
 * Segments of one tx chain.  Without VIRTIO_NET_F_CSUM Linux's virtio_net
 * leaves NETIF_F_SG off, so every skb it sends is linear: the header and the
 * data, 2 descriptors (1 when it pushes the header into the headroom,
 * xmit_skb()'s can_push).  4 leaves room for a driver that puts the header and
 * the Ethernet header apart or splits the data at a page boundary, and bounds
 * the descriptors one chain makes the device read at 5 (the 5th refuses it).
 */
#define VIRTIO_NET_TX_SEGS_MAX 4
/*
 * Work per transmit batch, i.e. per QueueNotify and per later service of what
 * it left (virtio_net_tx_next): at most this many frames and descriptors
 * (a batch may end up to VIRTIO_NET_TX_SEGS_MAX - 1 descriptors past the
 * second).  32 frames is a Linux TCP burst at one or two descriptors each;
 * vhost-net bounds its tx loop the same way (VHOST_NET_PKT_WEIGHT).
 */
#define VIRTIO_NET_TX_BATCH_FRAMES 32
#define VIRTIO_NET_TX_BATCH_DESCS  64

/* Why a chain was refused (last_refusal): a negative enum vq_err from vq_pop, or one of these. */
enum virtio_net_refusal {
	VIRTIO_NET_REFUSE_NONE = 0,
	VIRTIO_NET_REFUSE_DIRECTION = -20, /* a writable segment in tx, a readable one in rx */
	VIRTIO_NET_REFUSE_LENGTH = -21,	   /* tx not 12 + 14..1514 bytes; rx buffer < 12 + 1514 */
	VIRTIO_NET_REFUSE_HEADER = -22,	   /* tx header asks for an offload (flags, gso_type) */
	VIRTIO_NET_REFUSE_MEM = -23,	   /* a segment or the used ring outside the zone */
	VIRTIO_NET_REFUSE_SEGS = -24,	   /* a tx chain of more than VIRTIO_NET_TX_SEGS_MAX */
};

/* What a refusal (enum virtio_net_refusal or enum vq_err) means, for a console line. */
const char *virtio_net_refusal_text(int why);

struct virtio_net_stats {
	uint64_t tx_frames, tx_bytes; /* frames virtio_net_tx_next took; bytes without header */
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
	struct virtio_net_stats stats; /* survive resets */
	int last_refusal;	       /* enum virtio_net_refusal or enum vq_err; 0 = none yet */
	struct vq_chain tx_chain, rx_chain; /* separate: frames may arrive between tx batches */
	bool tx_pending;		    /* a tx notify not yet served to an empty ring */
	bool tx_batch_pushed; /* chains went back in this batch: interrupt at its end */
	unsigned tx_frames_left, tx_descs_left; /* the running batch's budget */
};

/* Sets n up as a reset NIC with address mac; *mem is copied.  n must not move after. */
void virtio_net_init(struct virtio_net *n, const uint8_t mac[6], const struct vq_mem *mem);

/* A guest access to the register window (offset < VIRTIO_MMIO_SIZE expected; see
 * virtio_mmio_read/write).  A QueueNotify of the transmitq makes tx pending. */
uint32_t virtio_net_mmio_read(struct virtio_net *n, uint64_t offset, unsigned size);
void virtio_net_mmio_write(struct virtio_net *n, uint64_t offset, unsigned size, uint32_t value);

/*
 * Delivers one frame (len 14..1514, no FCS) to the zone.  Returns 0, or -1
 * when the frame length is out of range, the device is not live or the
 * receiveq not ready, no rx buffer is posted (counted in rx_no_buffer; the
 * frame is dropped), or the posted chain is malformed (refused).
 */
int virtio_net_receive(struct virtio_net *n, const uint8_t *frame, size_t len);

/*
 * Transmitting.  The driver notifies once for what it made available and never
 * again for it (2.6.7.2: we never suppress notifications), so the device
 * itself must come back to what one batch left: virtio_net_tx_pending stays
 * true until a batch finds the ring empty, and the caller serves it again
 * (zones/net/nic.c: on the zone's next entry, and from HLT).
 */
bool virtio_net_tx_pending(const struct virtio_net *n);
/* Starts a batch: VIRTIO_NET_TX_BATCH_FRAMES frames, VIRTIO_NET_TX_BATCH_DESCS descriptors. */
void virtio_net_tx_begin(struct virtio_net *n);
/*
 * Takes the batch's next frame into frame (VIRTIO_NET_FRAME_MAX bytes): its
 * length (14..1514, no FCS), its chain already back on the used ring.  0 ends
 * the batch: the ring is empty or the device stopped (tx no longer pending), a
 * chain was refused (DEVICE_NEEDS_RESET), or the budget is spent (still
 * pending); the used-buffer interrupt, if due, is raised then.  Frames may be
 * delivered to n (virtio_net_receive) between calls.
 */
size_t virtio_net_tx_next(struct virtio_net *n, uint8_t *frame);

/* The level of the device's interrupt line (InterruptStatus != 0). */
bool virtio_net_irq_line(const struct virtio_net *n);

#endif
