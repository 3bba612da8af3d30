/* Days from 1970-01-01 and back, by the era method (400-year cycles of 146097 days). */
#include "hv/lib/civil.h"

#define SECS_PER_DAY 86400u
#define DAYS_PER_ERA 146097u /* 400 Gregorian years */
#define EPOCH_SHIFT  719468u /* days from 0000-03-01 to 1970-01-01 */

/* Years start on March 1 so the leap day is the last day of the year. */
static uint64_t days_from_civil(uint32_t y, uint32_t m, uint32_t d)
{
	uint32_t era, yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (uint64_t)era * DAYS_PER_ERA + doe - EPOCH_SHIFT;
}

uint64_t civil_to_unix(const struct civil_time *t)
{
	return days_from_civil(t->year, t->month, t->day) * SECS_PER_DAY + t->hour * 3600u +
	       t->minute * 60u + t->second;
}

void civil_from_unix(uint64_t s, struct civil_time *t)
{
	uint64_t days = s / SECS_PER_DAY, z = days + EPOCH_SHIFT;
	uint32_t secs = (uint32_t)(s % SECS_PER_DAY);
	uint32_t era = (uint32_t)(z / DAYS_PER_ERA),
		 doe = (uint32_t)(z - (uint64_t)era * DAYS_PER_ERA);
	uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;

	t->day = doy - (153 * mp + 2) / 5 + 1;
	t->month = mp < 10 ? mp + 3 : mp - 9;
	t->year = yoe + era * 400 + (t->month <= 2);
	t->hour = secs / 3600;
	t->minute = secs / 60 % 60;
	t->second = secs % 60;
	t->weekday = (uint32_t)((days + 4) % 7) + 1; /* 1970-01-01 was a Thursday */
}
