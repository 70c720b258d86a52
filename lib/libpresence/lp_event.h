/* Event packages: parsing of the Event header (RFC 6665 section 8.2.1 /
 * RFC 3265 section 7.2.1), the registry of packages a server handles, and
 * the Allow-Events value built from it.
 *
 * An event is a package name with optional template-packages
 * ("presence.winfo": package "presence", template "winfo") and parameters.
 * Registered events may carry parameters that are part of their identity,
 * as in "dialog;sla": such an event matches an Event header only when the
 * header has those parameters too. The "id" parameter is never part of the
 * identity; it tells subscriptions of one package apart in one dialog. */
#ifndef LP_EVENT_H
#define LP_EVENT_H

#include "lp_str.h"

#define LP_EVENT_MAX_PARAMS 8

typedef struct lp_event_param {
	lp_str_t name;
	lp_str_t value; /* {NULL,0} for a flag parameter like "sla" */
} lp_event_param_t;

/* A parsed Event header value; every lp_str_t points into the parsed
 * text (no allocation). */
typedef struct lp_event_hdr {
	lp_str_t name;	  /* "presence.winfo", "dialog" (no parameters) */
	lp_str_t package; /* "presence", "dialog" */
	lp_str_t id;	  /* value of ;id=, {NULL,0} when absent */
	int nparams;	  /* all parameters, id included */
	lp_event_param_t params[LP_EVENT_MAX_PARAMS];
} lp_event_hdr_t;

/* Parse one Event header value ("presence", "dialog;sla", "presence;id=7",
 * with blanks around ';' and '=' tolerated, quoted values allowed). Returns 0,
 * or -1 for a malformed value (empty, bad token characters, too many
 * parameters, unterminated quote); out is then unusable. */
int lp_event_parse(const lp_str_t *value, lp_event_hdr_t *out);

/* RFC 6665 equality of two parsed Event values: same event name, and same id
 * (both absent or byte-equal). Used to match an in-dialog SUBSCRIBE or a
 * NOTIFY to its subscription. Returns 1 when equal. */
int lp_event_same(const lp_event_hdr_t *a, const lp_event_hdr_t *b);

/* Value of parameter `name` (case-insensitive name), or NULL. */
const lp_event_param_t *lp_event_get_param(
		const lp_event_hdr_t *h, const lp_str_t *name);

/* A registered package. `name` is its full registration text, as operators
 * and Allow-Events see it ("presence", "presence.winfo", "dialog;sla");
 * `parsed` is that text parsed. `data` is the registrant's (for the
 * presence module: its pres_ev_t). */
typedef struct lp_event {
	lp_str_t name;
	lp_event_hdr_t parsed;
	void *data;
	struct lp_event *next;
} lp_event_t;

typedef struct lp_event_registry {
	lp_event_t *first;
	int count;
} lp_event_registry_t;

/* Register `name` (copied with lp_malloc). Returns the new entry, or NULL when
 * the name is malformed, already registered (same name and identity
 * parameters), or memory runs out; the registry is then unchanged. */
lp_event_t *lp_event_register(
		lp_event_registry_t *reg, const lp_str_t *name, void *data);

/* The registered event an Event header value refers to: same name, and every
 * parameter of the registration (other than id) present in the header with
 * the same value. A header with extra parameters still matches. The most
 * specific registration (most parameters) wins. NULL if none. */
lp_event_t *lp_event_lookup(
		const lp_event_registry_t *reg, const lp_event_hdr_t *hdr);

/* Write the Allow-Events value ("presence, presence.winfo, dialog;sla") into
 * buf; returns its length, or -1 if it does not fit. */
int lp_event_allow_list(const lp_event_registry_t *reg, char *buf, int size);

/* Free every entry. */
void lp_event_registry_free(lp_event_registry_t *reg);

#endif
