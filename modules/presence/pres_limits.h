/* Limits on the state unauthenticated requests can create: stored header
 * sizes (each bounded by its column in the schema, so a row the database
 * would refuse is refused when the request arrives, with 400), publications
 * per presentity and event, subscriptions per watcher (403), and a floor of
 * free shared memory below which new state is refused with 503 and
 * Retry-After before anything is allocated. Host-neutral: the free-memory
 * figure comes from the callback the host installs (lp_mem_free_percent). */
#ifndef PRES_LIMITS_H
#define PRES_LIMITS_H

#include "pres_logic.h"

/* Column sizes of scripts/{sqlite,postgres,mysql}/presence-create.sql. */
#define PRES_COL_URI 255	/* presentity_uri, callid, contact, sender ... */
#define PRES_COL_NAME 64	/* usernames, domains, event, event_id */
#define PRES_COL_TAG 128	/* to_tag, from_tag, etag */
#define PRES_COL_TEXT 65535 /* record_route TEXT (MySQL's limit) */

/* Every value of the SUBSCRIBE that would be stored against its column and
 * the configured maximum (Contact, Record-Route, User-Agent). 0, or -1 with
 * a 400 in rep (logged, rate-limited). No lock, no allocation. */
int pres_limits_subscribe(const pres_subscribe_req_t *req, pres_reply_t *rep);

/* The same for a PUBLISH (presentity, sender). */
int pres_limits_publish(const pres_publish_req_t *req, pres_reply_t *rep);

/* New state may be allocated: 0, or -1 with 503 and Retry-After in rep
 * when less than shm_min_free_percent of the shared memory is free. Call
 * before allocating. No lock. */
int pres_limits_memory(pres_reply_t *rep);

/* A request that would create state (an initial SUBSCRIBE, a PUBLISH
 * without SIP-If-Match) may go on: 0, or -1 with 503 and Retry-After
 * (overload_retry_after) in rep when the server is behind: the receive
 * queue of the socket it came in on (q, from the glue) is at least
 * overload_queue_percent full, and
 *  - the socket lost PRES_RXQ_LOSS percent or more of the datagrams that
 *    reached it (the kernel dropped them: the queue overflowed) in each
 *    of PRES_RXQ_DROP_RUN consecutive seconds, the last of them within
 *    PRES_RXQ_DROP_WINDOW seconds (a second that lost PRES_RXQ_HEAVY
 *    percent or more counts as two: a heavy overload, whose
 *    retransmissions pile up fastest, is refused after 2 seconds), as
 *    this process measured it: its drop count against the messages this
 *    process took in (q->msgs) times the processes reading the socket
 *    (q->readers), per second (from its first new state in one second to
 *    its first in the next; after a second in which it made no new state
 *    the interval counts for nothing: its drops may be from any of its
 *    seconds, such as the tail of an overload that has ended). The
 *    overload has lasted, and it is heavy: a client's burst, or a stall
 *    of a few hundred ms, overflows the queue once and is served (SIPp's
 *    bursts overflow a 200 kB buffer at a third of the rate the server
 *    can take), and so is a queue that overflows now and then at a rate
 *    the server holds (on 2 cores with 4 workers: 0.7 % lost at
 *    2400 SUBSCRIBE calls/s; about half at twice the maximum);
 *  - or it lost that much again within PRES_RXQ_REARM seconds of this
 *    process's last refusal (an overload that goes on overflows again at
 *    once when the refusals stop: refused again without another run);
 *  - or the queue holds at least PRES_RXQ_BACKLOG bytes (a big receive
 *    buffer that fills up long before it overflows).
 * A full queue alone is no overload. Turning new work away in a few
 * microseconds lets the server answer the rest before their
 * retransmissions pile up (RFC 3261 s21.5.4). No lock, no allocation; per
 * process state in pres (rxq_sec, rxq_drops, rxq_msgs, rxq_drop_at,
 * rxq_drop_run, rxq_over_at); the clock counts whole seconds. */
#define PRES_RXQ_BACKLOG (1u << 20)
#define PRES_RXQ_DROP_WINDOW 2u
#define PRES_RXQ_DROP_RUN 3u
#define PRES_RXQ_LOSS 10u
#define PRES_RXQ_HEAVY 30u
#define PRES_RXQ_REARM 3u
int pres_limits_load(const pres_rxq_t *q, pres_reply_t *rep);

/* The same refusal before the request is handled: pres_check_overload(),
 * which a config calls ahead of t_newtran() so that a refusal costs no
 * transaction (answered statelessly, and no cell waits in tm's table for
 * its retransmissions). The glue reads what decides whether the request
 * would create state from its headers; nothing else is checked (an
 * unknown Event, a bad header, are the handler's: a request refused here
 * may have got 489 or 400 from it). */
#define PRES_EARLY_PUBLISH 1
#define PRES_EARLY_SUBSCRIBE 2
typedef struct pres_early_req
{
	int method;		 /* PRES_EARLY_*, 0 for any other */
	int in_dialog;	 /* a PUBLISH's SIP-If-Match, a SUBSCRIBE's To tag */
	int expires;	 /* a SUBSCRIBE's Expires, or PRES_EXPIRES_NONE */
	pres_rxq_t rxq;	 /* read only for a request that creates state */
	/* the transaction: Call-ID, CSeq (number and method), the top Via's
	 * branch (empty when none) */
	lp_str_t callid, cseq, branch;
} pres_early_req_t;

/* Would r create state: a PUBLISH without SIP-If-Match, an initial
 * SUBSCRIBE whose Expires is not 0 (a fetch creates none)? */
int pres_limits_creates_state(const pres_early_req_t *r);

/* 0, or -1 with pres_limits_load's 503 in rep when r would create state
 * and the server is behind, or when r is a retransmission of a request
 * refused here within PRES_REFUSED_SECS (its transaction's Call-ID, CSeq
 * and branch): statelessly refused, a request leaves nothing that would
 * absorb its retransmissions, and one accepted after its original was
 * refused makes state (a subscription, NOTIFYs) for a client that has
 * given the request up. With pres.refused NULL, nothing is remembered. */
int pres_limits_early(const pres_early_req_t *r, pres_reply_t *rep);

/* r was refused here (pres_limits_early's -1): remember it. Kept apart so
 * the glue can first hand a request that has a transaction to tm. */
void pres_limits_early_refused(const pres_early_req_t *r);

/* The memory of refusals: PRES_REFUSED_WORDS 64-bit words in shared
 * memory, read and written without a lock (atomic 64-bit loads and
 * stores): PRES_REFUSED_SLOTS slots (a fingerprint and the second of the
 * refusal; one per slot, a later refusal overwrites an earlier one:
 * forgetting is the only error), then the second of the latest refusal
 * of any process, so that while none is recent no slot is read (a random
 * read of 512 kB per request spared). PRES_REFUSED_SECS is a non-INVITE
 * client transaction's lifetime (64 x T1, RFC 3261 s17.1.2.2): no
 * retransmission comes later. */
#define PRES_REFUSED_SLOTS 65536u
#define PRES_REFUSED_WORDS (PRES_REFUSED_SLOTS + 1u)
#define PRES_REFUSED_SECS 32u

/* A new publication of (user, domain, event) is within
 * max_publications_per_presentity: 0, or -1 with 403 in rep (-1 with 500
 * on a DB error). Reads the cache bucket (its lock) or the DB. */
int pres_limits_publications(const lp_str_t *user, const lp_str_t *domain,
		const pres_ev_t *ev, pres_reply_t *rep);

/* A new subscription of this watcher is within
 * max_subscriptions_per_watcher: 0, or -1 with 403 in rep. Counts kept by
 * pres_limits_watcher_add (memory modes; in DB-only mode there is no
 * count and no limit). Takes a lock of pres.wcount. */
int pres_limits_watcher(
		const lp_str_t *user, const lp_str_t *domain, pres_reply_t *rep);

/* The subscription store's bookkeeping: a subscription of (user, domain)
 * was stored (delta 1) or removed (-1). Call with no lock of pres.subs
 * held or with one held (lock order: subs, dlgs, wcount). An entry is
 * lp_malloc'd on the first subscription of a watcher and freed with its
 * last; when that allocation fails the watcher is not counted (logged). */
void pres_limits_watcher_add(
		const lp_str_t *user, const lp_str_t *domain, int delta);
/* Subscriptions counted for the watcher (tests, RPC). */
int pres_limits_watcher_count(const lp_str_t *user, const lp_str_t *domain);
void pres_limits_free_entry(lp_hentry_t *e);

#endif
