/* SHA-256 (FIPS 180-4, section 6.2), freestanding and incremental: the images' digests. */
#ifndef ZV_LIB_SHA256_H
#define ZV_LIB_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_BYTES 32u

struct sha256 {
	uint32_t h[8];
	uint64_t bytes; /* message length so far */
	uint8_t block[64];
	uint32_t fill; /* bytes waiting in block */
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t len);
/* Pads, writes the digest and leaves c to be re-initialised before reuse. */
void sha256_final(struct sha256 *c, uint8_t out[SHA256_BYTES]);
/* The digest as 64 lowercase hex digits and a NUL. */
void sha256_hex(const uint8_t digest[SHA256_BYTES], char out[2 * SHA256_BYTES + 1]);

#endif
