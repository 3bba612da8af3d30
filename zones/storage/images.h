/*
 * The hypervisor's named read-only images: each a store (store.h) in pool
 * memory with its SHA-256, loaded once over the control channel and shared
 * by every zone that runs on it.  Requests come on the BSP; a zone's
 * reference is dropped on its CPU when it is destroyed, so the table has a
 * lock of its own.  Pure C over the allocator images_init gives (the pool in
 * the hypervisor, malloc in host tests).
 */
#ifndef ZV_STORAGE_IMAGES_H
#define ZV_STORAGE_IMAGES_H

#include <stddef.h>
#include <stdint.h>

#include "hv/lib/sha256.h"
#include "zones/storage/disk.h"
#include "zones/storage/store.h"

#define IMAGES_MAX	16
#define IMAGES_DEAD_MAX 4  /* dropped stores awaiting images_reap; a request drops 2 at most */
#define IMAGE_NAME_LEN	32 /* ZCTL_NAME_LEN: [a-z0-9_-], 1..31, checked by the caller */

enum image_result {
	IMAGE_OK = 0,
	IMAGE_E_INVALID,     /* a size of 0 or above STORE_MAX_BYTES */
	IMAGE_E_NAME_IN_USE, /* an image of that name is loaded */
	IMAGE_E_DUPLICATE,   /* the same bytes are loaded under another name */
	IMAGE_E_NO_MEMORY,   /* larger than the pool's free memory, or it ran out */
	IMAGE_E_ORDER,	     /* a chunk not where the pending load stands */
	IMAGE_E_FULL,	     /* IMAGES_MAX images loaded */
	IMAGE_E_NO_IMAGE,    /* no image of that name */
	IMAGE_E_IN_USE,	     /* rm of an image zones use */
};

struct image_info {
	char name[IMAGE_NAME_LEN];
	uint64_t size; /* bytes loaded; the disk is that rounded up to 4 KiB */
	uint8_t sha256[SHA256_BYTES];
	uint32_t users;	     /* zones holding it */
	uint64_t pool_bytes; /* what it costs the pool: its store's pages */
};

/* Once, before any other call: where stores get their pages, and how much
 * the pool has free (for the up-front check). */
void images_init(const struct store_alloc *a, uint64_t (*free_bytes)(void));

/* A load of total bytes named name: drops any pending one first.  Each
 * call writes why it refused into msg (cap bytes). */
enum image_result images_begin(const char *name, uint64_t total, char *msg, size_t cap);
/* Bytes [offset, offset + len) of the pending load, in order: offset must be
 * where the last chunk ended and name and total the pending load's.  The
 * last byte publishes it, or refuses it (and frees it) when its digest is
 * one already loaded. */
enum image_result images_append(const char *name, uint64_t offset, uint64_t total, const void *data,
				size_t len, char *msg, size_t cap);
/* The loaded images, in table order, up to max; their count. */
unsigned images_list(struct image_info *out, unsigned max);
/* Forgets the image; refused while zones use it.  Its store is wiped and
 * freed by the next images_reap, as is any the calls above dropped. */
enum image_result images_rm(const char *name, char *msg, size_t cap);
/* Wipes and frees the stores dropped since the last call: with no lock held
 * (a wipe zeroes up to 64 GiB), before answering the request that dropped
 * them, so the pool's free count is exact once the answer is out. */
void images_reap(void);
/* A read-only disk over the image ("zv-image") holding a user reference
 * that out->ops->release drops, and what it is into *info (may be NULL). */
enum image_result images_get(const char *name, struct disk *out, struct image_info *info);

#endif
