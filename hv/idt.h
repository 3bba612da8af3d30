/* The interrupt descriptor table and the trap frame its stubs build. */
#ifndef ZV_IDT_H
#define ZV_IDT_H

#include <stdint.h>

#define IST_FAULT	1    /* IST slot for #DF, NMI and #MC: they may come on a bad stack */
#define VECTOR_TIMER	0xef /* this CPU's APIC timer: a zone's APIC timer deadline */
#define VECTOR_WAKEUP	0xf0 /* IPI that only interrupts a halted CPU */
#define VECTOR_SPURIOUS 0xff

/* Pushed by hv/isr.S, lowest address first. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* Builds the IDT once (BSP, before any cpu_setup). */
void idt_init(void);
/* Loads it on this CPU. */
void idt_load(void);
/* Called by the stubs. */
void trap_dispatch(struct trap_frame *f);

#endif
