/* Kamailio side of the presence_b2b module's statistics: one Kamailio
 * counter per pb2b_stat_t in the group "presence_b2b" (per-process values
 * that Kamailio sums when they are read; `kamcmd stats.get_statistics
 * presence_b2b:`, xhttp_prom), installed as the sink of pb2b_stat_inc, and
 * the gauge of the subscriptions it maintains (a read callback).
 * pb2b_stats_kam_init is declared in presence_b2b_mod.c, its only
 * caller. */
#include "core/counters.h"
#include "core/dprint.h"

#include "b2b_stats.h"

int pb2b_stats_kam_init(void);

static counter_handle_t stat_h[PB2B_STAT_N];

/* Names and meanings, in the order of pb2b_stat_t. */
static const char *const stat_def[PB2B_STAT_N][2] = {
		{"subscribe_sent", "SUBSCRIBE requests handed to tm"},
		{"subscribe_replied_2xx", "SUBSCRIBE requests answered with a 2xx"},
		{"subscribe_replied_error", "SUBSCRIBE requests answered with >= 300"},
		{"subscribe_timeout", "SUBSCRIBE requests that got no reply in time"},
		{"notify_received", "NOTIFY requests handled by handle_notify"},
		{"notify_unmatched", "NOTIFY requests that matched no subscription"},
};

static void kam_sink(pb2b_stat_t stat, int n)
{
	counter_add(stat_h[stat], n);
}

static counter_val_t active(counter_handle_t h, void *unused)
{
	return pb2b_stats_active();
}

/* mod_init: register the counters and the gauge, install the sink. 0, or
 * -1 (logged). */
int pb2b_stats_kam_init(void)
{
	int i;

	for(i = 0; i < PB2B_STAT_N; i++)
		if(counter_register(&stat_h[i], "presence_b2b", stat_def[i][0], 0, 0, 0,
				   stat_def[i][1], 0)
				< 0) {
			LM_ERR("cannot register the statistic presence_b2b:%s\n",
					stat_def[i][0]);
			return -1;
		}
	if(counter_register(NULL, "presence_b2b", "active_subscriptions",
			   CNT_F_NO_RESET, active, NULL,
			   "subscriptions maintained (records in any state)", 0)
			< 0) {
		LM_ERR("cannot register presence_b2b:active_subscriptions\n");
		return -1;
	}
	pb2b_stats_set_sink(kam_sink);
	return 0;
}
