/* Unit tests of the zone CPUID/MSR policy (hv/policy.c) and the virtual UART (zones/uart.c). */
#include <string.h>

#include "hv/policy.h"
#include "tests/unit/test.h"
#include "zones/uart.h"

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
