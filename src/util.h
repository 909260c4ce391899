/*
 * util.h - small helpers: checked number and duration parsing, time
 * formatting, clocks, and file I/O (atomic writes for files that may hold
 * secrets).
 */
#ifndef BERTH_UTIL_H
#define BERTH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct berth_buf;
struct berth_err;

/* Parse a whole base-10 integer within [min, max]. Returns 0 or -1. */
int berth_parse_long(const char *s, long long min, long long max, long long *out);

/*
 * Parse a duration such as "168h", "90m", "45s", "1h30m" or "2d" (days, a
 * berth extension) into seconds. A bare number is seconds; "ms" terms round
 * up to whole seconds ("500ms" is 1). Durations stay below INT64_MAX / 1000
 * seconds, so that they convert to milliseconds. Returns 0 or -1.
 */
int berth_parse_duration(const char *s, int64_t *seconds);
/* Format seconds as a short duration ("3d4h", "6h", "90s") into out. */
void berth_format_duration(int64_t seconds, char *out, size_t n);

/* Format t as RFC 3339 UTC ("2026-01-05T10:00:00Z") into out (>= 21 bytes). */
void berth_format_time(time_t t, char *out, size_t n);
/*
 * Parse an RFC 3339 date-time ("2026-01-05T10:00:00Z", "...T12:30:00.5+02:30";
 * fractions ignored, no leap second). Returns 0 or -1.
 */
int berth_parse_time(const char *s, time_t *out);

/* Wall clock, overridable for tests with BERTH_FAKE_NOW (Unix seconds). */
time_t berth_now(void);
/* Monotonic milliseconds. */
int64_t berth_mono_ms(void);
/* Sleep for ms milliseconds (restarts on EINTR unless *stop becomes true). */
void berth_sleep_ms(int64_t ms, volatile bool *stop);

/*
 * Read a whole file into out (appended), refusing files larger than max
 * (0: no cap). Returns 0, BERTH_ENOTFOUND or BERTH_EIO; on failure out is
 * as it was.
 */
int berth_file_read(struct berth_buf *out, const char *path, size_t max, struct berth_err *err);

/*
 * Write data to path atomically: a temporary file in the same directory,
 * created with 'mode', written, fsync'd, renamed over path, and the
 * directory fsync'd. Returns 0 or BERTH_EIO; on failure path is untouched.
 */
int berth_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
			    struct berth_err *err);

/* mkdir -p with mode for new directories. Returns 0 or BERTH_EIO (also when a file is in the way). */
int berth_mkdirs(const char *path, mode_t mode, struct berth_err *err);

/* true when s starts with prefix / ends with suffix. */
bool berth_starts_with(const char *s, const char *prefix);
bool berth_ends_with(const char *s, const char *suffix);

#endif
