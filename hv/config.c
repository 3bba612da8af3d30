/* zonevisor.conf parser (hv/config.h): INI-like text to struct zv_config; format in docs/config.md.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "hv/bootinfo.h"
#include "hv/config.h"
#include "hv/lib/fmt.h"
#include "hv/lib/string.h"

#define CONF_LINE_MAX	    511 /* characters, not counting the line end */
#define MIB		    (1ULL << 20)
#define CONF_AUDIT_RING_MIN (4 * 1024)
#define CONF_AUDIT_RING_MAX (256 * MIB)
#define CONF_MEM_ALIGN	    (2 * MIB)	      /* zones are mapped with 2 MiB pages */
#define CONF_MEM_MAX	    (64ULL << 30)     /* 64 GiB */
#define CONF_CPU_MAX	    (ZV_MAX_CPUS - 1) /* CPU 0, the BSP, runs no boot-time zone */

#define NKEYS(t) (sizeof(t) / sizeof((t)[0]))

enum conf_section { SEC_NONE, SEC_HV, SEC_ZONE };

struct parser {
	struct zv_config *cfg;
	char *err;
	size_t errlen;
	unsigned line; /* 1-based number of the line being parsed */
	enum conf_section sec;
	unsigned hv_seen;   /* bit per hv_keys[] entry already given */
	unsigned zone_seen; /* bit per zone_keys[] entry, for the current zone */
	unsigned zone_line; /* line of the current zone's header */
};

typedef int (*key_fn)(struct parser *p, const char *val);

struct key_def {
	const char *name;
	key_fn set;
	bool required;
};

struct word {
	const char *word;
	int value;
};

__attribute__((format(printf, 3, 4))) static int fail_at(struct parser *p, unsigned line,
							 const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->err || p->errlen == 0)
		return -1;
	n = zv_snprintf(p->err, p->errlen, "line %u: ", line);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		zv_vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

#define fail(p, ...) fail_at((p), (p)->line, __VA_ARGS__)

static struct zv_zone_conf *cur_zone(struct parser *p)
{
	return &p->cfg->zones[p->cfg->zone_count - 1];
}

/* ---- small text helpers --------------------------------------------- */

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Trims spaces and tabs at both ends of s, in place; returns the new start. */
static char *trim(char *s)
{
	size_t n;

	while (is_space(*s))
		s++;
	n = zv_strlen(s);
	while (n > 0 && is_space(s[n - 1]))
		s[--n] = '\0';
	return s;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || is_digit(c) || c == '_' || c == '-';
}

static bool is_image_char(char c)
{
	return (c >= 'A' && c <= 'Z') || is_name_char(c) || c == '.';
}

static bool all_chars(const char *s, bool (*ok)(char))
{
	for (; *s; s++) {
		if (!ok(*s))
			return false;
	}
	return true;
}

/* Parses decimal digits at *s into *v; false on no digits or on overflow. */
static bool parse_u64(const char **s, uint64_t *v)
{
	const char *q = *s;
	uint64_t n = 0;

	if (!is_digit(*q))
		return false;
	for (; is_digit(*q); q++) {
		unsigned d = (unsigned)(*q - '0');

		if (n > (UINT64_MAX - d) / 10)
			return false;
		n = n * 10 + d;
	}
	*s = q;
	*v = n;
	return true;
}

static bool lookup_word(const struct word *w, size_t n, const char *s, int *value)
{
	for (size_t i = 0; i < n; i++) {
		if (zv_strcmp(w[i].word, s) == 0) {
			*value = w[i].value;
			return true;
		}
	}
	return false;
}

/* ---- [zonevisor] keys ------------------------------------------------- */

static const struct word debug_fault_words[] = {
	{"none", ZV_FAULT_NONE}, {"ud", ZV_FAULT_UD}, {"pf", ZV_FAULT_PF},
	{"gp", ZV_FAULT_GP},	 {"de", ZV_FAULT_DE}, {"stray", ZV_FAULT_STRAY},
};

static const struct word on_idle_words[] = {
	{"halt", ZV_IDLE_HALT},
	{"poweroff", ZV_IDLE_POWEROFF},
};

static const struct word yes_no_words[] = {{"yes", 1}, {"no", 0}};

static int set_debug_fault(struct parser *p, const char *val)
{
	int v;

	if (!lookup_word(debug_fault_words, NKEYS(debug_fault_words), val, &v))
		return fail(p, "bad debug_fault '%.32s' (expected none, ud, pf, gp, de or stray)",
			    val);
	p->cfg->debug_fault = (enum zv_debug_fault)v;
	return 0;
}

static int set_on_idle(struct parser *p, const char *val)
{
	int v;

	if (!lookup_word(on_idle_words, NKEYS(on_idle_words), val, &v))
		return fail(p, "bad on_idle '%.32s' (expected halt or poweroff)", val);
	p->cfg->on_idle = (enum zv_on_idle)v;
	return 0;
}

static int set_verify_wipe(struct parser *p, const char *val)
{
	int v;

	if (!lookup_word(yes_no_words, NKEYS(yes_no_words), val, &v))
		return fail(p, "bad verify_wipe '%.32s' (expected yes or no)", val);
	p->cfg->verify_wipe = (uint32_t)v;
	return 0;
}

static int set_dump_acpi(struct parser *p, const char *val)
{
	int v;

	if (!lookup_word(yes_no_words, NKEYS(yes_no_words), val, &v))
		return fail(p, "bad dump_acpi '%.32s' (expected yes or no)", val);
	p->cfg->dump_acpi = (uint32_t)v;
	return 0;
}

static int set_console_timestamps(struct parser *p, const char *val)
{
	int v;

	if (!lookup_word(yes_no_words, NKEYS(yes_no_words), val, &v))
		return fail(p, "bad console_timestamps '%.32s' (expected yes or no)", val);
	p->cfg->console_timestamps = (uint32_t)v;
	return 0;
}

static const struct word audit_full_words[] = {{"block", 0}, {"drop", 1}};

static int set_audit_full(struct parser *p, const char *val)
{
	int v;

	if (!lookup_word(audit_full_words, NKEYS(audit_full_words), val, &v))
		return fail(p, "bad audit_full '%.32s' (expected block or drop)", val);
	p->cfg->audit_drop = (uint32_t)v;
	return 0;
}

static int set_audit_share(struct parser *p, const char *val)
{
	const char *s = val;
	uint64_t v;

	if (!parse_u64(&s, &v) || *s || v < 1 || v > 100)
		return fail(p, "bad audit_share '%.32s' (expected a percentage, 1 to 100)", val);
	p->cfg->audit_share = (uint32_t)v;
	return 0;
}

static int set_audit_ring(struct parser *p, const char *val);
static int set_agent_kernel(struct parser *p, const char *val);
static int set_agent_initrd(struct parser *p, const char *val);
static int set_agent_image(struct parser *p, const char *val);

static const struct key_def hv_keys[] = {
	{"agent_kernel", set_agent_kernel, false},
	{"agent_initrd", set_agent_initrd, false},
	{"agent_image", set_agent_image, false},
	{"debug_fault", set_debug_fault, false},
	{"on_idle", set_on_idle, false},
	{"verify_wipe", set_verify_wipe, false},
	{"dump_acpi", set_dump_acpi, false},
	{"console_timestamps", set_console_timestamps, false},
	{"audit_ring", set_audit_ring, false},
	{"audit_full", set_audit_full, false},
	{"audit_share", set_audit_share, false},
};

/* ---- [zone NAME] keys ------------------------------------------------- */

/* A file in the ESP's /zonevisor/ folder: no slashes, no "." or "..". */
static int set_file_name(struct parser *p, const char *val, char *dst, const char *what)
{
	size_t n = zv_strlen(val);

	if (n == 0 || n >= ZV_CONF_PATH_LEN || !all_chars(val, is_image_char) ||
	    zv_strcmp(val, ".") == 0 || zv_strcmp(val, "..") == 0)
		return fail(p,
			    "bad %s '%.32s' (expected a file name of 1 to %d characters of A-Z "
			    "a-z 0-9 . _ -)",
			    what, val, ZV_CONF_PATH_LEN - 1);
	zv_strlcpy(dst, val, ZV_CONF_PATH_LEN);
	return 0;
}

static int set_agent_kernel(struct parser *p, const char *val)
{
	return set_file_name(p, val, p->cfg->agent_kernel, "agent_kernel");
}

static int set_agent_initrd(struct parser *p, const char *val)
{
	return set_file_name(p, val, p->cfg->agent_initrd, "agent_initrd");
}

/* The name an image is loaded under (zonectl image load --name): a zone name's
 * characters, since the control protocol checks it the same way. */
static int set_agent_image(struct parser *p, const char *val)
{
	if (zv_strlen(val) == 0 || zv_strlen(val) >= ZV_CONF_NAME_LEN ||
	    !all_chars(val, is_name_char))
		return fail(p,
			    "bad agent_image '%.32s' (expected 1 to %d characters of a-z 0-9 _ -)",
			    val, ZV_CONF_NAME_LEN - 1);
	zv_strlcpy(p->cfg->agent_image, val, ZV_CONF_NAME_LEN);
	return 0;
}

static int set_image(struct parser *p, const char *val)
{
	return set_file_name(p, val, cur_zone(p)->image, "image");
}

static int set_initrd(struct parser *p, const char *val)
{
	return set_file_name(p, val, cur_zone(p)->initrd, "initrd");
}

static int set_disk(struct parser *p, const char *val)
{
	return set_file_name(p, val, cur_zone(p)->disk, "disk");
}

/* Applies a K, M or G suffix (binary multiples); false on overflow or junk. */
static bool apply_suffix(const char *s, uint64_t *v, bool *overflow)
{
	unsigned shift;

	switch (*s) {
	case '\0': return true;
	case 'K':
	case 'k': shift = 10; break;
	case 'M':
	case 'm': shift = 20; break;
	case 'G':
	case 'g': shift = 30; break;
	default: return false;
	}
	if (s[1] != '\0')
		return false;
	if (*v > (UINT64_MAX >> shift)) {
		*overflow = true;
		return false;
	}
	*v <<= shift;
	return true;
}

static int set_memory(struct parser *p, const char *val)
{
	const char *s = val;
	uint64_t v = 0;
	bool overflow = false;

	if (!is_digit(*s))
		return fail(p,
			    "bad memory '%.32s' (expected a number with an optional K, M or G "
			    "suffix, e.g. 256M)",
			    val);
	if (!parse_u64(&s, &v) || !apply_suffix(s, &v, &overflow)) {
		if (is_digit(*s) || overflow)
			return fail(p, "memory '%.32s' is too large (at most 64G)", val);
		return fail(p,
			    "bad memory '%.32s' (expected a number with an optional K, M or G "
			    "suffix, e.g. 256M)",
			    val);
	}
	if (v < CONF_MEM_ALIGN || v > CONF_MEM_MAX)
		return fail(p, "memory '%.32s' out of range (2M to 64G)", val);
	if (v % CONF_MEM_ALIGN)
		return fail(p, "memory '%.32s' is not a multiple of 2M", val);
	cur_zone(p)->memory = v;
	return 0;
}

/* The audit ring: at least two of the longest records (zones/audit/log.h),
 * at most what one allocation of the pool gives comfortably. */
static int set_audit_ring(struct parser *p, const char *val)
{
	const char *s = val;
	uint64_t v = 0;
	bool overflow = false;

	if (!parse_u64(&s, &v) || !apply_suffix(s, &v, &overflow) || v < CONF_AUDIT_RING_MIN ||
	    v > CONF_AUDIT_RING_MAX)
		return fail(p, "bad audit_ring '%.32s' (expected a size from 4K to 256M, e.g. 1M)",
			    val);
	p->cfg->audit_ring = v;
	return 0;
}

static bool cpu_listed(const struct zv_zone_conf *z, uint32_t n, uint32_t cpu)
{
	for (uint32_t i = 0; i < n; i++)
		if (z->cpus[i] == cpu)
			return true;
	return false;
}

/* "cpu = 1" or "cpu = 1,2": one vCPU on each listed logical CPU. */
static int set_cpu(struct parser *p, const char *val)
{
	struct zv_zone_conf *z = cur_zone(p);
	const char *s = val;
	uint32_t n = 0;

	for (;;) {
		uint64_t v;

		if (!parse_u64(&s, &v) || v < 1 || v > CONF_CPU_MAX || (*s != '\0' && *s != ','))
			return fail(p,
				    "bad cpu '%.32s' (expected 1 to %d, or a list like 1,2; cpu 0 "
				    "runs no zone)",
				    val, CONF_CPU_MAX);
		if (n == ZV_CONF_MAX_VCPUS)
			return fail(p, "cpu '%.32s': a zone has at most %d vCPUs", val,
				    ZV_CONF_MAX_VCPUS);
		if (cpu_listed(z, n, (uint32_t)v))
			return fail(p, "cpu '%.32s' lists cpu %lu twice", val, (unsigned long)v);
		z->cpus[n++] = (uint32_t)v;
		if (*s == '\0')
			break;
		s++;
	}
	z->cpu = z->cpus[0];
	z->vcpu_count = n;
	return 0;
}

/* Anything printable (UTF-8 included) and tab; no other ASCII control character. */
static bool is_args_char(char c)
{
	return ((unsigned char)c >= 0x20 && c != 0x7f) || c == '\t';
}

static int set_args(struct parser *p, const char *val)
{
	if (zv_strlen(val) >= ZV_CONF_ARGS_LEN)
		return fail(p, "args too long (at most %d characters)", ZV_CONF_ARGS_LEN - 1);
	if (!all_chars(val, is_args_char))
		return fail(p, "args contain a control character");
	zv_strlcpy(cur_zone(p)->args, val, ZV_CONF_ARGS_LEN);
	return 0;
}

static int set_after(struct parser *p, const char *val)
{
	struct zv_zone_conf *z = cur_zone(p);

	if (zv_strcmp(val, z->name) == 0)
		return fail(p, "zone '%s' cannot start after itself", z->name);
	for (uint32_t i = 0; i + 1 < p->cfg->zone_count; i++) {
		if (zv_strcmp(p->cfg->zones[i].name, val) == 0) {
			zv_strlcpy(z->after, val, ZV_CONF_NAME_LEN);
			return 0;
		}
	}
	return fail(p, "after: no zone '%.32s' is declared before zone '%s'", val, z->name);
}

static int set_console(struct parser *p, const char *val)
{
	int v;

	if (!lookup_word(yes_no_words, NKEYS(yes_no_words), val, &v))
		return fail(p, "bad console '%.32s' (expected yes or no)", val);
	cur_zone(p)->console = (uint32_t)v;
	return 0;
}

static int set_control(struct parser *p, const char *val)
{
	int v;

	if (!lookup_word(yes_no_words, NKEYS(yes_no_words), val, &v))
		return fail(p, "bad control '%.32s' (expected yes or no)", val);
	cur_zone(p)->control = (uint32_t)v;
	return 0;
}

/* cpu stays required for every zone but the control zone (KEY_CPU). */
enum { KEY_CPU = 2 };
static const struct key_def zone_keys[] = {
	{"image", set_image, true},	 {"memory", set_memory, true},
	{"cpu", set_cpu, true},		 {"args", set_args, false},
	{"after", set_after, false},	 {"initrd", set_initrd, false},
	{"console", set_console, false}, {"control", set_control, false},
	{"disk", set_disk, false},
};

/* ---- sections --------------------------------------------------------- */

#define CONTROL_MEM_MIN (64 * MIB)

/* The control zone runs on CPU 0 and is one naturally aligned block of
 * memory (hv/palloc.c allocates power-of-two runs), identity-mapped. */
static int finish_control(struct parser *p, struct zv_zone_conf *z)
{
	const struct zv_config *c = p->cfg;

	if (p->zone_seen & (1u << KEY_CPU))
		return fail_at(p, p->zone_line, "control zone '%s' runs on cpu 0: give no cpu",
			       z->name);
	if (z->after[0])
		return fail_at(p, p->zone_line, "control zone '%s' cannot have after", z->name);
	if (z->disk[0])
		return fail_at(p, p->zone_line, "control zone '%s' cannot have a disk", z->name);
	if (z->memory < CONTROL_MEM_MIN || (z->memory & (z->memory - 1)))
		return fail_at(p, p->zone_line,
			       "control zone '%s': memory must be a power of two from 64M",
			       z->name);
	for (uint32_t i = 0; i + 1 < c->zone_count; i++)
		if (c->zones[i].control)
			return fail_at(p, p->zone_line, "a second control zone ('%s')", z->name);
	z->cpus[0] = z->cpu = 0;
	z->vcpu_count = 1;
	z->console = 1;
	return 0;
}

/* Ends the current zone section: every required key must have been given. */
static int finish_zone(struct parser *p)
{
	struct zv_zone_conf *z;

	if (p->sec != SEC_ZONE)
		return 0;
	z = cur_zone(p);
	for (size_t i = 0; i < NKEYS(zone_keys); i++) {
		if (i == KEY_CPU && z->control)
			continue;
		if (zone_keys[i].required && !(p->zone_seen & (1u << i)))
			return fail_at(p, p->zone_line, "zone '%s' has no %s", z->name,
				       zone_keys[i].name);
	}
	p->sec = SEC_NONE;
	return z->control ? finish_control(p, z) : 0;
}

const struct zv_zone_conf *zv_config_control(const struct zv_config *c)
{
	for (uint32_t i = 0; i < c->zone_count; i++)
		if (c->zones[i].control)
			return &c->zones[i];
	return NULL;
}

static int begin_zone(struct parser *p, const char *name)
{
	struct zv_config *c = p->cfg;

	if (zv_strlen(name) == 0 || zv_strlen(name) >= ZV_CONF_NAME_LEN ||
	    !all_chars(name, is_name_char))
		return fail(p, "bad zone name '%.32s' (expected 1 to %d characters of a-z 0-9 _ -)",
			    name, ZV_CONF_NAME_LEN - 1);
	for (uint32_t i = 0; i < c->zone_count; i++) {
		if (zv_strcmp(c->zones[i].name, name) == 0)
			return fail(p, "duplicate zone name '%s'", name);
	}
	if (c->zone_count >= ZV_CONF_MAX_ZONES)
		return fail(p, "too many zones (at most %d)", ZV_CONF_MAX_ZONES);
	zv_strlcpy(c->zones[c->zone_count++].name, name, ZV_CONF_NAME_LEN);
	p->sec = SEC_ZONE;
	p->zone_seen = 0;
	p->zone_line = p->line;
	return 0;
}

/* Parses "[zonevisor]" or "[zone NAME]"; line starts with '['. */
static int parse_section(struct parser *p, char *line)
{
	size_t n = zv_strlen(line);
	char *inner;

	if (line[n - 1] != ']')
		return fail(p, "section header must end with ']'");
	line[n - 1] = '\0';
	inner = trim(line + 1);
	if (finish_zone(p))
		return -1;
	if (zv_strcmp(inner, "zonevisor") == 0) {
		p->sec = SEC_HV;
		return 0;
	}
	if (zv_strncmp(inner, "zone", 4) == 0 && (inner[4] == '\0' || is_space(inner[4])))
		return begin_zone(p, trim(inner + 4));
	return fail(p, "unknown section '[%.32s]' (expected [zonevisor] or [zone NAME])", inner);
}

/* Finds key in table, rejects a repeat (bit in *seen), and sets it. */
static int apply_key(struct parser *p, const struct key_def *keys, size_t n, unsigned *seen,
		     const char *key, const char *val)
{
	for (size_t i = 0; i < n; i++) {
		if (zv_strcmp(keys[i].name, key) != 0)
			continue;
		if (*seen & (1u << i))
			return fail(p, "duplicate key '%s'", key);
		*seen |= 1u << i;
		return keys[i].set(p, val);
	}
	if (p->sec == SEC_HV)
		return fail(p, "unknown key '%.32s' in [zonevisor]", key);
	return fail(p, "unknown key '%.32s' in [zone %s]", key, cur_zone(p)->name);
}

/* Parses "key = value". */
static int parse_assignment(struct parser *p, char *line)
{
	char *eq = line;
	char *key, *val;

	while (*eq && *eq != '=')
		eq++;
	if (*eq != '=')
		return fail(p, "expected '[section]' or 'key = value'");
	*eq = '\0';
	key = trim(line);
	val = trim(eq + 1);
	if (*key == '\0')
		return fail(p, "missing key before '='");
	if (p->sec == SEC_NONE)
		return fail(p, "key '%.32s' outside a section", key);
	if (p->sec == SEC_HV)
		return apply_key(p, hv_keys, NKEYS(hv_keys), &p->hv_seen, key, val);
	return apply_key(p, zone_keys, NKEYS(zone_keys), &p->zone_seen, key, val);
}

static int parse_line(struct parser *p, char *raw)
{
	char *line = trim(raw);

	if (*line == '\0' || *line == '#' || *line == ';')
		return 0;
	if (*line == '[')
		return parse_section(p, line);
	return parse_assignment(p, line);
}

/* ---- lines -------------------------------------------------------------- */

/* Copies the line at text[*pos] into buf (CONF_LINE_MAX + 1 bytes) and
 * advances *pos past its '\n'; a final "\r" of a CRLF file is dropped. */
static int read_line(struct parser *p, const char *text, size_t len, size_t *pos, char *buf)
{
	size_t start = *pos, end = start, n;

	while (end < len && text[end] != '\n') {
		if (text[end] == '\0')
			return fail(p, "NUL byte in the text");
		end++;
	}
	*pos = end < len ? end + 1 : len;
	n = end - start;
	if (n > 0 && text[end - 1] == '\r')
		n--;
	if (n > CONF_LINE_MAX)
		return fail(p, "line too long (more than %d characters)", CONF_LINE_MAX);
	zv_memcpy(buf, text + start, n);
	buf[n] = '\0';
	return 0;
}

/* Skips a UTF-8 byte-order mark, which some editors write at the start. */
static size_t skip_bom(const char *text, size_t len)
{
	if (len >= 3 && zv_memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		return 3;
	return 0;
}

static int parse_text(struct parser *p, const char *text, size_t len)
{
	char buf[CONF_LINE_MAX + 1];
	size_t pos = skip_bom(text, len);

	while (pos < len) {
		p->line++;
		if (read_line(p, text, len, &pos, buf) || parse_line(p, buf))
			return -1;
	}
	return finish_zone(p);
}

int zv_config_parse(const char *text, size_t len, struct zv_config *out, char *err, size_t errlen)
{
	struct parser p = {.cfg = out, .err = err, .errlen = errlen};

	zv_memset(out, 0, sizeof(*out));
	out->audit_ring = ZV_CONF_AUDIT_RING_DEFAULT;
	out->audit_share = ZV_CONF_AUDIT_SHARE_DEFAULT;
	if (err && errlen)
		err[0] = '\0';
	if (len && !text)
		return fail_at(&p, 0, "no text");
	if (parse_text(&p, text, len) == 0)
		return 0;
	zv_memset(out, 0, sizeof(*out)); /* never hand out half a config */
	return -1;
}
