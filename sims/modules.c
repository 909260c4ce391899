/* modules.c - the table of simulated APIs, in ready.json order. */
#include "compat.h"
#include "modules.h"
#include "sim_kube.h"

const struct sim_module sim_modules[] = {
	{ "kube", sim_kube_create, sim_kube_describe },
	{ NULL, NULL, NULL },
};
