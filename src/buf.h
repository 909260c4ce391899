/*
 * buf.h - growable, NUL-terminated byte strings (git's strbuf with curl's
 * size cap). buf is never NULL; a fresh buf points at a shared empty string.
 * Buffers that may hold secrets are released with berth_buf_wipe().
 */
#ifndef BERTH_BUF_H
#define BERTH_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

extern char berth_buf_empty[];

struct berth_buf {
	char *buf;
	size_t len;
	size_t alloc;
	size_t max; /* 0: no cap; otherwise berth_buf_add_capped() refuses to grow past it */
};

#define BERTH_BUF_INIT { .buf = berth_buf_empty, .len = 0, .alloc = 0, .max = 0 }

void berth_buf_init(struct berth_buf *b);
void berth_buf_grow(struct berth_buf *b, size_t extra);
void berth_buf_add(struct berth_buf *b, const void *data, size_t len);
void berth_buf_addstr(struct berth_buf *b, const char *s);
void berth_buf_addch(struct berth_buf *b, char c);
void berth_buf_addf(struct berth_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void berth_buf_vaddf(struct berth_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Append unless that would make len exceed max; returns 0 or -1 (nothing appended). */
int berth_buf_add_capped(struct berth_buf *b, const void *data, size_t len);
/* Append one URL path segment, percent-encoding all but RFC 3986 unreserved characters. */
void berth_buf_add_urlpath(struct berth_buf *b, const char *segment);
/* Append a path that may contain '/', encoding each segment and keeping the slashes. */
void berth_buf_add_urlpaths(struct berth_buf *b, const char *path);
/* Append "key=value" (both percent-encoded), preceded by '?' or '&' as the buffer needs. */
void berth_buf_add_query(struct berth_buf *b, const char *key, const char *value);
/* Append s percent-encoded (unreserved characters kept). */
void berth_buf_add_urlencoded(struct berth_buf *b, const char *s);
/* Remove trailing whitespace. */
void berth_buf_rtrim(struct berth_buf *b);
/* Hand the string to the caller (who frees it); b is reinitialised. */
char *berth_buf_detach(struct berth_buf *b, size_t *len);
/* len = 0, memory kept. */
void berth_buf_reset(struct berth_buf *b);
/* Free the memory; b is back to BERTH_BUF_INIT (max is kept). */
void berth_buf_release(struct berth_buf *b);
/* berth_buf_release(), zeroing the memory first. */
void berth_buf_wipe(struct berth_buf *b);
bool berth_buf_eq(const struct berth_buf *b, const char *s);

#endif
