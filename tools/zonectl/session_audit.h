/* zonectl's reports of its sessions to the hypervisor's audit log (ZCTL_OP_SESSION,
 * docs/sessions.md): the hypervisor relays the session stream but cannot read it, so what
 * ran, its status and what was copied come from here.  Never an environment value or a
 * secret: the command's words and paths only. */
#ifndef ZV_ZONECTL_SESSION_AUDIT_H
#define ZV_ZONECTL_SESSION_AUDIT_H

#include <stddef.h>

#include "tools/zonectl/session_client.h"

/* N WORDS joined by spaces into BUF (CAP bytes), cut with "..." when they do not fit;
 * "" for none. */
void zs_words_text(char *buf, size_t cap, char *const *words, int n);

/* Reports that a session of KIND ("exec", "run", "attach") started TEXT in ZONE. */
void zs_audit_start(const char *zone, const char *kind, const char *text);
/* Reports how it ended (R's status, -1 without one, and bytes each way). */
void zs_audit_end(const char *zone, const char *kind, const char *text, struct zs_result r);
/* Reports a copy of KIND ("cp-in", "cp-out") from SRC to DST that exited STATUS. */
void zs_audit_cp(const char *zone, const char *kind, const char *src, const char *dst,
		 struct zs_result r);

#endif
