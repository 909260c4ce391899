/*
 * fuzz_jwt.c - berth_harbor__decode_jwt() on the input as a token, and on
 * a token whose claims segment is the input (base64url), so that the
 * fuzzer reaches the claims reader directly. Invariants: 0 or
 * BERTH_EPROTO; a grant is anonymous exactly when it has no subject; every
 * access entry has a type and a name and is found again by name.
 */
#include "compat.h"
#include "fuzz.h"
#include "buf.h"
#include "codec.h"
#include "err.h"
#include "harbor.h"

static void decode(const char *jwt)
{
	struct berth_token_grant g;
	struct berth_err err = BERTH_ERR_INIT;
	int ret = berth_harbor__decode_jwt(jwt, &g, &err);

	if (ret) {
		BERTH_FUZZ_CHECK(ret == BERTH_EPROTO && err.code == ret && err.msg[0], err.msg);
	} else {
		BERTH_FUZZ_CHECK(g.anonymous == (!g.subject || !*g.subject), NULL);
		for (size_t i = 0; i < g.naccess; i++) {
			const struct berth_token_access *a;

			BERTH_FUZZ_CHECK(g.access[i].type && g.access[i].name, NULL);
			a = berth_token_grant_find(&g, g.access[i].name);
			BERTH_FUZZ_CHECK(a && !strcmp(a->name, g.access[i].name), NULL);
		}
	}
	berth_token_grant_release(&g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_buf jwt = BERTH_BUF_INIT;
	char *s = berth_fuzz_str(data, size);

	decode(s);
	berth_buf_addstr(&jwt, "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.");
	berth_base64url_encode(&jwt, data, size);
	berth_buf_addstr(&jwt, ".c2ln");
	decode(jwt.buf);
	berth_buf_release(&jwt);
	free(s);
	return 0;
}
