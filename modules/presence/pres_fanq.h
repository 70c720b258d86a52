/* The NOTIFY sender queues (fanout_processes > 0): one bounded FIFO
 * (lp_wq.h) in shared memory per sender process. A NOTIFY is copied into
 * one block and queued on the sender its dialog maps to (a hash of the
 * Call-ID: always the same sender, so the NOTIFYs of one subscription
 * leave in the order they were queued); the sender process sends what its
 * queue holds through the glue. Host-neutral: the glue provides the
 * processes, the wake-up and the sending. */
#ifndef PRES_FANQ_H
#define PRES_FANQ_H

#include "lp_wq.h"
#include "pres_state.h"

/* One queued NOTIFY: the link first, then the NOTIFY; its subscription,
 * headers and body live in the same block (one lp_malloc). */
typedef struct pres_fanq_item
{
	lp_wq_item_t link;
	pres_notify_t n;
} pres_fanq_item_t;

typedef struct pres_fanq
{
	int n;					/* senders */
	lp_wq_t **q;			/* q[0..n), in lp_malloc memory */
	unsigned long *dropped; /* shared: NOTIFYs refused, queue full */
	/* the glue's: wake sender i after a push (may be NULL: tests) */
	void (*wake)(int i);
} pres_fanq_t;

/* n (>= 1) queues of at most cap (>= 1) items each, in lp_malloc memory
 * (shared once inside Kamailio); NULL when memory runs out (nothing left
 * allocated). Called before the fork. */
pres_fanq_t *pres_fanq_new(int n, unsigned int cap);

/* Free f and every NOTIFY still queued (no other process may use it). */
void pres_fanq_free(pres_fanq_t *f);

/* The sender of the subscription s: the same for every NOTIFY of its
 * dialog (hash of the Call-ID). */
int pres_fanq_index(const pres_fanq_t *f, const subs_t *s);

/* Copy n (not taken) into one lp_malloc block and queue it on its
 * dialog's sender, then wake that sender. 0, or -1 when memory runs out
 * or the queue is full (nothing queued; counted in *f->dropped, logged at
 * a limited rate). Takes only the queue's lock (taken last: the caller may
 * hold its own, the fan-out lock of the presentity in practice). */
int pres_fanq_push(pres_fanq_t *f, const pres_notify_t *n);

/* Sender i only: send (through send; its result is not looked at: a
 * failure is the glue's to log) up to max of the oldest NOTIFYs of queue i
 * in order, then unlink and free them. Returns how many were handled. No
 * lock is held while send runs. */
int pres_fanq_serve(
		pres_fanq_t *f, int i, int (*send)(const pres_notify_t *n), int max);

/* NOTIFYs waiting in every queue together. */
unsigned int pres_fanq_len(pres_fanq_t *f);

/* After every other process has ended (shutdown): fresh queue locks (see
 * lp_wq_orphan). */
void pres_fanq_orphan(pres_fanq_t *f);

#endif
