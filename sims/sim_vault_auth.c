/*
 * sim_vault_auth.c - the simulated Vault's tokens and auth methods: token
 * resolution and expiry, auth/token/{lookup,renew,revoke}-self, and login
 * through the Kubernetes and AppRole methods.
 *
 * Tokens expire on the real clock. Renewal follows framework.CalculateTTL:
 * the new TTL is the increment (or the token's TTL), capped so that the
 * token never outlives creation + max TTL, with Vault's warning when capped.
 * Login errors follow vault-plugin-auth-kubernetes path_login.go and
 * vault's builtin/credential/approle/path_login.go; which JWTs are valid,
 * and whom they stand for, is configured by tests (no TokenReview).
 */
#include "compat.h"
#include "sim.h"
#include "sim_vault_internal.h"
#include "xalloc.h"

#include <fnmatch.h>

#define SYSTEM_MAX_TTL_S 2764800 /* 768h: Vault's default and maximum lease TTL */

static const char invalid_token_msg[] =
	"2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n";

/* ---- tokens ------------------------------------------------------------------ */

void sim_vault_token_free(void *p)
{
	struct sim_vault_token *t = p;

	if (!t)
		return;
	free(t->id);
	free(t->accessor);
	json_decref(t->policies);
	sim_vault_rules_release(&t->rules);
	json_decref(t->meta);
	free(t->display_name);
	free(t->path);
	free(t->entity_id);
	free(t);
}

struct sim_vault_token *sim_vault_token_new(struct sim_vault *v, const char *id, json_t *names,
					    struct sim_vault_rules *rules, int64_t ttl_s,
					    int64_t max_ttl_s, bool explicit_max, bool renewable)
{
	struct sim_vault_token *t = xcalloc(1, sizeof(*t));
	char buf[32];
	int64_t max = max_ttl_s > 0 && max_ttl_s < SYSTEM_MAX_TTL_S ? max_ttl_s : SYSTEM_MAX_TTL_S;

	if (id) {
		t->id = xstrdup(id);
	} else {
		memcpy(buf, "hvs.", 4);
		sim_random_alnum(buf + 4, 24);
		t->id = xstrdup(buf);
	}
	sim_random_alnum(buf, 24);
	t->accessor = xstrdup(buf);
	t->policies = names ? names : json_pack("[s]", "default");
	if (rules) {
		t->rules = *rules;
		rules->v = NULL;
		rules->n = 0;
	}
	if (ttl_s <= 0)
		ttl_s = SYSTEM_MAX_TTL_S;
	if (ttl_s > max)
		ttl_s = max;
	t->ttl_s = t->creation_ttl_s = ttl_s;
	t->max_ttl_s = max_ttl_s > 0 ? max_ttl_s : 0;
	t->explicit_max = explicit_max && max_ttl_s > 0;
	t->creation_ms = sim_now_ms();
	t->expire_ms = t->creation_ms + ttl_s * 1000;
	t->renewable = renewable;
	t->display_name = xstrdup("token");
	t->path = xstrdup("auth/token/create");
	t->entity_id = xstrdup("");
	sim_vault_token_free(sim_vault_map_put(&v->tokens, t->id, t));
	return t;
}

struct sim_vault_token *sim_vault_token_lookup(struct sim_vault *v, const char *id)
{
	struct sim_vault_token *t = sim_vault_map_get(&v->tokens, id);

	if (t && t->expire_ms && sim_now_ms() >= t->expire_ms) {
		/* Expired: Vault's expiration manager revokes it. */
		sim_vault_token_free(sim_vault_map_remove(&v->tokens, id));
		t = NULL;
	}
	return t;
}

bool sim_vault_authenticate(struct sim_vault_req *r)
{
	const char *id = sim_header(r->http, "X-Vault-Token");

	if (!id || !*id)
		id = sim_bearer(r->http);
	r->token_id = id;
	if (!id || !*id) {
		sim_vault_error(r, 403, "permission denied");
		return false;
	}
	r->token = sim_vault_token_lookup(r->v, id);
	if (!r->token) {
		sim_vault_error(r, 403, invalid_token_msg);
		return false;
	}
	return true;
}

/* The "auth" block of a login or renewal. */
static json_t *auth_block(const struct sim_vault_token *t, int64_t lease_s)
{
	return json_pack("{s:s, s:s, s:O, s:O, s:o, s:I, s:b, s:s, s:s, s:b, s:n, s:i}",
			 "client_token", t->id, "accessor", t->accessor, "policies", t->policies,
			 "token_policies", t->policies, "metadata",
			 t->meta ? json_deep_copy(t->meta) : json_null(), "lease_duration",
			 (json_int_t)lease_s, "renewable", t->renewable, "entity_id", t->entity_id,
			 "token_type", "service", "orphan", t->orphan, "mfa_requirement",
			 "num_uses", 0);
}

static json_t *time_or_null(int64_t ms)
{
	char t[48];

	if (!ms)
		return json_null();
	sim_vault_time(t, ms * 1000000LL);
	return json_string(t);
}

static void lookup_self(struct sim_vault_req *r)
{
	const struct sim_vault_token *t = r->token;
	int64_t now = sim_now_ms();
	json_t *data;
	char issue[48];

	sim_vault_time(issue, t->creation_ms * 1000000LL);
	data = json_pack(
		"{s:s, s:I, s:I, s:s, s:s, s:o, s:I, s:s, s:s, s:o, s:i, s:b, s:s, s:O, "
		"s:b, s:I, s:s}",
		"accessor", t->accessor, "creation_time", (json_int_t)(t->creation_ms / 1000),
		"creation_ttl", (json_int_t)t->creation_ttl_s, "display_name", t->display_name,
		"entity_id", t->entity_id, "expire_time", time_or_null(t->expire_ms),
		"explicit_max_ttl", (json_int_t)(t->explicit_max ? t->max_ttl_s : 0), "id", t->id,
		"issue_time", issue, "meta", t->meta ? json_deep_copy(t->meta) : json_null(),
		"num_uses", 0, "orphan", t->orphan, "path", t->path, "policies", t->policies,
		"renewable", t->renewable, "ttl",
		(json_int_t)(t->expire_ms ? (t->expire_ms - now) / 1000 : 0), "type", "service");
	sim_vault_send(r, 200, sim_vault_envelope(r, data, "token"));
}

static void renew_self(struct sim_vault_req *r)
{
	struct sim_vault_token *t = r->token;
	json_t *inc = json_object_get(r->body, "increment"), *env, *warnings = NULL;
	int64_t increment = 0, now = sim_now_ms(), ttl_ms, max_s, max_valid_ms;

	if (t->root || !t->expire_ms) {
		/* No lease behind a root token (ExpirationManager.RenewToken). */
		sim_vault_error(r, 400, "invalid lease ID");
		return;
	}
	if (!t->renewable) {
		sim_vault_error(r, 400, "lease is not renewable");
		return;
	}
	if (inc && !json_is_null(inc) && sim_vault_parse_seconds(inc, &increment)) {
		sim_vault_error(r, 400, "error converting input for field \"increment\"");
		return;
	}
	ttl_ms = (increment > 0 ? increment : t->ttl_s) * 1000;
	max_s = t->max_ttl_s > 0 && t->max_ttl_s < SYSTEM_MAX_TTL_S ? t->max_ttl_s
								    : SYSTEM_MAX_TTL_S;
	max_valid_ms = t->creation_ms + max_s * 1000 - now;
	if (max_valid_ms <= 0) {
		sim_vault_error(r, 500, "past the max TTL, cannot renew");
		return;
	}
	if (ttl_ms > max_valid_ms) {
		char want[32], cap[32], *w;

		sim_vault_duration(want, ttl_ms / 1000);
		sim_vault_duration(cap, max_valid_ms / 1000);
		w = xasprintf(
			"TTL of \"%s\" exceeded the effective max_ttl of \"%s\"; TTL value is "
			"capped accordingly",
			want, cap);
		warnings = json_pack("[s]", w);
		free(w);
		ttl_ms = max_valid_ms;
	}
	t->expire_ms = now + ttl_ms;
	env = sim_vault_envelope(r, NULL, "token");
	json_object_set_new(env, "auth", auth_block(t, ttl_ms / 1000));
	if (warnings)
		json_object_set_new(env, "warnings", warnings);
	sim_vault_send(r, 200, env);
}

bool sim_vault_token_serve(struct sim_vault_req *r, const char *rel)
{
	if (!strcmp(rel, "lookup-self")) {
		if (r->op == SIM_VAULT_READ || r->op == SIM_VAULT_WRITE)
			lookup_self(r);
		else
			sim_vault_error_multi(r, 405, "unsupported operation");
		return true;
	}
	if (!strcmp(rel, "renew-self")) {
		if (r->op == SIM_VAULT_WRITE)
			renew_self(r);
		else
			sim_vault_error_multi(r, 405, "unsupported operation");
		return true;
	}
	if (!strcmp(rel, "revoke-self")) {
		if (r->op == SIM_VAULT_WRITE) {
			sim_vault_token_free(sim_vault_map_remove(&r->v->tokens, r->token->id));
			r->token = NULL;
			sim_vault_no_content(r);
		} else {
			sim_vault_error_multi(r, 405, "unsupported operation");
		}
		return true;
	}
	return false;
}

/* ---- auth methods --------------------------------------------------------------- */

void sim_vault_role_free(void *p)
{
	struct sim_vault_role *role = p;

	if (!role)
		return;
	free(role->name);
	json_decref(role->bound_names);
	json_decref(role->bound_namespaces);
	free(role->role_id);
	free(role->secret_id);
	json_decref(role->policies);
	free(role);
}

void sim_vault_jwt_free(void *p)
{
	struct sim_vault_jwt *j = p;

	if (!j)
		return;
	free(j->service_account);
	free(j->namespace);
	free(j->uid);
	free(j);
}

void sim_vault_auth_mount_free(struct sim_vault_auth_mount *a)
{
	if (!a)
		return;
	sim_vault_map_release(&a->roles, sim_vault_role_free);
	sim_vault_map_release(&a->jwts, sim_vault_jwt_free);
	free(a->path);
	free(a);
}

/* strutil.StrListContainsGlob */
static bool glob_listed(const json_t *globs, const char *s)
{
	size_t i;
	json_t *g;

	json_array_foreach(globs, i, g)
		if (json_is_string(g) && !fnmatch(json_string_value(g), s, 0))
			return true;
	return false;
}

/* Element i of a JSON array of strings, "" when absent or not a string. */
static const char *str_at(const json_t *arr, size_t i)
{
	const char *s = json_string_value(json_array_get(arr, i));

	return s ? s : "";
}

/* A string field of the login body, or NULL when missing or empty. */
static const char *field(const struct sim_vault_req *r, const char *name)
{
	const char *s = json_string_value(json_object_get(r->body, name));

	return s && *s ? s : NULL;
}

/* Issue the token of a successful login and reply with its auth block. */
static void login_reply(struct sim_vault_req *r, const struct sim_vault_role *role,
			const struct sim_vault_auth_mount *a, json_t *meta, const char *display,
			const char *mount_type)
{
	json_t *names = json_array(), *env;
	struct sim_vault_rules rules = { 0 };
	struct berth_buf why = BERTH_BUF_INIT;
	struct sim_vault_token *t;
	char entity[40];

	/* Policies were checked when the role was configured. */
	sim_vault_parse_policies(role->policies, names, &rules, &why);
	berth_buf_release(&why);
	t = sim_vault_token_new(r->v, NULL, names, &rules, role->ttl_s, role->max_ttl_s, false,
				role->renewable);
	sim_vault_rules_release(&rules);
	t->meta = meta;
	free(t->display_name);
	t->display_name = xstrdup(display);
	free(t->path);
	t->path = xasprintf("%slogin", *r->ns ? a->path + strlen(r->ns) + 1 : a->path);
	free(t->entity_id);
	sim_vault_uuid(entity);
	t->entity_id = xstrdup(entity);
	t->orphan = true;
	env = sim_vault_envelope(r, NULL, mount_type);
	json_object_set_new(env, "auth", auth_block(t, t->ttl_s));
	sim_vault_send(r, 200, env);
}

static void kubernetes_login(struct sim_vault_req *r, struct sim_vault_auth_mount *a)
{
	const char *role_name = field(r, "role"), *jwt = field(r, "jwt");
	const struct sim_vault_role *role;
	const struct sim_vault_jwt *sa;
	struct berth_buf b = BERTH_BUF_INIT;
	json_t *names, *meta;
	char *display;

	if (!role_name) {
		sim_vault_error(r, 400, "missing role");
		goto out;
	}
	if (!jwt) {
		sim_vault_error(r, 400, "missing jwt");
		goto out;
	}
	role = sim_vault_map_get(&a->roles, role_name);
	if (!role) {
		berth_buf_addstr(&b, "invalid role name ");
		sim_vault_quote(&b, role_name);
		sim_vault_error(r, 400, b.buf);
		goto out;
	}
	/* An unknown JWT stands for a bad signature or a TokenReview refusal. */
	sa = sim_vault_map_get(&a->jwts, jwt);
	if (!sa) {
		sim_vault_error(r, 403, "permission denied");
		goto out;
	}
	names = role->bound_names;
	if (!(json_array_size(names) == 1 && !strcmp(str_at(names, 0), "*")) &&
	    !glob_listed(names, sa->service_account)) {
		sim_vault_error(r, 403, "service account name not authorized");
		goto out;
	}
	if (!json_array_size(role->bound_namespaces) ||
	    !(!strcmp(str_at(role->bound_namespaces, 0), "*") ||
	      glob_listed(role->bound_namespaces, sa->namespace))) {
		sim_vault_error(r, 403, "namespace not authorized");
		goto out;
	}
	meta = json_pack("{s:s, s:s, s:s, s:s, s:s}", "role", role_name, "service_account_name",
			 sa->service_account, "service_account_namespace", sa->namespace,
			 "service_account_secret_name", "", "service_account_uid", sa->uid);
	display = xasprintf("kubernetes-%s-%s", sa->namespace, sa->service_account);
	login_reply(r, role, a, meta, display, "kubernetes");
	free(display);
out:
	berth_buf_release(&b);
}

static void approle_login(struct sim_vault_req *r, struct sim_vault_auth_mount *a)
{
	const char *role_id = field(r, "role_id"), *secret_id;
	const struct sim_vault_role *role;

	if (!role_id) {
		sim_vault_error(r, 400, "missing role_id");
		return;
	}
	role = sim_vault_map_get(&a->roles, role_id);
	if (!role) {
		sim_vault_error(r, 400, "invalid role or secret ID");
		return;
	}
	if (role->secret_id) {
		secret_id = field(r, "secret_id");
		if (!secret_id) {
			sim_vault_error(r, 400, "missing secret_id");
			return;
		}
		if (strcmp(secret_id, role->secret_id)) {
			sim_vault_error(r, 400, "invalid role or secret ID");
			return;
		}
	}
	login_reply(r, role, a, json_pack("{s:s}", "role_name", role->name), "approle", "approle");
}

void sim_vault_login(struct sim_vault_req *r, struct sim_vault_auth_mount *a)
{
	if (r->op != SIM_VAULT_WRITE) {
		sim_vault_error(r, 405, "unsupported operation");
		return;
	}
	if (a->type == SIM_VAULT_AUTH_KUBERNETES)
		kubernetes_login(r, a);
	else
		approle_login(r, a);
}
