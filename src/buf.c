/* buf.c - growable byte strings. */
#include "compat.h"
#include "buf.h"
#include "xalloc.h"

char berth_buf_empty[1];

void berth_buf_init(struct berth_buf *b)
{
	b->buf = berth_buf_empty;
	b->len = 0;
	b->alloc = 0;
	b->max = 0;
}

void berth_buf_grow(struct berth_buf *b, size_t extra)
{
	size_t need;

	if (extra > SIZE_MAX - b->len - 1)
		BERTH_BUG("berth_buf_grow: size overflow");
	need = b->len + extra + 1;
	if (need <= b->alloc)
		return;
	if (!b->alloc) {
		size_t n = need < 64 ? 64 : need;

		b->buf = xmalloc(n);
		b->buf[0] = '\0';
		b->alloc = n;
		return;
	}
	{
		size_t n = b->alloc;

		while (n < need)
			n = n < SIZE_MAX / 2 ? n * 2 : need;
		b->buf = xrealloc(b->buf, n);
		b->alloc = n;
	}
}

void berth_buf_add(struct berth_buf *b, const void *data, size_t len)
{
	if (!len)
		return;
	berth_buf_grow(b, len);
	memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = '\0';
}

void berth_buf_addstr(struct berth_buf *b, const char *s)
{
	berth_buf_add(b, s, strlen(s));
}

void berth_buf_addch(struct berth_buf *b, char c)
{
	berth_buf_add(b, &c, 1);
}

void berth_buf_vaddf(struct berth_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		BERTH_BUG("berth_buf_vaddf: bad format");
	berth_buf_grow(b, (size_t)n);
	vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void berth_buf_addf(struct berth_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	berth_buf_vaddf(b, fmt, ap);
	va_end(ap);
}

int berth_buf_add_capped(struct berth_buf *b, const void *data, size_t len)
{
	if (b->max && (len > b->max || b->len > b->max - len))
		return -1;
	berth_buf_add(b, data, len);
	return 0;
}

static bool unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

void berth_buf_add_urlencoded(struct berth_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (unreserved(c)) {
			berth_buf_addch(b, (char)c);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };

			berth_buf_add(b, e, 3);
		}
	}
}

void berth_buf_add_urlpath(struct berth_buf *b, const char *segment)
{
	berth_buf_add_urlencoded(b, segment);
}

void berth_buf_add_urlpaths(struct berth_buf *b, const char *path)
{
	const char *p = path;

	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		char *seg = xstrndup(p, n);

		berth_buf_add_urlencoded(b, seg);
		free(seg);
		if (!slash)
			break;
		berth_buf_addch(b, '/');
		p = slash + 1;
	}
}

void berth_buf_add_query(struct berth_buf *b, const char *key, const char *value)
{
	berth_buf_addch(b, memchr(b->buf, '?', b->len) ? '&' : '?');
	berth_buf_add_urlencoded(b, key);
	berth_buf_addch(b, '=');
	berth_buf_add_urlencoded(b, value);
}

void berth_buf_rtrim(struct berth_buf *b)
{
	while (b->len && (b->buf[b->len - 1] == '\n' || b->buf[b->len - 1] == '\r' ||
			  b->buf[b->len - 1] == ' ' || b->buf[b->len - 1] == '\t'))
		b->buf[--b->len] = '\0';
}

char *berth_buf_detach(struct berth_buf *b, size_t *len)
{
	char *s;

	if (len)
		*len = b->len;
	if (!b->alloc)
		s = xstrdup("");
	else
		s = b->buf;
	b->buf = berth_buf_empty;
	b->len = 0;
	b->alloc = 0;
	return s;
}

void berth_buf_reset(struct berth_buf *b)
{
	b->len = 0;
	if (b->alloc)
		b->buf[0] = '\0';
}

void berth_buf_release(struct berth_buf *b)
{
	if (b->alloc)
		free(b->buf);
	b->buf = berth_buf_empty;
	b->len = 0;
	b->alloc = 0;
}

void berth_buf_wipe(struct berth_buf *b)
{
	if (b->alloc)
		explicit_bzero(b->buf, b->alloc);
	berth_buf_release(b);
}

bool berth_buf_eq(const struct berth_buf *b, const char *s)
{
	size_t n = strlen(s);

	return b->len == n && !memcmp(b->buf, s, n);
}
