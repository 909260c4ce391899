/*
 * fuzz_vault_read.c - the body of a Vault KV read through the store's
 * decoder (berth_vault__decode_read). The first byte picks KV v1 or v2 and
 * status 200 or 404; the rest is the body. Invariants: the results a store
 * read may give; an entry only with 0, and a deleted one only from a KV v2
 * 404; "the entry is corrupt" (BERTH_EPROTO, which lets the next write
 * replace it without check-and-set) only for a 200 whose body is Vault's
 * read envelope, never for a body that is not (BERTH_ESERVER).
 */
#include <jansson.h>

#include "compat.h"
#include "fuzz.h"
#include "err.h"
#include "store.h"
#include "vault.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_store_entry *e = NULL;
	struct berth_err err = BERTH_ERR_INIT;
	int kv, ret;
	long status;

	if (!size)
		return 0;
	kv = data[0] & 1 ? 2 : 1;
	status = data[0] & 2 ? 404 : 200;
	ret = berth_vault__decode_read(&e, kv, status, (const char *)data + 1, size - 1, &err);
	if (ret) {
		BERTH_FUZZ_CHECK(!e, NULL);
		BERTH_FUZZ_CHECK(err.code == ret && err.msg[0], err.msg);
		BERTH_FUZZ_CHECK(ret == BERTH_EPROTO || ret == BERTH_ESERVER ||
				 (status == 404 && (ret == BERTH_ENOTFOUND || ret == BERTH_ECONFIG)),
				 err.msg);
		if (ret == BERTH_EPROTO && status == 200) {
			json_t *root = json_loadb((const char *)data + 1, size - 1, JSON_ALLOW_NUL, NULL);
			json_t *d = json_object_get(root, "data");

			BERTH_FUZZ_CHECK(json_is_object(d) &&
					 (kv == 1 || (json_is_object(json_object_get(d, "data")) &&
						      json_is_object(json_object_get(d, "metadata")))),
					 err.msg);
			json_decref(root);
		}
		if (ret == BERTH_ESERVER)
			BERTH_FUZZ_CHECK(status == 200, err.msg);
	} else {
		BERTH_FUZZ_CHECK(e, NULL);
		BERTH_FUZZ_CHECK(e->state == BERTH_ENTRY_PRESENT || (kv == 2 && status == 404), NULL);
		BERTH_FUZZ_CHECK(status == 200 || e->state == BERTH_ENTRY_DELETED, NULL);
	}
	berth_store_entry_free(e);
	return 0;
}
