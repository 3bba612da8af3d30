/* Internal interface of the UEFI loader (BOOTX64.EFI). */
#ifndef ZV_LOADER_H
#define ZV_LOADER_H

#include <efi.h>
#include <efilib.h>

#include "hv/bootinfo.h"
#include "hv/config.h"

/* UEFI spec 2.10, 7.2: memory types 0x80000000..0xFFFFFFFF belong to the OS
 * loader.  Everything the hypervisor keeps after the jump has this type, so
 * it reads back from the memory map as ZV_MEM_HV. */
#define ZV_EFI_MEMORY_HV ((EFI_MEMORY_TYPE)0x80000000u)

#define ZV_ESP_DIR L"\\zonevisor\\"

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

/* console.c */
void loader_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "zonevisor loader: error: ..." and powers the machine off. */
void loader_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
const char *efi_status_str(EFI_STATUS s);

/* files.c: files in the ESP's \zonevisor\ folder. */
EFI_STATUS files_open_esp(EFI_HANDLE image);
/* Reads the whole file into fresh ZV_EFI_MEMORY_HV pages; fatal on error. */
void files_read(const char *name, uint64_t *addr, uint64_t *size);

/* elf.c: loads hypervisor.elf (an x86-64 PIE) into fresh pages and applies
 * its relocations; returns the entry point. */
zv_entry_fn elf_load_hypervisor(uint64_t file, uint64_t size, uint64_t *base, uint64_t *span);

/* platform.c */
uint64_t platform_find_rsdp(void);
void platform_collect_cpus(struct zv_bootinfo *bi);
uint64_t platform_measure_tsc_khz(void);
/* UTC now in Unix seconds (0 if unknown), and the TSC at that moment. */
uint64_t platform_unix_time(uint64_t *tsc);
void platform_cmdline(EFI_HANDLE image, char *out, size_t len);
uint64_t platform_alloc_pages(uint64_t pages, uint64_t max_addr);

/* memmap.c: ExitBootServices and the conversion of the final memory map. */
void memmap_exit_boot_services(EFI_HANDLE image, struct zv_bootinfo *bi);

#endif
