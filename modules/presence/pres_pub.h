/* Publications: the presentity table and its in-memory copy. A record is
 * one lp_malloc block (strings after the struct) linked into pres.pubs by
 * hash of "user@domain". The DB is written first; the cache follows only
 * when the DB write succeeded, so nothing is ever half-stored. */
#ifndef PRES_PUB_H
#define PRES_PUB_H

#include "pres_logic.h"

typedef struct pres_pub {
	lp_hentry_t h;
	lp_str_t user, domain, event, etag, sender, body;
	unsigned int expires;  /* absolute */
	unsigned int received; /* when stored */
	unsigned int seq;	   /* order among equal received times */
	int priority;		   /* presentity.priority (xavp_cfg's priority) */
} pres_pub_t;

typedef struct pres_pub_key {
	const lp_str_t *user, *domain, *event, *etag;
} pres_pub_key_t;

unsigned int pres_pub_hash(const lp_str_t *user, const lp_str_t *domain);

/* New record (lp_malloc block), NULL on failure; priority 0 (set it
 * after). */
pres_pub_t *pres_pub_new(const pres_pub_key_t *k, const lp_str_t *sender,
		const lp_str_t *body, unsigned int expires, unsigned int received);

/* The record of a presentity row (columns as PRES_PUB_COLS) in *out: 1,
 * 0 for a row that is not one (*out NULL, skipped), -1 out of memory. */
int pres_pub_of_row(const lp_db_val_t *c, int n, pres_pub_t **out);

/* The order in which a presentity's publications are handed to the event
 * (agg_nbody's array): retrieve_order 0, by received time; 1, by the
 * columns of retrieve_order_by ("priority", "received_time DESC, etag"
 * ...: priority, received_time, expires, etag, sender, id). Parses the
 * parameter into the order used in memory and the ORDER BY of the DB
 * reads; -1 (logged) on a column or word it does not know. */
int pres_pub_order_init(void);
/* The ORDER BY clause (without the keywords) pres_pub_order_init built. */
const char *pres_pub_order_sql(void);
/* <0, 0, >0 as a comes before b in that order. */
int pres_pub_order_cmp(const pres_pub_t *a, const pres_pub_t *b);

/* Visit every cached live publication (publ_cache 1), bucket by bucket with
 * the bucket locked: cb must not call back into the cache. Stops when cb
 * returns non-zero; returns the number visited. uri (may be NULL) limits it
 * to one presentity ("sip:user@domain"). */
int pres_pub_foreach(const lp_str_t *user, const lp_str_t *domain,
		int (*cb)(const pres_pub_t *p, void *ctx), void *ctx);

/* Store p: INSERT when old_etag is NULL, otherwise replace the publication
 * old_etag (UPDATE). On success the cache owns p; on error (-1, or -2 when
 * old_etag matched no row) nothing changed and the caller still owns p.
 * With a write queue (pres.dbq, pres_dbq.h) the cache changes and the
 * row is written later by the writer process; -3 (PRES_DBQ_FULL) when
 * the queue is full. Takes the presentity's bucket lock. */
int pres_pub_store(pres_pub_t *p, const lp_str_t *old_etag);

/* Remove the publication; 0, -2 when unknown, -1 on DB error, -3 when the
 * write queue is full (nothing changed). */
int pres_pub_remove(const pres_pub_key_t *k);

/* The row of p through db: INSERT when old_etag is NULL, else UPDATE of the
 * row old_etag. Rows changed, or a negative lp_db_err. No lock needed. */
int pres_pub_db_write(lp_db_t *db, const pres_pub_t *p, const lp_str_t *old_etag);

/* Copy of the publication's body and expiry, if it exists (looking in the DB
 * on a cache miss when fallback2db is set). Returns 1 found, 0 not, -1
 * error. body->s is malloc'd (caller frees) and may be NULL when not
 * wanted (body == NULL). */
int pres_pub_lookup(const pres_pub_key_t *k, lp_str_t *body, unsigned int *expires);

/* A copy (pres_pub_new block, caller lp_frees) of the live publication k
 * into *out: from the cache, or the DB when publ_cache is 0 (or on a cache
 * miss with fallback2db, unless a write queue makes the cache the whole
 * truth). 1 found, 0 not (*out NULL), -1 error. Takes the bucket lock
 * itself. */
int pres_pub_get(const pres_pub_key_t *k, pres_pub_t **out);

/* Bodies of every live publication of (user, domain, event), oldest first,
 * malloc'd array of malloc'd strings (free with pres_pub_bodies_free). With
 * fallback2db the DB is read on a cache miss. Returns the count, -1 on
 * error. */
int pres_pub_bodies(const lp_str_t *user, const lp_str_t *domain,
		const lp_str_t *event, lp_str_t ***bodies);

/* Which publications of a presentity something was made from: the
 * version of the cache's bucket that holds them (lp_htable_version) and
 * the first of their expiries. table 0: no stamp (the publications are
 * not all in this instance's memory: publ_cache 0, or fallback2db without
 * the write queue, where the DB may hold what the cache does not). */
typedef struct pres_pub_stamp {
	unsigned int table;	  /* pres.pubs->id */
	unsigned int version; /* its bucket's */
	unsigned int until;	  /* the first expiry (UINT_MAX: none) */
} pres_pub_stamp_t;

/* As pres_pub_bodies, and *st the stamp of what was read (taken under the
 * same bucket lock as the bodies). */
int pres_pub_bodies_stamped(const lp_str_t *user, const lp_str_t *domain,
		const lp_str_t *event, lp_str_t ***bodies, pres_pub_stamp_t *st);

/* The stamp of (user, domain)'s publications now, without the bucket
 * lock: its table and version (until is UINT_MAX); table 0 as above. */
void pres_pub_stamp_now(const lp_str_t *user, const lp_str_t *domain,
		pres_pub_stamp_t *st);
void pres_pub_bodies_free(lp_str_t **bodies, int n);

/* Drop (user, domain, event) from the cache and load its rows from the DB
 * again; returns 0 or -1. */
int pres_pub_reload(const lp_str_t *user, const lp_str_t *domain, const lp_str_t *event);

/* Told of a presentity/event whose publications expired; body is the
 * newest expired one's (for agg_nbody's off_index entry), valid during the
 * call only. */
typedef void (*pres_pub_gone_cb_t)(const lp_str_t *user,
		const lp_str_t *domain, const lp_str_t *event, const lp_str_t *body);

/* Remove expired publications from DB and cache; for each distinct
 * presentity/event removed, call cb (may be NULL). */
void pres_pub_clean(unsigned int now, pres_pub_gone_cb_t cb);

int pres_pub_load_all(void);
void pres_pub_free_entry(lp_hentry_t *e);

#endif
