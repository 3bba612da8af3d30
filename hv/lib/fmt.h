/* printf-style formatting into a buffer (pure; no allocation). */
#ifndef ZV_FMT_H
#define ZV_FMT_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Supports %d %i %u %x %X %p %s %c %% with flags '-' '0', a width, and the
 * length modifiers l, ll, z.  Always NUL-terminates when size > 0 and
 * returns the length the full output would have had (like C99 vsnprintf).
 */
int zv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int zv_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
