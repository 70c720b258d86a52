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
#include "presence_ext.h"

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
	/* Kamailio 5.6's other parameters (doc/presence.md says which ones
	 * tune a mechanism ours does not have) */
	int cseq_offset;		/* in-dialog SUBSCRIBE CSeq may be this much lower */
	int waitn_time;			/* notifier processes: not ours */
	int notifier_poll_rate; /* notifier processes: not ours */
	int notifier_processes; /* notifier processes: not ours */
	int force_delete;		/* expired publications removed without NOTIFY */
	int startup_mode;		/* Kamailio's start-up compatibility: not ours */
	int min_expires_action; /* 1: 423 below min_expires; 2: raise to it */
	int send_fast_notify;	/* 0: no NOTIFY without a body after SUBSCRIBE */
	int fetch_rows;			/* rows per step when loading the tables */
	int db_table_lock_type; /* table locks: ours uses transactions */
	int local_log_level;	/* level of the per-request reject messages */
	int subs_remove_match;	/* 0: remove by To tag; 1: by the whole dialog */
	int retrieve_order;		/* 0: publications by received time; 1: by
							   retrieve_order_by */
	char *retrieve_order_by;
	int sip_uri_match;		/* 0: URIs compared case-sensitively; 1: not */
	int enable_dmq;			/* DMQ replication (the master switch) */
	int pres_dmq;			/* with enable_dmq: publications replicated */
	int subs_dmq;			/* with enable_dmq: subscriptions replicated */
	int skip_notify_dmq;	/* 1: no NOTIFY for a replicated publication */
	char *default_socket;	/* replicated subscriptions' socket, or NULL */
	int pres_subs_mode;		/* 0: $subs(...) is $null */
	int delete_same_subs;	/* 1: a new subscription replaces the others of
							   the same presentity and Call-ID */
	int timer_mode;			/* 0: core main timer; 1: secondary timer */
	int subs_respond_200;	/* 1: 200 OK to SUBSCRIBE (RFC 6665); 0: 202 */
	/* limits on unauthenticated state (pres_limits.h; 0: no limit) */
	int max_contact_len;	  /* bytes, at most the column's 255 */
	int max_user_agent_len;	  /* bytes, at most the column's 255 */
	int max_record_route_len; /* bytes of the joined Record-Route values */
	int max_publications_per_presentity; /* per event, without If-Match */
	int max_subscriptions_per_watcher;	 /* memory modes */
	int shm_min_free_percent; /* new state refused (503) below this */
	int shm_retry_after;	  /* Retry-After of that 503, seconds */
	/* DB writes behind the request: the DB writer process (pres_dbq.h) */
	int db_write_interval;	  /* ms between writes; 0: written by the
								 worker, synchronously */
	int db_queue_size;		  /* changes waiting at most (then 503) */
	int db_queue_retry_after; /* Retry-After of that 503, seconds */
	/* NOTIFY sender processes (pres_fanq.h; 0: the worker sends) */
	int fanout_processes;
	int fanout_queue_size; /* NOTIFYs waiting at most, all senders */
	int shm_hugepages; /* 1: huge pages asked for the shm pool at start-up
						  (lp_hugepage.h) */
	int shm_prefault; /* MB of the shm pool populated at start-up and in
						 every process (lp_pool_populate; 0: none) */
	/* overload: new state refused (503) while the receiving socket's queue
	 * is this full (pres_limits_load; 0: never) */
	int overload_queue_percent;
	int overload_retry_after; /* Retry-After of that 503, seconds */
	int body_cache; /* presentity documents kept per process between
					   NOTIFYs (pres_aggcache.h; 0: none) */
} pres_cfg_t;

/* The receive queue of the socket a request came in on, as the glue read
 * it (SO_MEMINFO) for pres_limits_load. known 0: not read (not UDP,
 * overload_queue_percent 0, or the kernel would not say). */
typedef struct pres_rxq {
	int known;
	int pct;			/* the waiting datagrams' memory against the
						   socket's receive buffer, percent */
	unsigned int bytes; /* that memory */
	unsigned int drops; /* datagrams the kernel dropped on the socket
						   since it was opened (a full queue) */
	unsigned int msgs;	/* SIP messages this process has taken in so far
						   (0: not counted) */
	int readers;		/* processes reading the socket (0: unknown) */
} pres_rxq_t;

/* A NOTIFY to send: everything the glue needs to build it inside the
 * subscription's dialog. Owned by whoever holds it; pres_notify_free
 * releases it and all it points to (malloc'd). */
typedef struct pres_notify {
	subs_t *subs;	  /* private copy (pres_subs_dup, not shared) */
	lp_str_t headers; /* Event, Contact, Subscription-State, Content-Type */
	lp_str_t body;	  /* {NULL,0}: no body */
	int body_shared;  /* 1: body belongs to the fan-out's body cache
						 (pres_bodycache.h), not to this NOTIFY */
} pres_notify_t;

typedef int (*pres_send_notify_f)(const pres_notify_t *n);

typedef struct pres_state {
	pres_cfg_t cfg;
	lp_event_registry_t events; /* lp_event_t.data is the pres_ev_t */
	lp_htable_t *pubs;			/* pres_pub_t by hash(pres_uri) */
	lp_htable_t *subs;			/* pres_srec_t by hash(pres_uri) */
	lp_htable_t *wcount;		/* subscriptions per watcher (pres_limits.c) */
	lp_htable_t *dlgs;			/* the same records by hash(to_tag); lock
								   order: a subs bucket, then a dlgs one */
	/* locks only, no entries: the fan-out lock of a presentity (slot of
	 * hash(pres_uri)), held from reading its state to the last NOTIFY
	 * sent (pres_notify.c), so the fan-outs of one presentity never
	 * interleave. Taken before any other lock. NULL: not serialized. */
	lp_htable_t *fanout;
	/* shared (lp_malloc): set to 1, for good, once a subscription to a
	 * WINFO_TYPE event is stored in memory. Until then a watcher's change
	 * does not look for winfo subscribers (pres_winfo.c), which costs a
	 * walk of the presentity's whole bucket. NULL: always look. */
	volatile int *winfo_seen;
	/* shared: keys of ended subscriptions whose DELETE failed, retried by
	 * every flush (pres_subs_pend.h); NULL in subs_db_mode 0 and 3 */
	struct pres_pend *pend;
	lp_db_t *db;				/* this process's connection, or NULL */
	pres_send_notify_f send_notify;
	/* called with 1 before a fan-out and 0 after it, nested
	 * (pres_fanout_listen, presence_ext.h), in the order added: the glue
	 * holds the NOTIFYs' log lines back until the outermost close
	 * (pres_nlog_kam.h); presence_xml keeps the pres-rules it reads. */
	pres_fanout_fn fanout_hooks[PRES_FANOUT_HOOKS];
	int fanout_nhooks;
	unsigned int (*now)(void);	/* seconds; time(NULL) unless a test sets it */
	/* Frees the lp_str_t struct (not its s) that an event's agg_nbody,
	 * apply_auth_nbody or aux_body_processing returned: Kamailio's
	 * pkg_free in the glue, free() when NULL (tests). */
	void (*str_free)(void *p);
	int pid;					/* this process, for unique tags */
	/* pres_limits_load, this process: the second its measuring interval
	 * began (0: none yet), and the socket's drop count and this process's
	 * message count then; the last second of the last interval that lost
	 * PRES_RXQ_LOSS percent (0: never); the weight of the run of such
	 * intervals that ends there (pres_limits.c, loss_weight); the last
	 * second it refused a request (0: never) */
	unsigned int rxq_sec, rxq_drops, rxq_msgs;
	unsigned int rxq_drop_at, rxq_drop_run, rxq_over_at;
	/* shared: the memory of requests pres_limits_early refused
	 * (PRES_REFUSED_SLOTS words, pres_limits.h); NULL: none kept */
	uint64_t *refused;
	/* DB changes waiting for the DB writer (pres_dbq.h); NULL:
	 * written synchronously */
	struct lp_wq *dbq;
	/* NOTIFYs waiting for the sender processes (pres_fanq.h); NULL: every
	 * NOTIFY is sent by the process that makes it */
	struct pres_fanq *fanq;
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
		.publ_cache = 1, .cseq_offset = 0, .waitn_time = 5,                 \
		.notifier_poll_rate = 10, .notifier_processes = 1,                  \
		.force_delete = 0, .startup_mode = 1, .min_expires_action = 1,      \
		.send_fast_notify = 1, .fetch_rows = 500, .db_table_lock_type = 1,  \
		.local_log_level = 2, .subs_remove_match = 0, .retrieve_order = 0,  \
		.retrieve_order_by = "priority", .sip_uri_match = 0,                \
		.enable_dmq = 0, .pres_dmq = 1, .pres_subs_mode = 1, .delete_same_subs = 0,        \
		.timer_mode = 1, .subs_respond_200 = 1, .max_contact_len = 255,     \
		.max_user_agent_len = 255, .max_record_route_len = 4096,            \
		.max_publications_per_presentity = 64,                              \
		.max_subscriptions_per_watcher = 1000, .shm_min_free_percent = 10,  \
		.shm_retry_after = 30, .db_write_interval = 100,                    \
		.db_queue_size = 10000, .db_queue_retry_after = 5,                  \
		.fanout_processes = 0, .fanout_queue_size = 100000,                 \
		.shm_hugepages = 1, .overload_queue_percent = 70,                   \
		.overload_retry_after = 5, .body_cache = 256                        \
	}
void pres_cfg_defaults(pres_cfg_t *cfg);

#endif
