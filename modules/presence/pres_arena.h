/* Blocks for data that outlives a request and is freed in another process:
 * the tm callback parameter of each NOTIFY (its subscription, for the
 * reply's event route and for ending the dialog on 481), allocated by the
 * worker that sends it and freed by whichever process gets the reply.
 *
 * A fan-out to a thousand watchers made a thousand shared-memory
 * allocations for these, each a walk of Kamailio's allocator under its
 * one lock, and the workers answering the 200s freed them under the same
 * lock while the fan-out went on (issue 12). Here a process carves its
 * blocks one after the other out of a chunk of PRES_ARENA_CHUNK bytes
 * (one lp_malloc); every block holds a reference on its chunk, which is
 * freed (lp_free) when the last of its blocks is, by whichever process
 * frees it (atomic count: the chunk is in shared memory under Kamailio).
 * A chunk is never reused: memory is given back a chunk at a time, once
 * every NOTIFY carved from it has ended, so one unanswered NOTIFY (tm's
 * fr_timer, 30 s) keeps its chunk: with 16 kB chunks of 10 to 30 blocks
 * each, an allocation per 10 to 30 NOTIFYs and at most a chunk pinned per
 * NOTIFY still waiting.
 *
 * Each process has its own current chunk (reset in a forked child, so a
 * parent's chunk is never carved by two processes). No lock. */
#ifndef PRES_ARENA_H
#define PRES_ARENA_H

#include <stddef.h>

/* Bytes of one chunk; a block over a quarter of it gets a chunk of its
 * own. */
#define PRES_ARENA_CHUNK (16 * 1024)

/* A block of at least size bytes (16-byte aligned), owned by the caller
 * until pres_arena_free. NULL when out of memory. */
void *pres_arena_alloc(size_t size);

/* Give block back (any process; NULL is ignored). Frees its chunk when it
 * was the chunk's last block and the chunk is no longer any process's
 * current one. */
void pres_arena_free(void *block);

/* Drop this process's current chunk (freed once its blocks are): tests,
 * and a process that stops sending. */
void pres_arena_release(void);

/* Chunks allocated and freed by this process since it started (tests). */
long pres_arena_chunks_made(void);
long pres_arena_chunks_freed(void);

#endif
