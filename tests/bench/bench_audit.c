/*
 * Native microbenchmark of the audit log (issue 20, docs/audit.md): how fast
 * the hypervisor's log (zones/audit/log.c) appends records (on the sending
 * zone's CPU: formatted and copied into the ring), how fast it seals them
 * into the RFC 6962 tree (on the reader's side: the control zone's drain),
 * and how fast zonectl's verifier
 * (tools/zonectl/audit_verify.c) rechecks a drained log of them.  Records
 * look like the network's net.admit (a 5-tuple and a rule).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/zonectl/audit_verify.c" /* zonectl's verifier, as tests/unit/test_zonectl.c takes it */
#include "zones/audit/log.h"

#define RECORDS 20000

static struct audit_log log_;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t fixed_us(void)
{
	return 1796500000000000ull; /* 2026-12-07: the time does not matter here */
}

static void append_all(void)
{
	static const struct audit_source zone = {"agent-1", 7};
	struct audit_fields f;
	char dst[32];

	for (unsigned i = 0; i < RECORDS; i++) {
		audit_fields_init(&f);
		audit_str(&f, "proto", "tcp");
		audit_str(&f, "src", "10.77.0.10:40000");
		snprintf(dst, sizeof(dst), "151.101.%u.%u:443", i >> 8 & 0xff, i & 0xff);
		audit_str(&f, "dst", dst);
		audit_str(&f, "rule", "deb.debian.org:443");
		if (!audit_log_append(&log_, &zone, "net.admit", &f)) {
			fprintf(stderr, "bench_audit: append %u refused\n", i);
			exit(1);
		}
	}
}

int main(void)
{
	size_t cap = (size_t)RECORDS * AUDIT_LINE_MAX, len = 0;
	struct audit_config c = {cap * 2, AUDIT_FULL_DROP, 100, malloc(cap * 2), fixed_us};
	char *buf = malloc(cap), why[AV_WHY_LEN];
	uint64_t first, next = 0, t0, t1, t2, t3;
	struct audit_head head;
	struct av_line *lines;
	struct av_tree tree;
	long n;

	if (!c.ring || !buf || !audit_log_init(&log_, &c))
		return 1;
	t0 = now_ns();
	append_all();
	t1 = now_ns();
	audit_log_head(&log_, &head); /* seals all */
	t2 = now_ns();
	while ((n = (long)audit_log_read(&log_, next, buf + len, cap - len, &first, &next)) > 0)
		len += (size_t)n;
	t3 = now_ns();
	n = av_split(buf, len, &lines);
	if (n != RECORDS || av_verify(lines, (size_t)n, &tree, why) != 0) {
		fprintf(stderr, "bench_audit: %ld lines do not verify: %s\n", n, why);
		return 1;
	}
	printf("== audit log: %d net.admit records, native\n", RECORDS);
	printf("bench: audit_append_records_per_s %.0f (formatted and copied, not yet sealed)\n",
	       RECORDS * 1e9 / (double)(t1 - t0));
	printf("bench: audit_seal_records_per_s %.0f (each into the tree, on the drain's side)\n",
	       RECORDS * 1e9 / (double)(t2 - t1));
	printf("bench: audit_verify_records_per_s %.0f\n", RECORDS * 1e9 / (double)(now_ns() - t3));
	free(lines);
	return 0;
}
