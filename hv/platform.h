/* What the hypervisor learns from, and does to, the machine's firmware: ACPI and power. */
#ifndef ZV_PLATFORM_H
#define ZV_PLATFORM_H

#include "hv/bootinfo.h"

/* Parses the MADT where ACPI exists and cross-checks it with the UEFI CPU
 * list; prints what it found.  Never fatal: ACPI is optional (Bochs). */
void platform_check_acpi(const struct zv_bootinfo *bi);
/* Prints RSDP, XSDT and MADT as `acpi-dump <phys> <hex>` lines, 32 bytes a
 * line, for tools/capture-acpi. */
void platform_dump_acpi(const struct zv_bootinfo *bi);

/* Powers the machine off through UEFI runtime ResetSystem; halts if that
 * returns. */
void __attribute__((noreturn)) platform_power_off(const struct zv_bootinfo *bi);

#endif
