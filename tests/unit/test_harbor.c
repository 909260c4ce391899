/*
 * test_harbor.c - the Harbor client's paged lists against a local server
 * (the simulator core over TLS with a throwaway CA): the X-Total-Count
 * path, and the Link fallback for a server that sends no X-Total-Count:
 * rel="next" followed page by page, relative and absolute targets, and
 * every refusal (another server, another path, a changed filter, no page
 * number, a loop, too many pages).
 */
#include "compat.h"
#include "harbor.h"
#include "buf.h"
#include "err.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "model.h"
#include "secret.h"
#include "sim.h"
#include "util.h"
#include "xalloc.h"

#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

/* ---- the server ------------------------------------------------------------ */

static char tmpdir[64];
static struct sim_world world;  /* TLS, certificate for 127.0.0.1 */
static struct sim_world plain;  /* the same files, served over plain http */
static struct sim_api api = { .name = "harbor" };
static struct sim_api plain_api = { .name = "plain" };
static char *url, *plain_url;

/*
 * What the list endpoints answer: pages of per_page items (ids counted
 * from 1 across pages), X-Total-Count when total, and a Link header from
 * the template next on every page before the last. In the template, {N}
 * is the next page number, {URL} the server's own URL, {HP} its host:port
 * and {PORT} its port.
 */
static struct {
	long pages;
	int per_page;
	bool total;
	const char *next;
} srv;

static void expand(struct berth_buf *out, const char *tmpl, long page, const struct sim_api *a)
{
	char *self = sim_api_url(a);
	const char *hp = strstr(self, "://") + 3;

	for (const char *p = tmpl; *p; p++) {
		if (berth_starts_with(p, "{N}")) {
			berth_buf_addf(out, "%ld", page);
			p += 2;
		} else if (berth_starts_with(p, "{URL}")) {
			berth_buf_addstr(out, self);
			p += 4;
		} else if (berth_starts_with(p, "{HP}")) {
			berth_buf_addstr(out, hp);
			p += 3;
		} else if (berth_starts_with(p, "{PORT}")) {
			berth_buf_addf(out, "%u", (unsigned)a->port);
			p += 5;
		} else {
			berth_buf_addch(out, *p);
		}
	}
	free(self);
}

static void handle(struct sim_api *a, struct sim_req *req, struct sim_resp *resp)
{
	const char *path = req->path;
	bool projects;
	long long page = 1;
	json_t *items;

	if (berth_starts_with(path, "/harbor/"))
		path += 7; /* a Harbor behind a path prefix */
	if (!strcmp(path, "/api/v2.0/projects"))
		projects = true;
	else if (!strcmp(path, "/api/v2.0/robots"))
		projects = false;
	else {
		sim_resp_text(resp, 404, "text/plain; charset=utf-8", "404 page not found\n");
		return;
	}
	if (sim_param(req, "page") && berth_parse_long(sim_param(req, "page"), 1, INT64_MAX, &page)) {
		sim_resp_json(resp, 422, json_pack("{s:[{s:s, s:s}]}", "errors", "code",
						   "UNPROCESSABLE_ENTITY", "message", "bad page"));
		return;
	}
	items = json_array();
	for (int i = 0; page <= srv.pages && i < srv.per_page; i++) {
		long long id = (page - 1) * srv.per_page + i + 1;
		char name[64];

		if (projects) {
			snprintf(name, sizeof(name), "p%lld", id);
			json_array_append_new(items, json_pack("{s:I, s:s}", "project_id", (json_int_t)id,
							       "name", name));
		} else {
			snprintf(name, sizeof(name), "robot$r%lld", id);
			json_array_append_new(items, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id,
							       "name", name, "level", "system"));
		}
	}
	sim_resp_json(resp, 200, items);
	if (srv.total) {
		char n[32];

		snprintf(n, sizeof(n), "%lld", (long long)srv.pages * srv.per_page);
		sim_resp_header(resp, "X-Total-Count", n);
	}
	if (srv.next && page < srv.pages) {
		struct berth_buf link = BERTH_BUF_INIT;

		expand(&link, srv.next, (long)page + 1, a);
		sim_resp_header(resp, "Link", link.buf);
		berth_buf_release(&link);
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
	berth_json_init();
	berth_http_global_init();
	berth_log_configure("error");
	signal(SIGPIPE, SIG_IGN);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/berth-test-harbor-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(dir, sizeof(dir), "%s/world", tmpdir);
	world.server_san = "IP:127.0.0.1";
	if (sim_world_init(&world, dir))
		return -1;
	plain = world;
	plain.plain_http = true;
	plain.napis = 0;
	api.handler = plain_api.handler = handle;
	if (sim_api_start(&world, &api) || sim_api_start(&plain, &plain_api))
		return -1;
	url = sim_api_url(&api);
	plain_url = sim_api_url(&plain_api);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	sim_api_stop(&api);
	sim_api_stop(&plain_api);
	free(url);
	free(plain_url);
	sim_world_release(&world);
	nftw(tmpdir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* Before each test: empty request logs, and a list of 3 full pages with X-Total-Count. */
static int reset(void **state)
{
	(void)state;
	pthread_mutex_lock(&api.lock);
	json_array_clear(api.log);
	pthread_mutex_unlock(&api.lock);
	pthread_mutex_lock(&plain_api.lock);
	json_array_clear(plain_api.log);
	pthread_mutex_unlock(&plain_api.lock);
	srv.pages = 3;
	srv.per_page = 100;
	srv.total = true;
	srv.next = NULL;
	return 0;
}

/* How many requests a server logged. */
static size_t logged(struct sim_api *a)
{
	size_t n;

	pthread_mutex_lock(&a->lock);
	n = json_array_size(a->log);
	pthread_mutex_unlock(&a->lock);
	return n;
}

/* The raw query of the i-th logged request (caller frees). */
static char *logged_query(struct sim_api *a, size_t i)
{
	char *q;

	pthread_mutex_lock(&a->lock);
	q = xstrdup_or_null(berth_json_str(json_array_get(a->log, i), "query"));
	pthread_mutex_unlock(&a->lock);
	return q;
}

static struct berth_harbor *client(const char *base)
{
	struct berth_secret *pw = berth_secret_from_str("Harbor12345");
	struct berth_harbor_opts o = { .url = base, .username = "admin", .password = pw,
				       .ca_file = world.ca_file, .timeout_s = 10, .max_retries = 0 };
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_harbor *h = NULL;

	if (berth_harbor_new(&h, &o, &err))
		fail_msg("berth_harbor_new: %s", err.msg);
	berth_secret_free(pw);
	return h;
}

/* List system robots from base; returns the code, the robots in *out. */
static int list_system(const char *base, struct berth_robot_list *out, struct berth_err *err)
{
	struct berth_harbor *h = client(base);
	int ret;

	memset(out, 0, sizeof(*out));
	berth_err_clear(err);
	ret = berth_harbor_robot_list_system(h, out, 4, err);
	berth_harbor_free(h);
	return ret;
}

/* The list is robots 1..n in order. */
static void assert_robots(const struct berth_robot_list *l, size_t n)
{
	assert_int_equal(l->n, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(l->v[i].id, (int64_t)i + 1);
}

/* The system list fails with EPROTO, after sending requests requests, with msg in the message. */
static void assert_refused(const char *next, const char *msg, size_t requests)
{
	struct berth_robot_list l;
	struct berth_err err = BERTH_ERR_INIT;

	reset(NULL);
	srv.total = false;
	srv.next = next;
	assert_int_equal(list_system(url, &l, &err), BERTH_EPROTO);
	assert_int_equal(err.code, BERTH_EPROTO);
	if (!strstr(err.msg, msg))
		fail_msg("link %s: message '%s' lacks '%s'", next, err.msg, msg);
	assert_true(berth_starts_with(err.msg, "harbor: list system robots: "));
	assert_int_equal(logged(&api), requests);
	berth_robot_list_release(&l);
}

/* ---- the tests --------------------------------------------------------------- */

/* With X-Total-Count the pages are fetched concurrently, and Link is never looked at. */
static void test_harbor_total_count_ignores_link(void **state)
{
	struct berth_robot_list l;
	struct berth_err err = BERTH_ERR_INIT;

	(void)state;
	srv.next = "<https://evil.example/api/v2.0/robots?page={N}&page_size=100>; rel=\"next\"";
	assert_int_equal(list_system(url, &l, &err), 0);
	assert_robots(&l, 300);
	assert_int_equal(logged(&api), 3);
	berth_robot_list_release(&l);
}

/* Neither X-Total-Count nor Link: the error of old. A Link without next: page 1 is all. */
static void test_harbor_no_total_no_link(void **state)
{
	struct berth_robot_list l;
	struct berth_err err = BERTH_ERR_INIT;

	(void)state;
	srv.total = false;
	assert_int_equal(list_system(url, &l, &err), BERTH_EPROTO);
	assert_string_equal(err.msg, "harbor: list system robots: response has no X-Total-Count header");
	berth_robot_list_release(&l);

	reset(NULL);
	srv.total = false;
	srv.pages = 2;
	srv.next = "</api/v2.0/robots?page=1&page_size=100>; rel=\"prev\"";
	assert_int_equal(list_system(url, &l, &err), 0);
	assert_robots(&l, 100);
	assert_int_equal(logged(&api), 1);
	berth_robot_list_release(&l);
}

/* Harbor's own links (path only, prev and next joined by " , "), page after page, in order. */
static void test_harbor_link_paging(void **state)
{
	struct berth_robot_list l;
	struct berth_project_list pl = { 0 };
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_harbor *h;
	char *q;

	(void)state;
	srv.total = false;
	srv.next = "</api/v2.0/robots?page=1&page_size=100>; rel=\"prev\" , "
		   "</api/v2.0/robots?page={N}&page_size=100>; rel=\"next\"";
	assert_int_equal(list_system(url, &l, &err), 0);
	assert_robots(&l, 300);
	assert_int_equal(logged(&api), 3);
	q = logged_query(&api, 2);
	assert_string_equal(q, "page=3&page_size=100");
	free(q);
	berth_robot_list_release(&l);

	/* A project's robots: Harbor's link keeps q, unescaped; the last page is short. */
	reset(NULL);
	srv.total = false;
	srv.per_page = 7;
	srv.next = "</api/v2.0/robots?page={N}&page_size=100&q=Level=project,ProjectID=5>; rel=\"next\"";
	h = client(url);
	memset(&l, 0, sizeof(l));
	assert_int_equal(berth_harbor_robot_list_project(h, 5, &l, 4, &err), 0);
	assert_robots(&l, 21);
	q = logged_query(&api, 0);
	assert_string_equal(q, "q=Level%3Dproject%2CProjectID%3D5&page=1&page_size=100");
	free(q);
	q = logged_query(&api, 2);
	assert_string_equal(q, "page=3&page_size=100&q=Level=project,ProjectID=5");
	free(q);
	berth_robot_list_release(&l);

	/* Projects, with_detail kept. */
	reset(NULL);
	srv.total = false;
	srv.next = "</api/v2.0/projects?page={N}&page_size=100&with_detail=false>; rel=\"next\"";
	assert_int_equal(berth_harbor_project_list(h, &pl, &err), 0);
	assert_int_equal(pl.n, 300);
	assert_string_equal(pl.v[299].name, "p300");
	assert_int_equal(logged(&api), 3);
	berth_project_list_release(&pl);
	berth_harbor_free(h);
}

/* An absolute URL on the configured scheme, host and port is followed; case does not matter. */
static void test_harbor_link_absolute_same_server(void **state)
{
	struct berth_robot_list l;
	struct berth_err err = BERTH_ERR_INIT;

	(void)state;
	srv.total = false;
	srv.next = "<{URL}/api/v2.0/robots?page={N}&page_size=100>; rel=\"next\"";
	assert_int_equal(list_system(url, &l, &err), 0);
	assert_robots(&l, 300);
	berth_robot_list_release(&l);

	reset(NULL);
	srv.total = false;
	srv.next = "<HTTPS://{HP}/api/v2.0/robots?page={N}&page_size=100>; rel=\"next\"";
	assert_int_equal(list_system(url, &l, &err), 0);
	assert_robots(&l, 300);
	berth_robot_list_release(&l);

	/* over plain http to loopback, the same */
	reset(NULL);
	srv.total = false;
	srv.next = "<{URL}/api/v2.0/robots?page={N}&page_size=100>; rel=\"next\"";
	assert_int_equal(list_system(plain_url, &l, &err), 0);
	assert_robots(&l, 300);
	assert_int_equal(logged(&plain_api), 3);
	berth_robot_list_release(&l);
}

/* A link to another server is refused before any request leaves: host, port, scheme, userinfo tricks. */
static void test_harbor_link_other_server(void **state)
{
	static const char *const links[] = {
		"<https://evil.example/api/v2.0/robots?page={N}&page_size=100>; rel=\"next\"",
		"<https://evil.example:443/api/v2.0/robots?page={N}&page_size=100>; rel=\"next\"",
		"<https://127.0.0.1:1/api/v2.0/robots?page={N}&page_size=100>; rel=\"next\"",
		/* the configured port, another host */
		"<https://evil.example:{PORT}/api/v2.0/robots?page={N}&page_size=100>; rel=\"next\"",
		"<https://localhost:{PORT}/api/v2.0/robots?page={N}&page_size=100>; rel=\"next\"",
		"<https://127.0.0.2:{PORT}/api/v2.0/robots?page={N}&page_size=100>; rel=\"next\"",
		/* the configured host and port, another scheme */
		"<http://{HP}/api/v2.0/robots?page={N}&page_size=100>; rel=\"next\"",
		/* the configured host:port as userinfo before another host */
		"<https://{HP}@evil.example:{PORT}/api/v2.0/robots?page={N}&page_size=100>; rel=\"next\"",
		"<https://admin:pw@evil.example/api/v2.0/robots?page={N}&page_size=100>; rel=\"next\"",
	};

	(void)state;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(links); i++)
		assert_refused(links[i], "refusing to follow a link to another server", 1);
	assert_refused(links[0], "the Link header's next page is on https://evil.example:443, not on the "
				 "configured https://127.0.0.1:", 1);
	/* not a URL berth can place: refused, never resolved against anything */
	assert_refused("<//evil.example/api/v2.0/robots?page={N}&page_size=100>; rel=\"next\"",
		       "is neither an absolute path nor an http(s) URL", 1);
	assert_refused("<robots?page={N}&page_size=100>; rel=\"next\"",
		       "is neither an absolute path nor an http(s) URL", 1);
	assert_refused("<ftp://{HP}/api/v2.0/robots?page={N}&page_size=100>; rel=\"next\"",
		       "is neither an absolute path nor an http(s) URL", 1);
	assert_refused("<https://[::1/api/v2.0/robots?page={N}>; rel=\"next\"", "is not a valid URL", 1);
}

/* The link must stay on the list: same path, same filter, a page number. */
static void test_harbor_link_path_and_query(void **state)
{
	struct berth_robot_list l;
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_harbor *h;

	(void)state;
	assert_refused("</api/v2.0/users?page={N}&page_size=100>; rel=\"next\"",
		       "not at the list's path '/api/v2.0/robots'", 1);
	assert_refused("</api/v2.0/robots/../users?page={N}&page_size=100>; rel=\"next\"",
		       "not at the list's path", 1);
	assert_refused("</api/v2.0/robots?page={N}&page_size=100&q=Level=project,ProjectID=1>; rel=\"next\"",
		       "changes the list's query ('q')", 1);
	assert_refused("</api/v2.0/robots?page_size=100>; rel=\"next\"", "names no page number", 1);
	assert_refused("</api/v2.0/robots?page=abc&page_size=100>; rel=\"next\"", "bad page number", 1);
	assert_refused("</api/v2.0/robots?page=2&page=3>; rel=\"next\"", "bad page number", 1);
	assert_refused("<{URL}?page={N}>; rel=\"next\"", "not under the configured URL's path", 1);
	/* a malformed Link header */
	assert_refused("</api/v2.0/robots?page={N}; rel=\"next\"", "Link", 1);

	/* A project list whose link drops or changes the filter. */
	reset(NULL);
	srv.total = false;
	srv.next = "</api/v2.0/robots?page={N}&page_size=100>; rel=\"next\"";
	h = client(url);
	memset(&l, 0, sizeof(l));
	assert_int_equal(berth_harbor_robot_list_project(h, 5, &l, 1, &err), BERTH_EPROTO);
	assert_non_null(strstr(err.msg, "harbor: list robots of project 5: the Link header's next page does "
					"not keep the list's query"));
	berth_robot_list_release(&l);
	srv.next = "</api/v2.0/robots?page={N}&page_size=100&q=Level=project,ProjectID=6>; rel=\"next\"";
	memset(&l, 0, sizeof(l));
	assert_int_equal(berth_harbor_robot_list_project(h, 5, &l, 1, &err), BERTH_EPROTO);
	assert_non_null(strstr(err.msg, "changes the list's query ('q')"));
	berth_robot_list_release(&l);
	/* the same filter, encoded: it is the same query */
	reset(NULL);
	srv.total = false;
	srv.next = "</api/v2.0/robots?page={N}&page_size=100&q=Level%3Dproject%2CProjectID%3D5>; rel=\"next\"";
	memset(&l, 0, sizeof(l));
	assert_int_equal(berth_harbor_robot_list_project(h, 5, &l, 1, &err), 0);
	assert_robots(&l, 300);
	berth_robot_list_release(&l);
	berth_harbor_free(h);
}

/* Harbor behind a path prefix: relative links go under it; absolute ones must hold it. */
static void test_harbor_link_base_path(void **state)
{
	char *base = xasprintf("%s/harbor", url);
	struct berth_robot_list l;
	struct berth_err err = BERTH_ERR_INIT;

	(void)state;
	srv.total = false;
	srv.next = "</api/v2.0/robots?page={N}&page_size=100>; rel=\"next\"";
	assert_int_equal(list_system(base, &l, &err), 0);
	assert_robots(&l, 300);
	berth_robot_list_release(&l);

	reset(NULL);
	srv.total = false;
	srv.next = "<{URL}/harbor/api/v2.0/robots?page={N}&page_size=100>; rel=\"next\"";
	assert_int_equal(list_system(base, &l, &err), 0);
	assert_robots(&l, 300);
	berth_robot_list_release(&l);

	reset(NULL);
	srv.total = false;
	srv.next = "<{URL}/api/v2.0/robots?page={N}&page_size=100>; rel=\"next\"";
	assert_int_equal(list_system(base, &l, &err), BERTH_EPROTO);
	assert_non_null(strstr(err.msg, "not under the configured URL's path"));
	berth_robot_list_release(&l);
	free(base);
}

/* A next link that does not move forward is a loop. */
static void test_harbor_link_loop(void **state)
{
	(void)state;
	/* page 1 -> page 2 -> page 2: two pages read, then refused */
	assert_refused("</api/v2.0/robots?page=2&page_size=100>; rel=\"next\"",
		       "the Link header's next page (page 2) is not after page 2, the last one read: "
		       "refusing a paging loop", 2);
	/* page 1 -> page 1 */
	assert_refused("</api/v2.0/robots?page=1&page_size=100>; rel=\"next\"", "refusing a paging loop", 1);
	/* an encoded page number is the same number */
	assert_refused("</api/v2.0/robots?page=%32&page_size=100>; rel=\"next\"", "refusing a paging loop", 2);
}

/* Bytes a URL cannot hold as they are are escaped before the request. */
static void test_harbor_link_escaped(void **state)
{
	struct berth_robot_list l;
	struct berth_err err = BERTH_ERR_INIT;
	char *q;

	(void)state;
	srv.total = false;
	srv.pages = 2;
	srv.next = "</api/v2.0/robots?page={N}&page_size=1 00\">; rel=\"next\"";
	assert_int_equal(list_system(url, &l, &err), 0);
	assert_robots(&l, 200);
	q = logged_query(&api, 1);
	assert_string_equal(q, "page=2&page_size=1%2000%22");
	free(q);
	berth_robot_list_release(&l);
}

/*
 * A server with a next link on every page is read MAX_TOTAL / PAGE_SIZE
 * (10,000) pages deep, then refused. Plain http on loopback, empty pages:
 * the test stays quick.
 */
static void test_harbor_link_page_bound(void **state)
{
	struct berth_robot_list l;
	struct berth_err err = BERTH_ERR_INIT;

	(void)state;
	srv.total = false;
	srv.pages = LONG_MAX;
	srv.per_page = 0;
	srv.next = "</api/v2.0/robots?page={N}&page_size=100>; rel=\"next\"";
	assert_int_equal(list_system(plain_url, &l, &err), BERTH_EPROTO);
	assert_string_equal(err.msg, "harbor: list system robots: the Link header names a next page after "
				     "10000 pages; refusing to read more");
	assert_int_equal(logged(&plain_api), 10000);
	berth_robot_list_release(&l);
}

#define T(fn) cmocka_unit_test_setup(fn, reset)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_harbor_total_count_ignores_link),
		T(test_harbor_no_total_no_link),
		T(test_harbor_link_paging),
		T(test_harbor_link_absolute_same_server),
		T(test_harbor_link_other_server),
		T(test_harbor_link_path_and_query),
		T(test_harbor_link_base_path),
		T(test_harbor_link_loop),
		T(test_harbor_link_escaped),
		T(test_harbor_link_page_bound),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
