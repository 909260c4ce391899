/* test_log.c - logging: level specs, component overrides, filtering, text and JSON lines, scrubbing. */
#include "compat.h"
#include "log.h"
#include "buf.h"
#include "json.h"
#include "util.h"

#include <pthread.h>
#include <setjmp.h>
#include <unistd.h>
#include <cmocka.h>

/* ---- stderr capture ------------------------------------------------------ */

static int saved_fd = -1;
static char capture_path[64];

static void capture_begin(void)
{
	int fd;

	snprintf(capture_path, sizeof(capture_path), "/tmp/berth-test-log-XXXXXX");
	fd = mkstemp(capture_path);
	assert_true(fd >= 0);
	fflush(stderr);
	saved_fd = dup(2);
	assert_true(saved_fd >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
}

/* Restore stderr and return what was written to it (caller releases). */
static void capture_end(struct berth_buf *out)
{
	fflush(stderr);
	dup2(saved_fd, 2);
	close(saved_fd);
	saved_fd = -1;
	assert_int_equal(berth_file_read(out, capture_path, 1 << 20, NULL), 0);
	unlink(capture_path);
}

static size_t count_lines(const struct berth_buf *b)
{
	size_t n = 0;

	for (size_t i = 0; i < b->len; i++)
		n += b->buf[i] == '\n';
	return n;
}

static int reset_log(void **state)
{
	(void)state;
	berth_log_set_format(BERTH_LOG_TEXT);
	return berth_log_configure("info");
}

/* ---- tests --------------------------------------------------------------- */

static void test_log_level_parse(void **state)
{
	(void)state;
	assert_int_equal(berth_log_level_parse("error"), BERTH_LOG_ERROR);
	assert_int_equal(berth_log_level_parse("warn"), BERTH_LOG_WARN);
	assert_int_equal(berth_log_level_parse("warning"), BERTH_LOG_WARN);
	assert_int_equal(berth_log_level_parse("info"), BERTH_LOG_INFO);
	assert_int_equal(berth_log_level_parse("debug"), BERTH_LOG_DEBUG);
	assert_int_equal(berth_log_level_parse("trace"), BERTH_LOG_TRACE);
	assert_int_equal(berth_log_level_parse("verbose"), -1);
	assert_int_equal(berth_log_level_parse("INFO"), -1);
	assert_int_equal(berth_log_level_parse(""), -1);
}

static void test_log_configure_specs(void **state)
{
	(void)state;
	assert_int_equal(berth_log_configure("warn"), 0);
	assert_true(berth_log_enabled(BERTH_LOG_WARN, "kube"));
	assert_false(berth_log_enabled(BERTH_LOG_INFO, "kube"));
	assert_false(berth_log_enabled(BERTH_LOG_INFO, NULL));

	assert_int_equal(berth_log_configure("info,http:trace,kube:error"), 0);
	assert_true(berth_log_enabled(BERTH_LOG_TRACE, "http"));
	assert_true(berth_log_enabled(BERTH_LOG_INFO, "vault"));
	assert_false(berth_log_enabled(BERTH_LOG_DEBUG, "vault"));
	assert_false(berth_log_enabled(BERTH_LOG_WARN, "kube"));
	assert_true(berth_log_enabled(BERTH_LOG_ERROR, "kube"));
	/* component names match whole, not by prefix */
	assert_false(berth_log_enabled(BERTH_LOG_TRACE, "https"));
	assert_false(berth_log_enabled(BERTH_LOG_TRACE, "htt"));
	assert_false(berth_log_enabled(BERTH_LOG_DEBUG, NULL));

	/* The default may come after overrides; the last override of a component wins. */
	assert_int_equal(berth_log_configure("http:warn,debug,http:error"), 0);
	assert_true(berth_log_enabled(BERTH_LOG_DEBUG, "plan"));
	assert_false(berth_log_enabled(BERTH_LOG_WARN, "http"));
	assert_true(berth_log_enabled(BERTH_LOG_ERROR, "http"));

	/* A new spec replaces the previous overrides. */
	assert_int_equal(berth_log_configure("info"), 0);
	assert_false(berth_log_enabled(BERTH_LOG_DEBUG, "plan"));
	assert_true(berth_log_enabled(BERTH_LOG_WARN, "http"));
}

static void test_log_configure_bad_specs_change_nothing(void **state)
{
	static const char *const bad[] = {
		"verbose",
		"info,http:",
		"info,:trace",
		"info,http:loud",
		"info,http",
		"info,a_component_name_way_too_long:trace",
		/* 17 overrides, one more than there is room for */
		("a:info,b:info,c:info,d:info,e:info,f:info,g:info,h:info,i:info,j:info,"
		 "k:info,l:info,m:info,n:info,o:info,p:info,q:info"),
	};
	char huge[600];

	(void)state;
	assert_int_equal(berth_log_configure("warn,http:trace"), 0);
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(bad); i++) {
		assert_int_equal(berth_log_configure(bad[i]), -1);
		assert_false(berth_log_enabled(BERTH_LOG_INFO, "vault"));
		assert_true(berth_log_enabled(BERTH_LOG_WARN, "vault"));
		assert_true(berth_log_enabled(BERTH_LOG_TRACE, "http"));
	}
	memset(huge, 'a', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	assert_int_equal(berth_log_configure(huge), -1);
	assert_true(berth_log_enabled(BERTH_LOG_TRACE, "http"));
	/* 16 overrides is the documented room */
	assert_int_equal(berth_log_configure("a:info,b:info,c:info,d:info,e:info,f:info,g:info,"
					     "h:info,i:info,j:info,k:info,l:info,m:info,n:info,"
					     "o:info,p:trace"),
			 0);
	assert_true(berth_log_enabled(BERTH_LOG_TRACE, "p"));
}

static void test_log_text_line_and_filtering(void **state)
{
	struct berth_buf out = BERTH_BUF_INIT;
	const char *line, *sp;
	time_t t;

	(void)state;
	assert_int_equal(berth_log_configure("warn,vault:debug"), 0);
	capture_begin();
	berth_log_info("kube", "not shown %d", 1);
	berth_log_debug("http", "not shown %d", 2);
	berth_log_trace("vault", "not shown %d", 3);
	berth_log_warn("kube", "rotated '%s'", "robot$ci");
	berth_log_debug("vault", "renewed token (ttl %ds)", 3600);
	berth_log_error(NULL, "no component");
	capture_end(&out);

	assert_int_equal(count_lines(&out), 3);
	assert_null(strstr(out.buf, "not shown"));
	line = out.buf;
	/* "2025-01-31T12:00:00.123Z warn kube: rotated 'robot$ci'" */
	sp = strchr(line, ' ');
	assert_non_null(sp);
	assert_int_equal(sp - line, 24);
	assert_int_equal(line[23], 'Z');
	assert_int_equal(line[19], '.');
	{
		char ts[21];

		memcpy(ts, line, 19);
		ts[19] = 'Z';
		ts[20] = '\0';
		assert_int_equal(berth_parse_time(ts, &t), 0);
		assert_true(llabs((long long)(t - time(NULL))) < 60);
	}
	assert_true(berth_starts_with(sp, " warn kube: rotated 'robot$ci'\n"));
	assert_non_null(strstr(out.buf, " debug vault: renewed token (ttl 3600s)\n"));
	assert_non_null(strstr(out.buf, " error berth: no component\n"));
	berth_buf_release(&out);
}

static void test_log_scrubs_control_characters(void **state)
{
	struct berth_buf out = BERTH_BUF_INIT;

	(void)state;
	capture_begin();
	berth_log_info("vault", "server said: %s", "1 error occurred:\n\t* denied\r\n\x1b[2J\x7f!");
	berth_log_info("vault", "bad bytes: %s|", "caf\xc3\xa9 \xff\xc3 \xed\xa0\x80 ok");
	capture_end(&out);

	assert_int_equal(count_lines(&out), 2);
	assert_non_null(strstr(out.buf, "server said: 1 error occurred: \t* denied   [2J !\n"));
	assert_non_null(strstr(out.buf, "bad bytes: caf\xc3\xa9 ?? ??? ok|\n"));
	berth_buf_release(&out);
}

static json_t *parse_line(const char *line, size_t len)
{
	json_error_t jerr;
	json_t *j = json_loadb(line, len, 0, &jerr);

	if (!j)
		fail_msg("log line is not JSON: %s", jerr.text);
	return j;
}

static void test_log_json_format(void **state)
{
	struct berth_buf out = BERTH_BUF_INIT;
	const char *p, *nl;
	const char *want_msgs[] = { "renewed \"token\" for 3600s", "line one two", "caf\xc3\xa9 ?",
				    "plain" };
	const char *want_comp[] = { "vault", "http", "kube", "berth" };
	const char *want_level[] = { "info", "warn", "error", "info" };
	size_t i = 0;

	(void)state;
	berth_log_set_format(BERTH_LOG_JSON);
	assert_int_equal(berth_log_configure("info"), 0);
	capture_begin();
	berth_log_info("vault", "renewed \"%s\" for %ds", "token", 3600);
	berth_log_debug("vault", "filtered");
	berth_log_warn("http", "line one\ntwo");
	berth_log_error("kube", "caf\xc3\xa9 \xff");
	berth_log_info(NULL, "plain");
	capture_end(&out);
	berth_log_set_format(BERTH_LOG_TEXT);

	assert_int_equal(count_lines(&out), 4);
	for (p = out.buf; (nl = strchr(p, '\n')); p = nl + 1, i++) {
		json_t *j = parse_line(p, (size_t)(nl - p));
		time_t t;
		char ts[21];
		const char *time_s = berth_json_str(j, "time");

		assert_int_equal(json_object_size(j), 4);
		assert_non_null(time_s);
		assert_int_equal(strlen(time_s), 24);
		memcpy(ts, time_s, 19);
		ts[19] = 'Z';
		ts[20] = '\0';
		assert_int_equal(berth_parse_time(ts, &t), 0);
		assert_string_equal(berth_json_str(j, "level"), want_level[i]);
		assert_string_equal(berth_json_str(j, "component"), want_comp[i]);
		assert_string_equal(berth_json_str(j, "msg"), want_msgs[i]);
		/* keys in a fixed order, time first */
		assert_true(berth_starts_with(p, "{\"time\":"));
		json_decref(j);
	}
	assert_int_equal(i, 4);
	berth_buf_release(&out);
}

struct writer {
	int id;
};

static void *log_many(void *arg)
{
	struct writer *w = arg;

	for (int i = 0; i < 200; i++)
		berth_log_info("apply", "writer %d line %d %s", w->id, i,
			       "padding padding padding padding padding padding padding padding");
	return NULL;
}

static void test_log_threads_write_whole_lines(void **state)
{
	struct berth_buf out = BERTH_BUF_INIT;
	pthread_t th[4];
	struct writer w[4];
	const char *p, *nl;
	size_t lines = 0;

	(void)state;
	berth_log_set_format(BERTH_LOG_JSON);
	capture_begin();
	for (int i = 0; i < 4; i++) {
		w[i].id = i;
		assert_int_equal(pthread_create(&th[i], NULL, log_many, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	capture_end(&out);
	berth_log_set_format(BERTH_LOG_TEXT);

	for (p = out.buf; (nl = strchr(p, '\n')); p = nl + 1, lines++) {
		json_t *j = parse_line(p, (size_t)(nl - p));

		assert_string_equal(berth_json_str(j, "component"), "apply");
		json_decref(j);
	}
	assert_int_equal(lines, 800);
	berth_buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_log_level_parse, reset_log),
		cmocka_unit_test_setup(test_log_configure_specs, reset_log),
		cmocka_unit_test_setup(test_log_configure_bad_specs_change_nothing, reset_log),
		cmocka_unit_test_setup(test_log_text_line_and_filtering, reset_log),
		cmocka_unit_test_setup(test_log_scrubs_control_characters, reset_log),
		cmocka_unit_test_setup(test_log_json_format, reset_log),
		cmocka_unit_test_setup(test_log_threads_write_whole_lines, reset_log),
	};

	/* As berth does at startup: JSON log lines then go through the wiping allocator. */
	berth_json_init();
	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
