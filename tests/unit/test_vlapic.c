/* Unit tests of the virtual x2APIC register logic (zones/platform/vlapic.c). */
#include <string.h>

#include "tests/unit/test.h"
#include "zones/platform/vlapic.h"

#define EOI	     0x80b
#define TPR	     0x808
#define PPR	     0x80a
#define SVR	     0x80f
#define ESR	     0x828
#define ICR	     0x830
#define LVT_CMCI     0x82f
#define LVT_TIMER    0x832
#define LVT_THERMAL  0x833
#define LVT_PERF     0x834
#define LVT_LINT0    0x835
#define LVT_LINT1    0x836
#define LVT_ERROR    0x837
#define TMICT	     0x838
#define TMCCT	     0x839
#define TDCR	     0x83e
#define SELF_IPI     0x83f
#define MASKED	     0x10000u
#define PERIODIC     (1u << 17)
#define TSC_DEADLINE (2u << 17)
#define DIV_1	     0xb

static struct vlapic_effects fx;

/* A reset APIC with the given ID, software-enabled (SVR 0x1FF). */
static struct vlapic enabled(uint32_t id)
{
	struct vlapic l;

	vlapic_reset(&l, id);
	l.svr = 0x1ff;
	return l;
}

static int wr(struct vlapic *l, uint32_t msr, uint64_t val, uint64_t now)
{
	return vlapic_wrmsr(l, msr, val, now, &fx);
}

/* The register's value; records a failed check if the read faults. */
static uint64_t rd(struct vlapic *l, uint32_t msr, uint64_t now)
{
	uint64_t v = 0xdeadbeef;

	if (vlapic_rdmsr(l, msr, now, &v) != 0)
		zv_check_failed(__FILE__, __LINE__, "rdmsr faulted");
	return v;
}

static bool rd_faults(struct vlapic *l, uint32_t msr)
{
	uint64_t v = 0x1234;

	return vlapic_rdmsr(l, msr, 0, &v) == -1 && v == 0x1234;
}

/* A write refused with #GP that left the APIC exactly as it was. */
static bool wr_faults(struct vlapic *l, uint32_t msr, uint64_t val)
{
	struct vlapic before = *l;

	return wr(l, msr, val, 0) == -1 && memcmp(&before, l, sizeof(before)) == 0;
}

static bool irr_has(const struct vlapic *l, unsigned v)
{
	return (l->irr[v / 32] >> (v % 32)) & 1;
}

static bool isr_has(const struct vlapic *l, unsigned v)
{
	return (l->isr[v / 32] >> (v % 32)) & 1;
}

static bool tmr_has(const struct vlapic *l, unsigned v)
{
	return (l->tmr[v / 32] >> (v % 32)) & 1;
}

/* Takes the pending interrupt the way the vCPU would; returns it or -1. */
static int take(struct vlapic *l)
{
	int v = vlapic_pending(l);

	if (v >= 0)
		vlapic_ack(l, (uint8_t)v);
	return v;
}

/* Latches ESR (write 0) and returns what was latched. */
static uint64_t latch_esr(struct vlapic *l)
{
	CHECK(wr(l, ESR, 0, 0) == 0);
	return rd(l, ESR, 0);
}

/* ---- reset and identification ------------------------------------------- */

TEST(reset_state)
{
	struct vlapic l;

	memset(&l, 0xa5, sizeof(l));
	vlapic_reset(&l, 7);
	CHECK_EQ_U64(rd(&l, 0x802, 0), 7);
	CHECK_EQ_U64(rd(&l, 0x803, 0), VLAPIC_VERSION);
	CHECK_EQ_U64(rd(&l, SVR, 0), 0xff);
	CHECK_EQ_U64(rd(&l, TPR, 0), 0);
	CHECK_EQ_U64(rd(&l, PPR, 0), 0);
	CHECK_EQ_U64(rd(&l, ICR, 0), 0);
	CHECK_EQ_U64(rd(&l, ESR, 0), 0);
	CHECK_EQ_U64(rd(&l, TMICT, 0), 0);
	CHECK_EQ_U64(rd(&l, TMCCT, 0), 0);
	CHECK_EQ_U64(rd(&l, TDCR, 0), 0);
	CHECK_EQ_U64(rd(&l, LVT_CMCI, 0), MASKED);
	for (uint32_t m = LVT_TIMER; m <= LVT_ERROR; m++)
		CHECK_EQ_U64(rd(&l, m, 0), MASKED);
	for (uint32_t m = 0x810; m <= 0x827; m++)
		CHECK_EQ_U64(rd(&l, m, 0), 0);
	CHECK_EQ_U64(vlapic_next_event(&l), VLAPIC_NO_DEADLINE);
	CHECK(vlapic_pending(&l) == -1);
}

TEST(id_version_ldr_are_read_only)
{
	struct vlapic l = enabled(0x23);

	CHECK_EQ_U64(rd(&l, 0x802, 0), 0x23);
	CHECK_EQ_U64(rd(&l, 0x803, 0), 0x50014);
	CHECK_EQ_U64(rd(&l, 0x80d, 0), 0x20008);
	CHECK(wr_faults(&l, 0x802, 5));
	CHECK(wr_faults(&l, 0x803, 0));
	CHECK(wr_faults(&l, 0x80d, 0x10001));
	CHECK(wr_faults(&l, PPR, 0));
	CHECK(wr_faults(&l, TMCCT, 0));
}

TEST(ldr_is_cluster_and_bit)
{
	static const struct {
		uint32_t id, ldr;
	} cases[] = {
		{0, 0x1}, {0xf, 0x8000}, {0x10, 0x10001}, {0x23, 0x20008}, {0x12345, 0x12340020}};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vlapic l = enabled(cases[i].id);

		CHECK_EQ_U64(rd(&l, 0x80d, 0), cases[i].ldr);
	}
}

TEST(reserved_and_write_only_registers_fault)
{
	static const uint32_t reserved[] = {0x800, 0x801, 0x804, 0x807, 0x809, 0x80c, 0x80e,
					    0x829, 0x82e, 0x831, 0x83a, 0x83d, 0x840, 0x8ff};
	struct vlapic l = enabled(1);

	for (unsigned i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		CHECK(rd_faults(&l, reserved[i]));
		CHECK(wr_faults(&l, reserved[i], 0));
	}
	CHECK(rd_faults(&l, EOI));
	CHECK(rd_faults(&l, SELF_IPI));
}

TEST(wrmsr_initialises_effects)
{
	struct vlapic l = enabled(1);

	memset(&fx, 0x5a, sizeof(fx));
	CHECK(wr(&l, TPR, 0x10, 0) == 0);
	CHECK(!fx.ipi_valid);
	CHECK(fx.eoi_vector == -1);
	CHECK(!fx.timer_changed);
	memset(&fx, 0x5a, sizeof(fx));
	CHECK(wr(&l, 0x802, 1, 0) == -1);
	CHECK(!fx.ipi_valid && fx.eoi_vector == -1 && !fx.timer_changed);
}

TEST(upper_half_of_32bit_registers_is_reserved)
{
	static const uint32_t regs[] = {TPR,	   EOI,	  SVR,	ESR,	 LVT_TIMER,
					LVT_LINT0, TMICT, TDCR, SELF_IPI};
	struct vlapic l = enabled(1);

	for (unsigned i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		CHECK(wr_faults(&l, regs[i], 1ull << 32));
}

/* ---- TPR, PPR, SVR, ESR ------------------------------------------------------ */

TEST(tpr_reads_back_and_rejects_reserved_bits)
{
	struct vlapic l = enabled(1);

	CHECK(wr(&l, TPR, 0x5f, 0) == 0);
	CHECK_EQ_U64(rd(&l, TPR, 0), 0x5f);
	CHECK_EQ_U64(rd(&l, PPR, 0), 0x5f);
	CHECK(wr_faults(&l, TPR, 0x100));
	CHECK_EQ_U64(rd(&l, TPR, 0), 0x5f);
}

TEST(ppr_is_tpr_or_isr_class)
{
	struct vlapic l = enabled(1);

	CHECK(wr(&l, TPR, 0x30, 0) == 0);
	CHECK_EQ_U64(rd(&l, PPR, 0), 0x30);
	vlapic_ack(&l, 0x51);
	CHECK_EQ_U64(rd(&l, PPR, 0), 0x50); /* TPR class 3 < ISRV class 5 */
	CHECK(wr(&l, TPR, 0x5a, 0) == 0);
	CHECK_EQ_U64(rd(&l, PPR, 0), 0x5a); /* same class: TPR wins, low bits too */
	CHECK(wr(&l, TPR, 0x7c, 0) == 0);
	CHECK_EQ_U64(rd(&l, PPR, 0), 0x7c);
	CHECK(wr(&l, TPR, 0x0f, 0) == 0);
	CHECK_EQ_U64(rd(&l, PPR, 0), 0x50); /* ISRV low bits never show */
	CHECK(wr(&l, EOI, 0, 0) == 0);
	CHECK_EQ_U64(rd(&l, PPR, 0), 0x0f);
}

TEST(svr_writable_bits)
{
	struct vlapic l = enabled(1);

	CHECK(wr(&l, SVR, 0x11ff, 0) == 0);
	CHECK_EQ_U64(rd(&l, SVR, 0), 0x11ff);
	CHECK(wr(&l, SVR, 0x1f0, 0) == 0);
	CHECK_EQ_U64(rd(&l, SVR, 0), 0x1f0);
	CHECK(wr_faults(&l, SVR, 0x3ff));  /* bit 9, focus checking: reserved */
	CHECK(wr_faults(&l, SVR, 0x21ff)); /* bit 13 */
	CHECK_EQ_U64(rd(&l, SVR, 0), 0x1f0);
}

TEST(software_disable_masks_every_lvt)
{
	struct vlapic l = enabled(1);

	CHECK(wr(&l, LVT_TIMER, 0x20, 0) == 0);
	CHECK(wr(&l, LVT_LINT0, 0x700, 0) == 0);
	CHECK(wr(&l, LVT_ERROR, 0xfe, 0) == 0);
	CHECK(wr(&l, LVT_CMCI, 0xf0, 0) == 0);
	CHECK(wr(&l, SVR, 0xff, 0) == 0);
	CHECK_EQ_U64(rd(&l, LVT_TIMER, 0), MASKED | 0x20);
	CHECK_EQ_U64(rd(&l, LVT_LINT0, 0), MASKED | 0x700);
	CHECK_EQ_U64(rd(&l, LVT_ERROR, 0), MASKED | 0xfe);
	CHECK_EQ_U64(rd(&l, LVT_CMCI, 0), MASKED | 0xf0);
	/* While disabled the mask cannot be cleared. */
	CHECK(wr(&l, LVT_TIMER, 0x31, 0) == 0);
	CHECK_EQ_U64(rd(&l, LVT_TIMER, 0), MASKED | 0x31);
	/* Re-enabling leaves them masked until software unmasks them. */
	CHECK(wr(&l, SVR, 0x1ff, 0) == 0);
	CHECK_EQ_U64(rd(&l, LVT_TIMER, 0), MASKED | 0x31);
	CHECK(wr(&l, LVT_TIMER, 0x31, 0) == 0);
	CHECK_EQ_U64(rd(&l, LVT_TIMER, 0), 0x31);
}

TEST(software_disabled_apic_drops_interrupts)
{
	struct vlapic l;

	vlapic_reset(&l, 1);
	CHECK(!vlapic_accept(&l, 0x40, false));
	CHECK(wr(&l, SELF_IPI, 0x41, 0) == 0);
	CHECK(!irr_has(&l, 0x40) && !irr_has(&l, 0x41));
	CHECK(vlapic_pending(&l) == -1);
	CHECK(wr(&l, SVR, 0x1ff, 0) == 0);
	CHECK(vlapic_accept(&l, 0x40, false));
	CHECK(vlapic_pending(&l) == 0x40);
}

TEST(esr_latches_on_write_of_zero)
{
	struct vlapic l = enabled(1);

	CHECK(!vlapic_accept(&l, 5, false));
	CHECK_EQ_U64(rd(&l, ESR, 0), 0); /* not visible before the latch */
	CHECK_EQ_U64(latch_esr(&l), 0x40);
	CHECK_EQ_U64(rd(&l, ESR, 0), 0x40); /* stays readable */
	CHECK_EQ_U64(latch_esr(&l), 0);	    /* nothing new since */
	CHECK(wr_faults(&l, ESR, 0x40));
}

TEST(illegal_vectors_are_dropped_into_esr)
{
	struct vlapic l = enabled(1);

	for (unsigned v = 0; v < 16; v++)
		CHECK(!vlapic_accept(&l, (uint8_t)v, false));
	CHECK_EQ_U64(l.irr[0], 0);
	CHECK(vlapic_pending(&l) == -1);
	CHECK_EQ_U64(latch_esr(&l), 0x40);
	CHECK(vlapic_accept(&l, 16, false));
	CHECK(irr_has(&l, 16));
	CHECK_EQ_U64(latch_esr(&l), 0);
}

TEST(error_interrupts_through_lvt_error)
{
	struct vlapic l = enabled(1);

	CHECK(!vlapic_accept(&l, 2, false)); /* LVT error masked: no interrupt */
	CHECK(vlapic_pending(&l) == -1);
	CHECK(wr(&l, LVT_ERROR, 0xfe, 0) == 0);
	CHECK(!vlapic_accept(&l, 2, false));
	CHECK(vlapic_pending(&l) == 0xfe);
	CHECK(!tmr_has(&l, 0xfe));
}

/* ---- LVT entries -------------------------------------------------------------- */

TEST(lvt_entries_read_back_writable_bits)
{
	struct vlapic l = enabled(1);

	CHECK(wr(&l, LVT_CMCI, 0x102f0, 0) == 0);
	CHECK_EQ_U64(rd(&l, LVT_CMCI, 0), 0x102f0);
	CHECK(wr(&l, LVT_TIMER, 0x300ef, 0) == 0); /* masked, periodic, vector 0xef */
	CHECK_EQ_U64(rd(&l, LVT_TIMER, 0), 0x300ef);
	CHECK(wr(&l, LVT_THERMAL, 0x0fa, 0) == 0);
	CHECK_EQ_U64(rd(&l, LVT_THERMAL, 0), 0xfa);
	CHECK(wr(&l, LVT_PERF, 0x400, 0) == 0); /* NMI */
	CHECK_EQ_U64(rd(&l, LVT_PERF, 0), 0x400);
	CHECK(wr(&l, LVT_LINT0, 0x1a700, 0) == 0); /* ExtINT, active low, level, masked */
	CHECK_EQ_U64(rd(&l, LVT_LINT0, 0), 0x1a700);
	CHECK(wr(&l, LVT_LINT1, 0x400, 0) == 0);
	CHECK_EQ_U64(rd(&l, LVT_LINT1, 0), 0x400);
	CHECK(wr(&l, LVT_ERROR, 0xfe, 0) == 0);
	CHECK_EQ_U64(rd(&l, LVT_ERROR, 0), 0xfe);
}

TEST(lvt_read_only_bits_are_ignored)
{
	struct vlapic l = enabled(1);

	CHECK(wr(&l, LVT_LINT0, 0x5000 | 0x20, 0) == 0); /* delivery status, remote IRR */
	CHECK_EQ_U64(rd(&l, LVT_LINT0, 0), 0x20);
	CHECK(wr(&l, LVT_TIMER, 0x1000 | 0x21, 0) == 0);
	CHECK_EQ_U64(rd(&l, LVT_TIMER, 0), 0x21);
}

TEST(lvt_reserved_bits_fault)
{
	struct vlapic l = enabled(1);

	CHECK(wr_faults(&l, LVT_TIMER, 0x60020));   /* timer mode 11 */
	CHECK(wr_faults(&l, LVT_TIMER, 0x400));	    /* the timer has no delivery mode */
	CHECK(wr_faults(&l, LVT_TIMER, 0x8000));    /* nor trigger mode */
	CHECK(wr_faults(&l, LVT_TIMER, 0x80000));   /* bit 19 */
	CHECK(wr_faults(&l, LVT_ERROR, 0x4fe));	    /* the error LVT has no delivery mode */
	CHECK(wr_faults(&l, LVT_THERMAL, 0x20000)); /* bit 17: no mode outside the timer */
	CHECK(wr_faults(&l, LVT_PERF, 0x2000));	    /* polarity is LINT-only */
	CHECK(wr_faults(&l, LVT_CMCI, 0x800));	    /* bit 11 */
	CHECK(wr_faults(&l, LVT_LINT1, 0x100000));  /* bit 20 */
}

/* ---- interrupt flow ------------------------------------------------------------ */

TEST(irr_isr_tmr_words_are_read_only_views)
{
	struct vlapic l = enabled(1);

	CHECK(vlapic_accept(&l, 0x41, true));
	CHECK(vlapic_accept(&l, 0x90, false));
	CHECK(vlapic_accept(&l, 0xff, true));
	CHECK_EQ_U64(rd(&l, 0x822, 0), 1u << 1);  /* IRR 0x41 */
	CHECK_EQ_U64(rd(&l, 0x824, 0), 1u << 16); /* IRR 0x90 */
	CHECK_EQ_U64(rd(&l, 0x827, 0), 1u << 31); /* IRR 0xff */
	CHECK_EQ_U64(rd(&l, 0x81a, 0), 1u << 1);  /* TMR 0x41 */
	CHECK_EQ_U64(rd(&l, 0x81c, 0), 0);	  /* 0x90 is edge */
	CHECK_EQ_U64(rd(&l, 0x81f, 0), 1u << 31);
	vlapic_ack(&l, 0xff);
	CHECK_EQ_U64(rd(&l, 0x817, 0), 1u << 31); /* ISR 0xff */
	CHECK_EQ_U64(rd(&l, 0x827, 0), 0);
	for (uint32_t m = 0x810; m <= 0x827; m++)
		CHECK(wr_faults(&l, m, 0));
}

TEST(edge_acceptance_clears_tmr)
{
	struct vlapic l = enabled(1);

	CHECK(vlapic_accept(&l, 0x50, true));
	CHECK(tmr_has(&l, 0x50));
	CHECK(vlapic_accept(&l, 0x50, false));
	CHECK(!tmr_has(&l, 0x50));
	CHECK(irr_has(&l, 0x50));
}

TEST(pending_is_highest_irr_above_ppr_class)
{
	struct vlapic l = enabled(1);

	CHECK(vlapic_accept(&l, 0x30, false));
	CHECK(vlapic_accept(&l, 0x52, false));
	CHECK(vlapic_pending(&l) == 0x52);
	CHECK(wr(&l, TPR, 0x50, 0) == 0);
	CHECK(vlapic_pending(&l) == -1); /* class 5 is not above TPR class 5 */
	CHECK(wr(&l, TPR, 0x4f, 0) == 0);
	CHECK(vlapic_pending(&l) == 0x52);
	CHECK(wr(&l, TPR, 0xff, 0) == 0);
	CHECK(vlapic_pending(&l) == -1);
}

TEST(ack_moves_irr_to_isr)
{
	struct vlapic l = enabled(1);

	CHECK(vlapic_accept(&l, 0x77, false));
	vlapic_ack(&l, 0x77);
	CHECK(!irr_has(&l, 0x77));
	CHECK(isr_has(&l, 0x77));
	CHECK(vlapic_pending(&l) == -1);
}

TEST(nested_priorities_and_eoi_order)
{
	struct vlapic l = enabled(1);

	CHECK(vlapic_accept(&l, 0x40, false));
	CHECK(take(&l) == 0x40);
	CHECK(vlapic_accept(&l, 0x35, false));
	CHECK(vlapic_accept(&l, 0x4a, false));
	CHECK(vlapic_pending(&l) == -1); /* 0x4a same class as 0x40 in service */
	CHECK(vlapic_accept(&l, 0x61, false));
	CHECK(take(&l) == 0x61); /* higher class nests */
	CHECK_EQ_U64(rd(&l, PPR, 0), 0x60);
	CHECK(wr(&l, EOI, 0, 0) == 0); /* retires 0x61, the highest in service */
	CHECK(!isr_has(&l, 0x61) && isr_has(&l, 0x40));
	CHECK(vlapic_pending(&l) == -1);
	CHECK(wr(&l, EOI, 0, 0) == 0);
	CHECK(!isr_has(&l, 0x40));
	CHECK(take(&l) == 0x4a);
	CHECK(vlapic_pending(&l) == -1); /* 0x35 below 0x4a's class */
	CHECK(wr(&l, EOI, 0, 0) == 0);
	CHECK(take(&l) == 0x35);
	CHECK(wr(&l, EOI, 0, 0) == 0);
	CHECK(take(&l) == -1);
	CHECK_EQ_U64(rd(&l, PPR, 0), 0);
}

TEST(eoi_nonzero_faults_and_empty_is_noop)
{
	struct vlapic l = enabled(1);

	CHECK(wr(&l, EOI, 0, 0) == 0); /* nothing in service */
	CHECK(fx.eoi_vector == -1);
	vlapic_ack(&l, 0x80);
	CHECK(wr_faults(&l, EOI, 1));
	CHECK(isr_has(&l, 0x80));
	CHECK(wr(&l, EOI, 0, 0) == 0);
	CHECK(!isr_has(&l, 0x80));
}

TEST(eoi_of_level_vector_is_broadcast)
{
	struct vlapic l = enabled(1);

	CHECK(vlapic_accept(&l, 0x60, true));
	CHECK(take(&l) == 0x60);
	CHECK(tmr_has(&l, 0x60));
	CHECK(wr(&l, EOI, 0, 0) == 0);
	CHECK(fx.eoi_vector == 0x60);
	CHECK(!tmr_has(&l, 0x60));
	CHECK(vlapic_accept(&l, 0x61, false));
	CHECK(take(&l) == 0x61);
	CHECK(wr(&l, EOI, 0, 0) == 0);
	CHECK(fx.eoi_vector == -1); /* edge: nothing to tell the IOAPIC */
}

TEST(eoi_broadcast_suppressed_by_svr)
{
	struct vlapic l = enabled(1);

	CHECK(wr(&l, SVR, 0x11ff, 0) == 0);
	CHECK(vlapic_accept(&l, 0x60, true));
	CHECK(take(&l) == 0x60);
	CHECK(wr(&l, EOI, 0, 0) == 0);
	CHECK(fx.eoi_vector == -1);
	CHECK(!isr_has(&l, 0x60));
}

TEST(eoi_keeps_tmr_of_vector_pending_again)
{
	struct vlapic l = enabled(1);

	CHECK(vlapic_accept(&l, 0x60, true));
	CHECK(take(&l) == 0x60);
	CHECK(vlapic_accept(&l, 0x60, true));
	CHECK(wr(&l, EOI, 0, 0) == 0);
	CHECK(fx.eoi_vector == 0x60);
	CHECK(tmr_has(&l, 0x60)); /* the pending one is still level */
	CHECK(take(&l) == 0x60);
	CHECK(wr(&l, EOI, 0, 0) == 0);
	CHECK(fx.eoi_vector == 0x60);
	CHECK(!tmr_has(&l, 0x60));
}

/* ---- ICR and self IPI ------------------------------------------------------------- */

TEST(icr_fixed_physical)
{
	struct vlapic l = enabled(1);

	CHECK(wr(&l, ICR, 0x0000000300000041ull, 0) == 0);
	CHECK(fx.ipi_valid);
	CHECK_EQ_U64(fx.ipi.vector, 0x41);
	CHECK(fx.ipi.mode == VLAPIC_DM_FIXED);
	CHECK(!fx.ipi.logical && !fx.ipi.level && !fx.ipi.assert);
	CHECK(fx.ipi.shorthand == VLAPIC_DEST_FIELD);
	CHECK_EQ_U64(fx.ipi.dest, 3);
	CHECK_EQ_U64(rd(&l, ICR, 0), 0x0000000300000041ull);
	CHECK(!irr_has(&l, 0x41)); /* routing, self included, is the caller's */
}

TEST(icr_init_and_startup)
{
	struct vlapic l = enabled(0);

	CHECK(wr(&l, ICR, 0x000000050000c500ull, 0) == 0); /* INIT, level, assert */
	CHECK(fx.ipi_valid && fx.ipi.mode == VLAPIC_DM_INIT);
	CHECK(fx.ipi.level && fx.ipi.assert);
	CHECK_EQ_U64(fx.ipi.dest, 5);
	CHECK(wr(&l, ICR, 0x0000000500008500ull, 0) == 0); /* INIT level de-assert */
	CHECK(fx.ipi_valid && fx.ipi.mode == VLAPIC_DM_INIT);
	CHECK(fx.ipi.level && !fx.ipi.assert);
	CHECK(wr(&l, ICR, 0x000000050000069aull, 0) == 0); /* SIPI, page 0x9a */
	CHECK(fx.ipi_valid && fx.ipi.mode == VLAPIC_DM_STARTUP);
	CHECK_EQ_U64(fx.ipi.vector, 0x9a);
	CHECK(!fx.ipi.level);
}

TEST(icr_nmi_smi_lowest_logical)
{
	struct vlapic l = enabled(0);

	CHECK(wr(&l, ICR, 0x0002000400000c00ull, 0) == 0); /* NMI, logical */
	CHECK(fx.ipi_valid && fx.ipi.mode == VLAPIC_DM_NMI);
	CHECK(fx.ipi.logical);
	CHECK_EQ_U64(fx.ipi.dest, 0x20004);
	CHECK(wr(&l, ICR, 0x200, 0) == 0);
	CHECK(fx.ipi_valid && fx.ipi.mode == VLAPIC_DM_SMI);
	CHECK(wr(&l, ICR, 0x0001000f00000931ull, 0) == 0); /* lowest priority, logical */
	CHECK(fx.ipi_valid && fx.ipi.mode == VLAPIC_DM_LOWEST);
	CHECK(fx.ipi.logical);
	CHECK_EQ_U64(fx.ipi.vector, 0x31);
	CHECK_EQ_U64(fx.ipi.dest, 0x1000f);
}

TEST(icr_shorthands)
{
	static const struct {
		uint64_t icr;
		enum vlapic_shorthand sh;
	} cases[] = {{0x40040, VLAPIC_DEST_SELF},
		     {0x80040, VLAPIC_DEST_ALL},
		     {0xc0040, VLAPIC_DEST_ALL_BUT_SELF},
		     {0xc4500, VLAPIC_DEST_ALL_BUT_SELF}};
	struct vlapic l = enabled(0);

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(wr(&l, ICR, cases[i].icr, 0) == 0);
		CHECK(fx.ipi_valid);
		CHECK(fx.ipi.shorthand == cases[i].sh);
	}
	CHECK(fx.ipi.mode == VLAPIC_DM_INIT);
}

TEST(icr_illegal_vector_is_not_sent)
{
	struct vlapic l = enabled(0);

	CHECK(wr(&l, ICR, 0x0000000100000005ull, 0) == 0);
	CHECK(!fx.ipi_valid);
	CHECK_EQ_U64(latch_esr(&l), 0x20);		   /* send illegal vector */
	CHECK(wr(&l, ICR, 0x0000000100000400ull, 0) == 0); /* NMI: vector unused */
	CHECK(fx.ipi_valid);
	CHECK_EQ_U64(latch_esr(&l), 0);
}

TEST(icr_reserved_modes_fault_and_reserved_bits_drop)
{
	struct vlapic l = enabled(0);

	CHECK(wr(&l, ICR, 0x0000000200000041ull, 0) == 0);
	CHECK(wr_faults(&l, ICR, 0x341));
	CHECK(wr_faults(&l, ICR, 0x741));
	CHECK_EQ_U64(rd(&l, ICR, 0), 0x0000000200000041ull);
	CHECK(wr(&l, ICR, 0xfff31041ull, 0) == 0); /* delivery status and bits 31:20 */
	CHECK_EQ_U64(rd(&l, ICR, 0), 0x41);
	CHECK(fx.ipi_valid && fx.ipi.vector == 0x41 && fx.ipi.shorthand == VLAPIC_DEST_FIELD);
}

TEST(self_ipi)
{
	struct vlapic l = enabled(0);

	CHECK(vlapic_accept(&l, 0x55, true));
	CHECK(wr(&l, SELF_IPI, 0x55, 0) == 0);
	CHECK(!fx.ipi_valid);
	CHECK(irr_has(&l, 0x55));
	CHECK(!tmr_has(&l, 0x55)); /* self IPIs are edge */
	CHECK(wr(&l, SELF_IPI, 0xf0, 0) == 0);
	CHECK(vlapic_pending(&l) == 0xf0);
	CHECK(wr_faults(&l, SELF_IPI, 0x155));
	CHECK(wr(&l, SELF_IPI, 7, 0) == 0);
	CHECK(!irr_has(&l, 7));
	CHECK_EQ_U64(latch_esr(&l), 0x20);
}

/* ---- timer ---------------------------------------------------------------------- */

TEST(one_shot_counts_down_fires_once)
{
	struct vlapic l = enabled(0);

	CHECK(wr(&l, TDCR, DIV_1, 0) == 0);
	CHECK(wr(&l, LVT_TIMER, 0x30, 0) == 0);
	CHECK(!fx.timer_changed);
	CHECK(wr(&l, TMICT, 1000, 10000) == 0);
	CHECK(fx.timer_changed);
	CHECK_EQ_U64(vlapic_next_event(&l), 11000);
	CHECK_EQ_U64(rd(&l, TMICT, 10250), 1000);
	CHECK_EQ_U64(rd(&l, TMCCT, 10000), 1000);
	CHECK_EQ_U64(rd(&l, TMCCT, 10250), 750);
	CHECK_EQ_U64(rd(&l, TMCCT, 10999), 1);
	CHECK(!vlapic_timer_expire(&l, 10999));
	CHECK(!irr_has(&l, 0x30));
	CHECK(vlapic_timer_expire(&l, 11000));
	CHECK(irr_has(&l, 0x30));
	CHECK(!tmr_has(&l, 0x30));
	CHECK_EQ_U64(vlapic_next_event(&l), VLAPIC_NO_DEADLINE);
	CHECK_EQ_U64(rd(&l, TMCCT, 11000), 0);
	CHECK_EQ_U64(rd(&l, TMCCT, 99999), 0);
	CHECK_EQ_U64(rd(&l, TMICT, 11000), 1000);
	CHECK(take(&l) == 0x30);
	CHECK(!vlapic_timer_expire(&l, 50000));
	CHECK(!irr_has(&l, 0x30));
}

TEST(one_shot_count_clamps_at_zero_before_expire_runs)
{
	struct vlapic l = enabled(0);

	CHECK(wr(&l, TDCR, DIV_1, 0) == 0);
	CHECK(wr(&l, LVT_TIMER, 0x30, 0) == 0);
	CHECK(wr(&l, TMICT, 100, 0) == 0);
	CHECK_EQ_U64(rd(&l, TMCCT, 5000), 0); /* late: expire not yet called */
	CHECK(vlapic_timer_expire(&l, 5000));
}

TEST(initial_count_reload_and_zero_stop)
{
	struct vlapic l = enabled(0);

	CHECK(wr(&l, TDCR, DIV_1, 0) == 0);
	CHECK(wr(&l, LVT_TIMER, 0x30, 0) == 0);
	CHECK(wr(&l, TMICT, 100, 0) == 0);
	CHECK(wr(&l, TMICT, 500, 50) == 0); /* restarts the count */
	CHECK(fx.timer_changed);
	CHECK_EQ_U64(vlapic_next_event(&l), 550);
	CHECK_EQ_U64(rd(&l, TMCCT, 150), 400);
	CHECK(wr(&l, TMICT, 0, 200) == 0);
	CHECK(fx.timer_changed);
	CHECK_EQ_U64(vlapic_next_event(&l), VLAPIC_NO_DEADLINE);
	CHECK_EQ_U64(rd(&l, TMCCT, 300), 0);
	CHECK(!vlapic_timer_expire(&l, 1000));
	CHECK(wr(&l, TMICT, 0, 300) == 0);
	CHECK(!fx.timer_changed); /* already stopped */
}

TEST(divide_configuration_values)
{
	static const struct {
		uint32_t dcr;
		uint64_t divisor;
	} cases[] = {{0x0, 2},	{0x1, 4},  {0x2, 8},   {0x3, 16},
		     {0x8, 32}, {0x9, 64}, {0xa, 128}, {0xb, 1}};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vlapic l = enabled(0);

		CHECK(wr(&l, TDCR, cases[i].dcr, 0) == 0);
		CHECK_EQ_U64(rd(&l, TDCR, 0), cases[i].dcr);
		CHECK(wr(&l, TMICT, 100, 1000) == 0);
		CHECK_EQ_U64(vlapic_next_event(&l), 1000 + 100 * cases[i].divisor);
		CHECK_EQ_U64(rd(&l, TMCCT, 1000 + 10 * cases[i].divisor), 90);
		CHECK_EQ_U64(rd(&l, TMCCT, 1000 + 10 * cases[i].divisor - 1), 91);
	}
}

TEST(divide_configuration_reserved_bits)
{
	struct vlapic l = enabled(0);

	CHECK(wr_faults(&l, TDCR, 0x4));
	CHECK(wr_faults(&l, TDCR, 0x10));
	CHECK(wr_faults(&l, TDCR, 0xf));
	CHECK_EQ_U64(rd(&l, TDCR, 0), 0);
}

TEST(divide_change_keeps_current_count)
{
	struct vlapic l = enabled(0);

	CHECK(wr(&l, TDCR, DIV_1, 0) == 0);
	CHECK(wr(&l, LVT_TIMER, 0x30, 0) == 0);
	CHECK(wr(&l, TMICT, 1000, 0) == 0);
	CHECK_EQ_U64(rd(&l, TMCCT, 400), 600);
	CHECK(wr(&l, TDCR, 0x0, 400) == 0); /* divide by 2 from now on */
	CHECK(fx.timer_changed);
	CHECK_EQ_U64(rd(&l, TMCCT, 400), 600);
	CHECK_EQ_U64(vlapic_next_event(&l), 400 + 600 * 2);
	CHECK_EQ_U64(rd(&l, TMCCT, 1000), 300);
	CHECK(vlapic_timer_expire(&l, 1600));
	CHECK(irr_has(&l, 0x30));
}

TEST(divide_change_on_stopped_timer_only_stores)
{
	struct vlapic l = enabled(0);

	CHECK(wr(&l, TDCR, 0x3, 100) == 0);
	CHECK(!fx.timer_changed);
	CHECK_EQ_U64(vlapic_next_event(&l), VLAPIC_NO_DEADLINE);
	CHECK(wr(&l, TMICT, 10, 100) == 0);
	CHECK_EQ_U64(vlapic_next_event(&l), 100 + 10 * 16);
}

TEST(periodic_refires)
{
	struct vlapic l = enabled(0);

	CHECK(wr(&l, TDCR, DIV_1, 0) == 0);
	CHECK(wr(&l, LVT_TIMER, PERIODIC | 0x31, 0) == 0);
	CHECK(wr(&l, TMICT, 100, 1000) == 0);
	CHECK_EQ_U64(vlapic_next_event(&l), 1100);
	CHECK(vlapic_timer_expire(&l, 1100));
	CHECK(take(&l) == 0x31);
	CHECK(wr(&l, EOI, 0, 1100) == 0);
	CHECK_EQ_U64(vlapic_next_event(&l), 1200);
	CHECK_EQ_U64(rd(&l, TMCCT, 1150), 50);
	CHECK_EQ_U64(rd(&l, TMCCT, 1200), 100); /* reloaded */
	CHECK(!vlapic_timer_expire(&l, 1199));
	CHECK(vlapic_timer_expire(&l, 1205));
	CHECK(irr_has(&l, 0x31));
	CHECK_EQ_U64(vlapic_next_event(&l), 1300);
	CHECK_EQ_U64(rd(&l, TMCCT, 1205), 95);
}

TEST(periodic_coalesces_missed_periods)
{
	struct vlapic l = enabled(0);

	CHECK(wr(&l, TDCR, 0x0, 0) == 0); /* divide by 2: period 200 */
	CHECK(wr(&l, LVT_TIMER, PERIODIC | 0x31, 0) == 0);
	CHECK(wr(&l, TMICT, 100, 0) == 0);
	CHECK(vlapic_timer_expire(&l, 1050)); /* five periods late */
	CHECK(irr_has(&l, 0x31));
	CHECK_EQ_U64(vlapic_next_event(&l), 1200);
	CHECK(!vlapic_timer_expire(&l, 1050));
	CHECK(vlapic_timer_expire(&l, 1200)); /* exactly on a boundary */
	CHECK_EQ_U64(vlapic_next_event(&l), 1400);
	CHECK_EQ_U64(rd(&l, TMCCT, 1300), 50);
}

TEST(masked_timer_expires_silently)
{
	struct vlapic l = enabled(0);

	CHECK(wr(&l, TDCR, DIV_1, 0) == 0);
	CHECK(wr(&l, LVT_TIMER, MASKED | PERIODIC | 0x31, 0) == 0);
	CHECK(wr(&l, TMICT, 10, 0) == 0);
	CHECK(vlapic_timer_expire(&l, 10));
	CHECK(vlapic_pending(&l) == -1);
	CHECK_EQ_U64(vlapic_next_event(&l), 20);
}

TEST(timer_with_illegal_vector_sets_esr)
{
	struct vlapic l = enabled(0);

	CHECK(wr(&l, TDCR, DIV_1, 0) == 0);
	CHECK(wr(&l, LVT_TIMER, 0x5, 0) == 0);
	CHECK(wr(&l, TMICT, 10, 0) == 0);
	CHECK(vlapic_timer_expire(&l, 10));
	CHECK(vlapic_pending(&l) == -1);
	CHECK_EQ_U64(latch_esr(&l), 0x40);
}

TEST(tsc_deadline_arms_fires_and_clears)
{
	struct vlapic l = enabled(0);

	CHECK(wr(&l, LVT_TIMER, TSC_DEADLINE | 0xec, 0) == 0);
	CHECK(wr(&l, MSR_TSC_DEADLINE, 5000, 100) == 0);
	CHECK(fx.timer_changed);
	CHECK_EQ_U64(rd(&l, MSR_TSC_DEADLINE, 100), 5000);
	CHECK_EQ_U64(vlapic_next_event(&l), 5000);
	CHECK_EQ_U64(rd(&l, TMCCT, 200), 0); /* reads 0 in TSC-deadline mode */
	CHECK(!vlapic_timer_expire(&l, 4999));
	CHECK(vlapic_timer_expire(&l, 5000));
	CHECK(irr_has(&l, 0xec));
	CHECK_EQ_U64(rd(&l, MSR_TSC_DEADLINE, 5000), 0);
	CHECK_EQ_U64(vlapic_next_event(&l), VLAPIC_NO_DEADLINE);
	CHECK(!vlapic_timer_expire(&l, 9000));
}

TEST(tsc_deadline_in_the_past_fires_at_once)
{
	struct vlapic l = enabled(0);

	CHECK(wr(&l, LVT_TIMER, TSC_DEADLINE | 0xec, 0) == 0);
	CHECK(wr(&l, MSR_TSC_DEADLINE, 10, 1000) == 0);
	CHECK(vlapic_timer_expire(&l, 1000));
	CHECK(irr_has(&l, 0xec));
}

TEST(tsc_deadline_zero_disarms)
{
	struct vlapic l = enabled(0);

	CHECK(wr(&l, LVT_TIMER, TSC_DEADLINE | 0xec, 0) == 0);
	CHECK(wr(&l, MSR_TSC_DEADLINE, 5000, 0) == 0);
	CHECK(wr(&l, MSR_TSC_DEADLINE, 0, 10) == 0);
	CHECK(fx.timer_changed);
	CHECK_EQ_U64(vlapic_next_event(&l), VLAPIC_NO_DEADLINE);
	CHECK_EQ_U64(rd(&l, MSR_TSC_DEADLINE, 10), 0);
	CHECK(!vlapic_timer_expire(&l, 6000));
	CHECK(!irr_has(&l, 0xec));
}

TEST(tsc_deadline_ignored_outside_its_mode)
{
	struct vlapic l = enabled(0);

	CHECK(wr(&l, LVT_TIMER, 0x30, 0) == 0);
	CHECK(wr(&l, MSR_TSC_DEADLINE, 5000, 0) == 0);
	CHECK(!fx.timer_changed);
	CHECK_EQ_U64(rd(&l, MSR_TSC_DEADLINE, 0), 0);
	CHECK_EQ_U64(vlapic_next_event(&l), VLAPIC_NO_DEADLINE);
	CHECK(!vlapic_timer_expire(&l, 6000));
}

TEST(initial_count_ignored_in_tsc_deadline_mode)
{
	struct vlapic l = enabled(0);

	CHECK(wr(&l, LVT_TIMER, TSC_DEADLINE | 0xec, 0) == 0);
	CHECK(wr(&l, MSR_TSC_DEADLINE, 5000, 0) == 0);
	CHECK(wr(&l, TMICT, 100, 0) == 0);
	CHECK(!fx.timer_changed);
	CHECK_EQ_U64(rd(&l, TMICT, 0), 0);
	CHECK_EQ_U64(rd(&l, TMCCT, 10), 0);
	CHECK_EQ_U64(vlapic_next_event(&l), 5000);
}

TEST(timer_mode_change_disarms)
{
	struct vlapic l = enabled(0);

	CHECK(wr(&l, TDCR, DIV_1, 0) == 0);
	CHECK(wr(&l, LVT_TIMER, 0x30, 0) == 0);
	CHECK(wr(&l, TMICT, 1000, 0) == 0);
	CHECK(wr(&l, LVT_TIMER, 0x31, 10) == 0); /* same mode: keeps running */
	CHECK(!fx.timer_changed);
	CHECK_EQ_U64(vlapic_next_event(&l), 1000);
	CHECK(wr(&l, LVT_TIMER, PERIODIC | 0x31, 20) == 0);
	CHECK(fx.timer_changed);
	CHECK_EQ_U64(vlapic_next_event(&l), VLAPIC_NO_DEADLINE);
	CHECK_EQ_U64(rd(&l, TMCCT, 30), 0);
	CHECK(!vlapic_timer_expire(&l, 2000));
	/* TSC-deadline armed, then back to one-shot: disarmed and cleared. */
	CHECK(wr(&l, LVT_TIMER, TSC_DEADLINE | 0x31, 30) == 0);
	CHECK(wr(&l, MSR_TSC_DEADLINE, 3000, 30) == 0);
	CHECK(wr(&l, LVT_TIMER, 0x31, 40) == 0);
	CHECK(fx.timer_changed);
	CHECK_EQ_U64(vlapic_next_event(&l), VLAPIC_NO_DEADLINE);
	CHECK(wr(&l, LVT_TIMER, TSC_DEADLINE | 0x31, 50) == 0);
	CHECK_EQ_U64(rd(&l, MSR_TSC_DEADLINE, 50), 0);
	CHECK(!vlapic_timer_expire(&l, 4000));
	CHECK(vlapic_pending(&l) == -1);
}

TEST(far_deadline_saturates_but_stays_armed)
{
	struct vlapic l = enabled(0);

	CHECK(wr(&l, TDCR, 0xa, 0) == 0); /* divide by 128 */
	CHECK(wr(&l, LVT_TIMER, 0x30, 0) == 0);
	CHECK(wr(&l, TMICT, 0xffffffff, UINT64_MAX - 1000) == 0);
	CHECK_EQ_U64(vlapic_next_event(&l), VLAPIC_NO_DEADLINE - 1);
	CHECK(!vlapic_timer_expire(&l, UINT64_MAX - 2));
}

/* ---- destination matching ---------------------------------------------------------- */

TEST(matches_physical)
{
	struct vlapic l = enabled(5);

	CHECK(vlapic_matches(&l, 5, false));
	CHECK(!vlapic_matches(&l, 6, false));
	CHECK(!vlapic_matches(&l, 0x105, false));
	CHECK(vlapic_matches(&l, 0xffffffff, false));
}

TEST(matches_logical_cluster_and_bitmap)
{
	struct vlapic l = enabled(0x23); /* cluster 2, bit 3 */

	CHECK(vlapic_matches(&l, 0x20008, true));
	CHECK(vlapic_matches(&l, 0x2000c, true));
	CHECK(vlapic_matches(&l, 0x2ffff, true));
	CHECK(!vlapic_matches(&l, 0x20004, true));
	CHECK(!vlapic_matches(&l, 0x10008, true));
	CHECK(!vlapic_matches(&l, 0x00008, true));
	CHECK(!vlapic_matches(&l, 0x23, true)); /* a physical ID is not a logical one */
	CHECK(vlapic_matches(&l, 0xffffffff, true));
}
