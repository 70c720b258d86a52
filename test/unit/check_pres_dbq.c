/* The DB write queue (pres_dbq.h, db_write_interval > 0): publications are
 * answered from the cache at once and the DB follows when the writer runs;
 * the changes of one publication reach the DB in their order (a removal
 * after an insert is never undone); a full queue refuses the change (503
 * with Retry-After) without touching the cache; a failing DB keeps every
 * change queued until it works again; a row the DB refuses is dropped
 * without holding back the others; a batch written twice (writer killed
 * between commit and drop) ends in the same rows. Subscriptions
 * (subs_db_mode 1, 2): the watchers row of a new one and the DELETE of an
 * ended one are queued, a full queue answers a new SUBSCRIBE 503 and keeps
 * nothing, and write-through is left to the writer. SQLite temp file. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lp_db.h"
#include "lp_log.h"
#include "lp_test.h"
#include "t_pres_fixture.h"
#include "pres_logic.h"
#include "pres_pub.h"
#include "pres_dbq.h"
#include "pres_subs.h"


static const char *url; /* the fixture's (t_pres_fixture.c) */

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
	url = lp_test_pres_start("pubq", 1, NULL);
	pres.cfg.db_write_interval = 100;
	pres.cfg.db_queue_size = 8;
	ck_assert_int_eq(pres_dbq_init(), 0);
	ck_assert_ptr_nonnull(pres.dbq);
	pres.send_notify = no_notify;
}

static void teardown(void)
{
	pres_dbq_destroy();
	lp_test_pres_stop();
}

/* ---- publishing through the logic ---- */

static pres_reply_t rep;

static int publish(const char *user, const char *if_match, const char *body,
		int expires)
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

/* The SIP-ETag of the last reply (static buffer). */
static const char *etag(void)
{
	static char e[128];
	const char *p = strstr(rep.hdrs, "SIP-ETag: ");

	ck_assert_ptr_nonnull(p);
	p += 10;
	snprintf(e, sizeof(e), "%.*s", (int)strcspn(p, "\r\n"), p);
	return e;
}

static int cached(const char *user)
{
	lp_str_t **b = NULL;
	lp_str_t u = lp_str_c(user);
	int n = pres_pub_bodies(&u, &LP_STR("example.com"), &LP_STR("presence"), &b);

	pres_pub_bodies_free(b, n > 0 ? n : 0);
	return n;
}

START_TEST(test_answered_from_memory_written_later)
{
	ck_assert_int_eq(publish("alice", NULL, "<a1/>", 600), 200);
	ck_assert_int_eq(cached("alice"), 1);
	ck_assert_str_eq(lp_test_sql_q1(url, "SELECT count(*) FROM presentity"), "0");
	ck_assert_uint_eq(pres_dbq_len(), 1);
	ck_assert_int_eq(pres_dbq_write(pres_db()), 1);
	ck_assert_uint_eq(pres_dbq_len(), 0);
	ck_assert_str_eq(lp_test_sql_q1(url, "SELECT body FROM presentity WHERE username='alice'"),
			"<a1/>");
	ck_assert_int_eq(pres_dbq_write(pres_db()), 0); /* nothing left */
}
END_TEST

/* insert, modify (new ETag), refresh, remove: queued in one batch, the DB
 * ends with no row; insert + modify ends with the modified row alone. */
START_TEST(test_order_kept)
{
	char e1[128];

	ck_assert_int_eq(publish("bob", NULL, "<b1/>", 600), 200);
	snprintf(e1, sizeof(e1), "%s", etag());
	ck_assert_int_eq(publish("bob", e1, "<b2/>", 600), 200);
	ck_assert_int_eq(publish("bob", etag(), NULL, 600), 200);
	ck_assert_int_eq(publish("bob", etag(), NULL, 0), 200);
	ck_assert_int_eq(publish("carol", NULL, "<c1/>", 600), 200);
	ck_assert_int_eq(publish("carol", etag(), "<c2/>", 600), 200);
	ck_assert_int_eq(cached("bob"), 0);
	ck_assert_int_eq(pres_dbq_write(pres_db()), 6);
	ck_assert_str_eq(lp_test_sql_q1(url, "SELECT count(*) FROM presentity WHERE username='bob'"), "0");
	ck_assert_str_eq(lp_test_sql_q1(url, "SELECT count(*) FROM presentity WHERE username='carol'"), "1");
	ck_assert_str_eq(lp_test_sql_q1(url, "SELECT body FROM presentity WHERE username='carol'"),
			"<c2/>");
	/* and a removal after a written insert, in the next batch */
	ck_assert_int_eq(publish("dave", NULL, "<d1/>", 600), 200);
	ck_assert_int_eq(pres_dbq_write(pres_db()), 1);
	ck_assert_int_eq(publish("dave", etag(), NULL, 0), 200);
	ck_assert_int_eq(pres_dbq_write(pres_db()), 1);
	ck_assert_str_eq(lp_test_sql_q1(url, "SELECT count(*) FROM presentity WHERE username='dave'"), "0");
}
END_TEST

START_TEST(test_full_queue_503)
{
	char e1[128];
	int i;

	pres.cfg.db_queue_retry_after = 7;
	ck_assert_int_eq(publish("erin", NULL, "<e1/>", 600), 200);
	snprintf(e1, sizeof(e1), "%s", etag());
	for(i = 1; i < 8; i++)
		ck_assert_int_eq(publish("filler", NULL, "<f/>", 600), 200);
	ck_assert_uint_eq(pres_dbq_len(), 8);
	/* full: a new publication, a modify and a removal are refused */
	ck_assert_int_eq(publish("frank", NULL, "<x/>", 600), 503);
	ck_assert_ptr_nonnull(strstr(rep.hdrs, "Retry-After: 7\r\n"));
	ck_assert_int_eq(publish("erin", e1, "<e2/>", 600), 503);
	ck_assert_int_eq(publish("erin", e1, NULL, 0), 503);
	/* and the cache did not change: nothing half stored */
	ck_assert_int_eq(cached("frank"), 0);
	ck_assert_int_eq(cached("erin"), 1);
	ck_assert_int_eq(publish("erin", e1, NULL, 600), 503);
	ck_assert_int_eq(pres_dbq_write(pres_db()), 8);
	ck_assert_int_eq(publish("erin", e1, "<e2/>", 600), 200); /* room again */
	ck_assert_int_eq(pres_dbq_write(pres_db()), 1);
	ck_assert_str_eq(lp_test_sql_q1(url, "SELECT body FROM presentity WHERE username='erin'"),
			"<e2/>");
	ck_assert_str_eq(lp_test_sql_q1(url, "SELECT count(*) FROM presentity"), "8");
}
END_TEST

/* The table unusable (renamed away by someone else): the batch fails, the
 * changes stay queued, PUBLISH is still answered from memory; once the
 * table is back the same changes are written. */
START_TEST(test_db_failing_keeps_queue)
{
	ck_assert_int_eq(publish("gina", NULL, "<g1/>", 600), 200);
	lp_test_sql_run(url, "ALTER TABLE presentity RENAME TO presentity_away");
	ck_assert_int_lt(pres_dbq_write(pres_db()), 0);
	ck_assert_uint_eq(pres_dbq_len(), 1);
	ck_assert_int_eq(publish("gina", etag(), "<g2/>", 600), 200);
	ck_assert_int_eq(publish("hank", NULL, "<h1/>", 600), 200);
	ck_assert_int_lt(pres_dbq_drain(pres_db()), 0);
	ck_assert_uint_eq(pres_dbq_len(), 3);
	lp_test_sql_run(url, "ALTER TABLE presentity_away RENAME TO presentity");
	ck_assert_int_eq(pres_dbq_drain(pres_db()), 3);
	ck_assert_str_eq(lp_test_sql_q1(url, "SELECT body FROM presentity WHERE username='gina'"),
			"<g2/>");
	ck_assert_str_eq(lp_test_sql_q1(url, "SELECT count(*) FROM presentity"), "2");
}
END_TEST

/* A row the DB refuses (a trigger standing for a too narrow column) among
 * good ones: the good ones commit, the refused one is dropped. */
START_TEST(test_refused_row_dropped)
{
	lp_test_sql_run(url, "CREATE TRIGGER pub_refuse BEFORE INSERT ON presentity"
		   " WHEN NEW.body LIKE '%refuse%'"
		   " BEGIN SELECT RAISE(ABORT, 'refused'); END");
	ck_assert_int_eq(publish("ivan", NULL, "<ok1/>", 600), 200);
	ck_assert_int_eq(publish("judy", NULL, "<refuse/>", 600), 200);
	ck_assert_int_eq(publish("kate", NULL, "<ok2/>", 600), 200);
	ck_assert_int_eq(pres_dbq_write(pres_db()), 3);
	ck_assert_uint_eq(pres_dbq_len(), 0);
	ck_assert_str_eq(lp_test_sql_q1(url, "SELECT count(*) FROM presentity"), "2");
	ck_assert_str_eq(lp_test_sql_q1(url, "SELECT count(*) FROM presentity WHERE username='judy'"), "0");
}
END_TEST

/* A batch committed and then written again (the writer was killed between
 * its commit and the drop, and the shutdown drain writes it again): the
 * same rows. */
START_TEST(test_written_twice_same_rows)
{
	pres_pub_key_t k;
	pres_pub_t *p1, *p2;
	int round;

	k = (pres_pub_key_t){&LP_STR("liz"), &LP_STR("example.com"),
			&LP_STR("presence"), &LP_STR("e1")};
	p1 = pres_pub_new(&k, NULL, &LP_STR("<l1/>"), LP_TEST_T0 + 600, LP_TEST_T0);
	k.etag = &LP_STR("e2");
	p2 = pres_pub_new(&k, NULL, &LP_STR("<l2/>"), LP_TEST_T0 + 600, LP_TEST_T0);
	ck_assert_ptr_nonnull(p1);
	ck_assert_ptr_nonnull(p2);
	for(round = 0; round < 2; round++) {
		ck_assert_int_eq(pres_dbq_store(p1, NULL), 0);
		ck_assert_int_eq(pres_dbq_store(p2, &LP_STR("e1")), 0);
		k.etag = &LP_STR("e0");
		ck_assert_int_eq(pres_dbq_remove(&k), 0); /* unknown ETag: no row */
		ck_assert_int_eq(pres_dbq_write(pres_db()), 3);
		ck_assert_str_eq(lp_test_sql_q1(url, "SELECT count(*) FROM presentity WHERE"
							" username='liz'"), "1");
		ck_assert_str_eq(lp_test_sql_q1(url, "SELECT etag || body FROM presentity WHERE"
							" username='liz'"), "e2<l2/>");
	}
	lp_free(p1);
	lp_free(p2);
}
END_TEST

/* Kept in the DB across a restart: the writer's rows load again. */
START_TEST(test_reload_after_write)
{
	ck_assert_int_eq(publish("mona", NULL, "<m1/>", 600), 200);
	ck_assert_int_eq(pres_dbq_drain(pres_db()), 1);
	lp_htable_destroy(pres.pubs, pres_pub_free_entry);
	pres.pubs = lp_htable_new(4);
	ck_assert_int_eq(pres_pub_load_all(), 1);
	ck_assert_int_eq(cached("mona"), 1);
}
END_TEST

START_TEST(test_off_without_interval)
{
	pres_dbq_destroy();
	pres.cfg.db_write_interval = 0;
	ck_assert_int_eq(pres_dbq_init(), 0);
	ck_assert_ptr_null(pres.dbq);
	pres.cfg.db_write_interval = 100;
	/* the DB-only modes stay synchronous */
	pres.cfg.publ_cache = 0;
	pres.cfg.subs_db_mode = PRES_SUBS_DB_ONLY;
	ck_assert_int_eq(pres_dbq_init(), 0);
	ck_assert_ptr_null(pres.dbq);
	ck_assert_int_eq(publish("nina", NULL, "<n1/>", 600), 200);
	ck_assert_str_eq(lp_test_sql_q1(url, "SELECT count(*) FROM presentity"), "1");
	/* publ_cache 0 with subscriptions in memory: only those queue */
	pres.cfg.subs_db_mode = PRES_SUBS_DB_BACK;
	ck_assert_int_eq(pres_dbq_init(), 0);
	ck_assert_int_eq(pres_dbq_subs(), 1);
	ck_assert_int_eq(pres_dbq_pubs(), 0);
	ck_assert_int_eq(publish("olga", NULL, "<o1/>", 600), 200);
	ck_assert_str_eq(lp_test_sql_q1(url, "SELECT count(*) FROM presentity"), "2");
	ck_assert_uint_eq(pres_dbq_len(), 0);
	pres_dbq_destroy();
	pres.cfg.publ_cache = 1;
	pres.cfg.db_queue_size = 0;
	ck_assert_int_eq(pres_dbq_init(), -1);
}
END_TEST

/* ---- subscriptions ---- */

typedef struct sub {
	pres_subscribe_req_t r;
	char to_tag[128];
} sub_t;

static int subscribe(sub_t *s)
{
	return lp_test_pres_subscribe(
			&s->r, &rep, s->to_tag, sizeof(s->to_tag), NULL);
}

/* An initial SUBSCRIBE of bob to alice. */
static int subscribe_new(sub_t *s, const char *callid)
{
	memset(s, 0, sizeof(*s));
	lp_test_pres_sub_req(&s->r, callid);
	return subscribe(s);
}

static int unsubscribe(sub_t *s)
{
	s->r.to_tag = lp_str_c(s->to_tag);
	s->r.cseq++;
	s->r.expires = 0;
	return subscribe(s);
}

/* subs_db_mode 2: the watchers row and the DELETE of the ended
 * subscription wait for the writer; the flush still writes the
 * active_watchers row. */
START_TEST(test_subscribe_rows_queued)
{
	sub_t s;

	ck_assert_int_eq(subscribe_new(&s, "cid-q1") / 100, 2);
	ck_assert_str_eq(lp_test_sql_q1(url, "SELECT count(*) FROM watchers"), "0");
	ck_assert_uint_eq(pres_dbq_len(), 1);
	ck_assert_int_eq(pres_dbq_write(pres_db()), 1);
	ck_assert_str_eq(lp_test_sql_q1(url, "SELECT count(*) FROM watchers WHERE"
						" watcher_username='bob'"), "1");
	ck_assert_int_eq(pres_subs_flush(), 1);
	ck_assert_str_eq(lp_test_sql_q1(url, "SELECT count(*) FROM active_watchers"), "1");
	ck_assert_int_eq(unsubscribe(&s) / 100, 2);
	ck_assert_int_eq(pres_subs_count(), 0);
	ck_assert_str_eq(lp_test_sql_q1(url, "SELECT count(*) FROM active_watchers"), "1");
	ck_assert_uint_eq(pres_dbq_len(), 1);
	ck_assert_int_eq(pres_dbq_write(pres_db()), 1);
	ck_assert_str_eq(lp_test_sql_q1(url, "SELECT count(*) FROM active_watchers"), "0");
}
END_TEST

/* A full queue: a new subscription gets 503 with Retry-After and is not
 * kept; an un-SUBSCRIBE is still taken (its DELETE written at once). */
START_TEST(test_subscribe_full_503)
{
	sub_t s, t;
	int i;

	ck_assert_int_eq(subscribe_new(&t, "cid-q2") / 100, 2);
	ck_assert_int_eq(pres_dbq_write(pres_db()), 1);
	ck_assert_int_eq(pres_subs_flush(), 1);
	for(i = 0; i < 8; i++)
		ck_assert_int_eq(publish("filler", NULL, "<f/>", 600), 200);
	ck_assert_int_eq(subscribe_new(&s, "cid-q3"), 503);
	ck_assert_ptr_nonnull(strstr(rep.hdrs, "Retry-After: 5\r\n"));
	ck_assert_int_eq(pres_subs_count(), 1);
	ck_assert_int_eq(unsubscribe(&t) / 100, 2);
	ck_assert_int_eq(pres_subs_count(), 0);
	ck_assert_str_eq(lp_test_sql_q1(url, "SELECT count(*) FROM active_watchers"), "0");
}
END_TEST

/* subs_db_mode 1 with a writer: the worker does not flush; the writer's
 * round (pres_subs_flush) does. */
START_TEST(test_write_through_left_to_writer)
{
	sub_t s;

	pres.cfg.subs_db_mode = PRES_SUBS_DB_THROUGH;
	ck_assert_int_eq(subscribe_new(&s, "cid-q4") / 100, 2);
	ck_assert_str_eq(lp_test_sql_q1(url, "SELECT count(*) FROM active_watchers"), "0");
	ck_assert_int_eq(pres_dbq_write(pres_db()), 1);
	ck_assert_int_eq(pres_subs_flush(), 1);
	ck_assert_str_eq(lp_test_sql_q1(url, "SELECT count(*) FROM active_watchers"), "1");
}
END_TEST

Suite *pres_dbq_suite(void)
{
	Suite *s = suite_create("pres_dbq");
	TCase *tc = tcase_create("sqlite");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_answered_from_memory_written_later);
	tcase_add_test(tc, test_order_kept);
	tcase_add_test(tc, test_full_queue_503);
	tcase_add_test(tc, test_db_failing_keeps_queue);
	tcase_add_test(tc, test_refused_row_dropped);
	tcase_add_test(tc, test_written_twice_same_rows);
	tcase_add_test(tc, test_reload_after_write);
	tcase_add_test(tc, test_off_without_interval);
	tcase_add_test(tc, test_subscribe_rows_queued);
	tcase_add_test(tc, test_subscribe_full_503);
	tcase_add_test(tc, test_write_through_left_to_writer);
	suite_add_tcase(s, tc);
	return s;
}
