/* The fan-out fixture (t_fan_fixture.h). */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lp_log.h"
#include "lp_test.h"
#include "pres_fanq.h"
#include "pres_pub.h"
#include "pres_subs.h"
#include "t_fan_fixture.h"

lp_test_cap_t lp_test_caps[LP_TEST_CAP_MAX];
int lp_test_ncaps;
int (*lp_test_send_hook)(const pres_notify_t *n);
static pthread_mutex_t cap_mx = PTHREAD_MUTEX_INITIALIZER;

int lp_test_capture(const pres_notify_t *n)
{
	lp_test_cap_t *c;

	pthread_mutex_lock(&cap_mx);
	ck_assert_int_lt(lp_test_ncaps, LP_TEST_CAP_MAX);
	c = &lp_test_caps[lp_test_ncaps++];
	snprintf(c->callid, sizeof(c->callid), "%.*s", LP_STR_FMT(n->subs->callid));
	snprintf(c->user, sizeof(c->user), "%.*s", LP_STR_FMT(n->subs->from_user));
	c->cseq = n->subs->local_cseq;
	c->body_ptr = n->body.s;
	c->shared = n->body_shared;
	c->closed = n->body.s && strstr(n->body.s, "closed") != NULL;
	pthread_mutex_unlock(&cap_mx);
	return lp_test_send_hook ? lp_test_send_hook(n) : 0;
}

void lp_test_fan_setup(const char *tag)
{
	static int sql_ready;

	lp_test_mem_install();
	lp_test_log_install();
	memset(&pres, 0, sizeof(pres));
	pres_cfg_defaults(&pres.cfg);
	pres.cfg.db_url = (char *)lp_test_pres_db_new(&lp_test_eng_sqlite, tag);
	if(!sql_ready) {
		ck_assert_int_eq(pres_sql_init(), 0);
		sql_ready = 1;
	}
	lp_test_pres_tables_new();
	pres.fanout = lp_htable_new(4);
	ck_assert_ptr_nonnull(pres.fanout);
	lp_test_now = LP_TEST_FAN_T0;
	pres.now = lp_test_clock;
	pres.send_notify = lp_test_capture;
	pres.fanq = NULL;
	lp_test_send_hook = NULL;
	lp_test_ncaps = 0;
}

void lp_test_fan_teardown(void)
{
	pres_fanq_free(pres.fanq);
	pres.fanq = NULL;
	lp_test_pres_tables_free();
	lp_htable_destroy(pres.fanout, NULL);
	lp_test_pres_db_close_events();
	lp_test_pres_db_drop();
	lp_log_set(NULL);
	ck_assert_int_eq(lp_test_mem_live(), 0);
}

void lp_test_fan_store(const char *doc, char *etag)
{
	pres_publish_req_t r;
	pres_reply_t rep;

	lp_test_pres_pub_req(&r, LP_TEST_FAN_DOMAIN, 600, doc, etag[0] ? etag : NULL);
	memset(&rep, 0, sizeof(rep));
	pres_handle_publish(&r, &rep);
	ck_assert_int_eq(rep.code, 200);
	lp_test_pres_reply_etag(rep.hdrs, etag, 128);
	free(rep.off_body.s);
}

pres_notify_t *lp_test_fan_subscribe(const char *user, int n)
{
	pres_subscribe_req_t r;
	pres_notify_t *nt = NULL;
	pres_reply_t rep;
	char callid[64], ftag[32], contact[64];

	memset(&r, 0, sizeof(r));
	snprintf(callid, sizeof(callid), "cid-%s-%d", user, n);
	snprintf(ftag, sizeof(ftag), "ft-%s-%d", user, n);
	snprintf(contact, sizeof(contact), "sip:%s@192.0.2.1", user);
	r.ruri_user = r.to_user = LP_STR("alice");
	r.ruri_domain = r.to_domain = LP_STR(LP_TEST_FAN_DOMAIN);
	r.from_user = lp_str_c(user);
	r.from_domain = LP_STR(LP_TEST_FAN_DOMAIN);
	r.from_tag = lp_str_c(ftag);
	r.callid = lp_str_c(callid);
	r.cseq = 1;
	r.has_event = 1;
	r.event = LP_STR("presence");
	r.expires = 600;
	r.contact = lp_str_c(contact);
	r.sockinfo = LP_STR("udp:127.0.0.1:5060");
	r.local_contact = LP_STR("sip:pres@127.0.0.1");
	memset(&rep, 0, sizeof(rep));
	pres_handle_subscribe(&r, &rep, &nt);
	ck_assert_int_eq(rep.code / 100, 2);
	ck_assert_ptr_nonnull(nt);
	return nt;
}

int lp_test_fan_out(void)
{
	return pres_notify_watchers(&LP_STR("alice"), &LP_STR(LP_TEST_FAN_DOMAIN),
			pres_event_by_hdr(&LP_STR("presence")), NULL);
}
