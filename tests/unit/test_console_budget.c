/* Unit tests of zones/console_budget.c: burst, rate, counting what is held back. */
#include "tests/unit/test.h"
#include "zones/console_budget.h"

/* Prints lines of len bytes at now_ms until one is refused; how many went out. */
static uint64_t print_until_held(struct console_budget *b, size_t len, uint64_t now_ms)
{
	uint64_t n = 0;

	while (console_budget_admit(b, len, now_ms))
		n++;
	return n;
}

TEST(a_burst_then_nothing_until_time_passes)
{
	struct console_budget b = {0};
	uint64_t lines, bytes;

	CHECK_EQ_U64(print_until_held(&b, 1023, 5000), CONSOLE_BUDGET_BURST / 1024);
	CHECK(!console_budget_admit(&b, 1023, 5000));
	CHECK(console_budget_take_held(&b, &lines, &bytes));
	CHECK_EQ_U64(lines, 2);
	CHECK_EQ_U64(bytes, 2 * 1024);
	CHECK(!console_budget_take_held(&b, &lines, &bytes)); /* reported once */
	CHECK_EQ_U64(lines, 0);
}

/* A zone that never stops: the burst, then a pause until half of it is
 * earned back, then that half; one report per pause, never more than the rate. */
TEST(the_rate_after_the_burst)
{
	struct console_budget b = {0};
	uint64_t printed = 0, reports = 0, lines, bytes;
	const uint64_t seconds = 120;

	printed += print_until_held(&b, 99, 0);
	for (uint64_t ms = 1; ms <= seconds * 1000; ms++) {
		bool out = console_budget_admit(&b, 99, ms);

		printed += out;
		reports += out && console_budget_take_held(&b, &lines, &bytes);
	}
	CHECK(printed * 100 <= CONSOLE_BUDGET_BURST + seconds * CONSOLE_BUDGET_RATE);
	CHECK(printed * 100 + CONSOLE_BUDGET_RESUME >= seconds * CONSOLE_BUDGET_RATE);
	/* one per 16 s pause: 7 in 120 s */
	CHECK_EQ_U64(reports, seconds * CONSOLE_BUDGET_RATE / CONSOLE_BUDGET_RESUME);
}

/* After the burst nothing, not even a short line, until RESUME bytes are earned. */
TEST(a_pause_after_the_burst)
{
	struct console_budget b = {0};
	uint64_t resume_ms = (uint64_t)CONSOLE_BUDGET_RESUME * 1000 / CONSOLE_BUDGET_RATE;

	print_until_held(&b, 1023, 0);
	CHECK(!console_budget_admit(&b, 0, 1000)); /* 4 KiB earned: not enough */
	CHECK(!console_budget_admit(&b, 0, resume_ms - 1));
	CHECK(console_budget_admit(&b, 1023, resume_ms));
	CHECK(console_budget_admit(&b, 0, resume_ms)); /* the pause is over */
}

TEST(the_bucket_holds_no_more_than_the_burst)
{
	struct console_budget b = {0};

	CHECK(console_budget_admit(&b, 0, 0));
	/* An hour of silence earns no more than one burst. */
	CHECK_EQ_U64(print_until_held(&b, 1023, 3600 * 1000), CONSOLE_BUDGET_BURST / 1024);
}

TEST(a_line_longer_than_the_burst_is_held_and_counted)
{
	struct console_budget b = {0};
	uint64_t lines, bytes;

	CHECK(!console_budget_admit(&b, CONSOLE_BUDGET_BURST, 0));
	CHECK(console_budget_admit(&b, 10, 0)); /* the budget is still there */
	CHECK(console_budget_take_held(&b, &lines, &bytes));
	CHECK_EQ_U64(lines, 1);
	CHECK_EQ_U64(bytes, CONSOLE_BUDGET_BURST + 1);
}

TEST(slow_ticks_still_earn_their_bytes)
{
	struct console_budget b = {0};
	uint64_t resume_ms = (uint64_t)CONSOLE_BUDGET_RESUME * 1000 / CONSOLE_BUDGET_RATE;

	print_until_held(&b, 0, 0);
	/* A millisecond earns 4.096 bytes: the fraction is kept, not lost on
	 * each call, so the pause ends with exactly RESUME bytes earned. */
	for (uint64_t ms = 1; ms <= resume_ms; ms++)
		console_budget_admit(&b, 1000000, ms); /* held: too long */
	CHECK_EQ_U64(print_until_held(&b, 0, resume_ms), CONSOLE_BUDGET_RESUME);
}

TEST(a_clock_going_back_earns_nothing)
{
	struct console_budget b = {0};

	print_until_held(&b, 0, 1000);
	CHECK(!console_budget_admit(&b, 0, 10));
	CHECK(!console_budget_admit(&b, 0, 1000));
}
