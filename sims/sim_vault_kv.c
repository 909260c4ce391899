/*
 * sim_vault_kv.c - the simulated KV secrets engines: version 1 (flat
 * values, 204 writes) and version 2 (versions, metadata, check-and-set,
 * soft delete, destroy, the three shapes of 404).
 *
 * Behaviour follows hashicorp/vault-plugin-secrets-kv: path_data.go,
 * path_metadata.go, path_delete.go, path_destroy.go, path_config.go,
 * path_subkeys.go, backend.go (pathInvalid) and passthrough.go (v1).
 * Keys live in a hash map per mount (O(1) reads and writes) with a
 * directory index for LIST.
 */
#include "compat.h"
#include "sim.h"
#include "sim_vault_internal.h"
#include "util.h"
#include "xalloc.h"

#define DEFAULT_MAX_VERSIONS 10
#define DEFAULT_LEASE_TTL_S 2764800 /* 768h, Vault's system default lease TTL */

/* ---- storage helpers -------------------------------------------------------- */

static void secret_free(void *p)
{
	struct sim_vault_secret *s = p;

	if (!s)
		return;
	for (uint64_t i = 0; i < s->current_version; i++)
		json_decref(s->versions[i].data);
	free(s->versions);
	json_decref(s->custom_metadata);
	free(s);
}

static void value_free(void *p)
{
	json_decref(p);
}

void sim_vault_mount_free(struct sim_vault_mount *m)
{
	if (!m)
		return;
	sim_vault_map_release(&m->keys, m->version == SIM_VAULT_KV2 ? secret_free : value_free);
	sim_vault_index_release(&m->index);
	free(m->path);
	free(m->ns);
	free(m->rel);
	free(m);
}

static struct sim_vault_secret *secret_new(struct sim_vault_mount *m, const char *key, int64_t now)
{
	struct sim_vault_secret *s = xcalloc(1, sizeof(*s));

	s->created_ns = s->updated_ns = now;
	sim_vault_map_put(&m->keys, key, s);
	sim_vault_index_add(&m->index, key);
	return s;
}

static struct sim_vault_version *version_get(struct sim_vault_secret *s, uint64_t ver)
{
	if (!s || ver == 0 || ver > s->current_version || !s->versions[ver - 1].present)
		return NULL;
	return &s->versions[ver - 1];
}

static bool version_deleted(const struct sim_vault_version *vm, int64_t now)
{
	return vm->deletion_ns && vm->deletion_ns < now;
}

/* deletionTime(): the smaller of the engine's and the key's delete_version_after. */
static int64_t deletion_for(const struct sim_vault_mount *m, const struct sim_vault_secret *s,
			    int64_t from_ns)
{
	int64_t mount = m->dva_s > 0 ? m->dva_s : 0, key = s->dva_s > 0 ? s->dva_s : 0, min;

	if (m->dva_s < 0 || (!mount && !key))
		return 0;
	min = key;
	if ((mount && mount < min) || !min)
		min = mount;
	return from_ns + min * 1000000000LL;
}

/*
 * AddVersion: append version current+1 holding data (stolen) and drop the
 * oldest ones beyond max(key max_versions, engine max_versions), 10 when
 * both are 0.
 */
static struct sim_vault_version *add_version(struct sim_vault_mount *m, struct sim_vault_secret *s,
					     json_t *data, int64_t now)
{
	struct sim_vault_version *vm;
	uint32_t max = s->max_versions > m->max_versions ? s->max_versions : m->max_versions;

	if (!max)
		max = DEFAULT_MAX_VERSIONS;
	BERTH_ALLOC_GROW(s->versions, s->current_version + 1, s->alloc);
	vm = &s->versions[s->current_version];
	memset(vm, 0, sizeof(*vm));
	vm->created_ns = now;
	vm->deletion_ns = deletion_for(m, s, now);
	vm->present = true;
	vm->data = data;
	s->current_version++;
	s->updated_ns = now;
	if (!s->created_ns)
		s->created_ns = now;
	if (s->current_version - s->oldest_version >= max) {
		uint64_t drop = s->current_version - max;

		for (uint64_t i = s->oldest_version; i < drop + 1; i++) {
			if (i == 0)
				continue;
			s->versions[i - 1].present = false;
			json_decref(s->versions[i - 1].data);
			s->versions[i - 1].data = NULL;
		}
		s->oldest_version = drop + 1;
	}
	return vm;
}

static json_t *time_or_empty(int64_t ns)
{
	char t[48];

	if (!ns)
		return json_string("");
	sim_vault_time(t, ns);
	return json_string(t);
}

static json_t *custom_metadata(const struct sim_vault_secret *s)
{
	return s && s->custom_metadata ? json_deep_copy(s->custom_metadata) : json_null();
}

/* The five keys of a version's metadata (read: data.metadata; write: data). */
static json_t *version_meta(const struct sim_vault_secret *s, uint64_t ver,
			    const struct sim_vault_version *vm)
{
	return json_pack("{s:I, s:o, s:o, s:b, s:o}", "version", (json_int_t)ver, "created_time",
			 time_or_empty(vm->created_ns), "deletion_time",
			 time_or_empty(vm->deletion_ns), "destroyed", vm->destroyed,
			 "custom_metadata", custom_metadata(s));
}

/* RespondWithStatusCode(resp, req, 404): the whole envelope, mount_type "". */
static void not_found_with(struct sim_vault_req *r, json_t *data, json_t *warnings)
{
	json_t *env = sim_vault_envelope(r, data, "");

	if (warnings)
		json_object_set_new(env, "warnings", warnings);
	sim_vault_send(r, 404, env);
}

/* ---- request field parsing ------------------------------------------------------ */

static const char *op_verb(enum sim_vault_op op)
{
	switch (op) {
	case SIM_VAULT_READ:
		return "get";
	case SIM_VAULT_LIST:
		return "list";
	case SIM_VAULT_WRITE:
		return "put";
	case SIM_VAULT_PATCH:
		return "patch";
	case SIM_VAULT_DELETE:
		return "delete";
	}
	return "";
}

static void bad_field(struct sim_vault_req *r, const char *field)
{
	char *msg = xasprintf("error converting input for field \"%s\"", field);

	sim_vault_error(r, 400, msg);
	free(msg);
}

/* mapstructure.WeakDecode into an int: numbers, numeric strings, booleans, null (0). */
static int weak_int(const json_t *v, int64_t *out)
{
	long long n;

	if (!v || json_is_null(v)) {
		*out = 0;
		return 0;
	}
	if (json_is_integer(v)) {
		*out = (int64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_real(v)) {
		*out = (int64_t)json_real_value(v);
		return 0;
	}
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return 0;
	}
	if (json_is_string(v) &&
	    !berth_parse_long(json_string_value(v), LLONG_MIN, LLONG_MAX, &n)) {
		*out = n;
		return 0;
	}
	if (json_is_string(v) && !*json_string_value(v)) {
		*out = 0;
		return 0;
	}
	return -1;
}

/*
 * validateCheckAndSetOption. Replies 400 and returns false when the write
 * must not happen.
 */
static bool cas_ok(struct sim_vault_req *r, const struct sim_vault_mount *m,
		   const struct sim_vault_secret *s)
{
	json_t *options = json_object_get(r->body, "options");
	json_t *cas = json_is_object(options) ? json_object_get(options, "cas") : NULL;
	uint64_t current = s ? s->current_version : 0;
	int64_t want;

	if (cas) {
		if (weak_int(cas, &want)) {
			sim_vault_error(r, 400, "error parsing check-and-set parameter");
			return false;
		}
		if ((uint64_t)want != current) {
			sim_vault_error(
				r, 400,
				"check-and-set parameter did not match the current version");
			return false;
		}
		return true;
	}
	if (m->cas_required || (s && s->cas_required)) {
		sim_vault_error(r, 400, "check-and-set parameter required for this call");
		return false;
	}
	return true;
}

/* TypeCommaIntSlice: [1, "2"], "1,2" or 3. Returns 0 or -1 (bad input). */
static int parse_versions(const json_t *v, int64_t **out, size_t *n)
{
	size_t i;
	json_t *e;

	*out = NULL;
	*n = 0;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v)) {
		char *copy = xstrdup(json_string_value(v)), *save = NULL, *tok;
		int rc = 0;

		for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			long long x;

			while (*tok == ' ')
				tok++;
			if (berth_parse_long(tok, LLONG_MIN, LLONG_MAX, &x)) {
				rc = -1;
				break;
			}
			*out = xrealloc(*out, sizeof(**out) * (*n + 1));
			(*out)[(*n)++] = x;
		}
		free(copy);
		return rc;
	}
	if (json_is_integer(v)) {
		*out = xmalloc(sizeof(**out));
		(*out)[(*n)++] = (int64_t)json_integer_value(v);
		return 0;
	}
	if (!json_is_array(v))
		return -1;
	json_array_foreach(v, i, e) {
		int64_t x;

		if (json_is_boolean(e) || weak_int(e, &x))
			return -1;
		*out = xrealloc(*out, sizeof(**out) * (*n + 1));
		(*out)[(*n)++] = x;
	}
	return 0;
}

/* ---- KV version 1 ---------------------------------------------------------------- */

static void kv1_serve(struct sim_vault_req *r, struct sim_vault_mount *m, const char *key)
{
	json_t *cur = sim_vault_map_get(&m->keys, key), *env, *keys, *ttl;
	int64_t lease = DEFAULT_LEASE_TTL_S;

	switch (r->op) {
	case SIM_VAULT_LIST:
		if (!sim_vault_check(r, r->full, SIM_VAULT_CAP_LIST))
			return;
		keys = sim_vault_index_list(&m->index, key);
		if (!keys) {
			sim_vault_error(r, 404, NULL);
			return;
		}
		sim_vault_send(r, 200,
			       sim_vault_envelope(r, json_pack("{s:o}", "keys", keys), "kv"));
		return;
	case SIM_VAULT_READ:
		if (!sim_vault_check(r, r->full, SIM_VAULT_CAP_READ))
			return;
		if (!cur) {
			sim_vault_error(r, 404, NULL);
			return;
		}
		/* An advisory "ttl" (or "lease") in the value becomes lease_duration. */
		ttl = json_object_get(cur, "ttl");
		if (!ttl)
			ttl = json_object_get(cur, "lease");
		if (ttl && sim_vault_parse_seconds(ttl, &lease))
			lease = DEFAULT_LEASE_TTL_S;
		env = sim_vault_envelope(r, json_deep_copy(cur), "kv");
		json_object_set_new(env, "lease_duration", json_integer((json_int_t)lease));
		sim_vault_send(r, 200, env);
		return;
	case SIM_VAULT_WRITE:
		if (!sim_vault_check(r, r->full, cur ? SIM_VAULT_CAP_UPDATE : SIM_VAULT_CAP_CREATE))
			return;
		if (!*key) {
			sim_vault_error(r, 400, "missing path");
			return;
		}
		if (!r->body || !json_object_size(r->body)) {
			sim_vault_error(r, 400, "missing data fields");
			return;
		}
		/* The whole value is replaced. */
		if (!sim_vault_map_put(&m->keys, key, json_deep_copy(r->body)))
			sim_vault_index_add(&m->index, key);
		else
			json_decref(cur);
		sim_vault_no_content(r);
		return;
	case SIM_VAULT_DELETE:
		if (!sim_vault_check(r, r->full, SIM_VAULT_CAP_DELETE))
			return;
		if (cur) {
			json_decref(sim_vault_map_remove(&m->keys, key));
			sim_vault_index_remove(&m->index, key);
		}
		sim_vault_no_content(r);
		return;
	case SIM_VAULT_PATCH:
		if (sim_vault_check(r, r->full, SIM_VAULT_CAP_PATCH))
			sim_vault_error_multi(r, 405, "unsupported operation");
		return;
	}
}

/* ---- KV version 2: data/ --------------------------------------------------------- */

static void data_read(struct sim_vault_req *r, struct sim_vault_mount *m, const char *key)
{
	struct sim_vault_secret *s = sim_vault_map_get(&m->keys, key);
	const char *vp = sim_param(r->http, "version");
	struct sim_vault_version *vm;
	uint64_t ver;
	long long want = 0;
	json_t *data;

	if (vp && *vp && berth_parse_long(vp, LLONG_MIN, LLONG_MAX, &want)) {
		bad_field(r, "version");
		return;
	}
	if (!s) {
		sim_vault_error(r, 404, NULL);
		return;
	}
	ver = want > 0 ? (uint64_t)want : s->current_version;
	vm = version_get(s, ver);
	if (!vm) {
		sim_vault_error(r, 404, NULL);
		return;
	}
	data = json_pack("{s:n, s:o}", "data", "metadata", version_meta(s, ver, vm));
	if (version_deleted(vm, sim_vault_now_ns()) || vm->destroyed) {
		not_found_with(r, data, NULL);
		return;
	}
	json_object_set_new(data, "data", json_deep_copy(vm->data));
	sim_vault_send(r, 200, sim_vault_envelope(r, data, "kv"));
}

/* The "data" map of a write or patch; replies and returns NULL when absent or not a map. */
static json_t *body_data(struct sim_vault_req *r)
{
	json_t *data = json_object_get(r->body, "data");

	if (!data || json_is_null(data)) {
		sim_vault_error(r, 400, "no data provided");
		return NULL;
	}
	if (!json_is_object(data)) {
		bad_field(r, "data");
		return NULL;
	}
	return data;
}

static void reply_written(struct sim_vault_req *r, const struct sim_vault_secret *s,
			  const struct sim_vault_version *vm)
{
	sim_vault_send(r, 200,
		       sim_vault_envelope(r, version_meta(s, s->current_version, vm), "kv"));
}

static void data_write(struct sim_vault_req *r, struct sim_vault_mount *m, const char *key)
{
	struct sim_vault_secret *s = sim_vault_map_get(&m->keys, key);
	struct sim_vault_version *vm;
	json_t *data = body_data(r);
	int64_t now;

	if (!data || !cas_ok(r, m, s))
		return;
	now = sim_vault_now_ns();
	if (!s)
		s = secret_new(m, key, now);
	vm = add_version(m, s, json_deep_copy(data), now);
	reply_written(r, s, vm);
}

/* RFC 7386 JSON merge patch of target (a new reference, may be NULL) with patch. */
static json_t *merge_patch(json_t *target, const json_t *patch)
{
	const char *k;
	json_t *v;

	if (!json_is_object(patch)) {
		json_decref(target);
		return json_deep_copy(patch);
	}
	if (!json_is_object(target)) {
		json_decref(target);
		target = json_object();
	}
	json_object_foreach((json_t *)patch, k, v) {
		if (json_is_null(v))
			json_object_del(target, k);
		else
			json_object_set_new(
				target, k, merge_patch(json_incref(json_object_get(target, k)), v));
	}
	return target;
}

static void data_patch(struct sim_vault_req *r, struct sim_vault_mount *m, const char *key)
{
	struct sim_vault_secret *s = sim_vault_map_get(&m->keys, key);
	struct sim_vault_version *cur, *vm;
	json_t *data = body_data(r);
	int64_t now = sim_vault_now_ns();

	if (!data)
		return;
	if (!s) {
		/* RespondWithStatusCode(nil, req, 404): a 404 with no body */
		sim_resp_empty(r->resp, 404);
		return;
	}
	if (!cas_ok(r, m, s))
		return;
	cur = version_get(s, s->current_version);
	if (!cur) {
		sim_resp_empty(r->resp, 404);
		return;
	}
	if (version_deleted(cur, now) || cur->destroyed) {
		not_found_with(r, version_meta(s, s->current_version, cur), NULL);
		return;
	}
	vm = add_version(m, s, merge_patch(json_deep_copy(cur->data), data), now);
	reply_written(r, s, vm);
}

static void data_delete(struct sim_vault_req *r, struct sim_vault_mount *m, const char *key)
{
	struct sim_vault_secret *s = sim_vault_map_get(&m->keys, key);
	struct sim_vault_version *vm = s ? version_get(s, s->current_version) : NULL;
	int64_t now = sim_vault_now_ns();

	/* Soft-delete the latest version; nothing to do is still a 204. */
	if (vm && !vm->destroyed && !version_deleted(vm, now))
		vm->deletion_ns = now;
	sim_vault_no_content(r);
}

/* ---- KV version 2: metadata/ ------------------------------------------------------ */

static void metadata_read(struct sim_vault_req *r, struct sim_vault_mount *m, const char *key)
{
	struct sim_vault_secret *s = sim_vault_map_get(&m->keys, key);
	json_t *versions, *data;
	char c[48], u[48], dva[32];

	if (!s) {
		sim_vault_error(r, 404, NULL);
		return;
	}
	versions = json_object();
	for (uint64_t v = 1; v <= s->current_version; v++) {
		struct sim_vault_version *vm = version_get(s, v);
		char k[24];

		if (!vm)
			continue;
		snprintf(k, sizeof(k), "%" PRIu64, v);
		json_object_set_new(versions, k,
				    json_pack("{s:o, s:o, s:b}", "created_time",
					      time_or_empty(vm->created_ns), "deletion_time",
					      time_or_empty(vm->deletion_ns), "destroyed",
					      vm->destroyed));
	}
	sim_vault_time(c, s->created_ns);
	sim_vault_time(u, s->updated_ns);
	sim_vault_duration(dva, s->dva_s);
	data = json_pack("{s:b, s:s, s:I, s:o, s:s, s:I, s:I, s:s, s:o}", "cas_required",
			 s->cas_required, "created_time", c, "current_version",
			 (json_int_t)s->current_version, "custom_metadata", custom_metadata(s),
			 "delete_version_after", dva, "max_versions", (json_int_t)s->max_versions,
			 "oldest_version", (json_int_t)s->oldest_version, "updated_time", u,
			 "versions", versions);
	sim_vault_send(r, 200, sim_vault_envelope(r, data, "kv"));
}

/*
 * parseCustomMetadata + validateCustomMetadata. Returns a new object of
 * strings, or NULL after replying 400. With for_patch, null values stay
 * (they remove keys).
 */
static json_t *parse_custom_metadata(struct sim_vault_req *r, const json_t *in, bool for_patch)
{
	json_t *out = json_object(), *errs = json_array(), *v;
	const char *k;
	struct berth_buf msg = BERTH_BUF_INIT;

	if (!json_is_object(in)) {
		bad_field(r, "custom_metadata");
		goto fail;
	}
	json_object_foreach((json_t *)in, k, v) {
		if (json_is_string(v)) {
			json_object_set(out, k, v);
		} else if (json_is_null(v)) {
			json_object_set_new(out, k, for_patch ? json_null() : json_string(""));
		} else if (json_is_integer(v) || json_is_real(v) || json_is_boolean(v)) {
			char *s = json_dumps(v, JSON_ENCODE_ANY);

			json_object_set_new(out, k, json_string(s ? s : ""));
			free(s);
		} else {
			berth_buf_addstr(&msg, "custom_metadata validation failed: value for key ");
			sim_vault_quote(&msg, k);
			berth_buf_addstr(&msg, " is not a string");
			sim_vault_error(r, 400, msg.buf);
			goto fail;
		}
	}
	if (json_object_size(out) > 64) {
		berth_buf_addf(&msg,
			       "custom_metadata validation failed: payload must contain at most "
			       "64 keys, provided %zu",
			       json_object_size(out));
		json_array_append_new(errs, json_string(msg.buf));
		berth_buf_reset(&msg);
	} else {
		json_object_foreach(out, k, v) {
			size_t kl = strlen(k), vl;

			if (json_is_null(v))
				continue;
			vl = json_string_length(v);
			if (!kl || kl > 128) {
				berth_buf_addf(&msg,
					       "custom_metadata validation failed: length of key "
					       "\"%s\" is %zu but must be 0 < len(key) <= 128",
					       k, kl);
				json_array_append_new(errs, json_string(msg.buf));
				berth_buf_reset(&msg);
			}
			if (!vl || vl > 512) {
				berth_buf_addf(
					&msg,
					"custom_metadata validation failed: length of value "
					"for key \"%s\" is %zu but must be 0 < len(value) <= 512",
					k, vl);
				json_array_append_new(errs, json_string(msg.buf));
				berth_buf_reset(&msg);
			}
		}
	}
	if (json_array_size(errs)) {
		size_t i;
		json_t *e;

		if (json_array_size(errs) == 1)
			berth_buf_addstr(&msg, "1 error occurred:");
		else
			berth_buf_addf(&msg, "%zu errors occurred:", json_array_size(errs));
		json_array_foreach(errs, i, e)
			berth_buf_addf(&msg, "\n\t* %s", json_string_value(e));
		berth_buf_addstr(&msg, "\n\n");
		sim_vault_error(r, 400, msg.buf);
		goto fail;
	}
	json_decref(errs);
	berth_buf_release(&msg);
	return out;
fail:
	json_decref(errs);
	json_decref(out);
	berth_buf_release(&msg);
	return NULL;
}

struct meta_fields {
	bool has_max, has_cas, has_dva, has_cm;
	int64_t max_versions;
	bool cas_required;
	int64_t dva_s;
	json_t *cm;
};

/* Read the metadata fields of the body; replies 400 and returns -1 on a bad one. */
static int meta_fields(struct sim_vault_req *r, struct meta_fields *f, bool for_patch)
{
	json_t *v;

	memset(f, 0, sizeof(*f));
	v = json_object_get(r->body, "max_versions");
	if (v && !json_is_null(v)) {
		f->has_max = true;
		if (weak_int(v, &f->max_versions)) {
			bad_field(r, "max_versions");
			return -1;
		}
	}
	v = json_object_get(r->body, "cas_required");
	if (v && !json_is_null(v)) {
		f->has_cas = true;
		if (sim_vault_parse_bool(v, &f->cas_required)) {
			bad_field(r, "cas_required");
			return -1;
		}
	}
	v = json_object_get(r->body, "delete_version_after");
	if (v && !json_is_null(v)) {
		f->has_dva = true;
		if (sim_vault_parse_seconds(v, &f->dva_s)) {
			bad_field(r, "delete_version_after");
			return -1;
		}
	}
	v = json_object_get(r->body, "custom_metadata");
	if (v && !json_is_null(v)) {
		f->has_cm = true;
		f->cm = parse_custom_metadata(r, v, for_patch);
		if (!f->cm)
			return -1;
	}
	return 0;
}

static void metadata_write(struct sim_vault_req *r, struct sim_vault_mount *m, const char *key)
{
	struct sim_vault_secret *s = sim_vault_map_get(&m->keys, key);
	struct meta_fields f;
	json_t *warnings = NULL;

	if (!*key) {
		sim_vault_error(r, 400, "missing path");
		return;
	}
	if (meta_fields(r, &f, false))
		return;
	if (!f.has_max && !f.has_cas && !f.has_dva && !f.has_cm) {
		sim_vault_no_content(r);
		return;
	}
	if (f.has_cas && m->cas_required && !f.cas_required)
		warnings = json_pack("[s]", "\"cas_required\" set to false, but is mandated by "
					    "backend config. This value will be ignored.");
	if (!s)
		s = secret_new(m, key, sim_vault_now_ns());
	if (f.has_max)
		s->max_versions = (uint32_t)f.max_versions;
	if (f.has_cas)
		s->cas_required = f.cas_required;
	if (f.has_dva)
		s->dva_s = f.dva_s;
	if (f.has_cm) {
		json_decref(s->custom_metadata);
		s->custom_metadata = f.cm;
	}
	if (warnings) {
		json_t *env = sim_vault_envelope(r, NULL, "kv");

		json_object_set_new(env, "warnings", warnings);
		sim_vault_send(r, 200, env);
		return;
	}
	sim_vault_no_content(r);
}

static void metadata_patch(struct sim_vault_req *r, struct sim_vault_mount *m, const char *key)
{
	struct sim_vault_secret *s = sim_vault_map_get(&m->keys, key);
	struct meta_fields f;
	const char *k;
	json_t *v;

	if (meta_fields(r, &f, true))
		return;
	if (!s) {
		json_decref(f.cm);
		sim_resp_empty(r->resp, 404);
		return;
	}
	if (f.has_max)
		s->max_versions = (uint32_t)f.max_versions;
	if (f.has_cas)
		s->cas_required = f.cas_required;
	if (f.has_dva)
		s->dva_s = f.dva_s;
	if (f.has_cm) {
		if (!s->custom_metadata)
			s->custom_metadata = json_object();
		json_object_foreach(f.cm, k, v) {
			if (json_is_null(v))
				json_object_del(s->custom_metadata, k);
			else
				json_object_set(s->custom_metadata, k, v);
		}
		json_decref(f.cm);
	}
	s->updated_ns = sim_vault_now_ns();
	sim_vault_no_content(r);
}

static void metadata_delete(struct sim_vault_req *r, struct sim_vault_mount *m, const char *key)
{
	struct sim_vault_secret *s = sim_vault_map_remove(&m->keys, key);

	/* The key and every version go; cas 0 works again afterwards. */
	if (s) {
		sim_vault_index_remove(&m->index, key);
		secret_free(s);
	}
	sim_vault_no_content(r);
}

static void metadata_list(struct sim_vault_req *r, struct sim_vault_mount *m, const char *dir)
{
	json_t *keys = sim_vault_index_list(&m->index, dir);

	if (!keys) {
		sim_vault_error(r, 404, NULL);
		return;
	}
	sim_vault_send(r, 200, sim_vault_envelope(r, json_pack("{s:o}", "keys", keys), "kv"));
}

/* ---- KV version 2: delete/, undelete/, destroy/ --------------------------------------- */

enum version_action { ACT_DELETE, ACT_UNDELETE, ACT_DESTROY };

static void versions_action(struct sim_vault_req *r, struct sim_vault_mount *m, const char *key,
			    enum version_action act)
{
	struct sim_vault_secret *s = sim_vault_map_get(&m->keys, key);
	int64_t *vers, now = sim_vault_now_ns();
	size_t n;

	if (parse_versions(json_object_get(r->body, "versions"), &vers, &n)) {
		free(vers);
		bad_field(r, "versions");
		return;
	}
	if (!n) {
		/* The capitalisation differs between the two handlers. */
		sim_vault_error(r, 400,
				act == ACT_DESTROY ? "no version number provided"
						   : "No version number provided");
		return;
	}
	for (size_t i = 0; s && i < n; i++) {
		struct sim_vault_version *vm =
			vers[i] > 0 ? version_get(s, (uint64_t)vers[i]) : NULL;

		if (!vm || vm->destroyed)
			continue;
		switch (act) {
		case ACT_DELETE:
			if (!version_deleted(vm, now))
				vm->deletion_ns = now;
			break;
		case ACT_UNDELETE:
			vm->deletion_ns = deletion_for(m, s, now);
			break;
		case ACT_DESTROY:
			vm->destroyed = true;
			json_decref(vm->data);
			vm->data = NULL;
			break;
		}
	}
	free(vers);
	sim_vault_no_content(r);
}

/* ---- KV version 2: config and subkeys ----------------------------------------------- */

static void config_serve(struct sim_vault_req *r, struct sim_vault_mount *m)
{
	struct meta_fields f;
	char dva[32];

	if (r->op == SIM_VAULT_READ) {
		sim_vault_duration(dva, m->dva_s < 0 ? -1 : m->dva_s);
		sim_vault_send(
			r, 200,
			sim_vault_envelope(r,
					   json_pack("{s:b, s:s, s:I}", "cas_required",
						     m->cas_required, "delete_version_after", dva,
						     "max_versions", (json_int_t)m->max_versions),
					   "kv"));
		return;
	}
	if (r->op != SIM_VAULT_WRITE) {
		sim_vault_error_multi(r, 405, "unsupported operation");
		return;
	}
	if (meta_fields(r, &f, false))
		return;
	json_decref(f.cm);
	if (f.has_max)
		m->max_versions = (uint32_t)f.max_versions;
	if (f.has_cas)
		m->cas_required = f.cas_required;
	if (f.has_dva)
		m->dva_s = f.dva_s < 0 ? -1 : f.dva_s;
	sim_vault_no_content(r);
}

/* removeValues: values become null; maps are kept while their level is <= depth (0: no limit). */
static json_t *subkeys_of(const json_t *in, long depth, long level)
{
	json_t *out = json_object(), *v;
	const char *k;

	json_object_foreach((json_t *)in, k, v) {
		if (json_is_object(v) && json_object_size(v) && (!depth || level + 1 <= depth))
			json_object_set_new(out, k, subkeys_of(v, depth, level + 1));
		else
			json_object_set_new(out, k, json_null());
	}
	return out;
}

static void subkeys_read(struct sim_vault_req *r, struct sim_vault_mount *m, const char *key)
{
	struct sim_vault_secret *s = sim_vault_map_get(&m->keys, key);
	const char *vp = sim_param(r->http, "version"), *dp = sim_param(r->http, "depth");
	struct sim_vault_version *vm;
	long long want = 0, depth = 0;
	json_t *data;
	uint64_t ver;

	if (vp && *vp && berth_parse_long(vp, LLONG_MIN, LLONG_MAX, &want)) {
		bad_field(r, "version");
		return;
	}
	if (dp && *dp && berth_parse_long(dp, 0, LLONG_MAX, &depth)) {
		bad_field(r, "depth");
		return;
	}
	ver = s ? (want > 0 ? (uint64_t)want : s->current_version) : 0;
	vm = version_get(s, ver);
	if (!vm) {
		sim_vault_error(r, 404, NULL);
		return;
	}
	data = json_pack("{s:n, s:o}", "subkeys", "metadata", version_meta(s, ver, vm));
	if (version_deleted(vm, sim_vault_now_ns()) || vm->destroyed) {
		not_found_with(r, data, NULL);
		return;
	}
	json_object_set_new(data, "subkeys", subkeys_of(vm->data, (long)depth, 1));
	sim_vault_send(r, 200, sim_vault_envelope(r, data, "kv"));
}

/* ---- KV version 2: routing ------------------------------------------------------------ */

static void invalid_path(struct sim_vault_req *r)
{
	char *w = xasprintf("Invalid path for a versioned K/V secrets engine. See the API docs for "
			    "the appropriate API endpoints to use. If using the Vault CLI, use "
			    "'vault kv %s' for this operation.",
			    op_verb(r->op));

	not_found_with(r, NULL, json_pack("[s]", w));
	free(w);
}

static void kv2_serve(struct sim_vault_req *r, struct sim_vault_mount *m, const char *rel)
{
	const char *slash = strchr(rel, '/');
	char *seg = slash ? xstrndup(rel, (size_t)(slash - rel)) : xstrdup(rel);
	const char *key = slash ? slash + 1 : "";
	bool is_data = !strcmp(seg, "data"), is_meta = !strcmp(seg, "metadata");
	bool key_ok = *key && !berth_ends_with(key, "/");
	unsigned cap = sim_vault_op_cap(r->op);

	/* Writes to data/ and metadata/ are create or update by the key's existence. */
	if (r->op == SIM_VAULT_WRITE && (is_data || is_meta) && slash)
		cap = sim_vault_map_get(&m->keys, key) ? SIM_VAULT_CAP_UPDATE
						       : SIM_VAULT_CAP_CREATE;
	if (!sim_vault_check(r, r->full, cap))
		goto out;

	if (!strcmp(rel, "config")) {
		config_serve(r, m);
		goto out;
	}
	if (!slash) {
		if (is_data || is_meta || !strcmp(seg, "delete") || !strcmp(seg, "undelete") ||
		    !strcmp(seg, "destroy"))
			not_found_with(r, NULL,
				       json_pack("[s]",
						 "Non-listing operations on the root of a K/V "
						 "v2 mount are not supported."));
		else
			invalid_path(r);
		goto out;
	}
	if (is_data && key_ok) {
		switch (r->op) {
		case SIM_VAULT_READ:
			data_read(r, m, key);
			break;
		case SIM_VAULT_WRITE:
			data_write(r, m, key);
			break;
		case SIM_VAULT_PATCH:
			data_patch(r, m, key);
			break;
		case SIM_VAULT_DELETE:
			data_delete(r, m, key);
			break;
		case SIM_VAULT_LIST:
			invalid_path(r);
			break;
		}
		goto out;
	}
	if (is_meta) {
		switch (r->op) {
		case SIM_VAULT_LIST:
			metadata_list(r, m, key);
			break;
		case SIM_VAULT_READ:
			metadata_read(r, m, key);
			break;
		case SIM_VAULT_WRITE:
			metadata_write(r, m, key);
			break;
		case SIM_VAULT_PATCH:
			metadata_patch(r, m, key);
			break;
		case SIM_VAULT_DELETE:
			metadata_delete(r, m, key);
			break;
		}
		goto out;
	}
	if (!strcmp(seg, "delete") || !strcmp(seg, "undelete") || !strcmp(seg, "destroy")) {
		if (r->op != SIM_VAULT_WRITE)
			sim_vault_error_multi(r, 405, "unsupported operation");
		else
			versions_action(r, m, key,
					!strcmp(seg, "delete")     ? ACT_DELETE
					: !strcmp(seg, "undelete") ? ACT_UNDELETE
								   : ACT_DESTROY);
		goto out;
	}
	if (!strcmp(seg, "subkeys") && key_ok) {
		if (r->op == SIM_VAULT_READ)
			subkeys_read(r, m, key);
		else
			sim_vault_error_multi(r, 405, "unsupported operation");
		goto out;
	}
	invalid_path(r);
out:
	free(seg);
}

void sim_vault_kv_serve(struct sim_vault_req *r, struct sim_vault_mount *m, const char *rel)
{
	if (m->version == SIM_VAULT_KV1)
		kv1_serve(r, m, rel);
	else
		kv2_serve(r, m, rel);
}

void sim_vault_kv2_set_key_cas(struct sim_vault_mount *m, const char *key, bool cas_required)
{
	struct sim_vault_secret *s = sim_vault_map_get(&m->keys, key);

	if (!s)
		s = secret_new(m, key, sim_vault_now_ns());
	s->cas_required = cas_required;
}
