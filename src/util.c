/* util.c - parsing, time, clocks and atomic file I/O. */
#include "compat.h"
#include "util.h"
#include "buf.h"
#include "err.h"
#include "xalloc.h"

#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>
#include <unistd.h>

int berth_parse_long(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int berth_parse_duration(const char *s, int64_t *seconds)
{
	int64_t total = 0;
	const char *p = s;

	if (!s || !*s)
		return -1;
	{
		long long v;

		if (!berth_parse_long(s, 0, INT64_MAX / 1000, &v)) {
			*seconds = v;
			return 0;
		}
	}
	while (*p) {
		int64_t n = 0, mul;
		bool digits = false;

		while (*p >= '0' && *p <= '9') {
			if (n > (INT64_MAX - 9) / 10)
				return -1;
			n = n * 10 + (*p++ - '0');
			digits = true;
		}
		if (!digits)
			return -1;
		if (p[0] == 'm' && p[1] == 's') {
			p += 2;
			n = (n + 999) / 1000;
			mul = 1;
		} else {
			switch (*p) {
			case 'd': mul = 86400; break;
			case 'h': mul = 3600; break;
			case 'm': mul = 60; break;
			case 's': mul = 1; break;
			default: return -1;
			}
			p++;
		}
		if (n > (INT64_MAX - total) / mul)
			return -1;
		total += n * mul;
	}
	*seconds = total;
	return 0;
}

void berth_format_duration(int64_t s, char *out, size_t n)
{
	struct berth_buf b = BERTH_BUF_INIT;
	bool neg = s < 0;

	if (neg)
		s = -s;
	if (neg)
		berth_buf_addch(&b, '-');
	if (s >= 86400)
		berth_buf_addf(&b, "%" PRId64 "d", s / 86400);
	if (s % 86400 >= 3600)
		berth_buf_addf(&b, "%" PRId64 "h", (s % 86400) / 3600);
	if (s < 86400 && s % 3600 >= 60)
		berth_buf_addf(&b, "%" PRId64 "m", (s % 3600) / 60);
	if (s < 3600 && (s % 60 || !s))
		berth_buf_addf(&b, "%" PRId64 "s", s % 60);
	snprintf(out, n, "%s", b.buf);
	berth_buf_release(&b);
}

void berth_format_time(time_t t, char *out, size_t n)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int berth_parse_time(const char *s, time_t *out)
{
	struct tm tm = { 0 };
	const char *p;
	long off = 0;

	if (!s)
		return -1;
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -1;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;
		int hh, mm;

		if (strlen(p) != 6 || p[3] != ':')
			return -1;
		hh = (p[1] - '0') * 10 + (p[2] - '0');
		mm = (p[4] - '0') * 10 + (p[5] - '0');
		off = sign * (hh * 3600L + mm * 60L);
		p += 6;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	*out = timegm(&tm) - off;
	return 0;
}

time_t berth_now(void)
{
	const char *fake = getenv("BERTH_FAKE_NOW");
	long long v;

	if (fake && !berth_parse_long(fake, 0, INT64_MAX, &v))
		return (time_t)v;
	return time(NULL);
}

int64_t berth_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void berth_sleep_ms(int64_t ms, volatile bool *stop)
{
	struct timespec req, rem;

	if (ms <= 0)
		return;
	req.tv_sec = ms / 1000;
	req.tv_nsec = (ms % 1000) * 1000000;
	while (nanosleep(&req, &rem) && errno == EINTR) {
		if (stop && *stop)
			return;
		req = rem;
	}
}

int berth_file_read(struct berth_buf *out, const char *path, size_t max, struct berth_err *err)
{
	char chunk[16384];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	size_t total = 0;

	if (fd < 0)
		return berth_err_set(err, errno == ENOENT ? BERTH_ENOTFOUND : BERTH_EIO,
				     "cannot open '%s': %s", path, strerror(errno));
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		total += (size_t)n;
		if (max && total > max) {
			close(fd);
			explicit_bzero(chunk, sizeof(chunk));
			return berth_err_set(err, BERTH_EIO, "'%s' is larger than %zu bytes", path, max);
		}
		berth_buf_add(out, chunk, (size_t)n);
	}
	explicit_bzero(chunk, sizeof(chunk));
	if (n < 0) {
		int e = errno;

		close(fd);
		return berth_err_set(err, BERTH_EIO, "cannot read '%s': %s", path, strerror(e));
	}
	close(fd);
	return 0;
}

static int fsync_dir(const char *path)
{
	char *copy = xstrdup(path);
	int fd, ret = 0;

	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -1;
	if (fsync(fd) && errno != EINVAL)
		ret = -1;
	close(fd);
	return ret;
}

int berth_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
			    struct berth_err *err)
{
	struct berth_buf tmp = BERTH_BUF_INIT;
	const char *p = data;
	size_t left = len;
	int fd, ret = 0;

	berth_buf_addf(&tmp, "%s.tmp.XXXXXX", path);
	fd = mkostemp(tmp.buf, O_CLOEXEC);
	if (fd < 0) {
		ret = berth_err_set(err, BERTH_EIO, "cannot create a temporary file next to '%s': %s",
				    path, strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode)) {
		ret = berth_err_set(err, BERTH_EIO, "cannot set the mode of '%s': %s", tmp.buf,
				    strerror(errno));
		goto fail;
	}
	while (left) {
		ssize_t n = write(fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = berth_err_set(err, BERTH_EIO, "cannot write '%s': %s", tmp.buf,
					    strerror(errno));
			goto fail;
		}
		p += n;
		left -= (size_t)n;
	}
	if (fsync(fd)) {
		ret = berth_err_set(err, BERTH_EIO, "cannot sync '%s': %s", tmp.buf, strerror(errno));
		goto fail;
	}
	if (close(fd)) {
		fd = -1;
		ret = berth_err_set(err, BERTH_EIO, "cannot close '%s': %s", tmp.buf, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp.buf, path)) {
		ret = berth_err_set(err, BERTH_EIO, "cannot rename '%s' to '%s': %s", tmp.buf, path,
				    strerror(errno));
		goto fail;
	}
	if (fsync_dir(path)) {
		ret = berth_err_set(err, BERTH_EIO, "cannot sync the directory of '%s': %s", path,
				    strerror(errno));
		goto out;
	}
	goto out;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp.buf);
out:
	berth_buf_release(&tmp);
	return ret;
}

int berth_mkdirs(const char *path, mode_t mode, struct berth_err *err)
{
	char *copy = xstrdup(path);
	int ret = 0;

	for (char *p = copy + 1; ; p++) {
		bool end = !*p;

		if (*p == '/' || end) {
			*p = '\0';
			if (mkdir(copy, mode) && errno != EEXIST) {
				ret = berth_err_set(err, BERTH_EIO, "cannot create directory '%s': %s",
						    copy, strerror(errno));
				break;
			}
			if (end)
				break;
			*p = '/';
		}
	}
	free(copy);
	return ret;
}

bool berth_starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

bool berth_ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !memcmp(s + a - b, suffix, b);
}
