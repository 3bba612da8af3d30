/* Unit tests of hv/palloc.c: alignment, lowest-first order, bad frees, exhaustion, a reference
 * model. */
#include <stdlib.h>

#include "hv/palloc.h"
#include "tests/unit/test.h"

#define PG  PALLOC_PAGE
#define MIB (1ULL << 20)

static struct palloc pa;
static uint64_t *bitmap;

/* A fresh allocator over [base, limit) with a heap bitmap of exact size. */
static void setup(uint64_t base, uint64_t limit)
{
	free(bitmap);
	bitmap = malloc(palloc_bitmap_bytes(base, limit));
	CHECK_EQ_U64(palloc_init(&pa, base, limit, bitmap), 0);
}

TEST(bitmap_bytes)
{
	CHECK_EQ_U64(palloc_bitmap_bytes(0, PG), 8);
	CHECK_EQ_U64(palloc_bitmap_bytes(0, 64 * PG), 8);
	CHECK_EQ_U64(palloc_bitmap_bytes(0, 65 * PG), 16);
	CHECK_EQ_U64(palloc_bitmap_bytes(1 * MIB, 1 * MIB + 1024 * PG), 128);
	CHECK_EQ_U64(palloc_bitmap_bytes(PG, PG), 0);
	CHECK_EQ_U64(palloc_bitmap_bytes(2 * PG, PG), 0);
}

TEST(init_rejects_bad_spans)
{
	struct palloc p;
	uint64_t words[4];

	CHECK_EQ_U64(palloc_init(&p, 0x1001, 0x10000, words), -1);
	CHECK_EQ_U64(palloc_init(&p, 0x1000, 0x10001, words), -1);
	CHECK_EQ_U64(palloc_init(&p, 0x10000, 0x10000, words), -1);
	CHECK_EQ_U64(palloc_init(&p, 0x20000, 0x10000, words), -1);
	CHECK_EQ_U64(palloc_init(&p, 0x1000, 0x10000, NULL), -1);
	CHECK_EQ_U64(palloc_init(&p, 0x1000, 0x10000, words), 0);
	CHECK_EQ_U64(p.npages, 15);
	CHECK_EQ_U64(p.free_pages, 0);
	CHECK_EQ_U64(p.total_pages, 0);
	CHECK(palloc_page_used(&p, 0x1000));
	CHECK_EQ_U64(palloc_alloc(&p, 0), 0); /* nothing added yet */
}

TEST(add_free_validation)
{
	setup(16 * MIB, 32 * MIB);
	CHECK_EQ_U64(palloc_add_free(&pa, 16 * MIB, 256), 0);
	CHECK_EQ_U64(pa.free_pages, 256);
	CHECK_EQ_U64(pa.total_pages, 256);
	/* Overlapping free pages, fully or by one page: refused, nothing changed. */
	CHECK_EQ_U64(palloc_add_free(&pa, 16 * MIB, 256), -1);
	CHECK_EQ_U64(palloc_add_free(&pa, 16 * MIB + 255 * PG, 2), -1);
	CHECK(palloc_page_used(&pa, 16 * MIB + 256 * PG));
	CHECK_EQ_U64(palloc_add_free(&pa, 15 * MIB, 512), -1);	 /* starts below */
	CHECK_EQ_U64(palloc_add_free(&pa, 31 * MIB, 512), -1);	 /* runs past */
	CHECK_EQ_U64(palloc_add_free(&pa, 32 * MIB, 1), -1);	 /* just outside */
	CHECK_EQ_U64(palloc_add_free(&pa, 20 * MIB + 1, 1), -1); /* misaligned */
	CHECK_EQ_U64(palloc_add_free(&pa, 20 * MIB, UINT64_MAX), -1);
	CHECK_EQ_U64(palloc_add_free(&pa, UINT64_MAX & ~(PG - 1), 2), -1);
	CHECK_EQ_U64(pa.free_pages, 256);
	CHECK_EQ_U64(pa.total_pages, 256);
	/* Adjacent ranges are fine, up to the exact end of the span. */
	CHECK_EQ_U64(palloc_add_free(&pa, 16 * MIB + 256 * PG, 256), 0);
	CHECK_EQ_U64(palloc_add_free(&pa, 31 * MIB, 256), 0);
	CHECK_EQ_U64(palloc_add_free(&pa, 20 * MIB, 0), 0);
	CHECK_EQ_U64(pa.free_pages, 768);
	CHECK(!palloc_page_used(&pa, 32 * MIB - PG));
	CHECK(palloc_page_used(&pa, 32 * MIB));
	CHECK(palloc_page_used(&pa, 16 * MIB - PG));
}

TEST(lowest_first_and_same_pages_back)
{
	setup(0, 4 * MIB);
	CHECK_EQ_U64(palloc_add_free(&pa, 1 * MIB, 768), 0);
	uint64_t a = palloc_alloc(&pa, 0), b = palloc_alloc(&pa, 0);
	CHECK_EQ_U64(a, 1 * MIB);
	CHECK_EQ_U64(b, 1 * MIB + PG);
	CHECK(palloc_page_used(&pa, a));
	CHECK_EQ_U64(palloc_free(&pa, a, 0), 0);
	CHECK(!palloc_page_used(&pa, a));
	CHECK_EQ_U64(palloc_alloc(&pa, 0), a);
	uint64_t big = palloc_alloc(&pa, PALLOC_ORDER_2M);
	CHECK_EQ_U64(big, 2 * MIB);
	CHECK_EQ_U64(palloc_free(&pa, big, PALLOC_ORDER_2M), 0);
	CHECK_EQ_U64(palloc_alloc(&pa, PALLOC_ORDER_2M), big);
	/* Pages 0 and 1 are taken: order 1 fits at page 2, order 2 skips to page 8. */
	CHECK_EQ_U64(palloc_alloc(&pa, 1), 1 * MIB + 2 * PG);
	CHECK_EQ_U64(palloc_alloc(&pa, 0), 1 * MIB + 4 * PG);
	CHECK_EQ_U64(palloc_alloc(&pa, 2), 1 * MIB + 8 * PG);
}

TEST(two_mib_alignment_with_unaligned_base)
{
	/* The span starts 3 pages past 1 MiB: bit 0 is not 2 MiB aligned. */
	uint64_t base = 1 * MIB + 3 * PG;

	setup(base, 9 * MIB);
	CHECK_EQ_U64(palloc_add_free(&pa, base, (9 * MIB - base) / PG), 0);
	uint64_t a = palloc_alloc(&pa, PALLOC_ORDER_2M);
	uint64_t b = palloc_alloc(&pa, PALLOC_ORDER_2M);
	uint64_t c = palloc_alloc(&pa, PALLOC_ORDER_2M);
	CHECK_EQ_U64(a, 2 * MIB);
	CHECK_EQ_U64(b, 4 * MIB);
	CHECK_EQ_U64(c, 6 * MIB);
	CHECK_EQ_U64(palloc_alloc(&pa, PALLOC_ORDER_2M), 0);   /* 8M..9M is too short */
	CHECK_EQ_U64(palloc_alloc(&pa, 6), 1 * MIB + 64 * PG); /* 256K aligned */
	CHECK_EQ_U64(palloc_alloc(&pa, 0), base);
	uint64_t before = pa.free_pages;
	CHECK_EQ_U64(palloc_free(&pa, b, PALLOC_ORDER_2M), 0);
	CHECK_EQ_U64(pa.free_pages, before + 512);
	CHECK_EQ_U64(palloc_alloc(&pa, PALLOC_ORDER_2M), b);
}

TEST(order_limits)
{
	setup(0, 2048 * MIB);
	CHECK_EQ_U64(palloc_add_free(&pa, 0, 2048 * MIB / PG), 0);
	CHECK_EQ_U64(palloc_alloc(&pa, PALLOC_MAX_ORDER + 1), 0);
	CHECK_EQ_U64(palloc_alloc(&pa, 63), 0);
	CHECK_EQ_U64(palloc_alloc(&pa, 64), 0);
	CHECK_EQ_U64(palloc_alloc(&pa, 4000000000u), 0);
	CHECK_EQ_U64(pa.free_pages, pa.total_pages);
	/* Address 0 is a valid page but also "failure": the first GiB run starts there. */
	CHECK_EQ_U64(palloc_alloc(&pa, PALLOC_MAX_ORDER), 0);
	CHECK_EQ_U64(palloc_alloc(&pa, PALLOC_MAX_ORDER), 1024 * MIB);
	CHECK_EQ_U64(palloc_alloc(&pa, PALLOC_MAX_ORDER), 0);
	CHECK_EQ_U64(palloc_free(&pa, 1024 * MIB, PALLOC_MAX_ORDER), 0);
	CHECK_EQ_U64(palloc_free(&pa, 0, PALLOC_MAX_ORDER + 1), -1);
	CHECK_EQ_U64(pa.bad_frees, 1);
}

TEST(bad_frees_change_nothing)
{
	setup(0, 8 * MIB);
	CHECK_EQ_U64(palloc_add_free(&pa, 2 * MIB, 1024), 0);
	uint64_t a = palloc_alloc(&pa, PALLOC_ORDER_2M);
	uint64_t p = palloc_alloc(&pa, 0);
	CHECK_EQ_U64(a, 2 * MIB);
	CHECK_EQ_U64(p, 4 * MIB);
	uint64_t free_now = pa.free_pages;

	CHECK_EQ_U64(palloc_free(&pa, p, 0), 0);
	CHECK_EQ_U64(palloc_free(&pa, p, 0), -1);		      /* double free */
	CHECK_EQ_U64(palloc_free(&pa, a + PG, PALLOC_ORDER_2M), -1);  /* misaligned */
	CHECK_EQ_U64(palloc_free(&pa, a + 1, 0), -1);		      /* not a page */
	CHECK_EQ_U64(palloc_free(&pa, a, PALLOC_ORDER_2M + 1), -1);   /* runs into free */
	CHECK_EQ_U64(palloc_free(&pa, 8 * MIB, 0), -1);		      /* outside */
	CHECK_EQ_U64(palloc_free(&pa, 8 * MIB, PALLOC_ORDER_2M), -1); /* outside end */
	CHECK_EQ_U64(palloc_free(&pa, UINT64_MAX & ~(PG - 1), 0), -1);
	CHECK_EQ_U64(pa.bad_frees, 7);
	CHECK_EQ_U64(pa.free_pages, free_now + 1);
	CHECK(palloc_page_used(&pa, a));
	CHECK(palloc_page_used(&pa, a + 511 * PG));
	/* A page that was never memory cannot be "freed" into the pool. */
	CHECK_EQ_U64(palloc_free(&pa, a, PALLOC_ORDER_2M), 0);
	CHECK_EQ_U64(pa.free_pages, pa.total_pages);
	CHECK_EQ_U64(palloc_free(&pa, 0, 0), -1);
	CHECK_EQ_U64(pa.free_pages, pa.total_pages);
	CHECK_EQ_U64(pa.bad_frees, 8);
}

TEST(exhaust_then_free_restores_counts)
{
	enum { PAGES = 3000 };
	static uint64_t got[PAGES];
	unsigned n = 0;

	setup(0, 16 * MIB);
	CHECK_EQ_U64(palloc_add_free(&pa, 1 * MIB, 1000), 0);
	CHECK_EQ_U64(palloc_add_free(&pa, 8 * MIB, 1000), 0);
	uint64_t total = pa.total_pages;
	CHECK_EQ_U64(total, 2000);
	while (n < PAGES && (got[n] = palloc_alloc(&pa, 0)) != 0)
		n++;
	CHECK_EQ_U64(n, 2000);
	CHECK_EQ_U64(pa.free_pages, 0);
	CHECK_EQ_U64(palloc_alloc(&pa, 0), 0);
	for (unsigned i = 1; i < n; i++)
		CHECK(got[i] > got[i - 1]); /* lowest address first */
	for (unsigned i = 0; i < n; i++)
		CHECK_EQ_U64(palloc_free(&pa, got[n - 1 - i], 0), 0);
	CHECK_EQ_U64(pa.free_pages, total);
	CHECK_EQ_U64(pa.total_pages, total);
	CHECK_EQ_U64(pa.bad_frees, 0);
	/* Mixed orders: exhaust with 2 MiB, then 64 KiB, then pages. */
	unsigned big = 0, mid = 0, small = 0;
	while (palloc_alloc(&pa, PALLOC_ORDER_2M))
		big++;
	while (palloc_alloc(&pa, 4))
		mid++;
	while (palloc_alloc(&pa, 0))
		small++;
	CHECK_EQ_U64(big, 2); /* 2M-4M inside 1M+1000 pages, and 8M-10M */
	CHECK_EQ_U64(big * 512 + mid * 16 + small, total);
}

TEST(fragmented_map_with_holes)
{
	setup(0, 64 * MIB);
	/* 0-6M free but for a hole at 3M; 8M-9M free; 10M-14M free. */
	CHECK_EQ_U64(palloc_add_free(&pa, 0, 3 * MIB / PG), 0);
	CHECK_EQ_U64(palloc_add_free(&pa, 3 * MIB + PG, 3 * MIB / PG - 1), 0);
	CHECK_EQ_U64(palloc_add_free(&pa, 8 * MIB, MIB / PG), 0);
	CHECK_EQ_U64(palloc_add_free(&pa, 10 * MIB, 4 * MIB / PG), 0);
	/* The 0-2M run is taken first, then 2-4M has the hole: 4M, then 10M, 12M. */
	CHECK_EQ_U64(palloc_alloc(&pa, PALLOC_ORDER_2M), 0);
	CHECK_EQ_U64(palloc_alloc(&pa, PALLOC_ORDER_2M), 4 * MIB);
	CHECK_EQ_U64(palloc_alloc(&pa, PALLOC_ORDER_2M), 10 * MIB);
	CHECK_EQ_U64(palloc_alloc(&pa, PALLOC_ORDER_2M), 12 * MIB);
	CHECK_EQ_U64(palloc_alloc(&pa, PALLOC_ORDER_2M), 0);
	/* 1 MiB (order 8) runs: 2M (the hole at 3M spoils 3M-4M), then 8M. */
	CHECK_EQ_U64(palloc_alloc(&pa, 8), 2 * MIB);
	CHECK_EQ_U64(palloc_alloc(&pa, 8), 8 * MIB);
	CHECK_EQ_U64(palloc_alloc(&pa, 8), 0);
	CHECK_EQ_U64(palloc_alloc(&pa, 0), 3 * MIB + PG);
	CHECK(palloc_page_used(&pa, 3 * MIB));
	CHECK(palloc_page_used(&pa, 60 * MIB));
}

TEST(reserve)
{
	setup(0, 8 * MIB);
	CHECK_EQ_U64(palloc_add_free(&pa, 1 * MIB, 512), 0);
	/* Half of the range is free, half never was: only free pages count. */
	CHECK_EQ_U64(palloc_reserve(&pa, 1 * MIB - 16 * PG, 32), 16);
	CHECK_EQ_U64(pa.total_pages, 496);
	CHECK_EQ_U64(pa.free_pages, 496);
	CHECK_EQ_U64(palloc_reserve(&pa, 1 * MIB, 16), 0); /* already taken */
	uint64_t p = palloc_alloc(&pa, 0);
	CHECK_EQ_U64(p, 1 * MIB + 16 * PG);
	CHECK_EQ_U64(palloc_reserve(&pa, p, 2), 1); /* p is in use: left alone */
	CHECK_EQ_U64(palloc_reserve(&pa, 8 * MIB, 1), -1);
	CHECK_EQ_U64(palloc_reserve(&pa, 7 * MIB, 512), -1);
	CHECK_EQ_U64(palloc_reserve(&pa, 0, UINT64_MAX), -1);
	CHECK_EQ_U64(palloc_reserve(&pa, 1 * MIB, 0), 0);
	CHECK_EQ_U64(pa.total_pages, 495);
	CHECK_EQ_U64(pa.free_pages, 494);
	/* Reserved pages never come back from alloc. */
	CHECK_EQ_U64(palloc_alloc(&pa, 0), 1 * MIB + 18 * PG);
}

/* The bench case: 4K leftovers below 2 MiB must not make each 2 MiB
 * allocation rescan the filled part (16 GiB: 8192 runs, linear overall). */
TEST(filling_big_span_in_order)
{
	uint64_t limit = 16ULL << 30, prev = 0, a;
	unsigned n = 0;

	setup(0, limit);
	CHECK_EQ_U64(palloc_add_free(&pa, 1 * MIB, (limit - 1 * MIB) / PG), 0);
	while ((a = palloc_alloc(&pa, PALLOC_ORDER_2M)) != 0) {
		if (a <= prev)
			CHECK(!"not in address order");
		prev = a;
		n++;
	}
	CHECK_EQ_U64(n, limit / (2 * MIB) - 1);
	CHECK_EQ_U64(pa.free_pages, 256);
	CHECK_EQ_U64(palloc_free(&pa, 4000 * MIB, PALLOC_ORDER_2M), 0);
	CHECK_EQ_U64(palloc_free(&pa, 6 * MIB, PALLOC_ORDER_2M), 0);
	CHECK_EQ_U64(palloc_alloc(&pa, PALLOC_ORDER_2M), 6 * MIB); /* hint lowered */
	CHECK_EQ_U64(palloc_alloc(&pa, PALLOC_ORDER_2M), 4000 * MIB);
	CHECK_EQ_U64(palloc_alloc(&pa, PALLOC_ORDER_2M), 0);
	CHECK_EQ_U64(palloc_alloc(&pa, 0), 1 * MIB);
	CHECK_EQ_U64(palloc_alloc(&pa, 8), 0); /* 1M..2M now has a hole */
	CHECK_EQ_U64(palloc_alloc(&pa, 7), 1 * MIB + 128 * PG);
	CHECK_EQ_U64(palloc_free(&pa, 1 * MIB, 0), 0);
	CHECK_EQ_U64(palloc_alloc(&pa, 7), 1 * MIB);
}

/* ---- a brute-force reference allocator ----------------------------------- */

enum { REF_PAGES = 4096 };
static bool ref_used[REF_PAGES];

static uint64_t ref_alloc(uint64_t base, unsigned order)
{
	uint64_t n = 1ULL << order;

	for (uint64_t i = 0; i + n <= REF_PAGES; i++) {
		uint64_t j;

		if (((base / PG) + i) % n)
			continue;
		for (j = 0; j < n && !ref_used[i + j]; j++)
			;
		if (j < n)
			continue;
		for (j = 0; j < n; j++)
			ref_used[i + j] = true;
		return base + i * PG;
	}
	return UINT64_MAX;
}

TEST(matches_reference_model)
{
	static struct {
		uint64_t addr;
		unsigned order;
	} live[2000];
	unsigned nlive = 0;
	uint64_t base = 5 * PG + 64 * MIB; /* deliberately odd alignment */

	srand(12345);
	setup(base, base + REF_PAGES * PG);
	for (unsigned i = 0; i < REF_PAGES; i++)
		ref_used[i] = (i % 97) < 7 || (i / 700) == 3; /* holes */
	for (unsigned i = 0; i < REF_PAGES;) {
		unsigned j = i;

		while (j < REF_PAGES && ref_used[j] == ref_used[i])
			j++;
		if (!ref_used[i])
			CHECK_EQ_U64(palloc_add_free(&pa, base + i * PG, j - i), 0);
		i = j;
	}
	for (int step = 0; step < 20000; step++) {
		if (nlive && (rand() % 3 == 0 || nlive == 2000)) {
			unsigned k = (unsigned)rand() % nlive;
			uint64_t n = 1ULL << live[k].order;

			CHECK_EQ_U64(palloc_free(&pa, live[k].addr, live[k].order), 0);
			for (uint64_t j = 0; j < n; j++)
				ref_used[(live[k].addr - base) / PG + j] = false;
			live[k] = live[--nlive];
			continue;
		}
		unsigned order = (unsigned)rand() % 11;
		uint64_t want = ref_alloc(base, order);
		uint64_t got = palloc_alloc(&pa, order);

		CHECK_EQ_U64(got, want == UINT64_MAX ? 0 : want);
		if (got) {
			live[nlive].addr = got;
			live[nlive++].order = order;
		}
	}
	for (unsigned i = 0; i < REF_PAGES; i++) {
		if (palloc_page_used(&pa, base + i * PG) != ref_used[i]) {
			CHECK(!"bitmap differs from the model");
			break;
		}
	}
	while (nlive) {
		nlive--;
		CHECK_EQ_U64(palloc_free(&pa, live[nlive].addr, live[nlive].order), 0);
	}
	CHECK_EQ_U64(pa.free_pages, pa.total_pages);
	CHECK_EQ_U64(pa.bad_frees, 0);
	free(bitmap);
	bitmap = NULL;
}

TEST(order_for_sizes)
{
	CHECK_EQ_U64(palloc_order_for(0), 0);
	CHECK_EQ_U64(palloc_order_for(1), 0);
	CHECK_EQ_U64(palloc_order_for(4096), 0);
	CHECK_EQ_U64(palloc_order_for(4097), 1);
	CHECK_EQ_U64(palloc_order_for(2ull << 20), PALLOC_ORDER_2M);
	CHECK_EQ_U64(palloc_order_for(512ull << 20), 17);
	CHECK_EQ_U64(palloc_order_for(UINT64_MAX), 52);
}
