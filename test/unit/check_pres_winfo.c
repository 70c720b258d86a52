/* The full watcher-info document (RFC 3858, pres_winfo.c) of a presentity
 * with several watchers: every entry's duration-subscribed comes from the
 * watchers table, read with one SELECT for the whole document (it was one
 * per watcher: a spying DB driver counts the statements), and each entry
 * gets its own watcher's time. SQLite on a temp file. */
#define _GNU_SOURCE /* memmem */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lp_db.h"
#include "lp_log.h"
#include "lp_test.h"
#include "pres_logic.h"
#include "pres_sql.h"
#include "pres_subs.h"

#define T0 1700000000u
#define N_WATCHERS 6

static int no_notify(const pres_notify_t *n)
{
	return 0;
}

/* A driver that forwards to the real one and counts the statements. */
static lp_db_driver_t spy_drv;
static const lp_db_driver_t *real_drv;
static int spy_execs;

static int spy_exec(lp_db_conn_t *c, const char *sql, const lp_db_val_t *p,
		int n, lp_db_row_cb cb, void *ctx)
{
	spy_execs++;
	return real_drv->exec(c, sql, p, n, cb, ctx);
}

static void spy_install(void)
{
	ck_assert_ptr_nonnull(pres_db());
	real_drv = pres.db->drv;
	spy_drv = *real_drv;
	spy_drv.exec = spy_exec;
	pres.db->drv = &spy_drv;
	spy_execs = 0;
}

static void setup(void)
{
	pres_ev_t winfo;

	lp_test_mem_install();
	lp_test_log_install();
	memset(&pres, 0, sizeof(pres));
	pres_cfg_defaults(&pres.cfg);
	pres.cfg.db_url = (char *)lp_test_pres_db_new(&lp_test_eng_sqlite, "winfo");
	ck_assert_int_eq(pres_sql_init(), 0);
	lp_test_pres_tables_new();
	lp_test_pres_add_presence("application/pidf+xml", NULL);
	memset(&winfo, 0, sizeof(winfo));
	winfo.name = LP_STR("presence.winfo");
	winfo.content_type = LP_STR("application/watcherinfo+xml");
	winfo.type = WINFO_TYPE;
	ck_assert_int_eq(pres_add_event(&winfo), 0);
	lp_test_now = T0;
	pres.now = lp_test_clock;
	pres.send_notify = no_notify;
}

static void teardown(void)
{
	if(pres.db && pres.db->drv == &spy_drv)
		pres.db->drv = real_drv;
	lp_test_pres_tables_free();
	lp_test_pres_db_close_events();
	lp_test_pres_db_drop();
	lp_log_set(NULL);
	ck_assert_int_eq(lp_test_mem_live(), 0);
}

/* Watcher w<i>@example.com subscribes to alice's presence. */
static void watcher_subscribes(int i)
{
	pres_subscribe_req_t r;
	pres_reply_t rep;
	char user[16], callid[32], to_tag[128];

	snprintf(user, sizeof(user), "w%d", i);
	snprintf(callid, sizeof(callid), "winfo-w%d", i);
	lp_test_pres_sub_req(&r, callid);
	r.from_user = lp_str_c(user);
	ck_assert_int_eq(
			lp_test_pres_subscribe(&r, &rep, to_tag, sizeof(to_tag), NULL)
					/ 100,
			2);
}

static void body_has(const lp_str_t *b, const char *s)
{
	ck_assert_msg(b->s && memmem(b->s, b->len, s, strlen(s)) != NULL,
			"no %s in %.*s", s, b->len, b->s);
}

/* N watchers subscribed 10 s apart; watcher w2's row is gone (its duration
 * is unknown: 0). The document costs one statement, not N. */
START_TEST(test_full_document_one_select)
{
	subs_t ws;
	lp_str_t body = LP_STR_NULL;
	lp_db_t *db;
	char want[96];
	int i;

	for(i = 0; i < N_WATCHERS; i++) {
		watcher_subscribes(i);
		lp_test_now += 10;
	}
	db = pres_db();
	ck_assert_int_eq(lp_db_exec(db,
							 "DELETE FROM watchers WHERE"
							 " watcher_username='w2'",
							 NULL, 0, NULL, NULL),
			1);
	lp_test_pres_subs_rec(&ws, "sip:alice@example.com", "alice", "alice",
			"winfo-alice", T0 + 3600);
	ws.event = pres_event_by_hdr(&LP_STR("presence.winfo"));
	ck_assert_ptr_nonnull(ws.event);

	spy_install();
	ck_assert_int_eq(pres_winfo_body(&ws, &body), 0);
	ck_assert_int_eq(spy_execs, 1);
	for(i = 0; i < N_WATCHERS; i++) {
		snprintf(want, sizeof(want),
				"duration-subscribed=\"%d\">sip:w%d@example.com<",
				i == 2 ? 0 : (N_WATCHERS - i) * 10, i);
		body_has(&body, want);
	}
	free(body.s);
}
END_TEST

/* No watchers: a document with an empty list and no statement at all. */
START_TEST(test_empty_document_no_select)
{
	subs_t ws;
	lp_str_t body = LP_STR_NULL;

	lp_test_pres_subs_rec(&ws, "sip:alice@example.com", "alice", "alice",
			"winfo-alice", T0 + 3600);
	ws.event = pres_event_by_hdr(&LP_STR("presence.winfo"));
	spy_install();
	ck_assert_int_eq(pres_winfo_body(&ws, &body), 0);
	ck_assert_int_eq(spy_execs, 0);
	body_has(&body, "package=\"presence\"");
	free(body.s);
}
END_TEST

Suite *pres_winfo_suite(void)
{
	Suite *s = suite_create("pres_winfo");
	TCase *tc = tcase_create("sqlite");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_full_document_one_select);
	tcase_add_test(tc, test_empty_document_no_select);
	suite_add_tcase(s, tc);
	return s;
}
