/* Unit tests of tools/zonectl/zonectl_util.c and denials_format.c: sizes, names, quoting, base64,
 * JSON, table cells; audit_verify.c: the audit log verifier. */
#include "tests/unit/test.h"
#include "tools/zonectl/audit_verify.c"
#include "tools/zonectl/denials_format.c"
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

/* ps --json's "disks": each disk's figures; a hostile count or serial stays inside the reply. */
TEST(zonectl_json_disks)
{
	struct zctl_disk d[ZCTL_MAX_DISKS + 1];
	char json[512];

	memset(d, 0, sizeof(d));
	strcpy(d[0].serial, "zv-image");
	d[0].size = 8192;
	d[0].read_only = 1;
	d[0].reads = 3;
	d[0].read_bytes = 12288;
	strcpy(d[1].serial, "zv-\"ws");
	d[1].writes = 2;
	d[1].written_bytes = 512;
	d[1].errors = 1;
	d[1].refused = 4;
	CHECK(zc_json_disks(d, 0, json, sizeof(json)) == 2);
	CHECK_STR(json, "[]");
	CHECK(zc_json_disks(d, 2, json, sizeof(json)) > 0);
	CHECK(!strcmp(json,
		      "[{\"serial\": \"zv-image\", \"size\": 8192, \"read_only\": true, "
		      "\"reads\": 3, \"writes\": 0, \"read_bytes\": 12288, \"written_bytes\": 0, "
		      "\"errors\": 0, \"refused\": 0}, "
		      "{\"serial\": \"zv-\\\"ws\", \"size\": 0, \"read_only\": false, "
		      "\"reads\": 0, \"writes\": 2, \"read_bytes\": 0, \"written_bytes\": 512, "
		      "\"errors\": 1, \"refused\": 4}]"));
	/* a count past ZCTL_MAX_DISKS is cut; a serial without a NUL ends at its field */
	memset(d[0].serial, 'A', sizeof(d[0].serial));
	strcpy(d[2].serial, "never");
	CHECK(zc_json_disks(d, 0xffffffffu, json, sizeof(json)) > 0);
	CHECK(strstr(json, "never") == NULL);
	CHECK(strstr(json, "\"AAAAAAAAAAAAAAAAAAAAAAAA\"") != NULL);
	CHECK(zc_json_disks(d, 2, json, 40) == -1);
	CHECK(zc_json_disks(d, 1, json, 2) == -1);
}

static struct zctl_frame udp_frame(void)
{
	struct zctl_frame f;

	memset(&f, 0, sizeof(f));
	f.kind = ZCTL_FRAME_IPV4;
	f.proto = 17;
	f.port = 0;
	f.src_ip = 0x0a4d000a;
	f.src_port = 40000;
	f.dst_ip = 0x0a4d0001;
	f.dst_port = 53;
	return f;
}

/* The same text as the switch's audit line (zones/net/switch.c switch_format_deny). */
TEST(zonectl_denial_lines_read_as_the_switch_writes_them)
{
	struct zctl_deny_record r;
	char line[600];

	memset(&r, 0, sizeof(r));
	r.frame = udp_frame();
	strcpy(r.reason, "name-refused");
	strcpy(r.name, "denied.test");
	zc_format_denial(&r, line, sizeof(line));
	CHECK_STR(line, "deny port 0 udp 10.77.0.10:40000 -> 10.77.0.1:53 name denied.test "
			"reason name-refused");
	r.frame.kind = ZCTL_FRAME_ARP;
	r.frame.dst_ip = 0x0a4d000b;
	r.name[0] = '\0';
	strcpy(r.reason, "zone-to-zone");
	zc_format_denial(&r, line, sizeof(line));
	CHECK_STR(line, "deny port 0 arp 10.77.0.10 -> 10.77.0.11 reason zone-to-zone");
	r.frame.kind = ZCTL_FRAME_IPV6;
	r.frame.port = 2;
	memcpy(r.frame.src_mac, "\x02\x5a\x56\x01\x00\x02", 6);
	memcpy(r.frame.dst_mac, "\x33\x33\x00\x00\x00\x02", 6);
	strcpy(r.reason, "ipv6-denied");
	zc_format_denial(&r, line, sizeof(line));
	CHECK_STR(line, "deny port 2 ipv6 02:5a:56:01:00:02 -> 33:33:00:00:00:02 reason "
			"ipv6-denied");
	r.frame = udp_frame();
	r.frame.proto = 1;
	r.frame.icmp_type = 8;
	r.frame.port = -1;
	strcpy(r.reason, "no-rule");
	zc_format_denial(&r, line, sizeof(line));
	CHECK_STR(line, "deny uplink icmp 10.77.0.10 -> 10.77.0.1 type 8 reason no-rule");
	r.frame.proto = 47;
	zc_format_denial(&r, line, sizeof(line));
	CHECK_STR(line, "deny uplink ip proto 47 10.77.0.10 -> 10.77.0.1 reason no-rule");
}

/* Whatever the reply holds, no byte reaches the operator's terminal as an escape. */
TEST(zonectl_denial_lines_carry_no_terminal_escapes)
{
	struct zctl_deny_record r;
	char line[600];

	memset(&r, 0, sizeof(r));
	r.frame = udp_frame();
	strcpy(r.reason, "x\x1b[2J");
	strcpy(r.name, "a\x1b]0;pwned\x07 b");
	zc_format_denial(&r, line, sizeof(line));
	CHECK_STR(line, "deny port 0 udp 10.77.0.10:40000 -> 10.77.0.1:53 name a.]0;pwned..b "
			"reason x.[2J");
}

TEST(zonectl_denial_times_and_frames_as_json)
{
	struct zctl_frame f = udp_frame();
	char out[512];

	zc_format_ms(12345, out, sizeof(out));
	CHECK_STR(out, "12.345s");
	zc_format_ms(7, out, sizeof(out));
	CHECK_STR(out, "0.007s");
	CHECK(zc_json_frame(&f, out, sizeof(out)) > 0);
	CHECK_STR(out, "{\"kind\": \"ip\", \"port\": 0, \"from_uplink\": false, \"proto\": 17, "
		       "\"src\": \"10.77.0.10\", \"src_port\": 40000, \"dst\": \"10.77.0.1\", "
		       "\"dst_port\": 53, \"icmp_type\": 0, \"src_mac\": \"00:00:00:00:00:00\", "
		       "\"dst_mac\": \"00:00:00:00:00:00\"}");
	f.port = -1;
	f.from_uplink = 1;
	CHECK(zc_json_frame(&f, out, sizeof(out)) > 0);
	CHECK(strstr(out, "\"port\": null, \"from_uplink\": true") != NULL);
	CHECK(zc_json_frame(&f, out, 40) == -1);
}

TEST(zonectl_denials_replies_are_checked)
{
	static uint8_t buf[sizeof(struct zctl_denials) + 2 * sizeof(struct zctl_deny_reason) +
			   sizeof(struct zctl_deny_record)];
	struct zctl_denials *d = (struct zctl_denials *)buf;
	struct zctl_deny_reason *reasons = (struct zctl_deny_reason *)(d + 1);
	struct zctl_deny_record *rec = (struct zctl_deny_record *)(reasons + 2);

	memset(buf, 'x', sizeof(buf)); /* no string ends inside its array */
	d->reasons = 2;
	d->records = 1;
	CHECK(zc_check_denials_reply(buf, sizeof(buf)) == NULL);
	CHECK_EQ_U64(strlen(reasons[1].reason), ZCTL_REASON_LEN - 1);
	CHECK_EQ_U64(strlen(rec->name), ZCTL_DNS_NAME_LEN - 1);
	CHECK_EQ_U64(strlen(rec->reason), ZCTL_REASON_LEN - 1);
	CHECK_STR(zc_check_denials_reply(buf, sizeof(buf) - 1),
		  "denials: more reasons or records than the reply holds");
	d->records = 0xffffffffu;
	CHECK_STR(zc_check_denials_reply(buf, sizeof(buf)),
		  "denials: more reasons or records than the reply holds");
	d->records = 1;
	d->reasons = 0x80000000u;
	CHECK_STR(zc_check_denials_reply(buf, sizeof(buf)),
		  "denials: more reasons or records than the reply holds");
	CHECK_STR(zc_check_denials_reply(buf, sizeof(*d) - 1),
		  "denials: reply shorter than its header");
}

/* ---- storage_util.c: images and workspaces ---- */
#include "tools/zonectl/storage_util.c"

TEST(zonectl_image_name)
{
	char n[32];

	CHECK(zc_image_name("/tmp/debian-12.img", n, sizeof(n)) == 0);
	CHECK_STR(n, "debian-12");
	CHECK(zc_image_name("Root FS.v2.ext4", n, sizeof(n)) == 0);
	CHECK_STR(n, "root-fs-v2");
	CHECK(zc_image_name("plain", n, sizeof(n)) == 0);
	CHECK_STR(n, "plain");
	CHECK(zc_image_name(".hidden", n, sizeof(n)) == 0); /* a leading dot is no extension */
	CHECK_STR(n, "-hidden");
	CHECK(zc_image_name("dir.d/", n, sizeof(n)) == -1);
	CHECK(zc_image_name("/x/.img", n, sizeof(n)) == 0);
	CHECK_STR(n, "-img");
	CHECK(zc_image_name("a234567890123456789012345678901234567890.img", n, sizeof(n)) == 0);
	CHECK_STR(n, "a234567890123456789012345678901");
	CHECK(zc_image_name("caf\xc3\xa9_1.img", n, sizeof(n)) == 0);
	CHECK_STR(n, "caf--_1");
	CHECK(zc_name_error(n) == NULL);
}

TEST(zonectl_workspace_default)
{
	CHECK_EQ_U64(zc_workspace_default(0), 1ull << 30);
	CHECK_EQ_U64(zc_workspace_default(512ull << 20), 1ull << 30);
	CHECK_EQ_U64(zc_workspace_default((512ull << 20) + 1), (1ull << 30) + (1ull << 20));
	CHECK_EQ_U64(zc_workspace_default(3ull << 30), 6ull << 30);
	CHECK_EQ_U64(zc_workspace_default(40ull << 30), 64ull << 30);
	CHECK_EQ_U64(zc_workspace_default(UINT64_MAX), 64ull << 30);
}

TEST(zonectl_block_extent)
{
	uint64_t s = 5000, e = 9000;

	zc_block_extent(&s, &e, 1ull << 20);
	CHECK_EQ_U64(s, 4096);
	CHECK_EQ_U64(e, 12288);
	s = 8192, e = 10000;
	zc_block_extent(&s, &e, 10000); /* the file ends mid-block */
	CHECK_EQ_U64(s, 8192);
	CHECK_EQ_U64(e, 12288);
	s = 0, e = UINT64_MAX;
	zc_block_extent(&s, &e, 8192);
	CHECK_EQ_U64(e, 8192);
	s = 20000, e = 30000;
	zc_block_extent(&s, &e, 8192); /* past the end: empty */
	CHECK_EQ_U64(s, e);
}

TEST(zonectl_next_run)
{
	const uint8_t used[3] = {0x0e, 0x80, 0x01}; /* blocks 1-3, 15-16 */
	unsigned len, at;

	at = zc_next_run(used, 24, 0, &len);
	CHECK_EQ_U64(at, 1);
	CHECK_EQ_U64(len, 3);
	at = zc_next_run(used, 24, 4, &len);
	CHECK_EQ_U64(at, 15);
	CHECK_EQ_U64(len, 2);
	at = zc_next_run(used, 24, 17, &len);
	CHECK_EQ_U64(at, 24);
	CHECK_EQ_U64(len, 0);
	at = zc_next_run(used, 16, 15, &len); /* a run cut at n */
	CHECK_EQ_U64(at, 15);
	CHECK_EQ_U64(len, 1);
}

TEST(zonectl_format_bytes)
{
	char b[32];

	zc_format_bytes(100, b, sizeof(b));
	CHECK_STR(b, "100B");
	zc_format_bytes(1536, b, sizeof(b));
	CHECK_STR(b, "1.5KiB");
	zc_format_bytes(1ull << 30, b, sizeof(b));
	CHECK_STR(b, "1.0GiB");
}

TEST(zonectl_fsck_ok)
{
	CHECK(zc_fsck_ok(0));
	CHECK(zc_fsck_ok(1)); /* errors corrected */
	CHECK(zc_fsck_ok(3));
	CHECK(!zc_fsck_ok(4)); /* errors left */
	CHECK(!zc_fsck_ok(5));
	CHECK(!zc_fsck_ok(8));
	CHECK(!zc_fsck_ok(12));
	CHECK(!zc_fsck_ok(128));
	CHECK(!zc_fsck_ok(-1)); /* it did not run */
}

TEST(zonectl_debugfs_complaints)
{
	static const char banner[] = "debugfs 1.47.0 (5-Feb-2023)\n";
	static const char errs[] = "debugfs 1.47.0 (5-Feb-2023)\n"
				   "rdump: No space left on device while writing file\n\n"
				   "rdump: Permission denied while opening ./x";
	static const char nul[] = "debugfs 1.47.0\nrdump: \0name\n";

	CHECK_EQ_U64(zc_debugfs_complaints("", 0, NULL), 0);
	CHECK_EQ_U64(zc_debugfs_complaints(banner, sizeof(banner) - 1, NULL), 0);
	CHECK_EQ_U64(zc_debugfs_complaints("\n\n\n", 3, NULL), 0);
	CHECK_EQ_U64(zc_debugfs_complaints(errs, sizeof(errs) - 1, NULL),
		     2);						    /* last line unended */
	CHECK_EQ_U64(zc_debugfs_complaints(nul, sizeof(nul) - 1, NULL), 1); /* NUL inside a line */
	/* not the banner: a name or a message that merely starts like it */
	CHECK_EQ_U64(zc_debugfs_complaints("debugfs \n", 9, NULL), 1);
	CHECK_EQ_U64(zc_debugfs_complaints("debugfs: Bad magic number\n", 26, NULL), 1);
	CHECK_EQ_U64(zc_debugfs_complaints("debugfs", 7, NULL), 1);
	CHECK_EQ_U64(zc_debugfs_complaints(banner, 9, NULL), 0); /* "debugfs 1": still its banner */
}

static unsigned shown_lines, shown_bytes;

static void count_shown(const char *line, size_t n)
{
	(void)line;
	shown_lines++;
	shown_bytes += (unsigned)n;
}

TEST(zonectl_debugfs_chown_refusals)
{
	static const char ok[] = "debugfs 1.47.0 (5-Feb-2023)\n"
				 "rdump: Operation not permitted while changing ownership of .//d\n"
				 "dump_file: Operation not permitted while changing ownership of "
				 ".//a\n"
				 "rdump: Operation not permitted while changing ownership of ./";
	/* a zone's name that ends in the words cannot hide the complaint */
	static const char named[] = "rdump: No space left on device while writing file "
				    ".//x while changing ownership of y\n"
				    "rdump: Operation not permitted while setting times of ./a\n"
				    "Rdump: Operation not permitted while changing ownership of a\n"
				    "rdump: Operation not permitted while changing ownership o\n";

	CHECK_EQ_U64(zc_debugfs_complaints(ok, sizeof(ok) - 1, NULL), 0);
	CHECK_EQ_U64(zc_debugfs_complaints(named, sizeof(named) - 1, NULL), 4);
	shown_lines = shown_bytes = 0;
	CHECK_EQ_U64(zc_debugfs_complaints(named, sizeof(named) - 1, count_shown), 4);
	CHECK_EQ_U64(shown_lines, 4);
	CHECK_EQ_U64(shown_bytes, sizeof(named) - 1 - 4); /* without the newlines */
	shown_lines = 0;
	CHECK_EQ_U64(zc_debugfs_complaints(ok, sizeof(ok) - 1, count_shown), 0);
	CHECK_EQ_U64(shown_lines, 0);
}

TEST(zonectl_export_limits)
{
	CHECK_EQ_U64(zc_export_timeout(0), 120);
	CHECK_EQ_U64(zc_export_timeout(400ull << 20), 120);
	CHECK_EQ_U64(zc_export_timeout(1ull << 30), 256);
	CHECK_EQ_U64(zc_export_timeout(64ull << 30), 16384);
	CHECK_EQ_U64(zc_export_timeout(UINT64_MAX), 86400);
	CHECK_EQ_U64(zc_export_room(0), 16ull << 20);
	CHECK_EQ_U64(zc_export_room(8ull << 20), (16ull << 20) + (9ull << 20));
	CHECK_EQ_U64(zc_export_room(UINT64_MAX), UINT64_MAX);
	CHECK_EQ_U64(zc_export_room(UINT64_MAX - (17ull << 20)), UINT64_MAX);
}

TEST(zonectl_export_mode)
{
	CHECK_EQ_U64(zc_export_mode(S_IFREG | 0644), 0644);
	CHECK_EQ_U64(zc_export_mode(S_IFREG | 04755), 0755);
	CHECK_EQ_U64(zc_export_mode(S_IFREG | 02755), 0755);
	CHECK_EQ_U64(zc_export_mode(S_IFREG | 07777), 01777);
	CHECK_EQ_U64(zc_export_mode(S_IFDIR | 02775), 02775); /* a directory's group inherits */
	CHECK_EQ_U64(zc_export_mode(S_IFDIR | 05777), 01777);
	CHECK_EQ_U64(zc_export_mode(S_IFDIR | 0500), 0500);
}

/* ---- zonectl audit verify (audit_verify.c) ---------------------------------- */

/* RFC 6962's tree over the Certificate Transparency test leaves: each root
 * was also computed independently (Python hashlib) when this was written. */
TEST(audit_tree_vectors)
{
	static const char *const roots[] = {
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
		"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
		"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
		"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	};
	static const struct {
		const char *d;
		size_t n;
	} leaves[] = {{"", 0},
		      {"\x00", 1},
		      {"\x10", 1},
		      {"\x20\x21", 2},
		      {"\x30\x31", 2},
		      {"\x40\x41\x42\x43", 4},
		      {"\x50\x51\x52\x53\x54\x55\x56\x57", 8},
		      {"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f", 16}};
	struct av_tree t;
	uint8_t root[AV_HASH];
	char hex[2 * AV_HASH + 1];

	av_tree_init(&t);
	for (size_t i = 0; i <= 8; i++) {
		av_tree_root(&t, root);
		av_hex(root, hex);
		CHECK_STR(hex, roots[i]);
		if (i < 8)
			av_tree_add(&t, leaves[i].d, leaves[i].n);
	}
}

#define AV_TEST_RECORDS 12

/* A synthetic drained log in audit.h's format, each record's tree the root
 * of the ones before; buf holds its lines. */
static size_t av_make_log(char *buf, size_t cap)
{
	struct av_tree t;
	uint8_t root[AV_HASH];
	char hex[2 * AV_HASH + 1];
	size_t at = 0;

	av_tree_init(&t);
	for (unsigned i = 0; i < AV_TEST_RECORDS; i++) {
		char *line = buf + at;
		int n;

		av_tree_root(&t, root);
		av_hex(root, hex);
		n = snprintf(line, cap - at,
			     "{\"seq\":%u,\"time\":\"2026-12-07T04:10:00.%06uZ\",\"zone\":\"z%u\","
			     "\"zone_id\":%u,\"type\":\"net.deny\",\"tree\":\"%s\",\"dst\":"
			     "\"10.0.0.%u:443\"}\n",
			     i, i, i % 3, i % 3, hex, i);
		av_tree_add(&t, line, (size_t)n - 1);
		at += (size_t)n;
	}
	return at;
}

/* Verifies text; returns 0 or -1 with why. */
static int av_check(const char *text, size_t len, char why[AV_WHY_LEN], uint64_t *count)
{
	struct av_line *lines;
	struct av_tree t;
	long n = av_split(text, len, &lines);
	int rc;

	if (n < 0)
		return -2;
	rc = av_verify(lines, (size_t)n, &t, why);
	*count = t.count;
	free(lines);
	return rc;
}

/* Line i's start and length in buf. */
static char *av_line_at(char *buf, unsigned i, size_t *len)
{
	char *p = buf;

	while (i--)
		p = strchr(p, '\n') + 1;
	*len = (size_t)(strchr(p, '\n') - p) + 1;
	return p;
}

TEST(audit_verify_untouched)
{
	static char buf[8192];
	char why[AV_WHY_LEN] = "";
	uint64_t count;
	size_t len = av_make_log(buf, sizeof(buf));

	CHECK(av_check(buf, len, why, &count) == 0);
	CHECK_EQ_U64(count, AV_TEST_RECORDS);
	CHECK(av_check(buf, 0, why, &count) == 0); /* the empty log */
	CHECK_EQ_U64(count, 0);
}

TEST(audit_verify_edited_byte)
{
	static char buf[8192];
	char why[AV_WHY_LEN] = "";
	uint64_t count;
	size_t len = av_make_log(buf, sizeof(buf)), n;
	char *line = av_line_at(buf, 5, &n);

	strstr(line, "10.0.0.5")[7] = '6'; /* record 5's destination */
	CHECK(av_check(buf, len, why, &count) != 0);
	CHECK(strstr(why, "record 5 (line 6) does not match") != NULL);
	av_make_log(buf, sizeof(buf));
	line = av_line_at(buf, 7, &n);
	line = strstr(line, "\"tree\":\"") + 12; /* a digit of record 7's own tree field */
	*line = *line == '0' ? '1' : '0';
	CHECK(av_check(buf, len, why, &count) != 0);
	CHECK(strstr(why, "record 7 (line 8) does not match: its tree field") != NULL);
	av_make_log(buf, sizeof(buf));
	buf[1] = 'S'; /* record 0 no longer parses */
	CHECK(av_check(buf, len, why, &count) != 0);
	CHECK(strstr(why, "record 0 (line 1) is not an audit record") != NULL);
}

TEST(audit_verify_deleted_swapped_truncated)
{
	static char buf[8192], copy[8192];
	char why[AV_WHY_LEN] = "";
	uint64_t count;
	size_t len = av_make_log(buf, sizeof(buf)), n4, n5;
	char *l4 = av_line_at(buf, 4, &n4), *l5 = av_line_at(buf, 5, &n5);
	size_t off4 = (size_t)(l4 - buf);

	/* delete record 4 */
	memcpy(copy, buf, off4);
	memcpy(copy + off4, l5, len - off4 - n4);
	CHECK(av_check(copy, len - n4, why, &count) != 0);
	CHECK(strstr(why, "record 4 is missing: line 5 holds record 5") != NULL);
	/* swap records 4 and 5 */
	memcpy(copy, buf, len);
	memcpy(copy + off4, l5, n5);
	memcpy(copy + off4 + n5, l4, n4);
	CHECK(av_check(copy, len, why, &count) != 0);
	CHECK(strstr(why, "record 4 is out of place: it is on line 6") != NULL);
	/* truncate inside record 9: the records before it verify, it does not */
	n4 = (size_t)(av_line_at(buf, 9, &n5) - buf) + 20;
	CHECK(av_check(buf, n4, why, &count) != 0);
	CHECK(strstr(why, "record 9 (line 10) is cut short") != NULL);
	CHECK_EQ_U64(count, 9);
	/* truncated at a line's end: verifies as a shorter log (the head check
	 * in audit.c names what is missing) */
	CHECK(av_check(buf, n4 - 20, why, &count) == 0);
	CHECK_EQ_U64(count, 9);
}

TEST(audit_parse_refuses_what_is_not_a_record)
{
	static const char *const bad[] = {
		"",
		"{}",
		"{\"seq\":,\"tree\":\"\"}",
		"{\"seq\":99999999999999999999,\"time\":\"\"}",
		"{\"seq\":1,\"time\":\"x\"}",
		"{\"seq\":1,\"tree\":\"00\"}",
		"{\"seq\":1,\"tree\":\"0000000000000000000000000000000000000000000000000000000000"
		"00000g\"}",
		"[\"seq\":1]",
	};
	uint64_t seq;
	uint8_t tree[AV_HASH];
	static const char good[] = "{\"seq\":7,\"tree\":\"00000000000000000000000000000000000000"
				   "000000000000000000000000ff\",\"x\":1}";

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(av_parse(bad[i], strlen(bad[i]), &seq, tree) != 0);
	CHECK(av_parse(good, strlen(good), &seq, tree) == 0);
	CHECK_EQ_U64(seq, 7);
	CHECK_EQ_U64(tree[31], 0xff);
}

TEST(audit_table_rows)
{
	static const char line[] =
		"{\"seq\":42,\"time\":\"2026-12-07T04:10:00.000001Z\",\"zone\":\"web\",\"zone_id\":"
		"3,"
		"\"type\":\"net.deny\",\"tree\":"
		"\"00000000000000000000000000000000000000000000000000"
		"00000000000000\",\"reason\":\"no-rule\",\"dst\":\"1.2.3.4:443\",\"n\":7,"
		"\"name\":\"a \\\"b\\\",c:d\"}";
	static const char hv[] =
		"{\"seq\":0,\"time\":\"t\",\"zone\":\"\",\"zone_id\":0,\"type\":\"hypervisor."
		"boot\","
		"\"tree\":\"0000000000000000000000000000000000000000000000000000000000000000\"}";
	char row[256], small[16];

	CHECK(av_table_row(line, strlen(line), row, sizeof(row)) == 0);
	CHECK_STR(row, "42     2026-12-07T04:10:00.000001Z web          net.deny           "
		       "reason=\"no-rule\" dst=\"1.2.3.4:443\" n=7 name=\"a \\\"b\\\",c:d\"");
	CHECK(av_zone_is(line, strlen(line), "web"));
	CHECK(!av_zone_is(line, strlen(line), "we"));
	CHECK(av_table_row(hv, strlen(hv), row, sizeof(row)) == 0);
	CHECK_STR(row, "0      t                           -            hypervisor.boot    ");
	CHECK(av_zone_is(hv, strlen(hv), ""));
	CHECK(av_table_row(line, strlen(line), small, sizeof(small)) == 0);
	CHECK_EQ_U64(strlen(small), sizeof(small) - 1);
	CHECK(av_table_row("{}", 2, row, sizeof(row)) != 0);
}
