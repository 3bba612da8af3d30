/* CPU bring-up: the BSP, then each AP by INIT-SIPI-SIPI (Intel SDM vol. 3A, 8.4.4). */
#include "hv/smp.h"
#include "drivers/lapic.h"
#include "hv/arch/vcpu.h"
#include "hv/console.h"
#include "hv/cpu.h"
#include "hv/fpu.h"
#include "hv/lib/string.h"
#include "hv/mem.h"
#include "hv/percpu.h"
#include "hv/time.h"
#include "hv/trampoline.h"
#include "hv/zone_api.h"

#define PERCPU_ORDER	    1 /* struct percpu fits in 8 KiB */
#define STACK_ORDER	    2 /* HV_STACK_SIZE */
#define AP_START_TIMEOUT_US 200000

const struct vcpu_backend *backend;
static char backend_why[96];
static uint32_t online_count, virt_count;

static struct percpu *new_percpu(uint32_t index, uint32_t apic_id)
{
	struct percpu *p = phys_to_virt(page_alloc(PERCPU_ORDER));

	if (!p)
		panic("no memory for cpu %u", index);
	_Static_assert(sizeof(struct percpu) <= (4096 << PERCPU_ORDER), "percpu too big");
	p->index = index;
	p->apic_id = apic_id;
	return p;
}

/* Runs on the CPU being brought up, after cpu_setup(). */
static void cpu_online(struct percpu *p)
{
	char why[96];

	lapic_init();
	zv_strlcpy(why, backend_why, sizeof(why));
	if (backend && backend->probe(why, sizeof(why)) &&
	    backend->cpu_enable(p, why, sizeof(why)) == 0) {
		p->virt_ready = 1;
		__atomic_add_fetch(&virt_count, 1, __ATOMIC_SEQ_CST);
		kprintf("cpu %u online (apic %u, %s)\n", p->index, p->apic_id, backend->name);
	} else {
		kprintf("cpu %u online (apic %u, no virtualization: %s)\n", p->index, p->apic_id,
			why);
	}
	__atomic_add_fetch(&online_count, 1, __ATOMIC_SEQ_CST);
	p->online = 1;
}

void smp_init_bsp(const struct zv_bootinfo *bi)
{
	uint32_t apic = 0;

	for (uint32_t i = 0; i < bi->cpu_count; i++)
		if (bi->cpus[i].flags & ZV_CPU_BSP)
			apic = bi->cpus[i].apic_id;
	backend = vcpu_backend_select(backend_why, sizeof(backend_why));
	struct percpu *p = new_percpu(0, apic);
	p->stack_top = bi->stack_top;
	cpu_setup(p);
	cpu_count = 1;
	cpu_online(p);
}

static void __attribute__((noreturn)) ap_entry(struct percpu *p)
{
	cpu_setup(p);
	cpu_online(p);
	cpu_idle();
}

static void write_params(uint8_t *page, struct percpu *p)
{
	*(uint32_t *)(page + TRAMP_CR3) = (uint32_t)read_cr3();
	*(uint64_t *)(page + TRAMP_STACK) = p->stack_top;
	*(uint64_t *)(page + TRAMP_ENTRY) = (uint64_t)ap_entry;
	*(uint64_t *)(page + TRAMP_ARG) = (uint64_t)p;
}

static int wait_online(struct percpu *p)
{
	for (uint64_t t = 0; t < AP_START_TIMEOUT_US; t += 100) {
		if (p->online)
			return 0;
		udelay(100);
	}
	return -1;
}

static void start_ap(uint64_t tramp, uint32_t index, uint32_t apic_id)
{
	struct percpu *p = new_percpu(index, apic_id);
	uint64_t stack = page_alloc(STACK_ORDER);

	if (!stack)
		panic("no memory for the stack of cpu %u", index);
	p->stack_top = stack + HV_STACK_SIZE;
	write_params(phys_to_virt(tramp), p);
	if (lapic_send_init(apic_id) != 0)
		kprintf("cpu %u: INIT IPI not accepted\n", index);
	udelay(10000);
	for (int i = 0; i < 2 && !p->online; i++) {
		lapic_send_startup(apic_id, (uint8_t)(tramp >> 12));
		udelay(200);
	}
	if (wait_online(p) != 0) {
		kprintf("cpu %u (apic %u) did not start; continuing without it\n", index, apic_id);
		return; /* its memory stays allocated: the CPU may still wake up */
	}
	cpu_count = index + 1;
}

static void warn_if_smt_siblings(void);

void smp_start_aps(const struct zv_bootinfo *bi)
{
	uint32_t index = 1;

	zv_memcpy(phys_to_virt(bi->trampoline), tramp_start, tramp_size);
	for (uint32_t i = 0; i < bi->cpu_count; i++) {
		if (bi->cpus[i].flags & ZV_CPU_BSP)
			continue;
		start_ap(bi->trampoline, index, bi->cpus[i].apic_id);
		if (cpus[index])
			index++;
	}
	warn_if_smt_siblings();
}

/* Bits of the APIC ID that number the threads of one core: Intel CPUID
 * leaf 0Bh sub-leaf 0 EAX[4:0] (SDM vol. 3A, 10.12.8.1), AMD 8000_001Eh
 * EBX[15:8] threads per core minus one (APM vol. 3, E.4.15). */
static uint32_t smt_shift(void)
{
	uint32_t threads;

	if (cpuid(0, 0).eax >= 0xb && cpuid(0xb, 0).ebx)
		return cpuid(0xb, 0).eax & 0x1f;
	if (cpuid(0x80000000, 0).eax < 0x8000001e)
		return 0;
	threads = ((cpuid(0x8000001e, 0).ebx >> 8) & 0xff) + 1;
	return threads > 1 ? 1 : 0;
}

/* Two threads of one core share caches, predictors and buffers that no
 * flush between zones reaches (docs/security.md, "Speculative execution"):
 * say so when the firmware left SMT on and two online CPUs are siblings. */
static void warn_if_smt_siblings(void)
{
	uint32_t shift = smt_shift();

	for (uint32_t i = 0; shift && i < cpu_count; i++)
		for (uint32_t j = i + 1; j < cpu_count; j++)
			if (cpus[i] && cpus[j] &&
			    cpus[i]->apic_id >> shift == cpus[j]->apic_id >> shift) {
				kprintf("zonevisor: warning: SMT is on (cpus %u and %u are threads "
					"of one core); turn it off in the firmware so zones never "
					"share a core (docs/security.md)\n",
					i, j);
				return;
			}
}

uint32_t smp_online_count(void)
{
	return online_count;
}

uint32_t smp_virt_count(void)
{
	return virt_count;
}

/* MSRs a zone owns while it runs and that no VMCB or VMCS field holds. */
static void reset_zone_owned_msrs(void)
{
	if (cpu_has_tsc_aux())
		wrmsr(MSR_TSC_AUX, 0);
}

/* DR0-DR3 are the guest's own on both vendors (neither VMCB nor VMCS holds
 * them, and SVM does not intercept MOV DR); DR6 too on VMX.  Their reset
 * values: SDM vol. 3B, 18.2 and table 10-1 (DR6 = FFFF0FF0h). */
static void reset_debug_registers(void)
{
	__asm__ volatile("mov %0, %%dr0; mov %0, %%dr1; mov %0, %%dr2; mov %0, %%dr3" ::"r"(0ul));
	__asm__ volatile("mov %0, %%dr6" ::"r"(0xffff0ff0ul));
}

/* Branch predictions trained by the zone that ran here before must not
 * steer this one (docs/security.md, "Speculative execution"). */
static void barrier_branch_predictions(void)
{
	if (cpu_has_ibpb())
		wrmsr(MSR_PRED_CMD, PRED_CMD_IBPB);
}

void cpu_run_vcpu(struct vcpu *v)
{
	struct percpu *p = this_cpu();

	p->current = v;
	fpu_reset_for_zone();
	reset_zone_owned_msrs();
	reset_debug_registers();
	barrier_branch_predictions();
	backend->vcpu_run(v);
	p->current = NULL;
	p->assigned = NULL;
	zone_vcpu_returned(v);
}

/* Runs whatever vCPU the BSP assigned, else halts until an IPI. */
void cpu_idle(void)
{
	struct percpu *p = this_cpu();

	for (;;) {
		struct vcpu *v = p->assigned;

		if (!v) {
			irq_enable_and_halt();
			continue;
		}
		cpu_run_vcpu(v);
	}
}
