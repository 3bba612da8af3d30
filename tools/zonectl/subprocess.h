/* Running one of Debian's tools from zonectl, optionally as an unprivileged user. */
#ifndef ZV_ZONECTL_SUBPROCESS_H
#define ZV_ZONECTL_SUBPROCESS_H

#include <stdint.h>
#include <sys/types.h>

struct zc_tool {
	char *const *argv; /* NULL-terminated; argv[0] is looked up in PATH */
	const char *cwd;   /* the child's working directory, or NULL */
	int out_fd;	   /* the child's stdout, or -1 for ours */
	int err_fd;	   /* the child's stderr, or -1 for ours */
	int drop;	   /* nonzero: run as uid:gid with no supplementary groups */
	uid_t uid;
	gid_t gid;
	uint64_t caps;	    /* with drop: the capabilities kept (bit n: capability n,
			     * <linux/capability.h>), ambient so they survive exec */
	int own_session;    /* nonzero: in a session and process group of its own */
	unsigned timeout_s; /* nonzero: its process group is killed after this long,
			     * it is killed when we die, and RLIMIT_CPU is this */
	uint64_t fsize_max; /* nonzero: RLIMIT_FSIZE, the largest file it may write */
	unsigned nproc_max; /* nonzero: RLIMIT_NPROC, processes of its uid */
	int in_fd;	    /* > 0: the child's stdin (else ours) */
};

#define ZC_TOOL_TIMED_OUT (-2)

/* Runs T and waits.  Its exit status (0-255), ZC_TOOL_TIMED_OUT when it ran
 * past t->timeout_s (then its process group was killed), or -1 when it could
 * not be started, was killed by a signal or could not drop its privileges
 * (said on stderr).  Dropping needs root. */
int zc_tool_run(const struct zc_tool *t);

/* zc_tool_run in two halves, for a tool that streams through a pipe while
 * zonectl does something else: the child's pid (or -1), then its status as
 * zc_tool_run says it.  T must stay valid until zc_tool_wait. */
pid_t zc_tool_start(const struct zc_tool *t);
int zc_tool_wait(const struct zc_tool *t, pid_t pid);

/* Kills every process of UID (SIGKILL), whatever its process group or
 * session: a child that becomes UID:GID (needs root) and signals -1, which
 * reaches exactly the processes whose real or saved uid is UID (kill(2)).
 * 0, or -1 with errno.  Nothing of UID runs once it returns, as long as
 * nothing else starts processes as UID. */
int zc_kill_uid(uid_t uid, gid_t gid);

#endif
