/* Physical page allocator (hv/palloc.h): one bit per 4 KiB page, lowest address first. */
#include "hv/palloc.h"
#include "hv/lib/string.h"

#define PAGE_SHIFT 12
#define WORD_BITS  64
#define NONE	   UINT64_MAX /* "no such page" from the search helpers */

static uint64_t words_for(uint64_t pages)
{
	return (pages + WORD_BITS - 1) / WORD_BITS;
}

/* Mask of bits [lo, hi) of one word, 0 <= lo < hi <= 64. */
static uint64_t word_mask(unsigned lo, unsigned hi)
{
	uint64_t upto_hi = hi == WORD_BITS ? ~0ULL : (1ULL << hi) - 1;

	return upto_hi & ~((1ULL << lo) - 1);
}

/* The part of page range [first, first + n) that falls in word w. */
static uint64_t range_mask(uint64_t w, uint64_t first, uint64_t n)
{
	uint64_t lo = w * WORD_BITS, hi = lo + WORD_BITS, end = first + n;

	if (first > lo)
		lo = first;
	if (end < hi)
		hi = end;
	return word_mask((unsigned)(lo % WORD_BITS), (unsigned)((hi - 1) % WORD_BITS) + 1);
}

/* Index of the first used page in [first, first + n), or NONE. */
static uint64_t first_used(const struct palloc *pa, uint64_t first, uint64_t n)
{
	for (uint64_t w = first / WORD_BITS; w <= (first + n - 1) / WORD_BITS; w++) {
		uint64_t hit = pa->bitmap[w] & range_mask(w, first, n);

		if (hit)
			return w * WORD_BITS + (uint64_t)__builtin_ctzll(hit);
	}
	return NONE;
}

/* Set bits in v (Hacker's Delight 5-1); __builtin_popcountll would call
 * libgcc's __popcountdi2 without -mpopcnt, and the hypervisor has no libgcc. */
static unsigned popcount64(uint64_t v)
{
	v = v - ((v >> 1) & 0x5555555555555555ULL);
	v = (v & 0x3333333333333333ULL) + ((v >> 2) & 0x3333333333333333ULL);
	v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (unsigned)((v * 0x0101010101010101ULL) >> 56);
}

/* Number of free pages in [first, first + n). */
static uint64_t count_free(const struct palloc *pa, uint64_t first, uint64_t n)
{
	uint64_t count = 0;

	for (uint64_t w = first / WORD_BITS; w <= (first + n - 1) / WORD_BITS; w++)
		count += popcount64(~pa->bitmap[w] & range_mask(w, first, n));
	return count;
}

static void mark(struct palloc *pa, uint64_t first, uint64_t n, bool used)
{
	for (uint64_t w = first / WORD_BITS; w <= (first + n - 1) / WORD_BITS; w++) {
		if (used)
			pa->bitmap[w] |= range_mask(w, first, n);
		else
			pa->bitmap[w] &= ~range_mask(w, first, n);
	}
}

/* Index of the first free page at or after pos, or NONE; skips full words. */
static uint64_t first_free_from(const struct palloc *pa, uint64_t pos)
{
	uint64_t nwords = words_for(pa->npages);

	for (uint64_t w = pos / WORD_BITS; w < nwords; w++) {
		uint64_t free_bits = ~pa->bitmap[w];

		if (w == pos / WORD_BITS)
			free_bits &= word_mask((unsigned)(pos % WORD_BITS), WORD_BITS);
		if (free_bits)
			return w * WORD_BITS + (uint64_t)__builtin_ctzll(free_bits);
	}
	return NONE;
}

/* Converts [addr, addr + pages*4K) to a page index; false when any of it is
 * misaligned, overflowing or outside the span. */
static bool to_index(const struct palloc *pa, uint64_t addr, uint64_t pages, uint64_t *first)
{
	if (addr % PALLOC_PAGE || addr < pa->base)
		return false;
	*first = (addr - pa->base) >> PAGE_SHIFT;
	return *first <= pa->npages && pages <= pa->npages - *first;
}

/* Pages from index first on became free: runs of every order that contain
 * one of them may now fit, starting from the aligned run holding first. */
static void lower_hints(struct palloc *pa, uint64_t first)
{
	uint64_t base_pfn = pa->base >> PAGE_SHIFT;

	for (unsigned k = 0; k <= PALLOC_MAX_ORDER; k++) {
		uint64_t run = (base_pfn + first) & ~((1ULL << k) - 1);
		uint64_t start = run < base_pfn ? 0 : run - base_pfn;

		if (start < pa->low_free[k])
			pa->low_free[k] = start;
	}
}

size_t palloc_bitmap_bytes(uint64_t base, uint64_t limit)
{
	if (limit <= base)
		return 0;
	return (size_t)(words_for((limit - base) >> PAGE_SHIFT) * sizeof(uint64_t));
}

int palloc_init(struct palloc *pa, uint64_t base, uint64_t limit, uint64_t *bitmap)
{
	if (!pa || !bitmap || base % PALLOC_PAGE || limit % PALLOC_PAGE || base >= limit)
		return -1;
	zv_memset(pa, 0, sizeof(*pa));
	pa->base = base;
	pa->npages = (limit - base) >> PAGE_SHIFT;
	pa->bitmap = bitmap;
	/* Bits past npages in the last word stay 1 forever: never memory. */
	zv_memset(bitmap, 0xff, palloc_bitmap_bytes(base, limit));
	return 0;
}

int palloc_add_free(struct palloc *pa, uint64_t addr, uint64_t pages)
{
	uint64_t first;

	if (!to_index(pa, addr, pages, &first))
		return -1;
	if (pages == 0)
		return 0;
	if (count_free(pa, first, pages) != 0)
		return -1;
	mark(pa, first, pages, false);
	pa->total_pages += pages;
	pa->free_pages += pages;
	lower_hints(pa, first);
	return 0;
}

int64_t palloc_reserve(struct palloc *pa, uint64_t addr, uint64_t pages)
{
	uint64_t first, taken;

	if (!to_index(pa, addr, pages, &first))
		return -1;
	if (pages == 0)
		return 0;
	taken = count_free(pa, first, pages);
	mark(pa, first, pages, true);
	pa->total_pages -= taken;
	pa->free_pages -= taken;
	return (int64_t)taken;
}

/* Smallest page index >= pos whose physical address is aligned to n pages. */
static uint64_t align_index(const struct palloc *pa, uint64_t pos, uint64_t n)
{
	uint64_t pfn = (pa->base >> PAGE_SHIFT) + pos;

	return ((pfn + n - 1) & ~(n - 1)) - (pa->base >> PAGE_SHIFT);
}

/*
 * Lowest aligned free run of n pages: from the hint, jump to a free page,
 * round up to alignment, and on a used page restart past it.  For n >= 64
 * with a 256 KiB aligned base every step tests whole words; the hint skips
 * what earlier searches of this order already found full.
 */
uint64_t palloc_alloc(struct palloc *pa, unsigned order)
{
	uint64_t n, pos, cand, used;

	if (order > PALLOC_MAX_ORDER)
		return 0;
	n = 1ULL << order;
	for (pos = pa->low_free[order]; (pos = first_free_from(pa, pos)) != NONE; pos = used + 1) {
		cand = align_index(pa, pos, n);
		if (cand > pa->npages || n > pa->npages - cand)
			break;
		used = first_used(pa, cand, n);
		if (used == NONE) {
			mark(pa, cand, n, true);
			pa->free_pages -= n;
			pa->low_free[order] = cand + n;
			return pa->base + (cand << PAGE_SHIFT);
		}
	}
	pa->low_free[order] = pa->npages;
	return 0;
}

/* Counts and refuses a free that would corrupt the map. */
static int bad_free(struct palloc *pa)
{
	pa->bad_frees++;
	return -1;
}

int palloc_free(struct palloc *pa, uint64_t addr, unsigned order)
{
	uint64_t n, first;

	if (order > PALLOC_MAX_ORDER)
		return bad_free(pa);
	n = 1ULL << order;
	if (addr % (n * PALLOC_PAGE) || !to_index(pa, addr, n, &first))
		return bad_free(pa);
	/* A free of pages never added (not memory) would push free past total. */
	if (count_free(pa, first, n) != 0 || pa->free_pages + n > pa->total_pages)
		return bad_free(pa);
	mark(pa, first, n, false);
	pa->free_pages += n;
	lower_hints(pa, first);
	return 0;
}

bool palloc_page_used(const struct palloc *pa, uint64_t addr)
{
	uint64_t i;

	if (addr < pa->base)
		return true;
	i = (addr - pa->base) >> PAGE_SHIFT;
	if (i >= pa->npages)
		return true;
	return (pa->bitmap[i / WORD_BITS] >> (i % WORD_BITS)) & 1;
}

unsigned palloc_order_for(uint64_t bytes)
{
	unsigned order = 0;

	while (order < 64 - 12 && (PALLOC_PAGE << order) < bytes)
		order++;
	return order;
}
