/* The session protocol's bytes on zonectl's side (session_wire.h).  The
 * agent is untrusted (root in its zone may replace it): every frame it sends
 * is checked here before zonectl acts on it. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* explicit_bzero */
#endif
#include "tools/zonectl/session_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

size_t zs_frame_put(uint8_t *out, uint8_t type, const void *payload, uint32_t len)
{
	put_le32(out, len);
	out[4] = type;
	out[5] = out[6] = out[7] = 0;
	if (len)
		memcpy(out + ZS_HDR, payload, len);
	return ZS_HDR + len;
}

/* Room for N more bytes: grown by copying, the old copy zeroed (secrets). */
static int req_room(struct zs_req *r, size_t n)
{
	size_t cap = r->cap ? r->cap : 4096;
	uint8_t *p;

	if (r->len + n <= r->cap)
		return 0;
	while (cap < r->len + n)
		cap *= 2;
	p = malloc(cap);
	if (!p)
		return -1;
	if (r->len)
		memcpy(p, r->data, r->len);
	if (r->data)
		explicit_bzero(r->data, r->cap);
	free(r->data);
	r->data = p;
	r->cap = cap;
	return 0;
}

int zs_req_add(struct zs_req *r, uint8_t tag, const void *v, size_t n)
{
	if (n + 1 > ZS_FRAME_MAX || r->fields + n + 1 > ZS_REQUEST_MAX ||
	    req_room(r, ZS_HDR + 1 + n) != 0) {
		r->failed = 1;
		return -1;
	}
	zs_frame_put(r->data + r->len, ZS_REQ, &tag, 1);
	put_le32(r->data + r->len, (uint32_t)(n + 1)); /* the header covers the value too */
	if (n)
		memcpy(r->data + r->len + ZS_HDR + 1, v, n);
	r->len += ZS_HDR + 1 + n;
	r->fields += n + 1;
	return 0;
}

int zs_req_add_str(struct zs_req *r, uint8_t tag, const char *s)
{
	return zs_req_add(r, tag, s, strlen(s));
}

int zs_req_add_size(struct zs_req *r, uint8_t tag, uint16_t rows, uint16_t cols)
{
	uint8_t v[4] = {(uint8_t)rows, (uint8_t)(rows >> 8), (uint8_t)cols, (uint8_t)(cols >> 8)};

	return zs_req_add(r, tag, v, sizeof(v));
}

int zs_req_finish(struct zs_req *r)
{
	if (r->failed || req_room(r, ZS_HDR) != 0)
		return -1;
	r->len += zs_frame_put(r->data + r->len, ZS_REQ_END, NULL, 0);
	return 0;
}

void zs_req_free(struct zs_req *r)
{
	if (r->data)
		explicit_bzero(r->data, r->cap);
	free(r->data);
	memset(r, 0, sizeof(*r));
}

uint8_t *zs_reader_space(struct zs_reader *r, size_t *room)
{
	if (r->used) { /* what was handed out is no longer needed */
		memmove(r->buf, r->buf + r->used, r->have - r->used);
		r->have -= r->used;
		r->used = 0;
	}
	*room = sizeof(r->buf) - r->have;
	return r->buf + r->have;
}

void zs_reader_added(struct zs_reader *r, size_t n)
{
	r->have += n;
}

int zs_reader_next(struct zs_reader *r, uint8_t *type, const uint8_t **p, uint32_t *len)
{
	const uint8_t *h = r->buf + r->used;
	size_t avail = r->have - r->used;
	uint32_t n;

	if (avail < ZS_HDR)
		return 0;
	n = get_le32(h);
	if (n > ZS_FRAME_MAX)
		return -1;
	if (avail < ZS_HDR + n)
		return 0;
	*type = h[4];
	*p = h + ZS_HDR;
	*len = n;
	r->used += ZS_HDR + n;
	return 1;
}

static const char *frame_name(uint8_t type)
{
	switch (type) {
	case ZS_STARTED: return "STARTED";
	case ZS_STDOUT: return "STDOUT";
	case ZS_STDERR: return "STDERR";
	case ZS_EXIT: return "EXIT";
	case ZS_ERROR: return "ERROR";
	case ZS_STAT: return "STAT";
	default: return NULL;
	}
}

/* The rules for each frame the agent may send, in the order a session has them. */
static const char *check_state(const struct zs_check *c, uint8_t type, uint32_t len)
{
	if (c->stat)
		return type != ZS_STAT && type != ZS_ERROR ? "not a stat answer" : NULL;
	switch (type) {
	case ZS_STARTED:
		return c->started ? "a second STARTED" : len ? "STARTED with a payload" : NULL;
	case ZS_STDERR:
		if (c->tty)
			return "STDERR in a session with a terminal";
		/* fall through */
	case ZS_STDOUT:
	case ZS_EXIT: return c->started ? NULL : "before STARTED";
	case ZS_ERROR: return c->started ? "ERROR after STARTED" : NULL;
	default: return "STAT in a session that did not ask for one";
	}
}

const char *zs_check_frame(struct zs_check *c, uint8_t type, const uint8_t *p, uint32_t len,
			   char *why, size_t cap)
{
	const char *name = frame_name(type), *bad;
	char text[ZS_ERROR_MAX * 4 + 1];

	if (!name) {
		snprintf(why, cap, "a frame of unknown type %u", type);
		return why;
	}
	bad = c->done ? "after the session's end" : check_state(c, type, len);
	if (bad) {
		snprintf(why, cap, "%s %s", name, bad);
		return why;
	}
	switch (type) {
	case ZS_STARTED: c->started = 1; break;
	case ZS_EXIT:
		if (len != 4) {
			snprintf(why, cap, "EXIT of %u bytes", len);
			return why;
		}
		c->status = (int32_t)get_le32(p);
		if (c->status < 0 || c->status > 255) {
			snprintf(why, cap, "EXIT status %d (0..255)", c->status);
			return why;
		}
		c->done = 1;
		break;
	case ZS_ERROR:
		zs_escape(p, len < ZS_ERROR_MAX ? len : ZS_ERROR_MAX, text, sizeof(text));
		if (len > ZS_ERROR_MAX) {
			snprintf(why, cap, "ERROR of %u bytes (at most %d): %s...", len,
				 ZS_ERROR_MAX, text);
			return why;
		}
		for (uint32_t i = 0; i < len; i++)
			if (p[i] < 0x20 || p[i] > 0x7e) {
				snprintf(why, cap, "ERROR not printable: %s", text);
				return why;
			}
		c->done = 1;
		break;
	case ZS_STAT:
		if (len != 1 || p[0] > ZS_STAT_FILE) {
			snprintf(why, cap, "STAT of %u bytes, kind %d", len, len ? p[0] : -1);
			return why;
		}
		c->kind = p[0];
		c->done = 1;
		break;
	}
	return NULL;
}

void zs_escape(const uint8_t *p, size_t n, char *out, size_t cap)
{
	size_t pos = 0;

	if (cap == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		char one[5];
		size_t k;

		if (p[i] == '\\')
			k = (size_t)snprintf(one, sizeof(one), "\\\\");
		else if (p[i] >= 0x20 && p[i] < 0x7f)
			k = (size_t)snprintf(one, sizeof(one), "%c", p[i]);
		else
			k = (size_t)snprintf(one, sizeof(one), "\\x%02x", p[i]);
		if (pos + k >= cap)
			break;
		memcpy(out + pos, one, k);
		pos += k;
	}
	out[pos] = '\0';
}

size_t zs_detach_feed(struct zs_detach *d, const uint8_t *in, size_t n, uint8_t *out, int *detach)
{
	size_t o = 0;

	*detach = 0;
	for (size_t i = 0; i < n; i++) {
		if (d->held) {
			d->held = 0;
			if (in[i] == ZS_CTRL_Q) {
				*detach = 1;
				return o;
			}
			out[o++] = ZS_CTRL_P; /* not the sequence: both bytes go on */
			out[o++] = in[i];
		} else if (in[i] == ZS_CTRL_P) {
			d->held = 1;
		} else {
			out[o++] = in[i];
		}
	}
	return o;
}

size_t zs_detach_flush(struct zs_detach *d, uint8_t *out)
{
	if (!d->held)
		return 0;
	d->held = 0;
	out[0] = ZS_CTRL_P;
	return 1;
}
