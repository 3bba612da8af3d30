/* The caller's terminal during a session (session_term.h).  A terminal left
 * in raw mode is unusable, so every exit path restores it: the normal one
 * (atexit), and the signals that end zonectl (their handlers restore, then
 * re-raise with the default action, so the exit status tells the signal). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pipe2 */
#endif
#include "tools/zonectl/session_term.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved_tio;
static volatile sig_atomic_t saved_fd = -1;
static int signal_pipe[2] = {-1, -1};

void zs_winsize(int fd, uint16_t *rows, uint16_t *cols)
{
	struct winsize ws;

	*rows = 24;
	*cols = 80;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
		*rows = ws.ws_row;
		*cols = ws.ws_col;
	}
}

void zs_term_restore(void)
{
	int fd = saved_fd;

	if (fd >= 0) {
		tcsetattr(fd, TCSAFLUSH, &saved_tio); /* async-signal-safe (signal-safety(7)) */
		saved_fd = -1;
	}
}

static void on_fatal(int sig)
{
	int e = errno;

	zs_term_restore();
	signal(sig, SIG_DFL);
	raise(sig);
	errno = e;
}

int zs_term_raw(int fd)
{
	static const int fatal[] = {SIGTERM, SIGHUP, SIGINT, SIGQUIT};
	static int registered;
	struct termios raw;
	struct sigaction sa;

	if (tcgetattr(fd, &saved_tio) != 0)
		return -1;
	if (!registered) {
		atexit(zs_term_restore);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_fatal;
		sigemptyset(&sa.sa_mask);
		for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
			sigaction(fatal[i], &sa, NULL);
		registered = 1;
	}
	raw = saved_tio;
	cfmakeraw(&raw);
	saved_fd = fd;
	if (tcsetattr(fd, TCSAFLUSH, &raw) != 0) {
		saved_fd = -1;
		return -1;
	}
	return 0;
}

static void on_signal(int sig)
{
	int e = errno;
	char one = (char)sig;

	if (write(signal_pipe[1], &one, 1) < 0) { /* full: the session is far behind */
	}
	errno = e;
}

int zs_signal_fd(int winch, int forward)
{
	struct sigaction sa;

	if (signal_pipe[0] < 0 && pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (winch)
		sigaction(SIGWINCH, &sa, NULL);
	if (forward) {
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	return signal_pipe[0];
}

void zs_signal_restore(void)
{
	signal(SIGWINCH, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
}
