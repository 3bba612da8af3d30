/* Nested page table builder for AMD NPT and Intel EPT (pure C; host-tested). */
#include "hv/npt.h"
#include "hv/lib/fmt.h"
#include "hv/lib/string.h"

#define PAGE_4K	  0x1000ull
#define PAGE_2M	  0x200000ull
#define GPA_LIMIT (1ull << 48) /* 4-level tables */
#define HPA_LIMIT (1ull << 52) /* architectural physical-address maximum */
#define ENTRIES	  512
#define TOP_LEVEL 4

/*
 * AMD APM vol. 2, 15.25.5: nested tables have the long-mode format (5.3.3:
 * P = bit 0, R/W = 1, U/S = 2, PS = 7, NX = 63), and nested walks are user
 * accesses, so U must be set at every level.  NX is honoured only with the
 * hypervisor's EFER.NXE set (trampoline.S sets it on every CPU).  The PAT
 * bits stay 0 (host PAT entry 0, write-back) so the guest's PAT decides,
 * which keeps passed-through MMIO uncached.
 */
const struct npt_format npt_format_amd = {
	.name = "npt",
	.present = 1ull << 0,
	.write = 1ull << 1,
	.exec = 1ull << 63,
	.exec_is_nx = true,
	.user = 1ull << 2,
	.large = 1ull << 7,
	.addr_mask = 0x000ffffffffff000ull,
	.leaf_extra = 0,
	.device = 1ull << 11, /* APM vol.2 15.25.5 / 5.3.3: bits 11:9 are AVL */
	.table_bits = (1ull << 0) | (1ull << 1) | (1ull << 2),
};

/*
 * Intel SDM vol. 3C, 29.3.2 (tables 29-2..29-6): R = bit 0, W = 1, X = 2,
 * leaf memory type in bits 5:3 (6 = write-back), bit 7 = 2 MiB page.
 * Ignore-PAT (bit 6) stays clear on purpose: with it clear the guest's PAT
 * is combined with WB (29.3.7.2), so a guest can still map passed-through
 * MMIO uncached; setting it would force device registers to write-back.
 */
const struct npt_format npt_format_ept = {
	.name = "ept",
	.present = 1ull << 0,
	.write = 1ull << 1,
	.exec = 1ull << 2,
	.exec_is_nx = false,
	.user = 0,
	.large = 1ull << 7,
	.addr_mask = 0x000ffffffffff000ull,
	.leaf_extra = 6ull << 3,
	.device = 1ull << 11, /* SDM vol.3C table 29-6: bit 11 ignored */
	.table_bits = (1ull << 0) | (1ull << 1) | (1ull << 2),
};

/* ---- entries ------------------------------------------------------------ */

static unsigned index_at(uint64_t gpa, int level)
{
	return (unsigned)(gpa >> (12 + 9 * (level - 1))) & (ENTRIES - 1);
}

static uint64_t level_size(int level)
{
	return PAGE_4K << (9 * (level - 1));
}

/* The first address after the level_size(level) block holding gpa. */
static uint64_t block_end(uint64_t gpa, int level)
{
	return (gpa & ~(level_size(level) - 1)) + level_size(level);
}

static uint64_t *table_at(const struct npt *t, uint64_t pa)
{
	return t->mem.to_virt(t->mem.ctx, pa);
}

static bool is_present(const struct npt *t, uint64_t e)
{
	return (e & t->fmt->present) != 0;
}

/* Level 1 entries are always leaves; level 2 ones when the large bit is set. */
static bool is_leaf(const struct npt *t, uint64_t e, int level)
{
	return level == 1 || (level == 2 && (e & t->fmt->large));
}

static uint64_t addr_of(const struct npt *t, uint64_t e)
{
	return e & t->fmt->addr_mask;
}

static uint64_t leaf_entry(const struct npt *t, uint64_t hpa, unsigned perm, bool large)
{
	const struct npt_format *f = t->fmt;
	uint64_t e = hpa | f->present | f->user | f->leaf_extra;
	bool exec = (perm & NPT_X) != 0;

	if (large)
		e |= f->large;
	if (perm & NPT_W)
		e |= f->write;
	if (perm & NPT_DEV)
		e |= f->device;
	if (exec != f->exec_is_nx)
		e |= f->exec;
	return e;
}

static unsigned perm_of(const struct npt *t, uint64_t e)
{
	const struct npt_format *f = t->fmt;
	bool exec_bit = (e & f->exec) != 0;
	unsigned p = NPT_R;

	if (e & f->write)
		p |= NPT_W;
	if (exec_bit != f->exec_is_nx)
		p |= NPT_X;
	if (e & f->device)
		p |= NPT_DEV;
	return p;
}

static bool perm_ok(unsigned perm)
{
	return (perm & NPT_R) && !(perm & ~(NPT_R | NPT_W | NPT_X | NPT_DEV));
}

static bool range_ok(uint64_t base, uint64_t size, uint64_t limit)
{
	return size && !(base % PAGE_4K) && !(size % PAGE_4K) && base < limit &&
	       size <= limit - base;
}

/* ---- table pages -------------------------------------------------------- */

static uint64_t alloc_table(struct npt *t)
{
	uint64_t pa = t->mem.alloc_page(t->mem.ctx);

	if (pa)
		t->table_pages++;
	return pa;
}

static void free_table(struct npt *t, uint64_t pa)
{
	t->mem.free_page(t->mem.ctx, pa);
	t->table_pages--;
}

static bool table_is_empty(const struct npt *t, uint64_t pa)
{
	const uint64_t *table = table_at(t, pa);

	for (unsigned i = 0; i < ENTRIES; i++)
		if (is_present(t, table[i]))
			return false;
	return true;
}

/* Frees the table that non-leaf entry *e points to when nothing is left in it. */
static void free_if_empty(struct npt *t, uint64_t *e)
{
	if (table_is_empty(t, addr_of(t, *e))) {
		free_table(t, addr_of(t, *e));
		*e = 0;
	}
}

int npt_init(struct npt *t, const struct npt_format *fmt, const struct npt_mem *mem)
{
	t->fmt = fmt;
	t->mem = *mem;
	t->table_pages = 0;
	t->root = alloc_table(t);
	return t->root ? 0 : -2;
}

/* ---- walks -------------------------------------------------------------- */

/* The entry that ends the walk for gpa: a leaf, or a non-present entry at
 * *level (a hole of level_size(*level) around gpa).  gpa < 2^48. */
static uint64_t *find_entry(const struct npt *t, uint64_t gpa, int *level)
{
	uint64_t *table = table_at(t, t->root);

	for (int l = TOP_LEVEL;; l--) {
		uint64_t *e = &table[index_at(gpa, l)];

		if (!is_present(t, *e) || is_leaf(t, *e, l)) {
			*level = l;
			return e;
		}
		table = table_at(t, addr_of(t, *e));
	}
}

/* The entry for gpa at `level`, creating missing tables above it; NULL when
 * out of memory.  The caller knows no leaf lies on the way. */
static uint64_t *walk_create(struct npt *t, uint64_t gpa, int level)
{
	uint64_t *table = table_at(t, t->root);

	for (int l = TOP_LEVEL; l > level; l--) {
		uint64_t *e = &table[index_at(gpa, l)];

		if (!is_present(t, *e)) {
			uint64_t pa = alloc_table(t);

			if (!pa)
				return NULL;
			*e = pa | t->fmt->table_bits;
		}
		table = table_at(t, addr_of(t, *e));
	}
	return &table[index_at(gpa, level)];
}

bool npt_lookup(const struct npt *t, uint64_t gpa, uint64_t *hpa, unsigned *perm,
		uint64_t *page_size)
{
	const uint64_t *e;
	int level;

	if (!t->root || gpa >= GPA_LIMIT)
		return false;
	e = find_entry(t, gpa, &level);
	if (!is_present(t, *e))
		return false;
	*page_size = level_size(level);
	*hpa = addr_of(t, *e) + (gpa & (*page_size - 1));
	*perm = perm_of(t, *e);
	return true;
}

/* True when no page of [gpa, end) is mapped; skips holes a block at a time. */
static bool range_is_unmapped(const struct npt *t, uint64_t gpa, uint64_t end)
{
	while (gpa < end) {
		int level;

		if (is_present(t, *find_entry(t, gpa, &level)))
			return false;
		gpa = block_end(gpa, level);
	}
	return true;
}

/* True when every page of [gpa, end) is mapped; steps a leaf at a time. */
static bool range_is_mapped(const struct npt *t, uint64_t gpa, uint64_t end)
{
	while (gpa < end) {
		int level;

		if (!is_present(t, *find_entry(t, gpa, &level)))
			return false;
		gpa = block_end(gpa, level);
	}
	return true;
}

/* ---- map, split --------------------------------------------------------- */

static int map_leaf(struct npt *t, uint64_t gpa, uint64_t hpa, unsigned perm, bool large)
{
	uint64_t *e = walk_create(t, gpa, large ? 2 : 1);

	if (!e)
		return -2;
	if (large && is_present(t, *e))
		free_table(t, addr_of(t, *e)); /* an empty page table: the leaf replaces it */
	*e = leaf_entry(t, hpa, perm, large);
	return 0;
}

static bool can_map_2m(uint64_t gpa, uint64_t hpa, uint64_t left)
{
	return !(gpa % PAGE_2M) && !(hpa % PAGE_2M) && left >= PAGE_2M;
}

static void remove_range(struct npt *t, uint64_t gpa, uint64_t end);

int npt_map(struct npt *t, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned perm)
{
	uint64_t done, step;

	if (!range_ok(gpa, size, GPA_LIMIT) || !range_ok(hpa, size, HPA_LIMIT) || !perm_ok(perm) ||
	    !range_is_unmapped(t, gpa, gpa + size))
		return -1;
	for (done = 0; done < size; done += step) {
		bool large = can_map_2m(gpa + done, hpa + done, size - done);

		step = large ? PAGE_2M : PAGE_4K;
		if (map_leaf(t, gpa + done, hpa + done, perm, large) != 0) {
			remove_range(t, gpa, gpa + size); /* it was all unmapped */
			return -2;
		}
	}
	return 0;
}

int npt_split(struct npt *t, uint64_t gpa)
{
	uint64_t *e, *pt, pt_pa, base;
	unsigned perm;
	int level;

	if (gpa >= GPA_LIMIT)
		return -1;
	e = find_entry(t, gpa, &level);
	if (!is_present(t, *e))
		return -1;
	if (level == 1)
		return 0;
	pt_pa = alloc_table(t);
	if (!pt_pa)
		return -2;
	pt = table_at(t, pt_pa);
	base = addr_of(t, *e);
	perm = perm_of(t, *e);
	for (unsigned i = 0; i < ENTRIES; i++)
		pt[i] = leaf_entry(t, base + i * PAGE_4K, perm, false);
	*e = pt_pa | t->fmt->table_bits; /* one store: a walker sees old or new */
	return 0;
}

/* ---- unmap, protect ----------------------------------------------------- */

/* A change to every leaf inside [start, end); unmap or set perm. */
struct edit {
	uint64_t start, end;
	bool unmap;
	unsigned perm;
};

/* Splits the 2 MiB leaf holding gpa when it is not wholly inside ed's range. */
static int split_if_partial(struct npt *t, uint64_t gpa, const struct edit *ed)
{
	int level;
	uint64_t e = *find_entry(t, gpa, &level);
	uint64_t base = gpa & ~(level_size(level) - 1);

	if (!is_present(t, e) || level == 1 ||
	    (base >= ed->start && block_end(gpa, level) <= ed->end))
		return 0;
	return npt_split(t, gpa);
}

/* Only the leaves at the two ends can straddle the range. */
static int split_edges(struct npt *t, const struct edit *ed)
{
	if (split_if_partial(t, ed->start, ed) != 0)
		return -2;
	return split_if_partial(t, ed->end - 1, ed) != 0 ? -2 : 0;
}

static void edit_leaf(struct npt *t, uint64_t *e, const struct edit *ed)
{
	bool large = (*e & t->fmt->large) != 0;

	*e = ed->unmap ? 0 : leaf_entry(t, addr_of(t, *e), ed->perm, large);
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Applies ed to the table at `level` covering [base, base + 512 blocks).
 * Every leaf that meets the range lies inside it (split_edges ran). */
static void edit_table(struct npt *t, uint64_t table_pa, int level, uint64_t base,
		       const struct edit *ed)
{
	uint64_t *table = table_at(t, table_pa);
	uint64_t span = level_size(level);
	unsigned first = index_at(max_u64(ed->start, base), level);
	unsigned last = index_at(min_u64(ed->end, base + ENTRIES * span) - 1, level);

	for (unsigned i = first; i <= last; i++) {
		uint64_t *e = &table[i];

		if (!is_present(t, *e))
			continue;
		if (is_leaf(t, *e, level)) {
			edit_leaf(t, e, ed);
			continue;
		}
		edit_table(t, addr_of(t, *e), level - 1, base + i * span, ed);
		if (ed->unmap)
			free_if_empty(t, e);
	}
}

/* Unmaps [gpa, end) when no leaf straddles its ends; never allocates. */
static void remove_range(struct npt *t, uint64_t gpa, uint64_t end)
{
	struct edit ed = {gpa, end, true, 0};

	edit_table(t, t->root, TOP_LEVEL, 0, &ed);
}

int npt_unmap(struct npt *t, uint64_t gpa, uint64_t size)
{
	struct edit ed = {gpa, gpa + size, true, 0};

	if (!range_ok(gpa, size, GPA_LIMIT))
		return -1;
	if (split_edges(t, &ed) != 0)
		return -2;
	edit_table(t, t->root, TOP_LEVEL, 0, &ed);
	return 0;
}

int npt_protect(struct npt *t, uint64_t gpa, uint64_t size, unsigned perm)
{
	struct edit ed = {gpa, gpa + size, false, perm};

	if (!range_ok(gpa, size, GPA_LIMIT) || !perm_ok(perm) ||
	    !range_is_mapped(t, gpa, gpa + size))
		return -1;
	if (split_edges(t, &ed) != 0)
		return -2;
	edit_table(t, t->root, TOP_LEVEL, 0, &ed);
	return 0;
}

/* ---- copies to and from guest RAM ---------------------------------------- */

/* The bytes of [gpa, gpa+len) that lie in the leaf holding gpa, and where
 * they are; 0 when gpa is unmapped or a device's page (NPT_DEV): a device's
 * registers are not memory, and reading or writing them has effects. */
static uint64_t ram_piece(const struct npt *t, uint64_t gpa, uint64_t len, uint8_t **host)
{
	uint64_t hpa, page_size, n;
	unsigned perm;

	if (!npt_lookup(t, gpa, &hpa, &perm, &page_size) || (perm & NPT_DEV))
		return 0;
	n = page_size - (gpa & (page_size - 1));
	*host = t->mem.to_virt(t->mem.ctx, hpa);
	return n < len ? n : len;
}

/* Copies between buf and guest RAM once every byte is known to be RAM. */
static int copy_ram(const struct npt *t, uint64_t gpa, uint8_t *buf, uint64_t len, bool to_guest)
{
	uint64_t at, n;
	uint8_t *host;

	if (!t->root || gpa >= GPA_LIMIT || len > GPA_LIMIT - gpa)
		return -1;
	for (at = 0; at < len; at += n)
		if (!(n = ram_piece(t, gpa + at, len - at, &host)))
			return -1;
	for (at = 0; at < len; at += n) {
		n = ram_piece(t, gpa + at, len - at, &host);
		if (to_guest)
			zv_memcpy(host, buf + at, n);
		else
			zv_memcpy(buf + at, host, n);
	}
	return 0;
}

int npt_read(const struct npt *t, uint64_t gpa, void *dst, uint64_t len)
{
	return copy_ram(t, gpa, dst, len, false);
}

int npt_write(const struct npt *t, uint64_t gpa, const void *src, uint64_t len)
{
	return copy_ram(t, gpa, (uint8_t *)src, len, true);
}

/* ---- leaves, destroy ---------------------------------------------------- */

static int leaves_of(const struct npt *t, uint64_t table_pa, int level, uint64_t base,
		     npt_leaf_fn fn, void *ctx)
{
	const uint64_t *table = table_at(t, table_pa);

	for (unsigned i = 0; i < ENTRIES; i++) {
		uint64_t e = table[i], gpa = base + i * level_size(level);
		int rc;

		if (!is_present(t, e))
			continue;
		if (is_leaf(t, e, level))
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
	return t->root ? leaves_of(t, t->root, TOP_LEVEL, 0, fn, ctx) : 0;
}

static void free_tables(struct npt *t, uint64_t table_pa, int level)
{
	const uint64_t *table = table_at(t, table_pa);

	for (unsigned i = 0; level > 1 && i < ENTRIES; i++)
		if (is_present(t, table[i]) && !is_leaf(t, table[i], level))
			free_tables(t, addr_of(t, table[i]), level - 1);
	free_table(t, table_pa);
}

void npt_destroy(struct npt *t)
{
	if (t->root)
		free_tables(t, t->root, TOP_LEVEL);
	t->root = 0;
	t->table_pages = 0;
}

/* ---- isolation check: pairwise over leaves, no allocation ---------------- */

struct iso_ctx {
	const struct npt *const *tables;
	unsigned count, i, j; /* outer table i, inner table j > i */
	const struct npt_range *forbidden;
	unsigned nforbidden;
	uint64_t gpa, hpa, size; /* the outer leaf */
	unsigned perm;
	char *why;
	size_t whylen;
};

/* Overflow-safe: do [a, a+asz) and [b, b+bsz) share a byte? */
static bool overlaps(uint64_t a, uint64_t asz, uint64_t b, uint64_t bsz)
{
	return a >= b ? a - b < bsz : b - a < asz;
}

static const char *access_name(unsigned perm)
{
	return (perm & NPT_W) ? "writable" : "read-only";
}

static int shared_page_found(struct iso_ctx *c, uint64_t gpa, uint64_t hpa, unsigned perm)
{
	uint64_t page = max_u64(hpa, c->hpa);

	if (c->whylen)
		zv_snprintf(c->why, c->whylen,
			    "host page 0x%llx is mapped by table %u at gpa 0x%llx (%s) and by "
			    "table %u at gpa 0x%llx (%s)",
			    (unsigned long long)page, c->i,
			    (unsigned long long)(c->gpa + (page - c->hpa)), access_name(c->perm),
			    c->j, (unsigned long long)(gpa + (page - hpa)), access_name(perm));
	return -1;
}

static int inner_leaf(void *ctx, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned perm)
{
	struct iso_ctx *c = ctx;

	if (!overlaps(c->hpa, c->size, hpa, size) || !((c->perm | perm) & NPT_W))
		return 0;
	return shared_page_found(c, gpa, hpa, perm);
}

static int forbidden_page_found(struct iso_ctx *c, uint64_t gpa, uint64_t hpa,
				const struct npt_range *r)
{
	uint64_t page = max_u64(hpa, r->base & ~(PAGE_4K - 1));

	if (c->whylen)
		zv_snprintf(c->why, c->whylen,
			    "table %u maps gpa 0x%llx to host page 0x%llx inside forbidden "
			    "range 0x%llx+0x%llx",
			    c->i, (unsigned long long)(gpa + (page - hpa)),
			    (unsigned long long)page, (unsigned long long)r->base,
			    (unsigned long long)r->size);
	return -1;
}

static int check_forbidden(struct iso_ctx *c, uint64_t gpa, uint64_t hpa, uint64_t size)
{
	for (unsigned f = 0; f < c->nforbidden; f++)
		if (overlaps(hpa, size, c->forbidden[f].base, c->forbidden[f].size))
			return forbidden_page_found(c, gpa, hpa, &c->forbidden[f]);
	return 0;
}

static int outer_leaf(void *ctx, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned perm)
{
	struct iso_ctx *c = ctx;

	if (check_forbidden(c, gpa, hpa, size))
		return -1;
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
	struct iso_ctx c = {.tables = tables,
			    .count = count,
			    .forbidden = forbidden,
			    .nforbidden = nforbidden,
			    .why = why,
			    .whylen = whylen};

	if (whylen)
		why[0] = 0;
	for (c.i = 0; c.i < count; c.i++)
		if (npt_for_each_leaf(tables[c.i], outer_leaf, &c))
			return -1;
	return 0;
}
