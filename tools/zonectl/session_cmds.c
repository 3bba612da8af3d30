/*
 * zonectl exec and attach, and the session plumbing run shares with them
 * (session_cmds.h): options, connecting to a zone's agent over AF_VSOCK, the
 * request, and the terminal around a session.  Secrets are read here, moved
 * into the request and zeroed (explicit_bzero) once it is sent: they never
 * reach a control request, the kernel command line or a message.
 */
#define _GNU_SOURCE /* explicit_bzero */
#include "tools/zonectl/session_cmds.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tools/zonectl/channel.h"
#include "tools/zonectl/cli.h"
#include "tools/zonectl/session_audit.h"
#include "tools/zonectl/session_term.h"
#include "tools/zonectl/zonectl_util.h"

#define CONNECT_SECS 60 /* a zone's boot, until its agent listens */
#define RETRY_NS     (200 * 1000 * 1000)

static const char usage_exec[] =
	"usage: zonectl exec [OPTIONS] NAME [--] COMMAND [ARG...]\n"
	"\n"
	"Runs COMMAND in running zone NAME beside what it runs, through the zone's\n"
	"agent (zv-agent) over vsock.  Its stdout and stderr come to zonectl's;\n"
	"zonectl exits with its exit status (128+N when signal N killed it).\n"
	"\n"
	"Options:\n"
	"  -i, --interactive   send zonectl's stdin to the command (else it reads\n"
	"                      /dev/null); the end of stdin closes the command's\n"
	"  -t, --tty           run it on a new terminal of the caller's window size\n"
	"                      (24x80 when stdin is no terminal); with -i the caller's\n"
	"                      terminal is in raw mode until the command ends, and\n"
	"                      Ctrl-P Ctrl-Q detaches (the command then gets SIGHUP)\n"
	"  -e, --env K=V       set environment variable K (repeatable)\n"
	"  -w, --workdir DIR   its working directory (default: /workspace if the zone\n"
	"                      has one, else /)\n"
	"  -u, --user USER     NAME, UID or UID:GID in the zone (default root)\n"
	"  -h, --help          this help\n"
	"\n"
	"Unless the terminal is raw, SIGINT (Ctrl-C) and SIGTERM go to the command.\n"
	"\n"
	"Exit status: the command's; 125 when the session could not start (no such\n"
	"zone, not running, no session device, its agent did not answer within 60 s)\n"
	"or the agent broke the protocol; 126 when the agent refused the request (its\n"
	"message is printed); 137 when the session ended without an exit status.\n";

static const char usage_attach[] =
	"usage: zonectl attach NAME\n"
	"\n"
	"Makes the caller's terminal the terminal of zone NAME's main command again\n"
	"(one started with zonectl run -it, then detached with Ctrl-P Ctrl-Q or -d):\n"
	"stdin goes to it, its output comes back, the window size follows the\n"
	"caller's.  Ctrl-P Ctrl-Q detaches again (the command keeps running).\n"
	"\n"
	"Exit status: the command's when it ends; 0 after a detach; 125, 126 and 137\n"
	"as for zonectl exec.\n";

/* ---- options -------------------------------------------------------------- */

static int valid_name(const char *s, size_t n, size_t max)
{
	if (n == 0 || n > max ||
	    !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

static int add_secret(struct zs_opts *o, const char *name, size_t nlen, const void *value,
		      size_t vlen)
{
	struct zs_secret *s = realloc(o->secrets, (size_t)(o->nsecrets + 1) * sizeof(*s));
	char *text = malloc(nlen + 1 + vlen);

	if (s)
		o->secrets = s;
	if (!s || !text) {
		free(text);
		return -1;
	}
	memcpy(text, name, nlen);
	text[nlen] = '=';
	memcpy(text + nlen + 1, value, vlen);
	o->secrets[o->nsecrets].text = text;
	o->secrets[o->nsecrets++].len = nlen + 1 + vlen;
	return 0;
}

/* --secret-file NAME=PATH: PATH's bytes, at most ZS_SECRET_MAX. */
static const char *secret_file(struct zs_opts *o, const char *name, size_t nlen, const char *path)
{
	static char why[512];
	static uint8_t buf[ZS_SECRET_MAX + 1];
	size_t got = 0;
	ssize_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(why, sizeof(why), "--secret-file %.*s: %s: %s", (int)nlen, name, path,
			 strerror(errno));
		return why;
	}
	while (got < sizeof(buf) && (n = read(fd, buf + got, sizeof(buf) - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (n < 0 || got > ZS_SECRET_MAX) {
		explicit_bzero(buf, sizeof(buf));
		snprintf(why, sizeof(why), "--secret-file %.*s: %s: %s", (int)nlen, name, path,
			 n < 0 ? strerror(errno) : "longer than 65536 bytes");
		return why;
	}
	n = add_secret(o, name, nlen, buf, got);
	explicit_bzero(buf, sizeof(buf));
	return n ? "out of memory" : NULL;
}

/* --secret NAME (from zonectl's environment) or NAME=VALUE. */
static const char *secret(struct zs_opts *o, int c, char *arg)
{
	static char why[256];
	char *eq = strchr(arg, '=');
	size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
	const char *value;

	if (!valid_name(arg, nlen, ZS_SECRET_NAME_MAX)) {
		snprintf(why, sizeof(why),
			 "%s: a secret's name is [A-Za-z_][A-Za-z0-9_]*, "
			 "1..64 characters",
			 c == ZS_OPT_SECRET ? "--secret" : "--secret-file");
		return why;
	}
	if (c == ZS_OPT_SECRET_FILE) {
		if (!eq || !eq[1])
			return "--secret-file needs NAME=PATH";
		return secret_file(o, arg, nlen, eq + 1);
	}
	value = eq ? eq + 1 : getenv(arg);
	if (!value) {
		snprintf(why, sizeof(why),
			 "--secret %.64s: no such variable in zonectl's environment", arg);
		return why;
	}
	if (strlen(value) > ZS_SECRET_MAX)
		return "--secret: a value longer than 65536 bytes";
	if (add_secret(o, arg, nlen, value, strlen(value)) != 0)
		return "out of memory";
	if (eq) /* out of /proc/PID/cmdline from now on */
		explicit_bzero(eq + 1, strlen(eq + 1));
	return NULL;
}

const char *zs_parse_opt(struct zs_opts *o, int c, char *arg)
{
	char **env;
	char *eq;

	switch (c) {
	case 'i': o->interactive = 1; return NULL;
	case 't': o->tty = 1; return NULL;
	case 'e':
		eq = strchr(arg, '=');
		if (!eq || !valid_name(arg, (size_t)(eq - arg), 4096))
			return "-e needs KEY=VALUE, KEY of [A-Za-z_][A-Za-z0-9_]*";
		env = realloc(o->env, (size_t)(o->nenv + 1) * sizeof(*env));
		if (!env)
			return "out of memory";
		o->env = env;
		o->env[o->nenv++] = arg;
		return NULL;
	case 'w':
		if (!arg[0])
			return "-w needs a directory";
		o->cwd = arg;
		return NULL;
	case 'u':
		if (!arg[0])
			return "-u needs a user";
		o->user = arg;
		return NULL;
	case ZS_OPT_SECRET:
	case ZS_OPT_SECRET_FILE: return secret(o, c, arg);
	}
	return "unknown option";
}

int zs_opts_any(const struct zs_opts *o)
{
	return o->interactive || o->tty || o->nenv || o->cwd || o->user || o->nsecrets;
}

/* ---- connecting --------------------------------------------------------------- */

/* Zone NAME from ps, or NULL. */
static const struct zctl_zone *find_zone(const char *name)
{
	uint32_t count;
	const struct zctl_zone *z = zc_fetch_zones(&count);

	for (uint32_t i = 0; i < count; i++)
		if (strcmp(z[i].name, name) == 0)
			return &z[i];
	return NULL;
}

static int try_connect(uint32_t cid)
{
	struct sockaddr_vm a;
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.svm_family = AF_VSOCK;
	a.svm_cid = cid;
	a.svm_port = ZS_AGENT_PORT;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
		return fd;
	{
		int e = errno;
		close(fd);
		errno = e;
	}
	return -1;
}

int zs_connect(const char *name, int *gone)
{
	time_t deadline = time(NULL) + CONNECT_SECS;
	struct timespec nap = {0, RETRY_NS};

	*gone = 0;
	for (;;) {
		const struct zctl_zone *z = find_zone(name);
		int fd;

		if (!z || z->state != ZCTL_STATE_RUNNING) {
			fprintf(stderr, "zonectl: zone %s %s\n", name,
				z ? "is not running" : "does not exist");
			*gone = 1;
			return -1;
		}
		if (z->cid == 0) {
			fprintf(stderr, "zonectl: zone %s has no session device (cid 0)\n", name);
			return -1;
		}
		fd = try_connect(z->cid);
		if (fd >= 0)
			return fd;
		if (errno != ECONNRESET && errno != ECONNREFUSED && errno != ETIMEDOUT) {
			fprintf(stderr,
				"zonectl: zone %s: connecting to vsock cid %u port %d: %s\n", name,
				z->cid, ZS_AGENT_PORT, strerror(errno));
			return -1;
		}
		if (time(NULL) >= deadline) {
			fprintf(stderr, "zonectl: zone %s: its agent did not answer within %d s\n",
				name, CONNECT_SECS);
			return -1;
		}
		nanosleep(&nap, NULL);
	}
}

/* ---- the request and the stream ------------------------------------------------ */

int zs_build(struct zs_req *r, const char *op, struct zs_opts *o, char **words, int n)
{
	uint16_t rows, cols;

	memset(r, 0, sizeof(*r));
	zs_words_text(o->audit_text, sizeof(o->audit_text), words, n);
	if (!n && strcmp(op, "run") == 0)
		snprintf(o->audit_text, sizeof(o->audit_text), "(login shell)");
	zs_req_add_str(r, ZS_T_OP, op);
	for (int i = 0; i < n; i++)
		zs_req_add_str(r, ZS_T_ARG, words[i]);
	for (int i = 0; i < o->nenv; i++)
		zs_req_add_str(r, ZS_T_ENV, o->env[i]);
	for (int i = 0; i < o->nsecrets; i++) {
		zs_req_add(r, ZS_T_SECRET, o->secrets[i].text, o->secrets[i].len);
		explicit_bzero(o->secrets[i].text, o->secrets[i].len);
		free(o->secrets[i].text);
	}
	free(o->secrets);
	o->secrets = NULL;
	o->nsecrets = 0;
	if (o->cwd)
		zs_req_add_str(r, ZS_T_CWD, o->cwd);
	if (o->user)
		zs_req_add_str(r, ZS_T_USER, o->user);
	if (o->tty) {
		zs_winsize(0, &rows, &cols);
		zs_req_add_size(r, ZS_T_TTY, rows, cols);
	}
	if (o->interactive)
		zs_req_add(r, ZS_T_STDIN, NULL, 0);
	return zs_req_finish(r);
}

struct zs_result zs_stream(const char *zone, int fd, const struct zs_req *req,
			   const struct zs_opts *o, int until_started, const char *op)
{
	int attach = strcmp(op, "attach") == 0;
	struct zs_io io = {
		.zone = zone,
		.in_fd = o->interactive ? 0 : -1,
		.out_fd = 1,
		.err_fd = 2,
		.tty = o->tty && !attach, /* attach: the main command's terminal, or none */
		.detach_keys = o->tty && o->interactive,
		.signal_fd = -1,
		.size_fd = 0,
		.until_started = until_started,
	};
	struct zs_result r;

	int raw = 0, winch = o->tty && isatty(0);

	/* Raw: keys go to the zone as bytes, Ctrl-C included, and SIGTERM and
	 * SIGHUP restore the terminal and end zonectl.  Otherwise SIGINT and
	 * SIGTERM go to the command (ZS_SIGNAL), as docker's sig-proxy does. */
	if (!until_started) {
		raw = winch && o->interactive && zs_term_raw(0) == 0;
		io.signal_fd = zs_signal_fd(winch, !raw);
	}
	zs_audit_start(zone, op, o->audit_text);
	r = zs_session(fd, req, &io);
	zs_term_restore();
	if (r.end != ZS_END_STARTED) /* run -d: the command goes on without us */
		zs_audit_end(zone, op, o->audit_text, r);
	if (io.signal_fd >= 0)
		zs_signal_restore();
	if (r.end == ZS_END_DETACHED && strcmp(op, "exec") != 0)
		fprintf(stderr, "zonectl: detached from %s (zonectl attach %s)\n", zone, zone);
	else if (r.end == ZS_END_DETACHED)
		fprintf(stderr, "zonectl: detached from %s (the exec'd command gets SIGHUP)\n",
			zone);
	else if (r.end == ZS_END_CLOSED)
		fprintf(stderr, "zonectl: zone %s: the session ended without an exit status\n",
			zone);
	return r;
}

/* ---- exec, attach ------------------------------------------------------------- */

static const struct option session_longs[] = {
	{"interactive", no_argument, NULL, 'i'},
	{"tty", no_argument, NULL, 't'},
	{"env", required_argument, NULL, 'e'},
	{"workdir", required_argument, NULL, 'w'},
	{"user", required_argument, NULL, 'u'},
	{"help", no_argument, NULL, 'h'},
	{0, 0, 0, 0},
};

/* Status of a session that ended R (the channel is open). */
static int session_status(struct zs_result r)
{
	return r.end == ZS_END_CLOSED ? 137 : zs_exit_status(r);
}

static const char *zone_operand(const char *cmd, int argc, char **argv)
{
	const char *why;

	if (optind >= argc)
		usage_error(cmd, "which zone? (zonectl %s NAME)", cmd);
	why = zc_name_error(argv[optind]);
	if (why)
		usage_error(cmd, "'%s': %s", argv[optind], why);
	return argv[optind++];
}

int cmd_exec(int argc, char **argv)
{
	struct zs_opts o;
	struct zs_req req;
	struct zs_result r;
	const char *name, *why;
	int c, fd, gone;

	memset(&o, 0, sizeof(o));
	while ((c = next_option("exec", argc, argv, "+:ite:w:u:h", session_longs)) != -1) {
		if (c == 'h')
			usage_exit(usage_exec, 0);
		why = zs_parse_opt(&o, c, optarg);
		if (why)
			usage_error("exec", "%s", why);
	}
	name = zone_operand("exec", argc, argv);
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	if (optind >= argc)
		usage_error("exec", "which command? (zonectl exec NAME -- COMMAND...)");
	if (zs_build(&req, "exec", &o, argv + optind, argc - optind) != 0)
		usage_error("exec", "the command and its environment are too long for one request");
	channel_open();
	fd = zs_connect(name, &gone);
	if (fd < 0)
		return ZS_EXIT_START;
	r = zs_stream(name, fd, &req, &o, 0, "exec");
	close(fd);
	zs_req_free(&req);
	return session_status(r);
}

int cmd_attach(int argc, char **argv)
{
	static const struct option longs[] = {
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	struct zs_opts o = {.interactive = 1, .tty = 1};
	struct zs_req req;
	struct zs_result r;
	const char *name;
	int fd, gone;

	while (next_option("attach", argc, argv, "+:h", longs) != -1)
		usage_exit(usage_attach, 0);
	name = zone_operand("attach", argc, argv);
	if (optind < argc)
		usage_error("attach", "one zone name only (got '%s' too)", argv[optind]);
	if (zs_build(&req, "attach", &o, NULL, 0) != 0)
		usage_error("attach", "out of memory");
	channel_open();
	fd = zs_connect(name, &gone);
	if (fd < 0)
		return ZS_EXIT_START;
	r = zs_stream(name, fd, &req, &o, 0, "attach");
	close(fd);
	zs_req_free(&req);
	return session_status(r);
}
