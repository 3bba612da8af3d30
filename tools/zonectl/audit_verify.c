/* zonectl audit verify's core: the RFC 6962 tree and the record checks (audit_verify.h). */
#include "tools/zonectl/audit_verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/lib/sha256.h"

#define TREE_KEY ",\"tree\":\""

void av_tree_init(struct av_tree *t)
{
	memset(t, 0, sizeof(*t));
}

/* RFC 6962 2.1: leaves hash with prefix 0x00, nodes with 0x01. */
static void node_hash(const uint8_t l[AV_HASH], const uint8_t r[AV_HASH], uint8_t out[AV_HASH])
{
	struct sha256 c;
	uint8_t one = 1;

	sha256_init(&c);
	sha256_update(&c, &one, 1);
	sha256_update(&c, l, AV_HASH);
	sha256_update(&c, r, AV_HASH);
	sha256_final(&c, out);
}

void av_tree_add(struct av_tree *t, const char *line, size_t len)
{
	struct sha256 c;
	uint8_t zero = 0;
	unsigned k;

	sha256_init(&c);
	sha256_update(&c, &zero, 1);
	sha256_update(&c, line, len);
	sha256_final(&c, t->node[t->levels]);
	t->size[t->levels++] = 1;
	t->count++;
	while ((k = t->levels) >= 2 && t->size[k - 1] == t->size[k - 2]) {
		node_hash(t->node[k - 2], t->node[k - 1], t->node[k - 2]);
		t->size[k - 2] *= 2;
		t->levels--;
	}
}

void av_tree_root(const struct av_tree *t, uint8_t root[AV_HASH])
{
	struct sha256 c;

	if (t->levels == 0) {
		sha256_init(&c);
		sha256_final(&c, root);
		return;
	}
	memcpy(root, t->node[t->levels - 1], AV_HASH);
	for (unsigned k = t->levels - 1; k-- > 0;)
		node_hash(t->node[k], root, root);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int av_unhex(const char *hex, uint8_t out[AV_HASH])
{
	for (unsigned i = 0; i < AV_HASH; i++) {
		int hi = hex_digit(hex[2 * i]), lo = hi < 0 ? -1 : hex_digit(hex[2 * i + 1]);

		if (lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void av_hex(const uint8_t in[AV_HASH], char out[2 * AV_HASH + 1])
{
	sha256_hex(in, out);
}

/* Where the tree field's hex starts in line, or NULL.  Strings before it
 * are JSON-escaped, so its key cannot appear inside one of them. */
static const char *tree_field(const char *line, size_t len)
{
	size_t k = strlen(TREE_KEY);

	for (size_t i = 0; i + k + 2 * AV_HASH < len; i++)
		if (memcmp(line + i, TREE_KEY, k) == 0)
			return line[i + k + 2 * AV_HASH] == '"' ? line + i + k : NULL;
	return NULL;
}

int av_parse(const char *line, size_t len, uint64_t *seq, uint8_t tree[AV_HASH])
{
	static const char start[] = "{\"seq\":";
	size_t i = sizeof(start) - 1;
	const char *hex;

	if (len < i || memcmp(line, start, i) != 0 || i >= len || line[i] < '0' || line[i] > '9')
		return -1;
	for (*seq = 0; i < len && line[i] >= '0' && line[i] <= '9'; i++) {
		if (*seq > (UINT64_MAX - 9) / 10)
			return -1;
		*seq = *seq * 10 + (uint64_t)(line[i] - '0');
	}
	if (i >= len || line[i] != ',' || line[len - 1] != '}')
		return -1;
	hex = tree_field(line, len);
	return hex && av_unhex(hex, tree) == 0 ? 0 : -1;
}

long av_split(const char *buf, size_t len, struct av_line **out)
{
	size_t n = 0, cap = 0, at = 0;
	struct av_line *v = NULL, *grown;

	while (at < len) {
		const char *nl = memchr(buf + at, '\n', len - at);
		size_t end = nl ? (size_t)(nl - buf) : len;

		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			grown = realloc(v, cap * sizeof(*v));
			if (!grown) {
				free(v);
				return -1;
			}
			v = grown;
		}
		v[n++] = (struct av_line){buf + at, end - at, nl != NULL};
		at = end + 1;
	}
	*out = v;
	return (long)n;
}

/* Where record seq `want` is, at or after line from; -1 if nowhere. */
static long find_seq(const struct av_line *lines, size_t n, size_t from, uint64_t want)
{
	uint64_t seq;
	uint8_t tree[AV_HASH];

	for (size_t j = from; j < n; j++)
		if (av_parse(lines[j].text, lines[j].len, &seq, tree) == 0 && seq == want)
			return (long)j;
	return -1;
}

static int seq_error(const struct av_line *lines, size_t n, size_t i, uint64_t seq, char *why)
{
	long at = find_seq(lines, n, i + 1, i);

	if (at >= 0)
		snprintf(why, AV_WHY_LEN,
			 "record %zu is out of place: it is on line %ld, line %zu holds record "
			 "%llu (records swapped or moved)",
			 i, at + 1, i + 1, (unsigned long long)seq);
	else if (seq > i)
		snprintf(why, AV_WHY_LEN,
			 "record %zu is missing: line %zu holds record %llu (records %zu..%llu "
			 "deleted)",
			 i, i + 1, (unsigned long long)seq, i, (unsigned long long)seq - 1);
	else
		snprintf(why, AV_WHY_LEN,
			 "record %zu: line %zu holds record %llu again (expected %zu)", i, i + 1,
			 (unsigned long long)seq, i);
	return -1;
}

/* Whether line i's tree field alone changed: with it put back to the root
 * t holds, does the next record's tree agree? */
static bool only_tree_changed(const struct av_line *lines, size_t n, size_t i,
			      const struct av_tree *t)
{
	struct av_tree t2 = *t;
	uint8_t root[AV_HASH], next[AV_HASH];
	char hex[2 * AV_HASH + 1], *fixed;
	uint64_t seq;
	const char *at = tree_field(lines[i].text, lines[i].len);

	if (i + 1 >= n || !at || av_parse(lines[i + 1].text, lines[i + 1].len, &seq, next) != 0)
		return false;
	fixed = malloc(lines[i].len);
	if (!fixed)
		return false;
	memcpy(fixed, lines[i].text, lines[i].len);
	av_tree_root(t, root);
	av_hex(root, hex);
	memcpy(fixed + (at - lines[i].text), hex, 2 * AV_HASH);
	av_tree_add(&t2, fixed, lines[i].len);
	free(fixed);
	av_tree_root(&t2, root);
	return memcmp(root, next, AV_HASH) == 0;
}

static int tree_error(const struct av_line *lines, size_t n, size_t i, const struct av_tree *t,
		      char *why)
{
	if (i == 0 || only_tree_changed(lines, n, i, t))
		snprintf(why, AV_WHY_LEN,
			 "record %zu (line %zu) does not match: its tree field is not the root "
			 "of the records before it",
			 i, i + 1);
	else
		snprintf(why, AV_WHY_LEN,
			 "record %zu (line %zu) does not match: record %zu's tree disagrees with "
			 "its bytes (edited?)",
			 i - 1, i, i);
	return -1;
}

int av_verify(const struct av_line *lines, size_t n, struct av_tree *t, char why[AV_WHY_LEN])
{
	uint8_t tree[AV_HASH], root[AV_HASH];
	uint64_t seq;

	av_tree_init(t);
	for (size_t i = 0; i < n; i++) {
		const struct av_line *l = &lines[i];

		if (av_parse(l->text, l->len, &seq, tree) != 0 || !l->newline) {
			snprintf(why, AV_WHY_LEN, "record %zu (line %zu) is %s", i, i + 1,
				 l->newline ? "not an audit record (edited?)"
					    : "cut short: no newline (truncated file?)");
			return -1;
		}
		if (seq != i)
			return seq_error(lines, n, i, seq, why);
		av_tree_root(t, root);
		if (memcmp(root, tree, AV_HASH) != 0)
			return tree_error(lines, n, i, t, why);
		av_tree_add(t, l->text, l->len);
	}
	return 0;
}

/* The JSON string value of key (its first occurrence) without quotes or
 * unescaping, into out; "" if absent. */
static void string_field(const char *line, size_t len, const char *key, char *out, size_t cap)
{
	char pat[40];
	size_t k = (size_t)snprintf(pat, sizeof(pat), ",\"%s\":\"", key), n = 0;

	out[0] = '\0';
	for (size_t i = 0; i + k <= len; i++) {
		if (memcmp(line + i, pat, k) != 0)
			continue;
		for (i += k; i < len && line[i] != '"' && n + 1 < cap; i++) {
			if (line[i] == '\\' && i + 1 < len)
				out[n++] = line[i++];
			out[n++] = line[i];
		}
		out[n] = '\0';
		return;
	}
}

bool av_zone_is(const char *line, size_t len, const char *name)
{
	char zone[64];

	string_field(line, len, "zone", zone, sizeof(zone));
	return strcmp(zone, name) == 0;
}

/* The record's own fields as key=value words: keys lose their quotes. */
static size_t details(const char *p, size_t len, char *out, size_t cap)
{
	size_t n = 0;
	bool in_string = false, key = true;

	for (size_t i = 0; i < len && n + 1 < cap; i++) {
		char c = p[i];

		if (in_string) {
			if (c == '\\' && i + 1 < len && n + 2 < cap) {
				out[n++] = c;
				c = p[++i];
			} else if (c == '"') {
				in_string = false;
				if (key)
					continue;
			}
		} else if (c == '"') {
			in_string = true;
			if (key)
				continue;
		} else if (c == ':' && key) {
			c = '=';
			key = false;
		} else if (c == ',') {
			c = ' ';
			key = true;
		}
		out[n++] = c;
	}
	out[n] = '\0';
	return n;
}

int av_table_row(const char *line, size_t len, char *out, size_t cap)
{
	char time[40], zone[40], type[40];
	uint64_t seq;
	uint8_t tree[AV_HASH];
	const char *fields = tree_field(line, len);
	int n;

	if (cap == 0 || av_parse(line, len, &seq, tree) != 0)
		return -1;
	string_field(line, len, "time", time, sizeof(time));
	string_field(line, len, "zone", zone, sizeof(zone));
	string_field(line, len, "type", type, sizeof(type));
	n = snprintf(out, cap, "%-6llu %-27s %-12s %-18s ", (unsigned long long)seq, time,
		     zone[0] ? zone : "-", type);
	if (n < 0 || (size_t)n >= cap)
		return 0;
	fields += 2 * AV_HASH + 1; /* past the tree's hex and its quote */
	if (fields < line + len - 1 && *fields == ',')
		details(fields + 1, (size_t)(line + len - 1 - (fields + 1)), out + n,
			cap - (size_t)n);
	return 0;
}
