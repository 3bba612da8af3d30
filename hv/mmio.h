/* Emulating a guest's access to a device register that lives behind a nested page fault. */
#ifndef ZV_MMIO_H
#define ZV_MMIO_H

#include <stdint.h>

#include "hv/arch/vcpu.h"

/* A device window in guest-physical space; offsets passed are from base. */
struct mmio_device {
	const char *name;
	uint64_t base, size;
	uint64_t (*read)(void *ctx, uint64_t offset, unsigned size);
	void (*write)(void *ctx, uint64_t offset, unsigned size, uint64_t value);
	void *ctx;
};

/*
 * Decodes the instruction at the vCPU's RIP (fetched through its page
 * tables) and performs its access to dev at gpa: MOV loads and stores
 * (register or immediate), MOVZX, MOVSX and MOVSXD loads, of 1, 2, 4 or 8
 * bytes, entirely inside the window.  Anything else (string operations,
 * read-modify-write, an access that crosses the window, an undecodable or
 * unreadable instruction) stops the zone with the reason.
 */
enum vexit_action mmio_emulate(struct vcpu *v, uint64_t gpa, const struct mmio_device *dev);

#endif
