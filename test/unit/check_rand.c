/* Unguessable identifiers: length, alphabet, and no repeats over many
 * draws (128 random bits: a repeat means the source is broken). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lp_rand.h"
#include "lp_test.h"

static int cmp(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

START_TEST(test_token_shape)
{
	char t[LP_TOKEN_LEN + 1];

	ck_assert_int_eq(lp_rand_token(t, sizeof(t)), LP_TOKEN_LEN);
	ck_assert_int_eq((int)strlen(t), LP_TOKEN_LEN);
	ck_assert_int_eq((int)strspn(t, "0123456789abcdef"), LP_TOKEN_LEN);
}
END_TEST

START_TEST(test_token_small_buffer)
{
	char t[LP_TOKEN_LEN];

	memset(t, 'x', sizeof(t));
	ck_assert_int_eq(lp_rand_token(t, sizeof(t)), -1);
	ck_assert_str_eq(t, "");
	ck_assert_int_eq(lp_rand_token(t, 0), -1);
}
END_TEST

START_TEST(test_tokens_differ)
{
	enum { N = 20000 };
	char(*t)[LP_TOKEN_LEN + 1] = calloc(N, sizeof(*t));
	int i;

	ck_assert_ptr_nonnull(t);
	for(i = 0; i < N; i++)
		ck_assert_int_eq(lp_rand_token(t[i], sizeof(t[i])), LP_TOKEN_LEN);
	qsort(t, N, sizeof(*t), cmp);
	for(i = 1; i < N; i++)
		ck_assert_str_ne(t[i - 1], t[i]);
	free(t);
}
END_TEST

START_TEST(test_bytes_fill)
{
	unsigned char b[4096];
	int i, set = 0;

	memset(b, 0, sizeof(b));
	ck_assert_int_eq(lp_rand_bytes(b, sizeof(b)), 0);
	for(i = 0; i < (int)sizeof(b); i++)
		set += b[i] != 0;
	/* all-zero bytes: about 16 of 4096 expected */
	ck_assert_int_gt(set, 3900);
	ck_assert_int_eq(lp_rand_bytes(b, 0), 0);
}
END_TEST

Suite *rand_suite(void)
{
	Suite *s = suite_create("rand");
	TCase *tc = tcase_create("token");

	tcase_add_test(tc, test_token_shape);
	tcase_add_test(tc, test_token_small_buffer);
	tcase_add_test(tc, test_tokens_differ);
	tcase_add_test(tc, test_bytes_fill);
	suite_add_tcase(s, tc);
	return s;
}
