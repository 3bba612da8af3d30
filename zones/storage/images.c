/*
 * The image table (images.h).  An entry is FREE, LOADING (one at most: the
 * load in progress, chunk by chunk, hashed as it arrives) or READY.  A READY
 * image's store is never written again, so a zone's reads need no lock; the
 * lock guards the entries' states and user counts.
 *
 * Wiping a store zeroes every page it wrote, up to 64 GiB, so it never
 * happens under the lock (nor under the control channel's, which callers
 * hold): an entry drops its store into `dead`, and images_reap wipes them
 * once the caller has let go of its locks (docs/storage.md).
 */
#include "zones/storage/images.h"

#include "hv/lib/fmt.h"
#include "hv/lib/string.h"
#include "hv/spinlock.h"

enum image_state { IMAGE_FREE = 0, IMAGE_LOADING, IMAGE_READY };

struct image {
	enum image_state state;
	char name[IMAGE_NAME_LEN];
	struct store *store;
	uint64_t size, received;
	uint32_t users;
	struct sha256 hash; /* while loading */
	uint8_t digest[SHA256_BYTES];
};

static struct {
	struct spinlock lock;
	const struct store_alloc *alloc;
	uint64_t (*free_bytes)(void);
	struct image table[IMAGES_MAX];
	struct store *dead[IMAGES_DEAD_MAX]; /* detached, to wipe: images_reap */
} im;

void images_init(const struct store_alloc *a, uint64_t (*free_bytes)(void))
{
	im.alloc = a;
	im.free_bytes = free_bytes;
}

static struct image *find(const char *name, enum image_state state)
{
	for (unsigned i = 0; i < IMAGES_MAX; i++)
		if (im.table[i].state == state && !zv_strcmp(im.table[i].name, name))
			return &im.table[i];
	return NULL;
}

/* The entry is free again; its store waits for images_reap.  Under im.lock.
 * A caller that never reaps (one more than IMAGES_DEAD_MAX drops) gets the
 * wipe here: slow, never wrong. */
static void drop(struct image *e)
{
	unsigned i = 0;

	while (i < IMAGES_DEAD_MAX && im.dead[i])
		i++;
	if (i < IMAGES_DEAD_MAX)
		im.dead[i] = e->store;
	else
		store_destroy(e->store);
	zv_memset(e, 0, sizeof(*e));
}

void images_reap(void)
{
	struct store *dead[IMAGES_DEAD_MAX];

	spin_lock(&im.lock);
	zv_memcpy(dead, im.dead, sizeof(dead));
	zv_memset(im.dead, 0, sizeof(im.dead));
	spin_unlock(&im.lock);
	for (unsigned i = 0; i < IMAGES_DEAD_MAX; i++)
		store_destroy(dead[i]); /* NULL is fine */
}

static void drop_pending(void)
{
	for (unsigned i = 0; i < IMAGES_MAX; i++)
		if (im.table[i].state == IMAGE_LOADING)
			drop(&im.table[i]);
}

/* The pool's free bytes, counting the dropped stores' pages as free: the
 * reap after this request gives them back.  Under im.lock. */
static uint64_t free_bytes(void)
{
	uint64_t n = im.free_bytes();

	for (unsigned i = 0; i < IMAGES_DEAD_MAX; i++)
		n += im.dead[i] ? store_pages(im.dead[i]) * STORE_BLOCK : 0;
	return n;
}

static uint64_t round_block(uint64_t n)
{
	return (n + STORE_BLOCK - 1) / STORE_BLOCK * STORE_BLOCK;
}

static enum image_result begin_locked(const char *name, uint64_t total, char *msg, size_t cap)
{
	struct image *e = NULL;

	drop_pending(); /* a cut-off load, or this name's earlier try */
	if (total == 0 || total > STORE_MAX_BYTES) {
		zv_snprintf(msg, cap, "an image is 1 byte to %llu GiB",
			    (unsigned long long)(STORE_MAX_BYTES >> 30));
		return IMAGE_E_INVALID;
	}
	if (find(name, IMAGE_READY)) {
		zv_snprintf(msg, cap, "an image named %s is loaded (zonectl image rm %s first)",
			    name, name);
		return IMAGE_E_NAME_IN_USE;
	}
	if (round_block(total) > free_bytes()) {
		zv_snprintf(msg, cap, "image of %llu MiB does not fit the pool's %llu MiB free",
			    (unsigned long long)(total >> 20),
			    (unsigned long long)(free_bytes() >> 20));
		return IMAGE_E_NO_MEMORY;
	}
	e = find("", IMAGE_FREE);
	if (!e) {
		zv_snprintf(msg, cap,
			    "%u images are loaded, the most there can be (zonectl image rm one)",
			    IMAGES_MAX);
		return IMAGE_E_FULL;
	}
	e->store = store_create(round_block(total), im.alloc);
	if (!e->store) {
		zv_snprintf(msg, cap, "no pool memory for the image's map");
		return IMAGE_E_NO_MEMORY;
	}
	e->state = IMAGE_LOADING;
	zv_strlcpy(e->name, name, sizeof(e->name));
	e->size = total;
	sha256_init(&e->hash);
	return IMAGE_OK;
}

enum image_result images_begin(const char *name, uint64_t total, char *msg, size_t cap)
{
	enum image_result r;

	spin_lock(&im.lock);
	r = begin_locked(name, total, msg, cap);
	spin_unlock(&im.lock);
	return r;
}

/* The last byte arrived: one copy of any bytes in memory. */
static enum image_result publish(struct image *e, char *msg, size_t cap)
{
	sha256_final(&e->hash, e->digest);
	for (unsigned i = 0; i < IMAGES_MAX; i++) {
		struct image *o = &im.table[i];

		if (o->state == IMAGE_READY && !zv_memcmp(o->digest, e->digest, SHA256_BYTES)) {
			zv_snprintf(msg, cap, "already loaded as %s", o->name);
			drop(e);
			return IMAGE_E_DUPLICATE;
		}
	}
	e->state = IMAGE_READY;
	return IMAGE_OK;
}

static enum image_result append_locked(const char *name, uint64_t offset, uint64_t total,
				       const void *data, size_t len, char *msg, size_t cap)
{
	struct image *e = find(name, IMAGE_LOADING);

	if (!e || e->size != total || offset != e->received || len > total - offset) {
		zv_snprintf(msg, cap,
			    "image chunks must come in order from offset 0 (expected %llu)",
			    (unsigned long long)(e ? e->received : 0));
		return IMAGE_E_ORDER;
	}
	if (store_write(e->store, offset, data, len) != 0) {
		zv_snprintf(msg, cap, "the pool ran out of memory while loading %s", name);
		drop(e);
		return IMAGE_E_NO_MEMORY;
	}
	sha256_update(&e->hash, data, len);
	e->received += len;
	return e->received == e->size ? publish(e, msg, cap) : IMAGE_OK;
}

enum image_result images_append(const char *name, uint64_t offset, uint64_t total, const void *data,
				size_t len, char *msg, size_t cap)
{
	enum image_result r;

	spin_lock(&im.lock);
	r = append_locked(name, offset, total, data, len, msg, cap);
	spin_unlock(&im.lock);
	return r;
}

static void info_of(const struct image *e, struct image_info *o)
{
	zv_memset(o, 0, sizeof(*o));
	zv_strlcpy(o->name, e->name, sizeof(o->name));
	o->size = e->size;
	zv_memcpy(o->sha256, e->digest, SHA256_BYTES);
	o->users = e->users;
	o->pool_bytes = store_pages(e->store) * STORE_BLOCK;
}

unsigned images_list(struct image_info *out, unsigned max)
{
	unsigned n = 0;

	spin_lock(&im.lock);
	for (unsigned i = 0; i < IMAGES_MAX && n < max; i++)
		if (im.table[i].state == IMAGE_READY)
			info_of(&im.table[i], &out[n++]);
	spin_unlock(&im.lock);
	return n;
}

enum image_result images_rm(const char *name, char *msg, size_t cap)
{
	enum image_result r = IMAGE_OK;
	struct image *e;

	spin_lock(&im.lock);
	e = find(name, IMAGE_READY);
	if (!e) {
		zv_snprintf(msg, cap, "no image named %s (zonectl image ls lists them)", name);
		r = IMAGE_E_NO_IMAGE;
	} else if (e->users) {
		zv_snprintf(msg, cap, "image %s is used by %u zones (zonectl rm them first)", name,
			    e->users);
		r = IMAGE_E_IN_USE;
	} else {
		drop(e);
	}
	spin_unlock(&im.lock);
	return r;
}

/* ---- a zone's disk over an image ------------------------------------------- */

static int image_read(void *ctx, uint64_t off, void *dst, size_t len)
{
	const struct image *e = ctx;

	return store_read(e->store, off, dst, len) == 0 ? 0 : DISK_EIO;
}

/* The zone's CPU, when its device is destroyed. */
static void image_release(void *ctx)
{
	struct image *e = ctx;

	spin_lock(&im.lock);
	if (e->users)
		e->users--;
	spin_unlock(&im.lock);
}

static const struct disk_ops image_ops = {image_read, NULL, image_release};

enum image_result images_get(const char *name, struct disk *out, struct image_info *info)
{
	struct image *e;

	spin_lock(&im.lock);
	e = find(name, IMAGE_READY);
	if (e) {
		e->users++;
		zv_memset(out, 0, sizeof(*out));
		out->ops = &image_ops;
		out->ctx = e;
		out->size = store_size(e->store);
		out->read_only = true;
		zv_strlcpy(out->serial, "zv-image", sizeof(out->serial));
		if (info)
			info_of(e, info);
	}
	spin_unlock(&im.lock);
	return e ? IMAGE_OK : IMAGE_E_NO_IMAGE;
}
