/* Calendar arithmetic: Unix seconds <-> UTC date and time (proleptic Gregorian, pure). */
#ifndef ZV_CIVIL_H
#define ZV_CIVIL_H

#include <stdint.h>

struct civil_time {
	uint32_t year;		       /* e.g. 2026 */
	uint32_t month, day;	       /* 1-12, 1-31 */
	uint32_t hour, minute, second; /* 0-23, 0-59, 0-59 */
	uint32_t weekday;	       /* 1 = Sunday .. 7 = Saturday (MC146818 register 6) */
};

/* Seconds since 1970-01-01T00:00:00Z of a date at or after 1970; fields are
 * not range-checked beyond what the arithmetic needs (callers validate). */
uint64_t civil_to_unix(const struct civil_time *t);
/* The UTC date and time of Unix second s. */
void civil_from_unix(uint64_t s, struct civil_time *t);

#endif
