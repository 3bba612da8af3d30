/* PCI passthrough to the control zone (policy in zones/pci/filter.c, hardware in drivers/pci.c). */
#include "zones/pci/pass.h"
#include "drivers/pci.h"
#include "hv/console.h"
#include "hv/cpu.h"
#include "hv/idt.h"
#include "hv/percpu.h"
#include "hv/vectors.h"
#include "zones/pci/filter.h"
#include "zones/platform/acpi/tables.h"
#include "zones/platform/irq.h"
#include "zones/zone.h"

#define CF8_PORT	0xcf8
#define CFC_PORT	0xcfc
#define PAGE		4096ull
#define REFUSAL_REPORTS 8
#define STRAY_REPORTS	8

/* The control zone taking device interrupts; set only while it runs. */
static struct zone *volatile irq_zone;
static uint64_t stray_irqs;
/* The control zone's view of each function's BARs (pci_funcs order); only
 * its vCPU 0 touches config space.  Cleared when it attaches. */
static struct pci_view views[PCI_MAX_FUNCS];
static uint32_t bar_restores;
/* The control zone's CONFIG_ADDRESS and its refused config writes so far;
 * cleared when it attaches (one control zone at a time). */
static uint32_t config_address, refusals;

static const char *const access_names[] = {"hidden", "read-only", "passed to the control zone"};

static void reserve_vectors(void);

void pci_pass_scan(void)
{
	unsigned n;
	struct pci_func *f = pci_scan(&n);

	for (unsigned i = 0; i < n; i++)
		f[i].access = pci_access_for(f[i].class_code, f[i].header_type);
	pci_show_function_zero(f, n);
	reserve_vectors();
	for (unsigned i = 0; i < n; i++)
		kprintf("pci: 00:%02x.%u %04x:%04x class %06x: %s\n", f[i].dev, f[i].fn,
			f[i].vendor, f[i].device, f[i].class_code, access_names[f[i].access]);
}

static struct pci_view *view_of(const struct pci_func *f)
{
	unsigned n;

	return &views[f - pci_funcs(&n)];
}

static const struct pci_func *find_func(uint8_t bus, uint8_t dev, uint8_t fn)
{
	unsigned n;
	const struct pci_func *f = pci_funcs(&n);

	for (unsigned i = 0; i < n; i++)
		if (f[i].bus == bus && f[i].dev == dev && f[i].fn == fn)
			return &f[i];
	return NULL;
}

/* ---- the nested page table ---------------------------------------------- */

/* Whether some function decodes memory in [lo, hi): any function, or only
 * those the zone does not get. */
static bool decoded(uint64_t lo, uint64_t hi, bool hidden_only)
{
	unsigned n;
	const struct pci_func *f = pci_funcs(&n);

	for (unsigned i = 0; i < n; i++) {
		if (hidden_only && f[i].access == PCI_PASSED)
			continue;
		for (unsigned b = 0; b < PCI_BARS; b++) {
			const struct pci_bar *r = &f[i].bar[b];

			if (r->size && !r->io && r->base < hi && lo < r->base + r->size)
				return true;
		}
	}
	return false;
}

bool pci_pass_decodes(uint64_t lo, uint64_t hi)
{
	return decoded(lo, hi, false);
}

static int map_bar(struct zone *z, const struct pci_func *f, unsigned b)
{
	const struct pci_bar *r = &f->bar[b];
	uint64_t lo = r->base & ~(PAGE - 1), hi = (r->base + r->size + PAGE - 1) & ~(PAGE - 1);
	int rc;

	if (decoded(lo, hi, true)) {
		kprintf("zone %s: 00:%02x.%u BAR%u at 0x%lx shares a page with a hidden device; "
			"not mapped\n",
			z->name, f->dev, f->fn, b, r->base);
		return 0;
	}
	rc = npt_map(&z->npt, lo, lo, hi - lo, NPT_R | NPT_W | NPT_DEV);
	if (rc == -1) /* two BARs in one page: already mapped with the first */
		return 0;
	kprintf("zone %s: 00:%02x.%u BAR%u mapped at 0x%lx (%lu KiB)\n", z->name, f->dev, f->fn, b,
		lo, (hi - lo) / 1024);
	return rc;
}

static int register_ports(struct zone *z);

int pci_pass_attach(struct zone *z)
{
	unsigned n;
	const struct pci_func *f = pci_funcs(&n);

	if (register_ports(z) != 0)
		return -1;
	config_address = refusals = 0;
	for (unsigned i = 0; i < n; i++) {
		views[i] = (struct pci_view){0};
		if (f[i].access != PCI_PASSED)
			continue;
		for (unsigned b = 0; b < PCI_BARS; b++)
			if (f[i].bar[b].size && !f[i].bar[b].io && map_bar(z, &f[i], b) != 0)
				return -1;
	}
	irq_zone = z;
	return 0;
}

/* The zone's memory is wiped and back in the pool next: a passed device that
 * still masters the bus would DMA into pages that are someone else's by then. */
static void stop_bus_mastering(void)
{
	unsigned n;
	const struct pci_func *f = pci_funcs(&n);

	for (unsigned i = 0; i < n; i++) {
		uint32_t cmd;

		if (f[i].access != PCI_PASSED)
			continue;
		cmd = pci_cfg_read(f[i].bus, f[i].dev, f[i].fn, PCI_REG_COMMAND, 2);
		if (!(cmd & PCI_CMD_MASTER))
			continue;
		pci_cfg_write(f[i].bus, f[i].dev, f[i].fn, PCI_REG_COMMAND, 2,
			      cmd & ~PCI_CMD_MASTER);
		kprintf("pci: %02x:%02x.%x: bus mastering stopped before the wipe\n", f[i].bus,
			f[i].dev, f[i].fn);
	}
}

void pci_pass_acpi(struct zone_acpi_config *c)
{
	unsigned n;
	const struct pci_func *f = pci_funcs(&n);

	c->pci_root = true;
	for (unsigned i = 0; i < n; i++) {
		for (unsigned b = 0; b < PCI_BARS && f[i].access == PCI_PASSED; b++) {
			const struct pci_bar *r = &f[i].bar[b];

			if (!r->size || c->pci_window_count == ZONE_ACPI_MAX_PCI_WINDOWS)
				continue;
			c->pci_windows[c->pci_window_count++] =
				(struct zone_acpi_pci_window){r->base, r->size, r->io};
		}
	}
}

/* ---- ports: config mechanism #1 and I/O BARs ------------------------------ */

/* The function and register the zone's CONFIG_ADDRESS selects, if visible. */
static const struct pci_func *selected(uint16_t port, unsigned size, unsigned *reg)
{
	uint8_t bus, dev, fn;
	const struct pci_func *f;

	if (port < CFC_PORT ||
	    !pci_cf8_decode(config_address, port - CFC_PORT, size, &bus, &dev, &fn, reg))
		return NULL;
	f = find_func(bus, dev, fn);
	return f && f->access != PCI_HIDDEN ? f : NULL;
}

/* Config mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2): ports 0xcf8-0xcff. */
static enum io_result config_read(void *zone, struct vcpu *vc, uint64_t off, unsigned size,
				  uint64_t *v)
{
	uint16_t port = (uint16_t)(CF8_PORT + off);
	const struct pci_func *f;
	unsigned reg;

	(void)zone;
	(void)vc;
	if (port >= CF8_PORT && port < CFC_PORT) {
		/* Only a 32-bit access reaches CONFIG_ADDRESS (3.2.2.3.2). */
		*v = port == CF8_PORT && size == 4 ? config_address : 0xffffffffu;
		return IO_DONE;
	}
	f = selected(port, size, &reg);
	*v = f ? pci_read_filter(f, view_of(f), reg, size,
				 pci_cfg_read(f->bus, f->dev, f->fn, reg, size))
	       : 0xffffffffu;
	return IO_DONE;
}

static void refuse_write(struct zone *z, const struct pci_func *f, unsigned reg, uint32_t v,
			 const char *why)
{
	if (refusals++ < REFUSAL_REPORTS)
		kprintf("zone %s: PCI config write 0x%x to 00:%02x.%u offset 0x%x refused (%s)\n",
			z->name, v, f->dev, f->fn, reg, why);
}

static uint32_t func_read(void *ctx, unsigned reg, unsigned size)
{
	const struct pci_func *f = ctx;

	return pci_cfg_read(f->bus, f->dev, f->fn, reg, size);
}

static void func_write(void *ctx, unsigned reg, unsigned size, uint32_t value)
{
	const struct pci_func *f = ctx;

	pci_cfg_write(f->bus, f->dev, f->fn, reg, size, value);
}

/* A write the filter lets through; a reset's zeroed BARs are put back
 * before decoding is enabled again (pci_write_through). */
static void write_through(struct zone *z, const struct pci_func *f, unsigned reg, unsigned size,
			  uint32_t v)
{
	struct pci_cfg_io io = {func_read, func_write, (void *)f};
	unsigned restored = pci_write_through(f, reg, size, v, &io);

	if (restored && bar_restores++ < REFUSAL_REPORTS)
		kprintf("zone %s: 00:%02x.%u lost its BARs (a reset); firmware addresses restored "
			"(BARs 0x%x)\n",
			z->name, f->dev, f->fn, restored);
}

static enum io_result config_write(void *zone, struct vcpu *vc, uint64_t off, unsigned size,
				   uint64_t v)
{
	struct zone *z = zone;
	uint16_t port = (uint16_t)(CF8_PORT + off);
	const struct pci_func *f;
	const char *why;
	unsigned reg;

	(void)vc;
	if (port >= CF8_PORT && port < CFC_PORT) {
		if (port == CF8_PORT && size == 4)
			config_address = (uint32_t)v;
		return IO_DONE;
	}
	f = selected(port, size, &reg);
	if (!f)
		return IO_DONE;
	switch (pci_write_check(f, view_of(f), reg, size, (uint32_t)v, &why)) {
	case PCI_WRITE_OK: write_through(z, f, reg, size, (uint32_t)v); break;
	case PCI_WRITE_REFUSED: refuse_write(z, f, reg, (uint32_t)v, why); break;
	case PCI_WRITE_VIRTUAL:
	case PCI_WRITE_IGNORED: break;
	}
	return IO_DONE;
}

/* A passed function's I/O BAR that holds all of [port, port + size), or NULL. */
static const struct pci_bar *io_bar(uint64_t port, unsigned size)
{
	unsigned n;
	const struct pci_func *f = pci_funcs(&n);

	for (unsigned i = 0; i < n; i++) {
		for (unsigned b = 0; b < PCI_BARS && f[i].access == PCI_PASSED; b++) {
			const struct pci_bar *r = &f[i].bar[b];

			if (r->io && r->size && port >= r->base && port + size <= r->base + r->size)
				return r;
		}
	}
	return NULL;
}

/* The control zone's ports no device registered (base 0: off is the port):
 * a passed function's I/O BAR goes to the device itself, the rest is absent.
 * A fallback, not a range each: the BARs are many and anywhere. */
static enum io_result bar_read(void *zone, struct vcpu *vc, uint64_t off, unsigned size,
			       uint64_t *v)
{
	(void)zone;
	(void)vc;
	if (io_bar(off, size))
		*v = port_in_sized((uint16_t)off, size);
	return IO_DONE;
}

static enum io_result bar_write(void *zone, struct vcpu *vc, uint64_t off, unsigned size,
				uint64_t v)
{
	(void)zone;
	(void)vc;
	if (io_bar(off, size))
		port_out_sized((uint16_t)off, size, (uint32_t)v);
	return IO_DONE;
}

/* The device interrupts stop reaching the zone; its devices stop mastering. */
static void detach(void *zone)
{
	if (irq_zone == zone)
		irq_zone = NULL;
	stop_bus_mastering();
}

/* Registers the config ports, the I/O BARs and the detach in z. */
static int register_ports(struct zone *z)
{
	const struct io_range config = {"pci-config", CF8_PORT, 8, config_read, config_write, z};
	const struct io_range bars = {"pci-io-bar", 0, 0x10000, bar_read, bar_write, z};

	if (io_map_add(&z->io, IO_PORT, &config) != 0 ||
	    hook_list_add(&z->on_destroy, detach, z) != 0)
		return -1;
	io_map_set_fallback(&z->io, IO_PORT, &bars);
	return 0;
}

/* ---- interrupts ------------------------------------------------------------ */

/* A device interrupt taken on this CPU: an MSI the control zone's driver
 * programmed.  Goes to the control zone's vCPU when taken on its CPU;
 * anywhere else it is counted and dropped. */
static void pass_irq(void *ctx, uint8_t vector)
{
	struct zone *z = irq_zone;

	(void)ctx;
	if (z && this_cpu()->index == z->vcpus[0].cpu) {
		zone_irq_raise(&z->vcpus[0], vector);
		return;
	}
	if (__atomic_fetch_add(&stray_irqs, 1, __ATOMIC_RELAXED) < STRAY_REPORTS)
		kprintf("zonevisor: device interrupt 0x%x on cpu %u dropped (no control zone "
			"takes it here)\n",
			vector, this_cpu()->index);
}

/* Every vector below the core's own (hv/idt.h) is for the passed devices' MSIs. */
static void reserve_vectors(void)
{
	static const struct vector_owner pass = {"pci-pass", pass_irq, NULL};

	if (vectors_reserve(&host_vectors, VECTORS_FIRST_FREE, VECTOR_TIMER - 1, &pass) != 0)
		kprintf("pci: device interrupt vectors taken; passed devices' MSIs are dropped\n");
}
