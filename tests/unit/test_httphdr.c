/* test_httphdr.c - WWW-Authenticate and Link parsers: Harbor's and distribution's formats, RFC cases, errors. */
#include "compat.h"
#include "httphdr.h"
#include "err.h"

#include <setjmp.h>
#include <cmocka.h>

static int parse_auth(struct berth_auth_challenges *c, const char *s, struct berth_err *err)
{
	return berth_httphdr_parse_auth(c, s, strlen(s), err);
}

/* Parse a header that must be refused, and check the message names the offset. */
static void assert_auth_refused(const char *s, const char *why)
{
	struct berth_auth_challenges c;
	struct berth_err err = BERTH_ERR_INIT;

	assert_int_equal(parse_auth(&c, s, &err), BERTH_EPROTO);
	assert_int_equal(err.code, BERTH_EPROTO);
	if (!strstr(err.msg, why) || !strstr(err.msg, "WWW-Authenticate header"))
		fail_msg("'%s': message '%s' lacks '%s'", s, err.msg, why);
	berth_auth_challenges_release(&c);
	assert_int_equal(c.n, 0);
}

/* Harbor 2.x /v2/ without credentials (harbor-api.md 6.3). */
static void test_auth_harbor_bearer(void **state)
{
	static const char h[] = "Bearer realm=\"https://harbor.example.com/service/token\","
				"service=\"harbor-registry\",scope=\"repository:library/app:pull\"";
	struct berth_auth_challenges c;
	struct berth_err err = BERTH_ERR_INIT;
	const struct berth_auth_challenge *b;

	(void)state;
	assert_int_equal(parse_auth(&c, h, &err), 0);
	assert_int_equal(c.n, 1);
	b = berth_auth_challenges_find(&c, BERTH_AUTH_BEARER);
	assert_non_null(b);
	assert_string_equal(b->scheme, "Bearer");
	assert_null(b->token68);
	assert_int_equal(b->nparams, 3);
	assert_string_equal(b->realm, "https://harbor.example.com/service/token");
	assert_string_equal(b->service, "harbor-registry");
	assert_string_equal(b->scope, "repository:library/app:pull");
	assert_null(b->error);
	assert_null(berth_auth_challenges_find(&c, BERTH_AUTH_BASIC));
	berth_auth_challenges_release(&c);
}

/* A blob mount: two scopes in one parameter, separated by a space. */
static void test_auth_harbor_mount_scope(void **state)
{
	static const char h[] = "Bearer realm=\"https://h.example/service/token\",service=\"harbor-registry\","
				"scope=\"repository:p/app:pull,push repository:q/src:pull\"";
	struct berth_auth_challenges c;

	(void)state;
	assert_int_equal(parse_auth(&c, h, NULL), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.v[0].scope, "repository:p/app:pull,push repository:q/src:pull");
	berth_auth_challenges_release(&c);
}

/* Harbor with credentials that are not enough, or /v2/_catalog. */
static void test_auth_harbor_basic(void **state)
{
	struct berth_auth_challenges c;
	const struct berth_auth_challenge *b;

	(void)state;
	assert_int_equal(parse_auth(&c, "Basic realm=\"harbor\"", NULL), 0);
	assert_int_equal(c.n, 1);
	b = berth_auth_challenges_find(&c, BERTH_AUTH_BASIC);
	assert_non_null(b);
	assert_string_equal(b->realm, "harbor");
	assert_null(b->service);
	assert_null(berth_auth_challenges_find(&c, BERTH_AUTH_BEARER));
	berth_auth_challenges_release(&c);
}

/* distribution 2.8's challenge, with the error parameter it adds for a bad or narrow token. */
static void test_auth_distribution(void **state)
{
	static const char *const h[] = {
		"Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
		"scope=\"repository:samalba/my-app:pull,push\",error=\"invalid_token\"",
		"Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
		"scope=\"repository:samalba/my-app:pull,push\",error=\"insufficient_scope\"",
	};
	static const char *const want[] = { "invalid_token", "insufficient_scope" };

	(void)state;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(h); i++) {
		struct berth_auth_challenges c;

		assert_int_equal(parse_auth(&c, h[i], NULL), 0);
		assert_int_equal(c.n, 1);
		assert_int_equal(c.v[0].kind, BERTH_AUTH_BEARER);
		assert_string_equal(c.v[0].realm, "https://auth.docker.io/token");
		assert_string_equal(c.v[0].service, "registry.docker.io");
		assert_string_equal(c.v[0].scope, "repository:samalba/my-app:pull,push");
		assert_string_equal(c.v[0].error, want[i]);
		berth_auth_challenges_release(&c);
	}
}

/* RFC 7235 section 4.1's example: two challenges, a token value, an escaped quote. */
static void test_auth_rfc7235_example(void **state)
{
	static const char h[] = "Newauth realm=\"apps\", type=1,\n"
				"                       title=\"Login to \\\"apps\\\"\", Basic realm=\"simple\"";
	struct berth_auth_challenges c;

	(void)state;
	/* A header line is unfolded before it reaches us: no newline in it. */
	assert_int_equal(parse_auth(&c, h, NULL), BERTH_EPROTO);
	berth_auth_challenges_release(&c);

	assert_int_equal(parse_auth(&c, "Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", "
				    "Basic realm=\"simple\"", NULL), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.v[0].scheme, "Newauth");
	assert_int_equal(c.v[0].kind, BERTH_AUTH_OTHER);
	assert_int_equal(c.v[0].nparams, 3);
	assert_string_equal(c.v[0].realm, "apps");
	assert_string_equal(berth_auth_challenge_param(&c.v[0], "type"), "1");
	assert_string_equal(berth_auth_challenge_param(&c.v[0], "title"), "Login to \"apps\"");
	assert_int_equal(c.v[1].kind, BERTH_AUTH_BASIC);
	assert_string_equal(c.v[1].realm, "simple");
	assert_ptr_equal(berth_auth_challenges_find(&c, BERTH_AUTH_BASIC), &c.v[1]);
	berth_auth_challenges_release(&c);
}

/* Scheme and parameter names are case-insensitive; BWS around '=', empty list elements. */
static void test_auth_lenient_forms(void **state)
{
	struct berth_auth_challenges c;

	(void)state;
	assert_int_equal(parse_auth(&c, " , bearer REALM = \"r\" ,, Service=svc , ,BASIC Realm=x,", NULL), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.v[0].kind, BERTH_AUTH_BEARER);
	assert_string_equal(c.v[0].scheme, "bearer");
	assert_string_equal(c.v[0].params[0].name, "realm");
	assert_string_equal(c.v[0].realm, "r");
	assert_string_equal(c.v[0].service, "svc");
	assert_string_equal(berth_auth_challenge_param(&c.v[0], "SERVICE"), "svc");
	assert_int_equal(c.v[1].kind, BERTH_AUTH_BASIC);
	assert_string_equal(c.v[1].realm, "x");
	berth_auth_challenges_release(&c);

	/* A scheme alone, and an empty header. */
	assert_int_equal(parse_auth(&c, "Basic", NULL), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.v[0].nparams, 0);
	assert_null(c.v[0].realm);
	berth_auth_challenges_release(&c);
	assert_int_equal(parse_auth(&c, "", NULL), 0);
	assert_int_equal(c.n, 0);
	berth_auth_challenges_release(&c);

	/* An empty quoted value, and obs-text kept as is. */
	assert_int_equal(parse_auth(&c, "Bearer realm=\"\",service=\"caf\xc3\xa9\"", NULL), 0);
	assert_string_equal(c.v[0].realm, "");
	assert_string_equal(c.v[0].service, "caf\xc3\xa9");
	berth_auth_challenges_release(&c);
}

/* token68 credentials (Negotiate) next to a parameter challenge. */
static void test_auth_token68(void **state)
{
	struct berth_auth_challenges c;

	(void)state;
	assert_int_equal(parse_auth(&c, "Negotiate YII/+a.b_c~d==, Basic realm=\"x\"", NULL), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.v[0].token68, "YII/+a.b_c~d==");
	assert_int_equal(c.v[0].nparams, 0);
	assert_string_equal(c.v[1].realm, "x");
	berth_auth_challenges_release(&c);

	/* "x=" at the end is a token68, not a parameter without a value. */
	assert_int_equal(parse_auth(&c, "Foo x=", NULL), 0);
	assert_string_equal(c.v[0].token68, "x=");
	berth_auth_challenges_release(&c);
}

/* The value need not be NUL-terminated: nothing past len is read. */
static void test_auth_not_terminated(void **state)
{
	static const char h[] = "Basic realm=\"x\"GARBAGE";
	struct berth_auth_challenges c;
	char *copy = malloc(15);

	(void)state;
	memcpy(copy, h, 15);
	assert_int_equal(berth_httphdr_parse_auth(&c, copy, 15, NULL), 0);
	assert_string_equal(c.v[0].realm, "x");
	berth_auth_challenges_release(&c);
	/* Cut inside the quoted string. */
	assert_int_equal(berth_httphdr_parse_auth(&c, copy, 14, NULL), BERTH_EPROTO);
	berth_auth_challenges_release(&c);
	free(copy);
}

static void test_auth_malformed(void **state)
{
	(void)state;
	assert_auth_refused("Bearer realm=\"https://h/service/token", "unterminated quoted string at offset 37");
	assert_auth_refused("Bearer realm=\"x\\", "unterminated quoted string");
	assert_auth_refused("Bearer realm=\"a\",Realm=\"b\"", "parameter 'realm' given twice");
	assert_auth_refused("Bearer realm=\"a\x01\"", "control character in a quoted string at offset 15");
	assert_auth_refused("Bearer realm=\"a\\\x7f\"", "control character");
	assert_auth_refused("=\"x\"", "expected an auth scheme at offset 0");
	assert_auth_refused("Basic realm=\"x\" junk", "expected ',' after parameter 'realm' at offset 16");
	assert_auth_refused("Basic\"x\"", "expected a space after the auth scheme 'Basic'");
	assert_auth_refused("Basic @", "expected parameters or a token68 after 'Basic'");
	assert_auth_refused("Negotiate abc== def", "expected ',' after the token68 of 'Negotiate'");
	assert_auth_refused("Basic realm=x, \"y\"", "expected an auth scheme at offset 15");
	assert_auth_refused("Basic realm=\"x\"\r\n", "expected ',' after parameter 'realm'");
}

static void test_auth_limits(void **state)
{
	struct berth_auth_challenges c;
	struct berth_err err = BERTH_ERR_INIT;
	char *big = malloc(BERTH_HTTPHDR_MAX_LEN + 2);
	char buf[2048];
	size_t n = 0;

	(void)state;
	memset(big, 'a', BERTH_HTTPHDR_MAX_LEN + 1);
	big[BERTH_HTTPHDR_MAX_LEN + 1] = '\0';
	assert_int_equal(berth_httphdr_parse_auth(&c, big, BERTH_HTTPHDR_MAX_LEN + 1, &err), BERTH_EPROTO);
	assert_non_null(strstr(err.msg, "longer than 16384 bytes"));
	berth_auth_challenges_release(&c);
	/* Exactly the limit is allowed: one long scheme. */
	assert_int_equal(berth_httphdr_parse_auth(&c, big, BERTH_HTTPHDR_MAX_LEN, NULL), 0);
	assert_int_equal(c.n, 1);
	berth_auth_challenges_release(&c);
	free(big);

	for (int i = 0; i < BERTH_HTTPHDR_MAX_CHALLENGES; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "S%d, ", i);
	assert_int_equal(berth_httphdr_parse_auth(&c, buf, n, NULL), 0);
	assert_int_equal(c.n, BERTH_HTTPHDR_MAX_CHALLENGES);
	berth_auth_challenges_release(&c);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "One more");
	assert_int_equal(berth_httphdr_parse_auth(&c, buf, n, &err), BERTH_EPROTO);
	assert_non_null(strstr(err.msg, "more than 16 challenges"));
	berth_auth_challenges_release(&c);

	n = (size_t)snprintf(buf, sizeof(buf), "Bearer ");
	for (int i = 0; i < BERTH_HTTPHDR_MAX_PARAMS; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "p%d=v,", i);
	assert_int_equal(berth_httphdr_parse_auth(&c, buf, n, NULL), 0);
	assert_int_equal(c.v[0].nparams, BERTH_HTTPHDR_MAX_PARAMS);
	berth_auth_challenges_release(&c);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "extra=1");
	assert_int_equal(berth_httphdr_parse_auth(&c, buf, n, &err), BERTH_EPROTO);
	assert_non_null(strstr(err.msg, "more than 32 parameters"));
	berth_auth_challenges_release(&c);
	berth_auth_challenges_release(NULL);
}

/* ---- Link ------------------------------------------------------------------- */

static int link_next(char **out, const char *s, struct berth_err *err)
{
	return berth_httphdr_link_next(out, s, strlen(s), err);
}

static void assert_next(const char *header, const char *want)
{
	struct berth_err err = BERTH_ERR_INIT;
	char *url = (char *)"unset";

	if (link_next(&url, header, &err))
		fail_msg("'%s': %s", header, err.msg);
	if (want) {
		assert_non_null(url);
		assert_string_equal(url, want);
	} else {
		assert_null(url);
	}
	free(url);
}

static void assert_link_refused(const char *header, const char *why)
{
	struct berth_err err = BERTH_ERR_INIT;
	char *url = (char *)"unset";

	assert_int_equal(link_next(&url, header, &err), BERTH_EPROTO);
	assert_null(url);
	if (!strstr(err.msg, why) || !strstr(err.msg, "Link header"))
		fail_msg("'%s': message '%s' lacks '%s'", header, err.msg, why);
}

/* Harbor's format (harbor-api.md 3.4): " , " between links, the query left raw, commas and all. */
static void test_link_harbor(void **state)
{
	(void)state;
	assert_next("</api/v2.0/robots?page=2&page_size=10&q=Level=project,ProjectID=5>; rel=\"next\"",
		    "/api/v2.0/robots?page=2&page_size=10&q=Level=project,ProjectID=5");
	assert_next("</api/v2.0/robots?page=1&page_size=10&q=Level=project,ProjectID=5>; rel=\"prev\" , "
		    "</api/v2.0/robots?page=3&page_size=10&q=Level=project,ProjectID=5>; rel=\"next\"",
		    "/api/v2.0/robots?page=3&page_size=10&q=Level=project,ProjectID=5");
	/* The last page has only prev. */
	assert_next("</api/v2.0/robots?page=2&page_size=100>; rel=\"prev\"", NULL);
	/* Harbor's own base_test.go expectation. */
	assert_next("<http://localhost/api/library%252Fhello-world/artifacts?page=1&page_size=1&q=a=~b>; rel=\"next\"",
		    "http://localhost/api/library%252Fhello-world/artifacts?page=1&page_size=1&q=a=~b");
	/* Harbor omits the header when there are no links; an empty value has none. */
	assert_next("", NULL);
	assert_next(" , ", NULL);
}

/* RFC 8288 forms: token rel, several relation types, case, other parameters, ignored repeats. */
static void test_link_rfc8288(void **state)
{
	(void)state;
	assert_next("<https://a.example/p2>;rel=next", "https://a.example/p2");
	assert_next("<https://a.example/p2> ; REL = \"Next\"", "https://a.example/p2");
	assert_next("<https://a.example/p2>; rel=\"prev next\"", "https://a.example/p2");
	assert_next("<https://a.example/x>; rel=\"nextish\", <https://a.example/y>; rel=\"next\"",
		    "https://a.example/y");
	/* Quoted commas and semicolons in other parameters do not split the link. */
	assert_next("<https://a.example/p2>; title=\"a, b; <c>\"; rel=\"next\"; anchor=\"#x\"",
		    "https://a.example/p2");
	/* Only the first rel counts. */
	assert_next("<https://a.example/p2>; rel=\"prev\"; rel=\"next\"", NULL);
	/* A parameter without a value, an ext-value, and the first next wins. */
	assert_next("<https://a.example/p2>; crossorigin; title*=UTF-8'de'n%c3%a4chstes; rel=next, "
		    "<https://a.example/p3>; rel=next", "https://a.example/p2");
}

static void test_link_not_terminated(void **state)
{
	static const char h[] = "</p2>; rel=next, <";
	char *copy = malloc(15), *url = NULL;

	(void)state;
	memcpy(copy, h, 15);
	assert_int_equal(berth_httphdr_link_next(&url, copy, 15, NULL), 0);
	assert_string_equal(url, "/p2");
	free(url);
	/* "rel=ne": not next. */
	assert_int_equal(berth_httphdr_link_next(&url, copy, 13, NULL), 0);
	assert_null(url);
	/* "</p2": no closing bracket within len. */
	assert_int_equal(berth_httphdr_link_next(&url, copy, 4, NULL), BERTH_EPROTO);
	assert_null(url);
	free(copy);
}

static void test_link_malformed(void **state)
{
	char *big = malloc(BERTH_HTTPHDR_MAX_LEN + 1), *url;
	struct berth_err err = BERTH_ERR_INIT;

	(void)state;
	assert_link_refused("/p2; rel=next", "expected '<' to open a link at offset 0");
	assert_link_refused("</p2; rel=next", "'<' without '>' at offset 0");
	assert_link_refused("</p2> rel=next", "expected ',' or ';' after a link at offset 6");
	assert_link_refused("</p2>; =next", "expected a link parameter name after ';'");
	assert_link_refused("</p2>; rel=\"next", "unterminated quoted string");
	assert_link_refused("</p2>; rel=", "expected a token or a quoted string");
	assert_link_refused("</p\n2>; rel=next", "character 0x0a in a link target at offset 3");
	assert_link_refused("<>; rel=next", "the rel=\"next\" link has an empty URL");
	/* A malformed link after the next one still fails the header. */
	assert_link_refused("</p2>; rel=next, junk", "expected '<' to open a link at offset 17");

	memset(big, ' ', BERTH_HTTPHDR_MAX_LEN + 1);
	url = (char *)"unset";
	assert_int_equal(berth_httphdr_link_next(&url, big, BERTH_HTTPHDR_MAX_LEN + 1, &err), BERTH_EPROTO);
	assert_null(url);
	assert_non_null(strstr(err.msg, "longer than 16384 bytes"));
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auth_harbor_bearer),
		cmocka_unit_test(test_auth_harbor_mount_scope),
		cmocka_unit_test(test_auth_harbor_basic),
		cmocka_unit_test(test_auth_distribution),
		cmocka_unit_test(test_auth_rfc7235_example),
		cmocka_unit_test(test_auth_lenient_forms),
		cmocka_unit_test(test_auth_token68),
		cmocka_unit_test(test_auth_not_terminated),
		cmocka_unit_test(test_auth_malformed),
		cmocka_unit_test(test_auth_limits),
		cmocka_unit_test(test_link_harbor),
		cmocka_unit_test(test_link_rfc8288),
		cmocka_unit_test(test_link_not_terminated),
		cmocka_unit_test(test_link_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
