/* A zone's network allowlist: rule parsing, name matching, DNS-learned addresses, conntrack. */
#include "zones/net/policy.h"

#include "zones/net/ipv4_scope.h"

#include "hv/lib/fmt.h"
#include "hv/lib/string.h"

#define LEARN_ADDR 0x10000u /* learned "port" marking the address itself: the latest */
			    /* deadline of any port, to tell port-not-allowed from no-rule */
#define SLOT_USED    1
#define CONN_OPEN    1
#define CONN_CLOSING 2

/* ---- hashing ------------------------------------------------------------ */

/* splitmix64's finalizer (Steele, Lea, Flood 2014): every input bit moves every output bit. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

#define FNV_BASIS 0xcbf29ce484222325ull /* FNV-1a 64-bit parameters */
#define FNV_PRIME 0x100000001b3ull

/* One FNV-1a step.  Names are hashed from their last byte to their first, so
 * the hash of every suffix falls out of one right-to-left walk. */
static uint64_t fnv_step(uint64_t h, char c)
{
	return (h ^ (uint8_t)c) * FNV_PRIME;
}

static uint64_t name_hash(const char *s, size_t len)
{
	uint64_t h = FNV_BASIS;

	while (len)
		h = fnv_step(h, s[--len]);
	return h;
}

static uint32_t rule_home(const struct policy *p, uint8_t kind, uint64_t h)
{
	return (uint32_t)mix64(h ^ p->seed ^ kind) & (POLICY_RULE_SLOTS - 1);
}

static uint64_t cidr_hash(uint8_t plen, uint32_t net)
{
	return (uint64_t)plen << 32 | net;
}

/* ---- rule table: add-only open addressing, duplicate keys chained ------- */

static bool rule_key_is(const struct policy *p, const struct policy_rule *r, uint8_t kind,
			const char *name, size_t len, uint8_t plen, uint32_t net)
{
	if (r->kind != kind)
		return false;
	if (kind == POLICY_RULE_CIDR)
		return r->prefix_len == plen && r->key == net;
	return r->name_len == len && zv_memcmp(p->pool + r->key, name, len) == 0;
}

/* The next rule with this key at or after *slot; NULL at the end of the chain. */
static const struct policy_rule *rule_next(const struct policy *p, uint32_t *slot, uint8_t kind,
					   const char *name, size_t len, uint8_t plen, uint32_t net)
{
	for (;;) {
		uint16_t v = p->rule_slot[*slot];

		*slot = (*slot + 1) & (POLICY_RULE_SLOTS - 1);
		if (!v)
			return NULL;
		if (rule_key_is(p, &p->rule[v - 1], kind, name, len, plen, net))
			return &p->rule[v - 1];
	}
}

static bool rule_exists(const struct policy *p, const struct policy_rule *n, const char *name,
			uint64_t h)
{
	uint32_t slot = rule_home(p, n->kind, h);
	const struct policy_rule *r;

	while ((r = rule_next(p, &slot, n->kind, name, n->name_len, n->prefix_len, n->key)))
		if (r->port == n->port)
			return true;
	return false;
}

static void rule_insert(struct policy *p, const struct policy_rule *n, uint64_t h)
{
	uint32_t slot = rule_home(p, n->kind, h);

	while (p->rule_slot[slot])
		slot = (slot + 1) & (POLICY_RULE_SLOTS - 1);
	p->rule[p->rule_count] = *n;
	p->rule_slot[slot] = (uint16_t)(++p->rule_count);
}

/* ---- learned-address and connection tables ------------------------------ */

static uint32_t slot_home(const struct policy *p, const struct policy_slot *k)
{
	uint64_t x = (uint64_t)k->a << 32 | k->b;
	uint64_t y = (uint64_t)k->c << 24 | (uint64_t)k->e << 8 | k->d;

	return (uint32_t)mix64(mix64(x ^ p->seed) ^ y) & (POLICY_TABLE_SLOTS - 1);
}

static bool slot_key_is(const struct policy_slot *s, const struct policy_slot *k)
{
	return s->a == k->a && s->b == k->b && s->c == k->c && s->e == k->e && s->d == k->d;
}

static struct policy_slot *table_find(const struct policy *p, struct policy_table *t,
				      const struct policy_slot *k)
{
	uint32_t i = slot_home(p, k);

	while (t->slot[i].state) {
		if (slot_key_is(&t->slot[i], k))
			return &t->slot[i];
		i = (i + 1) & (POLICY_TABLE_SLOTS - 1);
	}
	return NULL;
}

/* Is home h's entry allowed to sit at i, having probed from h (cyclically h..i)?
 * Knuth TAOCP vol.3 6.4 Algorithm R: the entry at j may fill hole i unless
 * its home lies cyclically in (i, j]. */
static bool may_fill(uint32_t home, uint32_t hole, uint32_t j)
{
	if (hole <= j)
		return home <= hole || home > j;
	return home <= hole && home > j;
}

/* Deletes slot i with backward shift (no tombstones: chains stay short). */
static void table_remove(const struct policy *p, struct policy_table *t, uint32_t i)
{
	uint32_t j = i;

	for (;;) {
		j = (j + 1) & (POLICY_TABLE_SLOTS - 1);
		if (!t->slot[j].state)
			break;
		if (may_fill(slot_home(p, &t->slot[j]), i, j)) {
			t->slot[i] = t->slot[j];
			i = j;
		}
	}
	zv_memset(&t->slot[i], 0, sizeof(t->slot[i]));
	t->live--;
}

/* Removes every entry whose deadline has passed.  A removal shifts later
 * entries back into slot i, so i is looked at again. */
static void table_sweep(const struct policy *p, struct policy_table *t, uint64_t now)
{
	uint32_t i = 0;

	t->swept = now;
	while (i < POLICY_TABLE_SLOTS) {
		if (t->slot[i].state && t->slot[i].deadline_ms <= now)
			table_remove(p, t, i);
		else
			i++;
	}
}

/* The entry for k, created empty (deadline 0) if absent; NULL if the table is
 * full of live entries (swept first, at most once per POLICY_SWEEP_MS). */
static struct policy_slot *table_get(const struct policy *p, struct policy_table *t,
				     const struct policy_slot *k, uint64_t now)
{
	struct policy_slot *s = table_find(p, t, k);
	uint32_t i;

	if (s)
		return s;
	if (t->live >= POLICY_TABLE_ENTRIES && (now >= t->swept + POLICY_SWEEP_MS || !t->swept))
		table_sweep(p, t, now);
	if (t->live >= POLICY_TABLE_ENTRIES)
		return NULL;
	for (i = slot_home(p, k); t->slot[i].state; i = (i + 1) & (POLICY_TABLE_SLOTS - 1))
		;
	t->slot[i] = *k;
	t->slot[i].deadline_ms = 0;
	t->slot[i].state = SLOT_USED;
	t->live++;
	return &t->slot[i];
}

/* ---- names ------------------------------------------------------------- */

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool is_ldh(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Checks one label (RFC 1035 2.3.1, RFC 1123 2.1: letters, digits, hyphen,
 * 1 to 63 of them, no hyphen at either end); NULL or why not. */
static const char *label_problem(const char *s, size_t len)
{
	if (len == 0)
		return "empty label";
	if (len > POLICY_LABEL_MAX)
		return "label longer than 63 characters";
	if (s[0] == '-' || s[len - 1] == '-')
		return "label starts or ends with '-'";
	return NULL;
}

static bool all_digits(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

/* Lowercases in[0..len) into out (POLICY_NAME_MAX + 1 bytes), drops one
 * trailing dot, checks the RFC 1035/1123 rules.  NULL or the problem; on a
 * bad character, *bad is that byte. */
static const char *name_normalize(const char *in, size_t len, char *out, size_t *out_len, char *bad)
{
	size_t start = 0;
	const char *why;

	if (len && in[len - 1] == '.')
		len--;
	if (len == 0)
		return "empty name";
	if (len > POLICY_NAME_MAX)
		return "name longer than 253 characters";
	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? lower(in[i]) : '.';

		if (c != '.' && !is_ldh(c)) {
			*bad = in[i];
			return "bad character";
		}
		if (c == '.') {
			if ((why = label_problem(out + start, i - start)))
				return why;
			start = i + 1;
		}
		if (i < len)
			out[i] = c;
	}
	out[len] = '\0';
	*out_len = len;
	/* RFC 3696 2: a top-level label is never all-numeric (keeps names apart from addresses). */
	for (start = len; start && out[start - 1] != '.'; start--)
		;
	return all_digits(out + start, len - start) ? "top-level label is all-numeric" : NULL;
}

static bool any_rule(const struct policy *p, uint8_t kind, const char *name, size_t len, uint64_t h)
{
	uint32_t slot = rule_home(p, kind, h);

	return rule_next(p, &slot, kind, name, len, 0, 0) != NULL;
}

/* Calls fn for every rule that matches name[0..len): the exact rules for it,
 * then the wildcard rules for each proper suffix (at most label count - 1). */
typedef bool (*rule_fn)(struct policy *p, const struct policy_rule *r, void *arg);

static bool match_kind(const struct policy *p, uint8_t kind, const char *s, size_t len, uint64_t h,
		       rule_fn fn, void *arg)
{
	uint32_t slot = rule_home(p, kind, h);
	const struct policy_rule *r;

	if (!fn)
		return any_rule(p, kind, s, len, h);
	while ((r = rule_next(p, &slot, kind, s, len, 0, 0)))
		if (fn((struct policy *)p, r, arg))
			return true;
	return false;
}

/* Returns true as soon as fn does (fn NULL: as soon as a rule matches). */
static bool match_name(const struct policy *p, const char *name, size_t len, rule_fn fn, void *arg)
{
	uint64_t h = FNV_BASIS;
	size_t i = len;

	while (i--) {
		if (name[i] == '.' &&
		    match_kind(p, POLICY_RULE_WILDCARD, name + i + 1, len - i - 1, h, fn, arg))
			return true;
		h = fnv_step(h, name[i]);
	}
	return match_kind(p, POLICY_RULE_EXACT, name, len, h, fn, arg);
}

bool policy_name_allowed(const struct policy *p, const char *name)
{
	char norm[POLICY_NAME_MAX + 1], bad;
	size_t len;

	if (!name || name_normalize(name, zv_strnlen(name, POLICY_NAME_MAX + 2), norm, &len, &bad))
		return false;
	return match_name(p, norm, len, NULL, NULL);
}

static enum policy_verdict tally(struct policy *p, enum policy_verdict v)
{
	p->count.verdict[v]++;
	return v;
}

enum policy_verdict policy_check_query(struct policy *p, const char *name)
{
	return tally(p, policy_name_allowed(p, name) ? POLICY_ALLOW_NAME : POLICY_DENY_NAME);
}

/* ---- learning ---------------------------------------------------------- */

struct learn_arg {
	uint32_t ip;
	bool matched;
	uint64_t deadline;
	uint64_t now;
};

static void admit(struct policy *p, uint32_t ip, uint32_t port, uint64_t deadline, uint64_t now)
{
	struct policy_slot k = {.a = ip, .b = port};
	struct policy_slot *s = table_get(p, &p->learned, &k, now);

	if (!s) {
		p->count.learn_full++;
		return;
	}
	if (s->deadline_ms < deadline)
		s->deadline_ms = deadline;
	p->count.learned++;
}

static bool learn_rule(struct policy *p, const struct policy_rule *r, void *arg)
{
	struct learn_arg *l = arg;

	l->matched = true;
	admit(p, l->ip, r->port, l->deadline, l->now);
	admit(p, l->ip, LEARN_ADDR, l->deadline, l->now);
	return false; /* every matching rule contributes its port */
}

/* RFC 2181 8: a TTL with the top bit set is treated as zero. */
static uint64_t ttl_ms(uint32_t ttl_s)
{
	uint64_t ms = ttl_s & 0x80000000u ? 0 : (uint64_t)ttl_s * 1000;

	if (ms < POLICY_TTL_MIN_MS)
		return POLICY_TTL_MIN_MS;
	return ms > POLICY_TTL_MAX_MS ? POLICY_TTL_MAX_MS : ms;
}

void policy_learn(struct policy *p, const char *name, uint32_t ipv4, uint32_t ttl_s,
		  uint64_t now_ms)
{
	struct learn_arg l = {.ip = ipv4, .deadline = now_ms + ttl_ms(ttl_s), .now = now_ms};
	char norm[POLICY_NAME_MAX + 1], bad;
	size_t len;

	if (ipv4_is_internal(ipv4)) {
		p->count.learn_internal++;
		return;
	}
	if (name && !name_normalize(name, zv_strnlen(name, POLICY_NAME_MAX + 2), norm, &len, &bad))
		match_name(p, norm, len, learn_rule, &l);
	if (!l.matched)
		p->count.learn_ignored++;
}

/* ---- decisions --------------------------------------------------------- */

static uint32_t prefix_mask(unsigned plen)
{
	return plen ? ~0u << (32 - plen) : 0;
}

/* CIDR rules, longest prefix first: at most 33 probes.  *near: some CIDR
 * rule covers the address, on another port or for TCP/UDP only. */
static bool cidr_allows(const struct policy *p, uint8_t proto, uint32_t ip, uint16_t port,
			bool *near)
{
	for (int plen = 32; plen >= 0; plen--) {
		uint32_t net = ip & prefix_mask((unsigned)plen), slot;
		const struct policy_rule *r;

		if (!(p->prefix_used >> plen & 1))
			continue;
		slot = rule_home(p, POLICY_RULE_CIDR, cidr_hash((uint8_t)plen, net));
		while ((r = rule_next(p, &slot, POLICY_RULE_CIDR, NULL, 0, (uint8_t)plen, net))) {
			if (r->port == 0 || (proto != POLICY_PROTO_ICMP && r->port == port))
				return true;
			*near = true;
		}
	}
	return false;
}

/* A learned entry: 1 live, 0 present but expired, -1 absent. */
static int learned_state(struct policy *p, uint32_t ip, uint32_t port, uint64_t now)
{
	struct policy_slot k = {.a = ip, .b = port};
	const struct policy_slot *s = table_find(p, &p->learned, &k);

	if (!s)
		return -1;
	return now < s->deadline_ms;
}

static enum policy_verdict learned_verdict(struct policy *p, uint8_t proto, uint32_t ip,
					   uint16_t port, uint64_t now, bool near)
{
	int addr = learned_state(p, ip, LEARN_ADDR, now);
	int exact, any;

	if (proto == POLICY_PROTO_ICMP)
		return near || addr == 1 ? POLICY_DENY_ICMP : POLICY_DENY_NO_RULE;
	exact = learned_state(p, ip, port, now);
	any = learned_state(p, ip, 0, now);
	if (exact == 1 || any == 1)
		return POLICY_ALLOW_LEARNED;
	if (exact == 0 || any == 0)
		return POLICY_DENY_EXPIRED;
	if (near || addr == 1)
		return POLICY_DENY_PORT;
	return addr == 0 ? POLICY_DENY_EXPIRED : POLICY_DENY_NO_RULE;
}

enum policy_verdict policy_check_new(struct policy *p, uint8_t proto, uint32_t dst_ip,
				     uint16_t dst_port, uint64_t now_ms)
{
	bool near = false;

	if (proto != POLICY_PROTO_TCP && proto != POLICY_PROTO_UDP && proto != POLICY_PROTO_ICMP)
		return tally(p, POLICY_DENY_PROTO);
	if (cidr_allows(p, proto, dst_ip, dst_port, &near))
		return tally(p, POLICY_ALLOW_CIDR);
	/* Never learned (policy_learn); near: a CIDR rule covers it on another port. */
	if (!near && ipv4_is_internal(dst_ip))
		return tally(p, POLICY_DENY_INTERNAL);
	return tally(p, learned_verdict(p, proto, dst_ip, dst_port, now_ms, near));
}

/* ---- connection tracking ----------------------------------------------- */

static struct policy_slot conn_key(const struct policy_tuple *t)
{
	return (struct policy_slot){
		.a = t->src_ip, .b = t->dst_ip, .c = t->src_port, .e = t->dst_port, .d = t->proto};
}

static uint64_t idle_ms(uint8_t proto)
{
	return proto == POLICY_PROTO_TCP ? POLICY_TCP_IDLE_MS : POLICY_UDP_IDLE_MS;
}

enum policy_verdict policy_conn_open(struct policy *p, const struct policy_tuple *t,
				     uint64_t now_ms)
{
	struct policy_slot k = conn_key(t);
	struct policy_slot *s = table_get(p, &p->conns, &k, now_ms);

	if (!s)
		return tally(p, POLICY_DENY_CONN_FULL);
	s->state = CONN_OPEN;
	s->deadline_ms = now_ms + idle_ms(t->proto);
	return tally(p, POLICY_ALLOW_TRACKED);
}

/* The live entry for t, or NULL; an idle-expired entry is removed on sight. */
static struct policy_slot *conn_find(struct policy *p, const struct policy_tuple *t, uint64_t now)
{
	struct policy_slot k = conn_key(t);
	struct policy_slot *s = table_find(p, &p->conns, &k);

	if (s && s->deadline_ms <= now) {
		table_remove(p, &p->conns, (uint32_t)(s - p->conns.slot));
		return NULL;
	}
	return s;
}

bool policy_conn_lookup(struct policy *p, const struct policy_tuple *t, uint64_t now_ms)
{
	struct policy_slot *s = conn_find(p, t, now_ms);

	if (!s)
		return false;
	if (s->state == CONN_OPEN)
		s->deadline_ms = now_ms + idle_ms(t->proto);
	return true;
}

void policy_conn_close(struct policy *p, const struct policy_tuple *t, uint64_t now_ms)
{
	struct policy_slot *s = conn_find(p, t, now_ms);

	if (s && s->state == CONN_OPEN) {
		s->state = CONN_CLOSING;
		s->deadline_ms = now_ms + POLICY_CLOSE_MS;
	}
}

/* ---- rule parsing ------------------------------------------------------ */

struct rule_text {
	const char *text; /* the whole rule, for messages */
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3))) static int fail(const struct rule_text *rt, const char *fmt,
						      ...)
{
	va_list ap;

	if (rt->err && rt->errlen) {
		va_start(ap, fmt);
		zv_vsnprintf(rt->err, rt->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Decimal of at most max_digits digits, no sign, no leading zero; -1 if not. */
static long parse_decimal(const char *s, size_t len, size_t max_digits)
{
	long v = 0;

	if (len == 0 || len > max_digits || (len > 1 && s[0] == '0') || !all_digits(s, len))
		return -1;
	for (size_t i = 0; i < len; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

static int parse_port(const struct rule_text *rt, const char *s, uint16_t *port)
{
	long v = parse_decimal(s, zv_strlen(s), 5);

	if (v < 1 || v > 65535)
		return fail(rt, "bad port '%s' in '%s' (1 to 65535)", s, rt->text);
	*port = (uint16_t)v;
	return 0;
}

/* "a.b.c.d": four decimal octets 0-255 without leading zeros (no octal). */
static int parse_ipv4(const char *s, size_t len, uint32_t *ip)
{
	size_t start = 0, part = 0;

	*ip = 0;
	for (size_t i = 0; i <= len; i++) {
		long v;

		if (i < len && s[i] != '.')
			continue;
		v = parse_decimal(s + start, i - start, 3);
		if (v < 0 || v > 255 || ++part > 4)
			return -1;
		*ip = *ip << 8 | (uint32_t)v;
		start = i + 1;
	}
	return part == 4 ? 0 : -1;
}

static bool looks_like_cidr(const char *s)
{
	if (!is_digit(*s))
		return false;
	for (; *s; s++)
		if (!is_digit(*s) && *s != '.' && *s != '/')
			return false;
	return true;
}

static int parse_cidr(const struct rule_text *rt, const char *s, struct policy_rule *r)
{
	const char *slash = s;
	long plen = 32;
	uint32_t ip;

	while (*slash && *slash != '/')
		slash++;
	if (parse_ipv4(s, (size_t)(slash - s), &ip))
		return fail(rt, "bad IPv4 address in '%s' (a.b.c.d, each 0 to 255)", rt->text);
	if (*slash && (plen = parse_decimal(slash + 1, zv_strlen(slash + 1), 2)) < 0)
		plen = 99;
	if (plen > 32)
		return fail(rt, "bad prefix length '%s' in '%s' (0 to 32)", slash, rt->text);
	if (ip & ~prefix_mask((unsigned)plen)) {
		ip &= prefix_mask((unsigned)plen);
		return fail(rt, "host bits set in '%s' (the network is %u.%u.%u.%u/%ld)", rt->text,
			    ip >> 24, ip >> 16 & 0xff, ip >> 8 & 0xff, ip & 0xff, plen);
	}
	r->kind = POLICY_RULE_CIDR;
	r->prefix_len = (uint8_t)plen;
	r->key = ip;
	return 0;
}

/* bad: the offending byte when why is a bad character, else 0. */
static int name_fail(const struct rule_text *rt, const char *why, char bad)
{
	if (bad >= 0x21 && bad <= 0x7e)
		return fail(rt, "bad name in '%s' (%s '%c': letters, digits, '-', '.')", rt->text,
			    why, bad);
	if (bad)
		return fail(rt, "bad name in '%s' (%s 0x%02x: letters, digits, '-', '.')", rt->text,
			    why, (unsigned)(uint8_t)bad);
	return fail(rt, "bad name in '%s' (%s)", rt->text, why);
}

static int parse_name(struct policy *p, const struct rule_text *rt, const char *s,
		      struct policy_rule *r, char *norm)
{
	const char *why;
	size_t len;
	char bad = 0;

	r->kind = POLICY_RULE_EXACT;
	if (s[0] == '*' && s[1] == '.') {
		r->kind = POLICY_RULE_WILDCARD;
		s += 2;
	} else if (s[0] == '*' && s[1] == '\0') {
		return fail(rt, "bad name in '%s' ('*' needs a domain: '*.DOMAIN')", rt->text);
	}
	for (const char *q = s; *q; q++)
		if (*q == '*')
			return fail(rt,
				    "bad name in '%s' ('*' only as the whole first label: "
				    "'*.DOMAIN')",
				    rt->text);
	if ((why = name_normalize(s, zv_strlen(s), norm, &len, &bad)))
		return name_fail(rt, why, bad);
	if (p->pool_used + len > POLICY_NAME_POOL)
		return fail(rt, "no room for '%s' (rule names fill %u bytes)", rt->text,
			    POLICY_NAME_POOL);
	r->name_len = (uint16_t)len;
	return 0;
}

/* Splits "ADDRESS[:PORT]" into host (copied) and port. */
static int split_port(const struct rule_text *rt, char *host, uint16_t *port)
{
	char *colon = host;

	while (*colon && *colon != ':')
		colon++;
	*port = 0;
	if (!*colon)
		return 0;
	*colon = '\0';
	return parse_port(rt, colon + 1, port);
}

static uint64_t rule_hash(const struct policy_rule *r, const char *norm)
{
	if (r->kind == POLICY_RULE_CIDR)
		return cidr_hash(r->prefix_len, r->key);
	return name_hash(norm, r->name_len);
}

static int store_rule(struct policy *p, const struct rule_text *rt, struct policy_rule *r,
		      const char *norm)
{
	uint64_t h = rule_hash(r, norm);

	if (r->kind != POLICY_RULE_CIDR)
		r->key = p->pool_used;
	if (rule_exists(p, r, norm, h))
		return 0;
	if (p->rule_count >= POLICY_MAX_RULES)
		return fail(rt, "too many rules (at most %u)", POLICY_MAX_RULES);
	if (r->kind == POLICY_RULE_CIDR) {
		p->prefix_used |= 1ull << r->prefix_len;
	} else {
		zv_memcpy(p->pool + p->pool_used, norm, r->name_len);
		p->pool_used += r->name_len;
	}
	rule_insert(p, r, h);
	return 0;
}

int policy_add_rule(struct policy *p, const char *text, char *err, size_t errlen)
{
	struct rule_text rt = {.text = text, .err = err, .errlen = errlen};
	char host[POLICY_RULE_TEXT_MAX + 1], norm[POLICY_NAME_MAX + 1];
	struct policy_rule r = {0};
	size_t n;

	if (!text)
		return fail(&rt, "no rule");
	n = zv_strnlen(text, POLICY_RULE_TEXT_MAX + 1);
	if (n > POLICY_RULE_TEXT_MAX)
		return fail(&rt, "rule longer than %u bytes", POLICY_RULE_TEXT_MAX);
	if (n == 0)
		return fail(&rt, "empty rule");
	zv_memcpy(host, text, n + 1);
	if (host[0] == ':')
		return fail(&rt, "no host, domain or address in '%s'", text);
	if (split_port(&rt, host, &r.port))
		return -1;
	if (looks_like_cidr(host) ? parse_cidr(&rt, host, &r) : parse_name(p, &rt, host, &r, norm))
		return -1;
	return store_rule(p, &rt, &r, norm);
}

/* ---- the rest ---------------------------------------------------------- */

void policy_init(struct policy *p, uint64_t seed)
{
	zv_memset(p, 0, sizeof(*p));
	p->seed = seed;
}

size_t policy_rule_text(const struct policy *p, uint32_t i, char *buf, size_t len)
{
	char name[POLICY_NAME_MAX + 1], port[8] = "";
	const struct policy_rule *r;
	int n;

	if (i >= p->rule_count)
		return 0;
	r = &p->rule[i];
	if (r->port)
		zv_snprintf(port, sizeof(port), ":%u", r->port);
	if (r->kind == POLICY_RULE_CIDR) {
		n = zv_snprintf(buf, len, "%u.%u.%u.%u/%u%s", r->key >> 24, r->key >> 16 & 0xff,
				r->key >> 8 & 0xff, r->key & 0xff, r->prefix_len, port);
		return (size_t)n;
	}
	zv_memcpy(name, p->pool + r->key, r->name_len);
	name[r->name_len] = '\0';
	n = zv_snprintf(buf, len, "%s%s%s", r->kind == POLICY_RULE_WILDCARD ? "*." : "", name,
			port);
	return (size_t)n;
}

static const char *const verdict_names[POLICY_VERDICT_COUNT] = {
	[POLICY_ALLOW_CIDR] = "allow-cidr",	    [POLICY_ALLOW_LEARNED] = "allow-learned",
	[POLICY_ALLOW_NAME] = "allow-name",	    [POLICY_ALLOW_TRACKED] = "allow-tracked",
	[POLICY_DENY_NO_RULE] = "no-rule",	    [POLICY_DENY_EXPIRED] = "expired",
	[POLICY_DENY_PORT] = "port-not-allowed",    [POLICY_DENY_PROTO] = "protocol-not-allowed",
	[POLICY_DENY_ICMP] = "icmp-not-allowed",    [POLICY_DENY_NAME] = "name-refused",
	[POLICY_DENY_CONN_FULL] = "conntrack-full", [POLICY_DENY_INTERNAL] = "internal-address",
};

const char *policy_verdict_name(enum policy_verdict v)
{
	if ((unsigned)v >= POLICY_VERDICT_COUNT)
		return "unknown";
	return verdict_names[v];
}
