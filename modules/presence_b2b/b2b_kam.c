/* Kamailio adapters of presence_b2b; see b2b_kam.h. SUBSCRIBEs are sent
 * with tm's t_request_within on a dlg_t built from the record's snapshot
 * (for the first one too: the dialog id is ours, so a NOTIFY that arrives
 * before the 2xx can be matched). */
#include <stdio.h>
#include <time.h>

#include "core/data_lump_rpl.h"
#include "core/dprint.h"
#include "core/mem/mem.h"
#include "core/mem/shm_mem.h"
#include "core/parser/contact/parse_contact.h"
#include "core/parser/parse_content.h"
#include "core/parser/parse_expires.h"
#include "core/parser/parse_from.h"
#include "core/parser/parse_rr.h"
#include "core/parser/parse_to.h"
#include "core/socket_info.h"
#include "core/ut.h"

#include "b2b_kam.h"
#include "b2b_stats.h"

struct tm_binds pb2b_tmb;
sl_api_t pb2b_slb;



unsigned int pb2b_kam_now(void)
{
	return (unsigned int)time(NULL);
}

/* cfg strings set here live for the life of the process tree (pkg memory
 * allocated before the fork, never freed). */
int pb2b_kam_local_uris(void)
{
	struct socket_info *si = get_first_socket();
	char buf[256];
	int n;

	if(!si) {
		LM_ERR("no listen socket for the Contact of our SUBSCRIBEs\n");
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "sip:presence_b2b@%.*s:%.*s",
			si->address_str.len, si->address_str.s, si->port_no_str.len,
			si->port_no_str.s);
	if(n <= 0 || n >= (int)sizeof(buf))
		return -1;
	if(!pb2b.cfg.contact || !*pb2b.cfg.contact)
		pb2b.cfg.contact = strdup(buf);
	if(!pb2b.cfg.default_subscriber || !*pb2b.cfg.default_subscriber)
		pb2b.cfg.default_subscriber = strdup(buf);
	return pb2b.cfg.contact && pb2b.cfg.default_subscriber ? 0 : -1;
}

/* ---------------------------------------------------------- SUBSCRIBE */

/* What the reply callback needs to find the record: shm, freed there. */
typedef struct subs_cbp {
	str callid;
	str remote_tag; /* of the request: the dialog, for forks */
	unsigned int cseq;
} subs_cbp_t;

static subs_cbp_t *cbp_new(const pb2b_send_t *s)
{
	subs_cbp_t *p = shm_malloc(sizeof(*p) + s->callid.len + s->remote_tag.len);

	if(!p)
		return NULL;
	p->callid.s = (char *)(p + 1);
	p->callid.len = s->callid.len;
	memcpy(p->callid.s, s->callid.s, s->callid.len);
	p->remote_tag.s = p->callid.s + s->callid.len;
	p->remote_tag.len = s->remote_tag.len;
	if(s->remote_tag.len)
		memcpy(p->remote_tag.s, s->remote_tag.s, s->remote_tag.len);
	p->cseq = s->cseq;
	return p;
}


static int first_contact(struct sip_msg *msg, lp_str_t *uri)
{
	contact_body_t *cb;

	*uri = LP_STR_NULL;
	if(!msg->contact)
		return 0;
	if(!msg->contact->parsed && parse_contact(msg->contact) < 0)
		return -1;
	cb = (contact_body_t *)msg->contact->parsed;
	if(cb && cb->contacts)
		*uri = lps(cb->contacts->uri);
	return 0;
}

static int reply_expires(struct sip_msg *rpl)
{
	exp_body_t *e;

	if(!rpl->expires)
		return -1;
	if(!rpl->expires->parsed && parse_expires(rpl->expires) < 0)
		return -1;
	e = (exp_body_t *)rpl->expires->parsed;
	return e && e->valid && e->val <= 0x7fffffff ? (int)e->val : -1;
}

/* The delta-seconds value of the first header of type, or -1. */
static int reply_delta(struct sip_msg *rpl, hdr_types_t type)
{
	struct hdr_field *h;
	lp_str_t v;

	for(h = rpl->headers; h; h = h->next)
		if(h->type == type) {
			v = lps(h->body);
			return pb2b_delta_parse(&v);
		}
	return -1;
}

/* Parse what the logic needs from a real reply; rr is pkg memory. */
static void parse_reply(struct sip_msg *rpl, pb2b_reply_t *r, char **rr)
{
	struct to_body *to;

	if(parse_headers(rpl, HDR_EOH_F, 0) < 0) {
		LM_WARN("cannot parse a reply to our SUBSCRIBE\n");
		return;
	}
	if(rpl->to && (to = get_to(rpl)) != NULL)
		r->to_tag = lps(to->tag_value);
	r->expires = reply_expires(rpl);
	r->min_expires = reply_delta(rpl, HDR_MIN_EXPIRES_T);
	r->retry_after = reply_delta(rpl, HDR_RETRY_AFTER_T);
	if(first_contact(rpl, &r->contact) < 0)
		LM_WARN("bad Contact in a reply to our SUBSCRIBE\n");
	*rr = lp_kam_join_headers(rpl, HDR_RECORDROUTE_T, &r->record_route.len);
	r->record_route.s = *rr;
}

static void subscribe_reply_cb(struct cell *t, int type, struct tmcb_params *ps)
{
	subs_cbp_t *p = ps->param ? (subs_cbp_t *)*ps->param : NULL;
	pb2b_reply_t r;
	lp_str_t callid, rtag;
	char *rr = NULL;

	pb2b_stat_reply(ps->code, ps->rpl == FAKED_REPLY && ps->code == 408);
	if(!p)
		return;
	memset(&r, 0, sizeof(r));
	r.code = ps->code;
	r.expires = -1;
	r.min_expires = -1;
	r.retry_after = -1;
	if(ps->rpl && ps->rpl != FAKED_REPLY)
		parse_reply(ps->rpl, &r, &rr);
	callid = lps(p->callid);
	rtag = lps(p->remote_tag);
	if(r.code >= 300)
		LP_KAM_LOG_REQ(LM_INFO, "SUBSCRIBE %.*s (CSeq %u) answered %d", p->callid.len,
				p->callid.s, p->cseq, r.code);
	pb2b_handle_reply(&callid, &rtag, p->cseq, &r, pb2b_kam_now());
	if(rr)
		pkg_free(rr);
	shm_free(p);
	*ps->param = NULL;
}

/* Event, Expires, Contact, Accept and the operator's headers; pkg. */
static char *build_headers(const pb2b_send_t *s, int *len)
{
	const char *extra = pb2b.cfg.additional_headers ? pb2b.cfg.additional_headers : "";
	int elen = (int)strlen(extra);
	int pidf = lp_str_caseeq(&s->package, &LP_STR("presence"));
	int size = 200 + s->package.len + (int)strlen(pb2b.cfg.contact) + elen;
	char *buf = pkg_malloc(size);
	int n;

	if(!buf)
		return NULL;
	n = snprintf(buf, size, "Event: %.*s\r\nExpires: %d\r\nContact: <%s>\r\n%s%s%s",
			s->package.len, s->package.s, s->expires, pb2b.cfg.contact,
			pidf ? "Accept: application/pidf+xml\r\n" : "", extra,
			(elen && extra[elen - 1] != '\n') ? "\r\n" : "");
	if(n <= 0 || n >= size) {
		pkg_free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* UAC route set: the Record-Route of the 2xx in reverse order. */
static rr_t *reverse_rr(rr_t *head)
{
	rr_t *prev = NULL, *next;

	for(; head; head = next) {
		next = head->next;
		head->next = prev;
		prev = head;
	}
	return prev;
}

static int fill_dlg(const pb2b_send_t *s, dlg_t *dlg)
{
	memset(dlg, 0, sizeof(*dlg));
	dlg->id.call_id = kstr(s->callid);
	dlg->id.loc_tag = kstr(s->local_tag);
	dlg->id.rem_tag = kstr(s->remote_tag);
	dlg->loc_seq.value = s->cseq - 1; /* tm adds one */
	dlg->loc_seq.is_set = 1;
	dlg->loc_uri = kstr(s->from_uri);
	dlg->rem_uri = kstr(s->to_uri);
	dlg->rem_target = kstr(s->target);
	dlg->state = s->in_dialog ? DLG_CONFIRMED : DLG_NEW;
	if(pb2b.cfg.outbound_proxy && *pb2b.cfg.outbound_proxy) {
		dlg->dst_uri.s = pb2b.cfg.outbound_proxy;
		dlg->dst_uri.len = strlen(pb2b.cfg.outbound_proxy);
	}
	if(s->route.len > 0) {
		if(parse_rr_body(s->route.s, s->route.len, &dlg->route_set) < 0) {
			LM_ERR("bad route set '%.*s'\n", s->route.len, s->route.s);
			return -1;
		}
		/* a 2xx's Record-Route is reversed, a NOTIFY's is in order (RFC
		 * 3261 s12.1.2 and s12.1.1) */
		if(s->in_dialog && !s->route_in_order)
			dlg->route_set = reverse_rr(dlg->route_set);
	}
	if(pb2b_tmb.calculate_hooks(dlg) < 0) {
		free_rr(&dlg->route_set);
		return -1;
	}
	return 0;
}

int pb2b_kam_send(const pb2b_send_t *s)
{
	str method = str_init("SUBSCRIBE");
	str hdrs = STR_NULL;
	dlg_t dlg;
	uac_req_t uac_r;
	subs_cbp_t *cbp = NULL;
	int rc = -1;

	hdrs.s = build_headers(s, &hdrs.len);
	if(!hdrs.s || fill_dlg(s, &dlg) < 0)
		goto done;
	cbp = cbp_new(s);
	if(!cbp) {
		free_rr(&dlg.route_set);
		goto done;
	}
	set_uac_req(&uac_r, &method, &hdrs, NULL, &dlg, TMCB_LOCAL_COMPLETED,
			subscribe_reply_cb, cbp);
	rc = pb2b_tmb.t_request_within(&uac_r);
	if(rc > 0)
		pb2b_stat_inc(PB2B_STAT_SUBSCRIBE_SENT);
	free_rr(&dlg.route_set);
	/* < 0: not sent; 0: dropped by event_route[tm:local-request]: either
	 * way tm did not take the callback, nor its parameter */
	if(rc <= 0) {
		shm_free(cbp);
		rc = -1;
	}
done:
	if(hdrs.s)
		pkg_free(hdrs.s);
	if(rc < 0) {
		LM_ERR("cannot send SUBSCRIBE to %.*s\n", s->target.len, s->target.s);
		pb2b_send_failed(s, pb2b_kam_now());
	}
	return rc < 0 ? -1 : 0;
}

/* ------------------------------------------------------------- NOTIFY */


static void get_ctype(struct sip_msg *msg, lp_str_t *ct)
{
	char *semi;

	*ct = LP_STR_NULL;
	if(!msg->content_type)
		return;
	*ct = lps(msg->content_type->body);
	semi = memchr(ct->s, ';', ct->len);
	if(semi)
		ct->len = (int)(semi - ct->s);
	lp_str_trim(ct);
}

/* rr: the joined Record-Route (pkg memory, freed by the caller). */
static int fill_notify(struct sip_msg *msg, pb2b_notify_t *n, char **rr)
{
	struct to_body *to, *from;
	unsigned int cseq;

	if(parse_headers(msg, HDR_EOH_F, 0) < 0 || parse_from_header(msg) < 0
			|| !msg->to || !msg->callid || !msg->cseq)
		return -1;
	to = get_to(msg);
	from = get_from(msg);
	if(!to || !from || str2int(&get_cseq(msg)->number, &cseq) < 0)
		return -1;
	n->callid = lps(msg->callid->body);
	lp_str_trim(&n->callid);
	n->to_tag = lps(to->tag_value);
	n->from_tag = lps(from->tag_value);
	n->cseq = cseq;
	if(msg->event)
		n->event = lps(msg->event->body);
	if(msg->subscription_state) {
		n->has_substate = 1;
		n->substate = lps(msg->subscription_state->body);
	}
	if(first_contact(msg, &n->contact) < 0)
		return -1;
	get_ctype(msg, &n->content_type);
	*rr = lp_kam_join_headers(msg, HDR_RECORDROUTE_T, &n->record_route.len);
	n->record_route.s = *rr;
	if(lp_kam_body(msg, &n->body) < 0)
		return -2; /* framing error: answered 400 */
	return 0;
}

static int reply_code(struct sip_msg *msg, int code, char *text)
{
	str reason = {text, (int)strlen(text)};
	struct cell *t = pb2b_tmb.t_gett ? pb2b_tmb.t_gett() : NULL;

	if(t && t != T_UNDEFINED)
		return pb2b_tmb.t_reply(msg, code, reason.s) < 0 ? -1 : 0;
	return pb2b_slb.freply(msg, code, &reason) < 0 ? -1 : 0;
}

/* 503 with Retry-After: shm_retry_after (RFC 3261 s21.5.4): the status
 * of a NOTIFY found no shared memory; the notifier sends it again later. */
static void reply_no_memory(struct sip_msg *msg, const pb2b_notify_t *n)
{
	char hdr[48];
	int len = snprintf(hdr, sizeof(hdr), "Retry-After: %d\r\n",
			pb2b.cfg.shm_retry_after);

	LP_KAM_LOG_REQ(LM_WARN, "NOTIFY %.*s: no shared memory for its status: 503",
			n->callid.len, n->callid.s);
	if(len > 0 && len < (int)sizeof(hdr)
			&& !add_lump_rpl(msg, hdr, len, LUMP_RPL_HDR))
		LM_ERR("cannot add Retry-After to the 503\n");
	if(reply_code(msg, 503, "Service Unavailable") < 0)
		LM_ERR("cannot answer a NOTIFY with 503\n");
}

int pb2b_kam_handle_notify(struct sip_msg *msg)
{
	pb2b_notify_t n;
	char *rr = NULL;
	int rc = -1;

	if(msg->first_line.type != SIP_REQUEST
			|| msg->first_line.u.request.method_value != METHOD_NOTIFY) {
		LM_ERR("handle_notify() called for something else than NOTIFY\n");
		return -1;
	}
	pb2b_stat_inc(PB2B_STAT_NOTIFY_RECEIVED);
	memset(&n, 0, sizeof(n));
	switch(fill_notify(msg, &n, &rr)) {
		case 0:
			break;
		case -2:
			/* the body cannot be trusted: nothing of it is applied */
			if(reply_code(msg, 400, "Bad Request - Content-Length") < 0)
				LM_ERR("cannot answer a NOTIFY with 400\n");
			rc = 0;
			goto done;
		default:
			LP_KAM_LOG_REQ(LM_INFO, "malformed NOTIFY%s: no subscription matched", "");
			goto done;
	}
	switch(pb2b_handle_notify(&n, pb2b_kam_now())) {
		case 1:
			break;
		case -2:
			LP_KAM_LOG_REQ(LM_NOTICE, "NOTIFY %.*s: From tag, Contact or"
					  " Record-Route too long: 400",
					n.callid.len, n.callid.s);
			if(reply_code(msg, 400, "Bad Request - Header Too Long") < 0)
				LM_ERR("cannot answer a NOTIFY with 400\n");
			rc = 0;
			goto done;
		case -3:
			LP_KAM_LOG_REQ(LM_INFO, "NOTIFY %.*s: CSeq %u out of order: 500", n.callid.len,
					n.callid.s, n.cseq);
			if(reply_code(msg, 500, "Server Internal Error - Out Of Order")
					< 0)
				LM_ERR("cannot answer a NOTIFY with 500\n");
			rc = 0;
			goto done;
		case -4:
			reply_no_memory(msg, &n);
			rc = 0;
			goto done;
		default:
			pb2b_stat_inc(PB2B_STAT_NOTIFY_UNMATCHED);
			LM_DBG("NOTIFY %.*s matches no subscription\n", n.callid.len,
					n.callid.s);
			goto done;
	}
	if(reply_code(msg, 200, "OK") < 0)
		LM_ERR("cannot answer NOTIFY %.*s\n", n.callid.len, n.callid.s);
	rc = 1;
done:
	if(rr)
		pkg_free(rr);
	return rc;
}
