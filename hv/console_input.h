/* Keyboard input from the hypervisor console, handed to the zone that owns the console. */
#ifndef ZV_CONSOLE_INPUT_H
#define ZV_CONSOLE_INPUT_H

#include <stdbool.h>
#include <stdint.h>

/*
 * One producer, one consumer, no lock: the BSP polls the physical UART
 * (console_input_poll) and appends to a ring; the CPU of the zone that owns
 * the console takes bytes out (console_input_take) when its guest UART has
 * room.  So no CPU ever touches another CPU's zone to deliver a key.
 */

/* Reads what the physical UART holds into the ring; true if anything came. */
bool console_input_poll(void);
/* The next byte for the console zone, or -1. */
int console_input_take(void);
/* Drops whatever is queued (a new console zone starts with nothing). */
void console_input_reset(void);

#endif
