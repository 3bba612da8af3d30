/* The boot-info block: the versioned contract between BOOTX64.EFI and the hypervisor. */
#ifndef ZV_BOOTINFO_H
#define ZV_BOOTINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Layout rules (docs/boot-info.md): fixed-size little-endian fields, no
 * pointers into loader memory, every array bounded by a count that
 * zv_bootinfo_validate() checks.  A change to the layout bumps
 * ZV_BOOTINFO_VERSION; the hypervisor refuses any other version.
 */
#define ZV_BOOTINFO_MAGIC   0x31464e49425a5aULL /* "ZZBINF1" */
#define ZV_BOOTINFO_VERSION 2			/* 2: boot_unix_time, boot_tsc */

#define ZV_MAX_MEM_RANGES 512
#define ZV_MAX_CPUS	  64
#define ZV_MAX_FILES	  16
#define ZV_FILE_NAME_LEN  64
#define ZV_CMDLINE_LEN	  256
#define ZV_PAGE_SIZE	  4096ULL

/* What a range of physical memory is, as the hypervisor sees it. */
enum zv_mem_type {
	ZV_MEM_USABLE = 1,	 /* free for the page allocator after boot */
	ZV_MEM_RESERVED = 2,	 /* firmware or hardware; never touched */
	ZV_MEM_ACPI_RECLAIM = 3, /* ACPI tables; read-only for us */
	ZV_MEM_ACPI_NVS = 4,
	ZV_MEM_RUNTIME = 5, /* UEFI runtime services code/data */
	ZV_MEM_MMIO = 6,
	ZV_MEM_HV = 7,	   /* hypervisor image, boot info, stack, files */
	ZV_MEM_LOADER = 8, /* the loader's own image; dead after the jump */
};

struct zv_mem_range {
	uint64_t base;	   /* physical, page aligned */
	uint64_t pages;	   /* 4 KiB pages */
	uint32_t type;	   /* enum zv_mem_type */
	uint32_t efi_type; /* the UEFI type it came from, for the log */
};

#define ZV_CPU_BSP 1u

struct zv_cpu {
	uint32_t apic_id;
	uint32_t flags; /* ZV_CPU_* */
};

/* A file the loader read from the ESP into ZV_MEM_HV memory. */
struct zv_file {
	char name[ZV_FILE_NAME_LEN]; /* name inside \zonevisor\ on the ESP, NUL terminated */
	uint64_t addr;		     /* physical */
	uint64_t size;		     /* bytes */
};

struct zv_bootinfo {
	uint64_t magic;
	uint32_t version;
	uint32_t size; /* sizeof(struct zv_bootinfo) as the loader built it */

	uint64_t hv_base;	 /* physical address the image was loaded at */
	uint64_t hv_size;	 /* bytes, including bss */
	uint64_t stack_top;	 /* BSP stack the loader switched to */
	uint64_t trampoline;	 /* one page below 1 MiB for the AP start-up code */
	uint64_t rsdp;		 /* ACPI RSDP, 0 when the firmware has none */
	uint64_t efi_runtime;	 /* EFI_RUNTIME_SERVICES *, for ResetSystem */
	uint64_t tsc_khz;	 /* measured by the loader against UEFI Stall() */
	uint64_t boot_unix_time; /* UTC from UEFI GetTime(), Unix seconds; 0 if unknown */
	uint64_t boot_tsc;	 /* the TSC when boot_unix_time was read */

	uint32_t mem_count;
	uint32_t cpu_count;
	uint32_t file_count;
	uint32_t config_file; /* index in files[] of zonevisor.conf */

	char cmdline[ZV_CMDLINE_LEN]; /* the loader's load options, UTF-8 */

	struct zv_mem_range mem[ZV_MAX_MEM_RANGES]; /* sorted, non-overlapping */
	struct zv_cpu cpus[ZV_MAX_CPUS];	    /* exactly one has ZV_CPU_BSP */
	struct zv_file files[ZV_MAX_FILES];
};

/* Entry point of the hypervisor image: called on the BSP, interrupts off,
 * identity-mapped, on bi->stack_top. */
typedef void (*zv_entry_fn)(struct zv_bootinfo *bi);

/* Checks every field the hypervisor relies on.  Returns NULL when the block
 * is sound, else a static message saying what is wrong. */
const char *zv_bootinfo_validate(const struct zv_bootinfo *bi);

/* The file named `name` (exact match), or NULL. */
const struct zv_file *zv_bootinfo_file(const struct zv_bootinfo *bi, const char *name);

#endif
