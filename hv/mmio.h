/* Emulating a guest's access to a device register that lives behind a nested page fault. */
#ifndef ZV_MMIO_H
#define ZV_MMIO_H

#include <stdint.h>

#include "hv/arch/vcpu.h"
#include "hv/io_map.h"

/*
 * Decodes the instruction at the vCPU's RIP (fetched through its page
 * tables) and performs its access to dev (an IO_MMIO range, hv/io_map.h)
 * at gpa: MOV loads and stores (register or immediate), MOVZX, MOVSX and
 * MOVSXD loads, of 1, 2, 4 or 8 bytes, entirely inside the window.
 * Anything else (string operations, read-modify-write, an access that
 * crosses the window, an undecodable or unreadable instruction) stops the
 * zone with the reason, as does a device that stops it.
 */
enum vexit_action mmio_emulate(struct vcpu *v, uint64_t gpa, const struct io_range *dev);

#endif
