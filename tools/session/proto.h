/*
 * The session protocol between zonectl (control zone) and zv-agent (each agent
 * zone's guest agent), over one AF_VSOCK stream per session.  zonectl connects
 * to the zone's CID (ps --json "cid") on port ZS_AGENT_PORT; the hypervisor
 * relays only connections the control zone opens (docs/sessions.md).
 *
 * Both sides are untrusted by the other: the agent runs inside the zone (root
 * there may replace it), so zonectl checks every frame it gets; the agent
 * checks zonectl's frames as it would any input.  A bad frame ends that
 * session only.
 *
 * Wire format: frames, each a struct zs_frame header and hdr.len bytes of
 * payload (len <= ZS_FRAME_MAX), integers little-endian.  A session is:
 *
 *   client: ZS_REQ field... ZS_REQ_END          (the request)
 *   agent:  ZS_STARTED | ZS_ERROR               (ERROR: then the agent closes)
 *   both:   ZS_STDIN / ZS_STDIN_EOF / ZS_RESIZE / ZS_SIGNAL  (client -> agent)
 *           ZS_STDOUT / ZS_STDERR                            (agent -> client)
 *   agent:  ZS_EXIT, then it closes.
 *
 * A client that closes its end early (detach) leaves the command running for
 * op "run" and "attach" (the zone's main command); for "exec" the agent sends
 * SIGHUP to the session's process group (as a terminal hangup would).
 *
 * Session mode.  `zonectl run` with -i, -t, -e, -w, -u or a secret starts the
 * zone with `zv_session=1` on the kernel command line and no command after
 * ` -- `: /init runs `zv-agent --main` in the foreground, which waits for op
 * "run" (the command, its environment and secrets) and exits with the
 * command's status.  Every other agent zone runs zv-agent in the background
 * beside /init's command, so exec and cp work there too.
 */
#ifndef ZV_SESSION_PROTO_H
#define ZV_SESSION_PROTO_H

#include <stdint.h>

#define ZS_AGENT_PORT 1024 /* the agent's vsock port in every agent zone */
#define ZS_VERSION    1

#define ZS_FRAME_MAX	  65536	    /* payload bytes of one frame */
#define ZS_REQUEST_MAX	  (1 << 20) /* all ZS_REQ payloads of one request together */
#define ZS_ERROR_MAX	  1024	    /* bytes of a ZS_ERROR message (printable ASCII) */
#define ZS_SECRET_NAME_MAX 64	    /* [A-Za-z_][A-Za-z0-9_]* */
#define ZS_SECRET_MAX	  65536	    /* bytes of one secret's value */

struct zs_frame {
	uint32_t len; /* payload bytes that follow, 0..ZS_FRAME_MAX */
	uint8_t type; /* enum zs_type */
	uint8_t reserved[3];
};

enum zs_type {
	/* client -> agent */
	ZS_REQ = 1,	  /* one request field: u8 tag (enum zs_tag), then its value */
	ZS_REQ_END = 2,	  /* the request is complete: start it */
	ZS_STDIN = 3,	  /* bytes for the command's stdin (or its terminal) */
	ZS_STDIN_EOF = 4, /* no more stdin: the agent closes the command's stdin */
	ZS_RESIZE = 5,	  /* u16 rows, u16 cols: the terminal's new size (TIOCSWINSZ) */
	ZS_SIGNAL = 6,	  /* u32 signal number (1..31) for the session's process group */
	/* agent -> client */
	ZS_STARTED = 16, /* empty: the command runs */
	ZS_STDOUT = 17,	 /* bytes of its stdout (with a terminal: everything it prints) */
	ZS_STDERR = 18,	 /* bytes of its stderr (never with a terminal) */
	ZS_EXIT = 19,	 /* i32 status: 0..255 its exit code, 128+N killed by signal N */
	ZS_ERROR = 20,	 /* the request failed before the command ran: a message */
	ZS_STAT = 21,	 /* op "stat": u8 enum zs_stat_kind */
};

/* Fields of a request (ZS_REQ payload byte 0).  Order does not matter except
 * that ZS_T_OP comes first. */
enum zs_tag {
	ZS_T_OP = 1,	 /* "run" | "exec" | "attach" | "cp-in" | "cp-out" | "stat" */
	ZS_T_ARG = 2,	 /* one argv word, repeated (run/exec); none for run: a login shell */
	ZS_T_ENV = 3,	 /* "KEY=VALUE" (run/exec) */
	ZS_T_SECRET = 4, /* "NAME=VALUE" (run only): env var NAME and /run/secrets/NAME */
	ZS_T_CWD = 5,	 /* working directory (default: /workspace if it exists, else /) */
	ZS_T_USER = 6,	 /* "NAME", "UID" or "UID:GID" (default root) */
	ZS_T_TTY = 7,	 /* u16 rows, u16 cols: run the command on a new terminal */
	ZS_T_STDIN = 8,	 /* empty: the client sends stdin (else /dev/null); cp-in: implied */
	ZS_T_PATH = 9,	 /* cp-in: directory to unpack the tar stream in; cp-out, stat: path */
	ZS_T_NAME = 10,	 /* cp-in: the name the stream's one top-level entry gets in PATH */
};

/* op "cp-in": the client sends a tar stream as ZS_STDIN and ZS_STDIN_EOF; the
 * agent unpacks it in ZS_T_PATH (an existing directory) keeping modes and
 * symlinks (tar -x -p), and answers ZS_EXIT (tar's status).  With ZS_T_NAME
 * the stream must hold one top-level entry (a file or a directory tree): the
 * agent unpacks it beside PATH's entries under a temporary name and renames
 * it to PATH/NAME (docker cp SRC zone:/new/name), replacing a file of that
 * name but never a directory.
 * op "cp-out": the agent sends `tar -c -C dirname(PATH) basename(PATH)` as
 * ZS_STDOUT, tar's messages as ZS_STDERR, then ZS_EXIT.
 * op "stat": the agent answers ZS_STAT and closes (no ZS_STARTED). */
enum zs_stat_kind {
	ZS_STAT_NONE = 0, /* no such path */
	ZS_STAT_DIR = 1,
	ZS_STAT_FILE = 2, /* anything else: a file, a symlink, a device */
};

#endif
