/* Logic of the script functions pres_check_basic(presentity_uri, status)
 * and pres_check_activities(presentity_uri, activity) applied to one PIDF
 * body (RFC 3863, person from the RFC 4479 data model, activities from RPID
 * RFC 4480). The glue fetches the presentity's (aggregated) body and passes
 * it here; nothing is allocated for the caller and nothing is kept. */
#ifndef PXML_CHECK_H
#define PXML_CHECK_H

#include "lp_str.h"

/* 1 when some /presence/tuple/status/basic (all PIDF ns) has the text
 * `status` (blanks around the text ignored, ASCII case ignored: "open"
 * matches "Open"); -1 otherwise, also when body is NULL, empty, too large,
 * not well-formed, has a DOCTYPE or is not PIDF, or status is empty. */
int pxml_check_basic(const lp_str_t *body, const lp_str_t *status);

/* 1 when some /presence/person/activities (person in the data-model ns,
 * or the RPID ns older clients use; activities in the RPID ns) has a child
 * element in the RPID ns whose local name is `activity` (case-sensitive,
 * e.g. "busy", "on-the-phone", "unknown"); -1 when persons with activities
 * exist but none has it; -2 when there is no person, no person has an
 * activities element, or the body is unusable (NULL, not well-formed,
 * DOCTYPE, too large, not PIDF). activity empty: -1 if activities exist. */
int pxml_check_activities(const lp_str_t *body, const lp_str_t *activity);

#endif
