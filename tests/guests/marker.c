/* marker: fills all free RAM with a marker pattern that scan.c looks for in other zones. */
#include "lib.h"

#define MARKER 0x5a4f4e454d41524bull /* "KRAMENOZ" in memory: "ZONEMARK" read as a u64 */

/* Fills [start, top) with MARKER; returns the bytes filled. */
static uint32_t fill(uint32_t start, uint32_t top)
{
	top &= ~7u;
	if (start >= top)
		return 0;
	for (uint32_t a = start; a < top; a += 8)
		*(volatile uint64_t *)(uintptr_t)a = MARKER;
	return top - start;
}

int guest_main(uint32_t magic, const struct mb_info *info)
{
	/* Everything from info first: the fill overwrites the info block and cmdline. */
	uint32_t hold = arg_number(mb_args(info), "hold", 0);
	uint32_t low_top = mb_low_top(info), top = mb_mem_top(info), filled;

	(void)magic;
	filled = fill(LOW_FREE_START, low_top) + fill(image_end(), top);
	printf("marker: filled %u MiB\n", filled >> 20);
	if (hold) {
		printf("marker: holding\n");
		for (uint32_t i = 0; i < hold; i++)
			compiler_barrier();
	}
	printf("marker: done\n");
	return 0;
}
