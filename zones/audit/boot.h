/* Starting the audit log at boot: its ring from the pool, its clock, its first records. */
#ifndef ZV_AUDIT_BOOT_H
#define ZV_AUDIT_BOOT_H

struct zv_bootinfo;
struct zv_config;

/* After mem_init and the config: sets the log up as conf says (audit_ring,
 * audit_full, audit_share) and writes the hypervisor.boot records.  A pool
 * too small for the ring leaves the log off and says so on the console. */
void audit_start(const struct zv_bootinfo *bi, const struct zv_config *conf);

#endif
