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
	uint64_t caps; /* with drop: the capabilities kept (bit n: capability n,
			* <linux/capability.h>), ambient so they survive exec */
};

/* Runs T and waits.  Its exit status (0-255), or -1 when it could not be
 * started, was killed by a signal or could not drop its privileges (said on
 * stderr).  Dropping needs root. */
int zc_tool_run(const struct zc_tool *t);

#endif
