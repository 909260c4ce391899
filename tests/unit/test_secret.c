/* test_secret.c - struct berth_secret: files, environment, generation, comparison, digests. */
#include "compat.h"
#include "secret.h"
#include "err.h"

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

extern char **environ;

struct fixture {
	char dir[64];
	char path[128];
};

static int setup_dir(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/berth-test-secret-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/secret", f->dir);
	*state = f;
	return 0;
}

static int teardown_dir(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void write_bytes(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* Assert that s holds exactly want[0..len). */
static void assert_secret_is(const struct berth_secret *s, const void *want, size_t len)
{
	size_t n = 99;
	const char *v = berth_secret_reveal(s, &n);

	assert_int_equal(n, len);
	assert_int_equal(berth_secret_len(s), len);
	assert_memory_equal(v, want, len);
	assert_int_equal(v[len], '\0');
}

static void test_secret_from_file_newlines(void **state)
{
	static const struct {
		const char *content;
		const char *want;
	} cases[] = {
		{ "Harbor12345", "Harbor12345" },
		{ "Harbor12345\n", "Harbor12345" },
		{ "Harbor12345\r\n", "Harbor12345" },
		{ "Harbor12345\n\n", "Harbor12345\n" },  /* only one newline goes */
		{ "Harbor12345\r", "Harbor12345\r" },    /* a lone CR is not a newline */
		{ "  spaced  \n", "  spaced  " },
		{ "line1\nline2\n", "line1\nline2" },
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(cases); i++) {
		struct berth_err err = BERTH_ERR_INIT;
		struct berth_secret *s = NULL;

		write_bytes(f->path, cases[i].content, strlen(cases[i].content));
		assert_int_equal(berth_secret_from_file(&s, f->path, &err), 0);
		assert_secret_is(s, cases[i].want, strlen(cases[i].want));
		berth_secret_free(s);
	}
}

static void test_secret_from_file_binary(void **state)
{
	struct fixture *f = *state;
	struct berth_secret *s = NULL;

	write_bytes(f->path, "a\0b\n", 4);
	assert_int_equal(berth_secret_from_file(&s, f->path, NULL), 0);
	assert_secret_is(s, "a\0b", 3);
	berth_secret_free(s);
}

static void test_secret_from_file_errors(void **state)
{
	struct fixture *f = *state;
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_secret *s = (struct berth_secret *)&err; /* must become NULL */
	char missing[160];

	write_bytes(f->path, "", 0);
	assert_int_equal(berth_secret_from_file(&s, f->path, &err), BERTH_ECONFIG);
	assert_null(s);
	assert_non_null(strstr(err.msg, "empty"));
	assert_non_null(strstr(err.msg, f->path));

	write_bytes(f->path, "\r\n", 2);
	assert_int_equal(berth_secret_from_file(&s, f->path, &err), BERTH_ECONFIG);
	assert_null(s);

	snprintf(missing, sizeof(missing), "%s/nope", f->dir);
	assert_int_equal(berth_secret_from_file(&s, missing, &err), BERTH_ENOTFOUND);
	assert_null(s);
	assert_non_null(strstr(err.msg, "nope"));

	/* A directory opens but cannot be read. */
	assert_int_equal(berth_secret_from_file(&s, f->dir, &err), BERTH_EIO);
	assert_null(s);
}

static void test_secret_from_file_size_cap(void **state)
{
	struct fixture *f = *state;
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_secret *s = NULL;
	size_t cap = 64 * 1024;
	char *big = malloc(cap + 2);

	assert_non_null(big);
	memset(big, 'k', cap + 2);
	/* Exactly 64 KiB is within the cap. */
	write_bytes(f->path, big, cap);
	assert_int_equal(berth_secret_from_file(&s, f->path, &err), 0);
	assert_int_equal(berth_secret_len(s), cap);
	berth_secret_free(s);
	s = NULL;
	/* One byte more is not, and the message does not quote the content. */
	write_bytes(f->path, big, cap + 1);
	assert_int_equal(berth_secret_from_file(&s, f->path, &err), BERTH_ECONFIG);
	assert_null(s);
	assert_non_null(strstr(err.msg, "larger than 64 KiB"));
	assert_null(strstr(err.msg, "kkkk"));
	free(big);
}

static void test_secret_from_env_wipes(void **state)
{
	/* putenv() puts this very buffer into environ; we can look at it afterwards. */
	static char entry[] = "BERTH_TEST_SECRET_ENV=Canary-9f8e7d";
	const size_t vlen = strlen("Canary-9f8e7d");
	const char *val = entry + strlen("BERTH_TEST_SECRET_ENV=");
	static char other[] = "BERTH_TEST_SECRET_ENV_LONGER=keep";
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_secret *s = NULL;

	(void)state;
	assert_int_equal(putenv(other), 0);
	assert_int_equal(putenv(entry), 0);
	assert_string_equal(getenv("BERTH_TEST_SECRET_ENV"), "Canary-9f8e7d");

	assert_int_equal(berth_secret_from_env(&s, "BERTH_TEST_SECRET_ENV", &err), 0);
	assert_secret_is(s, "Canary-9f8e7d", vlen);
	/* The original bytes are gone from the environment's memory ... */
	for (size_t i = 0; i < vlen; i++)
		assert_int_equal(val[i], '\0');
	/* ... and the variable is unset, for us and for child processes. */
	assert_null(getenv("BERTH_TEST_SECRET_ENV"));
	for (char **e = environ; *e; e++)
		assert_ptr_not_equal(*e, entry);
	/* A longer name sharing the prefix is another variable, left alone. */
	assert_string_equal(getenv("BERTH_TEST_SECRET_ENV_LONGER"), "keep");
	berth_secret_free(s);

	/* Unset now. */
	s = (struct berth_secret *)&err;
	assert_int_equal(berth_secret_from_env(&s, "BERTH_TEST_SECRET_ENV", &err), BERTH_ENOTFOUND);
	assert_null(s);
	assert_non_null(strstr(err.msg, "BERTH_TEST_SECRET_ENV"));
	unsetenv("BERTH_TEST_SECRET_ENV_LONGER");
}

static void test_secret_from_env_empty(void **state)
{
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_secret *s = NULL;

	(void)state;
	assert_int_equal(setenv("BERTH_TEST_EMPTY", "", 1), 0);
	assert_int_equal(berth_secret_from_env(&s, "BERTH_TEST_EMPTY", &err), BERTH_ECONFIG);
	assert_null(s);
	assert_non_null(strstr(err.msg, "empty"));
	unsetenv("BERTH_TEST_EMPTY");
}

static void test_secret_from_env_duplicates(void **state)
{
	/* execve() lets a parent pass one name twice; every copy must be wiped. */
	char first[] = "BERTH_TEST_DUP=first-Value1";
	char second[] = "BERTH_TEST_DUP=second-Value2";
	char path[] = "PATH=/usr/bin";
	char *env[] = { first, path, second, NULL };
	char **saved = environ;
	struct berth_secret *s = NULL;
	int rc;

	(void)state;
	environ = env;
	rc = berth_secret_from_env(&s, "BERTH_TEST_DUP", NULL);
	environ = saved;
	assert_int_equal(rc, 0);
	assert_secret_is(s, "first-Value1", strlen("first-Value1"));
	for (size_t i = strlen("BERTH_TEST_DUP="); i < sizeof(first) - 1; i++)
		assert_int_equal(first[i], '\0');
	for (size_t i = strlen("BERTH_TEST_DUP="); i < sizeof(second) - 1; i++)
		assert_int_equal(second[i], '\0');
	/* both entries left the array; PATH stayed */
	assert_ptr_equal(env[0], path);
	assert_null(env[1]);
	berth_secret_free(s);
}

static bool all_alnum(const char *s, size_t len, bool *up, bool *low, bool *dig)
{
	*up = *low = *dig = false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			*up = true;
		else if (c >= 'a' && c <= 'z')
			*low = true;
		else if (c >= '0' && c <= '9')
			*dig = true;
		else
			return false;
	}
	return true;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void test_secret_generate(void **state)
{
	static const size_t lens[] = { 8, 9, 32, 64, 128 };
	enum { RUNS = 400 };
	char *seen[RUNS];
	unsigned int counts[3] = { 0 };

	(void)state;
	for (size_t l = 0; l < BERTH_ARRAY_SIZE(lens); l++) {
		struct berth_secret *s = NULL;
		size_t n;
		const char *v;
		bool up, low, dig;

		assert_int_equal(berth_secret_generate(&s, lens[l], NULL), 0);
		v = berth_secret_reveal(s, &n);
		assert_int_equal(n, lens[l]);
		assert_int_equal(strlen(v), lens[l]);
		assert_true(all_alnum(v, n, &up, &low, &dig));
		assert_true(up && low && dig);
		berth_secret_free(s);
	}
	/* The shortest length is the one most likely to miss a class; try it many times. */
	for (int i = 0; i < RUNS; i++) {
		struct berth_secret *s = NULL;
		struct berth_err err = BERTH_ERR_INIT;
		const char *v;
		bool up, low, dig;

		assert_int_equal(berth_secret_generate(&s, 8, &err), 0);
		v = berth_secret_reveal(s, NULL);
		assert_true(all_alnum(v, 8, &up, &low, &dig));
		assert_true(up && low && dig);
		for (int j = 0; j < 8; j++)
			counts[v[j] >= 'a' ? 1 : v[j] >= 'A' ? 0 : 2]++;
		seen[i] = strdup(v);
		assert_non_null(seen[i]);
		berth_secret_free(s);
	}
	qsort(seen, RUNS, sizeof(seen[0]), cmp_str);
	for (int i = 1; i < RUNS; i++)
		assert_string_not_equal(seen[i - 1], seen[i]);
	for (int i = 0; i < RUNS; i++)
		free(seen[i]);
	/* All three classes are drawn, roughly as often as their share of 62 says. */
	for (int c = 0; c < 3; c++)
		assert_true(counts[c] > (c == 2 ? 200u : 600u));
}

static void test_secret_generate_bad_length_is_a_bug(void **state)
{
	static const size_t bad[] = { 0, 7, 129 };

	(void)state;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(bad); i++) {
		pid_t pid = fork();
		int status;

		assert_true(pid >= 0);
		if (!pid) {
			struct berth_secret *s;

			/* Keep the child's BUG line out of the test output. */
			if (!freopen("/dev/null", "w", stderr))
				_exit(3);
			(void)berth_secret_generate(&s, bad[i], NULL);
			_exit(0);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), SIGABRT);
	}
}

static void test_secret_equal(void **state)
{
	struct berth_secret *a = berth_secret_from_str("Harbor12345");
	struct berth_secret *b = berth_secret_new("Harbor12345", 11);
	struct berth_secret *c = berth_secret_from_str("Harbor12346");
	struct berth_secret *d = berth_secret_from_str("Harbor1234");
	struct berth_secret *e1 = berth_secret_new("", 0);
	struct berth_secret *e2 = berth_secret_from_str("");
	struct berth_secret *n1 = berth_secret_new("a\0b", 3);
	struct berth_secret *n2 = berth_secret_new("a\0c", 3);
	struct berth_secret *dup = berth_secret_dup(a);

	(void)state;
	assert_true(berth_secret_equal(a, b));
	assert_true(berth_secret_equal(a, a));
	assert_false(berth_secret_equal(a, c));
	assert_false(berth_secret_equal(a, d));
	assert_false(berth_secret_equal(d, a));
	assert_true(berth_secret_equal(e1, e2));
	assert_false(berth_secret_equal(e1, a));
	assert_false(berth_secret_equal(n1, n2)); /* bytes after a NUL count */
	assert_true(berth_secret_equal(NULL, NULL));
	assert_false(berth_secret_equal(a, NULL));
	assert_false(berth_secret_equal(NULL, e1));
	assert_ptr_not_equal(dup, a);
	assert_true(berth_secret_equal(dup, a));
	assert_null(berth_secret_dup(NULL));
	berth_secret_free(a);
	berth_secret_free(b);
	berth_secret_free(c);
	berth_secret_free(d);
	berth_secret_free(e1);
	berth_secret_free(e2);
	berth_secret_free(n1);
	berth_secret_free(n2);
	berth_secret_free(dup);
}

static void test_secret_reveal_len_sha(void **state)
{
	struct berth_secret *s = berth_secret_from_str("abc");
	struct berth_secret *empty = berth_secret_new(NULL, 0);
	char hex[65];
	size_t n = 42;

	(void)state;
	assert_string_equal(berth_secret_reveal(s, &n), "abc");
	assert_int_equal(n, 3);
	assert_string_equal(berth_secret_reveal(s, NULL), "abc");
	/* NULL reads as the empty secret */
	n = 42;
	assert_string_equal(berth_secret_reveal(NULL, &n), "");
	assert_int_equal(n, 0);
	assert_int_equal(berth_secret_len(NULL), 0);
	assert_int_equal(berth_secret_len(empty), 0);
	assert_string_equal(berth_secret_reveal(empty, NULL), "");

	berth_secret_sha256_hex(s, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	berth_secret_sha256_hex(NULL, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	berth_secret_sha256_hex(empty, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	berth_secret_free(s);
	berth_secret_free(empty);
	berth_secret_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_secret_from_file_newlines, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_secret_from_file_binary, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_secret_from_file_errors, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_secret_from_file_size_cap, setup_dir, teardown_dir),
		cmocka_unit_test(test_secret_from_env_wipes),
		cmocka_unit_test(test_secret_from_env_empty),
		cmocka_unit_test(test_secret_from_env_duplicates),
		cmocka_unit_test(test_secret_generate),
		cmocka_unit_test(test_secret_generate_bad_length_is_a_bug),
		cmocka_unit_test(test_secret_equal),
		cmocka_unit_test(test_secret_reveal_len_sha),
	};

	return cmocka_run_group_tests_name("secret", tests, NULL, NULL);
}
