/* bind_presence: the API struct other modules bind to (presence_api.h,
 * Kamailio 5.6's binary layout), each field adapting Kamailio's memory
 * and string conventions to the host-neutral logic. */
#ifndef PRES_API_KAM_H
#define PRES_API_KAM_H

#include "presence_api.h"

/* Fill api (every field); 0, or -1 for a NULL api. */
int pres_api_bind(presence_api_t *api);

/* pres_auth_status(watcher_uri, presentity_uri) for the event presence:
 * the subscription status the rules give (never 0: that would stop the
 * script), -1 on error. */
int pres_api_auth_status(struct sip_msg *msg, lp_str_t watcher_uri,
		lp_str_t pres_uri);

#endif
