/* The pres-rules documents this process read from the xcap table while it
 * handles one SIP request, kept until that handling ends: a SUBSCRIBE's
 * authorization and its first NOTIFY, or every NOTIFY of one PUBLISH's
 * fan-out, read the presentity's rules once instead of once per watcher.
 * Within one request the rules are then read as of its first look, as a
 * fan-out reads the published state once. The Kamailio glue marks the
 * bounds (a pre-script and a post-script callback of every request, and
 * an end before any reply's script). Outside a request (the expiry timer,
 * refreshWatchers, a DMQ worker) our presence tells when a fan-out opens
 * and closes (pres_fanout_listen, presence_ext.h): the fan-out then keeps
 * what it reads as a request does; elsewhere (a reply's script, or on
 * Kamailio's presence) nothing is kept and every look reads the table. A
 * handling that never ends (a request another module's pre-script
 * callback dropped) keeps nothing past the second after it began.
 * Host-neutral (no Kamailio header); plain malloc, no lock (each process
 * its own). */
#ifndef PXML_REQDOCS_H
#define PXML_REQDOCS_H

#include <time.h>

#include "lp_str.h"

#define PXML_REQDOCS_SLOTS 4		/* presentities kept per request */
#define PXML_REQDOCS_MAX_DOC 16384 /* bytes; a larger document is not kept */

/* A request's handling starts (drops what an unended one kept). */
void pxml_reqdocs_begin(time_t now);

/* It ends: everything kept is freed. */
void pxml_reqdocs_end(void);

/* A fan-out opens (1) or closes (0), nested ones counted. The outermost
 * one begins a keeping of its own unless a request's is going on (then
 * the request's goes on, past the fan-out, and ends with the request),
 * and ends the keeping it began when it closes. */
void pxml_reqdocs_fanout(int open, time_t now);

/* What this request read before for user@domain: 1 and *doc the kept
 * copy (NUL-terminated; not the caller's: valid until the next put, begin
 * or end) or NULL (there was no document); 0 when nothing is kept
 * (outside a request, or not read yet: read the table). */
int pxml_reqdocs_get(const lp_str_t *user, const lp_str_t *domain,
		time_t now, const lp_str_t **doc);

/* Keep what the table gave for user@domain (doc NULL: no document), in
 * place of what the slot held; nothing outside a request. */
void pxml_reqdocs_put(
		const lp_str_t *user, const lp_str_t *domain, const lp_str_t *doc);

#endif
