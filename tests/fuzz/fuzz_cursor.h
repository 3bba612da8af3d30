/* A fuzzer's input read as little-endian values, zeros once it runs out. */
#ifndef ZV_TESTS_FUZZ_CURSOR_H
#define ZV_TESTS_FUZZ_CURSOR_H

#include <stddef.h>
#include <stdint.h>

struct cursor {
	const uint8_t *p;
	size_t left;
};

/* The next `bytes` bytes (at most 8) as a little-endian value. */
static inline uint64_t take(struct cursor *c, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes && c->left; i++, c->left--)
		v |= (uint64_t)*c->p++ << (8 * i);
	return v;
}

#endif
