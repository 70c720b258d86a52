/* Kamailio side of the presence_xml module's statistics: one Kamailio
 * counter per pxml_stat_t in the group "presence_xml" (per-process values
 * that Kamailio sums when they are read; `kamcmd stats.get_statistics
 * presence_xml:`, xhttp_prom), installed as the sink of pxml_stat_inc.
 * pxml_stats_kam_init is declared in presence_xml_mod.c, its only
 * caller. */
#include "core/counters.h"
#include "core/dprint.h"

#include "pxml_stats.h"

int pxml_stats_kam_init(void);

static counter_handle_t stat_h[PXML_STAT_N];

/* Names and meanings, in the order of pxml_stat_t. */
static const char *const stat_def[PXML_STAT_N][2] = {
		{"xcap_fetches", "HTTP GET requests sent to XCAP servers"},
		{"xcap_failures", "pres-rules lookups that no XCAP server answered"},
		{"xcap_not_modified", "revalidations answered 304 Not Modified"},
		{"xcap_cache_hits", "pres-rules documents taken from the cache"},
		{"db_ops", "DB statements, begins, commits and rollbacks run"},
		{"db_errors", "DB operations that failed"},
};

static void kam_sink(pxml_stat_t stat, int n)
{
	counter_add(stat_h[stat], n);
}

/* mod_init: register the counters, install the sink. 0, or -1 (logged). */
int pxml_stats_kam_init(void)
{
	int i;

	for(i = 0; i < PXML_STAT_N; i++)
		if(counter_register(&stat_h[i], "presence_xml", stat_def[i][0], 0, 0, 0,
				   stat_def[i][1], 0)
				< 0) {
			LM_ERR("cannot register the statistic presence_xml:%s\n",
					stat_def[i][0]);
			return -1;
		}
	pxml_stats_set_sink(kam_sink);
	return 0;
}
