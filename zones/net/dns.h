/* DNS messages (RFC 1035) from hostile zones: header, question, A answers; REFUSED replies. */
#ifndef ZV_NET_DNS_H
#define ZV_NET_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zones/net/packet.h"

/*
 * Pure C, freestanding, no allocation.  Names are decoded to lowercase
 * dotted text without the trailing dot (the root is ""), and only if every
 * label is letters, digits, '-' or '_': a label holding a '.' or a '*'
 * would let a name read one way by the policy and another by the resolver,
 * so such messages are refused as malformed.
 */

#define DNS_PORT	53
#define DNS_HDR_LEN	12  /* RFC 1035 4.1.1 */
#define DNS_NAME_MAX	253 /* RFC 1035 2.3.4: 255 octets on the wire = 253 characters */
#define DNS_LABEL_MAX	63  /* RFC 1035 2.3.4 */
#define DNS_MAX_ANSWERS 16
#define DNS_MAX_JUMPS	64 /* compression pointers followed in one name */

#define DNS_TYPE_A     1 /* RFC 1035 3.2.2 */
#define DNS_TYPE_CNAME 5
#define DNS_CLASS_IN   1 /* RFC 1035 3.2.4 */

#define DNS_OPCODE_QUERY  0 /* RFC 1035 4.1.1 */
#define DNS_RCODE_NOERROR 0
#define DNS_RCODE_REFUSED 5

enum dns_err {
	DNS_OK = 0,
	DNS_ERR_TRUNCATED = -1,	    /* a header, name, record or rdata runs past the message */
	DNS_ERR_QDCOUNT = -2,	    /* question count not 1 */
	DNS_ERR_LABEL_TYPE = -3,    /* label length byte 0x40-0xbf (RFC 6891 extended types) */
	DNS_ERR_LABEL_CHAR = -4,    /* a label byte that is not a letter, digit, '-' or '_' */
	DNS_ERR_NAME_TOO_LONG = -5, /* more than DNS_NAME_MAX characters */
	DNS_ERR_POINTER = -6,	    /* compression pointer into the header or not backwards */
	DNS_ERR_JUMPS = -7,	    /* more than DNS_MAX_JUMPS pointers in one name */
	DNS_ERR_RDLENGTH = -8,	    /* an IN A record whose rdata is not 4 bytes */
};

struct dns_answer {
	char name[DNS_NAME_MAX + 1]; /* owner name */
	uint32_t addr;		     /* host order, as zones/net/policy.h takes it */
	uint32_t ttl;		     /* seconds; RFC 2181 8: values with bit 31 set read as 0 */
};

struct dns_msg {
	uint16_t id;
	uint16_t flags; /* the raw second header word */
	bool qr, aa, tc, rd, ra;
	uint8_t opcode, rcode;
	uint16_t qdcount, ancount, nscount, arcount;
	char qname[DNS_NAME_MAX + 1];
	uint16_t qtype, qclass;
	size_t question_end; /* offset just past the question */
	/* Responses only: the IN A records of the answer section, in order;
	 * CNAME and other records are checked and skipped. */
	unsigned answer_count;
	unsigned answers_dropped; /* IN A records past DNS_MAX_ANSWERS */
	struct dns_answer answer[DNS_MAX_ANSWERS];
};

/*
 * Parses msg (len bytes, the UDP payload) into *out (about 4.5 KiB).
 * Returns 0 or a negative enum dns_err.  The authority and additional
 * sections, and anything after the question of a query, are not read.
 * Never reads outside msg[0..len).
 */
int dns_parse(const uint8_t *msg, size_t len, struct dns_msg *out);

/* "truncated", "pointer", ...; "unknown" for anything else. */
const char *dns_err_name(int err);

/*
 * Does name match pattern?  Case-insensitive; a pattern "*.domain" matches
 * names with at least one label before ".domain", never "domain" itself;
 * any other pattern matches only the same name.  One trailing dot on either
 * is ignored.  NULL or empty: no match.
 */
bool dns_name_matches(const char *pattern, const char *name);

/*
 * The REFUSED answer (RFC 1035 4.1.1, RCODE 5) to a query: query is the
 * parsed frame (IPv4, UDP) and dns what dns_parse made of query->payload,
 * a query (QR 0).  The reply goes back the way the query came (MACs,
 * addresses and ports swapped), with the same ID, opcode, RD and question,
 * no records, IPv4 checksummed and UDP checksum 0.  Returns its length, or
 * 0 if the query does not qualify or size is too small.
 */
size_t dns_build_refused(const struct pkt *query, const struct dns_msg *dns, uint8_t *buf,
			 size_t size);

#endif
