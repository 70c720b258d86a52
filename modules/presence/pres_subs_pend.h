/* Pending deletes of subs_db_mode 1 and 2: the dialog keys of ended
 * subscriptions (un-SUBSCRIBE, 481 to a NOTIFY, delete_same_subs) whose
 * DELETE from active_watchers failed while the database was unreachable.
 * The list lives in shared memory, is bounded, and every flush retries it
 * before it writes anything, so the row of a dialog that ended is gone
 * before the next flush, at shutdown at the latest, and the next start
 * does not load it again. */
#ifndef PRES_SUBS_PEND_H
#define PRES_SUBS_PEND_H

#include "lp_db.h"
#include "pres_subs.h"

/* Keys kept at most; beyond, a failed DELETE is only logged (the row then
 * stays until the clean timer deletes it at its expiry). */
#define PRES_PEND_MAX 4096

typedef struct pres_pend pres_pend_t;

/* A list of at most max keys with its lock, in lp_malloc memory (shared
 * memory in Kamailio: create it before the fork). NULL when out of memory.
 * Free with pres_pend_free (no other process may use it then). */
pres_pend_t *pres_pend_new(int max);
void pres_pend_free(pres_pend_t *p);

/* Remember the dialog k (its strings are copied) as a row still to delete.
 * Takes p's lock. 0 when kept (or already there), -1 when the list is full
 * or memory runs out (logged, rate limited). p NULL: -1. */
int pres_pend_add(pres_pend_t *p, const pres_dlg_key_t *k);

/* Is the dialog (callid, to_tag, from_tag) waiting for its DELETE? Takes
 * p's lock; p NULL: 0. The load skips such rows. */
int pres_pend_has(pres_pend_t *p, const lp_str_t *callid,
		const lp_str_t *to_tag, const lp_str_t *from_tag);

/* Keys in the list now (p's lock taken). */
int pres_pend_count(pres_pend_t *p);

/* Run the DELETE of every pending key through db, with no lock held during
 * the I/O (the list is taken out under the lock first). Keys whose DELETE
 * succeeds are dropped; at the first failure the rest are put back for the
 * next try. Returns the keys still pending, 0 when the list is empty. */
int pres_pend_retry(pres_pend_t *p, lp_db_t *db);

#endif
