/*
 * The IMAGE_LOAD, IMAGE_LS, IMAGE_RM, WORKSPACE_WRITE and WORKSPACE_READ
 * requests, and the disks RUN gives a zone (docs/control.md, "Images and
 * workspaces").  Images live in the image table (zones/storage/images.c);
 * a workspace is a store staged here by WORKSPACE_WRITE, taken by the next
 * RUN into the zone's record, kept after the zone exits so zonectl can
 * export it, and wiped and freed with the record.  Both are pool pages.
 */
#include "zones/control/internal.h"

#include "hv/lib/string.h"
#include "hv/mem.h"
#include "zones/control/check.h"
#include "zones/storage/blk.h"
#include "zones/storage/images.h"
#include "zones/storage/store.h"

/* ---- the pool as the stores' allocator ------------------------------------ */

static void *pool_page(void *ctx)
{
	uint64_t pa = page_alloc(0); /* zeroed */

	(void)ctx;
	return pa ? phys_to_virt(pa) : NULL;
}

static void pool_free(void *ctx, void *page)
{
	(void)ctx;
	page_free((uint64_t)page, 0); /* identity map: the address is the page's */
}

static const struct store_alloc pool = {pool_page, pool_free, NULL};

/*
 * Workspaces are thin: a zone's writes take pool pages as they come, up to
 * the workspace's size, and the sizes of all workspaces may add up to more
 * than the pool (docs/storage.md).  So that a zone filling its workspace
 * cannot take the pages the hypervisor needs to create and run zones (their
 * tables and device state), workspace blocks stop WS_POOL_FLOOR short of an
 * empty pool: the write that would cross it fails in the zone that wrote.
 */
#define WS_POOL_FLOOR (64ull << 20)

static void *ws_page(void *ctx)
{
	return mem_free_bytes() < WS_POOL_FLOOR + STORE_BLOCK ? NULL : pool_page(ctx);
}

static const struct store_alloc ws_pool = {ws_page, pool_free, NULL};

void ctl_storage_init(void)
{
	images_init(&pool, mem_free_bytes);
}

/* The request's data after its fixed body, 4 KiB at a time (a static
 * buffer: the BSP serves one request at a time, under ctl.lock). */
static uint8_t chunk[STORE_BLOCK];

static uint64_t data_gpa(size_t body)
{
	return ZCTL_WINDOW_GPA + sizeof(struct zctl_req_hdr) + body;
}

/* ---- images ------------------------------------------------------------- */

static int image_error(struct request *q, enum image_result r, const char *msg)
{
	static const enum zctl_error code[] = {
		[IMAGE_E_INVALID] = ZCTL_E_BAD_REQUEST,
		[IMAGE_E_NAME_IN_USE] = ZCTL_E_NAME_IN_USE,
		[IMAGE_E_DUPLICATE] = ZCTL_E_NAME_IN_USE,
		[IMAGE_E_NO_MEMORY] = ZCTL_E_NO_MEMORY,
		[IMAGE_E_ORDER] = ZCTL_E_BAD_REQUEST,
		[IMAGE_E_FULL] = ZCTL_E_TOO_MANY,
		[IMAGE_E_NO_IMAGE] = ZCTL_E_NO_IMAGE,
		[IMAGE_E_IN_USE] = ZCTL_E_STATE,
	};

	return ctl_refuse(q, code[r], "%s", msg);
}

int ctl_op_image_load(struct request *q, const struct zctl_image_load *l)
{
	uint32_t data_len = q->len - (uint32_t)(sizeof(q->hdr) + sizeof(*l));
	const char *why = zctl_check_image_load(l, data_len);
	char msg[ZCTL_MESSAGE_LEN];
	enum image_result r = IMAGE_OK;

	if (why)
		return ctl_refuse(q, ZCTL_E_BAD_REQUEST, "%s", why);
	if (l->offset == 0)
		r = images_begin(l->name, l->total, msg, sizeof(msg));
	for (uint32_t at = 0; r == IMAGE_OK && at < data_len; at += STORE_BLOCK) {
		uint32_t n = data_len - at < STORE_BLOCK ? data_len - at : STORE_BLOCK;

		if (zone_read(q->cz, data_gpa(sizeof(*l)) + at, chunk, n) != 0)
			return ctl_refuse(q, ZCTL_E_BAD_REQUEST, "image data outside the window");
		r = images_append(l->name, l->offset + at, l->total, chunk, n, msg, sizeof(msg));
	}
	return r == IMAGE_OK ? 0 : image_error(q, r, msg);
}

int ctl_op_image_ls(struct request *q)
{
	struct zctl_image_ls *o = ctl_reply_body();
	struct image_info info[ZCTL_MAX_IMAGES];

	zv_memset(o, 0, sizeof(*o));
	o->count = images_list(info, ZCTL_MAX_IMAGES);
	for (uint32_t i = 0; i < o->count; i++) {
		zv_strlcpy(o->images[i].name, info[i].name, sizeof(o->images[i].name));
		o->images[i].size = info[i].size;
		zv_memcpy(o->images[i].sha256, info[i].sha256, sizeof(o->images[i].sha256));
		o->images[i].users = info[i].users;
		o->images[i].pool_bytes = info[i].pool_bytes;
	}
	q->reply_len = sizeof(*o);
	return 0;
}

int ctl_op_image_rm(struct request *q, const struct zctl_name *nm)
{
	const char *why = zctl_check_name(nm->name);
	char msg[ZCTL_MESSAGE_LEN];
	enum image_result r;

	if (why)
		return ctl_refuse(q, ZCTL_E_BAD_REQUEST, "%s", why);
	r = images_rm(nm->name, msg, sizeof(msg));
	return r == IMAGE_OK ? 0 : image_error(q, r, msg);
}

/* ---- workspaces ----------------------------------------------------------- */

void ctl_drop_staged_workspace(void)
{
	ctl_defer_wipe(ctl.staged_ws);
	ctl.staged_ws = NULL;
}

int ctl_op_ws_write(struct request *q, const struct zctl_ws_write *w)
{
	uint32_t data_len = q->len - (uint32_t)(sizeof(q->hdr) + sizeof(*w));
	const char *why = zctl_check_ws_write(w, data_len);

	if (why)
		return ctl_refuse(q, ZCTL_E_BAD_REQUEST, "%s", why);
	if (w->flags & ZCTL_WS_WRITE_NEW) {
		/* the dropped one's pages count as free: they are back before the reply */
		uint64_t avail = mem_free_bytes() +
				 (ctl.staged_ws ? store_pages(ctl.staged_ws) * STORE_BLOCK : 0);

		ctl_drop_staged_workspace();
		if (w->capacity > avail)
			return ctl_refuse(
				q, ZCTL_E_NO_MEMORY,
				"a workspace of %lu MiB is larger than the pool's %lu MiB "
				"free (ask for less --workspace-size)",
				w->capacity >> 20, avail >> 20);
		ctl.staged_ws = store_create(w->capacity, &ws_pool);
		if (!ctl.staged_ws)
			return ctl_refuse(q, ZCTL_E_NO_MEMORY, "no pool memory for a workspace");
	}
	if (!ctl.staged_ws || store_size(ctl.staged_ws) != w->capacity)
		return ctl_refuse(
			q, ZCTL_E_BAD_REQUEST,
			"no workspace of that size is staged (the first write starts one)");
	for (uint32_t at = 0; at < data_len; at += STORE_BLOCK) {
		uint32_t n = data_len - at < STORE_BLOCK ? data_len - at : STORE_BLOCK;

		if (zone_read(q->cz, data_gpa(sizeof(*w)) + at, chunk, n) != 0)
			return ctl_refuse(q, ZCTL_E_BAD_REQUEST,
					  "workspace data outside the window");
		if (store_write(ctl.staged_ws, w->offset + at, chunk, n) != 0) {
			ctl_drop_staged_workspace();
			return ctl_refuse(q, ZCTL_E_NO_MEMORY,
					  "the pool ran out of memory for the workspace (%lu MiB "
					  "free); it was dropped",
					  mem_free_bytes() >> 20);
		}
	}
	return 0;
}

/* A zone's reads and writes of its workspace: one device, so serialised. */
static int ws_read(void *ctx, uint64_t off, void *dst, size_t len)
{
	const struct workspace *ws = ctx;

	return store_read(ws->store, off, dst, len) == 0 ? 0 : DISK_EIO;
}

static int ws_write(void *ctx, uint64_t off, const void *src, size_t len)
{
	struct workspace *ws = ctx;
	int r = store_write(ws->store, off, src, len);

	return r == 0 ? 0 : r == DISK_ENOSPC ? DISK_ENOSPC : DISK_EIO;
}

/* No release: the record owns the store, and frees it at rm, which waits
 * for the zone to be destroyed (EXITED), its device with it. */
static const struct disk_ops ws_ops = {ws_read, ws_write, NULL};

int ctl_op_ws_read(struct request *q, const struct zctl_ws_read_req *rq)
{
	const char *why = zctl_check_ws_read(rq);
	struct zctl_ws_read *o = ctl_reply_body();
	struct record *r;
	uint64_t cap;
	int err = 0;

	if (why)
		return ctl_refuse(q, ZCTL_E_BAD_REQUEST, "%s", why);
	r = ctl_named(q, rq->name, &err);
	if (!r)
		return err;
	if (r->state != ZCTL_STATE_EXITED)
		return ctl_refuse(q, ZCTL_E_STATE,
				  "zone %s is still running (zonectl stop %s first)", r->name,
				  r->name);
	if (!r->ws.store)
		return ctl_refuse(q, ZCTL_E_STATE, "zone %s has no workspace", r->name);
	cap = store_size(r->ws.store);
	zv_memset(o, 0, sizeof(*o));
	o->capacity = cap;
	o->offset = rq->offset;
	o->len = rq->offset >= cap	      ? 0
		 : rq->len < cap - rq->offset ? rq->len
					      : (uint32_t)(cap - rq->offset);
	for (uint32_t b = 0; b < o->len / STORE_BLOCK; b++)
		if (store_block_used(r->ws.store, rq->offset / STORE_BLOCK + b))
			o->used[b / 8] |= (uint8_t)(1u << (b % 8));
	store_read(r->ws.store, rq->offset, o + 1, o->len);
	q->reply_len = (uint32_t)sizeof(*o) + o->len;
	return 0;
}

/* ---- RUN's disks ---------------------------------------------------------- */

/* The image the run asked for, else zonevisor.conf's agent_image unless it
 * asked for none; "" for none. */
static const char *image_of(const struct zctl_run *run)
{
	if (run->image[0] || (run->flags & ZCTL_RUN_NO_IMAGE))
		return run->image;
	return ctl.default_image;
}

int ctl_check_disks(struct request *q, const struct zctl_run *run)
{
	struct image_info info[ZCTL_MAX_IMAGES];
	const char *image = image_of(run);
	unsigned n = image[0] ? images_list(info, ZCTL_MAX_IMAGES) : 0;
	bool found = false;

	for (unsigned i = 0; i < n; i++)
		found |= !zv_strcmp(info[i].name, image);
	if (image[0] && !found && image == ctl.default_image)
		return ctl_refuse(q, ZCTL_E_NO_IMAGE,
				  "the default image %s (zonevisor.conf agent_image) is not loaded "
				  "(zonectl image load --name %s FILE, or run --image none)",
				  image, image);
	if (image[0] && !found)
		return ctl_refuse(
			q, ZCTL_E_NO_IMAGE,
			"no image named %s (zonectl image load FILE; image ls lists them)", image);
	if ((run->flags & ZCTL_RUN_WORKSPACE) && !ctl.staged_ws)
		return ctl_refuse(q, ZCTL_E_BAD_REQUEST,
				  "no workspace staged (zonectl run --workspace DIR writes one)");
	return 0;
}

void ctl_fill_disks(struct record *r, const struct zctl_run *run, struct zone_spec *s)
{
	struct image_info info;
	const char *image = image_of(run);

	if (image[0] && images_get(image, &s->disks[s->disk_count], &info) == IMAGE_OK) {
		zv_strlcpy(r->image, info.name, sizeof(r->image));
		zv_memcpy(r->image_sha256, info.sha256, sizeof(r->image_sha256));
		s->disk_count++;
	}
	if (run->flags & ZCTL_RUN_WORKSPACE) {
		struct disk *d = &s->disks[s->disk_count++];

		r->ws.store = ctl.staged_ws;
		ctl.staged_ws = NULL;
		zv_memset(d, 0, sizeof(*d));
		d->ops = &ws_ops;
		d->ctx = &r->ws;
		d->size = store_size(r->ws.store);
		zv_strlcpy(d->serial, "zv-workspace", sizeof(d->serial));
	}
}

void ctl_free_workspace(struct record *r)
{
	ctl_defer_wipe(r->ws.store);
	r->ws.store = NULL;
}

_Static_assert(ZCTL_MAX_DISKS == ZONE_BLK_MAX, "ps has a slot for each disk a zone can have");
_Static_assert(ZCTL_SERIAL_LEN > DISK_SERIAL_ID, "a serial and its NUL fit");

uint32_t ctl_disk_figures(const struct zone *z, struct zctl_disk *disks)
{
	struct zone_blk_info info;
	uint32_t n = 0;

	zv_memset(disks, 0, ZCTL_MAX_DISKS * sizeof(*disks));
	for (unsigned i = 0; i < ZONE_BLK_MAX; i++) {
		struct zctl_disk *d = &disks[n];

		if (!zone_blk_info(z, i, &info))
			continue; /* a slot without a disk */
		zv_strlcpy(d->serial, info.serial, sizeof(d->serial));
		d->size = info.size;
		d->read_only = info.read_only;
		d->reads = info.reads;
		d->writes = info.writes;
		d->read_bytes = info.read_bytes;
		d->written_bytes = info.written_bytes;
		d->errors = info.errors;
		d->refused = info.refused;
		n++;
	}
	return n;
}

void ctl_fill_storage(const struct record *r, struct zctl_zone *o)
{
	zv_strlcpy(o->image, r->image, sizeof(o->image));
	zv_memcpy(o->image_sha256, r->image_sha256, sizeof(o->image_sha256));
	if (r->ws.store) {
		o->workspace_size = store_size(r->ws.store);
		o->workspace_bytes = store_pages(r->ws.store) * STORE_BLOCK;
	}
	if (r->zone) {
		o->disk_count = ctl_disk_figures(r->zone, o->disks);
	} else {
		o->disk_count = r->disk_count;
		zv_memcpy(o->disks, r->disks, sizeof(o->disks));
	}
}
