/* A zone's interrupt platform: its vCPUs' x2APICs, its IOAPIC, and the routing between them. */
#ifndef ZV_ZONE_IRQ_H
#define ZV_ZONE_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/arch/vcpu.h"

struct zone;

/*
 * Every message stays inside the zone: an IPI or an IOAPIC message can only
 * name the zone's own vCPUs, so no zone can interrupt another one or the
 * hypervisor.  All state is under the zone's irq_lock; a vCPU that gets an
 * interrupt while running on another CPU is kicked with VECTOR_WAKEUP.
 */

/* Power-on state: every APIC reset, the IOAPIC masked. */
void zone_irq_init(struct zone *z);

/* Whether msr is one of the virtual APIC's (x2APIC range, TSC deadline). */
bool zone_irq_owns_msr(uint32_t msr);
/* RDMSR / WRMSR of such an MSR by v: 0, or -1 for #GP. */
int zone_irq_rdmsr(struct vcpu *v, uint32_t msr, uint64_t *val);
int zone_irq_wrmsr(struct vcpu *v, uint32_t msr, uint64_t val);

/* Sets IOAPIC input `pin` (active high) of the zone. */
void zone_irq_set_line(struct zone *z, unsigned pin, bool level);

/* Raises a fixed, edge-triggered interrupt `vector` at v (a passed-through
 * device's MSI); any CPU, interrupts off or on. */
void zone_irq_raise(struct vcpu *v, uint8_t vector);
/* Fires v's APIC timer if due; the vector v may take now, or -1. */
int zone_irq_pending(struct vcpu *v);
/* v is being given `vector` (IRR -> ISR). */
void zone_irq_ack(struct vcpu *v, uint8_t vector);
/* TSC at which v's APIC timer fires next (VLAPIC_NO_DEADLINE if never). */
uint64_t zone_irq_deadline(struct vcpu *v);

/* The IOAPIC's MMIO window (zones/vioapic.h), for hv/mmio.c. */
uint64_t zone_ioapic_read(void *zone, uint64_t offset, unsigned size);
void zone_ioapic_write(void *zone, uint64_t offset, unsigned size, uint64_t value);

#endif
