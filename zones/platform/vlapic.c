/* Virtual x2APIC (Intel SDM vol. 3A ch. 11): MSR registers, IRR/ISR/TMR, priorities, timer. */
#include "zones/platform/vlapic.h"
#include "hv/lib/string.h"

/*
 * Reserved-bit policy (SDM 11.12.1.2: in x2APIC mode a WRMSR that sets
 * reserved bits raises #GP): a write is refused, and nothing changes, when
 * it sets a bit outside the register's writable mask, or any of bits 63:32
 * of a 32-bit register.  Read-only bits that are defined (LVT Delivery
 * Status and Remote IRR) are accepted and ignored, so a read-modify-write
 * of a value read back never faults.  ICR is the exception: its reserved
 * bits are dropped, not refused (software ORs fields into it freely), and
 * only its reserved delivery modes (3 and 7) raise #GP.
 */

/* SDM vol. 3A table 11-6: x2APIC MSR = 0x800 + (xAPIC offset >> 4). */
#define MSR_ID		  0x802
#define MSR_VERSION	  0x803
#define MSR_TPR		  0x808
#define MSR_PPR		  0x80a
#define MSR_EOI		  0x80b
#define MSR_LDR		  0x80d
#define MSR_SVR		  0x80f
#define MSR_ISR		  0x810 /* 0x810-0x817 */
#define MSR_TMR		  0x818 /* 0x818-0x81f */
#define MSR_IRR		  0x820 /* 0x820-0x827 */
#define MSR_ESR		  0x828
#define MSR_LVT_CMCI	  0x82f
#define MSR_ICR		  0x830
#define MSR_LVT_TIMER	  0x832 /* timer, thermal, perf, LINT0, LINT1, error: 0x832-0x837 */
#define MSR_LVT_ERROR	  0x837
#define MSR_TIMER_INITIAL 0x838
#define MSR_TIMER_CURRENT 0x839
#define MSR_TIMER_DCR	  0x83e
#define MSR_SELF_IPI	  0x83f

/* SDM 11.4.7.3 figure 11-23, spurious-interrupt vector register. */
#define SVR_ENABLE	 (1u << 8)
#define SVR_SUPPRESS_EOI (1u << 12) /* no EOI broadcast to the IOAPIC */
#define SVR_WRITABLE	 (0xffu | SVR_ENABLE | SVR_SUPPRESS_EOI)

/* SDM 11.5.1 figure 11-8, local vector table entries. */
#define LVT_VECTOR	    0xffu
#define LVT_DELIVERY	    0x700u     /* bits 10:8 */
#define LVT_DELIVERY_STATUS (1u << 12) /* RO: always idle here */
#define LVT_POLARITY	    (1u << 13)
#define LVT_REMOTE_IRR	    (1u << 14) /* RO: level LINT not modelled, always 0 */
#define LVT_TRIGGER	    (1u << 15)
#define LVT_MASKED	    (1u << 16)
#define LVT_TIMER_MODE	    (3u << 17)
#define TIMER_ONE_SHOT	    (0u << 17)
#define TIMER_PERIODIC	    (1u << 17)
#define TIMER_TSC_DEADLINE  (2u << 17)
#define TIMER_MODE_RESERVED (3u << 17)

/* Indices into struct vlapic's lvt[], in MSR order. */
enum lvt_index { LVT_CMCI, LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR };

/* Writable and read-only-but-defined bits of each LVT (SDM figure 11-8).
 * The timer has no delivery mode (always fixed); the error LVT has none
 * either; LINT0/1 add polarity, Remote IRR and trigger mode. */
static const struct {
	uint32_t writable;
	uint32_t read_only;
} lvt_bits[7] = {
	[LVT_CMCI] = {LVT_VECTOR | LVT_DELIVERY | LVT_MASKED, LVT_DELIVERY_STATUS},
	[LVT_TIMER] = {LVT_VECTOR | LVT_MASKED | LVT_TIMER_MODE, LVT_DELIVERY_STATUS},
	[LVT_THERMAL] = {LVT_VECTOR | LVT_DELIVERY | LVT_MASKED, LVT_DELIVERY_STATUS},
	[LVT_PERF] = {LVT_VECTOR | LVT_DELIVERY | LVT_MASKED, LVT_DELIVERY_STATUS},
	[LVT_LINT0] = {LVT_VECTOR | LVT_DELIVERY | LVT_POLARITY | LVT_TRIGGER | LVT_MASKED,
		       LVT_DELIVERY_STATUS | LVT_REMOTE_IRR},
	[LVT_LINT1] = {LVT_VECTOR | LVT_DELIVERY | LVT_POLARITY | LVT_TRIGGER | LVT_MASKED,
		       LVT_DELIVERY_STATUS | LVT_REMOTE_IRR},
	[LVT_ERROR] = {LVT_VECTOR | LVT_MASKED, LVT_DELIVERY_STATUS},
};

/* SDM 11.5.3 figure 11-9, error status register. */
#define ESR_SEND_ILLEGAL    (1u << 5)
#define ESR_RECEIVE_ILLEGAL (1u << 6)

/* SDM 11.12.9 figure 11-28, x2APIC interrupt command register. */
#define ICR_VECTOR	    0xffull
#define ICR_DELIVERY_SHIFT  8
#define ICR_DELIVERY	    (7ull << ICR_DELIVERY_SHIFT)
#define ICR_LOGICAL	    (1ull << 11)
#define ICR_ASSERT	    (1ull << 14)
#define ICR_LEVEL	    (1ull << 15)
#define ICR_SHORTHAND_SHIFT 18
#define ICR_SHORTHAND	    (3ull << ICR_SHORTHAND_SHIFT)
#define ICR_DEST_SHIFT	    32
#define ICR_WRITABLE                                                                        \
	(ICR_VECTOR | ICR_DELIVERY | ICR_LOGICAL | ICR_ASSERT | ICR_LEVEL | ICR_SHORTHAND | \
	 (0xffffffffull << ICR_DEST_SHIFT))

/* SDM 11.5.4 figure 11-10, divide configuration register: bits 0, 1, 3. */
#define DCR_WRITABLE 0xbu

#define VECTOR_FIRST_LEGAL 16 /* SDM 11.5.2: vectors 0-15 are illegal */
#define BROADCAST	   0xffffffffu

/* ---- 256-bit vectors (IRR, ISR, TMR) ------------------------------------ */

static bool vec_test(const uint32_t v[8], unsigned n)
{
	return (v[n / 32] >> (n % 32)) & 1;
}

static void vec_set(uint32_t v[8], unsigned n)
{
	v[n / 32] |= 1u << (n % 32);
}

static void vec_clear(uint32_t v[8], unsigned n)
{
	v[n / 32] &= ~(1u << (n % 32));
}

/* The highest set bit, or -1 if none. */
static int vec_highest(const uint32_t v[8])
{
	for (int i = 7; i >= 0; i--) {
		if (v[i])
			return i * 32 + 31 - __builtin_clz(v[i]);
	}
	return -1;
}

/* ---- priorities and delivery --------------------------------------------- */

static bool sw_enabled(const struct vlapic *l)
{
	return l->svr & SVR_ENABLE;
}

/* SDM 11.8.3.1: PPR is TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4] << 4. */
static uint32_t ppr(const struct vlapic *l)
{
	int isrv = vec_highest(l->isr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;

	return (l->tpr & 0xf0) >= isr_class ? l->tpr : isr_class;
}

/* SDM 11.8.4: acceptance sets IRR, and TMR for level, clears TMR for edge. */
static void set_irr(struct vlapic *l, uint8_t vector, bool level)
{
	vec_set(l->irr, vector);
	if (level)
		vec_set(l->tmr, vector);
	else
		vec_clear(l->tmr, vector);
}

/* SDM 11.5.3: an error sets its ESR bit and interrupts through LVT Error.
 * An illegal vector in LVT Error itself is dropped rather than recursing. */
static void raise_error(struct vlapic *l, uint32_t bit)
{
	uint32_t lvt = l->lvt[LVT_ERROR];

	l->esr_pending |= bit;
	if (!(lvt & LVT_MASKED) && (lvt & LVT_VECTOR) >= VECTOR_FIRST_LEGAL && sw_enabled(l))
		set_irr(l, (uint8_t)(lvt & LVT_VECTOR), false);
}

bool vlapic_accept(struct vlapic *l, uint8_t vector, bool level)
{
	if (vector < VECTOR_FIRST_LEGAL) {
		raise_error(l, ESR_RECEIVE_ILLEGAL);
		return false;
	}
	if (!sw_enabled(l))
		return false; /* SDM 11.4.7.2 */
	set_irr(l, vector, level);
	return true;
}

int vlapic_pending(const struct vlapic *l)
{
	int v = vec_highest(l->irr);

	if (v < 0 || ((uint32_t)v & 0xf0) <= (ppr(l) & 0xf0))
		return -1;
	return v;
}

void vlapic_ack(struct vlapic *l, uint8_t vector)
{
	vec_clear(l->irr, vector);
	vec_set(l->isr, vector);
}

/* SDM 11.12.10.2: the logical x2APIC ID is derived from the x2APIC ID:
 * cluster (ID[19:4]) in bits 31:16, one-hot 1 << ID[3:0] in bits 15:0. */
static uint32_t ldr(const struct vlapic *l)
{
	return ((l->id >> 4) << 16) | (1u << (l->id & 0xf));
}

bool vlapic_matches(const struct vlapic *l, uint32_t dest, bool logical)
{
	if (dest == BROADCAST)
		return true;
	if (!logical)
		return dest == l->id;
	return (dest >> 16) == (ldr(l) >> 16) && (dest & ldr(l) & 0xffff) != 0;
}

/* ---- timer ---------------------------------------------------------------- */

static uint32_t timer_mode(const struct vlapic *l)
{
	return l->lvt[LVT_TIMER] & LVT_TIMER_MODE;
}

/* SDM figure 11-10: DCR bits 3,1:0 = 000 divide by 2 ... 110 by 128, 111 by 1;
 * returned as log2 of the divisor. */
static unsigned divide_shift(uint32_t dcr)
{
	unsigned code = ((dcr >> 1) & 4) | (dcr & 3);

	return (code + 1) & 7;
}

/* now + delta, saturated below VLAPIC_NO_DEADLINE so a far deadline stays armed. */
static uint64_t tsc_after(uint64_t now, uint64_t delta)
{
	uint64_t room = now < VLAPIC_NO_DEADLINE - 1 ? VLAPIC_NO_DEADLINE - 1 - now : 0;

	return delta >= room ? VLAPIC_NO_DEADLINE - 1 : now + delta;
}

static void set_deadline(struct vlapic *l, uint64_t deadline, struct vlapic_effects *fx)
{
	if (deadline != l->deadline)
		fx->timer_changed = true;
	l->deadline = deadline;
}

static bool count_running(const struct vlapic *l)
{
	return timer_mode(l) != TIMER_TSC_DEADLINE && l->timer_initial &&
	       l->deadline != VLAPIC_NO_DEADLINE;
}

/* SDM 11.5.4: the count drops by one every `divide` TSC cycles; a one-shot
 * stops at 0, a periodic one reloads from the initial count.  Precondition:
 * now never goes back before timer_start (the TSC is monotonic). */
static uint32_t timer_current(const struct vlapic *l, uint64_t now)
{
	uint64_t ticks;

	if (!count_running(l))
		return 0;
	ticks = (now - l->timer_start) >> divide_shift(l->timer_dcr);
	if (timer_mode(l) == TIMER_PERIODIC)
		return l->timer_initial - (uint32_t)(ticks % l->timer_initial);
	return ticks >= l->timer_initial ? 0 : l->timer_initial - (uint32_t)ticks;
}

/* SDM 11.5.4.1: a mode change disarms the timer.  The initial count is
 * cleared too (as KVM does), so the counter reads 0 until reloaded. */
static void timer_disarm(struct vlapic *l, struct vlapic_effects *fx)
{
	l->timer_initial = 0;
	l->tsc_deadline = 0;
	set_deadline(l, VLAPIC_NO_DEADLINE, fx);
}

static void timer_load(struct vlapic *l, uint32_t initial, uint64_t now, struct vlapic_effects *fx)
{
	uint64_t period = (uint64_t)initial << divide_shift(l->timer_dcr);

	l->timer_initial = initial;
	l->timer_start = now;
	set_deadline(l, initial ? tsc_after(now, period) : VLAPIC_NO_DEADLINE, fx);
}

/* The first deadline of the periodic sequence that is later than now, so
 * missed periods are coalesced into the one interrupt just taken. */
static uint64_t next_period(const struct vlapic *l, uint64_t now)
{
	uint64_t period = (uint64_t)l->timer_initial << divide_shift(l->timer_dcr);

	if (!period)
		return VLAPIC_NO_DEADLINE; /* not reached: a stopped timer has no deadline */
	return tsc_after(l->deadline, ((now - l->deadline) / period + 1) * period);
}

bool vlapic_timer_expire(struct vlapic *l, uint64_t now)
{
	uint32_t lvt = l->lvt[LVT_TIMER];

	if (l->deadline == VLAPIC_NO_DEADLINE || now < l->deadline)
		return false;
	if (!(lvt & LVT_MASKED))
		vlapic_accept(l, (uint8_t)(lvt & LVT_VECTOR), false);
	if (timer_mode(l) == TIMER_PERIODIC) {
		l->deadline = next_period(l, now);
		return true;
	}
	/* SDM 11.5.4.1: a TSC-deadline timer disarms itself and clears the MSR. */
	l->deadline = VLAPIC_NO_DEADLINE;
	l->tsc_deadline = 0;
	return true;
}

uint64_t vlapic_next_event(const struct vlapic *l)
{
	return l->deadline;
}

/* ---- reset and reads -------------------------------------------------------- */

void vlapic_reset(struct vlapic *l, uint32_t id)
{
	zv_memset(l, 0, sizeof(*l));
	l->id = id;
	l->svr = 0xff;
	for (unsigned i = 0; i < 7; i++)
		l->lvt[i] = LVT_MASKED;
	l->deadline = VLAPIC_NO_DEADLINE;
}

/* lvt[] index of an LVT MSR, or -1. */
static int lvt_index(uint32_t msr)
{
	if (msr == MSR_LVT_CMCI)
		return LVT_CMCI;
	if (msr >= MSR_LVT_TIMER && msr <= MSR_LVT_ERROR)
		return (int)(msr - MSR_LVT_TIMER) + LVT_TIMER;
	return -1;
}

/* ISR, TMR or IRR word for MSRs 0x810-0x827, or NULL. */
static const uint32_t *vector_reg(const struct vlapic *l, uint32_t msr)
{
	if (msr >= MSR_ISR && msr < MSR_ISR + 8)
		return &l->isr[msr - MSR_ISR];
	if (msr >= MSR_TMR && msr < MSR_TMR + 8)
		return &l->tmr[msr - MSR_TMR];
	if (msr >= MSR_IRR && msr < MSR_IRR + 8)
		return &l->irr[msr - MSR_IRR];
	return NULL;
}

/* 32-bit registers read without side effects; -1 for reserved or write-only. */
static int read_reg32(const struct vlapic *l, uint32_t msr, uint64_t now, uint32_t *val)
{
	switch (msr) {
	case MSR_ID: *val = l->id; return 0;
	case MSR_VERSION: *val = VLAPIC_VERSION; return 0;
	case MSR_TPR: *val = l->tpr; return 0;
	case MSR_PPR: *val = ppr(l); return 0;
	case MSR_LDR: *val = ldr(l); return 0;
	case MSR_SVR: *val = l->svr; return 0;
	case MSR_ESR: *val = l->esr; return 0;
	case MSR_TIMER_INITIAL: *val = l->timer_initial; return 0;
	case MSR_TIMER_CURRENT: *val = timer_current(l, now); return 0;
	case MSR_TIMER_DCR: *val = l->timer_dcr; return 0;
	default: return -1; /* EOI and SELF_IPI are write-only (SDM table 11-6) */
	}
}

int vlapic_rdmsr(struct vlapic *l, uint32_t msr, uint64_t now, uint64_t *val)
{
	const uint32_t *word = vector_reg(l, msr);
	int lvt = lvt_index(msr);
	uint32_t v32;

	if (msr == MSR_TSC_DEADLINE) {
		/* SDM 11.5.4.1: reads 0 outside TSC-deadline mode. */
		*val = timer_mode(l) == TIMER_TSC_DEADLINE ? l->tsc_deadline : 0;
		return 0;
	}
	if (msr == MSR_ICR) {
		*val = l->icr;
		return 0;
	}
	if (word) {
		*val = *word;
		return 0;
	}
	if (lvt >= 0) {
		*val = l->lvt[lvt];
		return 0;
	}
	if (read_reg32(l, msr, now, &v32) < 0)
		return -1;
	*val = v32;
	return 0;
}

/* ---- writes ------------------------------------------------------------------ */

/* SDM 11.8.5: EOI retires the highest in-service vector; a level-triggered
 * one is broadcast to the IOAPICs unless SVR suppresses it (SDM 11.8.5.1).
 * TMR is cleared with it unless the vector is pending again in IRR, whose
 * acceptance owns the TMR bit from then on. */
static void write_eoi(struct vlapic *l, struct vlapic_effects *fx)
{
	int v = vec_highest(l->isr);

	if (v < 0)
		return;
	vec_clear(l->isr, (unsigned)v);
	if (!vec_test(l->tmr, (unsigned)v))
		return;
	if (!vec_test(l->irr, (unsigned)v))
		vec_clear(l->tmr, (unsigned)v);
	if (!(l->svr & SVR_SUPPRESS_EOI))
		fx->eoi_vector = v;
}

/* SDM 11.4.7.2: clearing the enable bit masks every LVT entry. */
static void write_svr(struct vlapic *l, uint32_t val)
{
	l->svr = val;
	if (sw_enabled(l))
		return;
	for (unsigned i = 0; i < 7; i++)
		l->lvt[i] |= LVT_MASKED;
}

/* SDM 11.5.3: a write (of 0, x2APIC) latches the errors seen since the last one. */
static void write_esr(struct vlapic *l)
{
	l->esr = l->esr_pending;
	l->esr_pending = 0;
}

static int write_lvt(struct vlapic *l, int i, uint32_t val, struct vlapic_effects *fx)
{
	uint32_t stored = val & lvt_bits[i].writable;

	if (val & ~(lvt_bits[i].writable | lvt_bits[i].read_only))
		return -1;
	if (i == LVT_TIMER && (val & LVT_TIMER_MODE) == TIMER_MODE_RESERVED)
		return -1;
	if (!sw_enabled(l))
		stored |= LVT_MASKED; /* SDM 11.4.7.2: masks cannot be cleared */
	if (i == LVT_TIMER && (stored & LVT_TIMER_MODE) != timer_mode(l))
		timer_disarm(l, fx);
	l->lvt[i] = stored;
	return 0;
}

/* SDM 11.5.4: loading the initial count (re)starts the count; 0 stops it.
 * Ignored in TSC-deadline mode (SDM 11.5.4.1). */
static void write_initial(struct vlapic *l, uint32_t val, uint64_t now, struct vlapic_effects *fx)
{
	if (timer_mode(l) != TIMER_TSC_DEADLINE)
		timer_load(l, val, now, fx);
}

/* The SDM leaves a divide change on a running timer unspecified.  Here the
 * current count carries on from where it is, at the new rate: the
 * deadline moves to now + current * new divide, and timer_start is moved
 * back so the count read so far and the periodic phase stay consistent. */
static void write_dcr(struct vlapic *l, uint32_t val, uint64_t now, struct vlapic_effects *fx)
{
	bool running = count_running(l);
	uint32_t current = timer_current(l, now);
	unsigned shift = divide_shift(val);

	l->timer_dcr = val;
	if (!running)
		return;
	l->timer_start = now - ((uint64_t)(l->timer_initial - current) << shift);
	set_deadline(l, tsc_after(now, (uint64_t)current << shift), fx);
}

/* SDM 11.5.4.1: in TSC-deadline mode a nonzero value arms, 0 disarms;
 * in the other modes the write is ignored. */
static void write_tsc_deadline(struct vlapic *l, uint64_t val, struct vlapic_effects *fx)
{
	if (timer_mode(l) != TIMER_TSC_DEADLINE)
		return;
	l->tsc_deadline = val;
	set_deadline(l, val ? val : VLAPIC_NO_DEADLINE, fx);
}

static bool fixed_mode(enum vlapic_delivery mode)
{
	return mode == VLAPIC_DM_FIXED || mode == VLAPIC_DM_LOWEST;
}

/* SDM 11.6.1 / 11.12.9: an ICR write sends the IPI at once (Delivery Status
 * stays idle).  A fixed or lowest-priority IPI with vector 0-15 is not sent
 * and latches "send illegal vector" (SDM 11.5.3). */
static struct vlapic_ipi icr_decode(uint64_t icr)
{
	return (struct vlapic_ipi){
		.vector = (uint8_t)(icr & ICR_VECTOR),
		.mode = (enum vlapic_delivery)((icr & ICR_DELIVERY) >> ICR_DELIVERY_SHIFT),
		.logical = icr & ICR_LOGICAL,
		.level = icr & ICR_LEVEL,
		.assert = icr &ICR_ASSERT,
		.shorthand = (enum vlapic_shorthand)((icr & ICR_SHORTHAND) >> ICR_SHORTHAND_SHIFT),
		.dest = (uint32_t)(icr >> ICR_DEST_SHIFT),
	};
}

static int write_icr(struct vlapic *l, uint64_t val, struct vlapic_effects *fx)
{
	unsigned mode = (unsigned)((val & ICR_DELIVERY) >> ICR_DELIVERY_SHIFT);

	if (mode == 3 || mode == 7)
		return -1; /* reserved delivery modes (SDM 11.6.1) */
	l->icr = val & ICR_WRITABLE;
	fx->ipi = icr_decode(l->icr);
	if (fixed_mode(fx->ipi.mode) && fx->ipi.vector < VECTOR_FIRST_LEGAL) {
		raise_error(l, ESR_SEND_ILLEGAL);
		return 0;
	}
	fx->ipi_valid = true;
	return 0;
}

/* SDM 11.12.11: SELF IPI is a fixed, edge, self-directed IPI.  An illegal
 * vector is the sender's error (SDM 11.5.3: "send illegal vector"). */
static void write_self_ipi(struct vlapic *l, uint32_t vector)
{
	if (vector < VECTOR_FIRST_LEGAL)
		raise_error(l, ESR_SEND_ILLEGAL);
	else
		vlapic_accept(l, (uint8_t)vector, false);
}

/* Writable mask of each 32-bit register that has no side effect on a
 * refused write; 0 for the read-only and reserved ones. */
static uint32_t write_mask(uint32_t msr)
{
	switch (msr) {
	case MSR_TPR: return 0xff;
	case MSR_SVR: return SVR_WRITABLE;
	case MSR_TIMER_INITIAL: return 0xffffffff;
	case MSR_TIMER_DCR: return DCR_WRITABLE;
	case MSR_SELF_IPI: return 0xff;
	default: return 0;
	}
}

static int write_reg32(struct vlapic *l, uint32_t msr, uint32_t val, uint64_t now,
		       struct vlapic_effects *fx)
{
	int lvt = lvt_index(msr);

	if (lvt >= 0)
		return write_lvt(l, lvt, val, fx);
	if (msr == MSR_EOI || msr == MSR_ESR) {
		if (val)
			return -1; /* SDM 11.12.1.2: nonzero EOI or ESR write */
		if (msr == MSR_EOI)
			write_eoi(l, fx);
		else
			write_esr(l);
		return 0;
	}
	if (!write_mask(msr) || (val & ~write_mask(msr)))
		return -1; /* read-only, reserved register, or reserved bits */
	switch (msr) {
	case MSR_TPR: l->tpr = val; break;
	case MSR_SVR: write_svr(l, val); break;
	case MSR_TIMER_INITIAL: write_initial(l, val, now, fx); break;
	case MSR_TIMER_DCR: write_dcr(l, val, now, fx); break;
	default: write_self_ipi(l, val); break;
	}
	return 0;
}

int vlapic_wrmsr(struct vlapic *l, uint32_t msr, uint64_t val, uint64_t now,
		 struct vlapic_effects *fx)
{
	*fx = (struct vlapic_effects){.ipi_valid = false, .eoi_vector = -1, .timer_changed = false};
	if (msr == MSR_TSC_DEADLINE) {
		write_tsc_deadline(l, val, fx);
		return 0;
	}
	if (msr == MSR_ICR)
		return write_icr(l, val, fx);
	if (val >> 32)
		return -1; /* bits 63:32 of a 32-bit register are reserved */
	return write_reg32(l, msr, (uint32_t)val, now, fx);
}
