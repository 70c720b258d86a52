/* presence_b2b logic: the decisions, on plain structs, that turn internal
 * subscriptions into SUBSCRIBE dialogs. The glue (b2b_kam.c) parses SIP into
 * pb2b_reply_t / pb2b_notify_t and sends the pb2b_send_t requests the timer
 * hands it; every call here takes the current time `now` (seconds) so the
 * tests control the clock. */
#ifndef B2B_LOGIC_H
#define B2B_LOGIC_H

#include "b2b_state.h"

/* ---- timing rules (b2b_timing.c) ---- */

/* Refresh time of a subscription that ends at expires_at and whose last
 * SUBSCRIBE left at last_sent: resubscribe_delta before the end, but never
 * sooner than min_resubscribe_time after last_sent. */
unsigned int pb2b_refresh_time(
		const pb2b_cfg_t *cfg, unsigned int last_sent, unsigned int expires_at);
/* When a new subscription sends its first SUBSCRIBE: now, or at a random
 * time at most max_subscribe_delay seconds later. */
unsigned int pb2b_first_send_time(
		const pb2b_cfg_t *cfg, unsigned int now, unsigned int rnd);
/* When to try again after an error reply. */
unsigned int pb2b_retry_time(const pb2b_cfg_t *cfg, unsigned int now);

/* Longest wait a Retry-After or Min-Expires may impose on us (one day). */
#define PB2B_MAX_DELTA 86400

/* When to send the next SUBSCRIBE after an answer that may carry a
 * Retry-After (error reply, RFC 3261 s20.33) or a retry-after parameter
 * (terminating NOTIFY, RFC 6665 s4.1.3) of retry_after seconds, -1 when
 * absent: not before now + retry_after (at most PB2B_MAX_DELTA); without
 * one, at base (the configured rule). */
unsigned int pb2b_retry_after_time(
		unsigned int base, unsigned int now, int retry_after);

/* ---- parsing helpers (b2b_parse.c) ---- */

typedef struct pb2b_substate {
	lp_qstate_t state;
	int expires;	 /* -1 when absent */
	lp_str_t reason; /* points into the parsed text, may be empty */
	int retry_after; /* retry-after parameter, -1 when absent */
} pb2b_substate_t;

/* Parse a Subscription-State value ("active;expires=60",
 * "terminated;reason=timeout"). 0, or -1 when malformed or unknown. */
int pb2b_substate_parse(const lp_str_t *value, pb2b_substate_t *out);

/* Text of the first <basic> / <note> element of a PIDF document (any
 * namespace prefix), trimmed; {NULL,0} when absent. Points into doc. */
lp_str_t pb2b_pidf_element(const lp_str_t *doc, const char *local_name);

/* A delta-seconds header value (Min-Expires, Retry-After: 1*DIGIT, then
 * optional blanks, a comment or ;parameters). Values beyond 2^31-1 give
 * 2^31-1. The seconds, or -1 when the value does not start with a digit. */
int pb2b_delta_parse(const lp_str_t *value);

/* Random hex token of PB2B_TOKEN_LEN (32) characters, 128 bits, into buf
 * (size > PB2B_TOKEN_LEN): our tags and Call-IDs, which are what a forged
 * NOTIFY would have to guess. */
#define PB2B_TOKEN_LEN 32
void pb2b_token(char *buf, unsigned int (*rnd)(void));

/* Longest remote tag, remote target (Contact URI) and route set (joined
 * Record-Route) a dialog keeps: a NOTIFY over them is answered 400, a 2xx
 * over them counts as an error reply. */
#define PB2B_RTAG_MAX 128
#define PB2B_TARGET_MAX 512
#define PB2B_ROUTE_MAX 2048
/* 1 when all three fit, else 0. */
int pb2b_dialog_sizes_ok(const lp_str_t *rtag, const lp_str_t *target,
		const lp_str_t *route);

const char *pb2b_dstate_name(pb2b_dstate_t s);

/* ---- records and the provider (b2b_rec.c) ---- */

/* Create the tables, the internal subscription service, the RPC subscriber
 * and register the provider for "presence" (when handle_presence is set).
 * 0 or -1 (everything created is freed again). */
int pb2b_init(void);
void pb2b_destroy(void);

/* Call fn for every record, under the record's bucket lock (fn must not
 * take bucket locks). */
void pb2b_foreach(void (*fn)(const pb2b_rec_t *r, void *ctx), void *ctx);
int pb2b_count(void);

/* Unlink and free a record; its bucket lock must be held. */
void pb2b_rec_destroy(pb2b_rec_t *r);

/* ---- dialogs (b2b_dialog.c) ---- */

/* A SUBSCRIBE to send: one lp_malloc block (strings inside), owned by the
 * caller of pb2b_timer, freed with lp_free after sending. */
typedef struct pb2b_send {
	struct pb2b_send *next;
	unsigned int id;
	unsigned int cseq;
	int expires;
	int in_dialog;		   /* remote tag known: route from Record-Route */
	int route_in_order;	   /* route from a NOTIFY: used as is, not reversed */
	lp_str_t callid;
	lp_str_t local_tag;
	lp_str_t remote_tag;   /* empty for an initial SUBSCRIBE */
	lp_str_t from_uri;	   /* the subscriber */
	lp_str_t to_uri;	   /* the record */
	lp_str_t target;	   /* Request-URI */
	lp_str_t route;		   /* presence_route, or the 2xx's Record-Route */
	lp_str_t package;
} pb2b_send_t;

/* Run the timing rules over every record: returns the SUBSCRIBEs to send
 * now (a list owned by the caller), destroys records whose time is up. */
pb2b_send_t *pb2b_timer(unsigned int now);
void pb2b_send_list_free(pb2b_send_t *list);

/* A final reply to one of our SUBSCRIBEs (408 for a tm timeout). */
typedef struct pb2b_reply {
	int code;
	lp_str_t to_tag;
	int expires;		   /* Expires header, -1 when absent */
	lp_str_t contact;	   /* URI of the Contact, may be empty */
	lp_str_t record_route; /* all Record-Route values joined by ',' */
	int min_expires;	   /* Min-Expires of a 423, -1 when absent */
	int retry_after;	   /* Retry-After seconds, -1 when absent */
} pb2b_reply_t;

/* Apply a reply to the dialog of the SUBSCRIBE (callid, remote_tag, cseq);
 * remote_tag is that of the request (empty for an initial SUBSCRIBE), so a
 * refresh of a fork finds its fork. Replies to a SUBSCRIBE that is no
 * longer the outstanding one are ignored. Takes and releases the bucket
 * lock. 0 when a record took it, -1 when none did. */
int pb2b_handle_reply(const lp_str_t *callid, const lp_str_t *remote_tag,
		unsigned int cseq, const pb2b_reply_t *r, unsigned int now);

/* A SUBSCRIBE could not be sent at all: same as a 408 reply. */
void pb2b_send_failed(const pb2b_send_t *s, unsigned int now);

typedef struct pb2b_notify {
	lp_str_t callid;
	lp_str_t from_tag; /* the server's tag (our remote tag) */
	lp_str_t to_tag;   /* our local tag */
	unsigned int cseq;
	lp_str_t event;	   /* Event header value */
	int has_substate;
	lp_str_t substate; /* Subscription-State value */
	lp_str_t contact;  /* URI of the Contact, may be empty */
	lp_str_t record_route; /* all Record-Route values joined by ',' */
	lp_str_t content_type;
	lp_str_t body;
} pb2b_notify_t;

/* Find the subscription of a NOTIFY among the confirmed and the not yet
 * confirmed dialogs (a NOTIFY may come before the 2xx) and apply it: the
 * status goes to the subscriber's queue; a terminating NOTIFY ends the
 * dialog. 1 when a subscription matched, -1 when none did (answer 481),
 * -2 when its From tag, Contact or Record-Route is over the limits
 * (PB2B_*_MAX; answer 400), -3 when its CSeq is lower than the last one
 * of its dialog (answer 500, RFC 3261 s12.2.2); nothing applied then.
 * -4 when shared memory ran out for its status (or its new branch): the
 * dialog's own state (tags, CSeq, target) is kept, the status is not
 * queued; answer 503 with Retry-After so the notifier sends it again
 * (instead of a 200 that would lose it). */
int pb2b_handle_notify(const pb2b_notify_t *n, unsigned int now);

/* Dialogs of the record, forks included (what presence_b2b.list shows as
 * branches); its bucket lock must be held. */
int pb2b_branches(const pb2b_rec_t *r);

/* ---- forks (b2b_fork.c), called by b2b_dialog.c with the bucket lock of
 * r held ---- */

/* The fork of r whose remote tag is rtag, or NULL. */
pb2b_fork_t *pb2b_fork_find(const pb2b_rec_t *r, const lp_str_t *rtag);
/* Apply a NOTIFY that matches no dialog of r: a new fork when the NOTIFY
 * may create one and max_branches allows it (then applied: 1), else -1
 * (answer 481); -4 when shared memory runs out for the fork or its status
 * (answer 503). */
int pb2b_fork_notify_new(pb2b_rec_t *r, const pb2b_notify_t *n,
		const pb2b_substate_t *ss, unsigned int now);
/* Apply a NOTIFY of fork f: 0, or -1 when its status could not be queued
 * (no shared memory). */
int pb2b_fork_notify(pb2b_rec_t *r, pb2b_fork_t *f, const pb2b_notify_t *n,
		const pb2b_substate_t *ss, unsigned int now);
/* Apply the reply to f's outstanding SUBSCRIBE (f may be freed). */
void pb2b_fork_reply(pb2b_rec_t *r, pb2b_fork_t *f, const pb2b_reply_t *rp,
		unsigned int now);
/* Timer: push the SUBSCRIBEs r's forks need now onto *list, free the
 * forks that are done. */
void pb2b_fork_tick(pb2b_rec_t *r, unsigned int now, pb2b_send_t **list);
/* The first dialog ended: every fork is to be unsubscribed. */
void pb2b_fork_end_all(pb2b_rec_t *r);
void pb2b_fork_free_all(pb2b_rec_t *r);

/* Helpers of b2b_dialog.c shared with b2b_fork.c. */
int pb2b_set_str(lp_str_t *dst, const lp_str_t *src);
int pb2b_want_expires(const pb2b_rec_t *r);
/* Queue n's status for r's subscriber (bucket lock held): 0, or -1 when
 * shared memory runs out (logged; nothing queued). */
int pb2b_put_status(pb2b_rec_t *r, const pb2b_notify_t *n,
		const pb2b_substate_t *ss);
/* A SUBSCRIBE of r's subscription in the given dialog, one lp_malloc
 * block; NULL when memory runs out. */
typedef struct pb2b_dlg_ref {
	const lp_str_t *local_tag, *remote_tag, *target, *route;
	int route_in_order;
	unsigned int cseq; /* of the request */
} pb2b_dlg_ref_t;
pb2b_send_t *pb2b_send_build(
		const pb2b_rec_t *r, const pb2b_dlg_ref_t *d, int expires);

/* ---- the RPC subscriber (b2b_view.c) ---- */

pb2b_view_t *pb2b_view_new(void);
void pb2b_view_destroy(pb2b_view_t *v);
lp_qqueue_t *pb2b_view_queue(pb2b_view_t *v);
/* Start / stop keeping the last message of subscription id. 0 or -1. */
int pb2b_view_track(pb2b_view_t *v, unsigned int id);
void pb2b_view_forget(pb2b_view_t *v, unsigned int id);
/* Take every queued message; keep the last one per tracked id. */
void pb2b_view_drain(pb2b_view_t *v);
/* Copy of the last message of id (caller frees with lp_qmsg_free) and the
 * number received; NULL when none. */
lp_qmsg_t *pb2b_view_last(pb2b_view_t *v, unsigned int id, unsigned int *count);
/* Ids tracked, into ids[max]; returns how many. */
int pb2b_view_ids(pb2b_view_t *v, unsigned int *ids, int max);

/* RPC-level operations on top of the service. */
int pb2b_rpc_subscribe(const lp_str_t *record, const lp_str_t *package,
		const lp_str_t *subscriber, unsigned int *id);
/* Unsubscribe the RPC subscription id; 0 or a LP_QSVC_ error. */
int pb2b_rpc_unsubscribe(unsigned int id);

#endif
