/* Which CR4 bits a zone may set: only those of features its CPUID offers (SDM vol. 3A, 2.5). */
#include <stddef.h>

#include "hv/cr4_policy.h"
#include "hv/x86_bits.h"

enum leaf_reg { L1_ECX, L1_EDX, L7_EBX, L7_ECX, L7_EDX, ALWAYS };

/* CR4 bit -> the CPUID feature that makes it settable (SDM vol. 3A, 2.5 "Control registers";
 * vol. 2A, CPUID leaves 01h and 07h). */
/* clang-format off */
static const struct {
	uint8_t cr4_bit;
	enum leaf_reg reg;
	uint8_t cpuid_bit;
} cr4_features[] = {
	{0, L1_EDX, 1},   /* VME */
	{1, L1_EDX, 1},   /* PVI: with VME */
	{2, L1_EDX, 4},   /* TSD: TSC */
	{3, L1_EDX, 2},   /* DE */
	{4, L1_EDX, 3},   /* PSE */
	{5, L1_EDX, 6},   /* PAE */
	{6, L1_EDX, 7},   /* MCE */
	{7, L1_EDX, 13},  /* PGE */
	{8, ALWAYS, 0},   /* PCE: RDPMC is intercepted anyway */
	{9, L1_EDX, 24},  /* OSFXSR: FXSR */
	{10, L1_EDX, 25}, /* OSXMMEXCPT: SSE */
	{11, L7_ECX, 2},  /* UMIP */
	{12, L7_ECX, 16}, /* LA57 */
	{13, L1_ECX, 5},  /* VMXE: VMX */
	{14, L1_ECX, 6},  /* SMXE: SMX */
	{16, L7_EBX, 0},  /* FSGSBASE */
	{17, L1_ECX, 17}, /* PCIDE: PCID */
	{18, L1_ECX, 26}, /* OSXSAVE: XSAVE */
	{19, L7_ECX, 23}, /* KL: Key Locker */
	{20, L7_EBX, 7},  /* SMEP */
	{21, L7_EBX, 20}, /* SMAP */
	{22, L7_ECX, 3},  /* PKE: PKU */
	{23, L7_ECX, 7},  /* CET: CET_SS */
	{24, L7_ECX, 31}, /* PKS */
	{25, L7_EDX, 5},  /* UINTR */
};
/* clang-format on */

static uint32_t reg_value(enum leaf_reg reg, const struct cpuid_result *l1,
			  const struct cpuid_result *l7)
{
	switch (reg) {
	case L1_ECX: return l1->ecx;
	case L1_EDX: return l1->edx;
	case L7_EBX: return l7->ebx;
	case L7_ECX: return l7->ecx;
	case L7_EDX: return l7->edx;
	default: return ~0u;
	}
}

uint64_t cr4_zone_allowed(const struct cpuid_result *leaf1, const struct cpuid_result *leaf7)
{
	uint64_t allowed = 0;

	for (size_t i = 0; i < sizeof(cr4_features) / sizeof(cr4_features[0]); i++)
		if (reg_value(cr4_features[i].reg, leaf1, leaf7) &
		    (1u << cr4_features[i].cpuid_bit))
			allowed |= 1ull << cr4_features[i].cr4_bit;
	return allowed;
}

int cr4_write_faults(uint64_t val, uint64_t old, uint64_t allowed, int long_mode, uint64_t cr3)
{
	if (val & ~allowed)
		return 1;
	if (long_mode && (!(val & CR4_PAE) || ((val ^ old) & CR4_LA57)))
		return 1;
	if ((val & CR4_PCIDE) && !(old & CR4_PCIDE) && (!long_mode || (cr3 & 0xfff)))
		return 1;
	return 0;
}
