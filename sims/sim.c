/*
 * sim.c - berth-sim's core: libmicrohttpd over TLS, raw URI capture, the
 * request log, fault injection, latency, and /_sim/ control endpoints.
 *
 * DESIGN
 * Each API runs its own daemon in thread-per-connection mode, so an added
 * latency (sleep) delays only its own connection and the simulator keeps
 * serving berth's concurrent requests. The URI log callback captures the
 * raw request target before libmicrohttpd decodes it; handlers get both
 * forms, so Harbor's double decoding of q can be simulated exactly.
 */
#include "compat.h"
#include "sim.h"
#include "codec.h"
#include "xalloc.h"

#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

/* ---- small helpers ------------------------------------------------------ */

int64_t sim_now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

void sim_time_ms(char out[32], int64_t unix_ms)
{
	time_t t = (time_t)(unix_ms / 1000);
	struct tm tm;
	char base[24];

	gmtime_r(&t, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%.19s.%03dZ", base, (int)(unix_ms % 1000));
}

void sim_random_alnum(char *out, size_t n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r[256];

	if (n >= sizeof(r))
		BERTH_BUG("sim_random_alnum: %zu too long", n);
	if (berth_random_bytes(r, n))
		BERTH_BUG("random source failed");
	for (size_t i = 0; i < n; i++)
		out[i] = a[r[i] % 62];
	out[n] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *sim_unescape(const char *s, bool plus_space)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;

	for (; *s; s++) {
		if (*s == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			*o++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
			s += 2;
		} else if (*s == '+' && plus_space) {
			*o++ = ' ';
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return out;
}

const char *sim_param(const struct sim_req *req, const char *key)
{
	for (size_t i = 0; i < req->nparams; i++)
		if (!strcmp(req->params[i].key, key))
			return req->params[i].value;
	return NULL;
}

const char *sim_header(const struct sim_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

bool sim_basic_auth(const struct sim_req *req, char **user, char **pass)
{
	const char *h = sim_header(req, "Authorization");
	struct berth_buf dec = BERTH_BUF_INIT;
	char *colon;

	*user = *pass = NULL;
	if (!h || strncasecmp(h, "Basic ", 6))
		return false;
	h += 6;
	while (*h == ' ')
		h++;
	if (berth_base64_decode(&dec, h, strlen(h), false) || !(colon = memchr(dec.buf, ':', dec.len))) {
		berth_buf_release(&dec);
		return false;
	}
	*user = xstrndup(dec.buf, (size_t)(colon - dec.buf));
	*pass = xstrdup(colon + 1);
	berth_buf_release(&dec);
	return true;
}

const char *sim_bearer(const struct sim_req *req)
{
	const char *h = sim_header(req, "Authorization");

	if (!h || strncasecmp(h, "Bearer ", 7))
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	return h;
}

json_t *sim_body_json(const struct sim_req *req)
{
	if (!req->body.len)
		return NULL;
	return json_loadb(req->body.buf, req->body.len, JSON_DECODE_ANY, NULL);
}

void sim_resp_header(struct sim_resp *resp, const char *name, const char *value)
{
	resp->headers = xrealloc(resp->headers, sizeof(*resp->headers) * (resp->nheaders + 1));
	resp->headers[resp->nheaders].name = xstrdup(name);
	resp->headers[resp->nheaders].value = xstrdup(value);
	resp->nheaders++;
}

static void set_body_json(struct sim_resp *resp, json_t *j, bool nl)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	json_free_t jfree;

	berth_buf_reset(&resp->body);
	if (s)
		berth_buf_addstr(&resp->body, s);
	if (nl)
		berth_buf_addch(&resp->body, '\n');
	/* jansson's memory: a test process may have installed berth's wiping allocator */
	json_get_alloc_funcs(NULL, &jfree);
	jfree(s);
	json_decref(j);
	free(resp->content_type);
	resp->content_type = NULL;
}

void sim_resp_json(struct sim_resp *resp, int status, json_t *j)
{
	resp->status = status;
	set_body_json(resp, j, false);
}

void sim_resp_json_nl(struct sim_resp *resp, int status, json_t *j)
{
	resp->status = status;
	set_body_json(resp, j, true);
}

void sim_resp_text(struct sim_resp *resp, int status, const char *content_type, const char *text)
{
	resp->status = status;
	berth_buf_reset(&resp->body);
	berth_buf_addstr(&resp->body, text);
	free(resp->content_type);
	resp->content_type = xstrdup(content_type);
}

void sim_resp_empty(struct sim_resp *resp, int status)
{
	resp->status = status;
	berth_buf_reset(&resp->body);
	free(resp->content_type);
	resp->content_type = xstrdup("text/plain; charset=utf-8");
	resp->no_body = true;
}

static void resp_release(struct sim_resp *resp)
{
	berth_buf_release(&resp->body);
	free(resp->content_type);
	for (size_t i = 0; i < resp->nheaders; i++) {
		free(resp->headers[i].name);
		free(resp->headers[i].value);
	}
	free(resp->headers);
	memset(resp, 0, sizeof(*resp));
}

char *sim_api_url(const struct sim_api *api)
{
	return xasprintf("%s://127.0.0.1:%u", api->world->plain_http ? "http" : "https",
			 (unsigned)api->port);
}

/* ---- per-request context ------------------------------------------------- */

struct conn_ctx {
	struct sim_api *api;
	char *uri;                /* raw request target */
	struct berth_buf body;
	bool started;
};

static void *uri_logger(void *cls, const char *uri, struct MHD_Connection *con)
{
	struct conn_ctx *ctx = xcalloc(1, sizeof(*ctx));

	(void)con;
	ctx->api = cls;
	ctx->uri = xstrdup(uri);
	berth_buf_init(&ctx->body);
	return ctx;
}

static void request_completed(void *cls, struct MHD_Connection *con, void **con_cls,
			      enum MHD_RequestTerminationCode toe)
{
	struct conn_ctx *ctx = *con_cls;

	(void)cls;
	(void)con;
	(void)toe;
	if (!ctx)
		return;
	free(ctx->uri);
	berth_buf_release(&ctx->body);
	free(ctx);
	*con_cls = NULL;
}

static void parse_query(struct sim_req *req)
{
	char *q = xstrdup(req->raw_query), *save = NULL, *tok;

	for (tok = strtok_r(q, "&", &save); tok; tok = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(tok, '=');

		if (!*tok)
			continue;
		if (eq)
			*eq = '\0';
		req->params = xrealloc(req->params, sizeof(*req->params) * (req->nparams + 1));
		req->params[req->nparams].key = sim_unescape(tok, true);
		req->params[req->nparams].value = sim_unescape(eq ? eq + 1 : "", true);
		req->nparams++;
	}
	free(q);
}

static void req_release(struct sim_req *req)
{
	free(req->raw_path);
	free(req->path);
	free(req->raw_query);
	for (size_t i = 0; i < req->nparams; i++) {
		free(req->params[i].key);
		free(req->params[i].value);
	}
	free(req->params);
}

/* ---- faults ------------------------------------------------------------- */

/* Does "POST|PUT|PATCH" (a '|'-separated list) name method? */
static bool method_in(const char *list, const char *method)
{
	size_t n = strlen(method);

	for (const char *p = list; *p;) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);

		if (len == n && !strncasecmp(p, method, n))
			return true;
		if (!bar)
			break;
		p = bar + 1;
	}
	return false;
}

/*
 * Find the first fault matching the request and consume one use of it.
 * Returns a new reference to the fault, or NULL. Lock held.
 */
static json_t *take_fault(struct sim_api *api, const char *method, const char *path)
{
	size_t i;
	json_t *f;

	json_array_foreach(api->faults, i, f) {
		const char *m = json_string_value(json_object_get(f, "method"));
		const char *p = json_string_value(json_object_get(f, "path"));
		json_int_t skip = json_integer_value(json_object_get(f, "skip"));
		json_int_t count = json_integer_value(json_object_get(f, "count"));

		if (m && strcmp(m, "*") && !method_in(m, method))
			continue;
		if (p && strncmp(path, p, strlen(p)))
			continue;
		if (skip > 0) {
			json_object_set_new(f, "skip", json_integer(skip - 1));
			continue;
		}
		json_incref(f);
		if (count <= 1)
			json_array_remove(api->faults, i);
		else
			json_object_set_new(f, "count", json_integer(count - 1));
		return f;
	}
	return NULL;
}

/* The number of the connection a request came on (1, 2, ... in accept order). */
static json_int_t conn_number(struct MHD_Connection *con)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(con, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? (json_int_t)(uintptr_t)ci->socket_context : 0;
}

static void on_connection(void *cls, struct MHD_Connection *con, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct sim_api *api = cls;

	(void)con;
	if (toe != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	pthread_mutex_lock(&api->lock);
	*socket_context = (void *)(uintptr_t)++api->connections;
	pthread_mutex_unlock(&api->lock);
}

static void log_request(struct sim_api *api, const struct sim_req *req, int status, const char *fault)
{
	json_t *e = json_pack("{s:s, s:s, s:s, s:i, s:I}", "method", req->method, "path", req->raw_path,
			      "query", req->raw_query, "status", status, "conn", conn_number(req->conn));

	if (fault)
		json_object_set_new(e, "fault", json_string(fault));
	/* Tells a re-sent write from a new one without logging what it carried. */
	if (req->body.len) {
		char hex[65];

		berth_sha256_hex(req->body.buf, req->body.len, hex);
		json_object_set_new(e, "body_sha256", json_string(hex));
	}
	json_array_append_new(api->log, e);
}

/* ---- crash injection -------------------------------------------------------- */

/*
 * POST /_sim/kill {"pid", "at", "when": "after"|"before", "method"?, "path"?}
 * arms it and restarts the count (of the requests matching method and
 * path, as faults match them); GET /_sim/kill -> {"requests", "at", "killed"}.
 */
static bool kill_control(struct sim_api *api, struct sim_req *req, struct sim_resp *resp)
{
	struct sim_world *w = api->world;
	json_t *body;

	if (strcmp(req->path, "/_sim/kill"))
		return false;
	pthread_mutex_lock(&w->kill_lock);
	if (!strcmp(req->method, "POST")) {
		const char *when;

		body = sim_body_json(req);
		when = json_string_value(json_object_get(body, "when"));
		w->kill_pid = (long)json_integer_value(json_object_get(body, "pid"));
		w->kill_at = (long)json_integer_value(json_object_get(body, "at"));
		w->kill_before = when && !strcmp(when, "before");
		free(w->kill_method);
		free(w->kill_path);
		w->kill_method = xstrdup_or_null(json_string_value(json_object_get(body, "method")));
		w->kill_path = xstrdup_or_null(json_string_value(json_object_get(body, "path")));
		w->requests = 0;
		json_decref(w->killed);
		w->killed = NULL;
		json_decref(body);
	}
	sim_resp_json(resp, 200, json_pack("{s:I, s:I, s:O?}", "requests", (json_int_t)w->requests,
					   "at", (json_int_t)w->kill_at, "killed", w->killed));
	pthread_mutex_unlock(&w->kill_lock);
	return true;
}

/* Count a request; true when it is the one to kill at (then disarmed). */
static bool kill_due(struct sim_api *api, const struct sim_req *req, bool *before)
{
	struct sim_world *w = api->world;
	bool due;

	pthread_mutex_lock(&w->kill_lock);
	if ((w->kill_method && strcmp(w->kill_method, "*") && !method_in(w->kill_method, req->method)) ||
	    (w->kill_path && strncmp(req->path, w->kill_path, strlen(w->kill_path)))) {
		pthread_mutex_unlock(&w->kill_lock);
		return false;
	}
	w->requests++;
	due = w->kill_at > 0 && w->requests == w->kill_at && w->kill_pid > 0;
	if (due) {
		*before = w->kill_before;
		w->killed = json_pack("{s:I, s:s, s:s, s:s, s:s}", "k", (json_int_t)w->requests, "method",
				      req->method, "path", req->raw_path, "service", api->name, "when",
				      w->kill_before ? "before" : "after");
		w->kill_at = 0;
	}
	pthread_mutex_unlock(&w->kill_lock);
	return due;
}

static void kill_now(struct sim_api *api)
{
	pid_t pid = (pid_t)api->world->kill_pid;

	if (pid > 0)
		kill(pid, SIGKILL);
}

/* ---- control endpoints ---------------------------------------------------- */

static bool control(struct sim_api *api, struct sim_req *req, struct sim_resp *resp)
{
	if (kill_control(api, req, resp))
		return true;
	if (!strcmp(req->path, "/_sim/requests") && !strcmp(req->method, "GET")) {
		sim_resp_json(resp, 200, json_deep_copy(api->log));
		return true;
	}
	if (!strcmp(req->path, "/_sim/reset") && !strcmp(req->method, "POST")) {
		json_array_clear(api->log);
		json_array_clear(api->faults);
		sim_resp_json(resp, 200, json_object());
		return true;
	}
	if (!strcmp(req->path, "/_sim/faults")) {
		if (!strcmp(req->method, "GET")) {
			sim_resp_json(resp, 200, json_deep_copy(api->faults));
			return true;
		}
		if (!strcmp(req->method, "POST")) {
			json_t *body = sim_body_json(req);
			json_t *list = json_is_array(body) ? json_incref(body) : json_pack("[O]", body);
			size_t i;
			json_t *f;

			if (!json_is_object(body) && !json_is_array(body)) {
				sim_resp_json(resp, 400, json_pack("{s:s}", "error",
								    "body must be a fault object or array"));
				json_decref(body);
				json_decref(list);
				return true;
			}
			json_array_foreach(list, i, f) {
				if (!json_is_object(f) || !json_is_string(json_object_get(f, "path"))) {
					sim_resp_json(resp, 400, json_pack("{s:s}", "error",
									    "each fault needs a path prefix"));
					json_decref(body);
					json_decref(list);
					return true;
				}
				if (!json_object_get(f, "count"))
					json_object_set_new(f, "count", json_integer(1));
				json_array_append(api->faults, f);
			}
			sim_resp_json(resp, 200, json_pack("{s:I}", "pending",
							    (json_int_t)json_array_size(api->faults)));
			json_decref(body);
			json_decref(list);
			return true;
		}
	}
	return false;
}

/* ---- the access handler -------------------------------------------------- */

struct trunc_body {
	char *data;
	size_t len;
};

static ssize_t trunc_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct trunc_body *t = cls;

	if (pos >= t->len)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (max > t->len - pos)
		max = t->len - (size_t)pos;
	memcpy(buf, t->data + pos, max);
	return (ssize_t)max;
}

static void trunc_free(void *cls)
{
	struct trunc_body *t = cls;

	free(t->data);
	free(t);
}

static enum MHD_Result send_resp(struct MHD_Connection *con, struct sim_resp *resp,
				 bool truncate)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (truncate && resp->body.len > 1) {
		struct trunc_body *t = xmalloc(sizeof(*t));

		t->len = resp->body.len / 2;
		t->data = xstrndup(resp->body.buf, t->len);
		r = MHD_create_response_from_callback(resp->body.len, 4096, trunc_reader, t, trunc_free);
	} else {
		r = MHD_create_response_from_buffer(resp->body.len, resp->body.buf,
						    MHD_RESPMEM_MUST_COPY);
	}
	if (!r)
		return MHD_NO;
	if (!resp->no_body || resp->body.len)
		MHD_add_response_header(r, "Content-Type",
					resp->content_type ? resp->content_type
							   : "application/json; charset=utf-8");
	for (size_t i = 0; i < resp->nheaders; i++)
		MHD_add_response_header(r, resp->headers[i].name, resp->headers[i].value);
	ret = MHD_queue_response(con, (unsigned int)resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (ms > 0 && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct sim_api *api = cls;
	struct conn_ctx *ctx = *con_cls;
	struct sim_req req = { 0 };
	struct sim_resp resp = { 0 };
	json_t *fault = NULL;
	const char *action = NULL;
	char *qmark;
	enum MHD_Result ret;
	bool truncate = false, is_control, kill_it = false, kill_before = false;

	(void)url;
	(void)version;
	if (!ctx)
		return MHD_NO;
	if (!ctx->started) {
		ctx->started = true;
		return MHD_YES;
	}
	if (*upload_size) {
		berth_buf_add(&ctx->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}

	req.method = method;
	req.conn = con;
	qmark = strchr(ctx->uri, '?');
	req.raw_path = qmark ? xstrndup(ctx->uri, (size_t)(qmark - ctx->uri)) : xstrdup(ctx->uri);
	req.raw_query = xstrdup(qmark ? qmark + 1 : "");
	req.path = sim_unescape(req.raw_path, false);
	parse_query(&req);
	req.body = ctx->body;
	berth_buf_init(&ctx->body);
	berth_buf_init(&resp.body);
	resp.status = 500;
	is_control = !strncmp(req.path, "/_sim/", 6);

	if (!is_control && api->world->latency_ms > 0)
		sleep_ms(api->world->latency_ms);
	if (!is_control)
		kill_it = kill_due(api, &req, &kill_before);
	if (kill_it && kill_before) {
		/* The client dies before the server hears the request. */
		kill_now(api);
		pthread_mutex_lock(&api->lock);
		log_request(api, &req, 0, "kill_before");
		pthread_mutex_unlock(&api->lock);
		ret = MHD_NO;
		goto out;
	}

	pthread_mutex_lock(&api->lock);
	if (!is_control)
		fault = take_fault(api, method, req.path);
	pthread_mutex_unlock(&api->lock);
	if (fault) {
		json_int_t delay = json_integer_value(json_object_get(fault, "delay_ms"));

		action = json_string_value(json_object_get(fault, "action"));
		if (!action)
			action = json_object_get(fault, "status") ? "status" : "delay";
		if (delay > 0)
			sleep_ms((long)delay);
	}

	pthread_mutex_lock(&api->lock);
	if (action && !strcmp(action, "drop")) {
		log_request(api, &req, 0, "drop");
		pthread_mutex_unlock(&api->lock);
		ret = MHD_NO;
		goto out;
	}
	if (action && !strcmp(action, "status")) {
		json_t *body = json_object_get(fault, "body");
		const char *ra = NULL;
		char rabuf[32];

		resp.status = (int)json_integer_value(json_object_get(fault, "status"));
		if (json_is_string(body))
			sim_resp_text(&resp, resp.status,
				      json_string_value(json_object_get(fault, "content_type"))
					      ? json_string_value(json_object_get(fault, "content_type"))
					      : "application/json; charset=utf-8",
				      json_string_value(body));
		else if (body)
			sim_resp_json(&resp, resp.status, json_incref(body));
		if (json_is_integer(json_object_get(fault, "retry_after"))) {
			snprintf(rabuf, sizeof(rabuf), "%" JSON_INTEGER_FORMAT,
				 json_integer_value(json_object_get(fault, "retry_after")));
			ra = rabuf;
		} else if (json_is_string(json_object_get(fault, "retry_after"))) {
			ra = json_string_value(json_object_get(fault, "retry_after"));
		}
		if (ra)
			sim_resp_header(&resp, "Retry-After", ra);
		log_request(api, &req, resp.status, "status");
	} else if (is_control && control(api, &req, &resp)) {
		/* served by the core */
	} else {
		api->handler(api, &req, &resp);
		if (!is_control)
			log_request(api, &req, resp.status, kill_it ? "kill_after" : action);
	}
	pthread_mutex_unlock(&api->lock);
	/* The server acted; the client dies before it reads the answer. */
	if (kill_it)
		kill_now(api);

	if (action && !strcmp(action, "drop_after")) {
		ret = MHD_NO;
		goto out;
	}
	if (action && !strcmp(action, "truncate"))
		truncate = true;
	if (action && !strcmp(action, "replace_after")) {
		json_t *body = json_object_get(fault, "body");

		if (json_is_integer(json_object_get(fault, "status")))
			resp.status = (int)json_integer_value(json_object_get(fault, "status"));
		if (json_is_string(body))
			sim_resp_text(&resp, resp.status, "application/json; charset=utf-8",
				      json_string_value(body));
		else if (body)
			sim_resp_json(&resp, resp.status, json_incref(body));
	}
	ret = send_resp(con, &resp, truncate);
out:
	json_decref(fault);
	resp_release(&resp);
	berth_buf_release(&req.body);
	req_release(&req);
	return ret;
}

/* ---- lifecycle --------------------------------------------------------- */

int sim_api_start(struct sim_world *w, struct sim_api *api)
{
	struct sockaddr_in sa = { 0 };
	const union MHD_DaemonInfo *info;
	unsigned int flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			     MHD_USE_ERROR_LOG;
	struct MHD_Daemon *d;

	api->world = w;
	api->log = json_array();
	api->faults = json_array();
	api->connections = 0;
	pthread_mutex_init(&api->lock, NULL);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(api->want_port);
	if (w->plain_http) {
		d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, api,
				     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				     MHD_OPTION_URI_LOG_CALLBACK, uri_logger, api,
				     MHD_OPTION_NOTIFY_COMPLETED, request_completed, NULL,
				     MHD_OPTION_NOTIFY_CONNECTION, on_connection, api,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120,
				     MHD_OPTION_END);
	} else {
		/* with client_ca_pem, MHD asks clients for a certificate (GNUTLS_CERT_REQUEST) */
		struct MHD_OptionItem extra[] = {
			{ api->client_ca_pem ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0,
			  (void *)api->client_ca_pem },
			{ MHD_OPTION_END, 0, NULL },
		};

		d = MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL, on_request, api,
				     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				     MHD_OPTION_HTTPS_MEM_KEY, w->key_pem,
				     MHD_OPTION_HTTPS_MEM_CERT, w->cert_pem,
				     MHD_OPTION_URI_LOG_CALLBACK, uri_logger, api,
				     MHD_OPTION_NOTIFY_COMPLETED, request_completed, NULL,
				     MHD_OPTION_NOTIFY_CONNECTION, on_connection, api,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120,
				     MHD_OPTION_ARRAY, extra,
				     MHD_OPTION_END);
	}
	if (!d) {
		fprintf(stderr, "berth-sim: cannot start the %s daemon\n", api->name);
		return -1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (!info || !info->port) {
		MHD_stop_daemon(d);
		fprintf(stderr, "berth-sim: cannot learn the %s port\n", api->name);
		return -1;
	}
	api->port = info->port;
	api->daemon = d;
	if (w->napis < BERTH_ARRAY_SIZE(w->apis))
		w->apis[w->napis++] = api;
	return 0;
}

void sim_api_stop(struct sim_api *api)
{
	if (api->daemon)
		MHD_stop_daemon(api->daemon);
	api->daemon = NULL;
	json_decref(api->log);
	json_decref(api->faults);
	api->log = api->faults = NULL;
	pthread_mutex_destroy(&api->lock);
}
