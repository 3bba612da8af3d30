/* Port dispatch for a zone's devices: COM1 UART and the debug-exit port. */
#include "zones/io.h"
#include "zones/zone.h"

struct port_range {
	uint16_t base, count;
	enum vexit_action (*read)(struct zone *z, uint16_t off, unsigned size, uint32_t *v);
	enum vexit_action (*write)(struct zone *z, uint16_t off, unsigned size, uint32_t v);
};

static enum vexit_action com1_read(struct zone *z, uint16_t off, unsigned size, uint32_t *v)
{
	(void)size;
	*v = uart_read(&z->uart, off);
	return VACT_RESUME;
}

static enum vexit_action com1_write(struct zone *z, uint16_t off, unsigned size, uint32_t v)
{
	(void)size;
	uart_write(&z->uart, off, (uint8_t)v, zone_console_line, z);
	return VACT_RESUME;
}

/* QEMU's isa-debug-exit: the run ends with status (value << 1) | 1. */
static enum vexit_action debug_exit_write(struct zone *z, uint16_t off, unsigned size, uint32_t v)
{
	(void)off;
	(void)size;
	uart_flush(&z->uart, zone_console_line, z);
	z->exit_status = (int)(((v & 0xff) << 1) | 1);
	return zone_stop(z, "exit status %d", z->exit_status);
}

static const struct port_range ports[] = {
	{UART_COM1, 8, com1_read, com1_write},
	{DEBUG_EXIT_PORT, 4, NULL, debug_exit_write},
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
	if (r && r->read)
		return r->read(z, (uint16_t)(port - r->base), size, value);
	return VACT_RESUME;
}

enum vexit_action zone_io_write(struct zone *z, uint16_t port, unsigned size, uint32_t value)
{
	const struct port_range *r = find(port, size);

	if (r && r->write)
		return r->write(z, (uint16_t)(port - r->base), size, value);
	return VACT_RESUME;
}
