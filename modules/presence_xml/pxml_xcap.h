/* Pres-rules documents fetched from XCAP servers (RFC 4825, RFC 5025) when
 * integrated_xcap_server is 0: the document URI of a presentity, the list
 * of servers (the xcap_server parameter, tried in order), and one cache of
 * documents shared by every process (lp_mem: shared memory inside
 * Kamailio), kept up to date by presence_xml's own XCAP process so that no
 * SIP worker ever waits for an XCAP server:
 *
 * - a lookup (pxml_xcap_rules_doc) only reads the cache, under its lock:
 *   a document, "none" (the servers said 404), or nothing known yet (the
 *   entry is created, marked wanted, and -1 is returned: the caller applies
 *   the default policy, "no rules": a new watcher is pending);
 * - an entry older than xcap_cache_ttl seconds (0: any entry), or one a
 *   caller asked fresh (an authorization decision), is served as it is and
 *   marked for revalidation;
 * - pxml_xcap_refresh (the XCAP process, every tick) fetches the wanted and
 *   marked entries outside the lock, a conditional GET (If-None-Match)
 *   for a known document, and stores the answer; when a document appears,
 *   changes or goes away it calls pxml.xcap_changed (the glue re-evaluates
 *   the presentity's watchers through presence's refreshWatchers);
 * - a document stays in use while the servers cannot be reached (as
 *   Kamailio, which keeps using the copy it stored); the cache holds at
 *   most xcap_cache_size entries and xcap_cache_bytes of documents,
 *   the least recently used entries are dropped first;
 * - an entry no server answered for is not fetched again for
 *   PXML_XCAP_RETRY seconds; "no server answered" is logged at most once
 *   a second;
 * - back-off: a server that fails (no connection, timeout, bad answer,
 *   5xx) xcap_backoff_failures times in a row is not asked again for
 *   xcap_backoff_time seconds;
 * - where waiting is allowed (pxml.xcap_fetch_here: the RPC process, for
 *   presence.refreshWatchers), a fresh lookup fetches at once, bounded by
 *   the same timeouts and back-off, and stores the answer in the cache.
 *
 * Host-neutral (libcurl through pxml_http, lp_mem and its locks). */
#ifndef PXML_XCAP_H
#define PXML_XCAP_H

#include "lp_str.h"

#define PXML_XCAP_AUID "pres-rules"
#define PXML_XCAP_BATCH 16 /* fetches per pxml_xcap_refresh call at most */
#define PXML_XCAP_RETRY 2  /* seconds before an unanswered entry is retried */
/* shared memory the cached documents may take together, bytes (the
 * default of pxml.xcap_cache_bytes) */
#define PXML_XCAP_MAX_BYTES (4L * 1024 * 1024)

/* Add an XCAP root to the server list (copied; "http://" is prepended to a
 * value without a scheme; one trailing '/' is dropped). 0, or -1 (empty
 * value, a scheme other than http/https, or out of memory: the list is
 * unchanged). Call before pxml_xcap_init. */
int pxml_xcap_add_server(const char *value);

/* Allocate the shared cache, its lock and the servers' back-off state
 * (through lp_mem: after the allocator is installed, before forking).
 * 0 or -1. */
int pxml_xcap_init(void);

/* Free the server list and the shared cache (no lock may be held). */
void pxml_xcap_destroy(void);

/* The URI of user@domain's pres-rules document below xcap_root into buf:
 * <xcap_root>/pres-rules/users/<sip:user@domain>/index, the XUI
 * percent-encoded as a path segment (RFC 4825 section 6; RFC 3986 pchar
 * left as is). Its length, or -1 when it does not fit in size. */
int pxml_xcap_uri(const char *xcap_root, const lp_str_t *user,
		const lp_str_t *domain, char *buf, int size);

/* user@domain's pres-rules from the cache: 0 with *doc a malloc'd copy (s
 * malloc'd too; free both with free / pxml_free_body) or *doc NULL when the
 * servers have none; -1 when nothing is known yet (or no memory), *doc
 * NULL. fresh: mark the entry for revalidation (or, with
 * pxml.xcap_fetch_here, fetch at once). Takes and releases the cache lock;
 * no I/O unless xcap_fetch_here. */
int pxml_xcap_rules_doc(const lp_str_t *user, const lp_str_t *domain, int fresh,
		lp_str_t **doc);

/* One round of the XCAP process: fetch up to PXML_XCAP_BATCH wanted or
 * marked entries (blocking, bounded by the timeouts; the cache lock is not
 * held during a fetch) and store the answers; pxml.xcap_changed is called,
 * without the lock, for each document that appeared, changed or went
 * away. The number of entries fetched. */
int pxml_xcap_refresh(void);

/* Counters shared by the processes (tests, logs and the RPC). */
typedef struct pxml_xcap_stats {
	long requests;	   /* HTTP requests sent */
	long not_modified; /* 304 answers */
	long hits;		   /* lookups answered from a known entry */
	long misses;	   /* lookups with nothing known yet */
	long skipped;	   /* servers not asked: backed off */
	long changed;	   /* documents that appeared, changed or went away */
	int entries;
	long bytes; /* of the documents held */
} pxml_xcap_stats_t;
void pxml_xcap_stats(pxml_xcap_stats_t *out);

/* Back-off state of server i (0-based): consecutive failures and the time
 * until which it is not asked (0: it is). -1 when i is out of range. */
int pxml_xcap_server_state(int i, int *fails, long *until);

#endif
