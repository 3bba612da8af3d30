/* The contract between the vendor-neutral core and a virtualization backend (SVM or VMX). */
#ifndef ZV_VCPU_H
#define ZV_VCPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct percpu;
struct npt_format;
struct zone;

/* Guest state the core reads and writes.  The backend copies rax, rsp,
 * rip, rflags in from its control block after every exit and back before
 * every entry; the other GPRs are saved by its entry code. */
struct vcpu_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip, rflags;
};

/* Control and system registers the core may need (accessors, not cached). */
enum vcpu_sreg {
	VSREG_CR0,
	VSREG_CR2,
	VSREG_CR3,
	VSREG_CR4,
	VSREG_EFER,
	VSREG_PAT,
	VSREG_CS_BASE, /* read only */
	VSREG_COUNT
};

/* Where a vCPU starts: a flat 32-bit protected-mode entry (Multiboot), a
 * 64-bit entry with the page tables at cr3 (Linux boot protocol), or real
 * mode at cs_selector:rip (an application processor after a STARTUP IPI). */
enum vcpu_entry_mode { VCPU_ENTRY_PROTECTED32, VCPU_ENTRY_LONG64, VCPU_ENTRY_REAL16 };

struct vcpu_entry {
	enum vcpu_entry_mode mode;
	uint64_t rip, rax, rbx, rsi, cr3;
	uint64_t gdt_base, gdt_limit; /* LONG64: a GDT the guest can reload */
	uint16_t cs_selector;	      /* REAL16: CS base is selector * 16 */
};

/* Vendor-neutral exit reasons; per-zone counters are kept by reason. */
enum vexit {
	VEXIT_CPUID,
	VEXIT_MSR_READ,
	VEXIT_MSR_WRITE,
	VEXIT_IO,
	VEXIT_HLT,
	VEXIT_HYPERCALL,
	VEXIT_NPF,
	VEXIT_SHUTDOWN,
	VEXIT_INTR,
	VEXIT_NMI,
	VEXIT_VIRT_INSN,
	VEXIT_INIT,
	VEXIT_MMIO,	  /* a nested page fault on a device page, emulated */
	VEXIT_IRQ_WINDOW, /* the guest became interruptible (SVM VINTR, VMX window) */
	VEXIT_EXCEPTION,  /* a #DB or #AC intercepted and given back (REFLECTED_EXCEPTIONS) */
	VEXIT_OTHER,
	VEXIT_COUNT
};

struct vcpu {
	struct zone *zone;
	uint32_t id;  /* index in the zone */
	uint32_t cpu; /* logical CPU it runs on */
	struct vcpu_regs regs;
	uint64_t exits[VEXIT_COUNT];
	uint32_t insn_len; /* length of the exiting instruction, set by the backend */
	void *arch;	   /* the backend's control block (VMCB / VMCS) */
	uint64_t arch_pa;
	uint64_t arch_aux_pa; /* a second backend page (SVM host save area) */
	uint64_t arch_pages;  /* pages the backend allocated for this vCPU */
	/* INIT and STARTUP IPIs (Intel SDM vol. 3A, 9.4): after INIT the vCPU
	 * waits, outside the guest, for a STARTUP vector. */
	volatile uint32_t wait_sipi;
	volatile int32_t sipi_vector; /* -1: none received */
	volatile uint32_t nmi_pending;
	uint64_t timer_armed; /* host timer deadline (TSC) last programmed for it */
};

/* Moves RIP past the instruction that exited (v->insn_len bytes). */
static inline void vcpu_skip_insn(struct vcpu *v)
{
	v->regs.rip += v->insn_len;
}

/* The registers an entry state defines; every other GPR starts at zero. */
static inline void vcpu_regs_from_entry(struct vcpu *v, const struct vcpu_entry *e)
{
	v->regs = (struct vcpu_regs){0};
	v->regs.rip = e->rip;
	v->regs.rax = e->rax;
	v->regs.rbx = e->rbx;
	v->regs.rsi = e->rsi;
	v->regs.rflags = 2; /* reserved bit 1; IF clear */
}

/*
 * Exceptions both backends intercept only to give them straight back: a
 * zone can make the CPU deliver #AC (CR0.AM with a misaligned stack,
 * CVE-2015-5307) or #DB (a data breakpoint over the #DB frame,
 * CVE-2015-8104) forever in microcode, with no exit; intercepted, every
 * delivery exits, so the zone can still be stopped.  Bits are vectors.
 */
#define REFLECTED_EXCEPTIONS ((1u << 1) | (1u << 17)) /* #DB, #AC */

/* What an exit handler asks the backend to do next. */
enum vexit_action {
	VACT_RESUME, /* re-enter the guest (RIP already advanced if needed) */
	VACT_STOP,   /* the zone is being stopped; leave the run loop */
};

/*
 * One backend per vendor: hv/arch/svm.c (AMD-V) and hv/arch/vmx.c (VT-x).
 * The core calls only these hooks and never sees a VMCB or VMCS.
 */
struct vcpu_backend {
	const char *name;		     /* "svm" or "vmx": printed in "cpu N online" */
	const struct npt_format *npt_format; /* nested page table entry format */
	/* Whether the calling CPU can run zones; if not, writes why. */
	bool (*probe)(char *why, size_t len);
	/* Turns virtualization on for the calling CPU.  0, or -1 with why. */
	int (*cpu_enable)(struct percpu *cpu, char *why, size_t len);
	/* Allocates the control block and sets the entry state; nested page
	 * table root in npt_root.  0, or -1 on out of memory. */
	int (*vcpu_init)(struct vcpu *v, const struct vcpu_entry *e, uint64_t npt_root);
	void (*vcpu_free)(struct vcpu *v);
	/* Runs v on the calling CPU until a handler returns VACT_STOP. */
	void (*vcpu_run)(struct vcpu *v);
	/* VSREG_EFER is the EFER the guest sees: a backend keeps its own bits
	 * (SVM's SVME) out of it and in the control block. */
	uint64_t (*get_sreg)(struct vcpu *v, enum vcpu_sreg r);
	void (*set_sreg)(struct vcpu *v, enum vcpu_sreg r, uint64_t val);
	/* The decoding mode of the code the guest runs: an enum x86_mode (16,
	 * 32 or 64-bit, from CR0.PE, EFER.LMA and CS.L/CS.D). */
	int (*cpu_mode)(struct vcpu *v);
	/* Queues a hardware exception for the next entry. */
	void (*inject_exception)(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error);
	/* Puts the vCPU back into an entry state (INIT then STARTUP), on its CPU. */
	void (*vcpu_reset)(struct vcpu *v, const struct vcpu_entry *e);
	/* Interrupt delivery, called on the vCPU's CPU right before entry:
	 * whether an event is already queued for this entry (a re-injection or
	 * an exception); whether the guest can take an external interrupt now
	 * (RFLAGS.IF = 1, no STI or MOV SS shadow); queue one; queue an NMI;
	 * and ask for an exit as soon as the guest becomes interruptible. */
	bool (*event_queued)(struct vcpu *v);
	bool (*interruptible)(struct vcpu *v);
	void (*inject_interrupt)(struct vcpu *v, uint8_t vector);
	void (*inject_nmi)(struct vcpu *v);
	void (*request_irq_window)(struct vcpu *v, bool on);
	/* Prints the backend's view of the guest state (segments, controls). */
	void (*dump)(struct vcpu *v);
};

extern const struct vcpu_backend svm_backend;
extern const struct vcpu_backend vmx_backend;
extern const struct vcpu_backend *backend;

/* The backend for this machine's CPU vendor, or NULL with why filled in. */
const struct vcpu_backend *vcpu_backend_select(char *why, size_t len);

/* Vendor-neutral exit handlers (hv/exits.c), called by the backends.  Each
 * counts its exit in v->exits; the backend counts only what it handles
 * itself (exit_counted). */
enum vexit_action exit_cpuid(struct vcpu *v);
enum vexit_action exit_msr_read(struct vcpu *v);
enum vexit_action exit_msr_write(struct vcpu *v);
/* A port access as the backend decoded it: size 1, 2 or 4 bytes. */
struct vexit_io {
	uint16_t port;
	uint8_t size;
	bool in, string;
};
/* Port I/O: the value of an OUT comes from rax, an IN's result is merged
 * into it; string I/O (INS/OUTS) is not emulated and stops the zone. */
enum vexit_action exit_io(struct vcpu *v, const struct vexit_io *io);
enum vexit_action exit_hlt(struct vcpu *v);
enum vexit_action exit_hypercall(struct vcpu *v);
enum vexit_action exit_npf(struct vcpu *v, uint64_t gpa, bool write, bool fetch);
enum vexit_action exit_shutdown(struct vcpu *v);
enum vexit_action exit_virt_insn(struct vcpu *v, const char *mnemonic);
/* A host interrupt, NMI or INIT (counted as why) or a stop request made the guest exit. */
enum vexit_action exit_interrupt(struct vcpu *v, enum vexit why);
/* An exit that needs no more than its count (an interrupt window, an SMI):
 * re-enter.  A backend that handles an exit itself (a reflected exception,
 * a CR access) calls it for the count alone. */
enum vexit_action exit_counted(struct vcpu *v, enum vexit why);
/* MOV to CR4 of val (the backend decoded it and set insn_len): #GP for a
 * bit of a feature the zone is not offered (hv/cr4_policy.c), else done. */
enum vexit_action exit_cr4_write(struct vcpu *v, uint64_t val);
/* The CR4 bits any zone may set (the same on every CPU). */
uint64_t zone_cr4_allowed(void);
/* WBINVD/WBNOINVD/INVD: a no-op, so no zone can flush every cache of the
 * machine in a loop (its memory is write-back and coherent, so nothing is lost). */
enum vexit_action exit_wbinvd(struct vcpu *v);
/* RDPMC: zones get no performance counters (CPUID leaf 0Ah is hidden): #GP. */
enum vexit_action exit_rdpmc(struct vcpu *v);
/* An instruction of a feature the zone is not offered (MONITOR, MWAIT and
 * the virtualization instructions): #UD, reported a bounded number of times. */
enum vexit_action exit_refused_insn(struct vcpu *v, const char *mnemonic);
/* XSETBV: the zone sees no XSAVE (hv/cpuid_msr.c), so it gets #UD. */
enum vexit_action exit_xsetbv(struct vcpu *v);
/* Runs before every entry (hv/vintr.c): INIT/STARTUP handling, timer,
 * interrupt and NMI injection, the host timer for the next guest deadline.
 * VACT_STOP when the zone is stopping. */
enum vexit_action vcpu_before_entry(struct vcpu *v);
/* An exit the core does not know: dumps and stops the zone. */
enum vexit_action exit_unknown(struct vcpu *v, const char *what, uint64_t code);
/* Dumps the guest registers (core part, then the backend's). */
void vcpu_dump(struct vcpu *v);

#endif
