/*
 * httphdr.h - parsers for the HTTP response headers berth reads:
 * WWW-Authenticate challenges (RFC 7235 section 4.1, auth-params with
 * quoted-strings, several challenges in one header) and Link (RFC 8288,
 * the target of rel="next"). Pure functions over bytes: no I/O, inputs
 * need not be NUL-terminated, allocations are bounded by the limits below.
 */
#ifndef BERTH_HTTPHDR_H
#define BERTH_HTTPHDR_H

#include <stddef.h>

struct berth_err;

/* Longer headers, more challenges or more parameters are refused (BERTH_EPROTO). */
#define BERTH_HTTPHDR_MAX_LEN 16384
#define BERTH_HTTPHDR_MAX_CHALLENGES 16
#define BERTH_HTTPHDR_MAX_PARAMS 32

enum berth_auth_scheme {
	BERTH_AUTH_OTHER = 0,          /* any scheme berth does not speak (Negotiate, Digest, ...) */
	BERTH_AUTH_BASIC,
	BERTH_AUTH_BEARER,
};

struct berth_auth_param {
	char *name;                    /* lower-cased: parameter names are case-insensitive */
	char *value;                   /* quotes and backslash escapes removed */
};

/* One challenge: a scheme, then either a token68 or auth-params (or nothing). */
struct berth_auth_challenge {
	enum berth_auth_scheme kind;   /* from the scheme, compared case-insensitively */
	char *scheme;                  /* as sent ("Bearer") */
	char *token68;                 /* NULL unless the challenge carries one */
	struct berth_auth_param *params;
	size_t nparams;
	/* Shortcuts to the values of params (borrowed from params; NULL when absent). */
	const char *realm;
	const char *service;
	const char *scope;             /* may hold several scopes separated by spaces */
	const char *error;             /* "invalid_token", "insufficient_scope" (distribution) */
};

struct berth_auth_challenges {
	struct berth_auth_challenge *v;
	size_t n;
};

/*
 * Parse a WWW-Authenticate value (len bytes; no NUL needed) into out,
 * which the caller releases with berth_auth_challenges_release() (also
 * after a failure). Empty list elements (", ,") are skipped, so an empty
 * value gives no challenge. Returns 0 or BERTH_EPROTO saying what was
 * expected at which byte offset; the value itself is not quoted.
 */
int berth_httphdr_parse_auth(struct berth_auth_challenges *out, const char *value, size_t len,
			     struct berth_err *err);
/* Free what parsing allocated; out is left empty. NULL-safe. */
void berth_auth_challenges_release(struct berth_auth_challenges *c);
/* The first challenge of the given kind, or NULL. Borrowed. */
const struct berth_auth_challenge *berth_auth_challenges_find(const struct berth_auth_challenges *c,
							      enum berth_auth_scheme kind);
/* The value of parameter name (case-insensitive), or NULL. Borrowed. */
const char *berth_auth_challenge_param(const struct berth_auth_challenge *c, const char *name);

/*
 * Find the target of the first link whose rel holds "next" (compared
 * case-insensitively; rel may list several types separated by spaces;
 * only the first rel of a link counts, as RFC 8288 says) in a Link value
 * of len bytes. Links are split at their <...> brackets, never at bare
 * commas, because Harbor leaves the query unescaped
 * ("</api/v2.0/robots?page=2&q=Level=project,ProjectID=5>; rel=\"next\"").
 * On success *out is the URL as sent (caller frees), or NULL when no link
 * is rel="next". Returns 0 or BERTH_EPROTO (malformed value, or an empty
 * next URL, which would make a pager loop).
 */
int berth_httphdr_link_next(char **out, const char *value, size_t len, struct berth_err *err);

#endif
