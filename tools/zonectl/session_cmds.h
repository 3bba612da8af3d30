/* zonectl's session commands (session_cmds.c, session_cp.c): exec, attach,
 * cp, and what run needs for a session-mode zone. */
#ifndef ZV_ZONECTL_SESSION_CMDS_H
#define ZV_ZONECTL_SESSION_CMDS_H

#include <stddef.h>

#include "tools/zonectl/session_client.h"
#include "zones/control/proto.h"

#define ZS_EXIT_START  125 /* the session could not start, or a protocol error */
#define ZS_EXIT_REFUSE 126 /* the agent refused the request (ZS_ERROR) */

struct zs_secret {
	char *text; /* "NAME=VALUE", zeroed and freed after sending */
	size_t len;
};

/* The options run and exec share. */
struct zs_opts {
	int interactive, tty;
	char **env; /* "KEY=VALUE" */
	int nenv;
	const char *cwd, *user;
	struct zs_secret *secrets;
	int nsecrets;
	char audit_text[ZCTL_SESSION_TEXT_LEN]; /* the command's words, for the audit log */
};

/* getopt's long options for them (-i -t -e -w -u), and run's secrets. */
#define ZS_OPT_SECRET	   1000
#define ZS_OPT_SECRET_FILE 1001

/* Takes option C (one of the above) with ARG into O: NULL, or why it is
 * refused (a usage error).  Consumes --secret NAME=VALUE's value from ARG,
 * zeroing it there (it stays out of ps listings from then on). */
const char *zs_parse_opt(struct zs_opts *o, int c, char *arg);
/* Whether any option would need session mode. */
int zs_opts_any(const struct zs_opts *o);

/* Connects to zone NAME's agent, retrying while the zone runs and its agent
 * is not listening yet (its boot), for up to 60 s; the channel is open.  The
 * fd, or -1 after a message (*GONE set when the zone is not running). */
int zs_connect(const char *name, int *gone);

/* The request for OP (run or exec) with O and the command's N WORDS into R;
 * secrets are moved into it and zeroed in O.  0, or -1 when it is too big. */
int zs_build(struct zs_req *r, const char *op, struct zs_opts *o, char **words, int n);

/* Runs the session on FD: raw terminal when O asks for one and stdin is one,
 * window sizes, detach keys; restores the terminal; says so on a detach.
 * UNTIL_STARTED: return once the command runs.  OP: the request's. */
struct zs_result zs_stream(const char *zone, int fd, const struct zs_req *req,
			   const struct zs_opts *o, int until_started, const char *op);

int cmd_exec(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_cp(int argc, char **argv);

#endif
