/* libFuzzer target for the virtual platform a guest drives: x2APIC register
 * writes and reads, timer expiry, interrupt accept/ack, IOAPIC MMIO, lines
 * and EOIs, the UART.  Every byte is the guest's; ASan/UBSan and the
 * invariants below report what goes wrong. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zones/platform/uart.h"
#include "zones/platform/vioapic.h"
#include "zones/platform/vlapic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned messages;

static void count_message(void *ctx, const struct vioapic_msg *m)
{
	(void)ctx;
	if (m->pin >= VIOAPIC_PINS)
		abort();
	messages++;
}

static void ignore_line(void *ctx, const char *line)
{
	(void)ctx;
	if (strlen(line) > UART_LINE_MAX)
		abort();
}

#include "tests/fuzz/fuzz_cursor.h"

static void step_apic(struct vlapic *l, struct cursor *c, uint64_t now)
{
	struct vlapic_effects fx;
	uint64_t val;
	uint32_t msr =
		(take(c, 1) & 1) ? MSR_TSC_DEADLINE : VLAPIC_MSR_FIRST + (uint32_t)take(c, 1);

	if (take(c, 1) & 1) {
		vlapic_wrmsr(l, msr, take(c, 8), now, &fx);
		if (fx.eoi_vector > 255)
			abort();
	} else {
		vlapic_rdmsr(l, msr, now, &val);
	}
}

static void step_irq(struct vlapic *l, struct cursor *c, uint64_t now)
{
	int v;

	vlapic_accept(l, (uint8_t)take(c, 1), take(c, 1) & 1);
	vlapic_timer_expire(l, now);
	v = vlapic_pending(l);
	if (v > 255 || v < -1)
		abort();
	if (v >= 0 && (take(c, 1) & 1))
		vlapic_ack(l, (uint8_t)v);
}

static void step_ioapic(struct vioapic *io, struct cursor *c)
{
	switch (take(c, 1) % 4) {
	case 0:
		vioapic_mmio_write(io, take(c, 2), (unsigned)take(c, 1) % 9, (uint32_t)take(c, 4));
		break;
	case 1: vioapic_mmio_read(io, take(c, 2), (unsigned)take(c, 1) % 9); break;
	case 2: vioapic_set_line(io, (unsigned)take(c, 1), take(c, 1) & 1); break;
	default: vioapic_eoi(io, (uint8_t)take(c, 1)); break;
	}
}

static void step_uart(struct zone_uart *u, struct cursor *c)
{
	unsigned op = (unsigned)take(c, 1);

	if (op & 0x80)
		uart_receive(u, (uint8_t)take(c, 1));
	else if (op & 0x40)
		uart_read(u, op & 7);
	else
		uart_write(u, op & 7, (uint8_t)take(c, 1), ignore_line, NULL);
	uart_irq_line(u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vlapic l;
	static struct vioapic io;
	static struct zone_uart u;
	struct cursor c = {data, size};
	uint64_t now = 1000;

	vlapic_reset(&l, 0);
	vioapic_reset(&io, 4, count_message, NULL);
	memset(&u, 0, sizeof(u));
	while (c.left) {
		now += take(&c, 2);
		switch (take(&c, 1) % 4) {
		case 0: step_apic(&l, &c, now); break;
		case 1: step_irq(&l, &c, now); break;
		case 2: step_ioapic(&io, &c); break;
		default: step_uart(&u, &c); break;
		}
	}
	return 0;
}
