/* Unit tests of hv/config.c: every key, every error path, hostile text. */
#include <stdlib.h>

#include "hv/config.h"
#include "tests/unit/test.h"

static struct zv_config cfg;
static char err[ZV_CONF_ERR_LEN];

/* Parses len bytes from an exact-size heap copy, so ASan sees any overread. */
static int parse_n(const char *text, size_t len)
{
	char *copy = malloc(len ? len : 1);
	int rc;

	memcpy(copy, text, len);
	rc = zv_config_parse(copy, len, &cfg, err, sizeof(err));
	free(copy);
	return rc;
}

static int parse(const char *text)
{
	return parse_n(text, strlen(text));
}

/* The text must fail with exactly this message. */
#define CHECK_ERR(text, msg)                     \
	do {                                     \
		CHECK_EQ_U64(parse(text), -1);   \
		CHECK_STR(err, msg);             \
		CHECK_EQ_U64(cfg.zone_count, 0); \
	} while (0)

static const char good[] = "# zonevisor test config\n"
			   "; another comment\n"
			   "\n"
			   "[zonevisor]\n"
			   "debug_fault = gp\n"
			   "on_idle = poweroff\n"
			   "verify_wipe = yes\n"
			   "\n"
			   "[zone hello]\n"
			   "image = hello.elf\n"
			   "memory = 16M\n"
			   "cpu = 1\n"
			   "args = console=ttyS0 quiet  \n"
			   "\n"
			   "  [ zone  second_zone-2 ]  \n"
			   "\timage\t=\tAgent-1.0_x.elf\n"
			   "memory=2097152\n"
			   "cpu=63\n"
			   "after = hello\n";

TEST(good_config_parses)
{
	CHECK_EQ_U64(parse(good), 0);
	CHECK_STR(err, "");
	CHECK_EQ_U64(cfg.debug_fault, ZV_FAULT_GP);
	CHECK_EQ_U64(cfg.on_idle, ZV_IDLE_POWEROFF);
	CHECK_EQ_U64(cfg.verify_wipe, 1);
	CHECK_EQ_U64(cfg.zone_count, 2);
	CHECK_STR(cfg.zones[0].name, "hello");
	CHECK_STR(cfg.zones[0].image, "hello.elf");
	CHECK_EQ_U64(cfg.zones[0].memory, 16ULL << 20);
	CHECK_EQ_U64(cfg.zones[0].cpu, 1);
	CHECK_STR(cfg.zones[0].args, "console=ttyS0 quiet");
	CHECK_STR(cfg.zones[0].after, "");
	CHECK_STR(cfg.zones[1].name, "second_zone-2");
	CHECK_STR(cfg.zones[1].image, "Agent-1.0_x.elf");
	CHECK_EQ_U64(cfg.zones[1].memory, 2ULL << 20);
	CHECK_EQ_U64(cfg.zones[1].cpu, 63);
	CHECK_STR(cfg.zones[1].args, "");
	CHECK_STR(cfg.zones[1].after, "hello");
}

TEST(defaults_and_empty_text)
{
	memset(&cfg, 0x5a, sizeof(cfg));
	CHECK_EQ_U64(parse(""), 0);
	CHECK_EQ_U64(cfg.debug_fault, ZV_FAULT_NONE);
	CHECK_EQ_U64(cfg.on_idle, ZV_IDLE_HALT);
	CHECK_EQ_U64(cfg.verify_wipe, 0);
	CHECK_EQ_U64(cfg.console_timestamps, 0);
	CHECK_EQ_U64(cfg.zone_count, 0);
	CHECK_EQ_U64(zv_config_parse(NULL, 0, &cfg, err, sizeof(err)), 0);
	CHECK_EQ_U64(parse("[zonevisor]\n"), 0);
	CHECK_EQ_U64(parse("\n\n  \t \n# only comments\n"), 0);
}

TEST(output_fully_zeroed_on_entry)
{
	static const struct zv_config zero;

	memset(&cfg, 0xa5, sizeof(cfg));
	CHECK_EQ_U64(parse("[zone a]\nimage=a\nmemory=2M\ncpu=1\n"), 0);
	CHECK_EQ_U64(cfg.zone_count, 1);
	/* Everything past the one zone's strings is still zero. */
	CHECK(memcmp(&cfg.zones[1], &zero.zones[1], sizeof(cfg.zones) - sizeof(cfg.zones[0])) == 0);
	CHECK(cfg.zones[0].name[2] == 0 && cfg.zones[0].name[ZV_CONF_NAME_LEN - 1] == 0);
	CHECK(cfg.zones[0].args[ZV_CONF_ARGS_LEN - 1] == 0);
	/* On failure nothing half-parsed is left behind. */
	memset(&cfg, 0xa5, sizeof(cfg));
	CHECK_EQ_U64(parse("[zone a]\nimage=a\nmemory=2M\ncpu=1\nbogus=1\n"), -1);
	CHECK(memcmp(&cfg, &zero, sizeof(cfg)) == 0);
}

TEST(no_final_newline_and_crlf)
{
	CHECK_EQ_U64(parse("[zone a]\nimage=a.elf\nmemory=4M\ncpu=2"), 0);
	CHECK_EQ_U64(cfg.zones[0].cpu, 2);
	CHECK_EQ_U64(parse("[zone a]\r\nimage=a.elf\r\nmemory=4M\r\ncpu=2\r\n"), 0);
	CHECK_STR(cfg.zones[0].image, "a.elf");
	CHECK_EQ_U64(cfg.zones[0].memory, 4ULL << 20);
	CHECK_EQ_U64(parse("[zone a]\nimage=a\nmemory=2M\ncpu=1\nargs=x y"), 0);
	CHECK_STR(cfg.zones[0].args, "x y");
	CHECK_ERR("[zone a]\nimage=a\nmemory=2M", "line 1: zone 'a' has no cpu");
	CHECK_EQ_U64(parse("\xEF\xBB\xBF[zonevisor]\non_idle=halt\n"), 0);
}

TEST(memory_suffixes)
{
	static const struct {
		const char *text;
		uint64_t bytes;
	} ok[] = {
		{"2M", 2ULL << 20},	 {"2m", 2ULL << 20},	  {"2048K", 2ULL << 20},
		{"4096k", 4ULL << 20},	 {"1G", 1ULL << 30},	  {"64G", 64ULL << 30},
		{"65536M", 64ULL << 30}, {"4194304", 4ULL << 20}, {"002M", 2ULL << 20},
	};
	char text[128];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(text, sizeof(text), "[zone a]\nimage=a\nmemory = %s\ncpu=1\n", ok[i].text);
		CHECK_EQ_U64(parse(text), 0);
		CHECK_EQ_U64(cfg.zones[0].memory, ok[i].bytes);
	}
}

/* "[zone a]" with its other required keys and one line `line` at line 2. */
static void check_zone_line(const char *line, const char *msg)
{
	char text[1024];

	snprintf(text, sizeof(text), "[zone a]\n%s\nimage=a\nmemory=2M\ncpu=1\n", line);
	CHECK_EQ_U64(parse(text), -1);
	CHECK_STR(err, msg);
}

TEST(bad_memory_values)
{
	check_zone_line("memory = 99999999999999999999G",
			"line 2: memory '99999999999999999999G' is too large (at most 64G)");
	check_zone_line("memory = 18446744073709551616",
			"line 2: memory '18446744073709551616' is too large (at most 64G)");
	check_zone_line("memory = 17179869184G",
			"line 2: memory '17179869184G' is too large (at most 64G)");
	check_zone_line("memory = 65G", "line 2: memory '65G' out of range (2M to 64G)");
	check_zone_line("memory = 1M", "line 2: memory '1M' out of range (2M to 64G)");
	check_zone_line("memory = 0", "line 2: memory '0' out of range (2M to 64G)");
	check_zone_line("memory = 3M", "line 2: memory '3M' is not a multiple of 2M");
	check_zone_line("memory = 2049K", "line 2: memory '2049K' is not a multiple of 2M");
	static const char *junk[] = {"",    "M",	"16MB", "16 M", "-2M",
				     "+2M", "0x200000", "16T",	"2M2",	"abc"};
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		char line[64], msg[256];

		snprintf(line, sizeof(line), "memory = %s", junk[i]);
		snprintf(msg, sizeof(msg),
			 "line 2: bad memory '%s' (expected a number with an optional K, M or G "
			 "suffix, e.g. 256M)",
			 junk[i]);
		check_zone_line(line, msg);
	}
}

TEST(bad_cpu_values)
{
	static const char *bad[] = {"0",  "64",	 "-1",	 "",
				    "1x", "one", " 1 1", "99999999999999999999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char line[64], msg[256];

		snprintf(line, sizeof(line), "cpu = %s", bad[i]);
		/* The value is trimmed before it is quoted. */
		snprintf(msg, sizeof(msg),
			 "line 2: bad cpu '%s' (expected 1 to 63, or a list like 1,2; cpu 0 runs "
			 "no zone)",
			 bad[i][0] == ' ' ? bad[i] + 1 : bad[i]);
		check_zone_line(line, msg);
	}
}

TEST(bad_image_values)
{
	static const char *bad[] = {"", "a/b.elf", "\\EFI\\x", "a b", ".", "..", "h\xc3\xa9llo"};
	char line[128], msg[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "image = %s", bad[i]);
		snprintf(msg, sizeof(msg),
			 "line 2: bad image '%s' (expected a file name of 1 to 63 characters of "
			 "A-Z a-z 0-9 . _ -)",
			 bad[i]);
		check_zone_line(line, msg);
	}
	/* 63 characters is the most; 64 is one too many. */
	char name[80];
	memset(name, 'x', 63);
	name[63] = 0;
	snprintf(line, sizeof(line), "[zone a]\nimage=%s\nmemory=2M\ncpu=1\n", name);
	CHECK_EQ_U64(parse(line), 0);
	CHECK_STR(cfg.zones[0].image, name);
	strcat(name, "y");
	snprintf(line, sizeof(line), "image = %s", name);
	check_zone_line(line, "line 2: bad image 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' (expected a "
			      "file name of 1 to 63 characters of A-Z a-z 0-9 . _ -)");
}

TEST(bad_enum_values)
{
	CHECK_ERR("[zonevisor]\ndebug_fault = segv\n",
		  "line 2: bad debug_fault 'segv' (expected none, ud, pf, gp, de or stray)");
	CHECK_ERR("[zonevisor]\ndebug_fault = UD\n",
		  "line 2: bad debug_fault 'UD' (expected none, ud, pf, gp, de or stray)");
	CHECK_ERR("[zonevisor]\non_idle = reboot\n",
		  "line 2: bad on_idle 'reboot' (expected halt or poweroff)");
	CHECK_ERR("[zonevisor]\nverify_wipe = true\n",
		  "line 2: bad verify_wipe 'true' (expected yes or no)");
	CHECK_ERR("[zonevisor]\nverify_wipe =\n",
		  "line 2: bad verify_wipe '' (expected yes or no)");
	static const char *faults[] = {"none", "ud", "pf", "gp", "de", "stray"};
	for (size_t i = 0; i < 6; i++) {
		char text[64];

		snprintf(text, sizeof(text), "[zonevisor]\ndebug_fault=%s\n", faults[i]);
		CHECK_EQ_U64(parse(text), 0);
		CHECK_EQ_U64(cfg.debug_fault, i);
	}
}

TEST(console_timestamps_key)
{
	CHECK_EQ_U64(parse("[zonevisor]\nconsole_timestamps = yes\n"), 0);
	CHECK_EQ_U64(cfg.console_timestamps, 1);
	CHECK_EQ_U64(parse("[zonevisor]\nconsole_timestamps=no\n[zone a]\nimage=a\nmemory=2M\n"
			   "cpu=1\n"),
		     0);
	CHECK_EQ_U64(cfg.console_timestamps, 0);
	CHECK_EQ_U64(cfg.zone_count, 1);
	CHECK_ERR("[zonevisor]\nconsole_timestamps = on\n",
		  "line 2: bad console_timestamps 'on' (expected yes or no)");
	CHECK_ERR("[zonevisor]\nconsole_timestamps = Yes\n",
		  "line 2: bad console_timestamps 'Yes' (expected yes or no)");
	CHECK_ERR("[zonevisor]\nconsole_timestamps = yes\nconsole_timestamps = no\n",
		  "line 3: duplicate key 'console_timestamps'");
	CHECK_ERR("[zone a]\nconsole_timestamps = yes\n",
		  "line 2: unknown key 'console_timestamps' in [zone a]");
}

TEST(sections_and_keys)
{
	CHECK_ERR("[zonevisor]\n[zones a]\n",
		  "line 2: unknown section '[zones a]' (expected [zonevisor] or [zone NAME])");
	CHECK_ERR("[global]\n",
		  "line 1: unknown section '[global]' (expected [zonevisor] or [zone NAME])");
	CHECK_ERR("[zonevisor\n", "line 1: section header must end with ']'");
	CHECK_ERR("[zonevisor] # note\n", "line 1: section header must end with ']'");
	CHECK_ERR("image = a\n", "line 1: key 'image' outside a section");
	CHECK_ERR("\n\n  on_idle = halt\n", "line 3: key 'on_idle' outside a section");
	CHECK_ERR("[zone a]\nimage=a\nmemory=2M\ncpu=1\ncolour = red\n",
		  "line 5: unknown key 'colour' in [zone a]");
	CHECK_ERR("[zonevisor]\nimage = a\n", "line 2: unknown key 'image' in [zonevisor]");
	CHECK_ERR("[zone a]\ndebug_fault = ud\n", "line 2: unknown key 'debug_fault' in [zone a]");
	CHECK_ERR("[zone a]\nImage = a\n", "line 2: unknown key 'Image' in [zone a]");
	CHECK_ERR("[zonevisor]\njust words\n", "line 2: expected '[section]' or 'key = value'");
	CHECK_ERR("[zonevisor]\n = halt\n", "line 2: missing key before '='");
}

TEST(duplicate_keys)
{
	CHECK_ERR("[zone a]\nimage=a\nmemory=2M\ncpu=1\nimage = b\n",
		  "line 5: duplicate key 'image'");
	CHECK_ERR("[zone a]\nimage=a\nmemory=2M\ncpu=1\nargs=\nargs=x\n",
		  "line 6: duplicate key 'args'");
	CHECK_ERR("[zonevisor]\non_idle=halt\non_idle=halt\n", "line 3: duplicate key 'on_idle'");
	/* [zonevisor] may be split, but a key is still given once. */
	CHECK_ERR("[zonevisor]\non_idle=halt\n[zone a]\nimage=a\nmemory=2M\ncpu=1\n"
		  "[zonevisor]\non_idle=poweroff\n",
		  "line 8: duplicate key 'on_idle'");
	/* The same key in two zones is fine. */
	CHECK_EQ_U64(parse("[zone a]\nimage=x\nmemory=2M\ncpu=1\n"
			   "[zone b]\nimage=x\nmemory=2M\ncpu=1\n"),
		     0);
}

TEST(zone_names)
{
	CHECK_ERR("[zone a]\nimage=a\nmemory=2M\ncpu=1\n[zone a]\n",
		  "line 5: duplicate zone name 'a'");
	CHECK_ERR("[zone]\n",
		  "line 1: bad zone name '' (expected 1 to 31 characters of a-z 0-9 _ -)");
	CHECK_ERR("[zone Hello]\n",
		  "line 1: bad zone name 'Hello' (expected 1 to 31 characters of a-z 0-9 _ -)");
	CHECK_ERR("[zone a b]\n",
		  "line 1: bad zone name 'a b' (expected 1 to 31 characters of a-z 0-9 _ -)");
	CHECK_ERR("[zone a.b]\n",
		  "line 1: bad zone name 'a.b' (expected 1 to 31 characters of a-z 0-9 _ -)");
	CHECK_ERR("[zone 0123456789012345678901234567890123]\n",
		  "line 1: bad zone name '01234567890123456789012345678901' (expected 1 to 31 "
		  "characters of a-z 0-9 _ -)");
	CHECK_EQ_U64(parse("[zone 0123456789012345678901234567890]\nimage=a\nmemory=2M\ncpu=1\n"),
		     0);
	CHECK_STR(cfg.zones[0].name, "0123456789012345678901234567890");
}

TEST(too_many_zones)
{
	char text[4096];
	size_t n = 0;

	for (int i = 0; i < ZV_CONF_MAX_ZONES; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "[zone z%d]\nimage=a\nmemory=2M\ncpu=%d\n", i, i + 1);
	CHECK_EQ_U64(parse(text), 0);
	CHECK_EQ_U64(cfg.zone_count, ZV_CONF_MAX_ZONES);
	CHECK_STR(cfg.zones[ZV_CONF_MAX_ZONES - 1].name, "z15");
	snprintf(text + n, sizeof(text) - n, "[zone extra]\nimage=a\nmemory=2M\ncpu=1\n");
	CHECK_EQ_U64(parse(text), -1);
	CHECK_STR(err, "line 65: too many zones (at most 16)");
}

TEST(missing_required_keys)
{
	CHECK_ERR("[zone a]\nimage=a\nmemory=2M\ncpu=1\n\n[zone b]\nmemory=2M\ncpu=2\n",
		  "line 6: zone 'b' has no image");
	CHECK_ERR("[zone a]\nimage=a\ncpu=1\n[zonevisor]\n", "line 1: zone 'a' has no memory");
	CHECK_ERR("# x\n[zone a]\nimage=a\nmemory=2M\n", "line 2: zone 'a' has no cpu");
	CHECK_ERR("[zone a]\n", "line 1: zone 'a' has no image");
	/* The missing key is reported before a bad next section. */
	CHECK_ERR("[zone a]\n[nonsense]\n", "line 1: zone 'a' has no image");
}

TEST(after_rules)
{
	CHECK_EQ_U64(parse("[zone a]\nimage=a\nmemory=2M\ncpu=1\n"
			   "[zone b]\nimage=b\nmemory=2M\ncpu=1\nafter=a\n"
			   "[zone c]\nimage=c\nmemory=2M\ncpu=1\nafter = b\n"),
		     0);
	CHECK_STR(cfg.zones[2].after, "b");
	CHECK_ERR("[zone a]\nimage=a\nmemory=2M\ncpu=1\nafter=a\n",
		  "line 5: zone 'a' cannot start after itself");
	CHECK_ERR("[zone a]\nimage=a\nmemory=2M\ncpu=1\nafter=b\n"
		  "[zone b]\nimage=b\nmemory=2M\ncpu=2\n",
		  "line 5: after: no zone 'b' is declared before zone 'a'");
	CHECK_ERR("[zone a]\nimage=a\nmemory=2M\ncpu=1\n[zone b]\nafter=nobody\n",
		  "line 6: after: no zone 'nobody' is declared before zone 'b'");
	CHECK_ERR("[zone a]\nafter=\n", "line 2: after: no zone '' is declared before zone 'a'");
}

TEST(args_limits)
{
	char text[1024], args[300];

	memset(args, 'a', 255);
	args[255] = 0;
	snprintf(text, sizeof(text), "[zone a]\nimage=a\nmemory=2M\ncpu=1\nargs=%s\n", args);
	CHECK_EQ_U64(parse(text), 0);
	CHECK_EQ_U64(strlen(cfg.zones[0].args), 255);
	strcat(args, "b");
	snprintf(text, sizeof(text), "[zone a]\nimage=a\nmemory=2M\ncpu=1\nargs=%s\n", args);
	CHECK_EQ_U64(parse(text), -1);
	CHECK_STR(err, "line 5: args too long (at most 255 characters)");
	check_zone_line("args = a\x01"
			"b",
			"line 2: args contain a control character");
	check_zone_line("args = a\x7f", "line 2: args contain a control character");
	CHECK_EQ_U64(parse("[zone a]\nimage=a\nmemory=2M\ncpu=1\nargs=\tname=caf\xc3\xa9\n"), 0);
	CHECK_STR(cfg.zones[0].args, "name=caf\xc3\xa9"); /* leading tab trimmed */
	CHECK_EQ_U64(parse("[zone a]\nimage=a\nmemory=2M\ncpu=1\nargs = a = b # c ; d\n"), 0);
	CHECK_STR(cfg.zones[0].args, "a = b # c ; d");
}

TEST(nul_bytes)
{
	static const char t1[] = "[zonevisor]\non_idle=halt\0\n";
	static const char t2[] = "\0";
	static const char t3[] = "[zone a]\nimage=a\0b\nmemory=2M\ncpu=1\n";

	CHECK_EQ_U64(parse_n(t1, sizeof(t1) - 1), -1);
	CHECK_STR(err, "line 2: NUL byte in the text");
	CHECK_EQ_U64(parse_n(t2, 1), -1);
	CHECK_STR(err, "line 1: NUL byte in the text");
	CHECK_EQ_U64(parse_n(t3, sizeof(t3) - 1), -1);
	CHECK_STR(err, "line 2: NUL byte in the text");
	/* A NUL in a comment is still refused. */
	CHECK_EQ_U64(parse_n("# a\0b\n", 6), -1);
	CHECK_STR(err, "line 1: NUL byte in the text");
}

TEST(long_lines)
{
	static char text[4096];
	char *p;

	/* 511 characters is fine, 512 is not; the CR of a CRLF does not count. */
	p = text + sprintf(text, "[zonevisor]\n");
	memset(p, ' ', 511 - 12);
	strcpy(p + 511 - 12, "on_idle=halt\r\n");
	CHECK_EQ_U64(parse(text), 0);
	p = text + sprintf(text, "[zonevisor]\n");
	memset(p, '#', 512);
	p[512] = 0;
	CHECK_EQ_U64(parse(text), -1);
	CHECK_STR(err, "line 2: line too long (more than 511 characters)");
	/* A huge line without any newline at all. */
	memset(text, 'x', sizeof(text));
	CHECK_EQ_U64(parse_n(text, sizeof(text)), -1);
	CHECK_STR(err, "line 1: line too long (more than 511 characters)");
}

TEST(error_buffer_limits)
{
	char small[12];
	static const char text[] = "[zonevisor]\ncolour = red\n";

	memset(small, 'x', sizeof(small));
	CHECK_EQ_U64(zv_config_parse(text, sizeof(text) - 1, &cfg, small, sizeof(small)), -1);
	CHECK_STR(small, "line 2: unk");
	CHECK_EQ_U64(zv_config_parse(text, sizeof(text) - 1, &cfg, NULL, 0), -1);
	small[0] = 'q';
	CHECK_EQ_U64(zv_config_parse(text, sizeof(text) - 1, &cfg, small, 0), -1);
	CHECK_EQ_U64(small[0], 'q');
	/* A very long key is quoted shortened, and the message always fits. */
	char big[600];
	memset(big, 'k', 400);
	strcpy(big + 400, " = 1\n");
	char full[700];
	snprintf(full, sizeof(full), "[zone a]\n%s", big);
	CHECK_EQ_U64(parse(full), -1);
	CHECK(strlen(err) < sizeof(err));
	CHECK(strncmp(err, "line 2: unknown key 'kkkk", 25) == 0);
}

/* Every prefix of a good config must parse or fail cleanly (ASan watches). */
TEST(every_prefix_is_safe)
{
	size_t len = sizeof(good) - 1;

	for (size_t n = 0; n <= len; n++) {
		int rc = parse_n(good, n);

		CHECK(rc == 0 || rc == -1);
		CHECK(rc == 0 || strncmp(err, "line ", 5) == 0);
	}
}

TEST(cpu_lists_give_one_vcpu_per_cpu)
{
	const char *text = "[zone a]\nimage = a\nmemory = 16M\ncpu = 3,1,2\n"
			   "[zone b]\nimage = b\nmemory = 16M\ncpu = 5\n";

	CHECK_EQ_U64(parse(text), 0);
	CHECK_EQ_U64(cfg.zones[0].vcpu_count, 3);
	CHECK_EQ_U64(cfg.zones[0].cpus[0], 3);
	CHECK_EQ_U64(cfg.zones[0].cpus[1], 1);
	CHECK_EQ_U64(cfg.zones[0].cpus[2], 2);
	CHECK_EQ_U64(cfg.zones[0].cpu, 3);
	CHECK_EQ_U64(cfg.zones[1].vcpu_count, 1);
	CHECK_EQ_U64(cfg.zones[1].cpus[0], 5);
}

TEST(bad_cpu_lists)
{
	check_zone_line("cpu = 1,1", "line 2: cpu '1,1' lists cpu 1 twice");
	check_zone_line("cpu = 1,2,3,4,5", "line 2: cpu '1,2,3,4,5': a zone has at most 4 vCPUs");
	check_zone_line("cpu = 1,", "line 2: bad cpu '1,' (expected 1 to 63, or a list like 1,2; "
				    "cpu 0 runs no zone)");
	check_zone_line("cpu = 1,,2", "line 2: bad cpu '1,,2' (expected 1 to 63, or a list like "
				      "1,2; cpu 0 runs no zone)");
	check_zone_line("cpu = 1,0", "line 2: bad cpu '1,0' (expected 1 to 63, or a list like 1,2; "
				     "cpu 0 runs no zone)");
}

TEST(console_key_marks_the_input_zone)
{
	const char *text = "[zone a]\nimage = a\nmemory = 16M\ncpu = 1\nconsole = yes\n"
			   "[zone b]\nimage = b\nmemory = 16M\ncpu = 2\n";

	CHECK_EQ_U64(parse(text), 0);
	CHECK_EQ_U64(cfg.zones[0].console, 1);
	CHECK_EQ_U64(cfg.zones[1].console, 0);
	check_zone_line("console = maybe", "line 2: bad console 'maybe' (expected yes or no)");
}

TEST(control_zone_runs_on_cpu_0_with_power_of_two_memory)
{
	const char *text = "[zonevisor]\nagent_kernel = vmlinuz\nagent_initrd = agent.cpio.gz\n"
			   "agent_image = agent\n[zone control]\ncontrol = yes\nimage = "
			   "vmlinuz\nmemory = 512M\n"
			   "[zone a]\nimage = a\nmemory = 16M\ncpu = 1\n";

	CHECK_EQ_U64(parse(text), 0);
	CHECK_EQ_U64(cfg.zones[0].control, 1);
	CHECK_EQ_U64(cfg.zones[0].cpus[0], 0);
	CHECK_EQ_U64(cfg.zones[0].vcpu_count, 1);
	CHECK_EQ_U64(cfg.zones[0].console, 1);
	CHECK_EQ_U64(cfg.zones[1].control, 0);
	CHECK_STR(cfg.agent_kernel, "vmlinuz");
	CHECK_STR(cfg.agent_initrd, "agent.cpio.gz");
	CHECK_STR(cfg.agent_image, "agent");
	CHECK(zv_config_control(&cfg) == &cfg.zones[0]);
	CHECK_ERR("[zone c]\ncontrol = yes\nimage = v\nmemory = 96M\n",
		  "line 1: control zone 'c': memory must be a power of two from 64M");
	CHECK_ERR("[zone c]\ncontrol = yes\nimage = v\nmemory = 32M\n",
		  "line 1: control zone 'c': memory must be a power of two from 64M");
	CHECK_ERR("[zone c]\ncontrol = yes\nimage = v\nmemory = 64M\ncpu = 1\n",
		  "line 1: control zone 'c' runs on cpu 0: give no cpu");
	CHECK_ERR("[zone c]\ncontrol = yes\nimage = v\nmemory = 64M\n"
		  "[zone d]\ncontrol = yes\nimage = v\nmemory = 64M\n",
		  "line 5: a second control zone ('d')");
	CHECK_ERR("[zone c]\ncontrol = maybe\n",
		  "line 2: bad control 'maybe' (expected yes or no)");
	CHECK_ERR("[zone c]\nimage = v\nmemory = 64M\n", "line 1: zone 'c' has no cpu");
	CHECK_ERR("[zonevisor]\nagent_kernel = a/b\n",
		  "line 2: bad agent_kernel 'a/b' (expected a file name of 1 to 63 characters of "
		  "A-Z a-z 0-9 . _ -)");
	CHECK_ERR("[zonevisor]\nagent_image = Agent.erofs\n",
		  "line 2: bad agent_image 'Agent.erofs' (expected 1 to 31 characters of a-z 0-9 _ "
		  "-)");
}

TEST(disk_key_names_a_file_and_not_for_the_control_zone)
{
	CHECK_EQ_U64(parse("[zone a]\nimage = v\nmemory = 16M\ncpu = 1\ndisk = root.img\n"), 0);
	CHECK_STR(cfg.zones[0].disk, "root.img");
	CHECK_EQ_U64(parse("[zone a]\nimage = v\nmemory = 16M\ncpu = 1\n"), 0);
	CHECK_STR(cfg.zones[0].disk, "");
	CHECK_ERR("[zone a]\ndisk = ../x\n",
		  "line 2: bad disk '../x' (expected a file name of 1 to 63 characters of "
		  "A-Z a-z 0-9 . _ -)");
	CHECK_ERR("[zone c]\ncontrol = yes\nimage = v\nmemory = 64M\ndisk = d.img\n",
		  "line 1: control zone 'c' cannot have a disk");
}

TEST(audit_keys_defaults_values_and_errors)
{
	CHECK_EQ_U64(parse(""), 0);
	CHECK_EQ_U64(cfg.audit_ring, 1024 * 1024);
	CHECK_EQ_U64(cfg.audit_drop, 0); /* fail closed unless told */
	CHECK_EQ_U64(cfg.audit_share, 12);
	CHECK_EQ_U64(parse("[zonevisor]\naudit_ring = 8K\naudit_full = drop\naudit_share = 50\n"),
		     0);
	CHECK_EQ_U64(cfg.audit_ring, 8192);
	CHECK_EQ_U64(cfg.audit_drop, 1);
	CHECK_EQ_U64(cfg.audit_share, 50);
	CHECK_EQ_U64(parse("[zonevisor]\naudit_full = block\naudit_ring = 65536\n"), 0);
	CHECK_EQ_U64(cfg.audit_drop, 0);
	CHECK_EQ_U64(cfg.audit_ring, 65536);
	CHECK_ERR("[zonevisor]\naudit_full = halt\n",
		  "line 2: bad audit_full 'halt' (expected block or drop)");
	CHECK_ERR("[zonevisor]\naudit_share = 0\n",
		  "line 2: bad audit_share '0' (expected a percentage, 1 to 100)");
	CHECK_ERR("[zonevisor]\naudit_share = 101\n",
		  "line 2: bad audit_share '101' (expected a percentage, 1 to 100)");
	CHECK_ERR("[zonevisor]\naudit_share = 12%\n",
		  "line 2: bad audit_share '12%' (expected a percentage, 1 to 100)");
	CHECK_ERR("[zonevisor]\naudit_ring = 1K\n",
		  "line 2: bad audit_ring '1K' (expected a size from 4K to 256M, e.g. 1M)");
	CHECK_ERR("[zonevisor]\naudit_ring = 1G\n",
		  "line 2: bad audit_ring '1G' (expected a size from 4K to 256M, e.g. 1M)");
	CHECK_ERR("[zonevisor]\naudit_ring = 99999999999999999999999M\n",
		  "line 2: bad audit_ring '99999999999999999999999M' (expected a size from 4K to "
		  "256M, e.g. 1M)");
	CHECK_ERR("[zonevisor]\naudit_ring = -1\n",
		  "line 2: bad audit_ring '-1' (expected a size from 4K to 256M, e.g. 1M)");
}
