/* Hypervisor console on COM1, serialised by one lock. */
#include <stdarg.h>
#include <stdbool.h>

#include "drivers/uart8250.h"
#include "hv/console.h"
#include "hv/cpu.h"
#include "hv/lib/fmt.h"
#include "hv/lib/string.h"
#include "hv/spinlock.h"

#define CONSOLE_PORT 0x3f8 /* COM1 */

#define RAW_LINE_MAX 256 /* the control zone's unfinished line kept for replay */

static struct spinlock console_lock;
static bool raw_mid_line; /* console_put_raw left a line unfinished */
static char raw_line[RAW_LINE_MAX];
static unsigned raw_len; /* bytes of that line, unless raw_overflow */
static bool raw_overflow;

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

static bool ends_line(const char *s)
{
	size_t n = zv_strlen(s);

	return n > 0 && s[n - 1] == '\n';
}

static void forget_raw_line(void)
{
	raw_len = 0;
	raw_overflow = false;
}

/* A hypervisor line that cut into the control zone's unfinished line (its
 * shell prompt and what was typed, a test's marker) is followed by that
 * line's bytes again, so the zone's line reads whole below it. */
static void replay_raw_line(void)
{
	for (unsigned i = 0; i < raw_len; i++)
		uart_putc(CONSOLE_PORT, raw_line[i]);
	raw_mid_line = raw_len > 0;
}

static void vprint(const char *fmt, va_list ap)
{
	char buf[512];
	bool cut;

	zv_vsnprintf(buf, sizeof(buf), fmt, ap);
	spin_lock(&console_lock);
	cut = raw_mid_line;
	if (cut) /* a hypervisor line never starts inside the control zone's */
		put_string("\n");
	raw_mid_line = false;
	put_string(buf);
	if (cut && !raw_overflow && ends_line(buf))
		replay_raw_line();
	else if (cut)
		forget_raw_line();
	spin_unlock(&console_lock);
}

void console_put_raw(char c)
{
	spin_lock(&console_lock);
	uart_putc(CONSOLE_PORT, c);
	raw_mid_line = c != '\n';
	if (!raw_mid_line)
		forget_raw_line();
	else if (raw_len < RAW_LINE_MAX)
		raw_line[raw_len++] = c;
	else
		raw_overflow = true;
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
