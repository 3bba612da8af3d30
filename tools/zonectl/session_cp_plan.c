/* zonectl cp's decisions (session_cp_plan.h). */
#include "tools/zonectl/session_cp_plan.h"

#include <stdio.h>
#include <string.h>

#include "tools/session/proto.h"
#include "tools/zonectl/zonectl_util.h"

int zs_cp_ref(const char *arg, char *zone, size_t cap, const char **path)
{
	const char *colon = strchr(arg, ':'), *slash = strchr(arg, '/');
	size_t n;

	if (!colon || colon == arg || (slash && slash < colon))
		return 0;
	n = (size_t)(colon - arg);
	if (n >= cap)
		return 0;
	memcpy(zone, arg, n);
	zone[n] = '\0';
	if (zc_name_error(zone))
		return 0;
	*path = colon + 1;
	return 1;
}

static int put_str(char *out, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

int zs_cp_split(const char *path, char *dir, size_t dcap, char *base, size_t bcap)
{
	size_t end = strlen(path), start;

	while (end > 1 && path[end - 1] == '/')
		end--;
	start = end;
	while (start > 0 && path[start - 1] != '/')
		start--;
	if (end == start || (end - start == 1 && path[start] == '.') ||
	    (end - start == 2 && path[start] == '.' && path[start + 1] == '.'))
		return -1;
	if (put_str(base, bcap, path + start, end - start) != 0)
		return -1;
	if (start == 0)
		return put_str(dir, dcap, ".", 1);
	while (start > 1 && path[start - 1] == '/') /* "a//b": "a"; "/b": "/" */
		start--;
	return put_str(dir, dcap, path, start);
}

const char *zs_cp_plan_in(const char *dst, int kind, int src_dir, char *dir, size_t dcap,
			  char *name, size_t ncap)
{
	size_t n = strlen(dst);

	if (dst[0] != '/')
		return "a path in a zone must be absolute";
	if (kind == ZS_STAT_DIR) {
		name[0] = '\0';
		return put_str(dir, dcap, dst, n) ? "the path is too long" : NULL;
	}
	if (dst[n - 1] == '/')
		return kind == ZS_STAT_NONE ? "no such directory in the zone"
					    : "not a directory in the zone";
	if (kind == ZS_STAT_FILE && src_dir)
		return "cannot copy a directory onto a file";
	if (zs_cp_split(dst, dir, dcap, name, ncap) != 0)
		return "the destination has no name to copy to";
	return NULL;
}

const char *zs_cp_plan_out(const char *dst, int exists, int is_dir, int kind, const char *base,
			   char *dir, size_t dcap, char *name, size_t ncap)
{
	size_t n = strlen(dst);

	if (exists && is_dir) {
		if (put_str(dir, dcap, dst, n) || put_str(name, ncap, base, strlen(base)))
			return "the path is too long";
		return NULL;
	}
	if (n && dst[n - 1] == '/')
		return exists ? "not a directory" : "no such directory";
	if (exists && kind == ZS_STAT_DIR)
		return "cannot copy a directory onto a file";
	if (zs_cp_split(dst, dir, dcap, name, ncap) != 0)
		return "the destination has no name to copy to";
	return NULL;
}
