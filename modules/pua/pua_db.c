/* Storage of pua in Kamailio's `pua` table (version 7). db_mode 0 keeps
 * the records in memory, writes changed ones every update_period and at
 * shutdown, deletes a removed one at once, and loads the table at start.
 * db_mode 2 writes every change at once and looks a record up in the DB
 * when this instance does not hold it, so several instances can share the
 * table. A row is identified by (pres_uri, pres_id, event, watcher_uri);
 * publications have an empty watcher_uri. The body of a publication has no
 * column: a publication loaded from the DB can be refreshed, modified and
 * removed, but a 412 to it cannot be recovered from. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lp_log.h"
#include "pua_logic.h"
#include "pua_stats.h"

#define COLS                                                                \
	"pres_uri, pres_id, event, expires, desired_expires, flag, etag,"       \
	" tuple_id, watcher_uri, call_id, to_tag, from_tag, cseq, record_route," \
	" contact, remote_contact, version, extra_headers"
#define NCOLS 18
#define KEY "pres_uri=? AND pres_id=? AND event=? AND watcher_uri=?"

enum { Q_LOAD, Q_UPDATE, Q_INSERT, Q_DELETE, Q_FETCH, Q_CLEAN, Q_DIALOG, Q_N };

static char *fmt(const char *f, const char *t)
{
	return lp_db_sql_for_table(f, t);
}

int pua_db_init(void)
{
	const char *t = pua.cfg.db_table;
	int i;

	if(!lp_db_is_identifier(t)) {
		LP_ERR("db_table must be a plain identifier ([A-Za-z0-9_])");
		return -1;
	}
	pua_db_free();
	pua.sql[Q_LOAD] = fmt("SELECT " COLS " FROM %s WHERE expires>?"
						  " ORDER BY id LIMIT ? OFFSET ?", t);
	pua.sql[Q_UPDATE] = fmt("UPDATE %s SET expires=?, desired_expires=?,"
							" flag=?, etag=?, tuple_id=?, call_id=?, to_tag=?,"
							" from_tag=?, cseq=?, record_route=?, contact=?,"
							" remote_contact=?, version=?, extra_headers=?"
							" WHERE " KEY, t);
	pua.sql[Q_INSERT] = fmt("INSERT INTO %s (" COLS ") VALUES (?,?,?,?,?,?,?,"
							"?,?,?,?,?,?,?,?,?,?,?)", t);
	pua.sql[Q_DELETE] = fmt("DELETE FROM %s WHERE " KEY, t);
	pua.sql[Q_FETCH] = fmt("SELECT " COLS " FROM %s WHERE " KEY, t);
	pua.sql[Q_CLEAN] = fmt("DELETE FROM %s WHERE expires<=?", t);
	pua.sql[Q_DIALOG] = fmt("SELECT " COLS " FROM %s WHERE call_id=?"
							" AND from_tag=?", t);
	for(i = 0; i < Q_N; i++)
		if(!pua.sql[i]) {
			LP_ERR("out of memory building SQL statements");
			return -1;
		}
	return 0;
}

void pua_db_free(void)
{
	int i;

	for(i = 0; i < Q_N; i++) {
		free(pua.sql[i]);
		pua.sql[i] = NULL;
	}
}

lp_db_t *pua_db(void)
{
	return pua_stats_db(
			lp_db_for_process(&pua.db, &pua.db_pid, pua.cfg.db_url));
}

int pua_db_check(void)
{
	lp_db_t *db = pua_db();

	if(!db)
		return -1;
	return lp_db_check_version(db, pua.cfg.db_table, 7);
}

static lp_db_val_t vstr(const lp_str_t *s)
{
	lp_str_t e = {"", 0};

	return LP_DB_VSTR(s->s ? *s : e);
}

static lp_db_val_t vstr_or_null(const lp_str_t *s)
{
	return s->len > 0 ? LP_DB_VSTR(*s) : LP_DB_VNULL;
}

static void key_vals(const pua_rec_t *r, lp_db_val_t *v)
{
	v[0] = vstr(&r->pres_uri);
	v[1] = vstr(&r->id);
	v[2] = LP_DB_VINT(r->event);
	v[3] = vstr(&r->watcher_uri);
}

/* The non-key columns in Q_UPDATE order. */
static void data_vals(const pua_rec_t *r, lp_db_val_t *v)
{
	v[0] = LP_DB_VINT(r->expires);
	v[1] = LP_DB_VINT(r->desired_expires);
	v[2] = LP_DB_VINT(r->source_flag);
	v[3] = vstr(&r->etag);
	v[4] = vstr_or_null(&r->tuple_id);
	v[5] = vstr(&r->call_id);
	v[6] = vstr(&r->to_tag);
	v[7] = vstr(&r->from_tag);
	v[8] = LP_DB_VINT(r->cseq);
	v[9] = vstr(&r->record_route);
	v[10] = vstr(&r->contact);
	v[11] = vstr(&r->remote_contact);
	v[12] = LP_DB_VINT(r->version);
	v[13] = vstr(&r->extra_headers);
}

static int upsert(lp_db_t *db, const pua_rec_t *r)
{
	lp_db_val_t v[NCOLS];
	int rc;

	data_vals(r, v);
	key_vals(r, v + 14);
	rc = lp_db_exec(db, pua.sql[Q_UPDATE], v, 18, NULL, NULL);
	if(rc != 0)
		return rc < 0 ? -1 : 0;
	/* COLS order */
	key_vals(r, v);
	v[8] = v[3]; /* watcher_uri */
	v[3] = LP_DB_VINT(r->expires);
	v[4] = LP_DB_VINT(r->desired_expires);
	v[5] = LP_DB_VINT(r->source_flag);
	v[6] = vstr(&r->etag);
	v[7] = vstr_or_null(&r->tuple_id);
	v[9] = vstr(&r->call_id);
	v[10] = vstr(&r->to_tag);
	v[11] = vstr(&r->from_tag);
	v[12] = LP_DB_VINT(r->cseq);
	v[13] = vstr(&r->record_route);
	v[14] = vstr(&r->contact);
	v[15] = vstr(&r->remote_contact);
	v[16] = LP_DB_VINT(r->version);
	v[17] = vstr(&r->extra_headers);
	return lp_db_exec(db, pua.sql[Q_INSERT], v, NCOLS, NULL, NULL) < 0 ? -1 : 0;
}

int pua_db_write(const pua_rec_t *r)
{
	lp_db_t *db = pua_db();
	int rc, tx = pua.cfg.db_table_lock_write;

	if(!db)
		return -1;
	if(tx && lp_db_begin(db) < 0)
		return -1;
	rc = upsert(db, r);
	if(tx)
		rc = (rc == 0 ? lp_db_commit(db) : (lp_db_rollback(db), -1)) < 0 ? -1 : rc;
	if(rc < 0)
		LP_ERR("cannot write the pua row of %.*s", LP_STR_FMT(r->pres_uri));
	return rc;
}

int pua_db_delete(const pua_rec_t *r)
{
	lp_db_t *db = pua_db();
	lp_db_val_t v[4];

	if(!db)
		return -1;
	key_vals(r, v);
	if(lp_db_exec(db, pua.sql[Q_DELETE], v, 4, NULL, NULL) < 0) {
		LP_ERR("cannot delete the pua row of %.*s", LP_STR_FMT(r->pres_uri));
		return -1;
	}
	return 0;
}

void pua_db_changed(pua_rec_t *r)
{
	if(!pua.cfg.db_url)
		return;
	if(pua.cfg.db_mode == PUA_DB_ONLY) {
		if(pua_db_write(r) == 0)
			r->db_state = PUA_DB_CLEAN;
		return;
	}
	r->db_state = PUA_DB_DIRTY;
}

void pua_db_removed(pua_rec_t *r)
{
	if(pua.cfg.db_url)
		pua_db_delete(r);
}

/* ---- reading rows ---- */

static int set_col(lp_str_t *f, const lp_db_val_t *c)
{
	if(c->type != LP_DB_STR && c->type != LP_DB_BLOB)
		return pua_rec_set(f, NULL);
	return pua_rec_set(f, &c->v.s);
}

static long long int_col(const lp_db_val_t *c)
{
	return c->type == LP_DB_INT ? c->v.i : 0;
}

/* Fill r's state from a row in COLS order (pres_uri already set). */
static int rec_from_row(pua_rec_t *r, const lp_db_val_t *c)
{
	unsigned int t = pua.now();

	r->event = (int)int_col(&c[2]);
	r->expires = (unsigned int)int_col(&c[3]);
	r->desired_expires = (unsigned int)int_col(&c[4]);
	r->source_flag = (int)int_col(&c[5]);
	r->cseq = (unsigned int)int_col(&c[12]);
	r->version = (int)int_col(&c[16]);
	r->granted = r->expires > t ? r->expires - t : 0;
	if(set_col(&r->id, &c[1]) < 0 || set_col(&r->etag, &c[6]) < 0
			|| set_col(&r->tuple_id, &c[7]) < 0
			|| set_col(&r->watcher_uri, &c[8]) < 0
			|| set_col(&r->call_id, &c[9]) < 0
			|| set_col(&r->to_tag, &c[10]) < 0
			|| set_col(&r->from_tag, &c[11]) < 0
			|| set_col(&r->record_route, &c[13]) < 0
			|| set_col(&r->contact, &c[14]) < 0
			|| set_col(&r->remote_contact, &c[15]) < 0
			|| set_col(&r->extra_headers, &c[17]) < 0)
		return -1;
	if(r->to_tag.len > 0)
		r->subs_state = PUA_SUBS_ACTIVE;
	return 0;
}

static pua_rec_t *rec_of_row(const lp_db_val_t *c)
{
	pua_rec_t *r;
	int kind;

	if(c[0].type != LP_DB_STR || c[0].v.s.len <= 0)
		return NULL;
	kind = (c[9].type == LP_DB_STR && c[9].v.s.len > 0) ? PUA_SUBS : PUA_PUBL;
	r = pua_rec_new(kind, &c[0].v.s);
	if(!r)
		return NULL;
	if(rec_from_row(r, c) < 0) {
		pua_rec_free(r);
		return NULL;
	}
	return r;
}

typedef struct load_ctx {
	int rows, loaded, failed;
} load_ctx_t;

static int load_row(void *vctx, const lp_db_val_t *c, int n)
{
	load_ctx_t *ctx = vctx;
	pua_rec_t *r;
	unsigned int slot;

	ctx->rows++;
	if(n != NCOLS || !(r = rec_of_row(c))) {
		ctx->failed++;
		return 0;
	}
	slot = lp_htable_slot(pua.table, r->h.hash);
	lp_htable_lock(pua.table, slot);
	pua_rec_link(r);
	lp_htable_unlock(pua.table, slot);
	ctx->loaded++;
	return 0;
}

int pua_db_load(void)
{
	lp_db_t *db = pua_db();
	load_ctx_t ctx = {0};
	int page = pua.cfg.fetch_rows > 0 ? pua.cfg.fetch_rows : 500, off = 0, rc;

	if(!db)
		return -1;
	do { /* fetch_rows rows at a time */
		lp_db_val_t v[3] = {LP_DB_VINT(pua.now()), LP_DB_VINT(page),
				LP_DB_VINT(off)};
		ctx.rows = 0;
		rc = lp_db_exec(db, pua.sql[Q_LOAD], v, 3, load_row, &ctx);
		if(rc < 0) {
			LP_ERR("cannot load the %s table", pua.cfg.db_table);
			return -1;
		}
		off += page;
	} while(ctx.rows == page);
	if(ctx.failed)
		LP_WARN("%d unusable rows in %s skipped", ctx.failed, pua.cfg.db_table);
	return ctx.loaded;
}

typedef struct fetch_ctx {
	pua_rec_t *r;
} fetch_ctx_t;

static int fetch_row(void *vctx, const lp_db_val_t *c, int n)
{
	fetch_ctx_t *ctx = vctx;

	if(n == NCOLS && !ctx->r)
		ctx->r = rec_of_row(c);
	return 1;
}

static pua_rec_t *fetch_link(const char *sql, lp_db_val_t *v, int nv)
{
	lp_db_t *db = pua_db();
	fetch_ctx_t ctx = {NULL};

	if(!db || lp_db_exec(db, sql, v, nv, fetch_row, &ctx) < 0 || !ctx.r)
		return NULL;
	if(ctx.r->expires <= pua.now()) {
		pua_rec_free(ctx.r);
		return NULL;
	}
	pua_rec_link(ctx.r);
	return ctx.r;
}

pua_rec_t *pua_db_fetch(int kind, const lp_str_t *pres_uri, const lp_str_t *id,
		int event, const lp_str_t *watcher)
{
	lp_str_t e = {"", 0};
	lp_db_val_t v[4] = {LP_DB_VSTR(*pres_uri), vstr(id ? id : &e),
			LP_DB_VINT(event), vstr(watcher ? watcher : &e)};
	pua_rec_t *r = fetch_link(pua.sql[Q_FETCH], v, 4);

	if(r && r->kind != kind) {
		pua_rec_unlink(r);
		pua_rec_free(r);
		return NULL;
	}
	return r;
}

pua_rec_t *pua_db_fetch_dialog(const lp_str_t *pres_uri, const lp_str_t *call_id,
		const lp_str_t *from_tag)
{
	lp_db_val_t v[2] = {LP_DB_VSTR(*call_id), LP_DB_VSTR(*from_tag)};

	(void)pres_uri;
	return fetch_link(pua.sql[Q_DIALOG], v, 2);
}

typedef struct sync_ctx {
	pua_rec_t *r;
	int newer;
} sync_ctx_t;

static int sync_row(void *vctx, const lp_db_val_t *c, int n)
{
	sync_ctx_t *ctx = vctx;
	pua_rec_t *r = ctx->r;

	if(n != NCOLS)
		return 1;
	if((unsigned int)int_col(&c[3]) > r->expires
			|| (c[6].type == LP_DB_STR && !lp_str_eq(&c[6].v.s, &r->etag))) {
		ctx->newer = 1;
		rec_from_row(r, c);
	}
	return 1;
}

int pua_db_sync(pua_rec_t *r)
{
	lp_db_t *db = pua_db();
	lp_db_val_t v[4];
	sync_ctx_t ctx = {r, 0};

	if(!db)
		return 0;
	key_vals(r, v);
	if(lp_db_exec(db, pua.sql[Q_FETCH], v, 4, sync_row, &ctx) < 0)
		return 0;
	return ctx.newer;
}

/* ---- db_mode 0: periodic save ---- */

/* Written rows are marked SAVING; after the commit they become CLEAN,
 * after a rollback DIRTY again (a record changed meanwhile is DIRTY
 * already and stays so). */
static int save_bucket(lp_db_t *db, unsigned int slot)
{
	lp_hentry_t *e;
	int n = 0;

	lp_htable_lock(pua.table, slot);
	for(e = pua.table->buckets[slot].first; e; e = e->next) {
		pua_rec_t *r = (pua_rec_t *)e;
		if(r->db_state != PUA_DB_DIRTY)
			continue;
		if(upsert(db, r) < 0) {
			n = -1;
			break;
		}
		r->db_state = PUA_DB_SAVING;
		n++;
	}
	lp_htable_unlock(pua.table, slot);
	return n;
}

static void settle(int to)
{
	unsigned int slot;
	lp_hentry_t *e;

	for(slot = 0; slot < pua.table->size; slot++) {
		lp_htable_lock(pua.table, slot);
		for(e = pua.table->buckets[slot].first; e; e = e->next)
			if(((pua_rec_t *)e)->db_state == PUA_DB_SAVING)
				((pua_rec_t *)e)->db_state = to;
		lp_htable_unlock(pua.table, slot);
	}
}

int pua_db_save(void)
{
	lp_db_t *db = pua_db();
	unsigned int slot;
	int n = 0, k = 0;

	if(!db || !pua.table)
		return -1;
	if(lp_db_begin(db) < 0)
		return -1;
	for(slot = 0; slot < pua.table->size && k >= 0; slot++) {
		k = save_bucket(db, slot);
		n += k;
	}
	if(k < 0 || lp_db_commit(db) < 0) {
		if(k < 0)
			lp_db_rollback(db);
		settle(PUA_DB_DIRTY);
		LP_ERR("cannot save the pua records (kept for the next save)");
		return -1;
	}
	settle(PUA_DB_CLEAN);
	return n;
}

int pua_db_clean(void)
{
	lp_db_t *db = pua_db();
	lp_db_val_t v[1] = {LP_DB_VINT(pua.now())};

	if(!db)
		return -1;
	return lp_db_exec(db, pua.sql[Q_CLEAN], v, 1, NULL, NULL);
}
