/* libFuzzer target for the network allowlist: hostile rule text, names, addresses and times.
 * Lines of the input: "+RULE" adds a rule, "?NAME" queries, "=NAME" learns an address, anything
 * else drives check/conntrack from its bytes.  Invariants are checked with abort(). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zones/net/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct policy pol;

static uint32_t word(const char *s, size_t n, size_t at)
{
	uint32_t w = 0;

	for (size_t i = 0; i < 4; i++)
		w = w << 8 | (uint8_t)(at + i < n ? s[at + i] : 0);
	return w;
}

static void add_rule(const char *line)
{
	char err[128];

	memset(err, 'x', sizeof(err));
	if (policy_add_rule(&pol, line, err, sizeof(err)) != 0 && !memchr(err, 0, sizeof(err)))
		abort(); /* the message must be terminated */
}

static void traffic(const char *s, size_t n, uint64_t now)
{
	struct policy_tuple t = {.proto = (uint8_t)word(s, n, 0),
				 .src_ip = word(s, n, 1),
				 .dst_ip = word(s, n, 4),
				 .src_port = (uint16_t)word(s, n, 8),
				 .dst_port = (uint16_t)word(s, n, 10)};
	enum policy_verdict v = policy_check_new(&pol, t.proto, t.dst_ip, t.dst_port, now);

	if (policy_verdict_name(v)[0] == 'u')
		abort();
	if (policy_verdict_allows(v))
		policy_conn_open(&pol, &t, now);
	if (word(s, n, 12) & 1)
		policy_conn_close(&pol, &t, now);
	policy_conn_lookup(&pol, &t, now);
	if (pol.learned.live > POLICY_TABLE_ENTRIES || pol.conns.live > POLICY_TABLE_ENTRIES)
		abort();
}

static void line(char *s, size_t n, uint64_t now)
{
	if (n && s[0] == '+')
		add_rule(s + 1);
	else if (n && s[0] == '?')
		policy_check_query(&pol, s + 1);
	else if (n && s[0] == '=')
		policy_learn(&pol, s + 1, word(s, n, 1) ^ 0x0a000000, word(s, n, 5), now);
	else
		traffic(s, n, now);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[4097];
	size_t start = 0;
	uint64_t now = 0;

	if (size > sizeof(buf) - 1)
		return 0;
	policy_init(&pol, 42);
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (size_t i = 0; i <= size; i++) {
		if (i < size && buf[i] != '\n')
			continue;
		buf[i] = '\0';
		line(buf + start, i - start, now);
		now += 997 * (uint8_t)buf[start];
		start = i + 1;
	}
	return 0;
}
