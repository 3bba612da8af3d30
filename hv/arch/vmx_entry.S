/* vmx_enter(regs, launched, cr2): one VMX world switch (Intel SDM vol. 3C, 27-28).
 * VM entry loads guest RSP/RIP/RFLAGS from the VMCS and nothing else of the
 * GPRs, so they move here; CR2 is in no VMCS field (SDM 25.4.1) and is
 * swapped here too.  The VM exit lands on vmx_exit (VMCS host RIP) with the
 * host RSP written just before entry, RFLAGS = 2 (interrupts off) and the
 * host segment, CR and MSR state loaded from the host-state area.
 * Returns 0 after a VM exit, 1 when VMLAUNCH/VMRESUME failed (CF or ZF). */
#include "hv/arch/guest_gprs.inc"
#include "hv/arch/vmx_defs.h"

	.text
	.globl vmx_enter
	.globl vmx_exit
vmx_enter:
	HOST_SAVE %rdx			/* &cr2 */
	movq (%rdx), %rax
	movq %rax, %cr2
	movq $VMCS_HOST_RSP, %rax
	vmwrite %rsp, %rax		/* vmx_exit finds this stack as it is now */
	testq %rsi, %rsi		/* launched?  mov keeps the flags to the jump */
	movq REGS_RAX(%rdi), %rax
	GUEST_LOAD
	jnz 1f
	vmlaunch
	jmp 2f
1:	vmresume
2:	/* Entry failed: the host state is unchanged; guest values sit in GPRs. */
	addq $16, %rsp			/* &cr2, regs */
	movl $1, %eax
	jmp 3f

vmx_exit:
	GUEST_SAVE
	movq %rax, REGS_RAX(%rdi)
	popq %rax			/* &cr2 */
	movq %cr2, %rdx
	movq %rdx, (%rax)
	popq %rdi			/* regs */
	xorl %eax, %eax
3:	HOST_RESTORE_RET
