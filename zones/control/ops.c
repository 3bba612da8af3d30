/* The PS, LOGS, STOP, RM, STATS and DENIALS requests over the zone records (docs/control.md). */
#include "zones/control/internal.h"
#include <stdarg.h>

#include "hv/console.h"
#include "hv/lib/fmt.h"
#include "hv/lib/string.h"
#include "hv/mem.h"
#include "hv/palloc.h"
#include "hv/percpu.h"
#include "hv/spinlock.h"
#include "hv/time.h"
#include "zones/control/check.h"
#include "zones/net/deny_log.h"
#include "zones/net/nic.h"
#include "zones/session/vsock_relay.h"
#include "zones/spawn.h"
#include "zones/zone.h"

/* ---- PS, LOGS, STOP, RM, STATS ---------------------------------------------- */

uint64_t ctl_tsc_to_us(uint64_t d)
{
	uint64_t khz = tsc_khz();

	return d / khz * 1000 + d % khz * 1000 / khz;
}

void ctl_fill_zone(const struct record *r, struct zctl_zone *o)
{
	uint64_t end = r->state == ZCTL_STATE_RUNNING ? rdtsc() : r->end_tsc;

	zv_memset(o, 0, sizeof(*o));
	zv_strlcpy(o->name, r->name, sizeof(o->name));
	o->state = r->state;
	o->exit_status = r->exit_status;
	o->mem_bytes = r->mem_bytes;
	o->vcpus = r->vcpus;
	o->cpu_mask = r->cpu_mask;
	o->uptime_us = ctl_tsc_to_us(end - r->start_tsc);
	o->exits = r->zone ? ctl_zone_exits(r->zone) : r->exits;
	o->overhead_bytes = r->overhead_bytes;
	zv_strlcpy(o->reason, r->reason, sizeof(o->reason));
	if (r->zone)
		ctl_net_figures(r->zone, &o->net);
	else
		o->net = r->net;
	zv_strlcpy(o->allow, r->allow, sizeof(o->allow));
	ctl_fill_storage(r, o);
	o->cid = r->zone ? zone_vsock_cid(r->zone) : 0;
}

int ctl_op_ps(struct request *q)
{
	struct zctl_ps *ps = ctl_reply_body();

	zv_memset(ps, 0, sizeof(*ps));
	for (unsigned i = 0; i < ZCTL_MAX_ZONES; i++)
		if (ctl.records[i].used)
			ctl_fill_zone(&ctl.records[i], &ps->zones[ps->count++]);
	q->reply_len = sizeof(*ps);
	return 0;
}

struct record *ctl_named(struct request *q, const char name[ZCTL_NAME_LEN], int *err)
{
	const char *why = zctl_check_name(name);
	struct record *r;

	if (why) {
		*err = ctl_refuse(q, ZCTL_E_BAD_REQUEST, "%s", why);
		return NULL;
	}
	r = ctl_find_record(name);
	if (!r)
		*err = ctl_refuse(q, ZCTL_E_NO_ZONE, "no zone named %s (zonectl ps lists them)",
				  name);
	return r;
}

int ctl_op_logs(struct request *q, const struct zctl_logs_req *lr)
{
	struct zctl_logs *o = ctl_reply_body();
	int err = 0;
	struct record *r = ctl_named(q, lr->name, &err);
	uint64_t from, n;

	if (!r)
		return err;
	from = lr->offset;
	if (from > r->log_total)
		from = r->log_total;
	if (r->log_total - from > LOG_BYTES)
		from = r->log_total - LOG_BYTES; /* older bytes were overwritten */
	n = r->log_total - from;
	*o = (struct zctl_logs){.offset = from,
				.next = from + n,
				.len = (uint32_t)n,
				.state = r->state,
				.exit_status = r->exit_status};
	for (uint64_t i = 0; i < n; i++)
		((char *)(o + 1))[i] = r->log[(from + i) % LOG_BYTES];
	q->reply_len = (uint32_t)(sizeof(*o) + n);
	return 0;
}

int ctl_op_stop(struct request *q, const struct zctl_name *nm)
{
	int err = 0;
	struct record *r = ctl_named(q, nm->name, &err);

	if (!r)
		return err;
	if (r->zone)
		zone_stop(r->zone, "stopped by zonectl");
	return 0;
}

int ctl_op_rm(struct request *q, const struct zctl_name *nm)
{
	int err = 0;
	struct record *r = ctl_named(q, nm->name, &err);

	if (!r)
		return err;
	if (r->state != ZCTL_STATE_EXITED)
		return ctl_refuse(q, ZCTL_E_STATE,
				  "zone %s is %s (zonectl stop %s first, or zonectl rm -f %s)",
				  r->name,
				  r->state == ZCTL_STATE_RUNNING ? "running" : "still being wiped",
				  r->name, r->name);
	ctl_defer_wipe(ctl_forget(r)); /* wiped before the reply, outside ctl.lock */
	return 0;
}

int ctl_op_stats(struct request *q)
{
	struct zctl_stats *s = ctl_reply_body();

	zv_memset(s, 0, sizeof(*s));
	s->pool_total_bytes = mem_total_bytes();
	s->pool_free_bytes = mem_free_bytes();
	s->cpus = cpu_count;
	s->cpus_free = ctl_free_cpus(NULL, 0);
	s->zones_started = ctl.zones_started;
	s->exits = ctl.ended_exits;
	s->overhead_bytes = ctl.last_overhead;
	for (unsigned i = 0; i < ZCTL_MAX_ZONES; i++) {
		if (!ctl.records[i].used)
			continue;
		s->zones++;
		s->zones_running += ctl.records[i].state == ZCTL_STATE_RUNNING;
		if (ctl.records[i].zone)
			s->exits += ctl_zone_exits(ctl.records[i].zone);
	}
	q->reply_len = sizeof(*s);
	return 0;
}

/* ---- DENIALS ----------------------------------------------------------------- */

_Static_assert((int)PKT_KIND_ARP == (int)ZCTL_FRAME_ARP &&
		       (int)PKT_KIND_IPV4 == (int)ZCTL_FRAME_IPV4 &&
		       (int)PKT_KIND_IPV6 == (int)ZCTL_FRAME_IPV6 &&
		       (int)PKT_KIND_VLAN == (int)ZCTL_FRAME_VLAN,
	       "zctl_frame_kind mirrors enum pkt_kind");

/* The deny records asked for: the uplink's, a running zone's (copied under
 * the network lock) or an exited zone's; NULL with the error written. */
static const struct deny_log *find_denials(struct request *q, const struct zctl_denials_req *d,
					   int *err)
{
	static struct deny_log live; /* 31 KiB: not on the stack */
	struct record *r;

	if (d->flags & ZCTL_DENIALS_UPLINK) {
		if (zone_nic_denials(q->cz, &live))
			return &live;
		*err = ctl_refuse(q, ZCTL_E_NO_ZONE, "the control zone has no uplink");
		return NULL;
	}
	r = ctl_named(q, d->name, err);
	if (!r)
		return NULL;
	if (r->zone && zone_nic_denials(r->zone, &live))
		return &live;
	if (r->denials)
		return r->denials;
	deny_log_init(&live); /* a zone without a NIC was denied nothing */
	return &live;
}

static void fill_frame(struct zctl_frame *o, const struct deny_frame *f)
{
	o->kind = f->kind;
	o->proto = f->proto;
	o->icmp_type = f->icmp_type;
	o->from_uplink = f->from_uplink;
	o->port = f->port;
	o->src_port = f->src_port;
	o->dst_port = f->dst_port;
	o->src_ip = f->src_ip;
	o->dst_ip = f->dst_ip;
	zv_memcpy(o->src_mac, f->src_mac, sizeof(o->src_mac));
	zv_memcpy(o->dst_mac, f->dst_mac, sizeof(o->dst_mac));
}

/* The reasons with a count, in the switch's order; how many. */
static uint32_t fill_reasons(const struct deny_log *log, struct zctl_deny_reason *o)
{
	uint32_t n = 0;

	for (unsigned r = 0; r < SWITCH_REASON_COUNT; r++) {
		const struct deny_reason_summary *s = &log->reason[r];

		if (!s->count)
			continue;
		zv_memset(&o[n], 0, sizeof(o[n]));
		zv_strlcpy(o[n].reason, switch_reason_name(r), sizeof(o[n].reason));
		o[n].count = s->count;
		o[n].first_ms = s->first_ms;
		o[n].last_ms = s->last_ms;
		o[n].kept = s->kept;
		fill_frame(&o[n++].last, &s->last);
	}
	return n;
}

static void fill_records(const struct deny_log *log, struct zctl_deny_record *o)
{
	for (uint32_t i = 0; i < log->recorded; i++) {
		const struct deny_record *r = &log->records[i];

		zv_memset(&o[i], 0, sizeof(o[i]));
		o[i].time_ms = r->time_ms;
		zv_strlcpy(o[i].reason, switch_reason_name(r->reason), sizeof(o[i].reason));
		fill_frame(&o[i].frame, &r->frame);
		zv_strlcpy(o[i].name, r->name, sizeof(o[i].name));
	}
}

int ctl_op_denials(struct request *q, const struct zctl_denials_req *d)
{
	struct zctl_denials *o = ctl_reply_body();
	struct zctl_deny_reason *reasons = (struct zctl_deny_reason *)(o + 1);
	const char *why = zctl_check_denials(d);
	const struct deny_log *log;
	int err = 0;

	if (why)
		return ctl_refuse(q, ZCTL_E_BAD_REQUEST, "%s", why);
	log = find_denials(q, d, &err);
	if (!log)
		return err;
	zv_memset(o, 0, sizeof(*o));
	o->now_ms = time_ns() / 1000000;
	o->denied = log->total;
	o->unrecorded = deny_log_unrecorded(log);
	o->per_reason = DENY_LOG_PER_REASON;
	o->reasons = fill_reasons(log, reasons);
	o->records = log->recorded;
	fill_records(log, (struct zctl_deny_record *)(reasons + o->reasons));
	q->reply_len = (uint32_t)(sizeof(*o) + o->reasons * sizeof(*reasons) +
				  o->records * sizeof(struct zctl_deny_record));
	return 0;
}
