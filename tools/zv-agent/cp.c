/* zv-agent: cp-in, cp-out and stat, run in the child chrooted to the zone's
 * root (so paths, and symlinks in them, resolve inside it).  The copying is
 * the root's own tar (GNU tar in Debian images, busybox tar in the
 * initramfs); these functions check the paths and call it. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tools/zv-agent/agent.h"

#define TAR_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static int is_dir(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "zv-agent: %s: %s\n", path, strerror(errno));
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "zv-agent: %s: not a directory\n", path);
		return 0;
	}
	return 1;
}

/* Runs tar with argv (NULL-terminated) in the foreground; its exit status. */
static int run_tar(char *const *argv)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		putenv(TAR_PATH);
		execvp("tar", argv);
		fprintf(stderr, "zv-agent: tar: %s\n", strerror(errno));
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return 1;
	return zsa_exit_code(st);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void rm_tree(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The one entry tar left in dir (its name into out); -1 if none or several. */
static int only_entry(const char *dir, char *out, size_t outsz)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (n++ == 0)
			snprintf(out, outsz, "%s", e->d_name);
	}
	closedir(d);
	return n == 1 ? 0 : -1;
}

/* Moves tmp's one entry to PATH/NAME: a file of that name is replaced, a
 * directory never is. */
static int place_entry(const struct zsa_req *r, const char *tmp)
{
	char entry[256], src[4096], dst[4096];
	struct stat sst, dst_st;

	if (only_entry(tmp, entry, sizeof(entry)) < 0) {
		fprintf(stderr, "zv-agent: the tar stream must hold exactly one top-level entry\n");
		return 1;
	}
	if (snprintf(src, sizeof(src), "%s/%s", tmp, entry) >= (int)sizeof(src) ||
	    snprintf(dst, sizeof(dst), "%s/%s", r->path, r->name) >= (int)sizeof(dst)) {
		fprintf(stderr, "zv-agent: path too long\n");
		return 1;
	}
	if (lstat(src, &sst) < 0)
		return 1;
	if (lstat(dst, &dst_st) == 0) {
		if (S_ISDIR(dst_st.st_mode)) {
			fprintf(stderr, "zv-agent: %s: is a directory, not replaced\n", dst);
			return 1;
		}
		if (S_ISDIR(sst.st_mode))
			unlink(dst); /* rename cannot put a directory over a file */
	}
	if (rename(src, dst) < 0) {
		fprintf(stderr, "zv-agent: %s: %s\n", dst, strerror(errno));
		return 1;
	}
	return 0;
}

/* cp-in with NAME: unpack beside PATH's entries under a temporary name, then
 * rename the stream's one top-level entry to PATH/NAME. */
int zsa_cp_in_named(const struct zsa_req *r)
{
	char tmp[4096];
	char *argv[] = {"tar", "-x", "-p", "-f", "-", "-C", tmp, NULL};
	int status;

	if (!is_dir(r->path))
		return 1;
	if (snprintf(tmp, sizeof(tmp), "%s/.zv-cp-XXXXXX", r->path) >= (int)sizeof(tmp) ||
	    !mkdtemp(tmp)) {
		fprintf(stderr, "zv-agent: %s: %s\n", r->path, strerror(errno));
		return 1;
	}
	status = run_tar(argv);
	if (status == 0)
		status = place_entry(r, tmp);
	rm_tree(tmp);
	return status;
}

/* cp-in without NAME: tar -x -p in PATH. */
static int cp_in(const struct zsa_req *r)
{
	char *argv[] = {"tar", "-x", "-p", "-f", "-", "-C", r->path, NULL};

	return is_dir(r->path) ? run_tar(argv) : 1;
}

/* cp-out: tar -c -C dirname(PATH) basename(PATH) to stdout. */
static int cp_out(const struct zsa_req *r)
{
	char dir[4096], base[4100], *slash;
	char *argv[] = {"tar", "-c", "-f", "-", "-C", dir, base, NULL};
	size_t n;

	snprintf(dir, sizeof(dir), "%s", r->path);
	for (n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
		dir[n - 1] = 0; /* "a/b/" names b */
	slash = strrchr(dir, '/');
	if (!slash) {
		snprintf(base, sizeof(base), "%s%.4095s", dir[0] == '-' ? "./" : "", dir);
		snprintf(dir, sizeof(dir), ".");
	} else if (slash[1] == 0) {
		snprintf(base, sizeof(base), "."); /* the root itself */
	} else {
		/* "./-x": a name that starts with '-' is never an option */
		snprintf(base, sizeof(base), "%s%.4095s", slash[1] == '-' ? "./" : "", slash + 1);
		slash[slash == dir ? 1 : 0] = 0;
	}
	return run_tar(argv);
}

int zsa_stat_kind(const struct zsa_req *r)
{
	struct stat st;

	if (stat(r->path, &st) == 0)
		return S_ISDIR(st.st_mode) ? ZS_STAT_DIR : ZS_STAT_FILE;
	/* A dangling symlink is still an entry: a file for the copier. */
	return lstat(r->path, &st) == 0 ? ZS_STAT_FILE : ZS_STAT_NONE;
}

/* The internal program for a cp or stat request (see zsa_spawn). */
zsa_internal_fn zsa_cp_fn(const struct zsa_req *r)
{
	switch (r->op) {
	case ZSA_OP_CP_IN: return r->name ? zsa_cp_in_named : cp_in;
	case ZSA_OP_CP_OUT: return cp_out;
	case ZSA_OP_STAT: return zsa_stat_kind;
	default: return NULL;
	}
}
