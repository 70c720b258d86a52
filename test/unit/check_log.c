/* The one rate limit of log sites (lp_log_rl_*): a site's rate of burst
 * lines per period, the count of lines left out carried into the next line
 * that goes out, independent sites, and the macros the modules use. */
#include <check.h>
#include <string.h>

#include "lp_log.h"
#include "lp_test.h"

START_TEST(test_rl_burst_per_second)
{
	lp_log_rl_t r;
	unsigned int missed = 7;
	int i, logged = 0;

	memset(&r, 0, sizeof(r));
	for(i = 0; i < 1000; i++)
		logged += lp_log_rl_allow(&r, 100, 10, 1, &missed);
	ck_assert_int_eq(logged, 10);
	/* the next second: the first line says how many were left out */
	ck_assert_int_eq(lp_log_rl_allow(&r, 101, 10, 1, &missed), 1);
	ck_assert_uint_eq(missed, 990);
	ck_assert_int_eq(lp_log_rl_allow(&r, 101, 10, 1, &missed), 1);
	ck_assert_uint_eq(missed, 0);
}
END_TEST

START_TEST(test_rl_one_per_period)
{
	lp_log_rl_t r;
	long t;
	int logged = 0;

	memset(&r, 0, sizeof(r));
	for(t = 100; t < 100 + LP_LOG_RL_PERIOD; t++)
		logged += lp_log_rl_allow(&r, t, 1, LP_LOG_RL_PERIOD, NULL);
	ck_assert_int_eq(logged, 1);
	ck_assert_int_eq(lp_log_rl_allow(&r, t, 1, LP_LOG_RL_PERIOD, NULL), 1);
	/* a clock that went back (a test's, a host's) starts a new window */
	ck_assert_int_eq(lp_log_rl_allow(&r, 50, 1, LP_LOG_RL_PERIOD, NULL), 1);
}
END_TEST

START_TEST(test_rl_rate_text)
{
	lp_log_rl_t r;
	int i;

	memset(&r, 0, sizeof(r));
	lp_test_log_install();
	for(i = 0; i < 5; i++)
		lp_log_rl_rate(&r, 200, 2, 1, LP_L_INFO, "bad request %d", i);
	ck_assert_int_eq(lp_test_log_count(), 2);
	ck_assert_str_eq(lp_test_log_last(), "bad request 1");
	ck_assert_int_eq(lp_log_rl_rate(&r, 201, 2, 1, LP_L_INFO, "again"), 1);
	ck_assert_str_eq(
			lp_test_log_last(), "again (3 similar messages suppressed before)");
	lp_log_set(NULL);
}
END_TEST

/* Each LP_LOG_RATE site has its own state: a flood at one site does not
 * silence another. */
static void site_a(int i)
{
	LP_LOG_RATE(3, 60, LP_L_INFO, "site a %d", i);
}

static void site_b(int i)
{
	LP_LOG_RATE(3, 60, LP_L_INFO, "site b %d", i);
}

START_TEST(test_rl_sites_independent)
{
	int i;

	lp_test_log_install();
	for(i = 0; i < 100; i++)
		site_a(i);
	ck_assert_int_eq(lp_test_log_count(), 3);
	site_b(0);
	ck_assert_int_eq(lp_test_log_count(), 4);
	ck_assert_str_eq(lp_test_log_last(), "site b 0");
	lp_log_set(NULL);
}
END_TEST

Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("rate");

	tcase_add_test(tc, test_rl_burst_per_second);
	tcase_add_test(tc, test_rl_one_per_period);
	tcase_add_test(tc, test_rl_rate_text);
	tcase_add_test(tc, test_rl_sites_independent);
	suite_add_tcase(s, tc);
	return s;
}
