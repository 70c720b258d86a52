/* presence_xml parameters of Kamailio 5.6 that change NOTIFY bodies:
 * force_presence_single_body with presence_single_body_priorities and
 * presence_single_body_lookup_element (the one publication sent), the closed
 * PIDF after the last publication is removed by an un-PUBLISH (agg_nbody's
 * off_index; dialog;sla leaves the removed body out), and the documented
 * defaults of the new parameters. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "pxml_agg.h"
#include "pxml_auth.h"
#include "pxml_check.h"
#include "pxml_pidf.h"
#include "pxml_single.h"
#include "pxml_state.h"
#include "lp_xml.h"

#define S(c) ((lp_str_t){(char *)(c), (int)strlen(c)})

static const char *doc(const char *id, const char *basic, const char *note)
{
	static char buf[4][512];
	static int k;
	char *b = buf[k++ % 4];

	snprintf(b, 512,
			"<?xml version=\"1.0\"?>\n"
			"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\""
			" xmlns:x=\"urn:x-test\" entity=\"sip:bob@example.com\">"
			"<tuple id=\"%s\"><status><basic>%s</basic></status>"
			"<x:state>%s</x:state><note>%s</note></tuple>"
			"<note>top %s</note></presence>",
			id, basic, note, note, note);
	return b;
}

/* n bodies as agg_nbody gets them. */
typedef struct {
	lp_str_t s[4], *p[4];
} bodies_t;

static void set(bodies_t *b, const char **d, int n)
{
	int i;

	for(i = 0; i < n; i++) {
		b->s[i] = d[i] ? S(d[i]) : LP_STR_NULL;
		b->p[i] = &b->s[i];
	}
}

static void agg_free(lp_str_t *r)
{
	if(r) {
		pxml_free_body(r->s);
		pxml_free_body((char *)r);
	}
}

static lp_str_t user = {"bob", 3}, domain = {"example.com", 11};

static void reset_params(void)
{
	pxml.force_presence_single_body = 0;
	pxml.single_body_priorities = "Available|Ringing|On the Phone";
	pxml.single_body_lookup_element = "note";
	pxml.force_dummy_presence = 0;
}

START_TEST(test_defaults)
{
	ck_assert_int_eq(pxml.default_expires, 3600);
	ck_assert_int_eq(pxml.disable_bla, 1);
	ck_assert_int_eq(pxml.disable_xcapdiff, 0);
	ck_assert_int_eq(pxml.force_presence_single_body, 0);
	ck_assert_str_eq(pxml.single_body_priorities,
			"Available|Ringing|On the Phone");
	ck_assert_str_eq(pxml.single_body_lookup_element, "note");
}
END_TEST

START_TEST(test_priority)
{
	const char *l = "Available|Ringing|On the Phone";

	ck_assert_int_eq(pxml_single_priority(l, "Available"), 1);
	ck_assert_int_eq(pxml_single_priority(l, "ringing"), 2);
	ck_assert_int_eq(pxml_single_priority(l, "  On the Phone\n"), 3);
	ck_assert_int_eq(pxml_single_priority(l, "On the"), 0);
	ck_assert_int_eq(pxml_single_priority(l, ""), 0);
	ck_assert_int_eq(pxml_single_priority(l, NULL), 0);
	ck_assert_int_eq(pxml_single_priority(NULL, "Available"), 0);
	ck_assert_int_eq(pxml_single_priority("", ""), 0);
	ck_assert_int_eq(pxml_single_priority("a||b", "b"), 3);
	ck_assert_int_eq(pxml_single_priority("Offline|Online|Busy|Really Busy",
							 "Really Busy"),
			4);
}
END_TEST

START_TEST(test_pick)
{
	const char *l = "Available|Ringing|On the Phone";
	const char *d[4];
	bodies_t b;

	d[0] = doc("a", "open", "On the Phone");
	d[1] = doc("b", "open", "Available");
	d[2] = doc("c", "open", "Ringing");
	set(&b, d, 3);
	ck_assert_int_eq(pxml_single_pick(b.p, 3, l, "note"), 0);
	/* another element (any namespace, depth first), another list */
	ck_assert_int_eq(pxml_single_pick(b.p, 3, "Ringing|Available", "STATE"), 1);
	/* ties and values not in the list (0): the newest */
	ck_assert_int_eq(pxml_single_pick(b.p, 3, "Busy", "note"), 2);
	ck_assert_int_eq(pxml_single_pick(b.p, 3, l, "nosuch"), 2);
	/* a broken body is never chosen */
	d[3] = "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\"><note>On the Phone";
	set(&b, d, 4);
	ck_assert_int_eq(pxml_single_pick(b.p, 4, l, "note"), 0);
	d[0] = "<other/>";
	d[1] = NULL;
	set(&b, d, 2);
	ck_assert_int_eq(pxml_single_pick(b.p, 2, l, "note"), -1);
	ck_assert_int_eq(pxml_single_pick(NULL, 2, l, "note"), -1);
	ck_assert_int_eq(pxml_single_pick(b.p, 0, l, "note"), -1);
	ck_assert_int_eq(pxml_single_pick(b.p, 2, l, ""), -1);
}
END_TEST

/* agg_nbody with force_presence_single_body: one publication's tuple and
 * notes only; without it both are aggregated. */
START_TEST(test_agg_single_body)
{
	const char *d[2] = {doc("phone", "open", "On the Phone"),
			doc("pc", "open", "Available")};
	bodies_t b;
	lp_str_t *r;

	reset_params();
	set(&b, d, 2);
	r = pxml_agg_presence(&user, &domain, b.p, 2, -1);
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(strstr(r->s, "\"phone\""));
	ck_assert_ptr_nonnull(strstr(r->s, "\"pc\""));
	agg_free(r);
	pxml.force_presence_single_body = 1;
	r = pxml_agg_presence(&user, &domain, b.p, 2, -1);
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(strstr(r->s, "\"phone\""));
	ck_assert_ptr_null(strstr(r->s, "\"pc\""));
	ck_assert_ptr_null(strstr(r->s, "Available"));
	ck_assert_ptr_nonnull(strstr(r->s, "entity=\"sip:bob@example.com\""));
	agg_free(r);
	pxml.single_body_priorities = "On the Phone|Available";
	r = pxml_agg_presence(&user, &domain, b.p, 2, -1);
	ck_assert_ptr_nonnull(strstr(r->s, "\"pc\""));
	ck_assert_ptr_null(strstr(r->s, "\"phone\""));
	agg_free(r);
	reset_params();
}
END_TEST

static int basic_of(const lp_str_t *r, const char *want)
{
	return pxml_check_basic(r, &S(want));
}

/* An un-PUBLISH of the last publication: a closed document with the
 * removed tuple's id, nothing else of it; with another publication left,
 * that one and the removed tuple closed (Kamailio's NOTIFY). */
START_TEST(test_agg_off_index)
{
	const char *d[2] = {doc("pc", "open", "secret-pc"),
			doc("phone", "open", "secret-phone")};
	bodies_t b;
	lp_str_t *r;

	reset_params();
	set(&b, d, 2);
	r = pxml_agg_presence(&user, &domain, b.p + 1, 1, 0);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(basic_of(r, "closed"), 1);
	ck_assert_int_eq(basic_of(r, "open"), -1);
	ck_assert_ptr_nonnull(strstr(r->s, "id=\"phone\""));
	ck_assert_ptr_nonnull(strstr(r->s, "entity=\"sip:bob@example.com\""));
	ck_assert_ptr_null(strstr(r->s, "secret"));
	ck_assert_ptr_null(strstr(r->s, "urn:x-test"));
	agg_free(r);
	/* pc is still published: its tuple (open), then the phone's closed */
	r = pxml_agg_presence(&user, &domain, b.p, 2, 1);
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(strstr(r->s, "id=\"pc\""));
	ck_assert_ptr_nonnull(strstr(r->s, "id=\"phone\""));
	ck_assert(strstr(r->s, "id=\"pc\"") < strstr(r->s, "id=\"phone\""));
	ck_assert_int_eq(basic_of(r, "closed"), 1);
	ck_assert_int_eq(basic_of(r, "open"), 1);
	ck_assert_ptr_nonnull(strstr(r->s, "secret-pc"));
	ck_assert_ptr_null(strstr(r->s, "secret-phone"));
	agg_free(r);
	/* the same tuple id still published by the other: the open one only */
	d[1] = doc("pc", "open", "secret-phone");
	set(&b, d, 2);
	r = pxml_agg_presence(&user, &domain, b.p, 2, 0);
	ck_assert_int_eq(basic_of(r, "closed"), -1);
	ck_assert_ptr_null(strstr(r->s, "secret-pc"));
	agg_free(r);
	/* force_presence_single_body: the body picked among those left */
	d[1] = doc("phone", "open", "secret-phone");
	set(&b, d, 2);
	pxml.force_presence_single_body = 1;
	r = pxml_agg_presence(&user, &domain, b.p, 2, 1);
	ck_assert_int_eq(basic_of(r, "closed"), -1);
	ck_assert_ptr_nonnull(strstr(r->s, "id=\"pc\""));
	agg_free(r);
	r = pxml_agg_presence(&user, &domain, b.p + 1, 1, 0);
	ck_assert_int_eq(basic_of(r, "closed"), 1);
	agg_free(r);
	pxml.force_presence_single_body = 0;
	/* no off_index, nothing published: no body (no dummy wanted) */
	ck_assert_ptr_null(pxml_agg_presence(&user, &domain, NULL, 0, -1));
	/* closed wins over force_dummy_presence after an un-PUBLISH */
	pxml.force_dummy_presence = 1;
	r = pxml_agg_presence(&user, &domain, b.p + 1, 1, 0);
	ck_assert_int_eq(basic_of(r, "closed"), 1);
	agg_free(r);
	reset_params();
}
END_TEST

/* dialog;sla after an un-PUBLISH: the removed line appearance is left out
 * (no closed document: a dialog-info without it is what is left). */
START_TEST(test_agg_dialog_off_index)
{
	const char *d[2] = {
			"<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\""
			" version=\"1\" state=\"full\" entity=\"sip:l@x\">"
			"<dialog id=\"d-kept\"><state>confirmed</state></dialog>"
			"</dialog-info>",
			"<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\""
			" version=\"1\" state=\"full\" entity=\"sip:l@x\">"
			"<dialog id=\"d-gone\"><state>confirmed</state></dialog>"
			"</dialog-info>"};
	bodies_t b;
	lp_str_t *r;

	set(&b, d, 2);
	r = pxml_agg_dialog(&user, &domain, b.p, 2, -1);
	ck_assert_ptr_nonnull(strstr(r->s, "d-gone"));
	agg_free(r);
	r = pxml_agg_dialog(&user, &domain, b.p, 2, 1);
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(strstr(r->s, "d-kept"));
	ck_assert_ptr_null(strstr(r->s, "d-gone"));
	agg_free(r);
	ck_assert_ptr_null(pxml_agg_dialog(&user, &domain, b.p + 1, 1, 0));
}
END_TEST

START_TEST(test_closed_doc)
{
	lp_str_t out, in;
	const char *why;

	in = S("<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"x\">"
		   "<tuple id=\"t1\"><status><basic>open</basic></status>"
		   "<contact>sip:bob@10.0.0.1</contact></tuple>"
		   "<tuple><status><basic>open</basic></status></tuple>"
		   "<tuple id=\"t1\"><status><basic>open</basic></status></tuple>"
		   "</presence>");
	ck_assert_int_eq(pxml_pidf_closed(&in, "sip:bob@example.com", &out), 0);
	ck_assert_int_eq(pxml_pidf_check(out.s, out.len, &why), 0);
	ck_assert_ptr_nonnull(strstr(out.s, "id=\"t1\""));
	ck_assert_ptr_nonnull(strstr(out.s, "id=\"pxml-1\""));
	ck_assert_ptr_nonnull(strstr(out.s, "id=\"pxml-2\""));
	ck_assert_ptr_null(strstr(out.s, "contact"));
	ck_assert_ptr_null(strstr(out.s, "open"));
	free(out.s);
	/* nothing usable: one tuple of our own */
	in = S("not xml");
	ck_assert_int_eq(pxml_pidf_closed(&in, "sip:bob@example.com", &out), 0);
	ck_assert_ptr_nonnull(strstr(out.s, "id=\"pxml-closed\""));
	ck_assert_ptr_nonnull(strstr(out.s, "<basic>closed</basic>"));
	free(out.s);
	ck_assert_int_eq(pxml_pidf_closed(NULL, "sip:bob@example.com", &out), 0);
	free(out.s);
	ck_assert_int_eq(pxml_pidf_closed(&in, NULL, &out), -1);
	ck_assert_ptr_null(out.s);
	ck_assert_int_eq(pxml_pidf_closed(&in, "sip:a@b", NULL), -1);
}
END_TEST

Suite *pxml_single_suite(void)
{
	Suite *s = suite_create("pxml_single");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_priority);
	tcase_add_test(tc, test_pick);
	tcase_add_test(tc, test_agg_single_body);
	tcase_add_test(tc, test_agg_off_index);
	tcase_add_test(tc, test_agg_dialog_off_index);
	tcase_add_test(tc, test_closed_doc);
	suite_add_tcase(s, tc);
	return s;
}
