/* ACPI table discovery (RSDP -> RSDT/XSDT -> table) and MADT parsing (drivers/acpi.h). */
#include <stdbool.h>

#include "drivers/acpi.h"
#include "hv/lib/string.h"

/* ACPI 6.5 5.2.5.3, Table 5.3: RSDP field offsets. */
#define RSDP_SIG_OFF  0
#define RSDP_V1_LEN   20 /* the ACPI 1.0 part, covered by Checksum */
#define RSDP_REV_OFF  15
#define RSDP_RSDT_OFF 16
#define RSDP_LEN_OFF  20
#define RSDP_XSDT_OFF 24
#define RSDP_V2_LEN   36 /* the whole ACPI 2.0+ structure, covered by Extended Checksum */

/* ACPI 6.5 5.2.6, Table 5.4: the system description table header. */
#define SDT_LEN_OFF 4
#define SDT_HDR_LEN 36

/* Sanity bound on one table: real ones are kilobytes; a corrupt length
 * must not make us checksum gigabytes. */
#define ACPI_TABLE_MAX (4u << 20)

/* ACPI 6.5 5.2.12, Table 5.19: MADT fields after the header. */
#define MADT_LAPIC_ADDR_OFF 36
#define MADT_ENTRIES_OFF    44

/* ACPI 6.5 5.2.12, Table 5.20: interrupt controller structure types. */
enum madt_type {
	MADT_LAPIC = 0,	     /* 5.2.12.2 */
	MADT_IOAPIC = 1,     /* 5.2.12.3 */
	MADT_LAPIC_ADDR = 5, /* 5.2.12.8 */
	MADT_X2APIC = 9,     /* 5.2.12.12 */
};

/* ACPI 6.5 Table 5.23 (and 5.33 for x2APIC): Local APIC Flags. */
#define LAPIC_ENABLED	     (1u << 0)
#define LAPIC_ONLINE_CAPABLE (1u << 1)

/* ---- little-endian reads at any alignment ----------------------------- */

static uint64_t rd_le(const void *p, size_t off, unsigned n)
{
	uint8_t b[8];
	uint64_t v = 0;

	zv_memcpy(b, (const uint8_t *)p + off, n);
	while (n--)
		v = (v << 8) | b[n];
	return v;
}

static uint8_t rd8(const void *p, size_t off)
{
	return (uint8_t)rd_le(p, off, 1);
}

static uint32_t rd32(const void *p, size_t off)
{
	return (uint32_t)rd_le(p, off, 4);
}

static uint64_t rd64(const void *p, size_t off)
{
	return rd_le(p, off, 8);
}

uint8_t acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum = (uint8_t)(sum + *b++);
	return sum;
}

/* ---- discovery -------------------------------------------------------- */

static const void *map(const struct acpi_ctx *a, uint64_t phys, size_t len)
{
	return phys ? a->map(phys, len, a->ctx) : NULL;
}

/* ACPI 6.5 5.2.5.3: picks the root table from a checked RSDP; *wide is
 * true for the XSDT (8-byte entries). */
static const char *read_rsdp(const struct acpi_ctx *a, uint64_t phys, uint64_t *root, bool *wide)
{
	const void *r = map(a, phys, RSDP_V1_LEN);
	uint32_t len;

	if (!r)
		return "RSDP not mapped";
	if (zv_memcmp((const uint8_t *)r + RSDP_SIG_OFF, "RSD PTR ", 8) != 0)
		return "RSDP signature wrong";
	if (acpi_checksum(r, RSDP_V1_LEN) != 0)
		return "RSDP checksum wrong";
	*root = rd32(r, RSDP_RSDT_OFF);
	*wide = false;
	if (rd8(r, RSDP_REV_OFF) < 2)
		return NULL;
	if (!(r = map(a, phys, RSDP_V2_LEN)))
		return "RSDP not mapped";
	len = rd32(r, RSDP_LEN_OFF);
	if (len < RSDP_V2_LEN || len > ACPI_TABLE_MAX)
		return "RSDP length wrong";
	if (!(r = map(a, phys, len)))
		return "RSDP not mapped";
	if (acpi_checksum(r, len) != 0)
		return "RSDP extended checksum wrong";
	if (rd64(r, RSDP_XSDT_OFF)) { /* some firmware leaves XsdtAddress 0 */
		*root = rd64(r, RSDP_XSDT_OFF);
		*wide = true;
	}
	return NULL;
}

/* ACPI 6.5 5.2.6: maps a whole table after checking its length and checksum. */
static const char *map_table(const struct acpi_ctx *a, uint64_t phys, const void **t, uint32_t *len)
{
	const void *h = map(a, phys, SDT_HDR_LEN);

	if (!h)
		return "ACPI table not mapped";
	*len = rd32(h, SDT_LEN_OFF);
	if (*len < SDT_HDR_LEN || *len > ACPI_TABLE_MAX)
		return "ACPI table length wrong";
	if (!(*t = map(a, phys, *len)))
		return "ACPI table not mapped";
	if (acpi_checksum(*t, *len) != 0)
		return "ACPI table checksum wrong";
	return NULL;
}

/* ACPI 6.5 5.2.7 (RSDT) / 5.2.8 (XSDT): checks the root table's shape. */
static const char *check_root(const void *t, uint32_t len, bool wide)
{
	if (zv_memcmp(t, wide ? "XSDT" : "RSDT", 4) != 0)
		return wide ? "XSDT signature wrong" : "RSDT signature wrong";
	if ((len - SDT_HDR_LEN) % (wide ? 8 : 4))
		return wide ? "XSDT length not a multiple of 8" : "RSDT length not a multiple of 4";
	return NULL;
}

/* True when the table at phys (mapped header only) has signature sig. */
static bool table_has_sig(const struct acpi_ctx *a, uint64_t phys, const char *sig)
{
	const void *h = map(a, phys, SDT_HDR_LEN);

	return h && zv_memcmp(h, sig, 4) == 0;
}

static uint64_t fail_find(uint32_t *len, const char **err, const char *msg)
{
	*len = 0;
	*err = msg;
	return 0;
}

uint64_t acpi_find_table(const struct acpi_ctx *a, uint64_t rsdp_phys, const char *sig,
			 uint32_t *len, const char **err)
{
	uint64_t root;
	const void *rt, *t;
	uint32_t rlen;
	bool wide;
	const char *e;

	*len = 0;
	if ((e = read_rsdp(a, rsdp_phys, &root, &wide)) || (e = map_table(a, root, &rt, &rlen)) ||
	    (e = check_root(rt, rlen, wide)))
		return fail_find(len, err, e);
	for (uint32_t off = SDT_HDR_LEN; off < rlen; off += wide ? 8 : 4) {
		uint64_t phys = wide ? rd64(rt, off) : rd32(rt, off);

		if (!table_has_sig(a, phys, sig))
			continue;
		if ((e = map_table(a, phys, &t, len)))
			return fail_find(len, err, e);
		return phys;
	}
	return fail_find(len, err, "ACPI table not found");
}

/* ---- MADT --------------------------------------------------------------- */

/* Minimum length of each structure we read, by type (ACPI 6.5 5.2.12.x). */
static uint8_t madt_min_len(uint8_t type)
{
	switch (type) {
	case MADT_LAPIC: return 8;
	case MADT_IOAPIC: return 12;
	case MADT_LAPIC_ADDR: return 12;
	case MADT_X2APIC: return 16;
	default: return 2;
	}
}

/* Records a usable CPU once; an x2APIC entry may repeat a local APIC's ID. */
static const char *add_cpu(struct acpi_madt_info *out, uint32_t id, uint32_t flags)
{
	if (!(flags & (LAPIC_ENABLED | LAPIC_ONLINE_CAPABLE)))
		return NULL;
	for (uint32_t i = 0; i < out->cpu_count; i++) {
		if (out->apic_ids[i] == id)
			return NULL;
	}
	if (out->cpu_count >= ACPI_MAX_CPUS)
		return "MADT lists too many CPUs";
	out->apic_ids[out->cpu_count++] = id;
	return NULL;
}

static const char *add_ioapic(struct acpi_madt_info *out, const uint8_t *e)
{
	struct acpi_ioapic *io;

	if (out->ioapic_count >= ACPI_MAX_IOAPICS)
		return "MADT lists too many IOAPICs";
	io = &out->ioapics[out->ioapic_count++];
	io->id = rd8(e, 2);
	io->addr = rd32(e, 4);
	io->gsi_base = rd32(e, 8);
	return NULL;
}

/* One interrupt controller structure e, already known to fit. */
static const char *madt_entry(struct acpi_madt_info *out, const uint8_t *e)
{
	switch (e[0]) {
	case MADT_LAPIC: return add_cpu(out, rd8(e, 3), rd32(e, 4));
	case MADT_X2APIC: return add_cpu(out, rd32(e, 4), rd32(e, 8));
	case MADT_IOAPIC: return add_ioapic(out, e);
	case MADT_LAPIC_ADDR: out->lapic_addr = rd64(e, 4); return NULL;
	default: return NULL; /* ACPI 6.5 5.2.12: skip unknown types by length */
	}
}

static const char *madt_check(const uint8_t *t, uint32_t len)
{
	if (!t || len < MADT_ENTRIES_OFF)
		return "MADT too short";
	if (zv_memcmp(t, "APIC", 4) != 0)
		return "MADT signature wrong";
	if (rd32(t, SDT_LEN_OFF) != len)
		return "MADT length does not match its header";
	if (acpi_checksum(t, len) != 0)
		return "MADT checksum wrong";
	return NULL;
}

static const char *madt_walk(const uint8_t *t, uint32_t len, struct acpi_madt_info *out)
{
	const char *e;

	out->lapic_addr = rd32(t, MADT_LAPIC_ADDR_OFF);
	for (uint32_t off = MADT_ENTRIES_OFF; off < len; off += t[off + 1]) {
		if (len - off < 2)
			return "MADT entry runs past the end";
		if (t[off + 1] < 2)
			return "MADT entry length below 2";
		if (t[off + 1] > len - off)
			return "MADT entry runs past the end";
		if (t[off + 1] < madt_min_len(t[off]))
			return "MADT entry too short for its type";
		if ((e = madt_entry(out, t + off)))
			return e;
	}
	return NULL;
}

int acpi_parse_madt(const void *madt, uint32_t len, struct acpi_madt_info *out, const char **err)
{
	const char *e;

	zv_memset(out, 0, sizeof(*out));
	if ((e = madt_check(madt, len)) || (e = madt_walk(madt, len, out))) {
		zv_memset(out, 0, sizeof(*out));
		*err = e;
		return -1;
	}
	return 0;
}
