/* Unit tests of zones/audit/{fields,log,audit}.c: the record format, the tree field, the ring's
 * drop and block policies, shares, acks, wrap-around and read gaps. */
#define _GNU_SOURCE /* memmem */
#include <stdlib.h>
#include <string.h>

#include "hv/lib/sha256.h"
#include "tests/unit/test.h"
#include "zones/audit/log.h"

static uint64_t clock_us = 1796189216123456ull; /* 2026-12-02T05:26:56.123456Z */

static uint64_t fake_now(void)
{
	return clock_us;
}

static struct audit_log *new_log(uint64_t bytes, enum audit_full full, uint32_t share)
{
	struct audit_log *l = malloc(sizeof(*l));
	struct audit_config c = {bytes, full, share, malloc(bytes), fake_now};

	CHECK(audit_log_init(l, &c));
	return l;
}

static void free_log(struct audit_log *l)
{
	free(l->ring);
	free(l);
}

static const struct audit_source hv = {"", 0}, zone_a = {"a", 7}, zone_b = {"b", 8};

/* Appends a record with one field n. */
static bool add(struct audit_log *l, const struct audit_source *src, uint64_t n)
{
	struct audit_fields f;

	audit_fields_init(&f);
	audit_u64(&f, "n", n);
	return audit_log_append(l, src, "test", &f);
}

static char *read_all(struct audit_log *l, uint64_t since, uint64_t *first, uint64_t *next)
{
	static char buf[1 << 20];
	size_t n = audit_log_read(l, since, buf, sizeof(buf) - 1, first, next);

	buf[n] = 0;
	return buf;
}

static unsigned count_lines(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

TEST(audit_fields_escape_and_types)
{
	static const uint8_t bytes[] = {0xde, 0xad, 0x01};
	struct audit_fields f;

	audit_fields_init(&f);
	audit_str(&f, "s", "a\"b\\c\n\x01\x7f\xff/z");
	audit_u64(&f, "u", 18446744073709551615ull);
	audit_i64(&f, "i", -42);
	audit_hex(&f, "h", bytes, 3);
	f.text[f.len] = 0;
	CHECK_STR((const char *)memcpy((char[200]){0}, f.text, f.len + 1),
		  ",\"s\":\"a\\\"b\\\\c\\u000a\\u0001\\u007f\\u00ff/z\",\"u\":18446744073709551615,"
		  "\"i\":-42,\"h\":\"dead01\"");
	CHECK(!f.truncated);
}

TEST(audit_fields_that_do_not_fit_set_truncated)
{
	static char big[3000];
	struct audit_fields f;

	memset(big, '\n', sizeof(big) - 1); /* 6 bytes escaped each */
	audit_fields_init(&f);
	audit_str(&f, "big", big);
	CHECK(f.truncated);
	CHECK(f.len <= AUDIT_FIELDS_MAX);
	CHECK(f.text[f.len - 1] == '"');
	CHECK((f.len - 9) % 6 == 0); /* ,"big":" and the closing quote around whole escapes */
	audit_u64(&f, "late", 1);
	CHECK(f.len <= AUDIT_FIELDS_MAX);
	CHECK(memmem(f.text, f.len, "late", 4) == NULL);
	audit_fields_init(&f);
	audit_hex(&f, "h", (const uint8_t *)big, 600); /* 1200 hex digits: not at all */
	CHECK(f.truncated);
	CHECK_EQ_U64(f.len, 0);
}

TEST(audit_record_line_exact)
{
	struct audit_log *l = new_log(AUDIT_RING_MIN, AUDIT_FULL_DROP, 12);
	struct audit_source z = {"w\"eb", 3};
	struct audit_fields f;
	uint64_t first, next;

	audit_fields_init(&f);
	audit_str(&f, "op", "run");
	CHECK(audit_log_append(l, &hv, "hypervisor.boot", NULL));
	CHECK(audit_log_append(l, &z, "zone.started", &f));
	CHECK_STR(read_all(l, 0, &first, &next),
		  "{\"seq\":0,\"time\":\"2026-12-02T05:26:56.123456Z\",\"zone\":\"\",\"zone_id\":0,"
		  "\"type\":\"hypervisor.boot\",\"tree\":"
		  "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"}\n"
		  "{\"seq\":1,\"time\":\"2026-12-02T05:26:56.123456Z\",\"zone\":\"w\\\"eb\",\"zone_"
		  "id\":3,"
		  "\"type\":\"zone.started\",\"tree\":"
		  "\"0b9ffefac2701cd6443018b67672d333e5148a5bcf1fee5a35efd3b9af91bcbc\",\"op\":"
		  "\"run\"}\n");
	free_log(l);
}

/* Every line's seq follows the last; its tree field is the root of the lines before it. */
static void check_chain(const char *text, uint64_t first_seq, unsigned want_lines)
{
	struct merkle m;
	unsigned lines = 0;
	uint8_t leaf[MERKLE_HASH], root[MERKLE_HASH];
	char hex[65], want[100];

	merkle_init(&m);
	for (const char *p = text; *p; lines++) {
		const char *end = strchr(p, '\n');
		char head[40];

		snprintf(head, sizeof(head), "{\"seq\":%llu,",
			 (unsigned long long)(first_seq + lines));
		CHECK(strncmp(p, head, strlen(head)) == 0);
		if (!first_seq) { /* the whole tree is known only from record 0 */
			merkle_root(&m, root);
			sha256_hex(root, hex);
			snprintf(want, sizeof(want), "\"tree\":\"%s\"", hex);
			CHECK(memmem(p, (size_t)(end - p), want, strlen(want)) != NULL);
		}
		merkle_leaf_hash(p, (size_t)(end - p), leaf);
		merkle_append(&m, leaf);
		p = end + 1;
	}
	CHECK_EQ_U64(lines, want_lines);
}

TEST(audit_seq_without_gaps_and_tree_matches_recomputed_root)
{
	struct audit_log *l = new_log(1 << 16, AUDIT_FULL_DROP, 100);
	struct audit_head h;
	struct merkle m;
	uint64_t first, next;
	uint8_t root[MERKLE_HASH], leaf[MERKLE_HASH];
	char *text;

	for (uint64_t i = 0; i < 100; i++) {
		clock_us += 1000;
		CHECK(add(l, i % 3 ? &zone_a : &hv, i));
	}
	text = read_all(l, 0, &first, &next);
	CHECK_EQ_U64(first, 0);
	CHECK_EQ_U64(next, 100);
	check_chain(text, 0, 100);
	/* the head is the root over all 100 */
	merkle_init(&m);
	for (char *p = text, *end; (end = strchr(p, '\n')); p = end + 1) {
		merkle_leaf_hash(p, (size_t)(end - p), leaf);
		merkle_append(&m, leaf);
	}
	merkle_root(&m, root);
	audit_log_head(l, &h);
	CHECK_EQ_U64(h.size, 100);
	CHECK(memcmp(h.root, root, 32) == 0);
	free_log(l);
}

/* Records are sealed when read, not when appended: sealing in several rounds
 * (a head, reads that stop short) gives the chain one round would. */
TEST(audit_sealing_in_rounds_gives_the_same_chain)
{
	struct audit_log *l = new_log(1 << 16, AUDIT_FULL_DROP, 100);
	struct audit_stats st;
	struct audit_head h;
	uint64_t first, next;
	char *text, line[AUDIT_LINE_MAX];

	for (uint64_t i = 0; i < 30; i++) {
		CHECK(add(l, i % 2 ? &zone_a : &hv, i));
		if (i == 4) {
			audit_log_head(l, &h);
			CHECK_EQ_U64(h.size, 5);
		}
		if (i == 11) /* room for one line: seals all, returns the first */
			CHECK(audit_log_read(l, 0, line, sizeof(line), &first, &next) > 0);
	}
	audit_log_stats(l, &st);
	CHECK_EQ_U64(st.records, 30); /* appended, whether sealed yet or not */
	text = read_all(l, 0, &first, &next);
	CHECK_EQ_U64(next, 30);
	check_chain(text, 0, 30);
	CHECK(strstr(text, "\"tree\":\"0000000000000000") == NULL);
	free_log(l);
}

TEST(audit_drop_mode_writes_lost_record_when_room_returns)
{
	struct audit_log *l = new_log(AUDIT_RING_MIN, AUDIT_FULL_DROP, 100);
	struct audit_stats st;
	uint64_t first, next, stored = 0, refused = 0;
	char *text;

	for (uint64_t i = 0; i < 100; i++)
		add(l, &hv, i) ? stored++ : refused++;
	CHECK(refused > 0);
	CHECK(!audit_log_would_block(l, &hv)); /* drop mode never blocks */
	audit_log_stats(l, &st);
	CHECK_EQ_U64(st.lost, refused);
	CHECK_EQ_U64(st.records, stored);
	audit_log_ack(l, stored); /* room again: the lost record comes first */
	text = read_all(l, stored, &first, &next);
	CHECK_EQ_U64(first, stored);
	CHECK_EQ_U64(next, stored + 1);
	CHECK(strstr(text, "\"type\":\"lost\"") != NULL);
	{
		char want[40];

		snprintf(want, sizeof(want), ",\"count\":%llu}\n", (unsigned long long)refused);
		CHECK(strstr(text, want) != NULL);
	}
	CHECK(add(l, &hv, 1000));
	free_log(l);
}

TEST(audit_zone_share_keeps_others_recorded)
{
	struct audit_log *l = new_log(1 << 16, AUDIT_FULL_DROP, 12);
	struct audit_stats st;
	uint64_t first, next;
	unsigned a_ok = 0;

	for (int i = 0; i < 1000; i++)
		a_ok += add(l, &zone_a, (uint64_t)i);
	audit_log_stats(l, &st);
	CHECK(st.ring_used <= (1 << 16) * 12 / 100);
	CHECK(a_ok < 1000 && a_ok > 10);
	CHECK(add(l, &zone_b, 1)); /* b has its own share */
	/* the hypervisor and the trusted control zone may use the whole ring */
	audit_log_trust(l, 9);
	for (int i = 0; i < 100; i++) {
		CHECK(add(l, &hv, 1));
		CHECK(add(l, &(struct audit_source){"ctl", 9}, 2));
	}
	audit_log_stats(l, &st);
	CHECK(st.ring_used > (1 << 16) / 4);
	audit_log_ack(l, st.records); /* a's refused records: one lost record in a's name */
	CHECK(strstr(read_all(l, st.records, &first, &next),
		     "\"zone\":\"a\",\"zone_id\":7,\"type\":\"lost\"") != NULL);
	CHECK_EQ_U64(next, st.records + 1);
	free_log(l);
}

TEST(audit_block_mode_says_wait_at_the_share_or_full_ring)
{
	struct audit_log *l = new_log(1 << 15, AUDIT_FULL_BLOCK, 12);
	struct audit_stats st;
	int n = 0;

	CHECK(!audit_log_would_block(l, &zone_a));
	while (!audit_log_would_block(l, &zone_a) && n < 1000)
		CHECK(add(l, &zone_a, (uint64_t)n++)); /* what it lets through is recorded */
	CHECK(n > 1 && n < 1000);
	CHECK(!audit_log_would_block(l, &zone_b));
	while (!audit_log_would_block(l, &hv) && n < 10000)
		CHECK(add(l, &hv, (uint64_t)n++));
	CHECK(audit_log_would_block(l, &zone_b)); /* the ring itself is full now */
	audit_log_stats(l, &st);
	CHECK(st.blocked >= 3);
	CHECK_EQ_U64(st.lost, 0);
	audit_log_ack(l, st.records);
	CHECK(!audit_log_would_block(l, &zone_a));
	free_log(l);
}

/* Many times round a small ring: every record read back whole and in order. */
TEST(audit_ack_and_wrap_around)
{
	struct audit_log *l = new_log(AUDIT_RING_MIN + 101, AUDIT_FULL_DROP, 100);
	uint64_t first, next, since = 0;
	struct audit_fields f;
	char pad[300];

	for (uint64_t i = 0; i < 2000; i++) {
		char want[40], *text;

		memset(pad, 'x', sizeof(pad));
		pad[i % sizeof(pad)] = 0; /* lengths vary, so lines straddle the end */
		audit_fields_init(&f);
		audit_u64(&f, "n", i);
		audit_str(&f, "pad", pad);
		CHECK(audit_log_append(l, &zone_a, "t", &f));
		if (i % 3 != 2)
			continue;
		text = read_all(l, since, &first, &next);
		CHECK_EQ_U64(first, since);
		CHECK_EQ_U64(next, i + 1);
		check_chain(text, since, (unsigned)(i + 1 - since));
		snprintf(want, sizeof(want), "\"n\":%llu,", (unsigned long long)i);
		CHECK(strstr(text, want) != NULL);
		audit_log_ack(l, next);
		since = next;
	}
	free_log(l);
}

/* Drained records are reused: a reader asking for them sees where the kept ones start. */
TEST(audit_read_shows_the_gap)
{
	struct audit_log *l = new_log(AUDIT_RING_MIN, AUDIT_FULL_DROP, 100);
	uint64_t first, next;
	char *text;

	for (uint64_t i = 0; i < 200; i++) {
		CHECK(add(l, &hv, i));
		audit_log_ack(l, i + 1);
	}
	text = read_all(l, 0, &first, &next);
	CHECK(first > 0);
	CHECK_EQ_U64(next, 200);
	CHECK_EQ_U64(count_lines(text), 200 - first);
	check_chain(text, first, (unsigned)(200 - first));
	text = read_all(l, 500, &first, &next); /* past the head: nothing, told where it is */
	CHECK_EQ_U64(strlen(text), 0);
	CHECK_EQ_U64(first, 200);
	CHECK_EQ_U64(next, 200);
	CHECK_EQ_U64(audit_log_read(l, 199, text, 10, &first, &next), 0); /* cap under a line */
	CHECK_EQ_U64(first, 199);
	CHECK_EQ_U64(next, 199);
	free_log(l);
}

/* What a caller may get wrong: no source, no type, a fields length past its buffer, a bad config.
 */
TEST(audit_hostile_and_bad_arguments)
{
	struct audit_log *l = new_log(AUDIT_RING_MIN, AUDIT_FULL_DROP, 12), bad;
	struct audit_config c = {AUDIT_RING_MIN - 1, AUDIT_FULL_DROP, 12, l->ring, NULL};
	struct audit_source weird = {"\xff\n\"", 5};
	struct audit_fields f;
	uint64_t first, next;
	char *text;

	CHECK(!audit_log_init(&bad, &c));
	c.ring_bytes = AUDIT_RING_MIN;
	c.share_pct = 101;
	CHECK(!audit_log_init(&bad, &c));
	c.share_pct = 12;
	c.ring = NULL;
	CHECK(!audit_log_init(&bad, &c));
	audit_fields_init(&f);
	memset(f.text, 'q', sizeof(f.text));
	f.len = 1u << 30;
	CHECK(audit_log_append(l, NULL, NULL, &f));
	CHECK(audit_log_append(l, &weird, "x\x01", NULL));
	text = read_all(l, 0, &first, &next);
	CHECK_EQ_U64(next, 2);
	for (const char *p = text; *p; p++)
		CHECK(*p == '\n' || (*p >= 0x20 && *p < 0x7f));
	CHECK(strstr(text, "\"zone\":\"\\u00ff\\u000a\\\"\",\"zone_id\":5,\"type\":\"x\\u0001\"") !=
	      NULL);
	free_log(l);
}

TEST(audit_global_log_off_until_init)
{
	struct audit_head h;
	struct audit_stats st;
	uint64_t first = 9, next = 9;
	char buf[16];

	CHECK(!audit_append(&hv, "x", NULL));
	CHECK(!audit_would_block(&zone_a));
	audit_head(&h);
	CHECK_EQ_U64(h.size, 0);
	CHECK_EQ_U64(h.root[0], 0xe3);
	CHECK_EQ_U64(audit_read(0, buf, sizeof(buf), &first, &next), 0);
	CHECK_EQ_U64(first + next, 0);
	audit_stats(&st);
	CHECK_EQ_U64(st.records, 0);
}
