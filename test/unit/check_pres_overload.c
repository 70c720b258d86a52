/* Overload (pres_limits_load, overload_queue_percent): while the receive
 * queue of the socket a request came in on is at least that full, a
 * request that would create state (an initial SUBSCRIBE, a PUBLISH without
 * SIP-If-Match) gets 503 with Retry-After (overload_retry_after) and
 * nothing is stored or notified; what keeps existing state alive
 * (refreshes, un-SUBSCRIBE, PUBLISH refresh) is still served; 0 turns it
 * off. The glue measures the queue (SO_MEMINFO) into rx_queue_pct. */
#include <check.h>
#include <string.h>

#include "lp_log.h"
#include "lp_test.h"
#include "t_pres_fixture.h"
#include "pres_logic.h"
#include "pres_subs.h"

static int nnotify;
static const char *url; /* the fixture's */

static int count_notify(const pres_notify_t *n)
{
	nnotify++;
	return 0;
}

static void quiet(int level, const char *msg)
{
}

static void setup(void)
{
	lp_test_mem_install();
	lp_log_set(quiet);
	url = lp_test_pres_start("overload", 1, NULL);
	pres.send_notify = count_notify;
	nnotify = 0;
}

static void teardown(void)
{
	lp_test_pres_stop();
}

static pres_reply_t rep;

/* bob's initial SUBSCRIBE (Call-ID callid) with the queue pct full: the
 * reply code; a NOTIFY made is sent and freed */
static int subscribe(const char *callid, int pct)
{
	pres_subscribe_req_t r;
	pres_notify_t *n = NULL;

	lp_test_pres_sub_req(&r, callid);
	r.rx_queue_pct = pct;
	memset(&rep, 0, sizeof(rep));
	pres_handle_subscribe(&r, &rep, &n);
	if(n)
		pres_notify_send(n);
	pres_notify_free(n);
	return rep.code;
}

static int publish(int pct, const char *if_match, char *etag_out)
{
	pres_publish_req_t r;

	lp_test_pres_pub_req(&r, "example.com", 600, if_match ? NULL : "<p/>",
			if_match);
	r.rx_queue_pct = pct;
	memset(&rep, 0, sizeof(rep));
	pres_handle_publish(&r, &rep);
	pres_publish_notify(&r, &rep);
	if(rep.code == 200 && etag_out)
		lp_test_pres_reply_etag(rep.hdrs, etag_out, 128);
	return rep.code;
}

START_TEST(test_default_threshold)
{
	ck_assert_int_eq(pres.cfg.overload_queue_percent, 70);
	ck_assert_int_eq(pres.cfg.overload_retry_after, 5);
	ck_assert_int_eq(subscribe("cid-o1", 69) / 100, 2);
	ck_assert_int_eq(pres_subs_count(), 1);
}
END_TEST

START_TEST(test_initial_subscribe_refused)
{
	ck_assert_int_eq(subscribe("cid-o2", 70), 503);
	ck_assert_ptr_nonnull(strstr(rep.hdrs, "Retry-After: 5\r\n"));
	ck_assert_int_eq(pres_subs_count(), 0);
	ck_assert_int_eq(nnotify, 0);
	pres.cfg.overload_retry_after = 11;
	ck_assert_int_eq(subscribe("cid-o2", 100), 503);
	ck_assert_ptr_nonnull(strstr(rep.hdrs, "Retry-After: 11\r\n"));
	ck_assert_int_eq(pres_subs_count(), 0);
}
END_TEST

/* an existing dialog is served whatever the queue: refresh, then end */
START_TEST(test_in_dialog_served)
{
	lp_test_sub_t s;

	lp_test_sub_ok(&s, "cid-o3", count_notify);
	s.r.rx_queue_pct = 100;
	lp_test_sub_end(&s);
	ck_assert_int_eq(pres_subs_count(), 0);
}
END_TEST

START_TEST(test_publish)
{
	char etag[128];

	ck_assert_int_eq(publish(95, NULL, NULL), 503);
	ck_assert_ptr_nonnull(strstr(rep.hdrs, "Retry-After: 5\r\n"));
	ck_assert_str_eq(lp_test_sql_q1(url, "SELECT count(*) FROM presentity"), "0");
	ck_assert_int_eq(publish(0, NULL, etag), 200);
	ck_assert_str_eq(lp_test_sql_q1(url, "SELECT count(*) FROM presentity"), "1");
	/* the refresh of an existing publication goes through */
	ck_assert_int_eq(publish(100, etag, NULL), 200);
}
END_TEST

START_TEST(test_off)
{
	pres.cfg.overload_queue_percent = 0;
	ck_assert_int_eq(subscribe("cid-o4", 100) / 100, 2);
	ck_assert_int_eq(publish(100, NULL, NULL), 200);
}
END_TEST

static void add(TCase *tc)
{
	tcase_add_test(tc, test_default_threshold);
	tcase_add_test(tc, test_initial_subscribe_refused);
	tcase_add_test(tc, test_in_dialog_served);
	tcase_add_test(tc, test_publish);
	tcase_add_test(tc, test_off);
}

Suite *pres_overload_suite(void)
{
	Suite *s = suite_create("pres_overload");

	lp_test_pres_tcases(s, "pres_overload", setup, teardown, add, NULL);
	return s;
}
