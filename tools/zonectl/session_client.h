/* One session with a zone's agent over a connected stream (session_client.c):
 * sends the request, then moves stdin, output, window sizes and detach keys
 * until the command's exit.  Takes a connected fd so that tests can drive it
 * over a socketpair with a scripted agent. */
#ifndef ZV_ZONECTL_SESSION_CLIENT_H
#define ZV_ZONECTL_SESSION_CLIENT_H

#include <stdint.h>
#include <stdio.h>

#include "tools/zonectl/session_wire.h"

struct zs_io {
	const char *zone;  /* for messages */
	int in_fd;	   /* sent as ZS_STDIN (then ZS_STDIN_EOF), or -1 */
	int out_fd;	   /* ZS_STDOUT's bytes */
	int err_fd;	   /* ZS_STDERR's bytes */
	int tty;	   /* the request has ZS_T_TTY */
	int detach_keys;   /* Ctrl-P Ctrl-Q on in_fd ends the session (ZS_DETACHED) */
	int signal_fd;	   /* bytes, each a signal's number (zs_signal_fd), or -1:
			    * SIGWINCH sends ZS_RESIZE, any other ZS_SIGNAL */
	int size_fd;	   /* the terminal whose size ZS_RESIZE sends */
	int stat;	   /* op "stat": wait for ZS_STAT */
	int until_started; /* return ZS_STARTED_ONLY once the command runs (run -d) */
};

enum zs_end {
	ZS_END_EXIT,	 /* ZS_EXIT: status */
	ZS_END_STAT,	 /* ZS_STAT: kind */
	ZS_END_STARTED,	 /* until_started and ZS_STARTED came */
	ZS_END_DETACHED, /* the user typed the detach keys */
	ZS_END_REFUSED,	 /* ZS_ERROR: the message is printed */
	ZS_END_CLOSED,	 /* the stream ended without ZS_EXIT (the zone stopped?) */
	ZS_END_PROTOCOL, /* a frame broke the protocol: said on stderr */
	ZS_END_IO,	 /* reading or writing failed: said on stderr */
};

struct zs_result {
	enum zs_end end;
	int status;	    /* ZS_END_EXIT's exit status */
	uint8_t kind;	    /* ZS_END_STAT's enum zs_stat_kind */
	uint64_t bytes_in;  /* stdin bytes sent (ZS_STDIN payloads) */
	uint64_t bytes_out; /* output bytes received (ZS_STDOUT and ZS_STDERR payloads) */
};

/* Where the session's messages go (NULL: stderr); the fuzzer's /dev/null. */
extern FILE *zs_messages;

/* Sends REQ (a finished request) on FD and runs the session with IO.  FD
 * is left open. */
struct zs_result zs_session(int fd, const struct zs_req *req, const struct zs_io *io);

/* zonectl's exit status for R: the command's, 125 for a protocol error, 126
 * when the agent refused the request, 1 otherwise. */
int zs_exit_status(struct zs_result r);

#endif
