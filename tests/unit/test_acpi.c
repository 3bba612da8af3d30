/* Unit tests of drivers/acpi.c over QEMU-q35-like tables built here, then corrupted. */
#include <stdlib.h>

#include "drivers/acpi.h"
#include "tests/unit/test.h"

/* ---- building tables ---------------------------------------------------- */

struct blob {
	uint8_t b[4096];
	uint32_t len;
};

static void put(struct blob *t, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		t->b[t->len++] = (uint8_t)(v >> (8 * i));
}

static void put_zeros(struct blob *t, unsigned n)
{
	memset(t->b + t->len, 0, n);
	t->len += n;
}

static void put_str(struct blob *t, const char *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		t->b[t->len++] = (uint8_t)s[i];
}

static void set32(struct blob *t, uint32_t off, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		t->b[off + i] = (uint8_t)(v >> (8 * i));
}

static uint8_t sum(const uint8_t *p, uint32_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* ACPI 6.5 5.2.6: a 36-byte header; sdt_finish() fills length and checksum. */
static void sdt_begin(struct blob *t, const char *sig)
{
	t->len = 0;
	put_str(t, sig, 4);
	put(t, 0, 4); /* length */
	put(t, 1, 1); /* revision */
	put(t, 0, 1); /* checksum */
	put_str(t, "BOCHS ", 6);
	put_str(t, "BXPC    ", 8);
	put(t, 1, 4);
	put_str(t, "BXPC", 4);
	put(t, 1, 4);
}

static void fix_checksum(struct blob *t)
{
	t->b[9] = 0;
	t->b[9] = (uint8_t)(0 - sum(t->b, t->len));
}

static void sdt_finish(struct blob *t)
{
	set32(t, 4, t->len);
	fix_checksum(t);
}

/* ACPI 6.5 5.2.5.3: revision 0 is the 20-byte ACPI 1.0 RSDP. */
static void make_rsdp(struct blob *t, uint8_t rev, uint32_t rsdt, uint64_t xsdt)
{
	t->len = 0;
	put_str(t, "RSD PTR ", 8);
	put(t, 0, 1);
	put_str(t, "BOCHS ", 6);
	put(t, rev, 1);
	put(t, rsdt, 4);
	if (rev >= 2) {
		put(t, 36, 4);
		put(t, xsdt, 8);
		put(t, 0, 1);
		put(t, 0, 3);
	}
	t->b[8] = (uint8_t)(0 - sum(t->b, 20));
	if (rev >= 2)
		t->b[32] = (uint8_t)(0 - sum(t->b, t->len));
}

static void madt_begin(struct blob *t)
{
	sdt_begin(t, "APIC");
	put(t, 0xfee00000, 4); /* local APIC address */
	put(t, 1, 4);	       /* PCAT_COMPAT */
}

static void madt_lapic(struct blob *t, uint8_t uid, uint8_t id, uint32_t flags)
{
	put(t, 0, 1), put(t, 8, 1), put(t, uid, 1), put(t, id, 1), put(t, flags, 4);
}

static void madt_ioapic(struct blob *t, uint8_t id, uint32_t addr, uint32_t gsi)
{
	put(t, 1, 1), put(t, 12, 1), put(t, id, 1), put(t, 0, 1);
	put(t, addr, 4), put(t, gsi, 4);
}

static void madt_iso(struct blob *t, uint8_t src, uint32_t gsi, uint16_t flags)
{
	put(t, 2, 1), put(t, 10, 1), put(t, 0, 1), put(t, src, 1);
	put(t, gsi, 4), put(t, flags, 2);
}

static void madt_x2apic(struct blob *t, uint32_t id, uint32_t flags, uint32_t uid)
{
	put(t, 9, 1), put(t, 16, 1), put(t, 0, 2), put(t, id, 4);
	put(t, flags, 4), put(t, uid, 4);
}

/* What QEMU 7.2 builds for -machine q35 -smp 4. */
static void make_q35_madt(struct blob *t)
{
	madt_begin(t);
	for (uint8_t i = 0; i < 4; i++)
		madt_lapic(t, i, i, 1);
	madt_ioapic(t, 0, 0xfec00000, 0);
	madt_iso(t, 0, 2, 0);
	madt_iso(t, 5, 5, 0xd);
	madt_iso(t, 9, 9, 0xd);
	madt_iso(t, 10, 10, 0xd);
	madt_iso(t, 11, 11, 0xd);
	put(t, 4, 1), put(t, 6, 1), put(t, 0xff, 1), put(t, 0, 2), put(t, 1, 1); /* LAPIC NMI */
	sdt_finish(t);
}

/* ---- the physical memory the tests map ---------------------------------- */

#define RSDP_PHYS 0x7fbfa014ULL /* deliberately not 8-byte aligned */
#define RSDT_PHYS 0x7fbe1000ULL
#define XSDT_PHYS 0x7fbe2000ULL
#define FACP_PHYS 0x7fbe3000ULL
#define MADT_PHYS 0x7fbe4003ULL
#define HPET_PHYS 0x7fbe5000ULL

enum { R_RSDP, R_RSDT, R_XSDT, R_FACP, R_MADT, R_HPET, R_COUNT };

static const uint64_t region_phys[R_COUNT] = {
	RSDP_PHYS, RSDT_PHYS, XSDT_PHYS, FACP_PHYS, MADT_PHYS, HPET_PHYS,
};
static struct blob tables[R_COUNT];
static uint8_t *mapped[R_COUNT]; /* exact-size heap copies: ASan sees overreads */
static unsigned map_calls;

static const void *test_map(uint64_t phys, size_t len, void *ctx)
{
	(void)ctx;
	map_calls++;
	for (int i = 0; i < R_COUNT; i++) {
		uint64_t p = region_phys[i];

		if (mapped[i] && phys >= p && phys - p <= tables[i].len &&
		    len <= tables[i].len - (phys - p))
			return mapped[i] + (phys - p);
	}
	return NULL;
}

static const struct acpi_ctx actx = {test_map, NULL};

/* Makes the heap copies match tables[] (call after editing a blob). */
static void remap(void)
{
	for (int i = 0; i < R_COUNT; i++) {
		free(mapped[i]);
		mapped[i] = NULL;
		if (tables[i].len) {
			mapped[i] = malloc(tables[i].len);
			memcpy(mapped[i], tables[i].b, tables[i].len);
		}
	}
}

static void make_root(struct blob *t, const char *sig, unsigned esize)
{
	sdt_begin(t, sig);
	put(t, FACP_PHYS, esize);
	put(t, MADT_PHYS, esize);
	put(t, HPET_PHYS, esize);
	sdt_finish(t);
}

/* A full QEMU-like set: RSDP rev 2 -> XSDT (and RSDT) -> FACP, APIC, HPET. */
static void make_tables(void)
{
	memset(tables, 0, sizeof(tables));
	make_rsdp(&tables[R_RSDP], 2, RSDT_PHYS, XSDT_PHYS);
	make_root(&tables[R_RSDT], "RSDT", 4);
	make_root(&tables[R_XSDT], "XSDT", 8);
	sdt_begin(&tables[R_FACP], "FACP");
	put_zeros(&tables[R_FACP], 208);
	sdt_finish(&tables[R_FACP]);
	make_q35_madt(&tables[R_MADT]);
	sdt_begin(&tables[R_HPET], "HPET");
	put_zeros(&tables[R_HPET], 20);
	sdt_finish(&tables[R_HPET]);
	remap();
}

static uint64_t find(const char *sig, uint32_t *len, const char **err)
{
	*err = NULL;
	return acpi_find_table(&actx, RSDP_PHYS, sig, len, err);
}

#define CHECK_FIND_ERR(sig, msg)                      \
	do {                                          \
		uint32_t l_ = 99;                     \
		const char *e_;                       \
		CHECK_EQ_U64(find(sig, &l_, &e_), 0); \
		CHECK_EQ_U64(l_, 0);                  \
		CHECK_STR(e_, msg);                   \
	} while (0)

/* Parses bytes from an exact-size heap copy. */
static int parse(const uint8_t *b, uint32_t len, struct acpi_madt_info *mi, const char **err)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	memcpy(copy, b, len);
	*err = NULL;
	rc = acpi_parse_madt(copy, len, mi, err);
	free(copy);
	return rc;
}

static struct acpi_madt_info mi;

#define CHECK_MADT_ERR(t, msg)                                       \
	do {                                                         \
		const char *e_;                                      \
		CHECK_EQ_U64(parse((t)->b, (t)->len, &mi, &e_), -1); \
		CHECK_STR(e_, msg);                                  \
		CHECK_EQ_U64(mi.cpu_count, 0);                       \
	} while (0)

/* ---- tests -------------------------------------------------------------- */

TEST(checksum)
{
	static const uint8_t b[] = {1, 2, 3, 0xfa};

	CHECK_EQ_U64(acpi_checksum(b, 4), 0);
	CHECK_EQ_U64(acpi_checksum(b, 3), 6);
	CHECK_EQ_U64(acpi_checksum(b, 0), 0);
}

TEST(find_through_xsdt)
{
	uint32_t len;
	const char *err;

	make_tables();
	CHECK_EQ_U64(find("APIC", &len, &err), MADT_PHYS);
	CHECK_EQ_U64(len, tables[R_MADT].len);
	CHECK(err == NULL);
	CHECK_EQ_U64(find("FACP", &len, &err), FACP_PHYS);
	CHECK_EQ_U64(len, 244);
	CHECK_EQ_U64(find("HPET", &len, &err), HPET_PHYS);
	CHECK_FIND_ERR("SSDT", "ACPI table not found");
	/* The RSDT is not used when an XSDT exists: breaking it changes nothing. */
	tables[R_RSDT].b[0] = 'X';
	remap();
	CHECK_EQ_U64(find("APIC", &len, &err), MADT_PHYS);
}

TEST(find_through_rsdt_v1)
{
	uint32_t len;
	const char *err;

	make_tables();
	make_rsdp(&tables[R_RSDP], 0, RSDT_PHYS, 0);
	CHECK_EQ_U64(tables[R_RSDP].len, 20); /* only 20 bytes are mapped */
	remap();
	CHECK_EQ_U64(find("APIC", &len, &err), MADT_PHYS);
	CHECK_EQ_U64(len, tables[R_MADT].len);
	tables[R_XSDT].len = 0; /* and no XSDT at all */
	remap();
	CHECK_EQ_U64(find("HPET", &len, &err), HPET_PHYS);
	/* Revision 2 with XsdtAddress 0 falls back to the RSDT. */
	make_rsdp(&tables[R_RSDP], 2, RSDT_PHYS, 0);
	remap();
	CHECK_EQ_U64(find("APIC", &len, &err), MADT_PHYS);
}

TEST(rsdp_corruptions)
{
	make_tables();
	tables[R_RSDP].b[3] = 'p';
	remap();
	CHECK_FIND_ERR("APIC", "RSDP signature wrong");

	make_tables();
	tables[R_RSDP].b[8]++;
	tables[R_RSDP].b[32]--; /* keep the extended sum right: only v1 is wrong */
	remap();
	CHECK_FIND_ERR("APIC", "RSDP checksum wrong");

	make_tables();
	tables[R_RSDP].b[33] = 1; /* reserved byte: only the extended sum covers it */
	remap();
	CHECK_FIND_ERR("APIC", "RSDP extended checksum wrong");

	make_tables();
	set32(&tables[R_RSDP], 20, 20); /* length below 36 */
	remap();
	CHECK_FIND_ERR("APIC", "RSDP length wrong");

	make_tables();
	set32(&tables[R_RSDP], 20, 0x7fffffff);
	remap();
	CHECK_FIND_ERR("APIC", "RSDP length wrong");

	make_tables();
	set32(&tables[R_RSDP], 20, 40); /* longer than what is mapped */
	remap();
	CHECK_FIND_ERR("APIC", "RSDP not mapped");

	make_tables();
	tables[R_RSDP].len = 19;
	remap();
	CHECK_FIND_ERR("APIC", "RSDP not mapped");

	make_tables();
	tables[R_RSDP].len = 30; /* says revision 2, but only v1 fits */
	remap();
	CHECK_FIND_ERR("APIC", "RSDP not mapped");

	uint32_t len;
	const char *err = NULL;
	CHECK_EQ_U64(acpi_find_table(&actx, 0, "APIC", &len, &err), 0);
	CHECK_STR(err, "RSDP not mapped");
	CHECK_EQ_U64(acpi_find_table(&actx, 0x1234, "APIC", &len, &err), 0);
	CHECK_STR(err, "RSDP not mapped");
}

TEST(root_table_corruptions)
{
	make_tables();
	tables[R_XSDT].b[20]++;
	remap();
	CHECK_FIND_ERR("APIC", "ACPI table checksum wrong");

	make_tables();
	tables[R_XSDT].b[0] = 'R';
	fix_checksum(&tables[R_XSDT]);
	remap();
	CHECK_FIND_ERR("APIC", "XSDT signature wrong");

	make_tables();
	tables[R_XSDT].len -= 4; /* 2.5 entries */
	sdt_finish(&tables[R_XSDT]);
	remap();
	CHECK_FIND_ERR("APIC", "XSDT length not a multiple of 8");

	make_tables();
	make_rsdp(&tables[R_RSDP], 0, RSDT_PHYS, 0);
	tables[R_RSDT].len -= 2;
	sdt_finish(&tables[R_RSDT]);
	remap();
	CHECK_FIND_ERR("APIC", "RSDT length not a multiple of 4");

	make_tables();
	set32(&tables[R_XSDT], 4, 35);
	fix_checksum(&tables[R_XSDT]);
	remap();
	CHECK_FIND_ERR("APIC", "ACPI table length wrong");

	make_tables();
	set32(&tables[R_XSDT], 4, tables[R_XSDT].len + 8); /* truncated table */
	fix_checksum(&tables[R_XSDT]);
	remap();
	CHECK_FIND_ERR("APIC", "ACPI table not mapped");

	make_tables();
	set32(&tables[R_XSDT], 4, 0xffffffff);
	fix_checksum(&tables[R_XSDT]);
	remap();
	CHECK_FIND_ERR("APIC", "ACPI table length wrong");

	make_tables();
	tables[R_XSDT].len = 20; /* not even a header mapped */
	remap();
	CHECK_FIND_ERR("APIC", "ACPI table not mapped");

	/* An empty XSDT (header only) finds nothing. */
	make_tables();
	tables[R_XSDT].len = 36;
	sdt_finish(&tables[R_XSDT]);
	remap();
	CHECK_FIND_ERR("APIC", "ACPI table not found");
}

TEST(root_entries_skip_holes)
{
	uint32_t len;
	const char *err;

	make_tables();
	sdt_begin(&tables[R_XSDT], "XSDT");
	put(&tables[R_XSDT], 0, 8);		 /* null entry */
	put(&tables[R_XSDT], 0xdead0000ULL, 8);	 /* unmapped */
	put(&tables[R_XSDT], HPET_PHYS + 20, 8); /* header does not fit */
	put(&tables[R_XSDT], MADT_PHYS, 8);
	sdt_finish(&tables[R_XSDT]);
	remap();
	CHECK_EQ_U64(find("APIC", &len, &err), MADT_PHYS);
	CHECK_FIND_ERR("FACP", "ACPI table not found");
}

TEST(target_table_corruptions)
{
	make_tables();
	tables[R_MADT].b[50] ^= 0x40;
	remap();
	CHECK_FIND_ERR("APIC", "ACPI table checksum wrong");

	make_tables();
	set32(&tables[R_MADT], 4, tables[R_MADT].len + 1);
	fix_checksum(&tables[R_MADT]);
	remap();
	CHECK_FIND_ERR("APIC", "ACPI table not mapped");

	make_tables();
	set32(&tables[R_MADT], 4, 12);
	fix_checksum(&tables[R_MADT]);
	remap();
	CHECK_FIND_ERR("APIC", "ACPI table length wrong");
}

TEST(madt_q35)
{
	uint32_t len;
	const char *err;
	uint64_t phys;

	make_tables();
	phys = find("APIC", &len, &err);
	CHECK_EQ_U64(phys, MADT_PHYS);
	const void *madt = test_map(phys, len, NULL);
	CHECK(madt != NULL);
	err = NULL;
	CHECK_EQ_U64(acpi_parse_madt(madt, len, &mi, &err), 0);
	CHECK(err == NULL);
	CHECK_EQ_U64(mi.lapic_addr, 0xfee00000);
	CHECK_EQ_U64(mi.cpu_count, 4);
	for (uint32_t i = 0; i < 4; i++)
		CHECK_EQ_U64(mi.apic_ids[i], i);
	CHECK_EQ_U64(mi.ioapic_count, 1);
	CHECK_EQ_U64(mi.ioapics[0].id, 0);
	CHECK_EQ_U64(mi.ioapics[0].addr, 0xfec00000);
	CHECK_EQ_U64(mi.ioapics[0].gsi_base, 0);
}

TEST(madt_x2apic_flags_and_override)
{
	struct blob t;
	const char *err;

	madt_begin(&t);
	madt_lapic(&t, 0, 0, 1);
	madt_lapic(&t, 1, 1, 0);	  /* disabled: not a CPU */
	madt_lapic(&t, 2, 2, 2);	  /* online capable: counts */
	madt_lapic(&t, 3, 3, 0xfffffffc); /* only reserved bits: not a CPU */
	madt_x2apic(&t, 0x100, 1, 4);
	madt_x2apic(&t, 0x101, 3, 5);
	madt_x2apic(&t, 0x102, 0, 6); /* disabled */
	madt_x2apic(&t, 0, 1, 7);     /* repeats local APIC 0: counted once */
	madt_ioapic(&t, 2, 0xfec00000, 0);
	madt_ioapic(&t, 3, 0xfec01000, 24);
	put(&t, 0x7f, 1), put(&t, 3, 1), put(&t, 0xee, 1); /* unknown type, odd length */
	put(&t, 5, 1), put(&t, 12, 1), put(&t, 0, 2), put(&t, 0x1fee00000ULL, 8);
	put(&t, 0xff, 1), put(&t, 2, 1); /* another unknown, minimal */
	sdt_finish(&t);
	CHECK_EQ_U64(parse(t.b, t.len, &mi, &err), 0);
	CHECK_EQ_U64(mi.cpu_count, 4);
	CHECK_EQ_U64(mi.apic_ids[0], 0);
	CHECK_EQ_U64(mi.apic_ids[1], 2);
	CHECK_EQ_U64(mi.apic_ids[2], 0x100);
	CHECK_EQ_U64(mi.apic_ids[3], 0x101);
	CHECK_EQ_U64(mi.ioapic_count, 2);
	CHECK_EQ_U64(mi.ioapics[1].id, 3);
	CHECK_EQ_U64(mi.ioapics[1].addr, 0xfec01000);
	CHECK_EQ_U64(mi.ioapics[1].gsi_base, 24);
	CHECK_EQ_U64(mi.lapic_addr, 0x1fee00000ULL);
}

TEST(madt_entry_corruptions)
{
	struct blob t;

	madt_begin(&t);
	madt_lapic(&t, 0, 0, 1);
	put(&t, 0, 1), put(&t, 0, 1); /* length 0 would loop forever */
	put_zeros(&t, 6);
	sdt_finish(&t);
	CHECK_MADT_ERR(&t, "MADT entry length below 2");

	madt_begin(&t);
	put(&t, 0x42, 1), put(&t, 1, 1), put(&t, 0, 2);
	sdt_finish(&t);
	CHECK_MADT_ERR(&t, "MADT entry length below 2");

	madt_begin(&t);
	madt_lapic(&t, 0, 0, 1);
	madt_ioapic(&t, 0, 0xfec00000, 0);
	t.len -= 4; /* the IOAPIC entry runs past the end */
	sdt_finish(&t);
	CHECK_MADT_ERR(&t, "MADT entry runs past the end");

	madt_begin(&t);
	madt_lapic(&t, 0, 0, 1);
	put(&t, 0x33, 1), put(&t, 200, 1), put(&t, 0, 4); /* unknown type, too long */
	sdt_finish(&t);
	CHECK_MADT_ERR(&t, "MADT entry runs past the end");

	madt_begin(&t);
	madt_lapic(&t, 0, 0, 1);
	put(&t, 0, 1); /* one stray byte: no room for a type and length */
	sdt_finish(&t);
	CHECK_MADT_ERR(&t, "MADT entry runs past the end");

	madt_begin(&t);
	put(&t, 0, 1), put(&t, 4, 1), put(&t, 0, 1), put(&t, 0, 1);
	sdt_finish(&t);
	CHECK_MADT_ERR(&t, "MADT entry too short for its type");

	madt_begin(&t);
	put(&t, 9, 1), put(&t, 12, 1), put_zeros(&t, 10);
	sdt_finish(&t);
	CHECK_MADT_ERR(&t, "MADT entry too short for its type");

	madt_begin(&t);
	put(&t, 5, 1), put(&t, 8, 1), put(&t, 0, 6);
	sdt_finish(&t);
	CHECK_MADT_ERR(&t, "MADT entry too short for its type");

	madt_begin(&t);
	put(&t, 1, 1), put(&t, 10, 1), put_zeros(&t, 8);
	sdt_finish(&t);
	CHECK_MADT_ERR(&t, "MADT entry too short for its type");
}

TEST(madt_header_corruptions)
{
	struct blob t;
	const char *err;

	make_q35_madt(&t);
	t.b[t.len - 1] ^= 1;
	CHECK_MADT_ERR(&t, "MADT checksum wrong");

	make_q35_madt(&t);
	t.b[0] = 'B';
	fix_checksum(&t);
	CHECK_MADT_ERR(&t, "MADT signature wrong");

	make_q35_madt(&t);
	CHECK_EQ_U64(parse(t.b, t.len - 8, &mi, &err), -1); /* caller's len disagrees */
	CHECK_STR(err, "MADT length does not match its header");

	madt_begin(&t); /* header only, no entries: valid, no CPUs */
	sdt_finish(&t);
	CHECK_EQ_U64(parse(t.b, t.len, &mi, &err), 0);
	CHECK_EQ_U64(mi.cpu_count, 0);
	CHECK_EQ_U64(mi.lapic_addr, 0xfee00000);

	sdt_begin(&t, "APIC"); /* too short for the MADT's own fields */
	put(&t, 0xfee00000, 4);
	sdt_finish(&t);
	CHECK_MADT_ERR(&t, "MADT too short");
	CHECK_EQ_U64(acpi_parse_madt(NULL, 0, &mi, &err), -1);
	CHECK_STR(err, "MADT too short");
	CHECK_EQ_U64(parse(t.b, 0, &mi, &err), -1);
}

TEST(madt_limits)
{
	static struct blob t;
	const char *err;

	madt_begin(&t);
	for (uint32_t i = 0; i < ACPI_MAX_CPUS; i++)
		madt_x2apic(&t, i, 1, i);
	madt_lapic(&t, 0, 5, 1); /* a repeat does not count against the limit */
	sdt_finish(&t);
	CHECK_EQ_U64(parse(t.b, t.len, &mi, &err), 0);
	CHECK_EQ_U64(mi.cpu_count, ACPI_MAX_CPUS);
	t.len -= 8;
	madt_lapic(&t, 0, 200, 0); /* a disabled one more is fine too */
	sdt_finish(&t);
	CHECK_EQ_U64(parse(t.b, t.len, &mi, &err), 0);
	madt_lapic(&t, 0, 201, 1);
	sdt_finish(&t);
	CHECK_MADT_ERR(&t, "MADT lists too many CPUs");

	madt_begin(&t);
	for (uint32_t i = 0; i < ACPI_MAX_IOAPICS; i++)
		madt_ioapic(&t, (uint8_t)i, 0xfec00000 + i * 0x1000, i * 24);
	sdt_finish(&t);
	CHECK_EQ_U64(parse(t.b, t.len, &mi, &err), 0);
	CHECK_EQ_U64(mi.ioapic_count, ACPI_MAX_IOAPICS);
	madt_ioapic(&t, 9, 0xfed00000, 999);
	sdt_finish(&t);
	CHECK_MADT_ERR(&t, "MADT lists too many IOAPICs");
}

/* Every truncation and every single-byte change of a real MADT (checksum
 * fixed up so the walk runs) must give a result, never a crash. */
TEST(madt_hostile_mutations)
{
	struct blob orig, t;
	const char *err;
	unsigned ok = 0, bad = 0;

	make_q35_madt(&orig);
	for (uint32_t n = 0; n <= orig.len; n++) {
		t = orig;
		t.len = n;
		if (n >= 10)
			sdt_finish(&t);
		if (parse(t.b, n, &mi, &err) == 0) {
			ok++;
		} else {
			bad++;
			CHECK(err != NULL);
		}
	}
	CHECK(ok > 0 && bad > 0);
	for (uint32_t off = 36; off < orig.len; off++) {
		for (unsigned v = 0; v < 256; v += 7) {
			t = orig;
			t.b[off] = (uint8_t)v;
			fix_checksum(&t);
			int rc = parse(t.b, t.len, &mi, &err);

			CHECK(rc == 0 || err != NULL);
			CHECK(mi.cpu_count <= ACPI_MAX_CPUS);
		}
	}
}

/* Single-byte damage anywhere in the RSDP or XSDT: an error or the right table. */
TEST(find_hostile_mutations)
{
	static const int regions[] = {R_RSDP, R_XSDT};

	make_tables();
	for (unsigned r = 0; r < 2; r++) {
		int reg = regions[r];
		uint32_t n = tables[reg].len;

		for (uint32_t off = 0; off < n; off++) {
			uint32_t len;
			const char *err = NULL;

			make_tables();
			tables[reg].b[off] ^= 0x81;
			remap();
			uint64_t phys = find("APIC", &len, &err);
			CHECK((phys == MADT_PHYS && len == tables[R_MADT].len) ||
			      (phys == 0 && err != NULL));
		}
	}
	for (int i = 0; i < R_COUNT; i++) {
		free(mapped[i]);
		mapped[i] = NULL;
	}
	CHECK(map_calls > 0);
}
