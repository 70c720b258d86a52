/* The pua module's statistics, host-neutral: the logic and the glue count
 * through pua_stat_inc(PUA_STAT_X), which goes to the sink the Kamailio glue
 * (pua_stats_kam.c) installs, Kamailio's per-process counters; without a
 * sink (unit tests) counting is a no-op. The gauges (publications and
 * subscriptions pua holds) are read from its table when asked. */
#ifndef PUA_STATS_H
#define PUA_STATS_H

#include "lp_db.h"

/* The counters, in the order of their names in pua_stats_kam.c. */
typedef enum pua_stat
{
	PUA_STAT_PUBLISH_SENT = 0,
	PUA_STAT_PUBLISH_2XX,
	PUA_STAT_PUBLISH_ERROR,
	PUA_STAT_PUBLISH_TIMEOUT,
	PUA_STAT_PUBLISH_412,
	PUA_STAT_SUBSCRIBE_SENT,
	PUA_STAT_SUBSCRIBE_2XX,
	PUA_STAT_SUBSCRIBE_ERROR,
	PUA_STAT_SUBSCRIBE_TIMEOUT,
	PUA_STAT_NOTIFY_RECEIVED,
	PUA_STAT_DB_OPS,
	PUA_STAT_DB_ERRORS,
	PUA_STAT_N
} pua_stat_t;

/* Where counts go: adds n to counter `stat` of the calling process. */
typedef void (*pua_stat_sink_f)(pua_stat_t stat, int n);

/* Install the sink (NULL: counting off). Call before the workers fork. */
void pua_stats_set_sink(pua_stat_sink_f sink);

/* Count one `stat` (no-op without a sink or for an out-of-range stat). */
void pua_stat_inc(pua_stat_t stat);

/* The final reply `code` to a PUBLISH (is_publish 1) or SUBSCRIBE (0)
 * pua sent: 2xx, an error (>= 300), or a timeout (timed_out 1: tm's local
 * 408, no reply came). */
void pua_stat_reply(int is_publish, int code, int timed_out);

/* lp_db_observe_f of pua's connections: one DB_OPS per call, and one
 * DB_ERRORS when it failed; pua_stats_db sets it on db (may be NULL). */
void pua_stat_db(int rc);
lp_db_t *pua_stats_db(lp_db_t *db);

/* Gauge: the records of kind (PUA_PUBL or PUA_SUBS) in pua's table, bucket
 * by bucket, each locked while it is read. */
int pua_stats_active(int kind);

#endif
