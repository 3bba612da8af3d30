/* svm_enter(regs, vmcb_pa, host_area_pa): one world switch (APM vol. 2, 15.5).
 * VMRUN loads and saves only part of the guest state; VMLOAD/VMSAVE move the
 * rest (FS, GS, TR, LDTR, KernelGSBase, STAR family, SYSENTER), so the host's
 * own copy (GS base = per-CPU data) is saved around the guest's. */
#include "hv/arch/guest_gprs.inc"

	.text
	.globl svm_enter
svm_enter:
	HOST_SAVE %rdx			/* host area */
	movq %rdx, %rax
	vmsave				/* host FS/GS/TR/... into the host area */
	movq %rsi, %rax
	GUEST_LOAD			/* rax stays vmcb_pa: the guest's is in the VMCB */
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
	GUEST_SAVE
	popq %rax			/* host area */
	vmload
	stgi				/* host IF is 0 again: interrupts stay pending */
	popq %rdi
	HOST_RESTORE_RET
