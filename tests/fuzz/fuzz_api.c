/*
 * fuzz_api.c - the Harbor, Kubernetes and Vault clients and the Vault and
 * Kubernetes store backends against a scripted server (http_fake.c), so
 * that every decoder of a server response is reached: status handling,
 * envelopes, pagination headers, login and KV detection, Secrets, Leases.
 *
 * Input: byte 0 picks the call, byte 1 its variant (auth method, KV
 * version, entry version, canary mode), then the responses in order,
 * separated by "\n===\n", each
 *     STATUS
 *     Header: value      (X-Total-Count, Retry-After, Link, WWW-Authenticate)
 *     <empty line>
 *     body
 * (a response without a status line is a 200 with that body).
 *
 * Invariants: the call returns 0 or one of berth's codes, with err.code and
 * a message when it fails; it sends no more requests than the responses
 * it was given plus the one that finds the script spent (plus the pages
 * already in flight when a parallel list fails), so no lying server makes
 * it loop or page without end; everything is freed. In canary mode every string
 * a response holds under a credential key (secret, token, client_token,
 * ...) is replaced by a canary first: no canary may reach an error
 * message.
 */
#include "compat.h"
#include "fuzz.h"
#include "http_fake.h"
#include "buf.h"
#include "config.h"
#include "err.h"
#include "harbor.h"
#include "json.h"
#include "kube.h"
#include "model.h"
#include "secret.h"
#include "store.h"
#include "util.h"
#include "vault.h"
#include "xalloc.h"

#include <sys/stat.h>
#include <unistd.h>

#define MAX_RESPONSES 64
#define CANARY "Cnry"

static char *sa_dir; /* service-account files and secret files for the clients */

static void write_file(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", sa_dir, name);
	FILE *f = fopen(path, "w");

	BERTH_FUZZ_CHECK(f && fputs(text, f) >= 0 && !fclose(f), path);
	free(path);
}

static void remove_files(void)
{
	static const char *const names[] = { "token", "namespace", "vault-token", "role-id", "secret-id" };

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(names); i++) {
		char *path = xasprintf("%s/%s", sa_dir, names[i]);

		unlink(path);
		free(path);
	}
	rmdir(sa_dir);
}

static void setup_once(void)
{
	static char tmpl[] = "/tmp/berth-fuzz-api-XXXXXX";

	if (sa_dir)
		return;
	sa_dir = mkdtemp(tmpl);
	BERTH_FUZZ_CHECK(sa_dir, "mkdtemp");
	atexit(remove_files);
	write_file("token", "sa-token-value\n");
	write_file("namespace", "berth\n");
	write_file("vault-token", "hvs.static-token\n");
	write_file("role-id", "role-id-value\n");
	write_file("secret-id", "secret-id-value\n");
	/* In-cluster Kubernetes, from these files (kube.c in_cluster()). */
	setenv("KUBERNETES_SERVICE_HOST", "kube.test", 1);
	setenv("BERTH_SA_DIR", sa_dir, 1);
	unsetenv("KUBERNETES_SERVICE_PORT");
	unsetenv("POD_NAMESPACE");
	unsetenv("HOME");
}

/* ---- the script -------------------------------------------------------------- */

struct script {
	struct berth_fake_resp v[MAX_RESPONSES];
	char *text[MAX_RESPONSES];     /* owned: headers and bodies point into these */
	char *planted[MAX_RESPONSES];  /* owned: bodies with canaries */
	size_t n;
};

static bool credential_key(const char *key)
{
	static const char *const keys[] = {
		"secret", "pending_secret", "password", "token", "access_token", "refresh_token",
		"client_token", "accessor", "jwt", "secret_id", "auth",
	};

	for (size_t i = 0; i < BERTH_ARRAY_SIZE(keys); i++)
		if (!strcmp(key, keys[i]))
			return true;
	return false;
}

/* Replace the strings under credential keys (at any depth) by canaries. */
static void plant(json_t *v, bool hidden, unsigned *n)
{
	const char *key;
	json_t *val;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, key, val) {
			if ((hidden || credential_key(key)) && json_is_string(val)) {
				char c[32];

				snprintf(c, sizeof(c), CANARY "%u" CANARY, (*n)++);
				json_object_set_new(v, key, json_string(c));
			} else {
				plant(val, hidden || credential_key(key), n);
			}
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, val) {
			if (hidden && json_is_string(val)) {
				char c[32];

				snprintf(c, sizeof(c), CANARY "%u" CANARY, (*n)++);
				json_array_set_new(v, i, json_string(c));
			} else {
				plant(val, hidden, n);
			}
		}
	}
}

static void add_response(struct script *s, char *text, size_t len, bool canaries, unsigned *planted)
{
	struct berth_fake_resp *r = &s->v[s->n];
	char *p = text, *end = text + len, *nl;
	long long num;

	s->text[s->n++] = text;
	r->status = 200;
	r->total_count = -1;
	r->retry_after_s = -1;
	nl = memchr(p, '\n', (size_t)(end - p));
	if (nl && nl - p <= 3 && nl > p) {
		*nl = '\0';
		if (!berth_parse_long(p, 0, 999, &num)) {
			r->status = (long)num;
			p = nl + 1;
			/* Headers up to an empty line. */
			while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) && nl > p) {
				*nl = '\0';
				if (berth_starts_with(p, "X-Total-Count: ") &&
				    !berth_parse_long(p + 15, 0, INT64_MAX, &num))
					r->total_count = num;
				else if (berth_starts_with(p, "Retry-After: ") &&
					 !berth_parse_long(p + 13, 0, 86400 * 7, &num))
					r->retry_after_s = (long)num;
				else if (berth_starts_with(p, "Link: "))
					r->link = p + 6;
				else if (berth_starts_with(p, "WWW-Authenticate: "))
					r->www_authenticate = p + 18;
				p = nl + 1;
			}
			if (p < end && *p == '\n')
				p++;
		} else {
			*nl = '\n';
		}
	}
	r->body = p;
	r->len = (size_t)(end - p);
	if (canaries) {
		json_t *doc = json_loadb(r->body, r->len, 0, NULL);
		struct berth_buf b = BERTH_BUF_INIT;

		if (doc) {
			plant(doc, false, planted);
			BERTH_FUZZ_CHECK(!berth_json_dump(&b, doc, JSON_COMPACT), NULL);
			s->planted[s->n - 1] = berth_buf_detach(&b, &r->len);
			r->body = s->planted[s->n - 1];
			json_decref(doc);
		}
	}
}

static void parse_script(struct script *s, const char *data, size_t size, bool canaries, unsigned *planted)
{
	const char *p = data, *end = data + size;

	memset(s, 0, sizeof(*s));
	while (p <= end && s->n < MAX_RESPONSES) {
		const char *sep = memmem(p, (size_t)(end - p), "\n===\n", 5);
		const char *stop = sep ? sep : end;
		char *text = xmalloc((size_t)(stop - p) + 1);

		memcpy(text, p, (size_t)(stop - p));
		text[stop - p] = '\0';
		add_response(s, text, (size_t)(stop - p), canaries, planted);
		if (!sep)
			break;
		p = sep + 5;
	}
}

static void free_script(struct script *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->text[i]);
		free(s->planted[i]);
	}
}

/* ---- the calls --------------------------------------------------------------- */

static struct berth_secret *secret(const char *s)
{
	return berth_secret_from_str(s);
}

static int harbor_call(int op, unsigned variant, struct berth_err *err)
{
	struct berth_secret *pw = secret("Harbor12345"), *rs = secret("RobotS3cretValue1");
	struct berth_harbor_opts o = { .url = "https://harbor.test", .username = "admin", .password = pw,
				       .max_retries = 0 };
	struct berth_harbor *h = NULL;
	int ret = berth_harbor_new(&h, &o, err);

	if (ret)
		goto out;
	switch (op) {
	case 0: {
		bool admin;

		ret = berth_harbor_whoami(h, &admin, err);
		break;
	}
	case 1: {
		char *prefix = NULL;

		ret = berth_harbor_robot_prefix(h, &prefix, err);
		BERTH_FUZZ_CHECK(ret || prefix, "no prefix");
		free(prefix);
		break;
	}
	case 2: {
		struct berth_project_list l = { 0 };

		ret = berth_harbor_project_list(h, &l, err);
		berth_project_list_release(&l);
		break;
	}
	case 3:
	case 4: {
		struct berth_robot_list l = { 0 };

		ret = op == 3 ? berth_harbor_robot_list_system(h, &l, 1, err)
			      : berth_harbor_robot_list_project(h, 5, &l, 1, err);
		berth_robot_list_release(&l);
		break;
	}
	case 5: {
		struct berth_robot r;

		ret = berth_harbor_robot_get(h, 42, &r, err);
		berth_robot_release(&r);
		break;
	}
	case 6: {
		struct berth_access acc[] = { { "repository", "pull", NULL }, { "repository", "push", NULL } };
		struct berth_permission perm = { "project", "library", acc, 2 };
		struct berth_robot_spec spec = { .name = "ci", .description = "ci [berth:berth]",
						 .level = "project", .duration = -1, .perms = &perm,
						 .nperms = 1 };
		struct berth_robot_created c = { 0 };

		ret = berth_harbor_robot_create(h, &spec, &c, err);
		BERTH_FUZZ_CHECK(ret || c.name, "created robot without a name");
		berth_robot_created_release(&c);
		break;
	}
	case 7: {
		struct berth_robot r = { .id = 42, .name = "robot$library+ci", .description = "d",
					 .level = "project", .duration = 30 };

		ret = variant & 4 ? berth_harbor_robot_update(h, &r, err)
				  : berth_harbor_robot_set_secret(h, 42, rs, err);
		break;
	}
	case 8:
		ret = berth_harbor_robot_delete(h, 42, err);
		break;
	default: {
		static const char *const scopes[] = { "repository:library/app:push,pull" };
		struct berth_token_grant g;

		ret = berth_harbor_token(h, "robot$library+ci", rs, scopes, variant & 4 ? 1 : 0, &g, err);
		berth_token_grant_release(&g);
		break;
	}
	}
out:
	berth_harbor_free(h);
	berth_secret_free(pw);
	berth_secret_free(rs);
	return ret;
}

static void fill_secret(struct berth_kube_secret *s)
{
	struct berth_secret *v = secret("{\"auths\":{}}");

	memset(s, 0, sizeof(*s));
	s->ns = xstrdup("ci");
	s->name = xstrdup("harbor-pull");
	s->type = xstrdup("kubernetes.io/dockerconfigjson");
	s->resource_version = xstrdup("7");
	berth_kube_secret_set_label(s, "app.kubernetes.io/managed-by", "berth");
	berth_kube_secret_set_annotation(s, "berth.dev/robot-login", "robot$ci");
	berth_kube_secret_set_data(s, ".dockerconfigjson", v);
	berth_secret_free(v);
}

static int kube_call(struct berth_kube *k, int op, unsigned variant, struct berth_err *err)
{
	int ret;

	switch (op) {
	case 0: {
		struct berth_kube_secret_list l = { 0 };

		ret = berth_kube_secret_list(k, "ci", variant & 4 ? "app.kubernetes.io/managed-by=berth" : NULL,
					     &l, err);
		berth_kube_secret_list_release(&l);
		break;
	}
	case 1: {
		struct berth_kube_secret s;

		ret = berth_kube_secret_get(k, "ci", "harbor-pull", &s, err);
		berth_kube_secret_release(&s);
		break;
	}
	case 2: {
		struct berth_kube_secret s;

		fill_secret(&s);
		ret = variant & 4 ? berth_kube_secret_update(k, &s, err) : berth_kube_secret_create(k, &s, err);
		berth_kube_secret_release(&s);
		break;
	}
	case 3:
		ret = berth_kube_secret_delete(k, "ci", "harbor-pull", variant & 4 ? "7" : NULL, err);
		break;
	case 4: {
		struct berth_secret *v = NULL;

		ret = berth_kube_secret_value(&v, k, "ci", "harbor-pull", ".dockerconfigjson", err);
		BERTH_FUZZ_CHECK(ret || v, "no value");
		berth_secret_free(v);
		break;
	}
	case 5: {
		char **names = NULL;
		size_t n = 0;

		ret = berth_kube_namespace_list(k, variant & 4 ? "team=a" : NULL, &names, &n, err);
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		break;
	}
	case 6: {
		char *host = NULL;
		bool tls;

		ret = berth_kube_ingress_host(k, "harbor", "harbor-ingress", &host, &tls, err);
		BERTH_FUZZ_CHECK(ret || (host && *host), "no host");
		free(host);
		break;
	}
	default: {
		struct berth_kube_lease l = { 0 };

		if (variant & 4) {
			ret = berth_kube_lease_get(k, "berth", "berth-leader", &l, err);
		} else {
			l.ns = xstrdup("berth");
			l.name = xstrdup("berth-leader");
			l.holder = xstrdup("pod-a");
			l.duration_s = 30;
			l.resource_version = variant & 8 ? xstrdup("12") : NULL;
			ret = variant & 8 ? berth_kube_lease_update(k, &l, err) : berth_kube_lease_create(k, &l, err);
		}
		berth_kube_lease_release(&l);
		break;
	}
	}
	return ret;
}

static struct berth_store_entry *entry(unsigned variant)
{
	struct berth_store_entry *e = berth_store_entry_new();

	e->name = xstrdup("robot$ci");
	e->secret = secret("ActiveS3cretValue1");
	e->pending = variant & 16 ? secret("PendingS3cretValue") : NULL;
	e->registry = xstrdup("harbor.test");
	e->owner = xstrdup("berth");
	e->robot_id = 42;
	e->rotated_at = 1767607200;
	e->version = variant & 32 ? 3 : 0;
	e->extra = variant & 64 ? xstrdup(variant & 32 ? "{\"berth_owner\":\"berth\"}" : "17") : NULL;
	return e;
}

static int store_call(struct berth_store *s, int op, unsigned variant, struct berth_err *err)
{
	struct berth_store_entry *e = NULL;
	int ret;

	switch (op) {
	case 0:
		ret = berth_store_get(s, "harbor/ci-robot-account", &e, err);
		BERTH_FUZZ_CHECK(ret || e, "no entry");
		BERTH_FUZZ_CHECK(!ret || !e, "an entry and an error");
		break;
	case 1:
		e = entry(variant);
		ret = berth_store_put(s, "harbor/ci-robot-account", e, err);
		break;
	case 2:
		ret = berth_store_remove(s, "harbor/ci-robot-account", err);
		break;
	default:
		ret = berth_store_ping(s, err);
		break;
	}
	berth_store_entry_free(e);
	return ret;
}

static void vault_config(struct berth_vault_config *c, unsigned variant)
{
	char *tok = xasprintf("%s/vault-token", sa_dir), *role = xasprintf("%s/role-id", sa_dir);
	char *sid = xasprintf("%s/secret-id", sa_dir), *jwt = xasprintf("%s/token", sa_dir);

	memset(c, 0, sizeof(*c));
	c->address = xstrdup("https://vault.test:8200");
	c->mount = xstrdup("secret");
	c->kv_version = (int)((variant >> 2) % 3);
	switch ((variant >> 4) % 3) {
	case 0:
		c->auth = BERTH_VAULT_AUTH_TOKEN;
		c->token.kind = BERTH_REF_FILE;
		c->token.file = tok;
		tok = NULL;
		break;
	case 1:
		c->auth = BERTH_VAULT_AUTH_KUBERNETES;
		c->k8s_role = xstrdup("berth");
		c->k8s_token_file = jwt;
		jwt = NULL;
		break;
	default:
		c->auth = BERTH_VAULT_AUTH_APPROLE;
		c->role_id.kind = BERTH_REF_FILE;
		c->role_id.file = role;
		c->secret_id.kind = BERTH_REF_FILE;
		c->secret_id.file = sid;
		role = sid = NULL;
		break;
	}
	free(tok);
	free(role);
	free(sid);
	free(jwt);
}

static void vault_config_release(struct berth_vault_config *c)
{
	free(c->address);
	free(c->mount);
	free(c->k8s_role);
	free(c->k8s_token_file);
	free(c->token.file);
	free(c->role_id.file);
	free(c->secret_id.file);
}

static int vault_call(int op, unsigned variant, struct berth_err *err)
{
	struct berth_vault_config cfg;
	struct berth_vault *v = NULL;
	struct berth_store *s = NULL;
	int ret;

	vault_config(&cfg, variant);
	if (op < 2) {
		ret = berth_vault_new(&v, &cfg, NULL, 0, err);
		if (!ret)
			ret = op ? berth_vault_login(v, err) : berth_vault_health(v, err);
		BERTH_FUZZ_CHECK(ret || op == 0 || berth_vault_kv_version(v) == 1 ||
				 berth_vault_kv_version(v) == 2, "logged in without a KV version");
	} else {
		ret = berth_store_vault_new(&s, &cfg, NULL, 0, err);
		if (!ret)
			ret = store_call(s, op - 2, variant, err);
	}
	berth_store_free(s);
	berth_vault_free(v);
	vault_config_release(&cfg);
	return ret;
}

static int kube_or_store_call(int op, unsigned variant, struct berth_err *err)
{
	struct berth_kube_config cfg = { 0 };
	struct berth_kube *k = NULL;
	struct berth_store *s = NULL;
	int ret = berth_kube_new(&k, &cfg, err);

	BERTH_FUZZ_CHECK(!ret, err->msg);
	if (op < 8) {
		ret = kube_call(k, op, variant, err);
	} else {
		ret = berth_store_kube_new(&s, k, variant & 128 ? "store" : NULL, "berth", err);
		if (!ret)
			ret = store_call(s, op - 8, variant, err);
	}
	berth_store_free(s);
	berth_kube_free(k);
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_err err = BERTH_ERR_INIT;
	struct script s;
	unsigned planted = 0, variant;
	bool canaries;
	int op, ret;

	if (size < 2)
		return 0;
	setup_once();
	op = data[0] % 28;
	variant = data[1];
	canaries = variant & 2;
	if (canaries && memmem(data + 2, size - 2, CANARY, strlen(CANARY)))
		return 0;
	parse_script(&s, (const char *)data + 2, size - 2, canaries, &planted);
	berth_fake_http_script(s.v, s.n);

	if (op < 10)
		ret = harbor_call(op, variant, &err);
	else if (op < 22)
		ret = kube_or_store_call(op - 10, variant, &err);
	else
		ret = vault_call(op - 22, variant, &err);

	BERTH_FUZZ_CHECK(ret <= 0 && ret >= BERTH_EIO, err.msg);
	BERTH_FUZZ_CHECK(!ret || (err.code == ret && err.msg[0]), err.msg);
	/* Projects are listed 4 pages at a time: up to 3 more may be in flight when one fails. */
	BERTH_FUZZ_CHECK(berth_fake_http_requests() <= s.n + 1 + (op == 2 ? 3 : 0),
			 "more requests than responses");
	BERTH_FUZZ_CHECK(!canaries || !strstr(err.msg, CANARY), err.msg);
	berth_fake_http_script(NULL, 0);
	free_script(&s);
	return 0;
}
