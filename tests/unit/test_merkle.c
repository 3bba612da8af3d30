/* Unit tests of zones/audit/merkle.c: RFC 6962 tree hashes, incremental against a recursive
 * reference. */
#include <stdlib.h>

#include "hv/lib/sha256.h"
#include "tests/unit/test.h"
#include "zones/audit/merkle.h"

static void hex(const uint8_t h[MERKLE_HASH], char out[65])
{
	sha256_hex(h, out);
}

/* RFC 6962 section 2.1, written as the RFC states it: MTH(D[n]) with k the
 * largest power of two smaller than n. */
static void mth(uint8_t (*leaves)[MERKLE_HASH], uint64_t n, uint8_t out[MERKLE_HASH])
{
	uint8_t l[MERKLE_HASH], r[MERKLE_HASH];
	uint64_t k = 1;

	if (n == 1) {
		memcpy(out, leaves[0], MERKLE_HASH);
		return;
	}
	while (k * 2 < n)
		k *= 2;
	mth(leaves, k, l);
	mth(leaves + k, n - k, r);
	merkle_node_hash(l, r, out);
}

static void leaf_of(uint64_t i, uint8_t out[MERKLE_HASH])
{
	char line[32];
	int n = snprintf(line, sizeof(line), "record %llu", (unsigned long long)i);

	merkle_leaf_hash(line, (size_t)n, out);
}

TEST(merkle_empty_tree_is_sha256_of_nothing)
{
	struct merkle m;
	uint8_t r[MERKLE_HASH];
	char h[65];

	merkle_init(&m);
	merkle_root(&m, r);
	hex(r, h);
	CHECK_STR(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* The prefixes: a leaf is SHA-256(0x00 || data), a node SHA-256(0x01 || l || r). */
TEST(merkle_leaf_and_node_prefixes)
{
	uint8_t buf[65], a[MERKLE_HASH], b[MERKLE_HASH], want[MERKLE_HASH];
	struct sha256 c;
	char h[65];

	merkle_leaf_hash("", 0, a);
	hex(a, h); /* SHA-256 of the single byte 0x00: the empty leaf */
	CHECK_STR(h, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
	merkle_leaf_hash("x", 1, b);
	buf[0] = 1;
	memcpy(buf + 1, a, 32);
	memcpy(buf + 33, b, 32);
	sha256_init(&c);
	sha256_update(&c, buf, 65);
	sha256_final(&c, want);
	merkle_node_hash(a, b, buf);
	CHECK(memcmp(buf, want, 32) == 0);
}

/* Small trees by hand: 1 leaf is the leaf; 3 leaves are node(node(0,1), 2). */
TEST(merkle_small_trees_by_hand)
{
	struct merkle m;
	uint8_t l[3][MERKLE_HASH], n01[MERKLE_HASH], want[MERKLE_HASH], got[MERKLE_HASH];

	merkle_init(&m);
	for (int i = 0; i < 3; i++)
		leaf_of((uint64_t)i, l[i]);
	merkle_append(&m, l[0]);
	merkle_root(&m, got);
	CHECK(memcmp(got, l[0], 32) == 0);
	merkle_append(&m, l[1]);
	merkle_append(&m, l[2]);
	merkle_node_hash(l[0], l[1], n01);
	merkle_node_hash(n01, l[2], want);
	merkle_root(&m, got);
	CHECK(memcmp(got, want, 32) == 0);
	CHECK_EQ_U64(m.size, 3);
}

TEST(merkle_incremental_matches_recursive_0_to_300)
{
	uint8_t(*leaves)[MERKLE_HASH] = malloc(301 * MERKLE_HASH);
	uint8_t want[MERKLE_HASH], got[MERKLE_HASH];
	struct merkle m;
	int bad = 0;

	merkle_init(&m);
	for (uint64_t n = 0; n <= 300; n++) {
		if (n) {
			leaf_of(n - 1, leaves[n - 1]);
			merkle_append(&m, leaves[n - 1]);
			mth(leaves, n, want);
		} else {
			merkle_root(&m, want); /* checked by the empty-tree test */
		}
		merkle_root(&m, got);
		bad += memcmp(got, want, 32) != 0;
	}
	CHECK_EQ_U64(bad, 0);
	free(leaves);
}
