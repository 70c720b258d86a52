/* Subscriptions kept in the DB alone (subs_db_mode 3), for several
 * instances sharing one database: every read and write goes to
 * active_watchers, and a NOTIFY's CSeq is taken by incrementing the row
 * inside a transaction, so two instances never send the same one.
 *
 * Lock discipline (MariaDB deadlocked here at a few hundred SUBSCRIBE/s:
 * the CSeq bump "UPDATE .. WHERE presentity_uri=? AND event=? AND
 * expires>?" was run through the expires index, locking every live row it
 * scanned, while single-row upserts held those rows and waited for index
 * entries the scan held): a row is locked only through its primary key,
 * several rows in ascending id order, after a plain read of their ids that
 * takes no lock; a row that exists is written by an UPDATE on its id,
 * never an upsert (INSERT .. ON DUPLICATE KEY takes a next-key lock on the
 * unique index); a new subscription is a plain INSERT. So two transactions
 * wait for one another's rows in one order and cannot deadlock; a refusal
 * that still comes (lock wait timeout) is retried, logged as a warning by
 * the driver, and only giving up is an error. */
#include <stdlib.h>
#include <string.h>

#include "lp_log.h"
#include "pres_sql.h"
#include "pres_subs.h"

/* A transaction the server rolled back to break a deadlock (or that waited
 * past the lock timeout) is run again, a few times: the other side has
 * committed by then. The driver logs each such refusal as a warning; only
 * giving up is an error. */
#define PRES_DB_TRIES 3

/* Row ids read by a plain SELECT .. ORDER BY id (ascending). */
typedef struct id_list
{
	long long *v; /* malloc'd */
	int n, cap;
	int error;
} id_list_t;

typedef struct row_list
{
	const lp_str_t *skip;  /* watcher left out, or NULL */
	const id_list_t *only; /* NULL, or rows of these ids only (last column) */
	subs_t **v;			   /* malloc'd copies */
	int n, cap;
	int error;
} row_list_t;

static int id_row(void *ctx, const lp_db_val_t *c, int n)
{
	id_list_t *l = ctx;
	long long *nv;

	if(n < 1 || c[0].type != LP_DB_INT)
		return 0;
	if(l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		nv = realloc(l->v, l->cap * sizeof(*nv));
		if(!nv) {
			l->error = 1;
			return 1;
		}
		l->v = nv;
	}
	l->v[l->n++] = c[0].v.i;
	return 0;
}

/* The ids sql reads (a plain SELECT: no lock), into ids. The count, or a
 * negative lp_db_err (-1 out of memory). */
static int read_ids(lp_db_t *db, const char *sql, const lp_db_val_t *v, int n,
		id_list_t *ids)
{
	int rc = lp_db_exec(db, sql, v, n, id_row, ids);

	if(rc < 0)
		return rc;
	return ids->error ? -1 : ids->n;
}

static int cmp_id(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* Row callback: a malloc'd copy of each subscription row (with l->only:
 * rows whose id, the column after the subscription's, is in the list). */
static int collect_row(void *ctx, const lp_db_val_t *c, int n)
{
	row_list_t *l = ctx;
	subs_t s, **nv;

	if(l->only
			&& (n <= PRES_SUBS_NCOLS || c[PRES_SUBS_NCOLS].type != LP_DB_INT
					|| !bsearch(&c[PRES_SUBS_NCOLS].v.i, l->only->v, l->only->n,
							sizeof(long long), cmp_id)))
		return 0;
	if(pres_subs_from_row(c, n, &s) < 0 || pres_subs_is_watcher(&s, l->skip))
		return 0;
	if(l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		nv = realloc(l->v, l->cap * sizeof(*nv));
		if(!nv) {
			l->error = 1;
			return 1;
		}
		l->v = nv;
	}
	l->v[l->n] = pres_subs_dup(&s, 0);
	if(!l->v[l->n]) {
		l->error = 1;
		return 1;
	}
	l->n++;
	return 0;
}

static void list_free(row_list_t *l)
{
	int i;

	for(i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* LP_DB_EBUSY stays (the caller tries again), anything else is -1. */
static int busy_or_fail(int rc)
{
	return rc == LP_DB_EBUSY ? rc : -1;
}

int pres_subsdb_insert(const subs_t *s)
{
	lp_db_t *db = pres_db();
	int rc = LP_DB_EBUSY, i;

	for(i = 0; db && rc == LP_DB_EBUSY && i < PRES_DB_TRIES; i++)
		rc = pres_subs_db_insert(db, s);
	if(!db || rc < 0) {
		LP_ERR("cannot store subscription %.*s", LP_STR_FMT(s->callid));
		return -1;
	}
	return 0;
}

static lp_db_val_t str_or_empty(const lp_str_t *s)
{
	return LP_DB_VSTR(s->s ? *s : LP_STR(""));
}

/* The changing columns of the row id from s (what subs_upsert updates). */
static int update_id(lp_db_t *db, const subs_t *s, long long id)
{
	lp_db_val_t v[10] = {LP_DB_VINT(s->local_cseq), LP_DB_VINT(s->remote_cseq),
			str_or_empty(&s->contact), LP_DB_VINT(s->expires),
			LP_DB_VINT(s->status), str_or_empty(&s->reason),
			LP_DB_VINT(s->version), str_or_empty(&s->record_route),
			LP_DB_VINT(0), LP_DB_VINT(id)};

	return lp_db_exec(db, pres_sql.subs_update_id, v, 10, NULL, NULL);
}

/* The id of dialog k's row (plain read): 1, 0 when there is none, or a
 * negative lp_db_err. */
static int dialog_id(lp_db_t *db, const pres_dlg_key_t *k, long long *id)
{
	lp_db_val_t v[3] = {LP_DB_VSTR(*k->callid), LP_DB_VSTR(*k->to_tag),
			LP_DB_VSTR(*k->from_tag)};
	id_list_t ids = {NULL, 0, 0, 0};
	int rc = read_ids(db, pres_sql.subs_id_by_dialog, v, 3, &ids);

	if(rc > 0)
		*id = ids.v[0];
	free(ids.v);
	return rc > 0 ? 1 : rc;
}

/* One attempt; LP_DB_EBUSY when the server gave up on a lock. */
static int apply_once(
		lp_db_t *db, const pres_dlg_key_t *k, pres_subs_op_f op, void *ctx)
{
	row_list_t l = {NULL, NULL, NULL, 0, 0, 0};
	subs_t *replace = NULL;
	lp_db_val_t idv = LP_DB_VINT(0);
	int rc, e;

	if((rc = dialog_id(db, k, &idv.v.i)) <= 0)
		return rc == 0 ? -2 : busy_or_fail(rc);
	if((e = lp_db_begin(db)) < 0)
		return busy_or_fail(e);
	e = lp_db_exec(db, pres_sql.subs_lock_id, &idv, 1, collect_row, &l);
	if(e < 0 || l.error) {
		rc = e < 0 ? busy_or_fail(e) : -1;
		goto done;
	}
	if(l.n == 0) { /* gone since its id was read */
		rc = -2;
		goto done;
	}
	rc = op(l.v[0], ctx, &replace);
	if(rc >= 0
			&& (e = update_id(
						db, rc == 1 && replace ? replace : l.v[0], idv.v.i))
					   < 0)
		rc = busy_or_fail(e);
	if(rc == 1)
		rc = 0;
done:
	if(rc == 0) {
		if((e = lp_db_commit(db)) < 0)
			rc = busy_or_fail(e);
	} else {
		lp_db_rollback(db);
	}
	list_free(&l);
	return rc;
}

int pres_subsdb_apply(const pres_dlg_key_t *k, pres_subs_op_f op, void *ctx)
{
	lp_db_t *db = pres_db();
	int rc = LP_DB_EBUSY, i;

	for(i = 0; db && rc == LP_DB_EBUSY && i < PRES_DB_TRIES; i++)
		rc = apply_once(db, k, op, ctx);
	if(rc == LP_DB_EBUSY) {
		LP_ERR("cannot update subscription %.*s: still deadlocked after %d "
			   "tries",
				LP_STR_FMT(*k->callid), PRES_DB_TRIES);
		return -1;
	}
	return rc;
}

/* Delete the row id (autocommit; lp_db_exec retries a refusal): rows
 * deleted, or a negative lp_db_err. */
static int delete_id(lp_db_t *db, long long id)
{
	lp_db_val_t v = LP_DB_VINT(id);

	return lp_db_exec(db, pres_sql.subs_delete_id, &v, 1, NULL, NULL);
}

int pres_subsdb_remove(const pres_dlg_key_t *k)
{
	lp_db_t *db = pres_db();
	long long id = 0;
	int rc;

	if(!db)
		return -1;
	rc = dialog_id(db, k, &id);
	if(rc <= 0)
		return rc == 0 ? -2 : -1;
	rc = delete_id(db, id);
	if(rc < 0)
		return -1;
	return rc > 0 ? 0 : -2;
}

int pres_subsdb_remove_same(const lp_str_t *pres_uri, const lp_str_t *callid)
{
	lp_db_t *db = pres_db();
	lp_db_val_t v[2] = {LP_DB_VSTR(*pres_uri), LP_DB_VSTR(*callid)};
	id_list_t ids = {NULL, 0, 0, 0};
	int rc, i, gone = 0;

	if(!db)
		return -1;
	rc = read_ids(db, pres_sql.subs_ids_same, v, 2, &ids);
	for(i = 0; rc >= 0 && i < ids.n; i++)
		if((rc = delete_id(db, ids.v[i])) > 0)
			gone += rc;
	free(ids.v);
	return rc < 0 ? -1 : gone;
}

/* Inside a transaction: run bump (params: the id, then extra) on each id of
 * ids in ascending order, keeping in ids those it changed. 0 or a negative
 * lp_db_err. */
static int bump_ids(
		lp_db_t *db, const char *bump, id_list_t *ids, const lp_db_val_t *extra)
{
	lp_db_val_t b[2];
	int i, kept = 0, rc = 0;

	b[1] = *extra;
	for(i = 0; i < ids->n; i++) {
		b[0] = LP_DB_VINT(ids->v[i]);
		if((rc = lp_db_exec(db, bump, b, 2, NULL, NULL)) < 0)
			return rc;
		if(rc > 0)
			ids->v[kept++] = ids->v[i];
	}
	ids->n = kept;
	return 0;
}

/* One attempt of the fan-out read: the ids of the live watchers (no lock;
 * none: no transaction), then in one transaction each one's CSeq bumped
 * by id in ascending order and those rows read back. Rows or a negative
 * code (LP_DB_EBUSY: rolled back by the server, try again). */
static int collect_once(lp_db_t *db, const lp_db_val_t *v, row_list_t *l)
{
	id_list_t ids = {NULL, 0, 0, 0};
	int rc = read_ids(db, pres_sql.subs_ids_of_pres, v, 3, &ids);

	if(rc <= 0)
		goto out;
	if((rc = lp_db_begin(db)) < 0)
		goto out;
	l->only = &ids;
	if((rc = bump_ids(db, pres_sql.subs_bump_id, &ids, &v[2])) >= 0
			&& (rc = lp_db_exec(
						db, pres_sql.subs_of_pres_ids, v, 2, collect_row, l))
					   >= 0
			&& !l->error && (rc = lp_db_commit(db)) >= 0) {
		rc = l->n;
		goto out;
	}
	lp_db_rollback(db);
	list_free(l);
	l->error = 0;
	rc = rc < 0 ? rc : -1;
out:
	l->only = NULL;
	free(ids.v);
	return rc;
}

int pres_subsdb_collect(const lp_str_t *pres_uri, pres_ev_t *ev,
		const lp_str_t *skip, subs_t ***out)
{
	lp_db_t *db = pres_db();
	row_list_t l = {skip, NULL, NULL, 0, 0, 0};
	lp_db_val_t v[3];
	int rc = LP_DB_EBUSY, i;

	*out = NULL;
	v[0] = LP_DB_VSTR(*pres_uri);
	v[1] = LP_DB_VSTR(ev->name);
	v[2] = LP_DB_VINT(pres.now());
	for(i = 0; db && rc == LP_DB_EBUSY && i < PRES_DB_TRIES; i++)
		rc = collect_once(db, v, &l);
	if(rc < 0) {
		LP_ERR("cannot read the watchers of %.*s", LP_STR_FMT(*pres_uri));
		return -1;
	}
	*out = l.v;
	return l.n;
}

/* One attempt of the expiry: the expired ids (no lock), then in one
 * transaction, by id in ascending order, each row's CSeq bumped, the rows
 * read, then deleted. 0, or a negative code (LP_DB_EBUSY: try again). */
static int expire_once(lp_db_t *db, const lp_db_val_t *v, row_list_t *l)
{
	id_list_t ids = {NULL, 0, 0, 0};
	int rc = read_ids(db, pres_sql.subs_ids_expired, v, 1, &ids), i;

	if(rc <= 0)
		goto out;
	if((rc = lp_db_begin(db)) < 0)
		goto out;
	l->only = &ids;
	if((rc = bump_ids(db, pres_sql.subs_expired_bump_id, &ids, v)) >= 0
			&& (rc = lp_db_exec(
						db, pres_sql.subs_expired_ids, v, 1, collect_row, l))
					   >= 0
			&& !l->error) {
		for(i = 0; rc >= 0 && i < ids.n; i++)
			rc = delete_id(db, ids.v[i]);
		if(rc >= 0 && (rc = lp_db_commit(db)) >= 0) {
			rc = 0;
			goto out;
		}
	}
	lp_db_rollback(db);
	list_free(l);
	l->error = 0;
	rc = rc < 0 ? rc : -1;
out:
	l->only = NULL;
	free(ids.v);
	return rc < 0 ? rc : 0;
}

void pres_subsdb_expire(unsigned int now, void (*cb)(subs_t *copy))
{
	lp_db_t *db = pres_db();
	row_list_t l = {NULL, NULL, NULL, 0, 0, 0};
	lp_db_val_t v[1] = {LP_DB_VINT(now)};
	int i, rc = LP_DB_EBUSY;

	for(i = 0; db && rc == LP_DB_EBUSY && i < PRES_DB_TRIES; i++)
		rc = expire_once(db, v, &l);
	if(rc < 0) {
		LP_ERR("cannot remove expired subscriptions");
		return;
	}
	for(i = 0; i < l.n; i++) {
		if(cb)
			cb(l.v[i]);
		else
			free(l.v[i]);
	}
	free(l.v);
}

static int count_row(void *ctx, const lp_db_val_t *c, int n)
{
	*(int *)ctx = (n > 0 && c[0].type == LP_DB_INT) ? (int)c[0].v.i : 0;
	return 1;
}

int pres_subsdb_count(void)
{
	lp_db_t *db = pres_db();
	int count = 0;

	if(!db
			|| lp_db_exec(db, pres_sql.subs_count, NULL, 0, count_row, &count)
					   < 0)
		return -1;
	return count;
}

int pres_subsdb_watchers(const lp_str_t *pres_uri, pres_ev_t *ev, subs_t ***out)
{
	lp_db_t *db = pres_db();
	row_list_t l = {NULL, NULL, NULL, 0, 0, 0};
	lp_db_val_t v[3];

	*out = NULL;
	v[0] = LP_DB_VSTR(*pres_uri);
	v[1] = LP_DB_VSTR(ev->name);
	v[2] = LP_DB_VINT(pres.now());
	if(!db || lp_db_exec(db, pres_sql.subs_watchers, v, 3, collect_row, &l) < 0
			|| l.error) {
		list_free(&l);
		return -1;
	}
	*out = l.v;
	return l.n;
}
