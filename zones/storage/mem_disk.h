/* A read-only disk over bytes already in hypervisor memory: a boot-time zone's `disk =` file. */
#ifndef ZV_STORAGE_MEM_DISK_H
#define ZV_STORAGE_MEM_DISK_H

#include <stdint.h>

#include "zones/storage/disk.h"

/*
 * Sets *d up over [base, base + size): its whole sectors (a partial last one
 * is not offered), read-only, serial cut to DISK_SERIAL_ID characters.  The
 * bytes must outlive every zone given d (the loader's files live as long as
 * the hypervisor); no reference is held, so release is NULL.
 */
void mem_disk_init(struct disk *d, const void *base, uint64_t size, const char *serial);

#endif
