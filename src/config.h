/*
 * config.h - berth.yaml, loaded into a struct berth_config. The only
 * module that includes <yaml.h>. Keys are camelCase; unknown keys, wrong
 * types, missing required keys and inconsistent values are errors carrying
 * file:line:column. Secret values are never literals in the file: they are
 * references ({env: NAME}, {file: PATH}, {secret: {...}}) resolved later,
 * by the module that needs them.
 */
#ifndef BERTH_CONFIG_H
#define BERTH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

struct berth_err;

/* Where a value was written: for messages such as "berth.yaml:12:7: ...". */
struct berth_config_pos {
	const char *file;  /* borrowed from struct berth_config.path */
	int line;          /* 1-based; 0 when the value came from a default or the environment */
	int column;        /* 1-based */
};

/* A reference to a secret value: exactly one source is set. */
enum berth_secret_ref_kind {
	BERTH_REF_NONE = 0,
	BERTH_REF_ENV,     /* {env: NAME} */
	BERTH_REF_FILE,    /* {file: PATH} */
	BERTH_REF_KUBE,    /* {secret: {namespace, name, key}} - a Kubernetes Secret */
};

struct berth_secret_ref {
	enum berth_secret_ref_kind kind;
	char *env;
	char *file;
	char *kube_namespace;
	char *kube_name;
	char *kube_key;
	struct berth_config_pos pos;
};

struct berth_harbor_config {
	char *url;                    /* harbor.url, else env HARBOR_URL; NULL when urlFrom is used */
	char *ingress_namespace;      /* harbor.urlFrom.ingress.namespace */
	char *ingress_name;           /* harbor.urlFrom.ingress.name */
	long ingress_port;            /* harbor.urlFrom.ingress.port; 0: the scheme's default */
	char *registry;               /* host[:port]; NULL: the URL's host[:port] */
	char *username;               /* default "admin", env HARBOR_USERNAME */
	struct berth_secret_ref password; /* required */
	char *ca_file;
	bool insecure_skip_tls_verify;
	bool allow_plain_http;
	char *robot_name_prefix;      /* NULL: read /configurations, else "robot$" */
	long timeout_s;               /* per request; default 60 */
	struct berth_config_pos pos;  /* of the harbor: key */
};

enum berth_vault_auth {
	BERTH_VAULT_AUTH_TOKEN = 0,
	BERTH_VAULT_AUTH_KUBERNETES,
	BERTH_VAULT_AUTH_APPROLE,
};

struct berth_vault_config {
	char *address;                /* env VAULT_ADDR; VAULT_AGENT_ADDR wins */
	char *namespace;              /* env VAULT_NAMESPACE */
	char *ca_file;                /* env VAULT_CACERT */
	char *mount;                  /* default "secret" */
	int kv_version;               /* 0 auto, 1, 2 */
	bool insecure_skip_tls_verify;
	bool allow_plain_http;
	long timeout_s;               /* per request; 0: the HTTP layer's default (60) */
	enum berth_vault_auth auth;
	struct berth_secret_ref token;     /* auth.token, default {env: VAULT_TOKEN} */
	char *k8s_role;                    /* auth.kubernetes.role */
	char *k8s_mount;                   /* default "kubernetes" */
	char *k8s_token_file;              /* default /var/run/secrets/kubernetes.io/serviceaccount/token */
	char *approle_mount;               /* default "approle" */
	struct berth_secret_ref role_id;   /* auth.approle.roleId */
	struct berth_secret_ref secret_id; /* auth.approle.secretId */
	struct berth_config_pos pos;
};

enum berth_store_kind {
	BERTH_STORE_FILE = 0,
	BERTH_STORE_VAULT,
	BERTH_STORE_KUBE,
};

struct berth_store_config {
	enum berth_store_kind kind;
	char *file_dir;               /* store.file.dir; default ./.berth/store (relative to the config file) */
	struct berth_vault_config vault;
	char *kube_namespace;         /* store.kubernetes.namespace */
	struct berth_config_pos pos;
};

/* Connection to the Kubernetes API: in-cluster when neither is set and the pod env says so. */
struct berth_kube_config {
	char *kubeconfig;             /* kubernetes.kubeconfig, else env KUBECONFIG (':'-separated) */
	char *context;                /* kubernetes.context; NULL: current-context */
	bool insecure_skip_tls_verify;
	long timeout_s;               /* per request; 0: the HTTP layer's default (60) */
	struct berth_config_pos pos;
};

struct berth_label {
	char *key;
	char *value;
};

/* robots[].targets.secrets[]: a Secret in one namespace, or in every namespace matching a selector. */
struct berth_secret_target {
	char *ns;                     /* exactly one of ns and selector */
	struct berth_label *selector; /* namespaceSelector.matchLabels */
	size_t nselector;
	char *name;
	bool tekton_annotation;       /* add tekton.dev/docker-0: <registry> */
	bool adopt;                   /* may take over a Secret berth did not create */
	struct berth_config_pos pos;
};

/* robots[].targets.files[]: a docker config.json, merged with what it holds. */
struct berth_file_target {
	char *path;                   /* relative paths are relative to the config file */
	struct berth_config_pos pos;
};

struct berth_rotate_config {
	int64_t every_s;              /* 0: no periodic rotation */
	int64_t before_expiry_s;      /* default 72h */
	int slots;                    /* 1 (default) or 2 */
	int64_t overlap_s;            /* slots 2: default 6h */
	bool set;                     /* a rotate: block was given */
};

struct berth_robot_config {
	char *name;                   /* short name as sent to Harbor (no prefix, no project) */
	char *level;                  /* "system" (default) or "project" */
	char *project;                /* required for project level */
	char *description;            /* the user's part; berth appends its marker */
	int64_t duration;             /* days; -1 (default) never expires */
	bool disable;
	struct berth_permission *perms;
	size_t nperms;
	char *store_path;             /* default "harbor/<name>-robot-account" */
	bool adopt;                   /* take over an existing unmarked robot of this name */
	struct berth_rotate_config rotate;
	struct berth_secret_target *secrets;
	size_t nsecrets;
	struct berth_file_target *files;
	size_t nfiles;
	struct berth_config_pos pos;
};

struct berth_config {
	char *path;                   /* the file as given */
	char *dir;                    /* its directory, for relative paths */
	char *owner;                  /* owner: in markers and labels; default "berth" */
	struct berth_harbor_config harbor;
	struct berth_store_config store;
	struct berth_kube_config kube;
	struct berth_robot_config *robots;
	size_t nrobots;
};

/*
 * Load and validate path. On success *out is owned by the caller (free with
 * berth_config_free()). Returns 0, BERTH_ENOTFOUND when the file is missing,
 * or BERTH_ECONFIG with "file:line:column: what is wrong and why" in err.
 * Reads the environment for documented defaults; reads no secrets.
 */
/*
 * Parse YAML text into JSON (kubeconfig files): mappings become objects,
 * sequences arrays, plain scalars true/false/null/integers their JSON types
 * and everything else strings. *out is a new reference. Returns 0 or
 * BERTH_ECONFIG with name:line:column.
 */
struct json_t;
int berth_yaml_parse_json(struct json_t **out, const char *name, const char *text, size_t len,
			  struct berth_err *err);

int berth_config_load(struct berth_config **out, const char *path, struct berth_err *err);
/* Parse from memory; 'name' is used in messages. Same contract as berth_config_load(). */
int berth_config_parse(struct berth_config **out, const char *name, const char *text, size_t len,
		       struct berth_err *err);
void berth_config_free(struct berth_config *cfg);

/* Find a robot by name, or NULL. */
const struct berth_robot_config *berth_config_robot(const struct berth_config *cfg, const char *name);

/*
 * Whether (resource, action) may be granted for kind ("system"/"project"),
 * per Harbor's permission catalogue (2.10+).
 */
bool berth_permission_allowed(const char *kind, const char *resource, const char *action);

#endif
