/* The CPU's own local APIC (xAPIC MMIO or x2APIC MSRs, whichever firmware left on). */
#ifndef ZV_LAPIC_H
#define ZV_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

/* Software-enables this CPU's APIC with VECTOR_SPURIOUS. */
void lapic_init(void);
uint32_t lapic_id(void);
void lapic_eoi(void);
/* Intel SDM vol. 3A, 8.4.4.1: INIT then two STARTUP IPIs start an AP at
 * vector_page * 4 KiB in real mode.  Return 0, or -1 if the ICR stays busy. */
int lapic_send_init(uint32_t apic_id);
int lapic_send_startup(uint32_t apic_id, uint8_t vector_page);
/* A fixed interrupt with the given vector to one CPU. */
int lapic_send_ipi(uint32_t apic_id, uint8_t vector);
int lapic_is_x2apic(void);
/* Whether vector is in service on this CPU (ISR bit set: an interrupt was
 * delivered and not yet EOIed), which tells an interrupt on vectors 16-31
 * from the exception of the same number. */
bool lapic_in_service(uint8_t vector);
/* An NMI to one CPU (SDM vol. 3A, 11.6.1: delivery mode 100b). */
int lapic_send_nmi(uint32_t apic_id);

/* The APIC timer as a one-shot alarm measured in TSC cycles.  calibrate
 * (once, on the BSP) measures the timer's input clock against the TSC;
 * every CPU's timer runs at that rate (one crystal, SDM vol. 3A 11.5.4). */
void lapic_timer_calibrate(void);
/* Raises VECTOR_TIMER on this CPU after about tsc_cycles (at least once). */
void lapic_timer_oneshot(uint64_t tsc_cycles);
void lapic_timer_stop(void);
/* Whether the one-shot is still counting down (it has not fired). */
bool lapic_timer_running(void);

#endif
