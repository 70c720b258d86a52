/* Timing of pua: the Expires a request asks for, when a refresh goes out
 * (before the granted expiry, and only while the owner still wants the
 * record), and the removal of records whose grant ran out. */
#include <stdlib.h>
#include <string.h>

#include "lp_log.h"
#include "pua_logic.h"

#define PUA_MARGIN_MAX 60
#define PUA_RETRY_AFTER_MAX 86400
#define PUA_BACKOFF_MAX_SHIFT 5 /* 1, 2, 4 .. 32 s between failed refreshes */

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

/* 408 (no answer), 480 and 5xx may pass; anything else is the server's
 * final word on the record. */
static int transient(int code)
{
	return code == 408 || code == 480 || (code >= 500 && code < 600);
}

int pua_parse_retry_after(const lp_str_t *v)
{
	int i = 0, n = 0;

	while(i < v->len && (v->s[i] == ' ' || v->s[i] == '\t'))
		i++;
	for(; i < v->len && v->s[i] >= '0' && v->s[i] <= '9'; i++)
		if((n = n * 10 + (v->s[i] - '0')) > PUA_RETRY_AFTER_MAX)
			return PUA_RETRY_AFTER_MAX;
	return n;
}

int pua_refresh_failed(pua_rec_t *r, int kind, const pua_reply_t *rep)
{
	unsigned int t = pua.now(), wait;

	if(kind != PUA_RK_REFRESH || !transient(rep->code) || r->expires <= t)
		return 0;
	wait = 1u << (r->fails < PUA_BACKOFF_MAX_SHIFT ? r->fails
												   : PUA_BACKOFF_MAX_SHIFT);
	if(rep->retry_after > 0 && (unsigned int)rep->retry_after > wait)
		wait = (unsigned int)rep->retry_after;
	r->fails++;
	r->retry_at = t + wait;
	LP_LOG_RATE(LP_LOG_REQ_PER_SEC, 1, LP_L_INFO,
			"refresh of %.*s answered %d: kept until its grant ends in %u s,"
			" tried again in %u s",
			LP_STR_FMT(r->pres_uri), rep->code, r->expires - t, wait);
	return 1;
}

void pua_refresh_ok(pua_rec_t *r)
{
	r->fails = 0;
	r->retry_at = 0;
}

/* Due for a refresh: idle, confirmed, within the margin of its granted
 * expiry, wanted beyond it, and not backing off after a failed one. */
static int refresh_due(const pua_rec_t *r, unsigned int t)
{
	/* a grant of 0 s means the server is ending it: no refresh storm */
	if(r->req_kind != PUA_RK_NONE || r->expires == 0 || r->granted == 0
			|| r->desired_expires <= r->expires || t < r->retry_at)
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
	if(r->kind == PUA_PUBL) {
		r->retries = 0;
		r->cb_param = NULL; /* pua's own request: no owner's parameter */
		return pua_req_publish(r, PUA_RK_REFRESH, e, NULL);
	}
	return pua_req_subscribe(r, e);
}

/* A list of requests collected under bucket locks, sent after; in db_mode
 * 2 first a list of private copies of the records due, whose rows are read
 * with no lock held. */
typedef struct req_list {
	void **q;
	int n, size;
} req_list_t;

static void list_add(req_list_t *l, void *q)
{
	if(l->n == l->size) {
		int size = l->size ? l->size * 2 : 16;
		void **n = realloc(l->q, size * sizeof(*n));
		if(!n) {
			free(q); /* retried on the next tick */
			return;
		}
		l->q = n;
		l->size = size;
	}
	l->q[l->n++] = q;
}

static void refresh_bucket(unsigned int slot, unsigned int t, req_list_t *l,
		req_list_t *due)
{
	lp_hentry_t *e;
	void *q;

	pua_lock(slot);
	for(e = pua.table->buckets[slot].first; e; e = e->next) {
		pua_rec_t *r = (pua_rec_t *)e;
		if(!refresh_due(r, t))
			continue;
		if(pua.cfg.db_mode == PUA_DB_ONLY)
			q = pua_rec_snapshot(r);
		else
			q = refresh_req(r);
		if(q)
			list_add(pua.cfg.db_mode == PUA_DB_ONLY ? due : l, q);
	}
	pua_unlock(slot);
}

/* A refresh that lost its claim is not sent: r is idle again, with the
 * CSeq it had, and takes the winner's row on a later tick. */
static void unclaim(const pua_req_t *q, unsigned int cseq)
{
	unsigned int slot = lp_htable_slot(pua.table, pua_hash(&q->pres_uri));
	pua_rec_t *r;

	pua_lock(slot);
	r = pua_find_serial(&q->pres_uri, q->serial);
	if(r && r->req_no == q->req_no && r->req_kind != PUA_RK_NONE) {
		r->req_kind = PUA_RK_NONE;
		r->cseq = cseq;
	}
	pua_unlock(slot);
}

/* db_mode 2: the row of a record due, read without a lock, tells whether
 * another instance refreshed it meanwhile (then it is adopted, no request
 * goes out). Two instances due in the same second both see the old row:
 * the refresh is claimed in the DB (the row's cseq moves from the value
 * read to the record's next one) and only the winner sends. Frees snap. */
static void refresh_checked(pua_rec_t *snap, unsigned int t, req_list_t *l)
{
	pua_rec_t *row, *r;
	pua_req_t *q = NULL;
	unsigned int slot = lp_htable_slot(pua.table, snap->h.hash), c0 = 0, c1 = 0;

	row = pua_db_read(snap->kind, &snap->pres_uri, &snap->id, snap->event,
			&snap->watcher_uri);
	pua_lock(slot);
	r = pua_find_serial(&snap->pres_uri, snap->serial);
	if(r && refresh_due(r, t) && !pua_rec_adopt(r, row)) {
		c0 = r->cseq;
		q = refresh_req(r);
		if(q && r->kind == PUA_PUBL)
			r->cseq++; /* a publication's cseq counts its refreshes */
		c1 = r->cseq;
	}
	pua_unlock(slot);
	if(q && row && pua_db_claim(snap, row->cseq, c1) == 0) {
		LP_INFO("refresh of %.*s left to the instance that claimed it",
				LP_STR_FMT(snap->pres_uri));
		unclaim(q, c0);
		free(q);
		q = NULL;
	}
	if(q)
		list_add(l, q);
	pua_rec_free(row);
	free(snap);
}

int pua_timer_refresh(void)
{
	req_list_t l = {0}, due = {0};
	unsigned int slot, t = pua.now();
	int i;

	if(!pua.table)
		return 0;
	for(slot = 0; slot < pua.table->size; slot++)
		refresh_bucket(slot, t, &l, &due);
	for(i = 0; i < due.n; i++)
		refresh_checked(due.q[i], t, &l);
	for(i = 0; i < l.n; i++)
		pua_req_send(l.q[i]);
	free(due.q);
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

	pua_lock(slot);
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
	pua_unlock(slot); /* the rows are deleted now, without the lock */
	return n;
}

int pua_timer_update(void)
{
	int n = pua_cleanup();

	/* db_mode 0: the periodic save; db_mode 2: a write-through that failed
	 * (DB down, a row refused) left its record dirty, and nothing else
	 * would write it before the record changes again */
	if(pua.cfg.db_url)
		pua_db_save();
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
