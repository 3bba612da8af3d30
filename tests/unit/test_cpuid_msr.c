/* Unit tests of the zone CPUID/MSR policy (hv/cpuid_msr.c) and the virtual UART
 * (zones/platform/uart.c). */
#include <string.h>

#include "hv/cpuid_msr.h"
#include "tests/unit/test.h"
#include "zones/platform/uart.h"

static const struct cpuid_view one = {0, 1};

TEST(cpuid_hides_svm_and_vmx)
{
	struct cpuid_result r = {0, 0, 0xffffffff, 0xffffffff};

	cpuid_policy_apply(0x80000001, 0, &r, &one);
	CHECK((r.ecx & (1u << 2)) == 0);
	r = (struct cpuid_result){0, 0xff000000, 0xffffffff, 0xffffffff};
	cpuid_policy_apply(1, 0, &r, &one);
	CHECK((r.ecx & (1u << 5)) == 0);  /* VMX */
	CHECK((r.ecx & (1u << 31)) != 0); /* hypervisor present */
	CHECK((r.edx & (1u << 18)) == 0); /* serial number */
	CHECK_EQ_U64(r.ebx >> 24, 0);	  /* APIC ID = vCPU id */
}

TEST(cpuid_hidden_leaves_are_zero)
{
	uint32_t leaves[] = {3, 0xd, 0x8000000a, 0x8000001f, 0x40000002, 0x40000100, 0x4fffffff};

	for (unsigned i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		struct cpuid_result r = {1, 2, 3, 4};

		cpuid_policy_apply(leaves[i], 0, &r, &one);
		CHECK(r.eax == 0 && r.ebx == 0 && r.ecx == 0 && r.edx == 0);
	}
}

TEST(cpuid_brand_is_generic)
{
	char brand[49] = {0};

	for (uint32_t l = 0x80000002; l <= 0x80000004; l++) {
		struct cpuid_result r = {0x41414141, 0x41414141, 0x41414141, 0x41414141};

		cpuid_policy_apply(l, 0, &r, &one);
		memcpy(brand + (l - 0x80000002) * 16, &r, 16);
	}
	CHECK_STR(brand, "zonevisor virtual CPU");
}

TEST(cpuid_topology_uses_vcpu_id)
{
	struct cpuid_view v = {3, 4};
	struct cpuid_result r = {0, 0x07000000, 0, 0};

	cpuid_policy_apply(1, 0, &r, &v);
	CHECK_EQ_U64(r.ebx >> 24, 3);
	CHECK_EQ_U64((r.ebx >> 16) & 0xff, 4);
	r = (struct cpuid_result){0, 0, 0, 99};
	cpuid_policy_apply(0xb, 0, &r, &v);
	CHECK_EQ_U64(r.edx, 3);
}

static struct cpuid_result apply(uint32_t leaf, uint32_t sub, struct cpuid_result r,
				 const struct cpuid_view *v)
{
	cpuid_policy_apply(leaf, sub, &r, v);
	return r;
}

TEST(cpuid_passes_the_hosts_family_model_stepping)
{
	/* EPYC 7763: family 19h, model 01h, stepping 1 (0x00a00f11). */
	CHECK_EQ_U64(apply(1, 0, (struct cpuid_result){0x00a00f11, 0, 0, 0}, &one).eax, 0x00a00f11);
	CHECK_EQ_U64(apply(0x80000001, 0, (struct cpuid_result){0x00a00f11, 0, 0, 0}, &one).eax,
		     0x00a00f11);
	/* The brand index (leaf 1 EBX[7:0]) is not passed; the CLFLUSH size is. */
	CHECK_EQ_U64(apply(1, 0, (struct cpuid_result){0, 0x00000816, 0, 0}, &one).ebx & 0xffff,
		     0x0800);
}

/* Leaf 4 / 8000_001Dh EAX for a cache of `level` shared by host_sharing + 1. */
static uint32_t cache_eax(uint32_t level, uint32_t host_sharing)
{
	return (host_sharing << 14) | (level << 5) | (1u << 8) | 1; /* self-initialising data */
}

TEST(cpuid_cache_sharing_is_the_zones)
{
	struct cpuid_view three = {1, 3};
	uint32_t leaves[] = {0x4, 0x8000001d};

	for (unsigned i = 0; i < 2; i++) {
		uint32_t l1 =
			apply(leaves[i], 0, (struct cpuid_result){cache_eax(1, 1), 0, 0, 0}, &three)
				.eax;
		uint32_t l2 =
			apply(leaves[i], 2, (struct cpuid_result){cache_eax(2, 1), 0, 0, 0}, &three)
				.eax;
		uint32_t l3 = apply(leaves[i], 3, (struct cpuid_result){cache_eax(3, 127), 0, 0, 0},
				    &three)
				      .eax;
		uint32_t l3_one =
			apply(leaves[i], 3, (struct cpuid_result){cache_eax(3, 127), 0, 0, 0}, &one)
				.eax;

		CHECK_EQ_U64((l1 >> 14) & 0xfff, 0); /* each vCPU's own */
		CHECK_EQ_U64((l2 >> 14) & 0xfff, 0);
		CHECK_EQ_U64((l3 >> 14) & 0xfff, 3); /* APIC IDs 0..3 cover the 3 vCPUs */
		CHECK_EQ_U64((l3_one >> 14) & 0xfff, 0);
		CHECK_EQ_U64(l3 & 0x3ff, cache_eax(3, 0) & 0x3ff); /* type, level kept */
	}
	/* Leaf 4 EAX[31:26] is the zone's cores, 8000_001Dh's are reserved. */
	CHECK_EQ_U64(
		apply(4, 0, (struct cpuid_result){0xfc000000u | cache_eax(1, 1), 0, 0, 0}, &three)
				.eax >>
			26,
		2);
	CHECK_EQ_U64(apply(0x8000001d, 0,
			   (struct cpuid_result){0xfc000000u | cache_eax(1, 1), 0, 0, 0}, &three)
				     .eax >>
			     26,
		     0);
	/* Subleaves past the last cache (type 0) stay all zero. */
	CHECK_EQ_U64(apply(0x8000001d, 4, (struct cpuid_result){0, 0, 0, 0}, &three).eax, 0);
}

TEST(cpuid_pmu_is_hidden)
{
	struct cpuid_result ones = {~0u, ~0u, ~0u, ~0u}, r;
	uint32_t pmu_leaves[] = {0xa, 0x80000022, 0x8000001b, 0xf, 0x10, 0x80000020};

	for (unsigned i = 0; i < sizeof(pmu_leaves) / sizeof(pmu_leaves[0]); i++) {
		r = apply(pmu_leaves[i], 0, ones, &one);
		CHECK(r.eax == 0 && r.ebx == 0 && r.ecx == 0 && r.edx == 0);
	}
	r = apply(1, 0, ones, &one);
	CHECK((r.ecx & (1u << 15)) == 0);			     /* PDCM: PERF_CAPABILITIES */
	CHECK((r.ecx & (1u << 2)) == 0 && (r.ecx & (1u << 4)) == 0); /* DTES64, DS-CPL */
	CHECK((r.edx & (1u << 21)) == 0);			     /* DS */
	r = apply(0x80000001, 0, ones, &one);
	CHECK((r.ecx & (1u << 10)) == 0); /* IBS */
	CHECK((r.ecx & (1u << 23)) == 0); /* PerfCtrExtCore */
	CHECK((r.ecx & (1u << 24)) == 0); /* PerfCtrExtNB */
	CHECK((r.ecx & (1u << 27)) == 0); /* PerfTsc */
	CHECK((r.ecx & (1u << 28)) == 0); /* PerfCtrExtLLC */
	r = apply(7, 0, ones, &one);
	CHECK((r.ebx & ((1u << 12) | (1u << 15))) == 0); /* RDT */
}

TEST(cpuid_hides_monitor_and_monitorx)
{
	struct cpuid_result ones = {~0u, ~0u, ~0u, ~0u};

	CHECK((apply(1, 0, ones, &one).ecx & (1u << 3)) == 0);		 /* MONITOR/MWAIT */
	CHECK((apply(0x80000001, 0, ones, &one).ecx & (1u << 29)) == 0); /* MONITORX/MWAITX */
	/* What Linux needs of 8000_0001 ECX stays. */
	CHECK((apply(0x80000001, 0, ones, &one).ecx & 1u) != 0);	 /* LAHF/SAHF */
	CHECK((apply(0x80000001, 0, ones, &one).ecx & (1u << 5)) != 0);	 /* LZCNT */
	CHECK((apply(0x80000001, 0, ones, &one).ecx & (1u << 22)) != 0); /* TOPOEXT */
}

TEST(cpuid_amd_topology_and_power_leaves_are_the_zones)
{
	struct cpuid_view v = {2, 4};
	struct cpuid_result ones = {~0u, ~0u, ~0u, ~0u}, r;

	r = apply(0x8000001e, 0, ones, &v);
	CHECK_EQ_U64(r.eax, 2);		    /* extended APIC ID */
	CHECK_EQ_U64(r.ebx, 2);		    /* core 2, one thread (EBX[15:8] = 0) */
	CHECK(r.ecx == 0 && r.edx == 0);    /* node 0 of one */
	r = apply(0x80000026, 0, ones, &v); /* the host's extended topology */
	CHECK(r.eax == 0 && r.ebx == 0 && r.ecx == 0 && r.edx == 0);
	r = apply(0x80000008, 0, ones, &v);
	CHECK_EQ_U64(r.ecx, (2u << 12) | 3); /* APIC ID size 2, 4 cores */
	r = apply(0x80000007, 0, ones, &v);
	CHECK(r.eax == 0 && r.ebx == 0 && r.ecx == 0); /* no RAS (SMCA), no power sampling */
	CHECK_EQ_U64(r.edx, 1u << 8);		       /* invariant TSC only */
	r = apply(0x80000021, 0, ones, &v);
	CHECK((r.eax & (1u << 8)) == 0); /* AutomaticIBRS: EFER bit 21 is refused */
	r = apply(0x1a, 0, ones, &v);	 /* hybrid core type */
	CHECK(r.eax == 0);
}

TEST(msr_policy_denies_hypervisor_msrs)
{
	uint32_t denied[] = {0xc0010114, 0xc0010117, 0xc0010118, 0x48, 0x49,
			     0x10a,	 0x480,	     0xffffffff, 0};

	for (unsigned i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
		CHECK(msr_policy_lookup(denied[i])->rule == MSR_DENY);
	CHECK(msr_policy_lookup(0xc0000080)->rule == MSR_EFER_RULE);
	CHECK(msr_policy_lookup(0x10)->rule == MSR_TSC_RULE);
	CHECK(msr_policy_lookup(0x277)->rule == MSR_PAT_RULE);
}

static char lines[8][UART_LINE_MAX + 1];
static int nlines;

static void collect(void *ctx, const char *line)
{
	(void)ctx;
	strcpy(lines[nlines++ % 8], line);
}

TEST(uart_lines_and_escape_filtering)
{
	struct zone_uart u;
	const char *s = "hi\x1b[2J\r\nok";

	memset(&u, 0, sizeof(u));
	nlines = 0;
	for (; *s; s++)
		uart_write(&u, 0, (uint8_t)*s, collect, NULL);
	CHECK_EQ_U64(nlines, 1);
	CHECK_STR(lines[0], "hi.[2J");
	uart_flush(&u, collect, NULL);
	CHECK_STR(lines[1], "ok");
	CHECK_EQ_U64(uart_read(&u, 5) & 0x60, 0x60); /* transmitter empty */
}

TEST(uart_long_line_is_split_not_overflowed)
{
	struct zone_uart u;

	memset(&u, 0, sizeof(u));
	nlines = 0;
	for (int i = 0; i < 3 * UART_LINE_MAX + 5; i++)
		uart_write(&u, 0, 'x', collect, NULL);
	CHECK_EQ_U64(nlines, 3);
	CHECK_EQ_U64(strlen(lines[0]), UART_LINE_MAX);
}

TEST(uart_divisor_latch)
{
	struct zone_uart u;

	memset(&u, 0, sizeof(u));
	nlines = 0;
	uart_write(&u, 3, 0x80, collect, NULL); /* DLAB */
	uart_write(&u, 0, 0x01, collect, NULL);
	uart_write(&u, 1, 0x00, collect, NULL);
	CHECK_EQ_U64(uart_read(&u, 0), 1);
	CHECK_EQ_U64(nlines, 0); /* divisor writes are not data */
	uart_write(&u, 3, 0x03, collect, NULL);
	CHECK_EQ_U64(uart_read(&u, 3), 3);
}
