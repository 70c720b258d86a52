/* The bounded write queue; see lp_wq.h. */
#include <stddef.h>

#include "lp_mem.h"
#include "lp_wq.h"

lp_wq_t *lp_wq_new(unsigned int cap)
{
	lp_wq_t *q;

	if(cap == 0)
		return NULL;
	q = lp_zalloc(sizeof(*q));
	if(!q)
		return NULL;
	q->lock = lp_lock_new();
	if(!q->lock) {
		lp_free(q);
		return NULL;
	}
	q->cap = cap;
	return q;
}

void lp_wq_destroy(lp_wq_t *q, void (*free_item)(lp_wq_item_t *it))
{
	if(!q)
		return;
	lp_wq_drop(q, (int)q->len, free_item);
	lp_lock_free(q->lock);
	lp_free(q);
}

int lp_wq_push(lp_wq_t *q, lp_wq_item_t *it)
{
	int rc = -1;

	it->next = NULL;
	lp_lock_get(q->lock);
	if(q->len < q->cap) {
		if(q->tail)
			q->tail->next = it;
		else
			q->head = it;
		q->tail = it;
		q->len++;
		if(q->len > q->high)
			q->high = q->len;
		rc = 0;
	} else {
		q->refused++;
	}
	lp_lock_release(q->lock);
	return rc;
}

int lp_wq_peek(lp_wq_t *q, lp_wq_item_t **out, int max)
{
	lp_wq_item_t *it;
	int n = 0;

	lp_lock_get(q->lock);
	for(it = q->head; it && n < max; it = it->next)
		out[n++] = it;
	lp_lock_release(q->lock);
	return n;
}

void lp_wq_drop(lp_wq_t *q, int n, void (*free_item)(lp_wq_item_t *it))
{
	lp_wq_item_t *first, *it, *next;
	int i;

	lp_lock_get(q->lock);
	first = q->head;
	for(i = 0, it = q->head; i < n && it; i++)
		it = it->next;
	q->head = it;
	if(!it)
		q->tail = NULL;
	q->len -= i;
	lp_lock_release(q->lock);
	/* exactly the i items unlinked: the last one's next may already be
	 * the head a producer links after */
	for(it = first; i-- > 0; it = next) {
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
