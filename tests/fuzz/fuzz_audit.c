/* libFuzzer target for the audit log: zone-chosen strings (names, DNS names, console bytes)
 * through the fields and the ring, with appends, reads and acks in the order the input says.
 * Invariants, checked with abort(): every line read is printable ASCII ending in "}\n", a read
 * returns next - first whole lines, fields never pass their buffer.  (The seq and tree fields
 * are checked by tests/unit/test_audit_log.c.) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz_cursor.h"
#include "zones/audit/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char ring[AUDIT_RING_MIN + 777];
static char out[1 << 16];

/* A NUL-terminated string of the next n input bytes (any bytes but NUL). */
static void take_str(struct cursor *c, char *s, unsigned n)
{
	unsigned i = 0;

	for (; i < n && c->left; i++) {
		s[i] = (char)take(c, 1);
		if (!s[i])
			s[i] = 1;
	}
	s[i] = 0;
}

static void check_lines(const char *p, size_t n, uint64_t first, uint64_t next)
{
	uint64_t lines = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n') {
			if (i < 1 || p[i - 1] != '}')
				abort();
			lines++;
		} else if (p[i] < 0x20 || p[i] > 0x7e) {
			abort();
		}
	}
	if (lines != next - first || (n && p[n - 1] != '\n'))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor c = {data, size};
	struct audit_config cfg = {sizeof(ring), (enum audit_full)(take(&c, 1) & 1),
				   (uint32_t)take(&c, 1) % 100 + 1, ring, NULL};
	static struct audit_log l;
	uint64_t since = 0;

	if (!audit_log_init(&l, &cfg))
		abort();
	while (c.left) {
		unsigned op = (unsigned)take(&c, 1);
		struct audit_source src = {"", (uint32_t)(op >> 4) % 5};
		char zone[40], key[40], value[1600];
		struct audit_fields f;
		uint64_t first, next;
		size_t n;

		take_str(&c, zone, (unsigned)take(&c, 1) % sizeof(zone));
		src.zone = zone;
		switch (op & 3) {
		case 0:
		case 1:
			take_str(&c, key, (unsigned)take(&c, 1) % sizeof(key));
			take_str(&c, value, (unsigned)take(&c, 2) % sizeof(value));
			audit_fields_init(&f);
			audit_str(&f, key, value);
			audit_u64(&f, key, take(&c, 8));
			audit_hex(&f, key, (const uint8_t *)value, (unsigned)strlen(value));
			if (f.len > AUDIT_FIELDS_MAX)
				abort();
			audit_log_would_block(&l, &src);
			audit_log_append(&l, &src, key, &f);
			break;
		case 2:
			n = audit_log_read(&l, since, out, take(&c, 2), &first, &next);
			check_lines(out, n, first, next);
			since = next;
			break;
		default: audit_log_ack(&l, take(&c, 1) + since - 128); break;
		}
	}
	return 0;
}
