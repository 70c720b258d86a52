/* Overload (pres_limits_load, overload_queue_percent): while the receive
 * queue of the socket a request came in on is at least that full and the
 * server is behind (the socket overflowed in each of PRES_RXQ_DROP_RUN
 * consecutive seconds, the last within PRES_RXQ_DROP_WINDOW seconds, or
 * again soon after a refusal, or the queue holds a backlog of 1 MB), a
 * request that would create state (an initial SUBSCRIBE, a PUBLISH without
 * SIP-If-Match) gets 503 with Retry-After (overload_retry_after) and
 * nothing is stored or notified; a full queue without that, or one
 * overflow (a burst), is served; what keeps existing state alive (refreshes,
 * un-SUBSCRIBE, PUBLISH refresh) is always served; 0 turns it off. The
 * glue reads the queue (SO_MEMINFO) into the request's rxq. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "lp_log.h"
#include "lp_test.h"
#include "t_pres_fixture.h"
#include "pres_logic.h"
#include "pres_subs.h"
#include "pres_limits.h"

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

/* SIP messages this process took in so far, and the processes reading
 * the socket (each as many) */
static unsigned int msgs;
#define READERS 4

/* A queue pct full (200 kB), after drops datagrams dropped in all. */
static pres_rxq_t q(int pct, unsigned int drops)
{
	return (pres_rxq_t){1, pct, 200000, drops, msgs, READERS};
}

/* The socket loses d datagrams while this process takes in m messages,
 * and the clock moves on a second. */
static unsigned int lost;
static void lose(unsigned int d, unsigned int m)
{
	lost += d;
	msgs += m;
	lp_test_now++;
}

/* The socket lost a fifth of its datagrams in each of n consecutive
 * seconds, as this process saw it (queue empty: only seen, nothing
 * refused); the clock ends on the second after the last of them, where
 * the first look counts that one. Returns the drop count then. */
static unsigned int overflow_run(unsigned int n)
{
	pres_reply_t r;
	pres_rxq_t x;
	unsigned int i;

	for(i = 0; i < n; i++) {
		x = q(0, lost);
		memset(&r, 0, sizeof(r));
		ck_assert_int_eq(pres_limits_load(&x, &r), 0);
		lose(50, 50); /* 50 of 50 + 4 x 50 */
	}
	return lost;
}

/* bob's initial SUBSCRIBE (Call-ID callid) with the queue rxq: the reply
 * code; a NOTIFY made is sent and freed */
static int subscribe(const char *callid, pres_rxq_t rxq)
{
	pres_subscribe_req_t r;
	pres_notify_t *n = NULL;

	lp_test_pres_sub_req(&r, callid);
	r.rxq = rxq;
	memset(&rep, 0, sizeof(rep));
	pres_handle_subscribe(&r, &rep, &n);
	if(n)
		pres_notify_send(n);
	pres_notify_free(n);
	return rep.code;
}

static int publish(pres_rxq_t rxq, const char *if_match, char *etag_out)
{
	pres_publish_req_t r;

	lp_test_pres_pub_req(&r, "example.com", 600, if_match ? NULL : "<p/>",
			if_match);
	r.rxq = rxq;
	memset(&rep, 0, sizeof(rep));
	pres_handle_publish(&r, &rep);
	pres_publish_notify(&r, &rep);
	if(rep.code == 200 && etag_out)
		lp_test_pres_reply_etag(rep.hdrs, etag_out, 128);
	return rep.code;
}

/* bob's initial SUBSCRIBE cid with the queue 80 % full after the drops
 * so far: accepted (2xx), or refused with 503 */
static void served(const char *cid)
{
	int code = subscribe(cid, q(80, lost));

	ck_assert_msg(code / 100 == 2, "%s: %d, expected 2xx", cid, code);
}

static void refused(const char *cid)
{
	int code = subscribe(cid, q(80, lost));

	ck_assert_msg(code == 503, "%s: %d, expected 503", cid, code);
}

START_TEST(test_default_threshold)
{
	ck_assert_int_eq(pres.cfg.overload_queue_percent, 70);
	ck_assert_int_eq(pres.cfg.overload_retry_after, 5);
	ck_assert_int_eq(subscribe("cid-o1", q(69, 3)) / 100, 2);
	ck_assert_int_eq(pres_subs_count(), 1);
}
END_TEST

/* A queue full to the brim without a drop is a client's burst at moderate
 * load: served. */
START_TEST(test_full_queue_alone_served)
{
	ck_assert_int_eq(subscribe("cid-o5", q(100, 0)) / 100, 2);
	ck_assert_int_eq(publish(q(100, 0), NULL, NULL), 200);
	ck_assert_int_eq(pres_subs_count(), 1);
}
END_TEST

START_TEST(test_initial_subscribe_refused)
{
	unsigned int d = overflow_run(PRES_RXQ_DROP_RUN);

	ck_assert_int_eq(subscribe("cid-o2", q(70, d)), 503);
	ck_assert_ptr_nonnull(strstr(rep.hdrs, "Retry-After: 5\r\n"));
	ck_assert_int_eq(pres_subs_count(), 0);
	ck_assert_int_eq(nnotify, 0);
	pres.cfg.overload_retry_after = 11;
	ck_assert_int_eq(subscribe("cid-o2", q(100, d)), 503);
	ck_assert_ptr_nonnull(strstr(rep.hdrs, "Retry-After: 11\r\n"));
	ck_assert_int_eq(pres_subs_count(), 0);
}
END_TEST

/* A lossy second is a burst, and so are 2 in a row: served. A 3rd in a
 * row is an overload: refused until PRES_RXQ_DROP_WINDOW seconds after
 * the last lossy one. A lossy second within PRES_RXQ_REARM seconds of the
 * last refusal is refused at once; a later one needs a new run. Each
 * second counts when this process first looks in the next one. */
START_TEST(test_sustained_overflow)
{
	served("cid-w0");
	lose(100, 100); /* 100 of 100 + 4 x 100: 20 % */
	served("cid-w1");
	lose(100, 100);
	served("cid-w2");
	lose(100, 100);
	refused("cid-w3");
	refused("cid-w3b");
	lose(0, 100); /* PRES_RXQ_DROP_WINDOW after the last lossy second */
	served("cid-w4");
	lose(100, 100);
	refused("cid-w5"); /* rearmed */
	lp_test_now += PRES_RXQ_REARM + 1;
	served("cid-w6");
	lose(100, 100);
	served("cid-w7");
	/* lossy in two seconds that are not consecutive: a new run */
	lp_test_now++;
	served("cid-w8");
	lose(100, 100);
	served("cid-w9");
	ck_assert_int_eq(pres_subs_count(), 8);
}
END_TEST

/* A queue that overflows now and then at a rate the server holds loses
 * a little in every second: served. The loss counts against the messages
 * of all the socket's readers: PRES_RXQ_LOSS percent is lossy, a datagram
 * less is not. */
START_TEST(test_small_loss_served)
{
	char cid[24];
	int i;

	for(i = 0; i < 6; i++) {
		snprintf(cid, sizeof(cid), "cid-s%d", i);
		ck_assert_int_eq(subscribe(cid, q(100, lost)) / 100, 2);
		lose(99, 225); /* 99 of 99 + 4 x 225: 9.9 % */
	}
	for(i = 0; i < 3; i++) {
		ck_assert_int_eq(subscribe("cid-s6", q(100, lost)) / 100, 2);
		lose(100, 225); /* 100 of 1000: 10 % */
	}
	ck_assert_int_eq(subscribe("cid-s7", q(100, lost)), 503);
	ck_assert_int_eq(pres_subs_count(), 9);
}
END_TEST

/* A second that lost PRES_RXQ_HEAVY percent counts as two in the run:
 * two such seconds in a row are refused. Just under it, two lossy seconds
 * are served; heavy seconds with a clean one between them are no run. */
START_TEST(test_heavy_loss)
{
	served("cid-h0");
	lose(299, 175); /* 299 of 299 + 4 x 175: 29.9 % */
	served("cid-h1");
	lose(299, 175);
	served("cid-h2");
	lose(0, 100);
	served("cid-h3");
	lose(300, 175); /* 300 of 300 + 4 x 175: 30 % */
	served("cid-h4");
	lose(0, 100);
	served("cid-h5");
	lose(300, 175);
	served("cid-h6");
	lose(300, 175);
	refused("cid-h7");
	ck_assert_int_eq(pres_subs_count(), 7);
}
END_TEST

/* A process that made no new state for a few seconds sees, at its next
 * look, the drops of all those seconds (here the tail of a heavy loss):
 * they neither extend the run nor start one. Heavy loss in the next two
 * seconds is a new run, refused. */
START_TEST(test_gap_not_counted)
{
	served("cid-g0");
	lose(300, 175);
	served("cid-g1");
	lose(300, 175);
	lp_test_now += 2;
	served("cid-g2");
	lose(300, 175);
	served("cid-g3");
	lose(300, 175);
	refused("cid-g4");
	ck_assert_int_eq(pres_subs_count(), 4);
}
END_TEST

/* A big receive buffer fills up long before it overflows: a backlog of
 * PRES_RXQ_BACKLOG bytes is behind without a drop. */
START_TEST(test_backlog)
{
	pres_rxq_t big = {1, 75, PRES_RXQ_BACKLOG, 0, 0, READERS};

	ck_assert_int_eq(subscribe("cid-b1", big), 503);
	big.bytes--;
	ck_assert_int_eq(subscribe("cid-b2", big) / 100, 2);
	big.pct = 60;
	big.bytes = 8u << 20;
	ck_assert_int_eq(subscribe("cid-b3", big) / 100, 2);
}
END_TEST

/* an existing dialog is served whatever the queue: refresh, then end */
START_TEST(test_in_dialog_served)
{
	lp_test_sub_t s;

	lp_test_sub_ok(&s, "cid-o3", count_notify);
	s.r.rxq = q(100, 5);
	lp_test_sub_end(&s);
	ck_assert_int_eq(pres_subs_count(), 0);
}
END_TEST

START_TEST(test_publish)
{
	unsigned int d = overflow_run(PRES_RXQ_DROP_RUN);
	char etag[128];

	ck_assert_int_eq(publish(q(95, d), NULL, NULL), 503);
	ck_assert_ptr_nonnull(strstr(rep.hdrs, "Retry-After: 5\r\n"));
	ck_assert_str_eq(lp_test_sql_q1(url, "SELECT count(*) FROM presentity"), "0");
	ck_assert_int_eq(publish(q(0, d), NULL, etag), 200);
	ck_assert_str_eq(lp_test_sql_q1(url, "SELECT count(*) FROM presentity"), "1");
	/* the refresh of an existing publication goes through */
	ck_assert_int_eq(publish(q(100, d), etag, NULL), 200);
}
END_TEST

START_TEST(test_off)
{
	pres.cfg.overload_queue_percent = 0;
	ck_assert_int_eq(subscribe("cid-o4", q(100, 4)) / 100, 2);
	ck_assert_int_eq(publish(q(100, 4), NULL, NULL), 200);
	/* not read by the glue: nothing to go by */
	pres.cfg.overload_queue_percent = 70;
	ck_assert_int_eq(subscribe("cid-o6", (pres_rxq_t){0, 100, 1u << 30, 9, 0, 0}) / 100, 2);
}
END_TEST

/* pres_check_overload() ahead of the handler: what would create state is
 * refused as the handler would refuse it (503, Retry-After); a PUBLISH
 * with SIP-If-Match, an in-dialog SUBSCRIBE, a fetch (Expires 0) and any
 * other method go on; nothing is stored either way. */
static int early_tx(int method, int in_dialog, int expires, pres_rxq_t x,
		const char *branch)
{
	pres_early_req_t r = {method, in_dialog, expires, x, LP_STR("cid-e@h"),
			LP_STR("1 SUBSCRIBE"), {(char *)branch, (int)strlen(branch)}};

	memset(&rep, 0, sizeof(rep));
	if(pres_limits_early(&r, &rep) == 0)
		return 0;
	pres_limits_early_refused(&r); /* as the glue does */
	return rep.code;
}

static int early(int method, int in_dialog, int expires, pres_rxq_t x)
{
	return early_tx(method, in_dialog, expires, x, "z9hG4bK-1");
}

START_TEST(test_early)
{
	unsigned int d = overflow_run(PRES_RXQ_DROP_RUN);

	ck_assert_int_eq(early(PRES_EARLY_PUBLISH, 0, 600, q(80, d)), 503);
	ck_assert_ptr_nonnull(strstr(rep.hdrs, "Retry-After: 5\r\n"));
	ck_assert_int_eq(early(PRES_EARLY_PUBLISH, 0, 0, q(80, d)), 503);
	ck_assert_int_eq(early(PRES_EARLY_SUBSCRIBE, 0, 600, q(80, d)), 503);
	ck_assert_int_eq(early(PRES_EARLY_SUBSCRIBE, 0, PRES_EXPIRES_NONE, q(80, d)),
			503);
	ck_assert_int_eq(early(PRES_EARLY_PUBLISH, 1, 600, q(80, d)), 0);
	ck_assert_int_eq(early(PRES_EARLY_SUBSCRIBE, 1, 600, q(80, d)), 0);
	ck_assert_int_eq(early(PRES_EARLY_SUBSCRIBE, 0, 0, q(80, d)), 0);
	ck_assert_int_eq(early(0, 0, 600, q(80, d)), 0);
	ck_assert_int_eq(early(PRES_EARLY_PUBLISH, 0, 600, q(20, d)), 0);
	ck_assert_int_eq(pres_subs_count(), 0);
	ck_assert_str_eq(lp_test_sql_q1(url, "SELECT count(*) FROM presentity"), "0");
	pres.cfg.overload_queue_percent = 0;
	ck_assert_int_eq(early(PRES_EARLY_PUBLISH, 0, 600, q(100, d)), 0);
}
END_TEST

/* A retransmission of a request refused ahead of the handler (the same
 * Call-ID, CSeq and branch) is refused again while the load is gone,
 * for PRES_REFUSED_SECS; a new transaction (another branch, a retry
 * after Retry-After) is not; without the memory nothing is kept. */
START_TEST(test_early_retransmission)
{
	static uint64_t slots[PRES_REFUSED_WORDS];
	unsigned int d = overflow_run(PRES_RXQ_DROP_RUN);

	pres.refused = slots;
	ck_assert_int_eq(early_tx(PRES_EARLY_SUBSCRIBE, 0, 600, q(80, d), "b1"), 503);
	ck_assert_int_eq(early_tx(PRES_EARLY_SUBSCRIBE, 0, 600, q(0, d), "b1"), 503);
	ck_assert_ptr_nonnull(strstr(rep.hdrs, "Retry-After: 5\r\n"));
	ck_assert_int_eq(early_tx(PRES_EARLY_SUBSCRIBE, 0, 600, q(0, d), "b2"), 0);
	/* what creates no state is never refused */
	ck_assert_int_eq(early_tx(PRES_EARLY_SUBSCRIBE, 1, 600, q(0, d), "b1"), 0);
	lp_test_now += PRES_REFUSED_SECS - 1;
	ck_assert_int_eq(early_tx(PRES_EARLY_SUBSCRIBE, 0, 600, q(0, d), "b1"), 503);
	lp_test_now += PRES_REFUSED_SECS;
	ck_assert_int_eq(early_tx(PRES_EARLY_SUBSCRIBE, 0, 600, q(0, d), "b1"), 0);
	pres.refused = NULL;
	memset(slots, 0, sizeof(slots));
	/* the slots are read only within PRES_REFUSED_SECS of the latest
	 * refusal (the word after them): with that word cleared, a slot that
	 * matches is not consulted */
	pres.refused = slots;
	d = overflow_run(PRES_RXQ_DROP_RUN);
	ck_assert_int_eq(early_tx(PRES_EARLY_SUBSCRIBE, 0, 600, q(80, d), "b4"), 503);
	ck_assert_uint_eq(slots[PRES_REFUSED_SLOTS], lp_test_now);
	slots[PRES_REFUSED_SLOTS] = 0;
	ck_assert_int_eq(early_tx(PRES_EARLY_SUBSCRIBE, 0, 600, q(0, d), "b4"), 0);
	pres.refused = NULL;
	d = overflow_run(PRES_RXQ_DROP_RUN);
	ck_assert_int_eq(early_tx(PRES_EARLY_PUBLISH, 0, 600, q(80, d), "b3"), 503);
	ck_assert_int_eq(early_tx(PRES_EARLY_PUBLISH, 0, 600, q(0, d), "b3"), 0);
}
END_TEST

static void add(TCase *tc)
{
	tcase_add_test(tc, test_default_threshold);
	tcase_add_test(tc, test_full_queue_alone_served);
	tcase_add_test(tc, test_sustained_overflow);
	tcase_add_test(tc, test_small_loss_served);
	tcase_add_test(tc, test_heavy_loss);
	tcase_add_test(tc, test_gap_not_counted);
	tcase_add_test(tc, test_backlog);
	tcase_add_test(tc, test_initial_subscribe_refused);
	tcase_add_test(tc, test_in_dialog_served);
	tcase_add_test(tc, test_publish);
	tcase_add_test(tc, test_off);
	tcase_add_test(tc, test_early);
	tcase_add_test(tc, test_early_retransmission);
}

Suite *pres_overload_suite(void)
{
	Suite *s = suite_create("pres_overload");

	lp_test_pres_tcases(s, "pres_overload", setup, teardown, add, NULL);
	return s;
}
