/* ACPI cross-check of the CPU list, and power-off through UEFI runtime services. */
#include "hv/platform.h"
#include "drivers/acpi.h"
#include "hv/console.h"
#include "hv/cpu.h"
#include "hv/lib/fmt.h"
#include "hv/lib/string.h"
#include "hv/mem.h"

static const void *identity_map(uint64_t phys, size_t len, void *ctx)
{
	(void)ctx;
	if (phys == 0 || phys + len < phys)
		return NULL;
	return phys_to_virt(phys);
}

static int uefi_has_apic(const struct zv_bootinfo *bi, uint32_t id)
{
	for (uint32_t i = 0; i < bi->cpu_count; i++)
		if (bi->cpus[i].apic_id == id)
			return 1;
	return 0;
}

static void cross_check(const struct zv_bootinfo *bi, const struct acpi_madt_info *m)
{
	uint32_t matched = 0;

	for (uint32_t i = 0; i < m->cpu_count; i++) {
		if (uefi_has_apic(bi, m->apic_ids[i]))
			matched++;
		else
			kprintf("acpi: warning: MADT lists apic %u, which UEFI did not report\n",
				m->apic_ids[i]);
	}
	if (matched != bi->cpu_count)
		kprintf("acpi: warning: UEFI reports %u cpus, MADT matches %u of them\n",
			bi->cpu_count, matched);
}

void platform_check_acpi(const struct zv_bootinfo *bi)
{
	struct acpi_ctx a = {identity_map, NULL};
	struct acpi_madt_info madt;
	const char *err = NULL;
	uint32_t len;
	uint64_t pa;

	if (!bi->rsdp) {
		kprintf("acpi: none (firmware installed no tables); using the UEFI cpu list\n");
		return;
	}
	pa = acpi_find_table(&a, bi->rsdp, "APIC", &len, &err);
	if (!pa || acpi_parse_madt(phys_to_virt(pa), len, &madt, &err) != 0) {
		kprintf("acpi: MADT unusable (%s); using the UEFI cpu list\n", err);
		return;
	}
	kprintf("acpi: MADT lists %u cpus and %u ioapics", madt.cpu_count, madt.ioapic_count);
	for (uint32_t i = 0; i < madt.ioapic_count; i++)
		kprintf("%s ioapic %u at 0x%x", i ? "," : ";", madt.ioapics[i].id,
			madt.ioapics[i].addr);
	kprintf("\n");
	cross_check(bi, &madt);
}

static void hexdump(uint64_t pa, uint32_t len)
{
	const uint8_t *p = phys_to_virt(pa);

	for (uint32_t off = 0; off < len; off += 32) {
		char line[80];
		uint32_t n = len - off < 32 ? len - off : 32;

		for (uint32_t i = 0; i < n; i++)
			zv_snprintf(line + 2 * i, 3, "%02x", p[off + i]);
		kprintf("acpi-dump %lx %s\n", pa + off, line);
	}
}

void platform_dump_acpi(const struct zv_bootinfo *bi)
{
	struct acpi_ctx a = {identity_map, NULL};
	const char *err = NULL;
	const uint8_t *rsdp = phys_to_virt(bi->rsdp);
	uint64_t xsdt;
	uint32_t len;

	if (!bi->rsdp)
		return;
	hexdump(bi->rsdp, 36);
	zv_memcpy(&xsdt, rsdp + 24, 8); /* ACPI 6.4, 5.2.5.3: XsdtAddress */
	if (xsdt)
		hexdump(xsdt, *(const uint32_t *)phys_to_virt(xsdt + 4));
	if (acpi_find_table(&a, bi->rsdp, "APIC", &len, &err))
		hexdump(acpi_find_table(&a, bi->rsdp, "APIC", &len, &err), len);
}

/* UEFI 2.10, 8.5.1: ResetSystem is the 11th function after the 24-byte
 * table header of EFI_RUNTIME_SERVICES. */
#define RT_RESET_SYSTEM_OFFSET (24 + 10 * 8)
#define EFI_RESET_SHUTDOWN     2

typedef void(__attribute__((ms_abi)) * efi_reset_fn)(int type, uint64_t status, uint64_t size,
						     void *data);

void platform_power_off(const struct zv_bootinfo *bi)
{
	kprintf("zonevisor: powering off\n");
	console_flush();
	if (bi->efi_runtime) {
		efi_reset_fn reset = *(efi_reset_fn *)(bi->efi_runtime + RT_RESET_SYSTEM_OFFSET);

		reset(EFI_RESET_SHUTDOWN, 0, 0, 0);
	}
	kprintf("zonevisor: power-off failed; halting\n");
	cpu_halt_forever();
}
