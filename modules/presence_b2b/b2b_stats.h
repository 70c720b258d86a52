/* The presence_b2b module's statistics, host-neutral: the glue and the
 * logic count through pb2b_stat_inc(PB2B_STAT_X), which goes to the sink the
 * Kamailio glue (b2b_stats_kam.c) installs, Kamailio's per-process
 * counters; without a sink (unit tests) counting is a no-op. The gauge of
 * the subscriptions it maintains is read from its table when asked. */
#ifndef B2B_STATS_H
#define B2B_STATS_H

/* The counters, in the order of their names in b2b_stats_kam.c. */
typedef enum pb2b_stat
{
	PB2B_STAT_SUBSCRIBE_SENT = 0,
	PB2B_STAT_SUBSCRIBE_2XX,
	PB2B_STAT_SUBSCRIBE_ERROR,
	PB2B_STAT_SUBSCRIBE_TIMEOUT,
	PB2B_STAT_NOTIFY_RECEIVED,
	PB2B_STAT_NOTIFY_UNMATCHED,
	PB2B_STAT_N
} pb2b_stat_t;

/* Where counts go: adds n to counter `stat` of the calling process. */
typedef void (*pb2b_stat_sink_f)(pb2b_stat_t stat, int n);

/* Install the sink (NULL: counting off). Call before the workers fork. */
void pb2b_stats_set_sink(pb2b_stat_sink_f sink);

/* Count one `stat` (no-op without a sink or for an out-of-range stat). */
void pb2b_stat_inc(pb2b_stat_t stat);

/* The final reply `code` to a SUBSCRIBE: 2xx, an error (>= 300), or a
 * timeout (timed_out 1: tm's local 408, no reply came). */
void pb2b_stat_reply(int code, int timed_out);

/* Gauge: the subscriptions (records, in any state) in the table. */
int pb2b_stats_active(void);

#endif
