/*
 * fuzz_http_error.c - berth_http_server_message(): the message taken from
 * an error body of Harbor, the registry, Vault or Kubernetes (or plain
 * text) for berth's error messages. Invariants: what is appended is one
 * line without control characters or trailing spaces, never longer than
 * the body's text plus the separators added between messages, and the
 * buffer's earlier contents are kept.
 */
#include "compat.h"
#include "fuzz.h"
#include "buf.h"
#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_buf out = BERTH_BUF_INIT;
	size_t start;

	berth_buf_addstr(&out, "prefix: ");
	start = out.len;
	berth_http_server_message(&out, (const char *)data, size);
	BERTH_FUZZ_CHECK(out.len >= start && !memcmp(out.buf, "prefix: ", start), "earlier text changed");
	for (size_t i = start; i < out.len; i++)
		BERTH_FUZZ_CHECK((unsigned char)out.buf[i] >= 0x20, "control character in the message");
	BERTH_FUZZ_CHECK(out.len == start || out.buf[out.len - 1] != ' ', "trailing space");
	/* Messages come from the body; "; " and ": " join them (at most one per body byte). */
	BERTH_FUZZ_CHECK(out.len - start <= 3 * size, "message longer than the body allows");
	berth_buf_release(&out);
	return 0;
}
