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

#endif
