/* The Accept parser (lp_siphdr_accept_parse / _takes, RFC 3261 s20.1 and
 * s25.1) and what a SUBSCRIBE gets for it: 406 without an Accept header
 * when no range takes the event's type, 400 for a malformed value, q=0 as
 * "not acceptable", the most specific range deciding. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "lp_siphdr.h"

static int parse(const char *v, lp_siphdr_accept_t *a)
{
	lp_str_t s = lp_str_c(v);

	return lp_siphdr_accept_parse(&s, a);
}

/* Does Accept value v take ctype? -1 when v is malformed. */
static int takes(const char *v, const char *ctype)
{
	lp_siphdr_accept_t a;
	lp_str_t t = lp_str_c(ctype);

	if(parse(v, &a) < 0)
		return -1;
	return lp_siphdr_accept_takes(&a, &t);
}

START_TEST(test_accept_well_formed)
{
	lp_siphdr_accept_t a;

	ck_assert_int_eq(parse("application/pidf+xml", &a), 0);
	ck_assert_int_eq(a.n, 1);
	ck_assert_int_eq(a.r[0].q, 1000);
	ck_assert_int_eq(parse(" text/plain ; level=1;q=0.5 , */* ;q=0.001,"
						   "multipart/related;type=\"application/rlmi+xml\"",
							 &a),
			0);
	ck_assert_int_eq(a.n, 3);
	ck_assert_int_eq(a.r[0].q, 500);
	ck_assert_int_eq(a.r[1].q, 1);
	ck_assert_int_eq(a.r[2].q, 1000);
	ck_assert_int_eq(parse("application / pidf+xml;Q=1.000", &a), 0);
	ck_assert_int_eq(a.r[0].q, 1000);
	ck_assert_int_eq(parse("", &a), 0);
	ck_assert_int_eq(a.n, 0);
	ck_assert_int_eq(parse(" \t", &a), 0);
	ck_assert_int_eq(a.n, 0);
}
END_TEST

START_TEST(test_accept_malformed)
{
	static const char *bad[] = {"application", "application/", "/pidf+xml",
			"*/pidf+xml", "text/plain,", ",text/plain", "text/plain,,a/b",
			"text/plain;", "text/plain;q", "text/plain;q=", "text/plain;q=2",
			"text/plain;q=1.5", "text/plain;q=0.1234", "text/plain;q=.5",
			"text/plain;q=\"1\"", "text/plain;a=\"open", "text/plain;=x",
			"text/plain x", "text/pl@in", "a/b c/d", "text/plain;a=b=c",
			"application/pidf+xml\r\nEvil: 1"};
	lp_siphdr_accept_t a;
	unsigned int i;

	for(i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a.n = 7;
		ck_assert_msg(parse(bad[i], &a) == -1, "accepted '%s'", bad[i]);
		ck_assert_int_eq(a.n, 0);
	}
}
END_TEST

START_TEST(test_accept_too_many)
{
	char v[LP_SIPHDR_ACCEPT_MAX * 8 + 16];
	lp_siphdr_accept_t a;
	int i, len = 0;

	for(i = 0; i < LP_SIPHDR_ACCEPT_MAX; i++)
		len += sprintf(v + len, "%sa/b%d", i ? "," : "", i);
	ck_assert_int_eq(parse(v, &a), 0);
	ck_assert_int_eq(a.n, LP_SIPHDR_ACCEPT_MAX);
	strcat(v, ",a/x");
	ck_assert_int_eq(parse(v, &a), -1);
}
END_TEST

START_TEST(test_accept_takes)
{
	const char *pidf = "application/pidf+xml";

	ck_assert_int_eq(takes("application/pidf+xml", pidf), 1);
	ck_assert_int_eq(takes("Application/PIDF+XML", pidf), 1);
	ck_assert_int_eq(takes("application/*", pidf), 1);
	ck_assert_int_eq(takes("*/*", pidf), 1);
	ck_assert_int_eq(takes("text/plain, application/xpidf+xml", pidf), 0);
	ck_assert_int_eq(takes("text/*", pidf), 0);
	ck_assert_int_eq(takes("", pidf), 0); /* nothing acceptable */
	/* q=0: not acceptable; the most specific range decides */
	ck_assert_int_eq(takes("application/pidf+xml;q=0", pidf), 0);
	ck_assert_int_eq(takes("*/*, application/pidf+xml;q=0", pidf), 0);
	ck_assert_int_eq(takes("*/*;q=0, application/pidf+xml", pidf), 1);
	ck_assert_int_eq(takes("application/*;q=0, */*", pidf), 0);
	ck_assert_int_eq(
			takes("application/*;q=0.0, application/pidf+xml;q=0.1", pidf), 1);
	/* the content type's own parameters do not matter */
	ck_assert_int_eq(
			takes("application/pidf+xml", "application/pidf+xml;charset=utf-8"),
			1);
	ck_assert_int_eq(takes("*/*", "garbage"), 0);
}
END_TEST

Suite *accept_suite(void)
{
	Suite *s = suite_create("accept");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_accept_well_formed);
	tcase_add_test(tc, test_accept_malformed);
	tcase_add_test(tc, test_accept_too_many);
	tcase_add_test(tc, test_accept_takes);
	suite_add_tcase(s, tc);
	return s;
}
