/* VMCB layout (AMD APM vol. 2, Appendix B, tables B-1 and B-2), as offsets. */
#ifndef ZV_SVM_VMCB_H
#define ZV_SVM_VMCB_H

#include <stdint.h>

/* Control area. */
#define VMCB_INTERCEPT_CR    0x000
#define VMCB_INTERCEPT_EXC   0x008
#define VMCB_INTERCEPT_MISC1 0x00c
#define VMCB_INTERCEPT_MISC2 0x010
#define VMCB_IOPM_BASE	     0x040
#define VMCB_MSRPM_BASE	     0x048
#define VMCB_TSC_OFFSET	     0x050
#define VMCB_ASID	     0x058
#define VMCB_TLB_CONTROL     0x05c
#define VMCB_VINTR	     0x060
#define VMCB_INT_SHADOW	     0x068
#define VMCB_EXITCODE	     0x070
#define VMCB_EXITINFO1	     0x078
#define VMCB_EXITINFO2	     0x080
#define VMCB_EXITINTINFO     0x088
#define VMCB_NP_ENABLE	     0x090
#define VMCB_EVENTINJ	     0x0a8
#define VMCB_NCR3	     0x0b0
#define VMCB_CLEAN	     0x0c0
#define VMCB_NRIP	     0x0c8

/* State save area. */
#define VMCB_ES	    0x400
#define VMCB_CS	    0x410
#define VMCB_SS	    0x420
#define VMCB_DS	    0x430
#define VMCB_FS	    0x440
#define VMCB_GS	    0x450
#define VMCB_GDTR   0x460
#define VMCB_LDTR   0x470
#define VMCB_IDTR   0x480
#define VMCB_TR	    0x490
#define VMCB_CPL    0x4cb
#define VMCB_EFER   0x4d0
#define VMCB_CR4    0x548
#define VMCB_CR3    0x550
#define VMCB_CR0    0x558
#define VMCB_DR7    0x560
#define VMCB_DR6    0x568
#define VMCB_RFLAGS 0x570
#define VMCB_RIP    0x578
#define VMCB_RSP    0x5d8
#define VMCB_RAX    0x5f8
#define VMCB_CR2    0x640
#define VMCB_GPAT   0x668

/* Misc intercept vector 1 (offset 0x00c) bits, APM table B-1. */
#define INTERCEPT_VINTR	   (1u << 4) /* MISC1 bit 4: virtual interrupt window */
#define INTERCEPT_INTR	   (1u << 0)
#define INTERCEPT_NMI	   (1u << 1)
#define INTERCEPT_SMI	   (1u << 2)
#define INTERCEPT_INIT	   (1u << 3)
#define INTERCEPT_RDPMC	   (1u << 15)
#define INTERCEPT_CPUID	   (1u << 18)
#define INTERCEPT_INVD	   (1u << 22)
#define INTERCEPT_HLT	   (1u << 24)
#define INTERCEPT_INVLPGA  (1u << 26)
#define INTERCEPT_IOIO	   (1u << 27)
#define INTERCEPT_MSR	   (1u << 28)
#define INTERCEPT_SHUTDOWN (1u << 31)
/* Misc intercept vector 2 (offset 0x010). */
#define INTERCEPT_VMRUN	  (1u << 0)
#define INTERCEPT_VMMCALL (1u << 1)
#define INTERCEPT_VMLOAD  (1u << 2)
#define INTERCEPT_VMSAVE  (1u << 3)
#define INTERCEPT_STGI	  (1u << 4)
#define INTERCEPT_CLGI	  (1u << 5)
#define INTERCEPT_SKINIT  (1u << 6)
#define INTERCEPT_WBINVD  (1u << 9)  /* WBINVD and WBNOINVD */
#define INTERCEPT_MONITOR (1u << 10) /* MONITOR and MONITORX */
#define INTERCEPT_MWAIT	  (1u << 11) /* MWAIT and MWAITX, unconditionally */
#define INTERCEPT_XSETBV  (1u << 13)
/* CR intercept vector (offset 0x000): bits 0-15 reads, 16-31 writes. */
#define INTERCEPT_CR4_WRITE (1u << (16 + 4))

/* Exit codes, APM Appendix C. */
#define SVM_EXIT_CR4_WRITE 0x014
#define SVM_EXIT_EXCP_BASE 0x040
#define SVM_EXIT_RDPMC	   0x06f
#define SVM_EXIT_WBINVD	   0x089
#define SVM_EXIT_MONITOR   0x08a
#define SVM_EXIT_MWAIT	   0x08b
#define SVM_EXIT_INTR	   0x060
#define SVM_EXIT_VINTR	   0x064
#define SVM_EXIT_NMI	   0x061
#define SVM_EXIT_SMI	   0x062
#define SVM_EXIT_INIT	   0x063
#define SVM_EXIT_CPUID	   0x072
#define SVM_EXIT_INVD	   0x076
#define SVM_EXIT_HLT	   0x078
#define SVM_EXIT_INVLPGA   0x07a
#define SVM_EXIT_IOIO	   0x07b
#define SVM_EXIT_MSR	   0x07c
#define SVM_EXIT_SHUTDOWN  0x07f
#define SVM_EXIT_VMRUN	   0x080
#define SVM_EXIT_VMMCALL   0x081
#define SVM_EXIT_VMLOAD	   0x082
#define SVM_EXIT_VMSAVE	   0x083
#define SVM_EXIT_STGI	   0x084
#define SVM_EXIT_CLGI	   0x085
#define SVM_EXIT_SKINIT	   0x086
#define SVM_EXIT_XSETBV	   0x08d
#define SVM_EXIT_NPF	   0x400
#define SVM_EXIT_INVALID   0xffffffffu

/* EVENTINJ, APM 15.20. */
#define EVENTINJ_VALID		(1ull << 31)
#define EVENTINJ_ERROR_VALID	(1ull << 11)
#define EVENTINJ_TYPE_EXCEPTION (3ull << 8)
#define EVENTINJ_TYPE_INTR	(0ull << 8)
#define EVENTINJ_TYPE_NMI	(2ull << 8)

/* VMCB 0x60 (V_INTR fields), APM 15.21.4 and table B-1. */
#define VINTR_V_IRQ	  (1ull << 8)
#define VINTR_PRIO_SHIFT  16
#define VINTR_V_IGN_TPR	  (1ull << 20)
#define VINTR_MASKING	  (1ull << 24)
#define INT_SHADOW_ACTIVE (1ull << 0) /* VMCB 0x68 bit 0 */

/* IOIO EXITINFO1, APM 15.10.2. */
#define IOIO_IN		(1u << 0)
#define IOIO_STRING	(1u << 2)
#define IOIO_REP	(1u << 3)
#define IOIO_SIZE_SHIFT 4 /* bits 4..6: SZ8, SZ16, SZ32 */

/* NPF EXITINFO1 error code, APM 15.25.6. */
#define NPF_PRESENT (1u << 0)
#define NPF_WRITE   (1u << 1)
#define NPF_FETCH   (1u << 4)

#define VMCB_FIELD(vmcb, off, type) (*(volatile type *)((uint8_t *)(vmcb) + (off)))
#define VMCB64(vmcb, off)	    VMCB_FIELD(vmcb, off, uint64_t)
#define VMCB32(vmcb, off)	    VMCB_FIELD(vmcb, off, uint32_t)
#define VMCB8(vmcb, off)	    VMCB_FIELD(vmcb, off, uint8_t)

/* A segment in the save area: selector, attributes (APM 15.5.1 packed
 * form: type/S/DPL/P in bits 0..7, AVL/L/DB/G in 8..11), limit, base. */
struct vmcb_seg {
	uint16_t selector;
	uint16_t attrib;
	uint32_t limit;
	uint64_t base;
};

#endif
