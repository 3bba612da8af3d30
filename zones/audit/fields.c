/* A record's own fields as canonical JSON (audit.h): ,"key":value pairs, escaped, bounded. */
#include "hv/lib/fmt.h"
#include "hv/lib/string.h"
#include "zones/audit/audit.h"
#include "zones/audit/log.h"

static const char hexdig[] = "0123456789abcdef";

/* One byte's JSON form (RFC 8259 section 7): \" and \\, every other control,
 * DEL or non-ASCII byte as \u00xx, so a line is pure printable ASCII and
 * has one spelling.  Returns its length. */
static unsigned escape_byte(uint8_t c, char out[6])
{
	if (c == '"' || c == '\\') {
		out[0] = '\\';
		out[1] = (char)c;
		return 2;
	}
	if (c >= 0x20 && c < 0x7f) {
		out[0] = (char)c;
		return 1;
	}
	zv_memcpy(out, "\\u00", 4);
	out[4] = hexdig[c >> 4];
	out[5] = hexdig[c & 15];
	return 6;
}

unsigned audit_escape(char *dst, unsigned cap, const char *s, bool *cut)
{
	unsigned n = 0;

	for (; *s; s++) {
		char e[6];
		unsigned k = escape_byte((uint8_t)*s, e);

		if (n + k > cap) { /* never half an escape */
			*cut = true;
			break;
		}
		zv_memcpy(dst + n, e, k);
		n += k;
	}
	return n;
}

void audit_fields_init(struct audit_fields *f)
{
	f->len = 0;
	f->truncated = false;
}

static bool put(struct audit_fields *f, const char *s, unsigned n)
{
	if (f->len > AUDIT_FIELDS_MAX || n > AUDIT_FIELDS_MAX - f->len)
		return false;
	zv_memcpy(f->text + f->len, s, n);
	f->len += n;
	return true;
}

/* ,"key": with room for at least `need` more bytes after it; false (and
 * nothing written) if it does not fit. */
static bool key(struct audit_fields *f, const char *k, unsigned need)
{
	unsigned start = f->len;
	bool cut = false;

	if (!put(f, ",\"", 2))
		return false;
	f->len += audit_escape(f->text + f->len, AUDIT_FIELDS_MAX - f->len, k, &cut);
	if (cut || !put(f, "\":", 2) || AUDIT_FIELDS_MAX - f->len < need) {
		f->len = start;
		return false;
	}
	return true;
}

/* A value that does not fit is cut (at an escape's edge) and the record says so. */
void audit_str(struct audit_fields *f, const char *k, const char *value)
{
	if (!key(f, k, 2)) {
		f->truncated = true;
		return;
	}
	f->text[f->len++] = '"';
	f->len +=
		audit_escape(f->text + f->len, AUDIT_FIELDS_MAX - f->len - 1, value, &f->truncated);
	f->text[f->len++] = '"';
}

/* Numbers and hex go whole or not at all: half a number would be a lie. */
static void put_number(struct audit_fields *f, const char *k, const char *digits, unsigned n)
{
	if (!key(f, k, n)) {
		f->truncated = true;
		return;
	}
	put(f, digits, n);
}

void audit_u64(struct audit_fields *f, const char *k, uint64_t value)
{
	char d[24];
	int n = zv_snprintf(d, sizeof(d), "%llu", (unsigned long long)value);

	put_number(f, k, d, (unsigned)n);
}

void audit_i64(struct audit_fields *f, const char *k, int64_t value)
{
	char d[24];
	int n = zv_snprintf(d, sizeof(d), "%lld", (long long)value);

	put_number(f, k, d, (unsigned)n);
}

void audit_hex(struct audit_fields *f, const char *k, const uint8_t *bytes, unsigned n)
{
	if (n > AUDIT_FIELDS_MAX / 2 || !key(f, k, 2 * n + 2)) {
		f->truncated = true;
		return;
	}
	f->text[f->len++] = '"';
	for (unsigned i = 0; i < n; i++) {
		f->text[f->len++] = hexdig[bytes[i] >> 4];
		f->text[f->len++] = hexdig[bytes[i] & 15];
	}
	f->text[f->len++] = '"';
}
