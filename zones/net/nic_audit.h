/* The audit records the agent network's frames make, formatted under the network lock into a
 * short pending list and appended to the log once it is released (docs/audit.md). */
#ifndef ZV_NET_NIC_AUDIT_H
#define ZV_NET_NIC_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/config.h"
#include "zones/audit/audit.h"
#include "zones/net/deny_log.h"
#include "zones/net/switch.h"

struct zone;

#define NIC_AUDIT_PENDING    3	  /* per frame: its own record and two device refusals */
#define NIC_AUDIT_SUMMARY_MS 1000 /* a summary of what was only counted, at most this often */

struct nic_audit_record {
	char zone[ZV_CONF_NAME_LEN]; /* a copy: the zone may be gone by the append */
	uint32_t zone_id;
	const char *type; /* a string constant */
	struct audit_fields f;
};

/* One sender's pending records: under its tx_lock, like its console lines. */
struct nic_audit {
	unsigned count;
	struct nic_audit_record rec[NIC_AUDIT_PENDING];
};

/* A NIC's summaries of the denials its deny log only counted: under net_lock. */
struct nic_deny_summary {
	uint64_t last_ms;    /* when the last summary was made */
	uint64_t summarised; /* deny_log_unrecorded() then */
};

/* A deny the deny log kept (net.deny), or only counted (a net.deny_summary
 * of those since the last, once a NIC_AUDIT_SUMMARY_MS has passed).  Under net_lock. */
void nic_audit_deny(struct nic_audit *a, const struct zone *z, const struct switch_out *o,
		    const struct deny_log *log, bool kept, struct nic_deny_summary *s,
		    uint64_t now_ms);
/* A new connection the switch admitted (net.admit).  Under net_lock. */
void nic_audit_admit(struct nic_audit *a, const struct zone *z, const struct switch_out *o);
/* A DNS answer delivered to zone z (net.resolved).  Under net_lock. */
void nic_audit_resolved(struct nic_audit *a, const struct zone *z, const struct switch_out *o);
/* A malformed request the device model refused (device.refused).  Under a device lock. */
void nic_audit_refused(struct nic_audit *a, const struct zone *z, const char *device,
		       const char *why);
/* Appends the pending records, in order; no lock held but the sender's tx_lock. */
void nic_audit_flush(struct nic_audit *a);

/* The source a zone's records count against. */
struct audit_source nic_audit_source(const struct zone *z);

#endif
