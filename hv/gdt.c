/* Per-CPU GDT and TSS, the shared IDT, and GS base: the descriptor tables of cpu_setup(). */
#include "hv/cpu.h"
#include "hv/fpu.h"
#include "hv/idt.h"
#include "hv/percpu.h"

struct percpu *cpus[ZV_MAX_CPUS];
uint32_t cpu_count;

struct __attribute__((packed)) table_ptr {
	uint16_t limit;
	uint64_t base;
};

/* AMD APM vol. 2, 4.8: long-mode code segment: P, DPL0, S, type=code, L. */
#define SEG_CODE64 0x00209a0000000000ull
#define SEG_DATA   0x0000920000000000ull /* P, S, writable data */

static void set_tss_descriptor(uint64_t *slot, const struct tss64 *tss)
{
	uint64_t base = (uint64_t)tss, limit = sizeof(*tss) - 1;

	/* APM vol. 2, 4.8.3: 16-byte system descriptor, type 9 (available TSS). */
	slot[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
		  (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	slot[1] = base >> 32;
}

static void load_gdt(struct percpu *p)
{
	struct table_ptr gp = {sizeof(p->gdt) - 1, (uint64_t)p->gdt};

	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n\t"
			 "1: mov %2, %%ax\n\t"
			 "mov %%ax, %%ds\n\t"
			 "mov %%ax, %%es\n\t"
			 "mov %%ax, %%ss\n\t"
			 "xor %%eax, %%eax\n\t"
			 "mov %%ax, %%fs\n\t"
			 "mov %%ax, %%gs\n\t"
			 :
			 : "m"(gp), "i"(GDT_CODE64), "i"(GDT_DATA)
			 : "rax", "memory");
	__asm__ volatile("ltr %w0" ::"r"(GDT_TSS));
}

void cpu_setup(struct percpu *p)
{
	p->self = p;
	p->gdt[0] = 0;
	p->gdt[1] = SEG_CODE64;
	p->gdt[2] = SEG_DATA;
	set_tss_descriptor(&p->gdt[3], &p->tss);
	p->tss.ist[IST_FAULT - 1] = (uint64_t)p->ist_stack + IST_STACK_SIZE;
	p->tss.iomap_base = sizeof(p->tss); /* no I/O bitmap */
	load_gdt(p);
	idt_load();
	wrmsr(MSR_GS_BASE, (uint64_t)p);
	fpu_cpu_init();
	cpus[p->index] = p;
}
