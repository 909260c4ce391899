/*
 * test_http.c - the HTTP layer against local servers (the simulator core
 * over TLS with a throwaway CA): bodies, error envelopes, status mapping,
 * retries (Retry-After, 5xx, dropped and truncated responses, refused
 * connections, never a re-sent POST), the response cap, TLS checks, plain
 * http rules, credentials and headers, keep-alive, threads, no cookies, and
 * redaction of traces.
 */
#include "compat.h"
#include "http.h"
#include "buf.h"
#include "codec.h"
#include "err.h"
#include "json.h"
#include "log.h"
#include "secret.h"
#include "sim.h"
#include "util.h"
#include "xalloc.h"

#include <ftw.h>
#include <microhttpd.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

/* ---- the servers ------------------------------------------------------------ */

/* The canaries of the trace test: none may ever reach stderr. */
#define CANARY_BASIC "Canary-Basic-7Q2x"
#define CANARY_TOKEN "hvs.Canary-Token-9Zk"
#define CANARY_CUSTOM "Canary-Custom-1Lw"
#define CANARY_OVERRIDE "Canary-Override-2Hy"
#define CANARY_BODY "Canary-Body-3Mn"
#define CANARY_NESTED "Canary-Nested-4Pq"
#define CANARY_RESP "Canary-Resp-5Rs"

static char tmpdir[64];
static struct sim_world world;  /* the CA berth trusts; certificate for 127.0.0.1 only */
static struct sim_world other;  /* another CA; certificate for 127.0.0.1, localhost, ::1 */
static struct sim_world plain;  /* world's files, served without TLS */
static struct sim_api api = { .name = "test" };
static struct sim_api other_api = { .name = "other" };
static struct sim_api plain_api = { .name = "plain" };
static char *url, *other_url, *plain_url;

static enum MHD_Result count_values(void *cls, enum MHD_ValueKind kind, const char *key,
				      const char *value)
{
	struct {
		const char *name;
		int n;
	} *c = cls;

	(void)kind;
	(void)value;
	if (!strcasecmp(key, c->name))
		c->n++;
	return MHD_YES;
}

/* How many times the request carried header 'name'. */
static int header_count(const struct sim_req *req, const char *name)
{
	struct {
		const char *name;
		int n;
	} c = { name, 0 };

	MHD_get_connection_values(req->conn, MHD_HEADER_KIND, count_values, &c);
	return c.n;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static void handle(struct sim_api *a, struct sim_req *req, struct sim_resp *resp)
{
	(void)a;
	if (!strcmp(req->path, "/ok")) {
		sim_resp_json(resp, 200, json_pack("{s:b}", "ok", 1));
	} else if (!strcmp(req->path, "/headers")) {
		sim_resp_json(resp, 200, json_pack("[i,i]", 1, 2));
		sim_resp_header(resp, "X-Total-Count", "42");
		sim_resp_header(resp, "Location", "/api/v2.0/robots/7");
		sim_resp_header(resp, "Link", "</api/v2.0/robots?page=2&page_size=10>; rel=\"next\"");
		sim_resp_header(resp, "WWW-Authenticate",
				"Bearer realm=\"https://127.0.0.1/service/token\",service=\"harbor-registry\"");
	} else if (!strcmp(req->path, "/echo")) {
		/* What the server saw; compared in the test, never printed. */
		char *user = NULL, *pass = NULL;
		json_t *o;

		sim_basic_auth(req, &user, &pass);
		o = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:i, s:i, s:o, s:s%}",
			      "method", req->method, "user", str_or_null(user), "pass", str_or_null(pass),
			      "bearer", str_or_null(sim_bearer(req)),
			      "vault_token", str_or_null(sim_header(req, "X-Vault-Token")),
			      "namespace", str_or_null(sim_header(req, "X-Vault-Namespace")),
			      "cookie", str_or_null(sim_header(req, "Cookie")),
			      "content_type", str_or_null(sim_header(req, "Content-Type")),
			      "n_namespace", header_count(req, "X-Vault-Namespace"),
			      "n_auth", header_count(req, "Authorization"),
			      "extra", str_or_null(sim_header(req, "X-Extra")),
			      "body", req->body.buf, req->body.len);
		sim_resp_json(resp, 200, o);
		free(user);
		free(pass);
	} else if (!strcmp(req->path, "/big")) {
		long long n = 0;

		berth_parse_long(sim_param(req, "n"), 0, 1 << 24, &n);
		resp->status = 200;
		berth_buf_reset(&resp->body);
		for (long long i = 0; i < n; i++)
			berth_buf_addch(&resp->body, (char)('a' + i % 26));
		resp->content_type = xstrdup("text/plain");
	} else if (!strcmp(req->path, "/cookie")) {
		sim_resp_json(resp, 200, json_object());
		sim_resp_header(resp, "Set-Cookie", "sid=Canary-Cookie-6Tu; Path=/; HttpOnly");
	} else if (!strcmp(req->path, "/robots")) {
		sim_resp_json(resp, 201, json_pack("{s:i, s:s, s:s}", "id", 1, "name", "robot$ci",
						   "secret", CANARY_RESP));
	} else {
		sim_resp_text(resp, 404, "text/plain; charset=utf-8", "404 page not found\n");
	}
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static int group_setup(void **state)
{
	char dir[128];

	(void)state;
	/* As berth starts: jansson's wiping allocator first, then libcurl. */
	berth_json_init();
	berth_http_global_init();
	berth_log_configure("warn");
	signal(SIGPIPE, SIG_IGN);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/berth-test-http-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(dir, sizeof(dir), "%s/world", tmpdir);
	world.server_san = "IP:127.0.0.1"; /* not localhost: see test_http_tls_wrong_host */
	if (sim_world_init(&world, dir))
		return -1;
	snprintf(dir, sizeof(dir), "%s/other", tmpdir);
	if (sim_world_init(&other, dir))
		return -1;
	plain = world;
	plain.plain_http = true;
	plain.napis = 0;
	api.handler = other_api.handler = plain_api.handler = handle;
	if (sim_api_start(&world, &api) || sim_api_start(&other, &other_api) ||
	    sim_api_start(&plain, &plain_api))
		return -1;
	url = sim_api_url(&api);
	other_url = sim_api_url(&other_api);
	plain_url = sim_api_url(&plain_api);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	sim_api_stop(&api);
	sim_api_stop(&other_api);
	sim_api_stop(&plain_api);
	free(url);
	free(other_url);
	free(plain_url);
	sim_world_release(&world);
	sim_world_release(&other);
	nftw(tmpdir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* Before each test: an empty request log and no pending faults. */
static int reset_api(void **state)
{
	(void)state;
	pthread_mutex_lock(&api.lock);
	json_array_clear(api.log);
	json_array_clear(api.faults);
	pthread_mutex_unlock(&api.lock);
	return 0;
}

/* Queue a fault, as POST /_sim/faults does. */
static void add_fault(const char *fmt, ...)
{
	json_error_t jerr;
	json_t *f;
	va_list ap;

	va_start(ap, fmt);
	f = json_vpack_ex(&jerr, 0, fmt, ap);
	va_end(ap);
	if (!f)
		fail_msg("bad fault: %s", jerr.text);
	if (!json_object_get(f, "count"))
		json_object_set_new(f, "count", json_integer(1));
	pthread_mutex_lock(&api.lock);
	json_array_append_new(api.faults, f);
	pthread_mutex_unlock(&api.lock);
}

/* Requests the server logged for method and path (either may be NULL: any). */
static int logged(const char *method, const char *path)
{
	size_t i;
	json_t *e;
	int n = 0;

	pthread_mutex_lock(&api.lock);
	json_array_foreach(api.log, i, e) {
		if (method && strcmp(berth_json_str(e, "method"), method))
			continue;
		if (path && strcmp(berth_json_str(e, "path"), path))
			continue;
		n++;
	}
	pthread_mutex_unlock(&api.lock);
	return n;
}

/* The connection number of the i-th logged request. */
static int64_t logged_conn(size_t i)
{
	int64_t c;

	pthread_mutex_lock(&api.lock);
	c = berth_json_int(json_array_get(api.log, i), "conn", -1);
	pthread_mutex_unlock(&api.lock);
	return c;
}

static uint64_t connections(void)
{
	uint64_t n;

	pthread_mutex_lock(&api.lock);
	n = api.connections;
	pthread_mutex_unlock(&api.lock);
	return n;
}

/* Options for the test server: short backoff, so that the suite stays fast. */
static struct berth_http_opts opts_for(const char *base)
{
	struct berth_http_opts o = {
		.service = "harbor",
		.base_url = base,
		.ca_file = world.ca_file,
		.max_retries = 3,
		.retry_base_ms = 1,
		.retry_max_ms = 2000,
		.connect_timeout_ms = 5000,
		.timeout_ms = 10000,
	};

	return o;
}

static struct berth_http *new_http(const struct berth_http_opts *o)
{
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_http *h = NULL;

	if (berth_http_new(&h, o, &err))
		fail_msg("berth_http_new: %s", err.msg);
	return h;
}

/* GET path; returns berth_http_do's code. */
static int get(struct berth_http *h, const char *path, struct berth_http_resp *resp,
	       struct berth_err *err)
{
	struct berth_http_req req = { .method = "GET", .path = path, .op = "get", .idempotent = -1 };

	return berth_http_do(h, &req, resp, err);
}

/* The server's /echo view of one request. */
static json_t *echo(struct berth_http *h, const struct berth_http_req *base)
{
	struct berth_http_req req = *base;
	struct berth_http_resp resp;
	struct berth_err err = BERTH_ERR_INIT;
	json_t *j = NULL;

	req.path = "/echo";
	if (!req.method)
		req.method = "GET";
	berth_http_resp_init(&resp);
	if (berth_http_do(h, &req, &resp, &err))
		fail_msg("echo: %s", err.msg);
	assert_int_equal(resp.status, 200);
	assert_int_equal(berth_json_parse(&j, resp.body.buf, resp.body.len, "echo", &err), 0);
	berth_http_resp_release(&resp);
	return j;
}

/* Secret-bearing comparisons never print their operands. */
#define assert_secret_str(actual, want) assert_true((actual) && !strcmp((actual), (want)))

/* ---- bodies, envelopes and status codes -------------------------------------- */

static void test_http_get_ok(void **state)
{
	struct berth_http_opts o = opts_for(url);
	struct berth_http *h;
	struct berth_http_resp resp;
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_http_stats st;

	(void)state;
	o.base_url = xasprintf("%s///", url); /* trailing slashes are dropped */
	h = new_http(&o);
	free((char *)o.base_url);
	assert_string_equal(berth_http_service(h), "harbor");
	assert_string_equal(berth_http_base_url(h), url);
	berth_http_resp_init(&resp);
	assert_int_equal(get(h, "/ok", &resp, &err), 0);
	assert_int_equal(resp.status, 200);
	assert_true(berth_buf_eq(&resp.body, "{\"ok\":true}"));
	assert_string_equal(resp.content_type, "application/json; charset=utf-8");
	assert_int_equal(resp.attempts, 1);
	assert_int_equal(resp.retry_after_s, -1);
	assert_int_equal(resp.total_count, -1);
	assert_null(resp.location);
	assert_int_equal(err.code, BERTH_OK);
	assert_int_equal(logged("GET", "/ok"), 1);
	/* A response with any status is a response: 0 from berth_http_do. */
	assert_int_equal(get(h, "/nothing-here", &resp, &err), 0);
	assert_int_equal(resp.status, 404);
	assert_true(berth_buf_eq(&resp.body, "404 page not found\n"));
	berth_http_get_stats(h, &st);
	assert_int_equal(st.by_class[2], 1);
	assert_int_equal(st.by_class[4], 1);
	assert_int_equal(st.retries, 0);
	berth_http_resp_release(&resp);
	berth_http_free(h);
	berth_http_free(NULL);
}

static void test_http_methods_and_bodies(void **state)
{
	struct berth_http_opts o = opts_for(url);
	struct berth_http *h = new_http(&o);
	static const char *const methods[] = { "POST", "PUT", "PATCH", "DELETE" };
	struct berth_http_req req = { .idempotent = -1 };
	struct berth_http_resp resp;
	json_t *j;

	(void)state;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(methods); i++) {
		req.method = methods[i];
		req.body = "{\"name\":\"ci\"}";
		req.body_len = strlen(req.body);
		req.content_type = i == 2 ? "application/merge-patch+json" : NULL;
		j = echo(h, &req);
		assert_string_equal(berth_json_str(j, "method"), methods[i]);
		assert_string_equal(berth_json_str(j, "body"), "{\"name\":\"ci\"}");
		assert_string_equal(berth_json_str(j, "content_type"),
				    i == 2 ? "application/merge-patch+json" : "application/json");
		json_decref(j);
	}
	/* A body of len bytes, not up to a NUL */
	req.method = "PUT";
	req.body = "{\"a\":1}garbage";
	req.body_len = 7;
	req.content_type = NULL;
	j = echo(h, &req);
	assert_string_equal(berth_json_str(j, "body"), "{\"a\":1}");
	json_decref(j);
	/* DELETE without a body sends none */
	req.method = "DELETE";
	req.body = NULL;
	req.body_len = 0;
	j = echo(h, &req);
	assert_string_equal(berth_json_str(j, "body"), "");
	assert_null(berth_json_str(j, "content_type"));
	json_decref(j);
	/* POST without a body: an empty one, and no form Content-Type made up by libcurl */
	req.method = "POST";
	j = echo(h, &req);
	assert_string_equal(berth_json_str(j, "method"), "POST");
	assert_string_equal(berth_json_str(j, "body"), "");
	assert_null(berth_json_str(j, "content_type"));
	json_decref(j);
	/* HEAD: headers only */
	berth_http_resp_init(&resp);
	req.method = "HEAD";
	req.path = "/ok";
	assert_int_equal(berth_http_do(h, &req, &resp, NULL), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.body.len, 0);
	berth_http_resp_release(&resp);
	berth_http_free(h);
}

static void test_http_error_envelopes(void **state)
{
	static const struct {
		const char *body;
		const char *content_type;
		const char *want;
	} cases[] = {
		/* Harbor */
		{ "{\"errors\":[{\"code\":\"NOT_FOUND\",\"message\":\"robot 7 not found\"}]}\n", NULL,
		  "harbor: read 'robot$ci': HTTP 404: NOT_FOUND: robot 7 not found" },
		/* registry v2 */
		{ "{\"errors\":[{\"code\":\"NAME_UNKNOWN\",\"message\":\"repository name not known to registry\","
		  "\"detail\":{\"name\":\"x\"}},{\"code\":\"DENIED\",\"message\":\"requested access denied\"}]}",
		  NULL,
		  "harbor: read 'robot$ci': HTTP 404: NAME_UNKNOWN: repository name not known to registry; "
		  "DENIED: requested access denied" },
		/* Vault, one line */
		{ "{\"errors\":[]}", NULL, "harbor: read 'robot$ci': HTTP 404" },
		{ "{\"errors\":[\"no handler for route \\\"kv/data/x\\\". route entry not found.\"]}", NULL,
		  "harbor: read 'robot$ci': HTTP 404: no handler for route \"kv/data/x\". route entry not found." },
		/* Vault, multierror */
		{ "{\"errors\":[\"1 error occurred:\\n\\t* permission denied\\n\\n\"]}", NULL,
		  "harbor: read 'robot$ci': HTTP 404: permission denied" },
		{ "{\"errors\":[\"2 errors occurred:\\n\\t* invalid token\\n\\t* permission denied\\n\\n\"]}", NULL,
		  "harbor: read 'robot$ci': HTTP 404: invalid token; permission denied" },
		/* Kubernetes Status */
		{ "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
		  "\"message\":\"secrets \\\"harbor-ci\\\" not found\",\"reason\":\"NotFound\","
		  "\"details\":{\"name\":\"harbor-ci\",\"kind\":\"secrets\"},\"code\":404}", NULL,
		  "harbor: read 'robot$ci': HTTP 404: NotFound: secrets \"harbor-ci\" not found" },
		/* plain text, first line only */
		{ "404 page not found\nmore\n", "text/plain; charset=utf-8",
		  "harbor: read 'robot$ci': HTTP 404: 404 page not found" },
		/* HTML is not quoted */
		{ "<html><body><h1>404 Not Found</h1></body></html>", "text/html",
		  "harbor: read 'robot$ci': HTTP 404" },
		{ "", "text/plain", "harbor: read 'robot$ci': HTTP 404" },
		/* a JSON document of another shape is not quoted either */
		{ "{\"secret\":\"Canary-Envelope\"}", NULL, "harbor: read 'robot$ci': HTTP 404" },
	};
	struct berth_http_opts o = opts_for(url);
	struct berth_http *h = new_http(&o);
	struct berth_http_resp resp;

	(void)state;
	berth_http_resp_init(&resp);
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(cases); i++) {
		struct berth_err err = BERTH_ERR_INIT;

		if (cases[i].content_type)
			add_fault("{s:s, s:i, s:s, s:s}", "path", "/robot", "status", 404, "body",
				  cases[i].body, "content_type", cases[i].content_type);
		else
			add_fault("{s:s, s:i, s:o}", "path", "/robot", "status", 404, "body",
				  json_loads(cases[i].body, 0, NULL));
		assert_int_equal(get(h, "/robot", &resp, &err), 0);
		assert_int_equal(resp.status, 404);
		assert_int_equal(berth_http_fail(h, &resp, &err, "read '%s'", "robot$ci"), BERTH_ENOTFOUND);
		assert_int_equal(err.code, BERTH_ENOTFOUND);
		assert_int_equal(err.http_status, 404);
		assert_int_equal(err.retry_after_s, -1);
		assert_string_equal(err.msg, cases[i].want);
	}
	berth_http_resp_release(&resp);
	berth_http_free(h);
}

static void test_http_status_codes(void **state)
{
	static const struct {
		long status;
		int code;
	} table[] = {
		{ 200, 0 }, { 201, 0 }, { 204, 0 }, { 304, 0 },
		{ 400, BERTH_EINVALID }, { 422, BERTH_EINVALID }, { 401, BERTH_EAUTH },
		{ 403, BERTH_EFORBIDDEN }, { 404, BERTH_ENOTFOUND }, { 409, BERTH_ECONFLICT },
		{ 412, BERTH_ECONFLICT }, { 429, BERTH_ERATELIMIT }, { 418, BERTH_ERROR },
		{ 405, BERTH_ERROR }, { 500, BERTH_ESERVER }, { 501, BERTH_ESERVER },
		{ 502, BERTH_ESERVER }, { 503, BERTH_ESERVER }, { 504, BERTH_ESERVER },
	};
	struct berth_http_opts o = opts_for(url);
	struct berth_http *h;
	struct berth_http_resp resp;
	struct berth_err err = BERTH_ERR_INIT;

	(void)state;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(table); i++)
		if (berth_http_status_code(table[i].status) != table[i].code)
			fail_msg("status %ld gave %d", table[i].status,
				 berth_http_status_code(table[i].status));

	/* Through a server, without retries: each status and what berth_http_fail makes of it. */
	o.max_retries = 0;
	h = new_http(&o);
	berth_http_resp_init(&resp);
	for (size_t i = 4; i < BERTH_ARRAY_SIZE(table); i++) {
		add_fault("{s:s, s:i, s:{s:[s]}}", "path", "/x", "status", (int)table[i].status, "body",
			  "errors", "nope");
		assert_int_equal(get(h, "/x", &resp, &err), 0);
		assert_int_equal(resp.status, table[i].status);
		assert_int_equal(berth_http_fail(h, &resp, &err, "op"), table[i].code);
		assert_int_equal(err.http_status, table[i].status);
		assert_non_null(strstr(err.msg, ": nope"));
	}
	/* Vault's sealed 503 has its own code; another 503 does not. */
	add_fault("{s:s, s:i, s:{s:[s]}}", "path", "/v1/sys", "status", 503, "body", "errors",
		  "Vault is sealed");
	assert_int_equal(get(h, "/v1/sys", &resp, &err), 0);
	assert_int_equal(berth_http_fail(h, &resp, &err, "read 'kv/ci'"), BERTH_ESEALED);
	assert_string_equal(err.msg, "harbor: read 'kv/ci': HTTP 503: Vault is sealed");
	add_fault("{s:s, s:i, s:{s:[s]}}", "path", "/v1/sys", "status", 503, "body", "errors",
		  "overloaded");
	assert_int_equal(get(h, "/v1/sys", &resp, &err), 0);
	assert_int_equal(berth_http_fail(h, &resp, &err, "read"), BERTH_ESERVER);
	/* A 2xx handed to berth_http_fail is a protocol error (unexpected status). */
	assert_int_equal(get(h, "/ok", &resp, &err), 0);
	assert_int_equal(berth_http_fail(h, &resp, &err, "create"), BERTH_EPROTO);
	assert_string_equal(err.msg, "harbor: create: HTTP 200");
	berth_http_resp_release(&resp);
	berth_http_free(h);
}

/* ---- retries ------------------------------------------------------------------ */

static void test_http_429_retry_after(void **state)
{
	struct berth_http_opts o = opts_for(url);
	struct berth_http *h = new_http(&o);
	struct berth_http_resp resp;
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_http_stats st;
	int64_t t0;

	(void)state;
	berth_http_resp_init(&resp);
	add_fault("{s:s, s:i, s:i, s:{s:[s]}}", "path", "/ok", "status", 429, "retry_after", 1, "body",
		  "errors", "slow down");
	t0 = berth_mono_ms();
	assert_int_equal(get(h, "/ok", &resp, &err), 0);
	/* waited what the server asked (retry_base_ms is 1 ms, so only Retry-After explains it) */
	assert_true(berth_mono_ms() - t0 >= 1000);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.attempts, 2);
	assert_int_equal(resp.retry_after_s, -1); /* of the final response */
	assert_int_equal(logged("GET", "/ok"), 2);
	berth_http_get_stats(h, &st);
	assert_int_equal(st.retries, 1);
	assert_int_equal(st.by_class[4], 1);
	assert_int_equal(st.by_class[2], 1);

	/* Retry-After as an HTTP date (in the past: retry now). */
	add_fault("{s:s, s:i, s:s}", "path", "/ok", "status", 429, "retry_after",
		  "Wed, 21 Oct 2015 07:28:00 GMT");
	t0 = berth_mono_ms();
	assert_int_equal(get(h, "/ok", &resp, &err), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.attempts, 2);
	assert_true(berth_mono_ms() - t0 < 1000);
	berth_http_resp_release(&resp);
	berth_http_free(h);
}

static void test_http_retry_after_over_cap(void **state)
{
	struct berth_http_opts o = opts_for(url);
	struct berth_http *h;
	struct berth_http_resp resp;
	struct berth_err err = BERTH_ERR_INIT;
	int64_t t0;

	(void)state;
	o.retry_max_ms = 1000;
	h = new_http(&o);
	berth_http_resp_init(&resp);
	add_fault("{s:s, s:i, s:i, s:i}", "path", "/ok", "status", 429, "retry_after", 30, "count", 5);
	t0 = berth_mono_ms();
	assert_int_equal(get(h, "/ok", &resp, &err), 0);
	assert_true(berth_mono_ms() - t0 < 1000);
	assert_int_equal(resp.status, 429);
	assert_int_equal(resp.attempts, 1);
	assert_int_equal(resp.retry_after_s, 30);
	assert_int_equal(logged("GET", "/ok"), 1);
	assert_int_equal(berth_http_fail(h, &resp, &err, "list robots"), BERTH_ERATELIMIT);
	assert_int_equal(err.retry_after_s, 30);
	assert_int_equal(err.http_status, 429);
	berth_http_resp_release(&resp);
	berth_http_free(h);
}

static void test_http_5xx_retries(void **state)
{
	struct berth_http_opts o = opts_for(url);
	struct berth_http *h = new_http(&o);
	struct berth_http_resp resp;
	struct berth_err err = BERTH_ERR_INIT;
	static const int retried[] = { 500, 502, 503, 504 };

	(void)state;
	berth_http_resp_init(&resp);
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(retried); i++) {
		reset_api(NULL);
		add_fault("{s:s, s:i, s:i}", "path", "/ok", "status", retried[i], "count", 2);
		assert_int_equal(get(h, "/ok", &resp, &err), 0);
		assert_int_equal(resp.status, 200);
		assert_int_equal(resp.attempts, 3);
		assert_int_equal(logged("GET", "/ok"), 3);
	}
	/* 501 is not a passing condition: no retry */
	reset_api(NULL);
	add_fault("{s:s, s:i, s:i}", "path", "/ok", "status", 501, "count", 5);
	assert_int_equal(get(h, "/ok", &resp, &err), 0);
	assert_int_equal(resp.status, 501);
	assert_int_equal(resp.attempts, 1);
	assert_int_equal(logged("GET", "/ok"), 1);
	/* Retries run out: max_retries + 1 attempts, then the last response. */
	reset_api(NULL);
	add_fault("{s:s, s:i, s:i}", "path", "/ok", "status", 503, "count", 10);
	assert_int_equal(get(h, "/ok", &resp, &err), 0);
	assert_int_equal(resp.status, 503);
	assert_int_equal(resp.attempts, 4);
	assert_int_equal(logged("GET", "/ok"), 4);
	/* Client errors are never retried. */
	reset_api(NULL);
	add_fault("{s:s, s:i, s:i}", "path", "/ok", "status", 409, "count", 5);
	assert_int_equal(get(h, "/ok", &resp, &err), 0);
	assert_int_equal(resp.attempts, 1);
	berth_http_resp_release(&resp);
	berth_http_free(h);
}

static int post(struct berth_http *h, const char *path, int idempotent, struct berth_http_resp *resp,
		struct berth_err *err)
{
	struct berth_http_req req = { .method = "POST", .path = path, .op = "create robot",
				      .body = "{\"name\":\"ci\"}", .body_len = 13,
				      .idempotent = idempotent };

	return berth_http_do(h, &req, resp, err);
}

static void test_http_post_never_resent(void **state)
{
	struct berth_http_opts o = opts_for(url);
	struct berth_http *h = new_http(&o);
	struct berth_http_resp resp;
	struct berth_err err = BERTH_ERR_INIT;

	(void)state;
	berth_http_resp_init(&resp);
	/* 503 */
	add_fault("{s:s, s:s, s:i, s:i}", "method", "POST", "path", "/robots", "status", 503, "count", 3);
	assert_int_equal(post(h, "/robots", -1, &resp, &err), 0);
	assert_int_equal(resp.status, 503);
	assert_int_equal(resp.attempts, 1);
	assert_int_equal(logged("POST", "/robots"), 1);

	/* The connection drops after the request arrived: the server may have acted on it. */
	reset_api(NULL);
	add_fault("{s:s, s:s, s:s}", "method", "POST", "path", "/robots", "action", "drop");
	assert_int_equal(post(h, "/robots", -1, &resp, &err), BERTH_ENET);
	assert_int_equal(resp.status, 0);
	assert_int_equal(resp.attempts, 1);
	assert_int_equal(logged("POST", "/robots"), 1);
	assert_non_null(strstr(err.msg, "harbor: create robot: "));

	/*
	 * The same on a kept-alive connection, after the server handled the
	 * request: libcurl itself re-sends a request whose reused connection
	 * died before any response byte, so this catches a second POST even
	 * when berth's own retry loop stays out of it.
	 */
	reset_api(NULL);
	assert_int_equal(get(h, "/ok", &resp, &err), 0);
	add_fault("{s:s, s:s, s:s, s:i}", "method", "POST", "path", "/robots", "action", "drop_after",
		  "count", 3);
	assert_int_equal(post(h, "/robots", -1, &resp, &err), BERTH_ENET);
	assert_int_equal(logged("POST", "/robots"), 1);

	/* Marked idempotent, a POST is retried like a GET. */
	reset_api(NULL);
	add_fault("{s:s, s:s, s:i}", "method", "POST", "path", "/robots", "status", 503);
	assert_int_equal(post(h, "/robots", 1, &resp, &err), 0);
	assert_int_equal(resp.status, 201);
	assert_int_equal(resp.attempts, 2);
	assert_int_equal(logged("POST", "/robots"), 2);
	berth_http_resp_release(&resp);
	berth_http_free(h);
}

struct restart {
	struct sim_api *api;
	long after_ms;
	int rc;
};

static void *restart_later(void *arg)
{
	struct restart *r = arg;

	berth_sleep_ms(r->after_ms, NULL);
	r->rc = sim_api_start(&world, r->api);
	return NULL;
}

static void test_http_post_retried_when_refused(void **state)
{
	struct sim_api late = { .name = "late", .handler = handle };
	struct berth_http_opts o;
	struct berth_http *h;
	struct berth_http_resp resp;
	struct berth_err err = BERTH_ERR_INIT;
	struct restart r = { .api = &late, .after_ms = 100 };
	pthread_t th;
	char *late_url;

	(void)state;
	/* Learn a free port, then close it: connections to it are refused until the restart. */
	assert_int_equal(sim_api_start(&world, &late), 0);
	late_url = sim_api_url(&late);
	sim_api_stop(&late);
	late.want_port = late.port;

	o = opts_for(late_url);
	o.retry_base_ms = 400; /* the first wait is 200..400 ms; the server is back after 100 */
	h = new_http(&o);
	berth_http_resp_init(&resp);
	assert_int_equal(pthread_create(&th, NULL, restart_later, &r), 0);
	assert_int_equal(post(h, "/robots", -1, &resp, &err), 0);
	pthread_join(th, NULL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(resp.status, 201);
	assert_true(resp.attempts >= 2);
	/* the server saw the POST once: the refused attempts never reached it */
	pthread_mutex_lock(&late.lock);
	assert_int_equal(json_array_size(late.log), 1);
	pthread_mutex_unlock(&late.lock);
	berth_http_resp_release(&resp);
	berth_http_free(h);
	sim_api_stop(&late);
	free(late_url);
}

static void test_http_get_retried_on_drop_and_truncation(void **state)
{
	struct berth_http_opts o = opts_for(url);
	struct berth_http *h = new_http(&o);
	struct berth_http_resp resp;
	struct berth_err err = BERTH_ERR_INIT;

	(void)state;
	berth_http_resp_init(&resp);
	add_fault("{s:s, s:s}", "path", "/ok", "action", "drop");
	assert_int_equal(get(h, "/ok", &resp, &err), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.attempts, 2);
	assert_int_equal(logged("GET", "/ok"), 2);

	reset_api(NULL);
	add_fault("{s:s, s:s}", "path", "/big", "action", "truncate");
	assert_int_equal(get(h, "/big?n=5000", &resp, &err), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.attempts, 2);
	assert_int_equal(resp.body.len, 5000); /* the whole body of the second attempt, nothing of the first */
	assert_int_equal(resp.body.buf[4999], 'a' + 4999 % 26);
	assert_int_equal(logged("GET", "/big"), 2);

	/* Every attempt truncated: ENET, after max_retries + 1 tries. */
	reset_api(NULL);
	add_fault("{s:s, s:s, s:i}", "path", "/big", "action", "truncate", "count", 10);
	assert_int_equal(get(h, "/big?n=5000", &resp, &err), BERTH_ENET);
	assert_int_equal(resp.attempts, 4);
	assert_int_equal(resp.status, 0);
	assert_int_equal(logged("GET", "/big"), 4);
	berth_http_resp_release(&resp);
	berth_http_free(h);
}

/* ---- the response cap ------------------------------------------------------------- */

static void test_http_body_cap(void **state)
{
	struct berth_http_opts o = opts_for(url);
	struct berth_http *h;
	struct berth_http_resp resp;
	struct berth_err err = BERTH_ERR_INIT;
	int64_t conn;

	(void)state;
	o.max_body = 4096;
	h = new_http(&o);
	berth_http_resp_init(&resp);
	assert_int_equal(get(h, "/big?n=4096", &resp, &err), 0);
	assert_int_equal(resp.body.len, 4096);
	conn = logged_conn(0);

	assert_int_equal(get(h, "/big?n=200000", &resp, &err), BERTH_EPROTO);
	assert_int_equal(err.code, BERTH_EPROTO);
	assert_string_equal(err.msg, "harbor: get: response larger than 4096 bytes");
	assert_int_equal(resp.status, 0);
	assert_int_equal(logged("GET", "/big"), 2); /* not retried */
	assert_int_equal(logged_conn(1), conn);     /* same keep-alive connection ... */

	/* ... which was left mid-body, so the next request needs a new one. */
	assert_int_equal(get(h, "/ok", &resp, &err), 0);
	assert_int_equal(resp.status, 200);
	assert_true(logged_conn(2) != conn);
	/* and the one after that reuses the new connection */
	assert_int_equal(get(h, "/ok", &resp, &err), 0);
	assert_int_equal(logged_conn(3), logged_conn(2));
	berth_http_resp_release(&resp);
	berth_http_free(h);
}

/* ---- connections and TLS ------------------------------------------------------------ */

static void test_http_connection_refused(void **state)
{
	struct sim_api gone = { .name = "gone", .handler = handle };
	struct berth_http_opts o;
	struct berth_http *h;
	struct berth_http_resp resp;
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_http_stats st;
	char *gone_url, *want;

	(void)state;
	assert_int_equal(sim_api_start(&world, &gone), 0);
	gone_url = sim_api_url(&gone);
	sim_api_stop(&gone);

	o = opts_for(gone_url);
	o.service = "vault";
	o.max_retries = 2;
	h = new_http(&o);
	berth_http_resp_init(&resp);
	assert_int_equal(get(h, "/v1/sys/health?standbyok=true", &resp, &err), BERTH_ENET);
	assert_int_equal(err.code, BERTH_ENET);
	assert_int_equal(err.http_status, 0);
	assert_int_equal(resp.status, 0);
	assert_int_equal(resp.attempts, 3); /* never sent, so retried, but not forever */
	berth_http_get_stats(h, &st);
	assert_int_equal(st.by_class[0], 3);
	assert_int_equal(st.retries, 2);
	/* names the service, the operation and the URL (without its query) */
	assert_true(berth_starts_with(err.msg, "vault: get: "));
	want = xasprintf("(%s/v1/sys/health)", gone_url);
	assert_non_null(strstr(err.msg, want));
	assert_null(strstr(err.msg, "standbyok"));
	free(want);
	berth_http_resp_release(&resp);
	berth_http_free(h);
	free(gone_url);
}

static void test_http_tls_untrusted_ca(void **state)
{
	struct berth_http_opts o = opts_for(other_url);
	struct berth_http *h;
	struct berth_http_resp resp;
	struct berth_err err = BERTH_ERR_INIT;

	(void)state;
	/* other's certificate is for 127.0.0.1 but from a CA berth was not told to trust */
	h = new_http(&o);
	berth_http_resp_init(&resp);
	assert_int_equal(get(h, "/ok", &resp, &err), BERTH_ENET);
	assert_int_equal(resp.attempts, 1);
	assert_non_null(strstr(err.msg, "certificate"));
	assert_true(berth_starts_with(err.msg, "harbor: get: "));
	pthread_mutex_lock(&other_api.lock);
	assert_int_equal(json_array_size(other_api.log), 0);
	pthread_mutex_unlock(&other_api.lock);
	berth_http_free(h);

	/* The system store does not know the test CA either. */
	o.ca_file = NULL;
	h = new_http(&o);
	assert_int_equal(get(h, "/ok", &resp, &err), BERTH_ENET);
	assert_int_equal(resp.attempts, 1);
	berth_http_free(h);

	/* The right CA from memory (kubeconfig certificate-authority-data) works. */
	{
		struct berth_buf pem = BERTH_BUF_INIT;

		o = opts_for(url);
		o.ca_file = "/nonexistent/ca.pem";
		assert_int_equal(berth_file_read(&pem, world.ca_file, 0, NULL), 0);
		o.ca_pem = pem.buf;
		h = new_http(&o);
		assert_int_equal(get(h, "/ok", &resp, &err), 0);
		assert_int_equal(resp.status, 200);
		berth_http_free(h);
		berth_buf_release(&pem);
	}
	berth_http_resp_release(&resp);
}

static void test_http_tls_wrong_host(void **state)
{
	struct berth_http_opts o = opts_for(url);
	struct berth_http *h;
	struct berth_http_resp resp;
	struct berth_err err = BERTH_ERR_INIT;
	char *by_name = xasprintf("https://localhost:%u", (unsigned)api.port);

	(void)state;
	/* the right server and a trusted CA, but the certificate names 127.0.0.1, not localhost */
	o.base_url = by_name;
	h = new_http(&o);
	berth_http_resp_init(&resp);
	assert_int_equal(get(h, "/ok", &resp, &err), BERTH_ENET);
	assert_int_equal(resp.attempts, 1);
	assert_non_null(strstr(err.msg, "'localhost'"));
	assert_int_equal(logged(NULL, NULL), 0);
	berth_http_free(h);
	/* without verification the same request goes through */
	o.insecure_skip_verify = true;
	berth_log_configure("error"); /* its warning is expected */
	h = new_http(&o);
	berth_log_configure("warn");
	assert_int_equal(get(h, "/ok", &resp, &err), 0);
	assert_int_equal(resp.status, 200);
	berth_http_free(h);
	berth_http_resp_release(&resp);
	free(by_name);
}

static void test_http_tls_insecure_skip_verify(void **state)
{
	struct berth_http_opts o = opts_for(other_url);
	struct berth_http *h;
	struct berth_http_resp resp;
	struct berth_err err = BERTH_ERR_INIT;

	(void)state;
	o.ca_file = NULL;
	o.insecure_skip_verify = true;
	berth_log_configure("error"); /* its warning is expected */
	h = new_http(&o);
	berth_log_configure("warn");
	berth_http_resp_init(&resp);
	assert_int_equal(get(h, "/ok", &resp, &err), 0);
	assert_int_equal(resp.status, 200);
	berth_http_resp_release(&resp);
	berth_http_free(h);
}

static void test_http_plain_http_rules(void **state)
{
	static const struct {
		const char *url;
		bool allow;
		int want;
	} cases[] = {
		{ "http://harbor.example.com", false, BERTH_ECONFIG },
		{ "http://10.0.0.5:8200", false, BERTH_ECONFIG },
		{ "http://harbor.example.com", true, 0 },
		{ "http://127.0.0.1:8200", false, 0 },
		{ "http://127.8.9.10", false, 0 },
		{ "http://localhost:8080/api", false, 0 },
		{ "http://registry.localhost", false, 0 },
		{ "http://[::1]:8080", false, 0 },
		{ "https://harbor.example.com", false, 0 },
		{ "ftp://harbor.example.com", true, BERTH_ECONFIG },
		{ "harbor.example.com", true, BERTH_ECONFIG },
		{ "", true, BERTH_ECONFIG },
	};
	struct berth_http_opts o = opts_for(url);
	struct berth_http *h;
	struct berth_http_resp resp;
	struct berth_http_req req = { .method = "GET", .idempotent = -1, .op = "token" };
	struct berth_err err = BERTH_ERR_INIT;

	(void)state;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(cases); i++) {
		h = (struct berth_http *)&err;
		o.base_url = cases[i].url;
		o.allow_plain_http = cases[i].allow;
		if (berth_http_new(&h, &o, &err) != cases[i].want)
			fail_msg("'%s' (allow %d): %s", cases[i].url, cases[i].allow, err.msg);
		if (cases[i].want) {
			assert_null(h);
			assert_int_equal(err.code, cases[i].want);
			assert_true(berth_starts_with(err.msg, "harbor: "));
		}
		berth_http_free(h);
	}
	o.base_url = "http://harbor.example.com";
	o.allow_plain_http = false;
	assert_int_equal(berth_http_new(&h, &o, &err), BERTH_ECONFIG);
	assert_non_null(strstr(err.msg, "'harbor.example.com'"));
	o.service = NULL;
	assert_int_equal(berth_http_new(&h, &o, &err), BERTH_ECONFIG);
	assert_true(berth_starts_with(err.msg, "http: "));

	/* A loopback server over plain http works. */
	o = opts_for(plain_url);
	h = new_http(&o);
	berth_http_resp_init(&resp);
	assert_int_equal(get(h, "/ok", &resp, &err), 0);
	assert_int_equal(resp.status, 200);
	/*
	 * A whole URL (a token realm the server named) to a non-loopback
	 * http:// host is refused like a base URL, before credentials leave.
	 */
	req.url = "http://registry.example.com/service/token?service=harbor-registry";
	assert_int_equal(berth_http_do(h, &req, &resp, &err), BERTH_ECONFIG);
	assert_non_null(strstr(err.msg, "registry.example.com"));
	assert_int_equal(resp.attempts, 0);
	req.url = "ftp://127.0.0.1/x";
	assert_int_equal(berth_http_do(h, &req, &resp, &err), BERTH_ECONFIG);
	/* ... and to a loopback one it is fine */
	req.url = NULL;
	req.path = "/ok";
	assert_int_equal(berth_http_do(h, &req, &resp, &err), 0);
	berth_http_free(h);

	/* https base, realm on loopback over http: allowed; on another host: not */
	o = opts_for(url);
	h = new_http(&o);
	{
		char *realm = xasprintf("%s/ok", plain_url);

		req.url = realm;
		assert_int_equal(berth_http_do(h, &req, &resp, &err), 0);
		assert_int_equal(resp.status, 200);
		free(realm);
	}
	berth_http_free(h);
	berth_http_resp_release(&resp);
}

static void test_http_url_split_and_loopback(void **state)
{
	struct berth_err err = BERTH_ERR_INIT;
	char *scheme, *host, *path;
	long port;

	(void)state;
	assert_int_equal(berth_url_split("https://harbor.example.com/api/v2.0", &scheme, &host, &port,
					 &path, &err), 0);
	assert_string_equal(scheme, "https");
	assert_string_equal(host, "harbor.example.com");
	assert_int_equal(port, 443);
	assert_string_equal(path, "/api/v2.0");
	free(scheme);
	free(host);
	free(path);
	assert_int_equal(berth_url_split("http://[::1]:8200", NULL, &host, &port, NULL, &err), 0);
	assert_string_equal(host, "[::1]");
	assert_int_equal(port, 8200);
	free(host);
	assert_int_equal(berth_url_split("gopher://x", &scheme, NULL, NULL, NULL, &err), BERTH_ECONFIG);
	assert_null(scheme);
	assert_int_equal(berth_url_split("/relative", NULL, NULL, NULL, NULL, &err), BERTH_ECONFIG);

	assert_true(berth_host_is_loopback("localhost"));
	assert_true(berth_host_is_loopback("LOCALHOST"));
	assert_true(berth_host_is_loopback("a.localhost"));
	assert_true(berth_host_is_loopback("127.0.0.1"));
	assert_true(berth_host_is_loopback("127.255.0.9"));
	assert_true(berth_host_is_loopback("::1"));
	assert_true(berth_host_is_loopback("[::1]"));
	assert_false(berth_host_is_loopback("128.0.0.1"));
	assert_false(berth_host_is_loopback("localhost.example.com"));
	assert_false(berth_host_is_loopback("[::2]"));
	assert_false(berth_host_is_loopback("10.0.0.1"));
	assert_false(berth_host_is_loopback(""));
}

/* ---- credentials and headers ----------------------------------------------------------- */

static void test_http_basic_auth(void **state)
{
	struct berth_http_opts o = opts_for(url);
	struct berth_http *h = new_http(&o);
	struct berth_secret *pw = berth_secret_from_str("Harbor12345:with:colons");
	struct berth_secret *robot = berth_secret_from_str("robot-secret-Xy9");
	struct berth_http_req req = { .idempotent = -1 };
	json_t *j;

	(void)state;
	/* no credentials configured: none sent */
	j = echo(h, &req);
	assert_true(json_is_null(json_object_get(j, "user")));
	assert_int_equal(berth_json_int(j, "n_auth", -1), 0);
	json_decref(j);

	berth_http_set_basic_auth(h, "admin", pw);
	berth_secret_free(pw); /* copied */
	j = echo(h, &req);
	assert_string_equal(berth_json_str(j, "user"), "admin");
	assert_secret_str(berth_json_str(j, "pass"), "Harbor12345:with:colons");
	assert_int_equal(berth_json_int(j, "n_auth", -1), 1);
	json_decref(j);

	/* per request: another user, only for this request */
	req.basic_user = "robot$proj+ci";
	req.basic_secret = robot;
	j = echo(h, &req);
	assert_string_equal(berth_json_str(j, "user"), "robot$proj+ci");
	assert_secret_str(berth_json_str(j, "pass"), "robot-secret-Xy9");
	assert_int_equal(berth_json_int(j, "n_auth", -1), 1);
	json_decref(j);
	req.basic_user = NULL;
	req.basic_secret = NULL;
	j = echo(h, &req);
	assert_string_equal(berth_json_str(j, "user"), "admin");
	json_decref(j);

	/* no_auth: nothing, not even the per-request user */
	req.no_auth = true;
	req.basic_user = "robot$proj+ci";
	req.basic_secret = robot;
	j = echo(h, &req);
	assert_true(json_is_null(json_object_get(j, "user")));
	assert_int_equal(berth_json_int(j, "n_auth", -1), 0);
	json_decref(j);

	/* replacing: the newest credentials only */
	req.no_auth = false;
	req.basic_user = NULL;
	req.basic_secret = NULL;
	berth_http_set_basic_auth(h, "other", robot);
	j = echo(h, &req);
	assert_string_equal(berth_json_str(j, "user"), "other");
	assert_int_equal(berth_json_int(j, "n_auth", -1), 1);
	json_decref(j);
	berth_secret_free(robot);
	berth_http_free(h);
}

static void test_http_bearer_and_secret_header(void **state)
{
	struct berth_http_opts o = opts_for(url);
	struct berth_http *h = new_http(&o);
	struct berth_secret *tok = berth_secret_from_str("eyJhbGciOiJSUzI1NiJ9.e30.sig");
	struct berth_secret *vt = berth_secret_from_str("hvs.CAESIJ-test");
	struct berth_http_req req = { .idempotent = -1 };
	json_t *j;

	(void)state;
	berth_http_set_bearer(h, tok);
	berth_http_set_secret_header(h, "X-Vault-Token", vt);
	berth_secret_free(tok);
	berth_secret_free(vt);
	j = echo(h, &req);
	assert_secret_str(berth_json_str(j, "bearer"), "eyJhbGciOiJSUzI1NiJ9.e30.sig");
	assert_secret_str(berth_json_str(j, "vault_token"), "hvs.CAESIJ-test");
	json_decref(j);

	/* no_auth drops both */
	req.no_auth = true;
	j = echo(h, &req);
	assert_true(json_is_null(json_object_get(j, "bearer")));
	assert_true(json_is_null(json_object_get(j, "vault_token")));
	json_decref(j);
	req.no_auth = false;

	/* NULL removes */
	berth_http_set_bearer(h, NULL);
	berth_http_set_secret_header(h, "X-Vault-Token", NULL);
	j = echo(h, &req);
	assert_true(json_is_null(json_object_get(j, "bearer")));
	assert_true(json_is_null(json_object_get(j, "vault_token")));
	assert_int_equal(berth_json_int(j, "n_auth", -1), 0);
	json_decref(j);
	berth_http_free(h);
}

static void test_http_plain_headers(void **state)
{
	struct berth_http_opts o = opts_for(url);
	struct berth_http *h = new_http(&o);
	const char *const extra[] = { "X-Extra: one", NULL };
	struct berth_http_req req = { .idempotent = -1 };
	json_t *j;

	(void)state;
	berth_http_set_header(h, "X-Vault-Namespace", "team-a");
	j = echo(h, &req);
	assert_string_equal(berth_json_str(j, "namespace"), "team-a");
	assert_int_equal(berth_json_int(j, "n_namespace", -1), 1);
	json_decref(j);

	/* replace, whatever the case of the name */
	berth_http_set_header(h, "x-vault-namespace", "team-b");
	j = echo(h, &req);
	assert_string_equal(berth_json_str(j, "namespace"), "team-b");
	assert_int_equal(berth_json_int(j, "n_namespace", -1), 1);
	json_decref(j);

	/* a name that only starts like another is another header */
	berth_http_set_header(h, "X-Vault", "v");
	berth_http_set_header(h, "X-Vault-Namespace", "team-c");
	j = echo(h, &req);
	assert_string_equal(berth_json_str(j, "namespace"), "team-c");
	assert_int_equal(berth_json_int(j, "n_namespace", -1), 1);
	json_decref(j);

	/* per request */
	req.headers = extra;
	j = echo(h, &req);
	assert_string_equal(berth_json_str(j, "extra"), "one");
	json_decref(j);
	req.headers = NULL;
	j = echo(h, &req);
	assert_true(json_is_null(json_object_get(j, "extra")));
	json_decref(j);

	/* remove */
	berth_http_set_header(h, "X-Vault-Namespace", NULL);
	j = echo(h, &req);
	assert_true(json_is_null(json_object_get(j, "namespace")));
	assert_int_equal(berth_json_int(j, "n_namespace", -1), 0);
	json_decref(j);
	berth_http_set_header(h, "X-Not-There", NULL);
	berth_http_free(h);
}

static void test_http_response_headers(void **state)
{
	struct berth_http_opts o = opts_for(url);
	struct berth_http *h = new_http(&o);
	struct berth_http_resp resp;
	struct berth_err err = BERTH_ERR_INIT;

	(void)state;
	berth_http_resp_init(&resp);
	assert_int_equal(get(h, "/headers", &resp, &err), 0);
	assert_int_equal(resp.total_count, 42);
	assert_string_equal(resp.location, "/api/v2.0/robots/7");
	assert_string_equal(resp.link, "</api/v2.0/robots?page=2&page_size=10>; rel=\"next\"");
	assert_string_equal(resp.www_authenticate,
			    "Bearer realm=\"https://127.0.0.1/service/token\",service=\"harbor-registry\"");
	assert_string_equal(resp.content_type, "application/json; charset=utf-8");
	/* the next response starts clean */
	assert_int_equal(get(h, "/big?n=3", &resp, &err), 0);
	assert_int_equal(resp.total_count, -1);
	assert_null(resp.location);
	assert_null(resp.link);
	assert_null(resp.www_authenticate);
	assert_string_equal(resp.content_type, "text/plain");
	berth_http_resp_release(&resp);
	assert_null(resp.location);
	assert_int_equal(resp.body.len, 0);
	berth_http_free(h);
}

/* ---- connections -------------------------------------------------------------------------- */

static void test_http_keep_alive(void **state)
{
	struct berth_http_opts o = opts_for(url);
	struct berth_http *h = new_http(&o);
	struct berth_http_resp resp;
	struct berth_err err = BERTH_ERR_INIT;
	uint64_t before = connections();
	struct berth_http_req req = { .method = "PUT", .path = "/echo", .body = "{}", .body_len = 2,
				      .idempotent = -1 };

	(void)state;
	berth_http_resp_init(&resp);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(get(h, "/ok", &resp, &err), 0);
		assert_int_equal(resp.status, 200);
	}
	/* idempotent writes share the connection too */
	assert_int_equal(berth_http_do(h, &req, &resp, &err), 0);
	assert_int_equal(connections() - before, 1);
	for (size_t i = 1; i < 6; i++)
		assert_int_equal(logged_conn(i), logged_conn(0));
	berth_http_resp_release(&resp);
	berth_http_free(h);
}

struct worker {
	struct berth_http *h;
	int ok;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct berth_http_resp resp;
	struct berth_err err = BERTH_ERR_INIT;

	berth_http_resp_init(&resp);
	for (int i = 0; i < 10; i++) {
		const char *path = i % 2 ? "/ok" : "/headers";

		if (!get(w->h, path, &resp, &err) && resp.status == 200 &&
		    (i % 2 || resp.total_count == 42))
			w->ok++;
	}
	berth_http_resp_release(&resp);
	return NULL;
}

static void test_http_threads_share_one_client(void **state)
{
	enum { N = 8 };
	struct berth_http_opts o = opts_for(url);
	struct berth_http *h = new_http(&o);
	struct worker w[N];
	pthread_t th[N];
	struct berth_http_stats st;
	uint64_t before = connections();

	(void)state;
	for (int i = 0; i < N; i++) {
		w[i].h = h;
		w[i].ok = 0;
		assert_int_equal(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].ok, 10);
	}
	berth_http_get_stats(h, &st);
	assert_int_equal(st.by_class[2], N * 10);
	assert_int_equal(logged(NULL, NULL), N * 10);
	/* at most one connection per concurrent request, then reused */
	assert_true(connections() - before <= N);
	berth_http_free(h);
}

static void test_http_no_cookie_engine(void **state)
{
	struct berth_http_opts o = opts_for(url);
	struct berth_http *h = new_http(&o);
	struct berth_http_resp resp;
	struct berth_http_req req = { .idempotent = -1 };
	struct berth_err err = BERTH_ERR_INIT;
	json_t *j;

	(void)state;
	berth_http_resp_init(&resp);
	assert_int_equal(get(h, "/cookie", &resp, &err), 0);
	assert_int_equal(resp.status, 200);
	j = echo(h, &req);
	assert_true(json_is_null(json_object_get(j, "cookie")));
	json_decref(j);
	berth_http_resp_release(&resp);
	berth_http_free(h);
}

/* ---- redaction ------------------------------------------------------------------------------- */

static void test_http_redact_header(void **state)
{
	static const struct {
		const char *in;
		const char *want;
	} cases[] = {
		{ "Authorization: Basic YWRtaW46SGFyYm9yMTIzNDU=\r\n", "Authorization: Basic <redacted>" },
		{ "authorization: Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig", "authorization: Bearer <redacted>" },
		{ "Authorization:Basic YWRtaW4=", "Authorization: Basic <redacted>" },
		{ "Authorization: opaque-token", "Authorization: <redacted>" },
		{ "Proxy-Authorization: Basic dTpw\n", "Proxy-Authorization: Basic <redacted>" },
		{ "X-Vault-Token: hvs.CAESIJ\r\n", "X-Vault-Token: <redacted>" },
		{ "x-vault-token: s.abc def", "x-vault-token: <redacted>" },
		{ "Cookie: sid=abc; csrf=def", "Cookie: <redacted>" },
		{ "Set-Cookie: sid=abc; Path=/; HttpOnly\r\n", "Set-Cookie: <redacted>" },
		{ "X-Harbor-CSRF-Token: abc", "X-Harbor-CSRF-Token: <redacted>" },
		{ "Content-Type: application/json\r\n", "Content-Type: application/json" },
		{ "X-Vault-Namespace: team-a", "X-Vault-Namespace: team-a" },
		{ "X-Vault-Token-Ttl: 5", "X-Vault-Token-Ttl: 5" },
		{ "HTTP/1.1 200 OK\r\n", "HTTP/1.1 200 OK" },
		{ "\r\n", "" },
	};
	struct berth_buf b = BERTH_BUF_INIT;

	(void)state;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(cases); i++) {
		berth_buf_reset(&b);
		berth_buf_addstr(&b, "> ");
		berth_http_redact_header(&b, cases[i].in, strlen(cases[i].in));
		if (strcmp(b.buf + 2, cases[i].want))
			fail_msg("case %zu: got '%s'", i, b.buf + 2);
	}
	/* len bounds the line */
	berth_buf_reset(&b);
	berth_http_redact_header(&b, "Cookie: a=b\r\nX-Next: 1", 13);
	assert_string_equal(b.buf, "Cookie: <redacted>");
	berth_buf_release(&b);
}

static void test_http_redact_body(void **state)
{
	const char *body =
		"{\"name\":\"robot$ci\",\"secret\":\"s1\",\"Password\":\"s2\","
		"\"auths\":{\"harbor.example.com\":{\"auth\":\"s3\",\"username\":\"u\",\"password\":\"s4\"}},"
		"\"data\":{\"data\":{\"secret\":\"s5\"},\"metadata\":{\"version\":3}},"
		"\"auth\":{\"client_token\":\"s6\",\"accessor\":\"s7\",\"policies\":[\"p\"]},"
		"\"items\":[{\"kind\":\"Secret\",\"stringData\":{\"x\":\"s8\"}},{\"token\":\"s9\"}],"
		"\"client_secret\":\"s10\",\"adminPassword\":\"s11\",\"X-Registry-Token\":\"s12\","
		"\"refresh_token\":\"s13\",\"id_token\":null,\"count\":3,\"ok\":true,"
		"\"description\":\"managed by berth; 0123456789012345678901234567890123456789xyz\"}";
	struct berth_buf b = BERTH_BUF_INIT;
	json_t *j = NULL;
	char key[8];

	(void)state;
	berth_http_redact_body(&b, body, strlen(body));
	/* the output is JSON, with every credential-like value gone at any depth */
	assert_int_equal(berth_json_parse(&j, b.buf, b.len, "redacted", NULL), 0);
	for (int i = 1; i <= 13; i++) {
		snprintf(key, sizeof(key), "\"s%d\"", i);
		if (strstr(b.buf, key))
			fail_msg("%s survived: %s", key, b.buf);
	}
	assert_string_equal(berth_json_str(j, "name"), "robot$ci");
	assert_string_equal(berth_json_str(j, "secret"), "<redacted>");
	assert_string_equal(berth_json_str(j, "Password"), "<redacted>");
	assert_string_equal(berth_json_str(berth_json_obj(berth_json_obj(j, "auths"), "harbor.example.com"),
					   "username"), "u");
	assert_true(json_is_null(json_object_get(j, "id_token")));
	assert_int_equal(berth_json_int(j, "count", 0), 3);
	assert_true(berth_json_bool(j, "ok", false));
	assert_string_equal(berth_json_str(j, "data"), "<redacted>");
	/* long values are cut */
	assert_string_equal(berth_json_str(j, "description"),
			    "managed by berth; 01234567890123456789012345678901...");
	json_decref(j);

	/* not JSON: not shown at all */
	berth_buf_reset(&b);
	berth_http_redact_body(&b, "grant_type=password&password=s14", 32);
	assert_string_equal(b.buf, "<32 bytes, not JSON, not shown>");
	berth_buf_reset(&b);
	berth_http_redact_body(&b, "{\"password\":\"s15", 16);
	assert_null(strstr(b.buf, "s15"));
	berth_buf_release(&b);
}

/* ---- end to end: a traced run leaks nothing ----------------------------------------------------- */

static int saved_fd = -1;
static char capture_path[80];

static void capture_begin(void)
{
	int fd;

	snprintf(capture_path, sizeof(capture_path), "%s/stderr-XXXXXX", tmpdir);
	fd = mkstemp(capture_path);
	assert_true(fd >= 0);
	fflush(stderr);
	saved_fd = dup(2);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
}

static void capture_end(struct berth_buf *out)
{
	fflush(stderr);
	dup2(saved_fd, 2);
	close(saved_fd);
	assert_int_equal(berth_file_read(out, capture_path, 0, NULL), 0);
	unlink(capture_path);
}

static void test_http_trace_leaks_no_secret(void **state)
{
	static const char *const canaries[] = { CANARY_BASIC, CANARY_TOKEN, CANARY_CUSTOM,
						CANARY_OVERRIDE, CANARY_BODY, CANARY_NESTED,
						CANARY_RESP, "Canary-Cookie" };
	struct berth_http_opts o = opts_for(url);
	struct berth_http *h = new_http(&o), *h2 = new_http(&o);
	struct berth_secret *pw = berth_secret_from_str(CANARY_BASIC);
	struct berth_secret *tok = berth_secret_from_str(CANARY_TOKEN);
	struct berth_secret *custom = berth_secret_from_str(CANARY_CUSTOM);
	struct berth_secret *override = berth_secret_from_str(CANARY_OVERRIDE);
	const char *body = "{\"name\":\"ci\",\"password\":\"" CANARY_BODY "\","
			   "\"permissions\":[{\"access\":[{\"secret\":\"" CANARY_NESTED "\"}]}]}";
	struct berth_http_req req = { .method = "POST", .path = "/robots", .op = "create robot",
				      .body = body, .body_len = strlen(body), .idempotent = -1 };
	struct berth_http_resp resp;
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_buf out = BERTH_BUF_INIT, b64 = BERTH_BUF_INIT;

	(void)state;
	berth_http_set_basic_auth(h, "admin", pw);
	berth_http_set_secret_header(h, "X-Vault-Token", tok);
	/* a secret header under a name no list knows */
	berth_http_set_secret_header(h2, "X-Registry-Key", custom);
	berth_http_resp_init(&resp);

	assert_int_equal(berth_log_configure("info,http:trace"), 0);
	assert_int_equal(setenv("BERTH_TRACE_BODIES", "1", 1), 0);
	capture_begin();
	assert_int_equal(berth_http_do(h, &req, &resp, &err), 0);
	assert_int_equal(resp.status, 201);
	req.basic_user = "robot$ci";
	req.basic_secret = override;
	assert_int_equal(berth_http_do(h, &req, &resp, &err), 0);
	assert_int_equal(get(h2, "/cookie", &resp, &err), 0);
	capture_end(&out);
	unsetenv("BERTH_TRACE_BODIES");
	berth_log_configure("warn");

	/* it was traced: headers both ways, bodies both ways */
	assert_non_null(strstr(out.buf, "harbor > POST /robots HTTP/1.1"));
	assert_non_null(strstr(out.buf, "harbor > Authorization: Basic <redacted>"));
	assert_non_null(strstr(out.buf, "harbor > X-Vault-Token: <redacted>"));
	assert_non_null(strstr(out.buf, "harbor > X-Registry-Key: <redacted>"));
	assert_non_null(strstr(out.buf, "harbor < HTTP/1.1 201"));
	assert_non_null(strstr(out.buf, "harbor < Set-Cookie: <redacted>"));
	assert_non_null(strstr(out.buf, "harbor > body {\"name\":\"ci\",\"password\":\"<redacted>\""));
	assert_non_null(strstr(out.buf, "harbor < body {\"id\":1,\"name\":\"robot$ci\",\"secret\":\"<redacted>\"}"));
	/* and nothing secret, in any form */
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(canaries); i++)
		if (strstr(out.buf, canaries[i]))
			fail_msg("canary %zu reached the trace", i);
	berth_base64_encode(&b64, "admin:" CANARY_BASIC, strlen("admin:" CANARY_BASIC));
	assert_null(strstr(out.buf, b64.buf));
	berth_buf_reset(&b64);
	berth_base64_encode(&b64, "robot$ci:" CANARY_OVERRIDE, strlen("robot$ci:" CANARY_OVERRIDE));
	assert_null(strstr(out.buf, b64.buf));

	berth_buf_release(&out);
	berth_buf_release(&b64);
	berth_http_resp_release(&resp);
	berth_secret_free(pw);
	berth_secret_free(tok);
	berth_secret_free(custom);
	berth_secret_free(override);
	berth_http_free(h);
	berth_http_free(h2);
}

/* The server's message is appended: the caller's text before it is kept, trailing spaces and all (fuzz_http_error). */
static void test_http_server_message_appends(void **state)
{
	static const char none[] = "{\"errors\":[]}";
	static const char one[] = "{\"errors\":[\"1 error occurred:\\n\\t* denied\\n\\n\"]}";
	struct berth_buf b = BERTH_BUF_INIT;

	(void)state;
	berth_buf_addstr(&b, "before: ");
	berth_http_server_message(&b, none, strlen(none));
	assert_string_equal(b.buf, "before: ");
	berth_http_server_message(&b, one, strlen(one));
	assert_string_equal(b.buf, "before: denied");
	berth_buf_release(&b);
}

#define T(fn) cmocka_unit_test_setup(fn, reset_api)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_http_get_ok),
		T(test_http_methods_and_bodies),
		T(test_http_error_envelopes),
		T(test_http_status_codes),
		T(test_http_429_retry_after),
		T(test_http_retry_after_over_cap),
		T(test_http_5xx_retries),
		T(test_http_post_never_resent),
		T(test_http_post_retried_when_refused),
		T(test_http_get_retried_on_drop_and_truncation),
		T(test_http_body_cap),
		T(test_http_connection_refused),
		T(test_http_tls_untrusted_ca),
		T(test_http_tls_wrong_host),
		T(test_http_tls_insecure_skip_verify),
		T(test_http_plain_http_rules),
		T(test_http_url_split_and_loopback),
		T(test_http_basic_auth),
		T(test_http_bearer_and_secret_header),
		T(test_http_plain_headers),
		T(test_http_response_headers),
		T(test_http_keep_alive),
		T(test_http_threads_share_one_client),
		T(test_http_no_cookie_engine),
		T(test_http_redact_header),
		T(test_http_redact_body),
		T(test_http_server_message_appends),
		T(test_http_trace_leaks_no_secret),
	};

	return cmocka_run_group_tests_name("http", tests, group_setup, group_teardown);
}
