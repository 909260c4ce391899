/*
 * controller.c - one reconcile cycle, leader election on a Lease, and the
 * metrics endpoint of 'berth run'.
 */
#include "compat.h"
#include "controller.h"
#include "apply.h"
#include "buf.h"
#include "config.h"
#include "err.h"
#include "harbor.h"
#include "http.h"
#include "kube.h"
#include "log.h"
#include "plan.h"
#include "session.h"
#include "store.h"
#include "util.h"
#include "vault.h"
#include "verify.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <unistd.h>

/* ---- metrics ----------------------------------------------------------------- */

struct robot_series {
	char *robot;
	char *login;
	int64_t expires_at;
	time_t rotated_at;
	int verify_ok;       /* 1, 0, or -1 unknown */
};

struct berth_metrics {
	struct MHD_Daemon *d;
	unsigned port;
	pthread_mutex_t lock;
	bool ready, leader;
	uint64_t cycles_ok, cycles_failed;
	double last_cycle_s;
	time_t last_cycle_at;
	struct robot_series *robots;
	size_t nrobots;
	struct {
		char service[16];
		uint64_t by_class[6];
	} req[4];
	size_t nreq;
};

static void add_escaped(struct berth_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			berth_buf_addch(b, '\\');
		if (*s == '\n') {
			berth_buf_addstr(b, "\\n");
			continue;
		}
		berth_buf_addch(b, *s);
	}
}

char *berth_metrics_render(struct berth_metrics *m)
{
	static const char *const classes[6] = { "error", "1xx", "2xx", "3xx", "4xx", "5xx" };
	struct berth_buf b = BERTH_BUF_INIT;

	pthread_mutex_lock(&m->lock);
	berth_buf_addstr(&b, "# HELP berth_up 1 while berth run is alive.\n# TYPE berth_up gauge\nberth_up 1\n");
	berth_buf_addf(&b, "# HELP berth_leader 1 when this replica holds the leader Lease (or runs alone).\n"
			   "# TYPE berth_leader gauge\nberth_leader %d\n", m->leader ? 1 : 0);
	berth_buf_addf(&b, "# HELP berth_cycles_total Reconcile cycles by outcome.\n# TYPE berth_cycles_total counter\n"
			   "berth_cycles_total{outcome=\"success\"} %" PRIu64 "\n"
			   "berth_cycles_total{outcome=\"failure\"} %" PRIu64 "\n", m->cycles_ok, m->cycles_failed);
	berth_buf_addf(&b, "# HELP berth_cycle_duration_seconds Duration of the last cycle.\n"
			   "# TYPE berth_cycle_duration_seconds gauge\nberth_cycle_duration_seconds %.3f\n",
		       m->last_cycle_s);
	berth_buf_addf(&b, "# HELP berth_last_cycle_timestamp_seconds When the last cycle ended.\n"
			   "# TYPE berth_last_cycle_timestamp_seconds gauge\nberth_last_cycle_timestamp_seconds %lld\n",
		       (long long)m->last_cycle_at);
	berth_buf_addstr(&b, "# HELP berth_robot_expiry_timestamp_seconds When each robot expires (-1: never).\n"
			     "# TYPE berth_robot_expiry_timestamp_seconds gauge\n");
	for (size_t i = 0; i < m->nrobots; i++) {
		berth_buf_addstr(&b, "berth_robot_expiry_timestamp_seconds{robot=\"");
		add_escaped(&b, m->robots[i].robot);
		berth_buf_addstr(&b, "\",login=\"");
		add_escaped(&b, m->robots[i].login);
		berth_buf_addf(&b, "\"} %" PRId64 "\n", m->robots[i].expires_at);
	}
	berth_buf_addstr(&b, "# HELP berth_robot_last_rotation_timestamp_seconds When each robot's secret was last set.\n"
			     "# TYPE berth_robot_last_rotation_timestamp_seconds gauge\n");
	for (size_t i = 0; i < m->nrobots; i++) {
		if (!m->robots[i].rotated_at)
			continue;
		berth_buf_addstr(&b, "berth_robot_last_rotation_timestamp_seconds{robot=\"");
		add_escaped(&b, m->robots[i].robot);
		berth_buf_addstr(&b, "\",login=\"");
		add_escaped(&b, m->robots[i].login);
		berth_buf_addf(&b, "\"} %lld\n", (long long)m->robots[i].rotated_at);
	}
	berth_buf_addstr(&b, "# HELP berth_robot_verify_ok 1 when the last verify of the robot passed.\n"
			     "# TYPE berth_robot_verify_ok gauge\n");
	for (size_t i = 0; i < m->nrobots; i++) {
		if (m->robots[i].verify_ok < 0)
			continue;
		berth_buf_addstr(&b, "berth_robot_verify_ok{robot=\"");
		add_escaped(&b, m->robots[i].robot);
		berth_buf_addstr(&b, "\",login=\"");
		add_escaped(&b, m->robots[i].login);
		berth_buf_addf(&b, "\"} %d\n", m->robots[i].verify_ok);
	}
	berth_buf_addstr(&b, "# HELP berth_api_requests_total API requests by service and status class.\n"
			     "# TYPE berth_api_requests_total counter\n");
	for (size_t i = 0; i < m->nreq; i++)
		for (int c = 0; c < 6; c++)
			berth_buf_addf(&b, "berth_api_requests_total{service=\"%s\",class=\"%s\"} %" PRIu64 "\n",
				       m->req[i].service, classes[c], m->req[i].by_class[c]);
	pthread_mutex_unlock(&m->lock);
	return berth_buf_detach(&b, NULL);
}

static enum MHD_Result serve(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			     const char *version, const char *upload, size_t *upload_size, void **ptr)
{
	struct berth_metrics *m = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	unsigned status = 200;
	char *body;

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)ptr;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		body = xstrdup("method not allowed\n");
		status = 405;
	} else if (!strcmp(url, "/healthz")) {
		body = xstrdup("ok\n");
	} else if (!strcmp(url, "/readyz")) {
		bool ready;

		pthread_mutex_lock(&m->lock);
		ready = m->ready;
		pthread_mutex_unlock(&m->lock);
		body = xstrdup(ready ? "ready\n" : "not ready\n");
		status = ready ? 200 : 503;
	} else if (!strcmp(url, "/metrics")) {
		body = berth_metrics_render(m);
	} else {
		body = xstrdup("not found\n");
		status = 404;
	}
	r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, "Content-Type", !strcmp(url, "/metrics") && status == 200
							   ? "text/plain; version=0.0.4; charset=utf-8"
							   : "text/plain; charset=utf-8");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

int berth_metrics_start(struct berth_metrics **out, const char *listen, struct berth_err *err)
{
	struct berth_metrics *m;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	const char *colon = strrchr(listen, ':');
	const union MHD_DaemonInfo *info;
	long long port;
	char host[64];

	*out = NULL;
	if (!colon || berth_parse_long(colon + 1, 0, 65535, &port) || (size_t)(colon - listen) >= sizeof(host))
		return berth_err_set(err, BERTH_ECONFIG, "--listen: expected HOST:PORT, not '%s'", listen);
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	if (!*host || !strcmp(host, "0.0.0.0"))
		sa.sin_addr.s_addr = htonl(INADDR_ANY);
	else if (!strcmp(host, "localhost"))
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return berth_err_set(err, BERTH_ECONFIG, "--listen: '%s' is not an IPv4 address", host);
	sa.sin_port = htons((uint16_t)port);
	m = xcalloc(1, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
	m->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, serve, m,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10, MHD_OPTION_END);
	if (!m->d) {
		pthread_mutex_destroy(&m->lock);
		free(m);
		return berth_err_set(err, BERTH_EIO, "cannot listen on %s", listen);
	}
	info = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_BIND_PORT);
	m->port = info ? info->port : (unsigned)port;
	*out = m;
	return 0;
}

void berth_metrics_stop(struct berth_metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->d);
	berth_metrics_reset_robots(m);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

unsigned berth_metrics_port(const struct berth_metrics *m)
{
	return m->port;
}

void berth_metrics_set_ready(struct berth_metrics *m, bool ready)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	m->ready = ready;
	pthread_mutex_unlock(&m->lock);
}

void berth_metrics_set_leader(struct berth_metrics *m, bool leader)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	m->leader = leader;
	pthread_mutex_unlock(&m->lock);
}

void berth_metrics_cycle(struct berth_metrics *m, const struct berth_cycle_result *r)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	if (r->ok)
		m->cycles_ok++;
	else
		m->cycles_failed++;
	m->last_cycle_s = r->seconds;
	m->last_cycle_at = time(NULL);
	pthread_mutex_unlock(&m->lock);
}

void berth_metrics_reset_robots(struct berth_metrics *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < m->nrobots; i++) {
		free(m->robots[i].robot);
		free(m->robots[i].login);
	}
	free(m->robots);
	m->robots = NULL;
	m->nrobots = 0;
	pthread_mutex_unlock(&m->lock);
}

void berth_metrics_robot(struct berth_metrics *m, const char *robot, const char *login, int64_t expires_at,
			 time_t rotated_at, int verify_ok)
{
	struct robot_series *s = NULL;

	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < m->nrobots; i++)
		if (!strcmp(m->robots[i].login, login))
			s = &m->robots[i];
	if (!s) {
		m->robots = xrealloc(m->robots, sizeof(*m->robots) * (m->nrobots + 1));
		s = &m->robots[m->nrobots++];
		s->robot = xstrdup(robot);
		s->login = xstrdup(login);
	}
	s->expires_at = expires_at;
	s->rotated_at = rotated_at;
	s->verify_ok = verify_ok;
	pthread_mutex_unlock(&m->lock);
}

void berth_metrics_requests(struct berth_metrics *m, const char *service, const uint64_t by_class[6])
{
	size_t i;

	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->nreq; i++)
		if (!strcmp(m->req[i].service, service))
			break;
	if (i == m->nreq && m->nreq < BERTH_ARRAY_SIZE(m->req)) {
		snprintf(m->req[i].service, sizeof(m->req[i].service), "%s", service);
		m->nreq++;
	}
	if (i < m->nreq)
		for (int c = 0; c < 6; c++)
			m->req[i].by_class[c] += by_class[c];
	pthread_mutex_unlock(&m->lock);
}

/* ---- one cycle ------------------------------------------------------------------ */

void berth_cycle_result_release(struct berth_cycle_result *r)
{
	free(r->error);
	memset(r, 0, sizeof(*r));
}

static void record(struct berth_metrics *m, struct berth_session *s, const struct berth_verify_report *vr)
{
	for (size_t k = 0; k < s->nwants; k++) {
		const struct berth_want *w = &s->wants[k];
		const struct berth_store_entry *e = s->entries ? s->entries[k] : NULL;
		int64_t expires = -1;
		int ok = -1;

		for (size_t i = 0; i < s->robots.n; i++)
			if (!strcmp(s->robots.v[i].name, w->login))
				expires = s->robots.v[i].expires_at;
		for (size_t i = 0; vr && i < vr->n; i++) {
			if (strcmp(vr->v[i].login, w->login))
				continue;
			if (ok < 0)
				ok = 1;
			if (vr->v[i].check != BERTH_CHECK_OK)
				ok = 0;
		}
		berth_metrics_robot(m, w->cfg->name, w->login, expires, e ? e->rotated_at : 0, ok);
	}
}

static void add_requests(struct berth_metrics *m, const struct berth_session *s)
{
	struct berth_http_stats st;

	if (s->harbor) {
		berth_harbor_get_stats(s->harbor, &st);
		berth_metrics_requests(m, "harbor", st.by_class);
	}
	if (s->kube) {
		berth_kube_get_stats(s->kube, &st);
		berth_metrics_requests(m, "kube", st.by_class);
	}
	if (s->store && berth_store_vault_client(s->store)) {
		berth_vault_get_stats(berth_store_vault_client(s->store), &st);
		berth_metrics_requests(m, "vault", st.by_class);
	}
}

int berth_cycle_run(const struct berth_config *cfg, int concurrency, struct berth_metrics *m,
		    struct berth_cycle_result *out, struct berth_err *err)
{
	struct berth_session_opts so = { .concurrency = concurrency, .max_retries = -1 };
	struct berth_session *s = NULL;
	struct berth_verify_report vr = { 0 };
	struct berth_plan_opts po = { 0 };
	struct berth_plan *plan = NULL;
	struct berth_apply_report rep = { 0 };
	bool *refused = NULL;
	int64_t t0 = berth_mono_ms();
	int ret;

	memset(out, 0, sizeof(*out));
	ret = berth_session_open(&s, cfg, &so, err);
	if (!ret)
		ret = berth_session_read(s, err);
	if (!ret)
		ret = berth_verify(s, &vr, err);
	if (ret)
		goto out;
	/* A secret Harbor refuses is healed in this very cycle. */
	refused = xcalloc(s->nwants + 1, sizeof(*refused));
	for (size_t i = 0; i < vr.n; i++)
		if (!vr.v[i].target && vr.v[i].check == BERTH_CHECK_WRONG_SECRET)
			for (size_t k = 0; k < s->nwants; k++)
				if (!strcmp(s->wants[k].login, vr.v[i].login))
					refused[k] = true;
	po.verify_secrets = true;
	po.secret_refused = refused;
	ret = berth_session_plan(s, &po, &plan, err);
	if (ret)
		goto out;
	if (plan->nerrors) {
		for (size_t i = 0; i < plan->nitems; i++)
			if (plan->items[i].error) {
				ret = berth_err_set(err, BERTH_ECONFIG, "plan error (nothing applied): %s",
						    plan->items[i].error);
				break;
			}
		goto out;
	}
	if (berth_plan_has_changes(plan)) {
		struct berth_buf b = BERTH_BUF_INIT;

		ret = berth_session_apply(s, plan, &rep, err);
		berth_apply_report_render(&b, plan, &rep);
		berth_log_info("run", "%s", b.buf);
		berth_buf_release(&b);
		out->changed = rep.changed;
		out->failed = rep.failed;
		add_requests(m, s);
		if (ret)
			goto out;
		/* Verify what this cycle wrote. */
		berth_verify_report_release(&vr);
		berth_plan_free(plan);
		plan = NULL;
		berth_session_free(s);
		s = NULL;
		ret = berth_session_open(&s, cfg, &so, err);
		if (!ret)
			ret = berth_session_read(s, err);
		if (!ret)
			ret = berth_verify(s, &vr, err);
		if (ret)
			goto out;
	}
	out->verify_failed = vr.failed;
	record(m, s, &vr);
	if (vr.failed)
		ret = berth_err_set(err, BERTH_ERROR, "verify: %zu check%s failed", vr.failed,
				    vr.failed == 1 ? "" : "s");
out:
	if (s && m)
		add_requests(m, s);
	out->ok = !ret;
	out->seconds = (double)(berth_mono_ms() - t0) / 1000.0;
	if (ret)
		out->error = xstrdup(err->msg);
	free(refused);
	berth_apply_report_release(&rep);
	berth_plan_free(plan);
	berth_verify_report_release(&vr);
	berth_session_free(s);
	return ret;
}

/* ---- leader election ------------------------------------------------------------- */

struct berth_leader {
	struct berth_kube *kube;
	char *ns, *name, *identity;
	int64_t lease_s;
	/* what this replica last saw, and when (monotonic) */
	char *seen_rv;
	int64_t seen_at_ms;
};

int berth_leader_new(struct berth_leader **out, struct berth_kube *kube, const struct berth_leader_opts *o,
		     struct berth_err *err)
{
	struct berth_leader *l;
	char host[256] = "berth";

	*out = NULL;
	if (!kube)
		return berth_err_set(err, BERTH_ECONFIG, "--leader-elect needs a Kubernetes connection");
	l = xcalloc(1, sizeof(*l));
	l->kube = kube;
	l->ns = xstrdup(o->ns ? o->ns : berth_kube_default_namespace(kube));
	l->name = xstrdup(o->name ? o->name : "berth");
	if (o->identity) {
		l->identity = xstrdup(o->identity);
	} else {
		gethostname(host, sizeof(host) - 1);
		l->identity = xasprintf("%s-%d", host, (int)getpid());
	}
	l->lease_s = o->lease_s > 0 ? o->lease_s : 15;
	*out = l;
	return 0;
}

void berth_leader_free(struct berth_leader *l)
{
	if (!l)
		return;
	free(l->ns);
	free(l->name);
	free(l->identity);
	free(l->seen_rv);
	free(l);
}

const char *berth_leader_identity(const struct berth_leader *l)
{
	return l->identity;
}

static char *micro_now(void)
{
	struct timespec ts;
	struct tm tm;
	char base[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	return xasprintf("%s.%06ldZ", base, ts.tv_nsec / 1000);
}

int berth_leader_try(struct berth_leader *l, bool *leader, struct berth_err *err)
{
	struct berth_kube_lease lease = { 0 };
	int ret;

	*leader = false;
	ret = berth_kube_lease_get(l->kube, l->ns, l->name, &lease, err);
	if (ret == BERTH_ENOTFOUND) {
		lease.ns = xstrdup(l->ns);
		lease.name = xstrdup(l->name);
		lease.holder = xstrdup(l->identity);
		lease.duration_s = l->lease_s;
		lease.acquire_time = micro_now();
		lease.renew_time = micro_now();
		ret = berth_kube_lease_create(l->kube, &lease, err);
		if (ret == BERTH_EEXISTS) {
			ret = 0; /* another replica won the race */
		} else if (!ret) {
			*leader = true;
			berth_log_info("run", "acquired the leader Lease %s/%s as %s", l->ns, l->name, l->identity);
		}
		goto out;
	}
	if (ret)
		goto out;
	/* Remember when the record last changed, on our own clock. */
	if (!l->seen_rv || !lease.resource_version || strcmp(l->seen_rv, lease.resource_version)) {
		free(l->seen_rv);
		l->seen_rv = xstrdup_or_null(lease.resource_version);
		l->seen_at_ms = berth_mono_ms();
	}
	if (lease.holder && !strcmp(lease.holder, l->identity)) {
		free(lease.renew_time);
		lease.renew_time = micro_now();
		lease.duration_s = l->lease_s;
		ret = berth_kube_lease_update(l->kube, &lease, err);
		if (ret == BERTH_ECONFLICT)
			ret = 0; /* changed under us: we will see who holds it next time */
		else if (!ret)
			*leader = true;
		goto out;
	}
	if (lease.holder && *lease.holder &&
	    berth_mono_ms() - l->seen_at_ms < (lease.duration_s > 0 ? lease.duration_s : l->lease_s) * 1000)
		goto out; /* held by a live replica */
	free(lease.holder);
	lease.holder = xstrdup(l->identity);
	free(lease.acquire_time);
	lease.acquire_time = micro_now();
	free(lease.renew_time);
	lease.renew_time = micro_now();
	lease.duration_s = l->lease_s;
	lease.transitions++;
	ret = berth_kube_lease_update(l->kube, &lease, err);
	if (ret == BERTH_ECONFLICT) {
		ret = 0;
	} else if (!ret) {
		*leader = true;
		berth_log_info("run", "took over the leader Lease %s/%s as %s", l->ns, l->name, l->identity);
	}
out:
	if (!ret && *leader) {
		free(l->seen_rv);
		l->seen_rv = xstrdup_or_null(lease.resource_version);
		l->seen_at_ms = berth_mono_ms();
	}
	berth_kube_lease_release(&lease);
	return ret;
}

int berth_leader_release(struct berth_leader *l, struct berth_err *err)
{
	struct berth_kube_lease lease = { 0 };
	int ret = berth_kube_lease_get(l->kube, l->ns, l->name, &lease, err);

	if (!ret && lease.holder && !strcmp(lease.holder, l->identity)) {
		free(lease.holder);
		lease.holder = xstrdup("");
		lease.duration_s = 1;
		free(lease.renew_time);
		lease.renew_time = micro_now();
		ret = berth_kube_lease_update(l->kube, &lease, err);
		if (!ret)
			berth_log_info("run", "released the leader Lease %s/%s", l->ns, l->name);
	}
	berth_kube_lease_release(&lease);
	return ret;
}
