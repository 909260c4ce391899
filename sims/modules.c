/* modules.c - the table of simulated APIs, in ready.json order. */
#include "compat.h"
#include "modules.h"
#include "sim_harbor.h"
#include "sim_kube.h"
#include "sim_vault.h"

const struct sim_module sim_modules[] = {
	{ "harbor", sim_harbor_create, sim_harbor_describe },
	{ "vault", sim_vault_create, sim_vault_describe },
	{ "kube", sim_kube_create, sim_kube_describe },
	{ NULL, NULL, NULL },
};
