/* Kamailio adapters of the pua module; see pua_kam.h. The reply
 * callback's parameter is an shm block holding the token of the request
 * (pres_uri, record serial, request number): tm frees nothing of it, the
 * callback does, once. Replies and NOTIFYs whose body is shorter than their
 * Content-Length (lp_kam_body) are never used: nothing past the received
 * datagram is read, by pua or by a callback. */
#include "core/data_lump_rpl.h"
#include "core/dprint.h"
#include "core/mem/mem.h"
#include "core/mem/shm_mem.h"
#include "core/parser/contact/parse_contact.h"
#include "core/parser/parse_expires.h"
#include "core/parser/parse_from.h"
#include "core/parser/parse_rr.h"
#include "core/parser/parse_to.h"
#include "core/parser/parse_uri.h"
#include "core/socket_info.h"
#include "core/ut.h"
#include "modules/tm/t_lookup.h"

#include "pua_kam.h"
#include "pua_stats_kam.h"

struct tm_binds pua_tmb;
sl_api_t pua_slb;



/* ---- the reply callback ---- */

typedef struct pua_cbp {
	str pres_uri;
	unsigned long long serial;
	unsigned int req_no;
} pua_cbp_t;

static pua_cbp_t *cbp_new(const pua_req_t *req)
{
	pua_cbp_t *p = shm_malloc(sizeof(*p) + req->pres_uri.len + 1);

	if(!p)
		return NULL;
	p->pres_uri.s = (char *)(p + 1);
	p->pres_uri.len = req->pres_uri.len;
	memcpy(p->pres_uri.s, req->pres_uri.s, req->pres_uri.len);
	p->pres_uri.s[p->pres_uri.len] = '\0';
	p->serial = req->serial;
	p->req_no = req->req_no;
	return p;
}

/* Expires / Min-Expires value, -1 when absent or malformed. */
static int hdr_expires(struct hdr_field *h)
{
	exp_body_t *e;

	if(!h)
		return -1;
	if(!h->parsed && parse_expires(h) < 0)
		return -1;
	e = (exp_body_t *)h->parsed;
	return (e && e->valid && e->val <= 0x7fffffff) ? (int)e->val : -1;
}

static struct hdr_field *hdr_named(struct sip_msg *m, const char *name)
{
	struct hdr_field *h;
	int len = strlen(name);

	for(h = m->headers; h; h = h->next)
		if(h->name.len == len && strncasecmp(h->name.s, name, len) == 0)
			return h;
	return NULL;
}


static lp_str_t first_contact(struct sip_msg *m)
{
	contact_body_t *cb;

	if(!m->contact || parse_contact(m->contact) < 0)
		return LP_STR_NULL;
	cb = (contact_body_t *)m->contact->parsed;
	return (cb && cb->contacts) ? lps(cb->contacts->uri) : LP_STR_NULL;
}

/* The parts of a real reply pua looks at; rr is pkg memory to free. */
static void reply_fields(struct sip_msg *m, pua_reply_t *rep, char **rr)
{
	struct hdr_field *h;
	struct to_body *to;

	if(parse_headers(m, HDR_EOH_F, 0) < 0)
		return;
	h = hdr_named(m, "SIP-ETag");
	if(h) {
		rep->etag = lps(h->body);
		lp_str_trim(&rep->etag);
	}
	rep->expires = hdr_expires(m->expires);
	rep->min_expires = hdr_expires(m->min_expires);
	h = hdr_named(m, "Retry-After");
	if(h) {
		lp_str_t v = lps(h->body);
		rep->retry_after = pua_parse_retry_after(&v);
	}
	to = m->to ? get_to(m) : NULL;
	if(to)
		rep->to_tag = lps(to->tag_value);
	rep->contact = first_contact(m);
	*rr = lp_kam_join_headers(m, HDR_RECORDROUTE_T, &rep->record_route.len);
	rep->record_route.s = *rr;
}

static void reply_cb(struct cell *t, int type, struct tmcb_params *ps)
{
	pua_cbp_t *p = ps->param ? (pua_cbp_t *)*ps->param : NULL;
	pua_reply_t rep;
	char *rr = NULL;

	pua_stats_kam_reply(t, ps);
	if(!p)
		return;
	memset(&rep, 0, sizeof(rep));
	rep.pres_uri = lps(p->pres_uri);
	rep.serial = p->serial;
	rep.req_no = p->req_no;
	rep.code = ps->code;
	rep.expires = rep.min_expires = -1;
	if(ps->rpl && ps->rpl != FAKED_REPLY) {
		lp_str_t body;
		/* RFC 3261 s18.3: a response whose body is shorter than its
		   Content-Length is discarded; tm has ended the transaction, so
		   it counts as no answer (408), and no callback sees it */
		if(lp_kam_body(ps->rpl, &body) < 0) {
			rep.code = 408;
		} else {
			reply_fields(ps->rpl, &rep, &rr);
			rep.msg = ps->rpl;
		}
	}
	pua_on_reply(&rep);
	if(rr)
		pkg_free(rr);
	shm_free(p);
	*ps->param = NULL;
}

/* ---- sending ---- */

static int send_publish(const pua_req_t *req, pua_cbp_t *cbp)
{
	str method = str_init("PUBLISH");
	str hdrs = kstr(req->headers), body = kstr(req->body);
	str ruri = kstr(req->ruri), to = kstr(req->to_uri), from = kstr(req->from_uri);
	str hop = kstr(req->next_hop);
	uac_req_t uac_r;
	int rc;

	set_uac_req(&uac_r, &method, &hdrs, req->body.s ? &body : NULL, NULL,
			TMCB_LOCAL_COMPLETED, reply_cb, cbp);
	rc = pua_tmb.t_request_outside(&uac_r, &ruri, &to, &from, hop.len ? &hop : NULL);
	if(uac_r.dialog) {
		/* these point to our strings, not to shm the dialog owns */
		uac_r.dialog->rem_target.s = 0;
		uac_r.dialog->dst_uri.s = 0;
		pua_tmb.free_dlg(uac_r.dialog);
	}
	return rc;
}

/* The dialog of a SUBSCRIBE, built by pua (the Call-ID and our tag are
 * chosen and stored before the send, so that a NOTIFY overtaking the 2xx
 * finds its subscription). */
static int send_subscribe(const pua_req_t *req, pua_cbp_t *cbp)
{
	str method = str_init("SUBSCRIBE");
	str hdrs = kstr(req->headers);
	uac_req_t uac_r;
	dlg_t dlg;
	int rc;

	memset(&dlg, 0, sizeof(dlg));
	dlg.id.call_id = kstr(req->call_id);
	dlg.id.loc_tag = kstr(req->from_tag);
	dlg.id.rem_tag = kstr(req->to_tag);
	dlg.loc_seq.value = req->cseq - 1; /* tm adds one */
	dlg.loc_seq.is_set = 1;
	dlg.loc_uri = kstr(req->from_uri);
	dlg.rem_uri = kstr(req->to_uri);
	dlg.rem_target = kstr(req->ruri);
	if(req->next_hop.len)
		dlg.dst_uri = kstr(req->next_hop);
	dlg.state = req->in_dialog ? DLG_CONFIRMED : DLG_NEW;
	if(req->route_set.len > 0
			&& parse_rr_body(req->route_set.s, req->route_set.len, &dlg.route_set) < 0) {
		LM_ERR("bad stored route set for %.*s\n", req->call_id.len, req->call_id.s);
		return -1;
	}
	if(pua_tmb.calculate_hooks(&dlg) < 0) {
		free_rr(&dlg.route_set);
		return -1;
	}
	set_uac_req(&uac_r, &method, &hdrs, NULL, &dlg, TMCB_LOCAL_COMPLETED,
			reply_cb, cbp);
	rc = pua_tmb.t_request_within(&uac_r);
	free_rr(&dlg.route_set);
	return rc;
}

int pua_kam_send(const pua_req_t *req)
{
	pua_cbp_t *cbp = cbp_new(req);
	int rc;

	if(!cbp) {
		LM_ERR("out of shared memory\n");
		return -1;
	}
	rc = req->kind == PUA_PUBL ? send_publish(req, cbp) : send_subscribe(req, cbp);
	/* < 0: not sent; 0: dropped by event_route[tm:local-request]. Either
	 * way tm took neither the callback nor its parameter, and no reply will
	 * come: the caller treats the request as failed (as a 408). */
	if(rc <= 0) {
		shm_free(cbp);
		return -1;
	}
	pua_stat_inc(req->kind == PUA_PUBL ? PUA_STAT_PUBLISH_SENT
									 : PUA_STAT_SUBSCRIBE_SENT);
	return 0;
}

/* ---- NOTIFY ---- */

/* Reply through the transaction when the script created one, else
 * statelessly. */
static int reply(struct sip_msg *msg, int code, const char *reason)
{
	str r = {(char *)reason, strlen(reason)};
	struct cell *t = pua_tmb.t_gett ? pua_tmb.t_gett() : NULL;

	if(t && t != T_UNDEFINED)
		return pua_tmb.t_reply(msg, code, (char *)reason) < 0 ? -1 : 0;
	return pua_slb.freply(msg, code, &r) < 0 ? -1 : 0;
}

static int notify_fields(struct sip_msg *m, pua_notify_t *n, char **rr)
{
	struct to_body *from, *to;
	struct sip_uri fu;

	memset(n, 0, sizeof(*n));
	if(parse_headers(m, HDR_EOH_F, 0) < 0 || parse_from_header(m) < 0
			|| !m->to || !m->callid)
		return -1;
	from = get_from(m);
	to = get_to(m);
	if(!from || !to || parse_uri(from->uri.s, from->uri.len, &fu) < 0)
		return -1;
	n->pres_uri = lps(from->uri);
	n->from_tag = lps(from->tag_value);
	n->to_tag = lps(to->tag_value);
	n->call_id = lps(m->callid->body);
	lp_str_trim(&n->call_id);
	n->contact = first_contact(m);
	if(m->subscription_state) {
		n->subs_state = lps(m->subscription_state->body);
		lp_str_trim(&n->subs_state);
	}
	*rr = lp_kam_join_headers(m, HDR_RECORDROUTE_T, &n->record_route.len);
	n->record_route.s = *rr;
	n->msg = m;
	return 0;
}

int pua_kam_handle_notify(struct sip_msg *msg)
{
	pua_notify_t n;
	char *rr = NULL;
	lp_str_t body;
	int code;

	pua_stat_inc(PUA_STAT_NOTIFY_RECEIVED);
	/* a body that cannot be trusted: nothing of the NOTIFY is applied */
	if(lp_kam_body(msg, &body) < 0) {
		reply(msg, 400, "Bad Request - Content-Length");
		return -1;
	}
	if(notify_fields(msg, &n, &rr) < 0) {
		reply(msg, 400, "Bad Request");
		return -1;
	}
	code = pua_handle_notify(&n);
	if(rr)
		pkg_free(rr);
	if(code != 200)
		LP_KAM_LOG_REQ(LM_INFO, "NOTIFY %.*s matches no subscription", n.call_id.len,
				n.call_id.s);
	reply(msg, code, code == 200 ? "OK" : "Call/Transaction Does Not Exist");
	return code == 200 ? 1 : -1;
}

int pua_kam_update_contact(struct sip_msg *msg)
{
	pua_notify_t n;
	char *rr = NULL;
	lp_str_t body;
	int rc;

	if(lp_kam_body(msg, &body) < 0 || notify_fields(msg, &n, &rr) < 0)
		return -1;
	rc = pua_update_contact(&n);
	if(rr)
		pkg_free(rr);
	return rc == 0 ? 1 : -1;
}

int pua_kam_local_contact(const lp_str_t *watcher, char *buf, int size)
{
	struct socket_info *si = get_first_socket();
	struct sip_uri u;
	int n;

	if(!si || parse_uri(watcher->s, watcher->len, &u) < 0)
		return -1;
	n = snprintf(buf, size, "sip:%.*s%s%.*s:%d", u.user.len, u.user.s,
			u.user.len ? "@" : "", si->address_str.len, si->address_str.s,
			(int)si->port_no);
	return (n < 0 || n >= size) ? -1 : n;
}
