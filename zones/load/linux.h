/* Loading an unmodified Linux bzImage (and initramfs) into a zone, per the x86 boot protocol. */
#ifndef ZV_LINUX_ZONE_H
#define ZV_LINUX_ZONE_H

#include <stddef.h>
#include <stdint.h>

#include "hv/arch/vcpu.h"

struct zone;

/* True when img looks like a bzImage (the "HdrS" magic), so the caller picks
 * this loader instead of Multiboot. */
int linux_is_bzimage(const void *img, size_t size);

/*
 * Validates the bzImage, plans the zone's memory, copies kernel, initramfs,
 * command line, ACPI tables, zero page, GDT and page tables into the zone and
 * fills *e for the 64-bit entry.  NULL on success, else a message saying
 * what is wrong (nothing runs then).  initrd may be NULL.
 */
const char *linux_zone_load(struct zone *z, const void *img, size_t size, const void *initrd,
			    size_t initrd_size, const char *cmdline, struct vcpu_entry *e);

#endif
