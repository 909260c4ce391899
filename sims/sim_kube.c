/*
 * sim_kube.c - berth-sim's Kubernetes API server: authentication (bearer
 * tokens and TLS client certificates), RBAC-like authorization with the
 * apiserver's exact Forbidden messages, routing of /api/v1 and
 * /apis/GROUP/v1 paths to the object store (sim_kube_store.c), the
 * control endpoints, and the kubeconfig berth-sim writes.
 *
 * Served (JSON only; see research/vault-kube.md section B):
 *   GET /version, /api, /apis, /api/v1, /apis/GROUP/v1
 *   /api/v1/namespaces[/{name}]                         Namespace
 *   /api/v1/namespaces/{ns}/secrets[/{name}]            Secret
 *   /api/v1/secrets                                     Secrets of all namespaces
 *   /apis/networking.k8s.io/v1/namespaces/{ns}/ingresses[/{name}]
 *   /apis/coordination.k8s.io/v1/namespaces/{ns}/leases[/{name}]
 * Collections: GET (list; labelSelector, fieldSelector, limit, continue),
 * POST (create), DELETE (deletecollection). Objects: GET, PUT, PATCH
 * (json-patch, merge-patch, strategic-merge-patch), DELETE. Query
 * parameters dryRun=All and fieldValidation=Strict|Warn|Ignore apply to
 * writes. Legacy discovery (/api, /apis, /api/v1, /apis/GROUP/v1) lets
 * kubectl and client-go find the resources. Not simulated: watch (501),
 * server-side apply (415), YAML and protobuf bodies (415), subresources
 * (404), aggregated discovery, OpenAPI documents.
 *
 * Authentication: "Authorization: Bearer TOKEN", or a client certificate
 * signed by the sim's client CA (user = CN, groups = O). Anything else,
 * or an unknown, expired or revoked token, is 401 (the apiserver with
 * --anonymous-auth=false). Users in group system:masters, and the admin
 * token, may do everything; other users get what their rules allow and
 * 403 otherwise.
 *
 * Control endpoints (no authentication; JSON bodies):
 *   POST /_sim/kube/tokens
 *        {"token"?: "...", "user": "alice", "groups"?: ["g"], "admin"?: false,
 *         "ttl_seconds"?: 60,
 *         "rules": [{"verbs": ["get","list"], "resources": ["secrets"],
 *                    "namespaces"?: ["ci"], "apiGroups"?: [""],
 *                    "resourceNames"?: ["x"]}]}
 *        -> 201 {"token": "...", "user": "alice"}. Empty or missing
 *        namespaces = every namespace and the cluster scope; "*" matches
 *        any verb, resource, group or namespace. A missing token is made up.
 *   POST /_sim/kube/tokens/expire  {"token": "..."}  -> 200 {} (then 401)
 *   POST /_sim/kube/tokens/revoke  {"token": "..."}  -> 200 {} (then 401)
 *   POST /_sim/kube/objects  one object or an array of objects with kind,
 *        apiVersion and metadata.namespace -> 201 {"created": N}; they go
 *        through the same create path (validation included) but keep a
 *        given Ingress status. The first failure answers with its Status.
 *   POST /_sim/kube/touch {"resource": "secrets", "namespace": "ns",
 *        "name": "x"} -> 200 {"resourceVersion": "N"}: another writer
 *        touched the object (its resourceVersion moves, content does not),
 *        so the next write with the old resourceVersion conflicts.
 */
#include "compat.h"
#include "sim_kube.h"
#include "sim.h"
#include "buf.h"
#include "codec.h"
#include "util.h"
#include "xalloc.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define MAX_BODY (3L * 1024 * 1024) /* the apiserver's maxRequestBodyBytes */

/* ---- client certificate PKI ----------------------------------------------------- */

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

static X509 *make_cert(EVP_PKEY *key, const char *cn, const char *org, X509 *issuer,
		       EVP_PKEY *issuer_key)
{
	X509 *c = X509_new();
	X509_NAME *name = X509_get_subject_name(c);
	unsigned char serial[16];
	BIGNUM *bn;

	X509_set_version(c, 2);
	if (berth_random_bytes(serial, sizeof(serial)))
		BERTH_BUG("random source failed");
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c));
	BN_free(bn);
	X509_gmtime_adj(X509_getm_notBefore(c), -3600);
	X509_gmtime_adj(X509_getm_notAfter(c), 60L * 60 * 24 * 30);
	X509_set_pubkey(c, key);
	if (org)
		X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)org, -1, -1,
					   0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name);
	if (!issuer) {
		add_ext(c, c, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(c, c, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
	} else {
		add_ext(c, issuer, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(c, issuer, NID_key_usage, "critical,digitalSignature,keyEncipherment");
		add_ext(c, issuer, NID_ext_key_usage, "clientAuth");
	}
	if (!X509_sign(c, issuer_key ? issuer_key : key, EVP_sha256()))
		BERTH_BUG("X509_sign failed");
	return c;
}

static char *pem_cert(X509 *c)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	PEM_write_bio_X509(b, c);
	n = BIO_get_mem_data(b, &data);
	out = xstrndup(data, (size_t)n);
	BIO_free(b);
	return out;
}

static char *pem_key(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(b, &data);
	out = xstrndup(data, (size_t)n);
	BIO_free(b);
	return out;
}

/* The apiserver's --client-ca-file and sim-admin's certificate (O=system:masters). */
static void make_client_pki(struct sim_kube *k)
{
	EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *key = EVP_EC_gen("P-256");
	X509 *ca, *cert;

	if (!ca_key || !key)
		BERTH_BUG("key generation failed");
	ca = make_cert(ca_key, "berth-sim kube client CA", NULL, NULL, NULL);
	cert = make_cert(key, "sim-admin", "system:masters", ca, ca_key);
	k->client_ca_pem = pem_cert(ca);
	k->client_cert_pem = pem_cert(cert);
	k->client_key_pem = pem_key(key);
	X509_free(cert);
	X509_free(ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(ca_key);
}

/*
 * The user of a verified client certificate: *name (new string) and
 * *groups (new array). Returns 1 when a valid certificate was presented,
 * 0 when none was, -1 when one was presented but does not verify.
 */
static int cert_user(struct sim_req *req, char **name, json_t **groups)
{
	const union MHD_ConnectionInfo *ci;
	const gnutls_datum_t *certs;
	gnutls_session_t s;
	gnutls_x509_crt_t crt;
	unsigned int n = 0, status = 0;
	char buf[256];
	size_t len;
	int ret = -1;

	*name = NULL;
	*groups = NULL;
	ci = MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return 0;
	s = (gnutls_session_t)ci->tls_session;
	certs = gnutls_certificate_get_peers(s, &n);
	if (!certs || !n)
		return 0;
	if (gnutls_certificate_verify_peers2(s, &status) < 0 || status)
		return -1;
	if (gnutls_x509_crt_init(&crt) < 0)
		return -1;
	if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) < 0)
		goto out;
	len = sizeof(buf);
	if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, buf, &len) < 0)
		goto out;
	*name = xstrndup(buf, len);
	*groups = json_array();
	for (unsigned int i = 0;; i++) {
		len = sizeof(buf);
		if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, i, 0, buf,
						  &len) < 0)
			break;
		json_array_append_new(*groups, json_stringn(buf, len));
	}
	ret = 1;
out:
	gnutls_x509_crt_deinit(crt);
	return ret;
}

/* ---- users ------------------------------------------------------------------------ */

static struct sim_kube_user *find_token(struct sim_kube *k, const char *token)
{
	for (size_t i = 0; i < k->nusers; i++)
		if (k->users[i].token && !strcmp(k->users[i].token, token))
			return &k->users[i];
	return NULL;
}

static struct sim_kube_user *find_cert_user(struct sim_kube *k, const char *name)
{
	for (size_t i = 0; i < k->nusers; i++)
		if (!k->users[i].token && !strcmp(k->users[i].name, name))
			return &k->users[i];
	return NULL;
}

static struct sim_kube_user *add_user(struct sim_kube *k, const char *token, const char *name)
{
	struct sim_kube_user *u;

	BERTH_ALLOC_GROW(k->users, k->nusers + 1, k->ausers);
	u = &k->users[k->nusers++];
	memset(u, 0, sizeof(*u));
	u->token = xstrdup_or_null(token);
	u->name = xstrdup(name);
	u->groups = json_array();
	u->rules = json_array();
	return u;
}

static void user_release(struct sim_kube_user *u)
{
	free(u->token);
	free(u->name);
	json_decref(u->groups);
	json_decref(u->rules);
}

/* The identity a request authenticates as (borrowed fields). */
struct identity {
	const char *name;
	const json_t *groups;
	const json_t *rules;
	bool admin;
	char *cert_name;      /* owned, for certificate users */
	json_t *cert_groups;  /* owned */
};

static bool has_group(const json_t *groups, const char *g)
{
	size_t i;
	json_t *v;

	json_array_foreach(groups, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), g))
			return true;
	return false;
}

/*
 * Authenticate as the apiserver's union authenticator does: the first
 * authenticator that succeeds wins, x509 client certificates before
 * bearer tokens. Returns 0 with id filled, or -1 (401).
 */
static int authenticate(struct sim_kube *k, struct sim_req *req, struct identity *id)
{
	const char *tok = sim_bearer(req);
	struct sim_kube_user *u;

	memset(id, 0, sizeof(*id));
	if (cert_user(req, &id->cert_name, &id->cert_groups) > 0) {
		id->name = id->cert_name;
		id->groups = id->cert_groups;
		u = find_cert_user(k, id->cert_name);
		id->rules = u ? u->rules : NULL;
		id->admin = has_group(id->cert_groups, "system:masters") || (u && u->admin);
		return 0;
	}
	free(id->cert_name);
	json_decref(id->cert_groups);
	id->cert_name = NULL;
	id->cert_groups = NULL;
	if (!tok)
		return -1;
	u = find_token(k, tok);
	if (!u || u->expired || (u->expires_ms && sim_now_ms() >= u->expires_ms))
		return -1;
	id->name = u->name;
	id->groups = u->groups;
	id->rules = u->rules;
	id->admin = u->admin || has_group(u->groups, "system:masters");
	return 0;
}

static void identity_release(struct identity *id)
{
	free(id->cert_name);
	json_decref(id->cert_groups);
}

/* ---- authorization ------------------------------------------------------------------- */

struct attrs {
	const char *verb;
	const char *group;
	const char *resource;     /* as in the path, e.g. "secrets" */
	const char *subresource;  /* NULL when none */
	const char *ns;           /* NULL or "": cluster scope */
	const char *name;         /* NULL or "" */
};

static bool list_allows(const json_t *list, const char *v, bool empty_is_all)
{
	size_t i;
	json_t *e;

	if (!json_is_array(list) || !json_array_size(list))
		return empty_is_all;
	json_array_foreach(list, i, e) {
		const char *s = json_string_value(e);

		if (s && (!strcmp(s, "*") || !strcmp(s, v)))
			return true;
	}
	return false;
}

static bool authorized(const struct identity *id, const struct attrs *a)
{
	char *resource;
	bool ok = false;
	size_t i;
	json_t *rule;

	if (id->admin)
		return true;
	resource = a->subresource ? xasprintf("%s/%s", a->resource, a->subresource)
				  : xstrdup(a->resource);
	json_array_foreach(id->rules, i, rule) {
		json_t *nss = json_object_get(rule, "namespaces");
		json_t *names = json_object_get(rule, "resourceNames");

		if (!list_allows(json_object_get(rule, "verbs"), a->verb, false) ||
		    !list_allows(json_object_get(rule, "resources"), resource, false) ||
		    !list_allows(json_object_get(rule, "apiGroups"), a->group, true))
			continue;
		if (json_array_size(nss) && (!a->ns || !*a->ns || !list_allows(nss, a->ns, false)))
			continue;
		if (json_array_size(names) && (!a->name || !*a->name || !list_allows(names, a->name, false)))
			continue;
		ok = true;
		break;
	}
	free(resource);
	return ok;
}

/* responsewriters.Forbidden: NewForbidden(GroupResource, name, forbiddenMessage(attrs)) */
static void forbidden(struct sim_resp *resp, const struct identity *id, const struct attrs *a)
{
	struct berth_buf why = BERTH_BUF_INIT, msg = BERTH_BUF_INIT;
	char *qr = *a->group ? xasprintf("%s.%s", a->resource, a->group) : xstrdup(a->resource);
	json_t *details = json_object();

	berth_buf_addf(&why, "User \"%s\" cannot %s resource \"%s%s%s\" in API group \"%s\"",
		       id->name, a->verb, a->resource, a->subresource ? "/" : "",
		       a->subresource ? a->subresource : "", a->group);
	if (a->ns && *a->ns)
		berth_buf_addf(&why, " in the namespace \"%s\"", a->ns);
	else
		berth_buf_addstr(&why, " at the cluster scope");
	if (a->name && *a->name) {
		char *q = sim_kube_goquote(a->name);

		berth_buf_addf(&msg, "%s %s is forbidden: %s", qr, q, why.buf);
		json_object_set_new(details, "name", json_string(a->name));
		free(q);
	} else {
		berth_buf_addf(&msg, "%s is forbidden: %s", qr, why.buf);
	}
	if (*a->group)
		json_object_set_new(details, "group", json_string(a->group));
	json_object_set_new(details, "kind", json_string(a->resource));
	sim_kube_status(resp, 403, "Forbidden", details, "%s", msg.buf);
	berth_buf_release(&msg);
	berth_buf_release(&why);
	free(qr);
}

/* ---- routing ------------------------------------------------------------------------- */

struct route {
	bool api;                 /* under /api/v1 or a served /apis/GROUP/v1 */
	const char *group;
	char *resource;           /* as in the path */
	char *ns, *name, *sub;
	const struct sim_kube_res *res; /* NULL: no such resource */
};

static void route_release(struct route *r)
{
	free(r->resource);
	free(r->ns);
	free(r->name);
	free(r->sub);
}

static const struct sim_kube_res *find_res(const char *group, const char *resource)
{
	for (size_t i = 0; i < SIM_KUBE_NRES; i++)
		if (!strcmp(sim_kube_resources[i].group, group) &&
		    !strcmp(sim_kube_resources[i].plural, resource))
			return &sim_kube_resources[i];
	return NULL;
}

/* Parse a request path the way the apiserver's RequestInfoFactory does. */
static void parse_route(const char *path, struct route *r)
{
	char *copy = xstrdup(path), *save = NULL, *tok;
	const char *seg[16];
	size_t n = 0, at;
	bool ns_object;

	memset(r, 0, sizeof(*r));
	for (tok = strtok_r(copy, "/", &save); tok && n < BERTH_ARRAY_SIZE(seg);
	     tok = strtok_r(NULL, "/", &save))
		seg[n++] = tok;
	if (n >= 2 && !strcmp(seg[0], "api") && !strcmp(seg[1], "v1")) {
		r->group = "";
		at = 2;
	} else if (n >= 3 && !strcmp(seg[0], "apis") && !strcmp(seg[2], "v1") &&
		   (!strcmp(seg[1], "networking.k8s.io") || !strcmp(seg[1], "coordination.k8s.io"))) {
		r->group = !strcmp(seg[1], "networking.k8s.io") ? "networking.k8s.io"
								: "coordination.k8s.io";
		at = 3;
	} else {
		goto out;
	}
	if (at == n)
		goto out; /* the group version itself (discovery) */
	r->api = true;
	/* /namespaces/NAME is the namespace itself, and so are its subresources */
	ns_object = !strcmp(seg[at], "namespaces") && n - at >= 2 &&
		    (n - at == 2 || !strcmp(seg[at + 2], "status") || !strcmp(seg[at + 2], "finalize"));
	if (ns_object) {
		r->ns = xstrdup(seg[at + 1]);
	} else if (!strcmp(seg[at], "namespaces") && n - at >= 3) {
		r->ns = xstrdup(seg[at + 1]);
		at += 2;
	}
	r->resource = xstrdup(seg[at]);
	if (n - at >= 2)
		r->name = xstrdup(seg[at + 1]);
	if (n - at >= 3)
		r->sub = xstrdup(seg[at + 2]);
	if (n - at > 3)
		r->api = false;
	r->res = find_res(r->group, r->resource);
	/* namespaced resources have no cluster-scoped objects; cluster-scoped ones no namespace */
	if (r->res && r->res->namespaced && !r->ns && r->name)
		r->res = NULL;
	if (r->res && !r->res->namespaced && r->ns && !ns_object)
		r->res = NULL;
out:
	free(copy);
}

static const char *verb_of(const char *method, const struct route *r, const struct sim_req *req)
{
	const char *watch = sim_param(req, "watch");
	bool watching = watch && (!strcmp(watch, "1") || !strcmp(watch, "true"));

	if (!strcmp(method, "GET") || !strcmp(method, "HEAD")) {
		if (watching)
			return "watch";
		return r->name ? "get" : "list";
	}
	if (!strcmp(method, "POST"))
		return "create";
	if (!strcmp(method, "PUT"))
		return "update";
	if (!strcmp(method, "PATCH"))
		return "patch";
	if (!strcmp(method, "DELETE"))
		return r->name ? "delete" : "deletecollection";
	return strcmp(method, "OPTIONS") ? "unknown" : "options";
}

/* A JSON request body for POST/PUT; NULL with resp filled on failure. */
static json_t *request_body(struct sim_kube_call *c)
{
	const char *ct = sim_header(c->req, "Content-Type");
	json_error_t jerr;
	json_t *body;

	if (ct && *ct &&
	    (strncasecmp(ct, "application/json", 16) || (ct[16] && ct[16] != ';' && ct[16] != ' '))) {
		sim_kube_status(c->resp, 415, "UnsupportedMediaType", NULL,
				"the body of the request was in an unknown format - accepted media "
				"types include: application/json");
		return NULL;
	}
	body = json_loadb(c->req->body.buf, c->req->body.len, JSON_DECODE_ANY, &jerr);
	if (!body) {
		sim_kube_bad_request(c->resp, "the object provided is unrecognized (must be of type %s): "
				     "couldn't get version/kind; json parse error: %s", c->res->kind,
				     jerr.text);
		return NULL;
	}
	return body;
}

static void serve_resource(struct sim_kube_call *c, const char *method)
{
	json_t *body;

	if (c->subresource) {
		sim_kube_generic(c->resp, 404, "the server could not find the requested resource");
		return;
	}
	if (!c->name) {
		if (!strcmp(method, "GET")) {
			sim_kube_list(c);
		} else if (!strcmp(method, "POST")) {
			body = request_body(c);
			if (body)
				sim_kube_create_obj(c, body);
			json_decref(body);
		} else if (!strcmp(method, "DELETE") && c->res->namespaced) {
			sim_kube_delete_collection(c);
		} else {
			sim_kube_generic(c->resp, 405,
					 "the server does not allow this method on the requested resource");
		}
		return;
	}
	if (!strcmp(method, "GET")) {
		sim_kube_get(c);
	} else if (!strcmp(method, "PUT")) {
		body = request_body(c);
		if (body)
			sim_kube_update(c, body);
		json_decref(body);
	} else if (!strcmp(method, "PATCH")) {
		sim_kube_patch(c);
	} else if (!strcmp(method, "DELETE")) {
		sim_kube_delete(c);
	} else {
		sim_kube_generic(c->resp, 405,
				 "the server does not allow this method on the requested resource");
	}
}

/* ---- control endpoints ----------------------------------------------------------------- */

static void control_error(struct sim_resp *resp, int status, const char *msg)
{
	sim_resp_json(resp, status, json_pack("{s:s}", "error", msg));
}

static void control_tokens(struct sim_kube *k, json_t *body, struct sim_resp *resp)
{
	const char *tok = json_string_value(json_object_get(body, "token"));
	const char *user = json_string_value(json_object_get(body, "user"));
	json_t *rules = json_object_get(body, "rules"), *groups = json_object_get(body, "groups");
	json_t *ttl = json_object_get(body, "ttl_seconds");
	struct sim_kube_user *u;
	char made[41];

	if (!user || !*user) {
		control_error(resp, 400, "user is required");
		return;
	}
	if ((rules && !json_is_array(rules)) || (groups && !json_is_array(groups))) {
		control_error(resp, 400, "rules and groups must be arrays");
		return;
	}
	if (!tok) {
		sim_random_alnum(made, 40);
		tok = made;
	}
	if (!*tok || find_token(k, tok)) {
		control_error(resp, 409, "token is empty or already exists");
		return;
	}
	u = add_user(k, tok, user);
	if (rules)
		json_array_extend(u->rules, rules);
	if (groups)
		json_array_extend(u->groups, groups);
	u->admin = json_is_true(json_object_get(body, "admin"));
	if (json_is_integer(ttl))
		u->expires_ms = sim_now_ms() + json_integer_value(ttl) * 1000;
	sim_resp_json(resp, 201, json_pack("{s:s, s:s}", "token", tok, "user", user));
}

static void control_token_state(struct sim_kube *k, json_t *body, struct sim_resp *resp,
				bool revoke)
{
	const char *tok = json_string_value(json_object_get(body, "token"));
	struct sim_kube_user *u = tok ? find_token(k, tok) : NULL;

	if (!u) {
		control_error(resp, 404, "no such token");
		return;
	}
	if (revoke) {
		size_t i = (size_t)(u - k->users);

		user_release(u);
		memmove(&k->users[i], &k->users[i + 1], (k->nusers - i - 1) * sizeof(*u));
		k->nusers--;
	} else {
		u->expired = true;
	}
	sim_resp_json(resp, 200, json_object());
}

static const struct sim_kube_res *res_of_object(const json_t *obj)
{
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	const char *av = json_string_value(json_object_get(obj, "apiVersion"));

	for (size_t i = 0; kind && av && i < SIM_KUBE_NRES; i++) {
		char *want = sim_kube_api_version(&sim_kube_resources[i]);
		bool ok = !strcmp(sim_kube_resources[i].kind, kind) && !strcmp(want, av);

		free(want);
		if (ok)
			return &sim_kube_resources[i];
	}
	return NULL;
}

static void control_objects(struct sim_kube *k, struct sim_req *req, json_t *body,
			    struct sim_resp *resp)
{
	json_t *list = json_is_array(body) ? json_incref(body) : json_pack("[O]", body), *obj;
	size_t i, created = 0;

	json_array_foreach(list, i, obj) {
		const struct sim_kube_res *res = res_of_object(obj);
		const char *ns = json_string_value(json_object_get(json_object_get(obj, "metadata"),
								   "namespace"));
		struct sim_kube_call c = { .k = k, .res = res, .req = req, .resp = resp, .seed = true };

		if (!res) {
			control_error(resp, 400, "each object needs a served kind and apiVersion");
			goto out;
		}
		c.ns = res->namespaced ? (ns && *ns ? ns : "default") : NULL;
		c.warnings = json_array();
		sim_kube_create_obj(&c, obj);
		json_decref(c.warnings);
		if (resp->status != 201)
			goto out;
		created++;
	}
	sim_resp_json(resp, 201, json_pack("{s:I}", "created", (json_int_t)created));
out:
	json_decref(list);
}

static void control_touch(struct sim_kube *k, json_t *body, struct sim_resp *resp)
{
	const char *r = json_string_value(json_object_get(body, "resource"));
	const char *ns = json_string_value(json_object_get(body, "namespace"));
	const char *name = json_string_value(json_object_get(body, "name"));
	const struct sim_kube_res *res = NULL;
	uint64_t rv;

	for (size_t i = 0; r && i < SIM_KUBE_NRES; i++)
		if (!strcmp(sim_kube_resources[i].plural, r))
			res = &sim_kube_resources[i];
	if (!res || !name || sim_kube_touch(k, res, ns, name, &rv)) {
		control_error(resp, 404, "no such object");
		return;
	}
	sim_resp_json(resp, 200, json_pack("{s:o}", "resourceVersion", json_sprintf("%" PRIu64, rv)));
}

static void control(struct sim_kube *k, struct sim_req *req, struct sim_resp *resp)
{
	json_t *body = sim_body_json(req);

	if (strcmp(req->method, "POST")) {
		control_error(resp, 405, "control endpoints take POST");
	} else if (!json_is_object(body) &&
		   !(json_is_array(body) && !strcmp(req->path, "/_sim/kube/objects"))) {
		control_error(resp, 400, "body must be a JSON object");
	} else if (!strcmp(req->path, "/_sim/kube/tokens")) {
		control_tokens(k, body, resp);
	} else if (!strcmp(req->path, "/_sim/kube/tokens/expire")) {
		control_token_state(k, body, resp, false);
	} else if (!strcmp(req->path, "/_sim/kube/tokens/revoke")) {
		control_token_state(k, body, resp, true);
	} else if (!strcmp(req->path, "/_sim/kube/objects")) {
		control_objects(k, req, body, resp);
	} else if (!strcmp(req->path, "/_sim/kube/touch")) {
		control_touch(k, body, resp);
	} else {
		control_error(resp, 404, "no such control endpoint");
	}
	json_decref(body);
}

/* ---- the handler ------------------------------------------------------------------------ */

static void add_warnings(struct sim_resp *resp, const json_t *warnings)
{
	size_t i;
	json_t *w;

	json_array_foreach(warnings, i, w) {
		struct berth_buf b = BERTH_BUF_INIT;

		berth_buf_addstr(&b, "299 - \"");
		for (const char *p = json_string_value(w); *p; p++) {
			if (*p == '"' || *p == '\\')
				berth_buf_addch(&b, '\\');
			berth_buf_addch(&b, *p);
		}
		berth_buf_addch(&b, '"');
		sim_resp_header(resp, "Warning", b.buf);
		berth_buf_release(&b);
	}
}

static void version(struct sim_resp *resp)
{
	sim_resp_json(resp, 200,
		      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "major", "1", "minor",
				"31", "gitVersion", "v1.31.0", "gitCommit", "berth-sim", "gitTreeState",
				"clean", "buildDate", "2024-08-13T00:00:00Z", "goVersion", "go1.22.5",
				"compiler", "gc", "platform", "linux/amd64"));
}

/* The singular name of a resource, for discovery. */
static const char *singular(const struct sim_kube_res *res)
{
	switch (res->id) {
	case SIM_KUBE_NAMESPACES:
		return "namespace";
	case SIM_KUBE_SECRETS:
		return "secret";
	case SIM_KUBE_INGRESSES:
		return "ingress";
	default:
		return "lease";
	}
}

/*
 * Legacy discovery (/api, /apis, /api/v1, /apis/GROUP/v1), enough for
 * kubectl and client-go to find the served resources. Returns false when
 * path is not a discovery document.
 */
static bool discovery(struct sim_kube *k, const char *path, struct sim_resp *resp)
{
	static const char *const groups[] = { "networking.k8s.io", "coordination.k8s.io", NULL };
	const char *group = NULL;
	json_t *doc, *list;

	if (!strcmp(path, "/api") || !strcmp(path, "/api/")) {
		char addr[64];

		snprintf(addr, sizeof(addr), "127.0.0.1:%u", (unsigned)k->api->port);
		sim_resp_json(resp, 200, json_pack("{s:s, s:[s], s:[{s:s, s:s}]}", "kind", "APIVersions",
						   "versions", "v1", "serverAddressByClientCIDRs",
						   "clientCIDR", "0.0.0.0/0", "serverAddress", addr));
		return true;
	}
	if (!strcmp(path, "/apis") || !strcmp(path, "/apis/")) {
		list = json_array();
		for (size_t i = 0; groups[i]; i++) {
			char *gv = xasprintf("%s/v1", groups[i]);

			json_array_append_new(list, json_pack("{s:s, s:[{s:s, s:s}], s:{s:s, s:s}}",
							      "name", groups[i], "versions",
							      "groupVersion", gv, "version", "v1",
							      "preferredVersion", "groupVersion", gv,
							      "version", "v1"));
			free(gv);
		}
		sim_resp_json(resp, 200, json_pack("{s:s, s:s, s:o}", "kind", "APIGroupList",
						   "apiVersion", "v1", "groups", list));
		return true;
	}
	if (!strcmp(path, "/api/v1"))
		group = "";
	for (size_t i = 0; groups[i] && !group; i++) {
		char *p = xasprintf("/apis/%s/v1", groups[i]);

		if (!strcmp(path, p))
			group = groups[i];
		free(p);
	}
	if (!group)
		return false;
	list = json_array();
	for (size_t i = 0; i < SIM_KUBE_NRES; i++) {
		const struct sim_kube_res *res = &sim_kube_resources[i];
		json_t *verbs;

		if (strcmp(res->group, group))
			continue;
		verbs = res->namespaced ? json_pack("[s,s,s,s,s,s,s]", "create", "delete",
						    "deletecollection", "get", "list", "patch", "update")
					: json_pack("[s,s,s,s,s,s]", "create", "delete", "get", "list",
						    "patch", "update");
		json_t *r = json_pack("{s:s, s:s, s:b, s:s, s:o}", "name", res->plural, "singularName",
				      singular(res), "namespaced", res->namespaced, "kind", res->kind,
				      "verbs", verbs);

		if (res->id == SIM_KUBE_NAMESPACES)
			json_object_set_new(r, "shortNames", json_pack("[s]", "ns"));
		else if (res->id == SIM_KUBE_INGRESSES)
			json_object_set_new(r, "shortNames", json_pack("[s]", "ing"));
		json_array_append_new(list, r);
	}
	doc = json_pack("{s:s, s:s, s:s, s:o}", "kind", "APIResourceList", "apiVersion", "v1",
			"groupVersion", *group ? "" : "v1", "resources", list);
	if (*group)
		json_object_set_new(doc, "groupVersion", json_sprintf("%s/v1", group));
	sim_resp_json(resp, 200, doc);
	return true;
}

/*
 * Make a JSON body look like Go's encoding/json Encoder wrote it, as the
 * apiserver's serializer does: '<', '>' and '&' escaped (they only occur
 * inside strings), and a trailing newline. Content-Type application/json,
 * without a charset.
 */
static void go_json_body(struct sim_resp *resp)
{
	struct berth_buf out = BERTH_BUF_INIT;
	const char *p = resp->body.buf, *end = p + resp->body.len;

	/* Copy the runs between those characters whole: a list page is half a megabyte. */
	berth_buf_grow(&out, resp->body.len + 1);
	while (p < end) {
		size_t run = strcspn(p, "<>&");

		if (run > (size_t)(end - p))
			run = (size_t)(end - p);
		berth_buf_add(&out, p, run);
		p += run;
		if (p >= end)
			break;
		if (*p == '<')
			berth_buf_addstr(&out, "\\u003c");
		else if (*p == '>')
			berth_buf_addstr(&out, "\\u003e");
		else if (*p == '&')
			berth_buf_addstr(&out, "\\u0026");
		else
			berth_buf_addch(&out, *p); /* a NUL byte stopped strcspn */
		p++;
	}
	berth_buf_addch(&out, '\n');
	berth_buf_release(&resp->body);
	resp->body = out;
	resp->content_type = xstrdup("application/json");
}

static void kube_handler(struct sim_api *api, struct sim_req *req, struct sim_resp *resp)
{
	struct sim_kube *k = api->state;
	struct sim_kube_call c = { .k = k, .req = req, .resp = resp };
	struct identity id;
	struct route r;
	struct attrs a;
	const char *dry = sim_param(req, "dryRun"), *fv = sim_param(req, "fieldValidation");
	char audit[37];

	memset(&r, 0, sizeof(r));
	if (!strncmp(req->path, "/_sim/", 6)) {
		control(k, req, resp);
		return;
	}
	sim_kube_uuid(audit);
	sim_resp_header(resp, "Audit-Id", audit);
	if (authenticate(k, req, &id)) {
		sim_kube_status(resp, 401, "Unauthorized", NULL, "Unauthorized");
		goto out;
	}
	parse_route(req->path, &r);
	if (!r.api) {
		if (!strcmp(req->path, "/version") && !strcmp(req->method, "GET"))
			version(resp);
		else if (strcmp(req->method, "GET") || !discovery(k, req->path, resp))
			sim_kube_generic(resp, 404, "the server could not find the requested resource");
		goto out;
	}
	a.verb = verb_of(req->method, &r, req);
	a.group = r.group;
	a.resource = r.resource;
	a.subresource = r.sub;
	a.ns = r.ns;
	a.name = r.name;
	if (!authorized(&id, &a)) {
		forbidden(resp, &id, &a);
		goto out;
	}
	if (!r.res) {
		sim_kube_generic(resp, 404, "the server could not find the requested resource");
		goto out;
	}
	if (!strcmp(a.verb, "watch")) {
		sim_kube_status(resp, 501, NULL, json_object(), "watch is not simulated by berth-sim");
		goto out;
	}
	if (req->body.len > (size_t)MAX_BODY) {
		sim_kube_generic(resp, 413, "the server has rejected the request because the request "
					    "body is too large");
		goto out;
	}
	c.res = r.res;
	c.ns = r.res->namespaced ? r.ns : NULL;
	c.name = r.name;
	c.subresource = r.sub;
	c.dry_run = dry && !strcmp(dry, "All");
	c.strict = fv && !strcmp(fv, "Strict");
	c.warnings = json_array();
	serve_resource(&c, req->method);
	if (!(fv && !strcmp(fv, "Ignore")))
		add_warnings(resp, c.warnings);
	json_decref(c.warnings);
out:
	route_release(&r);
	identity_release(&id);
	if (!resp->content_type && !resp->no_body)
		go_json_body(resp);
}

/* ---- module ------------------------------------------------------------------------------ */

struct sim_api *sim_kube_create(struct sim_world *w)
{
	struct sim_api *api = xcalloc(1, sizeof(*api));
	struct sim_kube *k = xcalloc(1, sizeof(*k));
	struct sim_kube_user *admin;

	(void)w;
	for (size_t i = 0; i < SIM_KUBE_NRES; i++)
		k->store[i] = json_object();
	sim_random_alnum(k->admin_token, 40);
	admin = add_user(k, k->admin_token, "sim-admin");
	admin->admin = true;
	json_array_append_new(admin->groups, json_string("system:masters"));
	json_array_append_new(admin->groups, json_string("system:authenticated"));
	make_client_pki(k);
	sim_kube_seed(k);
	k->api = api;
	api->name = "kube";
	api->handler = kube_handler;
	api->state = k;
	api->client_ca_pem = k->client_ca_pem;
	return api;
}

static void yaml_b64(struct berth_buf *out, const char *key, const char *pem)
{
	berth_buf_addf(out, "%s: ", key);
	berth_base64_encode(out, pem, strlen(pem));
	berth_buf_addch(out, '\n');
}

/* DIR/kubeconfig (0600): cluster sim, users sim-admin (token) and sim-admin-cert. */
static int write_kubeconfig(struct sim_kube *k, const char *path, const char *url)
{
	struct berth_buf ca = BERTH_BUF_INIT, y = BERTH_BUF_INIT;
	struct berth_err err = BERTH_ERR_INIT;
	int ret = -1;

	if (berth_file_read(&ca, k->api->world->ca_file, 1 << 20, &err)) {
		fprintf(stderr, "berth-sim: kube: %s\n", err.msg);
		goto out;
	}
	berth_buf_addstr(&y, "apiVersion: v1\nkind: Config\npreferences: {}\nclusters:\n");
	berth_buf_addf(&y, "- name: sim\n  cluster:\n    server: %s\n", url);
	yaml_b64(&y, "    certificate-authority-data", ca.buf);
	berth_buf_addstr(&y, "users:\n- name: sim-admin\n  user:\n");
	berth_buf_addf(&y, "    token: %s\n", k->admin_token);
	berth_buf_addstr(&y, "- name: sim-admin-cert\n  user:\n");
	yaml_b64(&y, "    client-certificate-data", k->client_cert_pem);
	yaml_b64(&y, "    client-key-data", k->client_key_pem);
	berth_buf_addstr(&y, "contexts:\n"
			     "- name: sim\n  context:\n    cluster: sim\n    user: sim-admin\n"
			     "    namespace: default\n"
			     "- name: sim-cert\n  context:\n    cluster: sim\n    user: sim-admin-cert\n"
			     "    namespace: default\n"
			     "current-context: sim\n");
	if (berth_file_write_atomic(path, y.buf, y.len, 0600, &err)) {
		fprintf(stderr, "berth-sim: kube: %s\n", err.msg);
		goto out;
	}
	ret = 0;
out:
	berth_buf_wipe(&y);
	berth_buf_release(&ca);
	return ret;
}

json_t *sim_kube_describe(struct sim_api *api)
{
	struct sim_kube *k = api->state;
	char *url = sim_api_url(api);
	char *path = xasprintf("%s/kubeconfig", api->world->dir);
	json_t *d;

	if (write_kubeconfig(k, path, url))
		BERTH_BUG("cannot write %s", path);
	d = json_pack("{s:s, s:s, s:s}", "url", url, "token", k->admin_token, "kubeconfig", path);
	free(path);
	free(url);
	return d;
}
