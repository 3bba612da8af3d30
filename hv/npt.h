/* Nested page tables (AMD NPT and Intel EPT) built by one vendor-neutral, pure-C builder. */
#ifndef ZV_NPT_H
#define ZV_NPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NPT_R 1u
#define NPT_W 2u
#define NPT_X 4u

/* An entry format as data: which bits mean what (see npt.c for the manual
 * sections).  Both formats are 4-level, 512 entries a table, bit 7 = large. */
struct npt_format {
	const char *name;
	uint64_t present;    /* bits that make an entry present (readable) */
	uint64_t write;
	uint64_t exec;       /* execute-allowed bit (EPT), 0 if the format has NX */
	uint64_t nx;         /* execute-disable bit (AMD), 0 if it has exec */
	uint64_t large;      /* PS: 2 MiB leaf in a level-2 entry */
	uint64_t leaf_extra; /* always set in leaves (EPT memory type WB) */
	uint64_t table_bits; /* a non-leaf entry: these bits | table address */
	uint64_t addr_mask;  /* bits 12..51 */
};

extern const struct npt_format npt_format_amd;
extern const struct npt_format npt_format_ept;

/* Where table pages come from (the hypervisor's allocator, or malloc in tests). */
struct npt_mem {
	uint64_t (*alloc_page)(void *ctx); /* zeroed 4 KiB page, physical address; 0 = none */
	void (*free_page)(void *ctx, uint64_t pa);
	void *(*to_virt)(void *ctx, uint64_t pa);
	void *ctx;
};

struct npt {
	uint64_t root; /* physical address of the top table (nCR3 / EPTP base) */
	const struct npt_format *fmt;
	struct npt_mem mem;
	uint64_t table_pages; /* table pages in use, root included */
};

struct npt_range {
	uint64_t base, size;
};

/* Allocates the root.  0, or -2 when out of memory. */
int npt_init(struct npt *t, const struct npt_format *fmt, const struct npt_mem *mem);

/* Maps [gpa, gpa+size) to [hpa, hpa+size) with perm (NPT_R|W|X), 2 MiB
 * leaves where both sides are 2 MiB aligned.  Both 4 KiB aligned, size > 0.
 * -1 (nothing changed) on misalignment, overflow, gpa >= 2^48, hpa >= 2^52,
 * or overlap with an existing mapping; -2 when out of memory (what was
 * mapped by this call is removed again). */
int npt_map(struct npt *t, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned perm);

/* Removes every mapping inside [gpa, gpa+size), splitting 2 MiB leaves that
 * are only partly inside.  0, -1 on bad arguments, -2 out of memory. */
int npt_unmap(struct npt *t, uint64_t gpa, uint64_t size);

/* Splits the 2 MiB leaf holding gpa into 4 KiB leaves (same hpa and perm).
 * 0 (also when already 4 KiB), -1 when unmapped, -2 out of memory. */
int npt_split(struct npt *t, uint64_t gpa);

/* Sets perm on every mapped page of [gpa, gpa+size), splitting as needed. */
int npt_protect(struct npt *t, uint64_t gpa, uint64_t size, unsigned perm);

/* Translates gpa; false when unmapped. */
bool npt_lookup(const struct npt *t, uint64_t gpa, uint64_t *hpa, unsigned *perm,
		uint64_t *page_size);

/* Calls fn for each leaf in ascending gpa order; stops at a non-zero return. */
typedef int (*npt_leaf_fn)(void *ctx, uint64_t gpa, uint64_t hpa, uint64_t size,
			   unsigned perm);
int npt_for_each_leaf(const struct npt *t, npt_leaf_fn fn, void *ctx);

/* Frees every table page; t->root and table_pages become 0. */
void npt_destroy(struct npt *t);

/* 0 when no host page is writable in two tables and no table maps a page
 * inside a forbidden range; else -1 with why[] naming the offence. */
int npt_check_isolation(const struct npt *const *tables, unsigned count,
			const struct npt_range *forbidden, unsigned nforbidden, char *why,
			size_t whylen);

#endif
