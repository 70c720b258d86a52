/* The presence server's decisions, host-neutral: a PUBLISH or SUBSCRIBE
 * arrives as a plain request struct, the logic applies it to the stored
 * state (shared tables and the DB) and answers with a reply struct; NOTIFYs
 * leave through pres.send_notify. The glue (presence_mod.c, pres_kam.c)
 * turns SIP messages into these structs and replies into SIP. */
#ifndef PRES_LOGIC_H
#define PRES_LOGIC_H

#include "pres_state.h"

#define PRES_HDRS_MAX 1024

/* What to answer: status code, reason and extra header lines (each ending
 * in CRLF). */
typedef struct pres_reply {
	int code;
	const char *reason;
	char hdrs[PRES_HDRS_MAX];
	int hdrs_len;
	lp_str_t to_tag; /* SUBSCRIBE: the To tag to answer with (points into
						the stored or request data; valid until return) */
	char to_tag_buf[128];
	pres_ev_t *notify_ev; /* PUBLISH: the state changed, NOTIFY the watchers
							 of this event once the reply is sent */
	lp_str_t off_body; /* PUBLISH Expires 0: the removed publication's body
						  (malloc'd; agg_nbody's off_index entry; freed by
						  pres_publish_notify) */
} pres_reply_t;

/* Expires header: absent, malformed */
#define PRES_EXPIRES_NONE (-1)
#define PRES_EXPIRES_BAD (-2)

typedef struct pres_publish_req {
	lp_str_t user, domain;	/* presentity, from the Request-URI */
	int has_event;
	lp_str_t event;			/* Event header value */
	int expires;			/* PRES_EXPIRES_* or seconds */
	int has_if_match;
	lp_str_t if_match;		/* SIP-If-Match value */
	int has_ctype;
	lp_str_t content_type;	/* type/subtype, parameters stripped */
	lp_str_t body;
	lp_str_t sender;		/* handle_publish's sender_uri, or empty */
	lp_str_t new_etag;		/* update_presentity: the ETag of a new
							   publication (empty: generate one) */
	int no_sip;				/* update_presentity: no message, so no
							   evs_publ_handl */
	int priority;			/* presentity.priority: xavp_cfg's priority (or
							   the time based one, glue), else 0 */
	pres_rxq_t rxq;			/* the receiving socket's queue (glue):
							   pres_limits_load */
	struct sip_msg *msg;	/* for pres_ev_t.evs_publ_handl; may be NULL */
} pres_publish_req_t;

typedef struct pres_subscribe_req {
	lp_str_t ruri_user, ruri_domain; /* presentity of an initial request */
	lp_str_t to_user, to_domain, to_tag;
	lp_str_t from_user, from_domain, from_tag;
	lp_str_t callid;
	unsigned int cseq;
	int has_event;
	lp_str_t event;
	int expires;
	int has_accept;
	lp_str_t accept;	   /* every Accept value joined by ',' */
	lp_str_t contact;	   /* Contact URI */
	lp_str_t record_route; /* Record-Route values joined by ',' */
	lp_str_t sockinfo;	   /* receiving socket, "udp:ip:port" */
	lp_str_t user_agent;
	lp_str_t local_contact; /* our Contact: server_address or the socket */
	lp_str_t watcher_user;	/* handle_subscribe(msg, user, domain): the */
	lp_str_t watcher_domain; /* watcher, when not the From URI (empty) */
	pres_rxq_t rxq;			 /* as pres_publish_req_t's */
	struct sip_msg *msg;
} pres_subscribe_req_t;

/* The Expires a request asks for, checked (400 malformed, 423 below
 * min_expires) and capped at max_expires; absent means the event's
 * default. Returns seconds, or -1 with rep filled. */
int pres_check_expires(int expires, const pres_ev_t *ev, pres_reply_t *rep);

/* Handle a PUBLISH (RFC 3903). Always fills rep; returns 0 when the reply
 * is a 2xx, -1 otherwise. The watchers are not notified yet: the caller
 * sends the reply first, then calls pres_publish_notify (so the publisher
 * never waits for a fan-out). */
int pres_handle_publish(const pres_publish_req_t *req, pres_reply_t *rep);
/* NOTIFY the watchers after a PUBLISH that changed the state (a no-op when
 * rep->notify_ev is NULL); returns the NOTIFYs sent. */
int pres_publish_notify(const pres_publish_req_t *req, const pres_reply_t *rep);

/* An in-dialog SUBSCRIBE's CSeq against the last one of the dialog: 1 in
 * order, 0 out of order (RFC 3261 s12.2.2: 500; equal is a replay unless
 * cseq_offset > 0 tolerates it). */
int pres_cseq_in_order(unsigned int cseq, unsigned int last);

/* Handle a SUBSCRIBE (RFC 6665): fills rep, and when the reply is a 2xx
 * returns in *notify the NOTIFY to send right after it (malloc block, caller
 * frees with pres_notify_free; NULL when none). Returns 0 on 2xx, else -1. */
int pres_handle_subscribe(const pres_subscribe_req_t *req, pres_reply_t *rep,
		pres_notify_t **notify);

/* NOTIFY every watcher of (pres_uri, ev) with the current state, except the
 * watcher whose URI is `skip` (may be NULL). Returns the number sent. */
int pres_notify_watchers(const lp_str_t *user, const lp_str_t *domain,
		pres_ev_t *ev, const lp_str_t *skip);
/* The same after an un-PUBLISH: `off` (may be NULL) is the removed body,
 * passed to the event's agg_nbody as body_array[n] with off_index n, as
 * Kamailio's presence does (presence_xml makes a closed document of it when
 * nothing else is published). */
int pres_notify_watchers_off(const lp_str_t *user, const lp_str_t *domain,
		pres_ev_t *ev, const lp_str_t *skip, const lp_str_t *off);

/* Add a fan-out listener (presence_ext.h): the glue's own in mod_init,
 * other modules' through find_export(PRES_FANOUT_LISTEN). 0 or -1 (fn
 * NULL, or PRES_FANOUT_HOOKS already). */
int pres_fanout_listen(pres_fanout_fn fn);

/* Tell every listener that a fan-out opens (1) or closes (0): around
 * pres_notify_watchers_off and the re-authorization of refreshWatchers
 * type 0. */
void pres_fanout_bracket(int open);

/* Send n (not taken) outside a fan-out: after a SUBSCRIBE, a change of
 * status, an expiry, to the winfo subscribers. Under the presentity's
 * fan-out lock, the glue sends it (pres.send_notify) or, with sender
 * processes (pres.fanq), it is queued on its dialog's sender; when a later
 * CSeq of the dialog was taken meanwhile (a fan-out sent or queued it
 * already), the NOTIFY is made again with the next CSeq and the current
 * state, so it cannot overtake that one nor carry older state. In DB-only
 * mode it is sent as made. 0 or -1. Takes the fan-out lock (unless this
 * process holds it). */
int pres_notify_send(const pres_notify_t *n);

/* The NOTIFY for one subscription (a copy of s, with the current body and
 * headers); NULL on error. */
pres_notify_t *pres_notify_build(const subs_t *s);
/* The NOTIFY for s carrying *body (the event may still filter it per
 * watcher); takes ownership of s (malloc'd) and of body->s. NULL on error
 * (both freed). */
pres_notify_t *pres_notify_make(subs_t *s, lp_str_t *body);

/* Watcher info (pres_winfo.c): the full document for a winfo subscription
 * (malloc'd into *out; 0 or -1), and the partial NOTIFYs to the winfo
 * subscribers of w's presentity after watcher w arrived, changed state or
 * left. */
int pres_winfo_body(const subs_t *winfo, lp_str_t *out);
void pres_winfo_notify_change(const subs_t *w);
void pres_notify_free(pres_notify_t *n);

/* A NOTIFY was answered with `code` (408 when it timed out): with
 * timeout_rm_subs, 408 and 481 remove the subscription. */
void pres_notify_reply(const lp_str_t *pres_uri, const lp_str_t *callid,
		const lp_str_t *to_tag, const lp_str_t *from_tag, int code);

/* Periodic jobs. */
void pres_clean_expired(void); /* clean_period (pres_subs_flush: db_update_period) */

/* RPC presence.refreshWatchers: type 0 re-evaluates authorization, other
 * types reload the publications from the DB; then NOTIFY. Returns watchers
 * notified or -1 (unknown event / bad uri). */
int pres_refresh_watchers(const lp_str_t *pres_uri, const lp_str_t *event, int type);

/* The same with Kamailio's file arguments: type 2 with a filename stores
 * the event's pidf-manipulation document found at file_uri (get_pidf_doc)
 * as the presentity's publication with ETag filename, never expiring, or
 * removes that publication when the document is gone; then NOTIFY. Without
 * a filename, type 2 is type 1. */
int pres_refresh_watchers_file(const lp_str_t *pres_uri,
		const lp_str_t *event, int type, const lp_str_t *file_uri,
		const lp_str_t *filename);

/* pres_has_subscribers(): the live, not terminated subscriptions to
 * (pres_uri, event); -1 on an unknown event or error. */
int pres_has_subscribers(const lp_str_t *pres_uri, const lp_str_t *event);

/* Load publications and subscriptions from the DB into the tables (start-up).
 * Returns 0 or -1. */
int pres_load_db(void);

/* The presentity's current document for ev (aggregated when the event
 * aggregates, else the newest publication), malloc'd into *out; {NULL,0}
 * when there is none. 0 or -1. */
int pres_current_body(const lp_str_t *user, const lp_str_t *domain,
		pres_ev_t *ev, lp_str_t *out);

/* API entries that are pure logic (pres_api.c). */
/* The state the event's authorization gives watcher_uri for pres_uri:
 * ACTIVE_STATUS for an event without req_auth, else what get_auth_status
 * says (PENDING_STATUS, TERMINATED_STATUS ...); -1 on a bad URI or error. */
int pres_auth_status_of(pres_ev_t *ev, const lp_str_t *watcher_uri,
		const lp_str_t *pres_uri);
/* get_presentity: the document of pres_uri for ev (only the publication
 * `etag` when etag is not NULL/empty), malloc'd into *out. 1 found, 0 none,
 * -1 error. */
int pres_presentity_doc(const lp_str_t *pres_uri, pres_ev_t *ev,
		const lp_str_t *etag, lp_str_t *out);
/* update_presentity: a PUBLISH without SIP. new_t 1 starts a publication
 * (ETag `etag` when given, else a fresh one), 0 refreshes/modifies the
 * publication `etag` (body NULL: refresh); expires 0 removes. The watchers
 * are notified as after a PUBLISH. Returns the reply code it would have
 * given (2xx success). */
int pres_update_presentity(const lp_str_t *event, const lp_str_t *realm,
		const lp_str_t *user, const lp_str_t *etag, const lp_str_t *sender,
		const lp_str_t *body, int expires, int new_t);

/* Event registry (pres_ev_t lists). */
int pres_add_event(pres_ev_t *ev);
pres_ev_t *pres_event_by_hdr(const lp_str_t *value); /* NULL: unknown */
int pres_allow_events(char *buf, int size);

/* The RPID sphere of the presentity's newest presence publication, when
 * enable_sphere_check is set; malloc'd, or NULL. */
char *pres_sphere_of(const lp_str_t *pres_uri);

/* Utilities */
int pres_split_uri(const lp_str_t *uri, lp_str_t *user, lp_str_t *domain);
/* Write "sip:user@domain" into buf; returns length or -1. */
int pres_make_uri(char *buf, int size, const lp_str_t *user, const lp_str_t *domain);
/* Fresh unguessable token (ETag or To tag): "prefix." (when prefix is not
 * NULL or empty) and 32 hex digits of 128 random bits, NUL-terminated into
 * buf; returns its length, or -1 (buf too small, no randomness). */
int pres_new_token(char *buf, int size, const char *prefix);
/* Every string field of subs_t, for copying in one block and
 * for the DMQ subscription records (pres_dmq_subs.c): 17 of them. */
#define PRES_SUBS_STRS(X)                                                 \
	X(pres_uri) X(to_user) X(to_domain) X(from_user) X(from_domain)       \
	X(watcher_user) X(watcher_domain) X(event_id) X(to_tag) X(from_tag)   \
	X(callid) X(sockinfo_str) X(contact) X(local_contact) X(record_route) \
	X(reason) X(user_agent)

/* Single-block copy of s (strings inside the block), with lp_malloc when
 * shared != 0, else malloc. NULL on failure. */
subs_t *pres_subs_dup(const subs_t *s, int shared);
/* The same, with `head` bytes before the subs_t in the block (for records
 * that embed a subs_t as their last member); returns the block. */
void *pres_subs_dup_ex(const subs_t *s, int shared, size_t head);
/* Size of a single-block copy of s, and the copy into such a block. */
size_t pres_subs_block_size(const subs_t *s);
subs_t *pres_subs_fill(void *block, const subs_t *s);
/* Builds the SQL statements for the configured table names; -1 if a table
 * name is not a plain identifier. */
int pres_sql_init(void);
/* The process's DB connection, opened on first use (NULL on error). */
lp_db_t *pres_db(void);

#endif
