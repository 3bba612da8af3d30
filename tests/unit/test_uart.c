/* Unit tests of the virtual 16550A's receive side and interrupts (zones/platform/uart.c). */
#include <string.h>

#include "tests/unit/test.h"
#include "zones/platform/uart.h"

#define RBR	  0
#define IER	  1
#define IIR	  2
#define FCR	  2
#define LCR	  3
#define MCR	  4
#define LSR	  5
#define MSR	  6
#define ERBFI	  0x01
#define ETBEI	  0x02
#define ELSI	  0x04
#define OUT2	  0x08
#define IIR_NONE  0x01
#define IIR_THRE  0x02
#define IIR_RX	  0x04
#define IIR_LS	  0x06
#define IIR_FIFOS 0xc0

static int nlines;
static char last[UART_LINE_MAX + 1];

static void collect(void *ctx, const char *line)
{
	(void)ctx;
	nlines++;
	strcpy(last, line);
}

static void setup(struct zone_uart *u)
{
	memset(u, 0, sizeof(*u)); /* as zone_create leaves it */
	nlines = 0;
}

static void wr(struct zone_uart *u, unsigned off, uint8_t v)
{
	uart_write(u, off, v, collect, NULL);
}

TEST(uart_rx_fifo_order)
{
	struct zone_uart u;

	setup(&u);
	CHECK_EQ_U64(uart_read(&u, RBR), 0); /* empty reads 0 */
	/* wrap the ring more than once */
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < UART_RX_FIFO - 7; i++)
			CHECK(uart_receive(&u, (uint8_t)(round * 50 + i)));
		for (int i = 0; i < UART_RX_FIFO - 7; i++)
			CHECK_EQ_U64(uart_read(&u, RBR), (uint8_t)(round * 50 + i));
	}
	CHECK_EQ_U64(uart_read(&u, RBR), 0);
	CHECK_EQ_U64(nlines, 0);
}

TEST(uart_lsr_data_ready)
{
	struct zone_uart u;

	setup(&u);
	CHECK_EQ_U64(uart_read(&u, LSR), 0x60);
	uart_receive(&u, 'a');
	uart_receive(&u, 'b');
	CHECK_EQ_U64(uart_read(&u, LSR), 0x61);
	CHECK_EQ_U64(uart_read(&u, RBR), 'a');
	CHECK_EQ_U64(uart_read(&u, LSR), 0x61);
	CHECK_EQ_U64(uart_read(&u, RBR), 'b');
	CHECK_EQ_U64(uart_read(&u, LSR), 0x60);
	CHECK_EQ_U64(uart_read(&u, MSR), 0xb0);
}

TEST(uart_overflow_sets_oe_once)
{
	struct zone_uart u;

	setup(&u);
	for (int i = 0; i < UART_RX_FIFO; i++)
		CHECK(uart_receive(&u, (uint8_t)i));
	CHECK(!uart_receive(&u, 0xee));
	CHECK(!uart_receive(&u, 0xef));
	CHECK_EQ_U64(uart_read(&u, LSR), 0x63);
	CHECK_EQ_U64(uart_read(&u, LSR), 0x61); /* OE cleared by the read */
	for (int i = 0; i < UART_RX_FIFO; i++)
		CHECK_EQ_U64(uart_read(&u, RBR), (uint8_t)i); /* the FIFO kept the old bytes */
	CHECK_EQ_U64(uart_read(&u, LSR), 0x60);
}

TEST(uart_iir_priorities)
{
	struct zone_uart u;

	setup(&u);
	wr(&u, IER, ERBFI | ETBEI | ELSI);
	for (int i = 0; i <= UART_RX_FIFO; i++)
		uart_receive(&u, 'x');
	/* all three pending: line status, then data, then THRE */
	CHECK_EQ_U64(uart_read(&u, IIR), IIR_LS);
	CHECK_EQ_U64(uart_read(&u, IIR), IIR_LS); /* IIR read does not clear OE */
	uart_read(&u, LSR);
	CHECK_EQ_U64(uart_read(&u, IIR), IIR_RX);
	wr(&u, FCR, 0x02);
	CHECK_EQ_U64(uart_read(&u, IIR), IIR_THRE);
	CHECK_EQ_U64(uart_read(&u, IIR), IIR_NONE);
}

TEST(uart_iir_respects_ier)
{
	struct zone_uart u;

	setup(&u);
	for (int i = 0; i <= UART_RX_FIFO; i++)
		uart_receive(&u, 'x');
	CHECK_EQ_U64(uart_read(&u, IIR), IIR_NONE);
	wr(&u, IER, ERBFI);
	CHECK_EQ_U64(uart_read(&u, IIR), IIR_RX); /* no ELSI: OE not reported */
	wr(&u, IER, 0);
	CHECK_EQ_U64(uart_read(&u, IIR), IIR_NONE);
}

TEST(uart_thre_latch_on_ier_enable)
{
	struct zone_uart u;

	setup(&u);
	CHECK_EQ_U64(uart_read(&u, IIR), IIR_NONE); /* nothing pending after reset */
	wr(&u, IER, ETBEI);
	CHECK_EQ_U64(uart_read(&u, IIR), IIR_THRE);
	CHECK_EQ_U64(uart_read(&u, IIR), IIR_NONE); /* the read cleared it */
	wr(&u, IER, ETBEI);			    /* no 0->1 change: no latch */
	CHECK_EQ_U64(uart_read(&u, IIR), IIR_NONE);
	/* Linux's UART_BUG_THRE probe: IER=0 then ETBEI must re-assert THRE */
	wr(&u, IER, 0);
	wr(&u, IER, ETBEI);
	CHECK_EQ_U64(uart_read(&u, IIR), IIR_THRE);
}

TEST(uart_thre_after_thr_write)
{
	struct zone_uart u;

	setup(&u);
	wr(&u, IER, ETBEI);
	CHECK_EQ_U64(uart_read(&u, IIR), IIR_THRE);
	wr(&u, RBR, 'a');
	CHECK_EQ_U64(uart_read(&u, IIR), IIR_THRE);
	CHECK_EQ_U64(uart_read(&u, IIR), IIR_NONE);
	wr(&u, RBR, '\n');
	CHECK_STR(last, "a");
	/* with ETBEI off THRE is latched but not reported */
	wr(&u, IER, 0);
	wr(&u, RBR, 'b');
	CHECK_EQ_U64(uart_read(&u, IIR), IIR_NONE);
}

TEST(uart_iir_read_does_not_clear_thre_behind_rx)
{
	struct zone_uart u;

	setup(&u);
	wr(&u, IER, ERBFI | ETBEI);
	uart_receive(&u, 'q');
	CHECK_EQ_U64(uart_read(&u, IIR), IIR_RX);
	CHECK_EQ_U64(uart_read(&u, RBR), 'q');
	CHECK_EQ_U64(uart_read(&u, IIR), IIR_THRE); /* still latched */
	CHECK_EQ_U64(uart_read(&u, IIR), IIR_NONE);
}

TEST(uart_fifo_bits_in_iir)
{
	struct zone_uart u;

	setup(&u);
	wr(&u, FCR, 0x01);
	CHECK_EQ_U64(uart_read(&u, IIR), IIR_FIFOS | IIR_NONE);
	wr(&u, IER, ETBEI);
	CHECK_EQ_U64(uart_read(&u, IIR), IIR_FIFOS | IIR_THRE);
	CHECK_EQ_U64(uart_read(&u, IIR), IIR_FIFOS | IIR_NONE);
	wr(&u, FCR, 0xc7); /* trigger 14, clear both */
	CHECK_EQ_U64(u.fcr, 0xc1);
	wr(&u, FCR, 0x00);
	CHECK_EQ_U64(uart_read(&u, IIR), IIR_NONE);
}

TEST(uart_fcr_clears_rx)
{
	struct zone_uart u;

	setup(&u);
	wr(&u, FCR, 0x01);
	uart_receive(&u, '1');
	uart_receive(&u, '2');
	wr(&u, FCR, 0x05); /* clear TX only */
	CHECK_EQ_U64(uart_read(&u, LSR), 0x61);
	wr(&u, FCR, 0x03);
	CHECK_EQ_U64(uart_read(&u, LSR), 0x60);
	CHECK_EQ_U64(uart_read(&u, RBR), 0);
	uart_receive(&u, '3');
	CHECK_EQ_U64(uart_read(&u, RBR), '3');
	CHECK_EQ_U64(nlines, 0); /* FCR writes are not data */
}

TEST(uart_irq_line_gated_by_out2)
{
	struct zone_uart u;

	setup(&u);
	wr(&u, IER, ERBFI);
	uart_receive(&u, 'z');
	CHECK(!uart_irq_line(&u)); /* OUT2 off */
	wr(&u, MCR, 0x03);	   /* DTR, RTS */
	CHECK(!uart_irq_line(&u));
	wr(&u, MCR, 0x0b); /* + OUT2 */
	CHECK(uart_irq_line(&u));
	CHECK(uart_irq_line(&u)); /* sampling has no side effect */
	uart_read(&u, RBR);
	CHECK(!uart_irq_line(&u));
}

TEST(uart_irq_line_thre_edges)
{
	struct zone_uart u;

	setup(&u);
	wr(&u, MCR, OUT2);
	wr(&u, IER, ETBEI);
	CHECK(uart_irq_line(&u));
	CHECK(uart_irq_line(&u));
	CHECK_EQ_U64(uart_read(&u, IIR), IIR_THRE);
	CHECK(!uart_irq_line(&u)); /* the IIR read drops the line */
	wr(&u, RBR, 'k');
	CHECK(uart_irq_line(&u)); /* the THR write raises it: a new edge */
	wr(&u, IER, 0);
	CHECK(!uart_irq_line(&u));
}

TEST(uart_dlab_still_works)
{
	struct zone_uart u;

	setup(&u);
	uart_receive(&u, 'r');
	wr(&u, LCR, 0x83);
	wr(&u, RBR, 0x0c); /* 9600 baud */
	wr(&u, IER, 0x00);
	CHECK_EQ_U64(uart_read(&u, RBR), 0x0c); /* DLL, not the FIFO */
	CHECK_EQ_U64(uart_read(&u, IER), 0x00);
	CHECK_EQ_U64(nlines, 0);
	CHECK(!u.thre_pending); /* divisor writes do not touch THRE */
	wr(&u, LCR, 0x03);
	CHECK_EQ_U64(uart_read(&u, IER), 0);
	CHECK_EQ_U64(uart_read(&u, RBR), 'r');
	CHECK_EQ_U64(u.dll, 0x0c);
}
