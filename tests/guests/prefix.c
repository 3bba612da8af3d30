/* prefix: intercepted instructions with redundant prefixes must resume at the next instruction. */
#include "lib.h"

/* Each block runs one prefixed encoding, then a marker move the hypervisor
 * would skip or split if it advanced RIP by the unprefixed length. */
static uint32_t cpuid_prefixed(void)
{
	uint32_t a = 0, b, c = 0, d, marker;

	/* 66 2E 0F A2: CPUID with operand-size and CS prefixes (4 bytes). */
	__asm__ volatile(".byte 0x66, 0x2e, 0x0f, 0xa2\n\t"
			 "movl $0x600d, %4"
			 : "+a"(a), "=b"(b), "+c"(c), "=d"(d), "=r"(marker));
	return marker;
}

static uint32_t rdmsr_prefixed(void)
{
	uint32_t lo, hi, marker;

	/* 3E 3E 0F 32: RDMSR (TSC) with two DS prefixes (4 bytes). */
	__asm__ volatile(".byte 0x3e, 0x3e, 0x0f, 0x32\n\t"
			 "movl $0x600d, %2"
			 : "=a"(lo), "=d"(hi), "=r"(marker)
			 : "c"(0x10));
	return marker;
}

int guest_main(uint32_t magic, const struct mb_info *info)
{
	(void)magic;
	(void)info;
	idt_install();
	printf("prefix: cpuid %s\n", cpuid_prefixed() == 0x600d ? "ok" : "broken");
	printf("prefix: rdmsr %s\n", rdmsr_prefixed() == 0x600d ? "ok" : "broken");
	return 0;
}
