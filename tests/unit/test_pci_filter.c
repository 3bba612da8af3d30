/* Unit tests of zones/pci/filter.c: who sees which PCI function, what writes reach it, BAR sizes.
 */
#include "tests/unit/test.h"
#include "zones/pci/filter.h"

static struct pci_func passed_nic(void)
{
	struct pci_func f;

	memset(&f, 0, sizeof(f));
	f.dev = 2;
	f.class_code = 0x020000;
	f.access = PCI_PASSED;
	f.boot_bar[0] = 0x0000c041;   /* I/O at 0xc040 */
	f.boot_bar[1] = 0x81000000;   /* 32-bit memory */
	f.boot_bar[4] = 0x0000000c;   /* 64-bit prefetchable, low half */
	f.boot_bar[5] = 0x00000008;   /* high half: 0x8_0000_0000 */
	f.sizing_bar[0] = 0xffffffe1; /* 32 ports */
	f.sizing_bar[1] = 0xfffff000; /* 4 KiB */
	f.sizing_bar[4] = 0xffffc00c; /* 16 KiB */
	f.sizing_bar[5] = 0xffffffff;
	return f;
}

TEST(access_follows_the_class_and_header_type)
{
	CHECK(pci_access_for(0x020000, 0) == PCI_PASSED);    /* Ethernet */
	CHECK(pci_access_for(0x010601, 0) == PCI_PASSED);    /* AHCI */
	CHECK(pci_access_for(0x010000, 0) == PCI_PASSED);    /* SCSI (virtio-blk) */
	CHECK(pci_access_for(0x060000, 0) == PCI_READ_ONLY); /* host bridge */
	CHECK(pci_access_for(0x060100, 0) == PCI_HIDDEN);    /* ISA/LPC bridge */
	CHECK(pci_access_for(0x0c0500, 0) == PCI_HIDDEN);    /* SMBus */
	CHECK(pci_access_for(0x030000, 0) == PCI_HIDDEN);    /* VGA */
	CHECK(pci_access_for(0x060400, 1) == PCI_HIDDEN);    /* PCI-PCI bridge */
	CHECK(pci_access_for(0x020000, 1) == PCI_HIDDEN);    /* odd header: not ours */
	CHECK(pci_access_for(0x060000, 2) == PCI_HIDDEN);
}

#define OK	PCI_WRITE_OK
#define VIRTUAL PCI_WRITE_VIRTUAL
#define IGNORED PCI_WRITE_IGNORED
#define REFUSED PCI_WRITE_REFUSED

TEST(bars_take_only_the_sizing_pattern_and_their_boot_value)
{
	struct pci_func f = passed_nic();
	struct pci_view view = {0};
	const char *why = NULL;

	/* Let through to the zone's view only: the device itself is not written. */
	CHECK(pci_write_check(&f, &view, 0x10, 4, 0xffffffffu, &why) == VIRTUAL);
	CHECK(pci_write_check(&f, &view, 0x10, 4, 0x0000c041, &why) == VIRTUAL);
	CHECK(pci_write_check(&f, &view, 0x20, 4, 0x0000000c, &why) == VIRTUAL);
	CHECK(pci_write_check(&f, &view, 0x24, 4, 0x00000008, &why) == VIRTUAL);
	CHECK(pci_write_check(&f, &view, 0x18, 4, 0, &why) ==
	      VIRTUAL); /* unused BAR: boot value 0 */
	CHECK(why == NULL);
	CHECK(pci_write_check(&f, &view, 0x14, 4, 0x7f000000, &why) == REFUSED);
	CHECK_STR(why, "BARs keep the firmware's addresses");
	CHECK(pci_write_check(&f, &view, 0x24, 4, 0, &why) ==
	      REFUSED); /* 64-bit BAR moved below 4 GiB */
	CHECK(pci_write_check(&f, &view, 0x14, 2, 0xffff, &why) ==
	      REFUSED); /* partial BAR writes */
	CHECK(pci_write_check(&f, &view, 0x16, 2, 0x8100, &why) == REFUSED);
	CHECK(pci_write_check(&f, &view, 0x17, 1, 0x81, &why) == REFUSED);
}

TEST(sizing_is_answered_from_the_boot_sizing)
{
	struct pci_func f = passed_nic();
	struct pci_view view = {0};
	const char *why = NULL;

	/* Linux's __pci_read_base: write all ones, read, write the old value back. */
	CHECK(pci_write_check(&f, &view, 0x14, 4, 0xffffffffu, &why) == VIRTUAL);
	CHECK_EQ_U64(pci_read_filter(&f, &view, 0x14, 4, 0x81000000), 0xfffff000);
	CHECK_EQ_U64(pci_read_filter(&f, &view, 0x15, 1, 0x81), 0xf0); /* byte reads agree */
	CHECK_EQ_U64(pci_read_filter(&f, &view, 0x16, 2, 0x8100), 0xffff);
	CHECK_EQ_U64(pci_read_filter(&f, &view, 0x10, 4, 0x0000c041), 0x0000c041); /* others */
	CHECK(pci_write_check(&f, &view, 0x14, 4, 0x81000000, &why) == VIRTUAL);
	CHECK_EQ_U64(pci_read_filter(&f, &view, 0x14, 4, 0x81000000), 0x81000000);
	/* Both halves of a 64-bit BAR, and an unused BAR, which sizes to 0. */
	CHECK(pci_write_check(&f, &view, 0x20, 4, 0xffffffffu, &why) == VIRTUAL);
	CHECK(pci_write_check(&f, &view, 0x24, 4, 0xffffffffu, &why) == VIRTUAL);
	CHECK(pci_write_check(&f, &view, 0x18, 4, 0xffffffffu, &why) == VIRTUAL);
	CHECK_EQ_U64(pci_read_filter(&f, &view, 0x20, 4, 0), 0xffffc00c);
	CHECK_EQ_U64(pci_read_filter(&f, &view, 0x24, 4, 0), 0xffffffff);
	CHECK_EQ_U64(pci_read_filter(&f, &view, 0x18, 4, 0), 0);
	/* Left at all ones, the zone still reads its size mask: the device was never written. */
	CHECK_EQ_U64(view.sizing, (1u << 2) | (1u << 4) | (1u << 5));
	/* A refused write leaves the view as it was. */
	CHECK(pci_write_check(&f, &view, 0x20, 4, 0x1000000c, &why) == REFUSED);
	CHECK_EQ_U64(pci_read_filter(&f, &view, 0x20, 4, 0), 0xffffc00c);
	CHECK(pci_write_check(&f, &view, 0x20, 4, 0x0000000c, &why) == VIRTUAL);
	CHECK_EQ_U64(pci_read_filter(&f, &view, 0x20, 4, 0), 0x0000000c);
}

TEST(bars_read_their_boot_value_whatever_the_device_holds)
{
	struct pci_func f = passed_nic();
	struct pci_view view = {0};

	/* After a reset the device reads 0: the zone still sees the boot value. */
	CHECK_EQ_U64(pci_read_filter(&f, &view, 0x14, 4, 0), 0x81000000);
	CHECK_EQ_U64(pci_read_filter(&f, &view, 0x24, 4, 0), 0x00000008);
	CHECK_EQ_U64(pci_read_filter(&f, &view, 0x17, 1, 0), 0x81);
}

/* ---- a device model with function-level reset and PM D3hot ---------------- */

#define FAKE_PCIE_CAP 0x40 /* Device Control at +8, Initiate FLR = bit 15 */
#define FAKE_PM_CAP   0x50 /* PMCSR at +4, PowerState = bits 1:0 */

struct fake_dev {
	uint8_t cfg[256];
	const struct pci_func *f;
	int decoded_elsewhere; /* writes after which it decoded with a BAR not at boot */
};

static uint32_t fake_get(const struct fake_dev *d, unsigned reg, unsigned size)
{
	uint32_t v = 0;

	memcpy(&v, d->cfg + reg, size);
	return v;
}

static void fake_set(struct fake_dev *d, unsigned reg, unsigned size, uint32_t v)
{
	memcpy(d->cfg + reg, &v, size);
}

/* PCIe Base 6.6.2 / PCI PM 1.2 5.4.1 (No_Soft_Reset clear): passed_nic's
 * BARs keep only their type bits, the Command register becomes 0. */
static void fake_reset(struct fake_dev *d)
{
	static const uint32_t reset_bar[PCI_BARS] = {0x1, 0, 0, 0, 0xc, 0};

	for (unsigned b = 0; b < PCI_BARS; b++)
		fake_set(d, PCI_REG_BAR0 + 4 * b, 4, reset_bar[b]);
	fake_set(d, PCI_REG_COMMAND, 2, 0);
}

static bool fake_decodes_elsewhere(const struct fake_dev *d)
{
	if (!(fake_get(d, PCI_REG_COMMAND, 2) & (PCI_CMD_IO | PCI_CMD_MEM)))
		return false;
	for (unsigned b = 0; b < PCI_BARS; b++)
		if (fake_get(d, PCI_REG_BAR0 + 4 * b, 4) != d->f->boot_bar[b])
			return true;
	return false;
}

static uint32_t fake_read(void *ctx, unsigned reg, unsigned size)
{
	return fake_get(ctx, reg, size);
}

static void fake_write(void *ctx, unsigned reg, unsigned size, uint32_t v)
{
	struct fake_dev *d = ctx;
	unsigned old_state = fake_get(d, FAKE_PM_CAP + 4, 1) & 3;

	fake_set(d, reg, size, v);
	if (fake_get(d, FAKE_PCIE_CAP + 8, 2) & 0x8000) {
		fake_set(d, FAKE_PCIE_CAP + 8, 2, fake_get(d, FAKE_PCIE_CAP + 8, 2) & 0x7fff);
		fake_reset(d);
	}
	if (old_state == 3 && (fake_get(d, FAKE_PM_CAP + 4, 1) & 3) == 0)
		fake_reset(d);
	d->decoded_elsewhere += fake_decodes_elsewhere(d);
}

static void fake_boot(struct fake_dev *d, const struct pci_func *f)
{
	memset(d, 0, sizeof(*d));
	d->f = f;
	for (unsigned b = 0; b < PCI_BARS; b++)
		fake_set(d, PCI_REG_BAR0 + 4 * b, 4, f->boot_bar[b]);
	fake_set(d, PCI_REG_COMMAND, 2, PCI_CMD_IO | PCI_CMD_MEM | PCI_CMD_MASTER);
}

/* What pci_pass.c does with a control zone's config write; the BARs restored. */
static unsigned zone_cfg_write(struct fake_dev *d, struct pci_view *view, unsigned reg,
			       unsigned size, uint32_t v)
{
	struct pci_cfg_io io = {fake_read, fake_write, d};
	const char *why = NULL;

	if (pci_write_check(d->f, view, reg, size, v, &why) != PCI_WRITE_OK)
		return 0;
	return pci_write_through(d->f, reg, size, v, &io);
}

/* Linux's pci_restore_state after a reset: BARs (as the zone reads them), then Command. */
static unsigned linux_restores(struct fake_dev *d, struct pci_view *view)
{
	for (unsigned b = 0; b < PCI_BARS; b++) {
		unsigned reg = PCI_REG_BAR0 + 4 * b;

		zone_cfg_write(d, view, reg, 4,
			       pci_read_filter(d->f, view, reg, 4, fake_get(d, reg, 4)));
	}
	return zone_cfg_write(d, view, PCI_REG_COMMAND, 2, 0x0007);
}

TEST(a_function_level_reset_never_makes_the_device_decode_elsewhere)
{
	struct pci_func f = passed_nic();
	struct pci_view view = {0};
	struct fake_dev d;

	fake_boot(&d, &f);
	CHECK(zone_cfg_write(&d, &view, FAKE_PCIE_CAP + 8, 2, 0x8000) == 0); /* Initiate FLR */
	CHECK_EQ_U64(fake_get(&d, 0x14, 4), 0); /* the device lost its BARs */
	CHECK_EQ_U64(pci_read_filter(&f, &view, 0x14, 4, 0), 0x81000000); /* the zone sees none */
	/* BAR4's low half reads as at boot (its address is 0x8_0000_0000): 0, 1, 5. */
	CHECK_EQ_U64(linux_restores(&d, &view), (1u << 0) | (1u << 1) | (1u << 5));
	CHECK_EQ_U64(d.decoded_elsewhere, 0);
	for (unsigned b = 0; b < PCI_BARS; b++)
		CHECK_EQ_U64(fake_get(&d, PCI_REG_BAR0 + 4 * b, 4), f.boot_bar[b]);
	CHECK_EQ_U64(fake_get(&d, PCI_REG_COMMAND, 2), 0x0007);
	/* Nothing to restore the next time. */
	CHECK(zone_cfg_write(&d, &view, PCI_REG_COMMAND, 2, 0x0003) == 0);
	/* The hazard the model catches: a reset, then decoding turned on as it was. */
	fake_write(&d, FAKE_PCIE_CAP + 8, 2, 0x8000);
	fake_write(&d, PCI_REG_COMMAND, 2, 0x0007);
	CHECK_EQ_U64(d.decoded_elsewhere, 1);
}

TEST(a_d3hot_to_d0_transition_never_makes_the_device_decode_elsewhere)
{
	struct pci_func f = passed_nic();
	struct pci_view view = {0};
	struct fake_dev d;

	fake_boot(&d, &f);
	zone_cfg_write(&d, &view, FAKE_PM_CAP + 4, 2, 0x0003); /* D3hot */
	zone_cfg_write(&d, &view, FAKE_PM_CAP + 4, 2, 0x0000); /* D0: the reset */
	CHECK_EQ_U64(fake_get(&d, 0x20, 4), 0x0000000c);       /* address gone, type kept */
	/* Decoding enabled by a byte write, I/O only: still everything restored first. */
	CHECK_EQ_U64(zone_cfg_write(&d, &view, PCI_REG_COMMAND, 1, PCI_CMD_IO),
		     (1u << 0) | (1u << 1) | (1u << 5));
	CHECK_EQ_U64(d.decoded_elsewhere, 0);
	CHECK_EQ_U64(fake_get(&d, 0x24, 4), 0x00000008);
}

TEST(decoding_is_enabled_only_by_command_bits_0_and_1)
{
	uint32_t now[PCI_BARS] = {0x0000c041, 0x81000000, 0, 0, 0x0000000c, 0x00000008};
	struct pci_func f = passed_nic();

	CHECK(pci_write_enables_decode(PCI_REG_COMMAND, 0x0002));
	CHECK(pci_write_enables_decode(PCI_REG_COMMAND, 0x0001));
	CHECK(pci_write_enables_decode(PCI_REG_COMMAND, 0x00100006)); /* dword with status */
	CHECK(!pci_write_enables_decode(PCI_REG_COMMAND, 0x0004));    /* bus master only */
	CHECK(!pci_write_enables_decode(0x05, 0x03));		      /* Command's high byte */
	CHECK(!pci_write_enables_decode(0x06, 0x0003));		      /* Status */
	CHECK(!pci_write_enables_decode(0x00, 0xffffffffu));
	CHECK_EQ_U64(pci_stale_bars(&f, now), 0);
	now[5] = 0;
	now[1] = 0xfffff000;
	CHECK_EQ_U64(pci_stale_bars(&f, now), (1u << 1) | (1u << 5));
}

TEST(expansion_roms_are_not_passed)
{
	struct pci_func f = passed_nic();
	struct pci_view view = {0};
	const char *why = NULL;

	CHECK(pci_write_check(&f, &view, 0x30, 4, 0xfffff800u, &why) == IGNORED);
	CHECK(pci_write_check(&f, &view, 0x30, 4, 0x81040001, &why) == IGNORED);
	CHECK(pci_write_check(&f, &view, 0x32, 2, 0x8104, &why) == IGNORED);
	CHECK(why == NULL);
	CHECK(pci_read_filter(&f, &view, 0x30, 4, 0xfffc0000u) == 0);
	CHECK(pci_read_filter(&f, &view, 0x33, 1, 0xff) == 0);
	CHECK(pci_read_filter(&f, &view, 0x14, 4, 0x81000000) ==
	      0x81000000); /* a passed BAR reads as it is */
}

TEST(other_registers_of_a_passed_function_are_the_drivers)
{
	struct pci_func f = passed_nic();
	struct pci_view view = {0};
	const char *why = NULL;

	CHECK(pci_write_check(&f, &view, 0x04, 2, 0x0007, &why) == OK); /* command: bus master on */
	CHECK(pci_write_check(&f, &view, 0x04, 4, 0xffff0007, &why) == OK);
	CHECK(pci_write_check(&f, &view, 0x0c, 1, 0x10, &why) == OK);	/* cache line size */
	CHECK(pci_write_check(&f, &view, 0x3c, 1, 0x0b, &why) == OK);	/* interrupt line */
	CHECK(pci_write_check(&f, &view, 0x52, 2, 0x8001, &why) == OK); /* MSI-X enable */
	CHECK(pci_write_check(&f, &view, 0xfc, 4, 0x12345678, &why) == OK);
	CHECK(pci_read_filter(&f, &view, 0x04, 4, 0x00100007) == 0x00100007);
	CHECK(why == NULL);
}

TEST(read_only_functions_show_no_bars_and_take_no_write)
{
	struct pci_func f = passed_nic();
	struct pci_view view = {0};
	const char *why = NULL;

	f.access = PCI_READ_ONLY;
	CHECK(pci_write_check(&f, &view, 0x04, 2, 0, &why) == IGNORED);
	CHECK(pci_write_check(&f, &view, 0x10, 4, 0xffffffffu, &why) == IGNORED);
	CHECK(pci_read_filter(&f, &view, 0x10, 4, 0x0000c041) == 0);
	CHECK(pci_read_filter(&f, &view, 0x24, 4, 0x8) == 0);
	CHECK(pci_read_filter(&f, &view, 0x00, 4, 0x10001af4) == 0x10001af4);
	f.access = PCI_HIDDEN;
	CHECK(pci_write_check(&f, &view, 0x40, 4, 0, &why) == IGNORED);
	CHECK(why == NULL);
}

TEST(function_zero_of_a_passed_device_is_shown)
{
	struct pci_func f[4];

	memset(f, 0, sizeof(f));
	f[0] = (struct pci_func){.dev = 0x1f, .fn = 0, .access = PCI_HIDDEN}; /* LPC */
	f[1] = (struct pci_func){.dev = 0x1f, .fn = 2, .access = PCI_PASSED}; /* AHCI */
	f[2] = (struct pci_func){.dev = 0x1f, .fn = 3, .access = PCI_HIDDEN}; /* SMBus */
	f[3] = (struct pci_func){.dev = 0x01, .fn = 0, .access = PCI_HIDDEN}; /* VGA */
	pci_show_function_zero(f, 4);
	CHECK(f[0].access == PCI_READ_ONLY);
	CHECK(f[1].access == PCI_PASSED);
	CHECK(f[2].access == PCI_HIDDEN);
	CHECK(f[3].access == PCI_HIDDEN);
}

TEST(bar_sizes_come_from_the_bits_that_stuck)
{
	CHECK(pci_bar_size(0xffffffe1, 0, true, false) == 32);	      /* 32 ports */
	CHECK(pci_bar_size(0x0000ffe1, 0, true, false) == 32);	      /* 16-bit decoder */
	CHECK(pci_bar_size(0xfffff000, 0, false, false) == 0x1000);   /* 4 KiB */
	CHECK(pci_bar_size(0xfff00008, 0, false, false) == 0x100000); /* prefetchable 1 MiB */
	CHECK(pci_bar_size(0xffffc00c, 0xffffffff, false, true) == 0x4000);
	CHECK(pci_bar_size(0x0000000c, 0xfffffffe, false, true) == 0x200000000ull); /* 8 GiB */
	CHECK(pci_bar_size(0, 0, false, false) == 0); /* no BAR there */
	CHECK(pci_bar_size(0x00000001, 0, true, false) == 0);
	CHECK(pci_bar_size(0x0000000c, 0, false, true) == 0);
}

TEST(config_address_decodes_mechanism_one)
{
	uint8_t bus, dev, fn;
	unsigned reg;

	CHECK(pci_cf8_decode(0x80001010u, 0, 4, &bus, &dev, &fn, &reg));
	CHECK(bus == 0 && dev == 2 && fn == 0 && reg == 0x10);
	CHECK(pci_cf8_decode(0x8001fbfcu, 2, 2, &bus, &dev, &fn, &reg));
	CHECK(bus == 1 && dev == 31 && fn == 3 && reg == 0xfe);
	CHECK(pci_cf8_decode(0x8f000004u, 1, 1, &bus, &dev, &fn, &reg)); /* bits 27:24 ignored */
	CHECK(bus == 0 && reg == 5);
	CHECK(pci_cf8_decode(0x80000003u, 0, 4, &bus, &dev, &fn, &reg)); /* bits 1:0 ignored */
	CHECK(reg == 0);
	CHECK(!pci_cf8_decode(0x00001010u, 0, 4, &bus, &dev, &fn, &reg)); /* not enabled */
	CHECK(!pci_cf8_decode(0x80000000u, 1, 2, &bus, &dev, &fn, &reg)); /* misaligned */
	CHECK(!pci_cf8_decode(0x80000000u, 2, 4, &bus, &dev, &fn, &reg));
	CHECK(!pci_cf8_decode(0x80000000u, 4, 1, &bus, &dev, &fn, &reg));
	CHECK(!pci_cf8_decode(0x80000000u, 0, 3, &bus, &dev, &fn, &reg));
}
