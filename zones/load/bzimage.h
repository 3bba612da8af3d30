/* Booting a Linux bzImage in a zone: the x86 boot protocol's 64-bit entry (pure). */
#ifndef ZV_BZIMAGE_H
#define ZV_BZIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * References are to the kernel's Documentation/arch/x86/boot.rst ("boot.rst")
 * and zero-page.rst, and arch/x86/include/uapi/asm/bootparam.h for the layout.
 */

#define BZIMAGE_MIN_PROTOCOL   0x020C /* 2.12: xloadflags, so XLF_KERNEL_64 */
#define BZIMAGE_ZERO_PAGE_SIZE 4096
#define BZIMAGE_E820_MAX       128 /* E820_MAX_ENTRIES_ZEROPAGE */
#define BZIMAGE_MSG_LEN	       128
#define BZIMAGE_VERSION_LEN    128

/* boot.rst "Details of header fields": loadflags and xloadflags bits. */
#define BZ_LOADED_HIGH		      (1u << 0)
#define BZ_KEEP_SEGMENTS	      (1u << 6)
#define BZ_CAN_USE_HEAP		      (1u << 7)
#define BZ_XLF_KERNEL_64	      (1u << 0)
#define BZ_XLF_CAN_BE_LOADED_ABOVE_4G (1u << 1)

/* zero-page.rst: E820 entry types. */
#define BZ_E820_RAM	 1
#define BZ_E820_RESERVED 2

/*
 * The zone's low memory for a Linux boot (guest-physical; all below 1 MiB so
 * nothing can collide with a kernel, which loads at 1 MiB or above):
 *   0x1000  GDT: null, null, __BOOT_CS (0x10), __BOOT_DS (0x18)
 *   0x2000  page tables: PML4, PDPT, four PDs (identity map of 0-4 GiB)
 *   0x8000  zero page (struct boot_params; RSI at entry)
 *   0x9000  command line, up to BZIMAGE_CMDLINE_MAX bytes with its NUL
 *   0x9F000-0x100000  reserved in the E820 map; the ACPI tables lie at 0xE0000
 */
#define BZIMAGE_GDT_GPA	      0x1000u
#define BZIMAGE_GDT_ENTRIES   4
#define BZIMAGE_PML4_GPA      0x2000u
#define BZIMAGE_PT_PAGES      6
#define BZIMAGE_PT_BYTES      (BZIMAGE_PT_PAGES * 4096u)
#define BZIMAGE_ZERO_PAGE_GPA 0x8000u
#define BZIMAGE_CMDLINE_GPA   0x9000u
#define BZIMAGE_CMDLINE_MAX   0x7000u
#define BZIMAGE_LOW_RAM_END   0x9F000u
#define BZIMAGE_ACPI_GPA      0xE0000u
#define BZIMAGE_ACPI_SIZE     0x10000u
#define BZIMAGE_IDENTITY_MAP  (4ull << 30)
#define BZIMAGE_ENTRY_64      0x200u /* boot.rst "64-bit BOOT PROTOCOL": entry at load + 0x200 */

/* boot.rst "The real-mode kernel header", at offset 0x1F1 of the image and of boot_params. */
struct __attribute__((packed)) bzimage_setup_header {
	uint8_t setup_sects;		/* 0x1F1 */
	uint16_t root_flags;		/* 0x1F2 */
	uint32_t syssize;		/* 0x1F4: protected-mode size in 16-byte units */
	uint16_t ram_size;		/* 0x1F8 */
	uint16_t vid_mode;		/* 0x1FA */
	uint16_t root_dev;		/* 0x1FC */
	uint16_t boot_flag;		/* 0x1FE: 0xAA55 */
	uint16_t jump;			/* 0x200: EB xx; the header ends at 0x202 + xx */
	uint32_t header;		/* 0x202: "HdrS" */
	uint16_t version;		/* 0x206 */
	uint32_t realmode_swtch;	/* 0x208 */
	uint16_t start_sys_seg;		/* 0x20C */
	uint16_t kernel_version;	/* 0x20E: version string at this + 0x200 */
	uint8_t type_of_loader;		/* 0x210 */
	uint8_t loadflags;		/* 0x211 */
	uint16_t setup_move_size;	/* 0x212 */
	uint32_t code32_start;		/* 0x214 */
	uint32_t ramdisk_image;		/* 0x218 */
	uint32_t ramdisk_size;		/* 0x21C */
	uint32_t bootsect_kludge;	/* 0x220 */
	uint16_t heap_end_ptr;		/* 0x224 */
	uint8_t ext_loader_ver;		/* 0x226 */
	uint8_t ext_loader_type;	/* 0x227 */
	uint32_t cmd_line_ptr;		/* 0x228 */
	uint32_t initrd_addr_max;	/* 0x22C */
	uint32_t kernel_alignment;	/* 0x230 */
	uint8_t relocatable_kernel;	/* 0x234 */
	uint8_t min_alignment;		/* 0x235 */
	uint16_t xloadflags;		/* 0x236 */
	uint32_t cmdline_size;		/* 0x238 */
	uint32_t hardware_subarch;	/* 0x23C */
	uint64_t hardware_subarch_data; /* 0x240 */
	uint32_t payload_offset;	/* 0x248 */
	uint32_t payload_length;	/* 0x24C */
	uint64_t setup_data;		/* 0x250 */
	uint64_t pref_address;		/* 0x258 */
	uint32_t init_size;		/* 0x260 */
	uint32_t handover_offset;	/* 0x264 */
	uint32_t kernel_info_offset;	/* 0x268 (2.15) */
};

struct __attribute__((packed)) bzimage_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

/* zero-page.rst: struct boot_params, the "zero page". */
struct __attribute__((packed)) bzimage_boot_params {
	uint8_t screen_info[0x40];				/* 0x000 */
	uint8_t apm_bios_info[0x14];				/* 0x040 */
	uint8_t pad2[4];					/* 0x054 */
	uint64_t tboot_addr;					/* 0x058 */
	uint8_t ist_info[0x10];					/* 0x060 */
	uint64_t acpi_rsdp_addr;				/* 0x070 */
	uint8_t pad3[8];					/* 0x078 */
	uint8_t hd0_info[16];					/* 0x080 */
	uint8_t hd1_info[16];					/* 0x090 */
	uint8_t sys_desc_table[0x10];				/* 0x0A0 */
	uint8_t olpc_ofw_header[0x10];				/* 0x0B0 */
	uint32_t ext_ramdisk_image;				/* 0x0C0 */
	uint32_t ext_ramdisk_size;				/* 0x0C4 */
	uint32_t ext_cmd_line_ptr;				/* 0x0C8 */
	uint8_t pad4[0x70];					/* 0x0CC */
	uint32_t cc_blob_address;				/* 0x13C */
	uint8_t edid_info[0x80];				/* 0x140 */
	uint8_t efi_info[0x20];					/* 0x1C0 */
	uint32_t alt_mem_k;					/* 0x1E0 */
	uint32_t scratch;					/* 0x1E4 */
	uint8_t e820_entries;					/* 0x1E8 */
	uint8_t eddbuf_entries;					/* 0x1E9 */
	uint8_t edd_mbr_sig_buf_entries;			/* 0x1EA */
	uint8_t kbd_status;					/* 0x1EB */
	uint8_t secure_boot;					/* 0x1EC */
	uint8_t pad5[2];					/* 0x1ED */
	uint8_t sentinel;					/* 0x1EF */
	uint8_t pad6[1];					/* 0x1F0 */
	struct bzimage_setup_header hdr;			/* 0x1F1 */
	uint8_t pad7[0x290 - 0x26C];				/* 0x26C */
	uint32_t edd_mbr_sig_buffer[16];			/* 0x290 */
	struct bzimage_e820_entry e820_table[BZIMAGE_E820_MAX]; /* 0x2D0 */
	uint8_t pad8[48];					/* 0xCD0 */
	uint8_t eddbuf[0x1EC];					/* 0xD00 */
	uint8_t pad9[276];					/* 0xEEC */
};

/* What bzimage_parse() found; a failed parse leaves only err set. */
struct bzimage_info {
	uint16_t protocol;    /* e.g. 0x020F for 2.15 */
	uint32_t setup_size;  /* (setup_sects + 1) * 512: the real-mode part, not loaded */
	uint32_t header_end;  /* the setup header is image[0x1F1, header_end) */
	uint64_t kernel_size; /* the protected-mode kernel: image[setup_size, end) */
	uint8_t loadflags;
	uint16_t xloadflags;
	bool relocatable;
	uint32_t kernel_alignment;
	uint8_t min_alignment; /* log2 */
	uint64_t pref_address;
	uint32_t init_size;		   /* bytes the kernel needs from its load address */
	uint32_t cmdline_size;		   /* longest command line, NUL excluded */
	uint32_t initrd_addr_max;	   /* highest byte an initramfs may occupy */
	char version[BZIMAGE_VERSION_LEN]; /* the kernel_version string, or "" */
	char err[BZIMAGE_MSG_LEN];
};

/*
 * Checks that img (size bytes) is a bzImage this hypervisor can boot: boot
 * protocol 2.12 or later, loaded high, with a 64-bit entry point.  Returns
 * NULL with *out filled, or a message (in out->err) saying what is wrong.
 */
const char *bzimage_parse(const void *img, size_t size, struct bzimage_info *out);

/* Where the pieces of a Linux boot go in the zone (guest-physical). */
struct bzimage_layout {
	uint64_t gdt_gpa;	/* bzimage_build_gdt(); limit BZIMAGE_GDT_ENTRIES * 8 - 1 */
	uint64_t pml4_gpa;	/* CR3: bzimage_build_page_tables(), BZIMAGE_PT_BYTES */
	uint64_t zero_page_gpa; /* RSI at entry */
	uint64_t cmdline_gpa;
	uint64_t acpi_gpa;   /* BZIMAGE_ACPI_SIZE bytes for zone_acpi_build() */
	uint64_t kernel_gpa; /* the protected-mode kernel is copied here */
	uint64_t kernel_end; /* kernel_gpa + init_size (or the kernel's size), page-aligned */
	uint64_t entry_gpa;  /* RIP at entry: kernel_gpa + 0x200 */
	uint64_t initrd_gpa; /* 0 without an initramfs */
	uint64_t initrd_size;
	char err[BZIMAGE_MSG_LEN];
};

/*
 * Places a kernel described by bi in a zone whose RAM is [0, mem_bytes), with
 * an initramfs of initrd_size bytes (0: none) and a command line of
 * cmdline_len bytes (NUL excluded).  The kernel goes at pref_address (aligned
 * up to kernel_alignment when relocatable): a relocatable kernel loaded lower
 * still decompresses to at least pref_address, so lower never saves memory.
 * The initramfs goes as high as it can below min(initrd_addr_max + 1, mem,
 * 4 GiB), page-aligned, above the kernel's init_size.  Returns 0, or -1 with
 * out->err saying what does not fit.
 */
int bzimage_plan(const struct bzimage_info *bi, uint64_t mem_bytes, uint64_t initrd_size,
		 size_t cmdline_len, struct bzimage_layout *out);
/* The same for RAM at [ram_lo, ram_hi) above the low area: the kernel goes
 * at its preferred address or ram_lo, whichever is higher. */
int bzimage_plan_at(const struct bzimage_info *bi, uint64_t ram_lo, uint64_t ram_hi,
		    uint64_t initrd_size, size_t cmdline_len, struct bzimage_layout *out);

/* What the zero page tells the kernel (guest-physical addresses). */
struct bzimage_boot {
	uint64_t kernel_gpa; /* code32_start */
	uint64_t cmdline_gpa;
	uint64_t initrd_gpa;
	uint64_t initrd_size; /* 0: no initramfs */
	uint64_t rsdp_gpa;    /* 0: none */
	const struct bzimage_e820_entry *e820;
	uint32_t e820_count;
};

/*
 * Fills *zp (zeroed first) for a 64-bit boot of img, the image bi was parsed
 * from: its setup header, then type_of_loader 0xFF, CAN_USE_HEAP,
 * code32_start, the command line, initramfs, E820 map and RSDP from b.
 * Returns 0, or -1 with zp untouched for more than BZIMAGE_E820_MAX entries
 * or an address above 4 GiB the kernel cannot take (no XLF_CAN_BE_LOADED_ABOVE_4G).
 */
int bzimage_build_zero_page(const struct bzimage_info *bi, const void *img,
			    const struct bzimage_boot *b, struct bzimage_boot_params *zp);

/* The zone's E820 map for this layout: RAM below BZIMAGE_LOW_RAM_END,
 * reserved up to 1 MiB (ACPI tables), RAM from 1 MiB to mem_bytes (> 1 MiB).
 * Returns the number of entries written (3). */
uint32_t bzimage_zone_e820(uint64_t mem_bytes, struct bzimage_e820_entry out[3]);
/* The same with the main RAM at [ram_lo, ram_hi) (ram_lo >= 1 MiB): the
 * control zone's identity-mapped block. */
uint32_t bzimage_e820_at(uint64_t ram_lo, uint64_t ram_hi, struct bzimage_e820_entry out[3]);

/* boot.rst "64-bit BOOT PROTOCOL": flat __BOOT_CS (64-bit code, 0x10) and
 * __BOOT_DS (data, 0x18) after two null descriptors. */
void bzimage_build_gdt(uint64_t gdt[BZIMAGE_GDT_ENTRIES]);

/* Identity map of the first 4 GiB in 2 MiB pages, to be copied to pml4_gpa:
 * PML4, PDPT, then four PDs (BZIMAGE_PT_BYTES / 8 entries). */
void bzimage_build_page_tables(uint64_t pml4_gpa, uint64_t *tables);

#endif
