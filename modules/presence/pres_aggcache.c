/* The presentity documents of this process, one entry per slot of a
 * direct-mapped table (a new document for a slot replaces the old one);
 * see pres_aggcache.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pres_aggcache.h"

typedef struct entry
{
	const pres_ev_t *ev;	/* compared by address: one event, one record */
	pres_pub_stamp_t st;
	lp_str_t user, domain; /* malloc'd, in one block with doc */
	lp_str_t doc;		   /* {NULL,0}: the aggregation made none */
	char *block;		   /* NULL: the slot is empty */
} entry_t;

static struct
{
	entry_t *e;
	unsigned int n; /* slots (pres.cfg.body_cache when made) */
	unsigned long hits;
} cache;

static entry_t *slot_of(
		const lp_str_t *user, const lp_str_t *domain, const pres_ev_t *ev)
{
	uintptr_t h = lp_hash_str2(user, domain) ^ ((uintptr_t)ev >> 4);

	return &cache.e[h % cache.n];
}

static int same_key(const entry_t *e, const lp_str_t *user,
		const lp_str_t *domain, const pres_ev_t *ev)
{
	return e->block && e->ev == ev && lp_str_eq(&e->user, user)
		   && lp_str_eq(&e->domain, domain);
}

static int fresh(const entry_t *e, const pres_pub_stamp_t *st, unsigned int now)
{
	return st->table != 0 && e->st.table == st->table
		   && e->st.version == st->version && now < e->st.until;
}

int pres_aggcache_get(const lp_str_t *user, const lp_str_t *domain,
		const pres_ev_t *ev, const pres_pub_stamp_t *st, unsigned int now,
		lp_str_t *out)
{
	entry_t *e;

	*out = LP_STR_NULL;
	if(!cache.e)
		return 0;
	e = slot_of(user, domain, ev);
	if(!same_key(e, user, domain, ev) || !fresh(e, st, now))
		return 0;
	if(e->doc.s && lp_str_mdup(out, &e->doc) < 0)
		return -1;
	cache.hits++;
	return 1;
}

static void clear(entry_t *e)
{
	free(e->block);
	memset(e, 0, sizeof(*e));
}

/* The table, made on first use with body_cache slots: 0 when off. */
static int made(void)
{
	if(pres.cfg.body_cache <= 0)
		return 0;
	if(cache.e)
		return 1;
	cache.e = calloc(pres.cfg.body_cache, sizeof(*cache.e));
	cache.n = cache.e ? (unsigned int)pres.cfg.body_cache : 0;
	return cache.e != NULL;
}

void pres_aggcache_put(const lp_str_t *user, const lp_str_t *domain,
		const pres_ev_t *ev, const pres_pub_stamp_t *st, const lp_str_t *doc)
{
	int len = doc->s ? doc->len : 0;
	entry_t *e;
	char *w;

	if(st->table == 0 || len > PRES_AGGCACHE_MAX_DOC || !made())
		return;
	e = slot_of(user, domain, ev);
	clear(e);
	e->block = malloc(user->len + domain->len + len + 3);
	if(!e->block)
		return;
	w = e->block;
	lp_str_put(&e->user, &w, user);
	lp_str_put(&e->domain, &w, domain);
	if(doc->s)
		lp_str_put(&e->doc, &w, &(lp_str_t){doc->s, len});
	e->ev = ev;
	e->st = *st;
}

void pres_aggcache_flush(void)
{
	unsigned int i;

	for(i = 0; i < cache.n; i++)
		clear(&cache.e[i]);
	free(cache.e);
	cache.e = NULL;
	cache.n = 0;
}

unsigned long pres_aggcache_hits(void)
{
	return cache.hits;
}
