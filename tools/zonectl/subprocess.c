/*
 * Runs a Debian tool for zonectl (subprocess.h).  With drop, the child gives
 * up root before exec: no supplementary groups, uid and gid set, only the
 * capabilities asked for kept (raised as ambient capabilities, which survive
 * the exec of an unprivileged program: capabilities(7), "Transformation of
 * capabilities during execve()"), and no_new_privs so that nothing it runs
 * can gain more through a setuid file; and it gives up the I/O ports
 * (the control channel) that zonectl holds.  A tool given a time limit runs
 * in a process group of its own, so that the whole group can be killed.
 */
#define _GNU_SOURCE /* setresuid, setresgid, setgroups */
#include "tools/zonectl/subprocess.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
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

/* 0, or -1 with errno: RESOURCE limited to MAX (0: left as it is). */
static int limit(int resource, uint64_t max)
{
	struct rlimit r = {(rlim_t)max, (rlim_t)max};

	return max ? setrlimit(resource, &r) : 0;
}

static void __attribute__((noreturn)) child(const struct zc_tool *t, pid_t parent)
{
	static const struct rlimit no_core = {0, 0};
	const char *step = "setsid";

	if (t->own_session && setsid() < 0)
		goto fail;
	step = "chdir";
	if (t->cwd && chdir(t->cwd) != 0)
		goto fail;
	step = "setrlimit";
	if (limit(RLIMIT_FSIZE, t->fsize_max) != 0 || limit(RLIMIT_NPROC, t->nproc_max) != 0 ||
	    (t->drop && setrlimit(RLIMIT_CORE, &no_core) != 0)) /* no core file in its cwd */
		goto fail;
	step = "dup2";
	if ((t->in_fd > 0 && dup2(t->in_fd, 0) < 0) || (t->out_fd >= 0 && dup2(t->out_fd, 1) < 0) ||
	    (t->err_fd >= 0 && dup2(t->err_fd, 2) < 0))
		goto fail;
	step = "dropping privileges";
	if (t->drop && drop_privileges(t) != 0)
		goto fail;
	/* A time limit holds if zonectl dies too: killed with it (after the
	 * uid change, which clears this; it survives exec, PR_SET_PDEATHSIG in
	 * prctl(2)), and no more CPU time than the limit. */
	step = "setting its time limit";
	if (t->timeout_s && (limit(RLIMIT_CPU, t->timeout_s) != 0 ||
			     prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent))
		goto fail;
	execvp(t->argv[0], t->argv);
	step = "exec";
fail:
	fprintf(stderr, "zonectl: cannot run %s (%s: %s)\n", t->argv[0], step, strerror(errno));
	_exit(127);
}

/* waitpid for PID, EINTR retried; with TIMEOUT_S, polled until then and
 * its process group and itself killed after.  0, 1 when it timed out (then
 * reaped), or -1. */
static int wait_for(pid_t pid, unsigned timeout_s, int *status)
{
	struct timespec now, end, nap = {0, 20 * 1000 * 1000};
	pid_t got;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout_s;
	for (;;) {
		got = waitpid(pid, status, timeout_s ? WNOHANG : 0);
		if (got == pid)
			return 0;
		if (got < 0 && errno != EINTR)
			return -1;
		if (!timeout_s)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end.tv_sec ||
		    (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
			break;
		nanosleep(&nap, NULL);
	}
	kill(-pid, SIGKILL); /* its group (own_session), then itself if it had none yet */
	kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return 1;
}

pid_t zc_tool_start(const struct zc_tool *t)
{
	pid_t pid, parent = getpid();

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0)
		child(t, parent);
	return pid;
}

int zc_tool_run(const struct zc_tool *t)
{
	pid_t pid = zc_tool_start(t);

	return pid < 0 ? -1 : zc_tool_wait(t, pid);
}

int zc_tool_wait(const struct zc_tool *t, pid_t pid)
{
	int status, waited;

	waited = wait_for(pid, t->timeout_s, &status);
	if (waited < 0)
		return -1;
	if (waited > 0) {
		fprintf(stderr, "zonectl: %s ran longer than %u s and was killed\n", t->argv[0],
			t->timeout_s);
		return ZC_TOOL_TIMED_OUT;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) != 127)
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		fprintf(stderr, "zonectl: %s was killed by signal %d\n", t->argv[0],
			WTERMSIG(status));
	return -1;
}

int zc_kill_uid(uid_t uid, gid_t gid)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* Without capabilities after setresuid (keepcaps is off), so kill
		 * reaches only what uid owns; -1 spares the sender itself.  A
		 * process of uid forking meanwhile is caught too: fork fails once
		 * SIGKILL is pending (copy_process). */
		if (ioperm(0, 65536, 0) != 0 && errno != ENOSYS)
			_exit(1);
		if (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 ||
		    setresuid(uid, uid, uid) != 0)
			_exit(1);
		if (kill(-1, SIGKILL) != 0 && errno != ESRCH)
			_exit(1);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		errno = EPERM;
		return -1;
	}
	return 0;
}
