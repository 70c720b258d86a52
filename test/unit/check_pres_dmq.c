/* enable_dmq's logic (pres_dmq.c) without Kamailio: the message format
 * (round trip, and a strict decoder that refuses every truncation, limit
 * and stray byte without crashing), the conflict rule (same winner in
 * either order), applying received changes to a temp SQLite DB (store,
 * modify, remove, older versions ignored, a watcher notified only when the
 * state changed), what a local PUBLISH broadcasts, and the answer to a
 * sync request. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lp_log.h"
#include "lp_test.h"
#include "t_dmq_fixture.h"
#include "pres_dmq.h"
#include "pres_logic.h"
#include "pres_pub.h"
#include "pres_subs.h"

#define SCHEMA "../../scripts/sqlite/presence-create.sql"
#define CT "application/pidf+xml"
#define T0 1700000000u
#define DOMAIN "example.com"

/* ---- fixture: DB, fake clock, captured DMQ sends and NOTIFYs ---- */


static int nnotify;

static int capture_notify(const pres_notify_t *n)
{
	nnotify++;
	return 0;
}

static int publ_ok(struct sip_msg *msg)
{
	return 0;
}

static void setup(void)
{
	static int sql_ready;

	lp_test_mem_install();
	lp_test_log_install();
	memset(&pres, 0, sizeof(pres));
	pres_cfg_defaults(&pres.cfg);
	pres.cfg.db_url = (char *)lp_test_pres_db_new(&lp_test_eng_sqlite, "pres_dmq");
	pres.cfg.enable_dmq = 1;
	if(!sql_ready) {
		ck_assert_int_eq(pres_sql_init(), 0);
		sql_ready = 1;
	}
	lp_test_pres_tables_new();
	lp_test_pres_add_presence(CT, publ_ok);
	lp_test_now = T0;
	pres.now = lp_test_clock;
	pres.send_notify = capture_notify;
	nnotify = 0;
	lp_test_send_result = 0;
	pres_dmq_set_sender(lp_test_capture_send);
}

static void teardown(void)
{
	pres_dmq_set_sender(NULL);
	lp_test_sent_reset();
	lp_test_pres_tables_free();
	lp_test_pres_db_close_events();
	lp_test_pres_db_drop();
	lp_log_set(NULL);
	ck_assert_int_eq(lp_test_mem_live(), 0);
}

/* ---- helpers ---- */

static pres_dmq_rec_t rec(char op, const char *user, const char *etag,
		const char *body, unsigned int received, unsigned int expires)
{
	pres_dmq_rec_t r;

	memset(&r, 0, sizeof(r));
	r.op = op;
	r.user = lp_str_c(user);
	r.domain = LP_STR(DOMAIN);
	r.event = LP_STR("presence");
	r.etag = lp_str_c(etag);
	r.body = lp_str_c(body ? body : "");
	r.received = received;
	r.expires = expires;
	return r;
}

/* One record r encoded into b (caller frees). */
static void encode1(pres_dmq_buf_t *b, const pres_dmq_rec_t *r)
{
	ck_assert_int_eq(pres_dmq_begin(b, PRES_DMQ_PUB), 0);
	ck_assert_int_eq(pres_dmq_add(b, r), 0);
}

static int decodes(const char *s, int len)
{
	pres_dmq_msg_t m;
	int rc = pres_dmq_decode(s, len, &m);

	if(rc == 0)
		pres_dmq_msg_free(&m);
	else
		ck_assert_ptr_null(m.recs);
	return rc;
}

static int decodes_c(const char *s)
{
	return decodes(s, (int)strlen(s));
}

/* The stored body of (user, etag) into buf ("" when none); returns found. */
static int stored(const char *user, const char *etag, char *buf, int size,
		unsigned int *received)
{
	lp_str_t u = lp_str_c(user), d = LP_STR(DOMAIN), ev = LP_STR("presence");
	lp_str_t e = lp_str_c(etag);
	pres_pub_key_t k = {&u, &d, &ev, &e};
	pres_pub_t *p = NULL;
	int rc = pres_pub_get(&k, &p);

	ck_assert_int_ge(rc, 0);
	buf[0] = '\0';
	if(p) {
		snprintf(buf, size, "%.*s", LP_STR_FMT(p->body));
		if(received)
			*received = p->received;
		lp_free(p);
	}
	return rc;
}

static int pub_count(void)
{
	lp_str_t u = LP_STR("alice"), d = LP_STR(DOMAIN), ev = LP_STR("presence");
	lp_str_t **bodies = NULL;
	int n = pres_pub_bodies(&u, &d, &ev, &bodies);

	pres_pub_bodies_free(bodies, n);
	return n;
}

/* ---- format ---- */

START_TEST(test_roundtrip)
{
	static const char body[] = "line1\nline2\0bin\r\n";
	pres_dmq_rec_t a = rec('S', "alice", "e1", NULL, T0, T0 + 60), b;
	pres_dmq_buf_t buf;
	pres_dmq_msg_t m;

	a.body.s = (char *)body;
	a.body.len = sizeof(body) - 1;
	a.old_etag = LP_STR("e0");
	a.sender = LP_STR("sip:pub@example.com");
	a.priority = -7;
	b = rec('R', "bob", "e2", NULL, T0 + 1, 0);
	encode1(&buf, &a);
	ck_assert_int_eq(pres_dmq_add(&buf, &b), 0);
	ck_assert_int_eq(buf.n, 2);
	ck_assert_int_eq(pres_dmq_decode(buf.s, buf.len, &m), 0);
	ck_assert_int_eq(m.kind, PRES_DMQ_PUB);
	ck_assert_int_eq(m.n, 2);
	ck_assert_int_eq(m.recs[0].op, 'S');
	ck_assert_uint_eq(m.recs[0].received, T0);
	ck_assert_uint_eq(m.recs[0].expires, T0 + 60);
	ck_assert_int_eq(m.recs[0].priority, -7);
	ck_assert(lp_str_eq(&m.recs[0].body, &a.body));
	ck_assert(lp_str_eq(&m.recs[0].old_etag, &a.old_etag));
	ck_assert(lp_str_eq(&m.recs[0].sender, &a.sender));
	ck_assert(lp_str_eq(&m.recs[0].user, &a.user));
	ck_assert_int_eq(m.recs[1].op, 'R');
	ck_assert(lp_str_eq(&m.recs[1].etag, &b.etag));
	ck_assert_int_eq(m.recs[1].body.len, 0);
	pres_dmq_msg_free(&m);
	pres_dmq_buf_free(&buf);

	ck_assert_int_eq(pres_dmq_begin(&buf, PRES_DMQ_SYNC), 0);
	ck_assert_int_eq(pres_dmq_decode(buf.s, buf.len, &m), 0);
	ck_assert_int_eq(m.kind, PRES_DMQ_SYNC);
	ck_assert_int_eq(m.n, 0);
	pres_dmq_buf_free(&buf);
}
END_TEST

/* Every proper prefix of a valid message, and the message with a byte
 * more, are refused. */
START_TEST(test_decode_truncated)
{
	pres_dmq_rec_t a = rec('S', "alice", "e1", "<x/>", T0, T0 + 60);
	pres_dmq_buf_t buf;
	char *more;
	int i;

	encode1(&buf, &a);
	ck_assert_int_eq(decodes(buf.s, buf.len), 0);
	for(i = 0; i < buf.len; i++)
		ck_assert_msg(decodes(buf.s, i) < 0, "prefix of %d bytes accepted", i);
	more = malloc(buf.len + 1);
	memcpy(more, buf.s, buf.len);
	more[buf.len] = '\n';
	ck_assert_int_lt(decodes(more, buf.len + 1), 0);
	free(more);
	pres_dmq_buf_free(&buf);
	ck_assert_int_lt(decodes("PDMQ/1 SYNC\nx", 13), 0);
	ck_assert_int_lt(decodes(NULL, 0), 0);
}
END_TEST

START_TEST(test_decode_strict)
{
	/* valid reference: 5+11+8+2+0+0+3 bytes of fields */
	ck_assert_int_eq(decodes_c("PDMQ/1 PUB\nS 1 2 3 5 11 8 2 0 0 3\n"
							   "aliceexample.compresencee1<a>\n"), 0);
	ck_assert_int_lt(decodes_c("PDMQ/2 PUB\nS 1 2 3 5 11 8 2 0 0 3\n"
							   "aliceexample.compresencee1<a>\n"), 0);
	ck_assert_int_lt(decodes_c("PDMQ/1 PUB\n"), 0); /* no record */
	ck_assert_int_lt(decodes_c("PDMQ/1 PUB\nX 1 2 3 5 11 8 2 0 0 3\n"
							   "aliceexample.compresencee1<a>\n"), 0);
	ck_assert_int_lt(decodes_c("PDMQ/1 PUB\nS  1 2 3 5 11 8 2 0 0 3\n"
							   "aliceexample.compresencee1<a>\n"), 0);
	ck_assert_int_lt(decodes_c("PDMQ/1 PUB\nS 1 2 +3 5 11 8 2 0 0 3\n"
							   "aliceexample.compresencee1<a>\n"), 0);
	/* received beyond 32 bits, an 11-digit number */
	ck_assert_int_lt(decodes_c("PDMQ/1 PUB\nS 4294967296 2 3 5 11 8 2 0 0 3\n"
							   "aliceexample.compresencee1<a>\n"), 0);
	ck_assert_int_lt(decodes_c("PDMQ/1 PUB\nS 00000000001 2 3 5 11 8 2 0 0 3\n"
							   "aliceexample.compresencee1<a>\n"), 0);
	/* a length past the end, over its limit, a missing field */
	ck_assert_int_lt(decodes_c("PDMQ/1 PUB\nS 1 2 3 5 11 8 2 0 0 99\n"
							   "aliceexample.compresencee1<a>\n"), 0);
	ck_assert_int_lt(decodes_c("PDMQ/1 PUB\nS 1 2 3 5 11 8 129 0 0 3\n"
							   "aliceexample.compresencee1<a>\n"), 0);
	ck_assert_int_lt(decodes_c("PDMQ/1 PUB\nS 1 2 3 5 11 8 2 0 3\n"
							   "aliceexample.compresencee1<a>\n"), 0);
	/* empty user; a control byte in the user; no final newline */
	ck_assert_int_lt(decodes_c("PDMQ/1 PUB\nS 1 2 3 0 11 8 2 0 0 3\n"
							   "example.compresencee1<a>\n"), 0);
	ck_assert_int_lt(decodes_c("PDMQ/1 PUB\nS 1 2 3 5 11 8 2 0 0 3\n"
							   "al\rceexample.compresencee1<a>\n"), 0);
	ck_assert_int_lt(decodes_c("PDMQ/1 PUB\nS 1 2 3 5 11 8 2 0 0 3\n"
							   "aliceexample.compresencee1<a>x"), 0);
	/* a remove names no old ETag */
	ck_assert_int_lt(decodes_c("PDMQ/1 PUB\nR 1 2 3 5 11 8 2 2 0 0\n"
							   "aliceexample.compresencee1e0\n"), 0);
}
END_TEST

/* Every byte of a valid message changed to a few values: the decoder
 * answers 0 or -1, never reads outside the buffer (ASan). */
START_TEST(test_decode_mutations)
{
	static const unsigned char vals[] = {0, '\n', ' ', '9', '0', 'S', 0xff};
	pres_dmq_rec_t a = rec('S', "alice", "e1", "<x/>", T0, T0 + 60);
	pres_dmq_buf_t buf;
	char *copy;
	size_t v;
	int i;

	a.sender = LP_STR("sip:s@d");
	encode1(&buf, &a);
	for(i = 0; i < buf.len; i++)
		for(v = 0; v < sizeof(vals); v++) {
			copy = malloc(buf.len); /* exact size: overreads are caught */
			memcpy(copy, buf.s, buf.len);
			copy[i] = (char)vals[v];
			decodes(copy, buf.len);
			free(copy);
		}
	pres_dmq_buf_free(&buf);
}
END_TEST

START_TEST(test_encode_limits)
{
	pres_dmq_rec_t a = rec('S', "alice", "e1", "<x/>", T0, T0 + 60);
	pres_dmq_buf_t buf;
	char big[PRES_DMQ_MAX_KEY + 2];

	memset(big, 'u', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(pres_dmq_begin(&buf, PRES_DMQ_PUB), 0);
	a.user = lp_str_c(big);
	ck_assert_int_lt(pres_dmq_add(&buf, &a), 0);
	a.user = LP_STR("");
	ck_assert_int_lt(pres_dmq_add(&buf, &a), 0);
	ck_assert_int_eq(buf.n, 0);
	ck_assert_int_eq(buf.len, (int)strlen("PDMQ/1 PUB\n"));
	pres_dmq_buf_free(&buf);
}
END_TEST

/* ---- conflict rule ---- */

START_TEST(test_cmp_rule)
{
	pres_dmq_rec_t a = rec('S', "alice", "e1", "<a/>", T0, T0 + 60);
	pres_dmq_rec_t b = a;

	ck_assert_int_eq(pres_dmq_cmp(&a, &b), 0);
	b.received = T0 + 1; /* later received wins, whatever else */
	b.expires = T0 + 10;
	b.etag = LP_STR("a");
	ck_assert_int_lt(pres_dmq_cmp(&a, &b), 0);
	ck_assert_int_gt(pres_dmq_cmp(&b, &a), 0);
	b = a;
	b.expires = T0 + 61; /* same second: later expiry */
	ck_assert_int_lt(pres_dmq_cmp(&a, &b), 0);
	ck_assert_int_gt(pres_dmq_cmp(&b, &a), 0);
	b = a;
	b.etag = LP_STR("e2"); /* then the greater ETag */
	ck_assert_int_lt(pres_dmq_cmp(&a, &b), 0);
	ck_assert_int_gt(pres_dmq_cmp(&b, &a), 0);
	b = a;
	b.body = LP_STR("<a/>x"); /* then the body */
	ck_assert_int_lt(pres_dmq_cmp(&a, &b), 0);
	ck_assert_int_gt(pres_dmq_cmp(&b, &a), 0);
}
END_TEST

/* ---- applying received changes ---- */

/* A subscription of bob to alice, so that changes are notified. */
static void watch_alice(void)
{
	pres_subscribe_req_t r;
	pres_reply_t rep;
	pres_notify_t *n = NULL;

	memset(&r, 0, sizeof(r));
	r.ruri_user = r.to_user = LP_STR("alice");
	r.ruri_domain = r.to_domain = LP_STR(DOMAIN);
	r.from_user = LP_STR("bob");
	r.from_domain = LP_STR(DOMAIN);
	r.from_tag = LP_STR("ft1");
	r.callid = LP_STR("cid-dmq-1");
	r.cseq = 1;
	r.has_event = 1;
	r.event = LP_STR("presence");
	r.expires = 3600;
	r.contact = LP_STR("sip:bob@192.0.2.10:5060");
	r.sockinfo = LP_STR("udp:127.0.0.1:5060");
	r.local_contact = LP_STR("sip:pres@127.0.0.1:5060");
	memset(&rep, 0, sizeof(rep));
	pres_handle_subscribe(&r, &rep, &n);
	ck_assert_int_eq(rep.code / 100, 2);
	pres_notify_free(n);
	nnotify = 0;
}

START_TEST(test_apply_store_and_order)
{
	pres_dmq_rec_t v1 = rec('S', "alice", "e1", "<v1/>", T0, T0 + 60);
	pres_dmq_rec_t v2 = rec('S', "alice", "e1", "<v2/>", T0 + 5, T0 + 65);
	unsigned int received = 0;
	char body[64];

	watch_alice();
	ck_assert_int_eq(pres_dmq_apply(&v1), 1);
	ck_assert_int_eq(stored("alice", "e1", body, sizeof(body), &received), 1);
	ck_assert_str_eq(body, "<v1/>");
	ck_assert_uint_eq(received, T0); /* the origin's time, not ours */
	ck_assert_int_eq(nnotify, 1);
	/* the same version again (a sync after the broadcast): no change */
	ck_assert_int_eq(pres_dmq_apply(&v1), 0);
	ck_assert_int_eq(nnotify, 1);
	ck_assert_int_eq(pres_dmq_apply(&v2), 1);
	ck_assert_int_eq(nnotify, 2);
	/* v1 arriving late loses */
	ck_assert_int_eq(pres_dmq_apply(&v1), 0);
	stored("alice", "e1", body, sizeof(body), NULL);
	ck_assert_str_eq(body, "<v2/>");
	ck_assert_int_eq(nnotify, 2);
	ck_assert_int_eq(pub_count(), 1);
}
END_TEST

/* Two versions from the same second: every node keeps the same one,
 * whatever order they arrive in. */
START_TEST(test_apply_tie_same_winner)
{
	pres_dmq_rec_t x = rec('S', "alice", "e1", "<x/>", T0, T0 + 60);
	pres_dmq_rec_t y = rec('S', "alice", "e1", "<y/>", T0, T0 + 60);
	char body[64];

	ck_assert_int_eq(pres_dmq_apply(&y), 1);
	ck_assert_int_eq(pres_dmq_apply(&x), 0);
	stored("alice", "e1", body, sizeof(body), NULL);
	ck_assert_str_eq(body, "<y/>");
	/* emptied, then the other order (as on another node) */
	ck_assert_int_eq(pres_dmq_apply(&(pres_dmq_rec_t){.op = 'R',
							 .user = x.user, .domain = x.domain,
							 .event = x.event, .etag = x.etag,
							 .received = T0 + 1}),
			1);
	ck_assert_int_eq(pres_dmq_apply(&x), 1);
	ck_assert_int_eq(pres_dmq_apply(&y), 1);
	stored("alice", "e1", body, sizeof(body), NULL);
	ck_assert_str_eq(body, "<y/>");
}
END_TEST

START_TEST(test_apply_modify_and_remove)
{
	pres_dmq_rec_t v1 = rec('S', "alice", "e1", "<v1/>", T0, T0 + 60);
	pres_dmq_rec_t v2 = rec('S', "alice", "e2", "<v2/>", T0 + 1, T0 + 61);
	pres_dmq_rec_t rm = rec('R', "alice", "e2", NULL, T0, 0);
	char body[64];

	watch_alice();
	ck_assert_int_eq(pres_dmq_apply(&v1), 1);
	v2.old_etag = LP_STR("e1"); /* a modify: e1 becomes e2 */
	ck_assert_int_eq(pres_dmq_apply(&v2), 1);
	ck_assert_int_eq(stored("alice", "e1", body, sizeof(body), NULL), 0);
	ck_assert_int_eq(stored("alice", "e2", body, sizeof(body), NULL), 1);
	ck_assert_str_eq(body, "<v2/>");
	ck_assert_int_eq(pub_count(), 1);
	ck_assert_int_eq(nnotify, 2);
	/* a remove older than the stored version is ignored */
	ck_assert_int_eq(pres_dmq_apply(&rm), 0);
	ck_assert_int_eq(stored("alice", "e2", body, sizeof(body), NULL), 1);
	rm.received = T0 + 2;
	ck_assert_int_eq(pres_dmq_apply(&rm), 1);
	ck_assert_int_eq(stored("alice", "e2", body, sizeof(body), NULL), 0);
	ck_assert_int_eq(nnotify, 3);
	/* removing what is not there changes nothing */
	ck_assert_int_eq(pres_dmq_apply(&rm), 0);
	ck_assert_int_eq(nnotify, 3);
}
END_TEST

START_TEST(test_apply_ignored)
{
	pres_dmq_rec_t old = rec('S', "alice", "e1", "<v1/>", T0 - 100, T0 - 1);
	pres_dmq_rec_t unk = rec('S', "alice", "e1", "<v1/>", T0, T0 + 60);

	ck_assert_int_eq(pres_dmq_apply(&old), 0); /* already expired */
	unk.event = LP_STR("no-such-event");
	ck_assert_int_eq(pres_dmq_apply(&unk), 0);
	ck_assert_int_eq(pub_count(), 0);
}
END_TEST

/* A malformed message applies nothing, not even its valid first record. */
START_TEST(test_receive_malformed_applies_nothing)
{
	pres_dmq_rec_t a = rec('S', "alice", "e1", "<a/>", T0, T0 + 60);
	pres_dmq_buf_t buf;

	encode1(&buf, &a);
	ck_assert_int_eq(buf.n, 1);
	ck_assert_int_lt(pres_dmq_receive(buf.s, buf.len - 1, NULL), 0);
	ck_assert_int_eq(pub_count(), 0);
	ck_assert_int_eq(pres_dmq_receive(buf.s, buf.len, NULL), 0);
	ck_assert_int_eq(pub_count(), 1);
	pres_dmq_buf_free(&buf);
}
END_TEST

/* Out of memory at every allocation of an apply: -1 and nothing stored,
 * until it succeeds. */
START_TEST(test_apply_oom)
{
	pres_dmq_rec_t v = rec('S', "alice", "e1", "<v1/>", T0, T0 + 60);
	char body[64];
	int n, rc = -1;

	ck_assert_ptr_nonnull(pres_db()); /* the connection is not the subject */
	watch_alice();
	for(n = 1; n < 100 && rc != 1; n++) {
		lp_test_mem_fail_at(n);
		rc = pres_dmq_apply(&v);
		lp_test_mem_fail_at(0);
		if(rc != 1) {
			ck_assert_int_eq(rc, -1);
			ck_assert_int_eq(stored("alice", "e1", body, sizeof(body), NULL), 0);
		}
	}
	ck_assert_int_eq(rc, 1);
	ck_assert_int_gt(n, 2);
	ck_assert_int_eq(stored("alice", "e1", body, sizeof(body), NULL), 1);
}
END_TEST

/* ---- what a local PUBLISH sends, and the sync ---- */

static int publish(const char *etag_in, int expires, const char *body, char *etag_out)
{
	pres_publish_req_t r;
	pres_reply_t rep;

	lp_test_pres_pub_req(&r, DOMAIN, expires, body, etag_in);
	memset(&rep, 0, sizeof(rep));
	pres_handle_publish(&r, &rep);
	pres_publish_notify(&r, &rep);
	if(rep.code == 200 && etag_out)
		lp_test_pres_reply_etag(rep.hdrs, etag_out, 128);
	return rep.code;
}

/* The one record of sent message i. */
static pres_dmq_rec_t sent_rec(int i, pres_dmq_msg_t *m)
{
	ck_assert_int_lt(i, lp_test_nsent);
	ck_assert_ptr_null(lp_test_sent[i].node); /* a broadcast */
	ck_assert_int_eq(pres_dmq_decode(lp_test_sent[i].s, lp_test_sent[i].len, m), 0);
	ck_assert_int_eq(m->n, 1);
	return m->recs[0];
}

START_TEST(test_publish_replicated)
{
	char e1[128], e2[128];
	pres_dmq_msg_t m;
	pres_dmq_rec_t r;
	lp_str_t s1, s2;

	ck_assert_int_eq(publish(NULL, 60, "<v1/>", e1), 200);
	r = sent_rec(0, &m);
	s1 = lp_str_c(e1);
	ck_assert_int_eq(r.op, 'S');
	ck_assert(lp_str_eq(&r.etag, &s1));
	ck_assert_int_eq(r.old_etag.len, 0);
	ck_assert_uint_eq(r.received, T0);
	ck_assert_uint_eq(r.expires, T0 + 60);
	pres_dmq_msg_free(&m);
	lp_test_now++;
	ck_assert_int_eq(publish(e1, 60, "<v2/>", e2), 200); /* modify */
	r = sent_rec(1, &m);
	s2 = lp_str_c(e2);
	ck_assert(lp_str_eq(&r.etag, &s2));
	ck_assert(lp_str_eq(&r.old_etag, &s1));
	pres_dmq_msg_free(&m);
	ck_assert_int_eq(publish(e2, 0, NULL, NULL), 200); /* remove */
	r = sent_rec(2, &m);
	ck_assert_int_eq(r.op, 'R');
	ck_assert(lp_str_eq(&r.etag, &s2));
	ck_assert_uint_eq(r.received, T0 + 1);
	pres_dmq_msg_free(&m);
	/* refused requests replicate nothing */
	ck_assert_int_eq(publish("nope", 60, "<v3/>", NULL), 412);
	ck_assert_int_eq(lp_test_nsent, 3);
}
END_TEST

START_TEST(test_publish_not_replicated_when_off)
{
	pres.cfg.enable_dmq = 0;
	ck_assert_int_eq(publish(NULL, 60, "<v1/>", NULL), 200);
	ck_assert_int_eq(lp_test_nsent, 0);
	pres.cfg.enable_dmq = 1;
	lp_test_send_result = -1; /* a failed broadcast leaves the local PUBLISH alone */
	ck_assert_int_eq(publish(NULL, 60, "<v2/>", NULL), 200);
	ck_assert_int_eq(lp_test_nsent, 1);
	ck_assert_int_eq(pub_count(), 2);
}
END_TEST

START_TEST(test_sync_answer)
{
	static int node;
	pres_dmq_rec_t b = rec('S', "bob", "eb", "<b/>", T0, T0 + 60);
	pres_dmq_msg_t m;
	int i, users = 0;

	ck_assert_int_eq(publish(NULL, 60, "<a/>", NULL), 200);
	ck_assert_int_eq(pres_dmq_apply(&b), 1);
	lp_test_sent_reset();
	ck_assert_int_eq(pres_dmq_request_sync(), 0);
	ck_assert_int_eq(lp_test_nsent, 1);
	ck_assert_int_eq(pres_dmq_decode(lp_test_sent[0].s, lp_test_sent[0].len, &m), 0);
	ck_assert_int_eq(m.kind, PRES_DMQ_SYNC);
	lp_test_sent_reset();
	/* the answer goes to the asking node only, and holds both */
	ck_assert_int_eq(pres_dmq_receive("PDMQ/1 SYNC\n", 12, &node), 0);
	ck_assert_int_eq(lp_test_nsent, 1);
	ck_assert_ptr_eq(lp_test_sent[0].node, &node);
	ck_assert_int_eq(pres_dmq_decode(lp_test_sent[0].s, lp_test_sent[0].len, &m), 0);
	ck_assert_int_eq(m.n, 2);
	for(i = 0; i < m.n; i++)
		users |= lp_str_eq(&m.recs[i].user, &LP_STR("bob")) ? 2 : 1;
	ck_assert_int_eq(users, 3);
	pres_dmq_msg_free(&m);
}
END_TEST

/* A big state is answered in several messages of about PRES_DMQ_CHUNK. */
START_TEST(test_sync_chunks)
{
	static char body[2001];
	char user[32];
	pres_dmq_msg_t m;
	int i, total = 0;

	memset(body, 'x', sizeof(body) - 1);
	for(i = 0; i < 20; i++) {
		pres_dmq_rec_t r;
		snprintf(user, sizeof(user), "u%d", i);
		r = rec('S', user, "e", body, T0, T0 + 60);
		ck_assert_int_eq(pres_dmq_apply(&r), 1);
	}
	ck_assert_int_eq(pres_dmq_send_sync(NULL), 20);
	ck_assert_int_gt(lp_test_nsent, 1);
	for(i = 0; i < lp_test_nsent; i++) {
		ck_assert_int_lt(lp_test_sent[i].len, PRES_DMQ_CHUNK + 2100);
		ck_assert_int_eq(pres_dmq_decode(lp_test_sent[i].s, lp_test_sent[i].len, &m), 0);
		total += m.n;
		pres_dmq_msg_free(&m);
	}
	ck_assert_int_eq(total, 20);
}
END_TEST

/* Big publications: never two in a message over PRES_DMQ_MSG_MAX; one over
 * the body limit stays local. A sync request from an unknown node gets no
 * answer (it would go to every node). */
START_TEST(test_sync_big_and_unknown_node)
{
	static char big[PRES_DMQ_MAX_BODY], huge[PRES_DMQ_MAX_BODY + 2];
	pres_dmq_rec_t r;
	int i;

	memset(big, 'x', sizeof(big) - 1);
	memset(huge, 'y', sizeof(huge) - 1);
	r = rec('S', "alice", "e1", big, T0, T0 + 60);
	ck_assert_int_eq(pres_dmq_apply(&r), 1);
	r = rec('S', "bob", "e2", big, T0, T0 + 60);
	ck_assert_int_eq(pres_dmq_apply(&r), 1);
	ck_assert_int_eq(publish(NULL, 60, huge, NULL), 200); /* local only */
	ck_assert_int_eq(lp_test_nsent, 0);
	ck_assert_int_eq(pres_dmq_receive("PDMQ/1 SYNC\n", 12, NULL), 0);
	ck_assert_int_eq(lp_test_nsent, 0);
	ck_assert_int_eq(pres_dmq_send_sync(NULL), 2);
	ck_assert_int_eq(lp_test_nsent, 2);
	for(i = 0; i < lp_test_nsent; i++) {
		ck_assert_int_le(lp_test_sent[i].len, PRES_DMQ_MSG_MAX);
		ck_assert_int_eq(decodes(lp_test_sent[i].s, lp_test_sent[i].len), 0);
	}
}
END_TEST

Suite *pres_dmq_suite(void)
{
	Suite *s = suite_create("pres_dmq");
	TCase *f = tcase_create("format");
	TCase *a = tcase_create("apply");

	tcase_add_test(f, test_roundtrip);
	tcase_add_test(f, test_decode_truncated);
	tcase_add_test(f, test_decode_strict);
	tcase_add_test(f, test_decode_mutations);
	tcase_add_test(f, test_encode_limits);
	tcase_add_test(f, test_cmp_rule);
	suite_add_tcase(s, f);
	tcase_add_checked_fixture(a, setup, teardown);
	tcase_add_test(a, test_apply_store_and_order);
	tcase_add_test(a, test_apply_tie_same_winner);
	tcase_add_test(a, test_apply_modify_and_remove);
	tcase_add_test(a, test_apply_ignored);
	tcase_add_test(a, test_receive_malformed_applies_nothing);
	tcase_add_test(a, test_apply_oom);
	tcase_add_test(a, test_publish_replicated);
	tcase_add_test(a, test_publish_not_replicated_when_off);
	tcase_add_test(a, test_sync_answer);
	tcase_add_test(a, test_sync_chunks);
	tcase_add_test(a, test_sync_big_and_unknown_node);
	suite_add_tcase(s, a);
	return s;
}
