/*
 * target.h - where a robot's credential is published: dockerconfigjson
 * Secrets (in named namespaces, or every namespace matching a selector)
 * and docker config.json files merged with what they already hold.
 *
 * Reading is one labelled list per namespace (berth's own Secrets) plus
 * one read per file; planning a target is pure (desired bytes vs actual);
 * publishing writes only what differs, with resourceVersion, retrying a
 * conflict from a fresh read. JSON is built with jansson.
 */
#ifndef BERTH_TARGET_H
#define BERTH_TARGET_H

#include <stdbool.h>
#include <stddef.h>

struct berth_buf;
struct berth_config;
struct berth_err;
struct berth_kube;
struct berth_kube_secret;
struct berth_plan;
struct berth_publisher;
struct berth_secret;
struct berth_target_state;
struct berth_want;

/* Labels and annotations berth puts on its Secrets. */
#define BERTH_LABEL_MANAGED_BY "app.kubernetes.io/managed-by"
#define BERTH_LABEL_OWNER "berth.dev/owner"
#define BERTH_LABEL_ROBOT "berth.dev/robot"
#define BERTH_ANNOTATION_HASH "berth.dev/content-sha256"
#define BERTH_ANNOTATION_LOGIN "berth.dev/robot-login"
#define BERTH_ANNOTATION_TEKTON "tekton.dev/docker-0"
/* On the kubernetes store's Secrets (store_kube.c), which are never targets. */
#define BERTH_ANNOTATION_STORE_PATH "berth.dev/store-path"

enum berth_target_op {
	BERTH_TARGET_OK = 0,   /* holds the current credential */
	BERTH_TARGET_CREATE,
	BERTH_TARGET_UPDATE,
	BERTH_TARGET_DELETE,   /* --prune: berth's Secret that no robot names any more */
	BERTH_TARGET_ERROR,    /* exists and is not berth's (without adopt), ... */
};

struct berth_target_action {
	enum berth_target_op op;
	bool is_file;
	char *ns;              /* Secrets */
	char *name;
	char *path;            /* files */
	char *why;             /* "content differs", "not berth's; set adopt: true", ... */
};

int berth_publisher_new(struct berth_publisher **out, const struct berth_config *cfg,
			struct berth_kube *kube, const char *registry, struct berth_err *err);
void berth_publisher_free(struct berth_publisher *p);
/* Let the publisher use the state read for the plan (borrowed until the next read). */
void berth_publisher_bind(struct berth_publisher *p, struct berth_target_state *state);

/*
 * Read the targets of every want: resolve namespace selectors, list
 * berth's Secrets once per namespace, read each file. With all_namespaces
 * (--prune) berth's Secrets are read with one cluster-wide list instead,
 * so that orphans in namespaces no target names are found; when that list
 * is forbidden, a warning says so and the named namespaces are listed.
 * *out is the caller's. Network and file I/O.
 */
int berth_target_state_read(struct berth_target_state **out, struct berth_publisher *p,
			    const struct berth_want *wants, size_t nwants, bool all_namespaces,
			    int concurrency, struct berth_err *err);
void berth_target_state_free(struct berth_target_state *s);

/*
 * Plan want k's targets against the state: with secret NULL every target
 * is planned for an update (the secret is about to change). Pure.
 * Appends to *actions (caller frees with berth_target_actions_free).
 */
void berth_target_plan(const struct berth_target_state *s, const struct berth_config *cfg,
		       const char *registry, const struct berth_want *w, size_t k,
		       const struct berth_secret *secret, bool prune,
		       struct berth_target_action **actions, size_t *n);
/* Berth's Secrets in the listed namespaces that no want names (for --prune). Pure. */
void berth_target_orphans(const struct berth_target_state *s, const char *owner,
			  struct berth_target_action **actions, size_t *n);
void berth_target_actions_free(struct berth_target_action *a, size_t n);

/*
 * Check want k's targets against the credential they should carry
 * (verify): fn is called once per target with a name ("Secret ns/name",
 * "file PATH"), a result (0 ok, 1 stale or missing, 2 could not check) and
 * a detail. Pure: uses the state read.
 */
typedef void berth_target_check_fn(void *payload, const char *target, int result, const char *detail);
void berth_target_check(const struct berth_target_state *s, const char *registry,
			const struct berth_want *w, size_t k, const struct berth_secret *secret,
			berth_target_check_fn *fn, void *payload);

/*
 * Make ks the dockerconfigjson Secret berth publishes: its type, berth's
 * labels (owner, robot), the content-hash and login annotations, Tekton's
 * annotation when asked (else removed), and data[.dockerconfigjson] =
 * bytes. Other labels, annotations and data keys of ks are kept. Pure.
 */
void berth_target_secret_fill(struct berth_kube_secret *ks, const char *owner,
			      const char *registry, const char *robot, const char *login,
			      bool tekton, const struct berth_buf *bytes);

/*
 * Up to how many requests one robot's publishing may have in flight: above
 * 1 its Secrets are written at the same time (default 1, one at a time).
 */
void berth_publisher_set_concurrency(struct berth_publisher *p, int concurrency);

/*
 * Publish plan item 'item' (a wanted robot) with its active secret to every
 * target of its robot, writing only what differs. Appends what changed to
 * summary. Returns 0 or the first failure (other targets are still tried).
 */
int berth_publish_robot(struct berth_publisher *p, const struct berth_plan *plan, size_t item,
			const struct berth_secret *secret, struct berth_buf *summary, struct berth_err *err);
/* Delete the orphan Secrets of the plan (--prune). */
int berth_publish_prune(struct berth_publisher *p, const struct berth_plan *plan,
			struct berth_buf *summary, struct berth_err *err);

/*
 * The docker config.json bytes for one registry credential:
 * {"auths":{REGISTRY:{"auth":base64(user:secret),"password":...,"username":...}}},
 * compact with sorted keys. Appends to out (wipe it after use). Returns 0,
 * or BERTH_EINVALID (nothing appended) for a credential config.json cannot
 * carry: an empty user, a user holding ':', text that is not UTF-8, a NUL
 * byte in the secret.
 */
int berth_dockercfg_render(struct berth_buf *out, const char *registry, const char *user,
			   const struct berth_secret *secret, struct berth_err *err);
/*
 * Merge one registry's credential into an existing config.json text (may be
 * empty), keeping every other key and registry. Returns 0, BERTH_EINVALID
 * as berth_dockercfg_render(), or BERTH_EPROTO when the existing text is
 * not a JSON object. Appends the result to out.
 */
int berth_dockercfg_merge(struct berth_buf *out, const char *existing, size_t len, const char *registry,
			  const char *user, const struct berth_secret *secret, struct berth_err *err);
/*
 * Find the credential for registry in a config.json text: *user (caller
 * frees) and *secret. BERTH_ENOTFOUND when absent; BERTH_EPROTO when the
 * text or the entry is malformed (bad base64, no ':' in auth, empty user).
 */
int berth_dockercfg_lookup(const char *text, size_t len, const char *registry, char **user,
			   struct berth_secret **secret, struct berth_err *err);

#endif
