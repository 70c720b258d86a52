/* The presence_b2b module's statistics, host-neutral (see b2b_stats.h):
 * the counting entry points, which forward to the sink the Kamailio glue
 * installs, and the gauge of the subscriptions it maintains. */
#include "b2b_state.h"
#include "b2b_stats.h"

static pb2b_stat_sink_f stat_sink;

void pb2b_stats_set_sink(pb2b_stat_sink_f sink)
{
	stat_sink = sink;
}

void pb2b_stat_inc(pb2b_stat_t stat)
{
	if(stat_sink && stat >= 0 && stat < PB2B_STAT_N)
		stat_sink(stat, 1);
}

void pb2b_stat_reply(int code, int timed_out)
{
	if(timed_out)
		pb2b_stat_inc(PB2B_STAT_SUBSCRIBE_TIMEOUT);
	else if(code >= 300)
		pb2b_stat_inc(PB2B_STAT_SUBSCRIBE_ERROR);
	else if(code >= 200)
		pb2b_stat_inc(PB2B_STAT_SUBSCRIBE_2XX);
}

/* The buckets' counts are read without their locks: each is one aligned
 * int, and a gauge may be a moment old. */
int pb2b_stats_active(void)
{
	unsigned int i;
	int n = 0;

	if(!pb2b.recs)
		return 0;
	for(i = 0; i < pb2b.recs->size; i++)
		n += (int)pb2b.recs->buckets[i].count;
	return n;
}
