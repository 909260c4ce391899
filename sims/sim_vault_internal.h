/*
 * sim_vault_internal.h - state and helpers shared by the files of the
 * simulated Vault (sim_vault*.c). Not for other modules.
 *
 * Every function here runs with the API lock held (sim.c takes it around
 * each handler call), so nothing below locks.
 */
#ifndef BERTH_SIM_VAULT_INTERNAL_H
#define BERTH_SIM_VAULT_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct sim_api;
struct sim_req;
struct sim_resp;

/* ---- string-keyed hash map (sim_vault_map.c) ---------------------------- */

struct sim_vault_map_entry {
	char *key;
	void *value;
	uint64_t hash;
	struct sim_vault_map_entry *next;
};

/* Chained hash map; keys are copied, values are borrowed pointers. */
struct sim_vault_map {
	struct sim_vault_map_entry **buckets;
	size_t nbuckets;
	size_t count;
};

typedef void sim_vault_free_fn(void *value);

void sim_vault_map_init(struct sim_vault_map *m);
/* The value stored under key, or NULL. O(1). */
void *sim_vault_map_get(const struct sim_vault_map *m, const char *key);
/* Store value under key; returns the value it replaced (caller frees) or NULL. */
void *sim_vault_map_put(struct sim_vault_map *m, const char *key, void *value);
/* Remove key; returns its value (caller frees) or NULL. */
void *sim_vault_map_remove(struct sim_vault_map *m, const char *key);
/* Free every entry, calling free_value (may be NULL) on each value. */
void sim_vault_map_release(struct sim_vault_map *m, sim_vault_free_fn *free_value);
/* A new array of the keys (borrowed strings), sorted bytewise; *n set. Caller frees the array. */
const char **sim_vault_map_sorted_keys(const struct sim_vault_map *m, size_t *n);

/*
 * Directory index over slash-separated keys, for LIST: each directory
 * ("" for the top, "a/", "a/b/") maps to the set of its children ("leaf",
 * "sub/"). Adding or removing a key touches only its ancestors, so LIST is
 * O(children) and writes are O(depth).
 */
struct sim_vault_index {
	struct sim_vault_map dirs; /* dir -> struct sim_vault_map * (set: child -> non-NULL) */
};

void sim_vault_index_init(struct sim_vault_index *ix);
void sim_vault_index_release(struct sim_vault_index *ix);
void sim_vault_index_add(struct sim_vault_index *ix, const char *key);
void sim_vault_index_remove(struct sim_vault_index *ix, const char *key);
/* The sorted children of dir ("" or ending in '/') as a new JSON array, or NULL when none. */
json_t *sim_vault_index_list(const struct sim_vault_index *ix, const char *dir);

/* ---- policies ----------------------------------------------------------- */

enum sim_vault_cap {
	SIM_VAULT_CAP_READ = 1 << 0,
	SIM_VAULT_CAP_CREATE = 1 << 1,
	SIM_VAULT_CAP_UPDATE = 1 << 2,
	SIM_VAULT_CAP_PATCH = 1 << 3,
	SIM_VAULT_CAP_DELETE = 1 << 4,
	SIM_VAULT_CAP_LIST = 1 << 5,
	SIM_VAULT_CAP_SUDO = 1 << 6,
	SIM_VAULT_CAP_DENY = 1 << 7,
};

/* One rule: capabilities on every path that starts with prefix. */
struct sim_vault_rule {
	char *prefix;
	unsigned caps;
};

struct sim_vault_rules {
	struct sim_vault_rule *v;
	size_t n;
};

/* ---- tokens, mounts, auth methods ---------------------------------------- */

struct sim_vault_token {
	char *id;
	char *accessor;
	bool root;
	json_t *policies;      /* sorted policy names, as lookup-self and logins show them */
	struct sim_vault_rules rules; /* inline rules (named policies are resolved per request) */
	json_t *meta;          /* object of strings, or NULL */
	char *display_name;
	char *path;            /* "auth/token/root", "auth/kubernetes/login", ... */
	char *entity_id;       /* "" for tokens made by the control endpoint */
	int64_t creation_ms;
	int64_t ttl_s;         /* TTL given at creation: the default renewal increment */
	int64_t creation_ttl_s;
	int64_t max_ttl_s;     /* renewal cap from creation; 0: the system maximum */
	bool explicit_max;     /* max_ttl_s is an explicit max TTL (shown by lookup-self) */
	int64_t expire_ms;     /* 0: never (root) */
	bool renewable;
	bool orphan;
};

enum sim_vault_kv {
	SIM_VAULT_KV1 = 1,
	SIM_VAULT_KV2 = 2,
};

/* One version of a KV v2 secret. */
struct sim_vault_version {
	int64_t created_ns;
	int64_t deletion_ns;   /* 0: not deleted (may lie in the future: delete_version_after) */
	bool destroyed;
	bool present;          /* false once pruned by max_versions */
	json_t *data;          /* NULL once destroyed or pruned */
};

/* A KV v2 key: its metadata and versions 1..current_version. */
struct sim_vault_secret {
	uint64_t current_version;
	uint64_t oldest_version;
	struct sim_vault_version *versions; /* versions[i] is version i+1 */
	size_t alloc;
	int64_t created_ns;
	int64_t updated_ns;
	uint32_t max_versions;
	bool cas_required;
	int64_t dva_s;         /* delete_version_after, seconds; 0 unset */
	json_t *custom_metadata; /* object of strings, or NULL */
};

struct sim_vault_mount {
	char *path;            /* full path, trailing '/', namespace first: "team-a/secret/" */
	char *ns;              /* namespace ("" for the root namespace) */
	char *rel;             /* path inside its namespace: "secret/" */
	int version;           /* enum sim_vault_kv */
	char accessor[32];
	char uuid[40];
	/* KV v2 engine configuration (secret/config) */
	uint32_t max_versions;
	bool cas_required;
	int64_t dva_s;         /* < 0: disabled, 0: unset */
	struct sim_vault_map keys; /* v1: key -> json_t *; v2: key -> struct sim_vault_secret * */
	struct sim_vault_index index;
};

enum sim_vault_auth_type {
	SIM_VAULT_AUTH_KUBERNETES,
	SIM_VAULT_AUTH_APPROLE,
};

struct sim_vault_role {
	char *name;
	json_t *bound_names;      /* kubernetes: service account names (globs) */
	json_t *bound_namespaces; /* kubernetes: namespaces (globs) */
	char *role_id;            /* approle */
	char *secret_id;          /* approle; NULL: bind_secret_id=false */
	json_t *policies;         /* array: names and inline rule objects */
	int64_t ttl_s;
	int64_t max_ttl_s;
	bool renewable;
};

struct sim_vault_jwt {
	char *service_account;
	char *namespace;
	char *uid;
};

struct sim_vault_auth_mount {
	char *path;            /* full path, "auth/kubernetes/" or "team-a/auth/kubernetes/" */
	enum sim_vault_auth_type type;
	char accessor[40];
	struct sim_vault_map roles; /* kubernetes: role name -> role; approle: role_id -> role */
	struct sim_vault_map jwts;  /* kubernetes: jwt -> struct sim_vault_jwt */
};

struct sim_vault {
	bool initialized;
	bool sealed;
	bool standby;
	bool perf_standby;
	char root_token[40];
	char cluster_id[40];
	char cluster_name[40];
	struct sim_vault_map tokens;     /* id -> struct sim_vault_token */
	struct sim_vault_map policies;   /* name -> struct sim_vault_rules */
	struct sim_vault_map namespaces; /* "team-a" -> non-NULL */
	struct sim_vault_mount **mounts;
	size_t nmounts, amounts;
	struct sim_vault_auth_mount **auths;
	size_t nauths, aauths;
};

/* ---- one API request ------------------------------------------------------ */

enum sim_vault_op {
	SIM_VAULT_READ,
	SIM_VAULT_LIST,
	SIM_VAULT_WRITE,   /* POST or PUT: create or update, by existence */
	SIM_VAULT_PATCH,
	SIM_VAULT_DELETE,
};

struct sim_vault_req {
	struct sim_vault *v;
	struct sim_req *http;
	struct sim_resp *resp;
	enum sim_vault_op op;
	char *ns;              /* resolved namespace, "" for root */
	char *path;            /* path inside the namespace, after /v1/ (LIST: ends in '/') */
	char *full;            /* ns + "/" + path (== path in the root namespace) */
	json_t *body;          /* request body object, or NULL */
	const char *token_id;  /* as sent, or NULL */
	struct sim_vault_token *token; /* resolved and unexpired, or NULL */
	char request_id[40];
};

/* ---- sim_vault.c: replies, ids, time, ACL ---------------------------------- */

/*
 * A new envelope: request_id, lease_id "", renewable false, lease_duration 0,
 * data (stolen, may be NULL), wrap_info, warnings and auth null, mount_type.
 */
json_t *sim_vault_envelope(const struct sim_vault_req *r, json_t *data, const char *mount_type);
/* Send j (stolen) with status as application/json. */
void sim_vault_send(struct sim_vault_req *r, int status, json_t *j);
/* {"errors":[msg]} or, with msg NULL, {"errors":[]}. */
void sim_vault_error(struct sim_vault_req *r, int status, const char *msg);
/* go-multierror's text for one error: "1 error occurred:\n\t* msg\n\n". */
void sim_vault_error_multi(struct sim_vault_req *r, int status, const char *msg);
/* 204, no body. */
void sim_vault_no_content(struct sim_vault_req *r);
/* 403 for a valid token whose policies do not allow the request. */
void sim_vault_denied(struct sim_vault_req *r);

/*
 * Whether the request's token may use caps on the full path 'path'
 * (namespace included). Root tokens may do anything; otherwise the most
 * specific matching rule across the token's policies decides, and "deny"
 * wins. Does not reply.
 */
bool sim_vault_allowed(const struct sim_vault_req *r, const char *path, unsigned caps);
/* sim_vault_allowed(), replying 403 when not; returns whether allowed. */
bool sim_vault_check(struct sim_vault_req *r, const char *path, unsigned caps);
/* The capability an operation needs, writes counting as update (no existence check). */
unsigned sim_vault_op_cap(enum sim_vault_op op);
/* Whether the token has any capability on any path under prefix (Vault's hasMountAccess). */
bool sim_vault_has_access_under(const struct sim_vault_req *r, const char *prefix);

/* Parse a capability list ("read", "create", ...); -1 on an unknown name. */
int sim_vault_parse_caps(const json_t *arr, unsigned *caps);
/* Parse a "policies" array (names and {path_prefix, capabilities}) into names and rules. */
int sim_vault_parse_policies(const json_t *arr, json_t *names, struct sim_vault_rules *rules,
			     struct berth_buf *why);
void sim_vault_rules_release(struct sim_vault_rules *rules);

void sim_vault_uuid(char out[40]);
int64_t sim_vault_now_ns(void);
/* RFC 3339 UTC with nanoseconds, trailing zeros trimmed, like Go's RFC3339Nano. */
void sim_vault_time(char out[48], int64_t ns);
/* Go's time.Duration.String() for whole seconds: "0s", "45s", "1m30s", "768h0m0s". */
void sim_vault_duration(char out[32], int64_t seconds);
/* A duration as Vault reads it: integer seconds, a numeric string, or "1h30m". Returns 0 or -1. */
int sim_vault_parse_seconds(const json_t *v, int64_t *out);
/* A boolean as Go's strconv.ParseBool / mapstructure weak decoding read it. Returns 0 or -1. */
int sim_vault_parse_bool(const json_t *v, bool *out);
int sim_vault_parse_bool_str(const char *s, bool *out);
/* Go's %q for plain strings: the string in double quotes, '"' and '\\' escaped. */
void sim_vault_quote(struct berth_buf *b, const char *s);

/* The secret mount serving full path 'full' (longest prefix), or NULL. */
struct sim_vault_mount *sim_vault_mount_find(struct sim_vault *v, const char *full);
struct sim_vault_mount *sim_vault_mount_add(struct sim_vault *v, const char *ns, const char *path,
					    int version);
struct sim_vault_auth_mount *sim_vault_auth_find(struct sim_vault *v, const char *full_path);
struct sim_vault_auth_mount *sim_vault_auth_add(struct sim_vault *v, const char *full_path,
						enum sim_vault_auth_type type);

/* Fresh state: default mounts and auth methods, and a root token (root_token, or a random one). */
void sim_vault_state_init(struct sim_vault *v, const char *root_token);
void sim_vault_state_release(struct sim_vault *v);

/* ---- sim_vault_control.c ---------------------------------------------------- */

/* Serve /_sim/vault/... (documented at the top of sim_vault.c). */
void sim_vault_control(struct sim_vault *v, struct sim_req *req, struct sim_resp *resp);

/* ---- sim_vault_kv.c ---------------------------------------------------------- */

/* Serve a request whose path falls in mount m ('rel' is the path inside the mount). */
void sim_vault_kv_serve(struct sim_vault_req *r, struct sim_vault_mount *m, const char *rel);
void sim_vault_mount_free(struct sim_vault_mount *m);
/* Set key-level cas_required (creating the key's metadata like a metadata write). */
void sim_vault_kv2_set_key_cas(struct sim_vault_mount *m, const char *key, bool cas_required);

/* ---- sim_vault_auth.c ------------------------------------------------------- */

/*
 * Resolve r->token from the X-Vault-Token or Authorization: Bearer header.
 * Replies 403 and returns false when there is none or it is invalid or expired.
 */
bool sim_vault_authenticate(struct sim_vault_req *r);
/* Look up a live token by id (expired ones are dropped), or NULL. */
struct sim_vault_token *sim_vault_token_lookup(struct sim_vault *v, const char *id);
/*
 * Make a token: ttl_s 0 means the system default (768h), max_ttl_s 0 the
 * system maximum (768h). names (stolen) and rules (moved) are its
 * policies. Returns the token, owned by v->tokens.
 */
struct sim_vault_token *sim_vault_token_new(struct sim_vault *v, const char *id, json_t *names,
					    struct sim_vault_rules *rules, int64_t ttl_s,
					    int64_t max_ttl_s, bool explicit_max, bool renewable);
void sim_vault_token_free(void *token);
void sim_vault_role_free(void *role);
void sim_vault_jwt_free(void *jwt);
void sim_vault_auth_mount_free(struct sim_vault_auth_mount *a);
/* auth/token/{lookup-self,renew-self,revoke-self}; false if the path is not one of them. */
bool sim_vault_token_serve(struct sim_vault_req *r, const char *rel);
/* POST auth/<mount>/login for a Kubernetes or AppRole mount. */
void sim_vault_login(struct sim_vault_req *r, struct sim_vault_auth_mount *a);

/* ---- sim_vault_sys.c -------------------------------------------------------- */

/* GET|HEAD sys/health (never sealed-checked, no token). */
void sim_vault_health(struct sim_vault *v, struct sim_req *req, struct sim_resp *resp);
/* GET sys/seal-status. */
void sim_vault_seal_status(struct sim_vault *v, struct sim_req *req, struct sim_resp *resp);
/* sys/internal/ui/mounts[/<path>] (and sys/mounts-all/<path>); 'rest' is what follows "mounts". */
void sim_vault_ui_mounts(struct sim_vault_req *r, const char *rest);

#endif
