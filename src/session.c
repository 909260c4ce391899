/*
 * session.c - connect, read actual state with list calls, plan, apply.
 */
#include "compat.h"
#include "session.h"
#include "apply.h"
#include "buf.h"
#include "config.h"
#include "err.h"
#include "exec.h"
#include "harbor.h"
#include "http.h"
#include "kube.h"
#include "log.h"
#include "plan.h"
#include "secret.h"
#include "secretref.h"
#include "store.h"
#include "target.h"
#include "util.h"
#include "vault.h"
#include "verify.h"
#include "xalloc.h"

static bool needs_kube(const struct berth_config *cfg, bool store_only)
{
	const struct berth_vault_config *v = &cfg->store.vault;

	if (cfg->store.kind == BERTH_STORE_KUBE)
		return true;
	if (cfg->store.kind == BERTH_STORE_VAULT &&
	    (v->token.kind == BERTH_REF_KUBE || v->role_id.kind == BERTH_REF_KUBE ||
	     v->secret_id.kind == BERTH_REF_KUBE))
		return true;
	if (cfg->harbor.ingress_name && !(store_only && cfg->harbor.registry))
		return true;
	if (store_only)
		return false;
	if (cfg->harbor.password.kind == BERTH_REF_KUBE)
		return true;
	for (size_t i = 0; i < cfg->nrobots; i++)
		if (cfg->robots[i].nsecrets)
			return true;
	return false;
}

static int discover_url(struct berth_session *s, struct berth_err *err)
{
	const struct berth_harbor_config *hc = &s->cfg->harbor;
	char *host = NULL;
	bool tls = false;
	int ret;

	if (hc->url) {
		s->harbor_url = xstrdup(hc->url);
		return 0;
	}
	ret = berth_kube_ingress_host(s->kube, hc->ingress_namespace, hc->ingress_name, &host, &tls, err);
	if (ret)
		return berth_err_prefix(err, "harbor.urlFrom: ingress %s/%s", hc->ingress_namespace,
					hc->ingress_name);
	if (hc->ingress_port)
		s->harbor_url = xasprintf("%s://%s:%ld", tls ? "https" : "http", host, hc->ingress_port);
	else
		s->harbor_url = xasprintf("%s://%s", tls ? "https" : "http", host);
	berth_log_info("harbor", "discovered %s from ingress %s/%s", s->harbor_url, hc->ingress_namespace,
		       hc->ingress_name);
	free(host);
	return 0;
}

static int registry_host(struct berth_session *s, struct berth_err *err)
{
	char *host = NULL, *scheme = NULL;
	long port = 0;
	int ret;

	if (s->cfg->harbor.registry) {
		s->registry = xstrdup(s->cfg->harbor.registry);
		return 0;
	}
	ret = berth_url_split(s->harbor_url, &scheme, &host, &port, NULL, err);
	if (ret)
		return berth_err_prefix(err, "harbor.url");
	if ((!strcmp(scheme, "https") && port == 443) || (!strcmp(scheme, "http") && port == 80))
		s->registry = xstrdup(host);
	else
		s->registry = xasprintf("%s:%ld", host, port);
	free(host);
	free(scheme);
	return 0;
}

static int open_store(struct berth_session *s, struct berth_err *err)
{
	const struct berth_store_config *sc = &s->cfg->store;

	switch (sc->kind) {
	case BERTH_STORE_FILE:
		return berth_store_file_new(&s->store, sc->file_dir, err);
	case BERTH_STORE_VAULT:
		return berth_store_vault_new(&s->store, &sc->vault, s->kube, s->opts.max_retries, err);
	case BERTH_STORE_KUBE:
		return berth_store_kube_new(&s->store, s->kube, sc->kube_namespace, s->cfg->owner, err);
	}
	return berth_err_set(err, BERTH_ECONFIG, "store: unknown kind");
}

int berth_session_open(struct berth_session **out, const struct berth_config *cfg,
		       const struct berth_session_opts *opts, struct berth_err *err)
{
	struct berth_session *s = xcalloc(1, sizeof(*s));
	struct berth_secret *password = NULL;
	struct berth_harbor_opts ho = { 0 };
	int ret;

	*out = NULL;
	s->cfg = cfg;
	if (opts)
		s->opts = *opts;
	else
		s->opts.max_retries = -1;
	if (s->opts.concurrency <= 0)
		s->opts.concurrency = 8;
	if (needs_kube(cfg, s->opts.store_only)) {
		ret = berth_kube_new(&s->kube, &cfg->kube, err);
		if (ret == BERTH_ENOTFOUND)
			ret = berth_err_set(err, BERTH_ECONFIG,
					    "%s: the config uses Kubernetes (discovery, a Secret reference, "
					    "Secret targets or the kubernetes store) but no connection is "
					    "configured: set kubernetes.kubeconfig, KUBECONFIG, or run in a pod",
					    cfg->path);
		if (ret)
			goto fail;
	}
	if (!(s->opts.store_only && cfg->harbor.registry)) {
		ret = discover_url(s, err);
		if (ret)
			goto fail;
	}
	ret = registry_host(s, err);
	if (ret)
		goto fail;
	if (s->opts.store_only)
		goto store;
	ret = berth_secret_ref_resolve(&password, &cfg->harbor.password, s->kube, "harbor.password", err);
	if (ret)
		goto fail;
	ho.url = s->harbor_url;
	ho.username = cfg->harbor.username;
	ho.password = password;
	ho.ca_file = cfg->harbor.ca_file;
	ho.insecure_skip_verify = cfg->harbor.insecure_skip_tls_verify;
	ho.allow_plain_http = cfg->harbor.allow_plain_http;
	ho.timeout_s = cfg->harbor.timeout_s;
	ho.max_retries = s->opts.max_retries;
	ho.retry_base_ms = s->opts.retry_base_ms;
	ret = berth_harbor_new(&s->harbor, &ho, err);
	berth_secret_free(password);
	if (ret)
		goto fail;
store:
	ret = open_store(s, err);
	if (ret)
		goto fail;
	ret = berth_publisher_new(&s->publisher, cfg, s->kube, s->registry, err);
	if (ret)
		goto fail;
	*out = s;
	return 0;
fail:
	berth_session_free(s);
	return ret;
}

static void free_actual(struct berth_session *s)
{
	if (s->projects) {
		berth_project_list_release(s->projects);
		free(s->projects);
		s->projects = NULL;
	}
	berth_robot_list_release(&s->robots);
	for (size_t i = 0; i < s->nwants; i++)
		berth_store_entry_free(s->entries ? s->entries[i] : NULL);
	free(s->entries);
	free(s->unreadable);
	berth_wants_free(s->wants, s->nwants);
	s->entries = NULL;
	s->unreadable = NULL;
	s->wants = NULL;
	s->nwants = 0;
	berth_target_state_free(s->targets);
	s->targets = NULL;
}

void berth_session_free(struct berth_session *s)
{
	if (!s)
		return;
	free_actual(s);
	berth_publisher_free(s->publisher);
	berth_store_free(s->store);
	berth_harbor_free(s->harbor);
	berth_kube_free(s->kube);
	free(s->harbor_url);
	free(s->registry);
	free(s->prefix);
	free(s);
}

/* ---- reading ---------------------------------------------------------- */

struct list_job {
	struct berth_session *s;
	int64_t *project_ids;
	struct berth_robot_list *lists;
};

static int project_robots_job(size_t i, void *payload, struct berth_err *err)
{
	struct list_job *j = payload;

	return berth_harbor_robot_list_project(j->s->harbor, j->project_ids[i], &j->lists[i], 1, err);
}

static int entry_job(size_t i, void *payload, struct berth_err *err)
{
	struct berth_session *s = payload;
	int ret;

	/* Slots of one robot share an entry: read it once. */
	if (i > 0 && !strcmp(s->wants[i].store_path, s->wants[i - 1].store_path))
		return 0;
	ret = berth_store_get(s->store, s->wants[i].store_path, &s->entries[i], err);
	if (ret == BERTH_ENOTFOUND)
		return 0;
	if (ret == BERTH_EPROTO) {
		berth_log_warn("store", "entry '%s' cannot be decoded: %s", s->wants[i].store_path, err->msg);
		s->unreadable[i] = true;
		return 0;
	}
	return ret;
}

static int read_robots(struct berth_session *s, struct berth_err *err)
{
	const struct berth_config *cfg = s->cfg;
	struct list_job j = { .s = s };
	struct berth_err *errs = NULL;
	size_t n = 0;
	int ret;

	ret = berth_harbor_robot_list_system(s->harbor, &s->robots, s->opts.concurrency, err);
	if (ret)
		return ret;
	j.project_ids = xcalloc(s->projects->n + 1, sizeof(*j.project_ids));
	for (size_t i = 0; i < s->projects->n; i++) {
		bool want = s->opts.scan_all_projects;

		for (size_t r = 0; r < cfg->nrobots && !want; r++)
			want = !strcmp(cfg->robots[r].level, "project") &&
			       !strcmp(cfg->robots[r].project, s->projects->v[i].name);
		if (want)
			j.project_ids[n++] = s->projects->v[i].id;
	}
	s->all_projects_scanned = s->opts.scan_all_projects;
	j.lists = xcalloc(n + 1, sizeof(*j.lists));
	errs = xcalloc(n + 1, sizeof(*errs));
	if (berth_exec_run(n, s->opts.concurrency, project_robots_job, &j, errs)) {
		for (size_t i = 0; i < n; i++)
			if (errs[i].code) {
				*err = errs[i];
				ret = errs[i].code;
				break;
			}
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t r = 0; r < j.lists[i].n; r++) {
			struct berth_robot *dst = berth_robot_list_add(&s->robots);

			*dst = j.lists[i].v[r];
		}
		free(j.lists[i].v);
	}
	free(j.lists);
	free(j.project_ids);
	free(errs);
	return ret;
}

/* The store entries of every want, read concurrently. */
static int read_entries(struct berth_session *s, struct berth_err *err)
{
	struct berth_err *errs = xcalloc(s->nwants + 1, sizeof(*errs));
	int ret = 0;

	if (berth_exec_run(s->nwants, s->opts.concurrency, entry_job, s, errs)) {
		for (size_t i = 0; i < s->nwants; i++)
			if (errs[i].code) {
				*err = errs[i];
				ret = errs[i].code;
				break;
			}
	}
	free(errs);
	if (ret)
		return berth_err_prefix(err, "read the store");
	/* Slots share their entry: point the second at a copy of the first. */
	for (size_t i = 1; i < s->nwants; i++)
		if (!s->entries[i] && !strcmp(s->wants[i].store_path, s->wants[i - 1].store_path) &&
		    s->entries[i - 1])
			s->entries[i] = berth_store_entry_dup(s->entries[i - 1]);
	return 0;
}

/*
 * The three services' state is independent once the wants are known:
 * Harbor's projects and robots, the store entries and the targets are read
 * at the same time, each with its own bounded concurrency, so a run waits
 * for the slowest of them rather than for their sum.
 */
enum { READ_HARBOR, READ_STORE, READ_TARGETS, READ_N };

static int read_part(size_t i, void *payload, struct berth_err *err)
{
	struct berth_session *s = payload;
	int ret;

	switch (i) {
	case READ_HARBOR:
		s->projects = xcalloc(1, sizeof(*s->projects));
		ret = berth_harbor_project_list(s->harbor, s->projects, err);
		return ret ? ret : read_robots(s, err);
	case READ_STORE:
		return read_entries(s, err);
	default:
		/* --prune (scan_all_projects) also looks for berth's Secrets in every namespace. */
		return berth_target_state_read(&s->targets, s->publisher, s->wants, s->nwants,
					       s->opts.scan_all_projects, s->opts.concurrency, err);
	}
}

int berth_session_read(struct berth_session *s, struct berth_err *err)
{
	struct berth_err errs[READ_N];
	int ret;

	free_actual(s);
	ret = berth_harbor_whoami(s->harbor, &s->sysadmin, err);
	if (ret)
		return ret;
	if (!s->prefix) {
		if (s->cfg->harbor.robot_name_prefix) {
			s->prefix = xstrdup(s->cfg->harbor.robot_name_prefix);
		} else {
			ret = berth_harbor_robot_prefix(s->harbor, &s->prefix, err);
			if (ret == BERTH_EFORBIDDEN) {
				berth_log_info("harbor", "cannot read the robot name prefix (not an admin); "
							 "assuming 'robot$' (set harbor.robotNamePrefix to be sure)");
				s->prefix = xstrdup("robot$");
			} else if (ret) {
				return ret;
			}
		}
	}
	berth_plan_wants(&s->wants, &s->nwants, s->cfg, s->prefix);
	s->entries = xcalloc(s->nwants + 1, sizeof(*s->entries));
	s->unreadable = xcalloc(s->nwants + 1, sizeof(*s->unreadable));
	/* Errors in the order the reads used to run: Harbor, the store, the targets. */
	if (berth_exec_run(READ_N, READ_N, read_part, s, errs))
		for (size_t i = 0; i < READ_N; i++)
			if (errs[i].code) {
				*err = errs[i];
				return errs[i].code;
			}
	return 0;
}

struct check_job {
	struct berth_session *s;
	bool *refused;
};

static int check_job(size_t k, void *payload, struct berth_err *err)
{
	struct check_job *j = payload;
	const struct berth_want *w = &j->s->wants[k];
	const struct berth_store_entry *e = j->s->entries[k];
	const struct berth_secret *secret;

	if (!e || e->state != BERTH_ENTRY_PRESENT)
		return 0;
	secret = w->slot ? e->slots[berth_slot_index(w->slot)].secret : e->secret;
	if (!secret)
		return 0;
	return berth_verify_credential(j->s, w->login, secret, &j->refused[k], err);
}

int berth_session_check_secrets(struct berth_session *s, bool **refused, struct berth_err *err)
{
	struct check_job j = { .s = s };
	struct berth_err *errs = xcalloc(s->nwants + 1, sizeof(*errs));
	int ret = 0;

	j.refused = xcalloc(s->nwants + 1, sizeof(*j.refused));
	if (berth_exec_run(s->nwants, s->opts.concurrency, check_job, &j, errs))
		for (size_t k = 0; k < s->nwants; k++)
			if (errs[k].code) {
				*err = errs[k];
				ret = errs[k].code;
				break;
			}
	free(errs);
	if (ret) {
		free(j.refused);
		return ret;
	}
	*refused = j.refused;
	return 0;
}

int berth_session_plan(struct berth_session *s, const struct berth_plan_opts *opts,
		       struct berth_plan **out, struct berth_err *err)
{
	struct berth_actual a = {
		.prefix = s->prefix,
		.registry = s->registry,
		.robots = &s->robots,
		.projects = s->projects,
		.all_projects_scanned = s->all_projects_scanned,
		.entries = s->entries,
		.entry_unreadable = s->unreadable,
		.targets = s->targets,
		.now = berth_now(),
	};

	return berth_plan_make(out, s->cfg, &a, opts, err);
}

int berth_session_apply(struct berth_session *s, const struct berth_plan *plan,
			struct berth_apply_report *report, struct berth_err *err)
{
	struct berth_apply_ctx ctx = {
		.cfg = s->cfg,
		.harbor = s->harbor,
		.store = s->store,
		.publisher = s->publisher,
		.entries = s->entries,
		.unreadable = s->unreadable,
		.probe_project = s->projects && s->projects->n ? s->projects->v[0].name : NULL,
		.concurrency = s->opts.concurrency,
	};

	berth_publisher_bind(s->publisher, s->targets);
	berth_publisher_set_concurrency(s->publisher, s->opts.concurrency);
	return berth_apply(&ctx, plan, report, err);
}

char *berth_session_request_counts(const struct berth_session *s)
{
	struct berth_http_stats st;
	struct berth_buf b = BERTH_BUF_INIT;
	uint64_t n;

	if (s->harbor) {
		berth_harbor_get_stats(s->harbor, &st);
		n = 0;
		for (int i = 0; i < 6; i++)
			n += st.by_class[i];
		berth_buf_addf(&b, "harbor=%" PRIu64, n);
	}
	if (s->store && berth_store_vault_client(s->store)) {
		berth_vault_get_stats(berth_store_vault_client(s->store), &st);
		n = 0;
		for (int i = 0; i < 6; i++)
			n += st.by_class[i];
		berth_buf_addf(&b, "%svault=%" PRIu64, b.len ? " " : "", n);
	}
	if (s->kube) {
		berth_kube_get_stats(s->kube, &st);
		n = 0;
		for (int i = 0; i < 6; i++)
			n += st.by_class[i];
		berth_buf_addf(&b, "%skube=%" PRIu64, b.len ? " " : "", n);
	}
	return berth_buf_detach(&b, NULL);
}
