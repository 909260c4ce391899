/*
 * sim.h - berth-sim's core: one libmicrohttpd daemon per simulated API,
 * over TLS on an ephemeral loopback port, with a request log, fault
 * injection, optional added latency, and the /_sim/ control endpoints.
 *
 * Each API (Harbor, Vault, Kubernetes) provides a handler that sees a
 * parsed struct sim_req (raw path and query kept, so that APIs that decode
 * twice can) and fills a struct sim_resp. Handlers run with the API's
 * state lock held; the core drops it around added latency.
 *
 * Never linked into berth.
 */
#ifndef BERTH_SIM_H
#define BERTH_SIM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"

struct sim_api;

/* One query parameter, decoded once with Go's url.ParseQuery rules ('+' is a space). */
struct sim_param {
	char *key;
	char *value;
};

struct sim_req {
	const char *method;
	char *raw_path;          /* as sent, percent-encoded */
	char *path;              /* percent-decoded once */
	char *raw_query;         /* as sent, without '?', "" when none */
	struct sim_param *params;
	size_t nparams;
	struct berth_buf body;
	void *conn;              /* struct MHD_Connection * */
};

struct sim_header {
	char *name;
	char *value;
};

struct sim_resp {
	int status;
	struct berth_buf body;
	char *content_type;      /* NULL: application/json */
	struct sim_header *headers;
	size_t nheaders;
	bool no_body;            /* HEAD-style: headers only */
};

/*
 * A handler for one API. It returns nothing: it sets resp->status and the
 * body. The API's lock is held.
 */
typedef void sim_handler_fn(struct sim_api *api, struct sim_req *req, struct sim_resp *resp);

struct sim_api {
	const char *name;        /* "harbor", "vault", "kube" */
	sim_handler_fn *handler;
	void *state;             /* the API's own state */
	pthread_mutex_t lock;    /* guards state, log and faults */
	uint16_t want_port;      /* port to bind; 0 (the default): an ephemeral one */
	/*
	 * Optional, set by the module before start: a CA (PEM) against which
	 * TLS client certificates are requested (not required). The module
	 * checks the peer itself through the GnuTLS session of req->conn.
	 */
	const char *client_ca_pem;
	uint16_t port;
	void *daemon;            /* struct MHD_Daemon * */
	struct sim_world *world;

	/* request log since the last reset */
	json_t *log;             /* array of {"method","path","query","status","conn"[,"fault"]
				    [,"body_sha256"]}: the SHA-256 of a non-empty body */
	uint64_t connections;    /* connections accepted since start; "conn" numbers them from 1 */
	/* pending faults */
	json_t *faults;          /* array of fault objects, consumed as they fire */
};

/* Everything the sim serves, and the files it wrote. */
struct sim_world {
	char *dir;
	char *ca_file;           /* DIR/ca.pem */
	const char *server_san;  /* subjectAltName of the server certificate; NULL: 127.0.0.1, localhost, ::1 */
	bool server_expired;     /* serve a server certificate that expired yesterday (TLS tests) */
	char *cert_pem;          /* server certificate (127.0.0.1, localhost) */
	char *key_pem;
	char *token_cert_file;   /* DIR/token.crt */
	char *token_key_file;    /* DIR/token.key */
	void *token_key;         /* EVP_PKEY * for RS256 */
	char *token_kid;         /* libtrust key id of the token key */
	long latency_ms;         /* added to every request */
	bool plain_http;         /* serve without TLS (tests of http:// refusal) */
	struct sim_api *apis[8];
	size_t napis;

	/*
	 * Crash injection: SIGKILL kill_pid at the kill_at-th request counted
	 * across every API since it was armed (POST /_sim/kill on any API;
	 * optionally only requests matching kill_method and kill_path),
	 * before the request is handled or right after (the server acted, the
	 * client never hears). Guarded by kill_lock.
	 */
	pthread_mutex_t kill_lock;
	long requests;           /* non-control requests since the last arming */
	long kill_at;            /* 0: disarmed */
	long kill_pid;
	bool kill_before;
	char *kill_method;       /* count only these methods ("POST|PATCH"); NULL: all */
	char *kill_path;         /* count only paths with this prefix; NULL: all */
	json_t *killed;          /* {"k","method","path","service","when"} once fired, else NULL */
};

/* ---- request helpers --------------------------------------------------- */

/* The first value of query parameter key, or NULL. */
const char *sim_param(const struct sim_req *req, const char *key);
/* A request header (case-insensitive), or NULL. */
const char *sim_header(const struct sim_req *req, const char *name);
/* Decode Basic credentials from Authorization; returns false when absent or malformed. */
bool sim_basic_auth(const struct sim_req *req, char **user, char **pass);
/* The Bearer token from Authorization, or NULL (borrowed). */
const char *sim_bearer(const struct sim_req *req);
/* Parse the body as JSON (new reference) or NULL. */
json_t *sim_body_json(const struct sim_req *req);

/* Percent-decode s once; with plus_space, '+' becomes ' ' (query semantics). New string. */
char *sim_unescape(const char *s, bool plus_space);

/* ---- response helpers -------------------------------------------------- */

void sim_resp_header(struct sim_resp *resp, const char *name, const char *value);
/* Set status and a JSON body (steals j). */
void sim_resp_json(struct sim_resp *resp, int status, json_t *j);
/* Like sim_resp_json, then append "\n" (Harbor's error bodies end with one). */
void sim_resp_json_nl(struct sim_resp *resp, int status, json_t *j);
void sim_resp_text(struct sim_resp *resp, int status, const char *content_type, const char *text);
void sim_resp_empty(struct sim_resp *resp, int status);

/* ---- lifecycle --------------------------------------------------------- */

/*
 * Make DIR's throwaway CA, server certificate and token key. Returns 0 or
 * -1 with a message on stderr.
 */
int sim_world_init(struct sim_world *w, const char *dir);
/* Free what sim_world_init() allocated (the files stay). Stop the APIs first. */
void sim_world_release(struct sim_world *w);

/* Start an API on an ephemeral loopback port. Returns 0 or -1. */
int sim_api_start(struct sim_world *w, struct sim_api *api);
void sim_api_stop(struct sim_api *api);

/* The base URL of a started API ("https://127.0.0.1:PORT"). New string. */
char *sim_api_url(const struct sim_api *api);

/* Random alphanumeric string of n characters (n < 256). */
void sim_random_alnum(char *out, size_t n);
/* RFC 3339 UTC time with milliseconds ("2025-01-15T08:30:00.123Z"). */
void sim_time_ms(char out[32], int64_t unix_ms);
int64_t sim_now_ms(void);

/* RS256-sign header.payload (compact JWS). New string or NULL. */
char *sim_jwt_rs256(const struct sim_world *w, json_t *header, json_t *claims);

#endif
