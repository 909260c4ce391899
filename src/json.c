/* json.c - jansson helpers and the wiping allocator. */
#include "compat.h"
#include "json.h"
#include "buf.h"
#include "err.h"
#include "xalloc.h"

/*
 * Each block carries its size in a 16-byte prefix (keeps malloc's
 * alignment) so that free can wipe it.
 */
#define PREFIX 16

static void *wipe_malloc(size_t n)
{
	unsigned char *p;

	if (n > SIZE_MAX - PREFIX)
		return NULL;
	p = malloc(n + PREFIX);

	if (!p)
		return NULL;
	memcpy(p, &n, sizeof(n));
	return p + PREFIX;
}

static void wipe_free(void *ptr)
{
	unsigned char *p;
	size_t n;

	if (!ptr)
		return;
	p = (unsigned char *)ptr - PREFIX;
	memcpy(&n, p, sizeof(n));
	explicit_bzero(ptr, n);
	free(p);
}

void berth_json_init(void)
{
	json_malloc_t m;
	json_free_t f;

	json_get_alloc_funcs(&m, &f);
	if (m != wipe_malloc)
		json_set_alloc_funcs(wipe_malloc, wipe_free);
}

int berth_json_parse(json_t **out, const char *text, size_t len, const char *what,
		     struct berth_err *err)
{
	json_error_t jerr;

	char *near;

	*out = json_loadb(text, len, JSON_DECODE_ANY, &jerr);
	if (*out)
		return 0;
	/*
	 * jansson quotes the input around the error ("premature end of input
	 * near '\"s3cr'"): a piece of a secret-bearing document must not reach
	 * an error message. Keep the reason, the line and the column.
	 */
	near = strstr(jerr.text, " near '");
	if (near)
		*near = '\0';
	return berth_err_set(err, BERTH_EPROTO, "%s is not valid JSON: %s at line %d column %d",
			     what, jerr.text, jerr.line, jerr.column);
}

int berth_json_dump(struct berth_buf *out, const json_t *v, size_t flags)
{
	json_malloc_t m;
	json_free_t f;
	char *s = json_dumps(v, flags ? flags : (JSON_COMPACT | JSON_SORT_KEYS));

	if (!s)
		return BERTH_ERROR;
	berth_buf_addstr(out, s);
	explicit_bzero(s, strlen(s));
	json_get_alloc_funcs(&m, &f);
	f(s);
	return 0;
}

const char *berth_json_str(const json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

int64_t berth_json_int(const json_t *obj, const char *key, int64_t def)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : def;
}

bool berth_json_bool(const json_t *obj, const char *key, bool def)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	return json_is_boolean(v) ? json_is_true(v) : def;
}

json_t *berth_json_obj(const json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	return json_is_object(v) ? v : NULL;
}

json_t *berth_json_arr(const json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	return json_is_array(v) ? v : NULL;
}

json_t *berth_json_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}
