/*
 * sim_vault.h - the simulated HashiCorp Vault HTTP API (module "vault" of
 * berth-sim). See sim_vault.c for the endpoints, the control endpoints and
 * the Vault behaviours it reproduces.
 */
#ifndef BERTH_SIM_VAULT_H
#define BERTH_SIM_VAULT_H

#include <jansson.h>

struct sim_api;
struct sim_world;

/* Allocate the Vault API and its initial state; never NULL (aborts on OOM). */
struct sim_api *sim_vault_create(struct sim_world *w);

/*
 * The "vault" object of ready.json (new reference): url, root_token,
 * kv2_mount, kv1_mount, kubernetes_mount and approle_mount.
 */
json_t *sim_vault_describe(struct sim_api *api);

#endif
