/* Nested page tables (AMD NPT and Intel EPT) built by one vendor-neutral, pure-C builder. */
#ifndef ZV_NPT_H
#define ZV_NPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Permissions of a mapping.  Every mapping is readable: NPT_R is required
 * (AMD has no present-but-unreadable entry; EPT forbids W without R). */
#define NPT_R 1u
#define NPT_W 2u
#define NPT_X 4u
/* The page is a device's (a passed-through BAR), not RAM: a zone's wipe and
 * free skip it.  Kept in a bit both formats leave to software. */
#define NPT_DEV 8u

/* An entry format as data: which bits mean what (npt.c cites the manuals).
 * Both formats are 4-level, 512 entries a table, bit 7 = 2 MiB leaf. */
struct npt_format {
	const char *name;
	uint64_t present;    /* present and readable */
	uint64_t write;	     /* writable */
	uint64_t exec;	     /* the execute bit; exec_is_nx gives its sense */
	bool exec_is_nx;     /* true: set means execute disabled (AMD NX) */
	uint64_t user;	     /* set in every leaf (AMD U: nested walks are user) */
	uint64_t large;	     /* 2 MiB leaf in a level-2 entry */
	uint64_t addr_mask;  /* physical address bits 12..51 */
	uint64_t leaf_extra; /* also set in every leaf (EPT memory type) */
	uint64_t device;     /* software bit marking an NPT_DEV leaf */
	uint64_t table_bits; /* a non-leaf entry is exactly these bits | table address */
};

extern const struct npt_format npt_format_amd;
extern const struct npt_format npt_format_ept;

/* Where table pages come from (the hypervisor's allocator, or malloc in tests). */
struct npt_mem {
	uint64_t (*alloc_page)(void *ctx); /* zeroed 4 KiB page, physical address; 0 = none */
	void (*free_page)(void *ctx, uint64_t pa);
	void *(*to_virt)(void *ctx, uint64_t pa); /* where the page can be read/written */
	void *ctx;
};

struct npt {
	uint64_t root; /* physical address of the top table (nCR3 / EPTP base); 0 = none */
	const struct npt_format *fmt;
	struct npt_mem mem;
	uint64_t table_pages; /* table pages in use now, root included */
};

struct npt_range {
	uint64_t base, size;
};

/*
 * Not thread-safe: callers serialise changes to one table.  After npt_unmap()
 * or npt_protect() the caller flushes the zone's cached translations (TLB
 * flush by ASID / INVEPT); the builder touches only memory.  Unless said
 * otherwise, t must have been set up by a successful npt_init().
 */

/* Empty table with a fresh root (4 levels, 48-bit gpa).  fmt and mem non-NULL
 * and outliving t.  0, or -2 when out of memory (t->root is then 0). */
int npt_init(struct npt *t, const struct npt_format *fmt, const struct npt_mem *mem);

/* Maps [gpa, gpa+size) to [hpa, hpa+size) with perm, 2 MiB leaves where gpa
 * and hpa are both 2 MiB aligned and 2 MiB remain, else 4 KiB.  -1 with
 * nothing changed when gpa, hpa or size is not 4 KiB aligned, size is 0, the
 * range passes 2^48 (gpa) or 2^52 (hpa), perm lacks NPT_R or has unknown
 * bits, or any page of the range is already mapped; -2 when out of memory,
 * with the tables as they were before the call. */
int npt_map(struct npt *t, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned perm);

/* Removes every mapping inside [gpa, gpa+size) (holes are fine), splitting
 * 2 MiB leaves only partly inside, and frees tables left empty.  -1 with
 * nothing changed on a bad range (as npt_map), -2 when a split ran out of
 * memory (nothing unmapped then; an edge may have been split, which changes
 * no translation). */
int npt_unmap(struct npt *t, uint64_t gpa, uint64_t size);

/* Splits the 2 MiB leaf holding gpa into 512 4 KiB leaves with the same hpa
 * and perm.  0 (also when already 4 KiB), -1 when unmapped, -2 out of memory. */
int npt_split(struct npt *t, uint64_t gpa);

/* Sets perm on every page of [gpa, gpa+size), splitting 2 MiB leaves only
 * partly inside.  -1 with nothing changed on a bad range or perm (as npt_map)
 * or when a page of the range is unmapped; -2 as npt_unmap. */
int npt_protect(struct npt *t, uint64_t gpa, uint64_t size, unsigned perm);

/* Translates gpa: true with *hpa, *perm and the leaf's *page_size, or false
 * when unmapped (also for gpa >= 2^48 or a destroyed t).  Pointers non-NULL. */
bool npt_lookup(const struct npt *t, uint64_t gpa, uint64_t *hpa, unsigned *perm,
		uint64_t *page_size);

/* Copies len bytes of guest RAM at gpa to dst (npt_read), or src into guest
 * RAM at gpa (npt_write), through t's translations and t->mem.to_virt.  0,
 * or -1 with nothing copied when any byte of the range is unmapped or lies
 * in an NPT_DEV page: a passed-through device's registers are not memory,
 * and a zone must not make the hypervisor read or write them for it (with
 * a virtio descriptor or a page table pointing there).  len 0 is 0. */
int npt_read(const struct npt *t, uint64_t gpa, void *dst, uint64_t len);
int npt_write(const struct npt *t, uint64_t gpa, const void *src, uint64_t len);

/* Calls fn once per leaf in ascending gpa order; returns fn's first non-zero
 * value (and stops), else 0.  fn must not change t. */
typedef int (*npt_leaf_fn)(void *ctx, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned perm);
int npt_for_each_leaf(const struct npt *t, npt_leaf_fn fn, void *ctx);

/* Frees every table page; t->root and t->table_pages become 0.  Safe to call
 * again, and after a failed npt_init().  Does not free the mapped memory. */
void npt_destroy(struct npt *t);

/*
 * 0 when no host page is mapped by two of the tables with write access in
 * either (read-only in both is allowed; aliases inside one table are not
 * checked) and no table maps a host page inside a forbidden range.  Else -1
 * with why[] (whylen bytes, may be 0) naming the host page, the gpa and the
 * table index.  No allocation: compares leaves pairwise, O(leaves^2).
 */
int npt_check_isolation(const struct npt *const *tables, unsigned count,
			const struct npt_range *forbidden, unsigned nforbidden, char *why,
			size_t whylen);

#endif
