/*
 * http_fake.h - a berth_http_do() for fuzzing the API clients without a
 * network: each request gets the next response of a script, in order, and
 * when the script is spent, BERTH_ENET. The rest of the HTTP layer (error
 * messages, options, redaction) is http.c's own, linked with its
 * berth_http_do renamed away (tests/fuzz/meson.build).
 */
#ifndef BERTH_HTTP_FAKE_H
#define BERTH_HTTP_FAKE_H

#include <stddef.h>
#include <stdint.h>

struct berth_fake_resp {
	long status;
	int64_t total_count;           /* X-Total-Count; -1 absent */
	long retry_after_s;            /* -1 absent */
	const char *link;              /* NULL absent */
	const char *www_authenticate;
	const char *body;
	size_t len;
};

/* Answer the next requests with v[0..n) (borrowed until the next call); resets the request count. */
void berth_fake_http_script(const struct berth_fake_resp *v, size_t n);
/* Requests seen since the script was set (also those answered with BERTH_ENET). */
size_t berth_fake_http_requests(void);

#endif
