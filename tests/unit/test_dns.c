/* Unit tests of the DNS parser (zones/net/dns.c): queries, compressed answers, malformed names,
 * REFUSED. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/test.h"
#include "zones/net/dns.h"

#define IP_A(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* UDP 10.0.2.15:53000 -> 10.0.2.3:53, DNS query id 0x1234, RD, allowed.test A IN. */
static const uint8_t query_frame[] = {
	0x52, 0x55, 0x0a, 0x00, 0x02, 0x03, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x08,
	0x00, 0x45, 0x00, 0x00, 0x3a, 0xab, 0xcd, 0x00, 0x00, 0x40, 0x11, 0xb6, 0xd4, /* IPv4 */
	0x0a, 0x00, 0x02, 0x0f, 0x0a, 0x00, 0x02, 0x03, 0xcf, 0x08, 0x00, 0x35, 0x00,
	0x26, 0x00, 0x00,							/* UDP, length 38 */
	0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* DNS */
	0x07, 'a',  'l',  'l',	'o',  'w',  'e',  'd',	0x04, 't',  'e',  's',	't',
	0x00, 0x00, 0x01, 0x00, 0x01,
};
#define QUERY_DNS_OFF 42

/*
 * The answer to www.allowed.test A: a CNAME to cdn.allowed.test whose
 * rdata is compressed against the question, then two A records owned by
 * pointers into that rdata.  Offsets: question name 12, "allowed" 16,
 * CNAME record 34, its rdata 46, A records 52 and 68.
 */
static const uint8_t response[] = {
	0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00,
	0x03, 'w',  'w',  'w',	0x07, 'a',  'l',  'l',	'o',  'w',  'e',  'd',
	0x04, 't',  'e',  's',	't',  0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x0c,
	0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x06, /* CNAME, 300 s */
	0x03, 'c',  'd',  'n',	0xc0, 0x10, 0xc0, 0x2e, 0x00, 0x01, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x3c, 0x00, 0x04, /* A, 60 s */
	0x0a, 0x00, 0x02, 0x02, 0xc0, 0x2e, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x3c, 0x00, 0x04, 0x0a, 0x00, 0x02, 0x04,
};

static uint8_t msg[4096];
static struct dns_msg dm;

/* Parses a heap copy of exactly len bytes, so ASan sees any read past the end. */
static int parse_exact(const uint8_t *src, size_t len, struct dns_msg *out)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	memcpy(copy, src, len);
	rc = dns_parse(copy, len, out);
	free(copy);
	return rc;
}

/* A response header (id 1, QR RD RA) with one question and an answers. */
static size_t put_header(uint8_t *m, uint16_t an)
{
	memset(m, 0, DNS_HDR_LEN);
	m[1] = 1;
	m[2] = 0x81;
	m[3] = 0x80;
	m[5] = 1;
	pkt_put16(m + 6, an);
	return DNS_HDR_LEN;
}

/* Appends an uncompressed name of labels of the given lengths, all 'a'. */
static size_t put_labels(uint8_t *m, size_t at, const unsigned *lens, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		m[at++] = (uint8_t)lens[i];
		memset(m + at, 'a', lens[i]);
		at += lens[i];
	}
	m[at++] = 0;
	return at;
}

static size_t put_bytes(uint8_t *m, size_t at, const void *b, size_t n)
{
	memcpy(m + at, b, n);
	return at + n;
}

/* An A IN record owned by the 2-byte name at name, TTL ttl, address addr. */
static size_t put_a(uint8_t *m, size_t at, const uint8_t name[2], uint32_t ttl, uint32_t addr)
{
	at = put_bytes(m, at, name, 2);
	pkt_put32(m + at, 0x00010001);
	pkt_put32(m + at + 4, ttl);
	pkt_put16(m + at + 8, 4);
	pkt_put32(m + at + 10, addr);
	return at + 14;
}

TEST(dns_query_parsed)
{
	CHECK_EQ_U64(dns_parse(query_frame + QUERY_DNS_OFF, 30, &dm), DNS_OK);
	CHECK_EQ_U64(dm.id, 0x1234);
	CHECK(!dm.qr);
	CHECK(dm.rd);
	CHECK_EQ_U64(dm.opcode, DNS_OPCODE_QUERY);
	CHECK_EQ_U64(dm.qdcount, 1);
	CHECK_STR(dm.qname, "allowed.test");
	CHECK_EQ_U64(dm.qtype, DNS_TYPE_A);
	CHECK_EQ_U64(dm.qclass, DNS_CLASS_IN);
	CHECK_EQ_U64(dm.question_end, 30);
	CHECK_EQ_U64(dm.answer_count, 0);
}

TEST(dns_query_name_lowercased)
{
	size_t n = put_bytes(msg, 0, query_frame + QUERY_DNS_OFF, 30);

	memcpy(msg + 13, "AlLoWeD", 7);
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_OK);
	CHECK_STR(dm.qname, "allowed.test");
}

TEST(dns_response_cname_and_two_a)
{
	CHECK_EQ_U64(parse_exact(response, sizeof(response), &dm), DNS_OK);
	CHECK(dm.qr);
	CHECK(dm.ra);
	CHECK_EQ_U64(dm.rcode, DNS_RCODE_NOERROR);
	CHECK_EQ_U64(dm.ancount, 3);
	CHECK_STR(dm.qname, "www.allowed.test");
	CHECK_EQ_U64(dm.answer_count, 2);
	CHECK_EQ_U64(dm.answers_dropped, 0);
	CHECK_STR(dm.answer[0].name, "cdn.allowed.test");
	CHECK_EQ_U64(dm.answer[0].addr, IP_A(10, 0, 2, 2));
	CHECK_EQ_U64(dm.answer[0].ttl, 60);
	CHECK_STR(dm.answer[1].name, "cdn.allowed.test");
	CHECK_EQ_U64(dm.answer[1].addr, IP_A(10, 0, 2, 4));
}

TEST(dns_response_records_skipped)
{
	size_t n = put_bytes(msg, 0, response, sizeof(response));

	/* The CNAME as class CH, the first A as AAAA-sized TXT: both skipped. */
	msg[39] = 3;
	msg[55] = 16;
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_OK);
	CHECK_EQ_U64(dm.answer_count, 1);
	CHECK_EQ_U64(dm.answer[0].addr, IP_A(10, 0, 2, 4));
	/* A query's answer section is not read at all. */
	msg[2] = 0x01;
	msg[60] = 0xff;
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_OK);
	CHECK_EQ_U64(dm.answer_count, 0);
}

TEST(dns_ttl_top_bit_is_zero)
{
	size_t n = put_bytes(msg, 0, response, sizeof(response));

	pkt_put32(msg + 58, 0x80000000);
	pkt_put32(msg + 74, 0x7fffffff);
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_OK);
	CHECK_EQ_U64(dm.answer[0].ttl, 0);
	CHECK_EQ_U64(dm.answer[1].ttl, 0x7fffffff);
}

TEST(dns_answers_past_the_limit_counted)
{
	static const uint8_t owner[] = {0xc0, 0x0c};
	static const unsigned q[] = {1, 4};
	size_t n = put_header(msg, 20);

	n = put_labels(msg, n, q, 2);
	n = put_bytes(msg, n, "\0\1\0\1", 4);
	for (uint32_t i = 0; i < 20; i++)
		n = put_a(msg, n, owner, 30, IP_A(192, 0, 2, i));
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_OK);
	CHECK_EQ_U64(dm.answer_count, DNS_MAX_ANSWERS);
	CHECK_EQ_U64(dm.answers_dropped, 4);
	CHECK_STR(dm.answer[15].name, "a.aaaa");
	CHECK_EQ_U64(dm.answer[15].addr, IP_A(192, 0, 2, 15));
}

TEST(dns_qdcount_must_be_one)
{
	size_t n = put_bytes(msg, 0, query_frame + QUERY_DNS_OFF, 30);

	msg[5] = 0;
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_ERR_QDCOUNT);
	msg[5] = 2;
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_ERR_QDCOUNT);
	msg[4] = 1;
	msg[5] = 1;
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_ERR_QDCOUNT);
}

TEST(dns_label_errors)
{
	size_t n = put_bytes(msg, 0, query_frame + QUERY_DNS_OFF, 30);

	msg[12] = 0x47; /* 01: extended label type */
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_ERR_LABEL_TYPE);
	msg[12] = 0x87; /* 10: reserved */
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_ERR_LABEL_TYPE);
	msg[12] = 0x07;
	msg[15] = '.'; /* "al.owed" as one label reads as two names */
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_ERR_LABEL_CHAR);
	msg[15] = '*';
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_ERR_LABEL_CHAR);
	msg[15] = 0;
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_ERR_LABEL_CHAR);
	msg[15] = 0xc3;
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_ERR_LABEL_CHAR);
	msg[15] = '_';
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_OK);
	CHECK_STR(dm.qname, "al_owed.test");
	msg[15] = '-';
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_OK);
}

TEST(dns_name_length_limits)
{
	/* 63 + 63 + 63 + 61 characters and 3 dots: exactly 253. */
	static const unsigned max[] = {63, 63, 63, 61};
	static const unsigned over[] = {63, 63, 63, 62};
	static const unsigned label64[] = {64};
	size_t n = put_header(msg, 0);

	msg[2] = 0x01;
	n = put_labels(msg, n, max, 4);
	n = put_bytes(msg, n, "\0\1\0\1", 4);
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_OK);
	CHECK_EQ_U64(strlen(dm.qname), 253);
	n = put_labels(msg, DNS_HDR_LEN, over, 4);
	n = put_bytes(msg, n, "\0\1\0\1", 4);
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_ERR_NAME_TOO_LONG);
	/* A 64-byte label has 01 in its top bits: not a length at all. */
	n = put_labels(msg, DNS_HDR_LEN, label64, 1);
	n = put_bytes(msg, n, "\0\1\0\1", 4);
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_ERR_LABEL_TYPE);
}

TEST(dns_root_name)
{
	size_t n = put_header(msg, 0);

	msg[2] = 0x01;
	n = put_bytes(msg, n, "\0\0\2\0\1", 5); /* ". NS IN" */
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_OK);
	CHECK_STR(dm.qname, "");
	CHECK_EQ_U64(dm.qtype, 2);
}

TEST(dns_pointer_errors)
{
	size_t n = put_bytes(msg, 0, response, sizeof(response));

	msg[53] = 0x00; /* into the header */
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_ERR_POINTER);
	msg[53] = 0x0b;
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_ERR_POINTER);
	msg[53] = 0x34; /* itself */
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_ERR_POINTER);
	msg[53] = 0x44; /* forwards, to the next record */
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_ERR_POINTER);
	msg[53] = 0x2e;
	msg[51] = 0x2e; /* the CNAME rdata points at itself: a loop */
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_ERR_POINTER);
	msg[51] = 0x30; /* ... or at a later byte of its own name */
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_ERR_POINTER);
	msg[50] = 0xff; /* a 14-bit offset far past the message */
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_ERR_POINTER);
	/* The first question has nothing before it to point at. */
	n = put_bytes(msg, 0, query_frame + QUERY_DNS_OFF, 30);
	msg[12] = 0xc0;
	msg[13] = 0x0c;
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_ERR_POINTER);
}

/* A TXT record whose rdata is a chain of `links` pointers, each to the one
 * before, the first to the question; then an A record owned by the last. */
static size_t pointer_chain(unsigned links)
{
	static const unsigned q[] = {1};
	size_t n = put_header(msg, 2), rdata;
	uint8_t owner[2];

	n = put_labels(msg, n, q, 1);
	n = put_bytes(msg, n, "\0\1\0\1", 4);
	n = put_bytes(msg, n, "\xc0\x0c\0\x10\0\1\0\0\0\1", 10);
	pkt_put16(msg + n, (uint16_t)(2 * links));
	rdata = n + 2;
	for (unsigned i = 0; i < links; i++)
		pkt_put16(msg + rdata + 2 * i, (uint16_t)(0xc000 | (i ? rdata + 2 * (i - 1) : 12)));
	n = rdata + 2 * links;
	pkt_put16(owner, (uint16_t)(0xc000 | (rdata + 2 * (links - 1))));
	return put_a(msg, n, owner, 5, IP_A(192, 0, 2, 1));
}

TEST(dns_pointer_jumps_bounded)
{
	size_t n = pointer_chain(DNS_MAX_JUMPS - 1);

	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_OK);
	CHECK_EQ_U64(dm.answer_count, 1);
	CHECK_STR(dm.answer[0].name, "a");
	n = pointer_chain(DNS_MAX_JUMPS);
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_ERR_JUMPS);
}

TEST(dns_rdata_errors)
{
	size_t n = put_bytes(msg, 0, response, sizeof(response));

	msg[63] = 6; /* A with 6 bytes of rdata */
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_ERR_RDLENGTH);
	msg[63] = 4;
	msg[45] = 0xff; /* CNAME rdata runs past the end */
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_ERR_TRUNCATED);
	msg[45] = 6;
	msg[7] = 4; /* a fourth answer that is not there */
	CHECK_EQ_U64(dns_parse(msg, n, &dm), DNS_ERR_TRUNCATED);
}

static void check_truncations(const uint8_t *m, size_t len)
{
	for (size_t n = 0; n < len; n++) {
		int rc = parse_exact(m, n, &dm);

		if (rc >= 0)
			printf("  prefix %zu of %zu parsed\n", n, len);
		CHECK(rc < 0);
		CHECK(strcmp(dns_err_name(rc), "unknown") != 0);
	}
}

TEST(dns_truncated_at_every_length)
{
	check_truncations(query_frame + QUERY_DNS_OFF, 30);
	check_truncations(response, sizeof(response));
	check_truncations(msg, pointer_chain(DNS_MAX_JUMPS - 1));
}

TEST(dns_err_names)
{
	CHECK_STR(dns_err_name(DNS_OK), "ok");
	CHECK_STR(dns_err_name(DNS_ERR_POINTER), "pointer");
	CHECK_STR(dns_err_name(DNS_ERR_RDLENGTH), "rdlength");
	for (int e = DNS_ERR_TRUNCATED; e >= DNS_ERR_RDLENGTH; e--)
		CHECK(strcmp(dns_err_name(e), "unknown") != 0);
	CHECK_STR(dns_err_name(DNS_ERR_RDLENGTH - 1), "unknown");
	CHECK_STR(dns_err_name(3), "unknown");
	CHECK_STR(dns_err_name(INT_MIN), "unknown");
}

TEST(dns_name_matches_exact)
{
	CHECK(dns_name_matches("allowed.test", "allowed.test"));
	CHECK(dns_name_matches("Allowed.TEST", "allowed.test"));
	CHECK(dns_name_matches("allowed.test.", "ALLOWED.test"));
	CHECK(dns_name_matches("allowed.test", "allowed.test."));
	CHECK(!dns_name_matches("allowed.test", "www.allowed.test"));
	CHECK(!dns_name_matches("allowed.test", "allowed.tes"));
	CHECK(!dns_name_matches("allowed.test", "allowed.test.evil"));
	CHECK(!dns_name_matches("allowed.test", "allowed..test"));
	CHECK(!dns_name_matches("", ""));
	CHECK(!dns_name_matches(NULL, "a"));
	CHECK(!dns_name_matches("a", NULL));
}

TEST(dns_name_matches_wildcard)
{
	char longname[300];

	CHECK(dns_name_matches("*.github.com", "api.github.com"));
	CHECK(dns_name_matches("*.github.com", "a.b.GitHub.com"));
	CHECK(dns_name_matches("*.GITHUB.com.", "x.github.com."));
	CHECK(!dns_name_matches("*.github.com", "github.com"));
	CHECK(!dns_name_matches("*.github.com", "evilgithub.com"));
	CHECK(!dns_name_matches("*.github.com", ".github.com"));
	CHECK(!dns_name_matches("*.github.com", "x..github.com"));
	CHECK(!dns_name_matches("*.github.com", "github.com.evil"));
	CHECK(!dns_name_matches("*.", "a"));
	CHECK(!dns_name_matches("*", "a"));
	CHECK(dns_name_matches("a.*.com", "a.*.com")); /* '*' elsewhere is literal */
	memset(longname, 'a', sizeof(longname));
	longname[254] = '\0';
	longname[1] = '.';
	CHECK(!dns_name_matches("*.a", longname)); /* 254 characters: too long */
}

TEST(dns_refused_builder)
{
	uint8_t out[512];
	struct dns_msg reply;
	struct pkt q, r;
	size_t n;

	CHECK_EQ_U64(pkt_parse(query_frame, sizeof(query_frame), &q), PKT_OK);
	CHECK_EQ_U64(dns_parse(q.payload, q.payload_len, &dm), DNS_OK);
	n = dns_build_refused(&q, &dm, out, sizeof(out));
	CHECK_EQ_U64(n, sizeof(query_frame));
	CHECK_EQ_U64(pkt_parse(out, n, &r), PKT_OK); /* the IPv4 checksum verifies */
	CHECK(memcmp(r.dst_mac, q.src_mac, 6) == 0);
	CHECK(memcmp(r.src_mac, q.dst_mac, 6) == 0);
	CHECK_EQ_U64(r.ip.src, IP_A(10, 0, 2, 3));
	CHECK_EQ_U64(r.ip.dst, IP_A(10, 0, 2, 15));
	CHECK_EQ_U64(r.ip.protocol, PKT_PROTO_UDP);
	CHECK_EQ_U64(r.udp.src_port, 53);
	CHECK_EQ_U64(r.udp.dst_port, 53000);
	CHECK_EQ_U64(pkt_get16(r.l4 + 6), 0); /* RFC 768: no checksum */
	CHECK_EQ_U64(dns_parse(r.payload, r.payload_len, &reply), DNS_OK);
	CHECK_EQ_U64(reply.id, 0x1234);
	CHECK(reply.qr);
	CHECK(reply.rd);
	CHECK(!reply.aa);
	CHECK_EQ_U64(reply.rcode, DNS_RCODE_REFUSED);
	CHECK_EQ_U64(reply.opcode, DNS_OPCODE_QUERY);
	CHECK_EQ_U64(reply.ancount + reply.nscount + reply.arcount, 0);
	CHECK_STR(reply.qname, "allowed.test");
	CHECK(memcmp(r.payload + 12, q.payload + 12, 18) == 0);
}

TEST(dns_refused_builder_refuses)
{
	uint8_t out[512];
	struct pkt q;
	size_t n;

	CHECK_EQ_U64(pkt_parse(query_frame, sizeof(query_frame), &q), PKT_OK);
	CHECK_EQ_U64(dns_parse(q.payload, q.payload_len, &dm), DNS_OK);
	n = dns_build_refused(&q, &dm, out, sizeof(out));
	for (size_t size = 0; size < n; size++)
		CHECK_EQ_U64(dns_build_refused(&q, &dm, out, size), 0);
	dm.qr = true; /* never answer an answer */
	CHECK_EQ_U64(dns_build_refused(&q, &dm, out, sizeof(out)), 0);
	dm.qr = false;
	dm.question_end = q.payload_len + 1; /* a dns_msg from another message */
	CHECK_EQ_U64(dns_build_refused(&q, &dm, out, sizeof(out)), 0);
	memset(&dm, 0, sizeof(dm));
	CHECK_EQ_U64(dns_build_refused(&q, &dm, out, sizeof(out)), 0);
	CHECK_EQ_U64(dns_parse(q.payload, q.payload_len, &dm), DNS_OK);
	q.ip.protocol = PKT_PROTO_TCP;
	CHECK_EQ_U64(dns_build_refused(&q, &dm, out, sizeof(out)), 0);
}
