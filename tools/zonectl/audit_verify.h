/* zonectl audit verify: recomputes a drained audit log's RFC 6962 tree (pure; host-tested). */
#ifndef ZV_ZONECTL_AUDIT_VERIFY_H
#define ZV_ZONECTL_AUDIT_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AV_HASH	     32u
#define AV_WHY_LEN   256u
#define AV_MAX_LEVEL 64u /* a tree of up to 2^64 leaves */

/*
 * The tree so far as its perfect subtrees, largest first (one per set bit of
 * count): appending a leaf merges equal sizes, and the root folds them from
 * the smallest, which is RFC 6962 section 2.1's MTH (split at the largest
 * power of two below n).
 */
struct av_tree {
	uint64_t count;
	unsigned levels;
	uint8_t node[AV_MAX_LEVEL][AV_HASH];
	uint64_t size[AV_MAX_LEVEL];
};

void av_tree_init(struct av_tree *t);
/* Appends the leaf SHA-256(0x00 || line), len bytes without the newline. */
void av_tree_add(struct av_tree *t, const char *line, size_t len);
/* The root of the leaves so far; SHA-256("") for none (RFC 6962 2.1). */
void av_tree_root(const struct av_tree *t, uint8_t root[AV_HASH]);

/* A record's seq and "tree" field, from its line (len bytes, no newline):
 * 0, or -1 if the line does not start as audit.h's record format does. */
int av_parse(const char *line, size_t len, uint64_t *seq, uint8_t tree[AV_HASH]);

/* One line of the file, as read (data need not be NUL-terminated). */
struct av_line {
	const char *text;
	size_t len;
	bool newline; /* it ended with '\n' (a drained line always does) */
};

/*
 * Checks lines[0..n) as a log from seq 0: continuity, each record's tree
 * against the root of the ones before.  Returns 0 with t holding the tree
 * of all n, or -1 with why naming the first record that does not match.
 */
int av_verify(const struct av_line *lines, size_t n, struct av_tree *t, char why[AV_WHY_LEN]);

/* Splits buf (len bytes) into lines in place; returns their count, *out
 * (malloc'ed, the caller frees) pointing at them, or -1 without memory. */
long av_split(const char *buf, size_t len, struct av_line **out);

/* A record's line as a table row for people: "SEQ TIME ZONE TYPE key=value ..."
 * (string values JSON-quoted) into out (cap bytes, cut if need be); -1 if
 * the line is not a record. */
int av_table_row(const char *line, size_t len, char *out, size_t cap);
/* Whether the record's zone is name. */
bool av_zone_is(const char *line, size_t len, const char *name);

/* 64 hex digits into 32 bytes: 0, or -1. */
int av_unhex(const char *hex, uint8_t out[AV_HASH]);
void av_hex(const uint8_t in[AV_HASH], char out[2 * AV_HASH + 1]);

#endif
