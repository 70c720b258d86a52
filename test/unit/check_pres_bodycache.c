/* The NOTIFY fan-out: the body cache (one body per filtering outcome,
 * shared by the watchers that have it; a new state gives new bodies;
 * watchers with different outcomes get different bodies; per-watcher
 * rewrites never shared) and the fan-out lock of a presentity (two
 * fan-outs racing in two threads: each watcher's NOTIFYs in CSeq order,
 * the last with the newest state, Kamailio's #3192). Presence logic
 * without Kamailio, on a temp SQLite DB. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lp_log.h"
#include "lp_test.h"
#include "pres_bodycache.h"
#include "pres_logic.h"
#include "pres_pub.h"
#include "pres_subs.h"
#include "t_fan_fixture.h"


/* ---- event callbacks: a filter per watcher, a per-watcher rewrite ---- */

static int auth_calls, aux_calls;

/* The document with the watcher's user appended: one outcome per user. */
static int auth_stub(lp_str_t *body, subs_t *s, lp_str_t **final)
{
	lp_str_t *f = malloc(sizeof(*f));

	ck_assert_ptr_nonnull(f);
	auth_calls++;
	f->s = malloc(body->len + s->from_user.len + 16);
	ck_assert_ptr_nonnull(f->s);
	f->len = sprintf(f->s, "%.*s<!--%.*s-->", LP_STR_FMT(*body),
			LP_STR_FMT(s->from_user));
	*final = f;
	return 0;
}

static lp_str_t *aux_stub(subs_t *s, lp_str_t *body)
{
	lp_str_t *f = malloc(sizeof(*f));

	ck_assert_ptr_nonnull(f);
	aux_calls++;
	f->s = malloc(body->len + 32);
	ck_assert_ptr_nonnull(f->s);
	f->len = sprintf(f->s, "%.*s<!--v%d-->", LP_STR_FMT(*body), s->version);
	return f;
}

static void free_stub(char *p)
{
	free(p);
}

static int allow_stub(subs_t *s)
{
	s->status = ACTIVE_STATUS;
	return 0;
}

static int publ_stub(struct sip_msg *msg)
{
	return 0;
}

static pres_ev_t ev_plain, ev_auth, ev_aux;

static void events_init(void)
{
	memset(&ev_plain, 0, sizeof(ev_plain));
	ev_plain.name = LP_STR("presence");
	ev_plain.content_type = LP_STR(LP_TEST_FAN_CT);
	ev_plain.default_expires = 3600;
	ev_plain.type = PUBL_TYPE;
	ev_plain.evs_publ_handl = publ_stub;
	ev_auth = ev_plain;
	ev_auth.req_auth = 1;
	ev_auth.apply_auth_nbody = auth_stub;
	ev_auth.get_auth_status = allow_stub;
	ev_auth.free_body = free_stub;
	ev_aux = ev_plain;
	ev_aux.aux_body_processing = aux_stub;
	ev_aux.aux_free_body = free_stub;
	auth_calls = aux_calls = 0;
}

static subs_t watcher(pres_ev_t *ev, const char *user, int status)
{
	subs_t s;

	memset(&s, 0, sizeof(s));
	s.event = ev;
	s.from_user = lp_str_c(user);
	s.from_domain = LP_STR(LP_TEST_FAN_DOMAIN);
	s.status = status;
	return s;
}

/* ---- the cache alone ---- */

START_TEST(test_cache_shares_unfiltered)
{
	lp_str_t doc = LP_STR(LP_TEST_DOC_OPEN), b1, b2;
	subs_t a = watcher(&ev_plain, "alice", ACTIVE_STATUS);
	subs_t b = watcher(&ev_plain, "bob", ACTIVE_STATUS);
	pres_bodycache_t bc;
	int own1, own2;

	events_init();
	pres_bodycache_init(&bc, &doc);
	ck_assert_int_eq(pres_bodycache_get(&bc, &a, &b1, &own1), 0);
	ck_assert_int_eq(pres_bodycache_get(&bc, &b, &b2, &own2), 0);
	ck_assert_int_eq(own1 | own2, 0);
	ck_assert_ptr_eq(b1.s, doc.s); /* the document itself, no copy */
	ck_assert_ptr_eq(b2.s, doc.s);
	ck_assert_int_eq(bc.filtered, 0);
	pres_bodycache_free(&bc);
}
END_TEST

START_TEST(test_cache_pending_gets_nothing)
{
	lp_str_t doc = LP_STR(LP_TEST_DOC_OPEN), out;
	subs_t p = watcher(&ev_auth, "paula", PENDING_STATUS);
	pres_bodycache_t bc;
	int own;

	events_init();
	pres_bodycache_init(&bc, &doc);
	ck_assert_int_eq(pres_bodycache_get(&bc, &p, &out, &own), 0);
	ck_assert_ptr_null(out.s);
	ck_assert_int_eq(auth_calls, 0);
	pres_bodycache_free(&bc);
}
END_TEST

/* Two devices of alice share one filtered body; bob's outcome differs. */
START_TEST(test_cache_outcomes)
{
	lp_str_t doc = LP_STR(LP_TEST_DOC_OPEN), a1, a2, b1;
	subs_t d1 = watcher(&ev_auth, "alice", ACTIVE_STATUS);
	subs_t d2 = watcher(&ev_auth, "alice", ACTIVE_STATUS);
	subs_t bob = watcher(&ev_auth, "bob", ACTIVE_STATUS);
	pres_bodycache_t bc;
	int o1, o2, o3;

	events_init();
	d2.callid = LP_STR("another-dialog");
	pres_bodycache_init(&bc, &doc);
	ck_assert_int_eq(pres_bodycache_get(&bc, &d1, &a1, &o1), 0);
	ck_assert_int_eq(pres_bodycache_get(&bc, &d2, &a2, &o2), 0);
	ck_assert_int_eq(pres_bodycache_get(&bc, &bob, &b1, &o3), 0);
	ck_assert_int_eq(o1 | o2 | o3, 0);
	ck_assert_ptr_eq(a1.s, a2.s);
	ck_assert_ptr_ne(a1.s, b1.s);
	ck_assert_str_eq(a1.s, LP_TEST_DOC_OPEN "<!--alice-->");
	ck_assert_str_eq(b1.s, LP_TEST_DOC_OPEN "<!--bob-->");
	ck_assert_int_eq(auth_calls, 2);
	ck_assert_int_eq(bc.n, 2);
	pres_bodycache_free(&bc);
}
END_TEST

/* handle_subscribe(watcher_uri): the identity judged is that watcher. */
START_TEST(test_cache_outcome_by_watcher_uri)
{
	lp_str_t doc = LP_STR(LP_TEST_DOC_OPEN), x, y;
	subs_t s1 = watcher(&ev_auth, "gw", ACTIVE_STATUS);
	subs_t s2 = watcher(&ev_auth, "gw", ACTIVE_STATUS);
	pres_bodycache_t bc;
	int o1, o2;

	events_init();
	s1.watcher_user = LP_STR("carol");
	s1.watcher_domain = LP_STR(LP_TEST_FAN_DOMAIN);
	s2.watcher_user = LP_STR("dave");
	s2.watcher_domain = LP_STR(LP_TEST_FAN_DOMAIN);
	pres_bodycache_init(&bc, &doc);
	ck_assert_int_eq(pres_bodycache_get(&bc, &s1, &x, &o1), 0);
	ck_assert_int_eq(pres_bodycache_get(&bc, &s2, &y, &o2), 0);
	ck_assert_ptr_ne(x.s, y.s);
	ck_assert_int_eq(auth_calls, 2);
	pres_bodycache_free(&bc);
}
END_TEST

/* A per-watcher rewrite (dialog's version) is never shared. */
START_TEST(test_cache_aux_per_watcher)
{
	lp_str_t doc = LP_STR(LP_TEST_DOC_OPEN), x, y;
	subs_t s1 = watcher(&ev_aux, "alice", ACTIVE_STATUS);
	subs_t s2 = watcher(&ev_aux, "alice", ACTIVE_STATUS);
	pres_bodycache_t bc;
	int o1, o2;

	events_init();
	s1.version = 3;
	s2.version = 7;
	pres_bodycache_init(&bc, &doc);
	ck_assert_int_eq(pres_bodycache_get(&bc, &s1, &x, &o1), 0);
	ck_assert_int_eq(pres_bodycache_get(&bc, &s2, &y, &o2), 0);
	ck_assert_int_eq(o1 & o2, 1);
	ck_assert_str_eq(x.s, LP_TEST_DOC_OPEN "<!--v3-->");
	ck_assert_str_eq(y.s, LP_TEST_DOC_OPEN "<!--v7-->");
	ck_assert_int_eq(aux_calls, 2);
	free(x.s);
	free(y.s);
	pres_bodycache_free(&bc);
}
END_TEST

/* Past PRES_BC_MAX outcomes, bodies are still right (the watcher's own). */
START_TEST(test_cache_full)
{
	lp_str_t doc = LP_STR(LP_TEST_DOC_OPEN), out;
	pres_bodycache_t bc;
	char user[32], want[128];
	subs_t s;
	int i, own;

	events_init();
	pres_bodycache_init(&bc, &doc);
	for(i = 0; i < PRES_BC_MAX + 3; i++) {
		snprintf(user, sizeof(user), "u%d", i);
		s = watcher(&ev_auth, user, ACTIVE_STATUS);
		ck_assert_int_eq(pres_bodycache_get(&bc, &s, &out, &own), 0);
		snprintf(want, sizeof(want), LP_TEST_DOC_OPEN "<!--%s-->", user);
		ck_assert_str_eq(out.s, want);
		ck_assert_int_eq(own, i >= PRES_BC_MAX);
		if(own)
			free(out.s);
	}
	ck_assert_int_eq(bc.n, PRES_BC_MAX);
	pres_bodycache_free(&bc);
}
END_TEST

/* ---- fan-outs through the presence logic ---- */




static void setup(void)
{
	lp_test_fan_setup("bodycache");
	events_init();
}

static void teardown(void)
{
	lp_test_fan_teardown();
}

/* A new watcher's subscription; its first NOTIFY is not sent. */
static void subscribe(const char *user, int n)
{
	pres_notify_free(lp_test_fan_subscribe(user, n));
}


/* Every watcher gets one shared body; a new state, new bodies. */
START_TEST(test_fanout_shared_then_new_state)
{
	char etag[128] = "";
	const char *first;
	int i;

	ck_assert_int_eq(pres_add_event(&ev_plain), 0);
	lp_test_fan_store(LP_TEST_DOC_OPEN, etag);
	for(i = 0; i < 3; i++)
		subscribe("w", i);
	ck_assert_int_eq(lp_test_fan_out(), 3);
	ck_assert_int_eq(lp_test_ncaps, 3);
	first = lp_test_caps[0].body_ptr;
	ck_assert_ptr_nonnull(first);
	for(i = 0; i < 3; i++) {
		ck_assert_ptr_eq(lp_test_caps[i].body_ptr, first);
		ck_assert_int_eq(lp_test_caps[i].shared, 1);
		ck_assert_int_eq(lp_test_caps[i].closed, 0);
	}
	lp_test_fan_store(LP_TEST_DOC_CLOSED, etag);
	lp_test_ncaps = 0;
	ck_assert_int_eq(lp_test_fan_out(), 3);
	for(i = 0; i < 3; i++) /* not the cached document of before */
		ck_assert_int_eq(lp_test_caps[i].closed, 1);
}
END_TEST

/* Filtered per identity through the whole path: alice's two devices get
 * the same body, bob his own; the filter runs once per identity. */
START_TEST(test_fanout_outcomes)
{
	char etag[128] = "";
	int i, a = -1, b = -1;

	ck_assert_int_eq(pres_add_event(&ev_auth), 0);
	lp_test_fan_store(LP_TEST_DOC_OPEN, etag);
	subscribe("carl", 1);
	subscribe("carl", 2);
	subscribe("bob", 1);
	lp_test_ncaps = 0;
	auth_calls = 0;
	ck_assert_int_eq(lp_test_fan_out(), 3);
	ck_assert_int_eq(auth_calls, 2);
	for(i = 0; i < lp_test_ncaps; i++) {
		if(strcmp(lp_test_caps[i].user, "carl") == 0) {
			if(a >= 0)
				ck_assert_ptr_eq(lp_test_caps[i].body_ptr, lp_test_caps[a].body_ptr);
			a = i;
		} else {
			b = i;
		}
	}
	ck_assert_int_ge(a, 0);
	ck_assert_int_ge(b, 0);
	ck_assert_ptr_ne(lp_test_caps[a].body_ptr, lp_test_caps[b].body_ptr);
}
END_TEST

/* ---- two fan-outs racing ---- */

static char race_etag[128];
static pthread_mutex_t race_mx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t race_cv = PTHREAD_COND_INITIALIZER;
static int race_started, race_b_done;
static pthread_t race_b;

static void *fanout_thread(void *arg)
{
	lp_test_fan_out();
	pthread_mutex_lock(&race_mx);
	race_b_done = 1;
	pthread_cond_signal(&race_cv);
	pthread_mutex_unlock(&race_mx);
	return NULL;
}

/* In fan-out A's first NOTIFY: the state changes (a PUBLISH on another
 * worker) and fan-out B starts in another thread. A goes on once B is
 * done, or after 300 ms: B must wait for A to finish. */
static int race_hook(const pres_notify_t *n)
{
	struct timespec until;

	if(race_started)
		return 0;
	race_started = 1;
	lp_test_fan_store(LP_TEST_DOC_CLOSED, race_etag);
	ck_assert_int_eq(pthread_create(&race_b, NULL, fanout_thread, NULL), 0);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += 300 * 1000 * 1000;
	if(until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&race_mx);
	while(!race_b_done
			&& pthread_cond_timedwait(&race_cv, &race_mx, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&race_mx);
	return 0;
}

START_TEST(test_fanout_race_order)
{
	unsigned int last;
	int i, w, seen, closed;
	char callid[64];

	ck_assert_int_eq(pres_add_event(&ev_plain), 0);
	race_etag[0] = '\0';
	race_started = race_b_done = 0;
	lp_test_fan_store(LP_TEST_DOC_OPEN, race_etag);
	for(w = 0; w < 3; w++)
		subscribe("w", w);
	lp_test_ncaps = 0;
	lp_test_send_hook = race_hook;
	lp_test_fan_out();
	ck_assert_int_eq(race_started, 1);
	ck_assert_int_eq(pthread_join(race_b, NULL), 0);
	lp_test_send_hook = NULL;
	ck_assert_int_eq(lp_test_ncaps, 6);
	for(w = 0; w < 3; w++) { /* per dialog, in the order they left */
		snprintf(callid, sizeof(callid), "cid-w-%d", w);
		last = 0;
		seen = closed = 0;
		for(i = 0; i < lp_test_ncaps; i++) {
			if(strcmp(lp_test_caps[i].callid, callid) != 0)
				continue;
			ck_assert_msg(lp_test_caps[i].cseq > last, "%s: CSeq %u left after %u",
					callid, lp_test_caps[i].cseq, last);
			ck_assert_msg(lp_test_caps[i].closed >= closed,
					"%s: older state after newer", callid);
			last = lp_test_caps[i].cseq;
			closed = lp_test_caps[i].closed;
			seen++;
		}
		ck_assert_int_eq(seen, 2);
		ck_assert_msg(
				closed, "%s: the last NOTIFY not the newest state", callid);
	}
}
END_TEST

/* A fan-out started from inside a NOTIFY's sending (a script route tm
 * runs) in the same process does not wait for itself. */
static int nested;

static int nested_hook(const pres_notify_t *n)
{
	if(nested++ == 0)
		ck_assert_int_eq(lp_test_fan_out(), 2);
	return 0;
}

START_TEST(test_fanout_nested)
{
	char etag[128] = "";

	ck_assert_int_eq(pres_add_event(&ev_plain), 0);
	lp_test_fan_store(LP_TEST_DOC_OPEN, etag);
	subscribe("w", 1);
	subscribe("w", 2);
	nested = 0;
	lp_test_send_hook = nested_hook;
	ck_assert_int_eq(lp_test_fan_out(), 2);
	lp_test_send_hook = NULL;
	ck_assert_int_eq(lp_test_ncaps, 4);
}
END_TEST

/* refreshWatchers type 0 (the rules changed) asks every watcher's
 * authorization inside one fan-out bracket, so that presence_xml reads
 * the rules once for all of them (pres_fanout_listen). */
static int bracket_depth, bracket_opens, auth_in_bracket, auth_outside;

static void bracket_hook(int open)
{
	bracket_depth += open ? 1 : -1;
	bracket_opens += open;
}

static int status_in_bracket(subs_t *s)
{
	if(bracket_depth == 1)
		auth_in_bracket++;
	else
		auth_outside++;
	s->status = ACTIVE_STATUS;
	return 0;
}

START_TEST(test_reauthorize_in_one_bracket)
{
	lp_str_t uri = LP_STR("sip:alice@" LP_TEST_FAN_DOMAIN), name;
	char etag[128] = "";

	events_init();
	ev_auth.get_auth_status = status_in_bracket;
	name = ev_auth.name;
	bracket_depth = bracket_opens = auth_in_bracket = auth_outside = 0;
	ck_assert_int_eq(pres_add_event(&ev_auth), 0);
	lp_test_fan_store(LP_TEST_DOC_OPEN, etag);
	subscribe("w1", 1);
	subscribe("w2", 2);
	subscribe("w3", 3);
	auth_outside = 0; /* the SUBSCRIBEs' own */
	ck_assert_int_eq(pres_fanout_listen(bracket_hook), 0);
	ck_assert_int_eq(pres_refresh_watchers(&uri, &name, 0), 0);
	ck_assert_int_eq(auth_in_bracket, 3);
	ck_assert_int_eq(auth_outside, 0);
	ck_assert_int_eq(bracket_opens, 1);
	ck_assert_int_eq(bracket_depth, 0);
}
END_TEST

Suite *pres_bodycache_suite(void)
{
	Suite *s = suite_create("pres_bodycache");
	TCase *tc = tcase_create("cache");
	TCase *tf = tcase_create("fanout");

	tcase_add_test(tc, test_cache_shares_unfiltered);
	tcase_add_test(tc, test_cache_pending_gets_nothing);
	tcase_add_test(tc, test_cache_outcomes);
	tcase_add_test(tc, test_cache_outcome_by_watcher_uri);
	tcase_add_test(tc, test_cache_aux_per_watcher);
	tcase_add_test(tc, test_cache_full);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tf, setup, teardown);
	tcase_add_test(tf, test_fanout_shared_then_new_state);
	tcase_add_test(tf, test_fanout_outcomes);
	tcase_add_test(tf, test_fanout_race_order);
	tcase_add_test(tf, test_fanout_nested);
	tcase_add_test(tf, test_reauthorize_in_one_bracket);
	suite_add_tcase(s, tf);
	return s;
}
