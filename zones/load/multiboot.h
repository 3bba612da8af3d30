/* Loading a Multiboot 1 kernel (ELF32 or a.out-kludge flat binary) into zone memory (pure). */
#ifndef ZV_MULTIBOOT_H
#define ZV_MULTIBOOT_H

#include <stdint.h>

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002u
#define MULTIBOOT_INFO_GPA	   0x9000u /* info block, command line and map live here */

/* Writes len bytes at guest-physical gpa; 0, or -1 when outside the zone. */
typedef int (*guest_write_fn)(void *ctx, uint64_t gpa, const void *src, uint64_t len);

struct multiboot_loaded {
	uint32_t entry;	    /* EIP at entry */
	uint32_t info;	    /* EBX at entry: the Multiboot info block */
	uint32_t image_end; /* first byte after the loaded image and bss */
};

/*
 * Validates image (size bytes) as a Multiboot 1 kernel that fits a zone of
 * mem_bytes, copies it in through write, and builds the info block with the
 * memory size, map and cmdline.  Returns NULL on success, else a message
 * saying what is wrong with the image; nothing is started either way.
 */
const char *multiboot_load(const void *image, uint64_t size, uint64_t mem_bytes,
			   const char *cmdline, guest_write_fn write, void *ctx,
			   struct multiboot_loaded *out);

#endif
