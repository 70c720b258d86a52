/* Allocator and lock operations for libpresence. The library never calls
 * malloc or a mutex directly: the host installs an ops table once, before
 * any other lp_ call (and, inside Kamailio, before the workers fork, so every
 * worker shares the same shm-backed tables). Tests install malloc and pthread
 * mutexes, or a failing allocator to walk the out-of-memory paths. */
#ifndef LP_MEM_H
#define LP_MEM_H

#include <stddef.h>
#include "lp_str.h"

typedef struct lp_alloc_ops {
	const char *name;
	void *(*malloc)(size_t size);
	void *(*realloc)(void *ptr, size_t size);
	void (*free)(void *ptr);
} lp_alloc_ops_t;

/* A lock lives in memory the library allocates with lp_malloc(size). */
typedef struct lp_lock_ops {
	const char *name;
	size_t size;
	int (*init)(void *lock); /* 0 on success */
	void (*get)(void *lock);
	void (*release)(void *lock);
	void (*destroy)(void *lock);
} lp_lock_ops_t;

/* Default ops: malloc/realloc/free and process-private pthread mutexes. */
extern const lp_alloc_ops_t lp_alloc_libc;
extern const lp_lock_ops_t lp_lock_pthread;

/* Install the ops (NULL keeps the current one). Not thread-safe: call once at
 * start-up. */
void lp_mem_set_ops(const lp_alloc_ops_t *alloc, const lp_lock_ops_t *lock);

void *lp_malloc(size_t size);
void *lp_zalloc(size_t size); /* zero-filled */
void *lp_realloc(void *ptr, size_t size);
void lp_free(void *ptr);

/* How much of the allocator's memory is free, in percent (0..100), as the
 * host reports it (Kamailio: shared memory); -1 when the host gave no
 * callback. Limits use it to refuse new state before memory runs out.
 * lp_mem_set_free_percent(NULL) removes the callback; install it at
 * start-up, like the ops. */
typedef int (*lp_mem_free_percent_f)(void);
void lp_mem_set_free_percent(lp_mem_free_percent_f fn);
int lp_mem_free_percent(void);

/* A lock allocated with lp_malloc and initialised; NULL on failure. */
void *lp_lock_new(void);
void lp_lock_free(void *lock);
void lp_lock_get(void *lock);
void lp_lock_release(void *lock);

/* Copy src into dst->s (allocated with lp_malloc, NUL-terminated, owned by
 * the caller). On error -1 is returned and dst is left {NULL,0}. */
int lp_str_dup(lp_str_t *dst, const lp_str_t *src);

/* The same with the C library's malloc (a process's own copy, freed with
 * free): what the logic keeps per process or hands back to a caller. */
int lp_str_mdup(lp_str_t *dst, const lp_str_t *src);

/* 32-bit keyed hash of a byte string (SipHash-2-4 under the process's
 * hash key, lp_hash.c; `seed` is mixed into the key so lp_hash_str2 can
 * chain two strings). The key is fixed until lp_hash_seed_random() draws
 * one: then collisions cannot be computed in advance by a remote party
 * choosing URIs, Call-IDs or tags to fill one bucket. */
unsigned int lp_hash_bytes(const char *s, int len, unsigned int seed);
#define LP_HASH_SEED 2166136261u
static inline unsigned int lp_hash_str(const lp_str_t *a)
{
	return lp_hash_bytes(a->s, a->len, LP_HASH_SEED);
}
static inline unsigned int lp_hash_str2(const lp_str_t *a, const lp_str_t *b)
{
	return lp_hash_bytes(b->s, b->len, lp_hash_bytes(a->s, a->len, LP_HASH_SEED));
}

#endif
