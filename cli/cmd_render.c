/*
 * cmd_render.c - berth render: print a robot's config.json, its Secret
 * manifest, an ExternalSecret + ClusterSecretStore reading berth's Vault
 * entry, or a Tekton workspace binding.
 */
#include "compat.h"
#include "cli.h"
#include "common.h"
#include "buf.h"
#include "codec.h"
#include "config.h"
#include "err.h"
#include "json.h"
#include "kube.h"
#include "secret.h"
#include "session.h"
#include "store.h"
#include "target.h"
#include "xalloc.h"

#include <unistd.h>

static const char *config_file;
static const char *format;
static bool reveal;

static const struct cli_opt opts[] = {
	{ "file", 'f', CLI_OPT_STRING, &config_file, "FILE", "the berth.yaml to read (default $BERTH_CONFIG, ./berth.yaml)" },
	{ "format", 0, CLI_OPT_STRING, &format, "FMT", "what to print (required): dockerconfigjson, secret, externalsecret or tekton" },
	{ "reveal", 0, CLI_OPT_FLAG, &reveal, NULL, "print a secret even when stdout is a terminal" },
	{ NULL },
};

/*
 * The Secret a robot publishes first: its namespace and name, and the
 * target itself (NULL when the robot publishes no Secret: then
 * "default"/NULL). A selector target has no one namespace: "default".
 */
static const struct berth_secret_target *first_target(const struct berth_robot_config *rc,
						       const char **ns, const char **name)
{
	const struct berth_secret_target *t = NULL;

	*ns = "default";
	*name = NULL;
	for (size_t i = 0; i < rc->nsecrets; i++) {
		if (rc->secrets[i].ns) {
			*ns = rc->secrets[i].ns;
			*name = rc->secrets[i].name;
			return &rc->secrets[i];
		}
		if (!t) {
			t = &rc->secrets[i];
			*name = t->name;
		}
	}
	return t;
}

static json_t *external_secret(const struct berth_config *cfg, const struct berth_robot_config *rc,
			       const char *registry)
{
	const struct berth_vault_config *v = &cfg->store.vault;
	const char *ns, *name;
	char *target_name = NULL, *tmpl;
	json_t *store, *es, *provider, *auth;

	first_target(rc, &ns, &name);
	if (!name)
		name = target_name = xasprintf("%s-harbor-auth", rc->name);
	provider = json_pack("{s:s, s:s, s:s}", "server", v->address, "path", v->mount ? v->mount : "secret",
			     "version", v->kv_version == 1 ? "v1" : "v2");
	if (v->namespace)
		json_object_set_new(provider, "namespace", json_string(v->namespace));
	if (v->auth == BERTH_VAULT_AUTH_APPROLE)
		auth = json_pack("{s:{s:s, s:s, s:{s:s, s:s, s:s}}}", "appRole", "path",
				 v->approle_mount ? v->approle_mount : "approle", "roleId", "<role id of ESO's AppRole>",
				 "secretRef", "name", "eso-approle", "key", "secret-id", "namespace", "external-secrets");
	else
		auth = json_pack("{s:{s:s, s:s, s:{s:s, s:s, s:[s]}}}", "kubernetes", "mountPath",
				 v->k8s_mount ? v->k8s_mount : "kubernetes", "role", "external-secrets",
				 "serviceAccountRef", "name", "external-secrets", "namespace", "external-secrets",
				 "audiences", "vault");
	json_object_set_new(provider, "auth", auth);
	store = json_pack("{s:s, s:s, s:{s:s}, s:{s:{s:o}}}", "apiVersion", "external-secrets.io/v1", "kind",
			  "ClusterSecretStore", "metadata", "name", "berth-vault", "spec", "provider", "vault",
			  provider);
	/*
	 * The template reads the entry's name and secret - the seed's layout -
	 * and is itself built with jansson; printf takes a raw `...` string so
	 * that no quote needs escaping inside the Go template.
	 */
	{
		json_t *t = json_pack("{s:{s:{s:s, s:s, s:s}}}", "auths", registry, "username", "{{ .name }}",
				      "password", "{{ .secret }}", "auth",
				      "{{ printf `%s:%s` .name .secret | b64enc }}");
		struct berth_buf b = BERTH_BUF_INIT;

		berth_json_dump(&b, t, JSON_COMPACT | JSON_PRESERVE_ORDER);
		tmpl = berth_buf_detach(&b, NULL);
		json_decref(t);
	}
	es = json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s, s:s}}, s:{s:s, s:{s:s, s:s}, s:{s:s, s:s, s:{s:s, s:s, s:{s:s}}},"
		       " s:[{s:s, s:{s:s, s:s}}, {s:s, s:{s:s, s:s}}]}}",
		       "apiVersion", "external-secrets.io/v1", "kind", "ExternalSecret",
		       "metadata", "name", name, "namespace", ns, "labels", "app.kubernetes.io/managed-by", "berth",
		       "berth.dev/robot", rc->name,
		       "spec", "refreshInterval", "15m",
		       "secretStoreRef", "name", "berth-vault", "kind", "ClusterSecretStore",
		       "target", "name", name, "creationPolicy", "Owner",
		       "template", "type", "kubernetes.io/dockerconfigjson", "engineVersion", "v2",
		       "data", ".dockerconfigjson", tmpl,
		       "data", "secretKey", "name", "remoteRef", "key", rc->store_path, "property", "name",
		       "secretKey", "secret", "remoteRef", "key", rc->store_path, "property", "secret");
	free(tmpl);
	free(target_name);
	return json_pack("{s:s, s:s, s:[o, o]}", "apiVersion", "v1", "kind", "List", "items", store, es);
}

static int cmd_render(int argc, char **argv)
{
	struct berth_config *cfg = NULL;
	struct berth_session *s = NULL;
	struct berth_session_opts so = { .max_retries = -1, .store_only = true };
	struct berth_store_entry *e = NULL;
	struct berth_buf out = BERTH_BUF_INIT, bytes = BERTH_BUF_INIT;
	struct berth_err err = BERTH_ERR_INIT;
	const struct berth_robot_config *rc;
	json_t *doc = NULL;
	int first, ret;
	bool needs_secret;

	ret = cli_parse(&cmd_render_def, argc, argv, &first);
	if (ret)
		return ret < 0 ? CLI_OK : ret;
	if (first + 1 != argc)
		return cli_usage_error("render: name one robot (see 'berth help render')");
	if (!format)
		return cli_usage_error("render: --format is required (dockerconfigjson, secret, externalsecret, tekton)");
	if (strcmp(format, "dockerconfigjson") && strcmp(format, "secret") && strcmp(format, "externalsecret") &&
	    strcmp(format, "tekton"))
		return cli_usage_error("render: --format must be dockerconfigjson, secret, externalsecret or "
				       "tekton, not '%s'", format);
	needs_secret = !strcmp(format, "dockerconfigjson") || !strcmp(format, "secret");
	if (needs_secret && isatty(STDOUT_FILENO) && !reveal)
		return cli_usage_error("render: refusing to print a secret to a terminal; pipe the output "
				       "or pass --reveal");
	ret = cli_load_config(config_file, &cfg);
	if (ret)
		return ret;
	rc = berth_config_robot(cfg, argv[first]);
	if (!rc) {
		ret = cli_usage_error("render: no robot named '%s' in %s", argv[first], cfg->path);
		goto out;
	}
	if (!strcmp(format, "externalsecret") && cfg->store.kind != BERTH_STORE_VAULT) {
		ret = cli_usage_error("render: --format externalsecret reads berth's Vault entry, but %s "
				      "has no store.vault", cfg->path);
		goto out;
	}
	if (berth_session_open(&s, cfg, &so, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	if (!strcmp(format, "tekton")) {
		const char *ns, *name;

		first_target(rc, &ns, &name);
		doc = json_pack("{s:s, s:{s:s, s:[{s:s, s:s}]}}", "name", "dockerconfig", "secret", "secretName",
				name ? name : "harbor-push", "items", "key", ".dockerconfigjson", "path", "config.json");
	} else if (!strcmp(format, "externalsecret")) {
		doc = external_secret(cfg, rc, s->registry);
	} else {
		ret = berth_store_get(s->store, rc->store_path, &e, &err);
		if (!ret && (!e->secret || !e->name || e->state != BERTH_ENTRY_PRESENT))
			ret = berth_err_set(&err, BERTH_ENOTFOUND, "store entry '%s' holds no active credential "
								   "(run berth apply)", rc->store_path);
		if (ret) {
			ret = cli_fail(&err);
			goto out;
		}
		if (berth_dockercfg_render(&bytes, s->registry, e->name, e->secret, &err)) {
			ret = cli_fail(&err);
			goto out;
		}
		if (!strcmp(format, "secret")) {
			/* Exactly the Secret apply publishes: same labels, annotations and data. */
			struct berth_kube_secret ks = { 0 };
			const struct berth_secret_target *t;
			const char *ns, *name;

			t = first_target(rc, &ns, &name);
			ks.ns = xstrdup(ns);
			ks.name = xstrdup(name ? name : "harbor-push");
			berth_target_secret_fill(&ks, cfg->owner, s->registry, rc->name, e->name,
						 t && t->tekton_annotation, &bytes);
			berth_kube_secret_render(&out, &ks, JSON_INDENT(2) | JSON_SORT_KEYS);
			berth_buf_addch(&out, '\n');
			berth_kube_secret_release(&ks);
		} else {
			berth_buf_add(&out, bytes.buf, bytes.len);
			berth_buf_addch(&out, '\n');
		}
	}
	if (doc) {
		berth_json_dump(&out, doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		berth_buf_addch(&out, '\n');
	}
	fwrite(out.buf, 1, out.len, stdout);
	ret = CLI_OK;
out:
	json_decref(doc);
	berth_buf_wipe(&out);
	berth_buf_wipe(&bytes);
	berth_store_entry_free(e);
	berth_session_free(s);
	berth_config_free(cfg);
	return ret;
}

const struct cli_command cmd_render_def = {
	.name = "render",
	.run = cmd_render,
	.synopsis = "berth render [-f FILE] --format dockerconfigjson|secret|externalsecret|tekton [--reveal] ROBOT",
	.summary = "Print a robot's config.json, Secret or ESO/Tekton wiring",
	.description =
		"Prints to stdout, for one robot:\n"
		"  dockerconfigjson  the docker config.json with the stored credential (Kaniko's file)\n"
		"  secret            a kubernetes.io/dockerconfigjson Secret manifest holding it\n"
		"  externalsecret    an external-secrets.io/v1 ExternalSecret and ClusterSecretStore\n"
		"                    that build that Secret from berth's Vault entry, for clusters\n"
		"                    that prefer External Secrets Operator to berth writing Secrets\n"
		"  tekton            the Tekton workspace binding that mounts the Secret's\n"
		"                    .dockerconfigjson as config.json (the kaniko task's dockerconfig)\n\n"
		"Only dockerconfigjson and secret contain the secret, and they print it only when\n"
		"stdout is not a terminal or --reveal is given. Reads the store; never talks to Harbor.\n\n"
		"Exit status: 0 when printed; 1 when the store holds no active credential for the\n"
		"robot or cannot be read; 64 for a bad config or command line, and for a secret\n"
		"asked for on a terminal without --reveal.\n",
	.opts = opts,
};
