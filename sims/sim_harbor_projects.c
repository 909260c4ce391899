/*
 * sim_harbor_projects.c - the simulated Harbor's projects (list, HEAD,
 * create, get), /systeminfo, /users/current, /permissions and
 * /configurations (robot_name_prefix, token and robot durations);
 * harbor-api.md §7.
 */
#include "compat.h"
#include "sim_harbor.h"
#include "sim.h"
#include "buf.h"
#include "util.h"
#include "xalloc.h"

#include <ctype.h>
#include <strings.h>

/* "0001-01-01T00:00:00.000Z": a zero strfmt.DateTime */
static json_t *zero_time(void)
{
	return json_string("0001-01-01T00:00:00.000Z");
}

struct sim_harbor_project *sim_harbor__project_add(struct sim_harbor *h, const char *name, bool public,
						   int64_t owner_id)
{
	struct sim_harbor_project *p = xcalloc(1, sizeof(*p));
	int64_t id = 0;

	for (size_t i = 0; i < h->nprojects; i++)
		if (h->projects[i]->id > id)
			id = h->projects[i]->id;
	p->id = id + 1;
	p->name = xstrdup(name);
	p->owner_id = owner_id;
	p->metadata = json_pack("{s:s}", "public", public ? "true" : "false");
	p->creation_ms = p->update_ms = sim_now_ms();
	BERTH_ALLOC_GROW(h->projects, h->nprojects + 1, h->aprojects);
	/* kept sorted by name, the list's default order */
	{
		size_t pos = h->nprojects;

		while (pos > 0 && strcmp(h->projects[pos - 1]->name, name) > 0) {
			h->projects[pos] = h->projects[pos - 1];
			pos--;
		}
		h->projects[pos] = p;
	}
	h->nprojects++;
	return p;
}

/* model.Project.ToSwagger for the caller (roles only for local users) */
static json_t *project_json(struct sim_harbor *h, const struct sim_harbor_sec *sec,
			    const struct sim_harbor_project *p, bool detail)
{
	json_t *o = json_object(), *al = json_object();
	struct sim_harbor_user *owner = sim_harbor__user_by_id(h, p->owner_id);
	int role = sec->kind == SIM_HARBOR_USER ? sim_harbor__user_role(sec->user, p->id) : 0;

	json_object_set_new(al, "creation_time", zero_time());
	if (detail) {
		json_object_set_new(al, "items", json_array());
		json_object_set_new(al, "project_id", json_integer(p->id));
	} else {
		json_object_set_new(al, "items", json_null());
	}
	json_object_set_new(al, "update_time", zero_time());
	json_object_set_new(o, "cve_allowlist", al);
	json_object_set_new(o, "creation_time", sim_harbor__time(p->creation_ms));
	if (role)
		json_object_set_new(o, "current_user_role_id", json_integer(role));
	/* a nil slice: null for callers that are not members */
	json_object_set_new(o, "current_user_role_ids", role ? json_pack("[i]", role) : json_null());
	if (detail)
		json_object_set_new(o, "metadata", json_deep_copy(p->metadata));
	json_object_set_new(o, "name", sim_harbor__jstr(p->name));
	json_object_set_new(o, "owner_id", json_integer(p->owner_id));
	if (detail && owner)
		json_object_set_new(o, "owner_name", sim_harbor__jstr(owner->username));
	json_object_set_new(o, "project_id", json_integer(p->id));
	json_object_set_new(o, "repo_count", json_integer(0));
	json_object_set_new(o, "update_time", sim_harbor__time(p->update_ms));
	return o;
}

/* swag.ConvertBool; returns -1 for a value it refuses, else 0/1; def when absent or "". */
static int convert_bool(const char *s, int def)
{
	static const char *const yes[] = { "true", "1", "yes", "ok", "y", "on", "selected", "checked", "t", "enabled" };
	static const char *const no[] = { "false", "0", "no", "n", "off", "f", "disabled" };
	char low[16];
	size_t i;

	if (!s || !*s)
		return def;
	for (i = 0; s[i] && i < sizeof(low) - 1; i++)
		low[i] = (char)tolower((unsigned char)s[i]);
	low[i] = '\0';
	if (s[i])
		return -1;
	for (i = 0; i < BERTH_ARRAY_SIZE(yes); i++)
		if (!strcmp(low, yes[i]))
			return 1;
	for (i = 0; i < BERTH_ARRAY_SIZE(no); i++)
		if (!strcmp(low, no[i]))
			return 0;
	return -1;
}

static const char *last_value(const struct sim_harbor_qvals *v, const char *key)
{
	const struct sim_harbor_qval *q = sim_harbor__qvals_get(v, key);

	return q && q->nvalues ? q->values[q->nvalues - 1] : NULL;
}

static bool robot_names_project(struct sim_harbor *h, const struct sim_harbor_robot *r,
				const struct sim_harbor_project *p, bool *cover_all)
{
	for (size_t i = 0; i < r->nperms; i++) {
		const char *scope = r->perms[i].scope;
		long long id;

		(void)h;
		if (!strcmp(scope, "/project/*")) {
			*cover_all = true;
			return true;
		}
		if (!strncmp(scope, "/project/", 9) && !berth_parse_long(scope + 9, 1, INT64_MAX, &id) &&
		    id == p->id)
			return true;
	}
	return false;
}

/* Which projects the caller sees in GET /projects (handler/project.go ListProjects). */
static bool visible(struct sim_harbor *h, const struct sim_harbor_sec *sec, const struct sim_harbor_project *p,
		    int public_filter)
{
	bool pub = sim_harbor__project_public(p);
	bool cover = false;

	if (public_filter >= 0 && pub != (public_filter == 1)) {
		/* an explicit public= filter applies to everyone, members included */
		if (!(sec->kind == SIM_HARBOR_USER && !sec->user->sysadmin && public_filter == 0 && !pub &&
		      sim_harbor__user_role(sec->user, p->id)))
			return false;
	}
	switch (sec->kind) {
	case SIM_HARBOR_ANON:
		return pub;
	case SIM_HARBOR_USER:
		if (sec->user->sysadmin)
			return true;
		return (pub && public_filter != 0) || sim_harbor__user_role(sec->user, p->id);
	case SIM_HARBOR_ROBOT:
		if (robot_names_project(h, sec->robot, p, &cover))
			return true;
		return pub && public_filter != 0;
	}
	return false;
}

static void project_list(struct sim_harbor *h, const struct sim_harbor_sec *sec, struct sim_req *req,
			 struct sim_resp *resp)
{
	struct sim_harbor_qvals qv;
	struct berth_buf errs = BERTH_BUF_INIT;
	const char *name, *q, *pub_s;
	char *qdec = NULL, *exact = NULL, *fuzzy = NULL;
	int64_t page, size, total = 0, from, to;
	int public_filter, detail;
	json_t *out;

	sim_harbor__qvals_parse(&qv, req->raw_query);
	page = sim_harbor__bind_int64(&qv, "page", 1, &errs);
	size = sim_harbor__bind_int64(&qv, "page_size", 10, &errs);
	pub_s = last_value(&qv, "public");
	public_filter = convert_bool(pub_s, -1);
	if (pub_s && *pub_s && public_filter < 0)
		berth_buf_addf(&errs, "%spublic in query must be of type bool: \"%s\"", errs.len ? "\n" : "", pub_s);
	detail = convert_bool(last_value(&qv, "with_detail"), 1);
	if (detail < 0)
		berth_buf_addf(&errs, "%swith_detail in query must be of type bool: \"%s\"", errs.len ? "\n" : "",
			       last_value(&qv, "with_detail"));
	if (!errs.len && size > 100)
		berth_buf_addstr(&errs, "page_size in query should be less than or equal to 100");
	if (errs.len) {
		sim_harbor__unprocessable(resp, "%s", errs.buf);
		goto out;
	}
	/* q: only name (exact or ~fuzzy) is simulated; other keys are ignored like unknown ones */
	q = last_value(&qv, "q");
	if (q && *q) {
		char *save = NULL;

		qdec = sim_harbor__go_unescape(q, strlen(q));
		if (!qdec)
			qdec = xstrdup(q);
		for (char *t = strtok_r(qdec, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(t, '=');

			if (!eq || eq == t || !eq[1]) {
				sim_harbor__error(resp, 400, "BAD_REQUEST",
						  "the query string must contain \"=\" and the key/value cannot be empty");
				goto out;
			}
			*eq = '\0';
			if (strcmp(t, "name"))
				continue;
			free(exact);
			free(fuzzy);
			exact = fuzzy = NULL;
			if (eq[1] == '~')
				fuzzy = xstrdup(eq + 2);
			else
				exact = xstrdup(eq[1] == '\\' ? eq + 2 : eq + 1);
		}
	}
	name = last_value(&qv, "name");
	if (name && *name) {
		free(exact);
		free(fuzzy);
		exact = NULL;
		fuzzy = xstrdup(name);
	}
	if (sec->kind == SIM_HARBOR_ANON && public_filter == 0) {
		sim_harbor__json(resp, 200, json_array());
		sim_harbor__total_count(h, resp, 0);
		goto out;
	}
	from = size > 0 && page > 0 ? size * (page - 1) : 0;
	to = size > 0 ? from + size : INT64_MAX;
	out = json_array();
	for (size_t i = 0; i < h->nprojects; i++) {
		struct sim_harbor_project *p = h->projects[i];

		if (!visible(h, sec, p, public_filter))
			continue;
		if (exact && strcmp(p->name, exact))
			continue;
		if (fuzzy && !strcasestr(p->name, fuzzy))
			continue;
		if (total >= from && total < to)
			json_array_append_new(out, project_json(h, sec, p, detail));
		total++;
	}
	sim_harbor__json(resp, 200, out);
	sim_harbor__total_count(h, resp, total);
	/* ListProjects returns early, without a Link, when nothing matched */
	if (total)
		sim_harbor__links(h, resp, req, total, page, size);
out:
	free(qdec);
	free(exact);
	free(fuzzy);
	berth_buf_release(&errs);
	sim_harbor__qvals_release(&qv);
}

static void project_head(struct sim_harbor *h, const struct sim_harbor_sec *sec, struct sim_req *req,
			 struct sim_resp *resp)
{
	struct sim_harbor_qvals qv;
	const char *name;

	sim_harbor__qvals_parse(&qv, req->raw_query);
	name = last_value(&qv, "project_name");
	if (!name || !*name)
		sim_harbor__unprocessable(resp, "project_name in query is required");
	else if (sec->kind == SIM_HARBOR_ANON)
		sim_harbor__error(resp, 401, "UNAUTHORIZED", "unauthorized");
	else if (strchr(name, ' '))
		sim_harbor__error(resp, 400, "BAD_REQUEST", "invalid project name: '%s'", name);
	else if (!sim_harbor__project_by_name(h, name))
		sim_harbor__error(resp, 404, "NOT_FOUND", "project %s not found", name);
	else
		sim_resp_empty(resp, 200);
	sim_harbor__qvals_release(&qv);
}

static void project_create(struct sim_harbor *h, const struct sim_harbor_sec *sec, struct sim_req *req,
			   struct sim_resp *resp)
{
	static const char *const md_keys[] = {
		"public", "enable_content_trust", "enable_content_trust_cosign", "prevent_vul", "severity",
		"auto_scan", "auto_sbom_generation", "reuse_sys_cve_allowlist", "retention_id",
		"proxy_speed_kb", "max_upstream_conn", "proxy_cache_local_on_not_found",
		"proxy_referrer_api", "proxy_cache_filter_pattern", "proxy_cache_filter_kind",
	};
	json_t *body = sim_harbor__body(req, resp, "project"), *md_in = NULL, *md = NULL;
	struct berth_buf msg = BERTH_BUF_INIT, path = BERTH_BUF_INIT, loc = BERTH_BUF_INIT;
	const char *name = "", *pub_md = NULL;
	int64_t registry_id = 0, storage = 0;
	bool has_registry = false, has_public = false, public = false, has_storage = false;
	struct sim_harbor_user *owner = NULL;
	struct sim_harbor_project *p;
	int loc_name;

	if (!body)
		goto out;
	if (!json_is_object(body) && !json_is_null(body)) {
		sim_harbor__unprocessable(resp, "parsing project body from \"\" failed, because json: cannot unmarshal %s into Go value of type models.ProjectReq",
					  sim_harbor__json_kind(body));
		goto out;
	}
	md = json_object();
	if (sim_harbor__get_str(body, "project_name", "ProjectReq.project_name", &name, &msg) ||
	    sim_harbor__get_bool(body, "public", "ProjectReq.public", &public, &msg) ||
	    sim_harbor__get_int(body, "storage_limit", "ProjectReq.storage_limit", &storage, &has_storage, &msg) ||
	    sim_harbor__get_int(body, "registry_id", "ProjectReq.registry_id", &registry_id, &has_registry, &msg) ||
	    sim_harbor__get_kind(body, "metadata", "ProjectReq.metadata", JSON_OBJECT, "models.ProjectMetadata",
				 &md_in, &msg))
		goto bad_body;
	has_public = sim_harbor__field(body, "public") && !json_is_null(sim_harbor__field(body, "public"));
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(md_keys); i++) {
		const char *v = NULL;

		berth_buf_reset(&path);
		berth_buf_addf(&path, "ProjectReq.metadata.%s", md_keys[i]);
		if (sim_harbor__get_str(md_in, md_keys[i], path.buf, &v, &msg))
			goto bad_body;
		if (v)
			json_object_set_new(md, md_keys[i], sim_harbor__jstr(v));
	}
	if (strlen(name) > 255) {
		sim_harbor__unprocessable(resp, "project_name in body should be at most 255 chars long");
		goto out;
	}
	loc_name = convert_bool(sim_header(req, "X-Resource-Name-In-Location"), 0);
	if (loc_name < 0) {
		sim_harbor__unprocessable(resp, "X-Resource-Name-In-Location in header must be of type bool: \"%s\"",
					  sim_header(req, "X-Resource-Name-In-Location"));
		goto out;
	}

	if (sec->kind == SIM_HARBOR_ANON) {
		sim_harbor__error(resp, 401, "UNAUTHORIZED", "unauthorized");
		goto out;
	}
	if (sec->kind == SIM_HARBOR_ROBOT && sec->robot->project_id) {
		sim_harbor__error(resp, 403, "FORBIDDEN", "Only system level robot can create project");
		goto out;
	}
	if (!strcmp(h->project_creation_restriction, "adminonly") &&
	    !sim_harbor__can_system(h, sec, "project", "create")) {
		sim_harbor__error(resp, 403, "FORBIDDEN", "Only system admin can create project");
		goto out;
	}
	if (has_registry && !sim_harbor__can_system(h, sec, "project", "create")) {
		sim_harbor__error(resp, 403, "FORBIDDEN", "Only system admin can create proxy cache project");
		goto out;
	}
	pub_md = json_string_value(json_object_get(md, "public"));
	if (has_public && (!pub_md || !*pub_md))
		json_object_set_new(md, "public", json_string(public ? "true" : "false"));
	pub_md = json_string_value(json_object_get(md, "public"));
	if (!pub_md || !*pub_md)
		json_object_set_new(md, "public", json_string("false"));
	pub_md = json_string_value(json_object_get(md, "public"));
	if (strcmp(pub_md, "true") && strcmp(pub_md, "false")) {
		sim_harbor__error(resp, 400, "BAD_REQUEST",
				  "metadata.public should only be 'true' or 'false', but got: '%s'", pub_md);
		goto out;
	}
	if (!has_registry) {
		json_object_del(md, "proxy_speed_kb");
		json_object_del(md, "max_upstream_conn");
		json_object_del(md, "proxy_cache_filter_pattern");
		json_object_del(md, "proxy_cache_filter_kind");
	} else {
		/* berth-sim has no registries (proxy cache endpoints) */
		sim_harbor__error(resp, 400, "BAD_REQUEST", "registry %" PRId64 " not found", registry_id);
		goto out;
	}
	json_object_del(md, "retention_id");
	if (sec->kind == SIM_HARBOR_ROBOT) {
		/* the owner is the lowest-id system admin */
		for (size_t i = 0; i < h->nusers && !owner; i++)
			if (h->users[i]->sysadmin)
				owner = h->users[i];
	} else {
		owner = sec->user;
	}
	if (!*name || strlen(name) > 255) {
		sim_harbor__error(resp, 400, "BAD_REQUEST",
				  "Project name %s is illegal in length. (greater than 255 or less than 1)", name);
		goto out;
	}
	if (!sim_harbor__valid_name(name)) {
		sim_harbor__error(resp, 400, "BAD_REQUEST",
				  "project name is not in lower case or contains illegal characters");
		goto out;
	}
	if (sim_harbor__project_by_name(h, name)) {
		sim_harbor__error(resp, 409, "CONFLICT", "The project named %s already exists", name);
		goto out;
	}
	p = sim_harbor__project_add(h, name, false, owner->id);
	json_decref(p->metadata);
	p->metadata = md;
	md = NULL;
	/* the creator becomes the project's admin member */
	sim_harbor__member_set(owner, p->id, SIM_HARBOR_ROLE_PROJECT_ADMIN);
	berth_buf_addstr(&loc, req->path);
	while (loc.len && loc.buf[loc.len - 1] == '/')
		loc.buf[--loc.len] = '\0';
	if (loc_name == 1)
		berth_buf_addf(&loc, "/%s", name);
	else
		berth_buf_addf(&loc, "/%" PRId64, p->id);
	sim_resp_empty(resp, 201);
	sim_resp_header(resp, "Location", loc.buf);
	goto out;
bad_body:
	sim_harbor__unprocessable(resp, "parsing project body from \"\" failed, because %s", msg.buf);
out:
	(void)has_storage;
	(void)storage;
	json_decref(md);
	json_decref(body);
	berth_buf_release(&msg);
	berth_buf_release(&path);
	berth_buf_release(&loc);
}

static void project_get(struct sim_harbor *h, const struct sim_harbor_sec *sec, struct sim_req *req,
			struct sim_resp *resp, const char *name_or_id)
{
	int is_name = convert_bool(sim_header(req, "X-Is-Resource-Name"), 0);
	struct sim_harbor_project *p = NULL;
	long long id = 0;
	bool by_id;

	if (is_name < 0) {
		sim_harbor__unprocessable(resp, "X-Is-Resource-Name in header must be of type bool: \"%s\"",
					  sim_header(req, "X-Is-Resource-Name"));
		return;
	}
	by_id = !is_name && !berth_parse_long(name_or_id, INT64_MIN, INT64_MAX, &id);
	if (by_id) {
		p = sim_harbor__project_by_id(h, id);
	} else {
		if (strchr(name_or_id, ' ')) {
			sim_harbor__error(resp, 400, "BAD_REQUEST", "invalid project name: '%s'", name_or_id);
			return;
		}
		p = sim_harbor__project_by_name(h, name_or_id);
	}
	/* RequireProjectAccess first: an unknown project is project 0 (admins pass) */
	if (!sim_harbor__can_project(h, sec, p ? p->id : 0, "", "read")) {
		sim_harbor__deny_project(resp, sec);
		return;
	}
	if (!p) {
		if (by_id)
			sim_harbor__error(resp, 404, "NOT_FOUND", "project %lld not found", id);
		else
			sim_harbor__error(resp, 404, "NOT_FOUND", "project %s not found", name_or_id);
		return;
	}
	sim_harbor__json(resp, 200, project_json(h, sec, p, true));
}

void sim_harbor__projects(struct sim_harbor *h, const struct sim_harbor_sec *sec, struct sim_req *req,
			  struct sim_resp *resp, const char *rest)
{
	const char *m = req->method;
	const char *slash;

	if (!*rest) {
		if (!strcmp(m, "GET"))
			project_list(h, sec, req, resp);
		else if (!strcmp(m, "HEAD"))
			project_head(h, sec, req, resp);
		else if (!strcmp(m, "POST"))
			project_create(h, sec, req, resp);
		else
			sim_harbor__error(resp, 405, "METHOD_NOT_ALLOWED",
					  "method %s is not allowed, but [GET,HEAD,POST] are", m);
		return;
	}
	slash = strchr(rest + 1, '/');
	if (!rest[1] || slash) {
		/* includes the legacy /projects/{p}/robots, gone since Harbor 2.13 */
		sim_harbor__error(resp, 404, "NOT_FOUND", "path %s was not found", req->raw_path);
		return;
	}
	if (!strcmp(m, "GET"))
		project_get(h, sec, req, resp, rest + 1);
	else if (!strcmp(m, "PUT") || !strcmp(m, "DELETE"))
		sim_harbor__error(resp, 501, "NOT_IMPLEMENTED", "not simulated");
	else
		sim_harbor__error(resp, 405, "METHOD_NOT_ALLOWED",
				  "method %s is not allowed, but [DELETE,GET,PUT] are", m);
}

/* ---- GET /systeminfo ------------------------------------------------------------ */

void sim_harbor__systeminfo(struct sim_harbor *h, const struct sim_harbor_sec *sec, struct sim_req *req,
			    struct sim_resp *resp)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:b}", "auth_mode", "db_auth", "banner_message", "",
			      "oidc_provider_name", "", "primary_auth_mode", 0, "self_registration", 0);

	(void)req;
	if (sec->kind != SIM_HARBOR_ANON) {
		char *url = sim_api_url(h->api);
		const char *host = strstr(url, "://");

		json_object_set_new(o, "current_time", sim_harbor__time(sim_now_ms()));
		json_object_set_new(o, "external_url", json_string(url));
		json_object_set_new(o, "harbor_version", json_string("v2.13.0-berthsim"));
		json_object_set_new(o, "has_ca_root", json_false());
		json_object_set_new(o, "notification_enable", json_true());
		json_object_set_new(o, "project_creation_restriction", json_string(h->project_creation_restriction));
		json_object_set_new(o, "read_only", json_false());
		json_object_set_new(o, "registry_storage_provider_name", json_string("filesystem"));
		json_object_set_new(o, "registry_url", json_string(host ? host + 3 : url));
		free(url);
	}
	sim_harbor__json(resp, 200, o);
}

/* ---- GET /users/current ------------------------------------------------------------- */

void sim_harbor__current_user(struct sim_harbor *h, const struct sim_harbor_sec *sec, struct sim_req *req,
			      struct sim_resp *resp)
{
	const struct sim_harbor_user *u = sec->user;
	json_t *o;

	(void)h;
	(void)req;
	if (sec->kind == SIM_HARBOR_ANON) {
		sim_harbor__error(resp, 401, "UNAUTHORIZED", "unauthorized");
		return;
	}
	if (sec->kind == SIM_HARBOR_ROBOT) {
		sim_harbor__error(resp, 412, "PRECONDITION",
				  "get current user not available for security context: robot");
		return;
	}
	o = json_object();
	json_object_set_new(o, "admin_role_in_auth", json_false());
	if (*u->comment)
		json_object_set_new(o, "comment", sim_harbor__jstr(u->comment));
	json_object_set_new(o, "creation_time", sim_harbor__time(u->creation_ms));
	if (*u->email)
		json_object_set_new(o, "email", sim_harbor__jstr(u->email));
	if (*u->realname)
		json_object_set_new(o, "realname", sim_harbor__jstr(u->realname));
	json_object_set_new(o, "sysadmin_flag", json_boolean(u->sysadmin));
	json_object_set_new(o, "update_time", sim_harbor__time(u->update_ms));
	json_object_set_new(o, "user_id", json_integer(u->id));
	json_object_set_new(o, "username", sim_harbor__jstr(u->username));
	sim_harbor__json(resp, 200, o);
}

/* ---- GET /permissions ----------------------------------------------------------------- */

void sim_harbor__permissions(struct sim_harbor *h, const struct sim_harbor_sec *sec, struct sim_req *req,
			     struct sim_resp *resp)
{
	bool sysadmin = sec->kind == SIM_HARBOR_USER && sec->user->sysadmin;
	bool project_admin = false;

	(void)h;
	(void)req;
	if (sec->kind == SIM_HARBOR_ANON) {
		/* UnauthorizedError(nil).WithMessage(username): the message is "" */
		sim_harbor__error(resp, 401, "UNAUTHORIZED", "%s", "");
		return;
	}
	if (sec->kind == SIM_HARBOR_USER && !sysadmin)
		for (size_t i = 0; i < sec->user->nmembers; i++)
			if (sec->user->members[i].role == SIM_HARBOR_ROLE_PROJECT_ADMIN)
				project_admin = true;
	if (!sysadmin && !project_admin) {
		sim_harbor__error(resp, 403, "FORBIDDEN",
				  "forbidden: only admins(system and project) can access permissions");
		return;
	}
	sim_harbor__json(resp, 200, json_pack("{s:o, s:o}", "project", sim_harbor__catalogue_json("project"),
					      "system", sysadmin ? sim_harbor__catalogue_json("system") : json_null()));
}

/* ---- /configurations ----------------------------------------------------------------- */

static json_t *item(json_t *value, bool editable)
{
	return json_pack("{s:b, s:o}", "editable", editable, "value", value);
}

void sim_harbor__configurations(struct sim_harbor *h, const struct sim_harbor_sec *sec, struct sim_req *req,
				struct sim_resp *resp)
{
	json_t *body = NULL, *o;
	struct berth_buf msg = BERTH_BUF_INIT;
	const char *prefix = NULL, *restriction = NULL;
	int64_t token_exp = 0, robot_dur = 0;
	bool has_token_exp = false, has_robot_dur = false;

	if (!strcmp(req->method, "PUT")) {
		body = sim_harbor__body(req, resp, "configurations");
		if (!body)
			goto out;
		if (!json_is_object(body) && !json_is_null(body)) {
			sim_harbor__unprocessable(resp, "parsing configurations body from \"\" failed, because json: cannot unmarshal %s into Go value of type models.Configurations",
						  sim_harbor__json_kind(body));
			goto out;
		}
		if (sim_harbor__get_str(body, "robot_name_prefix", "Configurations.robot_name_prefix", &prefix, &msg) ||
		    sim_harbor__get_str(body, "project_creation_restriction",
					"Configurations.project_creation_restriction", &restriction, &msg) ||
		    sim_harbor__get_int(body, "token_expiration", "Configurations.token_expiration", &token_exp,
					&has_token_exp, &msg) ||
		    sim_harbor__get_int(body, "robot_token_duration", "Configurations.robot_token_duration",
					&robot_dur, &has_robot_dur, &msg)) {
			sim_harbor__unprocessable(resp, "parsing configurations body from \"\" failed, because %s",
						  msg.buf);
			goto out;
		}
		if (sec->kind == SIM_HARBOR_ANON || !sim_harbor__can_system(h, sec, "configuration", "update")) {
			sim_harbor__deny_system(resp, sec);
			goto out;
		}
		if (!body || json_is_null(body)) {
			sim_harbor__error(resp, 400, "BAD_REQUEST", "Missing configure item");
			goto out;
		}
		/* ValidateCfg (inferred messages): a NonEmptyString, positive integers, an enum */
		if ((prefix && !*prefix) || (has_token_exp && token_exp <= 0) || (has_robot_dur && robot_dur <= 0) ||
		    (restriction && strcmp(restriction, "everyone") && strcmp(restriction, "adminonly"))) {
			sim_harbor__error(resp, 400, "BAD_REQUEST", "bad request: %s",
					  prefix && !*prefix ? "string value is empty" : "invalid configuration value");
			goto out;
		}
		if (prefix) {
			/* applied at read time: every robot is renamed at once */
			free(h->prefix);
			h->prefix = xstrdup(prefix);
		}
		if (restriction) {
			free(h->project_creation_restriction);
			h->project_creation_restriction = xstrdup(restriction);
		}
		if (has_token_exp)
			h->token_expiration = token_exp;
		if (has_robot_dur)
			h->robot_token_duration = robot_dur;
		sim_resp_empty(resp, 200);
		goto out;
	}
	/* GET needs configuration:read at system scope: robots and non-admins get 403 */
	if (sec->kind == SIM_HARBOR_ANON || !sim_harbor__can_system(h, sec, "configuration", "read")) {
		sim_harbor__deny_system(resp, sec);
		goto out;
	}
	o = json_object();
	json_object_set_new(o, "auth_mode", item(json_string("db_auth"), false));
	json_object_set_new(o, "notification_enable", item(json_true(), true));
	json_object_set_new(o, "primary_auth_mode", item(json_false(), true));
	json_object_set_new(o, "project_creation_restriction",
			    item(json_string(h->project_creation_restriction), true));
	json_object_set_new(o, "read_only", item(json_false(), true));
	json_object_set_new(o, "robot_name_prefix", item(sim_harbor__jstr(h->prefix), true));
	json_object_set_new(o, "robot_token_duration", item(json_integer(h->robot_token_duration), true));
	json_object_set_new(o, "self_registration", item(json_false(), true));
	json_object_set_new(o, "token_expiration", item(json_integer(h->token_expiration), true));
	sim_harbor__json(resp, 200, o);
out:
	berth_buf_release(&msg);
	json_decref(body);
}
