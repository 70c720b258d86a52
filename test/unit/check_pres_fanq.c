/* The NOTIFY sender queues (pres_fanq.h) and the order the presence
 * logic keeps with them (pres_notify_send): a dialog always maps to the
 * same sender; a queue keeps FIFO order, copies what it queues, refuses
 * and counts past its size; a fan-out queues instead of sending; a NOTIFY
 * made outside the fan-out lock (after a SUBSCRIBE) whose CSeq a queued
 * fan-out has overtaken is made again with the next CSeq and the current
 * state, so nothing leaves out of CSeq order nor with older state.
 * Presence logic without Kamailio, on a temp SQLite DB. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lp_log.h"
#include "lp_test.h"
#include "pres_fanq.h"
#include "pres_logic.h"
#include "pres_pub.h"
#include "pres_subs.h"
#include "t_fan_fixture.h"


/* ---- the presence event, a capturing "sender" ---- */

static int publ_stub(struct sip_msg *msg)
{
	return 0;
}

static pres_ev_t ev_plain;

static void events_init(void)
{
	memset(&ev_plain, 0, sizeof(ev_plain));
	ev_plain.name = LP_STR("presence");
	ev_plain.content_type = LP_STR(LP_TEST_FAN_CT);
	ev_plain.default_expires = 3600;
	ev_plain.type = PUBL_TYPE;
	ev_plain.evs_publ_handl = publ_stub;
}




static void setup(void)
{
	lp_test_fan_setup("fanq");
	events_init();
}

static void teardown(void)
{
	lp_test_fan_teardown();
}

#define subscribe lp_test_fan_subscribe

static int wakes[4];

static void count_wake(int i)
{
	wakes[i]++;
}

/* Queue every NOTIFY (the fan-out's and pres_notify_send's) on n senders;
 * nothing is sent until serve_all. */
static void senders_on(int n, unsigned int cap)
{
	pres.fanq = pres_fanq_new(n, cap);
	ck_assert_ptr_nonnull(pres.fanq);
	memset(wakes, 0, sizeof(wakes));
	pres.fanq->wake = count_wake;
}

static int serve_all(void)
{
	int i, got, total = 0;

	for(i = 0; i < pres.fanq->n; i++)
		while((got = pres_fanq_serve(pres.fanq, i, lp_test_capture, 64)) > 0)
			total += got;
	return total;
}

/* A NOTIFY for dialog callid with CSeq cseq and body doc (stack storage). */
typedef struct fake
{
	subs_t s;
	pres_notify_t n;
} fake_t;

static void fake(
		fake_t *f, const char *callid, unsigned int cseq, const char *doc)
{
	memset(f, 0, sizeof(*f));
	f->s.callid = lp_str_c(callid);
	f->s.to_tag = LP_STR("tt");
	f->s.from_tag = LP_STR("ft");
	f->s.pres_uri = LP_STR("sip:alice@" LP_TEST_FAN_DOMAIN);
	f->s.event = &ev_plain;
	f->s.local_cseq = cseq;
	f->s.status = ACTIVE_STATUS;
	f->n.subs = &f->s;
	f->n.headers = LP_STR("Event: presence\r\n");
	f->n.body = lp_str_c(doc);
}

/* ---- the queues alone ---- */

START_TEST(test_fanq_same_dialog_same_sender)
{
	fake_t a, b;
	int i;
	char cid[32];

	senders_on(4, 8);
	for(i = 0; i < 50; i++) {
		snprintf(cid, sizeof(cid), "dialog-%d", i);
		fake(&a, cid, 1, LP_TEST_DOC_OPEN);
		fake(&b, cid, 9, LP_TEST_DOC_CLOSED);
		b.s.to_tag = LP_STR("another-tag");
		ck_assert_int_eq(pres_fanq_index(pres.fanq, &a.s),
				pres_fanq_index(pres.fanq, &b.s));
		ck_assert_int_lt(pres_fanq_index(pres.fanq, &a.s), 4);
	}
}
END_TEST

/* FIFO per queue; what was queued is a copy (the caller's buffers change
 * after the push); the sender is woken once per push. */
START_TEST(test_fanq_fifo_copies)
{
	fake_t f;
	char doc[64];
	unsigned int c;
	int q;

	senders_on(2, 8);
	for(c = 1; c <= 5; c++) {
		snprintf(doc, sizeof(doc), "<presence>%u</presence>", c);
		fake(&f, "dlg-x", c, doc);
		ck_assert_int_eq(pres_fanq_push(pres.fanq, &f.n), 0);
		memset(doc, 'z', sizeof(doc) - 1);
	}
	q = pres_fanq_index(pres.fanq, &f.s);
	ck_assert_int_eq(wakes[q], 5);
	ck_assert_int_eq(pres_fanq_len(pres.fanq), 5);
	ck_assert_int_eq(serve_all(), 5);
	ck_assert_int_eq(lp_test_ncaps, 5);
	for(c = 0; c < 5; c++) {
		ck_assert_str_eq(lp_test_caps[c].callid, "dlg-x");
		ck_assert_uint_eq(lp_test_caps[c].cseq, c + 1);
	}
	ck_assert_int_eq(pres_fanq_len(pres.fanq), 0);
}
END_TEST

/* Past its size a queue refuses: counted, logged, the caller's NOTIFY
 * untouched, the queued ones still sent. */
START_TEST(test_fanq_full_counted)
{
	fake_t f;

	senders_on(1, 2);
	fake(&f, "dlg-full", 1, LP_TEST_DOC_OPEN);
	ck_assert_int_eq(pres_fanq_push(pres.fanq, &f.n), 0);
	f.s.local_cseq = 2;
	ck_assert_int_eq(pres_fanq_push(pres.fanq, &f.n), 0);
	f.s.local_cseq = 3;
	ck_assert_int_eq(pres_fanq_push(pres.fanq, &f.n), -1);
	ck_assert_uint_eq(*pres.fanq->dropped, 1);
	ck_assert_ptr_nonnull(strstr(lp_test_log_last(), "queue is full"));
	ck_assert_int_eq(serve_all(), 2);
	ck_assert_uint_eq(lp_test_caps[1].cseq, 2);
}
END_TEST

/* Freed with NOTIFYs still queued: nothing leaks (teardown checks). */
START_TEST(test_fanq_free_with_items)
{
	fake_t f;

	senders_on(3, 4);
	fake(&f, "dlg-left", 1, LP_TEST_DOC_OPEN);
	ck_assert_int_eq(pres_fanq_push(pres.fanq, &f.n), 0);
	ck_assert_int_eq(pres_fanq_len(pres.fanq), 1);
}
END_TEST

/* ---- the order through the presence logic ---- */

/* A fan-out only queues: nothing goes out before the senders serve, then
 * every watcher once, with the new state. */
START_TEST(test_fanq_fanout_queues)
{
	char etag[128] = "";
	int i;

	ck_assert_int_eq(pres_add_event(&ev_plain), 0);
	lp_test_fan_store(LP_TEST_DOC_OPEN, etag);
	for(i = 0; i < 5; i++)
		pres_notify_free(subscribe("w", i));
	senders_on(2, 64);
	lp_test_fan_store(LP_TEST_DOC_CLOSED, etag);
	ck_assert_int_eq(lp_test_fan_out(), 5);
	ck_assert_int_eq(lp_test_ncaps, 0);
	ck_assert_int_eq(serve_all(), 5);
	ck_assert_int_eq(lp_test_ncaps, 5);
	for(i = 0; i < 5; i++) {
		ck_assert_int_eq(lp_test_caps[i].closed, 1);
		ck_assert_uint_eq(lp_test_caps[i].cseq, 2);
	}
}
END_TEST

/* The SUBSCRIBE's NOTIFY (CSeq 1, state "open") is made, then, before the
 * worker queues it, a PUBLISH's fan-out on another worker queues CSeq 2
 * ("closed"). Queued as made, CSeq 1 would leave after 2 with the older
 * state: it is made again as CSeq 3 with the current state. */
START_TEST(test_fanq_subscribe_notify_after_fanout)
{
	char etag[128] = "";
	pres_notify_t *nt;

	ck_assert_int_eq(pres_add_event(&ev_plain), 0);
	lp_test_fan_store(LP_TEST_DOC_OPEN, etag);
	senders_on(2, 64);
	nt = subscribe("w", 1);
	ck_assert_uint_eq(nt->subs->local_cseq, 1);
	lp_test_fan_store(LP_TEST_DOC_CLOSED, etag);
	ck_assert_int_eq(lp_test_fan_out(), 1);
	ck_assert_int_eq(pres_notify_send(nt), 0);
	pres_notify_free(nt);
	ck_assert_int_eq(serve_all(), 2);
	ck_assert_int_eq(lp_test_ncaps, 2);
	ck_assert_uint_eq(lp_test_caps[0].cseq, 2);
	ck_assert_uint_eq(lp_test_caps[1].cseq, 3);
	ck_assert_int_eq(lp_test_caps[0].closed, 1);
	ck_assert_int_eq(lp_test_caps[1].closed, 1);
	/* the next fan-out goes on from there */
	ck_assert_int_eq(lp_test_fan_out(), 1);
	ck_assert_int_eq(serve_all(), 1);
	ck_assert_uint_eq(lp_test_caps[2].cseq, 4);
}
END_TEST

/* Nothing overtaken: the NOTIFY is queued as it was made, before the
 * fan-out's. */
START_TEST(test_fanq_subscribe_notify_first)
{
	char etag[128] = "";
	pres_notify_t *nt;

	ck_assert_int_eq(pres_add_event(&ev_plain), 0);
	lp_test_fan_store(LP_TEST_DOC_OPEN, etag);
	senders_on(1, 64);
	nt = subscribe("w", 1);
	ck_assert_int_eq(pres_notify_send(nt), 0);
	pres_notify_free(nt);
	lp_test_fan_store(LP_TEST_DOC_CLOSED, etag);
	ck_assert_int_eq(lp_test_fan_out(), 1);
	ck_assert_int_eq(serve_all(), 2);
	ck_assert_uint_eq(lp_test_caps[0].cseq, 1);
	ck_assert_int_eq(lp_test_caps[0].closed, 0);
	ck_assert_uint_eq(lp_test_caps[1].cseq, 2);
	ck_assert_int_eq(lp_test_caps[1].closed, 1);
}
END_TEST

/* Without senders, the same race: the worker's NOTIFY (CSeq 1, "open")
 * is made, a fan-out on another worker sends CSeq 2 ("closed") at once;
 * the first is then sent as CSeq 3 with the current state, not as made. */
START_TEST(test_fanq_off_subscribe_notify_after_fanout)
{
	char etag[128] = "";
	pres_notify_t *nt;

	ck_assert_int_eq(pres_add_event(&ev_plain), 0);
	lp_test_fan_store(LP_TEST_DOC_OPEN, etag);
	nt = subscribe("w", 1);
	lp_test_fan_store(LP_TEST_DOC_CLOSED, etag);
	ck_assert_int_eq(lp_test_fan_out(), 1);
	ck_assert_int_eq(pres_notify_send(nt), 0);
	pres_notify_free(nt);
	ck_assert_int_eq(lp_test_ncaps, 2);
	ck_assert_uint_eq(lp_test_caps[0].cseq, 2);
	ck_assert_uint_eq(lp_test_caps[1].cseq, 3);
	ck_assert_int_eq(lp_test_caps[1].closed, 1);
}
END_TEST

/* Without senders pres_notify_send sends at once (today's behaviour). */
START_TEST(test_fanq_off_sends_now)
{
	char etag[128] = "";
	pres_notify_t *nt;

	ck_assert_int_eq(pres_add_event(&ev_plain), 0);
	lp_test_fan_store(LP_TEST_DOC_OPEN, etag);
	nt = subscribe("w", 1);
	ck_assert_int_eq(pres_notify_send(nt), 0);
	pres_notify_free(nt);
	ck_assert_int_eq(lp_test_ncaps, 1);
	ck_assert_int_eq(lp_test_fan_out(), 1);
	ck_assert_int_eq(lp_test_ncaps, 2);
}
END_TEST

/* The fan-out listeners (pres_fanout_listen) bracket a fan-out: every
 * NOTIFY of it is handed to the glue inside one open batch (whose log
 * lines the glue holds back, pres_nlog_kam.h); a NOTIFY sent on its own
 * is outside any batch. */
static int batch_depth, batch_opens, batch_closes, sends_in_batch,
		sends_alone;

static void batch_hook(int open)
{
	if(open) {
		batch_depth++;
		batch_opens++;
	} else {
		batch_depth--;
		batch_closes++;
	}
}

static int depth_hook(const pres_notify_t *n)
{
	if(batch_depth == 1)
		sends_in_batch++;
	else if(batch_depth == 0)
		sends_alone++;
	return 0;
}

START_TEST(test_fanout_in_one_batch)
{
	char etag[128] = "";
	pres_notify_t *nt;
	int i;

	batch_depth = batch_opens = batch_closes = 0;
	sends_in_batch = sends_alone = 0;
	ck_assert_int_eq(pres_add_event(&ev_plain), 0);
	ck_assert_int_eq(pres_fanout_listen(batch_hook), 0);
	lp_test_send_hook = depth_hook;
	lp_test_fan_store(LP_TEST_DOC_OPEN, etag);
	for(i = 1; i <= 3; i++) {
		char user[16];
		snprintf(user, sizeof(user), "w%d", i);
		nt = subscribe(user, i);
		ck_assert_int_eq(pres_notify_send(nt), 0);
		pres_notify_free(nt);
	}
	ck_assert_int_eq(sends_alone, 3);
	ck_assert_int_eq(batch_opens, 0);
	lp_test_fan_store(LP_TEST_DOC_CLOSED, etag);
	ck_assert_int_eq(lp_test_fan_out(), 3);
	ck_assert_int_eq(sends_in_batch, 3);
	ck_assert_int_eq(batch_opens, 1);
	ck_assert_int_eq(batch_closes, 1);
	ck_assert_int_eq(batch_depth, 0);
	lp_test_send_hook = NULL;
}
END_TEST

/* Every listener is told, in the order added; no room past
 * PRES_FANOUT_HOOKS, and NULL is refused. */
static char told[16];
static int ntold;
static void hook_a(int open) { told[ntold++] = open ? 'A' : 'a'; }
static void hook_b(int open) { told[ntold++] = open ? 'B' : 'b'; }

START_TEST(test_fanout_listeners)
{
	int i;

	ntold = 0;
	memset(told, 0, sizeof(told));
	ck_assert_int_eq(pres_fanout_listen(NULL), -1);
	ck_assert_int_eq(pres_fanout_listen(hook_a), 0);
	ck_assert_int_eq(pres_fanout_listen(hook_b), 0);
	for(i = 2; i < PRES_FANOUT_HOOKS; i++)
		ck_assert_int_eq(pres_fanout_listen(hook_b), 0);
	ck_assert_int_eq(pres_fanout_listen(hook_a), -1);
	ck_assert_int_eq(pres.fanout_nhooks, PRES_FANOUT_HOOKS);
	pres.fanout_nhooks = 2;
	pres_fanout_bracket(1);
	pres_fanout_bracket(0);
	ck_assert_str_eq(told, "ABab");
}
END_TEST

Suite *pres_fanq_suite(void)
{
	Suite *s = suite_create("pres_fanq");
	TCase *tq = tcase_create("queues");
	TCase *to = tcase_create("order");

	tcase_add_checked_fixture(tq, setup, teardown);
	tcase_add_test(tq, test_fanq_same_dialog_same_sender);
	tcase_add_test(tq, test_fanq_fifo_copies);
	tcase_add_test(tq, test_fanq_full_counted);
	tcase_add_test(tq, test_fanq_free_with_items);
	suite_add_tcase(s, tq);
	tcase_add_checked_fixture(to, setup, teardown);
	tcase_add_test(to, test_fanq_fanout_queues);
	tcase_add_test(to, test_fanq_subscribe_notify_after_fanout);
	tcase_add_test(to, test_fanq_subscribe_notify_first);
	tcase_add_test(to, test_fanq_off_sends_now);
	tcase_add_test(to, test_fanq_off_subscribe_notify_after_fanout);
	tcase_add_test(to, test_fanout_in_one_batch);
	tcase_add_test(to, test_fanout_listeners);
	suite_add_tcase(s, to);
	return s;
}
