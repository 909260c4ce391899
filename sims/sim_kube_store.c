/*
 * sim_kube_store.c - the object store and the generic REST verbs of the
 * simulated Kubernetes API (the apiserver's registry/generic Store):
 * get, list (label and field selectors, limit/continue), create, update,
 * patch, delete and deletecollection, with resourceVersion bookkeeping.
 *
 * DESIGN
 * Objects are kept in their stored form: metadata, then the resource's
 * top-level fields, without kind and apiVersion (exactly what a typed list
 * returns as an item). Each (resource, namespace) is a jansson object
 * keyed by name, so get, create and update are O(1) and a list scans one
 * namespace once, sorting only what matched. resourceVersion is one
 * counter for the whole store, as etcd's revision is: every write that
 * changes an object takes the next value; a write that changes nothing
 * keeps the old one. The order of checks follows the apiserver: decode
 * (400), name/namespace (400), existence (404), preconditions (409),
 * validation (422), storage (409 AlreadyExists, 500).
 */
#include "compat.h"
#include "sim_kube.h"
#include "sim.h"
#include "buf.h"
#include "codec.h"
#include "util.h"
#include "xalloc.h"

#define OPTIMISTIC_LOCK_MSG \
	"the object has been modified; please apply your changes to the latest version and try again"

/* ---- helpers ------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *sim_kube_sorted(const json_t *m)
{
	size_t n = json_object_size(m), i = 0;
	const char **keys;
	json_t *out = json_object();
	const char *key;
	json_t *v;

	if (!n)
		return out;
	keys = xmalloc(n * sizeof(*keys));
	json_object_foreach((json_t *)m, key, v)
		keys[i++] = key;
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (i = 0; i < n; i++)
		json_object_set(out, keys[i], json_object_get(m, keys[i]));
	free(keys);
	return out;
}

void sim_kube_uuid(char out[37])
{
	unsigned char r[16];

	if (berth_random_bytes(r, sizeof(r)))
		BERTH_BUG("random source failed");
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0], r[1],
		 r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14],
		 r[15]);
}

static void now_rfc3339(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static bool in_list(const char *const *l, const char *s)
{
	for (size_t i = 0; l && l[i]; i++)
		if (!strcmp(l[i], s))
			return true;
	return false;
}

json_t *sim_kube_table(struct sim_kube *k, const struct sim_kube_res *res, const char *ns,
		       bool create)
{
	const char *key = res->namespaced && ns ? ns : "";
	json_t *t = json_object_get(k->store[res->id], key);

	if (!t && create) {
		t = json_object();
		json_object_set_new(k->store[res->id], key, t);
	}
	return t;
}

json_t *sim_kube_lookup(struct sim_kube *k, const struct sim_kube_res *res, const char *ns,
			const char *name)
{
	return json_object_get(sim_kube_table(k, res, ns, false), name);
}

uint64_t sim_kube_next_rv(struct sim_kube *k)
{
	return ++k->rv;
}

static void set_rv(json_t *obj, uint64_t rv)
{
	json_object_set_new(json_object_get(obj, "metadata"), "resourceVersion",
			    json_sprintf("%" PRIu64, rv));
}

json_t *sim_kube_render(const struct sim_kube_res *res, const json_t *stored)
{
	json_t *o = json_object();
	char *av = sim_kube_api_version(res);

	json_object_set_new(o, "kind", json_string(res->kind));
	json_object_set_new(o, "apiVersion", json_string(av));
	json_object_update(o, (json_t *)stored);
	free(av);
	return o;
}

static void respond_obj(struct sim_kube_call *c, int status, const json_t *stored)
{
	sim_resp_json(c->resp, status, sim_kube_render(c->res, stored));
}

void sim_kube_seed(struct sim_kube *k)
{
	static const char *const names[] = { "default", "kube-system", "kube-public",
					     "kube-node-lease", NULL };

	for (size_t i = 0; names[i]; i++) {
		struct sim_kube_call c = { .k = k, .res = &sim_kube_resources[SIM_KUBE_NAMESPACES],
					   .seed = true };
		struct sim_resp resp = { 0 };
		json_t *body = json_pack("{s:{s:s}}", "metadata", "name", names[i]);

		berth_buf_init(&resp.body);
		c.resp = &resp;
		c.warnings = json_array();
		sim_kube_create_obj(&c, body);
		if (resp.status != 201)
			BERTH_BUG("seeding namespace %s: %d %s", names[i], resp.status, resp.body.buf);
		json_decref(body);
		json_decref(c.warnings);
		berth_buf_release(&resp.body);
		free(resp.content_type);
	}
}

/* ---- decoding ------------------------------------------------------------------- */

static const char *const meta_known[] = {
	"name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
	"creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
	"annotations", "ownerReferences", "finalizers", "managedFields", NULL,
};

static char *check_meta_types(const json_t *meta)
{
	static const char *const strings[] = { "name", "generateName", "namespace", "uid",
					       "resourceVersion", NULL };
	static const char *const maps[] = { "labels", "annotations", NULL };
	const char *key;
	json_t *v;
	size_t i;

	if (!meta || json_is_null(meta))
		return NULL;
	if (!json_is_object(meta))
		return xasprintf("json: cannot unmarshal %s into Go struct field .metadata of type "
				 "v1.ObjectMeta", json_is_array(meta) ? "array" : "value");
	for (i = 0; strings[i]; i++) {
		v = json_object_get(meta, strings[i]);
		if (v && !json_is_null(v) && !json_is_string(v))
			return xasprintf("json: cannot unmarshal value into Go struct field "
					 "ObjectMeta.metadata.%s of type string", strings[i]);
	}
	for (i = 0; maps[i]; i++) {
		json_t *m = json_object_get(meta, maps[i]);

		if (!m || json_is_null(m))
			continue;
		if (!json_is_object(m))
			return xasprintf("json: cannot unmarshal value into Go struct field "
					 "ObjectMeta.metadata.%s of type map[string]string", maps[i]);
		json_object_foreach(m, key, v)
			if (!json_is_string(v) && !json_is_null(v))
				return xasprintf("json: cannot unmarshal value into Go struct field "
						 "ObjectMeta.metadata.%s of type string", maps[i]);
	}
	v = json_object_get(meta, "finalizers");
	if (v && !json_is_null(v)) {
		json_t *f;

		if (!json_is_array(v))
			return xstrdup("json: cannot unmarshal value into Go struct field "
				       "ObjectMeta.metadata.finalizers of type []string");
		json_array_foreach(v, i, f)
			if (!json_is_string(f))
				return xstrdup("json: cannot unmarshal value into Go struct field "
					       "ObjectMeta.metadata.finalizers of type string");
	}
	v = json_object_get(meta, "ownerReferences");
	if (v && !json_is_null(v)) {
		json_t *o;

		if (!json_is_array(v))
			return xstrdup("json: cannot unmarshal value into Go struct field "
				       "ObjectMeta.metadata.ownerReferences of type []v1.OwnerReference");
		json_array_foreach(v, i, o)
			if (!json_is_object(o))
				return xstrdup("json: cannot unmarshal value into Go struct field "
					       "ObjectMeta.metadata.ownerReferences of type v1.OwnerReference");
	}
	return NULL;
}

/*
 * Decode a request body as the apiserver's JSON serializer would: the
 * type must match the endpoint, fields must have their Go types, and
 * unknown fields become warnings (or a 400 with fieldValidation=Strict).
 * Returns 0, or -1 with the 400 in c->resp.
 */
static int decode_body(struct sim_kube_call *c, const json_t *body)
{
	const struct sim_kube_res *res = c->res;
	const char *kind, *av, *key;
	char *expect_av = sim_kube_api_version(res), *e;
	json_t *unknown = json_array(), *v, *meta;
	int ret = -1;
	size_t i;

	if (!json_is_object(body)) {
		sim_kube_bad_request(c->resp, "the object provided is unrecognized (must be of type %s): "
				     "couldn't get version/kind; json parse error: json: cannot "
				     "unmarshal %s into Go value of type struct { APIVersion string "
				     "\"json:\\\"apiVersion,omitempty\\\"\"; Kind string "
				     "\"json:\\\"kind,omitempty\\\"\" }", res->kind,
				     json_is_array(body) ? "array" : "value");
		goto out;
	}
	kind = str(body, "kind");
	av = str(body, "apiVersion");
	if ((kind && *kind && strcmp(kind, res->kind)) || (av && *av && strcmp(av, expect_av))) {
		sim_kube_bad_request(c->resp, "%s in version \"%s\" cannot be handled as a %s: "
				     "the object provided is %s, %s, not %s, %s", res->kind,
				     res->version, res->kind, av && *av ? av : expect_av,
				     kind && *kind ? kind : res->kind, expect_av, res->kind);
		goto out;
	}
	meta = json_object_get(body, "metadata");
	e = check_meta_types(meta);
	if (!e)
		e = res->decode(body);
	if (e) {
		sim_kube_bad_request(c->resp, "%s in version \"%s\" cannot be handled as a %s: %s",
				     res->kind, res->version, res->kind, e);
		free(e);
		goto out;
	}
	json_object_foreach((json_t *)body, key, v) {
		if (!strcmp(key, "kind") || !strcmp(key, "apiVersion") || !strcmp(key, "metadata") ||
		    in_list(res->fields, key) || in_list(res->inputs, key))
			continue;
		json_array_append_new(unknown, json_sprintf("unknown field \"%s\"", key));
	}
	if (json_is_object(meta))
		json_object_foreach(meta, key, v)
			if (!in_list(meta_known, key))
				json_array_append_new(unknown,
						      json_sprintf("unknown field \"metadata.%s\"", key));
	if (c->strict && json_array_size(unknown)) {
		struct berth_buf b = BERTH_BUF_INIT;

		json_array_foreach(unknown, i, v)
			berth_buf_addf(&b, "%s%s", i ? ", " : "", json_string_value(v));
		sim_kube_bad_request(c->resp, "strict decoding error: %s", b.buf);
		berth_buf_release(&b);
		goto out;
	}
	json_array_foreach(unknown, i, v)
		json_array_append(c->warnings, v);
	ret = 0;
out:
	json_decref(unknown);
	free(expect_av);
	return ret;
}

/* ---- metadata ----------------------------------------------------------------- */

/* names.SimpleNameGenerator: base cut to 58 characters plus 5 random ones. */
static char *generate_name(const char *base)
{
	static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
	unsigned char r[5];
	char suffix[6];

	if (berth_random_bytes(r, sizeof(r)))
		BERTH_BUG("random source failed");
	for (size_t i = 0; i < 5; i++)
		suffix[i] = alphabet[r[i] % (sizeof(alphabet) - 1)];
	suffix[5] = '\0';
	return xasprintf("%.58s%s", base, suffix);
}

static void check_name(struct sim_kube_call *c, const char *field, const char *name, bool prefix,
		       struct sim_kube_errs *errs)
{
	json_t *msgs = json_array();
	char *n = xstrdup(name);
	size_t i, len = strlen(n);
	json_t *m;

	/* a generateName may end in '-' (ValidateNameFunc with prefix) */
	if (prefix && len && n[len - 1] == '-')
		n[len - 1] = 'a';
	if (c->res->name_is_label)
		sim_kube_check_label(n, msgs);
	else
		sim_kube_check_subdomain(n, msgs);
	json_array_foreach(msgs, i, m)
		sim_kube_err_invalid(errs, field, name, json_string_value(m));
	json_decref(msgs);
	free(n);
}

/* A map[string]string without null values, sorted; NULL when empty. */
static json_t *clean_map(const json_t *m)
{
	json_t *tmp = json_object(), *out;
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)m, key, v)
		if (json_is_string(v))
			json_object_set(tmp, key, v);
	out = json_object_size(tmp) ? sim_kube_sorted(tmp) : NULL;
	json_decref(tmp);
	return out;
}

static void check_labels(const json_t *labels, struct sim_kube_errs *errs)
{
	json_t *msgs = json_array();
	const char *key;
	json_t *v, *m;
	size_t i;

	json_object_foreach((json_t *)labels, key, v) {
		json_array_clear(msgs);
		sim_kube_check_qualified_name(key, msgs);
		json_array_foreach(msgs, i, m)
			sim_kube_err_invalid(errs, "metadata.labels", key, json_string_value(m));
		json_array_clear(msgs);
		sim_kube_check_label_value(json_string_value(v), msgs);
		json_array_foreach(msgs, i, m)
			sim_kube_err_invalid(errs, "metadata.labels", json_string_value(v),
					     json_string_value(m));
	}
	json_decref(msgs);
}

static void check_annotations(const json_t *ann, struct sim_kube_errs *errs)
{
	json_t *msgs = json_array();
	const char *key;
	json_t *v, *m;
	size_t i, total = 0;

	json_object_foreach((json_t *)ann, key, v) {
		char *lower = xstrdup(key);

		for (char *p = lower; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		json_array_clear(msgs);
		sim_kube_check_qualified_name(lower, msgs);
		json_array_foreach(msgs, i, m)
			sim_kube_err_invalid(errs, "metadata.annotations", key, json_string_value(m));
		free(lower);
		total += strlen(key) + json_string_length(v);
	}
	if (total > 256 * 1024)
		sim_kube_err_toolong(errs, "metadata.annotations", 256 * 1024);
	json_decref(msgs);
}

static void check_owner_refs(const json_t *refs, struct sim_kube_errs *errs)
{
	static const char *const keys[] = { "apiVersion", "kind", "name", "uid", NULL };
	static const char *const what[] = { "version", "kind", "name", "uid", NULL };
	size_t i;
	json_t *r;

	json_array_foreach(refs, i, r) {
		for (size_t j = 0; keys[j]; j++) {
			const char *v = str(r, keys[j]);

			if (!v || !*v) {
				char *f = xasprintf("metadata.ownerReferences.%s", keys[j]);
				char *d = xasprintf("%s must not be empty", what[j]);

				sim_kube_err_invalid(errs, f, "", d);
				free(d);
				free(f);
			}
		}
	}
}

/*
 * The stored metadata for a new (old NULL) or updated object: the user's
 * fields from in, system fields fresh or kept from old, in ObjectMeta's
 * field order; validation errors go to errs.
 */
static json_t *build_meta(struct sim_kube_call *c, const json_t *in, const json_t *old,
			  const char *name, struct sim_kube_errs *errs)
{
	const char *gen = str(in, "generateName");
	json_t *m = json_object(), *v;
	char ts[32], uid[37];

	json_object_set_new(m, "name", json_string(name));
	if (gen && *gen)
		json_object_set_new(m, "generateName", json_string(gen));
	if (c->res->namespaced)
		json_object_set_new(m, "namespace", json_string(c->ns));
	if (old) {
		const char *new_uid = str(in, "uid");

		if (new_uid && *new_uid && strcmp(new_uid, str(old, "uid")))
			sim_kube_err_invalid(errs, "metadata.uid", new_uid, "field is immutable");
		json_object_set(m, "uid", json_object_get(old, "uid"));
		json_object_set(m, "resourceVersion", json_object_get(old, "resourceVersion"));
		json_object_set(m, "creationTimestamp", json_object_get(old, "creationTimestamp"));
		if ((v = json_object_get(old, "deletionTimestamp")))
			json_object_set(m, "deletionTimestamp", v);
		if ((v = json_object_get(old, "deletionGracePeriodSeconds")))
			json_object_set(m, "deletionGracePeriodSeconds", v);
	} else {
		sim_kube_uuid(uid);
		now_rfc3339(ts);
		json_object_set_new(m, "uid", json_string(uid));
		json_object_set_new(m, "resourceVersion", json_string(""));
		json_object_set_new(m, "creationTimestamp", json_string(ts));
	}
	if ((v = clean_map(json_object_get(in, "labels")))) {
		check_labels(v, errs);
		json_object_set_new(m, "labels", v);
	}
	if ((v = clean_map(json_object_get(in, "annotations")))) {
		check_annotations(v, errs);
		json_object_set_new(m, "annotations", v);
	}
	v = json_object_get(in, "ownerReferences");
	if (json_array_size(v)) {
		check_owner_refs(v, errs);
		json_object_set_new(m, "ownerReferences", json_deep_copy(v));
	}
	v = json_object_get(in, "finalizers");
	if (json_array_size(v))
		json_object_set_new(m, "finalizers", json_deep_copy(v));

	/* ValidateObjectMeta */
	if (!*name)
		sim_kube_err_required(errs, "metadata.name", "name or generateName is required");
	else
		check_name(c, "metadata.name", name, false, errs);
	if (gen && *gen)
		check_name(c, "metadata.generateName", gen, true, errs);
	return m;
}

/* The new object before prepare: metadata plus the body's known top-level fields. */
static json_t *new_object(const struct sim_kube_res *res, json_t *meta, const json_t *body)
{
	json_t *o = json_object(), *v;

	json_object_set_new(o, "metadata", meta);
	for (size_t i = 0; res->fields[i]; i++)
		if ((v = json_object_get(body, res->fields[i])) && !json_is_null(v))
			json_object_set_new(o, res->fields[i], json_deep_copy(v));
	for (size_t i = 0; res->inputs[i]; i++)
		if ((v = json_object_get(body, res->inputs[i])) && !json_is_null(v))
			json_object_set_new(o, res->inputs[i], json_deep_copy(v));
	return o;
}

/* The stored form: metadata, then the resource's fields in output order. New reference. */
static json_t *assemble(const struct sim_kube_res *res, const json_t *obj)
{
	json_t *o = json_object(), *v;

	json_object_set(o, "metadata", json_object_get(obj, "metadata"));
	for (size_t i = 0; res->fields[i]; i++)
		if ((v = json_object_get(obj, res->fields[i])) && !json_is_null(v))
			json_object_set(o, res->fields[i], v);
	return o;
}

static void respond_invalid(struct sim_kube_call *c, const char *name,
			    const struct sim_kube_errs *errs)
{
	sim_kube_invalid(c->resp, c->res->group, c->res->kind, name, errs);
}

/* ---- create ---------------------------------------------------------------------- */

static bool ns_mismatch(struct sim_kube_call *c, const json_t *meta)
{
	const char *ns = str(meta, "namespace");

	if (!ns || !*ns)
		return false;
	return !c->res->namespaced || strcmp(ns, c->ns);
}

static void do_create(struct sim_kube_call *c, const json_t *body, const char *url_name)
{
	struct sim_kube_errs errs = { 0 };
	const json_t *in = json_object_get(body, "metadata");
	const char *name = str(in, "name"), *gen = str(in, "generateName");
	const char *rv = str(in, "resourceVersion");
	json_t *obj = NULL, *stored = NULL, *table;
	char *made = NULL;

	if (ns_mismatch(c, in)) {
		sim_kube_bad_request(c->resp, "the namespace of the provided object does not match "
					      "the namespace sent on the request");
		goto out;
	}
	if (url_name)
		name = url_name;
	if ((!name || !*name) && gen && *gen)
		name = made = generate_name(gen);
	if (!name)
		name = "";
	obj = new_object(c->res, build_meta(c, in, NULL, name, &errs), body);
	c->res->prepare(c->k, obj, NULL, &errs, c->seed);
	if (errs.n) {
		respond_invalid(c, name, &errs);
		goto out;
	}
	if (c->res->namespaced &&
	    !sim_kube_lookup(c->k, &sim_kube_resources[SIM_KUBE_NAMESPACES], NULL, c->ns)) {
		sim_kube_not_found(c->resp, &sim_kube_resources[SIM_KUBE_NAMESPACES], c->ns);
		goto out;
	}
	if (rv && *rv && !url_name) {
		sim_kube_status(c->resp, 500, NULL, NULL,
				"resourceVersion should not be set on objects to be created");
		goto out;
	}
	if (sim_kube_lookup(c->k, c->res, c->ns, name)) {
		sim_kube_already_exists(c->resp, c->res, name);
		goto out;
	}
	stored = assemble(c->res, obj);
	if (c->dry_run) {
		json_object_del(json_object_get(stored, "metadata"), "resourceVersion");
	} else {
		set_rv(stored, sim_kube_next_rv(c->k));
		table = sim_kube_table(c->k, c->res, c->ns, true);
		json_object_set(table, name, stored);
	}
	respond_obj(c, 201, stored);
out:
	json_decref(stored);
	json_decref(obj);
	sim_kube_errs_release(&errs);
	free(made);
}

void sim_kube_create_obj(struct sim_kube_call *c, json_t *body)
{
	if (decode_body(c, body))
		return;
	do_create(c, body, NULL);
}

/* ---- update ---------------------------------------------------------------------- */

/* Remove an object whose deletion waited for its finalizers. */
static void finish_delete(struct sim_kube_call *c, const char *name)
{
	json_object_del(sim_kube_table(c->k, c->res, c->ns, true), name);
}

static bool deleting_done(const json_t *stored)
{
	const json_t *meta = json_object_get(stored, "metadata");

	return json_object_get(meta, "deletionTimestamp") &&
	       !json_array_size(json_object_get(meta, "finalizers"));
}

/*
 * Update old (stored, borrowed) from body, which passed decode_body():
 * preconditions, validation, then a write only when something changed.
 */
static void do_update(struct sim_kube_call *c, const json_t *body, json_t *old)
{
	struct sim_kube_errs errs = { 0 };
	const json_t *in = json_object_get(body, "metadata");
	json_t *old_meta = json_object_get(old, "metadata");
	const char *rv = str(in, "resourceVersion"), *old_rv = str(old_meta, "resourceVersion");
	json_t *obj = NULL, *stored = NULL;

	json_incref(old);
	if (!rv || !*rv) {
		if (!c->res->unconditional_update) {
			sim_kube_err_invalid_raw(&errs, "metadata.resourceVersion", "0x0",
						 "must be specified for an update");
			sim_kube_invalid(c->resp, c->res->group, c->res->plural, c->name, &errs);
			goto out;
		}
	} else if (strcmp(rv, old_rv)) {
		sim_kube_conflict(c->resp, c->res, c->name, OPTIMISTIC_LOCK_MSG);
		goto out;
	}
	obj = new_object(c->res, build_meta(c, in, old_meta, c->name, &errs), body);
	c->res->prepare(c->k, obj, old, &errs, false);
	if (errs.n) {
		respond_invalid(c, c->name, &errs);
		goto out;
	}
	stored = assemble(c->res, obj);
	if (json_equal(stored, old)) {
		respond_obj(c, 200, old);
		goto out;
	}
	if (!c->dry_run) {
		set_rv(stored, sim_kube_next_rv(c->k));
		json_object_set(sim_kube_table(c->k, c->res, c->ns, true), c->name, stored);
		if (deleting_done(stored))
			finish_delete(c, c->name);
	}
	respond_obj(c, 200, stored);
out:
	json_decref(stored);
	json_decref(obj);
	json_decref(old);
	sim_kube_errs_release(&errs);
}

/* checkName: the body's name must be the URL's (an empty one too). */
static bool name_mismatch(struct sim_kube_call *c, const json_t *body)
{
	const char *name = str(json_object_get(body, "metadata"), "name");

	if (name && !strcmp(name, c->name))
		return false;
	sim_kube_bad_request(c->resp, "the name of the object (%s) does not match the name on the URL (%s)",
			     name ? name : "", c->name);
	return true;
}

void sim_kube_update(struct sim_kube_call *c, json_t *body)
{
	json_t *old;

	if (decode_body(c, body) || name_mismatch(c, body))
		return;
	if (ns_mismatch(c, json_object_get(body, "metadata"))) {
		sim_kube_bad_request(c->resp, "the namespace of the provided object does not match "
					      "the namespace sent on the request");
		return;
	}
	old = sim_kube_lookup(c->k, c->res, c->ns, c->name);
	if (!old) {
		if (c->res->create_on_update)
			do_create(c, body, c->name);
		else
			sim_kube_not_found(c->resp, c->res, c->name);
		return;
	}
	do_update(c, body, old);
}

/* ---- patch ----------------------------------------------------------------------- */

enum patch_type { PATCH_JSON, PATCH_MERGE, PATCH_STRATEGIC };

void sim_kube_patch(struct sim_kube_call *c)
{
	const char *ct = sim_header(c->req, "Content-Type");
	char *type = xstrdup(ct ? ct : ""), *semi = strchr(type, ';');
	json_t *patch = NULL, *cur = NULL, *result = NULL, *old;
	enum patch_type pt;
	json_error_t jerr;
	char *err = NULL;
	bool bad_doc;

	if (semi)
		*semi = '\0';
	for (char *p = type; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	while (*type && type[strlen(type) - 1] == ' ')
		type[strlen(type) - 1] = '\0';
	if (!strcmp(type, "application/json-patch+json")) {
		pt = PATCH_JSON;
	} else if (!strcmp(type, "application/merge-patch+json")) {
		pt = PATCH_MERGE;
	} else if (!strcmp(type, "application/strategic-merge-patch+json")) {
		pt = PATCH_STRATEGIC;
	} else {
		/* server-side apply (application/apply-patch+yaml) is not simulated */
		sim_kube_status(c->resp, 415, "UnsupportedMediaType", NULL,
				"the body of the request was in an unknown format - accepted media "
				"types include: application/json-patch+json, "
				"application/merge-patch+json, application/strategic-merge-patch+json");
		goto out;
	}
	old = sim_kube_lookup(c->k, c->res, c->ns, c->name);
	if (!old) {
		sim_kube_not_found(c->resp, c->res, c->name);
		goto out;
	}
	patch = json_loadb(c->req->body.buf, c->req->body.len, JSON_DECODE_ANY, &jerr);
	if (!patch) {
		sim_kube_bad_request(c->resp, "error decoding patch: %s", jerr.text);
		goto out;
	}
	cur = sim_kube_render(c->res, old);
	switch (pt) {
	case PATCH_MERGE:
	case PATCH_STRATEGIC:
		if (!json_is_object(patch)) {
			sim_kube_bad_request(c->resp, "Invalid JSON Patch");
			goto out;
		}
		result = pt == PATCH_MERGE ? sim_kube_merge_patch(cur, patch)
					   : sim_kube_strategic_patch(cur, patch);
		break;
	case PATCH_JSON:
		result = sim_kube_json_patch(cur, patch, &err, &bad_doc);
		if (!result) {
			if (bad_doc)
				sim_kube_bad_request(c->resp, "%s", err);
			else
				sim_kube_generic(c->resp, 422, "the server rejected our request due to "
							       "an error in our request");
			goto out;
		}
		break;
	}
	if (decode_body(c, result) || name_mismatch(c, result))
		goto out;
	if (ns_mismatch(c, json_object_get(result, "metadata"))) {
		sim_kube_bad_request(c->resp, "the namespace of the provided object does not match "
					      "the namespace sent on the request");
		goto out;
	}
	/* a patch applies to the latest object unless it names a resourceVersion itself */
	if (!str(json_object_get(result, "metadata"), "resourceVersion"))
		json_object_set(json_object_get(result, "metadata"), "resourceVersion",
				json_object_get(json_object_get(old, "metadata"), "resourceVersion"));
	do_update(c, result, old);
out:
	json_decref(result);
	json_decref(cur);
	json_decref(patch);
	free(err);
	free(type);
}

/* ---- get, list ------------------------------------------------------------------- */

void sim_kube_get(struct sim_kube_call *c)
{
	json_t *obj = sim_kube_lookup(c->k, c->res, c->ns, c->name);

	if (!obj) {
		sim_kube_not_found(c->resp, c->res, c->name);
		return;
	}
	respond_obj(c, 200, obj);
}

struct item {
	const char *key; /* name, or namespace/name for lists across namespaces */
	char *own;       /* key when it had to be built, else NULL (a borrowed table key) */
	json_t *obj;     /* borrowed */
};

static int cmp_item(const void *a, const void *b)
{
	return strcmp(((const struct item *)a)->key, ((const struct item *)b)->key);
}

/* The value a field selector names, or NULL. */
static json_t *field_labels(const struct sim_kube_res *res, const json_t *obj)
{
	json_t *meta = json_object_get(obj, "metadata");
	json_t *f = json_object();

	json_object_set(f, "metadata.name", json_object_get(meta, "name"));
	if (res->namespaced)
		json_object_set(f, "metadata.namespace", json_object_get(meta, "namespace"));
	if (res->id == SIM_KUBE_SECRETS)
		json_object_set(f, "type", json_object_get(obj, "type"));
	if (res->id == SIM_KUBE_NAMESPACES)
		json_object_set(f, "status.phase", json_object_get(json_object_get(obj, "status"),
								    "phase"));
	return f;
}

/* continue token: base64url(JSON {"v","rv","start"}) as the apiserver's storage encodes it. */
static char *encode_continue(uint64_t rv, const char *last_key)
{
	struct berth_buf b = BERTH_BUF_INIT;
	json_t *j;
	char *text;

	/* start is the last key plus a NUL: the next page begins strictly after it */
	j = json_pack("{s:s, s:I, s:s%}", "v", "meta.k8s.io/v1", "rv", (json_int_t)rv, "start",
		      last_key, strlen(last_key) + 1);
	text = json_dumps(j, JSON_COMPACT);
	berth_base64url_encode(&b, text, strlen(text));
	free(text);
	json_decref(j);
	return berth_buf_detach(&b, NULL);
}

/* Decode a continue token into the first key to return (*exclusive: strictly after). */
static int decode_continue(const char *tok, char **start, bool *exclusive)
{
	struct berth_buf b = BERTH_BUF_INIT;
	json_t *j = NULL;
	const char *s;
	size_t n;
	int ret = -1;

	if (berth_base64_decode(&b, tok, strlen(tok), true))
		goto out;
	j = json_loadb(b.buf, b.len, JSON_ALLOW_NUL, NULL);
	if (!j || !str(j, "v") || strcmp(str(j, "v"), "meta.k8s.io/v1") ||
	    !json_is_string(json_object_get(j, "start")))
		goto out;
	s = str(j, "start");
	n = json_string_length(json_object_get(j, "start"));
	*exclusive = n && s[n - 1] == '\0';
	*start = xstrndup(s, *exclusive ? n - 1 : n);
	ret = 0;
out:
	json_decref(j);
	berth_buf_release(&b);
	return ret;
}

/* Parse labelSelector/fieldSelector; on error fill resp (400) and return -1. */
static int parse_selectors(struct sim_kube_call *c, struct sim_kube_selector **ls,
			   struct sim_kube_selector **fs)
{
	char *err = NULL;

	*ls = sim_kube_selector_parse(sim_param(c->req, "labelSelector"), &err);
	if (!*ls) {
		sim_kube_bad_request(c->resp, "%s", err);
		free(err);
		return -1;
	}
	*fs = sim_kube_field_selector_parse(sim_param(c->req, "fieldSelector"),
					    c->res->field_selectors, &err);
	if (!*fs) {
		sim_kube_bad_request(c->resp, "%s", err);
		free(err);
		sim_kube_selector_free(*ls);
		*ls = NULL;
		return -1;
	}
	return 0;
}

/* Is key at or past the continue point? */
static bool after_start(const char *key, const char *start, bool exclusive)
{
	int c;

	if (!start)
		return true;
	c = strcmp(key, start);
	return exclusive ? c > 0 : c >= 0;
}

/*
 * The matching objects at or past the continue point, in no order; *n set.
 * Caller frees with free_items(). The continue point is checked first: the
 * pages of a long list do not match the objects of earlier pages again.
 */
static struct item *collect(struct sim_kube_call *c, const struct sim_kube_selector *ls,
			    const struct sim_kube_selector *fs, const char *start, bool exclusive,
			    size_t *n)
{
	struct item *items = NULL;
	size_t alloc = 0;
	const char *ns, *name;
	json_t *table, *obj;

	*n = 0;
	json_object_foreach(c->k->store[c->res->id], ns, table) {
		if (c->ns && c->res->namespaced && strcmp(ns, c->ns))
			continue;
		json_object_foreach(table, name, obj) {
			bool by_name = c->ns || !c->res->namespaced;
			char *own = by_name ? NULL : xasprintf("%s/%s", ns, name);
			const char *key = own ? own : name;
			json_t *labels;

			if (!after_start(key, start, exclusive)) {
				free(own);
				continue;
			}
			labels = json_object_get(json_object_get(obj, "metadata"), "labels");
			if (!sim_kube_selector_match(ls, labels)) {
				free(own);
				continue;
			}
			if (!sim_kube_selector_empty(fs)) {
				json_t *f = field_labels(c->res, obj);
				bool ok = sim_kube_selector_match(fs, f);

				json_decref(f);
				if (!ok) {
					free(own);
					continue;
				}
			}
			BERTH_ALLOC_GROW(items, *n + 1, alloc);
			items[*n].key = key;
			items[*n].own = own;
			items[*n].obj = obj;
			(*n)++;
		}
	}
	return items;
}

static void swap_items(struct item *a, struct item *b)
{
	struct item t = *a;

	*a = *b;
	*b = t;
}

/* Restore the max-heap order of items[0..k) from position i down. */
static void sift_down(struct item *items, size_t k, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, big = i;

		if (l < k && cmp_item(&items[l], &items[big]) > 0)
			big = l;
		if (r < k && cmp_item(&items[r], &items[big]) > 0)
			big = r;
		if (big == i)
			return;
		swap_items(&items[i], &items[big]);
		i = big;
	}
}

/*
 * Put the k smallest of n items, sorted, at the front: a max-heap of k, so a
 * page of k out of n costs n log k, not n log n.
 */
static void smallest_sorted(struct item *items, size_t n, size_t k)
{
	if (k < n) {
		for (size_t i = k / 2; i-- > 0;)
			sift_down(items, k, i);
		for (size_t i = k; i < n; i++)
			if (cmp_item(&items[i], &items[0]) < 0) {
				swap_items(&items[i], &items[0]);
				sift_down(items, k, 0);
			}
		n = k;
	}
	if (n > 1)
		qsort(items, n, sizeof(*items), cmp_item);
}

static void free_items(struct item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i].own);
	free(items);
}

void sim_kube_list(struct sim_kube_call *c)
{
	struct sim_kube_selector *ls = NULL, *fs = NULL;
	const char *limit_s = sim_param(c->req, "limit"), *cont = sim_param(c->req, "continue");
	struct item *items = NULL;
	size_t n = 0, last;
	long long limit = 0;
	char *start = NULL, *av = NULL;
	bool exclusive = false;
	json_t *list = NULL, *meta, *arr;

	if (limit_s && *limit_s && berth_parse_long(limit_s, LLONG_MIN, LLONG_MAX, &limit)) {
		sim_kube_bad_request(c->resp, "limit: Invalid value: \"%s\": must be an integer", limit_s);
		goto out;
	}
	if (cont && *cont && decode_continue(cont, &start, &exclusive)) {
		sim_kube_bad_request(c->resp, "continue key is not valid: illegal base64 data or "
					      "unrecognized continue token");
		goto out;
	}
	if (parse_selectors(c, &ls, &fs))
		goto out;
	items = collect(c, ls, fs, start, exclusive, &n);
	last = n;
	if (limit > 0 && (size_t)limit < n)
		last = (size_t)limit;
	smallest_sorted(items, n, last);

	av = sim_kube_api_version(c->res);
	meta = json_object();
	json_object_set_new(meta, "resourceVersion", json_sprintf("%" PRIu64, c->k->rv));
	if (last < n) {
		char *tok = encode_continue(c->k->rv, items[last - 1].key);

		json_object_set_new(meta, "continue", json_string(tok));
		free(tok);
		if (sim_kube_selector_empty(ls) && sim_kube_selector_empty(fs))
			json_object_set_new(meta, "remainingItemCount", json_integer((json_int_t)(n - last)));
	}
	arr = json_array();
	for (size_t i = 0; i < last; i++)
		json_array_append(arr, items[i].obj);
	list = json_pack("{s:s, s:s, s:o, s:o}", "kind", c->res->list_kind, "apiVersion", av,
			 "metadata", meta, "items", arr);
	sim_resp_json(c->resp, 200, list);
out:
	free_items(items, n);
	sim_kube_selector_free(ls);
	sim_kube_selector_free(fs);
	free(start);
	free(av);
}

/* ---- delete ------------------------------------------------------------------------ */

static void respond_deleted(struct sim_kube_call *c, const char *name, const char *uid)
{
	json_t *details = sim_kube_details(c->res, name);
	json_t *st;

	json_object_set_new(details, "uid", json_string(uid));
	st = json_pack("{s:s, s:s, s:{}, s:s, s:o}", "kind", "Status", "apiVersion", "v1",
		       "metadata", "status", "Success", "details", details);
	sim_resp_json(c->resp, 200, st);
}

/* Delete one object (borrowed; it may be freed). Returns the HTTP status it answers with. */
static void delete_one(struct sim_kube_call *c, const char *name, json_t *obj, bool answer)
{
	json_t *meta = json_object_get(obj, "metadata");
	char *uid = xstrdup(str(meta, "uid"));
	char ts[32];

	json_incref(obj);
	if (c->res->id == SIM_KUBE_NAMESPACES) {
		/* namespaces answer with themselves, Terminating; contents go with them */
		json_t *copy = json_deep_copy(obj);

		now_rfc3339(ts);
		json_object_set_new(json_object_get(copy, "metadata"), "deletionTimestamp",
				    json_string(ts));
		json_object_set_new(json_object_get(copy, "status"), "phase",
				    json_string("Terminating"));
		if (!c->dry_run) {
			for (size_t i = 0; i < SIM_KUBE_NRES; i++)
				if (sim_kube_resources[i].namespaced)
					json_object_del(c->k->store[i], name);
			json_object_del(sim_kube_table(c->k, c->res, NULL, true), name);
			sim_kube_next_rv(c->k);
		}
		if (answer)
			respond_obj(c, 200, copy);
		json_decref(copy);
	} else if (json_array_size(json_object_get(meta, "finalizers"))) {
		/* graceful: mark it and wait for the finalizers to go */
		if (!json_object_get(meta, "deletionTimestamp") && !c->dry_run) {
			now_rfc3339(ts);
			json_object_set_new(meta, "deletionTimestamp", json_string(ts));
			json_object_set_new(meta, "deletionGracePeriodSeconds", json_integer(0));
			set_rv(obj, sim_kube_next_rv(c->k));
		}
		if (answer)
			respond_obj(c, 200, obj);
	} else {
		if (!c->dry_run) {
			json_object_del(sim_kube_table(c->k, c->res, c->ns, true), name);
			sim_kube_next_rv(c->k);
		}
		if (answer)
			respond_deleted(c, name, uid);
	}
	json_decref(obj);
	free(uid);
}

void sim_kube_delete(struct sim_kube_call *c)
{
	json_t *obj = sim_kube_lookup(c->k, c->res, c->ns, c->name), *opts = NULL, *pre;
	const char *want_uid, *want_rv, *uid, *rv;
	json_error_t jerr;

	if (!obj) {
		sim_kube_not_found(c->resp, c->res, c->name);
		return;
	}
	if (c->req->body.len) {
		opts = json_loadb(c->req->body.buf, c->req->body.len, 0, &jerr);
		if (!json_is_object(opts)) {
			sim_kube_bad_request(c->resp, "DeleteOptions in version \"v1\" cannot be handled "
						      "as a DeleteOptions: %s", jerr.text);
			json_decref(opts);
			return;
		}
		if (json_is_array(json_object_get(opts, "dryRun")) &&
		    json_array_size(json_object_get(opts, "dryRun")))
			c->dry_run = true;
	}
	pre = json_object_get(opts, "preconditions");
	want_uid = str(pre, "uid");
	want_rv = str(pre, "resourceVersion");
	uid = str(json_object_get(obj, "metadata"), "uid");
	rv = str(json_object_get(obj, "metadata"), "resourceVersion");
	if (want_uid && strcmp(want_uid, uid)) {
		char *why = xasprintf("Precondition failed: UID in precondition: %s, UID in object "
				      "meta: %s", want_uid, uid);

		sim_kube_conflict(c->resp, c->res, c->name, why);
		free(why);
	} else if (want_rv && strcmp(want_rv, rv)) {
		char *why = xasprintf("Precondition failed: ResourceVersion in precondition: %s, "
				      "ResourceVersion in object meta: %s", want_rv, rv);

		sim_kube_conflict(c->resp, c->res, c->name, why);
		free(why);
	} else {
		delete_one(c, c->name, obj, true);
	}
	json_decref(opts);
}

void sim_kube_delete_collection(struct sim_kube_call *c)
{
	struct sim_kube_selector *ls = NULL, *fs = NULL;
	struct item *items;
	size_t n = 0;
	json_t *arr, *list;
	char *av;

	if (parse_selectors(c, &ls, &fs))
		return;
	items = collect(c, ls, fs, NULL, false, &n);
	smallest_sorted(items, n, n);
	arr = json_array();
	for (size_t i = 0; i < n; i++) {
		const char *name = str(json_object_get(items[i].obj, "metadata"), "name");
		const char *ns = str(json_object_get(items[i].obj, "metadata"), "namespace");
		struct sim_kube_call one = *c;
		char *nm = xstrdup(name);

		one.ns = ns;
		json_array_append(arr, items[i].obj);
		delete_one(&one, nm, items[i].obj, false);
		free(nm);
	}
	av = sim_kube_api_version(c->res);
	list = json_pack("{s:s, s:s, s:{s:o}, s:o}", "kind", c->res->list_kind, "apiVersion", av,
			 "metadata", "resourceVersion", json_sprintf("%" PRIu64, c->k->rv), "items", arr);
	sim_resp_json(c->resp, 200, list);
	free(av);
	free_items(items, n);
	sim_kube_selector_free(ls);
	sim_kube_selector_free(fs);
}

/* ---- control ------------------------------------------------------------------------- */

int sim_kube_touch(struct sim_kube *k, const struct sim_kube_res *res, const char *ns,
		   const char *name, uint64_t *rv)
{
	json_t *obj = sim_kube_lookup(k, res, ns, name);

	if (!obj)
		return -1;
	*rv = sim_kube_next_rv(k);
	set_rv(obj, *rv);
	return 0;
}
