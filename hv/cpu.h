/* Thin wrappers around x86 instructions the hypervisor core uses. */
#ifndef ZV_CPU_H
#define ZV_CPU_H

#include <stdint.h>

/* Intel SDM vol. 4 / AMD APM vol. 2 MSR numbers. */
#define MSR_APIC_BASE	   0x1b
#define MSR_TSC_AUX	   0xc0000103
#define MSR_EFER	   0xc0000080
#define MSR_FS_BASE	   0xc0000100
#define MSR_GS_BASE	   0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_PAT		   0x277

#define RFLAGS_IF (1u << 9)

#define EFER_SCE   (1u << 0)
#define EFER_LME   (1u << 8)
#define EFER_LMA   (1u << 10)
#define EFER_NXE   (1u << 11)
#define EFER_SVME  (1u << 12)
#define EFER_FFXSR (1u << 14)

#define CR0_PE	   (1ul << 0)
#define CR0_ET	   (1ul << 4)
#define CR0_NE	   (1ul << 5)
#define CR0_WP	   (1ul << 16)
#define CR0_PG	   (1ul << 31)
#define CR4_PAE	   (1ul << 5)
#define CR4_PGE	   (1ul << 7)
#define CR4_OSFXSR (1ul << 9)
#define CR4_VMXE   (1ul << 13)

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t sub)
{
	struct cpuid_regs r;

	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(sub));
	return r;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

#define DEFINE_CR(n)                                                     \
	static inline uint64_t read_cr##n(void)                          \
	{                                                                \
		uint64_t v;                                              \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));        \
		return v;                                                \
	}                                                                \
	static inline void write_cr##n(uint64_t v)                       \
	{                                                                \
		__asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory"); \
	}
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* An access of size 1, 2 or 4 bytes (anything else is taken as 4). */
static inline uint32_t port_in_sized(uint16_t port, unsigned size)
{
	return size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
}

static inline void port_out_sized(uint16_t port, unsigned size, uint32_t v)
{
	if (size == 1)
		outb(port, (uint8_t)v);
	else if (size == 2)
		outw(port, (uint16_t)v);
	else
		outl(port, v);
}

/* TSC_AUX exists with RDTSCP or RDPID (CPUID 8000_0001h EDX bit 27, 7 ECX bit 22). */
static inline int cpu_has_tsc_aux(void)
{
	return (cpuid(0x80000001, 0).edx & (1u << 27)) || (cpuid(7, 0).ecx & (1u << 22));
}

/* IBPB: Intel CPUID.(7,0):EDX[26] (IBRS/IBPB); AMD CPUID 8000_0008 EBX[12]
 * (SDM vol. 4 and AMD "Software techniques for managing speculation"). */
#define MSR_PRED_CMD  0x49
#define PRED_CMD_IBPB 1
static inline int cpu_has_ibpb(void)
{
	if (cpuid(0, 0).eax >= 7 && (cpuid(7, 0).edx & (1u << 26)))
		return 1;
	return cpuid(0x80000000, 0).eax >= 0x80000008 && (cpuid(0x80000008, 0).ebx & (1u << 12));
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

static inline void irq_disable(void)
{
	__asm__ volatile("cli" ::: "memory");
}

/* Enables interrupts and halts in one go: sti's interrupt shadow covers hlt,
 * so a wake-up IPI cannot slip in between. */
static inline void irq_enable_and_halt(void)
{
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}

static inline __attribute__((noreturn)) void cpu_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

#endif
