/* The presence module's statistics, host-neutral: the logic and the glue
 * count through pres_stat_inc(PRES_STAT_X), which goes to the sink the
 * Kamailio glue (pres_stats_kam.c) installs, Kamailio's per-process
 * counters; without a sink (unit tests, before mod_init) counting is a
 * no-op. The gauges (active publications and subscriptions) are not
 * counted but read from the stored state when asked: pres_stats_active. */
#ifndef PRES_STATS_H
#define PRES_STATS_H

#include "lp_db.h"
#include "presence_api.h"

/* The counters, in the order of their names in pres_stats_kam.c. */
typedef enum pres_stat
{
	PRES_STAT_PUBLISH_RECEIVED = 0,
	PRES_STAT_PUBLISH_2XX,
	PRES_STAT_PUBLISH_4XX,
	PRES_STAT_PUBLISH_5XX,
	PRES_STAT_SUBSCRIBE_RECEIVED,
	PRES_STAT_SUBSCRIBE_2XX,
	PRES_STAT_SUBSCRIBE_4XX,
	PRES_STAT_SUBSCRIBE_5XX,
	PRES_STAT_NOTIFY_SENT,
	PRES_STAT_NOTIFY_ERROR,
	PRES_STAT_NOTIFY_TIMEOUT,
	PRES_STAT_DB_OPS,
	PRES_STAT_DB_ERRORS,
	PRES_STAT_BODY_CACHE_HITS,
	PRES_STAT_BODY_CACHE_MISSES,
	PRES_STAT_N
} pres_stat_t;

/* Where counts go: adds n to counter `stat` of the calling process. */
typedef void (*pres_stat_sink_f)(pres_stat_t stat, int n);

/* Install the sink (NULL: counting off). Call before the workers fork. */
void pres_stats_set_sink(pres_stat_sink_f sink);

/* Count one `stat` (no-op without a sink or for an out-of-range stat). */
void pres_stat_inc(pres_stat_t stat);

/* A reply with `code` to a PUBLISH (is_publish 1) or SUBSCRIBE (0): counts
 * its class, 2xx, 4xx or 5xx (other classes are not counted). */
void pres_stat_reply(int is_publish, int code);

/* A NOTIFY transaction ended with `code`: timed_out 1 when no reply came
 * (tm's local 408) counts NOTIFY_TIMEOUT, a reply >= 300 NOTIFY_ERROR. */
void pres_stat_notify_reply(int code, int timed_out);

/* lp_db_observe_f of the module's connections: one DB_OPS per call, and
 * one DB_ERRORS when it failed. */
void pres_stat_db(int rc);

/* The module's DB connection with pres_stat_db as its observer (db may be
 * NULL). */
lp_db_t *pres_stats_db(lp_db_t *db);

/* Gauges: live (not expired) publications or subscriptions of event ev
 * (NULL: of every event), from the tables (bucket by bucket, each locked
 * while it is read), or from the DB when they live there only
 * (publ_cache 0, subs_db_mode 3). -1 on a DB error. */
int pres_stats_active_pubs(const pres_ev_t *ev);
int pres_stats_active_subs(const pres_ev_t *ev);

/* A statistic name made of prefix and the event name, with every character
 * outside [A-Za-z0-9_] turned into '_' ("presence.winfo" ->
 * "active_subscriptions_presence_winfo") so that it is a valid Prometheus
 * metric name too. Writes at most size bytes (NUL included); returns the
 * length, or -1 when it does not fit. */
int pres_stats_event_name(
		char *buf, int size, const char *prefix, const lp_str_t *event);

#endif
