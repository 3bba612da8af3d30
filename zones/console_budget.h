/* A zone's share of the hypervisor console: a burst, then a rate, and what
 * went over it counted and reported in one line instead of printed. */
#ifndef ZV_CONSOLE_BUDGET_H
#define ZV_CONSOLE_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Pure C (host-tested).  A token bucket of bytes: a zone starts with
 * CONSOLE_BUDGET_BURST (a Linux boot log without `quiet`, about 60 KiB,
 * fits) and earns CONSOLE_BUDGET_RATE bytes a second after that, up to
 * the burst again.  The UART runs at 115200 baud, about 11 KiB/s
 * (8N1: 10 bits a byte), so no one zone can keep it busy.  Once a line
 * is held back, the zone stays quiet until it has earned
 * CONSOLE_BUDGET_RESUME bytes again (16 s at the rate): the line that says
 * how much was held comes once per such pause, not once per line.
 */
#define CONSOLE_BUDGET_BURST  (128u * 1024)
#define CONSOLE_BUDGET_RATE   4096u /* bytes per second */
#define CONSOLE_BUDGET_RESUME (CONSOLE_BUDGET_BURST / 2)

struct console_budget {
	bool started;
	bool holding;	      /* a line was held back; quiet until RESUME bytes are earned */
	uint64_t tokens;      /* thousandths of the bytes that may be printed now */
	uint64_t refilled_ms; /* when tokens were last earned */
	uint64_t held_lines;  /* lines not printed since the last report */
	uint64_t held_bytes;
};

/* Whether a line of len bytes may be printed at now_ms (a clock that never
 * goes back); if not, it is counted as held.  The first call fills the bucket. */
bool console_budget_admit(struct console_budget *b, size_t len, uint64_t now_ms);

/* The held lines and bytes not reported yet, and forgets them: false if none.
 * The caller prints one line with them (after an admitted line, or at the end). */
bool console_budget_take_held(struct console_budget *b, uint64_t *lines, uint64_t *bytes);

#endif
