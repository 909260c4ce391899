/*
 * target.c - publish credentials to dockerconfigjson Secrets and docker
 * config.json files: read their state with one labelled list per
 * namespace, plan each target purely, write only what differs.
 *
 * DESIGN
 * berth's Secrets carry labels (managed-by, owner, robot), so one list per
 * namespace with a label selector finds all of them. A Secret of the same
 * name that berth did not create is invisible to that list; creating over
 * it fails with AlreadyExists, and then berth takes it over only when the
 * target says adopt: true. Updates use the resourceVersion read; a
 * conflict is retried from a fresh read.
 */
#include "compat.h"
#include "target.h"
#include "buf.h"
#include "codec.h"
#include "config.h"
#include "err.h"
#include "exec.h"
#include "json.h"
#include "kube.h"
#include "log.h"
#include "plan.h"
#include "secret.h"
#include "util.h"
#include "xalloc.h"

#include <pthread.h>

#define DOCKERCFG_TYPE "kubernetes.io/dockerconfigjson"
#define DOCKERCFG_KEY ".dockerconfigjson"

struct ns_state {
	char *ns;
	struct berth_kube_secret_list secrets;
	char *error;          /* the list failed: why */
};

struct file_state {
	char *path;
	bool exists;
	struct berth_buf content;
	char *error;
};

struct resolved_secret {
	char *ns;
	const struct berth_secret_target *t;
};

struct want_targets {
	struct resolved_secret *v;
	size_t n;
	char *error;          /* a namespace selector could not be resolved */
};

struct berth_target_state {
	struct ns_state *ns;  /* sorted by ns */
	size_t nns;
	struct file_state *files;
	size_t nfiles;
	struct want_targets *per_want;
	size_t nwants;
	const struct berth_want *wants;
	bool cluster_wide;    /* ns[] came from one cluster-wide list (prune) */
};

struct berth_publisher {
	const struct berth_config *cfg;
	struct berth_kube *kube;
	char *registry;
	int concurrency;             /* > 1: a robot's Secrets are written at the same time */
	struct berth_target_state *state;
	pthread_mutex_t file_lock;
};

int berth_publisher_new(struct berth_publisher **out, const struct berth_config *cfg,
			struct berth_kube *kube, const char *registry, struct berth_err *err)
{
	struct berth_publisher *p = xcalloc(1, sizeof(*p));

	(void)err;
	p->cfg = cfg;
	p->kube = kube;
	p->registry = xstrdup(registry);
	pthread_mutex_init(&p->file_lock, NULL);
	*out = p;
	return 0;
}

void berth_publisher_free(struct berth_publisher *p)
{
	if (!p)
		return;
	free(p->registry);
	pthread_mutex_destroy(&p->file_lock);
	free(p);
}

void berth_publisher_bind(struct berth_publisher *p, struct berth_target_state *state)
{
	p->state = state;
}

void berth_publisher_set_concurrency(struct berth_publisher *p, int concurrency)
{
	p->concurrency = concurrency;
}

/* ---- docker config.json ------------------------------------------------ */

static json_t *auth_entry(const char *user, const struct berth_secret *secret)
{
	struct berth_buf plain = BERTH_BUF_INIT, b64 = BERTH_BUF_INIT;
	size_t len;
	const char *s = berth_secret_reveal(secret, &len);
	json_t *o;

	berth_buf_addstr(&plain, user);
	berth_buf_addch(&plain, ':');
	berth_buf_add(&plain, s, len);
	berth_base64_encode(&b64, plain.buf, plain.len);
	o = json_pack("{s:s, s:s, s:s}", "auth", b64.buf, "username", user, "password", s);
	berth_buf_wipe(&plain);
	berth_buf_wipe(&b64);
	return o;
}

static bool is_utf8(const char *s, size_t len)
{
	json_t *j = json_stringn(s, len); /* jansson checks the encoding */

	json_decref(j);
	return j != NULL;
}

/*
 * What a config.json entry can carry. JSON text is UTF-8; docker splits
 * auth at the first ':', drops NULs from the password and refuses the whole
 * file when the user is empty - so such a credential would read back as
 * another one, or break every other registry of the file.
 */
static int check_credential(const char *registry, const char *user, const struct berth_secret *secret,
			    struct berth_err *err)
{
	size_t len;
	const char *s = berth_secret_reveal(secret, &len);

	if (!is_utf8(registry, strlen(registry)))
		return berth_err_set(err, BERTH_EINVALID, "config.json: the registry name is not UTF-8");
	if (!*user || !is_utf8(user, strlen(user)))
		return berth_err_set(err, BERTH_EINVALID, "config.json: the user name for '%s' is %s", registry,
				     *user ? "not UTF-8" : "empty");
	if (strchr(user, ':'))
		return berth_err_set(err, BERTH_EINVALID,
				     "config.json: user '%s' holds ':', which docker would read as the secret",
				     user);
	if (memchr(s, '\0', len) || !is_utf8(s, len))
		return berth_err_set(err, BERTH_EINVALID,
				     "config.json: the secret of '%s' holds a NUL byte or is not UTF-8", user);
	return 0;
}

int berth_dockercfg_render(struct berth_buf *out, const char *registry, const char *user,
			   const struct berth_secret *secret, struct berth_err *err)
{
	json_t *root;
	int ret = check_credential(registry, user, secret, err);

	if (ret)
		return ret;
	root = json_pack("{s:{s:o}}", "auths", registry, auth_entry(user, secret));
	if (berth_json_dump(out, root, JSON_COMPACT | JSON_SORT_KEYS))
		BERTH_BUG("cannot render config.json");
	json_decref(root);
	return 0;
}

/*
 * Parse a config.json berth may merge into: blank text is an empty object;
 * anything else must be a JSON object whose 'auths', if present, is an
 * object. *out is a new reference. BERTH_EPROTO otherwise.
 */
static int dockercfg_parse(json_t **out, const char *text, size_t len, struct berth_err *err)
{
	json_t *root = NULL, *auths;
	size_t i = 0;
	int ret;

	*out = NULL;
	while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t' || text[i] == '\r'))
		i++;
	if (i == len) {
		*out = json_object();
		return 0;
	}
	ret = berth_json_parse(&root, text, len, "config.json", err);
	if (ret)
		return ret;
	if (!json_is_object(root)) {
		json_decref(root);
		return berth_err_set(err, BERTH_EPROTO, "config.json is not a JSON object");
	}
	auths = json_object_get(root, "auths");
	if (auths && !json_is_object(auths)) {
		json_decref(root);
		return berth_err_set(err, BERTH_EPROTO, "config.json: 'auths' is not an object");
	}
	*out = root;
	return 0;
}

int berth_dockercfg_merge(struct berth_buf *out, const char *existing, size_t len,
			  const char *registry, const char *user, const struct berth_secret *secret,
			  struct berth_err *err)
{
	json_t *root = NULL, *auths;
	int ret = check_credential(registry, user, secret, err);

	if (ret)
		return ret;
	ret = dockercfg_parse(&root, existing, len, err);
	if (ret)
		return ret;
	auths = json_object_get(root, "auths");
	if (!auths) {
		auths = json_object();
		json_object_set_new(root, "auths", auths);
	}
	json_object_set_new(auths, registry, auth_entry(user, secret));
	if (berth_json_dump(out, root, JSON_INDENT(2) | JSON_SORT_KEYS))
		BERTH_BUG("cannot render config.json");
	berth_buf_addch(out, '\n');
	json_decref(root);
	return 0;
}

static const char *strip_scheme(const char *s)
{
	if (berth_starts_with(s, "https://"))
		return s + 8;
	if (berth_starts_with(s, "http://"))
		return s + 7;
	return s;
}

static bool host_matches(const char *key, const char *registry)
{
	const char *k = strip_scheme(key);
	size_t n = strcspn(k, "/");

	return strlen(registry) == n && !strncmp(k, registry, n);
}

int berth_dockercfg_lookup(const char *text, size_t len, const char *registry, char **user,
			   struct berth_secret **secret, struct berth_err *err)
{
	json_t *root = NULL, *auths, *entry = NULL, *v;
	struct berth_buf dec = BERTH_BUF_INIT;
	const char *key, *auth;
	int ret = 0;

	*user = NULL;
	*secret = NULL;
	ret = berth_json_parse(&root, text, len, "config.json", err);
	if (ret)
		return ret;
	auths = berth_json_obj(root, "auths");
	if (!json_is_object(root) || (json_object_get(root, "auths") && !auths)) {
		ret = berth_err_set(err, BERTH_EPROTO, "config.json: not an object with an 'auths' object");
		goto out;
	}
	entry = auths ? json_object_get(auths, registry) : NULL;
	if (!entry && auths)
		json_object_foreach(auths, key, v)
			if (host_matches(key, registry)) {
				entry = v;
				break;
			}
	if (!entry) {
		ret = berth_err_set(err, BERTH_ENOTFOUND, "config.json has no entry for '%s'", registry);
		goto out;
	}
	auth = berth_json_str(entry, "auth");
	if (auth && *auth) {
		char *colon;

		if (berth_base64_decode(&dec, auth, strlen(auth), false)) {
			ret = berth_err_set(err, BERTH_EPROTO, "config.json: '%s': auth is not base64", registry);
			goto out;
		}
		colon = memchr(dec.buf, ':', dec.len);
		if (!colon || colon == dec.buf) {
			ret = berth_err_set(err, BERTH_EPROTO,
					    "config.json: '%s': auth does not decode to user:password", registry);
			goto out;
		}
		*user = xstrndup(dec.buf, (size_t)(colon - dec.buf));
		*secret = berth_secret_new(colon + 1, dec.len - (size_t)(colon - dec.buf) - 1);
	} else if (berth_json_str(entry, "username") && *berth_json_str(entry, "username") &&
		   berth_json_str(entry, "password")) {
		*user = xstrdup(berth_json_str(entry, "username"));
		*secret = berth_secret_from_str(berth_json_str(entry, "password"));
	} else {
		ret = berth_err_set(err, BERTH_EPROTO,
				    "config.json: '%s' has neither auth nor a username and password", registry);
	}
out:
	berth_buf_wipe(&dec);
	json_decref(root);
	return ret;
}

/* ---- reading ------------------------------------------------------------- */

/*
 * berth's published Secrets: its labels with the owner, and a robot label.
 * The kubernetes store's own Secrets carry no robot label, so they never
 * look like targets (nor like orphans for --prune).
 */
static char *owner_selector(const char *owner)
{
	return xasprintf(BERTH_LABEL_MANAGED_BY "=berth,"
			 BERTH_LABEL_OWNER "=%s,"
			 BERTH_LABEL_ROBOT, owner);
}

static char *selector_text(const struct berth_secret_target *t)
{
	struct berth_buf b = BERTH_BUF_INIT;

	for (size_t i = 0; i < t->nselector; i++)
		berth_buf_addf(&b, "%s%s=%s", i ? "," : "", t->selector[i].key, t->selector[i].value);
	return berth_buf_detach(&b, NULL);
}

static int cmp_ns(const void *a, const void *b)
{
	return strcmp(((const struct ns_state *)a)->ns, ((const struct ns_state *)b)->ns);
}

static struct ns_state *find_ns(const struct berth_target_state *s, const char *ns)
{
	struct ns_state key = { .ns = (char *)ns };

	return s->nns ? bsearch(&key, s->ns, s->nns, sizeof(*s->ns), cmp_ns) : NULL;
}

static struct file_state *find_file(const struct berth_target_state *s, const char *path)
{
	for (size_t i = 0; i < s->nfiles; i++)
		if (!strcmp(s->files[i].path, path))
			return &s->files[i];
	return NULL;
}

struct read_job {
	struct berth_publisher *p;
	struct berth_target_state *s;
	char *selector;
};

static int cmp_secret_name(const void *a, const void *b)
{
	return strcmp(((const struct berth_kube_secret *)a)->name, ((const struct berth_kube_secret *)b)->name);
}

static int ns_job(size_t i, void *payload, struct berth_err *err)
{
	struct read_job *j = payload;
	struct ns_state *ns = &j->s->ns[i];
	struct berth_err e = BERTH_ERR_INIT;

	(void)err;
	if (berth_kube_secret_list(j->p->kube, ns->ns, j->selector, &ns->secrets, &e)) {
		/* Reported per target; other namespaces go on. */
		ns->error = xstrdup(e.msg);
		berth_log_warn("kube", "%s", e.msg);
	}
	/* Names are unique in a namespace: sorted, find_secret() is a binary search. */
	if (ns->secrets.n > 1)
		qsort(ns->secrets.v, ns->secrets.n, sizeof(*ns->secrets.v), cmp_secret_name);
	return 0;
}

static void add_ns(struct berth_target_state *s, size_t *alloc, const char *ns)
{
	for (size_t i = 0; i < s->nns; i++)
		if (!strcmp(s->ns[i].ns, ns))
			return;
	BERTH_ALLOC_GROW(s->ns, s->nns + 1, *alloc);
	memset(&s->ns[s->nns], 0, sizeof(s->ns[s->nns]));
	s->ns[s->nns++].ns = xstrdup(ns);
}

/*
 * One cluster-wide labelled list instead of one per namespace, so that
 * berth's Secrets in namespaces no target names any more are seen too.
 * Returns false (after a warning) when it cannot be read: the caller then
 * lists the named namespaces one by one.
 */
static bool read_cluster_wide(struct berth_target_state *s, size_t *nsalloc,
			      struct berth_publisher *p, const char *selector)
{
	struct berth_kube_secret_list all = { 0 };
	struct berth_err e = BERTH_ERR_INIT;

	if (berth_kube_secret_list(p->kube, NULL, selector, &all, &e)) {
		berth_log_warn("kube", "cannot list Secrets in all namespaces, so orphans in "
				       "namespaces no target names are not seen (%s)", e.msg);
		berth_kube_secret_list_release(&all);
		return false;
	}
	for (size_t i = 0; i < all.n; i++) {
		struct ns_state *ns;

		add_ns(s, nsalloc, all.v[i].ns);
		for (ns = s->ns; strcmp(ns->ns, all.v[i].ns); ns++)
			;
		/* The Secret moves into its namespace's list. */
		BERTH_ALLOC_GROW(ns->secrets.v, ns->secrets.n + 1, ns->secrets.alloc);
		ns->secrets.v[ns->secrets.n++] = all.v[i];
	}
	free(all.v);
	s->cluster_wide = true;
	return true;
}

int berth_target_state_read(struct berth_target_state **out, struct berth_publisher *p,
			    const struct berth_want *wants, size_t nwants, bool all_namespaces,
			    int concurrency, struct berth_err *err)
{
	struct berth_target_state *s = xcalloc(1, sizeof(*s));
	struct read_job j = { .p = p, .s = s };
	size_t nsalloc = 0, falloc = 0;
	int ret = 0;

	*out = NULL;
	s->wants = wants;
	s->nwants = nwants;
	s->per_want = xcalloc(nwants + 1, sizeof(*s->per_want));
	for (size_t k = 0; k < nwants; k++) {
		const struct berth_robot_config *rc = wants[k].cfg;
		struct want_targets *wt = &s->per_want[k];

		/* Two slots publish through their robot's one set of targets: resolve it once. */
		if (k > 0 && wants[k - 1].cfg == rc)
			continue;
		if (rc->nsecrets && !p->kube) {
			berth_target_state_free(s);
			return berth_err_set(err, BERTH_ECONFIG, "robot '%s' publishes Secrets but there is "
								  "no Kubernetes connection", rc->name);
		}
		for (size_t t = 0; t < rc->nsecrets; t++) {
			const struct berth_secret_target *st = &rc->secrets[t];

			if (st->ns) {
				wt->v = xrealloc(wt->v, sizeof(*wt->v) * (wt->n + 1));
				wt->v[wt->n].ns = xstrdup(st->ns);
				wt->v[wt->n++].t = st;
				add_ns(s, &nsalloc, st->ns);
			} else {
				char *sel = selector_text(st);
				char **names = NULL;
				size_t n = 0;
				struct berth_err e = BERTH_ERR_INIT;

				if (berth_kube_namespace_list(p->kube, sel, &names, &n, &e)) {
					free(wt->error);
					wt->error = xasprintf("namespaceSelector %s: %s", sel, e.msg);
				}
				for (size_t i = 0; i < n; i++) {
					wt->v = xrealloc(wt->v, sizeof(*wt->v) * (wt->n + 1));
					wt->v[wt->n].ns = names[i];
					wt->v[wt->n++].t = st;
					add_ns(s, &nsalloc, names[i]);
				}
				free(names);
				free(sel);
			}
		}
		for (size_t f = 0; f < rc->nfiles; f++) {
			const char *path = rc->files[f].path;
			struct berth_err e = BERTH_ERR_INIT;
			struct file_state *fs;

			if (find_file(s, path))
				continue;
			BERTH_ALLOC_GROW(s->files, s->nfiles + 1, falloc);
			fs = &s->files[s->nfiles++];
			memset(fs, 0, sizeof(*fs));
			fs->path = xstrdup(path);
			berth_buf_init(&fs->content);
			ret = berth_file_read(&fs->content, path, 1 << 20, &e);
			if (!ret)
				fs->exists = true;
			else if (ret != BERTH_ENOTFOUND)
				fs->error = xstrdup(e.msg);
			ret = 0;
		}
	}
	j.selector = owner_selector(p->cfg->owner);
	if (all_namespaces && p->kube && read_cluster_wide(s, &nsalloc, p, j.selector)) {
		qsort(s->ns, s->nns, sizeof(*s->ns), cmp_ns);
	} else if (s->nns) {
		qsort(s->ns, s->nns, sizeof(*s->ns), cmp_ns);
		berth_exec_run(s->nns, concurrency, ns_job, &j, NULL);
	}
	free(j.selector);
	*out = s;
	return ret;
}

void berth_target_state_free(struct berth_target_state *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nns; i++) {
		free(s->ns[i].ns);
		free(s->ns[i].error);
		berth_kube_secret_list_release(&s->ns[i].secrets);
	}
	free(s->ns);
	for (size_t i = 0; i < s->nfiles; i++) {
		free(s->files[i].path);
		free(s->files[i].error);
		berth_buf_wipe(&s->files[i].content);
	}
	free(s->files);
	for (size_t k = 0; k < s->nwants; k++) {
		for (size_t i = 0; i < s->per_want[k].n; i++)
			free(s->per_want[k].v[i].ns);
		free(s->per_want[k].v);
		free(s->per_want[k].error);
	}
	free(s->per_want);
	free(s);
}

/* ---- planning ------------------------------------------------------------ */

static void add_action(struct berth_target_action **a, size_t *n, enum berth_target_op op, bool is_file,
		       const char *ns, const char *name, const char *path, const char *why)
{
	struct berth_target_action *t;

	*a = xrealloc(*a, sizeof(**a) * (*n + 1));
	t = &(*a)[(*n)++];
	memset(t, 0, sizeof(*t));
	t->op = op;
	t->is_file = is_file;
	t->ns = xstrdup_or_null(ns);
	t->name = xstrdup_or_null(name);
	t->path = xstrdup_or_null(path);
	t->why = xstrdup_or_null(why);
}

void berth_target_actions_free(struct berth_target_action *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(a[i].ns);
		free(a[i].name);
		free(a[i].path);
		free(a[i].why);
	}
	free(a);
}

/* A Secret of a namespace by name; the list is sorted by name (ns_job). */
static const struct berth_kube_secret *find_secret(const struct ns_state *ns, const char *name)
{
	struct berth_kube_secret key = { .name = (char *)name };

	return ns->secrets.n ? bsearch(&key, ns->secrets.v, ns->secrets.n, sizeof(*ns->secrets.v),
				       cmp_secret_name) : NULL;
}

static bool secret_up_to_date(const struct berth_kube_secret *ks, const struct berth_buf *want,
			      const char *robot, const char *login, const char *tekton, const char **why)
{
	const struct berth_secret *data = berth_kube_secret_data(ks, DOCKERCFG_KEY);
	const char *ann;
	char hash[65];
	size_t len;
	const char *bytes = berth_secret_reveal(data, &len);

	if (!ks->type || strcmp(ks->type, DOCKERCFG_TYPE)) {
		*why = "wrong type";
		return false;
	}
	if (!data || len != want->len || memcmp(bytes, want->buf, len)) {
		*why = "content differs";
		return false;
	}
	if (!berth_kube_secret_label(ks, BERTH_LABEL_ROBOT) ||
	    strcmp(berth_kube_secret_label(ks, BERTH_LABEL_ROBOT), robot)) {
		*why = "carried another robot";
		return false;
	}
	ann = berth_kube_secret_annotation(ks, BERTH_ANNOTATION_LOGIN);
	if (!ann || strcmp(ann, login)) {
		*why = "annotations differ";
		return false;
	}
	/* The hash is what readers of the annotation trust: it must match the data. */
	berth_sha256_hex(want->buf, want->len, hash);
	ann = berth_kube_secret_annotation(ks, BERTH_ANNOTATION_HASH);
	if (!ann || strcmp(ann, hash)) {
		*why = "content hash annotation differs";
		return false;
	}
	ann = berth_kube_secret_annotation(ks, BERTH_ANNOTATION_TEKTON);
	if ((tekton && (!ann || strcmp(ann, tekton))) || (!tekton && ann)) {
		*why = "tekton annotation differs";
		return false;
	}
	return true;
}

void berth_target_plan(const struct berth_target_state *s, const struct berth_config *cfg,
		       const char *registry, const struct berth_want *w, size_t k,
		       const struct berth_secret *secret, bool prune,
		       struct berth_target_action **actions, size_t *n)
{
	const struct berth_robot_config *rc = w->cfg;
	const struct want_targets *wt;
	struct berth_buf want = BERTH_BUF_INIT;
	struct berth_err bad = BERTH_ERR_INIT;
	char *tekton = xasprintf("https://%s", registry);

	(void)cfg;
	(void)prune;
	/* Slots share their robot's targets, resolved on the first slot. */
	while (k > 0 && s->wants[k - 1].cfg == rc)
		k--;
	wt = &s->per_want[k];
	if (secret)
		berth_dockercfg_render(&want, registry, w->login, secret, &bad);
	if (wt->error)
		add_action(actions, n, BERTH_TARGET_UPDATE, false, "?", "?", NULL, wt->error);
	for (size_t i = 0; i < wt->n; i++) {
		const struct resolved_secret *r = &wt->v[i];
		const struct ns_state *ns = find_ns(s, r->ns);
		const struct berth_kube_secret *ks = ns ? find_secret(ns, r->t->name) : NULL;
		const char *why = NULL;

		if (ns && ns->error)
			add_action(actions, n, BERTH_TARGET_UPDATE, false, r->ns, r->t->name, NULL, ns->error);
		else if (bad.code)
			add_action(actions, n, BERTH_TARGET_ERROR, false, r->ns, r->t->name, NULL, bad.msg);
		else if (!ks)
			add_action(actions, n, BERTH_TARGET_CREATE, false, r->ns, r->t->name, NULL, NULL);
		else if (!secret)
			add_action(actions, n, BERTH_TARGET_UPDATE, false, r->ns, r->t->name, NULL, "new secret");
		else if (!secret_up_to_date(ks, &want, rc->name, w->login,
					    r->t->tekton_annotation ? tekton : NULL, &why))
			add_action(actions, n, BERTH_TARGET_UPDATE, false, r->ns, r->t->name, NULL, why);
		else
			add_action(actions, n, BERTH_TARGET_OK, false, r->ns, r->t->name, NULL, NULL);
	}
	for (size_t f = 0; f < rc->nfiles; f++) {
		const struct file_state *fs = find_file(s, rc->files[f].path);
		char *user = NULL;
		struct berth_secret *have = NULL;
		struct berth_err e = BERTH_ERR_INIT;

		if (!fs || fs->error || bad.code) {
			add_action(actions, n, BERTH_TARGET_ERROR, true, NULL, NULL, rc->files[f].path,
				   bad.code ? bad.msg : fs ? fs->error : "not read");
			continue;
		}
		if (!fs->exists) {
			add_action(actions, n, BERTH_TARGET_CREATE, true, NULL, NULL, fs->path, NULL);
			continue;
		}
		/* Malformed: never clobber a file we cannot read. Blank counts as empty. */
		{
			json_t *doc = NULL;

			if (dockercfg_parse(&doc, fs->content.buf, fs->content.len, &e)) {
				add_action(actions, n, BERTH_TARGET_ERROR, true, NULL, NULL,
					   fs->path, e.msg);
				continue;
			}
			json_decref(doc);
		}
		switch (berth_dockercfg_lookup(fs->content.buf, fs->content.len, registry, &user, &have, &e)) {
		case 0:
			if (!secret)
				add_action(actions, n, BERTH_TARGET_UPDATE, true, NULL, NULL, fs->path, "new secret");
			else if (strcmp(user, w->login) || !berth_secret_equal(have, secret))
				add_action(actions, n, BERTH_TARGET_UPDATE, true, NULL, NULL, fs->path,
					   "credential differs");
			else
				add_action(actions, n, BERTH_TARGET_OK, true, NULL, NULL, fs->path, NULL);
			break;
		case BERTH_ENOTFOUND:
			add_action(actions, n, BERTH_TARGET_UPDATE, true, NULL, NULL, fs->path,
				   "no entry for this registry");
			break;
		default:
			/* The document is sound but our entry is not: replace the entry. */
			add_action(actions, n, BERTH_TARGET_UPDATE, true, NULL, NULL, fs->path,
				   e.msg);
		}
		free(user);
		berth_secret_free(have);
	}
	berth_buf_wipe(&want);
	free(tekton);
}

/* A wanted Secret, (namespace, name), for the orphan search. */
struct wanted_secret {
	const char *ns;
	const char *name;
};

static int cmp_wanted(const void *a, const void *b)
{
	const struct wanted_secret *x = a, *y = b;
	int c = strcmp(x->ns, y->ns);

	return c ? c : strcmp(x->name, y->name);
}

void berth_target_orphans(const struct berth_target_state *s, const char *owner,
			  struct berth_target_action **actions, size_t *n)
{
	struct wanted_secret *wanted = NULL;
	size_t nwanted = 0, awanted = 0;

	(void)owner;
	/* Every target of every want, sorted: each listed Secret is one binary search. */
	for (size_t k = 0; k < s->nwants; k++)
		for (size_t t = 0; t < s->per_want[k].n; t++) {
			BERTH_ALLOC_GROW(wanted, nwanted + 1, awanted);
			wanted[nwanted].ns = s->per_want[k].v[t].ns;
			wanted[nwanted].name = s->per_want[k].v[t].t->name;
			nwanted++;
		}
	if (nwanted > 1)
		qsort(wanted, nwanted, sizeof(*wanted), cmp_wanted);
	for (size_t i = 0; i < s->nns; i++) {
		const struct ns_state *ns = &s->ns[i];

		for (size_t j = 0; j < ns->secrets.n; j++) {
			const struct berth_kube_secret *ks = &ns->secrets.v[j];
			struct wanted_secret key = { .ns = ks->ns, .name = ks->name };

			/* Only what berth publishes: never a store entry, whatever its labels. */
			if (!ks->type || strcmp(ks->type, DOCKERCFG_TYPE) ||
			    berth_kube_secret_annotation(ks, BERTH_ANNOTATION_STORE_PATH))
				continue;
			if (!nwanted || !bsearch(&key, wanted, nwanted, sizeof(*wanted), cmp_wanted))
				add_action(actions, n, BERTH_TARGET_DELETE, false, ks->ns, ks->name, NULL,
					   "no robot publishes to it");
		}
	}
	free(wanted);
}

static void check_config(const char *text, size_t len, const char *registry, const char *login,
			 const struct berth_secret *secret, const char *target,
			 berth_target_check_fn *fn, void *payload)
{
	struct berth_err e = BERTH_ERR_INIT;
	char *user = NULL;
	struct berth_secret *have = NULL;
	int ret = berth_dockercfg_lookup(text, len, registry, &user, &have, &e);

	if (ret == BERTH_ENOTFOUND)
		fn(payload, target, 1, "no entry for the registry");
	else if (ret)
		fn(payload, target, 1, e.msg);
	else if (strcmp(user, login))
		fn(payload, target, 1, "carries another robot's login");
	else if (!berth_secret_equal(have, secret))
		fn(payload, target, 1, "carries an old secret");
	else
		fn(payload, target, 0, NULL);
	free(user);
	berth_secret_free(have);
}

void berth_target_check(const struct berth_target_state *s, const char *registry,
			const struct berth_want *w, size_t k, const struct berth_secret *secret,
			berth_target_check_fn *fn, void *payload)
{
	const struct berth_robot_config *rc = w->cfg;
	const struct want_targets *wt;

	while (k > 0 && s->wants[k - 1].cfg == rc)
		k--;
	wt = &s->per_want[k];
	if (wt->error)
		fn(payload, "Secret selector", 2, wt->error);
	for (size_t i = 0; i < wt->n; i++) {
		const struct resolved_secret *r = &wt->v[i];
		const struct ns_state *ns = find_ns(s, r->ns);
		const struct berth_kube_secret *ks = ns ? find_secret(ns, r->t->name) : NULL;
		char *name = xasprintf("Secret %s/%s", r->ns, r->t->name);
		const struct berth_secret *data = ks ? berth_kube_secret_data(ks, DOCKERCFG_KEY) : NULL;

		if (ns && ns->error)
			fn(payload, name, 2, ns->error);
		else if (!ks)
			fn(payload, name, 1, "missing (or not labelled as berth's)");
		else if (!data)
			fn(payload, name, 1, "has no .dockerconfigjson");
		else {
			size_t len;
			const char *text = berth_secret_reveal(data, &len);

			check_config(text, len, registry, w->login, secret, name, fn, payload);
		}
		free(name);
	}
	for (size_t f = 0; f < rc->nfiles; f++) {
		const struct file_state *fs = find_file(s, rc->files[f].path);
		char *name = xasprintf("file %s", rc->files[f].path);

		if (!fs || fs->error)
			fn(payload, name, 2, fs && fs->error ? fs->error : "not read");
		else if (!fs->exists)
			fn(payload, name, 1, "missing");
		else
			check_config(fs->content.buf, fs->content.len, registry, w->login, secret, name, fn,
				     payload);
		free(name);
	}
}

/* ---- publishing ------------------------------------------------------------ */

void berth_target_secret_fill(struct berth_kube_secret *ks, const char *owner,
			      const char *registry, const char *robot, const char *login,
			      bool tekton, const struct berth_buf *bytes)
{
	struct berth_secret *v = berth_secret_new(bytes->buf, bytes->len);
	char hash[65];

	free(ks->type);
	ks->type = xstrdup(DOCKERCFG_TYPE);
	berth_kube_secret_set_label(ks, BERTH_LABEL_MANAGED_BY, "berth");
	berth_kube_secret_set_label(ks, BERTH_LABEL_OWNER, owner);
	berth_kube_secret_set_label(ks, BERTH_LABEL_ROBOT, robot);
	berth_sha256_hex(bytes->buf, bytes->len, hash);
	berth_kube_secret_set_annotation(ks, BERTH_ANNOTATION_HASH, hash);
	berth_kube_secret_set_annotation(ks, BERTH_ANNOTATION_LOGIN, login);
	if (tekton) {
		char *url = xasprintf("https://%s", registry);

		berth_kube_secret_set_annotation(ks, BERTH_ANNOTATION_TEKTON, url);
		free(url);
	} else {
		berth_kube_secret_set_annotation(ks, BERTH_ANNOTATION_TEKTON, NULL);
	}
	berth_kube_secret_set_data(ks, DOCKERCFG_KEY, v);
	berth_secret_free(v);
}

static void fill_secret(struct berth_kube_secret *ks, const struct berth_publisher *p,
			const struct berth_want *w, const struct berth_secret_target *t,
			const struct berth_buf *bytes)
{
	berth_target_secret_fill(ks, p->cfg->owner, p->registry, w->cfg->name, w->login,
				 t->tekton_annotation, bytes);
}

static bool is_ours(const struct berth_kube_secret *ks, const char *owner)
{
	const char *m = berth_kube_secret_label(ks, BERTH_LABEL_MANAGED_BY);
	const char *o = berth_kube_secret_label(ks, BERTH_LABEL_OWNER);

	return m && !strcmp(m, "berth") && o && !strcmp(o, owner);
}

/* Create or update one Secret, following conflicts and foreign objects. */
static int publish_secret(struct berth_publisher *p, const struct berth_want *w,
			  const struct berth_secret_target *t, const char *ns,
			  const struct berth_kube_secret *seen, const struct berth_buf *bytes,
			  bool *created, struct berth_err *err)
{
	struct berth_kube_secret ks = { 0 };
	int ret = 0;

	*created = false;
	for (int attempt = 0; attempt < 4; attempt++) {
		berth_kube_secret_release(&ks);
		memset(&ks, 0, sizeof(ks));
		if (attempt == 0 && !seen) {
			ks.ns = xstrdup(ns);
			ks.name = xstrdup(t->name);
			fill_secret(&ks, p, w, t, bytes);
			ret = berth_kube_secret_create(p->kube, &ks, err);
			if (!ret) {
				*created = true;
				break;
			}
			if (ret != BERTH_EEXISTS)
				break;
			/* A Secret of that name exists that our labelled list did not show. */
		} else if (attempt == 0) {
			ret = 0;
		}
		if (attempt > 0 || !seen) {
			/* The Secret the create above filled in; the read starts afresh. */
			berth_kube_secret_release(&ks);
			ret = berth_kube_secret_get(p->kube, ns, t->name, &ks, err);
			if (ret == BERTH_ENOTFOUND) {
				berth_kube_secret_release(&ks);
				memset(&ks, 0, sizeof(ks));
				ks.ns = xstrdup(ns);
				ks.name = xstrdup(t->name);
				fill_secret(&ks, p, w, t, bytes);
				ret = berth_kube_secret_create(p->kube, &ks, err);
				if (!ret)
					*created = true;
				if (ret != BERTH_EEXISTS)
					break;
				continue;
			}
			if (ret)
				break;
		} else {
			/* First update from the listed state. */
			ks.ns = xstrdup(seen->ns);
			ks.name = xstrdup(seen->name);
			ks.resource_version = xstrdup_or_null(seen->resource_version);
			ks.uid = xstrdup_or_null(seen->uid);
			ks.type = xstrdup_or_null(seen->type);
			ks.immutable = seen->immutable;
			ks.meta_keep = xstrdup_or_null(seen->meta_keep);
			for (size_t i = 0; i < seen->nlabels; i++)
				berth_kube_secret_set_label(&ks, seen->labels[i].key, seen->labels[i].value);
			for (size_t i = 0; i < seen->nannotations; i++)
				berth_kube_secret_set_annotation(&ks, seen->annotations[i].key,
								 seen->annotations[i].value);
			for (size_t i = 0; i < seen->ndata; i++)
				berth_kube_secret_set_data(&ks, seen->data[i].key, seen->data[i].value);
		}
		if (!is_ours(&ks, p->cfg->owner) && !t->adopt) {
			ret = berth_err_set(err, BERTH_EEXISTS,
					    "Secret %s/%s exists and is not managed by berth; set adopt: true "
					    "on this target to take it over", ns, t->name);
			break;
		}
		/* The API server refuses to change a type: say so, not with a doomed PUT. */
		if (ks.type && strcmp(ks.type, DOCKERCFG_TYPE)) {
			ret = berth_err_set(err, BERTH_EEXISTS,
					    "Secret %s/%s has type %s, and a Secret's type cannot "
					    "change; delete it (berth then creates it as "
					    DOCKERCFG_TYPE ") or publish under another name",
					    ns, t->name, ks.type);
			break;
		}
		fill_secret(&ks, p, w, t, bytes);
		ret = berth_kube_secret_update(p->kube, &ks, err);
		/* Changed or deleted since it was read: read again (and create it if gone). */
		if (ret != BERTH_ECONFLICT && ret != BERTH_ENOTFOUND)
			break;
		berth_log_info("kube", "Secret %s/%s changed under us; retrying from a fresh read", ns, t->name);
	}
	berth_kube_secret_release(&ks);
	return ret;
}

static int publish_file(struct berth_publisher *p, const char *path, const char *login,
			const struct berth_secret *secret, bool *changed, struct berth_err *err)
{
	struct berth_buf cur = BERTH_BUF_INIT, next = BERTH_BUF_INIT;
	char *user = NULL, *dir, *slash;
	struct berth_secret *have = NULL;
	struct berth_err e = BERTH_ERR_INIT;
	int ret;

	*changed = false;
	pthread_mutex_lock(&p->file_lock);
	ret = berth_file_read(&cur, path, 1 << 20, err);
	if (ret && ret != BERTH_ENOTFOUND)
		goto out;
	if (!ret && !berth_dockercfg_lookup(cur.buf, cur.len, p->registry, &user, &have, &e) &&
	    !strcmp(user, login) && berth_secret_equal(have, secret)) {
		ret = 0;
		goto out;
	}
	ret = berth_dockercfg_merge(&next, cur.buf, cur.len, p->registry, login, secret, err);
	if (ret) {
		berth_err_prefix(err, "'%s' (left as it is)", path);
		goto out;
	}
	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		ret = berth_mkdirs(dir, 0700, err);
	} else {
		ret = 0;
	}
	free(dir);
	if (!ret)
		ret = berth_file_write_atomic(path, next.buf, next.len, 0600, err);
	if (!ret)
		*changed = true;
out:
	pthread_mutex_unlock(&p->file_lock);
	free(user);
	berth_secret_free(have);
	berth_buf_wipe(&cur);
	berth_buf_wipe(&next);
	return ret;
}

/* One Secret target of a robot being published. */
struct secret_pub {
	const struct resolved_secret *r;
	const struct berth_kube_secret *seen;
	bool created;
	int ret;
	struct berth_err err;
};

struct pub_job {
	struct berth_publisher *p;
	const struct berth_want *w;
	const struct berth_buf *bytes;
	struct secret_pub *v;
};

static int pub_job(size_t i, void *payload, struct berth_err *err)
{
	struct pub_job *j = payload;
	struct secret_pub *sp = &j->v[i];

	(void)err;
	sp->err = (struct berth_err)BERTH_ERR_INIT;
	sp->ret = publish_secret(j->p, j->w, sp->r->t, sp->r->ns, sp->seen, j->bytes, &sp->created, &sp->err);
	return 0;
}

int berth_publish_robot(struct berth_publisher *p, const struct berth_plan *plan, size_t item,
			const struct berth_secret *secret, struct berth_buf *summary, struct berth_err *err)
{
	const struct berth_plan_item *it = &plan->items[item];
	const struct berth_want *w = &plan->wants[it->want];
	const struct berth_target_state *s = p->state;
	struct berth_buf bytes = BERTH_BUF_INIT;
	struct pub_job job = { .p = p, .w = w, .bytes = &bytes };
	size_t k = it->want, n = 0;
	int first = 0;

	if (!s || (!w->cfg->nsecrets && !w->cfg->nfiles))
		return 0;
	if (!secret)
		return berth_err_set(err, BERTH_ERROR, "no active secret to publish for '%s'", w->login);
	while (k > 0 && s->wants[k - 1].cfg == w->cfg)
		k--;
	first = berth_dockercfg_render(&bytes, p->registry, w->login, secret, err);
	if (first)
		return first;
	if (s->per_want[k].error && !first)
		first = berth_err_set(err, BERTH_ERROR, "%s", s->per_want[k].error);
	/* The Secrets that differ from what is wanted... */
	job.v = xcalloc(s->per_want[k].n + 1, sizeof(*job.v));
	for (size_t i = 0; i < s->per_want[k].n; i++) {
		const struct resolved_secret *r = &s->per_want[k].v[i];
		const struct ns_state *ns = find_ns(s, r->ns);
		const struct berth_kube_secret *seen = ns ? find_secret(ns, r->t->name) : NULL;
		const char *why = NULL;
		char *tekton = r->t->tekton_annotation ? xasprintf("https://%s", p->registry) : NULL;
		bool ok = seen && secret_up_to_date(seen, &bytes, w->cfg->name, w->login, tekton, &why);

		free(tekton);
		if (ok)
			continue;
		job.v[n].r = r;
		job.v[n].seen = seen;
		n++;
	}
	/*
	 * ... are independent of each other: written at the same time (one
	 * robot's steps before them stay in order), one at a time with -j 1.
	 */
	berth_exec_run(n, p->concurrency > 1 ? (int)n : 1, pub_job, &job, NULL);
	for (size_t i = 0; i < n; i++) {
		const struct secret_pub *sp = &job.v[i];

		if (summary->len)
			berth_buf_addstr(summary, ", ");
		if (sp->ret) {
			/* The first failure is the robot's error; name every later one too. */
			if (!first) {
				*err = sp->err;
				first = sp->ret;
			} else {
				berth_log_error("target", "robot %s: %s", w->cfg->name, sp->err.msg);
			}
			berth_buf_addf(summary, "Secret %s/%s FAILED", sp->r->ns, sp->r->t->name);
			continue;
		}
		berth_buf_addf(summary, "Secret %s/%s %s", sp->r->ns, sp->r->t->name,
			       sp->created ? "created" : "updated");
	}
	free(job.v);
	for (size_t f = 0; f < w->cfg->nfiles; f++) {
		struct berth_err e = BERTH_ERR_INIT;
		bool changed;
		int ret = publish_file(p, w->cfg->files[f].path, w->login, secret, &changed, &e);

		if (ret) {
			if (!first) {
				*err = e;
				first = ret;
			} else {
				berth_log_error("target", "robot %s: %s", w->cfg->name, e.msg);
			}
			if (summary->len)
				berth_buf_addstr(summary, ", ");
			berth_buf_addf(summary, "file %s FAILED", w->cfg->files[f].path);
			continue;
		}
		if (changed) {
			if (summary->len)
				berth_buf_addstr(summary, ", ");
			berth_buf_addf(summary, "file %s written", w->cfg->files[f].path);
		}
	}
	berth_buf_wipe(&bytes);
	return first;
}

int berth_publish_prune(struct berth_publisher *p, const struct berth_plan *plan,
			struct berth_buf *summary, struct berth_err *err)
{
	int first = 0;

	for (size_t i = 0; i < plan->norphan_targets; i++) {
		const struct berth_target_action *t = &plan->orphan_targets[i];
		const struct ns_state *ns = p->state ? find_ns(p->state, t->ns) : NULL;
		const struct berth_kube_secret *ks = ns ? find_secret(ns, t->name) : NULL;
		struct berth_err e = BERTH_ERR_INIT;
		int ret;

		if (t->op != BERTH_TARGET_DELETE)
			continue;
		ret = berth_kube_secret_delete(p->kube, t->ns, t->name, ks ? ks->resource_version : NULL, &e);
		if (ret == BERTH_ENOTFOUND)
			ret = 0;
		if (ret) {
			if (!first) {
				*err = e;
				first = ret;
			}
			continue;
		}
		berth_buf_addf(summary, "Secret %s/%s: deleted (no robot publishes to it)\n", t->ns, t->name);
	}
	return first;
}
