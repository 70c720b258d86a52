/* The presence_xml module's statistics, host-neutral: the logic counts
 * through pxml_stat_inc(PXML_STAT_X), which goes to the sink the Kamailio
 * glue (pxml_stats_kam.c) installs, Kamailio's per-process counters;
 * without a sink (unit tests) counting is a no-op. */
#ifndef PXML_STATS_H
#define PXML_STATS_H

#include "lp_db.h"

/* The counters, in the order of their names in pxml_stats_kam.c. */
typedef enum pxml_stat
{
	PXML_STAT_XCAP_FETCHES = 0,	 /* HTTP GETs sent to an XCAP server */
	PXML_STAT_XCAP_FAILURES,	 /* lookups no XCAP server answered */
	PXML_STAT_XCAP_NOT_MODIFIED, /* 304 to a revalidation */
	PXML_STAT_XCAP_CACHE_HITS,	 /* documents taken from the cache */
	PXML_STAT_DB_OPS,
	PXML_STAT_DB_ERRORS,
	PXML_STAT_N
} pxml_stat_t;

/* Where counts go: adds n to counter `stat` of the calling process. */
typedef void (*pxml_stat_sink_f)(pxml_stat_t stat, int n);

/* Install the sink (NULL: counting off). Call before the workers fork. */
void pxml_stats_set_sink(pxml_stat_sink_f sink);

/* Count one `stat` (no-op without a sink or for an out-of-range stat). */
void pxml_stat_inc(pxml_stat_t stat);

/* lp_db_observe_f of the module's connections: one DB_OPS per call, and
 * one DB_ERRORS when it failed; pxml_stats_db sets it on db (may be
 * NULL). */
void pxml_stat_db(int rc);
lp_db_t *pxml_stats_db(lp_db_t *db);

#endif
