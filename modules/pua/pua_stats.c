/* The pua module's statistics, host-neutral (see pua_stats.h): the
 * counting entry points, which forward to the sink the Kamailio glue
 * installs, and the gauges of the publications and subscriptions pua
 * holds, counted in its table when asked. */
#include "pua_logic.h"
#include "pua_stats.h"

static pua_stat_sink_f stat_sink;

void pua_stats_set_sink(pua_stat_sink_f sink)
{
	stat_sink = sink;
}

void pua_stat_inc(pua_stat_t stat)
{
	if(stat_sink && stat >= 0 && stat < PUA_STAT_N)
		stat_sink(stat, 1);
}

void pua_stat_reply(int is_publish, int code, int timed_out)
{
	pua_stat_t base =
			is_publish ? PUA_STAT_PUBLISH_2XX : PUA_STAT_SUBSCRIBE_2XX;

	if(timed_out)
		pua_stat_inc(base + 2);
	else if(code >= 300)
		pua_stat_inc(base + 1);
	else if(code >= 200)
		pua_stat_inc(base);
}

void pua_stat_db(int rc)
{
	pua_stat_inc(PUA_STAT_DB_OPS);
	if(rc < 0)
		pua_stat_inc(PUA_STAT_DB_ERRORS);
}

lp_db_t *pua_stats_db(lp_db_t *db)
{
	return lp_db_observe(db, pua_stat_db);
}

int pua_stats_active(int kind)
{
	lp_hentry_t *e;
	unsigned int i;
	int n = 0;

	if(!pua.table)
		return 0;
	for(i = 0; i < pua.table->size; i++) {
		if(!pua.table->buckets[i].first)
			continue;
		lp_htable_lock(pua.table, i);
		for(e = pua.table->buckets[i].first; e; e = e->next)
			n += ((const pua_rec_t *)e)->kind == kind;
		lp_htable_unlock(pua.table, i);
	}
	return n;
}
