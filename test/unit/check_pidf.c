/* presence_xml's PIDF check (pxml_pidf.c): well-formed PIDF documents are
 * accepted; other roots and namespaces, non-XML, empty, truncated and
 * oversized bodies are refused; so are entity bombs and external entities
 * (in UTF-8 and UTF-16), quickly and without reading any file. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pxml_pidf.h"

#define NS "urn:ietf:params:xml:ns:pidf"
#define VALID                                                        \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                   \
	"<presence xmlns=\"" NS "\" entity=\"sip:alice@example.com\">\n" \
	"  <tuple id=\"t1\"><status><basic>open</basic></status>"        \
	"<contact>sip:alice@192.0.2.1</contact></tuple>\n"               \
	"  <note xml:lang=\"en\">at lunch</note>\n"                      \
	"</presence>\n"

static const char *why;

/* Check a copy of s in a block of exactly its length (no NUL after it), so
 * a read past len is an ASan error. */
static int check_len(const char *s, int len)
{
	char *b = malloc(len > 0 ? len : 1);
	int rc;

	ck_assert_ptr_nonnull(b);
	memcpy(b, s, len);
	rc = pxml_pidf_check(b, len, &why);
	free(b);
	return rc;
}

static int check(const char *s)
{
	return check_len(s, (int)strlen(s));
}

#define ck_ok(s) ck_assert_msg(check(s) == 0, "refused (%s): %s", why ? why : "?", s)
#define ck_refused(s)                                         \
	do {                                                      \
		ck_assert_msg(check(s) == -1, "accepted: %s", s);     \
		ck_assert_msg(why != NULL && *why, "no reason given"); \
	} while(0)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

START_TEST(test_valid)
{
	ck_ok(VALID);
	ck_assert_ptr_null(why);
	ck_ok("<presence xmlns=\"" NS "\" entity=\"sip:a@b\"/>");
	ck_ok("<p:presence xmlns:p=\"" NS "\" entity=\"sip:a@b\"><p:tuple id=\"x\">"
		  "<p:status><p:basic>closed</p:basic></p:status></p:tuple></p:presence>");
	/* extensions in other namespaces are fine */
	ck_ok("<presence xmlns=\"" NS "\" xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\""
		  " entity=\"sip:a@b\"><rpid:activities><rpid:away/></rpid:activities>"
		  "</presence>");
}
END_TEST

START_TEST(test_whitespace_and_declaration)
{
	ck_ok("\r\n  <presence xmlns=\"" NS "\" entity=\"sip:a@b\"/>\r\n\r\n");
	ck_ok("<?xml version=\"1.0\"?><presence xmlns=\"" NS "\" entity=\"sip:a@b\"/>");
	ck_ok("<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
		  "<!-- comment -->\n<presence xmlns=\"" NS "\" entity=\"sip:a@b\"/>");
	/* XML 1.0 allows nothing before the declaration */
	ck_refused("\n<?xml version=\"1.0\"?><presence xmlns=\"" NS "\" entity=\"sip:a@b\"/>");
}
END_TEST

START_TEST(test_wrong_root_or_namespace)
{
	ck_refused("<presentity xmlns=\"" NS "\"/>");
	ck_refused("<tuple xmlns=\"" NS "\" id=\"t\"/>");
	ck_refused("<presence xmlns=\"urn:ietf:params:xml:ns:pidf:rpid\"/>");
	ck_refused("<presence xmlns=\"urn:ietf:params:xml:ns:PIDF\"/>");
	ck_refused("<presence entity=\"sip:a@b\"/>");
	ck_refused("<p:presence xmlns:p=\"urn:example\" xmlns=\"" NS "\"/>");
	ck_refused("<watcherinfo xmlns=\"urn:ietf:params:xml:ns:watcherinfo\""
			   " version=\"0\" state=\"full\"/>");
}
END_TEST

START_TEST(test_not_xml)
{
	ck_refused("open");
	ck_refused("{\"presence\": \"open\"}");
	ck_refused("<presence xmlns=\"" NS "\">");
	ck_refused("<presence xmlns=\"" NS "\"></tuple>");
	ck_refused("<presence xmlns=\"" NS "\"/><presence xmlns=\"" NS "\"/>");
	ck_refused("<presence xmlns=\"" NS "\" a=\"1\" a=\"2\"/>");
	ck_refused("<presence xmlns=\"" NS "\">&undefined;</presence>");
	ck_refused("<?xml version=\"1.0\"?>");
	ck_refused("   \r\n ");
}
END_TEST

START_TEST(test_empty)
{
	ck_assert_int_eq(pxml_pidf_check("", 0, &why), -1);
	ck_assert_ptr_nonnull(why);
	ck_assert_int_eq(pxml_pidf_check(NULL, 0, &why), -1);
	ck_assert_ptr_nonnull(why);
	ck_assert_int_eq(pxml_pidf_check(VALID, -1, &why), -1);
	ck_assert_ptr_nonnull(why);
}
END_TEST

START_TEST(test_truncated)
{
	int len = (int)strlen(VALID), cut;

	/* every prefix is refused, and no read goes past len */
	for(cut = 1; cut < len - 2; cut++)
		ck_assert_msg(check_len(VALID, cut) == -1, "prefix %d accepted", cut);
	ck_assert_int_eq(check_len(VALID, len), 0);
	ck_assert_int_eq(check_len(VALID, len - 1), 0); /* only the final newline */
}
END_TEST

#define LOL_DOCTYPE                                                          \
	"<!DOCTYPE presence [\n"                                                 \
	" <!ENTITY lol \"lol\">\n"                                               \
	" <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n" \
	" <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n" \
	" <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n" \
	" <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n" \
	" <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n" \
	" <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n" \
	" <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n" \
	" <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n" \
	" <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n" \
	"]>\n"
#define LOL LOL_DOCTYPE "<presence xmlns=\"" NS "\"><note>&lol9;</note></presence>"
#define XXE                                                              \
	"<?xml version=\"1.0\"?>\n"                                          \
	"<!DOCTYPE presence [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n" \
	"<presence xmlns=\"" NS "\" entity=\"sip:a@b\"><note>&xxe;</note></presence>"

START_TEST(test_billion_laughs)
{
	double t = now_s();

	ck_refused(LOL);
	ck_assert_msg(now_s() - t < 1.0, "took %.2fs", now_s() - t);
	ck_refused("<?xml version=\"1.0\"?>\n" LOL);
}
END_TEST

START_TEST(test_external_entity)
{
	double t = now_s();

	ck_refused(XXE);
	ck_assert_msg(now_s() - t < 1.0, "took %.2fs", now_s() - t);
	/* external DTD, parameter entity */
	ck_refused("<!DOCTYPE presence SYSTEM \"file:///etc/passwd\">"
			   "<presence xmlns=\"" NS "\"/>");
	ck_refused("<!DOCTYPE presence [<!ENTITY % p SYSTEM \"http://192.0.2.1/x\"> %p;]>"
			   "<presence xmlns=\"" NS "\"/>");
	ck_refused("<!doctype presence [<!ENTITY x \"y\">]><presence xmlns=\"" NS "\"/>");
}
END_TEST

/* UTF-16LE with a BOM: the byte pattern "<!DOCTYPE" never appears; the
 * parse reads every body as UTF-8 (lp_xml_parse), so a UTF-16 document is
 * not well-formed and refused, DTD or not. */
static int check_utf16(const char *ascii, double *secs)
{
	int n = (int)strlen(ascii), i, rc;
	char *b = malloc(2 + 2 * n);
	double t;

	ck_assert_ptr_nonnull(b);
	b[0] = (char)0xff;
	b[1] = (char)0xfe;
	for(i = 0; i < n; i++) {
		b[2 + 2 * i] = ascii[i];
		b[3 + 2 * i] = 0;
	}
	t = now_s();
	rc = pxml_pidf_check(b, 2 + 2 * n, &why);
	*secs = now_s() - t;
	free(b);
	return rc;
}

START_TEST(test_utf16)
{
	double secs;

	ck_assert_int_eq(check_utf16("<presence xmlns=\"" NS "\" entity=\"sip:a@b\"/>", &secs), -1);
	ck_assert_int_eq(check_utf16(XXE, &secs), -1);
	ck_assert_msg(secs < 1.0, "took %.2fs", secs);
	ck_assert_int_eq(check_utf16(LOL, &secs), -1);
	ck_assert_msg(secs < 1.0, "took %.2fs", secs);
}
END_TEST

START_TEST(test_too_large)
{
	static const char head[] = "<presence xmlns=\"" NS "\" entity=\"sip:a@b\"><note>";
	static const char tail[] = "</note></presence>";
	int len = PXML_MAX_BODY + 1;
	char *b = malloc(len);
	int fill = len - (int)strlen(head) - (int)strlen(tail);

	ck_assert_ptr_nonnull(b);
	memcpy(b, head, strlen(head));
	memset(b + strlen(head), 'x', fill);
	memcpy(b + strlen(head) + fill, tail, strlen(tail));
	ck_assert_int_eq(pxml_pidf_check(b, len, &why), -1);
	ck_assert_ptr_nonnull(why);
	/* one byte less is within the limit */
	memmove(b + strlen(head) + fill - 1, tail, strlen(tail));
	ck_assert_int_eq(check_len(b, len - 1), 0);
	free(b);
}
END_TEST

Suite *pidf_suite(void)
{
	Suite *s = suite_create("pidf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_valid);
	tcase_add_test(tc, test_whitespace_and_declaration);
	tcase_add_test(tc, test_wrong_root_or_namespace);
	tcase_add_test(tc, test_not_xml);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_billion_laughs);
	tcase_add_test(tc, test_external_entity);
	tcase_add_test(tc, test_utf16);
	tcase_add_test(tc, test_too_large);
	suite_add_tcase(s, tc);
	return s;
}
