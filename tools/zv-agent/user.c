/* zv-agent: resolving ZS_T_USER against the root's /etc/passwd and /etc/group.
 * Read by hand, not with getpwnam: the agent is static (no NSS) and the files
 * are the image's, read after chroot. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/zv-agent/agent.h"

/* A decimal id 0..2^32-2 (the whole string); -1 if it is not one. */
static long long parse_id(const char *s)
{
	long long v = 0;

	if (!*s || strlen(s) > 10)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v <= 0xfffffffeLL ? v : -1;
}

/* Splits a passwd or group line on ':' into at most max fields (in place). */
static int split(char *line, char **f, int max)
{
	int n = 0;

	line[strcspn(line, "\n")] = 0;
	while (n < max) {
		f[n++] = line;
		line = strchr(line, ':');
		if (!line)
			break;
		*line++ = 0;
	}
	return n;
}

/* Finds the passwd entry whose name is name (or, name NULL, whose uid is uid). */
static int passwd_find(const char *name, long long uid, struct zsa_user *u)
{
	FILE *f = fopen("/etc/passwd", "re");
	char line[1024], *fl[7];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		if (split(line, fl, 7) < 7 || parse_id(fl[2]) < 0 || parse_id(fl[3]) < 0)
			continue;
		if (name ? strcmp(fl[0], name) != 0 : parse_id(fl[2]) != uid)
			continue;
		u->uid = (uid_t)parse_id(fl[2]);
		u->gid = (gid_t)parse_id(fl[3]);
		snprintf(u->name, sizeof(u->name), "%s", fl[0]);
		snprintf(u->home, sizeof(u->home), "%s", fl[5][0] ? fl[5] : "/");
		found = 1;
	}
	fclose(f);
	return found;
}

/* The gid of group name; -1 if none. */
static long long group_find(const char *name)
{
	FILE *f = fopen("/etc/group", "re");
	char line[4096], *fl[4];
	long long gid = -1;

	if (!f)
		return -1;
	while (gid < 0 && fgets(line, sizeof(line), f)) {
		if (split(line, fl, 4) >= 3 && strcmp(fl[0], name) == 0)
			gid = parse_id(fl[2]);
	}
	fclose(f);
	return gid;
}

/* The supplementary groups that list u->name as a member, then its primary gid. */
static void groups_of(struct zsa_user *u)
{
	FILE *f = fopen("/etc/group", "re");
	char line[4096], *fl[4], *m, *save;

	u->ngroups = 0;
	u->groups[u->ngroups++] = u->gid;
	if (!f || !u->name[0]) {
		if (f)
			fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f) && u->ngroups < 64) {
		if (split(line, fl, 4) < 4 || parse_id(fl[2]) < 0)
			continue;
		for (m = strtok_r(fl[3], ",", &save); m; m = strtok_r(NULL, ",", &save)) {
			if (strcmp(m, u->name) == 0 && (gid_t)parse_id(fl[2]) != u->gid) {
				u->groups[u->ngroups++] = (gid_t)parse_id(fl[2]);
				break;
			}
		}
	}
	fclose(f);
}

static int user_part(const char *spec, struct zsa_user *u, char *err)
{
	long long id = parse_id(spec);

	if (id >= 0) {
		if (!passwd_find(NULL, id, u)) {
			/* An id without an entry is fine (docker's habit): home /. */
			u->uid = (uid_t)id;
			u->gid = (gid_t)id;
			snprintf(u->home, sizeof(u->home), "/");
		}
		return 0;
	}
	if (passwd_find(spec, -1, u))
		return 0;
	snprintf(err, ZSA_ERR_MAX, "user %.64s: no such user in /etc/passwd", spec);
	return -1;
}

int zsa_user_lookup(const char *spec, struct zsa_user *u, char *err)
{
	char buf[256], *colon;
	long long gid;

	memset(u, 0, sizeof(*u));
	snprintf(u->home, sizeof(u->home), "/root");
	snprintf(u->name, sizeof(u->name), "root");
	if (!spec) {
		passwd_find(NULL, 0, u);
		groups_of(u);
		return 0;
	}
	if (strlen(spec) >= sizeof(buf)) {
		snprintf(err, ZSA_ERR_MAX, "user name too long");
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", spec);
	colon = strchr(buf, ':');
	if (colon)
		*colon++ = 0;
	u->name[0] = 0;
	if (user_part(buf, u, err) < 0)
		return -1;
	groups_of(u);
	if (colon) {
		gid = parse_id(colon);
		if (gid < 0)
			gid = group_find(colon);
		if (gid < 0) {
			snprintf(err, ZSA_ERR_MAX, "group %.64s: no such group in /etc/group",
				 colon);
			return -1;
		}
		u->gid = (gid_t)gid;
		u->groups[0] = u->gid;
		u->ngroups = 1; /* docker: an explicit group replaces the user's groups */
	}
	return 0;
}
