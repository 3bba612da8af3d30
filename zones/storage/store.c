/*
 * A sparse block store (store.h).  The map has three levels, each one page:
 * the store's own page holds the top directory (one entry per GiB, so 64
 * for the largest store), a table page covers 1 GiB (512 leaf pointers) and
 * a leaf page covers 2 MiB (512 data-block pointers).  Tables and leaves
 * are allocated with the first non-zero write under them, so an unwritten
 * store costs one page whatever its size.
 */
#include "zones/storage/store.h"

#include "hv/lib/string.h"
#include "zones/storage/disk.h"

#define FANOUT	   512u			       /* pointers in a 4 KiB page */
#define LEAF_SPAN  ((uint64_t)FANOUT)	       /* blocks under one leaf */
#define TABLE_SPAN ((uint64_t)FANOUT * FANOUT) /* blocks under one table: 1 GiB */
#define DIR_SLOTS  (STORE_MAX_BYTES / STORE_BLOCK / TABLE_SPAN)

struct store {
	uint64_t size;
	uint64_t pages; /* this page, the tables, the leaves and the data */
	const struct store_alloc *a;
	void **dir[DIR_SLOTS]; /* table pages; each entry points at a leaf page */
};

_Static_assert(sizeof(struct store) <= STORE_BLOCK, "the store's header fits one page");

struct store *store_create(uint64_t size, const struct store_alloc *a)
{
	struct store *s;

	if (size == 0 || size % STORE_BLOCK || size > STORE_MAX_BYTES)
		return NULL;
	s = a->page(a->ctx);
	if (!s)
		return NULL;
	s->size = size;
	s->pages = 1;
	s->a = a;
	return s;
}

/* Zeroes p (a page the store held) and gives it back. */
static void give_back(const struct store_alloc *a, void *p)
{
	zv_memset(p, 0, STORE_BLOCK);
	a->free(a->ctx, p);
}

static void free_table(const struct store_alloc *a, void **table)
{
	for (unsigned l = 0; l < FANOUT; l++) {
		void **leaf = table[l];

		if (!leaf)
			continue;
		for (unsigned b = 0; b < FANOUT; b++)
			if (leaf[b])
				give_back(a, leaf[b]);
		give_back(a, leaf);
	}
	give_back(a, table);
}

void store_destroy(struct store *s)
{
	const struct store_alloc *a;

	if (!s)
		return;
	a = s->a;
	for (unsigned t = 0; t < DIR_SLOTS; t++)
		if (s->dir[t])
			free_table(a, s->dir[t]);
	give_back(a, s);
}

uint64_t store_size(const struct store *s)
{
	return s->size;
}

uint64_t store_pages(const struct store *s)
{
	return s->pages;
}

/* Overflow-safe: off + len is never computed before it is known to fit. */
static bool in_range(const struct store *s, uint64_t off, size_t len)
{
	return off <= s->size && len <= s->size - off;
}

/* The data page of block b, or NULL when it was never written. */
static void *block_page(const struct store *s, uint64_t b)
{
	void **table = s->dir[b / TABLE_SPAN];
	void **leaf = table ? table[b / LEAF_SPAN % FANOUT] : NULL;

	return leaf ? leaf[b % FANOUT] : NULL;
}

/* *slot, allocating a zeroed page into it when empty; NULL when out of memory. */
static void *ensure(struct store *s, void **slot)
{
	if (!*slot) {
		*slot = s->a->page(s->a->ctx);
		if (*slot)
			s->pages++;
	}
	return *slot;
}

/* Block b's data page, allocating the map pages above it as needed. */
static void *block_alloc(struct store *s, uint64_t b)
{
	void **table = ensure(s, (void **)&s->dir[b / TABLE_SPAN]);
	void **leaf = table ? ensure(s, &table[b / LEAF_SPAN % FANOUT]) : NULL;

	return leaf ? ensure(s, &leaf[b % FANOUT]) : NULL;
}

bool store_block_used(const struct store *s, uint64_t block)
{
	return block < s->size / STORE_BLOCK && block_page(s, block) != NULL;
}

int store_read(const struct store *s, uint64_t off, void *dst, size_t len)
{
	uint8_t *d = dst;

	if (!in_range(s, off, len))
		return -1;
	while (len) {
		uint64_t in = off % STORE_BLOCK;
		size_t n = STORE_BLOCK - in < len ? STORE_BLOCK - in : len;
		const uint8_t *p = block_page(s, off / STORE_BLOCK);

		if (p)
			zv_memcpy(d, p + in, n);
		else
			zv_memset(d, 0, n);
		d += n;
		off += n;
		len -= n;
	}
	return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

int store_write(struct store *s, uint64_t off, const void *src, size_t len)
{
	const uint8_t *from = src;

	if (!in_range(s, off, len))
		return -1;
	while (len) {
		uint64_t in = off % STORE_BLOCK;
		size_t n = STORE_BLOCK - in < len ? STORE_BLOCK - in : len;
		uint8_t *p = block_page(s, off / STORE_BLOCK);

		/* Zeros over an unwritten block already read back as zeros. */
		if (!p && !all_zero(from, n)) {
			p = block_alloc(s, off / STORE_BLOCK);
			if (!p)
				return DISK_ENOSPC;
		}
		if (p)
			zv_memcpy(p + in, from, n);
		from += n;
		off += n;
		len -= n;
	}
	return 0;
}
