/*
 * test_config.c - berth.yaml loading: every key and default, environment
 * defaults, relative paths, the examples, the permission catalogue, and the
 * table of malformed files in tests/data/config/bad/ (one test each).
 */
#include "compat.h"
#include "config.h"

#include <dirent.h>
#include <setjmp.h>
#include <cmocka.h>

#include "buf.h"
#include "err.h"
#include "util.h"
#include "xalloc.h"

/* Every variable the loader reads; cleared before each test. */
static const char *const env_vars[] = {
	"HARBOR_URL", "HARBOR_USERNAME", "VAULT_ADDR", "VAULT_AGENT_ADDR",
	"VAULT_NAMESPACE", "VAULT_CACERT", "VAULT_TOKEN", "KUBECONFIG",
};

static int clear_env(void **state)
{
	(void)state;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(env_vars); i++)
		unsetenv(env_vars[i]);
	return 0;
}

#define HARBOR "harbor:\n  url: https://harbor.example.com\n  password: {env: HARBOR_PASSWORD}\n"
#define PERMS \
	"    permissions:\n" \
	"      - kind: project\n" \
	"        namespace: \"*\"\n" \
	"        access:\n" \
	"          - {resource: repository, action: pull}\n"

static struct berth_config *parse_ok(const char *name, const char *yaml)
{
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_config *cfg = NULL;
	int ret;

	ret = berth_config_parse(&cfg, name, yaml, strlen(yaml), &err);
	if (ret)
		fail_msg("unexpected error %d: %s", ret, err.msg);
	assert_non_null(cfg);
	return cfg;
}

/* The load fails with BERTH_ECONFIG and one line that starts with "name:where: " and holds want. */
static void parse_bad(const char *yaml, const char *where, const char *want)
{
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_config *cfg = NULL;
	char prefix[64];
	int ret;

	ret = berth_config_parse(&cfg, "t.yaml", yaml, strlen(yaml), &err);
	assert_int_equal(ret, BERTH_ECONFIG);
	assert_int_equal(err.code, BERTH_ECONFIG);
	assert_null(cfg);
	snprintf(prefix, sizeof(prefix), "t.yaml:%s: ", where);
	if (!berth_starts_with(err.msg, prefix) || !strstr(err.msg, want))
		fail_msg("got '%s', want prefix '%s' and '%s'", err.msg, prefix, want);
	assert_null(strchr(err.msg, '\n'));
}

static void test_config_minimal_defaults(void **state)
{
	struct berth_config *cfg;
	const struct berth_robot_config *r;

	(void)state;
	cfg = parse_ok("berth.yaml", HARBOR "robots:\n  - name: tekton\n" PERMS);
	assert_string_equal(cfg->path, "berth.yaml");
	assert_string_equal(cfg->dir, ".");
	assert_string_equal(cfg->owner, "berth");

	assert_string_equal(cfg->harbor.url, "https://harbor.example.com");
	assert_null(cfg->harbor.ingress_namespace);
	assert_null(cfg->harbor.ingress_name);
	assert_int_equal(cfg->harbor.ingress_port, 0);
	assert_null(cfg->harbor.registry);
	assert_string_equal(cfg->harbor.username, "admin");
	assert_int_equal(cfg->harbor.password.kind, BERTH_REF_ENV);
	assert_string_equal(cfg->harbor.password.env, "HARBOR_PASSWORD");
	assert_int_equal(cfg->harbor.password.pos.line, 3);
	assert_int_equal(cfg->harbor.password.pos.column, 13);
	assert_ptr_equal(cfg->harbor.password.pos.file, cfg->path);
	assert_null(cfg->harbor.ca_file);
	assert_false(cfg->harbor.insecure_skip_tls_verify);
	assert_false(cfg->harbor.allow_plain_http);
	assert_null(cfg->harbor.robot_name_prefix);
	assert_int_equal(cfg->harbor.timeout_s, 60);
	assert_int_equal(cfg->harbor.pos.line, 1);
	assert_int_equal(cfg->harbor.pos.column, 1);

	assert_int_equal(cfg->store.kind, BERTH_STORE_FILE);
	assert_string_equal(cfg->store.file_dir, ".berth/store");
	assert_int_equal(cfg->store.pos.line, 0);
	assert_null(cfg->kube.kubeconfig);
	assert_null(cfg->kube.context);
	assert_false(cfg->kube.insecure_skip_tls_verify);

	assert_int_equal(cfg->nrobots, 1);
	r = &cfg->robots[0];
	assert_string_equal(r->name, "tekton");
	assert_string_equal(r->level, "system");
	assert_null(r->project);
	assert_string_equal(r->description, "");
	assert_int_equal(r->duration, -1);
	assert_false(r->disable);
	assert_false(r->adopt);
	assert_string_equal(r->store_path, "harbor/tekton-robot-account");
	assert_false(r->rotate.set);
	assert_int_equal(r->rotate.slots, 1);
	assert_int_equal(r->rotate.every_s, 0);
	assert_int_equal(r->rotate.before_expiry_s, 72 * 3600);
	assert_int_equal(r->rotate.overlap_s, 0);
	assert_int_equal(r->nsecrets, 0);
	assert_int_equal(r->nfiles, 0);
	assert_int_equal(r->pos.line, 5);
	assert_int_equal(r->pos.column, 5);
	assert_int_equal(r->nperms, 1);
	assert_string_equal(r->perms[0].kind, "project");
	assert_string_equal(r->perms[0].ns, "*");
	assert_int_equal(r->perms[0].naccess, 1);
	assert_string_equal(r->perms[0].access[0].resource, "repository");
	assert_string_equal(r->perms[0].access[0].action, "pull");
	assert_null(r->perms[0].access[0].effect);
	assert_ptr_equal(berth_config_robot(cfg, "tekton"), r);
	assert_null(berth_config_robot(cfg, "tekton-a"));
	assert_null(berth_config_robot(cfg, NULL));
	berth_config_free(cfg);
}

static void test_config_every_key(void **state)
{
	static const char yaml[] =
		"owner: team-a.prod\n"
		"harbor:\n"
		"  url: https://harbor.example.com:8443/\n"
		"  registry: registry.example.com:5000\n"
		"  username: provisioner\n"
		"  password: {file: /run/secrets/harbor}\n"
		"  caFile: ca/harbor.pem\n"
		"  insecureSkipTLSVerify: true\n"
		"  allowPlainHTTP: false\n"
		"  robotNamePrefix: bot-\n"
		"  timeout: 2m30s\n"
		"store:\n"
		"  vault:\n"
		"    address: https://vault:8200\n"
		"    namespace: team-a\n"
		"    caFile: /etc/vault-ca.pem\n"
		"    mount: kv/berth\n"
		"    kvVersion: 1\n"
		"    insecureSkipTLSVerify: True\n"
		"    allowPlainHTTP: FALSE\n"
		"    auth:\n"
		"      approle:\n"
		"        mount: approle-ci\n"
		"        roleId: {file: role-id}\n"
		"        secretId: {secret: {namespace: berth, name: approle.creds, key: secret_id}}\n"
		"kubernetes:\n"
		"  kubeconfig: /home/ci/.kube/config\n"
		"  context: prod\n"
		"  insecureSkipTLSVerify: true\n"
		"robots:\n"
		"  - name: ci-pusher\n"
		"    level: project\n"
		"    project: library\n"
		"    description: 'CI pipeline: pushes'\n"
		"    duration: 90\n"
		"    disable: true\n"
		"    adopt: true\n"
		"    permissions:\n"
		"      - kind: project\n"
		"        namespace: library\n"
		"        access:\n"
		"          - {resource: repository, action: push, effect: allow}\n"
		"          - {resource: repository, action: delete, effect: deny}\n"
		"    storePath: ci/library/pusher\n"
		"    rotate:\n"
		"      every: 7d\n"
		"      beforeExpiry: 1d12h\n"
		"      slots: 2\n"
		"      overlap: 90m\n"
		"    targets:\n"
		"      secrets:\n"
		"        - namespace: ci\n"
		"          name: harbor-push\n"
		"          tektonAnnotation: true\n"
		"          adopt: true\n"
		"        - namespaceSelector:\n"
		"            matchLabels: {team: a, example.com/ci: \"true\", empty: \"\"}\n"
		"          name: harbor.push\n"
		"      files:\n"
		"        - path: out/config.json\n"
		"        - {path: /kaniko/.docker/config.json}\n";
	struct berth_config *cfg;
	const struct berth_vault_config *v;
	const struct berth_robot_config *r;
	const struct berth_secret_target *t;

	(void)state;
	cfg = parse_ok("/etc/berth/berth.yaml", yaml);
	assert_string_equal(cfg->dir, "/etc/berth");
	assert_string_equal(cfg->owner, "team-a.prod");
	assert_string_equal(cfg->harbor.url, "https://harbor.example.com:8443");
	assert_string_equal(cfg->harbor.registry, "registry.example.com:5000");
	assert_string_equal(cfg->harbor.username, "provisioner");
	assert_int_equal(cfg->harbor.password.kind, BERTH_REF_FILE);
	assert_string_equal(cfg->harbor.password.file, "/run/secrets/harbor");
	assert_string_equal(cfg->harbor.ca_file, "/etc/berth/ca/harbor.pem");
	assert_true(cfg->harbor.insecure_skip_tls_verify);
	assert_false(cfg->harbor.allow_plain_http);
	assert_string_equal(cfg->harbor.robot_name_prefix, "bot-");
	assert_int_equal(cfg->harbor.timeout_s, 150);

	assert_int_equal(cfg->store.kind, BERTH_STORE_VAULT);
	assert_int_equal(cfg->store.pos.line, 12);
	v = &cfg->store.vault;
	assert_int_equal(v->pos.line, 13);
	assert_int_equal(v->pos.column, 3);
	assert_string_equal(v->address, "https://vault:8200");
	assert_string_equal(v->namespace, "team-a");
	assert_string_equal(v->ca_file, "/etc/vault-ca.pem");
	assert_string_equal(v->mount, "kv/berth");
	assert_int_equal(v->kv_version, 1);
	assert_true(v->insecure_skip_tls_verify);
	assert_false(v->allow_plain_http);
	assert_int_equal(v->auth, BERTH_VAULT_AUTH_APPROLE);
	assert_string_equal(v->approle_mount, "approle-ci");
	assert_int_equal(v->role_id.kind, BERTH_REF_FILE);
	assert_string_equal(v->role_id.file, "/etc/berth/role-id");
	assert_int_equal(v->secret_id.kind, BERTH_REF_KUBE);
	assert_string_equal(v->secret_id.kube_namespace, "berth");
	assert_string_equal(v->secret_id.kube_name, "approle.creds");
	assert_string_equal(v->secret_id.kube_key, "secret_id");
	assert_int_equal(v->secret_id.pos.line, 25);
	assert_int_equal(v->token.kind, BERTH_REF_NONE);

	assert_string_equal(cfg->kube.kubeconfig, "/home/ci/.kube/config");
	assert_string_equal(cfg->kube.context, "prod");
	assert_true(cfg->kube.insecure_skip_tls_verify);
	assert_int_equal(cfg->kube.pos.line, 26);

	r = &cfg->robots[0];
	assert_string_equal(r->name, "ci-pusher");
	assert_string_equal(r->level, "project");
	assert_string_equal(r->project, "library");
	assert_string_equal(r->description, "CI pipeline: pushes");
	assert_int_equal(r->duration, 90);
	assert_true(r->disable);
	assert_true(r->adopt);
	assert_int_equal(r->nperms, 1);
	assert_string_equal(r->perms[0].kind, "project");
	assert_string_equal(r->perms[0].ns, "library");
	assert_int_equal(r->perms[0].naccess, 2);
	assert_string_equal(r->perms[0].access[0].effect, "allow");
	assert_string_equal(r->perms[0].access[1].action, "delete");
	assert_string_equal(r->perms[0].access[1].effect, "deny");
	assert_string_equal(r->store_path, "ci/library/pusher");
	assert_true(r->rotate.set);
	assert_int_equal(r->rotate.every_s, 7 * 86400);
	assert_int_equal(r->rotate.before_expiry_s, 36 * 3600);
	assert_int_equal(r->rotate.slots, 2);
	assert_int_equal(r->rotate.overlap_s, 90 * 60);

	assert_int_equal(r->nsecrets, 2);
	t = &r->secrets[0];
	assert_string_equal(t->ns, "ci");
	assert_null(t->selector);
	assert_string_equal(t->name, "harbor-push");
	assert_true(t->tekton_annotation);
	assert_true(t->adopt);
	assert_int_equal(t->pos.line, 52);
	assert_int_equal(t->pos.column, 11);
	t = &r->secrets[1];
	assert_null(t->ns);
	assert_string_equal(t->name, "harbor.push");
	assert_false(t->tekton_annotation);
	assert_false(t->adopt);
	/* sorted by key */
	assert_int_equal(t->nselector, 3);
	assert_string_equal(t->selector[0].key, "empty");
	assert_string_equal(t->selector[0].value, "");
	assert_string_equal(t->selector[1].key, "example.com/ci");
	assert_string_equal(t->selector[1].value, "true");
	assert_string_equal(t->selector[2].key, "team");
	assert_string_equal(t->selector[2].value, "a");

	assert_int_equal(r->nfiles, 2);
	assert_string_equal(r->files[0].path, "/etc/berth/out/config.json");
	assert_string_equal(r->files[1].path, "/kaniko/.docker/config.json");
	assert_int_equal(r->files[1].pos.line, 61);
	berth_config_free(cfg);
}

/* store.vault.timeout and kubernetes.timeout: durations like harbor.timeout; 60 s by default. */
static void test_config_api_timeouts(void **state)
{
	struct berth_config *cfg;

	(void)state;
	cfg = parse_ok("b.yaml", HARBOR "store:\n  vault: {address: https://vault:8200}\nrobots: []\n");
	assert_int_equal(cfg->store.vault.timeout_s, 60);
	berth_config_free(cfg);
	cfg = parse_ok("b.yaml", HARBOR "store:\n  vault: {address: https://vault:8200, timeout: 5s}\n"
		       "kubernetes:\n  timeout: 1m30s\nrobots: []\n");
	assert_int_equal(cfg->store.vault.timeout_s, 5);
	assert_int_equal(cfg->kube.timeout_s, 90);
	berth_config_free(cfg);
	parse_bad(HARBOR "store:\n  vault: {address: https://vault:8200, timeout: 2h}\nrobots: []\n", "5:49",
		  "store.vault.timeout: must be at most 1h, got '2h'");
	parse_bad(HARBOR "kubernetes:\n  timeout: 30\nrobots: []\n", "5:12",
		  "kubernetes.timeout: expected a duration");
}

static void test_config_vault_defaults(void **state)
{
	struct berth_config *cfg;
	const struct berth_vault_config *v;

	(void)state;
	cfg = parse_ok("b.yaml", HARBOR "store:\n  vault: {address: https://vault:8200}\nrobots: []\n");
	v = &cfg->store.vault;
	assert_int_equal(cfg->store.kind, BERTH_STORE_VAULT);
	assert_null(v->namespace);
	assert_null(v->ca_file);
	assert_string_equal(v->mount, "secret");
	assert_int_equal(v->kv_version, 0);
	assert_false(v->insecure_skip_tls_verify);
	assert_false(v->allow_plain_http);
	assert_int_equal(v->auth, BERTH_VAULT_AUTH_TOKEN);
	assert_int_equal(v->token.kind, BERTH_REF_ENV);
	assert_string_equal(v->token.env, "VAULT_TOKEN");
	assert_int_equal(v->token.pos.line, 0);
	assert_int_equal(cfg->nrobots, 0);
	berth_config_free(cfg);

	cfg = parse_ok("b.yaml", HARBOR
		       "store:\n  vault:\n    address: http://127.0.0.1:8200\n    allowPlainHTTP: true\n"
		       "    kvVersion: auto\n    auth:\n      kubernetes: {role: berth}\nrobots: []\n");
	v = &cfg->store.vault;
	assert_string_equal(v->address, "http://127.0.0.1:8200");
	assert_int_equal(v->kv_version, 0);
	assert_int_equal(v->auth, BERTH_VAULT_AUTH_KUBERNETES);
	assert_string_equal(v->k8s_role, "berth");
	assert_string_equal(v->k8s_mount, "kubernetes");
	assert_string_equal(v->k8s_token_file, "/var/run/secrets/kubernetes.io/serviceaccount/token");
	assert_int_equal(v->token.kind, BERTH_REF_NONE);
	berth_config_free(cfg);

	cfg = parse_ok("b.yaml", HARBOR
		       "store:\n  vault:\n    address: https://vault\n    kvVersion: \"2\"\n    auth:\n"
		       "      kubernetes: {role: r, mount: k8s/prod, tokenFile: tok}\n"
		       "robots: []\n");
	v = &cfg->store.vault;
	assert_int_equal(v->kv_version, 2);
	assert_string_equal(v->k8s_mount, "k8s/prod");
	assert_string_equal(v->k8s_token_file, "tok");
	berth_config_free(cfg);

	cfg = parse_ok("b.yaml", HARBOR
		       "store:\n  vault:\n    address: https://vault\n    auth:\n"
		       "      approle: {roleId: {env: ROLE_ID}}\n"
		       "robots: []\n");
	v = &cfg->store.vault;
	assert_int_equal(v->auth, BERTH_VAULT_AUTH_APPROLE);
	assert_string_equal(v->approle_mount, "approle");
	assert_string_equal(v->role_id.env, "ROLE_ID");
	assert_int_equal(v->secret_id.kind, BERTH_REF_NONE);
	berth_config_free(cfg);

	cfg = parse_ok("b.yaml", HARBOR
		       "store:\n  vault:\n    address: https://vault\n    auth: {token: {env: MY_TOKEN}}\n"
		       "robots: []\n");
	assert_int_equal(cfg->store.vault.token.kind, BERTH_REF_ENV);
	assert_string_equal(cfg->store.vault.token.env, "MY_TOKEN");
	assert_int_equal(cfg->store.vault.token.pos.line, 7);
	berth_config_free(cfg);
}

static void test_config_other_stores(void **state)
{
	struct berth_config *cfg;

	(void)state;
	cfg = parse_ok("x/b.yaml", HARBOR "store:\n  kubernetes: {namespace: berth}\nrobots: []\n");
	assert_int_equal(cfg->store.kind, BERTH_STORE_KUBE);
	assert_string_equal(cfg->store.kube_namespace, "berth");
	assert_null(cfg->store.file_dir);
	berth_config_free(cfg);

	cfg = parse_ok("x/b.yaml", HARBOR "store:\n  file: {}\nrobots: []\n");
	assert_int_equal(cfg->store.kind, BERTH_STORE_FILE);
	assert_string_equal(cfg->store.file_dir, "x/.berth/store");
	berth_config_free(cfg);

	cfg = parse_ok("x/b.yaml", HARBOR "store:\n  file: {dir: ./state}\nrobots: []\n");
	assert_string_equal(cfg->store.file_dir, "x/state");
	berth_config_free(cfg);

	cfg = parse_ok("x/b.yaml", HARBOR "store:\n  file: {dir: /var/lib/berth}\nrobots: []\n");
	assert_string_equal(cfg->store.file_dir, "/var/lib/berth");
	berth_config_free(cfg);
}

static void test_config_url_from_ingress(void **state)
{
	struct berth_config *cfg;

	(void)state;
	setenv("HARBOR_URL", "https://from-env.example.com", 1);
	cfg = parse_ok("b.yaml",
		       "harbor:\n"
		       "  urlFrom: {ingress: {namespace: harbor, name: harbor-ingress, port: 8443}}\n"
		       "  password: {secret: {namespace: harbor, name: harbor-secrets, key: HARBOR_ADMIN_PASSWORD}}\n"
		       "robots: []\n");
	/* the file's urlFrom wins over the environment's url */
	assert_null(cfg->harbor.url);
	assert_string_equal(cfg->harbor.ingress_namespace, "harbor");
	assert_string_equal(cfg->harbor.ingress_name, "harbor-ingress");
	assert_int_equal(cfg->harbor.ingress_port, 8443);
	assert_int_equal(cfg->harbor.password.kind, BERTH_REF_KUBE);
	assert_string_equal(cfg->harbor.password.kube_namespace, "harbor");
	assert_string_equal(cfg->harbor.password.kube_name, "harbor-secrets");
	assert_string_equal(cfg->harbor.password.kube_key, "HARBOR_ADMIN_PASSWORD");
	berth_config_free(cfg);

	cfg = parse_ok("b.yaml", "harbor:\n  urlFrom: {ingress: {namespace: h, name: i}}\n"
				 "  password: {env: P}\nrobots: []\n");
	assert_int_equal(cfg->harbor.ingress_port, 0);
	berth_config_free(cfg);
}

static void test_config_env_defaults(void **state)
{
	struct berth_config *cfg;
	static const char vault[] =
		"harbor:\n  password: {env: P}\nstore:\n  vault: {}\nrobots: []\n";

	(void)state;
	setenv("HARBOR_URL", "https://env.example.com/", 1);
	setenv("HARBOR_USERNAME", "robot-admin", 1);
	setenv("VAULT_ADDR", "https://vault.env:8200", 1);
	setenv("VAULT_NAMESPACE", "ns1", 1);
	setenv("VAULT_CACERT", "rel/ca.pem", 1);
	setenv("KUBECONFIG", "/a/config:/b/config", 1);
	cfg = parse_ok("dir/b.yaml", vault);
	assert_string_equal(cfg->harbor.url, "https://env.example.com");
	assert_string_equal(cfg->harbor.username, "robot-admin");
	assert_string_equal(cfg->store.vault.address, "https://vault.env:8200");
	assert_string_equal(cfg->store.vault.namespace, "ns1");
	/* paths from the environment are used as they are, like the tools that define them */
	assert_string_equal(cfg->store.vault.ca_file, "rel/ca.pem");
	assert_string_equal(cfg->kube.kubeconfig, "/a/config:/b/config");
	berth_config_free(cfg);

	/* VAULT_AGENT_ADDR wins over VAULT_ADDR and over the file, as in Vault's CLI */
	setenv("VAULT_AGENT_ADDR", "https://agent:8100", 1);
	cfg = parse_ok("b.yaml", "harbor:\n  password: {env: P}\nstore:\n  vault: {address: https://file:8200}\n"
				 "robots: []\n");
	assert_string_equal(cfg->store.vault.address, "https://agent:8100");
	berth_config_free(cfg);
	unsetenv("VAULT_AGENT_ADDR");

	/* the file wins over the environment */
	cfg = parse_ok("b.yaml",
		       "harbor:\n  url: https://file.example.com\n  username: u\n  password: {env: P}\n"
		       "store:\n  vault: {address: https://file:8200, namespace: ns2, caFile: ca.pem}\n"
		       "kubernetes: {kubeconfig: kc}\nrobots: []\n");
	assert_string_equal(cfg->harbor.url, "https://file.example.com");
	assert_string_equal(cfg->harbor.username, "u");
	assert_string_equal(cfg->store.vault.address, "https://file:8200");
	assert_string_equal(cfg->store.vault.namespace, "ns2");
	assert_string_equal(cfg->store.vault.ca_file, "ca.pem");
	assert_string_equal(cfg->kube.kubeconfig, "kc");
	berth_config_free(cfg);

	/* an empty variable counts as unset */
	setenv("HARBOR_USERNAME", "", 1);
	cfg = parse_ok("b.yaml", vault);
	assert_string_equal(cfg->harbor.username, "admin");
	berth_config_free(cfg);

	/* errors in values from the environment point at the section and name the variable */
	setenv("HARBOR_URL", "http://plain.example.com", 1);
	parse_bad(vault, "2:3", "harbor.url (from env HARBOR_URL): 'http://plain.example.com' is plain http");
	unsetenv("HARBOR_URL");
	parse_bad(vault, "2:3", "harbor: missing key 'url' (or 'urlFrom'), and env HARBOR_URL is not set");
	setenv("HARBOR_URL", "https://h", 1);
	setenv("VAULT_AGENT_ADDR", "http://127.0.0.1:8100", 1);
	parse_bad(vault, "4:10", "store.vault.address (from env VAULT_AGENT_ADDR): "
		  "'http://127.0.0.1:8100' is plain http");
	unsetenv("VAULT_AGENT_ADDR");
	unsetenv("VAULT_ADDR");
	parse_bad(vault, "4:10", "store.vault: missing key 'address', and env VAULT_ADDR is not set");
}

static void test_config_relative_paths(void **state)
{
	static const char yaml[] =
		"harbor:\n"
		"  url: https://h\n"
		"  password: {file: ./secrets/../harbor-password}\n"
		"  caFile: ca.pem\n"
		"store:\n"
		"  vault:\n"
		"    address: https://v\n"
		"    auth: {kubernetes: {role: r, tokenFile: .//token}}\n"
		"kubernetes: {kubeconfig: kube/config}\n"
		"robots:\n"
		"  - name: a\n" PERMS
		"    targets:\n"
		"      files: [{path: ./out/config.json}, {path: /abs/config.json}, {path: ../up/config.json}]\n";
	struct berth_config *cfg;

	(void)state;
	cfg = parse_ok("conf/prod/berth.yaml", yaml);
	assert_string_equal(cfg->dir, "conf/prod");
	assert_string_equal(cfg->harbor.password.file, "conf/prod/secrets/../harbor-password");
	assert_string_equal(cfg->harbor.ca_file, "conf/prod/ca.pem");
	assert_string_equal(cfg->store.vault.k8s_token_file, "conf/prod/token");
	assert_string_equal(cfg->kube.kubeconfig, "conf/prod/kube/config");
	assert_string_equal(cfg->robots[0].files[0].path, "conf/prod/out/config.json");
	assert_string_equal(cfg->robots[0].files[1].path, "/abs/config.json");
	assert_string_equal(cfg->robots[0].files[2].path, "conf/prod/../up/config.json");
	berth_config_free(cfg);

	cfg = parse_ok("/berth.yaml", yaml);
	assert_string_equal(cfg->dir, "/");
	assert_string_equal(cfg->harbor.ca_file, "/ca.pem");
	berth_config_free(cfg);

	cfg = parse_ok("berth.yaml", yaml);
	assert_string_equal(cfg->harbor.ca_file, "ca.pem");
	assert_string_equal(cfg->robots[0].files[0].path, "out/config.json");
	berth_config_free(cfg);
}

static void test_config_permissions(void **state)
{
	static const char yaml[] =
		HARBOR
		"robots:\n"
		"  - name: release-bot\n"
		"    permissions:\n"
		"      - kind: system\n"
		"        access: [{resource: project, action: create}]\n"
		"      - kind: project\n"
		"        namespace: '*'\n"
		"        access: [{resource: repository, action: pull}]\n"
		"      - kind: project\n"
		"        namespace: team-a\n"
		"        access:\n"
		"          - {resource: repository, action: push}\n"
		"          - {resource: repository, action: pull}\n"
		"  - name: proj-bot\n"
		"    level: project\n"
		"    project: library\n"
		"    permissions:\n"
		"      - access: [{resource: artifact, action: read}]\n";
	struct berth_config *cfg;
	const struct berth_robot_config *r;

	(void)state;
	cfg = parse_ok("b.yaml", yaml);
	r = berth_config_robot(cfg, "release-bot");
	assert_non_null(r);
	assert_int_equal(r->nperms, 3);
	assert_string_equal(r->perms[0].kind, "system");
	assert_string_equal(r->perms[0].ns, "/");
	assert_string_equal(r->perms[1].ns, "*");
	assert_string_equal(r->perms[2].ns, "team-a");
	assert_int_equal(r->perms[2].naccess, 2);
	r = berth_config_robot(cfg, "proj-bot");
	assert_non_null(r);
	assert_int_equal(r->nperms, 1);
	assert_string_equal(r->perms[0].kind, "project");
	assert_string_equal(r->perms[0].ns, "library");
	assert_string_equal(r->store_path, "harbor/proj-bot-robot-account");
	berth_config_free(cfg);
}

static void test_config_rotate(void **state)
{
	struct berth_config *cfg;
	const struct berth_robot_config *r;

	(void)state;
	cfg = parse_ok("b.yaml", HARBOR "robots:\n  - name: t\n    duration: 30\n" PERMS
				 "    rotate: {slots: 2}\n");
	r = &cfg->robots[0];
	assert_true(r->rotate.set);
	assert_int_equal(r->rotate.slots, 2);
	assert_int_equal(r->rotate.overlap_s, 6 * 3600);
	assert_int_equal(r->rotate.before_expiry_s, 72 * 3600);
	assert_int_equal(r->rotate.every_s, 0);
	assert_int_equal(r->duration, 30);
	berth_config_free(cfg);

	cfg = parse_ok("b.yaml", HARBOR "robots:\n  - name: t\n    duration: 1\n" PERMS
				 "    rotate: {beforeExpiry: 23h, every: 12h}\n");
	r = &cfg->robots[0];
	assert_int_equal(r->rotate.slots, 1);
	assert_int_equal(r->rotate.before_expiry_s, 23 * 3600);
	assert_int_equal(r->rotate.every_s, 12 * 3600);
	assert_int_equal(r->rotate.overlap_s, 0);
	berth_config_free(cfg);

	/* the default beforeExpiry (72h) is checked against a short duration too */
	parse_bad(HARBOR "robots:\n  - name: t\n    duration: 3\n" PERMS, "6:15",
		  "robots[0]: rotate.beforeExpiry 3d (the default) is not shorter than duration 3d");
}

static void test_config_names_and_slots(void **state)
{
	struct berth_config *cfg;
	char *yaml;

	(void)state;
	/* 255 characters is Harbor's limit for the stored name */
	yaml = xasprintf(HARBOR "robots:\n  - name: %0253d\n" PERMS "    rotate: {slots: 2}\n", 0);
	cfg = parse_ok("b.yaml", yaml);
	assert_int_equal(strlen(cfg->robots[0].name), 253);
	berth_config_free(cfg);
	free(yaml);

	yaml = xasprintf(HARBOR "robots:\n  - name: %0254d\n" PERMS "    rotate: {slots: 2}\n", 0);
	parse_bad(yaml, "5:11", "robots[0].name: too long; Harbor stores '0000");
	parse_bad(yaml, "5:11", "0000-a', 256 characters, in at most 255");
	free(yaml);

	yaml = xasprintf(HARBOR "robots:\n  - name: %0248d\n    level: project\n    project: library\n"
			 "    permissions: [{access: [{resource: tag, action: list}]}]\n", 0);
	parse_bad(yaml, "5:11", "robots[0].name: too long; Harbor stores 'library+000");
	parse_bad(yaml, "5:11", "0000', 256 characters, in at most 255");
	free(yaml);

	/* a system and a project robot may not share a name: berth commands name robots by it */
	parse_bad(HARBOR "robots:\n  - name: ci\n" PERMS
		  "  - name: ci\n    level: project\n    project: p\n"
		  "    permissions: [{access: [{resource: tag, action: list}]}]\n",
		  "11:11", "robots[1].name: robot name 'ci' is already used by robots[0] at 5:11");
}

static void test_config_secret_never_echoed(void **state)
{
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_config *cfg = NULL;
	static const char *const yamls[] = {
		"harbor:\n  url: https://h\n  password: Hunter2-Secret\nrobots: []\n",
		"harbor:\n  url: https://h\n  password: \"Hunter2-Secret\"\nrobots: []\n",
		"harbor:\n  url: https://admin:Hunter2-Secret@h\n  password: {env: P}\nrobots: []\n",
		"harbor:\n  url: http://admin:Hunter2-Secret@h\n  password: {env: P}\nrobots: []\n",
		"harbor:\n  url: admin:Hunter2-Secret@h\n  password: {env: P}\nrobots: []\n",
		"harbor:\n  url: https://h\n  password: {env: P}\nstore:\n  vault:\n    address: https://v\n"
		"    auth: {token: Hunter2-Secret}\nrobots: []\n",
		"harbor:\n  url: https://h\n  password: {env: P}\nstore:\n  vault:\n    address: https://v\n"
		"    auth: {approle: {roleId: Hunter2-Secret}}\nrobots: []\n",
	};

	(void)state;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(yamls); i++) {
		berth_err_clear(&err);
		assert_int_equal(berth_config_parse(&cfg, "s.yaml", yamls[i], strlen(yamls[i]), &err), BERTH_ECONFIG);
		assert_null(cfg);
		if (strstr(err.msg, "Hunter2"))
			fail_msg("case %zu echoes the secret: %s", i, err.msg);
	}
}

static void test_config_misc_errors(void **state)
{
	static const char nul[] = "harbor:\n  url: https://h\0\n";
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_config *cfg = NULL;

	(void)state;
	/* zero bytes */
	parse_bad("", "1:1", "the file is empty");
	parse_bad("   \n\n", "1:1", "the file is empty");
	parse_bad("---\n", "2:1", "the top level must be a mapping (owner, harbor, store, kubernetes, "
		  "robots), got nothing");
	/* a NUL byte in the input is a YAML reader error */
	assert_int_equal(berth_config_parse(&cfg, "n.yaml", nul, sizeof(nul) - 1, &err), BERTH_ECONFIG);
	assert_true(berth_starts_with(err.msg, "n.yaml:2:17: "));
	/* err may be NULL */
	assert_int_equal(berth_config_parse(&cfg, "n.yaml", "x", 1, NULL), BERTH_ECONFIG);
	assert_null(cfg);
	/* plain http is fine when allowed */
	cfg = parse_ok("b.yaml", "harbor:\n  url: HTTP://h:80\n  allowPlainHTTP: true\n  password: {env: P}\n"
				 "robots: []\n");
	assert_string_equal(cfg->harbor.url, "HTTP://h:80");
	berth_config_free(cfg);
	parse_bad("harbor:\n  url: https://h?x=1\n  password: {env: P}\nrobots: []\n", "2:8",
		  "harbor.url: the URL must not have a query or fragment");
	parse_bad("harbor:\n  url: https:///path\n  password: {env: P}\nrobots: []\n", "2:8",
		  "harbor.url: 'https:///path' has no host");
	parse_bad("harbor:\n  url: ftp://h\n  password: {env: P}\nrobots: []\n", "2:8",
		  "harbor.url: 'ftp://h' is not an http or https URL");
	parse_bad("harbor:\n  url: https://h\n  registry: h:99999\n  password: {env: P}\nrobots: []\n",
		  "3:13", "harbor.registry: the port in 'h:99999' must be a number from 1 to 65535");
	cfg = parse_ok("b.yaml", "harbor:\n  url: https://h\n  registry: '[::1]:5000'\n  password: {env: P}\n"
				 "robots: []\n");
	assert_string_equal(cfg->harbor.registry, "[::1]:5000");
	berth_config_free(cfg);
	parse_bad("harbor:\n  url: https://h\n  timeout: 2h\n  password: {env: P}\nrobots: []\n", "3:12",
		  "harbor.timeout: must be at most 1h, got '2h'");
	parse_bad("harbor:\n  url: https://h\n  timeout: 0s\n  password: {env: P}\nrobots: []\n", "3:12",
		  "harbor.timeout: must be longer than zero");
	/* deep nesting stops at a limit rather than exhausting anything */
	{
		struct berth_buf b = BERTH_BUF_INIT;

		berth_buf_addstr(&b, "harbor: ");
		for (int i = 0; i < 100; i++)
			berth_buf_addch(&b, '[');
		assert_int_equal(berth_config_parse(&cfg, "d.yaml", b.buf, b.len, &err), BERTH_ECONFIG);
		assert_non_null(strstr(err.msg, "nested more than 64 levels deep"));
		berth_buf_release(&b);
	}
}

static void test_config_env_expansion(void **state)
{
	struct berth_config *cfg;

	(void)state;
	setenv("BT_URL", "https://harbor.test", 1);
	setenv("BT_PORT", "8443", 1);
	setenv("BT_EMPTY", "", 1);
	cfg = parse_ok("e.yaml", "harbor:\n  urlFrom: {ingress: {namespace: h, name: i, port: \"${BT_PORT}\"}}\n"
				 "  registry: ${BT_NOPE:-}\n  caFile: ${BT_EMPTY:-/etc/ca.pem}\n"
				 "  username: u$${BT_URL}\n  password: {env: P}\nrobots: []\n");
	assert_int_equal(cfg->harbor.ingress_port, 8443);
	assert_null(cfg->harbor.registry);                 /* expanded to nothing: absent */
	assert_string_equal(cfg->harbor.ca_file, "/etc/ca.pem"); /* empty counts as unset */
	assert_string_equal(cfg->harbor.username, "u${BT_URL}"); /* $$ is a literal $ */
	berth_config_free(cfg);
	cfg = parse_ok("e.yaml", "harbor:\n  url: ${BT_URL}\n  password: {env: P}\nrobots: []\n");
	assert_string_equal(cfg->harbor.url, "https://harbor.test");
	berth_config_free(cfg);
	/* single-quoted values are taken literally */
	cfg = parse_ok("e.yaml", "harbor:\n  url: https://h\n  username: '${BT_NOPE}'\n  password: {env: P}\n"
				 "robots: []\n");
	assert_string_equal(cfg->harbor.username, "${BT_NOPE}");
	berth_config_free(cfg);
	parse_bad("harbor:\n  url: ${BT_NOPE}\n  password: {env: P}\nrobots: []\n", "2:8",
		  "environment variable 'BT_NOPE' is not set");
	parse_bad("harbor:\n  url: ${BT_URL\n  password: {env: P}\nrobots: []\n", "2:8", "unterminated '${'");
	parse_bad("harbor:\n  url: ${1x}\n  password: {env: P}\nrobots: []\n", "2:8",
		  "'1x' is not an environment variable name");
	/* a secret can never come in through expansion: it must stay a reference */
	parse_bad("harbor:\n  url: https://h\n  password: ${BT_URL}\nrobots: []\n", "3:13", "{env: NAME}");
	unsetenv("BT_URL");
	unsetenv("BT_PORT");
	unsetenv("BT_EMPTY");
}

static void test_config_load_files(void **state)
{
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_config *cfg = NULL;
	const char *src = getenv("BERTH_SOURCE_DIR");
	char *path;

	(void)state;
	assert_non_null(src);
	assert_int_equal(berth_config_load(&cfg, "/nonexistent/berth.yaml", &err), BERTH_ENOTFOUND);
	assert_null(cfg);
	assert_int_equal(berth_config_load(&cfg, src, &err), BERTH_ECONFIG);
	assert_null(cfg);

	path = xasprintf("%s/tests/data/config/good/relative.yaml", src);
	assert_int_equal(berth_config_load(&cfg, path, &err), 0);
	assert_string_equal(cfg->path, path);
	free(path);
	path = xasprintf("%s/tests/data/config", src);
	assert_true(berth_starts_with(cfg->dir, path) && !strcmp(cfg->dir + strlen(path), "/good"));
	free(path);
	path = xasprintf("%s/.berth/store", cfg->dir);
	assert_string_equal(cfg->store.file_dir, path);
	free(path);
	path = xasprintf("%s/out/config.json", cfg->dir);
	assert_string_equal(cfg->robots[0].files[0].path, path);
	free(path);
	berth_config_free(cfg);
}

static void test_config_examples(void **state)
{
	static const char *const examples[] = {
		"minimal.yaml", "vault-token.yaml", "vault-kubernetes.yaml", "targets.yaml", "rotation.yaml",
	};
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_config *cfg = NULL;
	const char *src = getenv("BERTH_SOURCE_DIR");

	(void)state;
	assert_non_null(src);
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(examples); i++) {
		char *path = xasprintf("%s/examples/%s", src, examples[i]);
		int ret = berth_config_load(&cfg, path, &err);

		if (ret)
			fail_msg("%s: %s", examples[i], err.msg);
		if (i == 1) {
			/* the seed's Vault path */
			assert_int_equal(cfg->store.kind, BERTH_STORE_VAULT);
			assert_string_equal(cfg->robots[0].store_path, "harbor/tekton-robot-account");
		}
		if (i == 4) {
			assert_int_equal(cfg->robots[0].rotate.slots, 2);
			assert_int_equal(cfg->robots[0].rotate.overlap_s, 6 * 3600);
		}
		berth_config_free(cfg);
		free(path);
	}
}

static void test_config_catalogue(void **state)
{
	(void)state;
	assert_true(berth_permission_allowed("project", "repository", "pull"));
	assert_true(berth_permission_allowed("project", "repository", "push"));
	assert_true(berth_permission_allowed("project", "artifact", "read"));
	assert_true(berth_permission_allowed("project", "sbom", "stop"));
	assert_true(berth_permission_allowed("project", "member", "update"));
	assert_true(berth_permission_allowed("system", "project", "create"));
	assert_true(berth_permission_allowed("system", "audit-log", "list"));
	assert_true(berth_permission_allowed("system", "quota", "update"));
	assert_true(berth_permission_allowed("system", "robot", "delete"));
	/* exact pairs: no wildcards, no robot:update, no pre-2.8 helm charts */
	assert_false(berth_permission_allowed("project", "repository", "*"));
	assert_false(berth_permission_allowed("project", "*", "pull"));
	assert_false(berth_permission_allowed("project", "robot", "update"));
	assert_false(berth_permission_allowed("system", "robot", "update"));
	assert_false(berth_permission_allowed("project", "helm-chart", "read"));
	assert_false(berth_permission_allowed("project", "repository", "scanner-pull"));
	assert_false(berth_permission_allowed("project", "configuration", "read"));
	/* the kind matters */
	assert_false(berth_permission_allowed("system", "repository", "pull"));
	assert_false(berth_permission_allowed("project", "project", "create"));
	assert_true(berth_permission_allowed("project", "label", "list"));
	assert_false(berth_permission_allowed("system", "label", "list"));
	assert_false(berth_permission_allowed("Project", "repository", "pull"));
	assert_false(berth_permission_allowed("project", "repository", "pul"));
	assert_false(berth_permission_allowed("project", "repository", "pulls"));
	assert_false(berth_permission_allowed("project", "repository", ""));
	assert_false(berth_permission_allowed(NULL, "repository", "pull"));
	assert_false(berth_permission_allowed("project", NULL, "pull"));
	assert_false(berth_permission_allowed("project", "repository", NULL));
}

/* ------------------------------------------------------------------ */
/* tests/data/config/bad/NNN-what.yaml: "# expect: L:C: text" on the first line */

struct bad_case {
	char *path;
	char *name;
};

static void test_config_bad_file(void **state)
{
	const struct bad_case *bc = *state;
	struct berth_buf text = BERTH_BUF_INIT;
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_config *cfg = NULL;
	char *where, *want, *nl, *prefix, *line;
	int ret;

	assert_int_equal(berth_file_read(&text, bc->path, 0, &err), 0);
	if (!berth_starts_with(text.buf, "# expect: "))
		fail_msg("%s: the first line must be '# expect: L:C: text'", bc->name);
	nl = strchr(text.buf, '\n');
	assert_non_null(nl);
	where = xstrndup(text.buf + 10, (size_t)(nl - text.buf - 10));
	want = strstr(where, ": ");
	if (!want)
		fail_msg("%s: the expect line needs 'L:C: text'", bc->name);
	*want = '\0';
	want += 2;

	ret = berth_config_load(&cfg, bc->path, &err);
	if (ret != BERTH_ECONFIG)
		fail_msg("%s: returned %d, want BERTH_ECONFIG (%s)", bc->name, ret, err.msg);
	assert_int_equal(err.code, BERTH_ECONFIG);
	assert_null(cfg);
	prefix = xasprintf("%s:%s: ", bc->path, where);
	if (!berth_starts_with(err.msg, prefix) || !strstr(err.msg, want))
		fail_msg("%s:\n  got  '%s'\n  want '%s' then '%s'", bc->name, err.msg, prefix, want);
	if (strchr(err.msg, '\n'))
		fail_msg("%s: the message is more than one line", bc->name);
	/* "# secret: VALUE" lines name text the message must never show */
	for (line = nl + 1; berth_starts_with(line, "# secret: "); line = strchr(line, '\n') + 1) {
		char *value = xstrndup(line + 10, strcspn(line + 10, "\n"));

		if (strstr(err.msg, value))
			fail_msg("%s: the message shows the secret '%s': %s", bc->name, value, err.msg);
		free(value);
		if (!strchr(line, '\n'))
			break;
	}
	free(prefix);
	free(where);
	berth_buf_release(&text);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the .yaml files in dir; *n is their count. */
static char **list_yaml(const char *dir, size_t *n)
{
	char **names = NULL;
	size_t alloc = 0;
	struct dirent *de;
	DIR *d = opendir(dir);

	*n = 0;
	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		if (!berth_ends_with(de->d_name, ".yaml"))
			continue;
		BERTH_ALLOC_GROW(names, *n + 1, alloc);
		names[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (*n)
		qsort(names, *n, sizeof(*names), name_cmp);
	return names;
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test_setup(test_config_minimal_defaults, clear_env),
		cmocka_unit_test_setup(test_config_every_key, clear_env),
		cmocka_unit_test_setup(test_config_vault_defaults, clear_env),
		cmocka_unit_test_setup(test_config_api_timeouts, clear_env),
		cmocka_unit_test_setup(test_config_other_stores, clear_env),
		cmocka_unit_test_setup(test_config_url_from_ingress, clear_env),
		cmocka_unit_test_setup(test_config_env_defaults, clear_env),
		cmocka_unit_test_setup(test_config_relative_paths, clear_env),
		cmocka_unit_test_setup(test_config_permissions, clear_env),
		cmocka_unit_test_setup(test_config_rotate, clear_env),
		cmocka_unit_test_setup(test_config_names_and_slots, clear_env),
		cmocka_unit_test_setup(test_config_secret_never_echoed, clear_env),
		cmocka_unit_test_setup(test_config_misc_errors, clear_env),
		cmocka_unit_test_setup(test_config_env_expansion, clear_env),
		cmocka_unit_test_setup(test_config_load_files, clear_env),
		cmocka_unit_test_setup(test_config_examples, clear_env),
		cmocka_unit_test_setup(test_config_catalogue, clear_env),
	};
	const char *src = getenv("BERTH_SOURCE_DIR");
	struct CMUnitTest *tests;
	struct bad_case *cases;
	char *dir, **names;
	size_t n, nfixed = BERTH_ARRAY_SIZE(fixed);
	int ret;

	if (!src) {
		fprintf(stderr, "test_config: BERTH_SOURCE_DIR is not set\n");
		return 1;
	}
	dir = xasprintf("%s/tests/data/config/bad", src);
	names = list_yaml(dir, &n);
	if (n < 40) {
		fprintf(stderr, "test_config: %zu bad-input cases in '%s', want at least 40\n", n, dir);
		return 1;
	}
	tests = xcalloc(nfixed + n, sizeof(*tests));
	cases = xcalloc(n, sizeof(*cases));
	memcpy(tests, fixed, sizeof(fixed));
	for (size_t i = 0; i < n; i++) {
		cases[i].name = names[i];
		cases[i].path = xasprintf("%s/%s", dir, names[i]);
		tests[nfixed + i].name = names[i];
		tests[nfixed + i].test_func = test_config_bad_file;
		tests[nfixed + i].setup_func = clear_env;
		tests[nfixed + i].initial_state = &cases[i];
	}
	ret = _cmocka_run_group_tests("config", tests, nfixed + n, NULL, NULL);
	for (size_t i = 0; i < n; i++) {
		free(cases[i].path);
		free(names[i]);
	}
	free(cases);
	free(tests);
	free(names);
	free(dir);
	return ret;
}
