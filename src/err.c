/* err.c - the berth_err error type. */
#include "compat.h"
#include "err.h"

void berth_err_clear(struct berth_err *err)
{
	if (!err)
		return;
	err->code = BERTH_OK;
	err->http_status = 0;
	err->retry_after_s = -1;
	err->msg[0] = '\0';
}

static void scrub(char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			*s = ' ';
	}
}

/*
 * The length of s[0..len) without a UTF-8 sequence cut short at its end, so
 * that truncated messages stay valid UTF-8 (a JSON log line needs that).
 */
static size_t utf8_whole(const char *s, size_t len)
{
	size_t i = len, need;
	unsigned char c;

	while (i > 0 && len - i < 3 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;
	if (!i)
		return len;
	c = (unsigned char)s[i - 1];
	if (c < 0xc0)
		return len;
	need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
	return len - (i - 1) < need ? i - 1 : len;
}

int berth_err_vset(struct berth_err *err, enum berth_err_code code, const char *fmt, va_list ap)
{
	char tmp[sizeof(err->msg)];
	int n;

	if (!err)
		return code;
	/* Format aside: the arguments may point into err->msg ("%s", err->msg). */
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	if (n < 0)
		tmp[0] = '\0';
	else if ((size_t)n >= sizeof(tmp))
		tmp[utf8_whole(tmp, sizeof(tmp) - 1)] = '\0';
	scrub(tmp);
	err->code = code;
	memcpy(err->msg, tmp, strlen(tmp) + 1);
	return code;
}

int berth_err_set(struct berth_err *err, enum berth_err_code code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	berth_err_vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int berth_err_prefix(struct berth_err *err, const char *fmt, ...)
{
	char ctx[256];
	size_t clen, mlen, cap;
	va_list ap;

	if (!err)
		return BERTH_ERROR;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	scrub(ctx);
	clen = strlen(ctx);
	cap = sizeof(err->msg) - 1;
	if (clen + 2 > cap)
		clen = cap - 2;
	clen = utf8_whole(ctx, clen);
	mlen = strlen(err->msg);
	if (mlen > cap - clen - 2)
		mlen = utf8_whole(err->msg, cap - clen - 2);
	/* Shift the message right and put "ctx: " in front; truncates at the end. */
	memmove(err->msg + clen + 2, err->msg, mlen);
	memcpy(err->msg, ctx, clen);
	err->msg[clen] = ':';
	err->msg[clen + 1] = ' ';
	err->msg[clen + 2 + mlen] = '\0';
	if (err->code == BERTH_OK)
		err->code = BERTH_ERROR;
	return err->code;
}

const char *berth_err_code_name(enum berth_err_code code)
{
	switch (code) {
	case BERTH_OK: return "ok";
	case BERTH_ERROR: return "error";
	case BERTH_ENOTFOUND: return "not found";
	case BERTH_EEXISTS: return "already exists";
	case BERTH_ECONFLICT: return "conflict";
	case BERTH_EAUTH: return "unauthorized";
	case BERTH_ERATELIMIT: return "rate limited";
	case BERTH_ENET: return "network error";
	case BERTH_ESERVER: return "server error";
	case BERTH_EPROTO: return "protocol error";
	case BERTH_ECONFIG: return "configuration error";
	case BERTH_EUSAGE: return "usage error";
	case BERTH_EFORBIDDEN: return "forbidden";
	case BERTH_EINVALID: return "invalid request";
	case BERTH_ESEALED: return "vault sealed";
	case BERTH_EIO: return "i/o error";
	}
	return "unknown error";
}
