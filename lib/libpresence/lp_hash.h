/* Hash tables of 2^N buckets, each bucket a singly linked list with its own
 * lock, allocated through lp_mem (shared memory inside Kamailio, so every
 * worker sees the same table). Entries are intrusive: a record embeds an
 * lp_hentry_t as its FIRST member and the table links those. The table owns
 * nothing but its buckets and locks; what an entry points to belongs to
 * whoever inserted it, and lp_htable_destroy hands each remaining entry to a
 * caller-supplied free function. */
#ifndef LP_HASH_H
#define LP_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "lp_mem.h"

typedef struct lp_hentry {
	struct lp_hentry *next;
	unsigned int hash; /* full hash, kept to skip most key comparisons */
} lp_hentry_t;

typedef struct lp_hbucket {
	lp_hentry_t *first;
	void *lock;
	unsigned int count;
	unsigned int version; /* changes with every link, unlink or
						   * lp_htable_changed: lp_htable_version */
} lp_hbucket_t;

typedef struct lp_htable {
	unsigned int size; /* 2^power */
	unsigned int mask;
	unsigned int id;   /* differs between the tables this process image
						* made (tables made before a fork: the same in
						* every child) */
	lp_hbucket_t *buckets;
} lp_htable_t;

/* SipHash-2-4 of in[0..len) under the 128-bit key (k0, k1): the reference
 * algorithm (Aumasson, Bernstein), whose published test vectors the unit
 * tests check. */
uint64_t lp_siphash(const void *in, size_t len, uint64_t k0, uint64_t k1);

/* The key of lp_hash_bytes. lp_hash_seed_random draws it from the kernel's
 * CSPRNG once per process image (later calls keep it: a table filled under
 * one key must not be searched under another); call it at start-up before
 * anything is hashed and, inside Kamailio, in mod_init, before the workers
 * fork, so that every process of the instance hashes alike. 0, or -1 when
 * no randomness was available (the fixed key stays). lp_hash_set_key sets
 * a given key (tests). Neither is thread-safe. */
int lp_hash_seed_random(void);
void lp_hash_set_key(uint64_t k0, uint64_t k1);

/* Largest accepted power (2^20 buckets). */
#define LP_HTABLE_MAX_POWER 20

/* New table of 2^power buckets (power clamped to 1..LP_HTABLE_MAX_POWER).
 * NULL on allocation failure, nothing left allocated. */
lp_htable_t *lp_htable_new(int power);

/* Free every remaining entry with free_entry (may be NULL: then entries are
 * not touched at all, so a second index over records another table frees
 * may be destroyed after it), then the table. No lock may be held. */
void lp_htable_destroy(lp_htable_t *t, void (*free_entry)(lp_hentry_t *e));

static inline unsigned int lp_htable_slot(const lp_htable_t *t, unsigned int hash)
{
	return hash & t->mask;
}

void lp_htable_lock(lp_htable_t *t, unsigned int slot);
void lp_htable_unlock(lp_htable_t *t, unsigned int slot);

/* The functions below require the lock of the entry's slot to be held. */

/* Link e (e->hash must be set) at the head of its bucket. */
void lp_htable_link(lp_htable_t *t, lp_hentry_t *e);

/* First entry in slot of hash `hash` for which match(e, key) is non-zero,
 * or NULL. */
lp_hentry_t *lp_htable_find(lp_htable_t *t, unsigned int hash,
		int (*match)(const lp_hentry_t *e, const void *key), const void *key);

/* Unlink e from its bucket; returns 0, or -1 if e was not there. The entry is
 * not freed. */
int lp_htable_unlink(lp_htable_t *t, lp_hentry_t *e);

/* For a caller that changes slot's list (or an entry in it) by hand: a new
 * version of the bucket, as link and unlink make. */
void lp_htable_changed(lp_htable_t *t, unsigned int slot);

/* The bucket's version, read without its lock (an atomic load): equal to
 * one read earlier under the lock only if nothing was linked, unlinked or
 * changed in the bucket since (until the count wraps after 2^32 changes).
 * A reader that took a snapshot of the bucket under the lock, with its
 * version, may reuse what it made from it while the version is the same. */
static inline unsigned int lp_htable_version(const lp_htable_t *t, unsigned int slot)
{
	return __atomic_load_n(&t->buckets[slot].version, __ATOMIC_ACQUIRE);
}

#endif
