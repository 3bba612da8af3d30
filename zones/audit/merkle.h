/* An RFC 6962 (RFC 9162 section 2.1) Merkle tree over SHA-256, kept incrementally in O(log n). */
#ifndef ZV_AUDIT_MERKLE_H
#define ZV_AUDIT_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define MERKLE_HASH 32u

/*
 * The compact range of a tree of `size` leaves: the roots of its perfect
 * subtrees, largest (leftmost) first, one per set bit of size.  That is all
 * that appending and the root need (2 KiB at most).
 */
struct merkle {
	uint64_t size;
	uint8_t peak[64][MERKLE_HASH];
};

/* The empty tree. */
void merkle_init(struct merkle *m);
/* SHA-256(0x00 || data): a leaf's hash. */
void merkle_leaf_hash(const void *data, size_t len, uint8_t out[MERKLE_HASH]);
/* SHA-256(0x01 || left || right): an inner node's hash. */
void merkle_node_hash(const uint8_t left[MERKLE_HASH], const uint8_t right[MERKLE_HASH],
		      uint8_t out[MERKLE_HASH]);
/* Appends a leaf by its hash: one node hash on average (a carry per trailing 1 bit of size). */
void merkle_append(struct merkle *m, const uint8_t leaf[MERKLE_HASH]);
/* The Merkle Tree Hash of all leaves so far: popcount(size) - 1 node hashes;
 * SHA-256 of the empty string for the empty tree (RFC 6962 section 2.1). */
void merkle_root(const struct merkle *m, uint8_t out[MERKLE_HASH]);

#endif
