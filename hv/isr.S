/* Interrupt and exception entry stubs: build a struct trap_frame, call trap_dispatch. */
	.text

	.altmacro

	/* Intel SDM vol. 3A, 6.13: only these vectors push an error code. */
	.macro stub v
	.align 16
isr_stub_\v:
	.if !(\v == 8 || (\v >= 10 && \v <= 14) || \v == 17 || \v == 21 || \v == 29 || \v == 30)
	pushq $0
	.endif
	pushq $\v
	jmp isr_common
	.endm

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
