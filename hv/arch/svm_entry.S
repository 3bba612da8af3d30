/* svm_enter(regs, vmcb_pa, host_area_pa): one world switch (APM vol. 2, 15.5).
 * VMRUN loads and saves only part of the guest state; VMLOAD/VMSAVE move the
 * rest (FS, GS, TR, LDTR, KernelGSBase, STAR family, SYSENTER), so the host's
 * own copy (GS base = per-CPU data) is saved around the guest's. */
#include "hv/arch/svm_regs.h"

	.text
	.globl svm_enter
svm_enter:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq %rdi			/* regs */
	pushq %rdx			/* host area */
	movq %rdx, %rax
	vmsave				/* host FS/GS/TR/... into the host area */
	movq %rsi, %rax
	movq REGS_RBX(%rdi), %rbx
	movq REGS_RCX(%rdi), %rcx
	movq REGS_RDX(%rdi), %rdx
	movq REGS_RSI(%rdi), %rsi
	movq REGS_RBP(%rdi), %rbp
	movq REGS_R8(%rdi), %r8
	movq REGS_R9(%rdi), %r9
	movq REGS_R10(%rdi), %r10
	movq REGS_R11(%rdi), %r11
	movq REGS_R12(%rdi), %r12
	movq REGS_R13(%rdi), %r13
	movq REGS_R14(%rdi), %r14
	movq REGS_R15(%rdi), %r15
	movq REGS_RDI(%rdi), %rdi
	/* APM 15.21.1: with V_INTR_MASKING, physical interrupts reach the
	 * INTR intercept only if the host's IF was set at VMRUN.  GIF = 0
	 * keeps them from being taken here in the host between sti and vmrun. */
	clgi
	sti
	vmload
	vmrun
	.globl svm_after_vmrun
svm_after_vmrun:			/* the host RIP VMRUN saves (svm.c: host_state_as_guest) */
	vmsave
	cli
	/* rax = vmcb_pa again (restored from the host save area by #VMEXIT). */
	pushq %rdi
	movq 16(%rsp), %rdi		/* regs */
	popq REGS_RDI(%rdi)
	movq %rbx, REGS_RBX(%rdi)
	movq %rcx, REGS_RCX(%rdi)
	movq %rdx, REGS_RDX(%rdi)
	movq %rsi, REGS_RSI(%rdi)
	movq %rbp, REGS_RBP(%rdi)
	movq %r8, REGS_R8(%rdi)
	movq %r9, REGS_R9(%rdi)
	movq %r10, REGS_R10(%rdi)
	movq %r11, REGS_R11(%rdi)
	movq %r12, REGS_R12(%rdi)
	movq %r13, REGS_R13(%rdi)
	movq %r14, REGS_R14(%rdi)
	movq %r15, REGS_R15(%rdi)
	popq %rax			/* host area */
	vmload
	stgi				/* host IF is 0 again: interrupts stay pending */
	popq %rdi
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret
