/* AP start-up code: copied to a page below 1 MiB, entered by a STARTUP IPI in
 * real mode, it climbs to long mode on the hypervisor's page tables and jumps
 * to the C entry with the parameters the BSP left at TRAMP_PARAMS. */
#include "hv/trampoline.h"

	.text
	.globl tramp_start, tramp_end
	.code16
tramp_start:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	xorl %ebx, %ebx
	movw %cs, %bx
	shll $4, %ebx			/* ebx = physical address of this page */
	leal (tramp_gdt - tramp_start)(%ebx), %eax
	movl %eax, (gdt_desc - tramp_start + 2)
	lgdtl (gdt_desc - tramp_start)
	leal (pm32 - tramp_start)(%ebx), %eax
	movl %eax, (far32 - tramp_start)
	movw $0x08, (far32 - tramp_start + 4)
	movl %cr0, %eax
	orb $1, %al			/* CR0.PE */
	movl %eax, %cr0
	ljmpl *(far32 - tramp_start)

	.code32
pm32:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl %cr4, %eax
	orl $0x20, %eax			/* CR4.PAE */
	movl %eax, %cr4
	movl TRAMP_CR3(%ebx), %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx		/* EFER */
	rdmsr
	orl $0x900, %eax		/* LME | NXE */
	wrmsr
	movl %cr0, %eax
	andl $0x9fffffff, %eax		/* INIT leaves CD and NW set: caches on */
	orl $0x80010000, %eax		/* PG | WP */
	movl %eax, %cr0
	leal (lm64 - tramp_start)(%ebx), %eax
	movl %eax, (far64 - tramp_start)(%ebx)
	movw $0x18, (far64 - tramp_start + 4)(%ebx)
	ljmpl *(far64 - tramp_start)(%ebx)

	.code64
lm64:
	movl %ebx, %ebx			/* upper halves are undefined after the switch */
	movq TRAMP_STACK(%rbx), %rsp
	movq TRAMP_ARG(%rbx), %rdi
	jmpq *TRAMP_ENTRY(%rbx)

	.align 8
tramp_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: 32-bit code, flat */
	.quad 0x00cf92000000ffff	/* 0x10: data, flat */
	.quad 0x00209a0000000000	/* 0x18: 64-bit code */
gdt_desc:
	.word 31
	.long 0
far32:
	.long 0
	.word 0
far64:
	.long 0
	.word 0
tramp_end:

	.section .rodata
	.globl tramp_size
	.align 4
tramp_size:
	.long tramp_end - tramp_start	/* a constant: C cannot subtract two symbols */
