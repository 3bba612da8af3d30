/* CPUID and MSR policy tables for zones. */
#include "hv/policy.h"
#include "hv/lib/string.h"

enum cpuid_reg { EAX, EBX, ECX, EDX };

/* Bits cleared from the host's answer (Intel SDM vol. 2A CPUID; AMD APM
 * vol. 3 appendix E).  Hidden: virtualization, features a zone cannot use
 * safely (monitor/mwait, PT, SGX), and host identity (serial number). */
static const struct {
	uint32_t leaf;
	enum cpuid_reg reg;
	uint32_t clear;
	uint32_t set;
} cpuid_masks[] = {
	{0x1, ECX, (1u << 3) | (1u << 5) | (1u << 6) | (1u << 21) | (1u << 24), 1u << 31},
	/* MONITOR, VMX, SMX, x2APIC and TSC-deadline (no virtual APIC yet); set HYPERVISOR */
	{0x1, EDX, (1u << 18) | (1u << 22) | (1u << 29), 0},	   /* PSN, ACPI thermal, TM */
	{0x7, EBX, (1u << 2) | (1u << 25), 0},			   /* SGX, Intel PT */
	{0x7, ECX, (1u << 5), 0},				   /* WAITPKG */
	{0x80000001, ECX, (1u << 2) | (1u << 12) | (1u << 13), 0}, /* SVM, SKINIT, WDT */
};

/* Leaves answered with zeros: serial number, thermal/power, SGX, PT, SVM,
 * SEV; and the hypervisor range, which would reveal our internals. */
static int leaf_is_hidden(uint32_t leaf)
{
	return leaf == 0x3 || leaf == 0x6 || leaf == 0x12 || leaf == 0x14 || leaf == 0x8000000a ||
	       leaf == 0x8000001f || (leaf >= 0x40000000 && leaf <= 0x4fffffff);
}

static uint32_t *reg_of(struct cpuid_result *r, enum cpuid_reg reg)
{
	return reg == EAX ? &r->eax : reg == EBX ? &r->ebx : reg == ECX ? &r->ecx : &r->edx;
}

static void apply_topology(uint32_t leaf, struct cpuid_result *r, const struct cpuid_view *v)
{
	if (leaf == 0x1) {
		/* EBX[31:24] initial APIC ID, [23:16] logical processors. */
		r->ebx = (r->ebx & 0x0000ffffu) | (v->vcpu_id << 24) |
			 ((v->vcpu_count & 0xff) << 16);
		r->edx |= 1u << 28; /* HTT: the count field is valid */
	}
	if (leaf == 0xb || leaf == 0x1f)
		r->edx = v->vcpu_id; /* x2APIC ID */
}

static void brand_string(uint32_t leaf, struct cpuid_result *r)
{
	static const char brand[48] = "zonevisor virtual CPU";

	zv_memcpy(r, brand + (leaf - 0x80000002) * 16, 16);
}

void cpuid_policy_apply(uint32_t leaf, uint32_t subleaf, struct cpuid_result *r,
			const struct cpuid_view *view)
{
	(void)subleaf;
	if (leaf_is_hidden(leaf)) {
		*r = (struct cpuid_result){0, 0, 0, 0};
		return;
	}
	if (leaf >= 0x80000002 && leaf <= 0x80000004) {
		brand_string(leaf, r);
		return;
	}
	for (size_t i = 0; i < sizeof(cpuid_masks) / sizeof(cpuid_masks[0]); i++) {
		if (cpuid_masks[i].leaf != leaf || (leaf == 0x7 && subleaf != 0))
			continue;
		uint32_t *reg = reg_of(r, cpuid_masks[i].reg);
		*reg = (*reg & ~cpuid_masks[i].clear) | cpuid_masks[i].set;
	}
	apply_topology(leaf, r, view);
}

/* Sorted by MSR number (binary search).  Everything else raises #GP, in
 * particular VM_CR, VM_HSAVE_PA and the other SVM/VMX MSRs. */
static const struct msr_policy_entry msr_table[] = {
	{0x00000010, MSR_TSC_RULE, 0, "TSC"},
	{0x0000001b, MSR_APIC_BASE_RULE, 0, "APIC_BASE"},
	{0x0000008b, MSR_ZERO, 0, "BIOS_SIGN_ID"},
	{0x000000fe, MSR_ZERO, 0, "MTRRCAP"}, /* no variable or fixed MTRRs */
	{0x00000179, MSR_ZERO, 0, "MCG_CAP"},
	{0x0000017a, MSR_ZERO, 0, "MCG_STATUS"},
	{0x000001a0, MSR_READ_CONST, 1, "MISC_ENABLE"}, /* fast strings */
	{0x00000277, MSR_PAT_RULE, 0, "PAT"},
	{0x000002ff, MSR_READ_CONST, 0x806, "MTRR_DEF_TYPE"}, /* enabled, WB */
	{0xc0000080, MSR_EFER_RULE, 0, "EFER"},
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
