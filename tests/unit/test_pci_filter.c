/* Unit tests of zones/pci_filter.c: who sees which PCI function, what writes reach it, BAR sizes.
 */
#include "tests/unit/test.h"
#include "zones/pci_filter.h"

static struct pci_func passed_nic(void)
{
	struct pci_func f;

	memset(&f, 0, sizeof(f));
	f.dev = 2;
	f.class_code = 0x020000;
	f.access = PCI_PASSED;
	f.boot_bar[0] = 0x0000c041; /* I/O at 0xc040 */
	f.boot_bar[1] = 0x81000000; /* 32-bit memory */
	f.boot_bar[4] = 0x0000000c; /* 64-bit prefetchable, low half */
	f.boot_bar[5] = 0x00000008; /* high half: 0x8_0000_0000 */
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
#define IGNORED PCI_WRITE_IGNORED
#define REFUSED PCI_WRITE_REFUSED

TEST(bars_take_only_the_sizing_pattern_and_their_boot_value)
{
	struct pci_func f = passed_nic();
	const char *why = NULL;

	CHECK(pci_write_check(&f, 0x10, 4, 0xffffffffu, &why) == OK);
	CHECK(pci_write_check(&f, 0x10, 4, 0x0000c041, &why) == OK);
	CHECK(pci_write_check(&f, 0x20, 4, 0x0000000c, &why) == OK);
	CHECK(pci_write_check(&f, 0x24, 4, 0x00000008, &why) == OK);
	CHECK(pci_write_check(&f, 0x18, 4, 0, &why) == OK); /* unused BAR: boot value 0 */
	CHECK(why == NULL);
	CHECK(pci_write_check(&f, 0x14, 4, 0x7f000000, &why) == REFUSED);
	CHECK_STR(why, "BARs keep the firmware's addresses");
	CHECK(pci_write_check(&f, 0x24, 4, 0, &why) == REFUSED); /* 64-bit BAR moved below 4 GiB */
	CHECK(pci_write_check(&f, 0x14, 2, 0xffff, &why) == REFUSED); /* partial BAR writes */
	CHECK(pci_write_check(&f, 0x16, 2, 0x8100, &why) == REFUSED);
	CHECK(pci_write_check(&f, 0x17, 1, 0x81, &why) == REFUSED);
}

TEST(expansion_roms_are_not_passed)
{
	struct pci_func f = passed_nic();
	const char *why = NULL;

	CHECK(pci_write_check(&f, 0x30, 4, 0xfffff800u, &why) == IGNORED);
	CHECK(pci_write_check(&f, 0x30, 4, 0x81040001, &why) == IGNORED);
	CHECK(pci_write_check(&f, 0x32, 2, 0x8104, &why) == IGNORED);
	CHECK(why == NULL);
	CHECK(pci_read_filter(&f, 0x30, 0xfffc0000u) == 0);
	CHECK(pci_read_filter(&f, 0x33, 0xff) == 0);
	CHECK(pci_read_filter(&f, 0x14, 0x81000000) ==
	      0x81000000); /* a passed BAR reads as it is */
}

TEST(other_registers_of_a_passed_function_are_the_drivers)
{
	struct pci_func f = passed_nic();
	const char *why = NULL;

	CHECK(pci_write_check(&f, 0x04, 2, 0x0007, &why) == OK); /* command: bus master on */
	CHECK(pci_write_check(&f, 0x04, 4, 0xffff0007, &why) == OK);
	CHECK(pci_write_check(&f, 0x0c, 1, 0x10, &why) == OK);	 /* cache line size */
	CHECK(pci_write_check(&f, 0x3c, 1, 0x0b, &why) == OK);	 /* interrupt line */
	CHECK(pci_write_check(&f, 0x52, 2, 0x8001, &why) == OK); /* MSI-X enable */
	CHECK(pci_write_check(&f, 0xfc, 4, 0x12345678, &why) == OK);
	CHECK(pci_read_filter(&f, 0x04, 0x00100007) == 0x00100007);
	CHECK(why == NULL);
}

TEST(read_only_functions_show_no_bars_and_take_no_write)
{
	struct pci_func f = passed_nic();
	const char *why = NULL;

	f.access = PCI_READ_ONLY;
	CHECK(pci_write_check(&f, 0x04, 2, 0, &why) == IGNORED);
	CHECK(pci_write_check(&f, 0x10, 4, 0xffffffffu, &why) == IGNORED);
	CHECK(pci_read_filter(&f, 0x10, 0x0000c041) == 0);
	CHECK(pci_read_filter(&f, 0x24, 0x8) == 0);
	CHECK(pci_read_filter(&f, 0x00, 0x10001af4) == 0x10001af4);
	f.access = PCI_HIDDEN;
	CHECK(pci_write_check(&f, 0x40, 4, 0, &why) == IGNORED);
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
