/* Test support for the presence module's Check tests: the database a test
 * runs on (a temp SQLite file, or a server named by an environment variable
 * with the project's schema loaded statement by statement through the
 * driver), a fake clock, and the presence event registration most fixtures
 * start with; and (t_pres_fixture.h) the module started and stopped on an
 * engine, a TCase per engine, a watcher's SUBSCRIBE dialog. One fixture at
 * a time (Check forks each test): the state here is process-global and
 * owned by this file. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lp_db.h"
#include "lp_log.h"
#include "lp_test.h"
#include "pres_logic.h"
#include "pres_pub.h"
#include "pres_subs.h"
#include "t_pres_fixture.h"

const lp_test_eng_t lp_test_eng_sqlite = {
		"sqlite", NULL, "../../scripts/sqlite/presence-create.sql"};
const lp_test_eng_t lp_test_eng_pg = {"postgres", "LP_TEST_PG_URL",
		"../../scripts/postgres/presence-create.sql"};
const lp_test_eng_t lp_test_eng_my = {
		"mysql", "LP_TEST_MY_URL", "../../scripts/mysql/presence-create.sql"};

unsigned int lp_test_now;

static const lp_test_eng_t *db_eng;
static char db_path[64], db_url[512];

unsigned int lp_test_clock(void)
{
	return lp_test_now;
}

void lp_test_server_schema(lp_db_t *db, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024], stmt[16384];
	size_t len = 0, n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_int_ge(lp_db_exec(db,
							 "DROP TABLE IF EXISTS version, presentity, "
							 "active_watchers, watchers, xcap, pua",
							 NULL, 0, NULL, NULL),
			0);
	while(fgets(line, sizeof(line), f)) {
		n = strcspn(line, "\r\n");
		line[n] = '\0';
		if(strncmp(line, "--", 2) == 0 || n == 0)
			continue;
		ck_assert_int_lt(len + n + 2, sizeof(stmt));
		memcpy(stmt + len, line, n);
		len += n;
		stmt[len++] = ' ';
		if(line[n - 1] == ';') {
			stmt[len - 2] = '\0';
			ck_assert_msg(
					lp_db_exec(db, stmt, NULL, 0, NULL, NULL) >= 0, "%s", stmt);
			len = 0;
		}
	}
	fclose(f);
}

/* The temp file /tmp/check_<tag>_XXXXXX, created empty. */
static void temp_file(const char *tag)
{
	int fd;

	snprintf(db_path, sizeof(db_path), "/tmp/check_%s_XXXXXX", tag);
	fd = mkstemp(db_path);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

const char *lp_test_pres_db_new(const lp_test_eng_t *e, const char *tag)
{
	lp_db_t *db;

	db_eng = e;
	if(e->env) {
		db_path[0] = '\0';
		snprintf(db_url, sizeof(db_url), "%s", getenv(e->env));
		db = lp_db_open(db_url);
		ck_assert_msg(db != NULL, "cannot open %s", db_url);
		lp_test_server_schema(db, e->schema);
		lp_db_close(db);
	} else {
		temp_file(tag);
		lp_test_sqlite_schema(db_path, e->schema);
		snprintf(db_url, sizeof(db_url), "sqlite://%s", db_path);
	}
	return db_url;
}

const char *lp_test_pres_db_file(const char *tag)
{
	db_eng = &lp_test_eng_sqlite;
	temp_file(tag);
	snprintf(db_url, sizeof(db_url), "sqlite://%s", db_path);
	return db_path;
}

const char *lp_test_pres_db_path(void)
{
	return db_path;
}

void lp_test_pres_db_drop(void)
{
	char p[80];

	if(!db_eng || db_eng->env || !db_path[0])
		return;
	unlink(db_path);
	snprintf(p, sizeof(p), "%s-wal", db_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db_path);
	unlink(p);
}

void lp_test_pres_add_presence(const char *ct, int (*publ)(struct sip_msg *))
{
	pres_ev_t ev;

	memset(&ev, 0, sizeof(ev));
	ev.name = LP_STR("presence");
	ev.content_type = (lp_str_t){(char *)ct, (int)strlen(ct)};
	ev.default_expires = 3600;
	ev.type = PUBL_TYPE;
	ev.evs_publ_handl = publ;
	ck_assert_int_eq(pres_add_event(&ev), 0);
}

void lp_test_pres_tables_new(void)
{
	pres.pubs = lp_htable_new(4);
	pres.subs = lp_htable_new(4);
	pres.dlgs = lp_htable_new(4);
}

void lp_test_pres_tables_free(void)
{
	lp_htable_destroy(pres.pubs, pres_pub_free_entry);
	lp_htable_destroy(pres.subs, pres_subs_free_entry);
	lp_htable_destroy(pres.dlgs, NULL);
	pres.pubs = pres.subs = pres.dlgs = NULL;
}

void lp_test_pres_db_close_events(void)
{
	lp_event_t *e;

	lp_db_close(pres.db);
	pres.db = NULL;
	for(e = pres.events.first; e; e = e->next)
		lp_free(e->data);
	lp_event_registry_free(&pres.events);
}

void lp_test_pres_sub_req(pres_subscribe_req_t *r, const char *callid)
{
	memset(r, 0, sizeof(*r));
	r->ruri_user = r->to_user = LP_STR("alice");
	r->ruri_domain = r->to_domain = LP_STR("example.com");
	r->from_user = LP_STR("bob");
	r->from_domain = LP_STR("example.com");
	r->from_tag = LP_STR("bobtag");
	r->callid = lp_str_c(callid);
	r->cseq = 1;
	r->has_event = 1;
	r->event = LP_STR("presence");
	r->expires = 3600;
	r->contact = LP_STR("sip:bob@192.0.2.10");
	r->sockinfo = LP_STR("udp:127.0.0.1:5060");
	r->user_agent = LP_STR("check");
	r->local_contact = LP_STR("sip:pres@127.0.0.1");
}

void lp_test_pres_pub_req(pres_publish_req_t *r, const char *domain,
		int expires, const char *body, const char *if_match)
{
	memset(r, 0, sizeof(*r));
	r->user = LP_STR("alice");
	r->domain = lp_str_c(domain);
	r->has_event = 1;
	r->event = LP_STR("presence");
	r->expires = expires;
	if(body) {
		r->has_ctype = 1;
		r->content_type = LP_STR("application/pidf+xml");
		r->body = lp_str_c(body);
	}
	if(if_match) {
		r->has_if_match = 1;
		r->if_match = lp_str_c(if_match);
	}
}

void lp_test_pres_reply_etag(const char *hdrs, char *etag, int size)
{
	const char *p = strstr(hdrs, "SIP-ETag: "), *e;

	ck_assert_ptr_nonnull(p);
	p += 10;
	e = strstr(p, "\r\n");
	ck_assert_ptr_nonnull(e);
	ck_assert_int_lt(e - p, size);
	memcpy(etag, p, e - p);
	etag[e - p] = '\0';
}

void lp_test_pres_subs_rec(subs_t *s, const char *uri, const char *user,
		const char *watcher, const char *callid, unsigned int expires)
{
	memset(s, 0, sizeof(*s));
	s->pres_uri = lp_str_c(uri);
	s->to_user = lp_str_c(user);
	s->to_domain = s->from_domain = s->watcher_domain = LP_STR("example.com");
	s->watcher_user = s->from_user = lp_str_c(watcher);
	s->event = pres_event_by_hdr(&LP_STR("presence"));
	s->callid = lp_str_c(callid);
	s->to_tag = LP_STR("tt");
	s->from_tag = LP_STR("ft");
	s->local_cseq = s->remote_cseq = 1;
	s->contact = LP_STR("sip:w@192.0.2.1");
	s->expires = expires;
	s->status = ACTIVE_STATUS;
	s->sockinfo_str = LP_STR("udp:127.0.0.1:5060");
	s->local_contact = LP_STR("sip:pres@127.0.0.1");
}

int lp_test_pres_subscribe(pres_subscribe_req_t *r, pres_reply_t *rep,
		char *to_tag, size_t to_tag_size,
		int (*on_notify)(const pres_notify_t *))
{
	pres_notify_t *n = NULL;

	memset(rep, 0, sizeof(*rep));
	pres_handle_subscribe(r, rep, &n);
	if(rep->code / 100 == 2 && r->to_tag.len == 0) {
		ck_assert_int_lt(rep->to_tag.len, (int)to_tag_size);
		memcpy(to_tag, rep->to_tag.s, rep->to_tag.len);
		to_tag[rep->to_tag.len] = '\0';
	}
	if(n) {
		if(on_notify)
			on_notify(n);
		pres_notify_free(n);
	}
	return rep->code;
}

/* ---- the module started on an engine (t_pres_fixture.h) ---- */

static const lp_test_eng_t *cur_eng = &lp_test_eng_sqlite;

const lp_test_eng_t *lp_test_pres_eng(void)
{
	return cur_eng;
}

static void eng_sqlite(void)
{
	cur_eng = &lp_test_eng_sqlite;
}

static void eng_pg(void)
{
	cur_eng = &lp_test_eng_pg;
}

static void eng_my(void)
{
	cur_eng = &lp_test_eng_my;
}

const char *lp_test_pres_start(
		const char *tag, int tables, int (*publ)(struct sip_msg *))
{
	const char *url;

	memset(&pres, 0, sizeof(pres));
	pres_cfg_defaults(&pres.cfg);
	url = lp_test_pres_db_new(cur_eng, tag);
	pres.cfg.db_url = (char *)url;
	ck_assert_int_eq(pres_sql_init(), 0);
	if(tables) {
		lp_test_pres_tables_new();
		ck_assert_ptr_nonnull(pres.subs);
	}
	lp_test_pres_add_presence("application/pidf+xml", publ);
	lp_test_now = LP_TEST_T0;
	pres.now = lp_test_clock;
	return url;
}

void lp_test_pres_stop(void)
{
	if(pres.pubs || pres.subs || pres.dlgs)
		lp_test_pres_tables_free();
	lp_test_pres_db_close_events();
	lp_test_pres_db_drop();
	lp_log_set(NULL);
	ck_assert_int_eq(lp_test_mem_live(), 0);
}

void lp_test_pres_tcases(Suite *s, const char *name, void (*setup)(void),
		void (*teardown)(void), void (*add_sqlite)(TCase *),
		void (*add_server)(TCase *))
{
	const lp_test_eng_t *srv[] = {&lp_test_eng_pg, &lp_test_eng_my};
	void (*srv_eng[])(void) = {eng_pg, eng_my};
	TCase *tc = tcase_create("sqlite");
	const char *u;
	int i;

	tcase_add_checked_fixture(tc, eng_sqlite, NULL);
	tcase_add_checked_fixture(tc, setup, teardown);
	add_sqlite(tc);
	suite_add_tcase(s, tc);
	for(i = 0; add_server && i < 2; i++) {
		u = getenv(srv[i]->env);
		if(!u || !*u) {
			fprintf(stderr, "%s: %s unset, %s tests skipped\n", name,
					srv[i]->env, srv[i]->name);
			continue;
		}
		tc = tcase_create(srv[i]->name);
		tcase_set_timeout(tc, 60);
		tcase_add_checked_fixture(tc, srv_eng[i], NULL);
		tcase_add_checked_fixture(tc, setup, teardown);
		add_server(tc);
		suite_add_tcase(s, tc);
	}
}

static int sub_send(lp_test_sub_t *s)
{
	pres_reply_t rep;

	return lp_test_pres_subscribe(
			&s->r, &rep, s->to_tag, sizeof(s->to_tag), s->on_notify);
}

void lp_test_sub_ok(lp_test_sub_t *s, const char *callid,
		int (*on_notify)(const pres_notify_t *))
{
	memset(s, 0, sizeof(*s));
	snprintf(s->callid, sizeof(s->callid), "%s", callid);
	s->on_notify = on_notify;
	lp_test_pres_sub_req(&s->r, s->callid);
	ck_assert_int_eq(sub_send(s) / 100, 2);
}

void lp_test_sub_end(lp_test_sub_t *s)
{
	s->r.to_tag = lp_str_c(s->to_tag);
	s->r.cseq++;
	s->r.expires = 0;
	ck_assert_int_eq(sub_send(s) / 100, 2);
}

static int text_row(void *ctx, const lp_db_val_t *c, int n)
{
	char *out = ctx;

	if(c[0].type == LP_DB_INT)
		snprintf(out, 256, "%lld", c[0].v.i);
	else if(c[0].type == LP_DB_NULL)
		snprintf(out, 256, "NULL");
	else
		snprintf(out, 256, "%.*s", c[0].v.s.len, c[0].v.s.s);
	return 1;
}

const char *lp_test_sql_q1(const char *url, const char *sql)
{
	static char out[256];
	lp_db_t *db = lp_db_open(url);

	ck_assert_ptr_nonnull(db);
	out[0] = '\0';
	ck_assert_int_ge(lp_db_exec(db, sql, NULL, 0, text_row, out), 0);
	lp_db_close(db);
	return out;
}

void lp_test_sql_run(const char *url, const char *sql)
{
	lp_db_t *db = lp_db_open(url);

	ck_assert_ptr_nonnull(db);
	ck_assert_msg(lp_db_exec(db, sql, NULL, 0, NULL, NULL) >= 0, "%s", sql);
	lp_db_close(db);
}
