/* Unit tests of hv/lib/sha256.c: the NIST examples for FIPS 180-4 (SHA256.pdf, and the
 * one-million-'a' message), chunkings that cross block boundaries, and Debian's sha256sum. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "hv/lib/sha256.h"
#include "tests/unit/test.h"

static void digest_hex(const void *m, size_t len, size_t step, char hex[65])
{
	struct sha256 c;
	uint8_t d[SHA256_BYTES];
	const uint8_t *p = m;

	sha256_init(&c);
	for (size_t at = 0; at < len; at += step)
		sha256_update(&c, p + at, len - at < step ? len - at : step);
	sha256_final(&c, d);
	sha256_hex(d, hex);
}

TEST(sha256_nist_vectors)
{
	static const char two_block[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char hex[65];

	digest_hex("abc", 3, 3, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	digest_hex("", 0, 1, hex);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	digest_hex(two_block, 56, 56, hex);
	CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	for (size_t step = 1; step <= 57; step += 7) { /* chunkings across the boundary */
		digest_hex(two_block, 56, step, hex);
		CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	}
}

TEST(sha256_million_a)
{
	static uint8_t m[1000000];
	char hex[65];

	memset(m, 'a', sizeof(m));
	digest_hex(m, sizeof(m), sizeof(m), hex);
	CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	digest_hex(m, sizeof(m), 1000, hex);
	CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Lengths around every padding case (55, 56, 63, 64 mod 64) against Debian's sha256sum. */
TEST(sha256_matches_sha256sum)
{
	static uint8_t m[70000];
	static const size_t lens[] = {1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 4097, 70000};
	char path[] = "/tmp/zv-sha256-XXXXXX", cmd[64], want[80], hex[65];

	for (size_t i = 0; i < sizeof(m); i++)
		m[i] = (uint8_t)(i * 2654435761u >> 13);
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		int fd = mkstemp(path);
		FILE *p;

		CHECK(fd >= 0);
		if (fd < 0)
			return;
		CHECK_EQ_U64((uint64_t)write(fd, m, lens[k]), lens[k]);
		close(fd);
		snprintf(cmd, sizeof(cmd), "sha256sum %s", path);
		p = popen(cmd, "r");
		CHECK(p && fgets(want, sizeof(want), p));
		if (p)
			pclose(p);
		unlink(path);
		memcpy(path + sizeof(path) - 7, "XXXXXX", 6);
		want[64] = '\0';
		digest_hex(m, lens[k], 4096, hex);
		CHECK_STR(hex, want);
	}
}
