/* presence_xml documents: PIDF aggregation of several devices'
 * publications (ids, namespaces, newest wins, bad bodies skipped), the
 * force_dummy_presence body, pres_check_basic / pres_check_activities
 * return codes on RFC-style bodies, dialog;sla aggregation and the version
 * rewrite (dialog-info and reginfo), watcherinfo full and partial documents,
 * hostile input for every function, and every libxml2 allocation failing. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "pxml_agg.h"
#include "pxml_check.h"
#include "pxml_dialog.h"
#include "pxml_pidf.h"
#include "pxml_single.h"
#include "lp_winfo.h"
#include "lp_xml.h"

/* Alice's PC (RFC 4480-style body: tuple, note, person with activities,
 * device), and her phone, which uses other prefixes for the same
 * namespaces. */
static const char pidf_pc[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\"\n"
		"    xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\"\n"
		"    xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\"\n"
		"    entity=\"pres:alice@example.com\">\n"
		"  <tuple id=\"pc\">\n"
		"    <status><basic>open</basic></status>\n"
		"    <dm:deviceID>mac:8asd7d7d70</dm:deviceID>\n"
		"    <contact>sip:alice@pc.example.com</contact>\n"
		"  </tuple>\n"
		"  <note xml:lang=\"en\">At my desk</note>\n"
		"  <dm:person id=\"p-pc\">\n"
		"    <rpid:activities><rpid:busy/></rpid:activities>\n"
		"    <rpid:mood><rpid:happy/></rpid:mood>\n"
		"  </dm:person>\n"
		"  <dm:device id=\"pc-dev\"><dm:deviceID>mac:8asd7d7d70</dm:deviceID>"
		"</dm:device>\n"
		"</presence>\n";

static const char pidf_phone[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<p:presence xmlns:p=\"urn:ietf:params:xml:ns:pidf\"\n"
		"    xmlns:d=\"urn:ietf:params:xml:ns:pidf:data-model\"\n"
		"    xmlns:r=\"urn:ietf:params:xml:ns:pidf:rpid\"\n"
		"    entity=\"sip:alice@example.com\">\n"
		"  <p:tuple id=\"phone\">\n"
		"    <p:status><p:basic>closed</p:basic></p:status>\n"
		"  </p:tuple>\n"
		"  <d:person id=\"p-phone\">\n"
		"    <r:activities><r:on-the-phone/></r:activities>\n"
		"  </d:person>\n"
		"</p:presence>\n";

static const char pidf_t1_open[] =
		"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:a@x\">"
		"<tuple id=\"t1\"><status><basic>open</basic></status></tuple>"
		"</presence>";
static const char pidf_t1_closed[] =
		"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:a@x\">"
		"<tuple id=\"t1\"><status><basic>closed</basic></status></tuple>"
		"</presence>";

static const char bomb[] =
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE presence [\n"
		" <!ENTITY a \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">\n"
		" <!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
		" <!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
		" <!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n"
		" <!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">\n"
		"]>\n"
		"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:a@x\">"
		"<tuple id=\"t\"><status><basic>open</basic></status></tuple>"
		"<note>&e;&e;&e;&e;</note></presence>";

static const char xxe[] =
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE presence [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
		"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:a@x\">"
		"<tuple id=\"t\"><status><basic>open</basic></status></tuple>"
		"<note>&x;</note></presence>";

static const char undeclared[] =
		"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:a@x\">"
		"<tuple id=\"t\"><status><basic>open</basic></status></tuple>"
		"<note>&x;</note></presence>";

static const char dlg_phone1[] =
		"<?xml version=\"1.0\"?>\n"
		"<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\"\n"
		"    version=\"7\" state=\"full\" entity=\"sip:line1@example.com\">\n"
		"  <dialog id=\"as7d900as8\" call-id=\"a84b4c76e66710\"\n"
		"      local-tag=\"1928301774\" direction=\"initiator\">\n"
		"    <state>confirmed</state>\n"
		"  </dialog>\n"
		"</dialog-info>\n";

static const char dlg_phone2[] =
		"<?xml version=\"1.0\"?>\n"
		"<di:dialog-info xmlns:di=\"urn:ietf:params:xml:ns:dialog-info\"\n"
		"    xmlns:sa=\"urn:ietf:params:xml:ns:sa-dialog-info\"\n"
		"    version=\"2\" state=\"full\" entity=\"sip:line1@example.com\">\n"
		"  <di:dialog id=\"as7d900as8\" direction=\"initiator\">\n"
		"    <di:state>terminated</di:state>\n"
		"  </di:dialog>\n"
		"  <di:dialog id=\"zxcvbnm3\" direction=\"recipient\">\n"
		"    <di:state>early</di:state><sa:appearance>2</sa:appearance>\n"
		"  </di:dialog>\n"
		"</di:dialog-info>\n";

static const char reginfo[] =
		"<?xml version=\"1.0\"?>\n"
		"<reginfo xmlns=\"urn:ietf:params:xml:ns:reginfo\" version=\"0\""
		" state=\"full\">\n"
		"  <registration aor=\"sip:user@example.com\" id=\"a7\""
		" state=\"active\">\n"
		"    <contact id=\"76\" state=\"active\" event=\"registered\">"
		"<uri>sip:user@192.0.2.1</uri></contact>\n"
		"  </registration>\n"
		"</reginfo>\n";

static lp_str_t S(const char *s)
{
	return lp_str_c(s);
}

static xmlDocPtr reparse(const lp_str_t *doc)
{
	const char *why = NULL;
	xmlDocPtr d = lp_xml_parse(doc->s, doc->len, &why);

	ck_assert_msg(d != NULL, "result does not parse: %s\n%.*s", why,
			LP_STR_FMT(*doc));
	return d;
}

static int count(xmlNodePtr parent, const char *name, const char *ns)
{
	xmlNodePtr c;
	int k = 0;

	for(c = lp_xml_child(parent, name, ns); c;
			c = lp_xml_next(c, name, ns))
		k++;
	return k;
}

static xmlNodePtr find_id(xmlNodePtr parent, const char *name,
		const char *ns, const char *id)
{
	xmlNodePtr c;
	xmlChar *v;
	int eq;

	for(c = lp_xml_child(parent, name, ns); c;
			c = lp_xml_next(c, name, ns)) {
		v = lp_xml_attr(c, "id");
		eq = v && strcmp((char *)v, id) == 0;
		xmlFree(v);
		if(eq)
			return c;
	}
	return NULL;
}

static int attr_is(xmlNodePtr n, const char *name, const char *want)
{
	xmlChar *v = lp_xml_attr(n, name);
	int eq = v && strcmp((char *)v, want) == 0;

	xmlFree(v);
	return eq;
}

/* Every id attribute of the root's children is distinct. */
static void assert_ids_unique(xmlNodePtr root)
{
	xmlNodePtr a, b;
	xmlChar *ia, *ib;

	for(a = lp_xml_child(root, NULL, NULL); a;
			a = lp_xml_next(a, NULL, NULL)) {
		ia = lp_xml_attr(a, "id");
		for(b = lp_xml_next(a, NULL, NULL); ia && b;
				b = lp_xml_next(b, NULL, NULL)) {
			ib = lp_xml_attr(b, "id");
			ck_assert_msg(!ib || strcmp((char *)ia, (char *)ib) != 0,
					"duplicate id %s", ia);
			xmlFree(ib);
		}
		xmlFree(ia);
	}
}

static int agg(const char **docs, int n, const char *entity, lp_str_t *out)
{
	lp_str_t s[8], *p[8];
	int i;

	ck_assert_int_le(n, 8);
	for(i = 0; i < n; i++) {
		s[i] = docs[i] ? S(docs[i]) : LP_STR_NULL;
		p[i] = &s[i];
	}
	return pxml_pidf_aggregate(p, n, entity, out);
}

START_TEST(test_agg_two_devices)
{
	const char *docs[] = {pidf_pc, pidf_phone};
	lp_str_t out;
	xmlDocPtr d;
	xmlNodePtr root, t, p, first;
	const char *why;

	ck_assert_int_eq(agg(docs, 2, "sip:alice@example.com", &out), 0);
	ck_assert_int_eq(pxml_pidf_check(out.s, out.len, &why), 0);
	ck_assert_int_eq((int)strlen(out.s), out.len);
	d = reparse(&out);
	root = xmlDocGetRootElement(d);
	ck_assert(attr_is(root, "entity", "sip:alice@example.com"));
	ck_assert_int_eq(count(root, "tuple", PXML_NS_PIDF), 2);
	ck_assert_ptr_nonnull(find_id(root, "tuple", PXML_NS_PIDF, "pc"));
	ck_assert_ptr_nonnull(find_id(root, "tuple", PXML_NS_PIDF, "phone"));
	ck_assert_int_eq(count(root, "person", PXML_NS_DM), 2);
	ck_assert_int_eq(count(root, "device", PXML_NS_DM), 1);
	ck_assert_int_eq(count(root, "note", PXML_NS_PIDF), 1);
	assert_ids_unique(root);
	/* RPID content of both persons keeps its namespace */
	p = find_id(root, "person", PXML_NS_DM, "p-phone");
	ck_assert_ptr_nonnull(p);
	p = lp_xml_child(p, "activities", PXML_NS_RPID);
	ck_assert_ptr_nonnull(lp_xml_child(p, "on-the-phone", PXML_NS_RPID));
	p = find_id(root, "person", PXML_NS_DM, "p-pc");
	ck_assert_ptr_nonnull(lp_xml_child(p, "mood", PXML_NS_RPID));
	t = find_id(root, "tuple", PXML_NS_PIDF, "pc");
	ck_assert_ptr_nonnull(lp_xml_child(t, "deviceID", PXML_NS_DM));
	/* schema order: tuples, then notes, then the rest; newest first */
	first = lp_xml_child(root, NULL, NULL);
	ck_assert(lp_xml_is(first, "tuple", PXML_NS_PIDF));
	ck_assert(attr_is(first, "id", "phone"));
	ck_assert(lp_xml_is(lp_xml_next(lp_xml_next(first, NULL, NULL),
								  NULL, NULL),
			"note", PXML_NS_PIDF));
	xmlFreeDoc(d);
	/* both devices' state is visible to pres_check_* */
	ck_assert_int_eq(pxml_check_basic(&out, &LP_STR("open")), 1);
	ck_assert_int_eq(pxml_check_basic(&out, &LP_STR("closed")), 1);
	ck_assert_int_eq(pxml_check_activities(&out, &LP_STR("busy")), 1);
	ck_assert_int_eq(pxml_check_activities(&out, &LP_STR("on-the-phone")), 1);
	free(out.s);
}
END_TEST

START_TEST(test_agg_newest_wins)
{
	const char *docs[] = {pidf_t1_open, pidf_t1_closed};
	const char *rev[] = {pidf_t1_closed, pidf_t1_open};
	lp_str_t out;
	xmlDocPtr d;

	ck_assert_int_eq(agg(docs, 2, "sip:a@x", &out), 0);
	d = reparse(&out);
	ck_assert_int_eq(
			count(xmlDocGetRootElement(d), "tuple", PXML_NS_PIDF), 1);
	xmlFreeDoc(d);
	ck_assert_int_eq(pxml_check_basic(&out, &LP_STR("closed")), 1);
	ck_assert_int_eq(pxml_check_basic(&out, &LP_STR("open")), -1);
	free(out.s);

	ck_assert_int_eq(agg(rev, 2, "sip:a@x", &out), 0);
	ck_assert_int_eq(pxml_check_basic(&out, &LP_STR("open")), 1);
	ck_assert_int_eq(pxml_check_basic(&out, &LP_STR("closed")), -1);
	free(out.s);
}
END_TEST

START_TEST(test_agg_ids_made_unique)
{
	/* a tuple without id, and a tuple whose id is a person's id elsewhere */
	const char *a = "<presence xmlns='urn:ietf:params:xml:ns:pidf'"
					" xmlns:dm='urn:ietf:params:xml:ns:pidf:data-model'"
					" entity='sip:a@x'><dm:person id='x'/></presence>";
	const char *b = "<presence xmlns='urn:ietf:params:xml:ns:pidf'"
					" entity='sip:a@x'><tuple id='x'><status><basic>open"
					"</basic></status></tuple><tuple><status><basic>closed"
					"</basic></status></tuple></presence>";
	const char *docs[] = {a, b};
	lp_str_t out;
	xmlDocPtr d;
	xmlNodePtr root, t;

	ck_assert_int_eq(agg(docs, 2, "sip:a@x", &out), 0);
	d = reparse(&out);
	root = xmlDocGetRootElement(d);
	ck_assert_int_eq(count(root, "tuple", PXML_NS_PIDF), 2);
	ck_assert_int_eq(count(root, "person", PXML_NS_DM), 1);
	for(t = lp_xml_child(root, "tuple", PXML_NS_PIDF); t;
			t = lp_xml_next(t, "tuple", PXML_NS_PIDF))
		ck_assert(xmlHasNsProp(t, BAD_CAST "id", NULL) != NULL);
	assert_ids_unique(root);
	xmlFreeDoc(d);
	free(out.s);
}
END_TEST

START_TEST(test_agg_bad_bodies_skipped)
{
	const char *docs[] = {"<presence xmlns='urn:ietf:params:xml:ns:pidf'>",
			pidf_t1_open, bomb, NULL, "<other xmlns='urn:x'/>", "",
			undeclared};
	const char *all_bad[] = {"<presence", bomb, xxe, "plain text"};
	lp_str_t out;
	xmlDocPtr d;

	ck_assert_int_eq(agg(docs, 7, "sip:a@x", &out), 0);
	d = reparse(&out);
	ck_assert_int_eq(
			count(xmlDocGetRootElement(d), "tuple", PXML_NS_PIDF), 1);
	xmlFreeDoc(d);
	free(out.s);

	ck_assert_int_eq(agg(all_bad, 4, "sip:a@x", &out), 1);
	ck_assert_ptr_null(out.s);
	ck_assert_int_eq(out.len, 0);
}
END_TEST

START_TEST(test_agg_zero_and_bad_args)
{
	const char *docs[] = {pidf_t1_open};
	lp_str_t out;

	ck_assert_int_eq(pxml_pidf_aggregate(NULL, 0, "sip:a@x", &out), 1);
	ck_assert_ptr_null(out.s);
	ck_assert_int_eq(agg(docs, 1, NULL, &out), -1);
	ck_assert_ptr_null(out.s);
	ck_assert_int_eq(agg(docs, 1, "bad\001entity", &out), -1);
	ck_assert_int_eq(pxml_pidf_aggregate(NULL, 2, "sip:a@x", &out), -1);
	ck_assert_int_eq(pxml_pidf_aggregate(NULL, -1, "sip:a@x", &out), -1);
	ck_assert_int_eq(agg(docs, 1, "sip:a@x", NULL), -1);
}
END_TEST

START_TEST(test_dummy)
{
	lp_str_t out;
	const char *why;
	xmlDocPtr d;
	xmlNodePtr root;

	ck_assert_int_eq(pxml_pidf_dummy("sip:bob@example.com;x=\"a&b\"", &out), 0);
	ck_assert_int_eq(pxml_pidf_check(out.s, out.len, &why), 0);
	ck_assert_int_eq(pxml_check_basic(&out, &LP_STR("open")), 1);
	ck_assert_int_eq(pxml_check_activities(&out, &LP_STR("busy")), -2);
	d = reparse(&out);
	root = xmlDocGetRootElement(d);
	ck_assert(attr_is(root, "entity", "sip:bob@example.com;x=\"a&b\""));
	ck_assert_int_eq(count(root, "tuple", PXML_NS_PIDF), 1);
	xmlFreeDoc(d);
	free(out.s);
	ck_assert_int_eq(pxml_pidf_dummy(NULL, &out), -1);
	ck_assert_ptr_null(out.s);
}
END_TEST

START_TEST(test_check_basic)
{
	/* RFC 3863 section 5.1 style */
	lp_str_t b = S("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				   "<impp:presence xmlns:impp=\"urn:ietf:params:xml:ns:pidf\"\n"
				   "    xmlns:myex=\"http://id.example.com/presence/\"\n"
				   "    entity=\"pres:someone@example.com\">\n"
				   "  <impp:tuple id=\"ck1\">\n"
				   "    <impp:status><impp:basic> open </impp:basic>\n"
				   "      <myex:location>home</myex:location></impp:status>\n"
				   "    <impp:contact priority=\"0.8\">im:x@example.com"
				   "</impp:contact>\n"
				   "  </impp:tuple>\n"
				   "  <impp:note>Don't Disturb Please!</impp:note>\n"
				   "</impp:presence>\n");
	lp_str_t not_pidf = S("<presence xmlns='urn:other'><tuple><status>"
						  "<basic>open</basic></status></tuple></presence>");

	ck_assert_int_eq(pxml_check_basic(&b, &LP_STR("open")), 1);
	ck_assert_int_eq(pxml_check_basic(&b, &LP_STR("OPEN")), 1);
	ck_assert_int_eq(pxml_check_basic(&b, &LP_STR("closed")), -1);
	ck_assert_int_eq(pxml_check_basic(&b, &LP_STR("ope")), -1);
	ck_assert_int_eq(pxml_check_basic(&b, &LP_STR_NULL), -1);
	ck_assert_int_eq(pxml_check_basic(&not_pidf, &LP_STR("open")), -1);
	ck_assert_int_eq(pxml_check_basic(NULL, &LP_STR("open")), -1);
	ck_assert_int_eq(pxml_check_basic(&LP_STR("<x"), &LP_STR("open")), -1);
}
END_TEST

START_TEST(test_check_activities)
{
	/* RFC 4480 style: person in the data-model ns, RPID activities */
	lp_str_t b = S(
			"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\"\n"
			"    xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\"\n"
			"    xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\"\n"
			"    entity=\"pres:someone@example.com\">\n"
			"  <tuple id=\"bs35r9\"><status><basic>open</basic></status>"
			"</tuple>\n"
			"  <dm:person id=\"pdd748945\">\n"
			"    <rpid:activities><rpid:appointment/><rpid:meeting/>"
			"</rpid:activities>\n"
			"    <rpid:mood><rpid:busy/></rpid:mood>\n"
			"  </dm:person>\n"
			"</presence>\n");
	lp_str_t no_person = S(pidf_t1_open);
	lp_str_t no_act = S("<presence xmlns='urn:ietf:params:xml:ns:pidf'"
						" xmlns:dm='urn:ietf:params:xml:ns:pidf:data-model'"
						" xmlns:rpid='urn:ietf:params:xml:ns:pidf:rpid'"
						" entity='sip:a@x'><dm:person id='p'><rpid:mood>"
						"<rpid:happy/></rpid:mood></dm:person></presence>");
	lp_str_t empty_act = S("<presence xmlns='urn:ietf:params:xml:ns:pidf'"
						   " xmlns:dm='urn:ietf:params:xml:ns:pidf:data-model'"
						   " xmlns:rpid='urn:ietf:params:xml:ns:pidf:rpid'"
						   " entity='sip:a@x'><dm:person id='p'>"
						   "<rpid:activities/></dm:person></presence>");

	ck_assert_int_eq(pxml_check_activities(&b, &LP_STR("meeting")), 1);
	ck_assert_int_eq(pxml_check_activities(&b, &LP_STR("appointment")), 1);
	/* "busy" is a mood here, not an activity */
	ck_assert_int_eq(pxml_check_activities(&b, &LP_STR("busy")), -1);
	ck_assert_int_eq(pxml_check_activities(&b, &LP_STR("unknown")), -1);
	ck_assert_int_eq(pxml_check_activities(&b, &LP_STR("meet\0ing")), -1);
	ck_assert_int_eq(pxml_check_activities(&no_person, &LP_STR("busy")), -2);
	ck_assert_int_eq(pxml_check_activities(&no_act, &LP_STR("busy")), -2);
	ck_assert_int_eq(pxml_check_activities(&empty_act, &LP_STR("busy")), -1);
	ck_assert_int_eq(pxml_check_activities(NULL, &LP_STR("busy")), -2);
	ck_assert_int_eq(pxml_check_activities(&LP_STR("<p"), &LP_STR("busy")), -2);
}
END_TEST

static int dagg(const char **docs, int n, lp_str_t *out)
{
	lp_str_t s[8], *p[8];
	int i;

	for(i = 0; i < n; i++) {
		s[i] = docs[i] ? S(docs[i]) : LP_STR_NULL;
		p[i] = &s[i];
	}
	return pxml_dialog_aggregate(p, n, "sip:line1@example.com", out);
}

START_TEST(test_dialog_aggregate)
{
	const char *docs[] = {dlg_phone1, "<dialog-info", pidf_t1_open,
			dlg_phone2};
	lp_str_t out, v;
	xmlDocPtr d;
	xmlNodePtr root, dl;

	ck_assert_int_eq(dagg(docs, 4, &out), 0);
	d = reparse(&out);
	root = xmlDocGetRootElement(d);
	ck_assert(lp_xml_is(root, "dialog-info", PXML_NS_DIALOG));
	ck_assert(attr_is(root, "state", "full"));
	ck_assert(attr_is(root, "version", "0"));
	ck_assert(attr_is(root, "entity", "sip:line1@example.com"));
	ck_assert_int_eq(count(root, "dialog", PXML_NS_DIALOG), 2);
	assert_ids_unique(root);
	/* same id in both: the newer (phone2, terminated) wins */
	dl = find_id(root, "dialog", PXML_NS_DIALOG, "as7d900as8");
	ck_assert(lp_xml_text_eq(lp_xml_child(dl, "state", PXML_NS_DIALOG),
			&LP_STR("terminated"), 0));
	dl = find_id(root, "dialog", PXML_NS_DIALOG, "zxcvbnm3");
	ck_assert_ptr_nonnull(lp_xml_child(
			dl, "appearance", "urn:ietf:params:xml:ns:sa-dialog-info"));
	xmlFreeDoc(d);

	ck_assert_int_eq(pxml_dialog_set_version(&out, 4294967295u, &v), 0);
	d = reparse(&v);
	root = xmlDocGetRootElement(d);
	ck_assert(attr_is(root, "version", "4294967295"));
	ck_assert_int_eq(count(root, "dialog", PXML_NS_DIALOG), 2);
	xmlFreeDoc(d);
	free(v.s);
	free(out.s);

	ck_assert_int_eq(dagg(docs, 0, &out), 1);
	ck_assert_ptr_null(out.s);
	ck_assert_int_eq(dagg(docs + 1, 2, &out), 1);
	ck_assert_int_eq(pxml_dialog_aggregate(NULL, 1, "sip:l@x", &out), -1);
	ck_assert_int_eq(dagg(docs, 1, NULL), -1);
}
END_TEST

START_TEST(test_set_version_reginfo)
{
	lp_str_t in = S(reginfo), out;
	xmlDocPtr d;
	xmlNodePtr root, reg;

	ck_assert_int_eq(pxml_dialog_set_version(&in, 17, &out), 0);
	d = reparse(&out);
	root = xmlDocGetRootElement(d);
	ck_assert(lp_xml_is(root, "reginfo", "urn:ietf:params:xml:ns:reginfo"));
	ck_assert(attr_is(root, "version", "17"));
	ck_assert(attr_is(root, "state", "full"));
	reg = lp_xml_child(
			root, "registration", "urn:ietf:params:xml:ns:reginfo");
	ck_assert(attr_is(reg, "aor", "sip:user@example.com"));
	xmlFreeDoc(d);
	free(out.s);

	/* a root without version attribute is refused, not given one */
	ck_assert_int_eq(pxml_dialog_set_version(&LP_STR(pidf_t1_open), 1, &out),
			-1);
	ck_assert_ptr_null(out.s);
	ck_assert_int_eq(
			pxml_dialog_set_version(&LP_STR("<a version='1'"), 1, &out), -1);
	ck_assert_int_eq(pxml_dialog_set_version(NULL, 1, &out), -1);
}
END_TEST

static lp_watcher_t watcher(const char *uri, const char *id,
		const char *status, const char *event)
{
	lp_watcher_t w = {S(uri), id ? S(id) : LP_STR_NULL, S(status), S(event),
			LP_STR_NULL, 0};
	return w;
}

START_TEST(test_winfo_full)
{
	lp_watcher_t w[3] = {
			watcher("sip:bob@example.com", "w1", "active", "approved"),
			watcher("sip:a&b<c\"d@example.com", NULL, "pending", "subscribe"),
			watcher("sip:carol@example.com", "w3", "terminated", "timeout")};
	lp_str_t out, again;
	xmlDocPtr d;
	xmlNodePtr root, list, x;
	xmlChar *id1, *id2;

	w[0].display_name = S("Bob & \"Sons\" <Ltd>");
	w[0].duration = 3600;
	ck_assert_int_eq(lp_winfo_build("sip:alice@example.com;a=\"&<\"",
							 "presence", 7, 1, w, 3, &out),
			0);
	ck_assert_ptr_null(strstr(out.s, "a&b<c")); /* escaped on the wire */
	d = reparse(&out);
	root = xmlDocGetRootElement(d);
	ck_assert(lp_xml_is(root, "watcherinfo", PXML_NS_WINFO));
	ck_assert(attr_is(root, "version", "7"));
	ck_assert(attr_is(root, "state", "full"));
	list = lp_xml_child(root, "watcher-list", PXML_NS_WINFO);
	ck_assert(attr_is(list, "resource", "sip:alice@example.com;a=\"&<\""));
	ck_assert(attr_is(list, "package", "presence"));
	ck_assert_int_eq(count(list, "watcher", PXML_NS_WINFO), 3);
	x = find_id(list, "watcher", PXML_NS_WINFO, "w1");
	ck_assert(attr_is(x, "status", "active"));
	ck_assert(attr_is(x, "event", "approved"));
	ck_assert(attr_is(x, "display-name", "Bob & \"Sons\" <Ltd>"));
	ck_assert(attr_is(x, "duration-subscribed", "3600"));
	ck_assert(lp_xml_text_eq(x, &LP_STR("sip:bob@example.com"), 0));
	x = lp_xml_next(x, "watcher", PXML_NS_WINFO);
	ck_assert(lp_xml_text_eq(x, &LP_STR("sip:a&b<c\"d@example.com"), 0));
	ck_assert(attr_is(x, "status", "pending"));
	id1 = lp_xml_attr(x, "id");
	ck_assert_ptr_nonnull(id1);
	xmlFreeDoc(d);

	/* the derived id is stable across documents */
	ck_assert_int_eq(lp_winfo_build("sip:alice@example.com", "presence", 8,
							 0, &w[1], 1, &again),
			0);
	d = reparse(&again);
	root = xmlDocGetRootElement(d);
	ck_assert(attr_is(root, "state", "partial"));
	ck_assert(attr_is(root, "version", "8"));
	x = lp_xml_child(lp_xml_child(root, "watcher-list", PXML_NS_WINFO),
			"watcher", PXML_NS_WINFO);
	id2 = lp_xml_attr(x, "id");
	ck_assert_str_eq((char *)id1, (char *)id2);
	xmlFree(id1);
	xmlFree(id2);
	xmlFreeDoc(d);
	free(again.s);
	free(out.s);
}
END_TEST

START_TEST(test_winfo_empty_and_invalid)
{
	lp_watcher_t w = watcher("sip:bob@x", "w1", "active", "approved");
	lp_watcher_t bad;
	lp_str_t out;
	xmlDocPtr d;
	xmlNodePtr list;

	ck_assert_int_eq(lp_winfo_build("sip:a@x", "presence", 0, 1, NULL, 0,
							 &out),
			0);
	d = reparse(&out);
	list = lp_xml_child(xmlDocGetRootElement(d), "watcher-list",
			PXML_NS_WINFO);
	ck_assert_ptr_nonnull(list);
	ck_assert_int_eq(count(list, "watcher", PXML_NS_WINFO), 0);
	xmlFreeDoc(d);
	free(out.s);

	bad = w;
	bad.status = S("Active");
	ck_assert_int_eq(lp_winfo_build("sip:a@x", "presence", 1, 1, &bad, 1,
							 &out),
			-1);
	ck_assert_ptr_null(out.s);
	bad = w;
	bad.event = S("approve");
	ck_assert_int_eq(
			lp_winfo_build("sip:a@x", "presence", 1, 1, &bad, 1, &out), -1);
	bad = w;
	bad.uri = LP_STR_NULL;
	ck_assert_int_eq(
			lp_winfo_build("sip:a@x", "presence", 1, 1, &bad, 1, &out), -1);
	bad = w;
	bad.uri = S("sip:\xff\xfe@x"); /* not UTF-8 */
	ck_assert_int_eq(
			lp_winfo_build("sip:a@x", "presence", 1, 1, &bad, 1, &out), -1);
	bad = w;
	bad.display_name = S("a\x01z"); /* no XML 1.0 character */
	ck_assert_int_eq(
			lp_winfo_build("sip:a@x", "presence", 1, 1, &bad, 1, &out), -1);
	bad = w;
	bad.id = (lp_str_t){"w\0x", 3};
	ck_assert_int_eq(
			lp_winfo_build("sip:a@x", "presence", 1, 1, &bad, 1, &out), -1);
	ck_assert_int_eq(lp_winfo_build(NULL, "presence", 1, 1, &w, 1, &out), -1);
	ck_assert_int_eq(lp_winfo_build("sip:a@x", "", 1, 1, &w, 1, &out), -1);
	ck_assert_int_eq(lp_winfo_build("sip:a@x", "presence", 1, 1, NULL, 1,
							 &out),
			-1);
	ck_assert_int_eq(
			lp_winfo_build("sip:a@x", "presence", 1, 1, &w, -1, &out), -1);
}
END_TEST

/* A PIDF body just above PXML_MAX_BODY (padding in a note). */
static lp_str_t huge_body(void)
{
	static const char head[] =
			"<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='sip:a@x'>"
			"<tuple id='t'><status><basic>open</basic></status></tuple><note>";
	static const char tail[] = "</note></presence>";
	int len = PXML_MAX_BODY + 1;
	char *s = malloc(len + 1);

	ck_assert_ptr_nonnull(s);
	memset(s, 'x', len);
	memcpy(s, head, sizeof(head) - 1);
	memcpy(s + len - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
	s[len] = '\0';
	return (lp_str_t){s, len};
}

/* "<?xml ... UTF-16?><!DOCTYPE ...>" in UTF-16LE: the byte scan for
 * <!DOCTYPE cannot see it, the forced UTF-8 parse must refuse it. */
static lp_str_t utf16_doctype(void)
{
	static const char ascii[] = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>"
								"<!DOCTYPE p [<!ENTITY x SYSTEM "
								"\"file:///etc/passwd\">]><p>&x;</p>";
	int n = sizeof(ascii) - 1, i;
	char *s = calloc(2 * n + 2, 1);

	ck_assert_ptr_nonnull(s);
	s[0] = (char)0xFF;
	s[1] = (char)0xFE;
	for(i = 0; i < n; i++)
		s[2 + 2 * i] = ascii[i];
	return (lp_str_t){s, 2 * n + 2};
}

static void assert_all_refuse(lp_str_t *b)
{
	lp_str_t out;
	lp_str_t *v[2] = {b, b};
	const char *why = NULL;

	ck_assert_ptr_null(lp_xml_parse(b->s, b->len, &why));
	ck_assert_ptr_nonnull(why);
	ck_assert_int_eq(pxml_pidf_check(b->s, b->len, &why), -1);
	ck_assert_int_eq(pxml_pidf_aggregate(v, 2, "sip:a@x", &out), 1);
	ck_assert_ptr_null(out.s);
	ck_assert_int_eq(pxml_dialog_aggregate(v, 2, "sip:a@x", &out), 1);
	ck_assert_int_eq(pxml_dialog_set_version(b, 3, &out), -1);
	ck_assert_int_eq(pxml_check_basic(b, &LP_STR("open")), -1);
	ck_assert_int_eq(pxml_check_activities(b, &LP_STR("busy")), -2);
}

START_TEST(test_hostile_input)
{
	lp_str_t bodies[] = {S(bomb), S(xxe), S(undeclared),
			S("<!doctype presence><presence/>"),
			S("<presence xmlns='urn:ietf:params:xml:ns:pidf'><!ENTITY"
			  " x 'y'></presence>"),
			S("\xef\xbb\xbf<"), (lp_str_t){"<p>\0</p>", 8},
			(lp_str_t){NULL, 10}, (lp_str_t){"<p/>", -4}};
	lp_str_t big = huge_body(), u16 = utf16_doctype();
	const char *why = NULL;
	clock_t t0 = clock();
	size_t i;

	for(i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		assert_all_refuse(&bodies[i]);
	assert_all_refuse(&u16);
	assert_all_refuse(&big);
	ck_assert_ptr_null(lp_xml_parse(big.s, big.len, &why));
	ck_assert_str_eq(why, "body too large");
	/* just below the limit is fine */
	ck_assert_ptr_null(lp_xml_parse(bomb, sizeof(bomb) - 1, &why));
	ck_assert_str_eq(why, "DOCTYPE or ENTITY declarations are not allowed");
	free(big.s);
	free(u16.s);
	/* refusing is cheap: no entity is ever expanded */
	ck_assert_msg((clock() - t0) / CLOCKS_PER_SEC < 2, "hostile input slow");
}
END_TEST

START_TEST(test_max_body_accepted)
{
	lp_str_t big = huge_body();
	lp_str_t fits = {big.s, big.len - 1};
	const char *why;
	xmlDocPtr d;

	/* shift the tail one byte left so the document is PXML_MAX_BODY long */
	memmove(big.s + big.len - 19, big.s + big.len - 18, 18);
	d = lp_xml_parse(fits.s, fits.len, &why);
	ck_assert_msg(d != NULL, "%s", why);
	xmlFreeDoc(d);
	ck_assert_int_eq(pxml_check_basic(&fits, &LP_STR("open")), 1);
	free(big.s);
}
END_TEST

/* libxml2 allocations failing one by one: every function either succeeds
 * or reports an error, never crashes or leaks (LeakSanitizer checks the
 * forked test process at exit). libxml2 2.9 itself is not safe when an
 * allocation fails in some places: its parser dereferences NULL inside
 * xmlParseDocument, xmlDocCopyNode leaks the partial copy and
 * xmlDOMWrapReconcileNamespaces its namespace map. Allocations made under
 * those three (lp_xml_in_unsafe_libxml()) are never failed; what is
 * walked is our code's handling of every other failure (tree building, namespaces, attributes, hashes,
 * serialising). */
static long xml_calls;
static long xml_fail_at;
static long xml_failed;

static int should_fail(void)
{
	if(++xml_calls != xml_fail_at || lp_xml_in_unsafe_libxml())
		return 0;
	xml_failed++;
	return 1;
}

static void *fail_malloc(size_t n)
{
	return should_fail() ? NULL : malloc(n);
}

static void *fail_realloc(void *p, size_t n)
{
	return should_fail() ? NULL : realloc(p, n);
}

static char *fail_strdup(const char *s)
{
	char *r;

	if(should_fail())
		return NULL;
	r = malloc(strlen(s) + 1);
	if(r)
		strcpy(r, s);
	return r;
}

static void quiet(void *ctx, const char *msg, ...)
{
}

static void run_all_once(void)
{
	lp_str_t a = S(pidf_pc), b = S(pidf_phone), d1 = S(dlg_phone1),
			 d2 = S(dlg_phone2), out;
	lp_str_t *v[] = {&a, &b}, *dv[] = {&d1, &d2};
	lp_watcher_t w[2] = {
			watcher("sip:bob@example.com", "w1", "active", "approved"),
			watcher("sip:a&b@example.com", NULL, "pending", "subscribe")};
	int rc;

	rc = pxml_pidf_aggregate(v, 2, "sip:alice@example.com", &out);
	ck_assert(rc == 0 || rc == -1 || rc == 1);
	ck_assert(rc == 0 || out.s == NULL);
	free(out.s);
	rc = pxml_pidf_dummy("sip:alice@example.com", &out);
	ck_assert(rc == 0 || out.s == NULL);
	free(out.s);
	rc = pxml_pidf_closed(&b, "sip:alice@example.com", &out);
	ck_assert(rc == 0 || out.s == NULL);
	free(out.s);
	rc = pxml_single_pick(v, 2, "Available|On the Phone", "note");
	ck_assert(rc >= -1 && rc < 2);
	rc = pxml_dialog_aggregate(dv, 2, "sip:line1@example.com", &out);
	ck_assert(rc == 0 || out.s == NULL);
	free(out.s);
	rc = pxml_dialog_set_version(&d2, 9, &out);
	ck_assert(rc == 0 || out.s == NULL);
	free(out.s);
	rc = lp_winfo_build("sip:alice@example.com", "presence", 1, 1, w, 2,
			&out);
	ck_assert(rc == 0 || out.s == NULL);
	free(out.s);
	pxml_check_basic(&a, &LP_STR("open"));
	pxml_check_activities(&a, &LP_STR("busy"));
}

START_TEST(test_alloc_failures)
{
	xmlFreeFunc f0;
	xmlMallocFunc m0;
	xmlReallocFunc r0;
	xmlStrdupFunc s0;
	long total, n;

	xmlInitParser();
	xmlSetGenericErrorFunc(NULL, quiet); /* "Memory allocation failed" */
	xmlMemGet(&f0, &m0, &r0, &s0);
	xmlMemSetup(free, fail_malloc, fail_realloc, fail_strdup);
	xml_calls = 0;
	xml_fail_at = 0;
	run_all_once();
	total = xml_calls;
	ck_assert_int_gt(total, 10);
	for(n = 1; n <= total; n++) {
		xml_calls = 0;
		xml_fail_at = n;
		run_all_once();
	}
	ck_assert_int_gt(xml_failed, 50);
	xmlMemSetup(f0, m0, r0, s0);
}
END_TEST

Suite *pxml_docs_suite(void)
{
	Suite *s = suite_create("pxml_docs");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_agg_two_devices);
	tcase_add_test(tc, test_agg_newest_wins);
	tcase_add_test(tc, test_agg_ids_made_unique);
	tcase_add_test(tc, test_agg_bad_bodies_skipped);
	tcase_add_test(tc, test_agg_zero_and_bad_args);
	tcase_add_test(tc, test_dummy);
	tcase_add_test(tc, test_check_basic);
	tcase_add_test(tc, test_check_activities);
	tcase_add_test(tc, test_dialog_aggregate);
	tcase_add_test(tc, test_set_version_reginfo);
	tcase_add_test(tc, test_winfo_full);
	tcase_add_test(tc, test_winfo_empty_and_invalid);
	tcase_add_test(tc, test_hostile_input);
	tcase_add_test(tc, test_max_body_accepted);
	tcase_add_test(tc, test_alloc_failures);
	suite_add_tcase(s, tc);
	return s;
}
