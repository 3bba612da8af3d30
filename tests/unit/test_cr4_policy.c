/* Unit tests of which CR4 bits a zone may set (hv/cr4_policy.c) given the zone's CPUID. */
#include "hv/cpuid_msr.h"
#include "hv/cr4_policy.h"
#include "hv/x86_bits.h"
#include "tests/unit/test.h"

static const struct cpuid_view one = {0, 1};

/* A host that has everything: every feature bit of leaves 1 and 7 set. */
static uint64_t allowed_on_full_host(void)
{
	struct cpuid_result l1 = {0, 0, 0xffffffff, 0xffffffff};
	struct cpuid_result l7 = {0, 0xffffffff, 0xffffffff, 0xffffffff};

	cpuid_policy_apply(1, 0, &l1, &one);
	cpuid_policy_apply(7, 0, &l7, &one);
	return cr4_zone_allowed(&l1, &l7);
}

TEST(cr4_refuses_features_the_zone_policy_hides)
{
	uint64_t a = allowed_on_full_host();

	CHECK((a & CR4_OSXSAVE) == 0); /* XSAVE hidden: XCR0 is not switched per zone */
	CHECK((a & CR4_PKE) == 0);     /* PKU hidden */
	CHECK((a & CR4_VMXE) == 0);
	CHECK((a & (1ull << 14)) == 0); /* SMXE */
	CHECK((a & CR4_PAE) && (a & CR4_OSFXSR) && (a & CR4_PCIDE));
}

TEST(cr4_reserved_bits_never_allowed)
{
	uint64_t a = allowed_on_full_host();

	CHECK((a & (1ull << 15)) == 0);
	CHECK((a >> 26) == 0);
}

TEST(cr4_follows_the_host_when_it_lacks_a_feature)
{
	struct cpuid_result l1 = {0, 0, 0, 0xffffffff}, l7 = {0, 0, 0, 0};

	CHECK((cr4_zone_allowed(&l1, &l7) & (CR4_PCIDE | CR4_LA57)) == 0);
	CHECK(cr4_zone_allowed(&l1, &l7) & CR4_PAE);
}

TEST(cr4_write_checks_of_sdm_2_6_2_1)
{
	uint64_t a = allowed_on_full_host(), lm_cr4 = CR4_PAE | CR4_OSFXSR;

	CHECK(cr4_write_faults(lm_cr4 | CR4_OSXSAVE, lm_cr4, a, 1, 0));
	CHECK(cr4_write_faults(lm_cr4 | CR4_PKE, lm_cr4, a, 1, 0));
	CHECK(!cr4_write_faults(lm_cr4 | (1ull << 7), lm_cr4, a, 1, 0)); /* PGE */
	CHECK(cr4_write_faults(CR4_OSFXSR, lm_cr4, a, 1, 0));		 /* PAE off in IA-32e */
	CHECK(!cr4_write_faults(CR4_OSFXSR, lm_cr4, a, 0, 0));		 /* fine outside it */
	CHECK(cr4_write_faults(lm_cr4 ^ CR4_LA57, lm_cr4, a, 1, 0));	 /* LA57 toggled */
	CHECK(cr4_write_faults(lm_cr4 | CR4_PCIDE, lm_cr4, a, 1, 0x1000 | 5)); /* CR3[11:0] */
	CHECK(cr4_write_faults(CR4_PCIDE, 0, a, 0, 0)); /* PCIDE outside IA-32e */
	CHECK(!cr4_write_faults(lm_cr4 | CR4_PCIDE, lm_cr4, a, 1, 0x1000));
	CHECK(cr4_write_faults(lm_cr4 | (1ull << 40), lm_cr4, a, 1, 0));
}
