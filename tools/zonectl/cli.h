/* zonectl.c's command-line helpers, shared with the commands in other files. */
#ifndef ZV_ZONECTL_CLI_H
#define ZV_ZONECTL_CLI_H

#include <getopt.h>
#include <stdint.h>

#include "zones/control/proto.h"

/* USAGE on stdout (status 0) or stderr, then exit(STATUS). */
void usage_exit(const char *usage, int status) __attribute__((noreturn));
/* "zonectl CMD: MESSAGE" and a hint on stderr, then exit 2. */
void usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));
/* getopt_long with zonectl's messages; the option, or -1 at the first operand. */
int next_option(const char *cmd, int argc, char **argv, const char *shorts,
		const struct option *longs);
/* The zone table from ps, names terminated; *COUNT entries (channel open). */
const struct zctl_zone *zc_fetch_zones(uint32_t *count);

#endif
