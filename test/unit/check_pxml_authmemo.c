/* presence_xml's authorization for many watchers of one presentity: the
 * pres-rules parsed once per text (pxml_authmemo_evaluate gives what
 * pxml_rules_evaluate gives), a PIDF filtered once per (document,
 * permissions) and never a stale body when either changes, the key of a
 * permission set, the request-scoped memory of the xcap table's documents
 * (pxml_reqdocs), and, end to end on an SQLite xcap table, one table read
 * per request for the authorization and every NOTIFY filter of the
 * request, a new reading in the next request, and one per fan-out outside
 * a request (pxml_reqdocs_fanout, as presence's fan-out listener calls it). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lp_test.h"
#include "presence_api.h"
#include "pxml_auth.h"
#include "pxml_authmemo.h"
#include "pxml_reqdocs.h"
#include "pxml_rules.h"
#include "pxml_state.h"
#include "pxml_stats.h"

#define RS_OPEN                                                     \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                  \
	"<cr:ruleset xmlns:cr=\"urn:ietf:params:xml:ns:common-policy\"" \
	" xmlns:pr=\"urn:ietf:params:xml:ns:pres-rules\">\n"
#define RS_CLOSE "</cr:ruleset>\n"
#define ALL                                                         \
	"<pr:provide-services><pr:all-services/></pr:provide-services>" \
	"<pr:provide-persons><pr:all-persons/></pr:provide-persons>"    \
	"<pr:provide-all-attributes/>"
#define NOPERSONS                                                   \
	"<pr:provide-services><pr:all-services/></pr:provide-services>" \
	"<pr:provide-all-attributes/>"
/* A rule for the identities of domain `dom` (a <many>). */
#define RULE_MANY(id, dom, sub, tr)                                       \
	"<cr:rule id=\"" id "\"><cr:conditions><cr:identity><cr:many domain=\"" \
	dom "\"/></cr:identity></cr:conditions><cr:actions><pr:sub-handling>" \
	sub "</pr:sub-handling></cr:actions><cr:transformations>" tr          \
	"</cr:transformations></cr:rule>"
/* A rule for one identity. */
#define RULE_ONE(id, who, sub, tr)                                          \
	"<cr:rule id=\"" id "\"><cr:conditions><cr:identity><cr:one id=\"" who \
	"\"/></cr:identity></cr:conditions><cr:actions><pr:sub-handling>" sub  \
	"</pr:sub-handling></cr:actions><cr:transformations>" tr               \
	"</cr:transformations></cr:rule>"

/* example.com sees everything, except carol, who sees no person. */
static const char rules_a[] = RS_OPEN RULE_MANY(
		"a", "example.com", "allow", ALL) RS_CLOSE;
static const char rules_b[] = RS_OPEN RULE_MANY("a", "example.com", "allow",
		ALL) RULE_ONE("c", "sip:carol@example.org", "allow", NOPERSONS) RS_CLOSE;

#define PIDF(note)                                                         \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                         \
	"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\""                      \
	" xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\""                 \
	" xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\""                     \
	" entity=\"sip:alice@example.com\">"                                   \
	"<tuple id=\"t1\"><status><basic>open</basic></status></tuple>"        \
	"<dm:person id=\"p1\"><rpid:activities><rpid:busy/></rpid:activities>" \
	"<dm:note>" note "</dm:note></dm:person></presence>"

static int eval_memo(const char *doc, const char *watcher, pxml_rules_result_t *r)
{
	lp_str_t d = lp_str_c(doc), w = lp_str_c(watcher);

	return pxml_authmemo_evaluate(&d, &w, NULL, 0, r);
}

/* The memo's filter output for (pidf, r); NULL when it failed. */
static char *filter_memo(const char *pidf, const pxml_rules_result_t *r)
{
	lp_str_t p = lp_str_c(pidf), out = LP_STR_NULL;

	return pxml_authmemo_filter(&p, r, &out) == 0 ? out.s : NULL;
}

static char *filter_plain(const char *pidf, const pxml_rules_result_t *r)
{
	lp_str_t p = lp_str_c(pidf), out = LP_STR_NULL;

	return pxml_rules_filter(&p, r, &out) == 0 ? out.s : NULL;
}

static void setup(void)
{
	lp_test_mem_install();
	lp_test_log_install();
	pxml_authmemo_flush();
}

static void teardown(void)
{
	pxml_authmemo_flush();
	pxml_reqdocs_end();
}

START_TEST(test_rules_parsed_once)
{
	pxml_rules_result_t r, plain;
	unsigned long p0 = pxml_authmemo_parses();
	lp_str_t d = lp_str_c(rules_b), w = lp_str_c("sip:carol@example.org");

	ck_assert_int_eq(eval_memo(rules_a, "sip:bob@example.com", &r), 0);
	ck_assert(r.matched);
	ck_assert_int_eq(r.sub_handling, PXML_SUB_ALLOW);
	pxml_rules_result_free(&r);
	ck_assert_int_eq(eval_memo(rules_a, "sip:dave@example.com", &r), 0);
	ck_assert(r.matched);
	pxml_rules_result_free(&r);
	ck_assert_int_eq(eval_memo(rules_a, "sip:carol@example.org", &r), 0);
	ck_assert(!r.matched); /* another domain: no rule */
	pxml_rules_result_free(&r);
	ck_assert_uint_eq(pxml_authmemo_parses() - p0, 1);

	/* other rules: parsed, and evaluated as pxml_rules_evaluate does */
	ck_assert_int_eq(eval_memo(rules_b, "sip:carol@example.org", &r), 0);
	ck_assert_uint_eq(pxml_authmemo_parses() - p0, 2);
	ck_assert_int_eq(pxml_rules_evaluate(&d, &w, NULL, 0, &plain), 0);
	ck_assert(r.matched && plain.matched);
	ck_assert_int_eq(r.persons.all, plain.persons.all);
	ck_assert_int_eq(r.persons.all, 0);
	ck_assert_int_eq(r.services.all, 1);
	pxml_rules_result_free(&r);
	pxml_rules_result_free(&plain);

	/* a bad document fails as before, every time */
	ck_assert_int_eq(eval_memo("<nope/>", "sip:bob@example.com", &r), -1);
	ck_assert_int_eq(r.error, PXML_RULES_EROOT);
	pxml_rules_result_free(&r);
	ck_assert_int_eq(eval_memo("", "sip:bob@example.com", &r), -1);
	ck_assert_int_eq(r.error, PXML_RULES_EINVAL);
	ck_assert_int_eq(eval_memo(rules_a, "", &r), -1);
	ck_assert_int_eq(r.error, PXML_RULES_EINVAL);
}
END_TEST

/* A document larger than PXML_AUTHMEMO_MAX_DOC is parsed each time (not
 * kept) and still evaluated right. */
START_TEST(test_large_rules_not_kept)
{
	size_t n = strlen(RS_OPEN) + strlen(RS_CLOSE) + 1, off = 0;
	const char *rule = RULE_ONE("x", "sip:nobody@example.net", "block", "");
	char *big;
	pxml_rules_result_t r;
	unsigned long p0;
	int i, rules = PXML_AUTHMEMO_MAX_DOC / (int)strlen(rule) + 2;

	big = malloc(n + rules * strlen(rule) + strlen(rules_a));
	ck_assert_ptr_nonnull(big);
	off += sprintf(big + off, "%s", RS_OPEN);
	for(i = 0; i < rules; i++)
		off += sprintf(big + off, "%s", rule);
	off += sprintf(big + off, "%s", RULE_MANY("a", "example.com", "allow", ALL));
	sprintf(big + off, "%s", RS_CLOSE);
	ck_assert_int_gt((int)strlen(big), PXML_AUTHMEMO_MAX_DOC);
	p0 = pxml_authmemo_parses();
	for(i = 0; i < 3; i++) {
		ck_assert_int_eq(eval_memo(big, "sip:bob@example.com", &r), 0);
		ck_assert(r.matched);
		ck_assert_int_eq(r.sub_handling, PXML_SUB_ALLOW);
		pxml_rules_result_free(&r);
	}
	ck_assert_uint_eq(pxml_authmemo_parses() - p0, 3);
	free(big);
}
END_TEST

START_TEST(test_filtered_once)
{
	pxml_rules_result_t bob, dave, carol;
	unsigned long f0 = pxml_authmemo_filters();
	char *a, *b, *c, *plain;

	ck_assert_int_eq(eval_memo(rules_b, "sip:bob@example.com", &bob), 0);
	ck_assert_int_eq(eval_memo(rules_b, "sip:dave@example.com", &dave), 0);
	ck_assert_int_eq(eval_memo(rules_b, "sip:carol@example.org", &carol), 0);
	a = filter_memo(PIDF("in a meeting"), &bob);
	b = filter_memo(PIDF("in a meeting"), &dave);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_ne(a, b); /* each caller its own copy */
	ck_assert_str_eq(a, b);
	ck_assert_uint_eq(pxml_authmemo_filters() - f0, 1);
	plain = filter_plain(PIDF("in a meeting"), &bob);
	ck_assert_str_eq(a, plain);
	ck_assert_ptr_nonnull(strstr(a, "in a meeting"));
	free(plain);
	free(b);

	/* other permissions: filtered again, without the person */
	c = filter_memo(PIDF("in a meeting"), &carol);
	ck_assert_uint_eq(pxml_authmemo_filters() - f0, 2);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(strstr(c, "in a meeting"));
	ck_assert_ptr_nonnull(strstr(c, "t1"));
	free(c);

	/* a new document of the same length: never the old body */
	b = filter_memo(PIDF("at the ballgame"), &dave);
	ck_assert_uint_eq(pxml_authmemo_filters() - f0, 3);
	ck_assert_ptr_nonnull(strstr(b, "at the ballgame"));
	ck_assert_ptr_null(strstr(b, "in a meeting"));
	free(b);
	b = filter_memo(PIDF("at the ballgam!"), &dave);
	ck_assert_ptr_nonnull(strstr(b, "at the ballgam!"));
	free(b);
	ck_assert_uint_eq(pxml_authmemo_filters() - f0, 4);

	/* what cannot be filtered fails as pxml_rules_filter does */
	ck_assert_ptr_null(filter_memo("<not-pidf/>", &bob));
	free(a);
	pxml_rules_result_free(&bob);
	pxml_rules_result_free(&dave);
	pxml_rules_result_free(&carol);
}
END_TEST

START_TEST(test_result_key)
{
	pxml_rules_result_t x, y;
	lp_str_t kx, ky;

	memset(&x, 0, sizeof(x));
	memset(&y, 0, sizeof(y));
	ck_assert_int_eq(pxml_rules_result_key(&x, &kx), 0);
	ck_assert_int_eq(pxml_rules_result_key(&y, &ky), 0);
	ck_assert(lp_str_eq(&kx, &ky));
	free(ky.s);

	y.provide = PXML_PROVIDE_NOTE; /* one bit more */
	ck_assert_int_eq(pxml_rules_result_key(&y, &ky), 0);
	ck_assert(!lp_str_eq(&kx, &ky));
	free(ky.s);
	free(kx.s);

	/* {"ab", "c"} is not {"a", "bc"}; occurrence ids are not classes */
	ck_assert_int_eq(eval_memo(RS_OPEN RULE_ONE("r", "sip:b@x.org", "allow",
										  "<pr:provide-persons><pr:occurrence-id>ab"
										  "</pr:occurrence-id><pr:occurrence-id>c"
										  "</pr:occurrence-id></pr:provide-persons>")
										  RS_CLOSE,
							 "sip:b@x.org", &x),
			0);
	ck_assert_int_eq(eval_memo(RS_OPEN RULE_ONE("r", "sip:b@x.org", "allow",
										  "<pr:provide-persons><pr:occurrence-id>a"
										  "</pr:occurrence-id><pr:occurrence-id>bc"
										  "</pr:occurrence-id></pr:provide-persons>")
										  RS_CLOSE,
							 "sip:b@x.org", &y),
			0);
	ck_assert_int_eq(x.persons.occurrence_id.n, 2);
	ck_assert_int_eq(pxml_rules_result_key(&x, &kx), 0);
	ck_assert_int_eq(pxml_rules_result_key(&y, &ky), 0);
	ck_assert(!lp_str_eq(&kx, &ky));
	free(kx.s);
	free(ky.s);
	pxml_rules_result_free(&y);
	ck_assert_int_eq(eval_memo(RS_OPEN RULE_ONE("r", "sip:b@x.org", "allow",
										  "<pr:provide-persons><pr:class>ab"
										  "</pr:class><pr:class>c"
										  "</pr:class></pr:provide-persons>")
										  RS_CLOSE,
							 "sip:b@x.org", &y),
			0);
	ck_assert_int_eq(pxml_rules_result_key(&x, &kx), 0);
	ck_assert_int_eq(pxml_rules_result_key(&y, &ky), 0);
	ck_assert(!lp_str_eq(&kx, &ky));
	free(kx.s);
	free(ky.s);
	pxml_rules_result_free(&x);
	pxml_rules_result_free(&y);
}
END_TEST

START_TEST(test_reqdocs)
{
	lp_str_t u = lp_str_c("alice"), d = lp_str_c("example.com");
	lp_str_t u2 = lp_str_c("bob"), doc = lp_str_c(rules_a);
	const lp_str_t *got;

	/* outside a request nothing is kept */
	pxml_reqdocs_put(&u, &d, &doc);
	ck_assert_int_eq(pxml_reqdocs_get(&u, &d, 100, &got), 0);

	pxml_reqdocs_begin(100);
	ck_assert_int_eq(pxml_reqdocs_get(&u, &d, 100, &got), 0);
	pxml_reqdocs_put(&u, &d, &doc);
	pxml_reqdocs_put(&u2, &d, NULL); /* bob has no document */
	ck_assert_int_eq(pxml_reqdocs_get(&u, &d, 101, &got), 1);
	ck_assert_ptr_nonnull(got);
	ck_assert(lp_str_eq(got, &doc));
	ck_assert_ptr_ne(got->s, doc.s); /* a copy */
	ck_assert_int_eq(got->s[got->len], '\0');
	ck_assert_int_eq(pxml_reqdocs_get(&u2, &d, 100, &got), 1);
	ck_assert_ptr_null(got);
	/* the same user elsewhere is another presentity */
	ck_assert_int_eq(pxml_reqdocs_get(&u, &u2, 100, &got), 0);
	/* a handling that never ended keeps nothing past a second */
	ck_assert_int_eq(pxml_reqdocs_get(&u, &d, 102, &got), 0);
	pxml_reqdocs_end();
	ck_assert_int_eq(pxml_reqdocs_get(&u, &d, 100, &got), 0);

	/* the next request reads again */
	pxml_reqdocs_begin(100);
	ck_assert_int_eq(pxml_reqdocs_get(&u, &d, 100, &got), 0);
	pxml_reqdocs_put(&u, &d, &doc);
	pxml_reqdocs_begin(100); /* one whose end never came */
	ck_assert_int_eq(pxml_reqdocs_get(&u, &d, 100, &got), 0);
	pxml_reqdocs_end();
}
END_TEST

/* A fan-out outside a request keeps what it reads until it closes (the
 * outermost of nested ones); inside a request the request's keeping goes
 * on past the fan-out and ends with the request; a request's keeping
 * past its second does not count as one going on. */
START_TEST(test_reqdocs_fanout)
{
	lp_str_t u = lp_str_c("alice"), d = lp_str_c("example.com");
	lp_str_t doc = lp_str_c(rules_a);
	const lp_str_t *got;

	/* outside a request: kept from the open to the outermost close */
	pxml_reqdocs_fanout(1, 100);
	ck_assert_int_eq(pxml_reqdocs_get(&u, &d, 100, &got), 0);
	pxml_reqdocs_put(&u, &d, &doc);
	pxml_reqdocs_fanout(1, 101); /* nested */
	ck_assert_int_eq(pxml_reqdocs_get(&u, &d, 101, &got), 1);
	pxml_reqdocs_fanout(0, 101);
	ck_assert_int_eq(pxml_reqdocs_get(&u, &d, 101, &got), 1);
	ck_assert(lp_str_eq(got, &doc));
	pxml_reqdocs_fanout(0, 101);
	ck_assert_int_eq(pxml_reqdocs_get(&u, &d, 101, &got), 0);
	pxml_reqdocs_put(&u, &d, &doc); /* closed: not kept */
	ck_assert_int_eq(pxml_reqdocs_get(&u, &d, 101, &got), 0);
	pxml_reqdocs_fanout(0, 101); /* a close too many changes nothing */
	ck_assert_int_eq(pxml_reqdocs_get(&u, &d, 101, &got), 0);

	/* inside a request: the request's keeping, not cut by the fan-out */
	pxml_reqdocs_begin(200);
	pxml_reqdocs_put(&u, &d, &doc);
	pxml_reqdocs_fanout(1, 200);
	ck_assert_int_eq(pxml_reqdocs_get(&u, &d, 200, &got), 1);
	pxml_reqdocs_fanout(0, 200);
	ck_assert_int_eq(pxml_reqdocs_get(&u, &d, 200, &got), 1);
	pxml_reqdocs_end();
	ck_assert_int_eq(pxml_reqdocs_get(&u, &d, 200, &got), 0);

	/* a request's keeping past its second: the fan-out starts afresh and
	 * ends what it began */
	pxml_reqdocs_begin(300);
	pxml_reqdocs_put(&u, &d, &doc);
	pxml_reqdocs_fanout(1, 305);
	ck_assert_int_eq(pxml_reqdocs_get(&u, &d, 305, &got), 0);
	pxml_reqdocs_put(&u, &d, &doc);
	ck_assert_int_eq(pxml_reqdocs_get(&u, &d, 305, &got), 1);
	pxml_reqdocs_fanout(0, 305);
	ck_assert_int_eq(pxml_reqdocs_get(&u, &d, 305, &got), 0);
}
END_TEST

/* ---- end to end: pxml_get_auth_status / pxml_apply_auth on SQLite ---- */

static char db_path[64];
static int db_ops;
static time_t clock_now = 1000;

static time_t clock_fake(void)
{
	return clock_now;
}

static void count_ops(pxml_stat_t stat, int n)
{
	if(stat == PXML_STAT_DB_OPS)
		db_ops += n;
}

static void sql(const char *q)
{
	sqlite3 *h;
	char *err = NULL;

	ck_assert_int_eq(sqlite3_open(db_path, &h), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(h, q, NULL, NULL, &err) == SQLITE_OK, "%s",
			err ? err : "?");
	sqlite3_close(h);
}

static void set_rules(const char *doc)
{
	char *q = sqlite3_mprintf(
			"DELETE FROM xcap; INSERT INTO xcap (username, domain, doc,"
			" doc_type, etag, source, doc_uri, port) VALUES ('alice',"
			" 'example.com', %Q, 2, 'e', 1, 'u', 0);",
			doc);
	sql(q);
	sqlite3_free(q);
}

static void setup_db(void)
{
	int fd;
	static char url[96];

	setup();
	strcpy(db_path, "/tmp/pxml_authmemo_XXXXXX");
	fd = mkstemp(db_path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	sql("CREATE TABLE xcap (id INTEGER PRIMARY KEY, username TEXT, domain"
		" TEXT, doc BLOB, doc_type INTEGER, etag TEXT, source INTEGER,"
		" doc_uri TEXT, port INTEGER);");
	snprintf(url, sizeof(url), "sqlite://%s", db_path);
	pxml.db_url = url;
	pxml.xcap_table = "xcap";
	pxml.force_active = 0;
	pxml.integrated_xcap_server = 1;
	pxml.xcapauth_userdel_reason = "probation";
	pxml.now = clock_fake;
	pxml.get_sphere = NULL;
	ck_assert_int_eq(pxml_sql_init(), 0);
	db_ops = 0;
	pxml_stats_set_sink(count_ops);
}

static void teardown_db(void)
{
	teardown();
	pxml_stats_set_sink(NULL);
	if(pxml.db)
		lp_db_close(pxml.db);
	pxml.db = NULL;
	free(pxml.sql_rules);
	free(pxml.sql_pidf_doc);
	pxml.sql_rules = pxml.sql_pidf_doc = NULL;
	pxml.now = NULL;
	unlink(db_path);
}

static subs_t watcher(const char *user, const char *domain)
{
	subs_t s;

	memset(&s, 0, sizeof(s));
	s.pres_uri = lp_str_c("sip:alice@example.com");
	s.from_user = lp_str_c(user);
	s.from_domain = lp_str_c(domain);
	s.status = PENDING_STATUS;
	return s;
}

/* apply_auth on PIDF(note) for s: the filtered body (freed), NULL if none. */
static int shows(subs_t *s, const char *what)
{
	lp_str_t body = lp_str_c(PIDF("in a meeting")), *f = NULL;
	int found;

	ck_assert_int_eq(pxml_apply_auth(&body, s, &f), 0);
	ck_assert_ptr_nonnull(f);
	found = strstr(f->s, what) != NULL;
	free(f->s);
	free(f);
	return found;
}

START_TEST(test_one_read_per_request)
{
	subs_t bob = watcher("bob", "example.com");
	subs_t carol = watcher("carol", "example.org");
	subs_t dave = watcher("dave", "example.com");

	set_rules(rules_b);
	/* outside a request: every look reads the table */
	ck_assert_int_eq(pxml_get_auth_status(&bob), 0);
	ck_assert_int_eq(bob.status, ACTIVE_STATUS);
	ck_assert(shows(&bob, "in a meeting"));
	ck_assert_int_eq(db_ops, 2);

	/* a SUBSCRIBE: its authorization and its NOTIFY, one read */
	pxml_reqdocs_begin(clock_now);
	ck_assert_int_eq(pxml_get_auth_status(&dave), 0);
	ck_assert_int_eq(dave.status, ACTIVE_STATUS);
	ck_assert(shows(&dave, "in a meeting"));
	pxml_reqdocs_end();
	ck_assert_int_eq(db_ops, 3);

	/* a fan-out: every watcher's filter, one read */
	carol.status = ACTIVE_STATUS;
	dave.status = ACTIVE_STATUS;
	pxml_reqdocs_begin(clock_now);
	ck_assert(shows(&bob, "in a meeting"));
	ck_assert(!shows(&carol, "in a meeting")); /* no person for carol */
	ck_assert(shows(&carol, "t1"));
	ck_assert(shows(&dave, "in a meeting"));
	pxml_reqdocs_end();
	ck_assert_int_eq(db_ops, 4);

	/* changed rules: the next request reads them */
	set_rules(RS_OPEN RULE_ONE(
			"c", "sip:carol@example.org", "allow", NOPERSONS) RS_CLOSE);
	pxml_reqdocs_begin(clock_now);
	ck_assert(!shows(&bob, "t1")); /* no rule for bob now: nothing */
	ck_assert(shows(&carol, "t1"));
	ck_assert_int_eq(pxml_get_auth_status(&dave), 0);
	ck_assert_int_eq(dave.status, TERMINATED_STATUS);
	pxml_reqdocs_end();
	ck_assert_int_eq(db_ops, 5);

	/* no document: remembered too within the request */
	sql("DELETE FROM xcap;");
	dave = watcher("dave", "example.com");
	pxml_reqdocs_begin(clock_now);
	ck_assert_int_eq(pxml_get_auth_status(&dave), 0);
	ck_assert_int_eq(dave.status, PENDING_STATUS);
	ck_assert(!shows(&bob, "t1"));
	pxml_reqdocs_end();
	ck_assert_int_eq(db_ops, 6);

	/* get_rules_doc (the event's callback) gives the caller its own copy,
	 * also of what the request kept */
	set_rules(rules_a);
	pxml_reqdocs_begin(clock_now);
	{
		lp_str_t u = lp_str_c("alice"), d = lp_str_c("example.com"), *a, *b;

		ck_assert_int_eq(pxml_get_rules_doc(&u, &d, &a), 0);
		ck_assert_int_eq(pxml_get_rules_doc(&u, &d, &b), 0);
		ck_assert_ptr_nonnull(a);
		ck_assert_ptr_nonnull(b);
		ck_assert_ptr_ne(a->s, b->s);
		ck_assert_str_eq(a->s, rules_a);
		ck_assert_str_eq(b->s, rules_a);
		free(a->s);
		free(a);
		free(b->s);
		free(b);
	}
	pxml_reqdocs_end();
	ck_assert_int_eq(db_ops, 7); /* one reading, then the kept copy */
}
END_TEST

/* Outside a request (the expiry timer, refreshWatchers), one fan-out of
 * presence reads the table once for every watcher's authorization and
 * filter; the next fan-out reads again. */
START_TEST(test_one_read_per_fanout)
{
	subs_t bob = watcher("bob", "example.com");
	subs_t carol = watcher("carol", "example.org");

	set_rules(rules_b);
	carol.status = ACTIVE_STATUS;
	pxml_reqdocs_fanout(1, clock_now);
	ck_assert_int_eq(pxml_get_auth_status(&bob), 0);
	ck_assert_int_eq(bob.status, ACTIVE_STATUS);
	ck_assert(shows(&bob, "in a meeting"));
	ck_assert(shows(&carol, "t1"));
	pxml_reqdocs_fanout(0, clock_now);
	ck_assert_int_eq(db_ops, 1);

	set_rules(RS_OPEN RULE_ONE(
			"c", "sip:carol@example.org", "allow", NOPERSONS) RS_CLOSE);
	pxml_reqdocs_fanout(1, clock_now);
	ck_assert(!shows(&bob, "t1")); /* the new rules: nothing for bob */
	ck_assert(shows(&carol, "t1"));
	pxml_reqdocs_fanout(0, clock_now);
	ck_assert_int_eq(db_ops, 2);
}
END_TEST

Suite *pxml_authmemo_suite(void)
{
	Suite *s = suite_create("pxml_authmemo");
	TCase *tc = tcase_create("memo");
	TCase *db = tcase_create("db");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_rules_parsed_once);
	tcase_add_test(tc, test_large_rules_not_kept);
	tcase_add_test(tc, test_filtered_once);
	tcase_add_test(tc, test_result_key);
	tcase_add_test(tc, test_reqdocs);
	tcase_add_test(tc, test_reqdocs_fanout);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(db, setup_db, teardown_db);
	tcase_add_test(db, test_one_read_per_request);
	tcase_add_test(db, test_one_read_per_fanout);
	suite_add_tcase(s, db);
	return s;
}
