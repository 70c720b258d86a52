/* Every XML parse of presence_xml goes through the hardened lp_xml_parse
 * (issue 11): the PUBLISH check (pxml_pidf_check), the pres-rules
 * evaluator and the PIDF filter (pxml_rules.c). A UTF-16 document hides a
 * DOCTYPE from the byte scan: each path must refuse it, refuse a UTF-16
 * document outright (read as UTF-8 it is not well-formed), and leave
 * libxml2's global error handler as the host set it. */
#include <check.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "lp_xml.h"
#include "pxml_pidf.h"
#include "pxml_rules.h"

/* ascii in UTF-16LE with a byte order mark (malloc'd). */
static lp_str_t utf16(const char *ascii)
{
	int n = (int)strlen(ascii), i;
	char *s = calloc(2 * n + 2, 1);

	ck_assert_ptr_nonnull(s);
	s[0] = (char)0xFF;
	s[1] = (char)0xFE;
	for(i = 0; i < n; i++)
		s[2 + 2 * i] = ascii[i];
	return (lp_str_t){s, 2 * n + 2};
}

#define PIDF_PLAIN                                                       \
	"<?xml version=\"1.0\" encoding=\"UTF-16\"?><presence"              \
	" xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:a@x\"><tuple" \
	" id=\"t\"><status><basic>open</basic></status></tuple></presence>"
#define PIDF_DTD                                                       \
	"<?xml version=\"1.0\" encoding=\"UTF-16\"?><!DOCTYPE presence [" \
	"<!ENTITY x SYSTEM \"file:///etc/passwd\">]><presence"            \
	" xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:a@x\"><tuple" \
	" id=\"t\"><status><basic>open</basic></status><note>&x;</note>"   \
	"</tuple></presence>"
#define RULES_PLAIN                                                    \
	"<?xml version=\"1.0\" encoding=\"UTF-16\"?><cr:ruleset"          \
	" xmlns:cr=\"urn:ietf:params:xml:ns:common-policy\""              \
	" xmlns:pr=\"urn:ietf:params:xml:ns:pres-rules\"><cr:rule id=\"a\">" \
	"<cr:conditions/><cr:actions><pr:sub-handling>allow"              \
	"</pr:sub-handling></cr:actions></cr:rule></cr:ruleset>"
#define RULES_DTD                                                          \
	"<?xml version=\"1.0\" encoding=\"UTF-16\"?><!DOCTYPE cr:ruleset [" \
	"<!ENTITY a \"allow\">]><cr:ruleset"                                  \
	" xmlns:cr=\"urn:ietf:params:xml:ns:common-policy\""                  \
	" xmlns:pr=\"urn:ietf:params:xml:ns:pres-rules\"><cr:rule id=\"a\">"  \
	"<cr:conditions/><cr:actions><pr:sub-handling>&a;"                    \
	"</pr:sub-handling></cr:actions></cr:rule></cr:ruleset>"

static int host_errors;
static void host_handler(void *ctx, const char *msg, ...)
{
	host_errors++;
}

static lp_str_t W = {"sip:bob@x", 9};

/* The rules evaluation of doc refuses it as `code` and grants nothing. */
static void rules_refused(const char *ascii, int code)
{
	lp_str_t d = utf16(ascii);
	pxml_rules_result_t r;

	ck_assert_int_eq(pxml_rules_evaluate(&d, &W, NULL, 0, &r), -1);
	ck_assert_int_eq(r.error, code);
	ck_assert_int_eq(r.matched, 0);
	pxml_rules_result_free(&r);
	free(d.s);
}

START_TEST(utf16_doctype_refused_everywhere)
{
	lp_str_t d = utf16(PIDF_DTD), out = LP_STR_NULL;
	pxml_rules_result_t r;
	lp_str_t ok = LP_STR("<cr:ruleset xmlns:cr=\"urn:ietf:params:xml:ns:"
						 "common-policy\"/>");
	const char *why = NULL;

	ck_assert_int_eq(pxml_pidf_check(d.s, d.len, &why), -1);
	ck_assert_ptr_nonnull(why);
	rules_refused(RULES_DTD, PXML_RULES_EXML);
	/* the filter refuses such a PIDF too */
	ck_assert_int_eq(pxml_rules_evaluate(&ok, &W, NULL, 0, &r), 0);
	ck_assert_int_eq(pxml_rules_filter(&d, &r, &out), -1);
	ck_assert_ptr_null(out.s);
	pxml_rules_result_free(&r);
	free(d.s);
}
END_TEST

/* Without the forced UTF-8, libxml2 decodes UTF-16 and the pre-parse scan
 * for <!DOCTYPE looked at the wrong bytes: a UTF-16 document is refused
 * whether it carries a DOCTYPE or not. */
START_TEST(utf16_refused_outright)
{
	lp_str_t d = utf16(PIDF_PLAIN);
	const char *why = NULL;

	ck_assert_int_eq(pxml_pidf_check(d.s, d.len, &why), -1);
	ck_assert_str_eq(why, "not well-formed XML");
	free(d.s);
	rules_refused(RULES_PLAIN, PXML_RULES_EXML);
}
END_TEST

/* The host's (Kamailio's) generic error handler is still installed after
 * each parse, accepted or refused. */
START_TEST(error_handler_kept)
{
	lp_str_t bad = LP_STR("<presence"), rules = LP_STR("<x");
	pxml_rules_result_t r;
	const char *why;

	xmlSetGenericErrorFunc(NULL, host_handler);
	ck_assert_int_eq(pxml_pidf_check(bad.s, bad.len, &why), -1);
	ck_assert_ptr_eq(xmlGenericError, host_handler);
	ck_assert_int_eq(pxml_rules_evaluate(&rules, &W, NULL, 0, &r), -1);
	pxml_rules_result_free(&r);
	ck_assert_ptr_eq(xmlGenericError, host_handler);
	ck_assert_int_eq(host_errors, 0); /* and it was not called either */
	xmlSetGenericErrorFunc(NULL, NULL);
}
END_TEST

START_TEST(parse_codes)
{
	xmlDocPtr d;
	const char *why;

	ck_assert_int_eq(lp_xml_parse_code(NULL, 3, &d, &why), LP_XML_EEMPTY);
	ck_assert_int_eq(lp_xml_parse_code("<!DOCTYPE a><a/>", 16, &d, &why),
			LP_XML_EDTD);
	ck_assert_ptr_null(d);
	ck_assert_int_eq(lp_xml_parse_code("<a>", 3, &d, NULL), LP_XML_EXML);
	ck_assert_int_eq(lp_xml_parse_code("<a/>", 4, &d, &why), LP_XML_OK);
	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_null(why);
	xmlFreeDoc(d);
}
END_TEST

Suite *pxml_parse_suite(void)
{
	Suite *s = suite_create("pxml_parse");
	TCase *t = tcase_create("hardened");

	tcase_add_test(t, utf16_doctype_refused_everywhere);
	tcase_add_test(t, utf16_refused_outright);
	tcase_add_test(t, error_handler_kept);
	tcase_add_test(t, parse_codes);
	suite_add_tcase(s, t);
	return s;
}
