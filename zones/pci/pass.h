/* PCI passthrough to the control zone: its view of config space, the BARs in its NPT, MSIs. */
#ifndef ZV_PCI_PASS_H
#define ZV_PCI_PASS_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/arch/vcpu.h"
#include "hv/zone_api.h"

struct zone;
struct zone_acpi_config;

/* Scans bus 0 (drivers/pci.h) and decides, and lists, what the control
 * zone gets of each function (pci_access_for).  At boot, before any zone. */
void pci_pass_scan(void);
/* Maps the memory BARs of every passed-through function (drivers/pci.h)
 * into the control zone's nested page table at their own addresses, makes
 * z the target of device interrupts and registers the config ports and I/O
 * BARs in z->io; at zone_destroy device interrupts are dropped and bus
 * mastering stops.  0, or -1 out of memory. */
int pci_pass_attach(struct zone *z);

/* Whether a PCI function's memory BAR lies in [lo, hi): the hypervisor
 * must not put an emulated device there. */
bool pci_pass_decodes(uint64_t lo, uint64_t hi);

/* Describes the PCI root bridge and the BAR windows in the zone's ACPI tables. */
void pci_pass_acpi(struct zone_acpi_config *c);

#endif
