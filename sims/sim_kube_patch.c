/*
 * sim_kube_patch.c - the PATCH bodies the simulated Kubernetes API
 * applies: RFC 7386 merge patch, strategic merge patch (as it works on
 * Secrets, Ingresses, Leases and Namespaces: maps merge, null deletes, and
 * only metadata.finalizers and metadata.ownerReferences merge as lists),
 * and RFC 6902 JSON patch.
 */
#include "compat.h"
#include "sim_kube.h"
#include "buf.h"
#include "util.h"
#include "xalloc.h"

/* ---- RFC 7386 ------------------------------------------------------------------ */

json_t *sim_kube_merge_patch(const json_t *doc, const json_t *patch)
{
	json_t *out;
	const char *key;
	json_t *v;

	if (!json_is_object(patch))
		return json_deep_copy(patch);
	out = json_is_object(doc) ? json_deep_copy(doc) : json_object();
	json_object_foreach((json_t *)patch, key, v) {
		if (json_is_null(v)) {
			json_object_del(out, key);
		} else {
			json_t *merged = sim_kube_merge_patch(json_object_get(out, key), v);

			json_object_set_new(out, key, merged);
		}
	}
	return out;
}

/* ---- strategic merge patch -------------------------------------------------------- */

static bool has_string(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), s))
			return true;
	return false;
}

/* finalizers: patchStrategy merge on a list of strings (union, existing order first). */
static json_t *merge_string_list(const json_t *old, const json_t *patch, const json_t *remove)
{
	json_t *out = json_array();
	size_t i;
	json_t *v;

	json_array_foreach(old, i, v)
		if (json_is_string(v) && !has_string(remove, json_string_value(v)))
			json_array_append(out, v);
	json_array_foreach(patch, i, v)
		if (json_is_string(v) && !has_string(out, json_string_value(v)) &&
		    !has_string(remove, json_string_value(v)))
			json_array_append(out, v);
	return out;
}

/* ownerReferences: patchMergeKey uid; "$patch":"delete" removes an element. */
static json_t *merge_owner_refs(const json_t *old, const json_t *patch)
{
	json_t *out = json_is_array(old) ? json_deep_copy(old) : json_array();
	size_t i, j;
	json_t *p, *o;

	json_array_foreach(patch, i, p) {
		const char *uid = json_string_value(json_object_get(p, "uid"));
		const char *directive = json_string_value(json_object_get(p, "$patch"));
		bool found = false;

		if (!json_is_object(p))
			continue;
		json_array_foreach(out, j, o) {
			const char *ouid = json_string_value(json_object_get(o, "uid"));

			if (!uid || !ouid || strcmp(uid, ouid))
				continue;
			found = true;
			if (directive && !strcmp(directive, "delete")) {
				json_array_remove(out, j);
			} else {
				json_t *m = sim_kube_merge_patch(o, p);

				json_object_del(m, "$patch");
				json_array_set_new(out, j, m);
			}
			break;
		}
		if (!found && !(directive && !strcmp(directive, "delete"))) {
			json_t *m = sim_kube_merge_patch(NULL, p);

			json_object_del(m, "$patch");
			json_array_append_new(out, m);
		}
	}
	return out;
}

static json_t *smp(const json_t *doc, const json_t *patch, const char *path)
{
	json_t *out;
	const char *key;
	json_t *v;

	if (!json_is_object(patch))
		return json_deep_copy(patch);
	out = json_is_object(doc) ? json_deep_copy(doc) : json_object();
	json_object_foreach((json_t *)patch, key, v) {
		bool meta = !strcmp(path, "metadata");

		if (key[0] == '$')
			continue; /* directives ($setElementOrder/..., $retainKeys, ...) */
		if (json_is_null(v)) {
			json_object_del(out, key);
		} else if (meta && !strcmp(key, "finalizers") && json_is_array(v)) {
			json_object_set_new(out, key,
					    merge_string_list(json_object_get(out, key), v,
							      json_object_get(patch, "$deleteFromPrimitiveList/finalizers")));
		} else if (meta && !strcmp(key, "ownerReferences") && json_is_array(v)) {
			json_object_set_new(out, key, merge_owner_refs(json_object_get(out, key), v));
		} else {
			json_object_set_new(out, key,
					    smp(json_object_get(out, key), v, !*path ? key : "-"));
		}
	}
	if (!strcmp(path, "metadata") && json_object_get(patch, "$deleteFromPrimitiveList/finalizers") &&
	    !json_object_get(patch, "finalizers")) {
		json_t *f = merge_string_list(json_object_get(out, "finalizers"), NULL,
					      json_object_get(patch, "$deleteFromPrimitiveList/finalizers"));

		json_object_set_new(out, "finalizers", f);
	}
	return out;
}

json_t *sim_kube_strategic_patch(const json_t *doc, const json_t *patch)
{
	return smp(doc, patch, "");
}

/* ---- RFC 6902 ------------------------------------------------------------------------ */

/* Split a JSON pointer into unescaped tokens (json array of strings); NULL if malformed. */
static json_t *pointer_tokens(const char *ptr)
{
	json_t *toks = json_array();
	const char *p = ptr;

	if (!*p)
		return toks;
	if (*p != '/') {
		json_decref(toks);
		return NULL;
	}
	while (*p == '/') {
		struct berth_buf t = BERTH_BUF_INIT;

		p++;
		while (*p && *p != '/') {
			if (p[0] == '~' && p[1] == '0') {
				berth_buf_addch(&t, '~');
				p += 2;
			} else if (p[0] == '~' && p[1] == '1') {
				berth_buf_addch(&t, '/');
				p += 2;
			} else {
				berth_buf_addch(&t, *p++);
			}
		}
		json_array_append_new(toks, json_string(t.buf));
		berth_buf_release(&t);
	}
	return toks;
}

static bool array_index(const char *tok, size_t len, bool allow_end, size_t *out)
{
	long long n;

	if (allow_end && !strcmp(tok, "-")) {
		*out = len;
		return true;
	}
	if (berth_parse_long(tok, 0, (long long)len - (allow_end ? 0 : 1), &n))
		return false;
	if (tok[0] == '0' && tok[1])
		return false;
	*out = (size_t)n;
	return true;
}

/* The container holding the last token of ptr (borrowed), with that token in *last. */
static json_t *resolve_parent(json_t *doc, const char *ptr, const char **last, json_t **toks_out)
{
	json_t *toks = pointer_tokens(ptr), *cur = doc;
	size_t n;

	*toks_out = toks;
	if (!toks || !(n = json_array_size(toks)))
		return NULL;
	for (size_t i = 0; i + 1 < n; i++) {
		const char *t = json_string_value(json_array_get(toks, i));
		size_t idx;

		if (json_is_object(cur))
			cur = json_object_get(cur, t);
		else if (json_is_array(cur) && array_index(t, json_array_size(cur), false, &idx))
			cur = json_array_get(cur, idx);
		else
			return NULL;
		if (!cur)
			return NULL;
	}
	*last = json_string_value(json_array_get(toks, n - 1));
	return cur;
}

static json_t *get_at(json_t *doc, const char *ptr)
{
	json_t *toks, *parent, *v = NULL;
	const char *last = NULL;
	size_t idx;

	if (!*ptr)
		return doc;
	parent = resolve_parent(doc, ptr, &last, &toks);
	if (json_is_object(parent))
		v = json_object_get(parent, last);
	else if (json_is_array(parent) && array_index(last, json_array_size(parent), false, &idx))
		v = json_array_get(parent, idx);
	json_decref(toks); /* last points into toks */
	return v;
}

/* Add (steals v). *doc may be replaced when ptr is "". Returns 0 or -1. */
static int op_add(json_t **doc, const char *ptr, json_t *v, bool replace)
{
	json_t *toks, *parent;
	const char *last = NULL;
	size_t idx;
	int ret = -1;

	if (!*ptr) {
		json_decref(*doc);
		*doc = v;
		return 0;
	}
	parent = resolve_parent(*doc, ptr, &last, &toks);
	if (json_is_object(parent)) {
		if (replace && !json_object_get(parent, last))
			goto out;
		json_object_set(parent, last, v);
		ret = 0;
	} else if (json_is_array(parent)) {
		if (replace) {
			if (array_index(last, json_array_size(parent), false, &idx))
				ret = json_array_set(parent, idx, v);
		} else if (array_index(last, json_array_size(parent), true, &idx)) {
			ret = json_array_insert(parent, idx, v);
		}
	}
out:
	json_decref(toks);
	json_decref(v);
	return ret;
}

static int op_remove(json_t *doc, const char *ptr)
{
	json_t *toks, *parent;
	const char *last = NULL;
	size_t idx;
	int ret = -1;

	parent = resolve_parent(doc, ptr, &last, &toks);
	if (json_is_object(parent) && json_object_get(parent, last))
		ret = json_object_del(parent, last);
	else if (json_is_array(parent) && array_index(last, json_array_size(parent), false, &idx))
		ret = json_array_remove(parent, idx);
	json_decref(toks);
	return ret;
}

json_t *sim_kube_json_patch(const json_t *doc, const json_t *patch, char **err, bool *bad_doc)
{
	json_t *out = NULL, *ret = NULL, *op;
	size_t i;

	*err = NULL;
	*bad_doc = false;
	if (!json_is_array(patch)) {
		*bad_doc = true;
		*err = xasprintf("json: cannot unmarshal %s into Go value of type jsonpatch.Patch",
				 json_is_object(patch) ? "object" : "value");
		return NULL;
	}
	json_array_foreach(patch, i, op) {
		if (!json_is_object(op)) {
			*bad_doc = true;
			*err = xstrdup("json: cannot unmarshal value into Go value of type jsonpatch.Operation");
			return NULL;
		}
	}
	out = json_deep_copy(doc);
	json_array_foreach(patch, i, op) {
		const char *kind = json_string_value(json_object_get(op, "op"));
		const char *path = json_string_value(json_object_get(op, "path"));
		const char *from = json_string_value(json_object_get(op, "from"));
		json_t *value = json_object_get(op, "value");
		int r = -1;

		if (!kind) {
			*err = xstrdup("Unexpected kind: unknown");
			goto out;
		}
		if (!path) {
			*err = xasprintf("%s operation missing path", kind);
			goto out;
		}
		if (!strcmp(kind, "add") || !strcmp(kind, "replace")) {
			if (!value) {
				*err = xasprintf("%s operation missing value", kind);
				goto out;
			}
			r = op_add(&out, path, json_deep_copy(value), !strcmp(kind, "replace"));
		} else if (!strcmp(kind, "remove")) {
			r = op_remove(out, path);
		} else if (!strcmp(kind, "move") || !strcmp(kind, "copy")) {
			json_t *src = from ? get_at(out, from) : NULL;

			if (src) {
				json_t *copy = json_deep_copy(src);

				r = 0;
				if (!strcmp(kind, "move"))
					r = op_remove(out, from);
				if (!r)
					r = op_add(&out, path, copy, false);
				else
					json_decref(copy);
			}
		} else if (!strcmp(kind, "test")) {
			json_t *cur = get_at(out, path);

			r = cur && value && json_equal(cur, value) ? 0 : -1;
			if (r) {
				*err = xasprintf("testing value %s failed: test failed", path);
				goto out;
			}
		} else {
			*err = xasprintf("Unexpected kind: %s", kind);
			goto out;
		}
		if (r) {
			*err = xasprintf("%s operation does not apply: doc is missing path: \"%s\"", kind,
					 path);
			goto out;
		}
	}
	ret = out;
	out = NULL;
out:
	json_decref(out);
	return ret;
}
