/*
 * A zone's disks: the virtio-blk model (zones/virtio/blk.h) in a window of
 * the zone's MMIO each, over the struct disk its spawner gave (zones/spawn.h).
 *
 * Locking.  Several vCPUs of one zone may touch a disk's registers, or serve
 * what its notify left, at once: each disk has one ticket lock over its
 * device state, taken for a register access or a batch, with the disk's ops
 * called under it (a backend takes only its own locks, never a zone's).  It
 * is taken before the zone's interrupt platform lock (zone_irq_set_line),
 * never after.  windows_lock covers a disk's window going out of z->io, so
 * zone_blk_info (on the control zone's CPU) never finds a freed disk.
 * Console lines are printed once the locks are released.
 */
#include "zones/storage/blk.h"

#include "hv/console.h"
#include "hv/lib/string.h"
#include "hv/mem.h"
#include "hv/palloc.h"
#include "hv/spinlock.h"
#include "zones/audit/audit.h"
#include "zones/platform/acpi/tables.h"
#include "zones/platform/irq.h"
#include "zones/virtio/blk.h"
#include "zones/zone.h"

#define REFUSAL_REPORTS 16 /* lines per disk about malformed chains; stats.refused counts on */

struct zone_blk {
	struct virtio_blk dev; /* under lock */
	struct ticket_lock lock;
	struct zone *zone;
	unsigned index;		/* vda, vdb, ...: its window and its IOAPIC input */
	unsigned order;		/* pages of this struct */
	uint64_t refusals_seen; /* dev.stats.refused when last reported; under lock */
};

_Static_assert(sizeof(struct zone_blk) <= 65536, "a disk's state fits 64 KiB of pool");

static struct ticket_lock windows_lock;

static uint64_t window(unsigned i)
{
	return ZONE_BLK_GPA + i * ZONE_BLK_STRIDE;
}

static int mem_read(void *ctx, uint64_t gpa, void *dst, size_t len)
{
	return zone_read(ctx, gpa, dst, len);
}

static int mem_write(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	return zone_write(ctx, gpa, src, len);
}

/* What to print once the lock is dropped: a refusal's reason, or NULL.  Under b's lock. */
static const char *after_model(struct zone_blk *b)
{
	const char *why = NULL;

	if (b->dev.stats.refused != b->refusals_seen && b->refusals_seen < REFUSAL_REPORTS)
		why = virtio_blk_refusal_text(b->dev.last_refusal);
	b->refusals_seen = b->dev.stats.refused;
	zone_irq_set_line(b->zone, ZONE_BLK_GSI + b->index, virtio_blk_irq_line(&b->dev));
	return why;
}

/* On the console and in the audit log (device.refused), no lock held. */
static void report(const struct zone_blk *b, const char *why)
{
	static struct audit_fields f; /* 1 KiB: not on the stack */
	static struct ticket_lock f_lock;
	struct audit_source src = {b->zone->name, b->zone->id};

	if (!why)
		return;
	kprintf("zone %s: disk %s refused %s; the device needs a reset\n", b->zone->name,
		b->dev.disk.serial, why);
	ticket_lock(&f_lock);
	audit_fields_init(&f);
	audit_str(&f, "device", "disk");
	audit_str(&f, "serial", b->dev.disk.serial);
	audit_str(&f, "why", why);
	audit_append(&src, "device.refused", &f);
	ticket_unlock(&f_lock);
}

static enum io_result blk_read(void *ctx, struct vcpu *v, uint64_t offset, unsigned size,
			       uint64_t *value)
{
	struct zone_blk *b = ctx;
	const char *why;

	(void)v;
	ticket_lock(&b->lock);
	*value = virtio_blk_mmio_read(&b->dev, offset, size);
	why = after_model(b);
	ticket_unlock(&b->lock);
	report(b, why);
	return IO_DONE;
}

/* A QueueNotify serves one batch here, in the exit; the rest waits for blk_service. */
static enum io_result blk_write(void *ctx, struct vcpu *v, uint64_t offset, unsigned size,
				uint64_t value)
{
	struct zone_blk *b = ctx;
	const char *why;

	(void)v;
	ticket_lock(&b->lock);
	virtio_blk_mmio_write(&b->dev, offset, size, (uint32_t)value);
	why = after_model(b);
	ticket_unlock(&b->lock);
	report(b, why);
	return IO_DONE;
}

/* z's disk i: the context of its window in z's registry, or NULL.  A window
 * goes in once its disk is set up and out (under windows_lock) in blk_detach,
 * after z's vCPUs stopped. */
static struct zone_blk *blk_of(const struct zone *z, unsigned i)
{
	const struct io_range *r = io_map_find(&z->io, IO_MMIO, window(i), 1);

	return r && r->read == blk_read ? r->ctx : NULL;
}

/* One batch of each disk a notify left work on: z's entry in its service
 * list (hv/service_list.h). */
static bool blk_service(void *zone)
{
	bool ran = false;

	for (unsigned i = 0; i < ZONE_BLK_MAX; i++) {
		struct zone_blk *b = blk_of(zone, i);
		const char *why;

		/* a racy peek: a notify that lands after it served its own batch */
		if (!b || !__atomic_load_n(&b->dev.pending, __ATOMIC_RELAXED))
			continue;
		ticket_lock(&b->lock);
		ran |= virtio_blk_service(&b->dev);
		why = after_model(b);
		ticket_unlock(&b->lock);
		report(b, why);
	}
	return ran;
}

/* Unplugs and frees z's disks, wiping what their bounce buffers held, and
 * drops each one's disk reference: a destroy hook, after z's vCPUs stopped. */
static void blk_detach(void *zone)
{
	struct zone *z = zone;

	for (unsigned i = 0; i < ZONE_BLK_MAX; i++) {
		struct zone_blk *b = blk_of(z, i);
		struct disk d;
		unsigned order;

		if (!b)
			continue;
		ticket_lock(&windows_lock);
		io_map_remove(&z->io, IO_MMIO, window(i));
		ticket_unlock(&windows_lock);
		d = b->dev.disk;
		order = b->order;
		zv_memset(b, 0, sizeof(*b));
		page_free((uint64_t)b, order); /* the hypervisor maps memory 1:1 */
		if (d.ops->release)
			d.ops->release(d.ctx);
	}
}

/* The first free disk slot of z, or -1. */
static int free_slot(const struct zone *z)
{
	for (unsigned i = 0; i < ZONE_BLK_MAX; i++)
		if (!io_map_find(&z->io, IO_MMIO, window(i), 1))
			return (int)i;
	return -1;
}

/* Before z's first disk: its detach and service, which find no disk until a
 * window is in (so a later failure leaves them harmless), once. */
static int first_disk(struct zone *z, struct zv_err *err)
{
	for (unsigned i = 0; i < z->services.n; i++)
		if (z->services.s[i].fn == blk_service) /* an earlier attach failed */
			return 0;
	if (hook_list_add(&z->on_destroy, blk_detach, z) != 0 ||
	    service_list_add(&z->services, blk_service, z) != 0)
		return zv_err_set(err, ZV_ENOMEM, "the zone has too many devices");
	return 0;
}

static int check_disk(const struct zone *z, const struct disk *d, int slot, struct zv_err *err)
{
	if (slot < 0)
		return zv_err_set(err, ZV_EINVAL, "a zone has at most %d disks", ZONE_BLK_MAX);
	if (z->control || z->mem_bytes > ZONE_BLK_GPA)
		return zv_err_set(err, ZV_EINVAL, "memory reaches the disks' windows");
	if (!d->ops || !d->ops->read || d->size < DISK_SECTOR)
		return zv_err_set(err, ZV_EINVAL, "disk %.20s is empty", d->serial);
	return 0;
}

int zone_blk_attach(struct zone *z, const struct disk *d, struct zv_err *err)
{
	int slot = free_slot(z);
	unsigned order = palloc_order_for(sizeof(struct zone_blk));
	struct io_range win = {"virtio-blk", 0, VIRTIO_MMIO_SIZE, blk_read, blk_write, NULL};
	struct vq_mem mem = {mem_read, mem_write, z};
	struct zone_blk *b;
	uint64_t pa;

	if (check_disk(z, d, slot, err) != 0 || (slot == 0 && first_disk(z, err) != 0))
		return -1;
	pa = page_alloc(order);
	if (!pa)
		return zv_err_set(err, ZV_ENOMEM, "no memory for a disk (%u KiB)", 4u << order);
	b = phys_to_virt(pa);
	zv_memset(b, 0, sizeof(*b));
	b->zone = z;
	b->index = (unsigned)slot;
	b->order = order;
	virtio_blk_init(&b->dev, d, &mem);
	win.base = window((unsigned)slot);
	win.ctx = b;
	if (io_map_add(&z->io, IO_MMIO, &win) != 0) {
		zv_memset(b, 0, sizeof(*b));
		page_free(pa, order);
		return zv_err_set(err, ZV_ENOMEM, "no room in the zone's device registry");
	}
	return 0;
}

void zone_blk_acpi(const struct zone *z, struct zone_acpi_config *c)
{
	for (unsigned i = 0; i < ZONE_BLK_MAX && c->virtio_count < ZONE_ACPI_MAX_VIRTIO; i++)
		if (blk_of(z, i))
			c->virtio[c->virtio_count++] = (struct zone_acpi_virtio){
				window(i), VIRTIO_MMIO_SIZE, ZONE_BLK_GSI + i};
}

bool zone_blk_info(const struct zone *z, unsigned i, struct zone_blk_info *out)
{
	struct zone_blk *b;

	zv_memset(out, 0, sizeof(*out));
	if (i >= ZONE_BLK_MAX)
		return false;
	ticket_lock(&windows_lock); /* before blk_of: blk_detach removes the window under it */
	b = blk_of(z, i);
	if (b) {
		ticket_lock(&b->lock);
		zv_memcpy(out->serial, b->dev.disk.serial, sizeof(out->serial));
		out->size = b->dev.disk.size;
		out->read_only = b->dev.disk.read_only;
		out->reads = b->dev.stats.reads;
		out->writes = b->dev.stats.writes;
		out->read_bytes = b->dev.stats.read_bytes;
		out->written_bytes = b->dev.stats.written_bytes;
		out->errors = b->dev.stats.errors;
		out->refused = b->dev.stats.refused;
		ticket_unlock(&b->lock);
	}
	ticket_unlock(&windows_lock);
	return b != NULL;
}
