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

struct job;

struct run {
	const struct berth_apply_ctx *ctx;
	const struct berth_plan *plan;
	struct berth_apply_report *report;
	struct job *jobs;
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
	if (!e && r->ctx->unreadable && r->ctx->unreadable[want])
		n->version = BERTH_STORE_OVERWRITE;
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

/*
 * Does Harbor accept this credential? The token service answers as the
 * robot: an anonymous token means refused.
 */
static int credential_works(const struct run *r, const char *login, const struct berth_secret *secret,
			    struct berth_err *err)
{
	struct berth_token_grant g;
	char *scope = xasprintf("repository:%s/berth-verify:pull", r->ctx->probe_project ? r->ctx->probe_project
											  : "library");
	const char *scopes[1] = { scope };
	int ret = berth_harbor_token(r->ctx->harbor, login, secret, scopes, 1, &g, err);

	if (!ret && g.anonymous)
		ret = berth_err_set(err, BERTH_EAUTH, "harbor refuses the new secret of '%s' (token service "
						      "answered as anonymous)", login);
	berth_token_grant_release(&g);
	free(scope);
	return ret;
}

/* Create or update the robot of one item; *id is its id afterwards. */
static int robot_step(const struct run *r, const struct berth_plan_item *it, int64_t *id,
		      struct berth_buf *sum, struct berth_err *err)
{
	const struct berth_want *w = &r->plan->wants[it->want];
	struct berth_robot_created created = { 0 };
	int ret = 0;

	*id = it->actual ? it->actual->id : 0;
	if (it->create) {
		struct berth_robot_spec spec = {
			.name = w->short_name, .description = w->description, .level = w->cfg->level,
			.duration = w->cfg->duration, .perms = w->cfg->perms, .nperms = w->cfg->nperms,
		};

		ret = berth_harbor_robot_create(r->ctx->harbor, &spec, &created, err);
		if (ret)
			goto out;
		*id = created.id;
		if (w->slot)
			note(sum, "slot %s created (id %" PRId64 ")", w->slot, *id);
		else
			note(sum, "created (id %" PRId64 ")", *id);
		/* Harbor ignores disable on create. */
		if (w->cfg->disable) {
			struct berth_robot next = it->next;

			next.id = *id;
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
		note(sum, "%s%s%s%s", w->slot ? "slot " : "", w->slot ? w->slot : "", w->slot ? " " : "",
		     (it->changes & BERTH_CHANGE_ADOPT) ? "adopted" :
		     (it->changes & ~BERTH_CHANGE_RENEW) ? "updated" : "renewed");
	}
out:
	berth_robot_created_release(&created);
	return ret;
}

/* Copy a slot's credential into the seed-layout fields that consumers read. */
static void mirror_published(struct berth_store_entry *e)
{
	int p = berth_slot_index(e->slot);

	if (p < 0)
		return;
	free(e->name);
	e->name = xstrdup_or_null(e->slots[p].name);
	berth_secret_free(e->secret);
	e->secret = berth_secret_dup(e->slots[p].secret);
	e->robot_id = e->slots[p].robot_id;
}

/*
 * The first half of the nothing-lost protocol: a new secret is generated
 * and stored as pending - before Harbor hears of it, and before a new
 * robot is even created. *secret is the secret to set (NULL when the item
 * keeps its secret).
 */
static int secret_prepare(const struct run *r, const struct berth_plan_item *it, struct berth_store_entry *e,
			  struct berth_secret **secret, struct berth_err *err)
{
	const struct berth_want *w = &r->plan->wants[it->want];
	int ret;

	*secret = NULL;
	if (it->secret == BERTH_SECRET_FINISH_PENDING) {
		*secret = berth_secret_dup(e->pending);
		return 0;
	}
	if (it->secret != BERTH_SECRET_SET)
		return 0;
	ret = berth_secret_generate(secret, SECRET_LEN, err);
	if (ret)
		return ret;
	berth_secret_free(e->pending);
	e->pending = berth_secret_dup(*secret);
	free(e->pending_slot);
	e->pending_slot = xstrdup_or_null(w->slot);
	if (!w->slot && it->actual)
		e->robot_id = it->actual->id;
	return store_put(r, w->store_path, e, err);
}

/*
 * The second half: Harbor takes the secret, a rotation is checked with the
 * token service, then the store marks the secret active.
 */
static int secret_finish(const struct run *r, const struct berth_plan_item *it, int64_t id,
			 struct berth_store_entry *e, const struct berth_secret *secret, struct berth_buf *sum,
			 struct berth_err *err)
{
	const struct berth_want *w = &r->plan->wants[it->want];
	int x = berth_slot_index(w->slot);
	int ret;

	if (it->secret == BERTH_SECRET_KEEP)
		return 0;
	if (it->secret == BERTH_SECRET_RENAME) {
		if (x >= 0) {
			free(e->slots[x].name);
			e->slots[x].name = xstrdup(w->login);
			e->slots[x].robot_id = id;
			mirror_published(e);
		} else {
			e->robot_id = id;
		}
		ret = store_put(r, w->store_path, e, err);
		if (!ret)
			note(sum, "store entry updated (%s)", it->secret_reason);
		return ret;
	}
	ret = berth_harbor_robot_set_secret(r->ctx->harbor, id, secret, err);
	if (ret)
		return ret;
	/* A rotation is checked before anything is retired or published. */
	if (it->rotation) {
		ret = credential_works(r, w->login, secret, err);
		if (ret)
			return ret;
	}
	if (x >= 0) {
		free(e->slots[x].name);
		e->slots[x].name = xstrdup(w->login);
		berth_secret_free(e->slots[x].secret);
		e->slots[x].secret = berth_secret_dup(secret);
		e->slots[x].robot_id = id;
		mirror_published(e);
	} else {
		berth_secret_free(e->secret);
		e->secret = berth_secret_dup(secret);
		e->robot_id = id;
		e->rotated_at = berth_now();
	}
	berth_secret_free(e->pending);
	e->pending = NULL;
	free(e->pending_slot);
	e->pending_slot = NULL;
	ret = store_put(r, w->store_path, e, err);
	if (!ret)
		note(sum, "%s%s%ssecret %s (%s)", w->slot ? "slot " : "", w->slot ? w->slot : "", w->slot ? " " : "",
		     it->secret == BERTH_SECRET_SET ? "set" : "finished", it->secret_reason);
	return ret;
}

/*
 * One robot: its item, or its two slot items, in order - robots, then
 * secrets (the slot to be published last), then the switch of the
 * published slot, then the targets.
 */
static int apply_group(const struct run *r, size_t first, size_t n, struct berth_buf *sum,
		       struct berth_err *err)
{
	const struct berth_plan_item *items = &r->plan->items[first];
	const struct berth_want *w = &r->plan->wants[items[0].want];
	struct berth_item_result *res = &r->report->items[first];
	struct berth_store_entry *e = entry_base(r, items[0].want);
	int64_t ids[2] = { 0, 0 };
	size_t order[2] = { 0, 1 }, pub_item = 0;
	int ret = 0;

	entry_mark(e, r, w->login);
	if (w->slot)
		mirror_published(e);
	/* The slot to be published goes last, so that it is ready when consumers switch. */
	if (n == 2 && items[0].publish) {
		order[0] = 1;
		order[1] = 0;
	}
	for (size_t j = 0; j < n; j++) {
		size_t i = order[j];
		struct berth_secret *secret = NULL;

		ret = secret_prepare(r, &items[i], e, &secret, err);
		if (!ret)
			ret = robot_step(r, &items[i], &ids[i], sum, err);
		if (!ret)
			ret = secret_finish(r, &items[i], ids[i], e, secret, sum, err);
		berth_secret_free(secret);
		res[i].robot_id = ids[i];
		if (ret)
			goto out;
	}
	/* Two slots: switch consumers to the refreshed slot; the other stays valid. */
	for (size_t i = 0; i < n; i++) {
		if (!items[i].publish)
			continue;
		pub_item = i;
		{
			int before = berth_slot_index(e->slot);
			int now_pub = berth_slot_index(r->plan->wants[items[i].want].slot);

			/* Consumers leave the slot published before: its overlap starts now. */
			if (before >= 0 && before != now_pub)
				e->slots[before].unpublished_at = berth_now();
		}
		free(e->slot);
		e->slot = xstrdup(r->plan->wants[items[i].want].slot);
		mirror_published(e);
		e->rotated_at = berth_now();
		ret = store_put(r, w->store_path, e, err);
		if (ret)
			goto out;
		note(sum, "slot %s published", e->slot);
	}
	if (n == 2 && !items[0].publish && !items[1].publish)
		pub_item = e->slot && !strcmp(e->slot, "b") ? 1 : 0;
	if (e->secret)
		res[pub_item].secret = berth_secret_dup(e->secret);
	if (r->ctx->publisher && e->secret)
		ret = berth_publish_robot(r->ctx->publisher, r->plan, first + pub_item, e->secret, sum, err);
out:
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

/* Jobs are robots: one item, or the two slot items of one robot. */
struct job {
	size_t first, n;
};

static int group_job(size_t j, void *payload, struct berth_err *err)
{
	struct run *r = payload;
	const struct job *jb = &r->jobs[j];
	const struct berth_plan_item *it = &r->plan->items[jb->first];
	struct berth_buf sum = BERTH_BUF_INIT;
	int ret = 0;

	if (it->skipped)
		return 0;
	if (it->kind == BERTH_ITEM_ORPHAN) {
		if (it->delete_robot)
			ret = apply_orphan(r, it, &sum, err);
	} else {
		ret = apply_group(r, jb->first, jb->n, &sum, err);
	}
	for (size_t i = jb->first; i < jb->first + jb->n; i++) {
		struct berth_item_result *res = &r->report->items[i];

		if (ret) {
			res->outcome = BERTH_OUTCOME_FAILED;
			res->err = xmalloc(sizeof(*res->err));
			*res->err = *err;
		} else {
			res->outcome = sum.len ? BERTH_OUTCOME_CHANGED : BERTH_OUTCOME_UNCHANGED;
		}
	}
	if (ret) {
		const char *who = it->kind == BERTH_ITEM_ORPHAN ? it->actual->name
								: r->plan->wants[it->want].cfg->name;

		berth_log_error("apply", "robot %s: %s", who, err->msg);
	}
	r->report->items[jb->first].summary = berth_buf_detach(&sum, NULL);
	return ret;
}

int berth_apply(const struct berth_apply_ctx *ctx, const struct berth_plan *plan,
		struct berth_apply_report *report, struct berth_err *err)
{
	struct run r = { .ctx = ctx, .plan = plan, .report = report };
	struct berth_err *errs;
	size_t njobs = 0;
	int ret;

	memset(report, 0, sizeof(*report));
	if (plan->nerrors)
		return berth_err_set(err, BERTH_ECONFIG,
				     "the plan has %zu error%s; nothing was changed (see 'berth plan')",
				     plan->nerrors, plan->nerrors == 1 ? "" : "s");
	report->nitems = plan->nitems;
	report->items = xcalloc(plan->nitems + 1, sizeof(*report->items));
	/* Nothing to do: not even a request. */
	if (!berth_plan_has_changes(plan))
		return 0;
	/* A store that cannot be written stops the run before any Harbor write. */
	ret = berth_store_ping(ctx->store, err);
	if (ret)
		return berth_err_prefix(err, "store not usable, nothing was changed");
	r.jobs = xcalloc(plan->nitems + 1, sizeof(*r.jobs));
	for (size_t i = 0; i < plan->nitems; njobs++) {
		const struct berth_plan_item *it = &plan->items[i];
		size_t n = 1;

		if (it->kind == BERTH_ITEM_ROBOT && plan->wants[it->want].slot && i + 1 < plan->nitems &&
		    plan->items[i + 1].kind == BERTH_ITEM_ROBOT &&
		    plan->wants[plan->items[i + 1].want].cfg == plan->wants[it->want].cfg)
			n = 2;
		r.jobs[njobs].first = i;
		r.jobs[njobs].n = n;
		i += n;
	}
	errs = xcalloc(njobs + 1, sizeof(*errs));
	berth_exec_run(njobs, ctx->concurrency, group_job, &r, errs);
	if (plan->prune && ctx->publisher && plan->norphan_targets) {
		struct berth_buf sum = BERTH_BUF_INIT;
		struct berth_err e = BERTH_ERR_INIT;

		if (berth_publish_prune(ctx->publisher, plan, &sum, &e)) {
			report->failed++;
			*err = e;
		}
		report->prune_summary = berth_buf_detach(&sum, NULL);
	}
	for (size_t j = 0; j < njobs; j++) {
		const struct berth_item_result *res = &report->items[r.jobs[j].first];

		if (res->outcome == BERTH_OUTCOME_FAILED) {
			if (!report->failed)
				*err = errs[j];
			report->failed++;
		} else if (res->outcome == BERTH_OUTCOME_CHANGED) {
			report->changed++;
		}
	}
	free(errs);
	free(r.jobs);
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
		free(r->items[i].err);
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
			/* The second slot of a robot reports with the first. */
			if (!res->summary && !it->note && plan->wants[it->want].slot && i > 0 &&
			    plan->items[i - 1].kind == BERTH_ITEM_ROBOT &&
			    plan->wants[plan->items[i - 1].want].cfg == plan->wants[it->want].cfg)
				continue;
			if (it->skipped)
				continue;
			name = plan->wants[it->want].cfg->name;
			login = plan->wants[it->want].slot ? plan->wants[it->want].cfg->name
							    : plan->wants[it->want].login;
		}
		if (res->outcome == BERTH_OUTCOME_UNCHANGED && it->kind == BERTH_ITEM_ROBOT && it->note) {
			berth_buf_addf(out, "robot %s (%s): %s\n", name, plan->wants[it->want].login, it->note);
			unchanged++;
			continue;
		}
		if (res->outcome == BERTH_OUTCOME_UNCHANGED && it->kind == BERTH_ITEM_ROBOT && it->note) {
			berth_buf_addf(out, "robot %s (%s): %s\n", name, plan->wants[it->want].login, it->note);
			unchanged++;
			continue;
		}
		if (res->outcome == BERTH_OUTCOME_FAILED)
			berth_buf_addf(out, "robot %s (%s): failed: %s%s%s\n", name, login,
				       res->err ? res->err->msg : "",
				       res->summary && *res->summary ? "; done before the failure: " : "",
				       res->summary ? res->summary : "");
		else if (res->outcome == BERTH_OUTCOME_CHANGED)
			berth_buf_addf(out, "robot %s (%s): %s\n", name, login, res->summary);
		else
			unchanged++;
	}
	if (r->prune_summary)
		berth_buf_addstr(out, r->prune_summary);
	/* Without --prune, berth's Secrets that no robot names are reported, as plan does. */
	for (size_t t = 0; !plan->prune && t < plan->norphan_targets; t++)
		if (plan->orphan_targets[t].op == BERTH_TARGET_DELETE)
			berth_buf_addf(out, "Secret %s/%s: orphan, no robot publishes to it "
				       "(apply --prune deletes it)\n", plan->orphan_targets[t].ns,
				       plan->orphan_targets[t].name);
	berth_buf_addf(out, "Apply: %zu changed, %zu unchanged, %zu failed.\n", r->changed, unchanged,
		       r->failed);
}
