/* Tombstones of removed publications for DMQ replication: a fixed table of
 * (key hash, received, until) slots in buckets of PRES_DMQ_TOMB_WAYS, under
 * one lock (a removal or a replicated store takes it once, for a scan of
 * one bucket). See pres_dmq_tomb.h for what a tombstone means and how long
 * it lives. */
#include <stdint.h>
#include <string.h>

#include "lp_log.h"
#include "lp_mem.h"
#include "pres_dmq_tomb.h"

typedef struct tomb_slot
{
	uint64_t key; /* 0: free */
	unsigned int received, until;
} tomb_slot_t;

typedef struct tomb_table
{
	void *lock;
	unsigned int nbuckets;
	unsigned long evicted;
	tomb_slot_t slots[]; /* nbuckets * PRES_DMQ_TOMB_WAYS */
} tomb_table_t;

/* set in mod_init, before the fork: every process sees the same table */
static tomb_table_t *tomb;

int pres_dmq_tomb_init(int slots)
{
	unsigned int nb = slots > 0 ? (unsigned int)slots / PRES_DMQ_TOMB_WAYS : 0;
	size_t size;

	if(tomb)
		return -1;
	if(nb == 0)
		nb = 1;
	size = sizeof(*tomb)
		   + (size_t)nb * PRES_DMQ_TOMB_WAYS * sizeof(tomb_slot_t);
	tomb = lp_zalloc(size);
	if(!tomb)
		return -1;
	tomb->lock = lp_lock_new();
	if(!tomb->lock) {
		lp_free(tomb);
		tomb = NULL;
		return -1;
	}
	tomb->nbuckets = nb;
	return 0;
}

void pres_dmq_tomb_destroy(void)
{
	if(!tomb)
		return;
	lp_lock_free(tomb->lock);
	lp_free(tomb);
	tomb = NULL;
}

/* One field into the running 32-bit hash h (its length mixed in, so that
 * fields cannot shift bytes between each other). */
static unsigned int mix(unsigned int h, const lp_str_t *f)
{
	return lp_hash_bytes(f->s, f->len, h + (unsigned int)f->len);
}

/* The 64-bit key of a publication: two keyed hashes with different seeds;
 * never 0 (the free mark). */
static uint64_t tomb_key(const lp_str_t *user, const lp_str_t *domain,
		const lp_str_t *event, const lp_str_t *etag)
{
	unsigned int a = LP_HASH_SEED, b = 0x9e3779b9u;
	uint64_t k;

	a = mix(mix(mix(mix(a, user), domain), event), etag);
	b = mix(mix(mix(mix(b, etag), event), domain), user);
	k = ((uint64_t)a << 32) | b;
	return k ? k : 1;
}

static tomb_slot_t *bucket_of(uint64_t key)
{
	return &tomb->slots[(key % tomb->nbuckets) * PRES_DMQ_TOMB_WAYS];
}

/* Under the lock: the slot for key in bucket b: its own, else a free or
 * ended one, else the one closest to its end (evicted). */
static tomb_slot_t *slot_for(tomb_slot_t *b, uint64_t key, unsigned int now)
{
	tomb_slot_t *room = NULL, *oldest = &b[0];
	int i;

	for(i = 0; i < PRES_DMQ_TOMB_WAYS; i++) {
		if(b[i].key == key)
			return &b[i];
		if(!room && (b[i].key == 0 || b[i].until <= now))
			room = &b[i];
		if(b[i].until < oldest->until)
			oldest = &b[i];
	}
	if(room)
		return room;
	tomb->evicted++;
	return oldest;
}

void pres_dmq_tomb_add(const lp_str_t *user, const lp_str_t *domain,
		const lp_str_t *event, const lp_str_t *etag, unsigned int received,
		unsigned int until)
{
	uint64_t key;
	tomb_slot_t *s;
	int evicted;

	if(!tomb || until <= received)
		return;
	key = tomb_key(user, domain, event, etag);
	lp_lock_get(tomb->lock);
	evicted = (int)tomb->evicted;
	/* `received` as now: a tombstone ended before this removal is room */
	s = slot_for(bucket_of(key), key, received);
	evicted = (int)tomb->evicted != evicted;
	if(s->key == key) {
		if(received > s->received)
			s->received = received;
		if(until > s->until)
			s->until = until;
	} else {
		s->key = key;
		s->received = received;
		s->until = until;
	}
	lp_lock_release(tomb->lock);
	if(evicted)
		LP_LOG_LIMITED(LP_L_WARN,
				"dmq: tombstone table full (%d slots): the oldest removal"
				" of a bucket forgotten early",
				(int)tomb->nbuckets * PRES_DMQ_TOMB_WAYS);
}

unsigned int pres_dmq_tomb_find(const lp_str_t *user, const lp_str_t *domain,
		const lp_str_t *event, const lp_str_t *etag, unsigned int now)
{
	uint64_t key;
	tomb_slot_t *b;
	unsigned int received = 0;
	int i;

	if(!tomb)
		return 0;
	key = tomb_key(user, domain, event, etag);
	lp_lock_get(tomb->lock);
	b = bucket_of(key);
	for(i = 0; i < PRES_DMQ_TOMB_WAYS; i++)
		if(b[i].key == key && b[i].until > now) {
			received = b[i].received;
			break;
		}
	lp_lock_release(tomb->lock);
	return received;
}

unsigned int pres_dmq_tomb_until(
		unsigned int received, unsigned int expires, int max_expires)
{
	unsigned long u = (unsigned long)received
					  + (unsigned long)(max_expires > 0 ? max_expires : 0);

	if(u > 0xffffffffUL)
		u = 0xffffffffUL;
	return expires > u ? expires : (unsigned int)u;
}

int pres_dmq_tomb_count(unsigned int now)
{
	unsigned int i, n = 0, total;

	if(!tomb)
		return 0;
	lp_lock_get(tomb->lock);
	total = tomb->nbuckets * PRES_DMQ_TOMB_WAYS;
	for(i = 0; i < total; i++)
		n += tomb->slots[i].key != 0 && tomb->slots[i].until > now;
	lp_lock_release(tomb->lock);
	return (int)n;
}

unsigned long pres_dmq_tomb_evicted(void)
{
	unsigned long n;

	if(!tomb)
		return 0;
	lp_lock_get(tomb->lock);
	n = tomb->evicted;
	lp_lock_release(tomb->lock);
	return n;
}
