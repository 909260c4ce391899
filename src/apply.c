/*
 * apply.c - carry out a plan: robots concurrently, each robot's steps in
 * order, secrets stored as pending before Harbor hears of them.
 */
#include "compat.h"
#include "apply.h"
#include "buf.h"
#include "config.h"
#include "exec.h"
#include "harbor.h"
#include "log.h"
#include "plan.h"
#include "target.h"
#include "secret.h"
#include "store.h"
#include "util.h"
#include "xalloc.h"

#define SECRET_LEN 40

struct run {
	const struct berth_apply_ctx *ctx;
	const struct berth_plan *plan;
	struct berth_apply_report *report;
};

static void note(struct berth_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct berth_buf *b, const char *fmt, ...)
{
	va_list ap;

	if (b->len)
		berth_buf_addstr(b, ", ");
	va_start(ap, fmt);
	berth_buf_vaddf(b, fmt, ap);
	va_end(ap);
}

/* The entry to write next: a copy of what was read (for CAS), or a new one. */
static struct berth_store_entry *entry_base(const struct run *r, size_t want)
{
	const struct berth_store_entry *e = r->ctx->entries ? r->ctx->entries[want] : NULL;
	struct berth_store_entry *n = e ? berth_store_entry_dup(e) : berth_store_entry_new();

	n->state = BERTH_ENTRY_PRESENT;
	return n;
}

static void entry_mark(struct berth_store_entry *e, const struct run *r, const char *login)
{
	free(e->owner);
	e->owner = xstrdup(r->plan->owner);
	free(e->name);
	e->name = xstrdup(login);
	if (r->plan->registry) {
		free(e->registry);
		e->registry = xstrdup(r->plan->registry);
	}
}

static int store_put(const struct run *r, const char *path, struct berth_store_entry *e,
		     struct berth_err *err)
{
	int ret = berth_store_put(r->ctx->store, path, e, err);

	if (ret == BERTH_ECONFLICT)
		berth_err_prefix(err, "another writer changed the entry; the next run will converge");
	return ret;
}

/* Steps of one wanted robot. */
static int apply_want(const struct run *r, const struct berth_plan_item *it, struct berth_item_result *res,
		      struct berth_buf *sum, struct berth_err *err)
{
	const struct berth_want *w = &r->plan->wants[it->want];
	struct berth_store_entry *e = NULL;
	struct berth_secret *secret = NULL;
	struct berth_robot_created created = { 0 };
	int64_t id = it->actual ? it->actual->id : 0;
	int ret = 0;

	/* 1. The new secret, stored as pending before Harbor hears of it. */
	if (it->secret == BERTH_SECRET_SET || it->secret == BERTH_SECRET_FINISH_PENDING ||
	    it->secret == BERTH_SECRET_RENAME) {
		e = entry_base(r, it->want);
		entry_mark(e, r, w->login);
	}
	if (it->secret == BERTH_SECRET_SET) {
		ret = berth_secret_generate(&secret, SECRET_LEN, err);
		if (ret)
			goto out;
		berth_secret_free(e->pending);
		e->pending = berth_secret_dup(secret);
		if (it->actual)
			e->robot_id = id;
		ret = store_put(r, w->store_path, e, err);
		if (ret)
			goto out;
	} else if (it->secret == BERTH_SECRET_FINISH_PENDING) {
		secret = berth_secret_dup(e->pending);
	}

	/* 2. The robot itself. */
	if (it->create) {
		struct berth_robot_spec spec = {
			.name = w->short_name, .description = w->description, .level = w->cfg->level,
			.duration = w->cfg->duration, .perms = w->cfg->perms, .nperms = w->cfg->nperms,
		};

		ret = berth_harbor_robot_create(r->ctx->harbor, &spec, &created, err);
		if (ret)
			goto out;
		id = created.id;
		note(sum, "created (id %" PRId64 ")", id);
		/* Harbor ignores disable on create. */
		if (w->cfg->disable) {
			struct berth_robot next = it->next;

			next.id = id;
			next.name = created.name;
			next.duration = w->cfg->duration;
			ret = berth_harbor_robot_update(r->ctx->harbor, &next, err);
			if (ret)
				goto out;
			note(sum, "disabled");
		}
	} else if (it->changes) {
		ret = berth_harbor_robot_update(r->ctx->harbor, &it->next, err);
		if (ret)
			goto out;
		note(sum, "%s", (it->changes & BERTH_CHANGE_ADOPT) ? "adopted" :
			       (it->changes & ~BERTH_CHANGE_RENEW) ? "updated" : "renewed");
	}

	/* 3. Harbor takes the secret; then the store marks it active. */
	if (secret) {
		ret = berth_harbor_robot_set_secret(r->ctx->harbor, id, secret, err);
		if (ret)
			goto out;
		berth_secret_free(e->secret);
		e->secret = berth_secret_dup(secret);
		berth_secret_free(e->pending);
		e->pending = NULL;
		e->robot_id = id;
		e->rotated_at = berth_now();
		ret = store_put(r, w->store_path, e, err);
		if (ret)
			goto out;
		note(sum, "secret %s (%s)", it->secret == BERTH_SECRET_SET ? "set" : "finished",
		     it->secret_reason);
	} else if (it->secret == BERTH_SECRET_RENAME) {
		e->robot_id = id;
		ret = store_put(r, w->store_path, e, err);
		if (ret)
			goto out;
		note(sum, "store entry updated (%s)", it->secret_reason);
	}
	res->robot_id = id;
	if (secret)
		res->secret = berth_secret_dup(secret);
	else if (e && e->secret)
		res->secret = berth_secret_dup(e->secret);
	else if (r->ctx->entries && r->ctx->entries[it->want])
		res->secret = berth_secret_dup(r->ctx->entries[it->want]->secret);
out:
	berth_robot_created_release(&created);
	berth_secret_free(secret);
	berth_store_entry_free(e);
	return ret;
}

static int apply_orphan(const struct run *r, const struct berth_plan_item *it, struct berth_buf *sum,
			struct berth_err *err)
{
	struct berth_store_entry *e = NULL;
	int ret;

	ret = berth_harbor_robot_delete(r->ctx->harbor, it->actual->id, err);
	if (ret == BERTH_ENOTFOUND)
		ret = 0;
	if (ret)
		return ret;
	note(sum, "deleted (id %" PRId64 ")", it->actual->id);
	if (!it->orphan_store_path)
		return 0;
	/* Only an entry berth owns and that belongs to this robot. */
	ret = berth_store_get(r->ctx->store, it->orphan_store_path, &e, err);
	if (ret == BERTH_ENOTFOUND)
		return 0;
	if (ret)
		return ret;
	if (e->owner && !strcmp(e->owner, r->plan->owner) &&
	    (!e->robot_id || e->robot_id == it->actual->id)) {
		ret = berth_store_remove(r->ctx->store, it->orphan_store_path, err);
		if (ret == BERTH_ENOTFOUND)
			ret = 0;
		if (!ret)
			note(sum, "store entry %s removed", it->orphan_store_path);
	} else {
		note(sum, "store entry %s kept (not this robot's)", it->orphan_store_path);
	}
	berth_store_entry_free(e);
	return ret;
}

static int item_job(size_t i, void *payload, struct berth_err *err)
{
	struct run *r = payload;
	const struct berth_plan_item *it = &r->plan->items[i];
	struct berth_item_result *res = &r->report->items[i];
	struct berth_buf sum = BERTH_BUF_INIT;
	int ret = 0;

	if (it->kind == BERTH_ITEM_ORPHAN) {
		if (it->delete_robot)
			ret = apply_orphan(r, it, &sum, err);
	} else {
		ret = apply_want(r, it, res, &sum, err);
		if (!ret && r->ctx->publisher)
			ret = berth_publish_robot(r->ctx->publisher, r->plan, i, res->secret, &sum, err);
	}
	if (ret) {
		const char *who = it->kind == BERTH_ITEM_ORPHAN ? it->actual->name : r->plan->wants[it->want].login;

		res->outcome = BERTH_OUTCOME_FAILED;
		res->err = *err;
		berth_log_error("apply", "robot %s: %s", who, err->msg);
	} else {
		res->outcome = sum.len ? BERTH_OUTCOME_CHANGED : BERTH_OUTCOME_UNCHANGED;
	}
	res->summary = berth_buf_detach(&sum, NULL);
	return ret;
}

int berth_apply(const struct berth_apply_ctx *ctx, const struct berth_plan *plan,
		struct berth_apply_report *report, struct berth_err *err)
{
	struct run r = { .ctx = ctx, .plan = plan, .report = report };
	struct berth_err *errs;
	int ret;

	memset(report, 0, sizeof(*report));
	if (plan->nerrors)
		return berth_err_set(err, BERTH_ECONFIG,
				     "the plan has %zu error%s; nothing was changed (see 'berth plan')",
				     plan->nerrors, plan->nerrors == 1 ? "" : "s");
	/* A store that cannot be written stops the run before any Harbor write. */
	ret = berth_store_ping(ctx->store, err);
	if (ret)
		return berth_err_prefix(err, "store not usable, nothing was changed");
	report->nitems = plan->nitems;
	report->items = xcalloc(plan->nitems + 1, sizeof(*report->items));
	errs = xcalloc(plan->nitems + 1, sizeof(*errs));
	berth_exec_run(plan->nitems, ctx->concurrency, item_job, &r, errs);
	if (plan->prune && ctx->publisher && plan->norphan_targets) {
		struct berth_buf sum = BERTH_BUF_INIT;
		struct berth_err e = BERTH_ERR_INIT;

		if (berth_publish_prune(ctx->publisher, plan, &sum, &e)) {
			report->failed++;
			*err = e;
		}
		report->prune_summary = berth_buf_detach(&sum, NULL);
	}
	for (size_t i = 0; i < plan->nitems; i++) {
		if (report->items[i].outcome == BERTH_OUTCOME_FAILED) {
			if (!report->failed)
				*err = errs[i];
			report->failed++;
		} else if (report->items[i].outcome == BERTH_OUTCOME_CHANGED) {
			report->changed++;
		}
	}
	free(errs);
	if (report->failed) {
		if (report->failed > 1)
			berth_err_prefix(err, "%zu robots failed, the first", report->failed);
		return err->code ? err->code : BERTH_ERROR;
	}
	return 0;
}

void berth_apply_report_release(struct berth_apply_report *r)
{
	for (size_t i = 0; i < r->nitems; i++) {
		free(r->items[i].summary);
		berth_secret_free(r->items[i].secret);
	}
	free(r->items);
	free(r->prune_summary);
	memset(r, 0, sizeof(*r));
}

void berth_apply_report_render(struct berth_buf *out, const struct berth_plan *plan,
			       const struct berth_apply_report *r)
{
	size_t unchanged = 0;

	for (size_t i = 0; i < r->nitems; i++) {
		const struct berth_plan_item *it = &plan->items[i];
		const struct berth_item_result *res = &r->items[i];
		const char *name, *login;

		if (it->kind == BERTH_ITEM_ORPHAN) {
			name = login = it->actual->name;
			if (!it->delete_robot) {
				berth_buf_addf(out, "robot %s: orphan, not in the config (apply --prune deletes it)\n",
					       name);
				continue;
			}
		} else {
			name = plan->wants[it->want].cfg->name;
			login = plan->wants[it->want].login;
		}
		if (res->outcome == BERTH_OUTCOME_FAILED)
			berth_buf_addf(out, "robot %s (%s): failed: %s%s%s\n", name, login, res->err.msg,
				       res->summary && *res->summary ? "; done before the failure: " : "",
				       res->summary ? res->summary : "");
		else if (res->outcome == BERTH_OUTCOME_CHANGED)
			berth_buf_addf(out, "robot %s (%s): %s\n", name, login, res->summary);
		else
			unchanged++;
	}
	if (r->prune_summary)
		berth_buf_addstr(out, r->prune_summary);
	berth_buf_addf(out, "Apply: %zu changed, %zu unchanged, %zu failed.\n", r->changed, unchanged,
		       r->failed);
}
