/* Storage of pua in Kamailio's `pua` table (version 7). db_mode 0 keeps
 * the records in memory, writes changed ones every update_period and at
 * shutdown, deletes a removed one at once, and loads the table at start.
 * db_mode 2 writes every change at once and looks a record up in the DB
 * when this instance does not hold it, so several instances can share the
 * table. A row is identified by (pres_uri, pres_id, event, watcher_uri);
 * publications have an empty watcher_uri. The body of a publication has no
 * column: a publication loaded from the DB can be refreshed, modified and
 * removed, but a 412 to it cannot be recovered from.
 *
 * No DB call is ever made with a bucket lock held (a lock-order inversion
 * with SQLite's write lock stalled a process for its busy timeout): changes
 * made under a bucket lock queue the key of their row here, and
 * pua_db_flush, run when the process releases its last bucket lock, writes
 * a private copy of the record taken under the DB lock of the key. */
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

enum { Q_LOAD, Q_UPDATE, Q_INSERT, Q_DELETE, Q_FETCH, Q_CLEAN, Q_DIALOG, Q_CLAIM,
	Q_N };

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
	pua.sql[Q_CLAIM] = fmt("UPDATE %s SET cseq=? WHERE " KEY " AND cseq=?", t);
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

/* ---- the DB locks and the queue of rows to write ---- */

int pua_db_locks_new(int power)
{
	unsigned int i, n;

	pua_db_locks_free();
	if(power < 1)
		power = 1;
	if(power > LP_HTABLE_MAX_POWER)
		power = LP_HTABLE_MAX_POWER;
	n = 1u << power;
	pua.db_locks = lp_zalloc(n * sizeof(void *));
	if(!pua.db_locks)
		return -1;
	pua.n_db_locks = n;
	for(i = 0; i < n; i++)
		if(!(pua.db_locks[i] = lp_lock_new())) {
			pua_db_locks_free();
			return -1;
		}
	return 0;
}

void pua_db_locks_free(void)
{
	unsigned int i;

	for(i = 0; pua.db_locks && i < pua.n_db_locks; i++)
		if(pua.db_locks[i])
			lp_lock_free(pua.db_locks[i]);
	lp_free(pua.db_locks);
	pua.db_locks = NULL;
	pua.n_db_locks = 0;
}

static void *db_lock_of(unsigned int hash)
{
	if(!pua.db_locks || pua.alone)
		return NULL;
	return pua.db_locks[hash & (pua.n_db_locks - 1)];
}

/* The key of a row to write or delete (one malloc block, private to the
 * process). */
typedef struct dbop {
	struct dbop *next;
	int remove;
	int kind, event;
	unsigned int hash;
	lp_str_t pres_uri, id, watcher;
} dbop_t;

typedef struct dbq {
	dbop_t *head, **tail;
} dbq_t;

static dbq_t pending = {NULL, &pending.head};
/* deletions the DB refused (down, locked): tried again, first, at the
 * process's next flush (pua_unlock, the timer's save); at most RETRY_MAX,
 * beyond that the row stays until the clean timer finds it expired */
static dbq_t retry = {NULL, &retry.head};
static int n_retry;
#define RETRY_MAX 1024
static int held; /* bucket locks this process holds */
static int flushing;

static void op_put(lp_str_t *dst, char **w, const lp_str_t *src)
{
	dst->s = *w;
	dst->len = src->s ? src->len : 0;
	if(dst->len)
		memcpy(*w, src->s, dst->len);
	(*w)[dst->len] = '\0';
	*w += dst->len + 1;
}

/* Queue r's key (lock held); an identical entry already pending is
 * enough. On allocation failure the row is left as it is (logged). */
static void op_queue(dbq_t *q, const pua_rec_t *r, int remove)
{
	dbop_t *o;
	char *w;

	for(o = q == &pending ? q->head : NULL; o; o = o->next)
		if(o->remove == remove && o->kind == r->kind && o->event == r->event
				&& lp_str_eq(&o->pres_uri, &r->pres_uri)
				&& lp_str_eq(&o->id, &r->id)
				&& lp_str_eq(&o->watcher, &r->watcher_uri))
			return;
	o = malloc(sizeof(*o) + r->pres_uri.len + r->id.len + r->watcher_uri.len + 3);
	if(!o) {
		LP_ERR("out of memory: the pua row of %.*s is not written",
				LP_STR_FMT(r->pres_uri));
		return;
	}
	o->next = NULL;
	o->remove = remove;
	o->kind = r->kind;
	o->event = r->event;
	o->hash = r->h.hash;
	w = (char *)(o + 1);
	op_put(&o->pres_uri, &w, &r->pres_uri);
	op_put(&o->id, &w, &r->id);
	op_put(&o->watcher, &w, &r->watcher_uri);
	*q->tail = o;
	q->tail = &o->next;
}

static dbop_t *op_pop(dbq_t *q)
{
	dbop_t *o = q->head;

	if(o && !(q->head = o->next))
		q->tail = &q->head;
	return o;
}

void pua_db_changed(pua_rec_t *r)
{
	if(!pua.cfg.db_url)
		return;
	r->db_state = PUA_DB_DIRTY;
	if(pua.cfg.db_mode == PUA_DB_ONLY)
		op_queue(&pending, r, 0);
}

void pua_db_removed(pua_rec_t *r)
{
	if(pua.cfg.db_url)
		op_queue(&pending, r, 1);
}

static pua_rec_t *find_key(const dbop_t *o)
{
	if(o->kind == PUA_PUBL)
		return pua_find_publ(&o->pres_uri, &o->id, o->event);
	return pua_find_subs(&o->pres_uri, &o->watcher, &o->id, o->event);
}

/* Bring the row of o's key in line with memory, under the DB lock of the
 * key: a dirty record is copied (bucket lock held only for the copy) and
 * written; a key no record holds any more is deleted when o asks for it.
 * Returns 1 when a row was written, 0 when nothing was to do, -1 when the
 * DB refused (the record stays dirty). */
static int sync_key(const dbop_t *o)
{
	unsigned int slot = lp_htable_slot(pua.table, o->hash);
	void *dl = db_lock_of(o->hash);
	pua_rec_t *r, *snap = NULL;
	int rc = 0;

	if(dl)
		lp_lock_get(dl);
	lp_htable_lock(pua.table, slot);
	r = find_key(o);
	if(r && r->db_state == PUA_DB_DIRTY && (snap = pua_rec_snapshot(r)))
		r->db_state = PUA_DB_SAVING;
	lp_htable_unlock(pua.table, slot);
	if(snap)
		rc = pua_db_write(snap) == 0 ? 1 : -1;
	else if(!r && o->remove) {
		pua_rec_t k = {.pres_uri = o->pres_uri, .id = o->id,
				.watcher_uri = o->watcher, .event = o->event};
		rc = pua_db_delete(&k) == 0 ? 0 : -1;
	}
	if(snap) { /* a change made meanwhile left it DIRTY: written next */
		lp_htable_lock(pua.table, slot);
		r = pua_find_serial(&snap->pres_uri, snap->serial);
		if(r && r->db_state == PUA_DB_SAVING)
			r->db_state = rc > 0 ? PUA_DB_CLEAN : PUA_DB_DIRTY;
		lp_htable_unlock(pua.table, slot);
		free(snap);
	}
	if(dl)
		lp_lock_release(dl);
	return rc;
}

/* One line per `what` and second at most, with how many were folded. */
static void log_refused(const char *what, const lp_str_t *uri, int n)
{
	static unsigned int last;
	static int folded;
	unsigned int t = pua.now ? pua.now() : 0;

	if(t == last && last != 0) {
		folded += n;
		return;
	}
	last = t;
	LP_ERR("the DB refused %d pua row(s) (%s; e.g. %.*s; %d more not logged"
		   " before): kept for a retry",
			n, what, LP_STR_FMT(*uri), folded);
	folded = 0;
}

/* The failed deletions, tried again in order until one fails (the DB is
 * still down: the others wait for the next flush rather than each cost a
 * failed statement on the request path). */
static void retry_deletes(void)
{
	dbop_t *o;

	while((o = op_pop(&retry)) != NULL) {
		if(pua.table && sync_key(o) < 0) {
			o->next = retry.head; /* back in front, order kept */
			retry.head = o;
			if(!o->next)
				retry.tail = &o->next;
			return;
		}
		n_retry--;
		free(o);
	}
}

void pua_db_flush(void)
{
	dbop_t *o;

	if(flushing || held > 0)
		return;
	flushing = 1;
	retry_deletes();
	while((o = op_pop(&pending)) != NULL) {
		if(pua.table && sync_key(o) < 0) {
			log_refused(o->remove ? "delete" : "write", &o->pres_uri, 1);
			if(o->remove && n_retry < RETRY_MAX) {
				o->next = NULL;
				*retry.tail = o;
				retry.tail = &o->next;
				n_retry++;
				continue;
			}
		}
		free(o);
	}
	flushing = 0;
}

void pua_lock(unsigned int slot)
{
	lp_htable_lock(pua.table, slot);
	held++;
}

void pua_unlock(unsigned int slot)
{
	lp_htable_unlock(pua.table, slot);
	if(--held == 0)
		pua_db_flush();
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
	lp_hentry_t *recs; /* read, linked into the table after the query */
} load_ctx_t;

static int load_row(void *vctx, const lp_db_val_t *c, int n)
{
	load_ctx_t *ctx = vctx;
	pua_rec_t *r;

	ctx->rows++;
	if(n != NCOLS || !(r = rec_of_row(c))) {
		ctx->failed++;
		return 0;
	}
	r->h.next = ctx->recs;
	ctx->recs = &r->h;
	return 0;
}

/* No bucket lock is taken while a query runs. */
static void link_loaded(load_ctx_t *ctx)
{
	lp_hentry_t *e;
	unsigned int slot;

	while((e = ctx->recs) != NULL) {
		ctx->recs = e->next;
		slot = lp_htable_slot(pua.table, e->hash);
		lp_htable_lock(pua.table, slot);
		pua_rec_link((pua_rec_t *)e);
		lp_htable_unlock(pua.table, slot);
		ctx->loaded++;
	}
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
		link_loaded(&ctx);
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

/* The first row of sql as an unlinked record, NULL when none or expired. */
static pua_rec_t *read_one(const char *sql, lp_db_val_t *v, int nv)
{
	lp_db_t *db = pua_db();
	fetch_ctx_t ctx = {NULL};

	if(!db || lp_db_exec(db, sql, v, nv, fetch_row, &ctx) < 0 || !ctx.r)
		return NULL;
	if(ctx.r->expires <= pua.now()) {
		pua_rec_free(ctx.r);
		return NULL;
	}
	return ctx.r;
}

pua_rec_t *pua_db_read(int kind, const lp_str_t *pres_uri, const lp_str_t *id,
		int event, const lp_str_t *watcher)
{
	lp_str_t e = {"", 0};
	lp_db_val_t v[4] = {LP_DB_VSTR(*pres_uri), vstr(id ? id : &e),
			LP_DB_VINT(event), vstr(watcher ? watcher : &e)};
	pua_rec_t *r = read_one(pua.sql[Q_FETCH], v, 4);

	if(r && r->kind != kind) {
		pua_rec_free(r);
		return NULL;
	}
	/* a case-insensitive collation may hand back another spelling: the
	   record is kept under the name it was asked for (its bucket) */
	if(r && !lp_str_eq(&r->pres_uri, pres_uri)) {
		if(pua_rec_set(&r->pres_uri, pres_uri) < 0) {
			pua_rec_free(r);
			return NULL;
		}
		r->h.hash = pua_hash(&r->pres_uri);
	}
	return r;
}

pua_rec_t *pua_db_read_dialog(const lp_str_t *call_id, const lp_str_t *from_tag)
{
	lp_db_val_t v[2] = {LP_DB_VSTR(*call_id), LP_DB_VSTR(*from_tag)};

	return read_one(pua.sql[Q_DIALOG], v, 2);
}

/* The DB columns of row copied into r (both records; lock of r held). */
static int adopt_cols(pua_rec_t *r, const pua_rec_t *row)
{
	r->expires = row->expires;
	r->desired_expires = row->desired_expires;
	r->source_flag = row->source_flag;
	r->cseq = row->cseq;
	r->version = row->version;
	r->granted = row->granted;
	if(pua_rec_set(&r->etag, &row->etag) < 0
			|| pua_rec_set(&r->tuple_id, &row->tuple_id) < 0
			|| pua_rec_set(&r->to_tag, &row->to_tag) < 0
			|| pua_rec_set(&r->record_route, &row->record_route) < 0
			|| pua_rec_set(&r->remote_contact, &row->remote_contact) < 0
			|| pua_rec_set(&r->extra_headers, &row->extra_headers) < 0)
		return -1;
	if(r->to_tag.len > 0 && r->subs_state == 0)
		r->subs_state = PUA_SUBS_ACTIVE;
	return 0;
}

int pua_rec_adopt(pua_rec_t *r, const pua_rec_t *row)
{
	if(!row)
		return 0;
	if(row->expires <= r->expires && lp_str_eq(&row->etag, &r->etag)
			&& row->cseq <= r->cseq)
		return 0;
	if(adopt_cols(r, row) < 0)
		LP_ERR("out of memory taking the pua row of %.*s",
				LP_STR_FMT(r->pres_uri));
	return 1;
}

int pua_db_claim(const pua_rec_t *r, unsigned int seen, unsigned int cseq)
{
	lp_db_t *db = pua_db();
	lp_db_val_t v[6];
	int rc;

	if(!db)
		return -1;
	v[0] = LP_DB_VINT(cseq);
	key_vals(r, v + 1);
	v[5] = LP_DB_VINT(seen);
	rc = lp_db_exec(db, pua.sql[Q_CLAIM], v, 6, NULL, NULL);
	return rc < 0 ? -1 : rc > 0;
}

/* ---- db_mode 0: periodic save ---- */

/* The keys of the dirty records of one bucket, queued on q. */
static void collect_dirty(unsigned int slot, dbq_t *q)
{
	lp_hentry_t *e;

	lp_htable_lock(pua.table, slot);
	for(e = pua.table->buckets[slot].first; e; e = e->next)
		if(((pua_rec_t *)e)->db_state == PUA_DB_DIRTY)
			op_queue(q, (pua_rec_t *)e, 0);
	lp_htable_unlock(pua.table, slot);
}

int pua_db_save(void)
{
	dbq_t q = {NULL, &q.head};
	dbop_t *o;
	unsigned int slot;
	int n = 0, failed = 0, rc;
	lp_str_t first = LP_STR_NULL;

	if(!pua_db() || !pua.table)
		return -1;
	pua_db_flush();
	for(slot = 0; slot < pua.table->size; slot++)
		collect_dirty(slot, &q);
	while((o = op_pop(&q)) != NULL) {
		rc = sync_key(o); /* each row on its own: one refused row */
		n += rc > 0;	  /* never holds the others back */
		if(rc < 0 && failed++ == 0 && lp_str_dup(&first, &o->pres_uri) < 0)
			first = LP_STR_NULL;
		free(o);
	}
	if(failed) {
		lp_str_t none = {"?", 1};
		log_refused("save", first.s ? &first : &none, failed);
	}
	lp_free(first.s);
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
