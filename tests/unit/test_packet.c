/* Unit tests of the frame parser (zones/net/packet.c): real frames, every error, truncation,
 * builders. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/test.h"
#include "zones/net/packet.h"

/* ARP request: who has 10.0.2.2?  Tell 10.0.2.15 (52:54:00:12:34:56). */
static const uint8_t arp_request[] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
	0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, /* Ethernet, IPv4, 6, 4, request
								     */
	0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x0a, 0x00, 0x02, 0x0f, /* sender */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x02, 0x02, /* target */
};

/* A Linux TCP SYN 10.0.2.15:40000 -> 10.0.2.2:8080 with MSS, SACK-permitted,
 * timestamps and window scale options (data offset 10). */
static const uint8_t tcp_syn[] = {
	0x52, 0x55, 0x0a, 0x00, 0x02, 0x02, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x08,
	0x00, 0x45, 0x00, 0x00, 0x3c, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x06, 0x06, 0x66, /* IPv4 */
	0x0a, 0x00, 0x02, 0x0f, 0x0a, 0x00, 0x02, 0x02, 0x9c, 0x40, 0x1f, 0x90, 0x12,
	0x34, 0x56, 0x78, 0x00, 0x00, 0x00, 0x00, /* TCP */
	0xa0, 0x02, 0xfa, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04,
	0x02, 0x08, 0x0a, 0x00, 0x01, 0x02, 0x03, /* options */
	0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
};

/* UDP 10.0.2.15:53000 -> 10.0.2.3:53, DNS query id 0x1234, RD, allowed.test A IN. */
static const uint8_t dns_query[] = {
	0x52, 0x55, 0x0a, 0x00, 0x02, 0x03, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x08,
	0x00, 0x45, 0x00, 0x00, 0x3a, 0xab, 0xcd, 0x00, 0x00, 0x40, 0x11, 0xb6, 0xd4, /* IPv4 */
	0x0a, 0x00, 0x02, 0x0f, 0x0a, 0x00, 0x02, 0x03, 0xcf, 0x08, 0x00, 0x35, 0x00,
	0x26, 0x00, 0x00,							/* UDP, length 38 */
	0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* DNS */
	0x07, 'a',  'l',  'l',	'o',  'w',  'e',  'd',	0x04, 't',  'e',  's',	't',
	0x00, 0x00, 0x01, 0x00, 0x01,
};

/* ICMP echo request 10.0.2.15 -> 10.0.2.2, id 0x0042 seq 7, 4 data bytes. */
static const uint8_t icmp_echo[] = {
	0x52, 0x55, 0x0a, 0x00, 0x02, 0x02, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x08,
	0x00, 0x45, 0x00, 0x00, 0x20, 0x00, 0x01, 0x40, 0x00, 0x40, 0x01, 0x22, 0xcc, /* IPv4 */
	0x0a, 0x00, 0x02, 0x0f, 0x0a, 0x00, 0x02, 0x02, 0x08, 0x00, 0x00, 0x00, 0x00,
	0x42, 0x00, 0x07, 'p',	'i',  'n',  'g',
};

#define IP_OFF		 14
#define L4_OFF		 34
#define IP_A(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static uint8_t frame[2048];

/* Copies a frame into the scratch buffer for mutation. */
static size_t load(const uint8_t *src, size_t len)
{
	memcpy(frame, src, len);
	return len;
}

/* Recomputes the IPv4 header checksum after a mutation. */
static void fix_ip_checksum(uint8_t *f)
{
	size_t ihl = (size_t)(f[IP_OFF] & 0x0f) * 4;

	f[IP_OFF + 10] = f[IP_OFF + 11] = 0;
	pkt_put16(f + IP_OFF + 10, pkt_ip_checksum(f + IP_OFF, ihl));
}

/* Parses a heap copy of exactly len bytes, so ASan sees any read past the end;
 * the copy is freed, so p's pointers must not be used after. */
static int parse_exact(const uint8_t *src, size_t len, struct pkt *p)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	memcpy(copy, src, len);
	rc = pkt_parse(copy, len, p);
	free(copy);
	return rc;
}

TEST(packet_checksum_known_values)
{
	static const uint8_t rfc1071[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	static const uint8_t hdr[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
				      0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	static const uint8_t odd[] = {0x01, 0x02, 0x03};
	static const uint8_t zero[4] = {0};
	uint8_t with[sizeof(hdr)];

	/* RFC 1071 3: the sum of this example is 0xddf2, so the checksum is ~0xddf2. */
	CHECK_EQ_U64(pkt_ip_checksum(rfc1071, sizeof(rfc1071)), 0x220d);
	CHECK_EQ_U64(pkt_ip_checksum(hdr, sizeof(hdr)), 0xb861);
	memcpy(with, hdr, sizeof(hdr));
	with[10] = 0xb8;
	with[11] = 0x61;
	CHECK_EQ_U64(pkt_ip_checksum(with, sizeof(with)), 0);
	CHECK_EQ_U64(pkt_ip_checksum(odd, sizeof(odd)), (uint16_t)~0x0402); /* 0x0102 + 0x0300 */
	CHECK_EQ_U64(pkt_ip_checksum(zero, sizeof(zero)), 0xffff);
	CHECK_EQ_U64(pkt_ip_checksum(zero, 0), 0xffff);
	CHECK_EQ_U64(pkt_ip_checksum(tcp_syn + IP_OFF, 20), 0);
	CHECK_EQ_U64(pkt_ip_checksum(dns_query + IP_OFF, 20), 0);
	CHECK_EQ_U64(pkt_ip_checksum(icmp_echo + IP_OFF, 20), 0);
}

TEST(packet_checksum_unaligned_and_carries)
{
	uint8_t buf[1 + 64];

	/* 32 words of 0xffff: the carry folds back in, any alignment. */
	memset(buf, 0xff, sizeof(buf));
	CHECK_EQ_U64(pkt_ip_checksum(buf + 1, 64), 0);
	CHECK_EQ_U64(pkt_ip_checksum(buf + 1, 63), (uint16_t)~0xff00 & 0xffff);
}

TEST(packet_arp_request)
{
	static const uint8_t mac[] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
	struct pkt p;

	CHECK_EQ_U64(parse_exact(arp_request, sizeof(arp_request), &p), PKT_OK);
	CHECK_EQ_U64(p.kind, PKT_KIND_ARP);
	CHECK_EQ_U64(p.ethertype, PKT_ETH_ARP);
	CHECK(memcmp(p.src_mac, mac, 6) == 0);
	CHECK(memcmp(p.dst_mac, "\xff\xff\xff\xff\xff\xff", 6) == 0);
	CHECK_EQ_U64(p.arp.op, PKT_ARP_REQUEST);
	CHECK(memcmp(p.arp.sender_mac, mac, 6) == 0);
	CHECK_EQ_U64(p.arp.sender_ip, IP_A(10, 0, 2, 15));
	CHECK(memcmp(p.arp.target_mac, "\0\0\0\0\0\0", 6) == 0);
	CHECK_EQ_U64(p.arp.target_ip, IP_A(10, 0, 2, 2));
}

TEST(packet_arp_errors)
{
	struct pkt p;
	size_t n;

	n = load(arp_request, sizeof(arp_request));
	frame[15] = 6; /* htype IEEE 802 */
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_ERR_ARP_FORMAT);
	n = load(arp_request, sizeof(arp_request));
	frame[17] = 0xdd; /* ptype 0x08dd */
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_ERR_ARP_FORMAT);
	n = load(arp_request, sizeof(arp_request));
	frame[18] = 8; /* hlen */
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_ERR_ARP_FORMAT);
	n = load(arp_request, sizeof(arp_request));
	frame[19] = 16; /* plen: an IPv6 address */
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_ERR_ARP_FORMAT);
	n = load(arp_request, sizeof(arp_request));
	frame[21] = 3; /* RARP request */
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_ERR_ARP_OP);
	frame[21] = 2;
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_OK);
	CHECK_EQ_U64(p.arp.op, PKT_ARP_REPLY);
}

TEST(packet_tcp_syn)
{
	struct pkt p;

	CHECK_EQ_U64(parse_exact(tcp_syn, sizeof(tcp_syn), &p), PKT_OK);
	CHECK_EQ_U64(p.kind, PKT_KIND_IPV4);
	CHECK_EQ_U64(p.ip.src, IP_A(10, 0, 2, 15));
	CHECK_EQ_U64(p.ip.dst, IP_A(10, 0, 2, 2));
	CHECK_EQ_U64(p.ip.protocol, PKT_PROTO_TCP);
	CHECK_EQ_U64(p.ip.ttl, 64);
	CHECK_EQ_U64(p.ip.hdr_len, 20);
	CHECK_EQ_U64(p.ip.total_len, 60);
	CHECK_EQ_U64(p.ip.id, 0x1c46);
	CHECK(p.ip.df);
	CHECK(!p.ip.mf);
	CHECK_EQ_U64(p.ip.frag_off, 0);
	CHECK_EQ_U64(p.tcp.src_port, 40000);
	CHECK_EQ_U64(p.tcp.dst_port, 8080);
	CHECK_EQ_U64(p.tcp.seq, 0x12345678);
	CHECK_EQ_U64(p.tcp.ack, 0);
	CHECK_EQ_U64(p.tcp.flags, PKT_TCP_SYN);
	CHECK_EQ_U64(p.tcp.data_off, 40);
	CHECK_EQ_U64(p.tcp.window, 64240);
	CHECK_EQ_U64(p.payload_len, 0);
	CHECK(p.l3 != NULL);
	CHECK(p.l4 != NULL);
}

TEST(packet_tcp_payload_and_padding)
{
	struct pkt p;
	size_t n = load(tcp_syn, sizeof(tcp_syn));

	/* Data offset 5: the 20 option bytes become payload.  Ethernet
	 * padding after the IP total length is not payload. */
	frame[L4_OFF + 12] = 0x50;
	memset(frame + n, 0xee, 16);
	CHECK_EQ_U64(pkt_parse(frame, n + 16, &p), PKT_OK);
	CHECK_EQ_U64(p.tcp.data_off, 20);
	CHECK_EQ_U64(p.payload_len, 20);
	CHECK(p.payload == frame + L4_OFF + 20);
}

TEST(packet_tcp_data_offset_errors)
{
	struct pkt p;
	size_t n = load(tcp_syn, sizeof(tcp_syn));

	frame[L4_OFF + 12] = 0x40; /* 16 bytes: under the fixed header */
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_ERR_TCP_OFFSET);
	CHECK_EQ_U64(p.tcp.dst_port, 8080); /* parsed before the failing field */
	frame[L4_OFF + 12] = 0xf0;	    /* 60 bytes: past the 40 there are */
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_ERR_TCP_OFFSET);
	frame[L4_OFF + 12] = 0xa0;
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_OK);
}

TEST(packet_ip_header_errors)
{
	struct pkt p;
	size_t n = load(tcp_syn, sizeof(tcp_syn));

	frame[IP_OFF] = 0x65;
	fix_ip_checksum(frame);
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_ERR_IP_VERSION);
	frame[IP_OFF] = 0x44;
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_ERR_IP_IHL);
	frame[IP_OFF] = 0x40;
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_ERR_IP_IHL);
	frame[IP_OFF] = 0x4f; /* 60-byte header in a 60-byte datagram: fits, but no TCP */
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_ERR_IP_CHECKSUM);
	CHECK_EQ_U64(pkt_parse(frame, IP_OFF + 59, &p), PKT_ERR_IP_IHL);
	n = load(tcp_syn, sizeof(tcp_syn));
	frame[IP_OFF + 11] ^= 1;
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_ERR_IP_CHECKSUM);
	CHECK_EQ_U64(p.ip.src, IP_A(10, 0, 2, 15)); /* kept for the audit line */
}

TEST(packet_ip_total_length_errors)
{
	struct pkt p;
	size_t n = load(tcp_syn, sizeof(tcp_syn));

	pkt_put16(frame + IP_OFF + 2, 19);
	fix_ip_checksum(frame);
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_ERR_IP_TOTAL_LEN);
	pkt_put16(frame + IP_OFF + 2, 61);
	fix_ip_checksum(frame);
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_ERR_IP_TOTAL_LEN);
	pkt_put16(frame + IP_OFF + 2, 0xffff);
	fix_ip_checksum(frame);
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_ERR_IP_TOTAL_LEN);
	pkt_put16(frame + IP_OFF + 2, 20); /* IP header only */
	fix_ip_checksum(frame);
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_ERR_L4_TRUNCATED);
}

TEST(packet_ip_options)
{
	struct pkt p;
	size_t n = load(tcp_syn, sizeof(tcp_syn));

	/* Four NOP option bytes (RFC 791 3.1 type 1) before the TCP header. */
	memmove(frame + L4_OFF + 4, frame + L4_OFF, n - L4_OFF);
	memset(frame + L4_OFF, 1, 4);
	frame[IP_OFF] = 0x46;
	pkt_put16(frame + IP_OFF + 2, 64);
	fix_ip_checksum(frame);
	CHECK_EQ_U64(pkt_parse(frame, n + 4, &p), PKT_OK);
	CHECK_EQ_U64(p.ip.hdr_len, 24);
	CHECK(p.l4 == frame + L4_OFF + 4);
	CHECK_EQ_U64(p.tcp.dst_port, 8080);
}

TEST(packet_fragments)
{
	struct pkt p;
	size_t n = load(tcp_syn, sizeof(tcp_syn));

	pkt_put16(frame + IP_OFF + 6, 0x2000); /* MF, offset 0: the first fragment */
	fix_ip_checksum(frame);
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_ERR_IP_MORE_FRAGMENTS);
	CHECK(p.ip.mf);
	pkt_put16(frame + IP_OFF + 6, 0x0001); /* offset 8 bytes, last fragment */
	fix_ip_checksum(frame);
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_ERR_IP_FRAGMENT);
	CHECK_EQ_U64(p.ip.frag_off, 1);
	pkt_put16(frame + IP_OFF + 6, 0x3fff); /* MF and an offset: a middle fragment */
	fix_ip_checksum(frame);
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_ERR_IP_FRAGMENT);
	pkt_put16(frame + IP_OFF + 6, 0x0000); /* DF clear, not a fragment */
	fix_ip_checksum(frame);
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_OK);
	CHECK(!p.ip.df);
}

TEST(packet_udp_dns_query)
{
	struct pkt p;

	CHECK_EQ_U64(pkt_parse(dns_query, sizeof(dns_query), &p), PKT_OK);
	CHECK_EQ_U64(p.ip.protocol, PKT_PROTO_UDP);
	CHECK_EQ_U64(p.ip.dst, IP_A(10, 0, 2, 3));
	CHECK(!p.ip.df);
	CHECK_EQ_U64(p.udp.src_port, 53000);
	CHECK_EQ_U64(p.udp.dst_port, 53);
	CHECK_EQ_U64(p.udp.length, 38);
	CHECK_EQ_U64(p.payload_len, 30);
	CHECK(p.payload && p.payload[0] == 0x12 && p.payload[1] == 0x34);
}

TEST(packet_udp_length)
{
	struct pkt p;
	size_t n = load(dns_query, sizeof(dns_query));

	frame[L4_OFF + 5] = 7;
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_ERR_UDP_LENGTH);
	frame[L4_OFF + 5] = 0;
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_ERR_UDP_LENGTH);
	frame[L4_OFF + 5] = 39; /* one past the IP payload */
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_ERR_UDP_LENGTH);
	CHECK_EQ_U64(p.udp.dst_port, 53);
	frame[L4_OFF + 5] = 20; /* shorter than the IP payload: the rest is not data */
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_OK);
	CHECK_EQ_U64(p.payload_len, 12);
	frame[L4_OFF + 5] = 8;
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_OK);
	CHECK_EQ_U64(p.payload_len, 0);
}

TEST(packet_icmp_echo)
{
	struct pkt p;
	size_t n;

	CHECK_EQ_U64(pkt_parse(icmp_echo, sizeof(icmp_echo), &p), PKT_OK);
	CHECK_EQ_U64(p.ip.protocol, PKT_PROTO_ICMP);
	CHECK_EQ_U64(p.icmp.type, 8);
	CHECK_EQ_U64(p.icmp.code, 0);
	CHECK_EQ_U64(p.icmp.rest, 0x00420007);
	CHECK_EQ_U64(p.payload_len, 4);
	CHECK(memcmp(p.payload, "ping", 4) == 0);
	n = load(icmp_echo, sizeof(icmp_echo));
	pkt_put16(frame + IP_OFF + 2, 27); /* 7 bytes of ICMP */
	fix_ip_checksum(frame);
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_ERR_L4_TRUNCATED);
}

TEST(packet_other_protocol)
{
	struct pkt p;
	size_t n = load(icmp_echo, sizeof(icmp_echo));

	frame[IP_OFF + 9] = 47; /* GRE: not parsed, whole IP payload reported */
	fix_ip_checksum(frame);
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_OK);
	CHECK_EQ_U64(p.ip.protocol, 47);
	CHECK_EQ_U64(p.payload_len, 12);
	CHECK(p.payload == frame + L4_OFF);
}

TEST(packet_ethertypes)
{
	struct pkt p;
	size_t n = load(icmp_echo, sizeof(icmp_echo));

	pkt_put16(frame + 12, PKT_ETH_IPV6);
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_OK);
	CHECK_EQ_U64(p.kind, PKT_KIND_IPV6);
	CHECK_EQ_U64(pkt_parse(frame, PKT_ETH_HLEN, &p), PKT_OK);
	pkt_put16(frame + 12, PKT_ETH_VLAN);
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_OK);
	CHECK_EQ_U64(p.kind, PKT_KIND_VLAN);
	CHECK_EQ_U64(p.ip.src, 0);     /* not parsed further */
	pkt_put16(frame + 12, 0x0040); /* 802.3 length field */
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_ERR_ETHERTYPE);
	pkt_put16(frame + 12, 0x88cc); /* LLDP */
	CHECK_EQ_U64(pkt_parse(frame, n, &p), PKT_ERR_ETHERTYPE);
	CHECK_EQ_U64(p.ethertype, 0x88cc);
	CHECK_EQ_U64(p.kind, PKT_KIND_NONE);
	CHECK_EQ_U64(pkt_parse(frame, 13, &p), PKT_ERR_TRUNCATED);
	CHECK_EQ_U64(pkt_parse(NULL, 0, &p), PKT_ERR_TRUNCATED);
}

/* Every proper prefix of a valid frame is refused, read within its bytes. */
static void check_truncations(const uint8_t *f, size_t len)
{
	struct pkt p;

	for (size_t n = 0; n < len; n++) {
		int rc = parse_exact(f, n, &p);

		if (rc >= 0)
			printf("  prefix %zu of %zu parsed\n", n, len);
		CHECK(rc < 0);
		CHECK(strcmp(pkt_err_name(rc), "unknown") != 0);
	}
}

TEST(packet_truncated_at_every_length)
{
	check_truncations(arp_request, sizeof(arp_request));
	check_truncations(tcp_syn, sizeof(tcp_syn));
	check_truncations(dns_query, sizeof(dns_query));
	check_truncations(icmp_echo, sizeof(icmp_echo));
}

TEST(packet_err_names)
{
	CHECK_STR(pkt_err_name(PKT_OK), "ok");
	CHECK_STR(pkt_err_name(PKT_ERR_TRUNCATED), "truncated");
	CHECK_STR(pkt_err_name(PKT_ERR_IP_CHECKSUM), "ip-checksum");
	CHECK_STR(pkt_err_name(PKT_ERR_IP_FRAGMENT), "ip-fragment");
	CHECK_STR(pkt_err_name(PKT_ERR_IP_MORE_FRAGMENTS), "ip-more-fragments");
	CHECK_STR(pkt_err_name(PKT_ERR_L4_TRUNCATED), "l4-truncated");
	for (int e = PKT_ERR_TRUNCATED; e >= PKT_ERR_L4_TRUNCATED; e--)
		CHECK(strcmp(pkt_err_name(e), "unknown") != 0);
	CHECK_STR(pkt_err_name(PKT_ERR_L4_TRUNCATED - 1), "unknown");
	CHECK_STR(pkt_err_name(1), "unknown");
	CHECK_STR(pkt_err_name(INT_MIN), "unknown");
}

TEST(packet_arp_reply_builder)
{
	static const uint8_t gw[] = {0x02, 0x7a, 0x76, 0x00, 0x00, 0x01};
	uint8_t out[64];
	struct pkt req, rep;
	size_t n;

	CHECK_EQ_U64(pkt_parse(arp_request, sizeof(arp_request), &req), PKT_OK);
	n = pkt_build_arp_reply(&req, gw, out, sizeof(out));
	CHECK_EQ_U64(n, 42);
	CHECK_EQ_U64(parse_exact(out, n, &rep), PKT_OK);
	CHECK_EQ_U64(rep.kind, PKT_KIND_ARP);
	CHECK_EQ_U64(rep.arp.op, PKT_ARP_REPLY);
	CHECK(memcmp(rep.dst_mac, req.arp.sender_mac, 6) == 0);
	CHECK(memcmp(rep.src_mac, gw, 6) == 0);
	CHECK(memcmp(rep.arp.sender_mac, gw, 6) == 0);
	CHECK_EQ_U64(rep.arp.sender_ip, IP_A(10, 0, 2, 2));
	CHECK(memcmp(rep.arp.target_mac, req.arp.sender_mac, 6) == 0);
	CHECK_EQ_U64(rep.arp.target_ip, IP_A(10, 0, 2, 15));
	/* No reply to a reply, to a non-ARP frame, or into a short buffer. */
	CHECK_EQ_U64(pkt_build_arp_reply(&rep, gw, out, sizeof(out)), 0);
	CHECK_EQ_U64(pkt_build_arp_reply(&req, gw, out, 41), 0);
	CHECK_EQ_U64(pkt_parse(tcp_syn, sizeof(tcp_syn), &rep), PKT_OK);
	CHECK_EQ_U64(pkt_build_arp_reply(&rep, gw, out, sizeof(out)), 0);
}

TEST(packet_udp4_headers_builder)
{
	struct pkt_udp4_ends e = {
		.src_mac = {2, 0, 0, 0, 0, 1},
		.dst_mac = {2, 0, 0, 0, 0, 2},
		.src_ip = IP_A(10, 0, 2, 3),
		.dst_ip = IP_A(10, 0, 2, 15),
		.src_port = 53,
		.dst_port = 40000,
	};
	static uint8_t big[70000];
	struct pkt p;

	CHECK_EQ_U64(pkt_build_udp4_headers(&e, 5, frame, sizeof(frame)), PKT_UDP4_HDRS);
	memcpy(frame + PKT_UDP4_HDRS, "hello", 5);
	CHECK_EQ_U64(parse_exact(frame, PKT_UDP4_HDRS + 5, &p), PKT_OK);
	CHECK_EQ_U64(p.ip.src, e.src_ip);
	CHECK_EQ_U64(p.ip.dst, e.dst_ip);
	CHECK(p.ip.df);
	CHECK_EQ_U64(p.ip.ttl, 64);
	CHECK_EQ_U64(p.udp.src_port, 53);
	CHECK_EQ_U64(p.udp.dst_port, 40000);
	CHECK_EQ_U64(pkt_get16(frame + L4_OFF + 6), 0); /* no UDP checksum */
	CHECK_EQ_U64(p.payload_len, 5);
	CHECK_EQ_U64(pkt_build_udp4_headers(&e, 5, frame, PKT_UDP4_HDRS + 4), 0);
	CHECK_EQ_U64(pkt_build_udp4_headers(&e, 65535 - 28, big, sizeof(big)), PKT_UDP4_HDRS);
	CHECK_EQ_U64(pkt_build_udp4_headers(&e, 65535 - 27, big, sizeof(big)), 0);
}
