/* The zone's virtual 8250 UART on COM1: transmit side, lines into the hypervisor console. */
#ifndef ZV_ZONE_UART_H
#define ZV_ZONE_UART_H

#include <stdbool.h>
#include <stdint.h>

#define UART_COM1     0x3f8
#define UART_LINE_MAX 160

struct zone_uart {
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	uint32_t len;
	char line[UART_LINE_MAX + 1];
};

/* Port access at offset 0..7 from COM1.  emit(ctx, line) is called per
 * complete line (or when the line buffer fills). */
typedef void (*uart_emit_fn)(void *ctx, const char *line);
uint32_t uart_read(struct zone_uart *u, unsigned offset);
void uart_write(struct zone_uart *u, unsigned offset, uint8_t value, uart_emit_fn emit, void *ctx);
/* Emits whatever is buffered (at zone stop). */
void uart_flush(struct zone_uart *u, uart_emit_fn emit, void *ctx);

#endif
