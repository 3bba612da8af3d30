/* Read-only disks over memory (zones/storage/mem_disk.h): one memcpy per read. */
#include "zones/storage/mem_disk.h"

#include "hv/lib/string.h"

/* The device checked [off, off + len) lies inside d->size (zones/virtio/blk.c). */
static int mem_read(void *ctx, uint64_t off, void *dst, size_t len)
{
	zv_memcpy(dst, (const uint8_t *)ctx + off, len);
	return 0;
}

static const struct disk_ops mem_ops = {mem_read, NULL, NULL};

void mem_disk_init(struct disk *d, const void *base, uint64_t size, const char *serial)
{
	zv_memset(d, 0, sizeof(*d));
	d->ops = &mem_ops;
	d->ctx = (void *)(uintptr_t)base; /* only ever read through */
	d->size = size - size % DISK_SECTOR;
	d->read_only = true;
	zv_strlcpy(d->serial, serial, sizeof(d->serial));
}
