/*
 * harbor.h - typed client of Harbor's REST API v2.0 (robots, projects,
 * configurations) and of its registry token service. Decodes every
 * response into structs; no json_t escapes.
 *
 * Robot lists are read with page_size=100 and every page: concurrently when
 * the server sends X-Total-Count, else by following the Link header's
 * rel="next" one page at a time (same list, same scheme, host and port as
 * the configured URL; at most 10,000 pages). Project robots
 * are listed with q=Level=project,ProjectID=N. The legacy
 * /projects/{p}/robots endpoints are never used. A robot create is never
 * retried (Harbor shows the secret once); a lost create is recovered by
 * the caller's next read.
 */
#ifndef BERTH_HARBOR_H
#define BERTH_HARBOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

struct berth_err;
struct berth_harbor;
struct berth_http_stats;
struct berth_secret;

struct berth_harbor_opts {
	const char *url;               /* https://harbor.example.com (no /api suffix) */
	const char *username;
	const struct berth_secret *password;
	const char *ca_file;
	bool insecure_skip_verify;
	bool allow_plain_http;
	long timeout_s;
	int max_retries;               /* -1 default */
	long retry_base_ms;            /* 0 default */
};

struct berth_project {
	int64_t id;
	char *name;
};

struct berth_project_list {
	struct berth_project *v;
	size_t n, alloc;
};

/* What POST /robots needs. */
struct berth_robot_spec {
	const char *name;              /* short name: no prefix, no project */
	const char *description;
	const char *level;             /* "system" or "project" */
	int64_t duration;              /* days or -1 */
	const struct berth_permission *perms;
	size_t nperms;
};

/* The robot Harbor created: the secret is Harbor's own, shown once. */
struct berth_robot_created {
	int64_t id;
	char *name;                    /* full login name */
	struct berth_secret *secret;
	int64_t expires_at;
};

/* What the token service granted (from the JWT's access claim). */
struct berth_token_grant {
	bool anonymous;                /* the token has no subject: credentials were refused */
	char *subject;
	struct berth_token_access {
		char *type;
		char *name;
		bool pull, push, del;
	} *access;
	size_t naccess;
	int64_t expires_at;            /* exp claim */
};

/* Create a client. The password is copied. Returns 0 or BERTH_ECONFIG. No I/O. */
int berth_harbor_new(struct berth_harbor **out, const struct berth_harbor_opts *o, struct berth_err *err);
void berth_harbor_free(struct berth_harbor *h);
void berth_harbor_get_stats(const struct berth_harbor *h, struct berth_http_stats *out);

/*
 * Check that Harbor answers and that the credentials are accepted: GET
 * /users/current. *sysadmin tells whether the principal is a system admin.
 * Returns 0; BERTH_EAUTH when the credentials are refused (Harbor treats
 * them as anonymous); BERTH_ENET/ESERVER otherwise. Network I/O.
 */
int berth_harbor_whoami(struct berth_harbor *h, bool *sysadmin, struct berth_err *err);

/*
 * The robot name prefix from /configurations. Returns 0 with *out (caller
 * frees), BERTH_EFORBIDDEN when the principal may not read it. Network I/O.
 */
int berth_harbor_robot_prefix(struct berth_harbor *h, char **out, struct berth_err *err);

/* All projects the principal sees (every page). Network I/O. */
int berth_harbor_project_list(struct berth_harbor *h, struct berth_project_list *out,
			      struct berth_err *err);
void berth_project_list_release(struct berth_project_list *l);
const struct berth_project *berth_project_find(const struct berth_project_list *l, const char *name);

/*
 * Every system robot (project_id 0), or every robot of one project, all
 * pages, appended to out. concurrency > 1 fetches pages after the first in
 * parallel (when the server sends X-Total-Count; pages found through the
 * Link header are read one at a time). BERTH_EPROTO when the first page
 * has neither header, or a next link is refused. Network I/O.
 */
int berth_harbor_robot_list_system(struct berth_harbor *h, struct berth_robot_list *out,
				   int concurrency, struct berth_err *err);
int berth_harbor_robot_list_project(struct berth_harbor *h, int64_t project_id,
				    struct berth_robot_list *out, int concurrency,
				    struct berth_err *err);
/* GET /robots/{id}. BERTH_ENOTFOUND when gone. */
int berth_harbor_robot_get(struct berth_harbor *h, int64_t id, struct berth_robot *out,
			   struct berth_err *err);

/*
 * POST /robots, never retried. On success *out holds the new robot (free
 * with berth_robot_created_release()). BERTH_EEXISTS on 409. Network I/O.
 */
int berth_harbor_robot_create(struct berth_harbor *h, const struct berth_robot_spec *spec,
			      struct berth_robot_created *out, struct berth_err *err);
void berth_robot_created_release(struct berth_robot_created *c);

/*
 * PUT /robots/{id} with the whole robot (Harbor replaces description,
 * disable and permissions; duration is sent, so expiry is recomputed from
 * creation_time when it changes). r->name must be the full name. Network I/O.
 */
int berth_harbor_robot_update(struct berth_harbor *h, const struct berth_robot *r,
			      struct berth_err *err);

/*
 * PATCH /robots/{id} with a secret we chose (idempotent: sending the same
 * secret twice leaves the same state). Harbor answers {} for a chosen
 * secret. Network I/O.
 */
int berth_harbor_robot_set_secret(struct berth_harbor *h, int64_t id,
				  const struct berth_secret *secret, struct berth_err *err);

/* DELETE /robots/{id}. BERTH_ENOTFOUND when already gone. */
int berth_harbor_robot_delete(struct berth_harbor *h, int64_t id, struct berth_err *err);

/*
 * Ask the token service, as user:secret, for the given scopes
 * ("repository:library/x:push,pull"), and read the grant from the JWT's
 * claims (the signature is not checked: Harbor itself issued it). Refused
 * credentials yield an anonymous grant, not an error. Network I/O.
 */
int berth_harbor_token(struct berth_harbor *h, const char *user, const struct berth_secret *secret,
		       const char *const *scopes, size_t nscopes, struct berth_token_grant *out,
		       struct berth_err *err);
void berth_token_grant_release(struct berth_token_grant *g);
/* The grant for repository 'name', or NULL. */
const struct berth_token_access *berth_token_grant_find(const struct berth_token_grant *g,
							 const char *name);

/*
 * Decode one Robot object of Harbor's JSON (exposed for the planner's
 * data-driven tests). Returns 0 or BERTH_EPROTO naming the missing field.
 */
int berth_harbor__decode_robot(const void *json_robot, struct berth_robot *out, struct berth_err *err);
/* Decode a JWT's claims into a grant (exposed for tests and fuzzing). */
int berth_harbor__decode_jwt(const char *jwt, struct berth_token_grant *out, struct berth_err *err);

#endif
