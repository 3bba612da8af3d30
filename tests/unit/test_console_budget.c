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

TEST(the_rate_after_the_burst)
{
	struct console_budget b = {0};
	uint64_t printed = 0;

	print_until_held(&b, 99, 0);
	/* Ten seconds of a zone printing 100-byte lines every millisecond. */
	for (uint64_t ms = 1; ms <= 10000; ms++)
		printed += console_budget_admit(&b, 99, ms);
	/* what the burst left (less than a line) plus ten seconds' worth */
	CHECK_EQ_U64(printed, (CONSOLE_BUDGET_BURST % 100 + 10 * CONSOLE_BUDGET_RATE) / 100);
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

	print_until_held(&b, 0, 0);
	/* Every 0.1 ms is no whole byte at a time at a low rate; the
	 * fraction is kept, not lost on each call. */
	for (uint64_t ms = 1; ms <= 1000; ms++)
		console_budget_admit(&b, 1000000, ms); /* held: too long */
	CHECK_EQ_U64(print_until_held(&b, 0, 1000), CONSOLE_BUDGET_RATE);
}

TEST(a_clock_going_back_earns_nothing)
{
	struct console_budget b = {0};

	print_until_held(&b, 0, 1000);
	CHECK(!console_budget_admit(&b, 0, 10));
	CHECK(!console_budget_admit(&b, 0, 1000));
}
