/* The presence server's logic driven without Kamailio: PUBLISH and
 * SUBSCRIBE requests as plain structs against a temp SQLite DB made from
 * scripts/sqlite/presence-create.sql, a fake clock, and a capture of every
 * NOTIFY. Checks reply codes and headers, stored rows, NOTIFY headers,
 * bodies and CSeqs, expiry, reloading from the DB, NOTIFY failures,
 * refreshWatchers, out-of-memory at every allocation and the shtable API. */
#include <check.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lp_log.h"
#include "lp_test.h"
#include "pres_logic.h"
#include "pres_pub.h"
#include "pres_shtable.h"
#include "pres_subs.h"

#define SCHEMA "../../scripts/sqlite/presence-create.sql"
#define CT "application/pidf+xml"
#define T0 1700000000u
#define DOMAIN "example.com"
#define LOCAL_CONTACT "sip:pres@127.0.0.1:5060"

#define PIDF(basic)                                                        \
	"<?xml version=\"1.0\"?><presence xmlns=\"urn:ietf:params:xml:ns:pidf\"" \
	" entity=\"sip:alice@example.com\"><tuple id=\"t1\"><status><basic>"    \
	basic "</basic></status></tuple></presence>"
#define BODY_OPEN PIDF("open")
#define BODY_CLOSED PIDF("closed")

/* ---- fixture: DB file, fake clock, publish handler stub, NOTIFY capture ---- */

static char db_path[64];
static char db_url[96];
static unsigned int fake_now;
static int publ_result;

static unsigned int fake_clock(void)
{
	return fake_now;
}

static int publ_stub(struct sip_msg *msg)
{
	return publ_result;
}

typedef struct cap {
	char *headers, *body, *callid, *from_user, *to_tag;
	int has_body;
	unsigned int cseq;
} cap_t;

#define CAP_MAX 64
static cap_t caps[CAP_MAX];
static int ncaps;

static char *dup_str(const lp_str_t *s)
{
	char *d = strndup(s->s ? s->s : "", s->s ? (size_t)s->len : 0);

	ck_assert_ptr_nonnull(d);
	return d;
}

static int capture(const pres_notify_t *n)
{
	cap_t *c;

	ck_assert_int_lt(ncaps, CAP_MAX);
	c = &caps[ncaps++];
	c->headers = dup_str(&n->headers);
	c->has_body = n->body.s != NULL;
	c->body = dup_str(&n->body);
	c->callid = dup_str(&n->subs->callid);
	c->from_user = dup_str(&n->subs->from_user);
	c->to_tag = dup_str(&n->subs->to_tag);
	c->cseq = n->subs->local_cseq;
	return 0;
}

static void cap_reset(void)
{
	int i;

	for(i = 0; i < ncaps; i++) {
		free(caps[i].headers);
		free(caps[i].body);
		free(caps[i].callid);
		free(caps[i].from_user);
		free(caps[i].to_tag);
	}
	memset(caps, 0, sizeof(caps));
	ncaps = 0;
}

/* The capture of the NOTIFY sent to dialog callid (the last one). */
static const cap_t *cap_for(const char *callid)
{
	int i;

	for(i = ncaps - 1; i >= 0; i--)
		if(strcmp(caps[i].callid, callid) == 0)
			return &caps[i];
	return NULL;
}

static void remove_db(void)
{
	char p[80];

	unlink(db_path);
	snprintf(p, sizeof(p), "%s-wal", db_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db_path);
	unlink(p);
}

static void apply_schema(void)
{
	lp_test_sqlite_schema(db_path, SCHEMA);
}

static void register_presence(void)
{
	pres_ev_t ev;

	memset(&ev, 0, sizeof(ev));
	ev.name = LP_STR("presence");
	ev.content_type = LP_STR(CT);
	ev.default_expires = 3600;
	ev.type = PUBL_TYPE;
	ev.evs_publ_handl = publ_stub;
	ck_assert_int_eq(pres_add_event(&ev), 0);
}

static void setup(void)
{
	static int sql_ready; /* pres_sql strings live for the process */
	int fd;

	lp_test_mem_install();
	lp_test_log_install();
	memset(&pres, 0, sizeof(pres));
	pres_cfg_defaults(&pres.cfg);
	/* these tests predate subs_respond_200 (default 1: 200 OK); they check
	 * the 202 of subs_respond_200 0, check_pres_params.c the default */
	pres.cfg.subs_respond_200 = 0;
	strcpy(db_path, "/tmp/check_presence_XXXXXX");
	fd = mkstemp(db_path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	apply_schema();
	snprintf(db_url, sizeof(db_url), "sqlite://%s", db_path);
	pres.cfg.db_url = db_url;
	if(!sql_ready) {
		ck_assert_int_eq(pres_sql_init(), 0);
		sql_ready = 1;
	}
	pres.pubs = lp_htable_new(4);
	pres.subs = lp_htable_new(4);
	pres.dlgs = lp_htable_new(4);
	ck_assert_ptr_nonnull(pres.pubs);
	ck_assert_ptr_nonnull(pres.subs);
	register_presence();
	fake_now = T0;
	pres.now = fake_clock;
	pres.send_notify = capture;
	publ_result = 0;
	cap_reset();
}

static void free_tables(void)
{
	lp_htable_destroy(pres.pubs, pres_pub_free_entry);
	lp_htable_destroy(pres.subs, pres_subs_free_entry);
	lp_htable_destroy(pres.dlgs, NULL);
	pres.pubs = pres.subs = pres.dlgs = NULL;
}

/* Flush the changed subscriptions: n rows written, or none in DB-only
 * mode, where every change is already in the DB. */
static void flush_expect(int n)
{
	ck_assert_int_eq(pres_subs_flush(),
			pres.cfg.subs_db_mode == PRES_SUBS_DB_ONLY ? 0 : n);
}

/* DB-only mode (several instances on one DB): no cache of publications,
 * subscriptions only in active_watchers. */
static void setup_dbonly(void)
{
	setup();
	pres.cfg.subs_db_mode = PRES_SUBS_DB_ONLY;
	pres.cfg.publ_cache = 0;
}

static void teardown(void)
{
	lp_event_t *e;

	lp_test_mem_fail_at(0);
	cap_reset();
	free_tables();
	lp_db_close(pres.db);
	pres.db = NULL;
	for(e = pres.events.first; e; e = e->next)
		lp_free(e->data); /* pres_add_event's lp_malloc'd copy */
	lp_event_registry_free(&pres.events);
	remove_db();
	lp_log_set(NULL);
	ck_assert_int_eq(lp_test_mem_live(), 0);
}

/* ---- DB inspection through a connection of the test's own ---- */

static sqlite3 *db_open_test(void)
{
	sqlite3 *h;

	ck_assert_int_eq(sqlite3_open(db_path, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 2000);
	return h;
}

/* Integer result of a query (sqlite3_mprintf format: use %Q for text). */
static long long db_int(const char *fmt, ...)
{
	sqlite3 *h = db_open_test();
	sqlite3_stmt *st;
	long long v = -1;
	va_list ap;
	char *sql;

	va_start(ap, fmt);
	sql = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	ck_assert_int_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	if(sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_free(sql);
	sqlite3_close(h);
	return v;
}

/* Text result of a query into buf ("" when no row or NULL). */
static const char *db_text(char *buf, int size, const char *fmt, ...)
{
	sqlite3 *h = db_open_test();
	sqlite3_stmt *st;
	va_list ap;
	char *sql;

	va_start(ap, fmt);
	sql = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	buf[0] = '\0';
	ck_assert_int_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	if(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_free(sql);
	sqlite3_close(h);
	return buf;
}

static void db_run(const char *fmt, ...)
{
	sqlite3 *h = db_open_test();
	char *sql, *err = NULL;
	va_list ap;

	va_start(ap, fmt);
	sql = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	ck_assert_msg(sqlite3_exec(h, sql, NULL, NULL, &err) == SQLITE_OK, "%s",
			err ? err : "?");
	sqlite3_free(sql);
	sqlite3_close(h);
}

static long long pub_rows(const char *user)
{
	return db_int("SELECT count(*) FROM presentity WHERE username=%Q"
				  " AND domain='example.com' AND event='presence'",
			user);
}

/* ---- requests ---- */

static int has_hdr(const pres_reply_t *rep, const char *line)
{
	return strstr(rep->hdrs, line) != NULL;
}

#define ck_hdr(rep, line)                                                   \
	ck_assert_msg(has_hdr(rep, line), "no '%s' in reply headers '%s'", line, \
			(rep)->hdrs)

/* Value of header `name` in the reply, into buf. */
static const char *hdr_val(const pres_reply_t *rep, const char *name, char *buf, int size)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "%s: ", name);
	p = strstr(rep->hdrs, pat);
	ck_assert_msg(p != NULL, "no %s in '%s'", name, rep->hdrs);
	p += strlen(pat);
	e = strstr(p, "\r\n");
	ck_assert_ptr_nonnull(e);
	ck_assert_int_lt(e - p, size);
	memcpy(buf, p, e - p);
	buf[e - p] = '\0';
	return buf;
}

static void pub_init(pres_publish_req_t *r, const char *user, int expires,
		const char *body)
{
	memset(r, 0, sizeof(*r));
	r->user = lp_str_c(user);
	r->domain = LP_STR(DOMAIN);
	r->has_event = 1;
	r->event = LP_STR("presence");
	r->expires = expires;
	if(body) {
		r->has_ctype = 1;
		r->content_type = LP_STR(CT);
		r->body = lp_str_c(body);
	}
}

static void pub_if_match(pres_publish_req_t *r, const char *etag)
{
	r->has_if_match = 1;
	r->if_match = lp_str_c(etag);
}

static int publish(const pres_publish_req_t *r, pres_reply_t *rep)
{
	memset(rep, 0, sizeof(*rep));
	pres_handle_publish(r, rep);
	pres_publish_notify(r, rep); /* as the glue does, after the reply */
	return rep->code;
}

/* Initial PUBLISH that must succeed; its ETag into etag (128 bytes). */
static void publish_ok(const char *user, const char *body, int expires, char *etag)
{
	pres_publish_req_t r;
	pres_reply_t rep;

	pub_init(&r, user, expires, body);
	ck_assert_int_eq(publish(&r, &rep), 200);
	hdr_val(&rep, "SIP-ETag", etag, 128);
}

typedef struct sub {
	pres_subscribe_req_t r;
	char callid[64], from_tag[64], to_tag[128], contact[96];
} sub_t;

static void sub_init(sub_t *s, const char *watcher, const char *presentity, int expires)
{
	static int seq;

	memset(s, 0, sizeof(*s));
	seq++;
	snprintf(s->callid, sizeof(s->callid), "cid-%s-%d@192.0.2.10", watcher, seq);
	snprintf(s->from_tag, sizeof(s->from_tag), "ft%d", seq);
	snprintf(s->contact, sizeof(s->contact), "sip:%s@192.0.2.10:5060", watcher);
	s->r.ruri_user = s->r.to_user = lp_str_c(presentity);
	s->r.ruri_domain = s->r.to_domain = LP_STR(DOMAIN);
	s->r.from_user = lp_str_c(watcher);
	s->r.from_domain = LP_STR(DOMAIN);
	s->r.from_tag = lp_str_c(s->from_tag);
	s->r.callid = lp_str_c(s->callid);
	s->r.cseq = 1;
	s->r.has_event = 1;
	s->r.event = LP_STR("presence");
	s->r.expires = expires;
	s->r.contact = lp_str_c(s->contact);
	s->r.sockinfo = LP_STR("udp:127.0.0.1:5060");
	s->r.user_agent = LP_STR("check");
	s->r.local_contact = LP_STR(LOCAL_CONTACT);
}

/* Handle s as the glue does: reply, then the NOTIFY (captured). The To tag
 * of a 2xx to an initial request is kept for in-dialog requests. */
static int subscribe(sub_t *s, pres_reply_t *rep)
{
	pres_notify_t *n = NULL;

	memset(rep, 0, sizeof(*rep));
	pres_handle_subscribe(&s->r, rep, &n);
	if(rep->code >= 200 && rep->code < 300 && s->r.to_tag.len == 0) {
		ck_assert_int_gt(rep->to_tag.len, 0);
		ck_assert_int_lt(rep->to_tag.len, (int)sizeof(s->to_tag));
		memcpy(s->to_tag, rep->to_tag.s, rep->to_tag.len);
		s->to_tag[rep->to_tag.len] = '\0';
	}
	if(n) {
		ck_assert_int_eq(rep->code / 100, 2);
		capture(n);
		pres_notify_free(n);
	}
	return rep->code;
}

/* Turn s into the next in-dialog SUBSCRIBE. */
static void sub_next(sub_t *s, int expires)
{
	s->r.to_tag = lp_str_c(s->to_tag);
	s->r.cseq++;
	s->r.expires = expires;
}

static void subscribe_ok(sub_t *s, const char *watcher, const char *presentity)
{
	pres_reply_t rep;

	sub_init(s, watcher, presentity, 3600);
	ck_assert_int_eq(subscribe(s, &rep), 202);
}

#define ck_has(hay, needle) \
	ck_assert_msg(strstr(hay, needle) != NULL, "no '%s' in '%s'", needle, hay)
#define ck_hasnt(hay, needle) \
	ck_assert_msg(strstr(hay, needle) == NULL, "'%s' in '%s'", needle, hay)

/* ---- PUBLISH ---- */

START_TEST(test_publish_initial)
{
	pres_publish_req_t r;
	pres_reply_t rep;
	char etag[128], buf[512];

	pub_init(&r, "alice", 600, BODY_OPEN);
	ck_assert_int_eq(publish(&r, &rep), 200);
	ck_hdr(&rep, "SIP-ETag: ");
	ck_hdr(&rep, "Expires: 600\r\n");
	hdr_val(&rep, "SIP-ETag", etag, sizeof(etag));
	ck_assert_int_gt(strlen(etag), 0);
	ck_assert_int_eq(pub_rows("alice"), 1);
	ck_assert_str_eq(db_text(buf, sizeof(buf),
							 "SELECT etag FROM presentity WHERE username='alice'"),
			etag);
	ck_assert_str_eq(db_text(buf, sizeof(buf),
							 "SELECT body FROM presentity WHERE username='alice'"),
			BODY_OPEN);
	ck_assert_int_eq(db_int("SELECT expires FROM presentity"), T0 + 600);
	ck_assert_int_eq(db_int("SELECT received_time FROM presentity"), T0);
}
END_TEST

START_TEST(test_publish_refresh)
{
	pres_publish_req_t r;
	pres_reply_t rep;
	char etag[128], etag2[128], buf[512];

	publish_ok("alice", BODY_OPEN, 600, etag);
	fake_now += 100;
	pub_init(&r, "alice", 600, NULL);
	pub_if_match(&r, etag);
	ck_assert_int_eq(publish(&r, &rep), 200);
	ck_hdr(&rep, "Expires: 600\r\n");
	hdr_val(&rep, "SIP-ETag", etag2, sizeof(etag2));
	ck_assert_str_ne(etag, etag2);
	ck_assert_int_eq(pub_rows("alice"), 1);
	ck_assert_str_eq(db_text(buf, sizeof(buf), "SELECT etag FROM presentity"), etag2);
	ck_assert_str_eq(db_text(buf, sizeof(buf), "SELECT body FROM presentity"), BODY_OPEN);
	ck_assert_int_eq(db_int("SELECT expires FROM presentity"), T0 + 700);

	/* the old ETag is gone */
	pub_init(&r, "alice", 600, NULL);
	pub_if_match(&r, etag);
	ck_assert_int_eq(publish(&r, &rep), 412);
}
END_TEST

START_TEST(test_publish_modify)
{
	pres_publish_req_t r;
	pres_reply_t rep;
	char etag[128], etag2[128], buf[512];

	publish_ok("alice", BODY_OPEN, 600, etag);
	pub_init(&r, "alice", 600, BODY_CLOSED);
	pub_if_match(&r, etag);
	ck_assert_int_eq(publish(&r, &rep), 200);
	hdr_val(&rep, "SIP-ETag", etag2, sizeof(etag2));
	ck_assert_str_ne(etag, etag2);
	ck_assert_int_eq(pub_rows("alice"), 1);
	ck_assert_str_eq(db_text(buf, sizeof(buf), "SELECT body FROM presentity"), BODY_CLOSED);
	ck_assert_str_eq(db_text(buf, sizeof(buf), "SELECT etag FROM presentity"), etag2);
}
END_TEST

START_TEST(test_publish_remove)
{
	pres_publish_req_t r;
	pres_reply_t rep;
	char etag[128], other[128];

	publish_ok("alice", BODY_OPEN, 600, etag);
	publish_ok("alice", BODY_CLOSED, 600, other); /* a second device */
	ck_assert_int_eq(pub_rows("alice"), 2);
	pub_init(&r, "alice", 0, NULL);
	pub_if_match(&r, etag);
	ck_assert_int_eq(publish(&r, &rep), 200);
	ck_hdr(&rep, "Expires: 0\r\n");
	ck_assert_int_eq(pub_rows("alice"), 1);
	ck_assert_int_eq(db_int("SELECT count(*) FROM presentity WHERE etag=%Q", etag), 0);
	/* removing it again: the ETag is unknown now */
	ck_assert_int_eq(publish(&r, &rep), 412);
	ck_assert_int_eq(pub_rows("alice"), 1);
}
END_TEST

START_TEST(test_publish_unknown_etag)
{
	pres_publish_req_t r;
	pres_reply_t rep;
	char etag[128], buf[512];

	publish_ok("alice", BODY_OPEN, 600, etag);
	pub_init(&r, "alice", 600, BODY_CLOSED);
	pub_if_match(&r, "no-such-etag");
	ck_assert_int_eq(publish(&r, &rep), 412);
	pub_init(&r, "alice", 600, NULL);
	pub_if_match(&r, "no-such-etag");
	ck_assert_int_eq(publish(&r, &rep), 412);
	pub_init(&r, "alice", 0, NULL);
	pub_if_match(&r, "no-such-etag");
	ck_assert_int_eq(publish(&r, &rep), 412);
	/* an ETag of another presentity does not match */
	pub_init(&r, "bob", 600, BODY_CLOSED);
	pub_if_match(&r, etag);
	ck_assert_int_eq(publish(&r, &rep), 412);
	ck_assert_int_eq(pub_rows("alice"), 1);
	ck_assert_int_eq(pub_rows("bob"), 0);
	ck_assert_str_eq(db_text(buf, sizeof(buf), "SELECT etag FROM presentity"), etag);
	ck_assert_str_eq(db_text(buf, sizeof(buf), "SELECT body FROM presentity"), BODY_OPEN);
}
END_TEST

START_TEST(test_publish_no_body_no_if_match)
{
	pres_publish_req_t r;
	pres_reply_t rep;

	pub_init(&r, "alice", 600, NULL);
	ck_assert_int_eq(publish(&r, &rep), 400);
	ck_assert_int_eq(pub_rows("alice"), 0);
}
END_TEST

START_TEST(test_publish_bad_event)
{
	pres_publish_req_t r;
	pres_reply_t rep;
	pres_ev_t winfo;

	pub_init(&r, "alice", 600, BODY_OPEN);
	r.event = LP_STR("presence.winfo"); /* not registered */
	ck_assert_int_eq(publish(&r, &rep), 489);
	ck_hdr(&rep, "Allow-Events: presence");
	r.event = LP_STR("dialog");
	ck_assert_int_eq(publish(&r, &rep), 489);
	ck_hdr(&rep, "Allow-Events: presence");
	r.has_event = 0;
	r.event = LP_STR_NULL;
	ck_assert_int_eq(publish(&r, &rep), 489);
	ck_hdr(&rep, "Allow-Events: presence");
	r.has_event = 1;
	r.event = LP_STR("pres ence"); /* malformed */
	ck_assert_int_eq(publish(&r, &rep), 489);

	/* registered, but a watcher-info package cannot be published */
	memset(&winfo, 0, sizeof(winfo));
	winfo.name = LP_STR("presence.winfo");
	winfo.content_type = LP_STR("application/watcherinfo+xml");
	winfo.type = WINFO_TYPE;
	ck_assert_int_eq(pres_add_event(&winfo), 0);
	r.event = LP_STR("presence.winfo");
	r.content_type = LP_STR("application/watcherinfo+xml");
	ck_assert_int_eq(publish(&r, &rep), 489);
	ck_hdr(&rep, "Allow-Events: presence");
	ck_assert_int_eq(db_int("SELECT count(*) FROM presentity"), 0);
}
END_TEST

START_TEST(test_publish_bad_content_type)
{
	pres_publish_req_t r;
	pres_reply_t rep;

	pub_init(&r, "alice", 600, BODY_OPEN);
	r.content_type = LP_STR("text/plain");
	ck_assert_int_eq(publish(&r, &rep), 415);
	ck_hdr(&rep, "Accept: application/pidf+xml\r\n");
	r.has_ctype = 0;
	r.content_type = LP_STR_NULL;
	ck_assert_int_eq(publish(&r, &rep), 415);
	ck_hdr(&rep, "Accept: application/pidf+xml\r\n");
	/* media types compare case-insensitively */
	r.has_ctype = 1;
	r.content_type = LP_STR("Application/PIDF+XML");
	ck_assert_int_eq(publish(&r, &rep), 200);
	ck_assert_int_eq(pub_rows("alice"), 1);
}
END_TEST

START_TEST(test_publish_handler_rejects)
{
	pres_publish_req_t r;
	pres_reply_t rep;

	publ_result = -1;
	pub_init(&r, "alice", 600, BODY_OPEN);
	ck_assert_int_eq(publish(&r, &rep), 400);
	ck_assert_int_eq(pub_rows("alice"), 0);
	publ_result = 1;
	ck_assert_int_eq(publish(&r, &rep), 200);
	ck_assert_int_eq(pub_rows("alice"), 1);
}
END_TEST

START_TEST(test_publish_expires)
{
	pres_publish_req_t r;
	pres_reply_t rep;

	pub_init(&r, "alice", PRES_EXPIRES_BAD, BODY_OPEN);
	ck_assert_int_eq(publish(&r, &rep), 400);
	ck_assert_int_eq(pub_rows("alice"), 0);

	pres.cfg.min_expires = 60;
	r.expires = 10;
	ck_assert_int_eq(publish(&r, &rep), 423);
	ck_hdr(&rep, "Min-Expires: 60\r\n");
	ck_assert_int_eq(pub_rows("alice"), 0);
	r.expires = 60;
	ck_assert_int_eq(publish(&r, &rep), 200);
	ck_hdr(&rep, "Expires: 60\r\n");
	pres.cfg.min_expires = 0;

	r.expires = 99999;
	ck_assert_int_eq(publish(&r, &rep), 200);
	ck_hdr(&rep, "Expires: 3600\r\n");
	ck_assert_int_eq(db_int("SELECT max(expires) FROM presentity"), T0 + 3600);

	r.expires = PRES_EXPIRES_NONE; /* the event's default */
	ck_assert_int_eq(publish(&r, &rep), 200);
	ck_hdr(&rep, "Expires: 3600\r\n");

	pres.cfg.expires_offset = 10;
	r.expires = 600;
	ck_assert_int_eq(publish(&r, &rep), 200);
	ck_hdr(&rep, "Expires: 590\r\n");
	ck_assert_int_eq(pub_rows("alice"), 4);
}
END_TEST

START_TEST(test_publish_library_mode)
{
	pres_publish_req_t r;
	pres_reply_t rep;
	sub_t s;

	pres.cfg.db_url = NULL;
	pub_init(&r, "alice", 600, BODY_OPEN);
	ck_assert_int_eq(publish(&r, &rep), 500);
	sub_init(&s, "bob", "alice", 3600);
	ck_assert_int_eq(subscribe(&s, &rep), 500);
	ck_assert_ptr_null(pres.db);
	ck_assert_int_eq(ncaps, 0);
	ck_assert_int_eq(pub_rows("alice"), 0);
}
END_TEST

/* ---- SUBSCRIBE ---- */

START_TEST(test_subscribe_initial)
{
	char etag[128];
	pres_reply_t rep;
	sub_t s;

	publish_ok("alice", BODY_OPEN, 600, etag);
	ck_assert_int_eq(ncaps, 0);
	sub_init(&s, "bob", "alice", 3600);
	ck_assert_int_eq(subscribe(&s, &rep), 202);
	ck_assert_int_ge(rep.to_tag.len, 2);
	ck_assert_int_eq(strncmp(s.to_tag, "10", 2), 0);
	ck_hdr(&rep, "Expires: 3600\r\n");
	ck_hdr(&rep, "Contact: <" LOCAL_CONTACT ">\r\n");
	ck_assert_int_eq(ncaps, 1);
	ck_has(caps[0].headers, "Event: presence\r\n");
	ck_has(caps[0].headers, "Subscription-State: active;expires=3600\r\n");
	ck_has(caps[0].headers, "Contact: <" LOCAL_CONTACT ">\r\n");
	ck_has(caps[0].headers, "Content-Type: application/pidf+xml\r\n");
	ck_assert(caps[0].has_body);
	ck_assert_str_eq(caps[0].body, BODY_OPEN);
	ck_assert_str_eq(caps[0].callid, s.callid);
	ck_assert_str_eq(caps[0].to_tag, s.to_tag);
	ck_assert_str_eq(caps[0].from_user, "bob");
	ck_assert_uint_eq(caps[0].cseq, 1);
	ck_assert_int_eq(pres_subs_count(), 1);
}
END_TEST

START_TEST(test_subscribe_nothing_published)
{
	pres_reply_t rep;
	sub_t s;

	sub_init(&s, "bob", "alice", 3600);
	ck_assert_int_eq(subscribe(&s, &rep), 202);
	ck_assert_int_eq(ncaps, 1);
	ck_has(caps[0].headers, "Subscription-State: active;expires=3600\r\n");
	ck_assert(!caps[0].has_body);
	ck_hasnt(caps[0].headers, "Content-Type:");
}
END_TEST

START_TEST(test_subscribe_to_tag_prefix)
{
	pres_reply_t rep;
	sub_t s, s2;

	pres.cfg.to_tag_pref = "xyz";
	sub_init(&s, "bob", "alice", 3600);
	ck_assert_int_eq(subscribe(&s, &rep), 202);
	ck_assert_int_eq(strncmp(s.to_tag, "xyz", 3), 0);
	sub_init(&s2, "carol", "alice", 3600);
	ck_assert_int_eq(subscribe(&s2, &rep), 202);
	ck_assert_int_eq(strncmp(s2.to_tag, "xyz", 3), 0);
	ck_assert_str_ne(s.to_tag, s2.to_tag);
}
END_TEST

START_TEST(test_subscribe_notified_on_publish)
{
	pres_publish_req_t r;
	pres_reply_t rep;
	char etag[128];
	sub_t s;

	publish_ok("alice", BODY_OPEN, 600, etag);
	subscribe_ok(&s, "bob", "alice");
	cap_reset();
	pub_init(&r, "alice", 600, BODY_CLOSED);
	pub_if_match(&r, etag);
	ck_assert_int_eq(publish(&r, &rep), 200);
	ck_assert_int_eq(ncaps, 1);
	ck_assert_str_eq(caps[0].callid, s.callid);
	ck_assert_uint_eq(caps[0].cseq, 2);
	ck_assert_str_eq(caps[0].body, BODY_CLOSED);
	ck_has(caps[0].headers, "Subscription-State: active;expires=3600\r\n");

	/* a refresh without body changes no state: no NOTIFY */
	cap_reset();
	hdr_val(&rep, "SIP-ETag", etag, sizeof(etag));
	pub_init(&r, "alice", 600, NULL);
	pub_if_match(&r, etag);
	ck_assert_int_eq(publish(&r, &rep), 200);
	ck_assert_int_eq(ncaps, 0);

	/* the removal of the state is notified, without a body */
	hdr_val(&rep, "SIP-ETag", etag, sizeof(etag));
	pub_init(&r, "alice", 0, NULL);
	pub_if_match(&r, etag);
	ck_assert_int_eq(publish(&r, &rep), 200);
	ck_assert_int_eq(ncaps, 1);
	ck_assert_uint_eq(caps[0].cseq, 3);
	ck_assert(!caps[0].has_body);
}
END_TEST

START_TEST(test_publish_sender_not_notified)
{
	pres_publish_req_t r;
	pres_reply_t rep;
	sub_t bob, carol;

	subscribe_ok(&bob, "bob", "alice");
	subscribe_ok(&carol, "carol", "alice");
	cap_reset();
	pub_init(&r, "alice", 600, BODY_OPEN);
	r.sender = LP_STR("sip:bob@example.com");
	ck_assert_int_eq(publish(&r, &rep), 200);
	ck_assert_int_eq(ncaps, 1);
	ck_assert_str_eq(caps[0].callid, carol.callid);
	ck_assert_str_eq(caps[0].from_user, "carol");
	ck_assert_str_eq(caps[0].body, BODY_OPEN);

	/* no sender: both */
	cap_reset();
	pub_init(&r, "alice", 600, BODY_CLOSED);
	ck_assert_int_eq(publish(&r, &rep), 200);
	ck_assert_int_eq(ncaps, 2);
	ck_assert_ptr_nonnull(cap_for(bob.callid));
	ck_assert_ptr_nonnull(cap_for(carol.callid));
	/* watchers of another presentity are not told */
	cap_reset();
	pub_init(&r, "dave", 600, BODY_CLOSED);
	ck_assert_int_eq(publish(&r, &rep), 200);
	ck_assert_int_eq(ncaps, 0);
}
END_TEST

START_TEST(test_subscribe_refresh)
{
	pres_reply_t rep;
	sub_t s;

	subscribe_ok(&s, "bob", "alice");
	fake_now += 100;
	sub_next(&s, 1800);
	ck_assert_int_eq(subscribe(&s, &rep), 202);
	ck_assert_int_eq(rep.to_tag.len, (int)strlen(s.to_tag));
	ck_hdr(&rep, "Expires: 1800\r\n");
	ck_assert_int_eq(ncaps, 2);
	ck_assert_uint_eq(caps[1].cseq, 2);
	ck_has(caps[1].headers, "Subscription-State: active;expires=1800\r\n");
	ck_assert_int_eq(pres_subs_count(), 1);

	/* target refresh: the next NOTIFY goes to the new Contact, same dialog */
	sub_next(&s, 1800);
	s.r.contact = LP_STR("sip:bob@198.51.100.7:5070");
	ck_assert_int_eq(subscribe(&s, &rep), 202);
	ck_assert_int_eq(pres_subs_count(), 1);
	ck_assert_uint_eq(caps[2].cseq, 3);
	flush_expect(1);
	ck_assert_int_eq(db_int("SELECT count(*) FROM active_watchers WHERE"
							" contact='sip:bob@198.51.100.7:5070'"
							" AND local_cseq=3 AND remote_cseq=3"),
			1);
}
END_TEST

START_TEST(test_unsubscribe)
{
	char etag[128];
	pres_reply_t rep;
	sub_t s;

	publish_ok("alice", BODY_OPEN, 600, etag);
	subscribe_ok(&s, "bob", "alice");
	flush_expect(1);
	ck_assert_int_eq(db_int("SELECT count(*) FROM active_watchers"), 1);
	cap_reset();
	sub_next(&s, 0);
	ck_assert_int_eq(subscribe(&s, &rep) / 100, 2);
	ck_hdr(&rep, "Expires: 0\r\n");
	ck_assert_int_eq(ncaps, 1);
	ck_has(caps[0].headers, "Subscription-State: terminated");
	ck_assert_uint_eq(caps[0].cseq, 2);
	ck_assert_int_eq(pres_subs_count(), 0);
	ck_assert_int_eq(db_int("SELECT count(*) FROM active_watchers"), 0);

	cap_reset();
	sub_next(&s, 3600);
	ck_assert_int_eq(subscribe(&s, &rep), 481);
	ck_assert_int_eq(ncaps, 0);
	ck_assert_int_eq(pres_subs_count(), 0);
}
END_TEST

START_TEST(test_subscribe_unknown_dialog)
{
	pres_reply_t rep;
	sub_t s, other;

	sub_init(&s, "bob", "alice", 3600);
	strcpy(s.to_tag, "10.no.such.dialog");
	sub_next(&s, 3600);
	ck_assert_int_eq(subscribe(&s, &rep), 481);
	ck_assert_int_eq(ncaps, 0);

	/* right Call-ID, wrong From tag */
	subscribe_ok(&other, "carol", "alice");
	sub_next(&other, 3600);
	other.r.from_tag = LP_STR("not-the-tag");
	ck_assert_int_eq(subscribe(&other, &rep), 481);
	ck_assert_int_eq(pres_subs_count(), 1);
}
END_TEST

START_TEST(test_subscribe_bad_event)
{
	pres_reply_t rep;
	sub_t s;

	sub_init(&s, "bob", "alice", 3600);
	s.r.event = LP_STR("dialog");
	ck_assert_int_eq(subscribe(&s, &rep), 489);
	ck_hdr(&rep, "Allow-Events: presence");
	s.r.has_event = 0;
	s.r.event = LP_STR_NULL;
	ck_assert_int_eq(subscribe(&s, &rep), 489);
	ck_hdr(&rep, "Allow-Events: presence");
	ck_assert_int_eq(ncaps, 0);
	ck_assert_int_eq(pres_subs_count(), 0);
}
END_TEST

START_TEST(test_subscribe_accept)
{
	pres_reply_t rep;
	sub_t s;

	sub_init(&s, "bob", "alice", 3600);
	s.r.has_accept = 1;
	s.r.accept = LP_STR("text/plain,application/xpidf+xml");
	ck_assert_int_eq(subscribe(&s, &rep), 406);
	/* no Accept in the 406: it would name request bodies (RFC 3261 s20.1) */
	ck_assert_ptr_null(strstr(rep.hdrs, "Accept:"));
	ck_assert_int_eq(ncaps, 0);
	ck_assert_int_eq(pres_subs_count(), 0);

	sub_init(&s, "bob", "alice", 3600);
	s.r.has_accept = 1;
	s.r.accept = LP_STR("application/*");
	ck_assert_int_eq(subscribe(&s, &rep), 202);

	sub_init(&s, "bob", "alice", 3600);
	s.r.has_accept = 1;
	s.r.accept = LP_STR("*/*");
	ck_assert_int_eq(subscribe(&s, &rep), 202);

	sub_init(&s, "bob", "alice", 3600);
	s.r.has_accept = 1;
	s.r.accept = LP_STR("text/plain, Application/PIDF+XML;q=0.5");
	ck_assert_int_eq(subscribe(&s, &rep), 202);

	sub_init(&s, "bob", "alice", 3600);
	s.r.has_accept = 1;
	s.r.accept = LP_STR("text/*");
	ck_assert_int_eq(subscribe(&s, &rep), 406);
	ck_assert_int_eq(pres_subs_count(), 3);

	/* strict: a malformed Accept is a bad request; q=0 excludes */
	sub_init(&s, "bob", "alice", 3600);
	s.r.has_accept = 1;
	s.r.accept = LP_STR("application/");
	ck_assert_int_eq(subscribe(&s, &rep), 400);
	sub_init(&s, "bob", "alice", 3600);
	s.r.has_accept = 1;
	s.r.accept = LP_STR("*/*, application/pidf+xml;q=0");
	ck_assert_int_eq(subscribe(&s, &rep), 406);
	ck_assert_int_eq(pres_subs_count(), 3);
}
END_TEST

START_TEST(test_subscribe_fetch)
{
	char etag[128];
	pres_reply_t rep;
	sub_t s;

	publish_ok("alice", BODY_OPEN, 600, etag);
	sub_init(&s, "bob", "alice", 0);
	ck_assert_int_eq(subscribe(&s, &rep) / 100, 2);
	ck_hdr(&rep, "Expires: 0\r\n");
	ck_assert_int_eq(ncaps, 1);
	ck_has(caps[0].headers, "Subscription-State: terminated");
	ck_assert_str_eq(caps[0].callid, s.callid);
	ck_assert_int_eq(pres_subs_count(), 0);
	ck_assert_int_eq(pres_subs_flush(), 0);
	ck_assert_int_eq(db_int("SELECT count(*) FROM active_watchers"), 0);

	/* nothing remains to be notified */
	cap_reset();
	publish_ok("alice", BODY_CLOSED, 600, etag);
	ck_assert_int_eq(ncaps, 0);
}
END_TEST

START_TEST(test_subscribe_event_id)
{
	pres_publish_req_t r;
	pres_reply_t rep;
	sub_t s;

	sub_init(&s, "bob", "alice", 3600);
	s.r.event = LP_STR("presence;id=5");
	ck_assert_int_eq(subscribe(&s, &rep), 202);
	ck_assert_int_eq(ncaps, 1);
	ck_has(caps[0].headers, "Event: presence;id=5\r\n");
	pub_init(&r, "alice", 600, BODY_OPEN);
	ck_assert_int_eq(publish(&r, &rep), 200);
	ck_assert_int_eq(ncaps, 2);
	ck_has(caps[1].headers, "Event: presence;id=5\r\n");
	flush_expect(1);
	ck_assert_int_eq(db_int("SELECT count(*) FROM active_watchers WHERE event_id='5'"), 1);
}
END_TEST

/* ---- storage ---- */

START_TEST(test_flush_active_watchers)
{
	char buf[256];
	sub_t s;

	subscribe_ok(&s, "bob", "alice");
	ck_assert_int_eq(db_int("SELECT count(*) FROM active_watchers"), 0);
	ck_assert_int_eq(pres_subs_flush(), 1);
	ck_assert_int_eq(pres_subs_flush(), 0); /* nothing marked any more */
	ck_assert_int_eq(db_int("SELECT count(*) FROM active_watchers"), 1);
	ck_assert_str_eq(db_text(buf, sizeof(buf),
							 "SELECT presentity_uri FROM active_watchers"),
			"sip:alice@example.com");
	ck_assert_str_eq(db_text(buf, sizeof(buf), "SELECT callid FROM active_watchers"),
			s.callid);
	ck_assert_str_eq(db_text(buf, sizeof(buf), "SELECT to_tag FROM active_watchers"),
			s.to_tag);
	ck_assert_str_eq(db_text(buf, sizeof(buf), "SELECT from_tag FROM active_watchers"),
			s.from_tag);
	ck_assert_str_eq(db_text(buf, sizeof(buf),
							 "SELECT watcher_username FROM active_watchers"),
			"bob");
	ck_assert_str_eq(db_text(buf, sizeof(buf), "SELECT contact FROM active_watchers"),
			s.contact);
	ck_assert_str_eq(db_text(buf, sizeof(buf), "SELECT event FROM active_watchers"),
			"presence");
	ck_assert_int_eq(db_int("SELECT local_cseq FROM active_watchers"), 1);
	ck_assert_int_eq(db_int("SELECT remote_cseq FROM active_watchers"), 1);
	ck_assert_int_eq(db_int("SELECT expires FROM active_watchers"), T0 + 3600);
	ck_assert_int_eq(db_int("SELECT status FROM active_watchers"), ACTIVE_STATUS);

	/* a NOTIFY marks it again */
	publish_ok("alice", BODY_OPEN, 600, buf);
	ck_assert_int_eq(pres_subs_flush(), 1);
	ck_assert_int_eq(db_int("SELECT local_cseq FROM active_watchers"), 2);
	ck_assert_int_eq(db_int("SELECT count(*) FROM active_watchers"), 1);
}
END_TEST

/* Regression (was a bug): pres_subs_flush (pres_subs.c:271, take_dirty) clears a record's mark
 * (db_state = PRES_DB_CLEAN) when it copies it, before the row is written;
 * when the write then fails (DB locked past the busy timeout, connection
 * lost, table being migrated) the change is never written: later flushes
 * see a clean record, and a restart loads the stale row (or none at all, as
 * here, and the watcher is forgotten). Fix: clear the mark only for the
 * records whose upsert succeeded and the transaction committed (e.g. keep
 * the copies' dialog keys and re-mark the failed ones as DIRTY, or roll
 * back and re-mark all on a failed commit). */
START_TEST(test_flush_failure_retried)
{
	sub_t s;

	subscribe_ok(&s, "bob", "alice");
	db_run("ALTER TABLE active_watchers RENAME TO active_watchers_off");
	ck_assert_int_le(pres_subs_flush(), 0);
	db_run("ALTER TABLE active_watchers_off RENAME TO active_watchers");
	ck_assert_int_eq(db_int("SELECT count(*) FROM active_watchers"), 0);
	ck_assert_int_eq(pres_subs_flush(), 1);
	ck_assert_int_eq(db_int("SELECT count(*) FROM active_watchers"), 1);
}
END_TEST

START_TEST(test_watchers_row)
{
	char buf[256];
	sub_t s;

	subscribe_ok(&s, "bob", "alice");
	ck_assert_int_eq(db_int("SELECT count(*) FROM watchers"), 1);
	ck_assert_str_eq(db_text(buf, sizeof(buf), "SELECT presentity_uri FROM watchers"),
			"sip:alice@example.com");
	ck_assert_str_eq(db_text(buf, sizeof(buf), "SELECT watcher_username FROM watchers"),
			"bob");
	ck_assert_str_eq(db_text(buf, sizeof(buf), "SELECT watcher_domain FROM watchers"),
			"example.com");
	ck_assert_str_eq(db_text(buf, sizeof(buf), "SELECT event FROM watchers"), "presence");
	ck_assert_int_eq(db_int("SELECT status FROM watchers"), ACTIVE_STATUS);
	ck_assert_int_eq(db_int("SELECT inserted_time FROM watchers"), T0);
	/* a second dialog of the same watcher keeps one row */
	subscribe_ok(&s, "bob", "alice");
	ck_assert_int_eq(db_int("SELECT count(*) FROM watchers"), 1);
}
END_TEST

START_TEST(test_load_db_restores)
{
	pres_publish_req_t r;
	pres_reply_t rep;
	char etag[128];
	sub_t s;

	publish_ok("alice", BODY_OPEN, 600, etag);
	subscribe_ok(&s, "bob", "alice");
	ck_assert_int_eq(pres_subs_flush(), 1);

	/* restart: empty tables, new connection */
	free_tables();
	lp_db_close(pres.db);
	pres.db = NULL;
	pres.pubs = lp_htable_new(4);
	pres.subs = lp_htable_new(4);
	pres.dlgs = lp_htable_new(4);
	ck_assert_int_eq(pres_subs_count(), 0);
	fake_now += 10;
	ck_assert_int_eq(pres_load_db(), 0);
	ck_assert_int_eq(pres_subs_count(), 1);
	ck_assert_int_eq(pres_subs_flush(), 0); /* loaded records are clean */

	cap_reset();
	pub_init(&r, "alice", 600, BODY_CLOSED);
	pub_if_match(&r, etag); /* the restored publication */
	ck_assert_int_eq(publish(&r, &rep), 200);
	ck_assert_int_eq(pub_rows("alice"), 1);
	ck_assert_int_eq(ncaps, 1);
	ck_assert_str_eq(caps[0].callid, s.callid);
	ck_assert_str_eq(caps[0].to_tag, s.to_tag);
	ck_assert_str_eq(caps[0].from_user, "bob");
	ck_assert_uint_eq(caps[0].cseq, 2);
	ck_assert_str_eq(caps[0].body, BODY_CLOSED);
	ck_has(caps[0].headers, "Subscription-State: active;expires=3590\r\n");
	ck_has(caps[0].headers, "Contact: <" LOCAL_CONTACT ">\r\n");

	/* the restored dialog takes in-dialog requests */
	sub_next(&s, 3600);
	ck_assert_int_eq(subscribe(&s, &rep), 202);
	ck_assert_uint_eq(caps[1].cseq, 3);
	ck_assert_str_eq(caps[1].body, BODY_CLOSED);
}
END_TEST

START_TEST(test_load_db_skips_expired)
{
	char etag[128];
	sub_t s;

	publish_ok("alice", BODY_OPEN, 600, etag);
	subscribe_ok(&s, "bob", "alice");
	ck_assert_int_eq(pres_subs_flush(), 1);
	free_tables();
	pres.pubs = lp_htable_new(4);
	pres.subs = lp_htable_new(4);
	pres.dlgs = lp_htable_new(4);
	fake_now += 4000;
	ck_assert_int_eq(pres_load_db(), 0);
	ck_assert_int_eq(pres_subs_count(), 0);
	cap_reset();
	publish_ok("alice", BODY_CLOSED, 600, etag);
	ck_assert_int_eq(ncaps, 0);
}
END_TEST

/* ---- expiry ---- */

START_TEST(test_publication_expiry)
{
	char etag[128];
	sub_t s;

	publish_ok("alice", BODY_OPEN, 600, etag);
	subscribe_ok(&s, "bob", "alice");
	cap_reset();
	fake_now += 599;
	pres_clean_expired();
	ck_assert_int_eq(ncaps, 0);
	ck_assert_int_eq(pub_rows("alice"), 1);
	fake_now += 2;
	pres_clean_expired();
	ck_assert_int_eq(pub_rows("alice"), 0);
	ck_assert_int_eq(ncaps, 1);
	ck_assert_str_eq(caps[0].callid, s.callid);
	ck_assert(!caps[0].has_body);
	ck_hasnt(caps[0].headers, "Content-Type:");
	ck_has(caps[0].headers, "Subscription-State: active;expires=2999\r\n");
	ck_assert_uint_eq(caps[0].cseq, 2);
	ck_assert_int_eq(pres_subs_count(), 1);
	/* and a refresh of the expired publication fails */
	{
		pres_publish_req_t r;
		pres_reply_t rep;
		pub_init(&r, "alice", 600, NULL);
		pub_if_match(&r, etag);
		ck_assert_int_eq(publish(&r, &rep), 412);
	}
}
END_TEST

/* Regression (was a bug): pres_pub.h:54 documents pres_pub_clean as calling cb "for each
 * distinct presentity/event removed", but pres_pub_clean (pres_pub.c:351-355)
 * calls it once per expired publication, so a presentity with two devices
 * whose publications expire in the same clean run sends every watcher two
 * identical NOTIFYs (two CSeqs burnt). Fix: call cb only for the first
 * record of each (user, domain, event) in the `gone` list. */
START_TEST(test_publication_expiry_one_notify)
{
	char e1[128], e2[128];
	sub_t s;

	publish_ok("alice", BODY_OPEN, 600, e1);
	publish_ok("alice", BODY_CLOSED, 600, e2);
	subscribe_ok(&s, "bob", "alice");
	cap_reset();
	fake_now += 700;
	pres_clean_expired();
	ck_assert_int_eq(pub_rows("alice"), 0);
	ck_assert_int_eq(ncaps, 1);
}
END_TEST

START_TEST(test_subscription_expiry)
{
	sub_t s, keep;
	pres_reply_t rep;

	sub_init(&s, "bob", "alice", 1800);
	ck_assert_int_eq(subscribe(&s, &rep), 202);
	subscribe_ok(&keep, "carol", "alice");
	flush_expect(2);
	cap_reset();
	fake_now += 1799;
	pres_clean_expired();
	ck_assert_int_eq(ncaps, 0);
	fake_now += 1;
	pres_clean_expired();
	ck_assert_int_eq(ncaps, 1);
	ck_assert_str_eq(caps[0].callid, s.callid);
	ck_has(caps[0].headers, "Subscription-State: terminated;reason=timeout\r\n");
	ck_assert(!caps[0].has_body);
	ck_assert_uint_eq(caps[0].cseq, 2);
	ck_assert_int_eq(pres_subs_count(), 1);
	ck_assert_int_eq(db_int("SELECT count(*) FROM active_watchers WHERE callid=%Q",
							 s.callid),
			0);
	ck_assert_int_eq(db_int("SELECT count(*) FROM active_watchers"), 1);
	sub_next(&s, 3600);
	ck_assert_int_eq(subscribe(&s, &rep), 481);
}
END_TEST

/* ---- NOTIFY replies ---- */

static void notify_answered(sub_t *s, int code)
{
	lp_str_t uri = LP_STR("sip:alice@example.com");
	lp_str_t callid = lp_str_c(s->callid), tt = lp_str_c(s->to_tag),
			 ft = lp_str_c(s->from_tag);

	pres_notify_reply(&uri, &callid, &tt, &ft, code);
}

START_TEST(test_notify_reply)
{
	sub_t a, b, c;

	subscribe_ok(&a, "bob", "alice");
	subscribe_ok(&b, "carol", "alice");
	subscribe_ok(&c, "dave", "alice");
	flush_expect(3);

	notify_answered(&a, 200);
	ck_assert_int_eq(pres_subs_count(), 3);
	notify_answered(&a, 481);
	ck_assert_int_eq(pres_subs_count(), 2);
	notify_answered(&b, 408);
	ck_assert_int_eq(pres_subs_count(), 1);
	ck_assert_int_eq(db_int("SELECT count(*) FROM active_watchers"), 1);
	notify_answered(&c, 500);
	ck_assert_int_eq(pres_subs_count(), 1);

	pres.cfg.timeout_rm_subs = 0;
	notify_answered(&c, 408);
	ck_assert_int_eq(pres_subs_count(), 1);
	ck_assert_int_eq(db_int("SELECT count(*) FROM active_watchers"), 1);
	/* the remaining dialog is c's */
	sub_next(&c, 3600);
	{
		pres_reply_t rep;
		ck_assert_int_eq(subscribe(&c, &rep), 202);
	}
	notify_answered(&c, 481); /* RFC 6665: a 481 removes it anyway */
	ck_assert_int_eq(pres_subs_count(), 0);
}
END_TEST

/* A watcher removed because its NOTIFY failed is reported to the winfo
 * subscribers (RFC 3857) as terminated. */
START_TEST(test_notify_reply_winfo)
{
	pres_ev_t winfo;
	pres_reply_t rep;
	sub_t w, a;
	const cap_t *c;

	memset(&winfo, 0, sizeof(winfo));
	winfo.name = LP_STR("presence.winfo");
	winfo.content_type = LP_STR("application/watcherinfo+xml");
	winfo.type = WINFO_TYPE;
	ck_assert_int_eq(pres_add_event(&winfo), 0);
	sub_init(&w, "alice", "alice", 3600);
	w.r.event = LP_STR("presence.winfo");
	ck_assert_int_eq(subscribe(&w, &rep) / 100, 2);
	subscribe_ok(&a, "bob", "alice");
	c = cap_for(w.callid);
	ck_assert_ptr_nonnull(c);
	ck_has(c->body, "status=\"active\"");
	ck_has(c->body, "duration-subscribed=\"0\"");

	cap_reset();
	fake_now += 100; /* RFC 3858: seconds since bob subscribed */
	notify_answered(&a, 481);
	c = cap_for(w.callid);
	ck_assert_ptr_nonnull(c);
	ck_has(c->body, "sip:bob@example.com");
	ck_has(c->body, "status=\"terminated\"");
	ck_has(c->body, "event=\"timeout\"");
	ck_has(c->body, "duration-subscribed=\"100\"");
	ck_assert_ptr_null(cap_for(a.callid)); /* the failed watcher: nothing */
}
END_TEST

/* ---- refreshWatchers ---- */

START_TEST(test_refresh_watchers)
{
	lp_str_t uri = LP_STR("sip:alice@example.com"), ev = LP_STR("presence");
	char etag[128];
	sub_t s, t;

	publish_ok("alice", BODY_OPEN, 600, etag);
	subscribe_ok(&s, "bob", "alice");
	subscribe_ok(&t, "carol", "alice");
	db_run("UPDATE presentity SET body=%Q WHERE username='alice'", BODY_CLOSED);
	cap_reset();
	ck_assert_int_eq(pres_refresh_watchers(&uri, &ev, 1), 2);
	ck_assert_int_eq(ncaps, 2);
	ck_assert_str_eq(cap_for(s.callid)->body, BODY_CLOSED);
	ck_assert_str_eq(cap_for(t.callid)->body, BODY_CLOSED);
	ck_assert_uint_eq(cap_for(s.callid)->cseq, 2);

	/* a row deleted behind our back: NOTIFY without body */
	db_run("DELETE FROM presentity");
	cap_reset();
	ck_assert_int_eq(pres_refresh_watchers(&uri, &ev, 1), 2);
	ck_assert(!caps[0].has_body);

	ev = LP_STR("dialog");
	ck_assert_int_eq(pres_refresh_watchers(&uri, &ev, 1), -1);
	ev = LP_STR("presence");
	uri = LP_STR("alice");
	ck_assert_int_eq(pres_refresh_watchers(&uri, &ev, 1), -1);
}
END_TEST

/* get_pidf_doc stub: hard_doc (NULL: no document) for any file_uri, which
 * it records. */
static const char *hard_doc;
static char hard_file_uri[128];

static int pidf_doc_stub(lp_str_t *user, lp_str_t *domain, lp_str_t *file_uri,
		lp_str_t **doc)
{
	snprintf(hard_file_uri, sizeof(hard_file_uri), "%.*s",
			file_uri ? file_uri->len : 0, file_uri ? file_uri->s : "");
	*doc = NULL;
	if(!hard_doc)
		return 0;
	*doc = malloc(sizeof(**doc));
	(*doc)->s = strdup(hard_doc);
	(*doc)->len = strlen(hard_doc);
	return 0;
}

static void free_stub(char *p)
{
	free(p);
}

/* type 2: the pidf-manipulation document becomes the publication with
 * ETag filename (replaced on a change, removed with the document) and the
 * watchers are notified each time. */
START_TEST(test_refresh_watchers_hard_state)
{
	lp_str_t uri = LP_STR("sip:alice@example.com"), ev = LP_STR("presence");
	lp_str_t furi = LP_STR("/xcap-root/pidf-manipulation/users/alice/index");
	lp_str_t file = LP_STR("index"), user = LP_STR("alice");
	lp_str_t dom = LP_STR("example.com"), body = LP_STR_NULL;
	pres_pub_key_t k = {&user, &dom, &ev, &file};
	pres_ev_t *e = pres_event_by_hdr(&ev);
	unsigned int exp;
	sub_t s;

	e->get_pidf_doc = pidf_doc_stub;
	e->free_body = free_stub;
	subscribe_ok(&s, "bob", "alice");
	hard_doc = BODY_OPEN;
	cap_reset();
	ck_assert_int_eq(pres_refresh_watchers_file(&uri, &ev, 2, &furi, &file), 1);
	ck_assert_str_eq(hard_file_uri, furi.s);
	ck_assert_str_eq(cap_for(s.callid)->body, BODY_OPEN);
	ck_assert_int_eq(pres_pub_lookup(&k, &body, &exp), 1);
	ck_assert(exp > T0 + 10 * 365 * 86400u); /* does not expire */
	free(body.s);
	ck_assert_int_eq(db_int("SELECT count(*) FROM presentity"
							  " WHERE etag='index'"),
			1);

	hard_doc = BODY_CLOSED; /* a new version replaces the old one */
	cap_reset();
	ck_assert_int_eq(pres_refresh_watchers_file(&uri, &ev, 2, &furi, &file), 1);
	ck_assert_str_eq(cap_for(s.callid)->body, BODY_CLOSED);
	ck_assert_int_eq(db_int("SELECT count(*) FROM presentity"), 1);

	hard_doc = NULL; /* deleted: the publication goes */
	cap_reset();
	ck_assert_int_eq(pres_refresh_watchers_file(&uri, &ev, 2, &furi, &file), 1);
	ck_assert_int_eq(pres_pub_lookup(&k, NULL, &exp), 0);
	ck_assert_int_eq(db_int("SELECT count(*) FROM presentity"), 0);
	/* again without a document: nothing to remove, still fine */
	ck_assert_int_eq(pres_refresh_watchers_file(&uri, &ev, 2, &furi, &file), 1);
}
END_TEST

/* ---- out of memory ---- */

START_TEST(test_publish_oom)
{
	pres_publish_req_t r;
	pres_reply_t rep;
	sub_t s;
	long long rows;
	int n, code, injected = 1, ok = 0;

	subscribe_ok(&s, "bob", "alice");
	for(n = 1; injected && n < 200; n++) {
		long calls0;
		cap_reset();
		rows = pub_rows("alice");
		pub_init(&r, "alice", 600, BODY_OPEN);
		calls0 = lp_test_mem_calls();
		lp_test_mem_fail_at(n);
		code = publish(&r, &rep);
		injected = lp_test_mem_calls() - calls0 >= n;
		lp_test_mem_fail_at(0);
		if(code == 200) {
			ok++;
			ck_assert_int_eq(pub_rows("alice"), rows + 1);
			ck_assert_int_eq(ncaps, 1);
		} else {
			ck_assert_msg(code == 500, "n=%d: %d", n, code);
			ck_assert_int_eq(pub_rows("alice"), rows);
			ck_assert_int_eq(ncaps, 0);
		}
	}
	ck_assert_msg(!injected, "still failing at n=%d", n);
	ck_assert_int_gt(ok, 0);
	/* what is cached is what is stored */
	free_tables();
	pres.pubs = lp_htable_new(4);
	pres.subs = lp_htable_new(4);
	pres.dlgs = lp_htable_new(4);
	ck_assert_int_eq(pres_pub_load_all(), (int)pub_rows("alice"));
}
END_TEST

START_TEST(test_modify_oom)
{
	pres_publish_req_t r;
	pres_reply_t rep;
	char etag[128], buf[512];
	sub_t s;
	int n, code, injected = 1;

	publish_ok("alice", BODY_OPEN, 600, etag);
	subscribe_ok(&s, "bob", "alice");
	for(n = 1; injected && n < 200; n++) {
		long calls0;
		pub_init(&r, "alice", 600, (n & 1) ? BODY_CLOSED : BODY_OPEN);
		pub_if_match(&r, etag);
		calls0 = lp_test_mem_calls();
		lp_test_mem_fail_at(n);
		code = publish(&r, &rep);
		injected = lp_test_mem_calls() - calls0 >= n;
		lp_test_mem_fail_at(0);
		if(code == 200) {
			hdr_val(&rep, "SIP-ETag", etag, sizeof(etag));
		} else {
			ck_assert_msg(code == 500, "n=%d: %d", n, code);
		}
		ck_assert_int_eq(pub_rows("alice"), 1);
		ck_assert_str_eq(db_text(buf, sizeof(buf), "SELECT etag FROM presentity"), etag);
	}
	ck_assert(!injected);
}
END_TEST

START_TEST(test_subscribe_oom)
{
	pres_reply_t rep;
	sub_t s;
	int n, code, before, injected = 1, ok = 0;

	for(n = 1; injected && n < 200; n++) {
		long calls0;
		cap_reset();
		before = pres_subs_count();
		sub_init(&s, "bob", "alice", 3600);
		calls0 = lp_test_mem_calls();
		lp_test_mem_fail_at(n);
		code = subscribe(&s, &rep);
		injected = lp_test_mem_calls() - calls0 >= n;
		lp_test_mem_fail_at(0);
		if(code == 202) {
			ok++;
			ck_assert_int_eq(pres_subs_count(), before + 1);
			ck_assert_int_eq(ncaps, 1);
		} else {
			ck_assert_msg(code == 500, "n=%d: %d", n, code);
			ck_assert_int_eq(pres_subs_count(), before);
			ck_assert_int_eq(ncaps, 0);
		}
	}
	ck_assert_msg(!injected, "still failing at n=%d", n);
	ck_assert_int_gt(ok, 0);
	ck_assert_int_eq(pres_subs_flush(), pres_subs_count());
	ck_assert_int_eq(db_int("SELECT count(*) FROM active_watchers"), pres_subs_count());
}
END_TEST

/* Regression (was a bug): a target-refresh SUBSCRIBE (new Contact) that fails for lack of
 * memory is answered 500 yet half-applied: refresh_op (pres_subscribe.c:148-150)
 * updates the stored expires, remote_cseq and local_cseq before
 * apply_in (pres_subs.c:69) tries srec_new(replace), and when that fails the
 * old record keeps the new values (and is not even marked for the DB). The
 * watcher is told the refresh failed while its subscription was extended.
 * Fix: in refresh_op, compute the new values on c->replacement / the copy and
 * write them to `stored` only when no replacement is needed, or have
 * apply_in restore/only commit after srec_new succeeded. */
START_TEST(test_target_refresh_oom)
{
	pres_reply_t rep;
	sub_t s;
	int n, code, injected = 1;

	subscribe_ok(&s, "bob", "alice");
	ck_assert_int_eq(pres_subs_flush(), 1);
	for(n = 1; injected && n < 50; n++) {
		long calls0;
		unsigned int expires_before;
		char buf[64];
		sub_next(&s, 3600);
		snprintf(s.contact, sizeof(s.contact), "sip:bob@192.0.2.%d:5060", n);
		s.r.contact = lp_str_c(s.contact);
		fake_now += 10;
		expires_before = (unsigned int)db_int("SELECT expires FROM active_watchers");
		calls0 = lp_test_mem_calls();
		lp_test_mem_fail_at(n);
		code = subscribe(&s, &rep);
		injected = lp_test_mem_calls() - calls0 >= n;
		lp_test_mem_fail_at(0);
		pres_subs_flush();
		if(code == 500) {
			/* nothing changed: same expiry, old contact */
			ck_assert_uint_eq(db_int("SELECT expires FROM active_watchers"),
					expires_before);
			ck_assert_str_ne(db_text(buf, sizeof(buf),
									 "SELECT contact FROM active_watchers"),
					s.contact);
			/* and the in-memory record has the old expiry too: it
			 * expires when the DB says */
			fake_now = expires_before;
			pres_clean_expired();
			ck_assert_int_eq(pres_subs_count(), 0);
			return;
		}
		ck_assert_int_eq(code, 202);
	}
	ck_abort_msg("no allocation failure reached the target refresh");
}
END_TEST

/* ---- shtable API ---- */

START_TEST(test_shtable)
{
	shtable_t t = pres_shtable_new(16);
	pres_ev_t *ev = pres_event_by_hdr(&LP_STR("presence"));
	subs_t s, *found;
	unsigned int h;

	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(ev);
	memset(&s, 0, sizeof(s));
	s.pres_uri = LP_STR("sip:alice@example.com");
	s.from_user = s.watcher_user = LP_STR("bob");
	s.from_domain = s.watcher_domain = LP_STR("example.com");
	s.event = ev;
	s.callid = LP_STR("call-1");
	s.to_tag = LP_STR("tt-1");
	s.from_tag = LP_STR("ft-1");
	s.contact = LP_STR("sip:bob@192.0.2.10");
	s.expires = 100; /* a duration: stored as now + 100 */
	s.remote_cseq = 1;
	s.local_cseq = 1;
	s.status = ACTIVE_STATUS;
	h = lp_hash_str(&s.pres_uri);
	ck_assert_int_eq(pres_shtable_insert(t, h, &s), 0);

	found = pres_shtable_search(t, s.callid, s.to_tag, s.from_tag, h);
	ck_assert_ptr_nonnull(found);
	ck_assert_ptr_ne(found, &s);
	ck_assert(lp_str_eq(&found->pres_uri, &s.pres_uri));
	ck_assert(lp_str_eq(&found->contact, &s.contact));
	ck_assert_ptr_ne(found->contact.s, s.contact.s); /* a copy */
	ck_assert_ptr_eq(found->event, ev);
	ck_assert_uint_eq(found->expires, T0 + 100);
	ck_assert_ptr_null(pres_shtable_search(t, s.callid, LP_STR("x"), s.from_tag, h));
	ck_assert_ptr_null(pres_shtable_search(t, LP_STR("call-2"), s.to_tag, s.from_tag, h));
	/* Kamailio's layout: a consumer (rls) walks slot h from the head record
	 * with the slot lock held, and search takes no lock of its own */
	ck_assert_int_eq(pres_shtable_size(t), 16);
	ck_assert_ptr_eq(t[h % 16].entries->next, found);
	ck_assert_ptr_null(found->next);
	pres_shtable_lock(t, h);
	ck_assert_ptr_eq(pres_shtable_search(t, s.callid, s.to_tag, s.from_tag, h), found);
	pres_shtable_unlock(t, h);
	found->db_flag = NO_UPDATEDB_FLAG;

	s.expires = 200;
	s.remote_cseq = 2;
	s.local_cseq = 77;
	ck_assert_int_eq(pres_shtable_update(t, h, &s, REMOTE_TYPE), 0);
	ck_assert_uint_eq(found->expires, T0 + 200);
	ck_assert_uint_eq(found->remote_cseq, 2);
	ck_assert_uint_eq(found->local_cseq, 1);
	ck_assert_int_eq(found->db_flag, UPDATEDB_FLAG); /* for update_db_subs_timer */
	ck_assert_int_eq(pres_shtable_update(t, h, &s, LOCAL_TYPE), 0);
	ck_assert_uint_eq(found->local_cseq, 2);
	ck_assert_uint_eq(s.local_cseq, 2);
	ck_assert_int_eq(found->version, 1);
	ck_assert_int_eq(s.version, 1);
	s.status = TERMINATED_STATUS;
	s.expires = 300;
	ck_assert_int_eq(pres_shtable_update(t, h, &s, REMOTE_TYPE | LOCAL_TYPE), 0);
	ck_assert_uint_eq(found->expires, T0 + 300);
	ck_assert_uint_eq(found->local_cseq, 3);
	ck_assert_int_eq(found->status, TERMINATED_STATUS);

	s.callid = LP_STR("call-unknown");
	ck_assert_int_eq(pres_shtable_update(t, h, &s, LOCAL_TYPE), -1);
	ck_assert_int_eq(pres_shtable_delete(t, h, &s), -1);
	s.callid = LP_STR("call-1");
	ck_assert_int_eq(pres_shtable_delete(t, h, &s), 0);
	ck_assert_ptr_null(pres_shtable_search(t, s.callid, s.to_tag, s.from_tag, h));
	ck_assert_int_eq(pres_shtable_delete(t, h, &s), -1);

	/* destroy frees what is left */
	s.callid = LP_STR("call-2");
	ck_assert_int_eq(pres_shtable_insert(t, h, &s), 0);
	s.callid = LP_STR("call-3");
	ck_assert_int_eq(pres_shtable_insert(t, h + 1, &s), 0);
	ck_assert_ptr_nonnull(pres_shtable_search(t, LP_STR("call-3"), s.to_tag, s.from_tag, h + 1));
	pres_shtable_destroy(t, 16);
}
END_TEST

START_TEST(test_shtable_oom)
{
	subs_t s;
	shtable_t t;
	int n;

	memset(&s, 0, sizeof(s));
	s.pres_uri = LP_STR("sip:alice@example.com");
	s.callid = LP_STR("call-1");
	for(n = 1; n < 64; n++) {
		lp_test_mem_fail_at(n);
		t = pres_shtable_new(4);
		if(t && pres_shtable_insert(t, 7, &s) == 0) {
			lp_test_mem_fail_at(0);
			ck_assert_ptr_nonnull(pres_shtable_search(t, s.callid, s.to_tag, s.from_tag, 7));
			pres_shtable_destroy(t, 4);
			break;
		}
		lp_test_mem_fail_at(0);
		if(t)
			pres_shtable_destroy(t, 4);
	}
	ck_assert_int_lt(n, 64);
}
END_TEST

/* enable_sphere_check: the RPID sphere of the newest publication. */
START_TEST(test_sphere)
{
	char etag[128];
	lp_str_t uri = LP_STR("sip:alice@example.com");
	char *sp;

	publish_ok("alice",
			"<?xml version=\"1.0\"?><presence xmlns=\"urn:ietf:params:xml:ns:pidf\""
			" xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\""
			" xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\""
			" entity=\"sip:alice@example.com\"><tuple id=\"t1\"><status><basic>"
			"open</basic></status></tuple><dm:person id=\"p\"><rpid:sphere>"
			" work </rpid:sphere></dm:person></presence>",
			600, etag);
	ck_assert_ptr_null(pres_sphere_of(&uri)); /* enable_sphere_check off */
	pres.cfg.enable_sphere_check = 1;
	sp = pres_sphere_of(&uri);
	ck_assert_ptr_nonnull(sp);
	ck_assert_str_eq(sp, "work");
	free(sp);
	publish_ok("alice", BODY_OPEN, 600, etag); /* newest: no sphere */
	ck_assert_ptr_null(pres_sphere_of(&uri));
	uri = lp_str_c("sip:nobody@example.com");
	ck_assert_ptr_null(pres_sphere_of(&uri));
}
END_TEST


/* ---- the API as Debian's event modules use it (presence_dialoginfo and
 * the like: req_auth 0, an aggregating agg_nbody whose str the presence
 * frees with str_free and whose text with free_body) ---- */

static int agg_calls, agg_last_n, free_body_calls, str_free_calls;
static int agg_last_off;
static int aux_calls, aux_free_calls, subs_handl_result;

static lp_str_t *agg_join(lp_str_t *user, lp_str_t *domain, lp_str_t **bodies,
		int n, int off_index)
{
	lp_str_t *r = malloc(sizeof(*r));
	int i, len = 0;

	agg_calls++;
	agg_last_n = n;
	agg_last_off = off_index;
	ck_assert_ptr_nonnull(r);
	r->s = malloc(256 * (n + 1));
	ck_assert_ptr_nonnull(r->s);
	len += sprintf(r->s, "<agg user='%.*s'>", LP_STR_FMT(*user));
	for(i = 0; i < n; i++)
		len += sprintf(r->s + len, "%.*s", LP_STR_FMT(*bodies[i]));
	len += sprintf(r->s + len, "</agg>");
	r->len = len;
	return r;
}

static void count_free_body(char *p)
{
	free_body_calls++;
	free(p);
}

static void count_str_free(void *p)
{
	str_free_calls++;
	free(p);
}

static lp_str_t *aux_mark(subs_t *s, lp_str_t *body)
{
	lp_str_t *r = malloc(sizeof(*r));

	aux_calls++;
	ck_assert_ptr_nonnull(r);
	r->s = malloc(body->len + 64);
	ck_assert_ptr_nonnull(r->s);
	r->len = sprintf(r->s, "%.*s<!-- for %.*s -->", LP_STR_FMT(*body),
			LP_STR_FMT(s->watcher_user));
	return r;
}

static void count_aux_free(char *p)
{
	aux_free_calls++;
	free(p);
}

static int subs_handl(struct sip_msg *msg)
{
	return subs_handl_result;
}

/* "dialog" as presence_dialoginfo registers it: publishable, no
 * authorization, aggregated. */
static void register_dialog(int with_aux)
{
	pres_ev_t ev;

	memset(&ev, 0, sizeof(ev));
	ev.name = LP_STR("dialog");
	ev.content_type = LP_STR("application/dialog-info+xml");
	ev.default_expires = 3600;
	ev.type = PUBL_TYPE;
	ev.req_auth = 0;
	ev.agg_nbody = agg_join;
	ev.free_body = count_free_body;
	ev.evs_subs_handl = subs_handl;
	if(with_aux) {
		ev.aux_body_processing = aux_mark;
		ev.aux_free_body = count_aux_free;
	}
	ck_assert_int_eq(pres_add_event(&ev), 0);
	agg_calls = agg_last_n = free_body_calls = str_free_calls = 0;
	aux_calls = aux_free_calls = subs_handl_result = 0;
	pres.str_free = count_str_free;
}

static int publish_dialog(const char *user, const char *body, const char *etag)
{
	pres_publish_req_t r;
	pres_reply_t rep;

	pub_init(&r, user, 600, body);
	r.event = LP_STR("dialog");
	r.content_type = LP_STR("application/dialog-info+xml");
	if(etag)
		pub_if_match(&r, etag);
	return publish(&r, &rep);
}

/* An un-PUBLISH: agg_nbody gets the removed body as body_array[n - 1] with
 * off_index n - 1 (Kamailio's contract, event_list.h), so presence_xml can
 * send it closed; other NOTIFYs get off_index -1. */
START_TEST(test_api_agg_off_index)
{
	pres_publish_req_t r;
	pres_reply_t rep;
	char etag[128];
	sub_t w;
	const cap_t *c;

	register_dialog(0);
	pub_init(&r, "line1", 600, "<d1/>");
	r.event = LP_STR("dialog");
	r.content_type = LP_STR("application/dialog-info+xml");
	ck_assert_int_eq(publish(&r, &rep), 200);
	hdr_val(&rep, "SIP-ETag", etag, sizeof(etag));
	ck_assert_int_eq(publish_dialog("line1", "<d2/>", NULL), 200);
	sub_init(&w, "boss", "line1", 600);
	w.r.event = LP_STR("dialog");
	ck_assert_int_eq(subscribe(&w, &rep), 202);
	ck_assert_int_eq(agg_last_off, -1);
	pub_init(&r, "line1", 0, NULL);
	r.event = LP_STR("dialog");
	pub_if_match(&r, etag);
	ck_assert_int_eq(publish(&r, &rep), 200);
	ck_assert_int_eq(agg_last_n, 2);
	ck_assert_int_eq(agg_last_off, 1);
	c = cap_for(w.callid);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->body, "<agg user='line1'><d2/><d1/></agg>");
	ck_assert_int_eq(free_body_calls, agg_calls);
	ck_assert_int_eq(str_free_calls, agg_calls);
}
END_TEST

/* Expiry is told to agg_nbody like an un-PUBLISH: the newest expired body
 * is body_array[n - 1] with off_index n - 1, so the event can say the
 * expired state is gone (presence_xml: closed tuples) instead of a NOTIFY
 * without a body that leaves a phone's lamp as it was. Only d1 expires;
 * d2 stays. Also run in DB-only mode (the expired rows come from the DB). */
START_TEST(test_api_agg_off_index_on_expiry)
{
	pres_publish_req_t r;
	pres_reply_t rep;
	sub_t w;
	const cap_t *c;

	register_dialog(0);
	pub_init(&r, "line2", 60, "<d1/>");
	r.event = LP_STR("dialog");
	r.content_type = LP_STR("application/dialog-info+xml");
	ck_assert_int_eq(publish(&r, &rep), 200);
	ck_assert_int_eq(publish_dialog("line2", "<d2/>", NULL), 200);
	sub_init(&w, "boss2", "line2", 600);
	w.r.event = LP_STR("dialog");
	ck_assert_int_eq(subscribe(&w, &rep), 202);
	cap_reset();
	fake_now += 120;
	pres_clean_expired();
	ck_assert_int_eq(agg_last_n, 2);
	ck_assert_int_eq(agg_last_off, 1);
	c = cap_for(w.callid);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->body, "<agg user='line2'><d2/><d1/></agg>");
	ck_assert_int_eq(free_body_calls, agg_calls);
}
END_TEST

START_TEST(test_api_event_without_auth)
{
	sub_t w, self;
	pres_reply_t rep;
	const cap_t *c;

	register_dialog(0);
	ck_assert_int_eq(publish_dialog("line1", "<d1/>", NULL), 200);
	ck_assert_int_eq(publish_dialog("line1", "<d2/>", NULL), 200);
	/* any watcher is accepted, active, with the aggregate of both */
	sub_init(&w, "boss", "line1", 600);
	w.r.event = LP_STR("dialog");
	ck_assert_int_eq(subscribe(&w, &rep), 202);
	c = cap_for(w.callid);
	ck_assert_ptr_nonnull(c);
	ck_has(c->headers, "Subscription-State: active");
	ck_has(c->headers, "Content-Type: application/dialog-info+xml");
	ck_assert_str_eq(c->body, "<agg user='line1'><d1/><d2/></agg>");
	ck_assert_int_eq(agg_last_n, 2);
	/* each agg_nbody result: text through free_body, str through str_free */
	ck_assert_int_eq(free_body_calls, agg_calls);
	ck_assert_int_eq(str_free_calls, agg_calls);
	/* the presentity watching its own dialog: an ordinary subscription */
	sub_init(&self, "line1", "line1", 600);
	self.r.event = LP_STR("dialog");
	ck_assert_int_eq(subscribe(&self, &rep), 202);
	c = cap_for(self.callid);
	ck_assert_ptr_nonnull(c);
	ck_has(c->headers, "Event: dialog\r\n");
	ck_has(c->headers, "Content-Type: application/dialog-info+xml");
	ck_hasnt(c->body, "watcherinfo");
	ck_assert_str_eq(c->body, "<agg user='line1'><d1/><d2/></agg>");
	/* evs_subs_handl rejecting: no subscription */
	subs_handl_result = -1;
	sub_init(&w, "eve", "line1", 600);
	w.r.event = LP_STR("dialog");
	ck_assert_int_eq(subscribe(&w, &rep), 400);
}
END_TEST

START_TEST(test_api_aux_body_per_watcher)
{
	sub_t a, b;
	pres_reply_t rep;

	register_dialog(1);
	ck_assert_int_eq(publish_dialog("line1", "<d1/>", NULL), 200);
	sub_init(&a, "anna", "line1", 600);
	a.r.event = LP_STR("dialog");
	ck_assert_int_eq(subscribe(&a, &rep), 202);
	sub_init(&b, "bert", "line1", 600);
	b.r.event = LP_STR("dialog");
	ck_assert_int_eq(subscribe(&b, &rep), 202);
	ck_assert_str_eq(cap_for(a.callid)->body,
			"<agg user='line1'><d1/></agg><!-- for anna -->");
	ck_assert_str_eq(cap_for(b.callid)->body,
			"<agg user='line1'><d1/></agg><!-- for bert -->");
	ck_assert_int_eq(aux_calls, 2);
	ck_assert_int_eq(aux_free_calls, 2);
	ck_assert_int_eq(str_free_calls, agg_calls + aux_calls);
}
END_TEST

static int auth_verdict;
static int auth_stub(subs_t *s)
{
	s->status = auth_verdict;
	return 0;
}

START_TEST(test_api_auth_status)
{
	lp_str_t w = LP_STR("sip:bob@example.com"), p = LP_STR("sip:alice@example.com");
	lp_str_t bad = LP_STR("not a uri");
	pres_ev_t *ev = pres_event_by_hdr(&LP_STR("presence"));

	/* presence registered without req_auth: everyone is allowed */
	ck_assert_int_eq(pres_auth_status_of(ev, &w, &p), ACTIVE_STATUS);
	ck_assert_int_eq(pres_auth_status_of(ev, &bad, &p), -1);
	ev->req_auth = 1;
	ev->get_auth_status = auth_stub;
	auth_verdict = TERMINATED_STATUS;
	ck_assert_int_eq(pres_auth_status_of(ev, &w, &p), TERMINATED_STATUS);
	auth_verdict = PENDING_STATUS;
	ck_assert_int_eq(pres_auth_status_of(ev, &w, &p), PENDING_STATUS);
}
END_TEST

START_TEST(test_api_presentity_doc)
{
	lp_str_t uri = LP_STR("sip:alice@example.com"), doc, et;
	pres_ev_t *ev = pres_event_by_hdr(&LP_STR("presence"));
	char etag1[128], etag2[128];

	ck_assert_int_eq(pres_presentity_doc(&uri, ev, NULL, &doc), 0);
	ck_assert_ptr_null(doc.s);
	publish_ok("alice", BODY_OPEN, 600, etag1);
	publish_ok("alice", BODY_CLOSED, 600, etag2);
	ck_assert_int_eq(pres_presentity_doc(&uri, ev, NULL, &doc), 1);
	ck_assert_str_eq(doc.s, BODY_CLOSED); /* no agg_nbody: the newest */
	free(doc.s);
	et = lp_str_c(etag1);
	ck_assert_int_eq(pres_presentity_doc(&uri, ev, &et, &doc), 1);
	ck_assert_str_eq(doc.s, BODY_OPEN);
	free(doc.s);
	et = LP_STR("no-such-etag");
	ck_assert_int_eq(pres_presentity_doc(&uri, ev, &et, &doc), 0);
}
END_TEST

START_TEST(test_api_update_presentity)
{
	lp_str_t ev = LP_STR("presence"), realm = LP_STR(DOMAIN),
			 user = LP_STR("alice"), etag = LP_STR("api-etag-1"),
			 sender = LP_STR(""), b1 = LP_STR(BODY_OPEN), b2 = LP_STR(BODY_CLOSED);
	lp_str_t bogus = LP_STR("no-such-event");
	sub_t w;
	char buf[512];

	subscribe_ok(&w, "bob", "alice");
	cap_reset();
	/* a new publication with the caller's ETag, watchers notified */
	ck_assert_int_eq(pres_update_presentity(&ev, &realm, &user, &etag, &sender,
							 &b1, 600, 1),
			200);
	ck_assert_int_eq(pub_rows("alice"), 1);
	ck_assert_str_eq(db_text(buf, sizeof(buf),
							 "SELECT etag FROM presentity WHERE username='alice'"),
			"api-etag-1");
	ck_assert_ptr_nonnull(cap_for(w.callid));
	ck_has(cap_for(w.callid)->body, "<basic>open</basic>");
	/* modify it by ETag */
	ck_assert_int_eq(pres_update_presentity(&ev, &realm, &user, &etag, &sender,
							 &b2, 600, 0),
			200);
	ck_has(cap_for(w.callid)->body, "<basic>closed</basic>");
	ck_assert_int_eq(pub_rows("alice"), 1);
	/* the package's PUBLISH check needs a message: not called */
	publ_result = -1;
	etag = LP_STR("api-etag-2");
	ck_assert_int_eq(pres_update_presentity(&ev, &realm, &user, &etag, &sender,
							 &b1, 600, 1),
			200);
	/* unknown event, missing ETag for a refresh */
	ck_assert_int_ge(pres_update_presentity(&bogus, &realm, &user, &etag,
							 &sender, &b1, 600, 1),
			400);
	ck_assert_int_ge(pres_update_presentity(&ev, &realm, &user, NULL, &sender,
							 &b1, 600, 0),
			400);
	ck_assert_int_eq(pres_update_presentity(&ev, &realm, &user, &LP_STR("zz"),
							 &sender, &b1, 600, 0),
			412);
}
END_TEST


/* mem_copy_subs: one block, every string inside it, so one free releases
 * the copy (the glue takes the block from pkg_malloc or shm_malloc). */
START_TEST(test_api_subs_copy_one_block)
{
	subs_t s, *c;
	size_t size;
	char *lo, *hi;

	memset(&s, 0, sizeof(s));
	s.pres_uri = LP_STR("sip:alice@example.com");
	s.watcher_user = LP_STR("bob");
	s.callid = LP_STR("call-9");
	s.to_tag = LP_STR("tt");
	s.user_agent = LP_STR("ua/1");
	s.recv_event = PRES_SUBSCRIBE_RECV;
	s.updated = 7;
	s.updated_winfo = 8;
	s.flags = 0x80000001u;
	s.status = ACTIVE_STATUS;
	size = pres_subs_block_size(&s);
	c = pres_subs_fill(malloc(size), &s);
	ck_assert_ptr_nonnull(c);
	lo = (char *)c;
	hi = lo + size;
	ck_assert(c->pres_uri.s > lo && c->pres_uri.s + c->pres_uri.len < hi);
	ck_assert(c->user_agent.s > lo && c->user_agent.s + c->user_agent.len < hi);
	ck_assert(c->from_tag.s > lo && c->from_tag.s <= hi); /* empty, inside */
	ck_assert(lp_str_eq(&c->callid, &s.callid));
	ck_assert_int_eq(c->recv_event, PRES_SUBSCRIBE_RECV);
	ck_assert_int_eq(c->updated, 7);
	ck_assert_int_eq(c->updated_winfo, 8);
	ck_assert_uint_eq(c->flags, 0x80000001u);
	ck_assert_ptr_null(c->next);
	free(c);
}
END_TEST

/* update_db_subs_timer's walk over a consumer's table (rls): new records are
 * inserted, changed ones updated, clean ones left alone; an expired one goes
 * to the consumer's handler, its row is deleted and it leaves the table. */
static char sync_log[512];
static int sync_write(subs_t *s, void *ctx)
{
	snprintf(sync_log + strlen(sync_log), sizeof(sync_log) - strlen(sync_log),
			"%s:%.*s ", (s->db_flag & INSERTDB_FLAG) ? "ins" : "upd",
			LP_STR_FMT(s->callid));
	return 0;
}
static void sync_remove(subs_t *s, void *ctx)
{
	snprintf(sync_log + strlen(sync_log), sizeof(sync_log) - strlen(sync_log),
			"del:%.*s ", LP_STR_FMT(s->callid));
}
static int sync_expired(subs_t *s)
{
	snprintf(sync_log + strlen(sync_log), sizeof(sync_log) - strlen(sync_log),
			"exp:%.*s ", LP_STR_FMT(s->callid));
	return 0;
}

START_TEST(test_shtable_sync)
{
	shtable_t t = pres_shtable_new(4);
	pres_shtable_sync_ops_t ops = {sync_write, sync_remove, NULL};
	subs_t s;

	memset(&s, 0, sizeof(s));
	s.pres_uri = LP_STR("sip:list@example.com");
	s.to_tag = LP_STR("tt");
	s.from_tag = LP_STR("ft");
	s.expires = 100;
	s.db_flag = INSERTDB_FLAG;
	s.callid = LP_STR("new");
	ck_assert_int_eq(pres_shtable_insert(t, 1, &s), 0);
	s.db_flag = NO_UPDATEDB_FLAG;
	s.callid = LP_STR("clean");
	ck_assert_int_eq(pres_shtable_insert(t, 2, &s), 0);
	s.callid = LP_STR("changed");
	ck_assert_int_eq(pres_shtable_insert(t, 2, &s), 0);
	s.expires = 200;
	ck_assert_int_eq(pres_shtable_update(t, 2, &s, REMOTE_TYPE), 0);
	s.expires = 10;
	s.callid = LP_STR("short");
	ck_assert_int_eq(pres_shtable_insert(t, 3, &s), 0);

	sync_log[0] = '\0';
	pres_shtable_sync(t, 4, 0, T0 + 50, sync_expired, &ops);
	ck_assert_str_eq(sync_log, "ins:new upd:changed exp:short del:short ");
	ck_assert_ptr_null(pres_shtable_search(t, LP_STR("short"), s.to_tag, s.from_tag, 3));
	ck_assert_int_eq(pres_shtable_search(t, LP_STR("new"), s.to_tag, s.from_tag, 1)->db_flag,
			NO_UPDATEDB_FLAG);
	/* written once: nothing more to do until something changes */
	sync_log[0] = '\0';
	pres_shtable_sync(t, 4, 1, T0 + 50, sync_expired, &ops);
	ck_assert_str_eq(sync_log, "");
	/* everything expired; a record never written has no row to delete */
	s.expires = 0;
	s.db_flag = INSERTDB_FLAG;
	s.callid = LP_STR("unwritten");
	ck_assert_int_eq(pres_shtable_insert(t, 0, &s), 0);
	sync_log[0] = '\0';
	pres_shtable_sync(t, 4, 0, T0 + 500, NULL, &ops);
	ck_assert_str_eq(sync_log, "del:new del:changed del:clean ");
	ck_assert_ptr_null(t[0].entries->next);
	ck_assert_ptr_null(t[1].entries->next);
	ck_assert_ptr_null(t[2].entries->next);
	pres_shtable_destroy(t, 4);
}
END_TEST
Suite *presence_suite(void)
{
	Suite *s = suite_create("presence");
	TCase *pub = tcase_create("publish");
	TCase *sub = tcase_create("subscribe");
	TCase *store = tcase_create("storage");
	TCase *oom = tcase_create("oom");
	TCase *sh = tcase_create("shtable");
	TCase *dbonly = tcase_create("dbonly");
	TCase *api = tcase_create("api");

	tcase_add_checked_fixture(pub, setup, teardown);
	tcase_add_test(pub, test_publish_initial);
	tcase_add_test(pub, test_publish_refresh);
	tcase_add_test(pub, test_publish_modify);
	tcase_add_test(pub, test_publish_remove);
	tcase_add_test(pub, test_publish_unknown_etag);
	tcase_add_test(pub, test_publish_no_body_no_if_match);
	tcase_add_test(pub, test_publish_bad_event);
	tcase_add_test(pub, test_publish_bad_content_type);
	tcase_add_test(pub, test_publish_handler_rejects);
	tcase_add_test(pub, test_publish_expires);
	tcase_add_test(pub, test_publish_library_mode);
	suite_add_tcase(s, pub);

	tcase_add_checked_fixture(sub, setup, teardown);
	tcase_add_test(sub, test_subscribe_initial);
	tcase_add_test(sub, test_subscribe_nothing_published);
	tcase_add_test(sub, test_subscribe_to_tag_prefix);
	tcase_add_test(sub, test_subscribe_notified_on_publish);
	tcase_add_test(sub, test_publish_sender_not_notified);
	tcase_add_test(sub, test_subscribe_refresh);
	tcase_add_test(sub, test_unsubscribe);
	tcase_add_test(sub, test_subscribe_unknown_dialog);
	tcase_add_test(sub, test_subscribe_bad_event);
	tcase_add_test(sub, test_subscribe_accept);
	tcase_add_test(sub, test_subscribe_fetch);
	tcase_add_test(sub, test_subscribe_event_id);
	tcase_add_test(sub, test_notify_reply);
	tcase_add_test(sub, test_notify_reply_winfo);
	tcase_add_test(sub, test_refresh_watchers);
	tcase_add_test(sub, test_refresh_watchers_hard_state);
	suite_add_tcase(s, sub);

	tcase_add_checked_fixture(store, setup, teardown);
	tcase_add_test(store, test_flush_active_watchers);
	tcase_add_test(store, test_watchers_row);
	tcase_add_test(store, test_load_db_restores);
	tcase_add_test(store, test_load_db_skips_expired);
	tcase_add_test(store, test_publication_expiry);
	tcase_add_test(store, test_subscription_expiry);
	tcase_add_test(store, test_flush_failure_retried);
	tcase_add_test(store, test_sphere);
	tcase_add_test(store, test_publication_expiry_one_notify);
	suite_add_tcase(s, store);

	tcase_add_checked_fixture(oom, setup, teardown);
	tcase_add_test(oom, test_publish_oom);
	tcase_add_test(oom, test_modify_oom);
	tcase_add_test(oom, test_subscribe_oom);
	tcase_add_test(oom, test_target_refresh_oom);
	suite_add_tcase(s, oom);

	tcase_add_checked_fixture(dbonly, setup_dbonly, teardown);
	tcase_add_test(dbonly, test_publish_initial);
	tcase_add_test(dbonly, test_publish_refresh);
	tcase_add_test(dbonly, test_publish_modify);
	tcase_add_test(dbonly, test_publish_remove);
	tcase_add_test(dbonly, test_publish_unknown_etag);
	tcase_add_test(dbonly, test_subscribe_initial);
	tcase_add_test(dbonly, test_subscribe_nothing_published);
	tcase_add_test(dbonly, test_subscribe_notified_on_publish);
	tcase_add_test(dbonly, test_publish_sender_not_notified);
	tcase_add_test(dbonly, test_subscribe_refresh);
	tcase_add_test(dbonly, test_unsubscribe);
	tcase_add_test(dbonly, test_subscribe_unknown_dialog);
	tcase_add_test(dbonly, test_subscribe_fetch);
	tcase_add_test(dbonly, test_subscribe_event_id);
	tcase_add_test(dbonly, test_notify_reply);
	tcase_add_test(dbonly, test_refresh_watchers);
	tcase_add_test(dbonly, test_publication_expiry);
	tcase_add_test(dbonly, test_publication_expiry_one_notify);
	tcase_add_test(dbonly, test_api_agg_off_index_on_expiry);
	tcase_add_test(dbonly, test_subscription_expiry);
	tcase_add_test(dbonly, test_watchers_row);
	suite_add_tcase(s, dbonly);

	tcase_add_checked_fixture(api, setup, teardown);
	tcase_add_test(api, test_api_event_without_auth);
	tcase_add_test(api, test_api_agg_off_index);
	tcase_add_test(api, test_api_agg_off_index_on_expiry);
	tcase_add_test(api, test_api_aux_body_per_watcher);
	tcase_add_test(api, test_api_auth_status);
	tcase_add_test(api, test_api_presentity_doc);
	tcase_add_test(api, test_api_update_presentity);
	tcase_add_test(api, test_api_subs_copy_one_block);
	suite_add_tcase(s, api);

	tcase_add_checked_fixture(sh, setup, teardown);
	tcase_add_test(sh, test_shtable);
	tcase_add_test(sh, test_shtable_oom);
	tcase_add_test(sh, test_shtable_sync);
	suite_add_tcase(s, sh);
	return s;
}
