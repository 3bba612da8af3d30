/* Unit tests of hv/io_map.c (the device registry), hv/hook_list.c (destroy hooks) and
 * hv/service_list.c (work deferred to the next entry). */
#include "hv/hook_list.h"
#include "hv/io_map.h"
#include "hv/service_list.h"
#include "tests/unit/test.h"

static struct io_range range(const char *name, uint64_t base, uint64_t size)
{
	return (struct io_range){.name = name, .base = base, .size = size};
}

static int add(struct io_map *m, enum io_kind k, const char *name, uint64_t base, uint64_t size)
{
	struct io_range r = range(name, base, size);

	return io_map_add(m, k, &r);
}

static const char *found(const struct io_map *m, enum io_kind k, uint64_t addr, unsigned size)
{
	const struct io_range *r = io_map_find(m, k, addr, size);

	return r ? r->name : "none";
}

TEST(io_map_finds_the_range_that_holds_the_whole_access)
{
	static struct io_map m;

	CHECK(add(&m, IO_PORT, "uart", 0x3f8, 8) == 0);
	CHECK(add(&m, IO_PORT, "pit", 0x40, 4) == 0);
	CHECK(add(&m, IO_PORT, "rtc", 0x70, 2) == 0);
	CHECK_STR(found(&m, IO_PORT, 0x3f8, 1), "uart");
	CHECK_STR(found(&m, IO_PORT, 0x3ff, 1), "uart");
	CHECK_STR(found(&m, IO_PORT, 0x40, 4), "pit");
	CHECK_STR(found(&m, IO_PORT, 0x71, 1), "rtc");
	CHECK_STR(found(&m, IO_PORT, 0x71, 2), "none"); /* crosses the end */
	CHECK_STR(found(&m, IO_PORT, 0x3f7, 2), "none");
	CHECK_STR(found(&m, IO_PORT, 0x72, 1), "none");
	CHECK_STR(found(&m, IO_PORT, 0, 1), "none");
	CHECK_STR(found(&m, IO_MMIO, 0x3f8, 1), "none"); /* kinds are apart */
	CHECK_EQ_U64(m.r[IO_PORT][0].base, 0x40);	 /* kept in order */
	CHECK_EQ_U64(m.r[IO_PORT][2].base, 0x3f8);
}

TEST(io_map_refuses_overlaps_empty_wrapping_and_too_many)
{
	static struct io_map m;

	CHECK(add(&m, IO_MMIO, "ioapic", 0xfec00000, 0x1000) == 0);
	CHECK(add(&m, IO_MMIO, "a", 0xfec00fff, 1) == -1);
	CHECK(add(&m, IO_MMIO, "b", 0xfebff000, 0x1001) == -1);
	CHECK(add(&m, IO_MMIO, "c", 0xfe000000, 0x2000000) == -1); /* covers it */
	CHECK(add(&m, IO_MMIO, "d", 0xfec00800, 4) == -1);	   /* inside it */
	CHECK(add(&m, IO_MMIO, "e", 0x1000, 0) == -1);
	CHECK(add(&m, IO_MMIO, "f", ~0ull - 1, 4) == -1);
	CHECK(add(&m, IO_MMIO, "g", 0xfebff000, 0x1000) == 0); /* touching is fine */
	CHECK(add(&m, IO_MMIO, "h", 0xfec01000, 0x1000) == 0);
	CHECK(add(&m, IO_MMIO, "top", ~0ull - 3, 4) == 0);
	CHECK_STR(found(&m, IO_MMIO, ~0ull, 1), "top");
	CHECK_EQ_U64(m.n[IO_MMIO], 4);
	for (unsigned i = m.n[IO_MMIO]; i < IO_MAP_MAX; i++)
		CHECK(add(&m, IO_MMIO, "x", i * 0x10000ull, 0x100) == 0);
	CHECK(add(&m, IO_MMIO, "full", 0x900000, 1) == -1);
	for (unsigned i = 1; i < IO_MAP_MAX; i++)
		CHECK(m.r[IO_MMIO][i - 1].base < m.r[IO_MMIO][i].base);
}

TEST(io_map_removes_by_base_and_leaves_the_rest_ordered)
{
	static struct io_map m;

	CHECK(add(&m, IO_MSR, "x2apic", 0x800, 0x100) == 0);
	CHECK(add(&m, IO_MSR, "deadline", 0x6e0, 1) == 0);
	CHECK(add(&m, IO_MSR, "other", 0x10, 1) == 0);
	io_map_remove(&m, IO_MSR, 0x801); /* not a base: nothing */
	CHECK_EQ_U64(m.n[IO_MSR], 3);
	io_map_remove(&m, IO_MSR, 0x6e0);
	CHECK_EQ_U64(m.n[IO_MSR], 2);
	CHECK_STR(found(&m, IO_MSR, 0x6e0, 8), "none");
	CHECK_STR(found(&m, IO_MSR, 0x8ff, 1), "x2apic");
	CHECK_STR(found(&m, IO_MSR, 0x10, 1), "other");
	CHECK(add(&m, IO_MSR, "deadline", 0x6e0, 1) == 0);
	CHECK_STR(found(&m, IO_MSR, 0x6e0, 1), "deadline");
}

TEST(io_map_falls_back_only_where_no_range_answers)
{
	static struct io_map m;
	struct io_range hole = range("unassigned", 0, ~0ull);

	CHECK(add(&m, IO_MMIO, "nic", 0xd0000000, 0x200) == 0);
	CHECK_STR(found(&m, IO_MMIO, 0x1000, 1), "none");
	io_map_set_fallback(&m, IO_MMIO, &hole);
	CHECK_STR(found(&m, IO_MMIO, 0x1000, 1), "unassigned");
	CHECK_STR(found(&m, IO_MMIO, 0xd00001ff, 1), "nic");
	CHECK_STR(found(&m, IO_MMIO, 0xd0000200, 1), "unassigned");
	CHECK_STR(found(&m, IO_PORT, 0x80, 1), "none");
}

static unsigned order[4], calls;

static void note(void *ctx)
{
	order[calls++] = (unsigned)(uintptr_t)ctx;
}

TEST(hook_list_runs_newest_first_once)
{
	static struct hook_list l;

	for (uintptr_t i = 1; i <= 3; i++)
		CHECK(hook_list_add(&l, note, (void *)i) == 0);
	hook_list_run(&l);
	CHECK_EQ_U64(calls, 3);
	CHECK_EQ_U64(order[0], 3);
	CHECK_EQ_U64(order[2], 1);
	hook_list_run(&l);
	CHECK_EQ_U64(calls, 3);
	for (unsigned i = 0; i < HOOK_LIST_MAX; i++)
		CHECK(hook_list_add(&l, note, NULL) == 0);
	CHECK(hook_list_add(&l, note, NULL) == -1);
}

static unsigned served[SERVICE_LIST_MAX + 1];

static bool serve(void *ctx)
{
	unsigned i = (unsigned)(uintptr_t)ctx;

	served[i]++;
	return i == 1; /* only the second device had work */
}

TEST(service_list_runs_every_device_and_says_if_any_worked)
{
	static struct service_list l;

	CHECK(!service_list_run(&l));
	CHECK(service_list_add(&l, serve, (void *)0) == 0);
	CHECK(!service_list_run(&l));
	CHECK(service_list_add(&l, serve, (void *)1) == 0);
	CHECK(service_list_add(&l, serve, (void *)2) == 0);
	CHECK(service_list_run(&l)); /* no short cut after the one that worked */
	CHECK_EQ_U64(served[0], 2);
	CHECK_EQ_U64(served[1], 1);
	CHECK_EQ_U64(served[2], 1);
	CHECK(service_list_add(&l, serve, (void *)3) == 0);
	CHECK(service_list_add(&l, serve, (void *)4) == -1);
}

static enum io_result offset_read(void *ctx, struct vcpu *v, uint64_t offset, unsigned size,
				  uint64_t *value)
{
	(void)v;
	*value = offset * 0x100 + size;
	return ctx ? IO_FAULT : IO_DONE;
}

static enum io_result offset_write(void *ctx, struct vcpu *v, uint64_t offset, unsigned size,
				   uint64_t value)
{
	(void)v;
	*(uint64_t *)ctx = offset + size + value;
	return IO_STOP;
}

TEST(io_range_access_passes_offsets_and_results_and_plays_absent_hardware)
{
	uint64_t seen = 0, value = 7;
	struct io_range r = {"dev", 0x40, 4, offset_read, offset_write, &seen};
	struct io_range absent = {"absent", 0xf4, 4, NULL, NULL, NULL};

	CHECK(io_range_access(&r, NULL, 0x42, 1, 0, &value) == IO_FAULT);
	CHECK_EQ_U64(value, 0x201);
	value = 5;
	CHECK(io_range_access(&r, NULL, 0x41, 2, 1, &value) == IO_STOP);
	CHECK_EQ_U64(seen, 8);
	CHECK(io_range_access(&absent, NULL, 0xf4, 1, 0, &value) == IO_DONE);
	CHECK_EQ_U64(value, ~0ull);
	CHECK(io_range_access(&absent, NULL, 0xf4, 1, 1, &value) == IO_DONE);
}
