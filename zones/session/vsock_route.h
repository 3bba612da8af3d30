/* The vsock relay's rules (docs/sessions.md): which packet may pass between the control zone and
 * an agent zone, over each agent zone's table of connections (pure C). */
#ifndef ZV_SESSION_VSOCK_ROUTE_H
#define ZV_SESSION_VSOCK_ROUTE_H

#include <stdbool.h>
#include <stdint.h>

#include "zones/virtio/vsock.h"

/*
 * Addresses.  The control zone's device has guest_cid 3; an agent zone's has
 * 16 + its zone id (ids are never reused in a run, so a control-side socket
 * left over from a zone that ended never reaches a new one).  An agent zone
 * sees the control zone as the host, CID 2; the control zone sees each agent
 * zone at its own CID.  Only the control zone opens connections, and only to
 * an agent zone; never zone to zone.
 */
#define VSOCK_CID_HOST	     2
#define VSOCK_CID_CONTROL    3
#define VSOCK_CID_AGENT_BASE 16
#define VSOCK_CONNS_MAX	     64 /* connections per agent zone */

/* The CID of the agent zone with this zone id. */
uint64_t vsock_agent_cid(uint32_t zone_id);

struct vsock_conn {
	uint32_t control_port, agent_port;
};

/* An agent zone's open connections, each opened by the control zone's REQUEST. */
struct vsock_conns {
	uint32_t n;
	struct vsock_conn c[VSOCK_CONNS_MAX];
};

enum vsock_verdict {
	VSOCK_FORWARD, /* deliver the (rewritten) packet */
	VSOCK_REFUSE,  /* answer the sender with vsock_rst_for() */
	VSOCK_DROP,    /* say nothing: an RST for a connection the relay does not know */
};

/*
 * A packet the control zone sent (its src_cid already checked as 3 by the
 * device).  t: the table of the live agent zone whose CID is h->dst_cid, or
 * NULL when there is none.  A REQUEST opens a connection (REFUSE when the
 * table is full), an RST closes one, anything else needs an open one.  On
 * FORWARD, h->src_cid becomes 2 (the agent sees the host).
 */
enum vsock_verdict vsock_from_control(struct vsock_conns *t, struct vsock_hdr *h);

/*
 * A packet agent zone `cid` sent (src_cid already checked by the device), over
 * its table t.  It may only go to CID 2, on a connection the control zone
 * opened; its REQUEST is refused.  An RST closes the connection.  On FORWARD
 * h is rewritten for the control zone: src_cid the agent's, dst_cid 3.
 */
enum vsock_verdict vsock_from_agent(struct vsock_conns *t, uint64_t cid, struct vsock_hdr *h);

/* The RST that answers h, as from its addressee: addresses and ports swapped. */
void vsock_rst_for(const struct vsock_hdr *h, struct vsock_hdr *rst);

/* The RSTs that end connection c of agent zone `cid` on each side. */
void vsock_rst_to_control(uint64_t cid, const struct vsock_conn *c, struct vsock_hdr *rst);
void vsock_rst_to_agent(uint64_t cid, const struct vsock_conn *c, struct vsock_hdr *rst);

/* Removes (control_port, agent_port) from t; false if it was not there. */
bool vsock_conns_remove(struct vsock_conns *t, uint32_t control_port, uint32_t agent_port);

#endif
