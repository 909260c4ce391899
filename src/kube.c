/*
 * kube.c - Kubernetes API client: connection from a kubeconfig or from
 * inside a pod, and typed calls for Secrets, Namespaces, Ingresses and
 * Leases.
 */
#include "compat.h"
#include "kube.h"
#include "buf.h"
#include "codec.h"
#include "config.h"
#include "err.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "secret.h"
#include "util.h"
#include "xalloc.h"

#include <libgen.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define TOKEN_REREAD_S 60

struct berth_kube {
	struct berth_http *http;
	char *ns;                  /* default namespace */
	char *token_file;          /* bearer token re-read from this file */
	int64_t token_read_ms;
	int64_t token_reread_ms;   /* re-read period, at most TOKEN_REREAD_S */
	pthread_mutex_t lock;
};

/*
 * client-go re-reads a token file every minute; so does berth. Tests may
 * shorten the period with $BERTH_SA_TOKEN_REREAD_S (1 to 60), never
 * lengthen it.
 */
static int64_t token_reread_ms(void)
{
	const char *v = getenv("BERTH_SA_TOKEN_REREAD_S");
	long long s;

	if (v && !berth_parse_long(v, 1, TOKEN_REREAD_S, &s))
		return (int64_t)s * 1000;
	return TOKEN_REREAD_S * 1000;
}

/* ---- kubeconfig ---------------------------------------------------------- */

static json_t *named(json_t *doc, const char *list, const char *name, const char *inner)
{
	json_t *arr = berth_json_arr(doc, list), *item;
	size_t i;

	json_array_foreach(arr, i, item) {
		const char *n = berth_json_str(item, "name");

		if (n && !strcmp(n, name))
			return berth_json_obj(item, inner);
	}
	return NULL;
}

struct kubeconfig {
	json_t *docs[8];
	char *dirs[8];
	size_t n;
};

static void kubeconfig_release(struct kubeconfig *kc)
{
	for (size_t i = 0; i < kc->n; i++) {
		json_decref(kc->docs[i]);
		free(kc->dirs[i]);
	}
}

/* First file that sets a named item wins (client-go's merge rule). */
static json_t *kc_named(struct kubeconfig *kc, const char *list, const char *name, const char *inner,
			const char **dir)
{
	for (size_t i = 0; i < kc->n; i++) {
		json_t *v = named(kc->docs[i], list, name, inner);

		if (v) {
			if (dir)
				*dir = kc->dirs[i];
			return v;
		}
	}
	return NULL;
}

static int load_kubeconfig(struct kubeconfig *kc, const char *paths, struct berth_err *err)
{
	char *copy = xstrdup(paths), *save = NULL, *tok;
	int ret = 0;
	bool explicit_one = !strchr(paths, ':');

	for (tok = strtok_r(copy, ":", &save); tok && kc->n < BERTH_ARRAY_SIZE(kc->docs);
	     tok = strtok_r(NULL, ":", &save)) {
		struct berth_buf text = BERTH_BUF_INIT;
		json_t *doc = NULL;
		char *d;

		ret = berth_file_read(&text, tok, 4 << 20, err);
		if (ret == BERTH_ENOTFOUND && !explicit_one) {
			ret = 0;
			berth_buf_wipe(&text);
			continue;
		}
		if (ret) {
			berth_buf_wipe(&text);
			ret = berth_err_set(err, BERTH_ECONFIG, "kubeconfig '%s': %s", tok, err ? err->msg : "");
			break;
		}
		ret = berth_yaml_parse_json(&doc, tok, text.buf, text.len, err);
		berth_buf_wipe(&text);
		if (ret)
			break;
		if (!json_is_object(doc)) {
			json_decref(doc);
			ret = berth_err_set(err, BERTH_ECONFIG, "kubeconfig '%s' is not a mapping", tok);
			break;
		}
		d = xstrdup(tok);
		kc->dirs[kc->n] = xstrdup(dirname(d));
		free(d);
		kc->docs[kc->n++] = doc;
	}
	free(copy);
	if (!ret && !kc->n)
		ret = berth_err_set(err, BERTH_ENOTFOUND, "no kubeconfig file found in '%s'", paths);
	return ret;
}

static char *resolve_rel(const char *dir, const char *path)
{
	return path[0] == '/' ? xstrdup(path) : xasprintf("%s/%s", dir, path);
}

static char *b64_pem(const char *b64, const char *what, struct berth_err *err)
{
	struct berth_buf out = BERTH_BUF_INIT;

	if (berth_base64_decode(&out, b64, strlen(b64), false)) {
		berth_buf_release(&out);
		berth_err_set(err, BERTH_ECONFIG, "kubeconfig: %s is not valid base64", what);
		return NULL;
	}
	return berth_buf_detach(&out, NULL);
}

static int from_kubeconfig(struct berth_kube *k, const struct berth_kube_config *cfg, const char *paths,
			   struct berth_err *err)
{
	struct kubeconfig kc = { 0 };
	struct berth_http_opts ho = { .service = "kube", .max_retries = -1,
				      .timeout_ms = cfg->timeout_s > 0 ? cfg->timeout_s * 1000 : 0 };
	const char *ctx_name = cfg->context, *cluster_name, *user_name, *cdir = NULL, *udir = NULL;
	json_t *ctx, *cluster, *user;
	char *ca_pem = NULL, *ca_file = NULL, *cert_pem = NULL, *cert_file = NULL, *key_file = NULL;
	struct berth_secret *key_pem = NULL, *token = NULL;
	const char *v;
	int ret;

	ret = load_kubeconfig(&kc, paths, err);
	if (ret)
		goto out;
	for (size_t i = 0; !ctx_name && i < kc.n; i++)
		ctx_name = berth_json_str(kc.docs[i], "current-context");
	if (!ctx_name || !*ctx_name) {
		ret = berth_err_set(err, BERTH_ECONFIG, "kubeconfig '%s': no context given and no current-context",
				    paths);
		goto out;
	}
	ctx = kc_named(&kc, "contexts", ctx_name, "context", NULL);
	if (!ctx) {
		ret = berth_err_set(err, BERTH_ECONFIG, "kubeconfig '%s': no context named '%s'", paths, ctx_name);
		goto out;
	}
	cluster_name = berth_json_str(ctx, "cluster");
	user_name = berth_json_str(ctx, "user");
	cluster = cluster_name ? kc_named(&kc, "clusters", cluster_name, "cluster", &cdir) : NULL;
	user = user_name ? kc_named(&kc, "users", user_name, "user", &udir) : NULL;
	if (!cluster || !berth_json_str(cluster, "server")) {
		ret = berth_err_set(err, BERTH_ECONFIG, "kubeconfig: context '%s' names no cluster with a server",
				    ctx_name);
		goto out;
	}
	k->ns = xstrdup(berth_json_str(ctx, "namespace") ? berth_json_str(ctx, "namespace") : "default");
	if ((v = berth_json_str(cluster, "certificate-authority-data"))) {
		ca_pem = b64_pem(v, "certificate-authority-data", err);
		if (!ca_pem) {
			ret = BERTH_ECONFIG;
			goto out;
		}
	} else if ((v = berth_json_str(cluster, "certificate-authority"))) {
		ca_file = resolve_rel(cdir, v);
	}
	if (user && berth_json_obj(user, "exec")) {
		ret = berth_err_set(err, BERTH_ECONFIG,
				    "kubeconfig: user '%s' uses an exec credential plugin, which berth does not "
				    "run; use a context with a token or a client certificate", user_name);
		goto out;
	}
	if (user && berth_json_obj(user, "auth-provider")) {
		ret = berth_err_set(err, BERTH_ECONFIG,
				    "kubeconfig: user '%s' uses an auth-provider plugin, which berth does not "
				    "support; use a token or a client certificate", user_name);
		goto out;
	}
	if (user && (v = berth_json_str(user, "token"))) {
		token = berth_secret_from_str(v);
	} else if (user && (v = berth_json_str(user, "tokenFile"))) {
		k->token_file = resolve_rel(udir, v);
	}
	if (user && (v = berth_json_str(user, "client-certificate-data"))) {
		cert_pem = b64_pem(v, "client-certificate-data", err);
		if (!cert_pem) {
			ret = BERTH_ECONFIG;
			goto out;
		}
	} else if (user && (v = berth_json_str(user, "client-certificate"))) {
		cert_file = resolve_rel(udir, v);
	}
	if (user && (v = berth_json_str(user, "client-key-data"))) {
		char *pem = b64_pem(v, "client-key-data", err);

		if (!pem) {
			ret = BERTH_ECONFIG;
			goto out;
		}
		key_pem = berth_secret_from_str(pem);
		explicit_bzero(pem, strlen(pem));
		free(pem);
	} else if (user && (v = berth_json_str(user, "client-key"))) {
		key_file = resolve_rel(udir, v);
	}
	ho.base_url = berth_json_str(cluster, "server");
	ho.ca_pem = ca_pem;
	ho.ca_file = ca_file;
	ho.client_cert_pem = cert_pem;
	ho.client_cert_file = cert_file;
	ho.client_key_pem = key_pem;
	ho.client_key_file = key_file;
	ho.insecure_skip_verify = cfg->insecure_skip_tls_verify ||
				  berth_json_bool(cluster, "insecure-skip-tls-verify", false);
	ret = berth_http_new(&k->http, &ho, err);
	if (ret)
		goto out;
	if (token)
		berth_http_set_bearer(k->http, token);
out:
	kubeconfig_release(&kc);
	free(ca_pem);
	free(ca_file);
	free(cert_pem);
	free(cert_file);
	free(key_file);
	berth_secret_free(key_pem);
	berth_secret_free(token);
	return ret;
}

static int in_cluster(struct berth_kube *k, const struct berth_kube_config *cfg, struct berth_err *err)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
	const char *dir = getenv("BERTH_SA_DIR") ? getenv("BERTH_SA_DIR") : SA_DIR;
	struct berth_http_opts ho = { .service = "kube", .max_retries = -1,
				      .timeout_ms = cfg->timeout_s > 0 ? cfg->timeout_s * 1000 : 0 };
	struct berth_buf ns = BERTH_BUF_INIT;
	char *ca = xasprintf("%s/ca.crt", dir), *nsfile = xasprintf("%s/namespace", dir), *url;
	int ret;

	url = strchr(host, ':') ? xasprintf("https://[%s]:%s", host, port ? port : "443")
				: xasprintf("https://%s:%s", host, port ? port : "443");
	ho.base_url = url;
	ho.ca_file = access(ca, R_OK) ? NULL : ca;
	ho.insecure_skip_verify = cfg->insecure_skip_tls_verify;
	ret = berth_http_new(&k->http, &ho, err);
	if (!ret) {
		k->token_file = xasprintf("%s/token", dir);
		if (getenv("POD_NAMESPACE") && *getenv("POD_NAMESPACE")) {
			k->ns = xstrdup(getenv("POD_NAMESPACE"));
		} else if (!berth_file_read(&ns, nsfile, 4096, NULL)) {
			berth_buf_rtrim(&ns);
			k->ns = berth_buf_detach(&ns, NULL);
		} else {
			k->ns = xstrdup("default");
		}
	}
	berth_buf_release(&ns);
	free(ca);
	free(nsfile);
	free(url);
	return ret;
}

static int refresh_token(struct berth_kube *k, bool force, struct berth_err *err)
{
	struct berth_secret *tok = NULL;
	int64_t now = berth_mono_ms();
	int ret = 0;

	if (!k->token_file)
		return 0;
	pthread_mutex_lock(&k->lock);
	if (force || !k->token_read_ms || now - k->token_read_ms >= k->token_reread_ms) {
		ret = berth_secret_from_file(&tok, k->token_file, err);
		if (!ret) {
			berth_http_set_bearer(k->http, tok);
			k->token_read_ms = now;
		}
	}
	pthread_mutex_unlock(&k->lock);
	berth_secret_free(tok);
	return ret ? berth_err_prefix(err, "kube: service-account token") : 0;
}

int berth_kube_new(struct berth_kube **out, const struct berth_kube_config *cfg, struct berth_err *err)
{
	struct berth_kube *k;
	const char *paths = cfg->kubeconfig ? cfg->kubeconfig : getenv("KUBECONFIG");
	int ret;

	*out = NULL;
	k = xcalloc(1, sizeof(*k));
	k->token_reread_ms = token_reread_ms();
	pthread_mutex_init(&k->lock, NULL);
	if (paths && *paths) {
		ret = from_kubeconfig(k, cfg, paths, err);
	} else if (getenv("KUBERNETES_SERVICE_HOST")) {
		ret = in_cluster(k, cfg, err);
	} else {
		char *home = getenv("HOME") ? xasprintf("%s/.kube/config", getenv("HOME")) : NULL;

		if (home && !access(home, R_OK))
			ret = from_kubeconfig(k, cfg, home, err);
		else
			ret = berth_err_set(err, BERTH_ENOTFOUND, "no Kubernetes connection configured");
		free(home);
	}
	if (!ret)
		ret = refresh_token(k, true, err);
	if (ret) {
		berth_kube_free(k);
		return ret;
	}
	*out = k;
	return 0;
}

void berth_kube_free(struct berth_kube *k)
{
	if (!k)
		return;
	berth_http_free(k->http);
	free(k->ns);
	free(k->token_file);
	pthread_mutex_destroy(&k->lock);
	free(k);
}

const char *berth_kube_default_namespace(const struct berth_kube *k)
{
	return k->ns;
}

void berth_kube_get_stats(const struct berth_kube *k, struct berth_http_stats *out)
{
	berth_http_get_stats(k->http, out);
}

/* ---- requests ------------------------------------------------------------- */

/* Send; on 401 with a token file, re-read the token once and retry. */
static int kube_do(struct berth_kube *k, struct berth_http_req *req, struct berth_http_resp *resp,
		   struct berth_err *err)
{
	int ret = refresh_token(k, false, err);

	if (ret)
		return ret;
	ret = berth_http_do(k->http, req, resp, err);
	if (!ret && resp->status == 401 && k->token_file) {
		ret = refresh_token(k, true, err);
		if (!ret)
			ret = berth_http_do(k->http, req, resp, err);
	}
	return ret;
}

static int kube_json(struct berth_kube *k, const char *method, const char *path, json_t *body,
		     const char *op, json_t **out, struct berth_http_resp *resp, struct berth_err *err)
{
	struct berth_http_req req = { .method = method, .path = path, .op = op, .idempotent = -1 };
	struct berth_buf b = BERTH_BUF_INIT;
	int ret;

	if (out)
		*out = NULL;
	if (body) {
		if (berth_json_dump(&b, body, JSON_COMPACT))
			BERTH_BUG("cannot serialise a request body");
		req.body = b.buf;
		req.body_len = b.len;
	}
	ret = kube_do(k, &req, resp, err);
	berth_buf_wipe(&b);
	if (ret)
		return ret;
	if (resp->status < 200 || resp->status >= 300)
		return berth_http_fail(k->http, resp, err, "%s", op);
	if (out && berth_json_parse(out, resp->body.buf, resp->body.len, "the response", err))
		return berth_err_prefix(err, "kube: %s", op);
	return 0;
}

/* ---- Secrets ----------------------------------------------------------------- */

static void kv_set(struct berth_kv **v, size_t *n, const char *key, const char *value)
{
	for (size_t i = 0; i < *n; i++) {
		if (!strcmp((*v)[i].key, key)) {
			free((*v)[i].value);
			if (value) {
				(*v)[i].value = xstrdup(value);
			} else {
				free((*v)[i].key);
				(*v)[i] = (*v)[--*n];
			}
			return;
		}
	}
	if (!value)
		return;
	*v = xrealloc(*v, sizeof(**v) * (*n + 1));
	(*v)[*n].key = xstrdup(key);
	(*v)[*n].value = xstrdup(value);
	(*n)++;
}

static const char *kv_get(const struct berth_kv *v, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].key, key))
			return v[i].value;
	return NULL;
}

void berth_kube_secret_set_label(struct berth_kube_secret *s, const char *key, const char *value)
{
	kv_set(&s->labels, &s->nlabels, key, value);
}

void berth_kube_secret_set_annotation(struct berth_kube_secret *s, const char *key, const char *value)
{
	kv_set(&s->annotations, &s->nannotations, key, value);
}

const char *berth_kube_secret_label(const struct berth_kube_secret *s, const char *key)
{
	return kv_get(s->labels, s->nlabels, key);
}

const char *berth_kube_secret_annotation(const struct berth_kube_secret *s, const char *key)
{
	return kv_get(s->annotations, s->nannotations, key);
}

const struct berth_secret *berth_kube_secret_data(const struct berth_kube_secret *s, const char *key)
{
	for (size_t i = 0; i < s->ndata; i++)
		if (!strcmp(s->data[i].key, key))
			return s->data[i].value;
	return NULL;
}

void berth_kube_secret_set_data(struct berth_kube_secret *s, const char *key, const struct berth_secret *value)
{
	for (size_t i = 0; i < s->ndata; i++) {
		if (!strcmp(s->data[i].key, key)) {
			berth_secret_free(s->data[i].value);
			s->data[i].value = berth_secret_dup(value);
			return;
		}
	}
	s->data = xrealloc(s->data, sizeof(*s->data) * (s->ndata + 1));
	s->data[s->ndata].key = xstrdup(key);
	s->data[s->ndata].value = berth_secret_dup(value);
	s->ndata++;
}

void berth_kube_secret_release(struct berth_kube_secret *s)
{
	free(s->ns);
	free(s->name);
	free(s->resource_version);
	free(s->uid);
	free(s->type);
	for (size_t i = 0; i < s->nlabels; i++) {
		free(s->labels[i].key);
		free(s->labels[i].value);
	}
	free(s->labels);
	for (size_t i = 0; i < s->nannotations; i++) {
		free(s->annotations[i].key);
		free(s->annotations[i].value);
	}
	free(s->annotations);
	for (size_t i = 0; i < s->ndata; i++) {
		free(s->data[i].key);
		berth_secret_free(s->data[i].value);
	}
	free(s->data);
	free(s->meta_keep);
	memset(s, 0, sizeof(*s));
}

void berth_kube_secret_list_release(struct berth_kube_secret_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		berth_kube_secret_release(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int decode_secret(json_t *o, const char *ns_default, struct berth_kube_secret *s, struct berth_err *err)
{
	json_t *meta = berth_json_obj(o, "metadata"), *m, *data;
	const char *key;
	json_t *v;

	memset(s, 0, sizeof(*s));
	if (!meta || !berth_json_str(meta, "name"))
		return berth_err_set(err, BERTH_EPROTO, "kube: Secret without metadata.name");
	s->name = xstrdup(berth_json_str(meta, "name"));
	s->ns = xstrdup(berth_json_str(meta, "namespace") ? berth_json_str(meta, "namespace") : ns_default);
	s->resource_version = xstrdup_or_null(berth_json_str(meta, "resourceVersion"));
	s->uid = xstrdup_or_null(berth_json_str(meta, "uid"));
	s->type = xstrdup_or_null(berth_json_str(o, "type"));
	s->immutable = berth_json_bool(o, "immutable", false);
	{
		static const char *const keep[] = { "ownerReferences", "finalizers" };
		json_t *k = json_object();

		for (size_t i = 0; i < BERTH_ARRAY_SIZE(keep); i++)
			if (json_object_get(meta, keep[i]))
				json_object_set(k, keep[i], json_object_get(meta, keep[i]));
		if (json_object_size(k)) {
			struct berth_buf b = BERTH_BUF_INIT;

			if (berth_json_dump(&b, k, JSON_COMPACT | JSON_SORT_KEYS))
				BERTH_BUG("cannot serialise metadata");
			s->meta_keep = berth_buf_detach(&b, NULL);
		}
		json_decref(k);
	}
	m = berth_json_obj(meta, "labels");
	json_object_foreach(m, key, v)
		if (json_is_string(v))
			kv_set(&s->labels, &s->nlabels, key, json_string_value(v));
	m = berth_json_obj(meta, "annotations");
	json_object_foreach(m, key, v)
		if (json_is_string(v))
			kv_set(&s->annotations, &s->nannotations, key, json_string_value(v));
	data = berth_json_obj(o, "data");
	json_object_foreach(data, key, v) {
		struct berth_buf dec = BERTH_BUF_INIT;
		struct berth_secret *sec;

		if (!json_is_string(v) ||
		    berth_base64_decode(&dec, json_string_value(v), json_string_length(v), false)) {
			berth_buf_wipe(&dec);
			return berth_err_set(err, BERTH_EPROTO, "kube: Secret %s/%s: data '%s' is not base64",
					     s->ns, s->name, key);
		}
		sec = berth_secret_new(dec.buf, dec.len);
		berth_kube_secret_set_data(s, key, sec);
		berth_secret_free(sec);
		berth_buf_wipe(&dec);
	}
	return 0;
}

static json_t *encode_secret(const struct berth_kube_secret *s)
{
	json_t *meta = json_pack("{s:s, s:s}", "name", s->name, "namespace", s->ns);
	json_t *labels = json_object(), *ann = json_object(), *data = json_object();
	json_t *o;

	for (size_t i = 0; i < s->nlabels; i++)
		json_object_set_new(labels, s->labels[i].key, json_string(s->labels[i].value));
	for (size_t i = 0; i < s->nannotations; i++)
		json_object_set_new(ann, s->annotations[i].key, json_string(s->annotations[i].value));
	json_object_set_new(meta, "labels", labels);
	json_object_set_new(meta, "annotations", ann);
	if (s->meta_keep) {
		json_t *k = json_loads(s->meta_keep, 0, NULL);

		if (!k)
			BERTH_BUG("meta_keep is not JSON");
		json_object_update(meta, k);
		json_decref(k);
	}
	if (s->resource_version)
		json_object_set_new(meta, "resourceVersion", json_string(s->resource_version));
	for (size_t i = 0; i < s->ndata; i++) {
		struct berth_buf b64 = BERTH_BUF_INIT;
		size_t len;
		const char *bytes = berth_secret_reveal(s->data[i].value, &len);

		berth_base64_encode(&b64, bytes, len);
		json_object_set_new(data, s->data[i].key, json_string(b64.buf));
		berth_buf_wipe(&b64);
	}
	o = json_pack("{s:s, s:s, s:o, s:o}", "apiVersion", "v1", "kind", "Secret", "metadata", meta,
		      "data", data);
	if (s->type)
		json_object_set_new(o, "type", json_string(s->type));
	if (s->immutable)
		json_object_set_new(o, "immutable", json_true());
	return o;
}

void berth_kube_secret_render(struct berth_buf *out, const struct berth_kube_secret *s,
			      size_t flags)
{
	json_t *o = encode_secret(s);

	if (berth_json_dump(out, o, flags))
		BERTH_BUG("cannot render a Secret");
	json_decref(o);
}

/* ns NULL: the Secrets of every namespace (lists only). */
static void secret_path(struct berth_buf *b, const char *ns, const char *name)
{
	if (!ns) {
		berth_buf_addstr(b, "/api/v1/secrets");
		return;
	}
	berth_buf_addstr(b, "/api/v1/namespaces/");
	berth_buf_add_urlpath(b, ns);
	berth_buf_addstr(b, "/secrets");
	if (name) {
		berth_buf_addch(b, '/');
		berth_buf_add_urlpath(b, name);
	}
}

int berth_kube_secret_list(struct berth_kube *k, const char *ns, const char *label_selector,
			   struct berth_kube_secret_list *out, struct berth_err *err)
{
	char *cont = NULL;
	int ret = 0;

	do {
		struct berth_buf path = BERTH_BUF_INIT;
		struct berth_http_resp resp;
		json_t *root = NULL, *items, *it;
		char op[300];
		size_t i;

		berth_http_resp_init(&resp);
		secret_path(&path, ns, NULL);
		if (label_selector)
			berth_buf_add_query(&path, "labelSelector", label_selector);
		berth_buf_add_query(&path, "limit", "500");
		if (cont)
			berth_buf_add_query(&path, "continue", cont);
		free(cont);
		cont = NULL;
		if (ns)
			snprintf(op, sizeof(op), "list Secrets in namespace '%s'", ns);
		else
			snprintf(op, sizeof(op), "list Secrets in all namespaces");
		ret = kube_json(k, "GET", path.buf, NULL, op, &root, &resp, err);
		items = berth_json_arr(root, "items");
		if (!ret && !items)
			ret = berth_err_set(err, BERTH_EPROTO, "kube: %s: response has no items", op);
		if (!ret) {
			json_array_foreach(items, i, it) {
				BERTH_ALLOC_GROW(out->v, out->n + 1, out->alloc);
				ret = decode_secret(it, ns ? ns : "", &out->v[out->n], err);
				out->n++;
				if (ret)
					break;
			}
			{
				const char *c = berth_json_str(berth_json_obj(root, "metadata"), "continue");

				if (!ret && c && *c)
					cont = xstrdup(c);
			}
		}
		json_decref(root);
		berth_buf_release(&path);
		berth_http_resp_release(&resp);
	} while (!ret && cont);
	free(cont);
	return ret;
}

int berth_kube_secret_get(struct berth_kube *k, const char *ns, const char *name,
			  struct berth_kube_secret *out, struct berth_err *err)
{
	struct berth_buf path = BERTH_BUF_INIT;
	struct berth_http_resp resp;
	json_t *root = NULL;
	char op[600];
	int ret;

	memset(out, 0, sizeof(*out));
	berth_http_resp_init(&resp);
	secret_path(&path, ns, name);
	snprintf(op, sizeof(op), "read Secret %s/%s", ns, name);
	ret = kube_json(k, "GET", path.buf, NULL, op, &root, &resp, err);
	if (!ret)
		ret = decode_secret(root, ns, out, err);
	json_decref(root);
	berth_buf_release(&path);
	berth_http_resp_release(&resp);
	return ret;
}

static int write_secret(struct berth_kube *k, struct berth_kube_secret *s, bool create, struct berth_err *err)
{
	struct berth_buf path = BERTH_BUF_INIT;
	struct berth_http_resp resp;
	json_t *body, *root = NULL;
	char op[600];
	int ret;

	berth_http_resp_init(&resp);
	secret_path(&path, s->ns, create ? NULL : s->name);
	snprintf(op, sizeof(op), "%s Secret %s/%s", create ? "create" : "update", s->ns, s->name);
	body = encode_secret(s);
	if (create)
		json_object_del(berth_json_obj(body, "metadata"), "resourceVersion");
	ret = kube_json(k, create ? "POST" : "PUT", path.buf, body, op, &root, &resp, err);
	json_decref(body);
	/* A POST carries no resourceVersion: its only 409 is AlreadyExists. */
	if (ret == BERTH_ECONFLICT && create && resp.status == 409)
		ret = err->code = BERTH_EEXISTS;
	/* The server answers with the Secret it stored; anything else is not the API server. */
	if (!ret && !berth_json_obj(root, "metadata"))
		ret = berth_err_set(err, BERTH_EPROTO, "kube: %s: the response is not a Secret", op);
	if (!ret) {
		const char *rv = berth_json_str(berth_json_obj(root, "metadata"), "resourceVersion");

		free(s->resource_version);
		s->resource_version = xstrdup_or_null(rv);
	}
	json_decref(root);
	berth_buf_release(&path);
	berth_http_resp_release(&resp);
	return ret;
}

int berth_kube_secret_create(struct berth_kube *k, struct berth_kube_secret *s, struct berth_err *err)
{
	return write_secret(k, s, true, err);
}

int berth_kube_secret_update(struct berth_kube *k, struct berth_kube_secret *s, struct berth_err *err)
{
	return write_secret(k, s, false, err);
}

int berth_kube_secret_delete(struct berth_kube *k, const char *ns, const char *name, const char *rv,
			     struct berth_err *err)
{
	struct berth_buf path = BERTH_BUF_INIT;
	struct berth_http_resp resp;
	json_t *body = NULL;
	char op[600];
	int ret;

	berth_http_resp_init(&resp);
	secret_path(&path, ns, name);
	snprintf(op, sizeof(op), "delete Secret %s/%s", ns, name);
	if (rv)
		body = json_pack("{s:s, s:s, s:{s:s}}", "kind", "DeleteOptions", "apiVersion", "v1",
				 "preconditions", "resourceVersion", rv);
	ret = kube_json(k, "DELETE", path.buf, body, op, NULL, &resp, err);
	json_decref(body);
	berth_buf_release(&path);
	berth_http_resp_release(&resp);
	return ret;
}

int berth_kube_secret_value(struct berth_secret **out, struct berth_kube *k, const char *ns,
			    const char *name, const char *key, struct berth_err *err)
{
	struct berth_kube_secret s;
	const struct berth_secret *v;
	int ret;

	*out = NULL;
	ret = berth_kube_secret_get(k, ns, name, &s, err);
	if (ret)
		goto out;
	v = berth_kube_secret_data(&s, key);
	if (!v)
		ret = berth_err_set(err, BERTH_ENOTFOUND, "kube: Secret %s/%s has no key '%s'", ns, name, key);
	else
		*out = berth_secret_dup(v);
out:
	/* Also after a failed read: a Secret that did not decode may be half filled. */
	berth_kube_secret_release(&s);
	return ret;
}

/* ---- Namespaces and Ingresses ------------------------------------------------ */

int berth_kube_namespace_list(struct berth_kube *k, const char *label_selector, char ***names,
			      size_t *n, struct berth_err *err)
{
	struct berth_buf path = BERTH_BUF_INIT;
	struct berth_http_resp resp;
	json_t *root = NULL, *items, *it;
	size_t i;
	int ret;

	*names = NULL;
	*n = 0;
	berth_http_resp_init(&resp);
	berth_buf_addstr(&path, "/api/v1/namespaces");
	if (label_selector && *label_selector)
		berth_buf_add_query(&path, "labelSelector", label_selector);
	ret = kube_json(k, "GET", path.buf, NULL, "list namespaces", &root, &resp, err);
	items = berth_json_arr(root, "items");
	if (!ret && !items)
		ret = berth_err_set(err, BERTH_EPROTO, "kube: namespace list has no items");
	if (!ret) {
		*names = xcalloc(json_array_size(items) + 1, sizeof(**names));
		json_array_foreach(items, i, it) {
			const char *name = berth_json_str(berth_json_obj(it, "metadata"), "name");

			if (name)
				(*names)[(*n)++] = xstrdup(name);
		}
	}
	json_decref(root);
	berth_buf_release(&path);
	berth_http_resp_release(&resp);
	return ret;
}

int berth_kube_namespace_get(struct berth_kube *k, const char *name, struct berth_err *err)
{
	struct berth_buf path = BERTH_BUF_INIT;
	struct berth_http_resp resp;
	char op[300];
	int ret;

	berth_http_resp_init(&resp);
	berth_buf_addstr(&path, "/api/v1/namespaces/");
	berth_buf_add_urlpath(&path, name);
	snprintf(op, sizeof(op), "read namespace '%s'", name);
	ret = kube_json(k, "GET", path.buf, NULL, op, NULL, &resp, err);
	berth_buf_release(&path);
	berth_http_resp_release(&resp);
	return ret;
}

int berth_kube_ingress_host(struct berth_kube *k, const char *ns, const char *name, char **host,
			    bool *tls, struct berth_err *err)
{
	struct berth_buf path = BERTH_BUF_INIT;
	struct berth_http_resp resp;
	json_t *root = NULL, *spec, *tlsarr, *rules;
	const char *h = NULL;
	char op[600];
	int ret;

	*host = NULL;
	*tls = false;
	berth_http_resp_init(&resp);
	berth_buf_addstr(&path, "/apis/networking.k8s.io/v1/namespaces/");
	berth_buf_add_urlpath(&path, ns);
	berth_buf_addstr(&path, "/ingresses/");
	berth_buf_add_urlpath(&path, name);
	snprintf(op, sizeof(op), "read Ingress %s/%s", ns, name);
	ret = kube_json(k, "GET", path.buf, NULL, op, &root, &resp, err);
	if (ret)
		goto out;
	spec = berth_json_obj(root, "spec");
	tlsarr = berth_json_arr(spec, "tls");
	rules = berth_json_arr(spec, "rules");
	*tls = json_array_size(tlsarr) > 0;
	/*
	 * The seed's rule: spec.rules[0].host. TLS hosts may be wildcards
	 * ("*.example.com") or list other hosts first, so they only tell
	 * the scheme - and give the host when no rule names one.
	 */
	h = berth_json_str(json_array_get(rules, 0), "host");
	if (!h || !*h) {
		size_t i;
		json_t *t;

		h = NULL;
		json_array_foreach(tlsarr, i, t) {
			json_t *hosts = berth_json_arr(t, "hosts");
			const char *th = json_string_value(json_array_get(hosts, 0));

			if (th && *th && th[0] != '*') {
				h = th;
				break;
			}
		}
	}
	if (!h || !*h || h[0] == '*') {
		ret = berth_err_set(err, BERTH_ENOTFOUND, "kube: Ingress %s/%s names no usable host", ns, name);
		goto out;
	}
	*host = xstrdup(h);
out:
	json_decref(root);
	berth_buf_release(&path);
	berth_http_resp_release(&resp);
	return ret;
}

/* ---- Leases ----------------------------------------------------------------- */

static void lease_path(struct berth_buf *b, const char *ns, const char *name)
{
	berth_buf_addstr(b, "/apis/coordination.k8s.io/v1/namespaces/");
	berth_buf_add_urlpath(b, ns);
	berth_buf_addstr(b, "/leases");
	if (name) {
		berth_buf_addch(b, '/');
		berth_buf_add_urlpath(b, name);
	}
}

static void decode_lease(json_t *o, struct berth_kube_lease *l)
{
	json_t *meta = berth_json_obj(o, "metadata"), *spec = berth_json_obj(o, "spec");

	free(l->resource_version);
	free(l->holder);
	free(l->acquire_time);
	free(l->renew_time);
	l->resource_version = xstrdup_or_null(berth_json_str(meta, "resourceVersion"));
	l->holder = xstrdup_or_null(berth_json_str(spec, "holderIdentity"));
	l->duration_s = berth_json_int(spec, "leaseDurationSeconds", 0);
	l->acquire_time = xstrdup_or_null(berth_json_str(spec, "acquireTime"));
	l->renew_time = xstrdup_or_null(berth_json_str(spec, "renewTime"));
	l->transitions = berth_json_int(spec, "leaseTransitions", 0);
}

int berth_kube_lease_get(struct berth_kube *k, const char *ns, const char *name,
			 struct berth_kube_lease *out, struct berth_err *err)
{
	struct berth_buf path = BERTH_BUF_INIT;
	struct berth_http_resp resp;
	json_t *root = NULL;
	int ret;

	memset(out, 0, sizeof(*out));
	berth_http_resp_init(&resp);
	lease_path(&path, ns, name);
	ret = kube_json(k, "GET", path.buf, NULL, "read the leader Lease", &root, &resp, err);
	if (!ret) {
		out->ns = xstrdup(ns);
		out->name = xstrdup(name);
		decode_lease(root, out);
	}
	json_decref(root);
	berth_buf_release(&path);
	berth_http_resp_release(&resp);
	return ret;
}

static int write_lease(struct berth_kube *k, struct berth_kube_lease *l, bool create, struct berth_err *err)
{
	struct berth_buf path = BERTH_BUF_INIT;
	struct berth_http_resp resp;
	json_t *body, *spec, *root = NULL;
	int ret;

	berth_http_resp_init(&resp);
	lease_path(&path, l->ns, create ? NULL : l->name);
	spec = json_pack("{s:I, s:I}", "leaseDurationSeconds", (json_int_t)l->duration_s,
			 "leaseTransitions", (json_int_t)l->transitions);
	if (l->holder)
		json_object_set_new(spec, "holderIdentity", json_string(l->holder));
	if (l->acquire_time)
		json_object_set_new(spec, "acquireTime", json_string(l->acquire_time));
	if (l->renew_time)
		json_object_set_new(spec, "renewTime", json_string(l->renew_time));
	body = json_pack("{s:s, s:s, s:{s:s, s:s}, s:o}", "apiVersion", "coordination.k8s.io/v1", "kind",
			 "Lease", "metadata", "name", l->name, "namespace", l->ns, "spec", spec);
	if (!create && l->resource_version)
		json_object_set_new(berth_json_obj(body, "metadata"), "resourceVersion",
				    json_string(l->resource_version));
	ret = kube_json(k, create ? "POST" : "PUT", path.buf, body,
			create ? "create the leader Lease" : "update the leader Lease", &root, &resp, err);
	json_decref(body);
	/* A POST carries no resourceVersion: its only 409 is AlreadyExists. */
	if (ret == BERTH_ECONFLICT && create && resp.status == 409)
		ret = err->code = BERTH_EEXISTS;
	if (!ret)
		decode_lease(root, l);
	json_decref(root);
	berth_buf_release(&path);
	berth_http_resp_release(&resp);
	return ret;
}

int berth_kube_lease_create(struct berth_kube *k, struct berth_kube_lease *l, struct berth_err *err)
{
	return write_lease(k, l, true, err);
}

int berth_kube_lease_update(struct berth_kube *k, struct berth_kube_lease *l, struct berth_err *err)
{
	return write_lease(k, l, false, err);
}

void berth_kube_lease_release(struct berth_kube_lease *l)
{
	free(l->ns);
	free(l->name);
	free(l->resource_version);
	free(l->holder);
	free(l->acquire_time);
	free(l->renew_time);
	memset(l, 0, sizeof(*l));
}

/* ---- for tests and fuzzing --------------------------------------------------- */

int berth_kube__decode_secret_json(const char *text, size_t len, struct berth_err *err)
{
	struct berth_kube_secret s;
	json_t *root = NULL;
	int ret;

	ret = berth_json_parse(&root, text, len, "kube Secret", err);
	if (ret)
		return ret;
	ret = decode_secret(root, "default", &s, err);
	berth_kube_secret_release(&s);
	json_decref(root);
	return ret;
}
