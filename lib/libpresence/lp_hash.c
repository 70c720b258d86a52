/* Bucket-locked hash tables over intrusive entries, and the keyed hash
 * (SipHash-2-4) their users bucket by; see lp_hash.h. */
#include "lp_hash.h"
#include "lp_rand.h"

/* Fixed until lp_hash_seed_random: unit tests and tools hash alike. */
static uint64_t hash_k0 = 0x6c705f686173685fULL,
				hash_k1 = 0x6b65795f66697865ULL;
static int hash_seeded;

static inline uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static inline void sipround(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl(v[1], 13);
	v[1] ^= v[0];
	v[0] = rotl(v[0], 32);
	v[2] += v[3];
	v[3] = rotl(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = rotl(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = rotl(v[1], 17);
	v[1] ^= v[2];
	v[2] = rotl(v[2], 32);
}

static inline uint64_t le64(const unsigned char *p, size_t n)
{
	uint64_t m = 0;
	size_t i;

	for(i = 0; i < n; i++)
		m |= (uint64_t)p[i] << (8 * i);
	return m;
}

uint64_t lp_siphash(const void *in, size_t len, uint64_t k0, uint64_t k1)
{
	const unsigned char *p = in;
	uint64_t v[4] = {0x736f6d6570736575ULL ^ k0, 0x646f72616e646f6dULL ^ k1,
			0x6c7967656e657261ULL ^ k0, 0x7465646279746573ULL ^ k1};
	uint64_t m;
	size_t i, left = len;

	for(; left >= 8; left -= 8, p += 8) {
		m = le64(p, 8);
		v[3] ^= m;
		sipround(v);
		sipround(v);
		v[0] ^= m;
	}
	m = le64(p, left) | ((uint64_t)len << 56);
	v[3] ^= m;
	sipround(v);
	sipround(v);
	v[0] ^= m;
	v[2] ^= 0xff;
	for(i = 0; i < 4; i++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

unsigned int lp_hash_bytes(const char *s, int len, unsigned int seed)
{
	uint64_t h =
			lp_siphash(s, len > 0 ? (size_t)len : 0, hash_k0 ^ seed, hash_k1);

	return (unsigned int)(h ^ (h >> 32));
}

void lp_hash_set_key(uint64_t k0, uint64_t k1)
{
	hash_k0 = k0;
	hash_k1 = k1;
}

int lp_hash_seed_random(void)
{
	uint64_t k[2];

	if(hash_seeded)
		return 0;
	if(lp_rand_bytes(k, sizeof(k)) < 0)
		return -1;
	lp_hash_set_key(k[0], k[1]);
	hash_seeded = 1;
	return 0;
}

static unsigned int tables_made; /* lp_htable_t's id */

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
	t->id = ++tables_made;
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
		/* entries are not read without free_entry: they may belong to
		 * (and be freed with) another table that indexes them too */
		for(e = t->buckets[i].first; free_entry && e; e = next) {
			next = e->next;
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

/* Under the bucket's lock: one writer at a time, readers without it. */
static void bump(lp_hbucket_t *b)
{
	__atomic_store_n(&b->version, b->version + 1, __ATOMIC_RELEASE);
}

void lp_htable_changed(lp_htable_t *t, unsigned int slot)
{
	bump(&t->buckets[slot]);
}

void lp_htable_link(lp_htable_t *t, lp_hentry_t *e)
{
	lp_hbucket_t *b = &t->buckets[lp_htable_slot(t, e->hash)];

	e->next = b->first;
	b->first = e;
	b->count++;
	bump(b);
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
			bump(b);
			return 0;
		}
	}
	return -1;
}
