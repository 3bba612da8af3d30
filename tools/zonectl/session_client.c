/*
 * One session with a zone's agent (session_client.h).  The agent's stream is
 * read without blocking and every frame is checked (session_wire.c) before
 * its bytes go anywhere; what zonectl sends waits in a buffer, and stdin is
 * read only when that buffer is empty, so that a command which prints while
 * it reads cannot deadlock the two sides against each other.
 */
#include "tools/zonectl/session_client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/zonectl/session_term.h"

#define IN_CHUNK  16384					     /* stdin bytes per ZS_STDIN frame */
#define OUT_CAP	  (ZS_HDR + IN_CHUNK + 1 + 2 * (ZS_HDR + 4)) /* one STDIN, a RESIZE, an EOF */
#define LINGER_MS 1000 /* after ZS_EXIT: how long to wait for the agent to close */

FILE *zs_messages;

static FILE *msg(void)
{
	return zs_messages ? zs_messages : stderr;
}

struct sess {
	const struct zs_io *io;
	int fd;
	struct zs_reader *rd;
	struct zs_check ck;
	struct zs_detach dk;
	uint8_t out[OUT_CAP];
	size_t out_len;
	int in_open;		      /* in_fd not yet at its end */
	int resize_pending;	      /* a SIGWINCH came and no room for its RESIZE yet */
	uint32_t signals;	      /* bit N: signal N to send, no room for it yet */
	uint64_t bytes_in, bytes_out; /* for the audit log's session records */
};

/* Writes all N bytes at P to FD, waiting when it would block.  0 or -1. */
static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t w = write(fd, b, n);
		if (w < 0 && errno == EAGAIN) {
			struct pollfd pfd = {fd, POLLOUT, 0};
			poll(&pfd, 1, -1);
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static struct zs_result result(enum zs_end end, int status)
{
	return (struct zs_result){.end = end, .status = status};
}

static void queue(struct sess *s, uint8_t type, const void *p, uint32_t len)
{
	s->out_len += zs_frame_put(s->out + s->out_len, type, p, len);
}

static void queue_resize(struct sess *s)
{
	uint16_t rows, cols;
	uint8_t v[4];

	if (s->out_len + ZS_HDR + 4 > OUT_CAP) {
		s->resize_pending = 1;
		return;
	}
	zs_winsize(s->io->size_fd, &rows, &cols);
	v[0] = (uint8_t)rows;
	v[1] = (uint8_t)(rows >> 8);
	v[2] = (uint8_t)cols;
	v[3] = (uint8_t)(cols >> 8);
	queue(s, ZS_RESIZE, v, 4);
	s->resize_pending = 0;
}

/* ZS_SIGNAL for each signal waiting, as far as there is room. */
static void queue_signals(struct sess *s)
{
	for (uint32_t sig = 1; sig < 32 && s->signals; sig++) {
		uint8_t v[4] = {(uint8_t)sig, 0, 0, 0};

		if (!(s->signals & 1u << sig) || s->out_len + ZS_HDR + 4 > OUT_CAP)
			continue;
		queue(s, ZS_SIGNAL, v, 4);
		s->signals &= ~(1u << sig);
	}
}

/* The signals that came (bytes of io->signal_fd): a resize, or passed on. */
static void read_signals(struct sess *s)
{
	uint8_t sigs[64];
	ssize_t n;

	while ((n = read(s->io->signal_fd, sigs, sizeof(sigs))) > 0)
		for (ssize_t i = 0; i < n; i++) {
			if (sigs[i] == SIGWINCH)
				queue_resize(s);
			else if (sigs[i] >= 1 && sigs[i] < 32)
				s->signals |= 1u << sigs[i];
		}
	queue_signals(s);
}

/* Sends what the buffer holds as far as the stream takes it.  0, or -1. */
static int flush_out(struct sess *s)
{
	ssize_t w = write(s->fd, s->out, s->out_len);

	if (w < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	memmove(s->out, s->out + w, s->out_len - (size_t)w);
	s->out_len -= (size_t)w;
	if (s->resize_pending)
		queue_resize(s);
	queue_signals(s);
	return 0;
}

/* One read of stdin into a ZS_STDIN frame (or ZS_STDIN_EOF at its end).
 * 1 when the user typed the detach keys, else 0. */
static int read_stdin(struct sess *s)
{
	uint8_t in[IN_CHUNK], data[IN_CHUNK + 1];
	ssize_t n = read(s->io->in_fd, in, sizeof(in));
	size_t len = (size_t)(n > 0 ? n : 0);
	int detach = 0;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (s->io->detach_keys)
		len = zs_detach_feed(&s->dk, in, len, data, &detach);
	else
		memcpy(data, in, len);
	s->bytes_in += len;
	if (detach) { /* what came before the keys still goes */
		if (len)
			queue(s, ZS_STDIN, data, (uint32_t)len);
		return 1;
	}
	if (n <= 0 && s->io->detach_keys) {
		size_t held = zs_detach_flush(&s->dk, data + len);

		len += held;
		s->bytes_in += held;
	}
	if (len)
		queue(s, ZS_STDIN, data, (uint32_t)len);
	if (n <= 0) {
		queue(s, ZS_STDIN_EOF, NULL, 0);
		s->in_open = 0;
	}
	return 0;
}

static struct zs_result protocol_error(struct sess *s, const char *why)
{
	fprintf(msg(), "zonectl: zone %s: protocol error: %s\n", s->io->zone, why);
	return result(ZS_END_PROTOCOL, 0);
}

/* Acts on one checked frame; 1 with *R when the session ends here. */
static int handle(struct sess *s, uint8_t type, const uint8_t *p, uint32_t len, struct zs_result *r)
{
	char text[ZS_ERROR_MAX * 4 + 1];

	switch (type) {
	case ZS_STARTED:
		if (!s->io->until_started)
			return 0;
		*r = result(ZS_END_STARTED, 0);
		return 1;
	case ZS_STDOUT:
	case ZS_STDERR:
		s->bytes_out += len;
		if (write_all(type == ZS_STDOUT ? s->io->out_fd : s->io->err_fd, p, len) != 0) {
			fprintf(msg(), "zonectl: zone %s: writing its output: %s\n", s->io->zone,
				strerror(errno));
			*r = result(ZS_END_IO, 0);
			return 1;
		}
		return 0;
	case ZS_ERROR:
		zs_escape(p, len, text, sizeof(text)); /* checked printable: unchanged */
		fprintf(msg(), "zonectl: zone %s: %s\n", s->io->zone, text);
		*r = result(ZS_END_REFUSED, 0);
		return 1;
	case ZS_STAT: *r = (struct zs_result){.end = ZS_END_STAT, .kind = s->ck.kind}; return 1;
	}
	return 0; /* ZS_EXIT: read on until the agent closes */
}

/* Reads what the agent sent and acts on each whole frame; 1 with *R when
 * the session ends. */
static int read_agent(struct sess *s, struct zs_result *r)
{
	char why[ZS_ERROR_MAX * 4 + 128];
	const uint8_t *p;
	size_t room;
	uint8_t type, *at = zs_reader_space(s->rd, &room);
	uint32_t len;
	ssize_t n = read(s->fd, at, room);
	int got;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) { /* closed, or reset (the zone stopped) */
		*r = s->ck.done ? result(ZS_END_EXIT, s->ck.status) : result(ZS_END_CLOSED, 0);
		return 1;
	}
	zs_reader_added(s->rd, (size_t)n);
	while ((got = zs_reader_next(s->rd, &type, &p, &len)) == 1) {
		const char *bad = zs_check_frame(&s->ck, type, p, len, why, sizeof(why));
		if (bad) {
			*r = protocol_error(s, bad);
			return 1;
		}
		if (handle(s, type, p, len, r))
			return 1;
	}
	if (got < 0) {
		*r = protocol_error(s, "a frame longer than 65536 bytes");
		return 1;
	}
	return 0;
}

/* The poll set: the agent always; stdin once the command runs, when the
 * send buffer is empty; window changes. */
static nfds_t poll_set(struct sess *s, struct pollfd *p)
{
	nfds_t n = 1;

	p[0] = (struct pollfd){s->fd, POLLIN | (s->out_len ? POLLOUT : 0), 0};
	if (s->in_open && s->ck.started && !s->ck.done && !s->out_len)
		p[n++] = (struct pollfd){s->io->in_fd, POLLIN, 0};
	if (s->io->signal_fd >= 0 && s->ck.started && !s->ck.done)
		p[n++] = (struct pollfd){s->io->signal_fd, POLLIN, 0};
	return n;
}

static struct zs_result run_loop(struct sess *s)
{
	struct zs_result r;
	struct pollfd p[3];

	for (;;) {
		nfds_t n = poll_set(s, p);
		int ready = poll(p, n, s->ck.done ? LINGER_MS : -1);

		if (ready < 0 && errno == EINTR)
			continue;
		if (ready < 0) {
			fprintf(msg(), "zonectl: poll: %s\n", strerror(errno));
			return result(ZS_END_IO, 0);
		}
		if (ready == 0) /* the agent exited the command but kept the stream open */
			return result(ZS_END_EXIT, s->ck.status);
		if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && read_agent(s, &r))
			return r;
		if ((p[0].revents & POLLOUT) && flush_out(s) != 0 && !s->ck.done)
			s->out_len = 0; /* it stopped reading: what it sends decides */
		for (nfds_t i = 1; i < n; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (p[i].fd == s->io->signal_fd) {
				read_signals(s);
			} else if (read_stdin(s)) {
				write_all(s->fd, s->out, s->out_len);
				return result(ZS_END_DETACHED, 0);
			}
		}
	}
}

struct zs_result zs_session(int fd, const struct zs_req *req, const struct zs_io *io)
{
	struct sess *s = calloc(1, sizeof(*s));
	struct zs_result r;
	int flags = fcntl(fd, F_GETFL);

	if (!s || !(s->rd = calloc(1, sizeof(*s->rd)))) {
		free(s);
		fprintf(msg(), "zonectl: out of memory\n");
		return result(ZS_END_IO, 0);
	}
	signal(SIGPIPE, SIG_IGN); /* a closed stdout or pipe is an error return instead */
	s->io = io;
	s->fd = fd;
	s->ck.tty = io->tty;
	s->ck.stat = io->stat;
	s->in_open = io->in_fd >= 0;
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0 ||
	    write_all(fd, req->data, req->len) != 0) {
		fprintf(msg(), "zonectl: zone %s: sending the request: %s\n", io->zone,
			strerror(errno));
		r = result(ZS_END_IO, 0);
	} else {
		r = run_loop(s);
	}
	r.bytes_in = s->bytes_in;
	r.bytes_out = s->bytes_out;
	free(s->rd);
	free(s);
	return r;
}

int zs_exit_status(struct zs_result r)
{
	switch (r.end) {
	case ZS_END_EXIT: return r.status;
	case ZS_END_STARTED:
	case ZS_END_STAT:
	case ZS_END_DETACHED: return 0;
	case ZS_END_PROTOCOL: return 125;
	case ZS_END_REFUSED: return 126;
	default: return 1;
	}
}
