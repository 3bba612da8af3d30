/* vmx_enter(regs, launched, cr2): one VMX world switch (Intel SDM vol. 3C, 27-28).
 * VM entry loads guest RSP/RIP/RFLAGS from the VMCS and nothing else of the
 * GPRs, so they move here; CR2 is in no VMCS field (SDM 25.4.1) and is
 * swapped here too.  The VM exit lands on vmx_exit (VMCS host RIP) with the
 * host RSP written just before entry, RFLAGS = 2 (interrupts off) and the
 * host segment, CR and MSR state loaded from the host-state area.
 * Returns 0 after a VM exit, 1 when VMLAUNCH/VMRESUME failed (CF or ZF). */
#include "hv/arch/svm_regs.h"
#include "hv/arch/vmx_defs.h"

	.text
	.globl vmx_enter
	.globl vmx_exit
vmx_enter:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq %rdi			/* regs */
	pushq %rdx			/* &cr2 */
	movq (%rdx), %rax
	movq %rax, %cr2
	movq $VMCS_HOST_RSP, %rax
	vmwrite %rsp, %rax		/* vmx_exit finds this stack as it is now */
	testq %rsi, %rsi		/* launched?  mov keeps the flags to the jump */
	movq REGS_RAX(%rdi), %rax
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
	jnz 1f
	vmlaunch
	jmp 2f
1:	vmresume
2:	/* Entry failed: the host state is unchanged; guest values sit in GPRs. */
	addq $16, %rsp			/* &cr2, regs */
	movl $1, %eax
	jmp 3f

vmx_exit:
	pushq %rdi			/* guest rdi */
	movq 16(%rsp), %rdi		/* regs */
	popq REGS_RDI(%rdi)
	movq %rax, REGS_RAX(%rdi)
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
	popq %rax			/* &cr2 */
	movq %cr2, %rdx
	movq %rdx, (%rax)
	popq %rdi			/* regs */
	xorl %eax, %eax
3:	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret
