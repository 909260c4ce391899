/*
 * sim_tls.c - berth-sim's throwaway PKI and token signing: a CA, a server
 * certificate for 127.0.0.1/localhost (used by the simulated APIs and by
 * the real registry the tests start), and the RSA key that signs registry
 * tokens (RS256, libtrust "kid", as Harbor's token service does).
 */
#include "compat.h"
#include "sim.h"
#include "buf.h"
#include "codec.h"
#include "util.h"
#include "xalloc.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

static EVP_PKEY *gen_ec(void)
{
	return EVP_EC_gen("P-256");
}

static EVP_PKEY *gen_rsa(unsigned int bits)
{
	return EVP_RSA_gen(bits);
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ex;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ex)
		BERTH_BUG("X509V3_EXT_conf_nid(%d, %s) failed", nid, value);
	X509_add_ext(cert, ex, -1);
	X509_EXTENSION_free(ex);
}

static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
		       bool ca, const char *san, long days)
{
	X509 *c = X509_new();
	X509_NAME *name;
	unsigned char serial[16];

	X509_set_version(c, 2);
	berth_random_bytes(serial, sizeof(serial));
	serial[0] &= 0x7f;
	{
		BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);

		BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c));
		BN_free(bn);
	}
	/* days < 0: a certificate that expired that many days ago (valid the day before) */
	X509_gmtime_adj(X509_getm_notBefore(c), days < 0 ? 60L * 60 * 24 * (days - 1) : -3600);
	X509_gmtime_adj(X509_getm_notAfter(c), 60L * 60 * 24 * days);
	X509_set_pubkey(c, key);
	name = X509_get_subject_name(c);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name);
	if (ca) {
		add_ext(c, issuer ? issuer : c, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(c, issuer ? issuer : c, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
	} else {
		add_ext(c, issuer ? issuer : c, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(c, issuer ? issuer : c, NID_key_usage, "critical,digitalSignature,keyEncipherment");
		add_ext(c, issuer ? issuer : c, NID_ext_key_usage, "serverAuth,clientAuth");
	}
	add_ext(c, issuer ? issuer : c, NID_subject_key_identifier, "hash");
	if (issuer)
		add_ext(c, issuer, NID_authority_key_identifier, "keyid:always");
	if (san)
		add_ext(c, issuer ? issuer : c, NID_subject_alt_name, san);
	if (!X509_sign(c, issuer_key ? issuer_key : key, EVP_sha256()))
		BERTH_BUG("X509_sign failed");
	return c;
}

static char *cert_pem(X509 *c)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long n;
	char *out;

	PEM_write_bio_X509(b, c);
	n = BIO_get_mem_data(b, &data);
	out = xstrndup(data, (size_t)n);
	BIO_free(b);
	return out;
}

static char *key_pem(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long n;
	char *out;

	PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(b, &data);
	out = xstrndup(data, (size_t)n);
	BIO_free(b);
	return out;
}

static int write_file(const char *dir, const char *name, const char *text, mode_t mode, char **path_out)
{
	char *path = xasprintf("%s/%s", dir, name);
	struct berth_err err = BERTH_ERR_INIT;

	if (berth_file_write_atomic(path, text, strlen(text), mode, &err)) {
		fprintf(stderr, "berth-sim: %s\n", err.msg);
		free(path);
		return -1;
	}
	if (path_out)
		*path_out = path;
	else
		free(path);
	return 0;
}

/*
 * libtrust key id: SHA-256 of the DER SubjectPublicKeyInfo, first 240 bits,
 * base32 (no padding), in 12 groups of 4 joined by ':'.
 */
static char *libtrust_kid(EVP_PKEY *k)
{
	static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	unsigned char *der = NULL, md[32];
	int n = i2d_PUBKEY(k, &der);
	char enc[49];
	struct berth_buf out = BERTH_BUF_INIT;
	int bits = 0, e = 0;
	unsigned int acc = 0;

	if (n <= 0)
		BERTH_BUG("i2d_PUBKEY failed");
	berth_sha256(der, (size_t)n, md);
	OPENSSL_free(der);
	for (int i = 0; i < 30; i++) {
		acc = (acc << 8) | md[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			enc[e++] = b32[(acc >> bits) & 31];
		}
	}
	enc[e] = '\0';
	for (int i = 0; i < 48; i += 4) {
		if (i)
			berth_buf_addch(&out, ':');
		berth_buf_add(&out, enc + i, 4);
	}
	return berth_buf_detach(&out, NULL);
}

int sim_world_init(struct sim_world *w, const char *dir)
{
	struct berth_err err = BERTH_ERR_INIT;
	EVP_PKEY *ca_key, *srv_key, *tok_key;
	X509 *ca, *srv, *tok;
	char *ca_text, *tok_text, *tok_key_text;

	if (berth_mkdirs(dir, 0700, &err)) {
		fprintf(stderr, "berth-sim: %s\n", err.msg);
		return -1;
	}
	w->dir = xstrdup(dir);
	pthread_mutex_init(&w->kill_lock, NULL);
	ca_key = gen_ec();
	srv_key = gen_ec();
	tok_key = gen_rsa(2048);
	if (!ca_key || !srv_key || !tok_key)
		BERTH_BUG("key generation failed");
	ca = make_cert(ca_key, "berth-sim test CA", NULL, NULL, true, NULL, 30);
	srv = make_cert(srv_key, "127.0.0.1", ca, ca_key, false,
			w->server_san ? w->server_san : "IP:127.0.0.1,DNS:localhost,IP:0:0:0:0:0:0:0:1",
			w->server_expired ? -1 : 30);
	tok = make_cert(tok_key, "harbor-token-issuer", NULL, NULL, false, NULL, 3650);

	ca_text = cert_pem(ca);
	w->cert_pem = cert_pem(srv);
	w->key_pem = key_pem(srv_key);
	tok_text = cert_pem(tok);
	tok_key_text = key_pem(tok_key);
	w->token_kid = libtrust_kid(tok_key);
	w->token_key = tok_key;

	if (write_file(dir, "ca.pem", ca_text, 0644, &w->ca_file) ||
	    write_file(dir, "server.crt", w->cert_pem, 0644, NULL) ||
	    write_file(dir, "server.key", w->key_pem, 0600, NULL) ||
	    write_file(dir, "token.crt", tok_text, 0644, &w->token_cert_file) ||
	    write_file(dir, "token.key", tok_key_text, 0600, &w->token_key_file))
		return -1;
	free(ca_text);
	free(tok_text);
	free(tok_key_text);
	X509_free(ca);
	X509_free(srv);
	X509_free(tok);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(srv_key);
	return 0;
}

void sim_world_release(struct sim_world *w)
{
	free(w->dir);
	free(w->ca_file);
	free(w->cert_pem);
	free(w->key_pem);
	free(w->token_cert_file);
	free(w->token_key_file);
	free(w->token_kid);
	EVP_PKEY_free(w->token_key);
	json_decref(w->killed);
	w->killed = NULL;
	free(w->kill_method);
	free(w->kill_path);
	w->kill_method = w->kill_path = NULL;
	pthread_mutex_destroy(&w->kill_lock);
	w->dir = w->ca_file = w->cert_pem = w->key_pem = NULL;
	w->token_cert_file = w->token_key_file = w->token_kid = NULL;
	w->token_key = NULL;
	w->napis = 0;
}

char *sim_jwt_rs256(const struct sim_world *w, json_t *header, json_t *claims)
{
	struct berth_buf out = BERTH_BUF_INIT;
	char *h = json_dumps(header, JSON_COMPACT);
	char *c = json_dumps(claims, JSON_COMPACT);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[1024];
	size_t siglen = sizeof(sig);
	json_free_t jfree;

	json_get_alloc_funcs(NULL, &jfree);
	berth_base64url_encode(&out, h, strlen(h));
	berth_buf_addch(&out, '.');
	berth_base64url_encode(&out, c, strlen(c));
	/* jansson's memory: the process may have installed berth's wiping allocator */
	jfree(h);
	jfree(c);
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, w->token_key) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, (unsigned char *)out.buf, out.len) != 1) {
		EVP_MD_CTX_free(md);
		berth_buf_release(&out);
		return NULL;
	}
	EVP_MD_CTX_free(md);
	berth_buf_addch(&out, '.');
	berth_base64url_encode(&out, sig, siglen);
	return berth_buf_detach(&out, NULL);
}
