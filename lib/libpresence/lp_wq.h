/* A bounded FIFO of changes in lp_malloc memory (shared memory inside
 * Kamailio), filled by many processes and drained by one: the write queue
 * that takes the database off the request path. Items are intrusive: a
 * record embeds an lp_wq_item_t as its FIRST member. A producer pushes a
 * record it allocated; the queue refuses it when cap items are waiting. The
 * one consumer peeks at the oldest items (they stay queued, so a consumer
 * that dies mid-write leaves them for whoever drains next), writes them,
 * then drops them. Producers only ever append and only the consumer
 * unlinks, so the consumer reads peeked items without the lock.
 *
 * A queue may own a ring: one lp_malloc block that lp_wq_push_new carves
 * its items from, in queue order, and that the consumer's drop gives back
 * in the same order. The items of a busy queue then lie next to each other
 * instead of all over the shm pool, and cost no shm allocation (with its
 * global lock) to queue or to drop; the consumer reads them in a few pages
 * (without huge pages a scattered item costs the writer a TLB miss each).
 * When the ring has no room the item comes from lp_malloc as before. */
#ifndef LP_WQ_H
#define LP_WQ_H

typedef struct lp_wq_item {
	struct lp_wq_item *next;
	unsigned int rsize; /* bytes taken in the ring (0: an lp_malloc item) */
	unsigned int rspan; /* rsize plus the ring's end it skipped to wrap */
} lp_wq_item_t;

typedef struct lp_wq {
	void *lock;
	lp_wq_item_t *head, *tail;
	unsigned int len, cap;
	unsigned int high;	   /* most items ever waiting at once */
	unsigned long refused; /* pushes refused because the queue was full */
	char *ring;			   /* NULL: every item is the producer's lp_malloc */
	unsigned int rbytes;   /* ring size */
	unsigned int rhead;	   /* offset of the oldest ring item */
	unsigned int rtail;	   /* offset where the next ring item goes */
	unsigned int rused;	   /* bytes taken (items and skipped ends) */
} lp_wq_t;

/* Builds the item of lp_wq_push_new in place: it points at size bytes,
 * zeroed except the queue's own fields, which fill must leave alone. */
typedef void (*lp_wq_fill_f)(lp_wq_item_t *it, void *arg);

/* New empty queue holding at most cap (>= 1) items; NULL when cap is 0 or
 * memory runs out (nothing left allocated). */
lp_wq_t *lp_wq_new(unsigned int cap);

/* The same with a ring of ring_bytes (0: none) for lp_wq_push_new. NULL
 * when cap is 0 or memory runs out (nothing left allocated). */
lp_wq_t *lp_wq_new_ring(unsigned int cap, unsigned int ring_bytes);

/* Free the queue (and its ring) and hand every lp_malloc item still in it
 * to free_item (may be NULL: items are not touched). No other process may
 * use it any more. */
void lp_wq_destroy(lp_wq_t *q, void (*free_item)(lp_wq_item_t *it));

/* Append it (the queue links it; the caller keeps ownership until it is
 * dropped by the consumer). 0, or -1 when cap items are waiting (nothing
 * changed, the caller still owns it and counts it refused). Takes the
 * queue's lock briefly; a caller may hold its own locks (the queue lock is
 * always taken last). */
int lp_wq_push(lp_wq_t *q, lp_wq_item_t *it);

/* Append a new item of size bytes (at least sizeof(lp_wq_item_t)) that
 * fill builds: in the ring when it has room (fill then runs under the
 * queue's lock: keep it to copying), else in a fresh lp_malloc block. The
 * queue owns it from then on: the consumer's drop hands an lp_malloc item
 * to its free_item and gives a ring item back to the ring. 0, -1 when cap
 * items are waiting (counted refused; nothing allocated), or -2 when
 * memory runs out. As lp_wq_push, the caller may hold its own locks. */
int lp_wq_push_new(lp_wq_t *q, size_t size, lp_wq_fill_f fill, void *arg);

/* Consumer only: the oldest items, up to max, in order, into out; they
 * stay queued. Returns how many. */
int lp_wq_peek(lp_wq_t *q, lp_wq_item_t **out, int max);

/* Consumer only: unlink the n oldest items (those just peeked), give the
 * ring's back to the ring and hand every other one to free_item (may be
 * NULL). */
void lp_wq_drop(lp_wq_t *q, int n, void (*free_item)(lp_wq_item_t *it));

/* After every other process using q has ended (the host's shutdown): give
 * q a fresh lock, since a process killed while holding the old one never
 * released it. The old lock is leaked; on allocation failure it stays. */
void lp_wq_orphan(lp_wq_t *q);

/* Items waiting now (under the lock). */
unsigned int lp_wq_len(lp_wq_t *q);

#endif
