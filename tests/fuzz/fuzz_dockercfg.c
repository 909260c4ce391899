/*
 * fuzz_dockercfg.c - docker config.json merge, lookup and render.
 * Input: "REGISTRY\nUSER\nSECRET\nEXISTING-CONFIG". Invariants:
 *   - lookup on any text gives 0 (with a non-empty user), BERTH_ENOTFOUND
 *     or BERTH_EPROTO;
 *   - render and merge refuse the same credentials (BERTH_EINVALID);
 *   - otherwise merge gives 0 or BERTH_EPROTO (0 whenever the existing
 *     text is empty); after 0, lookup finds the same user and secret for
 *     the registry, merging the same credential again gives the same bytes
 *     (a second apply writes nothing), and every other key and registry of
 *     the existing text is kept;
 *   - whatever render produced, lookup finds again.
 */
#include "compat.h"
#include "fuzz.h"
#include "buf.h"
#include "err.h"
#include "json.h"
#include "secret.h"
#include "target.h"

/* Look registry up in text and check it holds user and secret. */
static void check_found(const char *text, size_t len, const char *registry, const char *user,
			const struct berth_secret *secret)
{
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_secret *got = NULL;
	char *got_user = NULL;
	int ret = berth_dockercfg_lookup(text, len, registry, &got_user, &got, &err);

	BERTH_FUZZ_CHECK(ret == 0, err.msg);
	BERTH_FUZZ_CHECK(!strcmp(got_user, user), "user differs");
	BERTH_FUZZ_CHECK(berth_secret_equal(got, secret), "secret differs");
	free(got_user);
	berth_secret_free(got);
}

/* Everything but auths[registry] of the existing text survives the merge. */
static void check_kept(const char *existing, size_t len, const char *merged, size_t mlen,
		       const char *registry)
{
	json_t *before = NULL, *after = NULL, *auths;

	if (berth_json_parse(&before, existing, len, "existing", NULL))
		before = json_object();
	BERTH_FUZZ_CHECK(!berth_json_parse(&after, merged, mlen, "merged", NULL), "merge output is not JSON");
	auths = json_object_get(before, "auths");
	if (auths)
		json_object_del(auths, registry);
	auths = json_object_get(after, "auths");
	BERTH_FUZZ_CHECK(json_is_object(auths), "merge output has no auths object");
	json_object_del(auths, registry);
	if (!json_object_get(before, "auths") && !json_object_size(auths))
		json_object_del(after, "auths");
	BERTH_FUZZ_CHECK(json_equal(before, after), "merge changed another key");
	json_decref(before);
	json_decref(after);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_buf out = BERTH_BUF_INIT, again = BERTH_BUF_INIT, rendered = BERTH_BUF_INIT;
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_secret *secret, *got = NULL;
	char *f[4], *all, *got_user = NULL;
	size_t lens[4];
	int ret, valid;

	all = berth_fuzz_fields(data, size, 4, f, lens);
	secret = berth_secret_new(f[2], lens[2]);

	/* Lookup alone, on whatever the existing text is. */
	ret = berth_dockercfg_lookup(f[3], lens[3], f[0], &got_user, &got, &err);
	BERTH_FUZZ_CHECK(ret == 0 || ret == BERTH_ENOTFOUND || ret == BERTH_EPROTO, err.msg);
	BERTH_FUZZ_CHECK(ret || (got_user && *got_user && got), "lookup gave no user or secret");
	BERTH_FUZZ_CHECK(!ret || (!got_user && !got), "lookup failed but returned something");
	free(got_user);
	berth_secret_free(got);

	valid = berth_dockercfg_render(&rendered, f[0], f[1], secret, &err);
	BERTH_FUZZ_CHECK(valid == 0 || (valid == BERTH_EINVALID && !rendered.len), err.msg);
	if (!valid)
		check_found(rendered.buf, rendered.len, f[0], f[1], secret);

	ret = berth_dockercfg_merge(&out, f[3], lens[3], f[0], f[1], secret, &err);
	if (valid) {
		BERTH_FUZZ_CHECK(ret == BERTH_EINVALID && !out.len, err.msg);
	} else {
		BERTH_FUZZ_CHECK(ret == 0 || ret == BERTH_EPROTO, err.msg);
		BERTH_FUZZ_CHECK(ret == 0 || strspn(f[3], " \t\r\n") < lens[3], err.msg);
	}
	if (!ret) {
		check_found(out.buf, out.len, f[0], f[1], secret);
		check_kept(f[3], lens[3], out.buf, out.len, f[0]);
		ret = berth_dockercfg_merge(&again, out.buf, out.len, f[0], f[1], secret, &err);
		BERTH_FUZZ_CHECK(ret == 0, err.msg);
		BERTH_FUZZ_CHECK(berth_buf_eq(&again, out.buf) && again.len == out.len,
				 "merging the same credential twice changed the file");
	}
	berth_buf_wipe(&out);
	berth_buf_wipe(&again);
	berth_buf_wipe(&rendered);
	berth_secret_free(secret);
	free(all);
	return 0;
}
