/* Internal subscription service: code that needs the status of a resource
 * (a "record", e.g. sip:bob@example.com) for an event package subscribes to
 * it here instead of speaking SIP itself; a provider registered for that
 * package (presence_b2b for "presence") serves the subscription and puts
 * status messages (document, content type, subscription state) into the
 * subscriber's message queue, from which the subscriber takes them.
 *
 * Everything lives in memory from lp_malloc (shared memory inside Kamailio)
 * and every structure is guarded by locks from lp_lock_new, so a
 * subscription made in one worker can be served and read in others. The
 * provider callbacks are plain function pointers: inside Kamailio they are
 * valid in every process because modules are loaded before the fork.
 *
 * Lock order (outermost first): the caller's own locks (e.g. a provider's
 * hash bucket), the service lock, a queue lock. Provider callbacks are
 * called with no lock of the service held.
 *
 * Ownership:
 * - lp_qsvc_t: created and destroyed by the host (one per process tree).
 * - lp_qqueue_t: reference counted. lp_qqueue_new returns one reference to
 *   the caller; every subscription using the queue holds another. The queue
 *   and the messages still in it are freed when the last reference goes.
 * - lp_qsub_t: reference counted. The service holds one reference from
 *   subscribe until unsubscribe; a provider that keeps the pointer after its
 *   subscribe callback returns takes its own with lp_qsub_ref and drops it
 *   with lp_qsub_release. A subscription holds a reference to its queue.
 * - lp_qmsg_t: one block (strings inside). lp_qsvc_put copies the status
 *   into a new message that the queue owns; lp_qqueue_take hands it to the
 *   caller, who frees it with lp_qmsg_free. */
#ifndef LP_QSVC_H
#define LP_QSVC_H

#include "lp_str.h"

/* Error codes (negative returns). */
#define LP_QSVC_ENOMEM (-1)
#define LP_QSVC_ENOPROV (-2)   /* no provider for the package */
#define LP_QSVC_ENOENT (-3)	   /* no such subscription */
#define LP_QSVC_EGONE (-4)	   /* subscription already unsubscribed */
#define LP_QSVC_EEXIST (-5)	   /* package already has a provider */
#define LP_QSVC_EINVAL (-6)	   /* bad argument */
#define LP_QSVC_EPROVIDER (-7) /* the provider refused the subscription */

typedef enum lp_qstate {
	LP_QSTATE_PENDING = 0,
	LP_QSTATE_ACTIVE,
	LP_QSTATE_TERMINATED
} lp_qstate_t;

/* What a provider reports: copied by lp_qsvc_put, never kept. */
typedef struct lp_qstatus {
	lp_str_t content_type; /* "application/pidf+xml", may be empty */
	lp_str_t document;	   /* may be empty (no body) */
	lp_qstate_t state;
	lp_str_t reason;	  /* of a terminated state ("timeout"), may be empty */
	unsigned int expires; /* seconds left as the provider knows, 0 unknown */
} lp_qstatus_t;

/* A status message in a queue. One lp_malloc block: the strings point
 * inside it and are NUL-terminated. */
typedef struct lp_qmsg {
	struct lp_qmsg *next; /* queue link; NULL once taken */
	unsigned int sub_id;
	void *cookie; /* the subscriber's cookie given at subscribe */
	unsigned int seq; /* 1, 2, ... per subscription */
	lp_str_t record;
	lp_str_t package;
	lp_str_t content_type;
	lp_str_t document;
	lp_qstate_t state;
	lp_str_t reason;
	unsigned int expires;
} lp_qmsg_t;

typedef struct lp_qqueue lp_qqueue_t;
typedef struct lp_qsub lp_qsub_t;
typedef struct lp_qsvc lp_qsvc_t;

/* A provider of one or more packages. Both callbacks run in the process
 * that calls lp_qsvc_subscribe / lp_qsvc_unsubscribe, without service locks.
 * subscribe returns 0 to accept (it may call lp_qsvc_put at once) or a
 * negative value to refuse; on refusal it must keep no reference to sub.
 * unsubscribe tells the provider to stop; lp_qsvc_put fails from then on. */
typedef struct lp_qprovider_ops {
	const char *name;
	int (*subscribe)(lp_qsub_t *sub, void *pdata);
	void (*unsubscribe)(lp_qsub_t *sub, void *pdata);
} lp_qprovider_ops_t;

/* ---- queues ---- */

/* New empty queue holding at most `max` messages (0: no limit; when full the
 * oldest message is dropped and counted). Returns it with one reference
 * owned by the caller, or NULL when memory runs out. */
lp_qqueue_t *lp_qqueue_new(int max);
void lp_qqueue_ref(lp_qqueue_t *q);
/* Drop one reference; the last one frees the queue and its messages. */
void lp_qqueue_release(lp_qqueue_t *q);
/* Oldest message, unlinked and owned by the caller (lp_qmsg_free), or NULL
 * when the queue is empty. Takes the queue lock. */
lp_qmsg_t *lp_qqueue_take(lp_qqueue_t *q);
int lp_qqueue_count(lp_qqueue_t *q);
/* Messages dropped because the queue was full. */
unsigned int lp_qqueue_dropped(lp_qqueue_t *q);

/* Free a message taken from a queue (NULL is allowed). */
void lp_qmsg_free(lp_qmsg_t *m);
/* A copy of m in one new block owned by the caller, or NULL. */
lp_qmsg_t *lp_qmsg_dup(const lp_qmsg_t *m);
const char *lp_qstate_name(lp_qstate_t s);

/* ---- the service ---- */

/* New service, or NULL when memory runs out (nothing left allocated). */
lp_qsvc_t *lp_qsvc_new(void);
/* Free the service: the remaining subscriptions are dropped without calling
 * providers (their references are released); providers must not use their
 * subscriptions afterwards. Call once, when no other process uses it. */
void lp_qsvc_destroy(lp_qsvc_t *svc);

/* Register `ops` (not copied: must stay valid) with `pdata` as the provider
 * of `package` (copied). Returns 0, LP_QSVC_EEXIST or LP_QSVC_ENOMEM. */
int lp_qsvc_register(lp_qsvc_t *svc, const lp_str_t *package,
		const lp_qprovider_ops_t *ops, void *pdata);
/* 1 when `package` has a provider. */
int lp_qsvc_has_provider(lp_qsvc_t *svc, const lp_str_t *package);

/* Subscribe `subscriber` to (record, package); status messages go to
 * `queue` (a reference is taken), tagged with `cookie` (inside Kamailio it
 * must point to shared memory or be a plain value). On success 0 is returned
 * and *id holds the subscription's id (never 0); on error LP_QSVC_ENOPROV,
 * LP_QSVC_EPROVIDER, LP_QSVC_EINVAL or LP_QSVC_ENOMEM and nothing changed. */
int lp_qsvc_subscribe(lp_qsvc_t *svc, const lp_str_t *record,
		const lp_str_t *package, const lp_str_t *subscriber,
		lp_qqueue_t *queue, void *cookie, unsigned int *id);

/* End subscription `id`: the provider's unsubscribe callback is called and
 * the service's reference dropped. 0, or LP_QSVC_ENOENT. */
int lp_qsvc_unsubscribe(lp_qsvc_t *svc, unsigned int id);

/* Number of live (subscribed) subscriptions. */
int lp_qsvc_count(lp_qsvc_t *svc);

/* ---- for providers ---- */

/* Copy `st` into a new message at the tail of the subscription's queue.
 * Returns 0, LP_QSVC_EGONE (unsubscribed: nothing queued) or
 * LP_QSVC_ENOMEM. Takes the service lock, then the queue lock. */
int lp_qsvc_put(lp_qsub_t *sub, const lp_qstatus_t *st);

void lp_qsub_ref(lp_qsub_t *sub);
void lp_qsub_release(lp_qsub_t *sub);
/* Still subscribed (not yet unsubscribed). */
int lp_qsub_active(lp_qsub_t *sub);
/* Read-only accessors, valid while a reference is held. */
unsigned int lp_qsub_id(const lp_qsub_t *sub);
const lp_str_t *lp_qsub_record(const lp_qsub_t *sub);
const lp_str_t *lp_qsub_package(const lp_qsub_t *sub);
const lp_str_t *lp_qsub_subscriber(const lp_qsub_t *sub);

#endif
