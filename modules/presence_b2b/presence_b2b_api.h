/* API of presence_b2b for other modules: the internal subscription service
 * it hosts. A module gets it in its mod_init (after presence_b2b's) with
 *
 *     bind_presence_b2b_f bind = (bind_presence_b2b_f)find_export(
 *             "bind_presence_b2b", 1, 0);
 *     presence_b2b_api_t api;
 *     if(!bind || bind(&api) < 0) ...
 *
 * and then calls lp_qsvc_subscribe(api.svc, ...) with a queue from
 * lp_qqueue_new (both in shared memory; see lp_qsvc.h for ownership). */
#ifndef PRESENCE_B2B_API_H
#define PRESENCE_B2B_API_H

#include "lp_qsvc.h"

typedef struct presence_b2b_api {
	lp_qsvc_t *svc;
} presence_b2b_api_t;

typedef int (*bind_presence_b2b_f)(presence_b2b_api_t *api);

#endif
