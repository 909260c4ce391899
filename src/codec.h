/*
 * codec.h - encodings berth needs: base64 (standard and URL alphabets),
 * SHA-256 and hex, all on OpenSSL libcrypto.
 */
#ifndef BERTH_CODEC_H
#define BERTH_CODEC_H

#include <stdbool.h>
#include <stddef.h>

struct berth_buf;

/* Append the padded standard base64 of data to out. */
void berth_base64_encode(struct berth_buf *out, const void *data, size_t len);
/*
 * Decode standard base64 (padding optional) into out (appended). With
 * url set, the URL-safe alphabet is used instead (JWT segments). Returns 0,
 * or -1 on malformed input (out is left as it was).
 */
int berth_base64_decode(struct berth_buf *out, const char *in, size_t len, bool url);
/* Append base64url without padding. */
void berth_base64url_encode(struct berth_buf *out, const void *data, size_t len);
/* SHA-256 of data as 64 lowercase hex digits plus NUL. */
void berth_sha256_hex(const void *data, size_t len, char out[65]);
void berth_sha256(const void *data, size_t len, unsigned char out[32]);
/* Fill buf with n random bytes from the CSPRNG; returns 0 or -1. */
int berth_random_bytes(void *buf, size_t n);

#endif
