/* The audit records of a zone's life as the control channel keeps it: started, fault,
 * stopped, wiped, removed, and its console output up to a quota (docs/audit.md). */
#include "zones/control/internal.h"

#include "hv/lib/string.h"
#include "zones/audit/audit.h"

#define CONSOLE_QUOTA (64u << 10) /* console bytes recorded per zone; then one cut record */

static struct audit_fields f; /* 1 KiB: not on the stack; under ctl.lock */

static void append(const struct record *r, const char *type)
{
	struct audit_source src = {r->name, r->zone_id};

	audit_append(&src, type, &f);
}

/* On the BSP, inside RUN (ctl.lock held: the log takes only its own). */
void ctl_audit_started(const struct record *r)
{
	audit_fields_init(&f);
	audit_u64(&f, "cpus", r->vcpus);
	audit_u64(&f, "cpu_mask", r->cpu_mask);
	audit_u64(&f, "memory", r->mem_bytes);
	audit_str(&f, "image", r->image);
	if (r->image[0])
		audit_hex(&f, "image_sha256", r->image_sha256, sizeof(r->image_sha256));
	audit_u64(&f, "overhead", r->overhead_bytes);
	audit_str(&f, "allow", r->allow); /* canonical; last, as the longest */
	append(r, "zone.started");
}

/* Zone CPU, every vCPU stopped, r filled (ctl.lock held).  A fault gets its
 * own record first, so a reader can look for faults alone. */
void ctl_audit_stopped(const struct record *r, bool fault)
{
	if (fault) {
		audit_fields_init(&f);
		audit_str(&f, "reason", r->reason);
		append(r, "zone.fault");
	}
	audit_fields_init(&f);
	audit_str(&f, "reason", r->reason);
	audit_i64(&f, "exit_status", r->exit_status);
	audit_u64(&f, "uptime_us", ctl_tsc_to_us(r->end_tsc - r->start_tsc));
	audit_u64(&f, "exits", r->exits);
	audit_u64(&f, "net_allowed", r->net.allowed);
	audit_u64(&f, "net_denied", r->net.denied);
	audit_u64(&f, "console_bytes", r->log_total);
	audit_u64(&f, "console_unrecorded", r->console_unaudited);
	append(r, "zone.stopped");
	if (r->denials && deny_log_unrecorded(r->denials))
		ctl_audit_deny_totals(r);
}

/* What the deny records only counted, by reason, once the zone stopped:
 * the summaries during its life (zones/net/nic.c) said how many so far. */
void ctl_audit_deny_totals(const struct record *r)
{
	const struct deny_log *log = r->denials;

	audit_fields_init(&f);
	audit_u64(&f, "denied", log->total);
	audit_u64(&f, "unrecorded", deny_log_unrecorded(log));
	for (unsigned i = 0; i < SWITCH_REASON_COUNT; i++)
		if (log->reason[i].count)
			audit_u64(&f, switch_reason_name(i), log->reason[i].count);
	audit_str(&f, "final", "zone stopped");
	append(r, "net.deny_summary");
}

/* Zone CPU, after the wipe (ctl.lock held). */
void ctl_audit_wiped(const struct record *r, uint64_t bytes)
{
	audit_fields_init(&f);
	audit_u64(&f, "bytes", bytes);
	append(r, "zone.wiped");
}

/* rm, or an auto-rm zone's end (ctl.lock held). */
void ctl_audit_removed(const struct record *r)
{
	audit_fields_init(&f);
	append(r, "zone.removed");
}

/* One console line (ctl.lock held), while the zone's quota lasts: the line
 * that reaches it is the last recorded, and a record says so. */
void ctl_audit_console(struct record *r, const char *line)
{
	size_t n = zv_strlen(line) + 1; /* its newline */

	if (r->console_audited >= CONSOLE_QUOTA) {
		r->console_unaudited += n;
		return;
	}
	audit_fields_init(&f);
	audit_str(&f, "text", line);
	append(r, "zone.console");
	r->console_audited += n;
	if (r->console_audited < CONSOLE_QUOTA)
		return;
	audit_fields_init(&f);
	audit_u64(&f, "recorded", r->console_audited);
	audit_u64(&f, "quota", CONSOLE_QUOTA);
	append(r, "zone.console_cut");
}
