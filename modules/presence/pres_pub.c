/* Publications in the DB and in the shared cache; see pres_pub.h. */
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lp_log.h"
#include "pres_pub.h"
#include "pres_dbq.h"
#include "pres_pubsync.h"
#include "pres_sql.h"

static unsigned int pub_seq; /* per process; orders equal received times */

unsigned int pres_pub_hash(const lp_str_t *user, const lp_str_t *domain)
{
	return lp_hash_str2(user, domain);
}

pres_pub_t *pres_pub_new(const pres_pub_key_t *k, const lp_str_t *sender,
		const lp_str_t *body, unsigned int expires, unsigned int received)
{
	size_t size = sizeof(pres_pub_t) + k->user->len + k->domain->len
				  + k->event->len + k->etag->len + 6;
	pres_pub_t *p;
	char *w;

	size += (sender ? sender->len : 0) + (body ? body->len : 0);
	p = lp_zalloc(size);
	if(!p)
		return NULL;
	w = (char *)(p + 1);
	lp_str_put(&p->user, &w, k->user);
	lp_str_put(&p->domain, &w, k->domain);
	lp_str_put(&p->event, &w, k->event);
	lp_str_put(&p->etag, &w, k->etag);
	lp_str_put(&p->sender, &w, sender);
	lp_str_put(&p->body, &w, body);
	p->expires = expires;
	p->received = received;
	p->seq = ++pub_seq;
	p->h.hash = pres_pub_hash(k->user, k->domain);
	return p;
}

void pres_pub_free_entry(lp_hentry_t *e)
{
	lp_free(e);
}

static int match_pub(const lp_hentry_t *e, const void *key)
{
	const pres_pub_t *p = (const pres_pub_t *)e;
	const pres_pub_key_t *k = key;

	return lp_str_eq(&p->user, k->user) && lp_str_eq(&p->domain, k->domain)
		   && lp_str_eq(&p->event, k->event)
		   && (!k->etag || lp_str_eq(&p->etag, k->etag));
}

int pres_pub_db_write(lp_db_t *db, const pres_pub_t *p, const lp_str_t *old_etag)
{
	if(!old_etag) {
		lp_db_val_t v[9] = {LP_DB_VSTR(p->user), LP_DB_VSTR(p->domain),
				LP_DB_VSTR(p->event), LP_DB_VSTR(p->etag),
				LP_DB_VINT(p->expires), LP_DB_VINT(p->received),
				LP_DB_VSTR(p->body), LP_DB_VSTR(p->sender),
				LP_DB_VINT(p->priority)};
		return lp_db_exec(db, pres_sql.pub_insert, v, 9, NULL, NULL);
	} else {
		lp_db_val_t v[10] = {LP_DB_VSTR(p->etag), LP_DB_VINT(p->expires),
				LP_DB_VINT(p->received), LP_DB_VSTR(p->body),
				LP_DB_VSTR(p->sender), LP_DB_VINT(p->priority),
				LP_DB_VSTR(p->user), LP_DB_VSTR(p->domain),
				LP_DB_VSTR(p->event), LP_DB_VSTR(*old_etag)};
		return lp_db_exec(db, pres_sql.pub_update, v, 10, NULL, NULL);
	}
}

/* db_write_interval: the cache changes and the change is queued in one
 * critical section (the bucket lock), so the writer sees the changes of a
 * publication in cache order; the cache is the only truth until then. */
static int store_queued(pres_pub_t *p, const lp_str_t *old_etag)
{
	pres_pub_key_t k = {&p->user, &p->domain, &p->event, old_etag};
	unsigned int slot = lp_htable_slot(pres.pubs, p->h.hash);
	lp_hentry_t *old = NULL;
	int rc = 0;

	lp_htable_lock(pres.pubs, slot);
	if(old_etag) {
		old = lp_htable_find(pres.pubs, p->h.hash, match_pub, &k);
		if(!old)
			rc = -2;
	}
	if(rc == 0)
		rc = pres_dbq_store(p, old_etag);
	if(rc == 0) {
		if(old)
			lp_htable_unlink(pres.pubs, old);
		lp_htable_link(pres.pubs, &p->h);
		pres_pubsync_touch(slot);
	}
	lp_htable_unlock(pres.pubs, slot);
	if(rc == 0)
		lp_free(old);
	return rc;
}

static int remove_queued(const pres_pub_key_t *k)
{
	unsigned int hash = pres_pub_hash(k->user, k->domain);
	unsigned int slot = lp_htable_slot(pres.pubs, hash);
	lp_hentry_t *e;
	int rc = -2;

	lp_htable_lock(pres.pubs, slot);
	e = lp_htable_find(pres.pubs, hash, match_pub, k);
	if(e)
		rc = pres_dbq_remove(k);
	if(e && rc == 0) {
		lp_htable_unlink(pres.pubs, e);
		pres_pubsync_touch(slot);
	}
	lp_htable_unlock(pres.pubs, slot);
	if(rc == 0)
		lp_free(e);
	return rc;
}

/* The row of p is already cached when presence.publish_cache_sync read
 * the table between this store's DB write and its cache change (and cached
 * the row): that copy goes, so that one record per row stays. Under the
 * bucket lock. */
static void unlink_same_etag(const pres_pub_t *p)
{
	pres_pub_key_t k = {&p->user, &p->domain, &p->event, &p->etag};
	lp_hentry_t *dup = lp_htable_find(pres.pubs, p->h.hash, match_pub, &k);

	if(dup) {
		lp_htable_unlink(pres.pubs, dup);
		lp_free(dup);
	}
}

int pres_pub_store(pres_pub_t *p, const lp_str_t *old_etag)
{
	lp_db_t *db;
	pres_pub_key_t k = {&p->user, &p->domain, &p->event, old_etag};
	unsigned int slot = lp_htable_slot(pres.pubs, p->h.hash);
	lp_hentry_t *old = NULL;
	int rc;

	if(pres_dbq_pubs())
		return store_queued(p, old_etag);
	db = pres_db();
	if(!db)
		return -1;
	rc = pres_pub_db_write(db, p, old_etag);
	if(rc < 0)
		return -1;
	if(old_etag && rc == 0)
		return -2;
	if(!pres.cfg.publ_cache) {
		lp_free(p);
		return 0;
	}
	lp_htable_lock(pres.pubs, slot);
	if(old_etag) {
		old = lp_htable_find(pres.pubs, p->h.hash, match_pub, &k);
		if(old)
			lp_htable_unlink(pres.pubs, old);
	}
	unlink_same_etag(p);
	lp_htable_link(pres.pubs, &p->h);
	pres_pubsync_touch(slot);
	lp_htable_unlock(pres.pubs, slot);
	lp_free(old);
	return 0;
}

int pres_pub_remove(const pres_pub_key_t *k)
{
	lp_db_t *db;
	unsigned int hash = pres_pub_hash(k->user, k->domain);
	unsigned int slot = lp_htable_slot(pres.pubs, hash);
	lp_db_val_t v[4] = {LP_DB_VSTR(*k->user), LP_DB_VSTR(*k->domain),
			LP_DB_VSTR(*k->event), LP_DB_VSTR(*k->etag)};
	lp_hentry_t *e;
	int rc;

	if(pres_dbq_pubs())
		return remove_queued(k);
	db = pres_db();
	if(!db)
		return -1;
	rc = lp_db_exec(db, pres_sql.pub_delete, v, 4, NULL, NULL);
	if(rc < 0)
		return -1;
	if(!pres.cfg.publ_cache)
		return rc == 0 ? -2 : 0;
	lp_htable_lock(pres.pubs, slot);
	e = lp_htable_find(pres.pubs, hash, match_pub, k);
	if(e) {
		lp_htable_unlink(pres.pubs, e);
		pres_pubsync_touch(slot);
	}
	lp_htable_unlock(pres.pubs, slot);
	lp_free(e);
	return (rc == 0 && !e) ? -2 : 0;
}

int pres_pub_of_row(const lp_db_val_t *c, int n, pres_pub_t **out)
{
	pres_pub_key_t k = {&c[0].v.s, &c[1].v.s, &c[2].v.s, &c[3].v.s};

	*out = NULL;
	if(n < 8 || c[0].type != LP_DB_STR || c[1].type != LP_DB_STR
			|| c[2].type != LP_DB_STR || c[3].type != LP_DB_STR)
		return 0;
	*out = pres_pub_new(&k, c[7].type == LP_DB_NULL ? NULL : &c[7].v.s,
			c[6].type == LP_DB_NULL ? NULL : &c[6].v.s, (unsigned int)c[4].v.i,
			(unsigned int)c[5].v.i);
	if(!*out)
		return -1;
	if(n > 8 && c[8].type == LP_DB_INT)
		(*out)->priority = (int)c[8].v.i;
	return 1;
}

/* Row -> cache (skipping a publication already cached). */
static int load_row(void *ctx, const lp_db_val_t *c, int n)
{
	pres_pub_key_t k;
	pres_pub_t *p;
	unsigned int slot;
	int *count = ctx, rc = pres_pub_of_row(c, n, &p);

	if(rc <= 0)
		return rc < 0;
	k = (pres_pub_key_t){&p->user, &p->domain, &p->event, &p->etag};
	slot = lp_htable_slot(pres.pubs, p->h.hash);
	lp_htable_lock(pres.pubs, slot);
	if(lp_htable_find(pres.pubs, p->h.hash, match_pub, &k)) {
		lp_htable_unlock(pres.pubs, slot);
		lp_free(p);
		return 0;
	}
	lp_htable_link(pres.pubs, &p->h);
	pres_pubsync_touch(slot);
	lp_htable_unlock(pres.pubs, slot);
	if(count)
		(*count)++;
	return 0;
}

/* The live (unexpired) cached publication of key k handed to `use` under
 * its bucket lock, p valid only then (use copies what it needs): 0 when
 * there is none, else what use returns (1, or -1 out of memory). */
typedef int (*cached_use_f)(const pres_pub_t *p, void *ctx);

static int cached_with(const pres_pub_key_t *k, cached_use_f use, void *ctx)
{
	unsigned int hash = pres_pub_hash(k->user, k->domain);
	unsigned int slot = lp_htable_slot(pres.pubs, hash);
	pres_pub_t *p;
	int rc = 0;

	lp_htable_lock(pres.pubs, slot);
	p = (pres_pub_t *)lp_htable_find(pres.pubs, hash, match_pub, k);
	if(p && p->expires > pres.now())
		rc = use(p, ctx);
	lp_htable_unlock(pres.pubs, slot);
	return rc;
}

typedef struct found_row {
	lp_str_t *body;
	unsigned int *expires;
	int found; /* 1 found, -1 out of memory */
} found_row_t;

static int exists_use(const pres_pub_t *p, void *ctx)
{
	found_row_t *f = ctx;

	if(f->expires)
		*f->expires = p->expires;
	return (f->body && lp_str_mdup(f->body, &p->body) < 0) ? -1 : 1;
}

static int cached_exists(
		const pres_pub_key_t *k, lp_str_t *body, unsigned int *expires)
{
	found_row_t f = {body, expires, 0};

	return cached_with(k, exists_use, &f);
}

static int found_row(void *ctx, const lp_db_val_t *c, int n)
{
	found_row_t *f = ctx;

	if(n < 8 || (unsigned int)c[4].v.i <= pres.now())
		return 0;
	f->found = 1;
	if(f->expires)
		*f->expires = (unsigned int)c[4].v.i;
	if(f->body && lp_str_mdup(f->body, c[6].type == LP_DB_NULL ? &LP_STR("") : &c[6].v.s) < 0)
		f->found = -1;
	return 1;
}

/* publ_cache 0: the publication straight from the DB. */
static int db_lookup(const pres_pub_key_t *k, lp_str_t *body, unsigned int *expires)
{
	lp_db_t *db = pres_db();
	lp_db_val_t v[4] = {LP_DB_VSTR(*k->user), LP_DB_VSTR(*k->domain),
			LP_DB_VSTR(*k->event), LP_DB_VSTR(*k->etag)};
	found_row_t f = {body, expires, 0};

	if(!db || lp_db_exec(db, pres_sql.pub_by_etag, v, 4, found_row, &f) < 0)
		return -1;
	return f.found;
}

int pres_pub_lookup(const pres_pub_key_t *k, lp_str_t *body, unsigned int *expires)
{
	int rc;
	lp_db_t *db;

	if(!pres.cfg.publ_cache)
		return db_lookup(k, body, expires);
	rc = cached_exists(k, body, expires);

	/* with a write queue the cache is the whole truth: the DB may lag */
	if(rc != 0 || !pres.cfg.fallback2db || pres_dbq_pubs())
		return rc;
	db = pres_db();
	if(db) {
		lp_db_val_t v[4] = {LP_DB_VSTR(*k->user), LP_DB_VSTR(*k->domain),
				LP_DB_VSTR(*k->event), LP_DB_VSTR(*k->etag)};
		if(lp_db_exec(db, pres_sql.pub_by_etag, v, 4, load_row, NULL) < 0)
			return -1;
	}
	return cached_exists(k, body, expires);
}

typedef struct body_list {
	lp_str_t **items;
	int n, cap;
} body_list_t;

static int collect(body_list_t *bl, const lp_str_t *body)
{
	lp_str_t *b;
	lp_str_t **items;

	if(bl->n == bl->cap) {
		bl->cap = bl->cap ? bl->cap * 2 : 4;
		items = realloc(bl->items, bl->cap * sizeof(*items));
		if(!items)
			return -1;
		bl->items = items;
	}
	b = malloc(sizeof(*b));
	if(!b)
		return -1;
	if(lp_str_mdup(b, body) < 0) {
		free(b);
		return -1;
	}
	bl->items[bl->n++] = b;
	return 0;
}

/* Cached live publications of the key, sorted oldest first; their stamp
 * into *st (may be NULL). */
static int cached_bodies(
		const pres_pub_key_t *k, body_list_t *bl, pres_pub_stamp_t *st)
{
	unsigned int hash = pres_pub_hash(k->user, k->domain);
	unsigned int slot = lp_htable_slot(pres.pubs, hash);
	unsigned int now = pres.now(), until = UINT_MAX;
	const pres_pub_t *sel[64];
	int nsel = 0, i, j, rc = 0;
	lp_hentry_t *e;

	lp_htable_lock(pres.pubs, slot);
	for(e = pres.pubs->buckets[slot].first; e && nsel < 64; e = e->next) {
		const pres_pub_t *p = (const pres_pub_t *)e;
		if(e->hash != hash || p->expires <= now || !match_pub(e, k))
			continue;
		/* insertion sort; the bucket lists newest first, so an equal key
		 * goes before: equals end up oldest first (insertion order, as
		 * the DB's ORDER BY ..., id gives them) */
		for(i = nsel; i > 0; i--) {
			if(pres_pub_order_cmp(sel[i - 1], p) < 0)
				break;
			sel[i] = sel[i - 1];
		}
		sel[i] = p;
		nsel++;
		if(p->expires < until)
			until = p->expires;
	}
	for(j = 0; j < nsel && rc == 0; j++)
		rc = collect(bl, &sel[j]->body);
	if(st) {
		st->table = pres.pubs->id;
		st->version = lp_htable_version(pres.pubs, slot);
		st->until = until;
	}
	lp_htable_unlock(pres.pubs, slot);
	return rc;
}

static int body_row(void *ctx, const lp_db_val_t *c, int n)
{
	if(n < 8)
		return 0;
	return collect(ctx, c[6].type == LP_DB_NULL ? &LP_STR("") : &c[6].v.s) < 0 ? 1 : 0;
}

/* publ_cache 0: every live publication from the DB, oldest first. */
static int db_bodies(const lp_str_t *user, const lp_str_t *domain,
		const lp_str_t *event, body_list_t *bl)
{
	lp_db_t *db = pres_db();
	lp_db_val_t v[4] = {LP_DB_VSTR(*user), LP_DB_VSTR(*domain),
			LP_DB_VSTR(*event), LP_DB_VINT(pres.now())};

	if(!db || lp_db_exec(db, pres_sql.pub_of_uri, v, 4, body_row, bl) < 0)
		return -1;
	return 0;
}

/* The publications are all in memory: a stamp tells what they were. */
static int stampable(void)
{
	return pres.pubs && pres.cfg.publ_cache
		   && (!pres.cfg.fallback2db || pres_dbq_pubs());
}

void pres_pub_stamp_now(const lp_str_t *user, const lp_str_t *domain,
		pres_pub_stamp_t *st)
{
	unsigned int slot;

	memset(st, 0, sizeof(*st));
	if(!stampable())
		return;
	slot = lp_htable_slot(pres.pubs, pres_pub_hash(user, domain));
	st->table = pres.pubs->id;
	st->version = lp_htable_version(pres.pubs, slot);
	st->until = UINT_MAX;
}

int pres_pub_bodies_stamped(const lp_str_t *user, const lp_str_t *domain,
		const lp_str_t *event, lp_str_t ***bodies, pres_pub_stamp_t *st)
{
	pres_pub_key_t k = {user, domain, event, NULL};
	body_list_t bl = {NULL, 0, 0};

	memset(st, 0, sizeof(*st));
	if(!pres.cfg.publ_cache) {
		if(db_bodies(user, domain, event, &bl) < 0)
			goto error;
		*bodies = bl.items;
		return bl.n;
	}
	if(cached_bodies(&k, &bl, stampable() ? st : NULL) < 0)
		goto error;
	if(bl.n == 0 && pres.cfg.fallback2db && !pres_dbq_pubs()) {
		if(pres_pub_reload(user, domain, event) < 0
				|| cached_bodies(&k, &bl, NULL) < 0)
			goto error;
	}
	*bodies = bl.items;
	return bl.n;

error:
	pres_pub_bodies_free(bl.items, bl.n);
	*bodies = NULL;
	memset(st, 0, sizeof(*st));
	return -1;
}

int pres_pub_bodies(const lp_str_t *user, const lp_str_t *domain,
		const lp_str_t *event, lp_str_t ***bodies)
{
	pres_pub_stamp_t st;

	return pres_pub_bodies_stamped(user, domain, event, bodies, &st);
}

void pres_pub_bodies_free(lp_str_t **bodies, int n)
{
	int i;

	for(i = 0; i < n; i++) {
		free(bodies[i]->s);
		free(bodies[i]);
	}
	free(bodies);
}

int pres_pub_reload(const lp_str_t *user, const lp_str_t *domain, const lp_str_t *event)
{
	lp_db_t *db = pres_db();
	pres_pub_key_t k = {user, domain, event, NULL};
	unsigned int hash = pres_pub_hash(user, domain);
	unsigned int slot = lp_htable_slot(pres.pubs, hash);
	lp_db_val_t v[4] = {LP_DB_VSTR(*user), LP_DB_VSTR(*domain),
			LP_DB_VSTR(*event), LP_DB_VINT(pres.now())};
	lp_hentry_t *e;

	if(!pres.cfg.publ_cache)
		return 0; /* nothing cached: every read goes to the DB */
	if(pres_dbq_len() > 0) {
		/* the DB lags behind the cache: reloading would bring back
		 * state the queued changes replace */
		LP_WARN("changes wait for the database: %.*s@%.*s"
				" served from memory, not reloaded", LP_STR_FMT(*user),
				LP_STR_FMT(*domain));
		return 0;
	}
	if(!db)
		return -1;
	lp_htable_lock(pres.pubs, slot);
	while((e = lp_htable_find(pres.pubs, hash, match_pub, &k)) != NULL) {
		lp_htable_unlink(pres.pubs, e);
		lp_free(e);
		pres_pubsync_touch(slot);
	}
	lp_htable_unlock(pres.pubs, slot);
	return lp_db_exec(db, pres_sql.pub_of_uri, v, 4, load_row, NULL) < 0 ? -1 : 0;
}

/* Unlink every expired record of one bucket onto *out. */
static void take_expired(unsigned int slot, unsigned int now, lp_hentry_t **out)
{
	lp_hentry_t **pp = &pres.pubs->buckets[slot].first;

	while(*pp) {
		lp_hentry_t *e = *pp;
		if(((pres_pub_t *)e)->expires <= now) {
			pres_pubsync_touch(slot);
			lp_htable_changed(pres.pubs, slot);
			*pp = e->next;
			pres.pubs->buckets[slot].count--;
			e->next = *out;
			*out = e;
		} else {
			pp = &e->next;
		}
	}
}

static int same_key(const pres_pub_t *a, const pres_pub_t *b)
{
	return lp_str_eq(&a->user, &b->user) && lp_str_eq(&a->domain, &b->domain)
		   && lp_str_eq(&a->event, &b->event);
}

/* Hand each distinct (user, domain, event) of the list to cb once, and free
 * the records. Records of one presentity share a bucket, so the list is
 * that of one bucket and short. */
static void report_expired(lp_hentry_t *gone, pres_pub_gone_cb_t cb)
{
	lp_hentry_t *e, *f, *next;

	for(e = gone; e; e = next) {
		pres_pub_t *p = (pres_pub_t *)e;
		next = e->next;
		for(f = next; f && !same_key(p, (pres_pub_t *)f); f = f->next)
			;
		if(cb && !f) /* the last record of its key reports it */
			cb(&p->user, &p->domain, &p->event, &p->body);
		lp_free(p);
	}
}

/* Rows of expired publications: user, domain, event, body quads (malloc'd
 * strings), sorted by key, the newest of a key last. */
#define KEY_COLS 4
typedef struct key_list {
	lp_str_t *keys;
	int n, cap;
} key_list_t;

static int key_row(void *ctx, const lp_db_val_t *c, int n)
{
	key_list_t *l = ctx;
	lp_str_t *nk;
	int i;

	if(n < KEY_COLS)
		return 0;
	if(l->n + KEY_COLS > l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16 * KEY_COLS;
		nk = realloc(l->keys, l->cap * sizeof(*nk));
		if(!nk)
			return 1;
		l->keys = nk;
	}
	for(i = 0; i < KEY_COLS; i++) {
		l->keys[l->n + i] = LP_STR_NULL;
		if(c[i].v.s.len > 0 && lp_str_mdup(&l->keys[l->n + i], &c[i].v.s) < 0)
			return 1;
	}
	l->n += KEY_COLS;
	return 0;
}

/* publ_cache 0: the expired keys, then their rows, in one transaction. */
/* The quad at i is the last of its key (the list is sorted by key). */
static int last_of_key(const key_list_t *l, int i)
{
	int j = i + KEY_COLS, k;

	if(j >= l->n)
		return 1;
	for(k = 0; k < 3; k++)
		if(!lp_str_eq(&l->keys[i + k], &l->keys[j + k]))
			return 1;
	return 0;
}

static void db_clean(lp_db_t *db, unsigned int now, pres_pub_gone_cb_t cb)
{
	lp_db_val_t v[1] = {LP_DB_VINT(now)};
	key_list_t l = {NULL, 0, 0};
	int i, ok;

	if(!db || lp_db_begin(db) < 0)
		return;
	ok = lp_db_exec(db, pres_sql.pub_expired_keys, v, 1, key_row, &l) >= 0
		 && lp_db_exec(db, pres_sql.pub_delete_expired, v, 1, NULL, NULL) >= 0
		 && lp_db_commit(db) == 0;
	if(!ok) {
		lp_db_rollback(db);
		LP_ERR("cannot delete expired publications");
	}
	for(i = 0; i + KEY_COLS - 1 < l.n; i += KEY_COLS)
		if(ok && cb && last_of_key(&l, i))
			cb(&l.keys[i], &l.keys[i + 1], &l.keys[i + 2], &l.keys[i + 3]);
	for(i = 0; i < l.n; i++)
		free(l.keys[i].s);
	free(l.keys);
}

void pres_pub_clean(unsigned int now, pres_pub_gone_cb_t cb)
{
	lp_db_t *db = pres_db();
	lp_db_val_t v[1] = {LP_DB_VINT(now)};
	lp_hentry_t *gone;
	unsigned int i;

	if(!pres.cfg.publ_cache) {
		db_clean(db, now, cb);
		return;
	}
	if(db && lp_db_exec(db, pres_sql.pub_delete_expired, v, 1, NULL, NULL) < 0)
		LP_ERR("cannot delete expired publications");
	for(i = 0; i < pres.pubs->size; i++) {
		if(!pres.pubs->buckets[i].first)
			continue;
		gone = NULL;
		lp_htable_lock(pres.pubs, i);
		take_expired(i, now, &gone);
		lp_htable_unlock(pres.pubs, i);
		report_expired(gone, cb);
	}
}

int pres_pub_load_all(void)
{
	lp_db_t *db = pres_db();
	lp_db_val_t v[1] = {LP_DB_VINT(pres.now())};
	int count = 0;

	if(!pres.cfg.publ_cache)
		return 0;
	if(!db)
		return -1;
	if(pres_db_load_paged(db, pres_sql.pub_load, v, 1, load_row, &count) < 0)
		return -1;
	LP_INFO("loaded %d publications", count);
	return count;
}

/* ---- retrieve_order / retrieve_order_by ---- */

enum pub_col { PC_PRIORITY, PC_RECEIVED, PC_EXPIRES, PC_ETAG, PC_SENDER, PC_ID };
#define PRES_ORDER_MAX 6

static const struct {
	const char *name;
	enum pub_col col;
} pub_cols[] = {{"priority", PC_PRIORITY}, {"received_time", PC_RECEIVED},
		{"expires", PC_EXPIRES}, {"etag", PC_ETAG}, {"sender", PC_SENDER},
		{"id", PC_ID}};

static struct {
	int n;
	enum pub_col col[PRES_ORDER_MAX];
	int desc[PRES_ORDER_MAX];
	char sql[256];
} pub_order = {2, {PC_RECEIVED, PC_ID}, {0, 0}, "received_time, id"};

/* One "column [ASC|DESC]" item of retrieve_order_by; -1 when unknown. */
static int order_item(char *item)
{
	char *col = strtok(item, " \t"), *dir = strtok(NULL, " \t");
	size_t i;

	if(!col || strtok(NULL, " \t") || pub_order.n >= PRES_ORDER_MAX)
		return -1;
	for(i = 0; i < sizeof(pub_cols) / sizeof(pub_cols[0]); i++)
		if(strcasecmp(col, pub_cols[i].name) == 0)
			break;
	if(i == sizeof(pub_cols) / sizeof(pub_cols[0]))
		return -1;
	pub_order.col[pub_order.n] = pub_cols[i].col;
	pub_order.desc[pub_order.n] = 0;
	if(dir && strcasecmp(dir, "desc") == 0)
		pub_order.desc[pub_order.n] = 1;
	else if(dir && strcasecmp(dir, "asc") != 0)
		return -1;
	pub_order.n++;
	return 0;
}

static int parse_order(void)
{
	char buf[256], *save = NULL, *item;
	int i, n = 0;

	pub_order.n = 2; /* retrieve_order 0: received time, then insertion */
	pub_order.col[0] = PC_RECEIVED;
	pub_order.col[1] = PC_ID;
	pub_order.desc[0] = pub_order.desc[1] = 0;
	snprintf(pub_order.sql, sizeof(pub_order.sql), "received_time, id");
	if(!pres.cfg.retrieve_order)
		return 0;
	if(!pres.cfg.retrieve_order_by
			|| snprintf(buf, sizeof(buf), "%s", pres.cfg.retrieve_order_by)
					   >= (int)sizeof(buf))
		goto bad;
	pub_order.n = 0;
	for(item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save))
		if(order_item(item) < 0)
			goto bad;
	if(pub_order.n == 0)
		goto bad;
	/* rebuilt from the parsed items: only known words reach the SQL */
	for(i = 0; i < pub_order.n; i++) {
		size_t k;
		for(k = 0; pub_cols[k].col != pub_order.col[i]; k++)
			;
		n += snprintf(pub_order.sql + n, sizeof(pub_order.sql) - n, "%s%s%s",
				i ? ", " : "", pub_cols[k].name, pub_order.desc[i] ? " DESC" : "");
	}
	/* the DB's order of equal keys is insertion order, as in memory */
	snprintf(pub_order.sql + n, sizeof(pub_order.sql) - n, ", id");
	return 0;
bad:
	LP_ERR("retrieve_order_by '%s': expected a comma-separated list of"
		   " priority, received_time, expires, etag, sender, id, each"
		   " optionally followed by ASC or DESC",
			pres.cfg.retrieve_order_by ? pres.cfg.retrieve_order_by : "");
	return -1;
}

/* A new order is a change of every presentity's publications (what was
 * made from them in the old order, pres_aggcache.h, is not theirs now). */
int pres_pub_order_init(void)
{
	int rc = parse_order();
	unsigned int i;

	for(i = 0; pres.pubs && i < pres.pubs->size; i++) {
		lp_htable_lock(pres.pubs, i);
		lp_htable_changed(pres.pubs, i);
		lp_htable_unlock(pres.pubs, i);
	}
	return rc;
}

const char *pres_pub_order_sql(void)
{
	return pub_order.sql;
}

static int cmp_col(const pres_pub_t *a, const pres_pub_t *b, enum pub_col c)
{
	int r;

	switch(c) {
		case PC_PRIORITY:
			return (a->priority > b->priority) - (a->priority < b->priority);
		case PC_RECEIVED:
			return (a->received > b->received) - (a->received < b->received);
		case PC_EXPIRES:
			return (a->expires > b->expires) - (a->expires < b->expires);
		case PC_ETAG:
		case PC_SENDER: {
			const lp_str_t *x = c == PC_ETAG ? &a->etag : &a->sender;
			const lp_str_t *y = c == PC_ETAG ? &b->etag : &b->sender;
			r = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
			return r ? r : (x->len > y->len) - (x->len < y->len);
		}
		case PC_ID:
		default:
			break;
	}
	/* id: insertion order, which is (received, seq) in memory */
	if(a->received != b->received)
		return a->received < b->received ? -1 : 1;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

int pres_pub_order_cmp(const pres_pub_t *a, const pres_pub_t *b)
{
	int i, r;

	for(i = 0; i < pub_order.n; i++) {
		r = cmp_col(a, b, pub_order.col[i]);
		if(r)
			return pub_order.desc[i] ? -r : r;
	}
	return cmp_col(a, b, PC_ID);
}

static int visit_bucket(unsigned int slot, const lp_str_t *user,
		const lp_str_t *domain, int (*cb)(const pres_pub_t *p, void *ctx),
		void *ctx, int *stop)
{
	unsigned int now = pres.now();
	lp_hentry_t *e;
	int n = 0;

	lp_htable_lock(pres.pubs, slot);
	for(e = pres.pubs->buckets[slot].first; e && !*stop; e = e->next) {
		const pres_pub_t *p = (const pres_pub_t *)e;
		if(p->expires <= now
				|| (user && (!lp_str_eq(&p->user, user)
							|| !lp_str_caseeq(&p->domain, domain))))
			continue;
		n++;
		*stop = cb(p, ctx);
	}
	lp_htable_unlock(pres.pubs, slot);
	return n;
}

int pres_pub_foreach(const lp_str_t *user, const lp_str_t *domain,
		int (*cb)(const pres_pub_t *p, void *ctx), void *ctx)
{
	unsigned int i;
	int n = 0, stop = 0;

	if(!pres.pubs)
		return 0;
	if(user) {
		i = lp_htable_slot(pres.pubs, pres_pub_hash(user, domain));
		return visit_bucket(i, user, domain, cb, ctx, &stop);
	}
	for(i = 0; i < pres.pubs->size && !stop; i++)
		if(pres.pubs->buckets[i].first)
			n += visit_bucket(i, NULL, NULL, cb, ctx, &stop);
	return n;
}

typedef struct get_ctx {
	pres_pub_t *p;
	int oom;
} get_ctx_t;

/* A copy of row c (PRES_PUB_COLS) into ctx when live. */
static int get_row(void *ctx, const lp_db_val_t *c, int n)
{
	get_ctx_t *g = ctx;
	pres_pub_t **out = &g->p;
	pres_pub_key_t k;

	if(n < 8 || c[0].type != LP_DB_STR || c[1].type != LP_DB_STR
			|| c[2].type != LP_DB_STR || c[3].type != LP_DB_STR
			|| (unsigned int)c[4].v.i <= pres.now())
		return 0;
	k = (pres_pub_key_t){&c[0].v.s, &c[1].v.s, &c[2].v.s, &c[3].v.s};
	*out = pres_pub_new(&k, c[7].type == LP_DB_NULL ? NULL : &c[7].v.s,
			c[6].type == LP_DB_NULL ? NULL : &c[6].v.s,
			(unsigned int)c[4].v.i, (unsigned int)c[5].v.i);
	if(*out && n > 8 && c[8].type == LP_DB_INT)
		(*out)->priority = (int)c[8].v.i;
	g->oom = *out == NULL;
	return 1;
}

/* A copy of the cached p (lp_malloc) into *(pres_pub_t **)ctx. */
static int get_use(const pres_pub_t *p, void *ctx)
{
	pres_pub_t **out = ctx;
	pres_pub_key_t pk = {&p->user, &p->domain, &p->event, &p->etag};

	*out = pres_pub_new(&pk, &p->sender, &p->body, p->expires, p->received);
	if(!*out)
		return -1;
	(*out)->priority = p->priority;
	return 1;
}

static int cached_get(const pres_pub_key_t *k, pres_pub_t **out)
{
	return cached_with(k, get_use, out);
}

int pres_pub_get(const pres_pub_key_t *k, pres_pub_t **out)
{
	lp_db_t *db;
	lp_db_val_t v[4] = {LP_DB_VSTR(*k->user), LP_DB_VSTR(*k->domain),
			LP_DB_VSTR(*k->event), LP_DB_VSTR(*k->etag)};
	get_ctx_t g = {NULL, 0};
	int rc;

	*out = NULL;
	if(pres.cfg.publ_cache) {
		rc = cached_get(k, out);
		/* with a write queue the cache is the whole truth: the row of a
		 * publication removed from it may wait for its queued DELETE */
		if(rc != 0 || !pres.cfg.fallback2db || pres_dbq_pubs())
			return rc;
	}
	db = pres_db();
	if(!db || lp_db_exec(db, pres_sql.pub_by_etag, v, 4, get_row, &g) < 0
			|| g.oom) {
		lp_free(g.p);
		return -1;
	}
	*out = g.p;
	return g.p ? 1 : 0;
}
