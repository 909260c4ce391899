/* modules.c - the table of simulated APIs, in ready.json order. */
#include "compat.h"
#include "modules.h"

const struct sim_module sim_modules[] = {
	{ NULL, NULL, NULL },
};
