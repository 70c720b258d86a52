/* Body framing: Content-Length against the bytes a datagram carries
 * (RFC 3261 s18.3). A body never extends past the received bytes. */
#include <check.h>

#include "lp_frame.h"
#include "lp_test.h"

static char msg[] = "hello world, and stale bytes of someone else";

START_TEST(test_frame_no_cl_takes_all)
{
	lp_str_t b;

	ck_assert_int_eq(lp_frame_body(msg, 11, 0, 0, &b), 0);
	ck_assert_int_eq(b.len, 11);
	ck_assert_ptr_eq(b.s, msg);
}
END_TEST

START_TEST(test_frame_exact_cl)
{
	lp_str_t b;

	ck_assert_int_eq(lp_frame_body(msg, 11, 1, 11, &b), 0);
	ck_assert_int_eq(b.len, 11);
}
END_TEST

START_TEST(test_frame_cl_beyond_datagram_is_error)
{
	lp_str_t b = {msg, 5};

	/* 11 bytes received, Content-Length 40: the 29 bytes after them are
	 * stale buffer contents and must never become the body */
	ck_assert_int_eq(lp_frame_body(msg, 11, 1, 40, &b), -1);
	ck_assert_ptr_null(b.s);
	ck_assert_int_eq(b.len, 0);
	ck_assert_int_eq(lp_frame_body(msg, 0, 1, 1, &b), -1);
	ck_assert_int_eq(lp_frame_body(msg, 11, 1, 0x7fffffffL + 1, &b), -1);
}
END_TEST

START_TEST(test_frame_extra_bytes_ignored)
{
	lp_str_t b;

	ck_assert_int_eq(lp_frame_body(msg, 20, 1, 5, &b), 0);
	ck_assert_int_eq(b.len, 5);
	ck_assert(memcmp(b.s, "hello", 5) == 0);
}
END_TEST

START_TEST(test_frame_empty_and_negative)
{
	lp_str_t b;

	ck_assert_int_eq(lp_frame_body(msg, 0, 0, 0, &b), 0);
	ck_assert_ptr_null(b.s);
	ck_assert_int_eq(lp_frame_body(msg, 10, 1, 0, &b), 0);
	ck_assert_ptr_null(b.s);
	ck_assert_int_eq(lp_frame_body(msg, 10, 1, -1, &b), -1);
	ck_assert_int_eq(lp_frame_body(msg, -1, 0, 0, &b), -1);
	ck_assert_int_eq(lp_frame_body(NULL, 0, 0, 0, &b), 0);
	ck_assert_ptr_null(b.s);
}
END_TEST

Suite *frame_suite(void)
{
	Suite *s = suite_create("frame");
	TCase *tc = tcase_create("body");

	tcase_add_test(tc, test_frame_no_cl_takes_all);
	tcase_add_test(tc, test_frame_exact_cl);
	tcase_add_test(tc, test_frame_cl_beyond_datagram_is_error);
	tcase_add_test(tc, test_frame_extra_bytes_ignored);
	tcase_add_test(tc, test_frame_empty_and_negative);
	suite_add_tcase(s, tc);
	return s;
}
