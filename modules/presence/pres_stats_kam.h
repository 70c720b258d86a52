/* Kamailio side of the presence module's statistics (pres_stats_kam.c):
 * Kamailio counters in the group "presence", shown by `kamcmd
 * stats.get_statistics presence:` and by xhttp_prom. */
#ifndef PRES_STATS_KAM_H
#define PRES_STATS_KAM_H

#include "core/parser/msg_parser.h"
#include "modules/tm/t_hooks.h"
#include "pres_stats.h"

/* mod_init: register the counters and the total gauges, install the sink.
 * 0, or -1 (logged). */
int pres_stats_kam_init(void);
/* child_init(PROC_INIT), once every event module has registered its
 * events and before the counters are fixed at the fork: one pair of gauges
 * per event. 0, or -1 (logged). */
int pres_stats_kam_events(void);
/* The reply with `code` to msg (a PUBLISH or a SUBSCRIBE) is being sent. */
void pres_stats_kam_reply(struct sip_msg *msg, int code);
/* tm's completion of a NOTIFY transaction (ps->rpl FAKED_REPLY with 408:
 * no reply came). */
void pres_stats_kam_notify_reply(struct tmcb_params *ps);

#endif
