/* Unit tests of hv/lib/string.c and hv/lib/fmt.c. */
#include <limits.h>
#include <stdarg.h>

#include "hv/lib/fmt.h"
#include "hv/lib/string.h"
#include "tests/unit/test.h"

/* No format attribute: lets the tests pass formats gcc would reject. */
static int raw_fmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = zv_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/* Formats with ours and checks text and return value against `want`. */
#define CHECK_FMT(want, ...)                                       \
	do {                                                       \
		char b_[256];                                      \
		int n_ = zv_snprintf(b_, sizeof(b_), __VA_ARGS__); \
		CHECK_STR(b_, want);                               \
		CHECK_EQ_U64(n_, strlen(want));                    \
	} while (0)

/* Like CHECK_FMT, for formats gcc's format checking would reject. */
#define CHECK_RAW(want, ...)                                   \
	do {                                                   \
		char b_[256];                                  \
		int n_ = raw_fmt(b_, sizeof(b_), __VA_ARGS__); \
		CHECK_STR(b_, want);                           \
		CHECK_EQ_U64(n_, strlen(want));                \
	} while (0)

/* Formats with ours and with the C library and checks they agree. */
#define CHECK_LIBC(...)                                             \
	do {                                                        \
		char a_[256], c_[256];                              \
		int na_ = zv_snprintf(a_, sizeof(a_), __VA_ARGS__); \
		int nc_ = snprintf(c_, sizeof(c_), __VA_ARGS__);    \
		CHECK_STR(a_, c_);                                  \
		CHECK_EQ_U64(na_, nc_);                             \
	} while (0)

TEST(memset_memcpy_memcmp)
{
	unsigned char a[16], b[16];

	CHECK(zv_memset(a, 0xab, sizeof(a)) == a);
	for (size_t i = 0; i < sizeof(a); i++)
		CHECK_EQ_U64(a[i], 0xab);
	zv_memset(a, 0x1ff, 4); /* converted to unsigned char */
	CHECK_EQ_U64(a[0], 0xff);
	CHECK(zv_memcpy(b, a, sizeof(a)) == b);
	CHECK(zv_memcmp(a, b, sizeof(a)) == 0);
	b[5] = 0x01;
	CHECK(zv_memcmp(a, b, sizeof(a)) > 0);
	CHECK(zv_memcmp(b, a, sizeof(a)) < 0);
	CHECK(zv_memcmp(a, b, 5) == 0);
	CHECK(zv_memcmp(a, b, 0) == 0);
	zv_memcpy(b, a, 0);
	CHECK_EQ_U64(b[5], 0x01);
}

TEST(strlen_strnlen)
{
	CHECK_EQ_U64(zv_strlen(""), 0);
	CHECK_EQ_U64(zv_strlen("hello"), 5);
	CHECK_EQ_U64(zv_strnlen("hello", 3), 3);
	CHECK_EQ_U64(zv_strnlen("hello", 10), 5);
	CHECK_EQ_U64(zv_strnlen("hello", 0), 0);
	char unterminated[4] = {'a', 'b', 'c', 'd'};
	CHECK_EQ_U64(zv_strnlen(unterminated, sizeof(unterminated)), 4);
}

TEST(strcmp_strncmp)
{
	CHECK(zv_strcmp("abc", "abc") == 0);
	CHECK(zv_strcmp("abc", "abd") < 0);
	CHECK(zv_strcmp("abd", "abc") > 0);
	CHECK(zv_strcmp("ab", "abc") < 0);
	CHECK(zv_strcmp("abc", "ab") > 0);
	CHECK(zv_strcmp("", "") == 0);
	CHECK(zv_strcmp("\xff", "a") > 0); /* bytes compare as unsigned */
	CHECK(zv_strncmp("abcx", "abcy", 3) == 0);
	CHECK(zv_strncmp("abcx", "abcy", 4) < 0);
	CHECK(zv_strncmp("ab", "abc", 5) < 0);
	CHECK(zv_strncmp("abc", "abc", 100) == 0);
	CHECK(zv_strncmp("a", "b", 0) == 0);
	CHECK(zv_strncmp("\x80", "\x7f", 1) > 0);
}

TEST(strlcpy)
{
	char d[8];

	CHECK_EQ_U64(zv_strlcpy(d, "hi", sizeof(d)), 2);
	CHECK_STR(d, "hi");
	CHECK_EQ_U64(zv_strlcpy(d, "1234567", sizeof(d)), 7);
	CHECK_STR(d, "1234567");
	CHECK_EQ_U64(zv_strlcpy(d, "123456789", sizeof(d)), 9);
	CHECK_STR(d, "1234567");
	CHECK_EQ_U64(zv_strlcpy(d, "abc", 1), 3);
	CHECK_STR(d, "");
	d[0] = 'x';
	CHECK_EQ_U64(zv_strlcpy(d, "abc", 0), 3);
	CHECK_EQ_U64(d[0], 'x'); /* size 0 writes nothing */
}

TEST(fmt_integers_match_libc)
{
	CHECK_LIBC("%d %i %u", 42, -42, 42u);
	CHECK_LIBC("%d %d", INT_MIN, INT_MAX);
	CHECK_LIBC("%u %x %X", UINT_MAX, 0xdeadbeefu, 0xdeadbeefu);
	CHECK_LIBC("%ld %lu %lx", LONG_MIN, ULONG_MAX, 0x123456789abcdefUL);
	CHECK_LIBC("%lld %llu %llX", LLONG_MIN, ULLONG_MAX, 0xfedcba9876543210ULL);
	CHECK_LIBC("%zu %zx", (size_t)SIZE_MAX, (size_t)0x1000);
	CHECK_RAW("77 -1", "%zd %zd", (size_t)77, (size_t)-1);
	/* hh and h convert the promoted int back (C11 7.21.6.1p7). */
	CHECK_RAW("-1 44 -2 4464", "%hhd %hhu %hd %hu", -1, 300, -2, 70000);
	CHECK_LIBC("[%5d] [%-5d] [%05d]", 42, 42, 42);
	CHECK_RAW("[42   ]", "[%-05d]", 42); /* C11 7.21.6.1p6: '-' beats '0' */
	CHECK_LIBC("[%5d] [%05d] [%-6d]", -42, -42, -42);
	CHECK_LIBC("[%08x] [%8X] [%-8x]", 0xbeefu, 0xbeefu, 0xbeefu);
	CHECK_LIBC("[%016llx]", 0x1ULL);
	CHECK_LIBC("[%1d] [%0d] [%d]", 12345, 0, 0);
	CHECK_LIBC("[%.3d] [%5.3d] [%.0d]", 7, -7, 0);
	CHECK_RAW("[     00a]", "[%08.3x]", 0xau); /* precision beats '0' */
	CHECK_LIBC("[%*d] [%-*d] [%*d]", 6, 1, 6, 2, -6, 3);
}

TEST(fmt_strings_chars_percent)
{
	CHECK_LIBC("[%s] [%8s] [%-8s] [%2s]", "abc", "abc", "abc", "abcdef");
	CHECK_LIBC("[%.2s] [%5.1s] [%.*s]", "abc", "xyz", 3, "abcdef");
	CHECK_LIBC("[%c] [%3c] [%-3c]", 'a', 'b', 'c');
	CHECK_LIBC("100%%");
	CHECK_RAW("[%]", "[%5%]");
	CHECK_RAW("[(null)]", "[%s]", (const char *)NULL);
	CHECK_RAW("[  (null)]", "[%8s]", (const char *)NULL);
	CHECK_FMT("", "%s", "");
	CHECK_FMT("plain text", "plain text");
}

TEST(fmt_pointer)
{
	CHECK_FMT("0x1000", "%p", (void *)0x1000);
	CHECK_FMT("0x0", "%p", (void *)0);
	CHECK_FMT("0xffffffffffffffff", "%p", (void *)UINTPTR_MAX);
	CHECK_RAW("[0x00001000]", "[%010p]", (void *)0x1000);
	CHECK_FMT("[0x10  ]", "[%-6p]", (void *)0x10);
}

TEST(fmt_unknown_conversions_verbatim)
{
	char b[64];

	CHECK_EQ_U64(raw_fmt(b, sizeof(b), "a%qb"), 4);
	CHECK_STR(b, "a%qb");
	raw_fmt(b, sizeof(b), "%-08q|%d", 5);
	CHECK_STR(b, "%-08q|5"); /* no argument consumed by %q */
	raw_fmt(b, sizeof(b), "%f %e %o", 1);
	CHECK_STR(b, "%f %e %o");
	raw_fmt(b, sizeof(b), "end%");
	CHECK_STR(b, "end%");
	raw_fmt(b, sizeof(b), "end%-5");
	CHECK_STR(b, "end%-5");
	raw_fmt(b, sizeof(b), "end%l");
	CHECK_STR(b, "end%l");
}

TEST(fmt_truncation_and_return_value)
{
	char b[8];

	memset(b, 'x', sizeof(b));
	CHECK_EQ_U64(zv_snprintf(b, 4, "%s", "abcdef"), 6);
	CHECK_STR(b, "abc");
	CHECK_EQ_U64(b[4], 'x'); /* nothing written past size */
	CHECK_EQ_U64(zv_snprintf(b, 1, "%d", 12345), 5);
	CHECK_STR(b, "");
	CHECK_EQ_U64(zv_snprintf(NULL, 0, "%d-%s", 12345, "ab"), 8);
	b[0] = 'q';
	CHECK_EQ_U64(zv_snprintf(b, 0, "abc"), 3);
	CHECK_EQ_U64(b[0], 'q');
	CHECK_EQ_U64(zv_snprintf(b, sizeof(b), "1234567"), 7);
	CHECK_STR(b, "1234567");
	CHECK_EQ_U64(zv_snprintf(b, sizeof(b), "12345678"), 8);
	CHECK_STR(b, "1234567");
}

TEST(fmt_hostile_widths)
{
	char b[16];

	/* A silly width is clamped, never overflows an int or the buffer. */
	int n = raw_fmt(b, sizeof(b), "%99999999999999999999d", 1);
	CHECK(n > 0 && n <= 4096);
	CHECK_EQ_U64(strlen(b), sizeof(b) - 1);
	n = raw_fmt(b, sizeof(b), "%.99999999999999999999d", 1);
	CHECK(n > 0 && n <= 4096);
	n = raw_fmt(b, sizeof(b), "%*d", INT_MIN, 7);
	CHECK(n > 0 && n <= 4096);
	CHECK_EQ_U64(b[0], '7'); /* negative '*' width left-justifies */
}
