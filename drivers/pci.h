/* PCI configuration space through mechanism #1 (ports 0xCF8/0xCFC), and a scan of bus 0. */
#ifndef ZV_PCI_H
#define ZV_PCI_H

#include <stdint.h>

#include "zones/pci_filter.h"

#define PCI_MAX_FUNCS 64

/* Reads or writes size bytes (1, 2, 4; naturally aligned) at reg of bus/dev/fn.
 * Serialised by one lock: the address and data ports are one shared pair. */
uint32_t pci_cfg_read(uint8_t bus, uint8_t dev, uint8_t fn, unsigned reg, unsigned size);
void pci_cfg_write(uint8_t bus, uint8_t dev, uint8_t fn, unsigned reg, unsigned size,
		   uint32_t value);

/* Finds the functions on bus 0 (the only bus of QEMU's q35 without bridges),
 * records their firmware-assigned BARs (sized with decoding off, then
 * restored) and the access the control zone gets (pci_access_for).  At boot,
 * on the BSP, before any zone runs.  Returns the number found. */
unsigned pci_scan(void);

/* The functions pci_scan() found; *count set. */
const struct pci_func *pci_funcs(unsigned *count);

#endif
