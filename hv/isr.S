/* Interrupt and exception entry stubs: build a struct trap_frame, call trap_dispatch. */
	.text

	.altmacro

	/* Intel SDM vol. 3A, 6.13: only these vectors push an error code.
	 * 17 (#AC), 21 (#CP), 29 (#VC) and 30 (#SX) are also reachable as
	 * interrupts (an MSI may name any vector from 16 up: SDM 11.5.2), and an
	 * interrupt pushes none; the local APIC's in-service bit tells which
	 * came, so the frame is built right either way (hv/trap.c). */
	.macro stub v
	.align 16
isr_stub_\v:
	.if (\v == 17 || \v == 21 || \v == 29 || \v == 30)
	pushq %rax
	pushq %rcx
	pushq %rdx
	call lapic_isr_low
	btl $\v, %eax
	popq %rdx		/* pops leave CF as bt set it */
	popq %rcx
	popq %rax
	jc 1f
	pushq $\v		/* an exception: its error code is on the stack */
	jmp isr_common
1:	pushq $0		/* an interrupt: no error code */
	.elseif !(\v == 8 || (\v >= 10 && \v <= 14))
	pushq $0
	.endif
	pushq $\v
	jmp isr_common
	.endm

/* EAX = bits 31:0 of this CPU's APIC in-service register (SDM 11.8.4), or
 * 0 before the APIC is known.  Clobbers RAX, RCX, RDX only. */
lapic_isr_low:
	movq lapic_isr0_mmio(%rip), %rax
	testq %rax, %rax
	jz 1f
	movl (%rax), %eax
	ret
1:	xorl %eax, %eax
	cmpl $0, lapic_isr_x2apic(%rip)
	je 2f
	movl $0x810, %ecx	/* x2APIC ISR bits 31:0 (SDM table 11-6) */
	rdmsr
2:	ret

isr_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	movq %rsp, %rbx
	andq $-16, %rsp
	cld
	call trap_dispatch
	movq %rbx, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp
	iretq

	.set i, 0
	.rept 256
	stub %i
	.set i, i + 1
	.endr

	.data
	.align 8
	.globl isr_stub_table
isr_stub_table:
	.macro stubaddr v
	.quad isr_stub_\v
	.endm
	.set i, 0
	.rept 256
	stubaddr %i
	.set i, i + 1
	.endr
