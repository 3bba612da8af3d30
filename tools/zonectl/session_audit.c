/* zonectl's session reports for the audit log (session_audit.h). */
#include "tools/zonectl/session_audit.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tools/zonectl/channel.h"
#include "zones/control/proto.h"

void zs_words_text(char *buf, size_t cap, char *const *words, int n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && len < cap; i++) {
		int w = snprintf(buf + len, cap - len, "%s%s", i ? " " : "", words[i]);

		if (w < 0 || (size_t)w >= cap - len) {
			if (cap > 4)
				memcpy(buf + cap - 4, "...", 4);
			return;
		}
		len += (size_t)w;
	}
}

/* A report the hypervisor refuses is said on stderr and changes nothing else:
 * the session itself already happened. */
static void report(const char *zone, uint32_t event, const char *kind, const char *text,
		   const struct zs_result *r)
{
	struct zctl_session_report s;
	char message[ZCTL_MESSAGE_LEN];

	memset(&s, 0, sizeof(s));
	snprintf(s.name, sizeof(s.name), "%s", zone);
	snprintf(s.kind, sizeof(s.kind), "%s", kind);
	snprintf(s.text, sizeof(s.text), "%s", text);
	s.event = event;
	s.exit_status = r && r->end == ZS_END_EXIT ? r->status : -1;
	if (r) {
		s.bytes_in = r->bytes_in;
		s.bytes_out = r->bytes_out;
	}
	if (channel_call(ZCTL_OP_SESSION, &s, sizeof(s), NULL, 0, 0, NULL, NULL, message) != 0)
		fprintf(stderr, "zonectl: the audit log did not take the %s record: %s\n", kind,
			message);
}

void zs_audit_start(const char *zone, const char *kind, const char *text)
{
	report(zone, ZCTL_SESSION_START, kind, text, NULL);
}

void zs_audit_end(const char *zone, const char *kind, const char *text, struct zs_result r)
{
	report(zone, ZCTL_SESSION_END, kind, text, &r);
}

void zs_audit_cp(const char *zone, const char *kind, const char *src, const char *dst,
		 struct zs_result r)
{
	char text[ZCTL_SESSION_TEXT_LEN];

	snprintf(text, sizeof(text), "%s -> %s", src, dst);
	report(zone, ZCTL_SESSION_CP, kind, text, &r);
}
