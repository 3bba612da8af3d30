/* Unit tests of zones/net/deny_log.c: per-reason budgets, summaries, counters, first and last. */
#include "tests/unit/test.h"
#include "zones/net/deny_log.h"

static struct deny_log log_;
static struct switch_out out;

static const struct switch_out *deny(enum switch_reason r, uint16_t dst_port, const char *name)
{
	memset(&out, 0, sizeof(out));
	out.reason = r;
	out.port = 3;
	out.kind = PKT_KIND_IPV4;
	out.proto = PKT_PROTO_TCP;
	out.src_ip = 0x0a4d000d;
	out.dst_ip = 0x0a000202;
	out.src_port = 40000;
	out.dst_port = dst_port;
	strcpy(out.name, name);
	return &out;
}

TEST(a_deny_is_kept_in_detail_and_counted)
{
	deny_log_init(&log_);
	CHECK(deny_log_add(&log_, deny(SWITCH_DENY_NAME, 53, "denied.test"), 1234));
	CHECK_EQ_U64(log_.total, 1);
	CHECK_EQ_U64(log_.recorded, 1);
	CHECK_EQ_U64(log_.records[0].time_ms, 1234);
	CHECK_EQ_U64(log_.records[0].reason, SWITCH_DENY_NAME);
	CHECK_STR(log_.records[0].name, "denied.test");
	CHECK_EQ_U64(log_.records[0].frame.dst_port, 53);
	CHECK_EQ_U64(log_.records[0].frame.src_ip, 0x0a4d000d);
	CHECK_EQ_U64(log_.records[0].frame.port, 3);
	CHECK_EQ_U64(log_.reason[SWITCH_DENY_NAME].count, 1);
	CHECK_EQ_U64(log_.reason[SWITCH_DENY_NAME].first_ms, 1234);
	CHECK_EQ_U64(log_.reason[SWITCH_DENY_NAME].last_ms, 1234);
	CHECK_EQ_U64(deny_log_unrecorded(&log_), 0);
}

TEST(a_pass_or_an_unknown_reason_is_not_a_deny)
{
	deny_log_init(&log_);
	CHECK(!deny_log_add(&log_, deny(SWITCH_PASS, 80, ""), 1));
	CHECK(!deny_log_add(&log_, deny(SWITCH_REASON_COUNT, 80, ""), 1));
	CHECK(!deny_log_add(&log_, deny((enum switch_reason) - 1, 80, ""), 1));
	CHECK_EQ_U64(log_.total, 0);
	CHECK_EQ_U64(log_.recorded, 0);
}

/* The flood of one reason: its first DENY_LOG_PER_REASON in detail, the rest
 * summarised (count, first, last time, last frame), never silent. */
TEST(a_flood_of_one_reason_is_summarised_after_its_budget)
{
	deny_log_init(&log_);
	for (uint64_t i = 0; i < 10000; i++)
		deny_log_add(&log_, deny(SWITCH_DENY_IPV6, (uint16_t)i, ""), 100 + i);
	CHECK_EQ_U64(log_.recorded, DENY_LOG_PER_REASON);
	CHECK_EQ_U64(log_.reason[SWITCH_DENY_IPV6].kept, DENY_LOG_PER_REASON);
	CHECK_EQ_U64(log_.reason[SWITCH_DENY_IPV6].count, 10000);
	CHECK_EQ_U64(log_.reason[SWITCH_DENY_IPV6].first_ms, 100);
	CHECK_EQ_U64(log_.reason[SWITCH_DENY_IPV6].last_ms, 100 + 9999);
	CHECK_EQ_U64(log_.reason[SWITCH_DENY_IPV6].last.dst_port, 9999);
	CHECK_EQ_U64(log_.records[DENY_LOG_PER_REASON - 1].frame.dst_port, DENY_LOG_PER_REASON - 1);
	CHECK_EQ_U64(log_.total, 10000);
	CHECK_EQ_U64(deny_log_unrecorded(&log_), 10000 - DENY_LOG_PER_REASON);
}

/* Junk of one kind first, then the denial that matters: it is kept in detail. */
TEST(a_flood_of_one_reason_pushes_out_no_other_reason)
{
	deny_log_init(&log_);
	for (int i = 0; i < 5000; i++)
		deny_log_add(&log_, deny(SWITCH_DENY_IPV6, 0, ""), 10);
	CHECK(deny_log_add(&log_, deny(SWITCH_DENY_NO_RULE, 443, ""), 20));
	CHECK(deny_log_add(&log_, deny(SWITCH_DENY_NAME, 53, "evil.example"), 30));
	CHECK_EQ_U64(log_.records[DENY_LOG_PER_REASON].reason, SWITCH_DENY_NO_RULE);
	CHECK_EQ_U64(log_.records[DENY_LOG_PER_REASON].frame.dst_port, 443);
	CHECK_STR(log_.records[DENY_LOG_PER_REASON + 1].name, "evil.example");
	CHECK_EQ_U64(log_.reason[SWITCH_DENY_NO_RULE].count, 1);
	CHECK_EQ_U64(log_.reason[SWITCH_DENY_NAME].first_ms, 30);
}

/* Every reason at its budget: the store fills, later reasons are still counted. */
TEST(a_full_store_still_counts_every_reason)
{
	unsigned full_reasons = DENY_LOG_RECORDS / DENY_LOG_PER_REASON;

	deny_log_init(&log_);
	for (unsigned r = 1; r <= full_reasons; r++)
		for (int i = 0; i < 2 * DENY_LOG_PER_REASON; i++)
			deny_log_add(&log_, deny((enum switch_reason)r, 1, ""), r);
	CHECK_EQ_U64(log_.recorded, DENY_LOG_RECORDS);
	CHECK(!deny_log_add(&log_, deny(SWITCH_DENY_EXPIRED, 8080, ""), 777));
	CHECK_EQ_U64(log_.reason[SWITCH_DENY_EXPIRED].count, 1);
	CHECK_EQ_U64(log_.reason[SWITCH_DENY_EXPIRED].kept, 0);
	CHECK_EQ_U64(log_.reason[SWITCH_DENY_EXPIRED].first_ms, 777);
	CHECK_EQ_U64(log_.reason[SWITCH_DENY_EXPIRED].last.dst_port, 8080);
	CHECK_EQ_U64(log_.total, full_reasons * 2 * DENY_LOG_PER_REASON + 1);
}

/* At least this many reasons get their first records in detail, whatever came first. */
TEST(the_store_holds_the_first_records_of_several_reasons)
{
	CHECK(DENY_LOG_RECORDS / DENY_LOG_PER_REASON >= 8);
	CHECK(sizeof(struct deny_log) <= 32768); /* 8 pages per NIC (zones/net/nic.c) */
}

/* A name as long as DNS allows is kept whole. */
TEST(a_longest_name_is_kept_whole)
{
	char name[DNS_NAME_MAX + 1];

	memset(name, 'a', DNS_NAME_MAX);
	name[DNS_NAME_MAX] = '\0';
	deny_log_init(&log_);
	deny_log_add(&log_, deny(SWITCH_DENY_NAME, 53, name), 5);
	CHECK_STR(log_.records[0].name, name);
}
