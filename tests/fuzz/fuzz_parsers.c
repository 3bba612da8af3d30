/* libFuzzer target for every parser of untrusted input the hypervisor has:
 * zonevisor.conf, Multiboot images, bzImage headers, ACPI MADTs.  The first
 * input byte picks the parser; ASan/UBSan report what goes wrong. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/acpi.h"
#include "hv/config.h"
#include "zones/load/bzimage.h"
#include "zones/load/multiboot.h"

#define GUEST_MEM (4u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int write_guest(void *ctx, uint64_t gpa, const void *src, uint64_t len)
{
	if (gpa > GUEST_MEM || len > GUEST_MEM - gpa)
		return -1;
	memcpy((uint8_t *)ctx + gpa, src, len);
	return 0;
}

static void fuzz_config(const uint8_t *d, size_t n)
{
	static struct zv_config conf;
	char err[ZV_CONF_ERR_LEN];

	if (zv_config_parse((const char *)d, n, &conf, err, sizeof(err)) != 0 &&
	    memchr(err, 0, sizeof(err)) == NULL)
		abort(); /* the message must be terminated */
}

static void fuzz_multiboot(const uint8_t *d, size_t n)
{
	static uint8_t *guest;
	struct multiboot_loaded out;

	if (!guest)
		guest = malloc(GUEST_MEM);
	multiboot_load(d, n, GUEST_MEM, "fuzz", write_guest, guest, &out);
}

static void fuzz_bzimage(const uint8_t *d, size_t n)
{
	struct bzimage_info bi;
	struct bzimage_layout lay;

	if (bzimage_parse(d, n, &bi) == NULL)
		bzimage_plan(&bi, 256u << 20, 8u << 20, 100, &lay);
}

static void fuzz_madt(const uint8_t *d, size_t n)
{
	struct acpi_madt_info m;
	const char *err;
	uint8_t *copy = malloc(n ? n : 1); /* exact size: ASan sees over-reads */

	memcpy(copy, d, n);
	acpi_parse_madt(copy, (uint32_t)n, &m, &err);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] & 3) {
	case 0: fuzz_config(data + 1, size - 1); break;
	case 1: fuzz_multiboot(data + 1, size - 1); break;
	case 2: fuzz_bzimage(data + 1, size - 1); break;
	default: fuzz_madt(data + 1, size - 1); break;
	}
	return 0;
}
