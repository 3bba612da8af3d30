/* Per-zone ACPI tables (zones/platform/acpi/tables.h); section numbers are ACPI 6.4's. */
#include "zones/platform/acpi/tables.h"
#include "drivers/acpi.h"
#include "hv/lib/string.h"
#include "zones/platform/acpi/aml.h"

#define FOUR_GIB (1ull << 32)

/* 5.2.6, Table 5.4: the system description table header. */
#define SDT_HDR_LEN  36
#define SDT_LEN_OFF  4
#define SDT_CSUM_OFF 9

/* 5.2.5.3, Table 5.3: RSDP. */
#define RSDP_V1_LEN    20
#define RSDP_LEN       36
#define RSDP_CSUM_OFF  8
#define RSDP_XCSUM_OFF 32

/* 5.2.9, Table 5.9: FADT field offsets (revision 6, 276 bytes). */
#define FADT_LEN	    276
#define FADT_REVISION	    6
#define FADT_MINOR	    4 /* ACPI 6.4 */
#define FADT_PM_PROFILE	    45
#define FADT_SCI_INT	    46
#define FADT_IAPC_BOOT_ARCH 109
#define FADT_FLAGS	    112
#define FADT_RESET_REG	    116
#define FADT_RESET_VALUE    128
#define FADT_MINOR_VERSION  131
#define FADT_X_DSDT	    140
#define FADT_SLEEP_CONTROL  244
#define FADT_SLEEP_STATUS   256
#define FADT_HV_VENDOR	    268

/* 5.2.9.3, Table 5.11: IA-PC boot architecture flags. */
#define BOOT_ARCH_8042	      (1u << 1) /* not set: see fill_fadt */
#define BOOT_ARCH_NO_VGA      (1u << 2) /* VGA Not Present */
#define BOOT_ARCH_NO_MSI      (1u << 3) /* set unless there is a PCI root */
#define BOOT_ARCH_NO_CMOS_RTC (1u << 5) /* CMOS RTC Not Present */

/* 5.2.9, Table 5.10: fixed feature flags. */
#define FADT_F_PWR_BUTTON      (1u << 4) /* no fixed-feature power button */
#define FADT_F_SLP_BUTTON      (1u << 5) /* no fixed-feature sleep button */
#define FADT_F_RESET_REG_SUP   (1u << 10)
#define FADT_F_APIC_PHYSICAL   (1u << 19) /* FORCE_APIC_PHYSICAL_DESTINATION_MODE */
#define FADT_F_HW_REDUCED_ACPI (1u << 20)

/* 5.2.3.2, Table 5.2: generic address structure. */
#define GAS_SYSTEM_IO	1
#define GAS_ACCESS_BYTE 1

/* 5.2.12, Tables 5.43 and 5.45: MADT. */
#define MADT_REVISION  5
#define MADT_LAPIC     0   /* 5.2.12.2 */
#define MADT_IOAPIC    1   /* 5.2.12.3 */
#define MADT_X2APIC    9   /* 5.2.12.12 */
#define MADT_ENABLED   1u  /* Table 5.47: Local APIC Flags */
#define XAPIC_ID_LIMIT 255 /* 0xFF is the xAPIC broadcast ID: above it, x2APIC entries */

static bool fits(const struct aml *a)
{
	return a->len <= a->cap;
}

/* Rewrites n bytes at off, if they were stored. */
static void patch_le(struct aml *a, size_t off, uint64_t v, unsigned n)
{
	if (off + n > a->cap || off + n > a->len)
		return;
	for (unsigned i = 0; i < n; i++)
		a->buf[off + i] = (uint8_t)(v >> (8 * i));
}

/* The byte that makes [start, start + len) sum to 0 with it at csum_off. */
static void patch_checksum(struct aml *a, size_t start, size_t len, size_t csum_off)
{
	if (start + len > a->cap || start + len > a->len)
		return;
	a->buf[start + csum_off] = 0;
	a->buf[start + csum_off] = (uint8_t)(0 - acpi_checksum(a->buf + start, len));
}

static void pad_to(struct aml *a, size_t align)
{
	while (a->len % align)
		aml_byte(a, 0);
}

/* ---- DSDT (5.2.11.1) ------------------------------------------------------ */

static void com1_resources(struct aml *a, const void *arg)
{
	(void)arg;
	aml_res_io16(a, ZONE_ACPI_COM1_PORT, ZONE_ACPI_COM1_PORT, 1, 8);
	aml_res_irq_noflags(a, 1u << ZONE_ACPI_COM1_IRQ);
}

/* Device (COM1): the 8250 UART, so the serial driver finds it through PNP. */
static void com1_body(struct aml *a, const void *arg)
{
	(void)arg;
	aml_name(a, "_HID");
	aml_integer(a, aml_eisaid("PNP0501"));
	aml_name(a, "_UID");
	aml_integer(a, 1);
	aml_name(a, "_CRS");
	aml_resource_template(a, com1_resources, NULL);
}

struct virtio_dev {
	const struct zone_acpi_virtio *v;
	uint32_t uid;
};

/* Edge-triggered like Firecracker's: the zone's IOAPIC needs no remote IRR for it. */
static void virtio_resources(struct aml *a, const void *arg)
{
	const struct zone_acpi_virtio *v = arg;

	aml_res_memory32_fixed(a, true, (uint32_t)v->addr, v->size);
	aml_res_interrupt(a, true, false, v->gsi);
}

/* LNRO0005 is the ACPI ID drivers/virtio/virtio_mmio.c matches. */
static void virtio_body(struct aml *a, const void *arg)
{
	const struct virtio_dev *d = arg;

	aml_name(a, "_HID");
	aml_string(a, "LNRO0005");
	aml_name(a, "_UID");
	aml_integer(a, d->uid);
	aml_name(a, "_CCA"); /* 6.2.17: DMA is cache-coherent */
	aml_integer(a, 1);
	aml_name(a, "_CRS");
	aml_resource_template(a, virtio_resources, d->v);
}

/* Bus 0, the mechanism #1 ports it decodes (a consumer, as in QEMU's DSDT:
 * x86 Linux drops 0xCF8-0xCFF from the windows and reserves it), then the
 * windows it forwards, each in the smallest descriptor that holds it. */
static void pci_resources(struct aml *a, const void *arg)
{
	const struct zone_acpi_config *c = arg;

	aml_res_word_bus(a, 0, 0);
	aml_res_io16(a, 0xCF8, 0xCF8, 1, 8);
	for (uint32_t i = 0; i < c->pci_window_count; i++) {
		const struct zone_acpi_pci_window *w = &c->pci_windows[i];

		if (w->io && w->size <= 0xFFFF)
			aml_res_word_io(a, (uint16_t)w->base, (uint16_t)w->size);
		else if (w->io) /* all 64 Ki ports: _LEN does not fit a WORD */
			aml_res_dword_io(a, (uint32_t)w->base, (uint32_t)w->size);
		else if (w->size < FOUR_GIB && w->base + w->size <= FOUR_GIB)
			aml_res_dword_memory(a, (uint32_t)w->base, (uint32_t)w->size);
		else
			aml_res_qword_memory(a, w->base, w->size);
	}
}

/* Device (PCI0): a PCI Express root bridge (PNP0A08, compatible with
 * PNP0A03) for segment 0, bus 0; drivers/acpi/pci_root.c binds it. */
static void pci_body(struct aml *a, const void *arg)
{
	aml_name(a, "_HID");
	aml_integer(a, aml_eisaid("PNP0A08"));
	aml_name(a, "_CID");
	aml_integer(a, aml_eisaid("PNP0A03"));
	aml_name(a, "_UID");
	aml_integer(a, 0);
	aml_name(a, "_SEG");
	aml_integer(a, 0);
	aml_name(a, "_BBN");
	aml_integer(a, 0);
	aml_name(a, "_CRS");
	aml_resource_template(a, pci_resources, arg);
}

static void sb_body(struct aml *a, const void *arg)
{
	const struct zone_acpi_config *c = arg;

	aml_device(a, "COM1", com1_body, NULL);
	if (c->pci_root)
		aml_device(a, "PCI0", pci_body, c);
	for (uint32_t i = 0; i < c->virtio_count; i++) {
		struct virtio_dev d = {&c->virtio[i], i};
		char name[5] = {'V', 'R', (char)('0' + i / 10), (char)('0' + i % 10), 0};

		aml_device(a, name, virtio_body, &d);
	}
}

/* 7.4.2: \_S5 { SLP_TYPa, SLP_TYPb, reserved, reserved }. */
static void s5_body(struct aml *a, const void *arg)
{
	(void)arg;
	aml_integer(a, ZONE_ACPI_S5_SLP_TYP);
	aml_integer(a, ZONE_ACPI_S5_SLP_TYP);
	aml_integer(a, 0);
	aml_integer(a, 0);
}

/* ---- tables ----------------------------------------------------------------- */

/* 5.2.6 OEMID: six characters, space-padded; "ZONEVS" when none is given. */
static void emit_oem_id(struct aml *a, const struct zone_acpi_config *c)
{
	const char *id = c->oem_id;
	bool unset = true;

	for (int i = 0; i < 6; i++)
		unset = unset && id[i] == 0;
	if (unset)
		id = "ZONEVS";
	for (int i = 0; i < 6; i++)
		aml_byte(a, id[i] ? (uint8_t)id[i] : ' ');
}

/* 5.2.6: a header whose length and checksum sdt_end() fills in. */
static size_t sdt_begin(struct aml *a, const struct zone_acpi_config *c, const char *sig,
			uint8_t revision)
{
	size_t start;

	pad_to(a, 16);
	start = a->len;
	aml_bytes(a, sig, 4);
	aml_le(a, 0, 4); /* Length */
	aml_byte(a, revision);
	aml_byte(a, 0); /* Checksum */
	emit_oem_id(a, c);
	aml_bytes(a, "ZONE", 4); /* OEM Table ID: "ZONE" + signature */
	aml_bytes(a, sig, 4);
	aml_le(a, 1, 4);	 /* OEM Revision */
	aml_bytes(a, "ZVSR", 4); /* Creator ID */
	aml_le(a, 1, 4);	 /* Creator Revision */
	return start;
}

static void sdt_end(struct aml *a, size_t start)
{
	patch_le(a, start + SDT_LEN_OFF, a->len - start, 4);
	patch_checksum(a, start, a->len - start, SDT_CSUM_OFF);
}

static size_t build_dsdt(struct aml *a, const struct zone_acpi_config *c)
{
	size_t start = sdt_begin(a, c, "DSDT", 2); /* revision 2: 64-bit integers */

	aml_scope(a, "\\_SB_", sb_body, c);
	aml_name(a, "\\_S5_");
	aml_package(a, 4, s5_body, NULL);
	sdt_end(a, start);
	return start;
}

static void put_le(uint8_t *t, size_t off, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		t[off + i] = (uint8_t)(v >> (8 * i));
}

/* 5.2.3.2: an 8-bit system-I/O register, accessed by byte. */
static void put_gas_io(uint8_t *t, size_t off, uint16_t port)
{
	t[off] = GAS_SYSTEM_IO;
	t[off + 1] = 8; /* Register Bit Width */
	t[off + 2] = 0; /* Register Bit Offset */
	t[off + 3] = GAS_ACCESS_BYTE;
	put_le(t, off + 4, port, 8);
}

/* 5.2.9 with 4.1: hardware-reduced, so no PM1/GPE blocks, SCI or FACS. */
static void fill_fadt(uint8_t *t, uint64_t dsdt_gpa, bool pci)
{
	t[FADT_PM_PROFILE] = 0; /* Unspecified */
	put_le(t, FADT_SCI_INT, 0, 2);
	/* No 8042 flag: the zone's i8042 only takes the reset pulse (reboot=k
	 * writes it regardless); declared, Linux would probe it for a keyboard
	 * and poll half a second of guest time for replies that never come. */
	put_le(t, FADT_IAPC_BOOT_ARCH,
	       BOOT_ARCH_NO_VGA | (pci ? 0 : BOOT_ARCH_NO_MSI) | BOOT_ARCH_NO_CMOS_RTC, 2);
	put_le(t, FADT_FLAGS,
	       FADT_F_PWR_BUTTON | FADT_F_SLP_BUTTON | FADT_F_RESET_REG_SUP | FADT_F_APIC_PHYSICAL |
		       FADT_F_HW_REDUCED_ACPI,
	       4);
	put_gas_io(t, FADT_RESET_REG, ZONE_ACPI_RESET_PORT);
	t[FADT_RESET_VALUE] = ZONE_ACPI_RESET_VALUE;
	t[FADT_MINOR_VERSION] = FADT_MINOR;
	put_le(t, FADT_X_DSDT, dsdt_gpa, 8);
	put_gas_io(t, FADT_SLEEP_CONTROL, ZONE_ACPI_SLEEP_CTL_PORT);
	put_gas_io(t, FADT_SLEEP_STATUS, ZONE_ACPI_SLEEP_STS_PORT);
	zv_memcpy(t + FADT_HV_VENDOR, "ZONEVSR ", 8);
}

static size_t build_fadt(struct aml *a, const struct zone_acpi_config *c, uint64_t dsdt_gpa)
{
	uint8_t t[FADT_LEN];
	size_t start = sdt_begin(a, c, "FACP", FADT_REVISION);

	zv_memset(t, 0, sizeof(t));
	fill_fadt(t, dsdt_gpa, c->pci_root);
	aml_bytes(a, t + SDT_HDR_LEN, FADT_LEN - SDT_HDR_LEN);
	sdt_end(a, start);
	return start;
}

/* 5.2.12.2 for IDs below 255 (any kernel reads them), else 5.2.12.12. */
static void madt_cpu(struct aml *a, uint32_t uid, uint32_t apic_id)
{
	if (apic_id < XAPIC_ID_LIMIT) {
		aml_byte(a, MADT_LAPIC);
		aml_byte(a, 8);
		aml_byte(a, (uint8_t)uid); /* ACPI Processor UID */
		aml_byte(a, (uint8_t)apic_id);
		aml_le(a, MADT_ENABLED, 4);
		return;
	}
	aml_byte(a, MADT_X2APIC);
	aml_byte(a, 16);
	aml_le(a, 0, 2); /* Reserved */
	aml_le(a, apic_id, 4);
	aml_le(a, MADT_ENABLED, 4);
	aml_le(a, uid, 4);
}

/* 5.2.12.3. */
static void madt_ioapic(struct aml *a, const struct zone_acpi_config *c)
{
	aml_byte(a, MADT_IOAPIC);
	aml_byte(a, 12);
	aml_byte(a, (uint8_t)c->ioapic_id);
	aml_byte(a, 0); /* Reserved */
	aml_le(a, c->ioapic_addr, 4);
	aml_le(a, c->ioapic_gsi_base, 4);
}

/* No PCAT_COMPAT (no 8259s) and no interrupt source overrides: ISA IRQs
 * (COM1's 4) map to the same GSI. */
static size_t build_madt(struct aml *a, const struct zone_acpi_config *c)
{
	size_t start = sdt_begin(a, c, "APIC", MADT_REVISION);

	aml_le(a, ZONE_ACPI_LAPIC_ADDR, 4);
	aml_le(a, 0, 4); /* Flags */
	for (uint32_t i = 0; i < c->vcpu_count; i++)
		madt_cpu(a, i, c->apic_ids[i]);
	madt_ioapic(a, c);
	sdt_end(a, start);
	return start;
}

/* 5.2.8. */
static size_t build_xsdt(struct aml *a, const struct zone_acpi_config *c, uint64_t fadt_gpa,
			 uint64_t madt_gpa)
{
	size_t start = sdt_begin(a, c, "XSDT", 1);

	aml_le(a, fadt_gpa, 8);
	aml_le(a, madt_gpa, 8);
	sdt_end(a, start);
	return start;
}

/* 5.2.5.3: revision 2, no RSDT. */
static size_t build_rsdp(struct aml *a, const struct zone_acpi_config *c, uint64_t xsdt_gpa)
{
	size_t start;

	pad_to(a, 16);
	start = a->len;
	aml_bytes(a, "RSD PTR ", 8);
	aml_byte(a, 0); /* Checksum */
	emit_oem_id(a, c);
	aml_byte(a, 2);	 /* Revision */
	aml_le(a, 0, 4); /* RsdtAddress */
	aml_le(a, RSDP_LEN, 4);
	aml_le(a, xsdt_gpa, 8);
	aml_le(a, 0, 4); /* Extended Checksum, Reserved */
	patch_checksum(a, start, RSDP_V1_LEN, RSDP_CSUM_OFF);
	patch_checksum(a, start, RSDP_LEN, RSDP_XCSUM_OFF);
	return start;
}

/* Windows only under a root bridge; each non-empty, not wrapping, I/O ones
 * within the 64 Ki ports. */
static bool pci_windows_ok(const struct zone_acpi_config *c)
{
	if (c->pci_window_count > ZONE_ACPI_MAX_PCI_WINDOWS ||
	    (c->pci_window_count && !c->pci_root))
		return false;
	for (uint32_t i = 0; i < c->pci_window_count; i++) {
		const struct zone_acpi_pci_window *w = &c->pci_windows[i];

		if (!w->size || w->base + w->size < w->base ||
		    (w->io && w->base + w->size > 0x10000))
			return false;
	}
	return true;
}

static bool config_ok(const struct zone_acpi_config *c)
{
	if (c->vcpu_count == 0 || c->vcpu_count > ZONE_ACPI_MAX_VCPUS)
		return false;
	if (c->virtio_count > ZONE_ACPI_MAX_VIRTIO || c->base_gpa % 16)
		return false;
	if (c->ioapic_id > 0xFF || c->ioapic_addr >= FOUR_GIB)
		return false;
	for (uint32_t i = 0; i < c->virtio_count; i++) {
		if (c->virtio[i].addr >= FOUR_GIB ||
		    c->virtio[i].size > FOUR_GIB - c->virtio[i].addr)
			return false;
	}
	return pci_windows_ok(c);
}

/* Each table refers only to tables before it, so one pass needs no fix-ups. */
int zone_acpi_build(const struct zone_acpi_config *c, uint8_t *buf, size_t cap, size_t *used,
		    uint64_t *rsdp_gpa)
{
	struct aml a = {.buf = buf, .cap = cap, .len = 0};
	uint64_t dsdt, fadt, madt, xsdt, rsdp;

	*used = 0;
	*rsdp_gpa = 0;
	if (!config_ok(c))
		return -1;
	dsdt = c->base_gpa + build_dsdt(&a, c);
	fadt = c->base_gpa + build_fadt(&a, c, dsdt);
	madt = c->base_gpa + build_madt(&a, c);
	xsdt = c->base_gpa + build_xsdt(&a, c, fadt, madt);
	rsdp = c->base_gpa + build_rsdp(&a, c, xsdt);
	*used = a.len;
	if (!fits(&a))
		return -1;
	*rsdp_gpa = rsdp;
	return 0;
}
