/* Unit tests of the agent-network switch (zones/net/switch.c): pinning, ARP, DNS, policy, counters.
 */
#include <stdlib.h>
#include <string.h>

#include "tests/unit/test.h"
#include "zones/net/switch.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define NET	       IP(10, 77, 0, 0)
#define GW	       IP(10, 77, 0, 1)
#define A_IP	       IP(10, 77, 0, 10)
#define B_IP	       IP(10, 77, 0, 11)
#define WEB	       IP(93, 184, 216, 34) /* what the resolver says allowed.test is */
#define OTHER	       IP(198, 51, 100, 7)
#define SEC	       1000ull

static const uint8_t gw_mac[6] = {0x02, 0x7a, 0x76, 0x00, 0x00, 0x01};
static const uint8_t a_mac[6] = {0x02, 0x7a, 0x76, 0x00, 0x00, 0x0a};
static const uint8_t b_mac[6] = {0x02, 0x7a, 0x76, 0x00, 0x00, 0x0b};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t zero_mac[6];

static struct net_switch sw;
static struct policy pol_a, pol_b; /* ~1 MiB each: too big for the stack */
static struct switch_out out;
static int port_a, port_b;

static uint8_t fr[2048]; /* the frame being built */
static size_t fl;

/* The two ends of an IPv4 packet. */
struct ends {
	const uint8_t *smac, *dmac;
	uint32_t sip, dip;
	uint16_t sport, dport;
};

/* A: allowed.test on port 8080 only.  B: no rules at all. */
static void setup(void)
{
	memset(&sw, 0xa5, sizeof(sw)); /* init must not rely on zeroed memory */
	CHECK_EQ_U64(switch_init(&sw, NET, gw_mac), 0);
	policy_init(&pol_a, 0x1111);
	policy_init(&pol_b, 0x2222);
	CHECK_EQ_U64(policy_add_rule(&pol_a, "allowed.test:8080", NULL, 0), 0);
	port_a = switch_add_port(&sw, a_mac, A_IP, &pol_a);
	port_b = switch_add_port(&sw, b_mac, B_IP, &pol_b);
	CHECK_EQ_U64(port_a, 0);
	CHECK_EQ_U64(port_b, 1);
}

/* ---- frames, by hand ------------------------------------------------------ */

static void put_eth(const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	memcpy(fr, dst, 6);
	memcpy(fr + 6, src, 6);
	pkt_put16(fr + 12, type);
}

static void ip_frame(const struct ends *e, uint8_t proto, const uint8_t *l4, size_t n)
{
	uint8_t *ip = fr + 14;

	put_eth(e->dmac, e->smac, PKT_ETH_IPV4);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	pkt_put16(ip + 2, (uint16_t)(20 + n));
	pkt_put16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = proto;
	pkt_put32(ip + 12, e->sip);
	pkt_put32(ip + 16, e->dip);
	pkt_put16(ip + 10, pkt_ip_checksum(ip, 20));
	memcpy(ip + 20, l4, n);
	fl = 34 + n;
}

static void udp(const struct ends *e, const uint8_t *payload, size_t n)
{
	uint8_t l4[1500];

	pkt_put16(l4, e->sport);
	pkt_put16(l4 + 2, e->dport);
	pkt_put16(l4 + 4, (uint16_t)(8 + n));
	pkt_put16(l4 + 6, 0);
	memcpy(l4 + 8, payload, n);
	ip_frame(e, PKT_PROTO_UDP, l4, 8 + n);
}

static void tcp(const struct ends *e, uint8_t flags)
{
	uint8_t l4[20] = {0};

	pkt_put16(l4, e->sport);
	pkt_put16(l4 + 2, e->dport);
	l4[12] = 5 << 4;
	l4[13] = flags;
	pkt_put16(l4 + 14, 65535);
	ip_frame(e, PKT_PROTO_TCP, l4, sizeof(l4));
}

static void icmp(const struct ends *e, uint8_t type, uint16_t id, const uint8_t *data, size_t n)
{
	uint8_t l4[600] = {0};

	l4[0] = type;
	pkt_put16(l4 + 4, id);
	pkt_put16(l4 + 6, 1);
	if (n)
		memcpy(l4 + 8, data, n);
	pkt_put16(l4 + 2, pkt_ip_checksum(l4, 8 + n));
	ip_frame(e, PKT_PROTO_ICMP, l4, 8 + n);
}

static void arp(uint16_t op, const uint8_t *eth_src, const uint8_t *smac, uint32_t sip,
		uint32_t tip)
{
	uint8_t *a = fr + 14;

	put_eth(op == PKT_ARP_REQUEST ? bcast : gw_mac, eth_src, PKT_ETH_ARP);
	pkt_put16(a, 1);
	pkt_put16(a + 2, PKT_ETH_IPV4);
	a[4] = 6;
	a[5] = 4;
	pkt_put16(a + 6, op);
	memcpy(a + 8, smac, 6);
	pkt_put32(a + 14, sip);
	memcpy(a + 18, zero_mac, 6);
	pkt_put32(a + 24, tip);
	fl = 42;
}

static size_t dns_name(uint8_t *m, const char *name)
{
	size_t at = 0;

	while (*name) {
		size_t n = strcspn(name, ".");

		m[at++] = (uint8_t)n;
		memcpy(m + at, name, n);
		at += n;
		name += n;
		if (*name == '.')
			name++;
	}
	m[at++] = 0;
	return at;
}

/* A query (RD) for name A IN; with answer_ip, the answer (QR RD RA) with one A record. */
static size_t dns_msg(uint8_t *m, uint16_t id, const char *name, uint32_t answer_ip, uint32_t ttl)
{
	size_t at;

	memset(m, 0, 12);
	pkt_put16(m, id);
	pkt_put16(m + 2, answer_ip ? 0x8180 : 0x0100);
	pkt_put16(m + 4, 1);
	pkt_put16(m + 6, answer_ip ? 1 : 0);
	at = 12 + dns_name(m + 12, name);
	pkt_put16(m + at, DNS_TYPE_A);
	pkt_put16(m + at + 2, DNS_CLASS_IN);
	at += 4;
	if (!answer_ip)
		return at;
	pkt_put16(m + at, 0xc00c); /* the question's name */
	pkt_put16(m + at + 2, DNS_TYPE_A);
	pkt_put16(m + at + 4, DNS_CLASS_IN);
	pkt_put32(m + at + 6, ttl);
	pkt_put16(m + at + 10, 4);
	pkt_put32(m + at + 12, answer_ip);
	return at + 16;
}

/* ---- the two directions --------------------------------------------------- */

static struct ends zone(int port, uint32_t dip, uint16_t sport, uint16_t dport)
{
	return (struct ends){.smac = port == port_a ? a_mac : b_mac,
			     .dmac = gw_mac,
			     .sip = port == port_a ? A_IP : B_IP,
			     .dip = dip,
			     .sport = sport,
			     .dport = dport};
}

static struct ends inbound(int port, uint32_t sip, uint16_t sport, uint16_t dport)
{
	return (struct ends){.smac = gw_mac,
			     .dmac = port == port_a ? a_mac : b_mac,
			     .sip = sip,
			     .dip = port == port_a ? A_IP : B_IP,
			     .sport = sport,
			     .dport = dport};
}

/* Decides a heap copy of exactly the frame, so ASan sees any read past it. */
static enum switch_action from_zone(int port, uint64_t now)
{
	uint8_t *copy = malloc(fl);
	enum switch_action a;

	memcpy(copy, fr, fl);
	a = switch_from_agent(&sw, (unsigned)port, copy, fl, now, &out);
	free(copy);
	return a;
}

static enum switch_action from_uplink(uint64_t now)
{
	uint8_t *copy = malloc(fl);
	enum switch_action a;

	memcpy(copy, fr, fl);
	a = switch_from_uplink(&sw, copy, fl, now, &out);
	free(copy);
	return a;
}

static void query(int port, uint16_t id, const char *name, uint16_t sport)
{
	uint8_t m[300];
	struct ends e = zone(port, GW, sport, 53);

	udp(&e, m, dns_msg(m, id, name, 0, 0));
}

static void answer(int port, uint16_t id, const char *name, uint16_t dport, uint32_t ip,
		   uint32_t ttl)
{
	uint8_t m[300];
	struct ends e = inbound(port, GW, 53, dport);

	udp(&e, m, dns_msg(m, id, name, ip, ttl));
}

static void syn(int port, uint32_t dip, uint16_t sport, uint16_t dport)
{
	struct ends e = zone(port, dip, sport, dport);

	tcp(&e, PKT_TCP_SYN);
}

/* allowed.test resolved by zone A at now: WEB admitted on 8080 for ttl seconds. */
static void resolve_allowed(uint64_t now, uint32_t ttl)
{
	query(port_a, 0x4242, "allowed.test", 40001);
	CHECK_EQ_U64(from_zone(port_a, now), SWITCH_TO_UPLINK);
	answer(port_a, 0x4242, "allowed.test", 40001, WEB, ttl);
	CHECK_EQ_U64(from_uplink(now), SWITCH_TO_PORT);
	CHECK_EQ_U64(out.port, port_a);
}

#define CHECK_DENY(call, want)                                   \
	do {                                                     \
		CHECK_EQ_U64((call), SWITCH_DROP);               \
		CHECK_STR(switch_reason_name(out.reason), want); \
	} while (0)

static const char *deny_line(void)
{
	static char line[SWITCH_DENY_LINE_MAX];

	switch_format_deny(&out, line, sizeof(line));
	return line;
}

/* ---- tests ---------------------------------------------------------------- */

TEST(switch_struct_sizes_are_documented)
{
	CHECK_EQ_U64(sizeof(struct net_switch), 582776); /* docs/network.md, "The switch" */
	CHECK_EQ_U64(sizeof(struct switch_out), 5352);
}

TEST(switch_arp_for_gateway_answered)
{
	struct pkt r;

	setup();
	arp(PKT_ARP_REQUEST, a_mac, a_mac, A_IP, GW);
	CHECK_EQ_U64(from_zone(port_a, 0), SWITCH_REPLY);
	CHECK_EQ_U64(out.reason, SWITCH_PASS);
	CHECK_EQ_U64(out.reply_len, 42);
	CHECK_EQ_U64(pkt_parse(out.reply, out.reply_len, &r), PKT_OK);
	CHECK_EQ_U64(r.kind, PKT_KIND_ARP);
	CHECK_EQ_U64(r.arp.op, PKT_ARP_REPLY);
	CHECK(memcmp(r.dst_mac, a_mac, 6) == 0);
	CHECK(memcmp(r.src_mac, gw_mac, 6) == 0);
	CHECK(memcmp(r.arp.sender_mac, gw_mac, 6) == 0);
	CHECK_EQ_U64(r.arp.sender_ip, GW);
	CHECK(memcmp(r.arp.target_mac, a_mac, 6) == 0);
	CHECK_EQ_U64(r.arp.target_ip, A_IP);
	CHECK_EQ_U64(sw.port[port_a].count.allowed, 1);
	CHECK_EQ_U64(switch_format_deny(&out, (char *)fr, sizeof(fr)), 0);
}

TEST(switch_arp_others_not_answered)
{
	setup();
	arp(PKT_ARP_REQUEST, a_mac, a_mac, A_IP, B_IP);
	CHECK_DENY(from_zone(port_a, 0), "zone-to-zone");
	CHECK_STR(deny_line(), "deny port 0 arp 10.77.0.10 -> 10.77.0.11 reason zone-to-zone");
	arp(PKT_ARP_REQUEST, a_mac, a_mac, A_IP, IP(10, 77, 0, 200));
	CHECK_DENY(from_zone(port_a, 0), "zone-to-zone");
	arp(PKT_ARP_REQUEST, a_mac, a_mac, A_IP, OTHER);
	CHECK_DENY(from_zone(port_a, 0), "arp-not-answered");
	arp(PKT_ARP_REQUEST, a_mac, a_mac, 0, GW); /* RFC 5227 probe */
	CHECK_DENY(from_zone(port_a, 0), "arp-not-answered");
	arp(PKT_ARP_REQUEST, a_mac, a_mac, A_IP, A_IP);
	CHECK_DENY(from_zone(port_a, 0), "gratuitous-arp");
	arp(PKT_ARP_REPLY, a_mac, a_mac, A_IP, GW);
	CHECK_DENY(from_zone(port_a, 0), "arp-reply-denied");
	/* ARP that claims another identity, in the Ethernet header or in the ARP body. */
	arp(PKT_ARP_REQUEST, a_mac, b_mac, A_IP, GW);
	CHECK_DENY(from_zone(port_a, 0), "spoofed-mac");
	arp(PKT_ARP_REQUEST, b_mac, b_mac, B_IP, GW);
	CHECK_DENY(from_zone(port_a, 0), "spoofed-mac");
	arp(PKT_ARP_REQUEST, a_mac, a_mac, B_IP, GW);
	CHECK_DENY(from_zone(port_a, 0), "spoofed-ip");
	CHECK_EQ_U64(sw.port[port_a].count.denied, 9);
	CHECK_EQ_U64(sw.port[port_a].count.allowed, 0);
}

TEST(switch_uplink_arp)
{
	struct pkt r;

	setup();
	arp(PKT_ARP_REQUEST, gw_mac, gw_mac, GW, B_IP);
	CHECK_EQ_U64(from_uplink(0), SWITCH_REPLY);
	CHECK_EQ_U64(pkt_parse(out.reply, out.reply_len, &r), PKT_OK);
	CHECK(memcmp(r.arp.sender_mac, b_mac, 6) == 0);
	CHECK_EQ_U64(r.arp.sender_ip, B_IP);
	CHECK(memcmp(r.dst_mac, gw_mac, 6) == 0);
	arp(PKT_ARP_REQUEST, gw_mac, gw_mac, GW, IP(10, 77, 0, 99));
	CHECK_DENY(from_uplink(0), "arp-not-answered");
	arp(PKT_ARP_REQUEST, gw_mac, gw_mac, IP(10, 0, 2, 15), A_IP);
	CHECK_DENY(from_uplink(0), "spoofed-ip");
	arp(PKT_ARP_REQUEST, a_mac, a_mac, GW, B_IP);
	CHECK_DENY(from_uplink(0), "spoofed-mac");
	arp(PKT_ARP_REPLY, gw_mac, gw_mac, GW, A_IP);
	CHECK_DENY(from_uplink(0), "arp-reply-denied");
	CHECK_EQ_U64(sw.uplink.allowed, 1);
	CHECK_EQ_U64(sw.uplink.denied, 4);
}

TEST(switch_spoofed_mac_and_ip_dropped)
{
	struct ends e;

	setup();
	policy_add_rule(&pol_a, "0.0.0.0/0", NULL, 0); /* everything: only the pinning stops it */
	e = zone(port_a, OTHER, 1000, 80);
	e.smac = b_mac;
	tcp(&e, PKT_TCP_SYN);
	CHECK_DENY(from_zone(port_a, 0), "spoofed-mac");
	e = zone(port_a, OTHER, 1000, 80);
	e.sip = B_IP;
	tcp(&e, PKT_TCP_SYN);
	CHECK_DENY(from_zone(port_a, 0), "spoofed-ip");
	CHECK_STR(deny_line(),
		  "deny port 0 tcp 10.77.0.11:1000 -> 198.51.100.7:80 reason spoofed-ip");
	e.sip = IP(192, 168, 1, 5);
	tcp(&e, PKT_TCP_SYN);
	CHECK_DENY(from_zone(port_a, 0), "spoofed-ip");
	e.sip = 0;
	udp(&e, (const uint8_t *)"x", 1);
	CHECK_DENY(from_zone(port_a, 0), "spoofed-ip");
	/* The same SYN, honest, passes. */
	syn(port_a, OTHER, 1000, 80);
	CHECK_EQ_U64(from_zone(port_a, 0), SWITCH_TO_UPLINK);
	CHECK_EQ_U64(sw.port[port_a].count.reason[SWITCH_DENY_SPOOFED_IP], 3);
	CHECK_EQ_U64(sw.port[port_a].count.reason[SWITCH_DENY_SPOOFED_MAC], 1);
}

TEST(switch_ipv6_and_vlan_dropped)
{
	setup();
	put_eth(gw_mac, a_mac, PKT_ETH_IPV6);
	memset(fr + 14, 0x60, 40);
	fl = 54;
	CHECK_DENY(from_zone(port_a, 0), "ipv6-denied");
	CHECK_STR(deny_line(), "deny port 0 ipv6 02:7a:76:00:00:0a -> 02:7a:76:00:00:01 reason "
			       "ipv6-denied");
	put_eth(bcast, a_mac, PKT_ETH_VLAN);
	fl = 60;
	CHECK_DENY(from_zone(port_a, 0), "vlan-denied");
	put_eth(a_mac, gw_mac, PKT_ETH_IPV6);
	CHECK_DENY(from_uplink(0), "ipv6-denied");
	CHECK_STR(deny_line(), "deny uplink ipv6 02:7a:76:00:00:01 -> 02:7a:76:00:00:0a reason "
			       "ipv6-denied");
}

TEST(switch_zone_to_zone_dropped)
{
	struct ends e;

	setup();
	policy_add_rule(&pol_a, "0.0.0.0/0", NULL, 0);
	e = zone(port_a, B_IP, 1000, 22);
	e.dmac = b_mac; /* straight to B */
	tcp(&e, PKT_TCP_SYN);
	CHECK_DENY(from_zone(port_a, 0), "zone-to-zone");
	e.dmac = gw_mac; /* through the gateway */
	tcp(&e, PKT_TCP_SYN);
	CHECK_DENY(from_zone(port_a, 0), "zone-to-zone");
	icmp(&e, 8, 7, NULL, 0);
	CHECK_DENY(from_zone(port_a, 0), "zone-to-zone");
	e.dip = IP(10, 77, 0, 255);
	udp(&e, (const uint8_t *)"x", 1);
	CHECK_DENY(from_zone(port_a, 0), "zone-to-zone");
	e.dmac = bcast;
	udp(&e, (const uint8_t *)"x", 1);
	CHECK_DENY(from_zone(port_a, 0), "broadcast-denied");
	e = zone(port_a, IP(224, 0, 0, 251), 5353, 5353);
	udp(&e, (const uint8_t *)"x", 1);
	CHECK_DENY(from_zone(port_a, 0), "broadcast-denied");
	e.dip = IP(127, 0, 0, 1);
	udp(&e, (const uint8_t *)"x", 1);
	CHECK_DENY(from_zone(port_a, 0), "martian");
	/* Nor back through the control zone: B's address as the source of a frame to A. */
	e = inbound(port_a, B_IP, 22, 1000);
	tcp(&e, PKT_TCP_SYN | PKT_TCP_ACK);
	CHECK_DENY(from_uplink(0), "zone-to-zone");
	CHECK_EQ_U64(out.port, port_a);
}

TEST(switch_dns_refused_by_the_switch)
{
	struct dns_msg *m = malloc(sizeof(*m));
	struct pkt r;

	setup();
	query(port_a, 0x1234, "denied.test", 40000);
	CHECK_EQ_U64(from_zone(port_a, 0), SWITCH_REPLY);
	CHECK_EQ_U64(out.reason, SWITCH_DENY_NAME);
	CHECK_STR(deny_line(),
		  "deny port 0 udp 10.77.0.10:40000 -> 10.77.0.1:53 name denied.test reason "
		  "name-refused");
	CHECK_EQ_U64(pkt_parse(out.reply, out.reply_len, &r), PKT_OK);
	CHECK(memcmp(r.dst_mac, a_mac, 6) == 0);
	CHECK(memcmp(r.src_mac, gw_mac, 6) == 0);
	CHECK_EQ_U64(r.ip.src, GW);
	CHECK_EQ_U64(r.ip.dst, A_IP);
	CHECK_EQ_U64(r.ip.protocol, PKT_PROTO_UDP);
	CHECK_EQ_U64(r.udp.src_port, 53);
	CHECK_EQ_U64(r.udp.dst_port, 40000);
	CHECK_EQ_U64(dns_parse(r.payload, r.payload_len, m), DNS_OK);
	CHECK(m->qr);
	CHECK_EQ_U64(m->id, 0x1234);
	CHECK_EQ_U64(m->rcode, DNS_RCODE_REFUSED);
	CHECK_STR(m->qname, "denied.test");
	/* Never forwarded, never remembered: counted as a deny, nothing to the uplink. */
	CHECK_EQ_U64(sw.port[port_a].count.denied, 1);
	CHECK_EQ_U64(sw.port[port_a].count.reason[SWITCH_DENY_NAME], 1);
	CHECK_EQ_U64(sw.port[port_a].count.bytes_to_uplink, 0);
	CHECK_EQ_U64(pol_a.count.verdict[POLICY_DENY_NAME], 1);
	for (unsigned i = 0; i < SWITCH_DNS_PENDING; i++)
		CHECK_EQ_U64(sw.port[port_a].pending[i].deadline_ms, 0);
	/* A forged answer for the refused name admits nothing. */
	answer(port_a, 0x1234, "denied.test", 40000, OTHER, 3600);
	CHECK_DENY(from_uplink(0), "unsolicited-dns");
	free(m);
}

TEST(switch_dns_allowed_forwarded_and_learned)
{
	setup();
	syn(port_a, WEB, 50000, 8080);
	CHECK_DENY(from_zone(port_a, 0), "no-rule"); /* not before the lookup */
	query(port_a, 0x4242, "Allowed.TEST", 40001);
	CHECK_EQ_U64(from_zone(port_a, SEC), SWITCH_TO_UPLINK);
	CHECK_STR(out.name, "allowed.test");
	answer(port_a, 0x4242, "allowed.test", 40001, WEB, 60);
	CHECK_EQ_U64(from_uplink(SEC), SWITCH_TO_PORT);
	CHECK_EQ_U64(out.port, port_a);
	CHECK(pol_a.count.learned > 0);
	CHECK_EQ_U64(pol_a.count.learn_ignored, 0);
	syn(port_a, WEB, 50000, 8080);
	CHECK_EQ_U64(from_zone(port_a, 2 * SEC), SWITCH_TO_UPLINK);
	syn(port_a, WEB, 50001, 443);
	CHECK_DENY(from_zone(port_a, 2 * SEC), "port-not-allowed");
	CHECK_STR(deny_line(),
		  "deny port 0 tcp 10.77.0.10:50001 -> 93.184.216.34:443 reason port-not-allowed");
	/* The learned address is A's alone. */
	syn(port_b, WEB, 50000, 8080);
	CHECK_DENY(from_zone(port_b, 2 * SEC), "no-rule");
	/* An answer that names another zone's address opens no way to it. */
	query(port_a, 0x4343, "allowed.test", 40002);
	CHECK_EQ_U64(from_zone(port_a, 3 * SEC), SWITCH_TO_UPLINK);
	answer(port_a, 0x4343, "allowed.test", 40002, B_IP, 60);
	CHECK_EQ_U64(from_uplink(3 * SEC), SWITCH_TO_PORT);
	syn(port_a, B_IP, 50003, 8080);
	CHECK_DENY(from_zone(port_a, 3 * SEC), "zone-to-zone");
}

/* An address in each internal range, answered for allowed.test, and what the
 * zone's SYN to it on the allowed port then meets (ipv4_scope.c). */
static const struct {
	uint32_t ip;
	const char *deny;
} internal_answers[] = {
	{IP(0, 0, 0, 1), "martian"},
	{IP(10, 0, 0, 1), "internal-address"},
	{IP(10, 255, 255, 254), "internal-address"},
	{IP(100, 64, 0, 1), "internal-address"},
	{IP(100, 127, 255, 254), "internal-address"},
	{IP(127, 0, 0, 1), "martian"},
	{IP(169, 254, 169, 254), "internal-address"},
	{IP(172, 16, 0, 1), "internal-address"},
	{IP(172, 31, 255, 254), "internal-address"},
	{IP(192, 0, 0, 9), "internal-address"},
	{IP(192, 0, 2, 1), "internal-address"},
	{IP(192, 168, 1, 1), "internal-address"},
	{IP(198, 18, 0, 1), "internal-address"},
	{IP(198, 19, 255, 254), "internal-address"},
	{IP(198, 51, 100, 7), "internal-address"},
	{IP(203, 0, 113, 9), "internal-address"},
	{IP(224, 0, 0, 251), "broadcast-denied"},
	{IP(240, 0, 0, 1), "martian"},
	{IP(255, 255, 255, 255), "broadcast-denied"},
	{GW, "gateway-denied"},
	{B_IP, "zone-to-zone"},
	{IP(10, 0, 2, 15), "internal-address"}, /* the control zone's own address (QEMU) */
};
#define INTERNAL_ANSWERS (sizeof(internal_answers) / sizeof(internal_answers[0]))

TEST(switch_dns_internal_answers_not_learned)
{
	char want[160];

	setup();
	for (size_t i = 0; i < INTERNAL_ANSWERS; i++) {
		uint32_t ip = internal_answers[i].ip;

		query(port_a, (uint16_t)(0x100 + i), "allowed.test", 40001);
		CHECK_EQ_U64(from_zone(port_a, 0), SWITCH_TO_UPLINK);
		answer(port_a, (uint16_t)(0x100 + i), "allowed.test", 40001, ip, 3600);
		CHECK_EQ_U64(from_uplink(0), SWITCH_TO_PORT); /* the zone still sees its answer */
		syn(port_a, ip, 50000, 8080);
		CHECK_DENY(from_zone(port_a, 1), internal_answers[i].deny);
	}
	CHECK_EQ_U64(pol_a.count.learned, 0);
	CHECK_EQ_U64(pol_a.learned.live, 0);
	CHECK_EQ_U64(pol_a.count.learn_internal, INTERNAL_ANSWERS);
	/* The refusal is a deny line like any other. */
	syn(port_a, IP(169, 254, 169, 254), 50001, 8080);
	CHECK_DENY(from_zone(port_a, 2), "internal-address");
	snprintf(
		want, sizeof(want),
		"deny port 0 tcp 10.77.0.10:50001 -> 169.254.169.254:8080 reason internal-address");
	CHECK_STR(deny_line(), want);
	CHECK(sw.port[port_a].count.reason[SWITCH_DENY_INTERNAL] > 0);
	/* A public answer for the same name is still learned. */
	resolve_allowed(3, 60);
	syn(port_a, WEB, 50002, 8080);
	CHECK_EQ_U64(from_zone(port_a, 4), SWITCH_TO_UPLINK);
}

TEST(switch_allow_cidr_admits_an_internal_address)
{
	struct ends e;

	setup();
	CHECK_EQ_U64(policy_add_rule(&pol_a, "10.0.0.0/8", NULL, 0), 0);
	syn(port_a, IP(10, 1, 2, 3), 50000, 8080);
	CHECK_EQ_U64(from_zone(port_a, 0), SWITCH_TO_UPLINK);
	e = inbound(port_a, IP(10, 1, 2, 3), 8080, 50000);
	tcp(&e, PKT_TCP_SYN | PKT_TCP_ACK);
	CHECK_EQ_U64(from_uplink(0), SWITCH_TO_PORT);
	/* It names 10/8 only: the rest of the internal ranges stay shut, */
	syn(port_a, IP(192, 168, 1, 1), 50001, 8080);
	CHECK_DENY(from_zone(port_a, 0), "internal-address");
	/* and the agent network inside 10/8 is still no zone's to reach. */
	syn(port_a, B_IP, 50002, 8080);
	CHECK_DENY(from_zone(port_a, 0), "zone-to-zone");
	/* Zone B has no such rule: the same address is denied to it. */
	syn(port_b, IP(10, 1, 2, 3), 50000, 8080);
	CHECK_DENY(from_zone(port_b, 0), "internal-address");
}

/* What the audit log records: a new connection says it was admitted, and
 * how; its next segments, and a denied one, do not.  hold_new (the log in
 * fail-closed mode has no room) denies new connections, not tracked ones. */
TEST(switch_admissions_reported_and_held)
{
	setup();
	CHECK_EQ_U64(policy_add_rule(&pol_a, "10.0.0.0/8", NULL, 0), 0);
	syn(port_a, IP(10, 1, 2, 3), 50000, 8080);
	CHECK_EQ_U64(from_zone(port_a, 0), SWITCH_TO_UPLINK);
	CHECK(out.admitted);
	CHECK_STR(policy_verdict_name(out.verdict), "allow-cidr");
	syn(port_a, IP(10, 1, 2, 3), 50000, 8080); /* the same, tracked now */
	CHECK_EQ_U64(from_zone(port_a, 0), SWITCH_TO_UPLINK);
	CHECK(!out.admitted);
	syn(port_a, IP(192, 168, 1, 1), 50001, 8080);
	CHECK_DENY(from_zone(port_a, 0), "internal-address");
	CHECK(!out.admitted);
	sw.port[port_a].hold_new = true;
	syn(port_a, IP(10, 1, 2, 4), 50002, 8080);
	CHECK_DENY(from_zone(port_a, 0), "audit-full");
	CHECK(!out.admitted);
	syn(port_a, IP(10, 1, 2, 3), 50000, 8080); /* tracked: goes on */
	CHECK_EQ_U64(from_zone(port_a, 0), SWITCH_TO_UPLINK);
	sw.port[port_a].hold_new = false;
	syn(port_a, IP(10, 1, 2, 4), 50002, 8080);
	CHECK_EQ_U64(from_zone(port_a, 0), SWITCH_TO_UPLINK);
	CHECK(out.admitted);
}

TEST(switch_agent_network_must_be_internal)
{
	CHECK_EQ_U64(switch_init(&sw, IP(93, 184, 216, 0), gw_mac), (uint64_t)-1);
	CHECK_EQ_U64(switch_init(&sw, IP(192, 168, 5, 0), gw_mac), 0);
	CHECK_EQ_U64(switch_init(&sw, IP(100, 64, 9, 0), gw_mac), 0);
	CHECK_EQ_U64(switch_init(&sw, NET, gw_mac), 0);
}

TEST(switch_ttl_expiry_keeps_open_connections)
{
	struct ends e;

	setup();
	resolve_allowed(0, 30);
	syn(port_a, WEB, 50000, 8080);
	CHECK_EQ_U64(from_zone(port_a, 5 * SEC), SWITCH_TO_UPLINK);
	e = inbound(port_a, WEB, 8080, 50000);
	tcp(&e, PKT_TCP_SYN | PKT_TCP_ACK);
	CHECK_EQ_U64(from_uplink(5 * SEC), SWITCH_TO_PORT);
	/* 40 s later the TTL has passed: a new connection is refused... */
	syn(port_a, WEB, 50001, 8080);
	CHECK_DENY(from_zone(port_a, 40 * SEC), "expired");
	/* ... and the open one goes on, both ways, until it closes. */
	e = zone(port_a, WEB, 50000, 8080);
	tcp(&e, PKT_TCP_ACK | PKT_TCP_PSH);
	CHECK_EQ_U64(from_zone(port_a, 40 * SEC), SWITCH_TO_UPLINK);
	e = inbound(port_a, WEB, 8080, 50000);
	tcp(&e, PKT_TCP_ACK);
	CHECK_EQ_U64(from_uplink(40 * SEC), SWITCH_TO_PORT);
	e = zone(port_a, WEB, 50000, 8080);
	tcp(&e, PKT_TCP_FIN | PKT_TCP_ACK);
	CHECK_EQ_U64(from_zone(port_a, 41 * SEC), SWITCH_TO_UPLINK);
	e = inbound(port_a, WEB, 8080, 50000);
	tcp(&e, PKT_TCP_FIN | PKT_TCP_ACK); /* the last segments, while the entry lingers */
	CHECK_EQ_U64(from_uplink(42 * SEC), SWITCH_TO_PORT);
	tcp(&e, PKT_TCP_ACK);
	CHECK_DENY(from_uplink(41 * SEC + POLICY_CLOSE_MS + 1), "no-connection");
	/* A new lookup admits again. */
	resolve_allowed(60 * SEC, 30);
	syn(port_a, WEB, 50002, 8080);
	CHECK_EQ_U64(from_zone(port_a, 61 * SEC), SWITCH_TO_UPLINK);
}

TEST(switch_inbound_without_connection_dropped)
{
	struct ends e;

	setup();
	e = inbound(port_a, OTHER, 443, 5555);
	tcp(&e, PKT_TCP_SYN);
	CHECK_DENY(from_uplink(0), "no-connection");
	CHECK_STR(deny_line(), "deny port 0 tcp 198.51.100.7:443 -> 10.77.0.10:5555 reason "
			       "no-connection");
	CHECK_EQ_U64(out.port, port_a);
	udp(&e, (const uint8_t *)"hello", 5);
	CHECK_DENY(from_uplink(0), "no-connection");
	icmp(&e, 0, 99, NULL, 0);
	CHECK_DENY(from_uplink(0), "no-connection");
	icmp(&e, 8, 99, NULL, 0);
	CHECK_DENY(from_uplink(0), "no-connection");
	/* A TCP segment of no connection, from the zone, is no new connection either. */
	resolve_allowed(0, 300);
	e = zone(port_a, WEB, 50000, 8080);
	tcp(&e, PKT_TCP_ACK);
	CHECK_DENY(from_zone(port_a, SEC), "no-connection");
	tcp(&e, PKT_TCP_SYN | PKT_TCP_RST);
	CHECK_DENY(from_zone(port_a, SEC), "no-connection");
	/* Frames for no port, or from something that is not the gateway. */
	e = inbound(port_a, OTHER, 443, 5555);
	e.dmac = b_mac;
	tcp(&e, PKT_TCP_ACK);
	CHECK_DENY(from_uplink(0), "no-such-port");
	e = inbound(port_a, OTHER, 443, 5555);
	e.dip = IP(10, 77, 0, 99);
	tcp(&e, PKT_TCP_ACK);
	CHECK_DENY(from_uplink(0), "no-such-port");
	CHECK_EQ_U64(out.port, (uint64_t)-1);
	e = inbound(port_a, OTHER, 443, 5555);
	e.smac = b_mac;
	tcp(&e, PKT_TCP_ACK);
	CHECK_DENY(from_uplink(0), "spoofed-mac");
	e.smac = gw_mac;
	e.dmac = bcast;
	tcp(&e, PKT_TCP_ACK);
	CHECK_DENY(from_uplink(0), "broadcast-denied");
	CHECK_EQ_U64(sw.uplink.denied, 4);
	CHECK_EQ_U64(sw.port[port_a].count.reason[SWITCH_DENY_NO_CONNECTION], 6);
}

TEST(switch_unsolicited_dns_dropped)
{
	setup();
	answer(port_a, 0x4242, "allowed.test", 40001, WEB, 300);
	CHECK_DENY(from_uplink(0), "unsolicited-dns");
	CHECK_STR(out.name, "allowed.test");
	query(port_a, 0x4242, "allowed.test", 40001);
	CHECK_EQ_U64(from_zone(port_a, 0), SWITCH_TO_UPLINK);
	answer(port_a, 0x4243, "allowed.test", 40001, WEB, 300); /* wrong ID */
	CHECK_DENY(from_uplink(0), "unsolicited-dns");
	answer(port_a, 0x4242, "allowed.test", 40002, WEB, 300); /* wrong port */
	CHECK_DENY(from_uplink(0), "unsolicited-dns");
	answer(port_a, 0x4242, "www.allowed.test", 40001, WEB, 300); /* wrong question */
	CHECK_DENY(from_uplink(0), "unsolicited-dns");
	answer(port_b, 0x4242, "allowed.test", 40001, WEB, 300); /* wrong zone */
	CHECK_DENY(from_uplink(0), "unsolicited-dns");
	CHECK_EQ_U64(pol_a.count.learned, 0);
	syn(port_a, WEB, 50000, 8080);
	CHECK_DENY(from_zone(port_a, 0), "no-rule");
	answer(port_a, 0x4242, "allowed.test", 40001, WEB, 300);
	CHECK_EQ_U64(from_uplink(0), SWITCH_TO_PORT);
	answer(port_a, 0x4242, "allowed.test", 40001, WEB, 300); /* once only */
	CHECK_DENY(from_uplink(0), "unsolicited-dns");
	/* Too late: the query was forgotten. */
	query(port_a, 0x5000, "allowed.test", 40003);
	CHECK_EQ_U64(from_zone(port_a, SEC), SWITCH_TO_UPLINK);
	answer(port_a, 0x5000, "allowed.test", 40003, WEB, 300);
	CHECK_DENY(from_uplink(SEC + SWITCH_DNS_TIMEOUT_MS), "unsolicited-dns");
	/* From the gateway, only DNS answers. */
	{
		struct ends e = inbound(port_a, GW, 22, 40000);

		tcp(&e, PKT_TCP_SYN);
		CHECK_DENY(from_uplink(0), "gateway-denied");
	}
}

TEST(switch_zone_without_rules_reaches_nothing)
{
	struct ends e;

	setup();
	query(port_b, 1, "allowed.test", 40000);
	CHECK_EQ_U64(from_zone(port_b, 0), SWITCH_REPLY);
	CHECK_EQ_U64(out.reason, SWITCH_DENY_NAME);
	syn(port_b, WEB, 50000, 8080);
	CHECK_DENY(from_zone(port_b, 0), "no-rule");
	e = zone(port_b, IP(8, 8, 8, 8), 40000, 53);
	udp(&e, (const uint8_t *)"x", 1);
	CHECK_DENY(from_zone(port_b, 0), "no-rule");
	icmp(&e, 8, 1, NULL, 0);
	CHECK_DENY(from_zone(port_b, 0), "no-rule");
	e = zone(port_b, GW, 40000, 22);
	tcp(&e, PKT_TCP_SYN);
	CHECK_DENY(from_zone(port_b, 0), "gateway-denied");
	icmp(&e, 8, 1, NULL, 0);
	CHECK_DENY(from_zone(port_b, 0), "gateway-denied");
	e.dport = 53;
	tcp(&e, PKT_TCP_SYN); /* DNS over TCP cannot be read packet by packet */
	CHECK_DENY(from_zone(port_b, 0), "gateway-denied");
	e.dip = OTHER;
	ip_frame(&e, 47, (const uint8_t *)"gre!", 4);
	CHECK_DENY(from_zone(port_b, 0), "protocol-not-allowed");
	CHECK_STR(deny_line(), "deny port 1 ip proto 47 10.77.0.11 -> 198.51.100.7 reason "
			       "protocol-not-allowed");
	CHECK_EQ_U64(sw.port[port_b].count.allowed, 0);
	CHECK_EQ_U64(sw.port[port_b].count.denied, 8);
	CHECK_EQ_U64(sw.port[port_b].count.bytes_to_uplink, 0);
}

TEST(switch_cidr_udp_and_icmp)
{
	struct ends e;
	uint8_t quoted[28];

	setup();
	CHECK_EQ_U64(policy_add_rule(&pol_a, "198.51.100.0/24", NULL, 0), 0);
	e = zone(port_a, OTHER, 0, 0);
	icmp(&e, 8, 77, (const uint8_t *)"ping", 4);
	CHECK_EQ_U64(from_zone(port_a, 0), SWITCH_TO_UPLINK);
	e = inbound(port_a, OTHER, 0, 0);
	icmp(&e, 0, 77, (const uint8_t *)"ping", 4);
	CHECK_EQ_U64(from_uplink(0), SWITCH_TO_PORT);
	icmp(&e, 0, 78, (const uint8_t *)"ping", 4);
	CHECK_DENY(from_uplink(0), "no-connection");
	e = zone(port_a, OTHER, 0, 0);
	icmp(&e, 0, 77, NULL, 0); /* an echo reply from the zone */
	CHECK_DENY(from_zone(port_a, 0), "icmp-not-allowed");
	/* A UDP flow: the reply comes back; an ICMP error about it does too. */
	e = zone(port_a, OTHER, 41000, 1234);
	udp(&e, (const uint8_t *)"q", 1);
	CHECK_EQ_U64(from_zone(port_a, 0), SWITCH_TO_UPLINK);
	e = inbound(port_a, OTHER, 1234, 41000);
	udp(&e, (const uint8_t *)"r", 1);
	CHECK_EQ_U64(from_uplink(SEC), SWITCH_TO_PORT);
	memcpy(quoted, fr + 14, 20); /* the zone's datagram, quoted: swap it back */
	pkt_put32(quoted + 12, A_IP);
	pkt_put32(quoted + 16, OTHER);
	pkt_put16(quoted + 20, 41000);
	pkt_put16(quoted + 22, 1234);
	pkt_put32(quoted + 24, 0x00090000);
	icmp(&e, 3, 0, quoted, sizeof(quoted));
	CHECK_EQ_U64(from_uplink(SEC), SWITCH_TO_PORT);
	pkt_put16(quoted + 20, 41001); /* a flow the zone never had */
	icmp(&e, 3, 0, quoted, sizeof(quoted));
	CHECK_DENY(from_uplink(SEC), "no-connection");
	icmp(&e, 3, 0, quoted, 20); /* the ports cut off */
	CHECK_DENY(from_uplink(SEC), "no-connection");
	/* Idle for 60 s, the flow is gone. */
	udp(&e, (const uint8_t *)"r", 1);
	CHECK_DENY(from_uplink(SEC + POLICY_UDP_IDLE_MS), "no-connection");
}

TEST(switch_malformed_frames)
{
	struct ends e;

	setup();
	syn(port_a, WEB, 50000, 8080);
	fr[14 + 10] ^= 1; /* IPv4 header checksum */
	CHECK_DENY(from_zone(port_a, 0), "ip-checksum");
	CHECK_STR(deny_line(),
		  "deny port 0 tcp 10.77.0.10:0 -> 93.184.216.34:0 reason ip-checksum");
	fl = 10;
	CHECK_DENY(from_zone(port_a, 0), "truncated");
	put_eth(gw_mac, a_mac, 0x1234);
	fl = 60;
	CHECK_DENY(from_zone(port_a, 0), "ethertype");
	syn(port_a, WEB, 50000, 8080);
	pkt_put16(fr + 14 + 6, 0x2000); /* MF: a first fragment */
	pkt_put16(fr + 14 + 10, 0);
	pkt_put16(fr + 14 + 10, pkt_ip_checksum(fr + 14, 20));
	CHECK_DENY(from_zone(port_a, 0), "ip-more-fragments");
	/* IPv4 options: a source route would take the packet past the switch's decision. */
	e = zone(port_a, WEB, 50000, 8080);
	tcp(&e, PKT_TCP_SYN);
	memmove(fr + 38, fr + 34, 20);
	fr[14] = 0x46;
	memcpy(fr + 34, "\x83\x03\x04\x00", 4); /* LSRR, empty */
	pkt_put16(fr + 16, 44);
	pkt_put16(fr + 24, 0);
	pkt_put16(fr + 24, pkt_ip_checksum(fr + 14, 24));
	fl = 58;
	CHECK_DENY(from_zone(port_a, 0), "ip-options");
	/* Malformed DNS to the gateway is neither forwarded nor answered. */
	e = zone(port_a, GW, 40000, 53);
	udp(&e, (const uint8_t *)"\x12\x34\x01\x00\x00\x02", 6);
	CHECK_DENY(from_zone(port_a, 0), "dns-malformed");
	/* A port that is not in use. */
	syn(port_a, WEB, 50000, 8080);
	CHECK_DENY(switch_from_agent(&sw, 7, fr, fl, 0, &out), "no-such-port");
	CHECK_DENY(switch_from_agent(&sw, SWITCH_MAX_PORTS, fr, fl, 0, &out), "no-such-port");
	CHECK_EQ_U64(sw.uplink.reason[SWITCH_DENY_NO_SUCH_PORT], 2);
	CHECK_DENY(switch_from_agent(&sw, (unsigned)port_a, fr, 0, 0, &out), "truncated");
}

TEST(switch_dns_pending_table_fails_closed)
{
	setup();
	for (unsigned i = 0; i < SWITCH_DNS_PENDING; i++) {
		query(port_a, (uint16_t)i, "allowed.test", 40000);
		CHECK_EQ_U64(from_zone(port_a, 0), SWITCH_TO_UPLINK);
	}
	query(port_a, 0, "allowed.test", 40000); /* a retransmission takes no new slot */
	CHECK_EQ_U64(from_zone(port_a, 0), SWITCH_TO_UPLINK);
	query(port_a, 999, "allowed.test", 40000);
	CHECK_DENY(from_zone(port_a, 0), "dns-pending-full");
	CHECK_EQ_U64(sw.port[port_a].count.reason[SWITCH_DENY_DNS_PENDING_FULL], 1);
	answer(port_a, 3, "allowed.test", 40000, WEB, 60); /* an answer frees its slot */
	CHECK_EQ_U64(from_uplink(0), SWITCH_TO_PORT);
	query(port_a, 999, "allowed.test", 40000);
	CHECK_EQ_U64(from_zone(port_a, 0), SWITCH_TO_UPLINK);
	query(port_a, 1000, "allowed.test", 40000);
	CHECK_DENY(from_zone(port_a, 0), "dns-pending-full");
	CHECK_EQ_U64(from_zone(port_a, SWITCH_DNS_TIMEOUT_MS), SWITCH_TO_UPLINK);
	/* Zone B's table is its own. */
	query(port_b, 1, "allowed.test", 40000);
	CHECK_EQ_U64(from_zone(port_b, 0), SWITCH_REPLY);
}

TEST(switch_conntrack_full_fails_closed)
{
	struct ends e;

	setup();
	CHECK_EQ_U64(policy_add_rule(&pol_a, "198.51.100.0/24:9", NULL, 0), 0);
	for (unsigned i = 0; i < POLICY_TABLE_ENTRIES; i++) {
		e = zone(port_a, OTHER, (uint16_t)(1024 + i), 9);
		udp(&e, (const uint8_t *)"x", 1);
		CHECK_EQ_U64(from_zone(port_a, 0), SWITCH_TO_UPLINK);
	}
	e = zone(port_a, OTHER, 60000, 9);
	udp(&e, (const uint8_t *)"x", 1);
	CHECK_DENY(from_zone(port_a, 0), "conntrack-full");
	e = zone(port_a, OTHER, 1024, 9); /* the tracked ones go on */
	udp(&e, (const uint8_t *)"x", 1);
	CHECK_EQ_U64(from_zone(port_a, 0), SWITCH_TO_UPLINK);
}

TEST(switch_counters)
{
	struct switch_counters *c;
	size_t fwd = 0, in = 0;

	setup();
	c = &sw.port[port_a].count;
	query(port_a, 0x4242, "allowed.test", 40001);
	fwd += fl;
	CHECK_EQ_U64(from_zone(port_a, 0), SWITCH_TO_UPLINK);
	answer(port_a, 0x4242, "allowed.test", 40001, WEB, 60);
	in += fl;
	CHECK_EQ_U64(from_uplink(0), SWITCH_TO_PORT);
	syn(port_a, WEB, 50000, 8080);
	fwd += fl;
	CHECK_EQ_U64(from_zone(port_a, 0), SWITCH_TO_UPLINK);
	syn(port_a, WEB, 50001, 22);
	CHECK_EQ_U64(from_zone(port_a, 0), SWITCH_DROP);
	query(port_a, 1, "denied.test", 40002);
	CHECK_EQ_U64(from_zone(port_a, 0), SWITCH_REPLY);
	arp(PKT_ARP_REQUEST, a_mac, a_mac, A_IP, GW);
	CHECK_EQ_U64(from_zone(port_a, 0), SWITCH_REPLY);
	CHECK_EQ_U64(c->allowed, 4);
	CHECK_EQ_U64(c->denied, 2);
	CHECK_EQ_U64(c->reason[SWITCH_DENY_PORT], 1);
	CHECK_EQ_U64(c->reason[SWITCH_DENY_NAME], 1);
	CHECK_EQ_U64(c->bytes_to_uplink, fwd);
	CHECK_EQ_U64(c->bytes_to_zone, in);
	CHECK_EQ_U64(sw.port[port_b].count.allowed + sw.port[port_b].count.denied, 0);
	CHECK_EQ_U64(sw.uplink.allowed + sw.uplink.denied, 0);
	/* A port taken out forgets its counters and its queries, and frees its address. */
	switch_remove_port(&sw, (unsigned)port_a);
	CHECK_EQ_U64(sw.port[port_a].count.allowed, 0);
	CHECK_DENY(from_zone(port_a, 0), "no-such-port");
	CHECK_EQ_U64(switch_add_port(&sw, a_mac, A_IP, &pol_a), port_a);
}

TEST(switch_ports_validated)
{
	static const uint8_t c_mac[6] = {0x02, 0, 0, 0, 0, 0x0c};
	static const uint8_t group[6] = {0x03, 0, 0, 0, 0, 0x0c};
	uint8_t mac[6] = {0x02, 0x55, 0, 0, 0, 0};
	int n = 2;

	setup();
	CHECK_EQ_U64(switch_add_port(&sw, a_mac, IP(10, 77, 0, 20), &pol_a), (uint64_t)-1);
	CHECK_EQ_U64(switch_add_port(&sw, c_mac, A_IP, &pol_a), (uint64_t)-1);
	CHECK_EQ_U64(switch_add_port(&sw, gw_mac, IP(10, 77, 0, 20), &pol_a), (uint64_t)-1);
	CHECK_EQ_U64(switch_add_port(&sw, group, IP(10, 77, 0, 20), &pol_a), (uint64_t)-1);
	CHECK_EQ_U64(switch_add_port(&sw, zero_mac, IP(10, 77, 0, 20), &pol_a), (uint64_t)-1);
	CHECK_EQ_U64(switch_add_port(&sw, c_mac, GW, &pol_a), (uint64_t)-1);
	CHECK_EQ_U64(switch_add_port(&sw, c_mac, NET, &pol_a), (uint64_t)-1);
	CHECK_EQ_U64(switch_add_port(&sw, c_mac, IP(10, 77, 0, 255), &pol_a), (uint64_t)-1);
	CHECK_EQ_U64(switch_add_port(&sw, c_mac, IP(10, 77, 1, 20), &pol_a), (uint64_t)-1);
	CHECK_EQ_U64(switch_add_port(&sw, c_mac, IP(10, 77, 0, 20), NULL), (uint64_t)-1);
	for (uint32_t host = 20; n < SWITCH_MAX_PORTS; host++, n++) {
		mac[5] = (uint8_t)host;
		CHECK_EQ_U64(switch_add_port(&sw, mac, IP(10, 77, 0, host), &pol_b), n);
	}
	CHECK_EQ_U64(switch_add_port(&sw, c_mac, IP(10, 77, 0, 200), &pol_a), (uint64_t)-1);
	CHECK_EQ_U64(switch_init(&sw, IP(10, 77, 0, 1), gw_mac), (uint64_t)-1);
	CHECK_EQ_U64(switch_init(&sw, IP(224, 0, 0, 0), gw_mac), (uint64_t)-1);
	CHECK_EQ_U64(switch_init(&sw, IP(127, 0, 0, 0), gw_mac), (uint64_t)-1);
	CHECK_EQ_U64(switch_init(&sw, NET, group), (uint64_t)-1);
	CHECK_EQ_U64(switch_add_port(&sw, c_mac, IP(0, 0, 0, 20), &pol_a), (uint64_t)-1);
}

TEST(switch_reason_names)
{
	/* Parse errors and policy verdicts keep their modules' names. */
	static const struct {
		enum switch_reason r;
		int err;
	} errs[] = {
		{SWITCH_DENY_TRUNCATED, PKT_ERR_TRUNCATED},
		{SWITCH_DENY_ETHERTYPE, PKT_ERR_ETHERTYPE},
		{SWITCH_DENY_ARP_FORMAT, PKT_ERR_ARP_FORMAT},
		{SWITCH_DENY_ARP_OP, PKT_ERR_ARP_OP},
		{SWITCH_DENY_IP_VERSION, PKT_ERR_IP_VERSION},
		{SWITCH_DENY_IP_IHL, PKT_ERR_IP_IHL},
		{SWITCH_DENY_IP_TOTAL_LEN, PKT_ERR_IP_TOTAL_LEN},
		{SWITCH_DENY_IP_CHECKSUM, PKT_ERR_IP_CHECKSUM},
		{SWITCH_DENY_IP_FRAGMENT, PKT_ERR_IP_FRAGMENT},
		{SWITCH_DENY_IP_MORE_FRAGMENTS, PKT_ERR_IP_MORE_FRAGMENTS},
		{SWITCH_DENY_TCP_OFFSET, PKT_ERR_TCP_OFFSET},
		{SWITCH_DENY_UDP_LENGTH, PKT_ERR_UDP_LENGTH},
		{SWITCH_DENY_L4_TRUNCATED, PKT_ERR_L4_TRUNCATED},
	};
	static const struct {
		enum switch_reason r;
		enum policy_verdict v;
	} verdicts[] = {
		{SWITCH_DENY_NO_RULE, POLICY_DENY_NO_RULE},
		{SWITCH_DENY_EXPIRED, POLICY_DENY_EXPIRED},
		{SWITCH_DENY_PORT, POLICY_DENY_PORT},
		{SWITCH_DENY_PROTO, POLICY_DENY_PROTO},
		{SWITCH_DENY_ICMP, POLICY_DENY_ICMP},
		{SWITCH_DENY_NAME, POLICY_DENY_NAME},
		{SWITCH_DENY_CONN_FULL, POLICY_DENY_CONN_FULL},
		{SWITCH_DENY_INTERNAL, POLICY_DENY_INTERNAL},
	};

	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		CHECK_STR(switch_reason_name(errs[i].r), pkt_err_name(errs[i].err));
	for (size_t i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++)
		CHECK_STR(switch_reason_name(verdicts[i].r), policy_verdict_name(verdicts[i].v));
	for (int r = 0; r < SWITCH_REASON_COUNT; r++) {
		CHECK(strcmp(switch_reason_name((enum switch_reason)r), "unknown") != 0);
		for (int s = 0; s < r; s++)
			CHECK(strcmp(switch_reason_name((enum switch_reason)r),
				     switch_reason_name((enum switch_reason)s)) != 0);
	}
	CHECK_STR(switch_reason_name(SWITCH_REASON_COUNT), "unknown");
	CHECK_STR(switch_reason_name((enum switch_reason) - 1), "unknown");
}

TEST(switch_deny_line_bounded)
{
	char name[DNS_NAME_MAX + 1], small[16];
	char line[SWITCH_DENY_LINE_MAX];
	size_t n;

	setup();
	/* The longest name a query can carry: three labels of 63, one of 61. */
	memset(name, 'a', sizeof(name));
	name[63] = name[127] = name[191] = '.';
	name[DNS_NAME_MAX] = '\0';
	query(port_a, 7, name, 65535);
	CHECK_EQ_U64(from_zone(port_a, 0), SWITCH_REPLY);
	CHECK_EQ_U64(strlen(out.name), DNS_NAME_MAX);
	n = switch_format_deny(&out, line, sizeof(line));
	CHECK(n < sizeof(line));
	CHECK_EQ_U64(strlen(line), n);
	CHECK(strstr(line, " reason name-refused") != NULL);
	CHECK_EQ_U64(switch_format_deny(&out, small, sizeof(small)), n);
	CHECK_EQ_U64(strlen(small), sizeof(small) - 1);
	CHECK_EQ_U64(switch_format_deny(&out, small, 0), n);
}
