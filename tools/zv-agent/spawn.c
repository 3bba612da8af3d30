/* zv-agent: starting a session's command in a child chrooted to the zone's
 * root: its user, secrets, environment, working directory, and a terminal or
 * pipes.  The child reports a failure before exec on a close-on-exec pipe, so
 * the client gets ZS_ERROR with the reason instead of a bare status. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "tools/zv-agent/agent.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Descriptors the child's stdin, stdout and stderr become. */
struct stdio_fds {
	int child[3];  /* the child's ends */
	int parent[3]; /* ours: stdin write end, stdout and stderr read ends, or -1 */
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void stdio_close(struct stdio_fds *f)
{
	for (int i = 0; i < 3; i++) {
		close_fd(&f->child[i]);
		close_fd(&f->parent[i]);
	}
}

/* A PTY of the requested size: the master is ours (stdin and stdout), the
 * slave the child's three descriptors. */
static int open_tty(const struct zsa_req *r, struct stdio_fds *f, char *err)
{
	struct winsize ws = {.ws_row = r->rows, .ws_col = r->cols};
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), s = -1;

	if (m >= 0 && unlockpt(m) == 0)
		s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0 || ioctl(s, TIOCSWINSZ, &ws) < 0) {
		snprintf(err, ZSA_ERR_MAX, "terminal: %s", strerror(errno));
		if (m >= 0)
			close(m);
		if (s >= 0)
			close(s);
		return -1;
	}
	f->parent[0] = m;
	f->parent[1] = dup(m);
	f->child[0] = s;
	f->child[1] = dup(s);
	f->child[2] = dup(s);
	return 0;
}

static int open_pipes(const struct zsa_req *r, struct stdio_fds *f, char *err)
{
	int p[2];

	if (r->want_stdin) {
		if (pipe2(p, O_CLOEXEC) < 0)
			goto fail;
		f->child[0] = p[0];
		f->parent[0] = p[1];
	} else {
		f->child[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (f->child[0] < 0)
			goto fail;
	}
	for (int i = 1; i < 3; i++) {
		if (pipe2(p, O_CLOEXEC) < 0)
			goto fail;
		f->parent[i] = p[0];
		f->child[i] = p[1];
	}
	return 0;
fail:
	snprintf(err, ZSA_ERR_MAX, "pipes: %s", strerror(errno));
	return -1;
}

/* Sets KEY=VALUE in env (n entries, room for max), replacing the same key. */
static void env_set(char **env, size_t *n, size_t max, char *kv)
{
	size_t klen = strcspn(kv, "=");

	for (size_t i = 0; i < *n; i++) {
		if (strncmp(env[i], kv, klen) == 0 && env[i][klen] == '=') {
			env[i] = kv;
			return;
		}
	}
	if (*n < max)
		env[(*n)++] = kv;
}

/* The child's environment: defaults, the request's, then its secrets. */
static char **child_env(const struct zsa_req *r, const struct zsa_user *u)
{
	size_t max = 3 + r->envc + r->nsecrets, n = 0;
	char **env = calloc(max + 1, sizeof(char *));
	static char home[300];

	if (!env)
		return NULL;
	snprintf(home, sizeof(home), "HOME=%s", u->home);
	env_set(env, &n, max, home);
	env_set(env, &n, max, "PATH=" DEFAULT_PATH);
	env_set(env, &n, max, "TERM=xterm");
	for (size_t i = 0; i < r->envc; i++)
		env_set(env, &n, max, r->env[i]);
	for (size_t i = 0; i < r->nsecrets; i++)
		env_set(env, &n, max, r->secrets[i]);
	env[n] = NULL;
	return env;
}

/* The working directory: the request's, else /workspace if it exists, else /. */
static const char *child_cwd(const struct zsa_req *r)
{
	struct stat st;

	if (r->cwd)
		return r->cwd;
	return stat("/workspace", &st) == 0 && S_ISDIR(st.st_mode) ? "/workspace" : "/";
}

static int drop_to(const struct zsa_user *u, char *err)
{
	if (setgroups((size_t)u->ngroups, u->groups) < 0 || setgid(u->gid) < 0 ||
	    setuid(u->uid) < 0) {
		snprintf(err, ZSA_ERR_MAX, "user %u:%u: %s", u->uid, u->gid, strerror(errno));
		return -1;
	}
	return 0;
}

/* The login shell for op run without argv: the root's bash, else its sh. */
static void default_argv(const char **argv)
{
	argv[0] = access("/bin/bash", X_OK) == 0 ? "/bin/bash" : "/bin/sh";
	argv[1] = "-l";
	argv[2] = NULL;
}

/* In the child, after chroot: everything that needs the root's files, then exec. */
static void child_exec(const struct zsa_req *r, char *err)
{
	struct zsa_user u;
	const char *shell[3], *cwd;
	char **argv = r->argv, **env;

	if (zsa_user_lookup(r->user, &u, err) < 0 || zsa_secrets_write(r, &u, err) < 0 ||
	    drop_to(&u, err) < 0)
		return;
	cwd = child_cwd(r);
	if (chdir(cwd) < 0) {
		snprintf(err, ZSA_ERR_MAX, "cwd %.128s: %s", cwd, strerror(errno));
		return;
	}
	env = child_env(r, &u);
	if (!env) {
		snprintf(err, ZSA_ERR_MAX, "out of memory");
		return;
	}
	if (!argv) {
		default_argv(shell);
		argv = (char **)shell;
	}
	/* execvp searches the PATH of environ: the command's, not ours. */
	environ = env;
	execvp(argv[0], argv);
	snprintf(err, ZSA_ERR_MAX, "%.128s: %s", argv[0], strerror(errno));
}

static void child_stdio(const struct zsa_req *r, struct stdio_fds *f)
{
	setsid();
	if (r->tty)
		ioctl(f->child[0], TIOCSCTTY, 0);
	for (int i = 0; i < 3; i++)
		dup2(f->child[i], i); /* dup2 clears close-on-exec on 0..2 */
	for (int i = 0; i < 3; i++) {
		if (f->child[i] > 2)
			close(f->child[i]);
		if (f->parent[i] > 2)
			close(f->parent[i]);
	}
}

/* The child: never returns. */
static void child(const struct zsa_req *r, const char *root, zsa_internal_fn fn,
		  struct stdio_fds *f, int report)
{
	char err[ZSA_ERR_MAX] = "";
	int status;

	signal(SIGPIPE, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	child_stdio(r, f);
	if (chroot(root) < 0 || chdir("/") < 0) {
		snprintf(err, sizeof(err), "chroot %.128s: %s", root, strerror(errno));
	} else if (fn) {
		close(report); /* started */
		status = fn(r);
		_exit(status);
	} else {
		child_exec(r, err);
	}
	if (write(report, err, strlen(err)) < 0)
		_exit(126);
	_exit(127);
}

/* Reads the child's report: empty (it exec'ed or started fn) or its error. */
static int read_report(int fd, pid_t pid, char *err)
{
	ssize_t n, got = 0;

	while ((n = read(fd, err + got, ZSA_ERR_MAX - 1 - (size_t)got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (got += n) >= ZSA_ERR_MAX - 1)
			break;
	}
	close(fd);
	if (got <= 0)
		return 0;
	err[got] = 0;
	waitpid(pid, NULL, 0);
	return -1;
}

int zsa_spawn(const struct zsa_req *r, const char *root, zsa_internal_fn fn, struct zsa_spawn *s,
	      char *err)
{
	struct stdio_fds f = {{-1, -1, -1}, {-1, -1, -1}};
	int report[2];

	if ((r->tty ? open_tty(r, &f, err) : open_pipes(r, &f, err)) < 0) {
		stdio_close(&f);
		return -1;
	}
	if (pipe2(report, O_CLOEXEC) < 0) {
		snprintf(err, ZSA_ERR_MAX, "pipe: %s", strerror(errno));
		stdio_close(&f);
		return -1;
	}
	s->pid = fork();
	if (s->pid == 0) {
		close(report[0]);
		child(r, root, fn, &f, report[1]);
	}
	close(report[1]);
	for (int i = 0; i < 3; i++)
		close_fd(&f.child[i]);
	if (s->pid < 0 || read_report(report[0], s->pid, err) < 0) {
		if (s->pid < 0) {
			snprintf(err, ZSA_ERR_MAX, "fork: %s", strerror(errno));
			close(report[0]);
		}
		stdio_close(&f);
		return -1;
	}
	s->in = f.parent[0];
	s->out = f.parent[1];
	s->err = f.parent[2];
	s->tty = r->tty;
	return 0;
}
