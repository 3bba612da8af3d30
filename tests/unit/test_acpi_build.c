/* Unit tests of zones/platform/acpi/: tables parsed back by drivers/acpi.c, AML walked, encoders.
 */
#include <stdlib.h>

#include "drivers/acpi.h"
#include "tests/unit/test.h"
#include "zones/platform/acpi/aml.h"
#include "zones/platform/acpi/tables.h"

#define BASE_GPA 0xE0000ull
#define CAP	 8192

/* ---- a zone's tables, mapped at BASE_GPA ------------------------------------ */

struct built {
	uint8_t *buf; /* exactly `used` bytes on the heap: ASan sees overreads */
	size_t used;
	uint64_t rsdp;
};

static struct built cur;

static const void *test_map(uint64_t phys, size_t len, void *ctx)
{
	const struct built *b = ctx;

	if (phys < BASE_GPA || phys - BASE_GPA > b->used || len > b->used - (phys - BASE_GPA))
		return NULL;
	return b->buf + (phys - BASE_GPA);
}

static const struct acpi_ctx actx = {test_map, &cur};

static void config_init(struct zone_acpi_config *c, uint32_t vcpus, uint32_t virtio)
{
	memset(c, 0, sizeof(*c));
	c->base_gpa = BASE_GPA;
	c->vcpu_count = vcpus;
	for (uint32_t i = 0; i < vcpus && i < ZONE_ACPI_MAX_VCPUS; i++)
		c->apic_ids[i] = i;
	c->ioapic_addr = 0xFEC00000;
	c->ioapic_id = 0;
	c->ioapic_gsi_base = 0;
	c->virtio_count = virtio;
	for (uint32_t i = 0; i < virtio && i < ZONE_ACPI_MAX_VIRTIO; i++) {
		c->virtio[i].addr = 0xD0000000ull + 0x1000ull * i;
		c->virtio[i].size = 0x200;
		c->virtio[i].gsi = 5 + i;
	}
}

/* The control zone's root bridge: a memory window below 4 GiB, one above, an
 * I/O window, then the boundary cases of each descriptor choice. */
static const struct zone_acpi_pci_window pci_windows[] = {
	{0xFE000000, 0x100000, false},	   /* DWordMemory */
	{0x380000000000, 0x200000, false}, /* QWordMemory */
	{0xC000, 0x100, true},		   /* WordIO */
	{0xFFFFF000, 0x1000, false},	   /* ends at 4 GiB: DWordMemory */
	{0xFFFFF000, 0x2000, false},	   /* crosses 4 GiB: QWordMemory */
	{0, 1ull << 32, false},		   /* _LEN 2^32: QWordMemory */
	{0, 0x10000, true},		   /* _LEN 0x10000: DWordIO */
};
#define PCI_BASIC_WINDOWS 3 /* the first three, for iasl */

static void config_pci(struct zone_acpi_config *c, uint32_t windows)
{
	config_init(c, 4, 3);
	c->pci_root = true;
	c->pci_window_count = windows;
	memcpy(c->pci_windows, pci_windows, windows * sizeof(pci_windows[0]));
}

/* Builds c into cur (an exact-size heap copy); 0 or -1. */
static int build(const struct zone_acpi_config *c)
{
	uint8_t *tmp = malloc(CAP);
	int r;

	free(cur.buf);
	memset(&cur, 0, sizeof(cur));
	r = zone_acpi_build(c, tmp, CAP, &cur.used, &cur.rsdp);
	if (r == 0) {
		cur.buf = malloc(cur.used);
		memcpy(cur.buf, tmp, cur.used);
	}
	free(tmp);
	return r;
}

static void done(void)
{
	free(cur.buf);
	memset(&cur, 0, sizeof(cur));
}

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = (v << 8) | p[n];
	return v;
}

static const uint8_t *at(uint64_t gpa)
{
	return cur.buf + (gpa - BASE_GPA);
}

static const uint8_t *find(const char *sig, uint32_t *len)
{
	const char *err = NULL;
	uint64_t pa = acpi_find_table(&actx, cur.rsdp, sig, len, &err);

	if (!pa) {
		printf("  acpi_find_table(%s): %s\n", sig, err);
		return NULL;
	}
	return at(pa);
}

/* The DSDT through FADT.X_DSDT, its header checked. */
static const uint8_t *find_dsdt(uint32_t *len)
{
	uint32_t flen;
	const uint8_t *f = find("FACP", &flen);
	const uint8_t *d;

	if (!f || flen < 148)
		return NULL;
	d = test_map(le(f + 140, 8), 36, &cur);
	if (!d || memcmp(d, "DSDT", 4) != 0)
		return NULL;
	*len = (uint32_t)le(d + 4, 4);
	return test_map(le(f + 140, 8), *len, &cur);
}

static void check_madt(uint32_t vcpus, const uint32_t *ids)
{
	uint32_t len;
	const uint8_t *m = find("APIC", &len);
	struct acpi_madt_info mi;
	const char *err = NULL;

	CHECK(m != NULL);
	if (!m)
		return;
	CHECK_EQ_U64(acpi_parse_madt(m, len, &mi, &err), 0);
	CHECK_EQ_U64(mi.lapic_addr, 0xFEE00000);
	CHECK_EQ_U64(le(m + 40, 4), 0); /* no PCAT_COMPAT */
	CHECK_EQ_U64(mi.cpu_count, vcpus);
	for (uint32_t i = 0; i < vcpus && i < mi.cpu_count; i++)
		CHECK_EQ_U64(mi.apic_ids[i], ids[i]);
	CHECK_EQ_U64(mi.ioapic_count, 1);
	CHECK_EQ_U64(mi.ioapics[0].addr, 0xFEC00000);
	CHECK_EQ_U64(mi.ioapics[0].id, 0);
	CHECK_EQ_U64(mi.ioapics[0].gsi_base, 0);
}

TEST(one_vcpu_parses_back)
{
	struct zone_acpi_config c;
	uint32_t ids[1] = {0};

	config_init(&c, 1, 0);
	CHECK_EQ_U64(build(&c), 0);
	CHECK(cur.rsdp >= BASE_GPA && cur.rsdp % 16 == 0);
	check_madt(1, ids);
	done();
}

TEST(four_vcpus_three_virtio_parse_back)
{
	struct zone_acpi_config c;
	uint32_t ids[4] = {0, 1, 2, 3};
	uint32_t len;

	config_init(&c, 4, 3);
	CHECK_EQ_U64(build(&c), 0);
	check_madt(4, ids);
	CHECK(find("FACP", &len) != NULL);
	CHECK_EQ_U64(len, 276);
	CHECK(find_dsdt(&len) != NULL);
	done();
}

TEST(x2apic_entries_for_ids_from_255)
{
	struct zone_acpi_config c;
	uint32_t ids[3] = {254, 255, 0x10000};
	uint32_t len;
	const uint8_t *m;

	config_init(&c, 3, 0);
	memcpy(c.apic_ids, ids, sizeof(ids));
	CHECK_EQ_U64(build(&c), 0);
	check_madt(3, ids);
	m = find("APIC", &len);
	if (m) {
		CHECK_EQ_U64(m[44], 0); /* 254: Processor Local APIC */
		CHECK_EQ_U64(m[52], 9); /* 255: Processor Local x2APIC */
		CHECK_EQ_U64(m[68], 9);
		CHECK_EQ_U64(le(m + 52 + 12, 4), 1); /* ACPI Processor UID */
	}
	done();
}

static void check_checksums(const struct zone_acpi_config *c)
{
	const char *sigs[] = {"FACP", "APIC"};
	const uint8_t *r, *t;
	uint32_t len;

	CHECK_EQ_U64(build(c), 0);
	r = at(cur.rsdp);
	CHECK(memcmp(r, "RSD PTR ", 8) == 0);
	CHECK_EQ_U64(r[15], 2);
	CHECK_EQ_U64(le(r + 20, 4), 36);
	CHECK_EQ_U64(acpi_checksum(r, 20), 0);
	CHECK_EQ_U64(acpi_checksum(r, 36), 0);
	t = at(le(r + 24, 8));
	CHECK(memcmp(t, "XSDT", 4) == 0);
	CHECK_EQ_U64(le(t + 4, 4), 36 + 16);
	CHECK_EQ_U64(acpi_checksum(t, le(t + 4, 4)), 0);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		t = find(sigs[i], &len);
		CHECK(t && acpi_checksum(t, len) == 0);
	}
	t = find_dsdt(&len);
	CHECK(t && acpi_checksum(t, len) == 0);
	done();
}

TEST(every_checksum_is_zero)
{
	struct zone_acpi_config c;

	config_init(&c, 4, 3);
	check_checksums(&c);
}

TEST(every_checksum_is_zero_with_a_pci_root)
{
	struct zone_acpi_config c;

	config_pci(&c, sizeof(pci_windows) / sizeof(pci_windows[0]));
	check_checksums(&c);
	config_pci(&c, 0);
	check_checksums(&c);
}

TEST(fadt_is_hardware_reduced_with_sleep_and_reset_registers)
{
	struct zone_acpi_config c;
	const uint8_t gas_600[12] = {1, 8, 0, 1, 0x00, 0x06};
	const uint8_t gas_601[12] = {1, 8, 0, 1, 0x01, 0x06};
	const uint8_t gas_604[12] = {1, 8, 0, 1, 0x04, 0x06};
	const uint8_t *f;
	uint32_t len, dlen;

	config_init(&c, 1, 1);
	CHECK_EQ_U64(build(&c), 0);
	f = find("FACP", &len);
	CHECK(f != NULL);
	if (!f) {
		done();
		return;
	}
	CHECK_EQ_U64(f[8], 6);	 /* revision */
	CHECK_EQ_U64(f[131], 4); /* minor version */
	CHECK_EQ_U64(le(f + 112, 4), (1u << 20) | (1u << 19) | (1u << 10) | (1u << 4) | (1u << 5));
	CHECK_EQ_U64(le(f + 109, 2) & 0x2, 0);	 /* no 8042 to probe: reset only */
	CHECK_EQ_U64(le(f + 109, 2) & 0x1, 0);	 /* no LEGACY_DEVICES */
	CHECK_EQ_U64(le(f + 109, 2) & 0x8, 0x8); /* MSI Not Supported: no PCI */
	CHECK_EQ_U64(le(f + 46, 2), 0);		 /* SCI_INT */
	CHECK_EQ_U64(f[45], 0);			 /* PM profile */
	CHECK(memcmp(f + 116, gas_604, 12) == 0);
	CHECK_EQ_U64(f[128], ZONE_ACPI_RESET_VALUE);
	CHECK(memcmp(f + 244, gas_600, 12) == 0);
	CHECK(memcmp(f + 256, gas_601, 12) == 0);
	CHECK_EQ_U64(le(f + 40, 4), 0); /* only X_DSDT */
	CHECK(find_dsdt(&dlen) != NULL);
	CHECK(memcmp(f + 268, "ZONEVSR ", 8) == 0);
	CHECK_EQ_U64(ZONE_ACPI_S5_WRITE, 0x34);
	done();
}

/* 5.2.9.3: passed-through functions interrupt by MSI, so a zone with a PCI
 * root must not say "MSI Not Supported" (Linux would call pci_no_msi()). */
TEST(fadt_allows_msi_with_a_pci_root)
{
	struct zone_acpi_config c;
	const uint8_t *f;
	uint32_t len;

	config_pci(&c, PCI_BASIC_WINDOWS);
	CHECK_EQ_U64(build(&c), 0);
	f = find("FACP", &len);
	CHECK(f != NULL);
	if (f)
		CHECK_EQ_U64(le(f + 109, 2), (1u << 2) | (1u << 5)); /* no VGA, no CMOS RTC */
	done();
}

TEST(oem_id_default_and_given)
{
	struct zone_acpi_config c;
	uint32_t len;
	const uint8_t *t;

	config_init(&c, 1, 0);
	CHECK_EQ_U64(build(&c), 0);
	CHECK(memcmp(at(cur.rsdp) + 9, "ZONEVS", 6) == 0);
	t = find("APIC", &len);
	CHECK(t && memcmp(t + 10, "ZONEVSZONEAPIC", 14) == 0);
	memcpy(c.oem_id, "AB", 2);
	CHECK_EQ_U64(build(&c), 0);
	CHECK(memcmp(at(cur.rsdp) + 9, "AB    ", 6) == 0);
	t = find("FACP", &len);
	CHECK(t && memcmp(t + 10, "AB    ZONEFACP", 14) == 0);
	done();
}

/* ---- walking the DSDT's AML --------------------------------------------------- */

/* 20.2.4: returns the PkgLength value and its size in *n, or 0 if malformed. */
static size_t pkglen_decode(const uint8_t *p, size_t avail, size_t *n)
{
	size_t follow, v;

	if (avail < 1)
		return 0;
	follow = p[0] >> 6;
	if (follow == 0) {
		*n = 1;
		return p[0] & 0x3F;
	}
	if (avail < follow + 1 || (p[0] & 0x30))
		return 0;
	v = p[0] & 0x0F;
	for (size_t i = 1; i <= follow; i++)
		v |= (size_t)p[i] << (4 + 8 * (i - 1));
	*n = follow + 1;
	return v;
}

/* 6.4.3.5: one Word/DWord/QWord address space descriptor, decoded. */
struct addr_desc {
	uint8_t tag, type, gflags, tflags;
	uint64_t gra, min, max, tra, len;
};

struct crs {
	int mem32, irq_ext, io, irq;
	uint32_t naddr;
	uint32_t base, size, gsi, int_flags;
	uint16_t io_min, io_len, irq_mask;
	struct addr_desc addr[24];
};

/* The bytes after tag and length: type, flags, then five fields of w bytes. */
static int addr_decode(const uint8_t *p, size_t dl, struct crs *out)
{
	unsigned w = p[0] == 0x88 ? 2 : p[0] == 0x87 ? 4 : 8;
	struct addr_desc *d = &out->addr[out->naddr];

	if (dl != 3 + 5 * w || out->naddr == 24)
		return -1;
	d->tag = p[0];
	d->type = p[3];
	d->gflags = p[4];
	d->tflags = p[5];
	d->gra = le(p + 6, w);
	d->min = le(p + 6 + w, w);
	d->max = le(p + 6 + 2 * w, w);
	d->tra = le(p + 6 + 3 * w, w);
	d->len = le(p + 6 + 4 * w, w);
	out->naddr++;
	return 0;
}

/* 6.4: walks one resource template's descriptors; 0, or -1 if malformed. */
static int walk_resources(const uint8_t *p, size_t n, struct crs *out)
{
	size_t i = 0;

	memset(out, 0, sizeof(*out));
	while (i < n) {
		uint8_t tag = p[i];

		if (tag == 0x79)
			return (i + 2 == n && acpi_checksum(p, n) == 0) ? 0 : -1;
		if (tag & 0x80) { /* large */
			size_t dl = le(p + i + 1, 2);

			if (tag == 0x86 && dl == 9) {
				out->mem32++;
				out->base = (uint32_t)le(p + i + 4, 4);
				out->size = (uint32_t)le(p + i + 8, 4);
			} else if (tag == 0x89 && dl == 6 && p[i + 4] == 1) {
				out->irq_ext++;
				out->int_flags = p[i + 3];
				out->gsi = (uint32_t)le(p + i + 5, 4);
			} else if (tag == 0x87 || tag == 0x88 || tag == 0x8A) {
				if (i + 3 + dl > n || addr_decode(p + i, dl, out))
					return -1;
			} else {
				return -1;
			}
			i += 3 + dl;
		} else { /* small */
			if (tag == 0x47) {
				out->io++;
				out->io_min = (uint16_t)le(p + i + 2, 2);
				out->io_len = p[i + 7];
			} else if (tag == 0x22) {
				out->irq++;
				out->irq_mask = (uint16_t)le(p + i + 1, 2);
			} else {
				return -1;
			}
			i += 1 + (tag & 7);
		}
	}
	return -1;
}

/* Decodes an AML integer at p; returns its size or 0. */
static size_t int_decode(const uint8_t *p, uint64_t *v)
{
	switch (p[0]) {
	case 0x00: *v = 0; return 1;
	case 0x01: *v = 1; return 1;
	case 0x0A: *v = p[1]; return 2;
	case 0x0B: *v = le(p + 1, 2); return 3;
	case 0x0C: *v = le(p + 1, 4); return 5;
	case 0x0E: *v = le(p + 1, 8); return 9;
	default: return 0;
	}
}

struct dev {
	char name[5];
	char hid_str[16];
	uint64_t hid_int, uid, cca, cid, seg, bbn;
	int has_cca, has_cid, has_seg, has_bbn;
	struct crs crs;
};

/* One Name(xxxx, object) in a device body; returns bytes used or 0. */
static size_t walk_name(const uint8_t *p, size_t n, struct dev *d)
{
	size_t k = 5, pl, pn;
	uint64_t v;

	if (n < 6 || p[0] != 0x08)
		return 0;
	if (p[5] == 0x0D) { /* String */
		size_t sl = strnlen((const char *)p + 6, n - 6);

		if (sl >= sizeof(d->hid_str) || 6 + sl >= n)
			return 0;
		memcpy(d->hid_str, p + 6, sl + 1);
		return 6 + sl + 1;
	}
	if (p[5] == 0x11) { /* Buffer: PkgLength, BufferSize, bytes */
		pl = pkglen_decode(p + 6, n - 6, &pn);
		if (!pl || 6 + pl > n)
			return 0;
		k = int_decode(p + 6 + pn, &v);
		if (!k || pn + k + v != pl)
			return 0;
		return walk_resources(p + 6 + pn + k, v, &d->crs) ? 0 : 6 + pl;
	}
	if (!(k = int_decode(p + 5, &v)))
		return 0;
	if (memcmp(p + 1, "_HID", 4) == 0)
		d->hid_int = v;
	else if (memcmp(p + 1, "_UID", 4) == 0)
		d->uid = v;
	else if (memcmp(p + 1, "_CCA", 4) == 0)
		d->cca = v, d->has_cca = 1;
	else if (memcmp(p + 1, "_CID", 4) == 0)
		d->cid = v, d->has_cid = 1;
	else if (memcmp(p + 1, "_SEG", 4) == 0)
		d->seg = v, d->has_seg = 1;
	else if (memcmp(p + 1, "_BBN", 4) == 0)
		d->bbn = v, d->has_bbn = 1;
	return 5 + k;
}

/* Device (xxxx) { Name... }: returns bytes used or 0. */
static size_t walk_device(const uint8_t *p, size_t n, struct dev *d)
{
	size_t pl, pn, i;

	memset(d, 0, sizeof(*d));
	if (n < 3 || p[0] != 0x5B || p[1] != 0x82)
		return 0;
	pl = pkglen_decode(p + 2, n - 2, &pn);
	if (!pl || 2 + pl > n || pl < pn + 4)
		return 0;
	memcpy(d->name, p + 2 + pn, 4);
	for (i = 2 + pn + 4; i < 2 + pl;) {
		size_t used = walk_name(p + i, 2 + pl - i, d);

		if (!used)
			return 0;
		i += used;
	}
	return i == 2 + pl ? i : 0;
}

struct dsdt_view {
	struct dev devs[16];
	int ndev;
	int s5_ok;
};

/* Scope (\_SB_) { devices } Name (\_S5_, Package (4) { 5, 5, 0, 0 }). */
static int walk_dsdt(const uint8_t *t, size_t len, struct dsdt_view *v)
{
	static const uint8_t s5[] = {0x08, '\\', '_',  'S',  '5',  '_',	 0x12, 0x08,
				     0x04, 0x0A, 0x05, 0x0A, 0x05, 0x00, 0x00};
	size_t pl, pn, i = 36, end;

	memset(v, 0, sizeof(*v));
	if (len < 36 + 2 || t[i] != 0x10)
		return -1;
	pl = pkglen_decode(t + i + 1, len - i - 1, &pn);
	end = i + 1 + pl;
	if (!pl || end > len || memcmp(t + i + 1 + pn, "\\_SB_", 5) != 0)
		return -1;
	for (i += 1 + pn + 5; i < end && v->ndev < 16; v->ndev++) {
		size_t used = walk_device(t + i, end - i, &v->devs[v->ndev]);

		if (!used)
			return -1;
		i += used;
	}
	if (i != end)
		return -1;
	v->s5_ok = len - end == sizeof(s5) && memcmp(t + end, s5, sizeof(s5)) == 0;
	return 0;
}

/* Every offset where s occurs in [p, p + n). */
static int count_string(const uint8_t *p, size_t n, const char *s)
{
	size_t sl = strlen(s);
	int count = 0;

	for (size_t i = 0; i + sl <= n; i++)
		count += memcmp(p + i, s, sl) == 0;
	return count;
}

TEST(dsdt_declares_com1_and_virtio_devices)
{
	struct zone_acpi_config c;
	struct dsdt_view v;
	const uint8_t *d;
	uint32_t len;

	config_init(&c, 4, 3);
	CHECK_EQ_U64(build(&c), 0);
	d = find_dsdt(&len);
	CHECK(d != NULL);
	if (!d) {
		done();
		return;
	}
	CHECK_EQ_U64(d[8], 2); /* revision 2: 64-bit integers */
	CHECK_EQ_U64(count_string(d, len, "LNRO0005"), 3);
	CHECK_EQ_U64(walk_dsdt(d, len, &v), 0);
	CHECK_EQ_U64(v.ndev, 4);
	CHECK(v.s5_ok);
	CHECK(memcmp(v.devs[0].name, "COM1", 4) == 0);
	CHECK_EQ_U64(v.devs[0].hid_int, 0x0105D041); /* EISAID("PNP0501") */
	CHECK_EQ_U64(v.devs[0].uid, 1);
	CHECK_EQ_U64(v.devs[0].crs.io, 1);
	CHECK_EQ_U64(v.devs[0].crs.io_min, 0x3F8);
	CHECK_EQ_U64(v.devs[0].crs.io_len, 8);
	CHECK_EQ_U64(v.devs[0].crs.irq_mask, 1u << 4);
	for (int i = 1; i < v.ndev; i++) {
		const struct dev *x = &v.devs[i];
		char name[5];

		snprintf(name, sizeof(name), "VR%02d", i - 1);
		CHECK(memcmp(x->name, name, 4) == 0);
		CHECK_STR(x->hid_str, "LNRO0005");
		CHECK_EQ_U64(x->uid, (uint64_t)(i - 1));
		CHECK(x->has_cca && x->cca == 1);
		CHECK_EQ_U64(x->crs.mem32, 1);
		CHECK_EQ_U64(x->crs.base, c.virtio[i - 1].addr);
		CHECK_EQ_U64(x->crs.size, c.virtio[i - 1].size);
		CHECK_EQ_U64(x->crs.irq_ext, 1);
		CHECK_EQ_U64(x->crs.gsi, c.virtio[i - 1].gsi);
		CHECK_EQ_U64(x->crs.int_flags, 0x03); /* consumer, edge, high, exclusive */
	}
	done();
}

TEST(eight_virtio_devices_and_sixty_four_vcpus)
{
	struct zone_acpi_config c;
	struct dsdt_view v;
	uint32_t ids[ZONE_ACPI_MAX_VCPUS];
	const uint8_t *d;
	uint32_t len;

	config_init(&c, ZONE_ACPI_MAX_VCPUS, ZONE_ACPI_MAX_VIRTIO);
	for (uint32_t i = 0; i < ZONE_ACPI_MAX_VCPUS; i++)
		ids[i] = c.apic_ids[i] = i * 2;
	CHECK_EQ_U64(build(&c), 0);
	check_madt(ZONE_ACPI_MAX_VCPUS, ids);
	d = find_dsdt(&len);
	CHECK(d && walk_dsdt(d, len, &v) == 0);
	CHECK_EQ_U64(v.ndev, 1 + ZONE_ACPI_MAX_VIRTIO);
	CHECK(memcmp(v.devs[8].name, "VR07", 4) == 0);
	CHECK_EQ_U64(v.devs[8].crs.base, 0xD0007000);
	done();
}

/* The window c->pci_windows[i] as descriptor d: the right kind, producer,
 * MinFixed | MaxFixed, positive decode, _MIN/_MAX/_LEN, _GRA = _TRA = 0. */
static void check_window(const struct zone_acpi_pci_window *w, const struct addr_desc *d)
{
	uint8_t tag = w->io ? (w->size <= 0xFFFF ? 0x88 : 0x87)
		      : (w->size < (1ull << 32) && w->base + w->size <= (1ull << 32)) ? 0x87
										      : 0x8A;

	CHECK_EQ_U64(d->tag, tag);
	CHECK_EQ_U64(d->type, w->io ? 1 : 0);
	CHECK_EQ_U64(d->gflags, 0x0C);
	CHECK_EQ_U64(d->tflags, w->io ? 0x03 : 0x01); /* EntireRange; ReadWrite, NonCacheable */
	CHECK_EQ_U64(d->gra, 0);
	CHECK_EQ_U64(d->min, w->base);
	CHECK_EQ_U64(d->max, w->base + w->size - 1);
	CHECK_EQ_U64(d->tra, 0);
	CHECK_EQ_U64(d->len, w->size);
}

TEST(dsdt_declares_the_pci_root_bridge)
{
	struct zone_acpi_config c;
	struct dsdt_view v;
	const struct dev *p;
	const uint8_t *d;
	uint32_t len, nwin = sizeof(pci_windows) / sizeof(pci_windows[0]);

	config_pci(&c, nwin);
	CHECK_EQ_U64(build(&c), 0);
	d = find_dsdt(&len);
	CHECK(d && walk_dsdt(d, len, &v) == 0);
	if (!d) {
		done();
		return;
	}
	CHECK_EQ_U64(v.ndev, 1 + 1 + 3);
	CHECK(v.s5_ok);
	CHECK(memcmp(v.devs[0].name, "COM1", 4) == 0);
	CHECK(memcmp(v.devs[2].name, "VR00", 4) == 0);
	p = &v.devs[1];
	CHECK(memcmp(p->name, "PCI0", 4) == 0);
	CHECK_EQ_U64(p->hid_int, 0x080AD041);	   /* EISAID("PNP0A08") */
	CHECK(p->has_cid && p->cid == 0x030AD041); /* EISAID("PNP0A03") */
	CHECK_EQ_U64(p->uid, 0);
	CHECK(p->has_seg && p->seg == 0);
	CHECK(p->has_bbn && p->bbn == 0);
	CHECK_EQ_U64(p->crs.io, 1); /* IO (Decode16, 0xCF8, 0xCF8, 1, 8) */
	CHECK_EQ_U64(p->crs.io_min, 0xCF8);
	CHECK_EQ_U64(p->crs.io_len, 8);
	CHECK_EQ_U64(p->crs.mem32 + p->crs.irq + p->crs.irq_ext, 0);
	CHECK_EQ_U64(p->crs.naddr, 1 + nwin);
	if (p->crs.naddr != 1 + nwin) {
		done();
		return;
	}
	CHECK_EQ_U64(p->crs.addr[0].tag, 0x88); /* WordBusNumber 0..0 */
	CHECK_EQ_U64(p->crs.addr[0].type, 2);
	CHECK_EQ_U64(p->crs.addr[0].gflags, 0x0C);
	CHECK_EQ_U64(p->crs.addr[0].min, 0);
	CHECK_EQ_U64(p->crs.addr[0].max, 0);
	CHECK_EQ_U64(p->crs.addr[0].len, 1);
	for (uint32_t i = 0; i < nwin; i++)
		check_window(&pci_windows[i], &p->crs.addr[1 + i]);
	done();
}

TEST(pci_root_without_windows_and_with_the_most)
{
	struct zone_acpi_config c;
	struct dsdt_view v;
	const uint8_t *d;
	uint32_t len;

	config_pci(&c, 0);
	CHECK_EQ_U64(build(&c), 0);
	d = find_dsdt(&len);
	CHECK(d && walk_dsdt(d, len, &v) == 0);
	CHECK_EQ_U64(v.devs[1].crs.naddr, 1);
	CHECK_EQ_U64(v.devs[1].crs.io, 1);
	c.pci_window_count = ZONE_ACPI_MAX_PCI_WINDOWS;
	for (uint32_t i = 0; i < ZONE_ACPI_MAX_PCI_WINDOWS; i++)
		c.pci_windows[i] = (struct zone_acpi_pci_window){
			0x400000000000ull + i * 0x100000000ull, 0x10000000, false};
	CHECK_EQ_U64(build(&c), 0);
	d = find_dsdt(&len);
	CHECK(d && walk_dsdt(d, len, &v) == 0);
	CHECK_EQ_U64(v.devs[1].crs.naddr, 1 + ZONE_ACPI_MAX_PCI_WINDOWS);
	for (uint32_t i = 0; i < ZONE_ACPI_MAX_PCI_WINDOWS && i + 1 < v.devs[1].crs.naddr; i++)
		check_window(&c.pci_windows[i], &v.devs[1].crs.addr[1 + i]);
	done();
}

/* ---- refusals and the bounded buffer ---------------------------------------- */

TEST(bad_configs_are_refused)
{
	struct zone_acpi_config c;
	uint8_t buf[CAP];
	size_t used = 1;
	uint64_t rsdp = 1;

	config_init(&c, 0, 0);
	CHECK_EQ_U64(zone_acpi_build(&c, buf, sizeof(buf), &used, &rsdp), -1);
	CHECK_EQ_U64(used, 0);
	CHECK_EQ_U64(rsdp, 0);
	config_init(&c, ZONE_ACPI_MAX_VCPUS + 1, 0);
	CHECK_EQ_U64(zone_acpi_build(&c, buf, sizeof(buf), &used, &rsdp), -1);
	config_init(&c, 1, ZONE_ACPI_MAX_VIRTIO + 1);
	CHECK_EQ_U64(zone_acpi_build(&c, buf, sizeof(buf), &used, &rsdp), -1);
	config_init(&c, 1, 0);
	c.base_gpa += 8;
	CHECK_EQ_U64(zone_acpi_build(&c, buf, sizeof(buf), &used, &rsdp), -1);
	config_init(&c, 1, 1);
	c.virtio[0].addr = 0xFFFFFF00;
	CHECK_EQ_U64(zone_acpi_build(&c, buf, sizeof(buf), &used, &rsdp), -1);
	c.virtio[0].addr = 1ull << 32;
	CHECK_EQ_U64(zone_acpi_build(&c, buf, sizeof(buf), &used, &rsdp), -1);
	config_init(&c, 1, 0);
	c.ioapic_id = 256;
	CHECK_EQ_U64(zone_acpi_build(&c, buf, sizeof(buf), &used, &rsdp), -1);
	config_init(&c, 1, 0);
	c.ioapic_addr = 1ull << 32;
	CHECK_EQ_U64(zone_acpi_build(&c, buf, sizeof(buf), &used, &rsdp), -1);
}

/* Each bad window or count refused, with nothing reported built. */
static void check_pci_refused(const struct zone_acpi_config *c)
{
	uint8_t buf[CAP];
	size_t used = 1;
	uint64_t rsdp = 1;

	CHECK_EQ_U64(zone_acpi_build(c, buf, sizeof(buf), &used, &rsdp), -1);
	CHECK_EQ_U64(used, 0);
	CHECK_EQ_U64(rsdp, 0);
}

TEST(bad_pci_windows_are_refused)
{
	struct zone_acpi_config c;

	config_pci(&c, PCI_BASIC_WINDOWS);
	c.pci_window_count = ZONE_ACPI_MAX_PCI_WINDOWS + 1;
	check_pci_refused(&c);
	config_pci(&c, PCI_BASIC_WINDOWS);
	c.pci_root = false; /* windows without a bridge */
	check_pci_refused(&c);
	config_pci(&c, PCI_BASIC_WINDOWS);
	c.pci_windows[1].size = 0;
	check_pci_refused(&c);
	config_pci(&c, PCI_BASIC_WINDOWS);
	c.pci_windows[2].size = 0; /* an empty I/O window */
	check_pci_refused(&c);
	config_pci(&c, PCI_BASIC_WINDOWS);
	c.pci_windows[1] = (struct zone_acpi_pci_window){~0ull - 0xFFF, 0x2000, false};
	check_pci_refused(&c);
	c.pci_windows[1] =
		(struct zone_acpi_pci_window){~0ull - 0xFFF, 0x1000, false}; /* to 2^64 */
	check_pci_refused(&c);
	c.pci_windows[1] = (struct zone_acpi_pci_window){~0ull - 0x1FFF, 0x1000, false};
	CHECK_EQ_U64(build(&c), 0); /* ends just below 2^64: fine */
	config_pci(&c, PCI_BASIC_WINDOWS);
	c.pci_windows[2] = (struct zone_acpi_pci_window){0xFFF0, 0x20, true};
	check_pci_refused(&c);
	c.pci_windows[2] = (struct zone_acpi_pci_window){0x10000, 0x10, true};
	check_pci_refused(&c);
	c.pci_windows[2] = (struct zone_acpi_pci_window){~0ull - 0xF, 0x20, true}; /* wraps */
	check_pci_refused(&c);
	c.pci_windows[2] = (struct zone_acpi_pci_window){0xFFF0, 0x10, true};
	CHECK_EQ_U64(build(&c), 0); /* ends at 0x10000: fine */
	done();
}

static void check_short_buffers(const struct zone_acpi_config *cfg)
{
	struct zone_acpi_config c = *cfg;
	uint8_t *ref = malloc(CAP);
	size_t full, used;
	uint64_t rsdp, ref_rsdp;

	CHECK_EQ_U64(zone_acpi_build(&c, ref, CAP, &full, &ref_rsdp), 0);
	for (size_t cap = 0; cap < full; cap++) {
		uint8_t *b = malloc(cap ? cap : 1); /* exact size: ASan reports any overrun */

		if (zone_acpi_build(&c, cap ? b : NULL, cap, &used, &rsdp) != -1 || used != full ||
		    rsdp != 0) {
			CHECK(!"short buffer accepted");
			printf("  cap %zu\n", cap);
			free(b);
			break;
		}
		free(b);
	}
	{
		uint8_t *b = malloc(full);

		CHECK_EQ_U64(zone_acpi_build(&c, b, full, &used, &rsdp), 0);
		CHECK_EQ_U64(used, full);
		CHECK_EQ_U64(rsdp, ref_rsdp);
		CHECK(memcmp(b, ref, full) == 0);
		free(b);
	}
	free(ref);
}

TEST(every_short_buffer_fails_without_writing_past_it)
{
	struct zone_acpi_config c;

	config_init(&c, 4, 3);
	check_short_buffers(&c);
	config_pci(&c, sizeof(pci_windows) / sizeof(pci_windows[0]));
	check_short_buffers(&c);
}

/* ---- encoders ---------------------------------------------------------------- */

static size_t enc(uint8_t *out, void (*fn)(struct aml *, const void *), const void *arg)
{
	struct aml a = {out, 64, 0};

	fn(&a, arg);
	return a.len;
}

static void do_pkglen(struct aml *a, const void *arg)
{
	aml_pkg_length(a, *(const size_t *)arg);
}

/* PkgLength for a body of n bytes is expect (nbytes long). */
static void check_pkglen(size_t n, const uint8_t *expect, size_t nbytes)
{
	uint8_t out[64];
	size_t got = enc(out, do_pkglen, &n), dn = 0;

	CHECK_EQ_U64(got, nbytes);
	CHECK(memcmp(out, expect, nbytes) == 0);
	CHECK_EQ_U64(pkglen_decode(out, got, &dn), n + nbytes);
	CHECK_EQ_U64(dn, nbytes);
}

TEST(pkg_length_at_the_boundaries)
{
	check_pkglen(0, (const uint8_t[]){0x01}, 1);
	check_pkglen(62, (const uint8_t[]){0x3F}, 1);	      /* 63: last 1-byte */
	check_pkglen(63, (const uint8_t[]){0x41, 0x04}, 2);   /* 65 */
	check_pkglen(64, (const uint8_t[]){0x42, 0x04}, 2);   /* 66 */
	check_pkglen(4093, (const uint8_t[]){0x4F, 0xFF}, 2); /* 4095: last 2-byte */
	check_pkglen(4094, (const uint8_t[]){0x81, 0x00, 0x01}, 3);
	check_pkglen(4095, (const uint8_t[]){0x82, 0x00, 0x01}, 3);
	check_pkglen(4096, (const uint8_t[]){0x83, 0x00, 0x01}, 3);
	check_pkglen(0xFFFFC, (const uint8_t[]){0x8F, 0xFF, 0xFF}, 3);
	check_pkglen(0xFFFFD, (const uint8_t[]){0xC1, 0x00, 0x00, 0x01}, 4);
	check_pkglen(0xFFFFFFB, (const uint8_t[]){0xCF, 0xFF, 0xFF, 0xFF}, 4);
	{
		uint8_t out[8];
		struct aml a = {out, sizeof(out), 0};

		CHECK_EQ_U64(aml_pkg_length(&a, 0xFFFFFFC), 0);
		CHECK_EQ_U64(aml_pkg_length(&a, SIZE_MAX), 0);
		CHECK_EQ_U64(a.len, 0);
	}
}

TEST(pkg_length_round_trips_for_every_small_size)
{
	for (size_t n = 0; n < 70000; n++) {
		uint8_t out[8];
		struct aml a = {out, sizeof(out), 0};
		size_t k = aml_pkg_length(&a, n), dn = 0;

		if (k != a.len || pkglen_decode(out, k, &dn) != n + k || dn != k ||
		    k != (n + 1 <= 63	  ? 1u
			  : n + 2 <= 4095 ? 2u
					  : 3u)) {
			CHECK(!"PkgLength round trip");
			printf("  n %zu\n", n);
			return;
		}
	}
}

static void filler(struct aml *a, const void *arg)
{
	for (size_t i = 0; i < *(const size_t *)arg; i++)
		aml_byte(a, 0xA3); /* NoopOp */
}

/* A Device whose whole body (name included) is body bytes decodes to exactly that. */
TEST(device_package_lengths_at_the_boundaries)
{
	const size_t bodies[] = {63, 64, 4095, 4096};

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		uint8_t *out = malloc(8192);
		struct aml a = {out, 8192, 0};
		size_t fill = bodies[i] - 4, pl, pn = 0;

		aml_device(&a, "DEV0", filler, &fill);
		pl = pkglen_decode(out + 2, a.len - 2, &pn);
		CHECK_EQ_U64(pl, bodies[i] + pn);
		CHECK_EQ_U64(a.len, 2 + pn + bodies[i]);
		CHECK_EQ_U64(pn, bodies[i] + 1 <= 63 ? 1 : bodies[i] + 2 <= 4095 ? 2 : 3);
		CHECK(memcmp(out + 2 + pn, "DEV0", 4) == 0);
		free(out);
	}
}

static void do_name(struct aml *a, const void *arg)
{
	aml_name_string(a, arg);
}

static void do_int(struct aml *a, const void *arg)
{
	aml_integer(a, *(const uint64_t *)arg);
}

TEST(name_strings)
{
	uint8_t out[64];

	CHECK_EQ_U64(enc(out, do_name, "_HID"), 4);
	CHECK(memcmp(out, "_HID", 4) == 0);
	CHECK_EQ_U64(enc(out, do_name, "\\_SB"), 5);
	CHECK(memcmp(out, "\\_SB_", 5) == 0);
	CHECK_EQ_U64(enc(out, do_name, "\\_SB_.VR00"), 10);
	CHECK(memcmp(out, "\\\x2E_SB_VR00", 10) == 0);
	CHECK_EQ_U64(enc(out, do_name, "A.BB.CCC"), 14);
	CHECK(memcmp(out,
		     "\x2F\x03"
		     "A___BB__CCC_",
		     14) == 0);
	CHECK_EQ_U64(enc(out, do_name, "\\"), 2);
	CHECK(memcmp(out, "\\\0", 2) == 0);
}

TEST(integers_use_the_smallest_encoding)
{
	const struct {
		uint64_t v;
		size_t n;
		uint8_t first;
	} cases[] = {
		{0, 1, 0x00},	    {1, 1, 0x01},	   {2, 2, 0x0A},
		{0xFF, 2, 0x0A},    {0x100, 3, 0x0B},	   {0xFFFF, 3, 0x0B},
		{0x10000, 5, 0x0C}, {0xFFFFFFFF, 5, 0x0C}, {0x100000000ull, 9, 0x0E},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t out[64];
		uint64_t v = 0;

		CHECK_EQ_U64(enc(out, do_int, &cases[i].v), cases[i].n);
		CHECK_EQ_U64(out[0], cases[i].first);
		CHECK_EQ_U64(int_decode(out, &v), cases[i].n);
		CHECK_EQ_U64(v, cases[i].v);
	}
}

TEST(eisaid_encoding)
{
	CHECK_EQ_U64(aml_eisaid("PNP0501"), 0x0105D041);
	CHECK_EQ_U64(aml_eisaid("PNP0A03"), 0x030AD041);
	CHECK_EQ_U64(aml_eisaid("PNP050"), 0);
	CHECK_EQ_U64(aml_eisaid("pnp0501"), 0);
	CHECK_EQ_U64(aml_eisaid("PNP05G1"), 0);
	CHECK_EQ_U64(aml_eisaid("PNP05011"), 0);
}

static void two_resources(struct aml *a, const void *arg)
{
	(void)arg;
	aml_res_memory32_fixed(a, true, 0xD0000000, 0x200);
	aml_res_interrupt(a, false, true, 40);
}

static void do_template(struct aml *a, const void *arg)
{
	aml_resource_template(a, two_resources, arg);
}

TEST(resource_template_bytes)
{
	static const uint8_t expect[] = {
		0x11, 0x1A, 0x0A, 0x17, /* Buffer (23) */
		0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xD0, 0x00, 0x02, 0x00,
		0x00, 0x89, 0x06, 0x00, 0x05, 0x01, 0x28, 0x00, 0x00, 0x00, /* level, low */
		0x79,
	};
	uint8_t out[64];
	struct crs crs;

	CHECK_EQ_U64(enc(out, do_template, NULL), sizeof(expect) + 1);
	CHECK(memcmp(out, expect, sizeof(expect)) == 0);
	CHECK_EQ_U64(acpi_checksum(out + 4, 23), 0);
	CHECK_EQ_U64(walk_resources(out + 4, 23, &crs), 0);
	CHECK_EQ_U64(crs.int_flags, 0x05);
	CHECK_EQ_U64(crs.gsi, 40);
}

struct addr_case {
	int kind; /* 0 bus, 1 word I/O, 2 dword I/O, 3 dword memory, 4 qword memory */
	uint64_t a, b;
};

static void do_addr(struct aml *a, const void *arg)
{
	const struct addr_case *k = arg;

	switch (k->kind) {
	case 0: aml_res_word_bus(a, (uint16_t)k->a, (uint16_t)k->b); break;
	case 1: aml_res_word_io(a, (uint16_t)k->a, (uint16_t)k->b); break;
	case 2: aml_res_dword_io(a, (uint32_t)k->a, (uint32_t)k->b); break;
	case 3: aml_res_dword_memory(a, (uint32_t)k->a, (uint32_t)k->b); break;
	default: aml_res_qword_memory(a, k->a, k->b); break;
	}
}

static void check_addr_bytes(struct addr_case k, const uint8_t *expect, size_t n)
{
	uint8_t out[64];

	CHECK_EQ_U64(enc(out, do_addr, &k), n);
	CHECK(memcmp(out, expect, n) == 0);
}

/* 6.4.3.5.1-3, by hand: tag, length (2 bytes), type, general flags 0x0C
 * (MaxFixed | MinFixed, PosDecode, producer), type-specific flags, then
 * _GRA, _MIN, _MAX, _TRA, _LEN little-endian. */
TEST(address_space_descriptor_bytes)
{
	check_addr_bytes((struct addr_case){0, 0, 0}, /* WordBusNumber 0..0 */
			 (const uint8_t[]){0x88, 0x0D, 0x00, 0x02, 0x0C, 0x00, 0x00, 0x00, 0x00,
					   0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00},
			 16);
	check_addr_bytes((struct addr_case){0, 0x10, 0x1F}, /* WordBusNumber 0x10..0x1F */
			 (const uint8_t[]){0x88, 0x0D, 0x00, 0x02, 0x0C, 0x00, 0x00, 0x00, 0x10,
					   0x00, 0x1F, 0x00, 0x00, 0x00, 0x10, 0x00},
			 16);
	check_addr_bytes((struct addr_case){1, 0xC000, 0x100}, /* WordIO, EntireRange */
			 (const uint8_t[]){0x88, 0x0D, 0x00, 0x01, 0x0C, 0x03, 0x00, 0x00, 0x00,
					   0xC0, 0xFF, 0xC0, 0x00, 0x00, 0x00, 0x01},
			 16);
	check_addr_bytes((struct addr_case){2, 0, 0x10000}, /* DWordIO, all ports */
			 (const uint8_t[]){0x87, 0x17, 0x00, 0x01, 0x0C, 0x03, 0x00, 0x00, 0x00,
					   0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00,
					   0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00},
			 26);
	check_addr_bytes((struct addr_case){3, 0xFE000000, 0x100000}, /* DWordMemory, RW, UC */
			 (const uint8_t[]){0x87, 0x17, 0x00, 0x00, 0x0C, 0x01, 0x00, 0x00, 0x00,
					   0x00, 0x00, 0x00, 0x00, 0xFE, 0xFF, 0xFF, 0x0F, 0xFE,
					   0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00},
			 26);
	/* QWordMemory, RW, UC: 6 bytes of head, then _GRA, _MIN, _MAX, _TRA, _LEN */
	check_addr_bytes((struct addr_case){4, 0x380000000000, 0x200000},
			 (const uint8_t[]){0x8A, 0x2B, 0x00, 0x00, 0x0C, 0x01, 0x00, 0x00,
					   0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
					   0x00, 0x00, 0x00, 0x38, 0x00, 0x00, 0xFF, 0xFF,
					   0x1F, 0x00, 0x00, 0x38, 0x00, 0x00, 0x00, 0x00,
					   0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
					   0x20, 0x00, 0x00, 0x00, 0x00, 0x00},
			 46);
}

/* PCI0's whole _CRS with an I/O and a memory window, as bytes: Buffer (68). */
TEST(pci_root_crs_bytes)
{
	/* Name (_CRS, Buffer (68) { WordBusNumber 0..0, IO (Decode16, 0xCF8,
	 * 0xCF8, 1, 8), WordIO 0xC000-0xC0FF, DWordMemory 0xFE000000-0xFE0FFFFF,
	 * End Tag (its checksum follows) }). */
	static const uint8_t crs[] = {
		0x08, '_',  'C',  'R',	'S',  0x11, 0x48, 0x04, 0x0A, 0x44, 0x88, 0x0D, 0x00,
		0x02, 0x0C, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
		0x47, 0x01, 0xF8, 0x0C, 0xF8, 0x0C, 0x01, 0x08, 0x88, 0x0D, 0x00, 0x01, 0x0C,
		0x03, 0x00, 0x00, 0x00, 0xC0, 0xFF, 0xC0, 0x00, 0x00, 0x00, 0x01, 0x87, 0x17,
		0x00, 0x00, 0x0C, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFE, 0xFF,
		0xFF, 0x0F, 0xFE, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x79};
	struct zone_acpi_config c;
	const uint8_t *d;
	uint32_t len;

	config_pci(&c, 0);
	c.pci_window_count = 2;
	c.pci_windows[0] = pci_windows[2];
	c.pci_windows[1] = pci_windows[0];
	CHECK_EQ_U64(build(&c), 0);
	d = find_dsdt(&len);
	CHECK(d != NULL);
	if (d) {
		size_t at_crs = 0;

		for (size_t i = 0; i + sizeof(crs) <= len && !at_crs; i++)
			if (memcmp(d + i, crs, sizeof(crs)) == 0)
				at_crs = i;
		CHECK(at_crs != 0);
		if (at_crs)
			CHECK_EQ_U64(acpi_checksum(d + at_crs + 10, 68), 0); /* End Tag checksum */
	}
	done();
}

/* Writes len bytes at t to dir/name.dat. */
static void dump_table(const char *dir, const char *name, const uint8_t *t, uint32_t len)
{
	char path[512];
	FILE *f = NULL;

	snprintf(path, sizeof(path), "%s/%s.dat", dir, name);
	CHECK(t && (f = fopen(path, "wb")) != NULL);
	if (t && f) {
		CHECK_EQ_U64(fwrite(t, 1, len, f), len);
		fclose(f);
	}
}

/* ZV_ACPI_DUMP=dir writes the tables of the 4-vCPU, 3-virtio zone, and as
 * DSDTPCI the DSDT of that zone with a PCI root bridge and three windows
 * (memory below and above 4 GiB, I/O), for tests/unit/acpi-iasl-check. */
TEST(dump_for_iasl_when_asked)
{
	const char *dir = getenv("ZV_ACPI_DUMP");
	const char *sigs[] = {"XSDT", "FACP", "APIC", "DSDT"};
	struct zone_acpi_config c;
	uint32_t len = 0;
	const uint8_t *t;

	if (!dir)
		return;
	config_init(&c, 4, 3);
	CHECK_EQ_U64(build(&c), 0);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (i == 0) {
			t = at(le(at(cur.rsdp) + 24, 8));
			len = (uint32_t)le(t + 4, 4);
		} else {
			t = i < 3 ? find(sigs[i], &len) : find_dsdt(&len);
		}
		dump_table(dir, sigs[i], t, len);
	}
	config_pci(&c, PCI_BASIC_WINDOWS);
	CHECK_EQ_U64(build(&c), 0);
	t = find_dsdt(&len);
	dump_table(dir, "DSDTPCI", t, len);
	done();
}
