/* Per-CPU data, reached through GS: this_cpu() is valid on every CPU after cpu_setup(). */
#ifndef ZV_PERCPU_H
#define ZV_PERCPU_H

#include <stdint.h>

#include "hv/bootinfo.h"

#define HV_STACK_SIZE  (16 * 1024)
#define IST_STACK_SIZE (4 * 1024)

/* Intel SDM vol. 3A, 8.2.1 / AMD APM vol. 2, 12.2.5: the 64-bit TSS. */
struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct vcpu;

struct percpu {
	struct percpu *self; /* first: gs:0 reads it */
	uint32_t index;	     /* 0 is the BSP */
	uint32_t apic_id;
	uint64_t stack_top;
	volatile uint32_t online;
	uint32_t virt_ready;		/* the virtualization backend is enabled here */
	uint64_t virt_area;		/* backend's per-CPU page (host save area / VMXON) */
	struct vcpu *current;		/* the vCPU this CPU is running, or NULL */
	struct vcpu *volatile assigned; /* handed over by the BSP; run when set */
	/* Events that came to the hypervisor and were dropped (hv/trap.c). */
	volatile uint32_t stray_nmis, stray_interrupts, stray_inits;
	uint64_t gdt[7]; /* null, code64, data, tss (2 slots), spare */
	struct tss64 tss;
	uint8_t ist_stack[IST_STACK_SIZE] __attribute__((aligned(16)));
};

#define GDT_CODE64 0x08
#define GDT_DATA   0x10
#define GDT_TSS	   0x18

extern struct percpu *cpus[ZV_MAX_CPUS];
extern uint32_t cpu_count;

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;

	__asm__ volatile("mov %%gs:0, %0" : "=r"(p));
	return p;
}

/* Loads this CPU's GDT, TSS, IDT and GS base.  p is zeroed except index,
 * apic_id and stack_top. */
void cpu_setup(struct percpu *p);

#endif
