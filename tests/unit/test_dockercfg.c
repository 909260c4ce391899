/* test_dockercfg.c - docker config.json render, merge and lookup: round trips and the credentials refused. */
#include "compat.h"
#include "target.h"
#include "buf.h"
#include "err.h"
#include "json.h"
#include "secret.h"

#include <setjmp.h>
#include <cmocka.h>

static int setup(void **state)
{
	(void)state;
	berth_json_init();
	return 0;
}

/* Look registry up in text and check user and secret. */
static void assert_holds(const struct berth_buf *text, const char *registry, const char *user,
			 const char *secret)
{
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_secret *got = NULL;
	char *got_user = NULL;

	if (berth_dockercfg_lookup(text->buf, text->len, registry, &got_user, &got, &err))
		fail_msg("lookup: %s", err.msg);
	assert_string_equal(got_user, user);
	assert_string_equal(berth_secret_reveal(got, NULL), secret);
	free(got_user);
	berth_secret_free(got);
}

static void test_render_merge_lookup(void **state)
{
	struct berth_secret *s = berth_secret_from_str("a:b:S3cret");
	struct berth_buf out = BERTH_BUF_INIT, again = BERTH_BUF_INIT;
	static const char existing[] = "{\"auths\":{\"quay.io\":{\"auth\":\"dTpw\"}},\"credsStore\":\"desktop\"}";

	(void)state;
	assert_int_equal(berth_dockercfg_render(&out, "harbor.example.com", "robot$ci", s, NULL), 0);
	assert_holds(&out, "harbor.example.com", "robot$ci", "a:b:S3cret");
	berth_buf_wipe(&out);

	assert_int_equal(berth_dockercfg_merge(&out, existing, strlen(existing), "harbor.example.com",
					       "robot$ci", s, NULL), 0);
	assert_holds(&out, "harbor.example.com", "robot$ci", "a:b:S3cret");
	assert_holds(&out, "quay.io", "u", "p");
	assert_non_null(strstr(out.buf, "\"credsStore\": \"desktop\""));
	/* The same credential again: the same bytes, so a second apply writes nothing. */
	assert_int_equal(berth_dockercfg_merge(&again, out.buf, out.len, "harbor.example.com", "robot$ci", s,
					       NULL), 0);
	assert_string_equal(again.buf, out.buf);
	berth_buf_wipe(&out);
	berth_buf_wipe(&again);
	berth_secret_free(s);
}

/* Credentials config.json cannot carry (found by fuzz_dockercfg): refused by render and merge alike. */
static void test_refused_credentials(void **state)
{
	static const struct {
		const char *registry, *user;
		const char *secret;
		size_t len;
		const char *why;
	} bad[] = {
		{ "harbor.example.com", "", "S3cret", 6, "user name for 'harbor.example.com' is empty" },
		{ "harbor.example.com", "robot:x", "S3cret", 6, "user 'robot:x' holds ':'" },
		{ "harbor.example.com", "robot$x", "S3\0cret", 7, "secret of 'robot$x' holds a NUL byte" },
		{ "harbor.example.com", "robot$x", "S3\xff", 3, "is not UTF-8" },
		{ "harbor.example.com", "robot\xc3", "S3cret", 6, "user name for 'harbor.example.com' is not UTF-8" },
		{ "harbor\xff", "robot$x", "S3cret", 6, "registry name is not UTF-8" },
	};

	(void)state;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(bad); i++) {
		struct berth_secret *s = berth_secret_new(bad[i].secret, bad[i].len);
		struct berth_buf out = BERTH_BUF_INIT;
		struct berth_err err = BERTH_ERR_INIT;

		assert_int_equal(berth_dockercfg_render(&out, bad[i].registry, bad[i].user, s, &err),
				 BERTH_EINVALID);
		assert_int_equal(out.len, 0);
		if (!strstr(err.msg, bad[i].why))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, bad[i].why);
		berth_err_clear(&err);
		assert_int_equal(berth_dockercfg_merge(&out, "{}", 2, bad[i].registry, bad[i].user, s, &err),
				 BERTH_EINVALID);
		assert_int_equal(out.len, 0);
		assert_non_null(strstr(err.msg, bad[i].why));
		berth_secret_free(s);
	}
}

/* An entry with an empty username is malformed, as its header says (docker refuses it). */
static void test_lookup_empty_username(void **state)
{
	static const char text[] = "{\"auths\":{\"h\":{\"username\":\"\",\"password\":\"x\"}}}";
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_secret *got = NULL;
	char *user = NULL;

	(void)state;
	assert_int_equal(berth_dockercfg_lookup(text, strlen(text), "h", &user, &got, &err), BERTH_EPROTO);
	assert_null(user);
	assert_null(got);
	assert_non_null(strstr(err.msg, "neither auth nor a username and password"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_merge_lookup),
		cmocka_unit_test(test_refused_credentials),
		cmocka_unit_test(test_lookup_empty_username),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
