/* The session protocol's bytes on zonectl's side (tools/session/proto.h):
 * building the request, splitting the agent's stream into frames, checking
 * each frame against the session's state, and the detach keys.  Pure: no
 * I/O, unit-tested and fuzzed (tests/unit/test_session.c,
 * tests/fuzz/fuzz_session_client.c). */
#ifndef ZV_ZONECTL_SESSION_WIRE_H
#define ZV_ZONECTL_SESSION_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "tools/session/proto.h"

#define ZS_HDR ((uint32_t)sizeof(struct zs_frame))

/* Writes one frame (header, then LEN bytes of PAYLOAD) at OUT, which has
 * room for ZS_HDR + LEN bytes; returns ZS_HDR + LEN. */
size_t zs_frame_put(uint8_t *out, uint8_t type, const void *payload, uint32_t len);

/* A request being built: ZS_REQ frames, then ZS_REQ_END.  May hold secrets:
 * zs_req_free zeroes it. */
struct zs_req {
	uint8_t *data;
	size_t len, cap;
	size_t fields; /* ZS_REQ payload bytes so far (at most ZS_REQUEST_MAX) */
	int failed;    /* a field did not fit: the request must not be sent */
};

/* One field: TAG and N bytes of V.  0, or -1 (too long, out of memory). */
int zs_req_add(struct zs_req *r, uint8_t tag, const void *v, size_t n);
int zs_req_add_str(struct zs_req *r, uint8_t tag, const char *s);
/* A field of two little-endian u16s (ZS_T_TTY: rows, cols). */
int zs_req_add_size(struct zs_req *r, uint8_t tag, uint16_t rows, uint16_t cols);
/* ZS_REQ_END; 0, or -1 if any field failed. */
int zs_req_finish(struct zs_req *r);
void zs_req_free(struct zs_req *r);

/* Splits a byte stream into frames. */
struct zs_reader {
	size_t have, used; /* bytes in buf; bytes of it already handed out */
	uint8_t buf[sizeof(struct zs_frame) + ZS_FRAME_MAX];
};

/* Where to read more bytes into, and how many fit (never 0 after a call to
 * zs_reader_next that returned 0). */
uint8_t *zs_reader_space(struct zs_reader *r, size_t *room);
void zs_reader_added(struct zs_reader *r, size_t n);
/* 1: the next frame (*TYPE, *P, *LEN: valid until the next call); 0: more
 * bytes are needed; -1: its length is past ZS_FRAME_MAX. */
int zs_reader_next(struct zs_reader *r, uint8_t *type, const uint8_t **p, uint32_t *len);

/* What the agent may send next, for one session. */
struct zs_check {
	int tty;	/* the request asked for a terminal: no ZS_STDERR */
	int stat;	/* op "stat": ZS_STAT only */
	int started;	/* ZS_STARTED came */
	int done;	/* ZS_EXIT, ZS_ERROR or ZS_STAT came: nothing may follow */
	int32_t status; /* ZS_EXIT's */
	uint8_t kind;	/* ZS_STAT's */
};

/* NULL if the agent may send frame TYPE (LEN bytes at P) now, and the state
 * advanced; else why not (a protocol error; WHY is built in C's buffer of
 * CAP bytes or is a constant). */
const char *zs_check_frame(struct zs_check *c, uint8_t type, const uint8_t *p, uint32_t len,
			   char *why, size_t cap);

/* The N bytes at P for a terminal: printable ASCII as it is, '\\' as "\\\\",
 * anything else as \xHH; NUL-terminated, cut to fit CAP. */
void zs_escape(const uint8_t *p, size_t n, char *out, size_t cap);

/* Docker's detach keys, Ctrl-P Ctrl-Q, in what the user types. */
#define ZS_CTRL_P 0x10
#define ZS_CTRL_Q 0x11
struct zs_detach {
	int held; /* the last byte was a Ctrl-P, not yet passed on */
};

/* Filters N typed bytes into OUT (room for N + 1: a Ctrl-P held from the
 * last call comes out first); returns how many to send.  *DETACH is set at
 * Ctrl-P Ctrl-Q: what follows it is dropped. */
size_t zs_detach_feed(struct zs_detach *d, const uint8_t *in, size_t n, uint8_t *out, int *detach);
/* At the end of input: a held Ctrl-P into OUT (room for 1); 0 or 1. */
size_t zs_detach_flush(struct zs_detach *d, uint8_t *out);

#endif
