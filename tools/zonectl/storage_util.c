/* zonectl's pure helpers for images and workspaces: names, sizes, extents (storage_util.h). */
#include "tools/zonectl/storage_util.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define BLOCK 4096ull
#define MAXWS (64ull << 30)

int zc_image_name(const char *path, char *out, size_t cap)
{
	const char *base = strrchr(path, '/');
	const char *dot;
	size_t n, o = 0;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	for (size_t i = 0; i < n && o + 1 < cap && o < 31; i++) {
		char c = base[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			c = '-';
		out[o++] = c;
	}
	if (cap)
		out[o] = '\0';
	return o ? 0 : -1;
}

uint64_t zc_workspace_default(uint64_t dir_bytes)
{
	uint64_t twice;

	if (dir_bytes > MAXWS / 2)
		return MAXWS;
	twice = (2 * dir_bytes + (1ull << 20) - 1) & ~((1ull << 20) - 1);
	return twice > ZC_WS_MIN ? twice : ZC_WS_MIN;
}

void zc_block_extent(uint64_t *start, uint64_t *end, uint64_t size)
{
	uint64_t limit = size > UINT64_MAX - BLOCK ? UINT64_MAX & ~(BLOCK - 1)
						   : (size + BLOCK - 1) & ~(BLOCK - 1);

	*start &= ~(BLOCK - 1);
	*end = *end > UINT64_MAX - BLOCK ? limit : (*end + BLOCK - 1) & ~(BLOCK - 1);
	if (*end > limit)
		*end = limit;
	if (*start > *end)
		*start = *end;
}

static int bit(const uint8_t *used, unsigned i)
{
	return used[i / 8] >> (i % 8) & 1;
}

unsigned zc_next_run(const uint8_t *used, unsigned n, unsigned from, unsigned *len)
{
	unsigned i = from, j;

	while (i < n && !bit(used, i))
		i++;
	for (j = i; j < n && bit(used, j); j++)
		;
	*len = j - i;
	return i;
}

void zc_format_bytes(uint64_t bytes, char *out, size_t cap)
{
	static const char *const unit[] = {"KiB", "MiB", "GiB", "TiB"};
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(out, cap, "%lluB", (unsigned long long)bytes);
		return;
	}
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	snprintf(out, cap, "%.1f%s", v, unit[u]);
}

int zc_fsck_ok(int status)
{
	return status >= 0 && (status & ~3) == 0;
}

/* Whether [line, line + n) is debugfs's banner: "debugfs " and a digit. */
static int debugfs_banner(const char *line, size_t n)
{
	static const char head[] = "debugfs ";

	return n > sizeof(head) - 1 && !memcmp(line, head, sizeof(head) - 1) &&
	       line[sizeof(head) - 1] >= '0' && line[sizeof(head) - 1] <= '9';
}

/* Whether [line, line + n) starts like rdump's "cannot chown" complaint: the
 * name it quotes comes after, so a zone's file name cannot make another
 * complaint look like one. */
static int chown_refused(const char *line, size_t n)
{
	static const char *const heads[] = {
		"rdump: Operation not permitted while changing ownership of ",
		"dump_file: Operation not permitted while changing ownership of ",
	};

	for (unsigned i = 0; i < sizeof(heads) / sizeof(heads[0]); i++)
		if (n >= strlen(heads[i]) && !memcmp(line, heads[i], strlen(heads[i])))
			return 1;
	return 0;
}

unsigned zc_debugfs_complaints(const char *text, size_t len,
			       void (*show)(const char *line, size_t n))
{
	unsigned complaints = 0;

	while (len) {
		const char *nl = memchr(text, '\n', len);
		size_t n = nl ? (size_t)(nl - text) : len;

		if (n && !debugfs_banner(text, n) && !chown_refused(text, n)) {
			complaints++;
			if (show)
				show(text, n);
		}
		n += nl ? 1 : 0;
		text += n;
		len -= n;
	}
	return complaints;
}

unsigned zc_export_mode(unsigned mode)
{
	unsigned keep = S_ISDIR(mode) ? 07777u & ~(unsigned)S_ISUID : 01777u;

	return mode & keep;
}

unsigned zc_export_timeout(uint64_t written)
{
	uint64_t s = written >> 22;

	return s < 120 ? 120 : s > 86400 ? 86400 : (unsigned)s;
}

uint64_t zc_export_room(uint64_t written)
{
	uint64_t slack = (16ull << 20) + written / 8;

	return written > UINT64_MAX - slack ? UINT64_MAX : written + slack;
}
