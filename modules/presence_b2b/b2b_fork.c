/* presence_b2b forks: the other dialogs of a forked SUBSCRIBE (RFC 6665
 * s4.1.2.4). A proxy may fork our initial SUBSCRIBE to several notifiers;
 * each one that accepts sends a NOTIFY with its own From tag, and each such
 * NOTIFY makes a dialog of its own. The first dialog is the record's own
 * (b2b_dialog.c); every further one is a pb2b_fork_t in the record's list,
 * up to max_branches dialogs in all (a NOTIFY beyond that is answered 481,
 * which ends that branch at its notifier). A fork is refreshed in its own
 * dialog (its CSeq, remote target and route set), its NOTIFYs go to the
 * subscriber's queue like those of the first dialog, and it is ended with
 * its own Expires: 0 SUBSCRIBE when the subscriber unsubscribes or the
 * first dialog ends (the new initial SUBSCRIBE then forks anew). Every
 * function here is called with the record's bucket lock held. */
#include <string.h>

#include "b2b_logic.h"
#include "lp_log.h"

enum
{
	F_KEEP = 0,
	F_FREE
};

static void fork_free(pb2b_fork_t *f)
{
	lp_free(f->remote_tag.s);
	lp_free(f->remote_target.s);
	lp_free(f->route_set.s);
	lp_free(f);
}

/* Unlink f from r's list and free it. */
static void fork_drop(pb2b_rec_t *r, pb2b_fork_t *f)
{
	pb2b_fork_t **pp;

	for(pp = &r->forks; *pp; pp = &(*pp)->next)
		if(*pp == f) {
			*pp = f->next;
			break;
		}
	fork_free(f);
}

void pb2b_fork_free_all(pb2b_rec_t *r)
{
	pb2b_fork_t *f, *next;

	for(f = r->forks; f; f = next) {
		next = f->next;
		fork_free(f);
	}
	r->forks = NULL;
}

void pb2b_fork_end_all(pb2b_rec_t *r)
{
	pb2b_fork_t *f;

	for(f = r->forks; f; f = f->next)
		f->ending = 1;
}

pb2b_fork_t *pb2b_fork_find(const pb2b_rec_t *r, const lp_str_t *rtag)
{
	pb2b_fork_t *f;

	for(f = r->forks; f; f = f->next)
		if(lp_str_eq(&f->remote_tag, rtag))
			return f;
	return NULL;
}

/* --------------------------------------------------------------- timer */

static pb2b_send_t *fork_send(
		const pb2b_rec_t *r, pb2b_fork_t *f, int expires, unsigned int now)
{
	const lp_str_t *target =
			f->remote_target.len ? &f->remote_target : lp_qsub_record(r->sub);
	pb2b_dlg_ref_t d = {&f->local_tag, &f->remote_tag, target, &f->route_set, 1,
			f->cseq + 1};
	pb2b_send_t *s = pb2b_send_build(r, &d, expires);

	if(!s)
		return NULL; /* the next tick tries again */
	f->cseq = s->cseq;
	f->out_cseq = s->cseq;
	f->out_expires = expires;
	f->last_sent = now;
	f->n_sent++;
	return s;
}

/* What f needs now: a SUBSCRIBE into *out, or F_FREE when it is done. */
static int fork_tick(
		pb2b_rec_t *r, pb2b_fork_t *f, unsigned int now, pb2b_send_t **out)
{
	if(f->terminating)
		return now >= f->deadline ? F_FREE : F_KEEP;
	if(r->unsub || f->ending) {
		*out = fork_send(r, f, 0, now);
		if(*out) {
			f->terminating = 1;
			f->deadline = now + pb2b.cfg.wait_for_term_notify;
		}
		return F_KEEP;
	}
	if(now >= f->expires_at) /* not refreshed in time: gone */
		return F_FREE;
	if(f->out_cseq || now < f->next_send)
		return F_KEEP;
	*out = fork_send(r, f, pb2b_want_expires(r), now);
	return F_KEEP;
}

void pb2b_fork_tick(pb2b_rec_t *r, unsigned int now, pb2b_send_t **list)
{
	pb2b_fork_t **pp = &r->forks, *f;
	pb2b_send_t *s;

	while((f = *pp) != NULL) {
		s = NULL;
		if(fork_tick(r, f, now, &s) == F_FREE) {
			*pp = f->next;
			fork_free(f);
			continue;
		}
		if(s) {
			s->next = *list;
			*list = s;
		}
		pp = &f->next;
	}
}

/* --------------------------------------------------------------- replies */

static void set_expiry(pb2b_fork_t *f, int exp, unsigned int now)
{
	f->expires_at = now + (unsigned int)exp;
	f->next_send = pb2b_refresh_time(&pb2b.cfg, f->last_sent, f->expires_at);
}

/* The same rules as for the first dialog, except that a fork is never
 * started over: an error that leaves no valid subscription ends it. */
static int fork_error(
		pb2b_rec_t *r, pb2b_fork_t *f, const pb2b_reply_t *rp, unsigned int now)
{
	unsigned int when;

	if(rp->code == 423 && rp->min_expires > f->out_expires
			&& rp->min_expires <= PB2B_MAX_DELTA) {
		r->min_expires = rp->min_expires;
		f->next_send = now;
		return F_KEEP;
	}
	when = pb2b_retry_after_time(0, now, rp->retry_after);
	if(rp->code != 481 && rp->retry_after >= 0 && when < f->expires_at) {
		f->next_send = when;
		return F_KEEP;
	}
	return F_FREE;
}

void pb2b_fork_reply(
		pb2b_rec_t *r, pb2b_fork_t *f, const pb2b_reply_t *rp, unsigned int now)
{
	int exp = rp->expires >= 0 ? rp->expires : f->out_expires, act = F_KEEP;

	f->out_cseq = 0;
	if(f->terminating)
		act = rp->code >= 300 ? F_FREE : F_KEEP;
	else if(rp->code >= 300)
		act = fork_error(r, f, rp, now);
	else if(exp == 0)
		act = F_FREE; /* the notifier does not keep it */
	else {
		if(rp->contact.len)
			pb2b_set_str(&f->remote_target, &rp->contact);
		set_expiry(f, exp, now);
	}
	if(act == F_FREE)
		fork_drop(r, f);
}

/* --------------------------------------------------------------- notify */

int pb2b_fork_notify(pb2b_rec_t *r, pb2b_fork_t *f, const pb2b_notify_t *n,
		const pb2b_substate_t *ss, unsigned int now)
{
	int rc;

	f->remote_cseq = n->cseq;
	f->n_notify++;
	if(n->contact.len)
		pb2b_set_str(&f->remote_target, &n->contact);
	/* a branch that ends is not the end of the subscription: its
	 * termination is not passed on */
	if(ss->state == LP_QSTATE_TERMINATED) {
		fork_drop(r, f);
		return 0;
	}
	if(r->unsub || f->ending || f->terminating)
		return 0;
	rc = pb2b_put_status(r, n, ss);
	if(ss->expires > 0 && !f->out_cseq)
		set_expiry(f, ss->expires, now);
	return rc;
}

/* May n make a new fork of r? Only a NOTIFY to the tag of the first
 * dialog, once that dialog has its remote tag, while subscribed. */
static int may_fork(const pb2b_rec_t *r, const pb2b_notify_t *n)
{
	if(r->unsub || n->from_tag.len <= 0 || r->remote_tag.len <= 0)
		return 0;
	if(r->state != PB2B_EARLY && r->state != PB2B_CONFIRMED)
		return 0;
	return lp_str_eq(&r->local_tag, &n->to_tag);
}

/* Over max_branches: one INFO line per record, debug lines after it. */
static void log_refused(pb2b_rec_t *r, const pb2b_notify_t *n)
{
	if(r->fork_refused) {
		LP_DBG("presence_b2b: NOTIFY of one more branch of %.*s refused",
				LP_STR_FMT(r->callid));
		return;
	}
	r->fork_refused = 1;
	LP_LOG_RATE(LP_LOG_REQ_PER_SEC, 1, LP_L_INFO,
			"presence_b2b: SUBSCRIBE %.*s forked to more than max_branches"
			" (%d) notifiers: NOTIFYs of the others are answered 481",
			LP_STR_FMT(r->callid), pb2b.cfg.max_branches);
}

static pb2b_fork_t *fork_new(
		pb2b_rec_t *r, const pb2b_notify_t *n, unsigned int now)
{
	pb2b_fork_t *f = lp_zalloc(sizeof(*f));

	if(!f)
		return NULL;
	if(pb2b_set_str(&f->remote_tag, &n->from_tag) < 0
			|| pb2b_set_str(&f->route_set, &n->record_route) < 0
			|| pb2b_set_str(&f->remote_target, &n->contact) < 0) {
		fork_free(f);
		return NULL;
	}
	memcpy(f->tag_buf, r->local_tag.s, r->local_tag.len);
	f->local_tag.s = f->tag_buf;
	f->local_tag.len = r->local_tag.len;
	/* the dialog starts at the CSeq of the SUBSCRIBE that forked */
	f->cseq = r->cseq;
	f->last_sent = r->last_sent;
	f->out_expires = r->out_expires;
	set_expiry(f, pb2b_want_expires(r), now);
	f->next = r->forks;
	r->forks = f;
	return f;
}

int pb2b_fork_notify_new(pb2b_rec_t *r, const pb2b_notify_t *n,
		const pb2b_substate_t *ss, unsigned int now)
{
	pb2b_fork_t *f;

	if(!may_fork(r, n))
		return -1;
	if(ss->state == LP_QSTATE_TERMINATED)
		return 1; /* a branch that ends at once: nothing to keep */
	if(pb2b_branches(r) >= pb2b.cfg.max_branches) {
		log_refused(r, n);
		return -1;
	}
	f = fork_new(r, n, now);
	if(!f) {
		LP_LOG_LIMITED(LP_L_ERR, "presence_b2b: no memory for a branch of %.*s",
				LP_STR_FMT(r->callid));
		return -4;
	}
	return pb2b_fork_notify(r, f, n, ss, now) < 0 ? -4 : 1;
}
