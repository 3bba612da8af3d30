/* Unit tests of the network allowlist (zones/net/policy.c): rules, names, learning, conntrack. */
#include <string.h>

#include "tests/unit/test.h"
#include "zones/net/policy.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define TCP	       POLICY_PROTO_TCP
#define UDP	       POLICY_PROTO_UDP
#define ICMP	       POLICY_PROTO_ICMP
#define SEC	       1000ull

static struct policy pol; /* ~1 MiB: too big for the stack */
static char err[512];

static struct policy *fresh(void)
{
	memset(&pol, 0xa5, sizeof(pol)); /* init must not rely on zeroed memory */
	policy_init(&pol, 0x1234567890abcdefull);
	return &pol;
}

static int add(struct policy *p, const char *rule)
{
	err[0] = '\0';
	return policy_add_rule(p, rule, err, sizeof(err));
}

/* The rule is refused and the message contains want. */
static int refused(const char *rule, const char *want)
{
	struct policy *p = fresh();

	if (add(p, rule) != -1 || p->rule_count != 0)
		return 0;
	if (!strstr(err, want)) {
		printf("  rule '%.60s': message \"%s\" lacks \"%s\"\n", rule, err, want);
		return 0;
	}
	return 1;
}

static struct policy_tuple conn(uint32_t dst, uint16_t sport, uint16_t dport)
{
	return (struct policy_tuple){.proto = TCP,
				     .src_ip = IP(10, 9, 0, 2),
				     .dst_ip = dst,
				     .src_port = sport,
				     .dst_port = dport};
}

TEST(policy_struct_size_is_documented)
{
	CHECK(sizeof(struct policy) < 1024 * 1024);
	CHECK_EQ_U64(sizeof(struct policy_slot), 24);
	CHECK_EQ_U64(sizeof(struct policy_rule), 12);
}

TEST(policy_rules_good_forms)
{
	struct policy *p = fresh();
	char buf[300];

	CHECK(add(p, "api.anthropic.com:443") == 0);
	CHECK(add(p, "*.GitHub.com:443") == 0);
	CHECK(add(p, "deb.debian.org") == 0);
	CHECK(add(p, "10.0.0.0/8:53") == 0);
	CHECK(add(p, "192.168.1.7") == 0);
	CHECK(add(p, "0.0.0.0/0:80") == 0);
	CHECK(add(p, "example.org.:8080") == 0); /* the FQDN's trailing dot */
	CHECK(add(p, "xn--bcher-kva.example:65535") == 0);
	CHECK(add(p, "1password.com:1") == 0); /* RFC 1123: labels may start with a digit */
	CHECK_EQ_U64(p->rule_count, 9);
	CHECK(policy_rule_text(p, 0, buf, sizeof(buf)) > 0);
	CHECK_STR(buf, "api.anthropic.com:443");
	policy_rule_text(p, 1, buf, sizeof(buf));
	CHECK_STR(buf, "*.github.com:443");
	policy_rule_text(p, 3, buf, sizeof(buf));
	CHECK_STR(buf, "10.0.0.0/8:53");
	policy_rule_text(p, 4, buf, sizeof(buf));
	CHECK_STR(buf, "192.168.1.7/32");
	policy_rule_text(p, 6, buf, sizeof(buf));
	CHECK_STR(buf, "example.org:8080");
	CHECK(policy_rule_text(p, 9, buf, sizeof(buf)) == 0);
}

TEST(policy_rules_duplicates_stored_once)
{
	struct policy *p = fresh();

	CHECK(add(p, "a.test:443") == 0);
	CHECK(add(p, "A.TEST:443") == 0);
	CHECK(add(p, "a.test.:443") == 0);
	CHECK(add(p, "a.test:80") == 0);    /* another port: another rule */
	CHECK(add(p, "*.a.test:443") == 0); /* wildcard: another kind */
	CHECK(add(p, "10.1.0.0/16") == 0);
	CHECK(add(p, "10.1.0.0/16") == 0);
	CHECK_EQ_U64(p->rule_count, 4);
}

TEST(policy_rules_bad_ports)
{
	CHECK(refused("x.test:99999", "bad port '99999' in 'x.test:99999' (1 to 65535)"));
	CHECK(refused("x.test:0", "bad port '0'"));
	CHECK(refused("x.test:65536", "bad port '65536'"));
	CHECK(refused("x.test:", "bad port ''"));
	CHECK(refused("x.test:443:80", "bad port '443:80'"));
	CHECK(refused("x.test:-1", "bad port"));
	CHECK(refused("x.test:+443", "bad port"));
	CHECK(refused("x.test:0443", "bad port"));
	CHECK(refused("x.test:4 43", "bad port"));
	CHECK(refused("x.test:1000000000000000000000", "bad port"));
	CHECK(refused("10.0.0.0/8:0", "bad port '0'"));
}

TEST(policy_rules_bad_names)
{
	char longlabel[80], longname[300];

	CHECK(refused("", "empty rule"));
	CHECK(refused(":443", "no host"));
	CHECK(refused("a..b.test", "empty label"));
	CHECK(refused(".a.test", "empty label"));
	CHECK(refused("a.test..", "empty label"));
	CHECK(refused("-a.test", "starts or ends with '-'"));
	CHECK(refused("a-.test", "starts or ends with '-'"));
	CHECK(refused("a_b.test", "bad character '_'"));
	CHECK(refused("a b.test", "bad character 0x20"));
	CHECK(refused("a\tb.test", "bad character 0x09"));
	CHECK(refused("caf\xc3\xa9.test", "bad character 0xc3"));
	CHECK(refused("a/b.test", "bad character '/'"));
	CHECK(refused("a.test/24", "bad character '/'"));
	CHECK(refused("http://a.test", "bad port '//a.test'"));
	CHECK(refused("a.123", "all-numeric"));
	CHECK(refused("1.2.3.4.5", "bad IPv4 address"));
	CHECK(refused("*", "'*' needs a domain"));
	CHECK(refused("*:443", "'*' needs a domain"));
	CHECK(refused("*.", "empty name"));
	CHECK(refused("a.*.test", "'*' only as the whole first label"));
	CHECK(refused("*a.test", "'*' only as the whole first label"));
	CHECK(refused("*.*.test", "'*' only as the whole first label"));
	CHECK(refused("a*.test", "'*' only as the whole first label"));
	memset(longlabel, 'a', 64);
	strcpy(longlabel + 64, ".test");
	CHECK(refused(longlabel, "label longer than 63"));
	strcpy(longlabel + 63, ".test"); /* 63 is the most */
	CHECK(add(fresh(), longlabel) == 0);
	for (int i = 0; i < 254; i++)
		longname[i] = i % 2 ? '.' : 'a';
	longname[253] = 'b';
	longname[254] = '\0'; /* 254 characters */
	CHECK(refused(longname, "longer than 253"));
	longname[253] = '\0'; /* "a.a. ... .a" is 253 characters, the most */
	longname[252] = 'b';
	CHECK(add(fresh(), longname) == 0);
}

TEST(policy_rules_hostile_lengths)
{
	static char huge[100000];

	memset(huge, 'a', sizeof(huge) - 1);
	CHECK(refused(huge, "rule longer than 300 bytes"));
	CHECK(strlen(err) < 100);
	CHECK(policy_add_rule(fresh(), NULL, err, sizeof(err)) == -1);
	CHECK(policy_add_rule(fresh(), "a..b", NULL, 0) == -1); /* no room for a message */
	CHECK(policy_add_rule(fresh(), "a..b", err, 4) == -1);
	CHECK(strlen(err) == 3);
}

TEST(policy_rules_bad_cidrs)
{
	CHECK(refused("10.0.0.0/33", "bad prefix length '/33' in '10.0.0.0/33' (0 to 32)"));
	CHECK(refused("10.0.0.0/", "bad prefix length '/'"));
	CHECK(refused("10.0.0.0/08", "bad prefix length '/08'"));
	CHECK(refused("10.0.0.0/8/8", "bad prefix length '/8/8'"));
	CHECK(refused("10.0.0.0/999", "bad prefix length"));
	CHECK(refused("1.2.3.4/24", "host bits set in '1.2.3.4/24' (the network is 1.2.3.0/24)"));
	CHECK(refused("1.2.3.4/0", "the network is 0.0.0.0/0"));
	CHECK(refused("256.0.0.0/8", "bad IPv4 address"));
	CHECK(refused("1.2.3/24", "bad IPv4 address"));
	CHECK(refused("1.2.3.4.5/24", "bad IPv4 address"));
	CHECK(refused("1..3.4", "bad IPv4 address"));
	CHECK(refused("01.2.3.4", "bad IPv4 address")); /* no octal */
	CHECK(refused("1.2.3.1000", "bad IPv4 address"));
	CHECK(refused("1.2.3.4/", "bad prefix length"));
	CHECK(refused("::1/128", "no host"));
	CHECK(add(fresh(), "1.2.3.4/32:22") == 0);
	CHECK(add(fresh(), "0.0.0.0/0") == 0);
}

TEST(policy_default_deny)
{
	struct policy *p = fresh();

	CHECK(!policy_name_allowed(p, "example.com"));
	CHECK(!policy_name_allowed(p, "localhost"));
	CHECK(!policy_name_allowed(p, "."));
	CHECK(!policy_name_allowed(p, ""));
	CHECK(!policy_name_allowed(p, NULL));
	CHECK(policy_check_new(p, TCP, IP(1, 1, 1, 1), 443, 0) == POLICY_DENY_NO_RULE);
	CHECK(policy_check_new(p, UDP, IP(8, 8, 8, 8), 53, 0) == POLICY_DENY_NO_RULE);
	CHECK(policy_check_new(p, ICMP, IP(8, 8, 8, 8), 0, 0) == POLICY_DENY_NO_RULE);
	CHECK(policy_check_new(p, 41, IP(8, 8, 8, 8), 0, 0) == POLICY_DENY_PROTO);
	policy_learn(p, "example.com", IP(1, 2, 3, 4), 300, 0); /* no rule: learns nothing */
	CHECK(policy_check_new(p, TCP, IP(1, 2, 3, 4), 443, 1) == POLICY_DENY_NO_RULE);
	CHECK_EQ_U64(p->count.learn_ignored, 1);
	CHECK_EQ_U64(p->learned.live, 0);
}

TEST(policy_names_exact_and_case)
{
	struct policy *p = fresh();

	CHECK(add(p, "api.anthropic.com:443") == 0);
	CHECK(policy_name_allowed(p, "api.anthropic.com"));
	CHECK(policy_name_allowed(p, "API.Anthropic.COM"));
	CHECK(policy_name_allowed(p, "api.anthropic.com."));
	CHECK(!policy_name_allowed(p, "anthropic.com"));
	CHECK(!policy_name_allowed(p, "x.api.anthropic.com"));
	CHECK(!policy_name_allowed(p, "api.anthropic.co"));
	CHECK(!policy_name_allowed(p, "api.anthropic.comx"));
	CHECK(!policy_name_allowed(p, "api.anthropic.com.."));
	CHECK(!policy_name_allowed(p, "api_anthropic.com"));
	CHECK(!policy_name_allowed(p, "xapi.anthropic.com"));
}

TEST(policy_names_wildcard)
{
	struct policy *p = fresh();

	CHECK(add(p, "*.github.com:443") == 0);
	CHECK(policy_name_allowed(p, "api.github.com"));
	CHECK(policy_name_allowed(p, "a.b.c.d.e.github.com"));
	CHECK(policy_name_allowed(p, "CODELOAD.GitHub.Com."));
	CHECK(!policy_name_allowed(p, "github.com")); /* the bare domain is not covered */
	CHECK(!policy_name_allowed(p, "evilgithub.com"));
	CHECK(!policy_name_allowed(p, "github.com.evil.test"));
	CHECK(!policy_name_allowed(p, ".github.com"));
	CHECK(!policy_name_allowed(p, "-x.github.com"));
	CHECK(add(p, "github.com:443") == 0);
	CHECK(policy_name_allowed(p, "github.com"));
}

TEST(policy_names_hostile_queries)
{
	struct policy *p = fresh();
	static char deep[600];

	CHECK(add(p, "*.test") == 0);
	for (int i = 0; i < 251; i += 2) {
		deep[i] = 'a';
		deep[i + 1] = '.';
	}
	strcpy(deep + 248, "test"); /* 127 labels, 252 characters */
	CHECK(policy_name_allowed(p, deep));
	memset(deep, 'a', sizeof(deep) - 1);
	strcpy(deep + 590, ".test");
	CHECK(!policy_name_allowed(p, deep)); /* too long */
	CHECK(!policy_name_allowed(p, "a\x80.test"));
	CHECK(!policy_name_allowed(p, "*.test"));
	CHECK(!policy_name_allowed(p, "a b.test"));
}

TEST(policy_cidr_allows_by_prefix_and_port)
{
	struct policy *p = fresh();

	CHECK(add(p, "10.0.0.0/8:443") == 0);
	CHECK(add(p, "10.1.2.0/24") == 0);
	CHECK(add(p, "192.168.0.1:22") == 0);
	CHECK(policy_check_new(p, TCP, IP(10, 200, 0, 1), 443, 0) == POLICY_ALLOW_CIDR);
	CHECK(policy_check_new(p, UDP, IP(10, 200, 0, 1), 443, 0) == POLICY_ALLOW_CIDR);
	CHECK(policy_check_new(p, TCP, IP(10, 200, 0, 1), 80, 0) == POLICY_DENY_PORT);
	CHECK(policy_check_new(p, TCP, IP(10, 1, 2, 99), 80, 0) == POLICY_ALLOW_CIDR);
	CHECK(policy_check_new(p, TCP, IP(10, 1, 3, 99), 80, 0) == POLICY_DENY_PORT);
	CHECK(policy_check_new(p, TCP, IP(11, 0, 0, 1), 443, 0) == POLICY_DENY_NO_RULE);
	CHECK(policy_check_new(p, TCP, IP(192, 168, 0, 1), 22, 0) == POLICY_ALLOW_CIDR);
	/* Private, next to the rule's address: only a CIDR rule could admit it. */
	CHECK(policy_check_new(p, TCP, IP(192, 168, 0, 2), 22, 0) == POLICY_DENY_INTERNAL);
}

TEST(policy_icmp_needs_portless_cidr)
{
	struct policy *p = fresh();

	CHECK(add(p, "10.1.2.0/24") == 0);
	CHECK(add(p, "10.2.0.0/16:443") == 0);
	CHECK(add(p, "ping.test") == 0);
	CHECK(policy_check_new(p, ICMP, IP(10, 1, 2, 3), 0, 0) == POLICY_ALLOW_CIDR);
	CHECK(policy_check_new(p, ICMP, IP(10, 2, 0, 1), 0, 0) == POLICY_DENY_ICMP);
	policy_learn(p, "ping.test", IP(20, 0, 0, 1), 60, 0);
	CHECK(policy_check_new(p, TCP, IP(20, 0, 0, 1), 7, 1) == POLICY_ALLOW_LEARNED);
	CHECK(policy_check_new(p, ICMP, IP(20, 0, 0, 1), 0, 1) == POLICY_DENY_ICMP);
	CHECK(policy_check_new(p, ICMP, IP(30, 0, 0, 1), 0, 1) == POLICY_DENY_NO_RULE);
}

TEST(policy_learn_admits_only_matching_ports)
{
	struct policy *p = fresh();
	uint32_t ip = IP(93, 184, 216, 34);

	CHECK(add(p, "allowed.test:8001") == 0);
	CHECK(add(p, "other.test:9000") == 0);
	CHECK(policy_check_new(p, TCP, ip, 8001, 0) == POLICY_DENY_NO_RULE); /* before lookup */
	policy_learn(p, "ALLOWED.test.", ip, 30, 1000);
	CHECK(policy_check_new(p, TCP, ip, 8001, 1001) == POLICY_ALLOW_LEARNED);
	CHECK(policy_check_new(p, UDP, ip, 8001, 1001) == POLICY_ALLOW_LEARNED);
	CHECK(policy_check_new(p, TCP, ip, 8002, 1001) == POLICY_DENY_PORT);
	CHECK(policy_check_new(p, TCP, ip, 9000, 1001) == POLICY_DENY_PORT);
	CHECK(policy_check_new(p, TCP, IP(93, 184, 216, 35), 8001, 1001) == POLICY_DENY_NO_RULE);
	policy_learn(p, "denied.test", IP(6, 6, 6, 6), 30, 1000);
	CHECK(policy_check_new(p, TCP, IP(6, 6, 6, 6), 8001, 1001) == POLICY_DENY_NO_RULE);
}

TEST(policy_learn_unions_every_matching_rule)
{
	struct policy *p = fresh();
	uint32_t ip = IP(140, 82, 112, 3);

	CHECK(add(p, "api.github.com:443") == 0);
	CHECK(add(p, "*.github.com:22") == 0);
	CHECK(add(p, "*.com:8443") == 0);
	CHECK(add(p, "github.com:80") == 0); /* does not match api.github.com */
	policy_learn(p, "api.github.com", ip, 60, 0);
	CHECK(policy_check_new(p, TCP, ip, 443, 1) == POLICY_ALLOW_LEARNED);
	CHECK(policy_check_new(p, TCP, ip, 22, 1) == POLICY_ALLOW_LEARNED);
	CHECK(policy_check_new(p, TCP, ip, 8443, 1) == POLICY_ALLOW_LEARNED);
	CHECK(policy_check_new(p, TCP, ip, 80, 1) == POLICY_DENY_PORT);
}

TEST(policy_learn_any_port_rule)
{
	struct policy *p = fresh();

	CHECK(add(p, "deb.debian.org") == 0);
	policy_learn(p, "deb.debian.org", IP(151, 101, 2, 132), 60, 0);
	CHECK(policy_check_new(p, TCP, IP(151, 101, 2, 132), 80, 1) == POLICY_ALLOW_LEARNED);
	CHECK(policy_check_new(p, UDP, IP(151, 101, 2, 132), 12345, 1) == POLICY_ALLOW_LEARNED);
}

/* One address in each internal range (zones/net/ipv4_scope.c), as a DNS answer could name it. */
static const uint32_t internal_answers[] = {
	IP(0, 0, 0, 1),		IP(10, 0, 0, 1),	IP(10, 255, 255, 254),
	IP(100, 64, 0, 1),	IP(100, 127, 255, 254), IP(127, 0, 0, 1),
	IP(169, 254, 169, 254), IP(172, 16, 0, 1),	IP(172, 31, 255, 254),
	IP(192, 0, 0, 9),	IP(192, 0, 2, 1),	IP(192, 168, 1, 1),
	IP(198, 18, 0, 1),	IP(198, 19, 255, 254),	IP(198, 51, 100, 7),
	IP(203, 0, 113, 9),	IP(224, 0, 0, 251),	IP(239, 255, 255, 250),
	IP(240, 0, 0, 1),	IP(255, 255, 255, 255),
};
#define INTERNAL_ANSWERS (sizeof(internal_answers) / sizeof(internal_answers[0]))

TEST(policy_learn_refuses_internal_addresses)
{
	struct policy *p = fresh();

	/* A wildcard over a domain the attacker can put names in, and any port. */
	CHECK(add(p, "*.shared-hosting.test") == 0);
	CHECK(add(p, "evil.test:443") == 0);
	for (size_t i = 0; i < INTERNAL_ANSWERS; i++) {
		uint32_t ip = internal_answers[i];

		policy_learn(p, "me.shared-hosting.test", ip, 3600, 0);
		policy_learn(p, "evil.test", ip, 3600, 0);
		CHECK(policy_check_new(p, TCP, ip, 443, 1) == POLICY_DENY_INTERNAL);
		CHECK(policy_check_new(p, UDP, ip, 53, 1) == POLICY_DENY_INTERNAL);
		CHECK(policy_check_new(p, ICMP, ip, 0, 1) == POLICY_DENY_INTERNAL);
	}
	CHECK_EQ_U64(p->count.learned, 0);
	CHECK_EQ_U64(p->learned.live, 0);
	CHECK_EQ_U64(p->count.learn_internal, 2 * INTERNAL_ANSWERS);
	CHECK_EQ_U64(p->count.verdict[POLICY_DENY_INTERNAL], 3 * INTERNAL_ANSWERS);
	CHECK_STR(policy_verdict_name(POLICY_DENY_INTERNAL), "internal-address");
	/* The same names still admit a public answer. */
	policy_learn(p, "me.shared-hosting.test", IP(93, 184, 216, 34), 3600, 0);
	CHECK(policy_check_new(p, TCP, IP(93, 184, 216, 34), 80, 1) == POLICY_ALLOW_LEARNED);
}

TEST(policy_only_a_cidr_rule_admits_an_internal_address)
{
	struct policy *p = fresh();

	CHECK(add(p, "evil.test") == 0);
	CHECK(add(p, "10.0.0.0/8") == 0);
	CHECK(add(p, "192.168.7.0/24:22") == 0);
	policy_learn(p, "evil.test", IP(10, 1, 2, 3), 60, 0);
	policy_learn(p, "evil.test", IP(192, 168, 7, 7), 60, 0);
	policy_learn(p, "evil.test", IP(169, 254, 169, 254), 60, 0);
	CHECK_EQ_U64(p->count.learn_internal, 3);
	CHECK(policy_check_new(p, TCP, IP(10, 1, 2, 3), 8080, 1) == POLICY_ALLOW_CIDR);
	CHECK(policy_check_new(p, ICMP, IP(10, 1, 2, 3), 0, 1) == POLICY_ALLOW_CIDR);
	CHECK(policy_check_new(p, TCP, IP(192, 168, 7, 7), 22, 1) == POLICY_ALLOW_CIDR);
	/* The CIDR rule's port, not the name's any-port rule, decides. */
	CHECK(policy_check_new(p, TCP, IP(192, 168, 7, 7), 80, 1) == POLICY_DENY_PORT);
	CHECK(policy_check_new(p, TCP, IP(169, 254, 169, 254), 80, 1) == POLICY_DENY_INTERNAL);
	CHECK(policy_check_new(p, TCP, IP(172, 16, 0, 1), 80, 1) == POLICY_DENY_INTERNAL);
}

TEST(policy_ttl_expiry_and_refresh)
{
	struct policy *p = fresh();
	uint32_t ip = IP(93, 184, 216, 34);

	CHECK(add(p, "allowed.test:8001") == 0);
	policy_learn(p, "allowed.test", ip, 2 * 60, 0);
	CHECK(policy_check_new(p, TCP, ip, 8001, 120 * SEC - 1) == POLICY_ALLOW_LEARNED);
	CHECK(policy_check_new(p, TCP, ip, 8001, 120 * SEC) == POLICY_DENY_EXPIRED);
	CHECK(policy_check_new(p, TCP, ip, 8002, 120 * SEC) == POLICY_DENY_EXPIRED);
	policy_learn(p, "allowed.test", ip, 10, 200 * SEC); /* a new lookup admits again */
	CHECK(policy_check_new(p, TCP, ip, 8001, 205 * SEC) == POLICY_ALLOW_LEARNED);
	policy_learn(p, "allowed.test", ip, 1, 204 * SEC); /* shorter answer does not shorten */
	CHECK(policy_check_new(p, TCP, ip, 8001, 209 * SEC) == POLICY_ALLOW_LEARNED);
	CHECK(policy_check_new(p, TCP, ip, 8001, 210 * SEC) == POLICY_DENY_EXPIRED);
}

TEST(policy_ttl_floor_and_cap)
{
	struct policy *p = fresh();

	CHECK(add(p, "a.test:1") == 0);
	policy_learn(p, "a.test", IP(1, 0, 0, 1), 0, 1000); /* TTL 0: 5 s grace */
	CHECK(policy_check_new(p, TCP, IP(1, 0, 0, 1), 1, 5999) == POLICY_ALLOW_LEARNED);
	CHECK(policy_check_new(p, TCP, IP(1, 0, 0, 1), 1, 6000) == POLICY_DENY_EXPIRED);
	policy_learn(p, "a.test", IP(1, 0, 0, 2), 0xffffffffu, 0); /* RFC 2181 8: means 0 */
	CHECK(policy_check_new(p, TCP, IP(1, 0, 0, 2), 1, 5 * SEC) == POLICY_DENY_EXPIRED);
	policy_learn(p, "a.test", IP(1, 0, 0, 3), 0x7fffffffu, 0); /* 68 years: 1 day */
	CHECK(policy_check_new(p, TCP, IP(1, 0, 0, 3), 1, 86400 * SEC - 1) == POLICY_ALLOW_LEARNED);
	CHECK(policy_check_new(p, TCP, IP(1, 0, 0, 3), 1, 86400 * SEC) == POLICY_DENY_EXPIRED);
}

TEST(policy_conn_survives_ttl_until_close)
{
	struct policy *p = fresh();
	uint32_t ip = IP(93, 184, 216, 34);
	struct policy_tuple t = conn(ip, 40000, 8001), u = conn(ip, 40001, 8001);

	CHECK(add(p, "allowed.test:8001") == 0);
	policy_learn(p, "allowed.test", ip, 5, 0);
	CHECK(policy_check_new(p, TCP, ip, 8001, 1 * SEC) == POLICY_ALLOW_LEARNED);
	CHECK(policy_conn_open(p, &t, 1 * SEC) == POLICY_ALLOW_TRACKED);
	CHECK(policy_conn_lookup(p, &t, 1 * SEC));
	CHECK(policy_check_new(p, TCP, ip, 8001, 60 * SEC) == POLICY_DENY_EXPIRED);
	CHECK(policy_conn_lookup(p, &t, 60 * SEC)); /* past the TTL, still established */
	CHECK(!policy_conn_lookup(p, &u, 60 * SEC));
	CHECK(policy_conn_lookup(p, &t, 60 * SEC + POLICY_TCP_IDLE_MS - 1)); /* renews */
	policy_conn_close(p, &t, 2 * POLICY_TCP_IDLE_MS);
	CHECK(policy_conn_lookup(p, &t,
				 2 * POLICY_TCP_IDLE_MS + POLICY_CLOSE_MS - 1)); /* last ACKs */
	CHECK(!policy_conn_lookup(p, &t, 2 * POLICY_TCP_IDLE_MS + POLICY_CLOSE_MS));
	CHECK_EQ_U64(p->conns.live, 0);
}

TEST(policy_conn_idle_timeout)
{
	struct policy *p = fresh();
	struct policy_tuple t = conn(IP(1, 1, 1, 1), 1, 443), d = t;

	d.proto = UDP;
	CHECK(policy_conn_open(p, &t, 0) == POLICY_ALLOW_TRACKED);
	CHECK(policy_conn_open(p, &d, 0) == POLICY_ALLOW_TRACKED);
	CHECK(policy_conn_lookup(p, &d, POLICY_UDP_IDLE_MS - 1));
	CHECK(!policy_conn_lookup(p, &d, 2 * POLICY_UDP_IDLE_MS));
	CHECK(!policy_conn_lookup(p, &t, POLICY_TCP_IDLE_MS));
	CHECK_EQ_U64(p->conns.live, 0);
}

TEST(policy_conn_reverse_and_reopen)
{
	struct policy *p = fresh();
	struct policy_tuple t = conn(IP(1, 1, 1, 1), 1000, 443), r = t;

	r.src_ip = t.dst_ip;
	r.dst_ip = t.src_ip;
	r.src_port = t.dst_port;
	r.dst_port = t.src_port;
	CHECK(policy_conn_open(p, &t, 0) == POLICY_ALLOW_TRACKED);
	CHECK(!policy_conn_lookup(p, &r, 0)); /* one orientation: the caller swaps */
	policy_conn_close(p, &t, 0);
	policy_conn_close(p, &t, 9 * SEC); /* a second FIN does not extend the linger */
	CHECK(!policy_conn_lookup(p, &t, POLICY_CLOSE_MS));
	CHECK(policy_conn_open(p, &t, 20 * SEC) == POLICY_ALLOW_TRACKED);
	CHECK(policy_conn_lookup(p, &t, 20 * SEC + POLICY_CLOSE_MS));
}

TEST(policy_conntrack_full_denies_new_keeps_live)
{
	struct policy *p = fresh();
	struct policy_tuple t;

	for (uint32_t i = 0; i < POLICY_TABLE_ENTRIES; i++) {
		t = conn(IP(20, 0, i >> 8, i & 0xff), 50000, 443);
		CHECK(policy_conn_open(p, &t, 0) == POLICY_ALLOW_TRACKED);
	}
	t = conn(IP(30, 0, 0, 1), 50000, 443);
	CHECK(policy_conn_open(p, &t, 1) == POLICY_DENY_CONN_FULL);
	CHECK(policy_conn_open(p, &t, 5 * SEC) == POLICY_DENY_CONN_FULL);
	for (uint32_t i = 0; i < POLICY_TABLE_ENTRIES; i++) { /* nobody evicted */
		struct policy_tuple o = conn(IP(20, 0, i >> 8, i & 0xff), 50000, 443);

		CHECK(policy_conn_lookup(p, &o, 10 * SEC));
	}
	t = conn(IP(20, 0, 0, 7), 50000, 443); /* an existing entry may be reopened */
	CHECK(policy_conn_open(p, &t, 10 * SEC) == POLICY_ALLOW_TRACKED);
	policy_conn_close(p, &t, 10 * SEC);
	t = conn(IP(30, 0, 0, 1), 50000, 443); /* once the closed one lingers out: room */
	CHECK(policy_conn_open(p, &t, 30 * SEC) == POLICY_ALLOW_TRACKED);
	CHECK(policy_conn_lookup(p, &t, 30 * SEC));
	CHECK_EQ_U64(p->count.verdict[POLICY_DENY_CONN_FULL], 2);
	t = conn(IP(40, 0, 0, 1), 50000, 443); /* everyone idles out: all swept */
	CHECK(policy_conn_open(p, &t, 30 * SEC + POLICY_TCP_IDLE_MS) == POLICY_ALLOW_TRACKED);
	CHECK_EQ_U64(p->conns.live, 1);
}

TEST(policy_learned_table_full)
{
	struct policy *p = fresh();
	uint32_t i;

	CHECK(add(p, "*.test:443") == 0);
	/* each address: its port entry and its address marker */
	for (i = 0; i < POLICY_TABLE_ENTRIES / 2; i++)
		policy_learn(p, "x.test", IP(20, 0, i >> 8, i & 0xff), 60, 0);
	CHECK_EQ_U64(p->learned.live, POLICY_TABLE_ENTRIES);
	CHECK_EQ_U64(p->count.learn_full, 0);
	policy_learn(p, "x.test", IP(30, 0, 0, 1), 60, 1);
	CHECK_EQ_U64(p->count.learn_full, 2);
	CHECK(policy_check_new(p, TCP, IP(30, 0, 0, 1), 443, 2) == POLICY_DENY_NO_RULE);
	CHECK(policy_check_new(p, TCP, IP(20, 0, 3, 4), 443, 2) == POLICY_ALLOW_LEARNED);
	policy_learn(p, "x.test", IP(30, 0, 0, 1), 60, 61 * SEC); /* old ones expired: swept */
	CHECK(policy_check_new(p, TCP, IP(30, 0, 0, 1), 443, 62 * SEC) == POLICY_ALLOW_LEARNED);
	CHECK_EQ_U64(p->learned.live, 2);
}

TEST(policy_counters_and_names)
{
	struct policy *p = fresh();

	CHECK(add(p, "a.test:443") == 0);
	CHECK(add(p, "10.0.0.0/8") == 0);
	CHECK(policy_check_query(p, "a.test") == POLICY_ALLOW_NAME);
	CHECK(policy_check_query(p, "b.test") == POLICY_DENY_NAME);
	CHECK(policy_check_query(p, "c.test") == POLICY_DENY_NAME);
	policy_check_new(p, TCP, IP(10, 0, 0, 1), 1, 0);
	policy_check_new(p, TCP, IP(11, 0, 0, 1), 1, 0);
	policy_check_new(p, 47, IP(10, 0, 0, 1), 1, 0);
	policy_learn(p, "a.test", IP(1, 1, 1, 1), 60, 0);
	CHECK_EQ_U64(p->count.verdict[POLICY_ALLOW_NAME], 1);
	CHECK_EQ_U64(p->count.verdict[POLICY_DENY_NAME], 2);
	CHECK_EQ_U64(p->count.verdict[POLICY_ALLOW_CIDR], 1);
	CHECK_EQ_U64(p->count.verdict[POLICY_DENY_NO_RULE], 1);
	CHECK_EQ_U64(p->count.verdict[POLICY_DENY_PROTO], 1);
	CHECK_EQ_U64(p->count.learned, 2); /* port 443 and the address marker */
	CHECK_STR(policy_verdict_name(POLICY_ALLOW_CIDR), "allow-cidr");
	CHECK_STR(policy_verdict_name(POLICY_DENY_NO_RULE), "no-rule");
	CHECK_STR(policy_verdict_name(POLICY_DENY_PORT), "port-not-allowed");
	CHECK_STR(policy_verdict_name(POLICY_DENY_EXPIRED), "expired");
	CHECK_STR(policy_verdict_name(POLICY_VERDICT_COUNT), "unknown");
	for (int v = 0; v < POLICY_VERDICT_COUNT; v++)
		CHECK(strcmp(policy_verdict_name((enum policy_verdict)v), "unknown") != 0);
	CHECK(policy_verdict_allows(POLICY_ALLOW_TRACKED));
	CHECK(!policy_verdict_allows(POLICY_DENY_NO_RULE));
}

TEST(policy_many_rules_all_found)
{
	struct policy *p = fresh();
	char rule[64];

	for (int i = 0; i < POLICY_MAX_RULES; i++) {
		if (i % 2)
			snprintf(rule, sizeof(rule), "h%d.many.test:%d", i, 1 + i % 1000);
		else
			snprintf(rule, sizeof(rule), "10.%d.%d.0/24", i >> 8, i & 0xff);
		CHECK(add(p, rule) == 0);
	}
	CHECK(add(p, "one.more.test") == -1);
	CHECK(strstr(err, "too many rules") != NULL);
	CHECK(add(p, "h1.many.test:2") == 0); /* a duplicate still is fine */
	for (int i = 1; i < POLICY_MAX_RULES; i += 98) {
		snprintf(rule, sizeof(rule), "H%d.Many.Test", i);
		CHECK(policy_name_allowed(p, rule));
	}
	CHECK(!policy_name_allowed(p, "h0.many.test"));
	CHECK(policy_check_new(p, TCP, IP(10, 63, 254, 9), 1, 0) == POLICY_ALLOW_CIDR);
	/* Past the last /24 rule: private, so no rule and no answer could admit it. */
	CHECK(policy_check_new(p, TCP, IP(10, 63, 255, 9), 1, 0) == POLICY_DENY_INTERNAL);
}

TEST(policy_name_pool_full)
{
	struct policy *p = fresh();
	char rule[260];
	int i, rc = 0;

	memset(rule, 'a', 3 * 61);
	rule[60] = rule[121] = rule[182] = '.'; /* three 60-character labels */
	for (i = 0; i < POLICY_MAX_RULES && rc == 0; i++) {
		snprintf(rule + 183, sizeof(rule) - 183, "%d.test", i);
		rc = add(p, rule);
	}
	CHECK(rc == -1);
	CHECK(strstr(err, "rule names fill") != NULL);
	CHECK(p->pool_used <= POLICY_NAME_POOL);
}
