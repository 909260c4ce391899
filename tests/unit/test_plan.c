/*
 * test_plan.c - data-driven tests of the pure planner. Each directory
 * tests/data/plan/NNN-name/ holds:
 *   desired.yaml   a berth.yaml
 *   actual.json    {"prefix", "registry", "now", "projects":[{name, project_id}],
 *                   "robots":[Harbor Robot JSON], "store":{path: entry | "unreadable"},
 *                   "refused":[robot names whose stored secret Harbor refuses],
 *                   "opts":{"prune", "force_rotate", "rotate_only":[...]}}
 *   expected.txt   the text rendering of the plan
 * With BERTH_PLAN_UPDATE=1 the expected files are rewritten instead (then
 * read every diff before committing).
 */
#include "compat.h"
#include "buf.h"
#include "config.h"
#include "err.h"
#include "harbor.h"
#include "json.h"
#include "plan.h"
#include "store.h"
#include "util.h"
#include "xalloc.h"

#include <dirent.h>
#include <setjmp.h>
#include <cmocka.h>

struct plan_case {
	char *dir;
	char *name;
};

static char *read_text(const char *dir, const char *file)
{
	struct berth_buf b = BERTH_BUF_INIT;
	char *path = xasprintf("%s/%s", dir, file);
	struct berth_err err = BERTH_ERR_INIT;

	if (berth_file_read(&b, path, 0, &err)) {
		free(path);
		berth_buf_release(&b);
		return NULL;
	}
	free(path);
	return berth_buf_detach(&b, NULL);
}

static void run_case(void **state)
{
	const struct plan_case *c = *state;
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_config *cfg = NULL;
	struct berth_robot_list robots = { 0 };
	struct berth_project_list projects = { 0 };
	struct berth_store_entry **entries;
	struct berth_want *wants;
	struct berth_plan_opts opts = { 0 };
	struct berth_actual a = { 0 };
	struct berth_plan *plan = NULL;
	struct berth_buf out = BERTH_BUF_INIT;
	json_t *actual, *v, *store, *refused, *jopts;
	bool *unreadable, *refused_flags;
	const char **rotate_only = NULL;
	char *yaml = read_text(c->dir, "desired.yaml"), *text = read_text(c->dir, "actual.json");
	char *expected = read_text(c->dir, "expected.txt");
	char *cfgname = xasprintf("%s/desired.yaml", c->dir);
	size_t nwants, i;
	time_t now = 0;

	assert_non_null(yaml);
	assert_non_null(text);
	if (berth_config_parse(&cfg, cfgname, yaml, strlen(yaml), &err))
		fail_msg("%s: %s", c->name, err.msg);
	actual = json_loads(text, 0, NULL);
	assert_non_null(actual);

	json_array_foreach(json_object_get(actual, "robots"), i, v) {
		struct berth_robot *r = berth_robot_list_add(&robots);

		if (berth_harbor__decode_robot(v, r, &err))
			fail_msg("%s: robot %zu: %s", c->name, i, err.msg);
	}
	json_array_foreach(json_object_get(actual, "projects"), i, v) {
		BERTH_ALLOC_GROW(projects.v, projects.n + 1, projects.alloc);
		projects.v[projects.n].name = xstrdup(json_string_value(json_object_get(v, "name")));
		projects.v[projects.n].id = json_integer_value(json_object_get(v, "project_id"));
		projects.n++;
	}
	assert_int_equal(berth_parse_time(json_string_value(json_object_get(actual, "now")), &now), 0);

	berth_plan_wants(&wants, &nwants, cfg, json_string_value(json_object_get(actual, "prefix")));
	entries = xcalloc(nwants + 1, sizeof(*entries));
	unreadable = xcalloc(nwants + 1, sizeof(*unreadable));
	refused_flags = xcalloc(nwants + 1, sizeof(*refused_flags));
	store = json_object_get(actual, "store");
	refused = json_object_get(actual, "refused");
	for (i = 0; i < nwants; i++) {
		json_t *e = json_object_get(store, wants[i].store_path), *r;
		size_t j;

		if (json_is_string(e) && !strcmp(json_string_value(e), "unreadable")) {
			unreadable[i] = true;
		} else if (e) {
			entries[i] = berth_store_entry_new();
			if (berth_store__decode(e, entries[i], wants[i].store_path, &err))
				fail_msg("%s: store entry: %s", c->name, err.msg);
			entries[i]->version = 1;
			if (json_is_true(json_object_get(e, "deleted")))
				entries[i]->state = BERTH_ENTRY_DELETED;
		}
		json_array_foreach(refused, j, r)
			if (!strcmp(json_string_value(r), wants[i].cfg->name))
				refused_flags[i] = true;
	}
	jopts = json_object_get(actual, "opts");
	opts.prune = json_is_true(json_object_get(jopts, "prune"));
	opts.force_rotate = json_is_true(json_object_get(jopts, "force_rotate"));
	opts.verify_secrets = json_array_size(refused) > 0;
	opts.secret_refused = refused_flags;
	if (json_array_size(json_object_get(jopts, "rotate_only"))) {
		json_t *only = json_object_get(jopts, "rotate_only");

		rotate_only = xcalloc(json_array_size(only), sizeof(*rotate_only));
		json_array_foreach(only, i, v)
			rotate_only[i] = json_string_value(v);
		opts.rotate_only = rotate_only;
		opts.nrotate_only = json_array_size(only);
	}

	a.prefix = json_string_value(json_object_get(actual, "prefix"));
	a.registry = json_string_value(json_object_get(actual, "registry"));
	a.robots = &robots;
	a.projects = &projects;
	a.entries = entries;
	a.entry_unreadable = unreadable;
	a.now = now;
	assert_int_equal(berth_plan_make(&plan, cfg, &a, &opts, &err), 0);
	berth_plan_render_text(&out, plan);

	if (getenv("BERTH_PLAN_UPDATE")) {
		char *path = xasprintf("%s/expected.txt", c->dir);

		assert_int_equal(berth_file_write_atomic(path, out.buf, out.len, 0644, &err), 0);
		free(path);
	} else {
		if (!expected)
			fail_msg("%s: no expected.txt; plan was:\n%s", c->name, out.buf);
		if (strcmp(expected, out.buf))
			fail_msg("%s: plan differs\n--- expected\n%s--- got\n%s", c->name, expected, out.buf);
	}

	berth_buf_release(&out);
	berth_plan_free(plan);
	for (i = 0; i < nwants; i++)
		berth_store_entry_free(entries[i]);
	free(entries);
	free(unreadable);
	free(refused_flags);
	free(rotate_only);
	berth_wants_free(wants, nwants);
	berth_robot_list_release(&robots);
	berth_project_list_release(&projects);
	json_decref(actual);
	berth_config_free(cfg);
	free(cfgname);
	free(yaml);
	free(text);
	free(expected);
}

static int cmp_case(const void *a, const void *b)
{
	return strcmp(((const struct plan_case *)a)->name, ((const struct plan_case *)b)->name);
}

int main(void)
{
	const char *src = getenv("BERTH_SOURCE_DIR");
	char *root = xasprintf("%s/tests/data/plan", src ? src : ".");
	struct plan_case *cases = NULL;
	struct CMUnitTest *tests;
	size_t n = 0, alloc = 0;
	struct dirent *de;
	DIR *d = opendir(root);
	int ret;

	berth_json_init();
	setenv("TZ", "UTC", 1);
	if (!d) {
		fprintf(stderr, "cannot open %s\n", root);
		return 1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		BERTH_ALLOC_GROW(cases, n + 1, alloc);
		cases[n].name = xstrdup(de->d_name);
		cases[n].dir = xasprintf("%s/%s", root, de->d_name);
		n++;
	}
	closedir(d);
	qsort(cases, n, sizeof(*cases), cmp_case);
	tests = xcalloc(n + 1, sizeof(*tests));
	for (size_t i = 0; i < n; i++) {
		tests[i].name = cases[i].name;
		tests[i].test_func = run_case;
		tests[i].initial_state = &cases[i];
	}
	ret = _cmocka_run_group_tests("plan", tests, n, NULL, NULL);
	for (size_t i = 0; i < n; i++) {
		free(cases[i].name);
		free(cases[i].dir);
	}
	free(cases);
	free(tests);
	free(root);
	return ret;
}
