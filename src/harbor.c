/*
 * harbor.c - Harbor REST API v2.0 client: robots, projects,
 * configurations, and the registry token service.
 */
#include "compat.h"
#include "harbor.h"
#include "buf.h"
#include "codec.h"
#include "err.h"
#include "exec.h"
#include "http.h"
#include "httphdr.h"
#include "json.h"
#include "log.h"
#include "secret.h"
#include "util.h"
#include "xalloc.h"

#include <pthread.h>
#include <strings.h>

#define API "/api/v2.0"
#define PAGE_SIZE 100
/* More rows than any Harbor holds: a larger X-Total-Count is a broken or hostile server. */
#define MAX_TOTAL 1000000

struct berth_harbor {
	struct berth_http *http;
	char *username;
};

int berth_harbor_new(struct berth_harbor **out, const struct berth_harbor_opts *o, struct berth_err *err)
{
	struct berth_http_opts ho = {
		.service = "harbor",
		.base_url = o->url,
		.ca_file = o->ca_file,
		.insecure_skip_verify = o->insecure_skip_verify,
		.allow_plain_http = o->allow_plain_http,
		.timeout_ms = o->timeout_s > 0 ? o->timeout_s * 1000 : 0,
		.max_retries = o->max_retries,
		.retry_base_ms = o->retry_base_ms,
	};
	struct berth_harbor *h;
	int ret;

	*out = NULL;
	h = xcalloc(1, sizeof(*h));
	ret = berth_http_new(&h->http, &ho, err);
	if (ret) {
		free(h);
		return ret;
	}
	h->username = xstrdup(o->username ? o->username : "admin");
	if (o->password)
		berth_http_set_basic_auth(h->http, h->username, o->password);
	*out = h;
	return 0;
}

void berth_harbor_free(struct berth_harbor *h)
{
	if (!h)
		return;
	berth_http_free(h->http);
	free(h->username);
	free(h);
}

void berth_harbor_get_stats(const struct berth_harbor *h, struct berth_http_stats *out)
{
	berth_http_get_stats(h->http, out);
}

/* GET path; on 2xx parse the body into *root. */
static int get_json(struct berth_harbor *h, const char *path, const char *op, json_t **root,
		    struct berth_http_resp *resp, struct berth_err *err)
{
	struct berth_http_req req = { .method = "GET", .path = path, .op = op, .idempotent = -1 };
	int ret;

	*root = NULL;
	ret = berth_http_do(h->http, &req, resp, err);
	if (ret)
		return ret;
	if (resp->status != 200)
		return berth_http_fail(h->http, resp, err, "%s", op);
	return berth_json_parse(root, resp->body.buf, resp->body.len, op, err) ?
		       berth_err_prefix(err, "harbor") : 0;
}

int berth_harbor_whoami(struct berth_harbor *h, bool *sysadmin, struct berth_err *err)
{
	struct berth_http_resp resp;
	struct berth_http_req req = { .method = "GET", .path = API "/users/current",
				      .op = "read the current user", .idempotent = -1 };
	json_t *root = NULL;
	int ret;

	*sysadmin = false;
	berth_http_resp_init(&resp);
	ret = berth_http_do(h->http, &req, &resp, err);
	if (ret)
		goto out;
	if (resp.status == 401) {
		ret = berth_err_set(err, BERTH_EAUTH,
				    "harbor: credentials for '%s' were refused at %s (Harbor treats wrong "
				    "credentials as anonymous)", h->username, berth_http_base_url(h->http));
		goto out;
	}
	if (resp.status == 412) /* a robot principal: no user record */
		goto out;
	if (resp.status != 200) {
		ret = berth_http_fail(h->http, &resp, err, "read the current user");
		goto out;
	}
	ret = berth_json_parse(&root, resp.body.buf, resp.body.len, "harbor: read the current user: the response",
			       err);
	if (ret)
		goto out;
	if (!berth_json_str(root, "username")) {
		ret = berth_err_set(err, BERTH_EPROTO, "harbor: read the current user: the response is not a user");
		goto out;
	}
	*sysadmin = berth_json_bool(root, "sysadmin_flag", false);
out:
	json_decref(root);
	berth_http_resp_release(&resp);
	return ret;
}

int berth_harbor_robot_prefix(struct berth_harbor *h, char **out, struct berth_err *err)
{
	struct berth_http_resp resp;
	json_t *root = NULL;
	const char *v;
	int ret;

	*out = NULL;
	berth_http_resp_init(&resp);
	ret = get_json(h, API "/configurations", "read configurations", &root, &resp, err);
	if (ret) {
		/* The code returned is err->code, always. */
		if (resp.status == 401 || resp.status == 403)
			ret = err ? (err->code = BERTH_EFORBIDDEN) : BERTH_EFORBIDDEN;
		goto out;
	}
	v = berth_json_str(berth_json_obj(root, "robot_name_prefix"), "value");
	if (!v || !*v) {
		ret = berth_err_set(err, BERTH_EPROTO,
				    "harbor: configurations response has no robot_name_prefix value");
		goto out;
	}
	*out = xstrdup(v);
out:
	json_decref(root);
	berth_http_resp_release(&resp);
	return ret;
}

void berth_project_list_release(struct berth_project_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

const struct berth_project *berth_project_find(const struct berth_project_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].name, name))
			return &l->v[i];
	return NULL;
}

/* ---- paged lists ------------------------------------------------------ */

typedef int page_decode_fn(json_t *item, void *list, struct berth_err *err);

/*
 * A paged list read concurrently. Pages are decoded into the list in page
 * order as soon as they and all pages before them have arrived, and their
 * JSON is freed at once: only pages that arrived out of order wait, so
 * memory stays near one page of JSON whatever the length of the list.
 */
struct paged {
	struct berth_harbor *h;
	const char *base;      /* path with any filter query, without page params */
	const char *op;
	page_decode_fn *decode;
	void *list;
	json_t **pages;        /* pages[i] = array of page i+2, until decoded */
	size_t npages;
	int64_t total;
	int failed;            /* a page failed: the others are not fetched (atomic) */
	pthread_mutex_t lock;  /* guards pages[], next and decode_err */
	size_t next;           /* the next page to decode */
	struct berth_err decode_err;
};

/* The path of page n of a list: base with page and page_size added. */
static void page_path(struct berth_buf *path, const char *base, int64_t page)
{
	char num[32];

	berth_buf_addstr(path, base);
	snprintf(num, sizeof(num), "%" PRId64, page);
	berth_buf_add_query(path, "page", num);
	berth_buf_add_query(path, "page_size", "100");
}

/*
 * GET path, which must answer with a JSON array. When asked, *total gets
 * X-Total-Count (-1 when absent) and *link the raw Link header (NULL when
 * absent; the caller frees it).
 */
static int fetch_page(struct paged *p, const char *path, json_t **items, int64_t *total, char **link,
		      struct berth_err *err)
{
	struct berth_http_resp resp;
	int ret;

	berth_http_resp_init(&resp);
	if (link)
		*link = NULL;
	ret = get_json(p->h, path, p->op, items, &resp, err);
	if (!ret && !json_is_array(*items))
		ret = berth_err_set(err, BERTH_EPROTO, "harbor: %s: expected a JSON array", p->op);
	if (total)
		*total = resp.total_count;
	if (!ret && link) {
		*link = resp.link;
		resp.link = NULL;
	}
	berth_http_resp_release(&resp);
	return ret;
}

static int decode_items(struct paged *p, json_t *items, struct berth_err *err)
{
	size_t j;
	json_t *item;
	int ret;

	json_array_foreach(items, j, item) {
		ret = p->decode(item, p->list, err);
		if (ret)
			return ret;
	}
	return 0;
}

/* Decode every page that is next in order; lock held. */
static void decode_ready(struct paged *p)
{
	while (p->next < p->npages && p->pages[p->next]) {
		if (!p->decode_err.code)
			decode_items(p, p->pages[p->next], &p->decode_err);
		json_decref(p->pages[p->next]);
		p->pages[p->next] = NULL;
		p->next++;
	}
}

static int page_job(size_t i, void *payload, struct berth_err *err)
{
	struct paged *p = payload;
	struct berth_buf path = BERTH_BUF_INIT;
	json_t *items = NULL;
	int ret;

	/* One failed page fails the list: do not send the rest. */
	if (__atomic_load_n(&p->failed, __ATOMIC_RELAXED))
		return berth_err_set(err, BERTH_ERROR, "harbor: %s: page %zu not read after an earlier failure",
				     p->op, i + 2);
	/* Job i fetches page i + 2; page 1 was read first to learn the total. */
	page_path(&path, p->base, (int64_t)i + 2);
	ret = fetch_page(p, path.buf, &items, NULL, NULL, err);
	berth_buf_release(&path);
	if (ret) {
		__atomic_store_n(&p->failed, 1, __ATOMIC_RELAXED);
		json_decref(items);
		return ret;
	}
	pthread_mutex_lock(&p->lock);
	p->pages[i] = items;
	decode_ready(p);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/* ---- Link paging ---------------------------------------------------------- */

/*
 * A server that sends no X-Total-Count but a Link header is paged by
 * following rel="next" one page at a time. The target is untrusted: it
 * must be an absolute path (what Harbor sends) or an http(s) URL with the
 * scheme, host and port of the configured URL; either way the request goes
 * to the configured URL, so no link can take the credentials to another
 * server. It must stay on the list's own path, keep the list's filter and
 * name a page after the last one read, and paging stops at MAX_PAGES.
 */
#define MAX_PAGES (MAX_TOTAL / PAGE_SIZE)

static int hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Append s[0..len) percent-decoded once; a '%' that starts no escape is kept, '+' too. */
static void add_unescaped(struct berth_buf *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len && hexdigit(s[i + 1]) >= 0 && hexdigit(s[i + 2]) >= 0) {
			berth_buf_addch(out, (char)(hexdigit(s[i + 1]) * 16 + hexdigit(s[i + 2])));
			i += 2;
		} else {
			berth_buf_addch(out, s[i]);
		}
	}
}

/* One "key=value" of a query, both decoded once. */
struct qpair {
	char *key;
	char *value;
};

/* Split a query (no '?') at '&' into decoded pairs; empty elements are skipped. */
static size_t query_split(struct qpair **out, const char *q, size_t len)
{
	struct qpair *v = NULL;
	size_t n = 0, alloc = 0, i = 0;

	while (i < len) {
		const char *amp = memchr(q + i, '&', len - i);
		size_t end = amp ? (size_t)(amp - q) : len;
		const char *eq = memchr(q + i, '=', end - i);
		size_t klen = eq ? (size_t)(eq - (q + i)) : end - i;
		struct berth_buf k = BERTH_BUF_INIT, val = BERTH_BUF_INIT;

		if (end > i) {
			add_unescaped(&k, q + i, klen);
			if (eq)
				add_unescaped(&val, eq + 1, end - i - klen - 1);
			BERTH_ALLOC_GROW(v, n + 1, alloc);
			v[n].key = berth_buf_detach(&k, NULL);
			v[n].value = berth_buf_detach(&val, NULL);
			n++;
		}
		i = end + 1;
	}
	*out = v;
	return n;
}

static void query_free(struct qpair *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
}

static bool is_page_key(const char *k)
{
	return !strcmp(k, "page") || !strcmp(k, "page_size");
}

/*
 * The query of a next link against the list's own: the same pairs apart
 * from page and page_size, and a page number, into *page.
 */
static int check_query(const struct paged *p, const char *lq, size_t lqlen, int64_t *page,
		       struct berth_err *err)
{
	const char *bq = strchr(p->base, '?');
	struct qpair *lv = NULL, *bv = NULL;
	size_t ln = query_split(&lv, lq, lqlen);
	size_t bn = bq ? query_split(&bv, bq + 1, strlen(bq + 1)) : 0;
	size_t lfilter = 0, bfilter = 0;
	bool have_page = false;
	int ret = 0;

	*page = 0;
	for (size_t i = 0; i < bn; i++)
		bfilter += !is_page_key(bv[i].key);
	for (size_t i = 0; i < ln && !ret; i++) {
		size_t j;

		if (!strcmp(lv[i].key, "page")) {
			long long v;

			if (have_page || berth_parse_long(lv[i].value, 1, INT64_MAX, &v)) {
				ret = berth_err_set(err, BERTH_EPROTO, "harbor: %s: the Link header's next "
						    "page has a bad page number", p->op);
				break;
			}
			have_page = true;
			*page = (int64_t)v;
			continue;
		}
		if (is_page_key(lv[i].key))
			continue;
		lfilter++;
		for (j = 0; j < bn; j++)
			if (!strcmp(lv[i].key, bv[j].key) && !strcmp(lv[i].value, bv[j].value))
				break;
		if (j == bn)
			ret = berth_err_set(err, BERTH_EPROTO, "harbor: %s: the Link header's next page "
					    "changes the list's query ('%.60s'); refusing to follow it",
					    p->op, lv[i].key);
	}
	if (!ret && lfilter != bfilter)
		ret = berth_err_set(err, BERTH_EPROTO, "harbor: %s: the Link header's next page does not "
				    "keep the list's query; refusing to follow it", p->op);
	if (!ret && !have_page)
		ret = berth_err_set(err, BERTH_EPROTO, "harbor: %s: the Link header's next page names "
				    "no page number", p->op);
	query_free(lv, ln);
	query_free(bv, bn);
	return ret;
}

/* An absolute URL's target against the configured URL: same origin; *rest is its path and query. */
static int check_origin(const struct paged *p, const char *link, const char **rest, struct berth_err *err)
{
	const char *base = berth_http_base_url(p->h->http);
	char *ls = NULL, *lh = NULL, *bs = NULL, *bh = NULL, *bpath = NULL;
	const char *authority = strstr(link, "://") + 3;
	long lport = 0, bport = 0;
	size_t plen;
	int ret = 0;

	if (berth_url_split(link, &ls, &lh, &lport, NULL, NULL)) {
		ret = berth_err_set(err, BERTH_EPROTO, "harbor: %s: the Link header's next page is not "
				    "a valid URL", p->op);
		goto out;
	}
	if (berth_url_split(base, &bs, &bh, &bport, &bpath, err)) {
		ret = berth_err_prefix(err, "harbor: %s", p->op);
		goto out;
	}
	if (strcasecmp(ls, bs) || strcasecmp(lh, bh) || lport != bport) {
		ret = berth_err_set(err, BERTH_EPROTO, "harbor: %s: the Link header's next page is on "
				    "%s://%.100s:%ld, not on the configured %s://%s:%ld; refusing to follow "
				    "a link to another server", p->op, ls, lh, lport, bs, bh, bport);
		goto out;
	}
	/* The request goes to the configured URL: only the path and query are taken. */
	*rest = authority + strcspn(authority, "/?#");
	plen = bpath ? strlen(bpath) : 0;
	while (plen && bpath[plen - 1] == '/')
		plen--;
	if (strncmp(*rest, bpath ? bpath : "", plen) || (*rest)[plen] != '/') {
		ret = berth_err_set(err, BERTH_EPROTO, "harbor: %s: the Link header's next page is not "
				    "under the configured URL's path", p->op);
		goto out;
	}
	*rest += plen;
out:
	free(ls);
	free(lh);
	free(bs);
	free(bh);
	free(bpath);
	return ret;
}

/* Bytes a URL may hold as they are (RFC 3986 unreserved, reserved and '%'). */
static bool url_char(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("-._~:/?#[]@!$&'()*+,;=%", c);
}

/*
 * Turn the target of a rel="next" link into a request path under the
 * configured URL (into path) and the page it names (into *page).
 */
static int link_target(const struct paged *p, const char *link, struct berth_buf *path, int64_t *page,
		       struct berth_err *err)
{
	const char *rest = link, *q, *end;
	size_t baselen = strcspn(p->base, "?"), plen;
	int ret;

	if (!strncasecmp(link, "https://", 8) || !strncasecmp(link, "http://", 7)) {
		ret = check_origin(p, link, &rest, err);
		if (ret)
			return ret;
	} else if (link[0] != '/' || link[1] == '/') {
		return berth_err_set(err, BERTH_EPROTO, "harbor: %s: the Link header's next page "
				     "'%.200s' is neither an absolute path nor an http(s) URL", p->op, link);
	}
	end = rest + strcspn(rest, "#");
	q = memchr(rest, '?', (size_t)(end - rest));
	plen = (size_t)((q ? q : end) - rest);
	if (plen != baselen || strncmp(rest, p->base, baselen))
		return berth_err_set(err, BERTH_EPROTO, "harbor: %s: the Link header's next page is at "
				     "'%.*s', not at the list's path '%.*s'; refusing to follow it", p->op,
				     (int)(plen > 200 ? 200 : plen), rest, (int)baselen, p->base);
	ret = check_query(p, q ? q + 1 : end, q ? (size_t)(end - q - 1) : 0, page, err);
	if (ret)
		return ret;
	/* Harbor leaves the query unescaped: escape what a URL cannot hold as it is. */
	for (const char *c = rest; c < end; c++) {
		if (url_char((unsigned char)*c))
			berth_buf_addch(path, *c);
		else
			berth_buf_addf(path, "%%%02X", (unsigned char)*c);
	}
	return 0;
}

/*
 * Read the pages after page 1 (first, already fetched; borrowed) by
 * following rel="next" in the Link header of each page (link: page 1's).
 */
static int list_by_link(struct paged *p, json_t *first, const char *link, struct berth_err *err)
{
	struct berth_buf path = BERTH_BUF_INIT;
	const char *hdr = link;
	char *next = NULL, *owned = NULL;
	json_t *items = NULL;
	int64_t last_page = 1, page = 0;
	size_t pages = 1, nitems = json_array_size(first);
	int ret;

	berth_log_debug("harbor", "%s: no X-Total-Count header: following the Link header's "
			"rel=\"next\" pages one at a time", p->op);
	ret = decode_items(p, first, err);
	while (!ret && hdr) {
		ret = berth_httphdr_link_next(&next, hdr, strlen(hdr), err);
		if (ret) {
			berth_err_prefix(err, "harbor: %s", p->op);
			break;
		}
		if (!next)
			break;
		if (pages >= MAX_PAGES) {
			ret = berth_err_set(err, BERTH_EPROTO, "harbor: %s: the Link header names a next "
					    "page after %zu pages; refusing to read more", p->op, pages);
			break;
		}
		berth_buf_reset(&path);
		ret = link_target(p, next, &path, &page, err);
		if (ret)
			break;
		if (page <= last_page) {
			ret = berth_err_set(err, BERTH_EPROTO, "harbor: %s: the Link header's next page "
					    "(page %" PRId64 ") is not after page %" PRId64 ", the last one "
					    "read: refusing a paging loop", p->op, page, last_page);
			break;
		}
		berth_log_debug("harbor", "%s: page %" PRId64 " from the Link header", p->op, page);
		free(next);
		next = NULL;
		free(owned);
		ret = fetch_page(p, path.buf, &items, NULL, &owned, err);
		hdr = owned;
		if (ret)
			break;
		last_page = page;
		pages++;
		nitems += json_array_size(items);
		if (nitems > MAX_TOTAL)
			ret = berth_err_set(err, BERTH_EPROTO, "harbor: %s: more than %d items over the "
					    "Link header's pages", p->op, MAX_TOTAL);
		else
			ret = decode_items(p, items, err);
		json_decref(items);
		items = NULL;
	}
	json_decref(items);
	free(next);
	free(owned);
	berth_buf_release(&path);
	return ret;
}

static int list_all(struct berth_harbor *h, const char *base, const char *op, page_decode_fn *decode,
		    void *list, int concurrency, struct berth_err *err)
{
	struct paged p = { .h = h, .base = base, .op = op, .decode = decode, .list = list,
			   .decode_err = BERTH_ERR_INIT };
	struct berth_buf path = BERTH_BUF_INIT;
	json_t *first = NULL;
	char *link = NULL;
	struct berth_err *errs = NULL;
	size_t i;
	int ret;

	pthread_mutex_init(&p.lock, NULL);
	page_path(&path, base, 1);
	ret = fetch_page(&p, path.buf, &first, &p.total, &link, err);
	/* Without X-Total-Count, a Link header still tells the way: one page at a time. */
	if (!ret && p.total < 0) {
		if (link)
			ret = list_by_link(&p, first, link, err);
		else
			ret = berth_err_set(err, BERTH_EPROTO,
					    "harbor: %s: response has no X-Total-Count header", op);
		json_decref(first);
		goto out;
	}
	/* The total sets how many pages are fetched: check it against what page 1 holds. */
	if (!ret && (p.total > MAX_TOTAL || (p.total > PAGE_SIZE && json_array_size(first) != PAGE_SIZE)))
		ret = berth_err_set(err, BERTH_EPROTO, "harbor: %s: X-Total-Count %" PRId64 " does not fit "
				    "page 1 of %zu items", op, p.total, json_array_size(first));
	if (!ret)
		ret = decode_items(&p, first, err);
	json_decref(first);
	if (ret || p.total <= PAGE_SIZE)
		goto out;
	p.npages = (size_t)((p.total + PAGE_SIZE - 1) / PAGE_SIZE) - 1;
	p.pages = xcalloc(p.npages, sizeof(*p.pages));
	errs = xcalloc(p.npages, sizeof(*errs));
	if (berth_exec_run(p.npages, concurrency, page_job, &p, errs)) {
		for (i = 0; i < p.npages; i++)
			if (errs[i].code) {
				*err = errs[i];
				ret = errs[i].code;
				break;
			}
		goto out;
	}
	if (p.decode_err.code) {
		*err = p.decode_err;
		ret = p.decode_err.code;
	}
out:
	for (i = 0; i < p.npages; i++)
		json_decref(p.pages[i]);
	free(p.pages);
	free(errs);
	free(link);
	berth_buf_release(&path);
	pthread_mutex_destroy(&p.lock);
	return ret;
}

static int decode_project(json_t *item, void *list, struct berth_err *err)
{
	struct berth_project_list *l = list;
	const char *name = berth_json_str(item, "name");
	int64_t id = berth_json_int(item, "project_id", -1);

	if (!name || id < 0)
		return berth_err_set(err, BERTH_EPROTO,
				     "harbor: project list item lacks name or project_id");
	BERTH_ALLOC_GROW(l->v, l->n + 1, l->alloc);
	l->v[l->n].id = id;
	l->v[l->n].name = xstrdup(name);
	l->n++;
	return 0;
}

int berth_harbor_project_list(struct berth_harbor *h, struct berth_project_list *out,
			      struct berth_err *err)
{
	return list_all(h, API "/projects?with_detail=false", "list projects", decode_project, out, 4, err);
}

/* ---- robots ------------------------------------------------------------ */

static int decode_perms(json_t *arr, struct berth_robot *r, struct berth_err *err)
{
	size_t i, j;
	json_t *p, *a;

	if (json_is_null(arr) || !arr)
		return 0;
	if (!json_is_array(arr))
		return berth_err_set(err, BERTH_EPROTO, "harbor: robot '%s': permissions is not an array",
				     r->name);
	r->perms = xcalloc(json_array_size(arr) + 1, sizeof(*r->perms));
	json_array_foreach(arr, i, p) {
		struct berth_permission *perm = &r->perms[r->nperms];
		json_t *acc = berth_json_arr(p, "access");
		const char *kind = berth_json_str(p, "kind"), *ns = berth_json_str(p, "namespace");

		if (!kind || !ns)
			return berth_err_set(err, BERTH_EPROTO,
					     "harbor: robot '%s': permission lacks kind or namespace", r->name);
		perm->kind = xstrdup(kind);
		perm->ns = xstrdup(ns);
		r->nperms++;
		perm->access = xcalloc(json_array_size(acc) + 1, sizeof(*perm->access));
		json_array_foreach(acc, j, a) {
			const char *res = berth_json_str(a, "resource"), *act = berth_json_str(a, "action");
			const char *eff = berth_json_str(a, "effect");

			if (!res || !act)
				return berth_err_set(err, BERTH_EPROTO,
						     "harbor: robot '%s': access lacks resource or action",
						     r->name);
			perm->access[perm->naccess].resource = xstrdup(res);
			perm->access[perm->naccess].action = xstrdup(act);
			perm->access[perm->naccess].effect = eff && *eff ? xstrdup(eff) : NULL;
			perm->naccess++;
		}
	}
	return 0;
}

int berth_harbor__decode_robot(const void *json_robot, struct berth_robot *r, struct berth_err *err)
{
	const json_t *o = json_robot;
	const char *name = berth_json_str(o, "name");
	const char *ct = berth_json_str(o, "creation_time");
	json_t *id = json_is_object(o) ? json_object_get(o, "id") : NULL;
	json_t *dur = json_is_object(o) ? json_object_get(o, "duration") : NULL;
	time_t t;

	memset(r, 0, sizeof(*r));
	if (!json_is_integer(id) || !name)
		return berth_err_set(err, BERTH_EPROTO, "harbor: robot object lacks id or name");
	r->id = json_integer_value(id);
	r->name = xstrdup(name);
	r->description = xstrdup_or_null(berth_json_str(o, "description"));
	r->level = xstrdup(berth_json_str(o, "level") ? berth_json_str(o, "level") : "system");
	r->duration = json_is_integer(dur) ? json_integer_value(dur) : 0;
	r->disable = berth_json_bool(o, "disable", false);
	r->editable = berth_json_bool(o, "editable", true);
	r->expires_at = berth_json_int(o, "expires_at", -1);
	r->creation_time = ct && !berth_parse_time(ct, &t) ? (int64_t)t : 0;
	return decode_perms(json_object_get(o, "permissions"), r, err);
}

static int decode_robot_item(json_t *item, void *list, struct berth_err *err)
{
	struct berth_robot *r = berth_robot_list_add(list);

	return berth_harbor__decode_robot(item, r, err);
}

int berth_harbor_robot_list_system(struct berth_harbor *h, struct berth_robot_list *out,
				   int concurrency, struct berth_err *err)
{
	return list_all(h, API "/robots", "list system robots", decode_robot_item, out, concurrency, err);
}

int berth_harbor_robot_list_project(struct berth_harbor *h, int64_t project_id,
				    struct berth_robot_list *out, int concurrency, struct berth_err *err)
{
	struct berth_buf path = BERTH_BUF_INIT, q = BERTH_BUF_INIT;
	char *op = xasprintf("list robots of project %" PRId64, project_id);
	int ret;

	/* Level and ProjectID are case-sensitive keys; no '+' here, so one encoding suffices. */
	berth_buf_addf(&q, "Level=project,ProjectID=%" PRId64, project_id);
	berth_buf_addstr(&path, API "/robots");
	berth_buf_add_query(&path, "q", q.buf);
	ret = list_all(h, path.buf, op, decode_robot_item, out, concurrency, err);
	berth_buf_release(&path);
	berth_buf_release(&q);
	free(op);
	return ret;
}

static void robot_path(struct berth_buf *b, int64_t id)
{
	berth_buf_addf(b, API "/robots/%" PRId64, id);
}

int berth_harbor_robot_get(struct berth_harbor *h, int64_t id, struct berth_robot *out,
			   struct berth_err *err)
{
	struct berth_buf path = BERTH_BUF_INIT;
	struct berth_http_resp resp;
	json_t *root = NULL;
	char op[64];
	int ret;

	memset(out, 0, sizeof(*out));
	berth_http_resp_init(&resp);
	robot_path(&path, id);
	snprintf(op, sizeof(op), "read robot %" PRId64, id);
	ret = get_json(h, path.buf, op, &root, &resp, err);
	if (!ret)
		ret = berth_harbor__decode_robot(root, out, err);
	json_decref(root);
	berth_buf_release(&path);
	berth_http_resp_release(&resp);
	return ret;
}

static json_t *perms_json(const struct berth_permission *p, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *acc = json_array();

		for (size_t j = 0; j < p[i].naccess; j++) {
			json_t *a = json_pack("{s:s, s:s}", "resource", p[i].access[j].resource,
					      "action", p[i].access[j].action);

			if (p[i].access[j].effect)
				json_object_set_new(a, "effect", json_string(p[i].access[j].effect));
			json_array_append_new(acc, a);
		}
		json_array_append_new(arr, json_pack("{s:s, s:s, s:o}", "kind", p[i].kind, "namespace",
						     p[i].ns, "access", acc));
	}
	return arr;
}

static int send_json(struct berth_harbor *h, const char *method, const char *path, const char *op,
		     json_t *body, int idempotent, struct berth_http_resp *resp, struct berth_err *err)
{
	struct berth_buf b = BERTH_BUF_INIT;
	struct berth_http_req req = { .method = method, .path = path, .op = op,
				      .idempotent = idempotent };
	int ret;

	if (berth_json_dump(&b, body, JSON_COMPACT))
		BERTH_BUG("cannot serialise a request body");
	req.body = b.buf;
	req.body_len = b.len;
	ret = berth_http_do(h->http, &req, resp, err);
	berth_buf_wipe(&b);
	return ret;
}

int berth_harbor_robot_create(struct berth_harbor *h, const struct berth_robot_spec *s,
			      struct berth_robot_created *out, struct berth_err *err)
{
	struct berth_http_resp resp;
	json_t *body, *root = NULL;
	const char *secret, *name;
	char op[300];
	int ret;

	memset(out, 0, sizeof(*out));
	berth_http_resp_init(&resp);
	snprintf(op, sizeof(op), "create robot '%s'", s->name);
	body = json_pack("{s:s, s:s, s:I, s:b, s:o}", "name", s->name, "level", s->level, "duration",
			 (json_int_t)s->duration, "disable", 0, "permissions",
			 perms_json(s->perms, s->nperms));
	if (s->description)
		json_object_set_new(body, "description", json_string(s->description));
	/* Never retried: a lost response is recovered by listing robots on the next run. */
	ret = send_json(h, "POST", API "/robots", op, body, 0, &resp, err);
	json_decref(body);
	if (ret)
		goto out;
	if (resp.status == 409) {
		ret = berth_http_fail(h->http, &resp, err, "%s", op);
		err->code = BERTH_EEXISTS;
		ret = BERTH_EEXISTS;
		goto out;
	}
	if (resp.status != 201) {
		ret = berth_http_fail(h->http, &resp, err, "%s", op);
		goto out;
	}
	ret = berth_json_parse(&root, resp.body.buf, resp.body.len, "harbor robot create response", err);
	if (ret)
		goto out;
	secret = berth_json_str(root, "secret");
	name = berth_json_str(root, "name");
	if (!json_is_integer(json_object_get(root, "id")) || !name) {
		ret = berth_err_set(err, BERTH_EPROTO, "harbor: %s: response lacks id or name", op);
		goto out;
	}
	out->id = json_integer_value(json_object_get(root, "id"));
	out->name = xstrdup(name);
	out->secret = secret ? berth_secret_from_str(secret) : NULL;
	out->expires_at = berth_json_int(root, "expires_at", -1);
out:
	json_decref(root);
	berth_http_resp_release(&resp);
	return ret;
}

void berth_robot_created_release(struct berth_robot_created *c)
{
	free(c->name);
	berth_secret_free(c->secret);
	memset(c, 0, sizeof(*c));
}

int berth_harbor_robot_update(struct berth_harbor *h, const struct berth_robot *r, struct berth_err *err)
{
	struct berth_buf path = BERTH_BUF_INIT;
	struct berth_http_resp resp;
	json_t *body;
	char op[300];
	int ret;

	berth_http_resp_init(&resp);
	robot_path(&path, r->id);
	snprintf(op, sizeof(op), "update robot '%s' (id %" PRId64 ")", r->name, r->id);
	body = json_pack("{s:I, s:s, s:s, s:I, s:b, s:b, s:o}", "id", (json_int_t)r->id, "name",
			 r->name, "level", r->level, "duration", (json_int_t)r->duration, "disable",
			 r->disable, "editable", 1, "permissions", perms_json(r->perms, r->nperms));
	/* An omitted description is cleared by Harbor; send it always. */
	json_object_set_new(body, "description", json_string(r->description ? r->description : ""));
	ret = send_json(h, "PUT", path.buf, op, body, 1, &resp, err);
	json_decref(body);
	if (!ret && resp.status != 200)
		ret = berth_http_fail(h->http, &resp, err, "%s", op);
	berth_buf_release(&path);
	berth_http_resp_release(&resp);
	return ret;
}

int berth_harbor_robot_set_secret(struct berth_harbor *h, int64_t id, const struct berth_secret *secret,
				  struct berth_err *err)
{
	struct berth_buf path = BERTH_BUF_INIT;
	struct berth_http_resp resp;
	json_t *body;
	char op[64];
	int ret;

	berth_http_resp_init(&resp);
	robot_path(&path, id);
	snprintf(op, sizeof(op), "set the secret of robot %" PRId64, id);
	body = json_pack("{s:s}", "secret", berth_secret_reveal(secret, NULL));
	/* Setting a chosen secret twice gives the same state: safe to retry. */
	ret = send_json(h, "PATCH", path.buf, op, body, 1, &resp, err);
	json_decref(body);
	if (!ret && resp.status != 200)
		ret = berth_http_fail(h->http, &resp, err, "%s", op);
	berth_buf_release(&path);
	berth_http_resp_release(&resp);
	return ret;
}

int berth_harbor_robot_delete(struct berth_harbor *h, int64_t id, struct berth_err *err)
{
	struct berth_buf path = BERTH_BUF_INIT;
	struct berth_http_resp resp;
	struct berth_http_req req = { .method = "DELETE", .idempotent = -1 };
	char op[64];
	int ret;

	berth_http_resp_init(&resp);
	robot_path(&path, id);
	snprintf(op, sizeof(op), "delete robot %" PRId64, id);
	req.path = path.buf;
	req.op = op;
	ret = berth_http_do(h->http, &req, &resp, err);
	if (!ret && resp.status != 200)
		ret = berth_http_fail(h->http, &resp, err, "%s", op);
	berth_buf_release(&path);
	berth_http_resp_release(&resp);
	return ret;
}

/* ---- token service ------------------------------------------------------ */

void berth_token_grant_release(struct berth_token_grant *g)
{
	for (size_t i = 0; i < g->naccess; i++) {
		free(g->access[i].type);
		free(g->access[i].name);
	}
	free(g->access);
	free(g->subject);
	memset(g, 0, sizeof(*g));
}

const struct berth_token_access *berth_token_grant_find(const struct berth_token_grant *g,
							 const char *name)
{
	for (size_t i = 0; i < g->naccess; i++)
		if (!strcmp(g->access[i].name, name))
			return &g->access[i];
	return NULL;
}

int berth_harbor__decode_jwt(const char *jwt, struct berth_token_grant *out, struct berth_err *err)
{
	const char *dot1 = strchr(jwt, '.'), *dot2;
	struct berth_buf payload = BERTH_BUF_INIT;
	json_t *claims = NULL, *access, *a;
	size_t i;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	if (!dot1 || !dot2 || berth_base64_decode(&payload, dot1 + 1, (size_t)(dot2 - dot1 - 1), true)) {
		ret = berth_err_set(err, BERTH_EPROTO, "harbor: token service returned a malformed JWT");
		goto out;
	}
	ret = berth_json_parse(&claims, payload.buf, payload.len, "harbor token claims", err);
	if (ret)
		goto out;
	if (!json_is_object(claims)) {
		ret = berth_err_set(err, BERTH_EPROTO, "harbor: token claims are not a JSON object");
		goto out;
	}
	out->subject = xstrdup_or_null(berth_json_str(claims, "sub"));
	out->anonymous = !out->subject || !*out->subject;
	out->expires_at = berth_json_int(claims, "exp", 0);
	access = berth_json_arr(claims, "access");
	out->access = xcalloc(json_array_size(access) + 1, sizeof(*out->access));
	json_array_foreach(access, i, a) {
		struct berth_token_access *ta = &out->access[out->naccess];
		json_t *acts = berth_json_arr(a, "actions"), *act;
		size_t j;

		if (!berth_json_str(a, "type") || !berth_json_str(a, "name"))
			continue;
		ta->type = xstrdup(berth_json_str(a, "type"));
		ta->name = xstrdup(berth_json_str(a, "name"));
		json_array_foreach(acts, j, act) {
			const char *s = json_string_value(act);

			if (!s)
				continue;
			if (!strcmp(s, "pull"))
				ta->pull = true;
			else if (!strcmp(s, "push"))
				ta->push = true;
			else if (!strcmp(s, "delete"))
				ta->del = true;
			else if (!strcmp(s, "*"))
				ta->pull = ta->push = ta->del = true;
		}
		out->naccess++;
	}
out:
	json_decref(claims);
	berth_buf_wipe(&payload);
	return ret;
}

int berth_harbor_token(struct berth_harbor *h, const char *user, const struct berth_secret *secret,
		       const char *const *scopes, size_t nscopes, struct berth_token_grant *out,
		       struct berth_err *err)
{
	struct berth_buf path = BERTH_BUF_INIT;
	struct berth_http_resp resp;
	struct berth_http_req req = { .method = "GET", .op = "ask the token service",
				      .idempotent = 1, .basic_user = user, .basic_secret = secret };
	json_t *root = NULL;
	const char *tok;
	int ret;

	memset(out, 0, sizeof(*out));
	berth_http_resp_init(&resp);
	berth_buf_addstr(&path, "/service/token?service=harbor-registry");
	for (size_t i = 0; i < nscopes; i++)
		berth_buf_add_query(&path, "scope", scopes[i]);
	req.path = path.buf;
	ret = berth_http_do(h->http, &req, &resp, err);
	if (ret)
		goto out;
	if (resp.status == 401) {
		/* Only without scopes: the credentials were refused outright. */
		out->anonymous = true;
		goto out;
	}
	if (resp.status != 200) {
		ret = berth_http_fail(h->http, &resp, err, "ask the token service for '%s'", user);
		goto out;
	}
	ret = berth_json_parse(&root, resp.body.buf, resp.body.len, "harbor: ask the token service: the response",
			       err);
	if (ret)
		goto out;
	/* Harbor always sends "access_token":"" - use it only when non-empty (as docker does). */
	tok = berth_json_str(root, "access_token");
	if (!tok || !*tok)
		tok = berth_json_str(root, "token");
	if (!tok || !*tok) {
		ret = berth_err_set(err, BERTH_EPROTO, "harbor: ask the token service: the response has no token");
		goto out;
	}
	ret = berth_harbor__decode_jwt(tok, out, err);
out:
	json_decref(root);
	berth_buf_release(&path);
	berth_http_resp_release(&resp);
	return ret;
}
