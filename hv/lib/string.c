/* Freestanding string and memory helpers (hv/lib/string.h): plain byte loops. */
#include "hv/lib/string.h"

#include <stdint.h>

/*
 * The compiler may turn a byte loop into a call to memset/memcpy, and
 * hv/lib/builtins.c implements those with these functions: forbid the
 * transformation here so the two can never call each other forever.
 */
#if defined(__clang__)
#define ZV_NO_LIBCALL __attribute__((no_builtin))
#elif defined(__GNUC__)
#define ZV_NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define ZV_NO_LIBCALL
#endif

#ifdef ZV_HOST_TEST
/* Plain loops in host tests, so AddressSanitizer sees every byte. */
ZV_NO_LIBCALL void *zv_memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;

	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

ZV_NO_LIBCALL void *zv_memcpy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}
#else
/* Wiping and loading zone memory, and moving disk blocks, are most of the
 * hypervisor's own work: the string instructions do it at memory speed.
 * The bulk goes 8 bytes per iteration: real CPUs run either form at the same
 * speed (fast-string microcode), but an emulator runs a REP instruction one
 * iteration at a time (QEMU's TCG re-enters the instruction for each), so
 * quadwords cost it an eighth. */
void *zv_memset(void *dst, int c, size_t n)
{
	void *d = dst;
	size_t quads = n / 8, rest = n % 8;
	uint64_t pattern = 0x0101010101010101ull * (uint8_t)c;

	__asm__ volatile("rep stosq" : "+D"(d), "+c"(quads) : "a"(pattern) : "memory");
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(rest) : "a"(c) : "memory");
	return dst;
}

void *zv_memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;
	size_t quads = n / 8, rest = n % 8;

	__asm__ volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(quads) : : "memory");
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(rest) : : "memory");
	return dst;
}
#endif

int zv_memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++) {
		if (*x != *y)
			return *x < *y ? -1 : 1;
	}
	return 0;
}

size_t zv_strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

size_t zv_strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

int zv_strcmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;

	while (*x && *x == *y) {
		x++;
		y++;
	}
	return (*x > *y) - (*x < *y);
}

int zv_strncmp(const char *a, const char *b, size_t n)
{
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;

	for (; n; n--, x++, y++) {
		if (*x != *y || !*x)
			return (*x > *y) - (*x < *y);
	}
	return 0;
}

size_t zv_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = zv_strlen(src);
	size_t n = len;

	if (size == 0)
		return len;
	if (n >= size)
		n = size - 1;
	zv_memcpy(dst, src, n);
	dst[n] = '\0';
	return len;
}
