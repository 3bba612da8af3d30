/* zv-agent: the guest agent of every agent zone (docs/sessions.md).  Types and
 * functions shared by its files: request.c (parsing a request), frame.c
 * (reading and writing frames), spawn.c (starting a command chrooted),
 * user.c (/etc/passwd lookups), secrets.c (/run/secrets), cp.c (cp-in,
 * cp-out, stat), session.c (the poll loop that serves sessions). */
#ifndef ZV_AGENT_H
#define ZV_AGENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tools/session/proto.h"

enum zsa_op {
	ZSA_OP_NONE,
	ZSA_OP_RUN,
	ZSA_OP_EXEC,
	ZSA_OP_ATTACH,
	ZSA_OP_CP_IN,
	ZSA_OP_CP_OUT,
	ZSA_OP_STAT,
};

/* Bounds on a request beyond ZS_REQUEST_MAX: each list is an array we size. */
#define ZSA_ARGV_MAX	4096
#define ZSA_ENV_MAX	1024
#define ZSA_SECRETS_MAX 64
#define ZSA_ERR_MAX	256 /* our ZS_ERROR messages (< ZS_ERROR_MAX) */

/* A parsed request.  Every string is a NUL-terminated copy without inner NUL
 * bytes; the arrays end with NULL. */
struct zsa_req {
	enum zsa_op op;
	char **argv;
	size_t argc;
	char **env; /* "KEY=VALUE" */
	size_t envc;
	char **secrets; /* "NAME=VALUE": zeroed by zsa_req_free */
	size_t nsecrets;
	char *cwd, *user, *path, *name;
	int tty;
	uint16_t rows, cols;
	int want_stdin;
	int done;     /* ZS_REQ_END seen and the request is complete */
	size_t bytes; /* ZS_REQ payload bytes so far (<= ZS_REQUEST_MAX) */
};

/* request.c (pure: no system calls) */
void zsa_req_init(struct zsa_req *r);
/* Zeroes (explicit_bzero) and frees everything the request holds. */
void zsa_req_free(struct zsa_req *r);
/* Takes one client frame received before the request completed.  Returns 1 when
 * it was ZS_REQ_END and the request is complete, 0 when more must follow, -1 with
 * a message in err (ZSA_ERR_MAX bytes) when the frame is invalid. */
int zsa_req_frame(struct zsa_req *r, uint8_t type, const uint8_t *p, size_t n, char *err);
/* 1 if s (n bytes) is a valid secret name: [A-Za-z_][A-Za-z0-9_]*, 1..ZS_SECRET_NAME_MAX. */
int zsa_secret_name_ok(const char *s, size_t n);
/* 1 if s is a valid cp-in NAME: no '/', not "", "." or "..". */
int zsa_entry_name_ok(const char *s);
/* Checks a frame the client sends once the command runs (type and length).
 * Returns 0 or -1 with a message. */
int zsa_check_running_frame(const struct zsa_req *r, uint8_t type, size_t n, char *err);

/* frame.c */
struct zsa_rx {
	uint8_t hdr[sizeof(struct zs_frame)];
	size_t got; /* bytes of header + payload read so far */
	uint32_t len;
	uint8_t type;
	uint8_t payload[ZS_FRAME_MAX];
};
/* Reads what the socket has of the current frame.  Returns 1 when a frame is
 * complete (rx->type, rx->len, rx->payload; the next call starts a new one), 0
 * when more bytes must come (EAGAIN), -1 on end of stream or an error, -2 (err
 * set) when the header announces more than ZS_FRAME_MAX bytes. */
int zsa_rx_read(struct zsa_rx *rx, int fd, char *err);
/* Fills a frame header. */
void zsa_frame_hdr(struct zs_frame *h, uint8_t type, uint32_t len);
/* Writes one whole frame to a blocking descriptor.  0 or -1. */
int zsa_write_frame(int fd, uint8_t type, const void *p, size_t n);

/* spawn.c */
struct zsa_spawn {
	pid_t pid;
	int in, out, err; /* the command's stdin (write end), stdout, stderr; -1 if none */
	int tty;	  /* out is the PTY master (in is the same descriptor, dup'ed) */
};
/* An internal program run instead of exec in the chrooted child (cp.c): runs
 * as root in the root, returns the exit status. */
typedef int (*zsa_internal_fn)(const struct zsa_req *r);
/* Starts the request's command (or fn, when not NULL) in a child chrooted to
 * root: user, secrets, environment, working directory, terminal or pipes.
 * Returns 0, or -1 with a message in err (the child's own, if it failed
 * before exec). */
int zsa_spawn(const struct zsa_req *r, const char *root, zsa_internal_fn fn, struct zsa_spawn *s,
	      char *err);

/* user.c: run in the chrooted child; reads /etc/passwd and /etc/group there. */
struct zsa_user {
	uid_t uid;
	gid_t gid;
	char name[64];
	char home[256];
	gid_t groups[64];
	int ngroups;
};
/* Resolves "NAME", "UID", "UID:GID" or "NAME:GROUP" (NULL: root).  0 or -1 + err. */
int zsa_user_lookup(const char *spec, struct zsa_user *u, char *err);

/* secrets.c: in the chrooted child, as root. */
/* Writes each secret to /run/secrets/NAME (0400, owned by u; the folder 0500).  0 or -1. */
int zsa_secrets_write(const struct zsa_req *r, const struct zsa_user *u, char *err);

/* cp.c: internal programs for cp-in with NAME and stat; tar argv for the rest. */
int zsa_cp_in_named(const struct zsa_req *r);
int zsa_stat_kind(const struct zsa_req *r);
/* The internal program for a cp-in, cp-out or stat request. */
zsa_internal_fn zsa_cp_fn(const struct zsa_req *r);

/* session.c */
struct zsa_agent {
	const char *root;   /* the zone's root (chroot for every child) */
	int main_mode;	    /* --main: serve one op "run", exit with its status */
	int listen_fd;	    /* accepting socket, or -1 */
	int console_fd;	    /* where the main command's output also goes, or -1 */
	int initial_fd;	    /* a connected client to serve first, or -1 */
	int exit_when_idle; /* return once no connection and no process remains */
};
/* Serves sessions until the main command ends (--main: returns its status) or,
 * with exit_when_idle, until nothing is left (returns 0). */
int zsa_serve(const struct zsa_agent *a);
/* The status zonectl reports for a wait status: 0..255, or 128+signal. */
int zsa_exit_code(int wstatus);

#endif
