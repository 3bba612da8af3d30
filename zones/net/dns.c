/* DNS messages (RFC 1035) from hostile zones: header, question, A answers; REFUSED replies. */
#include "zones/net/dns.h"

#include "hv/lib/string.h"

/* RFC 1035 4.1.1: the second header word. */
#define FLAG_QR	     0x8000
#define OPCODE_SHIFT 11
#define OPCODE_MASK  0x0f
#define FLAG_AA	     0x0400
#define FLAG_TC	     0x0200
#define FLAG_RD	     0x0100
#define FLAG_RA	     0x0080
#define RCODE_MASK   0x000f

/* RFC 1035 4.1.4: the top two bits of a length byte; 11 = a pointer
 * (14-bit offset), 01 and 10 are other label types (RFC 6891 5). */
#define LABEL_KIND    0xc0
#define LABEL_POINTER 0xc0
#define POINTER_MASK  0x3fff

#define QUESTION_FIXED 4  /* RFC 1035 4.1.2: QTYPE, QCLASS */
#define RR_FIXED       10 /* RFC 1035 4.1.3: TYPE, CLASS, TTL, RDLENGTH */
#define A_RDLENGTH     4  /* RFC 1035 3.4.1 */
#define TTL_MAX	       0x7fffffffu

static const char *const err_names[] = {
	[-DNS_OK] = "ok",
	[-DNS_ERR_TRUNCATED] = "truncated",
	[-DNS_ERR_QDCOUNT] = "qdcount",
	[-DNS_ERR_LABEL_TYPE] = "label-type",
	[-DNS_ERR_LABEL_CHAR] = "label-char",
	[-DNS_ERR_NAME_TOO_LONG] = "name-too-long",
	[-DNS_ERR_POINTER] = "pointer",
	[-DNS_ERR_JUMPS] = "pointer-jumps",
	[-DNS_ERR_RDLENGTH] = "rdlength",
};

const char *dns_err_name(int err)
{
	const int count = (int)(sizeof(err_names) / sizeof(err_names[0]));

	if (err > 0 || err <= -count || !err_names[-err])
		return "unknown";
	return err_names[-err];
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* RFC 952/1123 host name characters, and '_' for service labels (RFC 8552). */
static bool label_char_ok(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* Appends label (n bytes) to the used characters of out, dot-separated. */
static int append_label(const uint8_t *label, size_t n, char *out, size_t *used)
{
	size_t at = *used ? *used + 1 : 0;

	if (at + n > DNS_NAME_MAX)
		return DNS_ERR_NAME_TOO_LONG;
	for (size_t i = 0; i < n; i++) {
		if (!label_char_ok(label[i]))
			return DNS_ERR_LABEL_CHAR;
	}
	if (*used)
		out[*used] = '.';
	for (size_t i = 0; i < n; i++)
		out[at + i] = lower((char)label[i]);
	out[at + n] = '\0'; /* out is a string after every label, even if a later one fails */
	*used = at + n;
	return DNS_OK;
}

/*
 * The compression pointer at msg[p] (RFC 1035 4.1.4).  Its target must lie
 * after the header and before every byte of this name read so far (*floor):
 * each jump goes strictly backwards, so no pointer loop can exist, and
 * DNS_MAX_JUMPS bounds the work on a chain of pointers to pointers.
 */
static int follow_pointer(const uint8_t *msg, size_t len, size_t *p, size_t *floor, unsigned *jumps)
{
	size_t target;

	if (len - *p < 2)
		return DNS_ERR_TRUNCATED;
	target = pkt_get16(msg + *p) & POINTER_MASK;
	if (target < DNS_HDR_LEN || target >= *floor)
		return DNS_ERR_POINTER;
	if (++*jumps > DNS_MAX_JUMPS)
		return DNS_ERR_JUMPS;
	*p = *floor = target;
	return DNS_OK;
}

/* Decodes the name at msg[*pos] into out (DNS_NAME_MAX + 1 bytes) and moves
 * *pos past it: past its first pointer if it has one, else its root label. */
static int read_name(const uint8_t *msg, size_t len, size_t *pos, char *out)
{
	size_t p = *pos, end = 0, used = 0;
	size_t floor = p; /* pointers must land below this */
	unsigned jumps = 0;
	int rc;

	out[0] = '\0';
	for (;;) {
		if (p >= len)
			return DNS_ERR_TRUNCATED;
		if ((msg[p] & LABEL_KIND) == LABEL_POINTER) {
			if (!jumps)
				end = p + 2;
			rc = follow_pointer(msg, len, &p, &floor, &jumps);
		} else if (msg[p] & LABEL_KIND) {
			rc = DNS_ERR_LABEL_TYPE;
		} else if (msg[p] == 0) {
			break;
		} else if (len - p - 1 < msg[p]) {
			rc = DNS_ERR_TRUNCATED;
		} else {
			rc = append_label(msg + p + 1, msg[p], out, &used);
			p += 1 + (size_t)msg[p];
		}
		if (rc)
			return rc;
	}
	*pos = jumps ? end : p + 1;
	return DNS_OK;
}

static void parse_header(const uint8_t *m, struct dns_msg *out)
{
	uint16_t f = pkt_get16(m + 2);

	out->id = pkt_get16(m);
	out->flags = f;
	out->qr = f & FLAG_QR;
	out->opcode = (f >> OPCODE_SHIFT) & OPCODE_MASK;
	out->aa = f & FLAG_AA;
	out->tc = f & FLAG_TC;
	out->rd = f & FLAG_RD;
	out->ra = f & FLAG_RA;
	out->rcode = f & RCODE_MASK;
	out->qdcount = pkt_get16(m + 4);
	out->ancount = pkt_get16(m + 6);
	out->nscount = pkt_get16(m + 8);
	out->arcount = pkt_get16(m + 10);
}

static int parse_question(const uint8_t *m, size_t len, size_t *pos, struct dns_msg *out)
{
	int rc = read_name(m, len, pos, out->qname);

	if (rc)
		return rc;
	if (len - *pos < QUESTION_FIXED)
		return DNS_ERR_TRUNCATED;
	out->qtype = pkt_get16(m + *pos);
	out->qclass = pkt_get16(m + *pos + 2);
	*pos += QUESTION_FIXED;
	out->question_end = *pos;
	return DNS_OK;
}

static void add_answer(struct dns_msg *out, const char *name, const uint8_t *rdata, uint32_t ttl)
{
	struct dns_answer *a;

	if (out->answer_count >= DNS_MAX_ANSWERS) {
		out->answers_dropped++;
		return;
	}
	a = &out->answer[out->answer_count++];
	zv_strlcpy(a->name, name, sizeof(a->name));
	a->addr = pkt_get32(rdata);
	/* RFC 2181 8: a TTL with the top bit set is treated as zero. */
	a->ttl = ttl > TTL_MAX ? 0 : ttl;
}

/* One resource record (RFC 1035 4.1.3): IN A kept, anything else (CNAME
 * included) skipped by its RDLENGTH after the owner name is checked. */
static int parse_record(const uint8_t *m, size_t len, size_t *pos, struct dns_msg *out)
{
	char name[DNS_NAME_MAX + 1];
	uint16_t type, cls, rdlen;
	int rc = read_name(m, len, pos, name);

	if (rc)
		return rc;
	if (len - *pos < RR_FIXED)
		return DNS_ERR_TRUNCATED;
	type = pkt_get16(m + *pos);
	cls = pkt_get16(m + *pos + 2);
	rdlen = pkt_get16(m + *pos + 8);
	if (len - *pos - RR_FIXED < rdlen)
		return DNS_ERR_TRUNCATED;
	if (type == DNS_TYPE_A && cls == DNS_CLASS_IN) {
		if (rdlen != A_RDLENGTH)
			return DNS_ERR_RDLENGTH;
		add_answer(out, name, m + *pos + RR_FIXED, pkt_get32(m + *pos + 4));
	}
	*pos += RR_FIXED + rdlen;
	return DNS_OK;
}

int dns_parse(const uint8_t *msg, size_t len, struct dns_msg *out)
{
	size_t pos = DNS_HDR_LEN;
	int rc;

	zv_memset(out, 0, sizeof(*out));
	if (len < DNS_HDR_LEN)
		return DNS_ERR_TRUNCATED;
	parse_header(msg, out);
	/* RFC 9619: a QUERY carries exactly one question.  A second one would
	 * let a zone hide a refused name behind an allowed first. */
	if (out->qdcount != 1)
		return DNS_ERR_QDCOUNT;
	rc = parse_question(msg, len, &pos, out);
	if (rc || !out->qr)
		return rc;
	for (unsigned i = 0; i < out->ancount; i++) {
		rc = parse_record(msg, len, &pos, out);
		if (rc)
			return rc;
	}
	return DNS_OK;
}

/* Length of s without one trailing dot; over DNS_NAME_MAX + 2 if too long for a pattern. */
static size_t name_len(const char *s)
{
	size_t n = zv_strnlen(s, DNS_NAME_MAX + 4);

	if (n && s[n - 1] == '.')
		n--;
	return n;
}

/* No empty label: not empty, no leading dot, no two dots in a row. */
static bool labels_ok(const char *s, size_t n)
{
	if (!n || s[0] == '.')
		return false;
	for (size_t i = 1; i < n; i++) {
		if (s[i] == '.' && s[i - 1] == '.')
			return false;
	}
	return true;
}

static bool same_ci(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (lower(a[i]) != lower(b[i]))
			return false;
	}
	return true;
}

bool dns_name_matches(const char *pattern, const char *name)
{
	size_t pl, nl;

	if (!pattern || !name)
		return false;
	pl = name_len(pattern);
	nl = name_len(name);
	if (pl > DNS_NAME_MAX + 2 || nl > DNS_NAME_MAX || !labels_ok(name, nl))
		return false;
	if (pl > 2 && pattern[0] == '*' && pattern[1] == '.') {
		pattern += 2;
		pl -= 2; /* now at most DNS_NAME_MAX */
		/* At least one label, then a dot, then the domain. */
		if (nl < pl + 2 || name[nl - pl - 1] != '.')
			return false;
		return same_ci(name + nl - pl, pattern, pl);
	}
	return pl && nl == pl && same_ci(name, pattern, pl);
}

static void reply_ends(const struct pkt *q, struct pkt_udp4_ends *e)
{
	zv_memcpy(e->src_mac, q->dst_mac, PKT_MAC_LEN);
	zv_memcpy(e->dst_mac, q->src_mac, PKT_MAC_LEN);
	e->src_ip = q->ip.dst;
	e->dst_ip = q->ip.src;
	e->src_port = q->udp.dst_port;
	e->dst_port = q->udp.src_port;
}

/* RFC 1035 4.1.1: QR set, the query's opcode and RD echoed, RCODE 5;
 * one question, no answer, authority or additional records. */
static void put_refused_header(uint8_t *m, const struct dns_msg *dns)
{
	uint16_t f = FLAG_QR | (uint16_t)((dns->opcode & OPCODE_MASK) << OPCODE_SHIFT) |
		     (dns->rd ? FLAG_RD : 0) | DNS_RCODE_REFUSED;

	zv_memset(m, 0, DNS_HDR_LEN);
	pkt_put16(m, dns->id);
	pkt_put16(m + 2, f);
	pkt_put16(m + 4, 1);
}

/* The question is copied as the zone sent it (case included, for resolvers
 * that check 0x20 randomization).  It holds no compression pointer:
 * read_name() refuses any in the first name, as nothing precedes it. */
size_t dns_build_refused(const struct pkt *query, const struct dns_msg *dns, uint8_t *buf,
			 size_t size)
{
	struct pkt_udp4_ends e;
	size_t dns_len = dns->question_end;
	uint8_t *reply = buf + PKT_UDP4_HDRS;

	if (query->kind != PKT_KIND_IPV4 || query->ip.protocol != PKT_PROTO_UDP || dns->qr ||
	    dns_len <= DNS_HDR_LEN || dns_len > query->payload_len)
		return 0;
	reply_ends(query, &e);
	if (!pkt_build_udp4_headers(&e, dns_len, buf, size))
		return 0;
	put_refused_header(reply, dns);
	zv_memcpy(reply + DNS_HDR_LEN, query->payload + DNS_HDR_LEN, dns_len - DNS_HDR_LEN);
	return PKT_UDP4_HDRS + dns_len;
}
