/* Persistence of subscriptions under database faults (issue 11): the flush
 * of subs_db_mode 1/2 isolates a row the database refuses, never brings
 * back a dialog removed while it held a copy, and expired rows are deleted;
 * write-through survives a failing DB; lock conflicts are logged as warnings
 * while a retry may still succeed, refusals with a rate limit. Runs on a temp
 * SQLite file and, when LP_TEST_PG_URL / LP_TEST_MY_URL are set
 * (test/db/run.sh), on PostgreSQL and MariaDB with the project's schema. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lp_db.h"
#include "lp_log.h"
#include "lp_test.h"
#include "pres_logic.h"
#include "pres_pub.h"
#include "pres_subs.h"
#include "pres_subs_flush.h"
#include "t_pres_fixture.h"

#define BAD_UA "refuse-\xff\xfe-agent" /* not UTF-8 */

static const lp_test_eng_t *eng;
static const char *url; /* the fixture's (t_pres_fixture.c) */
static int notifies;

/* ---- log capture with levels ---- */

static char log_buf[16384];
static int log_len, log_err, log_warn;

static void cap_log(int level, const char *msg)
{
	int n = snprintf(log_buf + log_len, sizeof(log_buf) - log_len, "%d %s\n",
			level, msg);

	if(n > 0 && log_len + n < (int)sizeof(log_buf))
		log_len += n;
	log_err += level == LP_L_ERR;
	log_warn += level == LP_L_WARN;
}

static void log_reset(void)
{
	log_buf[0] = '\0';
	log_len = log_err = log_warn = 0;
}

/* Lines of the captured log holding needle. */
static int log_lines(const char *needle)
{
	const char *p = log_buf;
	int n = 0;

	while((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

/* ---- fixture ---- */

static int count_notify(const pres_notify_t *n)
{
	notifies++;
	return 0;
}

static int publ_ok(struct sip_msg *msg)
{
	return 0;
}

static void setup(void)
{
	eng = lp_test_pres_eng();
	lp_test_mem_install();
	log_reset();
	lp_log_set(cap_log);
	url = lp_test_pres_start("persist", 1, publ_ok);
	pres.send_notify = count_notify;
	notifies = 0;
	log_reset();
}

/* Kamailio restarted: empty tables, a new connection, the DB loaded. */
static void restart(void)
{
	lp_test_pres_tables_free();
	lp_db_close(pres.db);
	pres.db = NULL;
	lp_test_pres_tables_new();
	ck_assert_int_eq(pres_load_db(), 0);
}

/* ---- DB inspection through a connection of the test's own ---- */

static int int_row(void *ctx, const lp_db_val_t *c, int n)
{
	*(long long *)ctx = c[0].type == LP_DB_INT ? c[0].v.i : atoll(c[0].v.s.s);
	return 1;
}

static long long rows_where(const char *where, const char *arg)
{
	char sql[256];
	lp_db_val_t v = LP_DB_VSTR(lp_str_c(arg ? arg : ""));
	long long n = -1;
	lp_db_t *db = lp_db_open(url);

	ck_assert_ptr_nonnull(db);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM active_watchers%s%s",
			where ? " WHERE " : "", where ? where : "");
	ck_assert_int_ge(lp_db_exec(db, sql, &v, arg ? 1 : 0, int_row, &n), 0);
	lp_db_close(db);
	return n;
}

/* ---- subscriptions ---- */

/* Store a subscription of watcher to alice straight into the table (the
 * request-time checks of pres_subscribe.c are not what is tested here). */
static void store(const char *callid, const char *watcher, const char *ua,
		const char *contact)
{
	subs_t s;

	lp_test_pres_subs_rec(&s, "sip:alice@example.com", "alice", watcher,
			callid, lp_test_now + 3600);
	s.contact = lp_str_c(contact ? contact : "sip:w@192.0.2.1");
	s.user_agent = lp_str_c(ua ? ua : "check");
	ck_assert_ptr_nonnull(s.event);
	ck_assert_int_eq(pres_subs_insert(&s), 0);
}

/* A PUBLISH for alice: NOTIFYs her watchers, which marks their records. */
static void publish_alice(void)
{
	pres_publish_req_t r;
	pres_reply_t rep;

	memset(&r, 0, sizeof(r));
	r.user = LP_STR("alice");
	r.domain = LP_STR("example.com");
	r.has_event = 1;
	r.event = LP_STR("presence");
	r.expires = 600;
	r.has_ctype = 1;
	r.content_type = LP_STR("application/pidf+xml");
	r.body = LP_STR("<?xml version=\"1.0\"?><presence xmlns=\"urn:ietf:params:"
					"xml:ns:pidf\" entity=\"sip:alice@example.com\"/>");
	memset(&rep, 0, sizeof(rep));
	ck_assert_int_eq(pres_handle_publish(&r, &rep), 0);
	pres_publish_notify(&r, &rep);
}

/* ---- a row the DB refuses ---- */

/* SQLite has no column lengths and takes any bytes: a trigger stands for
 * the refusal the servers make on their own (BAD_UA is not UTF-8). */
static void refuse_bad_ua(void)
{
	if(eng == &lp_test_eng_sqlite)
		lp_test_sql_run(url, "CREATE TRIGGER refuse_ua BEFORE INSERT ON active_watchers"
			   " WHEN NEW.user_agent LIKE 'refuse-%'"
			   " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
}

START_TEST(test_refused_row_among_good)
{
	int before;

	refuse_bad_ua();
	store("good-1", "bob", NULL, NULL);
	store("bad-1", "mallory", BAD_UA, NULL);
	store("good-2", "carol", NULL, NULL);
	ck_assert_int_eq(pres_subs_flush(), 2);
	ck_assert_int_eq(rows_where(NULL, NULL), 2);
	ck_assert_int_eq(rows_where("callid=?", "bad-1"), 0);
	ck_assert_int_eq(log_lines("bad-1 of mallory@example.com refused"), 1);

	/* not tried again until it changes (no error every period) */
	before = log_err;
	ck_assert_int_eq(pres_subs_flush(), 0);
	ck_assert_int_eq(log_err, before);

	/* the good ones survive a restart and are notified */
	restart();
	ck_assert_int_eq(pres_subs_count(), 2);
}
END_TEST

/* Servers only (SQLite ignores VARCHAR lengths): a Contact longer than its
 * column among good rows. */
START_TEST(test_too_long_value_among_good)
{
	char contact[320];

	memset(contact, 'a', sizeof(contact) - 1);
	contact[sizeof(contact) - 1] = '\0';
	memcpy(contact, "sip:", 4);
	store("good-1", "bob", NULL, NULL);
	store("long-1", "mallory", NULL, contact);
	store("good-2", "carol", NULL, NULL);
	store("good-3", "dave", NULL, NULL);
	ck_assert_int_eq(pres_subs_flush(), 3);
	ck_assert_int_eq(rows_where(NULL, NULL), 3);
	ck_assert_int_eq(rows_where("callid=?", "long-1"), 0);
}
END_TEST

/* A record refused once is written when it changes into something the DB
 * takes (here: the refusal is lifted). */
START_TEST(test_refused_row_retried_after_change)
{
	refuse_bad_ua();
	store("bad-1", "mallory", "refuse-me", NULL);
	ck_assert_int_eq(pres_subs_flush(), 0);
	lp_test_sql_run(url, "DROP TRIGGER refuse_ua");
	ck_assert_int_eq(pres_subs_flush(), 0); /* unchanged: not retried */
	publish_alice(); /* NOTIFYs it: the record changes and is written */
	ck_assert_int_eq(notifies, 1);
	ck_assert_int_eq(pres_subs_flush(), 1);
	ck_assert_int_eq(rows_where("callid=?", "bad-1"), 1);
}
END_TEST

/* ---- removals racing the flush ---- */

/* The flush copied the record; the watcher un-SUBSCRIBEs (its row deleted)
 * before the copy is written: the row must stay deleted. */
START_TEST(test_unsubscribe_during_flush)
{
	pres_flush_batch_t b;
	lp_test_sub_t s;

	lp_test_sub_ok(&s, "race-new", count_notify);
	ck_assert_int_eq(pres_subs_flush_take(&b), 1);
	lp_test_sub_end(&s);
	ck_assert_int_eq(pres_subs_count(), 0);
	ck_assert_int_eq(pres_subs_flush_write(pres_db(), &b), 0);
	pres_subs_flush_free(&b);
	ck_assert_int_eq(rows_where(NULL, NULL), 0);
	restart();
	ck_assert_int_eq(pres_subs_count(), 0);
}
END_TEST

/* The same for a row already stored: the flush's upsert of the copy lands
 * after the removal's DELETE (the write happens between the two). */
START_TEST(test_removal_after_copy_of_stored_row)
{
	pres_flush_batch_t b;
	lp_str_t uri = LP_STR("sip:alice@example.com"), tt;
	lp_test_sub_t s;

	lp_test_sub_ok(&s, "race-old", count_notify);
	ck_assert_int_eq(pres_subs_flush(), 1);
	ck_assert_int_eq(rows_where(NULL, NULL), 1);
	notifies = 0;
	publish_alice(); /* the NOTIFY marks it */
	ck_assert_int_eq(notifies, 1);
	ck_assert_int_eq(pres_subs_flush_take(&b), 1);
	/* the watcher answered that NOTIFY with 481 */
	tt = lp_str_c(s.to_tag);
	pres_notify_reply(&uri, &s.r.callid, &tt, &s.r.from_tag, 481);
	ck_assert_int_eq(pres_subs_count(), 0);
	ck_assert_int_eq(rows_where(NULL, NULL), 0);
	ck_assert_int_eq(pres_subs_flush_write(pres_db(), &b), 0);
	pres_subs_flush_free(&b);
	ck_assert_int_eq(rows_where(NULL, NULL), 0);
	restart();
	ck_assert_int_eq(pres_subs_count(), 0);
}
END_TEST

START_TEST(test_expiry_during_flush)
{
	pres_flush_batch_t b;

	store("exp-1", "bob", NULL, NULL);
	ck_assert_int_eq(pres_subs_flush_take(&b), 1);
	lp_test_now += 3601;
	pres_clean_expired();
	ck_assert_int_eq(pres_subs_count(), 0);
	ck_assert_int_eq(pres_subs_flush_write(pres_db(), &b), 0);
	pres_subs_flush_free(&b);
	ck_assert_int_eq(rows_where(NULL, NULL), 0);
}
END_TEST

/* Rows that expired while Kamailio was down are never loaded; the clean
 * timer deletes them instead of leaving them for ever. */
START_TEST(test_expired_rows_deleted)
{
	store("old-1", "bob", NULL, NULL);
	store("old-2", "carol", NULL, NULL);
	ck_assert_int_eq(pres_subs_flush(), 2);
	lp_test_now += 4000; /* down past their expiry */
	restart();
	ck_assert_int_eq(pres_subs_count(), 0);
	ck_assert_int_eq(rows_where(NULL, NULL), 2);
	pres_clean_expired();
	ck_assert_int_eq(rows_where(NULL, NULL), 0);
}
END_TEST

/* subs_db_mode 1 with the table gone: every change still answers, the
 * failed write is kept for later (it used to re-mark through the
 * write-through path, which flushed again: unbounded recursion). */
START_TEST(test_write_through_db_failing)
{
	lp_test_sub_t s;

	pres.cfg.subs_db_mode = PRES_SUBS_DB_THROUGH;
	lp_test_sql_run(url, "ALTER TABLE active_watchers RENAME TO aw_off");
	lp_test_sub_ok(&s, "through-1", count_notify);
	ck_assert_int_eq(pres_subs_count(), 1);
	lp_test_sql_run(url, "ALTER TABLE aw_off RENAME TO active_watchers");
	ck_assert_int_eq(pres_subs_flush(), 1);
	ck_assert_int_eq(rows_where("callid=?", "through-1"), 1);
}
END_TEST

/* ---- savepoints and log levels in lp_db ---- */

START_TEST(test_savepoint_keeps_transaction)
{
	lp_db_t *db = lp_db_open(url);
	const char *ins = "INSERT INTO version (table_name, table_version)"
					  " VALUES (?, 1)";
	lp_db_val_t v = LP_DB_VSTR(LP_STR("sp_test"));
	lp_db_val_t dup = LP_DB_VSTR(LP_STR("presentity")); /* unique key */

	ck_assert_ptr_nonnull(db);
	ck_assert_int_lt(lp_db_savepoint(db, LP_DB_SP_SET, "sp"), 0); /* no txn */
	ck_assert_int_eq(lp_db_begin(db), 0);
	ck_assert_int_lt(lp_db_savepoint(db, LP_DB_SP_SET, "bad name"), 0);
	ck_assert_int_eq(lp_db_exec(db, ins, &v, 1, NULL, NULL), 1);
	ck_assert_int_eq(lp_db_savepoint(db, LP_DB_SP_SET, "sp"), 0);
	ck_assert_int_eq(
			lp_db_exec(db, ins, &dup, 1, NULL, NULL), LP_DB_ECONSTRAINT);
	ck_assert_int_eq(lp_db_savepoint(db, LP_DB_SP_ROLLBACK_TO, "sp"), 0);
	ck_assert_int_eq(lp_db_savepoint(db, LP_DB_SP_RELEASE, "sp"), 0);
	ck_assert_int_eq(lp_db_commit(db), 0);
	lp_db_close(db);
	lp_test_sql_run(url, "DELETE FROM active_watchers"); /* the connection still works */
	{
		long long n = -1;
		db = lp_db_open(url);
		ck_assert_int_ge(lp_db_exec(db,
								 "SELECT count(*) FROM version WHERE"
								 " table_name='sp_test'",
								 NULL, 0, int_row, &n),
				0);
		lp_db_close(db);
		ck_assert_int_eq(n, 1);
	}
}
END_TEST

/* A lock held by another connection past the lock timeout: a warning from
 * the driver (the caller may retry), no error. */
START_TEST(test_lock_timeout_is_warning)
{
	const char *upd = "UPDATE version SET table_version=table_version"
					  " WHERE table_name='presentity'";
	lp_db_t *a = lp_db_open(url), *b = lp_db_open(url);

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_ge(lp_db_exec(b,
							 eng == &lp_test_eng_pg ? "SET lock_timeout = '500ms'"
											: "SET SESSION "
											  "innodb_lock_wait_timeout=1",
							 NULL, 0, NULL, NULL),
			0);
	ck_assert_int_eq(lp_db_begin(a), 0);
	ck_assert_int_eq(lp_db_exec(a, upd, NULL, 0, NULL, NULL), 1);
	ck_assert_int_eq(lp_db_begin(b), 0);
	log_reset();
	ck_assert_int_eq(lp_db_exec(b, upd, NULL, 0, NULL, NULL), LP_DB_EBUSY);
	ck_assert_int_eq(log_warn, 1);
	ck_assert_int_eq(log_err, 0);
	lp_db_rollback(b);
	lp_db_rollback(a);
	lp_db_close(a);
	lp_db_close(b);
}
END_TEST

/* A fake driver whose statements meet `busy` lock conflicts first. */
static int fake_busy, fake_calls;

static int fake_exec(lp_db_conn_t *c, const char *sql,
		const lp_db_val_t *params, int nparams, lp_db_row_cb cb, void *ctx)
{
	if(fake_calls++ < fake_busy) {
		lp_db_log_fail(LP_DB_EBUSY, "fake: deadlock [%s]", sql);
		return LP_DB_EBUSY;
	}
	return 1;
}

static const lp_db_driver_t fake_drv = {.name = "fake",
		.scheme = "fake",
		.version = LP_DB_DRIVER_VERSION,
		.exec = fake_exec};

START_TEST(test_retried_deadlock_is_warning)
{
	lp_db_t db = {&fake_drv, (lp_db_conn_t *)&fake_calls, NULL, 0, NULL};

	log_reset();
	fake_busy = 2;
	fake_calls = 0;
	ck_assert_int_eq(lp_db_exec(&db, "UPDATE t", NULL, 0, NULL, NULL), 1);
	ck_assert_int_eq(log_warn, 2);
	ck_assert_int_eq(log_err, 0);

	log_reset();
	fake_busy = 10;
	fake_calls = 0;
	ck_assert_int_eq(
			lp_db_exec(&db, "UPDATE t", NULL, 0, NULL, NULL), LP_DB_EBUSY);
	ck_assert_int_eq(log_warn, 3);
	ck_assert_int_eq(log_err, 1);
	ck_assert_int_eq(log_lines("giving up"), 1);
}
END_TEST

START_TEST(test_refusals_rate_limited)
{
	int i;

	for(i = 0; i < 5 * LP_DB_LOG_BURST; i++)
		lp_db_log_fail(LP_DB_EDATA, "refused value %d", i);
	ck_assert_int_eq(log_err, LP_DB_LOG_BURST);
	for(i = 0; i < 5; i++)
		lp_db_log_fail(LP_DB_EGENERIC, "other error %d", i);
	ck_assert_int_eq(log_err, LP_DB_LOG_BURST + 5);
}
END_TEST

static void add_flush_tests(TCase *tc)
{
	tcase_add_test(tc, test_refused_row_among_good);
	tcase_add_test(tc, test_unsubscribe_during_flush);
	tcase_add_test(tc, test_removal_after_copy_of_stored_row);
	tcase_add_test(tc, test_expiry_during_flush);
	tcase_add_test(tc, test_expired_rows_deleted);
	tcase_add_test(tc, test_savepoint_keeps_transaction);
}

static void add_sqlite_tests(TCase *tc)
{
	add_flush_tests(tc);
	tcase_add_test(tc, test_refused_row_retried_after_change);
	tcase_add_test(tc, test_write_through_db_failing);
	tcase_add_test(tc, test_retried_deadlock_is_warning);
	tcase_add_test(tc, test_refusals_rate_limited);
}

static void add_server_tests(TCase *tc)
{
	add_flush_tests(tc);
	tcase_add_test(tc, test_too_long_value_among_good);
	tcase_add_test(tc, test_lock_timeout_is_warning);
}

Suite *pres_persist_suite(void)
{
	Suite *s = suite_create("pres_persist");

	lp_test_pres_tcases(s, "pres_persist", setup, lp_test_pres_stop,
			add_sqlite_tests, add_server_tests);
	return s;
}
