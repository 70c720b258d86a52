/* The presence_xml module's statistics, host-neutral (see pxml_stats.h):
 * the counting entry points, which forward to the sink the Kamailio glue
 * installs. */
#include "pxml_stats.h"

static pxml_stat_sink_f stat_sink;

void pxml_stats_set_sink(pxml_stat_sink_f sink)
{
	stat_sink = sink;
}

void pxml_stat_inc(pxml_stat_t stat)
{
	if(stat_sink && stat >= 0 && stat < PXML_STAT_N)
		stat_sink(stat, 1);
}

void pxml_stat_db(int rc)
{
	pxml_stat_inc(PXML_STAT_DB_OPS);
	if(rc < 0)
		pxml_stat_inc(PXML_STAT_DB_ERRORS);
}

lp_db_t *pxml_stats_db(lp_db_t *db)
{
	return lp_db_observe(db, pxml_stat_db);
}
