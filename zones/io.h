/* Port I/O of a zone: a table of emulated port ranges; every other port is absent hardware. */
#ifndef ZV_ZONE_IO_H
#define ZV_ZONE_IO_H

#include <stdint.h>

#include "hv/arch/vcpu.h"
#include "hv/mmio.h"

struct zone;

#define DEBUG_EXIT_PORT 0xf4 /* QEMU isa-debug-exit compatible */

/* Reads from an absent port return all ones, writes are dropped. */
enum vexit_action zone_io_read(struct zone *z, uint16_t port, unsigned size, uint32_t *value);
enum vexit_action zone_io_write(struct zone *z, uint16_t port, unsigned size, uint32_t value);
/* Moves queued console input (hv/console_input.h) into the zone's UART, if
 * the zone owns the console; called on the zone's vCPU 0. */
void zone_console_pull(struct zone *z);
/* Emits the zone's partial console line, under the UART's lock (any vCPU). */
void zone_console_flush(struct zone *z);
/* The emulated device window that contains gpa, or NULL (then the fault is
 * an access outside the zone). */
const struct mmio_device *zone_mmio_device(struct zone *z, uint64_t gpa);

#endif
