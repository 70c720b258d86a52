/* Subscriptions: the shared table of SUBSCRIBE dialogs (pres.subs, bucket
 * by hash of the presentity URI, indexed by dialog in pres.dlgs: bucket by
 * hash of the To tag) and its active_watchers rows. A record is
 * one lp_malloc block holding a subs_t and its strings. Changes are marked
 * and written to the DB every db_update_period (pres_subs_flush); removals
 * are written at once. subs_db_mode picks the store: memory only, memory
 * written through, memory written back (default), or the DB alone. */
#ifndef PRES_SUBS_H
#define PRES_SUBS_H

#include "pres_logic.h"

enum pres_db_state { PRES_DB_CLEAN = 0, PRES_DB_NEW, PRES_DB_DIRTY };

typedef struct pres_srec {
	lp_hentry_t h; /* in pres.subs, by hash of the presentity URI */
	lp_hentry_t d; /* in pres.dlgs, by hash of the To tag (ours, random):
					  an in-dialog request finds its record in O(1) */
	lp_hentry_t **pprev; /* the link to h in its pres.subs bucket: a record
							leaves a bucket of many watchers in O(1) */
	int db_state;
	/* DMQ subscription replication (pres_dmq_subs.h): the owner's id (0:
	 * this node, else a replica), the NOTIFY CSeq bound replicated, and
	 * when the record last changed (the conflict rule) */
	int owner;
	unsigned int reserved, changed;
	subs_t s; /* last: its strings follow in the block */
} pres_srec_t;

typedef struct pres_dlg_key {
	const lp_str_t *callid, *to_tag, *from_tag;
} pres_dlg_key_t;

/* Store a copy of s as a new subscription (marked for the DB). 0 / -1. */
int pres_subs_insert(const subs_t *s);

/* Find the subscription of dialog k through the dialog index (one bucket
 * of pres.dlgs, then the record's bucket of pres.subs: never a scan, since
 * an unknown dialog is what anyone can send) and call op on it with its
 * pres.subs bucket locked. pres_uri is not used to find it (an in-dialog
 * request's To URI may differ from the presentity of the initial
 * request). op returns 0, or 1 to have the record replaced by *replace (a
 * subs_t to copy) -- used when a string field changes. Returns op's result,
 * -2 when not found, -1 on error. */
typedef int (*pres_subs_op_f)(subs_t *stored, void *ctx, subs_t **replace);
int pres_subs_apply(const lp_str_t *pres_uri, const pres_dlg_key_t *k,
		pres_subs_op_f op, void *ctx);

/* Remove the subscription (table and DB); 0, or -2 when unknown. With
 * subs_remove_match 0 the table match is on the To tag alone. */
int pres_subs_remove(const lp_str_t *pres_uri, const pres_dlg_key_t *k);

/* delete_same_subs: remove every subscription to pres_uri with this Call-ID
 * (table and DB), without NOTIFY. Returns how many. */
int pres_subs_remove_same(const lp_str_t *pres_uri, const lp_str_t *callid);

/* malloc'd copies of the live subscriptions to (pres_uri, ev), skipping
 * watcher `skip` (a URI, may be NULL); each copy gets the next local CSeq,
 * stored back (and marked). Returns the count (array in *out, free each
 * element and the array with free()), -1 on error. */
int pres_subs_collect(const lp_str_t *pres_uri, pres_ev_t *ev,
		const lp_str_t *skip, subs_t ***out);

/* malloc'd copies of every live subscription to (pres_uri, ev), whatever
 * its status, nothing changed (the watcher list of a winfo document).
 * Returns the count (free each and the array), -1 on error. */
int pres_subs_watchers(const lp_str_t *pres_uri, pres_ev_t *ev, subs_t ***out);

/* Unlink subscriptions expired at `now`, delete their rows, and hand a
 * malloc'd copy of each (local CSeq advanced) to cb, which frees it. */
void pres_subs_expire(unsigned int now, void (*cb)(subs_t *copy));

int pres_subs_flush(void);

/* With pres.subs bucket `slot` locked by the caller: the record of dialog
 * k (the whole dialog matches), found through the dialog index (takes and
 * releases one pres.dlgs bucket lock), or NULL when it is not in that
 * bucket. The record stays valid while the caller holds the lock. */
pres_srec_t *pres_subs_find_locked(unsigned int slot, const pres_dlg_key_t *k);

/* Dialog comparisons made by this process (the matches of the lookups
 * above); a test counter: finding one dialog must not cost a walk over
 * every watcher of its presentity. */
extern unsigned long pres_subs_match_calls;

/* Shared with the DB-only store (pres_subs_db.c). */
int pres_subs_is_watcher(const subs_t *s, const lp_str_t *uri);
int pres_subs_db_upsert(lp_db_t *db, const subs_t *s);
/* The row of s inserted (plain INSERT, no upsert: a new subscription's To
 * tag is new); lp_db_exec's result. */
int pres_subs_db_insert(lp_db_t *db, const subs_t *s);
/* s points into the row (valid during the row callback); -1 for a row of
 * an unregistered event. */
int pres_subs_from_row(const lp_db_val_t *c, int n, subs_t *s);

/* DB-only store (subs_db_mode 3): same contracts as the functions above;
 * the NOTIFY CSeq is incremented in the DB inside a transaction, so several
 * instances sharing the DB never reuse one. */
int pres_subsdb_insert(const subs_t *s);
int pres_subsdb_apply(const pres_dlg_key_t *k, pres_subs_op_f op, void *ctx);
int pres_subsdb_remove(const pres_dlg_key_t *k);
int pres_subsdb_remove_same(const lp_str_t *pres_uri, const lp_str_t *callid);
int pres_subsdb_collect(const lp_str_t *pres_uri, pres_ev_t *ev,
		const lp_str_t *skip, subs_t ***out);
void pres_subsdb_expire(unsigned int now, void (*cb)(subs_t *copy));
int pres_subsdb_count(void);
int pres_subsdb_watchers(const lp_str_t *pres_uri, pres_ev_t *ev, subs_t ***out);
int pres_subs_load_all(void);
void pres_subs_free_entry(lp_hentry_t *e);
/* DMQ (pres_dmq_subs.c): store a replicated version of a subscription
 * (s->event resolved; owner: its id, 0 when this node owns it) unless the
 * version here wins; a record this node owned and loses to another owner
 * leaves this node's DB. 2 stored and new here or in a new status (its
 * watcher-info subscribers must hear), 1 stored, 0 ignored, -1 error. */
int pres_subs_dmq_put(const subs_t *s, int owner, unsigned int reserved,
		unsigned int changed);
/* DMQ: remove the subscription of dialog k unless it changed after
 * `changed`; no NOTIFY. 1 removed (*gone: a malloc'd copy, or NULL out of
 * memory; the caller frees it), 0 not. */
int pres_subs_dmq_drop(
		const pres_dlg_key_t *k, unsigned int changed, subs_t **gone);
/* DMQ: call cb on every record with its bucket locked; cb returns non-0
 * to stop. */
void pres_subs_foreach_rec(int (*cb)(const pres_srec_t *r, void *ctx), void *ctx);
/* Live subscriptions in the table. */
int pres_subs_count(void);

#endif
