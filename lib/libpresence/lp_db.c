/* DB front end of libpresence: parses Kamailio-style db_url strings, picks
 * the driver serving the url's scheme from a static registry, and wraps the
 * driver ops so that a lost connection (LP_DB_ECONN) is closed and reopened
 * on the next call. Also reads and checks the `version` table. An lp_db_t is
 * per process (one per Kamailio worker) and lives in malloc'd memory. */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lp_db.h"
#include "lp_log.h"

/* Every driver this build knows, one const ops table each. */
static const lp_db_driver_t *const lp_db_drivers[] = {
		&lp_db_driver_sqlite,
		&lp_db_driver_postgres,
		&lp_db_driver_mysql,
		NULL,
};

static int url_bad_char(const char *s, int len)
{
	int i;

	for(i = 0; i < len; i++)
		if((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return 1;
	return 0;
}

/* host[:port] or [v6addr][:port]; port 1..65535. */
static int url_parse_hostport(char *s, int len, lp_db_url_t *out)
{
	char *end = s + len, *p;
	long port = 0;

	if(len > 0 && s[0] == '[') {
		p = memchr(s, ']', len);
		if(p == NULL || p == s + 1)
			return LP_DB_EURL;
		out->host = (lp_str_t){s + 1, (int)(p - s - 1)};
		p++;
	} else {
		p = memchr(s, ':', len);
		if(p == NULL)
			p = end;
		out->host = (lp_str_t){s, (int)(p - s)};
	}
	if(out->host.len == 0)
		return LP_DB_EURL;
	if(p == end)
		return 0;
	if(*p != ':' || ++p == end || end - p > 5)
		return LP_DB_EURL;
	for(; p < end; p++) {
		if(!isdigit((unsigned char)*p))
			return LP_DB_EURL;
		port = port * 10 + (*p - '0');
	}
	if(port < 1 || port > 65535)
		return LP_DB_EURL;
	out->port = (int)port;
	return 0;
}

/* [user[:pass]@]host[:port]/database */
static int url_parse_server(char *s, int len, lp_db_url_t *out)
{
	char *slash = memchr(s, '/', len), *at, *colon;
	int alen;

	if(slash == NULL)
		return LP_DB_EURL;
	alen = (int)(slash - s);
	out->database = (lp_str_t){slash + 1, len - alen - 1};
	if(out->database.len == 0
			|| memchr(out->database.s, '/', out->database.len))
		return LP_DB_EURL;
	/* the last '@' so that a password may contain one */
	for(at = slash - 1; at >= s && *at != '@'; at--)
		;
	if(at >= s) {
		colon = memchr(s, ':', at - s);
		out->user = (lp_str_t){s, (int)((colon ? colon : at) - s)};
		if(colon)
			out->pass = (lp_str_t){colon + 1, (int)(at - colon - 1)};
		if(out->user.len == 0)
			return LP_DB_EURL;
		alen -= (int)(at + 1 - s);
		s = at + 1;
	}
	return url_parse_hostport(s, alen, out);
}

int lp_db_url_parse(const char *url, lp_db_url_t *out)
{
	const char *sep;
	char *rest;
	int len, rlen;

	memset(out, 0, sizeof(*out));
	if(url == NULL || (sep = strstr(url, "://")) == NULL || sep == url)
		return LP_DB_EURL;
	len = (int)strlen(url);
	if(url_bad_char(url, len))
		return LP_DB_EURL;
	for(rest = (char *)url; rest < sep; rest++)
		if(!isalnum((unsigned char)*rest) && *rest != '+' && *rest != '-'
				&& *rest != '.')
			return LP_DB_EURL;
	out->scheme = (lp_str_t){(char *)url, (int)(sep - url)};
	rest = (char *)sep + 3;
	rlen = len - (int)(rest - url);
	if(lp_str_caseeq(&out->scheme, &LP_STR("sqlite"))) {
		/* sqlite:///abs/path.db: no authority, the path is the database */
		if(rlen < 2 || rest[0] != '/' || rest[rlen - 1] == '/')
			return LP_DB_EURL;
		out->database = (lp_str_t){rest, rlen};
		return 0;
	}
	if(url_parse_server(rest, rlen, out) < 0) {
		memset(out, 0, sizeof(*out));
		return LP_DB_EURL;
	}
	return 0;
}

static const lp_db_driver_t *driver_for_scheme(const lp_str_t *scheme)
{
	int i;

	for(i = 0; lp_db_drivers[i]; i++) {
		lp_str_t s = lp_str_c(lp_db_drivers[i]->scheme);
		if(lp_db_drivers[i]->version == LP_DB_DRIVER_VERSION
				&& lp_str_caseeq(&s, scheme))
			return lp_db_drivers[i];
	}
	return NULL;
}

const lp_db_driver_t *lp_db_driver_for(const char *url)
{
	lp_db_url_t u;

	if(lp_db_url_parse(url, &u) < 0)
		return NULL;
	return driver_for_scheme(&u.scheme);
}

/* (Re)open db->conn from db->url; 0 or LP_DB_ECONN. */
static int db_connect(lp_db_t *db)
{
	lp_db_url_t u;

	if(lp_db_url_parse(db->url, &u) < 0)
		return LP_DB_EURL;
	db->conn = db->drv->open(&u);
	return db->conn ? 0 : LP_DB_ECONN;
}

char *lp_db_url_redact(const char *url, char *buf, size_t n)
{
	const char *auth, *at, *colon;

	if(n == 0)
		return buf;
	if(url == NULL) {
		snprintf(buf, n, "(null)");
		return buf;
	}
	auth = strstr(url, "://");
	auth = auth ? auth + 3 : url;
	at = strrchr(auth, '@');
	colon = at ? memchr(auth, ':', at - auth) : NULL;
	if(colon == NULL)
		snprintf(buf, n, "%s", url);
	else
		snprintf(buf, n, "%.*s***%s", (int)(colon + 1 - url), url, at);
	return buf;
}

lp_db_t *lp_db_open(const char *url)
{
	char safe[256];

	lp_db_url_t u;
	lp_db_t *db;

	if(lp_db_url_parse(url, &u) < 0) {
		LP_ERR("db: malformed db_url '%s'",
				lp_db_url_redact(url, safe, sizeof(safe)));
		return NULL;
	}
	db = calloc(1, sizeof(*db));
	if(db == NULL || (db->url = strdup(url)) == NULL) {
		LP_ERR("db: out of memory");
		goto error;
	}
	db->drv = driver_for_scheme(&u.scheme);
	if(db->drv == NULL) {
		LP_ERR("db: no driver for scheme '%.*s'", LP_STR_FMT(u.scheme));
		goto error;
	}
	if(db_connect(db) < 0)
		goto error;
	return db;
error:
	lp_db_close(db);
	return NULL;
}

void lp_db_close(lp_db_t *db)
{
	if(db == NULL)
		return;
	if(db->conn)
		db->drv->close(db->conn);
	free(db->url);
	free(db);
}

static int db_ready(lp_db_t *db)
{
	if(db == NULL)
		return LP_DB_EGENERIC;
	if(db->conn == NULL)
		return db_connect(db);
	return 0;
}

/* Drop a lost connection so that the next call reopens it. */
static int db_after(lp_db_t *db, int rc)
{
	if(rc == LP_DB_ECONN && db->conn) {
		LP_WARN("db: connection to %s lost, reopening on next use",
				db->drv->name);
		db->drv->close(db->conn);
		db->conn = NULL;
		db->in_txn = 0;
	}
	return rc;
}

/* The end of a public DB call: tell the observer. */
static int db_done(lp_db_t *db, int rc)
{
	if(db && db->observe)
		db->observe(rc);
	return rc;
}

lp_db_t *lp_db_observe(lp_db_t *db, lp_db_observe_f observe)
{
	if(db)
		db->observe = observe;
	return db;
}

int lp_db_exec(lp_db_t *db, const char *sql, const lp_db_val_t *params,
		int nparams, lp_db_row_cb cb, void *ctx)
{
	int rc = db_ready(db), tries = db && !db->in_txn ? 3 : 1;

	if(rc < 0)
		return db_done(db, rc);
	do
		rc = db_after(db, db->drv->exec(db->conn, sql, params, nparams, cb, ctx));
	while(rc == LP_DB_EBUSY && --tries > 0 && db->conn);
	if(rc == LP_DB_EBUSY && !db->in_txn)
		LP_ERR("db: %s still locked or deadlocked after 3 tries, giving up "
			   "[%s]",
				db->drv->name, sql);
	return db_done(db, rc);
}

int lp_db_begin(lp_db_t *db)
{
	int rc = db_ready(db);

	if(rc < 0)
		return db_done(db, rc);
	rc = db_after(db, db->drv->begin(db->conn));
	db->in_txn = rc >= 0;
	return db_done(db, rc);
}

int lp_db_commit(lp_db_t *db)
{
	int rc = db_ready(db);

	if(rc < 0)
		return db_done(db, rc);
	db->in_txn = 0;
	return db_done(db, db_after(db, db->drv->commit(db->conn)));
}

int lp_db_rollback(lp_db_t *db)
{
	int rc = db_ready(db);

	if(rc < 0)
		return db_done(db, rc);
	db->in_txn = 0;
	return db_done(db, db_after(db, db->drv->rollback(db->conn)));
}

int lp_db_savepoint(lp_db_t *db, lp_db_sp_op_t op, const char *name)
{
	int rc = db_ready(db);

	if(rc < 0)
		return db_done(db, rc);
	if(!db->in_txn || !lp_db_is_identifier(name) || op < LP_DB_SP_SET
			|| op > LP_DB_SP_ROLLBACK_TO) {
		LP_ERR("db: savepoint '%s' outside a transaction or misnamed",
				name ? name : "");
		return db_done(db, LP_DB_EGENERIC);
	}
	return db_done(db, db_after(db, db->drv->savepoint(db->conn, op, name)));
}

/* The refusal log budget of this process (see lp_db_log_fail). */
static struct
{
	time_t start;
	int shown, hidden;
} lp_db_refusals;

/* 1 when a refusal may be logged now; reports the hidden ones of the
 * window that ended. */
static int refusal_may_log(void)
{
	time_t now = time(NULL);

	if(now - lp_db_refusals.start >= LP_DB_LOG_WINDOW
			|| now < lp_db_refusals.start) {
		if(lp_db_refusals.hidden > 0)
			LP_ERR("db: %d more refused values not logged in the last %d s",
					lp_db_refusals.hidden, LP_DB_LOG_WINDOW);
		lp_db_refusals.start = now;
		lp_db_refusals.shown = lp_db_refusals.hidden = 0;
	}
	if(lp_db_refusals.shown >= LP_DB_LOG_BURST) {
		lp_db_refusals.hidden++;
		return 0;
	}
	lp_db_refusals.shown++;
	return 1;
}

void lp_db_log_fail(int rc, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if(LP_DB_REFUSED(rc) && !refusal_may_log())
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if(rc == LP_DB_EBUSY)
		LP_WARN("%s", msg);
	else
		LP_ERR("%s", msg);
}

static int version_row(void *ctx, const lp_db_val_t *cols, int ncols)
{
	int *v = ctx;
	char buf[16];

	if(ncols < 1)
		return 1;
	if(cols[0].type == LP_DB_INT) {
		*v = (int)cols[0].v.i;
	} else if(cols[0].type == LP_DB_STR && cols[0].v.s.len < (int)sizeof(buf)) {
		memcpy(buf, cols[0].v.s.s, cols[0].v.s.len);
		buf[cols[0].v.s.len] = '\0';
		*v = atoi(buf);
	} else {
		*v = 0;
	}
	return 1;
}

/* Errors come back as the driver's code, except LP_DB_EGENERIC (-1, which
 * would read as "absent") that is reported as -2. */
int lp_db_table_version(lp_db_t *db, const char *table)
{
	lp_db_val_t p = LP_DB_VSTR(lp_str_c(table));
	int v = -1, rc;

	rc = lp_db_exec(db, "SELECT table_version FROM version WHERE table_name=?",
			&p, 1, version_row, &v);
	if(rc < 0)
		return rc < -1 ? rc : -2;
	return v;
}

int lp_db_check_version(lp_db_t *db, const char *table, int want)
{
	int v = lp_db_table_version(db, table);

	if(v == want)
		return 0;
	if(v < -1)
		LP_ERR("db: cannot read the version of table '%s' (error %d), "
			   "version %d wanted",
				table, v, want);
	else if(v == -1)
		LP_ERR("db: table '%s' has no row in the version table, version %d "
			   "wanted",
				table, want);
	else
		LP_ERR("db: table '%s' has version %d, version %d wanted (update the "
			   "database schema)",
				table, v, want);
	return -1;
}

int lp_db_is_identifier(const char *name)
{
	const char *p;

	if(!name || !*name || strlen(name) > 64)
		return 0;
	for(p = name; *p; p++)
		if(!isalnum((unsigned char)*p) && *p != '_')
			return 0;
	return 1;
}

char *lp_db_sql_for_table(const char *fmt, const char *table)
{
	char *s;

	if(!lp_db_is_identifier(table)) {
		LP_ERR("db: table name '%s' is not a plain identifier ([A-Za-z0-9_])",
				table ? table : "");
		return NULL;
	}
	return asprintf(&s, fmt, table) < 0 ? NULL : s;
}

lp_db_t *lp_db_for_process(lp_db_t **db, int *pid, const char *url)
{
	if(!url)
		return NULL;
	if(!*db || *pid != (int)getpid()) {
		*db = lp_db_open(url); /* the parent's connection is left alone */
		*pid = (int)getpid();
	}
	return *db;
}
