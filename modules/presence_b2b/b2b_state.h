/* presence_b2b: the module's one state struct, its configuration and the
 * subscription record, shared by the host-neutral logic (b2b_*.c) and the
 * Kamailio glue. No Kamailio header here.
 *
 * A record is the provider side of one internal subscription (lp_qsvc): one
 * SIP SUBSCRIBE dialog towards the record's presence server, for one
 * (record, subscriber) pair. Records live in pb2b.recs (shared memory,
 * keyed by the hash of the Call-ID, which stays the same for the whole life
 * of a record; a new dialog after an error gets a new local tag). Every
 * field of a record is guarded by its bucket lock. */
#ifndef B2B_STATE_H
#define B2B_STATE_H

#include "lp_hash.h"
#include "lp_qsvc.h"
#include "lp_str.h"

typedef struct pb2b_cfg {
	int default_expiration;	  /* Expires of our SUBSCRIBEs (3600) */
	int on_error_retry_time;  /* after an error reply (120) */
	char *presence_route;	  /* Route of initial SUBSCRIBEs ("") */
	char *additional_headers; /* additional_presence_headers ("") */
	int wait_for_term_notify; /* after unsubscribing (30) */
	int resubscribe_delta;	  /* refresh this long before expiry (30) */
	int min_resubscribe_time; /* at least this long between SUBSCRIBEs (30) */
	int handle_presence;	  /* handle_presence_subscriptions (1) */
	char *outbound_proxy;	  /* presence_outbound_proxy ("") */
	int max_subscribe_delay;  /* random first-send delay bound (0) */
	int htable_power;		  /* records table: 2^power buckets (9) */
	char *contact;			  /* our Contact; "" = first listen socket */
	char *default_subscriber; /* From of RPC subscriptions ("") */
	int max_branches;		  /* dialogs per subscription, forks too (4) */
	int shm_retry_after; /* Retry-After of the 503 to a NOTIFY whose status
							finds no shared memory (30) */
} pb2b_cfg_t;

typedef enum pb2b_dstate {
	PB2B_IDLE = 0,	  /* no dialog; next_send says when to start one */
	PB2B_SENT,		  /* initial SUBSCRIBE out, neither 2xx nor NOTIFY yet */
	PB2B_EARLY,		  /* a NOTIFY came before the 2xx (dialog from NOTIFY) */
	PB2B_CONFIRMED,	  /* 2xx received */
	PB2B_TERMINATING, /* Expires: 0 sent, waiting for the terminating NOTIFY */
} pb2b_dstate_t;

#define PB2B_TAG_MAX 40
#define PB2B_CALLID_MAX 64
/* Upper bound of the max_branches parameter. */
#define PB2B_BRANCHES_MAX 32

/* Another dialog of a forked SUBSCRIBE (RFC 6665 s4.1.2.4): made by a
 * NOTIFY from a remote tag other than the first dialog's. lp_malloc, in
 * its record's list and guarded by the record's bucket lock. The record's
 * own fields are the first dialog, which carries the subscription: when it
 * ends, every fork is unsubscribed. */
typedef struct pb2b_fork {
	struct pb2b_fork *next;
	char tag_buf[PB2B_TAG_MAX];
	lp_str_t local_tag;		/* -> tag_buf: that of the forked SUBSCRIBE */
	lp_str_t remote_tag;	/* lp_malloc */
	lp_str_t remote_target; /* lp_malloc; Contact of its NOTIFY / 2xx */
	lp_str_t route_set;		/* lp_malloc; Record-Route of its first NOTIFY */
	int ending;				/* an Expires: 0 SUBSCRIBE is due */
	int terminating;		/* it was sent: waiting for the end */
	unsigned int cseq, out_cseq; /* as in the record */
	int out_expires;
	unsigned int remote_cseq;
	unsigned int next_send, last_sent, expires_at, deadline;
	unsigned int n_sent, n_notify;
} pb2b_fork_t;

typedef struct pb2b_rec {
	lp_hentry_t e; /* first: hash of callid */
	unsigned int id; /* the internal subscription's id */
	lp_qsub_t *sub;	 /* reference held by the record */
	char callid_buf[PB2B_CALLID_MAX];
	char tag_buf[PB2B_TAG_MAX];
	lp_str_t callid;		/* -> callid_buf */
	lp_str_t local_tag;		/* -> tag_buf; new for every new dialog */
	lp_str_t remote_tag;	/* lp_malloc, {NULL,0} until known */
	lp_str_t remote_target; /* lp_malloc; Contact of the 2xx or NOTIFY */
	lp_str_t route_set;		/* lp_malloc; Record-Route of the 2xx, as is */
	int route_in_order;		/* route_set is a NOTIFY's (UAS order, RFC 3261
							 * s12.1.1), not a 2xx's (reversed when used) */
	pb2b_fork_t *forks;		/* the other dialogs of a forked SUBSCRIBE */
	int fork_refused;		/* a NOTIFY over max_branches was logged */
	pb2b_dstate_t state;
	int unsub;				 /* the subscriber unsubscribed */
	unsigned int cseq;		 /* last CSeq sent */
	unsigned int out_cseq;	 /* CSeq of the SUBSCRIBE awaiting a reply, 0 */
	int out_expires;		 /* Expires of that SUBSCRIBE */
	int min_expires;		 /* the server's Min-Expires (423), 0 none */
	unsigned int remote_cseq;
	unsigned int created;
	unsigned int next_send;	 /* IDLE: start; EARLY/CONFIRMED: refresh */
	unsigned int last_sent;	 /* time of the last SUBSCRIBE */
	unsigned int expires_at; /* subscription end as the server said */
	unsigned int deadline;	 /* TERMINATING / unsubscribing: give up */
	int last_code;			 /* last final reply code, 0 none */
	int last_substate;		 /* lp_qstate_t of the last NOTIFY, -1 none */
	unsigned int n_sent, n_notify;
} pb2b_rec_t;

/* Subscriber used by the RPC commands: its queue and, per subscription,
 * the last message taken from it (see b2b_view.c). */
typedef struct pb2b_view pb2b_view_t;

typedef struct pb2b_state {
	pb2b_cfg_t cfg;
	lp_htable_t *recs; /* pb2b_rec_t by hash(callid) */
	lp_qsvc_t *svc;	   /* the internal subscription service */
	pb2b_view_t *view; /* the RPC subscriber */
	unsigned int (*rand)(void);
	unsigned int (*now)(void); /* seconds; for the service's callbacks */
} pb2b_state_t;

extern pb2b_state_t pb2b;

/* Default configuration (the seed's defaults). */
#define PB2B_CFG_DEFAULTS                                                  \
	{                                                                      \
		3600, 120, "", "", 30, 30, 30, 1, "", 0, 9, "", "", 4, 30          \
	}

#endif
