/* Guest page-table walker: no paging, 32-bit, PAE, 4-level and 5-level paging (pure C). */
#include "hv/guest_walk.h"
#include "hv/x86_bits.h"

#define PAGE_4K	 0x1000ull
#define INSN_MAX 15 /* SDM vol. 2, 2.3.11 */
#define FRAME_32 0xFFFFF000ull
#define FRAME_52 0x000FFFFFFFFFF000ull /* bits 51:12, MAXPHYADDR = 52 */

/* Reserved bits, with MAXPHYADDR taken as 52 so only always-reserved bits count. */
#define RSVD_4M	       (1ull << 21)	     /* table 4-4: bits 20:13 are PA 39:32 (PSE-36) */
#define RSVD_PAE_PDPTE 0xFFF00000000001E6ull /* table 4-8: 63:52, 8:5, 2:1 */
#define RSVD_PAE       0x7FF0000000000000ull /* tables 4-9..4-11: 62:52 */
#define RSVD_PML       0x80ull		     /* tables 4-14, 4-15: PS must be 0 in PML5E/PML4E */
#define RSVD_1G	       0x3FFFE000ull	     /* table 4-16: 29:13 */
#define RSVD_2M	       0x1FE000ull	     /* tables 4-9, 4-18: 20:13 */

/* #PF error code, SDM vol. 3A, 4.7 (figure 4-12). */
#define PF_P	(1u << 0)
#define PF_W	(1u << 1)
#define PF_US	(1u << 2)
#define PF_RSVD (1u << 3)
#define PF_ID	(1u << 4)

enum level_flag {
	LVL_LARGE = 1,	   /* PS = 1 maps a page at this level */
	LVL_LARGE_PSE = 2, /* ... only with CR4.PSE (32-bit paging PDE) */
	LVL_NO_PERM = 4,   /* the entry has no R/W, U/S, XD bits (PAE PDPTE) */
};

struct walk_level {
	uint8_t shift;	     /* lowest linear-address bit this level indexes */
	uint8_t bits;	     /* how many bits it indexes */
	uint8_t entry_size;  /* 4 or 8 bytes */
	uint8_t flags;	     /* enum level_flag */
	uint64_t rsvd;	     /* reserved bits of every present entry */
	uint64_t rsvd_large; /* more reserved bits when the entry maps a page */
};

struct walk_format {
	const struct walk_level *level; /* from the root down */
	uint8_t levels;
	uint8_t va_bits;     /* linear-address width: 32, 48 or 57 */
	uint64_t root_mask;  /* CR3 bits that locate the root table */
	uint64_t frame_mask; /* entry bits that locate the next table or page */
};

/* SDM vol. 3A, 4.3: 10 + 10 + 12, 4-byte entries. */
static const struct walk_level levels_32[] = {
	{22, 10, 4, LVL_LARGE_PSE, 0, RSVD_4M},
	{12, 10, 4, 0, 0, 0},
};

/* SDM vol. 3A, 4.4: 2 + 9 + 9 + 12; the four PDPTEs sit at CR3 bits 31:5. */
static const struct walk_level levels_pae[] = {
	{30, 2, 8, LVL_NO_PERM, RSVD_PAE_PDPTE, 0},
	{21, 9, 8, LVL_LARGE, RSVD_PAE, RSVD_2M},
	{12, 9, 8, 0, RSVD_PAE, 0},
};

/* SDM vol. 3A, 4.5: PML5, PML4, PDPT (1 GiB), PD (2 MiB), PT. */
static const struct walk_level levels_long[] = {
	{48, 9, 8, 0, RSVD_PML, 0},
	{39, 9, 8, 0, RSVD_PML, 0},
	{30, 9, 8, LVL_LARGE, 0, RSVD_1G},
	{21, 9, 8, LVL_LARGE, 0, RSVD_2M},
	{12, 9, 8, 0, 0, 0},
};

enum { FMT_32, FMT_PAE, FMT_LONG4, FMT_LONG5 };

static const struct walk_format formats[] = {
	[FMT_32] = {levels_32, 2, 32, FRAME_32, FRAME_32},
	[FMT_PAE] = {levels_pae, 3, 32, 0xFFFFFFE0ull, FRAME_52},
	[FMT_LONG4] = {&levels_long[1], 4, 48, FRAME_52, FRAME_52},
	[FMT_LONG5] = {levels_long, 5, 57, FRAME_52, FRAME_52},
};

/* Rights gathered on the way down: SDM vol. 3A, 4.6.1 (R/W and U/S and-ed, XD or-ed). */
struct walk_perm {
	bool rw, us, xd;
};

struct walk {
	const struct guest_paging *p;
	const struct walk_format *f;
	guest_read_fn read;
	void *ctx;
	uint64_t va;
	struct walk_perm perm;
};

/* ---- mode ----------------------------------------------------------------- */

/* SDM vol. 3A, 4.1.1: LME with PG on means IA-32e paging, LMA just reports it. */
static bool long_mode(const struct guest_paging *p)
{
	return (p->efer & EFER_LMA) || ((p->efer & EFER_LME) && (p->cr0 & CR0_PG));
}

static const struct walk_format *paging_format(const struct guest_paging *p)
{
	if (long_mode(p))
		return &formats[(p->cr4 & CR4_LA57) ? FMT_LONG5 : FMT_LONG4];
	if (p->cr4 & CR4_PAE)
		return &formats[FMT_PAE];
	return &formats[FMT_32];
}

/* SDM vol. 3A, 4.5: bits 63:va_bits-1 all equal. */
static bool canonical(uint64_t va, unsigned va_bits)
{
	uint64_t top = va >> (va_bits - 1);

	return top == 0 || top == (~0ull >> (va_bits - 1));
}

/* ---- one level ------------------------------------------------------------ */

static int read_entry(const struct walk *w, uint64_t gpa, unsigned size, uint64_t *e)
{
	uint8_t b[8];
	uint64_t v = 0;

	if (w->read(w->ctx, gpa, b, size) != 0)
		return GUEST_WALK_READ_ERROR;
	for (unsigned i = size; i-- > 0;)
		v = (v << 8) | b[i];
	*e = v;
	return 0;
}

static bool maps_page(const struct walk *w, const struct walk_level *l, uint64_t e)
{
	if (!(e & PTE_PS))
		return false;
	if (l->flags & LVL_LARGE)
		return true;
	return (l->flags & LVL_LARGE_PSE) && (w->p->cr4 & CR4_PSE);
}

/* SDM vol. 3A, 4.4.2 and 4.5.4: XD (bit 63) is reserved unless EFER.NXE. */
static uint64_t reserved_bits(const struct walk *w, const struct walk_level *l, bool large)
{
	uint64_t r = l->rsvd | (large ? l->rsvd_large : 0);

	if (l->entry_size == 8 && !(w->p->efer & EFER_NXE))
		r |= PTE_XD;
	return r;
}

static void gather_perm(struct walk *w, const struct walk_level *l, uint64_t e)
{
	if (l->flags & LVL_NO_PERM)
		return;
	w->perm.rw = w->perm.rw && (e & PTE_RW);
	w->perm.us = w->perm.us && (e & PTE_US);
	if (l->entry_size == 8)
		w->perm.xd = w->perm.xd || (e & PTE_XD);
}

/* The physical base of the page that entry e at level l maps. */
static uint64_t page_frame(const struct walk *w, const struct walk_level *l, uint64_t e)
{
	if (l->entry_size == 4 && l->shift > 12) /* table 4-4: PSE-36 4 MiB page */
		return (e & 0xFFC00000ull) | (((e >> 13) & 0xFF) << 32);
	return e & w->f->frame_mask & ~((1ull << l->shift) - 1);
}

/*
 * Reads and checks the entry of level l in *table; on a leaf sets *gpa and
 * *leaf, otherwise moves *table to the next table.
 */
static int walk_step(struct walk *w, unsigned i, uint64_t *table, bool *leaf, uint64_t *gpa)
{
	const struct walk_level *l = &w->f->level[i];
	uint64_t idx = (w->va >> l->shift) & ((1ull << l->bits) - 1);
	uint64_t e;
	bool large;
	int rc = read_entry(w, *table + idx * l->entry_size, l->entry_size, &e);

	if (rc)
		return rc;
	if (!(e & PTE_P))
		return GUEST_WALK_NOT_PRESENT;
	large = maps_page(w, l, e);
	if (e & reserved_bits(w, l, large))
		return GUEST_WALK_RESERVED;
	gather_perm(w, l, e);
	*leaf = large || i + 1 == w->f->levels;
	if (*leaf)
		*gpa = page_frame(w, l, e) | (w->va & ((1ull << l->shift) - 1));
	else
		*table = e & w->f->frame_mask;
	return 0;
}

/* SDM vol. 3A, 4.6: U/S only for CPL 3 (WALK_USER), R/W per CR0.WP, XD for fetches. */
static int check_perm(const struct walk *w, enum walk_access acc)
{
	bool user = (acc & WALK_USER) != 0;
	unsigned kind = (unsigned)acc & 3;

	if (user && !w->perm.us)
		return GUEST_WALK_PROTECTION;
	if (kind == WALK_WRITE && !w->perm.rw && (user || (w->p->cr0 & CR0_WP)))
		return GUEST_WALK_PROTECTION;
	if (kind == WALK_FETCH && w->perm.xd)
		return GUEST_WALK_PROTECTION;
	return 0;
}

static int walk_tables(struct walk *w, enum walk_access acc, uint64_t *gpa)
{
	uint64_t table = w->p->cr3 & w->f->root_mask;
	bool leaf = false;

	for (unsigned i = 0; i < w->f->levels && !leaf; i++) {
		int rc = walk_step(w, i, &table, &leaf, gpa);

		if (rc)
			return rc;
	}
	return check_perm(w, acc);
}

int guest_walk(const struct guest_paging *p, uint64_t gva, enum walk_access acc, uint64_t *gpa,
	       guest_read_fn read, void *ctx)
{
	struct walk w = {p, NULL, read, ctx, gva, {true, true, false}};

	if (!p || !gpa)
		return GUEST_WALK_BAD_ARGS;
	if (!(p->cr0 & CR0_PG)) {
		*gpa = long_mode(p) ? gva : (uint32_t)gva;
		return 0;
	}
	if (!read)
		return GUEST_WALK_BAD_ARGS;
	w.f = paging_format(p);
	if (w.f->va_bits == 32)
		w.va = (uint32_t)gva;
	else if (!canonical(gva, w.f->va_bits))
		return GUEST_WALK_NONCANONICAL;
	return walk_tables(&w, acc, gpa);
}

/* ---- instruction fetch ---------------------------------------------------- */

/* Reads up to want bytes at va, stopping at the end of va's 4 KiB page. */
static int fetch_chunk(const struct guest_paging *p, uint64_t va, uint8_t *dst, size_t want,
		       size_t *n, guest_read_fn read, void *ctx)
{
	size_t room = (size_t)(PAGE_4K - (va & (PAGE_4K - 1)));
	size_t len = want < room ? want : room;
	uint64_t gpa;
	int rc = guest_walk(p, va, WALK_FETCH, &gpa, read, ctx);

	if (rc)
		return rc;
	if (read(ctx, gpa, dst, len) != 0)
		return GUEST_WALK_READ_ERROR;
	*n = len;
	return 0;
}

int guest_fetch_insn(const struct guest_paging *p, uint64_t rip_linear, uint8_t out[15],
		     size_t *got, guest_read_fn read, void *ctx)
{
	size_t done = 0, n = 0;
	int rc = 0;

	if (!got)
		return GUEST_WALK_BAD_ARGS;
	*got = 0;
	if (!p || !out || !read)
		return GUEST_WALK_BAD_ARGS;
	while (done < INSN_MAX) {
		rc = fetch_chunk(p, rip_linear + done, out + done, INSN_MAX - done, &n, read, ctx);
		if (rc)
			break;
		done += n;
	}
	*got = done;
	return done ? 0 : rc;
}

/* SDM vol. 3A, 4.7: I/D is reported with SMEP, or with PAE-format tables and NXE. */
static bool reports_fetch(const struct guest_paging *p)
{
	return (p->cr4 & CR4_SMEP) || ((p->cr4 & CR4_PAE) && (p->efer & EFER_NXE));
}

uint32_t guest_walk_pf_error(const struct guest_paging *p, int err, enum walk_access acc)
{
	unsigned kind = (unsigned)acc & 3;
	uint32_t ec = 0;

	if (err != GUEST_WALK_NOT_PRESENT && err != GUEST_WALK_RESERVED &&
	    err != GUEST_WALK_PROTECTION)
		return 0;
	if (err != GUEST_WALK_NOT_PRESENT)
		ec |= PF_P;
	if (err == GUEST_WALK_RESERVED)
		ec |= PF_RSVD;
	if (kind == WALK_WRITE)
		ec |= PF_W;
	if (acc & WALK_USER)
		ec |= PF_US;
	if (kind == WALK_FETCH && p && reports_fetch(p))
		ec |= PF_ID;
	return ec;
}
