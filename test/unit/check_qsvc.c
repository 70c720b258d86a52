/* Internal subscription service (lp_qsvc): provider registration,
 * subscribe / put / take / unsubscribe, reference counting of queues and
 * subscriptions, queue limits, threads putting and taking concurrently, and
 * every allocation failing in turn. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>

#include "lp_qsvc.h"
#include "lp_test.h"

/* A provider that records what it was asked and keeps a reference. */
typedef struct tprov {
	int subscribed, unsubscribed;
	int refuse;
	int put_at_once;
	lp_qsub_t *last;
} tprov_t;

static int tp_subscribe(lp_qsub_t *sub, void *pdata)
{
	tprov_t *p = pdata;
	lp_qstatus_t st = {LP_STR("text/plain"), LP_STR("hello"),
			LP_QSTATE_PENDING, LP_STR_NULL, 0};

	if(p->refuse)
		return -1;
	p->subscribed++;
	if(p->put_at_once)
		ck_assert_int_eq(lp_qsvc_put(sub, &st), 0);
	lp_qsub_ref(sub);
	lp_qsub_release(p->last);
	p->last = sub;
	return 0;
}

static void tp_unsubscribe(lp_qsub_t *sub, void *pdata)
{
	((tprov_t *)pdata)->unsubscribed++;
}

static const lp_qprovider_ops_t tp_ops = {"test", tp_subscribe, tp_unsubscribe};

static void setup(void)
{
	lp_test_mem_install();
	lp_test_log_install();
}

static lp_qstatus_t status(const char *doc, lp_qstate_t state)
{
	lp_qstatus_t st = {LP_STR("application/pidf+xml"), lp_str_c(doc), state,
			LP_STR_NULL, 60};
	return st;
}

START_TEST(test_subscribe_put_take)
{
	lp_qsvc_t *svc = lp_qsvc_new();
	lp_qqueue_t *q = lp_qqueue_new(0);
	tprov_t p = {0};
	lp_str_t pkg = LP_STR("presence"), rec = LP_STR("sip:bob@example.com");
	lp_str_t me = LP_STR("sip:rls@example.com");
	lp_qstatus_t st = status("<basic>open</basic>", LP_QSTATE_ACTIVE);
	unsigned int id = 0;
	int cookie;
	lp_qmsg_t *m;

	ck_assert_int_eq(lp_qsvc_register(svc, &pkg, &tp_ops, &p), 0);
	ck_assert_int_eq(lp_qsvc_register(svc, &pkg, &tp_ops, &p), LP_QSVC_EEXIST);
	ck_assert_int_eq(lp_qsvc_has_provider(svc, &LP_STR("PRESENCE")), 1);
	ck_assert_int_eq(lp_qsvc_subscribe(svc, &rec, &pkg, &me, q, &cookie, &id), 0);
	ck_assert_uint_ne(id, 0);
	ck_assert_int_eq(p.subscribed, 1);
	ck_assert_uint_eq(lp_qsub_id(p.last), id);
	ck_assert(lp_str_eq(lp_qsub_record(p.last), &rec));
	ck_assert(lp_str_eq(lp_qsub_subscriber(p.last), &me));
	ck_assert_int_eq(lp_qsvc_count(svc), 1);

	ck_assert_int_eq(lp_qsvc_put(p.last, &st), 0);
	st.document = LP_STR("<basic>closed</basic>");
	ck_assert_int_eq(lp_qsvc_put(p.last, &st), 0);
	ck_assert_int_eq(lp_qqueue_count(q), 2);
	m = lp_qqueue_take(q);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->sub_id, id);
	ck_assert_ptr_eq(m->cookie, &cookie);
	ck_assert_uint_eq(m->seq, 1);
	ck_assert_str_eq(m->record.s, "sip:bob@example.com");
	ck_assert_str_eq(m->package.s, "presence");
	ck_assert_str_eq(m->content_type.s, "application/pidf+xml");
	ck_assert_str_eq(m->document.s, "<basic>open</basic>");
	ck_assert_int_eq(m->state, LP_QSTATE_ACTIVE);
	ck_assert_uint_eq(m->expires, 60);
	lp_qmsg_free(m);
	m = lp_qqueue_take(q);
	ck_assert_str_eq(m->document.s, "<basic>closed</basic>");
	ck_assert_uint_eq(m->seq, 2);
	lp_qmsg_free(m);
	ck_assert_ptr_null(lp_qqueue_take(q));

	ck_assert_int_eq(lp_qsvc_unsubscribe(svc, id), 0);
	ck_assert_int_eq(p.unsubscribed, 1);
	ck_assert_int_eq(lp_qsvc_unsubscribe(svc, id), LP_QSVC_ENOENT);
	ck_assert_int_eq(lp_qsub_active(p.last), 0);
	ck_assert_int_eq(lp_qsvc_put(p.last, &st), LP_QSVC_EGONE);
	ck_assert_int_eq(lp_qqueue_count(q), 0);
	ck_assert_int_eq(lp_qsvc_count(svc), 0);

	lp_qsub_release(p.last); /* the provider's reference: frees the sub */
	lp_qqueue_release(q);
	lp_qsvc_destroy(svc);
	ck_assert_int_eq(lp_test_mem_live(), 0);
}
END_TEST

START_TEST(test_errors)
{
	lp_qsvc_t *svc = lp_qsvc_new();
	lp_qqueue_t *q = lp_qqueue_new(0);
	tprov_t p = {0};
	lp_str_t pkg = LP_STR("presence"), rec = LP_STR("sip:bob@example.com");
	unsigned int id = 0;

	ck_assert_int_eq(lp_qsvc_subscribe(svc, &rec, &pkg, NULL, q, NULL, &id),
			LP_QSVC_ENOPROV);
	ck_assert_int_eq(lp_qsvc_register(svc, &LP_STR(""), &tp_ops, &p),
			LP_QSVC_EINVAL);
	ck_assert_int_eq(lp_qsvc_register(svc, &pkg, &tp_ops, &p), 0);
	ck_assert_int_eq(lp_qsvc_subscribe(svc, &LP_STR(""), &pkg, NULL, q, NULL, &id),
			LP_QSVC_EINVAL);
	p.refuse = 1;
	ck_assert_int_eq(lp_qsvc_subscribe(svc, &rec, &pkg, NULL, q, NULL, &id),
			LP_QSVC_EPROVIDER);
	ck_assert_int_eq(lp_qsvc_count(svc), 0);
	ck_assert_uint_eq(id, 0);
	lp_qqueue_release(q);
	lp_qsvc_destroy(svc);
	ck_assert_int_eq(lp_test_mem_live(), 0);
}
END_TEST

/* The subscriber may drop its queue reference while subscribed: the queue
 * lives on until the subscription ends; destroy drops what is left. */
START_TEST(test_refcounts)
{
	lp_qsvc_t *svc = lp_qsvc_new();
	lp_qqueue_t *q = lp_qqueue_new(0), *q2 = lp_qqueue_new(0);
	tprov_t p = {0};
	lp_str_t pkg = LP_STR("presence"), rec = LP_STR("sip:bob@example.com");
	lp_qstatus_t st = status("doc", LP_QSTATE_ACTIVE);
	unsigned int id;

	p.put_at_once = 1;
	ck_assert_int_eq(lp_qsvc_register(svc, &pkg, &tp_ops, &p), 0);
	ck_assert_int_eq(lp_qsvc_subscribe(svc, &rec, &pkg, NULL, q, NULL, &id), 0);
	ck_assert_int_eq(lp_qqueue_count(q), 1); /* put during subscribe */
	lp_qqueue_release(q);
	ck_assert_int_eq(lp_qsvc_put(p.last, &st), 0);
	ck_assert_int_eq(lp_qsvc_subscribe(svc, &rec, &pkg, NULL, q2, NULL, &id), 0);
	lp_qqueue_release(q2);
	lp_qsub_release(p.last); /* the provider forgets both */
	lp_qsvc_destroy(svc);	  /* queued messages freed with the queues */
	ck_assert_int_eq(lp_test_mem_live(), 0);
}
END_TEST

START_TEST(test_queue_limit)
{
	lp_qsvc_t *svc = lp_qsvc_new();
	lp_qqueue_t *q = lp_qqueue_new(2);
	tprov_t p = {0};
	lp_str_t pkg = LP_STR("presence"), rec = LP_STR("sip:bob@example.com");
	lp_qstatus_t st;
	unsigned int id;
	lp_qmsg_t *m, *d;

	ck_assert_int_eq(lp_qsvc_register(svc, &pkg, &tp_ops, &p), 0);
	ck_assert_int_eq(lp_qsvc_subscribe(svc, &rec, &pkg, NULL, q, NULL, &id), 0);
	st = status("1", LP_QSTATE_ACTIVE);
	lp_qsvc_put(p.last, &st);
	st = status("2", LP_QSTATE_ACTIVE);
	lp_qsvc_put(p.last, &st);
	st = status("3", LP_QSTATE_TERMINATED);
	st.reason = LP_STR("timeout");
	lp_qsvc_put(p.last, &st);
	ck_assert_int_eq(lp_qqueue_count(q), 2);
	ck_assert_uint_eq(lp_qqueue_dropped(q), 1);
	m = lp_qqueue_take(q);
	ck_assert_str_eq(m->document.s, "2");
	lp_qmsg_free(m);
	m = lp_qqueue_take(q);
	d = lp_qmsg_dup(m);
	lp_qmsg_free(m);
	ck_assert_str_eq(d->document.s, "3");
	ck_assert_str_eq(d->reason.s, "timeout");
	ck_assert_str_eq(lp_qstate_name(d->state), "terminated");
	lp_qmsg_free(d);
	lp_qsvc_unsubscribe(svc, id);
	lp_qsub_release(p.last);
	lp_qqueue_release(q);
	lp_qsvc_destroy(svc);
	ck_assert_int_eq(lp_test_mem_live(), 0);
}
END_TEST

/* Every allocation of a full cycle fails in turn: each call reports the
 * error, and nothing leaks. */
static int oom_cycle(void)
{
	lp_qsvc_t *svc = lp_qsvc_new();
	lp_qqueue_t *q = NULL;
	tprov_t p = {0};
	lp_str_t pkg = LP_STR("presence"), rec = LP_STR("sip:bob@example.com");
	lp_qstatus_t st = status("doc", LP_QSTATE_ACTIVE);
	lp_qmsg_t *m, *d;
	unsigned int id;
	int ok = 0;

	if(!svc)
		return 0;
	q = lp_qqueue_new(0);
	if(!q || lp_qsvc_register(svc, &pkg, &tp_ops, &p) < 0)
		goto done;
	if(lp_qsvc_subscribe(svc, &rec, &pkg, NULL, q, NULL, &id) < 0)
		goto done;
	if(lp_qsvc_put(p.last, &st) == 0) {
		m = lp_qqueue_take(q);
		ck_assert_ptr_nonnull(m);
		d = lp_qmsg_dup(m);
		ok = d != NULL;
		lp_qmsg_free(d);
		lp_qmsg_free(m);
	} else {
		ck_assert_int_eq(lp_qqueue_count(q), 0);
	}
	ck_assert_int_eq(lp_qsvc_unsubscribe(svc, id), 0);
done:
	lp_qsub_release(p.last);
	lp_qqueue_release(q);
	lp_qsvc_destroy(svc);
	return ok;
}

START_TEST(test_every_allocation_fails)
{
	long calls;
	int n;

	ck_assert_int_eq(oom_cycle(), 1);
	calls = lp_test_mem_calls();
	ck_assert_int_eq(lp_test_mem_live(), 0);
	for(n = 1; n <= calls; n++) {
		lp_test_mem_install();
		lp_test_mem_fail_at(n);
		ck_assert_int_eq(oom_cycle(), 0);
		ck_assert_msg(lp_test_mem_live() == 0, "leak when allocation %d fails", n);
	}
}
END_TEST

/* Threads: providers put into many subscriptions while consumers take and
 * other threads subscribe and unsubscribe; every message taken is intact
 * and counts balance. */
#define T_SUBS 8
#define T_PUTS 2000

typedef struct tctx {
	lp_qsvc_t *svc;
	lp_qqueue_t *q;
	lp_qsub_t *subs[T_SUBS];
	unsigned int ids[T_SUBS];
	int put_ok;
	int taken;
	int done;
	pthread_mutex_t mu;
} tctx_t;

static void *putter(void *arg)
{
	tctx_t *c = arg;
	lp_qstatus_t st = status("<presence/>", LP_QSTATE_ACTIVE);
	int i, ok = 0;

	for(i = 0; i < T_PUTS; i++)
		if(lp_qsvc_put(c->subs[i % T_SUBS], &st) == 0)
			ok++;
	pthread_mutex_lock(&c->mu);
	c->put_ok += ok;
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

static void *taker(void *arg)
{
	tctx_t *c = arg;
	lp_qmsg_t *m;
	int n = 0, done;

	for(;;) {
		m = lp_qqueue_take(c->q);
		if(m) {
			ck_assert_str_eq(m->document.s, "<presence/>");
			ck_assert_str_eq(m->package.s, "presence");
			lp_qmsg_free(m);
			n++;
			continue;
		}
		pthread_mutex_lock(&c->mu);
		done = c->done;
		pthread_mutex_unlock(&c->mu);
		if(done && lp_qqueue_count(c->q) == 0)
			break;
	}
	pthread_mutex_lock(&c->mu);
	c->taken += n;
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

static void *churner(void *arg)
{
	tctx_t *c = arg;
	lp_str_t pkg = LP_STR("churn"), rec = LP_STR("sip:churn@example.com");
	unsigned int id;
	int i;

	for(i = 0; i < 300; i++) {
		ck_assert_int_eq(lp_qsvc_subscribe(c->svc, &rec, &pkg, NULL, c->q, NULL, &id), 0);
		ck_assert_int_eq(lp_qsvc_unsubscribe(c->svc, id), 0);
	}
	return NULL;
}

static int cp_subscribe(lp_qsub_t *sub, void *pdata)
{
	return 0; /* keeps no reference */
}

static const lp_qprovider_ops_t cp_ops = {"churn", cp_subscribe, NULL};

START_TEST(test_threads)
{
	tctx_t c;
	pthread_t th[8];
	lp_str_t pkg = LP_STR("presence"), rec = LP_STR("sip:bob@example.com");
	tprov_t p = {0};
	int i;

	/* the counting allocator is not thread-safe: ASan checks leaks here */
	lp_mem_set_ops(&lp_alloc_libc, &lp_lock_pthread);
	memset(&c, 0, sizeof(c));
	pthread_mutex_init(&c.mu, NULL);
	c.svc = lp_qsvc_new();
	c.q = lp_qqueue_new(0);
	ck_assert_int_eq(lp_qsvc_register(c.svc, &pkg, &tp_ops, &p), 0);
	ck_assert_int_eq(lp_qsvc_register(c.svc, &LP_STR("churn"), &cp_ops, NULL), 0);
	for(i = 0; i < T_SUBS; i++) {
		ck_assert_int_eq(lp_qsvc_subscribe(c.svc, &rec, &pkg, NULL, c.q, NULL, &c.ids[i]), 0);
		c.subs[i] = p.last;
		lp_qsub_ref(p.last);
	}
	for(i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, putter, &c);
	for(i = 4; i < 6; i++)
		pthread_create(&th[i], NULL, taker, &c);
	for(i = 6; i < 8; i++)
		pthread_create(&th[i], NULL, churner, &c);
	/* half of the subscriptions end while the putters run */
	for(i = 0; i < T_SUBS / 2; i++)
		ck_assert_int_eq(lp_qsvc_unsubscribe(c.svc, c.ids[i]), 0);
	for(i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for(i = 6; i < 8; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_lock(&c.mu);
	c.done = 1;
	pthread_mutex_unlock(&c.mu);
	for(i = 4; i < 6; i++)
		pthread_join(th[i], NULL);
	ck_assert_int_eq(c.taken, c.put_ok);
	ck_assert_int_ge(c.put_ok, 4 * T_PUTS / 2);
	ck_assert_int_eq(lp_qsvc_count(c.svc), T_SUBS / 2);
	for(i = 0; i < T_SUBS; i++)
		lp_qsub_release(c.subs[i]);
	lp_qsub_release(p.last);
	lp_qqueue_release(c.q);
	lp_qsvc_destroy(c.svc);
	pthread_mutex_destroy(&c.mu);
}
END_TEST

Suite *qsvc_suite(void)
{
	Suite *s = suite_create("qsvc");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_subscribe_put_take);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_refcounts);
	tcase_add_test(tc, test_queue_limit);
	tcase_add_test(tc, test_every_allocation_fails);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);
	return s;
}
