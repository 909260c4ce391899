/*
 * fuzz_yaml_json.c - berth_yaml_parse_json() (kubeconfig files) on
 * arbitrary text. Invariants: 0 with a JSON value, or BERTH_ECONFIG with
 * "kubeconfig:LINE:COLUMN: "; the JSON written back out is YAML that
 * parses to the same value - unless a key is longer than YAML allows an
 * implicit key to be (1024 characters of source text, quotes and escapes
 * included: YAML 1.2 section 7.4.2, which libyaml enforces).
 */
#include "compat.h"
#include "fuzz.h"
#include "buf.h"
#include "config.h"
#include "err.h"
#include "json.h"
#include "util.h"

/* Whether some object key of v, written as JSON, is over YAML's 1024. */
static bool has_long_key(json_t *v)
{
	const char *key;
	json_t *val;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, val)
			if (has_long_key(val))
				return true;
		return false;
	}
	json_object_foreach(v, key, val) {
		json_t *k = json_string(key);
		struct berth_buf text = BERTH_BUF_INIT;
		bool longer = !k || berth_json_dump(&text, k, JSON_COMPACT | JSON_ENCODE_ANY) ||
			      text.len > 1024;

		berth_buf_release(&text);
		json_decref(k);
		if (longer || has_long_key(val))
			return true;
	}
	return false;
}

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
	if (has_long_key(doc)) {
		json_decref(doc);
		return 0;
	}
	BERTH_FUZZ_CHECK(!berth_json_dump(&text, doc, JSON_COMPACT | JSON_ENCODE_ANY), NULL);
	ret = berth_yaml_parse_json(&again, "kubeconfig", text.buf, text.len, &err);
	BERTH_FUZZ_CHECK(ret == 0, err.msg);
	BERTH_FUZZ_CHECK(json_equal(doc, again), text.buf);
	json_decref(doc);
	json_decref(again);
	berth_buf_release(&text);
	return 0;
}
