/* test_json.c - jansson helpers: the wiping allocator, parse errors, sorted dumps, typed getters. */
#include "compat.h"
#include "json.h"
#include "buf.h"
#include "err.h"

#include <setjmp.h>
#include <cmocka.h>

/* Runs first: the allocator is a process-wide setting. */
static void test_json_init_installs_allocator_once(void **state)
{
	json_malloc_t m0, m1, m2;
	json_free_t f0, f1, f2;
	void *p;

	(void)state;
	json_get_alloc_funcs(&m0, &f0);
	assert_true(m0 == malloc);
	assert_true(f0 == free);
	berth_json_init();
	json_get_alloc_funcs(&m1, &f1);
	assert_true(m1 != malloc);
	assert_true(f1 != free);
	berth_json_init();
	json_get_alloc_funcs(&m2, &f2);
	assert_true(m2 == m1);
	assert_true(f2 == f1);

	/* Blocks keep malloc's alignment despite the size prefix. */
	for (size_t n = 1; n < 100; n += 7) {
		p = m1(n);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 16, 0);
		memset(p, 0xa5, n);
		f1(p);
	}
	f1(NULL);
	/* A size that cannot carry the prefix fails instead of wrapping around. */
	assert_null(m1(SIZE_MAX - 8));
}

static void test_json_parse_ok(void **state)
{
	struct berth_err err = BERTH_ERR_INIT;
	json_t *j = NULL;
	const char *text = "{\"name\":\"robot$ci\",\"id\":7}";

	(void)state;
	assert_int_equal(berth_json_parse(&j, text, strlen(text), "robot", &err), 0);
	assert_string_equal(berth_json_str(j, "name"), "robot$ci");
	assert_int_equal(berth_json_int(j, "id", -1), 7);
	json_decref(j);
	/* Any value, not only containers; len bounds the text. */
	assert_int_equal(berth_json_parse(&j, "42 trailing", 2, "n", &err), 0);
	assert_true(json_is_integer(j));
	json_decref(j);
}

static void test_json_parse_errors(void **state)
{
	struct berth_err err = BERTH_ERR_INIT;
	json_t *j = (json_t *)&err;
	const char *text = "{\n  \"a\": 1,\n  \"b\": ]\n}";

	(void)state;
	assert_int_equal(berth_json_parse(&j, text, strlen(text), "harbor robot list response", &err),
			 BERTH_EPROTO);
	assert_null(j);
	assert_int_equal(err.code, BERTH_EPROTO);
	assert_non_null(strstr(err.msg, "harbor robot list response is not valid JSON"));
	assert_non_null(strstr(err.msg, "line 3 column 8"));

	assert_int_equal(berth_json_parse(&j, "", 0, "empty body", &err), BERTH_EPROTO);
	assert_non_null(strstr(err.msg, "empty body is not valid JSON"));
	assert_int_equal(berth_json_parse(&j, "{\"a\":1}{", 8, "doc", &err), BERTH_EPROTO);
	assert_int_equal(berth_json_parse(&j, "{\"a\":1,}", 8, "doc", &err), BERTH_EPROTO);
}

static void test_json_parse_error_quotes_no_input(void **state)
{
	/* jansson's own text quotes the input near the error; none of it may reach err. */
	static const char *const docs[] = {
		"{\"password\":\"Canary-s3cr",
		"{\"password\": Canary-s3cret}",
		"{\"a\":1}Canary-s3cret",
		"{\"token\":\"Canary-\\u00zz\"}",
	};
	struct berth_err err = BERTH_ERR_INIT;
	json_t *j;

	(void)state;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(docs); i++) {
		assert_int_equal(berth_json_parse(&j, docs[i], strlen(docs[i]), "vault response", &err),
				 BERTH_EPROTO);
		assert_null(strstr(err.msg, "Canary"));
		assert_null(strstr(err.msg, "near '"));
		assert_non_null(strstr(err.msg, " at line 1 column "));
	}
}

static void test_json_dump_sorted_compact(void **state)
{
	struct berth_buf b = BERTH_BUF_INIT;
	json_t *j = json_pack("{s:i, s:[i,i], s:{s:n, s:s}, s:s}", "b", 1, "a", 1, 2, "c", "z", "y",
			      "x", "\u00e9", "caf\u00e9");

	(void)state;
	assert_non_null(j);
	berth_buf_addstr(&b, "body=");
	assert_int_equal(berth_json_dump(&b, j, 0), 0);
	assert_string_equal(b.buf, "body={\"a\":[1,2],\"b\":1,\"c\":{\"y\":\"x\",\"z\":null},"
				   "\"\u00e9\":\"caf\u00e9\"}");
	berth_buf_reset(&b);
	assert_int_equal(berth_json_dump(&b, j, JSON_INDENT(1) | JSON_SORT_KEYS), 0);
	assert_non_null(strstr(b.buf, "\n \"a\": ["));
	json_decref(j);

	berth_buf_reset(&b);
	assert_int_equal(berth_json_dump(&b, NULL, 0), BERTH_ERROR);
	assert_string_equal(b.buf, "");
	berth_buf_release(&b);
}

static void test_json_getters_wrong_types(void **state)
{
	const char *text = "{\"s\":\"str\",\"i\":9007199254740993,\"neg\":-5,\"r\":1.5,\"t\":true,"
			   "\"f\":false,\"n\":null,\"o\":{\"k\":1},\"a\":[1]}";
	json_t *j = NULL, *arr = json_array();

	(void)state;
	assert_int_equal(berth_json_parse(&j, text, strlen(text), "doc", NULL), 0);

	assert_string_equal(berth_json_str(j, "s"), "str");
	assert_null(berth_json_str(j, "i"));
	assert_null(berth_json_str(j, "n"));
	assert_null(berth_json_str(j, "o"));
	assert_null(berth_json_str(j, "missing"));

	assert_true(berth_json_int(j, "i", 0) == INT64_C(9007199254740993));
	assert_int_equal(berth_json_int(j, "neg", 0), -5);
	assert_int_equal(berth_json_int(j, "r", -1), -1);  /* a real is not an integer */
	assert_int_equal(berth_json_int(j, "s", -1), -1);
	assert_int_equal(berth_json_int(j, "t", -1), -1);
	assert_int_equal(berth_json_int(j, "missing", 3), 3);

	assert_true(berth_json_bool(j, "t", false));
	assert_false(berth_json_bool(j, "f", true));
	assert_true(berth_json_bool(j, "i", true));
	assert_false(berth_json_bool(j, "n", false));
	assert_true(berth_json_bool(j, "s", true));

	assert_non_null(berth_json_obj(j, "o"));
	assert_null(berth_json_obj(j, "a"));
	assert_null(berth_json_obj(j, "n"));
	assert_non_null(berth_json_arr(j, "a"));
	assert_null(berth_json_arr(j, "o"));
	assert_null(berth_json_arr(j, "s"));

	/* The container itself of the wrong type, or absent. */
	assert_null(berth_json_str(arr, "s"));
	assert_int_equal(berth_json_int(arr, "i", 4), 4);
	assert_true(berth_json_bool(NULL, "t", true));
	assert_null(berth_json_obj(NULL, "o"));
	assert_null(berth_json_arr(berth_json_obj(j, "missing"), "a"));
	json_decref(arr);
	json_decref(j);
}

static void test_json_str_or_null(void **state)
{
	json_t *a = berth_json_str_or_null("x");
	json_t *b = berth_json_str_or_null(NULL);

	(void)state;
	assert_true(json_is_string(a));
	assert_string_equal(json_string_value(a), "x");
	assert_true(json_is_null(b));
	json_decref(a);
	json_decref(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_init_installs_allocator_once),
		cmocka_unit_test(test_json_parse_ok),
		cmocka_unit_test(test_json_parse_errors),
		cmocka_unit_test(test_json_parse_error_quotes_no_input),
		cmocka_unit_test(test_json_dump_sorted_compact),
		cmocka_unit_test(test_json_getters_wrong_types),
		cmocka_unit_test(test_json_str_or_null),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
