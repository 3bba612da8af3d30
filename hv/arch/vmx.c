/* Intel VT-x backend (Intel SDM vol. 3C, ch. 24-31, section numbers of the 2023 edition). */
#include "hv/arch/guest_gprs.h"
#include "hv/arch/vcpu.h"
#include "hv/arch/vmx_defs.h"
#include "hv/console.h"
#include "hv/cpu.h"
#include "hv/insn.h"
#include "hv/lib/fmt.h"
#include "hv/lib/string.h"
#include "hv/mem.h"
#include "hv/npt.h"
#include "hv/percpu.h"
#include "hv/x86_decode.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define X86_DB	     1
#define X86_GP	     13
#define GUEST_VPID   1 /* one tag for every zone: INVEPT runs at each first launch */

int vmx_enter(struct vcpu_regs *regs, uint64_t launched, uint64_t *cr2);
extern char vmx_exit[];

/* What every CPU uses, derived once from the capability MSRs (the first CPU
 * to enable VMX computes it; APs start one at a time). */
static struct vmx_config {
	uint32_t revision;
	uint32_t pin, proc, proc2, exit, entry;
	bool pat;	    /* load/save IA32_PAT controls available */
	bool invept_single; /* single-context INVEPT supported */
	uint64_t cr0_mask;  /* guest CR0 bits VMX forces to 1, hidden by the shadow */
	uint64_t cr4_fixed; /* guest CR4 bits VMX forces to 1 (VMXE), hidden by the shadow */
	uint64_t cr4_mask;  /* host-owned: cr4_fixed and every bit the zone may not set */
	uint64_t io_bitmaps_pa, msr_bitmap_pa;
} cfg;

/* Per vCPU (v->arch): the entry state is applied on the zone's CPU at the
 * first vcpu_run, because a VMCS can only be written where it is current. */
struct vmx_vcpu {
	struct vcpu_entry entry;
	uint64_t eptp;
	uint64_t cr2;	    /* guest CR2: no VMCS field holds it (SDM 25.4.1) */
	uint64_t cr8;	    /* guest TPR as MOV to/from CR8 sees it (those exit) */
	uint64_t pat;	    /* guest PAT when the CPU lacks the PAT controls */
	uint32_t loaded_on; /* 1 + index of the CPU where the VMCS is current */
	uint32_t launched;  /* VMRESUME, not VMLAUNCH, from now on */
};

static struct vmx_vcpu *vx_of(struct vcpu *v)
{
	return v->arch;
}

/* ---- VMX instructions (SDM vol. 3C, 31.2: CF or ZF set = VMfail) ---- */

static int vmxon(uint64_t pa)
{
	uint8_t fail;

	__asm__ volatile("vmxon %1; setna %0" : "=q"(fail) : "m"(pa) : "cc", "memory");
	return fail ? -1 : 0;
}

static int vmclear(uint64_t pa)
{
	uint8_t fail;

	__asm__ volatile("vmclear %1; setna %0" : "=q"(fail) : "m"(pa) : "cc", "memory");
	return fail ? -1 : 0;
}

static int vmptrld(uint64_t pa)
{
	uint8_t fail;

	__asm__ volatile("vmptrld %1; setna %0" : "=q"(fail) : "m"(pa) : "cc", "memory");
	return fail ? -1 : 0;
}

/* Reads a field of the current VMCS; 0 if the read fails. */
static uint64_t vmread(uint64_t field)
{
	uint64_t val = 0;

	__asm__ volatile("vmread %1, %0" : "+r"(val) : "r"(field) : "cc");
	return val;
}

/* Writes a field of the current VMCS; a failure is reported (the entry
 * checks then say what is wrong). */
static void vmwrite(uint64_t field, uint64_t val)
{
	uint8_t fail;

	__asm__ volatile("vmwrite %2, %1; setna %0" : "=q"(fail) : "r"(field), "rm"(val) : "cc");
	if (fail)
		kprintf("vmx: VMWRITE of field 0x%lx failed (VM-instruction error %lu)\n", field,
			vmread(VMCS_VM_INSN_ERROR));
}

static void invept(uint64_t type, uint64_t eptp)
{
	struct {
		uint64_t eptp, reserved;
	} desc = {eptp, 0};

	__asm__ volatile("invept %0, %1" ::"m"(desc), "r"(type) : "cc", "memory");
}

/* Drops the cached translations of this EPT on this CPU (SDM 29.4.3.4). */
static void flush_ept(struct vmx_vcpu *vx)
{
	if (cfg.invept_single)
		invept(INVEPT_SINGLE_CONTEXT, vx->eptp);
	else
		invept(INVEPT_ALL_CONTEXT, 0);
}

/* ---- probe and enable ---- */

/* SDM 24.7: VMXON needs IA32_FEATURE_CONTROL locked with VMXON-outside-SMX
 * set; firmware that left it unlocked lets us set and lock it. */
static bool feature_control_allows_vmxon(void)
{
	uint64_t fc = rdmsr(MSR_FEATURE_CONTROL);

	if (!(fc & FEATURE_CONTROL_LOCK)) {
		fc |= FEATURE_CONTROL_VMXON | FEATURE_CONTROL_LOCK;
		wrmsr(MSR_FEATURE_CONTROL, fc);
	}
	return fc & FEATURE_CONTROL_VMXON;
}

/* Zones need EPT and unrestricted guest (flat 32-bit entry without paging). */
static bool secondary_controls_ok(char *why, size_t len)
{
	uint32_t allowed = 0;

	bool ept, unrestricted;

	if ((rdmsr(MSR_VMX_PROCBASED_CTLS) >> 32) & PROC_SECONDARY)
		allowed = (uint32_t)(rdmsr(MSR_VMX_PROCBASED_CTLS2) >> 32);
	ept = allowed & PROC2_EPT;
	unrestricted = allowed & PROC2_UNRESTRICTED;
	if (ept && unrestricted)
		return true;
	zv_snprintf(why, len, "VMX without %s%s%s (IA32_VMX_PROCBASED_CTLS2)", ept ? "" : "EPT",
		    ept || unrestricted ? "" : " and ", unrestricted ? "" : "unrestricted guest");
	return false;
}

/* SDM A.10: the EPT pointer we build needs 4-level walks and WB tables. */
static bool ept_caps_ok(char *why, size_t len)
{
	uint64_t cap = rdmsr(MSR_VMX_EPT_VPID_CAP);
	uint64_t need = EPT_CAP_WALK_4 | EPT_CAP_WB | EPT_CAP_INVEPT;

	if ((cap & need) == need && (cap & (EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL)))
		return true;
	zv_snprintf(why, len,
		    "EPT without 4-level walks, WB or INVEPT (IA32_VMX_EPT_VPID_CAP 0x%lx)", cap);
	return false;
}

static bool vmx_probe(char *why, size_t len)
{
	if (!(cpuid(1, 0).ecx & CPUID_1_ECX_VMX)) {
		zv_snprintf(why, len, "no VMX (CPUID.1:ECX.VMX = 0)");
		return false;
	}
	if (!feature_control_allows_vmxon()) {
		zv_snprintf(why, len, "VMX disabled by firmware (IA32_FEATURE_CONTROL locked)");
		return false;
	}
	return secondary_controls_ok(why, len) && ept_caps_ok(why, len);
}

/* SDM A.3-A.5: bits clear in the low half (allowed-0) must be 1, bits clear
 * in the high half (allowed-1) must be 0.  Returns the required bits the CPU
 * does not allow (0 on success); optional bits are dropped when refused. */
static uint32_t adjust_controls(uint32_t msr, uint32_t required, uint32_t optional, uint32_t *out)
{
	uint64_t caps = rdmsr(msr);
	uint32_t allowed1 = (uint32_t)(caps >> 32);

	*out = ((required | optional) | (uint32_t)caps) & allowed1;
	return required & ~allowed1;
}

/* SDM A.1: with IA32_VMX_BASIC bit 55 the TRUE_* MSRs say which default-1
 * controls may be cleared (CR3 exiting, for example). */
static uint32_t ctl_msr(uint32_t plain, uint32_t true_msr)
{
	return (rdmsr(MSR_VMX_BASIC) >> VMX_BASIC_TRUE_CTLS_BIT) & 1 ? true_msr : plain;
}

static int controls_fail(char *why, size_t len, const char *what, uint32_t missing)
{
	zv_snprintf(why, len, "VMX %s controls lack required bits 0x%x", what, missing);
	return -1;
}

static int adjust_exec_controls(char *why, size_t len)
{
	uint32_t missing;

	missing = adjust_controls(ctl_msr(MSR_VMX_PINBASED_CTLS, MSR_VMX_TRUE_PINBASED_CTLS),
				  PIN_EXTERNAL_INT_EXITING | PIN_NMI_EXITING, 0, &cfg.pin);
	if (missing)
		return controls_fail(why, len, "pin-based", missing);
	/* CR8 exits keep the guest off the real TPR (no TPR shadow here). */
	missing = adjust_controls(ctl_msr(MSR_VMX_PROCBASED_CTLS, MSR_VMX_TRUE_PROCBASED_CTLS),
				  PROC_HLT_EXITING | PROC_USE_IO_BITMAPS | PROC_USE_MSR_BITMAPS |
					  PROC_SECONDARY | PROC_CR8_LOAD_EXITING |
					  PROC_CR8_STORE_EXITING | PROC_MWAIT_EXITING |
					  PROC_RDPMC_EXITING | PROC_MONITOR_EXITING,
				  0, &cfg.proc);
	if (missing)
		return controls_fail(why, len, "processor-based", missing);
	/* RDTSCP, INVPCID and XSAVES raise #UD in a guest unless enabled here.
	 * WBINVD exits so that no zone flushes every cache of the machine. */
	missing = adjust_controls(
		MSR_VMX_PROCBASED_CTLS2, PROC2_EPT | PROC2_UNRESTRICTED | PROC2_WBINVD,
		PROC2_VPID | PROC2_RDTSCP | PROC2_INVPCID | PROC2_XSAVES, &cfg.proc2);
	return missing ? controls_fail(why, len, "secondary", missing) : 0;
}

/* No "acknowledge interrupt on exit": the interrupt stays pending in the
 * local APIC and the host takes it when exit_interrupt enables interrupts. */
static int adjust_exit_entry_controls(char *why, size_t len)
{
	uint32_t missing;

	missing =
		adjust_controls(ctl_msr(MSR_VMX_EXIT_CTLS, MSR_VMX_TRUE_EXIT_CTLS),
				EXIT_HOST_64BIT | EXIT_SAVE_EFER | EXIT_LOAD_EFER | EXIT_SAVE_DEBUG,
				EXIT_SAVE_PAT | EXIT_LOAD_PAT, &cfg.exit);
	if (missing)
		return controls_fail(why, len, "VM-exit", missing);
	missing = adjust_controls(ctl_msr(MSR_VMX_ENTRY_CTLS, MSR_VMX_TRUE_ENTRY_CTLS),
				  ENTRY_LOAD_EFER | ENTRY_LOAD_DEBUG, ENTRY_LOAD_PAT, &cfg.entry);
	if (missing)
		return controls_fail(why, len, "VM-entry", missing);
	cfg.entry &= ~ENTRY_IA32E_GUEST; /* set per vCPU from its entry mode */
	cfg.pat = (cfg.exit & EXIT_LOAD_PAT) && (cfg.exit & EXIT_SAVE_PAT) &&
		  (cfg.entry & ENTRY_LOAD_PAT);
	return 0;
}

/* MSR bitmap (SDM 25.6.9): read bits for 0-1FFF at byte 0 and C000_0000-1FFF
 * at 1024, write bits 2048 bytes further; a clear bit lets the access run. */
static void msr_bitmap_pass_through(uint8_t *bm, uint32_t msr)
{
	uint32_t base = msr >= 0xc0000000 ? 1024 : 0, bit = msr & 0x1fff;

	bm[base + bit / 8] &= (uint8_t) ~(1u << (bit % 8));
	bm[base + 2048 + bit / 8] &= (uint8_t) ~(1u << (bit % 8));
}

/*
 * MSRs the guest owns outright (the same list as svm.c).  FS/GS base and
 * SYSENTER are guest-state fields, switched by every entry and exit.
 * KERNEL_GS_BASE and the SYSCALL MSRs are not in the VMCS; rather than
 * swapping them around every entry, they simply keep the guest's values
 * while the host runs: the host never uses SYSCALL or SWAPGS, and a CPU
 * runs one vCPU until it stops, so nobody else can see them.  They are
 * zeroed before a vCPU first runs (clear_guest_owned_state).
 */
static const uint32_t pass_through_msrs[] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE, MSR_STAR,		MSR_LSTAR,
	MSR_CSTAR,   MSR_SFMASK,  MSR_SYSENTER_CS,    MSR_SYSENTER_ESP, MSR_SYSENTER_EIP,
};

/* I/O bitmaps A and B (SDM 25.6.4) all ones: every port exits. */
static int build_bitmaps(void)
{
	uint64_t io = page_alloc(1), msr = page_alloc(0);

	if (!io || !msr)
		return -1;
	zv_memset(phys_to_virt(io), 0xff, 2 * 4096);
	zv_memset(phys_to_virt(msr), 0xff, 4096);
	for (size_t i = 0; i < ARRAY_LEN(pass_through_msrs); i++)
		msr_bitmap_pass_through(phys_to_virt(msr), pass_through_msrs[i]);
	cfg.io_bitmaps_pa = io;
	cfg.msr_bitmap_pa = msr;
	return 0;
}

static int configure(char *why, size_t len)
{
	uint64_t cap = rdmsr(MSR_VMX_EPT_VPID_CAP);

	if (adjust_exec_controls(why, len) != 0 || adjust_exit_entry_controls(why, len) != 0)
		return -1;
	if (build_bitmaps() != 0) {
		zv_snprintf(why, len, "no memory for the VMX I/O and MSR bitmaps");
		return -1;
	}
	cfg.revision = (uint32_t)rdmsr(MSR_VMX_BASIC) & VMX_BASIC_REVISION_MASK;
	cfg.invept_single = cap & EPT_CAP_INVEPT_SINGLE;
	/* SDM A.7, A.8: unrestricted guest exempts PE and PG from CR0_FIXED0. */
	cfg.cr0_mask = rdmsr(MSR_VMX_CR0_FIXED0) & ~(CR0_PE | CR0_PG);
	cfg.cr4_fixed = rdmsr(MSR_VMX_CR4_FIXED0);
	/* SDM 25.6.6: a MOV to CR4 that would set a masked bit the shadow has
	 * clear exits; the core answers #GP for the bits the zone is not offered. */
	cfg.cr4_mask = cfg.cr4_fixed | ~zone_cr4_allowed();
	return 0;
}

/* SDM 24.8: CR0 and CR4 must honour the fixed bits in VMX operation. */
static void apply_fixed_bits(void)
{
	write_cr0((read_cr0() | rdmsr(MSR_VMX_CR0_FIXED0)) & rdmsr(MSR_VMX_CR0_FIXED1));
	write_cr4((read_cr4() | rdmsr(MSR_VMX_CR4_FIXED0) | CR4_VMXE) & rdmsr(MSR_VMX_CR4_FIXED1));
}

static int vmx_on(struct percpu *cpu, char *why, size_t len)
{
	uint64_t region = page_alloc(0);

	if (!region) {
		zv_snprintf(why, len, "no memory for the VMXON region");
		return -1;
	}
	*(uint32_t *)phys_to_virt(region) = cfg.revision; /* SDM 25.11.5 */
	apply_fixed_bits();
	if (vmxon(region) != 0) {
		page_free(region, 0);
		write_cr4(read_cr4() & ~CR4_VMXE);
		zv_snprintf(why, len, "VMXON failed");
		return -1;
	}
	cpu->virt_area = region;
	return 0;
}

static int vmx_cpu_enable(struct percpu *cpu, char *why, size_t len)
{
	static uint32_t configured;

	if (!configured && configure(why, len) != 0)
		return -1;
	configured = 1;
	return vmx_on(cpu, why, len);
}

/* ---- VMCS contents ---- */

static void set_guest_cr0(uint64_t val)
{
	vmwrite(VMCS_GUEST_CR0, val | cfg.cr0_mask);
	vmwrite(VMCS_CR0_SHADOW, val);
}

static void set_guest_cr4(uint64_t val)
{
	vmwrite(VMCS_GUEST_CR4, val | cfg.cr4_fixed);
	vmwrite(VMCS_CR4_SHADOW, val);
}

/* What the guest sees: its own bits, the shadow where the host owns them. */
static uint64_t guest_visible(uint32_t field, uint32_t shadow, uint64_t mask)
{
	return (vmread(field) & ~mask) | (vmread(shadow) & mask);
}

static void set_guest_pat(struct vmx_vcpu *vx, uint64_t pat)
{
	if (cfg.pat)
		vmwrite(VMCS_GUEST_PAT, pat);
	else
		vx->pat = pat;
}

static void write_seg(unsigned i, uint16_t sel, uint32_t ar, uint32_t limit, uint64_t base)
{
	vmwrite(VMCS_GUEST_ES_SEL + 2 * i, sel);
	vmwrite(VMCS_GUEST_ES_LIMIT + 2 * i, limit);
	vmwrite(VMCS_GUEST_ES_AR + 2 * i, ar);
	vmwrite(VMCS_GUEST_ES_BASE + 2 * i, base);
}

/* SDM 9.1.4 / 27.3.1.2 with unrestricted guest: an AP after STARTUP. */
static void write_real_mode_segments(const struct vcpu_entry *e)
{
	for (unsigned i = SEG_ES; i <= SEG_GS; i++)
		write_seg(i, 0, AR_DATA16, 0xffff, 0);
	write_seg(SEG_CS, e->cs_selector, AR_CODE16, 0xffff, (uint64_t)e->cs_selector << 4);
	write_seg(SEG_LDTR, 0, AR_UNUSABLE, 0, 0);
	write_seg(SEG_TR, 0, AR_TSS_BUSY, 0xffff, 0);
	vmwrite(VMCS_GUEST_GDTR_BASE, 0);
	vmwrite(VMCS_GUEST_GDTR_LIMIT, 0xffff);
	vmwrite(VMCS_GUEST_IDTR_BASE, 0);
	vmwrite(VMCS_GUEST_IDTR_LIMIT, 0xffff);
}

/* Flat segments as svm.c builds them (SDM 27.3.1.2 checks them). */
static void write_guest_segments(const struct vcpu_entry *e)
{
	bool lm = e->mode == VCPU_ENTRY_LONG64;

	if (e->mode == VCPU_ENTRY_REAL16) {
		write_real_mode_segments(e);
		return;
	}
	for (unsigned i = SEG_ES; i <= SEG_GS; i++)
		write_seg(i, 0x18, AR_DATA, 0xffffffff, 0);
	write_seg(SEG_CS, lm ? 0x10 : 0x08, lm ? AR_CODE64 : AR_CODE32, 0xffffffff, 0);
	write_seg(SEG_LDTR, 0, AR_UNUSABLE, 0, 0);
	write_seg(SEG_TR, 0, AR_TSS_BUSY, 0xffff, 0);
	vmwrite(VMCS_GUEST_GDTR_BASE, e->gdt_base);
	vmwrite(VMCS_GUEST_GDTR_LIMIT, e->gdt_limit);
	vmwrite(VMCS_GUEST_IDTR_BASE, 0);
	vmwrite(VMCS_GUEST_IDTR_LIMIT, 0);
}

static void write_guest_system_state(struct vmx_vcpu *vx, const struct vcpu_entry *e)
{
	bool lm = e->mode == VCPU_ENTRY_LONG64;
	bool real = e->mode == VCPU_ENTRY_REAL16;

	set_guest_cr0((real ? 0 : CR0_PE) | CR0_ET | (lm ? CR0_PG | CR0_NE : 0));
	set_guest_cr4(lm ? CR4_PAE : 0);
	vmwrite(VMCS_GUEST_CR3, lm ? e->cr3 : 0);
	vmwrite(VMCS_GUEST_EFER, lm ? EFER_LME | EFER_LMA : 0);
	vmwrite(VMCS_ENTRY_CTLS, cfg.entry | (lm ? ENTRY_IA32E_GUEST : 0));
	set_guest_pat(vx, 0x0007040600070406ull); /* power-on PAT */
	vmwrite(VMCS_GUEST_DR7, 0x400);
	vmwrite(VMCS_GUEST_DEBUGCTL, 0);
	vmwrite(VMCS_GUEST_SYSENTER_CS, 0);
	vmwrite(VMCS_GUEST_SYSENTER_ESP, 0);
	vmwrite(VMCS_GUEST_SYSENTER_EIP, 0);
	vmwrite(VMCS_LINK_POINTER, ~0ull); /* SDM 27.3.1.5: no shadow VMCS */
	vmwrite(VMCS_GUEST_ACTIVITY, 0);   /* active */
	vmwrite(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmwrite(VMCS_GUEST_PENDING_DBG, 0);
}

static void write_execution_controls(struct vmx_vcpu *vx)
{
	vmwrite(VMCS_PIN_CTLS, cfg.pin);
	vmwrite(VMCS_PROC_CTLS, cfg.proc);
	vmwrite(VMCS_PROC_CTLS2, cfg.proc2);
	vmwrite(VMCS_EXCEPTION_BITMAP, REFLECTED_EXCEPTIONS);
	vmwrite(VMCS_PF_ERROR_MASK, 0);
	vmwrite(VMCS_PF_ERROR_MATCH, 0);
	vmwrite(VMCS_CR3_TARGET_COUNT, 0);
	vmwrite(VMCS_IO_BITMAP_A, cfg.io_bitmaps_pa);
	vmwrite(VMCS_IO_BITMAP_B, cfg.io_bitmaps_pa + 4096);
	vmwrite(VMCS_MSR_BITMAP, cfg.msr_bitmap_pa);
	vmwrite(VMCS_TSC_OFFSET, 0);
	vmwrite(VMCS_EPTP, vx->eptp);
	if (cfg.proc2 & PROC2_VPID)
		vmwrite(VMCS_VPID, GUEST_VPID);
	if (cfg.proc2 & PROC2_XSAVES)
		vmwrite(VMCS_XSS_EXIT_BITMAP, 0);
	vmwrite(VMCS_CR0_MASK, cfg.cr0_mask);
	vmwrite(VMCS_CR4_MASK, cfg.cr4_mask);
}

static void write_exit_entry_controls(void)
{
	vmwrite(VMCS_EXIT_CTLS, cfg.exit);
	vmwrite(VMCS_EXIT_MSR_STORE_COUNT, 0);
	vmwrite(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	vmwrite(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	vmwrite(VMCS_ENTRY_INTR_INFO, 0);
	vmwrite(VMCS_ENTRY_EXC_ERROR, 0);
	vmwrite(VMCS_ENTRY_INSN_LEN, 0);
}

struct __attribute__((packed)) table_ptr {
	uint16_t limit;
	uint64_t base;
};

/* SDM 25.5: the state a VM exit loads; RSP is written by vmx_enter. */
static void write_host_state(void)
{
	struct table_ptr gdt, idt;

	__asm__ volatile("sgdt %0; sidt %1" : "=m"(gdt), "=m"(idt));
	vmwrite(VMCS_HOST_CR0, read_cr0());
	vmwrite(VMCS_HOST_CR3, read_cr3());
	vmwrite(VMCS_HOST_CR4, read_cr4());
	vmwrite(VMCS_HOST_GDTR_BASE, gdt.base);
	vmwrite(VMCS_HOST_IDTR_BASE, idt.base);
	vmwrite(VMCS_HOST_TR_BASE, (uint64_t)&this_cpu()->tss);
	vmwrite(VMCS_HOST_FS_BASE, 0);
	vmwrite(VMCS_HOST_GS_BASE, rdmsr(MSR_GS_BASE)); /* this CPU's struct percpu */
	vmwrite(VMCS_HOST_EFER, rdmsr(MSR_EFER));
	if (cfg.pat)
		vmwrite(VMCS_HOST_PAT, rdmsr(MSR_PAT));
	vmwrite(VMCS_HOST_SYSENTER_CS, 0);
	vmwrite(VMCS_HOST_SYSENTER_ESP, 0);
	vmwrite(VMCS_HOST_SYSENTER_EIP, 0);
	vmwrite(VMCS_HOST_RIP, (uint64_t)vmx_exit);
}

static void write_host_selectors(void)
{
	vmwrite(VMCS_HOST_CS_SEL, GDT_CODE64);
	vmwrite(VMCS_HOST_SS_SEL, GDT_DATA);
	vmwrite(VMCS_HOST_DS_SEL, GDT_DATA);
	vmwrite(VMCS_HOST_ES_SEL, GDT_DATA);
	vmwrite(VMCS_HOST_FS_SEL, 0);
	vmwrite(VMCS_HOST_GS_SEL, 0);
	vmwrite(VMCS_HOST_TR_SEL, GDT_TSS);
}

/* State no VMCS field switches and a previous zone on this CPU may have
 * left behind: the SYSCALL MSRs (see pass_through_msrs).  DR0-DR3 and DR6
 * (only DR7 is switched: SDM 28.3.1, 28.5.1) are reset by the core for
 * both vendors (cpu_run_vcpu). */
static void clear_guest_owned_state(void)
{
	static const uint32_t msrs[] = {MSR_KERNEL_GS_BASE, MSR_STAR, MSR_LSTAR, MSR_CSTAR,
					MSR_SFMASK};

	for (size_t i = 0; i < ARRAY_LEN(msrs); i++)
		wrmsr(msrs[i], 0);
}

static void regs_to_vmcs(struct vcpu *v)
{
	vmwrite(VMCS_GUEST_RSP, v->regs.rsp);
	vmwrite(VMCS_GUEST_RIP, v->regs.rip);
	vmwrite(VMCS_GUEST_RFLAGS, v->regs.rflags);
}

static void regs_from_vmcs(struct vcpu *v)
{
	v->regs.rsp = vmread(VMCS_GUEST_RSP);
	v->regs.rip = vmread(VMCS_GUEST_RIP);
	v->regs.rflags = vmread(VMCS_GUEST_RFLAGS);
}

/* Makes v's VMCS current on this CPU and, the first time, fills it in. */
static enum vexit_action load_vmcs(struct vcpu *v)
{
	struct vmx_vcpu *vx = vx_of(v);
	uint32_t here = this_cpu()->index + 1;

	if (vx->loaded_on == here)
		return vmptrld(v->arch_pa) == 0 ? VACT_RESUME
						: exit_unknown(v, "VMPTRLD failed", v->arch_pa);
	if (vx->loaded_on)
		return exit_unknown(v, "vCPU moved to another CPU, from cpu", vx->loaded_on - 1);
	if (vmclear(v->arch_pa) != 0 || vmptrld(v->arch_pa) != 0)
		return exit_unknown(v, "VMCLEAR/VMPTRLD failed for VMCS", v->arch_pa);
	vx->loaded_on = here;
	write_execution_controls(vx);
	write_exit_entry_controls();
	write_guest_segments(&vx->entry);
	write_guest_system_state(vx, &vx->entry);
	write_host_selectors();
	write_host_state();
	clear_guest_owned_state();
	flush_ept(vx); /* an earlier zone may have used the same root page */
	return VACT_RESUME;
}

/* ---- vCPU lifecycle ---- */

static int vmx_vcpu_init(struct vcpu *v, const struct vcpu_entry *e, uint64_t npt_root)
{
	uint64_t vmcs = page_alloc(0), aux = page_alloc(0);
	struct vmx_vcpu *vx = phys_to_virt(aux);

	if (!vmcs || !aux) {
		page_free_if(vmcs, 0);
		page_free_if(aux, 0);
		return -1;
	}
	*(uint32_t *)phys_to_virt(vmcs) = cfg.revision; /* SDM 25.2 */
	vx->entry = *e;
	vx->eptp = npt_root | EPTP_WALK_4 | EPTP_MEMTYPE_WB; /* SDM 25.6.11 */
	v->arch = vx;
	v->arch_pa = vmcs;
	v->arch_aux_pa = aux;
	v->arch_pages = 2;
	vcpu_regs_from_entry(v, e);
	return 0;
}

/* INIT then STARTUP (zones/platform/irq.c), on the vCPU's CPU: its VMCS is current. */
static void vmx_vcpu_reset(struct vcpu *v, const struct vcpu_entry *e)
{
	struct vmx_vcpu *vx = vx_of(v);

	vx->entry = *e;
	vx->cr2 = vx->cr8 = 0;
	write_guest_segments(e);
	write_guest_system_state(vx, e);
	vmwrite(VMCS_ENTRY_INTR_INFO, 0);
	vmwrite(VMCS_PROC_CTLS, cfg.proc);
	vcpu_regs_from_entry(v, e);
}

static void vmx_vcpu_free(struct vcpu *v)
{
	struct vmx_vcpu *vx = vx_of(v);

	/* release_vmcs cleared it on its own CPU when the vCPU left its run
	 * loop.  A VMCS still current somewhere (a vCPU that never left, or a
	 * failed VMCLEAR) is never freed: that CPU could still write it back,
	 * and the page would be another zone's EPT or VMCS by then.  Its two
	 * pages are leaked, loudly, instead. */
	if (vx->loaded_on) {
		kprintf("vmx: vcpu %u: VMCS still current on cpu %u; its pages are not freed\n",
			v->id, vx->loaded_on - 1);
		return;
	}
	/* The VMCS holds guest registers: no secret may survive in the pool. */
	zv_memset(phys_to_virt(v->arch_pa), 0, 4096);
	zv_memset(phys_to_virt(v->arch_aux_pa), 0, 4096);
	page_free_if(v->arch_pa, 0);
	page_free_if(v->arch_aux_pa, 0);
	v->arch = NULL;
	v->arch_pa = v->arch_aux_pa = v->arch_pages = 0;
}

/* ---- events ---- */

static void vmx_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
	uint32_t info = vector | (INTR_TYPE_HW_EXCEPTION << INTR_INFO_TYPE_SHIFT) | INTR_INFO_VALID;

	(void)v; /* the VMCS is current: only one vCPU runs on this CPU */
	/* SDM 27.2.1.3: no error code in real mode (unrestricted guest, PE = 0). */
	if (has_error && (vmread(VMCS_GUEST_CR0) & CR0_PE)) {
		info |= INTR_INFO_ERROR_VALID;
		vmwrite(VMCS_ENTRY_EXC_ERROR, error);
	}
	vmwrite(VMCS_ENTRY_INTR_INFO, info);
}

static bool vmx_event_queued(struct vcpu *v)
{
	(void)v;
	return vmread(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID;
}

/* SDM 26.3.1.5 / 25.4.2: IF set and no STI or MOV SS blocking. */
static bool vmx_interruptible(struct vcpu *v)
{
	return (v->regs.rflags & RFLAGS_IF) &&
	       !(vmread(VMCS_GUEST_INTERRUPTIBILITY) & INTERRUPTIBILITY_STI_MOVSS);
}

static void vmx_inject_interrupt(struct vcpu *v, uint8_t vector)
{
	(void)v;
	vmwrite(VMCS_ENTRY_INTR_INFO,
		vector | (INTR_TYPE_EXTERNAL << INTR_INFO_TYPE_SHIFT) | INTR_INFO_VALID);
}

static void vmx_inject_nmi(struct vcpu *v)
{
	(void)v;
	vmwrite(VMCS_ENTRY_INTR_INFO,
		2 | (INTR_TYPE_NMI << INTR_INFO_TYPE_SHIFT) | INTR_INFO_VALID);
}

/* SDM 25.6.2: "interrupt-window exiting" exits at the first instruction
 * boundary where RFLAGS.IF = 1 and nothing blocks interrupts. */
static void vmx_request_irq_window(struct vcpu *v, bool on)
{
	(void)v;
	vmwrite(VMCS_PROC_CTLS, on ? cfg.proc | PROC_INTR_WINDOW : cfg.proc);
}

static enum vexit_action inject_gp(struct vcpu *v)
{
	vmx_inject_exception(v, X86_GP, true, 0);
	return VACT_RESUME;
}

/* SDM 28.2.4: an exit during event delivery loses the event unless it is
 * injected again (the instruction length matters for software events). */
static void requeue_vectored_event(void)
{
	uint32_t info = (uint32_t)vmread(VMCS_IDT_VECT_INFO);

	if (!(info & INTR_INFO_VALID))
		return;
	/* Bits 30:12 are reserved in the entry field (bit 12 means NMI unblocking here). */
	vmwrite(VMCS_ENTRY_INTR_INFO, info & (INTR_INFO_VALID | INTR_INFO_ERROR_VALID | 0x7ff));
	if (info & INTR_INFO_ERROR_VALID)
		vmwrite(VMCS_ENTRY_EXC_ERROR, vmread(VMCS_IDT_VECT_ERROR));
	vmwrite(VMCS_ENTRY_INSN_LEN, vmread(VMCS_EXIT_INSN_LEN));
}

/* ---- exit handlers ---- */

static enum vexit_action handle_io(struct vcpu *v)
{
	uint32_t q = (uint32_t)vmread(VMCS_EXIT_QUALIFICATION);
	struct vexit_io io = {
		.port = (uint16_t)(q >> IO_QUAL_PORT_SHIFT),
		.size = (q & IO_QUAL_SIZE_MASK) + 1, /* 1, 2 or 4 */
		.in = q & IO_QUAL_IN,
		.string = q & IO_QUAL_STRING,
	};

	return exit_io(v, &io);
}

static enum vexit_action handle_ept_violation(struct vcpu *v)
{
	uint64_t q = vmread(VMCS_EXIT_QUALIFICATION);

	return exit_npf(v, vmread(VMCS_GUEST_PHYS_ADDR), q & EPT_QUAL_WRITE, q & EPT_QUAL_FETCH);
}

/* SDM 28.1: a #DB that exits leaves DR6 alone; the exit qualification
 * holds what it would have set (B0-B3, BD, BS). */
#define DR6_TRAP_BITS 0xful
#define DR6_QUAL_BITS 0x600ful

static void update_dr6_for_db(void)
{
	uint64_t dr6;

	__asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
	dr6 = (dr6 & ~DR6_TRAP_BITS) | (vmread(VMCS_EXIT_QUALIFICATION) & DR6_QUAL_BITS);
	__asm__ volatile("mov %0, %%dr6" ::"r"(dr6));
}

/* A reflected #DB or #AC goes back to the guest as it came (type, error
 * code, length of a software exception).  An event whose delivery it
 * interrupted was requeued and goes first; the exception then recurs. */
static enum vexit_action reflect_exception(struct vcpu *v, uint32_t info)
{
	exit_counted(v, VEXIT_EXCEPTION);
	if ((info & INTR_INFO_VECTOR_MASK) == X86_DB)
		update_dr6_for_db();
	if (vmread(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID)
		return VACT_RESUME;
	if (info & INTR_INFO_ERROR_VALID)
		vmwrite(VMCS_ENTRY_EXC_ERROR, vmread(VMCS_EXIT_INTR_ERROR));
	vmwrite(VMCS_ENTRY_INTR_INFO, info & (INTR_INFO_VALID | INTR_INFO_ERROR_VALID | 0x7ff));
	vmwrite(VMCS_ENTRY_INSN_LEN, vmread(VMCS_EXIT_INSN_LEN));
	return VACT_RESUME;
}

/* An NMI is consumed by the exit (the host has no NMI work to do); the
 * exceptions in REFLECTED_EXCEPTIONS go back to the guest. */
static enum vexit_action handle_exception_nmi(struct vcpu *v)
{
	uint32_t info = (uint32_t)vmread(VMCS_EXIT_INTR_INFO);
	uint32_t vector = info & INTR_INFO_VECTOR_MASK;

	if ((info >> INTR_INFO_TYPE_SHIFT & INTR_INFO_TYPE_MASK) == INTR_TYPE_NMI)
		return exit_interrupt(v, VEXIT_NMI);
	if (vector < 32 && (REFLECTED_EXCEPTIONS & (1u << vector)))
		return reflect_exception(v, info);
	return exit_unknown(v, "exception vector", vector);
}

/* SDM 2.5 / 4.1.1: MOV to CR0 faults on these (CR0.PG with LME needs PAE). */
static bool cr0_is_valid(uint64_t val)
{
	if (val >> 32 || ((val & CR0_PG) && !(val & CR0_PE)) || ((val & CR0_NW) && !(val & CR0_CD)))
		return false;
	return !((val & CR0_PG) && (vmread(VMCS_GUEST_EFER) & EFER_LME) &&
		 !(vmread(VMCS_GUEST_CR4) & CR4_PAE));
}

/* An emulated MOV to CR0 that turns paging on or off with EFER.LME set
 * enters or leaves IA-32e mode, which VM entry takes from these two. */
static void update_long_mode(bool paging)
{
	uint64_t efer = vmread(VMCS_GUEST_EFER);
	uint32_t entry = (uint32_t)vmread(VMCS_ENTRY_CTLS);

	if (paging && (efer & EFER_LME)) {
		efer |= EFER_LMA;
		entry |= ENTRY_IA32E_GUEST;
	} else {
		efer &= ~(uint64_t)EFER_LMA;
		entry &= ~ENTRY_IA32E_GUEST;
	}
	vmwrite(VMCS_GUEST_EFER, efer);
	vmwrite(VMCS_ENTRY_CTLS, entry);
}

/* Only a write that changes a host-owned bit (CR0.NE) exits; emulate it whole. */
static enum vexit_action mov_to_cr0(struct vcpu *v, uint64_t val)
{
	uint64_t old = vmread(VMCS_CR0_SHADOW);

	if (!cr0_is_valid(val))
		return inject_gp(v);
	set_guest_cr0(val);
	if ((old ^ val) & CR0_PG)
		update_long_mode(val & CR0_PG);
	flush_ept(vx_of(v)); /* as the real MOV would flush the TLB */
	vcpu_skip_insn(v);
	return VACT_RESUME;
}

static enum vexit_action mov_to_cr(struct vcpu *v, unsigned cr, uint64_t val)
{
	switch (cr) {
	case 0: return mov_to_cr0(v, val);
	/* Only a write that sets a host-owned bit exits: VMXE, or a bit of a
	 * feature the zone is not offered (cfg.cr4_mask); the core decides. */
	case 4: return exit_cr4_write(v, val);
	case 3:
		vmwrite(VMCS_GUEST_CR3, val); /* only when CR3 exiting is forced on */
		flush_ept(vx_of(v));
		break;
	case 8: vx_of(v)->cr8 = val & 0xf; break;
	default: return exit_unknown(v, "MOV to CR", cr);
	}
	vcpu_skip_insn(v);
	return VACT_RESUME;
}

static enum vexit_action handle_cr_access(struct vcpu *v)
{
	uint64_t q = vmread(VMCS_EXIT_QUALIFICATION);
	unsigned cr = q & CR_QUAL_CR_MASK, type = q >> CR_QUAL_TYPE_SHIFT & CR_QUAL_TYPE_MASK;
	/* SDM table 28-3 numbers the GPRs as ModRM does (vcpu_gpr). */
	uint64_t *reg = vcpu_gpr(v, q >> CR_QUAL_GPR_SHIFT & CR_QUAL_GPR_MASK);

	exit_counted(v, VEXIT_OTHER);
	if (type == CR_ACCESS_MOV_TO)
		return mov_to_cr(v, cr, *reg);
	if (type != CR_ACCESS_MOV_FROM || (cr != 3 && cr != 8))
		return exit_unknown(v, "control register access, qualification", q);
	*reg = cr == 3 ? vmread(VMCS_GUEST_CR3) : vx_of(v)->cr8;
	vcpu_skip_insn(v);
	return VACT_RESUME;
}

/* Virtualization instructions a zone may not use: #UD through exit_virt_insn. */
static const char *const virt_insns[EXIT_REASON_COUNT] = {
	[EXIT_GETSEC] = "GETSEC",     [EXIT_VMCLEAR] = "VMCLEAR", [EXIT_VMLAUNCH] = "VMLAUNCH",
	[EXIT_VMPTRLD] = "VMPTRLD",   [EXIT_VMPTRST] = "VMPTRST", [EXIT_VMREAD] = "VMREAD",
	[EXIT_VMRESUME] = "VMRESUME", [EXIT_VMWRITE] = "VMWRITE", [EXIT_VMXOFF] = "VMXOFF",
	[EXIT_VMXON] = "VMXON",	      [EXIT_INVEPT] = "INVEPT",	  [EXIT_INVVPID] = "INVVPID",
	[EXIT_VMFUNC] = "VMFUNC",
};

static enum vexit_action other_exit(struct vcpu *v, uint32_t reason)
{
	if (reason < EXIT_REASON_COUNT && virt_insns[reason])
		return exit_virt_insn(v, virt_insns[reason]);
	return exit_unknown(v, "exit reason", reason);
}

static enum vexit_action dispatch(struct vcpu *v, uint32_t reason)
{
	switch (reason) {
	case EXIT_CPUID: return exit_cpuid(v);
	case EXIT_RDMSR: return exit_msr_read(v);
	case EXIT_WRMSR: return exit_msr_write(v);
	case EXIT_IO: return handle_io(v);
	case EXIT_HLT: return exit_hlt(v);
	case EXIT_VMCALL: return exit_hypercall(v);
	case EXIT_EPT_VIOLATION: return handle_ept_violation(v);
	case EXIT_EPT_MISCONFIG:
		return exit_unknown(v, "EPT misconfiguration at GPA", vmread(VMCS_GUEST_PHYS_ADDR));
	case EXIT_TRIPLE_FAULT: return exit_shutdown(v);
	case EXIT_EXTERNAL_INT: return exit_interrupt(v, VEXIT_INTR);
	case EXIT_INTR_WINDOW: return exit_counted(v, VEXIT_IRQ_WINDOW);
	case EXIT_EXCEPTION_NMI: return handle_exception_nmi(v);
	case EXIT_INIT: return exit_interrupt(v, VEXIT_INIT);
	case EXIT_CR_ACCESS: return handle_cr_access(v);
	case EXIT_INVD: return exit_wbinvd(v);
	case EXIT_XSETBV: return exit_xsetbv(v);
	case EXIT_WBINVD: return exit_wbinvd(v);
	case EXIT_RDPMC: return exit_rdpmc(v);
	case EXIT_MONITOR: return exit_refused_insn(v, "MONITOR");
	case EXIT_MWAIT: return exit_refused_insn(v, "MWAIT");
	default: return other_exit(v, reason);
	}
}

/* ---- entry failures (SDM vol. 3C, 31.4 "VM instruction error numbers") ---- */

static const char *const vm_insn_errors[] = {
	[0] = "VMfailInvalid (no current VMCS)",
	[1] = "VMCALL executed in VMX root operation",
	[2] = "VMCLEAR with invalid physical address",
	[3] = "VMCLEAR with VMXON pointer",
	[4] = "VMLAUNCH with non-clear VMCS",
	[5] = "VMRESUME with non-launched VMCS",
	[6] = "VMRESUME after VMXOFF",
	[7] = "VM entry with invalid control field(s)",
	[8] = "VM entry with invalid host-state field(s)",
	[9] = "VMPTRLD with invalid physical address",
	[10] = "VMPTRLD with VMXON pointer",
	[11] = "VMPTRLD with incorrect VMCS revision identifier",
	[12] = "VMREAD/VMWRITE from/to unsupported VMCS component",
	[13] = "VMWRITE to read-only VMCS component",
	[15] = "VMXON executed in VMX root operation",
	[16] = "VM entry with invalid executive-VMCS pointer",
	[17] = "VM entry with non-launched executive VMCS",
	[18] = "VM entry with executive-VMCS pointer not VMXON pointer",
	[19] = "VMCALL with non-clear VMCS",
	[20] = "VMCALL with invalid VM-exit control fields",
	[22] = "VMCALL with incorrect MSEG revision identifier",
	[23] = "VMXOFF under dual-monitor treatment of SMIs and SMM",
	[24] = "VMCALL with invalid SMM-monitor features",
	[25] = "VM entry with invalid VM-execution control fields in executive VMCS",
	[26] = "VM entry with events blocked by MOV SS",
	[28] = "invalid operand to INVEPT/INVVPID",
};

static const char *vm_insn_error_text(uint64_t n)
{
	return n < ARRAY_LEN(vm_insn_errors) && vm_insn_errors[n] ? vm_insn_errors[n]
								  : "unknown VM-instruction error";
}

/* VMLAUNCH/VMRESUME fell through (VMfailValid/VMfailInvalid). */
static enum vexit_action launch_failed(struct vcpu *v)
{
	uint64_t err = vmread(VMCS_VM_INSN_ERROR);
	char what[112];

	zv_snprintf(what, sizeof(what), "%s failed: %s, VM-instruction error",
		    vx_of(v)->launched ? "VMRESUME" : "VMLAUNCH", vm_insn_error_text(err));
	return exit_unknown(v, what, err);
}

static const char *entry_failure_text(uint32_t basic)
{
	switch (basic) {
	case EXIT_INVALID_GUEST: return "VM entry failed: invalid guest state, qualification";
	case EXIT_MSR_LOADING: return "VM entry failed: MSR loading, qualification";
	case EXIT_MACHINE_CHECK: return "VM entry failed: machine-check event, qualification";
	default: return "VM entry failed, qualification";
	}
}

/* SDM 27.8: the checks on guest state or MSR loading failed after the
 * entry had begun; the exit qualification says which check. */
static enum vexit_action guest_entry_failed(struct vcpu *v, uint32_t reason)
{
	return exit_unknown(v, entry_failure_text(reason & EXIT_REASON_BASIC_MASK),
			    vmread(VMCS_EXIT_QUALIFICATION));
}

static enum vexit_action handle_exit(struct vcpu *v)
{
	uint32_t reason = (uint32_t)vmread(VMCS_EXIT_REASON);
	uint64_t rip;
	enum vexit_action act;

	regs_from_vmcs(v);
	if (reason & EXIT_REASON_ENTRY_FAIL)
		return guest_entry_failed(v, reason);
	vx_of(v)->launched = 1;
	v->insn_len = (uint32_t)vmread(VMCS_EXIT_INSN_LEN);
	rip = v->regs.rip;
	requeue_vectored_event();
	act = dispatch(v, reason & EXIT_REASON_BASIC_MASK);
	/* SDM 25.4.2: a skipped instruction ends any STI / MOV SS shadow. */
	if (act == VACT_RESUME && v->regs.rip != rip)
		vmwrite(VMCS_GUEST_INTERRUPTIBILITY, vmread(VMCS_GUEST_INTERRUPTIBILITY) &
							     ~(uint64_t)INTERRUPTIBILITY_STI_MOVSS);
	return act;
}

/* SDM 25.11.1 and 25.11.3: VMCLEAR on the CPU where the VMCS is current
 * writes the CPU's cached copy back to memory and makes it inactive there;
 * VMCLEAR from another CPU does not, and that CPU could later write guest
 * state into the page after it is freed.  So a vCPU leaving its run loop
 * clears its VMCS here, on its own CPU, before anyone may free it. */
static void release_vmcs(struct vcpu *v)
{
	struct vmx_vcpu *vx = vx_of(v);

	if (!vx->loaded_on)
		return;
	if (vx->loaded_on != this_cpu()->index + 1 || vmclear(v->arch_pa) != 0) {
		kprintf("vmx: vcpu %u: VMCLEAR of its VMCS failed on cpu %u (current on cpu "
			"%u)\n",
			v->id, this_cpu()->index, vx->loaded_on - 1);
		return;
	}
	vx->loaded_on = 0;
}

static void vmx_vcpu_run(struct vcpu *v)
{
	struct vmx_vcpu *vx = vx_of(v);
	enum vexit_action act = load_vmcs(v);

	while (act == VACT_RESUME) {
		if (vcpu_before_entry(v) == VACT_STOP)
			break;
		regs_to_vmcs(v);
		if (vmx_enter(&v->regs, vx->launched, &vx->cr2) != 0)
			act = launch_failed(v);
		else
			act = handle_exit(v);
	}
	release_vmcs(v);
}

/* ---- guest registers for the core ---- */

static uint64_t vmx_get_sreg(struct vcpu *v, enum vcpu_sreg r)
{
	switch (r) {
	case VSREG_CR0: return guest_visible(VMCS_GUEST_CR0, VMCS_CR0_SHADOW, cfg.cr0_mask);
	case VSREG_CR2: return vx_of(v)->cr2;
	case VSREG_CR3: return vmread(VMCS_GUEST_CR3);
	case VSREG_CR4: return guest_visible(VMCS_GUEST_CR4, VMCS_CR4_SHADOW, cfg.cr4_mask);
	case VSREG_EFER: return vmread(VMCS_GUEST_EFER);
	case VSREG_PAT: return cfg.pat ? vmread(VMCS_GUEST_PAT) : vx_of(v)->pat;
	case VSREG_CS_BASE: return vmread(VMCS_GUEST_ES_BASE + 2 * SEG_CS);
	default: return 0;
	}
}

/* LMA is the processor's to change, as on a real WRMSR (SDM 2.2.1). */
static void set_guest_efer(uint64_t val)
{
	uint64_t lma = vmread(VMCS_GUEST_EFER) & EFER_LMA;

	vmwrite(VMCS_GUEST_EFER, (val & ~(uint64_t)EFER_LMA) | lma);
}

static void vmx_set_sreg(struct vcpu *v, enum vcpu_sreg r, uint64_t val)
{
	switch (r) {
	case VSREG_CR0: set_guest_cr0(val); break;
	case VSREG_CR2: vx_of(v)->cr2 = val; break;
	case VSREG_CR3: vmwrite(VMCS_GUEST_CR3, val); break;
	case VSREG_CR4: set_guest_cr4(val); break;
	case VSREG_EFER: set_guest_efer(val); break;
	case VSREG_PAT: set_guest_pat(vx_of(v), val); break;
	default: break;
	}
}

/* SDM vol. 3C 24.4.1: access rights bit 13 = L, bit 14 = D/B. */
static int vmx_cpu_mode(struct vcpu *v)
{
	uint64_t ar = vmread(VMCS_GUEST_ES_AR + 2 * SEG_CS);

	(void)v;
	if (!(vmread(VMCS_GUEST_CR0) & CR0_PE))
		return X86_MODE_16;
	if ((vmread(VMCS_GUEST_EFER) & EFER_LMA) && (ar & (1u << 13)))
		return X86_MODE_64;
	return (ar & (1u << 14)) ? X86_MODE_32 : X86_MODE_16;
}

static void vmx_dump(struct vcpu *v)
{
	(void)v;
	kprintf("  cs %04lx ar %05lx base %016lx  efer %016lx\n",
		vmread(VMCS_GUEST_ES_SEL + 2 * SEG_CS), vmread(VMCS_GUEST_ES_AR + 2 * SEG_CS),
		vmread(VMCS_GUEST_ES_BASE + 2 * SEG_CS), vmread(VMCS_GUEST_EFER));
	kprintf("  cr0 %016lx  cr3 %016lx  cr4 %016lx\n", vmread(VMCS_GUEST_CR0),
		vmread(VMCS_GUEST_CR3), vmread(VMCS_GUEST_CR4));
	kprintf("  vmx exit reason %lx qualification %lx vm-insn error %lu idt-vectoring %lx\n",
		vmread(VMCS_EXIT_REASON), vmread(VMCS_EXIT_QUALIFICATION),
		vmread(VMCS_VM_INSN_ERROR), vmread(VMCS_IDT_VECT_INFO));
}

const struct vcpu_backend vmx_backend = {
	.name = "vmx",
	.npt_format = &npt_format_ept,
	.probe = vmx_probe,
	.cpu_enable = vmx_cpu_enable,
	.vcpu_init = vmx_vcpu_init,
	.vcpu_free = vmx_vcpu_free,
	.vcpu_run = vmx_vcpu_run,
	.get_sreg = vmx_get_sreg,
	.cpu_mode = vmx_cpu_mode,
	.set_sreg = vmx_set_sreg,
	.inject_exception = vmx_inject_exception,
	.vcpu_reset = vmx_vcpu_reset,
	.event_queued = vmx_event_queued,
	.interruptible = vmx_interruptible,
	.inject_interrupt = vmx_inject_interrupt,
	.inject_nmi = vmx_inject_nmi,
	.request_irq_window = vmx_request_irq_window,
	.dump = vmx_dump,
};
