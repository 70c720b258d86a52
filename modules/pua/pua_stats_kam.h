/* Kamailio side of the pua module's statistics (pua_stats_kam.c): Kamailio
 * counters in the group "pua", shown by `kamcmd stats.get_statistics pua:`
 * and by xhttp_prom. */
#ifndef PUA_STATS_KAM_H
#define PUA_STATS_KAM_H

#include "modules/tm/h_table.h"
#include "modules/tm/t_hooks.h"
#include "pua_stats.h"

/* mod_init: register the counters and gauges, install the sink. 0, or -1
 * (logged). */
int pua_stats_kam_init(void);
/* tm's completion of a PUBLISH or SUBSCRIBE transaction pua started. */
void pua_stats_kam_reply(struct cell *t, struct tmcb_params *ps);

#endif
