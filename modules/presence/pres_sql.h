/* The SQL statements of the presence module, built once at start-up for the
 * configured table names (identifiers cannot be bound parameters; every
 * value is). */
#ifndef PRES_SQL_H
#define PRES_SQL_H

typedef struct pres_sql {
	char *pub_insert, *pub_update, *pub_delete, *pub_by_etag, *pub_load,
			*pub_of_uri, *pub_expired, *pub_delete_expired;
	char *subs_upsert, *subs_delete, *subs_load, *subs_delete_expired;
	char *pub_expired_keys;
	char *subs_by_dialog, *subs_cseq_bump, *subs_of_pres, *subs_expired_bump,
			*subs_expired, *subs_count, *subs_watchers;
	char *watcher_insert;
	char *subs_delete_same;
} pres_sql_t;

extern pres_sql_t pres_sql;

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
