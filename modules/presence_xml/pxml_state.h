/* presence_xml's one state struct: its parameters, its DB statements,
 * this process's DB connection, the shared XCAP document cache.
 * Host-neutral (the logic files and the unit tests use it). */
#ifndef PXML_STATE_H
#define PXML_STATE_H

#include <time.h>

#include "lp_db.h"

typedef struct pxml_state {
	char *db_url;
	char *xcap_table;
	int disable_presence;
	int disable_winfo;
	int disable_bla;
	int force_active;
	int integrated_xcap_server;
	int passive_mode;
	char *xcapauth_userdel_reason;
	int force_dummy_presence;
	int disable_xcapdiff;
	int default_expires; /* Expires of a SUBSCRIBE without one, per event */
	/* force_presence_single_body: send the one publication whose
	 * lookup_element ranks highest in `priorities` (pxml_single.h) */
	int force_presence_single_body;
	char *single_body_priorities;
	char *single_body_lookup_element;
	/* XCAP over HTTP (integrated_xcap_server 0), see pxml_xcap.h */
	char **xcap_roots; /* the xcap_server values in order, malloc'd */
	int xcap_nroots;
	int xcap_cache_ttl;	 /* seconds a cached document is used unchecked */
	int xcap_cache_size; /* entries of the shared cache at most */
	long xcap_cache_bytes; /* bytes of cached documents at most */
	int xcap_connect_ms; /* xcap_connect_timeout: HTTP(S) connect */
	int xcap_timeout_ms; /* xcap_timeout: the whole request */
	int xcap_backoff_failures; /* failures in a row that back a server off */
	int xcap_backoff_time;	   /* seconds a backed-off server is not asked */
	int xcap_fetch_here; /* 1: fresh lookups fetch at once (RPC process) */
	struct pxml_xcap_cache *xcap; /* shared by the processes (lp_mem) */
	/* a document appeared, changed or went away (the XCAP process calls
	 * it, no lock held); NULL: nobody is told */
	void (*xcap_changed)(const lp_str_t *user, const lp_str_t *domain);
	lp_db_t *db; /* this process's connection */
	int pid;
	char *sql_rules;  /* the pres-rules document of a user */
	char *sql_pidf_doc; /* a pidf-manipulation document of a user */
	time_t (*now)(void);
	/* the presentity's RPID sphere (presence's get_sphere; NULL when sphere
	 * checks are off) and how to free it */
	char *(*get_sphere)(lp_str_t *pres_uri);
	void (*free_sphere)(char *sphere);
} pxml_state_t;

extern pxml_state_t pxml;

/* Build the SQL for the configured table names; -1 if one is not a plain
 * identifier. */
int pxml_sql_init(void);
/* The process's connection, opened on first use; NULL on error. */
lp_db_t *pxml_db(void);

#endif
