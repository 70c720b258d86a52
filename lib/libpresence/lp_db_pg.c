/* PostgreSQL driver of the libpresence DB abstraction, on libpq. Callers'
 * `?` placeholders become $1..$n once, when a statement is first prepared on
 * a connection; the prepared statement (named per connection) and the types
 * the server inferred for its parameters are cached, keyed by the SQL text.
 * Values are always bound: integers as decimal text, strings and blobs in
 * binary format when the parameter is text-like or bytea (the bytes go as
 * they are, so a bytea body round-trips byte-exact with no escaping), as
 * NUL-terminated text otherwise. Results come as text; bytea columns are
 * decoded with PQunescapeBytea. Each result is read whole before the row
 * callback runs, so a callback may re-enter exec. All memory here is
 * process-private (malloc, libpq). Only lp_db_driver_postgres is exported. */
#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lp_db.h"
#include "lp_log.h"

#define PG_CONNECT_TIMEOUT "5" /* seconds */
#define PG_CACHE_MAX 128	   /* beyond that, statements are not cached */
#define PG_STACK 32			   /* params / columns on the stack */

/* Type OIDs from the server's pg_type.h; they are fixed by the catalog. */
#define PG_OID_BYTEA 17
#define PG_OID_NAME 19
#define PG_OID_INT8 20
#define PG_OID_INT2 21
#define PG_OID_INT4 23
#define PG_OID_TEXT 25
#define PG_OID_UNKNOWN 705
#define PG_OID_BPCHAR 1042
#define PG_OID_VARCHAR 1043

typedef struct pg_stmt
{
	char *sql; /* owned copy, the cache key */
	unsigned int hash;
	char name[16]; /* server-side name; "" for an uncached statement */
	int nparams;
	Oid *types; /* nparams entries */
} pg_stmt_t;

struct lp_db_conn
{
	PGconn *h;
	pg_stmt_t *cache;
	int ncache, cache_size;
	unsigned int next_id; /* for statement names */
};

static char pg_empty[1]; /* target of zero-length values */

static unsigned int pg_hash(const char *s)
{
	unsigned int h = 2166136261u;

	for(; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The error class of a failed result (or of the connection, res NULL). */
static int pg_err(lp_db_conn_t *c, const PGresult *res)
{
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if(PQstatus(c->h) == CONNECTION_BAD)
		return LP_DB_ECONN;
	if(st == NULL)
		return LP_DB_EGENERIC;
	if(strncmp(st, "08", 2) == 0 || strncmp(st, "57P", 3) == 0)
		return LP_DB_ECONN; /* connection exception, operator intervention */
	if(strncmp(st, "23", 2) == 0)
		return LP_DB_ECONSTRAINT;
	if(strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0
			|| strcmp(st, "55P03") == 0)
		return LP_DB_EBUSY; /* serialization, deadlock, lock not available */
	if(strcmp(st, "53200") == 0)
		return LP_DB_ENOMEM;
	if(strncmp(st, "22", 2) == 0)
		return LP_DB_EDATA; /* too long, bad encoding (22021), range */
	return LP_DB_EGENERIC;
}

/* Log, free res and return the lp_db_err of a failure. */
static int pg_fail(
		lp_db_conn_t *c, PGresult *res, const char *what, const char *sql)
{
	const char *msg = res ? PQresultErrorMessage(res) : "";
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	int rc = pg_err(c, res);
	int len;

	if(msg == NULL || *msg == '\0')
		msg = PQerrorMessage(c->h);
	len = (int)strlen(msg);
	while(len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		len--;
	lp_db_log_fail(rc, "db_postgres: %s failed (%s): %.*s [%s]", what,
			st ? st : "-", len, msg, sql);
	PQclear(res);
	return rc;
}

/* Server notices ("table does not exist, skipping") go to the debug log
 * rather than to libpq's default, stderr. */
static void pg_notice(void *arg, const char *msg)
{
	int len = (int)strlen(msg);

	while(len > 0 && msg[len - 1] == '\n')
		len--;
	LP_DBG("db_postgres: %.*s", len, msg);
}

static void pg_close(lp_db_conn_t *c)
{
	int i;

	if(c == NULL)
		return;
	for(i = 0; i < c->ncache; i++) {
		free(c->cache[i].sql);
		free(c->cache[i].types);
	}
	free(c->cache);
	PQfinish(c->h); /* server-side statements go with the session */
	free(c);
}

/* The url parts are not NUL-terminated: copy them into one buffer. */
static lp_db_conn_t *pg_open(const lp_db_url_t *url)
{
	const lp_str_t *part[] = {
			&url->host, &url->user, &url->pass, &url->database};
	const char *kw[] = {"host", "user", "password", "dbname", "port",
			"connect_timeout", "client_encoding", "application_name", NULL};
	const char *val[9];
	char buf[1024], port[8], *p = buf;
	lp_db_conn_t *c;
	int i;

	for(i = 0; i < 4; i++) {
		if(part[i]->len >= (int)sizeof(buf) - (p - buf)) {
			LP_ERR("db_postgres: db_url too long");
			return NULL;
		}
		memcpy(p, part[i]->s ? part[i]->s : "", part[i]->len);
		p[part[i]->len] = '\0';
		val[i] = p;
		p += part[i]->len + 1;
	}
	snprintf(port, sizeof(port), "%d", url->port ? url->port : 5432);
	val[4] = port;
	val[5] = PG_CONNECT_TIMEOUT;
	val[6] = "UTF8";
	val[7] = "kamailio-presence";
	val[8] = NULL;
	if((c = calloc(1, sizeof(*c))) == NULL) {
		LP_ERR("db_postgres: out of memory");
		return NULL;
	}
	c->h = PQconnectdbParams(kw, val, 0);
	if(c->h == NULL || PQstatus(c->h) != CONNECTION_OK) {
		LP_ERR("db_postgres: cannot connect to %s:%s/%s as %s: %s", val[0],
				port, val[3], val[1],
				c->h ? PQerrorMessage(c->h) : "out of memory");
		pg_close(c);
		return NULL;
	}
	PQsetNoticeProcessor(c->h, pg_notice, NULL);
	return c;
}

/* Copy sql with each `?` outside '...' literals, "..." identifiers and
 * comments replaced by $n; *n gets the count. NULL when out of memory.
 * Callers bind their values, so E'...' and $$...$$ literals are not
 * expected (a `?` inside one would be taken for a placeholder). */
static char *pg_rewrite(const char *sql, int *n)
{
	char *out = malloc(strlen(sql) * 6 + 1), *o = out; /* "?" -> "$99999" */
	const char *s = sql;
	char in = 0; /* the quote, '-' in a line comment, '*' in a block one */

	*n = 0;
	if(out == NULL)
		return NULL;
	while(*s) {
		if(in == '-') {
			in = *s == '\n' ? 0 : in;
		} else if(in == '*') {
			if(s[0] == '*' && s[1] == '/') {
				*o++ = *s++;
				in = 0;
			}
		} else if(in) {
			in = *s == in ? 0 : in; /* a doubled quote reopens at once */
		} else if(*s == '\'' || *s == '"') {
			in = *s;
		} else if((s[0] == '-' && s[1] == '-')
				  || (s[0] == '/' && s[1] == '*')) {
			in = s[1];
			*o++ = *s++;
		} else if(*s == '?') {
			o += sprintf(o, "$%d", ++*n);
			s++;
			continue;
		}
		*o++ = *s++;
	}
	*o = '\0';
	return out;
}

/* Prepare sql under name and learn its parameter types into e. */
static int pg_prepare_named(lp_db_conn_t *c, const char *sql, pg_stmt_t *e)
{
	PGresult *res;
	char *psql;
	int n, i;

	if((psql = pg_rewrite(sql, &n)) == NULL)
		return LP_DB_ENOMEM;
	res = PQprepare(c->h, e->name, psql, 0, NULL);
	free(psql);
	if(PQresultStatus(res) != PGRES_COMMAND_OK)
		return pg_fail(c, res, "prepare", sql);
	PQclear(res);
	res = PQdescribePrepared(c->h, e->name);
	if(PQresultStatus(res) != PGRES_COMMAND_OK)
		return pg_fail(c, res, "describe", sql);
	e->nparams = PQnparams(res);
	e->types = calloc(e->nparams ? e->nparams : 1, sizeof(Oid));
	if(e->types == NULL) {
		PQclear(res);
		return LP_DB_ENOMEM;
	}
	for(i = 0; i < e->nparams; i++)
		e->types[i] = PQparamtype(res, i);
	PQclear(res);
	return 0;
}

/* The cache entry for sql, prepared now if new. When the cache is full or
 * out of memory, tmp is filled for one run as the unnamed statement and
 * returned (the caller frees tmp->types). NULL on error, *rc set. */
static pg_stmt_t *pg_prepare(
		lp_db_conn_t *c, const char *sql, pg_stmt_t *tmp, int *rc)
{
	unsigned int h = pg_hash(sql);
	pg_stmt_t *e;
	int i, n;

	for(i = 0; i < c->ncache; i++) {
		e = &c->cache[i];
		if(e->hash == h && strcmp(e->sql, sql) == 0)
			return e;
	}
	if(c->ncache < PG_CACHE_MAX && c->ncache == c->cache_size) {
		n = c->cache_size ? c->cache_size * 2 : 16;
		e = realloc(c->cache, n * sizeof(*e));
		if(e != NULL) {
			c->cache = e;
			c->cache_size = n;
		}
	}
	e = c->ncache < c->cache_size ? &c->cache[c->ncache] : tmp;
	memset(e, 0, sizeof(*e));
	if(e != tmp && (e->sql = strdup(sql)) == NULL)
		e = tmp; /* run uncached */
	if(e != tmp) {
		e->hash = h;
		snprintf(e->name, sizeof(e->name), "lp_%u", c->next_id++);
	}
	*rc = pg_prepare_named(c, sql, e);
	if(*rc < 0) {
		free(e->sql); /* NULL for tmp */
		free(e->types);
		return NULL;
	}
	if(e != tmp)
		c->ncache++;
	return e;
}

static int pg_is_textual(Oid t)
{
	return t == PG_OID_BYTEA || t == PG_OID_TEXT || t == PG_OID_VARCHAR
		   || t == PG_OID_BPCHAR || t == PG_OID_NAME || t == PG_OID_UNKNOWN;
}

/* Text form of an INT, or of a string bound to a non-textual parameter,
 * NUL-terminated in a malloc'd copy that the caller frees; NULL when out of
 * memory. */
static char *pg_text_param(const lp_db_val_t *v)
{
	char *t;

	if(v->type == LP_DB_INT) {
		if((t = malloc(24)) != NULL)
			snprintf(t, 24, "%lld", v->v.i);
		return t;
	}
	if((t = malloc(v->v.s.len + 1)) == NULL)
		return NULL;
	if(v->v.s.len)
		memcpy(t, v->v.s.s, v->v.s.len);
	t[v->v.s.len] = '\0';
	return t;
}

/* Run e with params; the result or NULL (rc set) on a bind error. */
static PGresult *pg_run(lp_db_conn_t *c, const char *sql, const pg_stmt_t *e,
		const lp_db_val_t *p, int n, int *rc)
{
	const char *vstack[PG_STACK], **vals = vstack;
	int lstack[PG_STACK * 2], *lens = lstack, *fmts;
	char *ostack[PG_STACK], **owned = ostack;
	PGresult *res = NULL;
	int i;

	*rc = LP_DB_ENOMEM;
	if(n != e->nparams) {
		LP_ERR("db_postgres: %d values for %d parameters [%s]", n, e->nparams,
				sql);
		*rc = LP_DB_EGENERIC;
		return NULL;
	}
	if(n > PG_STACK) {
		vals = malloc(n * sizeof(*vals));
		lens = malloc(n * 2 * sizeof(*lens));
		owned = calloc(n, sizeof(*owned));
		if(vals == NULL || lens == NULL || owned == NULL) {
			n = 0;
			goto done;
		}
	}
	fmts = lens + n;
	for(i = 0; i < n; i++) {
		owned[i] = NULL;
		lens[i] = fmts[i] = 0;
		vals[i] = NULL;
		if(p[i].type == LP_DB_NULL)
			continue;
		if(p[i].type != LP_DB_INT && pg_is_textual(e->types[i])) {
			vals[i] = p[i].v.s.s ? p[i].v.s.s : pg_empty;
			lens[i] = p[i].v.s.len;
			fmts[i] = 1; /* binary: the bytes as they are */
		} else if((vals[i] = owned[i] = pg_text_param(&p[i])) == NULL) {
			n = i;
			goto done;
		}
	}
	res = PQexecPrepared(c->h, e->name, n, vals, lens, fmts, 0);
	*rc = 0;
done:
	for(i = 0; i < n; i++)
		free(owned[i]);
	if(vals != vstack) {
		free(vals);
		free(lens);
		free(owned);
	}
	return res;
}

/* Column j of row i; *tofree gets memory to release after the callback. */
static int pg_column(const PGresult *res, int i, int j, lp_db_val_t *v,
		unsigned char **tofree)
{
	char *s = PQgetvalue(res, i, j);
	size_t len;

	if(PQgetisnull(res, i, j)) {
		*v = LP_DB_VNULL;
		return 0;
	}
	switch(PQftype(res, j)) {
		case PG_OID_INT2:
		case PG_OID_INT4:
		case PG_OID_INT8:
			*v = LP_DB_VINT(strtoll(s, NULL, 10));
			return 0;
		case PG_OID_BYTEA:
			*tofree = PQunescapeBytea((unsigned char *)s, &len);
			if(*tofree == NULL)
				return LP_DB_ENOMEM;
			v->type = LP_DB_BLOB;
			v->v.s.s = len ? (char *)*tofree : pg_empty;
			v->v.s.len = (int)len;
			return 0;
		default:
			v->type = LP_DB_STR;
			v->v.s.s = s;
			v->v.s.len = PQgetlength(res, i, j);
			return 0;
	}
}

/* Hand each row to cb until it stops; rows handed, or a negative error. */
static int pg_rows(const PGresult *res, lp_db_row_cb cb, void *ctx)
{
	lp_db_val_t vstack[PG_STACK], *cols = vstack;
	unsigned char *fstack[PG_STACK], **tofree = fstack;
	int nrows = PQntuples(res), ncols = PQnfields(res), i, j, rc = 0, stop = 0;

	if(cb == NULL)
		return nrows;
	if(ncols > PG_STACK) {
		cols = malloc(ncols * sizeof(*cols));
		tofree = malloc(ncols * sizeof(*tofree));
		if(cols == NULL || tofree == NULL)
			rc = LP_DB_ENOMEM;
	}
	for(i = 0; i < nrows && rc == 0 && !stop; i++) {
		for(j = 0; j < ncols; j++)
			tofree[j] = NULL;
		for(j = 0; j < ncols && rc == 0; j++)
			rc = pg_column(res, i, j, &cols[j], &tofree[j]);
		if(rc == 0)
			stop = cb(ctx, cols, ncols) != 0;
		for(j = 0; j < ncols; j++)
			PQfreemem(tofree[j]);
	}
	if(cols != vstack)
		free(cols);
	if(tofree != fstack)
		free(tofree);
	return rc < 0 ? rc : i;
}

static int pg_exec(lp_db_conn_t *c, const char *sql, const lp_db_val_t *params,
		int nparams, lp_db_row_cb cb, void *ctx)
{
	pg_stmt_t tmp, *e;
	PGresult *res;
	int rc;

	if((e = pg_prepare(c, sql, &tmp, &rc)) == NULL)
		return rc;
	res = pg_run(c, sql, e, params, nparams, &rc);
	if(e == &tmp)
		free(tmp.types);
	if(rc < 0)
		return rc;
	switch(PQresultStatus(res)) {
		case PGRES_TUPLES_OK:
			rc = pg_rows(res, cb, ctx);
			break;
		case PGRES_COMMAND_OK: /* "" for DDL and BEGIN */
			rc = atoi(PQcmdTuples(res));
			break;
		default:
			return pg_fail(c, res, "exec", sql);
	}
	PQclear(res);
	return rc;
}

/* A simple statement with no parameters and no cache entry. */
static int pg_simple(lp_db_conn_t *c, const char *sql)
{
	PGresult *res = PQexec(c->h, sql);

	if(PQresultStatus(res) != PGRES_COMMAND_OK)
		return pg_fail(c, res, "exec", sql);
	PQclear(res);
	return 0;
}

static int pg_begin(lp_db_conn_t *c)
{
	return pg_simple(c, "BEGIN");
}

/* PostgreSQL answers COMMIT outside a transaction with a warning only, and
 * COMMIT of a failed transaction with a silent rollback: report both as
 * errors so that a caller never takes a lost transaction for committed. */
static int pg_commit(lp_db_conn_t *c)
{
	switch(PQtransactionStatus(c->h)) {
		case PQTRANS_INTRANS:
			return pg_simple(c, "COMMIT");
		case PQTRANS_INERROR:
			LP_ERR("db_postgres: COMMIT of a failed transaction: rolled back");
			pg_simple(c, "ROLLBACK");
			return LP_DB_EGENERIC;
		case PQTRANS_UNKNOWN:
			return pg_fail(c, NULL, "COMMIT", "COMMIT");
		default:
			LP_ERR("db_postgres: COMMIT without a transaction");
			return LP_DB_EGENERIC;
	}
}

static int pg_rollback(lp_db_conn_t *c)
{
	if(PQtransactionStatus(c->h) == PQTRANS_IDLE) {
		LP_ERR("db_postgres: ROLLBACK without a transaction");
		return LP_DB_EGENERIC;
	}
	return pg_simple(c, "ROLLBACK");
}

static int pg_savepoint(lp_db_conn_t *c, lp_db_sp_op_t op, const char *name)
{
	static const char *const fmt[] = {
			"SAVEPOINT %s", "RELEASE SAVEPOINT %s", "ROLLBACK TO SAVEPOINT %s"};
	char sql[96];

	snprintf(sql, sizeof(sql), fmt[op], name);
	return pg_simple(c, sql);
}

const lp_db_driver_t lp_db_driver_postgres = {
		.name = "postgres",
		.scheme = "postgres",
		.version = LP_DB_DRIVER_VERSION,
		.caps = LP_DB_CAP_UPSERT, /* ON CONFLICT since 9.5 */
		.open = pg_open,
		.close = pg_close,
		.exec = pg_exec,
		.begin = pg_begin,
		.commit = pg_commit,
		.rollback = pg_rollback,
		.savepoint = pg_savepoint,
};
