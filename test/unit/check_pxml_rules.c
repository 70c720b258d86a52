/* Presence authorization rules: the example documents of RFC 4745 and RFC
 * 5025 for several watchers, each condition (identity one/many/except,
 * sphere, validity), combining of matching rules (most permissive wins),
 * hostile documents, and the PIDF filter: which tuples, persons, devices
 * and attributes each permission lets through, polite-block and pending
 * documents. Output documents are parsed and queried with XPath, not
 * grepped. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "pxml_pidf.h"
#include "pxml_rules.h"

#define RS_OPEN                                                     \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                  \
	"<cr:ruleset xmlns:cr=\"urn:ietf:params:xml:ns:common-policy\"" \
	" xmlns:pr=\"urn:ietf:params:xml:ns:pres-rules\">\n"
#define RS_CLOSE "</cr:ruleset>\n"

/* A rule granting `tr` (transformations) to everybody with sub-handling. */
#define RULE_ALL(id, sub, tr)                                 \
	"<cr:rule id=\"" id "\"><cr:conditions/><cr:actions>"     \
	"<pr:sub-handling>" sub "</pr:sub-handling></cr:actions>" \
	"<cr:transformations>" tr "</cr:transformations></cr:rule>"

static time_t utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = {0};

	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return timegm(&tm);
}

static int eval_at(const char *doc, const char *watcher, const char *sphere,
		time_t now, pxml_rules_result_t *r)
{
	lp_str_t d = lp_str_c(doc), w = lp_str_c(watcher);
	return pxml_rules_evaluate(&d, &w, sphere, now, r);
}

static int eval(const char *doc, const char *watcher, pxml_rules_result_t *r)
{
	return eval_at(doc, watcher, NULL, time(NULL), r);
}

/* Evaluate and report only whether a rule matched (asserting rc 0). */
static int matches_at(
		const char *doc, const char *watcher, const char *sphere, time_t now)
{
	pxml_rules_result_t r;
	int m;

	ck_assert_int_eq(eval_at(doc, watcher, sphere, now, &r), 0);
	m = r.matched;
	pxml_rules_result_free(&r);
	return m;
}

static int matches(const char *doc, const char *watcher)
{
	return matches_at(doc, watcher, NULL, time(NULL));
}

static int has(const pxml_strset_t *s, const char *v)
{
	int i;

	for(i = 0; i < s->n; i++)
		if(strcmp(s->v[i], v) == 0)
			return 1;
	return 0;
}

/* ---- XPath over a filtered document ---- */

static double xnum(const lp_str_t *doc, const char *expr)
{
	xmlDocPtr d = xmlReadMemory(doc->s, doc->len, NULL, NULL, XML_PARSE_NONET);
	xmlXPathContextPtr cx;
	xmlXPathObjectPtr o;
	double v;

	ck_assert_msg(d != NULL, "output is not well-formed: %s", doc->s);
	cx = xmlXPathNewContext(d);
	xmlXPathRegisterNs(
			cx, BAD_CAST "p", BAD_CAST "urn:ietf:params:xml:ns:pidf");
	xmlXPathRegisterNs(cx, BAD_CAST "dm",
			BAD_CAST "urn:ietf:params:xml:ns:pidf:data-model");
	xmlXPathRegisterNs(
			cx, BAD_CAST "rp", BAD_CAST "urn:ietf:params:xml:ns:pidf:rpid");
	xmlXPathRegisterNs(
			cx, BAD_CAST "foo", BAD_CAST "urn:vendor-specific:foo-namespace");
	o = xmlXPathEvalExpression(BAD_CAST expr, cx);
	ck_assert_msg(o != NULL, "bad xpath %s", expr);
	v = xmlXPathCastToNumber(o);
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(cx);
	xmlFreeDoc(d);
	return v;
}

#define XCOUNT(doc, path) ((int)xnum((doc), "count(" path ")"))

static const char pidf_doc[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\"\n"
		"    xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\"\n"
		"    xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\"\n"
		"    xmlns:foo=\"urn:vendor-specific:foo-namespace\"\n"
		"    entity=\"pres:alice@example.com\">\n"
		"  <!-- alice's laptop, do not tell bob -->\n"
		"  <tuple id=\"t-sip\">\n"
		"    <status><basic>open</basic><foo:busy>yes</foo:busy></status>\n"
		"    <dm:deviceID>mac:8asd7d7d70</dm:deviceID>\n"
		"    <rpid:class>work</rpid:class>\n"
		"    <contact priority=\"0.8\">sip:alice@pc.example.com</contact>\n"
		"    <note>at my desk</note>\n"
		"    <timestamp>2008-01-01T10:00:00Z</timestamp>\n"
		"  </tuple>\n"
		"  <tuple id=\"t-xmpp\">\n"
		"    <status><basic>closed</basic></status>\n"
		"    <contact>xmpp:alice@example.com</contact>\n"
		"  </tuple>\n"
		"  <dm:person id=\"p1\">\n"
		"    <rpid:activities><rpid:meeting/></rpid:activities>\n"
		"    <rpid:mood><rpid:happy/></rpid:mood>\n"
		"    <rpid:place-type><rpid:office/></rpid:place-type>\n"
		"    "
		"<rpid:place-is><rpid:audio><rpid:noisy/></rpid:audio></"
		"rpid:place-is>\n"
		"    <rpid:privacy><rpid:quiet/></rpid:privacy>\n"
		"    <rpid:relationship><rpid:self/></rpid:relationship>\n"
		"    <rpid:sphere><rpid:work/></rpid:sphere>\n"
		"    <rpid:status-icon>http://example.com/a.gif</rpid:status-icon>\n"
		"    <rpid:time-offset>60</rpid:time-offset>\n"
		"    <rpid:class>personal</rpid:class>\n"
		"    <rpid:user-input idle-threshold=\"600\""
		" last-input=\"2008-01-01T09:50:00Z\">idle</rpid:user-input>\n"
		"    <foo:foo>secret</foo:foo>\n"
		"    <dm:note>busy all day</dm:note>\n"
		"    <dm:timestamp>2008-01-01T10:00:00Z</dm:timestamp>\n"
		"  </dm:person>\n"
		"  <dm:device id=\"d1\">\n"
		"    <rpid:class>desk</rpid:class>\n"
		"    <dm:deviceID>mac:8asd7d7d70</dm:deviceID>\n"
		"    <dm:note>desk phone</dm:note>\n"
		"  </dm:device>\n"
		"  <note>presence note</note>\n"
		"</presence>\n";

/* Evaluate rules for bob and filter pidf_doc with the result. The caller
 * frees out->s. */
static void filter_for(const char *rules, lp_str_t *out)
{
	pxml_rules_result_t r;
	lp_str_t pidf = lp_str_c(pidf_doc);

	ck_assert_int_eq(eval(rules, "sip:bob@example.org", &r), 0);
	ck_assert_int_eq(r.matched, 1);
	ck_assert_int_eq(pxml_rules_filter(&pidf, &r, out), 0);
	ck_assert_ptr_nonnull(out->s);
	ck_assert_int_eq((int)strlen(out->s), out->len);
	pxml_rules_result_free(&r);
}

/* ================================================================== */
/* RFC examples                                                        */

/* RFC 5025 section 5, the example document. */
static const char rfc5025_example[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<cr:ruleset xmlns=\"urn:ietf:params:xml:ns:pres-rules\"\n"
		"    xmlns:pr=\"urn:ietf:params:xml:ns:pres-rules\"\n"
		"    xmlns:cr=\"urn:ietf:params:xml:ns:common-policy\">\n"
		"  <cr:rule id=\"a\">\n"
		"    <cr:conditions>\n"
		"      <cr:identity>\n"
		"        <cr:one id=\"sip:user@example.com\"/>\n"
		"      </cr:identity>\n"
		"    </cr:conditions>\n"
		"    <cr:actions>\n"
		"      <pr:sub-handling>allow</pr:sub-handling>\n"
		"    </cr:actions>\n"
		"    <cr:transformations>\n"
		"      <pr:provide-services>\n"
		"        <pr:service-uri-scheme>sip</pr:service-uri-scheme>\n"
		"        <pr:service-uri-scheme>mailto</pr:service-uri-scheme>\n"
		"      </pr:provide-services>\n"
		"      <pr:provide-persons>\n"
		"        <pr:all-persons/>\n"
		"      </pr:provide-persons>\n"
		"      <pr:provide-activities>true</pr:provide-activities>\n"
		"      <pr:provide-user-input>bare</pr:provide-user-input>\n"
		"      <pr:provide-unknown-attribute\n"
		"          ns=\"urn:vendor-specific:foo-namespace\"\n"
		"          name=\"foo\">true</pr:provide-unknown-attribute>\n"
		"    </cr:transformations>\n"
		"  </cr:rule>\n"
		"</cr:ruleset>\n";

START_TEST(test_rfc5025_example)
{
	pxml_rules_result_t r;

	ck_assert_int_eq(eval(rfc5025_example, "sip:user@example.com", &r), 0);
	ck_assert_int_eq(r.matched, 1);
	ck_assert_int_eq(r.error, PXML_RULES_OK);
	ck_assert_int_eq(r.sub_handling, PXML_SUB_ALLOW);
	ck_assert_str_eq(pxml_sub_state(r.sub_handling), "active");
	ck_assert_int_eq(r.services.all, 0);
	ck_assert_int_eq(r.services.service_uri_scheme.n, 2);
	ck_assert(has(&r.services.service_uri_scheme, "sip"));
	ck_assert(has(&r.services.service_uri_scheme, "mailto"));
	ck_assert_int_eq(r.persons.all, 1);
	ck_assert_int_eq(r.devices.all, 0);
	ck_assert_int_eq(r.devices.device_id.n, 0);
	ck_assert_uint_eq(r.provide, PXML_PROVIDE_ACTIVITIES);
	ck_assert_int_eq(r.user_input, PXML_UI_BARE);
	ck_assert_int_eq(r.unknown_ns.n, 1);
	ck_assert_str_eq(r.unknown_ns.v[0], "urn:vendor-specific:foo-namespace");
	ck_assert_str_eq(r.unknown_name.v[0], "foo");
	pxml_rules_result_free(&r);
	ck_assert_int_eq(r.unknown_ns.n, 0);

	/* the same user: host compares case-insensitively, parameters and
	 * angle brackets do not matter */
	ck_assert(matches(rfc5025_example, "sip:user@EXAMPLE.com"));
	ck_assert(matches(rfc5025_example, "<sip:user@example.com;transport=tcp>"));
	/* somebody else: no rule, the subscription stays pending */
	ck_assert(!matches(rfc5025_example, "sip:other@example.com"));
	ck_assert(!matches(rfc5025_example, "sip:User@example.com"));
	ck_assert(!matches(rfc5025_example, "sips:user@example.com"));
	ck_assert(!matches(rfc5025_example, "sip:user@example.com.evil.net"));
}
END_TEST

/* RFC 5025 example applied: the sip tuple (not the xmpp one), the person
 * with activities, bare user-input and foo, nothing else. */
START_TEST(test_rfc5025_example_filter)
{
	pxml_rules_result_t r;
	lp_str_t pidf = lp_str_c(pidf_doc), out;

	ck_assert_int_eq(eval(rfc5025_example, "sip:user@example.com", &r), 0);
	ck_assert_int_eq(pxml_rules_filter(&pidf, &r, &out), 0);
	pxml_rules_result_free(&r);
	ck_assert_int_eq(
			XCOUNT(&out, "/p:presence[@entity='pres:alice@example.com']"), 1);
	ck_assert_int_eq(XCOUNT(&out, "//p:tuple"), 1);
	ck_assert_int_eq(
			XCOUNT(&out, "//p:tuple[@id='t-sip']/p:status/p:basic[.='open']"),
			1);
	ck_assert_int_eq(XCOUNT(&out, "//p:tuple/p:contact"), 1);
	ck_assert_int_eq(XCOUNT(&out, "//p:tuple/p:note"), 0);
	ck_assert_int_eq(XCOUNT(&out, "//dm:person[@id='p1']"), 1);
	ck_assert_int_eq(XCOUNT(&out, "//dm:person/rp:activities/rp:meeting"), 1);
	ck_assert_int_eq(XCOUNT(&out, "//dm:person/rp:mood"), 0);
	ck_assert_int_eq(XCOUNT(&out, "//dm:person/rp:user-input[.='idle']"), 1);
	ck_assert_int_eq(XCOUNT(&out, "//rp:user-input/@*"), 0);
	ck_assert_int_eq(XCOUNT(&out, "//dm:person/foo:foo"), 1);
	ck_assert_int_eq(XCOUNT(&out, "//dm:device"), 0);
	free(out.s);
}
END_TEST

/* RFC 4745 section 13.1 (simple example), default namespace. */
static const char rfc4745_simple[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<ruleset xmlns=\"urn:ietf:params:xml:ns:common-policy\">\n"
		"  <rule id=\"f3g44r1\">\n"
		"    <conditions>\n"
		"      <sphere value=\"work\"/>\n"
		"      <identity>\n"
		"        <one id=\"sip:alice@example.com\"/>\n"
		"        <one id=\"tel:+1-212-555-1234\"/>\n"
		"        <one id=\"mailto:bob@example.net\"/>\n"
		"      </identity>\n"
		"      <validity>\n"
		"        <from>2003-12-24T17:00:00+01:00</from>\n"
		"        <until>2003-12-24T19:00:00+01:00</until>\n"
		"      </validity>\n"
		"    </conditions>\n"
		"    <actions/>\n"
		"    <transformations/>\n"
		"  </rule>\n"
		"</ruleset>\n";

START_TEST(test_rfc4745_simple)
{
	time_t in = utc(2003, 12, 24, 16, 30, 0); /* 17:30 +01:00 */
	pxml_rules_result_t r;

	ck_assert(matches_at(rfc4745_simple, "sip:alice@example.com", "work", in));
	ck_assert(matches_at(rfc4745_simple, "tel:+1-212-555-1234", "work", in));
	ck_assert(matches_at(rfc4745_simple, "tel:+12125551234", "work", in));
	ck_assert(matches_at(rfc4745_simple, "mailto:bob@example.net", "WORK", in));
	ck_assert(!matches_at(rfc4745_simple, "sip:bob@example.net", "work", in));
	/* sphere mismatch or unknown */
	ck_assert(!matches_at(rfc4745_simple, "sip:alice@example.com", "home", in));
	ck_assert(!matches_at(rfc4745_simple, "sip:alice@example.com", NULL, in));
	/* validity: from is inclusive, until exclusive */
	ck_assert(matches_at(rfc4745_simple, "sip:alice@example.com", "work",
			utc(2003, 12, 24, 16, 0, 0)));
	ck_assert(!matches_at(rfc4745_simple, "sip:alice@example.com", "work",
			utc(2003, 12, 24, 15, 59, 59)));
	ck_assert(!matches_at(rfc4745_simple, "sip:alice@example.com", "work",
			utc(2003, 12, 24, 18, 0, 0)));
	/* <actions/>: matched, but nothing allowed: block is the default */
	ck_assert_int_eq(
			eval_at(rfc4745_simple, "sip:alice@example.com", "work", in, &r),
			0);
	ck_assert_int_eq(r.matched, 1);
	ck_assert_int_eq(r.sub_handling, PXML_SUB_BLOCK);
	ck_assert_uint_eq(r.provide, 0);
	pxml_rules_result_free(&r);
}
END_TEST

/* RFC 4745 section 13.2 (complex example): <many/> with exceptions. */
static const char rfc4745_complex[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<ruleset xmlns=\"urn:ietf:params:xml:ns:common-policy\">\n"
		"  <rule id=\"f3g44r1\">\n"
		"    <conditions>\n"
		"      <identity>\n"
		"        <many>\n"
		"          <except domain=\"example.com\"/>\n"
		"          <except domain=\"example.org\"/>\n"
		"          <except id=\"sip:alice@bad.example.net\"/>\n"
		"          <except id=\"sip:bob@good.example.net\"/>\n"
		"          <except id=\"tel:+1-212-555-1234\"/>\n"
		"          <except id=\"sip:alice@example.com\"/>\n"
		"        </many>\n"
		"      </identity>\n"
		"      <sphere value=\"work\"/>\n"
		"      <validity>\n"
		"        <from>2003-12-24T17:00:00+01:00</from>\n"
		"        <until>2003-12-24T19:00:00+01:00</until>\n"
		"      </validity>\n"
		"    </conditions>\n"
		"    <actions/>\n"
		"    <transformations/>\n"
		"  </rule>\n"
		"</ruleset>\n";

START_TEST(test_rfc4745_complex)
{
	time_t in = utc(2003, 12, 24, 17, 0, 0);

	ck_assert(matches_at(rfc4745_complex, "sip:carol@example.net", "work", in));
	ck_assert(
			matches_at(rfc4745_complex, "sip:bob@bad.example.net", "work", in));
	ck_assert(matches_at(rfc4745_complex, "tel:+1-212-555-9999", "work", in));
	ck_assert(!matches_at(rfc4745_complex, "sip:dave@example.com", "work", in));
	ck_assert(!matches_at(rfc4745_complex, "sip:dave@EXAMPLE.ORG", "work", in));
	ck_assert(!matches_at(
			rfc4745_complex, "sip:alice@bad.example.net", "work", in));
	ck_assert(!matches_at(
			rfc4745_complex, "sip:bob@good.example.net", "work", in));
	ck_assert(!matches_at(rfc4745_complex, "tel:+1-212-555-1234", "work", in));
	ck_assert(
			!matches_at(rfc4745_complex, "sip:carol@example.net", "home", in));
	ck_assert(!matches_at(rfc4745_complex, "sip:carol@example.net", "work",
			utc(2004, 1, 1, 0, 0, 0)));
}
END_TEST

/* RFC 4745 section 7.1.2: <many domain=> with and without exceptions. */
START_TEST(test_identity_many_domain)
{
	static const char doc[] = RS_OPEN
			"<cr:rule id=\"r\"><cr:conditions><cr:identity>"
			"<cr:many domain=\"example.com\">"
			"<cr:except id=\"sip:alice@example.com\"/>"
			"<cr:except id=\"sip:bob@example.com\"/>"
			"</cr:many></cr:identity></cr:conditions></cr:rule>" RS_CLOSE;
	static const char plain[] =
			RS_OPEN "<cr:rule id=\"r\"><cr:conditions><cr:identity>"
					"<cr:many domain=\"example.com\"/>"
					"</cr:identity></cr:conditions></cr:rule>" RS_CLOSE;

	ck_assert(matches(doc, "sip:carol@example.com"));
	ck_assert(matches(doc, "sip:carol@Example.COM:5060"));
	ck_assert(!matches(doc, "sip:alice@example.com"));
	ck_assert(!matches(doc, "sip:bob@example.com"));
	ck_assert(!matches(doc, "sip:carol@example.org"));
	ck_assert(!matches(doc, "sip:carol@sub.example.com"));
	ck_assert(!matches(doc, "tel:+123"));
	ck_assert(matches(plain, "sip:alice@example.com"));
	ck_assert(!matches(plain, "sip:alice@example.net"));
}
END_TEST

START_TEST(test_identity_one_several)
{
	static const char doc[] =
			RS_OPEN "<cr:rule id=\"r\"><cr:conditions><cr:identity>"
					"<cr:one id=\"sip:alice@example.com\"/>"
					"<cr:one id=\"sip:bob@example.org\"/>"
					"</cr:identity></cr:conditions></cr:rule>" RS_CLOSE;
	static const char two[] = RS_OPEN /* two identity elements: both hold */
			"<cr:rule id=\"r\"><cr:conditions>"
			"<cr:identity><cr:many domain=\"example.com\"/></cr:identity>"
			"<cr:identity><cr:one id=\"sip:alice@example.com\"/></cr:identity>"
			"</cr:conditions></cr:rule>" RS_CLOSE;

	ck_assert(matches(doc, "sip:alice@example.com"));
	ck_assert(matches(doc, "sip:bob@example.org"));
	ck_assert(!matches(doc, "sip:carol@example.org"));
	ck_assert(!matches(doc, "not a uri"));
	ck_assert(matches(two, "sip:alice@example.com"));
	ck_assert(!matches(two, "sip:carol@example.com"));
}
END_TEST

START_TEST(test_no_conditions_match_everyone)
{
	static const char none[] =
			RS_OPEN "<cr:rule id=\"r\"><cr:actions><pr:sub-handling>confirm"
					"</pr:sub-handling></cr:actions></cr:rule>" RS_CLOSE;
	static const char empty[] = RS_OPEN
			"<cr:rule id=\"r\"><cr:conditions/><cr:actions><pr:sub-handling>"
			"polite-block</pr:sub-handling></cr:actions></cr:rule>" RS_CLOSE;
	pxml_rules_result_t r;

	ck_assert_int_eq(eval(none, "sip:anyone@anywhere.example", &r), 0);
	ck_assert_int_eq(r.matched, 1);
	ck_assert_int_eq(r.sub_handling, PXML_SUB_CONFIRM);
	pxml_rules_result_free(&r);
	ck_assert_int_eq(eval(empty, "tel:+44", &r), 0);
	ck_assert_int_eq(r.matched, 1);
	ck_assert_int_eq(r.sub_handling, PXML_SUB_POLITE_BLOCK);
	pxml_rules_result_free(&r);
}
END_TEST

/* An empty ruleset, or rules for others: no decision. */
START_TEST(test_no_matching_rule)
{
	static const char empty[] = RS_OPEN RS_CLOSE;
	pxml_rules_result_t r;

	ck_assert_int_eq(eval(empty, "sip:bob@example.org", &r), 0);
	ck_assert_int_eq(r.matched, 0);
	ck_assert_int_eq(r.sub_handling, PXML_SUB_BLOCK);
	ck_assert_uint_eq(r.provide, 0);
	pxml_rules_result_free(&r);
	ck_assert_int_eq(eval(rfc5025_example, "sip:bob@example.org", &r), 0);
	ck_assert_int_eq(r.matched, 0);
	ck_assert_int_eq(r.persons.all, 0);
	ck_assert_int_eq(r.services.service_uri_scheme.n, 0);
	pxml_rules_result_free(&r);
}
END_TEST

/* A condition this module does not implement (OMA's anonymous-request,
 * anything in a foreign namespace) fails its rule: privacy-safe. */
START_TEST(test_unknown_condition_fails_rule)
{
	static const char doc[] =
			RS_OPEN "<cr:rule id=\"r\"><cr:conditions>"
					"<ocp:anonymous-request "
					"xmlns:ocp=\"urn:oma:xml:xdm:common-policy\"/>"
					"</cr:conditions><cr:actions><pr:sub-handling>allow"
					"</pr:sub-handling></cr:actions></cr:rule>" RS_CLOSE;

	ck_assert(!matches(doc, "sip:bob@example.org"));
}
END_TEST

START_TEST(test_sphere_tokens)
{
	static const char doc[] = RS_OPEN "<cr:rule id=\"r\"><cr:conditions>"
									  "<cr:sphere value=\"work  Home\"/>"
									  "</cr:conditions></cr:rule>" RS_CLOSE;
	time_t now = time(NULL);

	ck_assert(matches_at(doc, "sip:b@x.org", "work", now));
	ck_assert(matches_at(doc, "sip:b@x.org", "HOME", now));
	ck_assert(matches_at(doc, "sip:b@x.org", " home\n", now));
	ck_assert(!matches_at(doc, "sip:b@x.org", "hom", now));
	ck_assert(!matches_at(doc, "sip:b@x.org", "work home", now));
	ck_assert(!matches_at(doc, "sip:b@x.org", "", now));
	ck_assert(!matches_at(doc, "sip:b@x.org", NULL, now));
}
END_TEST

/* Several intervals: any one containing now; Z, offsets and fractions. */
START_TEST(test_validity_intervals)
{
	static const char doc[] =
			RS_OPEN "<cr:rule id=\"r\"><cr:conditions><cr:validity>"
					"<cr:from>2020-01-01T00:00:00Z</cr:from>"
					"<cr:until>2020-01-02T00:00:00.500Z</cr:until>"
					"<cr:from>2021-06-01T10:00:00-05:00</cr:from>"
					"<cr:until>2021-06-01T12:00:00-05:00</cr:until>"
					"</cr:validity></cr:conditions></cr:rule>" RS_CLOSE;
	static const char bad[] =
			RS_OPEN "<cr:rule id=\"r\"><cr:conditions><cr:validity>"
					"<cr:from>yesterday</"
					"cr:from><cr:until>2099-01-01T00:00:00Z</cr:until>"
					"<cr:from>2020-01-01T00:00:00</cr:from>"
					"<cr:until>2099-01-01T00:00:00Z</cr:until>"
					"<cr:from>2020-13-01T00:00:00Z</cr:from>"
					"<cr:until>2099-01-01T00:00:00Z</cr:until>"
					"</cr:validity></cr:conditions></cr:rule>" RS_CLOSE;
	const char *w = "sip:b@x.org";

	ck_assert(matches_at(doc, w, NULL, utc(2020, 1, 1, 12, 0, 0)));
	ck_assert(!matches_at(doc, w, NULL, utc(2020, 1, 2, 0, 0, 1)));
	ck_assert(matches_at(doc, w, NULL, utc(2021, 6, 1, 15, 0, 0)));
	ck_assert(!matches_at(doc, w, NULL, utc(2021, 6, 1, 11, 0, 0)));
	ck_assert(!matches_at(doc, w, NULL, utc(2021, 6, 1, 17, 0, 0)));
	ck_assert(!matches_at(doc, w, NULL, utc(2019, 12, 31, 23, 59, 59)));
	/* unparsable times (no zone, bad month) never match */
	ck_assert(!matches_at(bad, w, NULL, utc(2050, 1, 1, 0, 0, 0)));
}
END_TEST

/* RFC 4745 section 10: sub-handling by maximum, booleans by OR, sets by
 * union; rules that do not match contribute nothing. */
START_TEST(test_combining)
{
	static const char doc[] = RS_OPEN
			"<cr:rule id=\"r1\"><cr:conditions><cr:identity>"
			"<cr:one id=\"sip:bob@example.org\"/></cr:identity></cr:conditions>"
			"<cr:actions><pr:sub-handling>confirm</pr:sub-handling></"
			"cr:actions>"
			"<cr:transformations>"
			"<pr:provide-persons><pr:occurrence-id>p1</pr:occurrence-id>"
			"</pr:provide-persons>"
			"<pr:provide-services><pr:service-uri-scheme>sip"
			"</pr:service-uri-scheme></pr:provide-services>"
			"<pr:provide-mood>true</pr:provide-mood>"
			"<pr:provide-user-input>thresholds</pr:provide-user-input>"
			"</cr:transformations></cr:rule>"
			"<cr:rule id=\"r2\"><cr:conditions><cr:identity>"
			"<cr:many domain=\"example.org\"/></cr:identity></cr:conditions>"
			"<cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions>"
			"<cr:transformations>"
			"<pr:provide-persons><pr:class>work</pr:class>"
			"<pr:occurrence-id>p1</pr:occurrence-id></pr:provide-persons>"
			"<pr:provide-services><pr:service-uri-scheme>mailto"
			"</pr:service-uri-scheme><pr:service-uri-scheme>sip"
			"</pr:service-uri-scheme></pr:provide-services>"
			"<pr:provide-devices><pr:deviceID>mac:1</pr:deviceID>"
			"</pr:provide-devices>"
			"<pr:provide-mood>false</pr:provide-mood>"
			"<pr:provide-activities>true</pr:provide-activities>"
			"<pr:provide-user-input>bare</pr:provide-user-input>"
			"</cr:transformations></cr:rule>"
			"<cr:rule id=\"r3\"><cr:conditions><cr:identity>"
			"<cr:one "
			"id=\"sip:carol@example.org\"/></cr:identity></cr:conditions>"
			"<cr:actions><pr:sub-handling>block</pr:sub-handling></cr:actions>"
			"<cr:transformations><pr:provide-note>true</pr:provide-note>"
			"<pr:provide-services><pr:all-services/></pr:provide-services>"
			"</cr:transformations></cr:rule>" RS_CLOSE;
	pxml_rules_result_t r;

	ck_assert_int_eq(eval(doc, "sip:bob@example.org", &r), 0);
	ck_assert_int_eq(r.matched, 1);
	ck_assert_int_eq(r.sub_handling, PXML_SUB_ALLOW);
	ck_assert_uint_eq(r.provide, PXML_PROVIDE_MOOD | PXML_PROVIDE_ACTIVITIES);
	ck_assert_int_eq(r.user_input, PXML_UI_THRESHOLDS);
	ck_assert_int_eq(r.persons.all, 0);
	ck_assert_int_eq(r.persons.occurrence_id.n, 1);
	ck_assert(has(&r.persons.occurrence_id, "p1"));
	ck_assert(has(&r.persons.class_, "work"));
	ck_assert_int_eq(r.services.all, 0);
	ck_assert_int_eq(r.services.service_uri_scheme.n, 2);
	ck_assert(has(&r.devices.device_id, "mac:1"));
	pxml_rules_result_free(&r);

	/* carol: r2 allows; r3 blocks but the most permissive wins */
	ck_assert_int_eq(eval(doc, "sip:carol@example.org", &r), 0);
	ck_assert_int_eq(r.sub_handling, PXML_SUB_ALLOW);
	ck_assert_uint_eq(r.provide, PXML_PROVIDE_ACTIVITIES | PXML_PROVIDE_NOTE);
	ck_assert_int_eq(r.services.all, 1);
	ck_assert_int_eq(r.user_input, PXML_UI_BARE);
	pxml_rules_result_free(&r);

	/* a stranger: nothing */
	ck_assert_int_eq(eval(doc, "sip:dave@example.net", &r), 0);
	ck_assert_int_eq(r.matched, 0);
	pxml_rules_result_free(&r);
}
END_TEST

/* The order block < confirm < polite-block < allow of RFC 5025 3.2.1. */
START_TEST(test_sub_handling_order)
{
	static const char *const v[] = {
			"block", "confirm", "polite-block", "allow"};
	static const pxml_sub_handling_t h[] = {PXML_SUB_BLOCK, PXML_SUB_CONFIRM,
			PXML_SUB_POLITE_BLOCK, PXML_SUB_ALLOW};
	char doc[1024];
	pxml_rules_result_t r;
	int i, j;

	for(i = 0; i < 4; i++)
		for(j = 0; j < 4; j++) {
			snprintf(doc, sizeof(doc),
					RS_OPEN RULE_ALL("a", "%s", "") RULE_ALL("b", "%s", "")
							RS_CLOSE,
					v[i], v[j]);
			ck_assert_int_eq(eval(doc, "sip:bob@example.org", &r), 0);
			ck_assert_int_eq(r.sub_handling, h[i > j ? i : j]);
			pxml_rules_result_free(&r);
		}
	/* an unknown value counts as absent */
	ck_assert_int_eq(eval(RS_OPEN RULE_ALL("a", "maybe", "") RS_CLOSE,
							 "sip:bob@example.org", &r),
			0);
	ck_assert_int_eq(r.matched, 1);
	ck_assert_int_eq(r.sub_handling, PXML_SUB_BLOCK);
	pxml_rules_result_free(&r);
	ck_assert_int_eq(PXML_SUB_BLOCK, 0);
	ck_assert_int_eq(PXML_SUB_CONFIRM, 10);
	ck_assert_int_eq(PXML_SUB_POLITE_BLOCK, 20);
	ck_assert_int_eq(PXML_SUB_ALLOW, 30);
}
END_TEST

START_TEST(test_sub_state)
{
	ck_assert_str_eq(pxml_sub_state(PXML_SUB_ALLOW), "active");
	ck_assert_str_eq(pxml_sub_state(PXML_SUB_POLITE_BLOCK), "active");
	ck_assert_str_eq(pxml_sub_state(PXML_SUB_CONFIRM), "pending");
	ck_assert_str_eq(pxml_sub_state(PXML_SUB_BLOCK), "terminated");
	ck_assert_str_eq(pxml_sub_reason(PXML_SUB_BLOCK), "rejected");
	ck_assert_ptr_null(pxml_sub_reason(PXML_SUB_CONFIRM));
	ck_assert_ptr_null(pxml_sub_reason(PXML_SUB_POLITE_BLOCK));
	ck_assert_ptr_null(pxml_sub_reason(PXML_SUB_ALLOW));
	ck_assert_str_eq(
			pxml_sub_handling_name(PXML_SUB_POLITE_BLOCK), "polite-block");
	ck_assert_str_eq(pxml_sub_handling_name(PXML_SUB_CONFIRM), "confirm");
	ck_assert_str_eq(pxml_sub_handling_name(PXML_SUB_ALLOW), "allow");
	ck_assert_str_eq(pxml_sub_handling_name(PXML_SUB_BLOCK), "block");
	ck_assert_str_eq(pxml_rules_strerror(PXML_RULES_EDTD),
			"DOCTYPE or ENTITY declarations are not allowed");
}
END_TEST

/* ================================================================== */
/* Hostile and broken documents                                        */

START_TEST(test_malformed)
{
	static const char *const docs[] = {
			"<cr:ruleset xmlns:cr=\"urn:ietf:params:xml:ns:common-policy\">",
			"not xml at all",
			"<ruleset xmlns=\"urn:ietf:params:xml:ns:common-policy\"><rule>"
			"</ruleset>",
	};
	pxml_rules_result_t r;
	size_t i;

	for(i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		ck_assert_int_eq(eval(docs[i], "sip:bob@example.org", &r), -1);
		ck_assert_int_eq(r.error, PXML_RULES_EXML);
		ck_assert_int_eq(r.matched, 0);
		pxml_rules_result_free(&r);
	}
	/* well-formed, but not a ruleset */
	ck_assert_int_eq(eval("<ruleset/>", "sip:bob@example.org", &r), -1);
	ck_assert_int_eq(r.error, PXML_RULES_EROOT);
	ck_assert_int_eq(eval("<presence xmlns=\"urn:ietf:params:xml:ns:pidf\"/>",
							 "sip:bob@example.org", &r),
			-1);
	ck_assert_int_eq(r.error, PXML_RULES_EROOT);
	ck_assert_int_eq(eval("", "sip:bob@example.org", &r), -1);
	ck_assert_int_eq(r.error, PXML_RULES_EINVAL);
	ck_assert_int_eq(eval(rfc5025_example, "", &r), -1);
	ck_assert_int_eq(r.error, PXML_RULES_EINVAL);
	ck_assert_int_eq(pxml_rules_evaluate(NULL, NULL, NULL, 0, &r), -1);
}
END_TEST

/* Billion laughs and an external entity: refused before parsing, fast. */
START_TEST(test_doctype_entities)
{
	static const char lol[] =
			"<?xml version=\"1.0\"?>\n"
			"<!DOCTYPE lolz [\n"
			" <!ENTITY lol \"lol\">\n"
			" <!ENTITY lol1 "
			"\"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
			" <!ENTITY lol2 "
			"\"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
			" <!ENTITY lol3 "
			"\"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
			" <!ENTITY lol4 "
			"\"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
			" <!ENTITY lol5 "
			"\"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
			" <!ENTITY lol6 "
			"\"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
			" <!ENTITY lol7 "
			"\"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
			" <!ENTITY lol8 "
			"\"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
			" <!ENTITY lol9 "
			"\"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
			"]>\n"
			"<ruleset xmlns=\"urn:ietf:params:xml:ns:common-policy\">"
			"<rule id=\"&lol9;\"/></ruleset>\n";
	static const char xxe[] =
			"<?xml version=\"1.0\"?>\n"
			"<!doctype r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
			"<ruleset xmlns=\"urn:ietf:params:xml:ns:common-policy\">"
			"<rule id=\"a\"><conditions><identity><one id=\"&x;\"/>"
			"</identity></conditions></rule></ruleset>\n";
	static const char ent_only[] =
			"<ruleset xmlns=\"urn:ietf:params:xml:ns:common-policy\">"
			"<!ENTITY x \"y\"></ruleset>";
	pxml_rules_result_t r;
	lp_str_t pidf = lp_str_c(lol), out = LP_STR_NULL;
	clock_t t0 = clock();

	ck_assert_int_eq(eval(lol, "sip:bob@example.org", &r), -1);
	ck_assert_int_eq(r.error, PXML_RULES_EDTD);
	ck_assert_int_eq(eval(xxe, "sip:bob@example.org", &r), -1);
	ck_assert_int_eq(r.error, PXML_RULES_EDTD);
	ck_assert_int_eq(eval(ent_only, "sip:bob@example.org", &r), -1);
	ck_assert_int_eq(r.error, PXML_RULES_EDTD);
	/* the filter refuses them too */
	ck_assert_int_eq(eval(RS_OPEN RULE_ALL("a", "allow", "") RS_CLOSE,
							 "sip:bob@example.org", &r),
			0);
	ck_assert_int_eq(pxml_rules_filter(&pidf, &r, &out), -1);
	ck_assert_ptr_null(out.s);
	pxml_rules_result_free(&r);
	ck_assert_msg((clock() - t0) < CLOCKS_PER_SEC / 10, "took too long");
}
END_TEST

START_TEST(test_too_big)
{
	size_t n = PXML_MAX_BODY + 100;
	char *doc = malloc(n + 1);
	pxml_rules_result_t r;

	ck_assert_ptr_nonnull(doc);
	memset(doc, ' ', n);
	memcpy(doc, RS_OPEN, strlen(RS_OPEN));
	memcpy(doc + n - strlen(RS_CLOSE), RS_CLOSE, strlen(RS_CLOSE));
	doc[n] = '\0';
	ck_assert_int_eq(eval(doc, "sip:bob@example.org", &r), -1);
	ck_assert_int_eq(r.error, PXML_RULES_ETOOBIG);
	free(doc);
}
END_TEST

/* ================================================================== */
/* Filter                                                              */

START_TEST(test_filter_nothing_granted)
{
	lp_str_t out;

	filter_for(RS_OPEN RULE_ALL("a", "allow", "") RS_CLOSE, &out);
	ck_assert_int_eq(
			XCOUNT(&out, "/p:presence[@entity='pres:alice@example.com']"), 1);
	ck_assert_int_eq(XCOUNT(&out, "/p:presence/*"), 0);
	ck_assert_int_eq(XCOUNT(&out, "//comment()"), 0);
	free(out.s);
}
END_TEST

START_TEST(test_filter_all_services)
{
	lp_str_t out;

	filter_for(RS_OPEN RULE_ALL("a", "allow",
					   "<pr:provide-services><pr:all-services/>"
					   "</pr:provide-services>") RS_CLOSE,
			&out);
	ck_assert_int_eq(XCOUNT(&out, "//p:tuple"), 2);
	ck_assert_int_eq(
			XCOUNT(&out, "//p:tuple[@id='t-sip']/p:status/p:basic"), 1);
	ck_assert_int_eq(
			XCOUNT(&out, "//p:tuple[@id='t-xmpp']/p:status/p:basic"), 1);
	ck_assert_int_eq(XCOUNT(&out, "//p:tuple/p:contact[@priority='0.8']"), 1);
	ck_assert_int_eq(XCOUNT(&out, "//p:tuple/p:timestamp"), 1);
	/* attributes need their own permission */
	ck_assert_int_eq(XCOUNT(&out, "//p:status/foo:busy"), 0);
	ck_assert_int_eq(XCOUNT(&out, "//p:tuple/dm:deviceID"), 0);
	ck_assert_int_eq(XCOUNT(&out, "//p:tuple/rp:class"), 0);
	ck_assert_int_eq(XCOUNT(&out, "//p:tuple/p:note"), 0);
	ck_assert_int_eq(
			XCOUNT(&out, "//dm:person|//dm:device|/p:presence/p:note"), 0);
	free(out.s);
}
END_TEST

/* Each way of naming a service selects exactly the tuple it names. */
START_TEST(test_filter_service_selectors)
{
	static const struct {
		const char *sel;
		const char *expect; /* tuple id kept */
	} cases[] = {
			{"<pr:service-uri-scheme>sip</pr:service-uri-scheme>", "t-sip"},
			{"<pr:service-uri-scheme>XMPP</pr:service-uri-scheme>", "t-xmpp"},
			{"<pr:service-uri>sip:alice@PC.example.com</pr:service-uri>",
					"t-sip"},
			{"<pr:occurrence-id>t-xmpp</pr:occurrence-id>", "t-xmpp"},
			{"<pr:class>work</pr:class>", "t-sip"},
			{"<pr:occurrence-id>nope</pr:occurrence-id>", NULL},
	};
	char rules[2048], xp[128];
	lp_str_t out;
	size_t i;

	for(i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(rules, sizeof(rules),
				RS_OPEN RULE_ALL("a", "allow",
						"<pr:provide-services>%s</pr:provide-services>")
						RS_CLOSE,
				cases[i].sel);
		filter_for(rules, &out);
		if(cases[i].expect) {
			snprintf(xp, sizeof(xp), "count(//p:tuple[@id='%s'])",
					cases[i].expect);
			ck_assert_int_eq(XCOUNT(&out, "//p:tuple"), 1);
			ck_assert_int_eq((int)xnum(&out, xp), 1);
		} else {
			ck_assert_int_eq(XCOUNT(&out, "//p:tuple"), 0);
		}
		free(out.s);
	}
}
END_TEST

/* Each boolean permission, granted alone, lets exactly its element through
 * (the person is provided whole, the attributes one by one). */
START_TEST(test_filter_each_attribute)
{
	static const struct {
		const char *perm;
		const char *path;
	} cases[] = {
			{"provide-activities", "//dm:person/rp:activities"},
			{"provide-mood", "//dm:person/rp:mood"},
			{"provide-place-type", "//dm:person/rp:place-type"},
			{"provide-place-is", "//dm:person/rp:place-is"},
			{"provide-privacy", "//dm:person/rp:privacy"},
			{"provide-relationship", "//dm:person/rp:relationship"},
			{"provide-sphere", "//dm:person/rp:sphere"},
			{"provide-status-icon", "//dm:person/rp:status-icon"},
			{"provide-time-offset", "//dm:person/rp:time-offset"},
			{"provide-class", "//dm:person/rp:class"},
			{"provide-note", "//dm:person/dm:note"},
	};
	/* every attribute element of the person in pidf_doc */
	static const char all_attrs[] =
			"count(//dm:person/*[not(self::dm:timestamp)])";
	char rules[2048], xp[128];
	lp_str_t out;
	size_t i;

	for(i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(rules, sizeof(rules),
				RS_OPEN RULE_ALL("a", "allow",
						"<pr:provide-persons><pr:all-persons/></"
						"pr:provide-persons>"
						"<pr:%s>true</pr:%s>") RS_CLOSE,
				cases[i].perm, cases[i].perm);
		filter_for(rules, &out);
		snprintf(xp, sizeof(xp), "count(%s)", cases[i].path);
		ck_assert_msg(xnum(&out, xp) == 1, "%s: %s missing", cases[i].perm,
				cases[i].path);
		ck_assert_msg(xnum(&out, all_attrs) == 1, "%s let more through: %s",
				cases[i].perm, out.s);
		ck_assert_int_eq(XCOUNT(&out, "//dm:person/dm:timestamp"), 1);
		free(out.s);

		/* the same permission set to false grants nothing */
		snprintf(rules, sizeof(rules),
				RS_OPEN RULE_ALL("a", "allow",
						"<pr:provide-persons><pr:all-persons/></"
						"pr:provide-persons>"
						"<pr:%s>false</pr:%s>") RS_CLOSE,
				cases[i].perm, cases[i].perm);
		filter_for(rules, &out);
		ck_assert_int_eq(xnum(&out, all_attrs), 0);
		free(out.s);
	}
}
END_TEST

START_TEST(test_filter_user_input_levels)
{
	static const char *const lvl[] = {"false", "bare", "thresholds", "full"};
	char rules[1024];
	lp_str_t out;
	int i;

	for(i = 0; i < 4; i++) {
		snprintf(rules, sizeof(rules),
				RS_OPEN RULE_ALL("a", "allow",
						"<pr:provide-persons><pr:all-persons/></"
						"pr:provide-persons>"
						"<pr:provide-user-input>%s</pr:provide-user-input>")
						RS_CLOSE,
				lvl[i]);
		filter_for(rules, &out);
		ck_assert_int_eq(XCOUNT(&out, "//rp:user-input[.='idle']"), i > 0);
		ck_assert_int_eq(
				XCOUNT(&out, "//rp:user-input/@idle-threshold"), i >= 2);
		ck_assert_int_eq(XCOUNT(&out, "//rp:user-input/@last-input"), i == 3);
		free(out.s);
	}
}
END_TEST

START_TEST(test_filter_devices_and_device_id)
{
	lp_str_t out;

	/* a device selected by deviceID keeps its deviceID, not its note */
	filter_for(RS_OPEN RULE_ALL("a", "allow",
					   "<pr:provide-devices><pr:deviceID>mac:8asd7d7d70"
					   "</pr:deviceID></pr:provide-devices>") RS_CLOSE,
			&out);
	ck_assert_int_eq(XCOUNT(&out, "//dm:device[@id='d1']"), 1);
	ck_assert_int_eq(XCOUNT(&out, "//dm:device/dm:deviceID"), 1);
	ck_assert_int_eq(XCOUNT(&out, "//dm:device/dm:note"), 0);
	ck_assert_int_eq(XCOUNT(&out, "//dm:device/rp:class"), 0);
	ck_assert_int_eq(XCOUNT(&out, "//p:tuple|//dm:person"), 0);
	free(out.s);

	/* by class, by occurrence-id; provide-deviceID ties the tuple to it */
	filter_for(RS_OPEN RULE_ALL("a", "allow",
					   "<pr:provide-devices><pr:class>desk</pr:class>"
					   "</pr:provide-devices>"
					   "<pr:provide-services><pr:occurrence-id>t-sip"
					   "</pr:occurrence-id></pr:provide-services>"
					   "<pr:provide-deviceID>true</pr:provide-deviceID>"
					   "<pr:provide-note>true</pr:provide-note>") RS_CLOSE,
			&out);
	ck_assert_int_eq(XCOUNT(&out, "//dm:device[@id='d1']/dm:note"), 1);
	ck_assert_int_eq(XCOUNT(&out, "//p:tuple[@id='t-sip']/dm:deviceID"), 1);
	ck_assert_int_eq(XCOUNT(&out, "//p:tuple[@id='t-sip']/p:note"), 1);
	ck_assert_int_eq(XCOUNT(&out, "/p:presence/p:note"), 1);
	free(out.s);

	filter_for(RS_OPEN RULE_ALL("a", "allow",
					   "<pr:provide-devices><pr:occurrence-id>d2"
					   "</pr:occurrence-id></pr:provide-devices>") RS_CLOSE,
			&out);
	ck_assert_int_eq(XCOUNT(&out, "//dm:device"), 0);
	free(out.s);
}
END_TEST

START_TEST(test_filter_unknown_attribute)
{
	lp_str_t out;

	filter_for(
			RS_OPEN RULE_ALL("a", "allow",
					"<pr:provide-persons><pr:all-persons/></pr:provide-persons>"
					"<pr:provide-services><pr:all-services/></"
					"pr:provide-services>"
					"<pr:provide-unknown-attribute"
					" ns=\"urn:vendor-specific:foo-namespace\" name=\"busy\">"
					"true</pr:provide-unknown-attribute>"
					"<pr:provide-unknown-attribute"
					" ns=\"urn:vendor-specific:foo-namespace\" name=\"foo\">"
					"false</pr:provide-unknown-attribute>") RS_CLOSE,
			&out);
	ck_assert_int_eq(XCOUNT(&out, "//p:status/foo:busy"), 1);
	ck_assert_int_eq(XCOUNT(&out, "//foo:foo"), 0);
	free(out.s);
}
END_TEST

/* provide-all-attributes: provided components whole, the rest still out. */
START_TEST(test_filter_all_attributes)
{
	lp_str_t out;

	filter_for(
			RS_OPEN RULE_ALL("a", "allow",
					"<pr:provide-persons><pr:all-persons/></pr:provide-persons>"
					"<pr:provide-services><pr:occurrence-id>t-sip"
					"</pr:occurrence-id></pr:provide-services>"
					"<pr:provide-all-attributes/>") RS_CLOSE,
			&out);
	ck_assert_int_eq(XCOUNT(&out, "//dm:person/*"), 14);
	ck_assert_int_eq(XCOUNT(&out, "//rp:user-input/@last-input"), 1);
	ck_assert_int_eq(XCOUNT(&out, "//p:tuple"), 1);
	ck_assert_int_eq(XCOUNT(&out, "//p:tuple/*"), 6);
	ck_assert_int_eq(XCOUNT(&out, "//p:status/foo:busy"), 1);
	ck_assert_int_eq(XCOUNT(&out, "//dm:device"), 0);
	free(out.s);
}
END_TEST

/* polite-block: active, and a document that says only "closed". */
START_TEST(test_filter_polite_block)
{
	lp_str_t out, again, ent = LP_STR("pres:alice@example.com");

	filter_for(
			RS_OPEN RULE_ALL("a", "polite-block",
					"<pr:provide-services><pr:all-services/></"
					"pr:provide-services>"
					"<pr:provide-persons><pr:all-persons/></pr:provide-persons>"
					"<pr:provide-all-attributes/>") RS_CLOSE,
			&out);
	ck_assert_int_eq(
			XCOUNT(&out, "/p:presence[@entity='pres:alice@example.com']"), 1);
	ck_assert_int_eq(XCOUNT(&out, "/p:presence/*"), 1);
	ck_assert_int_eq(
			XCOUNT(&out, "/p:presence/p:tuple/p:status/p:basic[.='closed']"),
			1);
	ck_assert_int_eq(XCOUNT(&out, "//p:tuple[@id='t-sip' or @id='t-xmpp']"), 0);
	ck_assert_int_eq(XCOUNT(&out, "//p:tuple/p:contact|//dm:person"), 0);
	ck_assert_int_eq(XCOUNT(&out, "//p:tuple/*"), 1);
	/* the same document as the direct helper builds */
	ck_assert_int_eq(pxml_rules_polite_doc(&ent, &again), 0);
	ck_assert_str_eq(out.s, again.s);
	free(again.s);
	free(out.s);
	ck_assert_int_eq(pxml_rules_polite_doc(NULL, &again), -1);
}
END_TEST

/* The entity is escaped, never pasted. */
START_TEST(test_polite_doc_escapes_entity)
{
	lp_str_t ent = LP_STR("pres:a\"<b>&@example.com"), out;

	ck_assert_int_eq(pxml_rules_polite_doc(&ent, &out), 0);
	ck_assert_int_eq(
			XCOUNT(&out, "/p:presence[@entity='pres:a\"<b>&@example.com']"), 1);
	free(out.s);
}
END_TEST

/* confirm, block or no rule: no component leaves the server. */
START_TEST(test_filter_pending_and_blocked)
{
	static const char *const subs[] = {"confirm", "block"};
	char rules[1024];
	pxml_rules_result_t r;
	lp_str_t pidf = lp_str_c(pidf_doc), out;
	int i;

	for(i = 0; i < 2; i++) {
		snprintf(rules, sizeof(rules),
				RS_OPEN RULE_ALL("a", "%s",
						"<pr:provide-services><pr:all-services/>"
						"</pr:provide-services>") RS_CLOSE,
				subs[i]);
		filter_for(rules, &out);
		ck_assert_int_eq(XCOUNT(&out, "/p:presence[@entity]"), 1);
		ck_assert_int_eq(XCOUNT(&out, "/p:presence/*"), 0);
		free(out.s);
	}
	ck_assert_int_eq(eval(rfc5025_example, "sip:bob@example.org", &r), 0);
	ck_assert_int_eq(r.matched, 0);
	ck_assert_int_eq(pxml_rules_filter(&pidf, &r, &out), 0);
	ck_assert_int_eq(XCOUNT(&out, "/p:presence/*"), 0);
	free(out.s);
	pxml_rules_result_free(&r);
}
END_TEST

START_TEST(test_filter_rejects_non_pidf)
{
	pxml_rules_result_t r;
	lp_str_t bad = LP_STR("<presence/>"), out = LP_STR_NULL;
	lp_str_t broken =
			LP_STR("<presence xmlns=\"urn:ietf:params:xml:ns:pidf\">");

	ck_assert_int_eq(eval(RS_OPEN RULE_ALL("a", "allow", "") RS_CLOSE,
							 "sip:bob@example.org", &r),
			0);
	ck_assert_int_eq(pxml_rules_filter(&bad, &r, &out), -1);
	ck_assert_int_eq(pxml_rules_filter(&broken, &r, &out), -1);
	ck_assert_int_eq(pxml_rules_filter(NULL, &r, &out), -1);
	ck_assert_ptr_null(out.s);
	pxml_rules_result_free(&r);
}
END_TEST

Suite *pxml_rules_suite(void)
{
	Suite *s = suite_create("pxml_rules");
	TCase *ev = tcase_create("evaluate");
	TCase *bad = tcase_create("hostile");
	TCase *fl = tcase_create("filter");

	tcase_add_test(ev, test_rfc5025_example);
	tcase_add_test(ev, test_rfc4745_simple);
	tcase_add_test(ev, test_rfc4745_complex);
	tcase_add_test(ev, test_identity_many_domain);
	tcase_add_test(ev, test_identity_one_several);
	tcase_add_test(ev, test_no_conditions_match_everyone);
	tcase_add_test(ev, test_no_matching_rule);
	tcase_add_test(ev, test_unknown_condition_fails_rule);
	tcase_add_test(ev, test_sphere_tokens);
	tcase_add_test(ev, test_validity_intervals);
	tcase_add_test(ev, test_combining);
	tcase_add_test(ev, test_sub_handling_order);
	tcase_add_test(ev, test_sub_state);
	suite_add_tcase(s, ev);

	tcase_add_test(bad, test_malformed);
	tcase_add_test(bad, test_doctype_entities);
	tcase_add_test(bad, test_too_big);
	suite_add_tcase(s, bad);

	tcase_add_test(fl, test_rfc5025_example_filter);
	tcase_add_test(fl, test_filter_nothing_granted);
	tcase_add_test(fl, test_filter_all_services);
	tcase_add_test(fl, test_filter_service_selectors);
	tcase_add_test(fl, test_filter_each_attribute);
	tcase_add_test(fl, test_filter_user_input_levels);
	tcase_add_test(fl, test_filter_devices_and_device_id);
	tcase_add_test(fl, test_filter_unknown_attribute);
	tcase_add_test(fl, test_filter_all_attributes);
	tcase_add_test(fl, test_filter_polite_block);
	tcase_add_test(fl, test_polite_doc_escapes_entity);
	tcase_add_test(fl, test_filter_pending_and_blocked);
	tcase_add_test(fl, test_filter_rejects_non_pidf);
	suite_add_tcase(s, fl);
	return s;
}
