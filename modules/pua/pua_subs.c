/* Subscriptions (RFC 6665): the SUBSCRIBE dialog pua keeps for a watcher
 * (Call-ID, our tag, the server's tag, CSeq, route set, remote target),
 * its refreshes and end, and the NOTIFYs that arrive in it, the first of
 * which may come before the 2xx. A 481 or a terminating NOTIFY ends the
 * dialog and tells the owner's callbacks. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "lp_log.h"
#include "pua_logic.h"

#define PUA_MAX_RETRIES 2

static unsigned int now(void)
{
	return pua.now();
}

static void rec_drop(pua_rec_t *r)
{
	pua_db_removed(r);
	pua_rec_unlink(r);
	pua_rec_free(r);
}

static int fill_new(pua_rec_t *r, const subs_info_t *s)
{
	char cid[96], tag[64];
	lp_str_t c = {cid, 0}, t = {tag, 0};

	c.len = pua_new_token(cid, sizeof(cid), "pua.");
	t.len = pua_new_token(tag, sizeof(tag), "");
	r->event = s->event;
	r->source_flag = s->source_flag;
	r->cb_param = s->cb_param;
	if(c.len < 0 || t.len < 0 || pua_rec_set(&r->id, &s->id) < 0
			|| pua_rec_set(&r->watcher_uri, s->watcher_uri) < 0
			|| pua_rec_set(&r->contact, s->contact) < 0
			|| pua_rec_set(&r->remote_contact, s->remote_target) < 0
			|| pua_rec_set(&r->outbound_proxy, s->outbound_proxy) < 0
			|| pua_rec_set(&r->extra_headers, s->extra_headers) < 0
			|| pua_rec_set(&r->call_id, &c) < 0
			|| pua_rec_set(&r->from_tag, &t) < 0)
		return -1;
	return 0;
}

/* A new subscription (lock held): linked, its initial SUBSCRIBE built. */
static pua_req_t *subs_create(subs_info_t *s, int expires, int *err)
{
	pua_rec_t *r;
	pua_req_t *q;

	if((s->flag & UPDATE_TYPE) || expires == 0 || !s->contact
			|| s->contact->len <= 0) {
		*err = -1;
		return NULL;
	}
	r = pua_rec_new(PUA_SUBS, s->pres_uri);
	if(!r || fill_new(r, s) < 0) {
		pua_rec_free(r);
		*err = -2;
		return NULL;
	}
	r->desired_expires = now() + (unsigned int)expires;
	q = pua_req_subscribe(r, expires);
	if(!q) {
		pua_rec_free(r);
		*err = -2;
		return NULL;
	}
	pua_rec_link(r);
	return q;
}

/* An existing subscription (lock held): refresh, or end with Expires 0.
 * While a SUBSCRIBE is outstanding only the wish is recorded. */
static pua_req_t *subs_update(pua_rec_t *r, subs_info_t *s, int expires, int *err)
{
	r->cb_param = s->cb_param;
	if(expires == 0) {
		r->desired_expires = now();
		if(r->req_kind != PUA_RK_NONE) {
			r->unsub_pending = 1;
			return NULL;
		}
		return pua_req_subscribe(r, 0);
	}
	r->desired_expires = now() + (unsigned int)expires;
	r->unsub_pending = 0;
	if(r->req_kind != PUA_RK_NONE)
		return NULL;
	return pua_req_subscribe(r, expires);
}

int pua_send_subscribe(subs_info_t *s)
{
	pua_rec_t *r, *row = NULL;
	pua_req_t *q = NULL;
	unsigned int slot;
	int expires, err = 0;

	if(!s || !s->pres_uri || s->pres_uri->len <= 0 || !s->watcher_uri
			|| s->watcher_uri->len <= 0 || !pua_event_get(s->event)) {
		LP_ERR("send_subscribe: no presentity, no watcher or unknown event %d",
				s ? s->event : 0);
		return -1;
	}
	expires = pua_norm_expires(s->expires);
	if(pua.cfg.db_mode == PUA_DB_ONLY) /* read before the lock */
		row = pua_db_read(PUA_SUBS, s->pres_uri, &s->id, s->event, s->watcher_uri);
	slot = lp_htable_slot(pua.table, pua_hash(s->pres_uri));
	pua_lock(slot);
	r = pua_find_subs(s->pres_uri, s->watcher_uri, &s->id, s->event);
	if(r && r->req_kind == PUA_RK_NONE)
		pua_rec_adopt(r, row); /* the dialog may have moved on elsewhere */
	if(!r && row) {
		r = row;
		row = NULL;
		pua_rec_link(r);
	}
	if(r)
		q = subs_update(r, s, expires, &err);
	else
		q = subs_create(s, expires, &err);
	pua_unlock(slot);
	pua_rec_free(row);
	if(err < 0)
		LP_ERR("send_subscribe to %.*s for %.*s failed (%d)",
				LP_STR_FMT(*s->pres_uri), LP_STR_FMT(*s->watcher_uri), err);
	if(q && pua_req_send(q) < 0)
		return -3;
	return err;
}

/* The route set of the dialog-creating 2xx: its Record-Route reversed. */
static void set_route_from_reply(pua_rec_t *r, const lp_str_t *rr)
{
	char buf[2048];
	lp_str_t rs = {buf, 0};

	if(!rr || rr->len <= 0 || r->record_route.len > 0)
		return;
	rs.len = pua_rr_reverse(rr, buf, sizeof(buf));
	if(rs.len > 0)
		pua_rec_set(&r->record_route, &rs);
}

/* The end asked for while a request was out, now that the dialog is
 * idle (lock held): the un-SUBSCRIBE, or NULL. */
static pua_req_t *unsub_if_pending(pua_rec_t *r)
{
	if(!r->unsub_pending)
		return NULL;
	r->unsub_pending = 0;
	return pua_req_subscribe(r, 0);
}

/* 2xx (lock held). */
static pua_req_t *subs_ok(pua_rec_t *r, int kind, const pua_reply_t *rep, int *gone)
{
	if(kind == PUA_RK_REMOVE) {
		*gone = 1;
		return NULL;
	}
	if(r->to_tag.len == 0 && rep->to_tag.len > 0) {
		pua_rec_set(&r->to_tag, &rep->to_tag);
		set_route_from_reply(r, &rep->record_route);
	}
	if(rep->contact.len > 0) /* a 2xx to SUBSCRIBE refreshes the target */
		pua_rec_set(&r->remote_contact, &rep->contact);
	r->granted = rep->expires >= 0 ? (unsigned int)rep->expires
								   : (unsigned int)r->req_expires;
	r->expires = now() + r->granted;
	r->retries = 0;
	pua_refresh_ok(r);
	pua_db_changed(r);
	return unsub_if_pending(r);
}

static pua_req_t *subs_error(pua_rec_t *r, int kind, const pua_reply_t *rep, int *gone)
{
	*gone = 1;
	if(kind != PUA_RK_REMOVE && rep->code == 423
			&& rep->min_expires > r->req_expires
			&& r->retries < PUA_MAX_RETRIES) {
		r->retries++;
		*gone = 0;
		if(r->desired_expires < now() + (unsigned int)rep->min_expires)
			r->desired_expires = now() + (unsigned int)rep->min_expires;
		return pua_req_subscribe(r, rep->min_expires);
	}
	return NULL;
}

void pua_subs_reply(const pua_reply_t *rep)
{
	pua_rec_t *r;
	pua_req_t *q = NULL;
	pua_view_t *v;
	unsigned int slot = lp_htable_slot(pua.table, pua_hash(&rep->pres_uri));
	int kind, gone = 0, kept = 0;

	pua_lock(slot);
	r = pua_find_serial(&rep->pres_uri, rep->serial);
	if(!r || r->req_no != rep->req_no || r->req_kind == PUA_RK_NONE) {
		pua_unlock(slot);
		return;
	}
	kind = r->req_kind;
	r->req_kind = PUA_RK_NONE;
	r->last_code = rep->code;
	if(rep->code >= 200 && rep->code < 300)
		q = subs_ok(r, kind, rep, &gone);
	else if((kept = pua_refresh_failed(r, kind, rep)) != 0)
		q = unsub_if_pending(r);
	else
		q = subs_error(r, kind, rep, &gone);
	if(!q && !gone && !kept && rep->code >= 300)
		gone = 1;
	if(gone)
		r->subs_state = PUA_SUBS_TERMINATED;
	v = pua_cb_view(r);
	if(gone)
		rec_drop(r);
	pua_unlock(slot);
	pua_run_callbacks_view(v, rep->msg);
	if(q)
		pua_req_send(q);
}

/* Subscription-State: "active;expires=60", "terminated;reason=timeout". */
int pua_parse_subs_state(const lp_str_t *v, int *expires)
{
	static const struct {
		const char *name;
		int state;
	} states[] = {{"active", PUA_SUBS_ACTIVE}, {"pending", PUA_SUBS_PENDING},
			{"terminated", PUA_SUBS_TERMINATED}};
	lp_str_t s = *v, name;
	char *semi, *e;
	unsigned int i;

	*expires = -1;
	lp_str_trim(&s);
	if(s.len <= 0)
		return -1;
	semi = memchr(s.s, ';', s.len);
	name.s = s.s;
	name.len = semi ? (int)(semi - s.s) : s.len;
	lp_str_trim(&name);
	e = semi ? memmem(semi, s.s + s.len - semi, "expires=", 8) : NULL;
	if(e) {
		*expires = 0;
		for(e += 8; e < s.s + s.len && *e >= '0' && *e <= '9'; e++)
			if(*expires < 100000000)
				*expires = *expires * 10 + (*e - '0');
	}
	for(i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		lp_str_t n = lp_str_c(states[i].name);
		if(lp_str_caseeq(&name, &n))
			return states[i].state;
	}
	return -1;
}

/* The first NOTIFY of a dialog whose 2xx has not come yet confirms it:
 * the server's tag, target and route set (in the order received: we are
 * the UAS of the NOTIFY) come from it. */
static void confirm_from_notify(pua_rec_t *r, const pua_notify_t *n)
{
	pua_rec_set(&r->to_tag, &n->from_tag);
	if(n->contact.len > 0)
		pua_rec_set(&r->remote_contact, &n->contact);
	if(n->record_route.len > 0)
		pua_rec_set(&r->record_route, &n->record_route);
}

/* The subscription of a dialog, returned with the lock of its bucket held
 * (*slot; held even when NULL is returned): looked up in the bucket of
 * pres_uri; in db_mode 2 a dialog this instance does not hold is read from
 * the DB without any lock, then linked into the bucket of the row's own
 * presentity, whose lock is taken for it (a NOTIFY's From may name the
 * presentity differently from the row). */
static pua_rec_t *dialog_locked(const lp_str_t *pres_uri, const lp_str_t *call_id,
		const lp_str_t *our_tag, const lp_str_t *their_tag,
		const lp_str_t *contact, unsigned int *slot)
{
	pua_rec_t *r, *row;

	*slot = lp_htable_slot(pua.table, pua_hash(pres_uri));
	pua_lock(*slot);
	r = pua_find_dialog(pres_uri, call_id, our_tag, their_tag, contact);
	if(r || pua.cfg.db_mode != PUA_DB_ONLY)
		return r;
	pua_unlock(*slot);
	row = pua_db_read_dialog(call_id, our_tag);
	if(row && row->kind != PUA_SUBS) {
		pua_rec_free(row);
		row = NULL;
	}
	*slot = lp_htable_slot(pua.table, row ? row->h.hash : pua_hash(pres_uri));
	pua_lock(*slot);
	if(!row)
		return NULL;
	/* another process may have linked it meanwhile */
	r = pua_find_dialog(&row->pres_uri, call_id, our_tag, their_tag, NULL);
	if(r) {
		pua_rec_free(row);
		return r;
	}
	pua_rec_link(row);
	return row;
}

static pua_rec_t *notify_dialog(const pua_notify_t *n, int check_contact,
		unsigned int *slot)
{
	return dialog_locked(&n->pres_uri, &n->call_id, &n->to_tag, &n->from_tag,
			check_contact && n->contact.len ? &n->contact : NULL, slot);
}

int pua_handle_notify(const pua_notify_t *n)
{
	pua_rec_t *r;
	pua_view_t *v;
	unsigned int slot;
	int state, expires, gone;

	r = notify_dialog(n, pua.cfg.check_remote_contact, &slot);
	if(!r) {
		pua_unlock(slot);
		return 481;
	}
	if(r->to_tag.len == 0)
		confirm_from_notify(r, n);
	r->notifies++;
	state = pua_parse_subs_state(&n->subs_state, &expires);
	if(state > 0)
		r->subs_state = state;
	if(expires > 0 && state != PUA_SUBS_TERMINATED) {
		r->expires = now() + (unsigned int)expires;
		if(r->granted == 0 || (unsigned int)expires < r->granted)
			r->granted = (unsigned int)expires;
	}
	gone = state == PUA_SUBS_TERMINATED;
	if(!gone)
		pua_db_changed(r);
	v = pua_cb_view(r);
	if(v)
		v->last_code = 0; /* a NOTIFY, not a reply */
	if(gone)
		rec_drop(r);
	pua_unlock(slot);
	pua_run_callbacks_view(v, n->msg);
	return 200;
}

int pua_update_contact(const pua_notify_t *n)
{
	pua_rec_t *r;
	unsigned int slot;
	int rc = -1;

	if(n->contact.len <= 0)
		return -1;
	r = notify_dialog(n, 0, &slot); /* its contact is what changes */
	if(r && pua_rec_set(&r->remote_contact, &n->contact) == 0) {
		pua_db_changed(r);
		rc = 0;
	}
	pua_unlock(slot);
	return rc;
}

/* The subscription a caller's ua_pres_t names, with the lock of its bucket
 * held (*slot, as dialog_locked). Only fields of Kamailio's layout are
 * read. */
static pua_rec_t *api_dialog(ua_pres_t *p, unsigned int *slot)
{
	const lp_str_t *contact = NULL;

	if(pua.cfg.check_remote_contact && p->remote_contact.s
			&& p->remote_contact.len > 0)
		contact = &p->remote_contact;
	return dialog_locked(p->pres_uri, &p->call_id, &p->from_tag, &p->to_tag,
			contact, slot);
}

static int api_dialog_ok(const ua_pres_t *p)
{
	return p && p->pres_uri && p->pres_uri->s && p->pres_uri->len > 0
		   && p->call_id.s && p->call_id.len > 0 && p->from_tag.s
		   && p->from_tag.len > 0;
}

int pua_is_dialog(ua_pres_t *p)
{
	pua_rec_t *r;
	unsigned int slot;

	if(!api_dialog_ok(p))
		return -1;
	r = api_dialog(p, &slot);
	pua_unlock(slot);
	return r ? 0 : -1;
}

static void *foreign_alloc(size_t size)
{
	return pua.foreign_alloc ? pua.foreign_alloc(size) : malloc(size);
}

static void foreign_free(void *ptr)
{
	if(pua.foreign_free)
		pua.foreign_free(ptr);
	else
		free(ptr);
}

/* A foreign_alloc copy of v: the lp_str_t and its NUL-terminated text,
 * two blocks. */
static lp_str_t *foreign_str(const lp_str_t *v)
{
	lp_str_t *d = foreign_alloc(sizeof(*d));

	if(!d)
		return NULL;
	d->s = foreign_alloc(v->len + 1);
	if(!d->s) {
		foreign_free(d);
		return NULL;
	}
	if(v->len)
		memcpy(d->s, v->s, v->len);
	d->s[v->len] = '\0';
	d->len = v->len;
	return d;
}

int pua_get_record_id(ua_pres_t *p, lp_str_t **rec_id)
{
	pua_rec_t *r;
	unsigned int slot;
	int rc = 0;

	if(!rec_id)
		return -1;
	*rec_id = NULL;
	if(!api_dialog_ok(p))
		return -1;
	r = api_dialog(p, &slot);
	if(r) {
		*rec_id = foreign_str(&r->id);
		if(!*rec_id)
			rc = -1;
	}
	pua_unlock(slot);
	return rc;
}

/* Insert a copy of v into the list, kept in byte order as rls keeps
 * its lists, unless it is there already. */
static int list_add_sorted(list_entry_t **list, const lp_str_t *v)
{
	list_entry_t **pp, *e;
	int c = 1;

	for(pp = list; *pp; pp = &(*pp)->next) {
		const lp_str_t *o = (*pp)->strng;
		int n = o->len < v->len ? o->len : v->len;
		c = memcmp(o->s, v->s, n);
		if(c == 0)
			c = o->len - v->len;
		if(c >= 0)
			break;
	}
	if(*pp && c == 0)
		return 0;
	e = foreign_alloc(sizeof(*e));
	if(!e)
		return -1;
	e->strng = foreign_str(v);
	if(!e->strng) {
		foreign_free(e);
		return -1;
	}
	e->next = *pp;
	*pp = e;
	return 0;
}

static void list_drop(list_entry_t *l)
{
	list_entry_t *n;

	for(; l; l = n) {
		n = l->next;
		foreign_free(l->strng->s);
		foreign_free(l->strng);
		foreign_free(l);
	}
}

list_entry_t *pua_get_subs_list(lp_str_t *did)
{
	list_entry_t *list = NULL;
	unsigned int slot;
	lp_hentry_t *e;
	int failed = 0;

	if(!did || !did->s || did->len <= 0 || !pua.table)
		return NULL;
	for(slot = 0; slot < pua.table->size && !failed; slot++) {
		pua_lock(slot);
		for(e = pua.table->buckets[slot].first; e && !failed; e = e->next) {
			const pua_rec_t *r = (const pua_rec_t *)e;
			if(r->kind == PUA_SUBS && lp_str_eq(&r->id, did)
					&& list_add_sorted(&list, &r->pres_uri) < 0)
				failed = 1;
		}
		pua_unlock(slot);
	}
	if(failed) {
		LP_ERR("get_subs_list: out of memory");
		list_drop(list);
		return NULL;
	}
	return list;
}

void pua_on_reply(const pua_reply_t *rep)
{
	unsigned int slot = lp_htable_slot(pua.table, pua_hash(&rep->pres_uri));
	pua_rec_t *r;
	int kind = 0;

	pua_lock(slot);
	r = pua_find_serial(&rep->pres_uri, rep->serial);
	if(r)
		kind = r->kind;
	pua_unlock(slot);
	if(kind == PUA_PUBL)
		pua_publ_reply(rep);
	else if(kind == PUA_SUBS)
		pua_subs_reply(rep);
}
