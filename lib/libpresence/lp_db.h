/* DB abstraction of libpresence: one const ops table per driver (sqlite now,
 * postgres and mysql next), picked by the scheme of a Kamailio-style db_url
 * ("sqlite:///abs/path.db", "postgres://user:pass@host:port/db",
 * "mysql://user:pass@host:port/db").
 *
 * Callers write SQL with `?` placeholders and pass values as an array; every
 * statement is prepared once per connection and cached by the driver (keyed
 * by the SQL text), then bound and run: no value is ever spliced into SQL
 * text. One lp_db_t is one connection; each Kamailio worker opens its own in
 * child_init. A connection is not shared between threads or processes. */
#ifndef LP_DB_H
#define LP_DB_H

#include "lp_str.h"

typedef enum lp_db_type {
	LP_DB_NULL = 0,
	LP_DB_INT,	/* 64-bit integer */
	LP_DB_STR,	/* text; v.s need not be NUL-terminated */
	LP_DB_BLOB, /* bytes; v.s */
} lp_db_type_t;

typedef struct lp_db_val {
	lp_db_type_t type;
	union
	{
		long long i;
		lp_str_t s;
	} v;
} lp_db_val_t;

#define LP_DB_VINT(x) ((lp_db_val_t){.type = LP_DB_INT, .v.i = (x)})
#define LP_DB_VSTR(x) ((lp_db_val_t){.type = LP_DB_STR, .v.s = (x)})
#define LP_DB_VNULL ((lp_db_val_t){.type = LP_DB_NULL})

/* Error codes (negative). */
enum lp_db_err {
	LP_DB_OK = 0,
	LP_DB_EGENERIC = -1,
	LP_DB_ENOMEM = -2,
	LP_DB_ECONN = -3,		/* connection lost; reopened on next use */
	LP_DB_EBUSY = -4,		/* locked past the busy timeout */
	LP_DB_ECONSTRAINT = -5, /* unique / not-null violation */
	LP_DB_EURL = -6,		/* bad or unsupported db_url */
	LP_DB_EDATA = -7, /* a value refused: too long for its column, not
						 valid in the encoding, out of range */
};

/* A statement that failed with one of these will fail again with the same
 * values: the row is at fault, not the database (skip it, do not retry). */
#define LP_DB_REFUSED(rc) ((rc) == LP_DB_ECONSTRAINT || (rc) == LP_DB_EDATA)

/* Savepoint operations (lp_db_driver_t.savepoint). */
typedef enum lp_db_sp_op {
	LP_DB_SP_SET = 0,	  /* SAVEPOINT name */
	LP_DB_SP_RELEASE,	  /* RELEASE SAVEPOINT name */
	LP_DB_SP_ROLLBACK_TO, /* ROLLBACK TO SAVEPOINT name (it stays set) */
} lp_db_sp_op_t;

typedef struct lp_db_url {
	lp_str_t scheme; /* "sqlite", "postgres", "mysql" */
	lp_str_t user, pass, host;
	int port; /* 0 when absent */
	lp_str_t database; /* for sqlite: the file path ("/abs/path.db") */
} lp_db_url_t;

/* Split url into parts pointing inside url (no allocation). 0 or LP_DB_EURL. */
int lp_db_url_parse(const char *url, lp_db_url_t *out);

/* lp_db_url_redact: url, safe to log: the password of its user part (the
 * text between the first ':' after "scheme://" and the last '@') becomes
 * "***", even when the rest of the url is malformed. Writes at most n bytes
 * (NUL included) to buf and returns buf; a NULL url gives "(null)". */
char *lp_db_url_redact(const char *url, char *buf, size_t n);

/* A result row handed to a row callback. The values point into driver memory
 * valid only during the callback: copy what must outlive it. Return 0 to go
 * on, non-zero to stop reading rows (not an error). */
typedef int (*lp_db_row_cb)(void *ctx, const lp_db_val_t *cols, int ncols);

typedef struct lp_db_conn lp_db_conn_t; /* the driver's own */

typedef struct lp_db_driver {
	const char *name;	/* "sqlite" */
	const char *scheme; /* db_url scheme it serves */
	int version;		/* LP_DB_DRIVER_VERSION */
	unsigned int caps;	/* LP_DB_CAP_* */
	/* Open a connection; NULL on error (logged). */
	lp_db_conn_t *(*open)(const lp_db_url_t *url);
	void (*close)(lp_db_conn_t *c);
	/* Prepare (or take from the cache), bind params, run; call cb for each
	 * row when cb is not NULL. Returns rows changed (DML) or rows read
	 * (SELECT), or a negative lp_db_err. */
	int (*exec)(lp_db_conn_t *c, const char *sql, const lp_db_val_t *params,
			int nparams, lp_db_row_cb cb, void *ctx);
	int (*begin)(lp_db_conn_t *c);
	int (*commit)(lp_db_conn_t *c);
	int (*rollback)(lp_db_conn_t *c);
	/* Inside a transaction: set, release or roll back to the savepoint
	 * name (an identifier, checked by lp_db.c). 0 or a negative lp_db_err.
	 * Since version 2. */
	int (*savepoint)(lp_db_conn_t *c, lp_db_sp_op_t op, const char *name);
} lp_db_driver_t;

#define LP_DB_DRIVER_VERSION 2
#define LP_DB_CAP_UPSERT 0x1 /* INSERT ... ON CONFLICT ... DO UPDATE */

extern const lp_db_driver_t lp_db_driver_sqlite;
extern const lp_db_driver_t lp_db_driver_postgres; /* lp_db_pg.c, libpq */
extern const lp_db_driver_t lp_db_driver_mysql; /* lp_db_mysql.c */

/* Told of every lp_db_exec, lp_db_begin, lp_db_commit and lp_db_rollback
 * once it is over, with its result (negative: it failed); a module's
 * statistics count DB operations and errors with it. */
typedef void (*lp_db_observe_f)(int rc);

/* A connection: driver + its handle + the url it was opened with. */
typedef struct lp_db {
	const lp_db_driver_t *drv;
	lp_db_conn_t *conn;
	char *url;	/* owned copy */
	int in_txn; /* between lp_db_begin and lp_db_commit/rollback */
	lp_db_observe_f observe; /* NULL: none (lp_db_observe sets it) */
} lp_db_t;

/* Driver serving url's scheme, or NULL. */
const lp_db_driver_t *lp_db_driver_for(const char *url);

/* Open url with the matching driver. NULL on error (logged); memory from
 * malloc (process-private, never shm). */
lp_db_t *lp_db_open(const char *url);
void lp_db_close(lp_db_t *db);

/* Wrappers over the driver ops; see lp_db_driver_t. A connection error
 * (LP_DB_ECONN) closes the handle and the next call reopens it. A statement
 * outside a transaction that the server rolled back to break a deadlock
 * (LP_DB_EBUSY) is run again, twice at most (each refusal is a warning,
 * giving up an error); inside a transaction the caller must retry the
 * whole transaction, and log an error only when it gives up. */
int lp_db_exec(lp_db_t *db, const char *sql, const lp_db_val_t *params,
		int nparams, lp_db_row_cb cb, void *ctx);
int lp_db_begin(lp_db_t *db);
int lp_db_commit(lp_db_t *db);
int lp_db_rollback(lp_db_t *db);

/* lp_db_savepoint: inside a transaction (lp_db_begin), set, release or roll
 * back to the savepoint name ([A-Za-z0-9_]); a statement that fails between
 * SAVEPOINT and ROLLBACK TO leaves the rest of the transaction usable on
 * every engine (PostgreSQL otherwise aborts the whole transaction). 0, or a
 * negative lp_db_err (LP_DB_EGENERIC outside a transaction or for a bad
 * name, logged). */
int lp_db_savepoint(lp_db_t *db, lp_db_sp_op_t op, const char *name);

/* lp_db_log_fail: how drivers log a failed statement, by its class: a lock
 * or deadlock the caller may retry (LP_DB_EBUSY) as a warning (the caller
 * logs the error when it gives up); a value the DB refuses
 * (LP_DB_REFUSED) as an error at most LP_DB_LOG_BURST times per
 * LP_DB_LOG_WINDOW seconds per process (the rest are counted and reported
 * in one line when the next window opens), since a client chooses those
 * values; anything else as an error. */
#define LP_DB_LOG_BURST 10
#define LP_DB_LOG_WINDOW 60
void lp_db_log_fail(int rc, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));

/* 1 when name can stand as a table name in SQL text: [A-Za-z0-9_], 1 to
 * 64 characters (table names cannot be bound parameters). */
int lp_db_is_identifier(const char *name);

/* asprintf(fmt, table) for a statement naming a configured table: a
 * malloc'd string, or NULL when the table is not an identifier (logged) or
 * memory runs out. fmt holds exactly one %s. */
char *lp_db_sql_for_table(const char *fmt, const char *table);

/* The connection of the calling process for url: opened on first use and
 * again after a fork, since a connection inherited from the parent must
 * never be used. *db and *pid are the caller's slot (its state struct);
 * NULL when url is NULL or the open fails (logged). */
lp_db_t *lp_db_for_process(lp_db_t **db, int *pid, const char *url);

/* Set db's observer (NULL: none) and return db; db may be NULL (returns
 * NULL), so it wraps lp_db_for_process: the observer of a connection
 * reopened after a fork is set again on the next call. */
lp_db_t *lp_db_observe(lp_db_t *db, lp_db_observe_f observe);

/* Version of `table` in the `version` table; -1 if absent, <-1 on error. */
int lp_db_table_version(lp_db_t *db, const char *table);

/* 0 if `table` has version `want`; otherwise logs a clear error naming the
 * table, the version found and the one wanted, and returns -1. */
int lp_db_check_version(lp_db_t *db, const char *table, int want);

#endif
