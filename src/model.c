/*
 * model.c - robot permissions and robots as plain data: release, copy,
 * set comparison and canonical text of permissions, and the description
 * marker that says which berth owner a robot belongs to.
 */
#include "compat.h"
#include "model.h"

#include "buf.h"
#include "xalloc.h"

void berth_access_release(struct berth_access *a)
{
	if (!a)
		return;
	free(a->resource);
	free(a->action);
	free(a->effect);
	a->resource = NULL;
	a->action = NULL;
	a->effect = NULL;
}

void berth_permission_release(struct berth_permission *p)
{
	if (!p)
		return;
	free(p->kind);
	free(p->ns);
	for (size_t i = 0; i < p->naccess; i++)
		berth_access_release(&p->access[i]);
	free(p->access);
	p->kind = NULL;
	p->ns = NULL;
	p->access = NULL;
	p->naccess = 0;
}

void berth_permissions_free(struct berth_permission *p, size_t n)
{
	if (!p)
		return;
	for (size_t i = 0; i < n; i++)
		berth_permission_release(&p[i]);
	free(p);
}

struct berth_permission *berth_permissions_dup(const struct berth_permission *p, size_t n)
{
	struct berth_permission *copy;

	if (!p || !n)
		return NULL;
	copy = xcalloc(n, sizeof(*copy));
	for (size_t i = 0; i < n; i++) {
		copy[i].kind = xstrdup_or_null(p[i].kind);
		copy[i].ns = xstrdup_or_null(p[i].ns);
		copy[i].naccess = p[i].naccess;
		if (!p[i].naccess)
			continue;
		copy[i].access = xcalloc(p[i].naccess, sizeof(*copy[i].access));
		for (size_t j = 0; j < p[i].naccess; j++) {
			copy[i].access[j].resource = xstrdup_or_null(p[i].access[j].resource);
			copy[i].access[j].action = xstrdup_or_null(p[i].access[j].action);
			copy[i].access[j].effect = xstrdup_or_null(p[i].access[j].effect);
		}
	}
	return copy;
}

/*
 * A permission set flattened to one (kind, namespace, resource, action,
 * effect) tuple per access, sorted and without duplicates: the form in
 * which two sets compare and print the same whatever their order.
 */
struct flat_perm {
	const char *kind;
	const char *ns;
	const char *resource;
	const char *action;
	const char *effect;
};

static const char *nz(const char *s)
{
	return s ? s : "";
}

/* Harbor treats an absent or empty effect as "allow". */
static const char *effect_of(const struct berth_access *a)
{
	return a->effect && *a->effect ? a->effect : "allow";
}

static int flat_cmp(const void *va, const void *vb)
{
	const struct flat_perm *a = va, *b = vb;
	int r;

	r = strcmp(a->kind, b->kind);
	if (!r)
		r = strcmp(a->ns, b->ns);
	if (!r)
		r = strcmp(a->resource, b->resource);
	if (!r)
		r = strcmp(a->action, b->action);
	if (!r)
		r = strcmp(a->effect, b->effect);
	return r;
}

/* The caller frees the result; *out_n is the number of distinct tuples. */
static struct flat_perm *flatten(const struct berth_permission *p, size_t n, size_t *out_n)
{
	struct flat_perm *v;
	size_t total = 0, k = 0;

	for (size_t i = 0; i < n; i++)
		total += p[i].naccess;
	v = xcalloc(total ? total : 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < p[i].naccess; j++) {
			v[k].kind = nz(p[i].kind);
			v[k].ns = nz(p[i].ns);
			v[k].resource = nz(p[i].access[j].resource);
			v[k].action = nz(p[i].access[j].action);
			v[k].effect = effect_of(&p[i].access[j]);
			k++;
		}
	}
	if (total > 1)
		qsort(v, total, sizeof(*v), flat_cmp);
	k = 0;
	for (size_t i = 0; i < total; i++) {
		if (k && !flat_cmp(&v[k - 1], &v[i]))
			continue;
		v[k++] = v[i];
	}
	*out_n = k;
	return v;
}

bool berth_permissions_equal(const struct berth_permission *a, size_t na,
			     const struct berth_permission *b, size_t nb)
{
	struct flat_perm *fa, *fb;
	size_t ka, kb;
	bool equal;

	fa = flatten(a, a ? na : 0, &ka);
	fb = flatten(b, b ? nb : 0, &kb);
	equal = ka == kb;
	for (size_t i = 0; equal && i < ka; i++)
		equal = !flat_cmp(&fa[i], &fb[i]);
	free(fa);
	free(fb);
	return equal;
}

char *berth_permissions_describe(const struct berth_permission *p, size_t n)
{
	struct berth_buf b = BERTH_BUF_INIT;
	struct flat_perm *f;
	size_t k;

	f = flatten(p, p ? n : 0, &k);
	for (size_t i = 0; i < k; i++) {
		if (i)
			berth_buf_addch(&b, ',');
		berth_buf_addf(&b, "%s:%s:%s:%s", f[i].kind, f[i].ns, f[i].resource, f[i].action);
		/* "allow" is the default and stays implicit, as Harbor echoes it */
		if (strcmp(f[i].effect, "allow"))
			berth_buf_addf(&b, ":%s", f[i].effect);
	}
	free(f);
	return berth_buf_detach(&b, NULL);
}

void berth_robot_release(struct berth_robot *r)
{
	if (!r)
		return;
	free(r->name);
	free(r->description);
	free(r->level);
	berth_permissions_free(r->perms, r->nperms);
	memset(r, 0, sizeof(*r));
}

void berth_robot_list_release(struct berth_robot_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		berth_robot_release(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
	l->alloc = 0;
}

struct berth_robot *berth_robot_list_add(struct berth_robot_list *l)
{
	struct berth_robot *r;

	BERTH_ALLOC_GROW(l->v, l->n + 1, l->alloc);
	r = &l->v[l->n++];
	memset(r, 0, sizeof(*r));
	return r;
}

/*
 * The marker is " [berth:OWNER]" at the very end of a description, or
 * "[berth:OWNER]" as the whole description when the user part is empty.
 * OWNER is a Kubernetes label value (config.c checks the configured one);
 * the planner writes "OWNER:STORE_PATH" there, and store paths hold only
 * letters, digits, '.', '_', '-' and '/', so the marker never holds ']' or
 * a space.
 */
#define MARKER_OPEN "[berth:"

static bool owner_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == ':' || c == '/';
}

/*
 * Find the marker at the end of d. On success *user_len is the length of
 * the user part (without the space before the marker), and *owner and
 * *owner_len give the owner inside d.
 */
static bool marker_find(const char *d, size_t *user_len, const char **owner, size_t *owner_len)
{
	const char *open, *o;
	size_t len;

	if (!d)
		return false;
	len = strlen(d);
	if (len < strlen(MARKER_OPEN) + 2 || d[len - 1] != ']')
		return false;
	/* The last '[' opens the marker; everything up to the final ']' is the owner. */
	open = d + len - 1;
	while (open > d && open[-1] != '[')
		open--;
	if (open == d)
		return false;
	open--;
	if (strncmp(open, MARKER_OPEN, strlen(MARKER_OPEN)))
		return false;
	o = open + strlen(MARKER_OPEN);
	if (o >= d + len - 1)
		return false;
	for (const char *c = o; c < d + len - 1; c++)
		if (!owner_char(*c))
			return false;
	if (open == d)
		*user_len = 0;
	else if (open[-1] == ' ')
		*user_len = (size_t)(open - d) - 1;
	else
		return false;
	*owner = o;
	*owner_len = (size_t)(d + len - 1 - o);
	return true;
}

char *berth_marker_make(const char *description, const char *owner)
{
	BERTH_ASSERT(owner && *owner);
	if (!description || !*description)
		return xasprintf(MARKER_OPEN "%s]", owner);
	return xasprintf("%s " MARKER_OPEN "%s]", description, owner);
}

char *berth_marker_owner(const char *description)
{
	const char *owner;
	size_t user_len, owner_len;

	if (!marker_find(description, &user_len, &owner, &owner_len))
		return NULL;
	return xstrndup(owner, owner_len);
}

char *berth_marker_strip(const char *description)
{
	const char *owner;
	size_t user_len, owner_len;

	if (!description)
		return xstrdup("");
	if (!marker_find(description, &user_len, &owner, &owner_len))
		return xstrdup(description);
	return xstrndup(description, user_len);
}
