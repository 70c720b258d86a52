/* The presence module's binary API for event packages and other consumers
 * (presence_xml, and Debian's presence_dialoginfo, presence_mwi,
 * presence_reginfo, presence_profile, rls): the event description
 * pres_ev_t, the subscription subs_t, the subscription hash table shtable_t
 * and presence_api_t, which bind_presence fills.
 *
 * Those modules are compiled against Kamailio 5.6's presence headers, so
 * every type here has exactly the size, field order, field offsets and
 * constant values of Kamailio 5.6.3's (test/abi pins it: a probe built
 * against the Kamailio tree and the unit test check_abi_presence.c). The
 * names and comments are ours.
 *
 * This header needs no Kamailio header: strings are lp_str_t (the layout of
 * Kamailio's `str`), Kamailio's flag_t is unsigned int, the DB handles and
 * parsed SIP structures are only passed through as pointers, and the lock of
 * a hash-table slot is reserved as pres_gen_lock_t, the size and alignment
 * of gen_lock_t in the configured tree (FAST_LOCK with USE_FUTEX: one int). */
#ifndef PRESENCE_API_H
#define PRESENCE_API_H

#include "lp_str.h"

struct sip_msg;
struct event;
struct subscription;
struct pres_ev;

/* pres_ev_t.type bits */
#define WINFO_TYPE (1 << 0) /* a watcher-info package (X.winfo) */
#define PUBL_TYPE (1 << 1)	/* the package may be PUBLISHed */

/* subs_t.status, as stored in active_watchers.status / watchers.status */
#define ACTIVE_STATUS 1
#define PENDING_STATUS 2
#define TERMINATED_STATUS 3
#define WAITING_STATUS 4
/* pres_auth_status only: allowed, but shown a neutral ("polite") state */
#define POLITE_BLOCK_STATUS 5

/* subs_t.recv_event: the subscription was created by a received SUBSCRIBE */
#define PRES_SUBSCRIBE_RECV 1
/* subs_t.internal_update_flag */
#define INTERNAL_UPDATE_FALSE 0
#define INTERNAL_UPDATE_TRUE 1

/* subs_t.db_flag of records in a consumer's shtable (update_db_subs_timer) */
#define NO_UPDATEDB_FLAG (1 << 0) /* the row is up to date */
#define UPDATEDB_FLAG (1 << 1)	  /* update the row */
#define INSERTDB_FLAG (1 << 2)	  /* insert a new row */

/* update_shtable type bits */
#define REMOTE_TYPE (1 << 1) /* the watcher refreshed: expires, remote CSeq */
#define LOCAL_TYPE (1 << 2)	 /* we send a NOTIFY: next local CSeq, version */

/* mem_copy_subs mem_type: the copy is one block from pkg_malloc (freed with
 * pkg_free) or shm_malloc (freed with shm_free) */
#define PKG_MEM_TYPE (1 << 1)
#define SHM_MEM_TYPE (1 << 2)

/* ---- event packages ---- */

/* The rules document of user@domain into *rules_doc (allocated by the
 * package); 0, or <0 on error. */
typedef int(get_rules_doc_t)(lp_str_t *user, lp_str_t *domain, lp_str_t **rules_doc);
/* The same for a document stored under file_uri. */
typedef int(get_pidf_doc_t)(lp_str_t *user, lp_str_t *domain, lp_str_t *file_uri,
		lp_str_t **rules_doc);
/* Filter a NOTIFY body for one watcher by subs->auth_rules_doc. */
typedef int(apply_auth_t)(lp_str_t *body, struct subscription *subs, lp_str_t **final);
/* Set subs->status (and reason) from subs->auth_rules_doc; 0 or <0. */
typedef int(is_allowed_t)(struct subscription *subs);
/* One body out of the n published ones (off_index: the one to leave out,
 * -1 for none); freed with free_body (the str and its s). */
typedef lp_str_t *(agg_nbody_t)(lp_str_t *pres_user, lp_str_t *pres_domain,
		lp_str_t **body_array, int n, int off_index);
/* Package checks of a PUBLISH / SUBSCRIBE; <0 rejects the request. */
typedef int(publ_handling_t)(struct sip_msg *msg);
typedef int(subs_handling_t)(struct sip_msg *msg);
typedef void(free_body_t)(char *body);
/* The body for one watcher, or NULL to send `body` as it is; what it returns
 * is freed with aux_free_body (the str and its s). */
typedef lp_str_t *(aux_body_processing_t)(struct subscription *subs, lp_str_t *body);

typedef struct pres_ev {
	lp_str_t name;		 /* "presence", "presence.winfo", "dialog;sla" */
	struct event *evp;	 /* parsed name (Kamailio's event_t) */
	lp_str_t content_type; /* what a PUBLISH carries and a NOTIFY sends */
	unsigned int default_expires;
	int type;		  /* PUBL_TYPE | WINFO_TYPE */
	int etag_not_new; /* 1: keep the ETag on refresh/modify */
	int req_auth;	  /* 0: every watcher is accepted (active) */
	get_rules_doc_t *get_rules_doc;
	get_pidf_doc_t *get_pidf_doc;
	apply_auth_t *apply_auth_nbody;
	is_allowed_t *get_auth_status;
	agg_nbody_t *agg_nbody;
	publ_handling_t *evs_publ_handl;
	subs_handling_t *evs_subs_handl;
	free_body_t *free_body;
	aux_body_processing_t *aux_body_processing;
	free_body_t *aux_free_body;
	struct pres_ev *wipeer; /* presence <-> presence.winfo */
	struct pres_ev *next;
} pres_ev_t;

/* ---- subscriptions ---- */

/* One subscription (a SUBSCRIBE dialog). A stored copy is one block: the
 * struct followed by its strings (mem_copy_subs). */
typedef struct subscription {
	lp_str_t pres_uri; /* presentity, "sip:user@domain" */
	lp_str_t to_user;
	lp_str_t to_domain;
	lp_str_t from_user;
	lp_str_t from_domain;
	lp_str_t watcher_user; /* the watcher (From, or handle_subscribe's) */
	lp_str_t watcher_domain;
	struct pres_ev *event;
	lp_str_t event_id;
	lp_str_t to_tag; /* ours */
	lp_str_t from_tag;
	lp_str_t callid;
	lp_str_t sockinfo_str; /* "udp:127.0.0.1:5060": the socket it came on */
	unsigned int remote_cseq;
	unsigned int local_cseq;
	lp_str_t contact;		/* the watcher's Contact: remote target */
	lp_str_t local_contact; /* our Contact */
	lp_str_t record_route;	/* route set, Record-Route values joined by ',' */
	unsigned int expires;	/* absolute time (seconds since the epoch) */
	unsigned int status;	/* *_STATUS */
	lp_str_t reason;		/* with TERMINATED_STATUS: timeout, rejected ... */
	int version;			/* document version for per-watcher bodies */
	int send_on_cback;
	int db_flag; /* *DB_FLAG (consumer tables) */
	lp_str_t *auth_rules_doc;
	int recv_event; /* PRES_SUBSCRIBE_RECV */
	int internal_update_flag;
	int updated;
	int updated_winfo;
	unsigned int flags; /* Kamailio's flag_t */
	lp_str_t user_agent;
	struct subscription *next;
} subs_t;

/* gen_lock_t of the configured Kamailio tree, reserved (never touched by
 * this header's users except through lock_get/lock_release in glue). */
#define PRES_GEN_LOCK_SIZE 4
typedef struct pres_gen_lock {
	int reserved_[PRES_GEN_LOCK_SIZE / sizeof(int)];
} pres_gen_lock_t;

/* One slot of a subscription hash table: `entries` is a zeroed head record
 * whose `next` starts the slot's list; the consumer may walk it with `lock`
 * held. */
typedef struct subs_entry {
	struct subscription *entries;
	pres_gen_lock_t lock;
} subs_entry_t;

typedef subs_entry_t *shtable_t; /* array of hash_size slots */

/* update_db_subs_timer calls it for each expired record before removing it */
typedef int (*handle_expired_func_t)(subs_t *subs);

/* ---- presence_api_t ---- */

typedef int (*add_event_t)(pres_ev_t *event);
typedef pres_ev_t *(*contains_event_t)(lp_str_t *name, struct event *parsed_event);
typedef pres_ev_t *(*search_event_t)(struct event *event);
typedef int (*get_event_list_t)(lp_str_t **ev_list);
typedef int (*update_watchers_t)(lp_str_t *pres_uri, pres_ev_t *ev, lp_str_t *rules_doc);
typedef shtable_t (*new_shtable_t)(int hash_size);
typedef void (*destroy_shtable_t)(shtable_t htable, int hash_size);
typedef int (*insert_shtable_t)(shtable_t htable, unsigned int hash_code,
		struct subscription *subs);
typedef struct subscription *(*search_shtable_t)(shtable_t htable,
		lp_str_t callid, lp_str_t to_tag, lp_str_t from_tag,
		unsigned int hash_code);
typedef int (*delete_shtable_t)(shtable_t htable, unsigned int hash_code,
		struct subscription *subs);
typedef int (*update_shtable_t)(shtable_t htable, unsigned int hash_code,
		struct subscription *subs, int type);
typedef struct subscription *(*mem_copy_subs_t)(struct subscription *s, int mem_type);
/* db: Kamailio's db1_con_t *, dbf: its db_func_t * (the consumer's own) */
typedef void (*update_db_subs_t)(void *db, void *dbf, shtable_t hash_table,
		int htable_size, int no_lock, handle_expired_func_t handle_expired);
typedef int (*extract_sdialog_info_t)(subs_t *subs, struct sip_msg *msg,
		int max_expire, int *to_tag_gen, lp_str_t scontact,
		lp_str_t watcher_user, lp_str_t watcher_domain);
typedef char *(*pres_get_sphere_t)(lp_str_t *pres_uri);
typedef lp_str_t *(*pres_get_presentity_t)(lp_str_t pres_uri, pres_ev_t *ev,
		lp_str_t *etag, lp_str_t *contact);
typedef void (*pres_free_presentity_t)(lp_str_t *presentity, pres_ev_t *ev);
typedef int (*pres_auth_status_t)(struct sip_msg *msg, lp_str_t watcher_uri,
		lp_str_t presentity_uri);
typedef int (*pres_handle_publish_t)(struct sip_msg *msg, char *str1, char *str2);
typedef int (*pres_handle_subscribe0_t)(struct sip_msg *msg);
typedef int (*pres_handle_subscribe_t)(struct sip_msg *msg,
		lp_str_t watcher_user, lp_str_t watcher_domain);
typedef int (*pres_update_presentity_t)(lp_str_t *event, lp_str_t *realm,
		lp_str_t *user, lp_str_t *etag, lp_str_t *sender, lp_str_t *body,
		int expires, int new_t, int replace);
typedef int (*pres_refresh_watchers_t)(lp_str_t *pres, lp_str_t *event, int type);

typedef struct presence_api {
	add_event_t add_event;
	contains_event_t contains_event;
	search_event_t search_event;
	get_event_list_t get_event_list;
	update_watchers_t update_watchers_status;
	new_shtable_t new_shtable;
	destroy_shtable_t destroy_shtable;
	insert_shtable_t insert_shtable;
	search_shtable_t search_shtable;
	delete_shtable_t delete_shtable;
	update_shtable_t update_shtable;
	mem_copy_subs_t mem_copy_subs;
	update_db_subs_t update_db_subs_timer;
	extract_sdialog_info_t extract_sdialog_info;
	pres_get_sphere_t get_sphere;
	pres_get_presentity_t get_presentity;
	pres_free_presentity_t free_presentity;
	pres_auth_status_t pres_auth_status;
	pres_handle_publish_t handle_publish;
	pres_handle_subscribe0_t handle_subscribe0;
	pres_handle_subscribe_t handle_subscribe;
	pres_update_presentity_t update_presentity;
	pres_refresh_watchers_t pres_refresh_watchers;
} presence_api_t;

typedef int (*bind_presence_t)(presence_api_t *api);

#endif
