/* Virtual 8250 (PC16550D register model), transmit and the registers drivers probe. */
#include "zones/uart.h"

#define REG_DATA	 0
#define REG_IER		 1
#define REG_IIR		 2
#define REG_LCR		 3
#define REG_MCR		 4
#define REG_LSR		 5
#define REG_MSR		 6
#define REG_SCR		 7
#define LCR_DLAB	 0x80
#define LSR_THRE_TEMT	 0x60 /* the transmitter is always empty */
#define IIR_NO_INTERRUPT 0x01
#define MSR_DCD_DSR_CTS	 0xb0

uint32_t uart_read(struct zone_uart *u, unsigned offset)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (offset) {
	case REG_DATA: return dlab ? u->dll : 0;
	case REG_IER: return dlab ? u->dlm : u->ier;
	case REG_IIR: return IIR_NO_INTERRUPT;
	case REG_LCR: return u->lcr;
	case REG_MCR: return u->mcr;
	case REG_LSR: return LSR_THRE_TEMT;
	case REG_MSR: return MSR_DCD_DSR_CTS;
	case REG_SCR: return u->scr;
	default: return 0xff;
	}
}

void uart_flush(struct zone_uart *u, uart_emit_fn emit, void *ctx)
{
	if (!u->len)
		return;
	u->line[u->len] = 0;
	emit(ctx, u->line);
	u->len = 0;
}

static void transmit(struct zone_uart *u, uint8_t c, uart_emit_fn emit, void *ctx)
{
	if (c == '\n') {
		u->line[u->len] = 0;
		emit(ctx, u->line);
		u->len = 0;
		return;
	}
	if (c == '\r')
		return;
	/* Non-printable bytes are shown as '.', so a zone cannot drive the
	 * operator's terminal with escape sequences. */
	u->line[u->len++] = (c >= 0x20 && c < 0x7f) || c == '\t' ? (char)c : '.';
	if (u->len == UART_LINE_MAX)
		uart_flush(u, emit, ctx);
}

void uart_write(struct zone_uart *u, unsigned offset, uint8_t value, uart_emit_fn emit, void *ctx)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (offset) {
	case REG_DATA:
		if (dlab)
			u->dll = value;
		else
			transmit(u, value, emit, ctx);
		break;
	case REG_IER:
		if (dlab)
			u->dlm = value;
		else
			u->ier = value & 0x0f;
		break;
	case REG_LCR: u->lcr = value; break;
	case REG_MCR: u->mcr = value & 0x1f; break;
	case REG_SCR: u->scr = value; break;
	default: break; /* FCR, LSR, MSR: writes have no visible effect here */
	}
}
