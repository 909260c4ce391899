/*
 * sim_kube_status.c - the simulated Kubernetes API's error shapes: Status
 * bodies as apimachinery's api/errors builds them, field errors with
 * ErrorBody() text, and the name/label rules of util/validation with their
 * exact messages.
 *
 * Reference shapes (apimachinery pkg/api/errors/errors.go):
 *   NotFound/AlreadyExists/Conflict/Forbidden: details.kind = plural resource
 *   Invalid: details.kind = Kind, causes[].reason = field error type
 *   generic (404 unknown path, 405, 415, 422 patch): "details":{}
 */
#include "compat.h"
#include "sim_kube.h"
#include "sim.h"
#include "buf.h"
#include "xalloc.h"

/* ---- Status --------------------------------------------------------------- */

static json_t *status_body(int code, const char *reason, json_t *details, const char *message)
{
	json_t *st = json_object();

	json_object_set_new(st, "kind", json_string("Status"));
	json_object_set_new(st, "apiVersion", json_string("v1"));
	json_object_set_new(st, "metadata", json_object());
	json_object_set_new(st, "status", json_string("Failure"));
	json_object_set_new(st, "message", json_string(message));
	if (reason && *reason)
		json_object_set_new(st, "reason", json_string(reason));
	if (details)
		json_object_set_new(st, "details", details);
	json_object_set_new(st, "code", json_integer(code));
	return st;
}

void sim_kube_status(struct sim_resp *resp, int code, const char *reason, json_t *details,
		     const char *fmt, ...)
{
	struct berth_buf msg = BERTH_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	berth_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	sim_resp_json(resp, code, status_body(code, reason, details, msg.buf));
	berth_buf_release(&msg);
}

char *sim_kube_qualified_resource(const struct sim_kube_res *res)
{
	if (!*res->group)
		return xstrdup(res->plural);
	return xasprintf("%s.%s", res->plural, res->group);
}

char *sim_kube_api_version(const struct sim_kube_res *res)
{
	if (!*res->group)
		return xstrdup(res->version);
	return xasprintf("%s/%s", res->group, res->version);
}

json_t *sim_kube_details(const struct sim_kube_res *res, const char *name)
{
	json_t *d = json_object();

	if (name && *name)
		json_object_set_new(d, "name", json_string(name));
	if (*res->group)
		json_object_set_new(d, "group", json_string(res->group));
	json_object_set_new(d, "kind", json_string(res->plural));
	return d;
}

void sim_kube_not_found(struct sim_resp *resp, const struct sim_kube_res *res, const char *name)
{
	char *qr = sim_kube_qualified_resource(res);
	char *q = sim_kube_goquote(name);

	sim_kube_status(resp, 404, "NotFound", sim_kube_details(res, name), "%s %s not found", qr, q);
	free(q);
	free(qr);
}

void sim_kube_already_exists(struct sim_resp *resp, const struct sim_kube_res *res,
			     const char *name)
{
	char *qr = sim_kube_qualified_resource(res);
	char *q = sim_kube_goquote(name);

	sim_kube_status(resp, 409, "AlreadyExists", sim_kube_details(res, name),
			"%s %s already exists", qr, q);
	free(q);
	free(qr);
}

void sim_kube_conflict(struct sim_resp *resp, const struct sim_kube_res *res, const char *name,
		       const char *why)
{
	char *qr = sim_kube_qualified_resource(res);
	char *q = sim_kube_goquote(name);

	sim_kube_status(resp, 409, "Conflict", sim_kube_details(res, name),
			"Operation cannot be fulfilled on %s %s: %s", qr, q, why);
	free(q);
	free(qr);
}

void sim_kube_invalid(struct sim_resp *resp, const char *group, const char *kind, const char *name,
		      const struct sim_kube_errs *errs)
{
	struct berth_buf msg = BERTH_BUF_INIT, agg = BERTH_BUF_INIT;
	json_t *details = json_object(), *causes = json_array(), *seen = json_object();
	char *q = sim_kube_goquote(name);
	size_t shown = 0;

	for (size_t i = 0; i < errs->n; i++) {
		json_array_append_new(causes, json_pack("{s:s, s:s, s:s}", "reason", errs->v[i].cause,
							"message", errs->v[i].body, "field",
							errs->v[i].field));
	}
	/* utilerrors.NewAggregate: one error as is, several as "[a, b]", duplicates dropped */
	for (size_t i = 0; i < errs->n; i++) {
		char *one = xasprintf("%s: %s", errs->v[i].field, errs->v[i].body);

		if (!json_object_get(seen, one)) {
			json_object_set_new(seen, one, json_true());
			berth_buf_addf(&agg, "%s%s", shown ? ", " : "", one);
			shown++;
		}
		free(one);
	}
	if (name && *name)
		json_object_set_new(details, "name", json_string(name));
	if (group && *group)
		json_object_set_new(details, "group", json_string(group));
	json_object_set_new(details, "kind", json_string(kind));
	json_object_set_new(details, "causes", causes);
	if (group && *group)
		berth_buf_addf(&msg, "%s.%s %s is invalid", kind, group, q);
	else
		berth_buf_addf(&msg, "%s %s is invalid", kind, q);
	if (shown == 1)
		berth_buf_addf(&msg, ": %s", agg.buf);
	else if (shown > 1)
		berth_buf_addf(&msg, ": [%s]", agg.buf);
	sim_resp_json(resp, 422, status_body(422, "Invalid", details, msg.buf));
	json_decref(seen);
	berth_buf_release(&agg);
	berth_buf_release(&msg);
	free(q);
}

void sim_kube_bad_request(struct sim_resp *resp, const char *fmt, ...)
{
	struct berth_buf msg = BERTH_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	berth_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	sim_resp_json(resp, 400, status_body(400, "BadRequest", NULL, msg.buf));
	berth_buf_release(&msg);
}

void sim_kube_generic(struct sim_resp *resp, int code, const char *message)
{
	const char *reason = "";

	switch (code) {
	case 404:
		reason = "NotFound";
		break;
	case 405:
		reason = "MethodNotAllowed";
		break;
	case 406:
		reason = "NotAcceptable";
		break;
	case 413:
		reason = "RequestEntityTooLarge";
		break;
	case 415:
		reason = "UnsupportedMediaType";
		break;
	case 422:
		reason = "Invalid";
		break;
	default:
		break;
	}
	sim_resp_json(resp, code, status_body(code, reason, json_object(), message));
}

/* ---- field errors ------------------------------------------------------------ */

char *sim_kube_goquote(const char *s)
{
	struct berth_buf b = BERTH_BUF_INIT;

	berth_buf_addch(&b, '"');
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '"':
			berth_buf_addstr(&b, "\\\"");
			break;
		case '\\':
			berth_buf_addstr(&b, "\\\\");
			break;
		case '\n':
			berth_buf_addstr(&b, "\\n");
			break;
		case '\t':
			berth_buf_addstr(&b, "\\t");
			break;
		case '\r':
			berth_buf_addstr(&b, "\\r");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				berth_buf_addf(&b, "\\x%02x", *p);
			else
				berth_buf_addch(&b, (char)*p);
		}
	}
	berth_buf_addch(&b, '"');
	return berth_buf_detach(&b, NULL);
}

static void add_err(struct sim_kube_errs *e, const char *cause, const char *field, char *body)
{
	BERTH_ALLOC_GROW(e->v, e->n + 1, e->alloc);
	e->v[e->n].cause = xstrdup(cause);
	e->v[e->n].field = xstrdup(field);
	e->v[e->n].body = body;
	e->n++;
}

static char *with_detail(const char *head, const char *detail)
{
	if (detail && *detail)
		return xasprintf("%s: %s", head, detail);
	return xstrdup(head);
}

void sim_kube_err_required(struct sim_kube_errs *e, const char *field, const char *detail)
{
	add_err(e, "FieldValueRequired", field, with_detail("Required value", detail));
}

void sim_kube_err_invalid_raw(struct sim_kube_errs *e, const char *field, const char *repr,
			      const char *detail)
{
	char *head = xasprintf("Invalid value: %s", repr);

	add_err(e, "FieldValueInvalid", field, with_detail(head, detail));
	free(head);
}

void sim_kube_err_invalid(struct sim_kube_errs *e, const char *field, const char *value,
			  const char *detail)
{
	char *q = sim_kube_goquote(value);

	sim_kube_err_invalid_raw(e, field, q, detail);
	free(q);
}

void sim_kube_err_forbidden(struct sim_kube_errs *e, const char *field, const char *detail)
{
	add_err(e, "FieldValueForbidden", field, with_detail("Forbidden", detail));
}

void sim_kube_err_toolong(struct sim_kube_errs *e, const char *field, long max)
{
	add_err(e, "FieldValueTooLong", field,
		xasprintf("Too long: must have at most %ld bytes", max));
}

void sim_kube_err_notsupported(struct sim_kube_errs *e, const char *field, const char *value,
			       const char *const *valid)
{
	struct berth_buf b = BERTH_BUF_INIT;
	char *q = sim_kube_goquote(value);

	berth_buf_addf(&b, "Unsupported value: %s", q);
	free(q);
	for (size_t i = 0; valid && valid[i]; i++) {
		char *v = sim_kube_goquote(valid[i]);

		berth_buf_addf(&b, "%s%s", i ? ", " : ": supported values: ", v);
		free(v);
	}
	add_err(e, "FieldValueNotSupported", field, berth_buf_detach(&b, NULL));
}

void sim_kube_errs_release(struct sim_kube_errs *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->v[i].cause);
		free(e->v[i].field);
		free(e->v[i].body);
	}
	free(e->v);
	memset(e, 0, sizeof(*e));
}

/* ---- util/validation ------------------------------------------------------------ */

static bool is_alnum_lower(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_alnum_lower(c) || (c >= 'A' && c <= 'Z');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? over s[0..n) */
static bool match_dns_label(const char *s, size_t n)
{
	if (!n || !is_alnum_lower(s[0]) || !is_alnum_lower(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum_lower(s[i]) && s[i] != '-')
			return false;
	return true;
}

static bool match_dns_subdomain(const char *s)
{
	const char *p = s;

	for (;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		if (!match_dns_label(p, n))
			return false;
		if (!dot)
			return true;
		p = dot + 1;
	}
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] */
static bool match_qualified_name_part(const char *s, size_t n)
{
	if (!n || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

#define DNS1123_LABEL_FMT "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
#define DNS1123_SUBDOMAIN_FMT DNS1123_LABEL_FMT "(\\." DNS1123_LABEL_FMT ")*"
#define QUALIFIED_NAME_FMT "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
#define SUBDOMAIN_MSG                                                                            \
	"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' " \
	"or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "      \
	"regex used for validation is '" DNS1123_SUBDOMAIN_FMT "')"
#define LABEL_MSG                                                                                \
	"a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', " \
	"and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "  \
	"regex used for validation is '" DNS1123_LABEL_FMT "')"
#define QUALIFIED_NAME_MSG                                                                     \
	"must consist of alphanumeric characters, '-', '_' or '.', and must start and end with " \
	"an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for " \
	"validation is '" QUALIFIED_NAME_FMT "')"

static void push(json_t *msgs, const char *m)
{
	if (msgs)
		json_array_append_new(msgs, json_string(m));
}

static void push_prefixed(json_t *msgs, const char *prefix, const char *m)
{
	if (msgs)
		json_array_append_new(msgs, json_sprintf("%s%s", prefix, m));
}

bool sim_kube_check_subdomain(const char *s, json_t *msgs)
{
	bool ok = true;

	if (strlen(s) > 253) {
		push(msgs, "must be no more than 253 characters");
		ok = false;
	}
	if (!match_dns_subdomain(s)) {
		push(msgs, SUBDOMAIN_MSG);
		ok = false;
	}
	return ok;
}

bool sim_kube_check_label(const char *s, json_t *msgs)
{
	bool ok = true;

	if (strlen(s) > 63) {
		push(msgs, "must be no more than 63 characters");
		ok = false;
	}
	if (!match_dns_label(s, strlen(s))) {
		push(msgs, LABEL_MSG);
		ok = false;
	}
	return ok;
}

bool sim_kube_check_qualified_name(const char *s, json_t *msgs)
{
	const char *slash = strchr(s, '/');
	const char *name = s;
	bool ok = true;

	if (slash && strchr(slash + 1, '/')) {
		push(msgs, "a qualified name " QUALIFIED_NAME_MSG
			   " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
		return false;
	}
	if (slash) {
		char *prefix = xstrndup(s, (size_t)(slash - s));

		name = slash + 1;
		if (!*prefix) {
			push(msgs, "prefix part must be non-empty");
			ok = false;
		} else {
			json_t *sub = json_array();
			size_t i;
			json_t *m;

			if (!sim_kube_check_subdomain(prefix, sub))
				ok = false;
			json_array_foreach(sub, i, m)
				push_prefixed(msgs, "prefix part ", json_string_value(m));
			json_decref(sub);
		}
		free(prefix);
	}
	if (!*name) {
		push(msgs, "name part must be non-empty");
		ok = false;
	} else if (strlen(name) > 63) {
		push(msgs, "name part must be no more than 63 characters");
		ok = false;
	}
	if (!match_qualified_name_part(name, strlen(name))) {
		push(msgs, "name part " QUALIFIED_NAME_MSG);
		ok = false;
	}
	return ok;
}

bool sim_kube_check_label_value(const char *s, json_t *msgs)
{
	bool ok = true;

	if (strlen(s) > 63) {
		push(msgs, "must be no more than 63 characters");
		ok = false;
	}
	if (*s && !match_qualified_name_part(s, strlen(s))) {
		push(msgs, "a valid label must be an empty string or consist of alphanumeric "
			   "characters, '-', '_' or '.', and must start and end with an alphanumeric "
			   "character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
			   "validation is '(" QUALIFIED_NAME_FMT ")?')");
		ok = false;
	}
	return ok;
}

bool sim_kube_check_config_key(const char *s, json_t *msgs)
{
	bool ok = true, chars = *s != '\0';

	if (strlen(s) > 253) {
		push(msgs, "must be no more than 253 characters");
		ok = false;
	}
	for (const char *p = s; *p; p++)
		if (!is_alnum(*p) && *p != '-' && *p != '_' && *p != '.')
			chars = false;
	if (!chars) {
		push(msgs, "a valid config key must consist of alphanumeric characters, '-', '_' or "
			   "'.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for "
			   "validation is '[-._a-zA-Z0-9]+')");
		ok = false;
	}
	if (ok) {
		if (!strcmp(s, ".")) {
			push(msgs, "must not be '.'");
			ok = false;
		} else if (!strcmp(s, "..")) {
			push(msgs, "must not be '..'");
			ok = false;
		} else if (!strncmp(s, "..", 2)) {
			push(msgs, "must not start with '..'");
			ok = false;
		}
	}
	return ok;
}
