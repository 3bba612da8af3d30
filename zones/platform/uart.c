/* Virtual 8250/16550A (PC16550D register model): transmit, receive FIFO, interrupt identification.
 */
#include "zones/platform/uart.h"

/* PC16550D datasheet, Table II: register offsets and bits. */
#define REG_DATA	 0 /* RBR read, THR write; DLL with DLAB */
#define REG_IER		 1 /* DLM with DLAB */
#define REG_IIR		 2 /* IIR read, FCR write */
#define REG_LCR		 3
#define REG_MCR		 4
#define REG_LSR		 5
#define REG_MSR		 6
#define REG_SCR		 7
#define LCR_DLAB	 0x80
#define IER_ERBFI	 0x01 /* received data available */
#define IER_ETBEI	 0x02 /* THR empty */
#define IER_ELSI	 0x04 /* receiver line status */
#define IER_MASK	 0x0f /* EDSSI (0x08) is stored; the modem status never changes */
#define IIR_LINE_STATUS	 0x06
#define IIR_RX_DATA	 0x04
#define IIR_THRE	 0x02
#define IIR_NO_INTERRUPT 0x01
#define IIR_FIFOS_ON	 0xc0 /* bits 7:6 set while FCR0 is */
#define FCR_ENABLE	 0x01
#define FCR_CLEAR_RX	 0x02
#define FCR_STORED	 0xc9 /* trigger level, DMA mode, enable; bits 2:1 self-clear */
/* MCR bit 4 (loopback) is stored but not modelled: output never loops to input. */
#define MCR_MASK	0x1f
#define MCR_OUT2	0x08 /* gates the IRQ line on the PC */
#define LSR_DR		0x01
#define LSR_OE		0x02
#define LSR_THRE_TEMT	0x60 /* the transmitter is always empty */
#define MSR_DCD_DSR_CTS 0xb0

/* The highest-priority pending interrupt (PC16550D Table IV), without the
 * FIFO bits and without clearing anything. */
static uint8_t iir_pending(const struct zone_uart *u)
{
	if ((u->ier & IER_ELSI) && u->overrun)
		return IIR_LINE_STATUS;
	if ((u->ier & IER_ERBFI) && u->rx_count)
		return IIR_RX_DATA;
	if ((u->ier & IER_ETBEI) && u->thre_pending)
		return IIR_THRE;
	return IIR_NO_INTERRUPT;
}

/* Reading IIR while it reports THRE clears that interrupt (Table IV): with
 * an edge-triggered pin this read is where the IRQ line drops. */
static uint8_t iir_read(struct zone_uart *u)
{
	uint8_t iir = iir_pending(u);

	if (iir == IIR_THRE)
		u->thre_pending = false;
	return iir | ((u->fcr & FCR_ENABLE) ? IIR_FIFOS_ON : 0);
}

static uint8_t rx_pop(struct zone_uart *u)
{
	uint8_t c;

	if (!u->rx_count)
		return 0;
	c = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_RX_FIFO;
	u->rx_count--;
	return c;
}

/* OE is cleared by reading LSR (PC16550D, LSR bit 1). */
static uint8_t lsr_read(struct zone_uart *u)
{
	uint8_t lsr = LSR_THRE_TEMT | (u->rx_count ? LSR_DR : 0) | (u->overrun ? LSR_OE : 0);

	u->overrun = false;
	return lsr;
}

uint32_t uart_read(struct zone_uart *u, unsigned offset)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (offset) {
	case REG_DATA: return dlab ? u->dll : rx_pop(u);
	case REG_IER: return dlab ? u->dlm : u->ier;
	case REG_IIR: return iir_read(u);
	case REG_LCR: return u->lcr;
	case REG_MCR: return u->mcr;
	case REG_LSR: return lsr_read(u);
	case REG_MSR: return MSR_DCD_DSR_CTS;
	case REG_SCR: return u->scr;
	default: return 0xff;
	}
}

bool uart_receive(struct zone_uart *u, uint8_t byte)
{
	if (u->rx_count >= UART_RX_FIFO) {
		u->overrun = true;
		return false;
	}
	u->rx[(u->rx_head + u->rx_count) % UART_RX_FIFO] = byte;
	u->rx_count++;
	return true;
}

bool uart_irq_line(const struct zone_uart *u)
{
	return (u->mcr & MCR_OUT2) && iir_pending(u) != IIR_NO_INTERRUPT;
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

/* A THR write clears THRE and the byte leaves at once, so THRE is latched
 * again before the write returns. */
static void thr_write(struct zone_uart *u, uint8_t c, uart_emit_fn emit, void *ctx)
{
	u->thre_pending = false;
	transmit(u, c, emit, ctx);
	u->thre_pending = true;
}

/* Enabling ETBEI with THR empty raises THRE at once, as on a real 16550;
 * Linux's 8250 driver tests for it (UART_BUG_THRE in 8250_port.c). */
static void ier_write(struct zone_uart *u, uint8_t value)
{
	uint8_t ier = value & IER_MASK;

	if ((ier & IER_ETBEI) && !(u->ier & IER_ETBEI))
		u->thre_pending = true;
	u->ier = ier;
}

static void fcr_write(struct zone_uart *u, uint8_t value)
{
	if (value & FCR_CLEAR_RX) {
		u->rx_head = 0;
		u->rx_count = 0;
	}
	/* FCR_CLEAR_TX: the transmitter holds nothing */
	u->fcr = value & FCR_STORED;
}

bool uart_is_data_write(const struct zone_uart *u, unsigned offset)
{
	return offset == REG_DATA && !(u->lcr & LCR_DLAB);
}

void uart_write(struct zone_uart *u, unsigned offset, uint8_t value, uart_emit_fn emit, void *ctx)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (offset) {
	case REG_DATA:
		if (dlab)
			u->dll = value;
		else
			thr_write(u, value, emit, ctx);
		break;
	case REG_IER:
		if (dlab)
			u->dlm = value;
		else
			ier_write(u, value);
		break;
	case REG_IIR: fcr_write(u, value); break;
	case REG_LCR: u->lcr = value; break;
	case REG_MCR: u->mcr = value & MCR_MASK; break;
	case REG_SCR: u->scr = value; break;
	default: break; /* LSR, MSR: writes have no visible effect here */
	}
}
