/* Vendor-neutral exit handlers: what a zone's CPUID, MSR, I/O, HLT and faults mean. */
#include "hv/arch/vcpu.h"
#include "hv/console.h"
#include "hv/cpu.h"
#include "hv/cpuid_msr.h"
#include "hv/cr4_policy.h"
#include "hv/devio.h"
#include "hv/mmio.h"
#include "hv/vintr.h"
#include "hv/zone_api.h"

#define X86_UD	       6
#define X86_GP	       13
#define UD_REPORTS_MAX 16 /* per zone, so a looping guest cannot flood the console */

enum vexit_action exit_cpuid(struct vcpu *v)
{
	uint32_t leaf = (uint32_t)v->regs.rax, sub = (uint32_t)v->regs.rcx;
	struct cpuid_regs host = cpuid(leaf, sub);
	struct cpuid_result r = {host.eax, host.ebx, host.ecx, host.edx};
	struct cpuid_view view = {v->id, zone_vcpu_count(v->zone)};

	v->exits[VEXIT_CPUID]++;
	cpuid_policy_apply(leaf, sub, &r, &view);
	v->regs.rax = r.eax;
	v->regs.rbx = r.ebx;
	v->regs.rcx = r.ecx;
	v->regs.rdx = r.edx;
	vcpu_skip_insn(v);
	return VACT_RESUME;
}

static enum vexit_action inject_gp(struct vcpu *v)
{
	backend->inject_exception(v, X86_GP, true, 0);
	return VACT_RESUME;
}

static void set_edx_eax(struct vcpu *v, uint64_t val)
{
	v->regs.rax = (uint32_t)val;
	v->regs.rdx = val >> 32;
}

/* SDM vol. 3A, 11.4.4 and 11.12.1: base 0xFEE00000, enabled (bit 11),
 * x2APIC mode (bit 10), BSP (bit 8) on vCPU 0. */
static uint64_t apic_base(const struct vcpu *v)
{
	return 0xfee00000ull | (1u << 11) | (1u << 10) | (v->id == 0 ? 1u << 8 : 0);
}

/* An MSR a device registered (the zone's x2APIC and TSC deadline, zones/platform/irq.c). */
static enum vexit_action device_msr(struct vcpu *v, const struct io_range *r, bool write)
{
	uint64_t val = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;
	enum io_result res = io_range_access(r, v, (uint32_t)v->regs.rcx, 8, write, &val);

	if (res == IO_FAULT)
		return inject_gp(v);
	if (res == IO_STOP)
		return VACT_STOP;
	if (!write)
		set_edx_eax(v, val);
	vcpu_skip_insn(v);
	return VACT_RESUME;
}

enum vexit_action exit_msr_read(struct vcpu *v)
{
	const struct msr_policy_entry *e = msr_policy_lookup((uint32_t)v->regs.rcx);
	const struct io_range *dev = devio_msr(v, (uint32_t)v->regs.rcx);
	uint64_t val;

	v->exits[VEXIT_MSR_READ]++;
	if (dev)
		return device_msr(v, dev, false);
	switch (e->rule) {
	case MSR_EFER_RULE: val = backend->get_sreg(v, VSREG_EFER); break;
	case MSR_TSC_RULE: val = rdtsc(); break;
	case MSR_PAT_RULE: val = backend->get_sreg(v, VSREG_PAT); break;
	case MSR_ZERO: val = 0; break;
	case MSR_READ_CONST: val = e->value; break;
	case MSR_APIC_BASE_RULE: val = apic_base(v); break;
	case MSR_TSC_AUX_RULE:
		if (!cpu_has_tsc_aux())
			return inject_gp(v);
		val = rdmsr(MSR_TSC_AUX);
		break;
	default: return inject_gp(v);
	}
	set_edx_eax(v, val);
	vcpu_skip_insn(v);
	return VACT_RESUME;
}

/* AMD APM vol. 2, 3.1.7: EFER bits a guest may set (SCE, LME, LMA, NXE,
 * FFXSR); SVME and everything else are refused with #GP. */
#define EFER_GUEST_BITS (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | EFER_FFXSR)

static int write_efer(struct vcpu *v, uint64_t val)
{
	if (val & ~(uint64_t)EFER_GUEST_BITS)
		return -1;
	backend->set_sreg(v, VSREG_EFER, val);
	return 0;
}

/* PAT entries must be valid memory types (0, 1, 4, 5, 6, 7). */
static int pat_is_valid(uint64_t pat)
{
	for (int i = 0; i < 8; i++) {
		uint8_t t = (pat >> (i * 8)) & 0xff;

		if (t == 2 || t == 3 || t > 7)
			return 0;
	}
	return 1;
}

enum vexit_action exit_msr_write(struct vcpu *v)
{
	const struct msr_policy_entry *e = msr_policy_lookup((uint32_t)v->regs.rcx);
	const struct io_range *dev = devio_msr(v, (uint32_t)v->regs.rcx);
	uint64_t val = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;

	v->exits[VEXIT_MSR_WRITE]++;
	if (dev)
		return device_msr(v, dev, true);
	switch (e->rule) {
	case MSR_APIC_BASE_RULE:
		if (val != apic_base(v)) /* no xAPIC mode, no relocation, no disable */
			return inject_gp(v);
		break;
	case MSR_TSC_AUX_RULE:
		if ((val >> 32) || !cpu_has_tsc_aux()) /* SDM vol. 4: bits 63:32 reserved */
			return inject_gp(v);
		wrmsr(MSR_TSC_AUX, val);
		break;
	case MSR_EFER_RULE:
		if (write_efer(v, val) != 0)
			return inject_gp(v);
		break;
	case MSR_PAT_RULE:
		if (!pat_is_valid(val))
			return inject_gp(v);
		backend->set_sreg(v, VSREG_PAT, val);
		break;
	case MSR_ZERO:
	case MSR_READ_CONST: break; /* accepted and ignored */
	default: return inject_gp(v);
	}
	vcpu_skip_insn(v);
	return VACT_RESUME;
}

/* The host's CPUID leaf, or zeros where the CPU has no such leaf. */
static struct cpuid_result host_leaf(uint32_t leaf)
{
	struct cpuid_regs r = cpuid(0, 0).eax >= leaf ? cpuid(leaf, 0) : (struct cpuid_regs){0};

	return (struct cpuid_result){r.eax, r.ebx, r.ecx, r.edx};
}

uint64_t zone_cr4_allowed(void)
{
	static uint64_t allowed; /* never 0 once computed: PAE is always offered */
	const struct cpuid_view view = {0, 1};

	if (!allowed) {
		struct cpuid_result l1 = host_leaf(1), l7 = host_leaf(7);

		cpuid_policy_apply(1, 0, &l1, &view);
		cpuid_policy_apply(7, 0, &l7, &view);
		allowed = cr4_zone_allowed(&l1, &l7);
	}
	return allowed;
}

enum vexit_action exit_cr4_write(struct vcpu *v, uint64_t val)
{
	uint64_t old = backend->get_sreg(v, VSREG_CR4);
	int long_mode = !!(backend->get_sreg(v, VSREG_EFER) & EFER_LMA);

	if (cr4_write_faults(val, old, zone_cr4_allowed(), long_mode,
			     backend->get_sreg(v, VSREG_CR3)))
		return inject_gp(v);
	backend->set_sreg(v, VSREG_CR4, val);
	vcpu_skip_insn(v);
	return VACT_RESUME;
}

/* An IN's result replaces AL or AX and keeps the rest of RAX; a 32-bit
 * result zero-extends into RAX, as any 32-bit register write does (SDM
 * vol. 1, 3.4.1.1). */
static void merge_in_result(struct vcpu *v, unsigned size, uint32_t value)
{
	uint64_t keep = size == 1 ? ~0xffull : size == 2 ? ~0xffffull : 0;

	v->regs.rax = (v->regs.rax & keep) | (value & ~keep);
}

enum vexit_action exit_io(struct vcpu *v, const struct vexit_io *io)
{
	uint32_t value = (uint32_t)v->regs.rax;
	enum vexit_action act;

	v->exits[VEXIT_IO]++;
	if (io->string)
		return exit_unknown(v, "string port I/O", io->port);
	act = devio_port(v, io->port, io->size, io->in, &value);
	if (act != VACT_RESUME)
		return act;
	if (io->in)
		merge_in_result(v, io->size, value);
	vcpu_skip_insn(v);
	return act;
}

/* Whether something would end a HLT now: a deliverable interrupt (only
 * with RFLAGS.IF set, as on hardware), an NMI, INIT, or the zone stopping. */
static bool hlt_should_end(struct vcpu *v)
{
	if (zone_stop_requested(v->zone) || v->nmi_pending || v->wait_sipi)
		return true;
	if (v->id == 0)
		zone_console_pull(v->zone); /* a key may raise the UART's interrupt */
	return (v->regs.rflags & RFLAGS_IF) && zone_irq_pending(v) >= 0;
}

enum vexit_action exit_hlt(struct vcpu *v)
{
	v->exits[VEXIT_HLT]++;
	vcpu_skip_insn(v);
	/* Sleep on this CPU until the vCPU has something to do; the host
	 * timer is set for the zone's next APIC timer deadline, and other
	 * CPUs kick with VECTOR_WAKEUP.  irq_enable_and_halt() cannot miss a
	 * kick that arrives after the check (sti's shadow covers hlt). */
	while (!hlt_should_end(v)) {
		/* a batch may have raised this vCPU's own device interrupt, which no
		 * kick will announce: check again before sleeping (and serve the rest) */
		if (zone_service_devices(v->zone))
			continue;
		vcpu_arm_host_timer(v);
		irq_enable_and_halt();
	}
	return zone_stop_requested(v->zone) ? VACT_STOP : VACT_RESUME;
}

enum vexit_action exit_hypercall(struct vcpu *v)
{
	/* No hypercalls are offered to zones: report "unknown" in rax. */
	v->exits[VEXIT_HYPERCALL]++;
	v->regs.rax = (uint64_t)-1;
	vcpu_skip_insn(v);
	return VACT_RESUME;
}

enum vexit_action exit_npf(struct vcpu *v, uint64_t gpa, bool write, bool fetch)
{
	const struct io_range *dev = fetch ? NULL : devio_mmio(v, gpa);

	v->exits[VEXIT_NPF]++;
	if (dev) {
		v->exits[VEXIT_MMIO]++;
		return mmio_emulate(v, gpa, dev);
	}
	return zone_fault(v->zone, "nested page fault at GPA 0x%lx (%s)", gpa,
			  fetch	  ? "execute"
			  : write ? "write"
				  : "read");
}

enum vexit_action exit_shutdown(struct vcpu *v)
{
	v->exits[VEXIT_SHUTDOWN]++;
	return zone_fault(v->zone, "triple fault");
}

static enum vexit_action inject_ud(struct vcpu *v, const char *mnemonic)
{
	struct zone *z = v->zone;

	if (zone_count_ud(z) < UD_REPORTS_MAX)
		kprintf("zone %s: #UD injected for %s at rip 0x%lx\n", zone_name(z), mnemonic,
			v->regs.rip);
	backend->inject_exception(v, X86_UD, false, 0);
	return VACT_RESUME;
}

enum vexit_action exit_refused_insn(struct vcpu *v, const char *mnemonic)
{
	v->exits[VEXIT_OTHER]++;
	return inject_ud(v, mnemonic);
}

enum vexit_action exit_virt_insn(struct vcpu *v, const char *mnemonic)
{
	v->exits[VEXIT_VIRT_INSN]++;
	return inject_ud(v, mnemonic);
}

enum vexit_action exit_wbinvd(struct vcpu *v)
{
	v->exits[VEXIT_OTHER]++;
	vcpu_skip_insn(v);
	return VACT_RESUME;
}

enum vexit_action exit_rdpmc(struct vcpu *v)
{
	v->exits[VEXIT_OTHER]++;
	return inject_gp(v);
}

enum vexit_action exit_xsetbv(struct vcpu *v)
{
	return exit_virt_insn(v, "XSETBV (no XSAVE in zones)");
}

enum vexit_action exit_counted(struct vcpu *v, enum vexit why)
{
	v->exits[why]++;
	return VACT_RESUME;
}

enum vexit_action exit_interrupt(struct vcpu *v, enum vexit why)
{
	v->exits[why]++;
	/* Let the pending host interrupt (a wake-up or stop IPI) be taken. */
	__asm__ volatile("sti; nop; cli" ::: "memory");
	return zone_stop_requested(v->zone) ? VACT_STOP : VACT_RESUME;
}

void vcpu_dump(struct vcpu *v)
{
	const struct vcpu_regs *r = &v->regs;

	kprintf("  rip %016lx  rsp %016lx  rflags %016lx\n", r->rip, r->rsp, r->rflags);
	kprintf("  rax %016lx  rbx %016lx  rcx %016lx\n", r->rax, r->rbx, r->rcx);
	kprintf("  rdx %016lx  rsi %016lx  rdi %016lx\n", r->rdx, r->rsi, r->rdi);
	kprintf("  rbp %016lx  r8  %016lx  r9  %016lx\n", r->rbp, r->r8, r->r9);
	kprintf("  r10 %016lx  r11 %016lx  r12 %016lx\n", r->r10, r->r11, r->r12);
	kprintf("  r13 %016lx  r14 %016lx  r15 %016lx\n", r->r13, r->r14, r->r15);
	backend->dump(v);
}

enum vexit_action exit_unknown(struct vcpu *v, const char *what, uint64_t code)
{
	v->exits[VEXIT_OTHER]++;
	kprintf("zone %s: unexpected exit (%s 0x%lx) on vcpu %u\n", zone_name(v->zone), what, code,
		v->id);
	vcpu_dump(v);
	return zone_fault(v->zone, "unexpected exit: %s 0x%lx", what, code);
}
