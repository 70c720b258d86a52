/* Bucket-locked hash tables over intrusive entries; see lp_hash.h. */
#include "lp_hash.h"

lp_htable_t *lp_htable_new(int power)
{
	lp_htable_t *t;
	unsigned int i;

	if(power < 1)
		power = 1;
	if(power > LP_HTABLE_MAX_POWER)
		power = LP_HTABLE_MAX_POWER;
	t = lp_zalloc(sizeof(*t));
	if(!t)
		return NULL;
	t->size = 1u << power;
	t->mask = t->size - 1;
	t->buckets = lp_zalloc(t->size * sizeof(lp_hbucket_t));
	if(!t->buckets)
		goto error;
	for(i = 0; i < t->size; i++) {
		t->buckets[i].lock = lp_lock_new();
		if(!t->buckets[i].lock)
			goto error;
	}
	return t;

error:
	lp_htable_destroy(t, NULL);
	return NULL;
}

void lp_htable_destroy(lp_htable_t *t, void (*free_entry)(lp_hentry_t *e))
{
	unsigned int i;
	lp_hentry_t *e, *next;

	if(!t)
		return;
	for(i = 0; t->buckets && i < t->size; i++) {
		for(e = t->buckets[i].first; e; e = next) {
			next = e->next;
			if(free_entry)
				free_entry(e);
		}
		lp_lock_free(t->buckets[i].lock);
	}
	lp_free(t->buckets);
	lp_free(t);
}

void lp_htable_lock(lp_htable_t *t, unsigned int slot)
{
	lp_lock_get(t->buckets[slot].lock);
}

void lp_htable_unlock(lp_htable_t *t, unsigned int slot)
{
	lp_lock_release(t->buckets[slot].lock);
}

void lp_htable_link(lp_htable_t *t, lp_hentry_t *e)
{
	lp_hbucket_t *b = &t->buckets[lp_htable_slot(t, e->hash)];

	e->next = b->first;
	b->first = e;
	b->count++;
}

lp_hentry_t *lp_htable_find(lp_htable_t *t, unsigned int hash,
		int (*match)(const lp_hentry_t *e, const void *key), const void *key)
{
	lp_hentry_t *e;

	for(e = t->buckets[lp_htable_slot(t, hash)].first; e; e = e->next)
		if(e->hash == hash && match(e, key))
			return e;
	return NULL;
}

int lp_htable_unlink(lp_htable_t *t, lp_hentry_t *e)
{
	lp_hbucket_t *b = &t->buckets[lp_htable_slot(t, e->hash)];
	lp_hentry_t **pp;

	for(pp = &b->first; *pp; pp = &(*pp)->next) {
		if(*pp == e) {
			*pp = e->next;
			e->next = NULL;
			b->count--;
			return 0;
		}
	}
	return -1;
}
