/*
 * http.h - berth's one HTTP layer, and the only user of libcurl.
 *
 * One struct berth_http per service (Harbor, Vault, Kubernetes, ...). It is
 * safe to share between threads: each request borrows a keep-alive curl
 * handle from the service's pool. TLS verification is on unless the
 * options turn it off by name; no cookie engine is ever enabled (Harbor
 * enforces CSRF on cookie sessions). Idempotent requests are retried on
 * dropped connections, 429 and 5xx (not 501) with capped exponential
 * backoff and jitter, honouring Retry-After on 429/503; other requests are
 * retried only when the connection was never made.
 */
#ifndef BERTH_HTTP_H
#define BERTH_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct berth_err;
struct berth_http;
struct berth_secret;

struct berth_http_opts {
	const char *service;           /* "harbor", "vault", "kube": names errors, logs, metrics */
	const char *base_url;          /* scheme://host[:port][/prefix]; request paths are appended */
	const char *ca_file;           /* PEM bundle to trust; NULL: the system store */
	const char *ca_pem;            /* PEM bundle in memory (kubeconfig); wins over ca_file */
	const char *client_cert_file;  /* client certificate (PEM) */
	const char *client_key_file;
	const char *client_cert_pem;   /* in-memory variants (kubeconfig *-data) */
	const struct berth_secret *client_key_pem;
	bool insecure_skip_verify;     /* turn TLS verification off (a warning is logged) */
	bool allow_plain_http;         /* allow http:// to a host that is not loopback */
	long connect_timeout_ms;       /* 0: 10 s */
	long timeout_ms;               /* whole request; 0: 60 s */
	size_t max_body;               /* response cap in bytes; 0: 8 MiB */
	int max_retries;               /* -1: default 3; 0: never retry */
	long retry_base_ms;            /* 0: 200 ms */
	long retry_max_ms;             /* 0: 10 s; also the longest Retry-After honoured */
};

struct berth_http_req {
	const char *method;            /* "GET", "POST", ... */
	const char *path;              /* URL-encoded path and query, appended to base_url */
	const char *url;               /* or a whole URL (token realms); wins over path */
	const char *op;                /* what this is, for errors and logs: "list robots" */
	const char *content_type;      /* of body; NULL: application/json when a body is given */
	const char *body;
	size_t body_len;
	const char *const *headers;    /* extra "Name: value" lines, NULL-terminated */
	int idempotent;                /* -1: by method (GET HEAD PUT DELETE); 0: no; 1: yes */
	const char *basic_user;        /* per-request Basic auth instead of the service's */
	const struct berth_secret *basic_secret;
	bool no_auth;                  /* send no credentials at all */
};

struct berth_http_resp {
	long status;                   /* 0 when no response arrived */
	struct berth_buf body;         /* capped; wiped on release */
	char content_type[128];
	long retry_after_s;            /* -1 when absent */
	int64_t total_count;           /* X-Total-Count, -1 when absent */
	char *location;                /* Location header or NULL */
	char *link;                    /* Link header or NULL */
	char *www_authenticate;        /* WWW-Authenticate header or NULL */
	int attempts;                  /* how many times the request was sent */
};

/* Request counters of one service, for metrics. */
struct berth_http_stats {
	uint64_t by_class[6];          /* [0] no response, [1..5] 1xx..5xx */
	uint64_t retries;
};

/* Call once per process before any other function here. */
void berth_http_global_init(void);

/*
 * Create a client for one service. Options are copied. Refuses http:// to a
 * non-loopback host unless allow_plain_http. Returns 0 or BERTH_ECONFIG.
 */
int berth_http_new(struct berth_http **out, const struct berth_http_opts *opts, struct berth_err *err);
void berth_http_free(struct berth_http *h);
const char *berth_http_service(const struct berth_http *h);
const char *berth_http_base_url(const struct berth_http *h);

/* Credentials sent with every request (replacing earlier ones). The secret is copied. */
void berth_http_set_basic_auth(struct berth_http *h, const char *user, const struct berth_secret *secret);
void berth_http_set_bearer(struct berth_http *h, const struct berth_secret *token);
/* A secret header such as "X-Vault-Token"; redacted in traces. NULL secret removes it. */
void berth_http_set_secret_header(struct berth_http *h, const char *name, const struct berth_secret *value);
/* A plain header sent with every request ("X-Vault-Namespace", "team-a"); NULL value removes. */
void berth_http_set_header(struct berth_http *h, const char *name, const char *value);

void berth_http_resp_init(struct berth_http_resp *resp);
void berth_http_resp_release(struct berth_http_resp *resp);

/*
 * Send a request, with retries as described above. Returns 0 when a
 * response arrived, whatever its status (check resp->status); BERTH_ENET
 * when none did; BERTH_EPROTO when the body exceeded the cap; BERTH_ECONFIG
 * when req->url breaks the rules of a base URL (scheme, plain http). A
 * request that is not idempotent gets a connection of its own, so that
 * neither berth nor libcurl ever sends it twice. resp must be initialised;
 * its previous contents are released. Network I/O.
 */
int berth_http_do(struct berth_http *h, const struct berth_http_req *req,
		  struct berth_http_resp *resp, struct berth_err *err);

/*
 * Turn a response with an unexpected status into an error: the code from
 * the status (400/422 EINVALID, 401 EAUTH, 403 EFORBIDDEN, 404 ENOTFOUND,
 * 409/412 ECONFLICT, 429 ERATELIMIT, 503 "Vault is sealed" ESEALED, 5xx
 * ESERVER), and a message naming the service, the operation and object
 * (what), the status and the server's own message, taken from whichever
 * envelope it used (Harbor/registry errors[], Vault errors[], Kubernetes
 * Status). Bodies are never quoted whole. Returns the code.
 */
int berth_http_fail(const struct berth_http *h, const struct berth_http_resp *resp,
		    struct berth_err *err, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The error code for an HTTP status (0 for 2xx/3xx). */
int berth_http_status_code(long status);

/* Extract the server's message from an error body into out (appended); empty when none. */
void berth_http_server_message(struct berth_buf *out, const char *body, size_t len);

void berth_http_get_stats(const struct berth_http *h, struct berth_http_stats *out);

/*
 * Split an absolute URL. Any out pointer may be NULL; strings are the
 * caller's. port is the explicit port or the scheme's default. Returns 0 or
 * BERTH_ECONFIG.
 */
int berth_url_split(const char *url, char **scheme, char **host, long *port, char **path,
		    struct berth_err *err);
/* true when host is a loopback name or address (localhost, 127.0.0.0/8, ::1). */
bool berth_host_is_loopback(const char *host);

/*
 * Redact a JSON body or a header line for tracing, appending to out.
 * Headers: Authorization, Proxy-Authorization, X-Vault-Token, Cookie,
 * Set-Cookie and X-Harbor-CSRF-Token keep their name (and auth scheme) and
 * show "<redacted>"; traces also redact the service's secret header. Bodies:
 * values of credential-like keys at any depth (auth, data, stringData, ...,
 * and any key containing password, secret or token, ignoring case) become
 * "<redacted>", other strings are cut to 50 bytes, and a body that is not
 * JSON is not shown.
 */
void berth_http_redact_body(struct berth_buf *out, const char *body, size_t len);
void berth_http_redact_header(struct berth_buf *out, const char *line, size_t len);

#endif
