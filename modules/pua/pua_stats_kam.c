/* Kamailio side of the pua module's statistics: one Kamailio counter per
 * pua_stat_t in the group "pua" (per-process values that Kamailio sums when
 * they are read), installed as the sink of pua_stat_inc, and the gauges of
 * the publications and subscriptions pua holds, counters with a read
 * callback that asks the logic (pua_stats_active). */
#include <string.h>

#include "core/counters.h"
#include "core/dprint.h"
#include "core/parser/msg_parser.h"

#include "pua_logic.h"
#include "pua_stats_kam.h"

static counter_handle_t stat_h[PUA_STAT_N];

/* Names and meanings, in the order of pua_stat_t. */
static const char *const stat_def[PUA_STAT_N][2] = {
		{"publish_sent", "PUBLISH requests handed to tm"},
		{"publish_replied_2xx", "PUBLISH requests answered with a 2xx"},
		{"publish_replied_error", "PUBLISH requests answered with >= 300"},
		{"publish_timeout", "PUBLISH requests that got no reply in time"},
		{"publish_412_recovered", "412 replies answered by publishing again as "
								  "an initial PUBLISH"},
		{"subscribe_sent", "SUBSCRIBE requests handed to tm"},
		{"subscribe_replied_2xx", "SUBSCRIBE requests answered with a 2xx"},
		{"subscribe_replied_error", "SUBSCRIBE requests answered with >= 300"},
		{"subscribe_timeout", "SUBSCRIBE requests that got no reply in time"},
		{"notify_received", "NOTIFY requests handled by pua_handle_notify"},
		{"db_ops", "DB statements, begins, commits and rollbacks run"},
		{"db_errors", "DB operations that failed"},
};

static void kam_sink(pua_stat_t stat, int n)
{
	counter_add(stat_h[stat], n);
}

static counter_val_t active(counter_handle_t h, void *kind)
{
	return pua_stats_active((int)(long)kind);
}

int pua_stats_kam_init(void)
{
	int i;

	for(i = 0; i < PUA_STAT_N; i++)
		if(counter_register(&stat_h[i], "pua", stat_def[i][0], 0, 0, 0,
				   stat_def[i][1], 0)
				< 0) {
			LM_ERR("cannot register the statistic pua:%s\n", stat_def[i][0]);
			return -1;
		}
	if(counter_register(NULL, "pua", "active_publications", CNT_F_NO_RESET,
			   active, (void *)(long)PUA_PUBL,
			   "publications pua holds (kept refreshed)",
			   0) < 0
			|| counter_register(NULL, "pua", "active_subscriptions",
					   CNT_F_NO_RESET, active, (void *)(long)PUA_SUBS,
					   "subscriptions pua holds", 0)
					   < 0) {
		LM_ERR("cannot register the gauges of pua\n");
		return -1;
	}
	pua_stats_set_sink(kam_sink);
	return 0;
}

void pua_stats_kam_reply(struct cell *t, struct tmcb_params *ps)
{
	int publish = t->method.len == 7 && memcmp(t->method.s, "PUBLISH", 7) == 0;

	pua_stat_reply(
			publish, ps->code, ps->rpl == FAKED_REPLY && ps->code == 408);
}
