/* The NOTIFY bodies of one fan-out, built once per filtering outcome and
 * shared between the watchers that have it; see pres_bodycache.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lp_mem.h"
#include "pres_bodycache.h"

struct pres_bc_entry
{
	pres_bc_entry_t *next;
	unsigned int hash;
	lp_str_t key;  /* malloc'd, in the same block as the entry */
	lp_str_t body; /* malloc'd; {NULL,0}: the filter leaves no body */
};

/* What an event callback returned: s goes back through the event's own
 * free function, the str itself is ours to free (Kamailio's contract). */
void pres_cb_str_free(free_body_t *fb, lp_str_t *f)
{
	if(!f)
		return;
	if(f->s && fb)
		fb(f->s);
	if(pres.str_free)
		pres.str_free(f);
	else
		free(f);
}

/* *body replaced by the callback's result f (when it gave one). */
static void take_result(lp_str_t *body, lp_str_t *f, free_body_t *fb)
{
	if(!f)
		return;
	free(body->s);
	if(lp_str_mdup(body, f) < 0)
		*body = LP_STR_NULL;
	pres_cb_str_free(fb, f);
}

static int filters(const pres_ev_t *ev)
{
	return ev->req_auth && ev->apply_auth_nbody;
}

/* The authorization filter alone (the part shared by one identity). */
static void auth_filter(subs_t *s, lp_str_t *body)
{
	pres_ev_t *ev = s->event;
	lp_str_t *f = NULL;

	if(body->s && filters(ev) && ev->apply_auth_nbody(body, s, &f) >= 0)
		take_result(body, f, ev->free_body);
}

void pres_body_for_watcher(subs_t *s, lp_str_t *body)
{
	pres_ev_t *ev = s->event;

	if(s->status != ACTIVE_STATUS) {
		free(body->s);
		*body = LP_STR_NULL;
		return;
	}
	auth_filter(s, body);
	if(body->s && ev->aux_body_processing)
		take_result(body, ev->aux_body_processing(s, body), ev->aux_free_body);
}

void pres_bodycache_init(pres_bodycache_t *bc, const lp_str_t *doc)
{
	memset(bc, 0, sizeof(*bc));
	bc->doc = doc;
}

/* The identity the rules judge: handle_subscribe(watcher_uri)'s watcher,
 * else the From URI (as presence_xml's evaluation takes it). */
static int identity(const subs_t *s, char *buf, int size)
{
	int n;

	if(s->watcher_user.len > 0 && s->watcher_domain.len > 0)
		n = snprintf(buf, size, "%.*s@%.*s", LP_STR_FMT(s->watcher_user),
				LP_STR_FMT(s->watcher_domain));
	else
		n = snprintf(buf, size, "%.*s@%.*s", LP_STR_FMT(s->from_user),
				LP_STR_FMT(s->from_domain));
	return n > 0 && n < size ? n : -1;
}

static pres_bc_entry_t *find(
		pres_bodycache_t *bc, const lp_str_t *key, unsigned int hash)
{
	pres_bc_entry_t *e;

	for(e = bc->b[hash % PRES_BC_BUCKETS]; e; e = e->next)
		if(e->hash == hash && lp_str_eq(&e->key, key))
			return e;
	return NULL;
}

/* A fresh filtered copy of the document for s (malloc'd into *out). */
static int filtered_copy(pres_bodycache_t *bc, subs_t *s, lp_str_t *out)
{
	*out = LP_STR_NULL;
	if(lp_str_mdup(out, bc->doc) < 0)
		return -1;
	bc->filtered++;
	auth_filter(s, out);
	return 0;
}

static pres_bc_entry_t *add(
		pres_bodycache_t *bc, subs_t *s, const lp_str_t *key, unsigned int hash)
{
	pres_bc_entry_t *e = malloc(sizeof(*e) + key->len + 1);
	unsigned int i = hash % PRES_BC_BUCKETS;

	if(!e)
		return NULL;
	e->hash = hash;
	e->key.s = (char *)(e + 1);
	e->key.len = key->len;
	memcpy(e->key.s, key->s, key->len);
	e->key.s[key->len] = '\0';
	if(filtered_copy(bc, s, &e->body) < 0) {
		free(e);
		return NULL;
	}
	e->next = bc->b[i];
	bc->b[i] = e;
	bc->n++;
	return e;
}

/* Filtered by identity, through the cache (while it has room). */
static int by_identity(
		pres_bodycache_t *bc, subs_t *s, lp_str_t *out, int *owned)
{
	char buf[512];
	lp_str_t key = {buf, identity(s, buf, sizeof(buf))};
	unsigned int hash;
	pres_bc_entry_t *e;

	if(key.len < 0)
		goto own;
	hash = lp_hash_str(&key);
	e = find(bc, &key, hash);
	if(!e && bc->n >= PRES_BC_MAX)
		goto own;
	if(!e)
		e = add(bc, s, &key, hash);
	if(!e)
		return -1;
	*out = e->body;
	return 0;
own: /* not cacheable, or the cache is full: the watcher's own copy */
	*owned = 1;
	return filtered_copy(bc, s, out);
}

int pres_bodycache_get(
		pres_bodycache_t *bc, subs_t *s, lp_str_t *out, int *owned)
{
	pres_ev_t *ev = s->event;

	*out = LP_STR_NULL;
	*owned = 0;
	if(s->status != ACTIVE_STATUS || !bc->doc || !bc->doc->s)
		return 0;
	if(ev->aux_body_processing) { /* per watcher: never shared */
		*owned = 1;
		if(lp_str_mdup(out, bc->doc) < 0)
			return -1;
		bc->filtered++;
		pres_body_for_watcher(s, out);
		return 0;
	}
	if(!filters(ev)) {
		*out = *bc->doc;
		return 0;
	}
	return by_identity(bc, s, out, owned);
}

void pres_bodycache_free(pres_bodycache_t *bc)
{
	pres_bc_entry_t *e, *next;
	int i;

	for(i = 0; i < PRES_BC_BUCKETS; i++)
		for(e = bc->b[i]; e; e = next) {
			next = e->next;
			free(e->body.s);
			free(e);
		}
	memset(bc->b, 0, sizeof(bc->b));
	bc->n = 0;
}
