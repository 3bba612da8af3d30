/* Polled 8250/16550 driver for the hypervisor console. */
#include "drivers/uart8250.h"
#include "hv/cpu.h"

/* PC16550D data sheet, register map (offsets from the base port). */
#define UART_THR	    0 /* transmit holding (DLAB=0) */
#define UART_DLL	    0 /* divisor latch low (DLAB=1) */
#define UART_IER	    1
#define UART_DLM	    1
#define UART_FCR	    2
#define UART_LCR	    3
#define UART_MCR	    4
#define UART_LSR	    5
#define LSR_DR		    0x01 /* receiver data ready */
#define UART_RBR	    0	 /* receive buffer (DLAB=0, read) */
#define LSR_THRE	    0x20
#define LSR_TEMT	    0x40 /* holding and shift registers both empty */
#define LCR_DLAB	    0x80
#define LCR_8N1		    0x03
#define BAUD_DIVISOR_115200 1 /* 1.8432 MHz / (16 * 115200) */

void uart_init(uint16_t port)
{
	outb(port + UART_IER, 0);
	outb(port + UART_LCR, LCR_DLAB);
	outb(port + UART_DLL, BAUD_DIVISOR_115200);
	outb(port + UART_DLM, 0);
	outb(port + UART_LCR, LCR_8N1);
	outb(port + UART_FCR, 0x07); /* enable and clear both FIFOs */
	outb(port + UART_MCR, 0x03); /* DTR, RTS */
}

void uart_putc(uint16_t port, char c)
{
	/* Bounded wait: a missing UART must not hang the hypervisor. */
	for (int spins = 0; spins < 100000 && !(inb(port + UART_LSR) & LSR_THRE); spins++)
		cpu_relax();
	outb(port + UART_THR, (uint8_t)c);
}

void uart_drain(uint16_t port)
{
	for (int spins = 0; spins < 1000000 && !(inb(port + UART_LSR) & LSR_TEMT); spins++)
		cpu_relax();
}

int uart_getc(uint16_t port)
{
	if (!(inb(port + UART_LSR) & LSR_DR))
		return -1;
	return inb(port + UART_RBR);
}
