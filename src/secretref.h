/*
 * secretref.h - resolve a config secret reference ({env}, {file},
 * {secret: {namespace, name, key}}) into a struct berth_secret.
 * Environment values are read once, wiped from the environment, and kept
 * in a process cache so that a config reload can resolve them again.
 */
#ifndef BERTH_SECRETREF_H
#define BERTH_SECRETREF_H

struct berth_err;
struct berth_kube;
struct berth_secret;
struct berth_secret_ref;

/*
 * Resolve ref. kube is needed only for {secret: ...} references (NULL
 * otherwise gives BERTH_ECONFIG). 'what' names the value in messages
 * ("harbor.password"). *out is the caller's. Returns 0, BERTH_ECONFIG
 * (with the config position), or the Kubernetes client's error.
 */
int berth_secret_ref_resolve(struct berth_secret **out, const struct berth_secret_ref *ref,
			     struct berth_kube *kube, const char *what, struct berth_err *err);

/*
 * Move the value of every environment variable that cfg names as a secret
 * source ({env: NAME}, VAULT_TOKEN by default) into the process cache and
 * wipe it from the environment, whether or not this command will use it:
 * 'berth render' never reads HARBOR_PASSWORD, yet the variable would sit
 * in /proc/PID/environ for as long as it runs. Unset or empty variables
 * are left for the command that needs them to report. Call once the
 * config is loaded.
 */
struct berth_config;
void berth_secret_ref_claim_env(const struct berth_config *cfg);

#endif
