/* Port and MMIO dispatch for a zone's devices: COM1, debug exit, i8042, ACPI ports, IOAPIC, PCI. */
#include "zones/io.h"
#include "hv/console.h"
#include "hv/console_input.h"
#include "hv/time.h"
#include "zones/acpi_build.h"
#include "zones/control.h"
#include "zones/irq.h"
#include "zones/pci_pass.h"
#include "zones/zone.h"

struct port_range {
	uint16_t base, count;
	enum vexit_action (*read)(struct zone *z, uint16_t off, unsigned size, uint32_t *v);
	enum vexit_action (*write)(struct zone *z, uint16_t off, unsigned size, uint32_t v);
};

/* The UART's interrupt output follows every access (IIR reads drop it,
 * THR writes raise it again: the edges the IOAPIC pin needs). */
static void com1_update_irq(struct zone *z)
{
	zone_irq_set_line(z, UART_COM1_IRQ, uart_irq_line(&z->uart));
}

static enum vexit_action com1_read(struct zone *z, uint16_t off, unsigned size, uint32_t *v)
{
	(void)size;
	spin_lock(&z->uart_lock);
	*v = uart_read(&z->uart, off);
	com1_update_irq(z);
	spin_unlock(&z->uart_lock);
	return VACT_RESUME;
}

/* The control zone's console is the operator's terminal: bytes as they come. */
static void discard_line(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

static enum vexit_action com1_write(struct zone *z, uint16_t off, unsigned size, uint32_t v)
{
	(void)size;
	spin_lock(&z->uart_lock);
	if (z->console_raw && uart_is_data_write(&z->uart, off))
		console_put_raw((char)v);
	uart_write(&z->uart, off, (uint8_t)v, z->console_raw ? discard_line : zone_console_line, z);
	com1_update_irq(z);
	spin_unlock(&z->uart_lock);
	return VACT_RESUME;
}

void zone_console_pull(struct zone *z)
{
	bool got = false;
	int c;

	if (!z->console_input)
		return;
	if (z->control)
		console_input_poll(); /* on the BSP, which owns the physical UART */
	spin_lock(&z->uart_lock);
	while (z->uart.rx_count < UART_RX_FIFO && (c = console_input_take()) >= 0)
		got |= uart_receive(&z->uart, (uint8_t)c);
	if (got)
		com1_update_irq(z);
	spin_unlock(&z->uart_lock);
}

void zone_console_flush(struct zone *z)
{
	spin_lock(&z->uart_lock);
	uart_flush(&z->uart, zone_console_line, z);
	spin_unlock(&z->uart_lock);
}

/* The exit port (at QEMU's isa-debug-exit address): the byte written is
 * the zone's exit status, as /init reports its command's.  Another vCPU
 * may be writing the UART at the same moment: the flush takes its lock. */
static enum vexit_action debug_exit_write(struct zone *z, uint16_t off, unsigned size, uint32_t v)
{
	(void)off;
	(void)size;
	zone_console_flush(z);
	z->exit_status = (int)(v & 0xff);
	return zone_stop(z, "exit status %d", z->exit_status);
}

/* i8042 (IBM PC/AT keyboard controller): only what reboot=k and Linux's
 * probe need.  Status 0x1c: system flag, command/data, unlocked, no data. */
#define I8042_DATA	  0x60
#define I8042_CMD	  0x64
#define I8042_STATUS_IDLE 0x1c
#define I8042_PULSE_RESET 0xfe

static enum vexit_action i8042_read(struct zone *z, uint16_t off, unsigned size, uint32_t *v)
{
	(void)z;
	(void)size;
	*v = off == I8042_CMD - I8042_DATA ? I8042_STATUS_IDLE : 0;
	return VACT_RESUME;
}

static enum vexit_action i8042_write(struct zone *z, uint16_t off, unsigned size, uint32_t v)
{
	(void)size;
	if (off == I8042_CMD - I8042_DATA && (v & 0xff) == I8042_PULSE_RESET)
		return zone_stop(z, "reboot (i8042 reset)");
	return VACT_RESUME;
}

/* ACPI hardware-reduced sleep control and reset registers (zones/acpi_build.h). */
static enum vexit_action acpi_read(struct zone *z, uint16_t off, unsigned size, uint32_t *v)
{
	(void)z;
	(void)off;
	(void)size;
	*v = 0;
	return VACT_RESUME;
}

static enum vexit_action acpi_write(struct zone *z, uint16_t off, unsigned size, uint32_t v)
{
	uint16_t port = (uint16_t)(ZONE_ACPI_SLEEP_CTL_PORT + off);

	(void)size;
	if (port == ZONE_ACPI_SLEEP_CTL_PORT && (v & ZONE_ACPI_SLP_EN) &&
	    ((v >> 2) & 7) == ZONE_ACPI_S5_SLP_TYP)
		return zone_stop(z, "shutdown (ACPI S5)");
	if (port == ZONE_ACPI_RESET_PORT && (v & 0xff) == ZONE_ACPI_RESET_VALUE)
		return zone_stop(z, "reboot (ACPI reset register)");
	return VACT_RESUME;
}

/* No PIT: its registers read 0, not all-ones, so Linux's quick PIT
 * calibration (arch/x86/kernel/tsc.c) fails at its first read instead of
 * reading port 0x42 100,000 times (measured: 100,000 of 141,000 port exits
 * of a quiet boot). */
static enum vexit_action absent_timer_read(struct zone *z, uint16_t off, unsigned size, uint32_t *v)
{
	(void)z;
	(void)off;
	(void)size;
	*v = 0;
	return VACT_RESUME;
}

/* The CMOS clock (zones/rtc.h): the host's UTC time, so a zone's clock is
 * right from boot (TLS certificates, file times); never "updating", so the
 * kernel's read does not wait for the update-in-progress bit. */
static enum vexit_action rtc_read(struct zone *z, uint16_t off, unsigned size, uint32_t *v)
{
	(void)size;
	*v = off ? rtc_read_data(&z->rtc, time_wallclock()) : 0xff;
	return VACT_RESUME;
}

static enum vexit_action rtc_write(struct zone *z, uint16_t off, unsigned size, uint32_t v)
{
	(void)size;
	if (off == 0)
		rtc_write_index(&z->rtc, (uint8_t)v);
	return VACT_RESUME; /* writes to the clock itself are ignored */
}

static const struct port_range ports[] = {
	{0x40, 4, absent_timer_read, NULL},	  /* 8254 PIT */
	{RTC_INDEX_PORT, 2, rtc_read, rtc_write}, /* MC146818 CMOS RTC */
	{I8042_DATA, 5, i8042_read, i8042_write},
	{DEBUG_EXIT_PORT, 4, NULL, debug_exit_write},
	{UART_COM1, 8, com1_read, com1_write},
	{ZONE_ACPI_SLEEP_CTL_PORT, 5, acpi_read, acpi_write},
};

static const struct port_range *find(uint16_t port, unsigned size)
{
	for (unsigned i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		if (port >= ports[i].base && port + size <= ports[i].base + ports[i].count)
			return &ports[i];
	return NULL;
}

enum vexit_action zone_io_read(struct zone *z, uint16_t port, unsigned size, uint32_t *value)
{
	const struct port_range *r = find(port, size);

	*value = 0xffffffffu;
	if (z->control && control_port(port))
		return control_port_read(z, port, size, value);
	if (z->control && pci_pass_port(port, size))
		return pci_pass_port_read(z, port, size, value);
	if (r && r->read)
		return r->read(z, (uint16_t)(port - r->base), size, value);
	return VACT_RESUME;
}

enum vexit_action zone_io_write(struct zone *z, uint16_t port, unsigned size, uint32_t value)
{
	const struct port_range *r = find(port, size);

	if (z->control && control_port(port))
		return control_port_write(z, port, size, value);
	if (z->control && pci_pass_port(port, size))
		return pci_pass_port_write(z, port, size, value);
	if (r && r->write)
		return r->write(z, (uint16_t)(port - r->base), size, value);
	return VACT_RESUME;
}

#define HOLE_REPORTS 8 /* lines per zone; the count goes on */

static void report_hole(struct zone *z, uint64_t gpa, const char *what)
{
	if (z->hole_reports++ < HOLE_REPORTS)
		kprintf("zone %s: %s of 0x%lx outside its partition refused (reads all-ones)\n",
			z->name, what, gpa);
}

static uint64_t hole_read(void *ctx, uint64_t offset, unsigned size)
{
	(void)size;
	report_hole(ctx, offset, "read");
	return ~0ull;
}

static void hole_write(void *ctx, uint64_t offset, unsigned size, uint64_t value)
{
	(void)size;
	(void)value;
	report_hole(ctx, offset, "write");
}

/*
 * The control zone's root can point /dev/mem at any physical address, and
 * what lies outside its partition (hypervisor, agent pool) is not in its
 * nested page table.  Such an access ends like one to an address no device
 * claims on a PC: reads return all-ones, writes are dropped.  An agent zone
 * has no such tolerance: a stray access stops it (hv/exits.c).
 */
const struct mmio_device *zone_mmio_device(struct zone *z, uint64_t gpa)
{
	const struct mmio_device *d = &z->ioapic_window;

	if (d->size && gpa - d->base < d->size)
		return d;
	d = &z->nic_window;
	if (d->size && gpa - d->base < d->size)
		return d;
	if (!z->control)
		return NULL;
	z->hole = (struct mmio_device){"unassigned", 0, ~0ull, hole_read, hole_write, z};
	return &z->hole;
}
