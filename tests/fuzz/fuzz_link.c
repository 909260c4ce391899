/*
 * fuzz_link.c - berth_httphdr_link_next() on arbitrary bytes (exact size,
 * no NUL). Invariants: 0 or BERTH_EPROTO; a next URL is non-empty, free of
 * control characters and '>', appears in the header, and comes back
 * unchanged from a header made of just that link.
 */
#include "compat.h"
#include "fuzz.h"
#include "buf.h"
#include "err.h"
#include "httphdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_buf h = BERTH_BUF_INIT;
	char *url = NULL, *again = NULL;
	int ret;

	ret = berth_httphdr_link_next(&url, (const char *)data, size, &err);
	if (ret) {
		BERTH_FUZZ_CHECK(ret == BERTH_EPROTO && err.code == ret && err.msg[0], err.msg);
		BERTH_FUZZ_CHECK(!url, NULL);
		return 0;
	}
	if (!url)
		return 0;
	BERTH_FUZZ_CHECK(*url, NULL);
	for (const char *p = url; *p; p++)
		BERTH_FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f && *p != '>', url);
	BERTH_FUZZ_CHECK(memmem(data, size, url, strlen(url)), url);
	berth_buf_addf(&h, "<%s>; rel=\"next\"", url);
	ret = berth_httphdr_link_next(&again, h.buf, h.len, &err);
	BERTH_FUZZ_CHECK(ret == 0 && again && !strcmp(again, url), err.msg);
	free(again);
	free(url);
	berth_buf_release(&h);
	return 0;
}
