/*
 * session.h - one reconcile pass: connect to Harbor, the store and
 * Kubernetes from a config, read the actual state with list calls, plan,
 * apply. Shared by plan, apply, verify, rotate and run.
 */
#ifndef BERTH_SESSION_H
#define BERTH_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

struct berth_apply_report;
struct berth_config;
struct berth_err;
struct berth_harbor;
struct berth_kube;
struct berth_plan;
struct berth_plan_opts;
struct berth_publisher;
struct berth_store;
struct berth_store_entry;
struct berth_target_state;
struct berth_want;

struct berth_session_opts {
	int concurrency;       /* 0: 8 */
	bool scan_all_projects; /* list robots of every project (for --prune) */
	int max_retries;       /* -1: default */
	bool store_only;       /* no Harbor client (render, the credential helper) */
	long retry_base_ms;    /* 0: default */
};

struct berth_session {
	const struct berth_config *cfg;
	struct berth_session_opts opts;
	struct berth_harbor *harbor;
	struct berth_store *store;
	struct berth_kube *kube;           /* NULL when no Kubernetes connection is needed */
	struct berth_publisher *publisher; /* targets */
	char *harbor_url;
	char *registry;
	char *prefix;
	bool sysadmin;

	/* actual state, filled by berth_session_read() */
	struct berth_project_list *projects;
	struct berth_robot_list robots;
	bool all_projects_scanned;
	struct berth_want *wants;
	size_t nwants;
	struct berth_store_entry **entries; /* per want */
	bool *unreadable;                   /* per want */
	struct berth_target_state *targets;
};

/*
 * Resolve the config's references (Harbor URL from an Ingress, passwords
 * from env/files/Secrets) and create the clients. *out is the caller's.
 * Returns 0, BERTH_ECONFIG for unusable settings, or a client error.
 * Network I/O only for discovery through Kubernetes.
 */
int berth_session_open(struct berth_session **out, const struct berth_config *cfg,
		       const struct berth_session_opts *opts, struct berth_err *err);
void berth_session_free(struct berth_session *s);

/*
 * Read the actual state: Harbor's principal and prefix, projects, robots
 * (list calls, every page), the store entry of every wanted robot, and the
 * published targets. Network I/O.
 */
int berth_session_read(struct berth_session *s, struct berth_err *err);

/*
 * Ask the token service, for every wanted robot with a stored secret,
 * whether Harbor still accepts it; *refused (caller frees) has one flag per
 * want. Network I/O (one token request per robot).
 */
int berth_session_check_secrets(struct berth_session *s, bool **refused, struct berth_err *err);

/* Plan against what berth_session_read() found. Pure. */
int berth_session_plan(struct berth_session *s, const struct berth_plan_opts *opts,
		       struct berth_plan **out, struct berth_err *err);

/* Apply a plan made by berth_session_plan(). Network I/O. */
int berth_session_apply(struct berth_session *s, const struct berth_plan *plan,
			struct berth_apply_report *report, struct berth_err *err);

/* Requests sent so far, per service, as "harbor=12 vault=30 kube=3". Caller frees. */
char *berth_session_request_counts(const struct berth_session *s);

#endif
