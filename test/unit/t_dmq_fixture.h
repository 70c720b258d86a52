/* Shared by the DMQ suites (check_pres_dmq.c, check_pres_dmq_subs.c): a
 * DMQ sender (pres_dmq_set_sender) that keeps a copy of every message and
 * the node it went to, answering lp_test_send_result. */
#ifndef T_DMQ_FIXTURE_H
#define T_DMQ_FIXTURE_H

#define LP_TEST_SENT_MAX 32

typedef struct lp_test_sent
{
	char *s; /* malloc'd copy */
	int len;
	void *node;
} lp_test_sent_t;

extern lp_test_sent_t lp_test_sent[LP_TEST_SENT_MAX];
extern int lp_test_nsent, lp_test_send_result;

/* pres_dmq_send_f */
int lp_test_capture_send(const char *s, int len, void *node);
/* Free the copies; no message kept. */
void lp_test_sent_reset(void);

#endif
