/*
 * fuzz_http_redact.c - the redaction of HTTP traces (secret hygiene).
 * The first byte picks what the rest is:
 *   even: a body. Shown as JSON, no string value of it may exceed 50
 *         bytes plus "..." (a bare scalar and text that is not JSON are
 *         not shown at all). Then its JSON is rewritten so that every
 *         string value is a unique short canary, and redacted again: no
 *         value shown may be a canary that sat under a credential key (at
 *         any depth).
 *   odd:  a header line. For the credential headers the output is the
 *         name, ": ", then "<redacted>", with nothing between but the
 *         first word of an Authorization value (its auth scheme).
 * The key and header lists are the ones http.h documents.
 */
#include "compat.h"
#include "fuzz.h"
#include "buf.h"
#include "http.h"
#include "json.h"

#include <strings.h>

static bool credential_key(const char *key)
{
	static const char *const exact[] = {
		"accessor", "secret_id", "role_id", "auth", "jwt", "data", "stringData",
		".dockerconfigjson", "identitytoken", "registrytoken",
	};
	static const char *const parts[] = { "password", "secret", "token" };

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(exact); i++)
		if (!strcasecmp(key, exact[i]))
			return true;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(parts); i++)
		if (strcasestr(key, parts[i]))
			return true;
	return false;
}

/* Replace every string value by "~N~"; record in forbidden those under a credential key. */
static json_t *canaries(json_t *v, bool hidden, unsigned *n, struct berth_buf *forbidden)
{
	const char *key;
	json_t *val, *copy;
	size_t i;

	if (json_is_string(v)) {
		char c[32];

		snprintf(c, sizeof(c), "~%u~", (*n)++);
		if (hidden) {
			berth_buf_addstr(forbidden, c);
			berth_buf_addch(forbidden, '\n');
		}
		return json_string(c);
	}
	if (json_is_object(v)) {
		copy = json_object();
		json_object_foreach(v, key, val)
			json_object_set_new(copy, key,
					    canaries(val, hidden || (credential_key(key) && !json_is_null(val)), n,
						     forbidden));
		return copy;
	}
	if (json_is_array(v)) {
		copy = json_array();
		json_array_foreach(v, i, val)
			json_array_append_new(copy, canaries(val, hidden, n, forbidden));
		return copy;
	}
	return json_incref(v);
}

static void check_lengths(const json_t *v)
{
	const char *key;
	json_t *val;
	size_t i;

	if (json_is_string(v))
		BERTH_FUZZ_CHECK(json_string_length(v) <= 53, "a string longer than 50 bytes was shown");
	else if (json_is_object(v))
		json_object_foreach((json_t *)v, key, val)
			check_lengths(val);
	else if (json_is_array(v))
		json_array_foreach(v, i, val)
			check_lengths(val);
}

/* No string value of v (keys aside: they are shown) is a line of forbidden. */
static void check_hidden(const json_t *v, const char *forbidden)
{
	const char *key;
	json_t *val;
	size_t i;

	if (json_is_string(v)) {
		const char *s = json_string_value(v), *hit = strstr(forbidden, s);
		size_t n = strlen(s);

		while (hit && !((hit == forbidden || hit[-1] == '\n') && hit[n] == '\n'))
			hit = strstr(hit + 1, s);
		BERTH_FUZZ_CHECK(!hit || !n, s);
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, val)
			check_hidden(val, forbidden);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, val)
			check_hidden(val, forbidden);
	}
}

static void body(const char *text, size_t len)
{
	struct berth_buf in = BERTH_BUF_INIT, out = BERTH_BUF_INIT, forbidden = BERTH_BUF_INIT;
	json_t *root = json_loadb(text, len, JSON_DECODE_ANY, NULL), *marked = NULL, *shown = NULL;
	unsigned n = 0;

	/* The text as it is: whatever is shown, no long string. */
	berth_http_redact_body(&out, text, len);
	if (root && !json_is_object(root) && !json_is_array(root)) {
		/* A bare scalar is not shown at all. */
		BERTH_FUZZ_CHECK(berth_buf_eq(&out, "<unprintable>"), out.buf);
	} else if (root) {
		BERTH_FUZZ_CHECK(!berth_json_parse(&shown, out.buf, out.len, "redacted", NULL), out.buf);
		check_lengths(shown);
		json_decref(shown);
	} else {
		BERTH_FUZZ_CHECK(!memchr(out.buf, '"', out.len), "a body that is not JSON was shown");
	}
	berth_buf_reset(&out);
	if (!root)
		goto out;
	/* With canaries: none under a credential key is shown. */
	marked = canaries(root, false, &n, &forbidden);
	BERTH_FUZZ_CHECK(!berth_json_dump(&in, marked, JSON_COMPACT | JSON_ENCODE_ANY), NULL);
	berth_http_redact_body(&out, in.buf, in.len);
	if (json_is_object(marked) || json_is_array(marked)) {
		BERTH_FUZZ_CHECK(!berth_json_parse(&shown, out.buf, out.len, "redacted", NULL), out.buf);
		check_hidden(shown, forbidden.buf);
		json_decref(shown);
	}
out:
	json_decref(root);
	json_decref(marked);
	berth_buf_release(&in);
	berth_buf_release(&out);
	berth_buf_release(&forbidden);
}

static void header(const char *line, size_t len)
{
	static const char *const names[] = {
		"authorization", "proxy-authorization", "x-vault-token", "cookie", "set-cookie",
		"x-harbor-csrf-token",
	};
	struct berth_buf out = BERTH_BUF_INIT;
	const char *colon = memchr(line, ':', len), *v, *end = line + len, *sp;
	bool secret = false, auth;
	size_t nlen, kept;

	berth_http_redact_header(&out, line, len);
	while (end > line && (end[-1] == '\r' || end[-1] == '\n'))
		end--;
	if (!colon || colon >= end)
		goto out;
	nlen = (size_t)(colon - line);
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(names); i++)
		secret |= nlen == strlen(names[i]) && !strncasecmp(line, names[i], nlen);
	if (!secret)
		goto out;
	BERTH_FUZZ_CHECK(out.len >= nlen + 12 && !memcmp(out.buf, line, nlen) &&
			 !memcmp(out.buf + nlen, ": ", 2) &&
			 !strcmp(out.buf + out.len - 10, "<redacted>"), out.buf);
	/* Between ": " and "<redacted>" only the auth scheme and its space, and only for the auth headers. */
	kept = out.len - nlen - 12;
	if (!kept)
		goto out;
	auth = !strncasecmp(line, "authorization", nlen) || !strncasecmp(line, "proxy-authorization", nlen);
	v = colon + 1;
	while (v < end && *v == ' ')
		v++;
	sp = memchr(v, ' ', (size_t)(end - v));
	BERTH_FUZZ_CHECK(auth && sp && kept == (size_t)(sp - v) + 1 && !memcmp(out.buf + nlen + 2, v, kept),
			 "more than the auth scheme was shown");
out:
	berth_buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] & 1)
		header((const char *)data + 1, size - 1);
	else
		body((const char *)data + 1, size - 1);
	return 0;
}
