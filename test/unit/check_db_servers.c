/* DB abstraction on real servers: the driver contract of check_db.c (bound
 * hostile text, NULLs, byte-exact BLOBs, change counts, the statement cache,
 * constraint errors, transactions, version checks) run against PostgreSQL
 * and MariaDB/MySQL, plus what only servers have: the two upsert shapes
 * giving the same rows and counts on each engine (MySQL through the driver's
 * ON CONFLICT translation) and a session killed on the server side being
 * reported as LP_DB_ECONN and reopened on the next call. The servers come
 * from LP_TEST_PG_URL / LP_TEST_MY_URL (test/db/run.sh starts private ones);
 * an engine whose variable is unset is skipped with a notice. Every test
 * starts from a freshly loaded scripts/<engine>/presence-create.sql. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lp_db.h"
#include "lp_log.h"
#include "lp_test.h"

typedef struct srv
{
	const char *name; /* TCase name */
	const char *env;
	const char *schema;
	const lp_db_driver_t *drv;
} srv_t;

static const srv_t srv_pg = {"postgres", "LP_TEST_PG_URL",
		"../../scripts/postgres/presence-create.sql", &lp_db_driver_postgres};
static const srv_t srv_my = {"mysql", "LP_TEST_MY_URL",
		"../../scripts/mysql/presence-create.sql", &lp_db_driver_mysql};

static const srv_t *srv; /* engine of the running test */
static const char *url;

#define IS_MY (srv == &srv_my)

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

/* Run a schema file statement by statement (each ends with ';' at the end
 * of a line; "--" lines are comments), through the driver itself. */
static void apply_schema(lp_db_t *db, const char *path)
{
	char *sql = read_file(path), *line, *save = NULL, *stmt;
	size_t len = 0;

	stmt = calloc(1, strlen(sql) + 1);
	ck_assert_ptr_nonnull(stmt);
	for(line = strtok_r(sql, "\n", &save); line;
			line = strtok_r(NULL, "\n", &save)) {
		size_t n = strlen(line);
		if(strncmp(line, "--", 2) == 0)
			continue;
		memcpy(stmt + len, line, n);
		len += n;
		stmt[len++] = ' ';
		if(n > 0 && line[n - 1] == ';') {
			stmt[len - 2] = '\0';
			ck_assert_msg(lp_db_exec(db, stmt, NULL, 0, NULL, NULL) >= 0,
					"%s: %s", stmt, lp_test_log_last());
			len = 0;
		}
	}
	free(stmt);
	free(sql);
}

static void setup(const srv_t *s)
{
	lp_db_t *db;

	lp_test_mem_install();
	lp_test_log_install();
	srv = s;
	url = getenv(s->env);
	ck_assert_ptr_nonnull(url);
	db = lp_db_open(url);
	ck_assert_msg(db != NULL, "cannot open %s: %s", url, lp_test_log_last());
	ck_assert_ptr_eq(db->drv, s->drv);
	ck_assert_int_ge(lp_db_exec(db,
							 "DROP TABLE IF EXISTS version, presentity, "
							 "active_watchers, watchers, xcap, pua, t",
							 NULL, 0, NULL, NULL),
			0);
	apply_schema(db, s->schema);
	lp_db_close(db);
}

static void setup_pg(void)
{
	setup(&srv_pg);
}

static void setup_my(void)
{
	setup(&srv_my);
}

static void teardown(void)
{
	lp_log_set(NULL);
}

static lp_db_t *open_db(void)
{
	lp_db_t *db = lp_db_open(url);

	ck_assert_msg(db != NULL, "cannot open %s: %s", url, lp_test_log_last());
	return db;
}

/* ---- url forms (no server needed) ---- */

#define ck_str(x, lit)                                                     \
	ck_assert_msg(lp_str_eq(&(x), &LP_STR(lit)), "%s: '%.*s' != '%s'", #x, \
			LP_STR_FMT(x), lit)

START_TEST(test_url_drivers)
{
	lp_db_url_t u;

	ck_assert_int_eq(lp_db_url_parse("postgres://kamailio:kamailiorw@"
									 "127.0.0.1:25432/kamailio_test",
							 &u),
			0);
	ck_str(u.user, "kamailio");
	ck_str(u.pass, "kamailiorw");
	ck_str(u.host, "127.0.0.1");
	ck_assert_int_eq(u.port, 25432);
	ck_str(u.database, "kamailio_test");
	ck_assert_int_eq(
			lp_db_url_parse("mysql://kamailio:p:w@[::1]:3306/k", &u), 0);
	ck_str(u.pass, "p:w");
	ck_str(u.host, "::1");
	ck_assert_ptr_eq(lp_db_driver_for("postgres://u:p@h:5432/db"),
			&lp_db_driver_postgres);
	ck_assert_ptr_eq(
			lp_db_driver_for("POSTGRES://u:p@h/db"), &lp_db_driver_postgres);
	ck_assert_ptr_eq(lp_db_driver_for("mysql://u:p@h/db"), &lp_db_driver_mysql);
	ck_assert_ptr_eq(lp_db_driver_for("mysql://h/db"), &lp_db_driver_mysql);
	ck_assert_ptr_null(lp_db_driver_for("mysql://h"));
	ck_assert_int_eq(lp_db_driver_postgres.version, LP_DB_DRIVER_VERSION);
	ck_assert_int_eq(lp_db_driver_mysql.version, LP_DB_DRIVER_VERSION);
}
END_TEST

/* Nothing listens on port 1: open fails at once, logged, no crash. */
START_TEST(test_open_refused)
{
	lp_test_log_install();
	ck_assert_ptr_null(lp_db_open("postgres://k:p@127.0.0.1:1/kamailio"));
	ck_assert_ptr_nonnull(strstr(lp_test_log_last(), "cannot connect"));
	ck_assert_ptr_null(lp_db_open("mysql://k:p@127.0.0.1:1/kamailio"));
	ck_assert_ptr_nonnull(strstr(lp_test_log_last(), "cannot connect"));
	lp_log_set(NULL);
}
END_TEST

/* ---- on a server ---- */

START_TEST(test_bad_password)
{
	char bad[256];
	const char *at = strchr(url, '@');

	ck_assert_ptr_nonnull(at);
	snprintf(bad, sizeof(bad), "%s://kamailio:wrong%s", srv->name, at);
	ck_assert_ptr_null(lp_db_open(bad));
	ck_assert_ptr_nonnull(strstr(lp_test_log_last(), "cannot connect"));
}
END_TEST

START_TEST(test_versions)
{
	lp_db_t *db = open_db();

	ck_assert_int_eq(lp_db_table_version(db, "presentity"), 5);
	ck_assert_int_eq(lp_db_table_version(db, "active_watchers"), 12);
	ck_assert_int_eq(lp_db_table_version(db, "watchers"), 3);
	ck_assert_int_eq(lp_db_table_version(db, "xcap"), 4);
	ck_assert_int_eq(lp_db_table_version(db, "pua"), 7);
	ck_assert_int_eq(lp_db_table_version(db, "version"), 1);
	ck_assert_int_eq(lp_db_table_version(db, "nosuch"), -1);
	ck_assert_int_eq(lp_db_check_version(db, "presentity", 5), 0);
	ck_assert_int_eq(lp_db_check_version(db, "presentity", 6), -1);
	ck_assert_str_eq(lp_test_log_last(),
			"db: table 'presentity' has version 5, version 6 wanted (update "
			"the database schema)");
	ck_assert_int_eq(lp_db_check_version(db, "rls_presentity", 1), -1);
	ck_assert_str_eq(lp_test_log_last(),
			"db: table 'rls_presentity' has no row in the version table, "
			"version 1 wanted");
	/* the schema applied twice changes nothing */
	apply_schema(db, srv->schema);
	ck_assert_int_eq(
			lp_db_exec(db, "SELECT id FROM version", NULL, 0, NULL, NULL), 6);
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

/* body NULL: a short body with a NUL byte in it */
static int ins_pres_body(lp_db_t *db, const char *user, const char *etag,
		const char *ruid, const lp_db_val_t *body)
{
	static const char def[] = "<presence>\0binary</presence>";
	lp_db_val_t p[10] = {
			LP_DB_VSTR(lp_str_c(user)),
			LP_DB_VSTR(LP_STR("example.com")),
			LP_DB_VSTR(LP_STR("presence")),
			LP_DB_VSTR(lp_str_c(etag)),
			LP_DB_VINT(1700000000LL),
			LP_DB_VINT(2147483647LL), /* INTEGER: the largest that fits */
			{.type = LP_DB_BLOB, .v.s = {(char *)def, sizeof(def) - 1}},
			LP_DB_VSTR(LP_STR("")),
			LP_DB_VINT(-3),
			ruid ? LP_DB_VSTR(lp_str_c(ruid)) : LP_DB_VNULL,
	};

	if(body)
		p[6] = *body;
	return lp_db_exec(db, INS_PRES, p, 10, NULL, NULL);
}

static int ins_pres(
		lp_db_t *db, const char *user, const char *etag, const char *ruid)
{
	return ins_pres_body(db, user, etag, ruid, NULL);
}

typedef struct pres_row
{
	char user[128], etag[64], sender[32], ruid[32];
	int ruid_null, nrows;
	long long expires, received, priority;
	char *body; /* malloc'd copy */
	int body_len;
	lp_db_type_t body_type;
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
	ck_assert_int_eq(cols[3].type, LP_DB_INT);
	ck_assert_int_eq(cols[6].type, LP_DB_INT);
	r->expires = cols[2].v.i;
	r->received = cols[3].v.i;
	r->body_type = cols[4].type;
	r->body_len = cols[4].v.s.len;
	free(r->body);
	r->body = malloc(r->body_len + 1);
	ck_assert_ptr_nonnull(r->body);
	memcpy(r->body, cols[4].v.s.s, r->body_len);
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

	free(r->body);
	memset(r, 0, sizeof(*r));
	return lp_db_exec(db, SEL_PRES, p, 2, pres_row, r);
}

START_TEST(test_roundtrip_hostile_text)
{
	static const char evil[] = "o'brien\"; '; DROP TABLE presentity; --";
	static const char utf8[] = "Jos\xc3\xa9 \xe2\x98\x83 ? $1 \\x41";
	lp_db_t *db = open_db();
	pres_row_t r = {0};

	ck_assert_int_eq(ins_pres(db, evil, "e1'--", "r'1"), 1);
	ck_assert_int_eq(ins_pres(db, "alice", "e2", NULL), 1);
	ck_assert_int_eq(ins_pres(db, utf8, "e3 ?", "?"), 1);
	ck_assert_int_eq(sel_pres(db, evil, &r), 1);
	ck_assert_int_eq(r.nrows, 1);
	ck_assert_str_eq(r.user, evil);
	ck_assert_str_eq(r.etag, "e1'--");
	ck_assert_int_eq(r.expires, 1700000000LL);
	ck_assert_int_eq(r.received, 2147483647LL);
	ck_assert_int_eq(r.body_type, LP_DB_BLOB);
	ck_assert_int_eq(r.body_len, 28);
	ck_assert_mem_eq(r.body, "<presence>\0binary</presence>", 28);
	ck_assert_str_eq(r.sender, "");
	ck_assert_int_eq(r.priority, -3);
	ck_assert_int_eq(r.ruid_null, 0);
	ck_assert_str_eq(r.ruid, "r'1");

	ck_assert_int_eq(sel_pres(db, "alice", &r), 1);
	ck_assert_int_eq(r.ruid_null, 1);
	ck_assert_int_eq(sel_pres(db, utf8, &r), 1);
	ck_assert_str_eq(r.user, utf8);
	ck_assert_str_eq(r.etag, "e3 ?");
	ck_assert_str_eq(r.ruid, "?");
	/* the table survived and holds all rows */
	ck_assert_int_eq(
			lp_db_exec(db, "SELECT id FROM presentity", NULL, 0, NULL, NULL),
			3);
	ck_assert_int_eq(sel_pres(db, "nobody", &r), 0);
	/* a `?` in a literal is not a placeholder */
	ck_assert_int_eq(lp_db_exec(db,
							 "SELECT id FROM presentity WHERE etag = 'e3 ?' "
							 "AND username <> ?",
							 &LP_DB_VSTR(LP_STR("x")), 1, NULL, NULL),
			1);
	/* beyond INTEGER: an error from the server, not a wrapped value */
	ck_assert_int_lt(lp_db_exec(db,
							 "UPDATE presentity SET expires = ? WHERE "
							 "username = ?",
							 (lp_db_val_t[]){LP_DB_VINT(4102444800LL),
									 LP_DB_VSTR(LP_STR("alice"))},
							 2, NULL, NULL),
			0);
	free(r.body);
	lp_db_close(db);
}
END_TEST

START_TEST(test_blob_bytes)
{
	enum
	{
		N = 256 * 200
	}; /* under MySQL's 64 KiB BLOB */
	lp_db_t *db = open_db();
	char *bytes = malloc(N);
	lp_db_val_t body = {.type = LP_DB_BLOB, .v.s = {bytes, N}};
	static const char text[] = "a\\x41\\\\b\\000 '\"";
	pres_row_t r = {0};
	int i;

	for(i = 0; i < N; i++)
		bytes[i] = (char)(i % 256);
	ck_assert_int_eq(ins_pres_body(db, "bin", "e", NULL, &body), 1);
	ck_assert_int_eq(sel_pres(db, "bin", &r), 1);
	ck_assert_int_eq(r.body_type, LP_DB_BLOB);
	ck_assert_int_eq(r.body_len, N);
	ck_assert_mem_eq(r.body, bytes, N);

	/* an empty body is empty, not NULL */
	body.v.s.len = 0;
	ck_assert_int_eq(ins_pres_body(db, "empty", "e", NULL, &body), 1);
	ck_assert_int_eq(sel_pres(db, "empty", &r), 1);
	ck_assert_int_eq(r.body_type, LP_DB_BLOB);
	ck_assert_int_eq(r.body_len, 0);

	/* text bound to the blob column: stored as is, escapes not decoded */
	body = LP_DB_VSTR(LP_STR(text));
	ck_assert_int_eq(ins_pres_body(db, "text", "e", NULL, &body), 1);
	ck_assert_int_eq(sel_pres(db, "text", &r), 1);
	ck_assert_int_eq(r.body_len, (int)sizeof(text) - 1);
	ck_assert_mem_eq(r.body, text, sizeof(text) - 1);

	/* a blob read back in a text column and vice versa keeps its bytes */
	body = (lp_db_val_t){.type = LP_DB_BLOB, .v.s = {"sender-1", 8}};
	ck_assert_int_eq(lp_db_exec(db,
							 "UPDATE presentity SET sender = ? WHERE "
							 "username = ?",
							 (lp_db_val_t[]){body, LP_DB_VSTR(LP_STR("text"))},
							 2, NULL, NULL),
			1);
	ck_assert_int_eq(sel_pres(db, "text", &r), 1);
	ck_assert_str_eq(r.sender, "sender-1");
	free(r.body);
	free(bytes);
	lp_db_close(db);
}
END_TEST

static const char *const UPD_LIKE =
		"UPDATE presentity SET expires = ? WHERE username LIKE ?";

START_TEST(test_changes_and_errors)
{
	lp_db_t *db = open_db();
	lp_db_val_t p[2];
	int i;

	for(i = 0; i < 5; i++) {
		char u[16];
		snprintf(u, sizeof(u), "u%d", i);
		ck_assert_int_eq(ins_pres(db, u, "e", NULL), 1);
	}
	p[0] = LP_DB_VINT(42);
	p[1] = LP_DB_VSTR(LP_STR("u%"));
	ck_assert_int_eq(lp_db_exec(db, UPD_LIKE, p, 2, NULL, NULL), 5);
	/* rows matched, not only rows whose value changed (as in SQLite) */
	ck_assert_int_eq(lp_db_exec(db, UPD_LIKE, p, 2, NULL, NULL), 5);
	p[1] = LP_DB_VSTR(LP_STR("nomatch"));
	ck_assert_int_eq(lp_db_exec(db, UPD_LIKE, p, 2, NULL, NULL), 0);
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
	ck_assert_ptr_nonnull(strstr(lp_test_log_last(), "0 values for 1"));
	ck_assert_int_eq(lp_db_exec(db, "SELECT 1; DROP TABLE presentity", NULL, 0,
							 NULL, NULL),
			LP_DB_EGENERIC);
	ck_assert_int_eq(lp_db_exec(db, "SELEC nothing", NULL, 0, NULL, NULL),
			LP_DB_EGENERIC);
	ck_assert_ptr_nonnull(strstr(lp_test_log_last(), "syntax"));
	ck_assert_ptr_nonnull(strstr(lp_test_log_last(), "SELEC nothing"));
	ck_assert_int_eq(
			lp_db_exec(db, "SELECT id FROM presentity", NULL, 0, NULL, NULL),
			2);
	lp_db_close(db);
}
END_TEST

static int stop_after_two(void *ctx, const lp_db_val_t *cols, int ncols)
{
	long long *sum = ctx;

	ck_assert_int_eq(cols[0].type, LP_DB_INT);
	*sum += cols[0].v.i;
	return cols[0].v.i >= 2;
}

static int nested_select(void *ctx, const lp_db_val_t *cols, int ncols)
{
	lp_db_t *db = ctx;
	lp_db_val_t p = cols[0];

	/* the same SQL while its cached statement is being read */
	ck_assert_int_eq(lp_db_exec(db,
							 "SELECT id FROM presentity WHERE id >= ? ORDER "
							 "BY id",
							 &p, 1, NULL, NULL),
			4 - (int)cols[0].v.i);
	return 0;
}

static int get_int(void *ctx, const lp_db_val_t *cols, int ncols)
{
	long long *v = ctx;

	if(cols[0].type == LP_DB_INT) {
		*v = cols[0].v.i;
	} else {
		char buf[32];
		copy_str(buf, sizeof(buf), &cols[0]);
		*v = atoll(buf);
	}
	return 0;
}

/* Statements this session has prepared on the server so far. */
static long long server_prepares(lp_db_t *db)
{
	long long n = -1;

	if(IS_MY)
		ck_assert_int_eq(lp_db_exec(db,
								 "SELECT VARIABLE_VALUE FROM "
								 "information_schema.SESSION_STATUS WHERE "
								 "VARIABLE_NAME = 'COM_STMT_PREPARE'",
								 NULL, 0, get_int, &n),
				1);
	else
		ck_assert_int_eq(
				lp_db_exec(db, "SELECT count(*) FROM pg_prepared_statements",
						NULL, 0, get_int, &n),
				1);
	return n;
}

START_TEST(test_statement_cache)
{
	lp_db_t *db = open_db();
	lp_db_val_t p = LP_DB_VINT(1);
	long long sum = 0, before;
	pres_row_t r = {0};
	int i;

	for(i = 0; i < 3; i++) {
		char u[16];
		snprintf(u, sizeof(u), "c%d", i);
		ck_assert_int_eq(ins_pres(db, u, "e", NULL), 1);
	}
	ck_assert_int_eq(sel_pres(db, "c0", &r), 1);
	before = server_prepares(db);
	ck_assert_int_gt(before, 0);
	for(i = 0; i < 1000; i++) {
		ck_assert_int_eq(sel_pres(db, i % 2 ? "c1" : "c2", &r), 1);
		ck_assert_str_eq(r.user, i % 2 ? "c1" : "c2");
	}
	/* the cache keys on the text, not the pointer */
	{
		char sql[256];
		strcpy(sql, SEL_PRES);
		ck_assert_int_eq(lp_db_exec(db, sql,
								 (lp_db_val_t[]){LP_DB_VSTR(LP_STR("c0")),
										 LP_DB_VSTR(LP_STR("example.com"))},
								 2, NULL, NULL),
				1);
	}
	/* 1001 runs, no new statement on the server (the counting query itself
	 * was prepared once, by the first count on MySQL) */
	ck_assert_int_le(server_prepares(db) - before, IS_MY ? 1 : 0);
	/* a callback that stops early leaves the statement reusable */
	ck_assert_int_eq(lp_db_exec(db,
							 "SELECT id FROM presentity WHERE id >= ? ORDER "
							 "BY id",
							 &p, 1, stop_after_two, &sum),
			2);
	ck_assert_int_eq(sum, 3);
	ck_assert_int_eq(lp_db_exec(db,
							 "SELECT id FROM presentity WHERE id >= ? ORDER "
							 "BY id",
							 &p, 1, nested_select, db),
			3);
	free(r.body);
	lp_db_close(db);
}
END_TEST

static const char *const INS_VER =
		"INSERT INTO version (table_name, table_version) VALUES (?, ?)";

START_TEST(test_constraint)
{
	lp_db_t *db = open_db();
	lp_db_val_t p[2] = {LP_DB_VSTR(LP_STR("x")), LP_DB_VINT(9)};

	ck_assert_int_eq(ins_pres(db, "bob", "e1", "ruid-1"), 1);
	ck_assert_int_eq(ins_pres(db, "bob", "e1", "ruid-2"), LP_DB_ECONSTRAINT);
	ck_assert_ptr_nonnull(strstr(lp_test_log_last(), "uplicate"));
	ck_assert_int_eq(ins_pres(db, "bob", "e2", "ruid-1"), LP_DB_ECONSTRAINT);
	ck_assert_int_eq(lp_db_exec(db, INS_VER, p, 2, NULL, NULL), 1);
	p[0] = LP_DB_VNULL; /* NOT NULL violation */
	ck_assert_int_eq(
			lp_db_exec(db, INS_VER, p, 2, NULL, NULL), LP_DB_ECONSTRAINT);
	ck_assert_int_eq(ins_pres(db, "bob", "e2", "ruid-2"), 1);
	lp_db_close(db);
}
END_TEST

static int count_rows(lp_db_t *db)
{
	return lp_db_exec(db, "SELECT id FROM presentity", NULL, 0, NULL, NULL);
}

START_TEST(test_rollback)
{
	lp_db_t *db = open_db();

	ck_assert_int_eq(ins_pres(db, "keep", "e", NULL), 1);
	ck_assert_int_eq(lp_db_begin(db), 0);
	ck_assert_int_eq(ins_pres(db, "gone1", "e", NULL), 1);
	ck_assert_int_eq(ins_pres(db, "gone2", "e", NULL), 1);
	ck_assert_int_eq(lp_db_exec(db, "DELETE FROM presentity WHERE username = ?",
							 &LP_DB_VSTR(LP_STR("keep")), 1, NULL, NULL),
			1);
	ck_assert_int_eq(lp_db_rollback(db), 0);
	ck_assert_int_eq(count_rows(db), 1);
	ck_assert_int_eq(lp_db_begin(db), 0);
	ck_assert_int_eq(ins_pres(db, "kept", "e", NULL), 1);
	ck_assert_int_eq(lp_db_commit(db), 0);
	ck_assert_int_eq(count_rows(db), 2);
	/* commit or rollback without a transaction is an error, not a crash */
	ck_assert_int_lt(lp_db_commit(db), 0);
	ck_assert_int_lt(lp_db_rollback(db), 0);
	/* a failed statement inside: rollback leaves the connection usable */
	ck_assert_int_eq(lp_db_begin(db), 0);
	ck_assert_int_eq(ins_pres(db, "lost", "e", NULL), 1);
	ck_assert_int_eq(ins_pres(db, "kept", "e", NULL), LP_DB_ECONSTRAINT);
	ck_assert_int_eq(lp_db_rollback(db), 0);
	ck_assert_int_eq(count_rows(db), 2);
	lp_db_close(db);
}
END_TEST

START_TEST(test_two_connections)
{
	lp_db_t *w = open_db(), *r = open_db();

	ck_assert_int_eq(ins_pres(w, "first", "e", NULL), 1);
	ck_assert_int_eq(count_rows(r), 1);
	ck_assert_int_eq(lp_db_begin(w), 0);
	ck_assert_int_eq(ins_pres(w, "second", "e", NULL), 1);
	/* the reader is not blocked and sees only committed rows */
	ck_assert_int_eq(count_rows(r), 1);
	ck_assert_int_eq(count_rows(w), 2);
	ck_assert_int_eq(lp_db_commit(w), 0);
	ck_assert_int_eq(count_rows(r), 2);
	lp_db_close(w);
	lp_db_close(r);
}
END_TEST

/* ---- upserts: one SQL text, the same effect on every engine ---- */

static const char *const UPSERT_VER =
		"INSERT INTO version (table_name, table_version) VALUES (?, ?) "
		"ON CONFLICT (table_name) DO UPDATE SET "
		"table_version = excluded.table_version";
static const char *const IGNORE_VER =
		"INSERT INTO version (table_name, table_version) VALUES (?, ?) "
		"ON CONFLICT DO NOTHING";

static int upsert(lp_db_t *db, const char *sql, const char *name, int v)
{
	lp_db_val_t p[2] = {LP_DB_VSTR(lp_str_c(name)), LP_DB_VINT(v)};

	return lp_db_exec(db, sql, p, 2, NULL, NULL);
}

START_TEST(test_upsert_update)
{
	lp_db_t *db = open_db();

	ck_assert_int_eq(upsert(db, UPSERT_VER, "x", 1), 1); /* inserted */
	ck_assert_int_eq(lp_db_table_version(db, "x"), 1);
	ck_assert_int_eq(upsert(db, UPSERT_VER, "x", 2), 1); /* updated */
	ck_assert_int_eq(lp_db_table_version(db, "x"), 2);
	ck_assert_int_eq(upsert(db, UPSERT_VER, "x", 2), 1); /* same value */
	ck_assert_int_eq(lp_db_table_version(db, "x"), 2);
	ck_assert_int_eq(upsert(db, UPSERT_VER, "presentity", 5), 1);
	ck_assert_int_eq(
			lp_db_exec(db, "SELECT id FROM version", NULL, 0, NULL, NULL), 7);

	/* other spellings: case, spacing, a parameter in the SET list */
	ck_assert_int_eq(lp_db_exec(db,
							 "insert into version (table_name,table_version) "
							 "values (?,?)\n on  conflict(table_name)  do "
							 "update set table_version = "
							 "EXCLUDED.table_version + ?",
							 (lp_db_val_t[]){LP_DB_VSTR(LP_STR("x")),
									 LP_DB_VINT(5), LP_DB_VINT(10)},
							 3, NULL, NULL),
			1);
	ck_assert_int_eq(lp_db_table_version(db, "x"), 15);
	lp_db_close(db);
}
END_TEST

START_TEST(test_upsert_nothing)
{
	lp_db_t *db = open_db();

	ck_assert_int_eq(upsert(db, IGNORE_VER, "y", 3), 1);
	ck_assert_int_eq(upsert(db, IGNORE_VER, "y", 4), 0);
	ck_assert_int_eq(lp_db_table_version(db, "y"), 3);
	ck_assert_int_eq(upsert(db, IGNORE_VER, "presentity", 9), 0);
	ck_assert_int_eq(lp_db_table_version(db, "presentity"), 5);
	ck_assert_int_eq(upsert(db,
							 "INSERT INTO version (table_name, table_version) "
							 "VALUES (?, ?) ON CONFLICT (table_name) DO "
							 "NOTHING",
							 "y", 7),
			0);
	ck_assert_int_eq(lp_db_table_version(db, "y"), 3);
	/* ON CONFLICT inside a literal is data, not a clause */
	ck_assert_int_eq(lp_db_exec(db,
							 "INSERT INTO version (table_name, table_version) "
							 "VALUES ('on conflict do nothing', ?)",
							 &LP_DB_VINT(1), 1, NULL, NULL),
			1);
	ck_assert_int_eq(lp_db_exec(db,
							 "INSERT INTO version (table_name, table_version) "
							 "VALUES ('on conflict do nothing', ?)",
							 &LP_DB_VINT(1), 1, NULL, NULL),
			LP_DB_ECONSTRAINT);
	ck_assert_int_eq(lp_db_table_version(db, "on conflict do nothing"), 1);
	lp_db_close(db);
}
END_TEST

/* A presentity refresh the way the presence module writes it: the row keeps
 * its id, the new body replaces the old byte for byte. */
START_TEST(test_upsert_presentity)
{
	static const char *const sql =
			"INSERT INTO presentity (username, domain, event, etag, expires, "
			"received_time, body, sender, priority, ruid) "
			"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
			"ON CONFLICT (username, domain, event, etag) DO UPDATE SET "
			"expires = excluded.expires, body = excluded.body, "
			"received_time = excluded.received_time";
	static const char b2[] = "\x00\xff<new/>\x00";
	lp_db_t *db = open_db();
	lp_db_val_t p[10] = {
			LP_DB_VSTR(LP_STR("carol")),
			LP_DB_VSTR(LP_STR("example.com")),
			LP_DB_VSTR(LP_STR("presence")),
			LP_DB_VSTR(LP_STR("etag-1")),
			LP_DB_VINT(100),
			LP_DB_VINT(10),
			{.type = LP_DB_BLOB, .v.s = {"old", 3}},
			LP_DB_VSTR(LP_STR("")),
			LP_DB_VINT(0),
			LP_DB_VNULL,
	};
	long long id1 = 0, id2 = 0;
	pres_row_t r = {0};

	ck_assert_int_eq(lp_db_exec(db, sql, p, 10, NULL, NULL), 1);
	ck_assert_int_eq(
			lp_db_exec(db, "SELECT id FROM presentity", NULL, 0, get_int, &id1),
			1);
	p[4] = LP_DB_VINT(200);
	p[6].v.s = (lp_str_t){(char *)b2, sizeof(b2) - 1};
	ck_assert_int_eq(lp_db_exec(db, sql, p, 10, NULL, NULL), 1);
	ck_assert_int_eq(
			lp_db_exec(db, "SELECT id FROM presentity", NULL, 0, get_int, &id2),
			1);
	ck_assert_int_eq(id1, id2);
	ck_assert_int_eq(sel_pres(db, "carol", &r), 1);
	ck_assert_int_eq(r.expires, 200);
	ck_assert_int_eq(r.body_len, (int)sizeof(b2) - 1);
	ck_assert_mem_eq(r.body, b2, sizeof(b2) - 1);
	free(r.body);
	lp_db_close(db);
}
END_TEST

/* A WHERE on DO UPDATE is PostgreSQL only: the MySQL driver refuses it
 * clearly instead of dropping the condition. */
START_TEST(test_upsert_where)
{
	lp_db_t *db = open_db();
	int rc;

	rc = upsert(db,
			"INSERT INTO version (table_name, table_version) VALUES (?, ?) "
			"ON CONFLICT (table_name) DO UPDATE SET table_version = "
			"excluded.table_version WHERE version.table_version < "
			"excluded.table_version",
			"presentity", 4);
	if(IS_MY) {
		ck_assert_int_eq(rc, LP_DB_EGENERIC);
		ck_assert_ptr_nonnull(
				strstr(lp_test_log_last(), "unsupported ON CONFLICT"));
	} else {
		ck_assert_int_eq(rc, 0);
	}
	ck_assert_int_eq(lp_db_table_version(db, "presentity"), 5);
	lp_db_close(db);
}
END_TEST

/* ---- a session killed by the server ---- */

START_TEST(test_reconnect)
{
	lp_db_t *a = open_db(), *b = open_db();
	const char *sid =
			IS_MY ? "SELECT CONNECTION_ID()" : "SELECT pg_backend_pid()";
	const char *kill = IS_MY ? "KILL CONNECTION ?"
							 : "SELECT pg_terminate_backend(?, 5000)";
	long long id = 0, id2 = 0;

	ck_assert_int_eq(ins_pres(a, "before", "e", NULL), 1);
	ck_assert_int_eq(lp_db_exec(a, sid, NULL, 0, get_int, &id), 1);
	ck_assert_int_gt(id, 0);
	ck_assert_int_ge(lp_db_exec(b, kill, &LP_DB_VINT(id), 1, NULL, NULL), 0);
	/* the call that meets the dead session reports it and drops it */
	ck_assert_int_eq(count_rows(a), LP_DB_ECONN);
	ck_assert_ptr_null(a->conn);
	ck_assert_ptr_nonnull(strstr(lp_test_log_last(), "lost, reopening"));
	/* the next one reopens (cached statements start over) */
	ck_assert_int_eq(count_rows(a), 1);
	ck_assert_int_eq(ins_pres(a, "after", "e", NULL), 1);
	ck_assert_int_eq(lp_db_exec(a, sid, NULL, 0, get_int, &id2), 1);
	ck_assert_int_ne(id, id2);
	ck_assert_int_eq(count_rows(b), 2);
	lp_db_close(a);
	lp_db_close(b);
}
END_TEST

static void add_engine(Suite *s, const srv_t *e, void (*fixture)(void))
{
	TCase *tc;

	if(getenv(e->env) == NULL || *getenv(e->env) == '\0') {
		printf("db_servers: %s unset, %s tests skipped (test/db/run.sh "
			   "starts the servers)\n",
				e->env, e->name);
		return;
	}
	tc = tcase_create(e->name);
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, fixture, teardown);
	tcase_add_test(tc, test_bad_password);
	tcase_add_test(tc, test_versions);
	tcase_add_test(tc, test_roundtrip_hostile_text);
	tcase_add_test(tc, test_blob_bytes);
	tcase_add_test(tc, test_changes_and_errors);
	tcase_add_test(tc, test_statement_cache);
	tcase_add_test(tc, test_constraint);
	tcase_add_test(tc, test_rollback);
	tcase_add_test(tc, test_two_connections);
	tcase_add_test(tc, test_upsert_update);
	tcase_add_test(tc, test_upsert_nothing);
	tcase_add_test(tc, test_upsert_presentity);
	tcase_add_test(tc, test_upsert_where);
	tcase_add_test(tc, test_reconnect);
	suite_add_tcase(s, tc);
}

Suite *db_servers_suite(void)
{
	Suite *s = suite_create("db_servers");
	TCase *url = tcase_create("url");

	tcase_add_test(url, test_url_drivers);
	tcase_add_test(url, test_open_refused);
	suite_add_tcase(s, url);
	add_engine(s, &srv_pg, setup_pg);
	add_engine(s, &srv_my, setup_my);
	return s;
}
