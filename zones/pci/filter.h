/* What the control zone may see and change of a PCI function's configuration space (pure). */
#ifndef ZV_PCI_FILTER_H
#define ZV_PCI_FILTER_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/pci.h"

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

/* Configuration mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2): the function
 * and register that CONFIG_ADDRESS (cf8) selects for an access of size
 * bytes at data port offset off (0-3).  false when the enable bit is clear,
 * the access is misaligned or crosses the data port. */
bool pci_cf8_decode(uint32_t cf8, unsigned off, unsigned size, uint8_t *bus, uint8_t *dev,
		    uint8_t *fn, unsigned *reg);

#endif
