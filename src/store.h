/*
 * store.h - where berth keeps each robot's credential: an interface with
 * file, Vault and Kubernetes backends. The provisioning logic sees only
 * this interface.
 *
 * An entry keeps the seed's layout - "name" (the robot's login name) and
 * "secret" - so an ExternalSecret template reading name/secret works
 * unchanged, plus berth's bookkeeping: the pending secret (written before
 * Harbor is told, so a crash cannot lose the secret Harbor accepts), the
 * robot id, the owner marker and rotation times.
 *
 * Writes are compare-and-set on 'version': a put succeeds only when the
 * stored entry still has the version the caller read (0 = must not exist),
 * else BERTH_ECONFLICT; on success entry->version is the new version.
 * BERTH_STORE_OVERWRITE replaces an entry that could not be read.
 */
#ifndef BERTH_STORE_H
#define BERTH_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct berth_err;
struct berth_secret;
struct berth_store;

enum berth_entry_state {
	BERTH_ENTRY_PRESENT = 0,
	BERTH_ENTRY_DELETED,    /* the backend keeps history but the data is gone (KV v2) */
};

/* One slot's credential, for robots rotated with two slots ("a" and "b"). */
struct berth_slot_cred {
	char *name;
	struct berth_secret *secret;
	int64_t robot_id;
	time_t unpublished_at;  /* when consumers were switched away from it; 0: never published */
};

struct berth_store_entry {
	enum berth_entry_state state;
	char *name;                    /* login name the secret belongs to */
	struct berth_secret *secret;   /* the active credential; NULL when none */
	struct berth_secret *pending;  /* chosen but maybe not yet set in Harbor; NULL when none */
	char *registry;                /* registry host, for templates that read it */
	char *owner;                   /* berth owner marker; NULL: not written by berth */
	int64_t robot_id;              /* 0 when unknown */
	time_t rotated_at;             /* when the active secret was set; 0 unknown */
	int64_t version;               /* compare-and-set token; 0 = not stored yet */
	char *slot;                    /* two slots: the published slot ("a"/"b"); NULL otherwise */
	struct berth_slot_cred slots[2]; /* two slots: each slot's credential (name/secret mirror the published one) */
	char *pending_slot;            /* two slots: the slot the pending secret is for */
	char *extra;                   /* backend-private bookkeeping (JSON text), kept across writes */
};

/* Index of slot "a" (0) or "b" (1); -1 for anything else. */
int berth_slot_index(const char *slot);

#define BERTH_STORE_OVERWRITE (-1)

struct berth_store_ops {
	const char *kind;  /* "file", "vault", "kubernetes" */
	/*
	 * Read the entry at path. *out is the caller's (berth_store_entry_free).
	 * Returns 0, BERTH_ENOTFOUND when absent, BERTH_EPROTO only when the
	 * entry's own content cannot be decoded (the caller may then replace
	 * it without compare-and-set), or another code - a garbled or
	 * truncated response is BERTH_ESERVER or BERTH_ENET, never BERTH_EPROTO.
	 */
	int (*get)(struct berth_store *s, const char *path, struct berth_store_entry **out,
		   struct berth_err *err);
	/* Write e at path with compare-and-set on e->version (see above). */
	int (*put)(struct berth_store *s, const char *path, struct berth_store_entry *e,
		   struct berth_err *err);
	/* Remove the entry (all versions). BERTH_ENOTFOUND when already absent. */
	int (*remove)(struct berth_store *s, const char *path, struct berth_err *err);
	/* Check the backend answers before any Harbor write (sealed Vault, ...). */
	int (*ping)(struct berth_store *s, struct berth_err *err);
	void (*free)(struct berth_store *s);
};

struct berth_store {
	const struct berth_store_ops *ops;
};

static inline int berth_store_get(struct berth_store *s, const char *path,
				  struct berth_store_entry **out, struct berth_err *err)
{
	return s->ops->get(s, path, out, err);
}

static inline int berth_store_put(struct berth_store *s, const char *path,
				  struct berth_store_entry *e, struct berth_err *err)
{
	return s->ops->put(s, path, e, err);
}

static inline int berth_store_remove(struct berth_store *s, const char *path, struct berth_err *err)
{
	return s->ops->remove(s, path, err);
}

static inline int berth_store_ping(struct berth_store *s, struct berth_err *err)
{
	return s->ops->ping ? s->ops->ping(s, err) : 0;
}

static inline void berth_store_free(struct berth_store *s)
{
	if (s)
		s->ops->free(s);
}

/* A new empty entry. */
struct berth_store_entry *berth_store_entry_new(void);
struct berth_store_entry *berth_store_entry_dup(const struct berth_store_entry *e);
/* Wipes the secrets. NULL-safe. */
void berth_store_entry_free(struct berth_store_entry *e);

/*
 * The file backend: one JSON file per path, DIR/<path>.json, mode 0600,
 * written atomically; directories 0700. Returns 0 or BERTH_EIO.
 */
int berth_store_file_new(struct berth_store **out, const char *dir, struct berth_err *err);

/*
 * Shared by backends that store entries as JSON maps (file, Kubernetes):
 * encode an entry's fields into obj, and decode them back. Decoding
 * returns BERTH_EPROTO when a field has the wrong type.
 */
struct json_t;
void berth_store__encode(const struct berth_store_entry *e, struct json_t *obj);
int berth_store__decode(struct json_t *obj, struct berth_store_entry *e, const char *where,
			struct berth_err *err);

#endif
