/* A zone vCPU's virtual local APIC in x2APIC mode: register logic only (pure C, host-tested). */
#ifndef ZV_VLAPIC_H
#define ZV_VLAPIC_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Intel SDM vol. 3A, ch. 11 (APIC) and 11.12 (x2APIC).  The zone's APIC is
 * always in x2APIC mode: registers are MSRs 0x800 + (xAPIC offset >> 4),
 * there is no MMIO page.  Time is the TSC: the APIC timer counts down once
 * every `divide` TSC cycles (the virtual bus clock is the TSC clock), and
 * the TSC-deadline timer (MSR 0x6E0) compares against the TSC directly.
 * The caller passes the current TSC ("now") to every call that needs time;
 * nothing here reads a clock, so the logic is deterministic under test.
 */

#define VLAPIC_MSR_FIRST   0x800
#define VLAPIC_MSR_LAST	   0x8ff
#define MSR_TSC_DEADLINE   0x6e0
#define VLAPIC_VERSION	   0x50014 /* max LVT entry 5 (6 LVTs), version 0x14 */
#define VLAPIC_NO_DEADLINE UINT64_MAX

/* ICR delivery modes (SDM 11.6.1), as they come out of an ICR write. */
enum vlapic_delivery {
	VLAPIC_DM_FIXED = 0,
	VLAPIC_DM_LOWEST = 1,
	VLAPIC_DM_SMI = 2,
	VLAPIC_DM_NMI = 4,
	VLAPIC_DM_INIT = 5,
	VLAPIC_DM_STARTUP = 6,
};

enum vlapic_shorthand {
	VLAPIC_DEST_FIELD = 0,
	VLAPIC_DEST_SELF = 1,
	VLAPIC_DEST_ALL = 2, /* including self */
	VLAPIC_DEST_ALL_BUT_SELF = 3,
};

/* An interprocessor interrupt the guest asked for by writing the ICR. */
struct vlapic_ipi {
	uint8_t vector;
	enum vlapic_delivery mode;
	bool logical; /* destination mode: logical (LDR match) or physical (ID) */
	bool level;   /* trigger mode level (INIT de-assert is level + !assert) */
	bool assert;  /* level bit: 0 only for the INIT level de-assert */
	enum vlapic_shorthand shorthand;
	uint32_t dest; /* x2APIC ID, or logical destination (cluster << 16 | bitmap) */
};

/* What a register write asks the caller to do next. */
struct vlapic_effects {
	bool ipi_valid; /* send `ipi` (routing is the caller's job) */
	struct vlapic_ipi ipi;
	int eoi_vector;	    /* a level-triggered vector was EOIed: tell the IOAPIC; -1 if none */
	bool timer_changed; /* the next timer deadline moved: re-read vlapic_next_event() */
};

struct vlapic {
	uint32_t id;  /* x2APIC ID (read only) */
	uint32_t tpr; /* task priority, bits 7:0 */
	uint32_t svr; /* spurious vector register; bit 8 = software enable */
	uint32_t esr; /* error status as last latched by a write to ESR */
	uint32_t esr_pending;
	uint64_t icr;
	uint32_t lvt[7]; /* CMCI, timer, thermal, perf, LINT0, LINT1, error (see .c) */
	uint32_t timer_initial;
	uint32_t timer_dcr;    /* divide configuration register as written */
	uint64_t timer_start;  /* TSC when the current count was (re)loaded */
	uint64_t deadline;     /* TSC at which the timer fires; VLAPIC_NO_DEADLINE if off */
	uint64_t tsc_deadline; /* MSR 0x6E0 as written (0 = disarmed) */
	uint32_t irr[8], isr[8], tmr[8]; /* 256-bit vectors, bit n of word n / 32 */
};

/* Power-on / INIT state (SDM 11.4.7.1): all LVTs masked, SVR 0xFF (disabled). */
void vlapic_reset(struct vlapic *l, uint32_t id);

/*
 * RDMSR of an x2APIC register (0x800-0x8FF) or MSR_TSC_DEADLINE.  0 with
 * *val set, or -1 when the guest must get #GP (reserved register, a write-
 * only one such as EOI or SELF_IPI).
 */
int vlapic_rdmsr(struct vlapic *l, uint32_t msr, uint64_t now, uint64_t *val);

/*
 * WRMSR of an x2APIC register or MSR_TSC_DEADLINE.  0 with *fx filled, or
 * -1 for #GP (read-only register, reserved bits set where the SDM says
 * x2APIC raises #GP, a nonzero EOI write).  Never leaves an interrupt half
 * delivered: on -1 nothing changed.
 */
int vlapic_wrmsr(struct vlapic *l, uint32_t msr, uint64_t val, uint64_t now,
		 struct vlapic_effects *fx);

/* Delivers a fixed interrupt to this APIC (IRR, and TMR when level).  An
 * illegal vector (0-15) latches "receive illegal vector" in ESR and is
 * dropped; a software-disabled APIC drops everything.  false if dropped. */
bool vlapic_accept(struct vlapic *l, uint8_t vector, bool level);

/* The highest pending vector the vCPU may take now (IRR above PPR's
 * priority class), or -1. */
int vlapic_pending(const struct vlapic *l);

/* The vCPU took `vector` (it is being injected): IRR -> ISR. */
void vlapic_ack(struct vlapic *l, uint8_t vector);

/* Fires the timer if its deadline has passed: sets the LVT timer vector in
 * IRR (unless masked), reloads a periodic timer, disarms a one-shot or
 * TSC-deadline one.  true if it fired. */
bool vlapic_timer_expire(struct vlapic *l, uint64_t now);

/* The TSC value at which the timer fires next, or VLAPIC_NO_DEADLINE. */
uint64_t vlapic_next_event(const struct vlapic *l);

/* Whether a destination (physical x2APIC ID, or logical cluster<<16|bitmap)
 * names this APIC; 0xFFFFFFFF is broadcast in both modes. */
bool vlapic_matches(const struct vlapic *l, uint32_t dest, bool logical);

#endif
