/*
 * err.h - berth's one error type. Every fallible function returns 0 or a
 * negative enum berth_err_code equal to err->code, and fills the
 * caller-owned struct berth_err (which may be NULL). The function that
 * fails writes the message; callers add context with berth_err_prefix()
 * and never overwrite it.
 */
#ifndef BERTH_ERR_H
#define BERTH_ERR_H

#include <stdarg.h>

enum berth_err_code {
	BERTH_OK = 0,
	BERTH_ERROR = -1,       /* generic; the message says why */
	BERTH_ENOTFOUND = -2,   /* 404, missing file or entry */
	BERTH_EEXISTS = -3,     /* already exists */
	BERTH_ECONFLICT = -4,   /* 409, CAS or resourceVersion mismatch */
	BERTH_EAUTH = -5,       /* 401, bad or expired credentials */
	BERTH_ERATELIMIT = -6,  /* 429; retry_after_s may be set */
	BERTH_ENET = -7,        /* DNS, connect, TLS, timeout, dropped connection */
	BERTH_ESERVER = -8,     /* 5xx */
	BERTH_EPROTO = -9,      /* response of the wrong shape or size */
	BERTH_ECONFIG = -10,    /* bad configuration */
	BERTH_EUSAGE = -11,     /* bad command line */
	BERTH_EFORBIDDEN = -12, /* 403, authenticated but not allowed */
	BERTH_EINVALID = -13,   /* 400/422, the server refused the request body */
	BERTH_ESEALED = -14,    /* Vault is sealed */
	BERTH_EIO = -15,        /* local file system */
};

struct berth_err {
	enum berth_err_code code;
	long http_status;   /* 0 when no HTTP response was involved */
	long retry_after_s; /* -1 when the server did not say */
	char msg[768];
};

#define BERTH_ERR_INIT { .code = BERTH_OK, .http_status = 0, .retry_after_s = -1, .msg = "" }

/* Reset err to "no error". NULL-safe. */
void berth_err_clear(struct berth_err *err);

/*
 * Set the error: code and a printf-style message (lowercase, no full stop,
 * subject in 'quotes'). Control characters are replaced so that server text
 * cannot forge log lines. Returns code, so that "return berth_err_set(...)"
 * reads naturally. err may be NULL.
 */
int berth_err_set(struct berth_err *err, enum berth_err_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int berth_err_vset(struct berth_err *err, enum berth_err_code code, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Prepend "context: " to the message. Returns err->code (BERTH_ERROR if err is NULL). */
int berth_err_prefix(struct berth_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A short constant name for a code ("not found", "conflict", ...). */
const char *berth_err_code_name(enum berth_err_code code);

#endif
