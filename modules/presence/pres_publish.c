/* PUBLISH (RFC 3903): the checks in the order the RFC gives them, then
 * initial / refresh / modify / remove, then the NOTIFYs. */
#include <stdlib.h>

#include "lp_log.h"
#include "pres_pub.h"
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
	if(expires > 0 && expires < pres.cfg.min_expires) {
		pres_reply_hdr(rep, "Min-Expires: %d\r\n", pres.cfg.min_expires);
		pres_reply_set(rep, 423, "Interval Too Brief");
		return -1;
	}
	if(expires > pres.cfg.max_expires)
		expires = pres.cfg.max_expires;
	return expires;
}

/* Event, body and Content-Type checks; the event or NULL (rep set). */
static pres_ev_t *check_request(const pres_publish_req_t *req, pres_reply_t *rep)
{
	pres_ev_t *ev;

	ev = req->has_event ? pres_event_by_hdr(&req->event) : NULL;
	if(!ev || !(ev->type & PUBL_TYPE)) {
		LP_INFO("PUBLISH for %.*s@%.*s: unknown or unpublishable event '%.*s'",
				LP_STR_FMT(req->user), LP_STR_FMT(req->domain),
				LP_STR_FMT(req->event));
		pres_reply_bad_event(rep);
		return NULL;
	}
	if(req->has_if_match
			&& (req->if_match.len <= 0 || req->if_match.len > PRES_ETAG_MAX)) {
		LP_INFO("PUBLISH with an empty or overlong SIP-If-Match");
		pres_reply_set(rep, 412, "Conditional Request Failed");
		return NULL;
	}
	if(req->body.len == 0) {
		if(!req->has_if_match) {
			LP_INFO("PUBLISH without body and without SIP-If-Match");
			pres_reply_set(rep, 400, "Bad Request");
			return NULL;
		}
		return ev;
	}
	if(!req->has_ctype || !lp_str_caseeq(&req->content_type, &ev->content_type)) {
		LP_INFO("PUBLISH with unsupported Content-Type '%.*s'",
				LP_STR_FMT(req->content_type));
		pres_reply_hdr(rep, "Accept: %.*s\r\n", LP_STR_FMT(ev->content_type));
		pres_reply_set(rep, 415, "Unsupported Media Type");
		return NULL;
	}
	if(ev->evs_publ_handl && ev->evs_publ_handl(req->msg) < 0) {
		LP_INFO("PUBLISH body rejected by event '%.*s'", LP_STR_FMT(ev->name));
		pres_reply_set(rep, 400, "Bad Request");
		return NULL;
	}
	return ev;
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
	return pres_reply_error(rep);
}

/* Initial publication, refresh or modification. */
static int publish_store(const pres_publish_req_t *req, pres_ev_t *ev,
		int expires, pres_reply_t *rep)
{
	char etag_buf[PRES_ETAG_MAX];
	lp_str_t etag = {etag_buf, 0}, old_body = LP_STR_NULL;
	pres_pub_key_t k = {&req->user, &req->domain, &ev->name, &req->if_match};
	const lp_str_t *body = &req->body;
	unsigned int now = pres.now();
	pres_pub_t *p;
	int rc, found;

	if(req->has_if_match) {
		found = pres_pub_lookup(&k, req->body.len ? NULL : &old_body, NULL);
		if(found <= 0)
			return stored_error(found == 0 ? -2 : -1, rep);
		if(!req->body.len)
			body = &old_body;
	}
	if(req->has_if_match && ev->etag_not_new)
		etag = req->if_match;
	else
		etag.len = pres_new_token(etag_buf, sizeof(etag_buf), "a");
	k.etag = &etag;
	p = pres_pub_new(&k, &req->sender, body, now + expires, now);
	free(old_body.s);
	if(!p || etag.len < 0)
		return pres_reply_error(rep);
	rc = pres_pub_store(p, req->has_if_match ? &req->if_match : NULL);
	if(rc < 0) {
		lp_free(p);
		return stored_error(rc, rep);
	}
	reply_ok(rep, &etag, expires);
	if(req->body.len)
		pres_notify_watchers(&req->user, &req->domain, ev, &req->sender);
	return 0;
}

int pres_handle_publish(const pres_publish_req_t *req, pres_reply_t *rep)
{
	pres_ev_t *ev;
	int expires, rc;

	rep->hdrs_len = 0;
	if(!pres.cfg.db_url) {
		LP_ERR("PUBLISH in library mode (presence has no db_url)");
		return pres_reply_error(rep);
	}
	ev = check_request(req, rep);
	if(!ev)
		return -1;
	expires = pres_check_expires(req->expires, ev, rep);
	if(expires < 0)
		return -1;
	if(expires > 0)
		return publish_store(req, ev, expires, rep);
	if(!req->has_if_match) { /* nothing to remove: store nothing */
		char etag_buf[PRES_ETAG_MAX];
		lp_str_t etag = {etag_buf, pres_new_token(etag_buf, sizeof(etag_buf), "a")};
		return reply_ok(rep, &etag, 0);
	}
	rc = pres_pub_remove(&(pres_pub_key_t){
			&req->user, &req->domain, &ev->name, &req->if_match});
	if(rc < 0)
		return stored_error(rc, rep);
	reply_ok(rep, &req->if_match, 0);
	pres_notify_watchers(&req->user, &req->domain, ev, &req->sender);
	return 0;
}
