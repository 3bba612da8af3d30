/* Unit tests of zones/load/bzimage.c: synthetic bzImages and their corruptions, placement, zero
 * page. */
#include <glob.h>
#include <stdlib.h>

#include "tests/unit/test.h"
#include "zones/load/bzimage.h"

#define MIB	    (1ull << 20)
#define SETUP_SECTS 4
#define SETUP_SIZE  ((SETUP_SECTS + 1) * 512)
#define PM_SIZE	    4096
#define IMG_SIZE    (SETUP_SIZE + PM_SIZE)
#define VERSION_OFF 0x300 /* kernel_version field = VERSION_OFF - 0x200 */

/* ---- a synthetic protocol-2.15 bzImage ------------------------------------ */

static void put(uint8_t *img, size_t off, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		img[off + i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get(const uint8_t *p, size_t off, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = (v << 8) | p[off + n];
	return v;
}

/* Shaped like Debian's 6.1 kernel: relocatable, 2 MiB aligned, 64-bit, above 4G. */
static uint8_t *make_image(size_t size, uint32_t init_size)
{
	uint8_t *img = calloc(1, size);

	img[0x1F1] = SETUP_SECTS;
	put(img, 0x1F4, (size - SETUP_SIZE) / 16, 4); /* syssize */
	put(img, 0x1FA, 0xFFFF, 2);		      /* vid_mode: normal */
	put(img, 0x1FE, 0xAA55, 2);
	img[0x200] = 0xEB;
	img[0x201] = 0x6A; /* header ends at 0x26C */
	memcpy(img + 0x202, "HdrS", 4);
	put(img, 0x206, 0x020F, 2);
	put(img, 0x20E, VERSION_OFF - 0x200, 2);
	img[0x211] = 0x01; /* LOADED_HIGH */
	put(img, 0x214, 0x100000, 4);
	put(img, 0x22C, 0x7FFFFFFF, 4);
	put(img, 0x230, 0x200000, 4);
	img[0x234] = 1;
	img[0x235] = 21;
	put(img, 0x236, 0x3, 2); /* XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G */
	put(img, 0x238, 2047, 4);
	put(img, 0x258, 0x1000000, 8);
	put(img, 0x260, init_size, 4);
	strcpy((char *)img + VERSION_OFF, "6.1.0-test-amd64 (zonevisor@test) #1 SMP");
	for (size_t i = SETUP_SIZE; i < size; i++)
		img[i] = (uint8_t)i; /* the "kernel" */
	return img;
}

static const char *parse(const uint8_t *img, size_t size, struct bzimage_info *bi)
{
	return bzimage_parse(img, size, bi);
}

TEST(synthetic_image_parses)
{
	uint8_t *img = make_image(IMG_SIZE, 40 * MIB);
	struct bzimage_info bi;

	CHECK(parse(img, IMG_SIZE, &bi) == NULL);
	CHECK_EQ_U64(bi.protocol, 0x020F);
	CHECK_EQ_U64(bi.setup_size, SETUP_SIZE);
	CHECK_EQ_U64(bi.header_end, 0x26C);
	CHECK_EQ_U64(bi.kernel_size, PM_SIZE);
	CHECK_EQ_U64(bi.init_size, 40 * MIB);
	CHECK_EQ_U64(bi.kernel_alignment, 0x200000);
	CHECK(bi.relocatable);
	CHECK_EQ_U64(bi.min_alignment, 21);
	CHECK_EQ_U64(bi.pref_address, 0x1000000);
	CHECK_EQ_U64(bi.cmdline_size, 2047);
	CHECK_EQ_U64(bi.initrd_addr_max, 0x7FFFFFFF);
	CHECK_EQ_U64(bi.xloadflags, 3);
	CHECK_STR(bi.version, "6.1.0-test-amd64 (zonevisor@test) #1 SMP");
	CHECK_STR(bi.err, "");
	free(img);
}

TEST(setup_sects_zero_means_four)
{
	uint8_t *img = make_image(IMG_SIZE, 40 * MIB);
	struct bzimage_info bi;

	img[0x1F1] = 0;
	CHECK(parse(img, IMG_SIZE, &bi) == NULL);
	CHECK_EQ_U64(bi.setup_size, 5 * 512);
	free(img);
}

/* Parses img and expects exactly message want. */
static void expect_refusal(const uint8_t *img, size_t size, const char *want)
{
	struct bzimage_info bi;
	const char *got = parse(img, size, &bi);

	CHECK_STR(got, want);
	CHECK(got == NULL || got == bi.err);
	CHECK_EQ_U64(bi.protocol, 0); /* nothing but the message survives */
	CHECK_EQ_U64(bi.init_size, 0);
}

TEST(truncated_images_are_refused)
{
	uint8_t *img = make_image(IMG_SIZE, 40 * MIB);
	char want[128];

	expect_refusal(img, 0, "bzImage is truncated (0 bytes, need at least 1024)");
	expect_refusal(img, 512, "bzImage is truncated (512 bytes, need at least 1024)");
	expect_refusal(img, 1023, "bzImage is truncated (1023 bytes, need at least 1024)");
	expect_refusal(img, 1024, "bzImage is truncated (1024 bytes, setup needs 2560)");
	expect_refusal(img, 2559, "bzImage is truncated (2559 bytes, setup needs 2560)");
	expect_refusal(img, SETUP_SIZE,
		       "bzImage has no protected-mode kernel after its 2560-byte setup");
	snprintf(want, sizeof(want), "bzImage is truncated (%d bytes, setup and kernel need %d)",
		 SETUP_SIZE + 100, IMG_SIZE);
	expect_refusal(img, SETUP_SIZE + 100, want);
	expect_refusal(img, IMG_SIZE - 1,
		       "bzImage is truncated (6655 bytes, setup and kernel need 6656)");
	free(img);
}

TEST(every_truncation_is_refused_without_overreading)
{
	uint8_t *img = make_image(IMG_SIZE, 40 * MIB);

	for (size_t n = 0; n < IMG_SIZE; n++) {
		uint8_t *copy = malloc(n ? n : 1); /* exact size: ASan sees overreads */
		struct bzimage_info bi;

		memcpy(copy, img, n);
		if (parse(copy, n, &bi) == NULL) {
			CHECK(!"truncated image accepted");
			printf("  size %zu\n", n);
			free(copy);
			break;
		}
		free(copy);
	}
	free(img);
}

TEST(setup_sects_huge_is_truncation)
{
	uint8_t *img = make_image(IMG_SIZE, 40 * MIB);

	img[0x1F1] = 0xFF;
	expect_refusal(img, IMG_SIZE, "bzImage is truncated (6656 bytes, setup needs 131072)");
	free(img);
}

TEST(wrong_magic_is_refused)
{
	uint8_t *img = make_image(IMG_SIZE, 40 * MIB);

	img[0x202] = 'h';
	expect_refusal(img, IMG_SIZE, "not a bzImage (no HdrS magic)");
	img[0x202] = 'H';
	put(img, 0x1FE, 0, 2);
	expect_refusal(img, IMG_SIZE, "not a bzImage (no 0xAA55 boot flag at 0x1FE)");
	free(img);
}

TEST(old_protocols_are_refused)
{
	uint8_t *img = make_image(IMG_SIZE, 40 * MIB);

	put(img, 0x206, 0x020B, 2);
	expect_refusal(img, IMG_SIZE, "boot protocol 2.11 is too old (need 2.12)");
	put(img, 0x206, 0x0200, 2);
	expect_refusal(img, IMG_SIZE, "boot protocol 2.00 is too old (need 2.12)");
	put(img, 0x206, 0x020C, 2);
	CHECK(parse(img, IMG_SIZE, &(struct bzimage_info){0}) == NULL);
	free(img);
}

TEST(flags_the_64_bit_entry_needs)
{
	uint8_t *img = make_image(IMG_SIZE, 40 * MIB);

	put(img, 0x236, 0x2, 2);
	expect_refusal(img, IMG_SIZE, "kernel has no 64-bit entry point (XLF_KERNEL_64)");
	put(img, 0x236, 0x1, 2);
	img[0x211] = 0;
	expect_refusal(img, IMG_SIZE,
		       "kernel does not load at 1 MiB (LOADED_HIGH clear: a zImage)");
	free(img);
}

TEST(bad_fields_are_refused)
{
	uint8_t *img = make_image(IMG_SIZE, 40 * MIB);

	put(img, 0x260, 0, 4);
	expect_refusal(img, IMG_SIZE, "kernel's init_size is 0");
	put(img, 0x260, 40 * MIB, 4);
	put(img, 0x230, 0x300000, 4);
	expect_refusal(img, IMG_SIZE,
		       "kernel_alignment 0x300000 is not a power of two of 4 KiB or more");
	put(img, 0x230, 0x200000, 4);
	put(img, 0x258, 0x80000, 8);
	expect_refusal(img, IMG_SIZE, "pref_address 0x80000 is below 1 MiB");
	put(img, 0x258, 0x1000000, 8);
	img[0x201] = 0x20; /* header would end before init_size */
	expect_refusal(img, IMG_SIZE, "setup header ends at 0x222, outside 0x268-0xa00");
	free(img);
}

TEST(overflowing_syssize_is_truncation)
{
	uint8_t *img = make_image(IMG_SIZE, 40 * MIB);

	put(img, 0x1F4, 0xFFFFFFFF, 4);
	expect_refusal(img, IMG_SIZE,
		       "bzImage is truncated (6656 bytes, setup and kernel need 68719479280)");
	free(img);
}

TEST(version_string_is_bounded_and_printable)
{
	uint8_t *img = make_image(IMG_SIZE, 40 * MIB);
	struct bzimage_info bi;

	memset(img + VERSION_OFF, 'x', 200); /* no NUL within the buffer's length */
	img[VERSION_OFF + 1] = 0x07;
	CHECK(parse(img, IMG_SIZE, &bi) == NULL);
	CHECK_EQ_U64(strlen(bi.version), BZIMAGE_VERSION_LEN - 1);
	CHECK_EQ_U64(bi.version[1], '?');
	memset(img + SETUP_SIZE - 3, 'a', 3); /* no NUL before the kernel's bytes */
	put(img, 0x20E, SETUP_SIZE - 0x200 - 3, 2);
	CHECK(parse(img, IMG_SIZE, &bi) == NULL);
	CHECK_EQ_U64(strlen(bi.version), 3);
	put(img, 0x20E, 0, 2);
	CHECK(parse(img, IMG_SIZE, &bi) == NULL);
	CHECK_STR(bi.version, "");
	free(img);
}

/* ---- a real kernel, when the host has one -------------------------------- */

static uint8_t *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*size = (size_t)n;
	}
	fclose(f);
	return buf;
}

static void check_real_kernel(const char *path)
{
	size_t size = 0;
	uint8_t *img = read_file(path, &size);
	struct bzimage_info bi;
	struct bzimage_layout l;
	const char *e;

	if (!img)
		return; /* unreadable (not root): skip */
	e = parse(img, size, &bi);
	CHECK_STR(e ? e : "", "");
	if (!e) {
		printf("  %s: boot protocol %u.%02u, init_size %u MiB, \"%s\"\n", path,
		       bi.protocol >> 8, bi.protocol & 0xFF, bi.init_size >> 20, bi.version);
		CHECK(bi.protocol >= 0x020C);
		CHECK_EQ_U64(bzimage_plan(&bi, 128 * MIB, 20 * MIB, 100, &l), 0);
	}
	free(img);
}

/* /boot/vmlinuz-* (Debian), build/linux/vmlinuz (tools/fetch-kernel) or the
 * file in ZV_TEST_BZIMAGE; each one absent is skipped silently. */
TEST(real_kernel_parses_when_present)
{
	const char *env = getenv("ZV_TEST_BZIMAGE");
	glob_t g;

	memset(&g, 0, sizeof(g));
	if (env && *env)
		check_real_kernel(env);
	check_real_kernel("build/linux/vmlinuz");
	if (glob("/boot/vmlinuz-*", 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			check_real_kernel(g.gl_pathv[i]);
	}
	globfree(&g);
}

/* ---- placement ------------------------------------------------------------- */

static void parsed(uint32_t init_size, struct bzimage_info *bi)
{
	uint8_t *img = make_image(IMG_SIZE, init_size);

	CHECK(parse(img, IMG_SIZE, bi) == NULL);
	free(img);
}

struct region {
	const char *name;
	uint64_t start, size;
};

/* No two regions overlap and all lie below mem. */
static void check_disjoint(const struct region *r, int n, uint64_t mem)
{
	for (int i = 0; i < n; i++) {
		CHECK(r[i].start + r[i].size <= mem);
		for (int j = i + 1; j < n; j++) {
			if (r[i].size && r[j].size && r[i].start < r[j].start + r[j].size &&
			    r[j].start < r[i].start + r[i].size) {
				CHECK(!"regions overlap");
				printf("  %s and %s\n", r[i].name, r[j].name);
			}
		}
	}
}

static void check_layout(const struct bzimage_info *bi, const struct bzimage_layout *l,
			 uint64_t mem, size_t cmdline_len)
{
	const struct region r[] = {
		{"gdt", l->gdt_gpa, BZIMAGE_GDT_ENTRIES * 8},
		{"page tables", l->pml4_gpa, BZIMAGE_PT_BYTES},
		{"zero page", l->zero_page_gpa, BZIMAGE_ZERO_PAGE_SIZE},
		{"cmdline", l->cmdline_gpa, cmdline_len + 1},
		{"acpi", l->acpi_gpa, BZIMAGE_ACPI_SIZE},
		{"kernel", l->kernel_gpa, l->kernel_end - l->kernel_gpa},
		{"initrd", l->initrd_gpa, l->initrd_size},
	};

	check_disjoint(r, sizeof(r) / sizeof(r[0]), mem);
	CHECK(l->kernel_end - l->kernel_gpa >= bi->init_size);
	CHECK_EQ_U64(l->kernel_gpa % bi->kernel_alignment, 0);
	CHECK_EQ_U64(l->entry_gpa, l->kernel_gpa + 0x200);
	CHECK(l->cmdline_gpa + cmdline_len + 1 <= BZIMAGE_CMDLINE_GPA + BZIMAGE_CMDLINE_MAX);
	CHECK(l->acpi_gpa >= BZIMAGE_LOW_RAM_END && l->acpi_gpa + BZIMAGE_ACPI_SIZE <= MIB);
	if (l->initrd_size) {
		CHECK_EQ_U64(l->initrd_gpa % 4096, 0);
		CHECK(l->initrd_gpa >= l->kernel_end);
		CHECK(l->initrd_gpa + l->initrd_size - 1 <= bi->initrd_addr_max);
		CHECK(l->initrd_gpa + l->initrd_size <= mem);
	}
}

TEST(plan_128_mib_zone_with_20_mib_initramfs)
{
	struct bzimage_info bi;
	struct bzimage_layout l;

	parsed(40 * MIB, &bi);
	CHECK_EQ_U64(bzimage_plan(&bi, 128 * MIB, 20 * MIB, 200, &l), 0);
	CHECK_STR(l.err, "");
	CHECK_EQ_U64(l.kernel_gpa, 16 * MIB);
	CHECK_EQ_U64(l.kernel_end, 56 * MIB);
	CHECK_EQ_U64(l.initrd_gpa, 108 * MIB); /* as high as it goes */
	CHECK_EQ_U64(l.initrd_size, 20 * MIB);
	CHECK_EQ_U64(l.zero_page_gpa, BZIMAGE_ZERO_PAGE_GPA);
	check_layout(&bi, &l, 128 * MIB, 200);
}

TEST(plan_initrd_unaligned_size_and_no_initrd)
{
	struct bzimage_info bi;
	struct bzimage_layout l;

	parsed(40 * MIB, &bi);
	CHECK_EQ_U64(bzimage_plan(&bi, 128 * MIB, 12345, 0, &l), 0);
	CHECK_EQ_U64(l.initrd_gpa, (128 * MIB - 12345) & ~4095ull);
	check_layout(&bi, &l, 128 * MIB, 0);
	CHECK_EQ_U64(bzimage_plan(&bi, 128 * MIB, 0, 0, &l), 0);
	CHECK_EQ_U64(l.initrd_gpa, 0);
	CHECK_EQ_U64(l.initrd_size, 0);
	check_layout(&bi, &l, 128 * MIB, 0);
}

TEST(plan_initrd_stays_below_initrd_addr_max)
{
	struct bzimage_info bi;
	struct bzimage_layout l;

	parsed(40 * MIB, &bi);
	bi.initrd_addr_max = 100 * MIB - 1;
	CHECK_EQ_U64(bzimage_plan(&bi, 1024 * MIB, 20 * MIB, 10, &l), 0);
	CHECK_EQ_U64(l.initrd_gpa, 80 * MIB);
	check_layout(&bi, &l, 1024 * MIB, 10);
	bi.initrd_addr_max = 0xFFFFFFFF; /* a zone above 4 GiB: still inside the identity map */
	CHECK_EQ_U64(bzimage_plan(&bi, 8192 * MIB, 20 * MIB, 10, &l), 0);
	CHECK_EQ_U64(l.initrd_gpa, 4096 * MIB - 20 * MIB);
	check_layout(&bi, &l, 8192 * MIB, 10);
}

TEST(plan_refuses_a_kernel_bigger_than_the_zone)
{
	struct bzimage_info bi;
	struct bzimage_layout l;

	parsed(40 * MIB, &bi);
	CHECK_EQ_U64(bzimage_plan(&bi, 32 * MIB, 0, 0, &l), -1);
	CHECK_STR(l.err,
		  "kernel needs 56 MiB (40 MiB init_size at 16 MiB) but the zone has 32 MiB");
	CHECK_EQ_U64(l.kernel_gpa, 0);
	CHECK_EQ_U64(bzimage_plan(&bi, 56 * MIB, 0, 0, &l), 0); /* exactly enough */
	CHECK_EQ_U64(bzimage_plan(&bi, 56 * MIB - 4096, 0, 0, &l), -1);
	CHECK_EQ_U64(bzimage_plan(&bi, 8 * MIB, 0, 0, &l), -1);
	CHECK_STR(l.err, "kernel needs 56 MiB (40 MiB init_size at 16 MiB) but the zone has 8 MiB");
}

TEST(plan_refuses_an_initramfs_that_does_not_fit)
{
	struct bzimage_info bi;
	struct bzimage_layout l;

	parsed(40 * MIB, &bi);
	CHECK_EQ_U64(bzimage_plan(&bi, 64 * MIB, 9 * MIB, 0, &l), -1);
	CHECK_STR(l.err, "initramfs of 9 MiB does not fit (8 MiB free between the kernel's end at "
			 "56 MiB and 64 MiB)");
	CHECK_EQ_U64(bzimage_plan(&bi, 64 * MIB, 8 * MIB, 0, &l), 0);
	CHECK_EQ_U64(l.initrd_gpa, 56 * MIB);
	CHECK_EQ_U64(bzimage_plan(&bi, 64 * MIB, UINT64_MAX, 0, &l), -1);
	CHECK_EQ_U64(bzimage_plan(&bi, 64 * MIB, UINT64_MAX - 4000, 0, &l), -1);
	bi.initrd_addr_max = 50 * MIB; /* below the kernel's end */
	CHECK_EQ_U64(bzimage_plan(&bi, 64 * MIB, 1, 0, &l), -1);
}

TEST(plan_refuses_long_command_lines)
{
	struct bzimage_info bi;
	struct bzimage_layout l;

	parsed(40 * MIB, &bi);
	CHECK_EQ_U64(bzimage_plan(&bi, 128 * MIB, 0, 2047, &l), 0);
	CHECK_EQ_U64(bzimage_plan(&bi, 128 * MIB, 0, 2048, &l), -1);
	CHECK_STR(l.err, "command line of 2048 bytes is longer than the kernel's limit of 2047");
	bi.cmdline_size = 0xFFFFFFFF;
	CHECK_EQ_U64(bzimage_plan(&bi, 128 * MIB, 0, BZIMAGE_CMDLINE_MAX - 1, &l), 0);
	CHECK_EQ_U64(bzimage_plan(&bi, 128 * MIB, 0, BZIMAGE_CMDLINE_MAX, &l), -1);
	CHECK_STR(l.err, "command line of 28672 bytes does not fit the zone's 28672-byte buffer");
}

TEST(plan_overflowing_kernel_fields)
{
	struct bzimage_info bi;
	struct bzimage_layout l;

	parsed(40 * MIB, &bi);
	bi.pref_address = UINT64_MAX - 4096;
	CHECK_EQ_U64(bzimage_plan(&bi, 128 * MIB, 0, 0, &l), -1);
	bi.pref_address = 0xFFFFF000;
	bi.init_size = 0xFFFFFFFF;
	CHECK_EQ_U64(bzimage_plan(&bi, 8192 * MIB, 0, 0, &l), -1);
	bi.pref_address = 0x1000000;
	bi.relocatable = false;
	bi.init_size = 40 * MIB;
	CHECK_EQ_U64(bzimage_plan(&bi, 128 * MIB, 0, 0, &l), 0);
	CHECK_EQ_U64(l.kernel_gpa, 0x1000000);
	bi.pref_address = 0x1100000; /* not aligned: relocatable ones move up */
	bi.relocatable = true;
	CHECK_EQ_U64(bzimage_plan(&bi, 128 * MIB, 0, 0, &l), 0);
	CHECK_EQ_U64(l.kernel_gpa, 0x1200000);
}

/* ---- the zero page ------------------------------------------------------- */

TEST(zero_page_fields)
{
	uint8_t *img = make_image(IMG_SIZE, 40 * MIB);
	struct bzimage_boot_params *zp = malloc(sizeof(*zp));
	const uint8_t *z = (const uint8_t *)zp;
	struct bzimage_e820_entry map[3];
	struct bzimage_info bi;
	struct bzimage_layout l;
	struct bzimage_boot b;

	CHECK(parse(img, IMG_SIZE, &bi) == NULL);
	CHECK_EQ_U64(bzimage_plan(&bi, 128 * MIB, 20 * MIB, 30, &l), 0);
	b = (struct bzimage_boot){l.kernel_gpa,
				  l.cmdline_gpa,
				  l.initrd_gpa,
				  l.initrd_size,
				  0xE0040,
				  map,
				  bzimage_zone_e820(128 * MIB, map)};
	memset(zp, 0xCC, sizeof(*zp));
	CHECK_EQ_U64(bzimage_build_zero_page(&bi, img, &b, zp), 0);
	CHECK(memcmp(z + 0x1F1, img + 0x1F1, 0x210 - 0x1F1) == 0); /* header copied */
	CHECK(memcmp(z + 0x22C, img + 0x22C, 0x26C - 0x22C) == 0);
	CHECK_EQ_U64(z[0x210], 0xFF);		   /* type_of_loader */
	CHECK_EQ_U64(z[0x211], 0x81);		   /* LOADED_HIGH | CAN_USE_HEAP */
	CHECK_EQ_U64(get(z, 0x214, 4), 16 * MIB);  /* code32_start */
	CHECK_EQ_U64(get(z, 0x218, 4), 108 * MIB); /* ramdisk_image */
	CHECK_EQ_U64(get(z, 0x21C, 4), 20 * MIB);  /* ramdisk_size */
	CHECK_EQ_U64(get(z, 0x224, 2), 0xFE00);	   /* heap_end_ptr */
	CHECK_EQ_U64(get(z, 0x228, 4), BZIMAGE_CMDLINE_GPA);
	CHECK_EQ_U64(get(z, 0x070, 8), 0xE0040); /* acpi_rsdp_addr */
	CHECK_EQ_U64(get(z, 0x0C0, 4) | get(z, 0x0C4, 4) | get(z, 0x0C8, 4), 0);
	CHECK_EQ_U64(z[0x1E8], 3);
	CHECK_EQ_U64(get(z, 0x2D0, 8), 0);
	CHECK_EQ_U64(get(z, 0x2D0 + 8, 8), BZIMAGE_LOW_RAM_END);
	CHECK_EQ_U64(get(z, 0x2D0 + 16, 4), 1);
	CHECK_EQ_U64(get(z, 0x2D0 + 20 + 16, 4), 2);
	CHECK_EQ_U64(get(z, 0x2D0 + 40, 8), MIB);
	CHECK_EQ_U64(get(z, 0x2D0 + 48, 8), 127 * MIB);
	CHECK_EQ_U64(z[0x1EF], 0);					     /* sentinel */
	CHECK_EQ_U64(get(z, 0, 8) | get(z, 0x26C, 8) | get(z, 0xFF8, 8), 0); /* the rest zeroed */
	free(zp);
	free(img);
}

TEST(zero_page_high_addresses)
{
	uint8_t *img = make_image(IMG_SIZE, 40 * MIB);
	struct bzimage_boot_params *zp = malloc(sizeof(*zp));
	const uint8_t *z = (const uint8_t *)zp;
	struct bzimage_e820_entry map[BZIMAGE_E820_MAX + 1];
	struct bzimage_info bi;
	struct bzimage_boot b = {16 * MIB, 0x123456789ull, 0x200000000ull, 0x100000001ull, 0, map,
				 0};

	memset(map, 0, sizeof(map));
	CHECK(parse(img, IMG_SIZE, &bi) == NULL);
	CHECK_EQ_U64(bzimage_build_zero_page(&bi, img, &b, zp), 0);
	CHECK_EQ_U64(get(z, 0x228, 4), 0x23456789);
	CHECK_EQ_U64(get(z, 0x0C8, 4), 1);
	CHECK_EQ_U64(get(z, 0x218, 4), 0);
	CHECK_EQ_U64(get(z, 0x0C0, 4), 2);
	CHECK_EQ_U64(get(z, 0x21C, 4), 1);
	CHECK_EQ_U64(get(z, 0x0C4, 4), 1);
	b.e820_count = BZIMAGE_E820_MAX;
	CHECK_EQ_U64(bzimage_build_zero_page(&bi, img, &b, zp), 0);
	CHECK_EQ_U64(z[0x1E8], BZIMAGE_E820_MAX);
	b.e820_count = BZIMAGE_E820_MAX + 1;
	CHECK_EQ_U64(bzimage_build_zero_page(&bi, img, &b, zp), -1);
	b.e820_count = 0;
	bi.xloadflags &= (uint16_t)~BZ_XLF_CAN_BE_LOADED_ABOVE_4G; /* then all must be low */
	CHECK_EQ_U64(bzimage_build_zero_page(&bi, img, &b, zp), -1);
	b.cmdline_gpa = BZIMAGE_CMDLINE_GPA;
	CHECK_EQ_U64(bzimage_build_zero_page(&bi, img, &b, zp), -1);
	b.initrd_gpa = 100 * MIB;
	b.initrd_size = 20 * MIB;
	CHECK_EQ_U64(bzimage_build_zero_page(&bi, img, &b, zp), 0);
	free(zp);
	free(img);
}

/* ---- GDT and page tables ------------------------------------------------------ */

TEST(gdt_has_flat_boot_cs_and_ds)
{
	uint64_t gdt[BZIMAGE_GDT_ENTRIES];

	bzimage_build_gdt(gdt);
	CHECK_EQ_U64(gdt[0], 0);
	CHECK_EQ_U64((gdt[2] >> 40) & 0xFF, 0x9B); /* present, code, execute/read */
	CHECK_EQ_U64((gdt[2] >> 53) & 1, 1);	   /* L: 64-bit */
	CHECK_EQ_U64((gdt[2] >> 54) & 1, 0);	   /* D must be 0 with L */
	CHECK_EQ_U64((gdt[3] >> 40) & 0xFF, 0x93); /* present, data, read/write */
	CHECK_EQ_U64(gdt[3] & 0xFFFF, 0xFFFF);
	CHECK_EQ_U64((gdt[3] >> 48) & 0xF, 0xF); /* limit 19:16 */
	CHECK_EQ_U64((gdt[3] >> 55) & 1, 1);	 /* G */
}

/* Walks the tables as the MMU would (they lie at pml4_gpa in "guest memory"). */
static uint64_t translate(const uint64_t *t, uint64_t base, uint64_t va)
{
	uint64_t e = t[(va >> 39) & 511];

	if (!(e & 1))
		return UINT64_MAX;
	e = t[((e & ~0xFFFull) - base) / 8 + ((va >> 30) & 511)];
	if (!(e & 1))
		return UINT64_MAX;
	e = t[((e & ~0xFFFull) - base) / 8 + ((va >> 21) & 511)];
	if ((e & 0x83) != 0x83)
		return UINT64_MAX;
	return (e & ~0x1FFFFFull & ((1ull << 52) - 1)) | (va & 0x1FFFFF);
}

TEST(page_tables_identity_map_4_gib)
{
	uint64_t *t = malloc(BZIMAGE_PT_BYTES);

	bzimage_build_page_tables(BZIMAGE_PML4_GPA, t);
	for (uint64_t va = 0; va < (4ull << 30); va += 0x1FF000)
		if (translate(t, BZIMAGE_PML4_GPA, va) != va) {
			CHECK(!"not identity");
			printf("  va 0x%" PRIx64 "\n", va);
			break;
		}
	CHECK_EQ_U64(translate(t, BZIMAGE_PML4_GPA, 0xFFFFFFFF), 0xFFFFFFFF);
	CHECK_EQ_U64(translate(t, BZIMAGE_PML4_GPA, 4ull << 30), UINT64_MAX);
	CHECK_EQ_U64(t[0], BZIMAGE_PML4_GPA + 0x1000 + 3);
	free(t);
}

TEST(zone_e820_map)
{
	struct bzimage_e820_entry m[3];

	CHECK_EQ_U64(bzimage_zone_e820(256 * MIB, m), 3);
	CHECK_EQ_U64(m[0].addr, 0);
	CHECK_EQ_U64(m[0].size + m[1].size, MIB);
	CHECK_EQ_U64(m[1].type, BZ_E820_RESERVED);
	CHECK(m[1].addr <= BZIMAGE_ACPI_GPA &&
	      BZIMAGE_ACPI_GPA + BZIMAGE_ACPI_SIZE <= m[1].addr + m[1].size);
	CHECK(BZIMAGE_CMDLINE_GPA + BZIMAGE_CMDLINE_MAX <= m[0].size);
	CHECK_EQ_U64(m[2].addr + m[2].size, 256 * MIB);
}

/* The control zone: RAM is one identity-mapped block high in host memory. */
TEST(plan_at_places_everything_inside_the_block)
{
	struct bzimage_info bi;
	struct bzimage_layout l;
	struct bzimage_e820_entry m[3];

	parsed(40 * MIB, &bi);
	CHECK_EQ_U64(bzimage_plan_at(&bi, 512 * MIB, 1024 * MIB, 20 * MIB, 10, &l), 0);
	CHECK_EQ_U64(l.kernel_gpa, 512 * MIB);
	CHECK(l.initrd_gpa >= l.kernel_end && l.initrd_gpa + 20 * MIB <= 1024 * MIB);
	CHECK_EQ_U64(bzimage_plan_at(&bi, 512 * MIB, 560 * MIB, 20 * MIB, 10, &l), -1);
	CHECK_EQ_U64(bzimage_e820_at(512 * MIB, 1024 * MIB, m), 3);
	CHECK_EQ_U64(m[2].addr, 512 * MIB);
	CHECK_EQ_U64(m[2].size, 512 * MIB);
	CHECK_EQ_U64(m[2].type, BZ_E820_RAM);
}
