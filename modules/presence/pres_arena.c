/* Chunked blocks freed from any process: see pres_arena.h. */
#include "pres_arena.h"

#include <pthread.h>
#include <stdint.h>

#include "lp_mem.h"

#define ALIGN 16

/* The head of a chunk (in lp_malloc memory, shared under Kamailio). refs:
 * one per live block, plus one while it is some process's current chunk. */
typedef struct chunk
{
	int refs;
	size_t size, used; /* bytes after the head; carved so far (owner only) */
} chunk_t;

/* The head of a block: its chunk. */
typedef struct block
{
	chunk_t *chunk;
} block_t;

#define ROUND(n) (((n) + ALIGN - 1) & ~(size_t)(ALIGN - 1))
#define CHUNK_HEAD ROUND(sizeof(chunk_t))
#define BLOCK_HEAD ROUND(sizeof(block_t))

static chunk_t *cur; /* this process's chunk being carved */
static long made, freed;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* A forked child starts without a current chunk: its parent's stays the
 * parent's (the parent's reference on it is the parent's to drop). */
static void forget_in_child(void)
{
	cur = NULL;
	made = freed = 0;
}

static void register_atfork(void)
{
	pthread_atfork(NULL, NULL, forget_in_child);
}

static void unref(chunk_t *c)
{
	if(__atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		freed++;
		lp_free(c);
	}
}

static chunk_t *chunk_new(size_t size)
{
	chunk_t *c = lp_malloc(CHUNK_HEAD + size);

	if(!c)
		return NULL;
	c->refs = 1; /* the current-chunk reference */
	c->size = size;
	c->used = 0;
	made++;
	return c;
}

/* size bytes (with the block head) from chunk c, which has room; one more
 * reference on c. */
static void *carve(chunk_t *c, size_t need)
{
	block_t *b = (block_t *)((char *)c + CHUNK_HEAD + c->used);

	c->used += need;
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_ACQ_REL);
	b->chunk = c;
	return (char *)b + BLOCK_HEAD;
}

void *pres_arena_alloc(size_t size)
{
	size_t need = BLOCK_HEAD + ROUND(size);
	chunk_t *c;
	void *p;

	pthread_once(&once, register_atfork);
	if(need > PRES_ARENA_CHUNK / 4) { /* its own chunk, never current */
		c = chunk_new(need);
		if(!c)
			return NULL;
		p = carve(c, need);
		unref(c); /* only the block's reference remains */
		return p;
	}
	if(!cur || cur->size - cur->used < need) {
		c = chunk_new(PRES_ARENA_CHUNK);
		if(!c)
			return NULL;
		if(cur)
			unref(cur);
		cur = c;
	}
	return carve(cur, need);
}

void pres_arena_free(void *block)
{
	if(block)
		unref(((block_t *)((char *)block - BLOCK_HEAD))->chunk);
}

void pres_arena_release(void)
{
	if(cur)
		unref(cur);
	cur = NULL;
}

long pres_arena_chunks_made(void)
{
	return made;
}

long pres_arena_chunks_freed(void)
{
	return freed;
}
