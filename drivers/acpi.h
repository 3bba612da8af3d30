/* ACPI table discovery and MADT parsing (pure: tables are reached through a mapper). */
#ifndef ZV_ACPI_H
#define ZV_ACPI_H

#include <stddef.h>
#include <stdint.h>

#define ACPI_MAX_CPUS	 64
#define ACPI_MAX_IOAPICS 8

/* Returns a pointer to len readable bytes at physical address phys, or NULL
 * when that memory is not available.  In the hypervisor it is the identity
 * map; in host tests, a lookup into captured table blobs. */
typedef const void *(*acpi_map_fn)(uint64_t phys, size_t len, void *ctx);

struct acpi_ctx {
	acpi_map_fn map;
	void *ctx;
};

struct acpi_ioapic {
	uint32_t id;
	uint32_t addr;
	uint32_t gsi_base;
};

struct acpi_madt_info {
	uint64_t lapic_addr;
	uint32_t cpu_count; /* enabled (or online-capable) local APICs / x2APICs */
	uint32_t apic_ids[ACPI_MAX_CPUS];
	uint32_t ioapic_count;
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
};

/*
 * Finds the table with signature sig (4 chars) through the RSDP at rsdp_phys
 * (XSDT when revision >= 2, else RSDT).  Every header, length and checksum on
 * the way is checked.  Returns the table's physical address and its length in
 * *len, or 0 with *err set to a static message.
 */
uint64_t acpi_find_table(const struct acpi_ctx *a, uint64_t rsdp_phys, const char *sig,
			 uint32_t *len, const char **err);

/* Parses a MADT of len bytes (header included, checksum checked).  Returns 0,
 * or -1 with *err set; never reads outside [madt, madt + len). */
int acpi_parse_madt(const void *madt, uint32_t len, struct acpi_madt_info *out, const char **err);

/* Sum of len bytes mod 256; a valid ACPI table sums to 0. */
uint8_t acpi_checksum(const void *p, size_t len);

#endif
