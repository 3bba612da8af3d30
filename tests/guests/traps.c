/* traps: #DB and #AC reach the zone's own handlers; WBINVD returns; MONITOR, MWAIT, RDPMC fault. */
#include "hv/x86_bits.h"
#include "lib.h"

#define VEC_DB	 1
#define VEC_AC	 17
#define EFL_AC	 (1u << 18)
#define EFL_IOPL (3u << 12)
#define SEL_TSS	 0x28
#define SEL_UCS	 0x1b /* 0x18 | RPL 3 */
#define SEL_UDS	 0x23 /* 0x20 | RPL 3 */

/* SDM vol. 3A, 8.2.1: the 32-bit TSS; only SS0:ESP0 matter (ring 3 -> 0). */
static struct {
	uint32_t link, esp0, ss0, unused[22];
	uint16_t trap, iomap;
} tss;
static uint64_t gdt[6];
static uint8_t ring3_stack[4096] __attribute__((aligned(16)));
static uint8_t ring0_stack[4096] __attribute__((aligned(16)));
static volatile uint32_t watched;
static uint8_t misaligned[8] __attribute__((aligned(8)));

static uint64_t descriptor(uint32_t base, uint32_t limit, uint32_t access, uint32_t flags)
{
	return (uint64_t)(limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 |
	       (uint64_t)access << 40 | (uint64_t)((limit >> 16) & 0xf) << 48 |
	       (uint64_t)flags << 52 | (uint64_t)(base >> 24) << 56;
}

/* The boot GDT's kernel segments plus ring-3 code/data and a TSS. */
static void load_gdt_with_ring3(void)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint32_t base;
	} ptr = {sizeof(gdt) - 1, (uint32_t)(uintptr_t)gdt};

	gdt[1] = descriptor(0, 0xfffff, 0x9b, 0xc);
	gdt[2] = descriptor(0, 0xfffff, 0x93, 0xc);
	gdt[3] = descriptor(0, 0xfffff, 0xfb, 0xc); /* DPL 3 code */
	gdt[4] = descriptor(0, 0xfffff, 0xf3, 0xc); /* DPL 3 data */
	gdt[5] = descriptor((uint32_t)(uintptr_t)&tss, sizeof(tss) - 1, 0x89, 0);
	tss.ss0 = 0x10;
	tss.esp0 = (uint32_t)(uintptr_t)(ring0_stack + sizeof(ring0_stack));
	tss.iomap = sizeof(tss); /* no I/O bitmap: IOPL 3 decides */
	__asm__ volatile("lgdt %0; ltr %w1" ::"m"(ptr), "r"(SEL_TSS) : "memory");
}

/* A data breakpoint (DR0, write, 4 bytes): the zone's #DB handler runs. */
static void db_breakpoint(void)
{
	uint32_t dr6;

	__asm__ volatile("mov %0, %%dr0" ::"r"((uint32_t)(uintptr_t)&watched));
	__asm__ volatile("mov %0, %%dr7" ::"r"(0x1u | (1u << 16) | (3u << 18)));
	fault_expect(VEC_DB, 0); /* a trap: EIP is already past the write */
	watched = 1;
	__asm__ volatile("mov %0, %%dr7" ::"r"(0x400u));
	__asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
	printf("traps: #DB %s (dr6 B0 %u)\n", fault_taken() ? "delivered" : "lost", dr6 & 1);
}

static volatile uint32_t rdpmc_vector = ~0u;

/* Plain QEMU answers RDPMC with #UD (it has no counters), zonevisor with #GP. */
static int rdpmc_hook(uint32_t vector, uint32_t error, uint32_t *eip)
{
	(void)error;
	if (vector != VEC_GP && vector != VEC_UD)
		return 0;
	rdpmc_vector = vector;
	*eip += 2; /* 0F 33 */
	return 1;
}

static void rdpmc_faults(void)
{
	set_exception_hook(rdpmc_hook);
	__asm__ volatile("rdpmc" ::"c"(0) : "eax", "edx");
	set_exception_hook(NULL);
	printf("traps: RDPMC -> %s\n", rdpmc_vector == VEC_GP	? "#GP"
				       : rdpmc_vector == VEC_UD ? "#UD"
								: "a value");
}

static void ud_insn(const char *name, int monitor)
{
	fault_expect(VEC_UD, 3);
	if (monitor)
		__asm__ volatile("monitor" ::"a"(&watched), "c"(0), "d"(0));
	else
		__asm__ volatile("mwait" ::"a"(0), "c"(0));
	printf("traps: %s -> %s\n", name, fault_taken() ? "#UD" : "ran");
}

/* Runs at CPL 3 with IOPL 3 (the console and exit ports still work). */
static void __attribute__((noreturn, used)) ring3_main(void)
{
	uint32_t v;

	fault_expect(VEC_AC, 3); /* mov 1(%ecx), %eax: 8B 41 01 */
	__asm__ volatile("movl 1(%%ecx), %%eax" : "=a"(v) : "c"(misaligned));
	printf("traps: #AC %s at CPL 3\n", fault_taken() ? "delivered" : "lost");
	printf("traps: done\n");
	exit_with(0);
}

/* CR0.AM plus EFLAGS.AC at CPL 3: a misaligned load raises #AC (SDM vol. 3A, 6.15). */
static void __attribute__((noreturn)) enter_ring3(void)
{
	uint32_t cr0;

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	__asm__ volatile("mov %0, %%cr0" ::"r"(cr0 | CR0_AM));
	__asm__ volatile("pushl %0\n\t pushl %1\n\t pushl %2\n\t pushl %3\n\t pushl $1f\n\t iret\n"
			 "1:\t mov %0, %%eax\n\t mov %%eax, %%ds\n\t mov %%eax, %%es\n\t"
			 "call ring3_main" ::"i"(SEL_UDS),
			 "r"((uint32_t)(uintptr_t)(ring3_stack + sizeof(ring3_stack))),
			 "i"(EFL_AC | EFL_IOPL | 2), "i"(SEL_UCS)
			 : "eax", "memory");
	__builtin_unreachable();
}

int guest_main(uint32_t magic, const struct mb_info *info)
{
	(void)magic;
	(void)info;
	idt_install();
	load_gdt_with_ring3();
	db_breakpoint();
	__asm__ volatile("wbinvd" ::: "memory");
	printf("traps: WBINVD returned\n");
	rdpmc_faults();
	ud_insn("MONITOR", 1);
	ud_insn("MWAIT", 0);
	enter_ring3();
}
