/* DMQ replication of publications, host-neutral: encoding and strict
 * decoding of our messages, the conflict rule, applying a received change
 * and answering a sync request. See pres_dmq.h for the format and the
 * rule; the glue (pres_dmq_kam.c) moves the bytes through Kamailio's dmq. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lp_log.h"
#include "pres_dmq.h"
#include "pres_dmq_codec.h"
#include "pres_dmq_subs.h"
#include "pres_dmq_tomb.h"

#define HDR_PUB "PDMQ/1 PUB\n"
#define HDR_SYNC "PDMQ/1 SYNC\n"
#define MAX_RECORDS 10000

static pres_dmq_send_f dmq_send;

void pres_dmq_set_sender(pres_dmq_send_f f)
{
	dmq_send = f;
}

int pres_dmq_on(void)
{
	return pres.cfg.enable_dmq && pres.cfg.pres_dmq && dmq_send != NULL;
}

int pres_dmq_has_sender(void)
{
	return dmq_send != NULL;
}

int pres_dmq_send_to(const char *s, int len, void *node)
{
	return dmq_send ? dmq_send(s, len, node) : -1;
}

/* ---------------------------------------------------------------- encode */

int pres_dmq_begin(pres_dmq_buf_t *b, int kind)
{
	return pres_dmq_begin_hdr(b, kind == PRES_DMQ_SYNC ? HDR_SYNC : HDR_PUB);
}

static int rec_fits(const pres_dmq_rec_t *r)
{
	return r->user.len <= PRES_DMQ_MAX_KEY && r->domain.len <= PRES_DMQ_MAX_KEY
		   && r->event.len <= PRES_DMQ_MAX_KEY
		   && r->sender.len <= PRES_DMQ_MAX_KEY
		   && r->etag.len <= PRES_DMQ_MAX_ETAG
		   && r->old_etag.len <= PRES_DMQ_MAX_ETAG
		   && r->body.len <= PRES_DMQ_MAX_BODY && r->user.len > 0
		   && r->domain.len > 0 && r->event.len > 0 && r->etag.len > 0
		   && (r->op == 'S' || r->op == 'R');
}

/* Bytes r takes in a message (the numbers line at its longest). */
static int rec_size(const pres_dmq_rec_t *r)
{
	return 100 + r->user.len + r->domain.len + r->event.len + r->etag.len
		   + r->old_etag.len + r->sender.len + r->body.len;
}

int pres_dmq_add(pres_dmq_buf_t *b, const pres_dmq_rec_t *r)
{
	char line[160];
	int n;

	if(!rec_fits(r))
		return -1;
	n = snprintf(line, sizeof(line), "%c %u %u %d %d %d %d %d %d %d %d\n",
			r->op, r->received, r->expires, r->priority, r->user.len,
			r->domain.len, r->event.len, r->etag.len, r->old_etag.len,
			r->sender.len, r->body.len);
	if(n < 0 || n >= (int)sizeof(line)
			|| pres_dmq_reserve(b, n + r->user.len + r->domain.len + r->event.len
									  + r->etag.len + r->old_etag.len
									  + r->sender.len + r->body.len + 1)
					   < 0)
		return -1;
	memcpy(b->s + b->len, line, n);
	b->len += n;
	pres_dmq_put(b, &r->user);
	pres_dmq_put(b, &r->domain);
	pres_dmq_put(b, &r->event);
	pres_dmq_put(b, &r->etag);
	pres_dmq_put(b, &r->old_etag);
	pres_dmq_put(b, &r->sender);
	pres_dmq_put(b, &r->body);
	b->s[b->len++] = '\n';
	b->n++;
	return 0;
}

void pres_dmq_buf_free(pres_dmq_buf_t *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

/* ---------------------------------------------------------------- decode */

/* The numbers line of a record: op, times, priority and the lengths. */
static int get_rec_line(pres_dmq_cursor_t *c, pres_dmq_rec_t *r, int len[7])
{
	unsigned long v;
	int neg, i;

	if(c->end - c->p < 2 || (c->p[0] != 'S' && c->p[0] != 'R')
			|| c->p[1] != ' ')
		return -1;
	r->op = c->p[0];
	c->p += 2;
	if(pres_dmq_get_num(c, UINT_MAX, &v, ' ') < 0)
		return -1;
	r->received = (unsigned int)v;
	if(pres_dmq_get_num(c, UINT_MAX, &v, ' ') < 0)
		return -1;
	r->expires = (unsigned int)v;
	neg = c->p < c->end && *c->p == '-';
	c->p += neg;
	if(pres_dmq_get_num(c, INT_MAX, &v, ' ') < 0)
		return -1;
	r->priority = neg ? -(int)v : (int)v;
	for(i = 0; i < 7; i++) {
		int max = i == 6			   ? PRES_DMQ_MAX_BODY
				  : (i == 3 || i == 4) ? PRES_DMQ_MAX_ETAG
									   : PRES_DMQ_MAX_KEY;
		if(pres_dmq_get_len(c, max, &len[i], i == 6 ? '\n' : ' ') < 0)
			return -1;
	}
	return 0;
}

static int get_rec(pres_dmq_cursor_t *c, pres_dmq_rec_t *r)
{
	int len[7], sum = 0, i;

	memset(r, 0, sizeof(*r));
	if(get_rec_line(c, r, len) < 0)
		return -1;
	for(i = 0; i < 7; i++)
		sum += len[i];
	if(c->end - c->p < (long)sum + 1)
		return -1;
	pres_dmq_take(c, &r->user, len[0]);
	pres_dmq_take(c, &r->domain, len[1]);
	pres_dmq_take(c, &r->event, len[2]);
	pres_dmq_take(c, &r->etag, len[3]);
	pres_dmq_take(c, &r->old_etag, len[4]);
	pres_dmq_take(c, &r->sender, len[5]);
	pres_dmq_take(c, &r->body, len[6]);
	if(*c->p++ != '\n' || !rec_fits(r) || !pres_dmq_clean(&r->user)
			|| !pres_dmq_clean(&r->domain) || !pres_dmq_clean(&r->event)
			|| !pres_dmq_clean(&r->etag) || !pres_dmq_clean(&r->old_etag)
			|| !pres_dmq_clean(&r->sender)
			|| (r->op == 'R' && r->old_etag.len > 0))
		return -1;
	return 0;
}

static int get_records(pres_dmq_cursor_t *c, pres_dmq_msg_t *m)
{
	pres_dmq_rec_t *recs;
	int cap = 0;

	while(c->p < c->end) {
		if(m->n == MAX_RECORDS)
			return -1;
		if(m->n == cap) {
			cap = cap ? cap * 2 : 8;
			recs = realloc(m->recs, cap * sizeof(*recs));
			if(!recs)
				return -1;
			m->recs = recs;
		}
		if(get_rec(c, &m->recs[m->n]) < 0)
			return -1;
		m->n++;
	}
	return m->n > 0 ? 0 : -1;
}

int pres_dmq_decode(const char *s, int len, pres_dmq_msg_t *m)
{
	pres_dmq_cursor_t c = {s, s + (len > 0 ? len : 0)};

	memset(m, 0, sizeof(*m));
	if(!s || len <= 0)
		return -1;
	if(pres_dmq_starts(&c, HDR_SYNC)) {
		m->kind = PRES_DMQ_SYNC;
		return c.p + strlen(HDR_SYNC) == c.end ? 0 : -1;
	}
	if(!pres_dmq_starts(&c, HDR_PUB))
		return -1;
	m->kind = PRES_DMQ_PUB;
	c.p += strlen(HDR_PUB);
	if(get_records(&c, m) < 0) {
		pres_dmq_msg_free(m);
		return -1;
	}
	return 0;
}

void pres_dmq_msg_free(pres_dmq_msg_t *m)
{
	free(m->recs);
	memset(m, 0, sizeof(*m));
}

/* ---------------------------------------------------------------- rule */

int pres_dmq_cmp(const pres_dmq_rec_t *a, const pres_dmq_rec_t *b)
{
	int c;

	if(a->received != b->received)
		return a->received > b->received ? 1 : -1;
	if(a->expires != b->expires)
		return a->expires > b->expires ? 1 : -1;
	c = pres_dmq_cmp_str(&a->etag, &b->etag);
	return c ? c : pres_dmq_cmp_str(&a->body, &b->body);
}

static void rec_of(const pres_pub_t *p, pres_dmq_rec_t *r)
{
	memset(r, 0, sizeof(*r));
	r->op = 'S';
	r->received = p->received;
	r->expires = p->expires;
	r->priority = p->priority;
	r->user = p->user;
	r->domain = p->domain;
	r->event = p->event;
	r->etag = p->etag;
	r->sender = p->sender;
	r->body = p->body;
}

/* ---------------------------------------------------------------- send */

static void send_failed(const pres_dmq_rec_t *r)
{
	LP_LOG_LIMITED(LP_L_ERR, "dmq: publication of %.*s@%.*s not replicated",
			LP_STR_FMT(r->user), LP_STR_FMT(r->domain));
}

void pres_dmq_send_buf(pres_dmq_buf_t *b)
{
	if(b->n > 0 && dmq_send && dmq_send(b->s, b->len, NULL) < 0)
		LP_LOG_LIMITED(LP_L_ERR, "dmq: a change was not replicated");
	pres_dmq_buf_free(b);
}

static void send_one(const pres_dmq_rec_t *r)
{
	pres_dmq_buf_t b;

	if(pres_dmq_begin(&b, PRES_DMQ_PUB) < 0 || pres_dmq_add(&b, r) < 0) {
		send_failed(r);
		pres_dmq_buf_free(&b);
		return;
	}
	pres_dmq_send_buf(&b);
}

void pres_dmq_encode_store(
		pres_dmq_buf_t *b, const pres_pub_t *p, const lp_str_t *old_etag)
{
	pres_dmq_rec_t r;

	memset(b, 0, sizeof(*b));
	if(!pres_dmq_on())
		return;
	rec_of(p, &r);
	if(old_etag && !lp_str_eq(old_etag, &p->etag))
		r.old_etag = *old_etag;
	if(pres_dmq_begin(b, PRES_DMQ_PUB) < 0 || pres_dmq_add(b, &r) < 0) {
		send_failed(&r);
		pres_dmq_buf_free(b);
	}
}

void pres_dmq_replicate_remove(const pres_pub_key_t *k, unsigned int now)
{
	pres_dmq_rec_t r;

	if(!pres_dmq_on())
		return;
	/* an older version still on its way here must not bring it back */
	pres_dmq_tomb_add(k->user, k->domain, k->event, k->etag, now,
			pres_dmq_tomb_until(now, 0, pres.cfg.max_expires));
	memset(&r, 0, sizeof(r));
	r.op = 'R';
	r.received = now;
	r.user = *k->user;
	r.domain = *k->domain;
	r.event = *k->event;
	r.etag = *k->etag;
	send_one(&r);
}

int pres_dmq_request_sync(void)
{
	int rc;

	if(!pres_dmq_on())
		return 0;
	rc = pres_dmq_send_hdr(HDR_SYNC);
	if(rc < 0)
		LP_ERR("dmq: cannot request the publications of the other nodes");
	return rc;
}

/* ---------------------------------------------------------------- sync */

/* Under the cache bucket's lock: encode p into the sync answer. */
static int sync_visit(const pres_pub_t *p, void *ctx)
{
	pres_dmq_chunks_t *c = ctx;
	pres_dmq_buf_t *b;
	pres_dmq_rec_t r;

	rec_of(p, &r);
	if(!rec_fits(&r)) /* e.g. a body over the limit: stays local */
		return 0;
	b = pres_dmq_chunk(c, rec_size(&r));
	if(!b || pres_dmq_add(b, &r) < 0) {
		c->err = 1;
		return 1;
	}
	return 0;
}

int pres_dmq_send_sync(void *node)
{
	pres_dmq_chunks_t c = {HDR_PUB, NULL, 0, 0};

	if(!dmq_send)
		return -1;
	pres_pub_foreach(NULL, NULL, sync_visit, &c);
	return pres_dmq_chunks_send(&c, node, "publications");
}

/* ---------------------------------------------------------------- apply */

/* The stored version of k, or of r's old_etag: *cur (caller lp_frees) and
 * in *replace the etag to overwrite (NULL: insert). 1 when r loses to the
 * stored version (nothing to do), 0 go on, -1 error. */
static int find_current(
		const pres_dmq_rec_t *r, pres_pub_t **cur, const lp_str_t **replace)
{
	pres_pub_key_t k = {&r->user, &r->domain, &r->event, &r->etag};
	pres_dmq_rec_t st;
	int found;

	*cur = NULL;
	*replace = NULL;
	found = pres_pub_get(&k, cur);
	if(found < 0)
		return -1;
	if(found) {
		rec_of(*cur, &st);
		if(pres_dmq_cmp(r, &st) <= 0)
			return 1;
		*replace = &r->etag;
		return 0;
	}
	if(r->old_etag.len == 0)
		return 0;
	k.etag = &r->old_etag;
	found = pres_pub_get(&k, cur);
	if(found < 0)
		return -1;
	if(found)
		*replace = &r->old_etag;
	return 0;
}

/* r (a store) was removed by a change received no earlier than it: the
 * removal wins, whatever the arrival order. */
static int tombstoned(const pres_dmq_rec_t *r)
{
	unsigned int t = pres_dmq_tomb_find(
			&r->user, &r->domain, &r->event, &r->etag, pres.now());

	if(t == 0 || r->received > t)
		return 0;
	LP_DBG("dmq: %.*s@%.*s etag %.*s received %u: removed at %u, ignored",
			LP_STR_FMT(r->user), LP_STR_FMT(r->domain), LP_STR_FMT(r->etag),
			r->received, t);
	return 1;
}

static int apply_store(const pres_dmq_rec_t *r, pres_ev_t *ev)
{
	pres_pub_key_t k = {&r->user, &r->domain, &r->event, &r->etag};
	const lp_str_t *replace;
	pres_pub_t *cur, *p;
	int rc, changed;

	if(r->expires <= pres.now() || tombstoned(r))
		return 0;
	rc = find_current(r, &cur, &replace);
	if(rc != 0) { /* 1: the stored version wins */
		rc = rc > 0 ? 0 : -1;
		goto done;
	}
	changed = !cur || !lp_str_eq(&cur->body, &r->body);
	rc = -1;
	p = pres_pub_new(&k, &r->sender, &r->body, r->expires, r->received);
	if(!p)
		goto done;
	p->priority = r->priority;
	rc = pres_pub_store(p, replace);
	if(rc == -2) /* the replaced version went meanwhile */
		rc = pres_pub_store(p, NULL);
	if(rc < 0) {
		lp_free(p);
		rc = -1;
		goto done;
	}
	if(changed && !pres.cfg.skip_notify_dmq) {
		pres_dmq_applying = 1; /* this node's own subscriptions only */
		pres_notify_watchers(&r->user, &r->domain, ev, &r->sender);
		pres_dmq_applying = 0;
	}
	rc = 1;
done:
	if(cur)
		lp_free(cur);
	return rc;
}

static int apply_remove(const pres_dmq_rec_t *r, pres_ev_t *ev)
{
	pres_pub_key_t k = {&r->user, &r->domain, &r->event, &r->etag};
	pres_pub_t *cur = NULL;
	int rc;

	/* remembered even when the version is not here (yet): a store of it
	 * delivered after this removal is refused */
	pres_dmq_tomb_add(&r->user, &r->domain, &r->event, &r->etag, r->received,
			pres_dmq_tomb_until(r->received, r->expires, pres.cfg.max_expires));
	rc = pres_pub_get(&k, &cur);
	if(rc <= 0)
		return rc;
	rc = 0;
	if(cur->received > r->received) /* stored after the removal */
		goto done;
	rc = pres_pub_remove(&k);
	if(rc == -2) { /* gone meanwhile */
		rc = 0;
		goto done;
	}
	if(rc < 0)
		goto done;
	if(!pres.cfg.skip_notify_dmq) {
		pres_dmq_applying = 1;
		pres_notify_watchers_off(
				&r->user, &r->domain, ev, &r->sender, &cur->body);
		pres_dmq_applying = 0;
	}
	rc = 1;
done:
	lp_free(cur);
	return rc;
}

int pres_dmq_apply(const pres_dmq_rec_t *r)
{
	pres_ev_t *ev = pres_event_by_hdr(&r->event);

	if(!ev || !(ev->type & PUBL_TYPE)) {
		LP_LOG_LIMITED(LP_L_WARN,
				"dmq: publication for unknown event '%.*s' ignored",
				LP_STR_FMT(r->event));
		return 0;
	}
	if(r->op == 'R')
		return apply_remove(r, ev);
	return apply_store(r, ev);
}

int pres_dmq_receive(const char *s, int len, void *node)
{
	pres_dmq_msg_t m;
	int i, applied = 0, failed = 0, rc;

	rc = pres_dmq_subs_receive(s, len, node);
	if(rc != 0)
		return rc < 0 ? -1 : 0;
	if(!pres_dmq_on()) {
		LP_LOG_LIMITED(LP_L_WARN, "dmq: publication message ignored"
								  " (enable_pres_dmq is 0)");
		return 0;
	}
	if(pres_dmq_decode(s, len, &m) < 0) {
		LP_LOG_LIMITED(LP_L_WARN,
				"dmq: malformed presence message (%d bytes) ignored", len);
		return -1;
	}
	if(m.kind == PRES_DMQ_SYNC) {
		if(node) /* never broadcast a whole state */
			pres_dmq_send_sync(node);
		else
			LP_LOG_LIMITED(LP_L_WARN,
					"dmq: sync request from an unknown node ignored");
		return 0;
	}
	for(i = 0; i < m.n; i++) {
		rc = pres_dmq_apply(&m.recs[i]);
		applied += rc > 0;
		failed += rc < 0;
	}
	if(failed)
		LP_LOG_LIMITED(LP_L_ERR, "dmq: %d of %d replicated changes not stored",
				failed, m.n);
	LP_DBG("dmq: %d of %d replicated changes applied", applied, m.n);
	pres_dmq_msg_free(&m);
	return 0;
}
