/* A zone's legacy PC devices (COM1, RTC, i8042, debug exit, ACPI ports, no PIT) and the control
 * zone's unassigned MMIO. */
#include "zones/platform/legacy.h"
#include "hv/console.h"
#include "hv/console_input.h"
#include "hv/lib/string.h"
#include "hv/mem.h"
#include "hv/time.h"
#include "zones/console_budget.h"
#include "zones/platform/acpi/tables.h"
#include "zones/platform/irq.h"
#include "zones/platform/rtc.h"
#include "zones/platform/uart.h"
#include "zones/zone.h"

/* What the legacy devices keep of a zone: a page of their own, registered
 * as the context of their ranges and wiped and freed by a destroy hook. */
struct legacy {
	struct zone *zone;
	struct spinlock uart_lock; /* vCPUs and console input share the UART */
	struct zone_uart uart;
	struct console_budget budget; /* its lines on the hypervisor console, under uart_lock */
	struct zone_rtc rtc;
	uint64_t hole_reports; /* control zone: unassigned MMIO logged (rate limit) */
};
_Static_assert(sizeof(struct legacy) <= 4096, "one page");

static enum io_result com1_read(void *ctx, struct vcpu *vc, uint64_t off, unsigned size,
				uint64_t *v);

/* z's legacy state: the context of its COM1 range (registered at creation,
 * there until zone_destroy). */
static struct legacy *legacy_of(struct zone *z)
{
	const struct io_range *r = io_map_find(&z->io, IO_PORT, UART_COM1, 1);

	return r && r->read == com1_read ? r->ctx : NULL;
}

/* The UART's interrupt output follows every access (IIR reads drop it,
 * THR writes raise it again: the edges the IOAPIC pin needs). */
static void com1_update_irq(struct legacy *l)
{
	zone_irq_set_line(l->zone, UART_COM1_IRQ, uart_irq_line(&l->uart));
}

static enum io_result com1_read(void *ctx, struct vcpu *vc, uint64_t off, unsigned size,
				uint64_t *v)
{
	struct legacy *l = ctx;

	(void)vc;
	(void)size;
	spin_lock(&l->uart_lock);
	*v = uart_read(&l->uart, off);
	com1_update_irq(l);
	spin_unlock(&l->uart_lock);
	return IO_DONE;
}

/* The control zone's console is the operator's terminal: bytes as they come. */
static void discard_line(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

/* One line for what the zone's console budget held back, if anything. */
static void report_held(struct legacy *l)
{
	uint64_t lines, bytes;

	if (console_budget_take_held(&l->budget, &lines, &bytes))
		kprintf("zone %s: %lu console lines (%lu bytes) over its budget of %u bytes/s "
			"not printed\n",
			l->zone->name, lines, bytes, CONSOLE_BUDGET_RATE);
}

/* A complete line from the UART: to the zone's sink, or within its console
 * budget to the hypervisor console, after the line that says how many were
 * held back before it. */
static void com1_line(void *ctx, const char *line)
{
	struct legacy *l = ctx;

	if (!l->zone->console_sink) {
		if (!console_budget_admit(&l->budget, zv_strlen(line), time_ns() / 1000000))
			return;
		report_held(l);
	}
	zone_console_line(l->zone, line);
}

static enum io_result com1_write(void *ctx, struct vcpu *vc, uint64_t off, unsigned size,
				 uint64_t v)
{
	struct legacy *l = ctx;
	bool raw = l->zone->console_raw;

	(void)vc;
	(void)size;
	spin_lock(&l->uart_lock);
	if (raw && uart_is_data_write(&l->uart, off))
		console_put_raw((char)v);
	uart_write(&l->uart, off, (uint8_t)v, raw ? discard_line : com1_line, l);
	com1_update_irq(l);
	spin_unlock(&l->uart_lock);
	return IO_DONE;
}

void zone_console_pull(struct zone *z)
{
	struct legacy *l;
	bool got = false;
	int c;

	if (!z->console_input)
		return;
	if (z->control)
		console_input_poll(); /* on the BSP, which owns the physical UART */
	l = legacy_of(z);
	spin_lock(&l->uart_lock);
	while (l->uart.rx_count < UART_RX_FIFO && (c = console_input_take()) >= 0)
		got |= uart_receive(&l->uart, (uint8_t)c);
	if (got)
		com1_update_irq(l);
	spin_unlock(&l->uart_lock);
}

void zone_console_flush(struct zone *z)
{
	struct legacy *l = legacy_of(z);

	spin_lock(&l->uart_lock);
	uart_flush(&l->uart, com1_line, l);
	spin_unlock(&l->uart_lock);
}

void zone_console_end(struct zone *z)
{
	zone_console_flush(z);
	report_held(legacy_of(z));
}

/* The exit port (at QEMU's isa-debug-exit address): the byte written is
 * the zone's exit status, as /init reports its command's.  Another vCPU
 * may be writing the UART at the same moment: the flush takes its lock. */
static enum io_result debug_exit_write(void *zone, struct vcpu *vc, uint64_t off, unsigned size,
				       uint64_t v)
{
	struct zone *z = zone;

	(void)vc;
	(void)off;
	(void)size;
	zone_console_flush(z);
	z->exit_status = (int)(v & 0xff);
	zone_stop(z, "exit status %d", z->exit_status);
	return IO_STOP;
}

/* i8042 (IBM PC/AT keyboard controller): only what reboot=k and Linux's
 * probe need.  Status 0x1c: system flag, command/data, unlocked, no data. */
#define I8042_DATA	  0x60
#define I8042_CMD	  0x64
#define I8042_STATUS_IDLE 0x1c
#define I8042_PULSE_RESET 0xfe

static enum io_result i8042_read(void *zone, struct vcpu *vc, uint64_t off, unsigned size,
				 uint64_t *v)
{
	(void)zone;
	(void)vc;
	(void)size;
	*v = off == I8042_CMD - I8042_DATA ? I8042_STATUS_IDLE : 0;
	return IO_DONE;
}

static enum io_result i8042_write(void *zone, struct vcpu *vc, uint64_t off, unsigned size,
				  uint64_t v)
{
	(void)vc;
	(void)size;
	if (off != I8042_CMD - I8042_DATA || (v & 0xff) != I8042_PULSE_RESET)
		return IO_DONE;
	zone_stop(zone, "reboot (i8042 reset)");
	return IO_STOP;
}

/* Registers that read 0: the ACPI hardware-reduced sleep control and reset
 * registers (zones/platform/acpi.h), and the absent PIT.  No PIT: its
 * registers read 0, not all-ones, so Linux's quick PIT calibration
 * (arch/x86/kernel/tsc.c) fails at its first read instead of reading port
 * 0x42 100,000 times (measured: 100,000 of 141,000 port exits of a quiet boot). */
static enum io_result zero_read(void *zone, struct vcpu *vc, uint64_t off, unsigned size,
				uint64_t *v)
{
	(void)zone;
	(void)vc;
	(void)off;
	(void)size;
	*v = 0;
	return IO_DONE;
}

static enum io_result acpi_write(void *zone, struct vcpu *vc, uint64_t off, unsigned size,
				 uint64_t v)
{
	uint16_t port = (uint16_t)(ZONE_ACPI_SLEEP_CTL_PORT + off);
	const char *why = NULL;

	(void)vc;
	(void)size;
	if (port == ZONE_ACPI_SLEEP_CTL_PORT && (v & ZONE_ACPI_SLP_EN) &&
	    ((v >> 2) & 7) == ZONE_ACPI_S5_SLP_TYP)
		why = "shutdown (ACPI S5)";
	if (port == ZONE_ACPI_RESET_PORT && (v & 0xff) == ZONE_ACPI_RESET_VALUE)
		why = "reboot (ACPI reset register)";
	if (!why)
		return IO_DONE;
	zone_stop(zone, "%s", why);
	return IO_STOP;
}

/* The CMOS clock (zones/platform/rtc.h): the host's UTC time, so a zone's clock is
 * right from boot (TLS certificates, file times); never "updating", so the
 * kernel's read does not wait for the update-in-progress bit. */
static enum io_result rtc_read(void *ctx, struct vcpu *vc, uint64_t off, unsigned size, uint64_t *v)
{
	struct legacy *l = ctx;

	(void)vc;
	(void)size;
	*v = off ? rtc_read_data(&l->rtc, time_wallclock()) : 0xff;
	return IO_DONE;
}

static enum io_result rtc_write(void *ctx, struct vcpu *vc, uint64_t off, unsigned size, uint64_t v)
{
	struct legacy *l = ctx;

	(void)vc;
	(void)size;
	if (off == 0)
		rtc_write_index(&l->rtc, (uint8_t)v);
	return IO_DONE; /* writes to the clock itself are ignored */
}

#define HOLE_REPORTS 8 /* lines per zone; the count goes on */

static void report_hole(struct legacy *l, uint64_t gpa, const char *what)
{
	if (l->hole_reports++ < HOLE_REPORTS)
		kprintf("zone %s: %s of 0x%lx outside its partition refused (reads all-ones)\n",
			l->zone->name, what, gpa);
}

static enum io_result hole_read(void *ctx, struct vcpu *vc, uint64_t gpa, unsigned size,
				uint64_t *v)
{
	(void)vc;
	(void)size;
	report_hole(ctx, gpa, "read");
	*v = ~0ull;
	return IO_DONE;
}

static enum io_result hole_write(void *ctx, struct vcpu *vc, uint64_t gpa, unsigned size,
				 uint64_t v)
{
	(void)vc;
	(void)size;
	(void)v;
	report_hole(ctx, gpa, "write");
	return IO_DONE;
}

static void legacy_free(void *ctx)
{
	zv_memset(ctx, 0, sizeof(struct legacy));
	page_free((uint64_t)ctx, 0);
}

/* The zone's legacy state, zeroed, freed with the zone; NULL out of memory. */
static struct legacy *legacy_alloc(struct zone *z)
{
	struct legacy *l = phys_to_virt(page_alloc(0));

	if (!l)
		return NULL;
	if (hook_list_add(&z->on_destroy, legacy_free, l) != 0) {
		page_free((uint64_t)l, 0);
		return NULL;
	}
	l->zone = z;
	return l;
}

int zone_io_attach(struct zone *z)
{
	struct legacy *l = legacy_alloc(z);
	const struct io_range ports[] = {
		{"pit", 0x40, 4, zero_read, NULL, z},		    /* 8254 PIT */
		{"rtc", RTC_INDEX_PORT, 2, rtc_read, rtc_write, l}, /* MC146818 CMOS RTC */
		{"i8042", I8042_DATA, 5, i8042_read, i8042_write, z},
		{"debug-exit", DEBUG_EXIT_PORT, 4, NULL, debug_exit_write, z},
		{"com1", UART_COM1, 8, com1_read, com1_write, l},
		{"acpi", ZONE_ACPI_SLEEP_CTL_PORT, 5, zero_read, acpi_write, z},
	};
	/* The control zone's root can point /dev/mem at any physical address, and
	 * what lies outside its partition (hypervisor, agent pool) is not in its
	 * nested page table.  Such an access ends like one to an address no device
	 * claims on a PC: reads return all-ones, writes are dropped.  An agent zone
	 * has no such tolerance: a stray access stops it (hv/exits.c). */
	const struct io_range hole = {"unassigned", 0, ~0ull, hole_read, hole_write, l};
	int rc = 0;

	if (!l)
		return -1;
	for (unsigned i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		rc |= io_map_add(&z->io, IO_PORT, &ports[i]);
	if (z->control)
		io_map_set_fallback(&z->io, IO_MMIO, &hole);
	return rc;
}
