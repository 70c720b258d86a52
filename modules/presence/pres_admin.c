/* Operator and start-up work: refreshWatchers, loading the tables from the
 * DB, and the parts of the API that are pure logic. */
#include <stdlib.h>
#include <string.h>

#include "lp_log.h"
#include "pres_pub.h"
#include "pres_subs.h"

/* Re-ask the event's authorization for every watcher of pres_uri; returns
 * how many changed. */
static int reauthorize(const lp_str_t *pres_uri, pres_ev_t *ev)
{
	unsigned int hash = lp_hash_str(pres_uri);
	unsigned int slot = lp_htable_slot(pres.subs, hash);
	int changed = 0, old;
	lp_hentry_t *e;

	if(!ev->req_auth || !ev->get_auth_status)
		return 0;
	lp_htable_lock(pres.subs, slot);
	for(e = pres.subs->buckets[slot].first; e; e = e->next) {
		pres_srec_t *r = (pres_srec_t *)e;
		if(r->s.event != ev || !lp_str_eq(&r->s.pres_uri, pres_uri))
			continue;
		old = r->s.status;
		if(ev->get_auth_status(&r->s) == 0 && r->s.status != old) {
			changed++;
			if(r->db_state == PRES_DB_CLEAN)
				r->db_state = PRES_DB_DIRTY;
		}
	}
	lp_htable_unlock(pres.subs, slot);
	return changed;
}

int pres_refresh_watchers(const lp_str_t *pres_uri, const lp_str_t *event, int type)
{
	pres_ev_t *ev = pres_event_by_hdr(event);
	lp_str_t user, domain;

	if(!ev) {
		LP_ERR("refreshWatchers: unknown event '%.*s'", LP_STR_FMT(*event));
		return -1;
	}
	if(pres_split_uri(pres_uri, &user, &domain) < 0) {
		LP_ERR("refreshWatchers: bad presentity uri '%.*s'", LP_STR_FMT(*pres_uri));
		return -1;
	}
	if(type == 0)
		reauthorize(pres_uri, ev);
	else if(pres_pub_reload(&user, &domain, &ev->name) < 0)
		return -1;
	return pres_notify_watchers(&user, &domain, ev, NULL);
}

int pres_load_db(void)
{
	if(pres_pub_load_all() < 0 || pres_subs_load_all() < 0)
		return -1;
	return 0;
}
