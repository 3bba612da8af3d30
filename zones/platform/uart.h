/* The zone's virtual 8250/16550A UART on COM1: lines out to the hypervisor console, bytes in,
 * IRQ 4. */
#ifndef ZV_ZONE_UART_H
#define ZV_ZONE_UART_H

#include <stdbool.h>
#include <stdint.h>

#define UART_COM1     0x3f8
#define UART_COM1_IRQ 4 /* ISA IRQ, IOAPIC pin 4 (no interrupt source override) */
#define UART_LINE_MAX 160
#define UART_RX_FIFO  64 /* bytes buffered for the guest; a 16550A has 16, more is harmless */

/*
 * PC16550D register model.  Transmission is instantaneous (THR and the
 * shift register are always empty), so THRE is pending again right after
 * every THR write; the guest's driver sees a fast, well-behaved UART.
 * Interrupt identification follows the 16550 priority order: receiver line
 * status, received data, THR empty, modem status.  The IRQ line is gated by
 * MCR.OUT2 as on the PC.  MCR loopback (bit 4) is stored but not modelled.
 */
struct zone_uart {
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thre_pending; /* THRE interrupt latched (cleared by the IIR read that reports it) */
	bool overrun;	   /* LSR.OE: a byte arrived with the FIFO full (cleared by LSR read) */
	uint32_t rx_head, rx_count;
	uint8_t rx[UART_RX_FIFO];
	uint32_t len;
	char line[UART_LINE_MAX + 1];
};

/* Port access at offset 0..7 from COM1.  emit(ctx, line) is called per
 * complete line (or when the line buffer fills). */
typedef void (*uart_emit_fn)(void *ctx, const char *line);
uint32_t uart_read(struct zone_uart *u, unsigned offset);
void uart_write(struct zone_uart *u, unsigned offset, uint8_t value, uart_emit_fn emit, void *ctx);
/* Emits whatever is buffered (at zone stop). */
/* Whether a write at offset goes to the transmit register (DLAB clear). */
bool uart_is_data_write(const struct zone_uart *u, unsigned offset);
void uart_flush(struct zone_uart *u, uart_emit_fn emit, void *ctx);
/* Queues a byte for the guest to receive.  false (and LSR.OE latched) if the
 * FIFO is full. */
bool uart_receive(struct zone_uart *u, uint8_t byte);
/*
 * The level of the UART's interrupt output (to IOAPIC pin UART_COM1_IRQ),
 * without side effects: sample it after every access.  A THR write clears
 * and re-latches THRE within the call, so for THRE the line drops only at
 * the IIR read that reports it; the next THR write is then a rising edge.
 */
bool uart_irq_line(const struct zone_uart *u);

#endif
