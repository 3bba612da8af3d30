/* A zone's console budget: a token bucket of bytes (pure; host-tested in test_console_budget.c). */
#include "zones/console_budget.h"

/* Tokens are kept in thousandths of a byte: a millisecond earns RATE of
 * them exactly, so no fraction is lost however often the zone prints. */
#define MILLI 1000u

static void refill(struct console_budget *b, uint64_t now_ms)
{
	uint64_t full = (uint64_t)CONSOLE_BUDGET_BURST * MILLI, earned;

	if (!b->started) {
		b->started = true;
		b->tokens = full;
		b->refilled_ms = now_ms;
		return;
	}
	if (now_ms <= b->refilled_ms)
		return;
	earned = now_ms - b->refilled_ms >= full / CONSOLE_BUDGET_RATE
			 ? full
			 : (now_ms - b->refilled_ms) * CONSOLE_BUDGET_RATE;
	b->tokens = full - b->tokens <= earned ? full : b->tokens + earned;
	b->refilled_ms = now_ms;
}

/* Whether a line costing cost bytes goes out now. */
static bool affordable(const struct console_budget *b, uint64_t cost)
{
	uint64_t bytes = b->tokens / MILLI;

	if (b->holding && bytes < CONSOLE_BUDGET_RESUME)
		return false; /* still in its pause */
	return cost <= bytes;
}

bool console_budget_admit(struct console_budget *b, size_t len, uint64_t now_ms)
{
	uint64_t cost = (uint64_t)len + 1; /* the newline */

	refill(b, now_ms);
	if (affordable(b, cost)) {
		b->tokens -= cost * MILLI;
		b->holding = false;
		return true;
	}
	b->holding = true;
	b->held_lines++;
	b->held_bytes += cost;
	return false;
}

bool console_budget_take_held(struct console_budget *b, uint64_t *lines, uint64_t *bytes)
{
	*lines = b->held_lines;
	*bytes = b->held_bytes;
	b->held_lines = 0;
	b->held_bytes = 0;
	return *lines != 0;
}
