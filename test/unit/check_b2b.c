/* presence_b2b logic: timing rules, Subscription-State and PIDF parsing, and
 * whole subscription lives driven through the timer, replies and NOTIFYs on
 * a test clock (first SUBSCRIBE, refresh, 404 and retry, NOTIFY before the
 * 2xx, unsubscribe with and without the terminating NOTIFY, server-side
 * termination, random first-send spreading), the status messages the RPC
 * subscriber receives, and every allocation failing in turn. */
#include <check.h>
#include <stdio.h>

#include "b2b_logic.h"
#include "lp_test.h"

static unsigned int clock_now;
static unsigned int seq_rand_v;

static unsigned int t_now(void)
{
	return clock_now;
}

/* Deterministic, and not a plain step (a step times the 5 draws of a new
 * record would give every record the same first-send delay). */
static unsigned int t_rand(void)
{
	seq_rand_v = seq_rand_v * 1103515245u + 12345u;
	return seq_rand_v >> 8;
}

static const pb2b_cfg_t defaults = PB2B_CFG_DEFAULTS;

static void setup(void)
{
	lp_test_mem_install();
	lp_test_log_install();
	pb2b.cfg = defaults;
	pb2b.cfg.default_subscriber = "sip:b2b@127.0.0.1";
	pb2b.cfg.presence_route = "<sip:proxy.example.com;lr>";
	pb2b.rand = t_rand;
	pb2b.now = t_now;
	clock_now = 1000;
	seq_rand_v = 0;
}

static void start(void)
{
	ck_assert_int_eq(pb2b_init(), 0);
}

static void stop(void)
{
	pb2b_destroy();
	ck_assert_int_eq(lp_test_mem_live(), 0);
}

static unsigned int subscribe(const char *uri)
{
	unsigned int id = 0;
	lp_str_t rec = lp_str_c(uri), pkg = LP_STR("presence");

	ck_assert_int_eq(pb2b_rpc_subscribe(&rec, &pkg, NULL, &id), 0);
	return id;
}

/* The only SUBSCRIBE the timer sends now (asserts there is exactly one). */
static pb2b_send_t *one_send(void)
{
	pb2b_send_t *s = pb2b_timer(clock_now);

	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_null(s->next);
	return s;
}

static void no_send(void)
{
	pb2b_send_t *s = pb2b_timer(clock_now);

	ck_assert_ptr_null(s);
}

static void reply(const pb2b_send_t *s, int code, const char *to_tag, int expires)
{
	pb2b_reply_t r;

	memset(&r, 0, sizeof(r));
	r.code = code;
	r.to_tag = lp_str_c(to_tag);
	r.expires = expires;
	r.contact = LP_STR("sip:pa@10.0.0.2:5060");
	r.record_route = LP_STR("<sip:rr2.example.com;lr>,<sip:rr1.example.com;lr>");
	r.min_expires = -1;
	r.retry_after = -1;
	ck_assert_int_eq(pb2b_handle_reply(&s->callid, &s->remote_tag, s->cseq, &r, clock_now), 0);
}

/* An error reply with Min-Expires / Retry-After (-1: absent). */
static void reply_err(const pb2b_send_t *s, int code, int min_exp, int retry)
{
	pb2b_reply_t r;

	memset(&r, 0, sizeof(r));
	r.code = code;
	r.expires = -1;
	r.min_expires = min_exp;
	r.retry_after = retry;
	ck_assert_int_eq(pb2b_handle_reply(&s->callid, &s->remote_tag, s->cseq, &r, clock_now), 0);
}

static int notify(const pb2b_send_t *s, const char *from_tag,
		const char *substate, const char *body)
{
	pb2b_notify_t n;

	memset(&n, 0, sizeof(n));
	n.callid = s->callid;
	n.to_tag = s->local_tag;
	n.from_tag = lp_str_c(from_tag);
	n.cseq = 1;
	n.event = LP_STR("presence");
	n.has_substate = substate != NULL;
	n.substate = lp_str_c(substate);
	n.content_type = LP_STR("application/pidf+xml");
	n.body = lp_str_c(body);
	return pb2b_handle_notify(&n, clock_now);
}

/* A NOTIFY of branch from_tag, with its Contact and Record-Route. */
static int notify_br(const pb2b_send_t *s, const char *from_tag,
		const char *substate, const char *body, const char *contact,
		const char *rr)
{
	pb2b_notify_t n;

	memset(&n, 0, sizeof(n));
	n.callid = s->callid;
	n.to_tag = s->local_tag;
	n.from_tag = lp_str_c(from_tag);
	n.cseq = 1;
	n.event = LP_STR("presence");
	n.has_substate = 1;
	n.substate = lp_str_c(substate);
	n.contact = lp_str_c(contact);
	n.record_route = lp_str_c(rr);
	n.content_type = LP_STR("application/pidf+xml");
	n.body = lp_str_c(body);
	return pb2b_handle_notify(&n, clock_now);
}

/* The sends of one timer run, by remote tag into by_tag[0..1] ("A", "B");
 * asserts there are exactly `want` of them. */
static void two_sends(pb2b_send_t **list, pb2b_send_t *by[2], int want)
{
	pb2b_send_t *x;
	int n = 0;

	*list = pb2b_timer(clock_now);
	by[0] = by[1] = NULL;
	for(x = *list; x; x = x->next, n++) {
		if(x->remote_tag.len && x->remote_tag.s[0] == 'A')
			by[0] = x;
		else if(x->remote_tag.len && x->remote_tag.s[0] == 'B')
			by[1] = x;
	}
	ck_assert_int_eq(n, want);
}

typedef struct found {
	unsigned int id;
	int seen;
	pb2b_rec_t copy;
} found_t;

static void find_cb(const pb2b_rec_t *r, void *ctx)
{
	found_t *f = ctx;

	if(r->id == f->id) {
		f->seen = 1;
		f->copy = *r;
	}
}

/* A copy of record id (its strings are not to be used), or seen=0. */
static found_t rec_of(unsigned int id)
{
	found_t f;

	memset(&f, 0, sizeof(f));
	f.id = id;
	pb2b_foreach(find_cb, &f);
	return f;
}

static void branches_cb(const pb2b_rec_t *r, void *ctx)
{
	int *n = ctx;

	*n = pb2b_branches(r);
}

static int branches(void)
{
	int n = -1;

	pb2b_foreach(branches_cb, &n);
	return n;
}

static const char *last_doc(unsigned int id, unsigned int *count)
{
	static char buf[256];
	lp_qmsg_t *m;

	pb2b_view_drain(pb2b.view);
	m = pb2b_view_last(pb2b.view, id, count);
	if(!m)
		return NULL;
	snprintf(buf, sizeof(buf), "%s|%s|%s", lp_qstate_name(m->state),
			m->content_type.s, m->document.s);
	lp_qmsg_free(m);
	return buf;
}

/* ------------------------------------------------------------- timing */

START_TEST(test_refresh_time)
{
	pb2b_cfg_t c = defaults;

	/* seed example: 3600 s with delta 60 -> after 3540 s */
	c.resubscribe_delta = 60;
	ck_assert_uint_eq(pb2b_refresh_time(&c, 100, 100 + 3600), 100 + 3540);
	/* never sooner than min_resubscribe_time after the last SUBSCRIBE */
	c.resubscribe_delta = 30;
	c.min_resubscribe_time = 55;
	ck_assert_uint_eq(pb2b_refresh_time(&c, 100, 100 + 60), 155);
	ck_assert_uint_eq(pb2b_refresh_time(&c, 100, 100 + 10), 155);
	c.min_resubscribe_time = 0;
	ck_assert_uint_eq(pb2b_refresh_time(&c, 100, 100 + 10), 100);
	ck_assert_uint_eq(pb2b_retry_time(&c, 50), 170);
}
END_TEST

START_TEST(test_retry_after_time)
{
	/* none: the configured rule; one: that long, shorter or longer */
	ck_assert_uint_eq(pb2b_retry_after_time(170, 50, -1), 170);
	ck_assert_uint_eq(pb2b_retry_after_time(170, 50, 0), 50);
	ck_assert_uint_eq(pb2b_retry_after_time(170, 50, 5), 55);
	ck_assert_uint_eq(pb2b_retry_after_time(170, 50, 600), 650);
	/* capped to a day */
	ck_assert_uint_eq(pb2b_retry_after_time(170, 50, PB2B_MAX_DELTA), 50 + 86400);
	ck_assert_uint_eq(
			pb2b_retry_after_time(170, 50, 0x7fffffff), 50 + PB2B_MAX_DELTA);
}
END_TEST

START_TEST(test_first_send_delay)
{
	pb2b_cfg_t c = defaults;
	unsigned int i, t, lo = ~0u, hi = 0;

	ck_assert_uint_eq(pb2b_first_send_time(&c, 10, 12345), 10);
	c.max_subscribe_delay = 5;
	for(i = 0; i < 200; i++) {
		t = pb2b_first_send_time(&c, 10, t_rand());
		ck_assert_uint_ge(t, 10);
		ck_assert_uint_le(t, 15);
		lo = t < lo ? t : lo;
		hi = t > hi ? t : hi;
	}
	ck_assert_uint_lt(lo, hi); /* spread, not all at one time */
}
END_TEST

/* ------------------------------------------------------------- parsing */

START_TEST(test_substate_parse)
{
	pb2b_substate_t ss;

	ck_assert_int_eq(pb2b_substate_parse(&LP_STR("active;expires=600"), &ss), 0);
	ck_assert_int_eq(ss.state, LP_QSTATE_ACTIVE);
	ck_assert_int_eq(ss.expires, 600);
	ck_assert_int_eq(pb2b_substate_parse(&LP_STR(" Pending "), &ss), 0);
	ck_assert_int_eq(ss.state, LP_QSTATE_PENDING);
	ck_assert_int_eq(ss.expires, -1);
	ck_assert_int_eq(pb2b_substate_parse(
							 &LP_STR("terminated ; reason = timeout;retry-after=5"), &ss),
			0);
	ck_assert_int_eq(ss.state, LP_QSTATE_TERMINATED);
	ck_assert(lp_str_eq(&ss.reason, &LP_STR("timeout")));
	ck_assert_int_eq(ss.retry_after, 5);
	ck_assert_int_eq(pb2b_substate_parse(&LP_STR("terminated"), &ss), 0);
	ck_assert_int_eq(ss.retry_after, -1);
	/* a huge retry-after is a long wait, not a malformed header */
	ck_assert_int_eq(pb2b_substate_parse(
							 &LP_STR("terminated;retry-after=99999999999"), &ss),
			0);
	ck_assert_int_eq(ss.retry_after, 0x7fffffff);
	ck_assert_int_eq(pb2b_substate_parse(
							 &LP_STR("terminated;retry-after=soon"), &ss),
			0);
	ck_assert_int_eq(ss.retry_after, -1);
	ck_assert_int_eq(pb2b_substate_parse(&LP_STR("bogus"), &ss), -1);
	ck_assert_int_eq(pb2b_substate_parse(&LP_STR("active;expires=x"), &ss), -1);
	ck_assert_int_eq(pb2b_substate_parse(&LP_STR(""), &ss), -1);
}
END_TEST

START_TEST(test_pidf_elements)
{
	lp_str_t doc = LP_STR("<?xml version=\"1.0\"?><presence xmlns=\"urn:ietf:"
						  "params:xml:ns:pidf\" entity=\"sip:bob@x\"><tuple id=\"t1\">"
						  "<status><basic> open </basic></status>"
						  "<note>at lunch</note></tuple></presence>");
	lp_str_t pfx = LP_STR("<p:presence xmlns:p=\"urn:ietf:params:xml:ns:pidf\">"
						  "<p:tuple><p:status><p:basic>closed</p:basic>"
						  "</p:status></p:tuple></p:presence>");
	lp_str_t v;

	v = pb2b_pidf_element(&doc, "basic");
	ck_assert(lp_str_eq(&v, &LP_STR("open")));
	v = pb2b_pidf_element(&doc, "note");
	ck_assert(lp_str_eq(&v, &LP_STR("at lunch")));
	v = pb2b_pidf_element(&pfx, "basic");
	ck_assert(lp_str_eq(&v, &LP_STR("closed")));
	v = pb2b_pidf_element(&pfx, "note");
	ck_assert_ptr_null(v.s);
	v = pb2b_pidf_element(&LP_STR("<xbasic>no</xbasic>"), "basic");
	ck_assert_ptr_null(v.s);
}
END_TEST

/* -------------------------------------------------------------- lives */

START_TEST(test_subscribe_notify_refresh)
{
	unsigned int id, n;
	pb2b_send_t *s, *r;
	found_t f;

	pb2b.cfg.default_expiration = 60;
	pb2b.cfg.resubscribe_delta = 10;
	pb2b.cfg.min_resubscribe_time = 5;
	pb2b.cfg.max_branches = 1; /* no forks: another remote tag is refused */
	start();
	id = subscribe("sip:bob@example.com");
	f = rec_of(id);
	ck_assert(f.seen);
	ck_assert_int_eq(f.copy.state, PB2B_IDLE);

	s = one_send();
	ck_assert_uint_eq(s->id, id);
	ck_assert_int_eq(s->expires, 60);
	ck_assert_int_eq(s->in_dialog, 0);
	ck_assert_str_eq(s->to_uri.s, "sip:bob@example.com");
	ck_assert_str_eq(s->target.s, "sip:bob@example.com");
	ck_assert_str_eq(s->from_uri.s, "sip:b2b@127.0.0.1");
	ck_assert_str_eq(s->route.s, "<sip:proxy.example.com;lr>");
	ck_assert_str_eq(s->package.s, "presence");
	ck_assert_int_eq(s->remote_tag.len, 0);
	ck_assert_int_eq(rec_of(id).copy.state, PB2B_SENT);
	no_send(); /* nothing while the SUBSCRIBE is out */

	clock_now += 1;
	reply(s, 202, "srv1", 40);
	f = rec_of(id);
	ck_assert_int_eq(f.copy.state, PB2B_CONFIRMED);
	ck_assert_uint_eq(f.copy.expires_at, 1001 + 40);
	ck_assert_uint_eq(f.copy.next_send, 1001 + 30);

	ck_assert_int_eq(notify(s, "srv1", "active;expires=40",
							 "<presence><tuple><status><basic>open</basic></status></tuple></presence>"),
			1);
	ck_assert_str_eq(last_doc(id, &n),
			"active|application/pidf+xml|<presence><tuple><status><basic>open</basic></status></tuple></presence>");
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(notify(s, "other", "active", "x"), -1); /* wrong remote tag */

	clock_now = 1001 + 29;
	no_send();
	clock_now = 1001 + 30;
	r = one_send();
	ck_assert_int_eq(r->in_dialog, 1);
	ck_assert_str_eq(r->remote_tag.s, "srv1");
	ck_assert_str_eq(r->local_tag.s, s->local_tag.s);
	ck_assert_str_eq(r->callid.s, s->callid.s);
	ck_assert_str_eq(r->target.s, "sip:pa@10.0.0.2:5060");
	ck_assert_str_eq(r->route.s, "<sip:rr2.example.com;lr>,<sip:rr1.example.com;lr>");
	ck_assert_uint_eq(r->cseq, s->cseq + 1);
	reply(s, 500, "", -1); /* a stale reply (old CSeq) changes nothing */
	ck_assert_int_eq(rec_of(id).copy.state, PB2B_CONFIRMED);
	reply(r, 200, "srv1", 60);
	ck_assert_uint_eq(rec_of(id).copy.next_send, 1031 + 50);
	pb2b_send_list_free(s);
	pb2b_send_list_free(r);

	ck_assert_int_eq(pb2b_rpc_unsubscribe(id), 0);
	s = one_send();
	ck_assert_int_eq(s->expires, 0);
	ck_assert_int_eq(rec_of(id).copy.state, PB2B_TERMINATING);
	reply(s, 200, "srv1", 0);
	ck_assert(rec_of(id).seen);
	ck_assert_int_eq(notify(s, "srv1", "terminated;reason=timeout", ""), 1);
	ck_assert(!rec_of(id).seen); /* gone with the terminating NOTIFY */
	ck_assert_int_eq(notify(s, "srv1", "terminated", ""), -1);
	pb2b_send_list_free(s);
	stop();
}
END_TEST

START_TEST(test_notify_before_2xx)
{
	unsigned int id, n;
	pb2b_send_t *s;

	pb2b.cfg.max_branches = 1; /* no forks: another remote tag is refused */
	start();
	id = subscribe("sip:carol@example.com");
	s = one_send();
	ck_assert_int_eq(notify(s, "srvtag", "pending;expires=3600", ""), 1);
	ck_assert_int_eq(rec_of(id).copy.state, PB2B_EARLY);
	ck_assert_str_eq(last_doc(id, &n), "pending|application/pidf+xml|");
	ck_assert_int_eq(notify(s, "another", "active", ""), -1);
	reply(s, 200, "srvtag", 3600);
	ck_assert_int_eq(rec_of(id).copy.state, PB2B_CONFIRMED);
	ck_assert_int_eq(notify(s, "srvtag", "active;expires=3599", "<basic>open</basic>"), 1);
	ck_assert_str_eq(last_doc(id, &n), "active|application/pidf+xml|<basic>open</basic>");
	ck_assert_uint_eq(n, 2);
	pb2b_send_list_free(s);
	stop();
}
END_TEST

START_TEST(test_unmatched_notifies)
{
	unsigned int id;
	pb2b_send_t *s;
	pb2b_notify_t n;

	start();
	id = subscribe("sip:dave@example.com");
	s = one_send();
	memset(&n, 0, sizeof(n));
	n.callid = LP_STR("unknown@x");
	n.to_tag = s->local_tag;
	n.event = LP_STR("presence");
	ck_assert_int_eq(pb2b_handle_notify(&n, clock_now), -1);
	n.callid = s->callid;
	n.to_tag = LP_STR("notmine");
	ck_assert_int_eq(pb2b_handle_notify(&n, clock_now), -1);
	n.to_tag = s->local_tag;
	n.event = LP_STR("dialog");
	ck_assert_int_eq(pb2b_handle_notify(&n, clock_now), -1);
	n.event = LP_STR_NULL;
	ck_assert_int_eq(pb2b_handle_notify(&n, clock_now), -1);
	n.event = LP_STR("presence;id=1");
	n.from_tag = LP_STR("t");
	ck_assert_int_eq(pb2b_handle_notify(&n, clock_now), 1);
	ck_assert_uint_eq(rec_of(id).copy.n_notify, 1);
	pb2b_send_list_free(s);
	stop();
}
END_TEST

START_TEST(test_error_then_retry)
{
	unsigned int id;
	pb2b_send_t *s, *r;
	found_t f;

	pb2b.cfg.on_error_retry_time = 7;
	start();
	id = subscribe("sip:nobody@example.com");
	s = one_send();
	reply(s, 404, "x", -1);
	f = rec_of(id);
	ck_assert_int_eq(f.copy.state, PB2B_IDLE);
	ck_assert_int_eq(f.copy.last_code, 404);
	ck_assert_uint_eq(f.copy.next_send, 1007);
	ck_assert_int_eq(notify(s, "x", "active", ""), -1); /* dialog is gone */
	clock_now = 1006;
	no_send();
	clock_now = 1007;
	r = one_send();
	ck_assert_str_eq(r->callid.s, s->callid.s);
	ck_assert_str_ne(r->local_tag.s, s->local_tag.s); /* a new dialog */
	ck_assert_int_eq(r->in_dialog, 0);
	pb2b_send_failed(r, clock_now); /* could not send: like a 408 */
	ck_assert_int_eq(rec_of(id).copy.last_code, 408);
	ck_assert_uint_eq(rec_of(id).copy.next_send, 1014);
	pb2b_send_list_free(s);
	pb2b_send_list_free(r);
	/* no dialog: unsubscribing removes the record at once */
	ck_assert_int_eq(pb2b_rpc_unsubscribe(id), 0);
	ck_assert(!rec_of(id).seen);
	stop();
}
END_TEST

START_TEST(test_delta_parse)
{
	static const struct {
		const char *v;
		int want;
	} t[] = {{"3600", 3600}, {"0", 0}, {" 120 (back soon)", 120},
			{"30;duration=60", 30}, {"0060", 60}, {"4294967296", 0x7fffffff},
			{"99999999999999999999", 0x7fffffff}, {"", -1}, {"-5", -1},
			{"abc", -1}, {"12x", -1}};
	unsigned int i;
	lp_str_t v;

	for(i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		v = lp_str_c(t[i].v);
		ck_assert_msg(pb2b_delta_parse(&v) == t[i].want, "'%s'", t[i].v);
	}
	v = LP_STR_NULL;
	ck_assert_int_eq(pb2b_delta_parse(&v), -1);
}
END_TEST

START_TEST(test_initial_423_retries_with_min_expires)
{
	unsigned int id;
	pb2b_send_t *s, *r;

	pb2b.cfg.default_expiration = 60;
	start();
	id = subscribe("sip:frank@example.com");
	s = one_send();
	ck_assert_int_eq(s->expires, 60);
	reply_err(s, 423, 1800, -1);
	ck_assert_int_eq(rec_of(id).copy.state, PB2B_IDLE);
	ck_assert_uint_eq(rec_of(id).copy.next_send, 1000); /* at once */
	r = one_send();
	ck_assert_int_eq(r->expires, 1800);
	ck_assert_int_eq(r->in_dialog, 0);
	reply(r, 200, "t1", 1800);
	ck_assert_int_eq(rec_of(id).copy.state, PB2B_CONFIRMED);
	pb2b_send_list_free(r);
	/* a 423 whose Min-Expires is no more than what we asked: plain error */
	clock_now = 1000 + 1800 - 30;
	r = one_send();
	ck_assert_int_eq(r->expires, 1800);
	reply_err(r, 423, 1800, -1);
	ck_assert_int_eq(rec_of(id).copy.state, PB2B_IDLE);
	ck_assert_uint_eq(rec_of(id).copy.next_send, clock_now + 120);
	pb2b_send_list_free(r);
	pb2b_send_list_free(s);
	stop();
}
END_TEST

START_TEST(test_refresh_423_keeps_dialog)
{
	unsigned int id;
	pb2b_send_t *s, *r;

	pb2b.cfg.default_expiration = 60;
	start();
	id = subscribe("sip:gina@example.com");
	s = one_send();
	reply(s, 200, "t1", 60);
	clock_now = 1030;
	r = one_send();
	ck_assert_int_eq(r->in_dialog, 1);
	reply_err(r, 423, 600, -1);
	/* the dialog stays; the refresh goes out again now, asking 600 s */
	ck_assert_int_eq(rec_of(id).copy.state, PB2B_CONFIRMED);
	pb2b_send_list_free(r);
	r = one_send();
	ck_assert_int_eq(r->in_dialog, 1);
	ck_assert_int_eq(r->expires, 600);
	ck_assert_str_eq(r->remote_tag.s, "t1");
	pb2b_send_list_free(r);
	pb2b_send_list_free(s);
	stop();
}
END_TEST

START_TEST(test_retry_after_honoured)
{
	unsigned int id;
	pb2b_send_t *s, *r;

	pb2b.cfg.on_error_retry_time = 120;
	start();
	id = subscribe("sip:hal@example.com");
	s = one_send();
	reply_err(s, 503, -1, 17);
	ck_assert_uint_eq(rec_of(id).copy.next_send, 1017);
	clock_now = 1016;
	no_send();
	clock_now = 1017;
	r = one_send();
	/* an absurd Retry-After is bounded to a day */
	reply_err(r, 503, -1, 0x7fffffff);
	ck_assert_uint_eq(rec_of(id).copy.next_send, 1017 + PB2B_MAX_DELTA);
	pb2b_send_list_free(r);
	pb2b_send_list_free(s);
	stop();
}
END_TEST

/* Retry-After on the other error classes (480, 500, 600, 603) sets the
 * next attempt as on a 503; without it on_error_retry_time applies. */
START_TEST(test_retry_after_every_class)
{
	static const int codes[] = {480, 500, 503, 600, 603};
	unsigned int id, i;
	pb2b_send_t *s;

	pb2b.cfg.on_error_retry_time = 120;
	start();
	id = subscribe("sip:ida@example.com");
	for(i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		s = one_send();
		reply_err(s, codes[i], -1, 40 + (int)i);
		ck_assert_int_eq(rec_of(id).copy.state, PB2B_IDLE);
		ck_assert_uint_eq(rec_of(id).copy.next_send, clock_now + 40 + i);
		clock_now += 39 + i;
		no_send(); /* not a second before */
		clock_now += 1;
		pb2b_send_list_free(s);
	}
	s = one_send();
	reply_err(s, 503, -1, -1);
	ck_assert_uint_eq(rec_of(id).copy.next_send, clock_now + 120);
	pb2b_send_list_free(s);
	stop();
}
END_TEST

/* A refresh refused with a Retry-After that comes before the expiry keeps
 * the dialog (RFC 6665 s4.1.2.2) and refreshes it in the dialog then; one
 * that comes after the expiry ends the dialog and starts a new one then. */
START_TEST(test_refresh_retry_after_keeps_dialog)
{
	unsigned int id;
	pb2b_send_t *s, *r, *r2;

	pb2b.cfg.default_expiration = 600;
	start();
	id = subscribe("sip:jo@example.com");
	s = one_send();
	reply(s, 200, "t1", 600);
	clock_now = 1000 + 570;
	r = one_send();
	ck_assert_int_eq(r->in_dialog, 1);
	reply_err(r, 503, -1, 10);
	ck_assert_int_eq(rec_of(id).copy.state, PB2B_CONFIRMED);
	ck_assert_uint_eq(rec_of(id).copy.next_send, 1580);
	clock_now = 1579;
	no_send();
	clock_now = 1580;
	r2 = one_send();
	ck_assert_int_eq(r2->in_dialog, 1);
	ck_assert_str_eq(r2->remote_tag.s, "t1");
	ck_assert_uint_eq(r2->cseq, r->cseq + 1);
	/* the next wait would pass the expiry (1600): the dialog ends */
	reply_err(r2, 503, -1, 30);
	ck_assert_int_eq(rec_of(id).copy.state, PB2B_IDLE);
	ck_assert_uint_eq(rec_of(id).copy.next_send, 1610);
	pb2b_send_list_free(s);
	pb2b_send_list_free(r);
	pb2b_send_list_free(r2);
	stop();
}
END_TEST

/* A terminating NOTIFY's retry-after (RFC 6665 s4.1.3): no new SUBSCRIBE
 * before it, whatever the reason; an absurd one is capped to a day. */
START_TEST(test_terminated_retry_after)
{
	unsigned int id, n;
	pb2b_send_t *s, *r;

	pb2b.cfg.on_error_retry_time = 50;
	start();
	id = subscribe("sip:kim@example.com");
	s = one_send();
	reply(s, 200, "t1", 3600);
	ck_assert_int_eq(notify(s, "t1",
							 "terminated;reason=probation;retry-after=7", ""),
			1);
	ck_assert_str_eq(last_doc(id, &n), "terminated|application/pidf+xml|");
	ck_assert_int_eq(rec_of(id).copy.state, PB2B_IDLE);
	ck_assert_uint_eq(rec_of(id).copy.next_send, 1007); /* not 1050 */
	clock_now = 1006;
	no_send();
	clock_now = 1007;
	r = one_send();
	reply(r, 200, "t2", 3600);
	/* deactivated would retry at once: retry-after delays it */
	ck_assert_int_eq(notify(r, "t2",
							 "terminated;reason=deactivated;retry-after=20", ""),
			1);
	ck_assert_uint_eq(rec_of(id).copy.next_send, 1027);
	pb2b_send_list_free(r);
	clock_now = 1027;
	r = one_send();
	reply(r, 200, "t3", 3600);
	ck_assert_int_eq(notify(r, "t3",
							 "terminated;reason=giveup;retry-after=4294967296", ""),
			1);
	ck_assert_uint_eq(rec_of(id).copy.next_send, 1027 + PB2B_MAX_DELTA);
	pb2b_send_list_free(s);
	pb2b_send_list_free(r);
	stop();
}
END_TEST

/* ------------------------------------------------------------- forks */

/* A forked SUBSCRIBE: two notifiers answer with NOTIFYs from tags A and B.
 * Each is a dialog: both bodies reach the subscriber as they come, each is
 * refreshed in its own dialog (its tag, CSeq, Contact, route set) and each
 * gets its own Expires: 0 at the unsubscribe. */
START_TEST(test_fork_two_dialogs)
{
	unsigned int id, n;
	pb2b_send_t *s, *l, *by[2];

	pb2b.cfg.default_expiration = 60;
	pb2b.cfg.resubscribe_delta = 10;
	pb2b.cfg.min_resubscribe_time = 5;
	start();
	id = subscribe("sip:fox@example.com");
	s = one_send();
	ck_assert_int_eq(notify_br(s, "A1", "active;expires=60", "docA",
							 "sip:a@10.0.0.1", "<sip:pA;lr>"),
			1);
	ck_assert_int_eq(notify_br(s, "B1", "active;expires=40", "docB",
							 "sip:b@10.0.0.2", "<sip:p1;lr>,<sip:pB;lr>"),
			1);
	ck_assert_int_eq(branches(), 2);
	ck_assert_str_eq(last_doc(id, &n), "active|application/pidf+xml|docB");
	ck_assert_uint_eq(n, 2); /* each branch's body, as it came */
	reply(s, 200, "A1", 60);
	ck_assert_int_eq(rec_of(id).copy.state, PB2B_CONFIRMED);
	ck_assert_int_eq(branches(), 2);

	clock_now = 1030; /* B's refresh (40 - 10); A's is at 1050 */
	two_sends(&l, by, 1);
	ck_assert_ptr_nonnull(by[1]);
	ck_assert_str_eq(by[1]->remote_tag.s, "B1");
	ck_assert_str_eq(by[1]->local_tag.s, s->local_tag.s);
	ck_assert_str_eq(by[1]->callid.s, s->callid.s);
	ck_assert_str_eq(by[1]->target.s, "sip:b@10.0.0.2");
	ck_assert_str_eq(by[1]->route.s, "<sip:p1;lr>,<sip:pB;lr>");
	ck_assert_int_eq(by[1]->route_in_order, 1);
	ck_assert_int_eq(by[1]->in_dialog, 1);
	ck_assert_int_eq(by[1]->expires, 60);
	ck_assert_uint_eq(by[1]->cseq, s->cseq + 1);
	reply(by[1], 200, "B1", 60);
	pb2b_send_list_free(l);
	clock_now = 1050;
	two_sends(&l, by, 1);
	ck_assert_ptr_nonnull(by[0]);
	ck_assert_str_eq(by[0]->remote_tag.s, "A1");
	ck_assert_uint_eq(by[0]->cseq, s->cseq + 1);
	ck_assert_int_eq(by[0]->route_in_order, 1); /* NOTIFY before the 2xx */
	ck_assert_str_eq(by[0]->route.s, "<sip:pA;lr>");
	reply(by[0], 200, "A1", 60);
	pb2b_send_list_free(l);
	ck_assert_int_eq(notify_br(s, "B1", "active;expires=50", "docB2", "", ""), 1);
	ck_assert_str_eq(last_doc(id, &n), "active|application/pidf+xml|docB2");

	ck_assert_int_eq(pb2b_rpc_unsubscribe(id), 0);
	two_sends(&l, by, 2);
	ck_assert(by[0] && by[1]);
	ck_assert_int_eq(by[0]->expires, 0);
	ck_assert_int_eq(by[1]->expires, 0);
	ck_assert_uint_eq(by[1]->cseq, s->cseq + 2);
	ck_assert_int_eq(notify_br(s, "A1", "terminated", "", "", ""), 1);
	ck_assert(rec_of(id).seen); /* B still ends */
	ck_assert_int_eq(notify_br(s, "B1", "terminated", "", "", ""), 1);
	no_send(); /* the next timer run removes the record */
	ck_assert(!rec_of(id).seen);
	pb2b_send_list_free(l);
	pb2b_send_list_free(s);
	stop();
}
END_TEST

/* max_branches: a NOTIFY of one branch too many is refused (481); a new
 * branch is taken again once one has ended. A branch's own termination is
 * not passed on to the subscriber. */
START_TEST(test_fork_limit)
{
	unsigned int id, n;
	pb2b_send_t *s;

	pb2b.cfg.max_branches = 2;
	start();
	id = subscribe("sip:gil@example.com");
	s = one_send();
	reply(s, 202, "A1", 3600);
	ck_assert_int_eq(notify_br(s, "A1", "active", "a", "", ""), 1);
	ck_assert_int_eq(notify_br(s, "B1", "active", "b", "", ""), 1);
	ck_assert_int_eq(notify_br(s, "C1", "active", "c", "", ""), -1);
	ck_assert_int_eq(notify_br(s, "C1", "active", "c", "", ""), -1);
	ck_assert_int_eq(branches(), 2);
	ck_assert_int_eq(notify_br(s, "B1", "terminated;reason=noresource", "", "", ""), 1);
	ck_assert_int_eq(branches(), 1);
	ck_assert_str_eq(last_doc(id, &n), "active|application/pidf+xml|b");
	ck_assert_int_eq(rec_of(id).copy.state, PB2B_CONFIRMED);
	ck_assert_int_eq(notify_br(s, "C1", "active", "c", "", ""), 1);
	ck_assert_int_eq(branches(), 2);
	/* a branch that starts terminated is accepted and not kept */
	ck_assert_int_eq(notify_br(s, "D1", "terminated", "", "", ""), 1);
	ck_assert_int_eq(branches(), 2);
	no_send();
	pb2b_send_list_free(s);
	stop();
}
END_TEST

/* A fork whose refresh fails is dropped (481, or a timeout), and one whose
 * Retry-After ends before its expiry is retried in its dialog; when the
 * first dialog ends, the forks are unsubscribed and the new initial
 * SUBSCRIBE may fork anew. */
START_TEST(test_fork_errors_and_first_end)
{
	unsigned int id;
	pb2b_send_t *s, *l, *l0, *by[2], *x;

	pb2b.cfg.default_expiration = 60;
	pb2b.cfg.resubscribe_delta = 10;
	pb2b.cfg.min_resubscribe_time = 5;
	start();
	id = subscribe("sip:hugo@example.com");
	s = one_send();
	reply(s, 200, "A1", 3600);
	ck_assert_int_eq(notify_br(s, "B1", "active;expires=20", "b", "", ""), 1);
	clock_now = 1010;
	two_sends(&l, by, 1);
	ck_assert_str_eq(by[1]->target.s, "sip:hugo@example.com"); /* no Contact */
	reply_err(by[1], 503, -1, 3);
	pb2b_send_list_free(l);
	ck_assert_int_eq(branches(), 2);
	clock_now = 1013;
	two_sends(&l, by, 1);
	pb2b_send_failed(by[1], clock_now); /* a timeout ends the fork */
	ck_assert_int_eq(branches(), 1);
	pb2b_send_list_free(l);
	ck_assert_int_eq(notify_br(s, "B2", "active", "b", "", ""), 1);
	clock_now = 1013 + 50;
	two_sends(&l, by, 1);
	reply_err(by[1], 481, -1, -1);
	ck_assert_int_eq(branches(), 1);
	pb2b_send_list_free(l);
	ck_assert_int_eq(notify_br(s, "B3", "active", "b", "", ""), 1);
	/* the first dialog ends: B3 gets its Expires: 0, a new dialog starts */
	ck_assert_int_eq(notify_br(s, "A1", "terminated;reason=deactivated", "", "", ""), 1);
	ck_assert_int_eq(branches(), 0);
	two_sends(&l, by, 2);
	ck_assert_ptr_nonnull(by[1]);
	ck_assert_int_eq(by[1]->expires, 0);
	ck_assert_str_eq(by[1]->local_tag.s, s->local_tag.s);
	x = by[1] == l ? l->next : l;
	ck_assert_int_eq(x->remote_tag.len, 0);
	ck_assert_str_ne(x->local_tag.s, s->local_tag.s);
	/* the old branch's NOTIFYs are still its own, the new one forks */
	ck_assert_int_eq(notify_br(x, "A4", "active", "a", "", ""), 1);
	ck_assert_int_eq(notify_br(x, "B4", "active", "b", "", ""), 1);
	ck_assert_int_eq(branches(), 2);
	ck_assert_int_eq(notify_br(s, "B3", "terminated", "", "", ""), 1);
	ck_assert_int_eq(branches(), 2);
	/* the unsubscribe ends both new dialogs, the record waits for them */
	ck_assert_int_eq(pb2b_rpc_unsubscribe(id), 0);
	two_sends(&l0, by, 2);
	ck_assert_int_eq(by[0]->expires, 0);
	ck_assert_int_eq(by[1]->expires, 0);
	reply(x, 200, "A4", 3600); /* stale: the initial's reply came late */
	ck_assert_int_eq(notify_br(x, "A4", "terminated", "", "", ""), 1);
	ck_assert(rec_of(id).seen);
	clock_now += pb2b.cfg.wait_for_term_notify;
	no_send();
	ck_assert(!rec_of(id).seen);
	pb2b_send_list_free(l0);
	pb2b_send_list_free(l);
	pb2b_send_list_free(s);
	stop();
}
END_TEST

/* Our tags and Call-IDs carry 128 random bits; what a dialog keeps from
 * the network is bounded: a NOTIFY over the limits is refused (-2: 400)
 * and changes nothing, a 2xx over them is an error reply. */
START_TEST(test_tokens_and_stored_sizes)
{
	char big[PB2B_ROUTE_MAX + 2];
	unsigned int id, n;
	pb2b_send_t *s;
	pb2b_notify_t nt;
	pb2b_reply_t r;

	start();
	id = subscribe("sip:lou@example.com");
	s = one_send();
	ck_assert_int_eq(s->local_tag.len, 32);
	ck_assert_int_eq((int)strspn(s->local_tag.s, "0123456789abcdef"), 32);
	ck_assert_int_eq((int)strcspn(s->callid.s, "-"), 32);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memset(&nt, 0, sizeof(nt));
	nt.callid = s->callid;
	nt.to_tag = s->local_tag;
	nt.event = LP_STR("presence");
	nt.from_tag.s = big;
	nt.from_tag.len = PB2B_RTAG_MAX + 1;
	ck_assert_int_eq(pb2b_handle_notify(&nt, clock_now), -2);
	nt.from_tag.len = PB2B_RTAG_MAX;
	nt.contact.s = big;
	nt.contact.len = PB2B_TARGET_MAX + 1;
	ck_assert_int_eq(pb2b_handle_notify(&nt, clock_now), -2);
	nt.contact.len = 0;
	nt.record_route.s = big;
	nt.record_route.len = PB2B_ROUTE_MAX + 1;
	ck_assert_int_eq(pb2b_handle_notify(&nt, clock_now), -2);
	ck_assert_int_eq(rec_of(id).copy.state, PB2B_SENT); /* nothing applied */
	ck_assert_ptr_null(last_doc(id, &n));
	nt.record_route.len = PB2B_ROUTE_MAX; /* at the limits: taken */
	nt.contact.s = big;
	nt.contact.len = PB2B_TARGET_MAX;
	ck_assert_int_eq(pb2b_handle_notify(&nt, clock_now), 1);
	ck_assert_int_eq(rec_of(id).copy.state, PB2B_EARLY);
	memset(&r, 0, sizeof(r));
	r.code = 200;
	r.to_tag = nt.from_tag;
	r.expires = 3600;
	r.record_route.s = big;
	r.record_route.len = PB2B_ROUTE_MAX + 1;
	r.min_expires = r.retry_after = -1;
	ck_assert_int_eq(pb2b_handle_reply(&s->callid, &s->remote_tag, s->cseq,
							 &r, clock_now),
			0);
	ck_assert_int_eq(rec_of(id).copy.state, PB2B_IDLE);
	ck_assert_int_eq(rec_of(id).copy.last_code, 500);
	ck_assert_uint_eq(rec_of(id).copy.next_send, clock_now + 120);
	pb2b_send_list_free(s);
	stop();
}
END_TEST

/* A NOTIFY whose CSeq is lower than the last one of its dialog (first
 * dialog or fork) is out of order: -3 (500), nothing applied. */
START_TEST(test_notify_cseq_out_of_order)
{
	unsigned int id, n;
	pb2b_send_t *s;
	pb2b_notify_t nt;

	start();
	id = subscribe("sip:may@example.com");
	s = one_send();
	reply(s, 200, "A1", 3600);
	memset(&nt, 0, sizeof(nt));
	nt.callid = s->callid;
	nt.to_tag = s->local_tag;
	nt.event = LP_STR("presence");
	nt.has_substate = 1;
	nt.substate = LP_STR("active");
	nt.body = LP_STR("one");
	nt.from_tag = LP_STR("A1");
	nt.cseq = 5;
	ck_assert_int_eq(pb2b_handle_notify(&nt, clock_now), 1);
	nt.from_tag = LP_STR("B1");
	ck_assert_int_eq(pb2b_handle_notify(&nt, clock_now), 1);
	nt.substate = LP_STR("terminated");
	nt.cseq = 4; /* a replayed termination of either dialog */
	ck_assert_int_eq(pb2b_handle_notify(&nt, clock_now), -3);
	nt.from_tag = LP_STR("A1");
	ck_assert_int_eq(pb2b_handle_notify(&nt, clock_now), -3);
	ck_assert_int_eq(rec_of(id).copy.state, PB2B_CONFIRMED);
	ck_assert_int_eq(branches(), 2);
	ck_assert_str_eq(last_doc(id, &n), "active||one");
	ck_assert_uint_eq(n, 2);
	nt.cseq = 5; /* equal: not out of order (tm absorbs retransmissions) */
	nt.substate = LP_STR("active");
	ck_assert_int_eq(pb2b_handle_notify(&nt, clock_now), 1);
	nt.cseq = 6;
	nt.substate = LP_STR("terminated;reason=rejected");
	ck_assert_int_eq(pb2b_handle_notify(&nt, clock_now), 1);
	ck_assert_int_eq(rec_of(id).copy.state, PB2B_IDLE);
	pb2b_send_list_free(s);
	stop();
}
END_TEST

START_TEST(test_refresh_481_starts_over)
{
	unsigned int id;
	pb2b_send_t *s, *r;

	pb2b.cfg.default_expiration = 60;
	start();
	id = subscribe("sip:erin@example.com");
	s = one_send();
	reply(s, 200, "t1", 60);
	clock_now = 1030;
	r = one_send();
	reply(r, 481, "", -1);
	ck_assert_int_eq(rec_of(id).copy.state, PB2B_IDLE);
	ck_assert_uint_eq(rec_of(id).copy.next_send, 1030);
	pb2b_send_list_free(r);
	r = one_send();
	ck_assert_int_eq(r->in_dialog, 0);
	pb2b_send_list_free(r);
	pb2b_send_list_free(s);
	stop();
}
END_TEST

START_TEST(test_unsubscribe_without_term_notify)
{
	unsigned int id;
	pb2b_send_t *s, *u;

	pb2b.cfg.wait_for_term_notify = 3;
	start();
	id = subscribe("sip:fay@example.com");
	s = one_send();
	reply(s, 200, "t1", 3600);
	ck_assert_int_eq(pb2b_rpc_unsubscribe(id), 0);
	u = one_send();
	ck_assert_int_eq(u->expires, 0);
	reply(u, 200, "t1", 0);
	clock_now = 1002;
	no_send();
	ck_assert(rec_of(id).seen);
	clock_now = 1003;
	no_send();
	ck_assert(!rec_of(id).seen);
	pb2b_send_list_free(s);
	pb2b_send_list_free(u);
	stop();
}
END_TEST

/* Unsubscribed while the first SUBSCRIBE is out: the dialog is ended as
 * soon as its remote tag is known. */
START_TEST(test_unsubscribe_while_unconfirmed)
{
	unsigned int id;
	pb2b_send_t *s, *u;

	start();
	id = subscribe("sip:gus@example.com");
	s = one_send();
	ck_assert_int_eq(pb2b_rpc_unsubscribe(id), 0);
	no_send();
	reply(s, 200, "t9", 3600);
	u = one_send();
	ck_assert_int_eq(u->expires, 0);
	ck_assert_str_eq(u->remote_tag.s, "t9");
	ck_assert_int_eq(notify(u, "t9", "terminated", ""), 1);
	ck_assert(!rec_of(id).seen);
	pb2b_send_list_free(s);
	pb2b_send_list_free(u);
	stop();
}
END_TEST

START_TEST(test_server_terminates)
{
	unsigned int id, n;
	pb2b_send_t *s, *r;

	pb2b.cfg.on_error_retry_time = 50;
	start();
	id = subscribe("sip:hal@example.com");
	s = one_send();
	reply(s, 200, "t1", 3600);
	ck_assert_int_eq(notify(s, "t1", "terminated;reason=rejected", ""), 1);
	ck_assert_str_eq(last_doc(id, &n), "terminated|application/pidf+xml|");
	ck_assert_int_eq(rec_of(id).copy.state, PB2B_IDLE);
	ck_assert_uint_eq(rec_of(id).copy.next_send, 1050);
	clock_now = 1050;
	r = one_send();
	reply(r, 200, "t2", 3600);
	ck_assert_int_eq(notify(r, "t2", "terminated;reason=timeout", ""), 1);
	ck_assert_uint_eq(rec_of(id).copy.next_send, 1050); /* at once */
	pb2b_send_list_free(s);
	pb2b_send_list_free(r);
	stop();
}
END_TEST

START_TEST(test_max_subscribe_delay_spreads)
{
	unsigned int ids[20], i, lo = ~0u, hi = 0, t;
	char uri[64];
	pb2b_send_t *s;
	int sent = 0;

	pb2b.cfg.max_subscribe_delay = 4;
	start();
	for(i = 0; i < 20; i++) {
		snprintf(uri, sizeof(uri), "sip:u%u@example.com", i);
		ids[i] = subscribe(uri);
		t = rec_of(ids[i]).copy.next_send;
		ck_assert_uint_le(t, 1004);
		lo = t < lo ? t : lo;
		hi = t > hi ? t : hi;
	}
	ck_assert_uint_lt(lo, hi);
	for(clock_now = 1000; clock_now <= 1004; clock_now++) {
		s = pb2b_timer(clock_now);
		for(pb2b_send_t *x = s; x; x = x->next)
			sent++;
		pb2b_send_list_free(s);
	}
	ck_assert_int_eq(sent, 20);
	stop();
}
END_TEST

START_TEST(test_no_provider_when_disabled)
{
	unsigned int id;
	lp_str_t rec = LP_STR("sip:x@example.com"), pkg = LP_STR("presence");

	pb2b.cfg.handle_presence = 0;
	start();
	ck_assert_int_eq(pb2b_rpc_subscribe(&rec, &pkg, NULL, &id), LP_QSVC_ENOPROV);
	ck_assert_int_eq(pb2b_count(), 0);
	stop();
}
END_TEST

/* A whole life with allocation n failing: nothing crashes or leaks. */
static void oom_life(void)
{
	unsigned int id = 0, n;
	pb2b_send_t *s, *u;
	lp_str_t rec = LP_STR("sip:oom@example.com"), pkg = LP_STR("presence");

	if(pb2b_init() < 0)
		return;
	if(pb2b_rpc_subscribe(&rec, &pkg, NULL, &id) == 0) {
		s = pb2b_timer(clock_now);
		if(s) {
			reply(s, 200, "t1", 3600);
			notify(s, "t1", "active", "<basic>open</basic>");
			notify_br(s, "t2", "active", "b", "sip:b@x", "<sip:p;lr>");
			last_doc(id, &n);
		}
		pb2b_rpc_unsubscribe(id);
		u = pb2b_timer(clock_now);
		if(u) {
			notify(u, "t1", "terminated", "");
			notify(u, "t2", "terminated", "");
		}
		pb2b_send_list_free(s);
		pb2b_send_list_free(u);
	}
	pb2b_destroy();
}

START_TEST(test_every_allocation_fails)
{
	long calls;
	int n;

	oom_life();
	ck_assert_int_eq(lp_test_mem_live(), 0);
	calls = lp_test_mem_calls();
	ck_assert_int_gt(calls, 10);
	for(n = 1; n <= calls; n++) {
		lp_test_mem_install();
		lp_test_mem_fail_at(n);
		oom_life();
		ck_assert_msg(lp_test_mem_live() == 0, "leak when allocation %d fails", n);
	}
}
END_TEST

Suite *b2b_suite(void)
{
	Suite *s = suite_create("b2b");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_refresh_time);
	tcase_add_test(tc, test_first_send_delay);
	tcase_add_test(tc, test_substate_parse);
	tcase_add_test(tc, test_delta_parse);
	tcase_add_test(tc, test_pidf_elements);
	tcase_add_test(tc, test_subscribe_notify_refresh);
	tcase_add_test(tc, test_notify_before_2xx);
	tcase_add_test(tc, test_unmatched_notifies);
	tcase_add_test(tc, test_error_then_retry);
	tcase_add_test(tc, test_refresh_481_starts_over);
	tcase_add_test(tc, test_initial_423_retries_with_min_expires);
	tcase_add_test(tc, test_refresh_423_keeps_dialog);
	tcase_add_test(tc, test_retry_after_honoured);
	tcase_add_test(tc, test_retry_after_time);
	tcase_add_test(tc, test_retry_after_every_class);
	tcase_add_test(tc, test_refresh_retry_after_keeps_dialog);
	tcase_add_test(tc, test_terminated_retry_after);
	tcase_add_test(tc, test_fork_two_dialogs);
	tcase_add_test(tc, test_fork_limit);
	tcase_add_test(tc, test_tokens_and_stored_sizes);
	tcase_add_test(tc, test_notify_cseq_out_of_order);
	tcase_add_test(tc, test_fork_errors_and_first_end);
	tcase_add_test(tc, test_unsubscribe_without_term_notify);
	tcase_add_test(tc, test_unsubscribe_while_unconfirmed);
	tcase_add_test(tc, test_server_terminates);
	tcase_add_test(tc, test_max_subscribe_delay_spreads);
	tcase_add_test(tc, test_no_provider_when_disabled);
	tcase_add_test(tc, test_every_allocation_fails);
	suite_add_tcase(s, tc);
	return s;
}
