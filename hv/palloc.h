/* Physical page allocator: a bitmap over a span of physical memory (pure; host-tested). */
#ifndef ZV_PALLOC_H
#define ZV_PALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PALLOC_PAGE	 4096ULL
#define PALLOC_ORDER_2M	 9  /* 2^9 pages = 2 MiB */
#define PALLOC_MAX_ORDER 18 /* 1 GiB */

/*
 * One bit per 4 KiB page of [base, base + npages * 4 KiB): 1 = in use or not
 * memory.  A fresh allocator has every page in use; palloc_add_free() hands
 * it the usable ranges.  Allocation is lowest-address first, so the same
 * request after a free gets the same pages back (the wipe tests rely on it).
 * Not thread-safe: callers hold their own lock.
 */
struct palloc {
	uint64_t base;	      /* physical address of bit 0, page aligned */
	uint64_t npages;      /* bits in the bitmap */
	uint64_t *bitmap;     /* palloc_bitmap_bytes() bytes, owned by caller */
	uint64_t total_pages; /* pages ever added as free */
	uint64_t free_pages;  /* pages free now */
	uint64_t bad_frees;   /* frees refused (double free, outside, misaligned) */
	/* Private search hints: no free, aligned run of 2^k pages starts below
	 * page index low_free[k].  Keeps in-order allocation linear overall. */
	uint64_t low_free[PALLOC_MAX_ORDER + 1];
};

/* Bytes of bitmap needed for the span [base, limit). */
size_t palloc_bitmap_bytes(uint64_t base, uint64_t limit);

/* Sets up an allocator over [base, limit) with every page in use.
 * base and limit must be page aligned and base < limit. Returns 0 or -1. */
int palloc_init(struct palloc *pa, uint64_t base, uint64_t limit, uint64_t *bitmap);

/* Marks [addr, addr + pages*4K) free.  Refuses (-1, nothing changed) a range
 * outside the span, misaligned, overflowing, or overlapping free pages. */
int palloc_add_free(struct palloc *pa, uint64_t addr, uint64_t pages);

/* Marks free pages of [addr, addr + pages*4K) in use and removes them from
 * total_pages (memory taken away for good, like the bitmap itself).
 * Pages already in use are left alone.  Returns the pages taken, or -1 on a
 * range outside the span. */
int64_t palloc_reserve(struct palloc *pa, uint64_t addr, uint64_t pages);

/* Allocates 2^order contiguous pages aligned to their size.  Returns the
 * physical address, or 0 when no such run is free or order is too big. */
uint64_t palloc_alloc(struct palloc *pa, unsigned order);

/* Frees what palloc_alloc(order) returned.  Returns 0, or -1 (and counts a
 * bad free, changing nothing) when any page is already free, outside the
 * span or addr is not aligned to the order. */
int palloc_free(struct palloc *pa, uint64_t addr, unsigned order);

/* The smallest order whose run holds bytes (0 for 0 bytes); may exceed
 * PALLOC_MAX_ORDER, which palloc_alloc then refuses. */
unsigned palloc_order_for(uint64_t bytes);

/* True when the page at addr is in use (or outside the span). */
bool palloc_page_used(const struct palloc *pa, uint64_t addr);

#endif
