/* Unit tests of zones/storage/images.c: the load protocol and its refusals, one copy per
 * digest, users and rm, disks over an image, and the pool's pages all coming back. */
#include <stdlib.h>

#include "tests/unit/test.h"
#include "zones/storage/images.h"

static long pages_out;
static uint64_t pool_free = 1ull << 30;

static void *page(void *ctx)
{
	(void)ctx;
	pages_out++;
	return calloc(1, STORE_BLOCK);
}

static void page_back(void *ctx, void *p)
{
	(void)ctx;
	pages_out--;
	free(p);
}

static uint64_t free_bytes(void)
{
	return pool_free;
}

static const struct store_alloc alloc = {page, page_back, NULL};
static char msg[192];

static void setup(void)
{
	images_init(&alloc, free_bytes);
	pool_free = 1ull << 30;
}

/* Loads n bytes of pattern seed as name in chunks of step. */
static enum image_result load(const char *name, size_t n, unsigned seed, size_t step)
{
	uint8_t *b = malloc(n);
	enum image_result r;

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(i * 31 + seed);
	r = images_begin(name, n, msg, sizeof(msg));
	for (size_t at = 0; r == IMAGE_OK && at < n; at += step)
		r = images_append(name, at, n, b + at, n - at < step ? n - at : step, msg,
				  sizeof(msg));
	free(b);
	return r;
}

TEST(images_load_list_rm)
{
	struct image_info info[IMAGES_MAX];
	char hex[65];

	setup();
	CHECK_EQ_U64(load("base", 10000, 1, 3000), IMAGE_OK);
	CHECK_EQ_U64(images_list(info, IMAGES_MAX), 1);
	CHECK_STR(info[0].name, "base");
	CHECK_EQ_U64(info[0].size, 10000);
	CHECK_EQ_U64(info[0].users, 0);
	/* store + table + leaf + 3 data pages */
	CHECK_EQ_U64(info[0].pool_bytes, 6 * STORE_BLOCK);
	CHECK_EQ_U64((uint64_t)pages_out, 6);
	sha256_hex(info[0].sha256, hex);
	CHECK_EQ_U64(strlen(hex), 64);
	CHECK_EQ_U64(images_rm("base", msg, sizeof(msg)), IMAGE_OK);
	CHECK_EQ_U64(images_list(info, IMAGES_MAX), 0);
	CHECK_EQ_U64((uint64_t)pages_out, 6); /* not wiped under the lock: reap does it */
	images_reap();
	CHECK_EQ_U64((uint64_t)pages_out, 0);
	images_reap(); /* nothing left: a no-op */
	CHECK_EQ_U64((uint64_t)pages_out, 0);
	CHECK_EQ_U64(images_rm("base", msg, sizeof(msg)), IMAGE_E_NO_IMAGE);
}

TEST(images_refusals)
{
	struct image_info info[IMAGES_MAX];

	setup();
	CHECK_EQ_U64(load("a", 5000, 1, 5000), IMAGE_OK);
	CHECK_EQ_U64(load("a", 5000, 2, 5000), IMAGE_E_NAME_IN_USE);
	CHECK_EQ_U64(load("b", 5000, 1, 999), IMAGE_E_DUPLICATE);
	CHECK_STR(msg, "already loaded as a");
	CHECK_EQ_U64(images_begin("c", 0, msg, sizeof(msg)), IMAGE_E_INVALID);
	CHECK_EQ_U64(images_begin("c", STORE_MAX_BYTES + 1, msg, sizeof(msg)), IMAGE_E_INVALID);
	images_reap(); /* b's pages, which would count as free */
	pool_free = 8192;
	CHECK_EQ_U64(images_begin("c", 8193, msg, sizeof(msg)), IMAGE_E_NO_MEMORY);
	pool_free = 1ull << 30;
	/* out of order, wrong total, wrong name, past the end, nothing pending */
	CHECK_EQ_U64(images_begin("c", 8192, msg, sizeof(msg)), IMAGE_OK);
	CHECK_EQ_U64(images_append("c", 1, 8192, "x", 1, msg, sizeof(msg)), IMAGE_E_ORDER);
	CHECK_EQ_U64(images_append("c", 0, 8191, "x", 1, msg, sizeof(msg)), IMAGE_E_ORDER);
	CHECK_EQ_U64(images_append("d", 0, 8192, "x", 1, msg, sizeof(msg)), IMAGE_E_ORDER);
	CHECK_EQ_U64(images_append("c", 0, 8192, msg, 8193, msg, sizeof(msg)), IMAGE_E_ORDER);
	CHECK_EQ_U64(images_append("c", 0, 8192, "x", 1, msg, sizeof(msg)), IMAGE_OK);
	/* a new begin drops the cut-off load and its pages */
	CHECK_EQ_U64(images_begin("e", 4096, msg, sizeof(msg)), IMAGE_OK);
	CHECK_EQ_U64(images_append("c", 1, 8192, "x", 1, msg, sizeof(msg)), IMAGE_E_ORDER);
	CHECK_EQ_U64(images_list(info, IMAGES_MAX), 1); /* pending loads are not listed */
	CHECK_EQ_U64(images_rm("a", msg, sizeof(msg)), IMAGE_OK);
	CHECK_EQ_U64(images_begin("f", 4096, msg, sizeof(msg)), IMAGE_OK);
	CHECK_EQ_U64(images_rm("f", msg, sizeof(msg)), IMAGE_E_NO_IMAGE);
	CHECK_EQ_U64(images_begin("g", 4096, msg, sizeof(msg)), IMAGE_OK);
	images_reap();
	CHECK_EQ_U64((uint64_t)pages_out, 1); /* only g's empty store */
	CHECK_EQ_U64(load("g", 1, 0, 1), IMAGE_OK);
	CHECK_EQ_U64(images_rm("g", msg, sizeof(msg)), IMAGE_OK);
	images_reap();
	CHECK_EQ_U64((uint64_t)pages_out, 0);
}

TEST(images_table_full)
{
	char name[8];

	setup();
	for (unsigned i = 0; i < IMAGES_MAX; i++) {
		snprintf(name, sizeof(name), "i%u", i);
		CHECK_EQ_U64(load(name, 100, i, 100), IMAGE_OK);
	}
	CHECK_EQ_U64(load("more", 100, 99, 100), IMAGE_E_FULL);
	for (unsigned i = 0; i < IMAGES_MAX; i++) {
		snprintf(name, sizeof(name), "i%u", i);
		CHECK_EQ_U64(images_rm(name, msg, sizeof(msg)), IMAGE_OK);
	}
	/* IMAGES_DEAD_MAX wait for the reap; the caller that never reaped got
	 * the rest wiped at once, each a store, table and leaf of 1 page */
	CHECK_EQ_U64((uint64_t)pages_out, IMAGES_DEAD_MAX * 4);
	images_reap();
	CHECK_EQ_U64((uint64_t)pages_out, 0);
}

TEST(images_disk_users)
{
	struct disk d1, d2;
	struct image_info info;
	uint8_t b[16];

	setup();
	CHECK_EQ_U64(load("root", 5000, 7, 5000), IMAGE_OK);
	CHECK_EQ_U64(images_get("nope", &d1, NULL), IMAGE_E_NO_IMAGE);
	CHECK_EQ_U64(images_get("root", &d1, &info), IMAGE_OK);
	CHECK_EQ_U64(images_get("root", &d2, NULL), IMAGE_OK);
	CHECK_EQ_U64(info.users, 1);
	CHECK(d1.read_only && !d1.ops->write);
	CHECK_STR(d1.serial, "zv-image");
	CHECK_EQ_U64(d1.size, 8192);
	CHECK_EQ_U64(d1.ops->read(d1.ctx, 4999, b, 2), 0);
	CHECK_EQ_U64(b[0], (uint8_t)(4999 * 31 + 7));
	CHECK_EQ_U64(b[1], 0); /* the padding to 4 KiB reads as zeros */
	CHECK_EQ_U64(d1.ops->read(d1.ctx, 8190, b, 4), (uint64_t)DISK_EIO);
	CHECK_EQ_U64(images_rm("root", msg, sizeof(msg)), IMAGE_E_IN_USE);
	d1.ops->release(d1.ctx);
	CHECK_EQ_U64(images_rm("root", msg, sizeof(msg)), IMAGE_E_IN_USE);
	d2.ops->release(d2.ctx);
	CHECK_EQ_U64(images_rm("root", msg, sizeof(msg)), IMAGE_OK);
	images_reap();
	CHECK_EQ_U64((uint64_t)pages_out, 0);
}

/* A dropped store's pages count as free before the reap gives them back:
 * rm then load of the same size fits a pool with nothing else free. */
TEST(images_reap_counts_dropped_pages_free)
{
	setup();
	CHECK_EQ_U64(load("old", 5 * STORE_BLOCK, 3, 4096), IMAGE_OK);
	CHECK_EQ_U64(images_rm("old", msg, sizeof(msg)), IMAGE_OK);
	pool_free = 0;
	CHECK_EQ_U64(images_begin("new", 5 * STORE_BLOCK, msg, sizeof(msg)), IMAGE_OK);
	/* old's 8 pages (5 data, store, table, leaf) and the dropped new's store: 9 */
	CHECK_EQ_U64(images_begin("new", 10 * STORE_BLOCK, msg, sizeof(msg)), IMAGE_E_NO_MEMORY);
	images_reap();
	CHECK_EQ_U64((uint64_t)pages_out, 0);
}
