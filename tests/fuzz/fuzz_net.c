/* libFuzzer target for the network parsers a zone feeds: every input is
 * parsed as a frame and as a bare DNS message; what parses is run through
 * the builders, and what they build must parse again.  ASan/UBSan and the
 * invariants below report what goes wrong. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zones/net/dns.h"
#include "zones/net/packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t gw_mac[PKT_MAC_LEN] = {0x02, 0x7a, 0x76, 0x00, 0x00, 0x01};

/* A pointer and length that lie inside [base, base + len). */
static void check_inside(const uint8_t *base, size_t len, const uint8_t *p, size_t n)
{
	if (!p) {
		if (n)
			abort();
		return;
	}
	if (p < base || p > base + len || n > (size_t)(base + len - p))
		abort();
}

static void check_name(const char *name)
{
	if (strlen(name) > DNS_NAME_MAX)
		abort();
	if (!dns_name_matches(name, name) && name[0])
		abort();
}

static void check_dns(const struct dns_msg *m, size_t len)
{
	check_name(m->qname);
	if (m->question_end > len || m->answer_count > DNS_MAX_ANSWERS)
		abort();
	for (unsigned i = 0; i < m->answer_count; i++) {
		check_name(m->answer[i].name);
		if (m->answer[i].ttl > 0x7fffffffu)
			abort();
	}
}

static void build_arp(const struct pkt *p)
{
	uint8_t out[64];
	struct pkt r;
	size_t n = pkt_build_arp_reply(p, gw_mac, out, sizeof(out));

	if (n && (pkt_parse(out, n, &r) != PKT_OK || r.arp.op != PKT_ARP_REPLY ||
		  r.arp.sender_ip != p->arp.target_ip))
		abort();
}

static void build_refused(const struct pkt *p, const struct dns_msg *m)
{
	static struct dns_msg reply;
	uint8_t out[PKT_UDP4_HDRS + 512];
	struct pkt r;
	size_t n = dns_build_refused(p, m, out, sizeof(out));

	if (!n)
		return;
	if (pkt_parse(out, n, &r) != PKT_OK || dns_parse(r.payload, r.payload_len, &reply) != 0)
		abort();
	if (reply.id != m->id || reply.rcode != DNS_RCODE_REFUSED ||
	    strcmp(reply.qname, m->qname) != 0)
		abort();
}

static void frame(const uint8_t *data, size_t size)
{
	static struct dns_msg m;
	struct pkt p;
	int rc = pkt_parse(data, size, &p);

	if (rc != PKT_OK) {
		if (rc > 0 || !strcmp(pkt_err_name(rc), "unknown"))
			abort();
		return;
	}
	check_inside(data, size, p.payload, p.payload_len);
	if (p.kind == PKT_KIND_ARP)
		build_arp(&p);
	if (p.kind != PKT_KIND_IPV4 || p.ip.protocol != PKT_PROTO_UDP)
		return;
	rc = dns_parse(p.payload, p.payload_len, &m);
	if (rc != DNS_OK) {
		if (rc > 0 || !strcmp(dns_err_name(rc), "unknown"))
			abort();
		return;
	}
	check_dns(&m, p.payload_len);
	build_refused(&p, &m);
}

/* Writes a correct IPv4 header checksum into an IPv4 frame, if the header
 * fits: mutations would almost never get past the checksum otherwise. */
static bool fix_ip_checksum(uint8_t *f, size_t size)
{
	uint8_t *ip = f + PKT_ETH_HLEN;
	size_t ihl;

	if (size < PKT_ETH_HLEN + PKT_IP_HLEN_MIN || pkt_get16(f + 12) != PKT_ETH_IPV4)
		return false;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	if (ihl < PKT_IP_HLEN_MIN || PKT_ETH_HLEN + ihl > size)
		return false;
	pkt_put16(ip + 10, 0);
	pkt_put16(ip + 10, pkt_ip_checksum(ip, ihl));
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_msg m;
	uint8_t *copy;

	/* An exact-size copy: ASan flags any read past the last byte. */
	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	frame(copy, size);
	if (fix_ip_checksum(copy, size))
		frame(copy, size);
	if (dns_parse(copy, size, &m) == DNS_OK)
		check_dns(&m, size);
	if (size > 1) {
		size_t half = copy[0] % size;
		char a[64] = {0}, b[64] = {0};

		memcpy(a, copy + 1, half < 63 ? half : 63);
		memcpy(b, copy + 1 + half, (size - 1 - half) < 63 ? size - 1 - half : 63);
		dns_name_matches(a, b);
	}
	free(copy);
	return 0;
}
