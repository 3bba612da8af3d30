/* A zone's deny records with per-reason budgets (pure; host-tested in test_deny_log.c). */
#include "zones/net/deny_log.h"

#include "hv/lib/string.h"

void deny_log_init(struct deny_log *log)
{
	zv_memset(log, 0, sizeof(*log));
}

static void describe(struct deny_frame *f, const struct switch_out *out)
{
	zv_memset(f, 0, sizeof(*f));
	f->kind = (uint8_t)out->kind;
	f->proto = out->proto;
	f->icmp_type = out->icmp_type;
	f->from_uplink = out->from_uplink;
	f->port = out->port;
	f->src_port = out->src_port;
	f->dst_port = out->dst_port;
	f->src_ip = out->src_ip;
	f->dst_ip = out->dst_ip;
	zv_memcpy(f->src_mac, out->src_mac, PKT_MAC_LEN);
	zv_memcpy(f->dst_mac, out->dst_mac, PKT_MAC_LEN);
}

static void count(struct deny_reason_summary *s, const struct switch_out *out, uint64_t now_ms)
{
	if (s->count++ == 0)
		s->first_ms = now_ms;
	s->last_ms = now_ms;
	describe(&s->last, out);
}

static bool keep(struct deny_log *log, struct deny_reason_summary *s, const struct switch_out *out,
		 uint64_t now_ms)
{
	struct deny_record *r;

	if (s->kept >= DENY_LOG_PER_REASON || log->recorded >= DENY_LOG_RECORDS)
		return false;
	r = &log->records[log->recorded++];
	s->kept++;
	r->time_ms = now_ms;
	r->reason = (uint8_t)out->reason;
	describe(&r->frame, out);
	zv_strlcpy(r->name, out->name, sizeof(r->name));
	return true;
}

bool deny_log_add(struct deny_log *log, const struct switch_out *out, uint64_t now_ms)
{
	struct deny_reason_summary *s;

	if (out->reason == SWITCH_PASS || (unsigned)out->reason >= SWITCH_REASON_COUNT)
		return false;
	s = &log->reason[out->reason];
	log->total++;
	count(s, out, now_ms);
	return keep(log, s, out, now_ms);
}

uint64_t deny_log_unrecorded(const struct deny_log *log)
{
	return log->total - log->recorded;
}
