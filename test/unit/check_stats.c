/* The statistics hooks of the four modules without Kamailio: every count
 * goes to the installed sink (and nowhere without one), replies are counted
 * by class, NOTIFY / PUBLISH / SUBSCRIBE outcomes as 2xx, error or
 * timeout, the lp_db observer sees each DB call once with its result, and
 * the gauges count the live records of the tables (per event for presence)
 * or, in the DB-only modes, the live rows. */
#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "b2b_state.h"
#include "b2b_stats.h"
#include "lp_log.h"
#include "lp_test.h"
#include "pres_pub.h"
#include "pres_stats.h"
#include "pres_subs.h"
#include "pua_logic.h"
#include "pua_stats.h"
#include "pxml_stats.h"

#define T0 1700000000u

/* ---- a sink per module, counting into one array ---- */

static int counts[64];

static void pres_sink(pres_stat_t s, int n)
{
	counts[s] += n;
}
static void pua_sink(pua_stat_t s, int n)
{
	counts[s] += n;
}
static void pxml_sink(pxml_stat_t s, int n)
{
	counts[s] += n;
}
static void pb2b_sink(pb2b_stat_t s, int n)
{
	counts[s] += n;
}

static int total(void)
{
	int i, t = 0;

	for(i = 0; i < 64; i++)
		t += counts[i];
	return t;
}

static void reset(void)
{
	memset(counts, 0, sizeof(counts));
	pres_stats_set_sink(NULL);
	pua_stats_set_sink(NULL);
	pxml_stats_set_sink(NULL);
	pb2b_stats_set_sink(NULL);
}

START_TEST(test_no_sink_counts_nothing)
{
	reset();
	pres_stat_inc(PRES_STAT_PUBLISH_RECEIVED);
	pres_stat_reply(1, 200);
	pua_stat_inc(PUA_STAT_PUBLISH_SENT);
	pxml_stat_inc(PXML_STAT_XCAP_FETCHES);
	pb2b_stat_inc(PB2B_STAT_SUBSCRIBE_SENT);
	ck_assert_int_eq(total(), 0);
	pres_stats_set_sink(pres_sink);
	pres_stat_inc(PRES_STAT_N); /* out of range: ignored */
	pres_stat_inc((pres_stat_t)-1);
	ck_assert_int_eq(total(), 0);
}
END_TEST

START_TEST(test_pres_reply_classes)
{
	reset();
	pres_stats_set_sink(pres_sink);
	pres_stat_reply(1, 200);
	pres_stat_reply(1, 202);
	pres_stat_reply(1, 412);
	pres_stat_reply(1, 500);
	pres_stat_reply(0, 200);
	pres_stat_reply(0, 489);
	pres_stat_reply(0, 423);
	pres_stat_reply(0, 302); /* no class of its own: not counted */
	pres_stat_reply(0, 603);
	ck_assert_int_eq(counts[PRES_STAT_PUBLISH_2XX], 2);
	ck_assert_int_eq(counts[PRES_STAT_PUBLISH_4XX], 1);
	ck_assert_int_eq(counts[PRES_STAT_PUBLISH_5XX], 1);
	ck_assert_int_eq(counts[PRES_STAT_SUBSCRIBE_2XX], 1);
	ck_assert_int_eq(counts[PRES_STAT_SUBSCRIBE_4XX], 2);
	ck_assert_int_eq(counts[PRES_STAT_SUBSCRIBE_5XX], 0);
	ck_assert_int_eq(total(), 7);
}
END_TEST

START_TEST(test_pres_notify_and_db)
{
	reset();
	pres_stats_set_sink(pres_sink);
	pres_stat_notify_reply(200, 0);
	pres_stat_notify_reply(481, 0);
	pres_stat_notify_reply(500, 0);
	pres_stat_notify_reply(408, 1);
	pres_stat_db(3);
	pres_stat_db(0);
	pres_stat_db(-4);
	ck_assert_int_eq(counts[PRES_STAT_NOTIFY_ERROR], 2);
	ck_assert_int_eq(counts[PRES_STAT_NOTIFY_TIMEOUT], 1);
	ck_assert_int_eq(counts[PRES_STAT_DB_OPS], 3);
	ck_assert_int_eq(counts[PRES_STAT_DB_ERRORS], 1);
	ck_assert_int_eq(total(), 7);
}
END_TEST

START_TEST(test_other_modules_outcomes)
{
	reset();
	pua_stats_set_sink(pua_sink);
	pua_stat_reply(1, 200, 0);
	pua_stat_reply(1, 412, 0);
	pua_stat_reply(1, 408, 1);
	pua_stat_reply(0, 202, 0);
	pua_stat_reply(0, 481, 0);
	pua_stat_db(-1);
	ck_assert_int_eq(counts[PUA_STAT_PUBLISH_2XX], 1);
	ck_assert_int_eq(counts[PUA_STAT_PUBLISH_ERROR], 1);
	ck_assert_int_eq(counts[PUA_STAT_PUBLISH_TIMEOUT], 1);
	ck_assert_int_eq(counts[PUA_STAT_SUBSCRIBE_2XX], 1);
	ck_assert_int_eq(counts[PUA_STAT_SUBSCRIBE_ERROR], 1);
	ck_assert_int_eq(counts[PUA_STAT_DB_OPS], 1);
	ck_assert_int_eq(counts[PUA_STAT_DB_ERRORS], 1);
	reset();
	pb2b_stats_set_sink(pb2b_sink);
	pb2b_stat_reply(200, 0);
	pb2b_stat_reply(503, 0);
	pb2b_stat_reply(408, 1);
	pb2b_stat_reply(408, 0); /* a real 408 reply is an error reply */
	ck_assert_int_eq(counts[PB2B_STAT_SUBSCRIBE_2XX], 1);
	ck_assert_int_eq(counts[PB2B_STAT_SUBSCRIBE_ERROR], 2);
	ck_assert_int_eq(counts[PB2B_STAT_SUBSCRIBE_TIMEOUT], 1);
	reset();
	pxml_stats_set_sink(pxml_sink);
	pxml_stat_db(0);
	pxml_stat_db(-2);
	pxml_stat_inc(PXML_STAT_XCAP_FAILURES);
	ck_assert_int_eq(counts[PXML_STAT_DB_OPS], 2);
	ck_assert_int_eq(counts[PXML_STAT_DB_ERRORS], 1);
	ck_assert_int_eq(counts[PXML_STAT_XCAP_FAILURES], 1);
	ck_assert_int_eq(total(), 4);
}
END_TEST

START_TEST(test_event_names)
{
	char buf[64];
	lp_str_t winfo = lp_str_c("presence.winfo");
	lp_str_t sla = lp_str_c("dialog;sla");
	lp_str_t mwi = lp_str_c("message-summary");

	ck_assert_int_eq(
			pres_stats_event_name(buf, sizeof(buf), "active_", &winfo), 21);
	ck_assert_str_eq(buf, "active_presence_winfo");
	pres_stats_event_name(buf, sizeof(buf), "a_", &sla);
	ck_assert_str_eq(buf, "a_dialog_sla");
	pres_stats_event_name(buf, sizeof(buf), "a_", &mwi);
	ck_assert_str_eq(buf, "a_message_summary");
	ck_assert_int_eq(pres_stats_event_name(buf, 10, "active_", &winfo), -1);
}
END_TEST

/* ---- lp_db observer ---- */

static int seen_calls, seen_errors;

static void observer(int rc)
{
	seen_calls++;
	seen_errors += rc < 0;
}

START_TEST(test_db_observer)
{
	char path[] = "/tmp/check_stats_XXXXXX", url[64];
	int fd = mkstemp(path);
	lp_db_t *db;

	ck_assert_int_ge(fd, 0);
	close(fd);
	lp_test_log_install();
	snprintf(url, sizeof(url), "sqlite://%s", path);
	ck_assert_ptr_null(lp_db_observe(NULL, observer));
	db = lp_db_open(url);
	ck_assert_ptr_nonnull(db);
	seen_calls = seen_errors = 0;
	lp_db_exec(db, "CREATE TABLE t (a INTEGER)", NULL, 0, NULL, NULL);
	ck_assert_int_eq(seen_calls, 0); /* no observer yet */
	ck_assert_ptr_eq(lp_db_observe(db, observer), db);
	ck_assert_int_ge(lp_db_begin(db), 0);
	ck_assert_int_ge(
			lp_db_exec(db, "INSERT INTO t VALUES (1)", NULL, 0, NULL, NULL), 0);
	ck_assert_int_ge(lp_db_commit(db), 0);
	ck_assert_int_eq(seen_calls, 3);
	ck_assert_int_eq(seen_errors, 0);
	ck_assert_int_lt(lp_db_exec(db, "INSERT INTO nosuch VALUES (1)", NULL, 0,
							 NULL, NULL),
			0);
	ck_assert_int_eq(seen_calls, 4);
	ck_assert_int_eq(seen_errors, 1);
	lp_db_rollback(db); /* no transaction: an error, seen too */
	ck_assert_int_eq(seen_calls, 5);
	lp_db_observe(db, NULL);
	lp_db_exec(db, "INSERT INTO t VALUES (2)", NULL, 0, NULL, NULL);
	ck_assert_int_eq(seen_calls, 5);
	lp_db_close(db);
	unlink(path);
	lp_log_set(NULL);
}
END_TEST

/* ---- presence gauges ---- */

static pres_ev_t ev_pres = {.name = {"presence", 8}};
static pres_ev_t ev_winfo = {.name = {"presence.winfo", 14}};
static unsigned int fake_now;

static unsigned int fake_clock(void)
{
	return fake_now;
}

static void add_sub(const char *uri, const char *callid, pres_ev_t *ev,
		unsigned int expires)
{
	subs_t s;

	memset(&s, 0, sizeof(s));
	s.pres_uri = lp_str_c(uri);
	s.callid = lp_str_c(callid);
	s.to_tag = lp_str_c("tt");
	s.from_tag = lp_str_c("ft");
	s.event = ev;
	s.expires = expires;
	ck_assert_int_eq(pres_subs_insert(&s), 0);
}

static void add_pub(const char *user, const char *event, const char *etag,
		unsigned int expires)
{
	lp_str_t u = lp_str_c(user), d = lp_str_c("example.com");
	lp_str_t e = lp_str_c(event), t = lp_str_c(etag);
	pres_pub_key_t k = {&u, &d, &e, &t};
	pres_pub_t *p = pres_pub_new(&k, NULL, NULL, expires, T0);
	unsigned int slot;

	ck_assert_ptr_nonnull(p);
	slot = lp_htable_slot(pres.pubs, p->h.hash);
	lp_htable_lock(pres.pubs, slot);
	lp_htable_link(pres.pubs, &p->h);
	lp_htable_unlock(pres.pubs, slot);
}

static void pres_setup(void)
{
	lp_test_mem_install();
	pres_cfg_defaults(&pres.cfg);
	pres.cfg.subs_db_mode = PRES_SUBS_DB_NONE;
	pres.pubs = lp_htable_new(2);
	pres.subs = lp_htable_new(2);
	pres.dlgs = lp_htable_new(2);
	ck_assert_ptr_nonnull(pres.pubs);
	ck_assert_ptr_nonnull(pres.subs);
	fake_now = T0;
	pres.now = fake_clock;
}

static void pres_teardown(void)
{
	lp_htable_destroy(pres.pubs, pres_pub_free_entry);
	lp_htable_destroy(pres.subs, pres_subs_free_entry);
	lp_htable_destroy(pres.dlgs, NULL);
	pres.pubs = pres.subs = pres.dlgs = NULL;
	lp_db_close(pres.db);
	pres.db = NULL;
	ck_assert_int_eq(lp_test_mem_live(), 0);
}

START_TEST(test_pres_gauges_memory)
{
	ck_assert_int_eq(pres_stats_active_subs(NULL), 0);
	ck_assert_int_eq(pres_stats_active_pubs(NULL), 0);
	add_sub("sip:a@example.com", "c1", &ev_pres, T0 + 60);
	add_sub("sip:b@example.com", "c2", &ev_pres, T0 + 60);
	add_sub("sip:a@example.com", "c3", &ev_winfo, T0 + 60);
	add_sub("sip:c@example.com", "c4", &ev_pres, T0 - 1); /* expired */
	ck_assert_int_eq(pres_stats_active_subs(NULL), 3);
	ck_assert_int_eq(pres_stats_active_subs(&ev_pres), 2);
	ck_assert_int_eq(pres_stats_active_subs(&ev_winfo), 1);
	add_pub("a", "presence", "e1", T0 + 60);
	add_pub("a", "presence", "e2", T0 + 60);
	add_pub("b", "dialog", "e3", T0 + 60);
	add_pub("c", "presence", "e4", T0); /* expires now: not live */
	ck_assert_int_eq(pres_stats_active_pubs(NULL), 3);
	ck_assert_int_eq(pres_stats_active_pubs(&ev_pres), 2);
	ck_assert_int_eq(pres_stats_active_pubs(&ev_winfo), 0);
	fake_now = T0 + 61;
	ck_assert_int_eq(pres_stats_active_subs(NULL), 0);
	ck_assert_int_eq(pres_stats_active_pubs(NULL), 0);
}
END_TEST

/* DB-only modes: the live rows are counted (a table of only the columns
 * the count reads), and the count is a DB operation like any other. */
START_TEST(test_pres_gauges_db_only)
{
	char path[] = "/tmp/check_stats_XXXXXX", url[64];
	int fd = mkstemp(path);
	sqlite3 *h;

	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(sqlite3_open(path, &h), SQLITE_OK);
	ck_assert_int_eq(
			sqlite3_exec(h,
					"CREATE TABLE presentity (event TEXT, expires INT);"
					"CREATE TABLE active_watchers (event TEXT, expires INT);"
					"INSERT INTO presentity VALUES ('presence', 1700000060),"
					" ('presence', 1700000000), ('dialog', 1700000060);"
					"INSERT INTO active_watchers VALUES"
					" ('presence', 1700000060), ('presence.winfo',"
					" 1700000060), ('presence', 1699999999);",
					NULL, NULL, NULL),
			SQLITE_OK);
	sqlite3_close(h);
	snprintf(url, sizeof(url), "sqlite://%s", path);
	add_sub("sip:a@example.com", "c1", &ev_pres, T0 + 60); /* not read */
	pres.cfg.db_url = url;
	pres.cfg.subs_db_mode = PRES_SUBS_DB_ONLY;
	pres.cfg.publ_cache = 0;
	memset(counts, 0, sizeof(counts));
	pres_stats_set_sink(pres_sink);
	ck_assert_int_eq(pres_stats_active_pubs(NULL), 2);
	ck_assert_int_eq(pres_stats_active_pubs(&ev_pres), 1);
	ck_assert_int_eq(pres_stats_active_subs(NULL), 2);
	ck_assert_int_eq(pres_stats_active_subs(&ev_winfo), 1);
	ck_assert_int_eq(counts[PRES_STAT_DB_OPS], 4);
	pres.cfg.active_watchers_table = "nosuch";
	lp_test_log_install();
	ck_assert_int_eq(pres_stats_active_subs(NULL), -1);
	ck_assert_int_eq(counts[PRES_STAT_DB_ERRORS], 1);
	lp_log_set(NULL);
	pres_stats_set_sink(NULL);
	pres.cfg.db_url = NULL;
	unlink(path);
}
END_TEST

/* ---- pua and presence_b2b gauges ---- */

START_TEST(test_pua_b2b_gauges)
{
	pua_rec_t r[3];
	lp_hentry_t e[2];
	int i, kinds[3] = {PUA_PUBL, PUA_SUBS, PUA_PUBL};

	ck_assert_int_eq(pua_stats_active(PUA_PUBL), 0); /* no table */
	pua.table = lp_htable_new(2);
	ck_assert_ptr_nonnull(pua.table);
	memset(r, 0, sizeof(r));
	for(i = 0; i < 3; i++) {
		r[i].kind = kinds[i];
		r[i].h.hash = (unsigned int)i;
		lp_htable_link(pua.table, &r[i].h);
	}
	ck_assert_int_eq(pua_stats_active(PUA_PUBL), 2);
	ck_assert_int_eq(pua_stats_active(PUA_SUBS), 1);
	for(i = 0; i < 3; i++)
		lp_htable_unlink(pua.table, &r[i].h);
	lp_htable_destroy(pua.table, NULL);
	pua.table = NULL;

	ck_assert_int_eq(pb2b_stats_active(), 0);
	pb2b.recs = lp_htable_new(3);
	ck_assert_ptr_nonnull(pb2b.recs);
	e[0].hash = 1;
	e[1].hash = 6;
	lp_htable_link(pb2b.recs, &e[0]);
	lp_htable_link(pb2b.recs, &e[1]);
	ck_assert_int_eq(pb2b_stats_active(), 2);
	lp_htable_unlink(pb2b.recs, &e[0]);
	ck_assert_int_eq(pb2b_stats_active(), 1);
	lp_htable_unlink(pb2b.recs, &e[1]);
	lp_htable_destroy(pb2b.recs, NULL);
	pb2b.recs = NULL;
}
END_TEST

Suite *stats_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *hooks = tcase_create("hooks");
	TCase *gauges = tcase_create("gauges");

	tcase_add_test(hooks, test_no_sink_counts_nothing);
	tcase_add_test(hooks, test_pres_reply_classes);
	tcase_add_test(hooks, test_pres_notify_and_db);
	tcase_add_test(hooks, test_other_modules_outcomes);
	tcase_add_test(hooks, test_event_names);
	tcase_add_test(hooks, test_db_observer);
	suite_add_tcase(s, hooks);
	tcase_add_checked_fixture(gauges, pres_setup, pres_teardown);
	tcase_add_test(gauges, test_pres_gauges_memory);
	tcase_add_test(gauges, test_pres_gauges_db_only);
	tcase_add_test(gauges, test_pua_b2b_gauges);
	suite_add_tcase(s, gauges);
	return s;
}
