/* Unit tests of zonectl's session options and requests
 * (tools/zonectl/session_cmds.c): -e, secrets (their values zeroed once in
 * the request), the request's fields, and the connect errors for a zone
 * without a session device or not running.  The control channel is a stub. */
#define _GNU_SOURCE /* before any header: explicit_bzero, pipe2 */
#include <stdlib.h>

#include "tests/unit/test.h"
#include "tools/zonectl/session_audit.c"
#include "tools/zonectl/session_client.c"
#include "tools/zonectl/session_cmds.c"
#include "tools/zonectl/session_term.c"
#include "tools/zonectl/session_wire.c"
#include "tools/zonectl/zonectl_util.c"

static struct zctl_zone fake_zone;
static uint32_t fake_count;

void channel_open(void)
{
}

/* Session reports (session_audit.c) go nowhere here. */
int channel_call(uint16_t op, const void *body, size_t len, const void *data, size_t dlen,
		 size_t min_reply, const void **reply, size_t *reply_len,
		 char message[ZCTL_MESSAGE_LEN])
{
	(void)op, (void)body, (void)len, (void)data, (void)dlen, (void)min_reply, (void)reply;
	(void)reply_len, (void)message;
	return 0;
}

const struct zctl_zone *zc_fetch_zones(uint32_t *count)
{
	*count = fake_count;
	return &fake_zone;
}

void usage_exit(const char *usage, int status)
{
	(void)usage;
	exit(status);
}

void usage_error(const char *cmd, const char *fmt, ...)
{
	(void)cmd;
	(void)fmt;
	exit(2);
}

int next_option(const char *cmd, int argc, char **argv, const char *shorts,
		const struct option *longs)
{
	(void)cmd;
	return getopt_long(argc, argv, shorts, longs, NULL);
}

/* Whether the request holds a field TAG with exactly VALUE. */
static int has_field(const struct zs_req *r, uint8_t tag, const char *value)
{
	size_t n = strlen(value);

	for (size_t at = 0; at + ZS_HDR <= r->len;) {
		uint32_t len;
		memcpy(&len, r->data + at, 4);
		if (r->data[at + 4] == ZS_REQ && r->data[at + ZS_HDR] == tag && len == n + 1 &&
		    memcmp(r->data + at + ZS_HDR + 1, value, n) == 0)
			return 1;
		at += ZS_HDR + len;
	}
	return 0;
}

TEST(session_opts_env)
{
	struct zs_opts o;
	char good[] = "PATH=/bin", bad1[] = "NOEQ", bad2[] = "1X=y", bad3[] = "=y";

	memset(&o, 0, sizeof(o));
	CHECK(!zs_opts_any(&o));
	CHECK(zs_parse_opt(&o, 'e', good) == NULL);
	CHECK(zs_parse_opt(&o, 'e', bad1) != NULL);
	CHECK(zs_parse_opt(&o, 'e', bad2) != NULL);
	CHECK(zs_parse_opt(&o, 'e', bad3) != NULL);
	CHECK(o.nenv == 1 && zs_opts_any(&o));
	CHECK(zs_parse_opt(&o, 'w', (char *)"") != NULL);
	free(o.env);
}

TEST(session_secrets)
{
	struct zs_opts o;
	struct zs_req r;
	char inline_[] = "TOKEN=hunter2", fromenv[] = "ZV_TEST_SECRET", unset[] = "ZV_NOT_SET_X";
	char file[] = "/tmp/zv-test-secret-XXXXXX", arg[64], badname[] = "A-B=1";
	char *words[] = {"env"};
	int fd = mkstemp(file);

	memset(&o, 0, sizeof(o));
	CHECK(zs_parse_opt(&o, ZS_OPT_SECRET, inline_) == NULL);
	CHECK(strcmp(inline_, "TOKEN=") == 0 && inline_[7] == 0); /* zeroed in argv */
	setenv("ZV_TEST_SECRET", "from-env", 1);
	CHECK(zs_parse_opt(&o, ZS_OPT_SECRET, fromenv) == NULL);
	CHECK(zs_parse_opt(&o, ZS_OPT_SECRET, unset) != NULL);
	CHECK(zs_parse_opt(&o, ZS_OPT_SECRET, badname) != NULL);
	CHECK(write(fd, "file\nbytes", 10) == 10);
	close(fd);
	snprintf(arg, sizeof(arg), "KEYFILE=%s", file);
	CHECK(zs_parse_opt(&o, ZS_OPT_SECRET_FILE, arg) == NULL);
	CHECK(zs_parse_opt(&o, ZS_OPT_SECRET_FILE, (char *)"NOPATH") != NULL);
	CHECK(o.nsecrets == 3 && zs_opts_any(&o));
	/* a file over ZS_SECRET_MAX is refused */
	fd = open(file, O_WRONLY | O_TRUNC);
	CHECK(ftruncate(fd, ZS_SECRET_MAX + 1) == 0);
	close(fd);
	CHECK(zs_parse_opt(&o, ZS_OPT_SECRET_FILE, arg) != NULL);
	unlink(file);
	o.cwd = "/work";
	o.user = "1000:1000";
	o.interactive = 1;
	CHECK(zs_build(&r, "run", &o, words, 1) == 0);
	CHECK(o.nsecrets == 0 && o.secrets == NULL); /* moved into the request */
	CHECK(has_field(&r, ZS_T_OP, "run") && has_field(&r, ZS_T_ARG, "env"));
	CHECK(has_field(&r, ZS_T_SECRET, "TOKEN=hunter2"));
	CHECK(has_field(&r, ZS_T_SECRET, "ZV_TEST_SECRET=from-env"));
	CHECK(has_field(&r, ZS_T_SECRET, "KEYFILE=file\nbytes"));
	CHECK(has_field(&r, ZS_T_CWD, "/work") && has_field(&r, ZS_T_USER, "1000:1000"));
	CHECK(has_field(&r, ZS_T_STDIN, ""));
	CHECK(r.data[r.len - ZS_HDR + 4] == ZS_REQ_END);
	zs_req_free(&r);
	CHECK(r.data == NULL && r.len == 0);
}

static int connect_error(const char *expect, int want_gone)
{
	char msg[512];
	int saved_err = dup(2), ef = fileno(tmpfile()), gone = -1, fd;

	dup2(ef, 2);
	fd = zs_connect("z1", &gone);
	dup2(saved_err, 2);
	close(saved_err);
	msg[pread(ef, msg, sizeof(msg) - 1, 0)] = '\0';
	if (!strstr(msg, expect))
		printf("FAIL detail: '%s' lacks '%s'\n", msg, expect);
	return fd == -1 && gone == want_gone && strstr(msg, expect) != NULL;
}

TEST(session_connect_errors)
{
	fake_count = 0;
	CHECK(connect_error("zonectl: zone z1 does not exist", 1));
	fake_count = 1;
	snprintf(fake_zone.name, sizeof(fake_zone.name), "z1");
	fake_zone.state = ZCTL_STATE_EXITED;
	CHECK(connect_error("zonectl: zone z1 is not running", 1));
	fake_zone.state = ZCTL_STATE_RUNNING;
	fake_zone.cid = 0;
	CHECK(connect_error("zonectl: zone z1 has no session device (cid 0)", 0));
}

/* The audit log's text of a command: its words, cut with "..." to fit. */
TEST(session_words_for_the_audit_log)
{
	char *words[] = {"git", "commit", "-m", "a message"};
	char buf[16];

	zs_words_text(buf, sizeof(buf), words, 2);
	CHECK_STR(buf, "git commit");
	zs_words_text(buf, sizeof(buf), words, 4);
	CHECK_STR(buf, "git commit -...");
	zs_words_text(buf, sizeof(buf), words, 0);
	CHECK_STR(buf, "");
}
