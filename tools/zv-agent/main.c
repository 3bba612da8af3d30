/* zv-agent: options, the vsock listener, and the exit status (docs/sessions.md).
 *
 * usage: zv-agent [--root DIR] [--main] [--listen-fd N] [--console PATH]
 *   --root DIR      the zone's root: every command, tar, /etc/passwd lookup and
 *                   /run/secrets is inside it (chroot in the child); default /
 *   --main          session mode: serve one op "run", exit with its status
 *   --listen-fd N   serve descriptor N instead of vsock port ZS_AGENT_PORT: a
 *                   listening socket, or one connected client (then exit when
 *                   its session and command are over); for host tests
 *   --console PATH  where the main command's output also goes (default
 *                   /dev/console)
 * Exit status: background mode 0 (also when the kernel has no vsock: one line
 * in the kernel log); --main the command's status, 125 (and a line on stderr)
 * when vsock is still missing after 30 s. */
#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tools/zv-agent/agent.h"

#define MAIN_WAIT_MS 30000 /* --main: how long the vsock device may take to appear */

static int usage(void)
{
	fprintf(stderr, "usage: zv-agent [--root DIR] [--main] [--listen-fd N] [--console PATH]\n");
	return 2;
}

/* 0 if the kernel has a guest-to-host vsock device; -1 (errno ENODEV) if not.
 * With the modules loaded but no device a bind still succeeds, and the agent
 * would wait for connections that cannot come; the local CID tells: it is
 * VMADDR_CID_ANY until a transport has a device. */
static int vsock_device(void)
{
	unsigned int cid = VMADDR_CID_ANY;
	int fd = open("/dev/vsock", O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return 0; /* no misc device to ask: let bind decide */
	rc = ioctl(fd, IOCTL_VM_SOCKETS_GET_LOCAL_CID, &cid);
	close(fd);
	if (rc == 0 && cid == VMADDR_CID_ANY) {
		errno = ENODEV;
		return -1;
	}
	return 0;
}

/* The vsock listener, or -1 with errno. */
static int vsock_listen(void)
{
	struct sockaddr_vm addr = {
		.svm_family = AF_VSOCK,
		.svm_cid = VMADDR_CID_ANY,
		.svm_port = ZS_AGENT_PORT,
	};
	int fd;

	if (vsock_device() < 0)
		return -1;
	fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 16) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* In --main mode the transport's module may still be probing: retry a while.
 * In background mode a zone without vsock is normal (no device, or a kernel
 * without the modules): the one line goes to the kernel log at KERN_DEBUG
 * (dmesg, never the console, where it would land amid the command's output). */
static int vsock_listen_wait(int main_mode)
{
	int waited = 0, fd, e, log = -1, n;
	char line[160];

	while ((fd = vsock_listen()) < 0 && main_mode && waited < MAIN_WAIT_MS) {
		usleep(200 * 1000);
		waited += 200;
	}
	if (fd >= 0)
		return fd;
	e = errno;
	if (!main_mode)
		log = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	/* One write (a /dev/kmsg record); not dprintf, which fails there (lseek). */
	n = snprintf(line, sizeof(line), "%szv-agent: no vsock (port %d): %s\n",
		     log >= 0 ? "<7>" : "", ZS_AGENT_PORT, strerror(e));
	if (write(log >= 0 ? log : 2, line, (size_t)n) < 0)
		n = 0; /* nowhere else to say it */
	if (log >= 0)
		close(log);
	return -1;
}

/* --listen-fd: a listening socket, or one connected client. */
static void use_fd(struct zsa_agent *a, int fd)
{
	int listening = 0;
	socklen_t len = sizeof(listening);

	fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening) {
		a->listen_fd = fd;
	} else {
		a->initial_fd = fd;
		a->exit_when_idle = !a->main_mode;
	}
}

static int parse_args(int argc, char **argv, struct zsa_agent *a, int *fd, const char **console)
{
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(opt, "--main") == 0) {
			a->main_mode = 1;
			continue;
		}
		if (!val)
			return -1;
		i++;
		if (strcmp(opt, "--root") == 0)
			a->root = val;
		else if (strcmp(opt, "--console") == 0)
			*console = val;
		else if (strcmp(opt, "--listen-fd") == 0)
			*fd = atoi(val);
		else
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct zsa_agent a = {.root = "/", .listen_fd = -1, .console_fd = -1, .initial_fd = -1};
	const char *console = "/dev/console";
	int fd = -1;

	if (parse_args(argc, argv, &a, &fd, &console) < 0)
		return usage();
	if (chdir("/") < 0)
		return 125;
	if (fd >= 0) {
		use_fd(&a, fd);
	} else {
		a.listen_fd = vsock_listen_wait(a.main_mode);
		if (a.listen_fd < 0)
			return a.main_mode ? 125 : 0;
	}
	if (a.main_mode)
		a.console_fd = open(console, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	return zsa_serve(&a);
}
