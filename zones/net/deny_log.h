/* A zone's deny records: every reason counted with its first and last time, the first few
 * denials of each reason kept in detail; one reason's flood pushes out no other's. */
#ifndef ZV_NET_DENY_LOG_H
#define ZV_NET_DENY_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "zones/net/switch.h"

/*
 * Pure C, no allocation, no locking: the caller owns the struct and
 * serialises calls (zones/net/nic.c: under its network lock).  Nothing here
 * writes to a console: the records are read through the control channel
 * (zonectl denials, docs/zonectl.md).
 *
 * Budgets: DENY_LOG_RECORDS detailed records in all, at most
 * DENY_LOG_PER_REASON of each reason (its first ones), so a zone that
 * floods one reason leaves room for the first records of at least
 * DENY_LOG_RECORDS / DENY_LOG_PER_REASON other reasons.  Past its budget a
 * reason is summarised, never silenced: its count, its first and last
 * time and its last frame go on being updated.
 */
#define DENY_LOG_RECORDS    96
#define DENY_LOG_PER_REASON 8

/* What a denied frame was, as far as it parsed (the fields of struct switch_out). */
struct deny_frame {
	uint8_t kind; /* enum pkt_kind */
	uint8_t proto, icmp_type;
	bool from_uplink;
	int32_t port; /* the agent port concerned, or -1 */
	uint16_t src_port, dst_port;
	uint32_t src_ip, dst_ip;
	uint8_t src_mac[PKT_MAC_LEN], dst_mac[PKT_MAC_LEN];
};

struct deny_record {
	uint64_t time_ms;
	uint8_t reason; /* enum switch_reason */
	struct deny_frame frame;
	char name[DNS_NAME_MAX + 1]; /* the DNS question, or "" */
};

struct deny_reason_summary {
	uint64_t count; /* denials of this reason, all of them */
	uint64_t first_ms, last_ms;
	uint32_t kept;		/* of them in records[] */
	struct deny_frame last; /* the latest one */
};

struct deny_log {
	uint64_t total;	   /* denials, all reasons */
	uint32_t recorded; /* records[0 .. recorded) are used, in order of arrival */
	struct deny_reason_summary reason[SWITCH_REASON_COUNT];
	struct deny_record records[DENY_LOG_RECORDS];
};

/* Empties log. */
void deny_log_init(struct deny_log *log);

/* Counts the deny out describes (out->reason != SWITCH_PASS; a pass or an
 * unknown reason is ignored) at now_ms, and keeps it in detail if its
 * reason's budget and the store have room.  Returns true if kept in detail. */
bool deny_log_add(struct deny_log *log, const struct switch_out *out, uint64_t now_ms);

/* Denials counted but not kept in detail. */
uint64_t deny_log_unrecorded(const struct deny_log *log);

#endif
