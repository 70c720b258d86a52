/* A bounded FIFO of changes in lp_malloc memory (shared memory inside
 * Kamailio), filled by many processes and drained by one: the write queue
 * that takes the database off the request path. Items are intrusive: a
 * record embeds an lp_wq_item_t as its FIRST member. A producer pushes a
 * record it allocated; the queue refuses it when cap items are waiting. The
 * one consumer peeks at the oldest items (they stay queued, so a consumer
 * that dies mid-write leaves them for whoever drains next), writes them,
 * then drops them. Producers only ever append and only the consumer
 * unlinks, so the consumer reads peeked items without the lock. */
#ifndef LP_WQ_H
#define LP_WQ_H

typedef struct lp_wq_item {
	struct lp_wq_item *next;
} lp_wq_item_t;

typedef struct lp_wq {
	void *lock;
	lp_wq_item_t *head, *tail;
	unsigned int len, cap;
	unsigned int high;	   /* most items ever waiting at once */
	unsigned long refused; /* pushes refused because the queue was full */
} lp_wq_t;

/* New empty queue holding at most cap (>= 1) items; NULL when cap is 0 or
 * memory runs out (nothing left allocated). */
lp_wq_t *lp_wq_new(unsigned int cap);

/* Free the queue and hand every item still in it to free_item (may be
 * NULL: items are not touched). No other process may use it any more. */
void lp_wq_destroy(lp_wq_t *q, void (*free_item)(lp_wq_item_t *it));

/* Append it (the queue links it; the caller keeps ownership until it is
 * dropped by the consumer). 0, or -1 when cap items are waiting (nothing
 * changed, the caller still owns it and counts it refused). Takes the
 * queue's lock briefly; a caller may hold its own locks (the queue lock is
 * always taken last). */
int lp_wq_push(lp_wq_t *q, lp_wq_item_t *it);

/* Consumer only: the oldest items, up to max, in order, into out; they
 * stay queued. Returns how many. */
int lp_wq_peek(lp_wq_t *q, lp_wq_item_t **out, int max);

/* Consumer only: unlink the n oldest items (those just peeked) and hand
 * each to free_item (may be NULL). */
void lp_wq_drop(lp_wq_t *q, int n, void (*free_item)(lp_wq_item_t *it));

/* After every other process using q has ended (the host's shutdown): give
 * q a fresh lock, since a process killed while holding the old one never
 * released it. The old lock is leaked; on allocation failure it stays. */
void lp_wq_orphan(lp_wq_t *q);

/* Items waiting now (under the lock). */
unsigned int lp_wq_len(lp_wq_t *q);

#endif
