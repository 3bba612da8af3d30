/* Hypervisor console on COM1, serialised by one lock. */
#include <stdarg.h>
#include <stdbool.h>

#include "drivers/uart8250.h"
#include "hv/console.h"
#include "hv/cpu.h"
#include "hv/lib/fmt.h"
#include "hv/spinlock.h"

#define CONSOLE_PORT 0x3f8 /* COM1 */

static struct spinlock console_lock;
static bool raw_mid_line; /* console_put_raw left a line unfinished */

void console_init(void)
{
	uart_init(CONSOLE_PORT);
}

static void put_string(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			uart_putc(CONSOLE_PORT, '\r');
		uart_putc(CONSOLE_PORT, *s);
	}
}

static void vprint(const char *fmt, va_list ap)
{
	char buf[512];

	zv_vsnprintf(buf, sizeof(buf), fmt, ap);
	spin_lock(&console_lock);
	if (raw_mid_line) /* a hypervisor line never starts inside the control zone's */
		put_string("\n");
	raw_mid_line = false;
	put_string(buf);
	spin_unlock(&console_lock);
}

void console_put_raw(char c)
{
	spin_lock(&console_lock);
	uart_putc(CONSOLE_PORT, c);
	raw_mid_line = c != '\n';
	spin_unlock(&console_lock);
}

void console_flush(void)
{
	uart_drain(CONSOLE_PORT);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
}

void panic(const char *fmt, ...)
{
	va_list ap;

	kprintf("zonevisor: panic: ");
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
	kprintf("\n");
	cpu_halt_forever();
}
