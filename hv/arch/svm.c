/* AMD SVM backend (AMD APM vol. 2, ch. 15 "Secure Virtual Machine"). */
#include "hv/arch/guest_gprs.h"
#include "hv/arch/svm_vmcb.h"
#include "hv/arch/vcpu.h"
#include "hv/console.h"
#include "hv/cpu.h"
#include "hv/insn.h"
#include "hv/lib/fmt.h"
#include "hv/lib/string.h"
#include "hv/mem.h"
#include "hv/npt.h"
#include "hv/percpu.h"

#define CPUID_EXT_FEATURES 0x80000001
#define CPUID_SVM_FEATURES 0x8000000a
#define CPUID_SVM_NP	   (1u << 0) /* EDX: nested paging */
#define MSR_VM_CR	   0xc0010114
#define VM_CR_R_INIT	   (1u << 1)  /* APM 15.30.1: INIT becomes #SX (hv/trap.c) */
#define VM_CR_SVMDIS	   (1u << 4)  /* APM 15.30.1 */
#define MSR_VM_HSAVE_PA	   0xc0010117 /* APM 15.30.4 */

#define IOPM_PAGES    3 /* APM 15.10.1: 12 KiB, one bit per port */
#define MSRPM_PAGES   2 /* APM 15.11: 8 KiB, two bits per MSR */
#define GUEST_ASID    1 /* TCG honours only TLB_CONTROL=1, so one ASID suffices */
#define TLB_FLUSH_ALL 1
#define X86_DB	      1
#define X86_AC	      17

void svm_enter(struct vcpu_regs *regs, uint64_t vmcb_pa, uint64_t host_area_pa);

/* Shared by every vCPU: every port and every MSR intercepted except the
 * ones the VMCB swaps itself (see msrpm_pass_through). */
static uint64_t iopm_pa, msrpm_pa;

/* Per vCPU: the VMCB page and a host save area for VMSAVE/VMLOAD. */
struct svm_vcpu {
	uint64_t vmcb_pa;
	uint64_t host_area_pa;
};

static bool svm_probe(char *why, size_t len)
{
	if (cpuid(0x80000000, 0).eax < CPUID_SVM_FEATURES ||
	    !(cpuid(CPUID_EXT_FEATURES, 0).ecx & CPUID_80000001_ECX_SVM)) {
		zv_snprintf(why, len, "no SVM (CPUID 8000_0001 ECX.SVM = 0)");
		return false;
	}
	if (!(cpuid(CPUID_SVM_FEATURES, 0).edx & CPUID_SVM_NP)) {
		zv_snprintf(why, len, "SVM without nested paging (CPUID 8000_000A EDX.NP = 0)");
		return false;
	}
	if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
		zv_snprintf(why, len, "SVM disabled by firmware (VM_CR.SVMDIS = 1)");
		return false;
	}
	return true;
}

/* APM 15.11: MSRs 0-1FFF at byte 0, C000_0000-1FFF at 0x800, C001_0000-1FFF
 * at 0x1000; bit 2n intercepts reads, 2n+1 writes. */
static void msrpm_pass_through(uint8_t *pm, uint32_t msr)
{
	uint32_t base = msr >= 0xc0010000 ? 0x1000 : msr >= 0xc0000000 ? 0x800 : 0;
	uint32_t bit = (msr & 0x1fff) * 2;

	pm[base + bit / 8] &= (uint8_t) ~(3u << (bit % 8));
}

/* MSRs whose guest values VMLOAD/VMSAVE and VMRUN keep in the VMCB. */
/* clang-format off */
static const uint32_t pass_through_msrs[] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE,
	0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084, /* STAR LSTAR CSTAR SFMASK */
	0x174, 0x175, 0x176,                             /* SYSENTER_CS/ESP/EIP */
};
/* clang-format on */

static int build_permission_maps(void)
{
	uint64_t io = page_alloc(2), msr = page_alloc(1); /* 16 KiB, 8 KiB */

	if (!io || !msr)
		return -1;
	zv_memset(phys_to_virt(io), 0xff, IOPM_PAGES * 4096);
	zv_memset(phys_to_virt(msr), 0xff, MSRPM_PAGES * 4096);
	for (size_t i = 0; i < sizeof(pass_through_msrs) / sizeof(pass_through_msrs[0]); i++)
		msrpm_pass_through(phys_to_virt(msr), pass_through_msrs[i]);
	iopm_pa = io;
	msrpm_pa = msr;
	return 0;
}

static int svm_cpu_enable(struct percpu *cpu, char *why, size_t len)
{
	static uint32_t maps_built; /* first CPU builds them; APs start one at a time */
	uint64_t hsave = page_alloc(0);

	if (!maps_built && build_permission_maps() == 0)
		maps_built = 1;
	if (!hsave || !maps_built) {
		zv_snprintf(why, len, "no memory for the SVM host save area");
		return -1;
	}
	/* An INIT (from a passed device or a confused CPU) must not reset a CPU
	 * that runs zones: with R_INIT it arrives as #SX, which hv/trap.c drops. */
	wrmsr(MSR_VM_CR, rdmsr(MSR_VM_CR) | VM_CR_R_INIT);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	wrmsr(MSR_VM_HSAVE_PA, hsave);
	cpu->virt_area = hsave;
	return 0;
}

static void *vmcb_of(struct vcpu *v)
{
	return v->arch;
}

static void set_seg(void *vmcb, unsigned off, uint16_t sel, uint16_t attrib, uint32_t limit,
		    uint64_t base)
{
	struct vmcb_seg *s = (struct vmcb_seg *)((uint8_t *)vmcb + off);

	*s = (struct vmcb_seg){sel, attrib, limit, base};
}

/* APM 15.5.1 packed attributes. */
#define ATTR_CODE32 0xc9b /* G, D, P, S, type 0xb */
#define ATTR_DATA32 0xc93
#define ATTR_CODE64 0x29b /* L, P, S, type 0xb */
#define ATTR_DATA64 0x093
#define ATTR_TSS    0x08b /* P, busy 32/64-bit TSS */
#define ATTR_LDT    0x082

/* APM 14.1.3 / SDM vol. 3A 9.1.4: an AP after STARTUP, in real mode at
 * selector:0 with 64 KiB segments. */
#define ATTR_CODE16 0x09b /* P, S, code, readable, accessed */
#define ATTR_DATA16 0x093

static void set_real_mode_state(void *vmcb, const struct vcpu_entry *e)
{
	for (unsigned off = VMCB_ES; off <= VMCB_GS; off += 0x10)
		set_seg(vmcb, off, 0, ATTR_DATA16, 0xffff, 0);
	set_seg(vmcb, VMCB_CS, e->cs_selector, ATTR_CODE16, 0xffff, (uint64_t)e->cs_selector << 4);
	set_seg(vmcb, VMCB_GDTR, 0, 0, 0xffff, 0);
	set_seg(vmcb, VMCB_IDTR, 0, 0, 0xffff, 0);
	set_seg(vmcb, VMCB_TR, 0, ATTR_TSS, 0xffff, 0);
	set_seg(vmcb, VMCB_LDTR, 0, ATTR_LDT, 0xffff, 0);
	VMCB64(vmcb, VMCB_CR0) = CR0_ET;
	VMCB64(vmcb, VMCB_CR4) = 0;
	VMCB64(vmcb, VMCB_CR3) = 0;
	VMCB64(vmcb, VMCB_EFER) = EFER_SVME;
	VMCB64(vmcb, VMCB_RFLAGS) = 2;
	VMCB64(vmcb, VMCB_DR6) = 0xffff0ff0;
	VMCB64(vmcb, VMCB_DR7) = 0x400;
	VMCB64(vmcb, VMCB_GPAT) = 0x0007040600070406ull;
	VMCB64(vmcb, VMCB_CR2) = 0;
	VMCB8(vmcb, VMCB_CPL) = 0;
}

static void set_entry_state(void *vmcb, const struct vcpu_entry *e)
{
	bool lm = e->mode == VCPU_ENTRY_LONG64;

	if (e->mode == VCPU_ENTRY_REAL16) {
		set_real_mode_state(vmcb, e);
		return;
	}
	uint16_t code = lm ? ATTR_CODE64 : ATTR_CODE32, data = lm ? ATTR_DATA64 : ATTR_DATA32;

	set_seg(vmcb, VMCB_CS, lm ? 0x10 : 0x08, code, 0xffffffff, 0);
	for (unsigned off = VMCB_ES; off <= VMCB_GS; off += 0x10)
		if (off != VMCB_CS)
			set_seg(vmcb, off, 0x18, data, 0xffffffff, 0);
	set_seg(vmcb, VMCB_GDTR, 0, 0, (uint32_t)e->gdt_limit, e->gdt_base);
	set_seg(vmcb, VMCB_IDTR, 0, 0, 0, 0);
	set_seg(vmcb, VMCB_TR, 0, ATTR_TSS, 0xffff, 0);
	set_seg(vmcb, VMCB_LDTR, 0, ATTR_LDT, 0xffff, 0);
	VMCB64(vmcb, VMCB_CR0) = CR0_PE | CR0_ET | (lm ? CR0_PG : 0);
	VMCB64(vmcb, VMCB_CR4) = lm ? CR4_PAE : 0;
	VMCB64(vmcb, VMCB_CR3) = lm ? e->cr3 : 0;
	/* APM 15.5.1: guest EFER.SVME must be set for VMRUN; svm_get_sreg hides it. */
	VMCB64(vmcb, VMCB_EFER) = EFER_SVME | (lm ? EFER_LME | EFER_LMA : 0);
	VMCB64(vmcb, VMCB_RFLAGS) = 2;
	VMCB64(vmcb, VMCB_DR6) = 0xffff0ff0;
	VMCB64(vmcb, VMCB_DR7) = 0x400;
	VMCB64(vmcb, VMCB_GPAT) = 0x0007040600070406ull; /* power-on PAT */
}

static void set_controls(void *vmcb, uint64_t npt_root)
{
	/* CR4 writes: no CR4 guest/host mask on AMD, so every write is checked
	 * against the features the zone is offered (exit_cr4_write). */
	VMCB32(vmcb, VMCB_INTERCEPT_CR) = INTERCEPT_CR4_WRITE;
	VMCB32(vmcb, VMCB_INTERCEPT_EXC) = REFLECTED_EXCEPTIONS;
	VMCB32(vmcb, VMCB_INTERCEPT_MISC1) = INTERCEPT_INTR | INTERCEPT_NMI | INTERCEPT_SMI |
					     INTERCEPT_INIT | INTERCEPT_RDPMC | INTERCEPT_CPUID |
					     INTERCEPT_INVD | INTERCEPT_HLT | INTERCEPT_INVLPGA |
					     INTERCEPT_IOIO | INTERCEPT_MSR | INTERCEPT_SHUTDOWN;
	VMCB32(vmcb, VMCB_INTERCEPT_MISC2) = INTERCEPT_VMRUN | INTERCEPT_VMMCALL |
					     INTERCEPT_VMLOAD | INTERCEPT_VMSAVE | INTERCEPT_STGI |
					     INTERCEPT_CLGI | INTERCEPT_SKINIT | INTERCEPT_WBINVD |
					     INTERCEPT_MONITOR | INTERCEPT_MWAIT | INTERCEPT_XSETBV;
	VMCB64(vmcb, VMCB_IOPM_BASE) = iopm_pa;
	VMCB64(vmcb, VMCB_MSRPM_BASE) = msrpm_pa;
	VMCB32(vmcb, VMCB_ASID) = GUEST_ASID;
	VMCB64(vmcb, VMCB_VINTR) = VINTR_MASKING; /* host owns IF; the guest's is virtual */
	VMCB64(vmcb, VMCB_NP_ENABLE) = 1;
	VMCB64(vmcb, VMCB_NCR3) = npt_root;
}

static int svm_vcpu_init(struct vcpu *v, const struct vcpu_entry *e, uint64_t npt_root)
{
	uint64_t vmcb = page_alloc(0), host = page_alloc(0);

	if (!vmcb || !host) {
		page_free_if(vmcb, 0);
		page_free_if(host, 0);
		return -1;
	}
	v->arch = phys_to_virt(vmcb);
	v->arch_pa = vmcb;
	v->arch_aux_pa = host;
	v->arch_pages = 2;
	set_controls(v->arch, npt_root);
	set_entry_state(v->arch, e);
	vcpu_regs_from_entry(v, e);
	return 0;
}

/* INIT then STARTUP (zones/platform/irq.c): a fresh entry state, no pending event. */
static void svm_vcpu_reset(struct vcpu *v, const struct vcpu_entry *e)
{
	void *vmcb = vmcb_of(v);

	set_entry_state(vmcb, e);
	vcpu_regs_from_entry(v, e);
	VMCB64(vmcb, VMCB_EVENTINJ) = 0;
	VMCB64(vmcb, VMCB_INT_SHADOW) = 0;
	VMCB64(vmcb, VMCB_VINTR) = VINTR_MASKING;
}

static void svm_vcpu_free(struct vcpu *v)
{
	/* The VMCB holds guest registers: no secret may survive in the pool. */
	zv_memset(phys_to_virt(v->arch_pa), 0, 4096);
	zv_memset(phys_to_virt(v->arch_aux_pa), 0, 4096);
	page_free_if(v->arch_pa, 0);
	page_free_if(v->arch_aux_pa, 0);
	v->arch = NULL;
	v->arch_pa = v->arch_aux_pa = v->arch_pages = 0;
}

static void regs_to_vmcb(struct vcpu *v)
{
	void *vmcb = vmcb_of(v);

	VMCB64(vmcb, VMCB_RAX) = v->regs.rax;
	VMCB64(vmcb, VMCB_RSP) = v->regs.rsp;
	VMCB64(vmcb, VMCB_RIP) = v->regs.rip;
	VMCB64(vmcb, VMCB_RFLAGS) = v->regs.rflags;
}

static void regs_from_vmcb(struct vcpu *v)
{
	void *vmcb = vmcb_of(v);

	v->regs.rax = VMCB64(vmcb, VMCB_RAX);
	v->regs.rsp = VMCB64(vmcb, VMCB_RSP);
	v->regs.rip = VMCB64(vmcb, VMCB_RIP);
	v->regs.rflags = VMCB64(vmcb, VMCB_RFLAGS);
}

static void svm_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
	uint64_t ev = vector | EVENTINJ_TYPE_EXCEPTION | EVENTINJ_VALID;

	if (has_error)
		ev |= EVENTINJ_ERROR_VALID | ((uint64_t)error << 32);
	VMCB64(vmcb_of(v), VMCB_EVENTINJ) = ev;
}

static bool svm_event_queued(struct vcpu *v)
{
	return VMCB64(vmcb_of(v), VMCB_EVENTINJ) & EVENTINJ_VALID;
}

/* With V_INTR_MASKING the VMCB's RFLAGS.IF is the guest's own (APM 15.21.1). */
static bool svm_interruptible(struct vcpu *v)
{
	void *vmcb = vmcb_of(v);

	return (v->regs.rflags & RFLAGS_IF) && !(VMCB64(vmcb, VMCB_INT_SHADOW) & INT_SHADOW_ACTIVE);
}

static void svm_inject_interrupt(struct vcpu *v, uint8_t vector)
{
	VMCB64(vmcb_of(v), VMCB_EVENTINJ) = vector | EVENTINJ_TYPE_INTR | EVENTINJ_VALID;
}

static void svm_inject_nmi(struct vcpu *v)
{
	VMCB64(vmcb_of(v), VMCB_EVENTINJ) = 2 | EVENTINJ_TYPE_NMI | EVENTINJ_VALID;
}

/* APM 15.21.4: a virtual interrupt request (V_IRQ, ignoring V_TPR) that is
 * intercepted the moment the guest could take it: the VINTR exit. */
static void svm_request_irq_window(struct vcpu *v, bool on)
{
	void *vmcb = vmcb_of(v);
	uint64_t vintr = VMCB64(vmcb, VMCB_VINTR) &
			 ~(VINTR_V_IRQ | VINTR_V_IGN_TPR | (0xfull << VINTR_PRIO_SHIFT));

	if (on) {
		vintr |= VINTR_V_IRQ | VINTR_V_IGN_TPR | (0xfull << VINTR_PRIO_SHIFT);
		VMCB32(vmcb, VMCB_INTERCEPT_MISC1) |= INTERCEPT_VINTR;
	} else {
		VMCB32(vmcb, VMCB_INTERCEPT_MISC1) &= ~INTERCEPT_VINTR;
	}
	VMCB64(vmcb, VMCB_VINTR) = vintr;
}

/* APM 15.7.2: an event whose delivery the exit interrupted is in
 * EXITINTINFO and must be injected again, or the guest loses it. */
static void requeue_interrupted_event(void *vmcb)
{
	uint64_t info = VMCB64(vmcb, VMCB_EXITINTINFO);

	VMCB64(vmcb, VMCB_EVENTINJ) = (info & EVENTINJ_VALID) ? info : 0;
}

static enum vexit_action handle_ioio(struct vcpu *v, void *vmcb)
{
	uint32_t info = (uint32_t)VMCB64(vmcb, VMCB_EXITINFO1);
	unsigned size = (info >> IOIO_SIZE_SHIFT) & 7; /* 1, 2 or 4 as bit flags */
	struct vexit_io io = {
		.port = (uint16_t)(info >> 16),
		.size = size == 4   ? 4
			: size == 2 ? 2
				    : 1,
		.in = info & IOIO_IN,
		.string = info & IOIO_STRING,
	};

	/* APM 15.10.2: EXITINFO2 holds the RIP of the next instruction. */
	v->insn_len = (uint32_t)(VMCB64(vmcb, VMCB_EXITINFO2) - v->regs.rip);
	return exit_io(v, &io);
}

/* No decode assists (docs/testing.md): the source register comes from the
 * instruction itself.  One that cannot be read back as a MOV to CR4 (another
 * vCPU rewrote it, or its page went away) stops the zone. */
static enum vexit_action handle_cr4_write(struct vcpu *v)
{
	uint64_t val;

	exit_counted(v, VEXIT_OTHER);
	if (vcpu_decode_mov_to_cr4(v, &val) != 0)
		return exit_unknown(v, "MOV to CR4 not decodable at rip", v->regs.rip);
	return exit_cr4_write(v, val);
}

/* APM 15.12: an intercepted exception is not delivered; give it back with
 * its error code (EXITINFO1), unless an event whose delivery it interrupted
 * was requeued: that one goes first and the exception recurs. */
static enum vexit_action reflect_exception(struct vcpu *v, void *vmcb, uint8_t vector)
{
	exit_counted(v, VEXIT_EXCEPTION);
	if (!svm_event_queued(v))
		svm_inject_exception(v, vector, vector == X86_AC,
				     (uint32_t)VMCB64(vmcb, VMCB_EXITINFO1));
	return VACT_RESUME;
}

static enum vexit_action handle_npf(struct vcpu *v, void *vmcb)
{
	uint64_t err = VMCB64(vmcb, VMCB_EXITINFO1);

	return exit_npf(v, VMCB64(vmcb, VMCB_EXITINFO2), err & NPF_WRITE, err & NPF_FETCH);
}

/* docs/testing.md: TCG offers no next-RIP save, so the exiting instruction is
 * fetched through the guest's page tables and measured (prefixes count);
 * the plain encoding's length (CPUID 0F A2, RDMSR 0F 32, WRMSR 0F 30, HLT
 * F4, VMMCALL 0F 01 D9, INVD 0F 08) is the fallback. */
static void measure(struct vcpu *v, enum x86_op op, uint32_t plain_len)
{
	vcpu_measure_insn(v, op, plain_len);
}

static enum vexit_action dispatch(struct vcpu *v, void *vmcb, uint32_t code)
{
	switch (code) {
	case SVM_EXIT_CPUID: measure(v, X86_OP_CPUID, 2); return exit_cpuid(v);
	case SVM_EXIT_MSR:
		measure(v, VMCB64(vmcb, VMCB_EXITINFO1) ? X86_OP_WRMSR : X86_OP_RDMSR, 2);
		return VMCB64(vmcb, VMCB_EXITINFO1) ? exit_msr_write(v) : exit_msr_read(v);
	case SVM_EXIT_IOIO: return handle_ioio(v, vmcb);
	case SVM_EXIT_HLT: measure(v, X86_OP_HLT, 1); return exit_hlt(v);
	case SVM_EXIT_VMMCALL: measure(v, X86_OP_VMMCALL, 3); return exit_hypercall(v);
	case SVM_EXIT_NPF: return handle_npf(v, vmcb);
	case SVM_EXIT_SHUTDOWN: return exit_shutdown(v);
	case SVM_EXIT_INTR: return exit_interrupt(v, VEXIT_INTR);
	case SVM_EXIT_VINTR: return exit_counted(v, VEXIT_IRQ_WINDOW);
	case SVM_EXIT_NMI: return exit_interrupt(v, VEXIT_NMI);
	case SVM_EXIT_SMI: return exit_counted(v, VEXIT_OTHER);
	case SVM_EXIT_INIT: return exit_interrupt(v, VEXIT_INIT);
	case SVM_EXIT_VMRUN: return exit_virt_insn(v, "VMRUN");
	case SVM_EXIT_VMLOAD: return exit_virt_insn(v, "VMLOAD");
	case SVM_EXIT_VMSAVE: return exit_virt_insn(v, "VMSAVE");
	case SVM_EXIT_STGI: return exit_virt_insn(v, "STGI");
	case SVM_EXIT_CLGI: return exit_virt_insn(v, "CLGI");
	case SVM_EXIT_SKINIT: return exit_virt_insn(v, "SKINIT");
	case SVM_EXIT_INVLPGA: return exit_virt_insn(v, "INVLPGA");
	case SVM_EXIT_INVD: measure(v, X86_OP_INVD, 2); return exit_wbinvd(v);
	case SVM_EXIT_XSETBV: return exit_xsetbv(v);
	case SVM_EXIT_CR4_WRITE: return handle_cr4_write(v);
	case SVM_EXIT_EXCP_BASE + X86_DB: return reflect_exception(v, vmcb, X86_DB);
	case SVM_EXIT_EXCP_BASE + X86_AC: return reflect_exception(v, vmcb, X86_AC);
	case SVM_EXIT_WBINVD: measure(v, X86_OP_WBINVD, 2); return exit_wbinvd(v);
	case SVM_EXIT_RDPMC: return exit_rdpmc(v);
	case SVM_EXIT_MONITOR: return exit_refused_insn(v, "MONITOR");
	case SVM_EXIT_MWAIT: return exit_refused_insn(v, "MWAIT");
	case SVM_EXIT_INVALID: return exit_unknown(v, "VMRUN failed: invalid guest state", code);
	default: return exit_unknown(v, "exit code", code);
	}
}

extern const char svm_after_vmrun[]; /* svm_entry.S */

/*
 * docs/testing.md ("A TCG fault"): under heavy exit load QEMU's TCG has been
 * seen to go on, after a #VMEXIT, fetching the host's first instruction in
 * guest mode with nested paging on; the fault that follows is a second
 * #VMEXIT that saves the host's state (RIP just after our VMRUN, the
 * hypervisor's CR3) over the zone's.  The zone's RIP, RSP, RAX and control
 * registers are gone then, and entering it again would run hypervisor code
 * inside it: stop it and say exactly that.
 */
static bool host_state_as_guest(void *vmcb)
{
	return VMCB64(vmcb, VMCB_RIP) == (uint64_t)svm_after_vmrun &&
	       VMCB64(vmcb, VMCB_CR3) == read_cr3();
}

static enum vexit_action stop_lost_state(struct vcpu *v, uint32_t code, uint32_t prev_exit,
					 bool before_entry)
{
	if (before_entry) /* checked clean at the exit: something wrote the VMCB since */
		kprintf("svm: vcpu %u: its VMCB holds the host's state before VMRUN (last exit "
			"0x%x)\n",
			v->id, code);
	else
		kprintf("svm: vcpu %u: the #VMEXIT after exit 0x%x saved the host's state as "
			"the guest's; the guest's registers are lost\n",
			v->id, prev_exit);
	return exit_unknown(v, "#VMEXIT with the host's state, code", code);
}

static void svm_vcpu_run(struct vcpu *v)
{
	void *vmcb = vmcb_of(v);
	enum vexit_action act;
	uint32_t code = 0, prev;
	uint64_t rip;

	do {
		if (vcpu_before_entry(v) == VACT_STOP)
			return;
		regs_to_vmcb(v);
		if (host_state_as_guest(vmcb))
			return (void)stop_lost_state(v, code, code, true);
		VMCB32(vmcb, VMCB_TLB_CONTROL) = TLB_FLUSH_ALL;
		svm_enter(&v->regs, v->arch_pa, v->arch_aux_pa);
		regs_from_vmcb(v);
		prev = code;
		/* docs/testing.md: compare the exit code on its low 32 bits. */
		code = (uint32_t)VMCB64(vmcb, VMCB_EXITCODE);
		if (host_state_as_guest(vmcb))
			return (void)stop_lost_state(v, code, prev, false);
		requeue_interrupted_event(vmcb);
		rip = v->regs.rip;
		act = dispatch(v, vmcb, code);
		/* A skipped instruction ends any STI / MOV SS shadow (HLT after STI). */
		if (v->regs.rip != rip)
			VMCB64(vmcb, VMCB_INT_SHADOW) = 0;
	} while (act == VACT_RESUME);
}

static const uint32_t sreg_offsets[VSREG_COUNT] = {
	[VSREG_CR0] = VMCB_CR0, [VSREG_CR2] = VMCB_CR2,	  [VSREG_CR3] = VMCB_CR3,
	[VSREG_CR4] = VMCB_CR4, [VSREG_EFER] = VMCB_EFER, [VSREG_PAT] = VMCB_GPAT,
};

/* APM 15.5.1: VMRUN needs the guest's EFER.SVME set, so it always is in
 * the VMCB; the zone neither sees it nor can clear it. */
static uint64_t svm_get_sreg(struct vcpu *v, enum vcpu_sreg r)
{
	if (r == VSREG_CS_BASE)
		return VMCB64(vmcb_of(v), VMCB_CS + 8);
	if (r == VSREG_EFER)
		return VMCB64(vmcb_of(v), VMCB_EFER) & ~(uint64_t)EFER_SVME;
	return VMCB64(vmcb_of(v), sreg_offsets[r]);
}

static void svm_set_sreg(struct vcpu *v, enum vcpu_sreg r, uint64_t val)
{
	if (r == VSREG_CS_BASE)
		return; /* read only */
	VMCB64(vmcb_of(v), sreg_offsets[r]) = r == VSREG_EFER ? val | EFER_SVME : val;
}

/* APM 15.5.1 packed attributes: bit 9 = L, bit 10 = D/B. */
static int svm_cpu_mode(struct vcpu *v)
{
	void *vmcb = vmcb_of(v);
	const struct vmcb_seg *cs = (const void *)((uint8_t *)vmcb + VMCB_CS);

	if (!(VMCB64(vmcb, VMCB_CR0) & CR0_PE))
		return X86_MODE_16;
	if ((VMCB64(vmcb, VMCB_EFER) & EFER_LMA) && (cs->attrib & (1u << 9)))
		return X86_MODE_64;
	return (cs->attrib & (1u << 10)) ? X86_MODE_32 : X86_MODE_16;
}

static void svm_dump(struct vcpu *v)
{
	void *vmcb = vmcb_of(v);
	const struct vmcb_seg *cs = (const void *)((uint8_t *)vmcb + VMCB_CS);

	kprintf("  cs %04x attr %03x base %016lx  efer %016lx\n", cs->selector, cs->attrib,
		cs->base, VMCB64(vmcb, VMCB_EFER));
	kprintf("  cr0 %016lx  cr3 %016lx  cr4 %016lx\n", VMCB64(vmcb, VMCB_CR0),
		VMCB64(vmcb, VMCB_CR3), VMCB64(vmcb, VMCB_CR4));
	kprintf("  svm exitcode %lx exitinfo1 %lx exitinfo2 %lx exitintinfo %lx\n",
		VMCB64(vmcb, VMCB_EXITCODE), VMCB64(vmcb, VMCB_EXITINFO1),
		VMCB64(vmcb, VMCB_EXITINFO2), VMCB64(vmcb, VMCB_EXITINTINFO));
}

const struct vcpu_backend svm_backend = {
	.name = "svm",
	.npt_format = &npt_format_amd,
	.probe = svm_probe,
	.cpu_enable = svm_cpu_enable,
	.vcpu_init = svm_vcpu_init,
	.vcpu_free = svm_vcpu_free,
	.vcpu_run = svm_vcpu_run,
	.get_sreg = svm_get_sreg,
	.cpu_mode = svm_cpu_mode,
	.set_sreg = svm_set_sreg,
	.inject_exception = svm_inject_exception,
	.vcpu_reset = svm_vcpu_reset,
	.event_queued = svm_event_queued,
	.interruptible = svm_interruptible,
	.inject_interrupt = svm_inject_interrupt,
	.inject_nmi = svm_inject_nmi,
	.request_irq_window = svm_request_irq_window,
	.dump = svm_dump,
};
