/*
 * sim_harbor.c - the simulated Harbor v2.0 core: routing, the security
 * context (Basic auth for users and robots; bad credentials become
 * anonymous), CSRF on cookie sessions, X-Request-Id, the error envelope,
 * go-swagger's binding rules, RBAC, and the test-only control endpoints.
 * The behaviour follows shared/research/harbor-api.md (Harbor 2.13+ on
 * main); the endpoints live in sim_harbor_robots.c, sim_harbor_projects.c
 * and sim_token.c.
 *
 * CONTROL ENDPOINTS (test only, on the Harbor port, never logged; a real
 * Harbor has none of them, and none reveals a robot's secret)
 *
 *   POST /_sim/harbor/users
 *        {"username","password","sysadmin":false,"email","realname",
 *         "projects":{"<project>":"projectAdmin|maintainer|developer|guest|limitedGuest"}}
 *        -> 201 {"user_id":N}; 409 if the username exists
 *   PUT  /_sim/harbor/members
 *        {"username","project","role":"developer"}  (role "" or null removes)
 *        -> 200 {}
 *   POST /_sim/harbor/projects
 *        {"name","public":false,"owner":"admin"} -> 201 {"project_id":N}
 *        (seeding without going through POST /api/v2.0/projects)
 *   PATCH /_sim/harbor/robots/{id}
 *        {"expires_at":N, "disable":bool, "creation_time":N}
 *        (Unix seconds; each field optional) -> 200 {} ; 404 unknown id
 *   GET  /_sim/harbor/clock  -> {"offset_s":N}
 *   POST /_sim/harbor/clock  {"offset_s":N} -> {"offset_s":N}
 *        The offset moves "now" for robot creation, expiry and
 *        authentication; JWT times from /service/token stay on the real
 *        clock (the registry checks them against its own).
 *   GET  /_sim/harbor/paging -> {"total_count":true,"link_origin":null}
 *   POST /_sim/harbor/paging {"total_count":bool, "link_origin":"https://host:port"|null}
 *        (each field optional) -> the same, as now set
 *        total_count false: GET /robots and GET /projects send no
 *        X-Total-Count (a real Harbor always does), only the Link header,
 *        so that a client's Link paging can be tested. link_origin: put
 *        before each Link target (Harbor sends the path alone), so that
 *        a test can make a link absolute, or point it at another server.
 *        Both are off by default; /_sim/reset leaves them as they are.
 *
 * DESIGN
 * State is in memory, guarded by the API lock the core holds around every
 * handler. Robots are indexed twice: by id (an array, id - 1) and sorted by
 * their DB name (the list endpoint's default order and the robot login
 * look-up), so 10,000 robots list page by page without sorting.
 */
#include "compat.h"
#include "sim_harbor.h"
#include "sim.h"
#include "buf.h"
#include "codec.h"
#include "util.h"
#include "xalloc.h"

#include <ctype.h>
#include <math.h>
#include <strings.h>

/* ---- time ------------------------------------------------------------------ */

int64_t sim_harbor__now(const struct sim_harbor *h)
{
	return sim_now_ms() / 1000 + h->clock_offset_s;
}

int64_t sim_harbor__now_ms(const struct sim_harbor *h)
{
	return sim_now_ms() + h->clock_offset_s * 1000;
}

/* ---- JSON output --------------------------------------------------------- */

/* Append s to out, replacing bytes that are not valid UTF-8 with U+FFFD (Go does). */
static void add_utf8(struct berth_buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = 0;
		unsigned int c = *p;

		if (c < 0x80)
			n = 1;
		else if ((c & 0xe0) == 0xc0 && c >= 0xc2)
			n = 2;
		else if ((c & 0xf0) == 0xe0)
			n = 3;
		else if ((c & 0xf8) == 0xf0 && c <= 0xf4)
			n = 4;
		for (size_t i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				n = 0;
		if (n == 3 && ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0)))
			n = 0;
		if (n == 4 && ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90)))
			n = 0;
		if (!n) {
			berth_buf_addstr(out, "\xef\xbf\xbd");
			p++;
			continue;
		}
		berth_buf_add(out, p, n);
		p += n;
	}
}

json_t *sim_harbor__jstr(const char *s)
{
	struct berth_buf b = BERTH_BUF_INIT;
	json_t *j;

	add_utf8(&b, s ? s : "");
	j = json_stringn(b.buf, b.len);
	berth_buf_release(&b);
	return j;
}

void sim_harbor__json(struct sim_resp *resp, int status, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);

	resp->status = status;
	berth_buf_reset(&resp->body);
	if (s)
		berth_buf_addstr(&resp->body, s);
	berth_buf_addch(&resp->body, '\n');
	free(s);
	json_decref(j);
	free(resp->content_type);
	resp->content_type = NULL;
}

void sim_harbor__error(struct sim_resp *resp, int status, const char *code, const char *fmt, ...)
{
	struct berth_buf msg = BERTH_BUF_INIT;
	json_t *body;
	char *s;
	va_list ap;

	if (status >= 500) {
		code = "UNKNOWN";
		berth_buf_addstr(&msg, "internal server error");
	} else {
		va_start(ap, fmt);
		berth_buf_vaddf(&msg, fmt, ap);
		va_end(ap);
	}
	body = json_pack("{s:[{s:s, s:o}]}", "errors", "code", code, "message", sim_harbor__jstr(msg.buf));
	s = json_dumps(body, JSON_COMPACT);
	resp->status = status;
	berth_buf_reset(&resp->body);
	/* json.Marshal escapes <, > and & */
	for (const char *p = s; p && *p; p++) {
		if (*p == '<')
			berth_buf_addstr(&resp->body, "\\u003c");
		else if (*p == '>')
			berth_buf_addstr(&resp->body, "\\u003e");
		else if (*p == '&')
			berth_buf_addstr(&resp->body, "\\u0026");
		else
			berth_buf_addch(&resp->body, *p);
	}
	berth_buf_addch(&resp->body, '\n');
	free(s);
	json_decref(body);
	berth_buf_release(&msg);
	free(resp->content_type);
	resp->content_type = NULL;
}

void sim_harbor__unprocessable(struct sim_resp *resp, const char *fmt, ...)
{
	struct berth_buf msg = BERTH_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	berth_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	sim_harbor__error(resp, 422, "UNPROCESSABLE_ENTITY", "validation failure list:\n%s", msg.buf);
	berth_buf_release(&msg);
}

void sim_harbor__deny_system(struct sim_resp *resp, const struct sim_harbor_sec *sec)
{
	if (sec->kind == SIM_HARBOR_ANON)
		sim_harbor__error(resp, 401, "UNAUTHORIZED", "unauthorized");
	else
		sim_harbor__error(resp, 403, "FORBIDDEN", "%s", sec->name);
}

void sim_harbor__deny_project(struct sim_resp *resp, const struct sim_harbor_sec *sec)
{
	if (sec->kind == SIM_HARBOR_ANON)
		sim_harbor__error(resp, 401, "UNAUTHORIZED", "unauthorized");
	else
		sim_harbor__error(resp, 403, "FORBIDDEN", "forbidden");
}

static void method_not_allowed(struct sim_resp *resp, const char *method, const char *allowed)
{
	sim_harbor__error(resp, 405, "METHOD_NOT_ALLOWED", "method %s is not allowed, but [%s] are",
			  method, allowed);
}

json_t *sim_harbor__time(int64_t ms)
{
	char t[32];

	sim_time_ms(t, ms);
	return json_string(t);
}

const char *sim_harbor__json_kind(const json_t *v)
{
	return json_is_array(v) ? "array" : json_is_string(v) ? "string" : json_is_boolean(v) ? "bool" : "number";
}

bool sim_harbor__valid_name(const char *s)
{
	/* ^[a-z0-9]+(?:[._-][a-z0-9]+)*$ (robot and project names alike) */
	bool need_alnum = true;

	for (; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9'))
			need_alnum = false;
		else if ((*s == '.' || *s == '_' || *s == '-') && !need_alnum)
			need_alnum = true;
		else
			return false;
	}
	return !need_alnum;
}

/* ---- Go's URL query semantics ---------------------------------------------- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *sim_harbor__go_unescape(const char *s, size_t len)
{
	char *out = xmalloc(len + 1), *o = out;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%') {
			if (i + 2 >= len || hexval((unsigned char)s[i + 1]) < 0 ||
			    hexval((unsigned char)s[i + 2]) < 0) {
				free(out);
				return NULL;
			}
			*o++ = (char)(hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]));
			i += 2;
		} else if (s[i] == '+') {
			*o++ = ' ';
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

void sim_harbor__go_escape(struct berth_buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			berth_buf_addch(out, (char)*p);
		} else if (*p == ' ') {
			berth_buf_addch(out, '+');
		} else {
			berth_buf_addch(out, '%');
			berth_buf_addch(out, hex[*p >> 4]);
			berth_buf_addch(out, hex[*p & 15]);
		}
	}
}

static void qvals_add(struct sim_harbor_qvals *v, char *key, char *value)
{
	struct sim_harbor_qval *q = NULL;

	for (size_t i = 0; i < v->nitems; i++)
		if (!strcmp(v->items[i].key, key))
			q = &v->items[i];
	if (!q) {
		v->items = xrealloc(v->items, sizeof(*v->items) * (v->nitems + 1));
		q = &v->items[v->nitems++];
		q->key = key;
		q->values = NULL;
		q->nvalues = 0;
	} else {
		free(key);
	}
	q->values = xrealloc(q->values, sizeof(*q->values) * (q->nvalues + 1));
	q->values[q->nvalues++] = value;
}

void sim_harbor__qvals_parse(struct sim_harbor_qvals *v, const char *raw)
{
	const char *p = raw;

	v->items = NULL;
	v->nitems = 0;
	while (*p) {
		const char *amp = strchr(p, '&');
		size_t n = amp ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', n);
		char *key, *value;

		if (n && !memchr(p, ';', n)) {
			key = sim_harbor__go_unescape(p, eq ? (size_t)(eq - p) : n);
			value = eq ? sim_harbor__go_unescape(eq + 1, n - (size_t)(eq - p) - 1) : xstrdup("");
			if (key && value)
				qvals_add(v, key, value);
			else {
				free(key);
				free(value);
			}
		}
		p += n;
		if (*p == '&')
			p++;
	}
}

void sim_harbor__qvals_release(struct sim_harbor_qvals *v)
{
	for (size_t i = 0; i < v->nitems; i++) {
		for (size_t j = 0; j < v->items[i].nvalues; j++)
			free(v->items[i].values[j]);
		free(v->items[i].values);
		free(v->items[i].key);
	}
	free(v->items);
	v->items = NULL;
	v->nitems = 0;
}

const struct sim_harbor_qval *sim_harbor__qvals_get(const struct sim_harbor_qvals *v, const char *key)
{
	for (size_t i = 0; i < v->nitems; i++)
		if (!strcmp(v->items[i].key, key))
			return &v->items[i];
	return NULL;
}

bool sim_harbor__convert_int64(const char *raw, int64_t *out)
{
	char *end;
	double f;

	/* swag.ConvertInt64: strconv.ParseFloat, then it must be a JSON integer */
	errno = 0;
	f = strtod(raw, &end);
	if (!*raw || isspace((unsigned char)*raw) || *end || errno || !isfinite(f) ||
	    f > 9007199254740992.0 || f < -9007199254740992.0 || f != (double)(int64_t)f)
		return false;
	*out = (int64_t)f;
	return true;
}

int64_t sim_harbor__bind_int64(const struct sim_harbor_qvals *v, const char *name, int64_t def,
			       struct berth_buf *errs)
{
	const struct sim_harbor_qval *q = sim_harbor__qvals_get(v, name);
	const char *raw;
	int64_t n;

	/* go-swagger binds the last value; "" means "use the default" */
	if (!q || !q->nvalues || !*(raw = q->values[q->nvalues - 1]))
		return def;
	if (!sim_harbor__convert_int64(raw, &n)) {
		if (errs->len)
			berth_buf_addch(errs, '\n');
		berth_buf_addf(errs, "%s in query must be of type int64: \"%s\"", name, raw);
		return def;
	}
	return n;
}

/* ---- Link header (handler/base.go Links) -------------------------------------------- */

/* Set page/page_size in raw, re-encode (keys sorted), then unescape once more. */
static char *link_query(const char *raw, int64_t page, int64_t size)
{
	struct sim_harbor_qvals v;
	struct berth_buf enc = BERTH_BUF_INIT;
	const struct sim_harbor_qval **sorted;
	char *un, num[32];
	size_t n;

	sim_harbor__qvals_parse(&v, raw);
	for (int k = 0; k < 2; k++) {
		const char *key = k ? "page_size" : "page";
		struct sim_harbor_qval *q = (struct sim_harbor_qval *)sim_harbor__qvals_get(&v, key);

		snprintf(num, sizeof(num), "%" PRId64, k ? size : page);
		if (!q) {
			v.items = xrealloc(v.items, sizeof(*v.items) * (v.nitems + 1));
			q = &v.items[v.nitems++];
			q->key = xstrdup(key);
			q->values = NULL;
			q->nvalues = 0;
		}
		for (size_t i = 0; i < q->nvalues; i++)
			free(q->values[i]);
		q->values = xrealloc(q->values, sizeof(*q->values));
		q->values[0] = xstrdup(num);
		q->nvalues = 1;
	}
	n = v.nitems;
	sorted = xcalloc(n + 1, sizeof(*sorted));
	for (size_t i = 0; i < n; i++) {
		size_t j = i;

		while (j > 0 && strcmp(sorted[j - 1]->key, v.items[i].key) > 0) {
			sorted[j] = sorted[j - 1];
			j--;
		}
		sorted[j] = &v.items[i];
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < sorted[i]->nvalues; j++) {
			if (enc.len)
				berth_buf_addch(&enc, '&');
			sim_harbor__go_escape(&enc, sorted[i]->key);
			berth_buf_addch(&enc, '=');
			sim_harbor__go_escape(&enc, sorted[i]->values[j]);
		}
	}
	free(sorted);
	sim_harbor__qvals_release(&v);
	un = sim_harbor__go_unescape(enc.buf, enc.len);
	if (!un)
		return berth_buf_detach(&enc, NULL);
	berth_buf_release(&enc);
	return un;
}

void sim_harbor__links(const struct sim_harbor *h, struct sim_resp *resp, const struct sim_req *req,
		       int64_t total, int64_t page, int64_t size)
{
	struct berth_buf links = BERTH_BUF_INIT;
	char *raw = xstrdup(req->raw_query), *q;
	const char *origin = h->link_origin ? h->link_origin : "";

	if (!size)
		goto out;
	if (page > 1 && (page - 1) * size < total) {
		q = link_query(raw, page - 1, size);
		berth_buf_addf(&links, "<%s%s?%s>; rel=\"prev\"", origin, req->raw_path, q);
		free(raw);
		raw = q; /* the next link is built from the modified URL */
	}
	if (size * page < total) {
		q = link_query(raw, page + 1, size);
		if (links.len)
			berth_buf_addstr(&links, " , ");
		berth_buf_addf(&links, "<%s%s?%s>; rel=\"next\"", origin, req->raw_path, q);
		free(q);
	}
	if (links.len)
		sim_resp_header(resp, "Link", links.buf);
out:
	free(raw);
	berth_buf_release(&links);
}

void sim_harbor__total_count(const struct sim_harbor *h, struct sim_resp *resp, int64_t total)
{
	char s[32];

	if (h->omit_total_count)
		return;
	snprintf(s, sizeof(s), "%" PRId64, total);
	sim_resp_header(resp, "X-Total-Count", s);
}

/* ---- request bodies, decoded the way go-swagger and encoding/json do ------ */

json_t *sim_harbor__body(const struct sim_req *req, struct sim_resp *resp, const char *param)
{
	const char *ct = sim_header(req, "Content-Type");
	struct berth_buf media = BERTH_BUF_INIT;
	json_error_t e;
	json_t *j;
	size_t i;

	if (!req->body.len) {
		sim_harbor__unprocessable(resp, "%s in body is required", param);
		return NULL;
	}
	if (!ct || !*ct)
		ct = "application/octet-stream";
	for (i = 0; ct[i] && ct[i] != ';'; i++)
		berth_buf_addch(&media, (char)tolower((unsigned char)ct[i]));
	berth_buf_rtrim(&media);
	if (strcmp(media.buf, "application/json")) {
		sim_harbor__unprocessable(resp, "unsupported media type \"%s\", only [application/json] are allowed",
					  ct);
		berth_buf_release(&media);
		return NULL;
	}
	berth_buf_release(&media);
	for (i = 0; i < req->body.len && isspace((unsigned char)req->body.buf[i]); i++)
		;
	if (i == req->body.len) {
		sim_harbor__unprocessable(resp, "parsing %s body from \"\" failed, because EOF", param);
		return NULL;
	}
	/* json.Decoder reads the first value and ignores what follows it */
	j = json_loadb(req->body.buf, req->body.len, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &e);
	if (!j) {
		sim_harbor__unprocessable(resp, "parsing %s body from \"\" failed, because %s", param, e.text);
		return NULL;
	}
	return j;
}

json_t *sim_harbor__field(json_t *obj, const char *name)
{
	json_t *found = NULL, *v;
	const char *k;

	if (!json_is_object(obj))
		return NULL;
	json_object_foreach(obj, k, v)
		if (!strcasecmp(k, name))
			found = v;
	return found;
}

static const char *go_json_type(const json_t *v, char *num, size_t n)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_TRUE:
	case JSON_FALSE: return "bool";
	case JSON_REAL:
		snprintf(num, n, "number %.17g", json_real_value(v));
		return num;
	case JSON_INTEGER: return "number";
	case JSON_NULL: return "null";
	}
	return "?";
}

static int type_error(struct berth_buf *msg, const json_t *v, const char *path, const char *gotype)
{
	char num[64];

	berth_buf_reset(msg);
	berth_buf_addf(msg, "json: cannot unmarshal %s into Go struct field %s of type %s",
		       go_json_type(v, num, sizeof(num)), path, gotype);
	return -1;
}

int sim_harbor__get_str(json_t *obj, const char *name, const char *path, const char **out,
			struct berth_buf *msg)
{
	json_t *v = sim_harbor__field(obj, name);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return type_error(msg, v, path, "string");
	*out = json_string_value(v);
	return 0;
}

int sim_harbor__get_int(json_t *obj, const char *name, const char *path, int64_t *out, bool *present,
			struct berth_buf *msg)
{
	json_t *v = sim_harbor__field(obj, name);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return type_error(msg, v, path, "int64");
	*out = json_integer_value(v);
	if (present)
		*present = true;
	return 0;
}

int sim_harbor__get_bool(json_t *obj, const char *name, const char *path, bool *out,
			 struct berth_buf *msg)
{
	json_t *v = sim_harbor__field(obj, name);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return type_error(msg, v, path, "bool");
	*out = json_is_true(v);
	return 0;
}

int sim_harbor__get_kind(json_t *obj, const char *name, const char *path, json_type want,
			 const char *gotype, json_t **out, struct berth_buf *msg)
{
	json_t *v = sim_harbor__field(obj, name);

	if (!v || json_is_null(v))
		return 0;
	if (json_typeof(v) != want)
		return type_error(msg, v, path, gotype);
	*out = v;
	return 0;
}

/* ---- look-ups ---------------------------------------------------------------- */

struct sim_harbor_project *sim_harbor__project_by_name(struct sim_harbor *h, const char *name)
{
	for (size_t i = 0; i < h->nprojects; i++)
		if (!strcmp(h->projects[i]->name, name))
			return h->projects[i];
	return NULL;
}

struct sim_harbor_project *sim_harbor__project_by_id(struct sim_harbor *h, int64_t id)
{
	for (size_t i = 0; i < h->nprojects; i++)
		if (h->projects[i]->id == id)
			return h->projects[i];
	return NULL;
}

struct sim_harbor_user *sim_harbor__user_by_id(struct sim_harbor *h, int64_t id)
{
	for (size_t i = 0; i < h->nusers; i++)
		if (h->users[i]->id == id)
			return h->users[i];
	return NULL;
}

static struct sim_harbor_user *user_by_name(struct sim_harbor *h, const char *name)
{
	for (size_t i = 0; i < h->nusers; i++)
		if (!strcmp(h->users[i]->username, name))
			return h->users[i];
	return NULL;
}

bool sim_harbor__project_public(const struct sim_harbor_project *p)
{
	const char *v = json_string_value(json_object_get(p->metadata, "public"));

	return v && !strcmp(v, "true");
}

int sim_harbor__user_role(const struct sim_harbor_user *u, int64_t project_id)
{
	for (size_t i = 0; i < u->nmembers; i++)
		if (u->members[i].project_id == project_id)
			return u->members[i].role;
	return SIM_HARBOR_ROLE_NONE;
}

struct sim_harbor_robot *sim_harbor__robot_by_id(struct sim_harbor *h, int64_t id)
{
	if (id < 1 || (uint64_t)id > h->nrobot_ids)
		return NULL;
	return h->robot_by_id[id - 1];
}

struct sim_harbor_robot *sim_harbor__robot_by_dbname(struct sim_harbor *h, const char *name)
{
	size_t lo = 0, hi = h->nrobots;

	/* first robot with this name in the name-sorted index (Harbor lists and takes [0]) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(h->robots[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < h->nrobots && !strcmp(h->robots[lo]->name, name))
		return h->robots[lo];
	return NULL;
}

void sim_harbor__hash(const char *salt, const char *secret, char out[65])
{
	struct berth_buf b = BERTH_BUF_INIT;

	berth_buf_addstr(&b, salt);
	berth_buf_addstr(&b, secret);
	berth_sha256_hex(b.buf, b.len, out);
	berth_buf_wipe(&b);
}

/* ---- RBAC ------------------------------------------------------------------- */

/*
 * The robot permission catalogue (src/common/rbac/const.go PoliciesMap plus
 * NolimitProvider's extras), "resource:action" in Harbor's order.
 */
static const char *const catalogue_system[] = {
	"audit-log:list",
	"preheat-instance:read", "preheat-instance:create", "preheat-instance:delete",
	"preheat-instance:list", "preheat-instance:update",
	"project:list", "project:create",
	"replication-policy:read", "replication-policy:create", "replication-policy:delete",
	"replication-policy:list", "replication-policy:update",
	"replication:read", "replication:create", "replication:list",
	"replication-adapter:list",
	"registry:read", "registry:create", "registry:delete", "registry:list", "registry:update",
	"scan-all:read", "scan-all:update", "scan-all:stop", "scan-all:create",
	"system-volumes:read",
	"garbage-collection:read", "garbage-collection:create", "garbage-collection:list",
	"garbage-collection:update", "garbage-collection:stop",
	"purge-audit:read", "purge-audit:create", "purge-audit:list", "purge-audit:update",
	"purge-audit:stop",
	"jobservice-monitor:list", "jobservice-monitor:stop",
	"scanner:read", "scanner:create", "scanner:delete", "scanner:list", "scanner:update",
	"label:read", "label:create", "label:delete", "label:update",
	"security-hub:read", "security-hub:list",
	"catalog:read",
	"quota:read", "quota:list",
	"robot:create", "robot:read", "robot:list", "robot:delete",
	"user:create", "user:read", "user:update", "user:list", "user:delete",
	"ldap-user:create", "ldap-user:list",
	"quota:update",
	"user-group:create", "user-group:read", "user-group:update", "user-group:list", "user-group:delete",
	NULL,
};

static const char *const catalogue_project[] = {
	"log:list",
	"project:read", "project:delete", "project:update",
	"metadata:read", "metadata:create", "metadata:delete", "metadata:list", "metadata:update",
	"repository:read", "repository:update", "repository:delete", "repository:list",
	"repository:pull", "repository:push",
	"artifact:read", "artifact:create", "artifact:list", "artifact:delete",
	"scan:create", "scan:read", "scan:stop",
	"sbom:create", "sbom:stop", "sbom:read",
	"tag:create", "tag:list", "tag:delete",
	"accessory:list",
	"artifact-addition:read",
	"artifact-label:create", "artifact-label:delete",
	"scanner:create", "scanner:read",
	"preheat-policy:read", "preheat-policy:create", "preheat-policy:delete", "preheat-policy:list",
	"preheat-policy:update",
	"immutable-tag:create", "immutable-tag:delete", "immutable-tag:list", "immutable-tag:update",
	"notification-policy:read", "notification-policy:create", "notification-policy:delete",
	"notification-policy:list", "notification-policy:update",
	"tag-retention:read", "tag-retention:create", "tag-retention:delete", "tag-retention:list",
	"tag-retention:update",
	"label:read", "label:create", "label:delete", "label:list", "label:update",
	"quota:read",
	"robot:create", "robot:read", "robot:list", "robot:delete",
	"export-cve:create", "export-cve:read",
	"member:create", "member:read", "member:update", "member:list", "member:delete",
	NULL,
};

static const char *const *catalogue(const char *kind)
{
	if (!strcmp(kind, "system"))
		return catalogue_system;
	if (!strcmp(kind, "project"))
		return catalogue_project;
	return NULL;
}

static bool pair_eq(const char *pair, const char *resource, const char *action)
{
	size_t n = strlen(resource);

	return !strncmp(pair, resource, n) && pair[n] == ':' && !strcmp(pair + n + 1, action);
}

bool sim_harbor__catalogue_has(const char *kind, const char *resource, const char *action)
{
	const char *const *c = catalogue(kind);

	for (; c && *c; c++)
		if (pair_eq(*c, resource, action))
			return true;
	return false;
}

json_t *sim_harbor__catalogue_json(const char *kind)
{
	json_t *a = json_array();

	for (const char *const *c = catalogue(kind); c && *c; c++) {
		const char *colon = strchr(*c, ':');

		json_array_append_new(a, json_pack("{s:s, s:s%}", "action", colon + 1, "resource", *c,
						   (size_t)(colon - *c)));
	}
	return a;
}

/*
 * Project role policies (src/common/rbac/project/rbac_role.go on main),
 * " resource:action " tokens; ":read" is the project itself.
 */
static const char *const role_policies[] = {
	[SIM_HARBOR_ROLE_PROJECT_ADMIN] =
		" :read :update :delete member:create member:read member:update member:delete member:list"
		" metadata:create metadata:read metadata:update metadata:delete log:list label:create"
		" label:read label:update label:delete label:list quota:read repository:create"
		" repository:read repository:update repository:delete repository:list repository:pull"
		" repository:push tag-retention:create tag-retention:read tag-retention:update"
		" tag-retention:delete tag-retention:list tag-retention:operate immutable-tag:create"
		" immutable-tag:update immutable-tag:delete immutable-tag:list configuration:read"
		" configuration:update robot:create robot:read robot:update robot:delete robot:list"
		" notification-policy:create notification-policy:update notification-policy:delete"
		" notification-policy:list notification-policy:read scan:create scan:read scan:stop"
		" sbom:create sbom:stop sbom:read scanner:read scanner:create artifact:create"
		" artifact:read artifact:delete artifact:list artifact-addition:read tag:list tag:create"
		" tag:delete accessory:list artifact-label:create artifact-label:delete"
		" preheat-policy:create preheat-policy:read preheat-policy:update preheat-policy:delete"
		" preheat-policy:list export-cve:create export-cve:read export-cve:list ",
	[SIM_HARBOR_ROLE_MAINTAINER] =
		" :read member:read member:list metadata:read quota:read label:create label:read"
		" label:update label:delete label:list repository:create repository:read repository:update"
		" repository:delete repository:list repository:push repository:pull tag-retention:create"
		" tag-retention:read tag-retention:update tag-retention:delete tag-retention:list"
		" tag-retention:operate accessory:list immutable-tag:create immutable-tag:update"
		" immutable-tag:delete immutable-tag:list configuration:read robot:read robot:list"
		" notification-policy:read notification-policy:list scan:create scan:read scan:stop"
		" sbom:create sbom:stop sbom:read scanner:read artifact:create artifact:read"
		" artifact:delete artifact:list artifact-addition:read tag:list tag:create tag:delete"
		" artifact-label:create artifact-label:delete export-cve:create export-cve:read"
		" export-cve:list ",
	[SIM_HARBOR_ROLE_DEVELOPER] =
		" :read member:read member:list label:read label:list quota:read repository:create"
		" repository:read repository:update repository:list repository:push repository:pull"
		" tag-retention:create tag-retention:read tag-retention:update tag-retention:delete"
		" tag-retention:list tag-retention:operate configuration:read robot:read robot:list"
		" scan:read sbom:read scanner:read artifact:create artifact:read artifact:list"
		" artifact-addition:read tag:list tag:create accessory:list artifact-label:create"
		" artifact-label:delete export-cve:create export-cve:read export-cve:list ",
	[SIM_HARBOR_ROLE_GUEST] =
		" :read member:read member:list label:read label:list quota:read repository:read"
		" repository:list repository:pull configuration:read robot:read robot:list scan:read"
		" sbom:read scanner:read tag:list accessory:list artifact:read artifact:list"
		" artifact-addition:read ",
	[SIM_HARBOR_ROLE_LIMITED_GUEST] =
		" :read quota:read repository:list repository:read repository:pull configuration:read"
		" scan:read sbom:read scanner:read tag:list accessory:list artifact:read artifact:list"
		" artifact-addition:read ",
};

/* Policies every caller has on a public project (rbac_util.go publicProjectPolicies). */
static const char public_policies[] =
	" :read label:read label:list repository:list repository:pull scan:read scanner:read tag:list"
	" artifact:read artifact:list artifact-addition:read accessory:list ";

static bool tokens_have(const char *tokens, const char *resource, const char *action)
{
	struct berth_buf t = BERTH_BUF_INIT;
	bool found;

	berth_buf_addf(&t, " %s:%s ", resource, action);
	found = strstr(tokens, t.buf) != NULL;
	berth_buf_release(&t);
	return found;
}

/* casbin keyMatch2 as Harbor builds it: a slash and star match any rest. */
static bool key_match(const char *key, const char *pattern)
{
	for (;;) {
		if (pattern[0] == '/' && pattern[1] == '*') {
			const char *rest = pattern + 2;

			if (*key != '/')
				return false;
			for (const char *k = key + 1;; k++) {
				if (key_match(k, rest))
					return true;
				if (!*k)
					return false;
			}
		}
		if (!*pattern || !*key)
			return !*pattern && !*key;
		if (*pattern != *key)
			return false;
		pattern++;
		key++;
	}
}

/* The robot's policy resource for one access (robot/context.go getPolicyResource). */
static void policy_resource(struct berth_buf *out, const struct sim_harbor_perm *p,
			    const struct sim_harbor_access *a)
{
	berth_buf_reset(out);
	if (!strncmp(p->scope, "/project", 8) && !strcmp(a->resource, "project"))
		berth_buf_addstr(out, p->scope);
	else
		berth_buf_addf(out, "%s/%s", p->scope, a->resource);
}

/*
 * Evaluate a robot's policies for the request resource. System robots have
 * a system and a project evaluator; project robots keep only the policies
 * of their own project, where push brings pull (filterRobotPolicies).
 */
static int robot_eval(const struct sim_harbor_robot *r, const char *req_res, const char *action,
		      int64_t project_id)
{
	struct berth_buf pr = BERTH_BUF_INIT, ns = BERTH_BUF_INIT;
	bool allow = false, deny = false;

	if (project_id)
		berth_buf_addf(&ns, "/project/%" PRId64, project_id);
	for (size_t i = 0; i < r->nperms; i++) {
		const struct sim_harbor_perm *p = &r->perms[i];

		for (size_t j = 0; j < p->naccess; j++) {
			const struct sim_harbor_access *a = &p->access[j];
			bool act_ok = !strcmp(a->action, action) || !strcmp(a->action, "*");
			bool push_pull = false;

			policy_resource(&pr, p, a);
			if (r->project_id) {
				/* project robot: only policies whose namespace is this project */
				if (!project_id || strcmp(p->scope, ns.buf))
					continue;
				push_pull = !strcmp(a->action, "push") && !strcmp(action, "pull");
			}
			if (!act_ok && !push_pull)
				continue;
			if (!key_match(req_res, pr.buf))
				continue;
			if (a->effect && !strcmp(a->effect, "deny") && act_ok)
				deny = true;
			else
				allow = true;
		}
	}
	berth_buf_release(&pr);
	berth_buf_release(&ns);
	return deny ? -1 : allow ? 1 : 0;
}

bool sim_harbor__can_system(struct sim_harbor *h, const struct sim_harbor_sec *sec,
			    const char *resource, const char *action)
{
	struct berth_buf res = BERTH_BUF_INIT;
	bool ok = false;

	(void)h;
	if (sec->kind == SIM_HARBOR_USER)
		return sec->user->sysadmin;
	if (sec->kind != SIM_HARBOR_ROBOT || sec->robot->project_id)
		return false;
	berth_buf_addf(&res, "/system/%s", resource);
	ok = robot_eval(sec->robot, res.buf, action, 0) > 0;
	berth_buf_release(&res);
	return ok;
}

bool sim_harbor__can_project(struct sim_harbor *h, const struct sim_harbor_sec *sec, int64_t project_id,
			     const char *resource, const char *action)
{
	struct sim_harbor_project *p;
	struct berth_buf res = BERTH_BUF_INIT;
	int verdict = 0;

	if (sec->kind == SIM_HARBOR_USER && sec->user->sysadmin)
		return true;
	p = sim_harbor__project_by_id(h, project_id);
	if (!p)
		return false;
	if (sec->kind == SIM_HARBOR_USER) {
		int role = sim_harbor__user_role(sec->user, project_id);

		if (role > 0 && role < (int)BERTH_ARRAY_SIZE(role_policies) &&
		    tokens_have(role_policies[role], resource, action))
			verdict = 1;
	} else if (sec->kind == SIM_HARBOR_ROBOT) {
		if (*resource)
			berth_buf_addf(&res, "/project/%" PRId64 "/%s", project_id, resource);
		else
			berth_buf_addf(&res, "/project/%" PRId64, project_id);
		verdict = robot_eval(sec->robot, res.buf, action, project_id);
		berth_buf_release(&res);
	}
	if (verdict < 0)
		return false;
	if (!verdict && sim_harbor__project_public(p) && tokens_have(public_policies, resource, action))
		verdict = 1;
	return verdict > 0;
}

/* ---- authentication ---------------------------------------------------------- */

void sim_harbor__sec_release(struct sim_harbor_sec *sec)
{
	free(sec->name);
	memset(sec, 0, sizeof(*sec));
}

void sim_harbor__authenticate(struct sim_harbor *h, const struct sim_req *req, struct sim_harbor_sec *sec)
{
	char *user = NULL, *pass = NULL, hash[65];

	memset(sec, 0, sizeof(*sec));
	if (!sim_basic_auth(req, &user, &pass))
		goto out;
	/* the robot generator: the prefix, then the exact DB name */
	if (berth_starts_with(user, h->prefix)) {
		struct sim_harbor_robot *r = sim_harbor__robot_by_dbname(h, user + strlen(h->prefix));

		if (r) {
			int64_t now = sim_harbor__now(h);

			sim_harbor__hash(r->salt, pass, hash);
			if (!strcmp(hash, r->hash) && !r->disabled &&
			    (r->expires_at == -1 || r->expires_at > now)) {
				sec->kind = SIM_HARBOR_ROBOT;
				sec->robot = r;
				sec->name = xasprintf("%s%s", h->prefix, r->name);
				goto out;
			}
		}
	}
	/* the basic-auth generator: a local user; a failed login stays anonymous */
	{
		struct sim_harbor_user *u = user_by_name(h, user);

		if (u) {
			sim_harbor__hash(u->salt, pass, hash);
			if (!strcmp(hash, u->hash)) {
				sec->kind = SIM_HARBOR_USER;
				sec->user = u;
				sec->name = xstrdup(u->username);
			}
		}
	}
out:
	if (pass) {
		explicit_bzero(pass, strlen(pass));
		free(pass);
	}
	free(user);
}

/* ---- users and seeding ---------------------------------------------------- */

static struct sim_harbor_user *user_add(struct sim_harbor *h, const char *name, const char *password,
					bool sysadmin)
{
	struct sim_harbor_user *u = xcalloc(1, sizeof(*u));

	u->id = h->nusers ? h->users[h->nusers - 1]->id + 1 : 1;
	u->username = xstrdup(name);
	sim_random_alnum(u->salt, 16);
	sim_harbor__hash(u->salt, password, u->hash);
	u->sysadmin = sysadmin;
	u->email = xasprintf("%s@example.com", name);
	u->realname = xstrdup(sysadmin && !strcmp(name, "admin") ? "system admin" : name);
	u->comment = xstrdup(!strcmp(name, "admin") ? "admin user" : "");
	u->creation_ms = u->update_ms = sim_now_ms();
	BERTH_ALLOC_GROW(h->users, h->nusers + 1, h->ausers);
	h->users[h->nusers++] = u;
	return u;
}

static int role_from_name(const char *s)
{
	static const struct { const char *name; int role; } roles[] = {
		{ "projectAdmin", SIM_HARBOR_ROLE_PROJECT_ADMIN },
		{ "maintainer", SIM_HARBOR_ROLE_MAINTAINER },
		{ "developer", SIM_HARBOR_ROLE_DEVELOPER },
		{ "guest", SIM_HARBOR_ROLE_GUEST },
		{ "limitedGuest", SIM_HARBOR_ROLE_LIMITED_GUEST },
	};

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(roles); i++)
		if (!strcmp(roles[i].name, s))
			return roles[i].role;
	return -1;
}

void sim_harbor__member_set(struct sim_harbor_user *u, int64_t project_id, int role)
{
	for (size_t i = 0; i < u->nmembers; i++) {
		if (u->members[i].project_id == project_id) {
			if (role) {
				u->members[i].role = role;
			} else {
				u->members[i] = u->members[u->nmembers - 1];
				u->nmembers--;
			}
			return;
		}
	}
	if (!role)
		return;
	BERTH_ALLOC_GROW(u->members, u->nmembers + 1, u->amembers);
	u->members[u->nmembers].project_id = project_id;
	u->members[u->nmembers].role = role;
	u->nmembers++;
}

/* ---- control endpoints --------------------------------------------------- */

static void ctl_error(struct sim_resp *resp, int status, const char *msg)
{
	sim_resp_json(resp, status, json_pack("{s:s}", "error", msg));
}

static void ctl_users(struct sim_harbor *h, struct sim_req *req, struct sim_resp *resp)
{
	json_t *body = sim_body_json(req), *projects, *v;
	const char *name, *password, *k;
	struct sim_harbor_user *u;

	name = json_string_value(json_object_get(body, "username"));
	password = json_string_value(json_object_get(body, "password"));
	projects = json_object_get(body, "projects");
	if (!name || !*name || !password || (projects && !json_is_object(projects))) {
		ctl_error(resp, 400, "need {\"username\",\"password\"[,\"sysadmin\",\"projects\"]}");
		goto out;
	}
	if (user_by_name(h, name)) {
		ctl_error(resp, 409, "user exists");
		goto out;
	}
	json_object_foreach(projects, k, v) {
		if (!sim_harbor__project_by_name(h, k) || !json_is_string(v) ||
		    role_from_name(json_string_value(v)) < 0) {
			ctl_error(resp, 400, "unknown project or role");
			goto out;
		}
	}
	u = user_add(h, name, password, json_is_true(json_object_get(body, "sysadmin")));
	if (json_is_string(json_object_get(body, "email"))) {
		free(u->email);
		u->email = xstrdup(json_string_value(json_object_get(body, "email")));
	}
	if (json_is_string(json_object_get(body, "realname"))) {
		free(u->realname);
		u->realname = xstrdup(json_string_value(json_object_get(body, "realname")));
	}
	json_object_foreach(projects, k, v)
		sim_harbor__member_set(u, sim_harbor__project_by_name(h, k)->id, role_from_name(json_string_value(v)));
	sim_resp_json(resp, 201, json_pack("{s:I}", "user_id", (json_int_t)u->id));
out:
	json_decref(body);
}

static void ctl_members(struct sim_harbor *h, struct sim_req *req, struct sim_resp *resp)
{
	json_t *body = sim_body_json(req);
	const char *name = json_string_value(json_object_get(body, "username"));
	const char *project = json_string_value(json_object_get(body, "project"));
	const char *role = json_string_value(json_object_get(body, "role"));
	struct sim_harbor_user *u = name ? user_by_name(h, name) : NULL;
	struct sim_harbor_project *p = project ? sim_harbor__project_by_name(h, project) : NULL;
	int r = role && *role ? role_from_name(role) : 0;

	if (!u || !p || r < 0)
		ctl_error(resp, 400, "need an existing username and project, and a known role");
	else {
		sim_harbor__member_set(u, p->id, r);
		sim_resp_json(resp, 200, json_object());
	}
	json_decref(body);
}

static void ctl_projects(struct sim_harbor *h, struct sim_req *req, struct sim_resp *resp)
{
	json_t *body = sim_body_json(req);
	const char *name = json_string_value(json_object_get(body, "name"));
	const char *owner = json_string_value(json_object_get(body, "owner"));
	struct sim_harbor_user *u = user_by_name(h, owner ? owner : "admin");
	struct sim_harbor_project *p;

	if (!name || !*name || !u)
		ctl_error(resp, 400, "need {\"name\"[,\"public\",\"owner\"]}");
	else if (sim_harbor__project_by_name(h, name))
		ctl_error(resp, 409, "project exists");
	else {
		p = sim_harbor__project_add(h, name, json_is_true(json_object_get(body, "public")), u->id);
		sim_harbor__member_set(u, p->id, SIM_HARBOR_ROLE_PROJECT_ADMIN);
		sim_resp_json(resp, 201, json_pack("{s:I}", "project_id", (json_int_t)p->id));
	}
	json_decref(body);
}

static void ctl_robot(struct sim_harbor *h, struct sim_req *req, struct sim_resp *resp, const char *id_s)
{
	json_t *body = sim_body_json(req), *v;
	struct sim_harbor_robot *r;
	long long id;

	if (berth_parse_long(id_s, 1, INT64_MAX, &id) || !(r = sim_harbor__robot_by_id(h, id))) {
		ctl_error(resp, 404, "no such robot");
		goto out;
	}
	if (!json_is_object(body)) {
		ctl_error(resp, 400, "need {\"expires_at\",\"disable\",\"creation_time\"}");
		goto out;
	}
	v = json_object_get(body, "expires_at");
	if (json_is_integer(v))
		r->expires_at = json_integer_value(v);
	v = json_object_get(body, "disable");
	if (json_is_boolean(v))
		r->disabled = json_is_true(v);
	v = json_object_get(body, "creation_time");
	if (json_is_integer(v))
		r->creation_ms = json_integer_value(v) * 1000;
	sim_resp_json(resp, 200, json_object());
out:
	json_decref(body);
}

static void ctl_paging(struct sim_harbor *h, struct sim_req *req, struct sim_resp *resp)
{
	json_t *body, *tc, *lo;

	if (!strcmp(req->method, "POST")) {
		body = sim_body_json(req);
		tc = json_object_get(body, "total_count");
		lo = json_object_get(body, "link_origin");
		if (!json_is_object(body) || (tc && !json_is_boolean(tc)) ||
		    (lo && !json_is_string(lo) && !json_is_null(lo))) {
			ctl_error(resp, 400, "need {\"total_count\":bool, "
					     "\"link_origin\":\"scheme://host:port\"|null}");
			json_decref(body);
			return;
		}
		if (tc)
			h->omit_total_count = !json_is_true(tc);
		if (lo) {
			free(h->link_origin);
			h->link_origin = json_is_string(lo) && *json_string_value(lo) ?
						 xstrdup(json_string_value(lo)) : NULL;
		}
		json_decref(body);
	}
	sim_resp_json(resp, 200, json_pack("{s:b, s:s?}", "total_count", !h->omit_total_count,
					   "link_origin", h->link_origin));
}

static void control(struct sim_harbor *h, struct sim_req *req, struct sim_resp *resp)
{
	const char *p = req->path + strlen("/_sim/harbor");
	bool post = !strcmp(req->method, "POST");

	if (!strcmp(p, "/users") && post) {
		ctl_users(h, req, resp);
	} else if (!strcmp(p, "/members") && (post || !strcmp(req->method, "PUT"))) {
		ctl_members(h, req, resp);
	} else if (!strcmp(p, "/projects") && post) {
		ctl_projects(h, req, resp);
	} else if (!strncmp(p, "/robots/", 8) && (post || !strcmp(req->method, "PATCH"))) {
		ctl_robot(h, req, resp, p + 8);
	} else if (!strcmp(p, "/paging")) {
		ctl_paging(h, req, resp);
	} else if (!strcmp(p, "/clock")) {
		if (post) {
			json_t *body = sim_body_json(req);
			json_t *off = json_object_get(body, "offset_s");

			if (!json_is_integer(off)) {
				ctl_error(resp, 400, "need {\"offset_s\":N}");
				json_decref(body);
				return;
			}
			h->clock_offset_s = json_integer_value(off);
			json_decref(body);
		}
		sim_resp_json(resp, 200, json_pack("{s:I}", "offset_s", (json_int_t)h->clock_offset_s));
	} else {
		ctl_error(resp, 404, "unknown control endpoint");
	}
}

/* ---- routing ------------------------------------------------------------------ */

static bool has_session_cookie(const struct sim_req *req)
{
	const char *c = sim_header(req, "Cookie");

	while (c && *c) {
		while (*c == ' ' || *c == ';')
			c++;
		if (!strncmp(c, "sid=", 4))
			return true;
		c = strchr(c, ';');
	}
	return false;
}

static void request_id(const struct sim_req *req, char out[64])
{
	const char *rid = sim_header(req, "X-Request-Id");
	unsigned char b[16];

	if (rid && *rid) {
		snprintf(out, 64, "%s", rid);
		return;
	}
	if (berth_random_bytes(b, sizeof(b)))
		BERTH_BUG("random source failed");
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 64, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

static bool is_method(const struct sim_req *req, const char *m)
{
	return !strcmp(req->method, m);
}

static void api_route(struct sim_harbor *h, const struct sim_harbor_sec *sec, struct sim_req *req,
		      struct sim_resp *resp)
{
	const char *rest = req->path + strlen("/api/v2.0");

	if (!strcmp(rest, "/ping")) {
		if (is_method(req, "GET"))
			sim_resp_text(resp, 200, "text/plain", "Pong");
		else
			method_not_allowed(resp, req->method, "GET");
	} else if (!strcmp(rest, "/systeminfo")) {
		if (is_method(req, "GET"))
			sim_harbor__systeminfo(h, sec, req, resp);
		else
			method_not_allowed(resp, req->method, "GET");
	} else if (!strcmp(rest, "/users/current")) {
		if (is_method(req, "GET"))
			sim_harbor__current_user(h, sec, req, resp);
		else
			method_not_allowed(resp, req->method, "GET");
	} else if (!strcmp(rest, "/permissions")) {
		if (is_method(req, "GET"))
			sim_harbor__permissions(h, sec, req, resp);
		else
			method_not_allowed(resp, req->method, "GET");
	} else if (!strcmp(rest, "/configurations")) {
		if (is_method(req, "GET") || is_method(req, "PUT"))
			sim_harbor__configurations(h, sec, req, resp);
		else
			method_not_allowed(resp, req->method, "GET,PUT");
	} else if (!strncmp(rest, "/projects", 9) && (!rest[9] || rest[9] == '/')) {
		sim_harbor__projects(h, sec, req, resp, rest + 9);
	} else if (!strncmp(rest, "/robots", 7) && (!rest[7] || rest[7] == '/')) {
		sim_harbor__robots(h, sec, req, resp, rest + 7);
	} else {
		sim_harbor__error(resp, 404, "NOT_FOUND", "path %s was not found", req->raw_path);
	}
}

static void handle(struct sim_api *api, struct sim_req *req, struct sim_resp *resp)
{
	struct sim_harbor *h = api->state;
	struct sim_harbor_sec sec;
	char rid[64];
	bool safe;

	if (!strncmp(req->path, "/_sim/harbor/", 13)) {
		control(h, req, resp);
		return;
	}
	request_id(req, rid);
	safe = is_method(req, "GET") || is_method(req, "HEAD") || is_method(req, "OPTIONS") ||
	       is_method(req, "TRACE");
	/* gorilla/csrf: skipped for /api/, /service/ and /v2/ unless a session cookie is sent */
	if (!safe && has_session_cookie(req)) {
		sim_harbor__error(resp, 403, "FORBIDDEN", "CSRF token invalid");
		sim_resp_header(resp, "X-Request-Id", rid);
		return;
	}
	sim_harbor__authenticate(h, req, &sec);
	if (!strcmp(req->path, "/service/token"))
		sim_token_serve(h, &sec, req, resp);
	else if (!strncmp(req->path, "/api/v2.0/", 10))
		api_route(h, &sec, req, resp);
	else
		sim_resp_text(resp, 404, "text/plain; charset=utf-8", "404 page not found\n");
	sim_resp_header(resp, "X-Request-Id", rid);
	sim_harbor__sec_release(&sec);
}

/* ---- module ------------------------------------------------------------------- */

struct sim_api *sim_harbor_create(struct sim_world *w)
{
	struct sim_api *api = xcalloc(1, sizeof(*api));
	struct sim_harbor *h = xcalloc(1, sizeof(*h));
	struct sim_harbor_user *admin;
	struct sim_harbor_project *lib;

	api->name = "harbor";
	api->handler = handle;
	api->state = h;
	h->api = api;
	h->world = w;
	h->prefix = xstrdup("robot$");
	h->token_expiration = 30;
	h->robot_token_duration = 30;
	h->project_creation_restriction = xstrdup("everyone");
	/* a random admin password that meets Harbor's rule (upper, lower, digit) */
	sim_random_alnum(h->admin_password + 3, 21);
	memcpy(h->admin_password, "Hb1", 3);
	admin = user_add(h, "admin", h->admin_password, true);
	lib = sim_harbor__project_add(h, "library", true, admin->id);
	sim_harbor__member_set(admin, lib->id, SIM_HARBOR_ROLE_PROJECT_ADMIN);
	return api;
}

json_t *sim_harbor_describe(struct sim_api *api)
{
	struct sim_harbor *h = api->state;
	char *url = sim_api_url(api);
	json_t *j;

	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "url", url, "username", "admin", "password",
		      h->admin_password, "token_cert_file", h->world->token_cert_file, "token_issuer",
		      "harbor-token-issuer", "token_service", "harbor-registry", "token_realm",
		      json_sprintf("%s/service/token", url));
	free(url);
	return j;
}
