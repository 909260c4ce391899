/*
 * sim_harbor.h - the simulated Harbor's state and the helpers its files
 * share (sim_harbor.c: routing, auth, errors, RBAC, control endpoints;
 * sim_harbor_robots.c: /robots; sim_harbor_projects.c: projects, users,
 * system info, permissions, configurations; sim_token.c: /service/token).
 * Private to berth-sim; everything here runs with the API lock held.
 */
#ifndef BERTH_SIM_HARBOR_H
#define BERTH_SIM_HARBOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct berth_buf;
struct sim_api;
struct sim_req;
struct sim_resp;
struct sim_world;

/* Project roles, with Harbor's ids (src/common/const.go). */
enum sim_harbor_role {
	SIM_HARBOR_ROLE_NONE = 0,
	SIM_HARBOR_ROLE_PROJECT_ADMIN = 1,
	SIM_HARBOR_ROLE_DEVELOPER = 2,
	SIM_HARBOR_ROLE_GUEST = 3,
	SIM_HARBOR_ROLE_MAINTAINER = 4,
	SIM_HARBOR_ROLE_LIMITED_GUEST = 5,
};

struct sim_harbor_member {
	int64_t project_id;
	int role;
};

struct sim_harbor_user {
	int64_t id;
	char *username;
	char salt[17];
	char hash[65];           /* sha256(salt + password), hex */
	bool sysadmin;
	char *email;
	char *realname;
	char *comment;
	int64_t creation_ms;
	int64_t update_ms;
	struct sim_harbor_member *members;
	size_t nmembers, amembers;
};

struct sim_harbor_project {
	int64_t id;
	char *name;
	int64_t owner_id;
	json_t *metadata;        /* object of string values; "public" always set */
	int64_t creation_ms;
	int64_t update_ms;
};

struct sim_harbor_access {
	char *resource;
	char *action;
	char *effect;            /* "" when the caller sent none */
};

/* One stored permission group: Harbor keeps the scope, not the namespace. */
struct sim_harbor_perm {
	char *kind;              /* "system" or "project" */
	char *scope;             /* "/system", "/project/<id>", or "/project/" followed by "*" for all */
	struct sim_harbor_access *access;
	size_t naccess;
};

struct sim_harbor_robot {
	int64_t id;
	char *name;              /* DB name: "ci" or "proj+ci" (no prefix) */
	char *description;
	int64_t project_id;      /* 0: system level */
	int64_t duration;
	int64_t expires_at;      /* Unix seconds, -1: never */
	bool disabled;
	char salt[17];
	char hash[65];           /* sha256(salt + secret), hex; the secret itself is never kept */
	char *creator_type;      /* "local" or "robot" */
	int64_t creator_ref;
	int64_t creation_ms;
	int64_t update_ms;
	struct sim_harbor_perm *perms;
	size_t nperms;
};

struct sim_harbor {
	struct sim_api *api;
	struct sim_world *world;
	char admin_password[25];
	char *prefix;            /* robot_name_prefix, "robot$" */
	int64_t token_expiration;     /* minutes */
	int64_t robot_token_duration; /* days */
	char *project_creation_restriction;
	int64_t clock_offset_s;  /* added to "now" for robot times and auth */
	/* /_sim/harbor/paging, test only: real Harbor always sends X-Total-Count and path-only links */
	bool omit_total_count;   /* list responses without X-Total-Count */
	char *link_origin;       /* "scheme://host[:port]" put before Link targets; NULL: none */

	struct sim_harbor_user **users;
	size_t nusers, ausers;
	struct sim_harbor_project **projects;
	size_t nprojects, aprojects;

	/* robots: by id (index id - 1, NULL once deleted) and sorted by DB name, then id */
	struct sim_harbor_robot **robot_by_id;
	size_t nrobot_ids, arobot_ids;
	struct sim_harbor_robot **robots;
	size_t nrobots, arobots;
};

/* Who is calling: Harbor's security context, after the generator chain. */
enum sim_harbor_sec_kind {
	SIM_HARBOR_ANON = 0,
	SIM_HARBOR_USER,
	SIM_HARBOR_ROBOT,
};

struct sim_harbor_sec {
	enum sim_harbor_sec_kind kind;
	struct sim_harbor_user *user;
	struct sim_harbor_robot *robot;
	char *name;              /* username or the robot's full (prefixed) name; NULL if anonymous */
};

/* A Go url.Values, in first-seen key order. */
struct sim_harbor_qvals {
	struct sim_harbor_qval {
		char *key;
		char **values;
		size_t nvalues;
	} *items;
	size_t nitems;
};

/* ---- sim_harbor.c -------------------------------------------------------- */

/* Wall clock with the control endpoint's offset, in seconds / milliseconds. */
int64_t sim_harbor__now(const struct sim_harbor *h);
int64_t sim_harbor__now_ms(const struct sim_harbor *h);

/*
 * Harbor's error envelope {"errors":[{"code","message"}]} + "\n", the way
 * lib/http SendError writes it (json.Marshal, HTML characters escaped).
 * A 5xx status becomes UNKNOWN / "internal server error".
 */
void sim_harbor__error(struct sim_resp *resp, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The go-swagger producer: compact JSON + "\n", HTML not escaped. Steals j. */
void sim_harbor__json(struct sim_resp *resp, int status, json_t *j);
/* A go-swagger validation failure: 422 "validation failure list:\n<msg>". */
void sim_harbor__unprocessable(struct sim_resp *resp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* 401 / 403 for a failed system-scope check (message = username), as RequireSystemAccess. */
void sim_harbor__deny_system(struct sim_resp *resp, const struct sim_harbor_sec *sec);
/* 401 / 403 "forbidden", as RequireProjectAccess. */
void sim_harbor__deny_project(struct sim_resp *resp, const struct sim_harbor_sec *sec);

/* json_string() of bytes that may not be UTF-8 (invalid bytes become U+FFFD). New reference. */
json_t *sim_harbor__jstr(const char *s);

/* Go's url.QueryUnescape; returns a new string or NULL on a bad escape. */
char *sim_harbor__go_unescape(const char *s, size_t len);
/* Go's url.QueryEscape, appended to out. */
void sim_harbor__go_escape(struct berth_buf *out, const char *s);
/* Go's url.ParseQuery (bad pairs and pairs with ';' are dropped). */
void sim_harbor__qvals_parse(struct sim_harbor_qvals *v, const char *raw);
void sim_harbor__qvals_release(struct sim_harbor_qvals *v);
/* All values of key, or NULL (borrowed). */
const struct sim_harbor_qval *sim_harbor__qvals_get(const struct sim_harbor_qvals *v, const char *key);

/*
 * Harbor's Link header (handler/base.go Links): prev/next URLs of the request
 * path with page and page_size set, the query re-encoded with sorted keys and
 * unescaped once more (so q shows raw), joined by " , "; none when page_size is 0.
 * The paging control's link_origin, when set, goes before each path.
 */
void sim_harbor__links(const struct sim_harbor *h, struct sim_resp *resp, const struct sim_req *req,
		       int64_t total, int64_t page, int64_t size);
/* The X-Total-Count header of a list response, unless the paging control turned it off. */
void sim_harbor__total_count(const struct sim_harbor *h, struct sim_resp *resp, int64_t total);

/*
 * Bind a go-swagger int64 query parameter: absent or "" gives def; a value
 * swag.ConvertInt64 rejects appends "NAME in query must be of type int64"
 * to errs (a "\n"-joined list). Returns the value.
 */
int64_t sim_harbor__bind_int64(const struct sim_harbor_qvals *v, const char *name, int64_t def,
			       struct berth_buf *errs);

/*
 * Decode the JSON body of an operation whose body parameter is 'param'
 * (go-swagger: required body, application/json, first JSON value only).
 * On success returns a new reference; otherwise writes the 422 and returns NULL.
 */
json_t *sim_harbor__body(const struct sim_req *req, struct sim_resp *resp, const char *param);

/*
 * Go encoding/json field access on a decoded body: the last key equal to
 * name ignoring case. The typed getters check the JSON type like Go would;
 * on a mismatch they fill msg ("json: cannot unmarshal ...", path is
 * "Struct.field") and return -1. Absent or null leaves *out untouched.
 */
json_t *sim_harbor__field(json_t *obj, const char *name);
int sim_harbor__get_str(json_t *obj, const char *name, const char *path, const char **out,
			struct berth_buf *msg);
int sim_harbor__get_int(json_t *obj, const char *name, const char *path, int64_t *out, bool *present,
			struct berth_buf *msg);
int sim_harbor__get_bool(json_t *obj, const char *name, const char *path, bool *out,
			 struct berth_buf *msg);
int sim_harbor__get_kind(json_t *obj, const char *name, const char *path, json_type want,
			 const char *gotype, json_t **out, struct berth_buf *msg);

/* A JSON time ("2025-01-15T08:30:00.123Z"), new reference. */
json_t *sim_harbor__time(int64_t ms);
/* Go's name for a non-object JSON value in "cannot unmarshal X" messages. */
const char *sim_harbor__json_kind(const json_t *v);
/* ^[a-z0-9]+(?:[._-][a-z0-9]+)*$ */
bool sim_harbor__valid_name(const char *s);
/* swag.ConvertInt64 (a float that is a JSON integer); false when it refuses raw. */
bool sim_harbor__convert_int64(const char *raw, int64_t *out);
/* Set (role > 0) or remove (0) a user's role in a project. */
void sim_harbor__member_set(struct sim_harbor_user *u, int64_t project_id, int role);

/* Look-ups. */
struct sim_harbor_project *sim_harbor__project_by_name(struct sim_harbor *h, const char *name);
struct sim_harbor_project *sim_harbor__project_by_id(struct sim_harbor *h, int64_t id);
struct sim_harbor_user *sim_harbor__user_by_id(struct sim_harbor *h, int64_t id);
bool sim_harbor__project_public(const struct sim_harbor_project *p);
int sim_harbor__user_role(const struct sim_harbor_user *u, int64_t project_id);

/* RBAC: Harbor's security context Can() for a system or project resource ("" = the project itself). */
bool sim_harbor__can_system(struct sim_harbor *h, const struct sim_harbor_sec *sec,
			    const char *resource, const char *action);
bool sim_harbor__can_project(struct sim_harbor *h, const struct sim_harbor_sec *sec, int64_t project_id,
			     const char *resource, const char *action);

/* Is (resource, action) in the robot permission catalogue for kind ("system"/"project")? */
bool sim_harbor__catalogue_has(const char *kind, const char *resource, const char *action);
/* The catalogue as GET /permissions lists it: array of {"resource","action"} (new reference). */
json_t *sim_harbor__catalogue_json(const char *kind);

/* Authenticate Basic credentials (robot first, then user); anonymous when they fail. */
void sim_harbor__authenticate(struct sim_harbor *h, const struct sim_req *req, struct sim_harbor_sec *sec);
void sim_harbor__sec_release(struct sim_harbor_sec *sec);

/* Robot helpers shared with the token service and control endpoints. */
struct sim_harbor_robot *sim_harbor__robot_by_id(struct sim_harbor *h, int64_t id);
struct sim_harbor_robot *sim_harbor__robot_by_dbname(struct sim_harbor *h, const char *name);
void sim_harbor__hash(const char *salt, const char *secret, char out[65]);

/* ---- sim_harbor_robots.c -------------------------------------------------- */

void sim_harbor__robots(struct sim_harbor *h, const struct sim_harbor_sec *sec, struct sim_req *req,
			struct sim_resp *resp, const char *rest);
void sim_harbor__robot_free(struct sim_harbor_robot *r);

/* ---- sim_harbor_projects.c ------------------------------------------------ */

void sim_harbor__projects(struct sim_harbor *h, const struct sim_harbor_sec *sec, struct sim_req *req,
			  struct sim_resp *resp, const char *rest);
void sim_harbor__systeminfo(struct sim_harbor *h, const struct sim_harbor_sec *sec, struct sim_req *req,
			    struct sim_resp *resp);
void sim_harbor__current_user(struct sim_harbor *h, const struct sim_harbor_sec *sec, struct sim_req *req,
			      struct sim_resp *resp);
void sim_harbor__permissions(struct sim_harbor *h, const struct sim_harbor_sec *sec, struct sim_req *req,
			     struct sim_resp *resp);
void sim_harbor__configurations(struct sim_harbor *h, const struct sim_harbor_sec *sec, struct sim_req *req,
				struct sim_resp *resp);
/* Add a project (control endpoint and seeding); returns it. */
struct sim_harbor_project *sim_harbor__project_add(struct sim_harbor *h, const char *name, bool public,
						   int64_t owner_id);

/* ---- sim_token.c ----------------------------------------------------------- */

void sim_token_serve(struct sim_harbor *h, const struct sim_harbor_sec *sec, struct sim_req *req,
		     struct sim_resp *resp);

/* ---- module entry points (modules.c) --------------------------------------- */

struct sim_api *sim_harbor_create(struct sim_world *w);
json_t *sim_harbor_describe(struct sim_api *api);

#endif
