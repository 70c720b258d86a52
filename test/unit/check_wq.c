/* The bounded write queue (lp_wq): FIFO order, the bound and what a full
 * queue refuses, peek leaving items queued until they are dropped, a drop
 * racing a push, producers in several threads keeping each one's order,
 * the orphaned lock, and every allocation failing in turn; the ring of
 * lp_wq_push_new: items carved in queue order, given back by the drop and
 * taken again after a wrap, the fallback to blocks of their own when it is
 * full, and the same under concurrent producers. */
#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include "lp_test.h"
#include "lp_wq.h"

typedef struct titem {
	lp_wq_item_t q;
	int producer, seq;
} titem_t;

static int freed;

static titem_t *item(int producer, int seq)
{
	titem_t *t = calloc(1, sizeof(*t));

	ck_assert_ptr_nonnull(t);
	t->producer = producer;
	t->seq = seq;
	return t;
}

static void free_titem(lp_wq_item_t *it)
{
	freed++;
	free(it);
}

static void setup(void)
{
	lp_test_mem_install();
	freed = 0;
}

static void teardown(void)
{
	ck_assert_int_eq(lp_test_mem_live(), 0);
}

START_TEST(test_fifo_order)
{
	lp_wq_t *q = lp_wq_new(8);
	lp_wq_item_t *out[8];
	int i, n;

	for(i = 0; i < 5; i++)
		ck_assert_int_eq(lp_wq_push(q, &item(0, i)->q), 0);
	n = lp_wq_peek(q, out, 3);
	ck_assert_int_eq(n, 3);
	for(i = 0; i < n; i++)
		ck_assert_int_eq(((titem_t *)out[i])->seq, i);
	/* peeked items stay queued until dropped */
	ck_assert_uint_eq(lp_wq_len(q), 5);
	ck_assert_int_eq(lp_wq_peek(q, out, 8), 5);
	lp_wq_drop(q, 3, free_titem);
	ck_assert_int_eq(freed, 3);
	ck_assert_uint_eq(lp_wq_len(q), 2);
	n = lp_wq_peek(q, out, 8);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(((titem_t *)out[0])->seq, 3);
	ck_assert_int_eq(((titem_t *)out[1])->seq, 4);
	lp_wq_destroy(q, free_titem);
	ck_assert_int_eq(freed, 5);
}
END_TEST

START_TEST(test_bound)
{
	lp_wq_t *q = lp_wq_new(3);
	titem_t *extra = item(0, 99);
	lp_wq_item_t *out[4];
	int i;

	for(i = 0; i < 3; i++)
		ck_assert_int_eq(lp_wq_push(q, &item(0, i)->q), 0);
	ck_assert_int_eq(lp_wq_push(q, &extra->q), -1);
	ck_assert_int_eq(lp_wq_push(q, &extra->q), -1);
	ck_assert_uint_eq(q->refused, 2);
	ck_assert_uint_eq(q->high, 3);
	ck_assert_uint_eq(lp_wq_len(q), 3);
	/* the refused item was not linked: the queue still ends at seq 2 */
	ck_assert_int_eq(lp_wq_peek(q, out, 4), 3);
	ck_assert_int_eq(((titem_t *)out[2])->seq, 2);
	lp_wq_drop(q, 1, free_titem);
	ck_assert_int_eq(lp_wq_push(q, &extra->q), 0); /* room again */
	ck_assert_int_eq(lp_wq_peek(q, out, 4), 3);
	ck_assert_int_eq(((titem_t *)out[2])->seq, 99);
	lp_wq_destroy(q, free_titem);
	ck_assert_int_eq(freed, 4);
}
END_TEST

START_TEST(test_zero_cap_refused)
{
	ck_assert_ptr_null(lp_wq_new(0));
}
END_TEST

/* Everything peeked is dropped, and a push lands in between (as a worker
 * does while the writer commits): the new item is neither freed nor
 * lost. */
START_TEST(test_drop_all_then_push)
{
	lp_wq_t *q = lp_wq_new(4);
	lp_wq_item_t *out[4];

	ck_assert_int_eq(lp_wq_push(q, &item(0, 0)->q), 0);
	ck_assert_int_eq(lp_wq_push(q, &item(0, 1)->q), 0);
	ck_assert_int_eq(lp_wq_peek(q, out, 4), 2);
	ck_assert_int_eq(lp_wq_push(q, &item(0, 2)->q), 0);
	lp_wq_drop(q, 2, free_titem);
	ck_assert_int_eq(freed, 2);
	ck_assert_int_eq(lp_wq_peek(q, out, 4), 1);
	ck_assert_int_eq(((titem_t *)out[0])->seq, 2);
	lp_wq_drop(q, 1, free_titem);
	ck_assert_uint_eq(lp_wq_len(q), 0);
	ck_assert_int_eq(lp_wq_peek(q, out, 4), 0);
	ck_assert_int_eq(lp_wq_push(q, &item(0, 3)->q), 0);
	ck_assert_int_eq(lp_wq_peek(q, out, 4), 1);
	ck_assert_int_eq(((titem_t *)out[0])->seq, 3);
	lp_wq_destroy(q, free_titem);
	ck_assert_int_eq(freed, 4);
}
END_TEST


/* lp_wq_push_new items: arg is the titem_t to copy (its q left alone) */
static void fill_titem(lp_wq_item_t *it, void *arg)
{
	const titem_t *src = arg;
	titem_t *t = (titem_t *)it;

	t->producer = src->producer;
	t->seq = src->seq;
}

static int push_new(lp_wq_t *q, int producer, int seq)
{
	titem_t src = {.producer = producer, .seq = seq};

	return lp_wq_push_new(q, sizeof(titem_t), fill_titem, &src);
}

static void free_lp_titem(lp_wq_item_t *it)
{
	freed++;
	lp_free(it);
}

static int in_ring(const lp_wq_t *q, const lp_wq_item_t *it)
{
	return (const char *)it >= q->ring && (const char *)it < q->ring + q->rbytes;
}

#define RSLOT 32 /* sizeof(titem_t) rounded to the ring's 16 bytes */

/* A ring of 4 slots: items fill it in order, the 5th and 6th take blocks
 * of their own (order kept across both kinds), the drop gives the slots
 * back, and the next items wrap to the front of the ring. */
START_TEST(test_ring_order_wrap_fallback)
{
	lp_wq_t *q = lp_wq_new_ring(16, 4 * RSLOT);
	lp_wq_item_t *out[16];
	int i, n;

	ck_assert_ptr_nonnull(q);
	ck_assert_uint_eq(sizeof(titem_t), 24);
	for(i = 0; i < 6; i++)
		ck_assert_int_eq(push_new(q, 0, i), 0);
	n = lp_wq_peek(q, out, 16);
	ck_assert_int_eq(n, 6);
	for(i = 0; i < 6; i++) {
		ck_assert_int_eq(((titem_t *)out[i])->seq, i);
		ck_assert_int_eq(in_ring(q, out[i]), i < 4);
	}
	ck_assert_ptr_eq(out[1], (lp_wq_item_t *)(q->ring + RSLOT));
	ck_assert_uint_eq(q->rused, 4 * RSLOT);
	lp_wq_drop(q, 3, free_lp_titem); /* ring slots 0-2: nothing freed */
	ck_assert_int_eq(freed, 0);
	ck_assert_uint_eq(q->rused, RSLOT);
	for(i = 6; i < 8; i++) /* wrap: slots 0 and 1 */
		ck_assert_int_eq(push_new(q, 0, i), 0);
	n = lp_wq_peek(q, out, 16);
	ck_assert_int_eq(n, 5);
	for(i = 0; i < 5; i++)
		ck_assert_int_eq(((titem_t *)out[i])->seq, i + 3);
	ck_assert_ptr_eq(out[3], (lp_wq_item_t *)q->ring);
	ck_assert_ptr_eq(out[4], (lp_wq_item_t *)(q->ring + RSLOT));
	lp_wq_drop(q, 3, free_lp_titem); /* slot 3 and the two blocks */
	ck_assert_int_eq(freed, 2);
	ck_assert_uint_eq(q->rused, 2 * RSLOT);
	lp_wq_destroy(q, free_lp_titem);
	ck_assert_int_eq(freed, 2);
}
END_TEST

/* An item that would cross the ring's end skips it: the skipped bytes are
 * taken until the item leaves, then the ring is whole again. */
START_TEST(test_ring_skips_end)
{
	lp_wq_t *q = lp_wq_new_ring(8, 5 * RSLOT);
	lp_wq_item_t *out[8];
	titem_t big = {.seq = 9};

	for(int i = 0; i < 4; i++)
		ck_assert_int_eq(push_new(q, 0, i), 0);
	lp_wq_drop(q, 3, free_lp_titem); /* head at slot 3, tail at slot 4 */
	/* 2 slots: not at the end (1 slot left), so at the front */
	ck_assert_int_eq(lp_wq_push_new(q, 2 * RSLOT, fill_titem, &big), 0);
	ck_assert_int_eq(lp_wq_peek(q, out, 8), 2);
	ck_assert_ptr_eq(out[1], (lp_wq_item_t *)q->ring);
	ck_assert_uint_eq(q->rused, RSLOT + RSLOT + 2 * RSLOT);
	lp_wq_drop(q, 2, free_lp_titem);
	ck_assert_uint_eq(q->rused, 0);
	ck_assert_uint_eq(lp_wq_len(q), 0);
	ck_assert_int_eq(freed, 0);
	lp_wq_destroy(q, free_lp_titem);
}
END_TEST

/* The bound holds for lp_wq_push_new too (nothing allocated), and with
 * the ring full a failing allocation is -2 with nothing queued. */
START_TEST(test_ring_bound_and_no_memory)
{
	lp_wq_t *q = lp_wq_new_ring(2, RSLOT);

	ck_assert_int_eq(push_new(q, 0, 0), 0); /* ring */
	lp_test_mem_fail_at(1);
	ck_assert_int_eq(push_new(q, 0, 1), -2); /* block: no memory */
	ck_assert_uint_eq(lp_wq_len(q), 1);
	ck_assert_int_eq(push_new(q, 0, 1), 0); /* block */
	ck_assert_int_eq(push_new(q, 0, 2), -1);
	ck_assert_uint_eq(q->refused, 1);
	lp_wq_destroy(q, free_lp_titem);
	ck_assert_int_eq(freed, 1);
}
END_TEST

#define PRODUCERS 4
#define PER_PRODUCER 500

typedef struct prod {
	lp_wq_t *q;
	int id, refused;
} prod_t;

static void *producer_new(void *arg)
{
	prod_t *p = arg;
	int i;

	for(i = 0; i < PER_PRODUCER; i++)
		while(push_new(p->q, p->id, i) < 0) {
			p->refused++;
			sched_yield();
		}
	return NULL;
}

static void *producer(void *arg)
{
	prod_t *p = arg;
	int i;

	for(i = 0; i < PER_PRODUCER; i++) {
		titem_t *t = item(p->id, i);
		while(lp_wq_push(p->q, &t->q) < 0) { /* full: the consumer drains */
			p->refused++;
			sched_yield();
		}
	}
	return NULL;
}

/* Producers in threads (fn), one consumer draining as it goes: every item
 * arrives once, and each producer's items in the order it pushed them. */
static void run_concurrent(lp_wq_t *q, void *(*fn)(void *),
		void (*free_item)(lp_wq_item_t *))
{
	prod_t p[PRODUCERS];
	pthread_t th[PRODUCERS];
	int next[PRODUCERS] = {0}, got = 0, i, n;
	lp_wq_item_t *out[32];

	for(i = 0; i < PRODUCERS; i++) {
		p[i] = (prod_t){q, i, 0};
		ck_assert_int_eq(pthread_create(&th[i], NULL, fn, &p[i]), 0);
	}
	while(got < PRODUCERS * PER_PRODUCER) {
		n = lp_wq_peek(q, out, 32);
		for(i = 0; i < n; i++) {
			titem_t *t = (titem_t *)out[i];
			ck_assert_int_eq(t->seq, next[t->producer]);
			next[t->producer]++;
		}
		lp_wq_drop(q, n, free_item);
		got += n;
		if(n == 0)
			sched_yield();
	}
	for(i = 0; i < PRODUCERS; i++)
		pthread_join(th[i], NULL);
	ck_assert_uint_le(q->high, q->cap);
	ck_assert_uint_eq(lp_wq_len(q), 0);
}

START_TEST(test_concurrent_order)
{
	lp_wq_t *q = lp_wq_new(64);

	run_concurrent(q, producer, free_titem);
	lp_wq_destroy(q, free_titem);
	ck_assert_int_eq(freed, PRODUCERS * PER_PRODUCER);
}
END_TEST

/* The same through a ring of 8 slots: items in the ring and in blocks of
 * their own mix, and at the end the ring is whole again. */
START_TEST(test_ring_concurrent_order)
{
	lp_wq_t *q = lp_wq_new_ring(64, 8 * RSLOT);

	run_concurrent(q, producer_new, free_lp_titem);
	ck_assert_uint_eq(q->rused, 0);
	ck_assert_int_lt(freed, PRODUCERS * PER_PRODUCER); /* some in the ring */
	lp_wq_destroy(q, free_lp_titem);
}
END_TEST

/* The lock replaced at shutdown: the queue goes on working even when the
 * old lock was left held (a process killed inside it). */
START_TEST(test_orphan_lock)
{
	lp_wq_t *q = lp_wq_new(2);
	void *old;

	ck_assert_int_eq(lp_wq_push(q, &item(0, 0)->q), 0);
	old = q->lock;
	lp_lock_get(old); /* never released by its "process" */
	lp_wq_orphan(q);
	ck_assert_ptr_ne(q->lock, old);
	ck_assert_uint_eq(lp_wq_len(q), 1);
	lp_lock_release(old);
	lp_lock_free(old); /* the test's own cleanup (Kamailio leaks it) */
	lp_wq_destroy(q, free_titem);
}
END_TEST

START_TEST(test_alloc_failures)
{
	int nth;
	lp_wq_t *q;

	for(nth = 1; nth <= 3; nth++) {
		lp_test_mem_install();
		lp_test_mem_fail_at(nth);
		q = lp_wq_new(4);
		if(q) {
			ck_assert_int_eq(lp_wq_push(q, &item(0, 0)->q), 0);
			lp_wq_destroy(q, free_titem);
		}
		ck_assert_int_eq(lp_test_mem_live(), 0);
	}
}
END_TEST

Suite *wq_suite(void)
{
	Suite *s = suite_create("wq");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fifo_order);
	tcase_add_test(tc, test_bound);
	tcase_add_test(tc, test_zero_cap_refused);
	tcase_add_test(tc, test_drop_all_then_push);
	tcase_add_test(tc, test_concurrent_order);
	tcase_add_test(tc, test_orphan_lock);
	tcase_add_test(tc, test_alloc_failures);
	tcase_add_test(tc, test_ring_order_wrap_fallback);
	tcase_add_test(tc, test_ring_skips_end);
	tcase_add_test(tc, test_ring_bound_and_no_memory);
	tcase_add_test(tc, test_ring_concurrent_order);
	suite_add_tcase(s, tc);
	return s;
}
