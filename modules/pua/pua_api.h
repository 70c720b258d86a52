/* The pua module's API for other modules (bind_pua), binary-compatible
 * with Kamailio 5.6's: Debian's pua_dialoginfo, pua_usrloc, pua_reginfo,
 * pua_bla, pua_rpc, pua_xmpp and rls are compiled against Kamailio's own
 * headers and reach our pua only through find_export("bind_pua"), so every
 * struct below has Kamailio's field order, types and size, and every flag
 * its value. test/unit/check_abi_pua.c pins sizeof/offsetof against the
 * numbers a probe compiled with Kamailio's headers prints (test/abi/).
 * Never add, move or retype a field: our own extras live in pua_view_t,
 * which only pua allocates.
 *
 * Strings are lp_str_t, which has the layout of Kamailio's `str`. This
 * header needs no Kamailio header: struct sip_msg is only passed through as
 * a pointer. The libxml helpers (bind_libxml_api) are in pua_libxml_api.h.
 *
 * Ownership: send_publish and send_subscribe copy everything they keep; the
 * caller's structs and strings may live on its stack. A ua_pres_t handed to
 * a callback is a private copy valid during the call only. A ua_pres_t a
 * caller hands to is_dialog / get_record_id is only read, and only within
 * Kamailio's layout. */
#ifndef PUA_API_H
#define PUA_API_H

#include "lp_str.h"

struct sip_msg;

/* publ_info_t.event / subs_info_t.event / ua_pres_t.event / add_event */
#define PRESENCE_EVENT (1 << 0)	  /* "presence", application/pidf+xml */
#define PWINFO_EVENT (1 << 1)	  /* "presence.winfo" (SUBSCRIBE only) */
#define BLA_EVENT (1 << 2)		  /* "dialog;sla" */
#define MSGSUM_EVENT (1 << 3)	  /* "message-summary" */
#define CONFERENCE_EVENT (1 << 4) /* "conference" (registered by others) */
#define DIALOG_EVENT (1 << 5)	  /* "dialog", application/dialog-info+xml */
#define REGINFO_EVENT (1 << 6)	  /* "reg", application/reginfo+xml */
#define XCAPDIFF_EVENT (1 << 7)	  /* "xcap-diff" (registered by others) */

/* publ_info_t.source_flag / subs_info_t.source_flag / ua_pres_t.flag:
 * who asked; register_puacb selects callbacks by these bits. */
#define UL_PUBLISH (1 << 0)		   /* pua_usrloc */
#define BLA_PUBLISH (1 << 1)	   /* pua_bla */
#define BLA_SUBSCRIBE (1 << 2)	   /* pua_bla */
#define XMPP_PUBLISH (1 << 3)	   /* pua_xmpp */
#define XMPP_SUBSCRIBE (1 << 4)	   /* pua_xmpp */
#define XMPP_INITIAL_SUBS (1 << 5) /* pua_xmpp */
#define RPC_PUBLISH (1 << 6)	   /* pua.publish, answered at once */
#define RPC_ASYN_PUBLISH (1 << 7)  /* pua.publish, answered after the reply */
#define RPC_SUBSCRIBE (1 << 8)	   /* pua.subscribe */
#define RLS_SUBSCRIBE (1 << 9)	   /* rls back-end subscriptions */
#define DIALOG_PUBLISH (1 << 10)   /* pua_dialoginfo */
#define PURPLE_PUBLISH (1 << 11)   /* purple */
#define REGINFO_PUBLISH (1 << 12)  /* pua_reginfo */
#define REGINFO_SUBSCRIBE (1 << 13) /* pua_reginfo */
#define XCAPDIFF_PUBLISH (1 << 14)
#define XCAPDIFF_SUBSCRIBE (1 << 15)
/* historical names of the RPC flags (the MI interface of old) */
#define MI_PUBLISH RPC_PUBLISH
#define MI_ASYN_PUBLISH RPC_ASYN_PUBLISH
#define MI_SUBSCRIBE RPC_SUBSCRIBE

/* ua_pres_t.db_flag */
#define NO_UPDATEDB_FLAG (1 << 0) /* the stored row is current */
#define UPDATEDB_FLAG (1 << 1)	  /* the row must be updated */
#define INSERTDB_FLAG (1 << 2)	  /* the row must be inserted */
#define WTHROUGHDB_FLAG (1 << 3)  /* written through at once (db_mode 2) */

/* publ_info_t.flag / subs_info_t.flag: optional. INSERT_TYPE: an initial
 * request. UPDATE_TYPE: the owner believes pua holds the record; when it
 * does not (pua restarted, the record expired or failed), pua stores it
 * anew and sends an initial request, as Kamailio's pua does. */
#define INSERT_TYPE (1 << 1)
#define UPDATE_TYPE (1 << 2)

/* ua_pres_t.ua_flag: whether the record was made by this instance */
#define REQ_OTHER 0
#define REQ_ME 1

/* send_publish: a refresh (no body) of a publication pua does not hold */
#define ERR_PUBLISH_NO_BODY -10

/* callback types above this bit are unused */
#define PUACB_MAX (1 << 9)

#define MAX_FORWARD 70

typedef struct publ_info {
	lp_str_t id;		/* (optional) unique for one pres_uri + event */
	lp_str_t *pres_uri; /* the presentity */
	lp_str_t *body;		/* NULL: refresh (or removal with expires 0) */
	int expires;		/* seconds; 0 removes; <0: default_expires */
	int flag;			/* INSERT_TYPE / UPDATE_TYPE / 0 */
	int source_flag;	/* UL_PUBLISH, RPC_PUBLISH, BLA_PUBLISH, ... */
	int event;			/* PRESENCE_EVENT, BLA_EVENT, MSGSUM_EVENT, ... */
	lp_str_t content_type;	  /* {NULL,0}: the event's default */
	lp_str_t *etag;			  /* (optional) SIP-If-Match to use */
	lp_str_t *outbound_proxy; /* NULL: the outbound_proxy parameter */
	lp_str_t *extra_headers;  /* (optional) lines ending in CRLF */
	void *cb_param; /* handed back in ua_pres_t.cb_param to the callbacks
					   of this request's final reply (shared memory) */
} publ_info_t;

typedef struct subs_info {
	lp_str_t id;			 /* unique for one pres_uri + watcher + event */
	lp_str_t *pres_uri;		 /* the presentity (To) */
	lp_str_t *watcher_uri;	 /* the watcher (From) */
	lp_str_t *contact;		 /* our Contact */
	lp_str_t *remote_target; /* R-URI of the initial SUBSCRIBE; NULL:
								pres_uri */
	lp_str_t *outbound_proxy;
	int event; /* PRESENCE_EVENT, BLA_EVENT, PWINFO_EVENT, ... */
	lp_str_t *extra_headers;
	int expires;	 /* seconds; 0 ends the subscription; <0: default */
	int source_flag; /* RPC_SUBSCRIBE, BLA_SUBSCRIBE, RLS_SUBSCRIBE, ... */
	int flag;		 /* INSERT_TYPE / UPDATE_TYPE / 0 */
	void *cb_param;
	int internal_update_flag; /* not read by pua */
} subs_info_t;

/* A stored publication or subscription as callbacks see it, and the
 * dialog a caller asks about (is_dialog, get_record_id). */
typedef struct ua_pres {
	lp_str_t id;
	lp_str_t *pres_uri;
	int event;
	unsigned int expires;		  /* absolute: end the server granted */
	unsigned int desired_expires; /* absolute: end the owner asked for */
	int flag;					  /* source_flag */
	int db_flag;				  /* *DB_FLAG */
	void *cb_param;
	struct ua_pres *next; /* always NULL in what pua hands out */
	int ua_flag;		  /* REQ_OTHER / REQ_ME */
	lp_str_t *outbound_proxy;
	/* publication */
	lp_str_t etag;
	lp_str_t tuple_id;
	lp_str_t *body;
	lp_str_t content_type;
	/* subscription (dialog) */
	lp_str_t *watcher_uri;
	lp_str_t call_id;
	lp_str_t to_tag;   /* the presence server's tag */
	lp_str_t from_tag; /* ours */
	int cseq;
	int version;
	lp_str_t *extra_headers;
	lp_str_t record_route;	 /* route set, in the order to send */
	lp_str_t remote_contact; /* remote target */
	lp_str_t contact;		 /* ours */
} ua_pres_t;

/* What pua's own callbacks and pua.list see beyond ua_pres_t: a view pua
 * allocates (never a caller's struct). A pua_cb registered by a module of
 * this tree may cast its ua_pres_t to pua_view_t only when
 * pua_view_of() says so. */
#define PUA_VIEW_MAGIC 0x70756176u /* "puav" */
typedef struct pua_view {
	ua_pres_t p; /* first member */
	unsigned int magic;
	int last_code;	/* the reply (or 408 timeout) that triggered the call;
					   0 for a NOTIFY */
	int subs_state; /* PUA_SUBS_* of the last NOTIFY (subscriptions) */
	int is_subs;	/* 1 subscription, 0 publication */
} pua_view_t;

#define PUA_SUBS_NONE 0
#define PUA_SUBS_PENDING 1
#define PUA_SUBS_ACTIVE 2
#define PUA_SUBS_TERMINATED 3

/* A list of strings (rls/list.h): get_subs_list's answer. */
typedef struct list_entry {
	lp_str_t *strng;
	struct list_entry *next;
} list_entry_t;

/* Process the body of a PUBLISH before it is sent (registered by
 * add_event). *final_body: set to a new body (lp_str_t and text each
 * allocated with the host's private allocator, freed by pua) or left NULL
 * to send publ->body as it is. ver: PUBLISHes sent for the record so far.
 * tuple: *tuple is the record's stored tuple id (NULL when it has none);
 * a function that invents one sets *tuple to a new lp_str_t (allocated as
 * final_body) which pua stores and frees. */
typedef int(evs_process_body_t)(struct publ_info *publ, lp_str_t **final_body,
		int ver, lp_str_t **tuple);

/* Called for the final reply of a request whose source_flag it was
 * registered for (hentity->flag & types); reply is NULL when tm timed out
 * or pua could not send. */
typedef int(pua_cb)(ua_pres_t *hentity, struct sip_msg *reply);

typedef int (*send_publish_t)(publ_info_t *publ);
typedef int (*send_subscribe_t)(subs_info_t *subs);
typedef int (*register_puacb_t)(int types, pua_cb f, void *param);
typedef int (*query_dialog_t)(ua_pres_t *presentity);
typedef int (*get_record_id_t)(ua_pres_t *dialog, lp_str_t **rec_id);
typedef int (*add_pua_event_t)(int ev_flag, char *name, char *content_type,
		evs_process_body_t *process_body);
typedef list_entry_t *(*get_subs_list_t)(lp_str_t *did);

typedef struct pua_api {
	send_subscribe_t send_subscribe;
	send_publish_t send_publish;
	register_puacb_t register_puacb;
	query_dialog_t is_dialog;
	get_record_id_t get_record_id;
	add_pua_event_t add_event;
	get_subs_list_t get_subs_list;
} pua_api_t;

typedef int (*bind_pua_t)(pua_api_t *api);

/* The pua_view_t behind h, or NULL when h is not one pua allocated. Only
 * for callbacks: h must point to memory of at least sizeof(pua_view_t),
 * which holds for every ua_pres_t a pua callback receives. */
static inline pua_view_t *pua_view_of(ua_pres_t *h)
{
	pua_view_t *v = (pua_view_t *)h;

	return (v && v->magic == PUA_VIEW_MAGIC) ? v : NULL;
}

#endif
