/* Unit tests of tools/zv-agent/: the request parser (good and hostile input),
 * and the session loop (zsa_serve) driven over a socketpair, as a client
 * would, running real commands chrooted into a temporary root (the host's
 * /usr bind-mounted, our own /etc/passwd) in a private mount namespace.  The
 * process tests need root; without it they are skipped. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/test.h"
#include "tools/zv-agent/cp.c"
#include "tools/zv-agent/frame.c"
#include "tools/zv-agent/request.c"
#include "tools/zv-agent/secrets.c"
#include "tools/zv-agent/session.c"
#include "tools/zv-agent/spawn.c"
#include "tools/zv-agent/user.c"

/* ---- the parser ------------------------------------------------------------------ */

/* Feeds one ZS_REQ field (tag, then s) to r. */
static int feed(struct zsa_req *r, uint8_t tag, const char *s, size_t n, char *err)
{
	uint8_t buf[512];

	buf[0] = tag;
	memcpy(buf + 1, s, n);
	return zsa_req_frame(r, ZS_REQ, buf, n + 1, err);
}

#define FEED(r, tag, s, err) feed(r, tag, s, strlen(s), err)

TEST(zv_agent_request_good)
{
	struct zsa_req r;
	char err[ZSA_ERR_MAX];
	uint8_t tty[5] = {ZS_T_TTY, 24, 0, 80, 0};

	zsa_req_init(&r);
	CHECK(FEED(&r, ZS_T_OP, "run", err) == 0);
	CHECK(FEED(&r, ZS_T_ARG, "sh", err) == 0);
	CHECK(FEED(&r, ZS_T_ARG, "-c", err) == 0);
	CHECK(FEED(&r, ZS_T_ENV, "A=b=c", err) == 0);
	CHECK(FEED(&r, ZS_T_SECRET, "TOKEN=x=y", err) == 0);
	CHECK(FEED(&r, ZS_T_CWD, "/tmp", err) == 0);
	CHECK(FEED(&r, ZS_T_USER, "1000:1000", err) == 0);
	CHECK(zsa_req_frame(&r, ZS_REQ, tty, sizeof(tty), err) == 0);
	CHECK(feed(&r, ZS_T_STDIN, "", 0, err) == 0);
	CHECK(zsa_req_frame(&r, ZS_REQ_END, NULL, 0, err) == 1);
	CHECK(r.op == ZSA_OP_RUN && r.argc == 2 && r.envc == 1 && r.nsecrets == 1);
	CHECK_STR(r.argv[1], "-c");
	CHECK(r.argv[2] == NULL);
	CHECK_STR(r.secrets[0], "TOKEN=x=y");
	CHECK(r.tty && r.rows == 24 && r.cols == 80 && r.want_stdin);
	zsa_req_free(&r);

	zsa_req_init(&r);
	CHECK(FEED(&r, ZS_T_OP, "cp-in", err) == 0);
	CHECK(FEED(&r, ZS_T_PATH, "/workspace", err) == 0);
	CHECK(FEED(&r, ZS_T_NAME, "new", err) == 0);
	CHECK(zsa_req_frame(&r, ZS_REQ_END, NULL, 0, err) == 1);
	zsa_req_free(&r);
}

/* Each case: fields fed in order; the last one (or the end) must fail. */
TEST(zv_agent_request_bad)
{
	static const struct {
		const char *op;
		uint8_t tag;
		const char *val;
		size_t len;
	} bad[] = {
		{"walk", 0, NULL, 0},		    /* unknown op */
		{"exec", ZS_T_SECRET, "A=1", 3},    /* secret on exec */
		{"run", ZS_T_SECRET, "a/b=x", 5},   /* name with '/' */
		{"run", ZS_T_SECRET, "1A=x", 4},    /* name starts with a digit */
		{"run", ZS_T_SECRET, "NOVALUE", 7}, /* no '=' */
		{"run", ZS_T_SECRET, "A=x\0y", 5},  /* NUL in the value */
		{"exec", ZS_T_ARG, "a\0b", 3},	    /* NUL in an argument */
		{"exec", ZS_T_ENV, "=x", 2},	    /* empty key */
		{"exec", ZS_T_ENV, "novalue", 7},   /* no '=' */
		{"exec", ZS_T_PATH, "/x", 2},	    /* path on exec */
		{"stat", ZS_T_ARG, "x", 1},	    /* argument on stat */
		{"cp-in", ZS_T_NAME, "a/b", 3},	    /* name with '/' */
		{"cp-in", ZS_T_NAME, "..", 2},	    /* name .. */
		{"exec", ZS_T_TTY, "\x18\0", 2},    /* tty not 4 bytes */
		{"exec", ZS_T_STDIN, "x", 1},	    /* stdin with a payload */
		{"exec", 99, "x", 1},		    /* unknown tag */
		{"exec", ZS_T_OP, "run", 3},	    /* op twice */
		{"exec", ZS_T_CWD, "", 0},	    /* empty cwd */
	};
	struct zsa_req r;
	char err[ZSA_ERR_MAX];
	char name[ZS_SECRET_NAME_MAX + 8];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		zsa_req_init(&r);
		err[0] = 0;
		if (!bad[i].val) {
			CHECK(FEED(&r, ZS_T_OP, bad[i].op, err) < 0);
		} else {
			CHECK(FEED(&r, ZS_T_OP, bad[i].op, err) == 0);
			CHECK(feed(&r, bad[i].tag, bad[i].val, bad[i].len, err) < 0);
		}
		CHECK(err[0] != 0);
		zsa_req_free(&r);
	}
	/* A secret's value never appears in a message. */
	zsa_req_init(&r);
	CHECK(FEED(&r, ZS_T_OP, "run", err) == 0);
	CHECK(feed(&r, ZS_T_SECRET, "KEY=hunter2\0", 12, err) < 0);
	CHECK(strstr(err, "KEY") && !strstr(err, "hunter2"));
	zsa_req_free(&r);
	/* The name's length bound. */
	memset(name, 'A', sizeof(name));
	CHECK(zsa_secret_name_ok(name, ZS_SECRET_NAME_MAX));
	CHECK(!zsa_secret_name_ok(name, ZS_SECRET_NAME_MAX + 1));
	CHECK(!zsa_secret_name_ok(name, 0));
	/* Frames out of order. */
	zsa_req_init(&r);
	CHECK(zsa_req_frame(&r, ZS_REQ_END, NULL, 0, err) < 0); /* no op */
	CHECK(zsa_req_frame(&r, ZS_STDIN, NULL, 0, err) < 0);
	CHECK(zsa_req_frame(&r, ZS_REQ, NULL, 0, err) < 0); /* no tag */
	CHECK(FEED(&r, ZS_T_ARG, "x", err) < 0);	    /* op not first */
	zsa_req_free(&r);
	zsa_req_init(&r);
	CHECK(FEED(&r, ZS_T_OP, "exec", err) == 0);
	CHECK(zsa_req_frame(&r, ZS_REQ_END, NULL, 0, err) < 0); /* exec without a command */
	zsa_req_free(&r);
	zsa_req_init(&r);
	CHECK(FEED(&r, ZS_T_OP, "cp-out", err) == 0);
	CHECK(zsa_req_frame(&r, ZS_REQ_END, NULL, 0, err) < 0); /* no path */
	zsa_req_free(&r);
}

TEST(zv_agent_request_bounds)
{
	struct zsa_req r;
	char err[ZSA_ERR_MAX];
	static uint8_t big[ZS_FRAME_MAX];
	int rc = 0;

	zsa_req_init(&r);
	CHECK(FEED(&r, ZS_T_OP, "exec", err) == 0);
	for (int i = 0; i <= ZSA_ARGV_MAX && rc == 0; i++)
		rc = FEED(&r, ZS_T_ARG, "x", err);
	CHECK(rc < 0 && r.argc == ZSA_ARGV_MAX);
	zsa_req_free(&r);
	/* ZS_REQUEST_MAX over all fields together. */
	zsa_req_init(&r);
	CHECK(FEED(&r, ZS_T_OP, "exec", err) == 0);
	memset(big, 'a', sizeof(big));
	big[0] = ZS_T_ARG;
	rc = 0;
	for (int i = 0; i < 20 && rc == 0; i++)
		rc = zsa_req_frame(&r, ZS_REQ, big, sizeof(big), err);
	CHECK(rc < 0 && r.bytes <= ZS_REQUEST_MAX);
	CHECK(zsa_req_frame(&r, ZS_REQ, big, ZS_FRAME_MAX + 1, err) < 0);
	zsa_req_free(&r);
}

TEST(zv_agent_running_frames)
{
	struct zsa_req r;
	char err[ZSA_ERR_MAX];

	zsa_req_init(&r);
	r.op = ZSA_OP_EXEC;
	CHECK(zsa_check_running_frame(&r, ZS_STDIN, 3, err) < 0);  /* no stdin field */
	CHECK(zsa_check_running_frame(&r, ZS_RESIZE, 4, err) < 0); /* no terminal */
	CHECK(zsa_check_running_frame(&r, ZS_SIGNAL, 4, err) == 0);
	CHECK(zsa_check_running_frame(&r, ZS_SIGNAL, 3, err) < 0);
	CHECK(zsa_check_running_frame(&r, ZS_REQ, 3, err) < 0);
	CHECK(zsa_check_running_frame(&r, ZS_EXIT, 4, err) < 0);
	r.tty = 1;
	r.want_stdin = 1;
	CHECK(zsa_check_running_frame(&r, ZS_RESIZE, 4, err) == 0);
	CHECK(zsa_check_running_frame(&r, ZS_STDIN, 3, err) == 0);
	CHECK(zsa_check_running_frame(&r, ZS_STDIN_EOF, 1, err) < 0);
}

/* ---- the session loop: a temporary root -------------------------------------------- */

static char root_dir[64];

static void write_file(const char *rel, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root_dir, rel);
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static int rm_entry_test(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* Removes the root, but only once the bind mounts are gone (their folders
 * empty): never a file of the host's /usr or /dev. */
static void remove_root(void)
{
	char usr[256], dev[256];

	snprintf(usr, sizeof(usr), "%s/usr", root_dir);
	snprintf(dev, sizeof(dev), "%s/dev", root_dir);
	umount2(usr, MNT_DETACH);
	umount2(dev, MNT_DETACH);
	if (rmdir(usr) == 0 && rmdir(dev) == 0)
		nftw(root_dir, rm_entry_test, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* Builds the root once; returns NULL (skip) when we may not (not root). */
static const char *test_root(void)
{
	static int state; /* 0 not yet, 1 ready, -1 unavailable */
	static const char *const links[][2] = {{"bin", "usr/bin"},
					       {"sbin", "usr/sbin"},
					       {"lib", "usr/lib"},
					       {"lib64", "usr/lib64"}};
	char p[256];

	if (state)
		return state > 0 ? root_dir : NULL;
	state = -1;
	if (geteuid() != 0 || unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		printf("note: zv-agent process tests skipped (need root and a mount namespace)\n");
		return NULL;
	}
	snprintf(root_dir, sizeof(root_dir), "/tmp/zv-agent-root-XXXXXX");
	if (!mkdtemp(root_dir))
		return NULL;
	atexit(remove_root);
	chmod(root_dir, 0755);
	for (const char *d = "usr\0dev\0etc\0run\0tmp\0workspace\0"; *d; d += strlen(d) + 1) {
		snprintf(p, sizeof(p), "%s/%s", root_dir, d);
		mkdir(p, 0755);
	}
	snprintf(p, sizeof(p), "%s/tmp", root_dir);
	chmod(p, 01777);
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", root_dir, links[i][0]);
		if (symlink(links[i][1], p) < 0)
			return NULL;
	}
	snprintf(p, sizeof(p), "%s/usr", root_dir);
	if (mount("/usr", p, NULL, MS_BIND | MS_REC, NULL) < 0)
		return NULL;
	snprintf(p, sizeof(p), "%s/dev", root_dir);
	if (mount("/dev", p, NULL, MS_BIND | MS_REC, NULL) < 0)
		return NULL;
	write_file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
				 "tester:x:1234:1234:tester:/home/tester:/bin/sh\n");
	write_file("etc/group", "root:x:0:\ntester:x:1234:\nextra:x:2000:tester\n");
	state = 1;
	return root_dir;
}

/* Like CHECK_STR, for long buffers: prints a bounded excerpt of each. */
static int same(const char *got, const char *want)
{
	if (strcmp(got, want) == 0)
		return 1;
	printf("got '%.300s', want '%.300s'\n", got, want);
	return 0;
}

/* ---- the session loop: a client -------------------------------------------------- */

struct result {
	int started, error, exit, stat;
	char msg[ZS_ERROR_MAX + 1];
	char out[65536], err[8192];
	size_t outlen, errlen;
};

/* Starts zsa_serve in a child on one end of a socketpair; returns our end. */
static int agent_start(pid_t *pid, int main_mode)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	*pid = fork();
	if (*pid == 0) {
		struct zsa_agent a = {.root = root_dir,
				      .main_mode = main_mode,
				      .listen_fd = -1,
				      .console_fd = -1,
				      .initial_fd = sv[1],
				      .exit_when_idle = 1};
		close(sv[0]);
		alarm(30);
		_exit(zsa_serve(&a));
	}
	close(sv[1]);
	return sv[0];
}

/* The agent's exit status (-1: crashed or hung). */
static int agent_wait(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static int field(int fd, uint8_t tag, const void *v, size_t n)
{
	uint8_t buf[1024];

	buf[0] = tag;
	memcpy(buf + 1, v, n);
	return zsa_write_frame(fd, ZS_REQ, buf, n + 1);
}

#define CHECK_SAME(a, b)  CHECK(same(a, b))
#define FIELD(fd, tag, s) field(fd, tag, s, strlen(s))

/* Sends op and the NULL-terminated argv as an exec request (not ended). */
static void send_cmd(int fd, const char *op, const char *const *argv)
{
	FIELD(fd, ZS_T_OP, op);
	for (; argv && *argv; argv++)
		FIELD(fd, ZS_T_ARG, *argv);
}

static void send_tty(int fd, uint8_t type, uint16_t rows, uint16_t cols)
{
	uint8_t b[5] = {ZS_T_TTY, (uint8_t)rows, (uint8_t)(rows >> 8), (uint8_t)cols,
			(uint8_t)(cols >> 8)};

	if (type == ZS_REQ)
		zsa_write_frame(fd, ZS_REQ, b, 5);
	else
		zsa_write_frame(fd, type, b + 1, 4);
}

/* Reads one frame (10 s at most).  Returns its type, or -1. */
static int read_frame(int fd, uint8_t *buf, uint32_t *len)
{
	struct zs_frame h;
	size_t got = 0;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	while (got < sizeof(h) + (got >= sizeof(h) ? h.len : 0)) {
		uint8_t *dst = got < sizeof(h) ? (uint8_t *)&h + got : buf + got - sizeof(h);
		size_t want = got < sizeof(h) ? sizeof(h) - got : sizeof(h) + h.len - got;
		ssize_t n;
		if (poll(&pfd, 1, 10000) <= 0)
			return -1;
		n = read(fd, dst, want);
		if (n <= 0)
			return -1;
		got += (size_t)n;
		if (got == sizeof(h) && h.len > ZS_FRAME_MAX)
			return -1;
	}
	*len = h.len;
	return h.type;
}

/* Reads frames until EXIT, ERROR, STAT or the end; the text of each kind into r. */
static int collect_until(int fd, struct result *r, const char *want_out)
{
	static uint8_t buf[ZS_FRAME_MAX + 1];
	uint32_t len;
	int t;

	if (want_out && strstr(r->out, want_out))
		return 1;
	while ((t = read_frame(fd, buf, &len)) >= 0) {
		if (t == ZS_STARTED) {
			r->started = 1;
		} else if (t == ZS_STDOUT && r->outlen + len < sizeof(r->out)) {
			memcpy(r->out + r->outlen, buf, len);
			r->out[r->outlen += len] = 0;
		} else if (t == ZS_STDERR && r->errlen + len < sizeof(r->err)) {
			memcpy(r->err + r->errlen, buf, len);
			r->err[r->errlen += len] = 0;
		} else if (t == ZS_EXIT && len == 4) {
			memcpy(&r->exit, buf, 4);
			return 0;
		} else if (t == ZS_ERROR) {
			r->error = 1;
			memcpy(r->msg, buf, len < ZS_ERROR_MAX ? len : ZS_ERROR_MAX);
			return 0;
		} else if (t == ZS_STAT && len == 1) {
			r->stat = buf[0];
			return 0;
		}
		if (want_out && strstr(r->out, want_out))
			return 1;
	}
	return -1;
}

static void collect(int fd, struct result *r)
{
	r->exit = -1;
	CHECK(collect_until(fd, r, NULL) == 0);
}

/* exec argv to the end, stdin (if any) then EOF; result in r. */
static int exec_simple(const char *const *argv, const char *in, struct result *r)
{
	pid_t pid;
	int fd = agent_start(&pid, 0);

	memset(r, 0, sizeof(*r));
	send_cmd(fd, "exec", argv);
	if (in)
		field(fd, ZS_T_STDIN, "", 0);
	zsa_write_frame(fd, ZS_REQ_END, NULL, 0);
	if (in) {
		zsa_write_frame(fd, ZS_STDIN, in, strlen(in));
		zsa_write_frame(fd, ZS_STDIN_EOF, NULL, 0);
	}
	collect(fd, r);
	close(fd);
	return agent_wait(pid);
}

TEST(zv_agent_exec_status_and_streams)
{
	static const char *const t[] = {"true", NULL};
	static const char *const oe[] = {"sh", "-c", "echo out; echo err >&2; exit 7", NULL};
	static const char *const wc[] = {"wc", "-c", NULL};
	static const char *const nf[] = {"/no/such/program", NULL};
	static const char *const sig[] = {"sh", "-c", "kill -TERM $$", NULL};
	struct result r;

	if (!test_root())
		return;
	CHECK(exec_simple(t, NULL, &r) == 0);
	CHECK(r.started && r.exit == 0);
	CHECK(exec_simple(oe, NULL, &r) == 0);
	CHECK_SAME(r.out, "out\n");
	CHECK_SAME(r.err, "err\n");
	CHECK(r.exit == 7);
	CHECK(exec_simple(wc, "hello world\n", &r) == 0);
	CHECK_SAME(r.out, "12\n");
	CHECK(r.exit == 0);
	CHECK(exec_simple(nf, NULL, &r) == 0);
	CHECK(r.error && strstr(r.msg, "/no/such/program"));
	CHECK(exec_simple(sig, NULL, &r) == 0);
	CHECK(r.exit == 128 + SIGTERM);
}

TEST(zv_agent_exec_env_cwd_user)
{
	static const char *const sh[] = {"sh", "-c", "echo $FOO $HOME $TERM; pwd; id -u; id -G",
					 NULL};
	struct result r;
	pid_t pid;
	int fd;

	if (!test_root())
		return;
	/* Defaults: /workspace, HOME of root, TERM xterm. */
	CHECK(exec_simple(sh, NULL, &r) == 0);
	CHECK_SAME(r.out, "/root xterm\n/workspace\n0\n0\n");
	fd = agent_start(&pid, 0);
	memset(&r, 0, sizeof(r));
	send_cmd(fd, "exec", sh);
	FIELD(fd, ZS_T_ENV, "FOO=bar baz");
	FIELD(fd, ZS_T_ENV, "TERM=dumb");
	FIELD(fd, ZS_T_CWD, "/tmp");
	FIELD(fd, ZS_T_USER, "tester");
	zsa_write_frame(fd, ZS_REQ_END, NULL, 0);
	collect(fd, &r);
	close(fd);
	CHECK(agent_wait(pid) == 0);
	CHECK_SAME(r.out, "bar baz /home/tester dumb\n/tmp\n1234\n1234 2000\n");
	/* A missing user and a missing directory are errors before the command. */
	fd = agent_start(&pid, 0);
	memset(&r, 0, sizeof(r));
	send_cmd(fd, "exec", sh);
	FIELD(fd, ZS_T_USER, "nobody-here");
	zsa_write_frame(fd, ZS_REQ_END, NULL, 0);
	collect(fd, &r);
	close(fd);
	CHECK(agent_wait(pid) == 0);
	CHECK(r.error && strstr(r.msg, "nobody-here"));
	/* A message quoting the client's bytes stays printable. */
	fd = agent_start(&pid, 0);
	memset(&r, 0, sizeof(r));
	send_cmd(fd, "exec", sh);
	FIELD(fd, ZS_T_USER, "no\x1b[31mbody");
	zsa_write_frame(fd, ZS_REQ_END, NULL, 0);
	collect(fd, &r);
	close(fd);
	CHECK(agent_wait(pid) == 0);
	CHECK(r.error && strstr(r.msg, "no?[31mbody"));
}

TEST(zv_agent_tty_size_resize_ctrl_c)
{
	static const char *const sh[] = {
		"sh", "-c", "stty size; read x; stty size; echo ready; exec sleep 100", NULL};
	struct result r;
	pid_t pid;
	int fd;

	if (!test_root())
		return;
	fd = agent_start(&pid, 0);
	memset(&r, 0, sizeof(r));
	send_cmd(fd, "exec", sh);
	send_tty(fd, ZS_REQ, 24, 80);
	field(fd, ZS_T_STDIN, "", 0);
	zsa_write_frame(fd, ZS_REQ_END, NULL, 0);
	CHECK(collect_until(fd, &r, "24 80") == 1);
	send_tty(fd, ZS_RESIZE, 30, 100);
	zsa_write_frame(fd, ZS_STDIN, "\n", 1);
	CHECK(collect_until(fd, &r, "30 100") == 1);
	/* After "ready" the shell waits for no child (it would outlive ^C then). */
	CHECK(collect_until(fd, &r, "ready") == 1);
	/* ^C typed on the terminal reaches the foreground process group. */
	zsa_write_frame(fd, ZS_STDIN, "\x03", 1);
	r.exit = -1;
	CHECK(collect_until(fd, &r, NULL) == 0);
	if (r.exit != 128 + SIGINT)
		printf("tty: exit %d, output '%.300s'\n", r.exit, r.out);
	CHECK(r.exit == 128 + SIGINT);
	close(fd);
	CHECK(agent_wait(pid) == 0);
}

TEST(zv_agent_exec_hangup_on_close)
{
	static const char *const sl[] = {"sleep", "100", NULL};
	struct result r;
	pid_t pid;
	int fd;

	if (!test_root())
		return;
	fd = agent_start(&pid, 0);
	memset(&r, 0, sizeof(r));
	send_cmd(fd, "exec", sl);
	zsa_write_frame(fd, ZS_REQ_END, NULL, 0);
	CHECK(read_frame(fd, (uint8_t *)r.out, &(uint32_t){0}) == ZS_STARTED);
	close(fd); /* SIGHUP: the agent is idle again at once, not in 100 s */
	CHECK(agent_wait(pid) == 0);
}

/* --main with a secret: env var, file 0400 owned by the user, folder 0500. */
TEST(zv_agent_run_secret)
{
	static const char *const sh[] = {
		"sh", "-c",
		"echo $TOKEN; stat -c %a:%u /run/secrets/TOKEN /run/secrets; "
		"cat /run/secrets/TOKEN; echo; exit 3",
		NULL};
	struct result r;
	pid_t pid;
	int fd;

	if (!test_root())
		return;
	fd = agent_start(&pid, 1);
	memset(&r, 0, sizeof(r));
	send_cmd(fd, "run", sh);
	FIELD(fd, ZS_T_USER, "tester");
	FIELD(fd, ZS_T_SECRET, "TOKEN=s3cr3t value");
	zsa_write_frame(fd, ZS_REQ_END, NULL, 0);
	collect(fd, &r);
	close(fd);
	CHECK(agent_wait(pid) == 3); /* --main exits with the command's status */
	CHECK_SAME(r.out, "s3cr3t value\n400:1234\n500:1234\ns3cr3t value\n");
	CHECK(r.exit == 3);
	/* run outside session mode is refused. */
	fd = agent_start(&pid, 0);
	memset(&r, 0, sizeof(r));
	send_cmd(fd, "run", sh);
	zsa_write_frame(fd, ZS_REQ_END, NULL, 0);
	collect(fd, &r);
	close(fd);
	CHECK(agent_wait(pid) == 0);
	CHECK(r.error && strstr(r.msg, "session mode"));
}

/* One request on a fresh agent; the agent's status; result in r. */
static int simple_req(const char *op, const char *path, const char *name, const void *in,
		      size_t inlen, struct result *r)
{
	pid_t pid;
	int fd = agent_start(&pid, 0);

	memset(r, 0, sizeof(*r));
	r->exit = -1;
	FIELD(fd, ZS_T_OP, op);
	FIELD(fd, ZS_T_PATH, path);
	if (name)
		FIELD(fd, ZS_T_NAME, name);
	zsa_write_frame(fd, ZS_REQ_END, NULL, 0);
	for (size_t off = 0; in && off < inlen; off += ZS_FRAME_MAX)
		zsa_write_frame(fd, ZS_STDIN, (const uint8_t *)in + off,
				inlen - off < ZS_FRAME_MAX ? inlen - off : ZS_FRAME_MAX);
	if (in)
		zsa_write_frame(fd, ZS_STDIN_EOF, NULL, 0);
	CHECK(collect_until(fd, r, NULL) == 0);
	close(fd);
	return agent_wait(pid);
}

static void check_tree(const char *rel)
{
	char p[256], link[64] = "";
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s/run.sh", root_dir, rel);
	CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0750);
	snprintf(p, sizeof(p), "%s/%s/link", root_dir, rel);
	CHECK(readlink(p, link, sizeof(link) - 1) > 0);
	CHECK_STR(link, "run.sh");
	snprintf(p, sizeof(p), "%s/%s/sub/file", root_dir, rel);
	CHECK(stat(p, &st) == 0 && st.st_size == 6);
}

TEST(zv_agent_cp_round_trip_and_stat)
{
	char p[256];
	struct result r;
	static char tarball[65536];
	size_t tarlen;

	if (!test_root())
		return;
	snprintf(p, sizeof(p), "%s/workspace/src", root_dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/workspace/src/sub", root_dir);
	mkdir(p, 0755);
	write_file("workspace/src/run.sh", "#!/bin/sh\n");
	write_file("workspace/src/sub/file", "hello\n");
	snprintf(p, sizeof(p), "%s/workspace/src/run.sh", root_dir);
	chmod(p, 0750);
	snprintf(p, sizeof(p), "%s/workspace/src/link", root_dir);
	CHECK(symlink("run.sh", p) == 0);
	CHECK(simple_req("cp-out", "/workspace/src/", NULL, NULL, 0, &r) == 0);
	CHECK(r.started && r.exit == 0 && r.outlen > 1024);
	tarlen = r.outlen;
	memcpy(tarball, r.out, tarlen);
	/* In with a new name, and as is. */
	CHECK(simple_req("cp-in", "/tmp", "copy", tarball, tarlen, &r) == 0);
	CHECK(r.exit == 0);
	check_tree("tmp/copy");
	CHECK(simple_req("cp-in", "/run", NULL, tarball, tarlen, &r) == 0);
	CHECK(r.exit == 0);
	check_tree("run/src");
	/* Never over a directory; into a missing one: an error status. */
	CHECK(simple_req("cp-in", "/tmp", "copy", tarball, tarlen, &r) == 0);
	CHECK(r.exit != 0 && strstr(r.err, "directory"));
	CHECK(simple_req("cp-in", "/nope", NULL, tarball, tarlen, &r) == 0);
	CHECK(r.exit != 0);
	CHECK(simple_req("stat", "/workspace", NULL, NULL, 0, &r) == 0);
	CHECK(r.stat == ZS_STAT_DIR && !r.started);
	CHECK(simple_req("stat", "/etc/passwd", NULL, NULL, 0, &r) == 0);
	CHECK(r.stat == ZS_STAT_FILE);
	CHECK(simple_req("stat", "/workspace/src/nothing", NULL, NULL, 0, &r) == 0);
	CHECK(r.stat == ZS_STAT_NONE);
}

/* Sends raw bytes as the first thing; the agent answers ZS_ERROR and returns. */
static void expect_error(const void *raw, size_t n, const char *want)
{
	struct result r;
	pid_t pid;
	int fd = agent_start(&pid, 0);

	memset(&r, 0, sizeof(r));
	CHECK(write(fd, raw, n) == (ssize_t)n);
	collect_until(fd, &r, NULL);
	close(fd);
	CHECK(agent_wait(pid) == 0);
	CHECK(r.error);
	if (!strstr(r.msg, want))
		printf("FAIL detail: got '%s', want '%s'\n", r.msg, want);
	CHECK(strstr(r.msg, want) != NULL);
}

TEST(zv_agent_malformed_frames)
{
	struct zs_frame huge = {.len = ZS_FRAME_MAX + 1, .type = ZS_REQ};
	struct zs_frame unknown = {.len = 0, .type = 99};
	struct zs_frame end = {.len = 0, .type = ZS_REQ_END};
	uint8_t secret[] = {1, 0, 0, 0, ZS_REQ, 0, 0, 0, ZS_T_OP, 'r', 'u', 'n', 0, 0, 0, 0, 0, 0};
	static const char sname[] = "a/b=hunter2";
	uint8_t buf[64];
	struct zs_frame h;
	size_t n = 0;

	if (!test_root())
		return;
	expect_error(&huge, sizeof(huge), "frame of");
	expect_error(&unknown, sizeof(unknown), "frame type 99");
	expect_error(&end, sizeof(end), "without an op");
	/* op run, then a secret named "a/b". */
	zsa_frame_hdr(&h, ZS_REQ, 4);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), "\x01run", 4);
	n = sizeof(h) + 4;
	zsa_frame_hdr(&h, ZS_REQ, sizeof(sname));
	memcpy(buf + n, &h, sizeof(h));
	buf[n + sizeof(h)] = ZS_T_SECRET;
	memcpy(buf + n + sizeof(h) + 1, sname, sizeof(sname) - 1);
	n += sizeof(h) + sizeof(sname);
	expect_error(buf, n, "secret name");
	(void)secret;
	/* exec with an argument holding a NUL. */
	zsa_frame_hdr(&h, ZS_REQ, 5);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h),
	       "\x01"
	       "exec",
	       5);
	n = sizeof(h) + 5;
	zsa_frame_hdr(&h, ZS_REQ, 4);
	memcpy(buf + n, &h, sizeof(h));
	memcpy(buf + n + sizeof(h),
	       "\x02"
	       "a\0b",
	       4);
	n += sizeof(h) + 4;
	expect_error(buf, n, "NUL");
}

/* --main over a listening socket: run, detach, attach (one at a time), exit. */
TEST(zv_agent_main_detach_attach)
{
	static const char *const sh[] = {"sh", "-c", "echo started; read x; echo got $x; exit 5",
					 NULL};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char console[256], log[256] = "";
	struct result r;
	pid_t pid;
	int lfd, fd, fd2;
	FILE *f;

	if (!test_root())
		return;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/tmp/agent.sock", root_dir);
	snprintf(console, sizeof(console), "%s/tmp/console.log", root_dir);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(lfd, 4) == 0);
	pid = fork();
	if (pid == 0) {
		struct zsa_agent a = {.root = root_dir,
				      .main_mode = 1,
				      .listen_fd = lfd,
				      .console_fd =
					      open(console, O_WRONLY | O_CREAT | O_TRUNC, 0600),
				      .initial_fd = -1};
		alarm(30);
		_exit(zsa_serve(&a));
	}
	close(lfd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	memset(&r, 0, sizeof(r));
	send_cmd(fd, "run", sh);
	field(fd, ZS_T_STDIN, "", 0);
	zsa_write_frame(fd, ZS_REQ_END, NULL, 0);
	CHECK(collect_until(fd, &r, "started") == 1);
	close(fd); /* detach: the command keeps running */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	FIELD(fd, ZS_T_OP, "attach");
	field(fd, ZS_T_STDIN, "", 0);
	zsa_write_frame(fd, ZS_REQ_END, NULL, 0);
	memset(&r, 0, sizeof(r));
	CHECK(read_frame(fd, (uint8_t *)r.out, &(uint32_t){0}) == ZS_STARTED);
	/* A second attach while one is attached. */
	fd2 = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(connect(fd2, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	FIELD(fd2, ZS_T_OP, "attach");
	zsa_write_frame(fd2, ZS_REQ_END, NULL, 0);
	collect(fd2, &r);
	CHECK(r.error && strstr(r.msg, "attached"));
	close(fd2);
	memset(&r, 0, sizeof(r));
	zsa_write_frame(fd, ZS_STDIN, "hi\n", 3);
	collect(fd, &r);
	CHECK_SAME(r.out, "got hi\n");
	CHECK(r.exit == 5);
	close(fd);
	CHECK(agent_wait(pid) == 5);
	f = fopen(console, "r");
	if (f) {
		size_t n = fread(log, 1, sizeof(log) - 1, f);
		log[n] = 0;
		fclose(f);
	}
	CHECK_SAME(log, "started\ngot hi\n");
}
