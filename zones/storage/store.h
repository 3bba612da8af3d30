/*
 * A block store in pool memory: a disk image of a fixed size whose 4 KiB
 * blocks are allocated when first written with something other than zeros,
 * so it costs what was written, not its size.  Unwritten blocks read as
 * zeros.  The images (zones/storage/images.h) and the workspaces are stores.
 * Pure C over an allocator the caller gives (the pool in the hypervisor,
 * malloc in host tests).  Not thread-safe: callers serialise (a workspace
 * has one device; an image is written only before it is published).
 */
#ifndef ZV_STORAGE_STORE_H
#define ZV_STORAGE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_BLOCK	4096u
#define STORE_MAX_BYTES (64ull << 30) /* the largest store: 64 GiB */

struct store_alloc {
	/* A zeroed 4 KiB page, or NULL when memory is exhausted. */
	void *(*page)(void *ctx);
	/* Returns a page; the store zeroed it first. */
	void (*free)(void *ctx, void *page);
	void *ctx;
};

struct store;

/* A store of size bytes (a multiple of STORE_BLOCK, 1..STORE_MAX_BYTES), all
 * zeros; NULL when out of memory or size is invalid.  a must outlive it. */
struct store *store_create(uint64_t size, const struct store_alloc *a);
/* Zeroes every block and frees it all; NULL is fine. */
void store_destroy(struct store *s);

uint64_t store_size(const struct store *s);
/* Pages held (data and map), for zonectl: what the store costs. */
uint64_t store_pages(const struct store *s);

/* Bytes [off, off + len) inside the store, any alignment.  0, or -1 when
 * the range is outside.  Reads of unwritten blocks give zeros. */
int store_read(const struct store *s, uint64_t off, void *dst, size_t len);
/* 0; -1 outside; -2 (DISK_ENOSPC) when a block could not be allocated (what
 * was written before it stays written). */
int store_write(struct store *s, uint64_t off, const void *src, size_t len);
/* Whether block `block` (offset / STORE_BLOCK) holds written data. */
bool store_block_used(const struct store *s, uint64_t block);

#endif
