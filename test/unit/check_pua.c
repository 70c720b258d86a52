/* The pua logic driven without Kamailio: API calls (send_publish,
 * send_subscribe) and replies / NOTIFYs as plain structs, a fake clock and
 * a capture of every request pua hands to the glue. Checks the PUBLISH
 * headers and bodies on the wire, the ETag life cycle and the queue of
 * concurrent updates, 412 / 423 / error handling, refresh timing, the
 * SUBSCRIBE dialog (route set, NOTIFY before 2xx, termination,
 * check_remote_contact, pua_update_contact, is_dialog), callbacks, the
 * version rewrite of dialog-info / reginfo, storage in the `pua` table in
 * both db_modes and out-of-memory at every allocation. */
#include <check.h>
#include <libxml/parser.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lp_log.h"
#include "lp_test.h"
#include "pua_logic.h"

#define SCHEMA "../../scripts/sqlite/presence-create.sql"
#define T0 1700000000u
#define ALICE "sip:alice@example.com"
#define BOB "sip:bob@example.com"
#define PIDF(n)                                                           \
	"<?xml version=\"1.0\"?><presence xmlns=\"urn:ietf:params:xml:ns:pidf\"" \
	" entity=\"sip:alice@example.com\"><tuple id=\"t1\"><status><basic>"   \
	"open</basic></status><note>" n "</note></tuple></presence>"

/* ---- fixture: fake clock, request capture, callback capture ---- */

static unsigned int fake_now;
static int send_result;

static unsigned int fake_clock(void)
{
	return fake_now;
}

typedef struct sent {
	int kind, in_dialog;
	char *ruri, *to, *from, *headers, *body, *next_hop, *call_id, *from_tag,
			*to_tag, *route_set, *pres_uri;
	int has_body;
	unsigned int cseq, req_no;
	unsigned long long serial;
} sent_t;

#define SENT_MAX 64
static sent_t sent[SENT_MAX];
static int nsent;

static char *dup_s(const lp_str_t *s)
{
	char *d = strndup(s->s ? s->s : "", s->s ? (size_t)s->len : 0);

	ck_assert_ptr_nonnull(d);
	return d;
}

static int capture(const pua_req_t *q)
{
	sent_t *s;

	ck_assert_int_lt(nsent, SENT_MAX);
	s = &sent[nsent++];
	s->kind = q->kind;
	s->in_dialog = q->in_dialog;
	s->ruri = dup_s(&q->ruri);
	s->to = dup_s(&q->to_uri);
	s->from = dup_s(&q->from_uri);
	s->headers = dup_s(&q->headers);
	s->has_body = q->body.s != NULL;
	s->body = dup_s(&q->body);
	s->next_hop = dup_s(&q->next_hop);
	s->call_id = dup_s(&q->call_id);
	s->from_tag = dup_s(&q->from_tag);
	s->to_tag = dup_s(&q->to_tag);
	s->route_set = dup_s(&q->route_set);
	s->pres_uri = dup_s(&q->pres_uri);
	s->cseq = q->cseq;
	s->req_no = q->req_no;
	s->serial = q->serial;
	return send_result;
}

static void sent_reset(void)
{
	int i;

	for(i = 0; i < nsent; i++) {
		sent_t *s = &sent[i];
		free(s->ruri);
		free(s->to);
		free(s->from);
		free(s->headers);
		free(s->body);
		free(s->next_hop);
		free(s->call_id);
		free(s->from_tag);
		free(s->to_tag);
		free(s->route_set);
		free(s->pres_uri);
	}
	memset(sent, 0, sizeof(sent));
	nsent = 0;
}

static const sent_t *last(void)
{
	ck_assert_int_gt(nsent, 0);
	return &sent[nsent - 1];
}

/* The value of header `name` in a captured header block ("" if none). */
static const char *hdr(const sent_t *s, const char *name)
{
	static char v[512];
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "%s: ", name);
	p = strstr(s->headers, pat);
	if(!p)
		return "";
	p += strlen(pat);
	e = strstr(p, "\r\n");
	snprintf(v, sizeof(v), "%.*s", (int)(e ? e - p : (long)strlen(p)), p);
	return v;
}

typedef struct cbrec {
	int calls, last_code, flag, subs_state;
	char etag[128];
} cbrec_t;
static cbrec_t cb;

static int test_cb(ua_pres_t *h, struct sip_msg *msg)
{
	pua_view_t *v = pua_view_of(h);

	ck_assert_ptr_nonnull(v);
	cb.calls++;
	cb.last_code = v->last_code;
	cb.flag = h->flag;
	cb.subs_state = v->subs_state;
	snprintf(cb.etag, sizeof(cb.etag), "%.*s", LP_STR_FMT(h->etag));
	return 0;
}

static void setup(void)
{
	lp_test_mem_install();
	lp_test_log_install();
	memset(&pua, 0, sizeof(pua));
	pua_cfg_defaults(&pua.cfg);
	pua.table = lp_htable_new(4);
	ck_assert_ptr_nonnull(pua.table);
	ck_assert_int_eq(pua_db_locks_new(2), 0);
	ck_assert_int_eq(pua_add_event(PRESENCE_EVENT, "presence",
							 "application/pidf+xml", NULL), 0);
	ck_assert_int_eq(pua_add_event(PWINFO_EVENT, "presence.winfo", NULL, NULL), 0);
	ck_assert_int_eq(pua_add_event(DIALOG_EVENT, "dialog",
							 "application/dialog-info+xml", NULL), 0);
	ck_assert_int_eq(pua_add_event(REGINFO_EVENT, "reg",
							 "application/reginfo+xml", NULL), 0);
	ck_assert_int_eq(pua_register_cb(UL_PUBLISH | RPC_SUBSCRIBE, test_cb, NULL), 0);
	fake_now = T0;
	pua.now = fake_clock;
	pua.send = capture;
	send_result = 0;
	sent_reset();
	memset(&cb, 0, sizeof(cb));
}

static void teardown(void)
{
	lp_htable_destroy(pua.table, pua_rec_free_entry);
	pua.table = NULL;
	pua_db_locks_free();
	pua_events_free();
	pua_cbks_free();
	if(pua.db)
		lp_db_close(pua.db);
	pua.db = NULL;
	pua_db_free();
	sent_reset();
	ck_assert_int_eq(lp_test_mem_live(), 0);
	lp_log_set(NULL);
}

/* ---- helpers ---- */

static lp_str_t alice = LP_STR(ALICE), bob = LP_STR(BOB);

static int publish(int expires, const char *body, const char *id)
{
	lp_str_t b = lp_str_c(body);
	publ_info_t p;

	memset(&p, 0, sizeof(p));
	p.pres_uri = &alice;
	p.body = body ? &b : NULL;
	p.expires = expires;
	p.event = PRESENCE_EVENT;
	p.source_flag = UL_PUBLISH;
	if(id)
		p.id = lp_str_c(id);
	return pua_send_publish(&p);
}

/* Answer captured request i with every field of a PUBLISH reply. */
static void answer_all(int i, int code, const char *etag, int expires,
		int min_expires, int retry_after)
{
	pua_reply_t r;

	memset(&r, 0, sizeof(r));
	r.pres_uri = lp_str_c(sent[i].pres_uri);
	r.serial = sent[i].serial;
	r.req_no = sent[i].req_no;
	r.code = code;
	r.etag = lp_str_c(etag);
	r.expires = expires;
	r.min_expires = min_expires;
	r.retry_after = retry_after;
	pua_on_reply(&r);
}

/* Answer captured request i. */
static void answer(int i, int code, const char *etag, int expires, int min_expires)
{
	answer_all(i, code, etag, expires, min_expires, 0);
}

static pua_rec_t *find_pub(void)
{
	lp_str_t id = LP_STR_NULL;

	return pua_find_publ(&alice, &id, PRESENCE_EVENT);
}

static int count_records(void)
{
	unsigned int i;
	int n = 0;

	for(i = 0; i < pua.table->size; i++)
		n += pua.table->buckets[i].count;
	return n;
}

/* ---- PUBLISH ---- */

START_TEST(test_publish_initial_wire)
{
	ck_assert_int_eq(publish(600, PIDF("a"), NULL), 0);
	ck_assert_int_eq(nsent, 1);
	ck_assert_int_eq(last()->kind, PUA_PUBL);
	ck_assert_str_eq(last()->ruri, ALICE);
	ck_assert_str_eq(last()->to, ALICE);
	ck_assert_str_eq(last()->from, ALICE);
	ck_assert_str_eq(hdr(last(), "Event"), "presence");
	ck_assert_str_eq(hdr(last(), "Expires"), "600");
	ck_assert_str_eq(hdr(last(), "Content-Type"), "application/pidf+xml");
	ck_assert_str_eq(hdr(last(), "SIP-If-Match"), "");
	ck_assert_str_eq(last()->body, PIDF("a"));
	answer(0, 200, "E1", 600, -1);
	ck_assert_str_eq(cb.etag, "E1");
	ck_assert_int_eq(cb.last_code, 200);
	ck_assert_int_eq(find_pub()->expires, T0 + 600);
	ck_assert_int_eq(find_pub()->req_kind, PUA_RK_NONE);
}
END_TEST

START_TEST(test_publish_refresh_modify_remove)
{
	publish(600, PIDF("a"), NULL);
	answer(0, 200, "E1", 600, -1);
	ck_assert_int_eq(publish(600, NULL, NULL), 0); /* refresh */
	ck_assert_str_eq(hdr(last(), "SIP-If-Match"), "E1");
	ck_assert_int_eq(last()->has_body, 0);
	ck_assert_str_eq(hdr(last(), "Content-Type"), "");
	answer(1, 200, "E2", 600, -1);
	ck_assert_int_eq(publish(600, PIDF("b"), NULL), 0); /* modify */
	ck_assert_str_eq(hdr(last(), "SIP-If-Match"), "E2");
	ck_assert_str_eq(last()->body, PIDF("b"));
	answer(2, 200, "E3", 600, -1);
	ck_assert_int_eq(publish(0, NULL, NULL), 0); /* remove */
	ck_assert_str_eq(hdr(last(), "SIP-If-Match"), "E3");
	ck_assert_str_eq(hdr(last(), "Expires"), "0");
	answer(3, 200, "E4", 0, -1);
	ck_assert_ptr_null(find_pub());
	ck_assert_int_eq(count_records(), 0);
}
END_TEST

START_TEST(test_publish_unknown_refresh_fails)
{
	ck_assert_int_lt(publish(600, NULL, NULL), 0);
	ck_assert_int_lt(publish(0, NULL, NULL), 0);
	ck_assert_int_eq(nsent, 0);
	ck_assert_int_eq(count_records(), 0);
}
END_TEST

/* Updates arriving while a PUBLISH is outstanding wait; each leaves with
 * the ETag of the reply before it, so no ETag is used twice. */
START_TEST(test_publish_queue_etags)
{
	int i;

	publish(600, PIDF("0"), NULL);
	publish(600, PIDF("1"), NULL);
	publish(600, PIDF("2"), NULL);
	publish(600, NULL, NULL);
	ck_assert_int_eq(nsent, 1); /* the others wait */
	ck_assert_int_eq(find_pub()->queued, 3);
	answer(0, 200, "E1", 600, -1);
	ck_assert_int_eq(nsent, 2);
	ck_assert_str_eq(hdr(&sent[1], "SIP-If-Match"), "E1");
	ck_assert_str_eq(sent[1].body, PIDF("1"));
	answer(1, 200, "E2", 600, -1);
	ck_assert_str_eq(hdr(&sent[2], "SIP-If-Match"), "E2");
	ck_assert_str_eq(sent[2].body, PIDF("2"));
	answer(1, 200, "STALE", 600, -1); /* a retransmitted reply: ignored */
	ck_assert_int_eq(nsent, 3);
	answer(2, 200, "E3", 600, -1);
	ck_assert_str_eq(hdr(&sent[3], "SIP-If-Match"), "E3");
	ck_assert_int_eq(sent[3].has_body, 0);
	answer(3, 200, "E4", 600, -1);
	ck_assert_int_eq(nsent, 4);
	ck_assert_int_eq(find_pub()->queued, 0);
	ck_assert_str_eq(cb.etag, "E4");
	for(i = 1; i < nsent; i++) {
		char want[16];
		snprintf(want, sizeof(want), "E%d", i);
		ck_assert_str_eq(hdr(&sent[i], "SIP-If-Match"), want);
	}
}
END_TEST

START_TEST(test_publish_remove_while_initial_outstanding)
{
	publish(600, PIDF("0"), NULL);
	publish(0, NULL, NULL);
	ck_assert_int_eq(nsent, 1);
	answer(0, 200, "E1", 600, -1);
	ck_assert_int_eq(nsent, 2);
	ck_assert_str_eq(hdr(last(), "Expires"), "0");
	ck_assert_str_eq(hdr(last(), "SIP-If-Match"), "E1");
	answer(1, 200, "E2", 0, -1);
	ck_assert_int_eq(count_records(), 0);
}
END_TEST

START_TEST(test_publish_412_republishes)
{
	publish(600, PIDF("a"), NULL);
	answer(0, 200, "E1", 600, -1);
	publish(600, PIDF("b"), NULL);
	answer(1, 412, NULL, -1, -1);
	ck_assert_int_eq(nsent, 3);
	ck_assert_str_eq(hdr(last(), "SIP-If-Match"), "");
	ck_assert_str_eq(last()->body, PIDF("b")); /* the current body */
	ck_assert_str_eq(hdr(last(), "Expires"), "600");
	answer(2, 200, "N1", 600, -1);
	ck_assert_str_eq(find_pub()->etag.s, "N1");
	/* a refresh that gets 412 re-publishes the stored body as well */
	publish(600, NULL, NULL);
	answer(3, 412, NULL, -1, -1);
	ck_assert_str_eq(last()->body, PIDF("b"));
	ck_assert_str_eq(hdr(last(), "SIP-If-Match"), "");
}
END_TEST

START_TEST(test_publish_412_loop_bounded)
{
	publish(600, PIDF("a"), NULL);
	answer(0, 200, "E1", 600, -1);
	publish(600, NULL, NULL);
	answer(1, 412, NULL, -1, -1); /* re-sent initial: no If-Match */
	answer(2, 200, "E2", 600, -1);
	ck_assert_int_eq(count_records(), 1);
	ck_assert_int_eq(find_pub()->retries, 0);
}
END_TEST

START_TEST(test_publish_423_min_expires)
{
	publish(30, PIDF("a"), NULL);
	answer(0, 423, NULL, -1, 120);
	ck_assert_int_eq(nsent, 2);
	ck_assert_str_eq(hdr(last(), "Expires"), "120");
	ck_assert_str_eq(last()->body, PIDF("a"));
	answer(1, 200, "E1", 120, -1);
	ck_assert_int_eq(find_pub()->expires, T0 + 120);
	/* a 423 without a larger Min-Expires is an error */
	publish(30, PIDF("b"), "other");
	answer(2, 423, NULL, -1, 10);
	ck_assert_int_eq(count_records(), 1);
}
END_TEST

START_TEST(test_publish_error_removes_and_tells)
{
	publish(600, PIDF("a"), NULL);
	answer(0, 200, "E1", 600, -1);
	publish(600, PIDF("b"), NULL);
	publish(600, PIDF("c"), NULL); /* queued; dropped with the record */
	answer(1, 403, NULL, -1, -1);
	ck_assert_int_eq(cb.last_code, 403);
	ck_assert_int_eq(cb.flag, UL_PUBLISH);
	ck_assert_int_eq(count_records(), 0);
	ck_assert_int_eq(nsent, 2);
}
END_TEST

START_TEST(test_publish_timeout_removes)
{
	publish(600, PIDF("a"), NULL);
	answer(0, 408, NULL, -1, -1);
	ck_assert_int_eq(cb.last_code, 408);
	ck_assert_int_eq(count_records(), 0);
}
END_TEST

START_TEST(test_publish_send_failure)
{
	send_result = -1;
	ck_assert_int_eq(publish(600, PIDF("a"), NULL), -3);
	ck_assert_int_eq(count_records(), 0);
	ck_assert_int_eq(cb.last_code, 500);
}
END_TEST

START_TEST(test_publish_default_and_min_expires)
{
	pua.cfg.default_expires = 1800;
	pua.cfg.min_expires = 100;
	publish(-1, PIDF("a"), NULL);
	ck_assert_str_eq(hdr(last(), "Expires"), "1800");
	publish(10, PIDF("b"), "x");
	ck_assert_str_eq(hdr(last(), "Expires"), "100");
}
END_TEST

START_TEST(test_publish_ids_are_separate)
{
	publish(600, PIDF("a"), "one");
	publish(600, PIDF("b"), "two");
	ck_assert_int_eq(nsent, 2); /* neither waits for the other */
	ck_assert_int_eq(count_records(), 2);
}
END_TEST

START_TEST(test_publish_outbound_proxy_and_extra_headers)
{
	lp_str_t b = LP_STR(PIDF("a")), px = LP_STR("sip:proxy.example.com");
	lp_str_t xh = LP_STR("X-A: 1"), ct = LP_STR("application/xpidf+xml");
	publ_info_t p;

	pua.cfg.outbound_proxy = "sip:default.example.com";
	memset(&p, 0, sizeof(p));
	p.pres_uri = &alice;
	p.body = &b;
	p.expires = 60;
	p.event = PRESENCE_EVENT;
	ck_assert_int_eq(pua_send_publish(&p), 0);
	ck_assert_str_eq(last()->next_hop, "sip:default.example.com");
	p.id = LP_STR("2");
	p.outbound_proxy = &px;
	p.extra_headers = &xh;
	p.content_type = ct;
	ck_assert_int_eq(pua_send_publish(&p), 0);
	ck_assert_str_eq(last()->next_hop, "sip:proxy.example.com");
	ck_assert_str_eq(hdr(last(), "X-A"), "1");
	ck_assert_ptr_nonnull(strstr(last()->headers, "X-A: 1\r\n"));
	ck_assert_str_eq(hdr(last(), "Content-Type"), "application/xpidf+xml");
}
END_TEST

START_TEST(test_publish_given_etag_adopted)
{
	lp_str_t e = LP_STR("OLD");
	publ_info_t p;

	memset(&p, 0, sizeof(p));
	p.pres_uri = &alice;
	p.expires = 300;
	p.event = PRESENCE_EVENT;
	p.etag = &e;
	ck_assert_int_eq(pua_send_publish(&p), 0);
	ck_assert_str_eq(hdr(last(), "SIP-If-Match"), "OLD");
	ck_assert_int_eq(last()->has_body, 0);
}
END_TEST

/* ---- refresh timing ---- */

START_TEST(test_refresh_before_granted_expiry)
{
	ck_assert_int_eq(pua_refresh_margin(3600), 60);
	ck_assert_int_eq(pua_refresh_margin(30), 10);
	ck_assert_int_eq(pua_refresh_margin(2), 1);
	publish(600, PIDF("a"), NULL);
	answer(0, 200, "E1", 30, -1); /* the server grants less */
	fake_now = T0 + 19;
	ck_assert_int_eq(pua_timer_refresh(), 0);
	fake_now = T0 + 20;
	ck_assert_int_eq(pua_timer_refresh(), 1);
	ck_assert_str_eq(hdr(last(), "SIP-If-Match"), "E1");
	ck_assert_str_eq(hdr(last(), "Expires"), "580");
	ck_assert_int_eq(last()->has_body, 0);
	ck_assert_int_eq(pua_timer_refresh(), 0); /* outstanding: not again */
	answer(1, 200, "E2", 30, -1);
	ck_assert_int_eq(find_pub()->expires, T0 + 50);
}
END_TEST

START_TEST(test_no_refresh_when_fully_granted)
{
	publish(600, PIDF("a"), NULL);
	answer(0, 200, "E1", 600, -1);
	fake_now = T0 + 599;
	ck_assert_int_eq(pua_timer_refresh(), 0);
	fake_now = T0 + 600;
	ck_assert_int_eq(pua_cleanup(), 1);
	ck_assert_int_eq(count_records(), 0);
}
END_TEST

START_TEST(test_cleanup_keeps_live_and_outstanding)
{
	publish(600, PIDF("a"), NULL);
	answer(0, 200, "E1", 600, -1);
	publish(600, PIDF("b"), "2"); /* outstanding, never answered */
	fake_now = T0 + 100;
	ck_assert_int_eq(pua_cleanup(), 0);
	ck_assert_int_eq(count_records(), 2);
}
END_TEST

/* ---- a refresh answered 408 / 480 / 5xx ---- */

/* Answer captured request i with an error and a Retry-After. */
static void answer_ra(int i, int code, int retry_after)
{
	answer_all(i, code, NULL, -1, -1, retry_after);
}

/* The server keeps the publication until its grant ends (RFC 3903 s4.1):
 * a refresh it could not take now is tried again, backing off, and the
 * stored ETag still works once it answers again. */
START_TEST(test_refresh_5xx_kept_and_retried)
{
	publish(600, PIDF("a"), NULL);
	answer(0, 200, "E1", 30, -1);
	fake_now = T0 + 20;
	ck_assert_int_eq(pua_timer_refresh(), 1);
	answer_ra(1, 500, 0);
	ck_assert_int_eq(count_records(), 1);
	ck_assert_int_eq(cb.last_code, 500); /* the owner hears it */
	ck_assert_int_eq(find_pub()->fails, 1);
	ck_assert_int_eq(pua_timer_refresh(), 0); /* 1 s back-off */
	fake_now = T0 + 21;
	ck_assert_int_eq(pua_timer_refresh(), 1);
	ck_assert_str_eq(hdr(last(), "SIP-If-Match"), "E1");
	ck_assert_int_eq(last()->has_body, 0);
	answer_ra(2, 408, 0); /* tm's timeout */
	fake_now = T0 + 22;
	ck_assert_int_eq(pua_timer_refresh(), 0); /* then 2 s */
	fake_now = T0 + 23;
	ck_assert_int_eq(pua_timer_refresh(), 1);
	answer(3, 200, "E2", 30, -1);
	ck_assert_int_eq(find_pub()->fails, 0);
	ck_assert_int_eq(find_pub()->retry_at, 0);
	ck_assert_int_eq(find_pub()->expires, T0 + 53);
	ck_assert_int_eq(nsent, 4);
}
END_TEST

/* Retry-After longer than the back-off is honoured; a grant that runs
 * out meanwhile removes the publication as any expired one. */
START_TEST(test_refresh_retry_after_then_expiry)
{
	publish(600, PIDF("a"), NULL);
	answer(0, 200, "E1", 30, -1);
	fake_now = T0 + 20;
	ck_assert_int_eq(pua_timer_refresh(), 1);
	answer_ra(1, 503, 8);
	fake_now = T0 + 27;
	ck_assert_int_eq(pua_timer_refresh(), 0);
	fake_now = T0 + 28;
	ck_assert_int_eq(pua_timer_refresh(), 1);
	answer_ra(2, 503, 8);
	ck_assert_int_eq(count_records(), 1);
	fake_now = T0 + 30;
	ck_assert_int_eq(pua_timer_refresh(), 0);
	ck_assert_int_eq(pua_cleanup(), 1);
	ck_assert_int_eq(count_records(), 0);
}
END_TEST

/* Only a refresh, only a transient error, only while the grant runs: a
 * 403 to a refresh, a 500 to a modification and a 503 after the grant
 * ended still end the publication. */
START_TEST(test_refresh_final_errors_end)
{
	publish(600, PIDF("a"), NULL);
	answer(0, 200, "E1", 30, -1);
	fake_now = T0 + 20;
	pua_timer_refresh();
	answer_ra(1, 403, 0);
	ck_assert_int_eq(count_records(), 0);

	publish(600, PIDF("a"), NULL);
	answer(2, 200, "E1", 30, -1);
	publish(600, PIDF("b"), NULL);
	answer_ra(3, 500, 0);
	ck_assert_int_eq(count_records(), 0);

	publish(600, PIDF("a"), NULL);
	answer(4, 200, "E1", 30, -1);
	fake_now = T0 + 40;
	pua_timer_refresh();
	fake_now = T0 + 51; /* answered after the grant ran out */
	answer_ra(5, 503, 0);
	ck_assert_int_eq(count_records(), 0);
}
END_TEST

/* An update queued behind the failed refresh leaves at once, with the
 * ETag that is still valid, instead of waiting for the back-off. */
START_TEST(test_refresh_5xx_sends_queued_update)
{
	publish(600, PIDF("a"), NULL);
	answer(0, 200, "E1", 30, -1);
	fake_now = T0 + 20;
	ck_assert_int_eq(pua_timer_refresh(), 1);
	publish(600, PIDF("b"), NULL);
	ck_assert_int_eq(nsent, 2);
	answer_ra(1, 500, 0);
	ck_assert_int_eq(nsent, 3);
	ck_assert_str_eq(hdr(last(), "SIP-If-Match"), "E1");
	ck_assert_str_eq(last()->body, PIDF("b"));
	answer(2, 200, "E2", 30, -1);
	ck_assert_int_eq(find_pub()->fails, 0);
}
END_TEST

START_TEST(test_parse_retry_after)
{
	const char *in[] = {"120", " 18000;duration=3600", "5 (soon)", "abc", "",
			"99999999999"};
	int want[] = {120, 18000, 5, 0, 0, 86400};
	unsigned int i;

	for(i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		lp_str_t v = lp_str_c(in[i]);
		ck_assert_int_eq(pua_parse_retry_after(&v), want[i]);
	}
}
END_TEST

/* ---- SUBSCRIBE ---- */

static int subscribe(int expires)
{
	lp_str_t c = LP_STR("sip:bob@10.0.0.1:5070");
	subs_info_t s;

	memset(&s, 0, sizeof(s));
	s.pres_uri = &alice;
	s.watcher_uri = &bob;
	s.contact = &c;
	s.event = PRESENCE_EVENT;
	s.expires = expires;
	s.source_flag = RPC_SUBSCRIBE;
	return pua_send_subscribe(&s);
}

static void answer_subs(int i, int code, const char *to_tag, int expires,
		const char *contact, const char *rr)
{
	pua_reply_t r;

	memset(&r, 0, sizeof(r));
	r.pres_uri = lp_str_c(sent[i].pres_uri);
	r.serial = sent[i].serial;
	r.req_no = sent[i].req_no;
	r.code = code;
	r.to_tag = lp_str_c(to_tag);
	r.expires = expires;
	r.min_expires = -1;
	r.contact = lp_str_c(contact);
	r.record_route = lp_str_c(rr);
	pua_on_reply(&r);
}

static int notify(const char *callid, const char *our_tag, const char *their_tag,
		const char *contact, const char *state)
{
	pua_notify_t n;

	memset(&n, 0, sizeof(n));
	n.pres_uri = LP_STR("<sip:alice@example.com:5060>");
	n.call_id = lp_str_c(callid);
	n.to_tag = lp_str_c(our_tag);
	n.from_tag = lp_str_c(their_tag);
	n.contact = lp_str_c(contact);
	n.subs_state = lp_str_c(state);
	n.record_route = LP_STR("<sip:nr1;lr>");
	return pua_handle_notify(&n);
}

static pua_rec_t *find_sub(void)
{
	lp_str_t id = LP_STR_NULL;

	return pua_find_subs(&alice, &bob, &id, PRESENCE_EVENT);
}

START_TEST(test_subscribe_dialog)
{
	char cid[128], ftag[64];

	ck_assert_int_eq(subscribe(300), 0);
	ck_assert_int_eq(last()->kind, PUA_SUBS);
	ck_assert_int_eq(last()->in_dialog, 0);
	ck_assert_str_eq(last()->ruri, ALICE);
	ck_assert_str_eq(last()->to, ALICE);
	ck_assert_str_eq(last()->from, BOB);
	ck_assert_str_eq(last()->to_tag, "");
	ck_assert_int_eq(last()->cseq, 1);
	ck_assert_str_eq(hdr(last(), "Event"), "presence");
	ck_assert_str_eq(hdr(last(), "Expires"), "300");
	ck_assert_str_eq(hdr(last(), "Contact"), "<sip:bob@10.0.0.1:5070>");
	ck_assert_str_eq(hdr(last(), "Accept"), "application/pidf+xml");
	ck_assert_int_gt(strlen(last()->call_id), 0);
	snprintf(cid, sizeof(cid), "%s", last()->call_id);
	snprintf(ftag, sizeof(ftag), "%s", last()->from_tag);
	answer_subs(0, 202, "srv1", 120, "sip:pres@10.0.0.2",
			"<sip:p1.example.com;lr>, <sip:p2.example.com;lr>");
	ck_assert_int_eq(cb.last_code, 202);
	/* refresh before the granted 120 s, in the dialog */
	fake_now = T0 + 80;
	ck_assert_int_eq(pua_timer_refresh(), 1);
	ck_assert_int_eq(last()->in_dialog, 1);
	ck_assert_str_eq(last()->ruri, "sip:pres@10.0.0.2");
	ck_assert_str_eq(last()->call_id, cid);
	ck_assert_str_eq(last()->from_tag, ftag);
	ck_assert_str_eq(last()->to_tag, "srv1");
	ck_assert_int_eq(last()->cseq, 2);
	ck_assert_str_eq(last()->route_set,
			"<sip:p2.example.com;lr>,<sip:p1.example.com;lr>");
	ck_assert_str_eq(hdr(last(), "Expires"), "220");
	answer_subs(1, 200, "srv1", 120, NULL, NULL);
	/* unsubscribe */
	ck_assert_int_eq(subscribe(0), 0);
	ck_assert_str_eq(hdr(last(), "Expires"), "0");
	ck_assert_int_eq(last()->cseq, 3);
	answer_subs(2, 200, "srv1", 0, NULL, NULL);
	ck_assert_int_eq(count_records(), 0);
}
END_TEST

START_TEST(test_notify_before_2xx)
{
	char cid[128], ftag[64];

	subscribe(300);
	snprintf(cid, sizeof(cid), "%s", last()->call_id);
	snprintf(ftag, sizeof(ftag), "%s", last()->from_tag);
	ck_assert_int_eq(notify(cid, ftag, "srv9", "sip:pres@10.0.0.9",
							 "active;expires=300"), 200);
	ck_assert_int_eq(cb.calls, 1);
	ck_assert_int_eq(cb.subs_state, PUA_SUBS_ACTIVE);
	ck_assert_int_eq(cb.last_code, 0);
	ck_assert_str_eq(find_sub()->to_tag.s, "srv9");
	ck_assert_str_eq(find_sub()->record_route.s, "<sip:nr1;lr>");
	answer_subs(0, 202, "srv9", 300, "sip:pres@10.0.0.9", "<sip:other;lr>");
	ck_assert_str_eq(find_sub()->record_route.s, "<sip:nr1;lr>");
	ck_assert_int_eq(find_sub()->last_code, 202);
	/* a NOTIFY of another dialog does not match */
	ck_assert_int_eq(notify("nope", ftag, "srv9", "sip:pres@10.0.0.9", "active"), 481);
	ck_assert_int_eq(notify(cid, "x", "srv9", "sip:pres@10.0.0.9", "active"), 481);
	ck_assert_int_eq(notify(cid, ftag, "srv8", "sip:pres@10.0.0.9", "active"), 481);
}
END_TEST

START_TEST(test_notify_terminated_ends)
{
	char cid[128], ftag[64];

	subscribe(300);
	snprintf(cid, sizeof(cid), "%s", last()->call_id);
	snprintf(ftag, sizeof(ftag), "%s", last()->from_tag);
	answer_subs(0, 202, "srv1", 300, "sip:pres@10.0.0.2", NULL);
	ck_assert_int_eq(notify(cid, ftag, "srv1", "sip:pres@10.0.0.2",
							 "terminated;reason=deactivated"), 200);
	ck_assert_int_eq(cb.subs_state, PUA_SUBS_TERMINATED);
	ck_assert_int_eq(count_records(), 0);
	ck_assert_int_eq(notify(cid, ftag, "srv1", "sip:pres@10.0.0.2", "active"), 481);
}
END_TEST

START_TEST(test_notify_expires_shortens)
{
	char cid[128], ftag[64];

	subscribe(3600);
	snprintf(cid, sizeof(cid), "%s", last()->call_id);
	snprintf(ftag, sizeof(ftag), "%s", last()->from_tag);
	answer_subs(0, 202, "srv1", 3600, "sip:pres@10.0.0.2", NULL);
	notify(cid, ftag, "srv1", "sip:pres@10.0.0.2", "active;expires=60");
	ck_assert_int_eq(find_sub()->expires, T0 + 60);
	fake_now = T0 + 40;
	ck_assert_int_eq(pua_timer_refresh(), 1);
}
END_TEST

START_TEST(test_check_remote_contact)
{
	char cid[128], ftag[64];

	subscribe(300);
	snprintf(cid, sizeof(cid), "%s", last()->call_id);
	snprintf(ftag, sizeof(ftag), "%s", last()->from_tag);
	answer_subs(0, 202, "srv1", 300, "sip:pres@10.0.0.2", NULL);
	ck_assert_int_eq(notify(cid, ftag, "srv1", "sip:moved@10.0.0.3", "active"), 481);
	pua.cfg.check_remote_contact = 0;
	ck_assert_int_eq(notify(cid, ftag, "srv1", "sip:moved@10.0.0.3", "active"), 200);
	pua.cfg.check_remote_contact = 1;
	/* pua_update_contact: the NOTIFY's Contact becomes the target */
	{
		pua_notify_t n;
		memset(&n, 0, sizeof(n));
		n.pres_uri = alice;
		n.call_id = lp_str_c(cid);
		n.to_tag = lp_str_c(ftag);
		n.from_tag = LP_STR("srv1");
		n.contact = LP_STR("sip:moved@10.0.0.3");
		ck_assert_int_eq(pua_update_contact(&n), 0);
	}
	ck_assert_int_eq(notify(cid, ftag, "srv1", "sip:moved@10.0.0.3", "active"), 200);
	fake_now = T0 + 250;
	ck_assert_int_eq(pua_timer_refresh(), 0); /* fully granted: no refresh */
	subscribe(600);
	ck_assert_str_eq(last()->ruri, "sip:moved@10.0.0.3");
}
END_TEST

START_TEST(test_is_dialog)
{
	ua_pres_t p;
	lp_str_t pu = alice;

	subscribe(300);
	memset(&p, 0, sizeof(p));
	p.pres_uri = &pu;
	p.call_id = lp_str_c(last()->call_id);
	p.from_tag = lp_str_c(last()->from_tag);
	ck_assert_int_eq(pua_is_dialog(&p), 0);
	answer_subs(0, 202, "srv1", 300, "sip:pres@10.0.0.2", NULL);
	p.to_tag = LP_STR("srv1");
	ck_assert_int_eq(pua_is_dialog(&p), 0);
	p.to_tag = LP_STR("other");
	ck_assert_int_eq(pua_is_dialog(&p), -1);
	p.to_tag = LP_STR("srv1");
	p.remote_contact = LP_STR("sip:elsewhere");
	ck_assert_int_eq(pua_is_dialog(&p), -1);
}
END_TEST

START_TEST(test_subscribe_481_and_errors)
{
	subscribe(300);
	answer_subs(0, 202, "srv1", 60, "sip:pres@10.0.0.2", NULL);
	fake_now = T0 + 40;
	pua_timer_refresh();
	answer_subs(1, 481, NULL, -1, NULL, NULL);
	ck_assert_int_eq(cb.last_code, 481);
	ck_assert_int_eq(cb.subs_state, PUA_SUBS_TERMINATED);
	ck_assert_int_eq(count_records(), 0);
	subscribe(300);
	answer_subs(2, 404, NULL, -1, NULL, NULL);
	ck_assert_int_eq(count_records(), 0);
}
END_TEST

/* RFC 6665 s4.1.2.2: a refresh failing with anything but 481 leaves the
 * subscription valid until it expires; pua keeps the dialog and refreshes
 * again (next CSeq, same dialog). */
START_TEST(test_subscribe_refresh_503_kept)
{
	subscribe(300);
	answer_subs(0, 202, "srv1", 60, "sip:pres@10.0.0.2", NULL);
	fake_now = T0 + 40;
	ck_assert_int_eq(pua_timer_refresh(), 1);
	answer_subs(1, 503, NULL, -1, NULL, NULL);
	ck_assert_int_eq(count_records(), 1);
	ck_assert_int_ne(cb.subs_state, PUA_SUBS_TERMINATED);
	fake_now = T0 + 41;
	ck_assert_int_eq(pua_timer_refresh(), 1);
	ck_assert_int_eq(last()->in_dialog, 1);
	ck_assert_str_eq(last()->to_tag, "srv1");
	ck_assert_uint_eq(last()->cseq, sent[1].cseq + 1);
	answer_subs(2, 200, NULL, 60, NULL, NULL);
	ck_assert_int_eq(count_records(), 1);
}
END_TEST

START_TEST(test_subscribe_unsub_while_outstanding)
{
	subscribe(300);
	subscribe(0);
	ck_assert_int_eq(nsent, 1);
	answer_subs(0, 202, "srv1", 300, "sip:pres@10.0.0.2", NULL);
	ck_assert_int_eq(nsent, 2);
	ck_assert_str_eq(hdr(last(), "Expires"), "0");
	ck_assert_str_eq(last()->to_tag, "srv1");
}
END_TEST

START_TEST(test_winfo_accept)
{
	lp_str_t c = LP_STR("sip:bob@10.0.0.1");
	subs_info_t s;

	memset(&s, 0, sizeof(s));
	s.pres_uri = &alice;
	s.watcher_uri = &alice;
	s.contact = &c;
	s.event = PWINFO_EVENT;
	s.expires = 60;
	ck_assert_int_eq(pua_send_subscribe(&s), 0);
	ck_assert_str_eq(hdr(last(), "Event"), "presence.winfo");
	ck_assert_str_eq(hdr(last(), "Accept"), "application/watcherinfo+xml");
	s.event = 1 << 20; /* not registered */
	ck_assert_int_lt(pua_send_subscribe(&s), 0);
}
END_TEST

/* ---- pieces ---- */

START_TEST(test_rr_reverse)
{
	char buf[256];
	lp_str_t rr = LP_STR("<sip:a;lr>, \"x,y\" <sip:b;lr>,<sip:c;lr>");

	ck_assert_int_gt(pua_rr_reverse(&rr, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "<sip:c;lr>,\"x,y\" <sip:b;lr>,<sip:a;lr>");
	ck_assert_int_eq(pua_rr_reverse(&rr, buf, 10), -1);
}
END_TEST

START_TEST(test_subs_state_parse)
{
	int e;
	lp_str_t a = LP_STR(" active ; expires=42"), t = LP_STR("terminated;reason=timeout");
	lp_str_t p = LP_STR("Pending"), x = LP_STR("weird");

	ck_assert_int_eq(pua_parse_subs_state(&a, &e), PUA_SUBS_ACTIVE);
	ck_assert_int_eq(e, 42);
	ck_assert_int_eq(pua_parse_subs_state(&t, &e), PUA_SUBS_TERMINATED);
	ck_assert_int_eq(e, -1);
	ck_assert_int_eq(pua_parse_subs_state(&p, &e), PUA_SUBS_PENDING);
	ck_assert_int_eq(pua_parse_subs_state(&x, &e), -1);
}
END_TEST

START_TEST(test_add_event_rules)
{
	ck_assert_int_eq(pua_add_event(PRESENCE_EVENT, "presence", "text/x", NULL), 0);
	ck_assert_str_eq(pua_event_get(PRESENCE_EVENT)->content_type.s, "text/x");
	ck_assert_int_eq(pua_add_event(1 << 20, "presence", "x", NULL), -1);
	ck_assert_int_eq(pua_add_event(PRESENCE_EVENT, "other", "x", NULL), -1);
	ck_assert_int_eq(pua_add_event(0, "x", "x", NULL), -1);
	ck_assert_int_eq(pua_add_event(1 << 21, "conference",
							 "application/conference-info+xml", NULL), 0);
	{
		lp_str_t n = LP_STR("Conference");
		ck_assert_ptr_nonnull(pua_event_by_name(&n));
	}
}
END_TEST

static int upcase_body(publ_info_t *publ, lp_str_t **final, int ver, lp_str_t **tuple)
{
	lp_str_t *f = lp_malloc(sizeof(*f));
	int i;

	if(!f)
		return -1;
	f->s = lp_malloc(publ->body->len + 1);
	if(!f->s) {
		lp_free(f);
		return -1;
	}
	for(i = 0; i < publ->body->len; i++)
		f->s[i] = (char)(publ->body->s[i] >= 'a' && publ->body->s[i] <= 'z'
								 ? publ->body->s[i] - 32
								 : publ->body->s[i]);
	f->len = publ->body->len;
	*final = f;
	return 0;
}

START_TEST(test_process_body)
{
	ck_assert_int_eq(pua_add_event(MSGSUM_EVENT, "message-summary",
							 "application/simple-message-summary", upcase_body), 0);
	{
		lp_str_t b = LP_STR("messages-waiting: yes");
		publ_info_t p;
		memset(&p, 0, sizeof(p));
		p.pres_uri = &alice;
		p.body = &b;
		p.expires = 60;
		p.event = MSGSUM_EVENT;
		ck_assert_int_eq(pua_send_publish(&p), 0);
	}
	ck_assert_str_eq(last()->body, "MESSAGES-WAITING: YES");
	ck_assert_str_eq(hdr(last(), "Event"), "message-summary");
}
END_TEST

#define DLG(ver)                                                             \
	"<?xml version=\"1.0\"?>\n<dialog-info xmlns=\"urn:ietf:params:xml:ns:" \
	"dialog-info\" version=\"" ver "\" state=\"full\" entity=\"sip:alice@" \
	"example.com\"><dialog id=\"d1\"><state>confirmed</state></dialog>"     \
	"</dialog-info>"

START_TEST(test_xml_version)
{
	lp_str_t in = LP_STR(DLG("7")), out;
	lp_str_t doctype = LP_STR("<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY a "
							  "\"aaaa\">]><dialog-info version=\"1\">&a;</dialog-info>");
	lp_str_t other = LP_STR("<presence version=\"1\"/>");
	lp_str_t bad = LP_STR("<dialog-info");

	ck_assert_int_eq(pua_xml_set_version(&in, "dialog-info", 3, &out), 0);
	ck_assert_ptr_nonnull(strstr(out.s, "version=\"3\""));
	ck_assert_ptr_null(strstr(out.s, "version=\"7\""));
	ck_assert_ptr_nonnull(strstr(out.s, "<state>confirmed</state>"));
	free(out.s);
	ck_assert_int_eq(pua_xml_set_version(&doctype, "dialog-info", 3, &out), -1);
	ck_assert_int_eq(pua_xml_set_version(&other, "dialog-info", 3, &out), -1);
	ck_assert_int_eq(pua_xml_set_version(&bad, "dialog-info", 3, &out), -1);
}
END_TEST

/* Bodies are parsed only through lp_xml_parse: a UTF-16 document cannot
 * smuggle a DOCTYPE past the scan (it is read as UTF-8 and refused), and
 * libxml2's global error handler is the caller's again afterwards. */
static int xml_errors;

static void count_xml_error(void *ctx, const char *msg, ...)
{
	xml_errors++;
}

START_TEST(test_xml_hardened_parse)
{
	const char *doc = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>"
					  "<!DOCTYPE dialog-info [<!ENTITY a \"aaaa\">]>"
					  "<dialog-info version=\"1\">&a;</dialog-info>";
	char u16[512];
	lp_str_t in = {u16, 0}, ok = LP_STR(DLG("7")), out;
	size_t i;

	u16[in.len++] = (char)0xff; /* UTF-16LE BOM */
	u16[in.len++] = (char)0xfe;
	for(i = 0; doc[i]; i++) {
		u16[in.len++] = doc[i];
		u16[in.len++] = 0;
	}
	xmlSetGenericErrorFunc(NULL, count_xml_error);
	ck_assert_int_eq(pua_xml_set_version(&in, "dialog-info", 3, &out), -1);
	ck_assert_ptr_null(out.s);
	ck_assert_ptr_eq(xmlGenericError, count_xml_error);
	ck_assert_int_eq(pua_xml_set_version(&ok, "dialog-info", 3, &out), 0);
	free(out.s);
	ck_assert_ptr_eq(xmlGenericError, count_xml_error);
	xmlSetGenericErrorFunc(NULL, NULL);
}
END_TEST

/* Call-IDs, From tags and tuple ids carry 128 random bits (32 hex
 * characters after their prefix), never time.pid.counter. */
static int is_hex_token(const char *s, const char *prefix)
{
	size_t n = strlen(prefix), i;

	if(strncmp(s, prefix, n) != 0 || strlen(s) != n + 32)
		return 0;
	for(i = n; s[i]; i++)
		if(!strchr("0123456789abcdef", s[i]))
			return 0;
	return 1;
}

START_TEST(test_ids_random)
{
	char a[64], b[64];
	lp_str_t w2 = LP_STR("sip:carol@example.com");
	lp_str_t c = LP_STR("sip:carol@10.0.0.1");
	subs_info_t s;

	ck_assert_int_eq(pua_new_token(a, sizeof(a), "x"), 33);
	ck_assert_int_eq(pua_new_token(b, sizeof(b), "x"), 33);
	ck_assert(is_hex_token(a, "x"));
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(pua_new_token(a, 33, "x"), -1); /* does not fit */
	subscribe(300);
	ck_assert_msg(is_hex_token(last()->call_id, "pua."), "%s", last()->call_id);
	ck_assert_msg(is_hex_token(last()->from_tag, ""), "%s", last()->from_tag);
	snprintf(a, sizeof(a), "%s", last()->call_id);
	snprintf(b, sizeof(b), "%s", last()->from_tag);
	memset(&s, 0, sizeof(s));
	s.pres_uri = &alice;
	s.watcher_uri = &w2;
	s.contact = &c;
	s.event = PRESENCE_EVENT;
	s.expires = 300;
	ck_assert_int_eq(pua_send_subscribe(&s), 0);
	ck_assert_str_ne(last()->call_id, a);
	ck_assert_str_ne(last()->from_tag, b);
}
END_TEST

static int publish_dialog(const char *body)
{
	lp_str_t b = lp_str_c(body);
	publ_info_t p;

	memset(&p, 0, sizeof(p));
	p.pres_uri = &alice;
	p.body = &b;
	p.expires = 600;
	p.event = DIALOG_EVENT;
	return pua_send_publish(&p);
}

START_TEST(test_dlginfo_increase_version)
{
	publish_dialog(DLG("9"));
	ck_assert_ptr_nonnull(strstr(last()->body, "version=\"9\"")); /* off */
	pua.cfg.dlginfo_increase_version = 1;
	answer(0, 200, "E1", 600, -1);
	publish_dialog(DLG("9"));
	ck_assert_ptr_nonnull(strstr(last()->body, "version=\"1\""));
	answer(1, 200, "E2", 600, -1);
	publish(600, NULL, NULL); /* a presence publication is untouched */
	publish_dialog(DLG("9"));
	ck_assert_ptr_nonnull(strstr(last()->body, "version=\"2\""));
	ck_assert_str_eq(hdr(last(), "Content-Type"), "application/dialog-info+xml");
}
END_TEST

/* ---- storage ---- */

static char db_path[64], db_url[96];

static void make_db(void)
{
	FILE *f = fopen(SCHEMA, "r");
	char *sql, *err = NULL;
	sqlite3 *h;
	long n;
	int fd;

	strcpy(db_path, "/tmp/check_pua_XXXXXX");
	fd = mkstemp(db_path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	sql = malloc(n + 1);
	ck_assert_int_eq(fread(sql, 1, n, f), n);
	sql[n] = '\0';
	fclose(f);
	ck_assert_int_eq(sqlite3_open(db_path, &h), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(h, sql, NULL, NULL, &err) == SQLITE_OK, "%s", err);
	sqlite3_close(h);
	free(sql);
	snprintf(db_url, sizeof(db_url), "sqlite://%s", db_path);
	pua.cfg.db_url = db_url;
	ck_assert_int_eq(pua_db_init(), 0);
	ck_assert_int_eq(pua_db_check(), 0);
}

static void drop_db(void)
{
	char p[80];

	unlink(db_path);
	snprintf(p, sizeof(p), "%s-wal", db_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db_path);
	unlink(p);
}

static char *sql1(const char *q)
{
	static char out[512];
	sqlite3 *h;
	sqlite3_stmt *st;

	out[0] = '\0';
	ck_assert_int_eq(sqlite3_open(db_path, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(h, q, -1, &st, NULL), SQLITE_OK);
	if(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, sizeof(out), "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(h);
	return out;
}

static void restart_memory(void)
{
	lp_htable_destroy(pua.table, pua_rec_free_entry);
	pua.table = lp_htable_new(4);
	ck_assert_ptr_nonnull(pua.table);
}

START_TEST(test_db_mode0_save_and_load)
{
	char cid[128];

	make_db();
	publish(600, PIDF("a"), "p1");
	answer(0, 200, "E1", 600, -1);
	subscribe(300);
	snprintf(cid, sizeof(cid), "%s", last()->call_id);
	answer_subs(1, 202, "srv1", 300, "sip:pres@10.0.0.2", "<sip:p1;lr>");
	ck_assert_str_eq(sql1("select count(*) from pua"), "0"); /* not yet */
	ck_assert_int_eq(pua_db_save(), 2);
	ck_assert_int_eq(pua_db_save(), 0); /* nothing changed since */
	ck_assert_str_eq(sql1("select etag from pua where pres_id='p1'"), "E1");
	ck_assert_str_eq(sql1("select to_tag || ' ' || cseq || ' ' || record_route"
						  " from pua where call_id<>''"),
			"srv1 1 <sip:p1;lr>");
	restart_memory(); /* a restart */
	pua.cfg.fetch_rows = 1; /* paging */
	ck_assert_int_eq(pua_db_load(), 2);
	ck_assert_int_eq(count_records(), 2);
	publish(600, NULL, "p1"); /* refresh with the stored ETag */
	ck_assert_str_eq(hdr(last(), "SIP-If-Match"), "E1");
	subscribe(300); /* refresh in the stored dialog */
	ck_assert_str_eq(last()->call_id, cid);
	ck_assert_str_eq(last()->to_tag, "srv1");
	ck_assert_int_eq(last()->cseq, 2);
	/* a removal deletes the row at once */
	answer(2, 200, "E2", 600, -1);
	publish(0, NULL, "p1");
	answer(4, 200, "E3", 0, -1);
	ck_assert_str_eq(sql1("select count(*) from pua where pres_id='p1'"), "0");
	drop_db();
}
END_TEST

START_TEST(test_db_mode0_expired_not_loaded)
{
	make_db();
	publish(600, PIDF("a"), NULL);
	answer(0, 200, "E1", 60, -1);
	ck_assert_int_eq(pua_db_save(), 1);
	restart_memory();
	fake_now = T0 + 61;
	ck_assert_int_eq(pua_db_load(), 0);
	ck_assert_int_eq(pua_cleanup(), 0);
	ck_assert_str_eq(sql1("select count(*) from pua"), "0");
	drop_db();
}
END_TEST

START_TEST(test_db_mode2_write_through_and_fetch)
{
	char cid[128], ftag[64];

	make_db();
	pua.cfg.db_mode = PUA_DB_ONLY;
	publish(600, PIDF("a"), NULL);
	answer(0, 200, "E1", 600, -1);
	ck_assert_str_eq(sql1("select etag from pua"), "E1"); /* at once */
	subscribe(300);
	snprintf(cid, sizeof(cid), "%s", last()->call_id);
	snprintf(ftag, sizeof(ftag), "%s", last()->from_tag);
	answer_subs(1, 202, "srv1", 300, "sip:pres@10.0.0.2", NULL);
	restart_memory(); /* another instance: an empty memory */
	ck_assert_int_eq(notify(cid, ftag, "srv1", "sip:pres@10.0.0.2", "active"), 200);
	restart_memory();
	publish(600, PIDF("b"), NULL); /* found in the DB */
	ck_assert_str_eq(hdr(last(), "SIP-If-Match"), "E1");
	ck_assert_str_eq(last()->body, PIDF("b"));
	answer(2, 200, "E2", 30, -1);
	ck_assert_str_eq(sql1("select etag from pua where call_id=''"), "E2");
	/* the other instance refreshed: the timer adopts the row, sends none */
	{
		sqlite3 *h;
		ck_assert_int_eq(sqlite3_open(db_path, &h), SQLITE_OK);
		ck_assert_int_eq(sqlite3_exec(h, "update pua set etag='E9', expires=expires+100"
										 " where call_id=''", NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(h);
	}
	fake_now = T0 + 25;
	ck_assert_int_eq(pua_timer_refresh(), 0);
	ck_assert_int_eq(nsent, 3);
	ck_assert_str_eq(find_pub()->etag.s, "E9");
	drop_db();
}
END_TEST

/* The pua table has no body column: a publication loaded from the DB that
 * gets 412 to its refresh cannot be re-published. pua then ends it: the
 * owner's callbacks hear the 412 (it publishes again with its current
 * body, which pua sends as an initial PUBLISH), the record goes and its
 * row is deleted. */
START_TEST(test_db_loaded_publication_412_ends)
{
	make_db();
	publish(600, PIDF("a"), "p1");
	answer(0, 200, "E1", 600, -1);
	ck_assert_int_eq(pua_db_save(), 1);
	restart_memory();
	ck_assert_int_eq(pua_db_load(), 1);
	ck_assert_ptr_null(find_pub()); /* id p1, not the empty id */
	memset(&cb, 0, sizeof(cb));
	publish(600, NULL, "p1"); /* a refresh with the stored ETag */
	ck_assert_str_eq(hdr(last(), "SIP-If-Match"), "E1");
	answer(nsent - 1, 412, NULL, -1, -1);
	ck_assert_int_eq(nsent, 2); /* nothing re-sent: no body known */
	ck_assert_int_eq(cb.calls, 1);
	ck_assert_int_eq(cb.last_code, 412);
	ck_assert_int_eq(count_records(), 0);
	ck_assert_str_eq(sql1("select count(*) from pua"), "0");
	publish(600, PIDF("b"), "p1"); /* the owner publishes again */
	ck_assert_str_eq(hdr(last(), "SIP-If-Match"), "");
	ck_assert_str_eq(last()->body, PIDF("b"));
	drop_db();
}
END_TEST

/* ---- no bucket lock across DB I/O (issue 11) ---- */

/* A DB driver that forwards to SQLite and counts every call made while
 * some bucket lock of pua.table is held (single-threaded: a lock that
 * cannot be taken is held by the caller). */
static lp_db_driver_t spy_drv;
static const lp_db_driver_t *real_drv;
static int spy_calls, spy_locked;
static void (*spy_hook)(void); /* runs inside an exec, once */
static int spy_skip;			/* execs to let pass before it runs */

static void spy_check(void)
{
	unsigned int i;

	spy_calls++;
	for(i = 0; pua.table && i < pua.table->size; i++) {
		pthread_mutex_t *m = pua.table->buckets[i].lock;
		if(pthread_mutex_trylock(m) != 0) {
			spy_locked++;
			continue;
		}
		pthread_mutex_unlock(m);
	}
}

static int spy_exec(lp_db_conn_t *c, const char *sql, const lp_db_val_t *p,
		int n, lp_db_row_cb cb, void *ctx)
{
	void (*hook)(void) = spy_skip-- > 0 ? NULL : spy_hook;

	spy_check();
	if(hook) {
		spy_hook = NULL;
		hook();
	}
	return real_drv->exec(c, sql, p, n, cb, ctx);
}

static int spy_begin(lp_db_conn_t *c)
{
	spy_check();
	return real_drv->begin(c);
}

static int spy_commit(lp_db_conn_t *c)
{
	spy_check();
	return real_drv->commit(c);
}

static int spy_rollback(lp_db_conn_t *c)
{
	spy_check();
	return real_drv->rollback(c);
}

static void spy_install(void)
{
	ck_assert_ptr_nonnull(pua_db());
	real_drv = pua.db->drv;
	spy_drv = *real_drv;
	spy_drv.exec = spy_exec;
	spy_drv.begin = spy_begin;
	spy_drv.commit = spy_commit;
	spy_drv.rollback = spy_rollback;
	pua.db->drv = &spy_drv;
	spy_calls = spy_locked = spy_skip = 0;
	spy_hook = NULL;
}

static void sql_exec(const char *q)
{
	sqlite3 *h;
	char *err = NULL;

	ck_assert_int_eq(sqlite3_open(db_path, &h), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(h, q, NULL, NULL, &err) == SQLITE_OK, "%s", err);
	sqlite3_close(h);
}

/* db_mode 2: a write-through the DB refuses (here a trigger; the DB down
 * alike) leaves the record dirty, and the update_period timer writes it
 * once the DB takes it, without another change of the record. */
START_TEST(test_db_mode2_failed_write_retried)
{
	lp_str_t id = LP_STR("p1");
	pua_rec_t *r;

	make_db();
	pua.cfg.db_mode = PUA_DB_ONLY;
	publish(600, PIDF("a"), "p1");
	answer(0, 200, "E1", 600, -1);
	ck_assert_str_eq(sql1("select etag from pua where pres_id='p1'"), "E1");
	sql_exec("CREATE TRIGGER refuse_i BEFORE INSERT ON pua"
			 " BEGIN SELECT RAISE(ABORT, 'refused'); END;"
			 "CREATE TRIGGER refuse_u BEFORE UPDATE ON pua"
			 " BEGIN SELECT RAISE(ABORT, 'refused'); END;");
	publish(600, PIDF("b"), "p1");
	answer(1, 200, "E2", 600, -1);
	ck_assert_str_eq(sql1("select etag from pua where pres_id='p1'"), "E1");
	r = pua_find_publ(&alice, &id, PRESENCE_EVENT);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->db_state, PUA_DB_DIRTY);
	pua_timer_update(); /* still refused: kept dirty */
	ck_assert_int_eq(r->db_state, PUA_DB_DIRTY);
	sql_exec("DROP TRIGGER refuse_i; DROP TRIGGER refuse_u;");
	pua_timer_update();
	ck_assert_str_eq(sql1("select etag from pua where pres_id='p1'"), "E2");
	ck_assert_int_eq(r->db_state, PUA_DB_CLEAN);
	drop_db();
}
END_TEST

/* a removal whose DELETE the DB refuses (down, locked) is not forgotten:
 * the row goes at the process's next flush once the DB takes it, so a
 * restart does not load (and refresh) a publication that ended */
START_TEST(test_db_failed_delete_retried)
{
	make_db();
	publish(600, PIDF("a"), "p1");
	answer(0, 200, "E1", 600, -1);
	ck_assert_int_eq(pua_db_save(), 1);
	sql_exec("CREATE TRIGGER refuse_d BEFORE DELETE ON pua"
			 " BEGIN SELECT RAISE(ABORT, 'refused'); END;");
	publish(0, NULL, "p1"); /* removal */
	answer(1, 200, "E2", 0, -1);
	ck_assert_str_eq(sql1("select count(*) from pua where pres_id='p1'"), "1");
	pua_db_flush(); /* still refused: kept */
	ck_assert_str_eq(sql1("select count(*) from pua where pres_id='p1'"), "1");
	sql_exec("DROP TRIGGER refuse_d;");
	pua_timer_update();
	ck_assert_str_eq(sql1("select count(*) from pua where pres_id='p1'"), "0");
	drop_db();
}
END_TEST

START_TEST(test_db_mode0_no_lock_across_db)
{
	make_db();
	spy_install();
	publish(600, PIDF("a"), "p1");
	answer(0, 200, "E1", 60, -1);
	publish(600, PIDF("b"), "p2");
	answer(1, 200, "E2", 600, -1);
	subscribe(300);
	answer_subs(2, 202, "srv1", 300, "sip:pres@10.0.0.2", NULL);
	ck_assert_int_eq(pua_db_save(), 3);
	publish(0, NULL, "p2"); /* removal: its row goes at once */
	answer(3, 200, "E3", 0, -1);
	ck_assert_str_eq(sql1("select count(*) from pua where pres_id='p2'"), "0");
	fake_now = T0 + 61; /* p1's grant ran out: cleanup deletes its row */
	ck_assert_int_eq(pua_cleanup(), 1);
	ck_assert_str_eq(sql1("select count(*) from pua where pres_id='p1'"), "0");
	restart_memory();
	ck_assert_int_eq(pua_db_load(), 1);
	ck_assert_int_ge(spy_calls, 8);
	ck_assert_int_eq(spy_locked, 0);
	drop_db();
}
END_TEST

START_TEST(test_db_mode2_no_lock_across_db)
{
	char cid[128], ftag[64];
	lp_str_t id = LP_STR_NULL;
	ua_pres_t p;

	make_db();
	pua.cfg.db_mode = PUA_DB_ONLY;
	spy_install();
	publish(600, PIDF("a"), NULL); /* read before the lock */
	answer(0, 200, "E1", 30, -1);	/* written after the unlock */
	ck_assert_str_eq(sql1("select etag from pua"), "E1");
	subscribe(300);
	snprintf(cid, sizeof(cid), "%s", last()->call_id);
	snprintf(ftag, sizeof(ftag), "%s", last()->from_tag);
	answer_subs(1, 202, "srv1", 300, "sip:pres@10.0.0.2", NULL);
	restart_memory(); /* the dialog is read from the DB */
	ck_assert_int_eq(notify(cid, ftag, "srv1", "sip:pres@10.0.0.2", "active"), 200);
	memset(&p, 0, sizeof(p));
	p.pres_uri = &alice;
	p.call_id = lp_str_c(cid);
	p.from_tag = lp_str_c(ftag);
	p.to_tag = LP_STR("srv1");
	restart_memory();
	ck_assert_int_eq(pua_is_dialog(&p), 0);
	restart_memory();
	publish(600, NULL, NULL); /* a refresh of the row's publication */
	ck_assert_str_eq(hdr(last(), "SIP-If-Match"), "E1");
	answer(nsent - 1, 200, "E2", 30, -1);
	fake_now = T0 + 25; /* the timer reads the row without a lock */
	ck_assert_int_eq(pua_timer_refresh(), 1);
	answer(nsent - 1, 200, "E3", 30, -1);
	ck_assert_str_eq(sql1("select etag from pua where call_id=''"), "E3");
	publish(0, NULL, NULL);
	answer(nsent - 1, 200, "E4", 0, -1);
	ck_assert_ptr_null(pua_find_publ(&alice, &id, PRESENCE_EVENT));
	ck_assert_str_eq(sql1("select count(*) from pua where call_id=''"), "0");
	ck_assert_int_ge(spy_calls, 10);
	ck_assert_int_eq(spy_locked, 0);
	drop_db();
}
END_TEST

/* db_mode 2: a NOTIFY whose From names the presentity differently from
 * the stored row (another host part) finds the dialog in the DB; the
 * record goes into the bucket of its own presentity, under that bucket's
 * lock, and is found there afterwards. */
START_TEST(test_db_mode2_dialog_linked_in_own_bucket)
{
	char cid[128], ftag[64];
	pua_notify_t n;
	lp_str_t id = LP_STR_NULL, from = LP_STR_NULL;
	unsigned int own, other;
	int i;
	char buf[64];

	make_db();
	pua.cfg.db_mode = PUA_DB_ONLY;
	subscribe(300);
	snprintf(cid, sizeof(cid), "%s", last()->call_id);
	snprintf(ftag, sizeof(ftag), "%s", last()->from_tag);
	answer_subs(0, 202, "srv1", 300, "sip:pres@10.0.0.2", NULL);
	restart_memory();
	own = lp_htable_slot(pua.table, pua_hash(&alice));
	for(i = 0; i < 100; i++) { /* a From that hashes elsewhere */
		snprintf(buf, sizeof(buf), "sip:alice@alias%d.example.com", i);
		from = lp_str_c(buf);
		other = lp_htable_slot(pua.table, pua_hash(&from));
		if(other != own)
			break;
	}
	ck_assert_uint_ne(other, own);
	memset(&n, 0, sizeof(n));
	n.pres_uri = from;
	n.call_id = lp_str_c(cid);
	n.to_tag = lp_str_c(ftag);
	n.from_tag = LP_STR("srv1");
	n.contact = LP_STR("sip:pres@10.0.0.2");
	n.subs_state = LP_STR("active;expires=200");
	ck_assert_int_eq(pua_handle_notify(&n), 200);
	ck_assert_uint_eq(pua.table->buckets[own].count, 1);
	ck_assert_uint_eq(pua.table->buckets[other].count, 0);
	ck_assert_ptr_nonnull(pua_find_subs(&alice, &bob, &id, PRESENCE_EVENT));
	/* the second NOTIFY finds the record linked by the first */
	ck_assert_int_eq(pua_handle_notify(&n), 200);
	ck_assert_uint_eq(pua.table->buckets[own].count, 1);
	drop_db();
}
END_TEST

/* pua_db_save: a row the DB refuses is skipped (and stays dirty for the
 * next save); every other row is written. */
START_TEST(test_db_mode0_refused_row_isolated)
{
	pua_rec_t *bad;
	lp_str_t id = LP_STR("bad");

	make_db();
	sql_exec("CREATE TRIGGER refuse BEFORE INSERT ON pua WHEN NEW.pres_id='bad'"
			 " BEGIN SELECT RAISE(ABORT, 'refused'); END;");
	publish(600, PIDF("a"), "p1");
	answer(0, 200, "E1", 600, -1);
	publish(600, PIDF("b"), "bad");
	answer(1, 200, "E2", 600, -1);
	publish(600, PIDF("c"), "p3");
	answer(2, 200, "E3", 600, -1);
	ck_assert_int_eq(pua_db_save(), 2);
	ck_assert_str_eq(sql1("select count(*) from pua"), "2");
	ck_assert_str_eq(sql1("select etag from pua where pres_id='p3'"), "E3");
	bad = pua_find_publ(&alice, &id, PRESENCE_EVENT);
	ck_assert_ptr_nonnull(bad);
	ck_assert_int_eq(bad->db_state, PUA_DB_DIRTY);
	sql_exec("DROP TRIGGER refuse");
	ck_assert_int_eq(pua_db_save(), 1); /* retried */
	ck_assert_str_eq(sql1("select etag from pua where pres_id='bad'"), "E2");
	drop_db();
}
END_TEST

/* Two instances due to refresh the same row in the same second: both
 * read the old row; the other claims the refresh first (the row's cseq
 * moves while this one is between its read and its claim). This one
 * sends nothing, stays idle, takes the other's cseq on the next tick and
 * its ETag once the other's refresh is answered. */
static void other_instance_claims(void)
{
	sql_exec("update pua set cseq=cseq+1 where call_id=''");
}

START_TEST(test_db_mode2_refresh_claimed_once)
{
	make_db();
	pua.cfg.db_mode = PUA_DB_ONLY;
	publish(600, PIDF("a"), NULL);
	answer(0, 200, "E1", 30, -1);
	spy_install();
	spy_skip = 1; /* the row read passes, the claim meets the other */
	spy_hook = other_instance_claims;
	fake_now = T0 + 25;
	ck_assert_int_eq(pua_timer_refresh(), 0);
	ck_assert_int_eq(nsent, 1);
	ck_assert_int_eq(find_pub()->req_kind, PUA_RK_NONE);
	ck_assert_uint_eq(find_pub()->cseq, 0);
	fake_now = T0 + 26; /* the other's claim is seen: adopted, none sent */
	ck_assert_int_eq(pua_timer_refresh(), 0);
	ck_assert_uint_eq(find_pub()->cseq, 1);
	sql_exec("update pua set etag='E9', expires=expires+30 where call_id=''");
	fake_now = T0 + 29; /* due again (4 s were left): the other's ETag */
	ck_assert_int_eq(pua_timer_refresh(), 0);
	ck_assert_str_eq(find_pub()->etag.s, "E9");
	ck_assert_int_eq(nsent, 1);
	/* uncontended, the claim is won and the refresh goes out */
	fake_now = T0 + 55;
	ck_assert_int_eq(pua_timer_refresh(), 1);
	ck_assert_str_eq(hdr(last(), "SIP-If-Match"), "E9");
	ck_assert_str_eq(sql1("select cseq from pua where call_id=''"), "2");
	drop_db();
}
END_TEST

/* A removal made by another process while the save writes the record
 * (here a thread started from inside the save's DB call: no bucket lock is
 * held then) waits for the write and is not undone by it: the row is gone
 * once both are done. The thread runs only while the save waits, or after
 * it: the lock ops tell when the thread blocks on the key's DB lock. */
static int contended;

static int tl_init(void *l)
{
	return pthread_mutex_init(l, NULL) == 0 ? 0 : -1;
}

static void tl_get(void *l)
{
	if(pthread_mutex_trylock(l) == 0)
		return;
	__atomic_store_n(&contended, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(l);
}

static void tl_release(void *l)
{
	pthread_mutex_unlock(l);
}

static void tl_destroy(void *l)
{
	pthread_mutex_destroy(l);
}

static const lp_lock_ops_t tl_ops = {"contention-reporting",
		sizeof(pthread_mutex_t), tl_init, tl_get, tl_release, tl_destroy};
static pthread_t remover;

static void *remove_p1(void *arg)
{
	publish(0, NULL, "p1");
	answer(nsent - 1, 200, "E9", 0, -1);
	return arg;
}

static void start_remover(void)
{
	struct timespec ms = {0, 1000000};
	int i;

	ck_assert_int_eq(pthread_create(&remover, NULL, remove_p1, NULL), 0);
	for(i = 0; i < 5000 && !__atomic_load_n(&contended, __ATOMIC_SEQ_CST); i++)
		nanosleep(&ms, NULL); /* bounded wait for the thread to block */
}

START_TEST(test_db_mode0_removal_during_save_stays)
{
	make_db();
	pua_db_locks_free();
	lp_mem_set_ops(NULL, &tl_ops);
	ck_assert_int_eq(pua_db_locks_new(2), 0);
	publish(600, PIDF("a"), "p1");
	answer(0, 200, "E1", 600, -1);
	spy_install();
	contended = 0;
	spy_hook = start_remover;
	ck_assert_int_eq(pua_db_save(), 1);
	ck_assert_int_eq(pthread_join(remover, NULL), 0);
	ck_assert_int_eq(contended, 1); /* the removal waited for the write */
	ck_assert_str_eq(sql1("select count(*) from pua"), "0");
	ck_assert_int_eq(count_records(), 0);
	ck_assert_int_eq(spy_locked, 0);
	drop_db();
}
END_TEST

/* ---- out of memory ---- */

START_TEST(test_oom_publish_and_subscribe)
{
	int n, rc;

	for(n = 1; n < 40; n++) {
		lp_htable_destroy(pua.table, pua_rec_free_entry);
		pua.table = lp_htable_new(2);
		ck_assert_ptr_nonnull(pua.table);
		sent_reset();
		lp_test_mem_fail_at(n);
		rc = publish(600, PIDF("a"), NULL);
		if(rc == 0 && nsent) {
			answer(nsent - 1, 200, "E1", 30, -1);
			publish(600, PIDF("b"), NULL);
		}
		subscribe(300);
		lp_test_mem_fail_at(0);
		ck_assert_int_le(count_records(), 2);
	}
}
END_TEST

/* Kamailio 5.6's documented defaults, and its start-up treatment of the
 * parameters: an invalid db_mode is logged and replaced by 0, the module
 * still starts (Debian's pua logs "Invalid dbmode-using default mode"). */
START_TEST(test_cfg_defaults_and_check)
{
	pua_cfg_t c;

	pua_cfg_defaults(&c);
	ck_assert_int_eq(c.hash_size, 9);
	ck_assert_str_eq(c.db_table, "pua");
	ck_assert_int_eq(c.min_expires, 0);
	ck_assert_int_eq(c.default_expires, 3600);
	ck_assert_int_eq(c.update_period, 100);
	ck_assert_ptr_null(c.outbound_proxy);
	ck_assert_int_eq(c.dlginfo_increase_version, 0);
	ck_assert_int_eq(c.reginfo_increase_version, 0);
	ck_assert_int_eq(c.db_mode, 0);
	ck_assert_int_eq(c.db_table_lock_write, 1);
	ck_assert_int_eq(c.check_remote_contact, 1);
	ck_assert_int_eq(c.fetch_rows, 500);
	ck_assert_int_eq(pua_cfg_check(&c), 0);
	c.db_mode = 1;
	ck_assert_int_eq(pua_cfg_check(&c), 1);
	ck_assert_int_eq(c.db_mode, 0);
	ck_assert_ptr_nonnull(strstr(lp_test_log_last(), "invalid db_mode 1"));
	c.db_mode = -7;
	ck_assert_int_eq(pua_cfg_check(&c), 1);
	ck_assert_int_eq(c.db_mode, 0);
	c.db_mode = 2;
	ck_assert_int_eq(pua_cfg_check(&c), -1); /* no db_url */
	c.db_url = "sqlite:///tmp/x.db";
	ck_assert_int_eq(pua_cfg_check(&c), 0);
	c.default_expires = 0;
	ck_assert_int_eq(pua_cfg_check(&c), -1);
	c.default_expires = 3600;
	c.min_expires = -1;
	ck_assert_int_eq(pua_cfg_check(&c), -1);
}
END_TEST

Suite *pua_suite(void)
{
	Suite *s = suite_create("pua");
	TCase *tc = tcase_create("publish");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_publish_initial_wire);
	tcase_add_test(tc, test_publish_refresh_modify_remove);
	tcase_add_test(tc, test_publish_unknown_refresh_fails);
	tcase_add_test(tc, test_publish_queue_etags);
	tcase_add_test(tc, test_publish_remove_while_initial_outstanding);
	tcase_add_test(tc, test_publish_412_republishes);
	tcase_add_test(tc, test_publish_412_loop_bounded);
	tcase_add_test(tc, test_publish_423_min_expires);
	tcase_add_test(tc, test_publish_error_removes_and_tells);
	tcase_add_test(tc, test_publish_timeout_removes);
	tcase_add_test(tc, test_publish_send_failure);
	tcase_add_test(tc, test_publish_default_and_min_expires);
	tcase_add_test(tc, test_publish_ids_are_separate);
	tcase_add_test(tc, test_publish_outbound_proxy_and_extra_headers);
	tcase_add_test(tc, test_publish_given_etag_adopted);
	tcase_add_test(tc, test_refresh_before_granted_expiry);
	tcase_add_test(tc, test_no_refresh_when_fully_granted);
	tcase_add_test(tc, test_cleanup_keeps_live_and_outstanding);
	tcase_add_test(tc, test_refresh_5xx_kept_and_retried);
	tcase_add_test(tc, test_refresh_retry_after_then_expiry);
	tcase_add_test(tc, test_refresh_final_errors_end);
	tcase_add_test(tc, test_refresh_5xx_sends_queued_update);
	tcase_add_test(tc, test_parse_retry_after);
	suite_add_tcase(s, tc);

	tc = tcase_create("subscribe");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_subscribe_dialog);
	tcase_add_test(tc, test_notify_before_2xx);
	tcase_add_test(tc, test_notify_terminated_ends);
	tcase_add_test(tc, test_notify_expires_shortens);
	tcase_add_test(tc, test_check_remote_contact);
	tcase_add_test(tc, test_is_dialog);
	tcase_add_test(tc, test_subscribe_481_and_errors);
	tcase_add_test(tc, test_subscribe_refresh_503_kept);
	tcase_add_test(tc, test_subscribe_unsub_while_outstanding);
	tcase_add_test(tc, test_winfo_accept);
	suite_add_tcase(s, tc);

	tc = tcase_create("pieces");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_rr_reverse);
	tcase_add_test(tc, test_cfg_defaults_and_check);
	tcase_add_test(tc, test_subs_state_parse);
	tcase_add_test(tc, test_add_event_rules);
	tcase_add_test(tc, test_process_body);
	tcase_add_test(tc, test_xml_version);
	tcase_add_test(tc, test_xml_hardened_parse);
	tcase_add_test(tc, test_ids_random);
	tcase_add_test(tc, test_dlginfo_increase_version);
	suite_add_tcase(s, tc);

	tc = tcase_create("storage");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_db_mode0_save_and_load);
	tcase_add_test(tc, test_db_mode0_expired_not_loaded);
	tcase_add_test(tc, test_db_mode2_failed_write_retried);
	tcase_add_test(tc, test_db_mode2_write_through_and_fetch);
	tcase_add_test(tc, test_db_loaded_publication_412_ends);
	tcase_add_test(tc, test_db_mode2_refresh_claimed_once);
	tcase_add_test(tc, test_db_failed_delete_retried);
	tcase_add_test(tc, test_db_mode0_no_lock_across_db);
	tcase_add_test(tc, test_db_mode2_no_lock_across_db);
	tcase_add_test(tc, test_db_mode2_dialog_linked_in_own_bucket);
	tcase_add_test(tc, test_db_mode0_refused_row_isolated);
	tcase_add_test(tc, test_db_mode0_removal_during_save_stays);
	tcase_add_test(tc, test_oom_publish_and_subscribe);
	suite_add_tcase(s, tc);
	return s;
}
