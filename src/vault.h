/*
 * vault.h - HashiCorp Vault client (token, Kubernetes and AppRole auth;
 * token renewal and re-login; KV v1 and v2 with check-and-set) and the
 * Vault and Kubernetes store backends.
 */
#ifndef BERTH_VAULT_H
#define BERTH_VAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct berth_err;
struct berth_http_stats;
struct berth_kube;
struct berth_store;
struct berth_store_entry;
struct berth_vault;
struct berth_vault_config;

/*
 * Create a client from cfg (secret references resolved here; kube is
 * needed only for {secret: ...} references). No network I/O; logging in
 * happens on first use. Returns 0 or BERTH_ECONFIG.
 */
int berth_vault_new(struct berth_vault **out, const struct berth_vault_config *cfg,
		    struct berth_kube *kube, int max_retries, struct berth_err *err);
void berth_vault_free(struct berth_vault *v);
void berth_vault_get_stats(const struct berth_vault *v, struct berth_http_stats *out);

/*
 * GET /v1/sys/health: 0 when unsealed and serving (active, standby or
 * performance standby: standbys forward); BERTH_ESEALED when sealed;
 * BERTH_ESERVER when uninitialised or a DR secondary; BERTH_ENET. Network I/O.
 */
int berth_vault_health(struct berth_vault *v, struct berth_err *err);

/* Log in now (or check the static token) and learn the KV version of the mount. */
int berth_vault_login(struct berth_vault *v, struct berth_err *err);

/* The KV version in use (1 or 2); 0 before berth_vault_login(). */
int berth_vault_kv_version(const struct berth_vault *v);

/*
 * The Vault store backend over cfg->mount. Entries keep the seed's layout
 * (name, secret) in the data; berth's bookkeeping goes to custom_metadata
 * on KV v2 and to berth_-prefixed fields on KV v1.
 */
int berth_store_vault_new(struct berth_store **out, const struct berth_vault_config *cfg,
			  struct berth_kube *kube, int max_retries, struct berth_err *err);
/* The store's Vault client (borrowed), for metrics. */
struct berth_vault *berth_store_vault_client(struct berth_store *s);

/*
 * The Kubernetes store backend: one Opaque Secret per entry in namespace
 * ns, named from the entry path ("harbor/tekton-robot-account" ->
 * "berth-harbor-tekton-robot-account"), with keys name, secret, ...
 * Compare-and-set uses resourceVersion.
 */
int berth_store_kube_new(struct berth_store **out, struct berth_kube *kube, const char *ns,
			 const char *owner, struct berth_err *err);

/*
 * For tests and fuzzing: decode the body of a KV read of mount 'secret'
 * as vs_get does after the request, for KV version kv (1 or 2) and HTTP
 * status 200 or 404. Same results as a store read: 0 with *out (the
 * caller's), BERTH_ENOTFOUND, BERTH_ECONFIG or BERTH_EPROTO. No I/O.
 */
int berth_vault__decode_read(struct berth_store_entry **out, int kv, long status, const char *body,
			     size_t len, struct berth_err *err);

#endif
