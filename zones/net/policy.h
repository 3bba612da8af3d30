/* A zone's network allowlist: FQDN, wildcard and CIDR rules, DNS-learned addresses, conntrack. */
#ifndef ZV_NET_POLICY_H
#define ZV_NET_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Pure C, host-tested, no allocation: the caller provides the whole
 * struct policy (sizeof is a little under 1 MiB; docs/network.md).  Every
 * lookup costs the same whatever the rule count: hash tables throughout.
 * IPv4 addresses are host-order integers (a.b.c.d = a << 24 | ... | d).
 * Times are milliseconds on any monotonic clock the caller keeps.
 */

#define POLICY_MAX_RULES     16384
#define POLICY_RULE_SLOTS    32768  /* 2x rules: open addressing stays under half full */
#define POLICY_NAME_POOL     262144 /* bytes of rule names, all rules together */
#define POLICY_NAME_MAX	     253    /* RFC 1035 2.3.4: 255 octets on the wire = 253 characters */
#define POLICY_LABEL_MAX     63	    /* RFC 1035 2.3.4 */
#define POLICY_RULE_TEXT_MAX 300    /* "*." + 253 + ":65535" fits with room */
#define POLICY_TABLE_ENTRIES 4096   /* live learned entries, and tracked connections, each */
#define POLICY_TABLE_SLOTS   8192

#define POLICY_TTL_MIN_MS 5000ull      /* floor for TTL 0 and tiny TTLs: the connection */
				       /* right after the lookup must work */
#define POLICY_TTL_MAX_MS  86400000ull /* 1 day cap on what a DNS answer admits */
#define POLICY_TCP_IDLE_MS 21600000ull /* 6 h, Cilium's CT_CONNECTION_LIFETIME_TCP */
#define POLICY_UDP_IDLE_MS 60000ull    /* 60 s, Cilium's CT_CONNECTION_LIFETIME_NONTCP */
#define POLICY_CLOSE_MS	   10000ull    /* 10 s after FIN/RST, Cilium's CT_CLOSE_TIMEOUT */
#define POLICY_SWEEP_MS	   1000ull     /* a full table is swept at most once a second */

/* IANA protocol numbers. */
#define POLICY_PROTO_ICMP 1
#define POLICY_PROTO_TCP  6
#define POLICY_PROTO_UDP  17

enum policy_verdict {
	POLICY_ALLOW_CIDR,     /* a CIDR rule covers address and port */
	POLICY_ALLOW_LEARNED,  /* a DNS answer for an allowed name admitted it, not expired */
	POLICY_ALLOW_NAME,     /* a DNS query for an allowed name */
	POLICY_ALLOW_TRACKED,  /* connection entered in (or found in) the conntrack table */
	POLICY_DENY_NO_RULE,   /* nothing admits this address */
	POLICY_DENY_EXPIRED,   /* admitted by a DNS answer whose TTL has passed */
	POLICY_DENY_PORT,      /* the address is admitted, but not on this port */
	POLICY_DENY_PROTO,     /* not TCP, UDP or ICMP */
	POLICY_DENY_ICMP,      /* ICMP needs a CIDR rule without port */
	POLICY_DENY_NAME,      /* DNS query for a name no rule allows: REFUSED */
	POLICY_DENY_CONN_FULL, /* conntrack table full of live connections */
	POLICY_DENY_INTERNAL,  /* an internal address (ipv4_scope.h) no CIDR rule covers */
	POLICY_VERDICT_COUNT,
};

/* Every decision this policy made, by verdict, and what happened to DNS answers. */
struct policy_counters {
	uint64_t verdict[POLICY_VERDICT_COUNT];
	uint64_t learned;	 /* (address, port) admissions entered or refreshed */
	uint64_t learn_ignored;	 /* answers for names no rule allows */
	uint64_t learn_full;	 /* admissions lost: learned table full of live entries */
	uint64_t learn_internal; /* answers refused: an internal address (ipv4_scope.h) */
};

/* A connection, always as the zone sends it (src = the zone); the caller
 * swaps the ends of inbound packets before a lookup.  ICMP: ports = echo id. */
struct policy_tuple {
	uint8_t proto;
	uint32_t src_ip, dst_ip;
	uint16_t src_port, dst_port;
};

enum policy_rule_kind { POLICY_RULE_EXACT = 1, POLICY_RULE_WILDCARD, POLICY_RULE_CIDR };

struct policy_rule {
	uint32_t key;	   /* EXACT/WILDCARD: offset of the name in the pool; CIDR: network */
	uint16_t name_len; /* EXACT/WILDCARD: lowercase, no "*." and no trailing dot */
	uint16_t port;	   /* 0 = any port */
	uint8_t kind;	   /* enum policy_rule_kind */
	uint8_t prefix_len;
	uint16_t reserved;
};

/* A slot of the learned-address and connection tables (state 0 = empty). */
struct policy_slot {
	uint64_t deadline_ms; /* learned: admitted until; connection: idle expiry */
	uint32_t a, b;	      /* learned: address, port (or POLICY_LEARN_ADDR); conn: src, dst */
	uint16_t c, e;	      /* conn: src port, dst port */
	uint8_t d;	      /* conn: protocol */
	uint8_t state;
	uint16_t reserved;
};

struct policy_table {
	struct policy_slot slot[POLICY_TABLE_SLOTS];
	uint32_t live;	/* used slots */
	uint64_t swept; /* time of the last sweep, ms */
};

struct policy {
	uint64_t seed; /* keys every hash: a zone cannot aim its traffic at one chain */
	uint32_t rule_count;
	uint32_t pool_used;
	uint64_t prefix_used; /* bit n: some CIDR rule has prefix length n */
	struct policy_counters count;
	struct policy_rule rule[POLICY_MAX_RULES];
	uint16_t rule_slot[POLICY_RULE_SLOTS]; /* rule index + 1; 0 = empty */
	char pool[POLICY_NAME_POOL];
	struct policy_table learned;
	struct policy_table conns;
};

/* Empties p (default deny: no rules, refuses every name).  seed should be
 * unpredictable to the zone (RDRAND, TSC at boot). */
void policy_init(struct policy *p, uint64_t seed);

/*
 * Adds one rule: "HOST[:PORT]", "*.DOMAIN[:PORT]" or "A.B.C.D[/N][:PORT]".
 * Names are case-insensitive, RFC 1035/1123 labels; the CIDR's host bits must
 * be zero.  Returns 0 (a duplicate is accepted and not stored twice) or -1
 * with a message in err (errlen bytes, may be 0).
 */
int policy_add_rule(struct policy *p, const char *text, char *err, size_t errlen);

/* Writes rule i back as text (the canonical form); returns its length, or 0 if no rule i. */
size_t policy_rule_text(const struct policy *p, uint32_t i, char *buf, size_t len);

/* May the zone resolve name (with or without the trailing dot)?  Malformed names: no. */
bool policy_name_allowed(const struct policy *p, const char *name);

/* As policy_name_allowed, counted: POLICY_ALLOW_NAME or POLICY_DENY_NAME (answer REFUSED). */
enum policy_verdict policy_check_query(struct policy *p, const char *name);

/*
 * An A record for name in an answer the zone received: admits ipv4 on the
 * ports of every rule that matches name, until now + TTL (floored at
 * POLICY_TTL_MIN_MS, capped at POLICY_TTL_MAX_MS; a later answer only extends).
 * A name no rule allows admits nothing, and neither does an internal address
 * (ipv4_is_internal(): loopback, private, link-local, CGNAT, ...), whatever
 * the name: whoever runs an allowed name's DNS chooses its answers, so only
 * a CIDR rule can admit an internal address.
 */
void policy_learn(struct policy *p, const char *name, uint32_t ipv4, uint32_t ttl_s,
		  uint64_t now_ms);

/* Decides a new connection (TCP SYN) or a datagram outside any tracked flow.
 * An internal address is admitted by a CIDR rule or not at all. */
enum policy_verdict policy_check_new(struct policy *p, uint8_t proto, uint32_t dst_ip,
				     uint16_t dst_port, uint64_t now_ms);

/* Tracks an admitted connection: POLICY_ALLOW_TRACKED, or POLICY_DENY_CONN_FULL
 * when every entry is live (live entries are never evicted). */
enum policy_verdict policy_conn_open(struct policy *p, const struct policy_tuple *t,
				     uint64_t now_ms);

/* Is t tracked and not idle past its timeout?  A hit renews the idle timeout. */
bool policy_conn_lookup(struct policy *p, const struct policy_tuple *t, uint64_t now_ms);

/* FIN or RST seen: the entry lingers POLICY_CLOSE_MS for the last segments, then goes. */
void policy_conn_close(struct policy *p, const struct policy_tuple *t, uint64_t now_ms);

/* "allow-cidr", "no-rule", ...; "unknown" for anything else. */
const char *policy_verdict_name(enum policy_verdict v);

static inline bool policy_verdict_allows(enum policy_verdict v)
{
	return v <= POLICY_ALLOW_TRACKED;
}

#endif
