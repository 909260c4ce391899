/*
 * httphdr.c - WWW-Authenticate (RFC 7235) and Link (RFC 8288) parsers.
 *
 * DESIGN
 * Both walk a cursor over (value, len) and never look past len, so a
 * header need not be NUL-terminated and may hold any byte. The grammar
 * pieces they share come from RFC 7230: token, quoted-string (with
 * quoted-pair escapes and obs-text), OWS/BWS, and the #list rule that lets
 * empty elements through. In WWW-Authenticate a comma separates both the
 * parameters of one challenge and the challenges themselves; an element of
 * the form token BWS "=" BWS (token / quoted-string) is a parameter, any
 * other token starts the next challenge.
 */
#include "compat.h"
#include "httphdr.h"
#include "buf.h"
#include "err.h"
#include "xalloc.h"

#include <strings.h>

struct cursor {
	const char *s;
	size_t len;
	size_t pos;
	const char *what;              /* header name, for messages */
};

/* RFC 7230 tchar. */
static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c);
}

/* RFC 7235 token68 characters, before its trailing '='s. */
static bool is_token68_char(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("-._~+/", c);
}

/* qdtext, and what may follow a backslash: HTAB, SP, VCHAR, obs-text. */
static bool is_text(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool at_end(const struct cursor *c)
{
	return c->pos >= c->len;
}

static char peek(const struct cursor *c)
{
	return at_end(c) ? '\0' : c->s[c->pos];
}

/* Skip OWS; returns how many bytes were skipped. */
static size_t skip_ows(struct cursor *c)
{
	size_t start = c->pos;

	while (!at_end(c) && (c->s[c->pos] == ' ' || c->s[c->pos] == '\t'))
		c->pos++;
	return c->pos - start;
}

/* Skip OWS and empty list elements: the separators of a #list. */
static void skip_separators(struct cursor *c)
{
	while (!at_end(c) && (c->s[c->pos] == ' ' || c->s[c->pos] == '\t' || c->s[c->pos] == ','))
		c->pos++;
}

/* Length of the run of tchar at pos + off. */
static size_t token_len_at(const struct cursor *c, size_t at)
{
	size_t n = 0;

	while (at + n < c->len && is_tchar((unsigned char)c->s[at + n]))
		n++;
	return n;
}

BERTH_PRINTF(3, 4)
static int fail(const struct cursor *c, struct berth_err *err, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return berth_err_set(err, BERTH_EPROTO, "%s header: %s at offset %zu", c->what, why, c->pos);
}

/*
 * Read a quoted-string at pos (which is '"') into out, without the quotes
 * and with each quoted-pair replaced by its character.
 */
static int quoted_string(struct cursor *c, struct berth_buf *out, struct berth_err *err)
{
	c->pos++;
	for (;;) {
		unsigned char ch;

		if (at_end(c))
			return fail(c, err, "unterminated quoted string");
		ch = (unsigned char)c->s[c->pos];
		if (ch == '"') {
			c->pos++;
			return 0;
		}
		if (ch == '\\') {
			c->pos++;
			if (at_end(c))
				return fail(c, err, "unterminated quoted string");
			ch = (unsigned char)c->s[c->pos];
		}
		if (!is_text(ch))
			return fail(c, err, "control character in a quoted string");
		berth_buf_addch(out, (char)ch);
		c->pos++;
	}
}

/* A parameter value: token or quoted-string. */
static int param_value(struct cursor *c, struct berth_buf *out, struct berth_err *err)
{
	size_t n;

	if (peek(c) == '"')
		return quoted_string(c, out, err);
	n = token_len_at(c, c->pos);
	if (!n)
		return fail(c, err, "expected a token or a quoted string");
	berth_buf_add(out, c->s + c->pos, n);
	c->pos += n;
	return 0;
}

/* ---- WWW-Authenticate ----------------------------------------------------- */

/* Whether an auth-param (token BWS "=" BWS (token / quoted-string)) starts at pos. */
static bool at_auth_param(const struct cursor *c)
{
	size_t at = c->pos + token_len_at(c, c->pos);

	if (at == c->pos)
		return false;
	while (at < c->len && (c->s[at] == ' ' || c->s[at] == '\t'))
		at++;
	if (at >= c->len || c->s[at] != '=')
		return false;
	at++;
	while (at < c->len && (c->s[at] == ' ' || c->s[at] == '\t'))
		at++;
	return at < c->len && (c->s[at] == '"' || is_tchar((unsigned char)c->s[at]));
}

static int auth_param(struct cursor *c, struct berth_auth_challenge *ch, struct berth_err *err)
{
	struct berth_buf value = BERTH_BUF_INIT;
	size_t n = token_len_at(c, c->pos);
	char *name = xstrndup(c->s + c->pos, n);
	int ret;

	for (char *p = name; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	for (size_t i = 0; i < ch->nparams; i++) {
		if (!strcmp(ch->params[i].name, name)) {
			ret = fail(c, err, "parameter '%.64s' given twice in one challenge", name);
			goto out;
		}
	}
	if (ch->nparams == BERTH_HTTPHDR_MAX_PARAMS) {
		ret = fail(c, err, "more than %d parameters in one challenge", BERTH_HTTPHDR_MAX_PARAMS);
		goto out;
	}
	c->pos += n;
	skip_ows(c);
	c->pos++; /* '=', as at_auth_param() saw */
	skip_ows(c);
	ret = param_value(c, &value, err);
	if (ret)
		goto out;
	if (!ch->nparams)
		ch->params = xcalloc(BERTH_HTTPHDR_MAX_PARAMS, sizeof(*ch->params));
	ch->params[ch->nparams].name = name;
	ch->params[ch->nparams].value = berth_buf_detach(&value, NULL);
	ch->nparams++;
	name = NULL;
out:
	free(name);
	berth_buf_release(&value);
	return ret;
}

/* token68 ("Negotiate YII=="): its characters, then any '='s. */
static size_t token68_len(const struct cursor *c)
{
	size_t n = 0;

	while (c->pos + n < c->len && is_token68_char((unsigned char)c->s[c->pos + n]))
		n++;
	if (!n)
		return 0;
	while (c->pos + n < c->len && c->s[c->pos + n] == '=')
		n++;
	return n;
}

static int challenge(struct cursor *c, struct berth_auth_challenges *out, struct berth_err *err)
{
	struct berth_auth_challenge *ch;
	size_t n = token_len_at(c, c->pos);
	int ret;

	if (!n)
		return fail(c, err, "expected an auth scheme");
	if (out->n == BERTH_HTTPHDR_MAX_CHALLENGES)
		return fail(c, err, "more than %d challenges", BERTH_HTTPHDR_MAX_CHALLENGES);
	if (!out->v)
		out->v = xcalloc(BERTH_HTTPHDR_MAX_CHALLENGES, sizeof(*out->v));
	ch = &out->v[out->n++];
	ch->scheme = xstrndup(c->s + c->pos, n);
	if (!strcasecmp(ch->scheme, "Bearer"))
		ch->kind = BERTH_AUTH_BEARER;
	else if (!strcasecmp(ch->scheme, "Basic"))
		ch->kind = BERTH_AUTH_BASIC;
	c->pos += n;

	if (!skip_ows(c) && !at_end(c) && peek(c) != ',')
		return fail(c, err, "expected a space after the auth scheme '%.64s'", ch->scheme);
	if (at_end(c) || peek(c) == ',')
		return 0;

	if (!at_auth_param(c)) {
		n = token68_len(c);
		if (!n)
			return fail(c, err, "expected parameters or a token68 after '%.64s'", ch->scheme);
		ch->token68 = xstrndup(c->s + c->pos, n);
		c->pos += n;
		skip_ows(c);
		if (!at_end(c) && peek(c) != ',')
			return fail(c, err, "expected ',' after the token68 of '%.64s'", ch->scheme);
		return 0;
	}
	for (;;) {
		ret = auth_param(c, ch, err);
		if (ret)
			return ret;
		skip_ows(c);
		if (at_end(c))
			return 0;
		if (peek(c) != ',')
			return fail(c, err, "expected ',' after parameter '%.64s'",
				    ch->params[ch->nparams - 1].name);
		skip_separators(c);
		/* Another parameter of this challenge, or the next challenge. */
		if (!at_auth_param(c))
			return 0;
	}
}

int berth_httphdr_parse_auth(struct berth_auth_challenges *out, const char *value, size_t len,
			     struct berth_err *err)
{
	struct cursor c = { .s = value, .len = len, .pos = 0, .what = "WWW-Authenticate" };
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (len > BERTH_HTTPHDR_MAX_LEN)
		return berth_err_set(err, BERTH_EPROTO, "WWW-Authenticate header longer than %d bytes",
				     BERTH_HTTPHDR_MAX_LEN);
	for (;;) {
		skip_separators(&c);
		if (at_end(&c))
			break;
		ret = challenge(&c, out, err);
		if (ret)
			goto out;
	}
	for (size_t i = 0; i < out->n; i++) {
		struct berth_auth_challenge *ch = &out->v[i];

		ch->realm = berth_auth_challenge_param(ch, "realm");
		ch->service = berth_auth_challenge_param(ch, "service");
		ch->scope = berth_auth_challenge_param(ch, "scope");
		ch->error = berth_auth_challenge_param(ch, "error");
	}
out:
	return ret;
}

void berth_auth_challenges_release(struct berth_auth_challenges *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		struct berth_auth_challenge *ch = &c->v[i];

		free(ch->scheme);
		free(ch->token68);
		for (size_t j = 0; j < ch->nparams; j++) {
			free(ch->params[j].name);
			free(ch->params[j].value);
		}
		free(ch->params);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

const struct berth_auth_challenge *berth_auth_challenges_find(const struct berth_auth_challenges *c,
							      enum berth_auth_scheme kind)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].kind == kind)
			return &c->v[i];
	return NULL;
}

const char *berth_auth_challenge_param(const struct berth_auth_challenge *c, const char *name)
{
	for (size_t i = 0; i < c->nparams; i++)
		if (!strcasecmp(c->params[i].name, name))
			return c->params[i].value;
	return NULL;
}

/* ---- Link ------------------------------------------------------------------- */

/* Whether a rel value (relation types separated by spaces) holds "next". */
static bool rel_has_next(const char *rel)
{
	const char *p = rel;

	while (*p) {
		size_t n;

		while (*p == ' ' || *p == '\t')
			p++;
		n = strcspn(p, " \t");
		if (n == 4 && !strncasecmp(p, "next", 4))
			return true;
		p += n;
	}
	return false;
}

/*
 * One link-value at pos: "<" URI-Reference ">" *( OWS ";" OWS link-param ).
 * *is_next tells whether its first rel holds "next"; *uri and *urilen locate the
 * target in the input.
 */
static int link_value(struct cursor *c, bool *is_next, size_t *uri, size_t *urilen,
		      struct berth_err *err)
{
	struct berth_buf value = BERTH_BUF_INIT;
	const char *gt;
	bool seen_rel = false;
	int ret = 0;

	*is_next = false;
	if (peek(c) != '<')
		return fail(c, err, "expected '<' to open a link");
	gt = memchr(c->s + c->pos + 1, '>', c->len - c->pos - 1);
	if (!gt)
		return fail(c, err, "'<' without '>'");
	*uri = c->pos + 1;
	*urilen = (size_t)(gt - (c->s + *uri));
	for (size_t i = 0; i < *urilen; i++) {
		unsigned char ch = (unsigned char)c->s[*uri + i];

		if (ch < 0x20 || ch == 0x7f || ch == '<') {
			c->pos = *uri + i;
			return fail(c, err, "character 0x%02x in a link target", ch);
		}
	}
	c->pos = (size_t)(gt - c->s) + 1;
	for (;;) {
		size_t n;
		bool rel;

		skip_ows(c);
		if (peek(c) != ';')
			break;
		c->pos++;
		skip_ows(c);
		n = token_len_at(c, c->pos);
		if (!n) {
			ret = fail(c, err, "expected a link parameter name after ';'");
			goto out;
		}
		rel = n == 3 && !strncasecmp(c->s + c->pos, "rel", 3);
		c->pos += n;
		skip_ows(c);
		if (peek(c) != '=')
			continue; /* a parameter without a value */
		c->pos++;
		skip_ows(c);
		berth_buf_reset(&value);
		ret = param_value(c, &value, err);
		if (ret)
			goto out;
		/* Occurrences of rel after the first are ignored (RFC 8288 section 3.3). */
		if (rel && !seen_rel) {
			seen_rel = true;
			*is_next = rel_has_next(value.buf);
		}
	}
	if (!at_end(c) && peek(c) != ',')
		ret = fail(c, err, "expected ',' or ';' after a link");
out:
	berth_buf_release(&value);
	return ret;
}

int berth_httphdr_link_next(char **out, const char *value, size_t len, struct berth_err *err)
{
	struct cursor c = { .s = value, .len = len, .pos = 0, .what = "Link" };
	size_t uri = 0, urilen = 0;
	bool found = false;

	*out = NULL;
	if (len > BERTH_HTTPHDR_MAX_LEN)
		return berth_err_set(err, BERTH_EPROTO, "Link header longer than %d bytes",
				     BERTH_HTTPHDR_MAX_LEN);
	for (;;) {
		size_t u, n;
		bool is_next;
		int ret;

		skip_separators(&c);
		if (at_end(&c))
			break;
		ret = link_value(&c, &is_next, &u, &n, err);
		if (ret)
			return ret;
		if (is_next && !found) {
			found = true;
			uri = u;
			urilen = n;
		}
	}
	if (!found)
		return 0;
	if (!urilen)
		return berth_err_set(err, BERTH_EPROTO, "Link header: the rel=\"next\" link has an empty URL");
	*out = xstrndup(value + uri, urilen);
	return 0;
}
