/* Exceptions and interrupts taken by the hypervisor itself. */
#include "drivers/lapic.h"
#include "hv/console.h"
#include "hv/cpu.h"
#include "hv/idt.h"
#include "hv/percpu.h"
#include "hv/vectors.h"

static const char *const exception_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS",
	"#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
	"#22", "#23", "#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

static uint32_t cpu_index_or_unknown(void)
{
	/* GS may not be set yet when the fault comes very early. */
	return rdmsr(MSR_GS_BASE) ? this_cpu()->index : 0;
}

static void dump_frame(const struct trap_frame *f)
{
	kprintf("  rip %016lx  cs %04lx  rflags %016lx\n", f->rip, f->cs, f->rflags);
	kprintf("  rsp %016lx  ss %04lx  cr2 %016lx\n", f->rsp, f->ss, read_cr2());
	kprintf("  rax %016lx  rbx %016lx  rcx %016lx\n", f->rax, f->rbx, f->rcx);
	kprintf("  rdx %016lx  rsi %016lx  rdi %016lx\n", f->rdx, f->rsi, f->rdi);
	kprintf("  rbp %016lx  r8  %016lx  r9  %016lx\n", f->rbp, f->r8, f->r9);
	kprintf("  r10 %016lx  r11 %016lx  r12 %016lx\n", f->r10, f->r11, f->r12);
	kprintf("  r13 %016lx  r14 %016lx  r15 %016lx\n", f->r13, f->r14, f->r15);
	kprintf("  cr0 %016lx  cr3 %016lx  cr4 %016lx\n", read_cr0(), read_cr3(), read_cr4());
}

static void __attribute__((noreturn)) fatal_exception(struct trap_frame *f)
{
	kprintf("zonevisor: exception %s (vector %lu) on cpu %u, error code 0x%lx\n",
		exception_names[f->vector], f->vector, cpu_index_or_unknown(), f->error);
	dump_frame(f);
	kprintf("zonevisor: cpu %u halted\n", cpu_index_or_unknown());
	cpu_halt_forever();
}

#define VEC_NMI 2
#define VEC_SX	30

/*
 * What reaches the hypervisor on vectors 0-31 that is not its own fault:
 * - an NMI (a passed device's MSI, another CPU's NMI IPI, a watchdog):
 *   nothing to do, the CPU goes on;
 * - an interrupt on a vector from 16 to 31 (an MSI may name one: SDM vol. 3A,
 *   11.5.2): acknowledged and dropped;
 * - #SX: AMD turns an INIT into #SX while VM_CR.R_INIT is set, so an INIT
 *   never resets a CPU that runs zones (APM vol. 2, 15.29).
 * None may halt the CPU; each is counted on it (struct percpu) and the
 * counts are readable when it is safe to print.  An NMI may come while
 * this CPU holds the console lock, so nothing here prints.
 */
static bool stray_event(const struct trap_frame *f)
{
	struct percpu *p = rdmsr(MSR_GS_BASE) ? this_cpu() : NULL;

	if (f->vector == VEC_NMI) {
		if (p)
			p->stray_nmis++;
		return true;
	}
	if (f->vector >= 16 && f->vector < 32 && lapic_in_service((uint8_t)f->vector)) {
		if (p)
			p->stray_interrupts++;
		lapic_eoi();
		return true;
	}
	if (f->vector == VEC_SX) {
		if (p)
			p->stray_inits++;
		return true;
	}
	return false;
}

struct vector_table host_vectors;

/* Vectors 32-255 go to their owner (hv/vectors.h); one nobody reserved is
 * counted as stray.  MSIs are edge-triggered: the EOI follows at once, but
 * never for the spurious vector (SDM vol. 3A, 11.9). */
void trap_dispatch(struct trap_frame *f)
{
	const struct vector_owner *o;

	if (f->vector < 32 && stray_event(f))
		return;
	if (f->vector < 32)
		fatal_exception(f);
	o = vectors_owner(&host_vectors, (uint8_t)f->vector);
	if (o && o->handle)
		o->handle(o->ctx, (uint8_t)f->vector);
	else if (!o && rdmsr(MSR_GS_BASE))
		this_cpu()->stray_interrupts++;
	if (f->vector != VECTOR_SPURIOUS)
		lapic_eoi();
}
