/* Coalescing in the DB writer (pres_dbq.c): changes of one publication
 * queued in one batch (a modify, refresh or removal within one
 * db_write_interval) reach the DB as the last one alone: the stores a later
 * change overwrites or deletes are not written (row writes counted by
 * triggers), the rows end as the changes one by one give them, other
 * presentities (even with the same ETag) are untouched, and the batch
 * written twice ends in the same rows. SQLite temp file. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lp_db.h"
#include "lp_log.h"
#include "lp_test.h"
#include "t_pres_fixture.h"
#include "pres_logic.h"
#include "pres_pub.h"
#include "pres_dbq.h"


static const char *url;

static int no_notify(const pres_notify_t *n)
{
	return 0;
}

static void quiet(int level, const char *msg)
{
}

static void setup(void)
{
	lp_test_mem_install();
	lp_log_set(quiet);
	url = lp_test_pres_start("pubqc", 1, NULL);
	ck_assert_int_eq(pres_dbq_init(), 0);
	ck_assert_ptr_nonnull(pres.dbq);
	pres.send_notify = no_notify;
}

static void teardown(void)
{
	pres_dbq_destroy();
	lp_test_pres_stop();
}

static pres_reply_t rep;

static int publish(
		const char *user, const char *if_match, const char *body, int expires)
{
	pres_publish_req_t r;

	memset(&r, 0, sizeof(r));
	r.user = lp_str_c(user);
	r.domain = LP_STR("example.com");
	r.has_event = 1;
	r.event = LP_STR("presence");
	r.expires = expires;
	r.has_if_match = if_match != NULL;
	r.if_match = lp_str_c(if_match ? if_match : "");
	r.has_ctype = 1;
	r.content_type = LP_STR("application/pidf+xml");
	r.body = lp_str_c(body ? body : "");
	r.no_sip = 1;
	memset(&rep, 0, sizeof(rep));
	pres_handle_publish(&r, &rep);
	free(rep.off_body.s);
	return rep.code;
}

static const char *etag(void)
{
	static char e[128];
	const char *p = strstr(rep.hdrs, "SIP-ETag: ");

	ck_assert_ptr_nonnull(p);
	p += 10;
	snprintf(e, sizeof(e), "%.*s", (int)strcspn(p, "\r\n"), p);
	return e;
}

/* Every row written (INSERT or UPDATE of presentity) is counted. */
static void count_writes(void)
{
	lp_test_sql_run(url, "CREATE TABLE writes (n INTEGER)");
	lp_test_sql_run(url, "CREATE TRIGGER w_ins AFTER INSERT ON presentity"
		   " BEGIN INSERT INTO writes VALUES (1); END");
	lp_test_sql_run(url, "CREATE TRIGGER w_upd AFTER UPDATE ON presentity"
		   " BEGIN INSERT INTO writes VALUES (1); END");
}

/* insert, modify, refresh, modify of one publication in one batch: one
 * row written, the last body under the last ETag; another presentity in
 * the same batch is written as before. */
START_TEST(test_chain_written_once)
{
	char last[300];

	count_writes();
	ck_assert_int_eq(publish("ann", NULL, "<a1/>", 600), 200);
	ck_assert_int_eq(publish("ann", etag(), "<a2/>", 600), 200);
	snprintf(last, sizeof(last), "%s", etag());
	ck_assert_int_eq(publish("ben", NULL, "<b1/>", 600), 200);
	ck_assert_int_eq(publish("ann", last, NULL, 600), 200);
	ck_assert_int_eq(publish("ann", etag(), "<a4/>", 600), 200);
	snprintf(last, sizeof(last), "%s<a4/>", etag());
	ck_assert_int_eq(pres_dbq_write(pres_db()), 5);
	ck_assert_str_eq(lp_test_sql_q1(url, "SELECT count(*) FROM writes"), "2");
	ck_assert_str_eq(
			lp_test_sql_q1(url, "SELECT count(*) FROM presentity WHERE username='ann'"), "1");
	ck_assert_str_eq(
			lp_test_sql_q1(url, "SELECT etag || body FROM presentity WHERE username='ann'"),
			last);
	ck_assert_str_eq(
			lp_test_sql_q1(url, "SELECT body FROM presentity WHERE username='ben'"), "<b1/>");
}
END_TEST

/* insert then removal in one batch: nothing written; a removal of a row
 * written in an earlier batch, after a modify queued with it, leaves no
 * row. */
START_TEST(test_removed_not_written)
{
	count_writes();
	ck_assert_int_eq(publish("cid", NULL, "<c1/>", 600), 200);
	ck_assert_int_eq(publish("cid", etag(), NULL, 0), 200);
	ck_assert_int_eq(pres_dbq_write(pres_db()), 2);
	ck_assert_str_eq(lp_test_sql_q1(url, "SELECT count(*) FROM writes"), "0");
	ck_assert_int_eq(publish("dan", NULL, "<d1/>", 600), 200);
	ck_assert_int_eq(pres_dbq_write(pres_db()), 1);
	ck_assert_int_eq(publish("dan", etag(), "<d2/>", 600), 200);
	ck_assert_int_eq(publish("dan", etag(), NULL, 0), 200);
	ck_assert_int_eq(pres_dbq_write(pres_db()), 2);
	ck_assert_str_eq(lp_test_sql_q1(url, "SELECT count(*) FROM writes"), "1");
	ck_assert_str_eq(lp_test_sql_q1(url, "SELECT count(*) FROM presentity"), "0");
}
END_TEST

/* Only changes of the same presentity and event coalesce (an ETag is
 * compared with the user, domain and event); a batch written twice (the
 * writer killed between commit and drop) marks the same stores and ends
 * in the same rows. */
START_TEST(test_other_key_and_twice)
{
	pres_pub_key_t k = {&LP_STR("eve"), &LP_STR("example.com"),
			&LP_STR("presence"), &LP_STR("e1")};
	pres_pub_t *a = pres_pub_new(&k, NULL, &LP_STR("<e1/>"), LP_TEST_T0 + 600, LP_TEST_T0);
	pres_pub_t *b, *c;
	int round;

	k.user = &LP_STR("fay"); /* same ETag, another presentity */
	b = pres_pub_new(&k, NULL, &LP_STR("<f1/>"), LP_TEST_T0 + 600, LP_TEST_T0);
	k.user = &LP_STR("eve");
	k.etag = &LP_STR("e2");
	c = pres_pub_new(&k, NULL, &LP_STR("<e2/>"), LP_TEST_T0 + 600, LP_TEST_T0);
	ck_assert(a && b && c);
	for(round = 0; round < 2; round++) {
		ck_assert_int_eq(pres_dbq_store(a, NULL), 0);
		ck_assert_int_eq(pres_dbq_store(b, &LP_STR("e1")), 0);
		ck_assert_int_eq(pres_dbq_store(c, &LP_STR("e1")), 0);
		ck_assert_int_eq(pres_dbq_write(pres_db()), 3);
		ck_assert_str_eq(
				lp_test_sql_q1(url, "SELECT group_concat(username || etag || body)"
				   " FROM (SELECT * FROM presentity ORDER BY username)"),
				"evee2<e2/>,faye1<f1/>");
	}
	lp_free(a);
	lp_free(b);
	lp_free(c);
}
END_TEST

Suite *pres_dbq_coalesce_suite(void)
{
	Suite *s = suite_create("pres_dbq_coalesce");
	TCase *tc = tcase_create("sqlite");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_chain_written_once);
	tcase_add_test(tc, test_removed_not_written);
	tcase_add_test(tc, test_other_key_and_twice);
	suite_add_tcase(s, tc);
	return s;
}
