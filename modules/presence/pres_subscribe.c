/* SUBSCRIBE (RFC 6665, RFC 3265): checks, then a new subscription, a
 * refresh, an unsubscribe or a fetch, and the NOTIFY that follows the
 * reply. */
#include <stdlib.h>
#include <string.h>

#include "lp_log.h"
#include "pres_dbq.h"
#include "lp_siphdr.h"
#include "pres_limits.h"
#include "pres_reply.h"
#include "pres_sql.h"
#include "pres_subs.h"

/* Accept (RFC 3261 s20.1, parsed strictly by lp_siphdr_accept_parse): a
 * malformed value is a bad request (400); a list that takes none of the
 * types the event package produces gets 406 (RFC 3261 s21.4.7). The 406
 * carries no Accept header: in a response Accept lists the bodies the
 * server takes in requests (s20.1), which says nothing here. An event
 * without a content type (none registered) is not checked. 0 when the
 * request may go on, else the reply is set. */
static int check_accept(const pres_subscribe_req_t *req, const pres_ev_t *ev,
		pres_reply_t *rep)
{
	lp_siphdr_accept_t acc;

	if(!req->has_accept || ev->content_type.len <= 0)
		return 0;
	if(lp_siphdr_accept_parse(&req->accept, &acc) < 0) {
		LP_LOG_RATE(LP_LOG_REQ_PER_SEC, 1, LP_L_INFO,
				"SUBSCRIBE with a malformed Accept header");
		return pres_reply_set(rep, 400, "Bad Request - Malformed Accept");
	}
	if(!lp_siphdr_accept_takes(&acc, &ev->content_type)) {
		LP_LOG_RATE(LP_LOG_REQ_PER_SEC, 1, LP_L_INFO,
				"SUBSCRIBE whose Accept excludes %.*s",
				LP_STR_FMT(ev->content_type));
		return pres_reply_set(rep, 406, "Not Acceptable");
	}
	return 0;
}

static pres_ev_t *check_request(const pres_subscribe_req_t *req, pres_reply_t *rep)
{
	pres_ev_t *ev = req->has_event ? pres_event_by_hdr(&req->event) : NULL;

	if(!ev) {
		LP_LOG_LIMITED(LP_L_INFO,
				"SUBSCRIBE with unknown or missing event '%.*s'",
				LP_STR_FMT(req->event));
		pres_reply_bad_event(rep);
		return NULL;
	}
	if(ev->evs_subs_handl && ev->evs_subs_handl(req->msg) < 0) {
		LP_LOG_LIMITED(LP_L_INFO,
				"SUBSCRIBE rejected by event '%.*s'", LP_STR_FMT(ev->name));
		pres_reply_set(rep, 400, "Bad Request");
		return NULL;
	}
	if(check_accept(req, ev, rep) != 0)
		return NULL;
	return ev;
}

static int reply_ok(pres_reply_t *rep, const pres_ev_t *ev, int expires,
		const lp_str_t *contact)
{
	pres_reply_hdr(rep, "Expires: %d\r\nContact: <%.*s>\r\n", expires,
			LP_STR_FMT(*contact));
	/* RFC 6665 section 8.3.1: a notifier MUST NOT send 202; 202 only when
	 * the operator asks for the RFC 3265 behaviour (subs_respond_200 0) */
	if((ev->type & WINFO_TYPE) || pres.cfg.subs_respond_200)
		return pres_reply_set(rep, 200, "OK");
	return pres_reply_set(rep, 202, "Accepted");
}

/* The watchers row of a new subscription: written now, or queued for the
 * DB writer (pres_dbq.h). 0, -1, or PRES_DBQ_FULL. */
static int write_watcher(const subs_t *s)
{
	lp_db_t *db;
	lp_db_val_t v[7] = {LP_DB_VSTR(s->pres_uri), LP_DB_VSTR(s->watcher_user),
			LP_DB_VSTR(s->watcher_domain), LP_DB_VSTR(s->event->name),
			LP_DB_VINT(s->status), LP_DB_VSTR(s->reason), LP_DB_VINT(pres.now())};

	if(pres_dbq_subs())
		return pres_dbq_exec(pres_sql.watcher_insert, v, 7);
	db = pres_db();
	if(!db || lp_db_exec(db, pres_sql.watcher_insert, v, 7, NULL, NULL) < 0)
		return -1;
	return 0;
}

/* Who may subscribe: a watcher-info package only for the presentity itself
 * (RFC 3857 section 5.1: the default policy); otherwise the event's
 * authorization (a rule that blocks the watcher: 403, RFC 5025 section
 * 3.2.1). 0, or -1 with rep set. */
static int check_auth(const pres_subscribe_req_t *req, pres_ev_t *ev,
		subs_t *s, pres_reply_t *rep)
{
	if((ev->type & WINFO_TYPE)
			&& (!lp_str_eq(&s->watcher_user, &req->ruri_user)
					|| !lp_str_caseeq(&s->watcher_domain, &req->ruri_domain))) {
		LP_LOG_LIMITED(LP_L_INFO,
				"%.*s@%.*s may not watch the watchers of %.*s",
				LP_STR_FMT(s->watcher_user), LP_STR_FMT(s->watcher_domain),
				LP_STR_FMT(s->pres_uri));
		return pres_reply_set(rep, 403, "Forbidden");
	}
	if(!ev->req_auth || !ev->get_auth_status)
		return 0;
	s->status = PENDING_STATUS; /* new: nothing allowed until the rules say */
	if(ev->get_auth_status(s) < 0)
		return pres_reply_error(rep);
	if(s->status == TERMINATED_STATUS) {
		LP_LOG_LIMITED(LP_L_INFO,
				"subscription of %.*s@%.*s to %.*s blocked by its rules",
				LP_STR_FMT(req->from_user), LP_STR_FMT(req->from_domain),
				LP_STR_FMT(s->pres_uri));
		return pres_reply_set(rep, 403, "Forbidden");
	}
	return 0;
}

static int watcher_refused(int rc, pres_reply_t *rep)
{
	if(rc != PRES_DBQ_FULL)
		return pres_reply_error(rep);
	return pres_reply_unavailable(rep, pres.cfg.db_queue_retry_after);
}

/* Store a new subscription and its watchers row: 0, or -1 with rep set
 * (500; 503 with Retry-After when the DB write queue is full). Written at
 * once: the subscription first, removed again when the row fails. Queued
 * (pres_dbq.h): the row first, so that a full queue refuses before
 * anything is stored and no DELETE has to wait on the database. */
static int store_new(subs_t *s, pres_reply_t *rep)
{
	int rc;

	if(pres_dbq_subs()) {
		if((rc = write_watcher(s)) < 0)
			return watcher_refused(rc, rep);
		return pres_subs_insert(s) < 0 ? pres_reply_error(rep) : 0;
	}
	if(pres_subs_insert(s) < 0)
		return pres_reply_error(rep);
	if((rc = write_watcher(s)) < 0) {
		pres_subs_remove(&s->pres_uri,
				&(pres_dlg_key_t){&s->callid, &s->to_tag, &s->from_tag});
		return watcher_refused(rc, rep);
	}
	return 0;
}

static int new_subscription(const pres_subscribe_req_t *req, pres_ev_t *ev,
		int expires, pres_reply_t *rep, pres_notify_t **notify)
{
	char ubuf[512];
	subs_t s;

	if(req->contact.len <= 0 || req->from_tag.len <= 0 || req->callid.len <= 0) {
		LP_LOG_LIMITED(LP_L_INFO,
				"initial SUBSCRIBE without Contact, From tag or Call-ID");
		return pres_reply_set(rep, 400, "Bad Request");
	}
	memset(&s, 0, sizeof(s));
	s.pres_uri.s = ubuf;
	s.pres_uri.len = pres_make_uri(ubuf, sizeof(ubuf), &req->ruri_user, &req->ruri_domain);
	rep->to_tag.s = rep->to_tag_buf;
	rep->to_tag.len = pres_new_token(rep->to_tag_buf, sizeof(rep->to_tag_buf),
			pres.cfg.to_tag_pref);
	if(s.pres_uri.len < 0 || rep->to_tag.len < 0)
		return pres_reply_set(rep, 400, "Bad Request");
	s.to_user = req->to_user;
	s.to_domain = req->to_domain;
	s.from_user = s.watcher_user = req->from_user;
	s.from_domain = s.watcher_domain = req->from_domain;
	if(req->watcher_user.len > 0 && req->watcher_domain.len > 0) {
		s.watcher_user = req->watcher_user;
		s.watcher_domain = req->watcher_domain;
	}
	s.event = ev;
	s.to_tag = rep->to_tag;
	s.from_tag = req->from_tag;
	s.callid = req->callid;
	s.sockinfo_str = req->sockinfo;
	s.remote_cseq = req->cseq;
	s.local_cseq = 1; /* the NOTIFY that follows the reply */
	s.contact = req->contact;
	s.local_contact = req->local_contact;
	s.record_route = req->record_route;
	s.expires = pres.now() + expires;
	s.status = ACTIVE_STATUS;
	s.user_agent = req->user_agent;
	s.event_id = LP_STR_NULL;
	{
		lp_event_hdr_t h;
		if(lp_event_parse(&req->event, &h) == 0 && h.id.len)
			s.event_id = h.id;
	}
	if(s.event_id.len > PRES_COL_NAME) { /* active_watchers.event_id */
		LP_LOG_LIMITED(LP_L_INFO, "SUBSCRIBE refused: Event id of %d bytes,"
				" over %d (400)", s.event_id.len, PRES_COL_NAME);
		return pres_reply_set(rep, 400, "Event Id Too Long");
	}
	if(expires > 0 && (pres_limits_memory(rep) < 0
			|| pres_limits_watcher(&s.watcher_user, &s.watcher_domain, rep) < 0))
		return -1;
	if(check_auth(req, ev, &s, rep) < 0)
		return -1;
	if(pres.cfg.delete_same_subs)
		pres_subs_remove_same(&s.pres_uri, &s.callid);
	if(expires > 0 && store_new(&s, rep) < 0)
		return -1;
	reply_ok(rep, ev, expires, &req->local_contact);
	*notify = pres_notify_build(&s);
	if(expires > 0)
		pres_winfo_notify_change(&s);
	return 0;
}

typedef struct refresh_ctx {
	const pres_subscribe_req_t *req;
	pres_ev_t *ev;
	int expires;
	subs_t *copy; /* malloc'd copy of the updated subscription */
	subs_t replacement; /* the stored one with a new Contact */
} refresh_ctx_t;

/* Under the bucket lock: the refreshed subscription. A new Contact (target
 * refresh) changes a string, so the record is replaced as a whole (and the
 * stored one stays untouched if that fails); otherwise it is updated in
 * place. */
static int refresh_op(subs_t *stored, void *vctx, subs_t **replace)
{
	refresh_ctx_t *c = vctx;
	subs_t *u = &c->replacement;

	if(stored->event != c->ev)
		return -2;
	if(!pres_cseq_in_order(c->req->cseq, stored->remote_cseq))
		return -3;
	*u = *stored;
	u->expires = pres.now() + c->expires;
	u->remote_cseq = c->req->cseq;
	u->local_cseq = stored->local_cseq + 1;
	u->version = stored->version + 1;
	if(c->req->contact.len > 0 && !lp_str_eq(&c->req->contact, &stored->contact))
		u->contact = c->req->contact;
	c->copy = pres_subs_dup(u, 0);
	if(!c->copy)
		return -1;
	if(u->contact.s != stored->contact.s) {
		*replace = u;
		return 1;
	}
	stored->expires = u->expires;
	stored->remote_cseq = u->remote_cseq;
	stored->local_cseq = u->local_cseq;
	stored->version = u->version;
	return 0;
}

/* RFC 3261 section 12.2.2: a request whose CSeq is lower than the last
 * one is out of order (500). An equal one is not a new request either: a
 * retransmission is absorbed by the transaction layer, so what reaches us
 * with the same CSeq is a replay (a captured un-SUBSCRIBE sent again would
 * end a live subscription). cseq_offset N > 0 takes an equal CSeq and one
 * up to N lower (Kamailio's tolerance for clients that reset it). */
int pres_cseq_in_order(unsigned int cseq, unsigned int last)
{
	if(cseq > last)
		return 1;
	return pres.cfg.cseq_offset > 0
		   && (long long)cseq + pres.cfg.cseq_offset >= (long long)last;
}

static int in_dialog(const pres_subscribe_req_t *req, pres_ev_t *ev,
		int expires, pres_reply_t *rep, pres_notify_t **notify)
{
	char ubuf[512];
	lp_str_t uri = {ubuf, pres_make_uri(ubuf, sizeof(ubuf), &req->to_user, &req->to_domain)};
	pres_dlg_key_t k = {&req->callid, &req->to_tag, &req->from_tag};
	refresh_ctx_t c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.req = req;
	c.ev = ev;
	c.expires = expires;
	if(uri.len < 0)
		return pres_reply_set(rep, 400, "Bad Request");
	rc = pres_subs_apply(&uri, &k, refresh_op, &c);
	if(rc == -2) {
		LP_LOG_LIMITED(LP_L_INFO, "in-dialog SUBSCRIBE for unknown dialog %.*s",
				LP_STR_FMT(req->callid));
		free(c.copy);
		return pres_reply_set(rep, 481, "Subscription does not exist");
	}
	if(rc == -3) {
		LP_LOG_LIMITED(LP_L_INFO, "in-dialog SUBSCRIBE %.*s: CSeq %u not"
				" above the last one, out of order (500)",
				LP_STR_FMT(req->callid), req->cseq);
		return pres_reply_set(rep, 500, "Out of order CSeq");
	}
	if(rc < 0) {
		free(c.copy);
		return pres_reply_error(rep);
	}
	if(expires == 0) {
		pres_subs_remove(&c.copy->pres_uri, &k);
		c.copy->status = TERMINATED_STATUS;
		pres_winfo_notify_change(c.copy);
		c.copy->status = c.replacement.status; /* the last NOTIFY keeps its body */
	}
	rep->to_tag = req->to_tag;
	reply_ok(rep, ev, expires, &c.copy->local_contact);
	*notify = pres_notify_build(c.copy);
	free(c.copy);
	return 0;
}

int pres_handle_subscribe(const pres_subscribe_req_t *req, pres_reply_t *rep,
		pres_notify_t **notify)
{
	pres_ev_t *ev;
	int expires;

	*notify = NULL;
	rep->hdrs_len = 0;
	rep->to_tag = LP_STR_NULL;
	if(!pres.cfg.db_url) {
		LP_ERR("SUBSCRIBE in library mode (presence has no db_url)");
		return pres_reply_error(rep);
	}
	ev = check_request(req, rep);
	if(!ev)
		return -1;
	expires = pres_check_expires(req->expires, ev, rep);
	if(expires < 0 || pres_limits_subscribe(req, rep) < 0)
		return -1;
	if(req->to_tag.len > 0)
		return in_dialog(req, ev, expires, rep, notify);
	if(expires > 0 && pres_limits_load(&req->rxq, rep) < 0)
		return -1;
	return new_subscription(req, ev, expires, rep, notify);
}
