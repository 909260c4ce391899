/*
 * apply.h - carry out a plan. Independent robots run concurrently through
 * the executor; one robot's steps stay ordered. Secrets follow the
 * "nothing lost" protocol: a new secret is stored as pending (with
 * compare-and-set), then set in Harbor, then stored as active, then
 * published - so after a crash at any point the secret Harbor accepts is
 * in the store, and the next run converges.
 */
#ifndef BERTH_APPLY_H
#define BERTH_APPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct berth_buf;
struct berth_config;
struct berth_harbor;
struct berth_plan;
struct berth_publisher;
struct berth_secret;
struct berth_store;
struct berth_store_entry;

struct berth_apply_ctx {
	const struct berth_config *cfg;
	struct berth_harbor *harbor;
	struct berth_store *store;
	struct berth_publisher *publisher;          /* targets (may be NULL) */
	struct berth_store_entry *const *entries;   /* as read for the plan, per want */
	const bool *unreadable;                     /* per want: the entry exists but could not be read */
	const char *probe_project;                  /* a project for token-service checks */
	int concurrency;
};

enum berth_item_outcome {
	BERTH_OUTCOME_UNCHANGED = 0,
	BERTH_OUTCOME_CHANGED,
	BERTH_OUTCOME_FAILED,
	BERTH_OUTCOME_SKIPPED,
};

struct berth_item_result {
	enum berth_item_outcome outcome;
	char *summary;             /* "created (id 12), secret set" */
	struct berth_err *err;     /* when FAILED (owned; a berth_err is 800 bytes, most items never fail) */
	int64_t robot_id;          /* the robot's id after apply (0 unknown) */
	struct berth_secret *secret; /* the active secret after apply (for publishing/verify) */
};

struct berth_apply_report {
	struct berth_item_result *items; /* parallel to plan->items */
	size_t nitems;
	size_t changed, failed;
	char *prune_summary;             /* orphan Secrets deleted (--prune) */
};

/*
 * Apply plan. Refuses (BERTH_ECONFIG, nothing written) when the plan has
 * errors. Returns 0 when every item succeeded, else the code of the first
 * failure (the report says which and why). Network I/O.
 */
int berth_apply(const struct berth_apply_ctx *ctx, const struct berth_plan *plan,
		struct berth_apply_report *report, struct berth_err *err);
void berth_apply_report_release(struct berth_apply_report *r);
/* "robot tekton (robot$tekton): created (id 12), secret set" lines; failures first say "failed". */
void berth_apply_report_render(struct berth_buf *out, const struct berth_plan *plan,
			       const struct berth_apply_report *r);

#endif
