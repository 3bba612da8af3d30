/* The AML and resource-descriptor encoder the zone ACPI tables are built with. */
#ifndef ZV_ZONES_PLATFORM_ACPI_AML_H
#define ZV_ZONES_PLATFORM_ACPI_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- AML and resource-descriptor encoders (ACPI 6.4 chapters 6.4, 20) ---- */

/* A bounded byte sink: bytes past cap are counted in len but not stored, so
 * a writer with cap 0 measures, and len > cap afterwards means "too small". */
struct aml {
	uint8_t *buf;
	size_t cap;
	size_t len;
};

/* Emits the contents of a package-like object (Scope, Device, Buffer, ...). */
typedef void (*aml_body_fn)(struct aml *a, const void *arg);

void aml_byte(struct aml *a, uint8_t b);
void aml_bytes(struct aml *a, const void *p, size_t n);
/* Little-endian integer of n bytes (n <= 8). */
void aml_le(struct aml *a, uint64_t v, unsigned n);
/* ACPI 6.4 20.2.4: PkgLength for body_len bytes following it (the encoding
 * counts itself).  Returns its size, 1-4 bytes, or 0 (nothing written) when
 * body_len cannot be encoded (above 2^28 - 5). */
size_t aml_pkg_length(struct aml *a, size_t body_len);
/* ACPI 6.4 20.2.2: a NameString: optional leading '\', then 4-char segments
 * separated by '.' (shorter segments are padded with '_'). */
void aml_name_string(struct aml *a, const char *path);
/* ACPI 6.4 20.2.3: ZeroOp, OneOp, or the smallest of Byte/Word/DWord/QWordPrefix. */
void aml_integer(struct aml *a, uint64_t v);
/* ACPI 6.4 20.2.3: StringPrefix, the ASCII bytes, NUL. */
void aml_string(struct aml *a, const char *s);
/* ACPI 6.4 19.6 EISAID("PNP0501"): the compressed 32-bit ID, or 0 for a
 * malformed id (three letters A-Z then four hex digits). */
uint32_t aml_eisaid(const char *id);
/* ACPI 6.4 20.2.5.1 DefName: NameOp NameString; the caller then emits the object. */
void aml_name(struct aml *a, const char *name);
/* ACPI 6.4 20.2.5.1 DefScope / 20.2.5.2 DefDevice, the body from fn(arg). */
void aml_scope(struct aml *a, const char *name, aml_body_fn fn, const void *arg);
void aml_device(struct aml *a, const char *name, aml_body_fn fn, const void *arg);
/* ACPI 6.4 20.2.5.4 DefPackage with count elements emitted by fn(arg). */
void aml_package(struct aml *a, uint8_t count, aml_body_fn fn, const void *arg);
/* ACPI 6.4 19.6 ResourceTemplate: a Buffer holding fn(arg)'s descriptors
 * and an End Tag (6.4.2.9) whose checksum makes the descriptors sum to 0. */
void aml_resource_template(struct aml *a, aml_body_fn fn, const void *arg);

/* Resource descriptors (ACPI 6.4 6.4.2 small, 6.4.3 large). */
void aml_res_irq_noflags(struct aml *a, uint16_t irq_mask);
void aml_res_io16(struct aml *a, uint16_t min, uint16_t max, uint8_t align, uint8_t len);
void aml_res_memory32_fixed(struct aml *a, bool writable, uint32_t base, uint32_t len);
/* Extended Interrupt, one consumer interrupt, exclusive. */
void aml_res_interrupt(struct aml *a, bool edge, bool active_low, uint32_t gsi);
/* Address space descriptors a bridge produces (6.4.3.5): ResourceProducer,
 * MinFixed, MaxFixed, PosDecode, granularity 0, translation 0.  Bus numbers
 * [min, max] (min <= max); I/O ports (EntireRange) and memory (read-write,
 * non-cacheable) [base, base + len), len > 0 and base + len - 1 within the
 * descriptor's width. */
void aml_res_word_bus(struct aml *a, uint16_t min, uint16_t max);      /* 6.4.3.5.3 */
void aml_res_word_io(struct aml *a, uint16_t base, uint16_t len);      /* 6.4.3.5.3 */
void aml_res_dword_io(struct aml *a, uint32_t base, uint32_t len);     /* 6.4.3.5.2 */
void aml_res_dword_memory(struct aml *a, uint32_t base, uint32_t len); /* 6.4.3.5.2 */
void aml_res_qword_memory(struct aml *a, uint64_t base, uint64_t len); /* 6.4.3.5.1 */

#endif
