/* test_buf.c - berth_buf: growth, formatting, caps and URL encoding. */
#include "compat.h"
#include "buf.h"

#include <setjmp.h>
#include <cmocka.h>

static void test_buf_add_and_format(void **state)
{
	struct berth_buf b = BERTH_BUF_INIT;

	(void)state;
	assert_string_equal(b.buf, "");
	berth_buf_addstr(&b, "robot");
	berth_buf_addch(&b, '$');
	berth_buf_addf(&b, "%s+%d", "proj", 42);
	assert_string_equal(b.buf, "robot$proj+42");
	assert_int_equal(b.len, 13);
	for (int i = 0; i < 1000; i++)
		berth_buf_addstr(&b, "0123456789");
	assert_int_equal(b.len, 10013);
	assert_int_equal(b.buf[b.len], '\0');
	berth_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.buf, "");
	berth_buf_release(&b);
	assert_ptr_equal(b.buf, berth_buf_empty);
}

static void test_buf_cap(void **state)
{
	struct berth_buf b = BERTH_BUF_INIT;

	(void)state;
	b.max = 8;
	assert_int_equal(berth_buf_add_capped(&b, "12345", 5), 0);
	assert_int_equal(berth_buf_add_capped(&b, "678", 3), 0);
	assert_int_equal(berth_buf_add_capped(&b, "9", 1), -1);
	assert_string_equal(b.buf, "12345678");
	berth_buf_release(&b);
}

static void test_buf_url(void **state)
{
	struct berth_buf b = BERTH_BUF_INIT;

	(void)state;
	berth_buf_addstr(&b, "/api/v2.0/robots/");
	berth_buf_add_urlpath(&b, "robot$proj+ci a/b");
	assert_string_equal(b.buf, "/api/v2.0/robots/robot%24proj%2Bci%20a%2Fb");
	berth_buf_reset(&b);
	berth_buf_addstr(&b, "/v1/secret/data/");
	berth_buf_add_urlpaths(&b, "harbor/tekton robot");
	assert_string_equal(b.buf, "/v1/secret/data/harbor/tekton%20robot");
	berth_buf_add_query(&b, "q", "name=a+b,Level=project");
	berth_buf_add_query(&b, "page_size", "100");
	assert_string_equal(b.buf, "/v1/secret/data/harbor/tekton%20robot?q=name%3Da%2Bb%2CLevel%3Dproject&page_size=100");
	berth_buf_release(&b);
}

static void test_buf_detach_and_trim(void **state)
{
	struct berth_buf b = BERTH_BUF_INIT;
	size_t len;
	char *s;

	(void)state;
	berth_buf_addstr(&b, "secret\r\n \t");
	berth_buf_rtrim(&b);
	assert_true(berth_buf_eq(&b, "secret"));
	s = berth_buf_detach(&b, &len);
	assert_int_equal(len, 6);
	assert_string_equal(s, "secret");
	assert_int_equal(b.len, 0);
	free(s);
	s = berth_buf_detach(&b, NULL);
	assert_string_equal(s, "");
	free(s);
	berth_buf_addstr(&b, "wipe me");
	berth_buf_wipe(&b);
	assert_int_equal(b.len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_add_and_format),
		cmocka_unit_test(test_buf_cap),
		cmocka_unit_test(test_buf_url),
		cmocka_unit_test(test_buf_detach_and_trim),
	};

	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
