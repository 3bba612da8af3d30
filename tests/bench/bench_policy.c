/* Native microbenchmark of the network allowlist: lookups per second as rules grow 10 to 10,000. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "zones/net/policy.h"

#define QUERIES	  1024	       /* a mixed workload, walked round and round */
#define MIN_NS	  300000000ull /* measure each figure for at least 0.3 s */
#define LEARN_MAX 1500	       /* names learned: 2 entries each, under POLICY_TABLE_ENTRIES */

static struct policy pol;
static uint32_t ip_q[QUERIES];
static uint16_t port_q[QUERIES];
static char name_q[QUERIES][80];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void add(const char *rule)
{
	char err[256];

	if (policy_add_rule(&pol, rule, err, sizeof(err))) {
		fprintf(stderr, "bench_policy: %s\n", err);
		exit(1);
	}
}

static uint32_t cidr_net(int i, int plen)
{
	uint32_t ip = 10u << 24 | (uint32_t)i * 2654435761u >> 8;

	return ip & ~0u << (32 - plen);
}

/* A third each: exact names, wildcards, CIDRs of prefix lengths 16 to 32. */
static void build(int n)
{
	char rule[96];

	policy_init(&pol, 0x9e3779b97f4a7c15ull);
	for (int i = 0; i < n; i++) {
		uint32_t net = cidr_net(i, 16 + i % 17);

		if (i % 3 == 0)
			snprintf(rule, sizeof(rule), "h%d.bench.test:443", i);
		else if (i % 3 == 1)
			snprintf(rule, sizeof(rule), "*.d%d.bench.test:443", i);
		else
			snprintf(rule, sizeof(rule), "%u.%u.%u.%u/%d:443", net >> 24,
				 net >> 16 & 0xff, net >> 8 & 0xff, net & 0xff, 16 + i % 17);
		add(rule);
	}
	for (int i = 0; i < n && i / 3 < LEARN_MAX; i += 3) {
		snprintf(rule, sizeof(rule), "h%d.bench.test", i);
		policy_learn(&pol, rule, 172u << 24 | (uint32_t)i, 3600, 0);
	}
}

/* A quarter each: CIDR hits, learned hits, wrong port, no rule at all. */
static void workload(int n)
{
	for (int q = 0; q < QUERIES; q++) {
		int i = (q * 7919) % n, c = i - i % 3 + 2 < n ? i - i % 3 + 2 : 2;
		int l = i % (n < 3 * LEARN_MAX ? n : 3 * LEARN_MAX) / 3 * 3; /* a learned name */

		port_q[q] = 443;
		switch (q % 4) {
		case 0: ip_q[q] = cidr_net(c, 32); break;
		case 1: ip_q[q] = 172u << 24 | (uint32_t)l; break;
		case 2: ip_q[q] = 172u << 24 | (uint32_t)l, port_q[q] = 80; break;
		default: ip_q[q] = 192u << 24 | (uint32_t)q; break;
		}
		if (q % 3 == 0)
			snprintf(name_q[q], sizeof(name_q[q]), "H%d.Bench.Test", i - i % 3);
		else if (q % 3 == 1)
			snprintf(name_q[q], sizeof(name_q[q]), "a.b.c.d%d.bench.test",
				 i - i % 3 + 1);
		else
			snprintf(name_q[q], sizeof(name_q[q]), "x%d.elsewhere.example.org", q);
	}
}

static double rate(int names)
{
	uint64_t start = now_ns(), elapsed, ops = 0;
	volatile unsigned sink = 0;

	do {
		for (int q = 0; q < QUERIES; q++) {
			if (names)
				sink += policy_name_allowed(&pol, name_q[q]);
			else
				sink += policy_check_new(&pol, POLICY_PROTO_TCP, ip_q[q], port_q[q],
							 1000);
		}
		ops += QUERIES;
		elapsed = now_ns() - start;
	} while (elapsed < MIN_NS);
	return (double)ops * 1e9 / (double)elapsed;
}

int main(void)
{
	static const int sizes[] = {10, 100, 1000, 10000};

	for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		build(sizes[s]);
		workload(sizes[s]);
		printf("bench: policy_lookup_pps rules=%d pps=%.0f\n", sizes[s], rate(0));
		printf("bench: policy_name_lps rules=%d lps=%.0f\n", sizes[s], rate(1));
	}
	return 0;
}
