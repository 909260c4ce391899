/* test_err.c - berth_err: set, prefix, truncation, scrubbing, NULL errors and code names. */
#include "compat.h"
#include "err.h"

#include <setjmp.h>
#include <cmocka.h>

/* true when s is well-formed UTF-8 (no sequence cut short). */
static bool valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = *p < 0x80 ? 1 : *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc0 ? 2 : 0;

		if (!n)
			return false;
		for (size_t i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return false;
		p += n;
	}
	return true;
}

static void test_err_set_returns_code(void **state)
{
	struct berth_err err = BERTH_ERR_INIT;

	(void)state;
	assert_int_equal(err.code, BERTH_OK);
	assert_int_equal(err.retry_after_s, -1);
	assert_int_equal(berth_err_set(&err, BERTH_ENOTFOUND, "robot '%s' not found", "ci"),
			 BERTH_ENOTFOUND);
	assert_int_equal(err.code, BERTH_ENOTFOUND);
	assert_string_equal(err.msg, "robot 'ci' not found");
	/* set does not touch the HTTP fields */
	err.http_status = 404;
	err.retry_after_s = 7;
	berth_err_set(&err, BERTH_EAUTH, "again");
	assert_int_equal(err.http_status, 404);
	assert_int_equal(err.retry_after_s, 7);
	berth_err_clear(&err);
	assert_int_equal(err.code, BERTH_OK);
	assert_int_equal(err.http_status, 0);
	assert_int_equal(err.retry_after_s, -1);
	assert_string_equal(err.msg, "");
}

static void test_err_null(void **state)
{
	(void)state;
	assert_int_equal(berth_err_set(NULL, BERTH_ECONFLICT, "x %d", 1), BERTH_ECONFLICT);
	assert_int_equal(berth_err_prefix(NULL, "ctx"), BERTH_ERROR);
	berth_err_clear(NULL);
}

static void test_err_prefix(void **state)
{
	struct berth_err err = BERTH_ERR_INIT;

	(void)state;
	berth_err_set(&err, BERTH_EAUTH, "permission denied");
	assert_int_equal(berth_err_prefix(&err, "read '%s'", "kv/ci"), BERTH_EAUTH);
	assert_int_equal(berth_err_prefix(&err, "vault"), BERTH_EAUTH);
	assert_string_equal(err.msg, "vault: read 'kv/ci': permission denied");
	/* Prefixing a clear error makes it a generic one, never OK. */
	berth_err_clear(&err);
	assert_int_equal(berth_err_prefix(&err, "apply"), BERTH_ERROR);
	assert_string_equal(err.msg, "apply: ");
}

static void test_err_set_may_quote_itself(void **state)
{
	struct berth_err err = BERTH_ERR_INIT;

	(void)state;
	berth_err_set(&err, BERTH_ENET, "connection refused");
	berth_err_set(&err, BERTH_ENET, "harbor: %s (retried)", err.msg);
	assert_string_equal(err.msg, "harbor: connection refused (retried)");
}

static void test_err_truncation(void **state)
{
	struct berth_err err = BERTH_ERR_INIT;
	char big[2000];
	char ctx[400];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	berth_err_set(&err, BERTH_ESERVER, "%s", big);
	assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
	assert_int_equal(err.code, BERTH_ESERVER);

	/* The context stays whole at the front; the message loses its end. */
	berth_err_prefix(&err, "harbor");
	assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
	assert_memory_equal(err.msg, "harbor: aaa", 11);

	/* An overlong context is itself cut, and the result stays terminated. */
	memset(ctx, 'c', sizeof(ctx) - 1);
	ctx[sizeof(ctx) - 1] = '\0';
	berth_err_set(&err, BERTH_ERROR, "tail");
	berth_err_prefix(&err, "%s", ctx);
	assert_true(strlen(err.msg) < sizeof(err.msg));
	assert_non_null(strstr(err.msg, "c: tail"));
}

static void test_err_truncation_keeps_utf8(void **state)
{
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_err err2 = BERTH_ERR_INIT;
	char big[2400] = "";
	char pad[8];

	(void)state;
	/* "é" is two bytes, "€" three: try every alignment of the cut. */
	for (int shift = 0; shift < 3; shift++) {
		size_t n = 0;

		memset(pad, 'x', (size_t)shift);
		pad[shift] = '\0';
		n += (size_t)snprintf(big, sizeof(big), "%s", pad);
		while (n + 3 < sizeof(big))
			n += (size_t)snprintf(big + n, sizeof(big) - n, "%s", (n / 3) % 2 ? "€" : "é");
		berth_err_set(&err, BERTH_EPROTO, "%s", big);
		assert_true(valid_utf8(err.msg));
		assert_true(strlen(err.msg) >= sizeof(err.msg) - 4);

		berth_err_set(&err2, BERTH_EPROTO, "%s", big);
		berth_err_prefix(&err2, "%s", pad);
		assert_true(valid_utf8(err2.msg));
	}
}

static void test_err_scrubs_control_characters(void **state)
{
	struct berth_err err = BERTH_ERR_INIT;

	(void)state;
	berth_err_set(&err, BERTH_EINVALID, "bad\nname\r\t\x1b[31m%s\x7f", "x\ny");
	assert_string_equal(err.msg, "bad name   [31mx y ");
	berth_err_prefix(&err, "ctx\n2");
	assert_string_equal(err.msg, "ctx 2: bad name   [31mx y ");
	for (const char *p = err.msg; *p; p++)
		assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
}

static void test_err_code_names(void **state)
{
	static const struct {
		enum berth_err_code code;
		const char *name;
	} names[] = {
		{ BERTH_OK, "ok" },
		{ BERTH_ERROR, "error" },
		{ BERTH_ENOTFOUND, "not found" },
		{ BERTH_EEXISTS, "already exists" },
		{ BERTH_ECONFLICT, "conflict" },
		{ BERTH_EAUTH, "unauthorized" },
		{ BERTH_ERATELIMIT, "rate limited" },
		{ BERTH_ENET, "network error" },
		{ BERTH_ESERVER, "server error" },
		{ BERTH_EPROTO, "protocol error" },
		{ BERTH_ECONFIG, "configuration error" },
		{ BERTH_EUSAGE, "usage error" },
		{ BERTH_EFORBIDDEN, "forbidden" },
		{ BERTH_EINVALID, "invalid request" },
		{ BERTH_ESEALED, "vault sealed" },
		{ BERTH_EIO, "i/o error" },
	};

	(void)state;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(names); i++)
		assert_string_equal(berth_err_code_name(names[i].code), names[i].name);
	assert_string_equal(berth_err_code_name((enum berth_err_code)-99), "unknown error");
	assert_string_equal(berth_err_code_name((enum berth_err_code)3), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_set_returns_code),
		cmocka_unit_test(test_err_null),
		cmocka_unit_test(test_err_prefix),
		cmocka_unit_test(test_err_set_may_quote_itself),
		cmocka_unit_test(test_err_truncation),
		cmocka_unit_test(test_err_truncation_keeps_utf8),
		cmocka_unit_test(test_err_scrubs_control_characters),
		cmocka_unit_test(test_err_code_names),
	};

	return cmocka_run_group_tests_name("err", tests, NULL, NULL);
}
