/* MySQL / MariaDB driver of the libpresence DB abstraction, on the MySQL C
 * API (Debian builds it against MariaDB Connector/C). Statements are
 * server-side prepared, cached per connection keyed by the SQL text, bound
 * with MYSQL_BIND and their results buffered client-side, so a row callback
 * may run other statements (the same SQL then gets a fresh, uncached
 * statement while the cached one is busy). The connection uses utf8mb4,
 * CLIENT_FOUND_ROWS (an UPDATE reports the rows it matched, like SQLite and
 * PostgreSQL) and no automatic reconnect: lp_db.c reopens it.
 *
 * MySQL has no ON CONFLICT, so the two upsert shapes callers write in
 * SQLite/PostgreSQL syntax are translated once, when first prepared:
 *   INSERT INTO t (..) VALUES (..) ON CONFLICT [(keys)] DO UPDATE SET
 *       a=excluded.a, ..     ->  .. ON DUPLICATE KEY UPDATE a=VALUES(a), ..
 *   INSERT INTO .. ON CONFLICT [(keys)] DO NOTHING  ->  INSERT IGNORE INTO ..
 * Anything else after ON CONFLICT (a WHERE, ON CONSTRAINT) is refused. MySQL
 * counts 2 for a row an upsert updated: a one-row upsert reports 1 here, as
 * on the other engines. INSERT IGNORE also turns other errors (NOT NULL,
 * out-of-range) into warnings, which ON CONFLICT DO NOTHING does not.
 * All memory here is process-private (malloc, libmysqlclient). Only
 * lp_db_driver_mysql is exported. */
#include <ctype.h>
#include <errmsg.h>
#include <limits.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lp_db.h"
#include "lp_log.h"

#define MY_CONNECT_TIMEOUT 5 /* seconds */
#define MY_CACHE_MAX 128	 /* beyond that, statements are not cached */
#define MY_STACK 32			 /* params on the stack */
#define MY_BUF_MIN 64		 /* initial result buffer of a string column */
#define MY_CHARSET_BINARY 63 /* charsetnr of BLOB / VARBINARY columns */

/* my_bool in MariaDB and MySQL 5, bool in MySQL 8: take what MYSQL_BIND has */
typedef __typeof__(*((MYSQL_BIND *)0)->is_null) my_flag_t;

typedef struct my_stmt
{
	char *sql; /* owned copy of the caller's SQL, the cache key */
	unsigned int hash;
	int busy;		/* results being read (a callback may re-enter exec) */
	int upsert_one; /* a one-row DO UPDATE upsert: count at most 1 */
	MYSQL_STMT *st;
} my_stmt_t;

struct lp_db_conn
{
	MYSQL *h;
	my_stmt_t *cache;
	int ncache, cache_size;
	int in_tx; /* between begin and commit/rollback */
};

/* Result buffers of one exec. */
typedef struct my_res
{
	int ncols;
	MYSQL_BIND *bind;
	unsigned long *len;
	my_flag_t *isnull, *error;
	long long *ints;
	lp_db_val_t *cols;
} my_res_t;

static char my_empty[1]; /* target of zero-length values */

static unsigned int my_hash(const char *s)
{
	unsigned int h = 2166136261u;

	for(; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static int my_err(unsigned int no, const char *sqlstate)
{
	switch(no) {
		case CR_SERVER_GONE_ERROR:
		case CR_SERVER_LOST:
		case CR_SERVER_LOST_EXTENDED:
		case CR_CONNECTION_ERROR:
		case CR_CONN_HOST_ERROR:
		case ER_CONNECTION_KILLED:
		case ER_SERVER_SHUTDOWN:
		case 4031: /* MySQL 8: disconnected for inactivity */
			return LP_DB_ECONN;
		case ER_LOCK_DEADLOCK:
		case ER_LOCK_WAIT_TIMEOUT:
			return LP_DB_EBUSY;
		case ER_DUP_ENTRY:
		case ER_BAD_NULL_ERROR:
			return LP_DB_ECONSTRAINT;
		case CR_OUT_OF_MEMORY:
			return LP_DB_ENOMEM;
		case ER_DATA_TOO_LONG:
		case ER_TRUNCATED_WRONG_VALUE_FOR_FIELD: /* not valid utf8mb4 */
		case ER_WARN_DATA_OUT_OF_RANGE:
		case ER_TRUNCATED_WRONG_VALUE:
			return LP_DB_EDATA;
	}
	if(sqlstate && strncmp(sqlstate, "22", 2) == 0)
		return LP_DB_EDATA; /* data exception */
	if(sqlstate && strncmp(sqlstate, "23", 2) == 0)
		return LP_DB_ECONSTRAINT; /* integrity constraint violation */
	return LP_DB_EGENERIC;
}

static int my_fail_stmt(MYSQL_STMT *st, const char *what, const char *sql)
{
	int rc = my_err(mysql_stmt_errno(st), mysql_stmt_sqlstate(st));

	lp_db_log_fail(rc, "db_mysql: %s failed (%u/%s): %s [%s]", what,
			mysql_stmt_errno(st), mysql_stmt_sqlstate(st), mysql_stmt_error(st),
			sql);
	return rc;
}

static int my_fail(lp_db_conn_t *c, const char *what, const char *sql)
{
	int rc = my_err(mysql_errno(c->h), mysql_sqlstate(c->h));

	lp_db_log_fail(rc, "db_mysql: %s failed (%u/%s): %s [%s]", what,
			mysql_errno(c->h), mysql_sqlstate(c->h), mysql_error(c->h), sql);
	return rc;
}

static void my_close(lp_db_conn_t *c)
{
	int i;

	if(c == NULL)
		return;
	for(i = 0; i < c->ncache; i++) {
		mysql_stmt_close(c->cache[i].st);
		free(c->cache[i].sql);
	}
	free(c->cache);
	if(c->h)
		mysql_close(c->h);
	free(c);
}

/* The url parts are not NUL-terminated: copy them into one buffer. */
static lp_db_conn_t *my_open(const lp_db_url_t *url)
{
	const lp_str_t *part[] = {
			&url->host, &url->user, &url->pass, &url->database};
	const char *val[4];
	char buf[1024], *p = buf;
	unsigned int timeout = MY_CONNECT_TIMEOUT;
	my_bool off = 0, on = 1;
	lp_db_conn_t *c;
	int i;

	for(i = 0; i < 4; i++) {
		if(part[i]->len >= (int)sizeof(buf) - (p - buf)) {
			LP_ERR("db_mysql: db_url too long");
			return NULL;
		}
		memcpy(p, part[i]->s ? part[i]->s : "", part[i]->len);
		p[part[i]->len] = '\0';
		val[i] = p;
		p += part[i]->len + 1;
	}
	if((c = calloc(1, sizeof(*c))) == NULL
			|| (c->h = mysql_init(NULL)) == NULL) {
		LP_ERR("db_mysql: out of memory");
		free(c);
		return NULL;
	}
	mysql_options(c->h, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(c->h, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(c->h, MYSQL_OPT_RECONNECT, &off); /* lp_db.c reopens */
	mysql_options(c->h, MYSQL_REPORT_DATA_TRUNCATION, &on);
	if(mysql_real_connect(c->h, val[0], *val[1] ? val[1] : NULL, val[2], val[3],
			   url->port, NULL, CLIENT_FOUND_ROWS)
			== NULL) {
		LP_ERR("db_mysql: cannot connect to %s:%d/%s as %s: %s", val[0],
				url->port ? url->port : 3306, val[3], val[1],
				mysql_error(c->h));
		my_close(c);
		return NULL;
	}
	/* READ COMMITTED: no gap locks, so the row-range UPDATEs of the
	 * presence DB-only mode do not deadlock with concurrent INSERTs into
	 * the same index range (REPEATABLE READ's gap locks did). */
	if(mysql_query(c->h, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
			!= 0)
		LP_WARN("db_mysql: cannot set READ COMMITTED: %s", mysql_error(c->h));
	return c;
}

/* ---- ON CONFLICT translation ---- */

static int my_ident_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_' || ch == '$';
}

/* After the keyword kw at p (case-insensitive, whole word), or NULL. */
static const char *my_word(const char *p, const char *kw)
{
	size_t n = strlen(kw);

	if(strncasecmp(p, kw, n) != 0 || my_ident_char(p[n]))
		return NULL;
	return p + n;
}

static const char *my_ws(const char *p)
{
	while(isspace((unsigned char)*p))
		p++;
	return p;
}

/* After the quoted literal or identifier opening at p. */
static const char *my_skip_quoted(const char *p)
{
	char q = *p++;

	for(; *p; p++) {
		if(*p == '\\' && q != '`' && p[1])
			p++;
		else if(*p == q)
			return p + 1;
	}
	return p;
}

/* The first keyword kw at parenthesis depth 0 and outside quotes in
 * [p, end), or NULL. p is a word start (or a non-word character). */
static const char *my_find(const char *p, const char *end, const char *kw)
{
	const char *start = p;
	int depth = 0;

	while(p < end && *p) {
		if(*p == '\'' || *p == '"' || *p == '`') {
			p = my_skip_quoted(p);
			continue;
		}
		if(*p == '(')
			depth++;
		else if(*p == ')')
			depth--;
		else if(depth == 0 && (p == start || !my_ident_char(p[-1]))
				&& my_word(p, kw))
			return p;
		p++;
	}
	return NULL;
}

/* After the parenthesised group opening at p, or NULL. */
static const char *my_skip_group(const char *p)
{
	int depth = 0;

	while(*p) {
		if(*p == '\'' || *p == '"' || *p == '`') {
			p = my_skip_quoted(p);
			continue;
		}
		if(*p == '(')
			depth++;
		else if(*p == ')' && --depth == 0)
			return p + 1;
		p++;
	}
	return NULL;
}

/* ON CONFLICT at depth 0, or NULL. */
static const char *my_find_on_conflict(const char *sql, const char **after)
{
	const char *p = sql, *end = sql + strlen(sql), *q;

	while((p = my_find(p, end, "ON")) != NULL) {
		q = my_ws(p + 2);
		if(q > p + 2 && (q = my_word(q, "CONFLICT")) != NULL) {
			*after = q;
			return p;
		}
		p += 2;
	}
	return NULL;
}

/* Copy the SET list s rewriting excluded.col as VALUES(col); 0 or -1. */
static int my_copy_set(char *o, const char *s)
{
	const char *q;

	while(*s) {
		if(*s == '\'' || *s == '"' || *s == '`') {
			q = my_skip_quoted(s);
			memcpy(o, s, q - s);
			o += q - s;
			s = q;
			continue;
		}
		q = my_word(s, "excluded");
		if(q && *q == '.' && !my_ident_char(s[-1])) { /* s > sql */
			for(s = ++q; my_ident_char(*q); q++)
				;
			if(q == s)
				return -1; /* a quoted column: not a shape we translate */
			o += sprintf(o, "VALUES(%.*s)", (int)(q - s), s);
			s = q;
			continue;
		}
		*o++ = *s++;
	}
	*o = '\0';
	return 0;
}

/* One VALUES tuple right before `on`: MySQL's count of such an upsert is
 * then 1 (inserted) or 2 (updated), reported as 1. */
static int my_one_row(const char *sql, const char *on)
{
	const char *p = my_find(sql, on, "VALUES");

	if(p == NULL || *(p = my_ws(p + 6)) != '(')
		return 0;
	p = my_skip_group(p);
	return p != NULL && my_ws(p) == on;
}

/* *out: sql in MySQL syntax (malloc'd) or NULL when sql has no ON
 * CONFLICT. 0, or a negative lp_db_err (logged when the shape is one we
 * do not translate). */
static int my_translate(const char *sql, char **out, int *upsert_one)
{
	const char *on, *p, *into, *set;
	size_t n = strlen(sql);

	*out = NULL;
	*upsert_one = 0;
	if((on = my_find_on_conflict(sql, &p)) == NULL)
		return 0;
	into = my_word(my_ws(sql), "INSERT");
	if(into == NULL || !my_word(into = my_ws(into), "INTO"))
		goto unsupported;
	p = my_ws(p);
	if(*p == '(' && (p = my_skip_group(p)) == NULL)
		goto unsupported;
	p = my_ws(p);
	if((p = my_word(p, "DO")) == NULL)
		goto unsupported;
	p = my_ws(p);
	if((*out = malloc(n * 2 + 32)) == NULL)
		return LP_DB_ENOMEM;
	if((set = my_word(p, "NOTHING")) != NULL) {
		if(*my_ws(set) != '\0' && *my_ws(set) != ';')
			goto unsupported;
		sprintf(*out, "INSERT IGNORE %.*s", (int)(on - into), into);
		return 0;
	}
	if((p = my_word(p, "UPDATE")) == NULL
			|| (set = my_word(my_ws(p), "SET")) == NULL
			|| my_find(set, set + strlen(set), "WHERE"))
		goto unsupported;
	n = sprintf(*out, "%.*sON DUPLICATE KEY UPDATE", (int)(on - sql), sql);
	if(my_copy_set(*out + n, set) < 0)
		goto unsupported;
	*upsert_one = my_one_row(sql, on);
	return 0;
unsupported:
	free(*out);
	*out = NULL;
	LP_ERR("db_mysql: unsupported ON CONFLICT form (only INSERT .. ON CONFLICT"
		   " [(keys)] DO NOTHING / DO UPDATE SET without WHERE) [%s]",
			sql);
	return LP_DB_EGENERIC;
}

/* ---- statements ---- */

/* A prepared statement for sql (translated), not cached. */
static MYSQL_STMT *my_new_stmt(
		lp_db_conn_t *c, const char *sql, int *upsert_one, int *rc)
{
	my_bool on = 1;
	MYSQL_STMT *st;
	char *tsql;

	if((*rc = my_translate(sql, &tsql, upsert_one)) < 0)
		return NULL;
	if((st = mysql_stmt_init(c->h)) == NULL) {
		*rc = my_fail(c, "statement init", sql);
	} else if(mysql_stmt_prepare(
					  st, tsql ? tsql : sql, strlen(tsql ? tsql : sql))
			  != 0) {
		*rc = my_fail_stmt(st, "prepare", tsql ? tsql : sql);
		mysql_stmt_close(st);
		st = NULL;
	} else {
		/* max_length in the metadata sizes the result buffers */
		mysql_stmt_attr_set(st, STMT_ATTR_UPDATE_MAX_LENGTH, &on);
	}
	free(tsql);
	return st;
}

/* A statement from the cache (marked busy) or freshly prepared; *ent is the
 * cache entry or NULL when the caller must close the statement. */
static int my_prepare(lp_db_conn_t *c, const char *sql, MYSQL_STMT **st,
		my_stmt_t **ent, int *upsert_one)
{
	unsigned int h = my_hash(sql);
	my_stmt_t *e;
	int i, rc;

	*ent = NULL;
	for(i = 0; i < c->ncache; i++) {
		e = &c->cache[i];
		if(e->hash == h && !e->busy && strcmp(e->sql, sql) == 0) {
			e->busy = 1;
			*st = e->st;
			*ent = e;
			*upsert_one = e->upsert_one;
			return 0;
		}
	}
	if((*st = my_new_stmt(c, sql, upsert_one, &rc)) == NULL)
		return rc;
	if(c->ncache == MY_CACHE_MAX)
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
	e->upsert_one = *upsert_one;
	e->st = *st;
	c->ncache++;
	*ent = e;
	return 0;
}

static int my_bind(MYSQL_STMT *st, const lp_db_val_t *p, int n, const char *sql)
{
	MYSQL_BIND bstack[MY_STACK], *b = bstack;
	unsigned long lstack[MY_STACK], *len = lstack;
	int i, rc = 0;

	if(n != (int)mysql_stmt_param_count(st)) {
		LP_ERR("db_mysql: %d values for %lu parameters [%s]", n,
				mysql_stmt_param_count(st), sql);
		return LP_DB_EGENERIC;
	}
	if(n == 0)
		return 0;
	if(n > MY_STACK
			&& ((b = malloc(n * sizeof(*b))) == NULL
					|| (len = malloc(n * sizeof(*len))) == NULL)) {
		free(b);
		return LP_DB_ENOMEM;
	}
	memset(b, 0, n * sizeof(*b));
	for(i = 0; i < n; i++) {
		switch(p[i].type) {
			case LP_DB_INT:
				b[i].buffer_type = MYSQL_TYPE_LONGLONG;
				b[i].buffer = (void *)&p[i].v.i;
				break;
			case LP_DB_STR:
			case LP_DB_BLOB:
				b[i].buffer_type = p[i].type == LP_DB_STR ? MYSQL_TYPE_STRING
														  : MYSQL_TYPE_BLOB;
				b[i].buffer = p[i].v.s.s ? p[i].v.s.s : my_empty;
				b[i].buffer_length = len[i] = p[i].v.s.len;
				b[i].length = &len[i];
				break;
			default:
				b[i].buffer_type = MYSQL_TYPE_NULL;
				break;
		}
	}
	/* the values are read at bind time and again at execute: the caller's
	 * memory outlives both */
	if(mysql_stmt_bind_param(st, b) != 0)
		rc = my_fail_stmt(st, "bind", sql);
	if(b != bstack) {
		free(b);
		free(len);
	}
	return rc;
}

static void my_res_free(my_res_t *r)
{
	int j;

	if(r->bind)
		for(j = 0; j < r->ncols; j++)
			free(r->bind[j].buffer != &r->ints[j] ? r->bind[j].buffer : NULL);
	free(r->bind);
	free(r->len);
	free(r->isnull);
	free(r->error);
	free(r->ints);
	free(r->cols);
}

static int my_is_int(enum enum_field_types t)
{
	return t == MYSQL_TYPE_TINY || t == MYSQL_TYPE_SHORT || t == MYSQL_TYPE_LONG
		   || t == MYSQL_TYPE_LONGLONG || t == MYSQL_TYPE_INT24
		   || t == MYSQL_TYPE_YEAR;
}

static int my_is_blob(const MYSQL_FIELD *f)
{
	switch(f->type) {
		case MYSQL_TYPE_TINY_BLOB:
		case MYSQL_TYPE_MEDIUM_BLOB:
		case MYSQL_TYPE_LONG_BLOB:
		case MYSQL_TYPE_BLOB:
		case MYSQL_TYPE_VAR_STRING:
		case MYSQL_TYPE_STRING:
		case MYSQL_TYPE_VARCHAR:
			return f->charsetnr == MY_CHARSET_BINARY;
		default:
			return 0;
	}
}

/* Result buffers for the buffered result of st: integers as 64-bit, the
 * rest as strings sized by max_length (grown on truncation). */
static int my_res_bind(MYSQL_STMT *st, my_res_t *r, const char *sql)
{
	MYSQL_RES *meta = mysql_stmt_result_metadata(st);
	MYSQL_FIELD *f;
	int j, rc = 0;

	if(meta == NULL)
		return my_fail_stmt(st, "result metadata", sql);
	r->ncols = (int)mysql_num_fields(meta);
	f = mysql_fetch_fields(meta);
	r->bind = calloc(r->ncols, sizeof(*r->bind));
	r->len = calloc(r->ncols, sizeof(*r->len));
	r->isnull = calloc(r->ncols, sizeof(*r->isnull));
	r->error = calloc(r->ncols, sizeof(*r->error));
	r->ints = calloc(r->ncols, sizeof(*r->ints));
	r->cols = calloc(r->ncols, sizeof(*r->cols));
	if(!r->bind || !r->len || !r->isnull || !r->error || !r->ints || !r->cols)
		rc = LP_DB_ENOMEM;
	for(j = 0; j < r->ncols && rc == 0; j++) {
		MYSQL_BIND *b = &r->bind[j];
		b->length = &r->len[j];
		b->is_null = &r->isnull[j];
		b->error = &r->error[j];
		if(my_is_int(f[j].type)) {
			b->buffer_type = MYSQL_TYPE_LONGLONG;
			b->buffer = &r->ints[j];
			b->is_unsigned = (f[j].flags & UNSIGNED_FLAG) != 0;
			r->cols[j].type = LP_DB_INT;
			continue;
		}
		r->cols[j].type = my_is_blob(&f[j]) ? LP_DB_BLOB : LP_DB_STR;
		b->buffer_type = r->cols[j].type == LP_DB_BLOB ? MYSQL_TYPE_BLOB
													   : MYSQL_TYPE_STRING;
		b->buffer_length = f[j].max_length + 1;
		if(b->buffer_length < MY_BUF_MIN)
			b->buffer_length = MY_BUF_MIN;
		if((b->buffer = malloc(b->buffer_length)) == NULL)
			rc = LP_DB_ENOMEM;
	}
	mysql_free_result(meta);
	if(rc == 0 && mysql_stmt_bind_result(st, r->bind) != 0)
		rc = my_fail_stmt(st, "bind result", sql);
	return rc;
}

/* Fetch the string columns of this row that did not fit their buffers. */
static int my_refetch(MYSQL_STMT *st, my_res_t *r, const char *sql)
{
	int j, again = 0;
	void *p;

	for(j = 0; j < r->ncols; j++) {
		MYSQL_BIND *b = &r->bind[j];
		if(r->isnull[j] || b->buffer == &r->ints[j]
				|| r->len[j] < b->buffer_length)
			continue;
		if((p = realloc(b->buffer, r->len[j] + 1)) == NULL)
			return LP_DB_ENOMEM;
		b->buffer = p;
		b->buffer_length = r->len[j] + 1;
		if(mysql_stmt_fetch_column(st, b, j, 0) != 0)
			return my_fail_stmt(st, "fetch column", sql);
		again = 1;
	}
	/* later rows go to the grown buffers */
	if(again && mysql_stmt_bind_result(st, r->bind) != 0)
		return my_fail_stmt(st, "bind result", sql);
	return 0;
}

static void my_row(my_res_t *r)
{
	int j;

	for(j = 0; j < r->ncols; j++) {
		lp_db_val_t *v = &r->cols[j];
		if(r->isnull[j]) {
			v->type = LP_DB_NULL;
			continue;
		}
		if(r->bind[j].buffer == &r->ints[j]) {
			*v = LP_DB_VINT(r->ints[j]);
			continue;
		}
		v->type = r->bind[j].buffer_type == MYSQL_TYPE_BLOB ? LP_DB_BLOB
															: LP_DB_STR;
		v->v.s.s = r->bind[j].buffer;
		v->v.s.len = (int)r->len[j];
	}
}

/* Read the buffered result to the end (or until cb stops); rows read. */
static int my_rows(MYSQL_STMT *st, lp_db_row_cb cb, void *ctx, const char *sql)
{
	my_res_t r = {0};
	int rows = 0, rc;

	if(mysql_stmt_store_result(st) != 0)
		return my_fail_stmt(st, "store result", sql);
	if(cb == NULL) {
		my_ulonglong n = mysql_stmt_num_rows(st);
		return n > INT_MAX ? INT_MAX : (int)n;
	}
	if((rc = my_res_bind(st, &r, sql)) < 0)
		goto done;
	while((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
		if((rc = my_refetch(st, &r, sql)) < 0)
			goto done;
		rows++;
		my_row(&r);
		if(cb(ctx, r.cols, r.ncols) != 0)
			break;
	}
	if(rc == 1)
		rc = my_fail_stmt(st, "fetch", sql);
	else
		rc = rows;
done:
	my_res_free(&r);
	return rc;
}

static int my_exec(lp_db_conn_t *c, const char *sql, const lp_db_val_t *params,
		int nparams, lp_db_row_cb cb, void *ctx)
{
	int rc, upsert_one = 0;
	my_ulonglong n;
	MYSQL_STMT *st;
	my_stmt_t *ent;

	if((rc = my_prepare(c, sql, &st, &ent, &upsert_one)) < 0)
		return rc;
	if((rc = my_bind(st, params, nparams, sql)) < 0)
		goto done;
	if(mysql_stmt_execute(st) != 0) {
		rc = my_fail_stmt(st, "exec", sql);
		goto done;
	}
	if(mysql_stmt_field_count(st) > 0) {
		rc = my_rows(st, cb, ctx, sql);
	} else {
		n = mysql_stmt_affected_rows(st);
		rc = n == (my_ulonglong)-1 ? 0 : n > INT_MAX ? INT_MAX : (int)n;
		if(upsert_one && rc > 1)
			rc = 1;
	}
done:
	if(ent) {
		mysql_stmt_free_result(st);
		ent->busy = 0;
	} else {
		mysql_stmt_close(st);
	}
	return rc;
}

static int my_begin(lp_db_conn_t *c)
{
	if(mysql_query(c->h, "START TRANSACTION") != 0)
		return my_fail(c, "exec", "START TRANSACTION");
	c->in_tx = 1;
	return 0;
}

/* MySQL takes COMMIT / ROLLBACK outside a transaction silently: report it as
 * an error, as the other drivers do, so that a caller's misuse shows. */
static int my_end(lp_db_conn_t *c, int commit)
{
	const char *what = commit ? "COMMIT" : "ROLLBACK";

	if(!c->in_tx) {
		LP_ERR("db_mysql: %s without a transaction", what);
		return LP_DB_EGENERIC;
	}
	c->in_tx = 0;
	if((commit ? mysql_commit(c->h) : mysql_rollback(c->h)) != 0)
		return my_fail(c, "exec", what);
	return 0;
}

static int my_commit(lp_db_conn_t *c)
{
	return my_end(c, 1);
}

static int my_rollback(lp_db_conn_t *c)
{
	return my_end(c, 0);
}

static int my_savepoint(lp_db_conn_t *c, lp_db_sp_op_t op, const char *name)
{
	static const char *const fmt[] = {
			"SAVEPOINT %s", "RELEASE SAVEPOINT %s", "ROLLBACK TO SAVEPOINT %s"};
	char sql[96];

	if(!c->in_tx) {
		LP_ERR("db_mysql: savepoint without a transaction");
		return LP_DB_EGENERIC;
	}
	snprintf(sql, sizeof(sql), fmt[op], name);
	if(mysql_query(c->h, sql) != 0)
		return my_fail(c, "exec", sql);
	return 0;
}

const lp_db_driver_t lp_db_driver_mysql = {
		.name = "mysql",
		.scheme = "mysql",
		.version = LP_DB_DRIVER_VERSION,
		.caps = LP_DB_CAP_UPSERT, /* through the translation above */
		.open = my_open,
		.close = my_close,
		.exec = my_exec,
		.begin = my_begin,
		.commit = my_commit,
		.rollback = my_rollback,
		.savepoint = my_savepoint,
};
