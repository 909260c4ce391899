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

	/* strtoll() skips leading white space; a whole number does not start with it. */
	if (!s || !((*s >= '0' && *s <= '9') || *s == '-' || *s == '+'))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Durations stay below this, so that callers may convert them to milliseconds. */
#define DURATION_MAX (INT64_MAX / 1000)

int berth_parse_duration(const char *s, int64_t *seconds)
{
	int64_t total = 0;
	const char *p = s;
	long long v;

	if (!s || !*s)
		return -1;
	if (!berth_parse_long(s, 0, DURATION_MAX, &v)) {
		*seconds = v;
		return 0;
	}
	while (*p) {
		int64_t n = 0, mul;
		bool digits = false;

		while (*p >= '0' && *p <= '9') {
			if (n > (DURATION_MAX - 9) / 10)
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
		if (n > (DURATION_MAX - total) / mul)
			return -1;
		total += n * mul;
	}
	*seconds = total;
	return 0;
}

void berth_format_duration(int64_t seconds, char *out, size_t n)
{
	struct berth_buf b = BERTH_BUF_INIT;
	/* Unsigned, so that INT64_MIN has a magnitude too. */
	uint64_t s = seconds < 0 ? 0 - (uint64_t)seconds : (uint64_t)seconds;

	if (seconds < 0)
		berth_buf_addch(&b, '-');
	if (s >= 86400)
		berth_buf_addf(&b, "%" PRIu64 "d", s / 86400);
	if (s % 86400 >= 3600)
		berth_buf_addf(&b, "%" PRIu64 "h", (s % 86400) / 3600);
	if (s < 86400 && s % 3600 >= 60)
		berth_buf_addf(&b, "%" PRIu64 "m", (s % 3600) / 60);
	if (s < 3600 && (s % 60 || !s))
		berth_buf_addf(&b, "%" PRIu64 "s", s % 60);
	snprintf(out, n, "%s", b.buf);
	berth_buf_release(&b);
}

void berth_format_time(time_t t, char *out, size_t n)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm)) {
		snprintf(out, n, "%s", "");
		return;
	}
	/* Four year digits, always: strftime's %Y writes year 52 as "52", which no RFC 3339 parser reads. */
	snprintf(out, n, "%04ld-%02d-%02dT%02d:%02d:%02dZ", (long)tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* n decimal digits at s as a number, or -1. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int berth_parse_time(const char *s, time_t *out)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	struct tm tm = { 0 };
	const char *p;
	int year, mon, day, hh, mm, ss, max_day;
	long off = 0;

	/* date-time = full-date "T" full-time (RFC 3339 section 5.6); 't' and 'z' allowed too. */
	if (!s || strlen(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':')
		return -1;
	year = digits(s, 4);
	mon = digits(s + 5, 2);
	day = digits(s + 8, 2);
	hh = digits(s + 11, 2);
	mm = digits(s + 14, 2);
	ss = digits(s + 17, 2);
	if (year < 0 || mon < 1 || mon > 12 || day < 1 || hh < 0 || hh > 23 || mm < 0 || mm > 59 ||
	    ss < 0 || ss > 59)
		return -1;
	max_day = mdays[mon - 1];
	if (mon == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
		max_day = 29;
	if (day > max_day)
		return -1;
	p = s + 19;
	if (*p == '.') {
		/* time-secfrac = "." 1*DIGIT; ignored */
		if (p[1] < '0' || p[1] > '9')
			return -1;
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;
		int oh = digits(p + 1, 2), om;

		if (oh < 0 || oh > 23 || p[3] != ':')
			return -1;
		om = digits(p + 4, 2);
		if (om < 0 || om > 59)
			return -1;
		off = sign * (oh * 3600L + om * 60L);
		p += 6;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
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
	size_t start = out->len;
	ssize_t n;
	int ret = 0;

	if (fd < 0)
		return berth_err_set(err, errno == ENOENT ? BERTH_ENOTFOUND : BERTH_EIO,
				     "cannot open '%s': %s", path, strerror(errno));
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = berth_err_set(err, BERTH_EIO, "cannot read '%s': %s", path,
					    strerror(errno));
			break;
		}
		if (!n)
			break;
		if (max && out->len - start + (size_t)n > max) {
			ret = berth_err_set(err, BERTH_EIO, "'%s' is larger than %zu bytes", path, max);
			break;
		}
		berth_buf_add(out, chunk, (size_t)n);
	}
	close(fd);
	explicit_bzero(chunk, sizeof(chunk));
	if (ret) {
		/* out is left as it was; what was read may be secret. */
		explicit_bzero(out->buf + start, out->len - start);
		out->len = start;
		if (out->alloc)
			out->buf[start] = '\0';
	}
	return ret;
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
	char *copy;
	struct stat st;
	int ret = 0;

	if (!*path)
		return berth_err_set(err, BERTH_EIO, "cannot create a directory with an empty name");
	copy = xstrdup(path);
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
	/* EEXIST also means "a file of that name": the whole path must be a directory. */
	if (!ret && stat(path, &st))
		ret = berth_err_set(err, BERTH_EIO, "cannot create directory '%s': %s", path,
				    strerror(errno));
	else if (!ret && !S_ISDIR(st.st_mode))
		ret = berth_err_set(err, BERTH_EIO, "cannot create directory '%s': a file is in the way",
				    path);
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
