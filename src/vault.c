/*
 * vault.c - HashiCorp Vault client and the Vault store backend.
 *
 * DESIGN
 * One login per run (token lookup, Kubernetes or AppRole), the token kept
 * as a secret header. Before each request the token's remaining TTL is
 * checked: under a third of its lease it is renewed, and when renewal is
 * refused, or capped by the max TTL to a third of the login's lease, berth
 * logs in again (Kubernetes, AppRole; a static token is used while it
 * lasts). A 403 "invalid token" in the middle of a run triggers one
 * re-login and one retry. Before the first write, sys/health must say the
 * node serves requests (standbys forward them; sealed stops the run).
 *
 * Store entries on KV v2: the data holds the seed's layout (name, secret)
 * plus pending_secret while a change is in flight and registry; berth's
 * bookkeeping is custom_metadata (berth_owner, berth_robot_id, ...). Data
 * writes are check-and-set on the version read. For a new key the
 * metadata (the owner marker) is written first, so that no crash leaves
 * data berth wrote without berth's mark. On KV v1 everything is one flat
 * map with berth_-prefixed bookkeeping, and there is no check-and-set.
 */
#include "compat.h"
#include "vault.h"
#include "buf.h"
#include "config.h"
#include "err.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "secret.h"
#include "secretref.h"
#include "store.h"
#include "util.h"
#include "xalloc.h"

#include <pthread.h>

struct berth_vault {
	struct berth_http *http;
	enum berth_vault_auth auth;
	char *mount;
	char *namespace;           /* NULL: the root namespace */
	char *k8s_role, *k8s_mount, *k8s_token_file;
	char *approle_mount;
	struct berth_secret *static_token;
	struct berth_secret *role_id, *secret_id;
	int kv_version;            /* configured: 0 auto */
	int kv;                    /* in use */

	pthread_mutex_t lock;      /* login state */
	bool logged_in;
	bool renewable;
	int64_t lease_s;           /* 0: never expires */
	int64_t login_lease_s;     /* the lease the last login gave */
	int64_t expires_ms;        /* monotonic; 0: never */
};

int berth_vault_new(struct berth_vault **out, const struct berth_vault_config *cfg,
		    struct berth_kube *kube, int max_retries, struct berth_err *err)
{
	struct berth_http_opts ho = {
		.service = "vault", .base_url = cfg->address, .ca_file = cfg->ca_file,
		.insecure_skip_verify = cfg->insecure_skip_tls_verify,
		.allow_plain_http = cfg->allow_plain_http, .max_retries = max_retries,
		.timeout_ms = cfg->timeout_s > 0 ? cfg->timeout_s * 1000 : 0,
	};
	struct berth_vault *v = xcalloc(1, sizeof(*v));
	int ret;

	*out = NULL;
	pthread_mutex_init(&v->lock, NULL);
	v->auth = cfg->auth;
	v->mount = xstrdup(cfg->mount ? cfg->mount : "secret");
	v->kv_version = cfg->kv_version;
	ret = berth_http_new(&v->http, &ho, err);
	if (ret)
		goto fail;
	berth_http_set_header(v->http, "X-Vault-Request", "true");
	if (cfg->namespace && *cfg->namespace) {
		v->namespace = xstrdup(cfg->namespace);
		berth_http_set_header(v->http, "X-Vault-Namespace", cfg->namespace);
	}
	switch (cfg->auth) {
	case BERTH_VAULT_AUTH_TOKEN:
		ret = berth_secret_ref_resolve(&v->static_token, &cfg->token, kube, "store.vault.auth.token", err);
		break;
	case BERTH_VAULT_AUTH_KUBERNETES:
		v->k8s_role = xstrdup(cfg->k8s_role);
		v->k8s_mount = xstrdup(cfg->k8s_mount ? cfg->k8s_mount : "kubernetes");
		v->k8s_token_file = xstrdup(cfg->k8s_token_file);
		break;
	case BERTH_VAULT_AUTH_APPROLE:
		v->approle_mount = xstrdup(cfg->approle_mount ? cfg->approle_mount : "approle");
		ret = berth_secret_ref_resolve(&v->role_id, &cfg->role_id, kube,
					       "store.vault.auth.approle.roleId", err);
		/* No secretId: a role with bind_secret_id=false logs in with its role ID alone. */
		if (!ret && cfg->secret_id.kind != BERTH_REF_NONE)
			ret = berth_secret_ref_resolve(&v->secret_id, &cfg->secret_id, kube,
						       "store.vault.auth.approle.secretId", err);
		break;
	}
	if (ret)
		goto fail;
	*out = v;
	return 0;
fail:
	berth_vault_free(v);
	return ret;
}

void berth_vault_free(struct berth_vault *v)
{
	if (!v)
		return;
	berth_http_free(v->http);
	free(v->mount);
	free(v->namespace);
	free(v->k8s_role);
	free(v->k8s_mount);
	free(v->k8s_token_file);
	free(v->approle_mount);
	berth_secret_free(v->static_token);
	berth_secret_free(v->role_id);
	berth_secret_free(v->secret_id);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

void berth_vault_get_stats(const struct berth_vault *v, struct berth_http_stats *out)
{
	berth_http_get_stats(v->http, out);
}

int berth_vault_kv_version(const struct berth_vault *v)
{
	return v->kv;
}

/* ---- raw requests --------------------------------------------------------- */

static int raw(struct berth_vault *v, const char *method, const char *path, json_t *body, bool no_auth,
	       int idempotent, const char *op, struct berth_http_resp *resp, struct berth_err *err)
{
	struct berth_http_req req = { .method = method, .path = path, .op = op, .no_auth = no_auth,
				      .idempotent = idempotent };
	struct berth_buf b = BERTH_BUF_INIT;
	int ret;

	if (body) {
		if (berth_json_dump(&b, body, JSON_COMPACT))
			BERTH_BUG("cannot serialise a Vault request");
		req.body = b.buf;
		req.body_len = b.len;
	}
	ret = berth_http_do(v->http, &req, resp, err);
	berth_buf_wipe(&b);
	return ret;
}

int berth_vault_health(struct berth_vault *v, struct berth_err *err)
{
	struct berth_http_resp resp;
	json_t *root = NULL;
	int ret;

	berth_http_resp_init(&resp);
	/*
	 * Standby and performance standby nodes forward what they cannot serve:
	 * both are fine. Sealed and uninitialised answer 299 (as Vault's Go
	 * client asks), so that the HTTP layer does not retry what only an
	 * operator can fix; the body says which.
	 */
	ret = raw(v, "GET", "/v1/sys/health?standbyok=true&perfstandbyok=true"
		  "&sealedcode=299&uninitcode=299", NULL, true, -1, "check health", &resp, err);
	if (ret)
		goto out;
	switch (resp.status) {
	case 200:
		break;
	case 299:
		berth_json_parse(&root, resp.body.buf, resp.body.len, "vault health", NULL);
		if (!berth_json_bool(root, "initialized", true))
			ret = berth_err_set(err, BERTH_ESERVER, "vault: %s is not initialised",
					    berth_http_base_url(v->http));
		else
			ret = berth_err_set(err, BERTH_ESEALED, "vault: %s is sealed",
					    berth_http_base_url(v->http));
		break;
	case 472:
		ret = berth_err_set(err, BERTH_ESERVER,
				    "vault: %s is a disaster-recovery secondary (HTTP 472), which "
				    "serves no secrets", berth_http_base_url(v->http));
		break;
	default:
		ret = berth_http_fail(v->http, &resp, err, "check health");
	}
out:
	json_decref(root);
	berth_http_resp_release(&resp);
	return ret;
}

/* Record a token's lease; lock held. */
static void set_lease(struct berth_vault *v, int64_t lease_s, bool renewable)
{
	v->lease_s = lease_s;
	v->renewable = renewable;
	v->expires_ms = lease_s > 0 ? berth_mono_ms() + lease_s * 1000 : 0;
}

static int do_login(struct berth_vault *v, struct berth_err *err)
{
	struct berth_http_resp resp;
	struct berth_buf path = BERTH_BUF_INIT;
	struct berth_secret *jwt = NULL, *token = NULL;
	json_t *body = NULL, *root = NULL, *auth;
	const char *tok;
	int ret = 0;

	berth_http_resp_init(&resp);
	if (v->auth == BERTH_VAULT_AUTH_TOKEN) {
		berth_http_set_secret_header(v->http, "X-Vault-Token", v->static_token);
		ret = raw(v, "GET", "/v1/auth/token/lookup-self", NULL, false, -1, "look up the token", &resp, err);
		if (ret)
			goto out;
		if (resp.status == 403 && resp.body.len && strstr(resp.body.buf, "invalid token")) {
			ret = berth_err_set(err, BERTH_EAUTH, "vault: the token was refused (invalid or expired)");
			goto out;
		}
		if (resp.status == 403) {
			/* A valid token without the default policy: use it, unrenewed. */
			berth_log_warn("vault",
				       "the token may not look itself up (permission denied on "
				       "auth/token/lookup-self: no default policy?); it will not "
				       "be renewed");
			set_lease(v, 0, false);
			v->login_lease_s = 0;
			goto out;
		}
		if (resp.status != 200) {
			ret = berth_http_fail(v->http, &resp, err, "look up the token");
			goto out;
		}
		ret = berth_json_parse(&root, resp.body.buf, resp.body.len, "vault: look up the token: the response", err);
		if (ret)
			goto out;
		if (!berth_json_obj(root, "data")) {
			ret = berth_err_set(err, BERTH_EPROTO, "vault: look up the token: the response has no data");
			goto out;
		}
		set_lease(v, berth_json_int(berth_json_obj(root, "data"), "ttl", 0),
			  berth_json_bool(berth_json_obj(root, "data"), "renewable", false));
		v->login_lease_s = v->lease_s;
		goto out;
	}
	if (v->auth == BERTH_VAULT_AUTH_KUBERNETES) {
		/* Read the projected token fresh: it rotates. */
		ret = berth_secret_from_file(&jwt, v->k8s_token_file, err);
		if (ret) {
			berth_err_prefix(err, "vault: kubernetes auth");
			goto out;
		}
		body = json_pack("{s:s, s:s}", "role", v->k8s_role, "jwt", berth_secret_reveal(jwt, NULL));
		berth_buf_addstr(&path, "/v1/auth/");
		berth_buf_add_urlpaths(&path, v->k8s_mount);
		berth_buf_addstr(&path, "/login");
	} else {
		body = json_pack("{s:s}", "role_id", berth_secret_reveal(v->role_id, NULL));
		if (v->secret_id)
			json_object_set_new(body, "secret_id",
					    json_string(berth_secret_reveal(v->secret_id, NULL)));
		berth_buf_addstr(&path, "/v1/auth/");
		berth_buf_add_urlpaths(&path, v->approle_mount);
		berth_buf_addstr(&path, "/login");
	}
	ret = raw(v, "POST", path.buf, body, true, 1, "log in", &resp, err);
	if (ret)
		goto out;
	if (resp.status != 200) {
		ret = berth_http_fail(v->http, &resp, err, "log in with %s auth",
				      v->auth == BERTH_VAULT_AUTH_KUBERNETES ? "kubernetes" : "approle");
		if (ret == BERTH_EFORBIDDEN || ret == BERTH_EINVALID)
			ret = err->code = BERTH_EAUTH;
		goto out;
	}
	ret = berth_json_parse(&root, resp.body.buf, resp.body.len, "vault: log in: the response", err);
	if (ret)
		goto out;
	auth = berth_json_obj(root, "auth");
	tok = berth_json_str(auth, "client_token");
	if (!tok || !*tok) {
		ret = berth_err_set(err, BERTH_EPROTO, "vault: login response has no auth.client_token");
		goto out;
	}
	token = berth_secret_from_str(tok);
	berth_http_set_secret_header(v->http, "X-Vault-Token", token);
	set_lease(v, berth_json_int(auth, "lease_duration", 0), berth_json_bool(auth, "renewable", false));
	v->login_lease_s = v->lease_s;
	berth_log_info("vault", "logged in (token ttl %" PRId64 "s)", v->lease_s);
out:
	json_decref(body);
	json_decref(root);
	berth_secret_free(jwt);
	berth_secret_free(token);
	berth_buf_release(&path);
	berth_http_resp_release(&resp);
	return ret;
}

static int detect_kv(struct berth_vault *v, struct berth_err *err)
{
	struct berth_http_resp resp;
	struct berth_buf path = BERTH_BUF_INIT;
	json_t *root = NULL;
	const char *ver;
	int ret;

	if (v->kv_version) {
		v->kv = v->kv_version;
		return 0;
	}
	berth_http_resp_init(&resp);
	berth_buf_addstr(&path, "/v1/sys/internal/ui/mounts/");
	berth_buf_add_urlpaths(&path, v->mount);
	ret = raw(v, "GET", path.buf, NULL, false, -1, "detect the KV version", &resp, err);
	if (ret)
		goto out;
	if (resp.status == 404) {
		v->kv = 1; /* old servers: assume version 1, as Vault's CLI does */
		goto out;
	}
	if (resp.status != 200) {
		ret = berth_http_fail(v->http, &resp, err, "detect the KV version of mount '%s' (set "
							    "store.vault.kvVersion to skip this)", v->mount);
		goto out;
	}
	ret = berth_json_parse(&root, resp.body.buf, resp.body.len,
			       "vault: detect the KV version: the response", err);
	if (ret)
		goto out;
	/* Guessing version 1 from an answer that is not a mount would read every entry at the wrong path. */
	if (!berth_json_str(berth_json_obj(root, "data"), "type")) {
		ret = berth_err_set(err, BERTH_EPROTO, "vault: detect the KV version of mount '%s': the response "
						       "is not a mount", v->mount);
		goto out;
	}
	ver = berth_json_str(berth_json_obj(berth_json_obj(root, "data"), "options"), "version");
	v->kv = ver && !strcmp(ver, "2") ? 2 : 1;
	berth_log_debug("vault", "mount '%s' is KV version %d", v->mount, v->kv);
out:
	json_decref(root);
	berth_buf_release(&path);
	berth_http_resp_release(&resp);
	return ret;
}

int berth_vault_login(struct berth_vault *v, struct berth_err *err)
{
	int ret;

	pthread_mutex_lock(&v->lock);
	ret = do_login(v, err);
	if (!ret)
		ret = detect_kv(v, err);
	/* Logged in means the KV version is known too: no request goes out with kv 0. */
	v->logged_in = !ret;
	pthread_mutex_unlock(&v->lock);
	return ret;
}

/* Renew the token when it nears expiry; log in again when renewal is refused. */
static int ensure_token(struct berth_vault *v, struct berth_err *err)
{
	int ret = 0;

	pthread_mutex_lock(&v->lock);
	if (!v->logged_in) {
		ret = do_login(v, err);
		if (!ret)
			ret = detect_kv(v, err);
		v->logged_in = !ret;
	} else if (v->expires_ms && v->expires_ms - berth_mono_ms() < (v->lease_s * 1000) / 3) {
		struct berth_http_resp resp;
		json_t *root = NULL;
		bool renewed = false;

		berth_http_resp_init(&resp);
		if (v->renewable && !raw(v, "POST", "/v1/auth/token/renew-self", NULL, false, 1,
					 "renew the token", &resp, NULL) && resp.status == 200 &&
		    !berth_json_parse(&root, resp.body.buf, resp.body.len, "renew", NULL)) {
			json_t *auth = berth_json_obj(root, "auth");
			int64_t lease = berth_json_int(auth, "lease_duration", 0);

			/*
			 * A renewal capped by the token's max TTL to a third of the
			 * login's lease or less is as good as refused: log in again
			 * rather than renew ever more often. A static token takes
			 * whatever it gets.
			 */
			if (lease > 0 &&
			    (v->auth == BERTH_VAULT_AUTH_TOKEN || lease * 3 > v->login_lease_s)) {
				set_lease(v, lease, berth_json_bool(auth, "renewable", false));
				renewed = true;
				berth_log_info("vault", "renewed the token (ttl %" PRId64 "s)", lease);
			}
		}
		json_decref(root);
		berth_http_resp_release(&resp);
		if (!renewed && v->auth != BERTH_VAULT_AUTH_TOKEN) {
			berth_log_info("vault", "token renewal refused or capped; logging in again");
			ret = do_login(v, err);
		} else if (!renewed && v->renewable) {
			/* A static token has no other way: stop asking, use it while it lasts. */
			berth_log_warn("vault", "the Vault token could not be renewed; it expires "
				       "in %" PRId64 "s", (v->expires_ms - berth_mono_ms()) / 1000);
			v->renewable = false;
		}
	}
	pthread_mutex_unlock(&v->lock);
	return ret;
}

/* A request with token upkeep; one re-login and retry on "invalid token". */
static int vreq(struct berth_vault *v, const char *method, const char *path, json_t *body, int idempotent,
		const char *op, struct berth_http_resp *resp, struct berth_err *err)
{
	int ret = ensure_token(v, err);

	if (ret)
		return ret;
	ret = raw(v, method, path, body, false, idempotent, op, resp, err);
	if (!ret && resp->status == 403 && strstr(resp->body.buf, "invalid token") &&
	    v->auth != BERTH_VAULT_AUTH_TOKEN) {
		pthread_mutex_lock(&v->lock);
		berth_log_info("vault", "token refused as invalid; logging in again");
		ret = do_login(v, err);
		pthread_mutex_unlock(&v->lock);
		if (!ret)
			ret = raw(v, method, path, body, false, idempotent, op, resp, err);
	}
	return ret;
}

/* ---- the store backend ------------------------------------------------------ */

/* Compact sorted JSON text in malloc'd memory (json_dumps' belongs to jansson's allocator). */
static char *dump_text(const json_t *v)
{
	struct berth_buf b = BERTH_BUF_INIT;

	if (berth_json_dump(&b, v, JSON_COMPACT | JSON_SORT_KEYS))
		BERTH_BUG("cannot serialise custom_metadata");
	return berth_buf_detach(&b, NULL);
}

struct vault_store {
	struct berth_store base;
	struct berth_vault *v;
};

static void kv_path(struct berth_buf *b, const struct berth_vault *v, const char *sub, const char *path)
{
	berth_buf_addstr(b, "/v1/");
	berth_buf_add_urlpaths(b, v->mount);
	if (sub) {
		berth_buf_addch(b, '/');
		berth_buf_addstr(b, sub);
	}
	berth_buf_addch(b, '/');
	berth_buf_add_urlpaths(b, path);
}

/*
 * Name a store operation for errors: the entry and the Vault path (and
 * namespace) it touches, which is what a policy must allow.
 */
static void op_name(char *op, size_t size, const struct berth_vault *v, const char *verb,
		    const char *path, const struct berth_buf *vpath)
{
	snprintf(op, size, "%s '%s' at %s%s%s", verb, path, vpath->buf + strlen("/v1/"),
		 v->namespace ? " in namespace " : "", v->namespace ? v->namespace : "");
}

/* Split an encoded entry into data (seed layout) and custom_metadata (bookkeeping). */
static void split_entry(json_t *all, json_t **data, json_t **meta)
{
	const char *key;
	json_t *val;

	*data = json_object();
	*meta = json_object();
	json_object_foreach(all, key, val)
		json_object_set(berth_starts_with(key, "berth_") ? *meta : *data, key, val);
}

/*
 * Decode the body of a KV read. 200 gives the entry; 404 gives a deleted
 * entry when KV v2 still holds its metadata, BERTH_ECONFIG when Vault's
 * warnings say the mount is not the KV version in use, else
 * BERTH_ENOTFOUND. *out is the caller's.
 */
static int decode_read(int kv, const char *mount, const char *path, const char *op, long status,
		       const char *body, size_t len, struct berth_store_entry **out, struct berth_err *err)
{
	struct berth_store_entry *e = NULL;
	json_t *root = NULL, *data, *meta, *all = NULL, *cm;
	bool content = false; /* a failure is about the entry's content */
	int ret = 0;

	*out = NULL;
	if (status == 404) {
		/*
		 * Three shapes: absent, deleted/destroyed (metadata present), wrong
		 * path (warnings: a KV v2 mount read as v1, whatever kvVersion says).
		 */
		if (len) /* root stays NULL when the body is not JSON */
			berth_json_parse(&root, body, len, "vault 404", NULL);
		if (kv == 2 && berth_json_obj(berth_json_obj(root, "data"), "metadata")) {
			meta = berth_json_obj(berth_json_obj(root, "data"), "metadata");
			e = berth_store_entry_new();
			e->state = BERTH_ENTRY_DELETED;
			e->version = berth_json_int(meta, "version", 0);
			cm = berth_json_obj(meta, "custom_metadata");
			if (cm) {
				content = true;
				ret = berth_store__decode(cm, e, op, err);
				e->extra = dump_text(cm);
			}
			if (!ret) {
				*out = e;
				e = NULL;
			}
			goto out;
		}
		if (root && json_array_size(berth_json_arr(root, "warnings")) &&
		    !json_array_size(berth_json_arr(root, "errors"))) {
			ret = berth_err_set(err, BERTH_ECONFIG,
					    "vault: mount '%s' is not the KV version berth expected (%s)",
					    mount, json_string_value(json_array_get(berth_json_arr(root, "warnings"), 0)));
			goto out;
		}
		ret = berth_err_set(err, BERTH_ENOTFOUND, "vault: no entry at '%s'", path);
		goto out;
	}
	/*
	 * A body that is not Vault's read envelope is the server's (or a
	 * proxy's) fault, not a corrupt entry: BERTH_EPROTO would make the
	 * entry "unreadable", which the next write replaces without
	 * check-and-set and with a new secret.
	 */
	ret = berth_json_parse(&root, body, len, "the response", err);
	if (!ret) {
		data = berth_json_obj(root, "data");
		if (!data || (kv == 2 && (!berth_json_obj(data, "data") || !berth_json_obj(data, "metadata"))))
			ret = berth_err_set(err, BERTH_ESERVER, "the response is not a KV version %d read", kv);
	}
	if (ret) {
		ret = berth_err_prefix(err, "vault: %s", op);
		goto out;
	}
	e = berth_store_entry_new();
	if (kv == 2) {
		meta = berth_json_obj(data, "metadata");
		all = json_deep_copy(berth_json_obj(data, "data"));
		cm = berth_json_obj(meta, "custom_metadata");
		if (cm) {
			json_object_update(all, cm);
			e->extra = dump_text(cm);
		}
		e->version = berth_json_int(meta, "version", 0);
	} else {
		all = data ? json_incref(data) : json_object();
		e->version = 1;
	}
	content = true;
	ret = berth_store__decode(all, e, op, err);
	if (ret)
		goto out;
	*out = e;
	e = NULL;
out:
	/*
	 * BERTH_EPROTO tells the caller the entry is unreadable, and the next
	 * write replaces it without check-and-set: only for the entry's own
	 * content, never for a garbled response, a login or a KV-version
	 * check that failed on the way.
	 */
	if (ret == BERTH_EPROTO && !content) {
		ret = BERTH_ESERVER;
		if (err)
			err->code = ret;
	}
	json_decref(all);
	json_decref(root);
	berth_store_entry_free(e);
	return ret;
}

static int vs_get(struct berth_store *s, const char *path, struct berth_store_entry **out,
		  struct berth_err *err)
{
	struct vault_store *vs = (struct vault_store *)s;
	struct berth_vault *v = vs->v;
	struct berth_buf p = BERTH_BUF_INIT;
	struct berth_http_resp resp;
	char op[512];
	int ret;

	*out = NULL;
	berth_http_resp_init(&resp);
	ret = ensure_token(v, err);
	if (ret)
		goto out;
	kv_path(&p, v, v->kv == 2 ? "data" : NULL, path);
	op_name(op, sizeof(op), v, "read", path, &p);
	ret = vreq(v, "GET", p.buf, NULL, -1, op, &resp, err);
	if (ret)
		goto out;
	if (resp.status == 200 || resp.status == 404) {
		/* decode_read tells an entry's corrupt content from a garbled response. */
		ret = decode_read(v->kv, v->mount, path, op, resp.status, resp.body.buf, resp.body.len, out, err);
		goto done;
	}
	ret = berth_http_fail(v->http, &resp, err, "%s", op);
out:
	/*
	 * BERTH_EPROTO tells the caller the entry is unreadable, and the next
	 * write replaces it without check-and-set: never for a login or a
	 * KV-version check that failed on the way.
	 */
	if (ret == BERTH_EPROTO) {
		ret = BERTH_ESERVER;
		if (err)
			err->code = ret;
	}
done:
	berth_buf_release(&p);
	berth_http_resp_release(&resp);
	return ret;
}

static int write_custom_metadata(struct berth_vault *v, const char *path, json_t *meta,
				 struct berth_store_entry *e, struct berth_err *err)
{
	struct berth_buf p = BERTH_BUF_INIT;
	struct berth_http_resp resp;
	json_t *merged, *body, *val;
	const char *key;
	void *tmp;
	char *text;
	char op[512];
	int ret = 0;

	/*
	 * Keep keys others put in custom_metadata; replace ours, dropping those
	 * the entry no longer has (a finished berth_pending_slot).
	 */
	merged = e->extra ? json_loads(e->extra, 0, NULL) : NULL;
	if (!json_is_object(merged)) {
		json_decref(merged);
		merged = json_object();
	}
	json_object_foreach_safe(merged, tmp, key, val)
		if (berth_starts_with(key, "berth_"))
			json_object_del(merged, key);
	json_object_update(merged, meta);
	text = dump_text(merged);
	if (e->extra && !strcmp(e->extra, text)) {
		free(text);
		json_decref(merged);
		return 0;
	}
	berth_http_resp_init(&resp);
	kv_path(&p, v, "metadata", path);
	op_name(op, sizeof(op), v, "write the metadata of", path, &p);
	body = json_pack("{s:O}", "custom_metadata", merged);
	ret = vreq(v, "POST", p.buf, body, 1, op, &resp, err);
	if (!ret && resp.status != 204 && resp.status != 200)
		ret = berth_http_fail(v->http, &resp, err, "%s", op);
	if (!ret) {
		free(e->extra);
		e->extra = text;
		text = NULL;
	}
	free(text);
	json_decref(body);
	json_decref(merged);
	berth_buf_release(&p);
	berth_http_resp_release(&resp);
	return ret;
}

static int vs_put(struct berth_store *s, const char *path, struct berth_store_entry *e,
		  struct berth_err *err)
{
	struct vault_store *vs = (struct vault_store *)s;
	struct berth_vault *v = vs->v;
	struct berth_buf p = BERTH_BUF_INIT;
	struct berth_http_resp resp;
	json_t *all = json_object(), *data = NULL, *meta = NULL, *body = NULL, *root = NULL;
	char op[512];
	int ret;

	berth_http_resp_init(&resp);
	ret = ensure_token(v, err);
	if (ret)
		goto out;
	berth_store__encode(e, all);
	if (v->kv == 1) {
		struct berth_store_entry *cur = NULL;
		int r = vs_get(s, path, &cur, err);

		/* KV v1 has no check-and-set: re-read to narrow the race. */
		if (r && r != BERTH_ENOTFOUND) {
			ret = r;
			goto out;
		}
		if (e->version != BERTH_STORE_OVERWRITE && (cur ? 1 : 0) != (e->version ? 1 : 0)) {
			berth_store_entry_free(cur);
			ret = berth_err_set(err, BERTH_ECONFLICT, "vault: entry '%s' appeared or vanished "
								  "since it was read", path);
			goto out;
		}
		berth_store_entry_free(cur);
		kv_path(&p, v, NULL, path);
		op_name(op, sizeof(op), v, "write", path, &p);
		ret = vreq(v, "PUT", p.buf, all, 1, op, &resp, err);
		if (!ret && resp.status != 204 && resp.status != 200)
			ret = berth_http_fail(v->http, &resp, err, "%s", op);
		if (!ret)
			e->version = 1;
		goto out;
	}
	split_entry(all, &data, &meta);
	/* A new key gets berth's mark before any data. */
	if (e->version <= 0) {
		ret = write_custom_metadata(v, path, meta, e, err);
		if (ret)
			goto out;
	}
	kv_path(&p, v, "data", path);
	op_name(op, sizeof(op), v, "write", path, &p);
	/* Replacing an unreadable entry has no version to compare against. */
	if (e->version == BERTH_STORE_OVERWRITE)
		body = json_pack("{s:O}", "data", data);
	else
		body = json_pack("{s:{s:I}, s:O}", "options", "cas", (json_int_t)e->version, "data", data);
	/* Not retried: a lost response is resolved by the next read (CAS). */
	ret = vreq(v, "POST", p.buf, body, 0, op, &resp, err);
	if (ret)
		goto out;
	if (resp.status == 400 && strstr(resp.body.buf, "check-and-set")) {
		ret = berth_http_fail(v->http, &resp, err, "%s", op);
		err->code = BERTH_ECONFLICT;
		ret = BERTH_ECONFLICT;
		goto out;
	}
	if (resp.status != 200) {
		ret = berth_http_fail(v->http, &resp, err, "%s", op);
		goto out;
	}
	/*
	 * Vault answered 200: the write took effect. Its answer only tells the
	 * new version; when it cannot be read, the version is the one a
	 * check-and-set write makes (a wrong guess is a conflict on this run's
	 * next write, never a lost write).
	 */
	if (berth_json_parse(&root, resp.body.buf, resp.body.len, "the answer", NULL) ||
	    !json_is_integer(json_object_get(berth_json_obj(root, "data"), "version"))) {
		berth_log_warn("vault", "%s: the answer carries no version; assuming %" PRId64, op,
			       (int64_t)(e->version + 1));
		e->version++;
	} else {
		e->version = berth_json_int(berth_json_obj(root, "data"), "version", e->version + 1);
	}
	ret = write_custom_metadata(v, path, meta, e, err);
out:
	json_decref(all);
	json_decref(data);
	json_decref(meta);
	json_decref(body);
	json_decref(root);
	berth_buf_release(&p);
	berth_http_resp_release(&resp);
	return ret;
}

static int vs_remove(struct berth_store *s, const char *path, struct berth_err *err)
{
	struct vault_store *vs = (struct vault_store *)s;
	struct berth_vault *v = vs->v;
	struct berth_buf p = BERTH_BUF_INIT;
	struct berth_http_resp resp;
	char op[512];
	int ret;

	berth_http_resp_init(&resp);
	/* Logged in first: the KV version decides the path. */
	ret = ensure_token(v, err);
	if (ret)
		goto out;
	kv_path(&p, v, v->kv == 2 ? "metadata" : NULL, path);
	op_name(op, sizeof(op), v, "delete", path, &p);
	ret = vreq(v, "DELETE", p.buf, NULL, -1, op, &resp, err);
	if (!ret && resp.status != 204 && resp.status != 200)
		ret = berth_http_fail(v->http, &resp, err, "%s", op);
out:
	berth_buf_release(&p);
	berth_http_resp_release(&resp);
	return ret;
}

static int vs_ping(struct berth_store *s, struct berth_err *err)
{
	struct vault_store *vs = (struct vault_store *)s;
	int ret = berth_vault_health(vs->v, err);

	return ret ? ret : ensure_token(vs->v, err);
}

static void vs_free(struct berth_store *s)
{
	struct vault_store *vs = (struct vault_store *)s;

	berth_vault_free(vs->v);
	free(vs);
}

static const struct berth_store_ops vault_ops = {
	.kind = "vault",
	.get = vs_get,
	.put = vs_put,
	.remove = vs_remove,
	.ping = vs_ping,
	.free = vs_free,
};

int berth_store_vault_new(struct berth_store **out, const struct berth_vault_config *cfg,
			  struct berth_kube *kube, int max_retries, struct berth_err *err)
{
	struct vault_store *vs = xcalloc(1, sizeof(*vs));
	int ret = berth_vault_new(&vs->v, cfg, kube, max_retries, err);

	*out = NULL;
	if (ret) {
		free(vs);
		return ret;
	}
	vs->base.ops = &vault_ops;
	*out = &vs->base;
	return 0;
}

struct berth_vault *berth_store_vault_client(struct berth_store *s)
{
	return s->ops == &vault_ops ? ((struct vault_store *)s)->v : NULL;
}

/* ---- for tests and fuzzing ------------------------------------------------- */

int berth_vault__decode_read(struct berth_store_entry **out, int kv, long status, const char *body,
			     size_t len, struct berth_err *err)
{
	return decode_read(kv, "secret", "entry", "read 'entry'", status, body, len, out, err);
}
