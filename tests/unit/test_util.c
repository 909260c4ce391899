/* test_util.c - number, duration and time parsing, clocks, file reads, atomic writes, mkdirs. */
#include "compat.h"
#include "util.h"
#include "buf.h"
#include "err.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

struct fixture {
	char dir[64];
};

static int setup_dir(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/berth-test-util-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	*state = f;
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static int teardown_dir(void **state)
{
	struct fixture *f = *state;
	int rc = nftw(f->dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);

	free(f);
	return rc;
}

static char *path_in(const struct fixture *f, const char *name)
{
	static char buf[4][256];
	static int next;
	char *p = buf[next++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", f->dir, name);
	return p;
}

static void write_plain(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* The names in dir, sorted and joined with ' '. */
static void list_dir(struct berth_buf *out, const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);

	assert_true(n >= 0);
	for (int i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..")) {
			if (out->len)
				berth_buf_addch(out, ' ');
			berth_buf_addstr(out, names[i]->d_name);
		}
		free(names[i]);
	}
	free(names);
}

/* ---- numbers and durations ------------------------------------------------ */

static void test_parse_long(void **state)
{
	long long v = 77;

	(void)state;
	assert_int_equal(berth_parse_long("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(berth_parse_long("-5", -10, 10, &v), 0);
	assert_int_equal(v, -5);
	assert_int_equal(berth_parse_long("+7", 0, 10, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(berth_parse_long("0", 0, 0, &v), 0);
	assert_int_equal(berth_parse_long("9223372036854775807", 0, LLONG_MAX, &v), 0);
	assert_true(v == LLONG_MAX);
	assert_int_equal(berth_parse_long("-9223372036854775808", LLONG_MIN, 0, &v), 0);
	assert_true(v == LLONG_MIN);

	v = 77;
	/* bounds are inclusive, and a refusal leaves out alone */
	assert_int_equal(berth_parse_long("101", 0, 100, &v), -1);
	assert_int_equal(berth_parse_long("-1", 0, 100, &v), -1);
	assert_int_equal(berth_parse_long("100", 0, 100, &v), 0);
	v = 77;
	assert_int_equal(berth_parse_long("9223372036854775808", 0, LLONG_MAX, &v), -1);
	assert_int_equal(berth_parse_long("", 0, 10, &v), -1);
	assert_int_equal(berth_parse_long(NULL, 0, 10, &v), -1);
	assert_int_equal(berth_parse_long("12a", 0, 100, &v), -1);
	assert_int_equal(berth_parse_long("0x10", 0, 100, &v), -1);
	assert_int_equal(berth_parse_long("5 ", 0, 10, &v), -1);
	assert_int_equal(berth_parse_long(" 5", 0, 10, &v), -1);
	assert_int_equal(berth_parse_long("\n5", 0, 10, &v), -1);
	assert_int_equal(berth_parse_long("-", -10, 10, &v), -1);
	assert_int_equal(berth_parse_long("1.0", 0, 10, &v), -1);
	assert_int_equal(v, 77);
}

static void test_parse_duration(void **state)
{
	static const struct {
		const char *in;
		int64_t want;
	} good[] = {
		{ "168h", 168 * 3600 },
		{ "1h30m", 5400 },
		{ "2d", 2 * 86400 },
		{ "90", 90 },
		{ "0", 0 },
		{ "0s", 0 },
		{ "45s", 45 },
		{ "90m", 5400 },
		{ "1d12h", 36 * 3600 },
		{ "2h45m30s", 2 * 3600 + 45 * 60 + 30 },
		{ "500ms", 1 },   /* rounds up to a whole second */
		{ "1500ms", 2 },
		{ "0ms", 0 },
		{ "1m500ms", 61 },
		{ "9223372036854775", INT64_MAX / 1000 },
		{ "106751991167d", INT64_C(106751991167) * 86400 },
	};
	static const char *const bad[] = {
		"", "h", "10x", "-5", "-1h", "1h 30m", "1.5h", " 90", "90 ", "1H", "ms", "ms5",
		"5mss", "1hh", "d1", "1h-30m", "9223372036854775808", "9223372036854776",
		"106751991168d", "99999999999999999999s", "+5m",
	};
	int64_t v;

	(void)state;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(good); i++) {
		v = -1;
		if (berth_parse_duration(good[i].in, &v))
			fail_msg("'%s' refused", good[i].in);
		if (v != good[i].want)
			fail_msg("'%s' gave %" PRId64 ", not %" PRId64, good[i].in, v, good[i].want);
	}
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(bad); i++) {
		v = -7;
		if (!berth_parse_duration(bad[i], &v))
			fail_msg("'%s' accepted as %" PRId64, bad[i], v);
		assert_int_equal(v, -7);
	}
	assert_int_equal(berth_parse_duration(NULL, &v), -1);
}

static void test_format_duration(void **state)
{
	static const struct {
		int64_t in;
		const char *want;
	} cases[] = {
		{ 0, "0s" },
		{ 45, "45s" },
		{ 60, "1m" },
		{ 90, "1m30s" },
		{ 3600, "1h" },
		{ 3661, "1h1m" },     /* short: seconds dropped past an hour */
		{ 5400, "1h30m" },
		{ 86400, "1d" },
		{ 93784, "1d2h" },    /* minutes dropped past a day */
		{ 3 * 86400 + 4 * 3600, "3d4h" },
		{ 7 * 86400, "7d" },
		{ -90, "-1m30s" },
		{ INT64_MAX, "106751991167300d15h" },
		{ INT64_MIN, "-106751991167300d15h" },
	};
	char out[64];
	int64_t back;

	(void)state;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(cases); i++) {
		berth_format_duration(cases[i].in, out, sizeof(out));
		assert_string_equal(out, cases[i].want);
	}
	/* What the formatter prints whole, the parser reads back. */
	for (int64_t s = 0; s < 3 * 86400; s += s < 3600 ? 1 : s < 86400 ? 60 : 3600) {
		berth_format_duration(s, out, sizeof(out));
		assert_int_equal(berth_parse_duration(out, &back), 0);
		assert_int_equal(back, s);
	}
	/* A short buffer is cut and terminated. */
	berth_format_duration(93784, out, 3);
	assert_string_equal(out, "1d");
}

/* ---- time ----------------------------------------------------------------- */

static void test_format_time(void **state)
{
	char out[32];

	(void)state;
	berth_format_time(0, out, sizeof(out));
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	berth_format_time(1767607200, out, sizeof(out));
	assert_string_equal(out, "2026-01-05T10:00:00Z");
	berth_format_time(1709164800, out, sizeof(out));
	assert_string_equal(out, "2024-02-29T00:00:00Z");
	/* Years before 1000 keep four digits (found by fuzz_store_entry). */
	berth_format_time(-60523164000, out, sizeof(out));
	assert_string_equal(out, "0052-02-05T10:00:00Z");
	berth_format_time(-62167219200, out, sizeof(out));
	assert_string_equal(out, "0000-01-01T00:00:00Z");
}

static void test_parse_time(void **state)
{
	static const struct {
		const char *in;
		time_t want;
	} good[] = {
		{ "2026-01-05T10:00:00Z", 1767607200 },
		{ "2026-01-05T10:00:00.123456789Z", 1767607200 },
		{ "2026-01-05T10:00:00.5Z", 1767607200 },
		{ "2026-01-05T12:30:00+02:30", 1767607200 },
		{ "2026-01-05T05:00:00-05:00", 1767607200 },
		{ "2026-01-05T10:00:00+00:00", 1767607200 },
		{ "2026-01-05T10:00:00-00:00", 1767607200 },
		{ "2026-01-05T23:59:59.999+13:59", 1767607259 },
		{ "2026-01-05t10:00:00z", 1767607200 },
		{ "2024-02-29T00:00:00Z", 1709164800 },
		{ "1970-01-01T00:00:00Z", 0 },
		{ "1969-12-31T23:59:59Z", -1 },
		{ "2026-01-06T00:30:00.000+14:30", 1767607200 },
	};
	static const char *const bad[] = {
		"",
		"2026-01-05",
		"2026-01-05T10:00:00",          /* no zone */
		"2026-01-05 10:00:00Z",
		"2026-01-05T10:00:00+0200",
		"2026-01-05T10:00:00+02",
		"2026-01-05T10:00:00+2:00",
		"2026-01-05T10:00:00+ab:cd",
		"2026-01-05T10:00:00+02:3x",
		"2026-01-05T10:00:00+24:00",
		"2026-01-05T10:00:00+02:60",
		"2026-01-05T10:00:00.Z",
		"2026-01-05T10:00:00Zjunk",
		"2026-01-05T10:00:00+02:00 ",
		" 2026-01-05T10:00:00Z",
		"2026-1-05T10:00:00Z",
		"2026-01-5T10:00:00Z",
		"2026-01-05T1:00:00Z",
		"2026-13-01T00:00:00Z",
		"2026-00-01T00:00:00Z",
		"2026-01-00T00:00:00Z",
		"2026-02-30T10:00:00Z",
		"2023-02-29T00:00:00Z",
		"2100-02-29T00:00:00Z",
		"2026-04-31T00:00:00Z",
		"2026-01-05T24:00:00Z",
		"2026-01-05T10:60:00Z",
		"2026-01-05T10:00:60Z",
		"2026/01/05T10:00:00Z",
		"+2026-01-05T10:00:00Z",
	};
	time_t t;
	char out[32];

	(void)state;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(good); i++) {
		t = 12345;
		if (berth_parse_time(good[i].in, &t))
			fail_msg("'%s' refused", good[i].in);
		if (t != good[i].want)
			fail_msg("'%s' gave %lld, not %lld", good[i].in, (long long)t,
				 (long long)good[i].want);
	}
	assert_int_equal(berth_parse_time("2000-02-29T00:00:00Z", &t), 0);
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(bad); i++) {
		t = 12345;
		if (!berth_parse_time(bad[i], &t))
			fail_msg("'%s' accepted as %lld", bad[i], (long long)t);
		assert_int_equal(t, 12345);
	}
	assert_int_equal(berth_parse_time(NULL, &t), -1);
	/* format and parse are inverse, from year 0 to 2099 */
	for (time_t x = -62167219200; x < 4102444800; x += 86400 * 37 + 3661) {
		berth_format_time(x, out, sizeof(out));
		assert_int_equal(berth_parse_time(out, &t), 0);
		assert_true(t == x);
	}
}

static void test_fake_now(void **state)
{
	time_t real;

	(void)state;
	assert_int_equal(setenv("BERTH_FAKE_NOW", "1767607200", 1), 0);
	assert_true(berth_now() == 1767607200);
	assert_int_equal(setenv("BERTH_FAKE_NOW", "0", 1), 0);
	assert_true(berth_now() == 0);
	/* A value that is not a number is ignored. */
	assert_int_equal(setenv("BERTH_FAKE_NOW", "tomorrow", 1), 0);
	real = time(NULL);
	assert_true(llabs((long long)(berth_now() - real)) <= 2);
	unsetenv("BERTH_FAKE_NOW");
	real = time(NULL);
	assert_true(llabs((long long)(berth_now() - real)) <= 2);
}

static void test_clocks(void **state)
{
	int64_t t0 = berth_mono_ms(), t1;

	(void)state;
	berth_sleep_ms(30, NULL);
	t1 = berth_mono_ms();
	assert_true(t1 - t0 >= 30);
	berth_sleep_ms(0, NULL);
	berth_sleep_ms(-5, NULL);
	assert_true(berth_mono_ms() >= t1);
	assert_true(berth_starts_with("robot$proj+ci", "robot$"));
	assert_false(berth_starts_with("robo", "robot$"));
	assert_true(berth_starts_with("x", ""));
	assert_true(berth_ends_with("config.json", ".json"));
	assert_false(berth_ends_with("json", ".json"));
	assert_true(berth_ends_with("", ""));
}

/* ---- files ------------------------------------------------------------------ */

static void test_file_read(void **state)
{
	struct fixture *f = *state;
	struct berth_buf b = BERTH_BUF_INIT;
	struct berth_err err = BERTH_ERR_INIT;
	char *big = malloc(40000);

	assert_non_null(big);
	memset(big, 'x', 39999);
	big[39999] = '\0';
	write_plain(path_in(f, "small"), "0123456789");
	write_plain(path_in(f, "big"), big);

	berth_buf_addstr(&b, "pre:");
	assert_int_equal(berth_file_read(&b, path_in(f, "small"), 10, &err), 0);
	assert_string_equal(b.buf, "pre:0123456789");
	/* more than max: refused, and out is as it was */
	assert_int_equal(berth_file_read(&b, path_in(f, "small"), 9, &err), BERTH_EIO);
	assert_non_null(strstr(err.msg, "larger than 9 bytes"));
	assert_string_equal(b.buf, "pre:0123456789");
	assert_int_equal(berth_file_read(&b, path_in(f, "big"), 39998, &err), BERTH_EIO);
	assert_int_equal(b.len, 14);
	assert_string_equal(b.buf, "pre:0123456789");
	/* several reads' worth, no cap */
	berth_buf_reset(&b);
	assert_int_equal(berth_file_read(&b, path_in(f, "big"), 0, &err), 0);
	assert_int_equal(b.len, 39999);
	assert_string_equal(b.buf, big);
	/* missing and unreadable */
	assert_int_equal(berth_file_read(&b, path_in(f, "missing"), 0, &err), BERTH_ENOTFOUND);
	assert_non_null(strstr(err.msg, "missing"));
	assert_int_equal(berth_file_read(&b, f->dir, 0, &err), BERTH_EIO);
	assert_int_equal(b.len, 39999);
	berth_buf_release(&b);
	free(big);
}

static void test_write_atomic_replaces(void **state)
{
	struct fixture *f = *state;
	struct berth_buf b = BERTH_BUF_INIT, names = BERTH_BUF_INIT;
	struct berth_err err = BERTH_ERR_INIT;
	const char *path = path_in(f, "config.json");
	struct stat st1, st2;

	write_plain(path, "old content that is longer than the new");
	assert_int_equal(stat(path, &st1), 0);
	assert_int_equal(berth_file_write_atomic(path, "{\"auths\":{}}", 12, 0600, &err), 0);
	assert_int_equal(berth_file_read(&b, path, 0, &err), 0);
	assert_string_equal(b.buf, "{\"auths\":{}}");
	/* renamed into place: a new inode, not the old file rewritten */
	assert_int_equal(stat(path, &st2), 0);
	assert_true(st1.st_ino != st2.st_ino);
	assert_int_equal(st2.st_mode & 07777, 0600);
	/* no temporary file stays behind */
	list_dir(&names, f->dir);
	assert_string_equal(names.buf, "config.json");

	/* a new file, and an empty one */
	assert_int_equal(berth_file_write_atomic(path_in(f, "new"), "", 0, 0600, &err), 0);
	berth_buf_reset(&b);
	assert_int_equal(berth_file_read(&b, path_in(f, "new"), 0, &err), 0);
	assert_int_equal(b.len, 0);
	berth_buf_reset(&names);
	list_dir(&names, f->dir);
	assert_string_equal(names.buf, "config.json new");
	berth_buf_release(&b);
	berth_buf_release(&names);
}

static void test_write_atomic_mode_ignores_umask(void **state)
{
	static const mode_t masks[] = { 0, 022, 077, 0777 };
	static const mode_t modes[] = { 0600, 0644, 0640, 0400 };
	struct fixture *f = *state;
	const char *path = path_in(f, "secret");
	mode_t old = umask(0);

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(masks); i++) {
		for (size_t j = 0; j < BERTH_ARRAY_SIZE(modes); j++) {
			struct stat st;
			int rc;

			umask(masks[i]);
			rc = berth_file_write_atomic(path, "s", 1, modes[j], NULL);
			umask(0);
			assert_int_equal(rc, 0);
			assert_int_equal(stat(path, &st), 0);
			assert_int_equal(st.st_mode & 07777, modes[j]);
		}
	}
	umask(old);
}

static void test_write_atomic_unwritable_dir(void **state)
{
	struct fixture *f = *state;
	struct berth_buf b = BERTH_BUF_INIT, names = BERTH_BUF_INIT;
	char ro[256], path[300];
	pid_t pid;
	int status;

	snprintf(ro, sizeof(ro), "%s/ro", f->dir);
	snprintf(path, sizeof(path), "%s/config.json", ro);
	assert_int_equal(mkdir(ro, 0755), 0);
	write_plain(path, "old");
	assert_int_equal(chmod(f->dir, 0755), 0);
	assert_int_equal(chmod(ro, 0555), 0);

	/*
	 * root writes anywhere, so try as an unprivileged user in a child.
	 * Exit codes: 0 refused as expected, 1 succeeded, 2 wrong code or message.
	 */
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct berth_err err = BERTH_ERR_INIT;
		int rc;

		if (!geteuid() && (setgid(65534) || setuid(65534)))
			_exit(3);
		rc = berth_file_write_atomic(path, "new", 3, 0600, &err);
		if (!rc)
			_exit(1);
		_exit(rc == BERTH_EIO && err.code == BERTH_EIO && strstr(err.msg, path) ? 0 : 2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 3)
		skip(); /* root without the right to become another user */
	assert_int_equal(WEXITSTATUS(status), 0);
	/* the old file is intact and nothing was left beside it */
	assert_int_equal(berth_file_read(&b, path, 0, NULL), 0);
	assert_string_equal(b.buf, "old");
	list_dir(&names, ro);
	assert_string_equal(names.buf, "config.json");

	/* a directory that does not exist */
	assert_int_equal(berth_file_write_atomic(path_in(f, "nodir/x"), "x", 1, 0600, NULL), BERTH_EIO);
	/* a directory in the way of the file itself: old directory intact, no temp left */
	assert_int_equal(chmod(ro, 0755), 0);
	assert_int_equal(berth_file_write_atomic(ro, "x", 1, 0600, NULL), BERTH_EIO);
	berth_buf_reset(&names);
	list_dir(&names, f->dir);
	assert_string_equal(names.buf, "ro");
	berth_buf_release(&b);
	berth_buf_release(&names);
}

static void test_mkdirs(void **state)
{
	struct fixture *f = *state;
	struct berth_err err = BERTH_ERR_INIT;
	struct stat st;
	mode_t old = umask(022);

	assert_int_equal(berth_mkdirs(path_in(f, "a/b/c"), 0700, &err), 0);
	assert_int_equal(stat(path_in(f, "a/b/c"), &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(path_in(f, "a"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* existing, trailing slash, doubled slashes */
	assert_int_equal(berth_mkdirs(path_in(f, "a/b/c"), 0700, &err), 0);
	assert_int_equal(berth_mkdirs(path_in(f, "a/b/d/"), 0700, &err), 0);
	assert_int_equal(berth_mkdirs(path_in(f, "a//e"), 0700, &err), 0);
	assert_int_equal(stat(path_in(f, "a/e"), &st), 0);
	assert_true(S_ISDIR(st.st_mode));

	/* a file in the way, at the end or in the middle */
	write_plain(path_in(f, "file"), "x");
	assert_int_equal(berth_mkdirs(path_in(f, "file"), 0700, &err), BERTH_EIO);
	assert_non_null(strstr(err.msg, "file"));
	assert_int_equal(berth_mkdirs(path_in(f, "file/sub"), 0700, &err), BERTH_EIO);
	assert_int_equal(berth_mkdirs("", 0700, &err), BERTH_EIO);
	umask(old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_long),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_format_duration),
		cmocka_unit_test(test_format_time),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_fake_now),
		cmocka_unit_test(test_clocks),
		cmocka_unit_test_setup_teardown(test_file_read, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_write_atomic_replaces, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_write_atomic_mode_ignores_umask, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_write_atomic_unwritable_dir, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_mkdirs, setup_dir, teardown_dir),
	};

	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
