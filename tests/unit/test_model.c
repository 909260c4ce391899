/* test_model.c - permission sets (copy, equality, canonical text), robot lists, ownership markers. */
#include "compat.h"
#include "model.h"

#include <setjmp.h>
#include <cmocka.h>

#include "xalloc.h"

/*
 * Build a permission set from a compact text: groups separated by ';',
 * each "kind ns res:act[:effect] res:act ...". Caller frees with
 * berth_permissions_free().
 */
static struct berth_permission *perms(const char *spec, size_t *n)
{
	struct berth_permission *p = NULL;
	char *copy = xstrdup(spec), *save_g = NULL, *g;
	size_t alloc = 0;

	*n = 0;
	for (g = strtok_r(copy, ";", &save_g); g; g = strtok_r(NULL, ";", &save_g)) {
		struct berth_permission *cur;
		char *save_w = NULL, *w;
		size_t aalloc = 0;

		BERTH_ALLOC_GROW(p, *n + 1, alloc);
		cur = &p[(*n)++];
		memset(cur, 0, sizeof(*cur));
		cur->kind = xstrdup(strtok_r(g, " ", &save_w));
		cur->ns = xstrdup(strtok_r(NULL, " ", &save_w));
		while ((w = strtok_r(NULL, " ", &save_w))) {
			struct berth_access *a;
			char *c1 = strchr(w, ':'), *c2;

			BERTH_ALLOC_GROW(cur->access, cur->naccess + 1, aalloc);
			a = &cur->access[cur->naccess++];
			*c1 = '\0';
			c2 = strchr(c1 + 1, ':');
			if (c2)
				*c2 = '\0';
			a->resource = xstrdup(w);
			a->action = xstrdup(c1 + 1);
			a->effect = c2 ? xstrdup(c2 + 1) : NULL;
		}
	}
	free(copy);
	return p;
}

static bool equal(const char *a, const char *b)
{
	struct berth_permission *pa, *pb;
	size_t na, nb;
	bool eq, eq2;

	pa = perms(a, &na);
	pb = perms(b, &nb);
	eq = berth_permissions_equal(pa, na, pb, nb);
	eq2 = berth_permissions_equal(pb, nb, pa, na);
	assert_int_equal(eq, eq2);
	berth_permissions_free(pa, na);
	berth_permissions_free(pb, nb);
	return eq;
}

static void test_model_permissions_equal(void **state)
{
	(void)state;
	/* order of groups and of access entries does not matter */
	assert_true(equal("project * repository:pull repository:push",
			  "project * repository:push repository:pull"));
	assert_true(equal("system / project:create;project * repository:pull",
			  "project * repository:pull;system / project:create"));
	/* an absent (or empty) effect is "allow" */
	assert_true(equal("project p repository:pull", "project p repository:pull:allow"));
	assert_true(equal("project p repository:pull:", "project p repository:pull"));
	/* duplicates collapse, also across groups of the same kind and namespace */
	assert_true(equal("project p repository:pull repository:pull:allow", "project p repository:pull"));
	assert_true(equal("project p repository:pull;project p tag:list", "project p tag:list repository:pull"));
	/* a group without access adds nothing */
	assert_true(equal("project p repository:pull;project q", "project p repository:pull"));

	assert_false(equal("project p repository:pull", "project p repository:pull:deny"));
	assert_false(equal("project p repository:pull", "project q repository:pull"));
	assert_false(equal("project p repository:pull", "system p repository:pull"));
	assert_false(equal("project p repository:pull", "project p repository:push"));
	assert_false(equal("project p repository:pull", "project p artifact:pull"));
	assert_false(equal("project p repository:pull", "project p repository:pull tag:list"));
	assert_false(equal("project * repository:pull", "project p repository:pull"));

	/* empty sets, and NULL */
	assert_true(berth_permissions_equal(NULL, 0, NULL, 0));
	{
		struct berth_permission *p;
		size_t n;

		p = perms("project p repository:pull", &n);
		assert_false(berth_permissions_equal(p, n, NULL, 0));
		assert_false(berth_permissions_equal(NULL, 0, p, n));
		assert_true(berth_permissions_equal(p, n, p, n));
		berth_permissions_free(p, n);
	}
}

static char *describe(const char *spec)
{
	struct berth_permission *p;
	size_t n;
	char *s;

	p = perms(spec, &n);
	s = berth_permissions_describe(p, n);
	berth_permissions_free(p, n);
	return s;
}

static void test_model_permissions_describe(void **state)
{
	char *a, *b;

	(void)state;
	a = describe("project * repository:push repository:pull");
	assert_string_equal(a, "project:*:repository:pull,project:*:repository:push");
	free(a);

	/* sorted by kind, namespace, resource, action; deny shown, allow implicit; duplicates once */
	a = describe("system / project:create;project team-a repository:pull:allow repository:delete:deny;"
		     "project * repository:pull;project team-a repository:pull");
	assert_string_equal(a, "project:*:repository:pull,project:team-a:repository:delete:deny,"
			       "project:team-a:repository:pull,system:/:project:create");
	b = describe("project team-a repository:pull;project * repository:pull;"
		     "project team-a repository:delete:deny;system / project:create");
	assert_string_equal(a, b);
	free(a);
	free(b);

	a = berth_permissions_describe(NULL, 0);
	assert_string_equal(a, "");
	free(a);
}

static void test_model_permissions_dup(void **state)
{
	struct berth_permission *p, *q;
	size_t n;

	(void)state;
	p = perms("system / project:create;project * repository:pull repository:delete:deny", &n);
	q = berth_permissions_dup(p, n);
	assert_non_null(q);
	assert_true(q != p);
	assert_true(berth_permissions_equal(p, n, q, n));
	assert_string_equal(q[1].ns, "*");
	assert_true(q[1].ns != p[1].ns);
	assert_null(q[1].access[0].effect);
	assert_string_equal(q[1].access[1].effect, "deny");
	assert_true(q[1].access[1].effect != p[1].access[1].effect);
	berth_permissions_free(p, n);
	/* the copy stands alone */
	assert_string_equal(q[0].access[0].resource, "project");
	berth_permissions_free(q, n);

	assert_null(berth_permissions_dup(NULL, 0));
	berth_permissions_free(NULL, 3);
	berth_permission_release(NULL);
	berth_access_release(NULL);
}

static void test_model_robot_list(void **state)
{
	struct berth_robot_list l = { 0 };
	struct berth_robot *r;
	size_t n;

	(void)state;
	for (int i = 0; i < 300; i++) {
		r = berth_robot_list_add(&l);
		assert_int_equal(r->id, 0);
		assert_null(r->name);
		assert_null(r->perms);
		r->id = i + 1;
		r->name = xasprintf("robot$ci-%d", i);
		r->description = i % 2 ? xstrdup("x [berth:berth]") : NULL;
		r->level = xstrdup("system");
		r->duration = -1;
		r->perms = perms("project * repository:pull", &n);
		r->nperms = n;
	}
	assert_int_equal(l.n, 300);
	assert_true(l.alloc >= 300);
	assert_int_equal(l.v[299].id, 300);
	assert_string_equal(l.v[299].name, "robot$ci-299");
	berth_robot_release(&l.v[0]);
	assert_null(l.v[0].name);
	assert_int_equal(l.v[0].nperms, 0);
	berth_robot_release(NULL);
	berth_robot_list_release(&l);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
	berth_robot_list_release(&l);
	berth_robot_list_release(NULL);
}

static void check_owner(const char *desc, const char *want_owner, const char *want_user)
{
	char *owner = berth_marker_owner(desc);
	char *user = berth_marker_strip(desc);

	if (want_owner) {
		if (!owner || strcmp(owner, want_owner))
			fail_msg("owner of '%s': got '%s', want '%s'", desc ? desc : "(null)",
				 owner ? owner : "(null)", want_owner);
	} else if (owner) {
		fail_msg("owner of '%s': got '%s', want none", desc ? desc : "(null)", owner);
	}
	if (strcmp(user, want_user))
		fail_msg("user part of '%s': got '%s', want '%s'", desc ? desc : "(null)", user, want_user);
	free(owner);
	free(user);
}

static void test_model_marker(void **state)
{
	char *d;

	(void)state;
	d = berth_marker_make("Robot account for tekton pipelines", "berth");
	assert_string_equal(d, "Robot account for tekton pipelines [berth:berth]");
	check_owner(d, "berth", "Robot account for tekton pipelines");
	free(d);

	/* only the marker: the user part is empty */
	d = berth_marker_make("", "team-a.prod");
	assert_string_equal(d, "[berth:team-a.prod]");
	check_owner(d, "team-a.prod", "");
	free(d);
	d = berth_marker_make(NULL, "berth");
	assert_string_equal(d, "[berth:berth]");
	free(d);

	/* round trip keeps the user part exactly */
	d = berth_marker_make("  spaced  ", "o");
	check_owner(d, "o", "  spaced  ");
	free(d);
	check_owner(" [berth:o]", "o", "");

	/* only at the very end */
	check_owner("[berth:other] then text", NULL, "[berth:other] then text");
	check_owner("text [berth:o] ", NULL, "text [berth:o] ");
	check_owner("text [berth:o]\n", NULL, "text [berth:o]\n");
	check_owner("a [berth:x] b [berth:y]", "y", "a [berth:x] b");
	/* not a marker: no separating space, empty owner, characters a label never holds */
	check_owner("text[berth:o]", NULL, "text[berth:o]");
	check_owner("text [berth:]", NULL, "text [berth:]");
	check_owner("[berth:]", NULL, "[berth:]");
	check_owner("text [berth:a b]", NULL, "text [berth:a b]");
	check_owner("text [berth:a]b]", NULL, "text [berth:a]b]");
	check_owner("text [Berth:o]", NULL, "text [Berth:o]");
	check_owner("text berth:o]", NULL, "text berth:o]");
	check_owner("o]", NULL, "o]");
	check_owner("]", NULL, "]");
	/* no description at all */
	check_owner(NULL, NULL, "");
	check_owner("", NULL, "");
	check_owner("plain words", NULL, "plain words");
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_permissions_equal),
		cmocka_unit_test(test_model_permissions_describe),
		cmocka_unit_test(test_model_permissions_dup),
		cmocka_unit_test(test_model_robot_list),
		cmocka_unit_test(test_model_marker),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
