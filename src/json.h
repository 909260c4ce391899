/*
 * json.h - helpers over jansson. berth_json_init() installs an allocator
 * that wipes every block on free, so secrets that pass through JSON
 * (request bodies, Vault responses, Harbor's create response) do not
 * linger in freed memory. No json_t escapes the module that decoded it.
 */
#ifndef BERTH_JSON_H
#define BERTH_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct berth_buf;
struct berth_err;

/* Install the wiping allocator. Call once, before any other jansson use. */
void berth_json_init(void);

/*
 * Parse text (len bytes) as JSON. *out is a new reference owned by the
 * caller. Returns 0 or BERTH_EPROTO with what and where in err ('what'
 * names the document, e.g. "harbor robot list response").
 */
int berth_json_parse(json_t **out, const char *text, size_t len, const char *what,
		     struct berth_err *err);

/* Append compact JSON (keys sorted) to out. Returns 0 or BERTH_ERROR. */
int berth_json_dump(struct berth_buf *out, const json_t *v, size_t flags);

/* Borrowed field getters; NULL / def when absent or of another type. */
const char *berth_json_str(const json_t *obj, const char *key);
int64_t berth_json_int(const json_t *obj, const char *key, int64_t def);
bool berth_json_bool(const json_t *obj, const char *key, bool def);
json_t *berth_json_obj(const json_t *obj, const char *key);
json_t *berth_json_arr(const json_t *obj, const char *key);

/* json_string() of a string that may be NULL (gives JSON null). New reference. */
json_t *berth_json_str_or_null(const char *s);

#endif
