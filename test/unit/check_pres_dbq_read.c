/* Readers of the presentity table while changes wait for the DB writer
 * (pres_dbq.h, db_write_interval > 0, the default): with a write queue the
 * cache is the whole truth, so a reader that falls back to the DB on a
 * cache miss (fallback2db) must not bring back a publication whose DELETE
 * is still queued. pres_pub_get is what DMQ's conflict rule reads
 * (pres_dmq.c); pres_pub_bodies what NOTIFY bodies and get_presentity
 * read. SQLite temp file. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lp_db.h"
#include "lp_log.h"
#include "lp_test.h"
#include "t_pres_fixture.h"
#include "pres_logic.h"
#include "pres_pub.h"
#include "pres_dbq.h"


static const char *url;

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
	url = lp_test_pres_start("pubqr", 1, NULL);
	pres.cfg.fallback2db = 1;
	ck_assert_int_eq(pres_dbq_init(), 0);
	ck_assert_ptr_nonnull(pres.dbq);
	pres.send_notify = no_notify;
}

static void teardown(void)
{
	pres_dbq_destroy();
	lp_test_pres_stop();
}

static pres_reply_t rep;
static char tag[128];

static int publish(const char *if_match, const char *body, int expires)
{
	pres_publish_req_t r;
	const char *p;

	memset(&r, 0, sizeof(r));
	r.user = LP_STR("alice");
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
	p = strstr(rep.hdrs, "SIP-ETag: ");
	if(p && expires != 0)
		snprintf(
				tag, sizeof(tag), "%.*s", (int)strcspn(p + 10, "\r\n"), p + 10);
	return rep.code;
}

/* pres_pub_get of alice's publication tag: 1 found, 0 not. */
static int get(void)
{
	lp_str_t e = lp_str_c(tag);
	pres_pub_key_t k = {
			&LP_STR("alice"), &LP_STR("example.com"), &LP_STR("presence"), &e};
	pres_pub_t *p = NULL;
	int rc = pres_pub_get(&k, &p);

	lp_free(p);
	return rc;
}

static int bodies(void)
{
	lp_str_t **b = NULL;
	int n = pres_pub_bodies(
			&LP_STR("alice"), &LP_STR("example.com"), &LP_STR("presence"), &b);

	pres_pub_bodies_free(b, n > 0 ? n : 0);
	return n;
}

START_TEST(test_removed_not_read_back_from_db)
{
	ck_assert_int_eq(publish(NULL, "<a1/>", 600), 200);
	ck_assert_int_eq(pres_dbq_drain(pres_db()), 1); /* the row is there */
	ck_assert_int_eq(get(), 1);
	ck_assert_int_eq(publish(tag, NULL, 0), 200); /* removed, DELETE queued */
	ck_assert_uint_eq(pres_dbq_len(), 1);
	ck_assert_int_eq(get(), 0);
	ck_assert_int_eq(bodies(), 0);
	ck_assert_int_eq(pres_dbq_drain(pres_db()), 1);
	ck_assert_int_eq(get(), 0);
}
END_TEST

/* Without a queue fallback2db still reads the DB on a cache miss (a row
 * another instance wrote). */
START_TEST(test_fallback_without_queue)
{
	pres_pub_key_t k = {&LP_STR("alice"), &LP_STR("example.com"),
			&LP_STR("presence"), &LP_STR("other")};
	pres_pub_t *p = pres_pub_new(&k, NULL, &LP_STR("<b/>"), LP_TEST_T0 + 600, LP_TEST_T0);

	pres_dbq_destroy();
	pres.cfg.db_write_interval = 0;
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(pres_pub_db_write(pres_db(), p, NULL), 1);
	lp_free(p);
	snprintf(tag, sizeof(tag), "other");
	ck_assert_int_eq(get(), 1);
}
END_TEST

Suite *pres_dbq_read_suite(void)
{
	Suite *s = suite_create("pres_dbq_read");
	TCase *tc = tcase_create("sqlite");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_removed_not_read_back_from_db);
	tcase_add_test(tc, test_fallback_without_queue);
	suite_add_tcase(s, tc);
	return s;
}
