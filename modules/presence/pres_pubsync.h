/* presence.publish_cache_sync (Kamailio 6.1): make the publication cache
 * (publ_cache 1) match the presentity table again after an operator
 * changed the table by SQL, and NOTIFY the watchers of every
 * presentity/event whose state changed. Requests keep running meanwhile:
 * a per-bucket change counter (bumped under the bucket lock by every
 * change of the cache) tells which buckets a request changed while the
 * table was read; those are left as they are (newer than what was read)
 * and counted as skipped. */
#ifndef PRES_PUBSYNC_H
#define PRES_PUBSYNC_H

#include "pres_logic.h"

/* What a sync did (the RPC's reply). */
typedef struct pres_pubsync_counts {
	int added;	  /* rows not in the cache, now cached */
	int removed;  /* cached publications without a row, dropped */
	int updated;  /* cached ones whose row differs, taken from the row */
	int skipped;  /* hash buckets changed by requests during the sync */
	int notified; /* NOTIFYs sent for the presentities that changed */
} pres_pubsync_counts_t;

/* pres_pub_sync: nothing to do (publ_cache 0, no db_url: there is no
 * cache to sync) */
#define PRES_PUBSYNC_NOCACHE 1
/* pres_pub_sync: changes still wait for the DB writer (pres_dbq.h) after
 * the wait; nothing was changed */
#define PRES_PUBSYNC_BUSY (-2)

/* The change counters, one per bucket of pres.pubs (lp_malloc, shared):
 * call after pres.pubs exists, before the fork. 0 or -1 (out of memory).
 * Without them (not called) the sync refuses to run (-1). */
int pres_pubsync_init(void);
void pres_pubsync_destroy(void);

/* A change of the bucket slot of pres.pubs; called with that bucket's lock
 * held by every function that links or unlinks a publication. */
void pres_pubsync_touch(unsigned int slot);

/* Read the live rows of the presentity table and make the cache match
 * them, bucket by bucket under each bucket's lock: a row without a cached
 * publication (same user, domain, event, etag) is cached; a live cached
 * publication without a row is dropped; one whose row has another body,
 * expires, sender or priority is replaced by the row. An expired cached
 * publication without a row is left to the clean timer. Then the watchers
 * of each changed presentity/event are notified (a dropped publication's
 * body goes to agg_nbody as its off_index entry, as after an
 * un-PUBLISH). With a write queue (db_write_interval > 0) the table lags
 * the cache until the queue is written, so the sync first waits up to
 * wait_ms for the queue to be empty (polling every 10 ms), else returns
 * PRES_PUBSYNC_BUSY having changed nothing. *out is filled (zeroed
 * first). Returns 0, PRES_PUBSYNC_NOCACHE, PRES_PUBSYNC_BUSY, or -1 (DB
 * error or out of memory, logged; the cache is unchanged). Takes the
 * bucket locks itself; call with no lock held. */
int pres_pub_sync(int wait_ms, pres_pubsync_counts_t *out);

#endif
