/* Vendor-neutral exit handlers: what a zone's CPUID, MSR, I/O, HLT and faults mean. */
#include "hv/arch/vcpu.h"
#include "hv/console.h"
#include "hv/cpu.h"
#include "hv/policy.h"
#include "zones/io.h"
#include "zones/zone.h"

#define X86_UD	       6
#define X86_GP	       13
#define UD_REPORTS_MAX 16 /* per zone, so a looping guest cannot flood the console */

enum vexit_action exit_cpuid(struct vcpu *v)
{
	uint32_t leaf = (uint32_t)v->regs.rax, sub = (uint32_t)v->regs.rcx;
	struct cpuid_regs host = cpuid(leaf, sub);
	struct cpuid_result r = {host.eax, host.ebx, host.ecx, host.edx};
	struct cpuid_view view = {v->id, v->zone->vcpu_count};

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

enum vexit_action exit_msr_read(struct vcpu *v)
{
	const struct msr_policy_entry *e = msr_policy_lookup((uint32_t)v->regs.rcx);
	uint64_t val;

	switch (e->rule) {
	case MSR_EFER_RULE: val = backend->get_sreg(v, VSREG_EFER) & ~(uint64_t)EFER_SVME; break;
	case MSR_TSC_RULE: val = rdtsc(); break;
	case MSR_PAT_RULE: val = backend->get_sreg(v, VSREG_PAT); break;
	case MSR_ZERO: val = 0; break;
	case MSR_READ_CONST: val = e->value; break;
	case MSR_APIC_BASE_RULE:
		val = 0xfee00000ull | (1u << 11) | (v->id == 0 ? 1u << 8 : 0);
		break;
	default: return inject_gp(v);
	}
	set_edx_eax(v, val);
	vcpu_skip_insn(v);
	return VACT_RESUME;
}

/* AMD APM vol. 2, 3.1.7: EFER bits a guest may set (SCE, LME, LMA, NXE,
 * FFXSR); SVME and everything else are refused with #GP. */
#define EFER_GUEST_BITS (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | (1u << 14))

static int write_efer(struct vcpu *v, uint64_t val)
{
	if (val & ~(uint64_t)EFER_GUEST_BITS)
		return -1;
	backend->set_sreg(v, VSREG_EFER, val | EFER_SVME);
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
	uint64_t val = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;

	switch (e->rule) {
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

enum vexit_action exit_io(struct vcpu *v, uint16_t port, unsigned size, bool in, uint32_t *value)
{
	enum vexit_action act = in ? zone_io_read(v->zone, port, size, value)
				   : zone_io_write(v->zone, port, size, *value);

	if (act == VACT_RESUME)
		vcpu_skip_insn(v);
	return act;
}

enum vexit_action exit_hlt(struct vcpu *v)
{
	vcpu_skip_insn(v);
	/* Nothing can wake this vCPU yet but a stop request: idle until one. */
	while (!v->zone->stop_requested)
		irq_enable_and_halt();
	return VACT_STOP;
}

enum vexit_action exit_hypercall(struct vcpu *v)
{
	/* No hypercalls are offered to zones: report "unknown" in rax. */
	v->regs.rax = (uint64_t)-1;
	vcpu_skip_insn(v);
	return VACT_RESUME;
}

enum vexit_action exit_npf(struct vcpu *v, uint64_t gpa, bool write, bool fetch)
{
	return zone_stop(v->zone, "nested page fault at GPA 0x%lx (%s)", gpa,
			 fetch	 ? "execute"
			 : write ? "write"
				 : "read");
}

enum vexit_action exit_shutdown(struct vcpu *v)
{
	return zone_stop(v->zone, "triple fault");
}

enum vexit_action exit_virt_insn(struct vcpu *v, const char *mnemonic)
{
	struct zone *z = v->zone;

	v->exits[VEXIT_VIRT_INSN]++;
	if (z->ud_reports++ < UD_REPORTS_MAX)
		kprintf("zone %s: #UD injected for %s at rip 0x%lx\n", z->name, mnemonic,
			v->regs.rip);
	backend->inject_exception(v, X86_UD, false, 0);
	return VACT_RESUME;
}

enum vexit_action exit_interrupt(struct vcpu *v)
{
	/* Let the pending host interrupt (a wake-up or stop IPI) be taken. */
	__asm__ volatile("sti; nop; cli" ::: "memory");
	return v->zone->stop_requested ? VACT_STOP : VACT_RESUME;
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
	kprintf("zone %s: unexpected exit (%s 0x%lx) on vcpu %u\n", v->zone->name, what, code,
		v->id);
	vcpu_dump(v);
	return zone_stop(v->zone, "unexpected exit: %s 0x%lx", what, code);
}
