/* A zone's disks: virtio-blk devices on virtio-mmio, each over a struct disk
 * (zones/storage/disk.h). */
#ifndef ZV_STORAGE_BLK_H
#define ZV_STORAGE_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/err.h"
#include "zones/storage/disk.h"

struct zone;
struct zone_acpi_config;

/* Disk i's window is at ZONE_BLK_GPA + i * ZONE_BLK_STRIDE, one page each
 * after the NIC's (zones/net/nic.h), on IOAPIC input ZONE_BLK_GSI + i. */
#define ZONE_BLK_MAX	2 /* the root image and the workspace */
#define ZONE_BLK_GPA	0xfeb01000ull
#define ZONE_BLK_STRIDE 0x1000ull
#define ZONE_BLK_GSI	6

/*
 * Gives z its next virtio-blk device over *d (copied), before its image is
 * loaded so its ACPI tables list it.  From then on the device owns the
 * disk's reference: d->ops->release runs when the zone is destroyed.  0, or
 * -1 with *err (ZV_ENOMEM, ZV_EINVAL: a zone already has ZONE_BLK_MAX
 * disks, or its memory reaches the window); on -1 the caller keeps the
 * reference.
 */
int zone_blk_attach(struct zone *z, const struct disk *d, struct zv_err *err);
/* Adds z's disks to its ACPI description. */
void zone_blk_acpi(const struct zone *z, struct zone_acpi_config *c);

/* What zonectl shows of a zone's disk i; false past the last. */
struct zone_blk_info {
	char serial[DISK_SERIAL_ID + 1];
	uint64_t size;
	bool read_only;
	uint64_t reads, writes; /* requests completed */
	uint64_t read_bytes, written_bytes;
	uint64_t errors;  /* requests answered IOERR or UNSUPP */
	uint64_t refused; /* malformed chains: the device needed a reset */
};
bool zone_blk_info(const struct zone *z, unsigned i, struct zone_blk_info *out);

#endif
