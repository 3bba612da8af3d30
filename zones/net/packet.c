/* Ethernet, ARP, IPv4, TCP, UDP and ICMP parsing of hostile frames, checksums, ARP replies. */
#include "zones/net/packet.h"

#include "hv/lib/string.h"

#define ARP_HTYPE_ETHER 1 /* RFC 826 ar$hrd, IANA arp-parameters: Ethernet */
#define ARP_PLEN_IPV4	4

/* RFC 791 3.1: version and IHL share byte 0; flags and offset share bytes 6-7. */
#define IP_VERSION_4 4
#define IP_FLAG_DF   0x4000
#define IP_FLAG_MF   0x2000
#define IP_FRAG_MASK 0x1fff
#define IP_MAX_LEN   65535
#define IP_TTL_OUT   64 /* RFC 1700 / IANA: the recommended default TTL */

static const char *const err_names[] = {
	[-PKT_OK] = "ok",
	[-PKT_ERR_TRUNCATED] = "truncated",
	[-PKT_ERR_ETHERTYPE] = "ethertype",
	[-PKT_ERR_ARP_FORMAT] = "arp-format",
	[-PKT_ERR_ARP_OP] = "arp-op",
	[-PKT_ERR_IP_VERSION] = "ip-version",
	[-PKT_ERR_IP_IHL] = "ip-ihl",
	[-PKT_ERR_IP_TOTAL_LEN] = "ip-total-length",
	[-PKT_ERR_IP_CHECKSUM] = "ip-checksum",
	[-PKT_ERR_IP_FRAGMENT] = "ip-fragment",
	[-PKT_ERR_IP_MORE_FRAGMENTS] = "ip-more-fragments",
	[-PKT_ERR_TCP_OFFSET] = "tcp-data-offset",
	[-PKT_ERR_UDP_LENGTH] = "udp-length",
	[-PKT_ERR_L4_TRUNCATED] = "l4-truncated",
};

const char *pkt_err_name(int err)
{
	const int count = (int)(sizeof(err_names) / sizeof(err_names[0]));

	if (err > 0 || err <= -count || !err_names[-err])
		return "unknown";
	return err_names[-err];
}

uint16_t pkt_ip_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t sum = 0;

	/* RFC 1071 2: the one's complement sum of 16-bit big-endian words, an
	 * odd last byte padded with zero; carries folded back in at the end. */
	for (; len >= 2; p += 2, len -= 2)
		sum += pkt_get16(p);
	if (len)
		sum += (uint64_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void set_payload(struct pkt *out, const uint8_t *p, size_t len)
{
	out->payload = p;
	out->payload_len = len;
}

static int parse_arp(const uint8_t *p, size_t len, struct pkt *out)
{
	struct pkt_arp *a = &out->arp;

	/* RFC 826 packet format, for hlen 6 and plen 4 only: anything else
	 * has no place on this switch and would move every field below. */
	if (len < PKT_ARP_LEN)
		return PKT_ERR_TRUNCATED;
	if (pkt_get16(p) != ARP_HTYPE_ETHER || pkt_get16(p + 2) != PKT_ETH_IPV4 ||
	    p[4] != PKT_MAC_LEN || p[5] != ARP_PLEN_IPV4)
		return PKT_ERR_ARP_FORMAT;
	a->op = pkt_get16(p + 6);
	zv_memcpy(a->sender_mac, p + 8, PKT_MAC_LEN);
	a->sender_ip = pkt_get32(p + 14);
	zv_memcpy(a->target_mac, p + 18, PKT_MAC_LEN);
	a->target_ip = pkt_get32(p + 24);
	if (a->op != PKT_ARP_REQUEST && a->op != PKT_ARP_REPLY)
		return PKT_ERR_ARP_OP;
	return PKT_OK;
}

static int parse_tcp(const uint8_t *p, size_t len, struct pkt *out)
{
	struct pkt_tcp *t = &out->tcp;

	/* RFC 9293 3.1: fixed 20-byte header; data offset in 32-bit words. */
	if (len < PKT_TCP_HLEN)
		return PKT_ERR_L4_TRUNCATED;
	t->src_port = pkt_get16(p);
	t->dst_port = pkt_get16(p + 2);
	t->seq = pkt_get32(p + 4);
	t->ack = pkt_get32(p + 8);
	t->data_off = (uint8_t)((p[12] >> 4) * 4);
	t->flags = p[13];
	t->window = pkt_get16(p + 14);
	if (t->data_off < PKT_TCP_HLEN || t->data_off > len)
		return PKT_ERR_TCP_OFFSET;
	set_payload(out, p + t->data_off, len - t->data_off);
	return PKT_OK;
}

/*
 * RFC 768.  The length must cover the header and fit in the IP payload;
 * bytes of the IP payload after it are not part of the datagram.  The
 * checksum is not verified: it guards against corruption on a wire, not
 * against a sender, who can always write a valid one.  The switch's
 * decisions rest on fields it has bounds-checked itself, and a receiver
 * still verifies the checksum and drops a corrupted datagram.
 */
static int parse_udp(const uint8_t *p, size_t len, struct pkt *out)
{
	struct pkt_udp *u = &out->udp;

	if (len < PKT_UDP_HLEN)
		return PKT_ERR_L4_TRUNCATED;
	u->src_port = pkt_get16(p);
	u->dst_port = pkt_get16(p + 2);
	u->length = pkt_get16(p + 4);
	if (u->length < PKT_UDP_HLEN || u->length > len)
		return PKT_ERR_UDP_LENGTH;
	set_payload(out, p + PKT_UDP_HLEN, u->length - PKT_UDP_HLEN);
	return PKT_OK;
}

/* RFC 792: every message starts with type, code, checksum and four bytes
 * whose meaning depends on the type (echo: identifier and sequence). */
static int parse_icmp(const uint8_t *p, size_t len, struct pkt *out)
{
	if (len < PKT_ICMP_HLEN)
		return PKT_ERR_L4_TRUNCATED;
	out->icmp.type = p[0];
	out->icmp.code = p[1];
	out->icmp.rest = pkt_get32(p + 4);
	set_payload(out, p + PKT_ICMP_HLEN, len - PKT_ICMP_HLEN);
	return PKT_OK;
}

static int parse_l4(const uint8_t *p, size_t len, struct pkt *out)
{
	out->l4 = p;
	switch (out->ip.protocol) {
	case PKT_PROTO_TCP: return parse_tcp(p, len, out);
	case PKT_PROTO_UDP: return parse_udp(p, len, out);
	case PKT_PROTO_ICMP: return parse_icmp(p, len, out);
	default: set_payload(out, p, len); return PKT_OK;
	}
}

static void ipv4_fields(const uint8_t *p, struct pkt_ipv4 *ip)
{
	uint16_t frag = pkt_get16(p + 6);

	ip->tos = p[1];
	ip->total_len = pkt_get16(p + 2);
	ip->id = pkt_get16(p + 4);
	ip->df = frag & IP_FLAG_DF;
	ip->mf = frag & IP_FLAG_MF;
	ip->frag_off = frag & IP_FRAG_MASK;
	ip->ttl = p[8];
	ip->protocol = p[9];
	ip->src = pkt_get32(p + 12);
	ip->dst = pkt_get32(p + 16);
}

/*
 * RFC 791 3.1.  Options are covered by the checksum and skipped, never
 * interpreted.  Fragments are refused: their L4 header is absent (offset
 * != 0) or may be rewritten by a later overlapping fragment (RFC 1858), so
 * no port or flag seen in them can be trusted.
 */
static int parse_ipv4(const uint8_t *p, size_t len, struct pkt *out)
{
	struct pkt_ipv4 *ip = &out->ip;
	size_t hl;

	if (len < PKT_IP_HLEN_MIN)
		return PKT_ERR_TRUNCATED;
	if (p[0] >> 4 != IP_VERSION_4)
		return PKT_ERR_IP_VERSION;
	hl = (size_t)(p[0] & 0x0f) * 4;
	if (hl < PKT_IP_HLEN_MIN || hl > len)
		return PKT_ERR_IP_IHL;
	ip->hdr_len = (uint8_t)hl;
	ipv4_fields(p, ip);
	if (ip->total_len < hl || ip->total_len > len)
		return PKT_ERR_IP_TOTAL_LEN;
	if (pkt_ip_checksum(p, hl) != 0)
		return PKT_ERR_IP_CHECKSUM;
	if (ip->frag_off)
		return PKT_ERR_IP_FRAGMENT;
	if (ip->mf)
		return PKT_ERR_IP_MORE_FRAGMENTS;
	return parse_l4(p + hl, ip->total_len - hl, out);
}

static int parse_l3(const uint8_t *p, size_t len, struct pkt *out)
{
	out->l3 = p;
	switch (out->ethertype) {
	case PKT_ETH_ARP: out->kind = PKT_KIND_ARP; return parse_arp(p, len, out);
	case PKT_ETH_IPV4: out->kind = PKT_KIND_IPV4; return parse_ipv4(p, len, out);
	case PKT_ETH_IPV6: out->kind = PKT_KIND_IPV6; return PKT_OK;
	case PKT_ETH_VLAN: out->kind = PKT_KIND_VLAN; return PKT_OK;
	default: return PKT_ERR_ETHERTYPE;
	}
}

int pkt_parse(const uint8_t *frame, size_t len, struct pkt *out)
{
	zv_memset(out, 0, sizeof(*out));
	if (len < PKT_ETH_HLEN)
		return PKT_ERR_TRUNCATED;
	zv_memcpy(out->dst_mac, frame, PKT_MAC_LEN);
	zv_memcpy(out->src_mac, frame + PKT_MAC_LEN, PKT_MAC_LEN);
	out->ethertype = pkt_get16(frame + 2 * PKT_MAC_LEN);
	return parse_l3(frame + PKT_ETH_HLEN, len - PKT_ETH_HLEN, out);
}

static void put_eth(uint8_t *buf, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	zv_memcpy(buf, dst, PKT_MAC_LEN);
	zv_memcpy(buf + PKT_MAC_LEN, src, PKT_MAC_LEN);
	pkt_put16(buf + 2 * PKT_MAC_LEN, type);
}

/* No padding to the 60-byte Ethernet minimum: the frame goes to a virtual
 * port, and padding a frame on a wire is the sending NIC's job. */
size_t pkt_build_arp_reply(const struct pkt *req, const uint8_t mac[PKT_MAC_LEN], uint8_t *buf,
			   size_t size)
{
	const struct pkt_arp *a = &req->arp;
	uint8_t *arp = buf + PKT_ETH_HLEN;

	if (req->kind != PKT_KIND_ARP || a->op != PKT_ARP_REQUEST ||
	    size < PKT_ETH_HLEN + PKT_ARP_LEN)
		return 0;
	/* RFC 826: swap sender and target, put the answer in the sender
	 * fields, set ar$op to reply, send it to the requester. */
	put_eth(buf, a->sender_mac, mac, PKT_ETH_ARP);
	pkt_put16(arp, ARP_HTYPE_ETHER);
	pkt_put16(arp + 2, PKT_ETH_IPV4);
	arp[4] = PKT_MAC_LEN;
	arp[5] = ARP_PLEN_IPV4;
	pkt_put16(arp + 6, PKT_ARP_REPLY);
	zv_memcpy(arp + 8, mac, PKT_MAC_LEN);
	pkt_put32(arp + 14, a->target_ip);
	zv_memcpy(arp + 18, a->sender_mac, PKT_MAC_LEN);
	pkt_put32(arp + 24, a->sender_ip);
	return PKT_ETH_HLEN + PKT_ARP_LEN;
}

/* RFC 791 3.1, no options.  ID 0 with DF set: RFC 6864 4.1 lets an atomic
 * datagram carry any ID. */
static void put_ipv4(uint8_t *ip, const struct pkt_udp4_ends *e, size_t total)
{
	zv_memset(ip, 0, PKT_IP_HLEN_MIN);
	ip[0] = IP_VERSION_4 << 4 | PKT_IP_HLEN_MIN / 4;
	pkt_put16(ip + 2, (uint16_t)total);
	pkt_put16(ip + 6, IP_FLAG_DF);
	ip[8] = IP_TTL_OUT;
	ip[9] = PKT_PROTO_UDP;
	pkt_put32(ip + 12, e->src_ip);
	pkt_put32(ip + 16, e->dst_ip);
	pkt_put16(ip + 10, pkt_ip_checksum(ip, PKT_IP_HLEN_MIN));
}

size_t pkt_build_udp4_headers(const struct pkt_udp4_ends *ends, size_t payload_len, uint8_t *buf,
			      size_t size)
{
	uint8_t *ip = buf + PKT_ETH_HLEN, *udp = ip + PKT_IP_HLEN_MIN;
	size_t total = PKT_IP_HLEN_MIN + PKT_UDP_HLEN + payload_len;

	if (payload_len > IP_MAX_LEN - PKT_IP_HLEN_MIN - PKT_UDP_HLEN ||
	    size < PKT_ETH_HLEN + total)
		return 0;
	put_eth(buf, ends->dst_mac, ends->src_mac, PKT_ETH_IPV4);
	put_ipv4(ip, ends, total);
	pkt_put16(udp, ends->src_port);
	pkt_put16(udp + 2, ends->dst_port);
	pkt_put16(udp + 4, (uint16_t)(total - PKT_IP_HLEN_MIN));
	/* RFC 768: checksum 0 means "none computed", allowed over IPv4. */
	pkt_put16(udp + 6, 0);
	return PKT_UDP4_HDRS;
}
