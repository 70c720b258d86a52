/* $subs(attr), $notify_reply(pv), event_route[presence:notify-reply] and
 * the xavp_cfg attributes (pres_script_kam.c). */
#ifndef PRES_SCRIPT_KAM_H
#define PRES_SCRIPT_KAM_H

#include "core/pvar.h"
#include "core/str.h"

#include "pres_logic.h"

/* xavp_cfg (empty: not set) */
extern str pres_xavp_cfg;

/* The subscription handle_subscribe() handled: copied (pkg) for $subs
 * until the next call in this process; NULL forgets it. Nothing is kept
 * with pres_subs_mode 0. */
void pres_kam_subs_keep(const subs_t *s);
/* $subs reads s (borrowed) until pres_kam_subs_pop(returned value). */
const subs_t *pres_kam_subs_push(const subs_t *s);
void pres_kam_subs_pop(const subs_t *old);

int pres_pv_parse_subs_name(pv_spec_t *sp, str *in);
int pres_pv_get_subs(struct sip_msg *msg, pv_param_t *param, pv_value_t *res);
int pres_pv_parse_notify_reply_name(pv_spec_t *sp, str *in);
int pres_pv_get_notify_reply(struct sip_msg *msg, pv_param_t *param,
		pv_value_t *res);

/* The priority a PUBLISH stores: $xavp(<xavp_cfg>=>priority), or
 * Kamailio's time based one when xavp_cfg is set without it; 0 when
 * xavp_cfg is not set. */
int pres_kam_priority(struct sip_msg *msg);

/* mod_init: finds event_route[presence:notify-reply]. 0 / -1. */
int pres_kam_script_init(void);
/* Runs event_route[presence:notify-reply] for the NOTIFY of s answered by
 * rpl (NULL or FAKED_REPLY: a 408 of our own); returns 1 when the route
 * set $xavp(<xavp_cfg>=>delete_subscription) to 1. No route: 0. */
int pres_kam_notify_reply_route(const subs_t *s, struct sip_msg *rpl);

#endif
