/* Unit tests of the vsock relay's pure parts: its rules (zones/session/vsock_route.c) and the
 * per-zone FIFO of held packets (zones/session/vsock_inbox.c). */
#include <string.h>

#include "tests/unit/test.h"
#include "zones/session/vsock_inbox.h"
#include "zones/session/vsock_route.h"

#define AGENT 21ull /* zone id 5 */

static struct vsock_hdr pkt(uint64_t src, uint64_t dst, uint32_t sport, uint32_t dport, uint16_t op)
{
	return (struct vsock_hdr){.src_cid = src,
				  .dst_cid = dst,
				  .src_port = sport,
				  .dst_port = dport,
				  .type = VSOCK_TYPE_STREAM,
				  .op = op,
				  .buf_alloc = 1 << 18};
}

static struct vsock_hdr from_control(uint32_t cport, uint32_t aport, uint16_t op)
{
	return pkt(VSOCK_CID_CONTROL, AGENT, cport, aport, op);
}

static struct vsock_hdr from_agent(uint32_t aport, uint32_t cport, uint16_t op)
{
	return pkt(AGENT, VSOCK_CID_HOST, aport, cport, op);
}

TEST(vsock_cids)
{
	CHECK_EQ_U64(vsock_agent_cid(5), AGENT);
	CHECK_EQ_U64(vsock_agent_cid(1), 17);
}

TEST(vsock_control_opens_and_agent_answers)
{
	struct vsock_conns t = {0};
	struct vsock_hdr h = from_control(1025, 7000, VSOCK_OP_REQUEST);

	CHECK_EQ_U64(vsock_from_control(&t, &h), VSOCK_FORWARD);
	CHECK_EQ_U64(h.src_cid, VSOCK_CID_HOST); /* the agent sees the host */
	CHECK_EQ_U64(h.dst_cid, AGENT);
	CHECK_EQ_U64(t.n, 1);
	h = from_agent(7000, 1025, VSOCK_OP_RESPONSE);
	CHECK_EQ_U64(vsock_from_agent(&t, AGENT, &h), VSOCK_FORWARD);
	CHECK_EQ_U64(h.src_cid, AGENT);
	CHECK_EQ_U64(h.dst_cid, VSOCK_CID_CONTROL);
	h = from_agent(7000, 1025, VSOCK_OP_RW);
	CHECK_EQ_U64(vsock_from_agent(&t, AGENT, &h), VSOCK_FORWARD);
	h = from_control(1025, 7000, VSOCK_OP_CREDIT_UPDATE);
	CHECK_EQ_U64(vsock_from_control(&t, &h), VSOCK_FORWARD);
	/* the agent's RST closes it; what follows is refused */
	h = from_agent(7000, 1025, VSOCK_OP_RST);
	CHECK_EQ_U64(vsock_from_agent(&t, AGENT, &h), VSOCK_FORWARD);
	CHECK_EQ_U64(t.n, 0);
	h = from_agent(7000, 1025, VSOCK_OP_RW);
	CHECK_EQ_U64(vsock_from_agent(&t, AGENT, &h), VSOCK_REFUSE);
	h = from_control(1025, 7000, VSOCK_OP_RW);
	CHECK_EQ_U64(vsock_from_control(&t, &h), VSOCK_REFUSE);
	h = from_agent(7000, 1025, VSOCK_OP_RST); /* an RST for nothing: silence */
	CHECK_EQ_U64(vsock_from_agent(&t, AGENT, &h), VSOCK_DROP);
}

TEST(vsock_control_rst_closes)
{
	struct vsock_conns t = {0};
	struct vsock_hdr h = from_control(1025, 7000, VSOCK_OP_REQUEST);

	vsock_from_control(&t, &h);
	h = from_control(1025, 7000, VSOCK_OP_RST);
	CHECK_EQ_U64(vsock_from_control(&t, &h), VSOCK_FORWARD);
	CHECK_EQ_U64(t.n, 0);
	h = from_control(1025, 7000, VSOCK_OP_RST);
	CHECK_EQ_U64(vsock_from_control(&t, &h), VSOCK_DROP);
}

TEST(vsock_agent_never_opens)
{
	struct vsock_conns t = {0};
	struct vsock_hdr h = from_agent(7000, 1025, VSOCK_OP_REQUEST);

	CHECK_EQ_U64(vsock_from_agent(&t, AGENT, &h), VSOCK_REFUSE);
	CHECK_EQ_U64(t.n, 0);
	/* not on a pair the control zone opened either */
	h = from_control(1025, 7000, VSOCK_OP_REQUEST);
	vsock_from_control(&t, &h);
	h = from_agent(7000, 1025, VSOCK_OP_REQUEST);
	CHECK_EQ_U64(vsock_from_agent(&t, AGENT, &h), VSOCK_REFUSE);
	/* to anyone but the host: refused, whatever the op */
	h = pkt(AGENT, 22, 7000, 1025, VSOCK_OP_RW);
	CHECK_EQ_U64(vsock_from_agent(&t, AGENT, &h), VSOCK_REFUSE);
	h = pkt(AGENT, VSOCK_CID_CONTROL, 7000, 1025, VSOCK_OP_RW);
	CHECK_EQ_U64(vsock_from_agent(&t, AGENT, &h), VSOCK_REFUSE);
	h = pkt(AGENT, 2 | (1ull << 32), 7000, 1025, VSOCK_OP_RW);
	CHECK_EQ_U64(vsock_from_agent(&t, AGENT, &h), VSOCK_REFUSE);
	h = pkt(AGENT, 22, 7000, 1025, VSOCK_OP_RST);
	CHECK_EQ_U64(vsock_from_agent(&t, AGENT, &h), VSOCK_DROP);
	CHECK_EQ_U64(t.n, 1);
}

TEST(vsock_no_such_zone)
{
	struct vsock_hdr h = pkt(VSOCK_CID_CONTROL, 99, 1025, 7000, VSOCK_OP_REQUEST), r;

	CHECK_EQ_U64(vsock_from_control(NULL, &h), VSOCK_REFUSE);
	vsock_rst_for(&h, &r);
	CHECK_EQ_U64(r.src_cid, 99);
	CHECK_EQ_U64(r.dst_cid, VSOCK_CID_CONTROL);
	CHECK_EQ_U64(r.src_port, 7000);
	CHECK_EQ_U64(r.dst_port, 1025);
	CHECK_EQ_U64(r.op, VSOCK_OP_RST);
	CHECK_EQ_U64(r.len, 0);
	h.op = VSOCK_OP_RST;
	CHECK_EQ_U64(vsock_from_control(NULL, &h), VSOCK_DROP);
}

TEST(vsock_table_is_bounded)
{
	struct vsock_conns t = {0};
	struct vsock_hdr h;

	for (uint32_t i = 0; i < VSOCK_CONNS_MAX; i++) {
		h = from_control(2000 + i, 7000, VSOCK_OP_REQUEST);
		CHECK_EQ_U64(vsock_from_control(&t, &h), VSOCK_FORWARD);
	}
	h = from_control(1999, 7000, VSOCK_OP_REQUEST);
	CHECK_EQ_U64(vsock_from_control(&t, &h), VSOCK_REFUSE);
	h = from_control(2000, 7000, VSOCK_OP_REQUEST); /* a repeat of an open one */
	CHECK_EQ_U64(vsock_from_control(&t, &h), VSOCK_FORWARD);
	CHECK_EQ_U64(t.n, VSOCK_CONNS_MAX);
	CHECK(vsock_conns_remove(&t, 2010, 7000));
	CHECK(!vsock_conns_remove(&t, 2010, 7000));
	h = from_control(1999, 7000, VSOCK_OP_REQUEST);
	CHECK_EQ_U64(vsock_from_control(&t, &h), VSOCK_FORWARD);
}

TEST(vsock_teardown_rsts)
{
	struct vsock_conn c = {1025, 7000};
	struct vsock_hdr r;

	vsock_rst_to_control(AGENT, &c, &r);
	CHECK(r.src_cid == AGENT && r.dst_cid == VSOCK_CID_CONTROL && r.src_port == 7000 &&
	      r.dst_port == 1025 && r.op == VSOCK_OP_RST && r.type == VSOCK_TYPE_STREAM);
	vsock_rst_to_agent(AGENT, &c, &r);
	CHECK(r.src_cid == VSOCK_CID_HOST && r.dst_cid == AGENT && r.src_port == 1025 &&
	      r.dst_port == 7000 && r.op == VSOCK_OP_RST);
}

static struct vsock_inbox box;
static uint8_t data[VSOCK_PAYLOAD_MAX], out[VSOCK_PAYLOAD_MAX];

TEST(vsock_inbox_fifo_wraps)
{
	struct vsock_hdr h = from_control(1, 2, VSOCK_OP_RW), g;

	vsock_inbox_init(&box);
	for (uint32_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 31 + 7);
	/* many rounds of 20000 bytes: the ring wraps in the middle of a packet */
	for (unsigned round = 0; round < 20; round++) {
		CHECK(vsock_inbox_put(&box, &h, data + round, 20000));
		CHECK(vsock_inbox_put(&box, &h, data, 100));
		CHECK(vsock_inbox_front(&box, &g, out));
		CHECK_EQ_U64(g.len, 20000);
		CHECK_EQ_U64(g.op, VSOCK_OP_RW);
		CHECK(memcmp(out, data + round, 20000) == 0);
		vsock_inbox_pop(&box);
		CHECK(vsock_inbox_front(&box, &g, out));
		CHECK_EQ_U64(g.len, 100);
		vsock_inbox_pop(&box);
		CHECK(vsock_inbox_empty(&box));
	}
	for (uint32_t i = 0; i < VSOCK_INBOX_BYTES; i++)
		if (box.ring[i])
			CHECK(!"a byte survived its packet");
}

TEST(vsock_inbox_is_bounded_with_a_reserve_for_rsts)
{
	struct vsock_hdr h = from_control(1, 2, VSOCK_OP_RW), rst = h;
	unsigned n = 0;

	rst.op = VSOCK_OP_RST;
	vsock_inbox_init(&box);
	while (vsock_inbox_put(&box, &h, data, 4096))
		n++;
	CHECK(n >= (VSOCK_INBOX_BYTES - VSOCK_INBOX_RESERVE) / (VSOCK_HDR_LEN + 4096));
	while (vsock_inbox_put(&box, &h, data, 1))
		n++;
	CHECK(!vsock_inbox_put(&box, &h, NULL, 0));
	for (unsigned i = 0; i < 64; i++)
		CHECK(vsock_inbox_put(&box, &rst, NULL, 0));
	CHECK_EQ_U64(box.count, n + 64);
	CHECK(!vsock_inbox_put(&box, &h, data, VSOCK_PAYLOAD_MAX + 1));
	vsock_inbox_clear(&box);
	CHECK(vsock_inbox_empty(&box));
	CHECK(!vsock_inbox_front(&box, &h, out));
	vsock_inbox_pop(&box); /* harmless on empty */
}
