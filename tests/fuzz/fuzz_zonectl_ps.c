/* libFuzzer target for what zonectl ps --json prints of a PS reply's disks
 * (tools/zonectl/zonectl_util.h zc_json_disks): the reply is the
 * hypervisor's, its counts and serials taken as they come.  Input: a 4-byte
 * disk count, a 2-byte output capacity, then the disk entries' bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools/zonectl/zonectl_util.c" /* not in the pure library: zonectl's own */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zctl_disk *disks = calloc(ZCTL_MAX_DISKS, sizeof(*disks)); /* ASan sees over-reads */
	uint32_t count;
	uint16_t cap;
	char *out;
	long n;

	if (size < 6) {
		free(disks);
		return 0;
	}
	memcpy(&count, data, 4);
	memcpy(&cap, data + 4, 2);
	size -= 6;
	memcpy(disks, data + 6,
	       size < ZCTL_MAX_DISKS * sizeof(*disks) ? size : ZCTL_MAX_DISKS * sizeof(*disks));
	out = malloc(cap ? cap : 1);
	n = zc_json_disks(disks, count, out, cap);
	if (n >= 0 && (n >= cap || strlen(out) != (size_t)n || out[0] != '[' || out[n - 1] != ']'))
		abort(); /* a result is a NUL-terminated array inside out */
	free(out);
	free(disks);
	return 0;
}
