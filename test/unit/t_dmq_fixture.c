/* The captured DMQ sender of the DMQ suites; see t_dmq_fixture.h. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "t_dmq_fixture.h"

lp_test_sent_t lp_test_sent[LP_TEST_SENT_MAX];
int lp_test_nsent, lp_test_send_result;

int lp_test_capture_send(const char *s, int len, void *node)
{
	lp_test_sent_t *m;

	ck_assert_int_lt(lp_test_nsent, LP_TEST_SENT_MAX);
	m = &lp_test_sent[lp_test_nsent];
	m->s = malloc(len);
	ck_assert_ptr_nonnull(m->s);
	memcpy(m->s, s, len);
	m->len = len;
	m->node = node;
	lp_test_nsent++;
	return lp_test_send_result;
}

void lp_test_sent_reset(void)
{
	int i;

	for(i = 0; i < lp_test_nsent; i++)
		free(lp_test_sent[i].s);
	lp_test_nsent = 0;
}
