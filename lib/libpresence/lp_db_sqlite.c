/* SQLite driver of the libpresence DB abstraction. A connection opens the
 * file in WAL mode with synchronous=NORMAL and a busy timeout, so that many
 * Kamailio workers (one connection each) can read while one writes. Each
 * connection caches its prepared statements keyed by the SQL text; values are
 * always bound, never spliced. Writers take the lock at BEGIN IMMEDIATE so
 * that two transactions never deadlock upgrading a read lock. All memory here
 * is process-private (malloc). Only lp_db_driver_sqlite is exported. */
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lp_db.h"
#include "lp_log.h"

#define SQ_BUSY_TIMEOUT_MS 5000
#define SQ_CACHE_MAX 128 /* beyond that, statements are not cached */
#define SQ_COLS_STACK 32 /* row buffer on the stack; larger rows malloc */

typedef struct sq_stmt
{
	char *sql; /* owned copy, the cache key */
	unsigned int hash;
	int busy; /* stepping now (a row callback may re-enter exec) */
	sqlite3_stmt *st;
} sq_stmt_t;

struct lp_db_conn
{
	sqlite3 *h;
	char *path;
	sq_stmt_t *cache;
	int ncache, cache_size;
};

static char sq_empty[1]; /* target of zero-length values */

static unsigned int sq_hash(const char *s)
{
	unsigned int h = 2166136261u;

	for(; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static int sq_err(int rc)
{
	switch(rc & 0xff) {
		case SQLITE_BUSY:
		case SQLITE_LOCKED:
			return LP_DB_EBUSY;
		case SQLITE_CONSTRAINT:
			return LP_DB_ECONSTRAINT;
		case SQLITE_TOOBIG:
		case SQLITE_MISMATCH:
			return LP_DB_EDATA;
		case SQLITE_NOMEM:
			return LP_DB_ENOMEM;
		case SQLITE_IOERR:
		case SQLITE_CANTOPEN:
		case SQLITE_NOTADB:
			return LP_DB_ECONN; /* reopening the file may help */
		default:
			return LP_DB_EGENERIC;
	}
}

static int sq_fail(lp_db_conn_t *c, int rc, const char *what, const char *sql)
{
	lp_db_log_fail(sq_err(rc), "db_sqlite: %s failed (%d): %s [%s]", what, rc,
			sqlite3_errmsg(c->h), sql);
	return sq_err(rc);
}

static void sq_close(lp_db_conn_t *c)
{
	int i;

	if(c == NULL)
		return;
	for(i = 0; i < c->ncache; i++) {
		sqlite3_finalize(c->cache[i].st);
		free(c->cache[i].sql);
	}
	free(c->cache);
	if(c->h && sqlite3_close(c->h) != SQLITE_OK)
		LP_ERR("db_sqlite: close %s: %s", c->path, sqlite3_errmsg(c->h));
	free(c->path);
	free(c);
}

static int sq_pragma(lp_db_conn_t *c, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(c->h, sql, NULL, NULL, &msg);

	if(rc != SQLITE_OK)
		LP_ERR("db_sqlite: %s on %s: %s", sql, c->path, msg ? msg : "?");
	sqlite3_free(msg);
	return rc == SQLITE_OK ? 0 : -1;
}

/* The file must exist (scripts/create-sqlite-db.sh makes it): a mistyped
 * path fails here instead of silently creating an empty database. */
static lp_db_conn_t *sq_open(const lp_db_url_t *url)
{
	lp_db_conn_t *c = calloc(1, sizeof(*c));
	int rc;

	if(c == NULL
			|| (c->path = strndup(url->database.s, url->database.len))
					   == NULL) {
		LP_ERR("db_sqlite: out of memory");
		free(c);
		return NULL;
	}
	rc = sqlite3_open_v2(
			c->path, &c->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if(rc != SQLITE_OK) {
		LP_ERR("db_sqlite: cannot open %s: %s", c->path,
				c->h ? sqlite3_errmsg(c->h) : sqlite3_errstr(rc));
		goto error;
	}
	sqlite3_extended_result_codes(c->h, 1);
	sqlite3_busy_timeout(c->h, SQ_BUSY_TIMEOUT_MS);
	if(sq_pragma(c, "PRAGMA journal_mode=WAL") < 0
			|| sq_pragma(c, "PRAGMA synchronous=NORMAL") < 0)
		goto error;
	return c;
error:
	sq_close(c);
	return NULL;
}

/* Row locks: SQLite has no SELECT ... FOR UPDATE; a transaction opened with
 * BEGIN IMMEDIATE (lp_db_begin) already holds the write lock, so the
 * clause is dropped. Callers write it for the server engines. */
#define SQ_FOR_UPDATE " FOR UPDATE"

static int sq_sql_len(const char *sql)
{
	size_t n = strlen(sql), k = sizeof(SQ_FOR_UPDATE) - 1;

	if(n > k && strcmp(sql + n - k, SQ_FOR_UPDATE) == 0)
		return (int)(n - k);
	return (int)n;
}

/* A statement from the cache (marked busy) or freshly prepared; *ent is the
 * cache entry or NULL when the caller must finalize the statement. */
static int sq_prepare(
		lp_db_conn_t *c, const char *sql, sqlite3_stmt **st, sq_stmt_t **ent)
{
	unsigned int h = sq_hash(sql);
	const char *tail = NULL;
	sq_stmt_t *e;
	int i, rc;

	*ent = NULL;
	for(i = 0; i < c->ncache; i++) {
		e = &c->cache[i];
		if(e->hash == h && !e->busy && strcmp(e->sql, sql) == 0) {
			e->busy = 1;
			*st = e->st;
			*ent = e;
			return 0;
		}
	}
	rc = sqlite3_prepare_v2(c->h, sql, sq_sql_len(sql), st, &tail);
	if(rc != SQLITE_OK)
		return sq_fail(c, rc, "prepare", sql);
	if(*st == NULL
			|| (tail[strspn(tail, " \t\r\n;")] != '\0'
					&& strcmp(tail, SQ_FOR_UPDATE) != 0)) {
		LP_ERR("db_sqlite: not exactly one statement [%s]", sql);
		sqlite3_finalize(*st);
		return LP_DB_EGENERIC;
	}
	if(c->ncache == SQ_CACHE_MAX)
		return 0;
	if(c->ncache == c->cache_size) {
		int n = c->cache_size ? c->cache_size * 2 : 16;
		e = realloc(c->cache, n * sizeof(*e));
		if(e == NULL)
			return 0; /* run uncached */
		c->cache = e;
		c->cache_size = n;
	}
	e = &c->cache[c->ncache];
	if((e->sql = strdup(sql)) == NULL)
		return 0;
	e->hash = h;
	e->busy = 1;
	e->st = *st;
	c->ncache++;
	*ent = e;
	return 0;
}

static int sq_bind(
		lp_db_conn_t *c, sqlite3_stmt *st, const lp_db_val_t *p, int n)
{
	int i, rc = SQLITE_OK;

	if(n != sqlite3_bind_parameter_count(st)) {
		LP_ERR("db_sqlite: %d values for %d parameters [%s]", n,
				sqlite3_bind_parameter_count(st), sqlite3_sql(st));
		return LP_DB_EGENERIC;
	}
	/* SQLITE_STATIC: the values outlive the statement's run, and the
	 * bindings are cleared before exec returns. */
	for(i = 0; i < n && rc == SQLITE_OK; i++) {
		const char *s = p[i].v.s.s ? p[i].v.s.s : sq_empty;
		switch(p[i].type) {
			case LP_DB_INT:
				rc = sqlite3_bind_int64(st, i + 1, p[i].v.i);
				break;
			case LP_DB_STR:
				rc = sqlite3_bind_text(
						st, i + 1, s, p[i].v.s.len, SQLITE_STATIC);
				break;
			case LP_DB_BLOB:
				rc = sqlite3_bind_blob(
						st, i + 1, s, p[i].v.s.len, SQLITE_STATIC);
				break;
			default:
				rc = sqlite3_bind_null(st, i + 1);
				break;
		}
	}
	return rc == SQLITE_OK ? 0 : sq_fail(c, rc, "bind", sqlite3_sql(st));
}

static void sq_column(sqlite3_stmt *st, int i, lp_db_val_t *v)
{
	const void *p;

	switch(sqlite3_column_type(st, i)) {
		case SQLITE_NULL:
			*v = LP_DB_VNULL;
			return;
		case SQLITE_INTEGER:
			*v = LP_DB_VINT(sqlite3_column_int64(st, i));
			return;
		case SQLITE_BLOB:
			v->type = LP_DB_BLOB;
			p = sqlite3_column_blob(st, i);
			break;
		default: /* TEXT, and FLOAT as its text form */
			v->type = LP_DB_STR;
			p = sqlite3_column_text(st, i);
			break;
	}
	v->v.s.len = sqlite3_column_bytes(st, i);
	v->v.s.s = p ? (char *)p : sq_empty;
}

/* Step to the end (or until cb stops); rows read, or a negative error. */
static int sq_rows(
		lp_db_conn_t *c, sqlite3_stmt *st, lp_db_row_cb cb, void *ctx)
{
	lp_db_val_t stack[SQ_COLS_STACK], *cols = stack;
	int ncols = sqlite3_column_count(st), rows = 0, rc, i;

	if(cb && ncols > SQ_COLS_STACK
			&& (cols = malloc(ncols * sizeof(*cols))) == NULL)
		return LP_DB_ENOMEM;
	while((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if(rows < INT_MAX)
			rows++;
		if(cb == NULL)
			continue;
		for(i = 0; i < ncols; i++)
			sq_column(st, i, &cols[i]);
		if(cb(ctx, cols, ncols) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if(cols != stack)
		free(cols);
	if(rc != SQLITE_DONE)
		return sq_fail(c, rc, "step", sqlite3_sql(st));
	return rows;
}

static int sq_exec(lp_db_conn_t *c, const char *sql, const lp_db_val_t *params,
		int nparams, lp_db_row_cb cb, void *ctx)
{
	int before = sqlite3_total_changes(c->h), rc;
	sqlite3_stmt *st;
	sq_stmt_t *ent;

	rc = sq_prepare(c, sql, &st, &ent);
	if(rc < 0)
		return rc;
	rc = sq_bind(c, st, params, nparams);
	if(rc == 0)
		rc = sq_rows(c, st, cb, ctx);
	/* DDL and BEGIN leave sqlite3_changes() at the last DML's count */
	if(rc >= 0 && sqlite3_column_count(st) == 0)
		rc = sqlite3_total_changes(c->h) != before ? sqlite3_changes(c->h) : 0;
	if(ent) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		ent->busy = 0;
	} else {
		sqlite3_finalize(st);
	}
	return rc;
}

static int sq_begin(lp_db_conn_t *c)
{
	int rc = sq_exec(c, "BEGIN IMMEDIATE", NULL, 0, NULL, NULL);
	return rc < 0 ? rc : 0;
}

static int sq_commit(lp_db_conn_t *c)
{
	int rc = sq_exec(c, "COMMIT", NULL, 0, NULL, NULL);
	return rc < 0 ? rc : 0;
}

static int sq_rollback(lp_db_conn_t *c)
{
	int rc = sq_exec(c, "ROLLBACK", NULL, 0, NULL, NULL);
	return rc < 0 ? rc : 0;
}

static int sq_savepoint(lp_db_conn_t *c, lp_db_sp_op_t op, const char *name)
{
	static const char *const fmt[] = {
			"SAVEPOINT %s", "RELEASE SAVEPOINT %s", "ROLLBACK TO SAVEPOINT %s"};
	char sql[96];
	int rc;

	snprintf(sql, sizeof(sql), fmt[op], name);
	rc = sq_exec(c, sql, NULL, 0, NULL, NULL);
	return rc < 0 ? rc : 0;
}

const lp_db_driver_t lp_db_driver_sqlite = {
		.name = "sqlite",
		.scheme = "sqlite",
		.version = LP_DB_DRIVER_VERSION,
		.caps = LP_DB_CAP_UPSERT, /* ON CONFLICT DO UPDATE since 3.24 */
		.open = sq_open,
		.close = sq_close,
		.exec = sq_exec,
		.begin = sq_begin,
		.commit = sq_commit,
		.rollback = sq_rollback,
		.savepoint = sq_savepoint,
};
