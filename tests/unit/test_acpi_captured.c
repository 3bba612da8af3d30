/* ACPI parsing on tables captured from QEMU q35 + OVMF (tools/capture-acpi), intact and corrupted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/acpi.h"
#include "tests/unit/test.h"

#define MAX_TABLES 8

struct blob {
	uint64_t phys;
	uint8_t data[4096];
	size_t len;
};

struct capture {
	struct blob t[MAX_TABLES];
	int n;
	uint64_t rsdp;
};

static int load(const char *name, struct capture *c)
{
	char path[256], hex[8300];
	FILE *f;

	snprintf(path, sizeof(path), "tests/unit/data/%s.acpi", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	memset(c, 0, sizeof(*c));
	while (c->n < MAX_TABLES && fscanf(f, "%lx %8299s", &c->t[c->n].phys, hex) == 2) {
		struct blob *b = &c->t[c->n++];

		for (b->len = 0; hex[2 * b->len] && b->len < sizeof(b->data); b->len++)
			sscanf(hex + 2 * b->len, "%2hhx", &b->data[b->len]);
		if (!memcmp(b->data, "RSD PTR ", 8))
			c->rsdp = b->phys;
	}
	fclose(f);
	return c->rsdp ? 0 : -1;
}

static const void *map(uint64_t phys, size_t len, void *ctx)
{
	struct capture *c = ctx;

	for (int i = 0; i < c->n; i++)
		if (phys >= c->t[i].phys && phys + len <= c->t[i].phys + c->t[i].len)
			return c->t[i].data + (phys - c->t[i].phys);
	return NULL;
}

static struct blob *find(struct capture *c, const char *sig)
{
	for (int i = 0; i < c->n; i++)
		if (!memcmp(c->t[i].data, sig, 4))
			return &c->t[i];
	return NULL;
}

static int parse(struct capture *c, struct acpi_madt_info *m, const char **err)
{
	struct acpi_ctx a = {map, c};
	uint32_t len;
	uint64_t pa = acpi_find_table(&a, c->rsdp, "APIC", &len, err);

	if (!pa)
		return -1;
	return acpi_parse_madt(map(pa, len, c), len, m, err);
}

static void check_capture(const char *name, uint32_t cpus)
{
	static struct capture c;
	struct acpi_madt_info m;
	const char *err = NULL;

	CHECK(load(name, &c) == 0);
	CHECK(parse(&c, &m, &err) == 0);
	CHECK_EQ_U64(m.cpu_count, cpus);
	for (uint32_t i = 0; i < cpus && i < m.cpu_count; i++)
		CHECK_EQ_U64(m.apic_ids[i], i);
	CHECK_EQ_U64(m.ioapic_count, 1);
	CHECK_EQ_U64(m.ioapics[0].addr, 0xfec00000);
	CHECK_EQ_U64(m.lapic_addr, 0xfee00000);
}

TEST(captured_q35_smp4_madt)
{
	check_capture("qemu-q35-smp4", 4);
}

TEST(captured_q35_smp1_madt)
{
	check_capture("qemu-q35-smp1", 1);
}

/* Every single-byte corruption of the captured MADT is either caught (a
 * checksum or structure error) or still parses within bounds (ASan). */
TEST(captured_madt_every_byte_flipped)
{
	static struct capture c;
	struct acpi_madt_info m;
	const char *err;
	struct blob *madt;
	int caught = 0;

	CHECK(load("qemu-q35-smp4", &c) == 0);
	madt = find(&c, "APIC");
	CHECK(madt != NULL);
	if (!madt)
		return;
	for (size_t i = 0; i < madt->len; i++) {
		madt->data[i] ^= 0x5a;
		caught += parse(&c, &m, &err) != 0;
		madt->data[i] ^= 0x5a;
	}
	CHECK_EQ_U64(caught, madt->len); /* the checksum covers every byte */
}

TEST(captured_tables_truncated_or_bad_checksum)
{
	static struct capture c;
	struct acpi_madt_info m;
	const char *err;
	struct blob *xsdt;

	CHECK(load("qemu-q35-smp4", &c) == 0);
	xsdt = find(&c, "XSDT");
	CHECK(xsdt != NULL);
	if (!xsdt)
		return;
	xsdt->data[9] ^= 1; /* checksum byte */
	CHECK(parse(&c, &m, &err) != 0);
	xsdt->data[9] ^= 1;
	xsdt->len = 40; /* table claims more than is mapped */
	CHECK(parse(&c, &m, &err) != 0);
}
