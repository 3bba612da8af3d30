/*
 * zonectl cp SRC DST, NAME:PATH on one side (session_cmds.h).  Into a zone:
 * op "stat" on the destination, then `tar -c` of SRC as ZS_STDIN of op
 * "cp-in".  Out of one: op "cp-out" streams a tar the zone made, which is
 * hostile input: Debian's tar unpacks it as zv-export (ZC_EXPORT_ID, no
 * capabilities) into a staging directory beside the destination, root's and
 * 0700 around one of zv-export's; zonectl then checks that it holds exactly
 * the expected name, makes it root's (no set-user-ID bits, no device files)
 * and renames it into place, as workspace export does.
 */
#define _GNU_SOURCE /* renameat2 */
#include "tools/zonectl/session_cmds.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/zonectl/channel.h"
#include "tools/zonectl/cli.h"
#include "tools/zonectl/session_audit.h"
#include "tools/zonectl/session_cp_plan.h"
#include "tools/zonectl/storage.h"
#include "tools/zonectl/subprocess.h"

#define PATH_CAP     4096
#define UNPACK_NPROC 16 /* processes of ZC_EXPORT_ID: tar forks none */

static const char usage_cp[] =
	"usage: zonectl cp [-q] SRC NAME:DST\n"
	"       zonectl cp [-q] NAME:SRC DST\n"
	"\n"
	"Copies a file or a directory tree into or out of running zone NAME through\n"
	"its agent, keeping modes and symlinks (docker cp's rules): into DST when it\n"
	"is an existing directory, else as DST (a file replaces a file; a directory\n"
	"never replaces or merges into one).  A path in a zone is absolute; a local\n"
	"path with a ':' in its first component is written ./a:b.\n"
	"\n"
	"What comes out of a zone is unpacked by tar as the unprivileged user\n"
	"zv-export in a staging directory beside DST, checked to hold exactly the\n"
	"one name asked for, made root's (set-user-ID bits and device files\n"
	"dropped) and renamed into place; nothing is left behind on a failure.\n"
	"\n"
	"  -q, --quiet   no \"Successfully copied\" line on stderr\n"
	"  -h, --help    this help\n"
	"\n"
	"Exit status: 0 copied; 1 not (a message says why); 2 usage error.\n";

/* Debian's GNU tar when the control zone has it (tools/mkinitramfs), else
 * busybox's. */
static const char *tar_path(void)
{
	return access("/usr/bin/tar", X_OK) == 0 ? "/usr/bin/tar" : "tar";
}

/* "zonectl cp: MESSAGE" on stderr; 1. */
static int __attribute__((format(printf, 1, 2))) cp_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "zonectl cp: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* One session on a fresh connection; the result. */
/* The last copy's session (not a stat's): its byte counts go into the audit log. */
static struct zs_result cp_session;

static struct zs_result one_session(const char *zone, struct zs_req *req, struct zs_io *io)
{
	struct zs_result r = {.end = ZS_END_IO};
	int gone, fd;

	if (zs_req_finish(req) != 0) {
		fprintf(stderr, "zonectl cp: the path is too long\n");
	} else if ((fd = zs_connect(zone, &gone)) >= 0) {
		r = zs_session(fd, req, io);
		close(fd);
	}
	if (!io->stat)
		cp_session = r;
	zs_req_free(req);
	return r;
}

/* Op "stat" on PATH in ZONE: enum zs_stat_kind, or -1 after a message. */
static int zone_stat(const char *zone, const char *path)
{
	struct zs_req req = {0};
	struct zs_io io = {zone, -1, 1, 2, 0, 0, -1, 0, 1, 0};
	struct zs_result r;

	zs_req_add_str(&req, ZS_T_OP, "stat");
	zs_req_add_str(&req, ZS_T_PATH, path);
	r = one_session(zone, &req, &io);
	return r.end == ZS_END_STAT ? r.kind : -1;
}

/* Whether a streamed copy went through: the zone's tar (R) and ours (LOCAL). */
static int copied(const char *zone, struct zs_result r, int local)
{
	if (r.end == ZS_END_EXIT && r.status != 0)
		fprintf(stderr, "zonectl cp: tar in zone %s exited %d\n", zone, r.status);
	else if (r.end != ZS_END_EXIT && r.end != ZS_END_PROTOCOL && r.end != ZS_END_REFUSED)
		fprintf(stderr, "zonectl cp: zone %s: the copy ended early\n", zone);
	if (local != 0)
		fprintf(stderr, "zonectl cp: %s (here) failed (status %d)\n", tar_path(), local);
	return r.end == ZS_END_EXIT && r.status == 0 && local == 0;
}

static int cp_in(const char *zone, const char *dst, const char *src)
{
	char sdir[PATH_CAP], sbase[PATH_CAP], dir[PATH_CAP], name[PATH_CAP], *real = NULL;
	struct zs_req req = {0};
	struct zs_io io = {zone, -1, 1, 2, 0, 0, -1, 0, 0, 0};
	struct zs_result r;
	struct stat st;
	const char *why;
	int kind, p[2], local;
	pid_t pid;

	if (lstat(src, &st) != 0)
		return cp_fail("%s: %s", src, strerror(errno));
	if (zs_cp_split(src, sdir, sizeof(sdir), sbase, sizeof(sbase)) != 0 &&
	    (!(real = realpath(src, NULL)) ||
	     zs_cp_split(real, sdir, sizeof(sdir), sbase, sizeof(sbase)) != 0)) {
		free(real);
		return cp_fail("%s: no name to copy (say its directory's path)", src);
	}
	free(real);
	kind = zone_stat(zone, dst);
	if (kind < 0)
		return 1;
	why = zs_cp_plan_in(dst, kind, S_ISDIR(st.st_mode), dir, sizeof(dir), name, sizeof(name));
	if (why)
		return cp_fail("%s:%s: %s", zone, dst, why);
	if (pipe2(p, O_CLOEXEC) != 0)
		return cp_fail("pipe: %s", strerror(errno));
	{
		char *argv[] = {(char *)tar_path(), "-c", "-f", "-", "-C", sdir, "--", sbase, NULL};
		struct zc_tool t = {.argv = argv, .out_fd = p[1], .err_fd = -1};

		pid = zc_tool_start(&t);
		close(p[1]);
		if (pid < 0) {
			close(p[0]);
			return cp_fail("fork: %s", strerror(errno));
		}
		zs_req_add_str(&req, ZS_T_OP, "cp-in");
		zs_req_add_str(&req, ZS_T_PATH, dir);
		if (name[0])
			zs_req_add_str(&req, ZS_T_NAME, name);
		zs_req_add(&req, ZS_T_STDIN, NULL, 0);
		io.in_fd = p[0];
		r = one_session(zone, &req, &io);
		close(p[0]); /* our tar stops at EPIPE if the zone stopped reading */
		local = zc_tool_wait(&t, pid);
	}
	return copied(zone, r, local) ? 0 : 1;
}

/* The staging of a copy out: DIR/.zonectl-cp-RANDOM (root's, 0700) and in
 * it s (ZC_EXPORT_ID's, 0700), where tar -x writes. */
struct staging {
	int dirfd, privfd, stagefd;
	char priv[32];
};

static int cp_staging(struct staging *s, const char *dir)
{
	unsigned char r[6];

	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0)
		return cp_fail("%s: %s", dir, strerror(errno));
	for (int tries = 0;; tries++) {
		if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
			return cp_fail("getrandom: %s", strerror(errno));
		snprintf(s->priv, sizeof(s->priv), ".zonectl-cp-%02x%02x%02x%02x%02x%02x", r[0],
			 r[1], r[2], r[3], r[4], r[5]);
		if (mkdirat(s->dirfd, s->priv, 0700) == 0)
			break;
		if (errno != EEXIST || tries > 8) {
			s->priv[0] = '\0';
			return cp_fail("%s: %s", dir, strerror(errno));
		}
	}
	s->privfd = openat(s->dirfd, s->priv, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->privfd < 0 || fchmod(s->privfd, 0700) != 0 || mkdirat(s->privfd, "s", 0700) != 0)
		return cp_fail("%s: %s", s->priv, strerror(errno));
	s->stagefd = openat(s->privfd, "s", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->stagefd < 0 || fchown(s->stagefd, ZC_EXPORT_ID, ZC_EXPORT_ID) != 0)
		return cp_fail("%s/s: %s", s->priv, strerror(errno));
	return 0;
}

static void cp_drop_staging(struct staging *s)
{
	if (s->stagefd >= 0)
		close(s->stagefd);
	if (s->privfd >= 0)
		close(s->privfd);
	if (s->priv[0] && zc_remove_tree(s->dirfd, s->priv) != 0)
		fprintf(stderr, "zonectl cp: could not remove %s\n", s->priv);
	if (s->dirfd >= 0)
		close(s->dirfd);
}

/* Whether staging holds exactly BASE, of KIND. */
static int holds_only(struct staging *s, const char *base, int kind)
{
	int fd = openat(s->stagefd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), n = 0, ok = 0;
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	struct stat st;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			n++;
			ok |= strcmp(e->d_name, base) == 0;
		}
	closedir(d);
	if (n != 1 || !ok || fstatat(s->stagefd, base, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return 0;
	return (kind == ZS_STAT_DIR) == !!S_ISDIR(st.st_mode);
}

/* tar -x as ZC_EXPORT_ID in the staging directory, fed by op "cp-out". */
static int cp_unpack(const char *zone, const char *path, struct staging *s)
{
	char cwd[64],
		*argv[] = {(char *)tar_path(), "-x", "-p", "--no-same-owner", "-f", "-", NULL};
	struct zc_tool t = {.argv = argv,
			    .cwd = cwd,
			    .out_fd = -1,
			    .err_fd = -1,
			    .drop = 1,
			    .uid = ZC_EXPORT_ID,
			    .gid = ZC_EXPORT_ID,
			    .own_session = 1,
			    .nproc_max = UNPACK_NPROC};
	struct zs_req req = {0};
	struct zs_io io = {zone, -1, -1, 2, 0, 0, -1, 0, 0, 0};
	struct zs_result r;
	int p[2], local;
	pid_t pid;

	snprintf(cwd, sizeof(cwd), "/proc/self/fd/%d", s->stagefd); /* chdir as root */
	if (zc_kill_uid(ZC_EXPORT_ID, ZC_EXPORT_ID) != 0 || pipe2(p, O_CLOEXEC) != 0)
		return cp_fail("cannot start tar: %s", strerror(errno));
	t.in_fd = p[0];
	pid = zc_tool_start(&t);
	close(p[0]);
	if (pid < 0) {
		close(p[1]);
		return cp_fail("fork: %s", strerror(errno));
	}
	zs_req_add_str(&req, ZS_T_OP, "cp-out");
	zs_req_add_str(&req, ZS_T_PATH, path);
	io.out_fd = p[1];
	r = one_session(zone, &req, &io);
	close(p[1]);
	local = zc_tool_wait(&t, pid);
	/* whatever it forked: nothing of it may run while root walks the tree */
	if (zc_kill_uid(ZC_EXPORT_ID, ZC_EXPORT_ID) != 0)
		return cp_fail("cannot kill the processes of uid %d: %s", ZC_EXPORT_ID,
			       strerror(errno));
	return copied(zone, r, local) ? 0 : 1;
}

static int cp_out(const char *zone, const char *path, const char *dst)
{
	char zdir[PATH_CAP], base[PATH_CAP], dir[PATH_CAP], name[PATH_CAP];
	struct staging s = {-1, -1, -1, ""};
	struct stat st;
	const char *why;
	int kind, exists, bad = 1;

	if (path[0] != '/')
		return cp_fail("%s:%s: a path in a zone must be absolute", zone, path);
	if (zs_cp_split(path, zdir, sizeof(zdir), base, sizeof(base)) != 0)
		return cp_fail("%s:%s: no name to copy (say its directory's path)", zone, path);
	kind = zone_stat(zone, path);
	if (kind < 0)
		return 1;
	if (kind == ZS_STAT_NONE)
		return cp_fail("%s:%s: no such file or directory in the zone", zone, path);
	exists = stat(dst, &st) == 0;
	if (!exists && errno != ENOENT)
		return cp_fail("%s: %s", dst, strerror(errno));
	why = zs_cp_plan_out(dst, exists, exists && S_ISDIR(st.st_mode), kind, base, dir,
			     sizeof(dir), name, sizeof(name));
	if (why)
		return cp_fail("%s: %s", dst, why);
	if (cp_staging(&s, dir) == 0) {
		if (fstatat(s.dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
			cp_fail("%s/%s is a directory: cp does not replace or merge into one", dir,
				name);
		else if (cp_unpack(zone, path, &s) != 0)
			;
		else if (!holds_only(&s, base, kind))
			cp_fail("zone %s did not send exactly %s: nothing was copied", zone, path);
		else if (zc_tidy_staged(s.stagefd, "cp") != 0)
			cp_fail("nothing was copied");
		else if (renameat2(s.stagefd, base, s.dirfd, name,
				   kind == ZS_STAT_DIR ? RENAME_NOREPLACE : 0) != 0)
			cp_fail("cannot move it into place: %s", strerror(errno));
		else
			bad = 0;
	}
	cp_drop_staging(&s);
	return bad;
}

int cmd_cp(int argc, char **argv)
{
	static const struct option longs[] = {
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	char zs[ZCTL_NAME_LEN], zd[ZCTL_NAME_LEN];
	const char *ps, *pd;
	int c, quiet = 0, in, out, status;

	while ((c = next_option("cp", argc, argv, "+:qh", longs)) != -1) {
		if (c == 'h')
			usage_exit(usage_cp, 0);
		quiet = 1;
	}
	if (argc - optind != 2)
		usage_error("cp", "needs SRC and DST");
	out = zs_cp_ref(argv[optind], zs, sizeof(zs), &ps);
	in = zs_cp_ref(argv[optind + 1], zd, sizeof(zd), &pd);
	if (in == out)
		usage_error("cp", "exactly one of SRC and DST is NAME:PATH, a zone's");
	if (!(in ? pd : ps)[0])
		usage_error("cp", "a path in a zone is absolute: NAME:/PATH");
	channel_open();
	status = in ? cp_in(zd, pd, argv[optind]) : cp_out(zs, ps, argv[optind + 1]);
	cp_session.end = ZS_END_EXIT; /* the record's status is the copy's, both sides' */
	cp_session.status = status;
	zs_audit_cp(in ? zd : zs, in ? "cp-in" : "cp-out", argv[optind], argv[optind + 1],
		    cp_session);
	if (status == 0 && !quiet)
		fprintf(stderr, "Successfully copied %s to %s\n", argv[optind], argv[optind + 1]);
	return status;
}
