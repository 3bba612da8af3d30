/* An RFC 6962 Merkle tree kept as its compact range (merkle.h). */
#include "zones/audit/merkle.h"
#include "hv/lib/sha256.h"
#include "hv/lib/string.h"

/* RFC 6962 section 2.1: distinct prefixes, so no leaf can pass for a node
 * (second-preimage resistance across levels). */
#define LEAF_PREFIX 0x00
#define NODE_PREFIX 0x01

void merkle_init(struct merkle *m)
{
	m->size = 0;
}

void merkle_leaf_hash(const void *data, size_t len, uint8_t out[MERKLE_HASH])
{
	struct sha256 c;
	uint8_t p = LEAF_PREFIX;

	sha256_init(&c);
	sha256_update(&c, &p, 1);
	sha256_update(&c, data, len);
	sha256_final(&c, out);
}

void merkle_node_hash(const uint8_t left[MERKLE_HASH], const uint8_t right[MERKLE_HASH],
		      uint8_t out[MERKLE_HASH])
{
	struct sha256 c;
	uint8_t p = NODE_PREFIX;

	sha256_init(&c);
	sha256_update(&c, &p, 1);
	sha256_update(&c, left, MERKLE_HASH);
	sha256_update(&c, right, MERKLE_HASH);
	sha256_final(&c, out);
}

/* popcount(size), by hand: the hypervisor links no libgcc for the builtin. */
static unsigned peaks(uint64_t size)
{
	unsigned n = 0;

	for (; size; size &= size - 1)
		n++;
	return n;
}

void merkle_append(struct merkle *m, const uint8_t leaf[MERKLE_HASH])
{
	unsigned n = peaks(m->size);
	uint8_t h[MERKLE_HASH];

	zv_memcpy(h, leaf, MERKLE_HASH);
	/* Each trailing 1 bit of size is a perfect subtree of the new leaf's
	 * height: merge it with what we carry, as binary addition carries. */
	for (uint64_t s = m->size; s & 1; s >>= 1)
		merkle_node_hash(m->peak[--n], h, h);
	zv_memcpy(m->peak[n], h, MERKLE_HASH);
	m->size++;
}

void merkle_root(const struct merkle *m, uint8_t out[MERKLE_HASH])
{
	unsigned n = peaks(m->size);
	uint8_t h[MERKLE_HASH];

	if (!n) {
		struct sha256 c;

		sha256_init(&c);
		sha256_final(&c, out);
		return;
	}
	/* MTH splits at the largest power of two below n, so the root folds the
	 * peaks from the right: node(peak[0], node(peak[1], ... peak[n-1])). */
	zv_memcpy(h, m->peak[n - 1], MERKLE_HASH);
	while (n-- > 1)
		merkle_node_hash(m->peak[n - 1], h, h);
	zv_memcpy(out, h, MERKLE_HASH);
}
