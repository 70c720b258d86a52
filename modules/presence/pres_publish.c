/* PUBLISH (RFC 3903): the checks in the order the RFC gives them, then
 * initial / refresh / modify / remove, then the NOTIFYs. */
#include <stdlib.h>

#include "lp_log.h"
#include "pres_limits.h"
#include "pres_dmq.h"
#include "pres_pub.h"
#include "pres_dbq.h"
#include "pres_reply.h"

#define PRES_ETAG_MAX 128

/* Expires of the request, checked and capped; -1 when rep holds an error. */
int pres_check_expires(int expires, const pres_ev_t *ev, pres_reply_t *rep)
{
	if(expires == PRES_EXPIRES_BAD) {
		pres_reply_set(rep, 400, "Bad Expires");
		return -1;
	}
	if(expires == PRES_EXPIRES_NONE)
		expires = ev->default_expires;
	if(expires > 0 && expires < pres.cfg.min_expires
			&& pres.cfg.min_expires_action == 2) {
		expires = pres.cfg.min_expires; /* raised, as the operator asked */
	} else if(expires > 0 && expires < pres.cfg.min_expires) {
		pres_reply_hdr(rep, "Min-Expires: %d\r\n", pres.cfg.min_expires);
		pres_reply_set(rep, 423, "Interval Too Brief");
		return -1;
	}
	if(expires > pres.cfg.max_expires)
		expires = pres.cfg.max_expires;
	return expires;
}

/* Step 2 of RFC 3903 section 6: the event. NULL (rep set) when unknown or
 * not publishable. */
static pres_ev_t *check_event(const pres_publish_req_t *req, pres_reply_t *rep)
{
	pres_ev_t *ev = req->has_event ? pres_event_by_hdr(&req->event) : NULL;

	if(!ev || !(ev->type & PUBL_TYPE)) {
		LP_LOG_LIMITED(LP_L_INFO,
				"PUBLISH for %.*s@%.*s: unknown or unpublishable event '%.*s'",
				LP_STR_FMT(req->user), LP_STR_FMT(req->domain),
				LP_STR_FMT(req->event));
		pres_reply_bad_event(rep);
		return NULL;
	}
	return ev;
}

/* Step 3: SIP-If-Match names a publication we hold. 1 yes (its body copied
 * into *old_body when the request has none), 0 no (412 in rep), -1 error
 * (500 in rep). */
static int check_if_match(const pres_publish_req_t *req, pres_ev_t *ev,
		lp_str_t *old_body, pres_reply_t *rep)
{
	pres_pub_key_t k = {&req->user, &req->domain, &ev->name, &req->if_match};
	int found;

	if(req->if_match.len <= 0 || req->if_match.len > PRES_ETAG_MAX)
		found = 0;
	else
		found = pres_pub_lookup(&k, req->body.len ? NULL : old_body, NULL);
	if(found == 0) {
		LP_LOG_LIMITED(LP_L_INFO,
				"PUBLISH for %.*s@%.*s: unknown SIP-If-Match '%.*s'",
				LP_STR_FMT(req->user), LP_STR_FMT(req->domain),
				req->if_match.len > 64 ? 64 : req->if_match.len,
				req->if_match.s ? req->if_match.s : "");
		pres_reply_set(rep, 412, "Conditional Request Failed");
	} else if(found < 0) {
		pres_reply_error(rep);
	}
	return found;
}

/* Step 5: the body. 0, or -1 with rep set. */
static int check_body(const pres_publish_req_t *req, pres_ev_t *ev, pres_reply_t *rep)
{
	if(req->body.len == 0) {
		if(req->has_if_match)
			return 0;
		LP_LOG_LIMITED(LP_L_INFO,
				"PUBLISH without body and without SIP-If-Match");
		return pres_reply_set(rep, 400, "Bad Request");
	}
	if(!req->has_ctype || !lp_str_caseeq(&req->content_type, &ev->content_type)) {
		LP_LOG_LIMITED(LP_L_INFO,
				"PUBLISH with unsupported Content-Type '%.*s'",
				LP_STR_FMT(req->content_type));
		pres_reply_hdr(rep, "Accept: %.*s\r\n", LP_STR_FMT(ev->content_type));
		return pres_reply_set(rep, 415, "Unsupported Media Type");
	}
	if(ev->evs_publ_handl && !req->no_sip && ev->evs_publ_handl(req->msg) < 0) {
		LP_LOG_LIMITED(LP_L_INFO,
				"PUBLISH body rejected by event '%.*s'", LP_STR_FMT(ev->name));
		return pres_reply_set(rep, 400, "Bad Request");
	}
	return 0;
}

static int reply_ok(pres_reply_t *rep, const lp_str_t *etag, int expires)
{
	int e = expires - pres.cfg.expires_offset;

	pres_reply_hdr(rep, "SIP-ETag: %.*s\r\nExpires: %d\r\n", LP_STR_FMT(*etag),
			e > 0 ? e : 0);
	return pres_reply_set(rep, 200, "OK");
}

static int stored_error(int rc, pres_reply_t *rep)
{
	if(rc == -2)
		return pres_reply_set(rep, 412, "Conditional Request Failed");
	if(rc == PRES_DBQ_FULL)
		return pres_reply_unavailable(rep, pres.cfg.db_queue_retry_after);
	return pres_reply_error(rep);
}

/* Initial publication, refresh or modification; body is the request's, or
 * the stored one for a refresh. */
static int publish_store(const pres_publish_req_t *req, pres_ev_t *ev,
		int expires, const lp_str_t *body, pres_reply_t *rep)
{
	char etag_buf[PRES_ETAG_MAX];
	lp_str_t etag = {etag_buf, 0};
	pres_pub_key_t k = {&req->user, &req->domain, &ev->name, &etag};
	unsigned int now = pres.now();
	pres_dmq_buf_t dmq = {NULL, 0, 0, 0};
	pres_pub_t *p;
	int rc;

	if(req->has_if_match && ev->etag_not_new)
		etag = req->if_match;
	else if(!req->has_if_match && req->new_etag.len > 0
			&& req->new_etag.len < PRES_ETAG_MAX)
		etag = req->new_etag;
	else
		etag.len = pres_new_token(etag_buf, sizeof(etag_buf), NULL);
	if(etag.len < 0 || pres_limits_memory(rep) < 0)
		return etag.len < 0 ? pres_reply_error(rep) : -1;
	if(!req->has_if_match
			&& pres_limits_publications(&req->user, &req->domain, ev, rep) < 0)
		return -1;
	p = pres_pub_new(&k, &req->sender, body, now + expires, now);
	if(!p)
		return pres_reply_error(rep);
	p->priority = req->priority;
	/* encoded now (p belongs to the cache once stored), sent once stored */
	pres_dmq_encode_store(&dmq, p, req->has_if_match ? &req->if_match : NULL);
	rc = pres_pub_store(p, req->has_if_match ? &req->if_match : NULL);
	if(rc < 0) {
		pres_dmq_buf_free(&dmq);
		lp_free(p);
		return stored_error(rc, rep);
	}
	pres_dmq_send_buf(&dmq);
	reply_ok(rep, &etag, expires);
	if(req->body.len)
		rep->notify_ev = ev;
	return 0;
}

static int publish_remove(const pres_publish_req_t *req, pres_ev_t *ev, pres_reply_t *rep)
{
	char etag_buf[PRES_ETAG_MAX];
	lp_str_t etag = {etag_buf, 0};
	int rc;

	if(!req->has_if_match) { /* nothing to remove: store nothing */
		etag.len = pres_new_token(etag_buf, sizeof(etag_buf), NULL);
		return etag.len < 0 ? pres_reply_error(rep) : reply_ok(rep, &etag, 0);
	}
	rc = pres_pub_remove(&(pres_pub_key_t){
			&req->user, &req->domain, &ev->name, &req->if_match});
	if(rc < 0)
		return stored_error(rc, rep);
	pres_dmq_replicate_remove(&(pres_pub_key_t){&req->user, &req->domain,
									  &ev->name, &req->if_match},
			pres.now());
	reply_ok(rep, &req->if_match, 0);
	rep->notify_ev = ev;
	return 0;
}

/* The steps of RFC 3903 section 6 in its order: event (489), SIP-If-Match
 * (412), Expires (423), body (400, 415), then the change. */
int pres_handle_publish(const pres_publish_req_t *req, pres_reply_t *rep)
{
	lp_str_t old_body = LP_STR_NULL;
	pres_ev_t *ev;
	int expires, rc = -1;

	rep->hdrs_len = 0;
	rep->notify_ev = NULL;
	rep->off_body = LP_STR_NULL;
	if(!pres.cfg.db_url) {
		LP_ERR("PUBLISH in library mode (presence has no db_url)");
		return pres_reply_error(rep);
	}
	ev = check_event(req, rep);
	if(!ev || pres_limits_publish(req, rep) < 0)
		return -1;
	if(!req->has_if_match && pres_limits_load(&req->rxq, rep) < 0)
		return -1;
	if(req->has_if_match && check_if_match(req, ev, &old_body, rep) <= 0)
		return -1;
	expires = pres_check_expires(req->expires, ev, rep);
	if(expires < 0)
		goto done;
	if(expires == 0) {
		rc = publish_remove(req, ev, rep);
		if(rc == 0 && rep->notify_ev) { /* agg_nbody's off_index body */
			rep->off_body = old_body;
			old_body = LP_STR_NULL;
		}
		goto done;
	}
	if(check_body(req, ev, rep) < 0)
		goto done;
	rc = publish_store(req, ev, expires, req->body.len ? &req->body : &old_body, rep);
done:
	free(old_body.s);
	return rc;
}

int pres_publish_notify(const pres_publish_req_t *req, const pres_reply_t *rep)
{
	int n;

	if(!rep->notify_ev)
		return 0;
	n = pres_notify_watchers_off(&req->user, &req->domain, rep->notify_ev,
			&req->sender, rep->off_body.s ? &rep->off_body : NULL);
	free(rep->off_body.s);
	return n;
}
