/* The exits' side of the device registry (hv/io_map.h): accesses go to the range a device
 * registered. */
#ifndef ZV_DEVIO_H
#define ZV_DEVIO_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/arch/vcpu.h"
#include "hv/io_map.h"

/* Port I/O by v: the registered device's handler, else absent hardware
 * (IN reads all-ones, OUT is dropped).  For IN, *value receives the result.
 * VACT_STOP when the device stopped the zone; the caller skips the insn. */
enum vexit_action devio_port(struct vcpu *v, uint16_t port, unsigned size, bool in,
			     uint32_t *value);
/* The range that answers an access of v's zone at gpa (its fallback
 * included), or NULL: then the access is outside the zone. */
const struct io_range *devio_mmio(struct vcpu *v, uint64_t gpa);
/* The range a device registered for msr in v's zone, or NULL. */
const struct io_range *devio_msr(struct vcpu *v, uint32_t msr);

#endif
