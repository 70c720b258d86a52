/* Builds pres_sql from the configured table names; see pres_sql.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lp_log.h"
#include "pres_logic.h"
#include "pres_pub.h"
#include "pres_sql.h"

pres_sql_t pres_sql;

static char *fmt(const char *f, const char *table)
{
	return lp_db_sql_for_table(f, table);
}

/* The publications of one presentity in the order agg_nbody gets them
 * (retrieve_order / retrieve_order_by). */
static char *pub_of_uri_sql(const char *pt)
{
	char f[512];
	int n = snprintf(f, sizeof(f),
			"SELECT " PRES_PUB_COLS " FROM %%s WHERE username=?"
			" AND domain=? AND event=? AND expires>? ORDER BY %s",
			pres_pub_order_sql());

	if(n <= 0 || n >= (int)sizeof(f))
		return NULL;
	return fmt(f, pt);
}

/* Every statement is a malloc'd char *: free those of an earlier init
 * (the order of publications may have changed since). */
static void sql_free(void)
{
	char **v = (char **)&pres_sql;
	size_t i;

	for(i = 0; i < sizeof(pres_sql) / sizeof(char *); i++) {
		free(v[i]);
		v[i] = NULL;
	}
}

/* The statements of the DB-only mode (pres_subs_db.c); 0 or -1. */
static int dbonly_sql_init(pres_sql_t *q, const char *at)
{
	q->subs_insert = fmt("INSERT INTO %s (" PRES_SUBS_COLS ") VALUES"
						 " (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			at);
	q->subs_id_by_dialog = fmt("SELECT id FROM %s WHERE callid=? AND"
							   " to_tag=? AND from_tag=?", at);
	q->subs_lock_id = fmt("SELECT " PRES_SUBS_COLS ", id FROM %s WHERE id=?"
						  " FOR UPDATE", at);
	q->subs_update_id = fmt("UPDATE %s SET local_cseq=?, remote_cseq=?,"
							" contact=?, expires=?, status=?, reason=?,"
							" version=?, record_route=?, updated=? WHERE id=?",
			at);
	q->subs_delete_id = fmt("DELETE FROM %s WHERE id=?", at);
	q->subs_ids_of_pres = fmt("SELECT id FROM %s WHERE presentity_uri=? AND"
							  " event=? AND expires>? AND status<>3 ORDER BY id",
			at);
	q->subs_bump_id = fmt("UPDATE %s SET local_cseq=local_cseq+1,"
						  " version=version+1 WHERE id=? AND expires>?"
						  " AND status<>3", at);
	q->subs_of_pres_ids = fmt("SELECT " PRES_SUBS_COLS ", id FROM %s WHERE"
							  " presentity_uri=? AND event=?", at);
	q->subs_ids_expired = fmt("SELECT id FROM %s WHERE expires<=? ORDER BY id",
			at);
	q->subs_expired_bump_id = fmt("UPDATE %s SET local_cseq=local_cseq+1"
								  " WHERE id=? AND expires<=?", at);
	q->subs_expired_ids = fmt("SELECT " PRES_SUBS_COLS ", id FROM %s WHERE"
							  " expires<=?", at);
	q->subs_ids_same = fmt("SELECT id FROM %s WHERE presentity_uri=? AND"
						   " callid=? ORDER BY id", at);
	return q->subs_insert && q->subs_id_by_dialog && q->subs_lock_id
						   && q->subs_update_id && q->subs_delete_id
						   && q->subs_ids_of_pres && q->subs_bump_id
						   && q->subs_of_pres_ids && q->subs_ids_expired
						   && q->subs_expired_bump_id && q->subs_expired_ids
						   && q->subs_ids_same
				   ? 0
				   : -1;
}

int pres_sql_init(void)
{
	const char *pt = pres.cfg.presentity_table;
	const char *at = pres.cfg.active_watchers_table;
	const char *wt = pres.cfg.watchers_table;
	pres_sql_t *q = &pres_sql;

	sql_free();

	if(!lp_db_is_identifier(pt) || !lp_db_is_identifier(at)
			|| !lp_db_is_identifier(wt)) {
		LP_ERR("table names must be plain identifiers ([A-Za-z0-9_])");
		return -1;
	}
	q->pub_insert = fmt("INSERT INTO %s (" PRES_PUB_COLS ")"
						" VALUES (?,?,?,?,?,?,?,?,?)", pt);
	q->pub_update = fmt("UPDATE %s SET etag=?, expires=?, received_time=?,"
						" body=?, sender=?, priority=? WHERE username=?"
						" AND domain=? AND event=? AND etag=?", pt);
	q->pub_delete = fmt("DELETE FROM %s WHERE username=? AND domain=?"
						" AND event=? AND etag=?", pt);
	q->pub_by_etag = fmt("SELECT " PRES_PUB_COLS " FROM %s WHERE username=?"
						 " AND domain=? AND event=? AND etag=?", pt);
	q->pub_load = fmt("SELECT " PRES_PUB_COLS ", id FROM %s WHERE expires>?"
					  " AND id>? ORDER BY id LIMIT ?", pt);
	q->pub_of_uri = pub_of_uri_sql(pt);
	q->pub_expired_keys = fmt("SELECT username, domain, event, body FROM %s"
							  " WHERE expires<=? ORDER BY username, domain,"
							  " event, received_time, id", pt);
	q->pub_expired = fmt("SELECT " PRES_PUB_COLS " FROM %s WHERE expires<=?", pt);
	q->pub_delete_expired = fmt("DELETE FROM %s WHERE expires<=?", pt);
	q->subs_upsert = fmt("INSERT INTO %s (" PRES_SUBS_COLS ") VALUES"
						 " (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
						 " ON CONFLICT (callid, to_tag, from_tag) DO UPDATE SET"
						 " local_cseq=excluded.local_cseq,"
						 " remote_cseq=excluded.remote_cseq,"
						 " contact=excluded.contact, expires=excluded.expires,"
						 " status=excluded.status, reason=excluded.reason,"
						 " version=excluded.version,"
						 " record_route=excluded.record_route,"
						 " updated=excluded.updated", at);
	q->subs_delete = fmt("DELETE FROM %s WHERE callid=? AND to_tag=?"
						 " AND from_tag=?", at);
	q->subs_load = fmt("SELECT " PRES_SUBS_COLS ", id FROM %s WHERE expires>?"
					   " AND id>? ORDER BY id LIMIT ?", at);
	q->subs_delete_expired = fmt("DELETE FROM %s WHERE expires<=?", at);
	q->subs_count = fmt("SELECT count(*) FROM %s", at);
	q->subs_watchers = fmt("SELECT " PRES_SUBS_COLS " FROM %s WHERE"
						   " presentity_uri=? AND event=? AND expires>?", at);
	q->watcher_insert = fmt("INSERT INTO %s (presentity_uri, watcher_username,"
							" watcher_domain, event, status, reason,"
							" inserted_time) VALUES (?,?,?,?,?,?,?)"
							" ON CONFLICT DO NOTHING", wt);
	q->watcher_since = fmt("SELECT inserted_time FROM %s WHERE"
						   " presentity_uri=? AND watcher_username=? AND"
						   " watcher_domain=? AND event=?",
			wt);
	q->watchers_since = fmt("SELECT watcher_username, watcher_domain,"
							" inserted_time FROM %s WHERE presentity_uri=?"
							" AND event=?",
			wt);
	if(dbonly_sql_init(q, at) < 0) {
		LP_ERR("out of memory building SQL statements");
		return -1;
	}
	if(!q->pub_insert || !q->pub_update || !q->pub_delete || !q->pub_by_etag
			|| !q->pub_load || !q->pub_of_uri || !q->pub_expired
			|| !q->pub_delete_expired || !q->subs_upsert || !q->subs_delete
			|| !q->subs_load || !q->subs_delete_expired || !q->watcher_insert
			|| !q->pub_expired_keys || !q->subs_count || !q->subs_watchers || !q->watcher_since
			|| !q->watchers_since) {
		LP_ERR("out of memory building SQL statements");
		return -1;
	}
	return 0;
}

/* ---- fetch_rows: the start-up loads read the tables a page at a time ---- */

typedef struct page {
	lp_db_row_cb cb;
	void *ctx;
	long long last_id;
	int rows, stop;
} page_t;

static int page_row(void *vctx, const lp_db_val_t *c, int n)
{
	page_t *p = vctx;

	p->rows++;
	if(n > 0 && c[n - 1].type == LP_DB_INT)
		p->last_id = c[n - 1].v.i;
	if(p->cb(p->ctx, c, n - 1)) { /* the id column stays ours */
		p->stop = 1;
		return 1;
	}
	return 0;
}

int pres_db_load_paged(lp_db_t *db, const char *sql, const lp_db_val_t *v,
		int n, lp_db_row_cb cb, void *ctx)
{
	lp_db_val_t pv[8];
	page_t p = {cb, ctx, 0, 0, 0};

	if(n + 2 > (int)(sizeof(pv) / sizeof(pv[0])))
		return -1;
	memcpy(pv, v, n * sizeof(*v));
	do {
		p.rows = 0;
		pv[n] = LP_DB_VINT(p.last_id);
		pv[n + 1] = LP_DB_VINT(pres.cfg.fetch_rows > 0 ? pres.cfg.fetch_rows : 500);
		if(lp_db_exec(db, sql, pv, n + 2, page_row, &p) < 0)
			return -1;
	} while(!p.stop && p.rows > 0 && p.rows >= pres.cfg.fetch_rows);
	return p.stop ? -1 : 0;
}
