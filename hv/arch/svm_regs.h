/* Offsets of struct vcpu_regs for the world-switch assembly (checked in svm.c). */
#ifndef ZV_SVM_REGS_H
#define ZV_SVM_REGS_H

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

#endif
