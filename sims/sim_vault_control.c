/*
 * sim_vault_control.c - the simulated Vault's test hooks under
 * /_sim/vault/: seal and standby state, tokens, policies, mounts,
 * namespaces, cas_required, Kubernetes and AppRole roles, reset. The
 * endpoints and their bodies are documented at the top of sim_vault.c.
 */
#include "compat.h"
#include "sim.h"
#include "sim_vault_internal.h"
#include "util.h"
#include "xalloc.h"

/* A control handler: the reply (new reference), or NULL with why set (400). */
typedef json_t *control_fn(struct sim_vault *v, const json_t *body, struct berth_buf *why);

static json_t *state_of(const struct sim_vault *v)
{
	return json_pack("{s:b, s:b, s:b, s:b}", "sealed", v->sealed, "standby", v->standby,
			 "performance_standby", v->perf_standby, "initialized", v->initialized);
}

/* An optional boolean field; -1 with why set when present but not a boolean. */
static int opt_bool(const json_t *body, const char *key, bool *out, struct berth_buf *why)
{
	json_t *b = json_object_get(body, key);

	if (!b)
		return 0;
	if (!json_is_boolean(b)) {
		berth_buf_addf(why, "%s must be a boolean", key);
		return -1;
	}
	*out = json_is_true(b);
	return 0;
}

/* An optional non-negative integer field (seconds). */
static int opt_int(const json_t *body, const char *key, int64_t *out, struct berth_buf *why)
{
	json_t *n = json_object_get(body, key);

	if (!n)
		return 0;
	if (!json_is_integer(n) || json_integer_value(n) < 0) {
		berth_buf_addf(why, "%s must be a non-negative integer", key);
		return -1;
	}
	*out = (int64_t)json_integer_value(n);
	return 0;
}

static const char *req_str(const json_t *body, const char *key, struct berth_buf *why)
{
	const char *s = json_string_value(json_object_get(body, key));

	if (!s || !*s)
		berth_buf_addf(why, "%s: a non-empty string is required", key);
	return s && *s ? s : NULL;
}

/* A name without leading or trailing slashes (new string). */
static char *trim_slashes(const char *s)
{
	size_t n;

	while (*s == '/')
		s++;
	n = strlen(s);
	while (n && s[n - 1] == '/')
		n--;
	return xstrndup(s, n);
}

/* The body's "vault_namespace", checked to exist: a new string, or NULL with why set. */
static char *body_namespace(struct sim_vault *v, const json_t *body, struct berth_buf *why)
{
	const char *ns = json_string_value(json_object_get(body, "vault_namespace"));
	char *t = trim_slashes(ns ? ns : "");

	if (*t && !sim_vault_map_get(&v->namespaces, t)) {
		berth_buf_addf(why, "vault_namespace '%s' is not defined", t);
		free(t);
		return NULL;
	}
	return t;
}

static json_t *ctl_seal(struct sim_vault *v, const json_t *body, struct berth_buf *why)
{
	(void)body;
	(void)why;
	v->sealed = true;
	return state_of(v);
}

static json_t *ctl_unseal(struct sim_vault *v, const json_t *body, struct berth_buf *why)
{
	(void)body;
	(void)why;
	v->sealed = false;
	return state_of(v);
}

static json_t *ctl_standby(struct sim_vault *v, const json_t *body, struct berth_buf *why)
{
	bool on = true;

	if (opt_bool(body, "standby", &on, why))
		return NULL;
	v->standby = on;
	if (!on)
		v->perf_standby = false;
	return state_of(v);
}

static json_t *ctl_state(struct sim_vault *v, const json_t *body, struct berth_buf *why)
{
	bool sealed = v->sealed, standby = v->standby, perf = v->perf_standby;
	bool init = v->initialized;

	if (opt_bool(body, "sealed", &sealed, why) || opt_bool(body, "standby", &standby, why) ||
	    opt_bool(body, "performance_standby", &perf, why) ||
	    opt_bool(body, "initialized", &init, why))
		return NULL;
	v->sealed = sealed;
	v->standby = standby || perf;
	v->perf_standby = perf;
	v->initialized = init;
	return state_of(v);
}

static json_t *ctl_token(struct sim_vault *v, const json_t *body, struct berth_buf *why)
{
	const char *id = json_string_value(json_object_get(body, "token"));
	const char *display = json_string_value(json_object_get(body, "display_name"));
	json_t *meta = json_object_get(body, "meta"), *names = json_array(), *out = NULL, *val;
	struct sim_vault_rules rules = { 0 };
	struct sim_vault_token *t;
	int64_t ttl = 0, max = 0;
	bool renewable = true;
	const char *k;

	if (opt_int(body, "ttl_s", &ttl, why) || opt_int(body, "max_ttl_s", &max, why) ||
	    opt_bool(body, "renewable", &renewable, why) ||
	    sim_vault_parse_policies(json_object_get(body, "policies"), names, &rules, why))
		goto out;
	if (id && (!*id || !strcmp(id, v->root_token))) {
		berth_buf_addstr(why, "token must be non-empty and not the root token");
		goto out;
	}
	if (meta) {
		if (!json_is_object(meta)) {
			berth_buf_addstr(why, "meta must be an object of strings");
			goto out;
		}
		json_object_foreach(meta, k, val) {
			if (!json_is_string(val)) {
				berth_buf_addstr(why, "meta must be an object of strings");
				goto out;
			}
		}
	}
	t = sim_vault_token_new(v, id, names, &rules, ttl, max, true, renewable);
	names = NULL;
	if (meta)
		t->meta = json_deep_copy(meta);
	if (display) {
		free(t->display_name);
		t->display_name = xstrdup(display);
	}
	out = json_pack("{s:s, s:s, s:I}", "token", t->id, "accessor", t->accessor, "ttl_s",
			(json_int_t)t->ttl_s);
out:
	json_decref(names);
	sim_vault_rules_release(&rules);
	return out;
}

static json_t *ctl_revoke(struct sim_vault *v, const json_t *body, struct berth_buf *why)
{
	const char *id = req_str(body, "token", why);
	struct sim_vault_token *t;

	if (!id)
		return NULL;
	t = sim_vault_map_remove(&v->tokens, id);
	sim_vault_token_free(t);
	return json_pack("{s:b}", "revoked", t != NULL);
}

static json_t *ctl_policy(struct sim_vault *v, const json_t *body, struct berth_buf *why)
{
	const char *name = req_str(body, "name", why);
	json_t *rules_in = json_object_get(body, "rules"), *names, *r;
	struct sim_vault_rules *rules;
	struct sim_vault_rules *old;
	size_t i;

	if (!name)
		return NULL;
	if (!json_is_array(rules_in)) {
		berth_buf_addstr(why, "rules: an array of {path_prefix, capabilities}");
		return NULL;
	}
	json_array_foreach(rules_in, i, r) {
		if (!json_is_object(r)) {
			berth_buf_addstr(why, "rules: an array of {path_prefix, capabilities}");
			return NULL;
		}
	}
	rules = xcalloc(1, sizeof(*rules));
	names = json_array();
	if (sim_vault_parse_policies(rules_in, names, rules, why)) {
		json_decref(names);
		sim_vault_rules_release(rules);
		free(rules);
		return NULL;
	}
	json_decref(names);
	old = sim_vault_map_put(&v->policies, name, rules);
	if (old) {
		sim_vault_rules_release(old);
		free(old);
	}
	return json_pack("{s:s}", "name", name);
}

static json_t *ctl_mount(struct sim_vault *v, const json_t *body, struct berth_buf *why)
{
	const char *path = req_str(body, "path", why);
	json_int_t version = json_integer_value(json_object_get(body, "version"));
	struct sim_vault_mount *m;
	char *ns, *p;
	json_t *out;

	if (!path)
		return NULL;
	if (version != 1 && version != 2) {
		berth_buf_addstr(why, "version must be 1 or 2");
		return NULL;
	}
	ns = body_namespace(v, body, why);
	if (!ns)
		return NULL;
	p = trim_slashes(path);
	if (!*p || berth_starts_with(p, "sys") || berth_starts_with(p, "auth")) {
		berth_buf_addf(why, "cannot mount at '%s'", path);
		out = NULL;
	} else {
		m = sim_vault_mount_add(v, ns, p, (int)version);
		out = json_pack("{s:s, s:I}", "path", m->path, "version", version);
	}
	free(p);
	free(ns);
	return out;
}

static json_t *ctl_namespace(struct sim_vault *v, const json_t *body, struct berth_buf *why)
{
	const char *path = req_str(body, "path", why);
	json_t *out;
	char *p;

	if (!path)
		return NULL;
	p = trim_slashes(path);
	if (!*p) {
		berth_buf_addstr(why, "path must name a namespace");
		free(p);
		return NULL;
	}
	sim_vault_map_put(&v->namespaces, p, v);
	out = json_pack("{s:s}", "path", p);
	free(p);
	return out;
}

static json_t *ctl_cas_required(struct sim_vault *v, const json_t *body, struct berth_buf *why)
{
	const char *mount = req_str(body, "mount", why);
	const char *key = json_string_value(json_object_get(body, "path"));
	struct sim_vault_mount *m = NULL;
	bool cas = true;
	char *ns = NULL, *mp = NULL, *full = NULL;
	json_t *out = NULL;

	if (!mount || opt_bool(body, "cas_required", &cas, why))
		goto out;
	ns = body_namespace(v, body, why);
	if (!ns)
		goto out;
	mp = trim_slashes(mount);
	full = *ns ? xasprintf("%s/%s/", ns, mp) : xasprintf("%s/", mp);
	for (size_t i = 0; i < v->nmounts; i++)
		if (!strcmp(v->mounts[i]->path, full))
			m = v->mounts[i];
	if (!m || m->version != SIM_VAULT_KV2) {
		berth_buf_addf(why, "no KV v2 mount at '%s'", full);
		goto out;
	}
	if (key && *key)
		sim_vault_kv2_set_key_cas(m, key, cas);
	else
		m->cas_required = cas;
	out = json_pack("{s:s, s:s?, s:b}", "mount", full, "path", key, "cas_required", cas);
out:
	free(ns);
	free(mp);
	free(full);
	return out;
}

/* The auth mount named by "mount" (default def) in the body's namespace, made if need be. */
static struct sim_vault_auth_mount *body_auth_mount(struct sim_vault *v, const json_t *body,
						    const char *def, enum sim_vault_auth_type type,
						    struct berth_buf *why)
{
	const char *mount = json_string_value(json_object_get(body, "mount"));
	struct sim_vault_auth_mount *a = NULL;
	char *ns = body_namespace(v, body, why), *mp, *full;

	if (!ns)
		return NULL;
	mp = trim_slashes(mount ? mount : def);
	full = *ns ? xasprintf("%s/auth/%s/", ns, mp) : xasprintf("auth/%s/", mp);
	if (!*mp) {
		berth_buf_addstr(why, "mount must name an auth mount");
		goto out;
	}
	for (size_t i = 0; i < v->nauths; i++)
		if (!strcmp(v->auths[i]->path, full))
			a = v->auths[i];
	if (a && a->type != type) {
		berth_buf_addf(why, "'%s' is mounted with another auth method", full);
		a = NULL;
		goto out;
	}
	if (!a)
		a = sim_vault_auth_add(v, full, type);
out:
	free(ns);
	free(mp);
	free(full);
	return a;
}

/* Fill the role fields shared by both methods: policies, ttl_s, max_ttl_s, renewable. */
static int role_common(struct sim_vault_role *role, const json_t *body, struct berth_buf *why)
{
	json_t *policies = json_object_get(body, "policies"), *names = json_array();
	struct sim_vault_rules rules = { 0 };
	int rc;

	role->renewable = true;
	rc = sim_vault_parse_policies(policies, names, &rules, why);
	json_decref(names);
	sim_vault_rules_release(&rules);
	if (rc || opt_int(body, "ttl_s", &role->ttl_s, why) ||
	    opt_int(body, "max_ttl_s", &role->max_ttl_s, why) ||
	    opt_bool(body, "renewable", &role->renewable, why))
		return -1;
	role->policies = policies ? json_deep_copy(policies) : json_array();
	return 0;
}

static bool string_array(const json_t *a)
{
	size_t i;
	json_t *e;

	if (!json_is_array(a))
		return false;
	json_array_foreach(a, i, e)
		if (!json_is_string(e))
			return false;
	return true;
}

static json_t *ctl_k8s_role(struct sim_vault *v, const json_t *body, struct berth_buf *why)
{
	const char *name = req_str(body, "role", why);
	json_t *names = json_object_get(body, "bound_service_account_names");
	json_t *nss = json_object_get(body, "bound_service_account_namespaces");
	struct sim_vault_auth_mount *a;
	struct sim_vault_role *role;

	if (!name)
		return NULL;
	if (!string_array(names) || !json_array_size(names)) {
		berth_buf_addstr(why, "\"bound_service_account_names\" can not be empty");
		return NULL;
	}
	if (!string_array(nss)) {
		berth_buf_addstr(why, "bound_service_account_namespaces: an array of strings");
		return NULL;
	}
	a = body_auth_mount(v, body, "kubernetes", SIM_VAULT_AUTH_KUBERNETES, why);
	if (!a)
		return NULL;
	role = xcalloc(1, sizeof(*role));
	if (role_common(role, body, why)) {
		sim_vault_role_free(role);
		return NULL;
	}
	role->name = xstrdup(name);
	role->bound_names = json_deep_copy(names);
	role->bound_namespaces = json_deep_copy(nss);
	sim_vault_role_free(sim_vault_map_put(&a->roles, name, role));
	return json_pack("{s:s, s:s}", "mount", a->path, "role", name);
}

static json_t *ctl_k8s_jwt(struct sim_vault *v, const json_t *body, struct berth_buf *why)
{
	const char *jwt = req_str(body, "jwt", why);
	const char *sa = jwt ? req_str(body, "service_account", why) : NULL;
	const char *ns = sa ? req_str(body, "namespace", why) : NULL;
	const char *uid = json_string_value(json_object_get(body, "uid"));
	struct sim_vault_auth_mount *a;
	struct sim_vault_jwt *j;
	char u[40];

	if (!ns)
		return NULL;
	a = body_auth_mount(v, body, "kubernetes", SIM_VAULT_AUTH_KUBERNETES, why);
	if (!a)
		return NULL;
	j = xcalloc(1, sizeof(*j));
	j->service_account = xstrdup(sa);
	j->namespace = xstrdup(ns);
	if (!uid) {
		sim_vault_uuid(u);
		uid = u;
	}
	j->uid = xstrdup(uid);
	sim_vault_jwt_free(sim_vault_map_put(&a->jwts, jwt, j));
	return json_pack("{s:s, s:s, s:s, s:s}", "mount", a->path, "service_account", sa,
			 "namespace", ns, "uid", j->uid);
}

static json_t *ctl_approle(struct sim_vault *v, const json_t *body, struct berth_buf *why)
{
	const char *role_id = req_str(body, "role_id", why);
	const char *secret_id = json_string_value(json_object_get(body, "secret_id"));
	const char *name = json_string_value(json_object_get(body, "role_name"));
	struct sim_vault_auth_mount *a;
	struct sim_vault_role *role;

	if (!role_id)
		return NULL;
	a = body_auth_mount(v, body, "approle", SIM_VAULT_AUTH_APPROLE, why);
	if (!a)
		return NULL;
	role = xcalloc(1, sizeof(*role));
	if (role_common(role, body, why)) {
		sim_vault_role_free(role);
		return NULL;
	}
	role->name = xstrdup(name && *name ? name : "role");
	role->role_id = xstrdup(role_id);
	role->secret_id = secret_id && *secret_id ? xstrdup(secret_id) : NULL;
	sim_vault_role_free(sim_vault_map_put(&a->roles, role_id, role));
	return json_pack("{s:s, s:s, s:b}", "mount", a->path, "role_name", role->name,
			 "bind_secret_id", role->secret_id != NULL);
}

static json_t *ctl_reset(struct sim_vault *v, const json_t *body, struct berth_buf *why)
{
	char root[40];

	(void)body;
	(void)why;
	snprintf(root, sizeof(root), "%s", v->root_token);
	sim_vault_state_release(v);
	sim_vault_state_init(v, root);
	return state_of(v);
}

static const struct {
	const char *path;
	bool get_ok;
	control_fn *fn;
} controls[] = {
	{ "seal", false, ctl_seal },
	{ "unseal", false, ctl_unseal },
	{ "standby", false, ctl_standby },
	{ "state", true, ctl_state },
	{ "tokens", false, ctl_token },
	{ "tokens/revoke", false, ctl_revoke },
	{ "policies", false, ctl_policy },
	{ "mounts", false, ctl_mount },
	{ "namespaces", false, ctl_namespace },
	{ "cas_required", false, ctl_cas_required },
	{ "kubernetes/roles", false, ctl_k8s_role },
	{ "kubernetes/jwts", false, ctl_k8s_jwt },
	{ "approle/roles", false, ctl_approle },
	{ "reset", false, ctl_reset },
};

void sim_vault_control(struct sim_vault *v, struct sim_req *req, struct sim_resp *resp)
{
	const char *p = req->path + strlen("/_sim/vault/");
	struct berth_buf why = BERTH_BUF_INIT;
	json_t *body = NULL, *out;
	size_t i;

	for (i = 0; i < BERTH_ARRAY_SIZE(controls); i++)
		if (!strcmp(p, controls[i].path))
			break;
	if (i == BERTH_ARRAY_SIZE(controls)) {
		sim_resp_json(resp, 404, json_pack("{s:s}", "error", "no such control endpoint"));
		goto out;
	}
	if (strcmp(req->method, "POST") && !(controls[i].get_ok && !strcmp(req->method, "GET"))) {
		sim_resp_json(resp, 405, json_pack("{s:s}", "error", "use POST"));
		goto out;
	}
	if (req->body.len) {
		body = sim_body_json(req);
		if (!json_is_object(body)) {
			sim_resp_json(resp, 400,
				      json_pack("{s:s}", "error", "body must be a JSON object"));
			goto out;
		}
	}
	out = controls[i].fn(v, body, &why);
	if (out)
		sim_resp_json(resp, 200, out);
	else
		sim_resp_json(resp, 400,
			      json_pack("{s:s}", "error", why.len ? why.buf : "bad request"));
out:
	json_decref(body);
	berth_buf_release(&why);
}
