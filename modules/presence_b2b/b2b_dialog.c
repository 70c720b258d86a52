/* presence_b2b dialogs: what the timer sends, what a reply to our SUBSCRIBE
 * changes, and how a NOTIFY is matched (confirmed and not yet confirmed
 * dialogs) and turned into a status message for the subscriber. This file
 * keeps the first dialog of each record; the other dialogs of a forked
 * SUBSCRIBE are in b2b_fork.c, reached from here. Every
 * function here takes and releases the bucket lock of the record it works
 * on; status messages are put with that lock held (lock order: bucket,
 * service, queue). */
#include <string.h>

#include "b2b_logic.h"
#include "lp_event.h"
#include "lp_log.h"

enum { ACT_NONE = 0, ACT_SEND, ACT_DESTROY };

/* Replace *dst by a copy of src (empty src clears). -1 when memory runs
 * out; *dst is then unchanged. */
int pb2b_set_str(lp_str_t *dst, const lp_str_t *src)
{
	lp_str_t n = LP_STR_NULL;

	if(src->s && src->len > 0 && lp_str_dup(&n, src) < 0)
		return -1;
	lp_free(dst->s);
	*dst = n;
	return 0;
}

static void clear_dialog(pb2b_rec_t *r)
{
	lp_str_t none = LP_STR_NULL;

	pb2b_set_str(&r->remote_tag, &none);
	pb2b_set_str(&r->remote_target, &none);
	pb2b_set_str(&r->route_set, &none);
	r->route_in_order = 0;
	r->out_cseq = 0;
	r->remote_cseq = 0;
	r->expires_at = 0;
}

static void go_idle(pb2b_rec_t *r, unsigned int when)
{
	pb2b_fork_end_all(r);
	clear_dialog(r);
	r->state = PB2B_IDLE;
	r->next_send = when;
}

/* ---------------------------------------------------------------- sends */

static lp_str_t subscriber_of(const pb2b_rec_t *r)
{
	const lp_str_t *s = lp_qsub_subscriber(r->sub);

	return s->len > 0 ? *s : lp_str_c(pb2b.cfg.default_subscriber);
}

pb2b_send_t *pb2b_send_build(
		const pb2b_rec_t *r, const pb2b_dlg_ref_t *d, int expires)
{
	lp_str_t from = subscriber_of(r), to = *lp_qsub_record(r->sub);
	const lp_str_t *pkg = lp_qsub_package(r->sub);
	pb2b_send_t *s;
	char *w;

	s = lp_malloc(sizeof(*s) + r->callid.len + d->local_tag->len
				  + d->remote_tag->len + from.len + to.len + d->target->len
				  + d->route->len + pkg->len + 8);
	if(!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->id = r->id;
	s->cseq = d->cseq;
	s->expires = expires;
	s->in_dialog = d->remote_tag->len > 0;
	s->route_in_order = d->route_in_order;
	w = (char *)(s + 1);
	lp_str_put(&s->callid, &w, &r->callid);
	lp_str_put(&s->local_tag, &w, d->local_tag);
	lp_str_put(&s->remote_tag, &w, d->remote_tag);
	lp_str_put(&s->from_uri, &w, &from);
	lp_str_put(&s->to_uri, &w, &to);
	lp_str_put(&s->target, &w, d->target);
	lp_str_put(&s->route, &w, d->route);
	lp_str_put(&s->package, &w, pkg);
	return s;
}

/* The SUBSCRIBE of r's first dialog; NULL when memory runs out. */
static pb2b_send_t *send_build(const pb2b_rec_t *r, int expires)
{
	int in_dialog = r->remote_tag.len > 0;
	lp_str_t to = *lp_qsub_record(r->sub);
	lp_str_t target = in_dialog && r->remote_target.len ? r->remote_target : to;
	lp_str_t route = in_dialog ? r->route_set : lp_str_c(pb2b.cfg.presence_route);
	pb2b_dlg_ref_t d = {&r->local_tag, &r->remote_tag, &target, &route,
			in_dialog && r->route_in_order, r->cseq + 1};

	return pb2b_send_build(r, &d, expires);
}

/* Build and account one SUBSCRIBE; no state changes when memory runs out
 * (the timer tries again on its next run). */
static int send_now(pb2b_rec_t *r, int expires, unsigned int now, pb2b_send_t **out)
{
	pb2b_send_t *s = send_build(r, expires);

	if(!s)
		return ACT_NONE;
	r->cseq = s->cseq;
	r->out_cseq = s->cseq;
	r->out_expires = expires;
	r->last_sent = now;
	r->n_sent++;
	*out = s;
	return ACT_SEND;
}

/* Expires of our SUBSCRIBEs: the configured one, raised to the server's
 * Min-Expires once it asked for more (RFC 6665 s4.1.2.1, RFC 3261 s21.4.17). */
int pb2b_want_expires(const pb2b_rec_t *r)
{
	return r->min_expires > pb2b.cfg.default_expiration
				   ? r->min_expires
				   : pb2b.cfg.default_expiration;
}

static int start_dialog(pb2b_rec_t *r, unsigned int now, pb2b_send_t **out)
{
	char tok[PB2B_TOKEN_LEN + 1];

	clear_dialog(r);
	pb2b_token(tok, pb2b.rand);
	r->local_tag.len = (int)strlen(tok);
	memcpy(r->tag_buf, tok, r->local_tag.len + 1);
	if(send_now(r, pb2b_want_expires(r), now, out) != ACT_SEND)
		return ACT_NONE;
	r->state = PB2B_SENT;
	return ACT_SEND;
}

/* The subscriber is gone: end the dialog, or wait for the outstanding
 * initial SUBSCRIBE to tell us the remote tag. */
static int tick_unsub(pb2b_rec_t *r, unsigned int now, pb2b_send_t **out)
{
	if(r->state == PB2B_IDLE)
		return ACT_DESTROY;
	if(r->state == PB2B_SENT) {
		if(!r->deadline)
			r->deadline = now + pb2b.cfg.wait_for_term_notify;
		return now >= r->deadline ? ACT_DESTROY : ACT_NONE;
	}
	if(send_now(r, 0, now, out) != ACT_SEND)
		return ACT_NONE;
	r->state = PB2B_TERMINATING;
	r->deadline = now + pb2b.cfg.wait_for_term_notify;
	return ACT_SEND;
}

static int tick(pb2b_rec_t *r, unsigned int now, pb2b_send_t **out)
{
	if(r->state == PB2B_TERMINATING)
		return now >= r->deadline ? ACT_DESTROY : ACT_NONE;
	if(r->unsub)
		return tick_unsub(r, now, out);
	if(r->out_cseq || now < r->next_send)
		return ACT_NONE; /* tm reports every final reply, 408 included */
	if(r->state == PB2B_IDLE)
		return start_dialog(r, now, out);
	if(r->state == PB2B_SENT)
		return ACT_NONE;
	return send_now(r, pb2b_want_expires(r), now, out);
}

/* The first dialog of an unsubscribed record is done: the record goes,
 * unless forks still wait for their end (the timer destroys it after
 * them). */
static void first_done(pb2b_rec_t *r)
{
	if(!r->forks) {
		pb2b_rec_destroy(r);
		return;
	}
	clear_dialog(r);
	r->state = PB2B_IDLE;
}

pb2b_send_t *pb2b_timer(unsigned int now)
{
	pb2b_send_t *list = NULL, *s;
	lp_hentry_t *e, *next;
	unsigned int i;

	for(i = 0; i < pb2b.recs->size; i++) {
		lp_htable_lock(pb2b.recs, i);
		for(e = pb2b.recs->buckets[i].first; e; e = next) {
			next = e->next;
			pb2b_fork_tick((pb2b_rec_t *)e, now, &list);
			s = NULL;
			switch(tick((pb2b_rec_t *)e, now, &s)) {
				case ACT_SEND:
					s->next = list;
					list = s;
					break;
				case ACT_DESTROY:
					first_done((pb2b_rec_t *)e);
					break;
			}
		}
		lp_htable_unlock(pb2b.recs, i);
	}
	return list;
}

void pb2b_send_list_free(pb2b_send_t *list)
{
	pb2b_send_t *next;

	for(; list; list = next) {
		next = list->next;
		lp_free(list);
	}
}

/* ---------------------------------------------------------------- lookup */

static int match_callid(const lp_hentry_t *e, const void *key)
{
	return lp_str_eq(&((const pb2b_rec_t *)e)->callid, (const lp_str_t *)key);
}

/* Record of callid with its slot locked, or NULL (nothing locked). */
static pb2b_rec_t *lock_rec(const lp_str_t *callid, unsigned int *slot)
{
	unsigned int h = lp_hash_str(callid);
	lp_hentry_t *e;

	*slot = lp_htable_slot(pb2b.recs, h);
	lp_htable_lock(pb2b.recs, *slot);
	e = lp_htable_find(pb2b.recs, h, match_callid, callid);
	if(!e)
		lp_htable_unlock(pb2b.recs, *slot);
	return (pb2b_rec_t *)e;
}

/* --------------------------------------------------------------- replies */

static void on_2xx(pb2b_rec_t *r, const pb2b_reply_t *rp, unsigned int now)
{
	int exp = rp->expires >= 0 ? rp->expires : r->out_expires;

	if(r->state == PB2B_SENT && pb2b_set_str(&r->remote_tag, &rp->to_tag) < 0) {
		go_idle(r, pb2b_retry_time(&pb2b.cfg, now));
		return;
	}
	r->state = PB2B_CONFIRMED;
	/* the 2xx of another branch than the one whose NOTIFY made the first
	 * dialog (forked): only its interval applies to ours */
	if(rp->to_tag.len && !lp_str_eq(&rp->to_tag, &r->remote_tag))
		exp = r->out_expires;
	else {
		if(rp->contact.len)
			pb2b_set_str(&r->remote_target, &rp->contact);
		if(rp->record_route.len && !r->route_set.len)
			pb2b_set_str(&r->route_set, &rp->record_route);
	}
	if(exp == 0) { /* the server does not keep it: start over later */
		go_idle(r, pb2b_retry_time(&pb2b.cfg, now));
		return;
	}
	r->expires_at = now + (unsigned int)exp;
	r->next_send = pb2b_refresh_time(&pb2b.cfg, r->last_sent, r->expires_at);
}

/* 423 Interval Too Brief with a usable Min-Expires: ask again at once with
 * that interval; a refused refresh keeps its dialog (the subscription lives
 * on until it expires). 0 when handled. */
static int on_423(pb2b_rec_t *r, const pb2b_reply_t *rp, unsigned int now)
{
	if(rp->min_expires <= r->out_expires || rp->min_expires > PB2B_MAX_DELTA)
		return -1; /* no header, or one that cannot help: a plain error */
	r->min_expires = rp->min_expires;
	if(r->state == PB2B_SENT)
		go_idle(r, now);
	else
		r->next_send = now;
	return 0;
}

static void on_error(pb2b_rec_t *r, const pb2b_reply_t *rp, unsigned int now)
{
	/* the server said when to come back (RFC 3261 s20.33) */
	unsigned int when = pb2b_retry_after_time(
			pb2b_retry_time(&pb2b.cfg, now), now, rp->retry_after);

	if(rp->code == 423 && on_423(r, rp, now) == 0)
		return;
	/* a refresh the server no longer knows: a new dialog, now */
	if(rp->code == 481 && r->state != PB2B_SENT) {
		go_idle(r, now);
		return;
	}
	/* a refused refresh leaves the subscription valid until it expires
	 * (RFC 6665 s4.1.2.2): with a Retry-After that comes before then, the
	 * dialog is kept and refreshed at that time */
	if(rp->retry_after >= 0 && r->state == PB2B_CONFIRMED
			&& when < r->expires_at) {
		r->next_send = when;
		return;
	}
	go_idle(r, when);
}

/* Apply a reply to r; returns ACT_DESTROY when r must go. */
static int apply_reply(pb2b_rec_t *r, const pb2b_reply_t *rp, unsigned int now)
{
	r->out_cseq = 0;
	r->last_code = rp->code;
	if(r->state == PB2B_TERMINATING)
		return rp->code >= 300 ? ACT_DESTROY : ACT_NONE;
	if(rp->code >= 200 && rp->code < 300)
		on_2xx(r, rp, now);
	else
		on_error(r, rp, now);
	return ACT_NONE;
}

int pb2b_handle_reply(const lp_str_t *callid, const lp_str_t *remote_tag,
		unsigned int cseq, const pb2b_reply_t *rp, unsigned int now)
{
	unsigned int slot;
	pb2b_rec_t *r = lock_rec(callid, &slot);
	pb2b_fork_t *f;
	pb2b_reply_t big;

	if(!r)
		return -1;
	/* a dialog we would not keep: the 2xx counts as an error reply */
	if(rp->code < 300
			&& !pb2b_dialog_sizes_ok(
					&rp->to_tag, &rp->contact, &rp->record_route)) {
		LP_LOG_RATE(LP_LOG_REQ_PER_SEC, 1, LP_L_INFO,
				"presence_b2b: 2xx to SUBSCRIBE %.*s with a To tag, Contact"
				" or Record-Route over the limits: taken as an error",
				LP_STR_FMT(*callid));
		memset(&big, 0, sizeof(big));
		big.code = 500;
		big.expires = big.min_expires = big.retry_after = -1;
		rp = &big;
	}
	f = remote_tag->len ? pb2b_fork_find(r, remote_tag) : NULL;
	if(f) {
		if(cseq == f->out_cseq && rp->code >= 200)
			pb2b_fork_reply(r, f, rp, now);
	} else if(cseq == r->out_cseq && rp->code >= 200) {
		if(apply_reply(r, rp, now) == ACT_DESTROY)
			first_done(r);
	}
	lp_htable_unlock(pb2b.recs, slot);
	return 0;
}

void pb2b_send_failed(const pb2b_send_t *s, unsigned int now)
{
	pb2b_reply_t rp;

	memset(&rp, 0, sizeof(rp));
	rp.code = 408;
	rp.expires = -1;
	rp.min_expires = -1;
	rp.retry_after = -1;
	pb2b_handle_reply(&s->callid, &s->remote_tag, s->cseq, &rp, now);
}

/* --------------------------------------------------------------- notify */

static int notify_matches(const pb2b_rec_t *r, const pb2b_notify_t *n)
{
	if(r->state == PB2B_IDLE || !lp_str_eq(&r->local_tag, &n->to_tag))
		return 0;
	/* not yet confirmed: the NOTIFY gives us the remote tag */
	if(r->remote_tag.len == 0)
		return 1;
	return lp_str_eq(&r->remote_tag, &n->from_tag);
}

static int event_matches(const pb2b_rec_t *r, const pb2b_notify_t *n)
{
	lp_event_hdr_t ev;

	if(!n->event.s || lp_event_parse(&n->event, &ev) < 0)
		return 0;
	return lp_str_caseeq(&ev.name, lp_qsub_package(r->sub));
}

/* A server-side termination: when to subscribe again (RFC 6665 s4.1.3):
 * not before its retry-after; without one, at once after a deactivation or
 * a timeout, after on_error_retry_time for the other reasons. */
static unsigned int retry_after_termination(
		const pb2b_substate_t *ss, unsigned int now)
{
	unsigned int base = pb2b_retry_time(&pb2b.cfg, now);

	if(ss->reason.len == 0 || lp_str_caseeq(&ss->reason, &LP_STR("deactivated"))
			|| lp_str_caseeq(&ss->reason, &LP_STR("timeout")))
		base = now;
	return pb2b_retry_after_time(base, now, ss->retry_after);
}

int pb2b_put_status(pb2b_rec_t *r, const pb2b_notify_t *n,
		const pb2b_substate_t *ss)
{
	lp_qstatus_t st;

	st.content_type = n->content_type;
	st.document = n->body;
	st.state = ss->state;
	st.reason = ss->reason;
	st.expires = ss->expires > 0 ? (unsigned int)ss->expires : 0;
	if(lp_qsvc_put(r->sub, &st) != LP_QSVC_ENOMEM)
		return 0;
	LP_LOG_LIMITED(LP_L_ERR, "presence_b2b: no memory for the status of %.*s",
			LP_STR_FMT(*lp_qsub_record(r->sub)));
	return -1;
}

/* Apply a matched NOTIFY to r; returns ACT_DESTROY when r must go.
 * *lost is set when its status could not be queued (no memory). */
static int apply_notify(pb2b_rec_t *r, const pb2b_notify_t *n,
		const pb2b_substate_t *ss, unsigned int now, int *lost)
{
	if(!r->remote_tag.len && pb2b_set_str(&r->remote_tag, &n->from_tag) == 0
			&& r->state == PB2B_SENT) {
		r->state = PB2B_EARLY;
		/* the NOTIFY made the dialog: its Record-Route is the route set */
		if(n->record_route.len
				&& pb2b_set_str(&r->route_set, &n->record_route) == 0)
			r->route_in_order = 1;
	}
	r->remote_cseq = n->cseq;
	r->n_notify++;
	r->last_substate = (int)ss->state;
	if(n->contact.len)
		pb2b_set_str(&r->remote_target, &n->contact);
	if(r->unsub || r->state == PB2B_TERMINATING)
		return ss->state == LP_QSTATE_TERMINATED ? ACT_DESTROY : ACT_NONE;
	*lost = pb2b_put_status(r, n, ss) < 0;
	if(ss->state == LP_QSTATE_TERMINATED) {
		go_idle(r, retry_after_termination(ss, now));
		return ACT_NONE;
	}
	if(ss->expires > 0 && r->state == PB2B_CONFIRMED && !r->out_cseq) {
		r->expires_at = now + (unsigned int)ss->expires;
		r->next_send =
				pb2b_refresh_time(&pb2b.cfg, r->last_sent, r->expires_at);
	}
	return ACT_NONE;
}

int pb2b_handle_notify(const pb2b_notify_t *n, unsigned int now)
{
	pb2b_substate_t ss;
	unsigned int slot;
	pb2b_rec_t *r;
	pb2b_fork_t *f;
	int rc = 1, lost = 0;

	if(!pb2b_dialog_sizes_ok(&n->from_tag, &n->contact, &n->record_route))
		return -2;
	/* lenient: a missing or unreadable Subscription-State counts as active */
	if(!n->has_substate || pb2b_substate_parse(&n->substate, &ss) < 0) {
		memset(&ss, 0, sizeof(ss));
		ss.state = LP_QSTATE_ACTIVE;
		ss.expires = -1;
		ss.retry_after = -1;
	}
	r = lock_rec(&n->callid, &slot);
	if(!r)
		return -1;
	/* an in-dialog request with a CSeq lower than the last one is out of
	 * order (a replay, or one overtaken): 500, RFC 3261 s12.2.2 */
	if(!event_matches(r, n))
		rc = -1;
	else if(notify_matches(r, n)) {
		if(n->cseq < r->remote_cseq)
			rc = -3;
		else if(apply_notify(r, n, &ss, now, &lost) == ACT_DESTROY)
			first_done(r);
	} else if((f = pb2b_fork_find(r, &n->from_tag)) != NULL
			  && lp_str_eq(&f->local_tag, &n->to_tag)) {
		if(n->cseq < f->remote_cseq)
			rc = -3;
		else
			lost = pb2b_fork_notify(r, f, n, &ss, now) < 0;
	} else if(!f)
		rc = pb2b_fork_notify_new(r, n, &ss, now);
	else
		rc = -1;
	lp_htable_unlock(pb2b.recs, slot);
	return lost && rc == 1 ? -4 : rc;
}

int pb2b_branches(const pb2b_rec_t *r)
{
	const pb2b_fork_t *f;
	int n = r->remote_tag.len > 0;

	for(f = r->forks; f; f = f->next)
		n += !f->ending && !f->terminating;
	return n;
}
