/* Time from the TSC, whose rate the loader measured. */
#ifndef ZV_TIME_H
#define ZV_TIME_H

#include <stdint.h>

void time_init(uint64_t tsc_khz);
uint64_t tsc_khz(void);
/* Busy-waits at least us microseconds. */
void udelay(uint64_t us);
/* Nanoseconds since time_init(). */
uint64_t time_ns(void);

/* The wall clock: UTC Unix seconds read by the loader at TSC `tsc`. */
void time_set_wallclock(uint64_t unix_time, uint64_t tsc);
/* UTC now, Unix seconds; 0 if the firmware gave no time. */
uint64_t time_wallclock(void);
/* UTC now, microseconds since 1970 (the audit log's times); 0 if the firmware gave no time. */
uint64_t time_wallclock_us(void);

#endif
