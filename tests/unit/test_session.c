/* Unit tests of zonectl's session client (tools/zonectl/session_wire.c,
 * session_client.c): requests, frames, the checks on what the agent sends,
 * the detach keys, and whole sessions against a scripted fake agent over a
 * socketpair, hostile agents included. */
#define _GNU_SOURCE /* pipe2, explicit_bzero: before any header */
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/test.h"
#include "tools/zonectl/session_client.c"
#include "tools/zonectl/session_term.c"
#include "tools/zonectl/session_wire.c"

/* A script of agent frames. */
struct script {
	uint8_t b[1 << 18];
	size_t len;
};

static void add(struct script *s, uint8_t type, const void *p, uint32_t len)
{
	s->len += zs_frame_put(s->b + s->len, type, p, len);
}

static void add_exit(struct script *s, int32_t status)
{
	add(s, ZS_EXIT, &status, 4); /* x86: little-endian already */
}

static void add_str(struct script *s, uint8_t type, const char *text)
{
	add(s, type, text, (uint32_t)strlen(text));
}

static int memfile(void)
{
	FILE *f = tmpfile();

	return dup(fileno(f));
}

static size_t slurp(int fd, char *buf, size_t cap)
{
	ssize_t n = pread(fd, buf, cap - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	return n > 0 ? (size_t)n : 0;
}

static void simple_req(struct zs_req *r, int tty)
{
	memset(r, 0, sizeof(*r));
	zs_req_add_str(r, ZS_T_OP, "exec");
	zs_req_add_str(r, ZS_T_ARG, "true");
	if (tty)
		zs_req_add_size(r, ZS_T_TTY, 24, 80);
	zs_req_finish(r);
}

/* Runs a session against the whole SCRIPT, written ahead (the agent end then
 * closed); OUT and ERR get what it printed. */
static struct zs_result play(const struct script *sc, int tty, char *out, char *err)
{
	struct zs_req req;
	struct zs_io io = {"z1", -1, memfile(), memfile(), tty, 0, -1, -1, 0, 0};
	struct zs_result r;
	int sv[2];

	simple_req(&req, tty);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(write(sv[1], sc->b, sc->len) == (ssize_t)sc->len);
	shutdown(sv[1], SHUT_WR);
	r = zs_session(sv[0], &req, &io);
	slurp(io.out_fd, out, 4096);
	slurp(io.err_fd, err, 4096);
	close(sv[0]);
	close(sv[1]);
	close(io.out_fd);
	close(io.err_fd);
	zs_req_free(&req);
	return r;
}

TEST(session_request_frames)
{
	struct zs_req r;
	static char big[ZS_FRAME_MAX];

	memset(&r, 0, sizeof(r));
	CHECK(zs_req_add_str(&r, ZS_T_OP, "run") == 0);
	CHECK(zs_req_add_size(&r, ZS_T_TTY, 0x1234, 80) == 0);
	CHECK(zs_req_finish(&r) == 0);
	CHECK_EQ_U64(r.len, 8 + 4 + 8 + 5 + 8);
	CHECK(r.data[0] == 4 && r.data[4] == ZS_REQ && r.data[8] == ZS_T_OP);
	CHECK(memcmp(r.data + 9, "run", 3) == 0);
	CHECK(r.data[12] == 5 && r.data[20] == ZS_T_TTY && r.data[21] == 0x34 &&
	      r.data[22] == 0x12);
	CHECK(r.data[25 + 4] == ZS_REQ_END);
	zs_req_free(&r);
	CHECK(r.data == NULL);
	/* a field past ZS_FRAME_MAX spoils the request */
	memset(big, 'a', sizeof(big));
	CHECK(zs_req_add(&r, ZS_T_ENV, big, sizeof(big)) == -1);
	CHECK(zs_req_finish(&r) == -1);
	zs_req_free(&r);
	/* and so does a request past ZS_REQUEST_MAX */
	for (int i = 0; i < 17; i++)
		zs_req_add(&r, ZS_T_ENV, big, sizeof(big) - 1);
	CHECK(r.failed);
	zs_req_free(&r);
}

TEST(session_reader_split)
{
	static struct zs_reader rd;
	struct script sc = {.len = 0};
	const uint8_t *p;
	uint8_t type, *at;
	uint32_t len;
	size_t room;

	add_str(&sc, ZS_STDOUT, "hello");
	add_exit(&sc, 7);
	for (size_t i = 0; i < sc.len; i++) { /* one byte at a time */
		at = zs_reader_space(&rd, &room);
		CHECK(room > 0);
		*at = sc.b[i];
		zs_reader_added(&rd, 1);
		if (i == 12) {
			CHECK(zs_reader_next(&rd, &type, &p, &len) == 1);
			CHECK(type == ZS_STDOUT && len == 5 && memcmp(p, "hello", 5) == 0);
		} else if (i < 12 || i < sc.len - 1) {
			CHECK(zs_reader_next(&rd, &type, &p, &len) == 0);
		}
	}
	CHECK(zs_reader_next(&rd, &type, &p, &len) == 1);
	CHECK(type == ZS_EXIT && len == 4);
	memset(&rd, 0, sizeof(rd));
	at = zs_reader_space(&rd, &room);
	memcpy(at, "\x01\x00\x01\x00\x11\0\0\0", 8); /* 65537 bytes */
	zs_reader_added(&rd, 8);
	CHECK(zs_reader_next(&rd, &type, &p, &len) == -1);
}

TEST(session_check_rules)
{
	struct zs_check c = {.tty = 1};
	char why[256];
	int32_t st = 0;

	CHECK(zs_check_frame(&c, ZS_STDOUT, NULL, 0, why, sizeof(why)) != NULL);
	CHECK(zs_check_frame(&c, ZS_STARTED, NULL, 0, why, sizeof(why)) == NULL);
	CHECK(zs_check_frame(&c, ZS_STARTED, NULL, 0, why, sizeof(why)) != NULL);
	CHECK(zs_check_frame(&c, ZS_STDERR, (const uint8_t *)"x", 1, why, sizeof(why)) != NULL);
	CHECK(zs_check_frame(&c, ZS_STAT, (const uint8_t *)"\1", 1, why, sizeof(why)) != NULL);
	CHECK(zs_check_frame(&c, ZS_EXIT, (const uint8_t *)&st, 4, why, sizeof(why)) == NULL);
	CHECK(zs_check_frame(&c, ZS_STDOUT, NULL, 0, why, sizeof(why)) != NULL);
	memset(&c, 0, sizeof(c));
	c.stat = 1;
	CHECK(zs_check_frame(&c, ZS_STARTED, NULL, 0, why, sizeof(why)) != NULL);
	CHECK(zs_check_frame(&c, ZS_STAT, (const uint8_t *)"\3", 1, why, sizeof(why)) != NULL);
	CHECK(zs_check_frame(&c, ZS_STAT, (const uint8_t *)"\1", 1, why, sizeof(why)) == NULL);
	CHECK(c.kind == ZS_STAT_DIR);
	for (int t = 0; t < 256; t++) { /* only the agent's types are known */
		struct zs_check f = {0};
		int known = t >= ZS_STARTED && t <= ZS_STAT;
		if (!known)
			CHECK(zs_check_frame(&f, (uint8_t)t, NULL, 0, why, sizeof(why)) != NULL);
	}
}

TEST(session_escape)
{
	char out[64];

	zs_escape((const uint8_t *)"a\x1b[2J\\\n\xff", 8, out, sizeof(out));
	CHECK_STR(out, "a\\x1b[2J\\\\\\x0a\\xff");
	zs_escape((const uint8_t *)"\x1b\x1b\x1b", 3, out, 7); /* whole escapes only */
	CHECK_STR(out, "\\x1b");
}

TEST(session_detach_keys)
{
	struct zs_detach d = {0};
	uint8_t out[16];
	int det;
	size_t n;

	n = zs_detach_feed(&d, (const uint8_t *)"ab\x10\x11zz", 6, out, &det);
	CHECK(det && n == 2 && memcmp(out, "ab", 2) == 0);
	memset(&d, 0, sizeof(d));
	n = zs_detach_feed(&d, (const uint8_t *)"\x10x", 2, out, &det);
	CHECK(!det && n == 2 && memcmp(out, "\x10x", 2) == 0);
	/* split across reads: Ctrl-P held, then passed on or detaching */
	n = zs_detach_feed(&d, (const uint8_t *)"a\x10", 2, out, &det);
	CHECK(!det && n == 1 && out[0] == 'a' && d.held);
	n = zs_detach_feed(&d, (const uint8_t *)"y", 1, out, &det);
	CHECK(!det && n == 2 && memcmp(out, "\x10y", 2) == 0);
	n = zs_detach_feed(&d, (const uint8_t *)"\x10", 1, out, &det);
	CHECK(!det && n == 0);
	n = zs_detach_feed(&d, (const uint8_t *)"\x11", 1, out, &det);
	CHECK(det && n == 0);
	/* Ctrl-P Ctrl-P passes both; a Ctrl-P at the end of input comes out */
	memset(&d, 0, sizeof(d));
	n = zs_detach_feed(&d, (const uint8_t *)"\x10\x10", 2, out, &det);
	CHECK(!det && n == 2);
	n = zs_detach_feed(&d, (const uint8_t *)"\x10", 1, out, &det);
	CHECK(zs_detach_flush(&d, out) == 1 && out[0] == ZS_CTRL_P);
	CHECK(zs_detach_flush(&d, out) == 0);
}

TEST(session_exec_normal)
{
	static struct script sc;
	char out[4096], err[4096];
	struct zs_result r;

	sc.len = 0;
	add(&sc, ZS_STARTED, NULL, 0);
	add_str(&sc, ZS_STDOUT, "out1\n");
	add_str(&sc, ZS_STDERR, "err1\n");
	add(&sc, ZS_STDOUT, "\0\xff", 2); /* bytes, as they are */
	add_exit(&sc, 42);
	r = play(&sc, 0, out, err);
	CHECK(r.end == ZS_END_EXIT && r.status == 42);
	CHECK(zs_exit_status(r) == 42);
	CHECK(memcmp(out, "out1\n\0\xff", 7) == 0);
	CHECK(strcmp(err, "err1\n") == 0);
	/* with a terminal, everything is stdout */
	sc.len = 0;
	add(&sc, ZS_STARTED, NULL, 0);
	add_str(&sc, ZS_STDOUT, "tty\r\n");
	add_exit(&sc, 0);
	r = play(&sc, 1, out, err);
	CHECK(r.end == ZS_END_EXIT && r.status == 0);
	CHECK(strcmp(out, "tty\r\n") == 0);
	/* the stream ends without EXIT: the zone stopped */
	sc.len = 0;
	add(&sc, ZS_STARTED, NULL, 0);
	r = play(&sc, 0, out, err);
	CHECK(r.end == ZS_END_CLOSED);
}

TEST(session_error_shown)
{
	static struct script sc;
	char out[4096], err[4096];
	struct zs_result r;
	int saved = dup(2), ef = memfile();

	sc.len = 0;
	add_str(&sc, ZS_ERROR, "no such user: bob");
	dup2(ef, 2);
	r = play(&sc, 0, out, err);
	dup2(saved, 2);
	CHECK(r.end == ZS_END_REFUSED && zs_exit_status(r) == 126);
	slurp(ef, err, sizeof(err));
	CHECK(strcmp(err, "zonectl: zone z1: no such user: bob\n") == 0);
	close(ef);
	close(saved);
}

/* A hostile agent's script gives a protocol error naming the zone, exit 125;
 * nothing it sent after the bad frame is written out. */
static void hostile(const struct script *sc, const char *expect)
{
	char out[4096], err[4096], msg[4096];
	struct zs_result r;
	int saved = dup(2), ef = memfile();

	dup2(ef, 2);
	r = play(sc, 1, out, err);
	dup2(saved, 2);
	CHECK(r.end == ZS_END_PROTOCOL);
	CHECK(zs_exit_status(r) == 125);
	slurp(ef, msg, sizeof(msg));
	CHECK(strstr(msg, "zonectl: zone z1: protocol error: ") == msg);
	if (!strstr(msg, expect))
		printf("FAIL detail: '%s' lacks '%s'\n", msg, expect);
	CHECK(strstr(msg, expect) != NULL);
	CHECK(strchr(msg, '\x1b') == NULL);
	CHECK(strstr(out, "AFTER") == NULL);
	close(ef);
	close(saved);
}

TEST(session_hostile_agents)
{
	static struct script sc;
	static uint8_t big[ZS_FRAME_MAX + 1];
	uint8_t hdr[8] = {0xff, 0xff, 0xff, 0x7f, ZS_STDOUT, 0, 0, 0};

	sc.len = 0; /* oversized len */
	add(&sc, ZS_STARTED, NULL, 0);
	memcpy(sc.b + sc.len, hdr, 8);
	sc.len += 8;
	hostile(&sc, "longer than 65536");
	sc.len = 0; /* one byte past the largest frame */
	add(&sc, ZS_STARTED, NULL, 0);
	add(&sc, ZS_STDOUT, big, sizeof(big));
	hostile(&sc, "longer than 65536");
	sc.len = 0; /* unknown type */
	add(&sc, ZS_STARTED, NULL, 0);
	add(&sc, 99, NULL, 0);
	add_str(&sc, ZS_STDOUT, "AFTER");
	hostile(&sc, "unknown type 99");
	sc.len = 0; /* a client's type */
	add(&sc, ZS_STDIN, NULL, 0);
	hostile(&sc, "unknown type 3");
	sc.len = 0; /* output before STARTED */
	add_str(&sc, ZS_STDOUT, "AFTER");
	hostile(&sc, "STDOUT before STARTED");
	sc.len = 0; /* two EXITs */
	add(&sc, ZS_STARTED, NULL, 0);
	add_exit(&sc, 0);
	add_exit(&sc, 1);
	hostile(&sc, "EXIT after the session's end");
	sc.len = 0; /* output after EXIT */
	add(&sc, ZS_STARTED, NULL, 0);
	add_exit(&sc, 0);
	add_str(&sc, ZS_STDOUT, "AFTER");
	hostile(&sc, "STDOUT after the session's end");
	sc.len = 0; /* EXIT 300, and a negative one */
	add(&sc, ZS_STARTED, NULL, 0);
	add_exit(&sc, 300);
	hostile(&sc, "EXIT status 300");
	sc.len = 0;
	add(&sc, ZS_STARTED, NULL, 0);
	add_exit(&sc, -1);
	hostile(&sc, "EXIT status -1");
	sc.len = 0; /* EXIT of the wrong size */
	add(&sc, ZS_STARTED, NULL, 0);
	add(&sc, ZS_EXIT, "\0\0", 2);
	hostile(&sc, "EXIT of 2 bytes");
	sc.len = 0; /* an ERROR with escape sequences: shown escaped */
	add_str(&sc, ZS_ERROR, "bad\x1b]0;owned\x07\x1b[2J");
	hostile(&sc, "ERROR not printable: bad\\x1b]0;owned\\x07\\x1b[2J");
	sc.len = 0; /* an ERROR too long */
	memset(big, 'e', ZS_ERROR_MAX + 1);
	add(&sc, ZS_ERROR, big, ZS_ERROR_MAX + 1);
	hostile(&sc, "ERROR of 1025 bytes");
	sc.len = 0; /* STDERR with a terminal */
	add(&sc, ZS_STARTED, NULL, 0);
	add_str(&sc, ZS_STDERR, "AFTER");
	hostile(&sc, "STDERR in a session with a terminal");
	sc.len = 0; /* two STARTEDs, a STARTED with bytes */
	add(&sc, ZS_STARTED, NULL, 0);
	add(&sc, ZS_STARTED, NULL, 0);
	hostile(&sc, "a second STARTED");
	sc.len = 0;
	add_str(&sc, ZS_STARTED, "x");
	hostile(&sc, "STARTED with a payload");
	sc.len = 0; /* a STAT nobody asked for */
	add(&sc, ZS_STARTED, NULL, 0);
	add(&sc, ZS_STAT, "\1", 1);
	hostile(&sc, "STAT in a session that did not ask");
}

/* Reads one frame from FD (blocking); its type, or -1 at the end. */
static int agent_read(int fd, uint8_t *buf, uint32_t *len)
{
	uint8_t h[8];
	size_t got = 0;

	while (got < 8) {
		ssize_t n = read(fd, h + got, 8 - got);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	memcpy(len, h, 4);
	for (got = 0; got < *len;) {
		ssize_t n = read(fd, buf + got, *len - got);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return h[4];
}

/* The fake agent for stdin: checks the request, answers STARTED, echoes each
 * STDIN frame as STDOUT and exits with the number of stdin bytes (mod 256)
 * at STDIN_EOF; 99 if the request was not what the test sent. */
static void __attribute__((noreturn)) echo_agent(int fd)
{
	static uint8_t buf[ZS_FRAME_MAX];
	struct script *sc = calloc(1, sizeof(*sc));
	uint32_t len, total = 0;
	int t, fields = 0;

	while ((t = agent_read(fd, buf, &len)) == ZS_REQ)
		fields++;
	if (t != ZS_REQ_END || fields != 3)
		_exit(99);
	add(sc, ZS_STARTED, NULL, 0);
	if (write(fd, sc->b, sc->len) < 0)
		_exit(98);
	while ((t = agent_read(fd, buf, &len)) == ZS_STDIN) {
		sc->len = 0;
		add(sc, ZS_STDOUT, buf, len);
		total += len;
		if (write(fd, sc->b, sc->len) < 0)
			_exit(98);
	}
	if (t != ZS_STDIN_EOF)
		_exit(97);
	sc->len = 0;
	add_exit(sc, (int32_t)(total % 256));
	if (write(fd, sc->b, sc->len) < 0)
		_exit(98);
	_exit(0);
}

TEST(session_stdin_streaming)
{
	static char data[100000], out[200000];
	struct zs_req req;
	struct zs_io io = {"z1", -1, memfile(), 2, 0, 0, -1, -1, 0, 0};
	struct zs_result r;
	int sv[2], in = memfile(), status;
	pid_t pid;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	CHECK(write(in, data, sizeof(data)) == (ssize_t)sizeof(data));
	lseek(in, 0, SEEK_SET);
	io.in_fd = in;
	memset(&req, 0, sizeof(req));
	zs_req_add_str(&req, ZS_T_OP, "exec");
	zs_req_add_str(&req, ZS_T_ARG, "cat");
	zs_req_add(&req, ZS_T_STDIN, NULL, 0);
	zs_req_finish(&req);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		echo_agent(sv[1]);
	}
	close(sv[1]);
	r = zs_session(sv[0], &req, &io);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(r.end == ZS_END_EXIT && r.status == (int)(sizeof(data) % 256));
	CHECK_EQ_U64(slurp(io.out_fd, out, sizeof(out)), sizeof(data));
	CHECK(memcmp(out, data, sizeof(data)) == 0);
	close(sv[0]);
	close(in);
	close(io.out_fd);
	zs_req_free(&req);
}

TEST(session_detach_in_session)
{
	struct zs_req req;
	struct zs_io io = {"z1", -1, memfile(), 2, 1, 1, -1, -1, 0, 0};
	struct zs_result r;
	struct script sc = {.len = 0};
	int sv[2], in[2];
	uint8_t buf[256];
	uint32_t len;
	int t;

	simple_req(&req, 1);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(pipe(in) == 0);
	io.in_fd = in[0];
	add(&sc, ZS_STARTED, NULL, 0);
	CHECK(write(sv[1], sc.b, sc.len) == (ssize_t)sc.len);
	CHECK(write(in[1], "ls\x10x\x10\x11rest", 10) == 10);
	r = zs_session(sv[0], &req, &io);
	CHECK(r.end == ZS_END_DETACHED && zs_exit_status(r) == 0);
	while ((t = agent_read(sv[1], buf, &len)) == ZS_REQ)
		;
	CHECK(t == ZS_REQ_END);
	CHECK(agent_read(sv[1], buf, &len) == ZS_STDIN);
	CHECK(len == 4 && memcmp(buf, "ls\x10x", 4) == 0);
	close(sv[0]);
	close(sv[1]);
	close(in[0]);
	close(in[1]);
	close(io.out_fd);
	zs_req_free(&req);
}

/* The fake agent for signals: after STARTED, expects ZS_RESIZE 24x80 (no
 * terminal to ask), ZS_SIGNAL 2 then 15, and exits 130 (as a shell killed
 * by SIGINT). */
static void __attribute__((noreturn)) signal_agent(int fd)
{
	static uint8_t buf[ZS_FRAME_MAX];
	struct script *sc = calloc(1, sizeof(*sc));
	uint32_t len, sig;
	int t;

	while ((t = agent_read(fd, buf, &len)) == ZS_REQ)
		;
	add(sc, ZS_STARTED, NULL, 0);
	if (t != ZS_REQ_END || write(fd, sc->b, sc->len) < 0)
		_exit(99);
	if (agent_read(fd, buf, &len) != ZS_RESIZE || len != 4 || memcmp(buf, "\x18\0\x50\0", 4))
		_exit(95);
	for (uint32_t want = 2; want != 16; want = 15) {
		if (agent_read(fd, buf, &len) != ZS_SIGNAL || len != 4)
			_exit(97);
		memcpy(&sig, buf, 4);
		if (sig != want)
			_exit(96);
		if (want == 15)
			break;
	}
	sc->len = 0;
	add_exit(sc, 130);
	if (write(fd, sc->b, sc->len) < 0)
		_exit(98);
	_exit(0);
}

TEST(session_signals_forwarded)
{
	struct zs_req req;
	struct zs_io io = {"z1", -1, memfile(), 2, 0, 0, -1, -1, 0, 0};
	struct zs_result r;
	int sv[2], sp[2], status;
	pid_t pid;

	simple_req(&req, 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(pipe2(sp, O_NONBLOCK) == 0);
	/* SIGWINCH, SIGINT, SIGTERM: what zs_signal_fd's handler writes */
	CHECK(write(sp[1], "\x1c\x02\x0f", 3) == 3);
	io.signal_fd = sp[0];
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		signal_agent(sv[1]);
	}
	close(sv[1]);
	r = zs_session(sv[0], &req, &io);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(r.end == ZS_END_EXIT && r.status == 130);
	close(sv[0]);
	close(sp[0]);
	close(sp[1]);
	close(io.out_fd);
	zs_req_free(&req);
}
