/* The token pool of lp_rand: one getrandom() serves many tokens, a forked
 * child never repeats its parent's pending bytes, and threads draw from
 * pools of their own. */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lp_rand.h"
#include "lp_test.h"

START_TEST(test_one_refill_serves_many_tokens)
{
	char t[LP_TOKEN_LEN + 1];
	unsigned long before = lp_rand_refills();
	int i;

	for(i = 0; i < 320; i++)
		ck_assert_int_eq(lp_rand_token(t, sizeof(t)), LP_TOKEN_LEN);
	/* 16 bytes a token, 512 a refill: 10 refills (11 with a partly used
	 * pool at the start), where each token used to be a system call */
	ck_assert_uint_le(lp_rand_refills() - before, 11);
	ck_assert_uint_ge(lp_rand_refills() - before, 10);
}
END_TEST

/* The parent has drawn one token, so its pool holds more: the child (a
 * Kamailio worker forked after mod_init) must not hand out those bytes. */
START_TEST(test_child_does_not_repeat_parent)
{
	enum
	{
		N = 8
	};
	char p[N][LP_TOKEN_LEN + 1], c[N][LP_TOKEN_LEN + 1];
	int fd[2], i, j, st;
	pid_t pid;

	ck_assert_int_eq(lp_rand_token(p[0], sizeof(p[0])), LP_TOKEN_LEN);
	ck_assert_int_eq(pipe(fd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if(pid == 0) {
		close(fd[0]);
		for(i = 0; i < N; i++)
			if(lp_rand_token(c[i], sizeof(c[i])) != LP_TOKEN_LEN)
				_exit(2);
		_exit(write(fd[1], c, sizeof(c)) == (ssize_t)sizeof(c) ? 0 : 3);
	}
	close(fd[1]);
	ck_assert_int_eq(read(fd[0], c, sizeof(c)), (ssize_t)sizeof(c));
	close(fd[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	for(i = 1; i < N; i++)
		ck_assert_int_eq(lp_rand_token(p[i], sizeof(p[i])), LP_TOKEN_LEN);
	for(i = 0; i < N; i++)
		for(j = 0; j < N; j++)
			ck_assert_str_ne(p[i], c[j]);
}
END_TEST

enum
{
	TN = 200
};
static char thr_tok[2][TN][LP_TOKEN_LEN + 1];

static void *draw(void *arg)
{
	char(*t)[LP_TOKEN_LEN + 1] = arg;
	int i;

	for(i = 0; i < TN; i++)
		if(lp_rand_token(t[i], sizeof(t[i])) != LP_TOKEN_LEN)
			return arg;
	return NULL;
}

START_TEST(test_threads_draw_apart)
{
	pthread_t th[2];
	void *rc;
	int i, j, k;

	for(k = 0; k < 2; k++)
		ck_assert_int_eq(pthread_create(&th[k], NULL, draw, thr_tok[k]), 0);
	for(k = 0; k < 2; k++) {
		ck_assert_int_eq(pthread_join(th[k], &rc), 0);
		ck_assert_ptr_null(rc);
	}
	for(i = 0; i < TN; i++)
		for(j = 0; j < TN; j++)
			ck_assert_str_ne(thr_tok[0][i], thr_tok[1][j]);
}
END_TEST

Suite *rand_pool_suite(void)
{
	Suite *s = suite_create("rand_pool");
	TCase *tc = tcase_create("pool");

	tcase_add_test(tc, test_one_refill_serves_many_tokens);
	tcase_add_test(tc, test_child_does_not_repeat_parent);
	tcase_add_test(tc, test_threads_draw_apart);
	suite_add_tcase(s, tc);
	return s;
}
