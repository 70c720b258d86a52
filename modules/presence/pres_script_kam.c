/* The presence module's script interface beyond its functions (Kamailio
 * 5.6): the pseudo-variables $subs(attr) and $notify_reply(pv), the event
 * route presence:notify-reply, and the xavp_cfg attributes (priority of a
 * PUBLISH, delete_subscription after a NOTIFY reply). See pres_script_kam.h.
 *
 * $subs reads "the current subscription" of this process: the one the last
 * handle_subscribe() handled (a pkg copy, kept for the rest of the route),
 * the one whose NOTIFY tm is building (tm:local-request runs inside
 * t_request_within, so a borrowed pointer is enough), or the one whose
 * NOTIFY was answered (presence:notify-reply). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/dprint.h"
#include "core/fmsg.h"
#include "core/mem/mem.h"
#include "core/mem/shm_mem.h"
#include "core/msg_translator.h"
#include "core/parser/msg_parser.h"
#include "core/pvar.h"
#include "core/route.h"
#include "core/ut.h"
#include "core/xavp.h"

#include "pres_kam.h"
#include "pres_script_kam.h"

/* Kamailio's time based priority of a publication when xavp_cfg is set but
 * its priority attribute is not: seconds since 2015-01-01. */
#define PRES_PRIORITY_EPOCH 1420070400

str pres_xavp_cfg = STR_NULL;

static const subs_t *cur_subs;	/* what $subs reads, or NULL */
static subs_t *kept_subs;		/* pkg copy after handle_subscribe() */
static struct sip_msg *cur_reply; /* what $notify_reply reads, or NULL */
static int evrt_notify_reply = -1;

/* ---- the current subscription ---- */

void pres_kam_subs_keep(const subs_t *s)
{
	size_t size;

	if(kept_subs) {
		if(cur_subs == kept_subs)
			cur_subs = NULL;
		pkg_free(kept_subs);
		kept_subs = NULL;
	}
	if(!s || !pres.cfg.pres_subs_mode)
		return;
	size = pres_subs_block_size(s);
	kept_subs = pkg_malloc(size);
	if(!kept_subs) {
		LM_ERR("no pkg memory for $subs\n");
		return;
	}
	pres_subs_fill(kept_subs, s);
	cur_subs = kept_subs;
}

const subs_t *pres_kam_subs_push(const subs_t *s)
{
	const subs_t *old = cur_subs;

	cur_subs = pres.cfg.pres_subs_mode ? s : NULL;
	return old;
}

void pres_kam_subs_pop(const subs_t *old)
{
	cur_subs = old;
}

/* ---- $subs(attr) ---- */

enum subs_attr {
	SA_URI, SA_TO_USER, SA_TO_DOMAIN, SA_FROM_USER, SA_FROM_DOMAIN,
	SA_WATCHER_USER, SA_WATCHER_DOMAIN, SA_EVENT, SA_EVENT_ID, SA_TO_TAG,
	SA_FROM_TAG, SA_CALLID, SA_REMOTE_CSEQ, SA_LOCAL_CSEQ, SA_CONTACT,
	SA_LOCAL_CONTACT, SA_RECORD_ROUTE, SA_EXPIRES, SA_STATUS, SA_REASON,
	SA_VERSION, SA_FLAGS, SA_USER_AGENT, SA_SOCKINFO
};

static const struct {
	const char *name;
	enum subs_attr attr;
} subs_attrs[] = {{"uri", SA_URI}, {"pres_uri", SA_URI},
		{"to_user", SA_TO_USER}, {"to_domain", SA_TO_DOMAIN},
		{"from_user", SA_FROM_USER}, {"from_domain", SA_FROM_DOMAIN},
		{"watcher_username", SA_WATCHER_USER},
		{"watcher_domain", SA_WATCHER_DOMAIN}, {"event", SA_EVENT},
		{"event_id", SA_EVENT_ID}, {"to_tag", SA_TO_TAG},
		{"from_tag", SA_FROM_TAG}, {"callid", SA_CALLID},
		{"remote_cseq", SA_REMOTE_CSEQ}, {"local_cseq", SA_LOCAL_CSEQ},
		{"contact", SA_CONTACT}, {"local_contact", SA_LOCAL_CONTACT},
		{"record_route", SA_RECORD_ROUTE}, {"expires", SA_EXPIRES},
		{"status", SA_STATUS}, {"reason", SA_REASON},
		{"version", SA_VERSION}, {"flags", SA_FLAGS},
		{"user_agent", SA_USER_AGENT}, {"sockinfo", SA_SOCKINFO}};

int pres_pv_parse_subs_name(pv_spec_t *sp, str *in)
{
	size_t i;

	if(!sp || !in || in->len <= 0)
		return -1;
	for(i = 0; i < sizeof(subs_attrs) / sizeof(subs_attrs[0]); i++) {
		if(strlen(subs_attrs[i].name) == (size_t)in->len
				&& strncmp(subs_attrs[i].name, in->s, in->len) == 0) {
			sp->pvp.pvn.type = PV_NAME_INTSTR;
			sp->pvp.pvn.u.isname.type = 0;
			sp->pvp.pvn.u.isname.name.n = (int)subs_attrs[i].attr;
			return 0;
		}
	}
	LM_ERR("unknown $subs attribute '%.*s'\n", in->len, in->s);
	return -1;
}

static int pv_str(struct sip_msg *msg, pv_param_t *param, pv_value_t *res,
		const lp_str_t *v)
{
	str s = {v->s ? v->s : "", v->s ? v->len : 0};

	return pv_get_strval(msg, param, res, &s);
}

/* The stored expiry is absolute; the script sees the seconds left, as
 * Kamailio's $subs(expires) does. */
static unsigned int expires_left(const subs_t *s)
{
	unsigned int now = pres.now();

	return s->expires > now ? s->expires - now : 0;
}

/* A NOTIFY whose subscription has no time left is the terminating one
 * (its Subscription-State says so): $subs reports it as terminated, as
 * Kamailio's does. The copy handle_subscribe() left is reported as
 * stored. */
static int subs_status(const subs_t *s)
{
	if(s != kept_subs && s->status == ACTIVE_STATUS && expires_left(s) == 0)
		return TERMINATED_STATUS;
	return s->status;
}

int pres_pv_get_subs(struct sip_msg *msg, pv_param_t *param, pv_value_t *res)
{
	const subs_t *s = cur_subs;

	if(!s || !param)
		return pv_get_null(msg, param, res);
	switch((enum subs_attr)param->pvn.u.isname.name.n) {
		case SA_URI: return pv_str(msg, param, res, &s->pres_uri);
		case SA_TO_USER: return pv_str(msg, param, res, &s->to_user);
		case SA_TO_DOMAIN: return pv_str(msg, param, res, &s->to_domain);
		case SA_FROM_USER: return pv_str(msg, param, res, &s->from_user);
		case SA_FROM_DOMAIN: return pv_str(msg, param, res, &s->from_domain);
		case SA_WATCHER_USER: return pv_str(msg, param, res, &s->watcher_user);
		case SA_WATCHER_DOMAIN:
			return pv_str(msg, param, res, &s->watcher_domain);
		case SA_EVENT:
			if(!s->event)
				return pv_get_null(msg, param, res);
			return pv_str(msg, param, res, &s->event->name);
		case SA_EVENT_ID: return pv_str(msg, param, res, &s->event_id);
		case SA_TO_TAG: return pv_str(msg, param, res, &s->to_tag);
		case SA_FROM_TAG: return pv_str(msg, param, res, &s->from_tag);
		case SA_CALLID: return pv_str(msg, param, res, &s->callid);
		case SA_REMOTE_CSEQ: return pv_get_uintval(msg, param, res, s->remote_cseq);
		case SA_LOCAL_CSEQ: return pv_get_uintval(msg, param, res, s->local_cseq);
		case SA_CONTACT: return pv_str(msg, param, res, &s->contact);
		case SA_LOCAL_CONTACT: return pv_str(msg, param, res, &s->local_contact);
		case SA_RECORD_ROUTE: return pv_str(msg, param, res, &s->record_route);
		case SA_EXPIRES: return pv_get_uintval(msg, param, res, expires_left(s));
		case SA_STATUS: return pv_get_uintval(msg, param, res, subs_status(s));
		case SA_REASON:
			if(s->reason.len <= 0 && subs_status(s) == TERMINATED_STATUS)
				return pv_str(msg, param, res, &LP_STR("timeout"));
			return pv_str(msg, param, res, &s->reason);
		case SA_VERSION: return pv_get_uintval(msg, param, res, s->version);
		case SA_FLAGS: return pv_get_uintval(msg, param, res, s->flags);
		case SA_USER_AGENT: return pv_str(msg, param, res, &s->user_agent);
		case SA_SOCKINFO: return pv_str(msg, param, res, &s->sockinfo_str);
	}
	return pv_get_null(msg, param, res);
}

/* ---- $notify_reply(pv) ---- */

int pres_pv_parse_notify_reply_name(pv_spec_t *sp, str *in)
{
	pv_spec_t *pv;

	if(!sp || !in || in->len <= 0)
		return -1;
	pv = pkg_malloc(sizeof(*pv));
	if(!pv) {
		LM_ERR("no pkg memory\n");
		return -1;
	}
	memset(pv, 0, sizeof(*pv));
	if(pv_parse_spec(in, pv) == NULL) {
		LM_ERR("invalid inner variable in $notify_reply(%.*s)\n", in->len, in->s);
		pkg_free(pv);
		return -1;
	}
	sp->pvp.pvn.type = PV_NAME_PVAR;
	sp->pvp.pvn.u.dname = (void *)pv;
	return 0;
}

int pres_pv_get_notify_reply(struct sip_msg *msg, pv_param_t *param,
		pv_value_t *res)
{
	pv_spec_t *pv = param ? (pv_spec_t *)param->pvn.u.dname : NULL;

	if(!pv || !cur_reply)
		return pv_get_null(msg, param, res);
	if(pv_get_spec_value(cur_reply, pv, res) != 0)
		return pv_get_null(msg, param, res);
	return 0;
}

/* ---- xavp_cfg ---- */

/* $xavp(<xavp_cfg>=>priority) and =>delete_subscription, read through the
 * pv API (sr_xval_t's integer member differs between Kamailio versions). */
static pv_spec_t xavp_priority, xavp_delete;

static int xavp_spec(pv_spec_t *sp, const char *attr)
{
	static char buf[2][160];
	static int k;
	str s;

	if(k >= 2)
		return -1;
	s.s = buf[k++];
	s.len = snprintf(s.s, sizeof(buf[0]), "$xavp(%.*s=>%s)", pres_xavp_cfg.len,
			pres_xavp_cfg.s, attr);
	if(s.len <= 0 || s.len >= (int)sizeof(buf[0]) || !pv_parse_spec(&s, sp)) {
		LM_ERR("invalid xavp_cfg '%.*s'\n", pres_xavp_cfg.len, pres_xavp_cfg.s);
		return -1;
	}
	return 0;
}

/* The integer value of the attribute, or `none`. */
static long xavp_int(struct sip_msg *msg, pv_spec_t *sp, long none)
{
	pv_value_t v;

	if(pres_xavp_cfg.len <= 0 || !msg)
		return none;
	memset(&v, 0, sizeof(v));
	if(pv_get_spec_value(msg, sp, &v) != 0 || !(v.flags & PV_VAL_INT))
		return none;
	return (long)v.ri;
}

int pres_kam_priority(struct sip_msg *msg)
{
	if(pres_xavp_cfg.len <= 0)
		return 0;
	return (int)xavp_int(msg, &xavp_priority,
			(long)(time(NULL) - PRES_PRIORITY_EPOCH));
}

/* ---- event_route[presence:notify-reply] ---- */

int pres_kam_script_init(void)
{
	if(pres_xavp_cfg.len > 0
			&& (xavp_spec(&xavp_priority, "priority") < 0
					|| xavp_spec(&xavp_delete, "delete_subscription") < 0))
		return -1;
	evrt_notify_reply = route_lookup(&event_rt, "presence:notify-reply");
	if(evrt_notify_reply >= 0 && event_rt.rlist[evrt_notify_reply] == NULL)
		evrt_notify_reply = -1;
	if(evrt_notify_reply >= 0 && faked_msg_init() < 0) {
		LM_ERR("cannot prepare the message for presence:notify-reply\n");
		return -1;
	}
	return 0;
}

/* On a timeout tm hands FAKED_REPLY: the route gets a 408 of our own. */
static int fake_408(struct sip_msg *m, char *buf, int size)
{
	int n = snprintf(buf, size, "SIP/2.0 408 TIMEOUT\r\n"
								"Content-Length: 0\r\n\r\n");

	memset(m, 0, sizeof(*m));
	if(n <= 0 || n >= size || build_sip_msg_from_buf(m, buf, n, 0) < 0)
		return -1;
	return 0;
}

int pres_kam_notify_reply_route(const subs_t *s, struct sip_msg *rpl)
{
	struct run_act_ctx ctx;
	struct sip_msg fake, *fmsg;
	const subs_t *old;
	char buf[128];
	int backup, faked = 0, del;

	if(evrt_notify_reply < 0)
		return 0;
	if(!rpl || rpl == FAKED_REPLY) {
		if(fake_408(&fake, buf, sizeof(buf)) < 0)
			return 0;
		rpl = &fake;
		faked = 1;
	}
	if(pres_xavp_cfg.len > 0)
		xavp_rm_by_name(&pres_xavp_cfg, 1, NULL);
	old = pres_kam_subs_push(s);
	cur_reply = rpl;
	fmsg = faked_msg_next();
	backup = get_route_type();
	set_route_type(EVENT_ROUTE);
	init_run_actions_ctx(&ctx);
	run_top_route(event_rt.rlist[evrt_notify_reply], fmsg, &ctx);
	set_route_type(backup);
	cur_reply = NULL;
	pres_kam_subs_pop(old);
	del = xavp_int(fmsg, &xavp_delete, 0) == 1;
	if(pres_xavp_cfg.len > 0)
		xavp_rm_by_name(&pres_xavp_cfg, 1, NULL);
	if(faked)
		free_sip_msg(&fake);
	return del;
}
