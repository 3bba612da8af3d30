/* The machine's 8250/16550 UART, polled: the hypervisor's console. */
#ifndef ZV_UART8250_H
#define ZV_UART8250_H

#include <stdint.h>

/* Programs 115200 8N1, FIFOs on, interrupts off, at I/O base `port`. */
void uart_init(uint16_t port);
/* Sends one byte, waiting for the transmitter. */
void uart_putc(uint16_t port, char c);
/* The next received byte, or -1 if none is waiting (never blocks). */
int uart_getc(uint16_t port);
/* Waits (bounded) until the transmitter has sent every byte. */
void uart_drain(uint16_t port);

#endif
