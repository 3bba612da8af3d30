/*
 * zonectl audit: reads and follows the hypervisor's audit log, prints its
 * head, verifies a drained file against it, and drains it to a file
 * (docs/audit.md).  The tree and the checks are in audit_verify.c.
 */
#include "tools/zonectl/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tools/zonectl/audit_verify.h"
#include "tools/zonectl/channel.h"
#include "tools/zonectl/zonectl_util.h"

#define POLL_MS	     200 /* -f and --drain: how often an idle log is asked again */
#define HEAD_TRIES   16	 /* verify: reads of the ring to catch up with a moving head */
#define DRAIN_SYNC_S 1	 /* --drain: fsync at least this often while records come */

static const char usage_audit[] =
	"usage: zonectl audit [-f] [--json] [--since SEQ] [--zone NAME] [--file FILE]\n"
	"       zonectl audit head [--json]\n"
	"       zonectl audit verify [--no-head] FILE\n"
	"       zonectl audit --drain FILE\n"
	"\n"
	"The hypervisor's audit log: every control request, zone start, stop and\n"
	"wipe, admitted and denied connection, fault and refusal, and the zones'\n"
	"console output (up to 64 KiB each), as JSON lines chained into an RFC 6962\n"
	"Merkle tree whose head (size and root) no zone can write.\n"
	"\n"
	"  (no command)  the records: those drained to FILE (default " ZC_AUDIT_FILE "),\n"
	"                then the ones still in the hypervisor's ring; a table for\n"
	"                people (SEQ TIME ZONE TYPE DETAILS), --json: the lines verbatim\n"
	"  -f            follow: print records as they come\n"
	"  --since SEQ   from record SEQ on\n"
	"  --zone NAME   only zone NAME's records\n"
	"  head          the tree's size and root (SHA-256, hex): hand it to a witness\n"
	"  verify FILE   recompute FILE's tree: names the first record that does not\n"
	"                match (edited, deleted, swapped, cut) and exits 1; then checks\n"
	"                the root against the live head (--no-head: do not)\n"
	"  --drain FILE  append every record to FILE and acknowledge it, forever\n"
	"                (control-init starts this at boot)\n";

static void __attribute__((noreturn)) usage(int status)
{
	fputs(usage_audit, status ? stderr : stdout);
	exit(status);
}

static void sleep_ms(unsigned ms)
{
	struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&t, NULL);
}

/* One AUDIT_READ: *o the reply's header, *lines its bytes (valid until the next call). */
static void read_ring(uint64_t since, uint32_t flags, struct zctl_audit_read *o, const char **lines)
{
	struct zctl_audit_read_req rq = {since, flags, ZCTL_AUDIT_READ_MAX};
	size_t len;
	const uint8_t *reply =
		channel_call_or_die(ZCTL_OP_AUDIT_READ, &rq, sizeof(rq), NULL, 0, sizeof(*o), &len);

	memcpy(o, reply, sizeof(*o));
	if (o->len > len - sizeof(*o) || o->next < o->first)
		zc_fail(ZC_EXIT_CHANNEL, "protocol error: audit read: %u bytes in a %zu-byte reply",
			o->len, len);
	*lines = (const char *)reply + sizeof(*o);
}

/* The whole of path, malloc'ed, *len its size; NULL if it cannot be read. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	do {
		if (n == cap) {
			char *grown = realloc(buf, cap = cap ? 2 * cap : 1 << 20);

			if (!grown)
				zc_fail(1, "out of memory reading %s", path);
			buf = grown;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	fclose(f);
	*len = n;
	return buf;
}

/* ---- reading -------------------------------------------------------------------- */

struct show {
	int json;
	const char *zone;
	uint64_t since;
};

/* Prints the records among len bytes of lines that the options ask for; the
 * seq after the last complete one (or since if none). */
static uint64_t show_lines(const struct show *o, const char *text, size_t len, uint64_t since)
{
	char row[4096];
	uint64_t seq, next = since;
	uint8_t tree[AV_HASH];

	for (const char *p = text, *end = text + len, *nl; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		if (av_parse(p, (size_t)(nl - p), &seq, tree) != 0 || seq < since)
			continue;
		next = seq + 1;
		if (o->zone && !av_zone_is(p, (size_t)(nl - p), o->zone))
			continue;
		if (o->json)
			fwrite(p, 1, (size_t)(nl - p) + 1, stdout);
		else if (av_table_row(p, (size_t)(nl - p), row, sizeof(row)) == 0)
			printf("%s\n", row);
	}
	return next;
}

static int show(const struct show *o, const char *file, int follow)
{
	struct zctl_audit_read r;
	const char *lines;
	size_t len = 0;
	char *text = slurp(file, &len);
	int drained = text != NULL;
	uint64_t next = o->since;

	if (!o->json)
		printf("%-6s %-27s %-12s %-18s %s\n", "SEQ", "TIME", "ZONE", "TYPE", "DETAILS");
	if (drained)
		next = show_lines(o, text, len, next);
	free(text);
	for (;;) {
		read_ring(next, 0, &r, &lines);
		if (r.first > next && !drained)
			fprintf(stderr, "zonectl: records %llu..%llu were drained (not in %s)\n",
				(unsigned long long)next, (unsigned long long)r.first - 1, file);
		next = show_lines(o, lines, r.len, r.first > next ? r.first : next);
		fflush(stdout);
		if (r.next < r.head.size)
			continue;
		if (!follow)
			return 0;
		sleep_ms(POLL_MS);
	}
}

static int head(int json)
{
	const struct zctl_audit_head *h =
		channel_call_or_die(ZCTL_OP_AUDIT_HEAD, NULL, 0, NULL, 0, sizeof(*h), NULL);
	char hex[2 * AV_HASH + 1];

	av_hex(h->root, hex);
	if (json)
		printf("{\"size\": %llu, \"root\": \"%s\"}\n", (unsigned long long)h->size, hex);
	else
		printf("size %llu\nroot %s\n", (unsigned long long)h->size, hex);
	return 0;
}

/* ---- verify ----------------------------------------------------------------------- */

/* The file's lines, then the ring's from where it ends, until a read
 * reaches the head it reports: checked together, and the root compared. */
static int verify_live(struct av_line *lines, size_t n, const struct av_tree *file_tree)
{
	struct zctl_audit_read r;
	struct av_tree t = *file_tree;
	uint8_t root[AV_HASH];
	char why[AV_WHY_LEN], hex[2 * AV_HASH + 1];
	const char *text;
	char *ring = NULL;
	size_t ring_len = 0, all = n;
	struct av_line *more;
	long extra;

	for (int tries = 0; tries < HEAD_TRIES; tries++) {
		read_ring(all, 0, &r, &text);
		if (r.acked > n) {
			printf("record %zu is missing: the file ends before it, and the drain "
			       "stored every record before %llu (truncated file?)\n",
			       n, (unsigned long long)r.acked);
			return 1;
		}
		if (r.head.size < n) {
			printf("the live head has %llu records, the file %zu: record %llu on is "
			       "not "
			       "this log's (another boot?)\n",
			       (unsigned long long)r.head.size, n, (unsigned long long)r.head.size);
			return 1;
		}
		if (r.first != all) {
			printf("record %zu is missing: the file ends before it and the hypervisor "
			       "no longer holds it (the live head has %llu records: truncated "
			       "file?)\n",
			       all, (unsigned long long)r.head.size);
			return 1;
		}
		ring = realloc(ring, ring_len + r.len);
		if (!ring && r.len)
			zc_fail(1, "out of memory");
		memcpy(ring + ring_len, text, r.len);
		ring_len += r.len;
		extra = av_split(ring, ring_len, &more);
		if (extra < 0)
			zc_fail(1, "out of memory");
		lines = realloc(lines, (n + (size_t)extra) * sizeof(*lines));
		memcpy(lines + n, more, (size_t)extra * sizeof(*more));
		free(more);
		all = n + (size_t)extra;
		if (av_verify(lines, all, &t, why) != 0) {
			printf("%s\n", why);
			return 1;
		}
		if (r.next != r.head.size)
			continue;
		av_tree_root(&t, root);
		if (memcmp(root, r.head.root, AV_HASH) != 0) {
			printf("record %zu (line %zu) does not match: the tree differs from the "
			       "live head's\n",
			       n - 1, n);
			return 1;
		}
		av_hex(root, hex);
		printf("verified %zu records, root %s\n", n, hex);
		if (all > n)
			printf("and %zu more from the hypervisor's ring: the live head (%llu, %s) "
			       "matches\n",
			       all - n, (unsigned long long)r.head.size, hex);
		else
			printf("matches the live head\n");
		return 0;
	}
	printf("verified %zu records; the live head moves too fast to catch\n", all);
	return 1;
}

static int verify(const char *path, int check_head)
{
	size_t len;
	char *text = slurp(path, &len), why[AV_WHY_LEN], hex[2 * AV_HASH + 1];
	struct av_line *lines;
	struct av_tree t;
	uint8_t root[AV_HASH];
	long n;
	int rc;

	if (!text)
		zc_fail(ZC_EXIT_USAGE, "cannot read %s: %s", path, strerror(errno));
	n = av_split(text, len, &lines);
	if (n < 0)
		zc_fail(1, "out of memory");
	if (av_verify(lines, (size_t)n, &t, why) != 0) {
		printf("%s: %s\n", path, why);
		return 1;
	}
	if (!check_head) {
		av_tree_root(&t, root);
		av_hex(root, hex);
		printf("verified %ld records, root %s\n", n, hex);
		return 0;
	}
	channel_open();
	rc = verify_live(lines, (size_t)n, &t);
	free(text);
	return rc;
}

/* ---- drain ------------------------------------------------------------------------ */

/* Where a drain into path resumes: after its last complete record, the
 * partial line after it cut off.  A file from another boot (its records
 * beyond the live head) is moved to path.old. */
static uint64_t drain_resume(const char *path, uint64_t head_size)
{
	size_t len = 0, keep;
	char *text = slurp(path, &len), old[4096];
	uint64_t seq = 0, next = 0;
	uint8_t tree[AV_HASH];

	if (!text)
		return 0;
	for (keep = len; keep && text[keep - 1] != '\n'; keep--)
		;
	if (keep) {
		size_t start = keep - 1;

		while (start && text[start - 1] != '\n')
			start--;
		if (av_parse(text + start, keep - 1 - start, &seq, tree) == 0)
			next = seq + 1;
	}
	free(text);
	if (next > head_size) {
		snprintf(old, sizeof(old), "%s.old", path);
		if (rename(path, old) != 0)
			zc_fail(1, "cannot move %s aside: %s", path, strerror(errno));
		return 0;
	}
	if (keep < len && truncate(path, (off_t)keep) != 0)
		zc_fail(1, "cannot cut %s's partial line: %s", path, strerror(errno));
	return next;
}

static void write_all(int fd, const char *p, size_t n, const char *path)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			zc_fail(1, "cannot write %s: %s", path, strerror(errno));
		p += w;
		n -= (size_t)w;
	}
}

/* Forever: read from next, append, fsync, and acknowledge with the next
 * read (ZCTL_AUDIT_ACK: everything before since is on the disk). */
static int drain(const char *path)
{
	const struct zctl_audit_head *h =
		channel_call_or_die(ZCTL_OP_AUDIT_HEAD, NULL, 0, NULL, 0, sizeof(*h), NULL);
	uint64_t next = drain_resume(path, h->size);
	struct zctl_audit_read r;
	const char *text;
	time_t synced = time(NULL);
	int dirty = 0, fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);

	if (fd < 0)
		zc_fail(1, "cannot open %s: %s", path, strerror(errno));
	for (;;) {
		read_ring(next, dirty ? 0 : ZCTL_AUDIT_ACK, &r, &text);
		if (r.first > next)
			fprintf(stderr,
				"zonectl: audit records %llu..%llu were gone before the "
				"drain read them\n",
				(unsigned long long)next, (unsigned long long)r.first - 1);
		if (r.len) {
			write_all(fd, text, r.len, path);
			dirty = 1;
		}
		next = r.next;
		if (dirty && (r.next == r.head.size || time(NULL) - synced >= DRAIN_SYNC_S)) {
			if (fsync(fd) != 0)
				zc_fail(1, "cannot fsync %s: %s", path, strerror(errno));
			dirty = 0;
			synced = time(NULL);
			continue; /* the next read acknowledges */
		}
		if (!r.len)
			sleep_ms(POLL_MS);
	}
}

/* ---- the command ----------------------------------------------------------------- */

static uint64_t parse_seq(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-')
		zc_fail(ZC_EXIT_USAGE, "--since: '%s' is not a record number", s);
	return v;
}

int cmd_audit(int argc, char **argv)
{
	static const struct option longs[] = {
		{"follow", no_argument, NULL, 'f'},
		{"json", no_argument, NULL, 'j'},
		{"since", required_argument, NULL, 's'},
		{"zone", required_argument, NULL, 'z'},
		{"file", required_argument, NULL, 'F'},
		{"drain", required_argument, NULL, 'D'},
		{"no-head", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct show o = {0, NULL, 0};
	const char *file = ZC_AUDIT_FILE, *drain_to = NULL;
	int c, follow = 0, check_head = 1;

	while ((c = getopt_long(argc, argv, "+fh", longs, NULL)) != -1) {
		switch (c) {
		case 'f': follow = 1; break;
		case 'j': o.json = 1; break;
		case 's': o.since = parse_seq(optarg); break;
		case 'z': o.zone = optarg; break;
		case 'F': file = optarg; break;
		case 'D': drain_to = optarg; break;
		case 'n': check_head = 0; break;
		case 'h': usage(0);
		default: usage(ZC_EXIT_USAGE);
		}
	}
	if (optind < argc && strcmp(argv[optind], "verify") == 0) {
		optind++;
		while ((c = getopt_long(argc, argv, "+h", longs, NULL)) != -1)
			if (c == 'n')
				check_head = 0;
			else
				usage(c == 'h' ? 0 : ZC_EXIT_USAGE);
		if (optind + 1 != argc)
			usage(ZC_EXIT_USAGE);
		return verify(argv[optind], check_head);
	}
	channel_open();
	if (optind < argc && strcmp(argv[optind], "head") == 0 && optind + 1 == argc)
		return head(o.json);
	if (optind < argc)
		usage(ZC_EXIT_USAGE);
	if (drain_to)
		return drain(drain_to);
	return show(&o, file, follow);
}
