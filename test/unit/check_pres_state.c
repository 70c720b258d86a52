/* State an attacker cannot poison or exhaust (issue 11): unguessable ETags
 * and To tags, the keyed bucket hash (SipHash-2-4 vectors, a drawn key
 * moves collisions), rate-limited log sites, in-dialog SUBSCRIBE CSeq
 * ordering (kept across a flush and a reload, and in DB-only mode), the
 * dialog index (an unknown dialog takes one lock, not one per bucket), and
 * the limits of pres_limits.c: stored sizes, publications per presentity,
 * subscriptions per watcher, and the free shared memory floor (a fake
 * free-memory callback; nothing allocated before the 503). */
#include <check.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lp_hash.h"
#include "lp_log.h"
#include "lp_rand.h"
#include "lp_test.h"
#include "pres_limits.h"
#include "pres_logic.h"
#include "pres_pub.h"
#include "pres_subs.h"

#define SCHEMA "../../scripts/sqlite/presence-create.sql"
#define CT "application/pidf+xml"
#define DOM "example.com"
#define T0 1700000000u
#define BODY "<?xml version=\"1.0\"?><presence/>"

static int notifies;
static int free_pct;

static int count_notify(const pres_notify_t *n)
{
	notifies++;
	return 0;
}

static int fake_free_percent(void)
{
	return free_pct;
}

/* Locks that count how often they are taken: an unknown dialog must not
 * take one per bucket. */
static long lock_gets;
static int cl_init(void *l)
{
	return pthread_mutex_init(l, NULL) == 0 ? 0 : -1;
}
static void cl_get(void *l)
{
	lock_gets++;
	pthread_mutex_lock(l);
}
static void cl_release(void *l)
{
	pthread_mutex_unlock(l);
}
static void cl_destroy(void *l)
{
	pthread_mutex_destroy(l);
}
static const lp_lock_ops_t counting_locks = {"counting",
		sizeof(pthread_mutex_t), cl_init, cl_get, cl_release, cl_destroy};

static void tables_new(void)
{
	lp_test_pres_tables_new();
	pres.wcount = lp_htable_new(4);
	ck_assert(pres.pubs && pres.subs && pres.dlgs && pres.wcount);
}

static void tables_free(void)
{
	lp_htable_destroy(pres.dlgs, NULL);
	lp_htable_destroy(pres.subs, pres_subs_free_entry);
	lp_htable_destroy(pres.pubs, pres_pub_free_entry);
	lp_htable_destroy(pres.wcount, pres_limits_free_entry);
	pres.pubs = pres.subs = pres.dlgs = pres.wcount = NULL;
}

static void setup(void)
{
	static int sql_ready;

	lp_test_mem_install();
	lp_mem_set_ops(NULL, &counting_locks);
	lp_test_log_install();
	memset(&pres, 0, sizeof(pres));
	pres_cfg_defaults(&pres.cfg);
	pres.cfg.db_url = (char *)lp_test_pres_db_new(&lp_test_eng_sqlite, "pres_state");
	if(!sql_ready) {
		ck_assert_int_eq(pres_sql_init(), 0);
		sql_ready = 1;
	}
	tables_new();
	lp_test_pres_add_presence(CT, NULL);
	lp_test_now = T0;
	pres.now = lp_test_clock;
	pres.send_notify = count_notify;
	notifies = 0;
	free_pct = 50;
	lp_mem_set_free_percent(NULL);
}

static void setup_dbonly(void)
{
	setup();
	pres.cfg.subs_db_mode = PRES_SUBS_DB_ONLY;
	pres.cfg.publ_cache = 0;
}

static void teardown(void)
{
	lp_test_mem_fail_at(0);
	lp_mem_set_free_percent(NULL);
	tables_free();
	lp_test_pres_db_close_events();
	lp_test_pres_db_drop();
	lp_log_set(NULL);
	lp_mem_set_ops(NULL, &lp_lock_pthread);
	ck_assert_int_eq(lp_test_mem_live(), 0);
}

static long long db_int(const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	long long v = -1;

	ck_assert_int_eq(sqlite3_open(lp_test_pres_db_path(), &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 2000);
	ck_assert_int_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	if(sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

/* ---- requests ---- */

typedef struct sub {
	pres_subscribe_req_t r;
	char callid[64], from_tag[64], to_tag[128], contact[96];
} sub_t;

static void sub_init(sub_t *s, const char *watcher, const char *presentity)
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
	s->r.event = LP_STR("presence");
	s->r.expires = 600;
	s->r.contact = lp_str_c(s->contact);
	s->r.sockinfo = LP_STR("udp:127.0.0.1:5060");
	s->r.user_agent = LP_STR("check");
	s->r.local_contact = LP_STR("sip:pres@127.0.0.1");
}

static int subscribe(sub_t *s, pres_reply_t *rep)
{
	pres_notify_t *n = NULL;

	memset(rep, 0, sizeof(*rep));
	pres_handle_subscribe(&s->r, rep, &n);
	if(rep->code / 100 == 2 && s->r.to_tag.len == 0) {
		ck_assert_int_lt(rep->to_tag.len, (int)sizeof(s->to_tag));
		memcpy(s->to_tag, rep->to_tag.s, rep->to_tag.len);
		s->to_tag[rep->to_tag.len] = '\0';
	}
	if(n) {
		count_notify(n);
		pres_notify_free(n);
	}
	return rep->code;
}

static int sub_code(sub_t *s)
{
	pres_reply_t rep;

	return subscribe(s, &rep);
}

/* The next in-dialog request of s with CSeq cseq. */
static void sub_next(sub_t *s, unsigned int cseq, int expires)
{
	s->r.to_tag = lp_str_c(s->to_tag);
	s->r.cseq = cseq;
	s->r.expires = expires;
}

static int publish(const char *user, const char *if_match, int expires,
		pres_reply_t *rep)
{
	pres_publish_req_t r;

	memset(&r, 0, sizeof(r));
	memset(rep, 0, sizeof(*rep));
	r.user = lp_str_c(user);
	r.domain = LP_STR(DOM);
	r.has_event = 1;
	r.event = LP_STR("presence");
	r.expires = expires;
	if(if_match) {
		r.has_if_match = 1;
		r.if_match = lp_str_c(if_match);
	} else {
		r.has_ctype = 1;
		r.content_type = LP_STR(CT);
		r.body = LP_STR(BODY);
	}
	pres_handle_publish(&r, rep);
	pres_publish_notify(&r, rep);
	return rep->code;
}

static int pub_code(const char *user)
{
	pres_reply_t rep;

	return publish(user, NULL, 600, &rep);
}

/* The SIP-ETag of a 200 into etag (LP_TOKEN_LEN + 1 bytes). */
static void etag_of(const pres_reply_t *rep, char *etag)
{
	const char *p = strstr(rep->hdrs, "SIP-ETag: ");

	ck_assert_ptr_nonnull(p);
	p += strlen("SIP-ETag: ");
	ck_assert_int_eq((int)strcspn(p, "\r"), LP_TOKEN_LEN);
	memcpy(etag, p, LP_TOKEN_LEN);
	etag[LP_TOKEN_LEN] = '\0';
}

/* ---- identifiers ---- */

START_TEST(test_token_unguessable)
{
	static char tok[256][40];
	char small[16];
	int i, j;

	for(i = 0; i < 256; i++) {
		ck_assert_int_eq(pres_new_token(tok[i], sizeof(tok[i]), NULL), 32);
		ck_assert_int_eq((int)strspn(tok[i], "0123456789abcdef"), 32);
		for(j = 0; j < i; j++)
			ck_assert_str_ne(tok[i], tok[j]);
	}
	/* no shared time/pid prefix: two tokens differ within 8 characters
	 * (all but about 2^-32 of the time) */
	ck_assert_int_ne(memcmp(tok[0], tok[1], 8), 0);
	ck_assert_int_eq(pres_new_token(tok[0], sizeof(tok[0]), "10"), 35);
	ck_assert_int_eq(strncmp(tok[0], "10.", 3), 0);
	ck_assert_int_eq((int)strspn(tok[0] + 3, "0123456789abcdef"), 32);
	ck_assert_int_eq(pres_new_token(small, sizeof(small), NULL), -1);
}
END_TEST

START_TEST(test_publish_etags_random)
{
	pres_reply_t rep;
	char a[LP_TOKEN_LEN + 1], b[LP_TOKEN_LEN + 1];

	ck_assert_int_eq(publish("alice", NULL, 600, &rep), 200);
	etag_of(&rep, a);
	ck_assert_int_eq(publish("alice", NULL, 600, &rep), 200);
	etag_of(&rep, b);
	ck_assert_str_ne(a, b);
	ck_assert_int_ne(memcmp(a, b, 8), 0);
	/* the ETag still works as a key: a refresh with it is taken */
	ck_assert_int_eq(publish("alice", a, 600, &rep), 200);
}
END_TEST

/* ---- the keyed hash ---- */

START_TEST(test_siphash_vectors)
{
	/* SipHash-2-4 paper, appendix A and the reference vectors: key
	 * 00..0f, message 00..(n-1) */
	unsigned char msg[64];
	uint64_t k0 = 0x0706050403020100ULL, k1 = 0x0f0e0d0c0b0a0908ULL;
	int i;

	for(i = 0; i < 64; i++)
		msg[i] = (unsigned char)i;
	ck_assert_uint_eq(lp_siphash(msg, 0, k0, k1), 0x726fdb47dd0e0e31ULL);
	ck_assert_uint_eq(lp_siphash(msg, 1, k0, k1), 0x74f839c593dc67fdULL);
	ck_assert_uint_eq(lp_siphash(msg, 15, k0, k1), 0xa129ca6149be45e5ULL);
}
END_TEST

/* Keys crafted to share a bucket under one hash key spread under another:
 * a remote party cannot precompute collisions without the drawn key. */
START_TEST(test_hash_key_moves_collisions)
{
	char keys[64][16];
	int n = 0, i, same = 0;
	unsigned int h1, h2;
	lp_str_t k;

	lp_hash_set_key(1, 2);
	for(i = 0; n < 64; i++) {
		snprintf(keys[n], sizeof(keys[n]), "u%d", i);
		k = lp_str_c(keys[n]);
		if((lp_hash_str(&k) & 511) == 0)
			n++;
	}
	lp_hash_set_key(3, 4);
	for(i = 0; i < 64; i++) {
		k = lp_str_c(keys[i]);
		same += (lp_hash_str(&k) & 511) == 0;
	}
	ck_assert_int_lt(same, 4);
	/* a drawn key differs from the fixed one, and is kept once drawn */
	k = LP_STR("sip:alice@example.com");
	h1 = lp_hash_str(&k);
	ck_assert_int_eq(lp_hash_seed_random(), 0);
	h2 = lp_hash_str(&k);
	ck_assert_uint_ne(h1, h2);
	ck_assert_int_eq(lp_hash_seed_random(), 0);
	ck_assert_uint_eq(lp_hash_str(&k), h2);
}
END_TEST

/* ---- rate-limited log sites ---- */

START_TEST(test_log_rate_limited)
{
	lp_log_rl_t rl = {0};
	int i, logged = 0;

	lp_test_log_install();
	for(i = 0; i < 1000; i++)
		logged += lp_log_rl_at(&rl, 100 + i / 200, LP_L_INFO, "refused %d", i);
	ck_assert_int_eq(logged, 1);
	ck_assert_int_eq(lp_test_log_count(), 1);
	ck_assert_str_eq(lp_test_log_last(), "refused 0");
	ck_assert_int_eq(lp_log_rl_at(&rl, 100 + LP_LOG_RL_PERIOD, LP_L_INFO, "again"), 1);
	ck_assert_ptr_nonnull(strstr(lp_test_log_last(), "again (999 similar"));
	ck_assert_int_eq(lp_test_log_count(), 2);
}
END_TEST

/* ---- in-dialog SUBSCRIBE: CSeq and the dialog index ---- */

START_TEST(test_cseq_replay_keeps_subscription)
{
	pres_reply_t rep;
	sub_t s;

	sub_init(&s, "bob", "alice");
	ck_assert_int_eq(sub_code(&s), 200);
	sub_next(&s, 5, 600);
	ck_assert_int_eq(sub_code(&s), 200);
	sub_next(&s, 4, 0); /* delayed un-SUBSCRIBE */
	ck_assert_int_eq(subscribe(&s, &rep), 500);
	ck_assert_str_eq(rep.reason, "Out of order CSeq");
	sub_next(&s, 5, 0); /* replayed: the same CSeq */
	ck_assert_int_eq(sub_code(&s), 500);
	/* still subscribed: a PUBLISH notifies bob */
	notifies = 0;
	ck_assert_int_eq(pub_code("alice"), 200);
	ck_assert_int_eq(notifies, 1);
	/* the last CSeq reaches the DB and survives a restart */
	if(pres.cfg.subs_db_mode != PRES_SUBS_DB_ONLY) {
		ck_assert_int_eq(pres_subs_flush(), 1);
		tables_free();
		tables_new();
		ck_assert_int_eq(pres_subs_load_all(), 1);
	}
	ck_assert_int_eq(db_int("SELECT remote_cseq FROM active_watchers"), 5);
	sub_next(&s, 5, 0);
	ck_assert_int_eq(sub_code(&s), 500);
	sub_next(&s, 6, 0);
	ck_assert_int_eq(sub_code(&s), 200);
	sub_next(&s, 7, 600);
	ck_assert_int_eq(sub_code(&s), 481);
}
END_TEST

START_TEST(test_unknown_dialog_one_bucket)
{
	sub_t s[40], x;
	char name[40][16];
	int i;

	for(i = 0; i < 40; i++) {
		snprintf(name[i], sizeof(name[i]), "p%d", i);
		sub_init(&s[i], "bob", name[i]);
		ck_assert_int_eq(sub_code(&s[i]), 200);
	}
	sub_init(&x, "eve", "p1");
	strcpy(x.to_tag, "10.not-a-tag-of-ours");
	sub_next(&x, 2, 600);
	lock_gets = 0;
	ck_assert_int_eq(sub_code(&x), 481);
	ck_assert_int_le(lock_gets, 1); /* one dialog-index bucket, no scan */
	/* a known dialog whose To URI is not the presentity's is still found,
	 * through its own bucket */
	s[7].r.to_user = LP_STR("someone-else");
	sub_next(&s[7], 2, 600);
	lock_gets = 0;
	ck_assert_int_eq(sub_code(&s[7]), 200);
	ck_assert_int_le(lock_gets, 4);
	sub_next(&s[7], 3, 0);
	ck_assert_int_eq(sub_code(&s[7]), 200);
	ck_assert_int_eq(pres_subs_count(), 39);
}
END_TEST

/* Until someone subscribes to watcher info, a new watcher of a presentity
 * with many watchers does not walk them all (winfo_seen); afterwards it
 * does, and the winfo subscriber hears of the new watcher. */
START_TEST(test_no_winfo_scan_without_winfo)
{
	static volatile int seen;
	pres_ev_t winfo;
	sub_t s[30], w, late;
	char name[30][16];
	long without, with;
	int i;

	pres.winfo_seen = &seen;
	seen = 0;
	memset(&winfo, 0, sizeof(winfo));
	winfo.name = LP_STR("presence.winfo");
	winfo.content_type = LP_STR("application/watcherinfo+xml");
	winfo.type = WINFO_TYPE;
	ck_assert_int_eq(pres_add_event(&winfo), 0);
	for(i = 0; i < 30; i++) {
		snprintf(name[i], sizeof(name[i]), "w%d", i);
		sub_init(&s[i], name[i], "alice");
		ck_assert_int_eq(sub_code(&s[i]), 200);
	}
	sub_init(&late, "late", "alice");
	lock_gets = 0;
	ck_assert_int_eq(sub_code(&late), 200);
	without = lock_gets;

	sub_init(&w, "alice", "alice");
	w.r.event = LP_STR("presence.winfo");
	ck_assert_int_eq(sub_code(&w), 200);
	ck_assert_int_eq(seen, 1);
	sub_init(&late, "later", "alice");
	lock_gets = 0;
	notifies = 0;
	ck_assert_int_eq(sub_code(&late), 200);
	with = lock_gets;
	ck_assert_int_gt(with, without); /* the winfo walk is back */
	ck_assert_int_ge(notifies, 2);	 /* the watcher's and the winfo one */
	pres.winfo_seen = NULL;
}
END_TEST

/* ---- limits ---- */

static char *repeat(char c, int n)
{
	char *p = malloc(n + 1);

	ck_assert_ptr_nonnull(p);
	memset(p, c, n);
	p[n] = '\0';
	return p;
}

START_TEST(test_limit_sizes)
{
	pres_reply_t rep;
	char *ua255 = repeat('u', 255), *ua256 = repeat('u', 256);
	char *rr = repeat('r', 4097), *tag = repeat('t', 129);
	char *ev = malloc(100);
	sub_t s;

	sub_init(&s, "bob", "alice");
	s.r.user_agent = lp_str_c(ua256);
	ck_assert_int_eq(subscribe(&s, &rep), 400);
	ck_assert_ptr_nonnull(strstr(rep.hdrs, "User-Agent longer than 255"));
	sub_init(&s, "bob", "alice");
	s.r.contact = lp_str_c(ua256);
	ck_assert_int_eq(sub_code(&s), 400);
	sub_init(&s, "bob", "alice");
	s.r.record_route = lp_str_c(rr);
	ck_assert_int_eq(sub_code(&s), 400);
	sub_init(&s, "bob", "alice");
	s.r.from_tag = lp_str_c(tag);
	ck_assert_int_eq(sub_code(&s), 400);
	sub_init(&s, "bob", "alice");
	snprintf(ev, 100, "presence;id=%s", ua256 + 256 - 65);
	s.r.event = lp_str_c(ev);
	ck_assert_int_eq(sub_code(&s), 400);
	ck_assert_int_eq(pres_subs_count(), 0);
	ck_assert_int_eq(pres_subs_flush(), 0);
	ck_assert_int_eq(db_int("SELECT count(*) FROM active_watchers"), 0);
	ck_assert_int_eq(db_int("SELECT count(*) FROM watchers"), 0);
	/* a lower configured maximum; the column's size itself is taken */
	pres.cfg.max_user_agent_len = 10;
	sub_init(&s, "bob", "alice");
	s.r.user_agent = LP_STR("longer than ten");
	ck_assert_int_eq(sub_code(&s), 400);
	pres.cfg.max_user_agent_len = 255;
	sub_init(&s, "bob", "alice");
	s.r.user_agent = lp_str_c(ua255);
	s.r.record_route = (lp_str_t){rr, 4096};
	ck_assert_int_eq(sub_code(&s), 200);
	ck_assert_int_eq(pres_subs_flush(), 1);
	ck_assert_int_eq(db_int("SELECT length(user_agent) FROM active_watchers"), 255);
	/* PUBLISH: the presentity's user is a 64-byte column */
	ck_assert_int_eq(pub_code(tag + 129 - 65), 400);
	ck_assert_int_eq(db_int("SELECT count(*) FROM presentity"), 0);
	free(ua255);
	free(ua256);
	free(rr);
	free(tag);
	free(ev);
}
END_TEST

START_TEST(test_limit_publications)
{
	pres_reply_t rep;
	char etag[LP_TOKEN_LEN + 1];
	int i;

	for(i = 0; i < 64; i++) /* the default takes 64 devices */
		ck_assert_int_eq(pub_code("alice"), 200);
	ck_assert_int_eq(publish("alice", NULL, 600, &rep), 403);
	ck_assert_str_eq(rep.reason, "Too Many Publications");
	ck_assert_int_eq(db_int("SELECT count(*) FROM presentity"), 64);
	ck_assert_int_eq(pub_code("bob"), 200); /* another presentity */
	pres.cfg.max_publications_per_presentity = 2;
	ck_assert_int_eq(publish("carol", NULL, 600, &rep), 200);
	etag_of(&rep, etag);
	ck_assert_int_eq(pub_code("carol"), 200);
	ck_assert_int_eq(pub_code("carol"), 403);
	/* refresh and removal of an existing one are not new state */
	ck_assert_int_eq(publish("carol", etag, 600, &rep), 200);
	etag_of(&rep, etag); /* a refresh gets a new ETag (RFC 3903 s6) */
	ck_assert_int_eq(publish("carol", etag, 0, &rep), 200);
	ck_assert_int_eq(pub_code("carol"), 200);
	/* expired publications do not count */
	lp_test_now += 601;
	ck_assert_int_eq(pub_code("carol"), 200);
	pres.cfg.max_publications_per_presentity = 0; /* no limit */
	ck_assert_int_eq(pub_code("carol"), 200);
}
END_TEST

START_TEST(test_limit_subscriptions_per_watcher)
{
	sub_t s[3];

	pres.cfg.max_subscriptions_per_watcher = 2;
	sub_init(&s[0], "bob", "alice");
	ck_assert_int_eq(sub_code(&s[0]), 200);
	sub_init(&s[1], "bob", "carol");
	ck_assert_int_eq(sub_code(&s[1]), 200);
	sub_init(&s[2], "bob", "dave");
	ck_assert_int_eq(sub_code(&s[2]), 403);
	ck_assert_int_eq(pres_limits_watcher_count(&LP_STR("bob"), &LP_STR("EXAMPLE.com")), 2);
	/* another watcher is not affected; a fetch stores nothing */
	sub_init(&s[2], "eve", "dave");
	ck_assert_int_eq(sub_code(&s[2]), 200);
	sub_init(&s[2], "bob", "dave");
	s[2].r.expires = 0;
	ck_assert_int_eq(sub_code(&s[2]), 200);
	/* an unsubscribe frees a place, an expiry too */
	sub_next(&s[0], 2, 0);
	ck_assert_int_eq(sub_code(&s[0]), 200);
	sub_init(&s[2], "bob", "dave");
	ck_assert_int_eq(sub_code(&s[2]), 200);
	lp_test_now += 601;
	pres_clean_expired();
	ck_assert_int_eq(pres_limits_watcher_count(&LP_STR("bob"), &LP_STR(DOM)), 0);
}
END_TEST

/* Counts come back with the subscriptions loaded at start-up. */
START_TEST(test_limit_watcher_count_reloaded)
{
	sub_t s[2];

	sub_init(&s[0], "bob", "alice");
	ck_assert_int_eq(sub_code(&s[0]), 200);
	sub_init(&s[1], "bob", "carol");
	ck_assert_int_eq(sub_code(&s[1]), 200);
	ck_assert_int_eq(pres_subs_flush(), 2);
	tables_free();
	tables_new();
	ck_assert_int_eq(pres_subs_load_all(), 2);
	ck_assert_int_eq(pres_limits_watcher_count(&LP_STR("bob"), &LP_STR(DOM)), 2);
	pres.cfg.max_subscriptions_per_watcher = 2;
	sub_init(&s[0], "bob", "dave");
	ck_assert_int_eq(sub_code(&s[0]), 403);
}
END_TEST

START_TEST(test_limit_memory)
{
	pres_reply_t rep;
	long calls;
	sub_t s;

	sub_init(&s, "bob", "alice");
	ck_assert_int_eq(sub_code(&s), 200);
	lp_mem_set_free_percent(fake_free_percent);
	free_pct = 9; /* below the default 10 % */
	calls = lp_test_mem_calls();
	ck_assert_int_eq(publish("alice", NULL, 600, &rep), 503);
	ck_assert_ptr_nonnull(strstr(rep.hdrs, "Retry-After: 30\r\n"));
	ck_assert_int_eq(lp_test_mem_calls(), calls); /* refused before allocating */
	sub_init(&s, "carol", "alice");
	ck_assert_int_eq(subscribe(&s, &rep), 503);
	ck_assert_ptr_nonnull(strstr(rep.hdrs, "Retry-After: 30\r\n"));
	ck_assert_int_eq(pres_subs_count(), 1);
	ck_assert_int_eq(db_int("SELECT count(*) FROM presentity"), 0);
	/* freeing state still works: bob's un-SUBSCRIBE */
	sub_init(&s, "bob", "alice");
	free_pct = 50;
	ck_assert_int_eq(sub_code(&s), 200);
	free_pct = 1;
	sub_next(&s, 2, 0);
	ck_assert_int_eq(sub_code(&s), 200);
	/* with free memory again, or with the floor off, it is taken */
	pres.cfg.shm_min_free_percent = 0;
	ck_assert_int_eq(pub_code("alice"), 200);
	pres.cfg.shm_min_free_percent = 10;
	free_pct = 10;
	ck_assert_int_eq(pub_code("alice"), 200);
	lp_mem_set_free_percent(NULL); /* host without the figure: no floor */
	ck_assert_int_eq(pub_code("alice"), 200);
}
END_TEST

Suite *pres_state_suite(void)
{
	Suite *s = suite_create("pres_state");
	TCase *id = tcase_create("identifiers");
	TCase *dlg = tcase_create("dialogs");
	TCase *dbonly = tcase_create("dialogs_dbonly");
	TCase *lim = tcase_create("limits");
	TCase *lim_nc = tcase_create("limits_no_cache");

	tcase_add_checked_fixture(id, setup, teardown);
	tcase_add_test(id, test_token_unguessable);
	tcase_add_test(id, test_publish_etags_random);
	tcase_add_test(id, test_siphash_vectors);
	tcase_add_test(id, test_hash_key_moves_collisions);
	tcase_add_test(id, test_log_rate_limited);
	suite_add_tcase(s, id);

	tcase_add_checked_fixture(dlg, setup, teardown);
	tcase_add_test(dlg, test_cseq_replay_keeps_subscription);
	tcase_add_test(dlg, test_unknown_dialog_one_bucket);
	tcase_add_test(dlg, test_no_winfo_scan_without_winfo);
	suite_add_tcase(s, dlg);

	tcase_add_checked_fixture(dbonly, setup_dbonly, teardown);
	tcase_add_test(dbonly, test_cseq_replay_keeps_subscription);
	suite_add_tcase(s, dbonly);

	tcase_add_checked_fixture(lim, setup, teardown);
	tcase_add_test(lim, test_limit_sizes);
	tcase_add_test(lim, test_limit_publications);
	tcase_add_test(lim, test_limit_subscriptions_per_watcher);
	tcase_add_test(lim, test_limit_watcher_count_reloaded);
	tcase_add_test(lim, test_limit_memory);
	suite_add_tcase(s, lim);

	tcase_add_checked_fixture(lim_nc, setup_dbonly, teardown);
	tcase_add_test(lim_nc, test_limit_publications);
	suite_add_tcase(s, lim_nc);
	return s;
}
