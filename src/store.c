/*
 * store.c - store entries, their JSON map encoding, and the file backend
 * (one 0600 JSON file per path, atomic writes, compare-and-set under a
 * lock file so two berth runs cannot silently overwrite each other).
 */
#include "compat.h"
#include "store.h"
#include "buf.h"
#include "err.h"
#include "json.h"
#include "secret.h"
#include "util.h"
#include "xalloc.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <unistd.h>

struct berth_store_entry *berth_store_entry_new(void)
{
	return xcalloc(1, sizeof(struct berth_store_entry));
}

int berth_slot_index(const char *slot)
{
	if (slot && !strcmp(slot, "a"))
		return 0;
	if (slot && !strcmp(slot, "b"))
		return 1;
	return -1;
}

struct berth_store_entry *berth_store_entry_dup(const struct berth_store_entry *e)
{
	struct berth_store_entry *d = berth_store_entry_new();

	d->state = e->state;
	d->name = xstrdup_or_null(e->name);
	d->secret = berth_secret_dup(e->secret);
	d->pending = berth_secret_dup(e->pending);
	d->registry = xstrdup_or_null(e->registry);
	d->owner = xstrdup_or_null(e->owner);
	d->robot_id = e->robot_id;
	d->rotated_at = e->rotated_at;
	d->version = e->version;
	d->slot = xstrdup_or_null(e->slot);
	for (int i = 0; i < 2; i++) {
		d->slots[i].name = xstrdup_or_null(e->slots[i].name);
		d->slots[i].secret = berth_secret_dup(e->slots[i].secret);
		d->slots[i].robot_id = e->slots[i].robot_id;
		d->slots[i].unpublished_at = e->slots[i].unpublished_at;
	}
	d->pending_slot = xstrdup_or_null(e->pending_slot);
	d->extra = xstrdup_or_null(e->extra);
	return d;
}

void berth_store_entry_free(struct berth_store_entry *e)
{
	if (!e)
		return;
	free(e->name);
	berth_secret_free(e->secret);
	berth_secret_free(e->pending);
	free(e->registry);
	free(e->owner);
	free(e->slot);
	for (int i = 0; i < 2; i++) {
		free(e->slots[i].name);
		berth_secret_free(e->slots[i].secret);
	}
	free(e->pending_slot);
	free(e->extra);
	free(e);
}

void berth_store__encode(const struct berth_store_entry *e, json_t *obj)
{
	char num[32];

	if (e->name)
		json_object_set_new(obj, "name", json_string(e->name));
	if (e->secret)
		json_object_set_new(obj, "secret", json_string(berth_secret_reveal(e->secret, NULL)));
	if (e->pending)
		json_object_set_new(obj, "pending_secret",
				    json_string(berth_secret_reveal(e->pending, NULL)));
	if (e->registry)
		json_object_set_new(obj, "registry", json_string(e->registry));
	if (e->owner)
		json_object_set_new(obj, "berth_owner", json_string(e->owner));
	if (e->robot_id) {
		snprintf(num, sizeof(num), "%" PRId64, e->robot_id);
		json_object_set_new(obj, "berth_robot_id", json_string(num));
	}
	if (e->rotated_at) {
		berth_format_time(e->rotated_at, num, sizeof(num));
		json_object_set_new(obj, "berth_rotated_at", json_string(num));
	}
	if (e->slot)
		json_object_set_new(obj, "berth_slot", json_string(e->slot));
	if (e->pending_slot)
		json_object_set_new(obj, "berth_pending_slot", json_string(e->pending_slot));
	for (int i = 0; i < 2; i++) {
		const struct berth_slot_cred *c = &e->slots[i];
		const char *l = i ? "b" : "a";
		char key[40];

		if (c->name) {
			snprintf(key, sizeof(key), "slot_%s_name", l);
			json_object_set_new(obj, key, json_string(c->name));
		}
		if (c->secret) {
			snprintf(key, sizeof(key), "slot_%s_secret", l);
			json_object_set_new(obj, key, json_string(berth_secret_reveal(c->secret, NULL)));
		}
		if (c->robot_id) {
			snprintf(key, sizeof(key), "berth_slot_%s_robot_id", l);
			snprintf(num, sizeof(num), "%" PRId64, c->robot_id);
			json_object_set_new(obj, key, json_string(num));
		}
		if (c->unpublished_at) {
			snprintf(key, sizeof(key), "berth_slot_%s_unpublished_at", l);
			berth_format_time(c->unpublished_at, num, sizeof(num));
			json_object_set_new(obj, key, json_string(num));
		}
	}
}

static int str_field(json_t *obj, const char *key, char **out, const char *where, struct berth_err *err)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return berth_err_set(err, BERTH_EPROTO, "%s: field '%s' is not a string", where, key);
	*out = xstrdup(json_string_value(v));
	return 0;
}

int berth_store__decode(json_t *obj, struct berth_store_entry *e, const char *where,
			struct berth_err *err)
{
	char *tmp = NULL;
	int ret;

	if (!json_is_object(obj))
		return berth_err_set(err, BERTH_EPROTO, "%s: entry is not a JSON object", where);
	ret = str_field(obj, "name", &e->name, where, err);
	if (!ret)
		ret = str_field(obj, "registry", &e->registry, where, err);
	if (!ret)
		ret = str_field(obj, "berth_owner", &e->owner, where, err);
	if (!ret)
		ret = str_field(obj, "berth_slot", &e->slot, where, err);
	if (!ret)
		ret = str_field(obj, "berth_pending_slot", &e->pending_slot, where, err);
	for (int i = 0; i < 2 && !ret; i++) {
		const char *l = i ? "b" : "a";
		char key[40];

		snprintf(key, sizeof(key), "slot_%s_name", l);
		ret = str_field(obj, key, &e->slots[i].name, where, err);
		if (!ret) {
			snprintf(key, sizeof(key), "slot_%s_secret", l);
			ret = str_field(obj, key, &tmp, where, err);
		}
		if (!ret && tmp && *tmp)
			e->slots[i].secret = berth_secret_from_str(tmp);
		if (tmp) {
			explicit_bzero(tmp, strlen(tmp));
			free(tmp);
			tmp = NULL;
		}
		if (!ret) {
			snprintf(key, sizeof(key), "berth_slot_%s_robot_id", l);
			ret = str_field(obj, key, &tmp, where, err);
		}
		if (!ret && tmp) {
			long long v;

			if (berth_parse_long(tmp, 0, INT64_MAX, &v))
				ret = berth_err_set(err, BERTH_EPROTO, "%s: %s is not a number", where, key);
			else
				e->slots[i].robot_id = v;
			free(tmp);
			tmp = NULL;
		}
		if (!ret) {
			snprintf(key, sizeof(key), "berth_slot_%s_unpublished_at", l);
			ret = str_field(obj, key, &tmp, where, err);
		}
		if (!ret && tmp) {
			time_t t;

			if (!berth_parse_time(tmp, &t))
				e->slots[i].unpublished_at = t;
			free(tmp);
			tmp = NULL;
		}
	}
	if (!ret)
		ret = str_field(obj, "secret", &tmp, where, err);
	if (!ret && tmp && *tmp)
		e->secret = berth_secret_from_str(tmp);
	if (tmp) {
		explicit_bzero(tmp, strlen(tmp));
		free(tmp);
		tmp = NULL;
	}
	if (!ret)
		ret = str_field(obj, "pending_secret", &tmp, where, err);
	if (!ret && tmp && *tmp)
		e->pending = berth_secret_from_str(tmp);
	if (tmp) {
		explicit_bzero(tmp, strlen(tmp));
		free(tmp);
		tmp = NULL;
	}
	if (!ret)
		ret = str_field(obj, "berth_robot_id", &tmp, where, err);
	if (!ret && tmp) {
		long long v;

		if (berth_parse_long(tmp, 0, INT64_MAX, &v))
			ret = berth_err_set(err, BERTH_EPROTO, "%s: berth_robot_id '%s' is not a number",
					    where, tmp);
		else
			e->robot_id = v;
		free(tmp);
		tmp = NULL;
	}
	if (!ret)
		ret = str_field(obj, "berth_rotated_at", &tmp, where, err);
	if (!ret && tmp) {
		time_t t;

		if (!berth_parse_time(tmp, &t))
			e->rotated_at = t;
		free(tmp);
	}
	return ret;
}

/* ---- file backend ------------------------------------------------------ */

struct file_store {
	struct berth_store base;
	char *dir;
	pthread_mutex_t lock; /* orders this process's writers; flock orders processes */
};

static int entry_path(struct file_store *fs, const char *path, struct berth_buf *out,
		      struct berth_err *err)
{
	if (!*path || path[0] == '/' || strstr(path, "..") || strstr(path, "//") ||
	    berth_ends_with(path, "/"))
		return berth_err_set(err, BERTH_ECONFIG, "store: bad entry path '%s'", path);
	berth_buf_addf(out, "%s/%s.json", fs->dir, path);
	return 0;
}

static int file_read_entry(struct file_store *fs, const char *path, struct berth_store_entry **out,
			   struct berth_err *err)
{
	struct berth_buf file = BERTH_BUF_INIT, text = BERTH_BUF_INIT;
	struct berth_store_entry *e = NULL;
	json_t *root = NULL;
	int ret;

	*out = NULL;
	ret = entry_path(fs, path, &file, err);
	if (ret)
		goto out;
	ret = berth_file_read(&text, file.buf, 1 << 20, err);
	if (ret) {
		if (ret == BERTH_ENOTFOUND)
			berth_err_set(err, BERTH_ENOTFOUND, "store: no entry at '%s'", path);
		goto out;
	}
	ret = berth_json_parse(&root, text.buf, text.len, file.buf, err);
	if (ret) {
		berth_err_prefix(err, "store");
		goto out;
	}
	e = berth_store_entry_new();
	ret = berth_store__decode(root, e, file.buf, err);
	if (ret)
		goto out;
	e->version = berth_json_int(root, "berth_version", 1);
	*out = e;
	e = NULL;
out:
	berth_store_entry_free(e);
	json_decref(root);
	berth_buf_wipe(&text);
	berth_buf_release(&file);
	return ret;
}

static int file_get(struct berth_store *s, const char *path, struct berth_store_entry **out,
		    struct berth_err *err)
{
	return file_read_entry((struct file_store *)s, path, out, err);
}

static int lock_dir(struct file_store *fs, struct berth_err *err)
{
	char *lock = xasprintf("%s/.lock", fs->dir);
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	free(lock);
	if (fd < 0)
		return berth_err_set(err, BERTH_EIO, "store: cannot open the lock file in '%s': %s",
				     fs->dir, strerror(errno));
	while (flock(fd, LOCK_EX) && errno == EINTR)
		;
	return fd;
}

static int file_put(struct berth_store *s, const char *path, struct berth_store_entry *e,
		    struct berth_err *err)
{
	struct file_store *fs = (struct file_store *)s;
	struct berth_buf file = BERTH_BUF_INIT, text = BERTH_BUF_INIT;
	struct berth_store_entry *cur = NULL;
	json_t *root = NULL;
	char *slash;
	int ret, fd;

	ret = entry_path(fs, path, &file, err);
	if (ret)
		return ret;
	pthread_mutex_lock(&fs->lock);
	fd = lock_dir(fs, err);
	if (fd < 0) {
		ret = fd;
		goto out;
	}
	ret = file_read_entry(fs, path, &cur, err);
	if (e->version == BERTH_STORE_OVERWRITE) {
		/* Replacing an entry that could not be read: no comparison. */
		ret = 0;
	} else if (ret && ret != BERTH_ENOTFOUND) {
		goto out;
	} else if ((cur ? cur->version : 0) != e->version) {
		ret = berth_err_set(err, BERTH_ECONFLICT,
				    "store: entry '%s' changed since it was read (version %" PRId64
				    ", expected %" PRId64 "); another berth run may be working on it",
				    path, cur ? cur->version : 0, e->version);
		goto out;
	}
	if (e->version == BERTH_STORE_OVERWRITE)
		e->version = cur ? cur->version : 0;
	root = json_object();
	berth_store__encode(e, root);
	json_object_set_new(root, "berth_version", json_integer(e->version + 1));
	if (berth_json_dump(&text, root, JSON_INDENT(2) | JSON_SORT_KEYS))
		BERTH_BUG("cannot serialise a store entry");
	berth_buf_addch(&text, '\n');
	slash = strrchr(file.buf, '/');
	*slash = '\0';
	ret = berth_mkdirs(file.buf, 0700, err);
	*slash = '/';
	if (ret)
		goto out;
	ret = berth_file_write_atomic(file.buf, text.buf, text.len, 0600, err);
	if (ret)
		goto out;
	e->version++;
out:
	if (fd >= 0)
		close(fd);
	pthread_mutex_unlock(&fs->lock);
	berth_store_entry_free(cur);
	json_decref(root);
	berth_buf_wipe(&text);
	berth_buf_release(&file);
	return ret;
}

static int file_remove(struct berth_store *s, const char *path, struct berth_err *err)
{
	struct file_store *fs = (struct file_store *)s;
	struct berth_buf file = BERTH_BUF_INIT;
	int ret = entry_path(fs, path, &file, err);

	if (!ret && unlink(file.buf)) {
		if (errno == ENOENT)
			ret = berth_err_set(err, BERTH_ENOTFOUND, "store: no entry at '%s'", path);
		else
			ret = berth_err_set(err, BERTH_EIO, "store: cannot remove '%s': %s", file.buf,
					    strerror(errno));
	}
	berth_buf_release(&file);
	return ret;
}

static int file_ping(struct berth_store *s, struct berth_err *err)
{
	struct file_store *fs = (struct file_store *)s;

	if (berth_mkdirs(fs->dir, 0700, err))
		return berth_err_prefix(err, "store");
	if (access(fs->dir, W_OK))
		return berth_err_set(err, BERTH_EIO, "store: directory '%s' is not writable: %s",
				     fs->dir, strerror(errno));
	return 0;
}

static void file_free(struct berth_store *s)
{
	struct file_store *fs = (struct file_store *)s;

	pthread_mutex_destroy(&fs->lock);
	free(fs->dir);
	free(fs);
}

static const struct berth_store_ops file_ops = {
	.kind = "file",
	.get = file_get,
	.put = file_put,
	.remove = file_remove,
	.ping = file_ping,
	.free = file_free,
};

int berth_store_file_new(struct berth_store **out, const char *dir, struct berth_err *err)
{
	struct file_store *fs;

	(void)err;
	fs = xcalloc(1, sizeof(*fs));
	fs->base.ops = &file_ops;
	fs->dir = xstrdup(dir);
	pthread_mutex_init(&fs->lock, NULL);
	*out = &fs->base;
	return 0;
}
