/* spin: busy for loops=N iterations, so two zones can be seen running at the same time. */
#include "lib.h"

#define DEFAULT_LOOPS 50000000u

int guest_main(uint32_t magic, const struct mb_info *info)
{
	uint32_t loops = arg_number(mb_args(info), "loops", DEFAULT_LOOPS);

	(void)magic;
	printf("spin: start\n");
	for (uint32_t i = 0; i < loops; i++)
		compiler_barrier();
	printf("spin: done\n");
	return 0;
}
