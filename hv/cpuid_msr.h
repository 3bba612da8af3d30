/* CPUID and MSR policy for zones: what a guest may see and touch (pure; host-tested). */
#ifndef ZV_CPUID_MSR_H
#define ZV_CPUID_MSR_H

#include <stdint.h>

struct cpuid_result {
	uint32_t eax, ebx, ecx, edx;
};

struct cpuid_view {
	uint32_t vcpu_id; /* becomes the APIC ID the guest sees */
	uint32_t vcpu_count;
};

/* Turns the host's answer *r for (leaf, subleaf) into the zone's answer. */
void cpuid_policy_apply(uint32_t leaf, uint32_t subleaf, struct cpuid_result *r,
			const struct cpuid_view *view);

enum msr_rule {
	MSR_DENY = 0,	    /* #GP on read and write (the default) */
	MSR_EFER_RULE,	    /* EFER: SVME hidden, may not be set */
	MSR_TSC_RULE,	    /* reads the TSC; writes refused */
	MSR_PAT_RULE,	    /* the guest PAT in the control block */
	MSR_ZERO,	    /* reads as 0, writes ignored (absent features) */
	MSR_READ_CONST,	    /* reads a fixed value, writes ignored */
	MSR_APIC_BASE_RULE, /* x2APIC enabled at 0xFEE00000; may only be rewritten as is */
	MSR_TSC_AUX_RULE,   /* the hardware TSC_AUX, owned by the zone while it runs */
};

struct msr_policy_entry {
	uint32_t msr;
	enum msr_rule rule;
	uint64_t value; /* for MSR_READ_CONST */
	const char *name;
};

/* The rule for msr; MSR_DENY (with name NULL) when the MSR is not listed. */
const struct msr_policy_entry *msr_policy_lookup(uint32_t msr);

#endif
