/*
 * sim_kube.h - internals shared by the simulated Kubernetes API's files
 * (sim_kube.c, sim_kube_*.c): state, the resource table, request context,
 * Status bodies, field errors, label selectors and patches. Not an
 * interface for other modules: they only see sim_kube_create() and
 * sim_kube_describe() (declared here too, for modules.c).
 */
#ifndef BERTH_SIM_KUBE_H
#define BERTH_SIM_KUBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct sim_api;
struct sim_req;
struct sim_resp;
struct sim_world;

/* The module entry points (modules.c). */
struct sim_api *sim_kube_create(struct sim_world *w);
json_t *sim_kube_describe(struct sim_api *api);

/* ---- field errors (apimachinery field.ErrorList) ------------------------ */

struct sim_kube_ferr {
	char *cause; /* StatusCause reason: "FieldValueRequired" */
	char *field; /* "data[.dockerconfigjson]" */
	char *body;  /* field.Error.ErrorBody(): "Required value" */
};

struct sim_kube_errs {
	struct sim_kube_ferr *v;
	size_t n, alloc;
};

/* Go's %q of s (new string, with the quotes). */
char *sim_kube_goquote(const char *s);
/* Required value[: detail] */
void sim_kube_err_required(struct sim_kube_errs *e, const char *field, const char *detail);
/* Invalid value: "value"[: detail] (value is Go-quoted) */
void sim_kube_err_invalid(struct sim_kube_errs *e, const char *field, const char *value,
			  const char *detail);
/* Invalid value: REPR[: detail] (REPR printed as is: numbers, 0x0) */
void sim_kube_err_invalid_raw(struct sim_kube_errs *e, const char *field, const char *repr,
			      const char *detail);
/* Forbidden[: detail] */
void sim_kube_err_forbidden(struct sim_kube_errs *e, const char *field, const char *detail);
/* Too long: must have at most MAX bytes */
void sim_kube_err_toolong(struct sim_kube_errs *e, const char *field, long max);
/* Unsupported value: "value": supported values: "a", "b" */
void sim_kube_err_notsupported(struct sim_kube_errs *e, const char *field, const char *value,
			       const char *const *valid);
void sim_kube_errs_release(struct sim_kube_errs *e);

/* ---- name and label rules (apimachinery util/validation) ---------------- */

/*
 * Each check appends the messages of the real validators (IsDNS1123Subdomain,
 * IsDNS1123Label, IsQualifiedName, IsValidLabelValue, IsConfigMapKey) to
 * *msgs (a json array of strings). Returns true when s is valid.
 */
bool sim_kube_check_subdomain(const char *s, json_t *msgs);
bool sim_kube_check_label(const char *s, json_t *msgs);
bool sim_kube_check_qualified_name(const char *s, json_t *msgs);
bool sim_kube_check_label_value(const char *s, json_t *msgs);
bool sim_kube_check_config_key(const char *s, json_t *msgs);

/* ---- resources ------------------------------------------------------------ */

enum sim_kube_res_id {
	SIM_KUBE_NAMESPACES,
	SIM_KUBE_SECRETS,
	SIM_KUBE_INGRESSES,
	SIM_KUBE_LEASES,
	SIM_KUBE_NRES,
};

struct sim_kube;

struct sim_kube_res {
	enum sim_kube_res_id id;
	const char *plural;        /* "secrets" */
	const char *group;         /* "" for the core group */
	const char *version;       /* "v1" */
	const char *kind;          /* "Secret" */
	const char *list_kind;     /* "SecretList" */
	bool namespaced;
	bool create_on_update;     /* PUT to a missing name creates (strategy AllowCreateOnUpdate) */
	bool unconditional_update; /* PUT without resourceVersion overwrites (AllowUnconditionalUpdate) */
	bool name_is_label;        /* names are DNS-1123 labels, not subdomains */
	const char *const *fields; /* top-level fields after metadata, in output order */
	const char *const *inputs; /* write-only top-level fields accepted on input (stringData) */
	const char *const *field_selectors; /* fields a fieldSelector may name */
	/*
	 * Decode-time checks (the apiserver's JSON decoding into the Go type):
	 * returns NULL, or a new string saying why obj cannot be decoded (400).
	 */
	char *(*decode)(const json_t *obj);
	/*
	 * Normalise obj (the new object; its metadata already built and checked
	 * by the store, kind and apiVersion removed) and append validation
	 * errors. old is the stored object on update, NULL on create. seed:
	 * created by /_sim/kube/objects (status is kept).
	 */
	void (*prepare)(struct sim_kube *k, json_t *obj, const json_t *old, struct sim_kube_errs *errs,
			bool seed);
};

extern const struct sim_kube_res sim_kube_resources[SIM_KUBE_NRES];

/* "secrets" or "ingresses.networking.k8s.io" (GroupResource.String()). New string. */
char *sim_kube_qualified_resource(const struct sim_kube_res *res);
/* "v1" or "networking.k8s.io/v1". New string. */
char *sim_kube_api_version(const struct sim_kube_res *res);

/* ---- state ------------------------------------------------------------------ */

struct sim_kube_user {
	char *token;      /* NULL for certificate users */
	char *name;
	json_t *groups;   /* array of strings */
	json_t *rules;    /* array of {verbs, resources, namespaces, apiGroups?, resourceNames?} */
	bool admin;
	bool expired;
	int64_t expires_ms; /* 0: never */
};

struct sim_kube {
	struct sim_api *api;
	uint64_t rv;                 /* the last resourceVersion handed out */
	json_t *store[SIM_KUBE_NRES]; /* namespace ("" when cluster-scoped) -> name -> stored object */
	struct sim_kube_user *users;
	size_t nusers, ausers;
	char admin_token[41];
	char *client_ca_pem;         /* the CA that signs client certificates */
	char *client_cert_pem;       /* sim-admin's certificate (O=system:masters) */
	char *client_key_pem;
};

/* The table of res in ns ("" for cluster-scoped); created on demand when create. Borrowed. */
json_t *sim_kube_table(struct sim_kube *k, const struct sim_kube_res *res, const char *ns,
		       bool create);
/* A stored object, or NULL. Borrowed. */
json_t *sim_kube_lookup(struct sim_kube *k, const struct sim_kube_res *res, const char *ns,
			const char *name);
/* Take the next resourceVersion. */
uint64_t sim_kube_next_rv(struct sim_kube *k);
/* Seed the default namespaces. */
void sim_kube_seed(struct sim_kube *k);

/* ---- one API call ---------------------------------------------------------- */

struct sim_kube_call {
	struct sim_kube *k;
	const struct sim_kube_res *res;
	const char *ns;     /* NULL: cluster scope, or all namespaces for a list */
	const char *name;   /* NULL: the collection */
	const char *subresource; /* "status" or NULL */
	struct sim_req *req;
	struct sim_resp *resp;
	bool dry_run;       /* dryRun=All */
	bool strict;        /* fieldValidation=Strict */
	bool seed;          /* from /_sim/kube/objects: no auth, status kept */
	json_t *warnings;   /* array of strings for Warning: headers */
};

void sim_kube_get(struct sim_kube_call *c);
void sim_kube_list(struct sim_kube_call *c);
/* body is borrowed */
void sim_kube_create_obj(struct sim_kube_call *c, json_t *body);
void sim_kube_update(struct sim_kube_call *c, json_t *body);
void sim_kube_patch(struct sim_kube_call *c);
void sim_kube_delete(struct sim_kube_call *c);
void sim_kube_delete_collection(struct sim_kube_call *c);
/* Bump the resourceVersion of a stored object without changing it (control endpoint). */
int sim_kube_touch(struct sim_kube *k, const struct sim_kube_res *res, const char *ns,
		   const char *name, uint64_t *rv);

/* A copy of object m with its keys sorted (Go marshals maps sorted). New reference. */
json_t *sim_kube_sorted(const json_t *m);
/* A random RFC 4122 version 4 UUID (37 bytes with the NUL). */
void sim_kube_uuid(char out[37]);

/* The external form of a stored object: kind and apiVersion first. New reference. */
json_t *sim_kube_render(const struct sim_kube_res *res, const json_t *stored);

/* ---- Status bodies (apimachinery api/errors) ------------------------------ */

/*
 * Fill resp with a Failure Status. reason NULL or "" is omitted
 * (StatusReasonUnknown); details (stolen) NULL is omitted.
 */
void sim_kube_status(struct sim_resp *resp, int code, const char *reason, json_t *details,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* details {name?, group?, kind: plural} for res (NewNotFound and friends). New reference. */
json_t *sim_kube_details(const struct sim_kube_res *res, const char *name);
void sim_kube_not_found(struct sim_resp *resp, const struct sim_kube_res *res, const char *name);
void sim_kube_already_exists(struct sim_resp *resp, const struct sim_kube_res *res,
			     const char *name);
void sim_kube_conflict(struct sim_resp *resp, const struct sim_kube_res *res, const char *name,
		       const char *why);
/* 422 NewInvalid with kind (GroupKind) and the causes of errs. */
void sim_kube_invalid(struct sim_resp *resp, const char *group, const char *kind, const char *name,
		      const struct sim_kube_errs *errs);
void sim_kube_bad_request(struct sim_resp *resp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* NewGenericServerResponse: 404/405/415/422 with "details":{} */
void sim_kube_generic(struct sim_resp *resp, int code, const char *message);

/* ---- label and field selectors --------------------------------------------- */

struct sim_kube_selector;

/*
 * Parse a labelSelector (apimachinery labels.Parse). Returns NULL with
 * *err (new string, "unable to parse requirement: ...") on bad input.
 */
struct sim_kube_selector *sim_kube_selector_parse(const char *s, char **err);
/* Parse a fieldSelector ("a=b,c!=d"); allowed lists the known field names. */
struct sim_kube_selector *sim_kube_field_selector_parse(const char *s, const char *const *allowed,
							 char **err);
/* labels: a JSON object of strings, or NULL (no labels). */
bool sim_kube_selector_match(const struct sim_kube_selector *sel, const json_t *labels);
bool sim_kube_selector_empty(const struct sim_kube_selector *sel);
void sim_kube_selector_free(struct sim_kube_selector *sel);

/* ---- patches ------------------------------------------------------------------ */

/* RFC 7386 merge patch: the merged document (new reference). */
json_t *sim_kube_merge_patch(const json_t *doc, const json_t *patch);
/*
 * Strategic merge patch as the apiserver applies it to objects whose only
 * merge-keyed lists are metadata.finalizers and metadata.ownerReferences.
 */
json_t *sim_kube_strategic_patch(const json_t *doc, const json_t *patch);
/*
 * RFC 6902 JSON patch. Returns the patched document (new reference), or
 * NULL with *err (new string). *bad_doc is set when the patch document
 * itself is malformed (400) rather than failing to apply (422).
 */
json_t *sim_kube_json_patch(const json_t *doc, const json_t *patch, char **err, bool *bad_doc);

#endif
