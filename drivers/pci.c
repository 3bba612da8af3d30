/* PCI configuration mechanism #1 and the boot-time scan of bus 0 (PCI Local Bus 3.0, 3.2.2.3.2, 6).
 */
#include "drivers/pci.h"
#include "hv/cpu.h"
#include "hv/spinlock.h"

#define CONFIG_ADDRESS 0xcf8
#define CONFIG_DATA    0xcfc
#define ADDRESS_ENABLE 0x80000000u
#define MULTI_FUNCTION 0x80 /* header type bit 7 */

static struct spinlock cfg_lock;
static struct pci_func funcs[PCI_MAX_FUNCS];
static unsigned func_count;

static void select_reg(uint8_t bus, uint8_t dev, uint8_t fn, unsigned reg)
{
	outl(CONFIG_ADDRESS, ADDRESS_ENABLE | (uint32_t)bus << 16 | (uint32_t)(dev & 0x1f) << 11 |
				     (uint32_t)(fn & 7) << 8 | (reg & 0xfc));
}

uint32_t pci_cfg_read(uint8_t bus, uint8_t dev, uint8_t fn, unsigned reg, unsigned size)
{
	uint16_t port = (uint16_t)(CONFIG_DATA + (reg & 3));
	uint32_t v;

	spin_lock(&cfg_lock);
	select_reg(bus, dev, fn, reg);
	v = port_in_sized(port, size);
	spin_unlock(&cfg_lock);
	return v;
}

void pci_cfg_write(uint8_t bus, uint8_t dev, uint8_t fn, unsigned reg, unsigned size,
		   uint32_t value)
{
	uint16_t port = (uint16_t)(CONFIG_DATA + (reg & 3));

	spin_lock(&cfg_lock);
	select_reg(bus, dev, fn, reg);
	port_out_sized(port, size, value);
	spin_unlock(&cfg_lock);
}

static uint32_t rd32(const struct pci_func *f, unsigned reg)
{
	return pci_cfg_read(f->bus, f->dev, f->fn, reg, 4);
}

static void wr32(const struct pci_func *f, unsigned reg, uint32_t v)
{
	pci_cfg_write(f->bus, f->dev, f->fn, reg, 4, v);
}

/* 6.2.5.1: write all ones, read back, restore; decoding is off meanwhile
 * so the device never answers at the all-ones address. */
static uint32_t probe(const struct pci_func *f, unsigned reg)
{
	uint32_t old = rd32(f, reg), got;

	wr32(f, reg, 0xffffffffu);
	got = rd32(f, reg);
	wr32(f, reg, old);
	return got;
}

static unsigned size_bar(struct pci_func *f, unsigned i)
{
	unsigned reg = PCI_REG_BAR0 + 4 * i;
	uint32_t lo = f->boot_bar[i];
	bool io = lo & PCI_BAR_IO;
	bool is64 = !io && (lo & 6u) == PCI_BAR_64 && i + 1 < PCI_BARS;
	uint32_t hi = is64 ? f->boot_bar[i + 1] : 0;
	uint32_t plo = probe(f, reg), phi = is64 ? probe(f, reg + 4) : 0;

	f->sizing_bar[i] = plo; /* the control zone's sizing reads (pci_read_filter) */
	if (is64)
		f->sizing_bar[i + 1] = phi;

	f->bar[i].io = io;
	f->bar[i].size = pci_bar_size(plo, phi, io, is64);
	f->bar[i].base = io ? lo & ~0x3u : ((uint64_t)hi << 32) | (lo & ~0xfu);
	if (!f->bar[i].size)
		f->bar[i].base = 0;
	return is64 ? 2 : 1;
}

static void size_bars(struct pci_func *f)
{
	uint32_t cmd = rd32(f, PCI_REG_COMMAND) & 0xffff;

	pci_cfg_write(f->bus, f->dev, f->fn, PCI_REG_COMMAND, 2, cmd & ~(PCI_CMD_IO | PCI_CMD_MEM));
	for (unsigned i = 0; i < PCI_BARS; i++)
		f->boot_bar[i] = rd32(f, PCI_REG_BAR0 + 4 * i);
	for (unsigned i = 0; i < PCI_BARS;)
		i += size_bar(f, i);
	pci_cfg_write(f->bus, f->dev, f->fn, PCI_REG_COMMAND, 2, cmd);
}

static void add_func(uint8_t dev, uint8_t fn, uint32_t id, uint8_t header)
{
	struct pci_func *f = &funcs[func_count++];

	*f = (struct pci_func){.bus = 0, .dev = dev, .fn = fn};
	f->vendor = (uint16_t)id;
	f->device = (uint16_t)(id >> 16);
	f->class_code = rd32(f, PCI_REG_CLASS) >> 8;
	f->header_type = header & 0x7f;
	if (f->header_type == 0)
		size_bars(f);
}

struct pci_func *pci_scan(unsigned *count)
{
	func_count = 0;
	for (uint8_t dev = 0; dev < 32; dev++) {
		for (uint8_t fn = 0; fn < 8 && func_count < PCI_MAX_FUNCS; fn++) {
			uint32_t id = pci_cfg_read(0, dev, fn, PCI_REG_VENDOR, 4);
			uint8_t header =
				(uint8_t)(pci_cfg_read(0, dev, fn, PCI_REG_HEADER, 4) >> 16);

			if ((id & 0xffff) == 0xffff) {
				if (fn == 0)
					break;
				continue;
			}
			add_func(dev, fn, id, header);
			if (fn == 0 && !(header & MULTI_FUNCTION))
				break;
		}
	}
	*count = func_count;
	return funcs;
}

const struct pci_func *pci_funcs(unsigned *count)
{
	*count = func_count;
	return funcs;
}
