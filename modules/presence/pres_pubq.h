/* Publications written behind the request (db_write_interval > 0 with
 * publ_cache 1): a PUBLISH changes the shared cache and queues the change
 * (an lp_wq in shared memory, at most db_queue_size changes); one writer
 * process drains the queue in batches, one transaction per batch, every
 * statement bound. Changes leave in the order they were queued, and a
 * change is queued under the bucket lock of its presentity, in the same
 * critical section that changes the cache, so the DB sees the changes of
 * one publication in the order the cache saw them. A change stays queued
 * until its batch has committed: a writer killed in the middle leaves it
 * for the next drain (the writes are idempotent, so a batch written twice
 * ends the same). publ_cache 0 (DB only) never queues. */
#ifndef PRES_PUBQ_H
#define PRES_PUBQ_H

#include "lp_db.h"
#include "lp_wq.h"
#include "pres_pub.h"

/* pres_pub_store / pres_pub_remove: the queue is full (503) */
#define PRES_PUBQ_FULL (-3)

/* Changes handed to the DB per transaction. */
#define PRES_PUBQ_BATCH 256

typedef struct pres_pubq_op pres_pubq_op_t;

/* Create pres.pubq when the configuration asks for it (db_url set,
 * publ_cache 1, db_write_interval > 0); before the fork. 0, or -1 (logged)
 * when memory runs out or db_queue_size < 1. */
int pres_pubq_init(void);

/* Free the queue and whatever is still in it (nothing else may use it). */
void pres_pubq_destroy(void);

/* A queued change, one lp_malloc block holding its own copy of every
 * string: store p (replacing the publication old_etag when not NULL), or
 * remove the publication of k. NULL when memory runs out. Free with
 * pres_pubq_op_free unless pres_pubq_push took it. */
pres_pubq_op_t *pres_pubq_op_store(const pres_pub_t *p, const lp_str_t *old_etag);
pres_pubq_op_t *pres_pubq_op_remove(const pres_pub_key_t *k);
void pres_pubq_op_free(pres_pubq_op_t *op);

/* Queue op (the queue owns it from then on): 0, or PRES_PUBQ_FULL (the
 * caller still owns op; logged, rate limited). Called with the bucket lock
 * of op's presentity held, so that queue order is cache order. */
int pres_pubq_push(pres_pubq_op_t *op);

/* The writer: write the oldest changes (at most PRES_PUBQ_BATCH) through db
 * in one transaction and drop them from the queue once committed. A change
 * the DB refuses (LP_DB_REFUSED) is isolated with a savepoint, logged
 * (rate limited) and dropped; any other failure rolls the batch back and
 * keeps every change queued. Returns the changes dropped (0: queue empty)
 * or a negative lp_db_err. Only one process at a time may write. */
int pres_pubq_write(lp_db_t *db);

/* pres_pubq_write until the queue is empty: the changes written, or a
 * negative lp_db_err when a batch failed (the rest stay queued). */
int pres_pubq_drain(lp_db_t *db);

/* Changes waiting now (0 without a queue). */
unsigned int pres_pubq_len(void);

#endif
