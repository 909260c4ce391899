/* secretref.c - resolve secret references from env, files and Kubernetes Secrets. */
#include "compat.h"
#include "secretref.h"
#include "config.h"
#include "err.h"
#include "kube.h"
#include "secret.h"
#include "xalloc.h"

#include <pthread.h>

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char *name;
	struct berth_secret *value;
} env_cache[16];

static int from_env(struct berth_secret **out, const char *name, struct berth_err *err)
{
	int ret = 0;
	size_t i;

	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < BERTH_ARRAY_SIZE(env_cache) && env_cache[i].name; i++) {
		if (!strcmp(env_cache[i].name, name)) {
			*out = berth_secret_dup(env_cache[i].value);
			goto out;
		}
	}
	ret = berth_secret_from_env(out, name, err);
	if (!ret && i < BERTH_ARRAY_SIZE(env_cache)) {
		env_cache[i].name = xstrdup(name);
		env_cache[i].value = berth_secret_dup(*out);
	}
out:
	pthread_mutex_unlock(&cache_lock);
	return ret;
}

static void claim(const struct berth_secret_ref *ref)
{
	struct berth_secret *s = NULL;

	if (ref->kind == BERTH_REF_ENV && ref->env && getenv(ref->env) && *getenv(ref->env) &&
	    !from_env(&s, ref->env, NULL))
		berth_secret_free(s);
}

void berth_secret_ref_claim_env(const struct berth_config *cfg)
{
	claim(&cfg->harbor.password);
	if (cfg->store.kind == BERTH_STORE_VAULT) {
		claim(&cfg->store.vault.token);
		claim(&cfg->store.vault.role_id);
		claim(&cfg->store.vault.secret_id);
	}
}

int berth_secret_ref_resolve(struct berth_secret **out, const struct berth_secret_ref *ref,
			     struct berth_kube *kube, const char *what, struct berth_err *err)
{
	int ret;

	*out = NULL;
	switch (ref->kind) {
	case BERTH_REF_ENV:
		ret = from_env(out, ref->env, err);
		break;
	case BERTH_REF_FILE:
		ret = berth_secret_from_file(out, ref->file, err);
		if (ret == BERTH_ENOTFOUND || ret == BERTH_EIO)
			ret = err ? (err->code = BERTH_ECONFIG) : BERTH_ECONFIG;
		break;
	case BERTH_REF_KUBE:
		if (!kube)
			return berth_err_set(err, BERTH_ECONFIG,
					     "%s:%d:%d: %s: reading a Kubernetes Secret needs a Kubernetes "
					     "connection (kubernetes: in the config, KUBECONFIG, or in-cluster)",
					     ref->pos.file, ref->pos.line, ref->pos.column, what);
		ret = berth_kube_secret_value(out, kube, ref->kube_namespace, ref->kube_name,
					      ref->kube_key, err);
		break;
	default:
		return berth_err_set(err, BERTH_ECONFIG, "%s: no value configured", what);
	}
	if (ret)
		return berth_err_prefix(err, "%s", what);
	return 0;
}
