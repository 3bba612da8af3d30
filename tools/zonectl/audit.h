/* zonectl audit: read, follow, verify and drain the hypervisor's audit log (audit.c). */
#ifndef ZV_ZONECTL_AUDIT_H
#define ZV_ZONECTL_AUDIT_H

/* Where control-init's drain writes, or a link to it (docs/audit.md). */
#define ZC_AUDIT_FILE "/run/zonevisor/audit.jsonl"

/* zonectl audit ... (ARGV[0] is "audit"). */
int cmd_audit(int argc, char **argv);

#endif
