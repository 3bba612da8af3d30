/* Unit tests of the virtual I/O APIC (zones/platform/vioapic.c): registers, edge and level
 * delivery, EOI. */
#include <string.h>

#include "tests/unit/test.h"
#include "zones/platform/vioapic.h"

#define IOREGSEL 0x00
#define IOWIN	 0x10
#define MASKED	 (1u << 16)
#define LEVEL	 (1u << 15)
#define RIRR	 (1u << 14)

static struct vioapic_msg sent[16];
static int nsent;

static void record(void *ctx, const struct vioapic_msg *m)
{
	(void)ctx;
	sent[nsent++ % 16] = *m;
}

static void setup(struct vioapic *io)
{
	memset(io, 0xa5, sizeof(*io)); /* reset must not rely on zeroed memory */
	nsent = 0;
	vioapic_reset(io, 2, record, NULL);
}

static uint32_t reg_read(struct vioapic *io, uint32_t reg)
{
	vioapic_mmio_write(io, IOREGSEL, 4, reg);
	return vioapic_mmio_read(io, IOWIN, 4);
}

static void reg_write(struct vioapic *io, uint32_t reg, uint32_t value)
{
	vioapic_mmio_write(io, IOREGSEL, 4, reg);
	vioapic_mmio_write(io, IOWIN, 4, value);
}

/* Programs pin's entry: high dword first, so unmasking is the last step. */
static void route(struct vioapic *io, unsigned pin, uint32_t low, uint8_t dest)
{
	reg_write(io, 0x11 + 2 * pin, (uint32_t)dest << 24);
	reg_write(io, 0x10 + 2 * pin, low);
}

TEST(vioapic_id_version_arbitration)
{
	struct vioapic io;

	setup(&io);
	CHECK_EQ_U64(reg_read(&io, 0x00), 2u << 24);
	CHECK_EQ_U64(reg_read(&io, 0x01), 0x00170011);
	CHECK_EQ_U64(reg_read(&io, 0x02), 2u << 24);
	reg_write(&io, 0x00, 0xffffffff);
	CHECK_EQ_U64(reg_read(&io, 0x00), 0x0f000000); /* only bits 27:24 */
	CHECK_EQ_U64(reg_read(&io, 0x02), 0x0f000000);
	reg_write(&io, 0x01, 0);
	reg_write(&io, 0x02, 0);
	CHECK_EQ_U64(reg_read(&io, 0x01), 0x00170011); /* read-only */
	CHECK_EQ_U64(reg_read(&io, 0x02), 0x0f000000);
}

TEST(vioapic_ioregsel_keeps_bits_7_0)
{
	struct vioapic io;

	setup(&io);
	vioapic_mmio_write(&io, IOREGSEL, 4, 0xffff1234);
	CHECK_EQ_U64(vioapic_mmio_read(&io, IOREGSEL, 4), 0x34);
}

TEST(vioapic_reset_masks_every_entry)
{
	struct vioapic io;

	setup(&io);
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++) {
		CHECK_EQ_U64(reg_read(&io, 0x10 + 2 * pin), MASKED);
		CHECK_EQ_U64(reg_read(&io, 0x11 + 2 * pin), 0);
	}
}

TEST(vioapic_entry_writable_bits)
{
	struct vioapic io;

	setup(&io);
	reg_write(&io, 0x10 + 2 * 23, 0xffffffff);
	reg_write(&io, 0x11 + 2 * 23, 0xffffffff);
	/* vector, delivery, dest mode, polarity, trigger, mask; not 12, 14, 31:17 */
	CHECK_EQ_U64(reg_read(&io, 0x10 + 2 * 23), 0x0001afff);
	CHECK_EQ_U64(reg_read(&io, 0x11 + 2 * 23), 0xff000000);
	CHECK_EQ_U64(io.redir[23], 0xff0000000001afffull);
	/* the other dword is untouched by a write to one half */
	reg_write(&io, 0x11 + 2 * 23, 0x12000000);
	CHECK_EQ_U64(reg_read(&io, 0x10 + 2 * 23), 0x0001afff);
	reg_write(&io, 0x10 + 2 * 23, 0x00010030);
	CHECK_EQ_U64(io.redir[23], 0x1200000000010030ull);
	CHECK_EQ_U64(reg_read(&io, 0x10), MASKED); /* pin 0 untouched */
}

TEST(vioapic_unknown_registers)
{
	struct vioapic io;
	uint64_t before[VIOAPIC_PINS];
	uint32_t regs[] = {0x03, 0x0f, 0x40, 0x41, 0xff};

	setup(&io);
	memcpy(before, io.redir, sizeof(before));

	for (unsigned i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		reg_write(&io, regs[i], 0xffffffff);
		CHECK_EQ_U64(reg_read(&io, regs[i]), 0);
	}
	CHECK(memcmp(before, io.redir, sizeof(before)) == 0);
	CHECK_EQ_U64(io.id, 2);
}

TEST(vioapic_bad_offsets_and_sizes_ignored)
{
	struct vioapic io;
	uint64_t offs[] = {0x01, 0x04, 0x08, 0x11, 0x14, 0x20, 0x40, 0xfff, 0x1000};
	unsigned sizes[] = {1, 2, 8};

	setup(&io);
	vioapic_mmio_write(&io, IOREGSEL, 4, 0x10);
	for (unsigned i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		vioapic_mmio_write(&io, offs[i], 4, 0);
		CHECK_EQ_U64(vioapic_mmio_read(&io, offs[i], 4), 0);
	}
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		vioapic_mmio_write(&io, IOREGSEL, sizes[i], 0x00);
		vioapic_mmio_write(&io, IOWIN, sizes[i], 0);
		CHECK_EQ_U64(vioapic_mmio_read(&io, IOREGSEL, sizes[i]), 0);
		CHECK_EQ_U64(vioapic_mmio_read(&io, IOWIN, sizes[i]), 0);
	}
	CHECK_EQ_U64(vioapic_mmio_read(&io, IOREGSEL, 4), 0x10);
	CHECK_EQ_U64(vioapic_mmio_read(&io, IOWIN, 4), MASKED); /* still masked */
	CHECK_EQ_U64(nsent, 0);
}

TEST(vioapic_edge_delivers_on_rising_edge_only)
{
	struct vioapic io;

	setup(&io);
	route(&io, 4, 0x34, 0);
	vioapic_set_line(&io, 4, true);
	CHECK_EQ_U64(nsent, 1);
	vioapic_set_line(&io, 4, true); /* still high: no edge */
	CHECK_EQ_U64(nsent, 1);
	vioapic_set_line(&io, 4, false);
	CHECK_EQ_U64(nsent, 1);
	vioapic_set_line(&io, 4, true);
	CHECK_EQ_U64(nsent, 2);
	CHECK_EQ_U64(sent[1].vector, 0x34);
	CHECK(!sent[1].level);
	CHECK_EQ_U64(reg_read(&io, 0x18) & RIRR, 0); /* edge: Remote IRR untouched */
	vioapic_eoi(&io, 0x34);			     /* EOI of an edge vector: nothing */
	CHECK_EQ_U64(nsent, 2);
}

TEST(vioapic_masked_edge_is_lost)
{
	struct vioapic io;

	setup(&io);
	route(&io, 4, MASKED | 0x34, 0);
	vioapic_set_line(&io, 4, true);
	CHECK_EQ_U64(nsent, 0);
	route(&io, 4, 0x34, 0); /* unmasking an edge pin that is high: no message */
	CHECK_EQ_U64(nsent, 0);
	vioapic_set_line(&io, 4, false);
	vioapic_set_line(&io, 4, true);
	CHECK_EQ_U64(nsent, 1);
}

TEST(vioapic_level_remote_irr_and_eoi)
{
	struct vioapic io;

	setup(&io);
	route(&io, 9, LEVEL | 0x41, 0);
	vioapic_set_line(&io, 9, true);
	CHECK_EQ_U64(nsent, 1);
	CHECK(sent[0].level);
	CHECK_EQ_U64(reg_read(&io, 0x10 + 2 * 9) & RIRR, RIRR);
	vioapic_set_line(&io, 9, false);
	vioapic_set_line(&io, 9, true); /* Remote IRR set: held */
	CHECK_EQ_U64(nsent, 1);
	/* Remote IRR is read-only: a write of 0 to bit 14 keeps it */
	reg_write(&io, 0x10 + 2 * 9, LEVEL | 0x41);
	CHECK_EQ_U64(reg_read(&io, 0x10 + 2 * 9) & RIRR, RIRR);
	CHECK_EQ_U64(nsent, 1);
	vioapic_eoi(&io, 0x41); /* still high: sent again */
	CHECK_EQ_U64(nsent, 2);
	CHECK_EQ_U64(reg_read(&io, 0x10 + 2 * 9) & RIRR, RIRR);
	vioapic_set_line(&io, 9, false);
	vioapic_eoi(&io, 0x41); /* low now: IRR clears, nothing sent */
	CHECK_EQ_U64(nsent, 2);
	CHECK_EQ_U64(reg_read(&io, 0x10 + 2 * 9) & RIRR, 0);
}

TEST(vioapic_eoi_of_other_vector_does_nothing)
{
	struct vioapic io;

	setup(&io);
	route(&io, 9, LEVEL | 0x41, 0);
	vioapic_set_line(&io, 9, true);
	vioapic_eoi(&io, 0x42);
	CHECK_EQ_U64(nsent, 1);
	CHECK_EQ_U64(reg_read(&io, 0x10 + 2 * 9) & RIRR, RIRR);
}

TEST(vioapic_eoi_serves_every_pin_with_the_vector)
{
	struct vioapic io;

	setup(&io);
	route(&io, 10, LEVEL | 0x50, 0);
	route(&io, 11, LEVEL | 0x50, 0);
	vioapic_set_line(&io, 10, true);
	vioapic_set_line(&io, 11, true);
	CHECK_EQ_U64(nsent, 2);
	vioapic_eoi(&io, 0x50);
	CHECK_EQ_U64(nsent, 4);
	CHECK_EQ_U64(sent[2].pin, 10);
	CHECK_EQ_U64(sent[3].pin, 11);
}

TEST(vioapic_unmask_while_high_delivers)
{
	struct vioapic io;

	setup(&io);
	route(&io, 5, MASKED | LEVEL | 0x60, 1);
	vioapic_set_line(&io, 5, true);
	CHECK_EQ_U64(nsent, 0);
	CHECK_EQ_U64(reg_read(&io, 0x10 + 2 * 5) & RIRR, 0);
	reg_write(&io, 0x10 + 2 * 5, LEVEL | 0x60);
	CHECK_EQ_U64(nsent, 1);
	CHECK_EQ_U64(sent[0].vector, 0x60);
	CHECK_EQ_U64(reg_read(&io, 0x10 + 2 * 5) & RIRR, RIRR);
	/* masked again and EOIed: nothing sent until unmasked */
	reg_write(&io, 0x10 + 2 * 5, MASKED | LEVEL | 0x60);
	vioapic_eoi(&io, 0x60);
	CHECK_EQ_U64(nsent, 1);
	reg_write(&io, 0x10 + 2 * 5, LEVEL | 0x60);
	CHECK_EQ_U64(nsent, 2);
}

TEST(vioapic_trigger_mode_changes)
{
	struct vioapic io;

	setup(&io);
	route(&io, 6, 0x70, 0); /* edge */
	vioapic_set_line(&io, 6, true);
	CHECK_EQ_U64(nsent, 1);
	reg_write(&io, 0x10 + 2 * 6, LEVEL | 0x70); /* to level while high */
	CHECK_EQ_U64(nsent, 2);
	CHECK(sent[1].level);
	CHECK_EQ_U64(reg_read(&io, 0x10 + 2 * 6) & RIRR, RIRR);
	/* Linux's EOI for version 0x11: to edge (clears Remote IRR) and back */
	reg_write(&io, 0x10 + 2 * 6, MASKED | 0x70);
	CHECK_EQ_U64(reg_read(&io, 0x10 + 2 * 6) & RIRR, 0);
	CHECK_EQ_U64(nsent, 2);
	reg_write(&io, 0x10 + 2 * 6, LEVEL | 0x70);
	CHECK_EQ_U64(nsent, 3);
}

TEST(vioapic_pin_out_of_range_ignored)
{
	struct vioapic io;

	setup(&io);
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++)
		route(&io, pin, 0x20 + pin, 0);
	vioapic_set_line(&io, VIOAPIC_PINS, true);
	vioapic_set_line(&io, 31, true);
	vioapic_set_line(&io, 32, true);
	vioapic_set_line(&io, ~0u, true);
	CHECK_EQ_U64(nsent, 0);
	CHECK_EQ_U64(io.line, 0);
}

TEST(vioapic_message_fields)
{
	struct vioapic io;

	setup(&io);
	/* vector 0x9a, lowest priority, logical, active low (stored only), level */
	route(&io, 17, 0x9a | 1u << 8 | 1u << 11 | 1u << 13 | LEVEL, 0xc3);
	vioapic_set_line(&io, 17, true);
	CHECK_EQ_U64(nsent, 1);
	CHECK_EQ_U64(sent[0].vector, 0x9a);
	CHECK_EQ_U64(sent[0].delivery, 1);
	CHECK(sent[0].logical);
	CHECK(sent[0].level);
	CHECK_EQ_U64(sent[0].dest, 0xc3);
	CHECK_EQ_U64(sent[0].pin, 17);
	/* physical, fixed, edge; NMI delivery */
	route(&io, 0, 0x00 | 4u << 8, 0x01);
	vioapic_set_line(&io, 0, true);
	CHECK_EQ_U64(nsent, 2);
	CHECK_EQ_U64(sent[1].delivery, 4);
	CHECK(!sent[1].logical);
	CHECK(!sent[1].level);
	CHECK_EQ_U64(sent[1].dest, 1);
	CHECK_EQ_U64(sent[1].pin, 0);
}

TEST(vioapic_polarity_does_not_invert)
{
	struct vioapic io;

	setup(&io);
	route(&io, 3, 1u << 13 | 0x33, 0); /* active low, edge */
	vioapic_set_line(&io, 3, false);
	CHECK_EQ_U64(nsent, 0);
	vioapic_set_line(&io, 3, true);
	CHECK_EQ_U64(nsent, 1);
}

static struct vioapic *reentrant_io;

static void eoi_at_once(void *ctx, const struct vioapic_msg *m)
{
	(void)ctx;
	nsent++;
	if (nsent < 3) /* the line stays high: each EOI re-delivers */
		vioapic_eoi(reentrant_io, m->vector);
}

TEST(vioapic_callback_may_eoi)
{
	struct vioapic io;

	memset(&io, 0, sizeof(io));
	nsent = 0;
	reentrant_io = &io;
	vioapic_reset(&io, 0, eoi_at_once, NULL);
	route(&io, 1, LEVEL | 0x21, 0);
	vioapic_set_line(&io, 1, true);
	CHECK_EQ_U64(nsent, 3);
	CHECK_EQ_U64(reg_read(&io, 0x12) & RIRR, RIRR);
}

TEST(vioapic_null_callback_is_safe)
{
	struct vioapic io;

	vioapic_reset(&io, 0, NULL, NULL);
	route(&io, 1, LEVEL | 0x21, 0);
	vioapic_set_line(&io, 1, true);
	vioapic_eoi(&io, 0x21);
	CHECK_EQ_U64(reg_read(&io, 0x12) & RIRR, 0); /* nothing was accepted */
}
