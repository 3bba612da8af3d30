/* A zone's interrupt platform: its vCPUs' x2APICs, its IOAPIC, and the routing between them. */
#ifndef ZV_ZONE_IRQ_H
#define ZV_ZONE_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/arch/vcpu.h"
#include "hv/zone_api.h"

struct zone;

/*
 * Every message stays inside the zone: an IPI or an IOAPIC message can only
 * name the zone's own vCPUs, so no zone can interrupt another one or the
 * hypervisor.  All state is under its platform's lock; a vCPU that gets an
 * interrupt while running on another CPU is kicked with VECTOR_WAKEUP.
 */

/* Power-on state: every APIC reset, the IOAPIC masked; registers the
 * IOAPIC's window and the x2APIC's MSRs (and TSC deadline) in z->io.  0, or
 * -1 when the registry refused one. */
int zone_irq_init(struct zone *z);

/* Sets IOAPIC input `pin` (active high) of the zone. */
void zone_irq_set_line(struct zone *z, unsigned pin, bool level);

/* Raises a fixed, edge-triggered interrupt `vector` at v (a passed-through
 * device's MSI); any CPU, interrupts off or on. */
void zone_irq_raise(struct vcpu *v, uint8_t vector);

#endif
