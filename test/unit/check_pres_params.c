/* The presence parameters of Kamailio 5.6 that change what a user sees,
 * driven through the logic without Kamailio (temp SQLite DB, fake clock,
 * NOTIFY capture): subs_respond_200, min_expires_action, cseq_offset,
 * delete_same_subs, subs_remove_match, force_delete, retrieve_order /
 * retrieve_order_by (the order of the publications an event aggregates),
 * body_cache (the same documents with and without it, each made once per
 * state of the publications), sip_uri_match, the NOTIFY replies that end
 * a subscription, and pres_has_subscribers(). */
#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lp_log.h"
#include "lp_test.h"
#include "pres_aggcache.h"
#include "pres_logic.h"
#include "pres_pub.h"
#include "pres_subs.h"

#define SCHEMA "../../scripts/sqlite/presence-create.sql"
#define CT "application/pidf+xml"
#define T0 1700000000u
#define DOM "example.com"

static int nsent, agg_calls;
static char last_hdrs[1024], last_body[1024];

static int count_notify(const pres_notify_t *n)
{
	nsent++;
	snprintf(last_hdrs, sizeof(last_hdrs), "%.*s", n->headers.len, n->headers.s);
	snprintf(last_body, sizeof(last_body), "%.*s", n->body.len,
			n->body.s ? n->body.s : "");
	return 0;
}

/* agg_nbody of the test event: the bodies joined by '|' in the order the
 * presence module hands them over. */
static lp_str_t *agg_join(lp_str_t *user, lp_str_t *domain, lp_str_t **bodies,
		int n, int off)
{
	lp_str_t *r;
	int i, len = 0;

	agg_calls++;
	if(n > 0 && lp_str_eq(bodies[0], &LP_STR("FAIL")))
		return NULL; /* as an event that cannot make the document */
	r = malloc(sizeof(*r));
	ck_assert_ptr_nonnull(r);
	r->s = malloc(1024);
	ck_assert_ptr_nonnull(r->s);
	for(i = 0; i < n; i++)
		len += snprintf(r->s + len, 1024 - len, "%s%.*s", i ? "|" : "",
				bodies[i]->len, bodies[i]->s);
	r->len = len;
	return r;
}

static void free_agg(char *s)
{
	free(s);
}

static long long db_int(const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	long long v = -1;

	ck_assert_int_eq(sqlite3_open(lp_test_pres_db_path(), &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	if(sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

static void db_run(const char *sql)
{
	sqlite3 *h;

	ck_assert_int_eq(sqlite3_open(lp_test_pres_db_path(), &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

static void setup(void)
{
	pres_ev_t ev;

	lp_test_mem_install();
	lp_test_log_install();
	memset(&pres, 0, sizeof(pres));
	pres_cfg_defaults(&pres.cfg);
	pres.cfg.db_url = (char *)lp_test_pres_db_new(&lp_test_eng_sqlite, "pres_params");
	lp_test_pres_tables_new();
	ck_assert_ptr_nonnull(pres.pubs);
	ck_assert_ptr_nonnull(pres.subs);
	memset(&ev, 0, sizeof(ev));
	ev.name = LP_STR("presence");
	ev.content_type = LP_STR(CT);
	ev.default_expires = 3600;
	ev.type = PUBL_TYPE;
	ev.agg_nbody = agg_join;
	ev.free_body = free_agg;
	ck_assert_int_eq(pres_add_event(&ev), 0);
	memset(&ev, 0, sizeof(ev));
	ev.name = LP_STR("presence.winfo");
	ev.content_type = LP_STR("application/watcherinfo+xml");
	ev.type = WINFO_TYPE;
	ck_assert_int_eq(pres_add_event(&ev), 0);
	ck_assert_int_eq(pres_pub_order_init(), 0);
	ck_assert_int_eq(pres_sql_init(), 0);
	lp_test_now = T0;
	pres.now = lp_test_clock;
	pres.send_notify = count_notify;
	nsent = agg_calls = 0;
}

static void teardown(void)
{
	lp_test_pres_tables_free();
	lp_test_pres_db_close_events();
	lp_test_pres_db_drop();
	pres.cfg.retrieve_order = 0;
	pres_pub_order_init();
	lp_log_set(NULL);
	ck_assert_int_eq(lp_test_mem_live(), 0);
}

/* ---- requests ---- */

static int publish(const char *user, const char *body, int expires,
		int priority, const char *sender)
{
	pres_publish_req_t r;
	pres_reply_t rep;

	memset(&r, 0, sizeof(r));
	memset(&rep, 0, sizeof(rep));
	r.user = lp_str_c(user);
	r.domain = LP_STR(DOM);
	r.has_event = 1;
	r.event = LP_STR("presence");
	r.expires = expires;
	r.has_ctype = 1;
	r.content_type = LP_STR(CT);
	r.body = lp_str_c(body);
	r.priority = priority;
	if(sender)
		r.sender = lp_str_c(sender);
	pres_handle_publish(&r, &rep);
	pres_publish_notify(&r, &rep);
	return rep.code;
}

typedef struct sub {
	pres_subscribe_req_t r;
	pres_reply_t rep;
	char callid[64], from_tag[64], to_tag[128], contact[96];
} sub_t;

static void sub_init(sub_t *s, const char *watcher, const char *presentity,
		const char *event, int expires)
{
	static int seq;

	memset(s, 0, sizeof(*s));
	seq++;
	snprintf(s->callid, sizeof(s->callid), "cid-%s-%d", watcher, seq);
	snprintf(s->from_tag, sizeof(s->from_tag), "ft%d", seq);
	snprintf(s->contact, sizeof(s->contact), "sip:%s@192.0.2.1", watcher);
	s->r.ruri_user = s->r.to_user = lp_str_c(presentity);
	s->r.ruri_domain = s->r.to_domain = LP_STR(DOM);
	s->r.from_user = lp_str_c(watcher);
	s->r.from_domain = LP_STR(DOM);
	s->r.from_tag = lp_str_c(s->from_tag);
	s->r.callid = lp_str_c(s->callid);
	s->r.cseq = 1;
	s->r.has_event = 1;
	s->r.event = lp_str_c(event);
	s->r.expires = expires;
	s->r.contact = lp_str_c(s->contact);
	s->r.local_contact = LP_STR("sip:pres@127.0.0.1");
}

static int subscribe(sub_t *s)
{
	pres_notify_t *n = NULL;

	memset(&s->rep, 0, sizeof(s->rep));
	pres_handle_subscribe(&s->r, &s->rep, &n);
	if(s->rep.code / 100 == 2 && s->r.to_tag.len == 0) {
		memcpy(s->to_tag, s->rep.to_tag.s, s->rep.to_tag.len);
		s->to_tag[s->rep.to_tag.len] = '\0';
	}
	if(n) {
		count_notify(n);
		pres_notify_free(n);
	}
	return s->rep.code;
}

static void sub_next(sub_t *s, unsigned int cseq, int expires)
{
	s->r.to_tag = lp_str_c(s->to_tag);
	s->r.cseq = cseq;
	s->r.expires = expires;
}

static int has_subs(const char *uri)
{
	lp_str_t u = lp_str_c(uri), e = LP_STR("presence");

	return pres_has_subscribers(&u, &e);
}

/* ---- subs_respond_200 ---- */

START_TEST(test_respond_200)
{
	sub_t s;

	sub_init(&s, "bob", "alice", "presence", 600);
	ck_assert_int_eq(subscribe(&s), 200); /* the default: RFC 6665 */
	ck_assert_str_eq(s.rep.reason, "OK");
	sub_next(&s, 2, 600);
	ck_assert_int_eq(subscribe(&s), 200);

	pres.cfg.subs_respond_200 = 0; /* RFC 3265's 202 */
	sub_next(&s, 3, 600);
	ck_assert_int_eq(subscribe(&s), 202);
	ck_assert_str_eq(s.rep.reason, "Accepted");
	sub_init(&s, "carol", "alice", "presence", 600);
	ck_assert_int_eq(subscribe(&s), 202);
	sub_init(&s, "alice", "alice", "presence.winfo", 600);
	ck_assert_int_eq(subscribe(&s), 200); /* winfo: 200 either way */
}
END_TEST

/* ---- min_expires_action ---- */

START_TEST(test_min_expires_action)
{
	sub_t s;

	pres.cfg.min_expires = 60;
	sub_init(&s, "bob", "alice", "presence", 30);
	ck_assert_int_eq(subscribe(&s), 423);
	ck_assert_ptr_nonnull(strstr(s.rep.hdrs, "Min-Expires: 60\r\n"));
	ck_assert_int_eq(publish("alice", "doc", 30, 0, NULL), 423);

	pres.cfg.min_expires_action = 2; /* raised to min_expires */
	sub_init(&s, "bob", "alice", "presence", 30);
	ck_assert_int_eq(subscribe(&s), 200);
	ck_assert_ptr_nonnull(strstr(s.rep.hdrs, "Expires: 60\r\n"));
	ck_assert_int_eq(db_int("SELECT expires FROM active_watchers"), -1);
	ck_assert_int_ge(pres_subs_flush(), 1);
	ck_assert_int_eq(db_int("SELECT expires FROM active_watchers"), T0 + 60);
	ck_assert_int_eq(publish("alice", "doc", 30, 0, NULL), 200);
	ck_assert_int_eq(db_int("SELECT expires FROM presentity"), T0 + 60);
	/* 0 still removes */
	sub_next(&s, 2, 0);
	ck_assert_int_eq(subscribe(&s), 200);
	ck_assert_int_eq(has_subs("sip:alice@" DOM), 0);
}
END_TEST

/* ---- cseq_offset ---- */

START_TEST(test_cseq_offset)
{
	sub_t s;

	sub_init(&s, "bob", "alice", "presence", 600);
	ck_assert_int_eq(subscribe(&s), 200);
	sub_next(&s, 5, 600);
	ck_assert_int_eq(subscribe(&s), 200);
	sub_next(&s, 4, 600); /* lower than the last one: out of order */
	ck_assert_int_eq(subscribe(&s), 500);
	sub_next(&s, 5, 600); /* the same again: a replay, out of order too */
	ck_assert_int_eq(subscribe(&s), 500);
	sub_next(&s, 5, 0); /* a replayed un-SUBSCRIBE ends nothing */
	ck_assert_int_eq(subscribe(&s), 500);
	ck_assert_int_eq(has_subs("sip:alice@" DOM), 1);
	pres.cfg.cseq_offset = 2;
	sub_next(&s, 5, 600); /* an offset takes the same CSeq */
	ck_assert_int_eq(subscribe(&s), 200);
	sub_next(&s, 3, 600); /* within the allowed offset */
	ck_assert_int_eq(subscribe(&s), 200);
	sub_next(&s, 0, 600);
	ck_assert_int_eq(subscribe(&s), 500);
}
END_TEST

/* ---- delete_same_subs ---- */

START_TEST(test_delete_same_subs)
{
	sub_t a, b;

	sub_init(&a, "bob", "alice", "presence", 600);
	ck_assert_int_eq(subscribe(&a), 200);
	b = a; /* same Call-ID, another From tag: a second dialog */
	b.r.from_tag = LP_STR("other-tag");
	b.r.callid = lp_str_c(a.callid);
	b.r.contact = lp_str_c(a.contact);
	b.r.to_tag = LP_STR_NULL;
	ck_assert_int_eq(subscribe(&b), 200);
	ck_assert_int_eq(has_subs("sip:alice@" DOM), 2);

	pres.cfg.delete_same_subs = 1;
	sub_init(&a, "carol", "dave", "presence", 600);
	ck_assert_int_eq(subscribe(&a), 200);
	ck_assert_int_ge(pres_subs_flush(), 1);
	b = a;
	b.r.from_tag = LP_STR("other-tag");
	b.r.callid = lp_str_c(a.callid);
	b.r.contact = lp_str_c(a.contact);
	b.r.to_tag = LP_STR_NULL;
	ck_assert_int_eq(subscribe(&b), 200);
	ck_assert_int_eq(has_subs("sip:dave@" DOM), 1);
	ck_assert_int_eq(db_int("SELECT count(*) FROM active_watchers WHERE"
							" presentity_uri='sip:dave@example.com'"),
			0);
	/* the first dialog is gone: its refresh is refused */
	sub_next(&a, 2, 600);
	ck_assert_int_eq(subscribe(&a), 481);
}
END_TEST

/* ---- subs_remove_match ---- */

START_TEST(test_subs_remove_match)
{
	sub_t s;
	lp_str_t uri = LP_STR("sip:alice@" DOM), tt, wrong = LP_STR("nope");

	sub_init(&s, "bob", "alice", "presence", 600);
	ck_assert_int_eq(subscribe(&s), 200);
	tt = lp_str_c(s.to_tag);
	pres.cfg.subs_remove_match = 1; /* the whole dialog must match */
	ck_assert_int_eq(pres_subs_remove(&uri,
							 &(pres_dlg_key_t){&s.r.callid, &tt, &wrong}),
			-2);
	ck_assert_int_eq(has_subs("sip:alice@" DOM), 1);
	pres.cfg.subs_remove_match = 0; /* the To tag we generated is enough */
	ck_assert_int_eq(pres_subs_remove(&uri,
							 &(pres_dlg_key_t){&wrong, &tt, &wrong}),
			0);
	ck_assert_int_eq(has_subs("sip:alice@" DOM), 0);
}
END_TEST

/* ---- force_delete ---- */

START_TEST(test_force_delete)
{
	sub_t s;

	ck_assert_int_eq(publish("alice", "open", 10, 0, NULL), 200);
	sub_init(&s, "bob", "alice", "presence", 600);
	ck_assert_int_eq(subscribe(&s), 200);
	nsent = 0;
	lp_test_now += 11;
	pres_clean_expired();
	ck_assert_int_eq(nsent, 1); /* the watcher hears the state went */

	ck_assert_int_eq(publish("alice", "open", 10, 0, NULL), 200);
	nsent = 0;
	pres.cfg.force_delete = 1;
	lp_test_now += 11;
	pres_clean_expired();
	ck_assert_int_eq(nsent, 0); /* removed without a NOTIFY */
	ck_assert_int_eq(db_int("SELECT count(*) FROM presentity"), 0);
}
END_TEST

/* ---- retrieve_order / retrieve_order_by ---- */

static void body_order(const char *want)
{
	lp_str_t u = LP_STR("alice"), d = LP_STR(DOM), out;
	pres_ev_t *ev = pres_event_by_hdr(&LP_STR("presence"));

	ck_assert_int_eq(pres_current_body(&u, &d, ev, &out), 0);
	ck_assert_ptr_nonnull(out.s);
	ck_assert_str_eq(out.s, want);
	free(out.s);
}

static void three_publications(void)
{
	ck_assert_int_eq(publish("alice", "A", 600, 10, NULL), 200);
	lp_test_now++;
	ck_assert_int_eq(publish("alice", "B", 600, 5, NULL), 200);
	lp_test_now++;
	ck_assert_int_eq(publish("alice", "C", 600, 20, NULL), 200);
}

START_TEST(test_retrieve_order)
{
	three_publications();
	body_order("A|B|C"); /* received time */
	ck_assert_int_eq(db_int("SELECT priority FROM presentity WHERE body='B'"), 5);
	pres.cfg.retrieve_order = 1; /* retrieve_order_by: "priority" */
	ck_assert_int_eq(pres_pub_order_init(), 0);
	body_order("B|A|C");
	pres.cfg.retrieve_order_by = "priority DESC, received_time";
	ck_assert_int_eq(pres_pub_order_init(), 0);
	ck_assert_str_eq(pres_pub_order_sql(), "priority DESC, received_time, id");
	body_order("C|A|B");
	pres.cfg.retrieve_order_by = "received_time desc";
	ck_assert_int_eq(pres_pub_order_init(), 0);
	body_order("C|B|A");
	/* no SQL reaches the DB but the words it knows */
	pres.cfg.retrieve_order_by = "priority; DROP TABLE presentity";
	ck_assert_int_eq(pres_pub_order_init(), -1);
	pres.cfg.retrieve_order_by = "nosuchcolumn";
	ck_assert_int_eq(pres_pub_order_init(), -1);
	pres.cfg.retrieve_order_by = "priority sideways";
	ck_assert_int_eq(pres_pub_order_init(), -1);
}
END_TEST

/* publ_cache 0: the same order comes from the DB's ORDER BY */
START_TEST(test_retrieve_order_db)
{
	pres.cfg.publ_cache = 0;
	three_publications();
	body_order("A|B|C");
	pres.cfg.retrieve_order = 1;
	ck_assert_int_eq(pres_pub_order_init(), 0);
	ck_assert_int_eq(pres_sql_init(), 0);
	body_order("B|A|C");
	pres.cfg.retrieve_order_by = "priority DESC";
	ck_assert_int_eq(pres_pub_order_init(), 0);
	ck_assert_int_eq(pres_sql_init(), 0);
	body_order("C|A|B");
	pres.cfg.retrieve_order = 0;
	ck_assert_int_eq(pres_pub_order_init(), 0);
	ck_assert_int_eq(pres_sql_init(), 0);
}
END_TEST

/* ---- body_cache: each state of the publications aggregated once ---- */

static void body_is(const char *user, const char *want)
{
	lp_str_t u = lp_str_c(user), d = LP_STR(DOM), out;
	pres_ev_t *ev = pres_event_by_hdr(&LP_STR("presence"));

	ck_assert_int_eq(pres_current_body(&u, &d, ev, &out), 0);
	ck_assert_ptr_nonnull(out.s);
	ck_assert_str_eq(out.s, want);
	free(out.s);
}

/* The second read of an unchanged presentity reuses the document; a new
 * publication, one that expired (before the clean timer removed it) and
 * a new order are new states. */
START_TEST(test_body_cache_reuse)
{
	ck_assert_int_eq(publish("alice", "A", 60, 0, NULL), 200);
	body_is("alice", "A");
	body_is("alice", "A");
	ck_assert_int_eq(agg_calls, 1);
	ck_assert_int_eq(publish("alice", "B", 600, 0, NULL), 200);
	body_is("alice", "A|B");
	body_is("alice", "A|B");
	ck_assert_int_eq(agg_calls, 2);
	lp_test_now += 60; /* A expires now; nothing removed it yet */
	body_is("alice", "B");
	body_is("alice", "B");
	ck_assert_int_eq(agg_calls, 3);
	ck_assert_int_eq(publish("bob", "X", 600, 0, NULL), 200);
	body_is("bob", "X"); /* another presentity: its own document */
	body_is("alice", "B");
	ck_assert_uint_eq(pres_aggcache_hits(), 4);
}
END_TEST

/* An operator's change of a row, then refreshWatchers (the reload): the
 * new row is the document; body_cache 0 aggregates on every read. */
START_TEST(test_body_cache_reload_and_off)
{
	lp_str_t u = LP_STR("alice"), d = LP_STR(DOM), e = LP_STR("presence");

	ck_assert_int_eq(publish("alice", "A", 600, 0, NULL), 200);
	body_is("alice", "A");
	db_run("UPDATE presentity SET body='Z'");
	body_is("alice", "A"); /* memory is the truth until the reload */
	ck_assert_int_eq(pres_pub_reload(&u, &d, &e), 0);
	body_is("alice", "Z");
	ck_assert_int_eq(agg_calls, 2);
	pres_aggcache_flush();
	pres.cfg.body_cache = 0;
	body_is("alice", "Z");
	body_is("alice", "Z");
	ck_assert_int_eq(agg_calls, 4);
}
END_TEST

/* No document: kept when nothing is published (the event's answer to no
 * publications), not when publications gave none (the event failed). */
START_TEST(test_body_cache_none)
{
	lp_str_t u = LP_STR("nobody"), f = LP_STR("fay"), d = LP_STR(DOM), out;
	pres_ev_t *ev = pres_event_by_hdr(&LP_STR("presence"));
	int i;

	for(i = 0; i < 2; i++) {
		ck_assert_int_eq(pres_current_body(&u, &d, ev, &out), 0);
		ck_assert_ptr_null(out.s);
	}
	ck_assert_int_eq(agg_calls, 1);
	ck_assert_int_eq(publish("fay", "FAIL", 600, 0, NULL), 200);
	for(i = 0; i < 2; i++) {
		ck_assert_int_eq(pres_current_body(&f, &d, ev, &out), 0);
		ck_assert_ptr_null(out.s);
	}
	ck_assert_int_eq(agg_calls, 3);
}
END_TEST

/* publ_cache 0: the DB is the truth, read (and aggregated) every time. */
START_TEST(test_body_cache_db_only)
{
	pres.cfg.publ_cache = 0;
	ck_assert_int_eq(publish("alice", "A", 600, 0, NULL), 200);
	body_is("alice", "A");
	db_run("UPDATE presentity SET body='Z'");
	body_is("alice", "Z");
	ck_assert_int_eq(agg_calls, 2);
}
END_TEST

/* What a watcher sees: the first NOTIFY of a new subscription after a
 * PUBLISH carries the state the PUBLISH's fan-out aggregated, made once. */
START_TEST(test_body_cache_subscribe)
{
	sub_t s1, s2;

	ck_assert_int_eq(publish("alice", "A", 600, 0, NULL), 200);
	sub_init(&s1, "bob", "alice", "presence", 600);
	ck_assert_int_eq(subscribe(&s1), 200);
	ck_assert_str_eq(last_body, "A");
	ck_assert_int_eq(publish("alice", "B", 600, 0, NULL), 200);
	ck_assert_str_eq(last_body, "A|B"); /* the fan-out to bob */
	ck_assert_int_eq(agg_calls, 2);
	sub_init(&s2, "carol", "alice", "presence", 600);
	ck_assert_int_eq(subscribe(&s2), 200);
	ck_assert_str_eq(last_body, "A|B");
	ck_assert_int_eq(agg_calls, 2);
}
END_TEST

/* ---- sip_uri_match: the sender a PUBLISH names is not notified ---- */

START_TEST(test_sip_uri_match_sender)
{
	sub_t s;

	sub_init(&s, "Bob", "alice", "presence", 600);
	ck_assert_int_eq(subscribe(&s), 200);
	nsent = 0;
	ck_assert_int_eq(publish("alice", "x", 600, 0, "sip:bob@" DOM), 200);
	ck_assert_int_eq(nsent, 1); /* case-sensitive: bob is not Bob */
	pres.cfg.sip_uri_match = 1;
	nsent = 0;
	ck_assert_int_eq(publish("alice", "y", 600, 0, "sip:bob@EXAMPLE.com"), 200);
	ck_assert_int_eq(nsent, 0);
}
END_TEST

/* ---- NOTIFY replies that end a subscription ---- */

START_TEST(test_notify_reply_codes)
{
	sub_t s;
	lp_str_t uri = LP_STR("sip:alice@" DOM), tt, ft;

	sub_init(&s, "bob", "alice", "presence", 600);
	ck_assert_int_eq(subscribe(&s), 200);
	tt = lp_str_c(s.to_tag);
	ft = lp_str_c(s.from_tag);
	pres_notify_reply(&uri, &s.r.callid, &tt, &ft, 500);
	ck_assert_int_eq(has_subs("sip:alice@" DOM), 1);
	pres.cfg.timeout_rm_subs = 0; /* a timeout: kept on an unreliable network */
	pres_notify_reply(&uri, &s.r.callid, &tt, &ft, 408);
	ck_assert_int_eq(has_subs("sip:alice@" DOM), 1);
	/* 404 ends it whatever timeout_rm_subs says, as 481 does */
	pres_notify_reply(&uri, &s.r.callid, &tt, &ft, 404);
	ck_assert_int_eq(has_subs("sip:alice@" DOM), 0);
}
END_TEST

/* ---- pres_has_subscribers ---- */

START_TEST(test_has_subscribers)
{
	sub_t s;
	lp_str_t u = LP_STR("sip:alice@" DOM), bad = LP_STR("nosuch");

	ck_assert_int_eq(has_subs("sip:alice@" DOM), 0);
	ck_assert_int_eq(pres_has_subscribers(&u, &bad), -1);
	sub_init(&s, "bob", "alice", "presence", 600);
	ck_assert_int_eq(subscribe(&s), 200);
	ck_assert_int_eq(has_subs("sip:alice@" DOM), 1);
	ck_assert_int_eq(has_subs("sip:carol@" DOM), 0);
	lp_test_now += 601; /* expired, even before the timer removes it */
	ck_assert_int_eq(has_subs("sip:alice@" DOM), 0);
}
END_TEST

/* ---- fetch_rows: the start-up load reads the tables page by page ---- */

static int count_pub(const pres_pub_t *p, void *ctx)
{
	(*(int *)ctx)++;
	return 0;
}

START_TEST(test_fetch_rows)
{
	const char *users[] = {"u1", "u2", "u3", "u4", "u5"};
	sub_t s;
	int i, n = 0;

	for(i = 0; i < 5; i++)
		ck_assert_int_eq(publish(users[i], "doc", 600, 0, NULL), 200);
	for(i = 0; i < 3; i++) {
		sub_init(&s, users[i], "u5", "presence", 600);
		ck_assert_int_eq(subscribe(&s), 200);
	}
	ck_assert_int_eq(pres_subs_flush(), 3);
	/* a restart: empty tables, loaded 2 rows at a time */
	lp_test_pres_tables_free();
	lp_test_pres_tables_new();
	pres.cfg.fetch_rows = 2;
	ck_assert_int_eq(pres_load_db(), 0);
	pres_pub_foreach(NULL, NULL, count_pub, &n);
	ck_assert_int_eq(n, 5);
	ck_assert_int_eq(pres_subs_count(), 3);
	ck_assert_int_eq(has_subs("sip:u5@" DOM), 3);
}
END_TEST

Suite *pres_params_suite(void)
{
	Suite *su = suite_create("pres_params");
	TCase *tc = tcase_create("params");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_respond_200);
	tcase_add_test(tc, test_min_expires_action);
	tcase_add_test(tc, test_cseq_offset);
	tcase_add_test(tc, test_delete_same_subs);
	tcase_add_test(tc, test_subs_remove_match);
	tcase_add_test(tc, test_force_delete);
	tcase_add_test(tc, test_retrieve_order);
	tcase_add_test(tc, test_retrieve_order_db);
	tcase_add_test(tc, test_body_cache_reuse);
	tcase_add_test(tc, test_body_cache_reload_and_off);
	tcase_add_test(tc, test_body_cache_none);
	tcase_add_test(tc, test_body_cache_db_only);
	tcase_add_test(tc, test_body_cache_subscribe);
	tcase_add_test(tc, test_sip_uri_match_sender);
	tcase_add_test(tc, test_notify_reply_codes);
	tcase_add_test(tc, test_has_subscribers);
	tcase_add_test(tc, test_fetch_rows);
	suite_add_tcase(su, tc);
	return su;
}
