/*
 * The audit log's core, pure and host-tested: a byte ring of records, their
 * sequence numbers, the Merkle tree over them, the ring-full policy and the
 * per-zone shares.  zones/audit/audit.c keeps the hypervisor's one log.
 *
 * Appending and sealing are apart.  An append (on the CPU of the zone whose
 * network decision or request it records) formats the line with its "tree"
 * value left as 64 zeros and copies it into the ring: no SHA-256, so a
 * decision costs a copy, not ~20 hash blocks.  The reader (the control
 * zone's drain, audit_log_read, and audit_log_head) seals what is pending
 * first: in order, each record's "tree" becomes the root of the records
 * before it and its leaf joins the tree.  The lines are the same as if each
 * had been hashed when appended; only who pays and when differs.  Sealing
 * runs under seal_lock, not lock: appenders never wait for the hashing.
 */
#ifndef ZV_AUDIT_LOG_H
#define ZV_AUDIT_LOG_H

#include "hv/spinlock.h"
#include "zones/audit/merkle.h"
#include "zones/audit/reader.h"

#define AUDIT_SLOTS	32  /* sources with records unacked or lost at once */
#define AUDIT_ENTRY_HDR 8   /* a line's header in the ring: length and slot */
#define AUDIT_ZONE_CAP	128 /* escaped bytes of a record's zone or type */
#define AUDIT_RING_MIN	(2 * (AUDIT_ENTRY_HDR + AUDIT_LINE_MAX))

/* One source's account: what of the ring its unacked records hold, and how
 * many of its records were refused since its last "lost" record. */
struct audit_slot {
	bool used;
	uint32_t zone_id;
	char zone[32];
	uint64_t bytes;
	uint64_t lost;
};

/*
 * Positions are absolute byte counts (the ring index is pos % cap):
 * tail <= ack <= head, the records between tail and ack are drained but
 * still readable, those between ack and head wait for the drain.
 */
struct audit_log {
	struct ticket_lock lock;
	struct ticket_lock seal_lock; /* one sealer at a time; taken before lock */
	uint8_t *ring;
	uint64_t cap, share;
	uint64_t tail, ack, head; /* positions of records oldest, acked and count */
	uint64_t oldest, acked;	  /* their sequence numbers */
	uint64_t count;		  /* records appended: the next one's seq */
	uint64_t seal_pos;	  /* position of record tree.size, the first unsealed */
	uint64_t rd_seq, rd_pos;  /* where the last read stopped: the next one starts there */
	enum audit_full full;
	uint32_t trusted; /* the control zone's id; 0: none */
	uint64_t (*now_us)(void);
	uint64_t lost_total;
	uint32_t blocked;
	struct merkle tree;	   /* over the sealed records: tree.size of them */
	uint8_t root[MERKLE_HASH]; /* of tree: the next record to seal's "tree" */
	struct audit_slot slot[AUDIT_SLOTS];
	char line[AUDIT_LINE_MAX];	/* the record being appended, under lock */
	uint64_t second;		/* the second second_text shows, under lock */
	char second_text[24];		/* "YYYY-MM-DDTHH:MM:SS" (format_time) */
	char seal_line[AUDIT_LINE_MAX]; /* the record being sealed, under seal_lock */
	struct merkle seal_tree;	/* the tree being extended, under seal_lock */
};

/* Sets l up over c->ring; false (l unusable) if c is not sound: a ring
 * under AUDIT_RING_MIN, no memory, a share outside 1..100. */
bool audit_log_init(struct audit_log *l, const struct audit_config *c);
void audit_log_trust(struct audit_log *l, uint32_t zone_id);
bool audit_log_append(struct audit_log *l, const struct audit_source *src, const char *type,
		      const struct audit_fields *f);
bool audit_log_would_block(struct audit_log *l, const struct audit_source *src);
void audit_log_head(struct audit_log *l, struct audit_head *out);
size_t audit_log_read(struct audit_log *l, uint64_t since, char *buf, size_t cap, uint64_t *first,
		      uint64_t *next);
void audit_log_ack(struct audit_log *l, uint64_t upto);
void audit_log_stats(struct audit_log *l, struct audit_stats *out);

/* s JSON-escaped into dst, at most cap bytes and never half an escape;
 * returns the bytes written and sets *cut if s did not fit (fields.c). */
unsigned audit_escape(char *dst, unsigned cap, const char *s, bool *cut);

#endif
