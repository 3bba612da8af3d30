/* Loads a zone's image: a bzImage through the Linux boot protocol, anything else as Multiboot. */
#ifndef ZV_ZONE_LOAD_H
#define ZV_ZONE_LOAD_H

#include <stddef.h>

#include "hv/arch/vcpu.h"
#include "hv/err.h"

struct zone;

/* Loads img (and initrd, Linux only; NULL for none) with the command line
 * args into z and sets *e to the first vCPU's entry state.  0, or -1 with
 * *err (ZV_EIMAGE) saying why the image cannot be loaded. */
int zone_load_image(struct zone *z, const void *img, size_t size, const void *initrd,
		    size_t initrd_size, const char *args, struct vcpu_entry *e, struct zv_err *err);

#endif
