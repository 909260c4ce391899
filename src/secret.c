/* secret.c - opaque, wiped-on-free secret values. */
#include "compat.h"
#include "secret.h"
#include "err.h"
#include "xalloc.h"
#include "codec.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

struct berth_secret {
	size_t len;
	char data[]; /* len bytes plus a NUL */
};

struct berth_secret *berth_secret_new(const void *data, size_t len)
{
	struct berth_secret *s = xmalloc(sizeof(*s) + len + 1);

	s->len = len;
	if (len)
		memcpy(s->data, data, len);
	s->data[len] = '\0';
	return s;
}

struct berth_secret *berth_secret_from_str(const char *str)
{
	return berth_secret_new(str, strlen(str));
}

struct berth_secret *berth_secret_dup(const struct berth_secret *s)
{
	return s ? berth_secret_new(s->data, s->len) : NULL;
}

#define SECRET_FILE_MAX 65536

int berth_secret_from_file(struct berth_secret **out, const char *path, struct berth_err *err)
{
	/* One byte more than the cap, to tell "exactly 64 KiB" from "larger". */
	char buf[SECRET_FILE_MAX + 1];
	size_t len = 0;
	ssize_t n;
	int fd;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berth_err_set(err, errno == ENOENT ? BERTH_ENOTFOUND : BERTH_EIO,
				     "cannot open '%s': %s", path, strerror(errno));
	for (;;) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == sizeof(buf))
			break;
	}
	if (n < 0) {
		int e = errno;

		close(fd);
		explicit_bzero(buf, sizeof(buf));
		return berth_err_set(err, BERTH_EIO, "cannot read '%s': %s", path, strerror(e));
	}
	close(fd);
	if (len > SECRET_FILE_MAX) {
		explicit_bzero(buf, sizeof(buf));
		return berth_err_set(err, BERTH_ECONFIG, "secret file '%s' is larger than 64 KiB", path);
	}
	/* One trailing newline, "\n" or "\r\n"; a lone "\r" is part of the secret. */
	if (len && buf[len - 1] == '\n') {
		len--;
		if (len && buf[len - 1] == '\r')
			len--;
	}
	if (!len) {
		explicit_bzero(buf, sizeof(buf));
		return berth_err_set(err, BERTH_ECONFIG, "secret file '%s' is empty", path);
	}
	*out = berth_secret_new(buf, len);
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

extern char **environ;

int berth_secret_from_env(struct berth_secret **out, const char *name, struct berth_err *err)
{
	size_t nlen = strlen(name);

	*out = NULL;
	for (char **e = environ; e && *e; e++) {
		char *val;

		if (strncmp(*e, name, nlen) || (*e)[nlen] != '=')
			continue;
		val = *e + nlen + 1;
		if (!*out) {
			if (!*val)
				return berth_err_set(err, BERTH_ECONFIG,
						     "environment variable '%s' is empty", name);
			*out = berth_secret_from_str(val);
		}
		/*
		 * Wipe the original too: /proc/PID/environ reads this very
		 * memory. An environment may hold a name twice (execve does not
		 * check); wipe every copy, as unsetenv() removes them all.
		 */
		explicit_bzero(val, strlen(val));
	}
	if (!*out)
		return berth_err_set(err, BERTH_ENOTFOUND, "environment variable '%s' is not set", name);
	unsetenv(name);
	return 0;
}

int berth_secret_generate(struct berth_secret **out, size_t len, struct berth_err *err)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	char buf[128];
	unsigned char rnd[64];

	*out = NULL;
	if (len < 8 || len > sizeof(buf))
		BERTH_BUG("berth_secret_generate: bad length %zu", len);
	for (;;) {
		size_t i = 0;
		bool up = false, low = false, dig = false;

		while (i < len) {
			if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
				explicit_bzero(buf, sizeof(buf));
				return berth_err_set(err, BERTH_ERROR, "the system random source failed");
			}
			/* 248 = 4 * 62: reject the tail to keep the choice uniform. */
			for (size_t j = 0; j < sizeof(rnd) && i < len; j++)
				if (rnd[j] < 248)
					buf[i++] = alphabet[rnd[j] % 62];
		}
		for (i = 0; i < len; i++) {
			up |= buf[i] >= 'A' && buf[i] <= 'Z';
			low |= buf[i] >= 'a' && buf[i] <= 'z';
			dig |= buf[i] >= '0' && buf[i] <= '9';
		}
		if (up && low && dig)
			break;
	}
	*out = berth_secret_new(buf, len);
	explicit_bzero(buf, sizeof(buf));
	explicit_bzero(rnd, sizeof(rnd));
	return 0;
}

const char *berth_secret_reveal(const struct berth_secret *s, size_t *len)
{
	if (len)
		*len = s ? s->len : 0;
	return s ? s->data : "";
}

size_t berth_secret_len(const struct berth_secret *s)
{
	return s ? s->len : 0;
}

bool berth_secret_equal(const struct berth_secret *a, const struct berth_secret *b)
{
	if (!a || !b)
		return a == b;
	if (a->len != b->len)
		return false;
	return CRYPTO_memcmp(a->data, b->data, a->len) == 0;
}

void berth_secret_sha256_hex(const struct berth_secret *s, char out[65])
{
	berth_sha256_hex(s ? s->data : "", s ? s->len : 0, out);
}

void berth_secret_free(struct berth_secret *s)
{
	if (!s)
		return;
	explicit_bzero(s->data, s->len);
	s->len = 0;
	free(s);
}
