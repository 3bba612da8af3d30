/* Intel VT-x constants: capability MSRs, VMCS field encodings, controls, exit reasons. */
#ifndef ZV_VMX_DEFS_H
#define ZV_VMX_DEFS_H

/* vmx_entry.S includes this file: only plain #defines, and the ones it expands
 * (VMCS_HOST_RSP) must stay plain integers. */

/* SDM vol. 3C, 24.7 / appendix A: capability MSRs. */
#define MSR_FEATURE_CONTROL	    0x3a
#define FEATURE_CONTROL_LOCK	    0x1
#define FEATURE_CONTROL_VMXON	    0x4 /* VMXON outside SMX operation */
#define MSR_VMX_BASIC		    0x480
#define MSR_VMX_PINBASED_CTLS	    0x481
#define MSR_VMX_PROCBASED_CTLS	    0x482
#define MSR_VMX_EXIT_CTLS	    0x483
#define MSR_VMX_ENTRY_CTLS	    0x484
#define MSR_VMX_CR0_FIXED0	    0x486
#define MSR_VMX_CR0_FIXED1	    0x487
#define MSR_VMX_CR4_FIXED0	    0x488
#define MSR_VMX_CR4_FIXED1	    0x489
#define MSR_VMX_PROCBASED_CTLS2	    0x48b
#define MSR_VMX_EPT_VPID_CAP	    0x48c
#define MSR_VMX_TRUE_PINBASED_CTLS  0x48d
#define MSR_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_VMX_TRUE_EXIT_CTLS	    0x48f
#define MSR_VMX_TRUE_ENTRY_CTLS	    0x490

/* MSRs that stay guest-owned while the host runs (see vmx.c). */
#define MSR_STAR	 0xc0000081
#define MSR_LSTAR	 0xc0000082
#define MSR_CSTAR	 0xc0000083
#define MSR_SFMASK	 0xc0000084
#define MSR_SYSENTER_CS	 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176

/* A.1 IA32_VMX_BASIC. */
#define VMX_BASIC_REVISION_MASK 0x7fffffff
#define VMX_BASIC_TRUE_CTLS_BIT 55 /* the TRUE_* control MSRs exist */

/* A.10 IA32_VMX_EPT_VPID_CAP. */
#define EPT_CAP_WALK_4	      (1ull << 6)
#define EPT_CAP_WB	      (1ull << 14)
#define EPT_CAP_INVEPT	      (1ull << 20)
#define EPT_CAP_INVEPT_SINGLE (1ull << 25)
#define EPT_CAP_INVEPT_ALL    (1ull << 26)

/* 25.6.11: EPT pointer. */
#define EPTP_MEMTYPE_WB 6
#define EPTP_WALK_4	(3 << 3) /* page-walk length - 1 */

/* 31.3 (INVEPT): invalidation types. */
#define INVEPT_SINGLE_CONTEXT 1
#define INVEPT_ALL_CONTEXT    2

/* 25.6.1 pin-based VM-execution controls. */
#define PIN_EXTERNAL_INT_EXITING (1u << 0)
#define PIN_NMI_EXITING		 (1u << 3)

/* 25.6.2 primary processor-based VM-execution controls. */
#define PROC_INTR_WINDOW       (1u << 2) /* exit when the guest can take an interrupt */
#define PROC_HLT_EXITING       (1u << 7)
#define PROC_MWAIT_EXITING     (1u << 10)
#define PROC_RDPMC_EXITING     (1u << 11)
#define PROC_MONITOR_EXITING   (1u << 29)
#define PROC_CR3_LOAD_EXITING  (1u << 15)
#define PROC_CR3_STORE_EXITING (1u << 16)
#define PROC_CR8_LOAD_EXITING  (1u << 19)
#define PROC_CR8_STORE_EXITING (1u << 20)
#define PROC_USE_IO_BITMAPS    (1u << 25)
#define PROC_USE_MSR_BITMAPS   (1u << 28)
#define PROC_SECONDARY	       (1u << 31)

/* 25.6.2 secondary processor-based VM-execution controls. */
#define PROC2_EPT	   (1u << 1)
#define PROC2_RDTSCP	   (1u << 3)
#define PROC2_VPID	   (1u << 5)
#define PROC2_WBINVD	   (1u << 6) /* WBINVD exiting */
#define PROC2_UNRESTRICTED (1u << 7)
#define PROC2_INVPCID	   (1u << 12)
#define PROC2_XSAVES	   (1u << 20)

/* 25.7.1 VM-exit controls. */
#define EXIT_SAVE_DEBUG	   (1u << 2)
#define EXIT_HOST_64BIT	   (1u << 9)
#define EXIT_ACK_INTERRUPT (1u << 15)
#define EXIT_SAVE_PAT	   (1u << 18)
#define EXIT_LOAD_PAT	   (1u << 19)
#define EXIT_SAVE_EFER	   (1u << 20)
#define EXIT_LOAD_EFER	   (1u << 21)

/* 25.8.1 VM-entry controls. */
#define ENTRY_LOAD_DEBUG  (1u << 2)
#define ENTRY_IA32E_GUEST (1u << 9)
#define ENTRY_LOAD_PAT	  (1u << 14)
#define ENTRY_LOAD_EFER	  (1u << 15)

/* Appendix B: VMCS component encodings.  16-bit fields. */
#define VMCS_VPID	  0x0000
#define VMCS_GUEST_ES_SEL 0x0800 /* ES, CS, SS, DS, FS, GS, LDTR, TR: +2 each */
#define VMCS_HOST_ES_SEL  0x0c00
#define VMCS_HOST_CS_SEL  0x0c02
#define VMCS_HOST_SS_SEL  0x0c04
#define VMCS_HOST_DS_SEL  0x0c06
#define VMCS_HOST_FS_SEL  0x0c08
#define VMCS_HOST_GS_SEL  0x0c0a
#define VMCS_HOST_TR_SEL  0x0c0c

/* 64-bit fields. */
#define VMCS_IO_BITMAP_A     0x2000
#define VMCS_IO_BITMAP_B     0x2002
#define VMCS_MSR_BITMAP	     0x2004
#define VMCS_TSC_OFFSET	     0x2010
#define VMCS_EPTP	     0x201a
#define VMCS_XSS_EXIT_BITMAP 0x202c
#define VMCS_GUEST_PHYS_ADDR 0x2400
#define VMCS_LINK_POINTER    0x2800
#define VMCS_GUEST_DEBUGCTL  0x2802
#define VMCS_GUEST_PAT	     0x2804
#define VMCS_GUEST_EFER	     0x2806
#define VMCS_HOST_PAT	     0x2c00
#define VMCS_HOST_EFER	     0x2c02

/* 32-bit fields. */
#define VMCS_PIN_CTLS		    0x4000
#define VMCS_PROC_CTLS		    0x4002
#define VMCS_EXCEPTION_BITMAP	    0x4004
#define VMCS_PF_ERROR_MASK	    0x4006
#define VMCS_PF_ERROR_MATCH	    0x4008
#define VMCS_CR3_TARGET_COUNT	    0x400a
#define VMCS_EXIT_CTLS		    0x400c
#define VMCS_EXIT_MSR_STORE_COUNT   0x400e
#define VMCS_EXIT_MSR_LOAD_COUNT    0x4010
#define VMCS_ENTRY_CTLS		    0x4012
#define VMCS_ENTRY_MSR_LOAD_COUNT   0x4014
#define VMCS_ENTRY_INTR_INFO	    0x4016
#define VMCS_ENTRY_EXC_ERROR	    0x4018
#define VMCS_ENTRY_INSN_LEN	    0x401a
#define VMCS_PROC_CTLS2		    0x401e
#define VMCS_VM_INSN_ERROR	    0x4400
#define VMCS_EXIT_REASON	    0x4402
#define VMCS_EXIT_INTR_INFO	    0x4404
#define VMCS_EXIT_INTR_ERROR	    0x4406
#define VMCS_IDT_VECT_INFO	    0x4408
#define VMCS_IDT_VECT_ERROR	    0x440a
#define VMCS_EXIT_INSN_LEN	    0x440c
#define VMCS_GUEST_ES_LIMIT	    0x4800 /* +2 per segment, as the selectors */
#define VMCS_GUEST_GDTR_LIMIT	    0x4810
#define VMCS_GUEST_IDTR_LIMIT	    0x4812
#define VMCS_GUEST_ES_AR	    0x4814 /* +2 per segment */
#define VMCS_GUEST_INTERRUPTIBILITY 0x4824
#define VMCS_GUEST_ACTIVITY	    0x4826
#define VMCS_GUEST_SYSENTER_CS	    0x482a
#define VMCS_HOST_SYSENTER_CS	    0x4c00

/* Natural-width fields. */
#define VMCS_CR0_MASK		0x6000
#define VMCS_CR4_MASK		0x6002
#define VMCS_CR0_SHADOW		0x6004
#define VMCS_CR4_SHADOW		0x6006
#define VMCS_EXIT_QUALIFICATION 0x6400
#define VMCS_GUEST_CR0		0x6800
#define VMCS_GUEST_CR3		0x6802
#define VMCS_GUEST_CR4		0x6804
#define VMCS_GUEST_ES_BASE	0x6806 /* +2 per segment */
#define VMCS_GUEST_GDTR_BASE	0x6816
#define VMCS_GUEST_IDTR_BASE	0x6818
#define VMCS_GUEST_DR7		0x681a
#define VMCS_GUEST_RSP		0x681c
#define VMCS_GUEST_RIP		0x681e
#define VMCS_GUEST_RFLAGS	0x6820
#define VMCS_GUEST_PENDING_DBG	0x6822
#define VMCS_GUEST_SYSENTER_ESP 0x6824
#define VMCS_GUEST_SYSENTER_EIP 0x6826
#define VMCS_HOST_CR0		0x6c00
#define VMCS_HOST_CR3		0x6c02
#define VMCS_HOST_CR4		0x6c04
#define VMCS_HOST_FS_BASE	0x6c06
#define VMCS_HOST_GS_BASE	0x6c08
#define VMCS_HOST_TR_BASE	0x6c0a
#define VMCS_HOST_GDTR_BASE	0x6c0c
#define VMCS_HOST_IDTR_BASE	0x6c0e
#define VMCS_HOST_SYSENTER_ESP	0x6c10
#define VMCS_HOST_SYSENTER_EIP	0x6c12
#define VMCS_HOST_RSP		0x6c14
#define VMCS_HOST_RIP		0x6c16

/* Segment order in the guest-state area (B.1.2). */
#define SEG_ES	 0
#define SEG_CS	 1
#define SEG_SS	 2
#define SEG_DS	 3
#define SEG_FS	 4
#define SEG_GS	 5
#define SEG_LDTR 6
#define SEG_TR	 7

/* 25.4.1 access rights: type, S, DPL, P, AVL, L, D/B, G, unusable (bit 16). */
#define AR_CODE32   0xc09b /* G, D, P, S, execute/read accessed */
#define AR_CODE64   0xa09b /* G, L, P, S, execute/read accessed */
#define AR_DATA	    0xc093 /* G, B, P, S, read/write accessed */
#define AR_TSS_BUSY 0x008b /* P, busy 32/64-bit TSS */
#define AR_UNUSABLE 0x10000
#define AR_CODE16   0x009b /* P, S, execute/read accessed: real mode */
#define AR_DATA16   0x0093

/* 25.4.2 interruptibility state: blocking by STI (bit 0) and MOV SS (bit 1). */
#define INTERRUPTIBILITY_STI_MOVSS 0x3

/* 25.8.3 / 28.2.2 interruption information: vector, type (10:8), error (11), valid (31). */
#define INTR_INFO_VECTOR_MASK  0xff
#define INTR_INFO_TYPE_SHIFT   8
#define INTR_INFO_TYPE_MASK    0x7
#define INTR_TYPE_EXTERNAL     0
#define INTR_TYPE_NMI	       2
#define INTR_TYPE_HW_EXCEPTION 3
#define INTR_INFO_ERROR_VALID  (1u << 11)
#define INTR_INFO_VALID	       (1u << 31)

/* 28.2.1 table 28-5: I/O exit qualification. */
#define IO_QUAL_SIZE_MASK  0x7 /* size - 1 */
#define IO_QUAL_IN	   (1u << 3)
#define IO_QUAL_STRING	   (1u << 4)
#define IO_QUAL_PORT_SHIFT 16

/* 28.2.1 table 28-7: EPT violation qualification. */
#define EPT_QUAL_WRITE (1u << 1)
#define EPT_QUAL_FETCH (1u << 2)

/* 28.2.1 table 28-3: control-register access qualification. */
#define CR_QUAL_CR_MASK	   0xf
#define CR_QUAL_TYPE_SHIFT 4
#define CR_QUAL_TYPE_MASK  0x3
#define CR_QUAL_GPR_SHIFT  8
#define CR_QUAL_GPR_MASK   0xf
#define CR_ACCESS_MOV_TO   0
#define CR_ACCESS_MOV_FROM 1

/* 28.2.1: exit reason bit 31 = VM-entry failure. */
#define EXIT_REASON_ENTRY_FAIL (1u << 31)
#define EXIT_REASON_BASIC_MASK 0xffff

/* Appendix C: basic exit reasons. */
#define EXIT_EXCEPTION_NMI 0
#define EXIT_EXTERNAL_INT  1
#define EXIT_TRIPLE_FAULT  2
#define EXIT_INIT	   3
#define EXIT_SIPI	   4
#define EXIT_INTR_WINDOW   7
#define EXIT_TASK_SWITCH   9
#define EXIT_CPUID	   10
#define EXIT_GETSEC	   11
#define EXIT_HLT	   12
#define EXIT_INVD	   13
#define EXIT_RDPMC	   15
#define EXIT_VMCALL	   18
#define EXIT_VMCLEAR	   19
#define EXIT_VMLAUNCH	   20
#define EXIT_VMPTRLD	   21
#define EXIT_VMPTRST	   22
#define EXIT_VMREAD	   23
#define EXIT_VMRESUME	   24
#define EXIT_VMWRITE	   25
#define EXIT_VMXOFF	   26
#define EXIT_VMXON	   27
#define EXIT_CR_ACCESS	   28
#define EXIT_IO		   30
#define EXIT_RDMSR	   31
#define EXIT_WRMSR	   32
#define EXIT_INVALID_GUEST 33
#define EXIT_MSR_LOADING   34
#define EXIT_MWAIT	   36
#define EXIT_MONITOR	   39
#define EXIT_MACHINE_CHECK 41
#define EXIT_EPT_VIOLATION 48
#define EXIT_EPT_MISCONFIG 49
#define EXIT_INVEPT	   50
#define EXIT_INVVPID	   53
#define EXIT_WBINVD	   54
#define EXIT_XSETBV	   55
#define EXIT_VMFUNC	   59
#define EXIT_REASON_COUNT  70

#endif
