/* The console input ring: BSP -> console zone (see hv/console_input.h). */
#include "hv/console_input.h"
#include "drivers/uart8250.h"

#define CONSOLE_PORT 0x3f8 /* COM1, as hv/console.c */
#define RING_SIZE    1024  /* a pasted line or two; more is dropped, like a full FIFO */

static uint8_t ring[RING_SIZE];
static volatile uint32_t head, tail; /* head: next write (BSP), tail: next read (zone CPU) */

bool console_input_poll(void)
{
	bool got = false;
	int c;

	while ((c = uart_getc(CONSOLE_PORT)) >= 0) {
		uint32_t h = head;

		got = true;
		if (h - __atomic_load_n(&tail, __ATOMIC_ACQUIRE) == RING_SIZE)
			continue; /* full: drop, as an overrun would */
		ring[h % RING_SIZE] = (uint8_t)c;
		__atomic_store_n(&head, h + 1, __ATOMIC_RELEASE);
	}
	return got;
}

int console_input_take(void)
{
	uint32_t t = tail;
	int c;

	if (t == __atomic_load_n(&head, __ATOMIC_ACQUIRE))
		return -1;
	c = ring[t % RING_SIZE];
	__atomic_store_n(&tail, t + 1, __ATOMIC_RELEASE);
	return c;
}

void console_input_reset(void)
{
	__atomic_store_n(&tail, __atomic_load_n(&head, __ATOMIC_ACQUIRE), __ATOMIC_RELEASE);
}
