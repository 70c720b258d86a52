/* presence.publish_cache_sync (pres_pubsync.h): rows inserted, deleted and
 * changed in the presentity table behind the cache's back are taken into
 * the cache and the watcher is notified; nothing changes when nothing
 * changed; publications whose changes still wait for the DB writer are not
 * thrown away (the sync refuses while the queue is not empty); publ_cache
 * 0 has nothing to sync. Requests that run in the middle of a sync (played
 * by a wrapped driver right after a statement): a PUBLISH between the
 * read and the cache changes leaves its bucket skipped, not undone; a sync
 * between a PUBLISH's DB write and its cache change leaves one record.
 * SQLite temp file. */
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
#include "pres_pubsync.h"

static const char *url;
static const lp_db_driver_t *real_drv; /* arm() */
static int notifies;
static char last_body[512];

static int capture(const pres_notify_t *n)
{
	notifies++;
	snprintf(last_body, sizeof(last_body), "%.*s", LP_STR_FMT(n->body));
	return 0;
}

static void quiet(int level, const char *msg)
{
}

static void setup(void)
{
	lp_test_mem_install();
	lp_log_set(quiet);
	url = lp_test_pres_start("pubsync", 1, NULL);
	ck_assert_int_eq(pres_pubsync_init(), 0);
	pres.send_notify = capture;
	notifies = 0;
	last_body[0] = '\0';
}

static void teardown(void)
{
	if(real_drv && pres.db)
		pres.db->drv = real_drv;
	real_drv = NULL;
	pres_dbq_destroy();
	pres_pubsync_destroy();
	lp_test_pres_stop();
}

static char tag[128];

static int publish(const char *body)
{
	pres_publish_req_t r;
	pres_reply_t rep;
	const char *p;

	memset(&r, 0, sizeof(r));
	r.user = LP_STR("alice");
	r.domain = LP_STR("example.com");
	r.has_event = 1;
	r.event = LP_STR("presence");
	r.expires = 600;
	r.has_ctype = 1;
	r.content_type = LP_STR("application/pidf+xml");
	r.body = lp_str_c(body);
	r.no_sip = 1;
	memset(&rep, 0, sizeof(rep));
	pres_handle_publish(&r, &rep);
	free(rep.off_body.s);
	p = strstr(rep.hdrs, "SIP-ETag: ");
	if(p)
		snprintf(
				tag, sizeof(tag), "%.*s", (int)strcspn(p + 10, "\r\n"), p + 10);
	return rep.code;
}

/* The cached bodies of alice's presence, joined in order. */
static const char *cached(void)
{
	static char out[512];
	lp_str_t **b = NULL;
	int n, i, w = 0;

	out[0] = '\0';
	n = pres_pub_bodies(
			&LP_STR("alice"), &LP_STR("example.com"), &LP_STR("presence"), &b);
	for(i = 0; i < n; i++)
		w += snprintf(out + w, sizeof(out) - w, "%.*s", LP_STR_FMT(*b[i]));
	pres_pub_bodies_free(b, n > 0 ? n : 0);
	return out;
}

static void sql_insert(const char *etag, const char *body)
{
	char q[512];

	snprintf(q, sizeof(q),
			"INSERT INTO presentity (username, domain, event, etag, expires,"
			" received_time, body, sender, priority) VALUES ('alice',"
			" 'example.com', 'presence', '%s', %u, %u, '%s', '', 0)",
			etag, LP_TEST_T0 + 600, LP_TEST_T0, body);
	lp_test_sql_run(url, q);
}

static void watch(void)
{
	lp_test_sub_t s;

	lp_test_sub_ok(&s, "pubsync-call", NULL);
	notifies = 0;
}

START_TEST(test_inserted_row_cached_and_notified)
{
	pres_pubsync_counts_t c;

	watch();
	sql_insert("sqltag", "<sql/>");
	ck_assert_str_eq(cached(), ""); /* behind the cache's back */
	ck_assert_int_eq(pres_pub_sync(0, &c), 0);
	ck_assert_int_eq(c.added, 1);
	ck_assert_int_eq(c.removed + c.updated + c.skipped, 0);
	ck_assert_int_eq(c.notified, 1);
	ck_assert_int_eq(notifies, 1);
	ck_assert_ptr_nonnull(strstr(last_body, "<sql/>"));
	ck_assert_str_eq(cached(), "<sql/>");
	/* a second run finds nothing to do and sends nothing */
	ck_assert_int_eq(pres_pub_sync(0, &c), 0);
	ck_assert_int_eq(c.added + c.removed + c.updated + c.notified, 0);
	ck_assert_int_eq(notifies, 1);
}
END_TEST

START_TEST(test_deleted_row_dropped_and_notified)
{
	pres_pubsync_counts_t c;

	ck_assert_int_eq(publish("<a1/>"), 200);
	ck_assert_int_eq(publish("<b1/>"), 200);
	watch();
	lp_test_sql_run(url, "DELETE FROM presentity WHERE body = '<a1/>'");
	ck_assert_str_eq(cached(), "<a1/><b1/>");
	ck_assert_int_eq(pres_pub_sync(0, &c), 0);
	ck_assert_int_eq(c.removed, 1);
	ck_assert_int_eq(c.added + c.updated + c.skipped, 0);
	ck_assert_int_eq(c.notified, 1);
	ck_assert_str_eq(cached(), "<b1/>");
	ck_assert_ptr_nonnull(strstr(last_body, "<b1/>"));
	ck_assert_ptr_null(strstr(last_body, "<a1/>"));
}
END_TEST

START_TEST(test_changed_row_taken)
{
	pres_pubsync_counts_t c;
	char q[256];

	ck_assert_int_eq(publish("<old/>"), 200);
	watch();
	snprintf(q, sizeof(q),
			"UPDATE presentity SET body = '<new/>', expires = %u WHERE"
			" etag = '%s'",
			LP_TEST_T0 + 900, tag);
	lp_test_sql_run(url, q);
	ck_assert_int_eq(pres_pub_sync(0, &c), 0);
	ck_assert_int_eq(c.updated, 1);
	ck_assert_int_eq(c.added + c.removed, 0);
	ck_assert_int_eq(notifies, 1);
	ck_assert_str_eq(cached(), "<new/>");
	ck_assert_ptr_nonnull(strstr(last_body, "<new/>"));
	ck_assert_int_eq(pres_pub_sync(0, &c), 0); /* the expires was taken */
	ck_assert_int_eq(c.updated, 0);
}
END_TEST

/* db_write_interval: a PUBLISH acknowledged but not yet written is newer
 * than the table; the sync refuses rather than drop it. */
START_TEST(test_queued_change_kept)
{
	pres_pubsync_counts_t c;

	pres.cfg.db_write_interval = 100;
	ck_assert_int_eq(pres_dbq_init(), 0);
	ck_assert_ptr_nonnull(pres.dbq);
	ck_assert_int_eq(publish("<q/>"), 200);
	ck_assert_uint_eq(pres_dbq_len(), 1);
	ck_assert_int_eq(pres_pub_sync(20, &c), PRES_PUBSYNC_BUSY);
	ck_assert_str_eq(cached(), "<q/>");
	ck_assert_int_eq(pres_dbq_drain(pres_db()), 1);
	sql_insert("sqltag", "<sql/>");
	ck_assert_int_eq(pres_pub_sync(0, &c), 0);
	ck_assert_int_eq(c.added, 1);
	ck_assert_int_eq(c.removed + c.updated, 0);
	ck_assert_str_eq(cached(), "<q/><sql/>");
}
END_TEST

/* The driver of pres.db, wrapped: once armed, `between` runs right after
 * the next statement, as a request that runs in the middle of the other
 * side's work. */
static void (*between)(void);
static lp_db_driver_t hooked_drv;

static int hooked_exec(lp_db_conn_t *c, const char *sql,
		const lp_db_val_t *params, int nparams, lp_db_row_cb cb, void *ctx)
{
	int rc = real_drv->exec(c, sql, params, nparams, cb, ctx);
	void (*f)(void) = between;

	between = NULL;
	if(f)
		f();
	return rc;
}

static void arm(void (*f)(void))
{
	lp_db_t *db = pres_db();

	ck_assert_ptr_nonnull(db);
	real_drv = db->drv;
	hooked_drv = *real_drv;
	hooked_drv.exec = hooked_exec;
	db->drv = &hooked_drv;
	between = f;
}

static pres_pubsync_counts_t inner;

/* A PUBLISH (its DB write, then its cache change) between the sync's read
 * of the table and its changes of the cache. */
static void late_publish(void)
{
	ck_assert_int_eq(publish("<late/>"), 200);
}

START_TEST(test_bucket_changed_during_read_skipped)
{
	pres_pubsync_counts_t c;

	ck_assert_int_eq(publish("<a/>"), 200);
	sql_insert("sqltag", "<sql/>");
	arm(late_publish); /* after the sync's read */
	ck_assert_int_eq(pres_pub_sync(0, &c), 0);
	ck_assert_ptr_null(between);
	ck_assert_int_eq(c.skipped, 1);
	ck_assert_int_eq(c.added + c.removed + c.updated, 0);
	ck_assert_str_eq(cached(), "<a/><late/>"); /* the PUBLISH is kept */
	ck_assert_int_eq(pres_pub_sync(0, &c), 0); /* the next run takes it */
	ck_assert_int_eq(c.added, 1);
	ck_assert_int_eq(c.skipped + c.removed + c.updated, 0);
	ck_assert_str_eq(cached(), "<a/><late/><sql/>");
}
END_TEST

static void sync_now(void)
{
	ck_assert_int_eq(pres_pub_sync(0, &inner), 0);
}

/* A sync between a PUBLISH's DB write and its cache change caches the row
 * the PUBLISH then links: one record of it stays. */
START_TEST(test_sync_inside_a_store_no_duplicate)
{
	pres_pub_key_t k = {&LP_STR("alice"), &LP_STR("example.com"),
			&LP_STR("presence"), &LP_STR("e2")};
	pres_pub_t *p;
	lp_str_t old;

	ck_assert_int_eq(publish("<old/>"), 200);
	old = lp_str_c(tag);
	p = pres_pub_new(&k, &LP_STR(""), &LP_STR("<new/>"), LP_TEST_T0 + 600,
			LP_TEST_T0);
	ck_assert_ptr_nonnull(p);
	arm(sync_now); /* after the store's UPDATE */
	ck_assert_int_eq(pres_pub_store(p, &old), 0);
	ck_assert_ptr_null(between);
	ck_assert_int_eq(inner.added, 1);
	ck_assert_int_eq(inner.removed, 1);
	ck_assert_str_eq(cached(), "<new/>");
}
END_TEST

START_TEST(test_no_cache_nothing_to_do)
{
	pres_pubsync_counts_t c;

	pres.cfg.publ_cache = 0;
	sql_insert("sqltag", "<sql/>");
	ck_assert_int_eq(pres_pub_sync(0, &c), PRES_PUBSYNC_NOCACHE);
	ck_assert_int_eq(c.added + c.removed + c.updated + c.notified, 0);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, test_inserted_row_cached_and_notified);
	tcase_add_test(tc, test_deleted_row_dropped_and_notified);
	tcase_add_test(tc, test_changed_row_taken);
	tcase_add_test(tc, test_queued_change_kept);
	tcase_add_test(tc, test_no_cache_nothing_to_do);
	tcase_add_test(tc, test_bucket_changed_during_read_skipped);
	tcase_add_test(tc, test_sync_inside_a_store_no_duplicate);
}

Suite *pres_pubsync_suite(void)
{
	Suite *s = suite_create("pres_pubsync");

	lp_test_pres_tcases(s, "pres_pubsync", setup, teardown, add_tests, NULL);
	return s;
}
