/* The SQL statements of the presence module, built once at start-up for the
 * configured table names (identifiers cannot be bound parameters; every
 * value is). */
#ifndef PRES_SQL_H
#define PRES_SQL_H

#include "lp_db.h"

typedef struct pres_sql {
	char *pub_insert, *pub_update, *pub_delete, *pub_by_etag, *pub_load,
			*pub_of_uri, *pub_expired, *pub_delete_expired;
	char *subs_upsert, *subs_delete, *subs_load, *subs_delete_expired;
	char *pub_expired_keys;
	char *subs_count, *subs_watchers;
	char *watcher_insert;
	char *watcher_since; /* inserted_time of a watcher's row */
	char *watchers_since; /* each watcher's inserted_time, one presentity */
	/* DB-only mode (pres_subs_db.c): every row lock is taken through the
	 * primary key, several rows in ascending id order, after a plain
	 * (non-locking) read of the ids; no range UPDATE, no upsert of a row
	 * that exists (see pres_subs_db.c for why) */
	char *subs_insert, *subs_id_by_dialog, *subs_lock_id, *subs_update_id,
			*subs_delete_id, *subs_ids_of_pres, *subs_bump_id,
			*subs_of_pres_ids, *subs_ids_expired, *subs_expired_bump_id,
			*subs_expired_ids, *subs_ids_same;
} pres_sql_t;

extern pres_sql_t pres_sql;

/* Run a start-up load (pub_load, subs_load: their last column is the row
 * id, the last two parameters "id > ?" and "LIMIT ?") fetch_rows rows at a
 * time; cb sees each row without the id. 0, or -1 on a DB error or when cb
 * stopped. */
int pres_db_load_paged(lp_db_t *db, const char *sql, const lp_db_val_t *v,
		int n, lp_db_row_cb cb, void *ctx);

#define PRES_PUB_COLS \
	"username, domain, event, etag, expires, received_time, body, sender," \
	" priority"
#define PRES_SUBS_COLS                                                        \
	"presentity_uri, watcher_username, watcher_domain, to_user, to_domain,"  \
	" event, event_id, to_tag, from_tag, callid, local_cseq, remote_cseq,"   \
	" contact, record_route, expires, status, reason, version, socket_info," \
	" local_contact, from_user, from_domain, updated, updated_winfo, flags," \
	" user_agent"
#define PRES_SUBS_NCOLS 26

#endif
