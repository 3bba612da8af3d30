/* The vsock relay's rules: the control zone opens, agents answer, the relay keeps the table. */
#include "zones/session/vsock_route.h"

uint64_t vsock_agent_cid(uint32_t zone_id)
{
	return VSOCK_CID_AGENT_BASE + (uint64_t)zone_id;
}

static int find(const struct vsock_conns *t, uint32_t control_port, uint32_t agent_port)
{
	for (uint32_t i = 0; i < t->n; i++)
		if (t->c[i].control_port == control_port && t->c[i].agent_port == agent_port)
			return (int)i;
	return -1;
}

bool vsock_conns_remove(struct vsock_conns *t, uint32_t control_port, uint32_t agent_port)
{
	int i = find(t, control_port, agent_port);

	if (i < 0)
		return false;
	t->c[i] = t->c[--t->n]; /* order does not matter */
	return true;
}

/* A packet of connection (control_port, agent_port): REQUEST opens, RST closes. */
static enum vsock_verdict track(struct vsock_conns *t, uint16_t op, uint32_t control_port,
				uint32_t agent_port, bool from_control)
{
	bool open = find(t, control_port, agent_port) >= 0;

	if (op == VSOCK_OP_RST)
		return vsock_conns_remove(t, control_port, agent_port) ? VSOCK_FORWARD : VSOCK_DROP;
	if (op == VSOCK_OP_REQUEST && from_control && !open) {
		if (t->n == VSOCK_CONNS_MAX)
			return VSOCK_REFUSE;
		t->c[t->n++] = (struct vsock_conn){control_port, agent_port};
		return VSOCK_FORWARD;
	}
	if (op == VSOCK_OP_REQUEST && !from_control)
		return VSOCK_REFUSE; /* an agent never opens: not even on a known pair */
	return open ? VSOCK_FORWARD : VSOCK_REFUSE;
}

enum vsock_verdict vsock_from_control(struct vsock_conns *t, struct vsock_hdr *h)
{
	enum vsock_verdict v;

	if (!t)
		return h->op == VSOCK_OP_RST ? VSOCK_DROP : VSOCK_REFUSE;
	v = track(t, h->op, h->src_port, h->dst_port, true);
	if (v == VSOCK_FORWARD)
		h->src_cid = VSOCK_CID_HOST;
	return v;
}

enum vsock_verdict vsock_from_agent(struct vsock_conns *t, uint64_t cid, struct vsock_hdr *h)
{
	enum vsock_verdict v;

	if (h->dst_cid != VSOCK_CID_HOST)
		return h->op == VSOCK_OP_RST ? VSOCK_DROP : VSOCK_REFUSE;
	v = track(t, h->op, h->dst_port, h->src_port, false);
	if (v == VSOCK_FORWARD) {
		h->src_cid = cid;
		h->dst_cid = VSOCK_CID_CONTROL;
	}
	return v;
}

void vsock_rst_for(const struct vsock_hdr *h, struct vsock_hdr *rst)
{
	*rst = (struct vsock_hdr){
		.src_cid = h->dst_cid,
		.dst_cid = h->src_cid,
		.src_port = h->dst_port,
		.dst_port = h->src_port,
		.type = VSOCK_TYPE_STREAM,
		.op = VSOCK_OP_RST,
	};
}

void vsock_rst_to_control(uint64_t cid, const struct vsock_conn *c, struct vsock_hdr *rst)
{
	*rst = (struct vsock_hdr){
		.src_cid = cid,
		.dst_cid = VSOCK_CID_CONTROL,
		.src_port = c->agent_port,
		.dst_port = c->control_port,
		.type = VSOCK_TYPE_STREAM,
		.op = VSOCK_OP_RST,
	};
}

void vsock_rst_to_agent(uint64_t cid, const struct vsock_conn *c, struct vsock_hdr *rst)
{
	*rst = (struct vsock_hdr){
		.src_cid = VSOCK_CID_HOST,
		.dst_cid = cid,
		.src_port = c->control_port,
		.dst_port = c->agent_port,
		.type = VSOCK_TYPE_STREAM,
		.op = VSOCK_OP_RST,
	};
}
