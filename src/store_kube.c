/*
 * store_kube.c - the Kubernetes store backend: each entry is an Opaque
 * Secret of berth's own in one namespace, for clusters without Vault.
 * Compare-and-set is the Secret's resourceVersion.
 */
#include "compat.h"
#include "vault.h"
#include "buf.h"
#include "codec.h"
#include "err.h"
#include "json.h"
#include "kube.h"
#include "secret.h"
#include "store.h"
#include "target.h"
#include "xalloc.h"

struct kube_store {
	struct berth_store base;
	struct berth_kube *kube;
	char *ns;
	char *owner;
};

/* "harbor/tekton-robot-account" -> "berth-harbor-tekton-robot-account-1a2b3c4d" (DNS-1123, unique). */
static char *secret_name(const char *path)
{
	struct berth_buf b = BERTH_BUF_INIT;
	char hash[65];

	berth_buf_addstr(&b, "berth-");
	for (const char *p = path; *p && b.len < 200; p++) {
		char c = *p;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			c = '-';
		if (c == '-' && b.buf[b.len - 1] == '-')
			continue;
		berth_buf_addch(&b, c);
	}
	berth_sha256_hex(path, strlen(path), hash);
	if (b.buf[b.len - 1] != '-')
		berth_buf_addch(&b, '-');
	berth_buf_add(&b, hash, 8);
	return berth_buf_detach(&b, NULL);
}

static int ks_get(struct berth_store *s, const char *path, struct berth_store_entry **out,
		  struct berth_err *err)
{
	struct kube_store *k = (struct kube_store *)s;
	struct berth_kube_secret sec;
	struct berth_store_entry *e;
	json_t *all = json_object();
	char *name = secret_name(path);
	int ret;

	*out = NULL;
	ret = berth_kube_secret_get(k->kube, k->ns, name, &sec, err);
	if (ret == BERTH_ENOTFOUND)
		berth_err_set(err, BERTH_ENOTFOUND, "store: no entry at '%s'", path);
	/* A garbled response is not a corrupt entry (BERTH_EPROTO: overwritten without a check). */
	if (ret == BERTH_EPROTO)
		ret = err ? (err->code = BERTH_ESERVER) : BERTH_ESERVER;
	if (ret)
		goto out;
	for (size_t i = 0; i < sec.ndata; i++) {
		size_t len;
		const char *v = berth_secret_reveal(sec.data[i].value, &len);

		json_object_set_new(all, sec.data[i].key, json_stringn(v, len));
	}
	e = berth_store_entry_new();
	ret = berth_store__decode(all, e, path, err);
	if (ret) {
		berth_store_entry_free(e);
		goto out;
	}
	e->version = 1;
	e->extra = xstrdup_or_null(sec.resource_version);
	*out = e;
out:
	berth_kube_secret_release(&sec);
	json_decref(all);
	free(name);
	return ret;
}

static int ks_put(struct berth_store *s, const char *path, struct berth_store_entry *e,
		  struct berth_err *err)
{
	struct kube_store *k = (struct kube_store *)s;
	struct berth_kube_secret sec = { 0 };
	json_t *all = json_object();
	const char *key;
	json_t *v;
	int ret;

	sec.ns = xstrdup(k->ns);
	sec.name = secret_name(path);
	sec.type = xstrdup("Opaque");
	berth_kube_secret_set_label(&sec, BERTH_LABEL_MANAGED_BY, "berth");
	berth_kube_secret_set_label(&sec, BERTH_LABEL_OWNER, k->owner);
	berth_kube_secret_set_annotation(&sec, BERTH_ANNOTATION_STORE_PATH, path);
	berth_store__encode(e, all);
	json_object_foreach(all, key, v) {
		struct berth_secret *val = berth_secret_from_str(json_string_value(v));

		berth_kube_secret_set_data(&sec, key, val);
		berth_secret_free(val);
	}
	if (e->version == BERTH_STORE_OVERWRITE) {
		/* Replacing an unreadable entry: take whatever version is there. */
		struct berth_kube_secret cur;

		ret = berth_kube_secret_get(k->kube, k->ns, sec.name, &cur, err);
		if (!ret) {
			sec.resource_version = xstrdup_or_null(cur.resource_version);
			ret = berth_kube_secret_update(k->kube, &sec, err);
		} else if (ret == BERTH_ENOTFOUND) {
			ret = berth_kube_secret_create(k->kube, &sec, err);
		}
		berth_kube_secret_release(&cur);
	} else if (e->version) {
		sec.resource_version = xstrdup_or_null(e->extra);
		ret = berth_kube_secret_update(k->kube, &sec, err);
		if (ret == BERTH_ENOTFOUND)
			ret = err->code = BERTH_ECONFLICT;
	} else {
		ret = berth_kube_secret_create(k->kube, &sec, err);
		if (ret == BERTH_EEXISTS)
			ret = err->code = BERTH_ECONFLICT;
	}
	if (!ret) {
		e->version = 1;
		free(e->extra);
		e->extra = xstrdup_or_null(sec.resource_version);
	}
	berth_kube_secret_release(&sec);
	json_decref(all);
	return ret;
}

static int ks_remove(struct berth_store *s, const char *path, struct berth_err *err)
{
	struct kube_store *k = (struct kube_store *)s;
	char *name = secret_name(path);
	int ret = berth_kube_secret_delete(k->kube, k->ns, name, NULL, err);

	free(name);
	return ret;
}

static int ks_ping(struct berth_store *s, struct berth_err *err)
{
	struct kube_store *k = (struct kube_store *)s;
	struct berth_kube_secret sec;
	struct berth_err e = BERTH_ERR_INIT;
	int ret;

	/*
	 * Reads of Secrets in a missing namespace answer 404 like a missing
	 * Secret, so ask for the namespace itself; berth may lack the right
	 * to (403), and then the Secret probe below is all we can do.
	 */
	ret = berth_kube_namespace_get(k->kube, k->ns, &e);
	if (ret == BERTH_ENOTFOUND)
		return berth_err_set(err, BERTH_ECONFIG,
				     "store.kubernetes: namespace '%s' does not exist", k->ns);
	if (ret && ret != BERTH_EFORBIDDEN) {
		*err = e;
		return ret;
	}
	/* A read of a name no entry uses: 404 proves the API answers and lets us read. */
	ret = berth_kube_secret_get(k->kube, k->ns, "berth-store-probe", &sec, err);
	berth_kube_secret_release(&sec);
	return ret == BERTH_ENOTFOUND ? 0 : ret;
}

static void ks_free(struct berth_store *s)
{
	struct kube_store *k = (struct kube_store *)s;

	free(k->ns);
	free(k->owner);
	free(k);
}

static const struct berth_store_ops kube_ops = {
	.kind = "kubernetes",
	.get = ks_get,
	.put = ks_put,
	.remove = ks_remove,
	.ping = ks_ping,
	.free = ks_free,
};

int berth_store_kube_new(struct berth_store **out, struct berth_kube *kube, const char *ns,
			 const char *owner, struct berth_err *err)
{
	struct kube_store *k;

	*out = NULL;
	if (!kube)
		return berth_err_set(err, BERTH_ECONFIG, "store.kubernetes needs a Kubernetes connection");
	k = xcalloc(1, sizeof(*k));
	k->base.ops = &kube_ops;
	k->kube = kube;
	k->ns = xstrdup(ns ? ns : berth_kube_default_namespace(kube));
	k->owner = xstrdup(owner);
	*out = &k->base;
	return 0;
}
