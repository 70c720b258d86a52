/* presence.publish_cache_sync: the presentity table read again into the
 * publication cache, with the watchers of what changed notified; see
 * pres_pubsync.h. The rows are read without any lock into records sorted
 * by bucket; each bucket is then compared and changed under its lock,
 * unless a request changed it since the read began (its change counter
 * moved); the NOTIFYs go out last, with no lock held. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lp_log.h"
#include "pres_dbq.h"
#include "pres_pub.h"
#include "pres_pubsync.h"
#include "pres_sql.h"

/* shared: one counter per bucket of pres.pubs, under the bucket's lock */
static unsigned int *sync_gen;

int pres_pubsync_init(void)
{
	if(!pres.pubs)
		return -1;
	sync_gen = lp_zalloc(pres.pubs->size * sizeof(*sync_gen));
	return sync_gen ? 0 : -1;
}

void pres_pubsync_destroy(void)
{
	lp_free(sync_gen);
	sync_gen = NULL;
}

void pres_pubsync_touch(unsigned int slot)
{
	if(sync_gen)
		sync_gen[slot]++;
}

/* The rows read, as pres_pub_new records chained through h.next, one
 * chain per bucket; the records linked into the cache leave their chain. */
typedef struct sync_rows {
	lp_hentry_t **by_slot;
	int oom;
} sync_rows_t;

/* A presentity/event that changed: malloc'd strings; off is the body of a
 * dropped publication (for agg_nbody's off_index), or {NULL, 0}. */
typedef struct sync_key {
	lp_str_t user, domain, event, off;
	struct sync_key *next;
} sync_key_t;

static int read_row(void *ctx, const lp_db_val_t *c, int n)
{
	sync_rows_t *r = ctx;
	pres_pub_t *p;
	unsigned int slot;
	int rc = pres_pub_of_row(c, n, &p);

	if(rc < 0)
		r->oom = 1;
	if(rc <= 0)
		return rc < 0;
	slot = lp_htable_slot(pres.pubs, p->h.hash);
	p->h.next = r->by_slot[slot];
	r->by_slot[slot] = &p->h;
	return 0;
}

static void free_rows(sync_rows_t *r)
{
	lp_hentry_t *e, *next;
	unsigned int i;

	for(i = 0; r->by_slot && i < pres.pubs->size; i++)
		for(e = r->by_slot[i]; e; e = next) {
			next = e->next;
			lp_free(e);
		}
	free(r->by_slot);
}

static int same_row(const pres_pub_t *a, const pres_pub_t *b)
{
	return lp_str_eq(&a->user, &b->user) && lp_str_eq(&a->domain, &b->domain)
		   && lp_str_eq(&a->event, &b->event) && lp_str_eq(&a->etag, &b->etag);
}

static int same_state(const pres_pub_t *a, const pres_pub_t *b)
{
	return lp_str_eq(&a->body, &b->body) && a->expires == b->expires
		   && lp_str_eq(&a->sender, &b->sender) && a->priority == b->priority;
}

static int key_of(const sync_key_t *k, const pres_pub_t *p)
{
	return lp_str_eq(&k->user, &p->user) && lp_str_eq(&k->domain, &p->domain)
		   && lp_str_eq(&k->event, &p->event);
}

/* Note p's presentity/event as changed (once); off: a dropped body. */
static void note_key(sync_key_t **keys, const pres_pub_t *p, int off)
{
	sync_key_t *k;

	for(k = *keys; k && !key_of(k, p); k = k->next)
		;
	if(!k) {
		k = calloc(1, sizeof(*k));
		if(!k || lp_str_mdup(&k->user, &p->user) < 0
				|| lp_str_mdup(&k->domain, &p->domain) < 0
				|| lp_str_mdup(&k->event, &p->event) < 0) {
			LP_ERR("publish_cache_sync: out of memory: the watchers of"
				   " %.*s@%.*s are not notified",
					LP_STR_FMT(p->user), LP_STR_FMT(p->domain));
			if(k) {
				free(k->user.s);
				free(k->domain.s);
				free(k);
			}
			return;
		}
		k->next = *keys;
		*keys = k;
	}
	if(off && !k->off.s && p->body.len > 0)
		lp_str_mdup(&k->off, &p->body); /* without it: a plain NOTIFY */
}

/* The row of cached publication p taken out of the chain *rows (NULL when
 * there is none). */
static lp_hentry_t *take_row(lp_hentry_t **rows, const pres_pub_t *p)
{
	lp_hentry_t **pp, *e;

	for(pp = rows; *pp; pp = &(*pp)->next)
		if(same_row((const pres_pub_t *)*pp, p)) {
			e = *pp;
			*pp = e->next;
			return e;
		}
	return NULL;
}

/* Compare one bucket (its lock held) with its rows; what is dropped or
 * replaced goes onto *gone (freed by the caller after the unlock). */
static void sync_bucket(unsigned int slot, lp_hentry_t **rows,
		pres_pubsync_counts_t *out, sync_key_t **keys, lp_hentry_t **gone)
{
	lp_hentry_t *e, *next, *row;
	unsigned int now = pres.now();

	for(e = pres.pubs->buckets[slot].first; e; e = next) {
		pres_pub_t *p = (pres_pub_t *)e;
		next = e->next;
		row = take_row(rows, p);
		if(row && same_state(p, (pres_pub_t *)row)) {
			lp_free(row);
			continue;
		}
		if(!row && p->expires <= now)
			continue; /* the clean timer's, with its NOTIFY */
		note_key(keys, p, row == NULL);
		lp_htable_unlink(pres.pubs, e);
		e->next = *gone;
		*gone = e;
		if(row) {
			lp_htable_link(pres.pubs, row);
			out->updated++;
		} else
			out->removed++;
	}
	for(e = *rows; e; e = next) { /* rows the cache did not have */
		next = e->next;
		note_key(keys, (pres_pub_t *)e, 0);
		lp_htable_link(pres.pubs, e);
		out->added++;
	}
	*rows = NULL;
}

static void apply_all(sync_rows_t *r, const unsigned int *gen,
		pres_pubsync_counts_t *out, sync_key_t **keys)
{
	lp_hentry_t *gone, *next;
	unsigned int i;

	for(i = 0; i < pres.pubs->size; i++) {
		gone = NULL;
		lp_htable_lock(pres.pubs, i);
		if(sync_gen[i] != gen[i])
			out->skipped++; /* a request's change is newer than the read */
		else if(r->by_slot[i] || pres.pubs->buckets[i].first)
			sync_bucket(i, &r->by_slot[i], out, keys, &gone);
		lp_htable_unlock(pres.pubs, i);
		for(; gone; gone = next) {
			next = gone->next;
			lp_free(gone);
		}
	}
}

static void notify_keys(sync_key_t *keys, pres_pubsync_counts_t *out)
{
	sync_key_t *next;
	pres_ev_t *ev;
	int n;

	for(; keys; keys = next) {
		next = keys->next;
		ev = pres_event_by_hdr(&keys->event);
		if(ev) {
			n = pres_notify_watchers_off(&keys->user, &keys->domain, ev, NULL,
					keys->off.s ? &keys->off : NULL);
			out->notified += n > 0 ? n : 0;
		}
		free(keys->user.s);
		free(keys->domain.s);
		free(keys->event.s);
		free(keys->off.s);
		free(keys);
	}
}

/* Copy the change counters once the write queue is empty: every change
 * queued before the copy is then in the table, every later one moves a
 * counter. 0, or PRES_PUBSYNC_BUSY after wait_ms. */
static int quiet_point(unsigned int *gen, int wait_ms)
{
	unsigned int i;

	for(;;) {
		for(i = 0; i < pres.pubs->size; i++) {
			lp_htable_lock(pres.pubs, i);
			gen[i] = sync_gen[i];
			lp_htable_unlock(pres.pubs, i);
		}
		if(pres_dbq_len() == 0)
			return 0;
		if(wait_ms <= 0)
			return PRES_PUBSYNC_BUSY;
		usleep(10000);
		wait_ms -= 10;
	}
}

int pres_pub_sync(int wait_ms, pres_pubsync_counts_t *out)
{
	lp_db_val_t v[1] = {LP_DB_VINT(pres.now())};
	sync_rows_t rows = {NULL, 0};
	sync_key_t *keys = NULL;
	unsigned int *gen = NULL;
	lp_db_t *db;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if(!pres.cfg.db_url || !pres.cfg.publ_cache)
		return PRES_PUBSYNC_NOCACHE;
	if(!sync_gen || !(db = pres_db()))
		return -1;
	gen = malloc(pres.pubs->size * sizeof(*gen));
	rows.by_slot = calloc(pres.pubs->size, sizeof(*rows.by_slot));
	if(!gen || !rows.by_slot)
		goto done;
	rc = quiet_point(gen, wait_ms);
	if(rc != 0)
		goto done;
	if(pres_db_load_paged(db, pres_sql.pub_load, v, 1, read_row, &rows) < 0
			|| rows.oom) {
		LP_ERR("publish_cache_sync: cannot read the presentity table");
		rc = -1;
		goto done;
	}
	apply_all(&rows, gen, out, &keys);
	notify_keys(keys, out);
done:
	free_rows(&rows);
	free(gen);
	return rc;
}
