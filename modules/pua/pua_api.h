/* The pua module's API for other modules (bind_pua): publ_info_t and
 * subs_info_t that callers fill to have pua send a PUBLISH or a SUBSCRIBE,
 * ua_pres_t that describes a stored publication or subscription to
 * callbacks and is_dialog, the event and source flags, and pua_api_t. Field
 * order of pua_api_t, publ_info_t and subs_info_t follows the module
 * documentation (seeds/pua.txt); fields are only ever appended.
 *
 * Strings are lp_str_t, which has the layout of Kamailio's `str`. This
 * header needs no Kamailio header: struct sip_msg is only passed through as
 * a pointer.
 *
 * Ownership: send_publish and send_subscribe copy everything they keep; the
 * caller's structs and strings may live on its stack. A ua_pres_t handed to
 * a callback is a private copy valid during the call only. */
#ifndef PUA_API_H
#define PUA_API_H

#include "lp_str.h"

struct sip_msg;

/* publ_info_t.event / subs_info_t.event / add_event ev_flag */
#define PRESENCE_EVENT (1 << 0)	  /* "presence", application/pidf+xml */
#define PWINFO_EVENT (1 << 1)	  /* "presence.winfo" (SUBSCRIBE only) */
#define BLA_EVENT (1 << 2)		  /* "dialog;sla" */
#define MSGSUM_EVENT (1 << 3)	  /* "message-summary" */
#define CONFERENCE_EVENT (1 << 4) /* "conference" (registered by others) */
#define DIALOG_EVENT (1 << 5)	  /* "dialog", application/dialog-info+xml */
#define REGINFO_EVENT (1 << 6)	  /* "reg", application/reginfo+xml */

/* publ_info_t.source_flag / subs_info_t.source_flag / register_puacb types */
#define UL_PUBLISH (1 << 0)
#define BLA_PUBLISH (1 << 1)
#define BLA_SUBSCRIBE (1 << 2)
#define XMPP_PUBLISH (1 << 3)
#define XMPP_SUBSCRIBE (1 << 4)
#define XMPP_INITIAL_SUBS (1 << 5)
#define MI_PUBLISH (1 << 6)
#define MI_ASYN_PUBLISH (1 << 7)
#define MI_SUBSCRIBE (1 << 8)
#define RLS_SUBSCRIBE (1 << 9)
#define DIALOG_PUBLISH (1 << 10)
#define REGINFO_PUBLISH (1 << 11)
#define REGINFO_SUBSCRIBE (1 << 12)
#define RPC_PUBLISH (1 << 13)	/* pua.publish */
#define RPC_SUBSCRIBE (1 << 14) /* pua.subscribe */

/* publ_info_t.flag / subs_info_t.flag: optional; when 0 pua decides from
 * what it holds. INSERT_TYPE forces a new record (an initial request),
 * UPDATE_TYPE requires an existing one. */
#define INSERT_TYPE (1 << 1)
#define UPDATE_TYPE (1 << 2)

/* ua_pres_t.ua_flag: what the record is */
#define PUA_UA_PUBLISH 1
#define PUA_UA_SUBSCRIBE 2

typedef struct publ_info {
	lp_str_t id;		/* (optional) unique for one pres_uri + event */
	lp_str_t *pres_uri; /* the presentity */
	lp_str_t *body;		/* NULL: refresh (or removal with expires 0) */
	int expires;		/* seconds; 0 removes; <0: default_expires */
	int flag;			/* INSERT_TYPE / UPDATE_TYPE / 0 */
	int source_flag;	/* UL_PUBLISH, MI_PUBLISH, BLA_PUBLISH, ... */
	int event;			/* PRESENCE_EVENT, BLA_EVENT, MSGSUM_EVENT, ... */
	lp_str_t content_type; /* {NULL,0}: the event's default */
	lp_str_t *etag;		   /* (optional) SIP-If-Match to use */
	lp_str_t *outbound_proxy; /* NULL: the outbound_proxy parameter */
	lp_str_t *extra_headers;  /* (optional) lines ending in CRLF */
	/* appended: */
	void *cb_param; /* copied into ua_pres_t.cb_param for callbacks */
} publ_info_t;

typedef struct subs_info {
	lp_str_t id;		   /* unique for one pres_uri + watcher + event */
	lp_str_t *pres_uri;	   /* the presentity (To) */
	lp_str_t *watcher_uri; /* the watcher (From) */
	lp_str_t *contact;	   /* our Contact */
	lp_str_t *remote_target; /* R-URI of the initial SUBSCRIBE; NULL:
								pres_uri */
	lp_str_t *outbound_proxy;
	int event;		 /* PRESENCE_EVENT, BLA_EVENT, PWINFO_EVENT, ... */
	int expires;	 /* seconds; 0 ends the subscription; <0: default */
	int flag;		 /* INSERT_TYPE / UPDATE_TYPE / 0 */
	int source_flag; /* MI_SUBSCRIBE, BLA_SUBSCRIBE, XMPP_SUBSCRIBE, ... */
	/* appended: */
	lp_str_t *extra_headers;
	void *cb_param;
} subs_info_t;

/* A stored publication or subscription as callbacks and is_dialog see it.
 * The strings of a copy live in the same block as the struct. */
typedef struct ua_pres {
	lp_str_t id;
	lp_str_t *pres_uri;
	int event;
	unsigned int expires;		  /* absolute: end the server granted */
	unsigned int desired_expires; /* absolute: end the owner asked for */
	int flag;					  /* source_flag */
	int db_flag;
	void *cb_param;
	struct ua_pres *next;
	int ua_flag; /* PUA_UA_PUBLISH / PUA_UA_SUBSCRIBE */
	/* publication */
	lp_str_t etag;
	lp_str_t tuple_id;
	lp_str_t *body;
	lp_str_t content_type;
	/* subscription (dialog) */
	lp_str_t to_uri;
	lp_str_t *watcher_uri;
	lp_str_t call_id;
	lp_str_t to_tag;   /* the presence server's tag */
	lp_str_t from_tag; /* ours */
	int cseq;
	int version;
	int watcher_count;
	lp_str_t *outbound_proxy;
	lp_str_t *extra_headers;
	lp_str_t record_route;	 /* route set, in the order to send */
	lp_str_t remote_contact; /* remote target */
	lp_str_t contact;		 /* ours */
	/* appended: */
	int last_code; /* the reply (or 408 timeout) that triggered the call;
					  0 for a NOTIFY */
	int subs_state; /* PUA_SUBS_* of the last NOTIFY (subscriptions) */
} ua_pres_t;

/* ua_pres_t.subs_state */
#define PUA_SUBS_NONE 0
#define PUA_SUBS_PENDING 1
#define PUA_SUBS_ACTIVE 2
#define PUA_SUBS_TERMINATED 3

/* Process the body of a PUBLISH before it is sent: *final_body is set to
 * a new body (allocated with the lp allocator, freed by pua) or left NULL
 * to send publ->body as it is. ver counts the PUBLISHes of the record;
 * tuple is the record's stored tuple id (set it on an initial PUBLISH). */
typedef int(evs_process_body_t)(
		struct publ_info *publ, lp_str_t **final_body, int ver, lp_str_t *tuple);

/* Called for every reply to a request of the source_flag it was
 * registered for (reply is NULL when tm timed out: ua_pres_t.last_code
 * 408), and for every NOTIFY of such a subscription. */
typedef int(pua_cb)(ua_pres_t *hentity, struct sip_msg *msg);

typedef int (*send_publish_t)(publ_info_t *publ);
typedef int (*send_subscribe_t)(subs_info_t *subs);
typedef int (*query_dialog_t)(ua_pres_t *presentity);
typedef int (*register_puacb_t)(int types, pua_cb f, void *param);
typedef int (*add_pua_event_t)(int ev_flag, char *name, char *content_type,
		evs_process_body_t *process_body);

typedef struct pua_api {
	send_subscribe_t send_subscribe;
	send_publish_t send_publish;
	query_dialog_t is_dialog;
	register_puacb_t register_puacb;
	add_pua_event_t add_event;
} pua_api_t;

typedef int (*bind_pua_t)(pua_api_t *api);

#endif
