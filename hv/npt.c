/* Nested page table builder for AMD NPT and Intel EPT (pure C; host-tested). */
#include "hv/lib/fmt.h"
#include "hv/npt.h"

#define PAGE_4K 0x1000ull
#define PAGE_2M 0x200000ull
#define GPA_LIMIT (1ull << 48) /* 4-level tables */
#define HPA_LIMIT (1ull << 52) /* architectural physical-address maximum */
#define ENTRIES 512

/* AMD APM vol. 2, 15.25.5: nested tables use the long-mode format, and every
 * level needs the U bit (nested walks are user accesses).  5.3.3: P=0, RW=1,
 * US=2, PS=7, NX=63. */
const struct npt_format npt_format_amd = {
	.name = "npt",
	.present = 1ull << 0,
	.write = 1ull << 1,
	.exec = 0,
	.nx = 1ull << 63,
	.large = 1ull << 7,
	.leaf_extra = 1ull << 2,
	.table_bits = (1ull << 0) | (1ull << 1) | (1ull << 2),
	.addr_mask = 0x000ffffffffff000ull,
};

/* Intel SDM vol. 3C, 29.3.2 (tables 29-2..29-6): R=0, W=1, X=2, memory
 * type in bits 5:3 of leaves (6 = write-back), bit 7 = 2 MiB page. */
const struct npt_format npt_format_ept = {
	.name = "ept",
	.present = 1ull << 0,
	.write = 1ull << 1,
	.exec = 1ull << 2,
	.nx = 0,
	.large = 1ull << 7,
	.leaf_extra = 6ull << 3,
	.table_bits = (1ull << 0) | (1ull << 1) | (1ull << 2),
	.addr_mask = 0x000ffffffffff000ull,
};

static unsigned index_at(uint64_t gpa, int level)
{
	return (unsigned)(gpa >> (12 + 9 * (level - 1))) & (ENTRIES - 1);
}

static uint64_t level_size(int level)
{
	return PAGE_4K << (9 * (level - 1));
}

static uint64_t *table_at(const struct npt *t, uint64_t pa)
{
	return t->mem.to_virt(t->mem.ctx, pa);
}

static bool present(const struct npt *t, uint64_t e)
{
	return (e & t->fmt->present) != 0;
}

static bool is_large(const struct npt *t, uint64_t e, int level)
{
	return level == 2 && (e & t->fmt->large);
}

static uint64_t addr_of(const struct npt *t, uint64_t e)
{
	return e & t->fmt->addr_mask;
}

static uint64_t leaf_entry(const struct npt *t, uint64_t hpa, unsigned perm, bool large)
{
	const struct npt_format *f = t->fmt;
	uint64_t e = hpa | f->present | f->leaf_extra | (large ? f->large : 0);

	if (perm & NPT_W)
		e |= f->write;
	e |= (perm & NPT_X) ? f->exec : f->nx;
	return e;
}

static unsigned perm_of(const struct npt *t, uint64_t e)
{
	const struct npt_format *f = t->fmt;
	unsigned p = NPT_R;

	if (e & f->write)
		p |= NPT_W;
	if (f->exec ? (e & f->exec) != 0 : (e & f->nx) == 0)
		p |= NPT_X;
	return p;
}

static uint64_t new_table(struct npt *t)
{
	uint64_t pa = t->mem.alloc_page(t->mem.ctx);

	if (pa)
		t->table_pages++;
	return pa;
}

int npt_init(struct npt *t, const struct npt_format *fmt, const struct npt_mem *mem)
{
	t->fmt = fmt;
	t->mem = *mem;
	t->table_pages = 0;
	t->root = new_table(t);
	return t->root ? 0 : -2;
}

/* The entry for gpa at `level`, creating tables on the way when create is
 * set.  NULL when a table is missing (and !create), when out of memory, or
 * when a 2 MiB leaf sits above the wanted level (*blocked set). */
static uint64_t *walk(struct npt *t, uint64_t gpa, int level, bool create, bool *blocked)
{
	uint64_t *table = table_at(t, t->root);

	*blocked = false;
	for (int l = 4; l > level; l--) {
		uint64_t *e = &table[index_at(gpa, l)];

		if (is_large(t, *e, l) && present(t, *e)) {
			*blocked = true;
			return NULL;
		}
		if (!present(t, *e)) {
			uint64_t pa = create ? new_table(t) : 0;

			if (!pa)
				return NULL;
			*e = pa | t->fmt->table_bits;
		}
		table = table_at(t, addr_of(t, *e));
	}
	return &table[index_at(gpa, level)];
}

/* Read-only variant of walk(): the leaf entry covering gpa and its level. */
static const uint64_t *find_leaf(const struct npt *t, uint64_t gpa, int *level)
{
	const uint64_t *table = table_at(t, t->root);

	for (int l = 4; l >= 1; l--) {
		const uint64_t *e = &table[index_at(gpa, l)];

		if (!present(t, *e))
			return NULL;
		if (l == 1 || is_large(t, *e, l)) {
			*level = l;
			return e;
		}
		table = table_at(t, addr_of(t, *e));
	}
	return NULL;
}

bool npt_lookup(const struct npt *t, uint64_t gpa, uint64_t *hpa, unsigned *perm,
		uint64_t *page_size)
{
	int level;
	const uint64_t *e = gpa < GPA_LIMIT ? find_leaf(t, gpa, &level) : NULL;

	if (!e)
		return false;
	*page_size = level_size(level);
	*hpa = addr_of(t, *e) + (gpa & (*page_size - 1));
	*perm = perm_of(t, *e);
	return true;
}

static bool range_ok(uint64_t base, uint64_t size, uint64_t limit)
{
	return size && !(base % PAGE_4K) && !(size % PAGE_4K) && base < limit &&
	       size <= limit - base;
}

static bool range_has_mapping(const struct npt *t, uint64_t gpa, uint64_t size)
{
	uint64_t end = gpa + size;

	while (gpa < end) {
		int level;

		if (find_leaf(t, gpa, &level))
			return true;
		gpa += PAGE_4K; /* a hole: look at the next page */
	}
	return false;
}

static int map_one(struct npt *t, uint64_t gpa, uint64_t hpa, unsigned perm, bool large)
{
	bool blocked;
	uint64_t *e = walk(t, gpa, large ? 2 : 1, true, &blocked);

	if (!e)
		return -2;
	if (large && present(t, *e)) {
		/* An empty page table left by an unmap: free it, the leaf replaces it. */
		t->mem.free_page(t->mem.ctx, addr_of(t, *e));
		t->table_pages--;
	}
	*e = leaf_entry(t, hpa, perm, large);
	return 0;
}

int npt_map(struct npt *t, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned perm)
{
	uint64_t done = 0;

	if (!range_ok(gpa, size, GPA_LIMIT) || !range_ok(hpa, size, HPA_LIMIT) ||
	    range_has_mapping(t, gpa, size))
		return -1;
	while (done < size) {
		bool large = !((gpa + done) % PAGE_2M) && !((hpa + done) % PAGE_2M) &&
			     size - done >= PAGE_2M;

		if (map_one(t, gpa + done, hpa + done, perm, large) != 0) {
			if (done)
				npt_unmap(t, gpa, done);
			return -2;
		}
		done += large ? PAGE_2M : PAGE_4K;
	}
	return 0;
}

int npt_split(struct npt *t, uint64_t gpa)
{
	int level;
	uint64_t *e = (uint64_t *)find_leaf(t, gpa, &level);
	uint64_t pt, base;
	unsigned perm;

	if (!e)
		return -1;
	if (level == 1)
		return 0;
	pt = new_table(t);
	if (!pt)
		return -2;
	base = addr_of(t, *e);
	perm = perm_of(t, *e);
	for (unsigned i = 0; i < ENTRIES; i++)
		table_at(t, pt)[i] = leaf_entry(t, base + i * PAGE_4K, perm, false);
	*e = pt | t->fmt->table_bits;
	return 0;
}

/* Visits every mapped 4 KiB page of the range, splitting 2 MiB leaves that
 * are only partly inside; fn changes the entry in place. */
static int edit_range(struct npt *t, uint64_t gpa, uint64_t size,
		      void (*fn)(struct npt *t, uint64_t *e, unsigned arg), unsigned arg)
{
	uint64_t end = gpa + size;

	if (!range_ok(gpa, size, GPA_LIMIT))
		return -1;
	while (gpa < end) {
		int level;
		uint64_t *e = (uint64_t *)find_leaf(t, gpa, &level);

		if (!e) {
			gpa += PAGE_4K;
			continue;
		}
		if (level == 2 && (gpa % PAGE_2M || end - gpa < PAGE_2M)) {
			if (npt_split(t, gpa) != 0)
				return -2;
			continue;
		}
		fn(t, e, arg);
		gpa += level_size(level);
	}
	return 0;
}

static void clear_entry(struct npt *t, uint64_t *e, unsigned arg)
{
	(void)t;
	(void)arg;
	*e = 0;
}

static void set_perm(struct npt *t, uint64_t *e, unsigned perm)
{
	bool large = (*e & t->fmt->large) != 0;

	*e = leaf_entry(t, addr_of(t, *e), perm, large);
}

int npt_unmap(struct npt *t, uint64_t gpa, uint64_t size)
{
	return edit_range(t, gpa, size, clear_entry, 0);
}

int npt_protect(struct npt *t, uint64_t gpa, uint64_t size, unsigned perm)
{
	return edit_range(t, gpa, size, set_perm, perm);
}

static int leaves_of(const struct npt *t, uint64_t table_pa, int level, uint64_t base,
		     npt_leaf_fn fn, void *ctx)
{
	const uint64_t *table = table_at(t, table_pa);

	for (unsigned i = 0; i < ENTRIES; i++) {
		uint64_t e = table[i], gpa = base + i * level_size(level);
		int rc;

		if (!present(t, e))
			continue;
		if (level == 1 || is_large(t, e, level))
			rc = fn(ctx, gpa, addr_of(t, e), level_size(level), perm_of(t, e));
		else
			rc = leaves_of(t, addr_of(t, e), level - 1, gpa, fn, ctx);
		if (rc)
			return rc;
	}
	return 0;
}

int npt_for_each_leaf(const struct npt *t, npt_leaf_fn fn, void *ctx)
{
	return t->root ? leaves_of(t, t->root, 4, 0, fn, ctx) : 0;
}

static void free_tables(struct npt *t, uint64_t table_pa, int level)
{
	uint64_t *table = table_at(t, table_pa);

	for (unsigned i = 0; level > 1 && i < ENTRIES; i++)
		if (present(t, table[i]) && !is_large(t, table[i], level))
			free_tables(t, addr_of(t, table[i]), level - 1);
	t->mem.free_page(t->mem.ctx, table_pa);
	t->table_pages--;
}

void npt_destroy(struct npt *t)
{
	if (t->root)
		free_tables(t, t->root, 4);
	t->root = 0;
}

/* ---- isolation check: pairwise over leaves, no allocation ---------------- */

struct iso_ctx {
	const struct npt *const *tables;
	unsigned count, i, j;
	const struct npt_range *forbidden;
	unsigned nforbidden;
	uint64_t gpa, hpa, size; /* the outer leaf */
	unsigned perm;
	char *why;
	size_t whylen;
};

static bool overlap(uint64_t a, uint64_t asz, uint64_t b, uint64_t bsz)
{
	return a < b + bsz && b < a + asz;
}

static int inner_leaf(void *ctx, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned perm)
{
	struct iso_ctx *c = ctx;

	if (!overlap(c->hpa, c->size, hpa, size) || !((c->perm | perm) & NPT_W))
		return 0;
	zv_snprintf(c->why, c->whylen,
		    "host page 0x%llx is mapped by table %u (gpa 0x%llx) and table %u "
		    "(gpa 0x%llx), writable in one of them",
		    (unsigned long long)(hpa > c->hpa ? hpa : c->hpa), c->i,
		    (unsigned long long)c->gpa, c->j, (unsigned long long)gpa);
	return -1;
}

static int outer_leaf(void *ctx, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned perm)
{
	struct iso_ctx *c = ctx;

	for (unsigned f = 0; f < c->nforbidden; f++) {
		if (overlap(hpa, size, c->forbidden[f].base, c->forbidden[f].size)) {
			zv_snprintf(c->why, c->whylen,
				    "table %u maps gpa 0x%llx to forbidden host memory 0x%llx",
				    c->i, (unsigned long long)gpa, (unsigned long long)hpa);
			return -1;
		}
	}
	c->gpa = gpa;
	c->hpa = hpa;
	c->size = size;
	c->perm = perm;
	for (c->j = c->i + 1; c->j < c->count; c->j++)
		if (npt_for_each_leaf(c->tables[c->j], inner_leaf, c))
			return -1;
	return 0;
}

int npt_check_isolation(const struct npt *const *tables, unsigned count,
			const struct npt_range *forbidden, unsigned nforbidden, char *why,
			size_t whylen)
{
	struct iso_ctx c = { tables, count, 0, 0, forbidden, nforbidden, 0, 0, 0, 0, why, whylen };

	if (whylen)
		why[0] = 0;
	for (c.i = 0; c.i < count; c.i++)
		if (npt_for_each_leaf(tables[c.i], outer_leaf, &c))
			return -1;
	return 0;
}
