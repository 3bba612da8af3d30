/* libFuzzer target for what zonectl workspace export reads that a zone
 * chose: debugfs's output (it quotes the zone's file names) and a
 * WORKSPACE_READ reply's bitmap of written blocks (tools/zonectl/
 * storage_util.h).  The first input byte picks which. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools/zonectl/storage_util.c" /* not in the pure library: zonectl's own */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned shown;

static void count(const char *line, size_t n)
{
	if (n == 0 || memchr(line, '\n', n))
		abort(); /* a complaint is one nonempty line */
	shown++;
}

static void fuzz_complaints(const uint8_t *d, size_t n)
{
	char *copy = malloc(n ? n : 1); /* exact size: ASan sees over-reads */
	unsigned c;

	memcpy(copy, d, n);
	shown = 0;
	c = zc_debugfs_complaints(copy, n, count);
	if (c != shown || c != zc_debugfs_complaints(copy, n, NULL))
		abort();
	free(copy);
}

static void fuzz_runs(const uint8_t *d, size_t n)
{
	unsigned blocks = (unsigned)n * 8, len;
	uint8_t *copy = malloc(n ? n : 1);

	memcpy(copy, d, n);
	for (unsigned at = zc_next_run(copy, blocks, 0, &len); at < blocks;
	     at = zc_next_run(copy, blocks, at + len, &len)) {
		if (len == 0 || at + len > blocks)
			abort();
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		fuzz_runs(data + 1, size - 1);
	else
		fuzz_complaints(data + 1, size - 1);
	return 0;
}
