/* Strict SIP header checks (lp_siphdr): Expires as 1*DIGIT with large
 * values saturating, one entity-tag in SIP-If-Match, Content-Encoding,
 * repeated single-valued headers, the order and codes of lp_siphdr_check,
 * and the log budget for rejected requests. */
#include <check.h>
#include <limits.h>

#include "lp_siphdr.h"
#include "lp_test.h"

static int expires_of(const char *text, int *secs)
{
	lp_str_t v = lp_str_c(text);

	*secs = -7;
	return lp_siphdr_expires(&v, secs);
}

START_TEST(test_expires_digits)
{
	int e;

	ck_assert_int_eq(expires_of("60", &e), 0);
	ck_assert_int_eq(e, 60);
	ck_assert_int_eq(expires_of("00060", &e), 0);
	ck_assert_int_eq(e, 60);
	ck_assert_int_eq(expires_of(" 0 ", &e), 0);
	ck_assert_int_eq(e, 0);
	ck_assert_int_eq(expires_of("\t3600\r\n", &e), 0);
	ck_assert_int_eq(e, 3600);
	ck_assert_int_eq(expires_of("2147483646", &e), 0);
	ck_assert_int_eq(e, 2147483646);
}
END_TEST

START_TEST(test_expires_large_saturates)
{
	static const char *large[] = {"2147483647", "2147483648", "4294967295",
			"4294967296", "18446744073709551616",
			"000000000000000000000000000000004294967296",
			"99999999999999999999999999999999999999999999999999"};
	unsigned int i;
	int e;

	/* 2^31, 2^32-1, 2^32 and beyond: large, never 0, negative or an error */
	for(i = 0; i < sizeof(large) / sizeof(large[0]); i++) {
		ck_assert_msg(expires_of(large[i], &e) == 0, "%s", large[i]);
		ck_assert_msg(e == LP_SIPHDR_EXPIRES_MAX, "%s -> %d", large[i], e);
	}
}
END_TEST

START_TEST(test_expires_malformed)
{
	static const char *bad[] = {"", " ", "abc", "-1", "+5", "6 0", "60;x",
			"60s", "0x10", "1e3", "٣"};
	unsigned int i;
	int e;

	for(i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(expires_of(bad[i], &e) == -1, "'%s'", bad[i]);
		ck_assert_int_eq(e, -7); /* untouched */
	}
	ck_assert_int_eq(lp_siphdr_expires(NULL, &e), -1);
	ck_assert_int_eq(lp_siphdr_expires(&(lp_str_t){NULL, 3}, &e), -1);
}
END_TEST

START_TEST(test_etag_one)
{
	lp_str_t v = lp_str_c("  a.1733.42.7 "), t;

	ck_assert_int_eq(lp_siphdr_etag(&v, &t), 0);
	ck_assert_int_eq(t.len, 11);
	ck_assert(memcmp(t.s, "a.1733.42.7", 11) == 0);
	v = lp_str_c("Xyz-_!%*+`'~");
	ck_assert_int_eq(lp_siphdr_etag(&v, &t), 0);
	ck_assert_int_eq(t.len, v.len);
}
END_TEST

START_TEST(test_etag_many_or_bad)
{
	static const char *many[] = {"a,b", "a, b", "a b", "a\tb", "a,"};
	static const char *bad[] = {
			"", "  ", "\"a\"", "a;b", "a/b", "x'OR'1'='1", "a=b", "<a>"};
	lp_str_t v, t;
	unsigned int i;

	for(i = 0; i < sizeof(many) / sizeof(many[0]); i++) {
		v = lp_str_c(many[i]);
		ck_assert_msg(lp_siphdr_etag(&v, &t) == -2, "'%s'", many[i]);
		ck_assert_ptr_null(t.s);
	}
	for(i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = lp_str_c(bad[i]);
		ck_assert_msg(lp_siphdr_etag(&v, &t) == -1, "'%s'", bad[i]);
	}
}
END_TEST

START_TEST(test_encoding)
{
	lp_str_t v;

	v = lp_str_c("identity");
	ck_assert_int_eq(lp_siphdr_encoding(&v), 0);
	v = lp_str_c(" IDENTITY , identity ");
	ck_assert_int_eq(lp_siphdr_encoding(&v), 0);
	v = lp_str_c("gzip");
	ck_assert_int_eq(lp_siphdr_encoding(&v), 1);
	v = lp_str_c("identity, deflate");
	ck_assert_int_eq(lp_siphdr_encoding(&v), 1);
	v = lp_str_c("");
	ck_assert_int_eq(lp_siphdr_encoding(&v), -1);
	v = lp_str_c("gzip,,identity");
	ck_assert_int_eq(lp_siphdr_encoding(&v), -1);
	v = lp_str_c("gzip;q=1");
	ck_assert_int_eq(lp_siphdr_encoding(&v), -1);
	v = LP_STR_NULL;
	ck_assert_int_eq(lp_siphdr_encoding(&v), -1);
}
END_TEST

static void set(lp_siphdr_in_t *in, int f, const char *value)
{
	in->count[f]++;
	if(in->count[f] == 1)
		in->value[f] = lp_str_c(value);
}

START_TEST(test_check_well_formed)
{
	lp_siphdr_in_t in;
	lp_siphdr_out_t out;

	memset(&in, 0, sizeof(in));
	ck_assert_int_eq(lp_siphdr_check(&in, &out), 0);
	ck_assert_int_eq(out.expires, LP_SIPHDR_EXPIRES_NONE);
	ck_assert_ptr_null(out.etag.s);
	set(&in, LP_SH_EXPIRES, "00060");
	set(&in, LP_SH_EVENT, "presence;id=7");
	set(&in, LP_SH_IFMATCH, " a.1.2 ");
	set(&in, LP_SH_CTYPE, "application/pidf+xml");
	set(&in, LP_SH_CLEN, "120");
	set(&in, LP_SH_CENC, "identity");
	set(&in, LP_SH_CENC, "ignored: joined by the glue");
	ck_assert_int_eq(lp_siphdr_check(&in, &out), 0);
	ck_assert_int_eq(out.code, 0);
	ck_assert_int_eq(out.expires, 60);
	ck_assert(lp_str_eq(&out.etag, &LP_STR("a.1.2")));
}
END_TEST

START_TEST(test_check_repeated_single_valued)
{
	static const int fields[] = {
			LP_SH_EXPIRES, LP_SH_EVENT, LP_SH_IFMATCH, LP_SH_CTYPE, LP_SH_CLEN};
	lp_siphdr_in_t in;
	lp_siphdr_out_t out;
	unsigned int i;

	for(i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		memset(&in, 0, sizeof(in));
		set(&in, LP_SH_EVENT, "presence");
		set(&in, fields[i], "60");
		set(&in, fields[i], "60"); /* the same value twice still repeats */
		ck_assert_int_eq(lp_siphdr_check(&in, &out), 400);
		ck_assert_ptr_nonnull(strstr(out.why, "repeated"));
	}
}
END_TEST

START_TEST(test_check_codes)
{
	lp_siphdr_in_t in;
	lp_siphdr_out_t out;

	memset(&in, 0, sizeof(in));
	set(&in, LP_SH_EXPIRES, "-1");
	ck_assert_int_eq(lp_siphdr_check(&in, &out), 400);
	ck_assert_str_eq(out.why, "malformed Expires");
	memset(&in, 0, sizeof(in));
	set(&in, LP_SH_IFMATCH, "a, b");
	ck_assert_int_eq(lp_siphdr_check(&in, &out), 400);
	ck_assert_ptr_nonnull(strstr(out.why, "more than one entity-tag"));
	memset(&in, 0, sizeof(in));
	set(&in, LP_SH_CENC, "gzip");
	ck_assert_int_eq(lp_siphdr_check(&in, &out), 415);
	memset(&in, 0, sizeof(in));
	set(&in, LP_SH_CENC, "");
	ck_assert_int_eq(lp_siphdr_check(&in, &out), 400);
	memset(&in, 0, sizeof(in));
	set(&in, LP_SH_EVENT, ";;;");
	ck_assert_int_eq(lp_siphdr_check(&in, &out), 400);
	/* framing comes first: nothing else of a truncated request counts */
	memset(&in, 0, sizeof(in));
	set(&in, LP_SH_CENC, "gzip");
	in.framing_error = 1;
	ck_assert_int_eq(lp_siphdr_check(&in, &out), 400);
	ck_assert_ptr_nonnull(strstr(out.why, "Content-Length"));
}
END_TEST

START_TEST(test_check_event_id_limit)
{
	char ev[400];
	lp_siphdr_in_t in;
	lp_siphdr_out_t out;

	memcpy(ev, "presence;id=", 12);
	memset(ev + 12, '7', 300);
	ev[312] = '\0';
	memset(&in, 0, sizeof(in));
	set(&in, LP_SH_EVENT, ev);
	ck_assert_int_eq(lp_siphdr_check(&in, &out), 0); /* no limit asked */
	in.event_id_max = LP_SIPHDR_EVENT_ID_MAX;
	ck_assert_int_eq(lp_siphdr_check(&in, &out), 400);
	ck_assert_str_eq(out.why, "Event id parameter too long");
	ev[12 + LP_SIPHDR_EVENT_ID_MAX] = '\0';
	in.value[LP_SH_EVENT] = lp_str_c(ev);
	ck_assert_int_eq(lp_siphdr_check(&in, &out), 0);
}
END_TEST

Suite *siphdr_suite(void)
{
	Suite *s = suite_create("siphdr");
	TCase *tc = tcase_create("headers");

	tcase_add_test(tc, test_expires_digits);
	tcase_add_test(tc, test_expires_large_saturates);
	tcase_add_test(tc, test_expires_malformed);
	tcase_add_test(tc, test_etag_one);
	tcase_add_test(tc, test_etag_many_or_bad);
	tcase_add_test(tc, test_encoding);
	tcase_add_test(tc, test_check_well_formed);
	tcase_add_test(tc, test_check_repeated_single_valued);
	tcase_add_test(tc, test_check_codes);
	tcase_add_test(tc, test_check_event_id_limit);
	suite_add_tcase(s, tc);
	return s;
}
