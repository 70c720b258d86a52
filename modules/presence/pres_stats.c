/* The presence module's statistics, host-neutral (see pres_stats.h): the
 * counting entry points that the logic and the glue call, which forward to
 * the sink the Kamailio glue installs, and the gauges of live publications
 * and subscriptions, read from the tables or the DB when asked. */
#include <stdio.h>
#include <stdlib.h>

#include "pres_pub.h"
#include "pres_stats.h"
#include "pres_subs.h"

static pres_stat_sink_f stat_sink;

void pres_stats_set_sink(pres_stat_sink_f sink)
{
	stat_sink = sink;
}

void pres_stat_inc(pres_stat_t stat)
{
	if(stat_sink && stat >= 0 && stat < PRES_STAT_N)
		stat_sink(stat, 1);
}

void pres_stat_reply(int is_publish, int code)
{
	pres_stat_t base =
			is_publish ? PRES_STAT_PUBLISH_2XX : PRES_STAT_SUBSCRIBE_2XX;

	if(code >= 200 && code < 300)
		pres_stat_inc(base);
	else if(code >= 400 && code < 500)
		pres_stat_inc(base + 1);
	else if(code >= 500 && code < 600)
		pres_stat_inc(base + 2);
}

void pres_stat_notify_reply(int code, int timed_out)
{
	if(timed_out)
		pres_stat_inc(PRES_STAT_NOTIFY_TIMEOUT);
	else if(code >= 300)
		pres_stat_inc(PRES_STAT_NOTIFY_ERROR);
}

void pres_stat_db(int rc)
{
	pres_stat_inc(PRES_STAT_DB_OPS);
	if(rc < 0)
		pres_stat_inc(PRES_STAT_DB_ERRORS);
}

lp_db_t *pres_stats_db(lp_db_t *db)
{
	return lp_db_observe(db, pres_stat_db);
}

/* ---- gauges ---- */

static int count_row(void *ctx, const lp_db_val_t *cols, int ncols)
{
	char buf[24];
	int *n = ctx;

	if(ncols < 1)
		return 1;
	if(cols[0].type == LP_DB_INT) {
		*n = (int)cols[0].v.i;
	} else if(cols[0].type == LP_DB_STR && cols[0].v.s.len < (int)sizeof(buf)) {
		snprintf(buf, sizeof(buf), "%.*s", LP_STR_FMT(cols[0].v.s));
		*n = atoi(buf);
	}
	return 1;
}

/* count(*) of the live rows of table (of event ev when not NULL). */
static int db_count(const char *table, const pres_ev_t *ev)
{
	lp_db_t *db = pres_db();
	lp_db_val_t v[2];
	char *sql;
	int n = 0, np = 0, rc;

	sql = lp_db_sql_for_table(ev ? "SELECT count(*) FROM %s WHERE event = ?"
								   " AND expires > ?"
								 : "SELECT count(*) FROM %s WHERE expires > ?",
			table);
	if(!db || !sql) {
		free(sql);
		return -1;
	}
	if(ev)
		v[np++] = LP_DB_VSTR(ev->name);
	v[np++] = LP_DB_VINT(pres.now());
	rc = lp_db_exec(db, sql, v, np, count_row, &n);
	free(sql);
	return rc < 0 ? -1 : n;
}

typedef struct pub_count
{
	const pres_ev_t *ev;
	int n;
} pub_count_t;

static int count_pub(const pres_pub_t *p, void *ctx)
{
	pub_count_t *c = ctx;

	if(!c->ev || lp_str_caseeq(&p->event, &c->ev->name))
		c->n++;
	return 0;
}

int pres_stats_active_pubs(const pres_ev_t *ev)
{
	pub_count_t c = {ev, 0};

	if(!pres.cfg.publ_cache && pres.cfg.db_url)
		return db_count(pres.cfg.presentity_table, ev);
	pres_pub_foreach(NULL, NULL, count_pub, &c);
	return c.n;
}

/* Live subscriptions of ev (NULL: all) in one bucket, locked. */
static int count_subs_in(
		unsigned int slot, const pres_ev_t *ev, unsigned int now)
{
	lp_hentry_t *e;
	int n = 0;

	lp_htable_lock(pres.subs, slot);
	for(e = pres.subs->buckets[slot].first; e; e = e->next) {
		const subs_t *s = &((const pres_srec_t *)e)->s;
		if(s->expires > now && (!ev || s->event == ev))
			n++;
	}
	lp_htable_unlock(pres.subs, slot);
	return n;
}

int pres_stats_active_subs(const pres_ev_t *ev)
{
	unsigned int i, now;
	int n = 0;

	if(pres.cfg.subs_db_mode == PRES_SUBS_DB_ONLY && pres.cfg.db_url)
		return db_count(pres.cfg.active_watchers_table, ev);
	if(!pres.subs)
		return 0;
	now = pres.now();
	for(i = 0; i < pres.subs->size; i++)
		if(pres.subs->buckets[i].first)
			n += count_subs_in(i, ev, now);
	return n;
}

int pres_stats_event_name(
		char *buf, int size, const char *prefix, const lp_str_t *event)
{
	int n, i;

	n = snprintf(buf, size, "%s%.*s", prefix, LP_STR_FMT(*event));
	if(n < 0 || n >= size)
		return -1;
	for(i = 0; i < n; i++) {
		char c = buf[i];
		if(!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
				   || (c >= '0' && c <= '9') || c == '_'))
			buf[i] = '_';
	}
	return n;
}
