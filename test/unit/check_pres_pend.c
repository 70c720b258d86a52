/* Pending deletes of the subscription write-back (issue 11): an
 * un-SUBSCRIBE or a removal whose DELETE fails while the database is
 * unreachable (the table renamed away stands for it) keeps the dialog's key
 * in a bounded shared list; the next flush deletes the row once the DB is
 * back, a load in the same run does not bring the dialog back meanwhile,
 * and after a restart it stays ended. SQLite on a temp file. */
#include <check.h>
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
#include "pres_subs_pend.h"
#include "t_pres_fixture.h"


static const char *url; /* the fixture's (t_pres_fixture.c) */

static int no_notify(const pres_notify_t *n)
{
	return 0;
}

static int publ_ok(struct sip_msg *msg)
{
	return 0;
}

static void tables_new(void)
{
	lp_test_pres_tables_new();
	ck_assert_ptr_nonnull(pres.subs);
}

static void setup(void)
{
	lp_test_mem_install();
	lp_test_log_install();
	url = lp_test_pres_start("pend", 1, publ_ok);
	pres.pend = pres_pend_new(PRES_PEND_MAX);
	ck_assert_ptr_nonnull(pres.pend);
	pres.send_notify = no_notify;
}

static void teardown(void)
{
	pres_pend_free(pres.pend);
	pres.pend = NULL;
	lp_test_pres_stop();
}

/* The tables again and the DB loaded, as at a start; the pending list is
 * kept (in shared memory: same run) unless `new_run`. */
static void reload(int new_run)
{
	lp_test_pres_tables_free();
	lp_db_close(pres.db);
	pres.db = NULL;
	tables_new();
	if(new_run) {
		pres_pend_free(pres.pend);
		pres.pend = pres_pend_new(PRES_PEND_MAX);
	}
	ck_assert_int_eq(pres_load_db(), 0);
}

static int int_row(void *ctx, const lp_db_val_t *c, int n)
{
	*(long long *)ctx = c[0].type == LP_DB_INT ? c[0].v.i : atoll(c[0].v.s.s);
	return 1;
}

static long long rows(void)
{
	long long n = -1;
	lp_db_t *db = lp_db_open(url);

	ck_assert_ptr_nonnull(db);
	ck_assert_int_ge(lp_db_exec(db, "SELECT count(*) FROM active_watchers",
							 NULL, 0, int_row, &n),
			0);
	lp_db_close(db);
	return n;
}

#define DB_DOWN() lp_test_sql_run(url, "ALTER TABLE active_watchers RENAME TO aw_off")
#define DB_UP() lp_test_sql_run(url, "ALTER TABLE aw_off RENAME TO active_watchers")

/* The un-SUBSCRIBE's DELETE fails while the DB is down: the key is kept,
 * a flush while it is still down keeps it, a load in the same run skips
 * the row, and the first flush with the DB back deletes it. */
START_TEST(test_unsubscribe_while_db_down)
{
	lp_test_sub_t s;

	lp_test_sub_ok(&s, "pend-1", NULL);
	ck_assert_int_eq(pres_subs_flush(), 1);
	ck_assert_int_eq(rows(), 1);
	DB_DOWN();
	lp_test_sub_end(&s);
	ck_assert_int_eq(pres_subs_count(), 0);
	ck_assert_int_eq(pres_pend_count(pres.pend), 1);
	pres_subs_flush(); /* still down */
	ck_assert_int_eq(pres_pend_count(pres.pend), 1);
	DB_UP();
	ck_assert_int_eq(rows(), 1);
	reload(0);
	ck_assert_int_eq(pres_subs_count(), 0); /* not brought back */
	ck_assert_int_eq(pres_subs_flush(), 0);
	ck_assert_int_eq(pres_pend_count(pres.pend), 0);
	ck_assert_int_eq(rows(), 0);
	reload(1);
	ck_assert_int_eq(pres_subs_count(), 0);
}
END_TEST

/* Other watchers' rows are written by the same flush that deletes the
 * pending ones; only the ended dialog goes. */
START_TEST(test_pending_and_live_rows)
{
	lp_test_sub_t a, b;

	lp_test_sub_ok(&a, "pend-a", NULL);
	lp_test_sub_ok(&b, "pend-b", NULL);
	ck_assert_int_eq(pres_subs_flush(), 2);
	DB_DOWN();
	lp_test_sub_end(&a);
	DB_UP();
	ck_assert_int_eq(pres_subs_flush(), 0);
	ck_assert_int_eq(rows(), 1);
	reload(1);
	ck_assert_int_eq(pres_subs_count(), 1);
}
END_TEST

/* The list is bounded, holds each key once, and a retry without a DB
 * keeps every key. */
START_TEST(test_pending_bounded)
{
	pres_pend_t *p = pres_pend_new(2);
	lp_str_t c1 = LP_STR("c1"), c2 = LP_STR("c2"), c3 = LP_STR("c3");
	lp_str_t tt = LP_STR("tt"), ft = LP_STR("ft");

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(pres_pend_add(p, &(pres_dlg_key_t){&c1, &tt, &ft}), 0);
	ck_assert_int_eq(pres_pend_add(p, &(pres_dlg_key_t){&c1, &tt, &ft}), 0);
	ck_assert_int_eq(pres_pend_count(p), 1);
	ck_assert_int_eq(pres_pend_add(p, &(pres_dlg_key_t){&c2, &tt, &ft}), 0);
	ck_assert_int_eq(pres_pend_add(p, &(pres_dlg_key_t){&c3, &tt, &ft}), -1);
	ck_assert_int_eq(pres_pend_count(p), 2);
	ck_assert(pres_pend_has(p, &c2, &tt, &ft));
	ck_assert(!pres_pend_has(p, &c3, &tt, &ft));
	ck_assert(!pres_pend_has(p, &c1, &ft, &tt));
	ck_assert_int_eq(pres_pend_retry(p, NULL), 2);
	ck_assert_int_eq(pres_pend_retry(p, pres_db()), 0);
	ck_assert_int_eq(pres_pend_count(p), 0);
	pres_pend_free(p);
}
END_TEST

/* Out of memory while adding: -1, nothing leaks (the teardown counts). */
START_TEST(test_pending_oom)
{
	pres_pend_t *p = pres_pend_new(8);
	lp_str_t c1 = LP_STR("c1"), tt = LP_STR("tt"), ft = LP_STR("ft");

	ck_assert_ptr_nonnull(p);
	lp_test_mem_fail_at(1);
	ck_assert_int_eq(pres_pend_add(p, &(pres_dlg_key_t){&c1, &tt, &ft}), -1);
	lp_test_mem_fail_at(0);
	ck_assert_int_eq(pres_pend_count(p), 0);
	pres_pend_free(p);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, test_unsubscribe_while_db_down);
	tcase_add_test(tc, test_pending_and_live_rows);
	tcase_add_test(tc, test_pending_bounded);
	tcase_add_test(tc, test_pending_oom);
}

Suite *pres_pend_suite(void)
{
	Suite *s = suite_create("pres_pend");

	lp_test_pres_tcases(s, "pres_pend", setup, teardown, add_tests, NULL);
	return s;
}
