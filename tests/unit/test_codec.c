/* test_codec.c - base64 (standard and URL), SHA-256 vectors and random bytes. */
#include "compat.h"
#include "codec.h"
#include "buf.h"

#include <setjmp.h>
#include <cmocka.h>

/* RFC 4648 section 10. */
static const struct {
	const char *plain;
	const char *b64;
	const char *b64url; /* unpadded */
} rfc4648[] = {
	{ "", "", "" },
	{ "f", "Zg==", "Zg" },
	{ "fo", "Zm8=", "Zm8" },
	{ "foo", "Zm9v", "Zm9v" },
	{ "foob", "Zm9vYg==", "Zm9vYg" },
	{ "fooba", "Zm9vYmE=", "Zm9vYmE" },
	{ "foobar", "Zm9vYmFy", "Zm9vYmFy" },
};

static void test_base64_vectors(void **state)
{
	struct berth_buf b = BERTH_BUF_INIT;

	(void)state;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(rfc4648); i++) {
		const char *p = rfc4648[i].plain;

		berth_buf_reset(&b);
		berth_base64_encode(&b, p, strlen(p));
		assert_string_equal(b.buf, rfc4648[i].b64);
		assert_int_equal(b.len, strlen(rfc4648[i].b64));

		berth_buf_reset(&b);
		berth_base64url_encode(&b, p, strlen(p));
		assert_string_equal(b.buf, rfc4648[i].b64url);

		/* Padded and unpadded both decode, in either alphabet. */
		berth_buf_reset(&b);
		assert_int_equal(berth_base64_decode(&b, rfc4648[i].b64, strlen(rfc4648[i].b64), false), 0);
		assert_string_equal(b.buf, p);
		berth_buf_reset(&b);
		assert_int_equal(berth_base64_decode(&b, rfc4648[i].b64url, strlen(rfc4648[i].b64url), false), 0);
		assert_string_equal(b.buf, p);
		berth_buf_reset(&b);
		assert_int_equal(berth_base64_decode(&b, rfc4648[i].b64url, strlen(rfc4648[i].b64url), true), 0);
		assert_string_equal(b.buf, p);
	}
	berth_buf_release(&b);
}

static void test_base64_alphabets(void **state)
{
	static const unsigned char bytes[] = { 0xfb, 0xff, 0xfe, 0xfb, 0xef };
	struct berth_buf b = BERTH_BUF_INIT;

	(void)state;
	berth_base64_encode(&b, bytes, sizeof(bytes));
	assert_string_equal(b.buf, "+//+++8=");
	berth_buf_reset(&b);
	berth_base64url_encode(&b, bytes, sizeof(bytes));
	assert_string_equal(b.buf, "-__---8");

	berth_buf_reset(&b);
	assert_int_equal(berth_base64_decode(&b, "-__---8", 7, true), 0);
	assert_int_equal(b.len, sizeof(bytes));
	assert_memory_equal(b.buf, bytes, sizeof(bytes));
	/* Each alphabet refuses the other's two special characters. */
	berth_buf_reset(&b);
	assert_int_equal(berth_base64_decode(&b, "-__---8", 7, false), -1);
	assert_int_equal(berth_base64_decode(&b, "+//+++8=", 8, true), -1);
	assert_int_equal(b.len, 0);
	berth_buf_release(&b);
}

static void test_base64_round_trip(void **state)
{
	struct berth_buf enc = BERTH_BUF_INIT, dec = BERTH_BUF_INIT;
	unsigned char data[300];

	(void)state;
	assert_int_equal(berth_random_bytes(data, sizeof(data)), 0);
	data[3] = '\0'; /* NUL bytes survive */
	for (size_t len = 0; len <= sizeof(data); len += (len < 20 ? 1 : 37)) {
		for (int url = 0; url < 2; url++) {
			berth_buf_reset(&enc);
			berth_buf_reset(&dec);
			if (url)
				berth_base64url_encode(&enc, data, len);
			else
				berth_base64_encode(&enc, data, len);
			assert_int_equal(enc.len, url ? (len * 4 + 2) / 3 : 4 * ((len + 2) / 3));
			assert_int_equal(berth_base64_decode(&dec, enc.buf, enc.len, url), 0);
			assert_int_equal(dec.len, len);
			assert_memory_equal(dec.buf, data, len);
		}
	}
	berth_buf_release(&enc);
	berth_buf_release(&dec);
}

static void test_base64_appends(void **state)
{
	struct berth_buf b = BERTH_BUF_INIT;

	(void)state;
	berth_buf_addstr(&b, "user:");
	berth_base64_encode(&b, "pw", 2);
	assert_string_equal(b.buf, "user:cHc=");
	berth_buf_addch(&b, '|');
	assert_int_equal(berth_base64_decode(&b, "cHc=", 4, false), 0);
	assert_string_equal(b.buf, "user:cHc=|pw");
	berth_buf_release(&b);
}

static void test_base64_malformed(void **state)
{
	static const char *const bad[] = {
		"Z",         /* one character cannot hold a byte */
		"Zg=",       /* half padding */
		"Zg===",     /* too much padding */
		"=",
		"==",
		"Zm9v!",
		"Zm 9v",     /* whitespace */
		"Zm9v\n",
		"Zg==Zg==",  /* padding in the middle */
		"Z===",
		"Zm9vY",     /* 5 characters */
		"Zm9\xc3\xa9",
	};
	struct berth_buf b = BERTH_BUF_INIT;

	(void)state;
	berth_buf_addstr(&b, "keep");
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(bad); i++) {
		for (int url = 0; url < 2; url++) {
			assert_int_equal(berth_base64_decode(&b, bad[i], strlen(bad[i]), url), -1);
			/* out is left as it was */
			assert_int_equal(b.len, 4);
			assert_string_equal(b.buf, "keep");
		}
	}
	/* An embedded NUL inside len is not the end of the input. */
	assert_int_equal(berth_base64_decode(&b, "Zm\0v", 4, false), -1);
	assert_string_equal(b.buf, "keep");
	berth_buf_release(&b);
}

static void test_base64_failed_decode_leaves_no_bytes(void **state)
{
	struct berth_buf b = BERTH_BUF_INIT;
	/* "secret!!" then a bad character at the end */
	const char *in = "c2VjcmV0ISE*";

	(void)state;
	berth_buf_grow(&b, 64);
	memset(b.buf, 0, b.alloc);
	assert_int_equal(berth_base64_decode(&b, in, strlen(in), false), -1);
	assert_int_equal(b.len, 0);
	/* Nothing decoded before the bad character stays in the buffer's memory. */
	for (size_t i = 0; i < b.alloc; i++)
		assert_int_equal(b.buf[i], '\0');
	berth_buf_release(&b);
}

static void test_sha256_vectors(void **state)
{
	static const struct {
		const char *in;
		const char *hex;
	} v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	};
	char hex[65];
	unsigned char md[32];
	char *million;

	(void)state;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(v); i++) {
		memset(hex, 'x', sizeof(hex));
		berth_sha256_hex(v[i].in, strlen(v[i].in), hex);
		assert_string_equal(hex, v[i].hex);
	}
	berth_sha256("abc", 3, md);
	assert_int_equal(md[0], 0xba);
	assert_int_equal(md[31], 0xad);

	million = malloc(1000000);
	assert_non_null(million);
	memset(million, 'a', 1000000);
	berth_sha256_hex(million, 1000000, hex);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(million);
}

static void test_random_bytes(void **state)
{
	unsigned char a[32], b[32], zero[32] = { 0 };
	unsigned char seen[256] = { 0 };
	unsigned char big[4096];
	size_t distinct = 0;

	(void)state;
	assert_int_equal(berth_random_bytes(a, sizeof(a)), 0);
	assert_int_equal(berth_random_bytes(b, sizeof(b)), 0);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_memory_not_equal(a, zero, sizeof(a));
	assert_int_equal(berth_random_bytes(a, 0), 0);
	/* 4096 bytes from a CSPRNG cover nearly all 256 values. */
	assert_int_equal(berth_random_bytes(big, sizeof(big)), 0);
	for (size_t i = 0; i < sizeof(big); i++)
		seen[big[i]] = 1;
	for (size_t i = 0; i < 256; i++)
		distinct += seen[i];
	assert_true(distinct > 240);
	/* Sizes the library cannot take are refused before anything is written. */
	assert_int_equal(berth_random_bytes(a, (size_t)INT_MAX + 1), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64_vectors),
		cmocka_unit_test(test_base64_alphabets),
		cmocka_unit_test(test_base64_round_trip),
		cmocka_unit_test(test_base64_appends),
		cmocka_unit_test(test_base64_malformed),
		cmocka_unit_test(test_base64_failed_decode_leaves_no_bytes),
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_random_bytes),
	};

	return cmocka_run_group_tests_name("codec", tests, NULL, NULL);
}
