/* Packets the vsock relay holds for a zone whose rx ring is full: a bounded FIFO (pure C). */
#ifndef ZV_SESSION_VSOCK_INBOX_H
#define ZV_SESSION_VSOCK_INBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "zones/virtio/vsock.h"

/*
 * Each packet is kept as its 44-byte header (len = its payload) and payload
 * in a ring of VSOCK_INBOX_BYTES.  Data may fill it up to VSOCK_INBOX_RESERVE
 * bytes short of the end; the reserve is for the relay's own RSTs (an RST
 * for each of a zone's connections fits), so a connection reset for want of
 * room can always be told.  Bytes a packet used are zeroed when it goes:
 * secrets travel through here.  No allocation, no lock (the relay's).
 */
#define VSOCK_INBOX_BYTES   (28u * 1024)
#define VSOCK_INBOX_RESERVE (2u * 64 * VSOCK_HDR_LEN)

struct vsock_inbox {
	uint32_t head;	     /* ring offset of the front packet */
	uint32_t used;	     /* bytes held from head on, wrapping */
	uint32_t count;	     /* packets held */
	uint32_t front_done; /* payload bytes of the front packet already delivered */
	uint8_t ring[VSOCK_INBOX_BYTES];
};

void vsock_inbox_init(struct vsock_inbox *b);
bool vsock_inbox_empty(const struct vsock_inbox *b);
/* Appends h (its len ignored) with payload[0..len); an RST may use the
 * reserve.  False, and nothing kept, when it does not fit. */
bool vsock_inbox_put(struct vsock_inbox *b, const struct vsock_hdr *h, const uint8_t *payload,
		     uint32_t len);
/* The front packet: its header into *h (h->len its payload's length) and its
 * payload into payload (VSOCK_PAYLOAD_MAX bytes).  False when empty. */
bool vsock_inbox_front(const struct vsock_inbox *b, struct vsock_hdr *h, uint8_t *payload);
/* Drops the front packet, zeroing its bytes, and resets front_done. */
void vsock_inbox_pop(struct vsock_inbox *b);
/* Drops everything, zeroed. */
void vsock_inbox_clear(struct vsock_inbox *b);

#endif
