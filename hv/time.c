/* TSC-based delays and timestamps. */
#include "hv/time.h"
#include "hv/cpu.h"

static uint64_t khz = 1000000; /* until time_init: assume 1 GHz */
static uint64_t tsc_origin;

void time_init(uint64_t k)
{
	if (k)
		khz = k;
	tsc_origin = rdtsc();
}

uint64_t tsc_khz(void)
{
	return khz;
}

void udelay(uint64_t us)
{
	uint64_t end = rdtsc() + us * khz / 1000;

	while (rdtsc() < end)
		cpu_relax();
}

uint64_t time_ns(void)
{
	uint64_t d = rdtsc() - tsc_origin;

	/* Split so nothing overflows 64 bits for centuries of uptime. */
	return d / khz * 1000000 + d % khz * 1000000 / khz;
}

static uint64_t wall_base, wall_tsc;

void time_set_wallclock(uint64_t unix_time, uint64_t tsc)
{
	wall_base = unix_time;
	wall_tsc = tsc;
}

uint64_t time_wallclock(void)
{
	if (!wall_base)
		return 0;
	return wall_base + (rdtsc() - wall_tsc) / (khz * 1000);
}

uint64_t time_wallclock_us(void)
{
	uint64_t d = rdtsc() - wall_tsc;

	if (!wall_base)
		return 0;
	/* khz ticks a millisecond; split as time_ns() does, so nothing overflows. */
	return wall_base * 1000000 + d / khz * 1000 + d % khz * 1000 / khz;
}
