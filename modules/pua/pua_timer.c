/* Timing of pua: the Expires a request asks for, when a refresh goes out
 * (before the granted expiry, and only while the owner still wants the
 * record), and the removal of records whose grant ran out. */
#include <stdlib.h>
#include <string.h>

#include "lp_log.h"
#include "pua_logic.h"

#define PUA_MARGIN_MAX 60

unsigned int pua_refresh_margin(unsigned int granted)
{
	unsigned int m = granted / 3;

	if(m < 1)
		m = 1;
	return m > PUA_MARGIN_MAX ? PUA_MARGIN_MAX : m;
}

int pua_norm_expires(int e)
{
	if(e < 0)
		e = pua.cfg.default_expires;
	if(e > 0 && e < pua.cfg.min_expires)
		e = pua.cfg.min_expires;
	return e;
}

int pua_expires_for(const pua_rec_t *r)
{
	unsigned int t = pua.now();

	if(r->desired_expires <= t)
		return 0;
	return (int)(r->desired_expires - t);
}

/* Due for a refresh: idle, confirmed, within the margin of its granted
 * expiry, and wanted beyond it. */
static int refresh_due(const pua_rec_t *r, unsigned int t)
{
	/* a grant of 0 s means the server is ending it: no refresh storm */
	if(r->req_kind != PUA_RK_NONE || r->expires == 0 || r->granted == 0
			|| r->desired_expires <= r->expires)
		return 0;
	if(r->kind == PUA_PUBL ? r->etag.len == 0 : r->to_tag.len == 0)
		return 0;
	return t + pua_refresh_margin(r->granted) >= r->expires;
}

static pua_req_t *refresh_req(pua_rec_t *r)
{
	int e = pua_expires_for(r);

	if(e <= 0)
		return NULL;
	if(pua.cfg.db_mode == PUA_DB_ONLY && pua_db_sync(r) > 0)
		return NULL; /* another instance refreshed it */
	if(r->kind == PUA_PUBL) {
		r->retries = 0;
		r->cb_param = NULL; /* pua's own request: no owner's parameter */
		return pua_req_publish(r, PUA_RK_REFRESH, e, NULL);
	}
	return pua_req_subscribe(r, e);
}

/* A list of requests collected under bucket locks, sent after. */
typedef struct req_list {
	pua_req_t **q;
	int n, size;
} req_list_t;

static void list_add(req_list_t *l, pua_req_t *q)
{
	if(l->n == l->size) {
		int size = l->size ? l->size * 2 : 16;
		pua_req_t **n = realloc(l->q, size * sizeof(*n));
		if(!n) {
			free(q); /* retried on the next tick */
			return;
		}
		l->q = n;
		l->size = size;
	}
	l->q[l->n++] = q;
}

static void refresh_bucket(unsigned int slot, unsigned int t, req_list_t *l)
{
	lp_hentry_t *e;
	pua_req_t *q;

	lp_htable_lock(pua.table, slot);
	for(e = pua.table->buckets[slot].first; e; e = e->next) {
		pua_rec_t *r = (pua_rec_t *)e;
		if(!refresh_due(r, t))
			continue;
		q = refresh_req(r);
		if(q)
			list_add(l, q);
	}
	lp_htable_unlock(pua.table, slot);
}

int pua_timer_refresh(void)
{
	req_list_t l = {0};
	unsigned int slot, t = pua.now();
	int i;

	if(!pua.table)
		return 0;
	for(slot = 0; slot < pua.table->size; slot++)
		refresh_bucket(slot, t, &l);
	for(i = 0; i < l.n; i++)
		pua_req_send(l.q[i]);
	free(l.q);
	return l.n;
}

/* Expired: the grant ran out and nothing is outstanding (an initial
 * request in flight has expires 0 and is left to its reply). */
static int expired(const pua_rec_t *r, unsigned int t)
{
	return r->req_kind == PUA_RK_NONE && r->expires > 0 && r->expires <= t;
}

static int clean_bucket(unsigned int slot, unsigned int t)
{
	lp_hentry_t *e, *next;
	int n = 0;

	lp_htable_lock(pua.table, slot);
	for(e = pua.table->buckets[slot].first; e; e = next) {
		pua_rec_t *r = (pua_rec_t *)e;
		next = e->next;
		if(!expired(r, t))
			continue;
		pua_db_removed(r);
		pua_rec_unlink(r);
		pua_rec_free(r);
		n++;
	}
	lp_htable_unlock(pua.table, slot);
	return n;
}

int pua_cleanup(void)
{
	unsigned int slot, t = pua.now();
	int n = 0;

	if(!pua.table)
		return 0;
	for(slot = 0; slot < pua.table->size; slot++)
		n += clean_bucket(slot, t);
	if(pua.cfg.db_url)
		pua_db_clean();
	return n;
}
