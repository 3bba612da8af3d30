/* Per-zone ACPI tables (RSDP, XSDT, FADT, MADT, DSDT), built with the AML encoder in aml.h (pure).
 */
#ifndef ZV_ACPI_BUILD_H
#define ZV_ACPI_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZONE_ACPI_MAX_VCPUS	  64
#define ZONE_ACPI_MAX_VIRTIO	  8
#define ZONE_ACPI_MAX_PCI_WINDOWS 16

/*
 * Ports the hypervisor emulates for the zone (docs/acpi.md).  The FADT of a
 * hardware-reduced platform (ACPI 6.4 4.1) names them as system-I/O generic
 * addresses, 8 bits wide:
 *  - SLEEP_CONTROL_REG (5.2.9.7): Linux's poweroff writes
 *    (SLP_TYP << 2) | SLP_EN, i.e. ZONE_ACPI_S5_WRITE (0x34), to it;
 *  - SLEEP_STATUS_REG: read back while waiting for the wake status, which
 *    never comes once the zone is off;
 *  - RESET_REG (4.8.3.6): reboot=acpi writes ZONE_ACPI_RESET_VALUE to it.
 */
#define ZONE_ACPI_SLEEP_CTL_PORT 0x600
#define ZONE_ACPI_SLEEP_STS_PORT 0x601
#define ZONE_ACPI_RESET_PORT	 0x604
#define ZONE_ACPI_RESET_VALUE	 0x01
#define ZONE_ACPI_S5_SLP_TYP	 5
/* ACPI 6.4 4.8.3.7, Table 4.19: SLP_TYPx in bits 4:2, SLP_EN is bit 5. */
#define ZONE_ACPI_SLP_EN   0x20
#define ZONE_ACPI_S5_WRITE ((ZONE_ACPI_S5_SLP_TYP << 2) | ZONE_ACPI_SLP_EN)

#define ZONE_ACPI_LAPIC_ADDR 0xFEE00000u
#define ZONE_ACPI_COM1_PORT  0x3F8
#define ZONE_ACPI_COM1_IRQ   4

struct zone_acpi_virtio {
	uint64_t addr; /* virtio-mmio register window; must lie below 4 GiB */
	uint32_t size;
	uint32_t gsi; /* edge-triggered, active-high IOAPIC input */
};

/* A range the PCI root bridge forwards to its bus (a passed-through BAR). */
struct zone_acpi_pci_window {
	uint64_t base, size; /* size > 0; base + size must not wrap (nor reach 2^64) */
	bool io;	     /* I/O ports (must end at or below 0x10000) instead of memory */
};

struct zone_acpi_config {
	uint64_t base_gpa; /* where the buffer will lie in the zone; 16-byte aligned */
	uint32_t vcpu_count;
	uint32_t apic_ids[ZONE_ACPI_MAX_VCPUS];
	uint64_t ioapic_addr; /* below 4 GiB */
	uint32_t ioapic_id;   /* below 256 */
	uint32_t ioapic_gsi_base;
	uint32_t virtio_count;
	struct zone_acpi_virtio virtio[ZONE_ACPI_MAX_VIRTIO];
	char oem_id[6]; /* padded with spaces; all zero means "ZONEVS" */
	bool pci_root;	/* describe \_SB.PCI0: bus 0 through ports 0xCF8-0xCFF */
	uint32_t pci_window_count;
	struct zone_acpi_pci_window pci_windows[ZONE_ACPI_MAX_PCI_WINDOWS];
};

/*
 * Writes the zone's tables into buf (cap bytes), to be copied to guest-physical
 * c->base_gpa; every pointer between them is a guest-physical address.  On
 * success returns 0 with *used the bytes written and *rsdp_gpa the RSDP's
 * address (for boot_params.acpi_rsdp_addr).  Returns -1 for a buffer too small,
 * 0 or too many vCPUs, too many virtio devices, an unaligned base, a device
 * above 4 GiB, more than ZONE_ACPI_MAX_PCI_WINDOWS windows, windows without
 * pci_root, or a window that is empty, wraps or (I/O) ends above 0x10000; no
 * byte at or past buf + cap is ever written.  Without pci_root the tables are
 * those of a zone with no PCI (and, in the FADT, no MSI).
 */
int zone_acpi_build(const struct zone_acpi_config *c, uint8_t *buf, size_t cap, size_t *used,
		    uint64_t *rsdp_gpa);

#endif
