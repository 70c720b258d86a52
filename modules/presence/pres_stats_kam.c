/* Kamailio side of the presence module's statistics: registers one
 * Kamailio counter per pres_stat_t (group "presence"; per-process values
 * that Kamailio sums when they are read, so workers never share a write)
 * and installs it as the sink of pres_stat_inc; the gauges of live
 * publications and subscriptions, in total and per event, are counters
 * with a read callback that asks the logic (pres_stats_active_*). */
#include "core/counters.h"
#include "core/dprint.h"

#include "lp_wq.h"
#include "pres_kam.h"
#include "pres_fanq.h"
#include "pres_stats_kam.h"

static counter_handle_t stat_h[PRES_STAT_N];

/* Names and meanings, in the order of pres_stat_t. */
static const char *const stat_def[PRES_STAT_N][2] = {
		{"publish_received", "PUBLISH requests handled by handle_publish"},
		{"publish_replied_2xx", "PUBLISH requests answered with a 2xx"},
		{"publish_replied_4xx", "PUBLISH requests answered with a 4xx"},
		{"publish_replied_5xx", "PUBLISH requests answered with a 5xx"},
		{"subscribe_received",
				"SUBSCRIBE requests handled by handle_subscribe"},
		{"subscribe_replied_2xx", "SUBSCRIBE requests answered with a 2xx"},
		{"subscribe_replied_4xx", "SUBSCRIBE requests answered with a 4xx"},
		{"subscribe_replied_5xx", "SUBSCRIBE requests answered with a 5xx"},
		{"notify_sent", "NOTIFY requests handed to tm"},
		{"notify_replied_error", "NOTIFY requests answered with >= 300"},
		{"notify_timeout", "NOTIFY requests that got no reply in time"},
		{"db_ops", "DB statements, begins, commits and rollbacks run"},
		{"db_errors", "DB operations that failed"},
		{"body_cache_hits",
				"presentity documents reused from body_cache"},
		{"body_cache_misses",
				"presentity documents aggregated with body_cache on"},
};

static void kam_sink(pres_stat_t stat, int n)
{
	counter_add(stat_h[stat], n);
}

static counter_val_t active_pubs(counter_handle_t h, void *ev)
{
	int n = pres_stats_active_pubs(ev);

	return n < 0 ? 0 : n;
}

static counter_val_t active_subs(counter_handle_t h, void *ev)
{
	int n = pres_stats_active_subs(ev);

	return n < 0 ? 0 : n;
}

/* The publication write queue (db_write_interval, pres_dbq.h): 0
 * without one. Read without its lock: a statistic may be a moment old. */
static counter_val_t queue_len(counter_handle_t h, void *p)
{
	return pres.dbq ? (counter_val_t)pres.dbq->len : 0;
}

static counter_val_t notify_queue_len(counter_handle_t h, void *p)
{
	return (counter_val_t)pres_fanq_len(pres.fanq);
}

static counter_val_t notify_dropped(counter_handle_t h, void *p)
{
	return pres.fanq ? (counter_val_t)*pres.fanq->dropped : 0;
}

static counter_val_t queue_high(counter_handle_t h, void *p)
{
	return pres.dbq ? (counter_val_t)pres.dbq->high : 0;
}

static counter_val_t queue_full(counter_handle_t h, void *p)
{
	return pres.dbq ? (counter_val_t)pres.dbq->refused : 0;
}

static int reg_gauge(
		const char *name, counter_cbk_f cbk, pres_ev_t *ev, const char *doc)
{
	int rc = counter_register(
			NULL, "presence", name, CNT_F_NO_RESET, cbk, ev, doc, 0);

	if(rc == -2) { /* two events with one name once sanitized */
		LM_WARN("statistic presence:%s exists already: not counted for"
				" this event\n",
				name);
		return 0;
	}
	if(rc < 0) {
		LM_ERR("cannot register the statistic presence:%s\n", name);
		return -1;
	}
	return 0;
}

/* The module-wide gauges, read when asked. */
static const struct
{
	const char *name;
	counter_val_t (*get)(counter_handle_t h, void *p);
	const char *doc;
} gauges[] = {
		{"active_publications", active_pubs, "live publications (every event)"},
		{"active_subscriptions", active_subs,
				"live subscriptions (every event)"},
		{"db_queue_length", queue_len,
				"changes waiting for the DB writer process"},
		{"db_queue_high", queue_high, "most changes ever waiting at once"},
		{"db_queue_full", queue_full,
				"requests answered 503 because the queue was full"},
		{"notify_queue_length", notify_queue_len,
				"NOTIFYs waiting for the sender processes"},
		{"notify_dropped", notify_dropped,
				"NOTIFYs not sent: a sender queue was full"},
};

int pres_stats_kam_init(void)
{
	int i;

	for(i = 0; i < PRES_STAT_N; i++)
		if(counter_register(&stat_h[i], "presence", stat_def[i][0], 0, 0, 0,
				   stat_def[i][1], 0)
				< 0) {
			LM_ERR("cannot register the statistic presence:%s\n",
					stat_def[i][0]);
			return -1;
		}
	for(i = 0; i < (int)(sizeof(gauges) / sizeof(gauges[0])); i++)
		if(reg_gauge(gauges[i].name, gauges[i].get, NULL, gauges[i].doc) < 0)
			return -1;
	pres_stats_set_sink(kam_sink);
	return 0;
}

int pres_stats_kam_events(void)
{
	lp_event_t *e;
	char name[128];

	for(e = pres.events.first; e; e = e->next) {
		if(pres_stats_event_name(
				   name, sizeof(name), "active_publications_", &e->name)
						< 0
				|| reg_gauge(name, active_pubs, e->data,
						   "live publications of one event")
						   < 0
				|| pres_stats_event_name(name, sizeof(name),
						   "active_subscriptions_", &e->name)
						   < 0
				|| reg_gauge(name, active_subs, e->data,
						   "live subscriptions of one event")
						   < 0) {
			LM_ERR("cannot register the statistics of event %.*s\n",
					LP_STR_FMT(e->name));
			return -1;
		}
	}
	return 0;
}

void pres_stats_kam_reply(struct sip_msg *msg, int code)
{
	if(msg->first_line.type != SIP_REQUEST)
		return;
	if(msg->REQ_METHOD == METHOD_PUBLISH)
		pres_stat_reply(1, code);
	else if(msg->REQ_METHOD == METHOD_SUBSCRIBE)
		pres_stat_reply(0, code);
}

void pres_stats_kam_notify_reply(struct tmcb_params *ps)
{
	pres_stat_notify_reply(ps->code, ps->rpl == FAKED_REPLY && ps->code == 408);
}
