/* Unit tests of the Multiboot 1 loader (zones/load/multiboot.c), hostile images included. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "hv/elf.h"
#include "tests/unit/test.h"
#include "zones/load/multiboot.h"

#define MEM (16u << 20)

static uint8_t *guest;

static int write_guest(void *ctx, uint64_t gpa, const void *src, uint64_t len)
{
	(void)ctx;
	if (gpa > MEM || len > MEM - gpa)
		return -1;
	memcpy(guest + gpa, src, len);
	return 0;
}

/* An ELF32 with one PT_LOAD at 1 MiB, a Multiboot header, and code bytes. */
struct image {
	struct elf32_ehdr eh;
	struct elf32_phdr ph;
	uint32_t mb[3];
	uint8_t code[64];
};

static void make_image(struct image *im)
{
	memset(im, 0, sizeof(*im));
	im->eh.magic = ELF_MAGIC;
	im->eh.class = ELFCLASS32;
	im->eh.data = ELFDATA2LSB;
	im->eh.type = ET_EXEC;
	im->eh.machine = EM_386;
	im->eh.phoff = sizeof(im->eh);
	im->eh.phentsize = sizeof(im->ph);
	im->eh.phnum = 1;
	im->eh.entry = 0x100000 + offsetof(struct image, code);
	im->ph.type = PT_LOAD;
	im->ph.offset = 0;
	im->ph.paddr = 0x100000;
	im->ph.filesz = sizeof(*im);
	im->ph.memsz = sizeof(*im) + 4096; /* with bss */
	im->mb[0] = 0x1badb002;
	im->mb[1] = 2; /* memory info */
	im->mb[2] = (uint32_t) - (0x1badb002 + 2);
	memset(im->code, 0x90, sizeof(im->code));
}

static const char *load(const void *img, uint64_t size, struct multiboot_loaded *out)
{
	free(guest);
	guest = calloc(1, MEM);
	return multiboot_load(img, size, MEM, "a b c", write_guest, NULL, out);
}

TEST(valid_elf_loads_and_builds_info)
{
	struct image im;
	struct multiboot_loaded out;
	uint32_t info[13];

	make_image(&im);
	CHECK(load(&im, sizeof(im), &out) == NULL);
	CHECK_EQ_U64(out.entry, im.eh.entry);
	CHECK_EQ_U64(out.info, MULTIBOOT_INFO_GPA);
	CHECK(memcmp(guest + 0x100000, &im, sizeof(im)) == 0);
	memcpy(info, guest + out.info, sizeof(info));
	CHECK_EQ_U64(info[0], (1u << 0) | (1u << 2) | (1u << 6));
	CHECK_EQ_U64(info[2], (MEM - 0x100000) / 1024); /* mem_upper */
	CHECK_STR((char *)guest + info[4], "a b c");
	CHECK_EQ_U64(info[11], 48); /* two 24-byte map entries */
}

TEST(missing_header_refused)
{
	struct image im;
	struct multiboot_loaded out;

	make_image(&im);
	im.mb[0] = 0;
	CHECK(strstr(load(&im, sizeof(im), &out), "no Multiboot header") != NULL);
}

TEST(bad_checksum_refused)
{
	struct image im;
	struct multiboot_loaded out;

	make_image(&im);
	im.mb[2]++;
	CHECK(strstr(load(&im, sizeof(im), &out), "no Multiboot header") != NULL);
}

TEST(truncated_image_refused)
{
	struct image im;
	struct multiboot_loaded out;

	make_image(&im);
	CHECK(strstr(load(&im, sizeof(im) - 8, &out), "truncated") != NULL);
	CHECK(load(&im, 10, &out) != NULL);
	CHECK(load(&im, 0, &out) != NULL);
}

TEST(segment_outside_zone_refused)
{
	struct image im;
	struct multiboot_loaded out;

	make_image(&im);
	im.ph.paddr = MEM - 16;
	CHECK(strstr(load(&im, sizeof(im), &out), "does not fit") != NULL);
	im.ph.paddr = 0xfffff000; /* wraps */
	CHECK(load(&im, sizeof(im), &out) != NULL);
	im.ph.paddr = 0x1000; /* below 1 MiB: would overlap the info block */
	CHECK(load(&im, sizeof(im), &out) != NULL);
}

TEST(hostile_program_headers_refused)
{
	struct image im;
	struct multiboot_loaded out;

	make_image(&im);
	im.eh.phnum = 0xffff;
	CHECK(strstr(load(&im, sizeof(im), &out), "truncated") != NULL);
	make_image(&im);
	im.ph.filesz = im.ph.memsz + 1;
	CHECK(load(&im, sizeof(im), &out) != NULL);
	make_image(&im);
	im.ph.offset = 0xfffffff0;
	CHECK(load(&im, sizeof(im), &out) != NULL);
	make_image(&im);
	im.eh.entry = 0x50;
	CHECK(strstr(load(&im, sizeof(im), &out), "entry point") != NULL);
	make_image(&im);
	im.eh.class = ELFCLASS64;
	CHECK(load(&im, sizeof(im), &out) != NULL);
}

TEST(video_mode_requirement_refused)
{
	struct image im;
	struct multiboot_loaded out;

	make_image(&im);
	im.mb[1] = 4;
	im.mb[2] = (uint32_t) - (0x1badb002 + 4);
	CHECK(strstr(load(&im, sizeof(im), &out), "video") != NULL);
}

TEST(aout_kludge_flat_binary_loads)
{
	uint32_t img[64] = {0};
	struct multiboot_loaded out;

	img[0] = 0x1badb002;
	img[1] = (1u << 16) | 2;
	img[2] = (uint32_t) - (0x1badb002 + img[1]);
	img[3] = 0x200000; /* header_addr */
	img[4] = 0x200000; /* load_addr */
	img[5] = 0;	   /* load to end of file */
	img[6] = 0x201000; /* bss_end */
	img[7] = 0x200020; /* entry */
	CHECK(load(img, sizeof(img), &out) == NULL);
	CHECK_EQ_U64(out.entry, 0x200020);
	CHECK(memcmp(guest + 0x200000, img, sizeof(img)) == 0);
	img[7] = 0x300000; /* entry outside */
	CHECK(load(img, sizeof(img), &out) != NULL);
	img[7] = 0x200020;
	img[4] = 0x200100; /* load_addr above header_addr */
	CHECK(load(img, sizeof(img), &out) != NULL);
}

TEST(zone_too_small_refused)
{
	struct image im;
	struct multiboot_loaded out;

	make_image(&im);
	CHECK(multiboot_load(&im, sizeof(im), 1u << 20, "", write_guest, NULL, &out) != NULL);
}
