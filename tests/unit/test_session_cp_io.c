/* zonectl cp end to end without a zone (tools/zonectl/session_cp.c): a fake
 * agent in a child process serves op "stat", "cp-in" and "cp-out" over a
 * socketpair with tar on a directory standing for the zone's root; hostile
 * streams out of the "zone" (two names, a ".." member, a set-user-ID file)
 * must copy nothing or nothing dangerous.  Copying out drops to uid 999: as
 * root only (the tests pass, saying so, otherwise). */
#define _GNU_SOURCE /* before any header */
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "tests/unit/test.h"
#include "tools/zonectl/session_audit.c"
#include "tools/zonectl/session_client.c"
#include "tools/zonectl/session_cp.c"
#include "tools/zonectl/session_cp_plan.c"
#include "tools/zonectl/session_term.c"
#include "tools/zonectl/session_wire.c"
#include "tools/zonectl/storage.c"
#undef BLOCK /* storage_util.c's own, the same size */
#include "tools/zonectl/storage_util.c"
#include "tools/zonectl/subprocess.c"
#include "tools/zonectl/zonectl_util.c"

/* ---- stubs: no control channel, and a connection is a fake agent ---- */
void channel_open(void)
{
}
uint32_t channel_window_size(void)
{
	return 1 << 20;
}
/* The last session report zonectl sent for the audit log (ZCTL_OP_SESSION). */
static struct zctl_session_report reported;

int channel_call(uint16_t op, const void *body, size_t len, const void *data, size_t dlen,
		 size_t min_reply, const void **reply, size_t *reply_len,
		 char message[ZCTL_MESSAGE_LEN])
{
	(void)data, (void)dlen, (void)min_reply, (void)reply, (void)reply_len;
	if (op == ZCTL_OP_SESSION && len == sizeof(reported)) {
		memcpy(&reported, body, sizeof(reported));
		return 0;
	}
	snprintf(message, ZCTL_MESSAGE_LEN, "no channel in a test");
	return 1;
}
const void *channel_call_or_die(uint16_t op, const void *body, size_t len, const void *data,
				size_t dlen, size_t min_reply, size_t *reply_len)
{
	(void)op, (void)body, (void)len, (void)data, (void)dlen, (void)min_reply, (void)reply_len;
	exit(1);
}
void usage_exit(const char *usage, int status)
{
	(void)usage;
	exit(status);
}
void usage_error(const char *cmd, const char *fmt, ...)
{
	(void)cmd, (void)fmt;
	exit(2);
}
int next_option(const char *cmd, int argc, char **argv, const char *shorts,
		const struct option *longs)
{
	(void)cmd;
	return getopt_long(argc, argv, shorts, longs, NULL);
}

static char zroot[64] = "/tmp/zv-cp-zone-XXXXXX"; /* the "zone's" / */
static char here[64] = "/tmp/zv-cp-here-XXXXXX";  /* the control zone's side */
static const char *hostile_tar;			  /* cp-out sends this file instead */

static int frame(int fd, uint8_t type, const void *p, uint32_t len)
{
	static uint8_t b[ZS_HDR + ZS_FRAME_MAX];
	size_t n = zs_frame_put(b, type, p, len);

	return write_all(fd, b, n);
}

static int get_frame(int fd, uint8_t *buf, uint32_t *len)
{
	uint8_t h[8];

	if (read(fd, h, 8) != 8) /* a socketpair: whole small writes */
		return -1;
	memcpy(len, h, 4);
	for (uint32_t got = 0; got < *len;) {
		ssize_t n = read(fd, buf + got, *len - got);
		if (n <= 0)
			return -1;
		got += (uint32_t)n;
	}
	return h[4];
}

static void __attribute__((noreturn)) fake_agent(int fd)
{
	static uint8_t buf[ZS_FRAME_MAX + 1];
	char op[16] = "", path[512] = "", name[256] = "", cmd[4096], real[600];
	uint32_t len;
	int t, status;
	struct stat st;
	FILE *f;

	while ((t = get_frame(fd, buf, &len)) == ZS_REQ) {
		buf[len] = 0;
		if (buf[0] == ZS_T_OP)
			snprintf(op, sizeof(op), "%.15s", (char *)buf + 1);
		if (buf[0] == ZS_T_PATH)
			snprintf(path, sizeof(path), "%.500s", (char *)buf + 1);
		if (buf[0] == ZS_T_NAME)
			snprintf(name, sizeof(name), "%.250s", (char *)buf + 1);
	}
	snprintf(real, sizeof(real), "%s%s", zroot, path);
	if (!strcmp(op, "stat")) {
		uint8_t kind = lstat(real, &st)	     ? ZS_STAT_NONE
			       : S_ISDIR(st.st_mode) ? ZS_STAT_DIR
						     : ZS_STAT_FILE;
		frame(fd, ZS_STAT, &kind, 1);
		_exit(0);
	}
	frame(fd, ZS_STARTED, NULL, 0);
	if (!strcmp(op, "cp-out")) {
		char *slash = strrchr(real, '/');
		*slash = 0;
		if (hostile_tar)
			snprintf(cmd, sizeof(cmd), "cat %s", hostile_tar);
		else
			snprintf(cmd, sizeof(cmd), "tar -c -C '%s' '%s'", real, slash + 1);
		f = popen(cmd, "r");
		while ((len = (uint32_t)fread(buf, 1, 4096, f)) > 0)
			frame(fd, ZS_STDOUT, buf, len);
	} else { /* cp-in: unpack in a temporary directory, then rename its one entry */
		snprintf(cmd, sizeof(cmd), "mkdir -p %s.t && tar -x -p -C %s.t", real, real);
		f = popen(cmd, "w");
		while ((t = get_frame(fd, buf, &len)) == ZS_STDIN)
			fwrite(buf, 1, len, f);
	}
	status = pclose(f);
	if (!strcmp(op, "cp-in")) {
		snprintf(cmd, sizeof(cmd),
			 "cd %s.t && for e in * .[!.]*; do [ -e \"$e\" ] && mv \"$e\" \"%s/%s\"; "
			 "done; rmdir %s.t",
			 real, real, name[0] ? name : "$e", real);
		status |= system(cmd);
	}
	status = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	frame(fd, ZS_EXIT, &status, 4);
	_exit(0);
}

int zs_connect(const char *name, int *gone)
{
	int sv[2];

	(void)name;
	*gone = 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	if (fork() == 0) {
		close(sv[0]);
		fake_agent(sv[1]);
	}
	close(sv[1]);
	return sv[0];
}

static int sh(const char *fmt, const char *a, const char *b)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), fmt, a, b);
	return system(cmd);
}

static int cp(const char *src, const char *dst)
{
	char *argv[] = {"cp", "-q", (char *)src, (char *)dst, NULL};

	optind = 0;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	return cmd_cp(4, argv);
}

static void setup(void)
{
	static int done;

	if (done++)
		return;
	CHECK(mkdtemp(zroot) && mkdtemp(here));
	CHECK(sh("mkdir -p %s/etc/d/sub && echo hi >%s/etc/d/sub/f", zroot, zroot) == 0);
	CHECK(sh("chmod 0750 %s/etc/d/sub && ln -s sub/f %s/etc/d/link", zroot, zroot) == 0);
	CHECK(sh("echo x >%s/etc/suid && chmod 4755 %s/etc/suid", zroot, zroot) == 0);
	CHECK(sh("mkdir -p %s/in %s/out", here, here) == 0);
	CHECK(sh("echo local >%s/in/a.txt && mkdir -p %s/in/tree/x", here, here) == 0);
	CHECK(sh("chmod 0640 %s/in/a.txt && ln -s ../a.txt %s/in/tree/x/l", here, here) == 0);
}

TEST(cp_into_zone)
{
	char src[128], buf[256];
	struct stat st;

	setup();
	snprintf(src, sizeof(src), "%s/in/a.txt", here);
	CHECK(cp(src, "z1:/etc") == 0); /* into a directory */
	/* the audit log hears of it: zone, paths, the tar's bytes, never contents */
	CHECK_STR(reported.name, "z1");
	CHECK_STR(reported.kind, "cp-in");
	CHECK_EQ_U64(reported.event, ZCTL_SESSION_CP);
	CHECK(strstr(reported.text, "/in/a.txt -> z1:/etc") != NULL);
	CHECK(reported.bytes_in >= 512 && reported.exit_status == 0);
	snprintf(buf, sizeof(buf), "%s/etc/a.txt", zroot);
	CHECK(stat(buf, &st) == 0 && (st.st_mode & 07777) == 0640);
	CHECK(cp(src, "z1:/etc/renamed.txt") == 0); /* a new name */
	snprintf(buf, sizeof(buf), "%s/etc/renamed.txt", zroot);
	CHECK(stat(buf, &st) == 0);
	snprintf(src, sizeof(src), "%s/in/tree", here);
	CHECK(cp(src, "z1:/etc/t2") == 0); /* a tree, its symlink kept */
	snprintf(buf, sizeof(buf), "%s/etc/t2/x/l", zroot);
	CHECK(lstat(buf, &st) == 0 && S_ISLNK(st.st_mode));
	CHECK(cp(src, "z1:/etc/suid") == 1); /* a directory onto a file */
	CHECK(cp(src, "z1:/nodir/") == 1);   /* no such directory */
	CHECK(cp("/nonexistent", "z1:/etc") == 1);
}

/* Whether copying out may run here: as root (it drops to uid 999), and with
 * no process of uid 999 running, as zonectl kills every one of them. */
static int may_copy_out(const char *test)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int busy = 0;

	while (d && !busy && (e = readdir(d))) {
		char path[300], line[256];
		FILE *f;
		snprintf(path, sizeof(path), "/proc/%.200s/status", e->d_name);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			busy |= !strncmp(line, "Uid:", 4) && strstr(line, "\t999\t");
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	if (geteuid() == 0 && !busy)
		return 1;
	printf("%s: skipped: %s\n", test,
	       busy ? "processes of uid 999 run here" : "not root (it drops to uid 999)");
	return 0;
}

TEST(cp_out_of_zone)
{
	char dst[128], buf[256];
	struct stat st;

	setup();
	if (!may_copy_out("cp_out_of_zone"))
		return;
	snprintf(dst, sizeof(dst), "%s/out", here);
	CHECK(cp("z1:/etc/d", dst) == 0); /* into a directory */
	snprintf(buf, sizeof(buf), "%s/out/d/sub/f", here);
	CHECK(stat(buf, &st) == 0 && st.st_uid == 0);
	snprintf(buf, sizeof(buf), "%s/out/d/sub", here);
	CHECK(stat(buf, &st) == 0 && (st.st_mode & 07777) == 0750);
	snprintf(buf, sizeof(buf), "%s/out/d/link", here);
	CHECK(lstat(buf, &st) == 0 && S_ISLNK(st.st_mode));
	CHECK(cp("z1:/etc/d", dst) == 1); /* never into an existing directory */
	snprintf(dst, sizeof(dst), "%s/out/new-name", here);
	CHECK(cp("z1:/etc/suid", dst) == 0); /* a new name, set-user-ID dropped */
	CHECK(stat(dst, &st) == 0 && S_ISREG(st.st_mode) && !(st.st_mode & 06000));
	CHECK(cp("z1:/etc/missing", dst) == 1);
}

TEST(cp_out_hostile)
{
	char dst[128], tarfile[128], buf[256];
	struct stat st;

	setup();
	if (!may_copy_out("cp_out_hostile")) {
		sh("rm -rf %s %s", zroot, here);
		return;
	}
	snprintf(tarfile, sizeof(tarfile), "%s/two.tar", here);
	CHECK(sh("tar -c -f %s -C %s/etc d suid", tarfile, zroot) == 0); /* two names */
	hostile_tar = tarfile;
	snprintf(dst, sizeof(dst), "%s/out/h1", here);
	CHECK(cp("z1:/etc/d", dst) == 1);
	CHECK(lstat(dst, &st) != 0);
	snprintf(tarfile, sizeof(tarfile), "%s/dots.tar", here);
	CHECK(sh("tar -c -f %s -C %s/etc --transform=s,^suid,../escaped, suid", tarfile, zroot) ==
	      0);
	snprintf(dst, sizeof(dst), "%s/out/h2", here);
	CHECK(cp("z1:/etc/suid", dst) == 1); /* tar refuses "..": nothing copied */
	snprintf(buf, sizeof(buf), "%s/out/escaped", here);
	CHECK(lstat(buf, &st) != 0 && lstat(dst, &st) != 0);
	hostile_tar = NULL;
	/* no staging directory is left behind */
	snprintf(buf, sizeof(buf), "ls -a %s/out | grep -q zonectl-cp", here);
	CHECK(system(buf) != 0);
	sh("rm -rf %s %s", zroot, here);
}
