/* Subscriptions kept in the DB alone (subs_db_mode 3), for several
 * instances sharing one database: every read and write goes to
 * active_watchers, and a NOTIFY's CSeq is taken by incrementing the row
 * inside a transaction, so two instances never send the same one. */
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

typedef struct row_list {
	const lp_str_t *skip; /* watcher left out, or NULL */
	subs_t **v;			  /* malloc'd copies */
	int n, cap;
	int error;
} row_list_t;

/* Row callback: a malloc'd copy of each subscription row. */
static int collect_row(void *ctx, const lp_db_val_t *c, int n)
{
	row_list_t *l = ctx;
	subs_t s, **nv;

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

int pres_subsdb_insert(const subs_t *s)
{
	lp_db_t *db = pres_db();
	int rc = LP_DB_EBUSY, i;

	for(i = 0; db && rc == LP_DB_EBUSY && i < PRES_DB_TRIES; i++)
		rc = pres_subs_db_upsert(db, s);
	if(!db || rc < 0) {
		LP_ERR("cannot store subscription %.*s", LP_STR_FMT(s->callid));
		return -1;
	}
	return 0;
}

static int select_dialog(lp_db_t *db, const pres_dlg_key_t *k, row_list_t *l)
{
	lp_db_val_t v[3];

	v[0] = LP_DB_VSTR(*k->callid);
	v[1] = LP_DB_VSTR(*k->to_tag);
	v[2] = LP_DB_VSTR(*k->from_tag);
	int rc = lp_db_exec(db, pres_sql.subs_by_dialog, v, 3, collect_row, l);

	if(rc < 0)
		return rc;
	return l->error ? -1 : 0;
}

/* One attempt; LP_DB_EBUSY when the server gave up on a lock. */
static int apply_once(lp_db_t *db, const pres_dlg_key_t *k, pres_subs_op_f op,
		void *ctx)
{
	row_list_t l = {NULL, NULL, 0, 0, 0};
	subs_t *replace = NULL;
	int rc = -1, e;

	if((e = lp_db_begin(db)) < 0)
		return e == LP_DB_EBUSY ? e : -1;
	if((e = select_dialog(db, k, &l)) < 0) {
		rc = e;
		goto done;
	}
	if(l.n == 0) {
		rc = -2;
		goto done;
	}
	rc = op(l.v[0], ctx, &replace);
	if(rc >= 0 && (e = pres_subs_db_upsert(db, rc == 1 && replace ? replace : l.v[0])) < 0)
		rc = e == LP_DB_EBUSY ? e : -1;
	if(rc == 1)
		rc = 0;
done:
	if(rc == 0) {
		if((e = lp_db_commit(db)) < 0)
			rc = e == LP_DB_EBUSY ? e : -1;
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

int pres_subsdb_remove(const pres_dlg_key_t *k)
{
	lp_db_t *db = pres_db();
	lp_db_val_t v[3];
	int rc;

	v[0] = LP_DB_VSTR(*k->callid);
	v[1] = LP_DB_VSTR(*k->to_tag);
	v[2] = LP_DB_VSTR(*k->from_tag);
	if(!db)
		return -1;
	rc = lp_db_exec(db, pres_sql.subs_delete, v, 3, NULL, NULL);
	if(rc < 0)
		return -1;
	return rc > 0 ? 0 : -2;
}

int pres_subsdb_remove_same(const lp_str_t *pres_uri, const lp_str_t *callid)
{
	lp_db_t *db = pres_db();
	lp_db_val_t v[2];
	int rc;

	v[0] = LP_DB_VSTR(*pres_uri);
	v[1] = LP_DB_VSTR(*callid);
	if(!db)
		return -1;
	rc = lp_db_exec(db, pres_sql.subs_delete_same, v, 2, NULL, NULL);
	return rc < 0 ? -1 : rc;
}

/* One attempt of the fan-out read: bump every live watcher's CSeq and read
 * them back, in one transaction. Rows or a negative code (LP_DB_EBUSY:
 * rolled back by the server, try again). */
static int collect_once(lp_db_t *db, const lp_db_val_t *v, row_list_t *l)
{
	int rc;

	if((rc = lp_db_begin(db)) < 0)
		return rc;
	if((rc = lp_db_exec(db, pres_sql.subs_cseq_bump, v, 3, NULL, NULL)) >= 0
			&& (rc = lp_db_exec(db, pres_sql.subs_of_pres, v, 3, collect_row, l)) >= 0
			&& !l->error && (rc = lp_db_commit(db)) >= 0)
		return l->n;
	lp_db_rollback(db);
	list_free(l);
	l->error = 0;
	return rc < 0 ? rc : -1;
}

int pres_subsdb_collect(const lp_str_t *pres_uri, pres_ev_t *ev,
		const lp_str_t *skip, subs_t ***out)
{
	lp_db_t *db = pres_db();
	row_list_t l = {skip, NULL, 0, 0, 0};
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

/* One attempt of the expiry: bump, read and delete the expired rows in one
 * transaction. 0, or a negative code (LP_DB_EBUSY: try again). */
static int expire_once(lp_db_t *db, const lp_db_val_t *v, row_list_t *l)
{
	int rc;

	if((rc = lp_db_begin(db)) < 0)
		return rc;
	if((rc = lp_db_exec(db, pres_sql.subs_expired_bump, v, 1, NULL, NULL)) >= 0
			&& (rc = lp_db_exec(db, pres_sql.subs_expired, v, 1, collect_row, l))
					   >= 0
			&& !l->error
			&& (rc = lp_db_exec(db, pres_sql.subs_delete_expired, v, 1, NULL,
						NULL))
					   >= 0
			&& (rc = lp_db_commit(db)) >= 0)
		return 0;
	lp_db_rollback(db);
	list_free(l);
	l->error = 0;
	return rc < 0 ? rc : -1;
}

void pres_subsdb_expire(unsigned int now, void (*cb)(subs_t *copy))
{
	lp_db_t *db = pres_db();
	row_list_t l = {NULL, NULL, 0, 0, 0};
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

	if(!db || lp_db_exec(db, pres_sql.subs_count, NULL, 0, count_row, &count) < 0)
		return -1;
	return count;
}

int pres_subsdb_watchers(const lp_str_t *pres_uri, pres_ev_t *ev, subs_t ***out)
{
	lp_db_t *db = pres_db();
	row_list_t l = {NULL, NULL, 0, 0, 0};
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
