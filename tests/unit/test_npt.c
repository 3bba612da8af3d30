/* Unit tests of the nested page table builder (hv/npt.c), both formats, hostile arguments. */
#include <stdlib.h>
#include <string.h>

#include "hv/npt.h"
#include "tests/unit/test.h"

#define KB  (1ull << 10)
#define MB  (1ull << 20)
#define RW  (NPT_R | NPT_W)
#define RWX (NPT_R | NPT_W | NPT_X)

/* ---- table memory from aligned_alloc, pa == pointer --------------------- */

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
	if (!p)
		return 0;
	memset(p, 0, 4096);
	live_pages++;
	return (uint64_t)(uintptr_t)p;
}

static void test_free(void *ctx, uint64_t pa)
{
	(void)ctx;
	free((void *)(uintptr_t)pa);
	live_pages--;
}

static void *test_virt(void *ctx, uint64_t pa)
{
	(void)ctx;
	return (void *)(uintptr_t)pa;
}

static const struct npt_mem mem = {test_alloc, test_free, test_virt, NULL};

static void setup(struct npt *t, const struct npt_format *f)
{
	live_pages = 0;
	fail_after = -1;
	CHECK(npt_init(t, f, &mem) == 0);
}

static void teardown(struct npt *t)
{
	CHECK_EQ_U64(t->table_pages, live_pages);
	npt_destroy(t);
	CHECK_EQ_U64(t->table_pages, 0);
	CHECK_EQ_U64(live_pages, 0);
}

/* ---- helpers ------------------------------------------------------------ */

static uint64_t page_size_at(const struct npt *t, uint64_t gpa)
{
	uint64_t hpa, size;
	unsigned perm;

	return npt_lookup(t, gpa, &hpa, &perm, &size) ? size : 0;
}

static uint64_t hpa_at(const struct npt *t, uint64_t gpa)
{
	uint64_t hpa, size;
	unsigned perm;

	return npt_lookup(t, gpa, &hpa, &perm, &size) ? hpa : ~0ull;
}

static unsigned perm_at(const struct npt *t, uint64_t gpa)
{
	uint64_t hpa, size;
	unsigned perm;

	return npt_lookup(t, gpa, &hpa, &perm, &size) ? perm : 0;
}

/* The raw entry for gpa at `level` (4 = root), read with the test's own walk. */
static uint64_t raw_entry(const struct npt *t, uint64_t gpa, int level)
{
	const uint64_t *table = (const uint64_t *)(uintptr_t)t->root;

	for (int l = 4; l > level; l--)
		table = (const uint64_t *)(uintptr_t)(table[(gpa >> (12 + 9 * (l - 1))) & 511] &
						      0xffffffffff000ull);
	return table[(gpa >> (12 + 9 * (level - 1))) & 511];
}

static int count_leaf(void *ctx, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned perm)
{
	(void)gpa;
	(void)hpa;
	(void)size;
	(void)perm;
	(*(int *)ctx)++;
	return 0;
}

static int leaf_count(const struct npt *t)
{
	int n = 0;

	npt_for_each_leaf(t, count_leaf, &n);
	return n;
}

/* ---- map ---------------------------------------------------------------- */

TEST(aligned_ranges_use_2m_pages)
{
	struct npt t;
	uint64_t hpa, size;
	unsigned perm;

	setup(&t, &npt_format_amd);
	CHECK(npt_map(&t, 0, 64 * MB, 8 * MB, RWX) == 0);
	CHECK_EQ_U64(page_size_at(&t, 0), 2 * MB);
	CHECK_EQ_U64(page_size_at(&t, 6 * MB), 2 * MB);
	CHECK(npt_lookup(&t, 3 * MB + 5, &hpa, &perm, &size));
	CHECK_EQ_U64(hpa, 67 * MB + 5);
	CHECK_EQ_U64(perm, RWX);
	CHECK_EQ_U64(size, 2 * MB);
	CHECK(!npt_lookup(&t, 8 * MB, &hpa, &perm, &size));
	CHECK_EQ_U64(t.table_pages, 3); /* PML4, PDPT, PD */
	CHECK_EQ_U64(leaf_count(&t), 4);
	teardown(&t);
}

TEST(unaligned_hpa_uses_4k_pages)
{
	struct npt t;

	setup(&t, &npt_format_amd);
	CHECK(npt_map(&t, 2 * MB, 0x201000, 4 * MB, NPT_R) == 0);
	CHECK_EQ_U64(page_size_at(&t, 2 * MB), 4 * KB);
	CHECK_EQ_U64(page_size_at(&t, 6 * MB - 4 * KB), 4 * KB);
	CHECK_EQ_U64(hpa_at(&t, 6 * MB - 4 * KB), 0x201000 + 4 * MB - 4 * KB);
	CHECK_EQ_U64(page_size_at(&t, 6 * MB), 0);
	CHECK_EQ_U64(leaf_count(&t), 1024);
	teardown(&t);
}

TEST(mixed_range_uses_2m_in_the_middle)
{
	struct npt t;

	setup(&t, &npt_format_ept);
	/* gpa 0x1000..0x401000, identity: 511 small, one large, one small. */
	CHECK(npt_map(&t, 0x1000, 0x1000, 0x400000, RW) == 0);
	CHECK_EQ_U64(page_size_at(&t, 0), 0);
	CHECK_EQ_U64(page_size_at(&t, 0x1000), 4 * KB);
	CHECK_EQ_U64(page_size_at(&t, 0x1ff000), 4 * KB);
	CHECK_EQ_U64(page_size_at(&t, 0x200000), 2 * MB);
	CHECK_EQ_U64(page_size_at(&t, 0x3ff000), 2 * MB);
	CHECK_EQ_U64(page_size_at(&t, 0x400000), 4 * KB);
	CHECK_EQ_U64(page_size_at(&t, 0x401000), 0);
	CHECK_EQ_U64(hpa_at(&t, 0x3ff123), 0x3ff123);
	CHECK_EQ_U64(leaf_count(&t), 511 + 1 + 1);
	CHECK_EQ_U64(t.table_pages, 5); /* PML4, PDPT, PD, two PTs */
	teardown(&t);
}

TEST(bad_arguments_refused)
{
	struct npt t;

	setup(&t, &npt_format_amd);
	CHECK(npt_map(&t, 0x100, 0, 4096, NPT_R) == -1);	       /* gpa misaligned */
	CHECK(npt_map(&t, 0, 0x100, 4096, NPT_R) == -1);	       /* hpa misaligned */
	CHECK(npt_map(&t, 0, 0, 0, NPT_R) == -1);		       /* empty */
	CHECK(npt_map(&t, 0, 0, 100, NPT_R) == -1);		       /* size misaligned */
	CHECK(npt_map(&t, ~0xfffull, 0, 0x2000, NPT_R) == -1);	       /* gpa wraps */
	CHECK(npt_map(&t, 0, ~0xfffull, 0x2000, NPT_R) == -1);	       /* hpa wraps */
	CHECK(npt_map(&t, 1ull << 48, 0, 4096, NPT_R) == -1);	       /* beyond 48 bits */
	CHECK(npt_map(&t, (1ull << 48) - 4096, 0, 8192, NPT_R) == -1); /* ends beyond */
	CHECK(npt_map(&t, 0, 1ull << 52, 4096, NPT_R) == -1);	       /* hpa beyond 52 */
	CHECK(npt_map(&t, 0, (1ull << 52) - 4096, 8192, NPT_R) == -1);
	CHECK(npt_map(&t, 0, 0, 4096, 0) == -1);	  /* no access */
	CHECK(npt_map(&t, 0, 0, 4096, NPT_W) == -1);	  /* W without R */
	CHECK(npt_map(&t, 0, 0, 4096, NPT_R | 16) == -1); /* unknown bit */
	CHECK(npt_unmap(&t, 0, 0) == -1);
	CHECK(npt_unmap(&t, 0x10, 4096) == -1);
	CHECK(npt_unmap(&t, 1ull << 48, 4096) == -1);
	CHECK(npt_protect(&t, 0, 0, NPT_R) == -1);
	CHECK(npt_split(&t, 1ull << 48) == -1);
	CHECK_EQ_U64(t.table_pages, 1);
	CHECK_EQ_U64(leaf_count(&t), 0);
	/* The highest legal page still maps. */
	CHECK(npt_map(&t, (1ull << 48) - 4096, (1ull << 52) - 4096, 4096, NPT_R) == 0);
	CHECK_EQ_U64(hpa_at(&t, (1ull << 48) - 1), (1ull << 52) - 1);
	teardown(&t);
}

TEST(overlap_refused_and_nothing_changed)
{
	struct npt t;

	setup(&t, &npt_format_amd);
	CHECK(npt_map(&t, 4 * MB, 0, 2 * MB, RW) == 0);
	CHECK(npt_map(&t, 5 * MB, 32 * MB, 4096, NPT_R) == -1);	       /* inside */
	CHECK(npt_map(&t, 2 * MB, 32 * MB, 4 * MB, NPT_R) == -1);      /* covers the start */
	CHECK(npt_map(&t, 6 * MB - 4096, 32 * MB, 8192, NPT_R) == -1); /* last page */
	CHECK(npt_map(&t, 0, 32 * MB, 1ull << 40, NPT_R) == -1);       /* huge, around it */
	CHECK_EQ_U64(t.table_pages, 3);
	CHECK_EQ_U64(hpa_at(&t, 5 * MB), 1 * MB);
	CHECK_EQ_U64(page_size_at(&t, 2 * MB), 0);
	CHECK_EQ_U64(page_size_at(&t, 6 * MB), 0);
	CHECK_EQ_U64(leaf_count(&t), 1);
	/* Right next to it is fine, on both sides. */
	CHECK(npt_map(&t, 6 * MB, 32 * MB, 4096, NPT_R) == 0);
	CHECK(npt_map(&t, 4 * MB - 4096, 33 * MB, 4096, NPT_R) == 0);
	teardown(&t);
}

/* ---- unmap, split, protect ---------------------------------------------- */

TEST(unmap_splits_partial_2m_page)
{
	struct npt t;
	unsigned bad = 0;

	setup(&t, &npt_format_amd);
	CHECK(npt_map(&t, 0, 16 * MB, 2 * MB, RW) == 0);
	CHECK(npt_unmap(&t, 0x3000, 0x1000) == 0);
	CHECK_EQ_U64(page_size_at(&t, 0x3000), 0);
	for (uint64_t gpa = 0; gpa < 2 * MB; gpa += 4096) {
		if (gpa == 0x3000)
			continue;
		bad += hpa_at(&t, gpa + 7) != 16 * MB + gpa + 7 || page_size_at(&t, gpa) != 4096 ||
		       perm_at(&t, gpa) != RW;
	}
	CHECK_EQ_U64(bad, 0);
	CHECK_EQ_U64(leaf_count(&t), 511);
	CHECK_EQ_U64(t.table_pages, 4);
	/* Unmapping the rest frees the page table, the PD and the PDPT. */
	CHECK(npt_unmap(&t, 0, 2 * MB) == 0);
	CHECK_EQ_U64(page_size_at(&t, 0x4000), 0);
	CHECK_EQ_U64(t.table_pages, 1);
	/* The range can be mapped again, now with a 2 MiB page. */
	CHECK(npt_map(&t, 0, 20 * MB, 2 * MB, NPT_R) == 0);
	CHECK_EQ_U64(page_size_at(&t, 0), 2 * MB);
	teardown(&t);
}

TEST(unmap_across_leaves_and_holes)
{
	struct npt t;

	setup(&t, &npt_format_ept);
	CHECK(npt_map(&t, 0, 0, 6 * MB, RW) == 0);
	CHECK(npt_map(&t, 1ull << 39, 0, 4096, RW) == 0);
	/* From inside the first 2 MiB page to inside the third. */
	CHECK(npt_unmap(&t, 1 * MB, 4 * MB) == 0);
	CHECK_EQ_U64(page_size_at(&t, 1 * MB - 4096), 4096);
	CHECK_EQ_U64(page_size_at(&t, 1 * MB), 0);
	CHECK_EQ_U64(page_size_at(&t, 3 * MB), 0);
	CHECK_EQ_U64(page_size_at(&t, 5 * MB - 4096), 0);
	CHECK_EQ_U64(hpa_at(&t, 5 * MB), 5 * MB);
	CHECK_EQ_U64(leaf_count(&t), 256 + 256 + 1);
	/* The whole guest-physical space, mostly holes: quick and complete. */
	CHECK(npt_unmap(&t, 0, 1ull << 48) == 0);
	CHECK_EQ_U64(leaf_count(&t), 0);
	CHECK_EQ_U64(t.table_pages, 1);
	CHECK(npt_unmap(&t, 0, 4096) == 0); /* nothing there: fine */
	teardown(&t);
}

TEST(split_keeps_translation)
{
	struct npt t;

	setup(&t, &npt_format_amd);
	CHECK(npt_split(&t, 0) == -1); /* unmapped */
	CHECK(npt_map(&t, 2 * MB, 8 * MB, 2 * MB, NPT_R | NPT_X) == 0);
	CHECK(npt_map(&t, 0, 0, 4096, NPT_R) == 0);
	CHECK(npt_split(&t, 0) == 0); /* already 4 KiB */
	CHECK_EQ_U64(t.table_pages, 4);
	CHECK(npt_split(&t, 3 * MB + 123) == 0);
	CHECK_EQ_U64(t.table_pages, 5);
	CHECK_EQ_U64(page_size_at(&t, 2 * MB), 4096);
	CHECK_EQ_U64(hpa_at(&t, 4 * MB - 1), 10 * MB - 1);
	CHECK_EQ_U64(perm_at(&t, 3 * MB), NPT_R | NPT_X);
	CHECK_EQ_U64(leaf_count(&t), 513);
	CHECK(npt_split(&t, 3 * MB) == 0);
	CHECK_EQ_U64(t.table_pages, 5);
	teardown(&t);
}

TEST(protect_changes_permissions)
{
	struct npt t;

	setup(&t, &npt_format_ept);
	CHECK(npt_map(&t, 0, 0, 4 * MB, RWX) == 0);
	CHECK(npt_protect(&t, 2 * MB + 0x1000, 0x1000, NPT_R) == 0);
	CHECK_EQ_U64(perm_at(&t, 2 * MB + 0x1000), NPT_R);
	CHECK_EQ_U64(perm_at(&t, 2 * MB), RWX);
	CHECK_EQ_U64(perm_at(&t, 2 * MB + 0x2000), RWX);
	CHECK_EQ_U64(hpa_at(&t, 2 * MB + 0x1000), 2 * MB + 0x1000);
	CHECK_EQ_U64(page_size_at(&t, 0), 2 * MB); /* untouched 2 MiB page stays */
	/* A whole 2 MiB page keeps its size. */
	CHECK(npt_protect(&t, 0, 2 * MB, NPT_R | NPT_X) == 0);
	CHECK_EQ_U64(page_size_at(&t, 0), 2 * MB);
	CHECK_EQ_U64(perm_at(&t, 1 * MB), NPT_R | NPT_X);
	/* Refused, nothing changed: a hole in the range, a bad perm. */
	CHECK(npt_protect(&t, 3 * MB, 2 * MB, NPT_R) == -1);
	CHECK(npt_protect(&t, 8 * MB, 4096, NPT_R) == -1);
	CHECK(npt_protect(&t, 0, 4096, NPT_W) == -1);
	CHECK_EQ_U64(perm_at(&t, 3 * MB), RWX);
	CHECK_EQ_U64(perm_at(&t, 0), NPT_R | NPT_X);
	teardown(&t);
}

TEST(lookup_of_unmapped)
{
	struct npt t;
	uint64_t hpa = 7, size = 7;
	unsigned perm = 7;

	setup(&t, &npt_format_amd);
	CHECK(!npt_lookup(&t, 0, &hpa, &perm, &size));
	CHECK(npt_map(&t, 4 * MB, 4 * MB, 4096, NPT_R) == 0);
	CHECK(!npt_lookup(&t, 4 * MB + 4096, &hpa, &perm, &size));
	CHECK(!npt_lookup(&t, 4 * MB - 1, &hpa, &perm, &size));
	CHECK(!npt_lookup(&t, 1ull << 48, &hpa, &perm, &size));
	CHECK(!npt_lookup(&t, ~0ull, &hpa, &perm, &size));
	CHECK_EQ_U64(hpa, 7);
	teardown(&t);
	CHECK(!npt_lookup(&t, 4 * MB, &hpa, &perm, &size)); /* destroyed */
	CHECK(npt_for_each_leaf(&t, count_leaf, &perm) == 0);
}

/* ---- leaves and formats ------------------------------------------------- */

struct collected {
	uint64_t gpa[8], size[8];
	int n, stop_at;
};

static int collect(void *ctx, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned perm)
{
	struct collected *c = ctx;

	(void)hpa;
	(void)perm;
	if (c->n < 8) {
		c->gpa[c->n] = gpa;
		c->size[c->n] = size;
	}
	return ++c->n == c->stop_at ? 42 : 0;
}

TEST(leaves_visited_in_gpa_order)
{
	struct npt t;
	struct collected c = {{0}, {0}, 0, 0};

	setup(&t, &npt_format_amd);
	CHECK(npt_map(&t, 1ull << 40, 0, 2 * MB, NPT_R) == 0);
	CHECK(npt_map(&t, 0, 2 * MB, 2 * MB, NPT_R) == 0);
	CHECK(npt_map(&t, 1ull << 30, 4 * MB, 4096, NPT_R) == 0);
	CHECK(npt_map(&t, 4 * MB, 8 * MB, 4096, NPT_R) == 0);
	CHECK(npt_for_each_leaf(&t, collect, &c) == 0);
	CHECK_EQ_U64(c.n, 4);
	CHECK_EQ_U64(c.gpa[0], 0);
	CHECK_EQ_U64(c.size[0], 2 * MB);
	CHECK_EQ_U64(c.gpa[1], 4 * MB);
	CHECK_EQ_U64(c.size[1], 4096);
	CHECK_EQ_U64(c.gpa[2], 1ull << 30);
	CHECK_EQ_U64(c.gpa[3], 1ull << 40);
	/* A non-zero return stops the walk and is passed on. */
	c.n = 0;
	c.stop_at = 2;
	CHECK(npt_for_each_leaf(&t, collect, &c) == 42);
	CHECK_EQ_U64(c.n, 2);
	teardown(&t);
}

TEST(amd_entry_bits)
{
	struct npt t;
	uint64_t e;

	setup(&t, &npt_format_amd);
	CHECK(npt_map(&t, 0, 2 * MB, 2 * MB, NPT_R) == 0);
	CHECK(npt_map(&t, 2 * MB, 4 * MB, 2 * MB, RWX) == 0);
	CHECK(npt_map(&t, 4 * MB, 0x7654321000ull, 4096, RW) == 0);
	e = raw_entry(&t, 0, 2);
	CHECK_EQ_U64(e, 2 * MB | 1 | 4 | 1ull << 7 | 1ull << 63); /* P U PS NX, not RW */
	e = raw_entry(&t, 2 * MB, 2);
	CHECK_EQ_U64(e, 4 * MB | 1 | 2 | 4 | 1ull << 7); /* executable: no NX */
	e = raw_entry(&t, 4 * MB, 1);
	CHECK_EQ_U64(e, 0x7654321000ull | 1 | 2 | 4 | 1ull << 63); /* 4 KiB: no PS */
	for (int level = 4; level >= 2; level--)
		CHECK_EQ_U64(raw_entry(&t, 4 * MB, level) & ~0xffffffffff000ull, 7); /* P RW U */
	teardown(&t);
}

TEST(ept_entry_bits)
{
	struct npt t;
	uint64_t e;

	setup(&t, &npt_format_ept);
	CHECK(npt_map(&t, 0, 2 * MB, 2 * MB, NPT_R | NPT_X) == 0);
	CHECK(npt_map(&t, 2 * MB, 4 * MB, 4096, RW) == 0);
	e = raw_entry(&t, 0, 2);
	CHECK_EQ_U64(e & 7, 5);	       /* R, X, not W */
	CHECK_EQ_U64((e >> 3) & 7, 6); /* write-back */
	CHECK(e & (1ull << 7));	       /* 2 MiB */
	CHECK(!(e & (1ull << 6)));     /* guest PAT still applies */
	CHECK(!(e & (1ull << 63)));
	CHECK_EQ_U64(e & 0xffffffffff000ull, 2 * MB);
	e = raw_entry(&t, 2 * MB, 1);
	CHECK_EQ_U64(e, 4 * MB | 1 | 2 | 6 << 3); /* R W, no X, WB, no bit 7 */
	for (int level = 4; level >= 2; level--)
		CHECK_EQ_U64(raw_entry(&t, 2 * MB, level) & ~0xffffffffff000ull, 7); /* R W X */
	CHECK(npt_protect(&t, 2 * MB, 4096, RWX) == 0);
	CHECK_EQ_U64(raw_entry(&t, 2 * MB, 1), 4 * MB | 7 | 6 << 3);
	teardown(&t);
}

/* ---- memory ------------------------------------------------------------- */

TEST(destroy_frees_every_table)
{
	struct npt t;

	setup(&t, &npt_format_amd);
	for (uint64_t i = 0; i < 16; i++)
		CHECK(npt_map(&t, i << 39 | i << 30 | 0x5000, i * MB, 3 * 4096, RW) == 0);
	CHECK_EQ_U64(t.table_pages, 1 + 16 * 3);
	CHECK_EQ_U64(live_pages, t.table_pages);
	teardown(&t);
	npt_destroy(&t); /* twice is harmless */
	CHECK_EQ_U64(live_pages, 0);
}

TEST(out_of_memory_during_map_rolls_back)
{
	struct npt t;
	unsigned failures = 0, bad = 0;

	/* Fail after every possible count: -2, unchanged, until it fits. */
	for (long n = 0; n < 16; n++) {
		int rc;

		setup(&t, &npt_format_amd);
		CHECK(npt_map(&t, 1ull << 39, 0, 4096, NPT_R) == 0);
		fail_after = n;
		rc = npt_map(&t, 0x1ff000, 0x1ff000, 0x202000, RW); /* PDPT PD PT PT */
		fail_after = -1;
		if (rc == -2) {
			failures++;
			bad += t.table_pages != 4 || leaf_count(&t) != 1 ||
			       page_size_at(&t, 0x200000) != 0;
		} else {
			bad += rc != 0 || n < 4 || leaf_count(&t) != 1 + 1 + 1 + 1;
		}
		teardown(&t);
	}
	CHECK_EQ_U64(failures, 4);
	CHECK_EQ_U64(bad, 0);
	/* Not even a root. */
	fail_after = 0;
	CHECK(npt_init(&t, &npt_format_amd, &mem) == -2);
	fail_after = -1;
	CHECK_EQ_U64(t.root, 0);
	npt_destroy(&t);
	CHECK_EQ_U64(live_pages, 0);
}

TEST(out_of_memory_during_split)
{
	struct npt t;

	setup(&t, &npt_format_ept);
	CHECK(npt_map(&t, 0, 0, 4 * MB, RW) == 0);
	fail_after = 0;
	CHECK(npt_split(&t, 0) == -2);
	CHECK(npt_unmap(&t, 4096, 4096) == -2);
	CHECK(npt_protect(&t, 2 * MB, 4096, NPT_R) == -2);
	fail_after = -1;
	CHECK_EQ_U64(page_size_at(&t, 4096), 2 * MB); /* nothing changed */
	CHECK_EQ_U64(perm_at(&t, 2 * MB), RW);
	/* One split done, the other fails: nothing unmapped, translation intact. */
	fail_after = 1;
	CHECK(npt_unmap(&t, 1 * MB, 2 * MB) == -2);
	fail_after = -1;
	CHECK_EQ_U64(hpa_at(&t, 1 * MB), 1 * MB);
	CHECK_EQ_U64(hpa_at(&t, 3 * MB - 4096), 3 * MB - 4096);
	teardown(&t);
}

/* ---- isolation ---------------------------------------------------------- */

TEST(isolation_check)
{
	struct npt a, b, c;
	const struct npt *all[3] = {&a, &b, &c};
	struct npt_range hv[2] = {{900 * MB, 4096}, {512 * MB, 16 * MB}};
	char why[200];

	setup(&a, &npt_format_amd);
	CHECK(npt_init(&b, &npt_format_amd, &mem) == 0);
	CHECK(npt_init(&c, &npt_format_ept, &mem) == 0);
	CHECK(npt_map(&a, 0, 16 * MB, 4 * MB, RW) == 0);
	CHECK(npt_map(&b, 0, 32 * MB, 4 * MB, RW) == 0);
	CHECK(npt_map(&c, 0, 48 * MB, 2 * MB, RWX) == 0);
	CHECK(npt_check_isolation(all, 3, hv, 2, why, sizeof(why)) == 0);
	CHECK_STR(why, "");
	/* A read-only page shared by all is fine; aliases inside one table too. */
	CHECK(npt_map(&a, 64 * MB, 100 * MB, 4096, NPT_R) == 0);
	CHECK(npt_map(&b, 64 * MB, 100 * MB, 4096, NPT_R) == 0);
	CHECK(npt_map(&c, 64 * MB, 100 * MB, 4096, NPT_R | NPT_X) == 0);
	CHECK(npt_map(&a, 70 * MB, 16 * MB, 4096, RW) == 0);
	CHECK(npt_check_isolation(all, 3, hv, 2, why, sizeof(why)) == 0);
	/* A page of a's writable 2 MiB leaf mapped by c, even read-only, is not. */
	CHECK(npt_map(&c, 80 * MB, 17 * MB + 8192, 4096, NPT_R) == 0);
	CHECK(npt_check_isolation(all, 3, hv, 2, why, sizeof(why)) == -1);
	CHECK_STR(why, "host page 0x1102000 is mapped by table 0 at gpa 0x102000 (writable) "
		       "and by table 2 at gpa 0x5000000 (read-only)");
	CHECK(npt_unmap(&c, 80 * MB, 4096) == 0);
	/* Two writable mappings of one page. */
	CHECK(npt_map(&c, 80 * MB, 33 * MB, 4096, RW) == 0);
	CHECK(npt_check_isolation(all, 3, hv, 2, why, sizeof(why)) == -1);
	CHECK(strstr(why, "table 1 at gpa 0x100000 (writable)") != NULL);
	CHECK(strstr(why, "table 2 at gpa 0x5000000 (writable)") != NULL);
	CHECK(npt_check_isolation(all, 3, hv, 2, NULL, 0) == -1); /* no message wanted */
	CHECK(npt_unmap(&c, 80 * MB, 4096) == 0);
	CHECK(npt_check_isolation(all, 3, hv, 2, why, sizeof(why)) == 0);
	/* Hypervisor memory mapped anywhere, even read-only, is refused. */
	CHECK(npt_map(&b, 90 * MB, 510 * MB, 4 * MB, NPT_R) == 0);
	CHECK(npt_check_isolation(all, 3, hv, 2, why, sizeof(why)) == -1);
	CHECK_STR(why, "table 1 maps gpa 0x5c00000 to host page 0x20000000 inside forbidden "
		       "range 0x20000000+0x1000000");
	CHECK(npt_check_isolation(all, 1, hv, 2, why, sizeof(why)) == 0); /* only a */
	CHECK(npt_check_isolation(all, 0, hv, 2, why, sizeof(why)) == 0);
	npt_destroy(&a);
	npt_destroy(&b);
	npt_destroy(&c);
	CHECK_EQ_U64(live_pages, 0);
}

TEST(isolation_check_near_the_top_of_memory)
{
	struct npt a;
	const struct npt *one[1] = {&a};
	struct npt_range top = {~0ull - 4095, 4096}; /* base + size wraps to 0 */
	char why[160];

	setup(&a, &npt_format_amd);
	CHECK(npt_map(&a, 0, (1ull << 52) - 2 * MB, 2 * MB, RW) == 0);
	CHECK(npt_check_isolation(one, 1, &top, 1, why, sizeof(why)) == 0);
	top = (struct npt_range){(1ull << 52) - 4096, ~0ull - ((1ull << 52) - 4096) + 1};
	CHECK(npt_check_isolation(one, 1, &top, 1, why, sizeof(why)) == -1);
	CHECK(strstr(why, "gpa 0x1ff000 to host page 0xffffffffff000") != NULL);
	teardown(&a);
}

/* ---- copies through the table: RAM only ----------------------------------- */

/* Three 4 KiB host pages: RAM at gpa 0 and 4 KiB, a device's registers
 * (NPT_DEV, as a passed BAR) at 8 KiB, a hole at 12 KiB. */
struct copy_world {
	struct npt t;
	uint8_t *ram0, *ram1, *dev;
};

static uint8_t *filled_page(uint8_t byte)
{
	uint8_t *p = aligned_alloc(4096, 4096);

	memset(p, byte, 4096);
	return p;
}

static void copy_world_setup(struct copy_world *w, const struct npt_format *f)
{
	setup(&w->t, f);
	w->ram0 = filled_page(0xa0);
	w->ram1 = filled_page(0xa1);
	w->dev = filled_page(0xde);
	CHECK(npt_map(&w->t, 0, (uint64_t)(uintptr_t)w->ram0, 4 * KB, RWX) == 0);
	CHECK(npt_map(&w->t, 4 * KB, (uint64_t)(uintptr_t)w->ram1, 4 * KB, RWX) == 0);
	CHECK(npt_map(&w->t, 8 * KB, (uint64_t)(uintptr_t)w->dev, 4 * KB, RW | NPT_DEV) == 0);
}

static void copy_world_teardown(struct copy_world *w)
{
	teardown(&w->t);
	free(w->ram0);
	free(w->ram1);
	free(w->dev);
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t byte)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != byte)
			return false;
	return true;
}

TEST(copies_cross_ram_pages)
{
	struct copy_world w;
	uint8_t buf[64];

	copy_world_setup(&w, &npt_format_ept);
	CHECK(npt_read(&w.t, 4 * KB - 32, buf, sizeof(buf)) == 0);
	CHECK(all_bytes(buf, 32, 0xa0) && all_bytes(buf + 32, 32, 0xa1));
	memset(buf, 0x55, sizeof(buf));
	CHECK(npt_write(&w.t, 4 * KB - 16, buf, 32) == 0);
	CHECK(all_bytes(w.ram0 + 4096 - 16, 16, 0x55) && all_bytes(w.ram1, 16, 0x55));
	CHECK(npt_read(&w.t, 0, buf, 0) == 0);
	copy_world_teardown(&w);
}

TEST(copies_refuse_device_pages_as_unmapped_ones)
{
	struct copy_world w;
	uint8_t buf[64];

	copy_world_setup(&w, &npt_format_amd);
	memset(buf, 0x11, sizeof(buf));
	/* A read of the device page, or one that runs into it: refused, nothing copied. */
	CHECK(npt_read(&w.t, 8 * KB, buf, 4) == -1);
	CHECK(npt_read(&w.t, 8 * KB - 8, buf, 16) == -1);
	CHECK(all_bytes(buf, sizeof(buf), 0x11));
	/* A write that ends in it: not even the RAM part is written. */
	CHECK(npt_write(&w.t, 8 * KB - 8, buf, 16) == -1);
	CHECK(all_bytes(w.ram1, 4096, 0xa1));
	CHECK(npt_write(&w.t, 8 * KB + 100, buf, 1) == -1);
	CHECK(all_bytes(w.dev, 4096, 0xde));
	/* The same as a hole, and as addresses past the table's reach. */
	CHECK(npt_read(&w.t, 12 * KB, buf, 1) == -1);
	CHECK(npt_read(&w.t, (1ull << 48) - 4, buf, 8) == -1);
	CHECK(npt_read(&w.t, ~0ull - 3, buf, 8) == -1);
	CHECK(all_bytes(buf, sizeof(buf), 0x11));
	copy_world_teardown(&w);
}
