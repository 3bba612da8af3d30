/* The Linux x86 boot protocol for zones (zones/load/bzimage.h; boot.rst, zero-page.rst). */
#include <stdarg.h>

#include "hv/lib/fmt.h"
#include "hv/lib/string.h"
#include "hv/x86_bits.h"
#include "zones/load/bzimage.h"

#define KIB  1024ull
#define MIB  (1024ull * KIB)
#define PAGE 4096ull

#define HDR_OFF		    0x1F1 /* boot.rst: the setup header starts here */
#define HDR_JUMP_OFF	    0x201 /* the displacement byte of the EB xx jump */
#define HDR_END_BASE	    0x202 /* boot.rst: the header ends at 0x202 + that byte */
#define HDR_END_2_12	    0x268 /* through handover_offset: every field we read */
#define HDR_AREA_END	    0x290 /* boot_params' room for the header (edd_mbr_sig_buffer next) */
#define BOOT_FLAG	    0xAA55
#define HDRS_MAGIC	    0x53726448u /* "HdrS" */
#define MIN_IMAGE	    1024u	/* two sectors: the whole header is inside */
#define SECTOR		    512u
#define DEFAULT_SETUP_SECTS 4	   /* boot.rst: setup_sects 0 means 4 */
#define LOADER_UNDEFINED    0xFF   /* boot.rst type_of_loader: no assigned ID */
#define HEAP_END	    0xFE00 /* boot.rst's example heap_end_ptr */

/* zero-page.rst offsets, checked against the struct. */
#define OFF(m) offsetof(struct bzimage_boot_params, m)
_Static_assert(sizeof(struct bzimage_boot_params) == BZIMAGE_ZERO_PAGE_SIZE, "zero page size");
_Static_assert(sizeof(struct bzimage_setup_header) == 0x26C - HDR_OFF, "setup header size");
_Static_assert(sizeof(struct bzimage_e820_entry) == 20, "e820 entry size");
_Static_assert(OFF(acpi_rsdp_addr) == 0x070, "acpi_rsdp_addr");
_Static_assert(OFF(ext_ramdisk_image) == 0x0C0, "ext_ramdisk_image");
_Static_assert(OFF(ext_ramdisk_size) == 0x0C4, "ext_ramdisk_size");
_Static_assert(OFF(ext_cmd_line_ptr) == 0x0C8, "ext_cmd_line_ptr");
_Static_assert(OFF(cc_blob_address) == 0x13C, "cc_blob_address");
_Static_assert(OFF(e820_entries) == 0x1E8, "e820_entries");
_Static_assert(OFF(sentinel) == 0x1EF, "sentinel");
_Static_assert(OFF(hdr) == HDR_OFF, "hdr");
_Static_assert(OFF(hdr.boot_flag) == 0x1FE, "boot_flag");
_Static_assert(OFF(hdr.header) == 0x202, "header");
_Static_assert(OFF(hdr.type_of_loader) == 0x210, "type_of_loader");
_Static_assert(OFF(hdr.loadflags) == 0x211, "loadflags");
_Static_assert(OFF(hdr.code32_start) == 0x214, "code32_start");
_Static_assert(OFF(hdr.ramdisk_image) == 0x218, "ramdisk_image");
_Static_assert(OFF(hdr.ramdisk_size) == 0x21C, "ramdisk_size");
_Static_assert(OFF(hdr.heap_end_ptr) == 0x224, "heap_end_ptr");
_Static_assert(OFF(hdr.cmd_line_ptr) == 0x228, "cmd_line_ptr");
_Static_assert(OFF(hdr.initrd_addr_max) == 0x22C, "initrd_addr_max");
_Static_assert(OFF(hdr.xloadflags) == 0x236, "xloadflags");
_Static_assert(OFF(hdr.cmdline_size) == 0x238, "cmdline_size");
_Static_assert(OFF(hdr.pref_address) == 0x258, "pref_address");
_Static_assert(OFF(hdr.init_size) == 0x260, "init_size");
_Static_assert(OFF(edd_mbr_sig_buffer) == HDR_AREA_END, "edd_mbr_sig_buffer");
_Static_assert(OFF(e820_table) == 0x2D0, "e820_table");
_Static_assert(OFF(eddbuf) == 0xD00, "eddbuf");

/* ---- parsing ------------------------------------------------------------- */

static const char *fail(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static const char *fail(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	zv_vsnprintf(err, BZIMAGE_MSG_LEN, fmt, ap);
	va_end(ap);
	return err;
}

static uint64_t mib_up(uint64_t bytes)
{
	return bytes / MIB + (bytes % MIB != 0);
}

/* The signatures, before anything else is believed. */
static const char *check_magic(const struct bzimage_setup_header *h, char *err)
{
	if (h->boot_flag != BOOT_FLAG)
		return fail(err, "not a bzImage (no 0xAA55 boot flag at 0x1FE)");
	if (h->header != HDRS_MAGIC)
		return fail(err, "not a bzImage (no HdrS magic)");
	if (h->version < BZIMAGE_MIN_PROTOCOL)
		return fail(err, "boot protocol %u.%02u is too old (need 2.12)", h->version >> 8,
			    h->version & 0xFF);
	return NULL;
}

/* boot.rst "The real-mode kernel header" and "Loading the rest of the kernel". */
static void fill_info(const struct bzimage_setup_header *h, const uint8_t *img, size_t size,
		      struct bzimage_info *bi)
{
	bi->protocol = h->version;
	bi->setup_size = ((h->setup_sects ? h->setup_sects : DEFAULT_SETUP_SECTS) + 1) * SECTOR;
	bi->header_end = HDR_END_BASE + img[HDR_JUMP_OFF];
	bi->kernel_size = size > bi->setup_size ? size - bi->setup_size : 0;
	bi->loadflags = h->loadflags;
	bi->xloadflags = h->xloadflags;
	bi->relocatable = h->relocatable_kernel != 0;
	bi->kernel_alignment = h->kernel_alignment;
	bi->min_alignment = h->min_alignment;
	bi->pref_address = h->pref_address;
	bi->init_size = h->init_size;
	bi->cmdline_size = h->cmdline_size;
	bi->initrd_addr_max = h->initrd_addr_max;
}

static const char *check_sizes(const struct bzimage_setup_header *h, size_t size,
			       const struct bzimage_info *bi, char *err)
{
	uint64_t sys = (uint64_t)h->syssize * 16; /* boot.rst syssize: 16-byte paragraphs */

	if (size < bi->setup_size)
		return fail(err, "bzImage is truncated (%zu bytes, setup needs %u)", size,
			    bi->setup_size);
	if (bi->header_end < HDR_END_2_12 || bi->header_end > bi->setup_size)
		return fail(err, "setup header ends at 0x%x, outside 0x%x-0x%x", bi->header_end,
			    HDR_END_2_12, bi->setup_size);
	if (bi->kernel_size == 0)
		return fail(err, "bzImage has no protected-mode kernel after its %u-byte setup",
			    bi->setup_size);
	if (sys > bi->kernel_size)
		return fail(err, "bzImage is truncated (%zu bytes, setup and kernel need %llu)",
			    size, (unsigned long long)(bi->setup_size + sys));
	return NULL;
}

static bool power_of_two(uint32_t v)
{
	return v && !(v & (v - 1));
}

/* The fields a 64-bit loader depends on. */
static const char *check_fields(const struct bzimage_info *bi, char *err)
{
	if (!(bi->loadflags & BZ_LOADED_HIGH))
		return fail(err, "kernel does not load at 1 MiB (LOADED_HIGH clear: a zImage)");
	if (!(bi->xloadflags & BZ_XLF_KERNEL_64))
		return fail(err, "kernel has no 64-bit entry point (XLF_KERNEL_64)");
	if (bi->init_size == 0)
		return fail(err, "kernel's init_size is 0");
	if (bi->relocatable && (!power_of_two(bi->kernel_alignment) || bi->kernel_alignment < PAGE))
		return fail(err, "kernel_alignment 0x%x is not a power of two of 4 KiB or more",
			    bi->kernel_alignment);
	if (bi->pref_address < MIB)
		return fail(err, "pref_address 0x%llx is below 1 MiB",
			    (unsigned long long)bi->pref_address);
	return NULL;
}

/* boot.rst kernel_version: a NUL-terminated string at kernel_version + 0x200,
 * inside the setup code; kept printable. */
static void read_version(const uint8_t *img, const struct bzimage_setup_header *h,
			 struct bzimage_info *bi)
{
	size_t off = (size_t)h->kernel_version + 0x200, n = 0;

	if (!h->kernel_version)
		return;
	while (off + n < bi->setup_size && n + 1 < BZIMAGE_VERSION_LEN && img[off + n]) {
		uint8_t c = img[off + n];

		bi->version[n++] = c >= 0x20 && c < 0x7F ? (char)c : '?';
	}
	bi->version[n] = 0;
}

const char *bzimage_parse(const void *img, size_t size, struct bzimage_info *out)
{
	const uint8_t *p = img;
	struct bzimage_setup_header h;
	const char *e;
	char err[BZIMAGE_MSG_LEN];

	zv_memset(out, 0, sizeof(*out));
	if (size < MIN_IMAGE)
		return fail(out->err, "bzImage is truncated (%zu bytes, need at least %u)", size,
			    MIN_IMAGE);
	zv_memcpy(&h, p + HDR_OFF, sizeof(h));
	if (!(e = check_magic(&h, err))) {
		fill_info(&h, p, size, out);
		if (!(e = check_sizes(&h, size, out, err)) && !(e = check_fields(out, err)))
			read_version(p, &h, out);
	}
	if (!e)
		return NULL;
	zv_memset(out, 0, sizeof(*out));
	zv_memcpy(out->err, err, sizeof(err));
	return out->err;
}

/* ---- placement ------------------------------------------------------------ */

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1); /* callers make sure it cannot wrap */
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static int plan_fail(struct bzimage_layout *out, const char *msg)
{
	char err[BZIMAGE_MSG_LEN];

	zv_memcpy(err, msg, sizeof(err));
	zv_memset(out, 0, sizeof(*out));
	zv_memcpy(out->err, err, sizeof(err));
	return -1;
}

static const char *place_cmdline(const struct bzimage_info *bi, size_t len, char *err)
{
	if (len > bi->cmdline_size)
		return fail(err,
			    "command line of %zu bytes is longer than the kernel's limit of %u",
			    len, bi->cmdline_size);
	if (len >= BZIMAGE_CMDLINE_MAX)
		return fail(err, "command line of %zu bytes does not fit the zone's %u-byte buffer",
			    len, BZIMAGE_CMDLINE_MAX);
	return NULL;
}

static const char *refuse_kernel(uint64_t at, uint64_t span, uint64_t top, uint64_t mem, char *err)
{
	uint64_t need = at < top ? mib_up(at + span) : mib_up(at) + mib_up(span);

	return fail(
		err,
		"kernel needs %llu MiB (%llu MiB init_size at %llu MiB) but the zone has %llu MiB",
		(unsigned long long)need, (unsigned long long)mib_up(span),
		(unsigned long long)(at / MIB), (unsigned long long)(mem / MIB));
}

/* The kernel's span [kernel_gpa, kernel_end) below top. */
static const char *place_kernel(const struct bzimage_info *bi, uint64_t lo, uint64_t top,
				uint64_t mem, struct bzimage_layout *l, char *err)
{
	uint64_t at = bi->pref_address > lo ? bi->pref_address : lo, span = bi->init_size;

	if (bi->kernel_size > span)
		span = bi->kernel_size;
	span = align_up(span, PAGE); /* both are far below 2^63 */
	if (bi->relocatable && at <= UINT64_MAX - bi->kernel_alignment)
		at = align_up(at, bi->kernel_alignment);
	if (at >= top || span > top - at)
		return refuse_kernel(at, span, top, mem, err);
	l->kernel_gpa = at;
	l->kernel_end = at + span;
	l->entry_gpa = at + BZIMAGE_ENTRY_64;
	return NULL;
}

/* boot.rst initrd_addr_max: "the maximum address that may be occupied by the
 * initial ramdisk/ramfs contents", so its end may be initrd_addr_max + 1. */
static const char *place_initrd(const struct bzimage_info *bi, uint64_t top, uint64_t size,
				struct bzimage_layout *l, char *err)
{
	uint64_t limit = min_u64(top, (uint64_t)bi->initrd_addr_max + 1);
	uint64_t room = limit > l->kernel_end ? limit - l->kernel_end : 0;

	if (size == 0)
		return NULL;
	if (size > room || ((limit - size) & ~(PAGE - 1)) < l->kernel_end)
		return fail(err,
			    "initramfs of %llu MiB does not fit (%llu MiB free between the "
			    "kernel's end at %llu MiB and %llu MiB)",
			    (unsigned long long)mib_up(size), (unsigned long long)(room / MIB),
			    (unsigned long long)mib_up(l->kernel_end),
			    (unsigned long long)(limit / MIB));
	l->initrd_gpa = (limit - size) & ~(PAGE - 1);
	l->initrd_size = size;
	return NULL;
}

static void place_low(struct bzimage_layout *l)
{
	l->gdt_gpa = BZIMAGE_GDT_GPA;
	l->pml4_gpa = BZIMAGE_PML4_GPA;
	l->zero_page_gpa = BZIMAGE_ZERO_PAGE_GPA;
	l->cmdline_gpa = BZIMAGE_CMDLINE_GPA;
	l->acpi_gpa = BZIMAGE_ACPI_GPA;
}

int bzimage_plan_at(const struct bzimage_info *bi, uint64_t ram_lo, uint64_t ram_hi,
		    uint64_t initrd_size, size_t cmdline_len, struct bzimage_layout *out)
{
	/* Everything the kernel is handed lies in the 4 GiB identity map. */
	uint64_t top = min_u64(ram_hi, BZIMAGE_IDENTITY_MAP);
	char err[BZIMAGE_MSG_LEN];

	zv_memset(out, 0, sizeof(*out));
	if (place_cmdline(bi, cmdline_len, err) ||
	    place_kernel(bi, ram_lo, top, ram_hi - ram_lo, out, err) ||
	    place_initrd(bi, top, initrd_size, out, err))
		return plan_fail(out, err);
	place_low(out);
	return 0;
}

int bzimage_plan(const struct bzimage_info *bi, uint64_t mem_bytes, uint64_t initrd_size,
		 size_t cmdline_len, struct bzimage_layout *out)
{
	return bzimage_plan_at(bi, 0, mem_bytes, initrd_size, cmdline_len, out);
}

/* ---- the zero page -------------------------------------------------------- */

static bool above_4g_ok(const struct bzimage_info *bi, const struct bzimage_boot *b)
{
	uint64_t initrd_end = b->initrd_gpa + b->initrd_size;

	if (bi->xloadflags & BZ_XLF_CAN_BE_LOADED_ABOVE_4G)
		return true;
	return b->cmdline_gpa < BZIMAGE_IDENTITY_MAP && initrd_end <= BZIMAGE_IDENTITY_MAP &&
	       initrd_end >= b->initrd_gpa;
}

/* boot.rst "Details of header fields", the fields marked "write" for the loader. */
static void set_header(struct bzimage_setup_header *h, const struct bzimage_boot *b)
{
	h->type_of_loader = LOADER_UNDEFINED;
	h->loadflags = (uint8_t)((h->loadflags | BZ_CAN_USE_HEAP) & ~BZ_KEEP_SEGMENTS);
	h->heap_end_ptr = HEAP_END;
	h->code32_start = (uint32_t)b->kernel_gpa;
	h->cmd_line_ptr = (uint32_t)b->cmdline_gpa;
	h->ramdisk_image = b->initrd_size ? (uint32_t)b->initrd_gpa : 0;
	h->ramdisk_size = (uint32_t)b->initrd_size;
}

/* zero-page.rst: the upper halves of the 64-bit addresses. */
static void set_ext(struct bzimage_boot_params *zp, const struct bzimage_boot *b)
{
	zp->ext_cmd_line_ptr = (uint32_t)(b->cmdline_gpa >> 32);
	zp->ext_ramdisk_image = b->initrd_size ? (uint32_t)(b->initrd_gpa >> 32) : 0;
	zp->ext_ramdisk_size = (uint32_t)(b->initrd_size >> 32);
	zp->acpi_rsdp_addr = b->rsdp_gpa;
}

int bzimage_build_zero_page(const struct bzimage_info *bi, const void *img,
			    const struct bzimage_boot *b, struct bzimage_boot_params *zp)
{
	uint32_t end = bi->header_end < HDR_AREA_END ? bi->header_end : HDR_AREA_END;

	if (b->e820_count > BZIMAGE_E820_MAX || !above_4g_ok(bi, b))
		return -1;
	zv_memset(zp, 0, sizeof(*zp));
	zv_memcpy(&zp->hdr, (const uint8_t *)img + HDR_OFF, end - HDR_OFF);
	set_header(&zp->hdr, b);
	set_ext(zp, b);
	zp->e820_entries = (uint8_t)b->e820_count;
	zv_memcpy(zp->e820_table, b->e820, b->e820_count * sizeof(b->e820[0]));
	return 0;
}

/* ---- memory map, GDT, page tables -------------------------------------------- */

uint32_t bzimage_e820_at(uint64_t ram_lo, uint64_t ram_hi, struct bzimage_e820_entry out[3])
{
	out[0] = (struct bzimage_e820_entry){0, BZIMAGE_LOW_RAM_END, BZ_E820_RAM};
	out[1] = (struct bzimage_e820_entry){BZIMAGE_LOW_RAM_END, MIB - BZIMAGE_LOW_RAM_END,
					     BZ_E820_RESERVED};
	out[2] = (struct bzimage_e820_entry){ram_lo, ram_hi - ram_lo, BZ_E820_RAM};
	return 3;
}

uint32_t bzimage_zone_e820(uint64_t mem_bytes, struct bzimage_e820_entry out[3])
{
	return bzimage_e820_at(MIB, mem_bytes, out);
}

/* Intel SDM vol.3 3.4.5: base 0, limit 0xFFFFF in 4 KiB units (G), present,
 * accessed already (so the CPU never writes the GDT); code is L=1 (64-bit). */
void bzimage_build_gdt(uint64_t gdt[BZIMAGE_GDT_ENTRIES])
{
	gdt[0] = 0;
	gdt[1] = 0;
	gdt[2] = 0x00AF9B000000FFFFull; /* __BOOT_CS: execute/read */
	gdt[3] = 0x00CF93000000FFFFull; /* __BOOT_DS: read/write */
}

#define ENTRIES 512 /* entries per table (SDM vol. 3A, 4.5) */

void bzimage_build_page_tables(uint64_t pml4_gpa, uint64_t *tables)
{
	uint64_t *pml4 = tables, *pdpt = tables + ENTRIES, *pd = tables + 2 * ENTRIES;

	zv_memset(tables, 0, BZIMAGE_PT_BYTES);
	pml4[0] = (pml4_gpa + PAGE) | PTE_P | PTE_RW;
	for (int g = 0; g < 4; g++)
		pdpt[g] = (pml4_gpa + (2 + g) * PAGE) | PTE_P | PTE_RW;
	for (uint64_t i = 0; i < 4 * ENTRIES; i++)
		pd[i] = (i << 21) | PTE_P | PTE_RW | PTE_PS;
}
