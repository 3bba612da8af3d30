/* Unit tests of zonectl cp's decisions (tools/zonectl/session_cp_plan.c):
 * which side is a zone's, path splitting, and where a copy lands. */
#include "tests/unit/test.h"
#include "tools/zonectl/session_cp_plan.c"
#include "tools/zonectl/zonectl_util.c"

TEST(cp_ref)
{
	char zone[32];
	const char *path = NULL;

	CHECK(zs_cp_ref("web:/etc/hosts", zone, sizeof(zone), &path) == 1);
	CHECK_STR(zone, "web");
	CHECK_STR(path, "/etc/hosts");
	CHECK(zs_cp_ref("z-1:", zone, sizeof(zone), &path) == 1 && path[0] == '\0');
	CHECK(zs_cp_ref("/tmp/a:b", zone, sizeof(zone), &path) == 0); /* '/' before ':' */
	CHECK(zs_cp_ref("./a:b", zone, sizeof(zone), &path) == 0);
	CHECK(zs_cp_ref("file", zone, sizeof(zone), &path) == 0);
	CHECK(zs_cp_ref(":x", zone, sizeof(zone), &path) == 0);
	CHECK(zs_cp_ref("Web:/x", zone, sizeof(zone), &path) == 0); /* not a zone name */
	CHECK(zs_cp_ref("a_very_long_zone_name_over_31_chars:/x", zone, sizeof(zone), &path) == 0);
}

TEST(cp_split)
{
	static const struct {
		const char *path, *dir, *base;
	} good[] = {
		{"/a/b", "/a", "b"}, {"/a/b/", "/a", "b"},  {"/b", "/", "b"},  {"b", ".", "b"},
		{"a//b", "a", "b"},  {"/a/b//", "/a", "b"}, {"./x", ".", "x"}, {"a/.x", "a", ".x"},
	};
	static const char *const bad[] = {"", "/", "//", ".", "..", "/a/.", "a/..", "/.."};
	char dir[64], base[64];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CHECK(zs_cp_split(good[i].path, dir, sizeof(dir), base, sizeof(base)) == 0);
		CHECK_STR(dir, good[i].dir);
		CHECK_STR(base, good[i].base);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(zs_cp_split(bad[i], dir, sizeof(dir), base, sizeof(base)) == -1);
	CHECK(zs_cp_split("/a/bbbb", dir, sizeof(dir), base, 4) == -1); /* does not fit */
}

TEST(cp_plan_in)
{
	char dir[64], name[64];

	CHECK(zs_cp_plan_in("/srv", ZS_STAT_DIR, 1, dir, sizeof(dir), name, sizeof(name)) == NULL);
	CHECK_STR(dir, "/srv");
	CHECK_STR(name, "");
	CHECK(zs_cp_plan_in("/srv/new", ZS_STAT_NONE, 1, dir, sizeof(dir), name, sizeof(name)) ==
	      NULL);
	CHECK_STR(dir, "/srv");
	CHECK_STR(name, "new");
	CHECK(zs_cp_plan_in("/srv/f", ZS_STAT_FILE, 0, dir, sizeof(dir), name, sizeof(name)) ==
	      NULL);
	CHECK_STR(name, "f");
	CHECK(zs_cp_plan_in("/srv/f", ZS_STAT_FILE, 1, dir, sizeof(dir), name, sizeof(name)) !=
	      NULL);
	CHECK(zs_cp_plan_in("/srv/no/", ZS_STAT_NONE, 0, dir, sizeof(dir), name, sizeof(name)) !=
	      NULL);
	CHECK(zs_cp_plan_in("rel", ZS_STAT_NONE, 0, dir, sizeof(dir), name, sizeof(name)) != NULL);
	CHECK(zs_cp_plan_in("/", ZS_STAT_NONE, 0, dir, sizeof(dir), name, sizeof(name)) != NULL);
}

TEST(cp_plan_out)
{
	char dir[64], name[64];

	CHECK(zs_cp_plan_out("out", 1, 1, ZS_STAT_DIR, "etc", dir, sizeof(dir), name,
			     sizeof(name)) == NULL);
	CHECK_STR(dir, "out");
	CHECK_STR(name, "etc");
	CHECK(zs_cp_plan_out("out/new", 0, 0, ZS_STAT_DIR, "etc", dir, sizeof(dir), name,
			     sizeof(name)) == NULL);
	CHECK_STR(dir, "out");
	CHECK_STR(name, "new");
	CHECK(zs_cp_plan_out("f", 1, 0, ZS_STAT_FILE, "hosts", dir, sizeof(dir), name,
			     sizeof(name)) == NULL);
	CHECK_STR(dir, ".");
	CHECK_STR(name, "f");
	CHECK(zs_cp_plan_out("f", 1, 0, ZS_STAT_DIR, "etc", dir, sizeof(dir), name, sizeof(name)) !=
	      NULL);
	CHECK(zs_cp_plan_out("nodir/", 0, 0, ZS_STAT_FILE, "x", dir, sizeof(dir), name,
			     sizeof(name)) != NULL);
	CHECK(zs_cp_plan_out("..", 0, 0, ZS_STAT_FILE, "x", dir, sizeof(dir), name, sizeof(name)) !=
	      NULL);
}
