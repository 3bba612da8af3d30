/*
 * Runs a Debian tool for zonectl (subprocess.h).  With drop, the child gives
 * up root before exec: no supplementary groups, uid and gid set, only the
 * capabilities asked for kept (raised as ambient capabilities, which survive
 * the exec of an unprivileged program: capabilities(7), "Transformation of
 * capabilities during execve()"), and no_new_privs so that nothing it runs
 * can gain more through a setuid file; and it gives up the I/O ports
 * (the control channel) that zonectl holds.
 */
#define _GNU_SOURCE /* setresuid, setresgid, setgroups */
#include "tools/zonectl/subprocess.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* 0, or -1 with errno: uid/gid set, only t->caps left (permitted, effective,
 * inheritable and ambient). */
static int drop_privileges(const struct zc_tool *t)
{
	struct __user_cap_header_struct head = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	/* I/O port access (the control channel's, channel.c) survives fork and
	 * exec (ioperm(2)); giving it up needs no privilege.  ENOSYS: a kernel
	 * without ioperm, so there is nothing to give up. */
	if (ioperm(0, 65536, 0) != 0 && errno != ENOSYS)
		return -1;
	/* keep the permitted set across setresuid, to narrow it below */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 || setgroups(0, NULL) != 0 ||
	    setresgid(t->gid, t->gid, t->gid) != 0 || setresuid(t->uid, t->uid, t->uid) != 0)
		return -1;
	memset(data, 0, sizeof(data));
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		uint32_t word = (uint32_t)(t->caps >> (32 * i));

		data[i].permitted = data[i].effective = data[i].inheritable = word;
	}
	if (syscall(SYS_capset, &head, data) != 0)
		return -1;
	for (unsigned cap = 0; cap < 64; cap++)
		if ((t->caps >> cap & 1) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0)
			return -1;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

static void __attribute__((noreturn)) child(const struct zc_tool *t)
{
	const char *step = "chdir";

	if (t->cwd && chdir(t->cwd) != 0)
		goto fail;
	step = "dup2";
	if ((t->out_fd >= 0 && dup2(t->out_fd, 1) < 0) ||
	    (t->err_fd >= 0 && dup2(t->err_fd, 2) < 0))
		goto fail;
	step = "dropping privileges";
	if (t->drop && drop_privileges(t) != 0)
		goto fail;
	execvp(t->argv[0], t->argv);
	step = "exec";
fail:
	fprintf(stderr, "zonectl: cannot run %s (%s: %s)\n", t->argv[0], step, strerror(errno));
	_exit(127);
}

int zc_tool_run(const struct zc_tool *t)
{
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		child(t);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) != 127)
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		fprintf(stderr, "zonectl: %s was killed by signal %d\n", t->argv[0],
			WTERMSIG(status));
	return -1;
}
