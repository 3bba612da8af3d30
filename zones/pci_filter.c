/* The control zone's PCI configuration filter: visibility by class, BARs pinned (pure). */
#include "zones/pci_filter.h"

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

enum pci_write_verdict pci_write_check(const struct pci_func *f, unsigned reg, unsigned size,
				       uint32_t value, const char **why)
{
	if (f->access != PCI_PASSED || is_rom(reg))
		return PCI_WRITE_IGNORED;
	if (!is_bar(reg))
		return PCI_WRITE_OK;
	if (size == 4 && reg % 4 == 0 && bar_write_ok(f->boot_bar[(reg - PCI_REG_BAR0) / 4], value))
		return PCI_WRITE_OK;
	*why = "BARs keep the firmware's addresses";
	return PCI_WRITE_REFUSED;
}

uint32_t pci_read_filter(const struct pci_func *f, unsigned reg, uint32_t raw)
{
	if (is_rom(reg) || (f->access == PCI_READ_ONLY && is_bar(reg)))
		return 0;
	return raw;
}

uint64_t pci_bar_size(uint32_t probe_lo, uint32_t probe_hi, bool io, bool is64)
{
	/* The address bits that stuck at 0 are the size: the lowest one that
	 * reads back 1 is it.  I/O decoders may implement only 16 bits. */
	uint64_t bits = io ? probe_lo & 0xfffcu
			   : (probe_lo & ~0xfull) | (is64 ? (uint64_t)probe_hi << 32 : 0);

	return bits & (~bits + 1);
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
