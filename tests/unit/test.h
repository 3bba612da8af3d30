/* A tiny unit-test framework: TEST() registers, CHECK*() records and continues, main() reports. */
#ifndef ZV_UNIT_TEST_H
#define ZV_UNIT_TEST_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define ZV_TEST_MAX 512

struct zv_test {
	const char *name;
	void (*fn)(void);
};

static struct zv_test zv_tests[ZV_TEST_MAX];
static int zv_test_count;
static const char *zv_test_current;
static int zv_test_failures; /* failed checks in the test now running */

static inline void zv_test_register(const char *name, void (*fn)(void))
{
	if (zv_test_count >= ZV_TEST_MAX) {
		fprintf(stderr, "test.h: more than %d tests\n", ZV_TEST_MAX);
		return;
	}
	zv_tests[zv_test_count].name = name;
	zv_tests[zv_test_count++].fn = fn;
}

/* Defines test function `name` and registers it before main() runs. */
#define TEST(name)                                                        \
	static void zv_test_##name(void);                                 \
	__attribute__((constructor)) static void zv_register_##name(void) \
	{                                                                 \
		zv_test_register(#name, zv_test_##name);                  \
	}                                                                 \
	static void zv_test_##name(void)

static inline void zv_check_failed(const char *file, int line, const char *what)
{
	zv_test_failures++;
	printf("FAIL %s: %s:%d: %s\n", zv_test_current, file, line, what);
}

#define CHECK(cond)                                                 \
	do {                                                        \
		if (!(cond))                                        \
			zv_check_failed(__FILE__, __LINE__, #cond); \
	} while (0)

#define CHECK_EQ_U64(a, b)                                                                   \
	do {                                                                                 \
		uint64_t zv_a_ = (uint64_t)(a), zv_b_ = (uint64_t)(b);                       \
		if (zv_a_ != zv_b_) {                                                        \
			char zv_m_[256];                                                     \
			snprintf(zv_m_, sizeof(zv_m_),                                       \
				 "%s == %s (0x%" PRIx64 " != 0x%" PRIx64 ")", #a, #b, zv_a_, \
				 zv_b_);                                                     \
			zv_check_failed(__FILE__, __LINE__, zv_m_);                          \
		}                                                                            \
	} while (0)

/* Both strings non-NULL and equal; prints both when they differ. */
#define CHECK_STR(a, b)                                                                       \
	do {                                                                                  \
		const char *zv_a_ = (a), *zv_b_ = (b);                                        \
		if (!zv_a_ || !zv_b_ || strcmp(zv_a_, zv_b_) != 0) {                          \
			char zv_m_[1024];                                                     \
			snprintf(zv_m_, sizeof(zv_m_), "%s == %s (\"%s\" != \"%s\")", #a, #b, \
				 zv_a_ ? zv_a_ : "(null)", zv_b_ ? zv_b_ : "(null)");         \
			zv_check_failed(__FILE__, __LINE__, zv_m_);                           \
		}                                                                             \
	} while (0)

static inline int zv_test_selected(int argc, char **argv, const char *name)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], name) == 0)
			return 1;
	}
	return 0;
}

/* Runs every test (or those named on the command line); exit 1 on any failure. */
int main(int argc, char **argv)
{
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	int passed = 0, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0); /* keep FAIL lines if a sanitizer aborts */
	for (int i = 0; i < zv_test_count; i++) {
		if (!zv_test_selected(argc, argv, zv_tests[i].name))
			continue;
		zv_test_current = zv_tests[i].name;
		zv_test_failures = 0;
		zv_tests[i].fn();
		if (zv_test_failures)
			failed++;
		else
			passed++;
	}
	printf("unit %s: %d passed, %d failed\n", prog, passed, failed);
	return failed ? 1 : 0;
}

#endif
