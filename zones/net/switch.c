/* The agent-network switch: decides every frame between the agent ports and the uplink. */
#include "zones/net/switch.h"

#include "hv/lib/fmt.h"
#include "hv/lib/string.h"
#include "zones/net/ipv4_scope.h"

#define NET_MASK     0xffffff00u /* the agent network is a /24 */
#define HOST_MASK    0x000000ffu
#define HOST_GATEWAY 1
#define HOST_BCAST   255

/* RFC 1122 3.2.1.3 and RFC 5771: first octets no zone may send to. */
#define OCTET_THIS_NET	 0	     /* 0.0.0.0/8 */
#define OCTET_LOOPBACK	 127	     /* 127.0.0.0/8 */
#define IP_MULTICAST	 0xe0000000u /* 224.0.0.0/4 */
#define IP_RESERVED	 0xf0000000u /* 240.0.0.0/4, class E */
#define IP_LIMITED_BCAST 0xffffffffu

/* RFC 792 message types. */
#define ICMP_ECHO_REPLY	       0
#define ICMP_UNREACHABLE       3
#define ICMP_ECHO_REQUEST      8
#define ICMP_TIME_EXCEEDED     11
#define ICMP_PARAMETER_PROBLEM 12
#define ICMP_QUOTED_L4	       8 /* RFC 792: the datagram's header and its first 64 bits */

/* A segment that may open a connection: SYN, without ACK, FIN or RST. */
#define TCP_OPEN_MASK (PKT_TCP_SYN | PKT_TCP_ACK | PKT_TCP_FIN | PKT_TCP_RST)
#define TCP_END_MASK  (PKT_TCP_FIN | PKT_TCP_RST)

static const char *const reason_names[SWITCH_REASON_COUNT] = {
	[SWITCH_PASS] = "pass",
	/* as pkt_err_name() and policy_verdict_name() say them (tests/unit/test_switch.c) */
	[SWITCH_DENY_TRUNCATED] = "truncated",
	[SWITCH_DENY_ETHERTYPE] = "ethertype",
	[SWITCH_DENY_ARP_FORMAT] = "arp-format",
	[SWITCH_DENY_ARP_OP] = "arp-op",
	[SWITCH_DENY_IP_VERSION] = "ip-version",
	[SWITCH_DENY_IP_IHL] = "ip-ihl",
	[SWITCH_DENY_IP_TOTAL_LEN] = "ip-total-length",
	[SWITCH_DENY_IP_CHECKSUM] = "ip-checksum",
	[SWITCH_DENY_IP_FRAGMENT] = "ip-fragment",
	[SWITCH_DENY_IP_MORE_FRAGMENTS] = "ip-more-fragments",
	[SWITCH_DENY_TCP_OFFSET] = "tcp-data-offset",
	[SWITCH_DENY_UDP_LENGTH] = "udp-length",
	[SWITCH_DENY_L4_TRUNCATED] = "l4-truncated",
	[SWITCH_DENY_MALFORMED] = "malformed",
	[SWITCH_DENY_NO_SUCH_PORT] = "no-such-port",
	[SWITCH_DENY_SPOOFED_MAC] = "spoofed-mac",
	[SWITCH_DENY_SPOOFED_IP] = "spoofed-ip",
	[SWITCH_DENY_IPV6] = "ipv6-denied",
	[SWITCH_DENY_VLAN] = "vlan-denied",
	[SWITCH_DENY_BROADCAST] = "broadcast-denied",
	[SWITCH_DENY_MARTIAN] = "martian",
	[SWITCH_DENY_IP_OPTIONS] = "ip-options",
	[SWITCH_DENY_ZONE_TO_ZONE] = "zone-to-zone",
	[SWITCH_DENY_ARP_NOT_ANSWERED] = "arp-not-answered",
	[SWITCH_DENY_ARP_REPLY] = "arp-reply-denied",
	[SWITCH_DENY_GRATUITOUS_ARP] = "gratuitous-arp",
	[SWITCH_DENY_GATEWAY] = "gateway-denied",
	[SWITCH_DENY_DNS_MALFORMED] = "dns-malformed",
	[SWITCH_DENY_DNS_PENDING_FULL] = "dns-pending-full",
	[SWITCH_DENY_UNSOLICITED_DNS] = "unsolicited-dns",
	[SWITCH_DENY_NAME] = "name-refused",
	[SWITCH_DENY_NO_RULE] = "no-rule",
	[SWITCH_DENY_EXPIRED] = "expired",
	[SWITCH_DENY_PORT] = "port-not-allowed",
	[SWITCH_DENY_PROTO] = "protocol-not-allowed",
	[SWITCH_DENY_ICMP] = "icmp-not-allowed",
	[SWITCH_DENY_CONN_FULL] = "conntrack-full",
	[SWITCH_DENY_INTERNAL] = "internal-address",
	[SWITCH_DENY_NO_CONNECTION] = "no-connection",
	[SWITCH_DENY_AUDIT_FULL] = "audit-full",
};

static const uint8_t pkt_reasons[] = {
	[-PKT_ERR_TRUNCATED] = SWITCH_DENY_TRUNCATED,
	[-PKT_ERR_ETHERTYPE] = SWITCH_DENY_ETHERTYPE,
	[-PKT_ERR_ARP_FORMAT] = SWITCH_DENY_ARP_FORMAT,
	[-PKT_ERR_ARP_OP] = SWITCH_DENY_ARP_OP,
	[-PKT_ERR_IP_VERSION] = SWITCH_DENY_IP_VERSION,
	[-PKT_ERR_IP_IHL] = SWITCH_DENY_IP_IHL,
	[-PKT_ERR_IP_TOTAL_LEN] = SWITCH_DENY_IP_TOTAL_LEN,
	[-PKT_ERR_IP_CHECKSUM] = SWITCH_DENY_IP_CHECKSUM,
	[-PKT_ERR_IP_FRAGMENT] = SWITCH_DENY_IP_FRAGMENT,
	[-PKT_ERR_IP_MORE_FRAGMENTS] = SWITCH_DENY_IP_MORE_FRAGMENTS,
	[-PKT_ERR_TCP_OFFSET] = SWITCH_DENY_TCP_OFFSET,
	[-PKT_ERR_UDP_LENGTH] = SWITCH_DENY_UDP_LENGTH,
	[-PKT_ERR_L4_TRUNCATED] = SWITCH_DENY_L4_TRUNCATED,
};

static const uint8_t verdict_reasons[POLICY_VERDICT_COUNT] = {
	[POLICY_DENY_NO_RULE] = SWITCH_DENY_NO_RULE,
	[POLICY_DENY_EXPIRED] = SWITCH_DENY_EXPIRED,
	[POLICY_DENY_PORT] = SWITCH_DENY_PORT,
	[POLICY_DENY_PROTO] = SWITCH_DENY_PROTO,
	[POLICY_DENY_ICMP] = SWITCH_DENY_ICMP,
	[POLICY_DENY_NAME] = SWITCH_DENY_NAME,
	[POLICY_DENY_CONN_FULL] = SWITCH_DENY_CONN_FULL,
	[POLICY_DENY_INTERNAL] = SWITCH_DENY_INTERNAL,
};

const char *switch_reason_name(enum switch_reason r)
{
	if ((unsigned)r >= SWITCH_REASON_COUNT || !reason_names[r])
		return "unknown";
	return reason_names[r];
}

static enum switch_reason pkt_reason(int err)
{
	const int count = (int)(sizeof(pkt_reasons) / sizeof(pkt_reasons[0]));

	if (err >= 0 || err <= -count || !pkt_reasons[-err])
		return SWITCH_DENY_MALFORMED;
	return (enum switch_reason)pkt_reasons[-err];
}

/* A deny verdict of the policy's; anything else (never passed) counts as malformed. */
static enum switch_reason verdict_reason(enum policy_verdict v)
{
	if ((unsigned)v >= POLICY_VERDICT_COUNT || !verdict_reasons[v])
		return SWITCH_DENY_MALFORMED;
	return (enum switch_reason)verdict_reasons[v];
}

/* ---- addresses ----------------------------------------------------------- */

static bool mac_eq(const uint8_t *a, const uint8_t *b)
{
	return zv_memcmp(a, b, PKT_MAC_LEN) == 0;
}

/* IEEE 802-2014 8.2: the I/G bit, set in broadcast and multicast addresses. */
static bool mac_is_group(const uint8_t *m)
{
	return m[0] & 1;
}

static bool mac_is_zero(const uint8_t *m)
{
	static const uint8_t zero[PKT_MAC_LEN];

	return mac_eq(m, zero);
}

static bool in_net(const struct net_switch *sw, uint32_t ip)
{
	return (ip & NET_MASK) == sw->net;
}

static struct switch_port *port_by_ip(struct net_switch *sw, uint32_t ip)
{
	unsigned i;

	if (!in_net(sw, ip))
		return NULL;
	i = sw->by_host[ip & HOST_MASK];
	return i ? &sw->port[i - 1] : NULL;
}

/* ---- ports --------------------------------------------------------------- */

int switch_init(struct net_switch *sw, uint32_t net, const uint8_t gw_mac[PKT_MAC_LEN])
{
	uint32_t first = net >> 24;

	zv_memset(sw, 0, sizeof(*sw));
	/* Internal: the policy then never learns the gateway's or a zone's address from DNS. */
	if ((net & HOST_MASK) || !ipv4_is_internal(net) || first == OCTET_THIS_NET ||
	    first == OCTET_LOOPBACK || net >= IP_MULTICAST || mac_is_group(gw_mac) ||
	    mac_is_zero(gw_mac))
		return -1;
	sw->net = net;
	sw->gw_ip = net | HOST_GATEWAY;
	zv_memcpy(sw->gw_mac, gw_mac, PKT_MAC_LEN);
	return 0;
}

static bool port_args_ok(const struct net_switch *sw, const uint8_t *mac, uint32_t ip,
			 const struct policy *policy)
{
	uint32_t host = ip & HOST_MASK;

	if (!policy || !sw->net || mac_is_group(mac) || mac_is_zero(mac) || mac_eq(mac, sw->gw_mac))
		return false;
	if (!in_net(sw, ip) || host == 0 || host == HOST_GATEWAY || host == HOST_BCAST ||
	    sw->by_host[host])
		return false;
	for (unsigned i = 0; i < SWITCH_MAX_PORTS; i++) {
		if (sw->port[i].used && mac_eq(sw->port[i].mac, mac))
			return false;
	}
	return true;
}

int switch_add_port(struct net_switch *sw, const uint8_t mac[PKT_MAC_LEN], uint32_t ip,
		    struct policy *policy)
{
	if (!port_args_ok(sw, mac, ip, policy))
		return -1;
	for (unsigned i = 0; i < SWITCH_MAX_PORTS; i++) {
		struct switch_port *pt = &sw->port[i];

		if (pt->used)
			continue;
		zv_memset(pt, 0, sizeof(*pt));
		pt->used = true;
		zv_memcpy(pt->mac, mac, PKT_MAC_LEN);
		pt->ip = ip;
		pt->policy = policy;
		sw->by_host[ip & HOST_MASK] = (uint8_t)(i + 1);
		return (int)i;
	}
	return -1;
}

void switch_remove_port(struct net_switch *sw, unsigned port)
{
	struct switch_port *pt;

	if (port >= SWITCH_MAX_PORTS || !sw->port[port].used)
		return;
	pt = &sw->port[port];
	sw->by_host[pt->ip & HOST_MASK] = 0;
	zv_memset(pt, 0, sizeof(*pt));
}

/* ---- one decision -------------------------------------------------------- */

/* What one call is deciding about. */
struct ctx {
	struct net_switch *sw;
	struct switch_port *port;  /* the agent port concerned, once known */
	struct switch_counters *c; /* its counters, or the uplink's */
	struct switch_out *out;
	const struct pkt *p;
	size_t len;
	uint64_t now;
};

/* Copies what the audit line shows: every field pkt_parse() got to. */
static void out_begin(struct switch_out *out, const struct pkt *p, int port, bool from_uplink)
{
	out->action = SWITCH_DROP;
	out->reason = SWITCH_PASS;
	out->port = port;
	out->from_uplink = from_uplink;
	out->kind = p->kind;
	out->proto = p->ip.protocol;
	out->icmp_type = p->icmp.type;
	zv_memcpy(out->src_mac, p->src_mac, PKT_MAC_LEN);
	zv_memcpy(out->dst_mac, p->dst_mac, PKT_MAC_LEN);
	out->src_ip = p->kind == PKT_KIND_ARP ? p->arp.sender_ip : p->ip.src;
	out->dst_ip = p->kind == PKT_KIND_ARP ? p->arp.target_ip : p->ip.dst;
	out->src_port = p->ip.protocol == PKT_PROTO_TCP ? p->tcp.src_port : p->udp.src_port;
	out->dst_port = p->ip.protocol == PKT_PROTO_TCP ? p->tcp.dst_port : p->udp.dst_port;
	out->name[0] = '\0';
	out->admitted = false;
	out->reply_len = 0;
}

static enum switch_action deny(struct ctx *x, enum switch_reason r)
{
	x->c->denied++;
	x->c->reason[r]++;
	x->out->reason = r;
	x->out->action = SWITCH_DROP;
	return SWITCH_DROP;
}

static enum switch_action pass(struct ctx *x, enum switch_action a)
{
	x->c->allowed++;
	if (a == SWITCH_TO_UPLINK)
		x->c->bytes_to_uplink += x->len;
	else if (a == SWITCH_TO_PORT)
		x->c->bytes_to_zone += x->len;
	x->out->action = a;
	return a;
}

/* "ip is at mac", to the requester. */
static enum switch_action answer_arp(struct ctx *x, const uint8_t *mac)
{
	struct switch_out *out = x->out;

	out->reply_len = pkt_build_arp_reply(x->p, mac, out->reply, sizeof(out->reply));
	if (!out->reply_len)
		return deny(x, SWITCH_DENY_MALFORMED);
	return pass(x, SWITCH_REPLY);
}

/* The connection a packet belongs to, written as the zone sends it
 * (policy.h): inbound packets have their ends swapped. ICMP: echo identifier. */
static struct policy_tuple tuple_of(const struct pkt *p, bool inbound)
{
	struct policy_tuple t = {.proto = p->ip.protocol};
	uint16_t a = 0, b = 0;

	if (p->ip.protocol == PKT_PROTO_TCP) {
		a = p->tcp.src_port;
		b = p->tcp.dst_port;
	} else if (p->ip.protocol == PKT_PROTO_UDP) {
		a = p->udp.src_port;
		b = p->udp.dst_port;
	} else if (p->ip.protocol == PKT_PROTO_ICMP) {
		a = b = (uint16_t)(p->icmp.rest >> 16);
	}
	t.src_ip = inbound ? p->ip.dst : p->ip.src;
	t.dst_ip = inbound ? p->ip.src : p->ip.dst;
	t.src_port = inbound ? b : a;
	t.dst_port = inbound ? a : b;
	return t;
}

static bool tcp_ends(const struct pkt *p)
{
	return p->ip.protocol == PKT_PROTO_TCP && (p->tcp.flags & TCP_END_MASK);
}

/* ---- DNS queries in flight ------------------------------------------------- */

static bool query_is(const struct switch_dns_query *q, uint16_t zone_port, const struct dns_msg *m)
{
	return q->id == m->id && q->src_port == zone_port && q->qtype == m->qtype &&
	       q->qclass == m->qclass && zv_strcmp(q->name, m->qname) == 0;
}

/* Remembers the query (a retransmission refreshes its entry); false if every slot is live. */
static bool pending_add(struct switch_port *pt, uint16_t zone_port, const struct dns_msg *m,
			uint64_t now)
{
	struct switch_dns_query *slot = NULL;

	for (unsigned i = 0; i < SWITCH_DNS_PENDING; i++) {
		struct switch_dns_query *q = &pt->pending[i];

		if (q->deadline_ms > now && query_is(q, zone_port, m)) {
			slot = q;
			break;
		}
		if (!slot && q->deadline_ms <= now)
			slot = q;
	}
	if (!slot)
		return false;
	slot->deadline_ms = now + SWITCH_DNS_TIMEOUT_MS;
	slot->id = m->id;
	slot->src_port = zone_port;
	slot->qtype = m->qtype;
	slot->qclass = m->qclass;
	zv_strlcpy(slot->name, m->qname, sizeof(slot->name));
	return true;
}

/* RFC 5452 9.1: an answer matches on ID, port and question.  One answer per query. */
static bool pending_take(struct switch_port *pt, uint16_t zone_port, const struct dns_msg *m,
			 uint64_t now)
{
	for (unsigned i = 0; i < SWITCH_DNS_PENDING; i++) {
		struct switch_dns_query *q = &pt->pending[i];

		if (q->deadline_ms > now && query_is(q, zone_port, m)) {
			q->deadline_ms = 0;
			return true;
		}
	}
	return false;
}

/* ---- from an agent zone ---------------------------------------------------- */

static enum switch_action agent_arp(struct ctx *x)
{
	const struct pkt_arp *a = &x->p->arp;
	const struct net_switch *sw = x->sw;

	if (!mac_eq(a->sender_mac, x->port->mac))
		return deny(x, SWITCH_DENY_SPOOFED_MAC);
	if (a->op != PKT_ARP_REQUEST)
		return deny(x, SWITCH_DENY_ARP_REPLY);
	/* RFC 5227 2.1.1: a probe (sender 0.0.0.0) unanswered means "no conflict". */
	if (a->sender_ip == 0)
		return deny(x, SWITCH_DENY_ARP_NOT_ANSWERED);
	if (a->sender_ip != x->port->ip)
		return deny(x, SWITCH_DENY_SPOOFED_IP);
	if (a->target_ip == a->sender_ip)
		return deny(x, SWITCH_DENY_GRATUITOUS_ARP);
	if (a->target_ip == sw->gw_ip)
		return answer_arp(x, sw->gw_mac);
	if (in_net(sw, a->target_ip))
		return deny(x, SWITCH_DENY_ZONE_TO_ZONE);
	return deny(x, SWITCH_DENY_ARP_NOT_ANSWERED);
}

/* The REFUSED answer, built by the switch; the query goes no further. */
static enum switch_action refuse(struct ctx *x)
{
	struct switch_out *out = x->out;

	deny(x, SWITCH_DENY_NAME);
	out->reply_len = dns_build_refused(x->p, &out->dns, out->reply, sizeof(out->reply));
	if (out->reply_len)
		out->action = SWITCH_REPLY;
	return out->action;
}

/* To the gateway only DNS: allowed names go to the resolver, the rest are refused here. */
static enum switch_action agent_dns(struct ctx *x)
{
	const struct pkt *p = x->p;
	struct dns_msg *m = &x->out->dns;

	if (p->ip.protocol != PKT_PROTO_UDP || p->udp.dst_port != DNS_PORT)
		return deny(x, SWITCH_DENY_GATEWAY);
	if (dns_parse(p->payload, p->payload_len, m) != DNS_OK || m->qr ||
	    m->opcode != DNS_OPCODE_QUERY)
		return deny(x, SWITCH_DENY_DNS_MALFORMED);
	zv_strlcpy(x->out->name, m->qname, sizeof(x->out->name));
	if (!policy_verdict_allows(policy_check_query(x->port->policy, m->qname)))
		return refuse(x);
	if (!pending_add(x->port, p->udp.src_port, m, x->now))
		return deny(x, SWITCH_DENY_DNS_PENDING_FULL);
	return pass(x, SWITCH_TO_UPLINK);
}

/* A new connection: the policy decides, then conntrack must have room. */
static enum switch_reason admit(struct ctx *x, const struct policy_tuple *t)
{
	struct policy *pol = x->port->policy;
	enum policy_verdict v = policy_check_new(pol, t->proto, t->dst_ip, t->dst_port, x->now);

	x->out->verdict = v;
	if (policy_verdict_allows(v))
		v = policy_conn_open(pol, t, x->now);
	return policy_verdict_allows(v) ? SWITCH_PASS : verdict_reason(v);
}

/* To the outside: a tracked connection passes; a new one is the policy's to admit. */
static enum switch_action agent_outside(struct ctx *x)
{
	const struct pkt *p = x->p;
	struct policy_tuple t = tuple_of(p, false);
	enum switch_reason r;

	if (p->ip.protocol == PKT_PROTO_ICMP && p->icmp.type != ICMP_ECHO_REQUEST)
		return deny(x, SWITCH_DENY_ICMP);
	if (!policy_conn_lookup(x->port->policy, &t, x->now)) {
		if (p->ip.protocol == PKT_PROTO_TCP &&
		    (p->tcp.flags & TCP_OPEN_MASK) != PKT_TCP_SYN)
			return deny(x, SWITCH_DENY_NO_CONNECTION);
		if (x->port->hold_new)
			return deny(x, SWITCH_DENY_AUDIT_FULL);
		r = admit(x, &t);
		if (r != SWITCH_PASS)
			return deny(x, r);
		x->out->admitted = true;
	}
	if (tcp_ends(p))
		policy_conn_close(x->port->policy, &t, x->now);
	return pass(x, SWITCH_TO_UPLINK);
}

/* Addresses no zone has business sending to (RFC 1122 3.2.1.3, RFC 5771, RFC 919). */
static enum switch_reason outside_dst_reason(uint32_t dst)
{
	uint32_t first = dst >> 24;

	if (dst == IP_LIMITED_BCAST || (dst >= IP_MULTICAST && dst < IP_RESERVED))
		return SWITCH_DENY_BROADCAST;
	if (first == OCTET_THIS_NET || first == OCTET_LOOPBACK || dst >= IP_RESERVED)
		return SWITCH_DENY_MARTIAN;
	return SWITCH_PASS;
}

/*
 * Every IPv4 frame of a zone goes to the gateway's MAC from the pinned
 * address.  IPv4 options are refused: the uplink is a Linux router, and a
 * source-route option (RFC 791 3.1) would let it carry the packet on to an
 * address the switch never saw.
 */
static enum switch_action agent_ipv4(struct ctx *x)
{
	const struct pkt *p = x->p;
	const struct net_switch *sw = x->sw;
	enum switch_reason r;

	if (p->ip.src != x->port->ip)
		return deny(x, SWITCH_DENY_SPOOFED_IP);
	if (mac_is_group(p->dst_mac))
		return deny(x, SWITCH_DENY_BROADCAST);
	if (!mac_eq(p->dst_mac, sw->gw_mac))
		return deny(x, SWITCH_DENY_ZONE_TO_ZONE);
	if (p->ip.hdr_len > PKT_IP_HLEN_MIN)
		return deny(x, SWITCH_DENY_IP_OPTIONS);
	if (in_net(sw, p->ip.dst))
		return p->ip.dst == sw->gw_ip ? agent_dns(x) : deny(x, SWITCH_DENY_ZONE_TO_ZONE);
	r = outside_dst_reason(p->ip.dst);
	if (r != SWITCH_PASS)
		return deny(x, r);
	return agent_outside(x);
}

enum switch_action switch_from_agent(struct net_switch *sw, unsigned port, const uint8_t *frame,
				     size_t len, uint64_t now_ms, struct switch_out *out)
{
	struct pkt p;
	int rc = pkt_parse(frame, len, &p);
	struct ctx x = {.sw = sw, .c = &sw->uplink, .out = out, .p = &p, .len = len, .now = now_ms};

	if (port >= SWITCH_MAX_PORTS || !sw->port[port].used) {
		out_begin(out, &p, -1, false);
		return deny(&x, SWITCH_DENY_NO_SUCH_PORT);
	}
	x.port = &sw->port[port];
	x.c = &x.port->count;
	out_begin(out, &p, (int)port, false);
	if (rc != PKT_OK)
		return deny(&x, pkt_reason(rc));
	if (!mac_eq(p.src_mac, x.port->mac))
		return deny(&x, SWITCH_DENY_SPOOFED_MAC);
	switch (p.kind) {
	case PKT_KIND_ARP: return agent_arp(&x);
	case PKT_KIND_IPV4: return agent_ipv4(&x);
	case PKT_KIND_IPV6: return deny(&x, SWITCH_DENY_IPV6);
	case PKT_KIND_VLAN: return deny(&x, SWITCH_DENY_VLAN);
	default: return deny(&x, SWITCH_DENY_MALFORMED);
	}
}

/* ---- from the uplink ------------------------------------------------------- */

/* The control zone asks for an agent's address: the switch answers with the pinned MAC. */
static enum switch_action uplink_arp(struct ctx *x)
{
	const struct pkt_arp *a = &x->p->arp;
	const struct switch_port *pt;

	if (!mac_eq(a->sender_mac, x->sw->gw_mac))
		return deny(x, SWITCH_DENY_SPOOFED_MAC);
	if (a->op != PKT_ARP_REQUEST)
		return deny(x, SWITCH_DENY_ARP_REPLY);
	if (a->sender_ip != x->sw->gw_ip)
		return deny(x, SWITCH_DENY_SPOOFED_IP);
	pt = port_by_ip(x->sw, a->target_ip);
	if (!pt)
		return deny(x, SWITCH_DENY_ARP_NOT_ANSWERED);
	return answer_arp(x, pt->mac);
}

/*
 * An answer from the resolver to a query in flight: every A record admits
 * its address in the port's policy under the question's name, the name the
 * policy allowed.  Records are owned by CNAME targets as often as by the
 * question (RFC 1034 3.6.2), and the owner of the allowed name already
 * chooses the answer, so learning under the question widens nothing.  That
 * owner may answer with an internal address (169.254.169.254, RFC 1918, the
 * gateway): the policy learns none of those (policy_learn, ipv4_scope.h).
 */
static enum switch_action uplink_dns(struct ctx *x)
{
	const struct pkt *p = x->p;
	struct dns_msg *m = &x->out->dns;

	if (p->ip.protocol != PKT_PROTO_UDP || p->udp.src_port != DNS_PORT)
		return deny(x, SWITCH_DENY_GATEWAY);
	if (dns_parse(p->payload, p->payload_len, m) != DNS_OK)
		return deny(x, SWITCH_DENY_DNS_MALFORMED);
	zv_strlcpy(x->out->name, m->qname, sizeof(x->out->name));
	if (!m->qr || !pending_take(x->port, p->udp.dst_port, m, x->now))
		return deny(x, SWITCH_DENY_UNSOLICITED_DNS);
	for (unsigned i = 0; i < m->answer_count; i++)
		policy_learn(x->port->policy, m->qname, m->answer[i].addr, m->answer[i].ttl,
			     x->now);
	return pass(x, SWITCH_TO_PORT);
}

/* The connection of the datagram an ICMP error quotes (RFC 792: its IP
 * header and first 8 bytes), as the zone sent it. */
static bool quoted_tuple(const struct pkt *p, struct policy_tuple *t)
{
	const uint8_t *q = p->payload;
	size_t n = p->payload_len, hl;

	if (n < PKT_IP_HLEN_MIN || q[0] >> 4 != 4)
		return false;
	hl = (size_t)(q[0] & 0x0f) * 4;
	if (hl < PKT_IP_HLEN_MIN || hl > n || n - hl < ICMP_QUOTED_L4)
		return false;
	t->proto = q[9];
	t->src_ip = pkt_get32(q + 12);
	t->dst_ip = pkt_get32(q + 16);
	q += hl;
	if (t->proto == PKT_PROTO_TCP || t->proto == PKT_PROTO_UDP) {
		t->src_port = pkt_get16(q);
		t->dst_port = pkt_get16(q + 2);
		return true;
	}
	if (t->proto == PKT_PROTO_ICMP && q[0] == ICMP_ECHO_REQUEST) {
		t->src_port = t->dst_port = pkt_get16(q + 4);
		return true;
	}
	return false;
}

static bool icmp_is_error(uint8_t type)
{
	return type == ICMP_UNREACHABLE || type == ICMP_TIME_EXCEEDED ||
	       type == ICMP_PARAMETER_PROBLEM;
}

/* Unreachable, time exceeded, parameter problem: only about a connection of the zone's. */
static enum switch_action uplink_icmp_error(struct ctx *x)
{
	struct policy_tuple t;

	if (!icmp_is_error(x->p->icmp.type) || !quoted_tuple(x->p, &t) || t.src_ip != x->port->ip ||
	    !policy_conn_lookup(x->port->policy, &t, x->now))
		return deny(x, SWITCH_DENY_NO_CONNECTION);
	return pass(x, SWITCH_TO_PORT);
}

/* From the outside: only packets of connections the zone opened. */
static enum switch_action uplink_conn(struct ctx *x)
{
	const struct pkt *p = x->p;
	struct policy_tuple t = tuple_of(p, true);

	if (p->ip.protocol == PKT_PROTO_ICMP && p->icmp.type != ICMP_ECHO_REPLY)
		return uplink_icmp_error(x);
	if (!policy_conn_lookup(x->port->policy, &t, x->now))
		return deny(x, SWITCH_DENY_NO_CONNECTION);
	if (tcp_ends(p))
		policy_conn_close(x->port->policy, &t, x->now);
	return pass(x, SWITCH_TO_PORT);
}

static enum switch_action uplink_ipv4(struct ctx *x)
{
	const struct pkt *p = x->p;
	struct switch_port *pt;

	if (mac_is_group(p->dst_mac))
		return deny(x, SWITCH_DENY_BROADCAST);
	pt = port_by_ip(x->sw, p->ip.dst);
	if (!pt || !mac_eq(p->dst_mac, pt->mac))
		return deny(x, SWITCH_DENY_NO_SUCH_PORT);
	x->port = pt;
	x->c = &pt->count;
	x->out->port = (int)(pt - x->sw->port);
	if (p->ip.src == x->sw->gw_ip)
		return uplink_dns(x);
	/* The control zone must not carry one zone's packets to another. */
	if (in_net(x->sw, p->ip.src))
		return deny(x, SWITCH_DENY_ZONE_TO_ZONE);
	return uplink_conn(x);
}

enum switch_action switch_from_uplink(struct net_switch *sw, const uint8_t *frame, size_t len,
				      uint64_t now_ms, struct switch_out *out)
{
	struct pkt p;
	int rc = pkt_parse(frame, len, &p);
	struct ctx x = {.sw = sw, .c = &sw->uplink, .out = out, .p = &p, .len = len, .now = now_ms};

	out_begin(out, &p, -1, true);
	if (rc != PKT_OK)
		return deny(&x, pkt_reason(rc));
	if (!mac_eq(p.src_mac, sw->gw_mac))
		return deny(&x, SWITCH_DENY_SPOOFED_MAC);
	switch (p.kind) {
	case PKT_KIND_ARP: return uplink_arp(&x);
	case PKT_KIND_IPV4: return uplink_ipv4(&x);
	case PKT_KIND_IPV6: return deny(&x, SWITCH_DENY_IPV6);
	case PKT_KIND_VLAN: return deny(&x, SWITCH_DENY_VLAN);
	default: return deny(&x, SWITCH_DENY_MALFORMED);
	}
}

/* ---- the audit line -------------------------------------------------------- */

#define IP_FMT "%u.%u.%u.%u"
#define IP_ARGS(ip)                                                                          \
	(unsigned)((ip) >> 24), (unsigned)((ip) >> 16 & 0xff), (unsigned)((ip) >> 8 & 0xff), \
		(unsigned)((ip)&0xff)
#define MAC_FMT	    "%02x:%02x:%02x:%02x:%02x:%02x"
#define MAC_ARGS(m) (m)[0], (m)[1], (m)[2], (m)[3], (m)[4], (m)[5]

static void format_ends(const struct switch_out *o, char *buf, size_t len)
{
	const char *l2 = o->kind == PKT_KIND_IPV6   ? "ipv6"
			 : o->kind == PKT_KIND_VLAN ? "vlan"
						    : "eth";

	if (o->kind == PKT_KIND_ARP) {
		zv_snprintf(buf, len, "arp " IP_FMT " -> " IP_FMT, IP_ARGS(o->src_ip),
			    IP_ARGS(o->dst_ip));
	} else if (o->kind != PKT_KIND_IPV4) {
		zv_snprintf(buf, len, "%s " MAC_FMT " -> " MAC_FMT, l2, MAC_ARGS(o->src_mac),
			    MAC_ARGS(o->dst_mac));
	} else if (o->proto == PKT_PROTO_TCP || o->proto == PKT_PROTO_UDP) {
		zv_snprintf(buf, len, "%s " IP_FMT ":%u -> " IP_FMT ":%u",
			    o->proto == PKT_PROTO_TCP ? "tcp" : "udp", IP_ARGS(o->src_ip),
			    o->src_port, IP_ARGS(o->dst_ip), o->dst_port);
	} else if (o->proto == PKT_PROTO_ICMP) {
		zv_snprintf(buf, len, "icmp " IP_FMT " -> " IP_FMT " type %u", IP_ARGS(o->src_ip),
			    IP_ARGS(o->dst_ip), o->icmp_type);
	} else {
		zv_snprintf(buf, len, "ip proto %u " IP_FMT " -> " IP_FMT, o->proto,
			    IP_ARGS(o->src_ip), IP_ARGS(o->dst_ip));
	}
}

size_t switch_format_deny(const struct switch_out *out, char *buf, size_t len)
{
	char where[16], ends[96];
	int n;

	if (len)
		buf[0] = '\0';
	if (out->reason == SWITCH_PASS)
		return 0;
	if (out->port >= 0)
		zv_snprintf(where, sizeof(where), "port %d", out->port);
	else
		zv_strlcpy(where, "uplink", sizeof(where));
	format_ends(out, ends, sizeof(ends));
	n = zv_snprintf(buf, len, "deny %s %s%s%s reason %s", where, ends,
			out->name[0] ? " name " : "", out->name, switch_reason_name(out->reason));
	return n > 0 ? (size_t)n : 0;
}
