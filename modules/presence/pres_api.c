/* The entries of presence_api_t that are pure logic: a watcher's
 * authorization state (pres_auth_status), a presentity's document
 * (get_presentity) and a publication without SIP (update_presentity). The
 * glue (presence_mod.c) converts strings and memory to Kamailio's. */
#include <stdlib.h>
#include <string.h>

#include "lp_log.h"
#include "pres_logic.h"
#include "pres_pub.h"

int pres_auth_status_of(pres_ev_t *ev, const lp_str_t *watcher_uri,
		const lp_str_t *pres_uri)
{
	lp_str_t pu, pd;
	subs_t s;

	memset(&s, 0, sizeof(s));
	if(!ev || pres_split_uri(watcher_uri, &s.watcher_user, &s.watcher_domain) < 0
			|| pres_split_uri(pres_uri, &pu, &pd) < 0) {
		LP_ERR("pres_auth_status: bad watcher or presentity uri");
		return -1;
	}
	if(!ev->req_auth || !ev->get_auth_status)
		return ACTIVE_STATUS;
	s.pres_uri = *pres_uri;
	s.to_user = pu;
	s.to_domain = pd;
	s.from_user = s.watcher_user;
	s.from_domain = s.watcher_domain;
	s.event = ev;
	s.status = PENDING_STATUS; /* a new watcher, as for a SUBSCRIBE */
	if(ev->get_auth_status(&s) < 0)
		return -1;
	return (int)s.status;
}

int pres_presentity_doc(const lp_str_t *pres_uri, pres_ev_t *ev,
		const lp_str_t *etag, lp_str_t *out)
{
	lp_str_t user, domain;
	int rc;

	*out = LP_STR_NULL;
	if(!ev || pres_split_uri(pres_uri, &user, &domain) < 0)
		return -1;
	if(etag && etag->len > 0) {
		pres_pub_key_t k = {&user, &domain, &ev->name, etag};
		rc = pres_pub_lookup(&k, out, NULL);
		if(rc <= 0)
			*out = LP_STR_NULL;
		return rc;
	}
	if(pres_current_body(&user, &domain, ev, out) < 0)
		return -1;
	return out->s ? 1 : 0;
}

int pres_update_presentity(const lp_str_t *event, const lp_str_t *realm,
		const lp_str_t *user, const lp_str_t *etag, const lp_str_t *sender,
		const lp_str_t *body, int expires, int new_t)
{
	pres_publish_req_t req;
	pres_reply_t rep;
	pres_ev_t *ev = event ? pres_event_by_hdr(event) : NULL;

	if(!ev || !realm || !user || realm->len <= 0 || user->len <= 0) {
		LP_ERR("update_presentity: unknown event or no presentity");
		return 400;
	}
	memset(&req, 0, sizeof(req));
	memset(&rep, 0, sizeof(rep));
	req.user = *user;
	req.domain = *realm;
	req.has_event = 1;
	req.event = ev->name;
	req.expires = expires < 0 ? PRES_EXPIRES_NONE : expires;
	if(!new_t) {
		if(!etag || etag->len <= 0) {
			LP_ERR("update_presentity: a refresh needs the ETag");
			return 400;
		}
		req.has_if_match = 1;
		req.if_match = *etag;
	} else if(etag) {
		req.new_etag = *etag;
	}
	req.no_sip = 1;
	req.has_ctype = 1;
	req.content_type = ev->content_type;
	if(body)
		req.body = *body;
	if(sender)
		req.sender = *sender;
	pres_handle_publish(&req, &rep);
	if(rep.code < 300)
		pres_publish_notify(&req, &rep);
	else
		LP_INFO("update_presentity %.*s@%.*s (%.*s): %d %s", LP_STR_FMT(*user),
				LP_STR_FMT(*realm), LP_STR_FMT(ev->name), rep.code, rep.reason);
	return rep.code;
}
