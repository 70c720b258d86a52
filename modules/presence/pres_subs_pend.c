/* The pending-delete list of the subscription write-back (see
 * pres_subs_pend.h): a singly linked list of one-block keys under one lock.
 * Retries take the whole list out under the lock and run the DELETEs
 * without it, so no DB I/O happens under a shared lock. */
#include <string.h>

#include "lp_log.h"
#include "lp_mem.h"
#include "pres_sql.h"
#include "pres_subs_pend.h"

typedef struct pend_key
{
	struct pend_key *next;
	lp_str_t callid, to_tag, from_tag; /* point into buf */
	char buf[];
} pend_key_t;

struct pres_pend
{
	void *lock;
	pend_key_t *first;
	int n, max;
};

pres_pend_t *pres_pend_new(int max)
{
	pres_pend_t *p = lp_zalloc(sizeof(*p));

	if(!p)
		return NULL;
	p->lock = lp_lock_new();
	if(!p->lock) {
		lp_free(p);
		return NULL;
	}
	p->max = max;
	return p;
}

static void free_chain(pend_key_t *k)
{
	pend_key_t *next;

	for(; k; k = next) {
		next = k->next;
		lp_free(k);
	}
}

void pres_pend_free(pres_pend_t *p)
{
	if(!p)
		return;
	free_chain(p->first);
	lp_lock_free(p->lock);
	lp_free(p);
}

static void put(lp_str_t *dst, char **pos, const lp_str_t *src)
{
	dst->s = *pos;
	dst->len = src->len;
	if(src->len > 0)
		memcpy(*pos, src->s, src->len);
	*pos += src->len;
}

static pend_key_t *key_new(const pres_dlg_key_t *k)
{
	pend_key_t *n = lp_malloc(
			sizeof(*n) + k->callid->len + k->to_tag->len + k->from_tag->len);
	char *pos;

	if(!n)
		return NULL;
	pos = n->buf;
	n->next = NULL;
	put(&n->callid, &pos, k->callid);
	put(&n->to_tag, &pos, k->to_tag);
	put(&n->from_tag, &pos, k->from_tag);
	return n;
}

/* Under p's lock. */
static pend_key_t *find_locked(pres_pend_t *p, const lp_str_t *callid,
		const lp_str_t *to_tag, const lp_str_t *from_tag)
{
	pend_key_t *k;

	for(k = p->first; k; k = k->next)
		if(lp_str_eq(&k->callid, callid) && lp_str_eq(&k->to_tag, to_tag)
				&& lp_str_eq(&k->from_tag, from_tag))
			return k;
	return NULL;
}

int pres_pend_add(pres_pend_t *p, const pres_dlg_key_t *k)
{
	pend_key_t *n = NULL;
	int rc = -1;

	if(!p)
		return -1;
	lp_lock_get(p->lock);
	if(find_locked(p, k->callid, k->to_tag, k->from_tag)) {
		rc = 0;
	} else if(p->n < p->max && (n = key_new(k)) != NULL) {
		n->next = p->first;
		p->first = n;
		p->n++;
		rc = 0;
	}
	lp_lock_release(p->lock);
	if(rc < 0)
		LP_LOG_LIMITED(LP_L_ERR,
				"pending deletes full (%d): the row of ended subscription "
				"%.*s stays until it expires",
				p->max, LP_STR_FMT(*k->callid));
	return rc;
}

int pres_pend_has(pres_pend_t *p, const lp_str_t *callid,
		const lp_str_t *to_tag, const lp_str_t *from_tag)
{
	int found;

	if(!p)
		return 0;
	lp_lock_get(p->lock);
	found = find_locked(p, callid, to_tag, from_tag) != NULL;
	lp_lock_release(p->lock);
	return found;
}

int pres_pend_count(pres_pend_t *p)
{
	int n;

	if(!p)
		return 0;
	lp_lock_get(p->lock);
	n = p->n;
	lp_lock_release(p->lock);
	return n;
}

/* Put the chain `rest` (n keys) back in front of the list. */
static int put_back(pres_pend_t *p, pend_key_t *rest, int n)
{
	pend_key_t *last = rest;
	int left;

	if(!rest)
		return pres_pend_count(p);
	while(last->next)
		last = last->next;
	lp_lock_get(p->lock);
	last->next = p->first;
	p->first = rest;
	p->n += n;
	left = p->n;
	lp_lock_release(p->lock);
	return left;
}

int pres_pend_retry(pres_pend_t *p, lp_db_t *db)
{
	pend_key_t *chain, *k;
	int n, rc = 0;

	if(!p)
		return 0;
	lp_lock_get(p->lock);
	chain = p->first;
	n = p->n;
	p->first = NULL;
	p->n = 0;
	lp_lock_release(p->lock);
	while(chain && rc >= 0) {
		lp_db_val_t v[3] = {LP_DB_VSTR(chain->callid),
				LP_DB_VSTR(chain->to_tag), LP_DB_VSTR(chain->from_tag)};
		rc = db ? lp_db_exec(db, pres_sql.subs_delete, v, 3, NULL, NULL) : -1;
		if(rc >= 0) {
			k = chain;
			chain = chain->next;
			lp_free(k);
			n--;
		}
	}
	return put_back(p, chain, n);
}
