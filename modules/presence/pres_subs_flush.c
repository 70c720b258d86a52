/* Write-back of the subscription table to active_watchers (subs_db_mode 1,
 * write-through, and 2, write-back): the flush copies the marked records
 * under each bucket lock, drops the lock and writes the copies in one
 * transaction. Two faults are kept from spreading:
 * - a row the database refuses (a value too long for its column, a byte
 *   PostgreSQL does not take as UTF-8, a CHECK) is isolated: after a failed
 *   first pass the batch is written again with a savepoint around each row,
 *   the refused rows are rolled back to their savepoint, logged (rate
 *   limited) and skipped until the record changes again, and the others
 *   commit. A lost connection, a lock or a full disk rolls the whole batch
 *   back and every record is marked again for the next flush.
 * - a removal (un-SUBSCRIBE, expiry, 481 to a NOTIFY) that deletes the row
 *   while the flush holds a copy must stay removed: a record no longer in the
 *   table is not written, and after the commit every written record is looked
 *   up again and the row of one removed in between is deleted, so a flush
 *   never brings back a dialog that ended.
 * No lock is held across DB I/O. */
#include <stdlib.h>
#include <string.h>

#include "lp_log.h"
#include "pres_sql.h"
#include "pres_subs.h"
#include "pres_subs_flush.h"
#include "pres_subs_pend.h"

#define SP_NAME "pres_row"

enum row_state
{
	ROW_TODO = 0,
	ROW_WRITTEN,
	ROW_REFUSED,
	ROW_GONE
};

/* Under the bucket lock: the record of c's dialog, or NULL (through the
 * dialog index: no walk over the presentity's other watchers). */
static pres_srec_t *find_locked(unsigned int slot, const subs_t *c)
{
	pres_dlg_key_t k = {&c->callid, &c->to_tag, &c->from_tag};

	return pres_subs_find_locked(slot, &k);
}

/* Is the record of entry i still in the table? With remark set, a clean
 * one is marked again (its write failed). */
static int still_there(const pres_flush_row_t *row, int remark)
{
	unsigned int slot = lp_htable_slot(pres.subs, row->hash);
	pres_srec_t *r;

	lp_htable_lock(pres.subs, slot);
	r = find_locked(slot, row->s);
	if(r && remark && r->db_state == PRES_DB_CLEAN)
		r->db_state = PRES_DB_DIRTY;
	lp_htable_unlock(pres.subs, slot);
	return r != NULL;
}

static int batch_add(pres_flush_batch_t *b, pres_srec_t *r)
{
	pres_flush_row_t *nv;

	if(b->n == b->cap) {
		int cap = b->cap ? b->cap * 2 : 64;
		nv = realloc(b->rows, cap * sizeof(*nv));
		if(!nv)
			return -1;
		b->rows = nv;
		b->cap = cap;
	}
	b->rows[b->n].s = pres_subs_dup(&r->s, 0);
	if(!b->rows[b->n].s)
		return -1;
	b->rows[b->n].hash = r->h.hash;
	b->rows[b->n].state = ROW_TODO;
	b->n++;
	return 0;
}

int pres_subs_flush_take(pres_flush_batch_t *b)
{
	unsigned int slot;
	lp_hentry_t *e;
	int rc = 0;

	memset(b, 0, sizeof(*b));
	for(slot = 0; slot < pres.subs->size && rc == 0; slot++) {
		if(!pres.subs->buckets[slot].first)
			continue;
		lp_htable_lock(pres.subs, slot);
		for(e = pres.subs->buckets[slot].first; e && rc == 0; e = e->next) {
			pres_srec_t *r = (pres_srec_t *)e;
			if(r->db_state == PRES_DB_CLEAN)
				continue;
			rc = batch_add(b, r);
			if(rc == 0)
				r->db_state = PRES_DB_CLEAN;
		}
		lp_htable_unlock(pres.subs, slot);
	}
	if(rc < 0)
		LP_ERR("out of memory flushing subscriptions; the rest wait for the "
			   "next flush");
	return b->n;
}

void pres_subs_flush_free(pres_flush_batch_t *b)
{
	int i;

	for(i = 0; i < b->n; i++)
		free(b->rows[i].s);
	free(b->rows);
	memset(b, 0, sizeof(*b));
}

/* First pass: every row in one transaction. 0 when committed; 1 when a row
 * was refused (rolled back: go row by row); <0 on any other failure
 * (rolled back). */
static int write_plain(lp_db_t *db, pres_flush_batch_t *b)
{
	int i, rc = 0;

	if((rc = lp_db_begin(db)) < 0)
		return rc;
	for(i = 0; i < b->n && rc >= 0; i++) {
		pres_flush_row_t *row = &b->rows[i];
		if(!still_there(row, 0)) {
			row->state = ROW_GONE;
			continue;
		}
		rc = pres_subs_db_upsert(db, row->s);
		row->state = rc >= 0 ? ROW_WRITTEN : ROW_TODO;
	}
	if(rc >= 0 && (rc = lp_db_commit(db)) >= 0)
		return 0;
	lp_db_rollback(db);
	for(i = 0; i < b->n; i++)
		if(b->rows[i].state == ROW_WRITTEN)
			b->rows[i].state = ROW_TODO;
	return LP_DB_REFUSED(rc) ? 1 : rc;
}

/* One row between a savepoint and its release: 0 (written or refused, see
 * row->state) or <0 when the transaction cannot go on. */
static int write_isolated(lp_db_t *db, pres_flush_row_t *row)
{
	int rc;

	if((rc = lp_db_savepoint(db, LP_DB_SP_SET, SP_NAME)) < 0)
		return rc;
	rc = pres_subs_db_upsert(db, row->s);
	if(rc >= 0) {
		row->state = ROW_WRITTEN;
	} else if(LP_DB_REFUSED(rc)) {
		row->state = ROW_REFUSED;
		if((rc = lp_db_savepoint(db, LP_DB_SP_ROLLBACK_TO, SP_NAME)) < 0)
			return rc;
	} else {
		return rc;
	}
	return lp_db_savepoint(db, LP_DB_SP_RELEASE, SP_NAME);
}

/* Second pass: a savepoint around each row; refused rows are skipped. */
static int write_careful(lp_db_t *db, pres_flush_batch_t *b)
{
	int i, rc;

	if((rc = lp_db_begin(db)) < 0)
		return rc;
	for(i = 0; i < b->n && rc >= 0; i++)
		if(b->rows[i].state == ROW_TODO)
			rc = write_isolated(db, &b->rows[i]);
	if(rc >= 0 && (rc = lp_db_commit(db)) >= 0)
		return 0;
	lp_db_rollback(db);
	for(i = 0; i < b->n; i++)
		if(b->rows[i].state == ROW_WRITTEN || b->rows[i].state == ROW_REFUSED)
			b->rows[i].state = ROW_TODO;
	return rc;
}

static void delete_row(lp_db_t *db, const subs_t *s)
{
	lp_db_val_t v[3] = {LP_DB_VSTR(s->callid), LP_DB_VSTR(s->to_tag),
			LP_DB_VSTR(s->from_tag)};
	pres_dlg_key_t k = {&s->callid, &s->to_tag, &s->from_tag};
	int kept;

	if(lp_db_exec(db, pres_sql.subs_delete, v, 3, NULL, NULL) >= 0)
		return;
	kept = pres_pend_add(pres.pend, &k) == 0;
	LP_LOG_LIMITED(LP_L_ERR, "cannot delete the row of ended subscription %.*s%s",
			LP_STR_FMT(s->callid), kept ? ": retried by the next flush" : "");
}

/* After the commit (or the failure): written rows of records removed in
 * the meantime are deleted; refused rows are reported; rows not written
 * are marked again for the next flush. Returns the rows written. */
static int settle(lp_db_t *db, pres_flush_batch_t *b)
{
	int i, written = 0;

	for(i = 0; i < b->n; i++) {
		pres_flush_row_t *row = &b->rows[i];
		switch(row->state) {
			case ROW_WRITTEN:
				if(still_there(row, 0))
					written++;
				else
					delete_row(db, row->s);
				break;
			case ROW_REFUSED:
				lp_db_log_fail(LP_DB_EDATA,
						"subscription %.*s of %.*s@%.*s refused by the "
						"database: not stored until it changes",
						LP_STR_FMT(row->s->callid),
						LP_STR_FMT(row->s->watcher_user),
						LP_STR_FMT(row->s->watcher_domain));
				break;
			case ROW_TODO:
				still_there(row, 1);
				break;
			default: /* ROW_GONE: removed before it was written */
				break;
		}
	}
	return written;
}

int pres_subs_flush_write(lp_db_t *db, pres_flush_batch_t *b)
{
	int rc, i, todo = 0, written;

	if(b->n == 0)
		return 0;
	rc = write_plain(db, b);
	if(rc == 1)
		rc = write_careful(db, b);
	written = settle(db, b);
	if(rc < 0) {
		for(i = 0; i < b->n; i++)
			todo += b->rows[i].state == ROW_TODO;
		LP_ERR("cannot write %d subscriptions (error %d): kept for the next "
			   "flush",
				todo, rc);
		return -1;
	}
	return written;
}

int pres_subs_flush(void)
{
	pres_flush_batch_t b;
	lp_db_t *db;
	int rc;

	if(pres.cfg.subs_db_mode == PRES_SUBS_DB_NONE
			|| pres.cfg.subs_db_mode == PRES_SUBS_DB_ONLY)
		return 0;
	db = pres_db();
	if(!db)
		return -1;
	/* first the rows of ended dialogs whose DELETE failed: they are gone
	 * before anything else is written */
	pres_pend_retry(pres.pend, db);
	pres_subs_flush_take(&b);
	rc = pres_subs_flush_write(db, &b);
	pres_subs_flush_free(&b);
	return rc;
}

void pres_subs_flush_expired(unsigned int now)
{
	lp_db_val_t v[1] = {LP_DB_VINT(now)};
	lp_db_t *db;

	if(pres.cfg.subs_db_mode == PRES_SUBS_DB_NONE
			|| pres.cfg.subs_db_mode == PRES_SUBS_DB_ONLY)
		return;
	db = pres_db();
	if(!db
			|| lp_db_exec(db, pres_sql.subs_delete_expired, v, 1, NULL, NULL)
					   < 0)
		LP_ERR("cannot delete the expired rows of %s",
				pres.cfg.active_watchers_table);
}
