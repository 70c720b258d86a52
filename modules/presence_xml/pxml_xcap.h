/* Pres-rules documents fetched from XCAP servers (RFC 4825, RFC 5025) when
 * integrated_xcap_server is 0: the document URI of a presentity, the list
 * of servers (the xcap_server parameter, tried in order), and this
 * process's cache of documents with its revalidation policy:
 *
 * - an entry (user@domain -> document or "none", ETag, time checked) is
 *   used as it is for xcap_cache_ttl seconds (0: never; every use asks);
 * - after that, or when the caller asks for a fresh copy, it is revalidated
 *   with a conditional GET (If-None-Match: its ETag), so an unchanged
 *   document costs a 304 without a body;
 * - authorization decisions (get_auth_status: a new SUBSCRIBE, and every
 *   watcher of presence.refreshWatchers) always ask for a fresh copy;
 *   filtering NOTIFY bodies uses the cache;
 * - when a fetch finds that a document changed (or appeared, or went away)
 *   it bumps a generation counter shared by all processes (shm inside
 *   Kamailio): every process's older entries are then revalidated on their
 *   next use, so after refreshWatchers no worker keeps filtering with the
 *   old document for the rest of its TTL;
 * - a 404 from a server means "no document" and is cached like a document;
 *   a connection error, a timeout, a 5xx or any other answer moves on to
 *   the next server; when no server answers, the lookup fails (the caller
 *   reveals nothing), the stale entry is not used.
 *
 * Host-neutral (sockets, malloc, lp_mem for the shared counter). */
#ifndef PXML_XCAP_H
#define PXML_XCAP_H

#include "lp_str.h"

#define PXML_XCAP_CACHE_MAX 1024 /* entries per process */
#define PXML_XCAP_AUID "pres-rules"

/* Add an XCAP root to the server list (copied; "http://" is prepended to a
 * value without a scheme; one trailing '/' is dropped). 0, or -1 (empty
 * value, https, or out of memory: the list is unchanged). */
int pxml_xcap_add_server(const char *value);

/* Allocate the counter shared by the processes (through lp_mem: call it
 * after the allocator is installed and before forking). 0 or -1. */
int pxml_xcap_init(void);

/* Free the server list, this process's cache and the shared counter. */
void pxml_xcap_destroy(void);

/* Drop this process's cache (the list and counter are kept). */
void pxml_xcap_cache_clear(void);

/* The URI of user@domain's pres-rules document below xcap_root into buf:
 * <xcap_root>/pres-rules/users/<sip:user@domain>/index, the XUI
 * percent-encoded as a path segment (RFC 4825 section 6; RFC 3986 pchar
 * left as is). Its length, or -1 when it does not fit in size. */
int pxml_xcap_uri(const char *xcap_root, const lp_str_t *user,
		const lp_str_t *domain, char *buf, int size);

/* user@domain's pres-rules: *doc malloc'd (s malloc'd too; free both with
 * free / pxml_free_body) or NULL when no server has one. fresh: revalidate
 * even when the cached entry is young. 0, or -1 when no server could be
 * asked (or no memory). Uses pxml.now, pxml.xcap_cache_ttl and the
 * limits in pxml. */
int pxml_xcap_rules_doc(const lp_str_t *user, const lp_str_t *domain, int fresh,
		lp_str_t **doc);

/* Counters of this process (tests and logs): HTTP requests sent, 304s. */
typedef struct pxml_xcap_stats {
	long requests;
	long not_modified;
	long hits;
} pxml_xcap_stats_t;
void pxml_xcap_stats(pxml_xcap_stats_t *out);

#endif
