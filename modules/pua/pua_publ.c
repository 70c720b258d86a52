/* Publications (RFC 3903): the state machine that keeps one ETag per
 * publication and never uses it twice. A publication has at most one
 * PUBLISH outstanding; updates that arrive meanwhile wait in its queue and
 * the next one leaves, with the ETag of the reply, when the reply came.
 * 412 re-sends the current body as an initial PUBLISH, 423 retries with the
 * server's Min-Expires, any other error tells the callbacks and removes the
 * publication. */
#include <stdlib.h>
#include <string.h>

#include "lp_log.h"
#include "pua_logic.h"
#include "pua_stats.h"

#define PUA_MAX_RETRIES 2 /* 412/423 re-sends of one update */

static unsigned int now(void)
{
	return pua.now();
}

/* The body as sent: dialog-info / reginfo get their version attribute set
 * to the record's PUBLISH counter when the parameters ask for it. */
static int versioned_body(const pua_rec_t *r, const lp_str_t *body, lp_str_t *out)
{
	const char *root = NULL;

	if(r->event == DIALOG_EVENT && pua.cfg.dlginfo_increase_version)
		root = "dialog-info";
	else if(r->event == REGINFO_EVENT && pua.cfg.reginfo_increase_version)
		root = "reginfo";
	if(!root || !body || !body->s)
		return -1;
	/* RFC 4235 / RFC 3680: the first document is version 0 */
	return pua_xml_set_version(body, root, r->version - 1, out);
}

/* The request for `kind` (lock held); body is r->body for INITIAL and
 * MODIFY, none otherwise. NULL on failure. */
static pua_req_t *send_publ(pua_rec_t *r, int kind, int expires)
{
	const lp_str_t *body = NULL;
	lp_str_t v = LP_STR_NULL;
	pua_req_t *q;

	if(kind == PUA_RK_INITIAL || kind == PUA_RK_MODIFY) {
		body = &r->body;
		r->version++; /* documents sent: 1 for the first */
	}
	if(body && versioned_body(r, body, &v) == 0)
		body = &v;
	q = pua_req_publish(r, kind, expires, body);
	free(v.s);
	return q;
}

/* Apply one update to an idle publication (lock held): returns the request
 * to send, or NULL when there is nothing to send or it failed (*gone set
 * when the record should go). */
static pua_req_t *start_update(pua_rec_t *r, const pua_upd_t *u, int *gone)
{
	int kind;

	*gone = 0;
	r->cb_param = u->cb_param; /* for the callbacks of this update's reply */
	if((u->ctype.len && pua_rec_set(&r->content_type, &u->ctype) < 0)
			|| (u->extra.len && pua_rec_set(&r->extra_headers, &u->extra) < 0)
			|| (u->has_body && pua_rec_set(&r->body, &u->body) < 0))
		return NULL;
	r->retries = 0;
	if(u->expires == 0) {
		if(r->etag.len == 0) { /* nothing published yet: nothing to remove */
			*gone = 1;
			return NULL;
		}
		return send_publ(r, PUA_RK_REMOVE, 0);
	}
	r->desired_expires = now() + (unsigned int)u->expires;
	if(r->etag.len == 0)
		kind = PUA_RK_INITIAL;
	else
		kind = u->has_body ? PUA_RK_MODIFY : PUA_RK_REFRESH;
	if(kind == PUA_RK_INITIAL && !r->body.s) {
		*gone = 1; /* a refresh of a publication whose body is unknown */
		return NULL;
	}
	return send_publ(r, kind, u->expires);
}

static void rec_drop(pua_rec_t *r)
{
	pua_db_removed(r);
	pua_rec_unlink(r);
	pua_rec_free(r);
}

static int fill_new(pua_rec_t *r, const publ_info_t *publ)
{
	r->event = publ->event;
	r->source_flag = publ->source_flag;
	r->cb_param = publ->cb_param;
	if(pua_rec_set(&r->id, &publ->id) < 0
			|| pua_rec_set(&r->outbound_proxy, publ->outbound_proxy) < 0
			|| (publ->etag && pua_rec_set(&r->etag, publ->etag) < 0))
		return -1;
	return 0;
}

static void free_str(const pua_event_t *ev, lp_str_t *f)
{
	if(!f)
		return;
	if(ev && ev->foreign && pua.foreign_free) {
		pua.foreign_free(f->s);
		pua.foreign_free(f);
		return;
	}
	lp_free(f->s);
	lp_free(f);
}

/* The body as the event wants it sent (process_body), in *final when
 * rewritten (freed with free_str). The tuple id the processing invents
 * is stored in r, for the next bodies of the publication. */
static int process_body(publ_info_t *publ, pua_rec_t *r, lp_str_t **final)
{
	const pua_event_t *ev = pua_event_get(publ->event);
	lp_str_t *given = r->tuple_id.s ? &r->tuple_id : NULL, *tuple = given;
	int rc = 0;

	*final = NULL;
	if(!ev || !ev->process_body || !publ->body || !publ->body->s)
		return 0;
	if(ev->process_body(publ, final, r->version, &tuple) < 0) {
		LP_ERR("send_publish: the event's body processing failed for %.*s",
				LP_STR_FMT(*publ->pres_uri));
		free_str(ev, *final);
		*final = NULL;
		return -1;
	}
	if(tuple && tuple != given) {
		rc = pua_rec_set(&r->tuple_id, tuple);
		free_str(ev, tuple);
	}
	return rc;
}

/* The record of publ under the bucket lock: found (in memory, or row, the
 * DB's copy read before the lock in db_mode 2, which is then linked and
 * *row cleared) or created and linked. NULL with *err set otherwise. */
static pua_rec_t *publ_record(publ_info_t *publ, int expires, const lp_str_t *body,
		pua_rec_t **row, int *created, int *err)
{
	pua_rec_t *r = pua_find_publ(publ->pres_uri, &publ->id, publ->event);

	*created = 0;
	if(r && r->req_kind == PUA_RK_NONE)
		pua_rec_adopt(r, *row); /* another instance may have a new ETag */
	if(!r && *row) {
		r = *row;
		*row = NULL;
		pua_rec_link(r);
	}
	if(r)
		return r;
	/* not held: an UPDATE_TYPE request (an owner that outlived pua's
	   record) is stored anew, as an initial one */
	if(!body && !publ->etag) {
		*err = expires == 0 ? -1 : ERR_PUBLISH_NO_BODY;
		return NULL;
	}
	if(expires == 0 && !publ->etag) {
		*err = -1;
		return NULL;
	}
	r = pua_rec_new(PUA_PUBL, publ->pres_uri);
	if(!r || fill_new(r, publ) < 0) {
		pua_rec_free(r);
		*err = -2;
		return NULL;
	}
	pua_rec_link(r);
	*created = 1;
	return r;
}

/* The update publ asks for, before its body is processed. */
static void upd_of(const publ_info_t *publ, int expires, pua_upd_t *u)
{
	memset(u, 0, sizeof(*u));
	u->expires = expires;
	u->ctype = publ->content_type;
	if(publ->extra_headers)
		u->extra = *publ->extra_headers;
	u->cb_param = publ->cb_param;
}

int pua_send_publish(publ_info_t *publ)
{
	pua_upd_t u;
	pua_rec_t *r, *row = NULL;
	pua_req_t *q = NULL;
	lp_str_t *final = NULL;
	int expires, created, gone = 0, err = 0;
	unsigned int slot;

	if(!publ || !publ->pres_uri || publ->pres_uri->len <= 0
			|| !pua_event_get(publ->event)) {
		LP_ERR("send_publish: no presentity or unknown event %d",
				publ ? publ->event : 0);
		return -1;
	}
	expires = pua_norm_expires(publ->expires);
	upd_of(publ, expires, &u);
	if(pua.cfg.db_mode == PUA_DB_ONLY) /* read before the lock */
		row = pua_db_read(PUA_PUBL, publ->pres_uri, &publ->id, publ->event, NULL);
	slot = lp_htable_slot(pua.table, pua_hash(publ->pres_uri));
	pua_lock(slot);
	r = publ_record(publ, expires, publ->body, &row, &created, &err);
	if(!r)
		goto done;
	if(process_body(publ, r, &final) < 0) {
		err = -1;
		if(created)
			rec_drop(r);
		goto done;
	}
	if(publ->body && publ->body->s) {
		u.has_body = 1;
		u.body = final ? *final : *publ->body;
	}
	if(r->req_kind != PUA_RK_NONE) {
		/* a PUBLISH is outstanding: its reply carries the ETag to use */
		if(pua_queue_push(r, u.expires, u.has_body ? &u.body : NULL,
				   &u.ctype, &u.extra, u.cb_param) < 0)
			err = -2;
		goto done;
	}
	q = start_update(r, &u, &gone);
	if(!q && (gone || created)) {
		err = created ? -1 : 0;
		rec_drop(r);
	} else if(!q) {
		err = -2;
	}
done:
	pua_unlock(slot);
	pua_rec_free(row);
	free_str(pua_event_get(publ->event), final);
	if(err < 0)
		LP_ERR("send_publish for %.*s failed (%d)",
				LP_STR_FMT(*publ->pres_uri), err);
	if(q && pua_req_send(q) < 0)
		return -3;
	return err;
}

/* The next queued update of an idle publication after the reply to a
 * request of this kind (lock held): the request to send, or NULL (*gone
 * set when the publication ended). */
static pua_req_t *q_next(pua_rec_t *r, int kind, int *gone)
{
	pua_upd_t *u;
	pua_req_t *q = NULL;

	while(!q && (u = pua_queue_pop(r)) != NULL) {
		q = start_update(r, u, gone);
		lp_free(u);
		if(*gone)
			return NULL;
	}
	if(!q && kind == PUA_RK_REMOVE)
		*gone = 1;
	return q;
}

/* After a 2xx (lock held): the granted time, the new ETag, then the next
 * queued update if any. Returns the request to send or NULL. */
static pua_req_t *publ_ok(pua_rec_t *r, int kind, const pua_reply_t *rep, int *gone)
{
	*gone = 0;
	if(kind == PUA_RK_REMOVE) {
		pua_rec_set(&r->etag, NULL);
		r->expires = 0;
	} else {
		if(rep->etag.len > 0)
			pua_rec_set(&r->etag, &rep->etag);
		r->granted = rep->expires >= 0 ? (unsigned int)rep->expires
									   : (unsigned int)r->req_expires;
		r->expires = now() + r->granted;
		r->retries = 0;
		pua_refresh_ok(r);
		pua_db_changed(r);
	}
	return q_next(r, kind, gone);
}

/* After an error reply (lock held): 412 and 423 are recovered from when
 * possible; returns the re-send, or NULL with *gone set. */
static pua_req_t *publ_error(pua_rec_t *r, int kind, const pua_reply_t *rep, int *gone)
{
	*gone = 1;
	if(r->retries >= PUA_MAX_RETRIES)
		return NULL;
	if(rep->code == 412 && kind != PUA_RK_INITIAL) {
		if(kind == PUA_RK_REMOVE || !r->body.s)
			return NULL; /* gone at the server, or no body to re-publish */
		pua_rec_set(&r->etag, NULL);
		r->retries++;
		*gone = 0;
		pua_stat_inc(PUA_STAT_PUBLISH_412);
		LP_LOG_RATE(LP_LOG_REQ_PER_SEC, 1, LP_L_INFO,
				"412 for %.*s: publishing again as an initial PUBLISH",
				LP_STR_FMT(r->pres_uri));
		return send_publ(r, PUA_RK_INITIAL, r->req_expires);
	}
	if(rep->code == 423 && rep->min_expires > r->req_expires) {
		r->retries++;
		*gone = 0;
		if(r->desired_expires < now() + (unsigned int)rep->min_expires)
			r->desired_expires = now() + (unsigned int)rep->min_expires;
		return send_publ(r, kind, rep->min_expires);
	}
	return NULL;
}

/* The cb_params of the updates still queued on a publication that goes:
 * their owners hear the reply that ended it too (pua_rpc answers its
 * caller then). A malloc'd array (or NULL), *n its length. Lock held. */
static void **orphans(const pua_rec_t *r, int *n)
{
	const pua_upd_t *u;
	void **a;
	int k = 0;

	*n = 0;
	for(u = r->queue; u; u = u->next)
		k += u->cb_param != NULL;
	if(k == 0 || (a = malloc(k * sizeof(*a))) == NULL)
		return NULL;
	for(u = r->queue; u; u = u->next)
		if(u->cb_param)
			a[(*n)++] = u->cb_param;
	return a;
}

/* The callbacks for the answered request (cb_param), then for each
 * orphan; frees v and extra. */
static void run_callbacks(pua_view_t *v, struct sip_msg *msg, void *cb_param,
		void **extra, int n)
{
	int i;

	if(v) {
		v->p.cb_param = cb_param;
		pua_run_callbacks(v, msg);
		for(i = 0; i < n; i++) {
			v->p.cb_param = extra[i];
			pua_run_callbacks(v, msg);
		}
	}
	free(extra);
	free(v);
}

void pua_publ_reply(const pua_reply_t *rep)
{
	pua_rec_t *r;
	pua_req_t *q = NULL;
	pua_view_t *v = NULL;
	void *cb_param, **extra = NULL;
	unsigned int slot = lp_htable_slot(pua.table, pua_hash(&rep->pres_uri));
	int kind, gone = 0, nextra = 0, kept = 0;

	pua_lock(slot);
	r = pua_find_serial(&rep->pres_uri, rep->serial);
	if(!r || r->req_no != rep->req_no || r->req_kind == PUA_RK_NONE) {
		pua_unlock(slot);
		return; /* a reply to a request superseded or a record gone */
	}
	kind = r->req_kind;
	r->req_kind = PUA_RK_NONE;
	r->last_code = rep->code;
	cb_param = r->cb_param; /* a queued update may replace it below */
	if(rep->code >= 200 && rep->code < 300)
		q = publ_ok(r, kind, rep, &gone);
	else if((kept = pua_refresh_failed(r, kind, rep)) != 0)
		q = q_next(r, kind, &gone); /* a queued update goes now */
	else
		q = publ_error(r, kind, rep, &gone);
	if(!q && !gone && !kept && r->req_kind == PUA_RK_NONE && rep->code >= 300)
		gone = 1;
	/* the owner hears the outcome of its update once: not a 412 / 423
	   that pua answers with a re-send */
	if(!(q && rep->code >= 300))
		v = pua_cb_view(r);
	if(v && gone)
		extra = orphans(r, &nextra);
	if(gone)
		rec_drop(r);
	pua_unlock(slot);
	if(rep->code >= 300 && gone)
		LP_LOG_RATE(LP_LOG_REQ_PER_SEC, 1, LP_L_INFO,
				"publication of %.*s ended by reply %d", LP_STR_FMT(rep->pres_uri),
				rep->code);
	run_callbacks(v, rep->msg, cb_param, extra, nextra);
	if(q)
		pua_req_send(q);
}
