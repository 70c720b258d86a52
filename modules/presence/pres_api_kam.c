/* bind_presence and the fields of presence_api_t (pres_api_kam.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dprint.h"
#include "core/mem/mem.h"
#include "core/mem/shm_mem.h"
#include "core/parser/parse_event.h"

#include "lp_kam.h"
#include "pres_api_kam.h"
#include "pres_kam.h"
#include "pres_shtable.h"
#include "pres_subs.h"

/* pres_auth_status(watcher_uri, presentity_uri), for event presence */
int pres_api_auth_status(struct sip_msg *msg, lp_str_t watcher_uri,
		lp_str_t pres_uri)
{
	pres_ev_t *ev = pres_event_by_hdr(&LP_STR("presence"));
	int st;

	if(!ev) {
		LM_ERR("pres_auth_status: event presence is not registered\n");
		return -1;
	}
	st = pres_auth_status_of(ev, &watcher_uri, &pres_uri);
	return st == 0 ? -1 : st; /* 0 would stop the script */
}


/* add_event: the registry keeps its own copy of ev; its evp is Kamailio's
 * parse of the name, in shared memory (an event module may leave evp NULL
 * or point it at its own memory), for consumers that read evp->type. */
static int api_add_event(pres_ev_t *ev)
{
	pres_ev_t *c;
	event_t *e;

	if(pres_add_event(ev) < 0)
		return -1;
	c = pres_event_by_hdr(&ev->name);
	e = shm_malloc(sizeof(*e) + ev->name.len + 1);
	if(!c || !e) {
		LM_ERR("no shared memory for the parsed event '%.*s'\n", ev->name.len,
				ev->name.s);
		if(e)
			shm_free(e);
		return c ? -1 : 0;
	}
	memset(e, 0, sizeof(*e));
	memcpy((char *)(e + 1), ev->name.s, ev->name.len);
	((char *)(e + 1))[ev->name.len] = '\0';
	/* parameters (";sla") are parsed into pkg memory of this process, before
	 * the fork: every worker inherits them */
	if(event_parser((char *)(e + 1), ev->name.len, e) < 0) {
		LM_ERR("cannot parse event name '%.*s'\n", ev->name.len, ev->name.s);
		shm_free(e);
		c->evp = NULL;
		return 0; /* registered all the same, without evp */
	}
	c->evp = (struct event *)e;
	return 0;
}

/* The event named by `name`; with parsed, also Kamailio's parse of it. */
static pres_ev_t *api_contains_event(lp_str_t *name, struct event *parsed)
{
	if(parsed && event_parser(name->s, name->len, (event_t *)parsed) < 0)
		return NULL;
	return pres_event_by_hdr(name);
}

/* event_t -> "name;param[=value]..." and lookup */
static pres_ev_t *api_search_event(struct event *evp)
{
	event_t *e = (event_t *)evp;
	char buf[256];
	int n;
	param_t *p;
	lp_str_t s;

	n = snprintf(buf, sizeof(buf), "%.*s", e->name.len, e->name.s);
	for(p = e->params.list; p && n > 0 && n < (int)sizeof(buf); p = p->next)
		n += snprintf(buf + n, sizeof(buf) - n, p->body.len ? ";%.*s=%.*s" : ";%.*s",
				p->name.len, p->name.s, p->body.len, p->body.s);
	if(n <= 0 || n >= (int)sizeof(buf))
		return NULL;
	s.s = buf;
	s.len = n;
	return pres_event_by_hdr(&s);
}

/* The Allow-Events value, one pkg block (str and text). */
static int api_get_event_list(lp_str_t **ev_list)
{
	char buf[1024];
	int n = pres_allow_events(buf, sizeof(buf));
	str *s;

	if(n < 0)
		return -1;
	s = pkg_malloc(sizeof(str) + n + 1);
	if(!s)
		return -1;
	s->s = (char *)(s + 1);
	memcpy(s->s, buf, n + 1);
	s->len = n;
	*ev_list = (lp_str_t *)s;
	return 0;
}

/* The authorization rules of pres_uri changed: re-evaluate its watchers
 * (rules_doc is not needed: the event fetches its own). */
static int api_update_watchers(lp_str_t *pres_uri, pres_ev_t *ev, lp_str_t *rules_doc)
{
	if(!pres_uri || !ev)
		return -1;
	return pres_refresh_watchers(pres_uri, &ev->name, 0) < 0 ? -1 : 0;
}

/* One block from pkg or shm, as the caller asked, freed with pkg_free or
 * shm_free by the caller. */
static subs_t *api_mem_copy_subs(subs_t *s, int mem_type)
{
	size_t size;
	void *block;

	if(!s)
		return NULL;
	size = pres_subs_block_size(s);
	block = (mem_type & SHM_MEM_TYPE) ? shm_malloc(size) : pkg_malloc(size);
	if(!block) {
		LM_ERR("out of memory copying a subscription\n");
		return NULL;
	}
	return pres_subs_fill(block, s);
}

/* In pkg memory, as the API documents (the caller pkg_free()s it). */
static char *api_get_sphere(lp_str_t *pres_uri)
{
	char *s = pres_sphere_of(pres_uri), *p = NULL;
	size_t n;

	if(s) {
		n = strlen(s) + 1;
		p = pkg_malloc(n);
		if(p)
			memcpy(p, s, n);
		free(s);
	}
	return p;
}

/* One pkg block (str and text); free_presentity pkg_free()s it. */
static lp_str_t *api_get_presentity(lp_str_t pres_uri, pres_ev_t *ev,
		lp_str_t *etag, lp_str_t *contact)
{
	lp_str_t doc, *r = NULL;

	if(pres_presentity_doc(&pres_uri, ev, etag, &doc) <= 0)
		return NULL;
	r = pkg_malloc(sizeof(*r) + doc.len + 1);
	if(r) {
		r->s = (char *)(r + 1);
		memcpy(r->s, doc.s, doc.len);
		r->s[doc.len] = '\0';
		r->len = doc.len;
	} else {
		LM_ERR("out of pkg memory\n");
	}
	free(doc.s);
	return r;
}

static void api_free_presentity(lp_str_t *presentity, pres_ev_t *ev)
{
	if(presentity)
		pkg_free(presentity);
}

/* handle_publish(msg, sender_uri): sender_uri a NUL-terminated string or
 * NULL */
static int api_handle_publish(struct sip_msg *msg, char *sender, char *p2)
{
	str s = STR_NULL;

	if(sender) {
		s.s = sender;
		s.len = strlen(sender);
	}
	return pres_kam_publish(msg, sender ? &s : NULL);
}

static int api_handle_subscribe0(struct sip_msg *msg)
{
	return pres_kam_subscribe(msg, NULL, NULL);
}

static int api_handle_subscribe(struct sip_msg *msg, lp_str_t wuser, lp_str_t wdomain)
{
	if(wuser.len <= 0 || wdomain.len <= 0)
		return pres_kam_subscribe(msg, NULL, NULL);
	return pres_kam_subscribe(msg, &(str){wuser.s, wuser.len},
			&(str){wdomain.s, wdomain.len});
}

/* 0 when the publication was stored, -1 otherwise (replace: the
 * publication's body is replaced either way). */
static int api_update_presentity(lp_str_t *event, lp_str_t *realm, lp_str_t *user,
		lp_str_t *etag, lp_str_t *sender, lp_str_t *body, int expires,
		int new_t, int replace)
{
	if(!pres.cfg.db_url) {
		LM_ERR("update_presentity in library mode (no db_url)\n");
		return -1;
	}
	return pres_update_presentity(event, realm, user, etag, sender, body,
				   expires, new_t) < 300 ? 0 : -1;
}

static int api_refresh_watchers(lp_str_t *pres_uri, lp_str_t *event, int type)
{
	if(!pres_uri || !event || !pres.cfg.db_url)
		return -1;
	return pres_refresh_watchers(pres_uri, event, type) < 0 ? -1 : 0;
}

int pres_api_bind(presence_api_t *api)
{
	if(!api) {
		LM_ERR("bind_presence: NULL api\n");
		return -1;
	}
	memset(api, 0, sizeof(*api));
	api->add_event = api_add_event;
	api->contains_event = api_contains_event;
	api->search_event = api_search_event;
	api->get_event_list = api_get_event_list;
	api->update_watchers_status = api_update_watchers;
	api->new_shtable = pres_shtable_new;
	api->destroy_shtable = pres_shtable_destroy;
	api->insert_shtable = pres_shtable_insert;
	api->search_shtable = pres_shtable_search;
	api->delete_shtable = pres_shtable_delete;
	api->update_shtable = pres_shtable_update;
	api->mem_copy_subs = api_mem_copy_subs;
	api->update_db_subs_timer = pres_kam_update_db_subs;
	api->extract_sdialog_info = pres_kam_extract_sdialog_info;
	api->get_sphere = api_get_sphere;
	api->get_presentity = api_get_presentity;
	api->free_presentity = api_free_presentity;
	api->pres_auth_status = pres_api_auth_status;
	api->handle_publish = api_handle_publish;
	api->handle_subscribe0 = api_handle_subscribe0;
	api->handle_subscribe = api_handle_subscribe;
	api->update_presentity = api_update_presentity;
	api->pres_refresh_watchers = api_refresh_watchers;
	return 0;
}
