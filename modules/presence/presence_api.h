/* The presence module's API for other modules (presence_xml and any event
 * package): the event description pres_ev_t, the subscription subs_t handed
 * to event callbacks, and presence_api_t that bind_presence fills. Field
 * order follows the module documentation (seeds) so modules built against
 * that layout keep working; fields are only ever appended.
 *
 * Strings are lp_str_t, which has the layout of Kamailio's `str`. This
 * header needs no Kamailio header: struct sip_msg and struct event are only
 * passed through as pointers. */
#ifndef PRESENCE_API_H
#define PRESENCE_API_H

#include "lp_str.h"

struct sip_msg;
struct event;
struct subscription;

/* pres_ev_t.type */
#define PUBL_TYPE (1 << 0)	/* may be published (presence, dialog;sla) */
#define WINFO_TYPE (1 << 1) /* a watcher-info package (presence.winfo) */

/* subs_t.status, as stored in active_watchers.status / watchers.status */
#define ACTIVE_STATUS 1
#define PENDING_STATUS 2
#define TERMINATED_STATUS 3
#define WAITING_STATUS 4

/* mem_copy_subs mem_type */
#define PKG_MEM_TYPE (1 << 0) /* process-private copy (malloc) */
#define SHM_MEM_TYPE (1 << 1) /* shared copy (the installed lp allocator) */

typedef int(get_rules_doc_t)(lp_str_t *user, lp_str_t *domain, lp_str_t **rules_doc);
typedef int(is_allowed_t)(struct subscription *subs);
typedef int(apply_auth_t)(lp_str_t *body, struct subscription *subs, lp_str_t **final);
typedef lp_str_t *(agg_nbody_t)(lp_str_t *pres_user, lp_str_t *pres_domain,
		lp_str_t **body_array, int n, int off_index);
typedef int(publ_handling_t)(struct sip_msg *msg);
typedef int(subs_handling_t)(struct sip_msg *msg);
typedef void(free_body_t)(char *body);
typedef lp_str_t *(aux_body_processing_t)(struct subscription *subs, lp_str_t *body);

typedef struct pres_ev {
	lp_str_t name;		 /* "presence", "presence.winfo", "dialog;sla" */
	struct event *evp;	 /* parsed name (Kamailio's event_t); may be NULL */
	lp_str_t content_type; /* what PUBLISH must carry / NOTIFY sends */
	int default_expires;
	int type;		  /* PUBL_TYPE | WINFO_TYPE */
	int etag_not_new; /* 1: keep the ETag on refresh/modify */
	int req_auth;	  /* 1: ask get_auth_status / apply_auth_nbody */
	get_rules_doc_t *get_rules_doc;
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

/* One subscription (a SUBSCRIBE dialog). Strings of a stored subscription
 * live in the same block as the struct (see mem_copy_subs). */
typedef struct subscription {
	lp_str_t pres_uri; /* presentity, "sip:user@domain" */
	lp_str_t to_user, to_domain;
	lp_str_t from_user, from_domain; /* the watcher */
	lp_str_t watcher_user, watcher_domain;
	pres_ev_t *event;
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
	int status;				/* *_STATUS */
	lp_str_t reason;		/* with TERMINATED_STATUS: timeout, rejected ... */
	int version;			/* document version for per-watcher bodies */
	int send_on_cback;
	int db_flag;
	lp_str_t *auth_rules_doc;
	int internal_update_flag;
	int flags;
	lp_str_t user_agent;
	struct subscription *next;
} subs_t;

typedef struct shtable_cell *shtable_t; /* opaque subscription table */

typedef int (*add_event_t)(pres_ev_t *event);
typedef pres_ev_t *(*contains_event_t)(lp_str_t *name, struct event *parsed_event);
typedef pres_ev_t *(*search_event_t)(struct event *event);
typedef int (*get_event_list_t)(lp_str_t **ev_list);
typedef int (*update_watchers_t)(lp_str_t pres_uri, pres_ev_t *ev, lp_str_t *rules_doc);
typedef shtable_t (*new_shtable_t)(int hash_size);
typedef void (*destroy_shtable_t)(shtable_t htable, int hash_size);
typedef int (*insert_shtable_t)(shtable_t htable, unsigned int hash_code, subs_t *subs);
typedef subs_t *(*search_shtable_t)(shtable_t htable, lp_str_t callid,
		lp_str_t to_tag, lp_str_t from_tag, unsigned int hash_code);
typedef int (*delete_shtable_t)(shtable_t htable, unsigned int hash_code, subs_t *subs);
typedef int (*update_shtable_t)(shtable_t htable, unsigned int hash_code,
		subs_t *subs, int type);
typedef subs_t *(*mem_copy_subs_t)(subs_t *s, int mem_type);
typedef int (*update_db_subs_t)(void *db_con, void *db_funcs, shtable_t hash_table,
		int htable_size, int no_lock, void *handler);
typedef int (*extract_sdialog_info_t)(subs_t *subs, struct sip_msg *msg,
		int max_expire, int *to_tag_gen, lp_str_t scontact, lp_str_t watcher_user,
		lp_str_t watcher_domain);
typedef char *(*pres_get_sphere_t)(lp_str_t *pres_uri);

typedef struct presence_api {
	add_event_t add_event;
	contains_event_t contains_event;
	search_event_t search_event;
	get_event_list_t get_event_list;
	update_watchers_t update_watchers_status;
	/* subscription hash table functions */
	new_shtable_t new_shtable;
	destroy_shtable_t destroy_shtable;
	insert_shtable_t insert_shtable;
	search_shtable_t search_shtable;
	delete_shtable_t delete_shtable;
	update_shtable_t update_shtable;
	mem_copy_subs_t mem_copy_subs;
	update_db_subs_t update_db_subs;
	extract_sdialog_info_t extract_sdialog_info;
	pres_get_sphere_t get_sphere;
} presence_api_t;

typedef int (*bind_presence_t)(presence_api_t *api);

#endif
