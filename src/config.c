/*
 * config.c - berth.yaml into a struct berth_config, and the Harbor robot
 * permission catalogue. The only includer of <yaml.h>.
 *
 * DESIGN
 * libyaml's event parser builds a small tree of our own (scalars, lists,
 * mappings, each with its 1-based line:column). The tree is then walked
 * section by section; every mapping is opened through a key table, which
 * rejects unknown and duplicate keys, and every value goes through a typed
 * getter that names the key's path ("robots[0].duration") in its message.
 * The first error stops the load: one line, "file:line:column: why".
 *
 * Anchors and aliases are refused. An error inside an aliased value could
 * only point at the anchor, not at the use, and expanding aliases invites
 * "billion laughs" inputs; a config this size is clearer written out.
 */
#include "compat.h"
#include "config.h"
#include "json.h"

#include <strings.h>
#include <yaml.h>

#include "buf.h"
#include "err.h"
#include "util.h"
#include "xalloc.h"

#define CONFIG_MAX_BYTES (4u << 20)
#define MAX_DEPTH 64
#define MAX_KEYS 16
#define PATHLEN 160

/* Harbor's database columns: robot.name varchar(255), description varchar(1024). */
#define HARBOR_NAME_MAX 255
#define HARBOR_DESC_MAX 1024
#define DURATION_MAX 2147483646LL

#define DEFAULT_OWNER "berth"
#define DEFAULT_TIMEOUT_S 60
#define DEFAULT_BEFORE_EXPIRY_S (72 * 3600)
#define DEFAULT_OVERLAP_S (6 * 3600)
#define DEFAULT_K8S_TOKEN_FILE "/var/run/secrets/kubernetes.io/serviceaccount/token"

static const char secret_hint[] =
	"use {env: NAME}, {file: PATH} or {secret: {namespace, name, key}}";

/* ------------------------------------------------------------------ */
/* The tree */

enum node_kind {
	NODE_SCALAR,
	NODE_SEQ,
	NODE_MAP,
};

struct node {
	enum node_kind kind;
	int line;            /* 1-based */
	int col;             /* 1-based */
	char *value;         /* scalars: NUL-terminated copy */
	size_t len;          /* scalars: length, which may include NUL bytes */
	bool plain;          /* scalars: written without quotes or block style */
	bool str_tag;        /* scalars: tagged !!str, so never null */
	bool dquoted;        /* scalars: written in double quotes */
	bool unset;          /* scalars: "${VAR:-}" expanded to nothing: as if the key were absent */
	struct node **items; /* lists: items; mappings: key, value, key, value, ... */
	size_t n;
	size_t alloc;
};

/* What a robot's cross-checks need to point at. */
struct robot_meta {
	const struct node *name;  /* the name's value */
	const struct node *store; /* storePath's value; NULL when defaulted */
};

struct ctx {
	const char *file;        /* for messages: cfg->path */
	const char *text;        /* the input, for positions of reader errors */
	size_t len;
	struct berth_err *err;
	struct berth_config *cfg;
	struct node **all;       /* every node, so that freeing needs no recursion */
	size_t nall;
	size_t allocall;
	struct robot_meta *meta; /* one per robot */
	bool expand;             /* expand ${VAR} in values (berth.yaml, not kubeconfig) */
};

static struct node *node_new(struct ctx *c, enum node_kind kind, const yaml_mark_t *mark)
{
	struct node *n = xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->line = (int)mark->line + 1;
	n->col = (int)mark->column + 1;
	BERTH_ALLOC_GROW(c->all, c->nall + 1, c->allocall);
	c->all[c->nall++] = n;
	return n;
}

static void node_append(struct node *parent, struct node *child)
{
	BERTH_ALLOC_GROW(parent->items, parent->n + 1, parent->alloc);
	parent->items[parent->n++] = child;
}

static void tree_free(struct ctx *c)
{
	for (size_t i = 0; i < c->nall; i++) {
		free(c->all[i]->value);
		free(c->all[i]->items);
		free(c->all[i]);
	}
	free(c->all);
	c->all = NULL;
	c->nall = 0;
}

/* YAML 1.2 core schema nulls: empty, ~, null, Null, NULL (plain only). */
static bool is_null(const struct node *n)
{
	if (n->kind != NODE_SCALAR || !n->plain || n->str_tag)
		return false;
	return !n->len || !strcmp(n->value, "~") || !strcmp(n->value, "null") ||
	       !strcmp(n->value, "Null") || !strcmp(n->value, "NULL");
}

/* ------------------------------------------------------------------ */
/* Errors */

static int fail_at(struct ctx *c, int line, int col, const char *fmt, ...) BERTH_PRINTF(4, 5);
static int fail_at(struct ctx *c, int line, int col, const char *fmt, ...)
{
	char msg[640];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return berth_err_set(c->err, BERTH_ECONFIG, "%s:%d:%d: %s", c->file, line, col, msg);
}

static int fail(struct ctx *c, const struct node *at, const char *fmt, ...) BERTH_PRINTF(3, 4);
static int fail(struct ctx *c, const struct node *at, const char *fmt, ...)
{
	char msg[640];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return berth_err_set(c->err, BERTH_ECONFIG, "%s:%d:%d: %s", c->file, at->line, at->col, msg);
}

/* "a mapping", "a list", "nothing", or the scalar quoted and shortened. */
static const char *describe(const struct node *n, char *out, size_t size)
{
	if (n->kind == NODE_MAP)
		return "a mapping";
	if (n->kind == NODE_SEQ)
		return "a list";
	if (is_null(n))
		return n->len ? "null" : "nothing";
	if (n->len > 40)
		snprintf(out, size, "'%.37s...'", n->value);
	else
		snprintf(out, size, "'%s'", n->value);
	return out;
}

/* out = parent + sep + tail, cut to PATHLEN - 1; out may be parent. */
static void path_join(char *out, const char *parent, const char *sep, const char *tail)
{
	size_t n = out == parent ? strlen(out) : strnlen(parent, PATHLEN - 1);

	if (out != parent)
		memmove(out, parent, n);
	for (const char *p = sep; *p && n < PATHLEN - 1; p++)
		out[n++] = *p;
	for (const char *p = tail; *p && n < PATHLEN - 1; p++)
		out[n++] = *p;
	out[n] = '\0';
}

static void path_key(char *out, const char *parent, const char *key)
{
	path_join(out, parent, *parent ? "." : "", key);
}

static void path_index(char *out, const char *parent, size_t i)
{
	char num[32];

	snprintf(num, sizeof(num), "[%zu]", i);
	path_join(out, parent, "", num);
}

/* ------------------------------------------------------------------ */
/* YAML events to the tree */

/* Byte offset of a 0-based line and character column (UTF-8), or len. */
static size_t offset_of(const char *text, size_t len, size_t line, size_t col)
{
	size_t i = 0;

	while (line && i < len) {
		if (text[i++] == '\n')
			line--;
	}
	while (col && i < len) {
		i++;
		while (i < len && ((unsigned char)text[i] & 0xc0) == 0x80)
			i++;
		col--;
	}
	return i;
}

static int yaml_fail(struct ctx *c, const yaml_parser_t *p)
{
	size_t line, col, off;
	const char *hint = "";
	char ctxt[160] = "";

	if (p->error == YAML_MEMORY_ERROR)
		BERTH_BUG("libyaml: out of memory");
	if (p->error == YAML_READER_ERROR) {
		/* only a byte offset is known: count lines and characters up to it */
		line = 0;
		col = 0;
		for (size_t i = 0; i < p->problem_offset && i < c->len; i++) {
			if (c->text[i] == '\n') {
				line++;
				col = 0;
			} else if (((unsigned char)c->text[i] & 0xc0) != 0x80) {
				col++;
			}
		}
		if (p->problem_value != -1)
			return fail_at(c, (int)line + 1, (int)col + 1, "%s (byte 0x%02X)",
				       p->problem, (unsigned)p->problem_value);
		return fail_at(c, (int)line + 1, (int)col + 1, "%s", p->problem);
	}
	line = p->problem_mark.line;
	col = p->problem_mark.column;
	off = offset_of(c->text, c->len, line, col);
	if (off < c->len && c->text[off] == '\t')
		hint = "; indent with spaces, YAML does not allow tabs there";
	/* "namespace: *" as Harbor's docs write it: YAML reads '*' as an alias */
	if (p->context && strstr(p->context, "alias"))
		hint = "; a value that starts with '*' must be quoted, as in \"*\"";
	if (p->context)
		snprintf(ctxt, sizeof(ctxt), " (%s at %zu:%zu)", p->context,
			 p->context_mark.line + 1, p->context_mark.column + 1);
	return fail_at(c, (int)line + 1, (int)col + 1, "%s%s%s",
		       p->problem ? p->problem : "invalid YAML", ctxt, hint);
}

/* Tags: none, the non-specific "!", or the standard one for the kind. */
static int check_tag(struct ctx *c, const yaml_char_t *tag, const char *standard,
		     const yaml_mark_t *mark)
{
	const char *t = (const char *)tag;

	if (!t || !strcmp(t, "!") || !strcmp(t, standard))
		return 0;
	return fail_at(c, (int)mark->line + 1, (int)mark->column + 1,
		       "unsupported YAML tag '%s' (write the value without a tag)", t);
}

static int check_anchor(struct ctx *c, const yaml_char_t *anchor, const yaml_mark_t *mark)
{
	if (!anchor)
		return 0;
	return fail_at(c, (int)mark->line + 1, (int)mark->column + 1,
		       "anchors and aliases are not supported ('&%s'); write the value out",
		       (const char *)anchor);
}

/* Attach n under the open container (or as the root), checking keys are scalars. */
static int attach(struct ctx *c, struct node **stack, size_t depth, struct node **root, struct node *n)
{
	struct node *parent;

	if (!depth) {
		*root = n;
		return 0;
	}
	parent = stack[depth - 1];
	if (parent->kind == NODE_MAP && parent->n % 2 == 0 && n->kind != NODE_SCALAR)
		return fail(c, n, "a key must be a plain string, not %s",
			    n->kind == NODE_MAP ? "a mapping" : "a list");
	node_append(parent, n);
	return 0;
}

static bool env_name_ok(const char *s);
static const char *env(const char *name);

/*
 * Expand ${NAME} and ${NAME:-default} in a scalar from the environment
 * in plain and double-quoted values ("$$" is a literal '$'; single-quoted
 * values are never expanded). An unset NAME without a default is an error
 * that says where. A value that expands to nothing counts as absent, so
 * one file can carry optional settings for several environments.
 * Secrets stay references ({env: NAME}): this never reads them.
 */
static int expand_env(struct ctx *c, struct node *n)
{
	struct berth_buf out = BERTH_BUF_INIT;
	const char *p = n->value;

	if (!strchr(p, '$') || !(n->plain || n->dquoted))
		return 0;
	while (*p) {
		const char *end, *colon, *val;
		char name[128];
		size_t nlen;

		if (p[0] == '$' && p[1] == '$') {
			berth_buf_addch(&out, '$');
			p += 2;
			continue;
		}
		if (p[0] != '$' || p[1] != '{') {
			berth_buf_addch(&out, *p++);
			continue;
		}
		end = strchr(p + 2, '}');
		if (!end) {
			berth_buf_release(&out);
			return fail(c, n, "unterminated '${' in '%s'", n->value);
		}
		colon = strstr(p + 2, ":-");
		if (colon && colon > end)
			colon = NULL;
		nlen = (size_t)((colon ? colon : end) - (p + 2));
		if (!nlen || nlen >= sizeof(name)) {
			berth_buf_release(&out);
			return fail(c, n, "bad variable name in '%s'", n->value);
		}
		memcpy(name, p + 2, nlen);
		name[nlen] = '\0';
		if (!env_name_ok(name)) {
			berth_buf_release(&out);
			return fail(c, n, "'%s' is not an environment variable name", name);
		}
		val = env(name);
		if (val)
			berth_buf_addstr(&out, val);
		else if (colon)
			berth_buf_add(&out, colon + 2, (size_t)(end - colon - 2));
		else {
			berth_buf_release(&out);
			return fail(c, n, "environment variable '%s' is not set (write ${%s:-default} for a default)",
				    name, name);
		}
		p = end + 1;
	}
	free(n->value);
	n->len = out.len;
	n->value = berth_buf_detach(&out, NULL);
	n->unset = n->len == 0;
	/* The quotes were only YAML syntax around ${...}: type the result like a plain value. */
	n->plain = true;
	return 0;
}

static int build_tree(struct ctx *c, struct node **root)
{
	yaml_parser_t p;
	yaml_event_t ev;
	struct node *stack[MAX_DEPTH];
	struct node *n;
	size_t depth = 0;
	int docs = 0, ret = 0;
	bool done = false, have_ev = false;

	*root = NULL;
	if (!yaml_parser_initialize(&p))
		BERTH_BUG("libyaml: out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)c->text, c->len);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			ret = yaml_fail(c, &p);
			goto out;
		}
		have_ev = true;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (docs++) {
				ret = fail_at(c, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
					      "a second YAML document; berth reads one document per file");
				goto out;
			}
			break;
		case YAML_ALIAS_EVENT:
			ret = fail_at(c, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
				      "anchors and aliases are not supported ('*%s'); write the value out",
				      (const char *)ev.data.alias.anchor);
			goto out;
		case YAML_SCALAR_EVENT:
			ret = check_anchor(c, ev.data.scalar.anchor, &ev.start_mark);
			if (!ret)
				ret = check_tag(c, ev.data.scalar.tag, YAML_STR_TAG, &ev.start_mark);
			if (ret)
				goto out;
			n = node_new(c, NODE_SCALAR, &ev.start_mark);
			n->len = ev.data.scalar.length;
			n->value = xmalloc(n->len + 1);
			memcpy(n->value, ev.data.scalar.value, n->len);
			n->value[n->len] = '\0';
			n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			n->dquoted = ev.data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
			n->str_tag = ev.data.scalar.tag && !strcmp((const char *)ev.data.scalar.tag, YAML_STR_TAG);
			/* Values only: keys are never expanded. */
			if (c->expand && depth && !(stack[depth - 1]->kind == NODE_MAP && stack[depth - 1]->n % 2 == 0)) {
				ret = expand_env(c, n);
				if (ret)
					goto out;
			}
			ret = attach(c, stack, depth, root, n);
			if (ret)
				goto out;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT: {
			bool seq = ev.type == YAML_SEQUENCE_START_EVENT;

			ret = check_anchor(c, seq ? ev.data.sequence_start.anchor : ev.data.mapping_start.anchor,
					   &ev.start_mark);
			if (!ret)
				ret = check_tag(c, seq ? ev.data.sequence_start.tag : ev.data.mapping_start.tag,
						seq ? YAML_SEQ_TAG : YAML_MAP_TAG, &ev.start_mark);
			if (ret)
				goto out;
			if (depth == MAX_DEPTH) {
				ret = fail_at(c, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
					      "nested more than %d levels deep", MAX_DEPTH);
				goto out;
			}
			n = node_new(c, seq ? NODE_SEQ : NODE_MAP, &ev.start_mark);
			ret = attach(c, stack, depth, root, n);
			if (ret)
				goto out;
			stack[depth++] = n;
			break;
		}
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			BERTH_ASSERT(depth > 0);
			depth--;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		have_ev = false;
	}
out:
	if (have_ev)
		yaml_event_delete(&ev);
	yaml_parser_delete(&p);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Mappings through key tables */

struct view {
	const struct node *map;
	const char *path;          /* "" at the top level */
	const char *const *keys;   /* NULL-terminated */
	const struct node *k[MAX_KEYS];
	const struct node *v[MAX_KEYS];
};

static int expect_kind(struct ctx *c, const struct node *n, const char *path, enum node_kind kind)
{
	char buf[64];

	if (n->kind == kind)
		return 0;
	return fail(c, n, "%s: expected %s, got %s", path,
		    kind == NODE_MAP ? "a mapping" : kind == NODE_SEQ ? "a list" : "a value",
		    describe(n, buf, sizeof(buf)));
}

/* Duplicate keys in any mapping, key tables or not. */
static int check_duplicates(struct ctx *c, const struct node *map, const char *path)
{
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		for (size_t j = 0; j < i; j += 2) {
			const struct node *a = map->items[j], *b = map->items[i];

			if (a->len == b->len && !memcmp(a->value, b->value, a->len))
				return fail(c, b, "duplicate key '%s' %s%s (first at %d:%d)", b->value,
					    *path ? "in " : "at ", *path ? path : "the top level", a->line, a->col);
		}
	}
	return 0;
}

static int open_map(struct ctx *c, struct view *w, const struct node *n, const char *path,
		    const char *const *keys)
{
	size_t nkeys = 0;
	int ret;

	memset(w, 0, sizeof(*w));
	w->map = n;
	w->path = path;
	w->keys = keys;
	while (keys[nkeys])
		nkeys++;
	BERTH_ASSERT(nkeys <= MAX_KEYS);
	ret = expect_kind(c, n, *path ? path : "the top level", NODE_MAP);
	if (ret)
		return ret;
	for (size_t i = 0; i + 1 < n->n; i += 2) {
		const struct node *key = n->items[i];
		size_t k;

		for (k = 0; k < nkeys; k++) {
			if (!strcmp(key->value, keys[k]) && strlen(keys[k]) == key->len)
				break;
		}
		if (k == nkeys) {
			struct berth_buf list = BERTH_BUF_INIT;

			for (size_t j = 0; j < nkeys; j++)
				berth_buf_addf(&list, "%s%s", j ? ", " : "", keys[j]);
			ret = fail(c, key, "unknown key '%s' %s%s (expected one of: %s)", key->value,
				   *path ? "in " : "at ", *path ? path : "the top level", list.buf);
			berth_buf_release(&list);
			return ret;
		}
		if (w->k[k])
			return fail(c, key, "duplicate key '%s' %s%s (first at %d:%d)", key->value,
				    *path ? "in " : "at ", *path ? path : "the top level", w->k[k]->line, w->k[k]->col);
		w->k[k] = key;
		w->v[k] = n->items[i + 1];
	}
	return 0;
}

static size_t key_index(const struct view *w, const char *key)
{
	for (size_t k = 0; w->keys[k]; k++) {
		if (!strcmp(w->keys[k], key))
			return k;
	}
	BERTH_BUG("config key '%s' is not in the table of '%s'", key, w->path);
}

static const struct node *val(const struct view *w, const char *key)
{
	const struct node *n = w->v[key_index(w, key)];

	return n && n->kind == NODE_SCALAR && n->unset ? NULL : n;
}

static const struct node *keynode(const struct view *w, const char *key)
{
	return w->k[key_index(w, key)];
}

static int missing(struct ctx *c, const struct view *w, const char *key)
{
	if (!*w->path)
		return fail(c, w->map, "missing key '%s' at the top level", key);
	return fail(c, w->map, "%s: missing key '%s'", w->path, key);
}

/* ------------------------------------------------------------------ */
/* Typed values */

enum str_flags {
	STR_REQUIRED = 1 << 0,
	STR_EMPTY_OK = 1 << 1,
	STR_PATH = 1 << 2,   /* a file system path, resolved against the config's directory */
};

/* dir + "/" + rel for relative rel (a leading "./" dropped); absolute paths as they are. */
static char *resolve_path(const char *dir, const char *rel)
{
	if (rel[0] == '/')
		return xstrdup(rel);
	while (rel[0] == '.' && rel[1] == '/') {
		rel += 2;
		while (*rel == '/')
			rel++;
	}
	if (!*rel)
		rel = ".";
	if (!strcmp(dir, "."))
		return xstrdup(rel);
	if (berth_ends_with(dir, "/"))
		return xasprintf("%s%s", dir, rel);
	return xasprintf("%s/%s", dir, rel);
}

/* A string value: a scalar that is not null, without NUL bytes. */
static int scalar_str(struct ctx *c, const struct node *n, const char *path, unsigned flags)
{
	char buf[64];

	if (n->kind != NODE_SCALAR || is_null(n))
		return fail(c, n, "%s: expected a string, got %s", path, describe(n, buf, sizeof(buf)));
	if (strlen(n->value) != n->len)
		return fail(c, n, "%s: the value contains a NUL character", path);
	if (!n->len && !(flags & STR_EMPTY_OK))
		return fail(c, n, "%s: must not be empty", path);
	return 0;
}

static int get_str(struct ctx *c, const struct view *w, const char *key, unsigned flags, char **out)
{
	const struct node *n = val(w, key);
	char path[PATHLEN];
	int ret;

	if (!n)
		return (flags & STR_REQUIRED) ? missing(c, w, key) : 0;
	path_key(path, w->path, key);
	ret = scalar_str(c, n, path, flags);
	if (ret)
		return ret;
	free(*out);
	*out = (flags & STR_PATH) ? resolve_path(c->cfg->dir, n->value) : xstrdup(n->value);
	return 0;
}

static int get_bool(struct ctx *c, const struct view *w, const char *key, bool *out)
{
	static const char *const yes[] = { "true", "True", "TRUE" };
	static const char *const no[] = { "false", "False", "FALSE" };
	const struct node *n = val(w, key);
	char path[PATHLEN], buf[64];

	if (!n)
		return 0;
	path_key(path, w->path, key);
	if (n->kind == NODE_SCALAR && n->plain) {
		for (size_t i = 0; i < BERTH_ARRAY_SIZE(yes); i++) {
			if (!strcmp(n->value, yes[i])) {
				*out = true;
				return 0;
			}
			if (!strcmp(n->value, no[i])) {
				*out = false;
				return 0;
			}
		}
	}
	if (n->kind == NODE_SCALAR && !n->plain)
		return fail(c, n, "%s: expected true or false, got the quoted string %s", path,
			    describe(n, buf, sizeof(buf)));
	return fail(c, n, "%s: expected true or false, got %s", path, describe(n, buf, sizeof(buf)));
}

/* An integer written as one (plain); the range is checked by the caller. */
static int scalar_int(struct ctx *c, const struct node *n, const char *path, long long *out)
{
	char buf[64];

	if (n->kind == NODE_SCALAR && !n->plain)
		return fail(c, n, "%s: expected an integer, got the quoted string %s", path,
			    describe(n, buf, sizeof(buf)));
	if (n->kind != NODE_SCALAR || is_null(n) || strlen(n->value) != n->len ||
	    berth_parse_long(n->value, LLONG_MIN, LLONG_MAX, out))
		return fail(c, n, "%s: expected an integer, got %s", path, describe(n, buf, sizeof(buf)));
	return 0;
}

static int get_int(struct ctx *c, const struct view *w, const char *key, long long min, long long max,
		   long long *out)
{
	const struct node *n = val(w, key);
	char path[PATHLEN];
	long long v;
	int ret;

	if (!n)
		return 0;
	path_key(path, w->path, key);
	ret = scalar_int(c, n, path, &v);
	if (ret)
		return ret;
	if (v < min || v > max)
		return fail(c, n, "%s: must be from %lld to %lld, got %lld", path, min, max, v);
	*out = v;
	return 0;
}

/* A duration with a unit ("90s", "6h", "1h30m", "30d"), greater than zero and at most max. */
static int get_duration(struct ctx *c, const struct view *w, const char *key, int64_t max, int64_t *out)
{
	const struct node *n = val(w, key);
	char path[PATHLEN], buf[64], maxs[32];
	int64_t v;

	if (!n)
		return 0;
	path_key(path, w->path, key);
	/* a bare number would be seconds to berth_parse_duration: ask for a unit */
	if (n->kind != NODE_SCALAR || is_null(n) || strlen(n->value) != n->len ||
	    !(n->value[n->len - 1] >= 'a' && n->value[n->len - 1] <= 'z') ||
	    berth_parse_duration(n->value, &v))
		return fail(c, n, "%s: expected a duration such as '90s', '6h' or '30d', got %s", path,
			    describe(n, buf, sizeof(buf)));
	if (v <= 0)
		return fail(c, n, "%s: must be longer than zero", path);
	if (v > max) {
		berth_format_duration(max, maxs, sizeof(maxs));
		return fail(c, n, "%s: must be at most %s, got %s", path, maxs, describe(n, buf, sizeof(buf)));
	}
	*out = v;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Names */

static bool is_lower_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

static bool is_alnum(char ch)
{
	return is_lower_alnum(ch) || (ch >= 'A' && ch <= 'Z');
}

/* Harbor's robot and project names: ^[a-z0-9]+(?:[._-][a-z0-9]+)*$ */
static bool harbor_name_ok(const char *s)
{
	bool prev_sep = true;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (is_lower_alnum(*s)) {
			prev_sep = false;
		} else if (*s == '.' || *s == '_' || *s == '-') {
			if (prev_sep)
				return false;
			prev_sep = true;
		} else {
			return false;
		}
	}
	return !prev_sep;
}

/* RFC 1123 label, as Kubernetes checks namespace names: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63. */
static bool dns_label_ok_n(const char *s, size_t len)
{
	if (!len || len > 63 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return false;
	}
	return true;
}

static bool dns_label_ok(const char *s)
{
	return dns_label_ok_n(s, strlen(s));
}

/* RFC 1123 subdomain, as Kubernetes checks object names: labels joined by '.', at most 253. */
static bool dns_subdomain_ok_n(const char *s, size_t len)
{
	size_t start = 0;

	if (!len || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			size_t l = i - start;

			/* Kubernetes limits the whole name, not each label */
			if (!l || !is_lower_alnum(s[start]) || !is_lower_alnum(s[i - 1]))
				return false;
			for (size_t j = start; j < i; j++) {
				if (!is_lower_alnum(s[j]) && s[j] != '-')
					return false;
			}
			start = i + 1;
		}
	}
	return true;
}

static bool dns_subdomain_ok(const char *s)
{
	return dns_subdomain_ok_n(s, strlen(s));
}

/* A Kubernetes label value (also the owner): empty, or [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])? up to 63. */
static bool label_value_ok_n(const char *s, size_t len)
{
	if (!len)
		return true;
	if (len > 63 || !is_alnum(s[0]) || !is_alnum(s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	}
	return true;
}

/* A label key: [prefix/]name, prefix a DNS subdomain, name a non-empty label value. */
static bool label_key_ok(const char *s)
{
	const char *slash = strchr(s, '/');
	const char *name = slash ? slash + 1 : s;

	if (slash && !dns_subdomain_ok_n(s, (size_t)(slash - s)))
		return false;
	return *name && label_value_ok_n(name, strlen(name));
}

/* A Secret data key: [-._a-zA-Z0-9]+, at most 253. */
static bool secret_key_ok(const char *s)
{
	size_t len = strlen(s);

	if (!len || len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '.' && s[i] != '_')
			return false;
	}
	return true;
}

static bool env_name_ok(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++) {
		if (!is_alnum(*s) && *s != '_')
			return false;
	}
	return true;
}

/* A slash-separated path: no leading or trailing '/', no empty, '.' or '..' segments. */
static const char *slash_path_problem(const char *s)
{
	const char *seg = s;

	if (s[0] == '/')
		return "must not start with '/'";
	if (berth_ends_with(s, "/"))
		return "must not end with '/'";
	for (const char *p = s;; p++) {
		if (*p == '/' || !*p) {
			size_t l = (size_t)(p - seg);

			if (!l)
				return "must not hold an empty segment ('//')";
			if ((l == 1 && seg[0] == '.') || (l == 2 && seg[0] == '.' && seg[1] == '.'))
				return "must not hold '.' or '..' segments";
			if (!*p)
				break;
			seg = p + 1;
		} else if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-')) {
			return "may hold only letters, digits, '.', '_', '-' and '/'";
		}
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* URLs */

/*
 * An http(s) URL without credentials, query or fragment; plain http only
 * when allowed. Trailing slashes are dropped from *url. 'at' and 'what'
 * say where the value came from.
 */
static int check_url(struct ctx *c, const struct node *at, const char *what, char **url, bool allow_plain)
{
	char *u = *url;
	const char *sep = strstr(u, "://");
	const char *host = sep ? sep + 3 : u;
	const char *end = host + strcspn(host, "/?#");
	size_t len;

	/* before anything echoes the URL: user:password@ must not reach a message */
	if (memchr(host, '@', (size_t)(end - host)))
		return fail(c, at, "%s: the URL must not carry credentials (user@host); "
			    "give them as secret references", what);
	for (const char *p = u; *p; p++) {
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return fail(c, at, "%s: the URL holds a space or control character", what);
	}
	if (!sep || (strncasecmp(u, "https://", 8) && strncasecmp(u, "http://", 7)))
		return fail(c, at, "%s: '%s' is not an http or https URL", what, u);
	if (!strncasecmp(u, "http://", 7) && !allow_plain)
		return fail(c, at, "%s: '%s' is plain http, which sends credentials unencrypted; "
			    "use https, or set allowPlainHTTP: true", what, u);
	if (end == host)
		return fail(c, at, "%s: '%s' has no host", what, u);
	if (*end && strpbrk(end, "?#"))
		return fail(c, at, "%s: the URL must not have a query or fragment", what);
	len = strlen(u);
	while (len > (size_t)(end - u) && u[len - 1] == '/')
		u[--len] = '\0';
	return 0;
}

/* host[:port] (IPv6 hosts in brackets), as docker config.json keys registries. */
static int check_registry(struct ctx *c, const struct node *at, const char *what, const char *s)
{
	const char *port = NULL;
	long long v;

	if (strstr(s, "://"))
		return fail(c, at, "%s: write host[:port] without a scheme, got '%s'", what, s);
	if (strpbrk(s, "/@?# \t"))
		return fail(c, at, "%s: expected host[:port], got '%s'", what, s);
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close == s + 1 || (close[1] && close[1] != ':'))
			return fail(c, at, "%s: expected host[:port], got '%s'", what, s);
		port = close[1] ? close + 2 : NULL;
	} else {
		const char *colon = strchr(s, ':');

		if (colon == s || (colon && strchr(colon + 1, ':')))
			return fail(c, at, "%s: expected host[:port], got '%s'", what, s);
		port = colon ? colon + 1 : NULL;
	}
	if (port && berth_parse_long(port, 1, 65535, &v))
		return fail(c, at, "%s: the port in '%s' must be a number from 1 to 65535", what, s);
	return 0;
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* ------------------------------------------------------------------ */
/* Secret references */

static void secret_ref_release(struct berth_secret_ref *r)
{
	free(r->env);
	free(r->file);
	free(r->kube_namespace);
	free(r->kube_name);
	free(r->kube_key);
	memset(r, 0, sizeof(*r));
}

static void pos_of(struct ctx *c, struct berth_config_pos *pos, const struct node *n)
{
	pos->file = c->cfg->path;
	pos->line = n ? n->line : 0;
	pos->column = n ? n->col : 0;
}

static int parse_secret_ref(struct ctx *c, const struct node *n, const char *path, struct berth_secret_ref *r)
{
	static const char *const keys[] = { "env", "file", "secret", NULL };
	static const char *const kube_keys[] = { "namespace", "name", "key", NULL };
	struct view w, kw;
	char sub[PATHLEN];
	int ret, count;

	secret_ref_release(r);
	pos_of(c, &r->pos, n);
	/* never echo the value: it may be the very secret */
	if (n->kind == NODE_SCALAR && !is_null(n))
		return fail(c, n, "%s: secrets are never written in the file; %s", path, secret_hint);
	if (n->kind != NODE_MAP)
		return fail(c, n, "%s: expected a secret reference (%s), got %s", path, secret_hint,
			    n->kind == NODE_SEQ ? "a list" : "nothing");
	ret = open_map(c, &w, n, path, keys);
	if (ret)
		return ret;
	count = !!val(&w, "env") + !!val(&w, "file") + !!val(&w, "secret");
	if (count != 1)
		return fail(c, n, "%s: set exactly one of env, file or secret", path);
	if (val(&w, "env")) {
		r->kind = BERTH_REF_ENV;
		ret = get_str(c, &w, "env", 0, &r->env);
		if (!ret && !env_name_ok(r->env))
			ret = fail(c, val(&w, "env"), "%s.env: '%s' is not an environment variable name",
				   path, r->env);
		return ret;
	}
	if (val(&w, "file")) {
		r->kind = BERTH_REF_FILE;
		return get_str(c, &w, "file", STR_PATH, &r->file);
	}
	r->kind = BERTH_REF_KUBE;
	path_key(sub, path, "secret");
	ret = open_map(c, &kw, val(&w, "secret"), sub, kube_keys);
	if (!ret)
		ret = get_str(c, &kw, "namespace", STR_REQUIRED, &r->kube_namespace);
	if (!ret)
		ret = get_str(c, &kw, "name", STR_REQUIRED, &r->kube_name);
	if (!ret)
		ret = get_str(c, &kw, "key", STR_REQUIRED, &r->kube_key);
	if (ret)
		return ret;
	if (!dns_label_ok(r->kube_namespace))
		return fail(c, val(&kw, "namespace"), "%s.namespace: '%s' is not a valid namespace name "
			    "(lowercase letters, digits and '-', at most 63)", sub, r->kube_namespace);
	if (!dns_subdomain_ok(r->kube_name))
		return fail(c, val(&kw, "name"), "%s.name: '%s' is not a valid Secret name "
			    "(a DNS subdomain: lowercase letters, digits, '-' and '.', at most 253)", sub,
			    r->kube_name);
	if (!secret_key_ok(r->kube_key))
		return fail(c, val(&kw, "key"), "%s.key: '%s' is not a valid Secret key "
			    "(letters, digits, '-', '_' and '.')", sub, r->kube_key);
	return 0;
}

/* ------------------------------------------------------------------ */
/* harbor: */

static int parse_ingress(struct ctx *c, struct berth_harbor_config *h, const struct node *n)
{
	static const char *const from_keys[] = { "ingress", NULL };
	static const char *const ing_keys[] = { "namespace", "name", "port", NULL };
	struct view w, iw;
	long long port = 0;
	int ret;

	ret = open_map(c, &w, n, "harbor.urlFrom", from_keys);
	if (ret)
		return ret;
	if (!val(&w, "ingress"))
		return missing(c, &w, "ingress");
	ret = open_map(c, &iw, val(&w, "ingress"), "harbor.urlFrom.ingress", ing_keys);
	if (!ret)
		ret = get_str(c, &iw, "namespace", STR_REQUIRED, &h->ingress_namespace);
	if (!ret)
		ret = get_str(c, &iw, "name", STR_REQUIRED, &h->ingress_name);
	if (!ret)
		ret = get_int(c, &iw, "port", 1, 65535, &port);
	if (ret)
		return ret;
	if (!dns_label_ok(h->ingress_namespace))
		return fail(c, val(&iw, "namespace"), "harbor.urlFrom.ingress.namespace: '%s' is not a valid "
			    "namespace name (lowercase letters, digits and '-', at most 63)", h->ingress_namespace);
	if (!dns_subdomain_ok(h->ingress_name))
		return fail(c, val(&iw, "name"), "harbor.urlFrom.ingress.name: '%s' is not a valid Ingress "
			    "name (a DNS subdomain: lowercase letters, digits, '-' and '.')", h->ingress_name);
	h->ingress_port = (long)port;
	return 0;
}

static int parse_harbor(struct ctx *c, const struct node *key, const struct node *n)
{
	static const char *const keys[] = {
		"url", "urlFrom", "registry", "username", "password", "caFile",
		"insecureSkipTLSVerify", "allowPlainHTTP", "robotNamePrefix", "timeout", NULL,
	};
	struct berth_harbor_config *h = &c->cfg->harbor;
	struct view w;
	int64_t timeout = DEFAULT_TIMEOUT_S;
	int ret;

	pos_of(c, &h->pos, key);
	ret = open_map(c, &w, n, "harbor", keys);
	if (!ret)
		ret = get_bool(c, &w, "allowPlainHTTP", &h->allow_plain_http);
	if (!ret)
		ret = get_bool(c, &w, "insecureSkipTLSVerify", &h->insecure_skip_tls_verify);
	if (ret)
		return ret;

	if (val(&w, "url") && val(&w, "urlFrom"))
		return fail(c, keynode(&w, "urlFrom"), "harbor: 'url' and 'urlFrom' are both set; use one");
	if (val(&w, "url")) {
		ret = get_str(c, &w, "url", 0, &h->url);
		if (!ret)
			ret = check_url(c, val(&w, "url"), "harbor.url", &h->url, h->allow_plain_http);
	} else if (val(&w, "urlFrom")) {
		ret = parse_ingress(c, h, val(&w, "urlFrom"));
	} else if (env("HARBOR_URL")) {
		h->url = xstrdup(env("HARBOR_URL"));
		ret = check_url(c, n, "harbor.url (from env HARBOR_URL)", &h->url, h->allow_plain_http);
	} else {
		ret = fail(c, n, "harbor: missing key 'url' (or 'urlFrom'), and env HARBOR_URL is not set");
	}
	if (ret)
		return ret;

	ret = get_str(c, &w, "registry", 0, &h->registry);
	if (!ret && h->registry)
		ret = check_registry(c, val(&w, "registry"), "harbor.registry", h->registry);
	if (!ret)
		ret = get_str(c, &w, "username", 0, &h->username);
	if (ret)
		return ret;
	if (!h->username)
		h->username = xstrdup(env("HARBOR_USERNAME") ? env("HARBOR_USERNAME") : "admin");

	if (!val(&w, "password"))
		return fail(c, n, "harbor: missing key 'password' (%s)", secret_hint);
	ret = parse_secret_ref(c, val(&w, "password"), "harbor.password", &h->password);
	if (!ret)
		ret = get_str(c, &w, "caFile", STR_PATH, &h->ca_file);
	if (!ret)
		ret = get_str(c, &w, "robotNamePrefix", 0, &h->robot_name_prefix);
	if (!ret)
		ret = get_duration(c, &w, "timeout", 3600, &timeout);
	h->timeout_s = (long)timeout;
	return ret;
}

/* ------------------------------------------------------------------ */
/* store: */

static int check_mount(struct ctx *c, const struct view *w, const char *key, const char *mount)
{
	const char *problem = slash_path_problem(mount);
	char path[PATHLEN];

	if (!problem)
		return 0;
	path_key(path, w->path, key);
	return fail(c, val(w, key), "%s: '%s' %s", path, mount, problem);
}

static int parse_vault_auth(struct ctx *c, struct berth_vault_config *v, const struct node *n)
{
	static const char *const keys[] = { "token", "kubernetes", "approle", NULL };
	static const char *const k8s_keys[] = { "role", "mount", "tokenFile", NULL };
	static const char *const approle_keys[] = { "mount", "roleId", "secretId", NULL };
	struct view w, sw;
	int ret, count;

	ret = open_map(c, &w, n, "store.vault.auth", keys);
	if (ret)
		return ret;
	count = !!val(&w, "token") + !!val(&w, "kubernetes") + !!val(&w, "approle");
	if (count != 1)
		return fail(c, n, "store.vault.auth: set exactly one of token, kubernetes or approle");
	if (val(&w, "token")) {
		v->auth = BERTH_VAULT_AUTH_TOKEN;
		return parse_secret_ref(c, val(&w, "token"), "store.vault.auth.token", &v->token);
	}
	if (val(&w, "kubernetes")) {
		v->auth = BERTH_VAULT_AUTH_KUBERNETES;
		ret = open_map(c, &sw, val(&w, "kubernetes"), "store.vault.auth.kubernetes", k8s_keys);
		if (!ret)
			ret = get_str(c, &sw, "role", STR_REQUIRED, &v->k8s_role);
		if (!ret)
			ret = get_str(c, &sw, "mount", 0, &v->k8s_mount);
		if (!ret)
			ret = check_mount(c, &sw, "mount", v->k8s_mount);
		if (!ret)
			ret = get_str(c, &sw, "tokenFile", STR_PATH, &v->k8s_token_file);
		return ret;
	}
	v->auth = BERTH_VAULT_AUTH_APPROLE;
	ret = open_map(c, &sw, val(&w, "approle"), "store.vault.auth.approle", approle_keys);
	if (!ret)
		ret = get_str(c, &sw, "mount", 0, &v->approle_mount);
	if (!ret)
		ret = check_mount(c, &sw, "mount", v->approle_mount);
	if (ret)
		return ret;
	if (!val(&sw, "roleId"))
		return missing(c, &sw, "roleId");
	ret = parse_secret_ref(c, val(&sw, "roleId"), "store.vault.auth.approle.roleId", &v->role_id);
	if (!ret && val(&sw, "secretId"))
		ret = parse_secret_ref(c, val(&sw, "secretId"), "store.vault.auth.approle.secretId",
				       &v->secret_id);
	return ret;
}

static int parse_vault(struct ctx *c, const struct node *key, const struct node *n)
{
	static const char *const keys[] = {
		"address", "namespace", "caFile", "mount", "kvVersion",
		"insecureSkipTLSVerify", "allowPlainHTTP", "auth", "timeout", NULL,
	};
	struct berth_vault_config *v = &c->cfg->store.vault;
	const struct node *kv;
	struct view w;
	char buf[64];
	int64_t timeout = DEFAULT_TIMEOUT_S;
	int ret;

	pos_of(c, &v->pos, key);
	v->mount = xstrdup("secret");
	v->k8s_mount = xstrdup("kubernetes");
	v->k8s_token_file = xstrdup(DEFAULT_K8S_TOKEN_FILE);
	v->approle_mount = xstrdup("approle");
	ret = open_map(c, &w, n, "store.vault", keys);
	if (!ret)
		ret = get_bool(c, &w, "allowPlainHTTP", &v->allow_plain_http);
	if (!ret)
		ret = get_bool(c, &w, "insecureSkipTLSVerify", &v->insecure_skip_tls_verify);
	if (ret)
		return ret;

	/* Vault's own CLI lets VAULT_AGENT_ADDR override any other address */
	if (env("VAULT_AGENT_ADDR")) {
		v->address = xstrdup(env("VAULT_AGENT_ADDR"));
		ret = check_url(c, n, "store.vault.address (from env VAULT_AGENT_ADDR)", &v->address,
				v->allow_plain_http);
	} else if (val(&w, "address")) {
		ret = get_str(c, &w, "address", 0, &v->address);
		if (!ret)
			ret = check_url(c, val(&w, "address"), "store.vault.address", &v->address,
					v->allow_plain_http);
	} else if (env("VAULT_ADDR")) {
		v->address = xstrdup(env("VAULT_ADDR"));
		ret = check_url(c, n, "store.vault.address (from env VAULT_ADDR)", &v->address,
				v->allow_plain_http);
	} else {
		ret = fail(c, n, "store.vault: missing key 'address', and env VAULT_ADDR is not set");
	}
	if (!ret)
		ret = get_str(c, &w, "namespace", 0, &v->namespace);
	if (!ret && !v->namespace && env("VAULT_NAMESPACE"))
		v->namespace = xstrdup(env("VAULT_NAMESPACE"));
	if (!ret)
		ret = get_str(c, &w, "caFile", STR_PATH, &v->ca_file);
	if (!ret && !v->ca_file && env("VAULT_CACERT"))
		v->ca_file = xstrdup(env("VAULT_CACERT"));
	if (!ret)
		ret = get_str(c, &w, "mount", 0, &v->mount);
	if (!ret)
		ret = check_mount(c, &w, "mount", v->mount);
	if (!ret)
		ret = get_duration(c, &w, "timeout", 3600, &timeout);
	v->timeout_s = (long)timeout;
	if (ret)
		return ret;

	kv = val(&w, "kvVersion");
	if (kv) {
		if (kv->kind == NODE_SCALAR && !strcmp(kv->value, "auto"))
			v->kv_version = 0;
		else if (kv->kind == NODE_SCALAR && !strcmp(kv->value, "1"))
			v->kv_version = 1;
		else if (kv->kind == NODE_SCALAR && !strcmp(kv->value, "2"))
			v->kv_version = 2;
		else
			return fail(c, kv, "store.vault.kvVersion: expected auto, 1 or 2, got %s",
				    describe(kv, buf, sizeof(buf)));
	}

	if (val(&w, "auth"))
		return parse_vault_auth(c, v, val(&w, "auth"));
	v->auth = BERTH_VAULT_AUTH_TOKEN;
	v->token.kind = BERTH_REF_ENV;
	v->token.env = xstrdup("VAULT_TOKEN");
	pos_of(c, &v->token.pos, NULL);
	return 0;
}

static void default_file_store(struct ctx *c)
{
	c->cfg->store.kind = BERTH_STORE_FILE;
	if (!c->cfg->store.file_dir)
		c->cfg->store.file_dir = resolve_path(c->cfg->dir, ".berth/store");
}

static int parse_store(struct ctx *c, const struct node *key, const struct node *n)
{
	static const char *const keys[] = { "file", "vault", "kubernetes", NULL };
	static const char *const file_keys[] = { "dir", NULL };
	static const char *const kube_keys[] = { "namespace", NULL };
	struct berth_store_config *s = &c->cfg->store;
	const struct node *second = NULL;
	struct view w, sw;
	int ret, count = 0;

	pos_of(c, &s->pos, key);
	ret = open_map(c, &w, n, "store", keys);
	if (ret)
		return ret;
	for (size_t k = 0; keys[k]; k++) {
		if (w.v[k] && count++ && !second)
			second = w.k[k];
	}
	if (second)
		return fail(c, second, "store: set exactly one of file, vault or kubernetes, not several");
	if (!count)
		return fail(c, n, "store: set exactly one of file, vault or kubernetes");
	if (val(&w, "file")) {
		ret = open_map(c, &sw, val(&w, "file"), "store.file", file_keys);
		if (!ret)
			ret = get_str(c, &sw, "dir", STR_PATH, &s->file_dir);
		if (!ret)
			default_file_store(c);
		return ret;
	}
	if (val(&w, "vault")) {
		s->kind = BERTH_STORE_VAULT;
		return parse_vault(c, keynode(&w, "vault"), val(&w, "vault"));
	}
	s->kind = BERTH_STORE_KUBE;
	ret = open_map(c, &sw, val(&w, "kubernetes"), "store.kubernetes", kube_keys);
	if (!ret)
		ret = get_str(c, &sw, "namespace", STR_REQUIRED, &s->kube_namespace);
	if (!ret && !dns_label_ok(s->kube_namespace))
		ret = fail(c, val(&sw, "namespace"), "store.kubernetes.namespace: '%s' is not a valid "
			   "namespace name (lowercase letters, digits and '-', at most 63)", s->kube_namespace);
	return ret;
}

/* ------------------------------------------------------------------ */
/* kubernetes: */

static int parse_kube(struct ctx *c, const struct node *key, const struct node *n)
{
	static const char *const keys[] = { "kubeconfig", "context", "insecureSkipTLSVerify", "timeout", NULL };
	struct berth_kube_config *k = &c->cfg->kube;
	struct view w;
	int64_t timeout = DEFAULT_TIMEOUT_S;
	int ret;

	pos_of(c, &k->pos, key);
	ret = open_map(c, &w, n, "kubernetes", keys);
	if (!ret)
		ret = get_str(c, &w, "kubeconfig", STR_PATH, &k->kubeconfig);
	if (!ret)
		ret = get_str(c, &w, "context", 0, &k->context);
	if (!ret)
		ret = get_bool(c, &w, "insecureSkipTLSVerify", &k->insecure_skip_tls_verify);
	if (!ret)
		ret = get_duration(c, &w, "timeout", 3600, &timeout);
	k->timeout_s = (long)timeout;
	return ret;
}

/* ------------------------------------------------------------------ */
/* robots[].permissions */

/*
 * Harbor's grantable (resource, action) pairs per kind, 2.10 and later:
 * src/common/rbac/const.go, PoliciesMap plus NolimitProvider's extras.
 * This is the union over the releases since 2.10, so that a pair one of
 * them accepts is never refused here; see docs/config.md.
 */
struct catalogue_entry {
	const char *kind;
	const char *resource;
	const char *actions; /* space-separated */
};

static const struct catalogue_entry catalogue[] = {
	{ "system", "audit-log", "list" },
	{ "system", "catalog", "read" },
	{ "system", "export-cve", "create read" },          /* 2.12 only */
	{ "system", "garbage-collection", "create list read stop update" },
	{ "system", "jobservice-monitor", "list stop" },
	{ "system", "label", "create delete read update" },
	{ "system", "ldap-user", "create list" },           /* 2.12+ */
	{ "system", "preheat-instance", "create delete list read update" },
	{ "system", "project", "create list" },
	{ "system", "purge-audit", "create list read stop update" },
	{ "system", "quota", "list read update" },          /* 2.11+, update 2.12+ */
	{ "system", "registry", "create delete list read update" },
	{ "system", "replication", "create list read" },
	{ "system", "replication-adapter", "list" },
	{ "system", "replication-policy", "create delete list read update" },
	{ "system", "robot", "create delete list read" },   /* 2.12+ */
	{ "system", "scan-all", "create read stop update" },
	{ "system", "scanner", "create delete list read update" },
	{ "system", "security-hub", "list read" },
	{ "system", "system-volumes", "read" },
	{ "system", "user", "create delete list read update" },       /* 2.12+ */
	{ "system", "user-group", "create delete list read update" }, /* 2.12+ */
	{ "project", "accessory", "list" },
	{ "project", "artifact", "create delete list read" },
	{ "project", "artifact-addition", "read" },
	{ "project", "artifact-label", "create delete" },
	{ "project", "export-cve", "create read" },         /* 2.13+ */
	{ "project", "immutable-tag", "create delete list update" },
	{ "project", "label", "create delete list read update" },
	{ "project", "log", "list" },
	{ "project", "member", "create delete list read update" }, /* 2.12+ */
	{ "project", "metadata", "create delete list read update" },
	{ "project", "notification-policy", "create delete list read update" },
	{ "project", "preheat-policy", "create delete list read update" },
	{ "project", "project", "delete read update" },
	{ "project", "quota", "read" },                     /* 2.11+ */
	{ "project", "repository", "delete list pull push read update" },
	{ "project", "robot", "create delete list read" },  /* 2.12+ */
	{ "project", "sbom", "create read stop" },          /* 2.11+ */
	{ "project", "scan", "create read stop" },
	{ "project", "scanner", "create read" },
	{ "project", "tag", "create delete list" },
	{ "project", "tag-retention", "create delete list read update" },
};

static const struct catalogue_entry *catalogue_find(const char *kind, const char *resource)
{
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(catalogue); i++) {
		if (!strcmp(catalogue[i].kind, kind) && !strcmp(catalogue[i].resource, resource))
			return &catalogue[i];
	}
	return NULL;
}

bool berth_permission_allowed(const char *kind, const char *resource, const char *action)
{
	const struct catalogue_entry *e;
	size_t alen;

	if (!kind || !resource || !action || !*action)
		return false;
	e = catalogue_find(kind, resource);
	if (!e)
		return false;
	alen = strlen(action);
	for (const char *p = e->actions; *p;) {
		size_t l = strcspn(p, " ");

		if (l == alen && !memcmp(p, action, l))
			return true;
		p += l;
		while (*p == ' ')
			p++;
	}
	return false;
}

/* Why (resource, action) is refused, with a short hint. */
static int access_refused(struct ctx *c, const struct node *at, const char *path, const char *kind,
			  const char *resource, const char *action)
{
	const struct catalogue_entry *e = catalogue_find(kind, resource);
	const char *other = strcmp(kind, "system") ? "system" : "project";
	struct berth_buf acts = BERTH_BUF_INIT;
	int ret;

	if (e) {
		for (const char *p = e->actions; *p; p++) {
			if (*p == ' ')
				berth_buf_addstr(&acts, ", ");
			else
				berth_buf_addch(&acts, *p);
		}
		ret = fail(c, at, "%s: Harbor does not grant '%s:%s' to kind %s (actions on '%s': %s)",
			   path, resource, action, kind, resource, acts.buf);
	} else if (catalogue_find(other, resource)) {
		ret = fail(c, at, "%s: Harbor does not grant '%s:%s' to kind %s ('%s' is a %s resource)",
			   path, resource, action, kind, resource, other);
	} else {
		ret = fail(c, at, "%s: Harbor does not grant '%s:%s' to kind %s (no such resource; "
			   "see the permission catalogue in docs/config.md)", path, resource, action, kind);
	}
	berth_buf_release(&acts);
	return ret;
}

static int parse_access(struct ctx *c, const struct node *n, const char *path, struct berth_permission *p)
{
	static const char *const keys[] = { "resource", "action", "effect", NULL };
	char ipath[PATHLEN];
	int ret;

	ret = expect_kind(c, n, path, NODE_SEQ);
	if (ret)
		return ret;
	if (!n->n)
		return fail(c, n, "%s: must not be empty (Harbor refuses a permission without access)", path);
	p->access = xcalloc(n->n, sizeof(*p->access));
	for (size_t i = 0; i < n->n; i++) {
		struct berth_access *a = &p->access[i];
		struct view w;

		path_index(ipath, path, i);
		p->naccess = i + 1;
		ret = open_map(c, &w, n->items[i], ipath, keys);
		if (!ret)
			ret = get_str(c, &w, "resource", STR_REQUIRED, &a->resource);
		if (!ret)
			ret = get_str(c, &w, "action", STR_REQUIRED, &a->action);
		if (!ret)
			ret = get_str(c, &w, "effect", 0, &a->effect);
		if (ret)
			return ret;
		if (a->effect && strcmp(a->effect, "allow") && strcmp(a->effect, "deny"))
			return fail(c, val(&w, "effect"), "%s.effect: expected allow or deny, got '%s'",
				    ipath, a->effect);
		if (!berth_permission_allowed(p->kind, a->resource, a->action))
			return access_refused(c, n->items[i], ipath, p->kind, a->resource, a->action);
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(p->access[j].resource, a->resource) && !strcmp(p->access[j].action, a->action))
				return fail(c, n->items[i], "%s: '%s:%s' is listed twice (first at %d:%d)",
					    ipath, a->resource, a->action, n->items[j]->line, n->items[j]->col);
		}
	}
	return 0;
}

static int parse_permissions(struct ctx *c, const struct view *rw, const char *rpath,
			     struct berth_robot_config *r)
{
	static const char *const keys[] = { "kind", "namespace", "access", NULL };
	const struct node *n = val(rw, "permissions");
	bool project_level = !strcmp(r->level, "project");
	char path[PATHLEN], ipath[PATHLEN], fpath[PATHLEN];
	int ret;

	if (!n)
		return missing(c, rw, "permissions");
	path_key(path, rpath, "permissions");
	ret = expect_kind(c, n, path, NODE_SEQ);
	if (ret)
		return ret;
	if (!n->n)
		return fail(c, n, "%s: must not be empty (Harbor refuses a robot without permissions)", path);
	if (project_level && n->n > 1)
		return fail(c, n->items[1], "%s: a project robot has exactly one permission entry, "
			    "for its project '%s'", path, r->project);
	r->perms = xcalloc(n->n, sizeof(*r->perms));
	for (size_t i = 0; i < n->n; i++) {
		struct berth_permission *p = &r->perms[i];
		struct view w;

		path_index(ipath, path, i);
		r->nperms = i + 1;
		ret = open_map(c, &w, n->items[i], ipath, keys);
		if (!ret)
			ret = get_str(c, &w, "kind", project_level ? 0 : STR_REQUIRED, &p->kind);
		if (!ret)
			ret = get_str(c, &w, "namespace", 0, &p->ns);
		if (ret)
			return ret;
		if (!p->kind)
			p->kind = xstrdup("project");
		path_key(fpath, ipath, "kind");
		if (strcmp(p->kind, "system") && strcmp(p->kind, "project"))
			return fail(c, val(&w, "kind"), "%s: expected system or project, got '%s'", fpath, p->kind);
		path_key(fpath, ipath, "namespace");
		if (!strcmp(p->kind, "system")) {
			if (project_level)
				return fail(c, val(&w, "kind"), "%s.kind: a project robot's permission is of "
					    "kind project", ipath);
			if (!p->ns)
				p->ns = xstrdup("/");
			if (strcmp(p->ns, "/"))
				return fail(c, val(&w, "namespace"), "%s: kind system takes namespace '/', got '%s'",
					    fpath, p->ns);
		} else if (project_level) {
			if (!p->ns)
				p->ns = xstrdup(r->project);
			if (strcmp(p->ns, r->project))
				return fail(c, val(&w, "namespace"), "%s: a project robot's permission is for "
					    "its project '%s', got '%s'", fpath, r->project, p->ns);
		} else {
			if (!p->ns)
				return fail(c, n->items[i], "%s: missing key 'namespace' (a project name, or '*' "
					    "for every project)", ipath);
			if (strcmp(p->ns, "*") && !harbor_name_ok(p->ns))
				return fail(c, val(&w, "namespace"), "%s: '%s' is not a project name or '*'",
					    fpath, p->ns);
		}
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(r->perms[j].kind, p->kind) && !strcmp(r->perms[j].ns, p->ns))
				return fail(c, n->items[i], "%s: a second entry for %s '%s' (first at %d:%d); "
					    "merge their access lists", ipath, p->kind, p->ns,
					    n->items[j]->line, n->items[j]->col);
		}
		if (!val(&w, "access"))
			return missing(c, &w, "access");
		path_key(fpath, ipath, "access");
		ret = parse_access(c, val(&w, "access"), fpath, p);
		if (ret)
			return ret;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* robots[].rotate and robots[].targets */

static int parse_rotate(struct ctx *c, const struct node *n, const char *rpath, struct berth_robot_config *r,
			const struct node **before_expiry)
{
	static const char *const keys[] = { "every", "beforeExpiry", "slots", "overlap", NULL };
	struct berth_rotate_config *rot = &r->rotate;
	const int64_t year = 366 * 86400LL;
	char path[PATHLEN], a[32], b[32];
	long long slots = 1;
	struct view w;
	int ret;

	path_key(path, rpath, "rotate");
	rot->set = true;
	ret = open_map(c, &w, n, path, keys);
	if (!ret)
		ret = get_duration(c, &w, "every", 100 * year, &rot->every_s);
	if (!ret)
		ret = get_duration(c, &w, "beforeExpiry", 100 * year, &rot->before_expiry_s);
	if (ret)
		return ret;
	*before_expiry = val(&w, "beforeExpiry");
	if (val(&w, "slots")) {
		const struct node *sn = val(&w, "slots");
		char buf[64];

		if (sn->kind != NODE_SCALAR || !sn->plain || (strcmp(sn->value, "1") && strcmp(sn->value, "2")))
			return fail(c, sn, "%s.slots: expected 1 or 2, got %s", path, describe(sn, buf, sizeof(buf)));
		slots = sn->value[0] - '0';
	}
	rot->slots = (int)slots;
	if (val(&w, "overlap") && slots != 2)
		return fail(c, val(&w, "overlap"), "%s.overlap: only with slots: 2 (a single robot keeps "
			    "no old credential to overlap with)", path);
	if (slots == 2) {
		rot->overlap_s = DEFAULT_OVERLAP_S;
		ret = get_duration(c, &w, "overlap", 100 * year, &rot->overlap_s);
		if (ret)
			return ret;
		if (rot->every_s && rot->every_s <= rot->overlap_s) {
			berth_format_duration(rot->every_s, a, sizeof(a));
			berth_format_duration(rot->overlap_s, b, sizeof(b));
			return fail(c, val(&w, "every"), "%s.every: %s must be longer than overlap %s%s, "
				    "or the credential in use would be refreshed while still in its overlap",
				    path, a, b, val(&w, "overlap") ? "" : " (the default)");
		}
	}
	return 0;
}

static int label_cmp(const void *va, const void *vb)
{
	const struct berth_label *a = va, *b = vb;

	return strcmp(a->key, b->key);
}

static int parse_labels(struct ctx *c, const struct node *n, const char *path, struct berth_secret_target *t)
{
	char kpath[PATHLEN];
	int ret;

	ret = expect_kind(c, n, path, NODE_MAP);
	if (!ret)
		ret = check_duplicates(c, n, path);
	if (ret)
		return ret;
	if (!n->n)
		return fail(c, n, "%s: must not be empty (it would select every namespace)", path);
	t->selector = xcalloc(n->n / 2, sizeof(*t->selector));
	for (size_t i = 0; i + 1 < n->n; i += 2) {
		const struct node *k = n->items[i], *v = n->items[i + 1];
		struct berth_label *l = &t->selector[t->nselector];

		if (!label_key_ok(k->value) || strlen(k->value) != k->len)
			return fail(c, k, "%s: '%s' is not a valid label key ([prefix/]name, the name at most "
				    "63 letters, digits, '-', '_' or '.')", path, k->value);
		path_key(kpath, path, k->value);
		ret = scalar_str(c, v, kpath, STR_EMPTY_OK);
		if (ret)
			return ret;
		if (!label_value_ok_n(v->value, v->len))
			return fail(c, v, "%s: '%s' is not a valid label value (at most 63 letters, digits, "
				    "'-', '_' or '.', starting and ending with a letter or digit)", kpath, v->value);
		l->key = xstrdup(k->value);
		l->value = xstrdup(v->value);
		t->nselector++;
	}
	/* a canonical order, so that equal selectors compare equal */
	qsort(t->selector, t->nselector, sizeof(*t->selector), label_cmp);
	return 0;
}

static int parse_secret_targets(struct ctx *c, const struct node *n, const char *path,
				struct berth_robot_config *r)
{
	static const char *const keys[] = { "namespace", "namespaceSelector", "name", "tektonAnnotation",
					    "adopt", NULL };
	static const char *const sel_keys[] = { "matchLabels", NULL };
	char ipath[PATHLEN], spath[PATHLEN];
	int ret;

	ret = expect_kind(c, n, path, NODE_SEQ);
	if (ret || !n->n)
		return ret;
	r->secrets = xcalloc(n->n, sizeof(*r->secrets));
	for (size_t i = 0; i < n->n; i++) {
		struct berth_secret_target *t = &r->secrets[i];
		struct view w, sw;

		path_index(ipath, path, i);
		r->nsecrets = i + 1;
		pos_of(c, &t->pos, n->items[i]);
		ret = open_map(c, &w, n->items[i], ipath, keys);
		if (!ret)
			ret = get_str(c, &w, "name", STR_REQUIRED, &t->name);
		if (!ret)
			ret = get_bool(c, &w, "tektonAnnotation", &t->tekton_annotation);
		if (!ret)
			ret = get_bool(c, &w, "adopt", &t->adopt);
		if (ret)
			return ret;
		if (!dns_subdomain_ok(t->name))
			return fail(c, val(&w, "name"), "%s.name: '%s' is not a valid Secret name (a DNS "
				    "subdomain: lowercase letters, digits, '-' and '.', at most 253)", ipath, t->name);
		if (val(&w, "namespace") && val(&w, "namespaceSelector"))
			return fail(c, keynode(&w, "namespaceSelector"), "%s: 'namespace' and "
				    "'namespaceSelector' are both set; use one", ipath);
		if (val(&w, "namespace")) {
			ret = get_str(c, &w, "namespace", 0, &t->ns);
			if (!ret && !dns_label_ok(t->ns))
				ret = fail(c, val(&w, "namespace"), "%s.namespace: '%s' is not a valid namespace "
					   "name (lowercase letters, digits and '-', at most 63)", ipath, t->ns);
			if (ret)
				return ret;
			continue;
		}
		if (!val(&w, "namespaceSelector"))
			return fail(c, n->items[i], "%s: missing key 'namespace' (or 'namespaceSelector')", ipath);
		path_key(spath, ipath, "namespaceSelector");
		ret = open_map(c, &sw, val(&w, "namespaceSelector"), spath, sel_keys);
		if (ret)
			return ret;
		if (!val(&sw, "matchLabels"))
			return missing(c, &sw, "matchLabels");
		path_key(spath, spath, "matchLabels");
		ret = parse_labels(c, val(&sw, "matchLabels"), spath, t);
		if (ret)
			return ret;
	}
	return 0;
}

static int parse_file_targets(struct ctx *c, const struct node *n, const char *path,
			      struct berth_robot_config *r)
{
	static const char *const keys[] = { "path", NULL };
	char ipath[PATHLEN];
	int ret;

	ret = expect_kind(c, n, path, NODE_SEQ);
	if (ret || !n->n)
		return ret;
	r->files = xcalloc(n->n, sizeof(*r->files));
	for (size_t i = 0; i < n->n; i++) {
		struct berth_file_target *f = &r->files[i];
		struct view w;

		path_index(ipath, path, i);
		r->nfiles = i + 1;
		pos_of(c, &f->pos, n->items[i]);
		ret = open_map(c, &w, n->items[i], ipath, keys);
		if (!ret)
			ret = get_str(c, &w, "path", STR_REQUIRED | STR_PATH, &f->path);
		if (ret)
			return ret;
		if (berth_ends_with(f->path, "/"))
			return fail(c, val(&w, "path"), "%s.path: names a directory; give the file, such as "
				    "'%sconfig.json'", ipath, f->path);
	}
	return 0;
}

static int parse_targets(struct ctx *c, const struct node *n, const char *rpath, struct berth_robot_config *r)
{
	static const char *const keys[] = { "secrets", "files", NULL };
	char path[PATHLEN], sub[PATHLEN];
	struct view w;
	int ret;

	path_key(path, rpath, "targets");
	ret = open_map(c, &w, n, path, keys);
	if (ret)
		return ret;
	if (val(&w, "secrets")) {
		path_key(sub, path, "secrets");
		ret = parse_secret_targets(c, val(&w, "secrets"), sub, r);
		if (ret)
			return ret;
	}
	if (val(&w, "files")) {
		path_key(sub, path, "files");
		ret = parse_file_targets(c, val(&w, "files"), sub, r);
	}
	return ret;
}

/* ------------------------------------------------------------------ */
/* robots[] */

static int parse_robot(struct ctx *c, const struct node *n, size_t idx, struct berth_robot_config *r)
{
	static const char *const keys[] = {
		"name", "level", "project", "description", "duration", "disable", "permissions",
		"storePath", "adopt", "rotate", "targets", NULL,
	};
	const struct node *before_expiry = NULL;
	const char *problem;
	char path[PATHLEN], a[32], b[32];
	size_t dbname_len, marker_len;
	long long duration = -1;
	struct view w;
	int ret;

	path_index(path, "robots", idx);
	pos_of(c, &r->pos, n);
	r->duration = -1;
	r->rotate.slots = 1;
	r->rotate.before_expiry_s = DEFAULT_BEFORE_EXPIRY_S;
	ret = open_map(c, &w, n, path, keys);
	if (!ret)
		ret = get_str(c, &w, "name", STR_REQUIRED, &r->name);
	if (ret)
		return ret;
	c->meta[idx].name = val(&w, "name");
	if (!harbor_name_ok(r->name))
		return fail(c, val(&w, "name"), "%s.name: '%s' is not a valid Harbor robot name (lowercase "
			    "letters and digits, with single '.', '_' or '-' between them)", path, r->name);

	ret = get_str(c, &w, "level", 0, &r->level);
	if (ret)
		return ret;
	if (!r->level)
		r->level = xstrdup("system");
	if (strcmp(r->level, "system") && strcmp(r->level, "project"))
		return fail(c, val(&w, "level"), "%s.level: expected system or project, got '%s'", path, r->level);
	ret = get_str(c, &w, "project", 0, &r->project);
	if (ret)
		return ret;
	if (!strcmp(r->level, "project") && !r->project)
		return fail(c, n, "%s: missing key 'project' (a robot of level project belongs to one project)",
			    path);
	if (!strcmp(r->level, "system") && r->project)
		return fail(c, val(&w, "project"), "%s.project: only robots of level project have a project; "
			    "a system robot names projects in its permissions", path);
	if (r->project && !harbor_name_ok(r->project))
		return fail(c, val(&w, "project"), "%s.project: '%s' is not a valid Harbor project name", path,
			    r->project);

	ret = get_bool(c, &w, "disable", &r->disable);
	if (!ret)
		ret = get_bool(c, &w, "adopt", &r->adopt);
	if (!ret)
		ret = get_str(c, &w, "description", STR_EMPTY_OK, &r->description);
	if (ret)
		return ret;
	if (!r->description)
		r->description = xstrdup("");
	if (strstr(r->description, "[berth:"))
		return fail(c, val(&w, "description"), "%s.description: must not contain '[berth:', which "
			    "berth keeps for its ownership marker", path);

	if (val(&w, "duration")) {
		char dpath[PATHLEN];

		path_key(dpath, path, "duration");
		ret = scalar_int(c, val(&w, "duration"), dpath, &duration);
		if (ret)
			return ret;
		if (duration == 0 || duration < -1 || duration > DURATION_MAX)
			return fail(c, val(&w, "duration"), "%s: %lld days is refused by Harbor (duration must be "
				    "either -1 (never) or a positive integer up to %lld)", dpath, duration,
				    DURATION_MAX);
	}
	r->duration = duration;

	ret = parse_permissions(c, &w, path, r);
	if (ret)
		return ret;

	ret = get_str(c, &w, "storePath", 0, &r->store_path);
	if (ret)
		return ret;
	c->meta[idx].store = val(&w, "storePath");
	if (!r->store_path)
		r->store_path = xasprintf("harbor/%s-robot-account", r->name);
	problem = slash_path_problem(r->store_path);
	if (problem)
		return fail(c, val(&w, "storePath"), "%s.storePath: '%s' %s", path, r->store_path, problem);
	/* The marker is " [berth:OWNER:STORE_PATH]" (see plan.c); Harbor keeps 1024 characters. */
	marker_len = strlen(" [berth::]") + strlen(c->cfg->owner) + strlen(r->store_path);
	if (strlen(r->description) + marker_len > HARBOR_DESC_MAX)
		return fail(c, val(&w, "description") ? val(&w, "description") : val(&w, "storePath") ? val(&w, "storePath") : n,
			    "%s.description: longer than %zu characters, which is what Harbor stores beside "
			    "berth's marker", path, HARBOR_DESC_MAX > marker_len ? HARBOR_DESC_MAX - marker_len : 0);

	if (val(&w, "rotate")) {
		ret = parse_rotate(c, val(&w, "rotate"), path, r, &before_expiry);
		if (ret)
			return ret;
	}
	/* Harbor stores "<project>+<name>"; slots add "-a" and "-b" */
	dbname_len = (r->project ? strlen(r->project) + 1 : 0) + strlen(r->name) +
		     (r->rotate.slots == 2 ? 2 : 0);
	if (dbname_len > HARBOR_NAME_MAX)
		return fail(c, val(&w, "name"), "%s.name: too long; Harbor stores '%s%s%s%s', %zu characters, "
			    "in at most %d", path, r->project ? r->project : "", r->project ? "+" : "", r->name,
			    r->rotate.slots == 2 ? "-a" : "", dbname_len, HARBOR_NAME_MAX);
	if (r->duration > 0 && r->rotate.before_expiry_s >= r->duration * 86400) {
		berth_format_duration(r->rotate.before_expiry_s, a, sizeof(a));
		berth_format_duration(r->duration * 86400, b, sizeof(b));
		return fail(c, before_expiry ? before_expiry : val(&w, "duration"), "%s: rotate.beforeExpiry "
			    "%s%s is not shorter than duration %s, so the robot would always be due; set a shorter "
			    "rotate.beforeExpiry or a longer duration", path, a,
			    before_expiry ? "" : " (the default)", b);
	}

	if (val(&w, "targets"))
		ret = parse_targets(c, val(&w, "targets"), path, r);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Checks across robots */

struct claim {
	char *key;
	size_t robot;
	int line, col;
	const char *what; /* how the claim arose, for messages */
};

static int claim_cmp(const void *va, const void *vb)
{
	const struct claim *a = va, *b = vb;
	int r = strcmp(a->key, b->key);

	if (r)
		return r;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return a->col < b->col ? -1 : a->col > b->col;
}

struct claims {
	struct claim *v;
	size_t n, alloc;
};

static void claim_add(struct claims *cl, char *key, size_t robot, int line, int col, const char *what)
{
	BERTH_ALLOC_GROW(cl->v, cl->n + 1, cl->alloc);
	cl->v[cl->n].key = key;
	cl->v[cl->n].robot = robot;
	cl->v[cl->n].line = line;
	cl->v[cl->n].col = col;
	cl->v[cl->n].what = what;
	cl->n++;
}

static void claims_release(struct claims *cl)
{
	for (size_t i = 0; i < cl->n; i++)
		free(cl->v[i].key);
	free(cl->v);
	cl->v = NULL;
	cl->n = cl->alloc = 0;
}

/*
 * Of the claims on a key claimed before, the one earliest in the file, with
 * *first the claim it clashes with; NULL when every key is claimed once.
 * Sorting by key, then position, puts each later claim right after an
 * earlier one on the same key.
 */
static const struct claim *claims_clash(struct claims *cl, const struct claim **first)
{
	const struct claim *best = NULL;

	if (cl->n > 1)
		qsort(cl->v, cl->n, sizeof(*cl->v), claim_cmp);
	for (size_t i = 1; i < cl->n; i++) {
		if (strcmp(cl->v[i - 1].key, cl->v[i].key))
			continue;
		if (!best || cl->v[i].line < best->line ||
		    (cl->v[i].line == best->line && cl->v[i].col < best->col)) {
			best = &cl->v[i];
			*first = &cl->v[i - 1];
		}
	}
	return best;
}

static int check_names(struct ctx *c)
{
	struct claims cl = { 0 };
	const struct claim *dup, *first = NULL;
	int ret = 0;

	for (size_t i = 0; i < c->cfg->nrobots; i++) {
		const struct berth_robot_config *r = &c->cfg->robots[i];

		const struct node *at = c->meta[i].name;

		claim_add(&cl, xstrdup(r->name), i, at->line, at->col, "");
		if (r->rotate.slots == 2) {
			claim_add(&cl, xasprintf("%s-a", r->name), i, at->line, at->col, "a slot name (slots: 2) ");
			claim_add(&cl, xasprintf("%s-b", r->name), i, at->line, at->col, "a slot name (slots: 2) ");
		}
	}
	dup = claims_clash(&cl, &first);
	if (dup)
		ret = fail_at(c, dup->line, dup->col, "robots[%zu].name: robot name '%s' is %salready used by "
			      "robots[%zu] at %d:%d%s", dup->robot, dup->key, dup->what, first->robot,
			      first->line, first->col, *first->what ? " as a slot name (slots: 2)" : "");
	claims_release(&cl);
	return ret;
}

static int check_store_paths(struct ctx *c)
{
	struct claims cl = { 0 };
	const struct claim *dup, *first = NULL;
	int ret = 0;

	for (size_t i = 0; i < c->cfg->nrobots; i++) {
		const struct node *at = c->meta[i].store ? c->meta[i].store : c->meta[i].name;

		claim_add(&cl, xstrdup(c->cfg->robots[i].store_path), i, at->line, at->col,
			  c->meta[i].store ? "" : " (its default)");
	}
	dup = claims_clash(&cl, &first);
	if (dup)
		ret = fail_at(c, dup->line, dup->col, "robots[%zu].storePath: store path '%s'%s is also used "
			      "by robots[%zu]%s at %d:%d", dup->robot, dup->key, dup->what, first->robot,
			      first->what, first->line, first->col);
	claims_release(&cl);
	return ret;
}

static int check_targets(struct ctx *c)
{
	struct claims secrets = { 0 }, files = { 0 };
	const struct claim *dup, *first = NULL;
	int ret = 0;

	for (size_t i = 0; i < c->cfg->nrobots; i++) {
		struct berth_robot_config *r = &c->cfg->robots[i];

		for (size_t j = 0; j < r->nsecrets; j++) {
			struct berth_secret_target *t = &r->secrets[j];
			struct berth_buf key = BERTH_BUF_INIT;

			if (t->ns) {
				berth_buf_addf(&key, "'%s/%s'", t->ns, t->name);
			} else {
				/* selectors are sorted by key (parse_labels), so equal ones print the same */
				berth_buf_addf(&key, "'%s' in namespaces matching {", t->name);
				for (size_t k = 0; k < t->nselector; k++)
					berth_buf_addf(&key, "%s%s: %s", k ? ", " : "", t->selector[k].key,
						       t->selector[k].value);
				berth_buf_addch(&key, '}');
			}
			claim_add(&secrets, berth_buf_detach(&key, NULL), i, t->pos.line, t->pos.column, "");
		}
		for (size_t j = 0; j < r->nfiles; j++) {
			claim_add(&files, xstrdup(r->files[j].path), i, r->files[j].pos.line, r->files[j].pos.column,
				  "");
		}
	}
	dup = claims_clash(&secrets, &first);
	if (dup) {
		ret = fail_at(c, dup->line, dup->col, "robots[%zu].targets.secrets: Secret %s is also a target "
			      "of robots[%zu] at %d:%d", dup->robot, dup->key, first->robot, first->line, first->col);
		goto out;
	}
	dup = claims_clash(&files, &first);
	if (dup && dup->robot == first->robot)
		ret = fail_at(c, dup->line, dup->col, "robots[%zu].targets.files: file '%s' is listed twice "
			      "(first at %d:%d)", dup->robot, dup->key, first->line, first->col);
	else if (dup)
		ret = fail_at(c, dup->line, dup->col, "robots[%zu].targets.files: file '%s' is also a target "
			      "of robots[%zu] at %d:%d; its one entry for the registry can hold one robot",
			      dup->robot, dup->key, first->robot, first->line, first->col);
out:
	claims_release(&secrets);
	claims_release(&files);
	return ret;
}

/* ------------------------------------------------------------------ */
/* The whole file */

static int parse_root(struct ctx *c, const struct node *root)
{
	static const char *const keys[] = { "owner", "harbor", "store", "kubernetes", "robots", NULL };
	struct berth_config *cfg = c->cfg;
	const struct node *robots;
	struct view w;
	int ret;

	if (root->kind != NODE_MAP) {
		char buf[64];

		return fail(c, root, "the top level must be a mapping (owner, harbor, store, kubernetes, "
			    "robots), got %s", describe(root, buf, sizeof(buf)));
	}
	ret = open_map(c, &w, root, "", keys);
	if (!ret)
		ret = get_str(c, &w, "owner", 0, &cfg->owner);
	if (ret)
		return ret;
	if (!cfg->owner)
		cfg->owner = xstrdup(DEFAULT_OWNER);
	if (!label_value_ok_n(cfg->owner, strlen(cfg->owner)))
		return fail(c, val(&w, "owner"), "owner: '%s' is not a valid label value (at most 63 letters, "
			    "digits, '-', '_' or '.', starting and ending with a letter or digit)", cfg->owner);

	if (!val(&w, "harbor"))
		return missing(c, &w, "harbor");
	ret = parse_harbor(c, keynode(&w, "harbor"), val(&w, "harbor"));
	if (ret)
		return ret;

	if (val(&w, "store"))
		ret = parse_store(c, keynode(&w, "store"), val(&w, "store"));
	else
		default_file_store(c);
	if (ret)
		return ret;
	if (!cfg->store.pos.file)
		pos_of(c, &cfg->store.pos, NULL);
	if (!cfg->kube.pos.file)
		pos_of(c, &cfg->kube.pos, NULL);

	if (val(&w, "kubernetes")) {
		ret = parse_kube(c, keynode(&w, "kubernetes"), val(&w, "kubernetes"));
		if (ret)
			return ret;
	}
	if (!cfg->kube.kubeconfig && env("KUBECONFIG"))
		cfg->kube.kubeconfig = xstrdup(env("KUBECONFIG"));

	robots = val(&w, "robots");
	if (!robots)
		return missing(c, &w, "robots");
	ret = expect_kind(c, robots, "robots", NODE_SEQ);
	if (ret)
		return ret;
	cfg->robots = xcalloc(robots->n ? robots->n : 1, sizeof(*cfg->robots));
	c->meta = xcalloc(robots->n ? robots->n : 1, sizeof(*c->meta));
	for (size_t i = 0; i < robots->n; i++) {
		cfg->nrobots = i + 1;
		ret = parse_robot(c, robots->items[i], i, &cfg->robots[i]);
		if (ret)
			return ret;
	}
	ret = check_names(c);
	if (!ret)
		ret = check_store_paths(c);
	if (!ret)
		ret = check_targets(c);
	return ret;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* ------------------------------------------------------------------ */
/* Generic YAML to JSON (kubeconfig files) */

static json_t *node_json(const struct node *n)
{
	json_t *v;
	long long num;

	switch (n->kind) {
	case NODE_SCALAR:
		if (is_null(n))
			return json_null();
		if (n->plain && !n->str_tag) {
			if (!strcmp(n->value, "true") || !strcmp(n->value, "True"))
				return json_true();
			if (!strcmp(n->value, "false") || !strcmp(n->value, "False"))
				return json_false();
			if (!berth_parse_long(n->value, LLONG_MIN, LLONG_MAX, &num))
				return json_integer(num);
		}
		return json_stringn(n->value, n->len);
	case NODE_SEQ:
		v = json_array();
		for (size_t i = 0; i < n->n; i++)
			json_array_append_new(v, node_json(n->items[i]));
		return v;
	case NODE_MAP:
		v = json_object();
		for (size_t i = 0; i + 1 < n->n; i += 2)
			json_object_set_new(v, n->items[i]->value, node_json(n->items[i + 1]));
		return v;
	}
	return json_null();
}

int berth_yaml_parse_json(json_t **out, const char *name, const char *text, size_t len,
			  struct berth_err *err)
{
	struct ctx c = { 0 };
	struct node *root = NULL;
	int ret;

	*out = NULL;
	c.file = name;
	c.text = text ? text : "";
	c.len = len;
	c.err = err;
	ret = build_tree(&c, &root);
	if (!ret)
		*out = root ? node_json(root) : json_null();
	tree_free(&c);
	return ret;
}

int berth_config_parse(struct berth_config **out, const char *name, const char *text, size_t len,
		       struct berth_err *err)
{
	struct ctx c = { 0 };
	struct node *root = NULL;
	int ret;

	*out = NULL;
	c.cfg = xcalloc(1, sizeof(*c.cfg));
	c.cfg->path = xstrdup(name);
	c.cfg->dir = dir_of(name);
	c.file = c.cfg->path;
	c.expand = true;
	c.text = text ? text : "";
	c.len = len;
	c.err = err;

	ret = build_tree(&c, &root);
	if (ret)
		goto out;
	if (!root) {
		ret = fail_at(&c, 1, 1, "the file is empty; it needs at least harbor and robots");
		goto out;
	}
	ret = parse_root(&c, root);
	if (ret)
		goto out;
	*out = c.cfg;
	c.cfg = NULL;
out:
	tree_free(&c);
	free(c.meta);
	berth_config_free(c.cfg);
	return ret;
}

int berth_config_load(struct berth_config **out, const char *path, struct berth_err *err)
{
	struct berth_buf text = BERTH_BUF_INIT;
	int ret;

	*out = NULL;
	ret = berth_file_read(&text, path, CONFIG_MAX_BYTES, err);
	if (ret == BERTH_ENOTFOUND)
		goto out;
	if (ret) {
		/* unreadable, a directory, too large: still a configuration problem */
		if (err)
			err->code = BERTH_ECONFIG;
		ret = BERTH_ECONFIG;
		goto out;
	}
	ret = berth_config_parse(out, path, text.buf, text.len, err);
out:
	berth_buf_release(&text);
	return ret;
}

static void robot_config_release(struct berth_robot_config *r)
{
	free(r->name);
	free(r->level);
	free(r->project);
	free(r->description);
	berth_permissions_free(r->perms, r->nperms);
	free(r->store_path);
	for (size_t i = 0; i < r->nsecrets; i++) {
		free(r->secrets[i].ns);
		for (size_t j = 0; j < r->secrets[i].nselector; j++) {
			free(r->secrets[i].selector[j].key);
			free(r->secrets[i].selector[j].value);
		}
		free(r->secrets[i].selector);
		free(r->secrets[i].name);
	}
	free(r->secrets);
	for (size_t i = 0; i < r->nfiles; i++)
		free(r->files[i].path);
	free(r->files);
}

void berth_config_free(struct berth_config *cfg)
{
	struct berth_vault_config *v;

	if (!cfg)
		return;
	free(cfg->owner);
	free(cfg->harbor.url);
	free(cfg->harbor.ingress_namespace);
	free(cfg->harbor.ingress_name);
	free(cfg->harbor.registry);
	free(cfg->harbor.username);
	secret_ref_release(&cfg->harbor.password);
	free(cfg->harbor.ca_file);
	free(cfg->harbor.robot_name_prefix);
	free(cfg->store.file_dir);
	free(cfg->store.kube_namespace);
	v = &cfg->store.vault;
	free(v->address);
	free(v->namespace);
	free(v->ca_file);
	free(v->mount);
	secret_ref_release(&v->token);
	free(v->k8s_role);
	free(v->k8s_mount);
	free(v->k8s_token_file);
	free(v->approle_mount);
	secret_ref_release(&v->role_id);
	secret_ref_release(&v->secret_id);
	free(cfg->kube.kubeconfig);
	free(cfg->kube.context);
	for (size_t i = 0; i < cfg->nrobots; i++)
		robot_config_release(&cfg->robots[i]);
	free(cfg->robots);
	free(cfg->path);
	free(cfg->dir);
	free(cfg);
}

const struct berth_robot_config *berth_config_robot(const struct berth_config *cfg, const char *name)
{
	if (!cfg || !name)
		return NULL;
	for (size_t i = 0; i < cfg->nrobots; i++) {
		if (!strcmp(cfg->robots[i].name, name))
			return &cfg->robots[i];
	}
	return NULL;
}
