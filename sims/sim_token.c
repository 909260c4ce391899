/*
 * sim_token.c - the simulated Harbor token service, GET /service/token on
 * the Harbor port (src/core/service/token; harbor-api.md §6.2): a registry
 * bearer token (RS256, libtrust "kid", single-string "aud") granting every
 * repository action the caller holds, whatever the client asked for.
 * A real docker-registry configured with auth.token trusts these tokens.
 */
#include "compat.h"
#include "sim_harbor.h"
#include "sim.h"
#include "buf.h"
#include "util.h"
#include "xalloc.h"

/* actionScopeMap: the registry scopes Harbor maps to repository RBAC actions */
static const char *const repo_actions[] = { "pull", "push", "delete", "scanner-pull" };

/* One requested scope "type:name:actions" (GetResourceActions), filtered to what the caller has. */
static json_t *resource_actions(struct sim_harbor *h, const struct sim_harbor_sec *sec, const char *scope,
				bool *failed)
{
	const char *first = strchr(scope, ':'), *last = strrchr(scope, ':');
	char *type, *name;
	json_t *ra, *actions = json_array();

	if (!first) {
		type = xstrdup(scope);
		name = xstrdup("");
	} else if (first == last) {
		type = xstrndup(scope, (size_t)(first - scope));
		name = xstrdup(first + 1);
	} else {
		type = xstrndup(scope, (size_t)(first - scope));
		name = xstrndup(first + 1, (size_t)(last - first - 1));
	}
	if (!strcmp(type, "repository")) {
		/* "project/repo[:tag]": a name without '/' cannot be parsed (Harbor answers 500) */
		const char *slash = strchr(name, '/');
		struct sim_harbor_project *p;
		char *proj;

		if (!slash) {
			*failed = true;
		} else {
			proj = xstrndup(name, (size_t)(slash - name));
			p = sim_harbor__project_by_name(h, proj);
			/* an unknown project gives no actions, and still a 200 */
			for (size_t i = 0; p && i < BERTH_ARRAY_SIZE(repo_actions); i++)
				if (sim_harbor__can_project(h, sec, p->id, "repository", repo_actions[i]))
					json_array_append_new(actions, json_string(repo_actions[i]));
			free(proj);
		}
	} else if (!strcmp(type, "registry")) {
		/* registry:catalog:* keeps its actions for system admins only */
		if (strcmp(name, "catalog")) {
			*failed = true;
		} else if (sec->kind == SIM_HARBOR_USER && sec->user->sysadmin && last != first) {
			char *acts = xstrdup(last + 1), *save = NULL;

			for (char *t = strtok_r(acts, ",", &save); t; t = strtok_r(NULL, ",", &save))
				json_array_append_new(actions, sim_harbor__jstr(t));
			free(acts);
		}
	}
	ra = json_pack("{s:o, s:o, s:o}", "type", sim_harbor__jstr(type), "name", sim_harbor__jstr(name),
		       "actions", actions);
	free(type);
	free(name);
	return ra;
}

void sim_token_serve(struct sim_harbor *h, const struct sim_harbor_sec *sec, struct sim_req *req,
		     struct sim_resp *resp)
{
	struct sim_harbor_qvals qv;
	const struct sim_harbor_qval *sv, *scopes;
	json_t *access = json_null(), *header = NULL, *claims = NULL, *body;
	char jti[17], issued[32], *token = NULL;
	const char *service;
	bool failed = false;
	time_t now;
	struct tm tm;

	sim_harbor__qvals_parse(&qv, req->raw_query);
	if (strcmp(req->method, "GET")) {
		/* beego's default for a method the controller does not implement */
		sim_resp_text(resp, 405, "text/plain; charset=utf-8", "Method Not Allowed\n");
		goto out;
	}
	sv = sim_harbor__qvals_get(&qv, "service");
	service = sv && sv->nvalues ? sv->values[0] : "";
	if (strcmp(service, "harbor-registry")) {
		struct berth_buf msg = BERTH_BUF_INIT;

		berth_buf_addf(&msg, "Unable to handle service: %s", service);
		sim_resp_text(resp, 400, "text/plain; charset=utf-8", msg.buf);
		berth_buf_release(&msg);
		goto out;
	}
	/* every scope= value, each split on spaces */
	scopes = sim_harbor__qvals_get(&qv, "scope");
	/* not authenticated and no scope parameter at all: 401 (docker login with bad credentials) */
	if (sec->kind == SIM_HARBOR_ANON && (!scopes || !scopes->nvalues)) {
		sim_resp_text(resp, 401, "text/plain; charset=utf-8", "");
		goto out;
	}
	for (size_t i = 0; scopes && i < scopes->nvalues; i++) {
		char *s = xstrdup(scopes->values[i]), *save = NULL;

		for (char *t = strtok_r(s, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
			if (json_is_null(access)) {
				json_decref(access);
				access = json_array();
			}
			json_array_append_new(access, resource_actions(h, sec, t, &failed));
		}
		free(s);
	}
	if (failed) {
		sim_resp_text(resp, 500, "text/plain; charset=utf-8", "");
		goto out;
	}

	/* JWT times use the real clock: the registry checks them against its own */
	now = (time_t)(sim_now_ms() / 1000);
	sim_random_alnum(jti, 16);
	header = json_pack("{s:s, s:s, s:s}", "alg", "RS256", "kid", h->world->token_kid, "typ", "JWT");
	claims = json_object();
	json_object_set_new(claims, "iss", json_string("harbor-token-issuer"));
	if (sec->name)
		json_object_set_new(claims, "sub", sim_harbor__jstr(sec->name));
	json_object_set_new(claims, "aud", json_string(service));
	json_object_set_new(claims, "exp", json_integer((json_int_t)now + h->token_expiration * 60));
	json_object_set_new(claims, "nbf", json_integer((json_int_t)now));
	json_object_set_new(claims, "iat", json_integer((json_int_t)now));
	json_object_set_new(claims, "jti", json_string(jti));
	json_object_set(claims, "access", access);
	token = sim_jwt_rs256(h->world, header, claims);
	if (!token) {
		sim_resp_text(resp, 500, "text/plain; charset=utf-8", "");
		goto out;
	}
	gmtime_r(&now, &tm);
	strftime(issued, sizeof(issued), "%Y-%m-%dT%H:%M:%SZ", &tm);
	body = json_pack("{s:s, s:s, s:I, s:s}", "token", token, "access_token", "", "expires_in",
			 (json_int_t)(h->token_expiration * 60), "issued_at", issued);
	/* beego ServeJSON: json.Marshal, no trailing newline */
	sim_resp_json(resp, 200, body);
out:
	free(token);
	json_decref(access);
	json_decref(header);
	json_decref(claims);
	sim_harbor__qvals_release(&qv);
}
