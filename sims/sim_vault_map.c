/*
 * sim_vault_map.c - the simulated Vault's containers: a string-keyed hash
 * map (FNV-1a, chained, doubling at load 1) and the directory index that
 * answers LIST without scanning every key.
 */
#include "compat.h"
#include "sim_vault_internal.h"
#include "xalloc.h"

/* ---- hash map ------------------------------------------------------------ */

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

void sim_vault_map_init(struct sim_vault_map *m)
{
	m->buckets = NULL;
	m->nbuckets = 0;
	m->count = 0;
}

static struct sim_vault_map_entry **slot(const struct sim_vault_map *m, const char *key, uint64_t h)
{
	struct sim_vault_map_entry **p = &m->buckets[h & (m->nbuckets - 1)];

	while (*p && ((*p)->hash != h || strcmp((*p)->key, key)))
		p = &(*p)->next;
	return p;
}

void *sim_vault_map_get(const struct sim_vault_map *m, const char *key)
{
	struct sim_vault_map_entry *e;

	if (!m->count)
		return NULL;
	e = *slot(m, key, fnv1a(key));
	return e ? e->value : NULL;
}

static void grow(struct sim_vault_map *m)
{
	size_t n = m->nbuckets ? m->nbuckets * 2 : 16;
	struct sim_vault_map_entry **b = xcalloc(n, sizeof(*b));

	for (size_t i = 0; i < m->nbuckets; i++) {
		struct sim_vault_map_entry *e = m->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = n;
}

void *sim_vault_map_put(struct sim_vault_map *m, const char *key, void *value)
{
	uint64_t h = fnv1a(key);
	struct sim_vault_map_entry **p, *e;
	void *old;

	if (m->count + 1 > m->nbuckets)
		grow(m);
	p = slot(m, key, h);
	if (*p) {
		old = (*p)->value;
		(*p)->value = value;
		return old;
	}
	e = xmalloc(sizeof(*e));
	e->key = xstrdup(key);
	e->value = value;
	e->hash = h;
	e->next = NULL;
	*p = e;
	m->count++;
	return NULL;
}

void *sim_vault_map_remove(struct sim_vault_map *m, const char *key)
{
	struct sim_vault_map_entry **p, *e;
	void *value;

	if (!m->count)
		return NULL;
	p = slot(m, key, fnv1a(key));
	e = *p;
	if (!e)
		return NULL;
	*p = e->next;
	value = e->value;
	free(e->key);
	free(e);
	m->count--;
	return value;
}

void sim_vault_map_release(struct sim_vault_map *m, sim_vault_free_fn *free_value)
{
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct sim_vault_map_entry *e = m->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			if (free_value)
				free_value(e->value);
			free(e->key);
			free(e);
		}
	}
	free(m->buckets);
	sim_vault_map_init(m);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **sim_vault_map_sorted_keys(const struct sim_vault_map *m, size_t *n)
{
	const char **keys = xmalloc(sizeof(*keys) * (m->count + 1));
	size_t k = 0;

	for (size_t i = 0; i < m->nbuckets; i++)
		for (struct sim_vault_map_entry *e = m->buckets[i]; e; e = e->next)
			keys[k++] = e->key;
	qsort(keys, k, sizeof(*keys), cmp_str);
	keys[k] = NULL;
	*n = k;
	return keys;
}

/* ---- directory index ----------------------------------------------------- */

void sim_vault_index_init(struct sim_vault_index *ix)
{
	sim_vault_map_init(&ix->dirs);
}

static void free_set(void *set)
{
	sim_vault_map_release(set, NULL);
	free(set);
}

void sim_vault_index_release(struct sim_vault_index *ix)
{
	sim_vault_map_release(&ix->dirs, free_set);
}

/*
 * Split key at its last '/': *dir gets "a/b/" (or ""), *child the leaf.
 * Both are new strings.
 */
static void split_last(const char *key, bool is_dir, char **dir, char **child)
{
	size_t len = strlen(key);
	const char *end = key + len - (is_dir ? 1 : 0);
	const char *slash = NULL;

	for (const char *p = key; p < end; p++)
		if (*p == '/')
			slash = p;
	*dir = slash ? xstrndup(key, (size_t)(slash - key + 1)) : xstrdup("");
	*child = xstrdup(slash ? slash + 1 : key);
}

void sim_vault_index_add(struct sim_vault_index *ix, const char *key)
{
	char *cur = xstrdup(key);
	bool is_dir = false;

	/* Walk up from the leaf, stopping once a child was already known. */
	while (*cur) {
		char *dir, *child;
		struct sim_vault_map *set;
		bool known;

		split_last(cur, is_dir, &dir, &child);
		set = sim_vault_map_get(&ix->dirs, dir);
		if (!set) {
			set = xmalloc(sizeof(*set));
			sim_vault_map_init(set);
			sim_vault_map_put(&ix->dirs, dir, set);
		}
		known = sim_vault_map_get(set, child) != NULL;
		if (!known)
			sim_vault_map_put(set, child, set);
		free(child);
		free(cur);
		cur = dir;
		is_dir = true;
		if (known)
			break;
	}
	free(cur);
}

void sim_vault_index_remove(struct sim_vault_index *ix, const char *key)
{
	char *cur = xstrdup(key);
	bool is_dir = false;

	/* Remove the leaf, then every directory this leaves empty. */
	while (*cur) {
		char *dir, *child;
		struct sim_vault_map *set;
		bool empty = false;

		split_last(cur, is_dir, &dir, &child);
		set = sim_vault_map_get(&ix->dirs, dir);
		if (set) {
			sim_vault_map_remove(set, child);
			if (!set->count) {
				free_set(sim_vault_map_remove(&ix->dirs, dir));
				empty = true;
			}
		}
		free(child);
		free(cur);
		cur = dir;
		is_dir = true;
		if (!empty)
			break;
	}
	free(cur);
}

json_t *sim_vault_index_list(const struct sim_vault_index *ix, const char *dir)
{
	const struct sim_vault_map *set = sim_vault_map_get(&ix->dirs, dir);
	const char **keys;
	json_t *arr;
	size_t n;

	if (!set || !set->count)
		return NULL;
	keys = sim_vault_map_sorted_keys(set, &n);
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_string(keys[i]));
	free(keys);
	return arr;
}
