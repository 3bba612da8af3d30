/* PCI configuration space through mechanism #1 (ports 0xCF8/0xCFC), and a scan of bus 0. */
#ifndef ZV_PCI_H
#define ZV_PCI_H

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

/* What the control zone gets of a function: decided in zones/ (pci_access_for),
 * recorded here with the function. */
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

#define PCI_MAX_FUNCS 64

/* The size a BAR decodes from what it read back after all ones were
 * written (probe_lo, and probe_hi for the upper half of a 64-bit BAR);
 * 0 when it decodes nothing.  PCI Local Bus 3.0, 6.2.5.1. */
static inline uint64_t pci_bar_size(uint32_t probe_lo, uint32_t probe_hi, bool io, bool is64)
{
	/* The address bits that stuck at 0 are the size: the lowest one that
	 * reads back 1 is it.  I/O decoders may implement only 16 bits. */
	uint64_t bits = io ? probe_lo & 0xfffcu
			   : (probe_lo & ~0xfull) | (is64 ? (uint64_t)probe_hi << 32 : 0);

	return bits & (~bits + 1);
}

/* Reads or writes size bytes (1, 2, 4; naturally aligned) at reg of bus/dev/fn.
 * Serialised by one lock: the address and data ports are one shared pair. */
uint32_t pci_cfg_read(uint8_t bus, uint8_t dev, uint8_t fn, unsigned reg, unsigned size);
void pci_cfg_write(uint8_t bus, uint8_t dev, uint8_t fn, unsigned reg, unsigned size,
		   uint32_t value);

/* Finds the functions on bus 0 (the only bus of QEMU's q35 without bridges)
 * and records their firmware-assigned BARs (sized with decoding off, then
 * restored); their access is PCI_HIDDEN until the caller sets it.  At boot,
 * on the BSP, before any zone runs.  Returns them, *count set. */
struct pci_func *pci_scan(unsigned *count);

/* The functions pci_scan() found; *count set. */
const struct pci_func *pci_funcs(unsigned *count);

#endif
