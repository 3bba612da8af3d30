/* What the control zone may see and change of a PCI function's configuration space (pure). */
#ifndef ZV_PCI_FILTER_H
#define ZV_PCI_FILTER_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_BARS 6

/* PCI Local Bus 3.0, 6.1 (type 0 header) */
#define PCI_REG_VENDOR	0x00
#define PCI_REG_COMMAND 0x04
#define PCI_REG_CLASS	0x08 /* revision in bits 7:0, class code above */
#define PCI_REG_HEADER	0x0c /* header type in bits 23:16 */
#define PCI_REG_BAR0	0x10
#define PCI_REG_ROM	0x30
#define PCI_CMD_IO	(1u << 0)
#define PCI_CMD_MEM	(1u << 1)
#define PCI_CMD_MASTER	(1u << 2) /* Bus Master Enable */
#define PCI_BAR_IO	(1u << 0)
#define PCI_BAR_64	(2u << 1) /* memory BAR type field, bits 2:1 */

enum pci_access {
	PCI_HIDDEN,    /* reads all-ones, as an empty slot */
	PCI_READ_ONLY, /* visible, every write dropped */
	PCI_PASSED,    /* the control zone drives it; writes filtered */
};

struct pci_bar {
	uint64_t base, size; /* size 0: unused (or the upper half of a 64-bit BAR) */
	bool io;
};

struct pci_func {
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint32_t class_code; /* base class << 16 | subclass << 8 | prog-if */
	uint8_t header_type; /* without the multi-function bit */
	enum pci_access access;
	uint32_t boot_bar[PCI_BARS];   /* register values as the firmware left them */
	uint32_t sizing_bar[PCI_BARS]; /* what each read back with all ones written (6.2.5.1) */
	struct pci_bar bar[PCI_BARS];
};

/* The control zone's view of one passed function's BARs.  Its BAR writes
 * never reach the device: the sizing pattern is answered from the boot
 * sizing, so the device never decodes at all-ones (or anywhere but the
 * firmware's address). */
struct pci_view {
	uint8_t sizing; /* bit b: the zone last wrote all ones to BAR b */
};

/* Which functions the control zone gets: mass storage (base class 01h) and
 * network (02h) controllers with a type 0 header are passed through, the
 * host bridge (06h/00h) is visible read-only so Linux finds its bus, and
 * everything else (bridges, the LPC and SMBus controllers the hypervisor
 * keeps) is hidden. */
enum pci_access pci_access_for(uint32_t class_code, uint8_t header_type);

/* Linux scans a device's other functions only if function 0 answers
 * (drivers/pci/probe.c, pci_scan_slot): function 0 of a device with a
 * passed function becomes read-only when it would be hidden.  Once, after
 * every function's access is set. */
void pci_show_function_zero(struct pci_func *funcs, unsigned n);

enum pci_write_verdict {
	PCI_WRITE_OK,	   /* performed on the function (pci_write_through) */
	PCI_WRITE_VIRTUAL, /* a BAR write kept in the zone's view; the device is not written */
	PCI_WRITE_IGNORED, /* dropped quietly, as the register is read-only to the zone */
	PCI_WRITE_REFUSED, /* dropped and logged: an attempt to move a BAR */
};

/* What becomes of the control zone writing `value` (size 1, 2 or 4 bytes at
 * reg, naturally aligned, reg < 256) to f, whose BARs the zone sees through
 * view.  Only passed functions take writes.  Their BARs keep the
 * firmware's addresses: the sizing pattern (all ones) and the boot value,
 * whole 32-bit registers only, are VIRTUAL (view updated, device
 * untouched); other BAR writes are REFUSED (*why saying why).  Expansion
 * ROMs are not passed: the ROM BAR ignores writes. */
enum pci_write_verdict pci_write_check(const struct pci_func *f, struct pci_view *view,
				       unsigned reg, unsigned size, uint32_t value,
				       const char **why);

/* What the control zone reads at reg (size bytes) of a visible function f
 * when the function itself returned raw: a passed function's BAR reads
 * from view (its size mask after all ones were written, else its boot
 * value, whatever a reset left in the device); the BARs of a read-only
 * function and every ROM BAR read 0 (nothing decoded there), so Linux
 * sizes nothing it could not use. */
uint32_t pci_read_filter(const struct pci_func *f, const struct pci_view *view, unsigned reg,
			 unsigned size, uint32_t raw);

/* Config-space access to one function, for pci_write_through. */
struct pci_cfg_io {
	uint32_t (*read)(void *ctx, unsigned reg, unsigned size);
	void (*write)(void *ctx, unsigned reg, unsigned size, uint32_t value);
	void *ctx;
};

/* Whether a write of value at reg (any size, naturally aligned) sets
 * Memory or I/O Space Enable in the Command register. */
bool pci_write_enables_decode(unsigned reg, uint32_t value);

/* The BARs (bit b for BAR b) whose register `now` differs from boot. */
unsigned pci_stale_bars(const struct pci_func *f, const uint32_t now[PCI_BARS]);

/* Performs a write pci_write_check let through (OK) on f.  A function-level
 * reset (PCIe Device Control bit 15) or a D3hot->D0 transition (PMCSR)
 * zeroes the BARs and the Command register in the device, outside the
 * filter: so before a write that enables decoding, every BAR that no longer
 * holds its boot value is written back, with decoding off meanwhile, and
 * the device never decodes anywhere but at the firmware's addresses.
 * Returns the BARs restored (pci_stale_bars). */
unsigned pci_write_through(const struct pci_func *f, unsigned reg, unsigned size, uint32_t value,
			   const struct pci_cfg_io *io);

/* The size a BAR decodes from what it read back after all ones were
 * written (probe_lo, and probe_hi for the upper half of a 64-bit BAR);
 * 0 when it decodes nothing.  PCI Local Bus 3.0, 6.2.5.1. */
uint64_t pci_bar_size(uint32_t probe_lo, uint32_t probe_hi, bool io, bool is64);

/* Configuration mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2): the function
 * and register that CONFIG_ADDRESS (cf8) selects for an access of size
 * bytes at data port offset off (0-3).  false when the enable bit is clear,
 * the access is misaligned or crosses the data port. */
bool pci_cf8_decode(uint32_t cf8, unsigned off, unsigned size, uint8_t *bus, uint8_t *dev,
		    uint8_t *fn, unsigned *reg);

#endif
