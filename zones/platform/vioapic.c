/* Virtual I/O APIC (82093AA register model): IOREGSEL/IOWIN, redirection table, delivery. */
#include "zones/platform/vioapic.h"

/* 82093AA datasheet 3.0: the two MMIO registers, and 3.1/3.2 the indirect ones. */
#define IOREGSEL      0x00
#define IOWIN	      0x10
#define IOREGSEL_MASK 0xff
#define REG_ID	      0x00
#define REG_VERSION   0x01
#define REG_ARB	      0x02
#define REG_REDIR     0x10 /* 0x10 + 2n low dword, 0x11 + 2n high dword */
#define REG_REDIR_END (REG_REDIR + 2 * VIOAPIC_PINS)
#define ID_SHIFT      24 /* ID and arbitration ID: bits 27:24 */
#define ID_MASK	      0x0f

/* 82093AA datasheet 3.2.4, redirection table entry. */
#define RTE_VECTOR	0x000000ffull
#define RTE_DELIVERY	0x00000700ull /* bits 10:8 */
#define RTE_DELIV_SHIFT 8
#define RTE_LOGICAL	(1ull << 11)
/* Bit 12, Delivery Status, is read-only and always 0 (idle): see deliver(). */
/* Polarity is stored for the guest to read back but never inverts a line:
 * vioapic_set_line() callers pass lines already active high. */
#define RTE_POLARITY   (1ull << 13)
#define RTE_REMOTE_IRR (1ull << 14) /* RO: level interrupt accepted, awaiting EOI */
#define RTE_LEVEL      (1ull << 15)
#define RTE_MASKED     (1ull << 16)
#define RTE_DEST_SHIFT 56
#define RTE_DEST       (0xffull << RTE_DEST_SHIFT)
#define RTE_WRITABLE \
	(RTE_VECTOR | RTE_DELIVERY | RTE_LOGICAL | RTE_POLARITY | RTE_LEVEL | RTE_MASKED | RTE_DEST)

static bool line_high(const struct vioapic *io, unsigned pin)
{
	return (io->line >> pin) & 1;
}

static struct vioapic_msg entry_msg(uint64_t e, unsigned pin)
{
	return (struct vioapic_msg){
		.vector = (uint8_t)(e & RTE_VECTOR),
		.delivery = (uint8_t)((e & RTE_DELIVERY) >> RTE_DELIV_SHIFT),
		.logical = e & RTE_LOGICAL,
		.level = e & RTE_LEVEL,
		.dest = (uint8_t)(e >> RTE_DEST_SHIFT),
		.pin = (uint8_t)pin,
	};
}

/* Sends pin's message.  Delivery is instantaneous, so Delivery Status never
 * reads "send pending".  A level entry's Remote IRR is set before the call,
 * so a callback that EOIs at once sees consistent state. */
static void deliver(struct vioapic *io, unsigned pin)
{
	struct vioapic_msg m = entry_msg(io->redir[pin], pin);

	if (!io->deliver)
		return;
	if (m.level)
		io->redir[pin] |= RTE_REMOTE_IRR;
	io->deliver(io->ctx, &m);
}

/* A level-triggered pin sends while its line is high, it is unmasked and
 * the previous message has been EOIed (Remote IRR clear). */
static void level_evaluate(struct vioapic *io, unsigned pin)
{
	uint64_t e = io->redir[pin];

	if ((e & RTE_LEVEL) && !(e & (RTE_MASKED | RTE_REMOTE_IRR)) && line_high(io, pin))
		deliver(io, pin);
}

void vioapic_reset(struct vioapic *io, uint32_t id, vioapic_deliver_fn deliver_fn, void *ctx)
{
	io->id = id & ID_MASK;
	io->regsel = 0;
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++)
		io->redir[pin] = RTE_MASKED;
	io->line = 0;
	io->deliver = deliver_fn;
	io->ctx = ctx;
}

static uint32_t reg_read(const struct vioapic *io, uint32_t reg)
{
	uint64_t e;

	if (reg >= REG_REDIR && reg < REG_REDIR_END) {
		e = io->redir[(reg - REG_REDIR) / 2];
		return (reg & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
	}
	switch (reg) {
	case REG_ID:
	case REG_ARB: return io->id << ID_SHIFT;
	case REG_VERSION: return VIOAPIC_VERSION | (VIOAPIC_PINS - 1) << 16;
	default: return 0;
	}
}

/* A low-dword write may leave a level entry deliverable (unmasked, or
 * switched to level, with the line high); switching to edge drops Remote
 * IRR, the way Linux clears a stuck one on a version 0x11 IOAPIC. */
static void redir_write(struct vioapic *io, unsigned pin, bool high, uint32_t value)
{
	uint64_t half = high ? 0xffffffff00000000ull : 0x00000000ffffffffull;
	uint64_t w = RTE_WRITABLE & half;
	uint64_t v = high ? (uint64_t)value << 32 : value;
	uint64_t e = (io->redir[pin] & ~w) | (v & w);

	if (!(e & RTE_LEVEL))
		e &= ~RTE_REMOTE_IRR;
	io->redir[pin] = e;
	level_evaluate(io, pin);
}

static void reg_write(struct vioapic *io, uint32_t reg, uint32_t value)
{
	if (reg >= REG_REDIR && reg < REG_REDIR_END)
		redir_write(io, (reg - REG_REDIR) / 2, reg & 1, value);
	else if (reg == REG_ID)
		io->id = (value >> ID_SHIFT) & ID_MASK;
	/* version and arbitration are read-only; other indices do not exist */
}

uint32_t vioapic_mmio_read(struct vioapic *io, uint64_t offset, unsigned size)
{
	if (size != 4)
		return 0;
	if (offset == IOREGSEL)
		return io->regsel;
	if (offset == IOWIN)
		return reg_read(io, io->regsel);
	return 0;
}

void vioapic_mmio_write(struct vioapic *io, uint64_t offset, unsigned size, uint32_t value)
{
	if (size != 4)
		return;
	if (offset == IOREGSEL)
		io->regsel = value & IOREGSEL_MASK;
	else if (offset == IOWIN)
		reg_write(io, io->regsel, value);
}

void vioapic_set_line(struct vioapic *io, unsigned pin, bool level)
{
	bool was_high;

	if (pin >= VIOAPIC_PINS)
		return;
	was_high = line_high(io, pin);
	if (level)
		io->line |= 1u << pin;
	else
		io->line &= ~(1u << pin);
	if (io->redir[pin] & RTE_LEVEL)
		level_evaluate(io, pin);
	else if (level && !was_high && !(io->redir[pin] & RTE_MASKED))
		deliver(io, pin);
}

void vioapic_eoi(struct vioapic *io, uint8_t vector)
{
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++) {
		uint64_t e = io->redir[pin];

		if (!(e & RTE_LEVEL) || (e & RTE_VECTOR) != vector)
			continue;
		io->redir[pin] = e & ~RTE_REMOTE_IRR;
		level_evaluate(io, pin);
	}
}
