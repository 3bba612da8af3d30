/*
 * The audit log's other side (issue 20): setting it up at boot, reading its
 * records out for the control zone's drain, and its head and counters.  The
 * writers' side is zones/audit/audit.h.
 */
#ifndef ZV_AUDIT_READER_H
#define ZV_AUDIT_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zones/audit/audit.h"

/* What the ring does when unacknowledged records fill it (or a zone's share). */
enum audit_full {
	AUDIT_FULL_BLOCK, /* fail closed: audit_would_block says so; callers wait */
	AUDIT_FULL_DROP,  /* the record is not kept: counted, and a "lost" record follows */
};

struct audit_config {
	uint64_t ring_bytes;  /* the ring's size (zonevisor.conf audit_ring) */
	enum audit_full full; /* audit_full = block | drop */
	uint32_t share_pct;   /* audit_share: most of the ring one agent zone's unacked
			       * records may hold, percent (1..100) */
	void *ring;	      /* ring_bytes of memory for the ring, owned by the log */
	/* UTC now, microseconds since 1970 (the records' time); NULL: 0. */
	uint64_t (*now_us)(void);
};

/* Sets the log up (once, at boot, before any audit_append); until then every
 * append returns false and counts nothing.  A ring too small for one record
 * (AUDIT_LINE_MAX plus a few bytes) leaves the log off. */
void audit_init(const struct audit_config *c);

/* The control zone's id: its records, like the hypervisor's (zone_id 0), may
 * use the whole ring instead of a share. */
void audit_trust_zone(uint32_t zone_id);

/* The tree's head: the number of records appended so far and the RFC 6962
 * root over all of them (SHA-256 of "" for none).  Any time, any CPU. */
struct audit_head {
	uint64_t size;
	uint8_t root[32];
};
void audit_head(struct audit_head *out);

/*
 * Copies whole lines (each ending in '\n') of the records with seq >= since
 * still in the ring, in order, into buf (at most cap bytes); returns the bytes
 * copied.  *first = the seq of the first line copied: > since when records
 * before it were already drained and reused, so the reader sees the gap;
 * *next = the seq after the last line copied (the next call's since).  When
 * nothing is copied both are where the reader should ask next (since, or the
 * oldest record kept if that is later; never past the head).  cap below
 * AUDIT_LINE_MAX may copy nothing while records wait.
 */
size_t audit_read(uint64_t since, char *buf, size_t cap, uint64_t *first, uint64_t *next);

/* The drain holds every record with seq < upto safely: the ring may reuse
 * their space.  upto beyond the head is clamped; an older upto is ignored. */
void audit_ack(uint64_t upto);

struct audit_stats {
	uint64_t records;    /* appended (== the head's size) */
	uint64_t lost;	     /* not recorded for want of room, ever */
	uint64_t ring_bytes; /* the ring's size */
	uint64_t ring_used;  /* bytes held by records not yet acknowledged */
	uint32_t blocked;    /* times audit_would_block said wait */
};
void audit_stats(struct audit_stats *out);

/* The hypervisor.boot record: version and the SHA-256 of each file the
 * loader loaded (zones/audit/boot_record.c; the hypervisor only). */
struct zv_bootinfo;
void audit_boot_record(const struct zv_bootinfo *bi);

#endif
