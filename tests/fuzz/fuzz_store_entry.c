/*
 * fuzz_store_entry.c - a store entry's JSON map (file and Kubernetes
 * backends) through berth_store__decode(). Invariants: 0 or BERTH_EPROTO;
 * what decodes encodes and decodes again to the same entry (a read-modify-
 * write must not lose or change a field); a copy equals the original.
 */
#include "compat.h"
#include "fuzz.h"
#include "err.h"
#include "json.h"
#include "secret.h"
#include "store.h"

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void check_same(const struct berth_store_entry *a, const struct berth_store_entry *b)
{
	BERTH_FUZZ_CHECK(str_eq(a->name, b->name), "name");
	BERTH_FUZZ_CHECK(str_eq(a->registry, b->registry), "registry");
	BERTH_FUZZ_CHECK(str_eq(a->owner, b->owner), "owner");
	BERTH_FUZZ_CHECK(str_eq(a->slot, b->slot), "slot");
	BERTH_FUZZ_CHECK(berth_secret_equal(a->secret, b->secret), "secret");
	BERTH_FUZZ_CHECK(berth_secret_equal(a->pending, b->pending), "pending secret");
	BERTH_FUZZ_CHECK(a->robot_id == b->robot_id, "robot id");
	BERTH_FUZZ_CHECK(a->rotated_at == b->rotated_at, "rotation time");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_store_entry *e = berth_store_entry_new(), *again = NULL, *copy = NULL;
	struct berth_err err = BERTH_ERR_INIT;
	json_t *root = NULL, *enc = NULL;
	int ret;

	if (berth_json_parse(&root, (const char *)data, size, "entry", NULL))
		goto out;
	ret = berth_store__decode(root, e, "entry", &err);
	if (ret) {
		BERTH_FUZZ_CHECK(ret == BERTH_EPROTO && err.code == ret && err.msg[0], err.msg);
		goto out;
	}
	enc = json_object();
	berth_store__encode(e, enc);
	again = berth_store_entry_new();
	ret = berth_store__decode(enc, again, "entry", &err);
	BERTH_FUZZ_CHECK(ret == 0, err.msg);
	check_same(e, again);
	copy = berth_store_entry_dup(e);
	check_same(e, copy);
out:
	berth_store_entry_free(e);
	berth_store_entry_free(again);
	berth_store_entry_free(copy);
	json_decref(root);
	json_decref(enc);
	return 0;
}
