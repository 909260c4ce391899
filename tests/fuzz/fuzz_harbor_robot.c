/*
 * fuzz_harbor_robot.c - Harbor's Robot JSON (one object, or a list page as
 * an array) through berth_harbor__decode_robot(). Invariants: 0 or
 * BERTH_EPROTO; a decoded robot has a name and a level; its permissions
 * equal their own copy and describe without crashing; the owner marker
 * round-trips through the robot's description.
 */
#include "compat.h"
#include "fuzz.h"
#include "err.h"
#include "harbor.h"
#include "json.h"
#include "model.h"

static void check_marker(const char *description)
{
	char *marked = berth_marker_make(description, "berth");
	char *owner = berth_marker_owner(marked);
	char *user = berth_marker_strip(marked);

	BERTH_FUZZ_CHECK(owner && !strcmp(owner, "berth"), marked);
	BERTH_FUZZ_CHECK(!strcmp(user, description ? description : ""), marked);
	free(owner);
	free(user);
	free(marked);
}

static void decode_one(json_t *item)
{
	struct berth_robot r;
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_permission *copy;
	char *text;
	int ret;

	ret = berth_harbor__decode_robot(item, &r, &err);
	if (ret) {
		BERTH_FUZZ_CHECK(ret == BERTH_EPROTO && err.code == ret && err.msg[0], err.msg);
		berth_robot_release(&r);
		return;
	}
	BERTH_FUZZ_CHECK(r.name && r.level, NULL);
	for (size_t i = 0; i < r.nperms; i++) {
		BERTH_FUZZ_CHECK(r.perms[i].kind && r.perms[i].ns, r.name);
		for (size_t j = 0; j < r.perms[i].naccess; j++)
			BERTH_FUZZ_CHECK(r.perms[i].access[j].resource && r.perms[i].access[j].action, r.name);
	}
	copy = berth_permissions_dup(r.perms, r.nperms);
	BERTH_FUZZ_CHECK(berth_permissions_equal(r.perms, r.nperms, copy, r.nperms), r.name);
	berth_permissions_free(copy, r.nperms);
	text = berth_permissions_describe(r.perms, r.nperms);
	BERTH_FUZZ_CHECK(text, r.name);
	free(text);
	check_marker(r.description);
	berth_robot_release(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *root = NULL, *item;
	size_t i;

	if (berth_json_parse(&root, (const char *)data, size, "robot", NULL))
		return 0;
	if (json_is_array(root))
		json_array_foreach(root, i, item)
			decode_one(item);
	else
		decode_one(root);
	json_decref(root);
	return 0;
}
