/* Watcher information documents (RFC 3858, application/watcherinfo+xml)
 * for presence.winfo (RFC 3857): the caller describes the watchers of one
 * resource in plain structs and gets the XML, built with libxml2 so every
 * value is escaped. Host-neutral; the result is malloc'd and owned by the
 * caller. */
#ifndef LP_WINFO_H
#define LP_WINFO_H

#include "lp_str.h"

/* One watcher (one subscription to the watched resource). Strings are
 * borrowed for the call only and need not be NUL-terminated. */
typedef struct lp_watcher {
	lp_str_t uri;	 /* watcher URI, element content (required) */
	lp_str_t id;	 /* stable per subscription; empty: derived from uri */
	lp_str_t status; /* pending | active | waiting | terminated */
	lp_str_t event;	 /* subscribe | approved | deactivated | probation |
					  * rejected | timeout | giveup | noresource */
	lp_str_t display_name; /* optional (len 0: omitted) */
	unsigned int duration; /* seconds subscribed: duration-subscribed */
} lp_watcher_t;

/* Build <watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo"
 * version="`version`" state="full|partial"> with one <watcher-list
 * resource="`resource`" package="`package`"> holding w[0..n) in order
 * (n may be 0: an empty list). full != 0 gives state="full", else
 * "partial" (the caller passes only the changed watchers). A watcher
 * without id gets "pw" + 8 hex digits of a hash of its uri, so the same
 * watcher keeps the same id across documents.
 * Returns 0 with out->s malloc'd, NUL-terminated (caller frees with
 * free()); -1 (out = {NULL,0}) when resource or package is NULL/empty,
 * n < 0, w is NULL with n > 0, a uri is empty, a status or event is not one
 * of the values above, any string is not valid UTF-8 or holds characters
 * XML cannot carry, or on allocation failure / a result above
 * LP_XML_MAX_DOC. */
int lp_winfo_build(const char *resource, const char *package,
		unsigned int version, int full, const lp_watcher_t *w, int n,
		lp_str_t *out);

#endif
