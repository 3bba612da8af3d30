/* The zone's MC146818 CMOS real-time clock: the host's wall clock, read only (pure). */
#ifndef ZV_ZONE_RTC_H
#define ZV_ZONE_RTC_H

#include <stdint.h>

#define RTC_INDEX_PORT 0x70
#define RTC_DATA_PORT  0x71

/*
 * Motorola MC146818A data sheet: registers 0-9 hold seconds, minutes,
 * hours, weekday, day, month, year (alarms 1, 3, 5 read 0); A-D are status;
 * 0x32 is the century (the PC/AT convention, ACPI FADT CENTURY).  The model
 * reports BCD, 24-hour mode, never "update in progress", and the time the
 * caller passes in (Unix seconds, UTC).  Writes to the time are ignored: a
 * zone cannot set the host's clock.  Other CMOS bytes read 0.
 */
struct zone_rtc {
	uint8_t index; /* last value written to port 0x70, NMI-mask bit dropped */
};

void rtc_write_index(struct zone_rtc *r, uint8_t value);
/* The data register for the selected index, at wall-clock time `unix_now`. */
uint8_t rtc_read_data(const struct zone_rtc *r, uint64_t unix_now);

#endif
