/* memset/memcpy/memmove/memcmp for the hypervisor: gcc emits calls to them even when freestanding.
 */
#if !defined(ZV_HOST_TEST) && !defined(ZV_LOADER)

#include <stddef.h>
#include <stdint.h>

#include "hv/lib/string.h"

/* See hv/lib/string.c: keep memmove's loops from becoming calls to itself. */
#if defined(__clang__)
#define ZV_NO_LIBCALL __attribute__((no_builtin))
#elif defined(__GNUC__)
#define ZV_NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define ZV_NO_LIBCALL
#endif

/* GCC manual, "Standards": freestanding code must still supply these four. */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);

void *memset(void *dst, int c, size_t n)
{
	return zv_memset(dst, c, n);
}

void *memcpy(void *dst, const void *src, size_t n)
{
	return zv_memcpy(dst, src, n);
}

/* Copies forwards when dst is below src, backwards otherwise, so overlap is safe. */
ZV_NO_LIBCALL void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	size_t i;

	if ((uintptr_t)d < (uintptr_t)s) {
		for (i = 0; i < n; i++)
			d[i] = s[i];
	} else {
		while (n--)
			d[n] = s[n];
	}
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	return zv_memcmp(a, b, n);
}

#else
/* ISO C 6.9p1: a translation unit must not be empty. */
typedef int zv_builtins_unused;
#endif
