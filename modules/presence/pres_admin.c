/* Operator and start-up work: refreshWatchers, loading the tables from the
 * DB, and the parts of the API that are pure logic. */
#include <stdlib.h>
#include <string.h>

#include "lp_log.h"
#include "pres_pub.h"
#include "pres_subs.h"

static void restatus(const subs_t *stored, const subs_t *updated);

/* Re-ask the event's authorization for every watcher of pres_uri; the
 * watchers whose status changed get a NOTIFY with their new state (a
 * terminated one is then removed) and the winfo subscribers are told.
 * Returns how many changed. */
static int reauthorize(const lp_str_t *pres_uri, pres_ev_t *ev)
{
	subs_t **ws = NULL, copy;
	int n, i, changed = 0;
	unsigned int old;

	if(!ev->req_auth || !ev->get_auth_status)
		return 0;
	n = pres_subs_watchers(pres_uri, ev, &ws);
	pres_fanout_bracket(1); /* the rules are read once for all of them */
	for(i = 0; i < n; i++) {
		old = ws[i]->status;
		copy = *ws[i];
		if(ev->get_auth_status(&copy) < 0 || copy.status == old)
			continue;
		changed++;
		restatus(ws[i], &copy);
	}
	pres_fanout_bracket(0);
	for(i = 0; i < n; i++)
		free(ws[i]);
	free(ws);
	return changed;
}

typedef struct status_ctx {
	int status;
	lp_str_t reason;
	subs_t *copy; /* malloc'd: the updated subscription */
	subs_t repl;
} status_ctx_t;

static int status_op(subs_t *stored, void *vctx, subs_t **replace)
{
	status_ctx_t *c = vctx;

	c->repl = *stored;
	c->repl.status = c->status;
	c->repl.reason = c->reason;
	c->repl.local_cseq = stored->local_cseq + 1;
	c->repl.version = stored->version + 1;
	c->copy = pres_subs_dup(&c->repl, 0);
	if(!c->copy)
		return -1;
	*replace = &c->repl; /* the reason string may change size */
	return 1;
}

/* Store a watcher's new status (from reauthorization), NOTIFY it, tell the
 * winfo subscribers; a terminated subscription is then removed. */
static void restatus(const subs_t *stored, const subs_t *updated)
{
	pres_dlg_key_t k = {&stored->callid, &stored->to_tag, &stored->from_tag};
	status_ctx_t c;
	lp_str_t body = LP_STR_NULL;
	pres_notify_t *nt;

	memset(&c, 0, sizeof(c));
	c.status = updated->status;
	c.reason = updated->reason;
	if(pres_subs_apply(&stored->pres_uri, &k, status_op, &c) < 0 || !c.copy)
		return;
	pres_winfo_notify_change(c.copy);
	if(c.status == TERMINATED_STATUS)
		pres_subs_remove(&stored->pres_uri, &k);
	nt = c.status == TERMINATED_STATUS ? pres_notify_make(c.copy, &body)
									   : pres_notify_build(c.copy);
	if(c.status != TERMINATED_STATUS)
		free(c.copy);
	pres_notify_send(nt);
	pres_notify_free(nt);
}

/* Store the presentity's pidf-manipulation document (RFC 4827 "hard
 * state") as its publication with ETag `filename`, or remove that
 * publication when the event has no such document any more. The document
 * comes from the event's get_pidf_doc (presence_xml: the xcap table); it
 * never expires by itself (PRES_HARD_EXPIRES). 0 or -1. */
#define PRES_HARD_EXPIRES 2147483647u
static int hard_state(const lp_str_t *user, const lp_str_t *domain,
		pres_ev_t *ev, const lp_str_t *file_uri, const lp_str_t *filename)
{
	lp_str_t *doc = NULL, none = LP_STR_NULL;
	pres_pub_key_t k = {user, domain, &ev->name, filename};
	pres_pub_t *p;
	int rc;

	if(!ev->get_pidf_doc) {
		LP_ERR("refreshWatchers: event %.*s has no pidf-manipulation"
			   " documents", LP_STR_FMT(ev->name));
		return -1;
	}
	if(ev->get_pidf_doc((lp_str_t *)user, (lp_str_t *)domain,
			   (lp_str_t *)file_uri, &doc) < 0)
		return -1;
	if(!doc || !doc->s || doc->len == 0) {
		rc = pres_pub_remove(&k);
		rc = rc == -2 ? 0 : rc; /* there was no hard state: fine */
		goto done;
	}
	rc = -1;
	p = pres_pub_new(&k, &none, doc, PRES_HARD_EXPIRES, pres.now());
	if(!p)
		goto done;
	rc = pres_pub_store(p, filename);
	if(rc == -2) /* the first version of the document */
		rc = pres_pub_store(p, NULL);
	if(rc < 0)
		lp_free(p);
done:
	if(doc && ev->free_body) {
		ev->free_body(doc->s);
		ev->free_body((char *)doc);
	}
	return rc < 0 ? -1 : 0;
}

int pres_refresh_watchers_file(const lp_str_t *pres_uri,
		const lp_str_t *event, int type, const lp_str_t *file_uri,
		const lp_str_t *filename)
{
	pres_ev_t *ev = pres_event_by_hdr(event);
	lp_str_t user, domain;
	int rc;

	if(!ev) {
		LP_ERR("refreshWatchers: unknown event '%.*s'", LP_STR_FMT(*event));
		return -1;
	}
	if(pres_split_uri(pres_uri, &user, &domain) < 0) {
		LP_ERR("refreshWatchers: bad presentity uri '%.*s'", LP_STR_FMT(*pres_uri));
		return -1;
	}
	if(type == 0) /* rules changed: only the watchers whose state changed */
		return reauthorize(pres_uri, ev);
	if(type == 2 && filename && filename->len > 0)
		rc = hard_state(&user, &domain, ev, file_uri, filename);
	else
		rc = pres_pub_reload(&user, &domain, &ev->name);
	if(rc < 0)
		return -1;
	return pres_notify_watchers(&user, &domain, ev, NULL);
}

int pres_refresh_watchers(const lp_str_t *pres_uri, const lp_str_t *event, int type)
{
	return pres_refresh_watchers_file(pres_uri, event, type, NULL, NULL);
}

int pres_load_db(void)
{
	if(pres_pub_load_all() < 0 || pres_subs_load_all() < 0)
		return -1;
	return 0;
}

int pres_has_subscribers(const lp_str_t *pres_uri, const lp_str_t *event)
{
	pres_ev_t *ev = pres_event_by_hdr(event);
	subs_t **ws = NULL;
	int n, i, live = 0;

	if(!ev) {
		LP_ERR("pres_has_subscribers: unknown event '%.*s'", LP_STR_FMT(*event));
		return -1;
	}
	n = pres_subs_watchers(pres_uri, ev, &ws);
	for(i = 0; i < n; i++) {
		if(ws[i]->status != TERMINATED_STATUS)
			live++;
		free(ws[i]);
	}
	free(ws);
	return n < 0 ? -1 : live;
}
