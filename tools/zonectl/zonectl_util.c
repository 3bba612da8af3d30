/* zonectl's pure helpers: sizes, names, shell quoting, base64, JSON strings, table cells. */
#include "tools/zonectl/zonectl_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zones/control/proto.h"

int zc_parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;
	unsigned shift = 0;

	if (!s || *s < '0' || *s > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	switch (*p) {
	case 'k':
	case 'K': shift = 10; break;
	case 'm':
	case 'M': shift = 20; break;
	case 'g':
	case 'G': shift = 30; break;
	case 't':
	case 'T': shift = 40; break;
	case '\0': break;
	default: return -1;
	}
	if (shift) {
		p++;
		if (*p == 'i' && (p[1] == 'B' || p[1] == 'b'))
			p += 2;
		else if (*p == 'B' || *p == 'b')
			p++;
	}
	if (*p != '\0')
		return -1;
	if (shift && v > (UINT64_MAX >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

const char *zc_name_error(const char *name)
{
	size_t len = strlen(name);

	if (len == 0)
		return "a zone name cannot be empty";
	if (len > 31)
		return "a zone name has at most 31 characters";
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return "a zone name has only the characters a-z, 0-9, _ and -";
	}
	return NULL;
}

/* Appends LEN bytes of S at *POS; 0, or -1 (and nothing written) if it would not fit. */
static int put(char *out, size_t cap, size_t *pos, const char *s, size_t len)
{
	if (*pos + len >= cap)
		return -1;
	memcpy(out + *pos, s, len);
	*pos += len;
	out[*pos] = '\0';
	return 0;
}

long zc_shell_quote(char *const *words, int n, char *out, size_t cap)
{
	size_t pos = 0;

	if (cap == 0)
		return -1;
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (i > 0 && put(out, cap, &pos, " ", 1))
			return -1;
		if (put(out, cap, &pos, "'", 1))
			return -1;
		for (const char *c = words[i]; *c; c++) {
			int r = *c == '\'' ? put(out, cap, &pos, "'\\''", 4)
					   : put(out, cap, &pos, c, 1);
			if (r)
				return -1;
		}
		if (put(out, cap, &pos, "'", 1))
			return -1;
	}
	return (long)pos;
}

long zc_join_words(char *const *words, int n, char *out, size_t cap)
{
	size_t pos = 0;

	if (cap == 0)
		return -1;
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (i > 0 && put(out, cap, &pos, " ", 1))
			return -1;
		if (put(out, cap, &pos, words[i], strlen(words[i])))
			return -1;
	}
	return (long)pos;
}

long zc_base64_encode(const void *in, size_t len, char *out, size_t cap)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *b = in;
	size_t need = (len + 2) / 3 * 4, o = 0;

	if (need >= cap)
		return -1;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)b[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)b[i + 1] << 8;
		if (i + 2 < len)
			v |= b[i + 2];
		out[o++] = alphabet[(v >> 18) & 63];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? alphabet[v & 63] : '=';
	}
	out[o] = '\0';
	return (long)o;
}

long zc_json_string(const char *s, char *out, size_t cap)
{
	size_t pos = 0;
	char esc[8];

	if (cap == 0)
		return -1;
	out[0] = '\0';
	if (put(out, cap, &pos, "\"", 1))
		return -1;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		const char *e = NULL;
		switch (*c) {
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\b': e = "\\b"; break;
		case '\f': e = "\\f"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		default:
			if (*c < 0x20 || *c == 0x7f) {
				snprintf(esc, sizeof(esc), "\\u%04x", *c);
				e = esc;
			}
		}
		int r = e ? put(out, cap, &pos, e, strlen(e))
			  : put(out, cap, &pos, (const char *)c, 1);
		if (r)
			return -1;
	}
	if (put(out, cap, &pos, "\"", 1))
		return -1;
	return (long)pos;
}

int zc_is_bzimage(const void *image, size_t len)
{
	return len >= 0x206 && memcmp((const char *)image + 0x202, "HdrS", 4) == 0;
}

long zc_build_args(int bzimage, char *const *words, int n, char *out, size_t cap)
{
	static const char base[] = "console=ttyS0 panic=1 quiet pci=off";
	char quoted[4096];
	size_t pos = 0;
	long qlen, blen;

	if (!bzimage)
		return zc_join_words(words, n, out, cap);
	if (cap == 0 || put(out, cap, &pos, base, sizeof(base) - 1))
		return -1;
	if (n == 0)
		return (long)pos;
	if (put(out, cap, &pos, " zv_cmd64=", 10))
		return -1;
	qlen = zc_shell_quote(words, n, quoted, sizeof(quoted));
	if (qlen < 0)
		return -1;
	blen = zc_base64_encode(quoted, (size_t)qlen, out + pos, cap - pos);
	if (blen < 0)
		return -1;
	return (long)(pos + (size_t)blen);
}

void zc_format_cpus(uint32_t cpu_mask, char *out, size_t cap)
{
	size_t pos = 0;

	if (cap == 0)
		return;
	out[0] = '\0';
	for (int cpu = 0; cpu < 32; cpu++) {
		char num[12];
		if (!(cpu_mask & (1u << cpu)))
			continue;
		int len = snprintf(num, sizeof(num), "%s%d", pos ? "," : "", cpu);
		if (put(out, cap, &pos, num, (size_t)len))
			return;
	}
	if (pos == 0)
		snprintf(out, cap, "-");
}

void zc_format_mib(uint64_t bytes, char *out, size_t cap)
{
	uint64_t mib = bytes >> 20, tenths = ((bytes & 0xfffff) * 10) >> 20;

	if (tenths)
		snprintf(out, cap, "%llu.%lluM", (unsigned long long)mib,
			 (unsigned long long)tenths);
	else
		snprintf(out, cap, "%lluM", (unsigned long long)mib);
}

void zc_format_uptime(uint64_t us, char *out, size_t cap)
{
	unsigned long long s = us / 1000000;

	if (s < 60)
		snprintf(out, cap, "%llus", s);
	else if (s < 3600)
		snprintf(out, cap, "%llum%llus", s / 60, s % 60);
	else if (s < 86400)
		snprintf(out, cap, "%lluh%llum", s / 3600, s % 3600 / 60);
	else
		snprintf(out, cap, "%llud%lluh", s / 86400, s % 86400 / 3600);
}

/* Printable ASCII without the space: what a rule may hold (zones/control/check.c). */
static int is_rule_char(char c)
{
	return c > 0x20 && c < 0x7f;
}

static int is_cidr_char(char c)
{
	return (c >= '0' && c <= '9') || c == '.' || c == '/';
}

const char *zc_add_rule(char *allow, size_t cap, const char *rule, int cidr)
{
	size_t have = strlen(allow), n = strlen(rule);
	const char *port = strchr(rule, ':');
	size_t host_len = port ? (size_t)(port - rule) : n;

	if (n == 0 || host_len == 0)
		return "empty rule";
	for (size_t i = 0; i < n; i++)
		if (!is_rule_char(rule[i]))
			return "a rule has no spaces and only printable ASCII";
	if (cidr) {
		if (rule[0] < '0' || rule[0] > '9')
			return "not an address range (say 10.0.0.0/8 or 192.0.2.1:443)";
		for (size_t i = 0; i < host_len; i++)
			if (!is_cidr_char(rule[i]))
				return "not an address range (say 10.0.0.0/8 or 192.0.2.1:443)";
	} else if (memchr(rule, '/', host_len)) {
		return "an address range goes in --allow-cidr";
	}
	if (have + n + 1 >= cap)
		return "too many rules: the allowlist holds 4095 bytes";
	memcpy(allow + have, rule, n);
	allow[have + n] = '\n';
	allow[have + n + 1] = '\0';
	return NULL;
}

long zc_json_rules(const char *allow, char *out, size_t cap)
{
	size_t at = 0;

	if (cap < 3)
		return -1;
	out[at++] = '[';
	while (*allow) {
		const char *nl = strchr(allow, '\n');
		size_t n = nl ? (size_t)(nl - allow) : strlen(allow);
		char rule[512];
		long m;

		if (n >= sizeof(rule))
			return -1;
		memcpy(rule, allow, n);
		rule[n] = '\0';
		if (at > 1) {
			if (at + 2 >= cap)
				return -1;
			out[at++] = ',';
			out[at++] = ' ';
		}
		m = zc_json_string(rule, out + at, cap - at);
		if (m < 0)
			return -1;
		at += (size_t)m;
		allow += n + (nl ? 1 : 0);
	}
	if (at + 2 > cap)
		return -1;
	out[at++] = ']';
	out[at] = '\0';
	return (long)at;
}

/* One disk's object after its serial, NUL-terminated; length or -1. */
static long json_disk_figures(const struct zctl_disk *d, char *out, size_t cap)
{
	int n = snprintf(out, cap,
			 ", \"size\": %llu, \"read_only\": %s, \"reads\": %llu, "
			 "\"writes\": %llu, \"read_bytes\": %llu, \"written_bytes\": %llu, "
			 "\"errors\": %llu, \"refused\": %llu}",
			 (unsigned long long)d->size, d->read_only ? "true" : "false",
			 (unsigned long long)d->reads, (unsigned long long)d->writes,
			 (unsigned long long)d->read_bytes, (unsigned long long)d->written_bytes,
			 (unsigned long long)d->errors, (unsigned long long)d->refused);

	return n < 0 || (size_t)n >= cap ? -1 : n;
}

long zc_json_disks(const struct zctl_disk *disks, uint32_t count, char *out, size_t cap)
{
	size_t at = 0;

	if (count > ZCTL_MAX_DISKS)
		count = ZCTL_MAX_DISKS;
	if (cap < 3)
		return -1;
	out[at++] = '[';
	for (uint32_t i = 0; i < count; i++) {
		char serial[ZCTL_SERIAL_LEN + 1];
		long m;

		memcpy(serial, disks[i].serial, ZCTL_SERIAL_LEN);
		serial[ZCTL_SERIAL_LEN] = '\0';
		m = snprintf(out + at, cap - at, "%s{\"serial\": ", i ? ", " : "");
		if (m < 0 || (size_t)m >= cap - at)
			return -1;
		at += (size_t)m;
		m = zc_json_string(serial, out + at, cap - at);
		if (m < 0)
			return -1;
		at += (size_t)m;
		m = json_disk_figures(&disks[i], out + at, cap - at);
		if (m < 0)
			return -1;
		at += (size_t)m;
	}
	if (at + 2 > cap)
		return -1;
	out[at++] = ']';
	out[at] = '\0';
	return (long)at;
}

void zc_fail(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("zonectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}
