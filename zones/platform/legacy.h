/* A zone's legacy PC ports and console; every port nobody registers is absent hardware. */
#ifndef ZV_ZONE_IO_H
#define ZV_ZONE_IO_H

#include <stdint.h>

#include "hv/zone_api.h"

struct zone;

#define DEBUG_EXIT_PORT 0xf4 /* QEMU isa-debug-exit compatible */

/* Registers the zone's legacy ports in z->io (and, for the control zone,
 * its unassigned MMIO as the fallback), their state in a page freed by a
 * destroy hook: 0, or -1 when one was refused or out of memory. */
int zone_io_attach(struct zone *z);
/* Emits the zone's partial console line, under the UART's lock (any vCPU). */
void zone_console_flush(struct zone *z);
/* When the zone stopped: the partial line, then one line for what its
 * console budget held back, if anything. */
void zone_console_end(struct zone *z);

#endif
