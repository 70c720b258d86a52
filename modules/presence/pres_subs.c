/* Subscriptions in the shared table and in active_watchers; see pres_subs.h. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "lp_log.h"
#include "pres_limits.h"
#include "pres_sql.h"
#include "pres_subs.h"
#include "pres_subs_flush.h"
#include "pres_dbq.h"
#include "pres_dmq_subs.h"
#include "pres_subs_pend.h"

static pres_srec_t *srec_new(const subs_t *s)
{
	pres_srec_t *r = pres_subs_dup_ex(s, 1, offsetof(pres_srec_t, s));

	if(!r)
		return NULL;
	r->h.hash = lp_hash_str(&r->s.pres_uri);
	r->d.hash = lp_hash_str(&r->s.to_tag);
	r->db_state = PRES_DB_NEW;
	return r;
}

static pres_srec_t *srec_of_d(const lp_hentry_t *d)
{
	return (pres_srec_t *)((char *)d - offsetof(pres_srec_t, d));
}

unsigned long pres_subs_match_calls;

/* pres.subs buckets are doubly linked through pprev, so that a record
 * leaves a bucket holding every watcher of a popular presentity without a
 * walk. Every link and unlink of pres.subs goes through these two (the
 * record's bucket locked). */
static void subs_link(pres_srec_t *r)
{
	lp_hbucket_t *b = &pres.subs->buckets[lp_htable_slot(pres.subs, r->h.hash)];

	lp_htable_link(pres.subs, &r->h);
	r->pprev = &b->first;
	if(r->h.next)
		((pres_srec_t *)r->h.next)->pprev = &r->h.next;
}

static void subs_unlink(pres_srec_t *r)
{
	lp_hbucket_t *b = &pres.subs->buckets[lp_htable_slot(pres.subs, r->h.hash)];

	*r->pprev = r->h.next;
	if(r->h.next)
		((pres_srec_t *)r->h.next)->pprev = r->pprev;
	r->h.next = NULL;
	r->pprev = NULL;
	b->count--;
}

/* The dialog index follows pres.subs: called with the record's pres.subs
 * bucket locked (lock order: subs bucket, then dlgs bucket). */
static void dlg_link(pres_srec_t *r)
{
	unsigned int slot = lp_htable_slot(pres.dlgs, r->d.hash);

	lp_htable_lock(pres.dlgs, slot);
	lp_htable_link(pres.dlgs, &r->d);
	lp_htable_unlock(pres.dlgs, slot);
}

static void dlg_unlink(pres_srec_t *r)
{
	unsigned int slot = lp_htable_slot(pres.dlgs, r->d.hash);

	lp_htable_lock(pres.dlgs, slot);
	lp_htable_unlink(pres.dlgs, &r->d);
	lp_htable_unlock(pres.dlgs, slot);
}

void pres_subs_free_entry(lp_hentry_t *e)
{
	lp_free(e);
}

static int match_dlg(const lp_hentry_t *e, const void *key)
{
	const subs_t *s = &((const pres_srec_t *)e)->s;
	const pres_dlg_key_t *k = key;

	pres_subs_match_calls++;
	return lp_str_eq(&s->callid, k->callid) && lp_str_eq(&s->to_tag, k->to_tag)
		   && lp_str_eq(&s->from_tag, k->from_tag);
}

/* DMQ: r (its bucket locked) changed here: this node owns it now, and the
 * other nodes get it with a new CSeq bound (pres_dmq_subs.h). */
static void dmq_changed(pres_srec_t *r, pres_dmq_chunks_t *b)
{
	r->owner = 0;
	r->changed = pres.now();
	r->reserved = r->s.local_cseq + PRES_DMQ_CSEQ_AHEAD;
	pres_dmq_subs_store(b, r);
}

/* DMQ: this node takes over replica r (its bucket locked): its NOTIFYs
 * start above every CSeq the former owner may have used, and the record
 * goes to this node's DB. */
static void dmq_take_over(pres_srec_t *r)
{
	if(r->s.local_cseq < r->reserved)
		r->s.local_cseq = r->reserved;
	r->owner = 0;
	r->db_state = PRES_DB_DIRTY;
}

/* r enters its pres.subs bucket (locked) and the dialog index, a new
 * watcher of its presentity. */
static void srec_add(pres_srec_t *r)
{
	subs_link(r);
	dlg_link(r);
	if(pres.winfo_seen && (r->s.event->type & WINFO_TYPE))
		*pres.winfo_seen = 1;
	pres_limits_watcher_add(&r->s.watcher_user, &r->s.watcher_domain, 1);
}

/* nr takes r's place (same dialog, same bucket, locked); r is freed. */
static void srec_replace(pres_srec_t *r, pres_srec_t *nr)
{
	dlg_unlink(r);
	subs_unlink(r);
	subs_link(nr);
	dlg_link(nr);
	lp_free(r);
}

static int mem_insert(const subs_t *s)
{
	pres_srec_t *r = pres.dlgs ? srec_new(s) : NULL;
	pres_dmq_chunks_t b = {NULL, NULL, 0, 0}; /* pres_dmq_subs_store */
	unsigned int slot;

	if(!r) {
		LP_ERR("out of shared memory for a subscription");
		return -1;
	}
	slot = lp_htable_slot(pres.subs, r->h.hash);
	lp_htable_lock(pres.subs, slot);
	srec_add(r);
	if(pres_dmq_subs_on())
		dmq_changed(r, &b);
	lp_htable_unlock(pres.subs, slot);
	pres_dmq_subs_send(&b);
	return 0;
}

/* r leaves pres.subs (its bucket locked): the index and the count follow. */
static void unlinked(pres_srec_t *r)
{
	dlg_unlink(r);
	pres_limits_watcher_add(&r->s.watcher_user, &r->s.watcher_domain, -1);
}

static int match_dlg_d(const lp_hentry_t *d, const void *key)
{
	return match_dlg(&srec_of_d(d)->h, key);
}

/* With pres.subs bucket `slot` locked: the record of k through the dialog
 * index (lock order: subs bucket, then dlgs bucket), if it is in `slot`. */
static pres_srec_t *find_locked(unsigned int slot, const pres_dlg_key_t *k,
		int (*match)(const lp_hentry_t *d, const void *key))
{
	unsigned int dh = lp_hash_str(k->to_tag), dslot;
	lp_hentry_t *d;
	pres_srec_t *r = NULL;

	if(!pres.dlgs)
		return NULL;
	dslot = lp_htable_slot(pres.dlgs, dh);
	lp_htable_lock(pres.dlgs, dslot);
	d = lp_htable_find(pres.dlgs, dh, match, k);
	if(d && lp_htable_slot(pres.subs, srec_of_d(d)->h.hash) == slot)
		r = srec_of_d(d);
	lp_htable_unlock(pres.dlgs, dslot);
	return r;
}

pres_srec_t *pres_subs_find_locked(unsigned int slot, const pres_dlg_key_t *k)
{
	return find_locked(slot, k, match_dlg_d);
}

/* DMQ: what the other nodes must hear of after op ran on a record (not
 * an un-SUBSCRIBE's: its removal follows). */
static int dmq_worth(const pres_srec_t *r, const subs_t *before, int owned)
{
	if(r->s.expires <= pres.now())
		return 0;
	return !owned || r->s.local_cseq >= r->reserved
		   || r->s.expires != before->expires
		   || r->s.status != before->status
		   || r->s.remote_cseq != before->remote_cseq;
}

/* Run op on the record of k in one bucket; -2 if not there. */
static int apply_in(unsigned int slot, const pres_dlg_key_t *k,
		pres_subs_op_f op, void *ctx)
{
	pres_srec_t *r, *nr;
	subs_t *replace = NULL, before;
	pres_dmq_chunks_t b = {NULL, NULL, 0, 0}; /* pres_dmq_subs_store */
	int rc = -2, dmq = pres_dmq_subs_on(), owned = 1;

	lp_htable_lock(pres.subs, slot);
	r = find_locked(slot, k, match_dlg_d);
	if(!r)
		goto done;
	if(r->owner != 0) { /* a request here for a replica: ours now */
		dmq_take_over(r);
		owned = 0;
	}
	before = r->s;
	rc = op(&r->s, ctx, &replace);
	if(rc == 1) {
		nr = replace ? srec_new(replace) : NULL;
		if(!nr) {
			rc = -1;
			goto done;
		}
		nr->h.hash = r->h.hash; /* stays in its bucket */
		nr->db_state = r->db_state == PRES_DB_NEW ? PRES_DB_NEW : PRES_DB_DIRTY;
		srec_replace(r, nr);
		if(dmq)
			dmq_changed(nr, &b);
		rc = 0;
	} else if(rc == 0) {
		if(r->db_state == PRES_DB_CLEAN)
			r->db_state = PRES_DB_DIRTY;
		if(dmq && dmq_worth(r, &before, owned))
			dmq_changed(r, &b);
	}
done:
	lp_htable_unlock(pres.subs, slot);
	pres_dmq_subs_send(&b);
	return rc;
}

static int match_remove_d(const lp_hentry_t *d, const void *key);

/* The pres.subs hash of the record of dialog k, from one bucket of the
 * dialog index: 0, -2 when there is none. The record may go once the
 * bucket is unlocked: the caller looks for it again under its own lock. */
static int dlg_find(const pres_dlg_key_t *k,
		int (*match)(const lp_hentry_t *d, const void *key), unsigned int *hash)
{
	unsigned int dh = lp_hash_str(k->to_tag), slot;
	lp_hentry_t *d;

	if(!pres.dlgs)
		return -1;
	slot = lp_htable_slot(pres.dlgs, dh);
	lp_htable_lock(pres.dlgs, slot);
	d = lp_htable_find(pres.dlgs, dh, match, k);
	if(d)
		*hash = srec_of_d(d)->h.hash;
	lp_htable_unlock(pres.dlgs, slot);
	return d ? 0 : -2;
}

static int mem_apply(const lp_str_t *pres_uri, const pres_dlg_key_t *k,
		pres_subs_op_f op, void *ctx)
{
	unsigned int hash;
	int rc = dlg_find(k, match_dlg_d, &hash);

	if(rc < 0)
		return rc;
	return apply_in(lp_htable_slot(pres.subs, hash), k, op, ctx);
}

/* The row of an ended subscription: queued for the DB writer
 * (db_write_interval, pres_dbq.h), or deleted now (also when the queue is
 * full: the memory has changed already, the row must follow). */
static int db_delete(const pres_dlg_key_t *k)
{
	lp_db_t *db;
	lp_db_val_t v[3];

	if(pres.cfg.subs_db_mode == PRES_SUBS_DB_NONE)
		return 0;
	v[0] = LP_DB_VSTR(*k->callid);
	v[1] = LP_DB_VSTR(*k->to_tag);
	v[2] = LP_DB_VSTR(*k->from_tag);
	if(pres_dbq_subs() && pres_dbq_exec(pres_sql.subs_delete, v, 3) == 0)
		return 0;
	db = pres_db();
	if(!db || lp_db_exec(db, pres_sql.subs_delete, v, 3, NULL, NULL) < 0) {
		/* kept for the flush to retry: the row must not outlive the
		 * dialog into the next start */
		int kept = pres_pend_add(pres.pend, k) == 0;
		LP_LOG_LIMITED(LP_L_ERR, "cannot delete subscription %.*s from the DB%s",
				LP_STR_FMT(*k->callid),
				kept ? ": retried by the next flush" : "");
		return -1;
	}
	return 0;
}

/* subs_remove_match 0 (Kamailio's default): a removal matches the To tag
 * alone (we generate it, so it is unique); 1: the whole dialog. */
static int match_remove(const lp_hentry_t *e, const pres_dlg_key_t *k)
{
	const subs_t *s = &((const pres_srec_t *)e)->s;

	if(pres.cfg.subs_remove_match == 0) {
		pres_subs_match_calls++;
		return lp_str_eq(&s->to_tag, k->to_tag);
	}
	return match_dlg(e, k);
}

static int match_remove_d(const lp_hentry_t *d, const void *key)
{
	return match_remove(&srec_of_d(d)->h, key);
}

static int unlink_in(unsigned int slot, const pres_dlg_key_t *k)
{
	pres_srec_t *r;

	lp_htable_lock(pres.subs, slot);
	r = find_locked(slot, k, match_remove_d);
	if(r) {
		subs_unlink(r);
		unlinked(r);
	}
	lp_htable_unlock(pres.subs, slot);
	lp_free(r);
	return r ? 0 : -2;
}

static int mem_remove(const lp_str_t *pres_uri, const pres_dlg_key_t *k)
{
	unsigned int hash;
	int rc = dlg_find(k, match_remove_d, &hash);

	if(rc == 0)
		rc = unlink_in(lp_htable_slot(pres.subs, hash), k);
	db_delete(k);
	if(rc == 0)
		pres_dmq_subs_remove(pres_uri, k);
	return rc;
}

int pres_subs_is_watcher(const subs_t *s, const lp_str_t *uri)
{
	lp_str_t u, d;

	if(!uri || uri->len <= 0 || pres_split_uri(uri, &u, &d) < 0)
		return 0;
	if(!lp_str_caseeq(&d, &s->from_domain))
		return 0;
	return pres.cfg.sip_uri_match ? lp_str_caseeq(&u, &s->from_user)
								  : lp_str_eq(&u, &s->from_user);
}

/* delete_same_subs: unlink every subscription of (pres_uri, callid) in its
 * bucket onto *gone. */
static void take_same(unsigned int slot, unsigned int hash,
		const lp_str_t *pres_uri, const lp_str_t *callid, lp_hentry_t **gone)
{
	lp_hentry_t **pp = &pres.subs->buckets[slot].first, *e;

	while((e = *pp) != NULL) {
		const subs_t *s = &((pres_srec_t *)e)->s;
		if(e->hash == hash && lp_str_eq(&s->pres_uri, pres_uri)
				&& lp_str_eq(&s->callid, callid)) {
			subs_unlink((pres_srec_t *)e);
			unlinked((pres_srec_t *)e);
			e->next = *gone;
			*gone = e;
		} else {
			pp = &e->next;
		}
	}
}

int pres_subs_remove_same(const lp_str_t *pres_uri, const lp_str_t *callid)
{
	unsigned int hash = lp_hash_str(pres_uri);
	unsigned int slot;
	lp_hentry_t *gone = NULL, *e;
	int n = 0;

	if(pres.cfg.subs_db_mode == PRES_SUBS_DB_ONLY)
		return pres_subsdb_remove_same(pres_uri, callid);
	slot = lp_htable_slot(pres.subs, hash);
	lp_htable_lock(pres.subs, slot);
	take_same(slot, hash, pres_uri, callid, &gone);
	lp_htable_unlock(pres.subs, slot);
	while((e = gone) != NULL) {
		pres_srec_t *r = (pres_srec_t *)e;
		pres_dlg_key_t k = {&r->s.callid, &r->s.to_tag, &r->s.from_tag};
		gone = e->next;
		db_delete(&k);
		pres_dmq_subs_remove(&r->s.pres_uri, &k);
		lp_free(r);
		n++;
	}
	return n;
}

static int mem_collect(const lp_str_t *pres_uri, pres_ev_t *ev,
		const lp_str_t *skip, subs_t ***out)
{
	unsigned int hash = lp_hash_str(pres_uri);
	unsigned int slot = lp_htable_slot(pres.subs, hash);
	unsigned int now = pres.now();
	subs_t **v = NULL, **nv;
	int n = 0, cap = 0, took;
	pres_dmq_chunks_t b = {NULL, NULL, 0, 0}; /* pres_dmq_subs_store */
	pres_dmq_view_t view;
	lp_hentry_t *e;

	pres_dmq_subs_view(&view);
	lp_htable_lock(pres.subs, slot);
	for(e = pres.subs->buckets[slot].first; e; e = e->next) {
		pres_srec_t *r = (pres_srec_t *)e;
		if(e->hash != hash || r->s.event != ev || r->s.expires <= now
				|| !lp_str_eq(&r->s.pres_uri, pres_uri)
				|| r->s.status == TERMINATED_STATUS || pres_subs_is_watcher(&r->s, skip))
			continue;
		/* a replica: notified here only when its owner cannot (or with
		 * skip_notify_dmq), and then this node takes it over */
		took = r->owner != 0;
		if(took && !(r->owner < PRES_DMQ_OWNERS && view.notify[r->owner]))
			continue;
		if(n == cap) {
			cap = cap ? cap * 2 : 8;
			nv = realloc(v, cap * sizeof(*v));
			if(!nv)
				break;
			v = nv;
		}
		if(took)
			dmq_take_over(r);
		r->s.local_cseq++;
		r->s.version++; /* per-watcher document version (winfo, dialog) */
		if(r->db_state == PRES_DB_CLEAN)
			r->db_state = PRES_DB_DIRTY;
		if(view.on && (took || r->s.local_cseq >= r->reserved))
			dmq_changed(r, &b);
		v[n] = pres_subs_dup(&r->s, 0);
		if(!v[n])
			break;
		n++;
	}
	lp_htable_unlock(pres.subs, slot);
	pres_dmq_subs_send(&b);
	*out = v;
	return n;
}

static int mem_watchers(const lp_str_t *pres_uri, pres_ev_t *ev, subs_t ***out)
{
	unsigned int hash = lp_hash_str(pres_uri);
	unsigned int slot = lp_htable_slot(pres.subs, hash);
	unsigned int now = pres.now();
	subs_t **v = NULL, **nv;
	int n = 0, cap = 0;
	lp_hentry_t *e;

	lp_htable_lock(pres.subs, slot);
	for(e = pres.subs->buckets[slot].first; e; e = e->next) {
		pres_srec_t *r = (pres_srec_t *)e;
		if(e->hash != hash || r->s.event != ev || r->s.expires <= now
				|| !lp_str_eq(&r->s.pres_uri, pres_uri))
			continue;
		if(n == cap) {
			cap = cap ? cap * 2 : 8;
			nv = realloc(v, cap * sizeof(*v));
			if(!nv)
				break;
			v = nv;
		}
		v[n] = pres_subs_dup(&r->s, 0);
		if(!v[n])
			break;
		n++;
	}
	lp_htable_unlock(pres.subs, slot);
	*out = v;
	return n;
}

static void mem_expire(unsigned int now, void (*cb)(subs_t *copy))
{
	unsigned int i;
	lp_hentry_t **pp, *e, *gone = NULL;

	for(i = 0; i < pres.subs->size; i++) {
		if(!pres.subs->buckets[i].first)
			continue;
		lp_htable_lock(pres.subs, i);
		for(pp = &pres.subs->buckets[i].first; *pp;) {
			e = *pp;
			if(((pres_srec_t *)e)->s.expires > now) {
				pp = &e->next;
				continue;
			}
			subs_unlink((pres_srec_t *)e);
			unlinked((pres_srec_t *)e);
			e->next = gone;
			gone = e;
		}
		lp_htable_unlock(pres.subs, i);
	}
	while(gone) {
		pres_srec_t *r = (pres_srec_t *)gone;
		pres_dlg_key_t k = {&r->s.callid, &r->s.to_tag, &r->s.from_tag};
		subs_t *copy;
		gone = gone->next;
		if(r->owner != 0) { /* a replica: its owner ends it */
			lp_free(r);
			continue;
		}
		db_delete(&k);
		r->s.local_cseq++;
		copy = pres_subs_dup(&r->s, 0);
		lp_free(r);
		if(copy && cb)
			cb(copy);
		else
			free(copy);
	}
}

static lp_db_val_t str_or_empty(const lp_str_t *s)
{
	return LP_DB_VSTR(s->s ? *s : LP_STR(""));
}

/* Run sql (subs_upsert or subs_insert) with the 26 columns of s. */
static int subs_row_exec(lp_db_t *db, const char *sql, const subs_t *s)
{
	lp_db_val_t v[PRES_SUBS_NCOLS] = {str_or_empty(&s->pres_uri),
			str_or_empty(&s->watcher_user), str_or_empty(&s->watcher_domain),
			str_or_empty(&s->to_user), str_or_empty(&s->to_domain),
			LP_DB_VSTR(s->event->name), str_or_empty(&s->event_id),
			str_or_empty(&s->to_tag), str_or_empty(&s->from_tag),
			str_or_empty(&s->callid), LP_DB_VINT(s->local_cseq),
			LP_DB_VINT(s->remote_cseq), str_or_empty(&s->contact),
			str_or_empty(&s->record_route), LP_DB_VINT(s->expires),
			LP_DB_VINT(s->status), str_or_empty(&s->reason),
			LP_DB_VINT(s->version), str_or_empty(&s->sockinfo_str),
			str_or_empty(&s->local_contact), str_or_empty(&s->from_user),
			str_or_empty(&s->from_domain), LP_DB_VINT(0), LP_DB_VINT(0),
			LP_DB_VINT(s->flags), str_or_empty(&s->user_agent)};

	return lp_db_exec(db, sql, v, PRES_SUBS_NCOLS, NULL, NULL);
}

int pres_subs_db_upsert(lp_db_t *db, const subs_t *s)
{
	return subs_row_exec(db, pres_sql.subs_upsert, s);
}

int pres_subs_db_insert(lp_db_t *db, const subs_t *s)
{
	return subs_row_exec(db, pres_sql.subs_insert, s);
}

/* The write-back flush (pres_subs_flush) is in pres_subs_flush.c. */

int pres_subs_from_row(const lp_db_val_t *c, int n, subs_t *s)
{
	lp_str_t empty = LP_STR("");

	if(n < PRES_SUBS_NCOLS || c[5].type != LP_DB_STR)
		return -1;
#define S(i) (c[i].type == LP_DB_NULL ? empty : c[i].v.s)
	memset(s, 0, sizeof(*s));
	s->pres_uri = S(0);
	s->watcher_user = S(1);
	s->watcher_domain = S(2);
	s->to_user = S(3);
	s->to_domain = S(4);
	s->event = pres_event_by_hdr(&c[5].v.s);
	s->event_id = S(6);
	s->to_tag = S(7);
	s->from_tag = S(8);
	s->callid = S(9);
	s->local_cseq = (unsigned int)c[10].v.i;
	s->remote_cseq = (unsigned int)c[11].v.i;
	s->contact = S(12);
	s->record_route = S(13);
	s->expires = (unsigned int)c[14].v.i;
	s->status = (int)c[15].v.i;
	s->reason = S(16);
	s->version = (int)c[17].v.i;
	s->sockinfo_str = S(18);
	s->local_contact = S(19);
	s->from_user = S(20);
	s->from_domain = S(21);
	s->flags = (unsigned int)c[24].v.i;
	s->user_agent = S(25);
#undef S
	if(!s->event) {
		LP_WARN("skipping stored subscription for unregistered event '%.*s'",
				LP_STR_FMT(c[5].v.s));
		return -1;
	}
	return 0;
}

static int load_row(void *ctx, const lp_db_val_t *c, int n)
{
	int *count = ctx;
	subs_t s;

	if(pres_subs_from_row(c, n, &s) < 0)
		return 0;
	/* an ended dialog whose DELETE is still pending is not brought back */
	if(pres_pend_has(pres.pend, &s.callid, &s.to_tag, &s.from_tag))
		return 0;
	if(pres_subs_insert(&s) < 0)
		return 1;
	(*count)++;
	return 0;
}

/* Loaded records are already in the DB. */
static void mark_all_clean(void)
{
	unsigned int i;
	lp_hentry_t *e;

	for(i = 0; i < pres.subs->size; i++)
		for(e = pres.subs->buckets[i].first; e; e = e->next)
			((pres_srec_t *)e)->db_state = PRES_DB_CLEAN;
}

int pres_subs_load_all(void)
{
	lp_db_t *db;
	lp_db_val_t v[1] = {LP_DB_VINT(pres.now())};
	int count = 0;

	if(pres.cfg.subs_db_mode == PRES_SUBS_DB_NONE
			|| pres.cfg.subs_db_mode == PRES_SUBS_DB_ONLY)
		return 0;
	db = pres_db();
	if(!db || pres_db_load_paged(db, pres_sql.subs_load, v, 1, load_row, &count) < 0)
		return -1;
	mark_all_clean();
	LP_INFO("loaded %d subscriptions", count);
	return count;
}

int pres_subs_count(void)
{
	unsigned int i;
	int n = 0;

	if(pres.cfg.subs_db_mode == PRES_SUBS_DB_ONLY)
		return pres_subsdb_count();
	for(i = 0; i < pres.subs->size; i++)
		n += (int)pres.subs->buckets[i].count;
	return n;
}

/* ---- public entry points: the subs_db_mode picks the store ---- */

/* subs_db_mode 1: the change is written at once, by the worker, or with
 * a DB writer process (pres_dbq.h) by the writer at its next round. */
static int through(int rc)
{
	if(rc >= 0 && pres.cfg.subs_db_mode == PRES_SUBS_DB_THROUGH
			&& !pres_dbq_subs())
		pres_subs_flush();
	return rc;
}

int pres_subs_insert(const subs_t *s)
{
	if(pres.cfg.subs_db_mode == PRES_SUBS_DB_ONLY)
		return pres_subsdb_insert(s);
	return through(mem_insert(s));
}

int pres_subs_apply(const lp_str_t *pres_uri, const pres_dlg_key_t *k,
		pres_subs_op_f op, void *ctx)
{
	if(pres.cfg.subs_db_mode == PRES_SUBS_DB_ONLY)
		return pres_subsdb_apply(k, op, ctx);
	return through(mem_apply(pres_uri, k, op, ctx));
}

int pres_subs_remove(const lp_str_t *pres_uri, const pres_dlg_key_t *k)
{
	if(pres.cfg.subs_db_mode == PRES_SUBS_DB_ONLY)
		return pres_subsdb_remove(k);
	return mem_remove(pres_uri, k);
}

int pres_subs_collect(const lp_str_t *pres_uri, pres_ev_t *ev,
		const lp_str_t *skip, subs_t ***out)
{
	if(pres.cfg.subs_db_mode == PRES_SUBS_DB_ONLY)
		return pres_subsdb_collect(pres_uri, ev, skip, out);
	return through(mem_collect(pres_uri, ev, skip, out));
}

void pres_subs_expire(unsigned int now, void (*cb)(subs_t *copy))
{
	if(pres.cfg.subs_db_mode == PRES_SUBS_DB_ONLY) {
		pres_subsdb_expire(now, cb);
	} else {
		mem_expire(now, cb);
		pres_subs_flush_expired(now);
	}
}

int pres_subs_watchers(const lp_str_t *pres_uri, pres_ev_t *ev, subs_t ***out)
{
	if(pres.cfg.subs_db_mode == PRES_SUBS_DB_ONLY)
		return pres_subsdb_watchers(pres_uri, ev, out);
	return mem_watchers(pres_uri, ev, out);
}

/* ---------------------------------------------------------------- DMQ */

int pres_subs_dmq_put(const subs_t *s, int owner, unsigned int reserved,
		unsigned int changed)
{
	pres_dlg_key_t k = {&s->callid, &s->to_tag, &s->from_tag};
	pres_srec_t *r, *nr;
	unsigned int slot;
	int rc = 0, demoted = 0, seen;

	if(pres.cfg.subs_db_mode == PRES_SUBS_DB_ONLY || !pres.dlgs)
		return 0;
	nr = srec_new(s);
	if(!nr)
		return -1;
	nr->owner = owner;
	nr->reserved = reserved;
	nr->changed = changed;
	/* ours, back from a sync after a restart: NOTIFYs this node sent
	 * before it may have gone up to the bound */
	if(owner == 0 && nr->s.local_cseq < reserved)
		nr->s.local_cseq = reserved;
	/* a replica stays out of this node's DB; a record of this node's
	 * (back from a sync after a restart) goes in */
	nr->db_state = owner == 0 ? PRES_DB_DIRTY : PRES_DB_CLEAN;
	slot = lp_htable_slot(pres.subs, nr->h.hash);
	lp_htable_lock(pres.subs, slot);
	r = find_locked(slot, &k, match_dlg_d);
	if(r && pres_dmq_subs_wins(r, nr) >= 0)
		goto done;
	seen = r && r->s.status == nr->s.status; /* the watchers' view */
	if(r) {
		demoted = r->owner == 0 && owner != 0;
		if(owner == 0 && r->owner == 0 && r->db_state == PRES_DB_NEW)
			nr->db_state = PRES_DB_NEW;
		srec_replace(r, nr);
	} else {
		srec_add(nr);
	}
	nr = NULL;
	rc = seen ? 1 : 2;
done:
	lp_htable_unlock(pres.subs, slot);
	lp_free(nr);
	if(demoted) /* another node owns it now: not ours to load at start */
		db_delete(&k);
	return rc;
}

int pres_subs_dmq_drop(
		const pres_dlg_key_t *k, unsigned int changed, subs_t **gone)
{
	unsigned int hash, slot;
	pres_srec_t *r;
	int owned = 0;

	*gone = NULL;
	if(pres.cfg.subs_db_mode == PRES_SUBS_DB_ONLY
			|| dlg_find(k, match_dlg_d, &hash) < 0)
		return 0;
	slot = lp_htable_slot(pres.subs, hash);
	lp_htable_lock(pres.subs, slot);
	r = find_locked(slot, k, match_dlg_d);
	if(r && r->changed > changed) /* changed here after the removal */
		r = NULL;
	if(r) {
		owned = r->owner == 0;
		subs_unlink(r);
		unlinked(r);
	}
	lp_htable_unlock(pres.subs, slot);
	if(!r)
		return 0;
	if(owned)
		db_delete(k);
	*gone = pres_subs_dup(&r->s, 0);
	lp_free(r);
	return 1;
}

void pres_subs_foreach_rec(
		int (*cb)(const pres_srec_t *r, void *ctx), void *ctx)
{
	unsigned int i;
	lp_hentry_t *e;
	int stop = 0;

	for(i = 0; i < pres.subs->size && !stop; i++) {
		if(!pres.subs->buckets[i].first)
			continue;
		lp_htable_lock(pres.subs, i);
		for(e = pres.subs->buckets[i].first; e && !stop; e = e->next)
			stop = cb((const pres_srec_t *)e, ctx);
		lp_htable_unlock(pres.subs, i);
	}
}
