/*
 * Native microbenchmark of what the audit log adds to a frame's decision
 * (issue 20, docs/benchmarks.md): the switch's decision path as
 * zones/net/nic.c runs it for one frame of an agent zone, with its audit
 * records (audit_would_block before the frame, nic_audit_* for its outcome,
 * nic_audit_flush into a real log after) over the same path without them
 * (the switch and the deny log alone).  Real code throughout: the switch,
 * the policy, the deny log, nic_audit.c, and the log (zones/audit/log.c via
 * audit.c) in drop mode, drained and acknowledged between chunks of frames
 * as the control zone's drain would, so the ring never fills.
 *
 * Two workloads, each in chunks of CHUNK frames (the zone's policy, and with
 * it conntrack, set up afresh between chunks, untimed, so the table never
 * fills; the deny log goes on):
 *   tcp-mix: a zone opens TCP connections an --allow-cidr rule admits (one
 *   net.admit record each), each then carries 30 frames of data (the last
 *   with FIN), and one frame in DENY_EVERY is to an address no rule allows
 *   (net.deny records for the first DENY_LOG_PER_REASON, a net.deny_summary
 *   at most once a second after).
 *   every-frame-new: every frame a TCP SYN the rule admits, one net.admit each.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zones/audit/reader.h"
#include "zones/net/nic_audit.c" /* not a pure source (it names struct zone): taken whole */
#include "zones/net/packet.h"
#include "zones/zone.h"

#define CHUNK	    2048  /* frames a chunk: conntrack holds them all */
#define CONN_FRAMES 31	  /* a connection's SYN and its 30 data frames */
#define DENY_EVERY  64	  /* one frame in this many denied */
#define ROUNDS	    30	  /* chunks measured each way, each workload; the fastest counts */
#define FRAME_NS    10000 /* the zone's clock: a frame each 10 µs (100,000 frames/s) */
#define RING_BYTES  (CHUNK * AUDIT_LINE_MAX * 2ull)

struct chunk {
	unsigned n;
	uint16_t len[CHUNK];
	uint8_t frame[CHUNK][1514];
};

static struct net_switch sw;
static struct policy pol;
static struct deny_log denials;
static struct nic_deny_summary summary;
static struct nic_audit pending;
static struct switch_out out;
static struct zone agent;
static struct chunk mix, every_new;
static char drain_buf[RING_BYTES];
static uint64_t clock_ns; /* the zone's clock, advanced a frame at a time */
static bool unsealed;	  /* the records formatted, never appended: the estimate below */
static const uint8_t gw_mac[6] = {0x02, 0x5a, 0x56, 0x00, 0x00, 0x01};
static const uint8_t zone_mac[6] = {0x02, 0x5a, 0x56, 0x01, 0x00, 0x00};

#define ZONE_IP 0x0a4d000au /* 10.77.0.10 */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t fixed_us(void)
{
	return 1796500000000000ull; /* 2026-12-07: the records' time does not matter here */
}

static void put32(uint8_t *p, uint32_t v)
{
	pkt_put16(p, (uint16_t)(v >> 16));
	pkt_put16(p + 2, (uint16_t)v);
}

/* An IPv4 frame from the zone to the gateway's MAC: TCP with flags, or UDP
 * when flags is 0; payload bytes of data after the 20-byte L4 header. */
static void add_frame(struct chunk *c, uint32_t dst, uint16_t sport, uint16_t dport, uint8_t flags,
		      unsigned payload)
{
	uint8_t *f = c->frame[c->n], *ip = f + 14, *l4 = ip + 20;
	unsigned l4_len = (flags ? 20 : 8) + payload, total = 20 + l4_len;

	memset(f, 0, sizeof(c->frame[0]));
	memcpy(f, gw_mac, 6);
	memcpy(f + 6, zone_mac, 6);
	pkt_put16(f + 12, 0x0800);
	ip[0] = 0x45;
	pkt_put16(ip + 2, (uint16_t)total);
	ip[8] = 64;
	ip[9] = flags ? PKT_PROTO_TCP : PKT_PROTO_UDP;
	put32(ip + 12, ZONE_IP);
	put32(ip + 16, dst);
	pkt_put16(ip + 10, pkt_ip_checksum(ip, 20));
	pkt_put16(l4, sport);
	pkt_put16(l4 + 2, dport);
	if (flags) {
		l4[12] = 5 << 4; /* data offset: 5 words (RFC 793 3.1) */
		l4[13] = flags;
	} else {
		pkt_put16(l4 + 4, (uint16_t)l4_len);
	}
	c->len[c->n++] = (uint16_t)(14 + total);
}

static void add_denied(struct chunk *c, unsigned i)
{
	add_frame(c, 0xc6336401u, (uint16_t)(40000 + i), 9, 0, 64); /* 198.51.100.1: no rule */
}

/* tcp-mix: connections of CONN_FRAMES frames to 151.101.x.y:443, a denial in DENY_EVERY. */
static void build_mix(struct chunk *c)
{
	unsigned conn = 0, k = 0;

	while (c->n < CHUNK) {
		uint32_t dst = 0x97650000u | (conn & 0xffff);
		uint16_t sport = (uint16_t)(32768 + conn);

		if (c->n % DENY_EVERY == DENY_EVERY - 1) {
			add_denied(c, c->n);
			continue;
		}
		if (k == 0)
			add_frame(c, dst, sport, 443, PKT_TCP_SYN, 0);
		else
			add_frame(c, dst, sport, 443,
				  PKT_TCP_ACK | (k == CONN_FRAMES - 1 ? PKT_TCP_FIN : 0), 1460);
		if (++k == CONN_FRAMES)
			k = 0, conn++;
	}
}

static void build_every_new(struct chunk *c)
{
	for (unsigned i = 0; c->n < CHUNK; i++)
		add_frame(c, 0x97650000u | (i & 0xffff), (uint16_t)(32768 + i), 443, PKT_TCP_SYN,
			  0);
}

static void policy_fresh(void)
{
	char err[128];

	policy_init(&pol, 0x9e3779b97f4a7c15ull);
	if (policy_add_rule(&pol, "151.101.0.0/16:443", err, sizeof(err))) {
		fprintf(stderr, "bench_audit_decision: %s\n", err);
		exit(1);
	}
}

/* One frame as nic.c's on_agent_tx decides it, under what would be net_lock. */
static void decide(const uint8_t *frame, size_t len, bool records)
{
	uint64_t ms = clock_ns / 1000000;

	if (records) { /* hold_new_check(), before net_lock */
		struct audit_source src = nic_audit_source(&agent);

		sw.port[0].hold_new = audit_would_block(&src);
	}
	switch_from_agent(&sw, 0, frame, len, ms, &out);
	if (out.reason != SWITCH_PASS) {
		bool kept = deny_log_add(&denials, &out, ms);

		if (records)
			nic_audit_deny(&pending, &agent, &out, &denials, kept, &summary, ms);
	} else if (out.admitted && records) {
		nic_audit_admit(&pending, &agent, &out);
	}
	if (records && unsealed) /* what a log that seals on the drain's side would leave */
		pending.count = 0;
	else if (records) /* lines_print(), after net_lock */
		nic_audit_flush(&pending);
	clock_ns += FRAME_NS;
}

/* The control zone's drain: everything read and acknowledged.  Returns the records. */
static uint64_t drain(void)
{
	static uint64_t since; /* acknowledged records stay readable until overwritten */
	uint64_t first, next = 0, records = 0;
	size_t n;

	while ((n = audit_read(since, drain_buf, sizeof(drain_buf), &first, &next)) > 0) {
		for (size_t i = 0; i < n; i++)
			records += drain_buf[i] == '\n';
		audit_ack(next);
		since = next;
	}
	return records;
}

/* The fastest of ROUNDS chunks, ns a frame, with or without records; *records: made in all. */
static double chunk_ns(const struct chunk *c, bool records, uint64_t *made)
{
	uint64_t best = UINT64_MAX;

	for (int r = 0; r < ROUNDS; r++) {
		uint64_t t0, t;

		policy_fresh();
		drain();
		t0 = now_ns();
		for (unsigned i = 0; i < c->n; i++)
			decide(c->frame[i], c->len[i], records);
		t = now_ns() - t0;
		if (t < best)
			best = t;
		if (records)
			*made += drain();
	}
	return (double)best / c->n;
}

/* Records on over off for c; the two alternate so the machine's noise hits both. */
static double ratio(const struct chunk *c, const char *name)
{
	double off = 1e30, on = 1e30, fmt;
	uint64_t made = 0, dummy = 0;
	struct audit_stats st;

	for (int pass = 0; pass < 3; pass++) {
		double a = chunk_ns(c, false, &dummy), b = chunk_ns(c, true, &made);

		off = a < off ? a : off;
		on = b < on ? b : on;
	}
	audit_stats(&st);
	if (st.lost || !made) {
		fprintf(stderr, "bench_audit_decision: %s: %llu records, %llu lost\n", name,
			(unsigned long long)made, (unsigned long long)st.lost);
		exit(1);
	}
	unsealed = true;
	fmt = chunk_ns(c, true, &dummy);
	unsealed = false;
	printf("== %s: %.0f ns a frame without records, %.0f ns with (%.3f records a frame), "
	       "%.0f ns with them formatted but not appended\n",
	       name, off, on, (double)made / (3.0 * ROUNDS * c->n), fmt);
	return on / off;
}

int main(void)
{
	struct audit_config cfg = {RING_BYTES, AUDIT_FULL_DROP, 100, malloc(RING_BYTES), fixed_us};
	double mix_ratio, new_ratio;

	if (!cfg.ring)
		return 1;
	audit_init(&cfg);
	snprintf(agent.name, sizeof(agent.name), "agent-1");
	agent.id = 7;
	policy_fresh();
	deny_log_init(&denials);
	if (switch_init(&sw, 0x0a4d0000u, gw_mac) ||
	    switch_add_port(&sw, zone_mac, ZONE_IP, &pol)) {
		fprintf(stderr, "bench_audit_decision: no switch\n");
		return 1;
	}
	build_mix(&mix);
	build_every_new(&every_new);
	mix_ratio = ratio(&mix, "tcp-mix");
	new_ratio = ratio(&every_new, "every-frame-new");
	printf("bench: audit_decision_cost_ratio %.2f (native, tcp-mix: a SYN admitted by "
	       "--allow-cidr then 30 data frames, 1 frame in %d denied; goal <= 1.2)\n",
	       mix_ratio, DENY_EVERY);
	printf("bench: audit_decision_cost_ratio_every_frame_new %.2f (native, every frame a "
	       "new admitted connection: one net.admit record each)\n",
	       new_ratio);
	return 0;
}
