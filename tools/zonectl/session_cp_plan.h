/* zonectl cp's decisions, pure (session_cp_plan.c; unit-tested): which side
 * is a zone's, and where a copy lands, with docker cp's rules: into an
 * existing directory under the source's name, else under the new name. */
#ifndef ZV_ZONECTL_SESSION_CP_PLAN_H
#define ZV_ZONECTL_SESSION_CP_PLAN_H

#include <stddef.h>

/* ARG as NAME:PATH: 1 with the zone's name in ZONE (CAP bytes) and *PATH;
 * 0 when ARG is a local path (no ':' before the first '/', or not a zone
 * name before it: say ./a:b for a local file of that name). */
int zs_cp_ref(const char *arg, char *zone, size_t cap, const char **path);

/* PATH's directory and last name, trailing slashes ignored: "/a/b/" gives
 * "/a" and "b", "b" gives "." and "b".  0, or -1 when PATH has no last name
 * to copy ("", "/", ".", "..", ending in /. or /..) or it does not fit. */
int zs_cp_split(const char *path, char *dir, size_t dcap, char *base, size_t bcap);

/* The cp-in destination for zone path DST, which op "stat" said is KIND
 * (enum zs_stat_kind), for a source that is a directory or not (SRC_DIR):
 * the directory to unpack in (DIR) and, when the copy gets a new name, that
 * name (NAME; "" when it keeps the source's).  NULL, or why not. */
const char *zs_cp_plan_in(const char *dst, int kind, int src_dir, char *dir, size_t dcap,
			  char *name, size_t ncap);

/* The cp-out destination for local path DST (EXISTS, IS_DIR: what stat
 * says, symlinks followed) of a zone entry of KIND called BASE: the local
 * directory it lands in (DIR) and its name there (NAME).  NULL, or why not. */
const char *zs_cp_plan_out(const char *dst, int exists, int is_dir, int kind, const char *base,
			   char *dir, size_t dcap, char *name, size_t ncap);

#endif
