/* Tombstones of DMQ replication (enable_dmq): what a node remembers of a
 * removed publication so that an older version of it, arriving later (a
 * delayed or retransmitted KDMQ, or the sync answer of a node that had not
 * seen the removal yet), does not bring it back. Host-neutral: one table in
 * the allocator's memory (shared memory inside Kamailio: the SIP workers that
 * remove and the dmq worker that applies share it) under one lock.
 *
 * A tombstone is the 64-bit keyed hash of the publication's key (user,
 * domain, event, ETag), the received time of the removal and the time until
 * which it is kept. Bounded in time: kept until the removal's received time
 * plus max_expires (or the removed version's expiry when later), after which
 * every version received before the removal has expired anyway and is refused
 * as expired. Bounded in count: PRES_DMQ_TOMB_SLOTS slots in buckets of
 * PRES_DMQ_TOMB_WAYS; a full bucket gives up the tombstone closest to its end
 * (counted in pres_dmq_tomb_evicted). */
#ifndef PRES_DMQ_TOMB_H
#define PRES_DMQ_TOMB_H

#include "lp_str.h"

#define PRES_DMQ_TOMB_SLOTS 65536 /* 16 bytes each: 1 MB */
#define PRES_DMQ_TOMB_WAYS 8

/* Allocate the table (lp_malloc; in mod_init, before the fork) with slots
 * entries (rounded down to a multiple of PRES_DMQ_TOMB_WAYS, at least one
 * bucket). 0, or -1 out of memory. Calling it again without
 * pres_dmq_tomb_destroy is an error (-1). */
int pres_dmq_tomb_init(int slots);
/* Free the table (no other process may use it any more). */
void pres_dmq_tomb_destroy(void);

/* Record that the publication (user, domain, event, etag) was removed with
 * a change received at `received`, kept until `until` (the caller computes
 * it, see pres_dmq_tomb_until). An existing tombstone of the key keeps the
 * later received time and the later end. No-op when the table is not
 * initialised. Takes the table's lock. */
void pres_dmq_tomb_add(const lp_str_t *user, const lp_str_t *domain,
		const lp_str_t *event, const lp_str_t *etag, unsigned int received,
		unsigned int until);

/* The received time of the live tombstone of the key at `now` (its removal
 * wins over any version received no later than that), or 0 when there is
 * none (or no table). Takes the table's lock. */
unsigned int pres_dmq_tomb_find(const lp_str_t *user, const lp_str_t *domain,
		const lp_str_t *event, const lp_str_t *etag, unsigned int now);

/* The end of a tombstone for a removal received at `received` of a version
 * expiring at `expires` (0: unknown) when publications last at most
 * max_expires seconds: the later of received + max_expires and expires. */
unsigned int pres_dmq_tomb_until(
		unsigned int received, unsigned int expires, int max_expires);

/* Live tombstones at now, and how many were given up for room since start
 * (both for the statistics and the tests). Take the table's lock. */
int pres_dmq_tomb_count(unsigned int now);
unsigned long pres_dmq_tomb_evicted(void);

#endif
