/*
 * plan.h - the pure planner: desired (config) x actual (Harbor, store,
 * targets) -> per-robot actions. No I/O, no clock: 'now' is an input. Most
 * reconcile bugs are meant to die in its data-driven tests
 * (tests/data/plan/NNN-name/).
 */
#ifndef BERTH_PLAN_H
#define BERTH_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "model.h"

struct berth_buf;
struct berth_config;
struct berth_err;
struct berth_project_list;
struct berth_robot_config;
struct berth_store_entry;
struct berth_target_action;
struct berth_target_state;

/* What the planner reads; everything borrowed. */
struct berth_actual {
	const char *prefix;                        /* robot name prefix, e.g. "robot$" */
	const char *registry;                      /* docker auths key (host[:port]) */
	const struct berth_robot_list *robots;     /* system robots + robots of listed projects */
	const struct berth_project_list *projects; /* every project the principal sees */
	bool all_projects_scanned;                 /* robots of every project were listed */
	/* entries[k] is the store entry of want k (see berth_plan_wants), NULL when absent */
	struct berth_store_entry *const *entries;
	/* entry_unreadable[k]: the entry exists but could not be decoded (may be NULL) */
	const bool *entry_unreadable;
	/* published targets, for issue 5's target planning (may be NULL) */
	const struct berth_target_state *targets;
	time_t now;
};

struct berth_plan_opts {
	bool prune;          /* delete berth's robots that the config no longer lists */
	bool verify_secrets; /* the caller checked each stored secret with the token service */
	const bool *secret_refused; /* per want: Harbor refused the stored secret (with verify_secrets) */
	bool force_rotate;   /* rotate every robot's secret now */
	const char *const *rotate_only; /* with force_rotate: only these robot names (NULL = all) */
	size_t nrotate_only;
	const char *const *only; /* plan only these robots (berth rotate ROBOT...); NULL = all */
	size_t nonly;
};

/* One Harbor robot the config wants (a robot, or one slot of a two-slot robot). */
struct berth_want {
	const struct berth_robot_config *cfg;
	char *short_name;    /* as POSTed: name, or name-a / name-b */
	char *login;         /* prefix + [project "+"] + short_name */
	char *description;   /* the user's description with berth's marker */
	char *store_path;
	const char *slot;    /* NULL, "a" or "b" */
};

enum berth_secret_action {
	BERTH_SECRET_KEEP = 0,
	BERTH_SECRET_SET,            /* generate, store as pending, PATCH, store as active */
	BERTH_SECRET_FINISH_PENDING, /* PATCH the stored pending secret, store as active */
	BERTH_SECRET_RENAME,         /* the store names the robot differently (prefix change): rewrite it */
};

/* Bits of berth_plan_item.changes */
enum berth_change {
	BERTH_CHANGE_PERMISSIONS = 1 << 0,
	BERTH_CHANGE_DESCRIPTION = 1 << 1,
	BERTH_CHANGE_DURATION = 1 << 2,
	BERTH_CHANGE_DISABLE = 1 << 3,
	BERTH_CHANGE_RENEW = 1 << 4,   /* expired or about to: duration extended, secret kept */
	BERTH_CHANGE_ADOPT = 1 << 5,   /* take over an unmarked robot */
};

enum berth_item_kind {
	BERTH_ITEM_ROBOT = 0, /* a wanted robot */
	BERTH_ITEM_ORPHAN,    /* berth's robot that the config no longer lists */
};

struct berth_plan_item {
	enum berth_item_kind kind;
	size_t want;                      /* index into plan->wants (ROBOT items) */
	const struct berth_robot *actual; /* Harbor's robot, NULL when it does not exist */
	bool create;                      /* POST a new robot */
	unsigned changes;                 /* berth_change bits: PUT needed when non-zero */
	struct berth_robot next;          /* the robot to PUT (or POST) */
	enum berth_secret_action secret;
	const char *secret_reason;        /* static text: why a new secret */
	bool rotation;                    /* the new secret is a rotation: verify it before retiring the old */
	bool publish;                     /* two slots: publish this slot once its secret is set */
	bool skipped;                     /* not selected (berth rotate ROBOT...) */
	char *note;                       /* e.g. "rotation waits for the overlap until ..." */
	bool delete_robot;                /* orphan with --prune */
	char *orphan_store_path;          /* orphan: its store entry (from the marker), or NULL */
	char *error;                      /* the item cannot be applied: why */
	struct berth_target_action *targets; /* where the credential is published */
	size_t ntargets;
};

struct berth_plan {
	const struct berth_config *cfg;   /* borrowed */
	struct berth_want *wants;
	size_t nwants;
	struct berth_plan_item *items;
	size_t nitems;
	size_t nerrors;
	struct berth_target_action *orphan_targets; /* berth's Secrets no robot names (deleted with --prune) */
	size_t norphan_targets;
	bool prune;
	char *owner;
	char *registry;
};

/*
 * The Harbor robots cfg wants, in order (before reading actual state: the
 * caller needs their store paths). *out is the caller's (berth_wants_free).
 */
void berth_plan_wants(struct berth_want **out, size_t *n, const struct berth_config *cfg,
		      const char *prefix);
void berth_wants_free(struct berth_want *w, size_t n);

/*
 * Compute the plan. *out is the caller's (berth_plan_free). Items that
 * cannot be applied carry an error and are counted in nerrors; the
 * planner itself fails only on programming errors. Pure: no I/O.
 */
int berth_plan_make(struct berth_plan **out, const struct berth_config *cfg,
		    const struct berth_actual *actual, const struct berth_plan_opts *opts,
		    struct berth_err *err);
void berth_plan_free(struct berth_plan *p);

/* Whether anything would change (errors aside). */
bool berth_plan_has_changes(const struct berth_plan *p);

/* Render for people (no secrets, ever). */
void berth_plan_render_text(struct berth_buf *out, const struct berth_plan *p);
/* Render as JSON ({"schema":1, "robots":[...], "summary":{...}}). */
void berth_plan_render_json(struct berth_buf *out, const struct berth_plan *p);

/* Helpers shared with apply. */
char *berth_login_name(const char *prefix, const char *level, const char *project,
		       const char *short_name);
/* Owner and store path from a robot description's marker; false when unmarked. */
bool berth_plan_marker(const char *description, char **owner, char **store_path);
/* The marker tag berth writes: "OWNER:STORE_PATH". Caller frees. */
char *berth_plan_marker_tag(const char *owner, const char *store_path);

#endif
