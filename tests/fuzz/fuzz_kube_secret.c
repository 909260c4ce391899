/*
 * fuzz_kube_secret.c - a Kubernetes Secret object as the API returns it,
 * through the Secret decoder (berth_kube__decode_secret_json). Invariants:
 * 0 or BERTH_EPROTO with a message; everything decoded is freed.
 */
#include "compat.h"
#include "fuzz.h"
#include "err.h"
#include "kube.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_err err = BERTH_ERR_INIT;
	int ret = berth_kube__decode_secret_json((const char *)data, size, &err);

	BERTH_FUZZ_CHECK(ret == 0 || (ret == BERTH_EPROTO && err.code == ret && err.msg[0]), err.msg);
	return 0;
}
