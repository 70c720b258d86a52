/* presence_b2b when shared memory runs out under a NOTIFY (issue 11): the
 * status cannot be queued for the subscriber, so pb2b_handle_notify says so
 * (-4: the glue answers 503 with Retry-After instead of a 200 that would
 * lose the status); the dialog stays, and the NOTIFY sent again once
 * memory is back is delivered. The same for a NOTIFY that would make a new
 * branch of a forked SUBSCRIBE. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "b2b_logic.h"
#include "lp_log.h"
#include "lp_test.h"

static unsigned int clock_now;

static unsigned int t_now(void)
{
	return clock_now;
}

static unsigned int t_rand(void)
{
	return 12345u;
}

static const pb2b_cfg_t defaults = PB2B_CFG_DEFAULTS;

static void setup(void)
{
	lp_test_mem_install();
	lp_test_log_install();
	pb2b.cfg = defaults;
	pb2b.cfg.default_subscriber = "sip:b2b@127.0.0.1";
	pb2b.rand = t_rand;
	pb2b.now = t_now;
	clock_now = 1000;
	ck_assert_int_eq(pb2b_init(), 0);
}

static void teardown(void)
{
	pb2b_destroy();
	lp_log_set(NULL);
	ck_assert_int_eq(lp_test_mem_live(), 0);
}

/* A subscription whose SUBSCRIBE is out (the only send of the timer). */
static pb2b_send_t *subscribed(unsigned int *id)
{
	lp_str_t rec = LP_STR("sip:carol@example.com"), pkg = LP_STR("presence");
	pb2b_send_t *s;

	ck_assert_int_eq(pb2b_rpc_subscribe(&rec, &pkg, NULL, id), 0);
	clock_now += 100; /* past any first-send delay */
	s = pb2b_timer(clock_now);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_null(s->next);
	return s;
}

static int notify(const pb2b_send_t *s, const char *from_tag, unsigned int cseq,
		const char *body)
{
	pb2b_notify_t n;

	memset(&n, 0, sizeof(n));
	n.callid = s->callid;
	n.to_tag = s->local_tag;
	n.from_tag = lp_str_c(from_tag);
	n.cseq = cseq;
	n.event = LP_STR("presence");
	n.has_substate = 1;
	n.substate = LP_STR("active;expires=600");
	n.content_type = LP_STR("application/pidf+xml");
	n.body = lp_str_c(body);
	return pb2b_handle_notify(&n, clock_now);
}

/* The last status the RPC subscriber got for id ("" when none), and how
 * many it got. */
static const char *last_doc(unsigned int id, unsigned int *count)
{
	static char buf[128];
	lp_qmsg_t *m;

	*count = 0;
	pb2b_view_drain(pb2b.view);
	m = pb2b_view_last(pb2b.view, id, count);
	if(!m)
		return "";
	snprintf(buf, sizeof(buf), "%s", m->document.s);
	lp_qmsg_free(m);
	return buf;
}

START_TEST(test_status_without_memory)
{
	unsigned int id, count;
	pb2b_send_t *s = subscribed(&id);

	ck_assert_int_eq(notify(s, "A", 1, "doc-1"), 1);
	ck_assert_str_eq(last_doc(id, &count), "doc-1");
	lp_test_mem_fail_at(1); /* the status message of the next NOTIFY */
	ck_assert_int_eq(notify(s, "A", 2, "doc-2"), -4);
	lp_test_mem_fail_at(0);
	ck_assert_str_eq(last_doc(id, &count), "doc-1");
	ck_assert_uint_eq(count, 1);
	/* the notifier sends it again (a new CSeq) once memory is back */
	ck_assert_int_eq(notify(s, "A", 3, "doc-2"), 1);
	ck_assert_str_eq(last_doc(id, &count), "doc-2");
	ck_assert_uint_eq(count, 2);
	pb2b_send_list_free(s);
}
END_TEST

START_TEST(test_branch_without_memory)
{
	unsigned int id, count;
	pb2b_send_t *s = subscribed(&id);

	ck_assert_int_eq(notify(s, "A", 1, "doc-a"), 1);
	lp_test_mem_fail_at(1); /* the new branch itself */
	ck_assert_int_eq(notify(s, "B", 1, "doc-b"), -4);
	lp_test_mem_fail_at(0);
	ck_assert_str_eq(last_doc(id, &count), "doc-a");
	ck_assert_int_eq(notify(s, "B", 2, "doc-b"), 1);
	ck_assert_str_eq(last_doc(id, &count), "doc-b");
	pb2b_send_list_free(s);
}
END_TEST

Suite *b2b_shm_suite(void)
{
	Suite *s = suite_create("b2b_shm");
	TCase *tc = tcase_create("oom");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_status_without_memory);
	tcase_add_test(tc, test_branch_without_memory);
	suite_add_tcase(s, tc);
	return s;
}
