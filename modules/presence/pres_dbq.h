/* The DB write queue (db_write_interval > 0): the database writes of a
 * request, written behind it. A PUBLISH (publ_cache 1) changes the shared
 * cache and queues the change; a SUBSCRIBE (subs_db_mode 1, 2) queues the
 * watchers row of a new subscription and the DELETE of an ended one. The
 * queue is an lp_wq in shared memory (at most db_queue_size changes); one
 * writer process drains it in batches, one transaction per batch, every
 * statement bound. Changes leave in the order they were queued, and a
 * publication change is queued under the bucket lock of its presentity, in
 * the same critical section that changes the cache, so the DB sees the
 * changes of one publication in the order the cache saw them (a store
 * that a later change of its batch overwrites or deletes is not written,
 * only its DELETE of the row it replaced runs). A change
 * stays queued until its batch has committed: a writer killed in the
 * middle leaves it for the next drain (every write is idempotent, so a
 * batch written twice ends the same). The DB-only modes (publ_cache 0,
 * subs_db_mode 3) never queue. */
#ifndef PRES_DBQ_H
#define PRES_DBQ_H

#include "lp_db.h"
#include "lp_wq.h"
#include "pres_pub.h"

/* pres_pub_store / pres_pub_remove: the queue is full (503) */
#define PRES_DBQ_FULL (-3)

/* Changes handed to the DB per transaction. */
#define PRES_DBQ_BATCH 256

/* The queue's ring (lp_wq.h): PRES_DBQ_RING_PER bytes per db_queue_size
 * change, at most PRES_DBQ_RING (the few MB the writer reads at
 * db_write_interval stay in few pages; a change that does not fit takes a
 * block of its own). */
#define PRES_DBQ_RING (2u << 20)
#define PRES_DBQ_RING_PER 512u

typedef struct pres_dbq_op pres_dbq_op_t;

/* Create pres.dbq when the configuration asks for it (db_url set,
 * db_write_interval > 0, and publ_cache 1 or subs_db_mode 1 or 2); before
 * the fork. 0, or -1 (logged) when memory runs out or db_queue_size < 1. */
int pres_dbq_init(void);

/* Are publications (publ_cache 1) / subscription rows (subs_db_mode 1, 2)
 * written through the queue? */
int pres_dbq_pubs(void);
int pres_dbq_subs(void);

/* Queue one statement that writing twice leaves as once (a DELETE, an
 * INSERT ... ON CONFLICT DO NOTHING): sql must be a pres_sql statement
 * (built before the fork, so the pointer holds in every process); the
 * values are copied. 0, -1 when memory runs out, or PRES_DBQ_FULL. */
int pres_dbq_exec(const char *sql, const lp_db_val_t *v, int n);

/* Free the queue and whatever is still in it (nothing else may use it). */
void pres_dbq_destroy(void);

/* Queue a store of p (replacing the publication old_etag when not NULL) /
 * a removal of the publication of k: a copy of every string, in the
 * queue's ring (lp_wq_push_new), or in a block of its own when the ring is
 * full. Called with the bucket lock of the presentity held, so that queue
 * order is cache order. 0, -1 when memory runs out, or PRES_DBQ_FULL
 * (logged, rate limited); nothing is queued unless 0. */
int pres_dbq_store(const pres_pub_t *p, const lp_str_t *old_etag);
int pres_dbq_remove(const pres_pub_key_t *k);

/* The writer: write the oldest changes (at most PRES_DBQ_BATCH) through db
 * in one transaction and drop them from the queue once committed. A change
 * the DB refuses (LP_DB_REFUSED) is isolated with a savepoint, logged
 * (rate limited) and dropped; any other failure rolls the batch back and
 * keeps every change queued. Returns the changes dropped (0: queue empty)
 * or a negative lp_db_err. Only one process at a time may write. */
int pres_dbq_write(lp_db_t *db);

/* pres_dbq_write until the queue is empty: the changes written, or a
 * negative lp_db_err when a batch failed (the rest stay queued). */
int pres_dbq_drain(lp_db_t *db);

/* Changes waiting now (0 without a queue). */
unsigned int pres_dbq_len(void);

#endif
