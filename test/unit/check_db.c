/* DB abstraction: db_url parsing, the sqlite driver on a temp file with the
 * project's schema (scripts/sqlite/presence-create.sql), version checks,
 * bound parameters (hostile text stored verbatim), NULLs, change counts, the
 * statement cache, constraint errors, transactions and two WAL connections. */
#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lp_db.h"
#include "lp_log.h"
#include "lp_test.h"

#define SCHEMA "../../scripts/sqlite/presence-create.sql"

static char db_path[64];
static char db_url[96];

static void remove_db(void)
{
	char p[80];

	unlink(db_path);
	snprintf(p, sizeof(p), "%s-wal", db_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db_path);
	unlink(p);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(fread(buf, 1, n, f), n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void apply_schema(const char *path)
{
	char *sql = read_file(SCHEMA), *err = NULL;
	sqlite3 *h;

	ck_assert_int_eq(sqlite3_open(path, &h), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(h, sql, NULL, NULL, &err) == SQLITE_OK, "%s",
			err ? err : "?");
	sqlite3_close(h);
	free(sql);
}

static void setup(void)
{
	int fd;

	lp_test_mem_install();
	lp_test_log_install();
	strcpy(db_path, "/tmp/lp_check_db_XXXXXX");
	fd = mkstemp(db_path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(db_url, sizeof(db_url), "sqlite://%s", db_path);
}

static void setup_schema(void)
{
	setup();
	apply_schema(db_path);
}

static void teardown(void)
{
	remove_db();
	lp_log_set(NULL);
}

/* ---- url parsing ---- */

#define ck_str(x, lit)                                                     \
	ck_assert_msg(lp_str_eq(&(x), &LP_STR(lit)), "%s: '%.*s' != '%s'", #x, \
			LP_STR_FMT(x), lit)

START_TEST(test_url_sqlite)
{
	lp_db_url_t u;

	ck_assert_int_eq(
			lp_db_url_parse("sqlite:///var/lib/kam/presence.db", &u), 0);
	ck_str(u.scheme, "sqlite");
	ck_str(u.database, "/var/lib/kam/presence.db");
	ck_assert_int_eq(u.host.len, 0);
	ck_assert_int_eq(u.user.len, 0);
	ck_assert_int_eq(u.port, 0);
	ck_assert_ptr_eq(lp_db_driver_for("sqlite:///x.db"), &lp_db_driver_sqlite);
}
END_TEST

START_TEST(test_url_server)
{
	lp_db_url_t u;

	ck_assert_int_eq(
			lp_db_url_parse(
					"postgres://kam:s3cr@t@db.example.com:5432/kamailio", &u),
			0);
	ck_str(u.scheme, "postgres");
	ck_str(u.user, "kam");
	ck_str(u.pass, "s3cr@t");
	ck_str(u.host, "db.example.com");
	ck_assert_int_eq(u.port, 5432);
	ck_str(u.database, "kamailio");

	ck_assert_int_eq(
			lp_db_url_parse("mysql://kamailio:pw@localhost/kam", &u), 0);
	ck_str(u.scheme, "mysql");
	ck_str(u.user, "kamailio");
	ck_str(u.pass, "pw");
	ck_str(u.host, "localhost");
	ck_assert_int_eq(u.port, 0);
	ck_str(u.database, "kam");

	ck_assert_int_eq(lp_db_url_parse("mysql://dbhost/kam", &u), 0);
	ck_assert_int_eq(u.user.len, 0);
	ck_assert_int_eq(u.pass.len, 0);
	ck_str(u.host, "dbhost");

	ck_assert_int_eq(lp_db_url_parse("postgres://kam@10.0.0.1:6543/k", &u), 0);
	ck_str(u.user, "kam");
	ck_assert_int_eq(u.pass.len, 0);
	ck_str(u.host, "10.0.0.1");
	ck_assert_int_eq(u.port, 6543);

	ck_assert_int_eq(lp_db_url_parse("postgres://[::1]:5432/k", &u), 0);
	ck_str(u.host, "::1");
	ck_assert_int_eq(u.port, 5432);

	/* every scheme of Kamailio's db_url forms has a driver */
	ck_assert_ptr_nonnull(lp_db_driver_for("mysql://u:p@h/db"));
	ck_assert_ptr_nonnull(lp_db_driver_for("postgres://u:p@h/db"));
	ck_assert_ptr_null(lp_db_driver_for("oracle://u:p@h/db"));
}
END_TEST

START_TEST(test_url_redact)
{
	char b[128];

	ck_assert_str_eq(lp_db_url_redact("postgres://u:secret@h:5432/db", b,
							 sizeof(b)),
			"postgres://u:***@h:5432/db");
	ck_assert_str_eq(lp_db_url_redact("mysql://u:se:cr@et@h/db", b, sizeof(b)),
			"mysql://u:***@h/db");
	/* malformed urls are redacted too: they are what gets logged */
	ck_assert_str_eq(lp_db_url_redact("postgres://u:secret@", b, sizeof(b)),
			"postgres://u:***@");
	ck_assert_str_eq(lp_db_url_redact("u:secret@host", b, sizeof(b)),
			"u:***@host");
	ck_assert_str_eq(lp_db_url_redact("sqlite:///tmp/x.db", b, sizeof(b)),
			"sqlite:///tmp/x.db");
	ck_assert_str_eq(lp_db_url_redact("postgres://u@h/db", b, sizeof(b)),
			"postgres://u@h/db");
	ck_assert_str_eq(lp_db_url_redact(NULL, b, sizeof(b)), "(null)");
	ck_assert_str_eq(lp_db_url_redact("postgres://u:secret@h/db", b, 12),
			"postgres://");
}
END_TEST

START_TEST(test_open_malformed_logs_no_password)
{
	lp_test_log_install();
	ck_assert_ptr_null(lp_db_open("postgres://kam:hunter2@host:99999/db"));
	ck_assert_ptr_null(strstr(lp_test_log_last(), "hunter2"));
	ck_assert_ptr_nonnull(strstr(lp_test_log_last(), "kam:***@"));
}
END_TEST

START_TEST(test_url_malformed)
{
	static const char *bad[] = {
			"",
			"sqlite",
			"sqlite:/tmp/x.db",
			"://host/db",
			"sqlite://relative.db",
			"sqlite://",
			"sqlite:///",
			"sqlite:///tmp/dir/",
			"sqlite:///tmp/a b.db",
			"postgres://host",
			"postgres://host/",
			"postgres:///db",
			"postgres://user:pw@/db",
			"postgres://:pw@host/db",
			"postgres://host:/db",
			"postgres://host:0/db",
			"postgres://host:65536/db",
			"postgres://host:54x2/db",
			"postgres://host:5432:1/db",
			"postgres://host/db/extra",
			"postgres://[::1/db",
			"my sql://h/db",
			NULL,
	};
	lp_db_url_t u;
	int i;

	for(i = 0; bad[i]; i++)
		ck_assert_msg(lp_db_url_parse(bad[i], &u) == LP_DB_EURL,
				"accepted '%s'", bad[i]);
	ck_assert_int_eq(lp_db_url_parse(NULL, &u), LP_DB_EURL);
	ck_assert_ptr_null(lp_db_driver_for("oracle://u:p@h/db"));
	ck_assert_ptr_null(lp_db_open("oracle://u:p@h/db"));
	ck_assert_ptr_null(lp_db_open("sqlite://nope"));
	ck_assert_int_gt(lp_test_log_count(), 0);
}
END_TEST

/* ---- sqlite driver ---- */

START_TEST(test_open_missing_file)
{
	ck_assert_ptr_null(lp_db_open("sqlite:///nonexistent/dir/presence.db"));
	ck_assert_ptr_nonnull(strstr(lp_test_log_last(), "/nonexistent/dir"));
}
END_TEST

static int get_text(void *ctx, const lp_db_val_t *cols, int ncols)
{
	char *out = ctx;

	ck_assert_int_eq(ncols, 1);
	ck_assert_int_eq(cols[0].type, LP_DB_STR);
	snprintf(out, 64, "%.*s", LP_STR_FMT(cols[0].v.s));
	return 0;
}

START_TEST(test_open_wal)
{
	lp_db_t *db = lp_db_open(db_url);
	char mode[64] = "";

	ck_assert_ptr_nonnull(db);
	ck_assert_ptr_eq(db->drv, &lp_db_driver_sqlite);
	ck_assert_int_eq(
			lp_db_exec(db, "PRAGMA journal_mode", NULL, 0, get_text, mode), 1);
	ck_assert_str_eq(mode, "wal");
	lp_db_close(db);
}
END_TEST

START_TEST(test_schema_twice_and_versions)
{
	lp_db_t *db;

	apply_schema(db_path); /* second time: idempotent */
	db = lp_db_open(db_url);
	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(lp_db_table_version(db, "presentity"), 5);
	ck_assert_int_eq(lp_db_table_version(db, "active_watchers"), 12);
	ck_assert_int_eq(lp_db_table_version(db, "watchers"), 3);
	ck_assert_int_eq(lp_db_table_version(db, "xcap"), 4);
	ck_assert_int_eq(lp_db_table_version(db, "pua"), 7);
	ck_assert_int_eq(lp_db_table_version(db, "version"), 1);
	ck_assert_int_eq(lp_db_table_version(db, "nosuch"), -1);
	ck_assert_int_eq(
			lp_db_exec(db, "SELECT count(*) FROM version", NULL, 0, NULL, NULL),
			1);
	lp_db_close(db);
}
END_TEST

START_TEST(test_check_version)
{
	lp_db_t *db = lp_db_open(db_url);
	int n;

	ck_assert_ptr_nonnull(db);
	n = lp_test_log_count();
	ck_assert_int_eq(lp_db_check_version(db, "presentity", 5), 0);
	ck_assert_int_eq(lp_test_log_count(), n);

	ck_assert_int_eq(lp_db_check_version(db, "presentity", 6), -1);
	ck_assert_str_eq(lp_test_log_last(),
			"db: table 'presentity' has version 5, version 6 wanted (update "
			"the database schema)");

	ck_assert_int_eq(lp_db_check_version(db, "rls_presentity", 1), -1);
	ck_assert_str_eq(lp_test_log_last(),
			"db: table 'rls_presentity' has no row in the version table, "
			"version 1 wanted");

	ck_assert_int_eq(
			lp_db_exec(db, "DROP TABLE version", NULL, 0, NULL, NULL), 0);
	ck_assert_int_lt(lp_db_table_version(db, "presentity"), -1);
	ck_assert_int_eq(lp_db_check_version(db, "presentity", 5), -1);
	ck_assert_ptr_nonnull(strstr(lp_test_log_last(),
			"cannot read the version of table 'presentity'"));
	lp_db_close(db);
}
END_TEST

static const char *const INS_PRES =
		"INSERT INTO presentity (username, domain, event, etag, expires, "
		"received_time, body, sender, priority, ruid) "
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

static int ins_pres(
		lp_db_t *db, const char *user, const char *etag, const char *ruid)
{
	static const char body[] = "<presence>\0binary</presence>";
	lp_db_val_t p[10] = {
			LP_DB_VSTR(lp_str_c(user)),
			LP_DB_VSTR(LP_STR("example.com")),
			LP_DB_VSTR(LP_STR("presence")),
			LP_DB_VSTR(lp_str_c(etag)),
			LP_DB_VINT(1700000000LL),
			LP_DB_VINT(4102444800LL), /* beyond 32 bits */
			{.type = LP_DB_BLOB, .v.s = {(char *)body, sizeof(body) - 1}},
			LP_DB_VSTR(LP_STR("")),
			LP_DB_VINT(-3),
			ruid ? LP_DB_VSTR(lp_str_c(ruid)) : LP_DB_VNULL,
	};

	return lp_db_exec(db, INS_PRES, p, 10, NULL, NULL);
}

typedef struct pres_row
{
	char user[128], etag[64], sender[8], ruid[32];
	int ruid_null, nrows;
	long long expires, received, priority;
	lp_db_val_t body;
	char bodybuf[64];
} pres_row_t;

static void copy_str(char *dst, size_t size, const lp_db_val_t *v)
{
	ck_assert_int_eq(v->type, LP_DB_STR);
	ck_assert_uint_lt((size_t)v->v.s.len, size);
	memcpy(dst, v->v.s.s, v->v.s.len);
	dst[v->v.s.len] = '\0';
}

static int pres_row(void *ctx, const lp_db_val_t *cols, int ncols)
{
	pres_row_t *r = ctx;

	ck_assert_int_eq(ncols, 8);
	copy_str(r->user, sizeof(r->user), &cols[0]);
	copy_str(r->etag, sizeof(r->etag), &cols[1]);
	ck_assert_int_eq(cols[2].type, LP_DB_INT);
	r->expires = cols[2].v.i;
	r->received = cols[3].v.i;
	ck_assert_int_eq(cols[4].type, LP_DB_BLOB);
	ck_assert_int_lt(cols[4].v.s.len, (int)sizeof(r->bodybuf));
	memcpy(r->bodybuf, cols[4].v.s.s, cols[4].v.s.len);
	r->body = cols[4];
	r->body.v.s.s = r->bodybuf;
	copy_str(r->sender, sizeof(r->sender), &cols[5]);
	r->priority = cols[6].v.i;
	r->ruid_null = cols[7].type == LP_DB_NULL;
	if(!r->ruid_null)
		copy_str(r->ruid, sizeof(r->ruid), &cols[7]);
	r->nrows++;
	return 0;
}

static const char *const SEL_PRES =
		"SELECT username, etag, expires, received_time, body, sender, "
		"priority, ruid FROM presentity WHERE username = ? AND domain = ?";

static int sel_pres(lp_db_t *db, const char *user, pres_row_t *r)
{
	lp_db_val_t p[2] = {
			LP_DB_VSTR(lp_str_c(user)), LP_DB_VSTR(LP_STR("example.com"))};

	memset(r, 0, sizeof(*r));
	return lp_db_exec(db, SEL_PRES, p, 2, pres_row, r);
}

START_TEST(test_roundtrip_hostile_text)
{
	static const char evil[] = "o'brien\"; '; DROP TABLE presentity; --";
	lp_db_t *db = lp_db_open(db_url);
	pres_row_t r;

	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(ins_pres(db, evil, "e1'--", "r'1"), 1);
	ck_assert_int_eq(ins_pres(db, "alice", "e2", NULL), 1);
	ck_assert_int_eq(sel_pres(db, evil, &r), 1);
	ck_assert_int_eq(r.nrows, 1);
	ck_assert_str_eq(r.user, evil);
	ck_assert_str_eq(r.etag, "e1'--");
	ck_assert_int_eq(r.expires, 1700000000LL);
	ck_assert_int_eq(r.received, 4102444800LL);
	ck_assert_int_eq(r.body.v.s.len, 28);
	ck_assert_mem_eq(r.bodybuf, "<presence>\0binary</presence>", 28);
	ck_assert_str_eq(r.sender, "");
	ck_assert_int_eq(r.priority, -3);
	ck_assert_int_eq(r.ruid_null, 0);
	ck_assert_str_eq(r.ruid, "r'1");

	ck_assert_int_eq(sel_pres(db, "alice", &r), 1);
	ck_assert_int_eq(r.ruid_null, 1);
	/* the table survived and holds both rows */
	ck_assert_int_eq(
			lp_db_exec(db, "SELECT id FROM presentity", NULL, 0, NULL, NULL),
			2);
	ck_assert_int_eq(sel_pres(db, "nobody", &r), 0);
	lp_db_close(db);
}
END_TEST

START_TEST(test_changes_and_ddl)
{
	lp_db_t *db = lp_db_open(db_url);
	lp_db_val_t p[2];
	int i;

	ck_assert_ptr_nonnull(db);
	for(i = 0; i < 5; i++) {
		char u[16];
		snprintf(u, sizeof(u), "u%d", i);
		ck_assert_int_eq(ins_pres(db, u, "e", NULL), 1);
	}
	p[0] = LP_DB_VINT(42);
	p[1] = LP_DB_VSTR(LP_STR("u%"));
	ck_assert_int_eq(lp_db_exec(db,
							 "UPDATE presentity SET expires = ? WHERE "
							 "username LIKE ?",
							 p, 2, NULL, NULL),
			5);
	p[1] = LP_DB_VSTR(LP_STR("nomatch"));
	ck_assert_int_eq(lp_db_exec(db,
							 "UPDATE presentity SET expires = ? WHERE "
							 "username LIKE ?",
							 p, 2, NULL, NULL),
			0);
	/* DDL does not report the previous DML's count */
	ck_assert_int_eq(
			lp_db_exec(db, "CREATE TABLE t (a INTEGER)", NULL, 0, NULL, NULL),
			0);
	p[0] = LP_DB_VINT(3);
	ck_assert_int_eq(lp_db_exec(db, "DELETE FROM presentity WHERE id <= ?", p,
							 1, NULL, NULL),
			3);
	/* wrong parameter count, two statements, bad SQL: errors, logged */
	ck_assert_int_eq(lp_db_exec(db, "DELETE FROM presentity WHERE id <= ?",
							 NULL, 0, NULL, NULL),
			LP_DB_EGENERIC);
	ck_assert_int_eq(lp_db_exec(db, "SELECT 1; DROP TABLE presentity", NULL, 0,
							 NULL, NULL),
			LP_DB_EGENERIC);
	ck_assert_int_eq(lp_db_exec(db, "SELEC nothing", NULL, 0, NULL, NULL),
			LP_DB_EGENERIC);
	ck_assert_ptr_nonnull(strstr(lp_test_log_last(), "syntax error"));
	ck_assert_int_eq(
			lp_db_exec(db, "SELECT id FROM presentity", NULL, 0, NULL, NULL),
			2);
	lp_db_close(db);
}
END_TEST

static int stop_after_two(void *ctx, const lp_db_val_t *cols, int ncols)
{
	long long *sum = ctx;

	*sum += cols[0].v.i;
	return cols[0].v.i >= 2;
}

static int nested_select(void *ctx, const lp_db_val_t *cols, int ncols)
{
	lp_db_t *db = ctx;
	lp_db_val_t p = cols[0];

	/* the same SQL while its cached statement is stepping */
	ck_assert_int_eq(lp_db_exec(db, "SELECT id FROM presentity WHERE id >= ?",
							 &p, 1, NULL, NULL),
			4 - (int)cols[0].v.i);
	return 0;
}

START_TEST(test_statement_cache)
{
	lp_db_t *db = lp_db_open(db_url);
	lp_db_val_t p = LP_DB_VINT(1);
	long long sum = 0;
	pres_row_t r;
	int i;

	ck_assert_ptr_nonnull(db);
	for(i = 0; i < 3; i++) {
		char u[16];
		snprintf(u, sizeof(u), "c%d", i);
		ck_assert_int_eq(ins_pres(db, u, "e", NULL), 1);
	}
	for(i = 0; i < 1000; i++) {
		ck_assert_int_eq(sel_pres(db, i % 2 ? "c1" : "c2", &r), 1);
		ck_assert_str_eq(r.user, i % 2 ? "c1" : "c2");
	}
	/* the cache keys on the text, not the pointer */
	{
		char sql[128];
		strcpy(sql, SEL_PRES);
		ck_assert_int_eq(lp_db_exec(db, sql,
								 (lp_db_val_t[]){LP_DB_VSTR(LP_STR("c0")),
										 LP_DB_VSTR(LP_STR("example.com"))},
								 2, NULL, NULL),
				1);
	}
	/* a callback that stops early leaves the statement reusable */
	ck_assert_int_eq(lp_db_exec(db, "SELECT id FROM presentity WHERE id >= ?",
							 &p, 1, stop_after_two, &sum),
			2);
	ck_assert_int_eq(sum, 3);
	ck_assert_int_eq(lp_db_exec(db, "SELECT id FROM presentity WHERE id >= ?",
							 &p, 1, nested_select, db),
			3);
	lp_db_close(db);
}
END_TEST

START_TEST(test_constraint)
{
	lp_db_t *db = lp_db_open(db_url);
	lp_db_val_t p[2] = {LP_DB_VSTR(LP_STR("x")), LP_DB_VINT(9)};

	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(ins_pres(db, "bob", "e1", "ruid-1"), 1);
	ck_assert_int_eq(ins_pres(db, "bob", "e1", "ruid-2"), LP_DB_ECONSTRAINT);
	ck_assert_ptr_nonnull(strstr(lp_test_log_last(), "UNIQUE"));
	ck_assert_int_eq(ins_pres(db, "bob", "e2", "ruid-1"), LP_DB_ECONSTRAINT);
	ck_assert_int_eq(lp_db_exec(db,
							 "INSERT INTO version (table_name, table_version) "
							 "VALUES (?, ?)",
							 p, 2, NULL, NULL),
			1);
	p[0] = LP_DB_VNULL; /* NOT NULL violation */
	ck_assert_int_eq(lp_db_exec(db,
							 "INSERT INTO version (table_name, table_version) "
							 "VALUES (?, ?)",
							 p, 2, NULL, NULL),
			LP_DB_ECONSTRAINT);
	ck_assert_int_eq(ins_pres(db, "bob", "e2", "ruid-2"), 1);
	lp_db_close(db);
}
END_TEST

START_TEST(test_rollback)
{
	lp_db_t *db = lp_db_open(db_url);

	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(ins_pres(db, "keep", "e", NULL), 1);
	ck_assert_int_eq(lp_db_begin(db), 0);
	ck_assert_int_eq(ins_pres(db, "gone1", "e", NULL), 1);
	ck_assert_int_eq(ins_pres(db, "gone2", "e", NULL), 1);
	ck_assert_int_eq(lp_db_exec(db, "DELETE FROM presentity WHERE username = ?",
							 &LP_DB_VSTR(LP_STR("keep")), 1, NULL, NULL),
			1);
	ck_assert_int_eq(lp_db_rollback(db), 0);
	ck_assert_int_eq(lp_db_exec(db, "SELECT username FROM presentity", NULL, 0,
							 NULL, NULL),
			1);
	ck_assert_int_eq(lp_db_begin(db), 0);
	ck_assert_int_eq(ins_pres(db, "kept", "e", NULL), 1);
	ck_assert_int_eq(lp_db_commit(db), 0);
	ck_assert_int_eq(lp_db_exec(db, "SELECT username FROM presentity", NULL, 0,
							 NULL, NULL),
			2);
	/* commit without a transaction is an error, not a crash */
	ck_assert_int_lt(lp_db_commit(db), 0);
	lp_db_close(db);
}
END_TEST

static int count_rows(lp_db_t *db)
{
	return lp_db_exec(db, "SELECT id FROM presentity", NULL, 0, NULL, NULL);
}

START_TEST(test_two_connections_wal)
{
	lp_db_t *w = lp_db_open(db_url), *r = lp_db_open(db_url);

	ck_assert_ptr_nonnull(w);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(ins_pres(w, "first", "e", NULL), 1);
	ck_assert_int_eq(count_rows(r), 1);

	ck_assert_int_eq(lp_db_begin(w), 0);
	ck_assert_int_eq(ins_pres(w, "second", "e", NULL), 1);
	/* the reader is not blocked and sees only committed rows */
	ck_assert_int_eq(count_rows(r), 1);
	ck_assert_int_eq(count_rows(w), 2);
	ck_assert_int_eq(lp_db_commit(w), 0);
	ck_assert_int_eq(count_rows(r), 2);

	/* and the other way round */
	ck_assert_int_eq(lp_db_begin(r), 0);
	ck_assert_int_eq(ins_pres(r, "third", "e", NULL), 1);
	ck_assert_int_eq(count_rows(w), 2);
	ck_assert_int_eq(lp_db_commit(r), 0);
	ck_assert_int_eq(count_rows(w), 3);
	lp_db_close(w);
	lp_db_close(r);
}
END_TEST

Suite *db_suite(void)
{
	Suite *s = suite_create("db");
	TCase *url = tcase_create("url");
	TCase *sq = tcase_create("sqlite");
	TCase *nos = tcase_create("sqlite-noschema");

	tcase_add_checked_fixture(url, setup, teardown);
	tcase_add_test(url, test_url_sqlite);
	tcase_add_test(url, test_url_server);
	tcase_add_test(url, test_url_malformed);
	tcase_add_test(url, test_url_redact);
	tcase_add_test(url, test_open_malformed_logs_no_password);
	suite_add_tcase(s, url);

	tcase_add_checked_fixture(nos, setup, teardown);
	tcase_add_test(nos, test_open_missing_file);
	tcase_add_test(nos, test_open_wal);
	suite_add_tcase(s, nos);

	tcase_add_checked_fixture(sq, setup_schema, teardown);
	tcase_add_test(sq, test_schema_twice_and_versions);
	tcase_add_test(sq, test_check_version);
	tcase_add_test(sq, test_roundtrip_hostile_text);
	tcase_add_test(sq, test_changes_and_ddl);
	tcase_add_test(sq, test_statement_cache);
	tcase_add_test(sq, test_constraint);
	tcase_add_test(sq, test_rollback);
	tcase_add_test(sq, test_two_connections_wal);
	suite_add_tcase(s, sq);
	return s;
}
