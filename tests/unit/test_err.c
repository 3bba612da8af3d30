/* Unit tests of hv/err.c. */
#include "hv/err.h"
#include "tests/unit/test.h"

TEST(err_set_keeps_code_and_reason)
{
	struct zv_err e = {ZV_OK, ""};

	CHECK_EQ_U64(zv_err_set(&e, ZV_ERULE, "bad rule '%s': %s", "x", "why"), (uint64_t)-1);
	CHECK_EQ_U64(e.code, ZV_ERULE);
	CHECK_STR(e.reason, "bad rule 'x': why");
}

TEST(err_set_truncates_and_tolerates_null)
{
	struct zv_err e;
	char long_text[2 * ZV_ERR_LEN];

	for (unsigned i = 0; i < sizeof(long_text) - 1; i++)
		long_text[i] = 'a';
	long_text[sizeof(long_text) - 1] = '\0';
	zv_err_set(&e, ZV_ENOMEM, "%s", long_text);
	CHECK_EQ_U64(strlen(e.reason), ZV_ERR_LEN - 1);
	CHECK_EQ_U64(zv_err_set(NULL, ZV_EINVAL, "ignored"), (uint64_t)-1);
}
