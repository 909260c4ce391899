/*
 * sim_kube_types.c - the resources the simulated Kubernetes API serves,
 * with what their registry strategies and validation do on the real
 * server: Namespace, Secret (core/v1), Ingress (networking.k8s.io/v1) and
 * Lease (coordination.k8s.io/v1).
 *
 * Sources: kubernetes pkg/registry/{core/namespace,core/secret,
 * networking/ingress,coordination/lease}/strategy.go and
 * pkg/apis/{core,networking,coordination}/validation (see
 * research/vault-kube.md B.3, B.9, B.11).
 */
#include "compat.h"
#include "sim_kube.h"
#include "buf.h"
#include "codec.h"
#include "xalloc.h"

#define MAX_SECRET_SIZE (1024L * 1024L)

/* The JSON type name Go's decoder reports ("string", "number", "object", ...). */
static const char *go_json_type(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "bool";
	case JSON_NULL:
		return "null";
	}
	return "value";
}

static char *unmarshal_err(const json_t *v, const char *go_field, const char *go_type)
{
	return xasprintf("json: cannot unmarshal %s into Go struct field %s of type %s",
			 go_json_type(v), go_field, go_type);
}

/* A map[string]string field: NULL or an error (new string). */
static char *check_string_map(const json_t *m, const char *go_field)
{
	const char *key;
	json_t *v;

	if (!m || json_is_null(m))
		return NULL;
	if (!json_is_object(m))
		return unmarshal_err(m, go_field, "map[string]string");
	json_object_foreach((json_t *)m, key, v)
		if (!json_is_string(v) && !json_is_null(v))
			return unmarshal_err(v, go_field, "string");
	return NULL;
}

/*
 * Go's base64.StdEncoding.Decode as encoding/json uses it for []byte:
 * padding required, '\r' and '\n' ignored. Returns -1 when valid, else the
 * offset Go reports in "illegal base64 data at input byte N".
 */
static long base64_bad_offset(const char *s)
{
	size_t n = 0, len = strlen(s), pad = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '\r' || c == '\n')
			continue;
		if (pad) {
			if (c != '=' || pad >= 2 || n % 4 == 0)
				return (long)i;
			pad++;
			n++;
			continue;
		}
		if (c == '=') {
			if (n % 4 < 2)
				return (long)i;
			pad = 1;
			n++;
			continue;
		}
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/'))
			return (long)i;
		n++;
	}
	if (n % 4)
		return (long)len;
	if (pad && n % 4)
		return (long)len;
	return -1;
}

/* Decode standard base64 (already checked) into out. */
static void base64_decode(struct berth_buf *out, const char *s)
{
	struct berth_buf clean = BERTH_BUF_INIT;

	for (const char *p = s; *p; p++)
		if (*p != '\r' && *p != '\n')
			berth_buf_addch(&clean, *p);
	if (berth_base64_decode(out, clean.buf, clean.len, false))
		BERTH_BUG("base64 checked but not decodable");
	berth_buf_release(&clean);
}

/* ---- Secret -------------------------------------------------------------------- */

static char *secret_decode(const json_t *obj)
{
	const json_t *data = json_object_get(obj, "data");
	const json_t *type = json_object_get(obj, "type");
	const json_t *imm = json_object_get(obj, "immutable");
	const char *key;
	json_t *v;
	char *e;

	if (data && !json_is_null(data)) {
		if (!json_is_object(data))
			return unmarshal_err(data, "Secret.data", "map[string][]uint8");
		json_object_foreach((json_t *)data, key, v) {
			long bad;

			if (json_is_null(v))
				continue;
			if (!json_is_string(v))
				return unmarshal_err(v, "Secret.data", "[]uint8");
			bad = base64_bad_offset(json_string_value(v));
			if (bad >= 0)
				return xasprintf("illegal base64 data at input byte %ld", bad);
		}
	}
	e = check_string_map(json_object_get(obj, "stringData"), "Secret.stringData");
	if (e)
		return e;
	if (type && !json_is_null(type) && !json_is_string(type))
		return unmarshal_err(type, "Secret.type", "v1.SecretType");
	if (imm && !json_is_null(imm) && !json_is_boolean(imm))
		return unmarshal_err(imm, "Secret.immutable", "bool");
	return NULL;
}

/*
 * json.Unmarshal(value, &map[string]interface{}{}): NULL when it would
 * succeed (any object, or null), else Go's error text (new string).
 */
static char *go_unmarshal_object(const struct berth_buf *value)
{
	json_error_t jerr;
	json_t *v = json_loadb(value->buf, value->len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	const char *p = value->buf;
	char *e = NULL;

	if (v) {
		if (!json_is_object(v) && !json_is_null(v))
			e = xasprintf("json: cannot unmarshal %s into Go value of type "
				      "map[string]interface {}", go_json_type(v));
		json_decref(v);
		return e;
	}
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (!*p)
		return xstrdup("unexpected end of JSON input");
	if (!strchr("{[\"-0123456789tfn", *p))
		return xasprintf("invalid character '%c' looking for beginning of value", *p);
	if (json_error_code(&jerr) == json_error_premature_end_of_input)
		return xstrdup("unexpected end of JSON input");
	return xasprintf("invalid JSON: %s", jerr.text);
}

static bool has_key(const json_t *data, const char *key)
{
	return json_object_get(data, key) != NULL;
}

static void secret_prepare(struct sim_kube *k, json_t *obj, const json_t *old,
			   struct sim_kube_errs *errs, bool seed)
{
	json_t *data = json_object_get(obj, "data");
	json_t *sdata = json_object_get(obj, "stringData");
	json_t *merged = json_object(), *msgs = json_array();
	const char *type, *key;
	json_t *v;
	long total = 0;

	(void)k;
	(void)seed;
	/* stringData is merged into data on write and never stored (v1 conversion). */
	if (json_is_object(data))
		json_object_foreach(data, key, v)
			if (json_is_string(v))
				json_object_set(merged, key, v);
	if (json_is_object(sdata)) {
		json_object_foreach(sdata, key, v) {
			struct berth_buf b = BERTH_BUF_INIT;
			const char *s = json_string_value(v) ? json_string_value(v) : "";

			berth_base64_encode(&b, s, strlen(s));
			json_object_set_new(merged, key, json_string(b.buf));
			berth_buf_wipe(&b);
		}
	}
	json_object_del(obj, "stringData");
	if (json_object_size(merged))
		json_object_set_new(obj, "data", sim_kube_sorted(merged));
	else
		json_object_del(obj, "data");
	json_decref(merged);
	data = json_object_get(obj, "data");

	type = json_string_value(json_object_get(obj, "type"));
	if (!type || !*type)
		json_object_set_new(obj, "type", json_string("Opaque"));
	type = json_string_value(json_object_get(obj, "type"));
	if (json_is_null(json_object_get(obj, "immutable")))
		json_object_del(obj, "immutable");

	/* ValidateSecretUpdate */
	if (old) {
		const char *old_type = json_string_value(json_object_get(old, "type"));
		json_t *old_data = json_object_get(old, "data");

		if (old_type && strcmp(type, old_type))
			sim_kube_err_invalid(errs, "type", type, "field is immutable");
		if (json_is_true(json_object_get(old, "immutable"))) {
			json_t *empty = json_object();

			if (!json_is_true(json_object_get(obj, "immutable")))
				sim_kube_err_forbidden(errs, "immutable",
						       "field is immutable when `immutable` is set");
			if (!json_equal(data ? data : empty, old_data ? old_data : empty))
				sim_kube_err_forbidden(errs, "data",
						       "field is immutable when `immutable` is set");
			json_decref(empty);
		}
	}

	/* ValidateSecret */
	json_object_foreach(data, key, v) {
		struct berth_buf dec = BERTH_BUF_INIT;
		size_t i;
		json_t *m;

		json_array_clear(msgs);
		if (!sim_kube_check_config_key(key, msgs)) {
			char *field = xasprintf("data[%s]", key);

			json_array_foreach(msgs, i, m)
				sim_kube_err_invalid(errs, field, key, json_string_value(m));
			free(field);
		}
		base64_decode(&dec, json_string_value(v));
		total += (long)dec.len;
		berth_buf_wipe(&dec);
	}
	if (total > MAX_SECRET_SIZE)
		sim_kube_err_toolong(errs, "data", MAX_SECRET_SIZE);

	if (!strcmp(type, "kubernetes.io/dockerconfigjson") || !strcmp(type, "kubernetes.io/dockercfg")) {
		const char *k2 = !strcmp(type, "kubernetes.io/dockercfg") ? ".dockercfg" : ".dockerconfigjson";
		char *field = xasprintf("data[%s]", k2);
		const char *val = json_string_value(json_object_get(data, k2));

		if (!val) {
			sim_kube_err_required(errs, field, NULL);
		} else {
			struct berth_buf dec = BERTH_BUF_INIT;
			char *e;

			base64_decode(&dec, val);
			e = go_unmarshal_object(&dec);
			if (e)
				sim_kube_err_invalid(errs, field, "<secret contents redacted>", e);
			free(e);
			berth_buf_wipe(&dec);
		}
		free(field);
	} else if (!strcmp(type, "kubernetes.io/tls")) {
		if (!has_key(data, "tls.crt"))
			sim_kube_err_required(errs, "data[tls.crt]", NULL);
		if (!has_key(data, "tls.key"))
			sim_kube_err_required(errs, "data[tls.key]", NULL);
	} else if (!strcmp(type, "kubernetes.io/basic-auth")) {
		if (!has_key(data, "username") && !has_key(data, "password")) {
			sim_kube_err_required(errs, "data[username]", NULL);
			sim_kube_err_required(errs, "data[password]", NULL);
		}
	} else if (!strcmp(type, "kubernetes.io/ssh-auth")) {
		const char *pk = json_string_value(json_object_get(data, "ssh-privatekey"));

		if (!pk || !*pk)
			sim_kube_err_required(errs, "data[ssh-privatekey]", NULL);
	} else if (!strcmp(type, "kubernetes.io/service-account-token")) {
		json_t *ann = json_object_get(json_object_get(obj, "metadata"), "annotations");

		if (!json_object_get(ann, "kubernetes.io/service-account.name"))
			sim_kube_err_required(errs,
					      "metadata.annotations[kubernetes.io/service-account.name]",
					      NULL);
	}
	json_decref(msgs);
}

/* ---- Namespace ------------------------------------------------------------------ */

static char *namespace_decode(const json_t *obj)
{
	const json_t *spec = json_object_get(obj, "spec");

	if (spec && !json_is_null(spec) && !json_is_object(spec))
		return unmarshal_err(spec, "Namespace.spec", "v1.NamespaceSpec");
	return NULL;
}

static void namespace_prepare(struct sim_kube *k, json_t *obj, const json_t *old,
			      struct sim_kube_errs *errs, bool seed)
{
	json_t *meta = json_object_get(obj, "metadata");
	json_t *labels = json_object_get(meta, "labels");
	const char *name = json_string_value(json_object_get(meta, "name"));

	(void)k;
	(void)errs;
	(void)seed;
	/* PrepareForCreate: phase Active, finalizer "kubernetes"; updates keep spec and status. */
	if (old) {
		json_object_set(obj, "spec", json_object_get(old, "spec"));
		json_object_set(obj, "status", json_object_get(old, "status"));
	} else {
		json_object_set_new(obj, "spec", json_pack("{s:[s]}", "finalizers", "kubernetes"));
		json_object_set_new(obj, "status", json_pack("{s:s}", "phase", "Active"));
	}
	/* The apiserver keeps the label kubernetes.io/metadata.name = name. */
	if (name) {
		json_t *l = labels ? json_deep_copy(labels) : json_object();

		json_object_set_new(l, "kubernetes.io/metadata.name", json_string(name));
		json_object_set_new(meta, "labels", sim_kube_sorted(l));
		json_decref(l);
	}
}

/* ---- Ingress ---------------------------------------------------------------------- */

static char *ingress_decode(const json_t *obj)
{
	const json_t *spec = json_object_get(obj, "spec");
	const json_t *rules = json_object_get(spec, "rules");
	const json_t *tls = json_object_get(spec, "tls");

	if (spec && !json_is_null(spec) && !json_is_object(spec))
		return unmarshal_err(spec, "Ingress.spec", "v1.IngressSpec");
	if (rules && !json_is_null(rules) && !json_is_array(rules))
		return unmarshal_err(rules, "Ingress.spec.rules", "[]v1.IngressRule");
	if (tls && !json_is_null(tls) && !json_is_array(tls))
		return unmarshal_err(tls, "Ingress.spec.tls", "[]v1.IngressTLS");
	return NULL;
}

static void check_host(struct sim_kube_errs *errs, const char *field, const char *host)
{
	json_t *msgs = json_array();
	const char *h = host;
	size_t i;
	json_t *m;

	if (!strncmp(h, "*.", 2))
		h += 2;
	if (!sim_kube_check_subdomain(h, msgs))
		json_array_foreach(msgs, i, m)
			sim_kube_err_invalid(errs, field, host, json_string_value(m));
	json_decref(msgs);
}

static void ingress_prepare(struct sim_kube *k, json_t *obj, const json_t *old,
			    struct sim_kube_errs *errs, bool seed)
{
	static const char *const path_types[] = { "Exact", "ImplementationSpecific", "Prefix", NULL };
	json_t *spec = json_object_get(obj, "spec");
	json_t *rules = json_object_get(spec, "rules");
	size_t i, j;
	json_t *rule, *path;

	(void)k;
	/* status is a subresource: create resets it, update keeps the stored one */
	if (old)
		json_object_set(obj, "status", json_object_get(old, "status"));
	else if (!seed || !json_is_object(json_object_get(obj, "status")))
		json_object_set_new(obj, "status", json_pack("{s:{}}", "loadBalancer"));
	if (!json_is_object(spec)) {
		spec = json_object();
		json_object_set_new(obj, "spec", spec);
	}
	if (!json_array_size(rules) && !json_object_get(spec, "defaultBackend"))
		sim_kube_err_invalid_raw(errs, "spec", "[]networking.IngressRule(nil)",
					 "either `defaultBackend` or `rules` must be specified");
	json_array_foreach(rules, i, rule) {
		const char *host = json_string_value(json_object_get(rule, "host"));
		json_t *paths = json_object_get(json_object_get(rule, "http"), "paths");

		if (host && *host) {
			char *f = xasprintf("spec.rules[%zu].host", i);

			check_host(errs, f, host);
			free(f);
		}
		json_array_foreach(paths, j, path) {
			const char *pt = json_string_value(json_object_get(path, "pathType"));
			const char *p = json_string_value(json_object_get(path, "path"));
			json_t *backend = json_object_get(path, "backend");
			char *base = xasprintf("spec.rules[%zu].http.paths[%zu]", i, j);
			char *f;

			if (!pt) {
				f = xasprintf("%s.pathType", base);
				sim_kube_err_required(errs, f, "pathType must be specified");
				free(f);
			} else if (strcmp(pt, "Exact") && strcmp(pt, "Prefix") &&
				   strcmp(pt, "ImplementationSpecific")) {
				f = xasprintf("%s.pathType", base);
				sim_kube_err_notsupported(errs, f, pt, path_types);
				free(f);
			} else if (strcmp(pt, "ImplementationSpecific") && (!p || p[0] != '/')) {
				f = xasprintf("%s.path", base);
				sim_kube_err_invalid(errs, f, p ? p : "", "must be an absolute path");
				free(f);
			}
			if (!json_object_get(backend, "service") && !json_object_get(backend, "resource")) {
				f = xasprintf("%s.backend", base);
				sim_kube_err_invalid_raw(errs, f, "\"\"",
							 "resource or service must be specified");
				free(f);
			}
			free(base);
		}
	}
}

/* ---- Lease ------------------------------------------------------------------------ */

static char *lease_decode(const json_t *obj)
{
	const json_t *spec = json_object_get(obj, "spec");
	static const char *const strings[] = { "holderIdentity", "acquireTime", "renewTime",
					       "strategy", "preferredHolder", NULL };
	static const char *const ints[] = { "leaseDurationSeconds", "leaseTransitions", NULL };

	if (!spec || json_is_null(spec))
		return NULL;
	if (!json_is_object(spec))
		return unmarshal_err(spec, "Lease.spec", "v1.LeaseSpec");
	for (size_t i = 0; strings[i]; i++) {
		json_t *v = json_object_get(spec, strings[i]);
		char *f;
		char *e;

		if (!v || json_is_null(v) || json_is_string(v))
			continue;
		f = xasprintf("Lease.spec.%s", strings[i]);
		e = unmarshal_err(v, f, "string");
		free(f);
		return e;
	}
	for (size_t i = 0; ints[i]; i++) {
		json_t *v = json_object_get(spec, ints[i]);
		char *f;
		char *e;

		if (!v || json_is_null(v) || json_is_integer(v))
			continue;
		f = xasprintf("Lease.spec.%s", ints[i]);
		e = unmarshal_err(v, f, "int32");
		free(f);
		return e;
	}
	return NULL;
}

static void lease_prepare(struct sim_kube *k, json_t *obj, const json_t *old,
			  struct sim_kube_errs *errs, bool seed)
{
	json_t *spec = json_object_get(obj, "spec");
	json_t *d = json_object_get(spec, "leaseDurationSeconds");
	json_t *t = json_object_get(spec, "leaseTransitions");
	char repr[32];

	(void)k;
	(void)old;
	(void)seed;
	if (!json_is_object(spec))
		json_object_set_new(obj, "spec", json_object());
	if (json_is_integer(d) && json_integer_value(d) <= 0) {
		snprintf(repr, sizeof(repr), "%" JSON_INTEGER_FORMAT, json_integer_value(d));
		sim_kube_err_invalid_raw(errs, "spec.leaseDurationSeconds", repr,
					 "must be greater than 0");
	}
	if (json_is_integer(t) && json_integer_value(t) < 0) {
		snprintf(repr, sizeof(repr), "%" JSON_INTEGER_FORMAT, json_integer_value(t));
		sim_kube_err_invalid_raw(errs, "spec.leaseTransitions", repr,
					 "must be greater than or equal to 0");
	}
	/* drop nulls the way Go's omitempty pointers do */
	if (json_is_object(spec)) {
		const char *key;
		json_t *v;
		void *tmp;

		json_object_foreach_safe(spec, tmp, key, v)
			if (json_is_null(v))
				json_object_del(spec, key);
	}
}

/* ---- the table ------------------------------------------------------------------- */

static const char *const ns_fields[] = { "spec", "status", NULL };
static const char *const secret_fields[] = { "immutable", "data", "type", NULL };
static const char *const secret_inputs[] = { "stringData", NULL };
static const char *const ingress_fields[] = { "spec", "status", NULL };
static const char *const lease_fields[] = { "spec", NULL };
static const char *const no_inputs[] = { NULL };
static const char *const ns_selectors[] = { "metadata.name", "status.phase", NULL };
static const char *const secret_selectors[] = { "metadata.name", "metadata.namespace", "type", NULL };
static const char *const default_selectors[] = { "metadata.name", "metadata.namespace", NULL };

const struct sim_kube_res sim_kube_resources[SIM_KUBE_NRES] = {
	[SIM_KUBE_NAMESPACES] = {
		.id = SIM_KUBE_NAMESPACES, .plural = "namespaces", .group = "", .version = "v1",
		.kind = "Namespace", .list_kind = "NamespaceList", .namespaced = false,
		.create_on_update = false, .unconditional_update = true, .name_is_label = true,
		.fields = ns_fields, .inputs = no_inputs, .field_selectors = ns_selectors,
		.decode = namespace_decode, .prepare = namespace_prepare,
	},
	[SIM_KUBE_SECRETS] = {
		.id = SIM_KUBE_SECRETS, .plural = "secrets", .group = "", .version = "v1",
		.kind = "Secret", .list_kind = "SecretList", .namespaced = true,
		.create_on_update = false, .unconditional_update = true, .name_is_label = false,
		.fields = secret_fields, .inputs = secret_inputs, .field_selectors = secret_selectors,
		.decode = secret_decode, .prepare = secret_prepare,
	},
	[SIM_KUBE_INGRESSES] = {
		.id = SIM_KUBE_INGRESSES, .plural = "ingresses", .group = "networking.k8s.io",
		.version = "v1", .kind = "Ingress", .list_kind = "IngressList", .namespaced = true,
		.create_on_update = false, .unconditional_update = true, .name_is_label = false,
		.fields = ingress_fields, .inputs = no_inputs, .field_selectors = default_selectors,
		.decode = ingress_decode, .prepare = ingress_prepare,
	},
	[SIM_KUBE_LEASES] = {
		.id = SIM_KUBE_LEASES, .plural = "leases", .group = "coordination.k8s.io",
		.version = "v1", .kind = "Lease", .list_kind = "LeaseList", .namespaced = true,
		.create_on_update = true, .unconditional_update = false, .name_is_label = false,
		.fields = lease_fields, .inputs = no_inputs, .field_selectors = default_selectors,
		.decode = lease_decode, .prepare = lease_prepare,
	},
};
