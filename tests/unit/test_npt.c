/* Unit tests of the nested page table builder (hv/npt.c), both formats, hostile arguments. */
#include <stdlib.h>
#include <string.h>

#include "hv/npt.h"
#include "tests/unit/test.h"

#define MB (1ull << 20)

static long live_pages;
static long fail_after = -1; /* allocations left before failing; -1 = never */

static uint64_t test_alloc(void *ctx)
{
	void *p;

	(void)ctx;
	if (fail_after == 0)
		return 0;
	if (fail_after > 0)
		fail_after--;
	p = aligned_alloc(4096, 4096);
	memset(p, 0, 4096);
	live_pages++;
	return (uint64_t)p;
}

static void test_free(void *ctx, uint64_t pa)
{
	(void)ctx;
	free((void *)pa);
	live_pages--;
}

static void *test_virt(void *ctx, uint64_t pa)
{
	(void)ctx;
	return (void *)pa;
}

static const struct npt_mem mem = { test_alloc, test_free, test_virt, NULL };

static void setup(struct npt *t, const struct npt_format *f)
{
	live_pages = 0;
	fail_after = -1;
	CHECK(npt_init(t, f, &mem) == 0);
}

static uint64_t page_size_at(struct npt *t, uint64_t gpa)
{
	uint64_t hpa, size;
	unsigned perm;

	return npt_lookup(t, gpa, &hpa, &perm, &size) ? size : 0;
}

TEST(aligned_ranges_use_2m_pages)
{
	struct npt t;
	uint64_t hpa, size;
	unsigned perm;

	setup(&t, &npt_format_amd);
	CHECK(npt_map(&t, 0, 64 * MB, 8 * MB, NPT_R | NPT_W | NPT_X) == 0);
	CHECK_EQ_U64(page_size_at(&t, 0), 2 * MB);
	CHECK(npt_lookup(&t, 3 * MB + 5, &hpa, &perm, &size));
	CHECK_EQ_U64(hpa, 67 * MB + 5);
	CHECK_EQ_U64(perm, NPT_R | NPT_W | NPT_X);
	CHECK(!npt_lookup(&t, 8 * MB, &hpa, &perm, &size));
	CHECK_EQ_U64(t.table_pages, 3); /* PML4, PDPT, PD */
	npt_destroy(&t);
	CHECK_EQ_U64(live_pages, 0);
}

TEST(unaligned_ranges_use_4k_pages)
{
	struct npt t;

	setup(&t, &npt_format_amd);
	CHECK(npt_map(&t, 0x1000, 0x201000, 0x400000, NPT_R) == 0);
	CHECK_EQ_U64(page_size_at(&t, 0x1000), 4096);
	CHECK_EQ_U64(page_size_at(&t, 0x400000), 4096);
	CHECK_EQ_U64(page_size_at(&t, 0x401000), 0);
	npt_destroy(&t);
	CHECK_EQ_U64(live_pages, 0);
}

TEST(bad_arguments_refused)
{
	struct npt t;

	setup(&t, &npt_format_amd);
	CHECK(npt_map(&t, 0x100, 0, 4096, NPT_R) == -1);
	CHECK(npt_map(&t, 0, 0x100, 4096, NPT_R) == -1);
	CHECK(npt_map(&t, 0, 0, 0, NPT_R) == -1);
	CHECK(npt_map(&t, 0, 0, 100, NPT_R) == -1);
	CHECK(npt_map(&t, ~0xfffull, 0, 0x2000, NPT_R) == -1);       /* gpa wraps */
	CHECK(npt_map(&t, 1ull << 48, 0, 4096, NPT_R) == -1);        /* beyond 48 bits */
	CHECK(npt_map(&t, 0, (1ull << 52) - 4096, 8192, NPT_R) == -1); /* hpa too big */
	CHECK(npt_unmap(&t, 0, 0) == -1);
	CHECK_EQ_U64(t.table_pages, 1);
	npt_destroy(&t);
	CHECK_EQ_U64(live_pages, 0);
}

TEST(overlap_refused_and_nothing_changed)
{
	struct npt t;
	uint64_t hpa, size;
	unsigned perm;

	setup(&t, &npt_format_amd);
	CHECK(npt_map(&t, 4 * MB, 0, 2 * MB, NPT_R | NPT_W) == 0);
	CHECK(npt_map(&t, 5 * MB, 32 * MB, 4096, NPT_R) == -1);
	CHECK(npt_map(&t, 2 * MB, 32 * MB, 4 * MB, NPT_R) == -1);
	CHECK(npt_lookup(&t, 5 * MB, &hpa, &perm, &size));
	CHECK_EQ_U64(hpa, 1 * MB);
	CHECK(!npt_lookup(&t, 2 * MB, &hpa, &perm, &size));
	npt_destroy(&t);
	CHECK_EQ_U64(live_pages, 0);
}

TEST(unmap_splits_partial_2m_page)
{
	struct npt t;
	uint64_t hpa, size;
	unsigned perm;

	setup(&t, &npt_format_amd);
	CHECK(npt_map(&t, 0, 16 * MB, 2 * MB, NPT_R | NPT_W) == 0);
	CHECK(npt_unmap(&t, 0x3000, 0x1000) == 0);
	CHECK(!npt_lookup(&t, 0x3000, &hpa, &perm, &size));
	CHECK(npt_lookup(&t, 0x4000, &hpa, &perm, &size));
	CHECK_EQ_U64(hpa, 16 * MB + 0x4000);
	CHECK_EQ_U64(size, 4096);
	CHECK_EQ_U64(perm, NPT_R | NPT_W);
	CHECK(npt_lookup(&t, 0x1ff000, &hpa, &perm, &size));
	CHECK(npt_unmap(&t, 0, 2 * MB) == 0);
	CHECK(!npt_lookup(&t, 0x4000, &hpa, &perm, &size));
	/* The range can be mapped again, now with a 2 MiB page. */
	CHECK(npt_map(&t, 0, 20 * MB, 2 * MB, NPT_R) == 0);
	CHECK_EQ_U64(page_size_at(&t, 0), 2 * MB);
	npt_destroy(&t);
	CHECK_EQ_U64(live_pages, 0);
}

TEST(protect_changes_permissions)
{
	struct npt t;
	uint64_t hpa, size;
	unsigned perm;

	setup(&t, &npt_format_ept);
	CHECK(npt_map(&t, 0, 0, 4 * MB, NPT_R | NPT_W | NPT_X) == 0);
	CHECK(npt_protect(&t, 2 * MB + 0x1000, 0x1000, NPT_R) == 0);
	CHECK(npt_lookup(&t, 2 * MB + 0x1000, &hpa, &perm, &size));
	CHECK_EQ_U64(perm, NPT_R);
	CHECK(npt_lookup(&t, 2 * MB, &hpa, &perm, &size));
	CHECK_EQ_U64(perm, NPT_R | NPT_W | NPT_X);
	CHECK_EQ_U64(page_size_at(&t, 0), 2 * MB); /* untouched 2 MiB page stays */
	npt_destroy(&t);
	CHECK_EQ_U64(live_pages, 0);
}

static uint64_t leaf_entry_of(struct npt *t, uint64_t gpa)
{
	uint64_t *pml4 = (uint64_t *)t->root, *pdpt, *pd;

	pdpt = (uint64_t *)(pml4[(gpa >> 39) & 511] & 0xffffffffff000ull);
	pd = (uint64_t *)(pdpt[(gpa >> 30) & 511] & 0xffffffffff000ull);
	return pd[(gpa >> 21) & 511];
}

TEST(entry_bits_follow_the_format)
{
	struct npt t;
	uint64_t e;

	setup(&t, &npt_format_amd);
	CHECK(npt_map(&t, 0, 2 * MB, 2 * MB, NPT_R) == 0);
	e = leaf_entry_of(&t, 0);
	CHECK(e & 1);            /* present */
	CHECK(e & 4);            /* user: required for nested walks */
	CHECK(!(e & 2));         /* read-only */
	CHECK(e & (1ull << 63)); /* not executable: NX */
	CHECK(e & (1ull << 7));  /* 2 MiB */
	npt_destroy(&t);
	setup(&t, &npt_format_ept);
	CHECK(npt_map(&t, 0, 2 * MB, 2 * MB, NPT_R | NPT_X) == 0);
	e = leaf_entry_of(&t, 0);
	CHECK_EQ_U64(e & 7, 5);        /* R, X, not W */
	CHECK_EQ_U64((e >> 3) & 7, 6); /* write-back */
	CHECK(!(e & (1ull << 63)));
	npt_destroy(&t);
	CHECK_EQ_U64(live_pages, 0);
}

struct collected {
	uint64_t gpa[8];
	int n;
};

static int collect(void *ctx, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned perm)
{
	struct collected *c = ctx;

	(void)hpa;
	(void)size;
	(void)perm;
	if (c->n < 8)
		c->gpa[c->n] = gpa;
	c->n++;
	return 0;
}

TEST(leaves_visited_in_gpa_order)
{
	struct npt t;
	struct collected c = { { 0 }, 0 };

	setup(&t, &npt_format_amd);
	CHECK(npt_map(&t, 1ull << 40, 0, 2 * MB, NPT_R) == 0);
	CHECK(npt_map(&t, 0, 2 * MB, 2 * MB, NPT_R) == 0);
	CHECK(npt_map(&t, 1ull << 30, 4 * MB, 4096, NPT_R) == 0);
	CHECK(npt_for_each_leaf(&t, collect, &c) == 0);
	CHECK_EQ_U64(c.n, 3);
	CHECK_EQ_U64(c.gpa[0], 0);
	CHECK_EQ_U64(c.gpa[1], 1ull << 30);
	CHECK_EQ_U64(c.gpa[2], 1ull << 40);
	npt_destroy(&t);
	CHECK_EQ_U64(live_pages, 0);
}

TEST(out_of_memory_rolls_back)
{
	struct npt t;
	uint64_t hpa, size;
	unsigned perm;

	setup(&t, &npt_format_amd);
	fail_after = 2; /* PDPT and PD, then no PT for the 4 KiB part */
	CHECK(npt_map(&t, 0x1ff000, 0, 0x3000, NPT_R) == -2);
	CHECK(!npt_lookup(&t, 0x1ff000, &hpa, &perm, &size));
	fail_after = -1;
	npt_destroy(&t);
	CHECK_EQ_U64(live_pages, 0);
	fail_after = 0; /* not even a root */
	CHECK(npt_init(&t, &npt_format_amd, &mem) == -2);
	fail_after = -1;
	npt_destroy(&t);
	CHECK_EQ_U64(live_pages, 0);
}

TEST(isolation_check)
{
	struct npt a, b;
	const struct npt *both[2] = { &a, &b };
	struct npt_range hv = { 512 * MB, 16 * MB };
	char why[160];

	setup(&a, &npt_format_amd);
	CHECK(npt_init(&b, &npt_format_amd, &mem) == 0);
	CHECK(npt_map(&a, 0, 16 * MB, 4 * MB, NPT_R | NPT_W) == 0);
	CHECK(npt_map(&b, 0, 32 * MB, 4 * MB, NPT_R | NPT_W) == 0);
	CHECK(npt_check_isolation(both, 2, &hv, 1, why, sizeof(why)) == 0);
	/* A read-only page shared by both is fine. */
	CHECK(npt_map(&a, 64 * MB, 100 * MB, 4096, NPT_R) == 0);
	CHECK(npt_map(&b, 64 * MB, 100 * MB, 4096, NPT_R) == 0);
	CHECK(npt_check_isolation(both, 2, &hv, 1, why, sizeof(why)) == 0);
	/* A writable page of a inside b's read-only mapping is not. */
	CHECK(npt_map(&b, 80 * MB, 17 * MB, 4096, NPT_R) == 0);
	CHECK(npt_check_isolation(both, 2, &hv, 1, why, sizeof(why)) == -1);
	CHECK(strstr(why, "writable") != NULL);
	CHECK(npt_unmap(&b, 80 * MB, 4096) == 0);
	/* Hypervisor memory mapped anywhere is refused. */
	CHECK(npt_map(&b, 90 * MB, 520 * MB, 4096, NPT_R) == 0);
	CHECK(npt_check_isolation(both, 2, &hv, 1, why, sizeof(why)) == -1);
	CHECK(strstr(why, "forbidden") != NULL);
	npt_destroy(&a);
	npt_destroy(&b);
	CHECK_EQ_U64(live_pages, 0);
}
