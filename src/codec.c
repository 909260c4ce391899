/* codec.c - base64, SHA-256 and random bytes over OpenSSL libcrypto. */
#include "compat.h"
#include "codec.h"
#include "buf.h"
#include "xalloc.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

void berth_base64_encode(struct berth_buf *out, const void *data, size_t len)
{
	size_t need = 4 * ((len + 2) / 3);

	berth_buf_grow(out, need);
	if (len > INT_MAX)
		BERTH_BUG("base64: input too large");
	EVP_EncodeBlock((unsigned char *)out->buf + out->len, data, (int)len);
	out->len += need;
	out->buf[out->len] = '\0';
}

void berth_base64url_encode(struct berth_buf *out, const void *data, size_t len)
{
	size_t start = out->len;

	berth_base64_encode(out, data, len);
	for (size_t i = start; i < out->len; i++) {
		if (out->buf[i] == '+')
			out->buf[i] = '-';
		else if (out->buf[i] == '/')
			out->buf[i] = '_';
	}
	while (out->len > start && out->buf[out->len - 1] == '=')
		out->buf[--out->len] = '\0';
}

static int b64val(unsigned char c, bool url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

int berth_base64_decode(struct berth_buf *out, const char *in, size_t len, bool url)
{
	size_t start = out->len;
	unsigned int acc = 0;
	int bits = 0;
	size_t i, pad = 0;

	while (len && in[len - 1] == '=' && pad < 2) {
		len--;
		pad++;
	}
	if ((len + pad) % 4 == 1)
		return -1;
	if (pad && (len + pad) % 4)
		return -1;
	berth_buf_grow(out, len * 3 / 4 + 3);
	for (i = 0; i < len; i++) {
		int v = b64val((unsigned char)in[i], url);

		if (v < 0) {
			/* The bytes decoded so far may be part of a secret. */
			explicit_bzero(out->buf + start, out->len - start);
			out->len = start;
			out->buf[start] = '\0';
			return -1;
		}
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out->buf[out->len++] = (char)((acc >> bits) & 0xff);
		}
	}
	/* Leftover bits must be zero in canonical encodings; tolerate but do not emit them. */
	out->buf[out->len] = '\0';
	return 0;
}

void berth_sha256(const void *data, size_t len, unsigned char out[32])
{
	SHA256(data, len, out);
}

void berth_sha256_hex(const void *data, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];

	SHA256(data, len, md);
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

int berth_random_bytes(void *buf, size_t n)
{
	if (n > INT_MAX)
		return -1;
	return RAND_bytes(buf, (int)n) == 1 ? 0 : -1;
}
