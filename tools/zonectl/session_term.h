/* The caller's terminal during a session with -t: raw mode, restored on
 * every way out; window size changes as a readable pipe. */
#ifndef ZV_ZONECTL_SESSION_TERM_H
#define ZV_ZONECTL_SESSION_TERM_H

#include <stdint.h>

/* FD's window size, or 24x80 when it is not a terminal or says 0. */
void zs_winsize(int fd, uint16_t *rows, uint16_t *cols);

/* Puts terminal FD in raw mode (cfmakeraw: every key goes to the zone,
 * Ctrl-C included) and makes sure it comes back: atexit, and SIGTERM,
 * SIGHUP, SIGINT and SIGQUIT restore it before they end zonectl.  0, or -1
 * when FD is not a terminal (then nothing changed). */
int zs_term_raw(int fd);

/* The terminal as it was before zs_term_raw; harmless when it was not called. */
void zs_term_restore(void);

/* A pipe's read end that gets one byte, the signal's number, for each
 * SIGWINCH (with WINCH) and, with FORWARD, each SIGINT and SIGTERM (which
 * then no longer end zonectl: the session passes them on); or -1. */
int zs_signal_fd(int winch, int forward);
/* SIGWINCH, SIGINT and SIGTERM back to their default actions: after a
 * session, Ctrl-C ends zonectl again. */
void zs_signal_restore(void);

#endif
