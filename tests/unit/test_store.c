/* Unit tests of zones/storage/store.c: sparse allocation, zero reads, boundaries, unaligned
 * ranges, overflow-safe range checks, ENOSPC, page accounting and the wipe on destroy. */
#include <stdlib.h>

#include "tests/unit/test.h"
#include "zones/storage/disk.h"
#include "zones/storage/store.h"

#define BLK STORE_BLOCK

/* malloc pages, with a count of those out and a failure after `budget` more. */
struct heap {
	long out;
	long budget;	 /* pages still granted; -1 = no limit */
	int dirty_frees; /* pages freed that were not zeroed */
};

static void *heap_page(void *ctx)
{
	struct heap *h = ctx;

	if (h->budget == 0)
		return NULL;
	if (h->budget > 0)
		h->budget--;
	h->out++;
	return calloc(1, BLK);
}

static void heap_free(void *ctx, void *page)
{
	struct heap *h = ctx;
	const uint8_t *p = page;

	for (unsigned i = 0; i < BLK; i++)
		if (p[i]) {
			h->dirty_frees++;
			break;
		}
	h->out--;
	free(page);
}

static struct heap heap;
static struct store_alloc alloc = {heap_page, heap_free, &heap};

static struct store *fresh(uint64_t size)
{
	heap = (struct heap){0, -1, 0};
	return store_create(size, &alloc);
}

/* Destroys s and checks every page came back zeroed. */
static void done(struct store *s)
{
	store_destroy(s);
	CHECK_EQ_U64(heap.out, 0);
	CHECK_EQ_U64(heap.dirty_frees, 0);
}

TEST(store_create_sizes)
{
	heap = (struct heap){0, -1, 0};
	CHECK(!store_create(0, &alloc));
	CHECK(!store_create(BLK + 1, &alloc));
	CHECK(!store_create(512, &alloc));
	CHECK(!store_create(STORE_MAX_BYTES + BLK, &alloc));
	CHECK_EQ_U64(heap.out, 0);

	struct store *s = fresh(STORE_MAX_BYTES);

	CHECK(s);
	CHECK_EQ_U64(store_size(s), STORE_MAX_BYTES);
	CHECK_EQ_U64(store_pages(s), 1);
	done(s);
	store_destroy(NULL);
	heap = (struct heap){0, 0, 0};
	CHECK(!store_create(BLK, &alloc)); /* no memory for its own page */
}

TEST(store_unwritten_reads_zero)
{
	struct store *s = fresh(64 * BLK);
	uint8_t buf[3 * BLK];

	memset(buf, 0xaa, sizeof(buf));
	CHECK_EQ_U64(store_read(s, 100, buf, sizeof(buf)), 0);
	for (unsigned i = 0; i < sizeof(buf); i++)
		if (buf[i]) {
			CHECK(0);
			break;
		}
	CHECK(!store_block_used(s, 0));
	done(s);
}

TEST(store_zero_writes_allocate_nothing)
{
	struct store *s = fresh(1ull << 30);
	static uint8_t zeros[5 * BLK];

	CHECK_EQ_U64(store_write(s, 0, zeros, sizeof(zeros)), 0);
	CHECK_EQ_U64(store_write(s, 12345, zeros, 7), 0);
	CHECK_EQ_U64(store_pages(s), 1);
	CHECK_EQ_U64(heap.out, 1);
	done(s);
}

TEST(store_write_read_unaligned)
{
	struct store *s = fresh(16 * BLK);
	uint8_t in[2 * BLK + 100], out[sizeof(in)];

	for (unsigned i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 1);
	CHECK_EQ_U64(store_write(s, BLK - 50, in, sizeof(in)), 0);
	/* blocks 0..3 touched: a table, a leaf and 4 data pages, plus the store */
	CHECK_EQ_U64(store_pages(s), 1 + 2 + 4);
	CHECK_EQ_U64(heap.out, 7);
	CHECK(store_block_used(s, 0) && store_block_used(s, 3) && !store_block_used(s, 4));
	CHECK_EQ_U64(store_read(s, BLK - 50, out, sizeof(out)), 0);
	CHECK(!memcmp(in, out, sizeof(in)));

	/* what lies around it reads as zeros */
	uint8_t edge[60];

	CHECK_EQ_U64(store_read(s, BLK - 60, edge, sizeof(edge)), 0);
	for (unsigned i = 0; i < 10; i++)
		CHECK_EQ_U64(edge[i], 0);
	CHECK_EQ_U64(edge[10], in[0]);

	/* zeros over written data overwrite it, and keep the page */
	uint8_t z[10] = {0};

	CHECK_EQ_U64(store_write(s, BLK - 50, z, sizeof(z)), 0);
	CHECK_EQ_U64(store_read(s, BLK - 50, out, 10), 0);
	CHECK(!memcmp(out, z, 10));
	CHECK_EQ_U64(store_pages(s), 7);
	done(s);
}

TEST(store_boundaries)
{
	struct store *s = fresh(4 * BLK);
	uint8_t b[8] = {1, 2, 3, 4, 5, 6, 7, 8};

	CHECK_EQ_U64(store_write(s, 4 * BLK - 8, b, 8), 0);
	CHECK_EQ_U64(store_write(s, 4 * BLK - 7, b, 8), (uint64_t)-1);
	CHECK_EQ_U64(store_write(s, 4 * BLK, b, 1), (uint64_t)-1);
	CHECK_EQ_U64(store_write(s, 4 * BLK, b, 0), 0); /* empty, at the end */
	CHECK_EQ_U64(store_read(s, 4 * BLK, b, 0), 0);
	CHECK_EQ_U64(store_read(s, 4 * BLK + 1, b, 0), (uint64_t)-1);
	/* off + len would wrap past 2^64 */
	CHECK_EQ_U64(store_read(s, UINT64_MAX - 2, b, 8), (uint64_t)-1);
	CHECK_EQ_U64(store_write(s, 8, b, SIZE_MAX), (uint64_t)-1);
	CHECK_EQ_U64(store_read(s, 8, b, SIZE_MAX - 4), (uint64_t)-1);
	CHECK(!store_block_used(s, 4));
	CHECK(!store_block_used(s, UINT64_MAX));
	CHECK(store_block_used(s, 3));
	done(s);
}

TEST(store_far_blocks_share_no_map)
{
	struct store *s = fresh(STORE_MAX_BYTES);
	uint8_t one = 1, got = 0;

	CHECK_EQ_U64(store_write(s, 0, &one, 1), 0);
	CHECK_EQ_U64(store_write(s, STORE_MAX_BYTES - 1, &one, 1), 0);
	CHECK_EQ_U64(store_write(s, (1ull << 30) + 5, &one, 1), 0);
	CHECK_EQ_U64(store_write(s, (2ull << 20) + 5, &one, 1), 0); /* same table, new leaf */
	/* store + 3 tables + 4 leaves + 4 data */
	CHECK_EQ_U64(store_pages(s), 1 + 3 + 4 + 4);
	CHECK_EQ_U64(store_read(s, STORE_MAX_BYTES - 1, &got, 1), 0);
	CHECK_EQ_U64(got, 1);
	CHECK_EQ_U64((uint64_t)heap.out, store_pages(s));
	done(s);
}

TEST(store_enospc)
{
	struct store *s = fresh(8 * BLK);
	uint8_t in[3 * BLK], out[3 * BLK];

	memset(in, 0x5a, sizeof(in));
	heap.budget = 3; /* table, leaf, one data page */
	CHECK_EQ_U64(store_write(s, 0, in, sizeof(in)), (uint64_t)DISK_ENOSPC);
	CHECK(store_block_used(s, 0) && !store_block_used(s, 1));
	CHECK_EQ_U64(store_read(s, 0, out, sizeof(out)), 0);
	CHECK(!memcmp(out, in, BLK)); /* what was written before it stays */
	CHECK_EQ_U64(out[BLK], 0);
	CHECK_EQ_U64(store_pages(s), 4);
	CHECK_EQ_U64((uint64_t)heap.out, 4);
	/* a map page that cannot be had fails the same way */
	heap.budget = 0;
	CHECK_EQ_U64(store_write(s, 4 * BLK, in, 1), (uint64_t)DISK_ENOSPC);
	heap.budget = -1;
	CHECK_EQ_U64(store_write(s, 4 * BLK, in, 1), 0);
	done(s);
}
