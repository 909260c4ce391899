/*
 * schemacheck.c - validate a JSON document against a schema of an API spec:
 * Harbor's swagger 2.0 YAML (#/definitions/NAME) or the Kubernetes OpenAPI
 * v3 JSON (#/components/schemas/NAME). Used by the simulator's suite to
 * prove berth-sim answers in the shapes the real servers document.
 *
 *   schemacheck [--loose] SPEC NAME [DOC]     (DOC defaults to stdin)
 *
 * Checks type, required, properties, items, enum, $ref, allOf,
 * additionalProperties, nullable/x-nullable, int-or-string and date-time
 * formats. By default a property the schema does not declare is an error
 * (the simulator must not invent fields); --loose allows them. Exit 0 when
 * valid, 1 when not (each violation printed with its JSON path), 2 on usage
 * or unreadable input.
 */
#include "compat.h"
#include "buf.h"
#include "err.h"
#include "util.h"
#include "xalloc.h"

#include <jansson.h>
#include <yaml.h>

static json_t *spec;
static bool loose;
static int violations;

/* ---- YAML to JSON ------------------------------------------------------ */

static json_t *scalar_value(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	long long n;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return json_string(v);
	if (!strcmp(v, "true"))
		return json_true();
	if (!strcmp(v, "false"))
		return json_false();
	if (!strcmp(v, "null") || !strcmp(v, "~") || !*v)
		return json_null();
	if (!berth_parse_long(v, LLONG_MIN, LLONG_MAX, &n))
		return json_integer(n);
	return json_string(v);
}

static json_t *parse_node(yaml_parser_t *p, yaml_event_t *ev);

static json_t *parse_next(yaml_parser_t *p)
{
	yaml_event_t ev;
	json_t *v;

	if (!yaml_parser_parse(p, &ev))
		return NULL;
	v = parse_node(p, &ev);
	yaml_event_delete(&ev);
	return v;
}

static json_t *parse_node(yaml_parser_t *p, yaml_event_t *ev)
{
	json_t *v;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return scalar_value(ev);
	case YAML_SEQUENCE_START_EVENT:
		v = json_array();
		for (;;) {
			yaml_event_t e;
			json_t *item;

			if (!yaml_parser_parse(p, &e))
				return NULL;
			if (e.type == YAML_SEQUENCE_END_EVENT) {
				yaml_event_delete(&e);
				return v;
			}
			item = parse_node(p, &e);
			yaml_event_delete(&e);
			if (!item)
				return NULL;
			json_array_append_new(v, item);
		}
	case YAML_MAPPING_START_EVENT:
		v = json_object();
		for (;;) {
			yaml_event_t k;
			json_t *val;
			char *key;

			if (!yaml_parser_parse(p, &k))
				return NULL;
			if (k.type == YAML_MAPPING_END_EVENT) {
				yaml_event_delete(&k);
				return v;
			}
			if (k.type != YAML_SCALAR_EVENT) {
				yaml_event_delete(&k);
				return NULL;
			}
			key = xstrdup((const char *)k.data.scalar.value);
			yaml_event_delete(&k);
			val = parse_next(p);
			if (!val) {
				free(key);
				return NULL;
			}
			json_object_set_new(v, key, val);
			free(key);
		}
	default:
		return NULL;
	}
}

static json_t *load_yaml(const char *text, size_t len)
{
	yaml_parser_t p;
	yaml_event_t ev;
	json_t *root = NULL;

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	for (;;) {
		if (!yaml_parser_parse(&p, &ev))
			break;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_SCALAR_EVENT || ev.type == YAML_SEQUENCE_START_EVENT ||
		    ev.type == YAML_MAPPING_START_EVENT) {
			root = parse_node(&p, &ev);
			yaml_event_delete(&ev);
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return root;
}

/* ---- validation ---------------------------------------------------------- */

static void fail(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(const char *path, const char *fmt, ...)
{
	va_list ap;

	violations++;
	printf("%s: ", *path ? path : "$");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static json_t *resolve(const char *ref)
{
	json_t *node = spec;
	char *copy, *save = NULL, *tok;

	if (strncmp(ref, "#/", 2))
		return NULL;
	copy = xstrdup(ref + 2);
	for (tok = strtok_r(copy, "/", &save); tok && node; tok = strtok_r(NULL, "/", &save))
		node = json_object_get(node, tok);
	free(copy);
	return node;
}

static const char *type_of(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	case JSON_NULL: return "null";
	}
	return "?";
}

static bool type_ok(const char *want, const json_t *v)
{
	if (!strcmp(want, "number"))
		return json_is_number(v);
	return !strcmp(want, type_of(v));
}

static void validate(const json_t *schema, const json_t *v, const char *path);

static void validate_object(const json_t *schema, const json_t *v, const char *path)
{
	json_t *props = json_object_get(schema, "properties");
	json_t *req = json_object_get(schema, "required");
	json_t *addl = json_object_get(schema, "additionalProperties");
	const char *key;
	json_t *val;
	size_t i;

	json_array_foreach(req, i, val) {
		if (json_is_string(val) && !json_object_get(v, json_string_value(val)))
			fail(path, "required property '%s' is missing", json_string_value(val));
	}
	json_object_foreach((json_t *)v, key, val) {
		char *sub = xasprintf("%s.%s", path, key);
		json_t *ps = props ? json_object_get(props, key) : NULL;

		if (ps)
			validate(ps, val, sub);
		else if (json_is_object(addl))
			validate(addl, val, sub);
		else if (json_is_false(addl) || (!loose && props && !addl))
			fail(sub, "property not declared by the schema");
		free(sub);
	}
}

static bool is_datetime(const char *s)
{
	time_t t;

	return !berth_parse_time(s, &t);
}

static void validate(const json_t *schema, const json_t *v, const char *path)
{
	json_t *ref, *type, *all, *en;
	const char *fmt;
	bool nullable;

	if (!json_is_object(schema))
		return;
	ref = json_object_get(schema, "$ref");
	if (json_is_string(ref)) {
		json_t *target = resolve(json_string_value(ref));

		if (!target) {
			fail(path, "unresolvable $ref %s", json_string_value(ref));
			return;
		}
		/* A nullable wrapper around a $ref allows null. */
		if (json_is_null(v) && (json_is_true(json_object_get(schema, "x-nullable")) ||
					json_is_true(json_object_get(schema, "nullable"))))
			return;
		validate(target, v, path);
		return;
	}
	all = json_object_get(schema, "allOf");
	if (json_is_array(all)) {
		size_t i;
		json_t *s;

		json_array_foreach(all, i, s)
			validate(s, v, path);
	}
	nullable = json_is_true(json_object_get(schema, "x-nullable")) ||
		   json_is_true(json_object_get(schema, "nullable"));
	if (json_is_null(v)) {
		if (!nullable && json_object_get(schema, "type"))
			fail(path, "null where the schema does not allow it");
		return;
	}
	if (json_is_true(json_object_get(schema, "x-kubernetes-int-or-string"))) {
		if (!json_is_integer(v) && !json_is_string(v))
			fail(path, "expected integer or string, got %s", type_of(v));
		return;
	}
	type = json_object_get(schema, "type");
	if (json_is_string(type) && !type_ok(json_string_value(type), v)) {
		fail(path, "expected %s, got %s", json_string_value(type), type_of(v));
		return;
	}
	en = json_object_get(schema, "enum");
	if (json_is_array(en)) {
		size_t i;
		json_t *e;
		bool found = false;

		json_array_foreach(en, i, e)
			if (json_equal(e, v))
				found = true;
		if (!found)
			fail(path, "value not in the schema's enum");
	}
	fmt = json_string_value(json_object_get(schema, "format"));
	if (fmt && json_is_string(v) && !strcmp(fmt, "date-time") && !is_datetime(json_string_value(v)))
		fail(path, "'%s' is not an RFC 3339 date-time", json_string_value(v));
	if (json_is_object(v) && (json_object_get(schema, "properties") ||
				  json_object_get(schema, "additionalProperties")))
		validate_object(schema, v, path);
	if (json_is_array(v)) {
		json_t *items = json_object_get(schema, "items");
		size_t i;
		json_t *item;

		if (items)
			json_array_foreach(v, i, item) {
				char *sub = xasprintf("%s[%zu]", path, i);

				validate(items, item, sub);
				free(sub);
			}
	}
}

static json_t *load_any(const char *path)
{
	struct berth_buf b = BERTH_BUF_INIT;
	struct berth_err err = BERTH_ERR_INIT;
	json_t *v = NULL;

	if (!strcmp(path, "-")) {
		char chunk[65536];
		size_t n;

		while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
			berth_buf_add(&b, chunk, n);
	} else if (berth_file_read(&b, path, 0, &err)) {
		fprintf(stderr, "schemacheck: %s\n", err.msg);
		return NULL;
	}
	v = json_loadb(b.buf, b.len, JSON_DECODE_ANY, NULL);
	if (!v)
		v = load_yaml(b.buf, b.len);
	berth_buf_release(&b);
	return v;
}

int main(int argc, char **argv)
{
	json_t *schema, *doc;
	char *ref;
	int i = 1;

	if (i < argc && !strcmp(argv[i], "--loose")) {
		loose = true;
		i++;
	}
	if (argc - i < 2 || argc - i > 3) {
		fprintf(stderr, "usage: schemacheck [--loose] SPEC NAME [DOC]\n");
		return 2;
	}
	spec = load_any(argv[i]);
	if (!spec) {
		fprintf(stderr, "schemacheck: cannot load spec %s\n", argv[i]);
		return 2;
	}
	ref = xasprintf(json_object_get(spec, "definitions") ? "#/definitions/%s"
							     : "#/components/schemas/%s", argv[i + 1]);
	schema = resolve(ref);
	if (!schema) {
		fprintf(stderr, "schemacheck: no schema %s in %s\n", ref, argv[i]);
		return 2;
	}
	doc = load_any(argc - i == 3 ? argv[i + 2] : "-");
	if (!doc) {
		fprintf(stderr, "schemacheck: document is not JSON\n");
		return 2;
	}
	validate(schema, doc, "");
	free(ref);
	json_decref(doc);
	json_decref(spec);
	return violations ? 1 : 0;
}
