/* Offsets of the guest GPRs in struct vcpu_regs (hv/arch/vcpu.h) for the assembly
 * that enters and leaves a guest (hv/arch/guest_gprs.inc, used by svm_entry.S and
 * vmx_entry.S), checked against the struct. */
#ifndef ZV_GUEST_GPRS_H
#define ZV_GUEST_GPRS_H

#define REGS_RAX 0
#define REGS_RBX 8
#define REGS_RCX 16
#define REGS_RDX 24
#define REGS_RSI 32
#define REGS_RDI 40
#define REGS_RBP 48
#define REGS_RSP 56
#define REGS_R8	 64
#define REGS_R9	 72
#define REGS_R10 80
#define REGS_R11 88
#define REGS_R12 96
#define REGS_R13 104
#define REGS_R14 112
#define REGS_R15 120

#ifndef __ASSEMBLER__
#include "hv/arch/vcpu.h"

#define REGS_AT(reg, off) (__builtin_offsetof(struct vcpu_regs, reg) == (off))
_Static_assert(REGS_AT(rax, REGS_RAX) && REGS_AT(rbx, REGS_RBX) && REGS_AT(rcx, REGS_RCX) &&
		       REGS_AT(rdx, REGS_RDX) && REGS_AT(rsi, REGS_RSI) && REGS_AT(rdi, REGS_RDI) &&
		       REGS_AT(rbp, REGS_RBP) && REGS_AT(rsp, REGS_RSP) && REGS_AT(r8, REGS_R8) &&
		       REGS_AT(r9, REGS_R9) && REGS_AT(r10, REGS_R10) && REGS_AT(r11, REGS_R11) &&
		       REGS_AT(r12, REGS_R12) && REGS_AT(r13, REGS_R13) && REGS_AT(r14, REGS_R14) &&
		       REGS_AT(r15, REGS_R15),
	       "struct vcpu_regs and REGS_* disagree");
#undef REGS_AT
#endif

#endif
