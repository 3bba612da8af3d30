/* hello: the smallest zone guest; proves console, Multiboot memory info and command line;
 * flood=N prints N lines of 100 bytes more (the console budget's test). */
#include "lib.h"

/* N numbered lines of 99 characters and a newline: 100 bytes each. */
static void flood(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		printf("flood %05u %s\n", i,
		       "................................................................"
		       ".......................");
}

int guest_main(uint32_t magic, const struct mb_info *info)
{
	if (magic != MULTIBOOT_BOOTLOADER_MAGIC) {
		printf("hello: bad magic 0x%x\n", magic);
		return 2;
	}
	printf("hello from zone\n");
	/* Nearest MiB: QEMU's BIOS keeps the top 128 KiB of RAM out of mem_upper. */
	printf("mem %u MiB\n", (uint32_t)((mb_mem_bytes(info) + MIB / 2) >> 20));
	printf("args: %s\n", mb_args(info));
	flood(arg_number(mb_args(info), "flood", 0));
	return 0;
}
