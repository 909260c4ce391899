/*
 * kube.h - typed client of the Kubernetes API: Secrets, Namespaces,
 * Ingresses and Leases. Connects in-cluster (service-account token
 * re-read at least every minute, CA and namespace files) or from a
 * kubeconfig (certificate-authority-data, client certificate and key,
 * bearer tokens; exec plugins are refused with a clear error).
 */
#ifndef BERTH_KUBE_H
#define BERTH_KUBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct berth_buf;
struct berth_err;
struct berth_http_stats;
struct berth_kube;
struct berth_kube_config;
struct berth_secret;

struct berth_kv {
	char *key;
	char *value;
};

/* A Secret as berth reads and writes it. data values are decoded bytes, kept as secrets. */
struct berth_kube_secret {
	char *ns;
	char *name;
	char *resource_version;        /* NULL for a new object */
	char *uid;
	char *type;                    /* "kubernetes.io/dockerconfigjson" */
	bool immutable;
	struct berth_kv *labels;
	size_t nlabels;
	struct berth_kv *annotations;
	size_t nannotations;
	struct berth_kube_data {
		char *key;
		struct berth_secret *value;
	} *data;
	size_t ndata;
	/*
	 * Metadata berth does not model but must not drop - ownerReferences
	 * and finalizers - as read (a JSON object text), written back on
	 * update: a PUT replaces the whole metadata. NULL when there is none.
	 */
	char *meta_keep;
};

struct berth_kube_secret_list {
	struct berth_kube_secret *v;
	size_t n, alloc;
};

struct berth_kube_lease {
	char *ns;
	char *name;
	char *resource_version;
	char *holder;                  /* holderIdentity */
	int64_t duration_s;            /* leaseDurationSeconds */
	char *acquire_time;            /* MicroTime strings, kept as sent */
	char *renew_time;
	int64_t transitions;
};

/*
 * Connect from cfg: kubeconfig (cfg->kubeconfig or $KUBECONFIG) with
 * cfg->context, else in-cluster when KUBERNETES_SERVICE_HOST is set (the
 * service-account directory may be overridden with $BERTH_SA_DIR for
 * tests, and the token's re-read period shortened with
 * $BERTH_SA_TOKEN_REREAD_S). Returns 0, BERTH_ENOTFOUND when no connection is configured or
 * available, or BERTH_ECONFIG for a bad kubeconfig. No network I/O.
 */
int berth_kube_new(struct berth_kube **out, const struct berth_kube_config *cfg, struct berth_err *err);
void berth_kube_free(struct berth_kube *k);
const char *berth_kube_default_namespace(const struct berth_kube *k);
void berth_kube_get_stats(const struct berth_kube *k, struct berth_http_stats *out);

/* The bytes of data[key] of a Secret. BERTH_ENOTFOUND when the Secret or key is missing. */
int berth_kube_secret_value(struct berth_secret **out, struct berth_kube *k, const char *ns,
			    const char *name, const char *key, struct berth_err *err);

/*
 * Secrets of ns (NULL: of every namespace, GET /api/v1/secrets) matching
 * label_selector (may be NULL), every page. Appended to out.
 */
int berth_kube_secret_list(struct berth_kube *k, const char *ns, const char *label_selector,
			   struct berth_kube_secret_list *out, struct berth_err *err);
int berth_kube_secret_get(struct berth_kube *k, const char *ns, const char *name,
			  struct berth_kube_secret *out, struct berth_err *err);
/* POST; BERTH_EEXISTS when the name is taken. On success s->resource_version is updated. */
int berth_kube_secret_create(struct berth_kube *k, struct berth_kube_secret *s, struct berth_err *err);
/* PUT with s->resource_version; BERTH_ECONFLICT when it changed, BERTH_ENOTFOUND when gone. */
int berth_kube_secret_update(struct berth_kube *k, struct berth_kube_secret *s, struct berth_err *err);
/* DELETE, with a resourceVersion precondition when rv is not NULL. */
int berth_kube_secret_delete(struct berth_kube *k, const char *ns, const char *name, const char *rv,
			     struct berth_err *err);
void berth_kube_secret_release(struct berth_kube_secret *s);
/*
 * The Secret as the API takes it (apiVersion, kind, metadata with name,
 * namespace, labels, annotations and resourceVersion when set; type; data
 * in base64), JSON with jansson's flags, appended to out: wipe it after use.
 */
void berth_kube_secret_render(struct berth_buf *out, const struct berth_kube_secret *s,
			      size_t flags);
void berth_kube_secret_list_release(struct berth_kube_secret_list *l);
const char *berth_kube_secret_label(const struct berth_kube_secret *s, const char *key);
const char *berth_kube_secret_annotation(const struct berth_kube_secret *s, const char *key);
const struct berth_secret *berth_kube_secret_data(const struct berth_kube_secret *s, const char *key);
void berth_kube_secret_set_label(struct berth_kube_secret *s, const char *key, const char *value);
void berth_kube_secret_set_annotation(struct berth_kube_secret *s, const char *key, const char *value);
/* Set data[key] to a copy of value. */
void berth_kube_secret_set_data(struct berth_kube_secret *s, const char *key, const struct berth_secret *value);

/* Names of namespaces matching label_selector (NULL: all). *names is the caller's (free each and the array). */
int berth_kube_namespace_list(struct berth_kube *k, const char *label_selector, char ***names,
			      size_t *n, struct berth_err *err);

/* Whether namespace name exists: 0, BERTH_ENOTFOUND, BERTH_EFORBIDDEN (may not read it), ... */
int berth_kube_namespace_get(struct berth_kube *k, const char *name, struct berth_err *err);

/*
 * The host of an Ingress, as the seed reads it: spec.rules[0].host, else
 * the first non-wildcard TLS host; *tls is true when the Ingress has a TLS
 * section. *host is the caller's. BERTH_ENOTFOUND when the Ingress is
 * missing or names no usable host (none, or only a wildcard).
 */
int berth_kube_ingress_host(struct berth_kube *k, const char *ns, const char *name, char **host,
			    bool *tls, struct berth_err *err);

/* Leases, for leader election. get: BERTH_ENOTFOUND when absent. create: BERTH_EEXISTS. update: BERTH_ECONFLICT. */
int berth_kube_lease_get(struct berth_kube *k, const char *ns, const char *name,
			 struct berth_kube_lease *out, struct berth_err *err);
int berth_kube_lease_create(struct berth_kube *k, struct berth_kube_lease *l, struct berth_err *err);
int berth_kube_lease_update(struct berth_kube *k, struct berth_kube_lease *l, struct berth_err *err);
void berth_kube_lease_release(struct berth_kube_lease *l);

/*
 * For tests and fuzzing: parse text as JSON and decode it as a Secret read
 * from namespace "default", freeing everything. Returns 0, or BERTH_EPROTO
 * as a Secret read would. No I/O.
 */
int berth_kube__decode_secret_json(const char *text, size_t len, struct berth_err *err);

#endif
