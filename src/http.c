/*
 * http.c - the HTTP layer over libcurl: a pool of keep-alive handles per
 * service, TLS options, response cap, retries, error mapping and redacted
 * tracing. The only file that includes <curl/curl.h>.
 */
#include "compat.h"
#include "http.h"
#include "codec.h"
#include "err.h"
#include "json.h"
#include "log.h"
#include "secret.h"
#include "util.h"
#include "xalloc.h"

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/opensslv.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <arpa/inet.h>

#define DEFAULT_MAX_BODY (8u << 20)

struct berth_http {
	char *service;
	char *base_url;
	char *ca_file;
	char *ca_pem;
	char *client_cert_file;
	char *client_key_file;
	char *client_cert_pem;
	struct berth_secret *client_key_pem;
	bool insecure;
	bool allow_plain_http;
	long connect_timeout_ms;
	long timeout_ms;
	size_t max_body;
	int max_retries;
	long retry_base_ms;
	long retry_max_ms;
	X509_STORE *ca_store;          /* trust anchors parsed once (OpenSSL); NULL: libcurl loads them */
	bool ca_loaded;                /* ca_store was tried (on the first request; under lock) */

	pthread_mutex_t lock;          /* guards everything below */
	CURL **pool;                   /* idle handles, keep-alive connections */
	size_t npool, apool;
	struct berth_secret *auth_line; /* whole "Authorization: ..." header line */
	char *secret_header_name;
	struct berth_secret *secret_header_line;
	char **headers;                /* plain "Name: value" lines */
	size_t nheaders, aheaders;
	struct berth_http_stats stats;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init_once(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		BERTH_BUG("curl_global_init failed");
}

void berth_http_global_init(void)
{
	pthread_once(&global_once, global_init_once);
}

bool berth_host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	char buf[64];
	size_t n = strlen(host);

	if (!strcasecmp(host, "localhost") || berth_ends_with(host, ".localhost"))
		return true;
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(buf)) {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
		host = buf;
	}
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return false;
}

int berth_url_split(const char *url, char **scheme, char **host, long *port, char **path,
		    struct berth_err *err)
{
	CURLU *u = curl_url();
	char *s = NULL, *h = NULL, *p = NULL, *pt = NULL;
	int ret = 0;

	if (scheme)
		*scheme = NULL;
	if (host)
		*host = NULL;
	if (path)
		*path = NULL;
	if (!u)
		BERTH_BUG("curl_url: out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) ||
	    curl_url_get(u, CURLUPART_SCHEME, &s, 0) || curl_url_get(u, CURLUPART_HOST, &h, 0)) {
		ret = berth_err_set(err, BERTH_ECONFIG, "'%s' is not a valid absolute URL", url);
		goto out;
	}
	if (strcmp(s, "https") && strcmp(s, "http")) {
		ret = berth_err_set(err, BERTH_ECONFIG, "URL '%s': scheme must be https or http", url);
		goto out;
	}
	if (port) {
		long long v;

		if (curl_url_get(u, CURLUPART_PORT, &pt, CURLU_DEFAULT_PORT) ||
		    berth_parse_long(pt, 1, 65535, &v)) {
			ret = berth_err_set(err, BERTH_ECONFIG, "URL '%s': bad port", url);
			goto out;
		}
		*port = (long)v;
	}
	if (path && !curl_url_get(u, CURLUPART_PATH, &p, 0))
		*path = xstrdup(p);
	if (scheme)
		*scheme = xstrdup(s);
	if (host)
		*host = xstrdup(h);
out:
	curl_free(s);
	curl_free(h);
	curl_free(p);
	curl_free(pt);
	curl_url_cleanup(u);
	return ret;
}

/* ---- trust anchors, parsed once --------------------------------------- */

/*
 * libcurl builds a new SSL_CTX for every connection and parses the CA file
 * (or the kubeconfig's CA, or the system bundle) into it again: with a
 * connection of its own for every non-idempotent write, that was a quarter
 * of berth's CPU on a cold run. When libcurl uses the OpenSSL that berth
 * links, berth parses the trust anchors once and gives every connection the
 * same X509_STORE (CURLOPT_SSL_CTX_FUNCTION): the same certificates and the
 * same flags as libcurl's own store, and libcurl still verifies the peer and
 * its host name. In any other case (another TLS library or version, a CA
 * that does not load) libcurl loads the CA itself as before, with its own
 * error messages.
 */
static bool curl_shares_our_openssl(void)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	char ours[64];

	snprintf(ours, sizeof(ours), "OpenSSL/%s", OpenSSL_version(OPENSSL_VERSION_STRING));
	return v && v->ssl_version && !strcmp(v->ssl_version, ours);
#else
	return false;
#endif
}

/* The PEM certificates of text into st; the number added. */
static int ca_store_add_pem(X509_STORE *st, const char *text)
{
	BIO *b = BIO_new_mem_buf(text, -1);
	STACK_OF(X509_INFO) *infos = b ? PEM_X509_INFO_read_bio(b, NULL, NULL, NULL) : NULL;
	int n = 0;

	for (int i = 0; infos && i < sk_X509_INFO_num(infos); i++) {
		X509_INFO *x = sk_X509_INFO_value(infos, i);

		if (x->x509 && X509_STORE_add_cert(st, x->x509))
			n++;
		if (x->crl && X509_STORE_add_crl(st, x->crl))
			n++;
	}
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	BIO_free(b);
	return n;
}

/* libcurl's default CA file and directory, as it would load them. */
static bool ca_store_add_defaults(X509_STORE *st)
{
	CURL *c = curl_easy_init();
	char *file = NULL, *dir = NULL;
	bool ok;

	if (!c)
		return false;
	curl_easy_getinfo(c, CURLINFO_CAINFO, &file);
	curl_easy_getinfo(c, CURLINFO_CAPATH, &dir);
	ok = (file || dir) && X509_STORE_load_locations(st, file, dir) == 1;
	curl_easy_cleanup(c);
	return ok;
}

static X509_STORE *ca_store_load(const struct berth_http *h)
{
	X509_STORE *st;
	bool ok;

	if (!curl_shares_our_openssl())
		return NULL;
	st = X509_STORE_new();
	if (!st)
		return NULL;
	if (h->ca_pem)
		ok = ca_store_add_pem(st, h->ca_pem) > 0;
	else if (h->ca_file)
		ok = X509_STORE_load_file(st, h->ca_file) == 1;
	else
		ok = ca_store_add_defaults(st);
	/* As libcurl sets on its own store: an intermediate CA may be the anchor. */
	if (ok)
		ok = X509_STORE_set_flags(st, X509_V_FLAG_PARTIAL_CHAIN) == 1;
	ERR_clear_error();
	if (!ok) {
		X509_STORE_free(st);
		return NULL;
	}
	return st;
}

/* CURLOPT_SSL_CTX_FUNCTION: the connection's SSL_CTX trusts the shared store. */
static CURLcode use_ca_store(CURL *c, void *ssl_ctx, void *userp)
{
	(void)c;
	SSL_CTX_set1_cert_store(ssl_ctx, userp);
	return CURLE_OK;
}

int berth_http_new(struct berth_http **out, const struct berth_http_opts *o, struct berth_err *err)
{
	const char *service = o->service ? o->service : "http";
	struct berth_http *h;
	char *scheme = NULL, *host = NULL;
	size_t n;
	int ret;

	*out = NULL;
	berth_http_global_init();
	if (!o->base_url || !*o->base_url)
		return berth_err_set(err, BERTH_ECONFIG, "%s: no URL configured", service);
	ret = berth_url_split(o->base_url, &scheme, &host, NULL, NULL, err);
	if (ret)
		return berth_err_prefix(err, "%s", service);
	if (!strcmp(scheme, "http") && !o->allow_plain_http && !berth_host_is_loopback(host)) {
		ret = berth_err_set(err, BERTH_ECONFIG,
				    "%s: refusing plain http:// to '%s' (not loopback); use https, "
				    "or allow it by name with the service's allowPlainHTTP option",
				    service, host);
		free(scheme);
		free(host);
		return ret;
	}
	free(scheme);
	free(host);

	h = xcalloc(1, sizeof(*h));
	h->service = xstrdup(service);
	h->base_url = xstrdup(o->base_url);
	n = strlen(h->base_url);
	while (n && h->base_url[n - 1] == '/')
		h->base_url[--n] = '\0';
	h->ca_file = xstrdup_or_null(o->ca_file);
	h->ca_pem = xstrdup_or_null(o->ca_pem);
	h->client_cert_file = xstrdup_or_null(o->client_cert_file);
	h->client_key_file = xstrdup_or_null(o->client_key_file);
	h->client_cert_pem = xstrdup_or_null(o->client_cert_pem);
	h->client_key_pem = berth_secret_dup(o->client_key_pem);
	h->insecure = o->insecure_skip_verify;
	h->allow_plain_http = o->allow_plain_http;
	h->connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 10000;
	h->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 60000;
	h->max_body = o->max_body ? o->max_body : DEFAULT_MAX_BODY;
	h->max_retries = o->max_retries >= 0 ? o->max_retries : 3;
	h->retry_base_ms = o->retry_base_ms > 0 ? o->retry_base_ms : 200;
	h->retry_max_ms = o->retry_max_ms > 0 ? o->retry_max_ms : 10000;
	pthread_mutex_init(&h->lock, NULL);
	if (h->insecure)
		berth_log_warn(h->service, "TLS verification is OFF for %s (insecureSkipTLSVerify)",
			       h->base_url);
	*out = h;
	return 0;
}

void berth_http_free(struct berth_http *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->npool; i++)
		curl_easy_cleanup(h->pool[i]);
	free(h->pool);
	for (size_t i = 0; i < h->nheaders; i++)
		free(h->headers[i]);
	free(h->headers);
	berth_secret_free(h->auth_line);
	berth_secret_free(h->secret_header_line);
	free(h->secret_header_name);
	free(h->service);
	free(h->base_url);
	free(h->ca_file);
	free(h->ca_pem);
	free(h->client_cert_file);
	free(h->client_key_file);
	free(h->client_cert_pem);
	berth_secret_free(h->client_key_pem);
	X509_STORE_free(h->ca_store);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

const char *berth_http_service(const struct berth_http *h)
{
	return h->service;
}

const char *berth_http_base_url(const struct berth_http *h)
{
	return h->base_url;
}

static struct berth_secret *basic_line(const char *user, const struct berth_secret *secret)
{
	struct berth_buf plain = BERTH_BUF_INIT, line = BERTH_BUF_INIT;
	struct berth_secret *s;
	size_t len;
	const char *pw = berth_secret_reveal(secret, &len);

	berth_buf_addstr(&plain, user);
	berth_buf_addch(&plain, ':');
	berth_buf_add(&plain, pw, len);
	berth_buf_addstr(&line, "Authorization: Basic ");
	berth_base64_encode(&line, plain.buf, plain.len);
	s = berth_secret_new(line.buf, line.len);
	berth_buf_wipe(&plain);
	berth_buf_wipe(&line);
	return s;
}

void berth_http_set_basic_auth(struct berth_http *h, const char *user, const struct berth_secret *secret)
{
	struct berth_secret *line = basic_line(user, secret);

	pthread_mutex_lock(&h->lock);
	berth_secret_free(h->auth_line);
	h->auth_line = line;
	pthread_mutex_unlock(&h->lock);
}

void berth_http_set_bearer(struct berth_http *h, const struct berth_secret *token)
{
	struct berth_buf line = BERTH_BUF_INIT;
	size_t len;
	const char *t = berth_secret_reveal(token, &len);
	struct berth_secret *s;

	berth_buf_addstr(&line, "Authorization: Bearer ");
	berth_buf_add(&line, t, len);
	s = berth_secret_new(line.buf, line.len);
	berth_buf_wipe(&line);
	pthread_mutex_lock(&h->lock);
	berth_secret_free(h->auth_line);
	h->auth_line = token ? s : NULL;
	pthread_mutex_unlock(&h->lock);
	if (!token)
		berth_secret_free(s);
}

void berth_http_set_secret_header(struct berth_http *h, const char *name, const struct berth_secret *value)
{
	struct berth_secret *s = NULL;

	if (value) {
		struct berth_buf line = BERTH_BUF_INIT;
		size_t len;
		const char *v = berth_secret_reveal(value, &len);

		berth_buf_addf(&line, "%s: ", name);
		berth_buf_add(&line, v, len);
		s = berth_secret_new(line.buf, line.len);
		berth_buf_wipe(&line);
	}
	pthread_mutex_lock(&h->lock);
	berth_secret_free(h->secret_header_line);
	free(h->secret_header_name);
	h->secret_header_line = s;
	h->secret_header_name = s ? xstrdup(name) : NULL;
	pthread_mutex_unlock(&h->lock);
}

void berth_http_set_header(struct berth_http *h, const char *name, const char *value)
{
	size_t nlen = strlen(name);

	pthread_mutex_lock(&h->lock);
	for (size_t i = 0; i < h->nheaders; i++) {
		if (!strncasecmp(h->headers[i], name, nlen) && h->headers[i][nlen] == ':') {
			free(h->headers[i]);
			h->headers[i] = h->headers[--h->nheaders];
			break;
		}
	}
	if (value) {
		BERTH_ALLOC_GROW(h->headers, h->nheaders + 1, h->aheaders);
		h->headers[h->nheaders++] = xasprintf("%s: %s", name, value);
	}
	pthread_mutex_unlock(&h->lock);
}

void berth_http_resp_init(struct berth_http_resp *resp)
{
	memset(resp, 0, sizeof(*resp));
	berth_buf_init(&resp->body);
	resp->retry_after_s = -1;
	resp->total_count = -1;
}

void berth_http_resp_release(struct berth_http_resp *resp)
{
	size_t max = resp->body.max;

	berth_buf_wipe(&resp->body);
	free(resp->location);
	free(resp->link);
	free(resp->www_authenticate);
	berth_http_resp_init(resp);
	resp->body.max = max;
}

void berth_http_get_stats(const struct berth_http *h, struct berth_http_stats *out)
{
	pthread_mutex_lock((pthread_mutex_t *)&h->lock);
	*out = h->stats;
	pthread_mutex_unlock((pthread_mutex_t *)&h->lock);
}

/* ---- one attempt ------------------------------------------------------ */

struct attempt {
	struct berth_http *h;
	struct berth_http_resp *resp;
	char *secret_name;  /* the service's secret header, redacted in traces too */
	bool overflow;
	bool trace;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct attempt *a = userp;
	size_t n = size * nmemb;

	if (berth_buf_add_capped(&a->resp->body, data, n)) {
		a->overflow = true;
		return 0;
	}
	return n;
}

static char *header_value(const char *line, size_t len, const char *name)
{
	size_t nlen = strlen(name);
	const char *v, *end = line + len;

	if (len <= nlen || strncasecmp(line, name, nlen) || line[nlen] != ':')
		return NULL;
	v = line + nlen + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	return xstrndup(v, (size_t)(end - v));
}

static long parse_retry_after(const char *v)
{
	long long n;
	time_t t;

	if (!berth_parse_long(v, 0, 86400 * 7, &n))
		return (long)n;
	t = curl_getdate(v, NULL);
	if (t > 0) {
		time_t now = time(NULL);

		return t > now ? (long)(t - now) : 0;
	}
	return -1;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userp)
{
	struct attempt *a = userp;
	size_t n = size * nmemb;
	char *v;

	/* A new status line (after a 100 Continue or a redirect) starts over. */
	if (n > 5 && !strncmp(data, "HTTP/", 5)) {
		free(a->resp->location);
		free(a->resp->link);
		free(a->resp->www_authenticate);
		a->resp->location = a->resp->link = a->resp->www_authenticate = NULL;
		a->resp->retry_after_s = -1;
		a->resp->total_count = -1;
		a->resp->content_type[0] = '\0';
		return n;
	}
	if ((v = header_value(data, n, "Retry-After"))) {
		a->resp->retry_after_s = parse_retry_after(v);
		free(v);
	} else if ((v = header_value(data, n, "X-Total-Count"))) {
		long long c;

		a->resp->total_count = berth_parse_long(v, 0, INT64_MAX, &c) ? -1 : c;
		free(v);
	} else if ((v = header_value(data, n, "Content-Type"))) {
		snprintf(a->resp->content_type, sizeof(a->resp->content_type), "%s", v);
		free(v);
	} else if ((v = header_value(data, n, "Location"))) {
		free(a->resp->location);
		a->resp->location = v;
	} else if ((v = header_value(data, n, "Link"))) {
		free(a->resp->link);
		a->resp->link = v;
	} else if ((v = header_value(data, n, "WWW-Authenticate"))) {
		free(a->resp->www_authenticate);
		a->resp->www_authenticate = v;
	}
	return n;
}

static const char *const redacted_headers[] = {
	"authorization", "proxy-authorization", "x-vault-token", "cookie", "set-cookie",
	"x-harbor-csrf-token",
};

static bool name_is(const char *name, size_t nlen, const char *want)
{
	return want && nlen == strlen(want) && !strncasecmp(name, want, nlen);
}

/* berth_http_redact_header(), also redacting the header 'extra' (may be NULL). */
static void redact_header(struct berth_buf *out, const char *line, size_t len, const char *extra)
{
	const char *colon = memchr(line, ':', len);
	const char *v, *end, *sp;
	size_t nlen;
	bool hit;

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (!colon || colon >= line + len) {
		berth_buf_add(out, line, len);
		return;
	}
	nlen = (size_t)(colon - line);
	hit = name_is(line, nlen, extra);
	for (size_t i = 0; !hit && i < BERTH_ARRAY_SIZE(redacted_headers); i++)
		hit = name_is(line, nlen, redacted_headers[i]);
	if (!hit) {
		berth_buf_add(out, line, len);
		return;
	}
	v = colon + 1;
	end = line + len;
	while (v < end && *v == ' ')
		v++;
	berth_buf_add(out, line, nlen);
	berth_buf_addstr(out, ": ");
	/* Keep the scheme word ("Basic", "Bearer") of the two auth headers, never the credential. */
	sp = memchr(v, ' ', (size_t)(end - v));
	if (sp && (name_is(line, nlen, "authorization") || name_is(line, nlen, "proxy-authorization")))
		berth_buf_add(out, v, (size_t)(sp - v + 1));
	berth_buf_addstr(out, "<redacted>");
}

void berth_http_redact_header(struct berth_buf *out, const char *line, size_t len)
{
	redact_header(out, line, len, NULL);
}

/* Keys whose values never reach a trace (compared ignoring case) ... */
static const char *const redacted_keys[] = {
	"accessor", "secret_id", "role_id", "auth", "jwt", "data", "stringData",
	".dockerconfigjson", "identitytoken", "registrytoken",
};

/* ... and any key that contains one of these ("client_secret", "adminPassword"). */
static const char *const redacted_key_parts[] = { "password", "secret", "token" };

/* Longest string value shown; longer ones are cut (a credential under an unknown key). */
#define TRACE_VALUE_MAX 50

static bool key_redacted(const char *key)
{
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(redacted_keys); i++)
		if (!strcasecmp(key, redacted_keys[i]))
			return true;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(redacted_key_parts); i++)
		if (strcasestr(key, redacted_key_parts[i]))
			return true;
	return false;
}

/* s cut to at most TRACE_VALUE_MAX bytes, on a UTF-8 boundary, plus "...". New reference. */
static json_t *cut_string(const char *s)
{
	size_t n = TRACE_VALUE_MAX;
	char buf[TRACE_VALUE_MAX + 4];

	while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	memcpy(buf, s, n);
	memcpy(buf + n, "...", 4);
	return json_string(buf);
}

static void redact_json(json_t *v)
{
	const char *key;
	json_t *val;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, key, val) {
			/* Replacing the value of the current key is safe while iterating. */
			if (key_redacted(key) && !json_is_null(val))
				json_object_set_new(v, key, json_string("<redacted>"));
			else if (json_is_string(val) && json_string_length(val) > TRACE_VALUE_MAX)
				json_object_set_new(v, key, cut_string(json_string_value(val)));
			else
				redact_json(val);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, val) {
			if (json_is_string(val) && json_string_length(val) > TRACE_VALUE_MAX)
				json_array_set_new(v, i, cut_string(json_string_value(val)));
			else
				redact_json(val);
		}
	}
}

void berth_http_redact_body(struct berth_buf *out, const char *body, size_t len)
{
	json_t *root = json_loadb(body, len, JSON_DECODE_ANY, NULL);

	if (!root) {
		berth_buf_addf(out, "<%zu bytes, not JSON, not shown>", len);
		return;
	}
	redact_json(root);
	if (berth_json_dump(out, root, JSON_COMPACT | JSON_SORT_KEYS))
		berth_buf_addstr(out, "<unprintable>");
	json_decref(root);
}

static int on_debug(CURL *c, curl_infotype type, char *data, size_t size, void *userp)
{
	struct attempt *a = userp;
	struct berth_buf line = BERTH_BUF_INIT;
	const char *p = data, *end = data + size;

	(void)c;
	switch (type) {
	case CURLINFO_HEADER_OUT:
	case CURLINFO_HEADER_IN:
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = nl ? (size_t)(nl - p + 1) : (size_t)(end - p);

			berth_buf_reset(&line);
			redact_header(&line, p, n, a->secret_name);
			if (line.len)
				berth_log_trace("http", "%s %s %s", a->h->service,
						type == CURLINFO_HEADER_OUT ? ">" : "<", line.buf);
			p += n;
		}
		break;
	case CURLINFO_DATA_OUT:
	case CURLINFO_DATA_IN:
		if (getenv("BERTH_TRACE_BODIES")) {
			berth_http_redact_body(&line, data, size);
			berth_log_trace("http", "%s %s body %s", a->h->service,
					type == CURLINFO_DATA_OUT ? ">" : "<", line.buf);
		}
		break;
	case CURLINFO_TEXT:
		while (size && (data[size - 1] == '\n' || data[size - 1] == '\r'))
			size--;
		berth_log_trace("http", "%s * %.*s", a->h->service, (int)size, data);
		break;
	default:
		break;
	}
	berth_buf_wipe(&line);
	return 0;
}

static CURL *pool_get(struct berth_http *h)
{
	CURL *c = NULL;

	pthread_mutex_lock(&h->lock);
	if (h->npool)
		c = h->pool[--h->npool];
	pthread_mutex_unlock(&h->lock);
	if (!c) {
		c = curl_easy_init();
		if (!c)
			BERTH_BUG("curl_easy_init failed");
	}
	return c;
}

static void pool_put(struct berth_http *h, CURL *c)
{
	pthread_mutex_lock(&h->lock);
	BERTH_ALLOC_GROW(h->pool, h->npool + 1, h->apool);
	h->pool[h->npool++] = c;
	pthread_mutex_unlock(&h->lock);
}

static bool method_idempotent(const char *m)
{
	return !strcmp(m, "GET") || !strcmp(m, "HEAD") || !strcmp(m, "PUT") ||
	       !strcmp(m, "DELETE") || !strcmp(m, "OPTIONS");
}

static bool status_retryable(long status)
{
	return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

static bool curl_never_sent(CURLcode rc)
{
	return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST;
}

static bool curl_retryable(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

static int set_tls(struct berth_http *h, CURL *c)
{
	/*
	 * The trust anchors are parsed on the first request, not when the
	 * client is made: a client that never sends (a dry command, a test
	 * with a fake transport) does not pay for parsing the system bundle.
	 */
	pthread_mutex_lock(&h->lock);
	if (!h->ca_loaded && !h->insecure)
		h->ca_store = ca_store_load(h);
	h->ca_loaded = true;
	pthread_mutex_unlock(&h->lock);
	if (h->insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	} else {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	}
	if (h->ca_store) {
		/* No CA for libcurl to parse: the shared store replaces its empty one. */
		curl_easy_setopt(c, CURLOPT_CAINFO, NULL);
		curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
		curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, use_ca_store);
		curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, h->ca_store);
	} else if (h->ca_pem) {
		struct curl_blob blob = { .data = h->ca_pem, .len = strlen(h->ca_pem),
					  .flags = CURL_BLOB_COPY };

		curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
	} else if (h->ca_file) {
		curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
	}
	if (h->client_cert_pem) {
		struct curl_blob blob = { .data = h->client_cert_pem, .len = strlen(h->client_cert_pem),
					  .flags = CURL_BLOB_COPY };

		curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, &blob);
		curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
	} else if (h->client_cert_file) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, h->client_cert_file);
	}
	if (h->client_key_pem) {
		size_t len;
		const char *k = berth_secret_reveal(h->client_key_pem, &len);
		struct curl_blob blob = { .data = (void *)k, .len = len, .flags = CURL_BLOB_NOCOPY };

		curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, &blob);
		curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
	} else if (h->client_key_file) {
		curl_easy_setopt(c, CURLOPT_SSLKEY, h->client_key_file);
	}
	return 0;
}

static CURLcode attempt_once(struct berth_http *h, CURL *c, const struct berth_http_req *req,
			     const char *url, bool idempotent, struct berth_http_resp *resp,
			     char *errbuf, bool *overflow)
{
	struct curl_slist *hdrs = NULL;
	struct berth_secret *auth = NULL, *extra = NULL;
	struct attempt a = { .h = h, .resp = resp, .trace = berth_log_enabled(BERTH_LOG_TRACE, "http") };
	CURLcode rc;
	char ctbuf[160];

	curl_easy_reset(c);
	errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->timeout_ms);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "berth/" "0.1");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &a);
	/*
	 * libcurl silently re-sends a request whose reused connection died
	 * before any response byte arrived; the server may already have acted
	 * on it. A request that must not be sent twice gets a connection of its
	 * own, which libcurl never retries.
	 */
	if (!idempotent)
		curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
	if (a.trace) {
		curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
		curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, on_debug);
		curl_easy_setopt(c, CURLOPT_DEBUGDATA, &a);
	}
	set_tls(h, c);

	if (!strcmp(req->method, "HEAD")) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (!strcmp(req->method, "GET")) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
		if (req->body || strcmp(req->method, "DELETE")) {
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
					 (curl_off_t)(req->body ? req->body_len : 0));
		}
	}
	/* No "Expect: 100-continue" round trip. */
	hdrs = curl_slist_append(hdrs, "Expect:");
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	if (req->body) {
		snprintf(ctbuf, sizeof(ctbuf), "Content-Type: %s",
			 req->content_type ? req->content_type : "application/json");
		hdrs = curl_slist_append(hdrs, ctbuf);
	} else {
		/* An empty POST body is not a form: drop the type libcurl would add. */
		hdrs = curl_slist_append(hdrs, "Content-Type:");
	}
	pthread_mutex_lock(&h->lock);
	for (size_t i = 0; i < h->nheaders; i++)
		hdrs = curl_slist_append(hdrs, h->headers[i]);
	if (!req->no_auth && !req->basic_user)
		auth = berth_secret_dup(h->auth_line);
	if (!req->no_auth)
		extra = berth_secret_dup(h->secret_header_line);
	a.secret_name = xstrdup_or_null(h->secret_header_name);
	pthread_mutex_unlock(&h->lock);
	if (req->basic_user && !req->no_auth)
		auth = basic_line(req->basic_user, req->basic_secret);
	if (auth)
		hdrs = curl_slist_append(hdrs, berth_secret_reveal(auth, NULL));
	if (extra)
		hdrs = curl_slist_append(hdrs, berth_secret_reveal(extra, NULL));
	for (const char *const *x = req->headers; x && *x; x++)
		hdrs = curl_slist_append(hdrs, *x);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);

	rc = curl_easy_perform(c);
	*overflow = a.overflow;
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	/*
	 * curl copied the header lines; wipe our copies. All of them: per-request
	 * headers may carry credentials too, and this reads no shared state.
	 */
	for (struct curl_slist *s = hdrs; s; s = s->next)
		explicit_bzero(s->data, strlen(s->data));
	curl_slist_free_all(hdrs);
	berth_secret_free(auth);
	berth_secret_free(extra);
	free(a.secret_name);
	return rc;
}

static long backoff_ms(struct berth_http *h, int attempt, long retry_after_s)
{
	long d;
	unsigned int r = 0;

	if (retry_after_s >= 0)
		return retry_after_s * 1000;
	d = h->retry_base_ms;
	for (int i = 0; i < attempt && d < h->retry_max_ms; i++)
		d *= 2;
	if (d > h->retry_max_ms)
		d = h->retry_max_ms;
	/* Jitter: somewhere in [d/2, d]. */
	berth_random_bytes(&r, sizeof(r));
	return d / 2 + (long)(r % (unsigned int)(d / 2 + 1));
}

/*
 * A whole URL in a request (a token realm the server named) meets the rules
 * of a base URL: http or https, and plain http only to loopback unless the
 * service allows it, since the service's credentials go along.
 */
static int check_req_url(const struct berth_http *h, const char *url, const char *op,
			 struct berth_err *err)
{
	char *scheme = NULL, *host = NULL;
	int ret = berth_url_split(url, &scheme, &host, NULL, NULL, err);

	if (ret)
		ret = berth_err_prefix(err, "%s: %s", h->service, op);
	else if (!strcmp(scheme, "http") && !h->allow_plain_http && !berth_host_is_loopback(host))
		ret = berth_err_set(err, BERTH_ECONFIG,
				    "%s: %s: refusing plain http:// to '%s' (not loopback)",
				    h->service, op, host);
	free(scheme);
	free(host);
	return ret;
}

int berth_http_do(struct berth_http *h, const struct berth_http_req *req,
		  struct berth_http_resp *resp, struct berth_err *err)
{
	struct berth_buf url = BERTH_BUF_INIT;
	char errbuf[CURL_ERROR_SIZE];
	bool idempotent = req->idempotent < 0 ? method_idempotent(req->method) : req->idempotent > 0;
	const char *op = req->op ? req->op : req->method;
	CURL *c;
	int ret = 0;

	berth_http_resp_release(resp);
	if (!resp->body.max)
		resp->body.max = h->max_body;
	if (req->url) {
		ret = check_req_url(h, req->url, op, err);
		if (ret)
			return ret;
		berth_buf_addstr(&url, req->url);
	} else {
		berth_buf_addstr(&url, h->base_url);
		berth_buf_addstr(&url, req->path);
	}
	c = pool_get(h);
	for (int attempt = 0;; attempt++) {
		bool overflow = false, retry = false;
		CURLcode rc;
		long wait;
		int64_t t0 = berth_mono_ms();

		berth_http_resp_release(resp);
		resp->body.max = h->max_body;
		resp->attempts = attempt + 1;
		rc = attempt_once(h, c, req, url.buf, idempotent, resp, errbuf, &overflow);
		pthread_mutex_lock(&h->lock);
		h->stats.by_class[rc == CURLE_OK && resp->status >= 100 && resp->status < 600
					  ? resp->status / 100 : 0]++;
		if (attempt)
			h->stats.retries++;
		pthread_mutex_unlock(&h->lock);
		if (rc == CURLE_OK) {
			berth_log_debug("http", "%s %s %s -> %ld (%" PRId64 " ms)", h->service,
					req->method, req->path ? req->path : "(url)", resp->status,
					berth_mono_ms() - t0);
			if (!status_retryable(resp->status) || !idempotent || attempt >= h->max_retries)
				break;
			if (resp->retry_after_s > h->retry_max_ms / 1000)
				break;
			retry = true;
			wait = backoff_ms(h, attempt, (resp->status == 429 || resp->status == 503)
							      ? resp->retry_after_s : -1);
			berth_log_info("http", "%s: %s: HTTP %ld, retrying in %ld ms (attempt %d of %d)",
				       h->service, op, resp->status, wait, attempt + 2,
				       h->max_retries + 1);
		} else {
			if (overflow) {
				ret = berth_err_set(err, BERTH_EPROTO,
						    "%s: %s: response larger than %zu bytes", h->service,
						    op, h->max_body);
				/* The connection is mid-body; do not reuse it. */
				curl_easy_cleanup(c);
				c = NULL;
				break;
			}
			berth_log_debug("http", "%s %s %s -> curl error %d: %s", h->service, req->method,
					req->path ? req->path : "(url)", (int)rc,
					errbuf[0] ? errbuf : curl_easy_strerror(rc));
			if (attempt < h->max_retries && curl_retryable(rc) &&
			    (idempotent || curl_never_sent(rc))) {
				retry = true;
				wait = backoff_ms(h, attempt, -1);
				berth_log_info("http", "%s: %s: %s, retrying in %ld ms", h->service, op,
					       errbuf[0] ? errbuf : curl_easy_strerror(rc), wait);
			} else {
				/* The URL tried, without its query (which may carry names or tokens). */
				ret = berth_err_set(err, BERTH_ENET, "%s: %s: %s (%.*s)", h->service, op,
						    errbuf[0] ? errbuf : curl_easy_strerror(rc),
						    (int)strcspn(url.buf, "?#"), url.buf);
				resp->status = 0;
				break;
			}
		}
		if (retry)
			berth_sleep_ms(wait, NULL);
	}
	if (c)
		pool_put(h, c);
	berth_buf_release(&url);
	return ret;
}

int berth_http_status_code(long status)
{
	if (status >= 200 && status < 400)
		return 0;
	switch (status) {
	case 400:
	case 422:
		return BERTH_EINVALID;
	case 401:
		return BERTH_EAUTH;
	case 403:
		return BERTH_EFORBIDDEN;
	case 404:
		return BERTH_ENOTFOUND;
	case 409:
	case 412:
		return BERTH_ECONFLICT;
	case 429:
		return BERTH_ERATELIMIT;
	default:
		return status >= 500 ? BERTH_ESERVER : BERTH_ERROR;
	}
}

/*
 * Append one message of a server. Vault wraps its errors in Go's
 * multierror text ("1 error occurred:\n\t* permission denied\n\n"); keep
 * the items, joined by "; ".
 */
static void add_message(struct berth_buf *out, const char *s)
{
	const char *p = s;
	bool first = true;

	while (*p >= '0' && *p <= '9')
		p++;
	if (p == s || (strncmp(p, " error occurred:\n", 17) && strncmp(p, " errors occurred:\n", 18)) ||
	    strncmp(strchr(p, '\n') + 1, "\t* ", 3)) {
		berth_buf_addstr(out, s);
		return;
	}
	p = strchr(p, '\n') + 1;
	while (!strncmp(p, "\t* ", 3)) {
		const char *item = p + 3, *next = strstr(item, "\n\t* ");
		size_t n = next ? (size_t)(next - item) : strlen(item);

		while (n && (item[n - 1] == '\n' || item[n - 1] == '\t' || item[n - 1] == ' '))
			n--;
		if (!first)
			berth_buf_addstr(out, "; ");
		berth_buf_add(out, item, n);
		first = false;
		if (!next)
			break;
		p = next + 1;
	}
}

void berth_http_server_message(struct berth_buf *out, const char *body, size_t len)
{
	json_t *root = NULL, *errs, *v;
	size_t i, start = out->len;

	if (!len)
		return;
	root = json_loadb(body, len, 0, NULL);
	if (json_is_object(root)) {
		const char *msg;

		errs = json_object_get(root, "errors");
		if (json_is_array(errs)) {
			json_array_foreach(errs, i, v) {
				const char *s = json_is_string(v) ? json_string_value(v)
								  : berth_json_str(v, "message");
				const char *code = berth_json_str(v, "code");

				if (!s && !code)
					continue;
				if (out->len > start)
					berth_buf_addstr(out, "; ");
				if (code)
					berth_buf_addstr(out, code);
				if (code && s)
					berth_buf_addstr(out, ": ");
				if (s)
					add_message(out, s);
			}
		} else if ((msg = berth_json_str(root, "message"))) {
			const char *reason = berth_json_str(root, "reason");

			if (reason)
				berth_buf_addf(out, "%s: %s", reason, msg);
			else
				berth_buf_addstr(out, msg);
		} else if ((msg = berth_json_str(root, "error"))) {
			berth_buf_addstr(out, msg);
		}
		if (out->len == start) {
			json_t *warnings = json_object_get(root, "warnings");

			if (json_is_array(warnings) && json_is_string(json_array_get(warnings, 0)))
				berth_buf_addstr(out, json_string_value(json_array_get(warnings, 0)));
		}
	} else if (!root) {
		/* Plain text (the token service's 400, proxies): first line, bounded. */
		size_t n = 0;

		while (n < len && n < 200 && body[n] != '\n' && body[n] != '<')
			n++;
		if (n && body[0] != '<')
			berth_buf_add(out, body, n);
	}
	json_decref(root);
	/* Multi-line Vault errors ("1 error occurred:\n\t* permission denied"). */
	for (i = start; i < out->len; i++)
		if ((unsigned char)out->buf[i] < 0x20)
			out->buf[i] = ' ';
	/* Trim what was appended only: the caller's text before it stays as it was. */
	while (out->len > start && out->buf[out->len - 1] == ' ')
		out->buf[--out->len] = '\0';
}

int berth_http_fail(const struct berth_http *h, const struct berth_http_resp *resp,
		    struct berth_err *err, const char *fmt, ...)
{
	struct berth_buf what = BERTH_BUF_INIT, msg = BERTH_BUF_INIT;
	int code = berth_http_status_code(resp->status);
	va_list ap;

	if (!code)
		code = BERTH_EPROTO;
	va_start(ap, fmt);
	berth_buf_vaddf(&what, fmt, ap);
	va_end(ap);
	berth_http_server_message(&msg, resp->body.buf, resp->body.len);
	if (resp->status == 503 && strstr(msg.buf, "sealed"))
		code = BERTH_ESEALED;
	berth_err_set(err, code, "%s: %s: HTTP %ld%s%s", h->service, what.buf, resp->status,
		      msg.len ? ": " : "", msg.buf);
	if (err) {
		err->http_status = resp->status;
		err->retry_after_s = resp->retry_after_s;
	}
	berth_buf_release(&what);
	berth_buf_release(&msg);
	return code;
}
