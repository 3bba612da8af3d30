/*
 * The hypervisor's audit log (issue 20, docs/audit.md): records of what every
 * zone did that the hypervisor sees, each a canonical JSON line, kept in a
 * bounded ring until the control zone drains them, and chained into an RFC
 * 6962 Merkle tree whose head (size, root) no zone can write.
 *
 * A record's line, keys in this order, no spaces:
 *   {"seq":N,"time":"2026-12-07T04:10:00.123456Z","zone":"NAME","zone_id":K,
 *    "type":"TYPE","tree":"HEX",FIELDS}
 * seq counts from 0 with no gaps; zone is "" and zone_id 0 for the
 * hypervisor's own records; tree is the root of the tree of records 0..N-1
 * (the empty tree's root for record 0), so a verifier that recomputes the
 * tree names the first record whose bytes changed; FIELDS are the record's
 * own (audit_fields_*).  The leaf hash of a record is SHA-256(0x00 || line),
 * a node's SHA-256(0x01 || left || right) (RFC 6962 section 2.1), the line
 * without its newline.
 */
#ifndef ZV_AUDIT_H
#define ZV_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUDIT_FIELDS_MAX 1024 /* bytes of one record's own fields */
#define AUDIT_LINE_MAX	 1536 /* bytes of one record's line, newline included */

/* A record's own fields, built in order: ,"key":value pairs. */
struct audit_fields {
	unsigned len;
	bool truncated; /* a field did not fit: the record says so ("truncated":true) */
	char text[AUDIT_FIELDS_MAX];
};

void audit_fields_init(struct audit_fields *f);
void audit_str(struct audit_fields *f, const char *key, const char *value); /* JSON-escaped */
void audit_u64(struct audit_fields *f, const char *key, uint64_t value);
void audit_i64(struct audit_fields *f, const char *key, int64_t value);
void audit_hex(struct audit_fields *f, const char *key, const uint8_t *bytes, unsigned n);

/* Where a record comes from, for the ring's per-zone share: one zone that
 * floods records must not push another zone's out. */
struct audit_source {
	const char *zone; /* "" for the hypervisor */
	uint32_t zone_id; /* 0 for the hypervisor */
};

/*
 * Appends a record of type (e.g. "zone.started") with fields f (NULL: none)
 * from src.  Any CPU, any context but NMI; takes the log's own lock, never
 * another.  Returns true if it was recorded, false if it was not (the ring
 * is full in drop mode, or the source's share is used up: counted, and a
 * "lost" record says how many once there is room).  Fail-closed callers
 * (audit_would_block) hold back what the record reports instead.
 */
bool audit_append(const struct audit_source *src, const char *type, const struct audit_fields *f);

/* Fail-closed mode (zonevisor.conf audit_full = block) with src's share or
 * the ring full: the caller must not do what it would record (drop the
 * frame, hold the vCPU) until there is room.  Always false in drop mode. */
bool audit_would_block(const struct audit_source *src);

#endif
