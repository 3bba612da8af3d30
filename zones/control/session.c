/* SESSION: zonectl's report of a session with a zone's agent (exec, run, attach, cp), kept as
 * an audit record in the zone's name (docs/sessions.md, docs/audit_records.md). */
#include "zones/control/internal.h"

#include "zones/audit/audit.h"
#include "zones/control/check.h"

static const char *const record_type[ZCTL_SESSION_EVENT_COUNT] = {
	[ZCTL_SESSION_START] = "session.start",
	[ZCTL_SESSION_END] = "session.end",
	[ZCTL_SESSION_CP] = "session.cp",
};

/* The zone's agent is inside the zone and the stream is the zone's to shape:
 * what ran and what moved is what zonectl saw and reports.  The relay's own
 * view (connections opened and reset) is the hypervisor's. */
int ctl_op_session(struct request *q, const struct zctl_session_report *s)
{
	static struct audit_fields f; /* 1 KiB: not on the stack; under ctl.lock */
	const char *why = zctl_check_session(s);
	struct audit_source src;
	struct record *r;
	int err = 0;

	if (why)
		return ctl_refuse(q, ZCTL_E_BAD_REQUEST, "%s", why);
	r = ctl_named(q, s->name, &err);
	if (!r)
		return err;
	audit_fields_init(&f);
	audit_str(&f, "kind", s->kind);
	if (s->event != ZCTL_SESSION_START) {
		audit_i64(&f, "exit_status", s->exit_status);
		audit_u64(&f, "bytes_in", s->bytes_in);
		audit_u64(&f, "bytes_out", s->bytes_out);
	}
	audit_u64(&f, "uid", q->hdr.who.uid);
	audit_u64(&f, "pid", q->hdr.who.pid);
	audit_str(&f, s->event == ZCTL_SESSION_CP ? "paths" : "command",
		  s->text); /* last: longest */
	src = (struct audit_source){r->name, r->zone_id};
	audit_append(&src, record_type[s->event], &f);
	return 0;
}
