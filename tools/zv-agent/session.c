/* zv-agent: the poll loop that serves every session at once.  One process,
 * non-blocking sockets: a client that stops reading stalls only its own
 * command's output (we stop reading that command), never another session or
 * the main command's console output when no one is attached. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "tools/zv-agent/agent.h"

#define MAX_CONNS     64
#define OUT_LIMIT     (256 * 1024) /* a client's unsent bytes before we stop reading its command */
#define DRAIN_MS      300	   /* output still read after the command exited (its children) */
#define MAIN_FLUSH_MS 2000	   /* to hand the main command's ZS_EXIT to its client */

struct conn;

struct proc {
	int used;
	struct zsa_spawn sp;
	int pidfd;
	int exited, code;
	long long exit_ms;
	int is_main, is_stat, hup_on_detach;
	struct conn *client;
	uint8_t *inbuf; /* a ZS_STDIN payload not yet written to the command */
	size_t inlen, inoff;
	int in_eof; /* ZS_STDIN_EOF seen: close stdin once inbuf is written */
};

struct conn {
	int fd; /* -1: unused slot */
	struct zsa_req req;
	struct zsa_rx *rx;
	struct proc *proc;
	int closing; /* close once ob is sent */
	uint8_t *ob;
	size_t olen, ocap;
};

struct agent {
	const struct zsa_agent *a;
	struct conn conns[MAX_CONNS];
	struct proc procs[MAX_CONNS + 1];
	struct proc *main;
	int main_started, main_done, main_code;
	long long main_done_ms;
};

int zsa_exit_code(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return 255;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_nonblock(int fd)
{
	if (fd >= 0)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void proc_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ---- output to a client ---------------------------------------------------- */

static void conn_queue(struct conn *c, uint8_t type, const void *p, size_t n)
{
	struct zs_frame h;
	size_t need = c->olen + sizeof(h) + n;

	if (c->closing)
		return;
	if (need > c->ocap) {
		size_t cap = need * 2;
		uint8_t *nb = realloc(c->ob, cap);
		if (!nb) {
			c->closing = 1; /* cannot send: give up on this client */
			return;
		}
		c->ob = nb;
		c->ocap = cap;
	}
	zsa_frame_hdr(&h, type, (uint32_t)n);
	memcpy(c->ob + c->olen, &h, sizeof(h));
	if (n)
		memcpy(c->ob + c->olen + sizeof(h), p, n);
	c->olen = need;
}

/* Sends ZS_ERROR and ends the session once it is out.  The message may quote
 * the client's own strings (a user, a path): printable ASCII only, as the
 * protocol promises zonectl. */
static void conn_fail(struct conn *c, const char *msg)
{
	char clean[ZSA_ERR_MAX];
	size_t n = strnlen(msg, ZSA_ERR_MAX - 1);

	for (size_t i = 0; i < n; i++)
		clean[i] = msg[i] >= 0x20 && msg[i] < 0x7f ? msg[i] : '?';
	conn_queue(c, ZS_ERROR, clean, n);
	c->closing = 1;
}

/* ---- processes --------------------------------------------------------------- */

static void proc_detach(struct proc *p)
{
	p->client = NULL;
	free(p->inbuf);
	p->inbuf = NULL;
	p->inlen = p->inoff = 0;
	/* exec and cp: the session is over, as a terminal hangup would say. */
	if (p->hup_on_detach && !p->exited)
		kill(-p->sp.pid, SIGHUP);
}

static void proc_free(struct proc *p)
{
	proc_close_fd(&p->sp.in);
	proc_close_fd(&p->sp.out);
	proc_close_fd(&p->sp.err);
	proc_close_fd(&p->pidfd);
	free(p->inbuf);
	memset(p, 0, sizeof(*p));
}

static void proc_reap(struct proc *p)
{
	int st;

	if (p->exited || waitpid(p->sp.pid, &st, WNOHANG) != p->sp.pid)
		return;
	p->exited = 1;
	p->code = zsa_exit_code(st);
	p->exit_ms = now_ms();
}

/* The command is over once it exited and its output ended (or DRAIN_MS passed:
 * a background child may hold the pipes open forever). */
static int proc_over(const struct proc *p)
{
	return p->exited && ((p->sp.out < 0 && p->sp.err < 0) || now_ms() - p->exit_ms >= DRAIN_MS);
}

static void proc_finish(struct agent *ag, struct proc *p)
{
	struct conn *c = p->client;
	uint8_t kind = (uint8_t)p->code;
	int32_t code = p->code;

	if (c) {
		if (p->is_stat)
			conn_queue(c, ZS_STAT, &kind, 1);
		else
			conn_queue(c, ZS_EXIT, &code, sizeof(code));
		c->closing = 1;
		c->proc = NULL;
	}
	if (p->is_main) {
		ag->main_done = 1;
		ag->main_code = p->code;
		ag->main_done_ms = now_ms();
		ag->main = NULL;
	}
	proc_free(p);
}

static void console_write(struct agent *ag, const uint8_t *b, size_t n)
{
	while (n > 0 && ag->a->console_fd >= 0) {
		ssize_t w = write(ag->a->console_fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		b += w;
		n -= (size_t)w;
	}
}

/* Reads one chunk of the command's stdout (which 1) or stderr (2). */
static void proc_output(struct agent *ag, struct proc *p, int which)
{
	static uint8_t buf[ZS_FRAME_MAX];
	int *fd = which == 1 ? &p->sp.out : &p->sp.err;
	ssize_t n = read(*fd, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) { /* EOF, or EIO: a PTY whose every slave is closed */
		proc_close_fd(fd);
		if (p->sp.tty)
			proc_close_fd(&p->sp.in); /* the same terminal */
		return;
	}
	if (p->is_main)
		console_write(ag, buf, (size_t)n);
	if (p->client && !p->is_stat)
		conn_queue(p->client, which == 1 ? ZS_STDOUT : ZS_STDERR, buf, (size_t)n);
}

/* Stdin is over: close the pipe, or type the terminal's end-of-file character. */
static void proc_stdin_eof(struct proc *p)
{
	struct termios t;
	char eof = 4;

	if (!p->sp.tty) {
		proc_close_fd(&p->sp.in);
		return;
	}
	if (p->sp.in >= 0 && tcgetattr(p->sp.in, &t) == 0 && t.c_cc[VEOF])
		eof = (char)t.c_cc[VEOF];
	if (p->sp.in >= 0 && write(p->sp.in, &eof, 1) < 0)
		return;
}

static void proc_input(struct proc *p)
{
	ssize_t w = write(p->sp.in, p->inbuf + p->inoff, p->inlen - p->inoff);

	if (w < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (w < 0) /* the command closed its stdin: what is left is dropped */
		p->inoff = p->inlen;
	else
		p->inoff += (size_t)w;
	if (p->inoff < p->inlen)
		return;
	free(p->inbuf);
	p->inbuf = NULL;
	p->inlen = p->inoff = 0;
	if (p->in_eof)
		proc_stdin_eof(p);
}

/* ---- frames from a running session ----------------------------------------------- */

static void frame_stdin(struct proc *p, const struct zsa_rx *rx)
{
	if (p->sp.in < 0 || p->in_eof || rx->len == 0)
		return;
	p->inbuf = malloc(rx->len);
	if (!p->inbuf)
		return;
	memcpy(p->inbuf, rx->payload, rx->len);
	p->inlen = rx->len;
	p->inoff = 0;
}

static int frame_signal(struct proc *p, const uint8_t *b, char *err)
{
	uint32_t sig = (uint32_t)(b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24);
	pid_t pg = -1;

	if (sig < 1 || sig > 31) {
		snprintf(err, ZSA_ERR_MAX, "signal %u is not 1..31", sig);
		return -1;
	}
	/* On a terminal the foreground job may be a group the shell made. */
	if (p->sp.tty && p->sp.in >= 0)
		pg = tcgetpgrp(p->sp.in);
	if (pg <= 0)
		pg = p->sp.pid;
	kill(-pg, (int)sig);
	return 0;
}

static int conn_running_frame(struct conn *c, char *err)
{
	struct proc *p = c->proc;
	const struct zsa_rx *rx = c->rx;
	struct winsize ws = {0};

	if (zsa_check_running_frame(&c->req, rx->type, rx->len, err) < 0)
		return -1;
	switch (rx->type) {
	case ZS_STDIN: frame_stdin(p, rx); break;
	case ZS_STDIN_EOF:
		p->in_eof = 1;
		if (!p->inbuf)
			proc_stdin_eof(p);
		break;
	case ZS_RESIZE:
		ws.ws_row = (uint16_t)(rx->payload[0] | rx->payload[1] << 8);
		ws.ws_col = (uint16_t)(rx->payload[2] | rx->payload[3] << 8);
		if (p->sp.tty && p->sp.in >= 0)
			ioctl(p->sp.in, TIOCSWINSZ, &ws); /* the kernel sends SIGWINCH */
		break;
	case ZS_SIGNAL: return frame_signal(p, rx->payload, err);
	}
	return 0;
}

/* ---- starting a request ------------------------------------------------------------- */

static struct proc *proc_alloc(struct agent *ag)
{
	for (size_t i = 0; i < sizeof(ag->procs) / sizeof(ag->procs[0]); i++) {
		if (!ag->procs[i].used) {
			memset(&ag->procs[i], 0, sizeof(ag->procs[i]));
			ag->procs[i].used = 1;
			ag->procs[i].pidfd = -1;
			return &ag->procs[i];
		}
	}
	return NULL;
}

static int start_proc(struct agent *ag, struct conn *c, zsa_internal_fn fn, char *err)
{
	struct proc *p = proc_alloc(ag);

	if (!p) {
		snprintf(err, ZSA_ERR_MAX, "too many sessions");
		return -1;
	}
	if (zsa_spawn(&c->req, ag->a->root, fn, &p->sp, err) < 0) {
		p->used = 0;
		return -1;
	}
	p->pidfd = (int)syscall(SYS_pidfd_open, p->sp.pid, 0);
	set_nonblock(p->sp.in);
	set_nonblock(p->sp.out);
	set_nonblock(p->sp.err);
	p->client = c;
	c->proc = p;
	p->is_stat = c->req.op == ZSA_OP_STAT;
	p->is_main = c->req.op == ZSA_OP_RUN;
	p->hup_on_detach = !p->is_main;
	return 0;
}

static int start_attach(struct agent *ag, struct conn *c, char *err)
{
	struct proc *p = ag->main;
	struct winsize ws = {.ws_row = c->req.rows, .ws_col = c->req.cols};

	if (!p) {
		snprintf(err, ZSA_ERR_MAX, "no main command to attach to (not in session mode)");
		return -1;
	}
	if (p->client) {
		snprintf(err, ZSA_ERR_MAX, "another client is attached");
		return -1;
	}
	if (c->req.tty && p->sp.tty && p->sp.in >= 0)
		ioctl(p->sp.in, TIOCSWINSZ, &ws);
	p->client = c;
	c->proc = p;
	return 0;
}

static int start_request(struct agent *ag, struct conn *c, char *err)
{
	int rc;

	switch (c->req.op) {
	case ZSA_OP_RUN:
		if (!ag->a->main_mode || ag->main_started) {
			snprintf(err, ZSA_ERR_MAX,
				 ag->a->main_mode ? "the main command already started (attach)"
						  : "op run needs session mode (zv_session=1)");
			return -1;
		}
		rc = start_proc(ag, c, NULL, err);
		/* The secrets are in the child now: not one copy more here. */
		for (size_t i = 0; i < c->req.nsecrets; i++)
			explicit_bzero(c->req.secrets[i], strlen(c->req.secrets[i]));
		if (rc == 0) {
			ag->main = c->proc;
			ag->main_started = 1;
		}
		return rc;
	case ZSA_OP_ATTACH: return start_attach(ag, c, err);
	case ZSA_OP_EXEC: return start_proc(ag, c, NULL, err);
	case ZSA_OP_CP_IN:
		c->req.want_stdin = 1; /* the tar stream */
	/* fallthrough */
	default: return start_proc(ag, c, zsa_cp_fn(&c->req), err);
	}
}

static void conn_request_frame(struct agent *ag, struct conn *c)
{
	char err[ZSA_ERR_MAX];
	int rc = zsa_req_frame(&c->req, c->rx->type, c->rx->payload, c->rx->len, err);

	explicit_bzero(c->rx->payload, c->rx->len); /* it may have held a secret */
	if (rc == 0)
		return;
	if (rc < 0 || start_request(ag, c, err) < 0) {
		conn_fail(c, err);
		return;
	}
	if (c->req.op != ZSA_OP_STAT)
		conn_queue(c, ZS_STARTED, NULL, 0);
}

/* ---- connections ------------------------------------------------------------------- */

static void conn_drop(struct conn *c)
{
	if (c->proc)
		proc_detach(c->proc);
	proc_close_fd(&c->fd);
	zsa_req_free(&c->req);
	if (c->rx)
		explicit_bzero(c->rx, sizeof(*c->rx));
	free(c->rx);
	free(c->ob);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static void conn_add(struct agent *ag, int fd)
{
	for (int i = 0; i < MAX_CONNS; i++) {
		struct conn *c = &ag->conns[i];
		if (c->fd >= 0)
			continue;
		c->rx = calloc(1, sizeof(*c->rx));
		if (!c->rx)
			break;
		zsa_req_init(&c->req);
		c->fd = fd;
		set_nonblock(fd);
		return;
	}
	close(fd); /* full: the client sees the connection close */
}

static void conn_readable(struct agent *ag, struct conn *c)
{
	char err[ZSA_ERR_MAX];
	int rc = zsa_rx_read(c->rx, c->fd, err);

	if (rc < 0 && rc != -2) {
		conn_drop(c);
		return;
	}
	if (rc == -2) {
		conn_fail(c, err);
	} else if (rc == 1 && !c->req.done) {
		conn_request_frame(ag, c);
	} else if (rc == 1 && c->proc) {
		if (conn_running_frame(c, err) < 0)
			conn_fail(c, err);
	}
	if (c->closing && c->proc) {
		proc_detach(c->proc);
		c->proc = NULL;
	}
}

static void conn_writable(struct conn *c)
{
	ssize_t w = send(c->fd, c->ob, c->olen, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (w < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (w <= 0) {
		conn_drop(c);
		return;
	}
	memmove(c->ob, c->ob + w, c->olen - (size_t)w);
	c->olen -= (size_t)w;
	if (c->olen == 0 && c->closing)
		conn_drop(c);
}

/* ---- the loop ------------------------------------------------------------------------ */

enum what { W_LISTEN, W_CONN_IN, W_CONN_OUT, W_OUT, W_ERR, W_IN, W_PIDFD };

struct pollset {
	struct pollfd fds[1 + MAX_CONNS * 2 + (MAX_CONNS + 1) * 4];
	enum what what[1 + MAX_CONNS * 2 + (MAX_CONNS + 1) * 4];
	void *obj[1 + MAX_CONNS * 2 + (MAX_CONNS + 1) * 4];
	int n;
};

static void ps_add(struct pollset *ps, int fd, short ev, enum what w, void *obj)
{
	ps->fds[ps->n] = (struct pollfd){.fd = fd, .events = ev};
	ps->what[ps->n] = w;
	ps->obj[ps->n++] = obj;
}

static void ps_proc(struct pollset *ps, struct proc *p)
{
	int stalled = p->client && p->client->olen >= OUT_LIMIT;

	if (p->sp.out >= 0 && !stalled)
		ps_add(ps, p->sp.out, POLLIN, W_OUT, p);
	if (p->sp.err >= 0 && !stalled)
		ps_add(ps, p->sp.err, POLLIN, W_ERR, p);
	if (p->sp.in >= 0 && p->inbuf)
		ps_add(ps, p->sp.in, POLLOUT, W_IN, p);
	if (p->pidfd >= 0 && !p->exited)
		ps_add(ps, p->pidfd, POLLIN, W_PIDFD, p);
}

/* Builds the poll set; returns the poll timeout. */
static int ps_build(struct agent *ag, struct pollset *ps)
{
	int timeout = -1, n = 0;

	ps->n = 0;
	for (int i = 0; i < MAX_CONNS; i++) {
		struct conn *c = &ag->conns[i];
		if (c->fd < 0)
			continue;
		n++;
		if (!c->closing && !(c->proc && c->proc->inbuf))
			ps_add(ps, c->fd, POLLIN, W_CONN_IN, c);
		if (c->olen)
			ps_add(ps, c->fd, POLLOUT, W_CONN_OUT, c);
	}
	if (ag->a->listen_fd >= 0 && n < MAX_CONNS && !ag->main_done)
		ps_add(ps, ag->a->listen_fd, POLLIN, W_LISTEN, NULL);
	for (size_t i = 0; i < sizeof(ag->procs) / sizeof(ag->procs[0]); i++) {
		struct proc *p = &ag->procs[i];
		if (!p->used)
			continue;
		ps_proc(ps, p);
		if (p->exited || p->pidfd < 0)
			timeout = 50; /* draining, or no pidfd: look again soon */
	}
	return ag->main_done ? 50 : timeout;
}

static void ps_dispatch(struct agent *ag, struct pollset *ps)
{
	for (int i = 0; i < ps->n; i++) {
		short re = ps->fds[i].revents;
		struct conn *c = ps->obj[i];
		struct proc *p = ps->obj[i];

		if (!re)
			continue;
		switch (ps->what[i]) {
		case W_LISTEN: {
			int fd = accept4(ag->a->listen_fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				conn_add(ag, fd);
			break;
		}
		case W_CONN_IN:
			if (c->fd == ps->fds[i].fd)
				conn_readable(ag, c);
			break;
		case W_CONN_OUT:
			if (c->fd == ps->fds[i].fd && c->olen)
				conn_writable(c);
			break;
		case W_OUT:
			if (p->used && p->sp.out == ps->fds[i].fd)
				proc_output(ag, p, 1);
			break;
		case W_ERR:
			if (p->used && p->sp.err == ps->fds[i].fd)
				proc_output(ag, p, 2);
			break;
		case W_IN:
			if (p->used && p->inbuf && p->sp.in == ps->fds[i].fd)
				proc_input(p);
			break;
		case W_PIDFD: break; /* reaped below */
		}
	}
}

/* Reaps exited commands and finishes those whose output is over. */
static void reap_all(struct agent *ag)
{
	for (size_t i = 0; i < sizeof(ag->procs) / sizeof(ag->procs[0]); i++) {
		struct proc *p = &ag->procs[i];
		if (!p->used)
			continue;
		proc_reap(p);
		if (proc_over(p))
			proc_finish(ag, p);
	}
}

/* 1 when the loop is done: the main command ended and its client has its
 * ZS_EXIT (or MAIN_FLUSH_MS passed), or, exit_when_idle, nothing is left. */
static int agent_done(struct agent *ag)
{
	int conns = 0, procs = 0, pending = 0;

	for (int i = 0; i < MAX_CONNS; i++) {
		if (ag->conns[i].fd >= 0) {
			conns++;
			pending += ag->conns[i].closing && ag->conns[i].olen;
		}
	}
	for (size_t i = 0; i < sizeof(ag->procs) / sizeof(ag->procs[0]); i++)
		procs += ag->procs[i].used;
	if (ag->main_done)
		return !pending || now_ms() - ag->main_done_ms >= MAIN_FLUSH_MS;
	return ag->a->exit_when_idle && conns == 0 && procs == 0;
}

int zsa_serve(const struct zsa_agent *a)
{
	struct agent *ag = calloc(1, sizeof(*ag));
	struct pollset *ps = calloc(1, sizeof(*ps));
	int code;

	if (!ag || !ps) {
		free(ag);
		free(ps);
		return 125;
	}
	signal(SIGPIPE, SIG_IGN);
	ag->a = a;
	for (int i = 0; i < MAX_CONNS; i++)
		ag->conns[i].fd = -1;
	if (a->initial_fd >= 0)
		conn_add(ag, a->initial_fd);
	for (;;) {
		reap_all(ag);
		if (agent_done(ag))
			break;
		int timeout = ps_build(ag, ps);
		if (poll(ps->fds, (nfds_t)ps->n, timeout) > 0)
			ps_dispatch(ag, ps);
	}
	code = ag->main_done ? ag->main_code : 0;
	for (int i = 0; i < MAX_CONNS; i++) {
		if (ag->conns[i].fd >= 0)
			conn_drop(&ag->conns[i]);
	}
	for (size_t i = 0; i < sizeof(ag->procs) / sizeof(ag->procs[0]); i++) {
		if (ag->procs[i].used)
			proc_free(&ag->procs[i]);
	}
	free(ag);
	free(ps);
	return code;
}
