/* zv-agent: parsing and validating a session request (tools/session/proto.h).
 * Pure: no system calls, so the unit tests and the fuzzer run it as is. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/zv-agent/agent.h"

static const struct {
	const char *name;
	enum zsa_op op;
} ops[] = {
	{"run", ZSA_OP_RUN},	 {"exec", ZSA_OP_EXEC},	    {"attach", ZSA_OP_ATTACH},
	{"cp-in", ZSA_OP_CP_IN}, {"cp-out", ZSA_OP_CP_OUT}, {"stat", ZSA_OP_STAT},
};

/* Which fields each op takes (bit per enum zs_tag). */
#define T(tag) (1u << (tag))
static unsigned fields_allowed(enum zsa_op op)
{
	const unsigned cmd = T(ZS_T_ARG) | T(ZS_T_ENV) | T(ZS_T_CWD) | T(ZS_T_USER) | T(ZS_T_TTY) |
			     T(ZS_T_STDIN);

	switch (op) {
	case ZSA_OP_RUN: return cmd | T(ZS_T_SECRET);
	case ZSA_OP_EXEC: return cmd;
	case ZSA_OP_ATTACH: return T(ZS_T_TTY) | T(ZS_T_STDIN);
	case ZSA_OP_CP_IN: return T(ZS_T_PATH) | T(ZS_T_NAME) | T(ZS_T_STDIN); /* STDIN: implied */
	case ZSA_OP_CP_OUT:
	case ZSA_OP_STAT: return T(ZS_T_PATH);
	default: return 0;
	}
}

void zsa_req_init(struct zsa_req *r)
{
	memset(r, 0, sizeof(*r));
}

static void free_str(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free_str(v[i]);
	free(v);
}

void zsa_req_free(struct zsa_req *r)
{
	free_list(r->argv, r->argc);
	free_list(r->env, r->envc);
	free_list(r->secrets, r->nsecrets);
	free_str(r->cwd);
	free_str(r->user);
	free_str(r->path);
	free_str(r->name);
	zsa_req_init(r);
}

int zsa_secret_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > ZS_SECRET_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
		if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
			return 0;
	}
	return 1;
}

int zsa_entry_name_ok(const char *s)
{
	return s[0] && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 && !strchr(s, '/');
}

/* A copy of n bytes as a C string; NULL (err set) if they hold a NUL byte. */
static char *dup_cstr(const uint8_t *p, size_t n, const char *what, char *err)
{
	char *s;

	if (memchr(p, 0, n)) {
		snprintf(err, ZSA_ERR_MAX, "%s contains a NUL byte", what);
		return NULL;
	}
	s = malloc(n + 1);
	if (!s) {
		snprintf(err, ZSA_ERR_MAX, "out of memory");
		return NULL;
	}
	memcpy(s, p, n);
	s[n] = 0;
	return s;
}

/* Appends s to a NULL-terminated list of at most max entries; frees s on failure. */
static int list_add(char ***v, size_t *n, size_t max, char *s, const char *what, char *err)
{
	char **nv;

	if (*n >= max) {
		snprintf(err, ZSA_ERR_MAX, "more than %zu %s fields", max, what);
		free_str(s);
		return -1;
	}
	nv = realloc(*v, (*n + 2) * sizeof(char *));
	if (!nv) {
		snprintf(err, ZSA_ERR_MAX, "out of memory");
		free_str(s);
		return -1;
	}
	nv[(*n)++] = s;
	nv[*n] = NULL;
	*v = nv;
	return 0;
}

static int set_once(char **slot, const uint8_t *p, size_t n, const char *what, char *err)
{
	if (*slot) {
		snprintf(err, ZSA_ERR_MAX, "%s given twice", what);
		return -1;
	}
	if (n == 0) {
		snprintf(err, ZSA_ERR_MAX, "%s is empty", what);
		return -1;
	}
	*slot = dup_cstr(p, n, what, err);
	return *slot ? 0 : -1;
}

static int field_op(struct zsa_req *r, const uint8_t *p, size_t n, char *err)
{
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strlen(ops[i].name) == n && memcmp(ops[i].name, p, n) == 0) {
			r->op = ops[i].op;
			return 0;
		}
	}
	snprintf(err, ZSA_ERR_MAX, "unknown op (run, exec, attach, cp-in, cp-out, stat)");
	return -1;
}

static int field_env(struct zsa_req *r, const uint8_t *p, size_t n, char *err)
{
	const uint8_t *eq = memchr(p, '=', n);
	char *s;

	if (!eq || eq == p) {
		snprintf(err, ZSA_ERR_MAX, "env field is not KEY=VALUE");
		return -1;
	}
	s = dup_cstr(p, n, "env field", err);
	return s ? list_add(&r->env, &r->envc, ZSA_ENV_MAX, s, "env", err) : -1;
}

/* Never quotes the value: a bad secret is named, never shown. */
static int field_secret(struct zsa_req *r, const uint8_t *p, size_t n, char *err)
{
	const uint8_t *eq = memchr(p, '=', n);
	size_t name_len = eq ? (size_t)(eq - p) : n;
	char *s;

	if (!eq || !zsa_secret_name_ok((const char *)p, name_len)) {
		snprintf(err, ZSA_ERR_MAX, "secret name is not [A-Za-z_][A-Za-z0-9_]* (at most %d)",
			 ZS_SECRET_NAME_MAX);
		return -1;
	}
	if (n - name_len - 1 > ZS_SECRET_MAX) {
		snprintf(err, ZSA_ERR_MAX, "secret %.*s is longer than %d bytes", (int)name_len,
			 (const char *)p, ZS_SECRET_MAX);
		return -1;
	}
	if (memchr(p, 0, n)) {
		snprintf(err, ZSA_ERR_MAX, "secret %.*s contains a NUL byte", (int)name_len,
			 (const char *)p);
		return -1;
	}
	s = dup_cstr(p, n, "secret", err);
	return s ? list_add(&r->secrets, &r->nsecrets, ZSA_SECRETS_MAX, s, "secret", err) : -1;
}

static int field_tty(struct zsa_req *r, const uint8_t *p, size_t n, char *err)
{
	if (r->tty || n != 4) {
		snprintf(err, ZSA_ERR_MAX, r->tty ? "tty given twice" : "tty field is not 4 bytes");
		return -1;
	}
	r->rows = (uint16_t)(p[0] | p[1] << 8);
	r->cols = (uint16_t)(p[2] | p[3] << 8);
	r->tty = 1;
	return 0;
}

static int field_value(struct zsa_req *r, uint8_t tag, const uint8_t *p, size_t n, char *err)
{
	char *s;

	switch (tag) {
	case ZS_T_ARG:
		s = dup_cstr(p, n, "argument", err);
		return s ? list_add(&r->argv, &r->argc, ZSA_ARGV_MAX, s, "argument", err) : -1;
	case ZS_T_ENV: return field_env(r, p, n, err);
	case ZS_T_SECRET: return field_secret(r, p, n, err);
	case ZS_T_CWD: return set_once(&r->cwd, p, n, "cwd", err);
	case ZS_T_USER: return set_once(&r->user, p, n, "user", err);
	case ZS_T_PATH: return set_once(&r->path, p, n, "path", err);
	case ZS_T_NAME:
		if (set_once(&r->name, p, n, "name", err) < 0)
			return -1;
		if (zsa_entry_name_ok(r->name))
			return 0;
		snprintf(err, ZSA_ERR_MAX, "name must be one path component");
		return -1;
	case ZS_T_TTY: return field_tty(r, p, n, err);
	case ZS_T_STDIN:
		if (n == 0 && !r->want_stdin) {
			r->want_stdin = 1;
			return 0;
		}
		snprintf(err, ZSA_ERR_MAX, "stdin field: given twice or not empty");
		return -1;
	}
	snprintf(err, ZSA_ERR_MAX, "unknown request field %u", tag);
	return -1;
}

static int req_field(struct zsa_req *r, const uint8_t *p, size_t n, char *err)
{
	uint8_t tag;

	if (n == 0) {
		snprintf(err, ZSA_ERR_MAX, "empty request field (no tag)");
		return -1;
	}
	if (n > ZS_REQUEST_MAX - r->bytes) {
		snprintf(err, ZSA_ERR_MAX, "request longer than %d bytes", ZS_REQUEST_MAX);
		return -1;
	}
	r->bytes += n;
	tag = p[0];
	if (r->op == ZSA_OP_NONE) {
		if (tag != ZS_T_OP) {
			snprintf(err, ZSA_ERR_MAX, "the request must start with its op");
			return -1;
		}
		return field_op(r, p + 1, n - 1, err);
	}
	if (tag >= 32 || !(fields_allowed(r->op) & T(tag))) {
		snprintf(err, ZSA_ERR_MAX, "request field %u not allowed here", tag);
		return -1;
	}
	return field_value(r, tag, p + 1, n - 1, err);
}

static int req_end(struct zsa_req *r, size_t n, char *err)
{
	int needs_path = r->op == ZSA_OP_CP_IN || r->op == ZSA_OP_CP_OUT || r->op == ZSA_OP_STAT;

	if (n != 0) {
		snprintf(err, ZSA_ERR_MAX, "request end frame has a payload");
		return -1;
	}
	if (r->op == ZSA_OP_NONE) {
		snprintf(err, ZSA_ERR_MAX, "request ended without an op");
		return -1;
	}
	if (needs_path && !r->path) {
		snprintf(err, ZSA_ERR_MAX, "this op needs a path");
		return -1;
	}
	if (r->op == ZSA_OP_EXEC && r->argc == 0) {
		snprintf(err, ZSA_ERR_MAX, "exec needs a command");
		return -1;
	}
	if (r->tty && (r->rows == 0 || r->cols == 0)) {
		snprintf(err, ZSA_ERR_MAX, "terminal size %ux%u", r->rows, r->cols);
		return -1;
	}
	r->done = 1;
	return 1;
}

int zsa_req_frame(struct zsa_req *r, uint8_t type, const uint8_t *p, size_t n, char *err)
{
	if (r->done) {
		snprintf(err, ZSA_ERR_MAX, "request already complete");
		return -1;
	}
	if (n > ZS_FRAME_MAX) {
		snprintf(err, ZSA_ERR_MAX, "frame longer than %d bytes", ZS_FRAME_MAX);
		return -1;
	}
	switch (type) {
	case ZS_REQ: return req_field(r, p, n, err) < 0 ? -1 : 0;
	case ZS_REQ_END: return req_end(r, n, err);
	}
	snprintf(err, ZSA_ERR_MAX, "frame type %u before the request ended", type);
	return -1;
}

int zsa_check_running_frame(const struct zsa_req *r, uint8_t type, size_t n, char *err)
{
	switch (type) {
	case ZS_STDIN:
		if (r->want_stdin)
			return 0;
		snprintf(err, ZSA_ERR_MAX, "stdin frame without the stdin field");
		return -1;
	case ZS_STDIN_EOF:
		if (n == 0)
			return 0;
		break;
	case ZS_RESIZE:
		if (n == 4 && r->tty)
			return 0;
		break;
	case ZS_SIGNAL:
		if (n == 4 &&
		    (r->op == ZSA_OP_RUN || r->op == ZSA_OP_EXEC || r->op == ZSA_OP_ATTACH))
			return 0;
		break;
	default:
		snprintf(err, ZSA_ERR_MAX, "frame type %u not allowed while the command runs",
			 type);
		return -1;
	}
	snprintf(err, ZSA_ERR_MAX, "frame type %u: bad length %zu or not allowed here", type, n);
	return -1;
}
