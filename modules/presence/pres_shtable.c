/* The subscription hash-table functions of presence_api_t, for modules that
 * keep their own subscription tables: lp_htable_t buckets of pres_srec_t
 * records (single-block subs_t copies in shared memory). The caller computes
 * hash_code; its low bits pick the bucket. */
#include <stddef.h>
#include <string.h>

#include "pres_shtable.h"
#include "pres_subs.h"

static lp_htable_t *tbl(shtable_t t)
{
	return (lp_htable_t *)t;
}

shtable_t pres_shtable_new(int hash_size)
{
	int power = 1;

	while(power < LP_HTABLE_MAX_POWER && (1 << power) < hash_size)
		power++;
	return (shtable_t)lp_htable_new(power);
}

void pres_shtable_destroy(shtable_t t, int hash_size)
{
	lp_htable_destroy(tbl(t), pres_subs_free_entry);
}

int pres_shtable_insert(shtable_t t, unsigned int hash_code, subs_t *s)
{
	pres_srec_t *r = pres_subs_dup_ex(s, 1, offsetof(pres_srec_t, s));
	unsigned int slot;

	if(!r)
		return -1;
	r->h.hash = hash_code;
	slot = lp_htable_slot(tbl(t), hash_code);
	lp_htable_lock(tbl(t), slot);
	lp_htable_link(tbl(t), &r->h);
	lp_htable_unlock(tbl(t), slot);
	return 0;
}

static pres_srec_t *find(lp_htable_t *t, unsigned int slot, const lp_str_t *callid,
		const lp_str_t *to_tag, const lp_str_t *from_tag)
{
	lp_hentry_t *e;

	for(e = t->buckets[slot].first; e; e = e->next) {
		pres_srec_t *r = (pres_srec_t *)e;
		if(lp_str_eq(&r->s.callid, callid) && lp_str_eq(&r->s.to_tag, to_tag)
				&& lp_str_eq(&r->s.from_tag, from_tag))
			return r;
	}
	return NULL;
}

/* The stored record; it stays valid until deleted, which the caller must
 * not do concurrently (same contract as the documented API). */
subs_t *pres_shtable_search(shtable_t t, lp_str_t callid, lp_str_t to_tag,
		lp_str_t from_tag, unsigned int hash_code)
{
	unsigned int slot = lp_htable_slot(tbl(t), hash_code);
	pres_srec_t *r;

	lp_htable_lock(tbl(t), slot);
	r = find(tbl(t), slot, &callid, &to_tag, &from_tag);
	lp_htable_unlock(tbl(t), slot);
	return r ? &r->s : NULL;
}

int pres_shtable_delete(shtable_t t, unsigned int hash_code, subs_t *s)
{
	unsigned int slot = lp_htable_slot(tbl(t), hash_code);
	pres_srec_t *r;

	lp_htable_lock(tbl(t), slot);
	r = find(tbl(t), slot, &s->callid, &s->to_tag, &s->from_tag);
	if(r)
		lp_htable_unlink(tbl(t), &r->h);
	lp_htable_unlock(tbl(t), slot);
	lp_free(r);
	return r ? 0 : -1;
}

int pres_shtable_update(shtable_t t, unsigned int hash_code, subs_t *s, int type)
{
	unsigned int slot = lp_htable_slot(tbl(t), hash_code);
	pres_srec_t *r;

	lp_htable_lock(tbl(t), slot);
	r = find(tbl(t), slot, &s->callid, &s->to_tag, &s->from_tag);
	if(r) {
		if(type & PRES_SH_REMOTE) {
			r->s.expires = s->expires;
			r->s.remote_cseq = s->remote_cseq;
		}
		if(type & PRES_SH_LOCAL) {
			r->s.local_cseq++;
			r->s.version++;
			s->local_cseq = r->s.local_cseq;
			s->version = r->s.version;
		}
		r->s.status = s->status;
	}
	lp_htable_unlock(tbl(t), slot);
	return r ? 0 : -1;
}
