/* DMQ tombstones (pres_dmq_tomb.c) and the newer-wins rule with removals
 * (pres_dmq.c), without Kamailio: the table itself (bounded in time and
 * count, keeps the later removal), then replicated changes applied in every
 * delivery order to a temp SQLite DB: a removal delivered before the store
 * it removes, a stale store or refresh delivered after a removal (local or
 * replicated), a sync answer carrying a removed version, and a store
 * received after the removal (it wins). Every order ends in the same state. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lp_log.h"
#include "lp_test.h"
#include "pres_dmq.h"
#include "pres_dmq_tomb.h"
#include "pres_logic.h"
#include "pres_pub.h"
#include "pres_subs.h"

#define CT "application/pidf+xml"
#define T0 1700000000u
#define DOMAIN "example.com"

static int nnotify;

static int no_send(const char *s, int len, void *node)
{
	return 0;
}

static int count_notify(const pres_notify_t *n)
{
	nnotify++;
	return 0;
}

static int publ_ok(struct sip_msg *msg)
{
	return 0;
}

static void mem_setup(void)
{
	lp_test_mem_install();
	lp_test_log_install();
}

static void mem_teardown(void)
{
	pres_dmq_tomb_destroy();
	lp_log_set(NULL);
	ck_assert_int_eq(lp_test_mem_live(), 0);
}

static void db_setup(void)
{
	static int sql_ready;

	mem_setup();
	memset(&pres, 0, sizeof(pres));
	pres_cfg_defaults(&pres.cfg);
	pres.cfg.db_url =
			(char *)lp_test_pres_db_new(&lp_test_eng_sqlite, "pres_dmq_tomb");
	pres.cfg.enable_dmq = 1;
	if(!sql_ready) {
		ck_assert_int_eq(pres_sql_init(), 0);
		sql_ready = 1;
	}
	lp_test_pres_tables_new();
	lp_test_pres_add_presence(CT, publ_ok);
	lp_test_now = T0;
	pres.now = lp_test_clock;
	pres.send_notify = count_notify;
	nnotify = 0;
	pres_dmq_set_sender(no_send);
	ck_assert_int_eq(pres_dmq_tomb_init(PRES_DMQ_TOMB_SLOTS), 0);
}

static void db_teardown(void)
{
	pres_dmq_set_sender(NULL);
	pres_dmq_tomb_destroy();
	lp_test_pres_tables_free();
	lp_test_pres_db_close_events();
	lp_test_pres_db_drop();
	mem_teardown();
}

static pres_dmq_rec_t rec(char op, const char *etag, const char *body,
		unsigned int received, unsigned int expires)
{
	pres_dmq_rec_t r;

	memset(&r, 0, sizeof(r));
	r.op = op;
	r.user = LP_STR("alice");
	r.domain = LP_STR(DOMAIN);
	r.event = LP_STR("presence");
	r.etag = lp_str_c(etag);
	r.body = lp_str_c(body ? body : "");
	r.received = received;
	r.expires = expires;
	return r;
}

/* The body stored under etag ("" and 0 when none). */
static int stored(const char *etag, char *buf, int size)
{
	lp_str_t u = LP_STR("alice"), d = LP_STR(DOMAIN), ev = LP_STR("presence");
	lp_str_t e = lp_str_c(etag);
	pres_pub_key_t k = {&u, &d, &ev, &e};
	pres_pub_t *p = NULL;
	int rc = pres_pub_get(&k, &p);

	ck_assert_int_ge(rc, 0);
	buf[0] = '\0';
	if(p) {
		snprintf(buf, size, "%.*s", LP_STR_FMT(p->body));
		lp_free(p);
	}
	return rc;
}

static unsigned int find(const char *etag, unsigned int now)
{
	lp_str_t u = LP_STR("alice"), d = LP_STR(DOMAIN), ev = LP_STR("presence");
	lp_str_t e = lp_str_c(etag);

	return pres_dmq_tomb_find(&u, &d, &ev, &e, now);
}

static void add(const char *etag, unsigned int received, unsigned int until)
{
	lp_str_t u = LP_STR("alice"), d = LP_STR(DOMAIN), ev = LP_STR("presence");
	lp_str_t e = lp_str_c(etag);

	pres_dmq_tomb_add(&u, &d, &ev, &e, received, until);
}

/* ---- the table ---- */

START_TEST(test_tomb_table)
{
	ck_assert_uint_eq(find("e1", T0), 0); /* no table: nothing */
	add("e1", T0, T0 + 10);
	ck_assert_int_eq(pres_dmq_tomb_init(64), 0);
	ck_assert_int_eq(pres_dmq_tomb_init(64), -1);
	add("e1", T0, T0 + 10);
	ck_assert_uint_eq(find("e1", T0 + 9), T0);
	ck_assert_uint_eq(find("e2", T0 + 9), 0);
	ck_assert_uint_eq(find("e1", T0 + 10), 0); /* ended */
	ck_assert_int_eq(pres_dmq_tomb_count(T0), 1);
	ck_assert_int_eq(pres_dmq_tomb_count(T0 + 10), 0);
	/* the same key keeps the later removal and the later end */
	add("e1", T0 + 5, T0 + 8);
	ck_assert_uint_eq(find("e1", T0 + 9), T0 + 5);
	add("e1", T0 + 1, T0 + 20);
	ck_assert_uint_eq(find("e1", T0 + 19), T0 + 5);
	ck_assert_int_eq(pres_dmq_tomb_count(T0), 1);
	/* a tombstone that would end before it starts is not kept */
	add("e3", T0, T0);
	ck_assert_uint_eq(find("e3", T0 - 1), 0);
	ck_assert_uint_eq(pres_dmq_tomb_until(T0, 0, 3600), T0 + 3600);
	ck_assert_uint_eq(pres_dmq_tomb_until(T0, T0 + 7200, 3600), T0 + 7200);
	ck_assert_uint_eq(pres_dmq_tomb_until(0xfffffff0u, 0, 3600), 0xffffffffu);
}
END_TEST

/* Bounded in count: one bucket of PRES_DMQ_TOMB_WAYS (slots 1 is rounded
 * up to one bucket); a full bucket gives up the tombstone closest to its
 * end, and an ended one is reused first. */
START_TEST(test_tomb_bounded)
{
	char etag[16];
	int i;

	ck_assert_int_eq(pres_dmq_tomb_init(1), 0);
	for(i = 0; i < PRES_DMQ_TOMB_WAYS; i++) {
		snprintf(etag, sizeof(etag), "e%d", i);
		add(etag, T0, T0 + 100 + i);
	}
	ck_assert_int_eq(pres_dmq_tomb_count(T0), PRES_DMQ_TOMB_WAYS);
	ck_assert_uint_eq(pres_dmq_tomb_evicted(), 0);
	add("new", T0 + 1, T0 + 500);
	ck_assert_uint_eq(pres_dmq_tomb_evicted(), 1);
	ck_assert_int_eq(pres_dmq_tomb_count(T0), PRES_DMQ_TOMB_WAYS);
	ck_assert_uint_eq(find("e0", T0), 0); /* closest to its end: gone */
	ck_assert_uint_eq(find("e1", T0), T0);
	ck_assert_uint_eq(find("new", T0), T0 + 1);
	ck_assert_ptr_nonnull(strstr(lp_test_log_last(), "tombstone table full"));
	/* at T0 + 102 e1 has ended: its slot is taken without an eviction */
	add("later", T0 + 102, T0 + 600);
	ck_assert_uint_eq(pres_dmq_tomb_evicted(), 1);
	ck_assert_uint_eq(find("e1", T0), 0);
	ck_assert_uint_eq(find("e2", T0), T0);
	ck_assert_uint_eq(find("later", T0 + 102), T0 + 102);
}
END_TEST

/* ---- the rule with removals, every delivery order ---- */

/* A removal delivered before the store it removes: the late store (received
 * before the removal, or at the same second) is refused; no NOTIFY. */
START_TEST(test_remove_before_store)
{
	pres_dmq_rec_t s = rec('S', "e1", "<old/>", T0, T0 + 300);
	pres_dmq_rec_t s_tie = rec('S', "e1", "<tie/>", T0 + 10, T0 + 300);
	pres_dmq_rec_t r = rec('R', "e1", NULL, T0 + 10, 0);
	char b[64];

	ck_assert_int_eq(pres_dmq_apply(&r), 0); /* nothing to remove */
	ck_assert_uint_eq(find("e1", T0), T0 + 10);
	ck_assert_int_eq(pres_dmq_apply(&s), 0);
	ck_assert_int_eq(pres_dmq_apply(&s_tie), 0);
	ck_assert_int_eq(stored("e1", b, sizeof(b)), 0);
	ck_assert_int_eq(nnotify, 0);
}
END_TEST

/* The same changes in the other order reach the same state. */
START_TEST(test_store_then_remove)
{
	pres_dmq_rec_t s = rec('S', "e1", "<old/>", T0, T0 + 300);
	pres_dmq_rec_t r = rec('R', "e1", NULL, T0 + 10, 0);
	char b[64];

	ck_assert_int_eq(pres_dmq_apply(&s), 1);
	ck_assert_int_eq(stored("e1", b, sizeof(b)), 1);
	ck_assert_int_eq(pres_dmq_apply(&r), 1);
	ck_assert_int_eq(stored("e1", b, sizeof(b)), 0);
	/* the store again (a retransmission, a sync answer): still removed */
	ck_assert_int_eq(pres_dmq_apply(&s), 0);
	ck_assert_int_eq(stored("e1", b, sizeof(b)), 0);
}
END_TEST

/* A stale refresh or modify (received before a removal) delivered late does
 * not resurrect the publication; one received after the removal wins (the
 * later received time, whatever the order). */
START_TEST(test_stale_update_after_remove)
{
	pres_dmq_rec_t s = rec('S', "e1", "<v1/>", T0, T0 + 300);
	pres_dmq_rec_t mod = rec('S', "e2", "<v2/>", T0 + 5, T0 + 300);
	pres_dmq_rec_t r = rec('R', "e2", NULL, T0 + 10, 0);
	pres_dmq_rec_t newer = rec('S', "e2", "<v3/>", T0 + 11, T0 + 300);
	char b[64];

	mod.old_etag = LP_STR("e1");
	ck_assert_int_eq(pres_dmq_apply(&s), 1);
	ck_assert_int_eq(pres_dmq_apply(&r), 0); /* e2 not here yet */
	lp_test_now = T0 + 20;
	ck_assert_int_eq(pres_dmq_apply(&mod), 0); /* modify e1 -> e2, stale */
	ck_assert_int_eq(stored("e2", b, sizeof(b)), 0);
	ck_assert_int_eq(stored("e1", b, sizeof(b)), 1); /* left as it was */
	ck_assert_str_eq(b, "<v1/>");
	ck_assert_int_eq(pres_dmq_apply(&newer), 1);
	ck_assert_int_eq(stored("e2", b, sizeof(b)), 1);
	ck_assert_str_eq(b, "<v3/>");
}
END_TEST

/* A local removal (a PUBLISH with Expires 0 at this node) leaves the same
 * tombstone: the stale version replicated by another node later is
 * refused. */
START_TEST(test_local_remove_tombstone)
{
	pres_dmq_rec_t s = rec('S', "e1", "<v1/>", T0, T0 + 300);
	lp_str_t u = LP_STR("alice"), d = LP_STR(DOMAIN), ev = LP_STR("presence");
	lp_str_t e = LP_STR("e1");
	pres_pub_key_t k = {&u, &d, &ev, &e};
	char b[64];

	ck_assert_int_eq(pres_dmq_apply(&s), 1);
	lp_test_now = T0 + 10;
	ck_assert_int_eq(pres_pub_remove(&k), 0);
	pres_dmq_replicate_remove(&k, pres.now());
	ck_assert_uint_eq(find("e1", T0 + 10), T0 + 10);
	ck_assert_int_eq(pres_dmq_apply(&s), 0);
	ck_assert_int_eq(stored("e1", b, sizeof(b)), 0);
}
END_TEST

/* Bounded in time: the tombstone lasts max_expires past the removal, and
 * by then every version it beats has expired (refused as expired). */
START_TEST(test_tomb_outlives_stale_versions)
{
	pres_dmq_rec_t s = rec(
			'S', "e1", "<v1/>", T0, T0 + (unsigned int)pres.cfg.max_expires);
	pres_dmq_rec_t r = rec('R', "e1", NULL, T0 + 1, 0);
	char b[64];

	ck_assert_int_eq(pres_dmq_apply(&r), 0);
	lp_test_now = T0 + (unsigned int)pres.cfg.max_expires - 1;
	ck_assert_uint_eq(find("e1", pres.now()), T0 + 1);
	ck_assert_int_eq(pres_dmq_apply(&s), 0);
	lp_test_now = T0 + 1 + (unsigned int)pres.cfg.max_expires;
	ck_assert_uint_eq(find("e1", pres.now()), 0);
	ck_assert_int_eq(pres_dmq_apply(&s), 0); /* expired by now */
	ck_assert_int_eq(stored("e1", b, sizeof(b)), 0);
}
END_TEST

/* A whole message delivered late (the sync answer of a node that had not
 * seen the removal) applies its other records and refuses the removed one. */
START_TEST(test_sync_answer_after_remove)
{
	pres_dmq_rec_t a = rec('S', "e1", "<v1/>", T0, T0 + 300);
	pres_dmq_rec_t c = rec('S', "e9", "<v9/>", T0, T0 + 300);
	pres_dmq_rec_t r = rec('R', "e1", NULL, T0 + 3, 0);
	pres_dmq_buf_t buf;
	char b[64];

	ck_assert_int_eq(pres_dmq_apply(&r), 0);
	ck_assert_int_eq(pres_dmq_begin(&buf, PRES_DMQ_PUB), 0);
	ck_assert_int_eq(pres_dmq_add(&buf, &a), 0);
	ck_assert_int_eq(pres_dmq_add(&buf, &c), 0);
	ck_assert_int_eq(pres_dmq_receive(buf.s, buf.len, NULL), 0);
	pres_dmq_buf_free(&buf);
	ck_assert_int_eq(stored("e1", b, sizeof(b)), 0);
	ck_assert_int_eq(stored("e9", b, sizeof(b)), 1);
	ck_assert_int_eq(nnotify, 0); /* nobody subscribed */
}
END_TEST

Suite *pres_dmq_tomb_suite(void)
{
	Suite *s = suite_create("pres_dmq_tomb");
	TCase *t = tcase_create("table"), *a = tcase_create("apply");

	tcase_add_checked_fixture(t, mem_setup, mem_teardown);
	tcase_add_test(t, test_tomb_table);
	tcase_add_test(t, test_tomb_bounded);
	suite_add_tcase(s, t);
	tcase_add_checked_fixture(a, db_setup, db_teardown);
	tcase_add_test(a, test_remove_before_store);
	tcase_add_test(a, test_store_then_remove);
	tcase_add_test(a, test_stale_update_after_remove);
	tcase_add_test(a, test_local_remove_tombstone);
	tcase_add_test(a, test_tomb_outlives_stale_versions);
	tcase_add_test(a, test_sync_answer_after_remove);
	suite_add_tcase(s, a);
	return s;
}
