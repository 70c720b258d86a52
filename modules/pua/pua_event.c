/* The registries of pua: events (add_event: flag, Event header value,
 * default content type, body processing) and reply/NOTIFY callbacks
 * (register_puacb). Both are filled in mod_init, before the workers fork,
 * and only read afterwards, so they need no lock. */
#include <stdlib.h>
#include <string.h>

#include "lp_log.h"
#include "pua_logic.h"

static pua_event_t *event_new(int flag, const lp_str_t *name,
		const lp_str_t *ctype, evs_process_body_t *pb)
{
	pua_event_t *e = lp_zalloc(sizeof(*e) + name->len + ctype->len + 2);
	char *w;

	if(!e)
		return NULL;
	w = (char *)(e + 1);
	e->flag = flag;
	e->process_body = pb;
	e->name.s = w;
	e->name.len = name->len;
	memcpy(w, name->s, name->len);
	w += name->len + 1;
	e->content_type.s = w;
	e->content_type.len = ctype->len;
	if(ctype->len)
		memcpy(w, ctype->s, ctype->len);
	return e;
}

/* A flag already registered under the same name is updated (so a module
 * may register an event pua registers itself); under another name, or a
 * name under another flag, is an error. */
static int add_event(int ev_flag, char *name, char *content_type,
		evs_process_body_t *process_body, int foreign)
{
	lp_str_t n = lp_str_c(name), ct = lp_str_c(content_type);
	pua_event_t *e, *old = NULL, **pp;

	if(ev_flag <= 0 || n.len <= 0) {
		LP_ERR("add_event: bad flag %d or empty name", ev_flag);
		return -1;
	}
	for(pp = &pua.events; *pp; pp = &(*pp)->next) {
		if((*pp)->flag != ev_flag && !lp_str_caseeq(&(*pp)->name, &n))
			continue;
		if((*pp)->flag != ev_flag || !lp_str_caseeq(&(*pp)->name, &n)) {
			LP_ERR("add_event: '%s' (flag %d) clashes with '%.*s' (flag %d)",
					name, ev_flag, LP_STR_FMT((*pp)->name), (*pp)->flag);
			return -1;
		}
		old = *pp;
		break;
	}
	if(old && foreign && !old->foreign) {
		/* a module re-registers one of pua's own events: what it does
		   not give, pua keeps */
		if(ct.len == 0)
			ct = old->content_type;
		if(!process_body) {
			process_body = old->process_body;
			foreign = 0;
		}
	}
	e = event_new(ev_flag, &n, &ct, process_body);
	if(!e) {
		LP_ERR("add_event: out of memory");
		return -1;
	}
	e->foreign = foreign;
	if(old) {
		e->next = old->next;
		*pp = e;
		lp_free(old);
	} else {
		e->next = pua.events;
		pua.events = e;
	}
	return 0;
}

int pua_add_event(int ev_flag, char *name, char *content_type,
		evs_process_body_t *process_body)
{
	return add_event(ev_flag, name, content_type, process_body, 0);
}

int pua_add_event_foreign(int ev_flag, char *name, char *content_type,
		evs_process_body_t *process_body)
{
	LP_INFO("add_event %d '%s' '%s' %s", ev_flag, name ? name : "",
			content_type ? content_type : "", process_body ? "with body"
														   : "without body");
	return add_event(ev_flag, name, content_type, process_body, 1);
}

const pua_event_t *pua_event_get(int flag)
{
	const pua_event_t *e;

	for(e = pua.events; e; e = e->next)
		if(e->flag == flag)
			return e;
	return NULL;
}

const pua_event_t *pua_event_by_name(const lp_str_t *name)
{
	const pua_event_t *e;

	for(e = pua.events; e; e = e->next)
		if(lp_str_caseeq(&e->name, name))
			return e;
	return NULL;
}

void pua_events_free(void)
{
	pua_event_t *e;

	while((e = pua.events) != NULL) {
		pua.events = e->next;
		lp_free(e);
	}
}

int pua_register_cb(int types, pua_cb *f, void *param)
{
	pua_cbk_t *c, **pp;

	if(!f || types == 0) {
		LP_ERR("register_puacb: no function or no types");
		return -1;
	}
	c = lp_zalloc(sizeof(*c));
	if(!c) {
		LP_ERR("register_puacb: out of memory");
		return -1;
	}
	c->types = types;
	c->f = f;
	c->param = param;
	for(pp = &pua.cbks; *pp; pp = &(*pp)->next) /* keep registration order */
		;
	*pp = c;
	return 0;
}

void pua_cbks_free(void)
{
	pua_cbk_t *c;

	while((c = pua.cbks) != NULL) {
		pua.cbks = c->next;
		lp_free(c);
	}
}

/* Kamailio's selection: a callback runs when its types share a bit with
 * the record's source flag. */
void pua_run_callbacks(pua_view_t *v, struct sip_msg *msg)
{
	pua_cbk_t *c;

	if(!v)
		return;
	for(c = pua.cbks; c; c = c->next)
		if(c->types & v->p.flag)
			c->f(&v->p, msg);
}

void pua_run_callbacks_view(pua_view_t *v, struct sip_msg *msg)
{
	pua_run_callbacks(v, msg);
	free(v);
}

pua_view_t *pua_cb_view(const pua_rec_t *r)
{
	pua_cbk_t *c;

	for(c = pua.cbks; c; c = c->next)
		if(c->types & r->source_flag)
			return pua_rec_view(r);
	return NULL;
}
