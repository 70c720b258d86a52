/* The presence module's one state struct: its configuration (module
 * parameters), the shared tables, the event registry and the hooks the glue
 * installs. Host-neutral: the logic files and the unit tests use it without
 * Kamailio. */
#ifndef PRES_STATE_H
#define PRES_STATE_H

#include "lp_db.h"
#include "lp_event.h"
#include "lp_hash.h"
#include "presence_api.h"

/* subs_db_mode */
#define PRES_SUBS_DB_NONE 0	   /* memory only, nothing written */
#define PRES_SUBS_DB_THROUGH 1 /* memory, each change written at once */
#define PRES_SUBS_DB_BACK 2	   /* memory, written every db_update_period */
#define PRES_SUBS_DB_ONLY 3	   /* DB only: several instances share it */

typedef struct pres_cfg {
	char *db_url; /* NULL: library mode, only the API is served */
	char *presentity_table;
	char *active_watchers_table;
	char *watchers_table;
	int clean_period;
	int db_update_period;
	char *to_tag_pref;
	int expires_offset;
	int max_expires;
	int min_expires;
	char *server_address;
	int fallback2db;
	int subs_htable_size;
	int pres_htable_size;
	int enable_sphere_check;
	int timeout_rm_subs;
	int subs_db_mode; /* PRES_SUBS_DB_*: where subscriptions live */
	int publ_cache;	  /* 1: publications cached in memory; 0: DB only */
	/* accepted for old configs: */
	int force_active;  /* belongs to presence_xml; see doc/presence.md */
	int lock_set_size; /* replaced by one lock per hash bucket */
	int totag_avpid;   /* to-tags come from to_tag_pref instead */
} pres_cfg_t;

/* A NOTIFY to send: everything the glue needs to build it inside the
 * subscription's dialog. Owned by whoever holds it; pres_notify_free
 * releases it and all it points to (malloc'd). */
typedef struct pres_notify {
	subs_t *subs;	  /* private copy (pres_subs_dup, not shared) */
	lp_str_t headers; /* Event, Contact, Subscription-State, Content-Type */
	lp_str_t body;	  /* {NULL,0}: no body */
} pres_notify_t;

typedef int (*pres_send_notify_f)(const pres_notify_t *n);

typedef struct pres_state {
	pres_cfg_t cfg;
	lp_event_registry_t events; /* lp_event_t.data is the pres_ev_t */
	lp_htable_t *pubs;			/* pres_pub_t by hash(pres_uri) */
	lp_htable_t *subs;			/* pres_srec_t by hash(pres_uri) */
	lp_db_t *db;				/* this process's connection, or NULL */
	pres_send_notify_f send_notify;
	unsigned int (*now)(void);	/* seconds; time(NULL) unless a test sets it */
	/* Frees the lp_str_t struct (not its s) that an event's agg_nbody,
	 * apply_auth_nbody or aux_body_processing returned: Kamailio's
	 * pkg_free in the glue, free() when NULL (tests). */
	void (*str_free)(void *p);
	int pid;					/* this process, for unique tags */
} pres_state_t;

extern pres_state_t pres;

/* Defaults of every parameter (as the documentation gives them); a static
 * initializer because Kamailio sets module parameters before mod_init. */
#define PRES_CFG_DEFAULTS                                                   \
	{                                                                       \
		.db_url = NULL, .presentity_table = "presentity",                   \
		.active_watchers_table = "active_watchers",                         \
		.watchers_table = "watchers", .clean_period = 100,                  \
		.db_update_period = 100, .to_tag_pref = "10", .expires_offset = 0,  \
		.max_expires = 3600, .min_expires = 0, .server_address = NULL,      \
		.fallback2db = 0, .subs_htable_size = 9, .pres_htable_size = 9,     \
		.enable_sphere_check = 0, .timeout_rm_subs = 1, .force_active = 0,  \
		.lock_set_size = 4, .totag_avpid = 0, .subs_db_mode = 2,            \
		.publ_cache = 1                                                     \
	}
void pres_cfg_defaults(pres_cfg_t *cfg);

#endif
