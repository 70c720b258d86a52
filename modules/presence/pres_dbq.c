/* The DB write queue and its writer (see pres_dbq.h): building
 * the queued copies, pushing them, and writing them in batched
 * transactions with the row isolation of pres_subs_flush.c (a first pass
 * over the whole batch; after a refusal a second one with a savepoint
 * around each change). */
#include <string.h>

#include "lp_log.h"
#include "pres_dbq.h"
#include "pres_sql.h"

#define SP_NAME "pres_dbq"

enum op_kind { OP_STORE = 1, OP_REMOVE, OP_SQL };
#define OP_MAX_VALS 8
enum op_state { OPS_TODO = 0, OPS_DONE, OPS_REFUSED };

struct pres_dbq_op {
	lp_wq_item_t q; /* first: the queue links this */
	int kind;		/* OP_* */
	int state;		/* OPS_*, the writer's (process memory would do,
					   but the op is only read by the one writer) */
	int has_old;
	int dead;		   /* OP_STORE whose row a later change of its batch
						  overwrites or deletes: only its DELETE runs */
	lp_str_t old_etag; /* OP_STORE with has_old: the row it replaces */
	union {
		pres_pub_t pub; /* OP_STORE; OP_REMOVE: only the key fields */
		struct {
			const char *sql; /* a pres_sql statement */
			int nvals;
			lp_db_val_t vals[OP_MAX_VALS]; /* strings in the block */
		} st;				 /* OP_SQL */
	};
};

int pres_dbq_pubs(void)
{
	return pres.dbq && pres.cfg.publ_cache;
}

int pres_dbq_subs(void)
{
	return pres.dbq
		   && (pres.cfg.subs_db_mode == PRES_SUBS_DB_THROUGH
				   || pres.cfg.subs_db_mode == PRES_SUBS_DB_BACK);
}

int pres_dbq_init(void)
{
	unsigned int cap;

	if(!pres.cfg.db_url || pres.cfg.db_write_interval <= 0
			|| (!pres.cfg.publ_cache
					&& pres.cfg.subs_db_mode != PRES_SUBS_DB_THROUGH
					&& pres.cfg.subs_db_mode != PRES_SUBS_DB_BACK))
		return 0;
	if(pres.cfg.db_queue_size < 1) {
		LP_ERR("db_queue_size must be >= 1");
		return -1;
	}
	cap = (unsigned int)pres.cfg.db_queue_size;
	pres.dbq = lp_wq_new_ring(cap, cap < PRES_DBQ_RING / PRES_DBQ_RING_PER
											  ? cap * PRES_DBQ_RING_PER
											  : PRES_DBQ_RING);
	if(!pres.dbq) {
		LP_ERR("out of shared memory for the DB write queue");
		return -1;
	}
	return 0;
}

static void free_item(lp_wq_item_t *it)
{
	lp_free(it);
}

void pres_dbq_destroy(void)
{
	lp_wq_destroy(pres.dbq, free_item);
	pres.dbq = NULL;
}

/* What one queued change copies: a store of p (replacing old_etag when
 * not NULL), a removal of k, or a statement. */
struct op_src {
	int kind;
	const pres_pub_t *p;
	const pres_pub_key_t *k;
	const lp_str_t *old_etag;
	const char *sql;
	const lp_db_val_t *v;
	int n;
};

static int is_text(const lp_db_val_t *v)
{
	return v->type == LP_DB_STR || v->type == LP_DB_BLOB;
}

static size_t op_size(const struct op_src *a)
{
	size_t size = sizeof(pres_dbq_op_t);
	int i;

	if(a->kind == OP_SQL) {
		for(i = 0; i < a->n; i++)
			if(is_text(&a->v[i]))
				size += a->v[i].v.s.len + 1;
		return size;
	}
	size += 7; /* the seven strings' NULs */
	if(a->p)
		size += a->p->user.len + a->p->domain.len + a->p->event.len
				+ a->p->etag.len + a->p->sender.len + a->p->body.len;
	else
		size += a->k->user->len + a->k->domain->len + a->k->event->len
				+ a->k->etag->len;
	if(a->old_etag)
		size += a->old_etag->len;
	return size;
}

/* lp_wq_fill_f: the op and its strings, in one block zeroed but for the
 * queue's link (op->q, left alone). */
static void op_fill(lp_wq_item_t *it, void *arg)
{
	pres_dbq_op_t *op = (pres_dbq_op_t *)(void *)it; /* q is the first */
	const struct op_src *a = arg;
	const pres_pub_t *p = a->p;
	char *w = (char *)(op + 1);
	int i;

	op->kind = a->kind;
	if(a->kind == OP_SQL) {
		op->st.sql = a->sql;
		op->st.nvals = a->n;
		for(i = 0; i < a->n; i++) {
			op->st.vals[i] = a->v[i];
			if(is_text(&a->v[i]))
				lp_str_put(&op->st.vals[i].v.s, &w, &a->v[i].v.s);
		}
		return;
	}
	lp_str_put(&op->pub.user, &w, p ? &p->user : a->k->user);
	lp_str_put(&op->pub.domain, &w, p ? &p->domain : a->k->domain);
	lp_str_put(&op->pub.event, &w, p ? &p->event : a->k->event);
	lp_str_put(&op->pub.etag, &w, p ? &p->etag : a->k->etag);
	lp_str_put(&op->pub.sender, &w, p ? &p->sender : NULL);
	lp_str_put(&op->pub.body, &w, p ? &p->body : NULL);
	lp_str_put(&op->old_etag, &w, a->old_etag);
	op->has_old = a->old_etag != NULL;
	if(p) {
		op->pub.expires = p->expires;
		op->pub.received = p->received;
		op->pub.priority = p->priority;
	}
}

static int push(const struct op_src *a)
{
	int rc = lp_wq_push_new(pres.dbq, op_size(a), op_fill, (void *)a);

	if(rc == -2)
		return -1;
	if(rc == 0)
		return 0;
	LP_LOG_LIMITED(LP_L_WARN,
			"DB write queue full (db_queue_size %d changes wait for the"
			" database): request answered 503",
			pres.cfg.db_queue_size);
	return PRES_DBQ_FULL;
}

int pres_dbq_store(const pres_pub_t *p, const lp_str_t *old_etag)
{
	struct op_src a = {.kind = OP_STORE, .p = p, .old_etag = old_etag};

	return push(&a);
}

int pres_dbq_remove(const pres_pub_key_t *k)
{
	struct op_src a = {.kind = OP_REMOVE, .k = k};

	return push(&a);
}

int pres_dbq_exec(const char *sql, const lp_db_val_t *v, int n)
{
	struct op_src a = {.kind = OP_SQL, .sql = sql, .v = v, .n = n};

	if(n > OP_MAX_VALS)
		return -1;
	return push(&a);
}

unsigned int pres_dbq_len(void)
{
	return pres.dbq ? lp_wq_len(pres.dbq) : 0;
}

static int delete_row(lp_db_t *db, const pres_pub_t *p, const lp_str_t *etag)
{
	lp_db_val_t v[4] = {LP_DB_VSTR(p->user), LP_DB_VSTR(p->domain),
			LP_DB_VSTR(p->event), LP_DB_VSTR(*etag)};
	int rc = lp_db_exec(db, pres_sql.pub_delete, v, 4, NULL, NULL);

	return rc < 0 ? rc : 0;
}

/* One change, as blind writes to the rows of its ETags: a removal deletes
 * the row; a store deletes the row of the ETag it replaces and updates the
 * row of its own ETag, or inserts it. Written again (a batch committed by
 * a writer killed before it dropped the batch, then drained again), any
 * run of changes in queue order ends in the same rows. */
static int apply(lp_db_t *db, pres_dbq_op_t *op)
{
	pres_pub_t *p = &op->pub;
	int rc;

	if(op->kind == OP_SQL) {
		rc = lp_db_exec(db, op->st.sql, op->st.vals, op->st.nvals, NULL, NULL);
		return rc < 0 ? rc : 0;
	}
	if(op->kind == OP_REMOVE)
		return delete_row(db, p, &p->etag);
	if(op->has_old && !lp_str_eq(&op->old_etag, &p->etag)
			&& (rc = delete_row(db, p, &op->old_etag)) < 0)
		return rc;
	if(op->dead)
		return 0;
	rc = pres_pub_db_write(db, p, &p->etag);
	if(rc == 0)
		rc = pres_pub_db_write(db, p, NULL);
	return rc < 0 ? rc : 0;
}

static int same_pub(const pres_pub_t *a, const pres_pub_t *b)
{
	return lp_str_eq(&a->user, &b->user) && lp_str_eq(&a->domain, &b->domain)
		   && lp_str_eq(&a->event, &b->event);
}

/* Does b, queued after a store of the row etag, decide that row by itself
 * (writes it, or deletes it)? */
static int decides(const pres_dbq_op_t *b, const lp_str_t *etag)
{
	if(b->kind == OP_REMOVE)
		return lp_str_eq(&b->pub.etag, etag);
	return b->kind == OP_STORE
		   && (lp_str_eq(&b->pub.etag, etag)
				   || (b->has_old && lp_str_eq(&b->old_etag, etag)));
}

/* Coalescing: a store whose row a later change of the same batch writes
 * again or deletes (a publication modified, refreshed or removed within
 * one db_write_interval: dialog states, flapping status) is not written;
 * only its DELETE of the row it replaced runs, in its place. The batch
 * ends in the rows the changes one by one give, and stays idempotent (a
 * batch written twice marks the same stores). */
static void mark_dead(pres_dbq_op_t **ops, int n)
{
	int i, j;

	for(i = 0; i < n; i++) {
		ops[i]->dead = 0;
		if(ops[i]->kind != OP_STORE)
			continue;
		for(j = i + 1; j < n && !ops[i]->dead; j++)
			ops[i]->dead = ops[j]->kind != OP_SQL
						   && decides(ops[j], &ops[i]->pub.etag)
						   && same_pub(&ops[j]->pub, &ops[i]->pub);
	}
}

/* First pass: 0 committed, 1 a change refused (rolled back), <0 failed. */
static int write_plain(lp_db_t *db, pres_dbq_op_t **ops, int n)
{
	int i, rc;

	if((rc = lp_db_begin(db)) < 0)
		return rc;
	for(i = 0; i < n && rc >= 0; i++)
		rc = apply(db, ops[i]);
	if(rc >= 0 && (rc = lp_db_commit(db)) >= 0)
		return 0;
	lp_db_rollback(db);
	return LP_DB_REFUSED(rc) ? 1 : rc;
}

static int write_isolated(lp_db_t *db, pres_dbq_op_t *op)
{
	int rc;

	if((rc = lp_db_savepoint(db, LP_DB_SP_SET, SP_NAME)) < 0)
		return rc;
	rc = apply(db, op);
	op->state = OPS_DONE;
	if(LP_DB_REFUSED(rc)) {
		op->state = OPS_REFUSED;
		rc = lp_db_savepoint(db, LP_DB_SP_ROLLBACK_TO, SP_NAME);
	}
	if(rc < 0)
		return rc;
	return lp_db_savepoint(db, LP_DB_SP_RELEASE, SP_NAME);
}

static void refused(const pres_dbq_op_t *op)
{
	if(op->kind == OP_SQL)
		lp_db_log_fail(LP_DB_EDATA,
				"queued statement refused by the database: %.60s",
				op->st.sql);
	else
		lp_db_log_fail(LP_DB_EDATA,
				"publication %.*s of %.*s@%.*s refused by the database:"
				" kept in memory only",
				LP_STR_FMT(op->pub.etag), LP_STR_FMT(op->pub.user),
				LP_STR_FMT(op->pub.domain));
}

/* Second pass: a savepoint around each change; refused ones are logged. */
static int write_careful(lp_db_t *db, pres_dbq_op_t **ops, int n)
{
	int i, rc;

	if((rc = lp_db_begin(db)) < 0)
		return rc;
	for(i = 0; i < n && rc >= 0; i++)
		rc = write_isolated(db, ops[i]);
	if(rc >= 0 && (rc = lp_db_commit(db)) >= 0) {
		for(i = 0; i < n; i++)
			if(ops[i]->state == OPS_REFUSED)
				refused(ops[i]);
		return 0;
	}
	lp_db_rollback(db);
	return rc;
}

int pres_dbq_write(lp_db_t *db)
{
	lp_wq_item_t *items[PRES_DBQ_BATCH];
	pres_dbq_op_t *ops[PRES_DBQ_BATCH];
	int i, n, rc;

	if(!pres.dbq || !db)
		return pres.dbq ? LP_DB_ECONN : 0;
	n = lp_wq_peek(pres.dbq, items, PRES_DBQ_BATCH);
	if(n == 0)
		return 0;
	for(i = 0; i < n; i++) /* q is the op's first member */
		ops[i] = (pres_dbq_op_t *)(void *)items[i];
	mark_dead(ops, n);
	rc = write_plain(db, ops, n);
	if(rc == 1)
		rc = write_careful(db, ops, n);
	if(rc < 0)
		return rc;
	lp_wq_drop(pres.dbq, n, free_item);
	return n;
}

int pres_dbq_drain(lp_db_t *db)
{
	int n, total = 0;

	while((n = pres_dbq_write(db)) > 0)
		total += n;
	return n < 0 ? n : total;
}
