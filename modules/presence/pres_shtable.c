/* The subscription hash table of presence_api_t (see pres_shtable.h). The
 * array is preceded in its block by a small header holding the slot count,
 * so a hash_code out of range is caught instead of walking past the end. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lp_log.h"
#include "pres_logic.h"
#include "pres_shtable.h"

typedef struct shtable_hdr {
	int size;
	int pad_;
	subs_entry_t slots[]; /* aligned like subs_entry_t */
} shtable_hdr_t;

static int spin_init(void *l)
{
	__atomic_store_n((int *)l, 0, __ATOMIC_RELEASE);
	return 0;
}

static void spin_get(void *l)
{
	while(__atomic_exchange_n((int *)l, 1, __ATOMIC_ACQUIRE))
		;
}

static void spin_release(void *l)
{
	__atomic_store_n((int *)l, 0, __ATOMIC_RELEASE);
}

static void spin_destroy(void *l)
{
}

static const lp_lock_ops_t spin_ops = {
		"spin", sizeof(int), spin_init, spin_get, spin_release, spin_destroy};
static const lp_lock_ops_t *slot_lock = &spin_ops;

void pres_shtable_set_lock(const lp_lock_ops_t *ops)
{
	if(ops && ops->size <= sizeof(pres_gen_lock_t))
		slot_lock = ops;
	else
		LP_ERR("shtable: lock '%s' does not fit subs_entry_t.lock",
				ops ? ops->name : "NULL");
}

static shtable_hdr_t *hdr(shtable_t t)
{
	return (shtable_hdr_t *)((char *)t - offsetof(shtable_hdr_t, slots));
}

int pres_shtable_size(shtable_t t)
{
	return t ? hdr(t)->size : 0;
}

static subs_entry_t *slot(shtable_t t, unsigned int hash_code)
{
	return &t[hash_code % (unsigned int)hdr(t)->size];
}

void pres_shtable_lock(shtable_t t, unsigned int hash_code)
{
	slot_lock->get(&slot(t, hash_code)->lock);
}

void pres_shtable_unlock(shtable_t t, unsigned int hash_code)
{
	slot_lock->release(&slot(t, hash_code)->lock);
}

shtable_t pres_shtable_new(int hash_size)
{
	shtable_hdr_t *h;
	int i;

	if(hash_size <= 0)
		return NULL;
	h = lp_zalloc(sizeof(*h) + (size_t)hash_size * sizeof(subs_entry_t));
	if(!h)
		return NULL;
	h->size = hash_size;
	for(i = 0; i < hash_size; i++) {
		h->slots[i].entries = lp_zalloc(sizeof(subs_t));
		if(!h->slots[i].entries || slot_lock->init(&h->slots[i].lock) < 0) {
			lp_free(h->slots[i].entries);
			h->slots[i].entries = NULL;
			pres_shtable_destroy(h->slots, i);
			return NULL;
		}
	}
	return h->slots;
}

void pres_shtable_destroy(shtable_t t, int hash_size)
{
	subs_t *s, *next;
	int i, n;

	if(!t)
		return;
	n = hdr(t)->size; /* hash_size is only what the caller believes */
	for(i = 0; i < n && t[i].entries; i++) {
		for(s = t[i].entries->next; s; s = next) {
			next = s->next;
			lp_free(s);
		}
		lp_free(t[i].entries);
		slot_lock->destroy(&t[i].lock);
	}
	lp_free(hdr(t));
}

/* Consumers give expires as the subscription's duration (the Expires
 * value): the record keeps the absolute time, as update_db_subs_timer
 * compares it with the clock (Kamailio's contract, seen with rls). */
static unsigned int abs_expires(unsigned int duration)
{
	return duration + (pres.now ? pres.now() : (unsigned int)time(NULL));
}

int pres_shtable_insert(shtable_t t, unsigned int hash_code, subs_t *s)
{
	subs_entry_t *e = slot(t, hash_code);
	subs_t *r = pres_subs_dup(s, 1);

	if(!r)
		return -1;
	r->expires = abs_expires(s->expires);
	slot_lock->get(&e->lock);
	r->next = e->entries->next;
	e->entries->next = r;
	slot_lock->release(&e->lock);
	return 0;
}

/* The record before the dialog's record (the head when it is first). */
static subs_t *find_prev(subs_entry_t *e, const lp_str_t *callid,
		const lp_str_t *to_tag, const lp_str_t *from_tag)
{
	subs_t *p;

	for(p = e->entries; p->next; p = p->next)
		if(lp_str_eq(&p->next->callid, callid)
				&& lp_str_eq(&p->next->to_tag, to_tag)
				&& lp_str_eq(&p->next->from_tag, from_tag))
			return p;
	return NULL;
}

subs_t *pres_shtable_search(shtable_t t, lp_str_t callid, lp_str_t to_tag,
		lp_str_t from_tag, unsigned int hash_code)
{
	subs_t *p = find_prev(slot(t, hash_code), &callid, &to_tag, &from_tag);

	return p ? p->next : NULL;
}

int pres_shtable_delete(shtable_t t, unsigned int hash_code, subs_t *s)
{
	subs_entry_t *e = slot(t, hash_code);
	subs_t *p, *r = NULL;

	slot_lock->get(&e->lock);
	p = find_prev(e, &s->callid, &s->to_tag, &s->from_tag);
	if(p) {
		r = p->next;
		p->next = r->next;
	}
	slot_lock->release(&e->lock);
	lp_free(r);
	return r ? 0 : -1;
}

int pres_shtable_update(shtable_t t, unsigned int hash_code, subs_t *s, int type)
{
	subs_entry_t *e = slot(t, hash_code);
	subs_t *p, *r = NULL;

	slot_lock->get(&e->lock);
	p = find_prev(e, &s->callid, &s->to_tag, &s->from_tag);
	if(p) {
		r = p->next;
		if(type & REMOTE_TYPE) {
			r->expires = abs_expires(s->expires);
			r->remote_cseq = s->remote_cseq;
		}
		if(type & LOCAL_TYPE) {
			s->local_cseq = ++r->local_cseq;
			s->version = ++r->version;
		}
		r->status = s->status;
		if(r->db_flag == NO_UPDATEDB_FLAG)
			r->db_flag = UPDATEDB_FLAG;
	}
	slot_lock->release(&e->lock);
	return r ? 0 : -1;
}

/* Under the slot lock: unlinks the expired records onto *gone and puts a
 * private (malloc) copy of each record to be written onto *dirty, marking
 * the record clean; the DB and the consumer's handler are called later,
 * without the lock. A record that cannot be copied stays marked. */
static void sync_take(subs_entry_t *e, unsigned int now, subs_t **gone,
		subs_t **dirty)
{
	subs_t *prev = e->entries, *s, *c;

	/* both lists keep the table's order */
	while((s = prev->next) != NULL) {
		if(s->expires < now) {
			prev->next = s->next;
			s->next = NULL;
			*gone = s;
			gone = &s->next;
			continue;
		}
		if((s->db_flag & (INSERTDB_FLAG | UPDATEDB_FLAG))
				&& (c = pres_subs_dup(s, 0)) != NULL) {
			c->db_flag = s->db_flag;
			c->next = NULL;
			*dirty = c;
			dirty = &c->next;
			s->db_flag = NO_UPDATEDB_FLAG;
		}
		prev = s;
	}
}

/* After writing c (ok: the write's outcome): a record removed in between
 * must not keep its row, a failed write marks the record again (an insert
 * stays an insert, whatever changed since). */
static void sync_settle(subs_entry_t *e, subs_t *c, int ok,
		const pres_shtable_sync_ops_t *ops, int no_lock)
{
	subs_t *p, *r = NULL;

	if(!no_lock)
		slot_lock->get(&e->lock);
	p = find_prev(e, &c->callid, &c->to_tag, &c->from_tag);
	if(p) {
		r = p->next;
		if(!ok && (c->db_flag & INSERTDB_FLAG))
			r->db_flag = INSERTDB_FLAG;
		else if(!ok && r->db_flag == NO_UPDATEDB_FLAG)
			r->db_flag = UPDATEDB_FLAG;
	}
	if(!no_lock)
		slot_lock->release(&e->lock);
	if(!r && ok)
		ops->remove(c, ops->ctx);
}

/* One slot: take what is to do under its lock, then hand the expired
 * records to the consumer's handler and the DB, and write the copies, with
 * no lock held (the DB and the handler, which may send a NOTIFY through tm,
 * must never run under a slot lock). */
static void sync_slot(subs_entry_t *e, unsigned int now, int no_lock,
		handle_expired_func_t expired, const pres_shtable_sync_ops_t *ops)
{
	subs_t *gone = NULL, *dirty = NULL, *s;

	if(!no_lock)
		slot_lock->get(&e->lock);
	sync_take(e, now, &gone, &dirty);
	if(!no_lock)
		slot_lock->release(&e->lock);
	while((s = gone) != NULL) {
		gone = s->next;
		s->next = NULL;
		if(expired)
			expired(s);
		if(!(s->db_flag & INSERTDB_FLAG))
			ops->remove(s, ops->ctx);
		lp_free(s);
	}
	while((s = dirty) != NULL) {
		dirty = s->next;
		s->next = NULL;
		sync_settle(e, s, ops->write(s, ops->ctx) == 0, ops, no_lock);
		free(s);
	}
}

void pres_shtable_sync(shtable_t t, int size, int no_lock, unsigned int now,
		handle_expired_func_t expired, const pres_shtable_sync_ops_t *ops)
{
	int i, n;

	if(!t || !ops)
		return;
	n = pres_shtable_size(t);
	if(size < n)
		n = size; /* the caller's idea of its table, if smaller */
	for(i = 0; i < n; i++)
		if(t[i].entries)
			sync_slot(&t[i], now, no_lock, expired, ops);
}
