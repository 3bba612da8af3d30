/* libFuzzer target for the agent-network switch: hostile frames from zones and from the uplink.
 *
 * The input is a run of records: a control byte, a 16-bit length, that many bytes.  The control
 * byte picks the direction (zone, uplink, or "answer the last DNS query the switch forwarded",
 * with the record's bytes as the answer section), the port (3 is never added), whether the
 * addresses and checksum are made right so the frame gets past the pinning, and how far the
 * clock moves.  Every decision is checked against the switch's contract with abort(). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zones/net/ipv4_scope.h"
#include "zones/net/switch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define NET	       IP(10, 77, 0, 0)
#define GW	       IP(10, 77, 0, 1)
#define PORTS	       3
#define FRAME_MAX      2048

enum op { OP_ZONE, OP_UPLINK, OP_ANSWER, OP_ZONE_FIXED };

static const uint8_t gw_mac[6] = {0x02, 0x7a, 0x76, 0x00, 0x00, 0x01};
static uint8_t port_mac[PORTS][6];
static uint32_t port_ip[PORTS];

static struct net_switch sw;
static struct policy pol[2]; /* port 2 shares port 0's: the API allows it */
static struct switch_out out;
static uint8_t last_query[FRAME_MAX];
static size_t last_query_len;
static uint64_t calls;

static void build(void)
{
	static const char *const rules[] = {"allowed.test:8080", "*.fuzz.test", "198.51.100.0/24",
					    "0.0.0.0/0:443"};

	if (switch_init(&sw, NET, gw_mac) != 0)
		abort();
	policy_init(&pol[0], 1);
	policy_init(&pol[1], 2);
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		if (policy_add_rule(&pol[0], rules[i], NULL, 0) != 0)
			abort();
	}
	for (int i = 0; i < PORTS; i++) {
		memcpy(port_mac[i], gw_mac, 6);
		port_mac[i][5] = (uint8_t)(10 + i);
		port_ip[i] = NET | (uint32_t)(10 + i);
		if (switch_add_port(&sw, port_mac[i], port_ip[i], &pol[i == 1]) != i)
			abort();
	}
}

/* The same switch and policies for every input: built once, then copied back (zv_memset of
 * 2.4 MB under ASan would be most of each run). */
static void setup(void)
{
	static struct net_switch sw0;
	static struct policy pol0[2];
	static bool built;

	if (!built) {
		build();
		memcpy(&sw0, &sw, sizeof(sw));
		memcpy(pol0, pol, sizeof(pol));
		built = true;
	}
	memcpy(&sw, &sw0, sizeof(sw));
	memcpy(pol, pol0, sizeof(pol));
	last_query_len = 0;
	calls = 0;
}

static void fix_ip_checksum(uint8_t *f, size_t len)
{
	size_t ihl;

	if (len < 34 || pkt_get16(f + 12) != PKT_ETH_IPV4)
		return;
	ihl = (size_t)(f[14] & 0x0f) * 4;
	if (ihl < 20 || 14 + ihl > len)
		return;
	pkt_put16(f + 24, 0);
	pkt_put16(f + 24, pkt_ip_checksum(f + 14, ihl));
}

/* Makes the ends right for the direction, so the frame reaches the rules past the pinning. */
static void fix_ends(uint8_t *f, size_t len, bool uplink, int port)
{
	const uint8_t *src = uplink ? gw_mac : port_mac[port],
		      *dst = uplink ? port_mac[port] : gw_mac;

	if (len < 14)
		return;
	if (!(f[0] & 1)) /* keep broadcast ARP requests broadcast */
		memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	if (pkt_get16(f + 12) == PKT_ETH_ARP && len >= 42) {
		memcpy(f + 22, src, 6);
		pkt_put32(f + 28, uplink ? GW : port_ip[port]);
	} else if (pkt_get16(f + 12) == PKT_ETH_IPV4 && len >= 34) {
		pkt_put32(f + (uplink ? 30 : 26), port_ip[port]);
		if (uplink && (f[15] & 1)) /* sometimes from the resolver */
			pkt_put32(f + 26, GW);
		fix_ip_checksum(f, len);
	}
}

/* The answer to the last query the switch forwarded: ends swapped, QR set, the record's bytes
 * (first byte: ANCOUNT) as the answer section. */
static size_t build_answer(uint8_t *f, const uint8_t *rec, size_t n)
{
	size_t len = last_query_len, ihl;
	uint8_t tmp[6];

	if (!len || len + n > FRAME_MAX || len < 34)
		return 0;
	memcpy(f, last_query, len);
	ihl = (size_t)(f[14] & 0x0f) * 4;
	if (14 + ihl + 8 + 12 > len)
		return 0;
	memcpy(tmp, f, 6);
	memcpy(f, f + 6, 6);
	memcpy(f + 6, tmp, 6);
	memcpy(tmp, f + 26, 4);
	memmove(f + 26, f + 30, 4);
	memcpy(f + 30, tmp, 4);
	memcpy(tmp, f + 14 + ihl, 2);
	memmove(f + 14 + ihl, f + 14 + ihl + 2, 2);
	memcpy(f + 14 + ihl + 2, tmp, 2);
	f[14 + ihl + 8 + 2] |= 0x80; /* QR */
	if (n) {
		pkt_put16(f + 14 + ihl + 8 + 6, rec[0]);
		memcpy(f + len, rec + 1, n - 1);
		len += n - 1;
	}
	pkt_put16(f + 16, (uint16_t)(len - 14));
	pkt_put16(f + 14 + ihl + 4, (uint16_t)(len - 14 - ihl));
	fix_ip_checksum(f, len);
	return len;
}

static void check_reply(void)
{
	static struct dns_msg m;
	struct pkt r;

	if (!out.reply_len || out.reply_len > sizeof(out.reply))
		abort();
	if (pkt_parse(out.reply, out.reply_len, &r) != PKT_OK)
		abort();
	if (out.reason == SWITCH_PASS) {
		if (r.kind != PKT_KIND_ARP || r.arp.op != PKT_ARP_REPLY)
			abort();
		return;
	}
	if (out.reason != SWITCH_DENY_NAME || out.from_uplink)
		abort();
	if (dns_parse(r.payload, r.payload_len, &m) != DNS_OK || !m.qr ||
	    m.rcode != DNS_RCODE_REFUSED || r.ip.dst != port_ip[out.port])
		abort();
}

/* Port 0's CIDR rules (build()): 198.51.100.0/24 on every port, anything on 443. */
static bool cidr_rule_covers(int port, const struct pkt *p)
{
	uint16_t dport = p->ip.protocol == PKT_PROTO_TCP   ? p->tcp.dst_port
			 : p->ip.protocol == PKT_PROTO_UDP ? p->udp.dst_port
							   : 0;

	if (port != 0)
		return false;
	return (p->ip.dst & 0xffffff00u) == 0xc6336400u || dport == 443;
}

/* An internal address leaves only for the gateway's DNS or under a CIDR rule,
 * whatever the DNS answers said (docs/network.md, "Internal addresses"). */
static bool internal_leak(int port, const struct pkt *p)
{
	return p->kind == PKT_KIND_IPV4 && p->ip.dst != GW && ipv4_is_internal(p->ip.dst) &&
	       !cidr_rule_covers(port, p);
}

/* A frame the switch passes on has the ends the port is pinned to. */
static void check_forwarded(const uint8_t *f, size_t len, enum switch_action a)
{
	struct pkt p;
	int port = out.port;

	if (out.reason != SWITCH_PASS || port < 0 || port >= PORTS || pkt_parse(f, len, &p))
		abort();
	if (a == SWITCH_TO_UPLINK &&
	    (out.from_uplink || memcmp(p.src_mac, port_mac[port], 6) ||
	     memcmp(p.dst_mac, gw_mac, 6) || p.ip.src != port_ip[port] || internal_leak(port, &p)))
		abort();
	if (a == SWITCH_TO_PORT && (!out.from_uplink || memcmp(p.dst_mac, port_mac[port], 6) ||
				    memcmp(p.src_mac, gw_mac, 6) || p.ip.dst != port_ip[port]))
		abort();
	if (a == SWITCH_TO_UPLINK && p.ip.dst == GW && p.kind == PKT_KIND_IPV4 &&
	    len <= FRAME_MAX) {
		memcpy(last_query, f, len);
		last_query_len = len;
	}
}

static void check(const uint8_t *f, size_t len, enum switch_action a)
{
	char line[SWITCH_DENY_LINE_MAX];
	size_t n;

	if (a != out.action || (unsigned)out.reason >= SWITCH_REASON_COUNT ||
	    !strcmp(switch_reason_name(out.reason), "unknown"))
		abort();
	if (out.port >= SWITCH_MAX_PORTS || out.port < -1)
		abort();
	switch (a) {
	case SWITCH_DROP:
		if (out.reason == SWITCH_PASS)
			abort();
		break;
	case SWITCH_REPLY: check_reply(); break;
	case SWITCH_TO_UPLINK:
	case SWITCH_TO_PORT: check_forwarded(f, len, a); break;
	default: abort();
	}
	memset(line, 'x', sizeof(line));
	n = switch_format_deny(&out, line, sizeof(line));
	if ((out.reason == SWITCH_PASS) != (n == 0) || n >= sizeof(line) || strlen(line) != n)
		abort();
}

static void check_counters(void)
{
	uint64_t sum = sw.uplink.allowed + sw.uplink.denied;

	for (int i = 0; i < SWITCH_MAX_PORTS; i++)
		sum += sw.port[i].count.allowed + sw.port[i].count.denied;
	if (sum != calls)
		abort();
}

static void record(uint8_t ctl, const uint8_t *rec, size_t n, uint64_t now)
{
	static uint8_t f[FRAME_MAX + 1];
	enum op op = (enum op)(ctl & 3);
	int port = (ctl >> 2) & 3;
	bool fixed = op == OP_ZONE_FIXED || (ctl & 0x10);
	size_t len = n > FRAME_MAX ? FRAME_MAX : n;
	uint8_t *copy;
	enum switch_action a;

	if (op == OP_ANSWER) {
		len = build_answer(f, rec, len);
		if (!len)
			return;
	} else {
		memcpy(f, rec, len);
		if (fixed && port < PORTS)
			fix_ends(f, len, op == OP_UPLINK, port);
	}
	/* An exact-size copy: ASan flags any read past the last byte. */
	copy = malloc(len ? len : 1);
	memcpy(copy, f, len);
	if (op == OP_UPLINK || op == OP_ANSWER)
		a = switch_from_uplink(&sw, copy, len, now, &out);
	else
		a = switch_from_agent(&sw, (unsigned)port, copy, len, now, &out);
	calls++;
	check(copy, len, a);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t now = 1000;
	size_t at = 0;

	setup();
	while (size - at >= 3) {
		uint8_t ctl = data[at];
		size_t n = pkt_get16(data + at + 1);
		unsigned k = ctl >> 5;

		at += 3;
		if (n > size - at)
			n = size - at;
		now += k ? 1ull << (2 + 3 * k) : 0; /* up to 2^23 ms: past every TTL and timeout */
		record(ctl, data + at, n, now);
		at += n;
	}
	check_counters();
	return 0;
}
