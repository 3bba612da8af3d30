/* Unit tests of hv/lib/civil.c (calendar arithmetic) and zones/platform/rtc.c (the CMOS clock). */
#include "hv/lib/civil.h"
#include "tests/unit/test.h"
#include "zones/platform/rtc.h"

/* Known instants: `date -u -d @N` on the host. */
static const struct {
	uint64_t unix_time;
	struct civil_time t;
} known[] = {
	{0, {1970, 1, 1, 0, 0, 0, 5}},		       /* a Thursday */
	{951782400, {2000, 2, 29, 0, 0, 0, 3}},	       /* leap day of a /400 year, Tuesday */
	{1709251199, {2024, 2, 29, 23, 59, 59, 5}},    /* Thursday */
	{1796189216, {2026, 12, 2, 5, 26, 56, 4}},     /* Wednesday */
	{4102444800, {2100, 1, 1, 0, 0, 0, 6}},	       /* 2100 is not a leap year; Friday */
	{253402300799, {9999, 12, 31, 23, 59, 59, 6}}, /* Friday */
};

TEST(civil_known_instants_both_ways)
{
	for (unsigned i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		struct civil_time t;

		civil_from_unix(known[i].unix_time, &t);
		CHECK_EQ_U64(t.year, known[i].t.year);
		CHECK_EQ_U64(t.month, known[i].t.month);
		CHECK_EQ_U64(t.day, known[i].t.day);
		CHECK_EQ_U64(t.hour, known[i].t.hour);
		CHECK_EQ_U64(t.minute, known[i].t.minute);
		CHECK_EQ_U64(t.second, known[i].t.second);
		CHECK_EQ_U64(t.weekday, known[i].t.weekday);
		CHECK_EQ_U64(civil_to_unix(&known[i].t), known[i].unix_time);
	}
}

TEST(civil_round_trips_every_day_for_four_centuries)
{
	for (uint64_t day = 0; day < 146097 + 365; day++) {
		struct civil_time t;
		uint64_t s = day * 86400 + 3723; /* 01:02:03 */

		civil_from_unix(s, &t);
		if (civil_to_unix(&t) != s || t.hour != 1 || t.minute != 2 || t.second != 3 ||
		    t.month < 1 || t.month > 12 || t.day < 1 || t.day > 31) {
			CHECK_EQ_U64(civil_to_unix(&t), s);
			return;
		}
	}
}

static uint8_t reg(struct zone_rtc *r, uint8_t index, uint64_t now)
{
	rtc_write_index(r, index);
	return rtc_read_data(r, now);
}

TEST(rtc_reports_bcd_24_hour_time)
{
	struct zone_rtc r = {0};
	uint64_t now = 1796189216; /* 2026-12-02 05:26:56, Wednesday */

	CHECK_EQ_U64(reg(&r, 0x00, now), 0x56);
	CHECK_EQ_U64(reg(&r, 0x02, now), 0x26);
	CHECK_EQ_U64(reg(&r, 0x04, now), 0x05);
	CHECK_EQ_U64(reg(&r, 0x06, now), 0x04);
	CHECK_EQ_U64(reg(&r, 0x07, now), 0x02);
	CHECK_EQ_U64(reg(&r, 0x08, now), 0x12);
	CHECK_EQ_U64(reg(&r, 0x09, now), 0x26);
	CHECK_EQ_U64(reg(&r, 0x32, now), 0x20);
	CHECK_EQ_U64(reg(&r, 0x04, now + 14 * 3600), 0x19); /* 24-hour mode */
}

TEST(rtc_status_registers_never_updating)
{
	struct zone_rtc r = {0};

	CHECK_EQ_U64(reg(&r, 0x0a, 0) & 0x80, 0); /* UIP clear */
	CHECK_EQ_U64(reg(&r, 0x0b, 0), 0x02);	  /* 24h, BCD, no interrupts */
	CHECK_EQ_U64(reg(&r, 0x0c, 0), 0);	  /* no interrupt flags */
	CHECK_EQ_U64(reg(&r, 0x0d, 0), 0x80);	  /* valid */
	CHECK_EQ_U64(reg(&r, 0x01, 0), 0);	  /* alarm */
	CHECK_EQ_U64(reg(&r, 0x40, 0), 0);	  /* CMOS RAM */
}

TEST(rtc_index_drops_the_nmi_mask_bit)
{
	struct zone_rtc r = {0};

	CHECK_EQ_U64(reg(&r, 0x80 | 0x09, 1796189216), 0x26);
	CHECK_EQ_U64(reg(&r, 0xff, 0), 0); /* index 0x7f: RAM */
}
