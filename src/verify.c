/*
 * verify.c - check stored credentials with Harbor's token service and the
 * published targets against the store. Reads only.
 */
#include "compat.h"
#include "verify.h"
#include "buf.h"
#include "config.h"
#include "err.h"
#include "exec.h"
#include "harbor.h"
#include "json.h"
#include "plan.h"
#include "secret.h"
#include "session.h"
#include "store.h"
#include "target.h"
#include "util.h"
#include "xalloc.h"

#include <pthread.h>

#define PROBE_REPO "berth-verify"

const char *berth_check_name(enum berth_check c)
{
	switch (c) {
	case BERTH_CHECK_OK: return "ok";
	case BERTH_CHECK_MISSING_ROBOT: return "missing robot";
	case BERTH_CHECK_NO_SECRET: return "no stored secret";
	case BERTH_CHECK_WRONG_SECRET: return "wrong secret";
	case BERTH_CHECK_EXPIRED: return "expired";
	case BERTH_CHECK_DISABLED: return "disabled";
	case BERTH_CHECK_MISSING_RIGHTS: return "missing rights";
	case BERTH_CHECK_STALE_TARGET: return "stale target";
	case BERTH_CHECK_ERROR: return "could not check";
	}
	return "?";
}

/* What the token should grant in one project. */
struct expect {
	char *project;
	bool pull, push;
};

struct verify_run {
	struct berth_session *s;
	pthread_mutex_t lock;
	struct berth_verify_report *out;
};

static void add_result(struct verify_run *r, const struct berth_want *w, const char *target,
		       enum berth_check check, const char *detail)
{
	struct berth_verify_result *v;

	pthread_mutex_lock(&r->lock);
	r->out->v = xrealloc(r->out->v, sizeof(*r->out->v) * (r->out->n + 1));
	v = &r->out->v[r->out->n++];
	v->robot = xstrdup(w->cfg->name);
	v->login = xstrdup(w->login);
	v->target = xstrdup_or_null(target);
	v->check = check;
	v->detail = xstrdup_or_null(detail);
	if (check == BERTH_CHECK_ERROR)
		r->out->errors++;
	else if (check != BERTH_CHECK_OK)
		r->out->failed++;
	pthread_mutex_unlock(&r->lock);
}

static void add_expect(struct expect **e, size_t *n, const char *project, bool pull, bool push)
{
	for (size_t i = 0; i < *n; i++) {
		if (!strcmp((*e)[i].project, project)) {
			(*e)[i].pull |= pull;
			(*e)[i].push |= push;
			return;
		}
	}
	*e = xrealloc(*e, sizeof(**e) * (*n + 1));
	(*e)[*n].project = xstrdup(project);
	(*e)[*n].pull = pull;
	(*e)[*n].push = push;
	(*n)++;
}

/* The repository rights the robot's permissions should grant, per project. */
static void expectations(const struct berth_session *s, const struct berth_robot_config *rc,
			 struct expect **e, size_t *n)
{
	for (size_t i = 0; i < rc->nperms; i++) {
		const struct berth_permission *p = &rc->perms[i];
		bool pull = false, push = false;

		if (strcmp(p->kind, "project"))
			continue;
		for (size_t j = 0; j < p->naccess; j++) {
			if (strcmp(p->access[j].resource, "repository") ||
			    (p->access[j].effect && !strcmp(p->access[j].effect, "deny")))
				continue;
			if (!strcmp(p->access[j].action, "pull"))
				pull = true;
			/* Harbor lets push imply pull for project-level robots only. */
			if (!strcmp(p->access[j].action, "push")) {
				push = true;
				if (!strcmp(rc->level, "project"))
					pull = true;
			}
		}
		if (!pull && !push)
			continue;
		if (!strcmp(p->ns, "*")) {
			for (size_t k = 0; k < s->projects->n && k < BERTH_VERIFY_MAX_PROJECTS; k++)
				add_expect(e, n, s->projects->v[k].name, pull, push);
		} else {
			add_expect(e, n, p->ns, pull, push);
		}
	}
}

static const struct berth_robot *find_robot(const struct berth_session *s, const char *login)
{
	for (size_t i = 0; i < s->robots.n; i++)
		if (!strcmp(s->robots.v[i].name, login))
			return &s->robots.v[i];
	return NULL;
}

int berth_verify_credential(struct berth_session *s, const char *login, const struct berth_secret *secret,
			    bool *refused, struct berth_err *err)
{
	struct berth_token_grant g;
	char *scope = xasprintf("repository:%s/" PROBE_REPO ":pull",
				s->projects && s->projects->n ? s->projects->v[0].name : "library");
	const char *scopes[1] = { scope };
	int ret = berth_harbor_token(s->harbor, login, secret, scopes, 1, &g, err);

	*refused = !ret && g.anonymous;
	berth_token_grant_release(&g);
	free(scope);
	return ret;
}

struct target_cb {
	struct verify_run *r;
	const struct berth_want *w;
};

static void on_target(void *payload, const char *target, int result, const char *detail)
{
	struct target_cb *cb = payload;

	add_result(cb->r, cb->w, target,
		   result == 0 ? BERTH_CHECK_OK : result == 1 ? BERTH_CHECK_STALE_TARGET : BERTH_CHECK_ERROR,
		   detail);
}

static int verify_job(size_t k, void *payload, struct berth_err *err)
{
	struct verify_run *r = payload;
	struct berth_session *s = r->s;
	const struct berth_want *w = &s->wants[k];
	const struct berth_robot *robot = find_robot(s, w->login);
	const struct berth_store_entry *e = s->entries[k];
	struct expect *ex = NULL;
	size_t nex = 0;
	const char **scopes = NULL;
	struct berth_token_grant g = { 0 };
	struct berth_buf missing = BERTH_BUF_INIT;
	struct target_cb cb = { .r = r, .w = w };
	int ret = 0;

	const struct berth_secret *secret = e ? e->secret : NULL;
	bool published = true;

	(void)err;
	/* Two slots: each slot's own credential; targets carry the published one. */
	if (w->slot) {
		int x = berth_slot_index(w->slot);

		secret = e ? e->slots[x].secret : NULL;
		published = e && e->slot && !strcmp(e->slot, w->slot);
	}
	if (!robot) {
		add_result(r, w, NULL, BERTH_CHECK_MISSING_ROBOT, "not in Harbor (run berth apply)");
		goto targets;
	}
	if (!e || !secret || e->state != BERTH_ENTRY_PRESENT) {
		add_result(r, w, NULL, BERTH_CHECK_NO_SECRET, w->store_path);
		goto out;
	}
	expectations(s, w->cfg, &ex, &nex);
	if (!nex)
		add_expect(&ex, &nex, s->projects->n ? s->projects->v[0].name : "library", false, false);
	scopes = xcalloc(nex, sizeof(*scopes));
	for (size_t i = 0; i < nex; i++)
		scopes[i] = xasprintf("repository:%s/" PROBE_REPO ":pull,push", ex[i].project);
	{
		struct berth_err e2 = BERTH_ERR_INIT;

		if (berth_harbor_token(s->harbor, w->login, secret, scopes, nex, &g, &e2)) {
			add_result(r, w, NULL, BERTH_CHECK_ERROR, e2.msg);
			goto targets;
		}
	}
	if (g.anonymous) {
		char when[32];

		if (robot->disable) {
			add_result(r, w, NULL, BERTH_CHECK_DISABLED, "the robot is disabled in Harbor");
		} else if (robot->expires_at != -1 && robot->expires_at <= berth_now()) {
			char *d;

			berth_format_time((time_t)robot->expires_at, when, sizeof(when));
			d = xasprintf("expired at %s", when);
			add_result(r, w, NULL, BERTH_CHECK_EXPIRED, d);
			free(d);
		} else {
			add_result(r, w, NULL, BERTH_CHECK_WRONG_SECRET,
				   "Harbor refuses the stored secret (treats it as anonymous)");
		}
		goto targets;
	}
	for (size_t i = 0; i < nex; i++) {
		char *repo = xasprintf("%s/" PROBE_REPO, ex[i].project);
		const struct berth_token_access *a = berth_token_grant_find(&g, repo);

		if (ex[i].pull && !(a && a->pull))
			berth_buf_addf(&missing, "%spull on %s", missing.len ? ", " : "", ex[i].project);
		if (ex[i].push && !(a && a->push))
			berth_buf_addf(&missing, "%spush on %s", missing.len ? ", " : "", ex[i].project);
		free(repo);
	}
	if (missing.len)
		add_result(r, w, NULL, BERTH_CHECK_MISSING_RIGHTS, missing.buf);
	else
		add_result(r, w, NULL, BERTH_CHECK_OK, NULL);
targets:
	if (s->targets && e && e->secret && published) {
		struct berth_want pw = *w;

		/* Targets carry the published login (for two slots, the published slot's). */
		pw.login = e->name ? e->name : w->login;
		cb.w = w;
		berth_target_check(s->targets, s->registry, &pw, k, e->secret, on_target, &cb);
	}
out:
	for (size_t i = 0; i < nex; i++) {
		free(ex[i].project);
		if (scopes)
			free((char *)scopes[i]);
	}
	free(ex);
	free(scopes);
	berth_token_grant_release(&g);
	berth_buf_release(&missing);
	return ret;
}

static int cmp_result(const void *a, const void *b)
{
	const struct berth_verify_result *x = a, *y = b;
	int c = strcmp(x->login, y->login);

	if (c)
		return c;
	if (!x->target || !y->target)
		return x->target ? 1 : y->target ? -1 : 0;
	return strcmp(x->target, y->target);
}

int berth_verify(struct berth_session *s, struct berth_verify_report *out, struct berth_err *err)
{
	struct verify_run r = { .s = s, .out = out };

	(void)err;
	memset(out, 0, sizeof(*out));
	pthread_mutex_init(&r.lock, NULL);
	berth_exec_run(s->nwants, s->opts.concurrency, verify_job, &r, NULL);
	pthread_mutex_destroy(&r.lock);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_result);
	return 0;
}

void berth_verify_report_release(struct berth_verify_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].robot);
		free(r->v[i].login);
		free(r->v[i].target);
		free(r->v[i].detail);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

void berth_verify_render_text(struct berth_buf *out, const struct berth_verify_report *r)
{
	size_t ok = 0;

	for (size_t i = 0; i < r->n; i++) {
		const struct berth_verify_result *v = &r->v[i];

		if (v->check == BERTH_CHECK_OK)
			ok++;
		berth_buf_addf(out, "%-8s %s (%s)%s%s: %s%s%s\n",
			       v->check == BERTH_CHECK_OK ? "ok" : v->check == BERTH_CHECK_ERROR ? "ERROR" : "FAIL",
			       v->robot, v->login, v->target ? " " : "", v->target ? v->target : "",
			       berth_check_name(v->check), v->detail ? ": " : "", v->detail ? v->detail : "");
	}
	berth_buf_addf(out, "Verify: %zu ok, %zu failed, %zu could not be checked.\n", ok, r->failed, r->errors);
}

void berth_verify_render_json(struct berth_buf *out, const struct berth_verify_report *r)
{
	json_t *arr = json_array(), *root;

	for (size_t i = 0; i < r->n; i++) {
		const struct berth_verify_result *v = &r->v[i];
		json_t *o = json_pack("{s:s, s:s, s:s}", "robot", v->robot, "login", v->login, "result",
				      berth_check_name(v->check));

		if (v->target)
			json_object_set_new(o, "target", json_string(v->target));
		if (v->detail)
			json_object_set_new(o, "detail", json_string(v->detail));
		json_array_append_new(arr, o);
	}
	root = json_pack("{s:i, s:o, s:{s:I, s:I}}", "schema", 1, "checks", arr, "summary", "failed",
			 (json_int_t)r->failed, "errors", (json_int_t)r->errors);
	berth_json_dump(out, root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	berth_buf_addch(out, '\n');
	json_decref(root);
}
