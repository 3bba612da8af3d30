/* libFuzzer target for the vsock relay's pure parts: random packets from the
 * control zone and from an agent through the rules (zones/session/vsock_route.c),
 * and random puts and pops of the per-zone inbox (zones/session/vsock_inbox.c).
 * The invariants below, ASan and UBSan report what goes wrong. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zones/session/vsock_inbox.h"
#include "zones/session/vsock_route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "tests/fuzz/fuzz_cursor.h"

#define AGENT 21ull

static struct vsock_conns t;
static struct vsock_inbox box;
static uint8_t payload[VSOCK_PAYLOAD_MAX], out[VSOCK_PAYLOAD_MAX];
static uint32_t shadow[4096]; /* lengths of the packets in box, in order */
static unsigned shadow_head, shadow_n;

static struct vsock_hdr random_hdr(struct cursor *c, bool from_control)
{
	struct vsock_hdr h = {
		.src_cid = from_control ? VSOCK_CID_CONTROL : AGENT,
		.dst_cid = take(c, 1) & 1 ? (from_control ? AGENT : VSOCK_CID_HOST) : take(c, 8),
		.src_port = (uint32_t)take(c, 1) % 4,
		.dst_port = (uint32_t)take(c, 1) % 4,
		.type = VSOCK_TYPE_STREAM,
		.op = (uint16_t)(take(c, 1) % 8),
	};

	return h;
}

static void check_table(void)
{
	if (t.n > VSOCK_CONNS_MAX)
		abort();
	for (uint32_t i = 0; i < t.n; i++)
		for (uint32_t k = i + 1; k < t.n; k++)
			if (t.c[i].control_port == t.c[k].control_port &&
			    t.c[i].agent_port == t.c[k].agent_port)
				abort();
}

static void route(struct cursor *c, bool from_control)
{
	struct vsock_hdr h = random_hdr(c, from_control), in = h;
	enum vsock_verdict v = from_control ? vsock_from_control(take(c, 1) & 7 ? &t : NULL, &h)
					    : vsock_from_agent(&t, AGENT, &h);

	if (v == VSOCK_FORWARD) {
		/* an agent only ever reaches the control zone, as itself */
		if (!from_control && (h.dst_cid != VSOCK_CID_CONTROL || h.src_cid != AGENT ||
				      in.dst_cid != VSOCK_CID_HOST || in.op == VSOCK_OP_REQUEST))
			abort();
		if (from_control && h.src_cid != VSOCK_CID_HOST)
			abort();
	}
	if (v == VSOCK_REFUSE && in.op == VSOCK_OP_RST)
		abort(); /* an RST is never answered */
	check_table();
}

static void inbox_step(struct cursor *c)
{
	struct vsock_hdr h = {.op = (uint16_t)(take(c, 1) % 8), .type = VSOCK_TYPE_STREAM};
	uint32_t len = (uint32_t)take(c, 3) % (VSOCK_PAYLOAD_MAX + 2);

	if (take(c, 1) & 1) {
		memset(payload, (int)len, len < sizeof(payload) ? len : sizeof(payload));
		if (vsock_inbox_put(&box, &h, payload, len)) {
			if (len > VSOCK_PAYLOAD_MAX || shadow_n == 4096)
				abort();
			shadow[(shadow_head + shadow_n++) % 4096] = len;
		}
	} else if (vsock_inbox_front(&box, &h, out)) {
		uint32_t want = shadow[shadow_head];

		if (!shadow_n || h.len != want ||
		    (want && (out[0] != (uint8_t)want || out[want - 1] != (uint8_t)want)))
			abort();
		vsock_inbox_pop(&box);
		shadow_head = (shadow_head + 1) % 4096;
		shadow_n--;
	} else if (shadow_n) {
		abort();
	}
	if (box.count != shadow_n || box.used > VSOCK_INBOX_BYTES)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor c = {data, size};

	memset(&t, 0, sizeof(t));
	vsock_inbox_init(&box);
	shadow_head = shadow_n = 0;
	for (unsigned i = 0; i < 512 && c.left; i++) {
		switch (take(&c, 1) % 3) {
		case 0: route(&c, true); break;
		case 1: route(&c, false); break;
		default: inbox_step(&c); break;
		}
	}
	return 0;
}
