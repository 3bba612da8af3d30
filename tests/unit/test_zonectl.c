/* Unit tests of tools/zonectl/zonectl_util.c: sizes, names, quoting, base64, JSON, table cells. */
#include "tests/unit/test.h"
#include "tools/zonectl/zonectl_util.c"

TEST(zonectl_parse_size)
{
	static const struct {
		const char *s;
		uint64_t v;
	} good[] = {
		{"256M", 256ull << 20},	 {"64m", 64ull << 20},
		{"1G", 1ull << 30},	 {"2g", 2ull << 30},
		{"4096", 4096},		 {"512K", 512ull << 10},
		{"1T", 1ull << 40},	 {"256MiB", 256ull << 20},
		{"256MB", 256ull << 20}, {"0", 0},
	};
	static const char *const bad[] = {"",
					  "M",
					  "-1M",
					  "1.5G",
					  "12X",
					  "1GG",
					  " 1M",
					  "1M ",
					  "1Mi",
					  "99999999999999999999",
					  "17179869184G"};
	uint64_t v;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 1;
		CHECK(zc_parse_size(good[i].s, &v) == 0);
		CHECK_EQ_U64(v, good[i].v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(zc_parse_size(bad[i], &v) != 0);
}

TEST(zonectl_names)
{
	CHECK(zc_name_error("agent-1") == NULL);
	CHECK(zc_name_error("a_b-c9") == NULL);
	CHECK(zc_name_error("abcdefghijklmnopqrstuvwxyz01234") == NULL);  /* 31 */
	CHECK(zc_name_error("abcdefghijklmnopqrstuvwxyz012345") != NULL); /* 32 */
	CHECK(zc_name_error("") != NULL);
	CHECK(zc_name_error("Agent") != NULL);
	CHECK(zc_name_error("a b") != NULL);
	CHECK(zc_name_error("a/b") != NULL);
	CHECK(zc_name_error("a.b") != NULL);
}

TEST(zonectl_shell_quote)
{
	char *words[] = {"sh", "-c", "echo hi; exit 3"};
	char *tricky[] = {"it's", "", "a\"b$x`y`\\"};
	char buf[256], small[8];

	CHECK_EQ_U64(zc_shell_quote(words, 3, buf, sizeof(buf)), strlen(buf));
	CHECK_STR(buf, "'sh' '-c' 'echo hi; exit 3'");
	zc_shell_quote(tricky, 3, buf, sizeof(buf));
	CHECK_STR(buf, "'it'\\''s' '' 'a\"b$x`y`\\'");
	CHECK(zc_shell_quote(words, 0, buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "");
	CHECK(zc_shell_quote(words, 3, small, sizeof(small)) == -1);
	CHECK(zc_shell_quote(words, 1, small, 5) == 4); /* 'sh' and its NUL fit exactly */
	CHECK(zc_shell_quote(words, 1, small, 4) == -1);
}

TEST(zonectl_base64)
{
	/* RFC 4648 section 10 test vectors. */
	static const char *const vec[][2] = {
		{"", ""},
		{"f", "Zg=="},
		{"fo", "Zm8="},
		{"foo", "Zm9v"},
		{"foob", "Zm9vYg=="},
		{"fooba", "Zm9vYmE="},
		{"foobar", "Zm9vYmFy"},
	};
	const unsigned char high[] = {0xfb, 0xff, 0xbf};
	char buf[64];

	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		CHECK_EQ_U64(zc_base64_encode(vec[i][0], strlen(vec[i][0]), buf, sizeof(buf)),
			     strlen(vec[i][1]));
		CHECK_STR(buf, vec[i][1]);
	}
	zc_base64_encode(high, sizeof(high), buf, sizeof(buf));
	CHECK_STR(buf, "+/+/");
	CHECK(zc_base64_encode("foobar", 6, buf, 8) == -1); /* 8 characters need 9 bytes */
	CHECK(zc_base64_encode("foobar", 6, buf, 9) == 8);
}

TEST(zonectl_json_string)
{
	char buf[128];

	zc_json_string("plain", buf, sizeof(buf));
	CHECK_STR(buf, "\"plain\"");
	zc_json_string("a\"b\\c\nd\te\x01\x1f\x7f", buf, sizeof(buf));
	CHECK_STR(buf, "\"a\\\"b\\\\c\\nd\\te\\u0001\\u001f\\u007f\"");
	zc_json_string("caf\xc3\xa9", buf, sizeof(buf)); /* UTF-8 passes through */
	CHECK_STR(buf, "\"caf\xc3\xa9\"");
	zc_json_string("", buf, sizeof(buf));
	CHECK_STR(buf, "\"\"");
	CHECK(zc_json_string("abc", buf, 5) == -1);
	CHECK(zc_json_string("abc", buf, 6) == 5);
}

TEST(zonectl_build_args)
{
	char *words[] = {"sh", "-c", "echo hi; exit 3"};
	char buf[256], b64[128], big[1024];
	char *many[200];

	zc_build_args(1, words, 0, buf, sizeof(buf));
	CHECK_STR(buf, "console=ttyS0 panic=1 quiet pci=off");
	zc_build_args(1, words, 3, buf, sizeof(buf));
	zc_base64_encode("'sh' '-c' 'echo hi; exit 3'", 27, b64, sizeof(b64));
	CHECK(strncmp(buf, "console=ttyS0 panic=1 quiet pci=off zv_cmd64=", 45) == 0);
	CHECK_STR(buf + 45, b64);
	CHECK_STR(b64, "J3NoJyAnLWMnICdlY2hvIGhpOyBleGl0IDMn");
	zc_build_args(0, words, 3, buf, sizeof(buf)); /* Multiboot: the words as they are */
	CHECK_STR(buf, "sh -c echo hi; exit 3");
	for (int i = 0; i < 200; i++)
		many[i] = "word";
	CHECK(zc_build_args(1, many, 200, big, sizeof(big)) == -1); /* 1023 bytes at most */
	CHECK(zc_build_args(1, many, 100, big, sizeof(big)) > 0);
}

TEST(zonectl_bzimage)
{
	static unsigned char image[0x300];

	CHECK(!zc_is_bzimage(image, sizeof(image)));
	memcpy(image + 0x202, "HdrS", 4);
	CHECK(zc_is_bzimage(image, sizeof(image)));
	CHECK(!zc_is_bzimage(image, 0x205));
}

TEST(zonectl_cells)
{
	char buf[64];

	zc_format_cpus(0x6, buf, sizeof(buf));
	CHECK_STR(buf, "1,2");
	zc_format_cpus(0x1, buf, sizeof(buf));
	CHECK_STR(buf, "0");
	zc_format_cpus(0, buf, sizeof(buf));
	CHECK_STR(buf, "-");
	zc_format_cpus(0x80000001u, buf, sizeof(buf));
	CHECK_STR(buf, "0,31");
	zc_format_mib(256ull << 20, buf, sizeof(buf));
	CHECK_STR(buf, "256M");
	zc_format_mib(3ull << 19, buf, sizeof(buf));
	CHECK_STR(buf, "1.5M");
	zc_format_uptime(0, buf, sizeof(buf));
	CHECK_STR(buf, "0s");
	zc_format_uptime(12 * 1000000ull + 999999, buf, sizeof(buf));
	CHECK_STR(buf, "12s");
	zc_format_uptime(184 * 1000000ull, buf, sizeof(buf));
	CHECK_STR(buf, "3m4s");
	zc_format_uptime((2 * 3600 + 5 * 60 + 7) * 1000000ull, buf, sizeof(buf));
	CHECK_STR(buf, "2h5m");
	zc_format_uptime((3 * 86400 + 4 * 3600) * 1000000ull, buf, sizeof(buf));
	CHECK_STR(buf, "3d4h");
}

TEST(zonectl_allow_rules)
{
	char allow[64] = "", json[128];

	CHECK(zc_add_rule(allow, sizeof(allow), "api.example.com:443", 0) == NULL);
	CHECK(zc_add_rule(allow, sizeof(allow), "*.pypi.org", 0) == NULL);
	CHECK(zc_add_rule(allow, sizeof(allow), "10.0.0.0/8:22", 1) == NULL);
	CHECK_STR(allow, "api.example.com:443\n*.pypi.org\n10.0.0.0/8:22\n");
	CHECK(zc_json_rules(allow, json, sizeof(json)) > 0);
	CHECK_STR(json, "[\"api.example.com:443\", \"*.pypi.org\", \"10.0.0.0/8:22\"]");
	CHECK_STR(zc_add_rule(allow, sizeof(allow), "", 0), "empty rule");
	CHECK_STR(zc_add_rule(allow, sizeof(allow), ":443", 0), "empty rule");
	CHECK_STR(zc_add_rule(allow, sizeof(allow), "a b", 0),
		  "a rule has no spaces and only printable ASCII");
	CHECK_STR(zc_add_rule(allow, sizeof(allow), "a\nb", 0),
		  "a rule has no spaces and only printable ASCII");
	CHECK_STR(zc_add_rule(allow, sizeof(allow), "10.0.0.0/8", 0),
		  "an address range goes in --allow-cidr");
	CHECK_STR(zc_add_rule(allow, sizeof(allow), "example.com", 1),
		  "not an address range (say 10.0.0.0/8 or 192.0.2.1:443)");
	CHECK_STR(zc_add_rule(allow, sizeof(allow), "10.0.0.0-8", 1),
		  "not an address range (say 10.0.0.0/8 or 192.0.2.1:443)");
	CHECK_STR(zc_add_rule(allow, sizeof(allow), "averyveryverylongname.example.com", 0),
		  "too many rules: the allowlist holds 4095 bytes");
	CHECK_STR(allow, "api.example.com:443\n*.pypi.org\n10.0.0.0/8:22\n"); /* unchanged */
	CHECK(zc_json_rules("", json, sizeof(json)) == 2);
	CHECK_STR(json, "[]");
	CHECK(zc_json_rules("a\nb\n", json, 8) == -1);
}
