/* zv-agent: a run's secrets as files, /run/secrets/NAME, mode 0400, owned by
 * the command's user, in a folder of mode 0500 (the zone's /run is a tmpfs, so
 * they vanish with the zone).  Runs in the chrooted child, as root, before it
 * drops to the user.  Messages name a secret, never its value. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/zv-agent/agent.h"

#define SECRETS_DIR "/run/secrets"

static int secrets_dir(const struct zsa_user *u, char *err)
{
	struct stat st;

	mkdir("/run", 0755);
	if (mkdir(SECRETS_DIR, 0500) < 0 && errno != EEXIST)
		goto fail;
	/* Never follow a symlink someone left in its place. */
	if (lstat(SECRETS_DIR, &st) < 0)
		goto fail;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		goto fail;
	}
	if (chown(SECRETS_DIR, u->uid, u->gid) < 0 || chmod(SECRETS_DIR, 0500) < 0)
		goto fail;
	return 0;
fail:
	snprintf(err, ZSA_ERR_MAX, SECRETS_DIR ": %s", strerror(errno));
	return -1;
}

static int secret_file(const char *entry, const struct zsa_user *u, char *err)
{
	const char *eq = strchr(entry, '=');
	size_t name_len = (size_t)(eq - entry), len = strlen(eq + 1);
	char path[sizeof(SECRETS_DIR) + ZS_SECRET_NAME_MAX + 2];
	int fd, ok;

	snprintf(path, sizeof(path), SECRETS_DIR "/%.*s", (int)name_len, entry);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400);
	if (fd < 0)
		goto fail;
	ok = fchown(fd, u->uid, u->gid) == 0 && fchmod(fd, 0400) == 0 &&
	     write(fd, eq + 1, len) == (ssize_t)len;
	if (close(fd) < 0 || !ok)
		goto fail;
	return 0;
fail:
	snprintf(err, ZSA_ERR_MAX, "secret %.*s: %s", (int)name_len, entry, strerror(errno));
	return -1;
}

int zsa_secrets_write(const struct zsa_req *r, const struct zsa_user *u, char *err)
{
	if (r->nsecrets == 0)
		return 0;
	if (secrets_dir(u, err) < 0)
		return -1;
	for (size_t i = 0; i < r->nsecrets; i++) {
		if (secret_file(r->secrets[i], u, err) < 0)
			return -1;
	}
	return 0;
}
