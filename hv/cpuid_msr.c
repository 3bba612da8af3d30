/* CPUID and MSR policy tables for zones. */
#include <stdbool.h>

#include "hv/cpuid_msr.h"
#include "hv/lib/string.h"
#include "hv/x86_bits.h"

enum cpuid_reg { EAX, EBX, ECX, EDX };

/* Bits cleared from and set in the host's answer (Intel SDM vol. 2A CPUID;
 * AMD APM vol. 3 appendix E).  Hidden: virtualization; features a zone
 * cannot use safely (MONITOR/MWAIT, PT, SGX, WAITPKG); host identity (PSN);
 * XSAVE and everything that needs it (AVX*, FMA, F16C, AMX, XOP), because
 * XCR0 is not switched per zone (XSETBV gets #UD); and the speculation
 * controls (SPEC_CTRL, PRED_CMD, ARCH_CAPABILITIES), whose MSRs zones do
 * not get.  Also hidden: what needs MSRs zones do not get: the debug store
 * (DS, DTES64, DS-CPL), performance and thermal control (PDCM, EST, TM2,
 * PBE) and xTPR.  Set: the virtual platform (x2APIC, TSC-deadline,
 * HYPERVISOR, invariant TSC, ARAT).  docs/zones.md has the whole table. */
#define L1_ECX_CLEAR                                                                       \
	(CPUID_1_ECX_DTES64 | CPUID_1_ECX_MONITOR | CPUID_1_ECX_DS_CPL | CPUID_1_ECX_VMX | \
	 CPUID_1_ECX_SMX | CPUID_1_ECX_EST | CPUID_1_ECX_TM2 | CPUID_1_ECX_FMA |           \
	 CPUID_1_ECX_XTPR | CPUID_1_ECX_PDCM | CPUID_1_ECX_XSAVE | CPUID_1_ECX_OSXSAVE |   \
	 CPUID_1_ECX_AVX | CPUID_1_ECX_F16C)
#define L1_EDX_CLEAR \
	(CPUID_1_EDX_PSN | CPUID_1_EDX_DS | CPUID_1_EDX_ACPI | CPUID_1_EDX_TM | CPUID_1_EDX_PBE)
#define L1_ECX_SET (CPUID_1_ECX_X2APIC | CPUID_1_ECX_TSC_DEADLINE | CPUID_1_ECX_HYPERVISOR)
/* Leaf 7 EBX also loses RDT monitoring and allocation. */
#define L7_EBX_CLEAR                                                                             \
	(CPUID_7_EBX_SGX | CPUID_7_EBX_AVX2 | CPUID_7_EBX_RDT_M | CPUID_7_EBX_RDT_A |            \
	 CPUID_7_EBX_AVX512F | CPUID_7_EBX_AVX512DQ | CPUID_7_EBX_AVX512_IFMA | CPUID_7_EBX_PT | \
	 CPUID_7_EBX_AVX512PF | CPUID_7_EBX_AVX512ER | CPUID_7_EBX_AVX512CD |                    \
	 CPUID_7_EBX_AVX512BW | CPUID_7_EBX_AVX512VL)
#define L7_ECX_CLEAR                                                                           \
	(CPUID_7_ECX_AVX512_VBMI | CPUID_7_ECX_PKU | CPUID_7_ECX_OSPKE | CPUID_7_ECX_WAITPKG | \
	 CPUID_7_ECX_AVX512_VBMI2 | CPUID_7_ECX_VAES | CPUID_7_ECX_VPCLMULQDQ |                \
	 CPUID_7_ECX_AVX512_VNNI | CPUID_7_ECX_AVX512_BITALG | CPUID_7_ECX_AVX512_VPOPCNTDQ)
#define L7_EDX_CLEAR                                                                               \
	(CPUID_7_EDX_AVX512_4VNNIW | CPUID_7_EDX_AVX512_4FMAPS | CPUID_7_EDX_AVX512_VP2INTERSECT | \
	 CPUID_7_EDX_AMX_BF16 | CPUID_7_EDX_AVX512_FP16 | CPUID_7_EDX_AMX_TILE |                   \
	 CPUID_7_EDX_AMX_INT8 | CPUID_7_EDX_SPEC_CTRL | CPUID_7_EDX_STIBP |                        \
	 CPUID_7_EDX_L1D_FLUSH | CPUID_7_EDX_ARCH_CAPABILITIES | CPUID_7_EDX_SSBD)
/* AMD 8000_0008 EBX: IBPB, IBRS, STIBP, SSBD, VIRT_SSBD and the rest of
 * the speculation-control family (APM vol. 3, E.4.7). */
#define X8_EBX_CLEAR                                                                    \
	(CPUID_80000008_EBX_IBPB | CPUID_80000008_EBX_IBRS | CPUID_80000008_EBX_STIBP | \
	 CPUID_80000008_EBX_IBRS_ALWAYS_ON | CPUID_80000008_EBX_STIBP_ALWAYS_ON |       \
	 CPUID_80000008_EBX_IBRS_PREFERRED | CPUID_80000008_EBX_IBRS_SAME_MODE |        \
	 CPUID_80000008_EBX_SSBD | CPUID_80000008_EBX_VIRT_SSBD | CPUID_80000008_EBX_SSB_NO)
/* AMD 8000_0001 ECX (APM vol. 3, E.4.2): SVM, XOP, SKINIT, WDT, FMA4 as
 * above; the extended APIC space the virtual x2APIC lacks; OS-visible
 * workarounds, IBS, LWP, the core/NB/LLC counter extensions, breakpoint
 * address masks and PerfTsc, whose MSRs zones do not get; TCE, whose EFER
 * bit the EFER rule refuses; MONITORX, as MONITOR. */
#define X1_ECX_CLEAR                                                                            \
	(CPUID_80000001_ECX_SVM | CPUID_80000001_ECX_EXT_APIC_SPACE | CPUID_80000001_ECX_OSVW | \
	 CPUID_80000001_ECX_IBS | CPUID_80000001_ECX_XOP | CPUID_80000001_ECX_SKINIT |          \
	 CPUID_80000001_ECX_WDT | CPUID_80000001_ECX_LWP | CPUID_80000001_ECX_FMA4 |            \
	 CPUID_80000001_ECX_TCE | CPUID_80000001_ECX_PERFCTR_CORE |                             \
	 CPUID_80000001_ECX_PERFCTR_NB | CPUID_80000001_ECX_DATA_BP_EXT |                       \
	 CPUID_80000001_ECX_PERF_TSC | CPUID_80000001_ECX_PERFCTR_LLC |                         \
	 CPUID_80000001_ECX_MONITORX | CPUID_80000001_ECX_ADDR_MASK_EXT)
/* AMD 8000_0021 EAX, AutomaticIBRS: its EFER bit (21) is refused. */
#define X21_EAX_CLEAR CPUID_80000021_EAX_AUTO_IBRS

static const struct {
	uint32_t leaf;
	enum cpuid_reg reg;
	uint32_t clear;
	uint32_t set;
} cpuid_masks[] = {
	{0x1, ECX, L1_ECX_CLEAR, L1_ECX_SET},
	{0x1, EDX, L1_EDX_CLEAR, 0}, /* PSN, DS, ACPI thermal, TM, PBE */
	{0x7, EBX, L7_EBX_CLEAR, 0},
	{0x7, ECX, L7_ECX_CLEAR, 0},
	{0x7, EDX, L7_EDX_CLEAR, 0},
	{0x80000001, ECX, X1_ECX_CLEAR, 0},
	{0x80000008, EBX, X8_EBX_CLEAR, 0},
	{0x80000021, EAX, X21_EAX_CLEAR, 0},
};

/* Leaves answered with zeros: serial number (3), the architectural PMU
 * (0Ah: version 0, no counters; RDPMC and the PMU MSRs are not offered),
 * XSAVE state (0Dh), RDT monitoring and allocation (0Fh, 10h), SGX (12h),
 * PT (14h), the hybrid core type (1Ah), SVM (8000_000Ah), IBS (8000_001Bh),
 * AMD PQoS (8000_0020h), PerfMonV2 (8000_0022h), SEV (8000_001Fh), the
 * host's AMD extended topology (8000_0026h: leaves 0Bh and 8000_001Eh give
 * the zone's), and every hypervisor leaf not answered by kvm_leaf(). */
static const uint32_t hidden_leaves[] = {
	0x3,  0xa,	  0xd,	      0xf,	  0x10,	      0x12,	  0x14,
	0x1a, 0x8000000a, 0x8000001b, 0x8000001f, 0x80000020, 0x80000022, 0x80000026,
};

static bool leaf_is_hidden(uint32_t leaf)
{
	for (size_t i = 0; i < sizeof(hidden_leaves) / sizeof(hidden_leaves[0]); i++)
		if (hidden_leaves[i] == leaf)
			return true;
	return leaf >= 0x40000000 && leaf <= 0x4fffffff;
}

static uint32_t *reg_of(struct cpuid_result *r, enum cpuid_reg reg)
{
	return reg == EAX ? &r->eax : reg == EBX ? &r->ebx : reg == ECX ? &r->ecx : &r->edx;
}

/* The zone is one package of vcpu_count cores, one thread each, APIC IDs
 * 0..n-1 (SDM vol. 3A, 10.12.8.1 for leaf 0Bh; APM vol. 3 E.4.7 for NC). */
static uint32_t core_bits(uint32_t count)
{
	uint32_t bits = 0;

	while ((1u << bits) < count)
		bits++;
	return bits;
}

static void topology_leaf_b(uint32_t sub, struct cpuid_result *r, const struct cpuid_view *v)
{
	if (sub == 0)
		*r = (struct cpuid_result){0, 1, (1u << 8) | sub, v->vcpu_id};
	else if (sub == 1)
		*r = (struct cpuid_result){core_bits(v->vcpu_count), v->vcpu_count, (2u << 8) | sub,
					   v->vcpu_id};
	else
		*r = (struct cpuid_result){0, 0, sub & 0xff, v->vcpu_id};
}

/* Leaf 4 and AMD 8000_001Dh describe one cache per subleaf; EAX[7:5] is its
 * level and EAX[25:14] the number of logical processors sharing it, minus
 * one (SDM vol. 2A CPUID leaf 4; APM vol. 3 E.4.15 NumSharingCache).  The
 * host's count would tell its core count; the zone's: levels 1 and 2 are
 * each vCPU's own (a vCPU has its physical core to itself), level 3 is
 * shared by the whole package, every APIC ID 0..n-1.  Bits 13:10 and,
 * for 8000_001Dh, 31:26 are reserved. */
static uint32_t cache_eax(uint32_t eax, const struct cpuid_view *v)
{
	uint32_t level = (eax >> 5) & 7;
	uint32_t sharing = level >= 3 ? (1u << core_bits(v->vcpu_count)) - 1 : 0;

	return (eax & 0x000003ffu) | (sharing << 14);
}

static void apply_topology(uint32_t leaf, uint32_t sub, struct cpuid_result *r,
			   const struct cpuid_view *v)
{
	if (leaf == 0x1) {
		/* EBX[31:24] initial APIC ID, [23:16] logical processors. */
		r->ebx = (r->ebx & 0x0000ff00u) | (v->vcpu_id << 24) |
			 ((v->vcpu_count & 0xff) << 16); /* brand index [7:0] = 0: none */
		r->edx |= CPUID_1_EDX_HTT;		 /* the count field is valid */
	}
	if (leaf == 0xb || leaf == 0x1f)
		topology_leaf_b(sub, r, v);
	if (leaf == 0x4 && (r->eax & 0x1f))
		r->eax = cache_eax(r->eax, v) | ((v->vcpu_count - 1) << 26); /* cores - 1 */
	if (leaf == 0x8000001d && (r->eax & 0x1f))
		r->eax = cache_eax(r->eax, v);
	if (leaf == 0x80000008)
		r->ecx = (core_bits(v->vcpu_count) << 12) | (v->vcpu_count - 1);
	/* APM vol. 3 E.4.16: extended APIC ID; compute unit = vCPU, one thread
	 * each (EBX[15:8] = 0); node 0, one node (ECX = 0). */
	if (leaf == 0x8000001e)
		*r = (struct cpuid_result){v->vcpu_id, v->vcpu_id & 0xff, 0, 0};
}

static void brand_string(uint32_t leaf, struct cpuid_result *r)
{
	static const char brand[48] = "zonevisor virtual CPU";

	zv_memcpy(r, brand + (leaf - 0x80000002) * 16, 16);
}

/* The KVM-compatible signature (Linux Documentation/virt/kvm/x86/cpuid.rst)
 * with no paravirtual feature bits: it is what makes an unmodified Linux
 * keep the x2APIC on without interrupt remapping (x86_init.hyper.
 * x2apic_available); nothing else of KVM's interface is offered. */
static bool kvm_leaf(uint32_t leaf, struct cpuid_result *r)
{
	if (leaf == 0x40000000) {
		*r = (struct cpuid_result){0x40000001, 0x4b4d564b, 0x564b4d56, 0x0000004d};
		return true;
	}
	if (leaf == 0x40000001) {
		*r = (struct cpuid_result){0, 0, 0, 0};
		return true;
	}
	return false;
}

/* Family, model and stepping (leaf 1 and 8000_0001h EAX) are the host's,
 * as KVM and Firecracker pass them: Linux picks errata workarounds and its
 * speculative-execution mitigations by them (cpu_vuln_blacklist in
 * arch/x86/kernel/cpu/common.c, init_amd), so a made-up model could leave
 * a zone's own processes unprotected, and timing tells the generation
 * anyway.  What would name the machine stays hidden: the microcode
 * revision (MSR 8Bh reads 0), the brand string and brand index, the PSN. */
void cpuid_policy_apply(uint32_t leaf, uint32_t subleaf, struct cpuid_result *r,
			const struct cpuid_view *view)
{
	if (kvm_leaf(leaf, r))
		return;
	if (leaf_is_hidden(leaf)) {
		*r = (struct cpuid_result){0, 0, 0, 0};
		return;
	}
	if (leaf == 0x6) {
		/* Only ARAT (the APIC timer keeps running in deep C-states),
		 * so Linux needs no broadcast timer. */
		*r = (struct cpuid_result){CPUID_6_EAX_ARAT, 0, 0, 0};
		return;
	}
	if (leaf >= 0x80000002 && leaf <= 0x80000004) {
		brand_string(leaf, r);
		return;
	}
	if (leaf == 0x80000007) {
		/* Only invariant TSC: the zone's TSC is the host's,
		 * constant.  No RAS (EBX: SMCA would send Linux to MCA MSRs it
		 * cannot read), no power reporting (ECX, the rest of EDX). */
		*r = (struct cpuid_result){0, 0, 0, CPUID_80000007_EDX_INVARIANT_TSC};
		return;
	}
	for (size_t i = 0; i < sizeof(cpuid_masks) / sizeof(cpuid_masks[0]); i++) {
		if (cpuid_masks[i].leaf != leaf || (leaf == 0x7 && subleaf != 0))
			continue;
		uint32_t *reg = reg_of(r, cpuid_masks[i].reg);
		*reg = (*reg & ~cpuid_masks[i].clear) | cpuid_masks[i].set;
	}
	if (leaf == 0x7 && subleaf == 1)
		r->eax &= ~(CPUID_7_1_EAX_AVX_VNNI | CPUID_7_1_EAX_AVX512_BF16);
	apply_topology(leaf, subleaf, r, view);
}

/* Sorted by MSR number (binary search).  Everything else raises #GP, in
 * particular VM_CR, VM_HSAVE_PA and the other SVM/VMX MSRs. */
static const struct msr_policy_entry msr_table[] = {
	{0x00000010, MSR_TSC_RULE, 0, "TSC"},
	{0x00000017, MSR_ZERO, 0, "PLATFORM_ID"},
	{0x0000001b, MSR_APIC_BASE_RULE, 0, "APIC_BASE"},
	{0x0000003a, MSR_READ_CONST, 1, "FEATURE_CONTROL"}, /* locked, VMX off */
	{0x0000008b, MSR_ZERO, 0, "BIOS_SIGN_ID"},
	{0x000000fe, MSR_ZERO, 0, "MTRRCAP"}, /* no variable or fixed MTRRs */
	{0x00000179, MSR_ZERO, 0, "MCG_CAP"},
	{0x0000017a, MSR_ZERO, 0, "MCG_STATUS"},
	{0x000001a0, MSR_READ_CONST, 1, "MISC_ENABLE"}, /* fast strings */
	{0x00000277, MSR_PAT_RULE, 0, "PAT"},
	{0x000002ff, MSR_READ_CONST, 0x806, "MTRR_DEF_TYPE"}, /* enabled, WB */
	{0xc0000080, MSR_EFER_RULE, 0, "EFER"},
	{0xc0000103, MSR_TSC_AUX_RULE, 0, "TSC_AUX"}, /* RDTSCP/RDPID read it natively */
	{0xc0010015, MSR_READ_CONST, 0, "HWCR"},      /* AMD: nothing disabled */
	{0xc001001f, MSR_ZERO, 0, "NB_CFG"},	      /* AMD: no northbridge to configure */
	{0xc0011029, MSR_READ_CONST, 2, "DE_CFG"},    /* AMD: LFENCE is serializing */
};

const struct msr_policy_entry *msr_policy_lookup(uint32_t msr)
{
	static const struct msr_policy_entry deny = {0, MSR_DENY, 0, NULL};
	size_t lo = 0, hi = sizeof(msr_table) / sizeof(msr_table[0]);

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (msr_table[mid].msr == msr)
			return &msr_table[mid];
		if (msr_table[mid].msr < msr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return &deny;
}
