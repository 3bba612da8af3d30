/* The vsock relay's per-zone FIFO of held packets: a byte ring of headers and payloads. */
#include "zones/session/vsock_inbox.h"

#include "hv/lib/string.h"

void vsock_inbox_init(struct vsock_inbox *b)
{
	zv_memset(b, 0, sizeof(*b));
}

bool vsock_inbox_empty(const struct vsock_inbox *b)
{
	return b->count == 0;
}

/* Copies len bytes in or out at ring offset off, wrapping at the end. */
static void ring_copy(struct vsock_inbox *b, uint32_t off, uint8_t *buf, uint32_t len, bool in)
{
	uint32_t at = off % VSOCK_INBOX_BYTES, first = VSOCK_INBOX_BYTES - at;

	if (first > len)
		first = len;
	if (in) {
		zv_memcpy(b->ring + at, buf, first);
		zv_memcpy(b->ring, buf + first, len - first);
	} else {
		zv_memcpy(buf, b->ring + at, first);
		zv_memcpy(buf + first, b->ring, len - first);
	}
}

static void ring_zero(struct vsock_inbox *b, uint32_t off, uint32_t len)
{
	uint32_t at = off % VSOCK_INBOX_BYTES, first = VSOCK_INBOX_BYTES - at;

	if (first > len)
		first = len;
	zv_memset(b->ring + at, 0, first);
	zv_memset(b->ring, 0, len - first);
}

bool vsock_inbox_put(struct vsock_inbox *b, const struct vsock_hdr *h, const uint8_t *payload,
		     uint32_t len)
{
	uint32_t limit = VSOCK_INBOX_BYTES - (h->op == VSOCK_OP_RST ? 0 : VSOCK_INBOX_RESERVE);
	uint32_t used = b->used, tail = (b->head + b->used) % VSOCK_INBOX_BYTES;
	struct vsock_hdr out = *h;
	uint8_t hb[VSOCK_HDR_LEN];

	if (len > VSOCK_PAYLOAD_MAX || used > limit || limit - used < VSOCK_HDR_LEN + len)
		return false;
	out.len = len;
	vsock_hdr_encode(&out, hb);
	ring_copy(b, tail, hb, VSOCK_HDR_LEN, true);
	if (len) /* the ring only reads it: the cast serves the shared copier */
		ring_copy(b, tail + VSOCK_HDR_LEN, (uint8_t *)(uintptr_t)payload, len, true);
	b->used += VSOCK_HDR_LEN + len;
	b->count++;
	return true;
}

bool vsock_inbox_front(const struct vsock_inbox *b, struct vsock_hdr *h, uint8_t *payload)
{
	uint8_t hb[VSOCK_HDR_LEN];
	struct vsock_inbox *rb = (struct vsock_inbox *)(uintptr_t)b; /* read-only use */

	if (!b->count)
		return false;
	ring_copy(rb, b->head, hb, VSOCK_HDR_LEN, false);
	vsock_hdr_decode(hb, h);
	if (h->len)
		ring_copy(rb, b->head + VSOCK_HDR_LEN, payload, h->len, false);
	return true;
}

void vsock_inbox_pop(struct vsock_inbox *b)
{
	uint8_t hb[VSOCK_HDR_LEN];
	struct vsock_hdr h;
	uint32_t size;

	if (!b->count)
		return;
	ring_copy(b, b->head, hb, VSOCK_HDR_LEN, false);
	vsock_hdr_decode(hb, &h);
	size = VSOCK_HDR_LEN + h.len; /* ours: put wrote it */
	ring_zero(b, b->head, size);
	b->head = (b->head + size) % VSOCK_INBOX_BYTES;
	b->used -= size;
	b->count--;
	b->front_done = 0;
	zv_memset(hb, 0, sizeof(hb));
}

void vsock_inbox_clear(struct vsock_inbox *b)
{
	vsock_inbox_init(b);
}
