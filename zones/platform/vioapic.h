/* A zone's virtual I/O APIC (82093AA register model): register logic only (pure C, host-tested). */
#ifndef ZV_VIOAPIC_H
#define ZV_VIOAPIC_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Intel 82093AA I/O APIC datasheet, 3.0: two MMIO registers, IOREGSEL at
 * offset 0x00 and IOWIN at 0x10; through them ID (0), version (1),
 * arbitration (2) and 24 64-bit redirection entries (0x10 + 2n, low/high).
 * The zone sees it at VIOAPIC_BASE, declared in its MADT.
 */

#define VIOAPIC_BASE	0xfec00000ull
#define VIOAPIC_SIZE	0x1000
#define VIOAPIC_PINS	24
#define VIOAPIC_VERSION 0x11 /* 82093AA; max redirection entry 23 in bits 23:16 */

/* An interrupt message the IOAPIC sends to the local APICs. */
struct vioapic_msg {
	uint8_t vector;
	uint8_t delivery; /* 0 fixed, 1 lowest priority, 2 SMI, 4 NMI, 5 INIT, 7 ExtINT */
	bool logical;	  /* destination mode */
	bool level;	  /* trigger mode: level (the LAPIC sets TMR, EOI comes back) */
	uint8_t dest;	  /* bits 63:56 of the entry */
	uint8_t pin;
};

/* Called for every message the IOAPIC emits (ctx as given to reset). */
typedef void (*vioapic_deliver_fn)(void *ctx, const struct vioapic_msg *m);

struct vioapic {
	uint32_t id;	 /* bits 27:24 of register 0 */
	uint32_t regsel; /* IOREGSEL as last written (bits 7:0) */
	uint64_t redir[VIOAPIC_PINS];
	uint32_t line; /* input line levels, bit per pin, as last set */
	vioapic_deliver_fn deliver;
	void *ctx;
};

/* Power-on state: every entry masked (bit 16), edge, vector 0. */
void vioapic_reset(struct vioapic *io, uint32_t id, vioapic_deliver_fn deliver, void *ctx);

/*
 * MMIO access at offset (from VIOAPIC_BASE) of size bytes.  Only 32-bit
 * accesses to IOREGSEL and IOWIN mean anything; other offsets and sizes read
 * as 0 and writes to them are ignored (the datasheet requires dword access).
 * A write may unmask a pin whose level-triggered line is asserted: the
 * message is delivered from inside the call.
 */
uint32_t vioapic_mmio_read(struct vioapic *io, uint64_t offset, unsigned size);
void vioapic_mmio_write(struct vioapic *io, uint64_t offset, unsigned size, uint32_t value);

/*
 * Sets input line `pin` to level (true = asserted, after the entry's polarity
 * is applied by the caller: the lines here are active high).  Edge-triggered
 * entries deliver on a rising edge; level-triggered ones deliver while the
 * line is high and Remote IRR is clear, then set Remote IRR.  Masked pins
 * deliver nothing (an edge that arrives while masked is lost, as on the
 * 82093AA).  pin >= VIOAPIC_PINS is ignored.
 */
void vioapic_set_line(struct vioapic *io, unsigned pin, bool level);

/* A local APIC EOIed `vector`: clears Remote IRR of the level-triggered
 * entries with that vector and re-delivers those whose line is still high. */
void vioapic_eoi(struct vioapic *io, uint8_t vector);

#endif
