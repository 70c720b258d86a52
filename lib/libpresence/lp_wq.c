/* The bounded write queue; see lp_wq.h. */
#include <stddef.h>
#include <string.h>

#include "lp_mem.h"
#include "lp_wq.h"

#define RING_ALIGN 16u

lp_wq_t *lp_wq_new_ring(unsigned int cap, unsigned int ring_bytes)
{
	lp_wq_t *q;

	if(cap == 0)
		return NULL;
	q = lp_zalloc(sizeof(*q));
	if(!q)
		return NULL;
	q->lock = lp_lock_new();
	ring_bytes &= ~(RING_ALIGN - 1);
	if(ring_bytes)
		q->ring = lp_malloc(ring_bytes);
	if(!q->lock || (ring_bytes && !q->ring)) {
		if(q->lock)
			lp_lock_free(q->lock);
		lp_free(q);
		return NULL;
	}
	q->rbytes = ring_bytes;
	q->cap = cap;
	return q;
}

lp_wq_t *lp_wq_new(unsigned int cap)
{
	return lp_wq_new_ring(cap, 0);
}

void lp_wq_destroy(lp_wq_t *q, void (*free_item)(lp_wq_item_t *it))
{
	if(!q)
		return;
	lp_wq_drop(q, (int)q->len, free_item);
	lp_lock_free(q->lock);
	lp_free(q->ring);
	lp_free(q);
}

/* Under the lock, with room for it. */
static void link_item(lp_wq_t *q, lp_wq_item_t *it)
{
	it->next = NULL;
	if(q->tail)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	q->len++;
	if(q->len > q->high)
		q->high = q->len;
}

int lp_wq_push(lp_wq_t *q, lp_wq_item_t *it)
{
	int rc = -1;

	lp_lock_get(q->lock);
	if(q->len < q->cap) {
		link_item(q, it);
		rc = 0;
	} else {
		q->refused++;
	}
	lp_lock_release(q->lock);
	return rc;
}

/* Under the lock: the offset of size (RING_ALIGN-rounded) bytes in the
 * ring, or -1 without room; *span is size plus the end skipped to wrap.
 * Free space is [rtail, rbytes) and [0, rhead) while rtail >= rhead, else
 * [rtail, rhead). */
static long ring_take(lp_wq_t *q, unsigned int size, unsigned int *span)
{
	unsigned int off;

	if(q->rused == 0)
		q->rhead = q->rtail = 0; /* empty: start over at the front */
	else if(q->rtail == q->rhead)
		return -1; /* full to the byte */
	if(q->rtail >= q->rhead && q->rbytes - q->rtail >= size) {
		off = q->rtail;
		*span = size;
	} else if(q->rtail >= q->rhead && q->rhead >= size) {
		off = 0;
		*span = q->rbytes - q->rtail + size;
	} else if(q->rtail < q->rhead && q->rhead - q->rtail >= size) {
		off = q->rtail;
		*span = size;
	} else {
		return -1;
	}
	q->rtail = off + size;
	q->rused += *span;
	return (long)off;
}

/* Under the lock: the oldest ring item goes back (items leave the ring in
 * the order they were taken from it). */
static void ring_give(lp_wq_t *q, lp_wq_item_t *it)
{
	q->rused -= it->rspan;
	q->rhead = (unsigned int)((char *)it - q->ring) + it->rsize;
}

int lp_wq_push_new(lp_wq_t *q, size_t size, lp_wq_fill_f fill, void *arg)
{
	unsigned int rsize = 0, span = 0;
	lp_wq_item_t *it;
	long off = -1;

	if(size < sizeof(*it))
		size = sizeof(*it);
	if(q->ring && size <= q->rbytes)
		rsize = (unsigned int)((size + RING_ALIGN - 1) & ~(RING_ALIGN - 1));
	lp_lock_get(q->lock);
	if(q->len >= q->cap) {
		q->refused++;
		lp_lock_release(q->lock);
		return -1;
	}
	if(rsize)
		off = ring_take(q, rsize, &span);
	if(off >= 0) {
		it = (lp_wq_item_t *)(void *)(q->ring + off);
		memset(it, 0, size);
		it->rsize = rsize;
		it->rspan = span;
		fill(it, arg);
		link_item(q, it);
		lp_lock_release(q->lock);
		return 0;
	}
	lp_lock_release(q->lock);
	it = lp_zalloc(size); /* no ring, or no room in it */
	if(!it)
		return -2;
	fill(it, arg);
	if(lp_wq_push(q, it) == 0)
		return 0;
	lp_free(it);
	return -1;
}

int lp_wq_peek(lp_wq_t *q, lp_wq_item_t **out, int max)
{
	lp_wq_item_t *it;
	unsigned int len;
	int n, lim;

	lp_lock_get(q->lock);
	it = q->head;
	len = q->len;
	lp_lock_release(q->lock);
	/* the first len items were linked before the lock was released, and
	 * only the consumer unlinks: walk them without the lock, never reading
	 * the last one's next (a producer may be writing it) */
	lim = len < (unsigned int)max ? (int)len : max;
	for(n = 0; n < lim; n++) {
		out[n] = it;
		if(n + 1 < lim)
			it = it->next;
	}
	return n;
}

void lp_wq_drop(lp_wq_t *q, int n, void (*free_item)(lp_wq_item_t *it))
{
	lp_wq_item_t *it, *next, *heap = NULL;
	int i;

	lp_lock_get(q->lock);
	for(i = 0, it = q->head; i < n && it; i++, it = next) {
		next = it->next; /* under the lock, so even the tail's is safe */
		if(it->rsize) {
			ring_give(q, it);
		} else { /* freed below, outside the lock */
			it->next = heap;
			heap = it;
		}
	}
	q->head = it;
	if(!it)
		q->tail = NULL;
	q->len -= (unsigned int)i;
	lp_lock_release(q->lock);
	for(it = heap; it; it = next) {
		next = it->next;
		if(free_item)
			free_item(it);
	}
}

unsigned int lp_wq_len(lp_wq_t *q)
{
	unsigned int n;

	lp_lock_get(q->lock);
	n = q->len;
	lp_lock_release(q->lock);
	return n;
}

void lp_wq_orphan(lp_wq_t *q)
{
	void *l = lp_lock_new();

	if(l)
		q->lock = l;
}
