/* Interrupt routing inside a zone: x2APIC IPIs, IOAPIC messages, INIT/STARTUP, timers. */
#include "zones/platform/irq.h"
#include "drivers/lapic.h"
#include "hv/cpu.h"
#include "hv/idt.h"
#include "hv/lib/string.h"
#include "hv/mem.h"
#include "hv/palloc.h"
#include "hv/percpu.h"
#include "hv/spinlock.h"
#include "zones/platform/vioapic.h"
#include "zones/platform/vlapic.h"
#include "zones/zone.h"

/* A zone's interrupt platform, in pages of its own that z->platform points
 * at: the destroy hook that frees it is the zone's first, so it runs after
 * every device that could still raise a line was detached. */
struct irq_platform {
	struct spinlock lock;
	struct vlapic lapic[ZONE_MAX_VCPUS];
	struct vioapic ioapic;
};

_Static_assert(VLAPIC_NO_DEADLINE == ZONE_NO_DEADLINE, "one \"never\" for the APIC timer");

static struct vlapic *apic_of(struct vcpu *v)
{
	return &v->zone->platform->lapic[v->id];
}

/* Makes v notice new work: a running vCPU exits, a halted one wakes. */
static void kick(struct vcpu *v)
{
	if (v->cpu != this_cpu()->index && cpus[v->cpu])
		lapic_send_ipi(cpus[v->cpu]->apic_id, VECTOR_WAKEUP);
}

static void deliver_fixed(struct vcpu *v, uint8_t vector, bool level)
{
	if (vlapic_accept(apic_of(v), vector, level))
		kick(v);
}

/* Intel SDM vol. 3A, 9.4.4: INIT parks an AP until STARTUP gives it a
 * vector; a STARTUP without a preceding INIT is ignored. */
static void deliver_special(struct vcpu *v, const struct vlapic_ipi *ipi)
{
	switch (ipi->mode) {
	case VLAPIC_DM_NMI: v->nmi_pending = 1; break;
	case VLAPIC_DM_INIT:
		if (!ipi->assert && ipi->level)
			return; /* INIT level de-assert: no effect on x2APIC parts */
		v->sipi_vector = -1;
		v->wait_sipi = 1;
		break;
	case VLAPIC_DM_STARTUP:
		if (!v->wait_sipi || v->sipi_vector >= 0)
			return;
		v->sipi_vector = ipi->vector;
		break;
	default: return; /* SMI and reserved modes: ignored */
	}
	kick(v);
}

static bool ipi_targets(const struct vcpu *from, const struct vcpu *to, const struct vlapic *apic,
			const struct vlapic_ipi *ipi)
{
	switch (ipi->shorthand) {
	case VLAPIC_DEST_SELF: return to == from;
	case VLAPIC_DEST_ALL: return true;
	case VLAPIC_DEST_ALL_BUT_SELF: return to != from;
	default: return vlapic_matches(apic, ipi->dest, ipi->logical);
	}
}

static void route_ipi(struct vcpu *from, const struct vlapic_ipi *ipi)
{
	struct zone *z = from->zone;

	for (uint32_t i = 0; i < z->vcpu_count; i++) {
		struct vcpu *to = &z->vcpus[i];

		if (!ipi_targets(from, to, &z->platform->lapic[i], ipi))
			continue;
		if (ipi->mode == VLAPIC_DM_FIXED || ipi->mode == VLAPIC_DM_LOWEST)
			deliver_fixed(to, ipi->vector, false);
		else
			deliver_special(to, ipi);
		if (ipi->mode == VLAPIC_DM_LOWEST)
			return; /* one recipient: the first match stands for the lowest */
	}
}

/* IOAPIC message (called with the platform's lock held, from inside vioapic calls). */
static void route_ioapic(void *ctx, const struct vioapic_msg *m)
{
	struct zone *z = ctx;

	for (uint32_t i = 0; i < z->vcpu_count; i++) {
		struct vcpu *to = &z->vcpus[i];

		if (!vlapic_matches(&z->platform->lapic[i], m->dest == 0xff ? 0xffffffffu : m->dest,
				    m->logical))
			continue;
		if (m->delivery == 4) {
			to->nmi_pending = 1;
			kick(to);
		} else if (m->delivery <= 1) {
			deliver_fixed(to, m->vector, m->level);
		}
		if (m->delivery == 1)
			return;
	}
}

static int apic_rdmsr(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	int rc;

	spin_lock(&v->zone->platform->lock);
	rc = vlapic_rdmsr(apic_of(v), msr, rdtsc(), val);
	spin_unlock(&v->zone->platform->lock);
	return rc;
}

static int apic_wrmsr(struct vcpu *v, uint32_t msr, uint64_t val)
{
	struct zone *z = v->zone;
	struct vlapic_effects fx;
	int rc;

	spin_lock(&z->platform->lock);
	rc = vlapic_wrmsr(apic_of(v), msr, val, rdtsc(), &fx);
	if (rc == 0 && fx.ipi_valid)
		route_ipi(v, &fx.ipi);
	if (rc == 0 && fx.eoi_vector >= 0)
		vioapic_eoi(&z->platform->ioapic, (uint8_t)fx.eoi_vector);
	spin_unlock(&z->platform->lock);
	return rc;
}

/* The x2APIC's MSRs and TSC deadline: ctx is the range's first MSR (the
 * vCPU gives the zone).  #GP for what the APIC refuses (vlapic_rdmsr). */
static enum io_result msr_read(void *ctx, struct vcpu *v, uint64_t offset, unsigned size,
			       uint64_t *val)
{
	(void)size;
	return apic_rdmsr(v, (uint32_t)((uintptr_t)ctx + offset), val) ? IO_FAULT : IO_DONE;
}

static enum io_result msr_write(void *ctx, struct vcpu *v, uint64_t offset, unsigned size,
				uint64_t val)
{
	(void)size;
	return apic_wrmsr(v, (uint32_t)((uintptr_t)ctx + offset), val) ? IO_FAULT : IO_DONE;
}

static enum io_result ioapic_read(void *ctx, struct vcpu *v, uint64_t offset, unsigned size,
				  uint64_t *value)
{
	struct irq_platform *p = ctx;

	(void)v;
	spin_lock(&p->lock);
	*value = vioapic_mmio_read(&p->ioapic, offset, size);
	spin_unlock(&p->lock);
	return IO_DONE;
}

static enum io_result ioapic_write(void *ctx, struct vcpu *v, uint64_t offset, unsigned size,
				   uint64_t value)
{
	struct irq_platform *p = ctx;

	(void)v;
	spin_lock(&p->lock);
	vioapic_mmio_write(&p->ioapic, offset, size, (uint32_t)value);
	spin_unlock(&p->lock);
	return IO_DONE;
}

#define PLATFORM_ORDER palloc_order_for(sizeof(struct irq_platform))

static void platform_free(void *platform)
{
	zv_memset(platform, 0, sizeof(struct irq_platform));
	page_free((uint64_t)platform, PLATFORM_ORDER);
}

int zone_irq_init(struct zone *z)
{
	struct irq_platform *p = phys_to_virt(page_alloc(PLATFORM_ORDER));
	const struct io_range ioapic = {"ioapic",    VIOAPIC_BASE, VIOAPIC_SIZE,
					ioapic_read, ioapic_write, p};
	const struct io_range x2apic = {
		"x2apic", VLAPIC_MSR_FIRST, VLAPIC_MSR_LAST - VLAPIC_MSR_FIRST + 1,
		msr_read, msr_write,	    (void *)(uintptr_t)VLAPIC_MSR_FIRST};
	const struct io_range deadline = {
		"tsc-deadline", MSR_TSC_DEADLINE, 1,
		msr_read,	msr_write,	  (void *)(uintptr_t)MSR_TSC_DEADLINE};

	if (!p)
		return -1;
	if (hook_list_add(&z->on_destroy, platform_free, p) != 0) {
		page_free((uint64_t)p, PLATFORM_ORDER);
		return -1;
	}
	z->platform = p;
	for (uint32_t i = 0; i < z->vcpu_count; i++) {
		vlapic_reset(&p->lapic[i], i);
		z->vcpus[i].sipi_vector = -1;
		z->vcpus[i].wait_sipi = i != 0; /* APs wait for the BSP's STARTUP */
	}
	vioapic_reset(&p->ioapic, z->vcpu_count, route_ioapic, z);
	return io_map_add(&z->io, IO_MMIO, &ioapic) | io_map_add(&z->io, IO_MSR, &x2apic) |
	       io_map_add(&z->io, IO_MSR, &deadline);
}

void zone_irq_raise(struct vcpu *v, uint8_t vector)
{
	spin_lock(&v->zone->platform->lock);
	deliver_fixed(v, vector, false);
	spin_unlock(&v->zone->platform->lock);
}

void zone_irq_set_line(struct zone *z, unsigned pin, bool level)
{
	spin_lock(&z->platform->lock);
	vioapic_set_line(&z->platform->ioapic, pin, level);
	spin_unlock(&z->platform->lock);
}

int zone_irq_pending(struct vcpu *v)
{
	int vector;

	spin_lock(&v->zone->platform->lock);
	vlapic_timer_expire(apic_of(v), rdtsc());
	vector = vlapic_pending(apic_of(v));
	spin_unlock(&v->zone->platform->lock);
	return vector;
}

void zone_irq_ack(struct vcpu *v, uint8_t vector)
{
	spin_lock(&v->zone->platform->lock);
	vlapic_ack(apic_of(v), vector);
	spin_unlock(&v->zone->platform->lock);
}

uint64_t zone_irq_deadline(struct vcpu *v)
{
	uint64_t t;

	spin_lock(&v->zone->platform->lock);
	t = vlapic_next_event(apic_of(v));
	spin_unlock(&v->zone->platform->lock);
	return t;
}
