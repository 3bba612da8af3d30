/* Ethernet, ARP, IPv4, TCP, UDP and ICMP parsing of hostile frames, checksums, ARP replies. */
#ifndef ZV_NET_PACKET_H
#define ZV_NET_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Pure C, freestanding, no allocation.  Every byte of a frame is the zone's
 * and is checked before use: nothing is read past frame[len - 1], and every
 * length a header claims is checked against the bytes actually there.
 * Multi-byte fields are returned in host order; IPv4 addresses as host-order
 * integers (a.b.c.d = a << 24 | ... | d), as zones/net/policy.h takes them.
 */

#define PKT_MAC_LEN	6
#define PKT_ETH_HLEN	14 /* IEEE 802.3 3.1.1: destination, source, EtherType */
#define PKT_ARP_LEN	28 /* RFC 826, Ethernet/IPv4: 8 + 2 * (6 + 4) */
#define PKT_IP_HLEN_MIN 20 /* RFC 791 3.1: IHL 5 */
#define PKT_TCP_HLEN	20 /* RFC 9293 3.1: data offset 5 */
#define PKT_UDP_HLEN	8  /* RFC 768 */
#define PKT_ICMP_HLEN	8  /* RFC 792: type, code, checksum, 4 bytes of "rest of header" */

/* IEEE 802 EtherTypes (IANA ieee-802-numbers). */
#define PKT_ETH_IPV4 0x0800
#define PKT_ETH_ARP  0x0806
#define PKT_ETH_VLAN 0x8100
#define PKT_ETH_IPV6 0x86dd

/* IANA protocol numbers. */
#define PKT_PROTO_ICMP 1
#define PKT_PROTO_TCP  6
#define PKT_PROTO_UDP  17

#define PKT_ARP_REQUEST 1 /* RFC 826 ar$op */
#define PKT_ARP_REPLY	2

/* RFC 9293 3.1: the control bits in byte 13 of the TCP header. */
#define PKT_TCP_FIN 0x01
#define PKT_TCP_SYN 0x02
#define PKT_TCP_RST 0x04
#define PKT_TCP_PSH 0x08
#define PKT_TCP_ACK 0x10
#define PKT_TCP_URG 0x20
#define PKT_TCP_ECE 0x40
#define PKT_TCP_CWR 0x80

/* Why a frame was rejected.  Fragments get two codes of their own so the
 * switch can count (and drop) them apart from malformed frames. */
enum pkt_err {
	PKT_OK = 0,
	PKT_ERR_TRUNCATED = -1,	   /* fewer bytes than a fixed-size header needs */
	PKT_ERR_ETHERTYPE = -2,	   /* an 802.3 length field or an EtherType not listed above */
	PKT_ERR_ARP_FORMAT = -3,   /* not Ethernet/IPv4 ARP (htype, ptype, hlen, plen) */
	PKT_ERR_ARP_OP = -4,	   /* neither request nor reply */
	PKT_ERR_IP_VERSION = -5,   /* version field not 4 */
	PKT_ERR_IP_IHL = -6,	   /* IHL under 5, or the header runs past the frame */
	PKT_ERR_IP_TOTAL_LEN = -7, /* total length under IHL * 4 or past the frame */
	PKT_ERR_IP_CHECKSUM = -8,  /* header checksum does not verify */
	PKT_ERR_IP_FRAGMENT = -9,  /* a non-first fragment (offset != 0) */
	PKT_ERR_IP_MORE_FRAGMENTS = -10, /* a first fragment (MF set, offset 0) */
	PKT_ERR_TCP_OFFSET = -11,	 /* data offset under 5 or past the IP payload */
	PKT_ERR_UDP_LENGTH = -12,	 /* UDP length under 8 or past the IP payload */
	PKT_ERR_L4_TRUNCATED = -13,	 /* IP payload shorter than the TCP/UDP/ICMP header */
};

enum pkt_kind {
	PKT_KIND_NONE = 0, /* nothing parsed (an error before the EtherType) */
	PKT_KIND_ARP,
	PKT_KIND_IPV4,
	PKT_KIND_IPV6, /* recognized, not parsed beyond the EtherType */
	PKT_KIND_VLAN, /* 802.1Q tagged, not parsed beyond the EtherType */
};

struct pkt_arp {
	uint16_t op;
	uint8_t sender_mac[PKT_MAC_LEN];
	uint32_t sender_ip;
	uint8_t target_mac[PKT_MAC_LEN];
	uint32_t target_ip;
};

struct pkt_ipv4 {
	uint32_t src, dst;
	uint8_t protocol;
	uint8_t ttl;
	uint8_t tos;
	uint8_t hdr_len; /* bytes: IHL * 4, 20..60 */
	uint16_t total_len;
	uint16_t id;
	bool df, mf;
	uint16_t frag_off; /* in 8-byte units, as on the wire */
};

struct pkt_tcp {
	uint16_t src_port, dst_port;
	uint32_t seq, ack;
	uint8_t flags;	  /* PKT_TCP_* */
	uint8_t data_off; /* bytes: offset * 4, 20..60 */
	uint16_t window;
};

struct pkt_udp {
	uint16_t src_port, dst_port;
	uint16_t length; /* header + payload, as the header says (checked) */
};

struct pkt_icmp {
	uint8_t type, code;
	uint32_t rest; /* RFC 792 "rest of header": echo identifier << 16 | sequence */
};

/*
 * A parsed frame.  kind says which of arp/ip is valid; for IPv4, ip.protocol
 * says which of tcp/udp/icmp.  l3 points at the ARP or IPv4 header, l4 at the
 * TCP/UDP/ICMP header (or the IP payload of another protocol).  payload is
 * what follows the L4 header: the TCP segment data, the UDP datagram data,
 * the ICMP data, or the whole IP payload of another protocol; it ends at
 * the IP total length (Ethernet padding after it is not payload).
 */
struct pkt {
	uint8_t dst_mac[PKT_MAC_LEN];
	uint8_t src_mac[PKT_MAC_LEN];
	uint16_t ethertype;
	enum pkt_kind kind;
	struct pkt_arp arp;
	struct pkt_ipv4 ip;
	struct pkt_tcp tcp;
	struct pkt_udp udp;
	struct pkt_icmp icmp;
	const uint8_t *l3, *l4;
	const uint8_t *payload;
	size_t payload_len;
};

/*
 * Parses frame (len bytes, no FCS) into *out.  Returns 0 or a negative enum
 * pkt_err.  On error, *out holds every field parsed before the failing one
 * (addresses and ports for the audit line), the rest zero.  Never reads
 * outside frame[0..len).
 */
int pkt_parse(const uint8_t *frame, size_t len, struct pkt *out);

/* "truncated", "ip-checksum", ...; "unknown" for anything else. */
const char *pkt_err_name(int err);

/* RFC 1071 Internet checksum of len bytes (any alignment, odd len allowed),
 * in host order: store it big-endian.  Over a header whose checksum field
 * holds a correct value it returns 0. */
uint16_t pkt_ip_checksum(const void *data, size_t len);

/*
 * The ARP reply to a parsed ARP request (req->kind PKT_KIND_ARP, op 1):
 * "req->arp.target_ip is at mac", sent to the requester.  The caller decides
 * whether that address should be answered.  Writes a 42-byte frame to buf
 * and returns its length; returns 0 if req is not an ARP request or size is
 * under 42.
 */
size_t pkt_build_arp_reply(const struct pkt *req, const uint8_t mac[PKT_MAC_LEN], uint8_t *buf,
			   size_t size);

/* The two ends of a UDP datagram the switch writes (both MACs, addresses, ports). */
struct pkt_udp4_ends {
	uint8_t src_mac[PKT_MAC_LEN], dst_mac[PKT_MAC_LEN];
	uint32_t src_ip, dst_ip;
	uint16_t src_port, dst_port;
};

#define PKT_UDP4_HDRS (PKT_ETH_HLEN + PKT_IP_HLEN_MIN + PKT_UDP_HLEN) /* 42 */

/*
 * Writes the Ethernet, IPv4 (no options, DF, TTL 64, checksummed) and UDP
 * (checksum 0) headers of a datagram whose payload_len bytes the caller
 * puts at buf + PKT_UDP4_HDRS.  Returns PKT_UDP4_HDRS, or 0 if headers and
 * payload do not fit in size bytes or in an IPv4 datagram.
 */
size_t pkt_build_udp4_headers(const struct pkt_udp4_ends *ends, size_t payload_len, uint8_t *buf,
			      size_t size);

/* Big-endian loads and stores on byte pointers (no alignment assumed). */
static inline uint16_t pkt_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t pkt_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void pkt_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void pkt_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
