/* The fan-out fixture of check_pres_bodycache and check_pres_fanq: the
 * presence logic on a temp SQLite database with a fan-out lock table, the
 * fake clock at LP_TEST_FAN_T0, every NOTIFY the glue would send captured
 * (lp_test_caps), alice's publication and her watchers' subscriptions
 * made through the request handlers. One fixture at a time: the state is
 * process-global (the module's `pres`). */
#ifndef T_FAN_FIXTURE_H
#define T_FAN_FIXTURE_H

#include "pres_logic.h"

#define LP_TEST_FAN_T0 1700000000u
#define LP_TEST_FAN_DOMAIN "example.com"
#define LP_TEST_FAN_CT "application/pidf+xml"
#define LP_TEST_DOC_OPEN "<presence><basic>open</basic></presence>"
#define LP_TEST_DOC_CLOSED "<presence><basic>closed</basic></presence>"

/* One NOTIFY handed to the glue. */
typedef struct lp_test_cap
{
	char callid[64];
	unsigned int cseq;
	const char *body_ptr; /* identity of the body buffer */
	int closed, shared;
	char user[32];
} lp_test_cap_t;

#define LP_TEST_CAP_MAX 64
extern lp_test_cap_t lp_test_caps[LP_TEST_CAP_MAX];
extern int lp_test_ncaps;
/* Called by lp_test_capture after recording (NULL: none); its result is
 * the send's. */
extern int (*lp_test_send_hook)(const pres_notify_t *n);

/* pres.send_notify of the fixture: records n (thread-safe), then the hook. */
int lp_test_capture(const pres_notify_t *n);

/* Start: pres zeroed with its defaults, a fresh database named after tag
 * with its tables, a fan-out lock table, no sender queues, the capture
 * emptied. Register the events after it. */
void lp_test_fan_setup(const char *tag);
/* Undo it (sender queues too, when a test made them); fails when memory
 * is left. */
void lp_test_fan_teardown(void);

/* Publish doc for alice (modify when etag holds one); the ETag into etag
 * (128 bytes). No fan-out: the tests run it themselves. */
void lp_test_fan_store(const char *doc, char *etag);
/* A new subscription of user (dialog n) to alice: its first NOTIFY, made
 * but not sent (the caller sends or frees it). */
pres_notify_t *lp_test_fan_subscribe(const char *user, int n);
/* The fan-out of alice's presence to her watchers: NOTIFYs made. */
int lp_test_fan_out(void);

#endif
