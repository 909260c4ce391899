/*
 * fuzz_www_authenticate.c - berth_httphdr_parse_auth() on arbitrary bytes
 * (exact size, no NUL). Invariants: 0 or BERTH_EPROTO; the limits hold;
 * each challenge's kind matches its scheme and its shortcuts match its
 * parameters; writing the challenges back out (values quoted, '"' and
 * '\' escaped) and parsing that gives the same challenges.
 */
#include "compat.h"
#include "fuzz.h"
#include "buf.h"
#include "err.h"
#include "httphdr.h"

#include <strings.h>

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void check(const struct berth_auth_challenges *c)
{
	BERTH_FUZZ_CHECK(c->n <= BERTH_HTTPHDR_MAX_CHALLENGES, NULL);
	for (size_t i = 0; i < c->n; i++) {
		const struct berth_auth_challenge *ch = &c->v[i];

		BERTH_FUZZ_CHECK(ch->scheme && *ch->scheme, NULL);
		BERTH_FUZZ_CHECK((ch->kind == BERTH_AUTH_BEARER) == !strcasecmp(ch->scheme, "bearer"), ch->scheme);
		BERTH_FUZZ_CHECK((ch->kind == BERTH_AUTH_BASIC) == !strcasecmp(ch->scheme, "basic"), ch->scheme);
		BERTH_FUZZ_CHECK(!ch->token68 || !ch->nparams, ch->scheme);
		BERTH_FUZZ_CHECK(ch->nparams <= BERTH_HTTPHDR_MAX_PARAMS, NULL);
		BERTH_FUZZ_CHECK(ch->realm == berth_auth_challenge_param(ch, "realm"), "realm");
		BERTH_FUZZ_CHECK(ch->service == berth_auth_challenge_param(ch, "service"), "service");
		BERTH_FUZZ_CHECK(ch->scope == berth_auth_challenge_param(ch, "scope"), "scope");
		BERTH_FUZZ_CHECK(ch->error == berth_auth_challenge_param(ch, "error"), "error");
		for (size_t j = 0; j < ch->nparams; j++) {
			BERTH_FUZZ_CHECK(*ch->params[j].name, NULL);
			for (const char *p = ch->params[j].name; *p; p++)
				BERTH_FUZZ_CHECK(!(*p >= 'A' && *p <= 'Z'), "parameter name not lower-cased");
		}
	}
}

static void write_back(struct berth_buf *b, const struct berth_auth_challenges *c)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct berth_auth_challenge *ch = &c->v[i];

		berth_buf_addstr(b, i ? ", " : "");
		berth_buf_addstr(b, ch->scheme);
		if (ch->token68) {
			berth_buf_addch(b, ' ');
			berth_buf_addstr(b, ch->token68);
		}
		for (size_t j = 0; j < ch->nparams; j++) {
			berth_buf_addstr(b, j ? "," : " ");
			berth_buf_addstr(b, ch->params[j].name);
			berth_buf_addstr(b, "=\"");
			for (const char *p = ch->params[j].value; *p; p++) {
				if (*p == '"' || *p == '\\')
					berth_buf_addch(b, '\\');
				berth_buf_addch(b, *p);
			}
			berth_buf_addch(b, '"');
		}
	}
}

static void check_same(const struct berth_auth_challenges *a, const struct berth_auth_challenges *b)
{
	BERTH_FUZZ_CHECK(a->n == b->n, "challenge count");
	for (size_t i = 0; i < a->n; i++) {
		BERTH_FUZZ_CHECK(!strcmp(a->v[i].scheme, b->v[i].scheme), "scheme");
		BERTH_FUZZ_CHECK(a->v[i].kind == b->v[i].kind, "kind");
		BERTH_FUZZ_CHECK(str_eq(a->v[i].token68, b->v[i].token68), "token68");
		BERTH_FUZZ_CHECK(a->v[i].nparams == b->v[i].nparams, "parameter count");
		for (size_t j = 0; j < a->v[i].nparams; j++) {
			BERTH_FUZZ_CHECK(!strcmp(a->v[i].params[j].name, b->v[i].params[j].name), "name");
			BERTH_FUZZ_CHECK(!strcmp(a->v[i].params[j].value, b->v[i].params[j].value), "value");
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_auth_challenges c, again;
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_buf text = BERTH_BUF_INIT;
	char *copy = berth_fuzz_str(data, size);
	int ret;

	/* Exact size: ASan sees a read past the end. */
	ret = berth_httphdr_parse_auth(&c, (const char *)data, size, &err);
	if (ret) {
		BERTH_FUZZ_CHECK(ret == BERTH_EPROTO && err.code == ret && err.msg[0], err.msg);
	} else {
		check(&c);
		write_back(&text, &c);
		ret = berth_httphdr_parse_auth(&again, text.buf, text.len, &err);
		BERTH_FUZZ_CHECK(ret == 0, err.msg);
		check_same(&c, &again);
		berth_auth_challenges_release(&again);
	}
	berth_auth_challenges_release(&c);
	berth_buf_release(&text);
	free(copy);
	return 0;
}
