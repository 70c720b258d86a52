/* The presentity's document between NOTIFYs: what the event's agg_nbody
 * made of a presentity's publications (libxml2 for presence and
 * dialog-info), kept per process and reused by the NOTIFYs that follow
 * (after each SUBSCRIBE and refresh, in each fan-out) until the
 * publications change. An entry is valid while the publication table's
 * bucket that holds the presentity has the version it had when its
 * publications were read (pres_pub_stamp_t: every store, removal, reload,
 * replication or expiry in the bucket makes a new one) and none of those
 * publications has expired. The aggregation must depend on the
 * publications alone (true of presence_xml's, presence_dialoginfo's and
 * presence_reginfo's); body_cache 0 turns the cache off for an event
 * module whose aggregation reads other state. Host-neutral logic (no
 * Kamailio header); the cache is this process's (malloc), no lock. */
#ifndef PRES_AGGCACHE_H
#define PRES_AGGCACHE_H

#include "pres_logic.h"
#include "pres_pub.h"

#define PRES_AGGCACHE_MAX_DOC 16384 /* bytes; a larger document is not kept */

/* The document kept for (user, domain, ev) if it was made from the
 * publications st describes (same table and bucket version) and now is
 * before the first of their expiries: 1 and *out a malloc'd copy (owned by
 * the caller; {NULL,0} when the aggregation made no document), 0 when none
 * is kept (or the cache is off), -1 out of memory (*out {NULL,0}). */
int pres_aggcache_get(const lp_str_t *user, const lp_str_t *domain,
		const pres_ev_t *ev, const pres_pub_stamp_t *st, unsigned int now,
		lp_str_t *out);

/* Keep doc (copied; may be {NULL,0}: no document) as what st's
 * publications of (user, domain, ev) aggregate to, in place of what the
 * entry held. Nothing is kept when the cache is off, st is not valid, or
 * doc is longer than PRES_AGGCACHE_MAX_DOC; out of memory leaves the entry
 * empty. */
void pres_aggcache_put(const lp_str_t *user, const lp_str_t *domain,
		const pres_ev_t *ev, const pres_pub_stamp_t *st, const lp_str_t *doc);

/* Free every entry and the table (the next put makes it again, sized by
 * body_cache then; tests). A change the stamps would not show needs no
 * flush: pres_pub_order_init gives every bucket a new version. */
void pres_aggcache_flush(void);

/* Hits so far in this process (tests; operators see the statistics
 * body_cache_hits and body_cache_misses). */
unsigned long pres_aggcache_hits(void);

#endif
