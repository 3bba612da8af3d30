/* Unit tests of hv/vectors.c (the host's interrupt vector reservations). */
#include "hv/vectors.h"
#include "tests/unit/test.h"

static unsigned taken[256];

static void count(void *ctx, uint8_t vector)
{
	(void)ctx;
	taken[vector]++;
}

TEST(vectors_reserve_a_range_and_find_its_owner)
{
	static struct vector_table t;
	const struct vector_owner pass = {"pci-pass", count, &taken};
	const struct vector_owner wake = {"wakeup", NULL, NULL};
	const struct vector_owner *o;

	CHECK(vectors_reserve(&t, 0x20, 0xee, &pass) == 0);
	CHECK(vectors_reserve(&t, 0xf0, 0xf0, &wake) == 0);
	CHECK(vectors_owner(&t, 0x1f) == NULL);
	CHECK(vectors_owner(&t, 0xef) == NULL);
	CHECK(vectors_owner(&t, 0xff) == NULL);
	o = vectors_owner(&t, 0x20);
	CHECK_STR(o->owner, "pci-pass");
	CHECK(o->ctx == &taken);
	o->handle(o->ctx, 0x20);
	CHECK_EQ_U64(taken[0x20], 1);
	CHECK_STR(vectors_owner(&t, 0xee)->owner, "pci-pass");
	CHECK_STR(vectors_owner(&t, 0xf0)->owner, "wakeup");
	CHECK(vectors_owner(&t, 0xf0)->handle == NULL);
}

TEST(vectors_refuse_exceptions_bad_ranges_and_double_reservation)
{
	static struct vector_table t;
	const struct vector_owner a = {"a", NULL, NULL}, b = {"b", NULL, NULL};
	const struct vector_owner nameless = {NULL, NULL, NULL};

	CHECK(vectors_reserve(&t, 0, 0x40, &a) == -1); /* exceptions are not for owners */
	CHECK(vectors_reserve(&t, 31, 31, &a) == -1);
	CHECK(vectors_reserve(&t, 0x50, 0x40, &a) == -1); /* empty */
	CHECK(vectors_reserve(&t, 0x40, 256, &a) == -1);
	CHECK(vectors_reserve(&t, 0x40, 0x40, &nameless) == -1);
	CHECK(vectors_reserve(&t, 0x40, 0x4f, &a) == 0);
	CHECK(vectors_reserve(&t, 0x30, 0x40, &b) == -1); /* overlaps its first */
	CHECK(vectors_reserve(&t, 0x4f, 0x60, &b) == -1); /* and its last */
	CHECK(vectors_reserve(&t, 0x40, 0x4f, &a) == -1); /* twice, same owner */
	CHECK(vectors_owner(&t, 0x30) == NULL);		  /* nothing of a refusal stays */
	CHECK(vectors_owner(&t, 0x60) == NULL);
	CHECK(vectors_reserve(&t, 0x50, 0xff, &b) == 0);
	CHECK_STR(vectors_owner(&t, 0xff)->owner, "b");
}
