/* CMOS RTC registers computed from the wall clock at each read (see zones/platform/rtc.h). */
#include "zones/platform/rtc.h"
#include "hv/lib/civil.h"

#define REG_A	    0x0a
#define REG_B	    0x0b
#define REG_C	    0x0c
#define REG_D	    0x0d
#define REG_CENTURY 0x32
#define A_DIVIDER   0x26 /* 32.768 kHz time base, 1024 Hz rate; UIP (bit 7) never set */
#define B_24H	    0x02 /* 24-hour mode, BCD (DM = 0), no interrupts */
#define D_VRT	    0x80 /* valid RAM and time: the battery is fine */

static uint8_t bcd(uint32_t v)
{
	return (uint8_t)(((v / 10) % 10) << 4 | (v % 10));
}

void rtc_write_index(struct zone_rtc *r, uint8_t value)
{
	r->index = value & 0x7f;
}

uint8_t rtc_read_data(const struct zone_rtc *r, uint64_t unix_now)
{
	struct civil_time t;

	civil_from_unix(unix_now, &t);
	switch (r->index) {
	case 0x00: return bcd(t.second);
	case 0x02: return bcd(t.minute);
	case 0x04: return bcd(t.hour);
	case 0x06: return bcd(t.weekday);
	case 0x07: return bcd(t.day);
	case 0x08: return bcd(t.month);
	case 0x09: return bcd(t.year % 100);
	case REG_CENTURY: return bcd(t.year / 100);
	case REG_A: return A_DIVIDER;
	case REG_B: return B_24H;
	case REG_D: return D_VRT;
	default: return 0; /* alarms, REG_C (no interrupt flags), CMOS RAM */
	}
}
