/*
 * plan.c - the pure planner: desired x actual -> actions, and its text
 * and JSON renderings. No I/O and no clock.
 *
 * DESIGN
 * Robots are matched by their full login name (prefix, project, name),
 * through a sorted index of Harbor's robots: O(n log n) overall. A robot is
 * berth's when its description ends with the marker " [berth:OWNER:PATH]",
 * which also records the store path, so that --prune can find an orphan's
 * store entry without any listing of the store. Anything berth cannot do
 * safely becomes an item error; apply refuses to start while any exists.
 */
#include "compat.h"
#include "plan.h"
#include "buf.h"
#include "config.h"
#include "err.h"
#include "harbor.h"
#include "json.h"
#include "store.h"
#include "target.h"
#include "util.h"
#include "xalloc.h"

char *berth_login_name(const char *prefix, const char *level, const char *project,
		       const char *short_name)
{
	if (level && !strcmp(level, "project"))
		return xasprintf("%s%s+%s", prefix, project, short_name);
	return xasprintf("%s%s", prefix, short_name);
}

char *berth_plan_marker_tag(const char *owner, const char *store_path)
{
	return xasprintf("%s:%s", owner, store_path);
}

bool berth_plan_marker(const char *description, char **owner, char **store_path)
{
	char *tag = berth_marker_owner(description);
	char *colon;

	*owner = NULL;
	if (store_path)
		*store_path = NULL;
	if (!tag)
		return false;
	colon = strchr(tag, ':');
	if (colon) {
		*owner = xstrndup(tag, (size_t)(colon - tag));
		if (store_path && colon[1])
			*store_path = xstrdup(colon + 1);
	} else {
		*owner = xstrdup(tag);
	}
	free(tag);
	return true;
}

void berth_plan_wants(struct berth_want **out, size_t *n, const struct berth_config *cfg,
		      const char *prefix)
{
	struct berth_want *w = NULL;
	size_t nw = 0, alloc = 0;
	static const char *const slot_names[] = { "a", "b" };

	for (size_t i = 0; i < cfg->nrobots; i++) {
		const struct berth_robot_config *rc = &cfg->robots[i];
		int slots = rc->rotate.slots == 2 ? 2 : 1;
		char *tag = berth_plan_marker_tag(cfg->owner, rc->store_path);

		for (int s = 0; s < slots; s++) {
			BERTH_ALLOC_GROW(w, nw + 1, alloc);
			memset(&w[nw], 0, sizeof(w[nw]));
			w[nw].cfg = rc;
			w[nw].slot = slots == 2 ? slot_names[s] : NULL;
			w[nw].short_name = slots == 2 ? xasprintf("%s-%s", rc->name, slot_names[s])
						      : xstrdup(rc->name);
			w[nw].login = berth_login_name(prefix, rc->level, rc->project, w[nw].short_name);
			w[nw].description = berth_marker_make(rc->description, tag);
			w[nw].store_path = xstrdup(rc->store_path);
			nw++;
		}
		free(tag);
	}
	*out = w;
	*n = nw;
}

void berth_wants_free(struct berth_want *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(w[i].short_name);
		free(w[i].login);
		free(w[i].description);
		free(w[i].store_path);
	}
	free(w);
}

/* ---- index of Harbor's robots by login name ----------------------------- */

static int cmp_robot_ptr(const void *a, const void *b)
{
	const struct berth_robot *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

static int cmp_key_robot(const void *key, const void *elem)
{
	const struct berth_robot *const *r = elem;

	return strcmp(key, (*r)->name);
}

static const struct berth_robot *find_robot(const struct berth_robot **index, size_t n, const char *login)
{
	const struct berth_robot **hit = bsearch(login, index, n, sizeof(*index), cmp_key_robot);

	return hit ? *hit : NULL;
}

static int cmp_str_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ---- one wanted robot -------------------------------------------------- */

static void set_error(struct berth_plan_item *it, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_error(struct berth_plan_item *it, const char *fmt, ...)
{
	struct berth_buf b = BERTH_BUF_INIT;
	va_list ap;

	if (it->error)
		return;
	va_start(ap, fmt);
	berth_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	it->error = berth_buf_detach(&b, NULL);
}

/*
 * The duration to send so that the robot's validity matches the config.
 * For a finite duration D the robot should expire within D days from now
 * but not within the renewal margin; Harbor computes expires_at from the
 * creation time, so the duration sent is the robot's age in whole days
 * plus D (expiry then falls less than a day short of now + D).
 */
static int64_t renew_duration(const struct berth_robot *a, int64_t days, time_t now)
{
	int64_t age;

	if (!a || !a->creation_time || a->creation_time > now)
		return days;
	/* Whole days, rounded down: the renewed robot never outlives the configured duration. */
	age = (now - a->creation_time) / 86400;
	return age + days;
}

static int64_t renewal_margin(const struct berth_robot_config *rc)
{
	int64_t full = rc->duration * 86400;

	if (rc->rotate.set && rc->rotate.before_expiry_s > 0)
		return rc->rotate.before_expiry_s;
	/* Default: 72h, but never more than a third of a short duration. */
	return full / 3 < 72 * 3600 ? full / 3 : 72 * 3600;
}

static void plan_duration(struct berth_plan_item *it, const struct berth_robot_config *rc, time_t now)
{
	const struct berth_robot *a = it->actual;

	if (rc->duration < 0) {
		it->next.duration = -1;
		if (a->duration != -1 || a->expires_at != -1)
			it->changes |= BERTH_CHANGE_DURATION;
		return;
	}
	if (a->expires_at == -1 || a->duration == -1) {
		it->next.duration = renew_duration(a, rc->duration, now);
		it->changes |= BERTH_CHANGE_DURATION;
		return;
	}
	if (a->expires_at <= now + renewal_margin(rc)) {
		it->next.duration = renew_duration(a, rc->duration, now);
		it->changes |= BERTH_CHANGE_RENEW;
		return;
	}
	if (a->expires_at > now + rc->duration * 86400 + 86400) {
		/* Valid for longer than the config allows: shorten. */
		it->next.duration = renew_duration(a, rc->duration, now);
		it->changes |= BERTH_CHANGE_DURATION;
	}
}

static bool want_selected(const struct berth_plan_opts *o, const char *name)
{
	if (!o->force_rotate)
		return false;
	if (!o->rotate_only || !o->nrotate_only)
		return true;
	for (size_t i = 0; i < o->nrotate_only; i++)
		if (!strcmp(o->rotate_only[i], name))
			return true;
	return false;
}

static bool robot_selected(const struct berth_plan_opts *o, const char *name)
{
	if (!o->only || !o->nonly)
		return true;
	for (size_t i = 0; i < o->nonly; i++)
		if (!strcmp(o->only[i], name))
			return true;
	return false;
}

static void check_projects(struct berth_plan_item *it, const struct berth_robot_config *rc,
			   const struct berth_actual *a)
{
	if (!a->projects)
		return;
	if (!strcmp(rc->level, "project") && !berth_project_find(a->projects, rc->project)) {
		set_error(it, "robot '%s': project '%s' does not exist in Harbor", rc->name, rc->project);
		return;
	}
	for (size_t i = 0; i < rc->nperms; i++) {
		const char *ns = rc->perms[i].ns;

		if (!strcmp(rc->perms[i].kind, "project") && strcmp(ns, "*") &&
		    !berth_project_find(a->projects, ns)) {
			set_error(it, "robot '%s': permission on project '%s', which does not exist in Harbor",
				  rc->name, ns);
			return;
		}
	}
}

static bool rotation_due(const struct berth_robot_config *rc, time_t rotated_at, time_t now)
{
	return rc->rotate.every_s > 0 && (!rotated_at || now - rotated_at >= rc->rotate.every_s);
}

/* Ownership of the store entry: false (and an item error) when berth may not touch it. */
static bool entry_usable(struct berth_plan_item *it, const struct berth_want *w,
			 const struct berth_store_entry *e, bool unreadable, bool robot_ours,
			 const char *owner)
{
	const struct berth_robot_config *rc = w->cfg;
	bool entry_ours = e && e->owner && !strcmp(e->owner, owner);

	if (e && !unreadable && !entry_ours && !rc->adopt) {
		set_error(it, "store entry '%s' exists and is not managed by berth%s%s%s; set adopt: true on "
			      "robot '%s' to take it over",
			  w->store_path, e->owner ? " (owner '" : "", e->owner ? e->owner : "",
			  e->owner ? "')" : "", rc->name);
		return false;
	}
	if (unreadable && !robot_ours && !rc->adopt) {
		set_error(it, "store entry '%s' cannot be read and robot '%s' is not yet berth's; set "
			      "adopt: true on robot '%s' to overwrite it", w->store_path, w->login, rc->name);
		return false;
	}
	return true;
}

static void plan_secret(struct berth_plan_item *it, const struct berth_want *w, size_t k,
			const struct berth_actual *a, const struct berth_plan_opts *o,
			const char *owner, bool robot_ours)
{
	const struct berth_robot_config *rc = w->cfg;
	const struct berth_store_entry *e = a->entries ? a->entries[k] : NULL;
	bool unreadable = a->entry_unreadable && a->entry_unreadable[k];
	bool entry_ours = e && e->owner && !strcmp(e->owner, owner);

	if (!entry_usable(it, w, e, unreadable, robot_ours, owner))
		return;
	if (it->create) {
		if (entry_ours && e->pending && !e->pending_slot && e->state == BERTH_ENTRY_PRESENT) {
			it->secret = BERTH_SECRET_FINISH_PENDING;
			it->secret_reason = "new robot, using the pending secret already stored";
		} else {
			it->secret = BERTH_SECRET_SET;
			it->secret_reason = "new robot";
		}
		return;
	}
	it->secret = BERTH_SECRET_SET;
	if (!e && !unreadable)
		it->secret_reason = "store entry missing";
	else if (unreadable)
		it->secret_reason = "store entry unreadable";
	else if (!entry_ours)
		it->secret_reason = "adopting the store entry";
	else if (e->state == BERTH_ENTRY_DELETED)
		it->secret_reason = "store entry deleted";
	else if (e->pending && !e->pending_slot) {
		it->secret = BERTH_SECRET_FINISH_PENDING;
		it->secret_reason = "finish an interrupted secret change";
	} else if (!e->secret)
		it->secret_reason = "store entry has no secret";
	else if (e->robot_id && e->robot_id != it->actual->id)
		it->secret_reason = "store entry belongs to another robot id";
	else if (!robot_ours)
		it->secret_reason = "adopting the robot: its secret is unknown";
	else if (o->verify_secrets && o->secret_refused && o->secret_refused[k])
		it->secret_reason = "Harbor refuses the stored secret";
	else if (want_selected(o, rc->name)) {
		it->secret_reason = "rotation requested";
		it->rotation = true;
	} else if (rotation_due(rc, e->rotated_at, a->now)) {
		it->secret_reason = "rotation due";
		it->rotation = true;
	} else if (!e->name || strcmp(e->name, w->login) || !e->robot_id) {
		it->secret = BERTH_SECRET_RENAME;
		it->secret_reason = !e->robot_id ? "record the robot id" : "the robot's login name changed";
	} else {
		it->secret = BERTH_SECRET_KEEP;
		it->secret_reason = NULL;
	}
}

/*
 * One slot of a two-slot robot. The published slot keeps its secret
 * unless it is broken; rotation refreshes the other slot, verifies it and
 * publishes it, and may do so only once the credential published before
 * has been out of use for the overlap.
 */
static void plan_slot_secret(struct berth_plan_item *it, const struct berth_want *w, size_t k,
			     const struct berth_actual *a, const struct berth_plan_opts *o,
			     const char *owner, bool robot_ours)
{
	const struct berth_robot_config *rc = w->cfg;
	const struct berth_store_entry *e = a->entries ? a->entries[k] : NULL;
	bool unreadable = a->entry_unreadable && a->entry_unreadable[k];
	bool entry_ours = e && e->owner && !strcmp(e->owner, owner) && e->state == BERTH_ENTRY_PRESENT;
	int x = berth_slot_index(w->slot);
	int pub = entry_ours && !unreadable ? berth_slot_index(e->slot) : -1;
	const struct berth_slot_cred *c = entry_ours && !unreadable ? &e->slots[x] : NULL;
	bool pending_here = c && e->pending && e->pending_slot && !strcmp(e->pending_slot, w->slot);

	if (!entry_usable(it, w, e, unreadable, robot_ours, owner))
		return;
	/* Nothing published yet (new, or switched from one slot): publish slot a. */
	if (pub < 0 && x == 0)
		it->publish = true;
	it->secret = BERTH_SECRET_SET;
	if (pending_here) {
		it->secret = BERTH_SECRET_FINISH_PENDING;
		it->secret_reason = it->create ? "new robot, using the pending secret already stored"
					       : "finish an interrupted secret change";
	} else if (it->create) {
		it->secret_reason = "new robot";
	} else if (!c || !c->secret) {
		it->secret_reason = "slot has no stored secret";
	} else if (c->robot_id && c->robot_id != it->actual->id) {
		it->secret_reason = "store entry belongs to another robot id";
	} else if (!robot_ours) {
		it->secret_reason = "adopting the robot: its secret is unknown";
	} else if (o->verify_secrets && o->secret_refused && o->secret_refused[k]) {
		it->secret_reason = "Harbor refuses the stored secret";
	} else if (x != pub && pub >= 0 && (want_selected(o, rc->name) ||
					    rotation_due(rc, e->rotated_at, a->now))) {
		/* The standby slot may be refreshed once its last consumers had the overlap. */
		time_t since = e->slots[x].unpublished_at;

		if (!since || a->now - since >= rc->rotate.overlap_s) {
			it->secret_reason = want_selected(o, rc->name) ? "rotation requested" : "rotation due";
			it->rotation = true;
			it->publish = true;
		} else {
			char when[32];

			berth_format_time(since + rc->rotate.overlap_s, when, sizeof(when));
			it->note = xasprintf("rotation waits until %s, so that the credential published "
					     "before stays valid for the overlap", when);
			it->secret = BERTH_SECRET_KEEP;
			it->secret_reason = NULL;
		}
	} else if (!c->name || strcmp(c->name, w->login) || !c->robot_id) {
		it->secret = BERTH_SECRET_RENAME;
		it->secret_reason = !c->robot_id ? "record the robot id" : "the robot's login name changed";
	} else {
		it->secret = BERTH_SECRET_KEEP;
		it->secret_reason = NULL;
	}
}

static void fill_next(struct berth_robot *n, const struct berth_want *w, const struct berth_robot *a)
{
	const struct berth_robot_config *rc = w->cfg;

	n->id = a ? a->id : 0;
	n->name = xstrdup(a ? a->name : w->login);
	n->description = xstrdup(w->description);
	n->level = xstrdup(rc->level);
	n->duration = a ? a->duration : rc->duration;
	n->disable = rc->disable;
	n->editable = true;
	n->expires_at = a ? a->expires_at : -1;
	n->creation_time = a ? a->creation_time : 0;
	n->perms = berth_permissions_dup(rc->perms, rc->nperms);
	n->nperms = rc->nperms;
}

/* Does berth's store entry record robot id as this want's robot? */
static bool entry_names_robot(const struct berth_store_entry *e, const struct berth_want *w, int64_t id,
			      const char *owner)
{
	int x = berth_slot_index(w->slot);

	if (!e || !e->owner || strcmp(e->owner, owner) || !id)
		return false;
	return x >= 0 ? e->slots[x].robot_id == id : e->robot_id == id;
}

static void plan_want(struct berth_plan *p, struct berth_plan_item *it, size_t k,
		      const struct berth_robot **index, size_t nindex,
		      const struct berth_actual *a, const struct berth_plan_opts *o)
{
	const struct berth_want *w = &p->wants[k];
	const struct berth_robot_config *rc = w->cfg;
	char *owner = NULL;
	bool ours = false;

	it->kind = BERTH_ITEM_ROBOT;
	it->want = k;
	if (!robot_selected(o, rc->name)) {
		it->skipped = true;
		it->actual = find_robot(index, nindex, w->login);
		return;
	}
	check_projects(it, rc, a);
	it->actual = find_robot(index, nindex, w->login);
	fill_next(&it->next, w, it->actual);
	if (!it->actual) {
		it->create = true;
		it->next.duration = rc->duration;
	} else {
		const struct berth_robot *r = it->actual;

		ours = berth_plan_marker(r->description, &owner, NULL) && !strcmp(owner, p->owner);
		/*
		 * A hand-edited description loses the marker; berth's own store
		 * entry naming this robot id is proof enough, and the marker is
		 * restored.
		 */
		if (!ours && !owner && entry_names_robot(a->entries ? a->entries[k] : NULL, w, r->id, p->owner)) {
			ours = true;
			it->changes |= BERTH_CHANGE_DESCRIPTION;
		}
		if (!ours && !rc->adopt) {
			if (owner)
				set_error(it, "robot '%s' is managed by another berth owner ('%s'); set adopt: "
					      "true on robot '%s' to take it over", w->login, owner, rc->name);
			else
				set_error(it, "robot '%s' exists in Harbor but is not managed by berth; set "
					      "adopt: true on robot '%s' to take it over", w->login, rc->name);
		}
		if (!r->editable)
			set_error(it, "robot '%s' is a legacy robot (created before Harbor 2.2) that Harbor "
				      "does not let anyone edit; delete it or rename the robot in the config",
				  w->login);
		if (!ours)
			it->changes |= BERTH_CHANGE_ADOPT;
		if (!berth_permissions_equal(r->perms, r->nperms, rc->perms, rc->nperms))
			it->changes |= BERTH_CHANGE_PERMISSIONS;
		if (strcmp(r->description ? r->description : "", w->description))
			it->changes |= BERTH_CHANGE_DESCRIPTION;
		if (r->disable != rc->disable)
			it->changes |= BERTH_CHANGE_DISABLE;
		plan_duration(it, rc, a->now);
	}
	if (w->slot)
		plan_slot_secret(it, w, k, a, o, p->owner, ours);
	else
		plan_secret(it, w, k, a, o, p->owner, ours);
	free(owner);
}

/*
 * Targets of want k's robot. For two slots the robot's targets are
 * planned once, on the slot that will be published after this run.
 */
static void plan_targets(struct berth_plan *p, size_t k, const struct berth_actual *a,
			 const struct berth_plan_opts *o)
{
	struct berth_plan_item *it = &p->items[k];
	const struct berth_want *w = &p->wants[k];
	const struct berth_store_entry *e = a->entries ? a->entries[k] : NULL;
	const struct berth_secret *after = NULL;

	if (it->error || it->skipped || !a->targets)
		return;
	if (w->slot) {
		const struct berth_plan_item *other = &p->items[k ^ 1];
		int x = berth_slot_index(w->slot);
		bool published_here = e && e->slot && !strcmp(e->slot, w->slot);

		/* Items of a two-slot robot are adjacent: a at even, b at odd index. */
		if (!(it->publish || (published_here && !other->publish)))
			return;
		if (it->publish && it->secret == BERTH_SECRET_KEEP)
			after = e ? e->slots[x].secret : NULL;
		else if (!it->publish && (it->secret == BERTH_SECRET_KEEP || it->secret == BERTH_SECRET_RENAME))
			after = e->slots[x].secret;
		else if (it->secret == BERTH_SECRET_FINISH_PENDING)
			after = e ? e->pending : NULL;
	} else if (it->secret == BERTH_SECRET_KEEP || it->secret == BERTH_SECRET_RENAME) {
		after = e ? e->secret : NULL;
	} else if (it->secret == BERTH_SECRET_FINISH_PENDING) {
		after = e ? e->pending : NULL;
	}
	berth_target_plan(a->targets, p->cfg, a->registry, w, k, after, o->prune, &it->targets, &it->ntargets);
	for (size_t t = 0; t < it->ntargets; t++)
		if (it->targets[t].op == BERTH_TARGET_ERROR)
			set_error(it, "robot '%s': %s %s%s%s: %s", w->cfg->name,
				  it->targets[t].is_file ? "file" : "Secret",
				  it->targets[t].is_file ? it->targets[t].path : it->targets[t].ns,
				  it->targets[t].is_file ? "" : "/",
				  it->targets[t].is_file ? "" : it->targets[t].name, it->targets[t].why);
}

int berth_plan_make(struct berth_plan **out, const struct berth_config *cfg,
		    const struct berth_actual *a, const struct berth_plan_opts *o,
		    struct berth_err *err)
{
	struct berth_plan *p = xcalloc(1, sizeof(*p));
	const struct berth_robot **index;
	const char **wanted;
	size_t nindex = a->robots ? a->robots->n : 0;
	struct berth_plan_opts none = { 0 };

	(void)err;
	if (!o)
		o = &none;
	p->cfg = cfg;
	p->prune = o->prune;
	p->owner = xstrdup(cfg->owner);
	p->registry = xstrdup_or_null(a->registry);
	berth_plan_wants(&p->wants, &p->nwants, cfg, a->prefix);

	index = xcalloc(nindex + 1, sizeof(*index));
	for (size_t i = 0; i < nindex; i++)
		index[i] = &a->robots->v[i];
	qsort(index, nindex, sizeof(*index), cmp_robot_ptr);

	p->items = xcalloc(p->nwants + nindex + 1, sizeof(*p->items));
	for (size_t k = 0; k < p->nwants; k++)
		plan_want(p, &p->items[p->nitems++], k, index, nindex, a, o);
	for (size_t k = 0; k < p->nwants; k++)
		plan_targets(p, k, a, o);

	/* Orphans: berth's robots (this owner) that no want names. */
	wanted = xcalloc(p->nwants + 1, sizeof(*wanted));
	for (size_t k = 0; k < p->nwants; k++)
		wanted[k] = p->wants[k].login;
	qsort(wanted, p->nwants, sizeof(*wanted), cmp_str_ptr);
	for (size_t i = 0; i < nindex && !(o->only && o->nonly); i++) {
		const struct berth_robot *r = index[i];
		char *owner = NULL, *path = NULL;

		if (bsearch(&r->name, wanted, p->nwants, sizeof(*wanted), cmp_str_ptr))
			continue;
		if (berth_plan_marker(r->description, &owner, &path) && !strcmp(owner, p->owner)) {
			struct berth_plan_item *it = &p->items[p->nitems++];

			it->kind = BERTH_ITEM_ORPHAN;
			it->actual = r;
			it->delete_robot = o->prune;
			it->orphan_store_path = path;
			path = NULL;
		}
		free(owner);
		free(path);
	}
	free(wanted);
	free(index);
	if (a->targets && !(o->only && o->nonly))
		berth_target_orphans(a->targets, p->owner, &p->orphan_targets, &p->norphan_targets);
	for (size_t i = 0; i < p->nitems; i++)
		if (p->items[i].error)
			p->nerrors++;
	*out = p;
	return 0;
}

void berth_plan_free(struct berth_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nitems; i++) {
		berth_robot_release(&p->items[i].next);
		free(p->items[i].orphan_store_path);
		free(p->items[i].error);
		free(p->items[i].note);
		berth_target_actions_free(p->items[i].targets, p->items[i].ntargets);
	}
	berth_target_actions_free(p->orphan_targets, p->norphan_targets);
	free(p->items);
	berth_wants_free(p->wants, p->nwants);
	free(p->owner);
	free(p->registry);
	free(p);
}

static size_t target_changes(const struct berth_plan_item *it)
{
	size_t n = 0;

	for (size_t t = 0; t < it->ntargets; t++)
		if (it->targets[t].op != BERTH_TARGET_OK)
			n++;
	return n;
}

static bool item_changes(const struct berth_plan_item *it)
{
	if (it->skipped)
		return false;
	if (it->kind == BERTH_ITEM_ORPHAN)
		return it->delete_robot;
	return it->create || it->changes || it->secret != BERTH_SECRET_KEEP || target_changes(it);
}

bool berth_plan_has_changes(const struct berth_plan *p)
{
	for (size_t i = 0; i < p->nitems; i++)
		if (item_changes(&p->items[i]))
			return true;
	if (p->prune)
		for (size_t i = 0; i < p->norphan_targets; i++)
			if (p->orphan_targets[i].op == BERTH_TARGET_DELETE)
				return true;
	return false;
}

static const char *target_op_word(enum berth_target_op op)
{
	switch (op) {
	case BERTH_TARGET_CREATE: return "create";
	case BERTH_TARGET_UPDATE: return "update";
	case BERTH_TARGET_DELETE: return "delete";
	case BERTH_TARGET_ERROR: return "error";
	case BERTH_TARGET_OK: break;
	}
	return "ok";
}

static void render_target(struct berth_buf *out, const struct berth_target_action *t)
{
	const char *sign = t->op == BERTH_TARGET_CREATE ? "+" : t->op == BERTH_TARGET_DELETE ? "-" : "~";

	if (t->is_file)
		berth_buf_addf(out, "    %s file %s: %s", sign, t->path, target_op_word(t->op));
	else
		berth_buf_addf(out, "    %s Secret %s/%s: %s", sign, t->ns, t->name, target_op_word(t->op));
	if (t->why)
		berth_buf_addf(out, " (%s)", t->why);
	berth_buf_addch(out, '\n');
}

/* ---- rendering ---------------------------------------------------------- */

static void describe_duration(struct berth_buf *b, int64_t days)
{
	if (days < 0)
		berth_buf_addstr(b, "never expires");
	else
		berth_buf_addf(b, "%" PRId64 " days", days);
}

static const char *secret_word(enum berth_secret_action s)
{
	switch (s) {
	case BERTH_SECRET_SET: return "set";
	case BERTH_SECRET_FINISH_PENDING: return "finish";
	case BERTH_SECRET_RENAME: return "rename";
	case BERTH_SECRET_KEEP: break;
	}
	return "keep";
}

static const char *item_action(const struct berth_plan_item *it)
{
	if (it->skipped)
		return "skipped";
	if (it->error)
		return "error";
	if (it->kind == BERTH_ITEM_ORPHAN)
		return it->delete_robot ? "delete" : "orphan";
	if (it->create)
		return "create";
	if (it->changes)
		return "update";
	if (it->secret != BERTH_SECRET_KEEP)
		return "secret";
	if (target_changes(it))
		return "targets";
	return "none";
}

void berth_plan_render_text(struct berth_buf *out, const struct berth_plan *p)
{
	size_t ncreate = 0, nupdate = 0, ndelete = 0, nsecret = 0, norphan = 0, ntarget = 0, nstore = 0;

	for (size_t i = 0; i < p->nitems; i++) {
		const struct berth_plan_item *it = &p->items[i];
		const struct berth_want *w = it->kind == BERTH_ITEM_ROBOT ? &p->wants[it->want] : NULL;
		char *perms;

		if (it->error) {
			berth_buf_addf(out, "error: %s\n", it->error);
			continue;
		}
		if (it->kind == BERTH_ITEM_ORPHAN) {
			if (it->delete_robot) {
				ndelete++;
				berth_buf_addf(out, "robot %s: delete (not in the config)%s%s\n", it->actual->name,
					       it->orphan_store_path ? ", and its store entry " : "",
					       it->orphan_store_path ? it->orphan_store_path : "");
			} else {
				norphan++;
				berth_buf_addf(out, "robot %s: orphan, not in the config (apply --prune deletes it)\n",
					       it->actual->name);
			}
			continue;
		}
		if (!item_changes(it)) {
			if (it->note && !it->skipped)
				berth_buf_addf(out, "robot %s (%s): %s\n", w->cfg->name, w->login, it->note);
			continue;
		}
		if (it->create) {
			ncreate++;
			perms = berth_permissions_describe(it->next.perms, it->next.nperms);
			berth_buf_addf(out, "robot %s (%s): create\n", w->cfg->name, w->login);
			berth_buf_addf(out, "    + level %s, ", it->next.level);
			describe_duration(out, it->next.duration);
			berth_buf_addf(out, "%s\n    + permissions %s\n", it->next.disable ? ", disabled" : "",
				       perms);
			free(perms);
		} else if (it->changes) {
			const struct berth_robot *r = it->actual;

			nupdate++;
			berth_buf_addf(out, "robot %s (%s): update\n", w->cfg->name, w->login);
			if (it->changes & BERTH_CHANGE_ADOPT)
				berth_buf_addstr(out, "    ~ adopt: mark the robot as berth's\n");
			if (it->changes & BERTH_CHANGE_PERMISSIONS) {
				char *from = berth_permissions_describe(r->perms, r->nperms);

				perms = berth_permissions_describe(it->next.perms, it->next.nperms);
				berth_buf_addf(out, "    ~ permissions %s -> %s\n", from, perms);
				free(from);
				free(perms);
			}
			if (it->changes & BERTH_CHANGE_DESCRIPTION)
				berth_buf_addf(out, "    ~ description '%s' -> '%s'\n",
					       r->description ? r->description : "", it->next.description);
			if (it->changes & BERTH_CHANGE_DISABLE)
				berth_buf_addf(out, "    ~ %s\n", it->next.disable ? "disable" : "enable");
			if (it->changes & BERTH_CHANGE_DURATION) {
				berth_buf_addstr(out, "    ~ duration ");
				describe_duration(out, r->duration);
				berth_buf_addstr(out, " -> ");
				describe_duration(out, it->next.duration);
				berth_buf_addch(out, '\n');
			}
			if (it->changes & BERTH_CHANGE_RENEW) {
				char when[32];

				berth_format_time((time_t)r->expires_at, when, sizeof(when));
				berth_buf_addf(out, "    ~ renew: %s %s, duration %" PRId64 " -> %" PRId64
						    " days (secret unchanged)\n",
					       r->expires_at <= 0 ? "expires" : "expires at", when, r->duration,
					       it->next.duration);
			}
		} else if (it->secret != BERTH_SECRET_KEEP) {
			berth_buf_addf(out, "robot %s (%s): secret\n", w->cfg->name, w->login);
		} else {
			berth_buf_addf(out, "robot %s (%s): targets\n", w->cfg->name, w->login);
		}
		if (it->secret != BERTH_SECRET_KEEP) {
			if (it->secret != BERTH_SECRET_RENAME)
				nsecret++;
			else
				nstore++;
			berth_buf_addf(out, "    %s secret: %s (%s), store %s\n",
				       it->secret == BERTH_SECRET_RENAME ? "~" : "+", secret_word(it->secret),
				       it->secret_reason, w->store_path);
		}
		if (it->publish)
			berth_buf_addf(out, "    ~ publish slot %s%s\n", w->slot,
				       it->rotation ? " (the slot published before stays valid)" : "");
		for (size_t t = 0; t < it->ntargets; t++)
			if (it->targets[t].op != BERTH_TARGET_OK) {
				render_target(out, &it->targets[t]);
				ntarget++;
			}
	}
	for (size_t t = 0; t < p->norphan_targets; t++) {
		const struct berth_target_action *ta = &p->orphan_targets[t];

		if (p->prune) {
			berth_buf_addf(out, "Secret %s/%s: delete (no robot publishes to it)\n", ta->ns, ta->name);
			ntarget++;
		} else {
			berth_buf_addf(out, "Secret %s/%s: orphan, no robot publishes to it (apply --prune deletes it)\n",
				       ta->ns, ta->name);
		}
	}
	if (!p->nerrors && !ncreate && !nupdate && !ndelete && !nsecret && !ntarget && !nstore) {
		berth_buf_addf(out, "No changes: Harbor, the store and the targets match the config (%zu robot%s)%s.\n",
			       p->nwants, p->nwants == 1 ? "" : "s",
			       norphan ? ", orphans listed above" : "");
		return;
	}
	berth_buf_addf(out, "Plan: %zu to create, %zu to update, %zu to delete, %zu secret%s to set, ",
		       ncreate, nupdate, ndelete, nsecret, nsecret == 1 ? "" : "s");
	if (nstore)
		berth_buf_addf(out, "%zu store entr%s to update, ", nstore, nstore == 1 ? "y" : "ies");
	berth_buf_addf(out, "%zu target%s to write, %zu orphan%s, %zu error%s.\n", ntarget,
		       ntarget == 1 ? "" : "s", norphan, norphan == 1 ? "" : "s", p->nerrors,
		       p->nerrors == 1 ? "" : "s");
}

void berth_plan_render_json(struct berth_buf *out, const struct berth_plan *p)
{
	json_t *robots = json_array();
	json_t *root;
	size_t counts[6] = { 0 }; /* create update delete secret orphan error */

	for (size_t i = 0; i < p->nitems; i++) {
		const struct berth_plan_item *it = &p->items[i];
		const struct berth_want *w = it->kind == BERTH_ITEM_ROBOT ? &p->wants[it->want] : NULL;
		json_t *o = json_object(), *changes = json_array();
		const char *act = item_action(it);

		json_object_set_new(o, "name", json_string(w ? w->cfg->name : it->actual->name));
		json_object_set_new(o, "login", json_string(w ? w->login : it->actual->name));
		json_object_set_new(o, "action", json_string(act));
		if (w && w->slot)
			json_object_set_new(o, "slot", json_string(w->slot));
		if (it->actual)
			json_object_set_new(o, "id", json_integer(it->actual->id));
		if (it->changes & BERTH_CHANGE_PERMISSIONS)
			json_array_append_new(changes, json_string("permissions"));
		if (it->changes & BERTH_CHANGE_DESCRIPTION)
			json_array_append_new(changes, json_string("description"));
		if (it->changes & BERTH_CHANGE_DISABLE)
			json_array_append_new(changes, json_string("disable"));
		if (it->changes & BERTH_CHANGE_DURATION)
			json_array_append_new(changes, json_string("duration"));
		if (it->changes & BERTH_CHANGE_RENEW)
			json_array_append_new(changes, json_string("renew"));
		if (it->changes & BERTH_CHANGE_ADOPT)
			json_array_append_new(changes, json_string("adopt"));
		json_object_set_new(o, "changes", changes);
		if (w) {
			json_object_set_new(o, "secret", json_string(secret_word(it->secret)));
			if (it->secret_reason)
				json_object_set_new(o, "secret_reason", json_string(it->secret_reason));
			json_object_set_new(o, "store_path", json_string(w->store_path));
		} else if (it->orphan_store_path) {
			json_object_set_new(o, "store_path", json_string(it->orphan_store_path));
		}
		if (it->error)
			json_object_set_new(o, "error", json_string(it->error));
		if (it->publish)
			json_object_set_new(o, "publish", json_true());
		if (it->rotation)
			json_object_set_new(o, "rotation", json_true());
		if (it->note)
			json_object_set_new(o, "note", json_string(it->note));
		if (it->ntargets) {
			json_t *ts = json_array();

			for (size_t t = 0; t < it->ntargets; t++) {
				const struct berth_target_action *ta = &it->targets[t];
				json_t *to = json_pack("{s:s, s:s}", "kind", ta->is_file ? "file" : "secret",
						       "action", target_op_word(ta->op));

				if (ta->is_file)
					json_object_set_new(to, "path", json_string(ta->path));
				else
					json_object_set_new(to, "namespace", json_string(ta->ns));
				if (!ta->is_file)
					json_object_set_new(to, "name", json_string(ta->name));
				if (ta->why)
					json_object_set_new(to, "why", json_string(ta->why));
				json_array_append_new(ts, to);
			}
			json_object_set_new(o, "targets", ts);
		}
		json_array_append_new(robots, o);
		if (it->error)
			counts[5]++;
		else if (!strcmp(act, "create"))
			counts[0]++;
		else if (!strcmp(act, "update"))
			counts[1]++;
		else if (!strcmp(act, "delete"))
			counts[2]++;
		else if (!strcmp(act, "orphan"))
			counts[4]++;
		if (!it->error && w && (it->secret == BERTH_SECRET_SET || it->secret == BERTH_SECRET_FINISH_PENDING))
			counts[3]++;
	}
	root = json_pack("{s:i, s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:b}", "schema", 1, "robots",
			 robots, "summary", "create", (json_int_t)counts[0], "update", (json_int_t)counts[1],
			 "delete", (json_int_t)counts[2], "secrets", (json_int_t)counts[3], "orphans",
			 (json_int_t)counts[4], "errors", (json_int_t)counts[5], "changes",
			 berth_plan_has_changes(p));
	berth_json_dump(out, root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	berth_buf_addch(out, '\n');
	json_decref(root);
}
