/*
 * sim_vault.c - the simulated HashiCorp Vault HTTP API: routing, the
 * response envelope, errors, ACL checks and the state's lifecycle.
 *
 * Built from research/vault-kube.md section A and the sources it cites
 * (vault-plugin-secrets-kv, vault-plugin-auth-kubernetes, vault's
 * http/logical.go, vault/request_handling.go, sys_health.go).
 *
 * FILES
 *   sim_vault.c          this file: dispatch, envelope, ACL, helpers
 *   sim_vault_kv.c       KV v1 and KV v2 engines
 *   sim_vault_auth.c     tokens, token self endpoints, Kubernetes and AppRole login
 *   sim_vault_sys.c      sys/health, sys/seal-status, sys/internal/ui/mounts
 *   sim_vault_control.c  the /_sim/vault/ control endpoints (documented below)
 *   sim_vault_map.c      hash map and LIST directory index
 *
 * THE API (under /v1/)
 *   Methods: GET (with ?list=true = LIST), LIST, POST = PUT, PATCH, DELETE;
 *   others 405 {"errors":[]}. HEAD only on sys/health. Every response is
 *   the Vault envelope {request_id, lease_id, renewable, lease_duration,
 *   data, wrap_info, warnings, auth, mount_type}; errors are
 *   {"errors":[...]}; empty results are 204.
 *
 *   Order of checks, as vault/http and vault/request_handling.go do them:
 *     1. method, ?list, PATCH's Content-Type (415/400), JSON body (400
 *        "error parsing JSON");
 *     2. sealed: 503 "Vault is sealed" (sys/health and sys/seal-status excepted);
 *     3. namespace: non-empty X-Vault-Namespace with no namespace defined
 *        403 "namespaces feature not enabled" (Vault CE); an undefined one
 *        403 "permission denied" (our choice: never reveal what exists);
 *     4. writes to a path ending in '/': 400 "cannot write to a path ending in '/'";
 *     5. unauthenticated paths: auth/<mount>/login, sys/internal/ui/mounts;
 *     6. token: none 403 "permission denied"; unknown, revoked or expired
 *        403 "2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n";
 *     7. ACL: 403 "1 error occurred:\n\t* permission denied\n\n";
 *     8. the engine, or 404 "no handler for route \"x\". route entry not found.".
 *
 *   Engines: "secret/" is KV v2 and "kv/" KV v1 in the root namespace;
 *   more through the control endpoints. Auth mounts: "auth/kubernetes/"
 *   and "auth/approle/"; roles are added through the control endpoints.
 *
 *   Standby changes only sys/health: a standby node forwards requests to
 *   the active node, which the simulator plays itself.
 *
 * NAMESPACES (Enterprise behaviour, enabled once one is defined)
 *   X-Vault-Namespace: team-a, or the path form /v1/team-a/secret/..., or
 *   both combined (header "team-a", path "/v1/sub/secret/..." for
 *   "team-a/sub"). Secret and auth mounts belong to one namespace. Tokens
 *   all live in the root namespace; their policy paths include the
 *   namespace ("team-a/secret/data/x"), as a root-namespace policy does.
 *
 * CONTROL ENDPOINTS (JSON in, JSON out; 400 {"error":"..."} on a bad body)
 *   The state endpoints answer {"sealed","standby","performance_standby","initialized"}.
 *   POST /_sim/vault/seal                      seal: 503 everywhere but sys/health, seal-status
 *   POST /_sim/vault/unseal
 *   POST /_sim/vault/standby {"standby"?=true} standby (false: active again)
 *   GET|POST /_sim/vault/state {"sealed"?, "standby"?, "performance_standby"?,
 *        "initialized"?}   any subset of booleans
 *   POST /_sim/vault/tokens {"token"?, "ttl_s"?, "max_ttl_s"?, "renewable"?,
 *        "policies": [NAME | {"path_prefix", "capabilities":[...]}, ...],
 *        "meta"?: {string: string}, "display_name"?}
 *        -> {"token", "accessor", "ttl_s"}. ttl_s absent or 0: 768h; max_ttl_s is
 *        an explicit max TTL capping renewals (0: 768h from creation).
 *        Every token also has the "default" policy (lookup/renew/revoke-self).
 *   POST /_sim/vault/tokens/revoke {"token"}   -> {"revoked":bool}
 *   POST /_sim/vault/policies {"name", "rules":[{"path_prefix","capabilities"}]}
 *        -> {"name"}; tokens and roles may name it in "policies"
 *   POST /_sim/vault/mounts {"path", "version": 1|2, "vault_namespace"?}
 *        -> {"path", "version"}   (a secret engine; the same path replaces it)
 *   POST /_sim/vault/namespaces {"path"}       -> {"path"}   (enables namespaces)
 *   POST /_sim/vault/cas_required {"mount", "cas_required"?=true, "path"?, "vault_namespace"?}
 *        engine-wide without "path", else for that key (creating its
 *        metadata, as a metadata write does)
 *   POST /_sim/vault/kubernetes/roles {"mount"?="kubernetes", "vault_namespace"?, "role",
 *        "bound_service_account_names":[...], "bound_service_account_namespaces":[...],
 *        "policies":[...], "ttl_s"?, "max_ttl_s"?, "renewable"?=true}
 *        (globs as Vault's; the auth mount is made if missing)
 *   POST /_sim/vault/kubernetes/jwts {"mount"?, "vault_namespace"?, "jwt",
 *        "service_account", "namespace", "uid"?}
 *        a JWT the mount accepts and the service account (name, Kubernetes
 *        namespace) it stands for; any other JWT is refused with 403
 *   POST /_sim/vault/approle/roles {"mount"?="approle", "vault_namespace"?, "role_name"?,
 *        "role_id", "secret_id"?, "policies":[...], "ttl_s"?, "max_ttl_s"?,
 *        "renewable"?=true}   (no secret_id: bind_secret_id=false)
 *   POST /_sim/vault/reset                     all state back to the start,
 *        same root token (the core's /_sim/reset clears only log and faults)
 *
 *   Capabilities: read create update patch delete list sudo deny. A rule
 *   applies to every path starting with path_prefix (a trailing '*' is
 *   ignored); the longest matching prefix wins, rules with the same prefix
 *   add up, and deny wins. Writes need create or update by the existence
 *   of the key (KV v2: of its metadata), as Vault's existence checks decide.
 *
 * NOT SIMULATED: form-encoded bodies, the 32 MB body limit (413), response
 * wrapping, standby redirects (307), X-Vault-Index (412: use a fault),
 * auth/token/create and the non-self token endpoints, sys/mounts and other
 * sys/ endpoints (404 "unsupported path" after the ACL check), Kubernetes
 * role audiences and JWT claim validation, the newer KV metadata fields
 * (created_by, deleted_by, last_updated_by), LIST ?exclude_deleted.
 * mount_type is "kv", "system", "token", "kubernetes" or "approle" by
 * mount, and "" in bodies Vault marshals inside the plugin (404 shapes 2, 3).
 */
#include "compat.h"
#include "sim.h"
#include "sim_vault.h"
#include "sim_vault_internal.h"
#include "codec.h"
#include "util.h"
#include "xalloc.h"

/* ---- ids, time, parsing ---------------------------------------------------- */

void sim_vault_uuid(char out[40])
{
	unsigned char b[16];

	if (berth_random_bytes(b, sizeof(b)))
		BERTH_BUG("random source failed");
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

int64_t sim_vault_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void sim_vault_time(char out[48], int64_t ns)
{
	time_t t = (time_t)(ns / 1000000000LL);
	long frac = (long)(ns % 1000000000LL);
	struct tm tm;
	char base[32], fbuf[16] = "";

	gmtime_r(&t, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	if (frac) {
		size_t n;

		snprintf(fbuf, sizeof(fbuf), ".%09ld", frac);
		n = strlen(fbuf);
		while (n > 1 && fbuf[n - 1] == '0')
			fbuf[--n] = '\0';
	}
	snprintf(out, 48, "%s%sZ", base, fbuf);
}

void sim_vault_duration(char out[32], int64_t s)
{
	if (s < 0) {
		snprintf(out, 32, "-%" PRId64 "s", -s);
		return;
	}
	if (s >= 3600)
		snprintf(out, 32, "%" PRId64 "h%" PRId64 "m%" PRId64 "s", s / 3600, s % 3600 / 60,
			 s % 60);
	else if (s >= 60)
		snprintf(out, 32, "%" PRId64 "m%" PRId64 "s", s / 60, s % 60);
	else
		snprintf(out, 32, "%" PRId64 "s", s);
}

int sim_vault_parse_seconds(const json_t *v, int64_t *out)
{
	if (json_is_integer(v)) {
		*out = (int64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_real(v)) {
		*out = (int64_t)json_real_value(v);
		return 0;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);

		if (s[0] == '-') {
			long long n;

			if (berth_parse_long(s, -1000000000LL, 0, &n))
				return -1;
			*out = n;
			return 0;
		}
		return berth_parse_duration(s, out);
	}
	return -1;
}

int sim_vault_parse_bool_str(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(yes); i++) {
		if (!strcmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

int sim_vault_parse_bool(const json_t *v, bool *out)
{
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return 0;
	}
	if (json_is_integer(v)) {
		*out = json_integer_value(v) != 0;
		return 0;
	}
	if (!json_is_string(v))
		return -1;
	return sim_vault_parse_bool_str(json_string_value(v), out);
}

void sim_vault_quote(struct berth_buf *b, const char *s)
{
	berth_buf_addch(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			berth_buf_addch(b, '\\');
			berth_buf_addch(b, (char)c);
		} else if (c < 0x20 || c == 0x7f) {
			berth_buf_addf(b, "\\x%02x", c);
		} else {
			berth_buf_addch(b, (char)c);
		}
	}
	berth_buf_addch(b, '"');
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ---- replies --------------------------------------------------------------- */

json_t *sim_vault_envelope(const struct sim_vault_req *r, json_t *data, const char *mount_type)
{
	return json_pack("{s:s, s:s, s:b, s:i, s:o, s:n, s:n, s:n, s:s}", "request_id",
			 r->request_id, "lease_id", "", "renewable", 0, "lease_duration", 0, "data",
			 data ? data : json_null(), "wrap_info", "warnings", "auth", "mount_type",
			 mount_type);
}

/* A copy of v with the keys of every object sorted: Go marshals maps that way. */
static json_t *sorted(json_t *v)
{
	const char **keys, *k;
	size_t i, n;
	json_t *out, *e;

	if (json_is_array(v)) {
		out = json_array();
		json_array_foreach(v, i, e)
			json_array_append_new(out, sorted(e));
		return out;
	}
	if (!json_is_object(v))
		return json_incref(v);
	n = json_object_size(v);
	keys = xmalloc(sizeof(*keys) * (n + 1));
	i = 0;
	json_object_foreach(v, k, e)
		keys[i++] = k;
	qsort(keys, n, sizeof(*keys), cmp_cstr);
	out = json_object();
	for (i = 0; i < n; i++)
		json_object_set_new(out, keys[i], sorted(json_object_get(v, keys[i])));
	free(keys);
	return out;
}

void sim_vault_send(struct sim_vault_req *r, int status, json_t *j)
{
	json_t *data = json_object_get(j, "data");
	json_t *meta = json_object_get(json_object_get(j, "auth"), "metadata");

	/* The envelope and auth are Go structs (field order); data and metadata are maps. */
	if (json_is_object(data) && json_object_get(j, "request_id"))
		json_object_set_new(j, "data", sorted(data));
	if (json_is_object(meta))
		json_object_set_new(json_object_get(j, "auth"), "metadata", sorted(meta));
	sim_resp_json(r->resp, status, j);
	r->resp->content_type = xstrdup("application/json");
	sim_resp_header(r->resp, "Cache-Control", "no-store");
}

void sim_vault_error(struct sim_vault_req *r, int status, const char *msg)
{
	json_t *errs = json_array();

	if (msg)
		json_array_append_new(errs, json_string(msg));
	sim_vault_send(r, status, json_pack("{s:o}", "errors", errs));
}

void sim_vault_error_multi(struct sim_vault_req *r, int status, const char *msg)
{
	char *text = xasprintf("1 error occurred:\n\t* %s\n\n", msg);

	sim_vault_error(r, status, text);
	free(text);
}

void sim_vault_no_content(struct sim_vault_req *r)
{
	sim_resp_empty(r->resp, 204);
	sim_resp_header(r->resp, "Cache-Control", "no-store");
}

void sim_vault_denied(struct sim_vault_req *r)
{
	sim_vault_error_multi(r, 403, "permission denied");
}

/* ---- ACL --------------------------------------------------------------------- */

struct acl_walk {
	const char *path;
	long best;     /* length of the longest matching prefix, -1 none */
	unsigned caps; /* union of the rules with that prefix */
};

static void walk_rules(struct acl_walk *w, const struct sim_vault_rules *rules)
{
	for (size_t i = 0; i < rules->n; i++) {
		const struct sim_vault_rule *rule = &rules->v[i];
		long len = (long)strlen(rule->prefix);

		if (strncmp(w->path, rule->prefix, (size_t)len))
			continue;
		if (len > w->best) {
			w->best = len;
			w->caps = rule->caps;
		} else if (len == w->best) {
			w->caps |= rule->caps;
		}
	}
}

/* Call fn on each rule set of the token: inline rules, then each named policy. */
static void each_rule_set(const struct sim_vault_req *r,
			  void (*fn)(void *payload, const struct sim_vault_rules *rules),
			  void *payload)
{
	const struct sim_vault_token *t = r->token;
	size_t i;
	json_t *name;

	fn(payload, &t->rules);
	json_array_foreach(t->policies, i, name) {
		const struct sim_vault_rules *rules =
			sim_vault_map_get(&r->v->policies, json_string_value(name));

		if (rules)
			fn(payload, rules);
	}
}

static void walk_cb(void *payload, const struct sim_vault_rules *rules)
{
	walk_rules(payload, rules);
}

/* The capabilities the token has on path: 0 when no rule matches. */
static unsigned effective_caps(const struct sim_vault_req *r, const char *path)
{
	struct acl_walk w = { .path = path, .best = -1, .caps = 0 };

	each_rule_set(r, walk_cb, &w);
	return w.best < 0 ? 0 : w.caps;
}

bool sim_vault_allowed(const struct sim_vault_req *r, const char *path, unsigned caps)
{
	unsigned have;

	if (!r->token)
		return false;
	if (r->token->root)
		return true;
	have = effective_caps(r, path);
	if (have & SIM_VAULT_CAP_DENY)
		return false;
	return (have & caps) == caps;
}

bool sim_vault_check(struct sim_vault_req *r, const char *path, unsigned caps)
{
	if (sim_vault_allowed(r, path, caps))
		return true;
	sim_vault_denied(r);
	return false;
}

struct under_walk {
	const char *prefix;
	bool found;
};

static void under_cb(void *payload, const struct sim_vault_rules *rules)
{
	struct under_walk *w = payload;

	for (size_t i = 0; i < rules->n; i++)
		if (berth_starts_with(rules->v[i].prefix, w->prefix) &&
		    (rules->v[i].caps & ~(unsigned)SIM_VAULT_CAP_DENY) &&
		    !(rules->v[i].caps & SIM_VAULT_CAP_DENY))
			w->found = true;
}

bool sim_vault_has_access_under(const struct sim_vault_req *r, const char *prefix)
{
	struct under_walk w = { .prefix = prefix, .found = false };
	unsigned have;

	if (!r->token)
		return false;
	if (r->token->root)
		return true;
	/* Any capability on the mount path itself ... */
	have = effective_caps(r, prefix);
	if (have && !(have & SIM_VAULT_CAP_DENY))
		return true;
	/* ... or on some path under it. */
	each_rule_set(r, under_cb, &w);
	return w.found;
}

int sim_vault_parse_caps(const json_t *arr, unsigned *caps)
{
	static const struct {
		const char *name;
		unsigned cap;
	} names[] = {
		{ "read", SIM_VAULT_CAP_READ },     { "create", SIM_VAULT_CAP_CREATE },
		{ "update", SIM_VAULT_CAP_UPDATE }, { "patch", SIM_VAULT_CAP_PATCH },
		{ "delete", SIM_VAULT_CAP_DELETE }, { "list", SIM_VAULT_CAP_LIST },
		{ "sudo", SIM_VAULT_CAP_SUDO },     { "deny", SIM_VAULT_CAP_DENY },
	};
	size_t i;
	json_t *c;

	*caps = 0;
	if (!json_is_array(arr))
		return -1;
	json_array_foreach(arr, i, c) {
		size_t k;

		for (k = 0; k < BERTH_ARRAY_SIZE(names); k++)
			if (json_is_string(c) && !strcmp(json_string_value(c), names[k].name))
				break;
		if (k == BERTH_ARRAY_SIZE(names))
			return -1;
		*caps |= names[k].cap;
	}
	return 0;
}

static int cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
		      json_string_value(*(json_t *const *)b));
}

/* Add name to the set of names (an array kept sorted and unique). */
static void add_name(json_t *names, const char *name)
{
	size_t i, n;
	json_t *e, **v;

	json_array_foreach(names, i, e)
		if (!strcmp(json_string_value(e), name))
			return;
	json_array_append_new(names, json_string(name));
	n = json_array_size(names);
	v = xmalloc(sizeof(*v) * n);
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(names, i));
	qsort(v, n, sizeof(*v), cmp_json_str);
	json_array_clear(names);
	for (i = 0; i < n; i++)
		json_array_append_new(names, v[i]);
	free(v);
}

int sim_vault_parse_policies(const json_t *arr, json_t *names, struct sim_vault_rules *rules,
			     struct berth_buf *why)
{
	size_t i;
	json_t *p;

	add_name(names, "default");
	if (!arr)
		return 0;
	if (!json_is_array(arr)) {
		berth_buf_addstr(why, "policies must be an array");
		return -1;
	}
	json_array_foreach(arr, i, p) {
		const char *prefix, *name;
		unsigned caps;
		size_t len;

		if (json_is_string(p)) {
			add_name(names, json_string_value(p));
			continue;
		}
		prefix = json_string_value(json_object_get(p, "path_prefix"));
		if (!prefix) {
			berth_buf_addf(why, "policies[%zu]: a name or {path_prefix, capabilities}",
				       i);
			return -1;
		}
		if (sim_vault_parse_caps(json_object_get(p, "capabilities"), &caps)) {
			berth_buf_addf(why,
				       "policies[%zu]: capabilities: an array of read, create, "
				       "update, patch, delete, list, sudo, deny",
				       i);
			return -1;
		}
		name = json_string_value(json_object_get(p, "name"));
		if (name)
			add_name(names, name);
		rules->v = xrealloc(rules->v, sizeof(*rules->v) * (rules->n + 1));
		len = strlen(prefix);
		if (len && prefix[len - 1] == '*')
			len--;
		rules->v[rules->n].prefix = xstrndup(prefix, len);
		rules->v[rules->n].caps = caps;
		rules->n++;
	}
	return 0;
}

void sim_vault_rules_release(struct sim_vault_rules *rules)
{
	for (size_t i = 0; i < rules->n; i++)
		free(rules->v[i].prefix);
	free(rules->v);
	rules->v = NULL;
	rules->n = 0;
}

/* ---- mounts -------------------------------------------------------------------- */

struct sim_vault_mount *sim_vault_mount_find(struct sim_vault *v, const char *full)
{
	struct sim_vault_mount *best = NULL;
	size_t flen = strlen(full);

	for (size_t i = 0; i < v->nmounts; i++) {
		struct sim_vault_mount *m = v->mounts[i];
		size_t len = strlen(m->path);
		bool match = !strncmp(full, m->path, len) ||
			     /* "secret" means "secret/", as Vault's router retries with a slash */
			     (flen == len - 1 && !strncmp(full, m->path, flen));

		if (match && (!best || len > strlen(best->path)))
			best = m;
	}
	return best;
}

struct sim_vault_mount *sim_vault_mount_add(struct sim_vault *v, const char *ns, const char *path,
					    int version)
{
	struct sim_vault_mount *m = xcalloc(1, sizeof(*m));
	struct berth_buf b = BERTH_BUF_INIT;

	while (*path == '/')
		path++;
	berth_buf_addstr(&b, path);
	if (!b.len || b.buf[b.len - 1] != '/')
		berth_buf_addch(&b, '/');
	m->rel = berth_buf_detach(&b, NULL);
	m->ns = xstrdup(ns);
	m->path = *ns ? xasprintf("%s/%s", ns, m->rel) : xstrdup(m->rel);
	m->version = version;
	snprintf(m->accessor, sizeof(m->accessor), "kv_");
	sim_random_alnum(m->accessor + 3, 8);
	sim_vault_uuid(m->uuid);
	sim_vault_map_init(&m->keys);
	sim_vault_index_init(&m->index);
	/* A mount of the same path replaces the old one (Vault refuses; tests may re-mount). */
	for (size_t i = 0; i < v->nmounts; i++) {
		if (!strcmp(v->mounts[i]->path, m->path)) {
			sim_vault_mount_free(v->mounts[i]);
			v->mounts[i] = m;
			return m;
		}
	}
	BERTH_ALLOC_GROW(v->mounts, v->nmounts + 1, v->amounts);
	v->mounts[v->nmounts++] = m;
	return m;
}

struct sim_vault_auth_mount *sim_vault_auth_find(struct sim_vault *v, const char *full_path)
{
	struct sim_vault_auth_mount *best = NULL;

	for (size_t i = 0; i < v->nauths; i++) {
		struct sim_vault_auth_mount *a = v->auths[i];

		if (berth_starts_with(full_path, a->path) &&
		    (!best || strlen(a->path) > strlen(best->path)))
			best = a;
	}
	return best;
}

struct sim_vault_auth_mount *sim_vault_auth_add(struct sim_vault *v, const char *full_path,
						enum sim_vault_auth_type type)
{
	struct sim_vault_auth_mount *a;

	for (size_t i = 0; i < v->nauths; i++)
		if (!strcmp(v->auths[i]->path, full_path))
			return v->auths[i];
	a = xcalloc(1, sizeof(*a));
	a->path = xstrdup(full_path);
	a->type = type;
	snprintf(a->accessor, sizeof(a->accessor), "auth_%s_",
		 type == SIM_VAULT_AUTH_KUBERNETES ? "kubernetes" : "approle");
	sim_random_alnum(a->accessor + strlen(a->accessor), 8);
	sim_vault_map_init(&a->roles);
	sim_vault_map_init(&a->jwts);
	BERTH_ALLOC_GROW(v->auths, v->nauths + 1, v->aauths);
	v->auths[v->nauths++] = a;
	return a;
}

/* ---- state lifecycle ----------------------------------------------------------- */

static void free_rules(void *p)
{
	sim_vault_rules_release(p);
	free(p);
}

void sim_vault_state_init(struct sim_vault *v, const char *root_token)
{
	struct sim_vault_token *root;

	memset(v, 0, sizeof(*v));
	v->initialized = true;
	if (root_token) {
		snprintf(v->root_token, sizeof(v->root_token), "%s", root_token);
	} else {
		memcpy(v->root_token, "hvs.", 4);
		sim_random_alnum(v->root_token + 4, 24);
	}
	sim_vault_uuid(v->cluster_id);
	snprintf(v->cluster_name, sizeof(v->cluster_name), "vault-cluster-%.8s", v->cluster_id);
	sim_vault_map_init(&v->tokens);
	sim_vault_map_init(&v->policies);
	sim_vault_map_init(&v->namespaces);
	sim_vault_mount_add(v, "", "secret", SIM_VAULT_KV2);
	sim_vault_mount_add(v, "", "kv", SIM_VAULT_KV1);
	sim_vault_auth_add(v, "auth/kubernetes/", SIM_VAULT_AUTH_KUBERNETES);
	sim_vault_auth_add(v, "auth/approle/", SIM_VAULT_AUTH_APPROLE);

	root = sim_vault_token_new(v, v->root_token, json_pack("[s]", "root"), NULL, 0, 0, false,
				   false);
	root->root = true;
	root->expire_ms = 0;
	root->ttl_s = root->creation_ttl_s = 0;
	free(root->display_name);
	root->display_name = xstrdup("root");
	free(root->path);
	root->path = xstrdup("auth/token/root");
}

void sim_vault_state_release(struct sim_vault *v)
{
	sim_vault_map_release(&v->tokens, sim_vault_token_free);
	sim_vault_map_release(&v->policies, free_rules);
	sim_vault_map_release(&v->namespaces, NULL);
	for (size_t i = 0; i < v->nmounts; i++)
		sim_vault_mount_free(v->mounts[i]);
	free(v->mounts);
	for (size_t i = 0; i < v->nauths; i++)
		sim_vault_auth_mount_free(v->auths[i]);
	free(v->auths);
	v->mounts = NULL;
	v->auths = NULL;
	v->nmounts = v->amounts = v->nauths = v->aauths = 0;
}

/* ---- dispatch ------------------------------------------------------------------- */

/* Vault's reading of a PATCH Content-Type (mime.ParseMediaType, then compared). */
static bool patch_content_type_ok(struct sim_vault_req *r)
{
	const char *ct = sim_header(r->http, "Content-Type");
	struct berth_buf mt = BERTH_BUF_INIT;
	bool ok = false;
	char *msg;

	if (!ct || !*ct) {
		sim_vault_error(r, 400, "mime: no media type");
		goto out;
	}
	while (*ct == ' ' || *ct == '\t')
		ct++;
	for (; *ct && *ct != ';' && *ct != ' ' && *ct != '\t'; ct++)
		berth_buf_addch(&mt, (char)(*ct >= 'A' && *ct <= 'Z' ? *ct - 'A' + 'a' : *ct));
	if (!strcmp(mt.buf, "application/merge-patch+json")) {
		ok = true;
		goto out;
	}
	msg = xasprintf("PATCH requires Content-Type of application/merge-patch+json, provided %s",
			mt.buf);
	sim_vault_error(r, 415, msg);
	free(msg);
out:
	berth_buf_release(&mt);
	return ok;
}

/* Map the HTTP method (and ?list=) to an operation; replies and returns -1 when unsupported. */
static int method_op(struct sim_vault_req *r)
{
	const char *m = r->http->method;
	const char *list;
	bool b;

	if (!strcmp(m, "GET")) {
		list = sim_param(r->http, "list");
		r->op = SIM_VAULT_READ;
		if (list && *list) {
			if (sim_vault_parse_bool_str(list, &b)) {
				sim_vault_error(r, 400, NULL);
				return -1;
			}
			if (b)
				r->op = SIM_VAULT_LIST;
		}
		return 0;
	}
	if (!strcmp(m, "LIST"))
		r->op = SIM_VAULT_LIST;
	else if (!strcmp(m, "POST") || !strcmp(m, "PUT"))
		r->op = SIM_VAULT_WRITE;
	else if (!strcmp(m, "PATCH"))
		r->op = SIM_VAULT_PATCH;
	else if (!strcmp(m, "DELETE"))
		r->op = SIM_VAULT_DELETE;
	else {
		sim_vault_error(r, 405, NULL);
		return -1;
	}
	return 0;
}

unsigned sim_vault_op_cap(enum sim_vault_op op)
{
	switch (op) {
	case SIM_VAULT_READ:
		return SIM_VAULT_CAP_READ;
	case SIM_VAULT_LIST:
		return SIM_VAULT_CAP_LIST;
	case SIM_VAULT_WRITE:
		return SIM_VAULT_CAP_UPDATE;
	case SIM_VAULT_PATCH:
		return SIM_VAULT_CAP_PATCH;
	case SIM_VAULT_DELETE:
		return SIM_VAULT_CAP_DELETE;
	}
	return 0;
}

/*
 * Resolve the namespace from X-Vault-Namespace and leading path segments
 * naming a defined namespace. Sets r->ns and returns the rest of the path;
 * replies and returns NULL when the namespace is refused.
 */
static const char *resolve_namespace(struct sim_vault_req *r, const char *p)
{
	const char *h = sim_header(r->http, "X-Vault-Namespace");
	struct berth_buf ns = BERTH_BUF_INIT;

	if (h) {
		while (*h == '/')
			h++;
		berth_buf_addstr(&ns, h);
		while (ns.len && ns.buf[ns.len - 1] == '/')
			ns.buf[--ns.len] = '\0';
	}
	if (ns.len && !r->v->namespaces.count) {
		sim_vault_error(r, 403, "namespaces feature not enabled");
		goto fail;
	}
	/* The path may carry (more of) the namespace: /v1/team-a/secret/... */
	while (r->v->namespaces.count) {
		const char *slash = strchr(p, '/');
		char *cand;
		bool known;

		if (!slash)
			break;
		cand = ns.len ? xasprintf("%s/%.*s", ns.buf, (int)(slash - p), p)
			      : xstrndup(p, (size_t)(slash - p));
		known = sim_vault_map_get(&r->v->namespaces, cand) != NULL;
		if (known) {
			berth_buf_reset(&ns);
			berth_buf_addstr(&ns, cand);
			p = slash + 1;
		}
		free(cand);
		if (!known)
			break;
	}
	if (ns.len && !sim_vault_map_get(&r->v->namespaces, ns.buf)) {
		sim_vault_error(r, 403, "permission denied");
		goto fail;
	}
	r->ns = berth_buf_detach(&ns, NULL);
	return p;
fail:
	berth_buf_release(&ns);
	return NULL;
}

static void no_handler(struct sim_vault_req *r)
{
	struct berth_buf b = BERTH_BUF_INIT;

	berth_buf_addstr(&b, "no handler for route ");
	sim_vault_quote(&b, r->path);
	berth_buf_addstr(&b, ". route entry not found.");
	sim_vault_error(r, 404, b.buf);
	berth_buf_release(&b);
}

/* Serve a /v1/ request, sealed check and authentication included. */
static void serve_v1(struct sim_vault_req *r, const char *p)
{
	struct sim_vault *v = r->v;
	struct sim_vault_auth_mount *a;
	struct sim_vault_mount *m;
	const char *rest;

	if (method_op(r))
		return;
	if (r->op == SIM_VAULT_PATCH && !patch_content_type_ok(r))
		return;
	if ((r->op == SIM_VAULT_WRITE || r->op == SIM_VAULT_PATCH) && r->http->body.len) {
		r->body = json_loadb(r->http->body.buf, r->http->body.len, 0, NULL);
		if (!json_is_object(r->body)) {
			sim_vault_error(r, 400, "error parsing JSON");
			return;
		}
	}
	if (v->sealed || !v->initialized) {
		sim_vault_error(r, 503, "Vault is sealed");
		return;
	}
	rest = resolve_namespace(r, p);
	if (!rest)
		return;
	r->path = r->op == SIM_VAULT_LIST && !berth_ends_with(rest, "/") ? xasprintf("%s/", rest)
									 : xstrdup(rest);
	r->full = *r->ns ? xasprintf("%s/%s", r->ns, r->path) : xstrdup(r->path);
	if ((r->op == SIM_VAULT_WRITE || r->op == SIM_VAULT_PATCH) &&
	    berth_ends_with(r->path, "/")) {
		sim_vault_error(r, 400, "cannot write to a path ending in '/'");
		return;
	}

	/* Unauthenticated paths. */
	if (berth_starts_with(r->path, "sys/internal/ui/mounts") &&
	    (r->path[22] == '\0' || r->path[22] == '/')) {
		sim_vault_ui_mounts(r, r->path + 22);
		return;
	}
	if (berth_starts_with(r->path, "sys/mounts-all/")) {
		sim_vault_ui_mounts(r, r->path + 14);
		return;
	}
	a = berth_starts_with(r->path, "auth/") ? sim_vault_auth_find(v, r->full) : NULL;
	if (a && !strcmp(r->full + strlen(a->path), "login")) {
		sim_vault_login(r, a);
		return;
	}

	if (!sim_vault_authenticate(r))
		return;
	if (berth_starts_with(r->path, "auth/token/") && sim_vault_token_serve(r, r->path + 11))
		return;
	if (berth_starts_with(r->path, "sys/") || berth_starts_with(r->path, "auth/token/") || a) {
		if (sim_vault_check(r, r->full, sim_vault_op_cap(r->op)))
			sim_vault_error_multi(r, 404, "unsupported path");
		return;
	}
	m = berth_starts_with(r->path, "auth/") ? NULL : sim_vault_mount_find(v, r->full);
	if (!m) {
		if (sim_vault_check(r, r->full, sim_vault_op_cap(r->op)))
			no_handler(r);
		return;
	}
	sim_vault_kv_serve(r, m,
			   strlen(r->full) >= strlen(m->path) ? r->full + strlen(m->path) : "");
}

static void handle(struct sim_api *api, struct sim_req *req, struct sim_resp *resp)
{
	struct sim_vault *v = api->state;
	struct sim_vault_req r = { 0 };

	r.v = v;
	r.http = req;
	r.resp = resp;
	sim_vault_uuid(r.request_id);

	if (berth_starts_with(req->path, "/_sim/vault/")) {
		sim_vault_control(v, req, resp);
		return;
	}
	if (berth_starts_with(req->path, "/_sim/")) {
		sim_resp_json(resp, 404, json_pack("{s:s}", "error", "no such control endpoint"));
		return;
	}
	if (!berth_starts_with(req->path, "/v1/")) {
		sim_resp_text(resp, 404, "text/plain; charset=utf-8", "404 page not found\n");
		return;
	}
	if (!strcmp(req->path, "/v1/sys/health")) {
		sim_vault_health(v, req, resp);
		return;
	}
	if (!strcmp(req->path, "/v1/sys/seal-status")) {
		sim_vault_seal_status(v, req, resp);
		return;
	}
	serve_v1(&r, req->path + 4);
	json_decref(r.body);
	free(r.ns);
	free(r.path);
	free(r.full);
}

struct sim_api *sim_vault_create(struct sim_world *w)
{
	struct sim_api *api = xcalloc(1, sizeof(*api));
	struct sim_vault *v = xcalloc(1, sizeof(*v));

	(void)w;
	sim_vault_state_init(v, NULL);
	api->name = "vault";
	api->handler = handle;
	api->state = v;
	return api;
}

json_t *sim_vault_describe(struct sim_api *api)
{
	struct sim_vault *v = api->state;
	char *url = sim_api_url(api);
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "url", url, "root_token",
			      v->root_token, "kv2_mount", "secret", "kv1_mount", "kv",
			      "kubernetes_mount", "kubernetes", "approle_mount", "approle",
			      "control", "/_sim/vault/");

	free(url);
	return j;
}
