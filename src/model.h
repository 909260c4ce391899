/*
 * model.h - the objects berth reconciles, shared by config, plan and the
 * Harbor client: robot permissions in Harbor's own model, and robots as
 * Harbor reports them. Plain data; every _free is NULL-safe.
 */
#ifndef BERTH_MODEL_H
#define BERTH_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One {resource, action[, effect]} of a permission. */
struct berth_access {
	char *resource;
	char *action;
	char *effect;      /* NULL (allow) or "allow"/"deny" */
};

/* One {kind, namespace, access[]} group (Harbor's RobotPermission). */
struct berth_permission {
	char *kind;        /* "system" or "project" */
	char *ns;          /* "/" for system, a project name or "*" */
	struct berth_access *access;
	size_t naccess;
};

/* A robot as Harbor's API reports it (GET /robots). */
struct berth_robot {
	int64_t id;
	char *name;        /* full login name, with prefix: robot$ci, robot$proj+ci */
	char *description; /* NULL when Harbor omitted it */
	char *level;       /* "system" or "project" */
	int64_t duration;  /* days; -1 never expires */
	bool disable;
	bool editable;
	int64_t expires_at;    /* Unix seconds; -1 never */
	int64_t creation_time; /* Unix seconds; 0 unknown */
	struct berth_permission *perms;
	size_t nperms;
};

struct berth_robot_list {
	struct berth_robot *v;
	size_t n, alloc;
};

void berth_access_release(struct berth_access *a);
void berth_permission_release(struct berth_permission *p);
void berth_permissions_free(struct berth_permission *p, size_t n);
/* Deep copy of n permissions. */
struct berth_permission *berth_permissions_dup(const struct berth_permission *p, size_t n);
/*
 * Compare two permission sets as Harbor means them: group order and
 * access order do not matter, an absent effect equals "allow".
 */
bool berth_permissions_equal(const struct berth_permission *a, size_t na,
			     const struct berth_permission *b, size_t nb);
/* A canonical one-line text of a permission set, for plans ("project:*:repository:push,..."). Caller frees. */
char *berth_permissions_describe(const struct berth_permission *p, size_t n);

void berth_robot_release(struct berth_robot *r);
void berth_robot_list_release(struct berth_robot_list *l);
/* Append a new zeroed robot to l and return it. */
struct berth_robot *berth_robot_list_add(struct berth_robot_list *l);

/*
 * The description marker that makes a robot berth's own: " [berth:OWNER]"
 * appended to the user's description. berth_marker_make() returns the full
 * description (caller frees); berth_marker_owner() returns the owner found
 * in a description (caller frees) or NULL when unmarked; berth_marker_strip()
 * returns the user part (caller frees).
 */
char *berth_marker_make(const char *description, const char *owner);
char *berth_marker_owner(const char *description);
char *berth_marker_strip(const char *description);

#endif
