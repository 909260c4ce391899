/*
 * modules.h - the simulated APIs berth-sim serves. Each module creates its
 * struct sim_api (handler and state) and describes itself for ready.json.
 */
#ifndef BERTH_SIM_MODULES_H
#define BERTH_SIM_MODULES_H

#include <jansson.h>

struct sim_api;
struct sim_world;

struct sim_module {
	const char *name;
	/* Allocate the API and its initial state; NULL on failure. */
	struct sim_api *(*create)(struct sim_world *w);
	/* The module's object in ready.json (new reference); called after start. */
	json_t *(*describe)(struct sim_api *api);
};

extern const struct sim_module sim_modules[];

#endif
