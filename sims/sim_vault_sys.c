/*
 * sim_vault_sys.c - the simulated Vault's system endpoints berth meets:
 * sys/health (codes and their query overrides, vault http/sys_health.go),
 * sys/seal-status, and the KV version preflight
 * sys/internal/ui/mounts/<path> (vault/logical_system.go
 * pathInternalUIMountRead: 403 for unknown mounts, options.version a string).
 */
#include "compat.h"
#include "sim.h"
#include "sim_vault_internal.h"
#include "util.h"
#include "xalloc.h"

#define VAULT_VERSION "1.17.2"

/* ---- sys/health --------------------------------------------------------------- */

/* fetchStatusCode: *code stays as is when absent; returns -1 when not an integer. */
static int status_param(const struct sim_req *req, const char *name, int *code)
{
	const char *s = sim_param(req, name);
	long long v;

	if (!s)
		return 0;
	if (berth_parse_long(s, INT_MIN, INT_MAX, &v))
		return -1;
	*code = (int)v;
	return 0;
}

static int ok_param(const struct sim_req *req, const char *name, bool *ok)
{
	const char *s = sim_param(req, name);

	*ok = false;
	return s ? sim_vault_parse_bool_str(s, ok) : 0;
}

static void plain_error(struct sim_resp *resp, int status)
{
	sim_resp_json(resp, status, json_pack("{s:[]}", "errors"));
	resp->content_type = xstrdup("application/json");
}

void sim_vault_health(struct sim_vault *v, struct sim_req *req, struct sim_resp *resp)
{
	int uninit = 501, sealed = 503, standby = 429, active = 200, dr = 472, perf = 473;
	int ha = 474, removed = 530, code;
	bool standby_ok, perf_ok;
	json_t *body;

	if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
		plain_error(resp, 405);
		return;
	}
	if (ok_param(req, "standbyok", &standby_ok) || ok_param(req, "perfstandbyok", &perf_ok) ||
	    status_param(req, "uninitcode", &uninit) || status_param(req, "sealedcode", &sealed) ||
	    status_param(req, "standbycode", &standby) ||
	    status_param(req, "activecode", &active) || status_param(req, "drsecondarycode", &dr) ||
	    status_param(req, "performancestandbycode", &perf) ||
	    status_param(req, "haunhealthycode", &ha) ||
	    status_param(req, "removedcode", &removed)) {
		plain_error(resp, 400);
		return;
	}
	code = active;
	if (!v->initialized)
		code = uninit;
	else if (v->sealed)
		code = sealed;
	else if (v->perf_standby)
		code = perf_ok ? active : perf;
	else if (v->standby)
		code = standby_ok ? active : standby;

	/* HealthResponse is a Go struct: its fields in declaration order. */
	body = json_pack("{s:b, s:b, s:b, s:b, s:s, s:s, s:I, s:s, s:b}", "initialized",
			 v->initialized, "sealed", v->sealed || !v->initialized, "standby",
			 v->standby || v->perf_standby, "performance_standby", v->perf_standby,
			 "replication_performance_mode", "disabled", "replication_dr_mode",
			 "disabled", "server_time_utc", (json_int_t)time(NULL), "version",
			 VAULT_VERSION, "enterprise", v->namespaces.count > 0);
	if (!v->sealed && v->initialized) {
		json_object_set_new(body, "cluster_name", json_string(v->cluster_name));
		json_object_set_new(body, "cluster_id", json_string(v->cluster_id));
	}
	json_object_set_new(body, "echo_duration_ms", json_integer(0));
	json_object_set_new(body, "clock_skew_ms", json_integer(0));
	json_object_set_new(body, "replication_primary_canary_age_ms", json_integer(0));
	/* json.Encoder: a newline after the object; HEAD gets the headers only. */
	sim_resp_json_nl(resp, code, body);
	resp->content_type = xstrdup("application/json");
	sim_resp_header(resp, "Cache-Control", "no-store");
}

void sim_vault_seal_status(struct sim_vault *v, struct sim_req *req, struct sim_resp *resp)
{
	bool sealed = v->sealed || !v->initialized;
	json_t *body;

	if (strcmp(req->method, "GET")) {
		plain_error(resp, 405);
		return;
	}
	body = json_pack("{s:s, s:b, s:b, s:i, s:i, s:i, s:s, s:s, s:s, s:b, s:b, s:s}", "type",
			 "shamir", "initialized", v->initialized, "sealed", sealed, "t", 1, "n", 1,
			 "progress", 0, "nonce", "", "version", VAULT_VERSION, "build_date",
			 "2024-07-05T15:19:12Z", "migration", 0, "recovery_seal", 0, "storage_type",
			 "inmem");
	if (!sealed) {
		json_object_set_new(body, "cluster_name", json_string(v->cluster_name));
		json_object_set_new(body, "cluster_id", json_string(v->cluster_id));
	}
	sim_resp_json(resp, 200, body);
	resp->content_type = xstrdup("application/json");
	sim_resp_header(resp, "Cache-Control", "no-store");
}

/* ---- sys/internal/ui/mounts -------------------------------------------------------- */

static json_t *kv_mount_info(const struct sim_vault_mount *m)
{
	return json_pack("{s:s, s:{s:i, s:b, s:i}, s:s, s:b, s:b, s:{s:s}, s:s, s:s, s:s, s:s, "
			 "s:b, s:s, s:s}",
			 "accessor", m->accessor, "config", "default_lease_ttl", 0,
			 "force_no_cache", 0, "max_lease_ttl", 0, "description",
			 m->version == SIM_VAULT_KV2 ? "key/value secret storage" : "",
			 "external_entropy_access", 0, "local", 0, "options", "version",
			 m->version == SIM_VAULT_KV2 ? "2" : "1", "path", m->rel, "plugin_version",
			 "", "running_plugin_version", "v0.19.0+builtin", "running_sha256", "",
			 "seal_wrap", 0, "type", "kv", "uuid", m->uuid);
}

static json_t *auth_mount_info(const struct sim_vault_auth_mount *a, const char *rel)
{
	return json_pack("{s:s, s:{s:i, s:b, s:i}, s:s, s:b, s:b, s:o, s:s, s:b, s:s}", "accessor",
			 a->accessor, "config", "default_lease_ttl", 0, "force_no_cache", 0,
			 "max_lease_ttl", 0, "description", "", "external_entropy_access", 0,
			 "local", 0, "options", json_null(), "path", rel, "seal_wrap", 0, "type",
			 a->type == SIM_VAULT_AUTH_KUBERNETES ? "kubernetes" : "approle");
}

/* GET sys/internal/ui/mounts: the mounts this token may see (none without one). */
static void ui_mounts_list(struct sim_vault_req *r)
{
	json_t *secret = json_object(), *auth = json_object();
	const char *id = sim_header(r->http, "X-Vault-Token");

	if (!id || !*id)
		id = sim_bearer(r->http);
	r->token = id && *id ? sim_vault_token_lookup(r->v, id) : NULL;
	for (size_t i = 0; r->token && i < r->v->nmounts; i++) {
		const struct sim_vault_mount *m = r->v->mounts[i];

		if (!strcmp(m->ns, r->ns) && sim_vault_has_access_under(r, m->path))
			json_object_set_new(secret, m->rel, kv_mount_info(m));
	}
	sim_vault_send(r, 200,
		       sim_vault_envelope(r,
					  json_pack("{s:o, s:o}", "auth", auth, "secret", secret),
					  "system"));
}

void sim_vault_ui_mounts(struct sim_vault_req *r, const char *rest)
{
	struct berth_buf path = BERTH_BUF_INIT, msg = BERTH_BUF_INIT;
	const struct sim_vault_mount *m;
	const struct sim_vault_auth_mount *a = NULL;
	char *full;

	if (r->op != SIM_VAULT_READ) {
		sim_vault_error_multi(r, 405, "unsupported operation");
		return;
	}
	if (!*rest) {
		ui_mounts_list(r);
		return;
	}
	rest++;
	if (!*rest) {
		sim_vault_error(r, 400, "path not set");
		return;
	}
	/* sanitizeMountPath: a trailing '/', no leading one */
	berth_buf_addstr(&path, *rest == '/' ? rest + 1 : rest);
	if (!berth_ends_with(path.buf, "/"))
		berth_buf_addch(&path, '/');
	berth_buf_addstr(&msg, "preflight capability check returned 403, please ensure client's "
			       "policies grant access to path ");
	sim_vault_quote(&msg, path.buf);
	full = *r->ns ? xasprintf("%s/%s", r->ns, path.buf) : xstrdup(path.buf);
	m = sim_vault_mount_find(r->v, full);
	if (!m && berth_starts_with(path.buf, "auth/"))
		a = sim_vault_auth_find(r->v, full);
	if (!m && !a) {
		/* 403, not 404, so that mounts cannot be enumerated */
		sim_vault_error(r, 403, msg.buf);
		goto out;
	}
	if (!sim_vault_authenticate(r))
		goto out;
	if (!sim_vault_has_access_under(r, m ? m->path : a->path)) {
		sim_vault_error(r, 403, msg.buf);
		goto out;
	}
	sim_vault_send(r, 200,
		       sim_vault_envelope(
			       r,
			       m ? kv_mount_info(m)
				 : auth_mount_info(a, a->path + (*r->ns ? strlen(r->ns) + 1 : 0)),
			       "system"));
out:
	free(full);
	berth_buf_release(&path);
	berth_buf_release(&msg);
}
