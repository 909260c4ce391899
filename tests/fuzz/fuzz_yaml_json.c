/*
 * fuzz_yaml_json.c - berth_yaml_parse_json() (kubeconfig files) on
 * arbitrary text. Invariants: 0 with a JSON value, or BERTH_ECONFIG with
 * "kubeconfig:LINE:COLUMN: "; the JSON written back out is YAML that
 * parses to the same value.
 */
#include "compat.h"
#include "fuzz.h"
#include "buf.h"
#include "config.h"
#include "err.h"
#include "json.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_buf text = BERTH_BUF_INIT;
	json_t *doc = NULL, *again = NULL;
	int ret;

	ret = berth_yaml_parse_json(&doc, "kubeconfig", (const char *)data, size, &err);
	if (ret) {
		BERTH_FUZZ_CHECK(!doc, NULL);
		BERTH_FUZZ_CHECK(ret == BERTH_ECONFIG && err.code == ret, err.msg);
		BERTH_FUZZ_CHECK(berth_starts_with(err.msg, "kubeconfig:"), err.msg);
		return 0;
	}
	BERTH_FUZZ_CHECK(doc, NULL);
	BERTH_FUZZ_CHECK(!berth_json_dump(&text, doc, JSON_COMPACT | JSON_ENCODE_ANY), NULL);
	ret = berth_yaml_parse_json(&again, "kubeconfig", text.buf, text.len, &err);
	BERTH_FUZZ_CHECK(ret == 0, err.msg);
	BERTH_FUZZ_CHECK(json_equal(doc, again), text.buf);
	json_decref(doc);
	json_decref(again);
	berth_buf_release(&text);
	return 0;
}
