/* The record store of pua: publications keyed by (pres_uri, id, event),
 * subscriptions by (pres_uri, watcher, id, event) and by dialog, all in
 * one shared table hashed by pres_uri (a NOTIFY's From names the bucket),
 * plus the queue of updates waiting for an outstanding PUBLISH. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lp_log.h"
#include "lp_rand.h"
#include "pua_logic.h"

pua_state_t pua = {.cfg = PUA_CFG_DEFAULTS};

void pua_cfg_defaults(pua_cfg_t *cfg)
{
	pua_cfg_t d = PUA_CFG_DEFAULTS;

	*cfg = d;
}

int pua_cfg_check(pua_cfg_t *cfg)
{
	int rc = 0;

	if(cfg->db_mode != PUA_DB_MEMORY && cfg->db_mode != PUA_DB_ONLY) {
		LP_ERR("invalid db_mode %d (0 memory, 2 DB only; 1 is reserved):"
			   " using 0",
				cfg->db_mode);
		cfg->db_mode = PUA_DB_MEMORY;
		rc = 1;
	}
	if(cfg->db_mode == PUA_DB_ONLY && !cfg->db_url) {
		LP_ERR("db_mode 2 needs db_url");
		return -1;
	}
	if(cfg->min_expires < 0 || cfg->default_expires <= 0) {
		LP_ERR("min_expires must be >= 0 and default_expires > 0");
		return -1;
	}
	return rc;
}

/* The part of a URI that names the bucket: user@host, without scheme,
 * brackets, port, parameters or headers, so that a NOTIFY whose From is
 * written differently (a port dropped, <> added) still hashes alike. */
static lp_str_t uri_key(const lp_str_t *uri)
{
	lp_str_t u = *uri;
	char *p, *end, *at;

	lp_str_trim(&u);
	if(u.len > 1 && u.s[0] == '<') {
		u.s++;
		u.len--;
	}
	p = memchr(u.s, ':', u.len);
	if(p && p - u.s <= 5) { /* sip: sips: pres: tel: */
		u.len -= (int)(p + 1 - u.s);
		u.s = p + 1;
	}
	end = u.s;
	while(end < u.s + u.len && *end != ';' && *end != '?' && *end != '>')
		end++;
	u.len = (int)(end - u.s);
	at = memchr(u.s, '@', u.len);
	p = memchr(at ? at : u.s, ':', u.len - (at ? (int)(at - u.s) : 0));
	if(p)
		u.len = (int)(p - u.s);
	return u;
}

unsigned int pua_hash(const lp_str_t *pres_uri)
{
	lp_str_t k = uri_key(pres_uri);

	return lp_hash_str(&k);
}

unsigned long long pua_new_serial(void)
{
	static unsigned int counter;

	return ((unsigned long long)getpid() << 32) | ++counter;
}

/* 128 bits from the kernel's CSPRNG: a Call-ID or tag an attacker cannot
 * guess and that two instances on one DB never share (RFC 3261 s19.3). */
int pua_new_token(char *buf, int size, const char *prefix)
{
	char tok[LP_TOKEN_LEN + 1];
	int n;

	if(lp_rand_token(tok, sizeof(tok)) < 0) {
		LP_ERR("no randomness from the kernel: cannot make an identifier");
		return -1;
	}
	n = snprintf(buf, size, "%s%s", prefix ? prefix : "", tok);
	return (n < 0 || n >= size) ? -1 : n;
}

int pua_rec_set(lp_str_t *f, const lp_str_t *v)
{
	lp_str_t n = LP_STR_NULL;

	if(v && v->s && v->len > 0 && lp_str_dup(&n, v) < 0)
		return -1;
	lp_free(f->s);
	*f = n;
	return 0;
}

pua_rec_t *pua_rec_new(int kind, const lp_str_t *pres_uri)
{
	pua_rec_t *r = lp_zalloc(sizeof(*r));

	if(!r)
		return NULL;
	r->kind = kind;
	r->serial = pua_new_serial();
	if(pua_rec_set(&r->pres_uri, pres_uri) < 0 || !r->pres_uri.s) {
		lp_free(r);
		return NULL;
	}
	r->h.hash = pua_hash(&r->pres_uri);
	return r;
}

/* Every string member of pua_rec_t, for freeing and viewing. */
#define PUA_REC_STRS(X)                                                      \
	X(pres_uri) X(id) X(watcher_uri) X(etag) X(tuple_id) X(body)             \
	X(content_type) X(extra_headers) X(outbound_proxy) X(call_id)            \
	X(from_tag) X(to_tag) X(record_route) X(remote_contact) X(contact)

void pua_rec_free(pua_rec_t *r)
{
	pua_upd_t *u;

	if(!r)
		return;
	while((u = pua_queue_pop(r)) != NULL)
		lp_free(u);
#define PUA_FREE(f) lp_free(r->f.s);
	PUA_REC_STRS(PUA_FREE)
#undef PUA_FREE
	lp_free(r);
}

void pua_rec_free_entry(lp_hentry_t *e)
{
	pua_rec_free((pua_rec_t *)e);
}

void pua_rec_link(pua_rec_t *r)
{
	lp_htable_link(pua.table, &r->h);
}

void pua_rec_unlink(pua_rec_t *r)
{
	lp_htable_unlink(pua.table, &r->h);
}

typedef struct rec_key {
	int kind;
	const lp_str_t *pres_uri, *id, *watcher, *call_id, *our_tag, *their_tag,
			*contact;
	int event;
	unsigned long long serial;
} rec_key_t;

static int str_eq0(const lp_str_t *a, const lp_str_t *b)
{
	lp_str_t e = LP_STR_NULL;

	return lp_str_eq(a, b ? b : &e);
}

static int match_key(const lp_hentry_t *e, const void *key)
{
	const pua_rec_t *r = (const pua_rec_t *)e;
	const rec_key_t *k = key;

	return r->kind == k->kind && r->event == k->event
		   && lp_str_eq(&r->pres_uri, k->pres_uri) && str_eq0(&r->id, k->id)
		   && (k->kind == PUA_PUBL || str_eq0(&r->watcher_uri, k->watcher));
}

pua_rec_t *pua_find_publ(const lp_str_t *pres_uri, const lp_str_t *id, int event)
{
	rec_key_t k = {.kind = PUA_PUBL, .pres_uri = pres_uri, .id = id,
			.event = event};

	return (pua_rec_t *)lp_htable_find(
			pua.table, pua_hash(pres_uri), match_key, &k);
}

pua_rec_t *pua_find_subs(const lp_str_t *pres_uri, const lp_str_t *watcher,
		const lp_str_t *id, int event)
{
	rec_key_t k = {.kind = PUA_SUBS, .pres_uri = pres_uri, .id = id,
			.watcher = watcher, .event = event};

	return (pua_rec_t *)lp_htable_find(
			pua.table, pua_hash(pres_uri), match_key, &k);
}

static int match_serial(const lp_hentry_t *e, const void *key)
{
	const pua_rec_t *r = (const pua_rec_t *)e;
	const rec_key_t *k = key;

	return r->serial == k->serial && lp_str_eq(&r->pres_uri, k->pres_uri);
}

pua_rec_t *pua_find_serial(const lp_str_t *pres_uri, unsigned long long serial)
{
	rec_key_t k = {.pres_uri = pres_uri, .serial = serial};

	return (pua_rec_t *)lp_htable_find(
			pua.table, pua_hash(pres_uri), match_serial, &k);
}

static int match_dialog(const lp_hentry_t *e, const void *key)
{
	const pua_rec_t *r = (const pua_rec_t *)e;
	const rec_key_t *k = key;

	if(r->kind != PUA_SUBS || !lp_str_eq(&r->call_id, k->call_id)
			|| !lp_str_eq(&r->from_tag, k->our_tag))
		return 0;
	/* before the 2xx (and the first NOTIFY) we do not know their tag */
	if(r->to_tag.len > 0 && k->their_tag && k->their_tag->len > 0
			&& !lp_str_eq(&r->to_tag, k->their_tag))
		return 0;
	/* the target is known once the dialog is confirmed */
	if(k->contact && r->to_tag.len > 0 && r->remote_contact.len > 0
			&& !lp_str_eq(&r->remote_contact, k->contact))
		return 0;
	return 1;
}

pua_rec_t *pua_find_dialog(const lp_str_t *pres_uri, const lp_str_t *call_id,
		const lp_str_t *our_tag, const lp_str_t *their_tag,
		const lp_str_t *contact)
{
	rec_key_t k = {.pres_uri = pres_uri, .call_id = call_id,
			.our_tag = our_tag, .their_tag = their_tag, .contact = contact};

	return (pua_rec_t *)lp_htable_find(
			pua.table, pua_hash(pres_uri), match_dialog, &k);
}

/* ---- the queue of a publication ---- */

static pua_upd_t *upd_new(int expires, const lp_str_t *body,
		const lp_str_t *ctype, const lp_str_t *extra, void *cb_param)
{
	size_t size = sizeof(pua_upd_t) + 3;
	pua_upd_t *u;
	char *w;

	size += (body ? body->len : 0) + (ctype ? ctype->len : 0)
			+ (extra ? extra->len : 0);
	u = lp_zalloc(size);
	if(!u)
		return NULL;
	w = (char *)(u + 1);
	u->expires = expires;
	u->cb_param = cb_param;
	u->has_body = body && body->s != NULL;
	lp_str_put(&u->body, &w, body);
	lp_str_put(&u->ctype, &w, ctype);
	lp_str_put(&u->extra, &w, extra);
	return u;
}

/* FIFO; when PUA_QUEUE_MAX updates wait, the newest is replaced (the
 * publication's final state is what matters). */
int pua_queue_push(pua_rec_t *r, int expires, const lp_str_t *body,
		const lp_str_t *ctype, const lp_str_t *extra, void *cb_param)
{
	pua_upd_t *u = upd_new(expires, body, ctype, extra, cb_param), **pp;

	if(!u)
		return -1;
	for(pp = &r->queue; *pp && (*pp)->next; pp = &(*pp)->next)
		;
	if(r->queued >= PUA_QUEUE_MAX && *pp) {
		lp_free(*pp);
		*pp = u;
		return 0;
	}
	if(*pp)
		(*pp)->next = u;
	else
		r->queue = u;
	r->queued++;
	return 0;
}

pua_upd_t *pua_queue_pop(pua_rec_t *r)
{
	pua_upd_t *u = r->queue;

	if(!u)
		return NULL;
	r->queue = u->next;
	u->next = NULL;
	r->queued--;
	return u;
}

/* ---- a private view for callbacks ---- */

static int db_flag_of(int db_state)
{
	if(pua.cfg.db_mode == PUA_DB_ONLY)
		return WTHROUGHDB_FLAG;
	return db_state == PUA_DB_CLEAN ? NO_UPDATEDB_FLAG : UPDATEDB_FLAG;
}

pua_view_t *pua_rec_view(const pua_rec_t *r)
{
	size_t size = sizeof(pua_view_t) + 5 * sizeof(lp_str_t);
	pua_view_t *pv;
	ua_pres_t *v;
	lp_str_t *boxes;
	char *w;

#define PUA_SZ(f) size += (size_t)r->f.len + 1;
	PUA_REC_STRS(PUA_SZ)
#undef PUA_SZ
	pv = calloc(1, size);
	if(!pv)
		return NULL;
	v = &pv->p;
	boxes = (lp_str_t *)(pv + 1);
	w = (char *)(boxes + 5);
	v->pres_uri = &boxes[0];
	v->watcher_uri = &boxes[1];
	v->body = &boxes[2];
	v->extra_headers = &boxes[3];
	v->outbound_proxy = &boxes[4];
	lp_str_put(v->pres_uri, &w, &r->pres_uri);
	lp_str_put(v->watcher_uri, &w, &r->watcher_uri);
	lp_str_put(v->body, &w, &r->body);
	lp_str_put(v->extra_headers, &w, &r->extra_headers);
	lp_str_put(v->outbound_proxy, &w, &r->outbound_proxy);
	lp_str_put(&v->id, &w, &r->id);
	lp_str_put(&v->etag, &w, &r->etag);
	lp_str_put(&v->tuple_id, &w, &r->tuple_id);
	lp_str_put(&v->content_type, &w, &r->content_type);
	lp_str_put(&v->call_id, &w, &r->call_id);
	lp_str_put(&v->to_tag, &w, &r->to_tag);
	lp_str_put(&v->from_tag, &w, &r->from_tag);
	lp_str_put(&v->record_route, &w, &r->record_route);
	lp_str_put(&v->remote_contact, &w, &r->remote_contact);
	lp_str_put(&v->contact, &w, &r->contact);
	v->event = r->event;
	v->expires = r->expires;
	v->desired_expires = r->desired_expires;
	v->flag = r->source_flag;
	v->db_flag = db_flag_of(r->db_state);
	v->cb_param = r->cb_param;
	v->next = NULL;
	v->ua_flag = REQ_OTHER;
	v->cseq = (int)r->cseq;
	v->version = r->version;
	pv->magic = PUA_VIEW_MAGIC;
	pv->last_code = r->last_code;
	pv->subs_state = r->subs_state;
	pv->is_subs = r->kind == PUA_SUBS;
	return pv;
}

/* ---- a private copy for DB I/O ---- */

pua_rec_t *pua_rec_snapshot(const pua_rec_t *r)
{
	size_t size = sizeof(pua_rec_t);
	pua_rec_t *c;
	char *w;

#define PUA_SZ(f) size += (size_t)r->f.len + 1;
	PUA_REC_STRS(PUA_SZ)
#undef PUA_SZ
	c = malloc(size);
	if(!c)
		return NULL;
	*c = *r;
	c->h.next = NULL;
	c->queue = NULL;
	c->queued = 0;
	w = (char *)(c + 1);
#define PUA_PUT(f) lp_str_put(&c->f, &w, &r->f);
	PUA_REC_STRS(PUA_PUT)
#undef PUA_PUT
	c->body = LP_STR_NULL; /* no column; never needed for a row */
	return c;
}
