/* The AML and resource-descriptor encoder (zones/platform/acpi/aml.h); section numbers are
 * ACPI 6.4's. */
#include "zones/platform/acpi/aml.h"
#include "drivers/acpi.h"
#include "hv/lib/string.h"

/* 20.3: AML opcodes. */
#define AML_ZERO	  0x00
#define AML_ONE		  0x01
#define AML_NAME_OP	  0x08
#define AML_BYTE_PREFIX	  0x0A
#define AML_WORD_PREFIX	  0x0B
#define AML_DWORD_PREFIX  0x0C
#define AML_STRING_PREFIX 0x0D
#define AML_QWORD_PREFIX  0x0E
#define AML_SCOPE_OP	  0x10
#define AML_BUFFER_OP	  0x11
#define AML_PACKAGE_OP	  0x12
#define AML_DUAL_NAME	  0x2E
#define AML_MULTI_NAME	  0x2F
#define AML_ROOT_CHAR	  '\\'
#define AML_EXT_PREFIX	  0x5B
#define AML_DEVICE_OP	  0x82 /* after ExtOpPrefix */

/* 6.4.2 / 6.4.3: resource descriptor tags. */
#define RES_IRQ_NOFLAGS	   0x22 /* small item 0x04, length 2 */
#define RES_IO		   0x47 /* small item 0x08, length 7 */
#define RES_END_TAG	   0x79 /* small item 0x0F, length 1 */
#define RES_MEMORY32_FIXED 0x86
#define RES_EXT_INTERRUPT  0x89
#define RES_IO_DECODE16	   0x01
#define RES_INT_CONSUMER   (1u << 0) /* Table 6.241 */
#define RES_INT_EDGE	   (1u << 1)
#define RES_INT_ACTIVE_LOW (1u << 2)

/* ---- the byte sink ------------------------------------------------------- */

void aml_byte(struct aml *a, uint8_t b)
{
	if (a->len < a->cap)
		a->buf[a->len] = b;
	a->len++;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		aml_byte(a, b[i]);
}

void aml_le(struct aml *a, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		aml_byte(a, (uint8_t)(v >> (8 * i)));
}

/* ---- AML terms (chapter 20) ---------------------------------------------- */

/* 20.2.4: the largest PkgLength (itself included) each encoding size holds. */
static const uint32_t pkg_limit[5] = {0, 0x3F, 0xFFF, 0xFFFFF, 0xFFFFFFF};

size_t aml_pkg_length(struct aml *a, size_t body_len)
{
	size_t n = 1;

	if (body_len > pkg_limit[4])
		return 0;
	while (n <= 4 && body_len + n > pkg_limit[n])
		n++;
	if (n > 4)
		return 0;
	if (n == 1) {
		aml_byte(a, (uint8_t)(body_len + 1));
		return 1;
	}
	/* Lead byte: bits 7:6 count the bytes that follow, bits 3:0 are the
	 * low nibble; each following byte holds the next 8 bits. */
	aml_byte(a, (uint8_t)(((n - 1) << 6) | ((body_len + n) & 0xF)));
	for (size_t i = 1; i < n; i++)
		aml_byte(a, (uint8_t)((body_len + n) >> (4 + 8 * (i - 1))));
	return n;
}

static size_t seg_count(const char *p)
{
	size_t n = *p ? 1 : 0;

	for (; *p; p++)
		n += *p == '.';
	return n;
}

/* 20.2.2 NameSeg: up to 4 characters padded with '_'; returns the next segment. */
static const char *emit_seg(struct aml *a, const char *p)
{
	size_t i = 0;

	for (; p[i] && p[i] != '.' && i < 4; i++)
		aml_byte(a, (uint8_t)p[i]);
	for (size_t pad = i; pad < 4; pad++)
		aml_byte(a, '_');
	while (p[i] && p[i] != '.')
		i++; /* a longer segment is cut at 4 */
	return p[i] ? p + i + 1 : p + i;
}

void aml_name_string(struct aml *a, const char *path)
{
	size_t n;

	if (*path == AML_ROOT_CHAR) {
		aml_byte(a, AML_ROOT_CHAR);
		path++;
	}
	n = seg_count(path);
	if (n == 0) {
		aml_byte(a, 0x00); /* NullName */
		return;
	}
	if (n == 2)
		aml_byte(a, AML_DUAL_NAME);
	if (n > 2) {
		aml_byte(a, AML_MULTI_NAME);
		aml_byte(a, (uint8_t)n);
	}
	while (n--)
		path = emit_seg(a, path);
}

void aml_integer(struct aml *a, uint64_t v)
{
	if (v <= AML_ONE) {
		aml_byte(a, (uint8_t)v); /* ZeroOp, OneOp */
	} else if (v <= 0xFF) {
		aml_byte(a, AML_BYTE_PREFIX);
		aml_le(a, v, 1);
	} else if (v <= 0xFFFF) {
		aml_byte(a, AML_WORD_PREFIX);
		aml_le(a, v, 2);
	} else if (v <= 0xFFFFFFFFu) {
		aml_byte(a, AML_DWORD_PREFIX);
		aml_le(a, v, 4);
	} else {
		aml_byte(a, AML_QWORD_PREFIX);
		aml_le(a, v, 8);
	}
}

void aml_string(struct aml *a, const char *s)
{
	aml_byte(a, AML_STRING_PREFIX);
	aml_bytes(a, s, zv_strlen(s) + 1);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 19.6 EISAID: three letters in 5 bits each ('A' = 1) and a 16-bit product
 * number, both big-endian in memory, read back as a little-endian DWORD. */
uint32_t aml_eisaid(const char *id)
{
	uint32_t vendor = 0, product = 0;

	if (zv_strlen(id) != 7)
		return 0;
	for (int i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z')
			return 0;
		vendor = (vendor << 5) | (uint32_t)(id[i] - 'A' + 1);
	}
	for (int i = 3; i < 7; i++) {
		if (hex_digit(id[i]) < 0)
			return 0;
		product = (product << 4) | (uint32_t)hex_digit(id[i]);
	}
	return (vendor >> 8) | (vendor & 0xFF) << 8 | (product >> 8) << 16 | (product & 0xFF) << 24;
}

void aml_name(struct aml *a, const char *name)
{
	aml_byte(a, AML_NAME_OP);
	aml_name_string(a, name);
}

/* The length of what fn(arg) emits: a dry run into a sink that stores nothing. */
static size_t measure(aml_body_fn fn, const void *arg)
{
	struct aml m = {.buf = NULL, .cap = 0, .len = 0};

	fn(&m, arg);
	return m.len;
}

/* PkgLength, then the body it measures. */
static void pkg(struct aml *a, aml_body_fn fn, const void *arg)
{
	aml_pkg_length(a, measure(fn, arg));
	fn(a, arg);
}

struct named_body {
	const char *name;
	aml_body_fn fn;
	const void *arg;
};

static void emit_named_body(struct aml *a, const void *arg)
{
	const struct named_body *nb = arg;

	aml_name_string(a, nb->name);
	nb->fn(a, nb->arg);
}

void aml_scope(struct aml *a, const char *name, aml_body_fn fn, const void *arg)
{
	struct named_body nb = {name, fn, arg};

	aml_byte(a, AML_SCOPE_OP);
	pkg(a, emit_named_body, &nb);
}

void aml_device(struct aml *a, const char *name, aml_body_fn fn, const void *arg)
{
	struct named_body nb = {name, fn, arg};

	aml_byte(a, AML_EXT_PREFIX);
	aml_byte(a, AML_DEVICE_OP);
	pkg(a, emit_named_body, &nb);
}

struct counted_body {
	uint8_t count;
	aml_body_fn fn;
	const void *arg;
};

static void emit_package_body(struct aml *a, const void *arg)
{
	const struct counted_body *cb = arg;

	aml_byte(a, cb->count); /* NumElements */
	cb->fn(a, cb->arg);
}

void aml_package(struct aml *a, uint8_t count, aml_body_fn fn, const void *arg)
{
	struct counted_body cb = {count, fn, arg};

	aml_byte(a, AML_PACKAGE_OP);
	pkg(a, emit_package_body, &cb);
}

/* 6.4.2.9: the End Tag's checksum covers every descriptor byte from start. */
static void emit_end_tag(struct aml *a, size_t start)
{
	aml_byte(a, RES_END_TAG);
	if (a->len < a->cap) /* everything before it, and the checksum itself, is stored */
		aml_byte(a, (uint8_t)(0 - acpi_checksum(a->buf + start, a->len - start)));
	else
		aml_byte(a, 0); /* not stored anyway: the build fails */
}

struct res_body {
	aml_body_fn fn;
	const void *arg;
};

/* 20.2.5.4 DefBuffer contents: BufferSize, then the descriptors. */
static void emit_res_body(struct aml *a, const void *arg)
{
	const struct res_body *rb = arg;
	size_t start;

	aml_integer(a, measure(rb->fn, rb->arg) + 2);
	start = a->len;
	rb->fn(a, rb->arg);
	emit_end_tag(a, start);
}

void aml_resource_template(struct aml *a, aml_body_fn fn, const void *arg)
{
	struct res_body rb = {fn, arg};

	aml_byte(a, AML_BUFFER_OP);
	pkg(a, emit_res_body, &rb);
}

/* ---- resource descriptors (6.4) ------------------------------------------ */

/* 6.4.2.1: IRQ descriptor without the information byte: edge, active high. */
void aml_res_irq_noflags(struct aml *a, uint16_t irq_mask)
{
	aml_byte(a, RES_IRQ_NOFLAGS);
	aml_le(a, irq_mask, 2);
}

/* 6.4.2.5: I/O port descriptor, 16-bit decode. */
void aml_res_io16(struct aml *a, uint16_t min, uint16_t max, uint8_t align, uint8_t len)
{
	aml_byte(a, RES_IO);
	aml_byte(a, RES_IO_DECODE16);
	aml_le(a, min, 2);
	aml_le(a, max, 2);
	aml_byte(a, align);
	aml_byte(a, len);
}

/* 6.4.3.4: 32-bit fixed memory range descriptor. */
void aml_res_memory32_fixed(struct aml *a, bool writable, uint32_t base, uint32_t len)
{
	aml_byte(a, RES_MEMORY32_FIXED);
	aml_le(a, 9, 2); /* length of what follows */
	aml_byte(a, writable ? 1 : 0);
	aml_le(a, base, 4);
	aml_le(a, len, 4);
}

/* 6.4.3.6: extended interrupt descriptor with one interrupt number. */
void aml_res_interrupt(struct aml *a, bool edge, bool active_low, uint32_t gsi)
{
	aml_byte(a, RES_EXT_INTERRUPT);
	aml_le(a, 6, 2); /* flags, table length, one DWORD */
	aml_byte(a, (uint8_t)(RES_INT_CONSUMER | (edge ? RES_INT_EDGE : 0) |
			      (active_low ? RES_INT_ACTIVE_LOW : 0)));
	aml_byte(a, 1);
	aml_le(a, gsi, 4);
}

/*
 * 6.4.3.5: Address Space Descriptors, the ranges a bridge produces for the
 * bus below it.  After the tag and length: resource type, general flags,
 * type-specific flags, then _GRA, _MIN, _MAX, _TRA and _LEN, n bytes each
 * (6.4.3.5.1 QWord n = 8, 6.4.3.5.2 DWord n = 4, 6.4.3.5.3 Word n = 2).
 */
#define RES_DWORD_ADDR	0x87
#define RES_WORD_ADDR	0x88
#define RES_QWORD_ADDR	0x8A
#define RES_ADDR_MEMORY 0 /* resource type */
#define RES_ADDR_IO	1
#define RES_ADDR_BUS	2
/* General flags: bit 3 _MAF and bit 2 _MIF (max and min fixed: a window the
 * OS may not move), bit 1 _DEC clear (positive decode), bit 0 clear
 * (ResourceProducer, as iasl writes it). */
#define RES_ADDR_PRODUCER_FIXED 0x0C
/* 6.4.3.5.5, type-specific flags.  I/O: _RNG (bits 1:0) 3, EntireRange;
 * memory: _RW (bit 0) read-write, _MEM (bits 2:1) 0, non-cacheable, since a
 * BAR is device registers; bus numbers: none. */
#define RES_IO_ENTIRE_RANGE 0x03
#define RES_MEM_RW_UNCACHED 0x01

static void address_space(struct aml *a, uint8_t tag, unsigned n, uint8_t type, uint8_t type_flags,
			  uint64_t min, uint64_t len)
{
	aml_byte(a, tag);
	aml_le(a, 3 + 5 * n, 2); /* length of what follows */
	aml_byte(a, type);
	aml_byte(a, RES_ADDR_PRODUCER_FIXED);
	aml_byte(a, type_flags);
	aml_le(a, 0, n); /* _GRA: 0 for a fixed range */
	aml_le(a, min, n);
	aml_le(a, min + len - 1, n);
	aml_le(a, 0, n); /* _TRA: the CPU and the bus see the same addresses */
	aml_le(a, len, n);
}

/* 6.4.3.5.3 WordBusNumber. */
void aml_res_word_bus(struct aml *a, uint16_t min, uint16_t max)
{
	address_space(a, RES_WORD_ADDR, 2, RES_ADDR_BUS, 0, min, (uint32_t)max - min + 1);
}

/* 6.4.3.5.3 WordIO. */
void aml_res_word_io(struct aml *a, uint16_t base, uint16_t len)
{
	address_space(a, RES_WORD_ADDR, 2, RES_ADDR_IO, RES_IO_ENTIRE_RANGE, base, len);
}

/* 6.4.3.5.2 DWordIO. */
void aml_res_dword_io(struct aml *a, uint32_t base, uint32_t len)
{
	address_space(a, RES_DWORD_ADDR, 4, RES_ADDR_IO, RES_IO_ENTIRE_RANGE, base, len);
}

/* 6.4.3.5.2 DWordMemory. */
void aml_res_dword_memory(struct aml *a, uint32_t base, uint32_t len)
{
	address_space(a, RES_DWORD_ADDR, 4, RES_ADDR_MEMORY, RES_MEM_RW_UNCACHED, base, len);
}

/* 6.4.3.5.1 QWordMemory. */
void aml_res_qword_memory(struct aml *a, uint64_t base, uint64_t len)
{
	address_space(a, RES_QWORD_ADDR, 8, RES_ADDR_MEMORY, RES_MEM_RW_UNCACHED, base, len);
}
