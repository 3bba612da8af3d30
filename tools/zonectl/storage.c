/*
 * zonectl's images and workspaces: `image load|ls|rm`, `workspace export`,
 * and run --workspace's packing of a directory into ext4 with Debian's
 * mke2fs (docs/zonectl.md).  Every error path says why and removes the
 * temporary files it made.
 */
#define _GNU_SOURCE /* SEEK_DATA, SEEK_HOLE, renameat2, mkostemp */
#include "tools/zonectl/storage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tools/zonectl/channel.h"
#include "tools/zonectl/storage_util.h"
#include "tools/zonectl/subprocess.h"
#include "tools/zonectl/zonectl_util.h"

#define BLOCK ZCTL_BLOCK

static const char usage_image[] =
	"usage: zonectl image load FILE [--name NAME]\n"
	"       zonectl image ls [--json]\n"
	"       zonectl image rm NAME\n"
	"\n"
	"Images are disk images (an ext4 root filesystem, from tools/mkimage) the\n"
	"hypervisor keeps in its memory pool, read-only, one copy shared by every\n"
	"zone started with  zonectl run --image NAME  (the zone's /dev/vda).\n"
	"\n"
	"  load FILE    load FILE; refused if the name is taken, the same bytes are\n"
	"               loaded under another name, or the pool has not the room\n"
	"  --name NAME  its name (default: FILE's name without its extension,\n"
	"               made of a-z 0-9 _ -)\n"
	"  ls           NAME SIZE SHA256 USERS of each image (--json: a JSON array)\n"
	"  rm NAME      free an image no zone runs on\n";

static const char usage_workspace[] =
	"usage: zonectl workspace export NAME DIR\n"
	"\n"
	"Copies the files of exited zone NAME's workspace (zonectl run --workspace)\n"
	"into DIR, which is created if absent and must be empty otherwise.  The\n"
	"workspace stays until zonectl rm NAME.  Its ext4 is checked (e2fsck) and\n"
	"read (debugfs) in userspace, as user zv-export (uid 999) without any\n"
	"capability: it is never mounted.  The files come back owned by root, with\n"
	"the zone's modes (no set-user-ID or set-group-ID bits) and times.\n";

/* The temporary file and mount point being used, removed at exit too: a
 * protocol error exits from inside channel_call. */
static char tmp_file[4096], tmp_dir[4096];

static void remove_temps(void)
{
	if (tmp_dir[0])
		rmdir(tmp_dir);
	if (tmp_file[0])
		unlink(tmp_file);
	tmp_dir[0] = tmp_file[0] = '\0';
}

static void track_temps(const char *file, const char *dir)
{
	static int registered;

	if (!registered && atexit(remove_temps) == 0)
		registered = 1;
	snprintf(tmp_file, sizeof(tmp_file), "%s", file ? file : "");
	snprintf(tmp_dir, sizeof(tmp_dir), "%s", dir ? dir : "");
}

/* Runs ARGV (a NULL-terminated list) and waits: 0 when it exited 0. */
static int run_tool(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "zonectl: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	fprintf(stderr, "zonectl: %s failed (%s %d)\n", argv[0],
		WIFEXITED(status) ? "exit status" : "signal",
		WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return -1;
}

/* A temporary file's path (in $TMPDIR or /tmp) from TEMPLATE_NAME "x-XXXXXX". */
static void temp_path(char *out, size_t cap, const char *name)
{
	const char *dir = getenv("TMPDIR");

	snprintf(out, cap, "%s/%s", dir && *dir ? dir : "/tmp", name);
}

/* Bytes of data the window takes in one request, whole blocks. */
static uint32_t chunk_bytes(void)
{
	return (channel_window_size() - 4096) & ~(BLOCK - 1);
}

static void sha256_hex(const uint8_t d[32], char out[65])
{
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* ---- image load, ls, rm ---------------------------------------------------- */

static const struct zctl_image_ls *fetch_images(void)
{
	static struct zctl_image_ls ls;

	memcpy(&ls, channel_call_or_die(ZCTL_OP_IMAGE_LS, NULL, 0, NULL, 0, sizeof(ls), NULL),
	       sizeof(ls));
	if (ls.count > ZCTL_MAX_IMAGES)
		ls.count = ZCTL_MAX_IMAGES;
	for (uint32_t i = 0; i < ls.count; i++)
		ls.images[i].name[ZCTL_NAME_LEN - 1] = '\0';
	return &ls;
}

static void load_file(int fd, const char *path, const char *name, uint64_t total)
{
	uint32_t chunk = chunk_bytes();
	uint8_t *buf = malloc(chunk);
	struct zctl_image_load l;
	uint64_t off = 0;

	if (!buf)
		zc_fail(1, "image load: out of memory");
	memset(&l, 0, sizeof(l));
	snprintf(l.name, sizeof(l.name), "%s", name);
	l.total = total;
	do {
		size_t want = total - off < chunk ? (size_t)(total - off) : chunk, got = 0;

		while (got < want) {
			ssize_t r = read(fd, buf + got, want - got);

			if (r <= 0)
				zc_fail(1, "image load %s: read: %s", path,
					r ? strerror(errno) : "the file shrank");
			got += (size_t)r;
		}
		l.offset = off;
		l.len = (uint32_t)want;
		channel_call_or_die(ZCTL_OP_IMAGE_LOAD, &l, sizeof(l), buf, want, 0, NULL);
		off += want;
	} while (off < total);
	free(buf);
}

static int image_load(int argc, char **argv)
{
	static const struct option longs[] = {
		{"name", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	const struct zctl_image_ls *ls;
	char name[ZCTL_NAME_LEN] = "", hex[65];
	const char *path, *why;
	struct stat st;
	int c, fd;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longs, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage_image, stdout);
			return 0;
		}
		if (c != 'n')
			zc_fail(ZC_EXIT_USAGE, "image load: bad option '%s'", argv[optind - 1]);
		why = zc_name_error(optarg);
		if (why)
			zc_fail(ZC_EXIT_USAGE, "image load --name '%s': %s", optarg, why);
		snprintf(name, sizeof(name), "%s", optarg);
	}
	if (optind + 1 != argc)
		zc_fail(ZC_EXIT_USAGE, "usage: zonectl image load FILE [--name NAME]");
	path = argv[optind];
	if (!name[0] && zc_image_name(path, name, sizeof(name)) != 0)
		zc_fail(ZC_EXIT_USAGE, "image load %s: no name can be made of it; give --name",
			path);
	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) != 0)
		zc_fail(ZC_EXIT_USAGE, "image load %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_size == 0)
		zc_fail(ZC_EXIT_USAGE, "image load %s: not a file with something in it", path);
	if ((uint64_t)st.st_size > ZCTL_STORE_MAX)
		zc_fail(ZC_EXIT_USAGE, "image load %s: larger than 64G", path);
	channel_open();
	load_file(fd, path, name, (uint64_t)st.st_size);
	close(fd);
	ls = fetch_images();
	for (uint32_t i = 0; i < ls->count; i++)
		if (!strcmp(ls->images[i].name, name)) {
			sha256_hex(ls->images[i].sha256, hex);
			printf("%s sha256:%s\n", name, hex);
		}
	return 0;
}

static void image_ls_json(const struct zctl_image_ls *ls)
{
	char hex[65], js[ZCTL_NAME_LEN * 6 + 3];

	printf("[");
	for (uint32_t i = 0; i < ls->count; i++) {
		const struct zctl_image_info *m = &ls->images[i];

		sha256_hex(m->sha256, hex);
		zc_json_string(m->name, js, sizeof(js));
		printf("%s\n  {\"name\": %s, \"size\": %llu, \"sha256\": \"%s\", \"users\": %u, "
		       "\"pool_bytes\": %llu}",
		       i ? "," : "", js, (unsigned long long)m->size, hex, m->users,
		       (unsigned long long)m->pool_bytes);
	}
	printf("%s]\n", ls->count ? "\n" : "");
}

static int image_ls(int argc, char **argv)
{
	const struct zctl_image_ls *ls;
	int json = 0;
	char hex[65], size[32];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage_image, stdout);
			return 0;
		} else
			zc_fail(ZC_EXIT_USAGE, "image ls: unknown argument '%s'", argv[i]);
	}
	channel_open();
	ls = fetch_images();
	if (json) {
		image_ls_json(ls);
		return 0;
	}
	printf("%-31s  %-9s  %-64s  %s\n", "NAME", "SIZE", "SHA256", "USERS");
	for (uint32_t i = 0; i < ls->count; i++) {
		sha256_hex(ls->images[i].sha256, hex);
		zc_format_bytes(ls->images[i].size, size, sizeof(size));
		printf("%-31s  %-9s  %s  %u\n", ls->images[i].name, size, hex, ls->images[i].users);
	}
	return 0;
}

static int image_rm(int argc, char **argv)
{
	struct zctl_name n;
	const char *why;

	if (argc != 2)
		zc_fail(ZC_EXIT_USAGE, "usage: zonectl image rm NAME");
	why = zc_name_error(argv[1]);
	if (why)
		zc_fail(ZC_EXIT_USAGE, "image rm '%s': %s", argv[1], why);
	memset(&n, 0, sizeof(n));
	snprintf(n.name, sizeof(n.name), "%s", argv[1]);
	channel_open();
	channel_call_or_die(ZCTL_OP_IMAGE_RM, &n, sizeof(n), NULL, 0, 0, NULL);
	return 0;
}

int cmd_image(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (!strcmp(sub, "load"))
		return image_load(argc - 1, argv + 1);
	if (!strcmp(sub, "ls"))
		return image_ls(argc - 1, argv + 1);
	if (!strcmp(sub, "rm"))
		return image_rm(argc - 1, argv + 1);
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) {
		fputs(usage_image, stdout);
		return 0;
	}
	fputs(usage_image, stderr);
	return ZC_EXIT_USAGE;
}

/* ---- run --workspace: pack and stage ------------------------------------- */

static uint64_t tree_bytes;

static int add_entry(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)path;
	(void)type;
	(void)f;
	/* a file's bytes; an inode and a block for everything else */
	tree_bytes += S_ISREG(st->st_mode) ? (uint64_t)st->st_size + 256 : BLOCK;
	return 0;
}

void zc_check_workspace_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) != 0)
		zc_fail(ZC_EXIT_USAGE, "run --workspace %s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		zc_fail(ZC_EXIT_USAGE, "run --workspace %s: not a directory", dir);
}

/* WORKSPACE_WRITE of [off, end) of fd; on a refusal, unlinks path and exits. */
static void send_extent(int fd, uint64_t off, uint64_t end, uint64_t cap, uint8_t *buf,
			const char *path)
{
	uint32_t chunk = chunk_bytes();
	char message[ZCTL_MESSAGE_LEN];

	while (off < end) {
		size_t n = end - off < chunk ? (size_t)(end - off) : chunk;
		struct zctl_ws_write w = {cap, off, (uint32_t)n, 0};

		memset(buf, 0, n);
		if (pread(fd, buf, n, (off_t)off) < 0) {
			unlink(path);
			zc_fail(1, "run --workspace: reading %s: %s", path, strerror(errno));
		}
		if (channel_call(ZCTL_OP_WORKSPACE_WRITE, &w, sizeof(w), buf, n, 0, NULL, NULL,
				 message)) {
			unlink(path);
			zc_fail(1, "run --workspace: %s", message);
		}
		off += n;
	}
}

/* Sends fd's data extents (SEEK_DATA/SEEK_HOLE): holes are the store's
 * unwritten blocks already. */
static void send_extents(int fd, uint64_t cap, const char *path)
{
	struct zctl_ws_write first = {cap, 0, 0, ZCTL_WS_WRITE_NEW};
	char message[ZCTL_MESSAGE_LEN];
	uint8_t *buf = malloc(chunk_bytes());
	struct stat st;
	off_t data = 0;

	if (!buf || fstat(fd, &st) != 0 || (uint64_t)st.st_size > cap) {
		unlink(path);
		zc_fail(1, "run --workspace: %s is not the size mke2fs was asked for", path);
	}
	if (channel_call(ZCTL_OP_WORKSPACE_WRITE, &first, sizeof(first), NULL, 0, 0, NULL, NULL,
			 message)) {
		unlink(path);
		zc_fail(1, "run --workspace: %s", message);
	}
	while ((data = lseek(fd, data, SEEK_DATA)) >= 0) {
		off_t hole = lseek(fd, data, SEEK_HOLE);
		uint64_t s = (uint64_t)data, e = hole < 0 ? (uint64_t)st.st_size : (uint64_t)hole;

		zc_block_extent(&s, &e, (uint64_t)st.st_size);
		send_extent(fd, s, e, cap, buf, path);
		if (e <= (uint64_t)data)
			break;
		data = (off_t)e;
	}
	free(buf);
}

void zc_stage_workspace(const char *dir, uint64_t size)
{
	char path[4096], size_arg[32];
	int fd;

	if (!size) {
		tree_bytes = 0;
		if (nftw(dir, add_entry, 32, FTW_PHYS) != 0)
			zc_fail(1, "run --workspace %s: cannot walk it: %s", dir, strerror(errno));
		size = zc_workspace_default(tree_bytes);
	}
	size = (size + BLOCK - 1) & ~(uint64_t)(BLOCK - 1);
	if (size > ZCTL_STORE_MAX)
		zc_fail(ZC_EXIT_USAGE, "run --workspace-size: at most 64G");
	temp_path(path, sizeof(path), "zonectl-ws-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		zc_fail(1, "run --workspace: cannot make a temporary file: %s", strerror(errno));
	close(fd);
	track_temps(path, NULL);
	snprintf(size_arg, sizeof(size_arg), "%lluk", (unsigned long long)(size >> 10));
	char *mke2fs[] = {"mke2fs",    "-q", "-t", "ext4",   "-d",
			  (char *)dir, "-F", path, size_arg, NULL};
	if (run_tool(mke2fs) != 0) {
		unlink(path);
		zc_fail(1, "run --workspace %s: mke2fs could not pack it into %s of ext4", dir,
			size_arg);
	}
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		unlink(path);
		zc_fail(1, "run --workspace: %s: %s", path, strerror(errno));
	}
	send_extents(fd, size, path);
	close(fd);
	unlink(path);
	track_temps(NULL, NULL);
}

/* ---- workspace export ------------------------------------------------------ */

/* The control zone's user for e2fsck and debugfs (tools/mkinitramfs
 * --control writes zv-export:x:999:999 into its /etc/passwd): nothing else
 * runs as it, so every process of it is theirs and can be killed by uid.  A
 * fixed id: zonectl is static, and glibc's getpwnam needs NSS modules a
 * static binary cannot load. */
#define EXPORT_ID ZC_EXPORT_ID

#define LOG_MAX	     (64u << 10) /* more than this from a tool is a failure anyway */
#define EXPORT_NPROC 16		 /* processes of EXPORT_ID: the tools fork none */
#define MAX_DEPTH    2200	 /* rdump's paths stop at PATH_MAX: about 2048 levels */

struct export
{
	const char *zone, *dir;
	char file[4096];  /* the image's name, for messages: unlinked at once */
	char priv[32];	  /* root's 0700 directory in DIR, holding the staging "s" */
	int fd;		  /* the image */
	int log;	  /* the tools' output, shown when they fail */
	int dirfd;	  /* DIR */
	int privfd;	  /* priv */
	int stagefd;	  /* priv/s, EXPORT_ID's: where debugfs writes */
	int made_dir;	  /* DIR did not exist: remove it again if nothing was copied */
	int spawned;	  /* EXPORT_ID may have processes: kill them before cleanup */
	uint64_t written; /* pool bytes the workspace holds (ps) */
	uint64_t cap;	  /* its size */
};

static struct export *live_export; /* cleaned up at exit: channel_call exits */

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Removes NAME in DIRFD and everything under it, never following a
 * symlink.  0, or -1. */
static int remove_tree(int dirfd, const char *name, unsigned depth);

static void export_cleanup(struct export *x)
{
	if (x->spawned && zc_kill_uid(EXPORT_ID, EXPORT_ID) == 0)
		x->spawned = 0;
	close_fd(&x->fd);
	close_fd(&x->log);
	close_fd(&x->stagefd);
	close_fd(&x->privfd);
	/* with EXPORT_ID's processes alive, root must not walk what they write */
	if (x->priv[0] && !x->spawned && remove_tree(x->dirfd, x->priv, 0) != 0)
		fprintf(stderr, "zonectl: workspace export: could not remove %s/%s\n", x->dir,
			x->priv);
	x->priv[0] = '\0';
	close_fd(&x->dirfd);
	if (x->made_dir)
		rmdir(x->dir); /* only if still empty */
	x->made_dir = 0;
	live_export = NULL;
}

static void export_atexit(void)
{
	if (live_export)
		export_cleanup(live_export);
}

static void __attribute__((noreturn, format(printf, 2, 3)))
export_fail(struct export *x, const char *fmt, ...)
{
	va_list ap;

	export_cleanup(x);
	fprintf(stderr, "zonectl: workspace export %s: ", x->zone);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* One WORKSPACE_READ; exits on a refusal.  The reply until the next call. */
static const struct zctl_ws_read *read_ws(struct export *x, uint64_t off)
{
	struct zctl_ws_read_req rq;
	char message[ZCTL_MESSAGE_LEN];
	const void *reply;
	size_t len;
	const struct zctl_ws_read *o;

	memset(&rq, 0, sizeof(rq));
	snprintf(rq.name, sizeof(rq.name), "%s", x->zone);
	rq.offset = off;
	rq.len = ZCTL_WS_READ_MAX;
	if (channel_call(ZCTL_OP_WORKSPACE_READ, &rq, sizeof(rq), NULL, 0,
			 sizeof(struct zctl_ws_read), &reply, &len, message))
		export_fail(x, "%s", message);
	o = reply;
	if (o->len > ZCTL_WS_READ_MAX || o->len % BLOCK || len < sizeof(*o) + o->len ||
	    o->offset != off)
		export_fail(x, "a malformed workspace reply");
	return o;
}

/* The pool bytes zone x->zone's workspace holds, from ps; 0 when ps does not
 * list it (WORKSPACE_READ then says why). */
static uint64_t written_bytes(struct export *x)
{
	static struct zctl_ps ps;
	const struct zctl_ps *reply;
	size_t len;

	reply = channel_call_or_die(ZCTL_OP_PS, NULL, 0, NULL, 0, 8, &len);
	memcpy(&ps, reply, len < sizeof(ps) ? len : sizeof(ps));
	if (ps.count > ZCTL_MAX_ZONES || len < 8 + ps.count * sizeof(ps.zones[0]))
		export_fail(x, "a malformed ps reply");
	for (uint32_t i = 0; i < ps.count; i++)
		if (!strncmp(ps.zones[i].name, x->zone, ZCTL_NAME_LEN))
			return ps.zones[i].workspace_bytes;
	return 0;
}

/* Whether directory fd (consumed) has nothing but . and .. in it. */
static int empty_dir(int fd)
{
	DIR *d = fdopendir(fd);
	struct dirent *e;
	int empty = 1;

	if (!d) {
		close(fd);
		return 0;
	}
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	return empty;
}

/* DIR: created, or an empty directory; opened into x->dirfd. */
static void prepare_dir(struct export *x)
{
	if (mkdir(x->dir, 0755) == 0)
		x->made_dir = 1;
	else if (errno != EEXIST)
		export_fail(x, "%s: cannot make it a directory (%s)", x->dir, strerror(errno));
	x->dirfd = open(x->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (x->dirfd < 0)
		export_fail(x, "%s: cannot make it a directory (%s)", x->dir, strerror(errno));
	if (!empty_dir(openat(x->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)))
		export_fail(x, "%s is not empty", x->dir);
}

/* DIR/.zonectl-export-RANDOM, root's and 0700, so that no other uid can
 * reach what is inside; in it s, EXPORT_ID's and 0700, where debugfs writes.
 * Inside DIR, so that the files are renamed into DIR, not copied. */
static void make_staging(struct export *x)
{
	unsigned char r[6];

	for (int tries = 0;; tries++) {
		if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
			export_fail(x, "getrandom: %s", strerror(errno));
		snprintf(x->priv, sizeof(x->priv), ".zonectl-export-%02x%02x%02x%02x%02x%02x", r[0],
			 r[1], r[2], r[3], r[4], r[5]);
		if (mkdirat(x->dirfd, x->priv, 0700) == 0)
			break;
		if (errno != EEXIST || tries > 8) {
			x->priv[0] = '\0';
			export_fail(x, "%s: %s", x->dir, strerror(errno));
		}
	}
	x->privfd = openat(x->dirfd, x->priv, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (x->privfd < 0 || fchmod(x->privfd, 0700) != 0 || mkdirat(x->privfd, "s", 0700) != 0)
		export_fail(x, "%s/%s: %s", x->dir, x->priv, strerror(errno));
	x->stagefd = openat(x->privfd, "s", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (x->stagefd < 0 || fchown(x->stagefd, EXPORT_ID, EXPORT_ID) != 0 ||
	    fchmod(x->stagefd, 0700) != 0)
		export_fail(x, "%s/%s/s: %s", x->dir, x->priv, strerror(errno));
}

/* Free bytes of the filesystem of fd (or path when fd < 0), and its device. */
static uint64_t free_bytes(struct export *x, int fd, const char *path, dev_t *dev)
{
	struct statvfs v;
	struct stat st;

	if (fd >= 0 ? fstatvfs(fd, &v) != 0 || fstat(fd, &st) != 0
		    : statvfs(path, &v) != 0 || stat(path, &st) != 0)
		export_fail(x, "%s: %s", fd >= 0 ? x->dir : path, strerror(errno));
	*dev = st.st_dev;
	if (v.f_blocks == 0) /* ramfs (an initramfs root may be one): no limit it knows */
		return UINT64_MAX;
	return (uint64_t)v.f_bavail * v.f_frsize;
}

/* Room for the image in the temporary directory and for its files in DIR
 * before anything is copied: the zone chose how much it wrote. */
static void check_room(struct export *x, const char *tmpdir)
{
	uint64_t need = zc_export_room(x->written), at_tmp, at_dir;
	dev_t tmp_dev, dir_dev;
	char a[32], b[32];

	at_tmp = free_bytes(x, -1, tmpdir, &tmp_dev);
	at_dir = free_bytes(x, x->dirfd, NULL, &dir_dev);
	zc_format_bytes(need, a, sizeof(a));
	if (tmp_dev == dir_dev && (need > UINT64_MAX / 2 || 2 * need > at_tmp)) {
		zc_format_bytes(at_tmp, b, sizeof(b));
		export_fail(x,
			    "its workspace holds %llu bytes: %s and %s need twice %s free, "
			    "they have %s",
			    (unsigned long long)x->written, tmpdir, x->dir, a, b);
	}
	if (need > at_tmp || need > at_dir) {
		zc_format_bytes(need > at_tmp ? at_tmp : at_dir, b, sizeof(b));
		export_fail(x, "its workspace holds %llu bytes: %s needs %s free, it has %s",
			    (unsigned long long)x->written, need > at_tmp ? tmpdir : x->dir, a, b);
	}
}

/* The written blocks of the reply at o into the sparse file. */
static void write_runs(struct export *x, const struct zctl_ws_read *o)
{
	unsigned n = o->len / BLOCK, len;
	const uint8_t *data = (const uint8_t *)(o + 1);

	for (unsigned at = zc_next_run(o->used, n, 0, &len); at < n;
	     at = zc_next_run(o->used, n, at + len, &len))
		if (pwrite(x->fd, data + (size_t)at * BLOCK, (size_t)len * BLOCK,
			   (off_t)(o->offset + (uint64_t)at * BLOCK)) != (ssize_t)len * BLOCK)
			export_fail(x, "writing %s: %s", x->file, strerror(errno));
}

/* Runs ARGV on our copy (in CWD, or ours), its output into x->log: as
 * EXPORT_ID with no capabilities at all, in a session of its own, within a
 * time limit, writing no file longer than the workspace; then every process
 * of EXPORT_ID is killed, whatever it forked.  Its exit status, -1 or
 * ZC_TOOL_TIMED_OUT. */
static int run_on_copy(struct export *x, char *const argv[], const char *cwd)
{
	struct zc_tool t = {
		.argv = argv,
		.cwd = cwd,
		.out_fd = x->log,
		.err_fd = x->log,
		.drop = 1,
		.uid = EXPORT_ID,
		.gid = EXPORT_ID,
		.caps = 0,
		.own_session = 1,
		.timeout_s = zc_export_timeout(x->written),
		.fsize_max = x->cap,
		.nproc_max = EXPORT_NPROC,
	};
	int status;

	if (ftruncate(x->log, 0) != 0 || lseek(x->log, 0, SEEK_SET) != 0)
		export_fail(x, "its log file: %s", strerror(errno));
	x->spawned = 1;
	status = zc_tool_run(&t);
	if (zc_kill_uid(EXPORT_ID, EXPORT_ID) != 0)
		export_fail(x, "cannot kill the processes of uid %d: %s", EXPORT_ID,
			    strerror(errno));
	x->spawned = 0;
	return status;
}

/* The log's first LOG_MAX bytes into buf (LOG_MAX + 1 bytes); its length, or
 * LOG_MAX + 1 when there is more. */
static size_t read_log(struct export *x, char *buf)
{
	ssize_t n = pread(x->log, buf, LOG_MAX + 1, 0);

	return n < 0 ? 0 : (size_t)n;
}

static void show_log(struct export *x)
{
	static char buf[LOG_MAX + 1];
	size_t n = read_log(x, buf);

	fwrite(buf, 1, n > LOG_MAX ? LOG_MAX : n, stderr);
}

/* e2fsck -fyD: replays the journal of a zone stopped mid-write, repairs what
 * a zone may have broken (on purpose or not) and rebuilds every directory,
 * which renames entries of the same name (rdump would write through the
 * first one's symlink otherwise). */
static void check_copy(struct export *x, const char *img)
{
	char *e2fsck[] = {"e2fsck", "-f", "-y", "-D", (char *)img, NULL};
	int status = run_on_copy(x, e2fsck, NULL);

	if (zc_fsck_ok(status))
		return;
	show_log(x);
	if (status == ZC_TOOL_TIMED_OUT)
		export_fail(x, "e2fsck ran longer than %u s: nothing was copied",
			    zc_export_timeout(x->written));
	export_fail(x, "e2fsck could not repair its ext4 (exit status %d): nothing was copied",
		    status);
}

static unsigned shown; /* complaints show_complaint was given */

/* A complaint of debugfs's on stderr: the first SHOW_MAX, each cut to 300
 * bytes, with the zone's bytes that are not printable ASCII as '?' (its
 * file names: no terminal escapes). */
#define SHOW_MAX 40
static void show_complaint(const char *line, size_t n)
{
	if (shown++ >= SHOW_MAX)
		return;
	for (size_t i = 0; i < n && i < 300; i++)
		fputc(line[i] >= 0x20 && line[i] < 0x7f ? line[i] : '?', stderr);
	fputc('\n', stderr);
}

/* debugfs -R 'rdump / .' in the staging directory: the files, directories
 * and symlinks, with their modes and times; no devices, fifos or sockets.
 * Its output is read whole: it has a line for each file it could not chown. */
static void dump_copy(struct export *x, const char *img)
{
	char *debugfs[] = {"debugfs", "-R", "rdump / .", (char *)img, NULL};
	char cwd[64];
	const char *text = "";
	struct stat st;
	int status;
	unsigned complaints;

	snprintf(cwd, sizeof(cwd), "/proc/self/fd/%d", x->stagefd); /* chdir as root */
	status = run_on_copy(x, debugfs, cwd);
	if (fstat(x->log, &st) != 0)
		export_fail(x, "its log file: %s", strerror(errno));
	if (st.st_size > 0) {
		text = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, x->log, 0);
		if (text == MAP_FAILED)
			export_fail(x, "its log file: %s", strerror(errno));
	}
	complaints = zc_debugfs_complaints(text, (size_t)st.st_size, NULL);
	if (status == 0 && complaints == 0) {
		if (st.st_size > 0)
			munmap((void *)text, (size_t)st.st_size);
		return;
	}
	shown = 0;
	zc_debugfs_complaints(text, (size_t)st.st_size, show_complaint);
	if (shown > SHOW_MAX)
		fprintf(stderr, "... and %u more\n", shown - SHOW_MAX);
	if (status == ZC_TOOL_TIMED_OUT)
		export_fail(x, "debugfs ran longer than %u s: nothing was copied",
			    zc_export_timeout(x->written));
	export_fail(x, "debugfs could not copy all of it (status %d): nothing was copied", status);
}

/* The names in directory fd but . and .., a NULL-ended array (one
 * allocation, freed by the caller), or NULL. */
static char **dir_names(int fd)
{
	DIR *d = fdopendir(openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	struct dirent *e;
	size_t count = 0, bytes = 0, at;
	char **names = NULL, *text;

	if (!d)
		return NULL;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			count++;
			bytes += strlen(e->d_name) + 1;
		}
	rewinddir(d);
	names = malloc((count + 1) * sizeof(*names) + bytes);
	text = names ? (char *)(names + count + 1) : NULL;
	for (at = 0; names && at < count && (e = readdir(d));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			size_t n = strlen(e->d_name) + 1;

			if ((size_t)(text - (char *)(names + count + 1)) + n > bytes)
				break; /* the directory changed: nothing of ours does that */
			names[at++] = memcpy(text, e->d_name, n);
			text += n;
		}
	if (names)
		names[at] = NULL;
	closedir(d);
	return names;
}

static int remove_tree(int dirfd, const char *name, unsigned depth)
{
	struct stat st;
	char **names;
	int fd, bad = 0;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dirfd, name, 0);
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	names = fd >= 0 && depth < MAX_DEPTH ? dir_names(fd) : NULL;
	for (size_t i = 0; names && names[i]; i++)
		bad |= remove_tree(fd, names[i], depth + 1);
	free(names);
	if (fd >= 0)
		close(fd);
	return bad || unlinkat(dirfd, name, AT_REMOVEDIR) != 0 ? -1 : 0;
}

struct tidy {
	unsigned removed, failed;
	int too_deep;
};

static void tidy_dir(struct tidy *t, int fd, unsigned depth);

/* Entry NAME of directory fd made ours (root's, as docker cp does), its mode
 * without set-user-ID and set-group-ID bits; anything but files,
 * directories and symlinks removed.  By descriptor or with
 * AT_SYMLINK_NOFOLLOW: no path is followed. */
static void tidy_entry(struct tidy *t, int fd, const char *name, unsigned depth)
{
	int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, cfd;
	struct stat st;

	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		t->failed++;
	} else if (S_ISLNK(st.st_mode)) {
		if (fchownat(fd, name, getuid(), getgid(), AT_SYMLINK_NOFOLLOW) != 0)
			t->failed++;
	} else if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
		cfd = openat(fd, name, flags | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
		if (cfd < 0 || fstat(cfd, &st) != 0 ||
		    !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) {
			t->failed++;
		} else {
			if (S_ISDIR(st.st_mode))
				tidy_dir(t, cfd, depth + 1);
			/* chown first: it clears set-user-ID itself */
			if (fchown(cfd, getuid(), getgid()) != 0 ||
			    fchmod(cfd, zc_export_mode(st.st_mode)) != 0)
				t->failed++;
		}
		if (cfd >= 0)
			close(cfd);
	} else if (unlinkat(fd, name, 0) == 0) {
		t->removed++;
	} else {
		t->failed++;
	}
}

static void tidy_dir(struct tidy *t, int fd, unsigned depth)
{
	char **names;

	if (depth >= MAX_DEPTH) {
		t->too_deep = 1;
		return;
	}
	names = dir_names(fd);
	if (!names) {
		t->failed++;
		return;
	}
	for (size_t i = 0; names[i]; i++)
		tidy_entry(t, fd, names[i], depth);
	free(names);
}

int zc_tidy_staged(int fd, const char *what)
{
	struct rlimit r = {MAX_DEPTH + 256, MAX_DEPTH + 256};
	struct tidy t = {0, 0, 0};

	setrlimit(RLIMIT_NOFILE, &r); /* a descriptor a level; a failure says EMFILE */
	tidy_dir(&t, fd, 0);
	if (t.removed)
		fprintf(stderr, "zonectl: %s: removed %u special files\n", what, t.removed);
	if (t.too_deep)
		fprintf(stderr, "zonectl: %s: directories nest deeper than %u levels\n", what,
			MAX_DEPTH);
	else if (t.failed)
		fprintf(stderr, "zonectl: %s: cannot fix the modes or owners of %u files\n", what,
			t.failed);
	return t.too_deep || t.failed ? -1 : 0;
}

int zc_remove_tree(int dirfd, const char *name)
{
	return remove_tree(dirfd, name, 0);
}

/* The staging directory's entries made ours, then renamed into DIR.  Only
 * once EXPORT_ID has no process left: nothing else can reach them. */
static void tidy_and_move(struct export *x)
{
	struct rlimit r = {MAX_DEPTH + 256, MAX_DEPTH + 256};
	struct tidy t = {0, 0, 0};
	char **names;

	setrlimit(RLIMIT_NOFILE, &r); /* a descriptor a level; a failure says EMFILE */
	tidy_dir(&t, x->stagefd, 0);
	if (t.too_deep)
		export_fail(x, "its directories nest deeper than %u levels", MAX_DEPTH);
	if (t.failed)
		export_fail(x, "cannot fix the modes or owners of %u files", t.failed);
	if (t.removed)
		fprintf(stderr, "zonectl: workspace export: removed %u special files\n", t.removed);
	names = dir_names(x->stagefd);
	if (!names)
		export_fail(x, "cannot read %s/%s/s: %s", x->dir, x->priv, strerror(errno));
	for (size_t i = 0; names[i]; i++)
		if (renameat2(x->stagefd, names[i], x->dirfd, names[i], RENAME_NOREPLACE) != 0) {
			free(names);
			/* what was moved stays; the rest goes with priv */
			x->made_dir = 0;
			export_fail(x, "cannot move its files into %s: %s", x->dir,
				    strerror(errno));
		}
	free(names);
}

/* Our copy (x->fd) into DIR, in userspace: no zone-made filesystem is ever
 * mounted, so the control zone's kernel never parses one (docs/zonectl.md). */
static void unpack(struct export *x)
{
	char img[64], log[4096];

	temp_path(log, sizeof(log), "zonectl-log-XXXXXX");
	x->log = mkostemp(log, O_CLOEXEC);
	if (x->log < 0)
		export_fail(x, "cannot make a temporary file: %s", strerror(errno));
	unlink(log);
	if (fchown(x->fd, EXPORT_ID, EXPORT_ID) != 0)
		export_fail(x, "%s: %s", x->file, strerror(errno));
	/* what an export that was itself killed may have left running */
	if (zc_kill_uid(EXPORT_ID, EXPORT_ID) != 0)
		export_fail(x, "cannot kill the processes of uid %d: %s", EXPORT_ID,
			    strerror(errno));
	/* by its descriptor: the file has no name left */
	snprintf(img, sizeof(img), "/proc/self/fd/%d", x->fd);
	check_copy(x, img);
	dump_copy(x, img);
	tidy_and_move(x);
}

static int workspace_export(int argc, char **argv)
{
	struct export x = {.fd = -1, .log = -1, .dirfd = -1, .privfd = -1, .stagefd = -1};
	const struct zctl_ws_read *o;
	const char *why, *tmpdir = getenv("TMPDIR");

	if (argc != 3)
		zc_fail(ZC_EXIT_USAGE, "usage: zonectl workspace export NAME DIR");
	x.zone = argv[1];
	x.dir = argv[2];
	why = zc_name_error(x.zone);
	if (why)
		zc_fail(ZC_EXIT_USAGE, "workspace export '%s': %s", x.zone, why);
	if (geteuid() != 0)
		zc_fail(1, "workspace export: needs root (it runs e2fsck and debugfs as uid %d)",
			EXPORT_ID);
	tmpdir = tmpdir && *tmpdir ? tmpdir : "/tmp";
	channel_open();
	live_export = &x;
	atexit(export_atexit);
	x.written = written_bytes(&x);
	o = read_ws(&x, 0); /* refused while the zone runs: before anything is made */
	x.cap = o->capacity;
	prepare_dir(&x);
	make_staging(&x);
	check_room(&x, tmpdir);
	temp_path(x.file, sizeof(x.file), "zonectl-ws-XXXXXX");
	x.fd = mkstemp(x.file); /* inherited: the tools open /proc/self/fd/N */
	if (x.fd < 0)
		export_fail(&x, "cannot make a temporary file: %s", strerror(errno));
	unlink(x.file); /* the tools open it by descriptor; gone at exit whatever happens */
	if (ftruncate(x.fd, (off_t)x.cap) != 0)
		export_fail(&x, "%s: %s", x.file, strerror(errno));
	for (uint64_t off = 0;;) {
		write_runs(&x, o);
		off += o->len;
		if (o->len == 0 || off >= x.cap)
			break;
		o = read_ws(&x, off);
	}
	unpack(&x);
	x.made_dir = 0;
	export_cleanup(&x);
	return 0;
}

int cmd_workspace(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (!strcmp(sub, "export"))
		return workspace_export(argc - 1, argv + 1);
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) {
		fputs(usage_workspace, stdout);
		return 0;
	}
	fputs(usage_workspace, stderr);
	return ZC_EXIT_USAGE;
}
