/*
 * sim_harbor_robots.c - the simulated Harbor's /api/v2.0/robots: list with
 * Harbor's q grammar (decoded twice), sort and paging, create, read, update
 * (full replace), refresh or set the secret, delete; harbor-api.md §2-§5.
 *
 * DESIGN
 * A list query is turned into filters once (q values are converted to the
 * column's type up front, the way PostgreSQL would reject them), then the
 * name-sorted robot index is scanned; only non-default sorts copy and sort
 * the matches. Permissions are stored by scope ("/project/<id>") and turned
 * back into namespaces (project names) when a robot is rendered.
 */
#include "compat.h"
#include "sim_harbor.h"
#include "sim.h"
#include "buf.h"
#include "util.h"
#include "xalloc.h"

#include <ctype.h>
#include <strings.h>

/* ---- rendering --------------------------------------------------------------- */

static json_t *perms_json(struct sim_harbor *h, const struct sim_harbor_robot *r)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < r->nperms; i++) {
		const struct sim_harbor_perm *p = &r->perms[i];
		json_t *acc = json_array(), *ns;

		if (!strcmp(p->scope, "/system")) {
			ns = json_string("/");
		} else if (!strcmp(p->scope, "/project/*")) {
			ns = json_string("*");
		} else {
			struct sim_harbor_project *proj;
			long long id;

			/* permissions on deleted projects are dropped (convertScope) */
			if (berth_parse_long(p->scope + 9, 1, INT64_MAX, &id) ||
			    !(proj = sim_harbor__project_by_id(h, id))) {
				json_decref(acc);
				continue;
			}
			ns = sim_harbor__jstr(proj->name);
		}
		for (size_t j = 0; j < p->naccess; j++) {
			const struct sim_harbor_access *a = &p->access[j];
			json_t *o = json_object();

			if (*a->action)
				json_object_set_new(o, "action", sim_harbor__jstr(a->action));
			if (*a->effect)
				json_object_set_new(o, "effect", sim_harbor__jstr(a->effect));
			if (*a->resource)
				json_object_set_new(o, "resource", sim_harbor__jstr(a->resource));
			json_array_append_new(acc, o);
		}
		json_array_append_new(arr, json_pack("{s:o, s:s, s:o}", "access", acc, "kind", p->kind,
						     "namespace", ns));
	}
	return arr;
}

static char *full_name(const struct sim_harbor *h, const struct sim_harbor_robot *r)
{
	return xasprintf("%s%s", h->prefix, r->name);
}

/* models.Robot as go-swagger marshals it (omitempty except the x-omitempty:false fields) */
static json_t *robot_json(struct sim_harbor *h, const struct sim_harbor_robot *r)
{
	json_t *o = json_object();
	char *name = full_name(h, r);

	json_object_set_new(o, "creation_time", sim_harbor__time(r->creation_ms));
	if (r->creator_ref)
		json_object_set_new(o, "creator_ref", json_integer(r->creator_ref));
	if (*r->creator_type)
		json_object_set_new(o, "creator_type", json_string(r->creator_type));
	if (*r->description)
		json_object_set_new(o, "description", sim_harbor__jstr(r->description));
	json_object_set_new(o, "disable", json_boolean(r->disabled));
	json_object_set_new(o, "duration", json_integer(r->duration));
	json_object_set_new(o, "editable", json_true());
	if (r->expires_at)
		json_object_set_new(o, "expires_at", json_integer(r->expires_at));
	json_object_set_new(o, "id", json_integer(r->id));
	json_object_set_new(o, "level", json_string(r->project_id ? "project" : "system"));
	json_object_set_new(o, "name", sim_harbor__jstr(name));
	json_object_set_new(o, "permissions", perms_json(h, r));
	json_object_set_new(o, "update_time", sim_harbor__time(r->update_ms));
	free(name);
	return o;
}

/* ---- robot storage ----------------------------------------------------------- */

static void perms_free(struct sim_harbor_perm *perms, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < perms[i].naccess; j++) {
			free(perms[i].access[j].resource);
			free(perms[i].access[j].action);
			free(perms[i].access[j].effect);
		}
		free(perms[i].access);
		free(perms[i].kind);
		free(perms[i].scope);
	}
	free(perms);
}

void sim_harbor__robot_free(struct sim_harbor_robot *r)
{
	if (!r)
		return;
	free(r->name);
	free(r->description);
	free(r->creator_type);
	perms_free(r->perms, r->nperms);
	explicit_bzero(r->hash, sizeof(r->hash));
	free(r);
}

static int robot_cmp(const struct sim_harbor_robot *a, const struct sim_harbor_robot *b)
{
	int c = strcmp(a->name, b->name);

	if (c)
		return c;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* Position of r (or where it goes) in the name-sorted index. */
static size_t sorted_pos(struct sim_harbor *h, const struct sim_harbor_robot *r)
{
	size_t lo = 0, hi = h->nrobots;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (robot_cmp(h->robots[mid], r) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void robot_insert(struct sim_harbor *h, struct sim_harbor_robot *r)
{
	size_t pos;

	r->id = (int64_t)h->nrobot_ids + 1;
	BERTH_ALLOC_GROW(h->robot_by_id, h->nrobot_ids + 1, h->arobot_ids);
	h->robot_by_id[h->nrobot_ids++] = r;
	pos = sorted_pos(h, r);
	BERTH_ALLOC_GROW(h->robots, h->nrobots + 1, h->arobots);
	memmove(h->robots + pos + 1, h->robots + pos, sizeof(*h->robots) * (h->nrobots - pos));
	h->robots[pos] = r;
	h->nrobots++;
}

static void robot_remove(struct sim_harbor *h, struct sim_harbor_robot *r)
{
	size_t pos = sorted_pos(h, r);

	if (pos < h->nrobots && h->robots[pos] == r) {
		memmove(h->robots + pos, h->robots + pos + 1, sizeof(*h->robots) * (h->nrobots - pos - 1));
		h->nrobots--;
	}
	h->robot_by_id[r->id - 1] = NULL;
	sim_harbor__robot_free(r);
}

static bool valid_secret(const char *s)
{
	size_t n = strlen(s);
	bool lower = false, upper = false, digit = false;

	for (const char *p = s; *p; p++) {
		lower |= *p >= 'a' && *p <= 'z';
		upper |= *p >= 'A' && *p <= 'Z';
		digit |= *p >= '0' && *p <= '9';
	}
	return n >= 8 && n <= 128 && lower && upper && digit;
}

/* A new random secret (32 alphanumerics, retried until it meets the rule) into out[33]. */
static void new_secret(char out[33])
{
	do
		sim_random_alnum(out, 32);
	while (!valid_secret(out));
}

static void set_secret(struct sim_harbor_robot *r, const char *secret)
{
	sim_random_alnum(r->salt, 16);
	sim_harbor__hash(r->salt, secret, r->hash);
}

/* ---- request bodies ---------------------------------------------------------- */

struct access_in {
	bool nil;
	const char *resource, *action, *effect;
};

struct perm_in {
	bool nil;
	const char *kind, *ns;
	struct access_in *access;
	size_t naccess;
};

struct robot_in {
	const char *name, *description, *level, *secret;
	int64_t duration;
	bool has_duration;
	bool disable;
	struct perm_in *perms;
	size_t nperms;
};

static void robot_in_release(struct robot_in *in)
{
	for (size_t i = 0; i < in->nperms; i++)
		free(in->perms[i].access);
	free(in->perms);
}

/*
 * Decode a RobotCreate or Robot body (type = "RobotCreate" / "Robot") as
 * encoding/json would. Returns 0, or -1 with the 422 written.
 */
static int decode_robot(json_t *body, const char *type, struct robot_in *in, struct sim_resp *resp,
			const char *param)
{
	struct berth_buf msg = BERTH_BUF_INIT, path = BERTH_BUF_INIT;
	json_t *perms = NULL, *v;
	int64_t dummy_i;
	bool dummy_b;
	const char *dummy_s;
	size_t i;
	int ret = -1;

	memset(in, 0, sizeof(*in));
	in->name = in->description = in->level = in->secret = "";
	if (!json_is_object(body) && !json_is_null(body)) {
		berth_buf_addf(&msg, "json: cannot unmarshal %s into Go value of type models.%s",
			       sim_harbor__json_kind(body), type);
		goto fail;
	}
#define P(field) (berth_buf_reset(&path), berth_buf_addf(&path, "%s.%s", type, field), path.buf)
	if (sim_harbor__get_str(body, "name", P("name"), &in->name, &msg) ||
	    sim_harbor__get_str(body, "description", P("description"), &in->description, &msg) ||
	    sim_harbor__get_str(body, "level", P("level"), &in->level, &msg) ||
	    sim_harbor__get_str(body, "secret", P("secret"), &in->secret, &msg) ||
	    sim_harbor__get_int(body, "duration", P("duration"), &in->duration, &in->has_duration, &msg) ||
	    sim_harbor__get_bool(body, "disable", P("disable"), &in->disable, &msg) ||
	    sim_harbor__get_kind(body, "permissions", P("permissions"), JSON_ARRAY, "[]*models.RobotPermission",
				 &perms, &msg))
		goto fail;
	if (!strcmp(type, "Robot") &&
	    (sim_harbor__get_int(body, "id", P("id"), &dummy_i, NULL, &msg) ||
	     sim_harbor__get_bool(body, "editable", P("editable"), &dummy_b, &msg) ||
	     sim_harbor__get_int(body, "expires_at", P("expires_at"), &dummy_i, NULL, &msg) ||
	     sim_harbor__get_int(body, "creator_ref", P("creator_ref"), &dummy_i, NULL, &msg) ||
	     sim_harbor__get_str(body, "creator_type", P("creator_type"), &dummy_s, &msg)))
		goto fail;
	if (!strcmp(type, "Robot")) {
		static const char *const times[] = { "creation_time", "update_time" };

		for (size_t t = 0; t < 2; t++) {
			const char *s = NULL;
			time_t tt;

			if (sim_harbor__get_str(body, times[t], P(times[t]), &s, &msg))
				goto fail;
			if (s && berth_parse_time(s, &tt)) {
				berth_buf_addf(&msg, "parsing time \"%s\" as \"2006-01-02T15:04:05Z07:00\": cannot parse",
					       s);
				goto fail;
			}
		}
	}
	in->nperms = json_array_size(perms);
	in->perms = xcalloc(in->nperms + 1, sizeof(*in->perms));
	json_array_foreach(perms, i, v) {
		struct perm_in *p = &in->perms[i];
		json_t *acc = NULL, *a;
		size_t j;

		p->kind = p->ns = "";
		if (json_is_null(v)) {
			p->nil = true;
			continue;
		}
		if (!json_is_object(v)) {
			berth_buf_addf(&msg, "json: cannot unmarshal %s into Go struct field %s.permissions of type models.RobotPermission",
				       sim_harbor__json_kind(v), type);
			goto fail;
		}
		if (sim_harbor__get_str(v, "kind", P("permissions.kind"), &p->kind, &msg) ||
		    sim_harbor__get_str(v, "namespace", P("permissions.namespace"), &p->ns, &msg) ||
		    sim_harbor__get_kind(v, "access", P("permissions.access"), JSON_ARRAY, "[]*models.Access",
					 &acc, &msg))
			goto fail;
		p->naccess = json_array_size(acc);
		p->access = xcalloc(p->naccess + 1, sizeof(*p->access));
		json_array_foreach(acc, j, a) {
			struct access_in *x = &p->access[j];

			x->resource = x->action = x->effect = "";
			if (json_is_null(a)) {
				x->nil = true;
				continue;
			}
			if (!json_is_object(a)) {
				berth_buf_addf(&msg, "json: cannot unmarshal %s into Go struct field %s.permissions.access of type models.Access",
					       sim_harbor__json_kind(a), type);
				goto fail;
			}
			if (sim_harbor__get_str(a, "resource", P("permissions.access.resource"), &x->resource, &msg) ||
			    sim_harbor__get_str(a, "action", P("permissions.access.action"), &x->action, &msg) ||
			    sim_harbor__get_str(a, "effect", P("permissions.access.effect"), &x->effect, &msg))
				goto fail;
		}
	}
#undef P
	ret = 0;
	goto out;
fail:
	sim_harbor__unprocessable(resp, "parsing %s body from \"\" failed, because %s", param, msg.buf);
	robot_in_release(in);
	memset(in, 0, sizeof(*in));
out:
	berth_buf_release(&msg);
	berth_buf_release(&path);
	return ret;
}

/* ---- validation (robot.go validateName / validate) --------------------------- */

static int validate(struct sim_resp *resp, int64_t d, const char *level, const struct robot_in *in)
{
	if (!(d == -1 || (d > 0 && d < 2147483647))) {
		sim_harbor__error(resp, 400, "BAD_REQUEST",
				  "bad request error duration input: %" PRId64
				  ", duration must be either -1(Never) or a positive integer", d);
		return -1;
	}
	if (strcmp(level, "system") && strcmp(level, "project")) {
		sim_harbor__error(resp, 400, "BAD_REQUEST", "bad request error level input: %s", level);
		return -1;
	}
	if (!in->nperms) {
		sim_harbor__error(resp, 400, "BAD_REQUEST", "bad request empty permission");
		return -1;
	}
	for (size_t i = 0; i < in->nperms; i++) {
		if (in->perms[i].nil) {
			sim_harbor__error(resp, 400, "BAD_REQUEST", "bad request empty permission");
			return -1;
		}
		if (!in->perms[i].naccess) {
			sim_harbor__error(resp, 400, "BAD_REQUEST", "bad request empty access");
			return -1;
		}
		for (size_t j = 0; j < in->perms[i].naccess; j++) {
			if (in->perms[i].access[j].nil) {
				sim_harbor__error(resp, 400, "BAD_REQUEST", "bad request empty access");
				return -1;
			}
		}
	}
	if (!strcmp(level, "project") && in->nperms > 1) {
		sim_harbor__error(resp, 400, "BAD_REQUEST", "bad request permission");
		return -1;
	}
	for (size_t i = 0; i < in->nperms; i++) {
		const struct perm_in *p = &in->perms[i];

		if (strcmp(p->kind, "system") && strcmp(p->kind, "project")) {
			sim_harbor__error(resp, 400, "BAD_REQUEST", "bad request permission level: %s", p->kind);
			return -1;
		}
		for (size_t j = 0; j < p->naccess; j++) {
			const struct access_in *a = &p->access[j];

			if (!sim_harbor__catalogue_has(p->kind, a->resource, a->action)) {
				sim_harbor__error(resp, 400, "BAD_REQUEST", "bad request permission: %s:%s",
						  a->resource, a->action);
				return -1;
			}
		}
	}
	return 0;
}

/*
 * project.Get(name) as the robot controller uses it: a space is a 400, an
 * unknown name a 404. Returns the project or NULL with the error written.
 */
static struct sim_harbor_project *project_get(struct sim_harbor *h, const char *name, struct sim_resp *resp)
{
	struct sim_harbor_project *p;

	if (strchr(name, ' ')) {
		sim_harbor__error(resp, 400, "BAD_REQUEST", "invalid project name: '%s'", name);
		return NULL;
	}
	p = sim_harbor__project_by_name(h, name);
	if (!p)
		sim_harbor__error(resp, 404, "NOT_FOUND", "project %s not found", name);
	return p;
}

/* requireAccess: system scope, or the project named (or numbered) by ns. */
static int require_access(struct sim_harbor *h, const struct sim_harbor_sec *sec, bool system,
			  const char *ns_name, int64_t ns_id, const char *action, struct sim_resp *resp)
{
	int64_t pid = ns_id;

	if (system) {
		if (sec->kind != SIM_HARBOR_ANON && sim_harbor__can_system(h, sec, "robot", action))
			return 0;
		sim_harbor__deny_system(resp, sec);
		return -1;
	}
	if (ns_name) {
		struct sim_harbor_project *p;

		if (strchr(ns_name, ' ')) {
			sim_harbor__error(resp, 400, "BAD_REQUEST", "invalid project name: '%s'", ns_name);
			return -1;
		}
		/* an unknown name is project 0: admins pass, the rest get 403 */
		p = sim_harbor__project_by_name(h, ns_name);
		pid = p ? p->id : 0;
	}
	if (sim_harbor__can_project(h, sec, pid, "robot", action))
		return 0;
	sim_harbor__deny_project(resp, sec);
	return -1;
}

/* Permission groups → stored scopes (controller toScope); -1 with the error written. */
static int to_perms(struct sim_harbor *h, const struct robot_in *in, struct sim_harbor_perm **out,
		    struct sim_resp *resp)
{
	struct sim_harbor_perm *perms = xcalloc(in->nperms + 1, sizeof(*perms));

	for (size_t i = 0; i < in->nperms; i++) {
		const struct perm_in *p = &in->perms[i];
		struct sim_harbor_project *proj;

		if (!strcmp(p->kind, "system")) {
			if (strcmp(p->ns, "/")) {
				sim_harbor__error(resp, 400, "BAD_REQUEST", "unknown namespace");
				goto fail;
			}
			perms[i].scope = xstrdup("/system");
		} else if (!strcmp(p->ns, "*")) {
			perms[i].scope = xstrdup("/project/*");
		} else {
			proj = project_get(h, p->ns, resp);
			if (!proj)
				goto fail;
			perms[i].scope = xasprintf("/project/%" PRId64, proj->id);
		}
		perms[i].kind = xstrdup(p->kind);
		perms[i].naccess = p->naccess;
		perms[i].access = xcalloc(p->naccess + 1, sizeof(*perms[i].access));
		for (size_t j = 0; j < p->naccess; j++) {
			perms[i].access[j].resource = xstrdup(p->access[j].resource);
			perms[i].access[j].action = xstrdup(p->access[j].action);
			perms[i].access[j].effect = xstrdup(p->access[j].effect);
		}
	}
	*out = perms;
	return 0;
fail:
	perms_free(perms, in->nperms);
	return -1;
}

/* Robot creates robot: the new permissions must be a subset of the creator's (isValidPermissionScope). */
static bool subset_of_creator(struct sim_harbor *h, const struct robot_in *in,
			      const struct sim_harbor_robot *creator)
{
	json_t *cperms = perms_json(h, creator);
	bool ok = true;

	for (size_t i = 0; i < in->nperms && ok; i++) {
		const struct perm_in *p = &in->perms[i];
		json_t *match = NULL, *cp;
		size_t k;

		json_array_foreach(cperms, k, cp) {
			const char *kind = json_string_value(json_object_get(cp, "kind"));
			const char *ns = json_string_value(json_object_get(cp, "namespace"));

			if (!strcmp(kind, p->kind) && !strcmp(ns, p->ns))
				match = cp;
		}
		if (!match) {
			json_array_foreach(cperms, k, cp) {
				const char *kind = json_string_value(json_object_get(cp, "kind"));
				const char *ns = json_string_value(json_object_get(cp, "namespace"));

				if (!strcmp(kind, p->kind) && !strcmp(ns, "*"))
					match = cp;
			}
		}
		if (!match) {
			ok = false;
			break;
		}
		for (size_t j = 0; j < p->naccess && ok; j++) {
			const struct access_in *a = &p->access[j];
			json_t *ca;
			size_t m;
			bool found = false;

			json_array_foreach(json_object_get(match, "access"), m, ca) {
				const char *r = json_string_value(json_object_get(ca, "resource"));
				const char *ac = json_string_value(json_object_get(ca, "action"));
				const char *e = json_string_value(json_object_get(ca, "effect"));

				if (!strcmp(r ? r : "", a->resource) && !strcmp(ac ? ac : "", a->action) &&
				    !strcmp(e ? e : "", a->effect))
					found = true;
			}
			ok = found;
		}
	}
	json_decref(cperms);
	return ok;
}

/* ---- POST /robots ------------------------------------------------------------ */

static void robot_create(struct sim_harbor *h, const struct sim_harbor_sec *sec, struct sim_req *req,
			 struct sim_resp *resp)
{
	json_t *body = sim_harbor__body(req, resp, "robot");
	struct robot_in in = { 0 };
	struct sim_harbor_perm *perms = NULL;
	struct sim_harbor_project *proj = NULL;
	struct sim_harbor_robot *r;
	struct berth_buf loc = BERTH_BUF_INIT;
	char *dbname = NULL, *name = NULL, secret[33];
	int64_t pid = 0, now_ms;
	json_t *created;

	if (!body || decode_robot(body, "RobotCreate", &in, resp, "robot"))
		goto out;
	/* the checks run in this order: name, body, access, creator, project, insert */
	if (!sim_harbor__valid_name(in.name)) {
		sim_harbor__error(resp, 400, "BAD_REQUEST",
				  "robot name is not in lower case or contains illegal characters");
		goto out;
	}
	if (validate(resp, in.duration, in.level, &in))
		goto out;
	if (require_access(h, sec, !strcmp(in.level, "system"), in.perms[0].ns, 0, "create", resp))
		goto out;
	if (sec->kind == SIM_HARBOR_ROBOT && !subset_of_creator(h, &in, sec->robot)) {
		sim_harbor__error(resp, 403, "DENIED",
				  "permission scope is invalid. It must be equal to or more restrictive than the creator robot's permissions: %s",
				  sec->name);
		goto out;
	}
	if (!strcmp(in.level, "project")) {
		proj = project_get(h, in.perms[0].ns, resp);
		if (!proj)
			goto out;
		pid = proj->id;
	}
	dbname = proj ? xasprintf("%s+%s", proj->name, in.name) : xstrdup(in.name);
	/* unique key (name, project_id) */
	{
		struct sim_harbor_robot key = { .name = dbname, .id = 0 };
		size_t lo = 0, hi = h->nrobots;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (robot_cmp(h->robots[mid], &key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < h->nrobots && !strcmp(h->robots[lo]->name, dbname); lo++) {
			if (h->robots[lo]->project_id == pid) {
				sim_harbor__error(resp, 409, "CONFLICT", "robot account %" PRId64 ":%s already exists",
						  pid, dbname);
				goto out;
			}
		}
	}
	/* varchar(255) name, varchar(1024) description: PostgreSQL refuses, Harbor answers 500 */
	if (strlen(dbname) > 255 || strlen(in.description) > 1024) {
		sim_harbor__error(resp, 500, "UNKNOWN", "value too long");
		goto out;
	}
	if (to_perms(h, &in, &perms, resp))
		goto out;

	now_ms = sim_harbor__now_ms(h);
	r = xcalloc(1, sizeof(*r));
	r->name = dbname;
	dbname = NULL;
	r->description = xstrdup(in.description);
	r->project_id = pid;
	r->duration = in.duration;
	r->expires_at = in.duration == -1 ? -1 : now_ms / 1000 + in.duration * 86400;
	r->disabled = false; /* "disable" in the body is ignored on create */
	r->creator_type = xstrdup(sec->kind == SIM_HARBOR_ROBOT ? "robot" : "local");
	r->creator_ref = sec->kind == SIM_HARBOR_ROBOT ? sec->robot->id : sec->user->id;
	r->creation_ms = r->update_ms = now_ms;
	r->perms = perms;
	r->nperms = in.nperms;
	perms = NULL;
	/* "secret" in the body is ignored too: Harbor always generates one */
	new_secret(secret);
	set_secret(r, secret);
	robot_insert(h, r);

	name = full_name(h, r);
	created = json_object();
	json_object_set_new(created, "creation_time", sim_harbor__time(r->creation_ms));
	json_object_set_new(created, "expires_at", json_integer(r->expires_at));
	json_object_set_new(created, "id", json_integer(r->id));
	json_object_set_new(created, "name", sim_harbor__jstr(name));
	json_object_set_new(created, "secret", json_string(secret));
	explicit_bzero(secret, sizeof(secret));
	sim_harbor__json(resp, 201, created);
	berth_buf_addstr(&loc, req->path);
	while (loc.len && loc.buf[loc.len - 1] == '/')
		loc.buf[--loc.len] = '\0';
	berth_buf_addf(&loc, "/%" PRId64, r->id);
	sim_resp_header(resp, "Location", loc.buf);
out:
	if (perms)
		perms_free(perms, in.nperms);
	robot_in_release(&in);
	json_decref(body);
	berth_buf_release(&loc);
	free(dbname);
	free(name);
}

/* ---- the q grammar (lib/q/builder.go) ------------------------------------------ */

enum qv_type { QV_STR, QV_INT, QV_TIME, QV_BOOL };

struct qv {
	enum qv_type type;
	char *s;                 /* QV_STR */
	int64_t i;               /* QV_INT, QV_BOOL; QV_TIME: Unix seconds */
};

enum kw_kind { KW_EXACT, KW_FUZZY, KW_RANGE, KW_OR, KW_AND };

struct kw {
	char *key;
	enum kw_kind kind;
	struct qv *vals;         /* range: [0] min, [1] max */
	size_t nvals;
	bool has_min, has_max;
};

struct kws {
	struct kw *items;
	size_t n;
};

static void kw_release(struct kw *k)
{
	for (size_t i = 0; i < k->nvals; i++)
		free(k->vals[i].s);
	free(k->vals);
	free(k->key);
	memset(k, 0, sizeof(*k));
}

static void kws_release(struct kws *k)
{
	for (size_t i = 0; i < k->n; i++)
		kw_release(&k->items[i]);
	free(k->items);
	k->items = NULL;
	k->n = 0;
}

/* keywords[key] = value: a later key replaces an earlier one (a Go map) */
static void kws_set(struct kws *k, struct kw *v)
{
	for (size_t i = 0; i < k->n; i++) {
		if (!strcmp(k->items[i].key, v->key)) {
			kw_release(&k->items[i]);
			k->items[i] = *v;
			return;
		}
	}
	k->items = xrealloc(k->items, sizeof(*k->items) * (k->n + 1));
	k->items[k->n++] = *v;
}

static const struct kw *kws_get(const struct kws *k, const char *key)
{
	for (size_t i = 0; i < k->n; i++)
		if (!strcmp(k->items[i].key, key))
			return &k->items[i];
	return NULL;
}

static char *trim_space(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* time.Parse("2006-01-02T15:04:05", s) */
static bool parse_go_time(const char *s, int64_t *out)
{
	struct tm tm = { 0 };

	if (strlen(s) != 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || !all_digits(s, 4) || !all_digits(s + 5, 2) || !all_digits(s + 8, 2) ||
	    !all_digits(s + 11, 2) || !all_digits(s + 14, 2) || !all_digits(s + 17, 2))
		return false;
	tm.tm_year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0') - 1900;
	tm.tm_mon = (s[5] - '0') * 10 + (s[6] - '0') - 1;
	tm.tm_mday = (s[8] - '0') * 10 + (s[9] - '0');
	tm.tm_hour = (s[11] - '0') * 10 + (s[12] - '0');
	tm.tm_min = (s[14] - '0') * 10 + (s[15] - '0');
	tm.tm_sec = (s[17] - '0') * 10 + (s[18] - '0');
	if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 59)
		return false;
	*out = (int64_t)timegm(&tm);
	return true;
}

/* strconv.ParseInt(s, 10, 64) */
static bool parse_go_int(const char *s, int64_t *out)
{
	long long v;
	const char *p = s;

	if (*p == '+')
		p++;
	if (!*p || (*p == '-' && !p[1]))
		return false;
	if (berth_parse_long(p, INT64_MIN, INT64_MAX, &v))
		return false;
	*out = v;
	return true;
}

/* parseValue: a time, else an integer, else a string with quotes trimmed */
static struct qv parse_value(const char *raw, size_t n)
{
	char *s = trim_space(raw, n);
	struct qv v = { .type = QV_STR };
	const char *b = s, *e;

	if (parse_go_time(s, &v.i)) {
		v.type = QV_TIME;
	} else if (parse_go_int(s, &v.i)) {
		v.type = QV_INT;
	} else {
		e = s + strlen(s);
		while (b < e && (*b == '"' || *b == '\''))
			b++;
		while (e > b && (e[-1] == '"' || e[-1] == '\''))
			e--;
		v.s = xstrndup(b, (size_t)(e - b));
	}
	free(s);
	return v;
}

static void kw_add_val(struct kw *k, struct qv v)
{
	k->vals = xrealloc(k->vals, sizeof(*k->vals) * (k->nvals + 1));
	k->vals[k->nvals++] = v;
}

static int parse_pattern(const char *value, struct kw *k)
{
	size_t n = strlen(value);

	switch (value[0]) {
	case '~':
		if (n < 2)
			return -1;
		k->kind = KW_FUZZY;
		kw_add_val(k, (struct qv){ .type = QV_STR, .s = xstrdup(value + 1) });
		return 0;
	case '[': {
		const char *tilde = strchr(value, '~');
		struct qv none = { .type = QV_STR, .s = NULL };
		char *lo, *hi;

		if (value[n - 1] != ']' || !tilde || strchr(tilde + 1, '~'))
			return -1;
		lo = trim_space(value + 1, (size_t)(tilde - value - 1));
		hi = trim_space(tilde + 1, (size_t)(value + n - 1 - tilde - 1));
		if (!*lo && !*hi) {
			free(lo);
			free(hi);
			return -1;
		}
		k->kind = KW_RANGE;
		k->has_min = *lo;
		k->has_max = *hi;
		kw_add_val(k, *lo ? parse_value(lo, strlen(lo)) : none);
		kw_add_val(k, *hi ? parse_value(hi, strlen(hi)) : none);
		free(lo);
		free(hi);
		return 0;
	}
	case '{':
	case '(': {
		const char *p, *end = value + n - 1;

		if (*end != (value[0] == '{' ? '}' : ')'))
			return -1;
		k->kind = value[0] == '{' ? KW_OR : KW_AND;
		for (p = value + 1; p <= end;) {
			const char *sp = memchr(p, ' ', (size_t)(end - p));
			size_t len = sp ? (size_t)(sp - p) : (size_t)(end - p);
			struct qv v = parse_value(p, len);

			if (v.type == QV_STR && !*v.s)
				free(v.s);
			else
				kw_add_val(k, v);
			if (!sp)
				break;
			p = sp + 1;
		}
		return 0;
	}
	default:
		k->kind = KW_EXACT;
		kw_add_val(k, (struct qv){ .type = QV_STR, .s = xstrdup(value[0] == '\\' ? value + 1 : value) });
		return 0;
	}
}

/* parseKeywords: decode q a second time, split on every ',', then on the first '='. */
static int parse_keywords(const char *q, struct kws *out, struct sim_resp *resp)
{
	char *dec, *p, *save;
	int ret = 0;

	if (!q || !*q)
		return 0;
	dec = sim_harbor__go_unescape(q, strlen(q));
	if (!dec)
		dec = xstrdup(q);
	for (p = dec;; p = save + 1) {
		struct kw k = { 0 };
		char *eq;

		save = strchr(p, ',');
		if (save)
			*save = '\0';
		eq = strchr(p, '=');
		if (!eq || eq == p || !eq[1]) {
			sim_harbor__error(resp, 400, "BAD_REQUEST",
					  "the query string must contain \"=\" and the key/value cannot be empty");
			ret = -1;
			break;
		}
		*eq = '\0';
		k.key = xstrdup(p);
		if (parse_pattern(eq + 1, &k)) {
			sim_harbor__error(resp, 400, "BAD_REQUEST", "invalid query string value: %s", eq + 1);
			kw_release(&k);
			ret = -1;
			break;
		}
		kws_set(out, &k);
		if (!save)
			break;
	}
	free(dec);
	if (ret)
		kws_release(out);
	return ret;
}

/* ---- filters and sorts on the robot table (lib/orm/query.go) ----------------------- */

enum col_type { CT_INT, CT_TEXT, CT_BOOL, CT_TIME };

enum col {
	COL_ID, COL_NAME, COL_DESCRIPTION, COL_SECRET, COL_SALT, COL_DURATION, COL_PROJECT_ID,
	COL_EXPIRESAT, COL_DISABLED, COL_VISIBLE, COL_CREATOR_REF, COL_CREATOR_TYPE,
	COL_CREATION_TIME, COL_UPDATE_TIME,
};

/* model.Robot: Go field name, column, type, filterable (secret and salt are filter:"false") */
static const struct {
	const char *field, *column;
	enum col_type type;
	bool filterable;
} robot_cols[] = {
	[COL_ID] = { "ID", "id", CT_INT, true },
	[COL_NAME] = { "Name", "name", CT_TEXT, true },
	[COL_DESCRIPTION] = { "Description", "description", CT_TEXT, true },
	[COL_SECRET] = { "Secret", "secret", CT_TEXT, false },
	[COL_SALT] = { "Salt", "salt", CT_TEXT, false },
	[COL_DURATION] = { "Duration", "duration", CT_INT, true },
	[COL_PROJECT_ID] = { "ProjectID", "project_id", CT_INT, true },
	[COL_EXPIRESAT] = { "ExpiresAt", "expiresat", CT_INT, true },
	[COL_DISABLED] = { "Disabled", "disabled", CT_BOOL, true },
	[COL_VISIBLE] = { "Visible", "visible", CT_BOOL, true },
	[COL_CREATOR_REF] = { "CreatorRef", "creator_ref", CT_INT, true },
	[COL_CREATOR_TYPE] = { "CreatorType", "creator_type", CT_TEXT, true },
	[COL_CREATION_TIME] = { "CreationTime", "creation_time", CT_TIME, true },
	[COL_UPDATE_TIME] = { "UpdateTime", "update_time", CT_TIME, true },
};

static int col_lookup(const char *key)
{
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(robot_cols); i++)
		if (!strcmp(robot_cols[i].field, key) || !strcmp(robot_cols[i].column, key))
			return (int)i;
	return -1;
}

/* orm's snakeCase ("ProjectID" -> "project_id", "ExpiresAt" -> "expires_at") */
static char *snake_case(const char *s)
{
	struct berth_buf b = BERTH_BUF_INIT;
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++) {
		if (i > 0 && isupper((unsigned char)s[i]) &&
		    ((i + 1 < n && islower((unsigned char)s[i + 1])) || islower((unsigned char)s[i - 1])))
			berth_buf_addch(&b, '_');
		berth_buf_addch(&b, (char)tolower((unsigned char)s[i]));
	}
	return berth_buf_detach(&b, NULL);
}

enum op { OP_EQ, OP_ICONTAINS_LITERAL, OP_LIKE, OP_GTE, OP_LTE, OP_GT, OP_LT, OP_IN };

/* A value converted to its column's type, as PostgreSQL would (text → int, bool, timestamp). */
struct cval {
	int64_t i;               /* int, bool, time (ms) */
	char *s;                 /* text */
};

struct filter {
	int col;
	enum op op;
	struct cval *vals;
	size_t nvals;
};

struct filters {
	struct filter *items;
	size_t n;
};

static void filters_release(struct filters *f)
{
	for (size_t i = 0; i < f->n; i++) {
		for (size_t j = 0; j < f->items[i].nvals; j++)
			free(f->items[i].vals[j].s);
		free(f->items[i].vals);
	}
	free(f->items);
	f->items = NULL;
	f->n = 0;
}

/* lib/pq sends every parameter as text */
static char *qv_text(const struct qv *v)
{
	char t[40];
	time_t tt;
	struct tm tm;

	switch (v->type) {
	case QV_STR:
		return xstrdup(v->s);
	case QV_INT:
		return xasprintf("%" PRId64, v->i);
	case QV_BOOL:
		return xstrdup(v->i ? "true" : "false");
	case QV_TIME:
		tt = (time_t)v->i;
		gmtime_r(&tt, &tm);
		strftime(t, sizeof(t), "%Y-%m-%d %H:%M:%SZ", &tm);
		return xstrdup(t);
	}
	return xstrdup("");
}

static bool pg_int(const char *s, int64_t *out)
{
	char *t = trim_space(s, strlen(s));
	bool ok = parse_go_int(t, out);

	free(t);
	return ok;
}

static bool pg_bool(const char *s, int64_t *out)
{
	static const struct { const char *word; size_t min; int v; } words[] = {
		{ "true", 1, 1 }, { "false", 1, 0 }, { "yes", 1, 1 }, { "no", 1, 0 },
		{ "on", 2, 1 }, { "off", 2, 0 }, { "1", 1, 1 }, { "0", 1, 0 },
	};
	char *t = trim_space(s, strlen(s));
	size_t n = strlen(t);
	bool ok = false;

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(words) && !ok; i++) {
		if (n >= words[i].min && n <= strlen(words[i].word) && !strncasecmp(t, words[i].word, n)) {
			*out = words[i].v;
			ok = true;
		}
	}
	free(t);
	return ok;
}

static bool pg_timestamp(const char *s, int64_t *out_ms)
{
	struct tm tm = { 0 };
	char *t = trim_space(s, strlen(s));
	const char *p;
	int64_t ms = 0;
	bool ok = false;

	p = strptime(t, "%Y-%m-%d", &tm);
	if (p && (*p == ' ' || *p == 'T'))
		p = strptime(p + 1, "%H:%M:%S", &tm);
	if (p && *p == '.') {
		int digits = 0;

		for (p++; isdigit((unsigned char)*p); p++, digits++)
			if (digits < 3)
				ms = ms * 10 + (*p - '0');
		for (; digits < 3; digits++)
			ms *= 10;
	}
	if (p && (*p == 'Z' || *p == 'z'))
		p++;
	if (p && !*p) {
		*out_ms = (int64_t)timegm(&tm) * 1000 + ms;
		ok = true;
	}
	free(t);
	return ok;
}

/* Convert one q value for a column; false when PostgreSQL would refuse it. */
static bool to_cval(const struct qv *v, enum col_type t, struct cval *out)
{
	char *text = qv_text(v);
	bool ok = true;

	out->s = NULL;
	out->i = 0;
	switch (t) {
	case CT_TEXT:
		out->s = text;
		return true;
	case CT_INT:
		ok = pg_int(text, &out->i);
		break;
	case CT_BOOL:
		ok = pg_bool(text, &out->i);
		break;
	case CT_TIME:
		ok = pg_timestamp(text, &out->i);
		break;
	}
	free(text);
	return ok;
}

static void filter_add(struct filters *f, int col, enum op op)
{
	f->items = xrealloc(f->items, sizeof(*f->items) * (f->n + 1));
	f->items[f->n].col = col;
	f->items[f->n].op = op;
	f->items[f->n].vals = NULL;
	f->items[f->n].nvals = 0;
	f->n++;
}

static bool filter_val(struct filters *f, const struct qv *v)
{
	struct filter *x = &f->items[f->n - 1];
	struct cval c;

	if (!to_cval(v, robot_cols[x->col].type, &c))
		return false;
	x->vals = xrealloc(x->vals, sizeof(*x->vals) * (x->nvals + 1));
	x->vals[x->nvals++] = c;
	return true;
}

/*
 * setFilters: keys naming no filterable column (and unknown "__op"
 * suffixes) are silently skipped; AND lists are ignored. Returns 0, or -1
 * when the database would fail the query (Harbor answers 500).
 */
static int build_filters(const struct kws *k, struct filters *f)
{
	static const struct { const char *name; enum op op; } ops[] = {
		{ "icontains", OP_LIKE }, { "in", OP_IN }, { "gte", OP_GTE }, { "lte", OP_LTE },
		{ "gt", OP_GT }, { "lt", OP_LT }, { "exact", OP_EQ },
	};

	for (size_t i = 0; i < k->n; i++) {
		const struct kw *w = &k->items[i];
		const char *sep = strstr(w->key, "__");
		char *field = sep ? xstrndup(w->key, (size_t)(sep - w->key)) : xstrdup(w->key);
		int col = col_lookup(field);
		enum op op = OP_EQ;
		bool has_op = false;

		if (col < 0 || !robot_cols[col].filterable) {
			char *snake = snake_case(field);

			col = col_lookup(snake);
			free(snake);
		}
		free(field);
		if (col < 0 || !robot_cols[col].filterable)
			continue;
		if (sep) {
			const char *name = sep + 2;
			bool known = false;

			if (strstr(name, "__"))
				continue; /* more than one separator: skipped with a warning */
			for (size_t j = 0; j < BERTH_ARRAY_SIZE(ops); j++) {
				if (!strcmp(ops[j].name, name)) {
					op = ops[j].op;
					known = true;
				}
			}
			if (!known)
				continue;
			has_op = true;
		}
		/* beego cannot stack a second operator on "key__op" (inferred: the query fails) */
		if (has_op && w->kind != KW_EXACT && w->kind != KW_AND)
			return -1;
		switch (w->kind) {
		case KW_FUZZY:
			filter_add(f, col, OP_ICONTAINS_LITERAL);
			f->items[f->n - 1].vals = xcalloc(1, sizeof(struct cval));
			f->items[f->n - 1].vals[0].s = xstrdup(w->vals[0].s);
			f->items[f->n - 1].nvals = 1;
			break;
		case KW_RANGE:
			if (w->has_min) {
				filter_add(f, col, OP_GTE);
				if (!filter_val(f, &w->vals[0]))
					return -1;
			}
			if (w->has_max) {
				filter_add(f, col, OP_LTE);
				if (!filter_val(f, &w->vals[1]))
					return -1;
			}
			break;
		case KW_OR:
			filter_add(f, col, OP_IN);
			for (size_t j = 0; j < w->nvals; j++)
				if (!filter_val(f, &w->vals[j]))
					return -1;
			break;
		case KW_AND:
			break;
		case KW_EXACT:
			filter_add(f, col, op);
			if (op == OP_LIKE) {
				/* "key__icontains=v": v is a LIKE pattern, not escaped */
				f->items[f->n - 1].vals = xcalloc(1, sizeof(struct cval));
				f->items[f->n - 1].vals[0].s = xstrdup(w->vals[0].s ? w->vals[0].s : "");
				f->items[f->n - 1].nvals = 1;
			} else if (!filter_val(f, &w->vals[0])) {
				return -1;
			}
			break;
		}
	}
	return 0;
}

/* The column as PostgreSQL would print it with ::text */
static char *col_text(const struct sim_harbor_robot *r, int col)
{
	char t[40];
	time_t tt;
	struct tm tm;
	int64_t ms;

	switch (col) {
	case COL_ID: return xasprintf("%" PRId64, r->id);
	case COL_NAME: return xstrdup(r->name);
	case COL_DESCRIPTION: return xstrdup(r->description);
	case COL_SECRET: return xstrdup(r->hash);
	case COL_SALT: return xstrdup(r->salt);
	case COL_DURATION: return xasprintf("%" PRId64, r->duration);
	case COL_PROJECT_ID: return xasprintf("%" PRId64, r->project_id);
	case COL_EXPIRESAT: return xasprintf("%" PRId64, r->expires_at);
	case COL_DISABLED: return xstrdup(r->disabled ? "true" : "false");
	case COL_VISIBLE: return xstrdup("true");
	case COL_CREATOR_REF: return xasprintf("%" PRId64, r->creator_ref);
	case COL_CREATOR_TYPE: return xstrdup(r->creator_type);
	case COL_CREATION_TIME:
	case COL_UPDATE_TIME:
		ms = col == COL_CREATION_TIME ? r->creation_ms : r->update_ms;
		tt = (time_t)(ms / 1000);
		gmtime_r(&tt, &tm);
		strftime(t, sizeof(t), "%Y-%m-%d %H:%M:%S", &tm);
		if (ms % 1000) {
			char frac[8];

			snprintf(frac, sizeof(frac), ".%03d", (int)(ms % 1000));
			while (frac[strlen(frac) - 1] == '0')
				frac[strlen(frac) - 1] = '\0';
			return xasprintf("%s%s", t, frac);
		}
		return xstrdup(t);
	}
	return xstrdup("");
}

static int64_t col_int(const struct sim_harbor_robot *r, int col)
{
	switch (col) {
	case COL_ID: return r->id;
	case COL_DURATION: return r->duration;
	case COL_PROJECT_ID: return r->project_id;
	case COL_EXPIRESAT: return r->expires_at;
	case COL_DISABLED: return r->disabled;
	case COL_VISIBLE: return 1;
	case COL_CREATOR_REF: return r->creator_ref;
	case COL_CREATION_TIME: return r->creation_ms;
	case COL_UPDATE_TIME: return r->update_ms;
	}
	return 0;
}

/* Case-insensitive SQL LIKE ('%' any run, '_' one character). */
static bool like(const char *s, const char *p)
{
	for (; *p; p++, s++) {
		if (*p == '%') {
			for (const char *t = s;; t++) {
				if (like(t, p + 1))
					return true;
				if (!*t)
					return false;
			}
		}
		if (!*s)
			return false;
		if (*p != '_' && toupper((unsigned char)*p) != toupper((unsigned char)*s))
			return false;
	}
	return !*s;
}

static int col_cmp(const struct sim_harbor_robot *r, int col, const struct cval *v)
{
	if (robot_cols[col].type == CT_TEXT) {
		char *t = col_text(r, col);
		int c = strcmp(t, v->s);

		free(t);
		return c;
	} else {
		int64_t a = col_int(r, col);

		return a < v->i ? -1 : a > v->i;
	}
}

static bool robot_matches(const struct sim_harbor_robot *r, const struct filters *f)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct filter *x = &f->items[i];
		bool ok = false;
		char *t;

		switch (x->op) {
		case OP_ICONTAINS_LITERAL:
			t = col_text(r, x->col);
			ok = strcasestr(t, x->vals[0].s) != NULL;
			free(t);
			break;
		case OP_LIKE: {
			struct berth_buf pat = BERTH_BUF_INIT;

			berth_buf_addf(&pat, "%%%s%%", x->vals[0].s);
			t = col_text(r, x->col);
			ok = like(t, pat.buf);
			free(t);
			berth_buf_release(&pat);
			break;
		}
		case OP_EQ: ok = !col_cmp(r, x->col, &x->vals[0]); break;
		case OP_GTE: ok = col_cmp(r, x->col, &x->vals[0]) >= 0; break;
		case OP_LTE: ok = col_cmp(r, x->col, &x->vals[0]) <= 0; break;
		case OP_GT: ok = col_cmp(r, x->col, &x->vals[0]) > 0; break;
		case OP_LT: ok = col_cmp(r, x->col, &x->vals[0]) < 0; break;
		case OP_IN:
			for (size_t j = 0; j < x->nvals && !ok; j++)
				ok = !col_cmp(r, x->col, &x->vals[j]);
			break;
		}
		if (!ok)
			return false;
	}
	return true;
}

struct sort_key {
	int col;
	bool desc;
};

struct sort_keys {
	const struct sort_key *keys;
	size_t n;
};

static int sort_cmp(const void *a, const void *b, void *arg)
{
	const struct sim_harbor_robot *x = *(struct sim_harbor_robot *const *)a;
	const struct sim_harbor_robot *y = *(struct sim_harbor_robot *const *)b;
	const struct sort_keys *sk = arg;
	const struct sort_key *cur_sorts = sk->keys;
	size_t cur_nsorts = sk->n;

	for (size_t i = 0; i < cur_nsorts; i++) {
		int c;

		if (robot_cols[cur_sorts[i].col].type == CT_TEXT) {
			char *s = col_text(x, cur_sorts[i].col), *t = col_text(y, cur_sorts[i].col);

			c = strcmp(s, t);
			free(s);
			free(t);
		} else {
			int64_t p = col_int(x, cur_sorts[i].col), q = col_int(y, cur_sorts[i].col);

			c = p < q ? -1 : p > q;
		}
		if (c)
			return cur_sorts[i].desc ? -c : c;
	}
	return x->id < y->id ? -1 : x->id > y->id;
}

/* ---- GET /robots ------------------------------------------------------------------- */

static void robot_list(struct sim_harbor *h, const struct sim_harbor_sec *sec, struct sim_req *req,
		       struct sim_resp *resp)
{
	struct sim_harbor_qvals qv;
	struct berth_buf errs = BERTH_BUF_INIT;
	struct kws kw = { 0 };
	struct filters f = { 0 };
	struct sort_key *sorts = NULL;
	struct sim_harbor_robot **matches = NULL;
	const struct sim_harbor_qval *qq, *qs;
	const struct kw *lv;
	int64_t page, size, total = 0, pid = 0, from, to;
	size_t nsorts = 0, nmatch = 0;
	bool system = true, default_order;
	json_t *out;

	sim_harbor__qvals_parse(&qv, req->raw_query);
	page = sim_harbor__bind_int64(&qv, "page", 1, &errs);
	size = sim_harbor__bind_int64(&qv, "page_size", 10, &errs);
	if (!errs.len && size > 100)
		berth_buf_addstr(&errs, "page_size in query should be less than or equal to 100");
	if (errs.len) {
		sim_harbor__unprocessable(resp, "%s", errs.buf);
		goto out;
	}
	if (sec->kind == SIM_HARBOR_ANON) {
		sim_harbor__error(resp, 401, "UNAUTHORIZED", "unauthorized");
		goto out;
	}
	qq = sim_harbor__qvals_get(&qv, "q");
	if (parse_keywords(qq && qq->nvalues ? qq->values[qq->nvalues - 1] : NULL, &kw, resp))
		goto out;

	lv = kws_get(&kw, "Level");
	if (lv) {
		const struct kw *pk;

		if (lv->kind != KW_EXACT || (strcmp(lv->vals[0].s, "system") && strcmp(lv->vals[0].s, "project"))) {
			sim_harbor__error(resp, 400, "BAD_REQUEST", "bad request error level input");
			goto out;
		}
		system = !strcmp(lv->vals[0].s, "system");
		if (!system) {
			pk = kws_get(&kw, "ProjectID");
			if (!pk) {
				sim_harbor__error(resp, 400, "BAD_REQUEST",
						  "must with project ID when to query project robots");
				goto out;
			}
			if (pk->kind != KW_EXACT || !parse_go_int(pk->vals[0].s, &pid) || pid <= 0) {
				sim_harbor__error(resp, 400, "BAD_REQUEST", "ProjectID must be a positive integer");
				goto out;
			}
		}
	}
	if (system) {
		struct kw k = { .key = xstrdup("ProjectID"), .kind = KW_EXACT };

		kw_add_val(&k, (struct qv){ .type = QV_INT, .i = 0 });
		kws_set(&kw, &k);
	}
	{
		struct kw k = { .key = xstrdup("Visible"), .kind = KW_EXACT };

		kw_add_val(&k, (struct qv){ .type = QV_BOOL, .i = 1 });
		kws_set(&kw, &k);
	}
	if (require_access(h, sec, system, NULL, pid, "list", resp))
		goto out;
	if (build_filters(&kw, &f)) {
		sim_harbor__error(resp, 500, "UNKNOWN", "query failed");
		goto out;
	}

	/* sort=k1,-k2: unknown or unsortable keys are ignored; default name ascending */
	qs = sim_harbor__qvals_get(&qv, "sort");
	if (qs && qs->nvalues && *qs->values[qs->nvalues - 1]) {
		char *s = xstrdup(qs->values[qs->nvalues - 1]), *save = NULL;

		for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			bool desc = *t == '-';
			int col = col_lookup(desc ? t + 1 : t);

			if (col < 0)
				continue;
			sorts = xrealloc(sorts, sizeof(*sorts) * (nsorts + 1));
			sorts[nsorts].col = col;
			sorts[nsorts].desc = desc;
			nsorts++;
		}
		free(s);
	}
	default_order = !nsorts || (nsorts == 1 && sorts[0].col == COL_NAME && !sorts[0].desc);
	from = size > 0 && page > 0 ? size * (page - 1) : 0;
	to = size > 0 ? from + size : INT64_MAX;
	out = json_array();
	if (default_order) {
		for (size_t i = 0; i < h->nrobots; i++) {
			if (!robot_matches(h->robots[i], &f))
				continue;
			if (total >= from && total < to)
				json_array_append_new(out, robot_json(h, h->robots[i]));
			total++;
		}
	} else {
		matches = xcalloc(h->nrobots + 1, sizeof(*matches));
		for (size_t i = 0; i < h->nrobots; i++)
			if (robot_matches(h->robots[i], &f))
				matches[nmatch++] = h->robots[i];
		struct sort_keys sk = { sorts, nsorts };

		qsort_r(matches, nmatch, sizeof(*matches), sort_cmp, &sk);
		total = (int64_t)nmatch;
		for (int64_t i = from; i < to && i < total; i++)
			json_array_append_new(out, robot_json(h, matches[i]));
	}
	sim_harbor__json(resp, 200, out);
	sim_harbor__total_count(h, resp, total);
	sim_harbor__links(h, resp, req, total, page, size);
out:
	free(matches);
	free(sorts);
	filters_release(&f);
	kws_release(&kw);
	berth_buf_release(&errs);
	sim_harbor__qvals_release(&qv);
}

/* ---- /robots/{robot_id} ------------------------------------------------------------ */

/* 401, then 404 (existence can be probed before the permission check). */
static struct sim_harbor_robot *load(struct sim_harbor *h, const struct sim_harbor_sec *sec, int64_t id,
				     struct sim_resp *resp)
{
	struct sim_harbor_robot *r;

	if (sec->kind == SIM_HARBOR_ANON) {
		sim_harbor__error(resp, 401, "UNAUTHORIZED", "unauthorized");
		return NULL;
	}
	r = sim_harbor__robot_by_id(h, id);
	if (!r)
		sim_harbor__error(resp, 404, "NOT_FOUND", "robot %" PRId64 " not found", id);
	return r;
}

static void robot_get(struct sim_harbor *h, const struct sim_harbor_sec *sec, int64_t id, struct sim_resp *resp)
{
	struct sim_harbor_robot *r = load(h, sec, id, resp);

	if (!r || require_access(h, sec, !r->project_id, NULL, r->project_id, "read", resp))
		return;
	sim_harbor__json(resp, 200, robot_json(h, r));
}

static void robot_update(struct sim_harbor *h, const struct sim_harbor_sec *sec, struct sim_req *req,
			 int64_t id, struct sim_resp *resp)
{
	json_t *body = sim_harbor__body(req, resp, "robot");
	struct robot_in in = { 0 };
	struct sim_harbor_perm *perms = NULL;
	struct sim_harbor_robot *r;
	char *name = NULL;
	int64_t d;

	if (!body || decode_robot(body, "Robot", &in, resp, "robot"))
		goto out;
	r = load(h, sec, id, resp);
	if (!r)
		goto out;
	/* a nil duration keeps the current one (2.11+) */
	d = in.has_duration ? in.duration : r->duration;
	if (validate(resp, d, in.level, &in))
		goto out;
	if (r->project_id) {
		struct sim_harbor_project *p = project_get(h, in.perms[0].ns, resp);

		if (!p)
			goto out;
		if (p->id != r->project_id) {
			sim_harbor__error(resp, 400, "BAD_REQUEST", "cannot update the project id of robot");
			goto out;
		}
	}
	if (require_access(h, sec, !r->project_id, in.perms[0].ns, 0, "update", resp))
		goto out;
	name = full_name(h, r);
	if (strcmp(in.level, r->project_id ? "project" : "system") || strcmp(in.name, name)) {
		sim_harbor__error(resp, 400, "BAD_REQUEST", "cannot update the level or name of robot");
		goto out;
	}
	if (to_perms(h, &in, &perms, resp))
		goto out;
	if (d != r->duration) {
		r->duration = d;
		r->expires_at = d == -1 ? -1 : r->creation_ms / 1000 + d * 86400;
	}
	/* full replace: an omitted description is cleared, an omitted disable is false */
	free(r->description);
	r->description = xstrdup(in.description);
	r->disabled = in.disable;
	perms_free(r->perms, r->nperms);
	r->perms = perms;
	r->nperms = in.nperms;
	perms = NULL;
	r->update_ms = sim_harbor__now_ms(h);
	sim_resp_empty(resp, 200);
out:
	if (perms)
		perms_free(perms, in.nperms);
	free(name);
	robot_in_release(&in);
	json_decref(body);
}

static void robot_refresh(struct sim_harbor *h, const struct sim_harbor_sec *sec, struct sim_req *req,
			  int64_t id, struct sim_resp *resp)
{
	json_t *body = sim_harbor__body(req, resp, "robotSec");
	struct berth_buf msg = BERTH_BUF_INIT;
	struct sim_harbor_robot *r;
	const char *secret = "";
	char fresh[33];

	if (!body)
		goto out;
	if (!json_is_object(body) && !json_is_null(body)) {
		sim_harbor__unprocessable(resp, "parsing robotSec body from \"\" failed, because json: cannot unmarshal %s into Go value of type models.RobotSec",
					  sim_harbor__json_kind(body));
		goto out;
	}
	if (sim_harbor__get_str(body, "secret", "RobotSec.secret", &secret, &msg)) {
		sim_harbor__unprocessable(resp, "parsing robotSec body from \"\" failed, because %s", msg.buf);
		goto out;
	}
	r = load(h, sec, id, resp);
	if (!r || require_access(h, sec, !r->project_id, NULL, r->project_id, "update", resp))
		goto out;
	if (*secret) {
		if (!valid_secret(secret)) {
			sim_harbor__error(resp, 400, "BAD_REQUEST",
					  "the secret must be 8-128, inclusively, characters long with at least 1 uppercase letter, 1 lowercase letter and 1 number");
			goto out;
		}
		set_secret(r, secret);
		r->update_ms = sim_harbor__now_ms(h);
		/* the chosen secret is not echoed: RobotSec{Secret:""} marshals as {} */
		sim_harbor__json(resp, 200, json_object());
	} else {
		new_secret(fresh);
		set_secret(r, fresh);
		r->update_ms = sim_harbor__now_ms(h);
		sim_harbor__json(resp, 200, json_pack("{s:s}", "secret", fresh));
		explicit_bzero(fresh, sizeof(fresh));
	}
out:
	berth_buf_release(&msg);
	json_decref(body);
}

static void robot_delete(struct sim_harbor *h, const struct sim_harbor_sec *sec, int64_t id,
			 struct sim_resp *resp)
{
	struct sim_harbor_robot *r = load(h, sec, id, resp);

	if (!r || require_access(h, sec, !r->project_id, NULL, r->project_id, "delete", resp))
		return;
	robot_remove(h, r);
	sim_resp_empty(resp, 200);
}

void sim_harbor__robots(struct sim_harbor *h, const struct sim_harbor_sec *sec, struct sim_req *req,
			struct sim_resp *resp, const char *rest)
{
	const char *m = req->method;
	int64_t id;

	if (!*rest) {
		if (!strcmp(m, "GET"))
			robot_list(h, sec, req, resp);
		else if (!strcmp(m, "POST"))
			robot_create(h, sec, req, resp);
		else
			sim_harbor__error(resp, 405, "METHOD_NOT_ALLOWED", "method %s is not allowed, but [GET,POST] are", m);
		return;
	}
	if (strchr(rest + 1, '/') || !rest[1]) {
		sim_harbor__error(resp, 404, "NOT_FOUND", "path %s was not found", req->raw_path);
		return;
	}
	if (strcmp(m, "GET") && strcmp(m, "PUT") && strcmp(m, "PATCH") && strcmp(m, "DELETE")) {
		sim_harbor__error(resp, 405, "METHOD_NOT_ALLOWED",
				  "method %s is not allowed, but [DELETE,GET,PATCH,PUT] are", m);
		return;
	}
	/* bind robot_id (int64, in path) */
	if (!sim_harbor__convert_int64(rest + 1, &id)) {
		sim_harbor__unprocessable(resp, "robot_id in path must be of type int64: \"%s\"", rest + 1);
	} else if (!strcmp(m, "GET")) {
		robot_get(h, sec, id, resp);
	} else if (!strcmp(m, "PUT")) {
		robot_update(h, sec, req, id, resp);
	} else if (!strcmp(m, "PATCH")) {
		robot_refresh(h, sec, req, id, resp);
	} else {
		robot_delete(h, sec, id, resp);
	}
}
