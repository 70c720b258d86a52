/* NOTIFY contents: the current body of a presentity for one watcher, the
 * Subscription-State and other headers, and the fan-out to every watcher
 * after a change (one body per filtering outcome, pres_bodycache.h; the
 * fan-outs of one presentity serialized by its fan-out lock). Sending is
 * the glue's (pres.send_notify), under the fan-out lock, or with sender
 * processes (pres.fanq) the NOTIFY is queued on its dialog's sender under
 * the fan-out lock and the lock is released before anything is sent. A
 * NOTIFY made outside a fan-out (after a SUBSCRIBE) is emitted under the
 * lock too, made again with the next CSeq when a fan-out overtook it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lp_log.h"
#include "pres_aggcache.h"
#include "pres_bodycache.h"
#include "pres_fanq.h"
#include "pres_pub.h"
#include "pres_stats.h"
#include "pres_subs.h"

/* The presentity's document for ev: the aggregation of every publication
 * when the event aggregates, otherwise the latest one. malloc'd into *out;
 * {NULL,0} when nothing is published. 0 or -1. */
/* agg_nbody over bodies[0..n) and, when off is given, off as entry n with
 * off_index n (Kamailio's contract: the publication just removed). */
static lp_str_t *agg_off(pres_ev_t *ev, const lp_str_t *user,
		const lp_str_t *domain, lp_str_t **bodies, int n, const lp_str_t *off)
{
	lp_str_t **all, *agg;

	if(!off)
		return ev->agg_nbody((lp_str_t *)user, (lp_str_t *)domain, bodies, n, -1);
	all = malloc((n + 1) * sizeof(*all));
	if(!all)
		return NULL;
	if(n > 0)
		memcpy(all, bodies, n * sizeof(*all));
	all[n] = (lp_str_t *)off;
	agg = ev->agg_nbody((lp_str_t *)user, (lp_str_t *)domain, all, n + 1, n);
	free(all);
	return agg;
}

/* agg_nbody over what is published now (off: as agg_off), the document
 * into *out (malloc'd; {NULL,0}: none); without off, kept for the NOTIFYs
 * that follow (pres_aggcache.h). */
static int aggregated(const lp_str_t *user, const lp_str_t *domain,
		pres_ev_t *ev, const lp_str_t *off, lp_str_t *out)
{
	lp_str_t **bodies, *agg;
	pres_pub_stamp_t st;
	int n, rc = 0;

	n = pres_pub_bodies_stamped(user, domain, &ev->name, &bodies, &st);
	if(n < 0)
		return -1;
	agg = agg_off(ev, user, domain, bodies, n, off);
	if(agg && agg->s && agg->len > 0)
		rc = lp_str_mdup(out, agg);
	pres_cb_str_free(ev->free_body, agg);
	pres_pub_bodies_free(bodies, n);
	/* no document out of publications: maybe the event's failure (out of
	 * memory), not kept */
	if(rc == 0 && !off && (out->s || n == 0))
		pres_aggcache_put(user, domain, ev, &st, out);
	return rc;
}

/* The latest publication's body, for an event that does not aggregate. */
static int latest(const lp_str_t *user, const lp_str_t *domain,
		pres_ev_t *ev, lp_str_t *out)
{
	lp_str_t **bodies;
	int n;

	n = pres_pub_bodies(user, domain, &ev->name, &bodies);
	if(n < 0)
		return -1;
	if(n > 0) {
		*out = *bodies[n - 1];
		bodies[n - 1]->s = NULL;
		bodies[n - 1]->len = 0;
	}
	pres_pub_bodies_free(bodies, n);
	return 0;
}

/* The document body_cache kept for what is published now: 1 (*out the
 * copy), 0 when none is kept or the cache does not apply, -1 out of
 * memory. Counts a hit or a miss where it applies. */
static int from_cache(const lp_str_t *user, const lp_str_t *domain,
		pres_ev_t *ev, lp_str_t *out)
{
	pres_pub_stamp_t now;
	int rc;

	if(pres.cfg.body_cache <= 0)
		return 0;
	pres_pub_stamp_now(user, domain, &now);
	if(now.table == 0) /* not all in memory */
		return 0;
	rc = pres_aggcache_get(user, domain, ev, &now, pres.now(), out);
	if(rc >= 0)
		pres_stat_inc(rc > 0 ? PRES_STAT_BODY_CACHE_HITS
							 : PRES_STAT_BODY_CACHE_MISSES);
	return rc;
}

static int current_body_off(const lp_str_t *user, const lp_str_t *domain,
		pres_ev_t *ev, const lp_str_t *off, lp_str_t *out)
{
	int rc;

	*out = LP_STR_NULL;
	if(!ev->agg_nbody)
		return latest(user, domain, ev, out);
	/* also with nothing published (dummy documents) */
	rc = off ? 0 : from_cache(user, domain, ev, out);
	if(rc != 0)
		return rc > 0 ? 0 : -1;
	return aggregated(user, domain, ev, off, out);
}

int pres_current_body(const lp_str_t *user, const lp_str_t *domain,
		pres_ev_t *ev, lp_str_t *out)
{
	return current_body_off(user, domain, ev, NULL, out);
}

static int build_headers(const subs_t *s, int has_body, lp_str_t *out)
{
	char buf[1024], state[160];
	unsigned int now = pres.now();
	int left = s->expires > now ? (int)(s->expires - now) : 0, n;
	const lp_str_t *contact = &s->local_contact;

	if(s->status == TERMINATED_STATUS || left == 0)
		snprintf(state, sizeof(state), "terminated;reason=%.*s",
				s->reason.len ? s->reason.len : 7,
				s->reason.len ? s->reason.s : "timeout");
	else
		snprintf(state, sizeof(state), "%s;expires=%d",
				s->status == ACTIVE_STATUS ? "active" : "pending", left);
	n = snprintf(buf, sizeof(buf),
			"Max-Forwards: 70\r\nEvent: %.*s%s%.*s\r\n"
			"Contact: <%.*s>\r\nSubscription-State: %s\r\n",
			LP_STR_FMT(s->event->name), s->event_id.len ? ";id=" : "",
			LP_STR_FMT(s->event_id), LP_STR_FMT(*contact), state);
	if(n > 0 && n < (int)sizeof(buf) && has_body)
		n += snprintf(buf + n, sizeof(buf) - n, "Content-Type: %.*s\r\n",
				LP_STR_FMT(s->event->content_type));
	if(n <= 0 || n >= (int)sizeof(buf))
		return -1;
	return lp_str_mdup(out, &(lp_str_t){buf, n});
}

void pres_notify_free(pres_notify_t *n)
{
	if(!n)
		return;
	free(n->subs);
	free(n->headers.s);
	if(!n->body_shared)
		free(n->body.s);
	free(n);
}

pres_notify_t *pres_notify_make(subs_t *s, lp_str_t *body)
{
	pres_notify_t *n = calloc(1, sizeof(*n));

	if(!n) {
		free(s);
		free(body->s);
		return NULL;
	}
	n->subs = s;
	if(s->status == TERMINATED_STATUS) {
		free(body->s);
		*body = LP_STR_NULL;
	}
	pres_body_for_watcher(s, body);
	n->body = *body;
	if(build_headers(s, n->body.s != NULL, &n->headers) < 0) {
		pres_notify_free(n);
		return NULL;
	}
	return n;
}

pres_notify_t *pres_notify_build(const subs_t *s)
{
	lp_str_t body = LP_STR_NULL, user, domain;
	subs_t *copy;

	if(pres_split_uri(&s->pres_uri, &user, &domain) < 0)
		return NULL;
	if(s->status == ACTIVE_STATUS && (s->event->type & WINFO_TYPE)) {
		if(pres_winfo_body(s, &body) < 0)
			LP_ERR("cannot build the watcherinfo of %.*s", LP_STR_FMT(s->pres_uri));
	} else if(s->status == ACTIVE_STATUS
			  && pres_current_body(&user, &domain, s->event, &body) < 0) {
		return NULL;
	}
	copy = pres_subs_dup(s, 0);
	if(!copy) {
		free(body.s);
		return NULL;
	}
	return pres_notify_make(copy, &body);
}

/* The slot of the fan-out lock this process holds, or -1: a fan-out
 * started from inside one of this process's own (a script route run by tm
 * while sending) must not wait for itself. */
static __thread int held = -1;

/* Take the fan-out lock of uri unless this process holds it: the slot to
 * give to fanout_unlock, -1 when nothing was taken. */
static int fanout_lock(const lp_str_t *uri)
{
	int slot;

	if(!pres.fanout)
		return -1;
	slot = (int)lp_htable_slot(pres.fanout, lp_hash_str(uri));
	if(slot == held)
		return -1;
	lp_htable_lock(pres.fanout, slot);
	held = slot;
	return slot;
}

static void fanout_unlock(int slot)
{
	if(slot < 0)
		return;
	held = -1;
	lp_htable_unlock(pres.fanout, slot);
}

/* n queued on its dialog's sender, or handed to tm through the glue. */
static int emit(const pres_notify_t *n)
{
	if(pres.fanq)
		return pres_fanq_push(pres.fanq, n);
	return pres.send_notify ? pres.send_notify(n) : -1;
}

/* The NOTIFY of a fan-out, its CSeq taken under the fan-out lock held
 * now: sent, or queued on its sender. Takes n. */
static int send_one(pres_notify_t *n)
{
	int rc = n ? emit(n) : -1;

	pres_notify_free(n);
	return rc;
}

typedef struct restamp_ctx {
	unsigned int mine;
	subs_t *copy; /* malloc'd: the subscription with its new CSeq */
} restamp_ctx_t;

/* A later CSeq than ours was taken: take the next one (queued after it). */
static int restamp_op(subs_t *stored, void *vctx, subs_t **replace)
{
	restamp_ctx_t *c = vctx;

	if(stored->local_cseq <= c->mine)
		return 0;
	stored->local_cseq++;
	stored->version++;
	c->copy = pres_subs_dup(stored, 0);
	return c->copy ? 0 : -1;
}

/* Under the fan-out lock: n emitted, or its remake with the next CSeq. */
static int emit_in_order(const pres_notify_t *n)
{
	const subs_t *s = n->subs;
	pres_dlg_key_t k = {&s->callid, &s->to_tag, &s->from_tag};
	restamp_ctx_t c = {s->local_cseq, NULL};
	pres_notify_t *again;
	int rc;

	if(pres_subs_apply(&s->pres_uri, &k, restamp_op, &c) < 0 && c.copy) {
		free(c.copy);
		c.copy = NULL;
	}
	if(!c.copy)
		return emit(n);
	if(s->status != ACTIVE_STATUS || c.copy->status != ACTIVE_STATUS) {
		/* no state in it: the same NOTIFY with the new CSeq */
		pres_notify_t same = *n;
		subs_t sc = *s;
		sc.local_cseq = c.copy->local_cseq;
		same.subs = &sc;
		free(c.copy);
		return emit(&same);
	}
	again = pres_notify_build(c.copy);
	free(c.copy);
	if(!again)
		return -1;
	rc = emit(again);
	pres_notify_free(again);
	return rc;
}

int pres_notify_send(const pres_notify_t *n)
{
	int slot, rc;

	if(!n)
		return -1;
	/* instances of the DB-only mode share no fan-out lock */
	if(pres.cfg.subs_db_mode == PRES_SUBS_DB_ONLY)
		return emit(n);
	slot = fanout_lock(&n->subs->pres_uri);
	rc = emit_in_order(n);
	fanout_unlock(slot);
	return rc;
}

int pres_notify_watchers(const lp_str_t *user, const lp_str_t *domain,
		pres_ev_t *ev, const lp_str_t *skip)
{
	return pres_notify_watchers_off(user, domain, ev, skip, NULL);
}

/* The NOTIFY of one fan-out for s (takes s), its body from the cache. */
static pres_notify_t *notify_cached(pres_bodycache_t *bc, subs_t *s)
{
	pres_notify_t *n = calloc(1, sizeof(*n));
	int owned;

	if(!n) {
		free(s);
		return NULL;
	}
	n->subs = s;
	owned = 1;
	if(s->status != TERMINATED_STATUS /* out of memory: not sent */
			&& pres_bodycache_get(bc, s, &n->body, &owned) < 0) {
		pres_notify_free(n);
		return NULL;
	}
	n->body_shared = !owned;
	if(build_headers(s, n->body.s != NULL, &n->headers) < 0) {
		pres_notify_free(n);
		return NULL;
	}
	return n;
}

/* The fan-out itself, under the presentity's fan-out lock: the state is
 * read, the CSeqs taken and every NOTIFY sent (or queued on its dialog's
 * sender: then the lock is not held while tm sends) before another
 * fan-out of the presentity starts, so each watcher's NOTIFYs leave in
 * CSeq order and none carries older state than the one before it
 * (Kamailio's #3192: PUBLISHes racing on different workers). */
static int fanout(const lp_str_t *uri, const lp_str_t *user,
		const lp_str_t *domain, pres_ev_t *ev, const lp_str_t *skip,
		const lp_str_t *off)
{
	lp_str_t body = LP_STR_NULL;
	pres_bodycache_t bc;
	subs_t **subs;
	int n, i, sent = 0;

	n = pres_subs_collect(uri, ev, skip, &subs);
	if(n <= 0) {
		free(subs);
		return n;
	}
	if(current_body_off(user, domain, ev, off, &body) < 0)
		LP_ERR("cannot read the state of %.*s", LP_STR_FMT(*uri));
	pres_bodycache_init(&bc, &body);
	for(i = 0; i < n; i++)
		if(send_one(notify_cached(&bc, subs[i])) == 0)
			sent++;
	pres_bodycache_free(&bc);
	free(body.s);
	free(subs);
	return sent;
}

int pres_notify_watchers_off(const lp_str_t *user, const lp_str_t *domain,
		pres_ev_t *ev, const lp_str_t *skip, const lp_str_t *off)
{
	char ubuf[512];
	lp_str_t uri = {ubuf, pres_make_uri(ubuf, sizeof(ubuf), user, domain)};
	int slot, n;

	if(uri.len < 0)
		return -1;
	pres_fanout_bracket(1);
	slot = fanout_lock(&uri);
	n = fanout(&uri, user, domain, ev, skip, off);
	fanout_unlock(slot);
	pres_fanout_bracket(0);
	return n;
}

int pres_fanout_listen(pres_fanout_fn fn)
{
	if(!fn || pres.fanout_nhooks >= PRES_FANOUT_HOOKS)
		return -1;
	pres.fanout_hooks[pres.fanout_nhooks++] = fn;
	return 0;
}

void pres_fanout_bracket(int open)
{
	int i;

	for(i = 0; i < pres.fanout_nhooks; i++)
		pres.fanout_hooks[i](open);
}

static int copy_op(subs_t *stored, void *vctx, subs_t **replace)
{
	subs_t **copy = vctx;

	*copy = pres_subs_dup(stored, 0);
	return *copy ? 0 : -1;
}

/* Remove the subscription of dialog k after its NOTIFY failed and tell the
 * winfo subscribers that the watcher is gone (RFC 3857: terminated, event
 * "timeout", as when a subscription ends without a reason). */
static void remove_failed(const lp_str_t *pres_uri, const pres_dlg_key_t *k)
{
	subs_t *copy = NULL;

	if(pres_subs_apply(pres_uri, k, copy_op, &copy) < 0 || !copy)
		return;
	if(pres_subs_remove(pres_uri, k) == 0) {
		copy->status = TERMINATED_STATUS;
		copy->reason = LP_STR_NULL;
		pres_winfo_notify_change(copy);
	}
	free(copy);
}

void pres_notify_reply(const lp_str_t *pres_uri, const lp_str_t *callid,
		const lp_str_t *to_tag, const lp_str_t *from_tag, int code)
{
	pres_dlg_key_t k = {callid, to_tag, from_tag};

	if(code < 300)
		return;
	LP_LOG_LIMITED(LP_L_INFO,
			"NOTIFY in dialog %.*s answered %d", LP_STR_FMT(*callid), code);
	/* RFC 6665 section 4.2.2: a 481 MUST end the subscription (404 too: the
	 * watcher is gone); a timeout (408) SHOULD, unless timeout_rm_subs 0
	 * keeps it on unreliable networks, as Kamailio's (test/sip case 40) */
	if(code == 481 || code == 404
			|| (code == 408 && pres.cfg.timeout_rm_subs))
		remove_failed(pres_uri, &k);
}

static void notify_expired(subs_t *copy)
{
	lp_str_t body = LP_STR_NULL;

	pres_notify_t *n;

	copy->status = TERMINATED_STATUS;
	pres_winfo_notify_change(copy);
	n = pres_notify_make(copy, &body);
	pres_notify_send(n);
	pres_notify_free(n);
}

/* As after an un-PUBLISH, the expired body goes to agg_nbody as its
 * off_index entry: presence_xml then tells the watchers that the expired
 * tuples are closed, instead of a NOTIFY without a body that leaves a
 * desk phone's lamp as it was (Kamailio sends no body here). */
static void pub_expired(const lp_str_t *user, const lp_str_t *domain,
		const lp_str_t *event, const lp_str_t *body)
{
	pres_ev_t *ev = pres_event_by_hdr(event);

	if(ev)
		pres_notify_watchers_off(
				user, domain, ev, NULL, body && body->s ? body : NULL);
}

void pres_clean_expired(void)
{
	unsigned int now = pres.now();

	/* force_delete: expired publications go without telling the watchers */
	pres_pub_clean(now, pres.cfg.force_delete ? NULL : pub_expired);
	pres_subs_expire(now, notify_expired);
}
