/* Before every entry: INIT/STARTUP, then NMI and external interrupt injection, then the host timer.
 */
#include "hv/vintr.h"
#include "drivers/lapic.h"
#include "hv/cpu.h"
#include "hv/time.h"
#include "hv/zone_api.h"

#define CONSOLE_POLL_MS 10 /* keyboard latency of the control zone's console */

void vcpu_arm_host_timer(struct vcpu *v)
{
	uint64_t deadline = zone_irq_deadline(v);
	uint64_t now = rdtsc();

	/* The control zone's CPU also polls the physical UART (zone_console_pull):
	 * it never sleeps longer than CONSOLE_POLL_MS. */
	if (zone_polls_console(v->zone)) {
		uint64_t poll = now + tsc_khz() * CONSOLE_POLL_MS;

		if (deadline > poll)
			deadline = poll;
	}
	/* Re-arm only when the deadline moved or the armed timer is no longer
	 * counting (it fired, possibly a little early, or was stopped). */
	if (deadline == v->timer_armed && (deadline == ZONE_NO_DEADLINE || lapic_timer_running()))
		return;
	v->timer_armed = deadline;
	if (deadline == ZONE_NO_DEADLINE)
		lapic_timer_stop();
	else
		lapic_timer_oneshot(deadline > now ? deadline - now : 1);
}

/*
 * Intel SDM vol. 3A, 9.4.4 (MP initialization): an AP that got INIT waits
 * for STARTUP, then runs in real mode at vector * 4 KiB.  The wait happens
 * here, outside the guest; a stop request ends it.
 */
static enum vexit_action wait_for_startup(struct vcpu *v)
{
	struct vcpu_entry e;

	while (v->sipi_vector < 0) {
		if (zone_stop_requested(v->zone))
			return VACT_STOP;
		lapic_timer_stop();
		irq_enable_and_halt();
	}
	e = (struct vcpu_entry){.mode = VCPU_ENTRY_REAL16,
				.rip = 0,
				.cs_selector = (uint16_t)(v->sipi_vector << 8)};
	v->sipi_vector = -1;
	v->wait_sipi = 0;
	v->nmi_pending = 0;
	backend->vcpu_reset(v, &e);
	return VACT_RESUME;
}

static void deliver_interrupt(struct vcpu *v)
{
	int vector = zone_irq_pending(v);

	if (vector < 0) {
		backend->request_irq_window(v, false);
		return;
	}
	if (backend->event_queued(v) || !backend->interruptible(v)) {
		/* Exit as soon as the guest can take it (or right after the
		 * queued event has been delivered). */
		backend->request_irq_window(v, true);
		return;
	}
	zone_irq_ack(v, (uint8_t)vector);
	backend->inject_interrupt(v, (uint8_t)vector);
	backend->request_irq_window(v, zone_irq_pending(v) >= 0);
}

enum vexit_action vcpu_before_entry(struct vcpu *v)
{
	if (zone_stop_requested(v->zone))
		return VACT_STOP;
	if (v->wait_sipi && wait_for_startup(v) == VACT_STOP)
		return VACT_STOP;
	if (v->id == 0)
		zone_console_pull(v->zone);
	zone_service_devices(v->zone); /* one batch per entry: the guest runs between them */
	if (v->nmi_pending && !backend->event_queued(v)) {
		v->nmi_pending = 0;
		backend->inject_nmi(v);
	}
	deliver_interrupt(v);
	vcpu_arm_host_timer(v);
	return VACT_RESUME;
}
