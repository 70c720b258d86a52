/* The pua module's host-neutral core: its one state struct (parameters,
 * the shared record table, the event and callback registries, the hooks
 * the glue installs), the stored record, and the plain structs that cross
 * the glue boundary: a request to send (pua_req_t), a reply or NOTIFY that
 * came back (pua_reply_t, pua_notify_t). The glue (pua_mod.c, pua_kam.c)
 * turns them into tm requests and SIP messages into them.
 *
 * Concurrency: every record lives in pua.table (shared memory) and is only
 * read or changed with its bucket lock held (pua_lock / pua_unlock). No
 * bucket lock is held while a request is sent, a callback runs or the DB
 * is used: the logic builds what it needs under the lock, releases it, then
 * acts. A change or removal under the lock only queues the key of its row
 * (process-private); the last pua_unlock of the process then writes each
 * queued row from a fresh copy of the record, under the DB lock of the
 * row's key (pua.db_locks: one writer per key at a time, so a row never
 * lags behind a newer state nor comes back after its removal). Lock order:
 * DB lock, then bucket lock, never the reverse; no lock is taken while a
 * DB transaction is open. */
#ifndef PUA_LOGIC_H
#define PUA_LOGIC_H

#include "lp_db.h"
#include "lp_hash.h"
#include "pua_api.h"

typedef struct pua_cfg {
	int hash_size;
	char *db_url; /* NULL: nothing is stored */
	char *db_table;
	int min_expires;
	int default_expires;
	int update_period;
	char *outbound_proxy;
	int dlginfo_increase_version;
	int reginfo_increase_version;
	int db_mode; /* 0 memory (+ saved), 2 DB only */
	int db_table_lock_write;
	int check_remote_contact;
	int fetch_rows;
} pua_cfg_t;

#define PUA_CFG_DEFAULTS                                                     \
	{                                                                        \
		.hash_size = 9, .db_url = NULL, .db_table = "pua", .min_expires = 0, \
		.default_expires = 3600, .update_period = 100,                       \
		.outbound_proxy = NULL, .dlginfo_increase_version = 0,               \
		.reginfo_increase_version = 0, .db_mode = 0,                         \
		.db_table_lock_write = 1, .check_remote_contact = 1,                 \
		.fetch_rows = 500                                                    \
	}

#define PUA_DB_MEMORY 0
#define PUA_DB_ONLY 2

/* A registered event (add_event). */
typedef struct pua_event {
	int flag;
	lp_str_t name;		   /* Event header value */
	lp_str_t content_type; /* default of PUBLISH bodies; empty for winfo */
	evs_process_body_t *process_body;
	int foreign; /* registered through the API: what process_body
					allocates is freed with pua.foreign_free */
	struct pua_event *next;
} pua_event_t;

/* A registered callback (register_puacb). */
typedef struct pua_cbk {
	int types;
	pua_cb *f;
	void *param;
	struct pua_cbk *next;
} pua_cbk_t;

/* What a record is and what its outstanding request does. */
enum pua_kind { PUA_PUBL = 1, PUA_SUBS = 2 };
enum pua_req_kind {
	PUA_RK_NONE = 0,
	PUA_RK_INITIAL, /* PUBLISH with body, no If-Match / initial SUBSCRIBE */
	PUA_RK_REFRESH, /* PUBLISH with If-Match, no body / SUBSCRIBE refresh */
	PUA_RK_MODIFY,	/* PUBLISH with If-Match and a body */
	PUA_RK_REMOVE,	/* Expires: 0 */
};
/* record.db_state (db_mode 0: what the next save must do) */
enum pua_db_state { PUA_DB_CLEAN = 0, PUA_DB_DIRTY = 1, PUA_DB_SAVING = 2 };

/* An update of a publication that waits for the outstanding PUBLISH to be
 * answered (one lp_malloc block). */
typedef struct pua_upd {
	struct pua_upd *next;
	int expires;	 /* seconds, 0 removes */
	int has_body;	 /* 0: refresh */
	void *cb_param;	 /* publ_info_t.cb_param of the update */
	lp_str_t body;	 /* inside the block */
	lp_str_t ctype;	 /* inside the block; may be empty */
	lp_str_t extra;	 /* inside the block; may be empty */
} pua_upd_t;

#define PUA_QUEUE_MAX 64 /* beyond: the newest queued update is replaced */

/* A stored publication or subscription, in pua.table by hash(pres_uri).
 * Every string is its own lp_malloc block owned by the record (they change
 * independently); pua_rec_free releases all. */
typedef struct pua_rec {
	lp_hentry_t h; /* first member */
	unsigned long long serial; /* identifies the record in reply tokens */
	int kind;	   /* PUA_PUBL / PUA_SUBS */
	int event;	   /* event flag */
	int source_flag;
	unsigned int expires;		  /* absolute: granted end, 0 none yet */
	unsigned int desired_expires; /* absolute: end the owner asked for */
	unsigned int granted;		  /* last granted interval (seconds) */
	/* the outstanding request, if any */
	int req_kind;	   /* PUA_RK_*, NONE when idle */
	unsigned int req_no; /* number of the last request sent */
	int req_expires;   /* its Expires */
	int retries;	   /* 412/423 re-sends for the current update */
	int fails;		   /* refreshes in a row answered 408 / 480 / 5xx */
	unsigned int retry_at; /* absolute: no refresh before it (after a fail) */
	int last_code;
	int version;	   /* PUBLISHes sent (body version counter) */
	int subs_state;	   /* PUA_SUBS_* of the last NOTIFY */
	unsigned int cseq; /* subscriptions: last local CSeq used */
	int db_state;
	int unsub_pending; /* subscription end asked while a request was out */
	int notifies;	   /* NOTIFYs received in the dialog */
	pua_upd_t *queue;
	int queued;
	void *cb_param;
	lp_str_t pres_uri, id, watcher_uri, etag, tuple_id, body, content_type,
			extra_headers, outbound_proxy, call_id, from_tag, to_tag,
			record_route, remote_contact, contact;
} pua_rec_t;

/* A request for the glue to send (one malloc block, private to the
 * process; the caller of pua.send frees it). */
typedef struct pua_req {
	int kind;		/* PUA_PUBL / PUA_SUBS */
	int in_dialog;	/* SUBSCRIBE: 1 once the dialog has a To tag */
	lp_str_t ruri, to_uri, from_uri;
	lp_str_t headers; /* every extra header line, each ending in CRLF */
	lp_str_t body;	  /* {NULL,0}: none */
	lp_str_t next_hop;	/* outbound proxy; may be empty */
	/* SUBSCRIBE dialog */
	lp_str_t call_id, from_tag, to_tag, route_set;
	unsigned int cseq;
	/* token the reply comes back with */
	lp_str_t pres_uri;
	unsigned long long serial;
	unsigned int req_no;
} pua_req_t;

/* A final reply to a request pua sent (strings point into the message). */
typedef struct pua_reply {
	lp_str_t pres_uri;
	unsigned long long serial;
	unsigned int req_no;
	int code;			/* 408 when tm timed out */
	lp_str_t etag;		/* SIP-ETag */
	int expires;		/* Expires header, -1 absent */
	int min_expires;	/* Min-Expires header, -1 absent */
	int retry_after;	/* Retry-After seconds, 0 absent */
	lp_str_t to_tag;	/* SUBSCRIBE */
	lp_str_t contact;	/* SUBSCRIBE 2xx: remote target */
	lp_str_t record_route; /* Record-Route values joined by ',' as received */
	struct sip_msg *msg;   /* for callbacks; NULL on timeout */
} pua_reply_t;

/* A NOTIFY received (strings point into the message). */
typedef struct pua_notify {
	lp_str_t pres_uri; /* From URI */
	lp_str_t call_id;
	lp_str_t from_tag; /* the server's tag (our To tag) */
	lp_str_t to_tag;   /* ours (our From tag) */
	lp_str_t contact;
	lp_str_t record_route;	 /* as received */
	lp_str_t subs_state;	 /* Subscription-State value */
	struct sip_msg *msg;
} pua_notify_t;

typedef int (*pua_send_f)(const pua_req_t *req);

typedef struct pua_state {
	pua_cfg_t cfg;
	lp_htable_t *table; /* pua_rec_t by hash(pres_uri) */
	pua_event_t *events;
	pua_cbk_t *cbks;
	void **db_locks;		 /* shared: serialise DB I/O per key */
	unsigned int n_db_locks; /* a power of two */
	int alone; /* shutdown: the other processes are gone; a lock one of
				  them died holding must not hang the final save */
	lp_db_t *db;	 /* this process's connection, or NULL */
	int db_pid;		 /* process that opened db */
	char *sql[9];	 /* statements for cfg.db_table, see pua_db.c */
	pua_send_f send; /* glue: hand a request to tm */
	unsigned int (*now)(void);
	/* the allocator of modules built for Kamailio (pkg memory in
	   Kamailio, malloc in tests): what a foreign process_body returns is
	   freed with foreign_free; get_record_id and get_subs_list answer
	   in foreign_alloc memory, which their callers free */
	void *(*foreign_alloc)(size_t size);
	void (*foreign_free)(void *ptr);
} pua_state_t;

extern pua_state_t pua;

void pua_cfg_defaults(pua_cfg_t *cfg);

/* Start-up check of the parameters, as Kamailio's pua treats them: a
 * db_mode other than 0 or 2 (1 is reserved) is logged and replaced by 0
 * (the module still starts); db_mode 2 without db_url, a negative
 * min_expires or a default_expires <= 0 are errors. Returns 0 when cfg is
 * usable as is, 1 when it was adjusted, -1 on an error (both logged). */
int pua_cfg_check(pua_cfg_t *cfg);

/* ---- records (pua_rec.c) ---- */

/* New empty record of `kind` for pres_uri (lp_malloc), not linked; NULL on
 * failure. */
pua_rec_t *pua_rec_new(int kind, const lp_str_t *pres_uri);
/* Free a record, its strings and its queue. */
void pua_rec_free(pua_rec_t *r);
void pua_rec_free_entry(lp_hentry_t *e);
/* Replace field *f with a copy of v (NULL or empty clears it). 0 / -1; on
 * error *f is unchanged. */
int pua_rec_set(lp_str_t *f, const lp_str_t *v);
unsigned int pua_hash(const lp_str_t *pres_uri);

/* Lookups; the bucket lock of hash(pres_uri) must be held. */
pua_rec_t *pua_find_publ(const lp_str_t *pres_uri, const lp_str_t *id, int event);
pua_rec_t *pua_find_subs(const lp_str_t *pres_uri, const lp_str_t *watcher,
		const lp_str_t *id, int event);
pua_rec_t *pua_find_serial(const lp_str_t *pres_uri, unsigned long long serial);
/* The subscription of a dialog: Call-ID, our tag, and the server's tag when
 * both sides have one (a record without a To tag yet matches any). With
 * contact non-NULL the remote target must equal it too. */
pua_rec_t *pua_find_dialog(const lp_str_t *pres_uri, const lp_str_t *call_id,
		const lp_str_t *our_tag, const lp_str_t *their_tag,
		const lp_str_t *contact);
/* Link / unlink (lock held). Unlink does not free. */
/* Bucket locks of pua.table. pua_unlock releases the lock and, when it was
 * the last bucket lock this process held, does the DB I/O the changes made
 * under it queued (pua_db_flush). Never call either while a DB lock is
 * held by the same path (pua_db.c takes its bucket locks directly). */
void pua_lock(unsigned int slot);
void pua_unlock(unsigned int slot);
/* Private copy of r for DB I/O: one malloc block (free() releases it),
 * every string but the body copied, not linked, no queue. NULL on
 * failure. Lock of r held. */
pua_rec_t *pua_rec_snapshot(const pua_rec_t *r);
void pua_rec_link(pua_rec_t *r);
void pua_rec_unlink(pua_rec_t *r);

/* Single-block private (malloc) view of r for callbacks (Kamailio's
 * ua_pres_t, then our extras); NULL on failure; free() releases it. */
pua_view_t *pua_rec_view(const pua_rec_t *r);

/* New serial for a record (unique across the processes of the host). */
unsigned long long pua_new_serial(void);
/* Fresh unguessable token (Call-ID, tag, tuple id) into buf: prefix then
 * 128 bits from the kernel's CSPRNG as 32 lowercase hex characters.
 * Returns its length, or -1 when it does not fit or no randomness is
 * available (logged). */
int pua_new_token(char *buf, int size, const char *prefix);

/* Queue (lock held). */
int pua_queue_push(pua_rec_t *r, int expires, const lp_str_t *body,
		const lp_str_t *ctype, const lp_str_t *extra, void *cb_param);
pua_upd_t *pua_queue_pop(pua_rec_t *r); /* caller lp_frees it */

/* ---- registries (pua_event.c) ---- */
int pua_add_event(int ev_flag, char *name, char *content_type,
		evs_process_body_t *process_body);
/* add_event of the API: as pua_add_event, for a module built against
 * Kamailio's headers. An event pua registered itself keeps its own body
 * processing and default content type when the call gives none. */
int pua_add_event_foreign(int ev_flag, char *name, char *content_type,
		evs_process_body_t *process_body);
const pua_event_t *pua_event_get(int flag);
const pua_event_t *pua_event_by_name(const lp_str_t *name);
void pua_events_free(void);
int pua_register_cb(int types, pua_cb *f, void *param);
void pua_cbks_free(void);
/* Run the callbacks registered for r's source flag with a private view of
 * r (no lock may be held). */
/* A private view of r when some callback wants r's source flag, else
 * NULL (made under the lock, run after it is released). */
pua_view_t *pua_cb_view(const pua_rec_t *r);
/* Run the callbacks for a view from pua_cb_view and free it (NULL: none).
 * No lock may be held. */
void pua_run_callbacks_view(pua_view_t *v, struct sip_msg *msg);
/* The same without freeing v. */
void pua_run_callbacks(pua_view_t *v, struct sip_msg *msg);

/* ---- publications (pua_publ.c) ---- */

/* send_publish of the API: store / update the publication and send (or
 * queue) the PUBLISH. 0 on success (sent or queued), negative on error
 * (-1 bad arguments or unknown record for an update, -2 out of memory, -3
 * the send failed). */
int pua_send_publish(publ_info_t *publ);
/* A final reply to a PUBLISH. */
void pua_publ_reply(const pua_reply_t *rep);

/* ---- subscriptions (pua_subs.c) ---- */
int pua_send_subscribe(subs_info_t *subs);
void pua_subs_reply(const pua_reply_t *rep);
/* A NOTIFY: 200 when it matched a dialog (state applied, callbacks run),
 * 481 otherwise. */
int pua_handle_notify(const pua_notify_t *n);
/* pua_update_contact(): the remote target of the NOTIFY's dialog becomes
 * its Contact. 0 when matched, -1 otherwise. */
int pua_update_contact(const pua_notify_t *n);
/* is_dialog of the API: 0 when p names a stored dialog, -1 otherwise.
 * Reads pres_uri, call_id, from_tag (ours), to_tag (the server's) and,
 * with check_remote_contact, remote_contact: fields of Kamailio's layout
 * only, as p may be a caller's stack struct. */
int pua_is_dialog(ua_pres_t *p);
/* get_record_id of the API: *rec_id = a copy of the id of the
 * subscription whose dialog p names (as is_dialog matches it), or NULL
 * when none. The copy is two pua.foreign_alloc blocks (the lp_str_t and
 * its text) the caller frees. 0, or -1 on bad arguments / no memory. */
int pua_get_record_id(ua_pres_t *p, lp_str_t **rec_id);
/* get_subs_list of the API: the presentity URIs of the subscriptions
 * whose id equals did (rls: the back-end subscriptions of one resource
 * list subscription), sorted and without duplicates, as rls/list.h
 * keeps them; every entry, its lp_str_t and text are pua.foreign_alloc
 * blocks the caller frees (rls: list_free). NULL when none. */
list_entry_t *pua_get_subs_list(lp_str_t *did);
/* Subscription-State value -> PUA_SUBS_* (or -1), *expires its expires
 * parameter (-1 absent). */
int pua_parse_subs_state(const lp_str_t *v, int *expires);

/* Dispatch a reply by the kind of the request (glue entry point). */
void pua_on_reply(const pua_reply_t *rep);

/* ---- requests (pua_req.c) ---- */

/* Build the request r's current state asks for (lock held): a PUBLISH
 * carrying body (NULL: none) with Expires `expires`, If-Match unless
 * initial; a SUBSCRIBE (initial or in-dialog) with Expires. Advances
 * r->req_no (and r->cseq for SUBSCRIBE). malloc block or NULL. */
pua_req_t *pua_req_publish(pua_rec_t *r, int kind, int expires, const lp_str_t *body);
pua_req_t *pua_req_subscribe(pua_rec_t *r, int expires);
/* Send (no lock held) and free req. Returns 0, or -1 when the glue could
 * not send it; the record is then answered as if with a 500 reply. */
int pua_req_send(pua_req_t *req);
/* Route set of a 2xx to a request we sent: the Record-Route values in
 * reverse order (RFC 3261 12.1.2), joined by ','. Writes into buf;
 * returns the length or -1 when it does not fit. */
int pua_rr_reverse(const lp_str_t *rr, char *buf, int size);

/* ---- timing (pua_timer.c) ---- */

/* Seconds before the granted expiry at which a refresh goes out. */
unsigned int pua_refresh_margin(unsigned int granted);
/* The Expires value for a request of a record that should live until
 * desired_expires (0 when its time is up). */
int pua_expires_for(const pua_rec_t *r);
/* Retry-After's delta-seconds (RFC 3261 s20.33; a comment or parameters
 * after it are ignored): 0 when there are none, at most a day. */
int pua_parse_retry_after(const lp_str_t *v);
/* A refresh answered 408, 480 or 5xx while its grant still runs (lock
 * held): the record stays, as RFC 3903 s4.1 / RFC 6665 s4.1.2.2 leave it
 * valid at the server until then, and the timer tries again after a
 * back-off (1, 2, 4 .. 32 s, or the reply's Retry-After when longer); a
 * record whose grant runs out is removed as any expired one. Returns 1
 * when kept, 0 when the error ends the record. */
int pua_refresh_failed(pua_rec_t *r, int kind, const pua_reply_t *rep);
/* A 2xx: the back-off of failed refreshes starts again (lock held). */
void pua_refresh_ok(pua_rec_t *r);
/* Normalise an Expires the owner asked for: <0 -> default_expires,
 * 0 < e < min_expires -> min_expires. */
int pua_norm_expires(int e);
/* Every second: send refreshes that are due, drop records whose desired
 * time is over or whose grant ran out. Returns the number of requests
 * sent. */
int pua_timer_refresh(void);
/* update_period / pua.cleanup: remove expired records (and their rows).
 * Returns how many were removed. */
int pua_cleanup(void);
/* The update_period timer: pua_cleanup, then every dirty record written
 * (pua_db_save): the periodic save of db_mode 0, and in db_mode 2 the
 * retry of a write that failed. No lock may be held. Returns what
 * pua_cleanup returns. */
int pua_timer_update(void);

/* ---- body versions (pua_xml.c) ---- */

/* Set the `version` attribute of the root element of a dialog-info
 * (RFC 4235) or reginfo (RFC 3680) document to `version`. Returns a new
 * malloc'd body in *out (caller frees out->s), or -1 when the body is not
 * such a document (it is then sent unchanged). DOCTYPE is refused, no
 * entity is expanded, nothing is fetched. */
int pua_xml_set_version(const lp_str_t *body, const char *root, int version,
		lp_str_t *out);
/* process_body of PRESENCE_EVENT: every <tuple> of a PIDF body that has no
 * id gets one: *tuple (the publication's stored id) when set, else a new
 * one, handed back in *tuple (lp_malloc'd lp_str_t and text) for pua to
 * store. *final_body: the rewritten body (lp_malloc'd lp_str_t and text),
 * or NULL when nothing changed or the body is not PIDF (sent as it is).
 * 0, or -1 on allocation failure. */
int pua_pidf_process_body(struct publ_info *publ, lp_str_t **final_body,
		int ver, lp_str_t **tuple);

/* ---- storage (pua_db.c) ---- */

/* Build the SQL statements for cfg.db_table; -1 if it is not a plain
 * identifier. */
int pua_db_init(void);
void pua_db_free(void);
/* The process's connection, opened on first use; NULL without db_url or on
 * error. */
lp_db_t *pua_db(void);
/* Check the table version (7). */
int pua_db_check(void);
/* Load every unexpired row into the table (start-up, db_mode 0). Returns
 * the number loaded or -1. */
int pua_db_load(void);
/* The DB locks (pua.db_locks, 2^power of them, lp_lock_new: shared memory
 * inside Kamailio, so create them before the workers fork). 0 or -1. */
int pua_db_locks_new(int power);
void pua_db_locks_free(void);
/* Write r's row now (insert or update) / delete it. 0 or -1. r must be a
 * private copy (pua_rec_snapshot) or otherwise unreachable by others: no
 * bucket lock may be held. */
int pua_db_write(const pua_rec_t *r);
int pua_db_delete(const pua_rec_t *r);
/* Write every changed (dirty) record: db_mode 0's save (update_period,
 * shutdown), db_mode 2's retry of failed writes (update_period); each
 * row on its own (a row the DB refuses is skipped, kept dirty for the next
 * save and logged once per save). No lock held. Returns rows written, or
 * -1 without a DB. */
int pua_db_save(void);
/* db_mode 2: the row of (pres_uri, id, event, watcher) / of a dialog, read
 * into a new unlinked record (lp_malloc, freed with pua_rec_free), or NULL
 * when there is none, it expired, or on error. No lock may be held. */
pua_rec_t *pua_db_read(int kind, const lp_str_t *pres_uri, const lp_str_t *id,
		int event, const lp_str_t *watcher);
pua_rec_t *pua_db_read_dialog(const lp_str_t *call_id, const lp_str_t *from_tag);
/* db_mode 2: r (lock held) takes the state of row (from pua_db_read) when
 * another instance refreshed or modified it meanwhile. 1 when it did, 0
 * otherwise (also when row is NULL). */
int pua_rec_adopt(pua_rec_t *r, const pua_rec_t *row);
/* db_mode 2, before a timer refresh of r (a private copy; no lock held):
 * set the row's cseq to `cseq` if it still is `seen`, the value read
 * before. 1 when this instance won the refresh, 0 when another instance
 * changed the row meanwhile (it refreshes; this one must not), -1 on a DB
 * error. */
int pua_db_claim(const pua_rec_t *r, unsigned int seen, unsigned int cseq);
/* A record changed: db_mode 2 queues its row for writing at the process's
 * last pua_unlock, db_mode 0 marks it for the next save. Lock held. */
void pua_db_changed(pua_rec_t *r);
/* A record is going away (before it is unlinked): its row is queued for
 * deletion at the process's last pua_unlock (both modes). Lock held. */
void pua_db_removed(pua_rec_t *r);
/* Do the queued DB I/O (pua_unlock calls it, and pua_db_save); a deletion
 * the DB refused is kept (at most 1024 per process) and tried again first
 * at the process's next flush, in order until one fails. No lock may be
 * held. */
void pua_db_flush(void);
/* Remove rows whose expires passed (update_period). */
int pua_db_clean(void);

#endif
