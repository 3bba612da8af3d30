/* The control zone's PCI configuration filter: visibility by class, BARs pinned and virtual (pure).
 */
#include "zones/pci/filter.h"

#define CLASS_STORAGE	  0x01
#define CLASS_NETWORK	  0x02
#define CLASS_HOST_BRIDGE 0x0600
#define BAR_REGS_END	  (PCI_REG_BAR0 + 4 * PCI_BARS)

enum pci_access pci_access_for(uint32_t class_code, uint8_t header_type)
{
	uint8_t base = (uint8_t)(class_code >> 16);

	if (header_type != 0)
		return PCI_HIDDEN; /* bridges: what lies behind them stays the hypervisor's */
	if (class_code >> 8 == CLASS_HOST_BRIDGE)
		return PCI_READ_ONLY;
	if (base == CLASS_STORAGE || base == CLASS_NETWORK)
		return PCI_PASSED;
	return PCI_HIDDEN;
}

void pci_show_function_zero(struct pci_func *funcs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (funcs[i].access != PCI_PASSED || funcs[i].fn == 0)
			continue;
		for (unsigned j = 0; j < n; j++)
			if (funcs[j].bus == funcs[i].bus && funcs[j].dev == funcs[i].dev &&
			    funcs[j].fn == 0 && funcs[j].access == PCI_HIDDEN)
				funcs[j].access = PCI_READ_ONLY;
	}
}

static bool bar_write_ok(uint32_t boot, uint32_t value)
{
	return value == boot || value == 0xffffffffu;
}

static bool is_bar(unsigned reg)
{
	return reg >= PCI_REG_BAR0 && reg < BAR_REGS_END;
}

static bool is_rom(unsigned reg)
{
	return reg >= PCI_REG_ROM && reg < PCI_REG_ROM + 4;
}

static unsigned bar_index(unsigned reg)
{
	return (reg - PCI_REG_BAR0) / 4;
}

static enum pci_write_verdict bar_write(const struct pci_func *f, struct pci_view *view,
					unsigned reg, unsigned size, uint32_t value)
{
	unsigned b = bar_index(reg);

	if (size != 4 || reg % 4 || !bar_write_ok(f->boot_bar[b], value))
		return PCI_WRITE_REFUSED;
	if (value == 0xffffffffu && f->boot_bar[b] != value)
		view->sizing |= (uint8_t)(1u << b);
	else
		view->sizing &= (uint8_t) ~(1u << b);
	return PCI_WRITE_VIRTUAL;
}

enum pci_write_verdict pci_write_check(const struct pci_func *f, struct pci_view *view,
				       unsigned reg, unsigned size, uint32_t value,
				       const char **why)
{
	if (f->access != PCI_PASSED || is_rom(reg))
		return PCI_WRITE_IGNORED;
	if (!is_bar(reg))
		return PCI_WRITE_OK;
	if (bar_write(f, view, reg, size, value) == PCI_WRITE_VIRTUAL)
		return PCI_WRITE_VIRTUAL;
	*why = "BARs keep the firmware's addresses";
	return PCI_WRITE_REFUSED;
}

/* The size bytes at reg out of the 32-bit register holding it. */
static uint32_t part_of(uint32_t dword, unsigned reg, unsigned size)
{
	uint32_t v = dword >> (8 * (reg % 4));

	return size >= 4 ? v : v & ((1u << (8 * size)) - 1);
}

static uint32_t virtual_bar(const struct pci_func *f, const struct pci_view *view, unsigned b)
{
	return (view->sizing & (1u << b)) ? f->sizing_bar[b] : f->boot_bar[b];
}

uint32_t pci_read_filter(const struct pci_func *f, const struct pci_view *view, unsigned reg,
			 unsigned size, uint32_t raw)
{
	if (is_rom(reg) || (f->access == PCI_READ_ONLY && is_bar(reg)))
		return 0;
	if (f->access == PCI_PASSED && is_bar(reg))
		return part_of(virtual_bar(f, view, bar_index(reg)), reg, size);
	return raw;
}

/* PCI Local Bus 3.0, 6.2.2: Command bits 0 (I/O) and 1 (memory) at 04h;
 * a write of any size at 04h holds them in its low byte. */
bool pci_write_enables_decode(unsigned reg, uint32_t value)
{
	return reg == PCI_REG_COMMAND && (value & (PCI_CMD_IO | PCI_CMD_MEM));
}

unsigned pci_stale_bars(const struct pci_func *f, const uint32_t now[PCI_BARS])
{
	unsigned stale = 0;

	for (unsigned b = 0; b < PCI_BARS; b++)
		if (now[b] != f->boot_bar[b])
			stale |= 1u << b;
	return stale;
}

/* Writes back the stale BARs with decoding off: a 64-bit BAR is two
 * writes, and the device must not decode at the half-written address. */
static unsigned restore_boot_bars(const struct pci_func *f, const struct pci_cfg_io *io)
{
	uint32_t now[PCI_BARS], cmd;
	unsigned stale;

	for (unsigned b = 0; b < PCI_BARS; b++)
		now[b] = io->read(io->ctx, PCI_REG_BAR0 + 4 * b, 4);
	stale = pci_stale_bars(f, now);
	if (!stale)
		return 0;
	cmd = io->read(io->ctx, PCI_REG_COMMAND, 2);
	if (cmd & (PCI_CMD_IO | PCI_CMD_MEM))
		io->write(io->ctx, PCI_REG_COMMAND, 2, cmd & ~(PCI_CMD_IO | PCI_CMD_MEM));
	for (unsigned b = 0; b < PCI_BARS; b++)
		if (stale & (1u << b))
			io->write(io->ctx, PCI_REG_BAR0 + 4 * b, 4, f->boot_bar[b]);
	return stale;
}

unsigned pci_write_through(const struct pci_func *f, unsigned reg, unsigned size, uint32_t value,
			   const struct pci_cfg_io *io)
{
	unsigned restored = 0;

	if (pci_write_enables_decode(reg, value))
		restored = restore_boot_bars(f, io);
	io->write(io->ctx, reg, size, value);
	return restored;
}

bool pci_cf8_decode(uint32_t cf8, unsigned off, unsigned size, uint8_t *bus, uint8_t *dev,
		    uint8_t *fn, unsigned *reg)
{
	if (!(cf8 & 0x80000000u) || off > 3 || (size != 1 && size != 2 && size != 4) || off % size)
		return false;
	*bus = (uint8_t)(cf8 >> 16);
	*dev = (uint8_t)((cf8 >> 11) & 0x1f);
	*fn = (uint8_t)((cf8 >> 8) & 0x7);
	*reg = (cf8 & 0xfc) + off; /* bits 27:24 (AMD's extended registers) ignored */
	return true;
}
