/* triple: an exception with an empty IDT, so the CPU triple-faults (SDM vol.3 6.15, #DF). */
#include "lib.h"

int guest_main(uint32_t magic, const struct mb_info *info)
{
	(void)magic;
	(void)info;
	printf("triple: faulting\n");
	idt_load_empty();
	__asm__ volatile("int3");
	printf("triple: still running\n");
	return 1;
}
