/* The audit log's core (log.h): appending records to the ring, sealing them into the tree,
 * reading and acking them. */
#include "zones/audit/log.h"
#include "hv/lib/civil.h"
#include "hv/lib/fmt.h"
#include "hv/lib/sha256.h"
#include "hv/lib/string.h"

#define ENTRY_MAX (AUDIT_ENTRY_HDR + AUDIT_LINE_MAX)

/* What precedes each line in the ring: the ack walks these to give each
 * record's bytes back to its source's share. */
struct entry_hdr {
	uint32_t len;	   /* of the line, newline included */
	uint16_t slot;	   /* index in l->slot */
	uint16_t tree_off; /* where the line's "tree" value (64 hex digits) starts */
};
_Static_assert(AUDIT_SLOTS <= 0xffff && AUDIT_LINE_MAX <= 0xffff, "entry_hdr's fields");
_Static_assert(sizeof(struct entry_hdr) == AUDIT_ENTRY_HDR, "the ring's line header");

static void ring_put(struct audit_log *l, uint64_t pos, const void *src, uint64_t n)
{
	uint64_t at = pos % l->cap, first = l->cap - at < n ? l->cap - at : n;

	zv_memcpy(l->ring + at, src, first);
	zv_memcpy(l->ring, (const uint8_t *)src + first, n - first);
}

static void ring_get(const struct audit_log *l, uint64_t pos, void *dst, uint64_t n)
{
	uint64_t at = pos % l->cap, first = l->cap - at < n ? l->cap - at : n;

	zv_memcpy(dst, l->ring + at, first);
	zv_memcpy((uint8_t *)dst + first, l->ring, n - first);
}

static struct entry_hdr entry_at(const struct audit_log *l, uint64_t pos)
{
	struct entry_hdr h;

	ring_get(l, pos, &h, sizeof(h));
	return h;
}

bool audit_log_init(struct audit_log *l, const struct audit_config *c)
{
	if (!c->ring || c->ring_bytes < AUDIT_RING_MIN || !c->share_pct || c->share_pct > 100)
		return false;
	zv_memset(l, 0, sizeof(*l));
	l->ring = c->ring;
	l->cap = c->ring_bytes;
	/* A share always holds one record, or a zone could never write one. */
	l->share = l->cap / 100 * c->share_pct + l->cap % 100 * c->share_pct / 100;
	if (l->share < ENTRY_MAX)
		l->share = ENTRY_MAX;
	l->full = c->full;
	l->now_us = c->now_us;
	merkle_init(&l->tree);
	merkle_root(&l->tree, l->root);
	l->slot[0].used = true; /* the hypervisor's: zone_id 0, zone "" */
	return true;
}

void audit_log_trust(struct audit_log *l, uint32_t zone_id)
{
	ticket_lock(&l->lock);
	l->trusted = zone_id;
	ticket_unlock(&l->lock);
}

static bool trusted(const struct audit_log *l, uint32_t zone_id)
{
	return zone_id == 0 || zone_id == l->trusted;
}

/* src's slot; with claim, a free one (no records unacked or lost) is taken
 * when it has none.  -1 when there is none. */
static int slot_find(struct audit_log *l, const struct audit_source *src, bool claim)
{
	int spare = -1;

	for (int i = 0; i < AUDIT_SLOTS; i++) {
		struct audit_slot *s = &l->slot[i];

		if (s->used && s->zone_id == src->zone_id)
			return i;
		if (i && spare < 0 && (!s->used || (!s->bytes && !s->lost)))
			spare = i;
	}
	if (!claim || spare < 0)
		return -1;
	l->slot[spare] = (struct audit_slot){.used = true, .zone_id = src->zone_id};
	zv_strlcpy(l->slot[spare].zone, src->zone, sizeof(l->slot[spare].zone));
	return spare;
}

/* Would n more bytes from slot s fit in the ring and in s's share? */
static bool fits(const struct audit_log *l, int s, uint64_t n)
{
	if (l->head + n - l->ack > l->cap)
		return false;
	return trusted(l, l->slot[s].zone_id) || l->slot[s].bytes + n <= l->share;
}

/* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" (ISO 8601, UTC).  The calendar part is
 * formatted once a second (l->second): records come by the thousand. */
static void format_time(struct audit_log *l, uint64_t us, char out[40])
{
	uint64_t second = us / 1000000;
	unsigned frac = (unsigned)(us % 1000000);

	if (second != l->second || !l->second_text[0]) {
		struct civil_time t;

		civil_from_unix(second, &t);
		zv_snprintf(l->second_text, sizeof(l->second_text), "%04u-%02u-%02uT%02u:%02u:%02u",
			    t.year, t.month, t.day, t.hour, t.minute, t.second);
		l->second = second;
	}
	unsigned n = (unsigned)zv_strlen(l->second_text);

	zv_memcpy(out, l->second_text, n);
	out[n] = '.';
	for (int i = 6; i > 0; i--, frac /= 10)
		out[n + (unsigned)i] = (char)('0' + frac % 10);
	out[n + 7] = 'Z';
	out[n + 8] = 0;
}

#define TREE_HEX 64 /* a SHA-256 in hex */

/*
 * The record's line into l->line (audit.h's key order), its "tree" value 64
 * zeros until it is sealed; returns its length, newline included, and where
 * that value starts in *tree_off.  Bounded: seq 27, time 40, zone and type
 * 138 each, zone_id 21, tree 74, fields 1024, truncated 17, "}\n" 2: 1481
 * bytes at most, under AUDIT_LINE_MAX.
 */
static unsigned format_line(struct audit_log *l, const struct audit_source *src, const char *type,
			    const char *fields, unsigned flen, bool cut, unsigned *tree_off)
{
	char zone[AUDIT_ZONE_CAP + 1], kind[AUDIT_ZONE_CAP + 1], when[40];
	int n;

	zone[audit_escape(zone, AUDIT_ZONE_CAP, src->zone, &cut)] = 0;
	kind[audit_escape(kind, AUDIT_ZONE_CAP, type, &cut)] = 0;
	format_time(l, l->now_us ? l->now_us() : 0, when);
	n = zv_snprintf(l->line, AUDIT_LINE_MAX,
			"{\"seq\":%llu,\"time\":\"%s\",\"zone\":\"%s\",\"zone_id\":%u,"
			"\"type\":\"%s\",\"tree\":\"",
			(unsigned long long)l->count, when, zone, src->zone_id, kind);
	*tree_off = (unsigned)n;
	zv_memset(l->line + n, '0', TREE_HEX);
	n += TREE_HEX;
	l->line[n++] = '"';
	zv_memcpy(l->line + n, fields, flen);
	n += (int)flen;
	n += zv_snprintf(l->line + n, AUDIT_LINE_MAX - (unsigned)n, "%s}\n",
			 cut ? ",\"truncated\":true" : "");
	return (unsigned)n;
}

/* Writes l->line (len bytes) as the next record from slot s, unsealed,
 * reusing the space of the oldest drained records. */
static void store(struct audit_log *l, int s, unsigned len, unsigned tree_off)
{
	uint64_t n = AUDIT_ENTRY_HDR + len;
	struct entry_hdr h = {len, (uint16_t)s, (uint16_t)tree_off};

	while (l->tail + l->cap < l->head + n) { /* fits() kept this below ack */
		l->tail += AUDIT_ENTRY_HDR + entry_at(l, l->tail).len;
		l->oldest++;
	}
	ring_put(l, l->head, &h, sizeof(h));
	ring_put(l, l->head + AUDIT_ENTRY_HDR, l->line, len);
	l->head += n;
	l->count++;
	l->slot[s].bytes += n;
}

static bool put(struct audit_log *l, int s, const struct audit_source *src, const char *type,
		const char *fields, unsigned flen, bool cut)
{
	unsigned tree_off, len = format_line(l, src, type, fields, flen, cut, &tree_off);

	if (!fits(l, s, AUDIT_ENTRY_HDR + len))
		return false;
	store(l, s, len, tree_off);
	return true;
}

/*
 * Seals every record appended so far, in order: its "tree" value becomes
 * the root of the records before it, then its leaf joins the tree.  Cost per
 * record in SHA-256 blocks (a node hash, 65 bytes, is 2): the leaf len/64 + 1
 * (5 for a 300-byte record, 25 at most), the append 2 on average, the next
 * root 2 * (popcount(size) - 1), about 18 near a million records: ~25
 * blocks, ~15 us natively on this shared machine.
 *
 * Without l->lock: the bytes of unsealed records change under no one else.
 * Appenders write past head only, and the space they reuse (store) is
 * acked, which unsealed records never are (a read returns sealed records
 * only, and an ack goes no further than a read).  Readers copy sealed
 * records only.  The tree is published under l->lock at the end.
 */
static void seal_pending(struct audit_log *l)
{
	struct merkle *tree = &l->seal_tree; /* 2 KiB: not on the 16 KiB stack */
	uint8_t root[MERKLE_HASH], leaf[MERKLE_HASH];
	uint64_t count, pos;
	char hex[TREE_HEX + 1];

	ticket_lock(&l->seal_lock);
	ticket_lock(&l->lock);
	count = l->count;
	pos = l->seal_pos;
	*tree = l->tree;
	zv_memcpy(root, l->root, MERKLE_HASH);
	ticket_unlock(&l->lock);
	while (tree->size < count) {
		struct entry_hdr h = entry_at(l, pos);

		ring_get(l, pos + AUDIT_ENTRY_HDR, l->seal_line, h.len);
		sha256_hex(root, hex);
		zv_memcpy(l->seal_line + h.tree_off, hex, TREE_HEX);
		ring_put(l, pos + AUDIT_ENTRY_HDR + h.tree_off, hex, TREE_HEX);
		merkle_leaf_hash(l->seal_line, h.len - 1, leaf); /* without its newline */
		merkle_append(tree, leaf);
		merkle_root(tree, root);
		pos += AUDIT_ENTRY_HDR + h.len;
	}
	ticket_lock(&l->lock);
	l->tree = *tree;
	zv_memcpy(l->root, root, MERKLE_HASH);
	l->seal_pos = pos;
	ticket_unlock(&l->lock);
	ticket_unlock(&l->seal_lock);
}

/* Slot s's refused records, as one "lost" record in its name, once there is room. */
static void flush_lost(struct audit_log *l, int s)
{
	struct audit_slot *sl = &l->slot[s];
	struct audit_source src = {sl->zone, sl->zone_id};
	char count[40];
	int n;

	if (!sl->lost)
		return;
	n = zv_snprintf(count, sizeof(count), ",\"count\":%llu", (unsigned long long)sl->lost);
	if (put(l, s, &src, "lost", count, (unsigned)n, false))
		sl->lost = 0;
}

static void refuse(struct audit_log *l, int s)
{
	l->slot[s].lost++;
	l->lost_total++;
}

static const struct audit_source hypervisor = {"", 0};

bool audit_log_append(struct audit_log *l, const struct audit_source *src, const char *type,
		      const struct audit_fields *f)
{
	unsigned flen = f ? (f->len < AUDIT_FIELDS_MAX ? f->len : AUDIT_FIELDS_MAX) : 0;
	bool ok = false;
	int s;

	if (!src || !src->zone)
		src = &hypervisor;
	ticket_lock(&l->lock);
	s = slot_find(l, src, true);
	if (s < 0) { /* more sources waiting than slots: counted as the hypervisor's */
		refuse(l, 0);
	} else {
		flush_lost(l, s);
		ok = put(l, s, src, type ? type : "", f ? f->text : "", flen, f && f->truncated);
		if (!ok)
			refuse(l, s);
	}
	ticket_unlock(&l->lock);
	return ok;
}

bool audit_log_would_block(struct audit_log *l, const struct audit_source *src)
{
	bool block;
	int s;

	if (l->full != AUDIT_FULL_BLOCK)
		return false;
	if (!src || !src->zone)
		src = &hypervisor;
	ticket_lock(&l->lock);
	s = slot_find(l, src, false);
	/* The longest record must fit: the caller does not know its size yet. */
	block = l->head + ENTRY_MAX - l->ack > l->cap ||
		(!trusted(l, src->zone_id) &&
		 (s < 0 ? 0 : l->slot[s].bytes) + ENTRY_MAX > l->share);
	l->blocked += block;
	ticket_unlock(&l->lock);
	return block;
}

void audit_log_head(struct audit_log *l, struct audit_head *out)
{
	seal_pending(l);
	ticket_lock(&l->lock);
	out->size = l->tree.size;
	zv_memcpy(out->root, l->root, MERKLE_HASH);
	ticket_unlock(&l->lock);
}

/* The kept record to start a read for since at: the latest of the oldest,
 * the first unacked and where the last read stopped that is not past it. */
static void read_start(const struct audit_log *l, uint64_t since, uint64_t *seq, uint64_t *pos)
{
	*seq = l->oldest;
	*pos = l->tail;
	if (l->acked <= since && l->acked > *seq) {
		*seq = l->acked;
		*pos = l->ack;
	}
	if (l->rd_seq <= since && l->rd_seq > *seq) {
		*seq = l->rd_seq;
		*pos = l->rd_pos;
	}
	while (*seq < since && *seq < l->tree.size) {
		*pos += AUDIT_ENTRY_HDR + entry_at(l, *pos).len;
		(*seq)++;
	}
}

size_t audit_log_read(struct audit_log *l, uint64_t since, char *buf, size_t cap, uint64_t *first,
		      uint64_t *next)
{
	uint64_t seq, pos;
	size_t got = 0;

	seal_pending(l);
	ticket_lock(&l->lock);
	read_start(l, since, &seq, &pos);
	*first = seq;
	for (; seq < l->tree.size; seq++) {
		struct entry_hdr h = entry_at(l, pos);

		if (h.len > cap - got)
			break;
		ring_get(l, pos + AUDIT_ENTRY_HDR, buf + got, h.len);
		got += h.len;
		pos += AUDIT_ENTRY_HDR + h.len;
	}
	*next = seq;
	l->rd_seq = seq;
	l->rd_pos = pos;
	ticket_unlock(&l->lock);
	return got;
}

void audit_log_ack(struct audit_log *l, uint64_t upto)
{
	seal_pending(l); /* none pending after a read; an ack never frees unsealed bytes */
	ticket_lock(&l->lock);
	if (upto > l->tree.size)
		upto = l->tree.size;
	for (; l->acked < upto; l->acked++) {
		struct entry_hdr h = entry_at(l, l->ack);

		l->slot[h.slot].bytes -= AUDIT_ENTRY_HDR + h.len;
		l->ack += AUDIT_ENTRY_HDR + h.len;
	}
	for (int s = 0; s < AUDIT_SLOTS; s++) /* room again: say what was lost */
		flush_lost(l, s);
	ticket_unlock(&l->lock);
}

void audit_log_stats(struct audit_log *l, struct audit_stats *out)
{
	ticket_lock(&l->lock);
	out->records = l->count;
	out->lost = l->lost_total;
	out->ring_bytes = l->cap;
	out->ring_used = l->head - l->ack;
	out->blocked = l->blocked;
	ticket_unlock(&l->lock);
}
