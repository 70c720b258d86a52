/* RPC commands of the pua module. pua.cleanup and pua.list are pua's own
 * (beyond Kamailio). pua.publish, pua.send_publish and pua.subscribe are,
 * in Kamailio, the pua_rpc module's: pua registers them only when no
 * module did (so Kamailio's pua_rpc loads beside our pua), with
 * pua_rpc's parameters, every one a string ('.' for none). pua.publish
 * answers after the final reply to the PUBLISH (SIP-ETag and Expires of a
 * 2xx, a fault with the code and reason of any other) where the transport
 * has delayed replies (jsonrpcs over HTTP, xmlrpc), and at once ("OK")
 * where it has not (kamcmd, where Kamailio's pua_rpc refuses). */
#include <stdlib.h>

#include "core/dprint.h"
#include "core/rpc.h"
#include "core/rpc_lookup.h"
#include "core/trim.h"
#include "core/ut.h"

#include "lp_kam.h"
#include "pua_kam.h"

const char *pua_rpc_cleanup_doc[] = {
	"Remove expired publications and subscriptions now", 0};
const char *pua_rpc_list_doc[] = {
	"List every publication and subscription pua holds", 0};
static const char *rpc_publish_doc[] = {
	"Publish and answer with the reply: <presentity_uri> <expires> <event>"
	" <content_type> <id> <etag> <outbound_proxy> <extra_headers> [<body>]"
	" ('.' for an empty value)", 0};
static const char *rpc_send_publish_doc[] = {
	"Publish without waiting for the reply: <presentity_uri> <expires>"
	" <event> <content_type> <id> <etag> <outbound_proxy> <extra_headers>"
	" [<body>]", 0};
static const char *rpc_subscribe_doc[] = {
	"Subscribe: <presentity_uri> <watcher_uri> <event> <expires>", 0};

void *pua_kam_pkg_malloc(size_t size)
{
	return pkg_malloc(size);
}

void pua_kam_pkg_free(void *ptr)
{
	if(ptr)
		pkg_free(ptr);
}

void pua_rpc_cleanup(rpc_t *rpc, void *ctx)
{
	int n = pua_cleanup();

	if(pua.cfg.db_url && pua.cfg.db_mode == PUA_DB_MEMORY)
		pua_db_save();
	rpc->rpl_printf(ctx, "OK %d", n);
}

/* '.' (and an empty string) mean "no value". */
static lp_str_t *opt(str *s, lp_str_t *box)
{
	if(s->len <= 0 || (s->len == 1 && s->s[0] == '.'))
		return NULL;
	box->s = s->s;
	box->len = s->len;
	return box;
}

static int rpc_event(rpc_t *rpc, void *ctx, str *name)
{
	lp_str_t n = {name->s, name->len};
	const pua_event_t *ev = pua_event_by_name(&n);

	if(!ev && name->len == 14 && strncasecmp(name->s, "presence;winfo", 14) == 0)
		ev = pua_event_get(PWINFO_EVENT);
	if(!ev) {
		rpc->fault(ctx, 400, "unknown event");
		return -1;
	}
	return ev->flag;
}

/* expires as pua_rpc takes it: a decimal string (an int from kamcmd is
 * converted by the '.' scan modifier). */
static int rpc_expires(rpc_t *rpc, void *ctx, str *s, int *expires)
{
	if(str2sint(s, expires) < 0) {
		rpc->fault(ctx, 400, "bad expires");
		return -1;
	}
	return 0;
}

typedef struct rpc_publ_args {
	str uri, expires, event, ctype, id, etag, proxy, extra, body;
	lp_str_t uri_b, etag_b, proxy_b, extra_b, body_b, ct_b, id_b;
} rpc_publ_args_t;

/* Scan pua_rpc's arguments into publ (strings stay in a). 0 / -1 (the
 * fault is sent). */
static int publ_scan(rpc_t *rpc, void *ctx, rpc_publ_args_t *a, publ_info_t *publ)
{
	int ev;

	memset(a, 0, sizeof(*a));
	if(rpc->scan(ctx, ".S.S.S.S.S.S.S.S", &a->uri, &a->expires, &a->event,
			   &a->ctype, &a->id, &a->etag, &a->proxy, &a->extra) < 8) {
		rpc->fault(ctx, 400, "usage: <presentity_uri> <expires> <event>"
							 " <content_type> <id> <etag> <outbound_proxy>"
							 " <extra_headers> [<body>]");
		return -1;
	}
	if(rpc->scan(ctx, "*.S", &a->body) < 1)
		a->body.s = NULL;
	memset(publ, 0, sizeof(*publ));
	if((ev = rpc_event(rpc, ctx, &a->event)) < 0
			|| rpc_expires(rpc, ctx, &a->expires, &publ->expires) < 0)
		return -1;
	publ->pres_uri = opt(&a->uri, &a->uri_b);
	publ->event = ev;
	if(opt(&a->ctype, &a->ct_b))
		publ->content_type = a->ct_b;
	if(opt(&a->id, &a->id_b))
		publ->id = a->id_b;
	publ->etag = opt(&a->etag, &a->etag_b);
	publ->outbound_proxy = opt(&a->proxy, &a->proxy_b);
	publ->extra_headers = opt(&a->extra, &a->extra_b);
	publ->body = a->body.s ? opt(&a->body, &a->body_b) : NULL;
	if(!publ->pres_uri) {
		rpc->fault(ctx, 400, "no presentity uri");
		return -1;
	}
	return 0;
}

static void rpc_send_publish(rpc_t *rpc, void *ctx)
{
	rpc_publ_args_t a;
	publ_info_t publ;

	if(publ_scan(rpc, ctx, &a, &publ) < 0)
		return;
	publ.source_flag = RPC_PUBLISH;
	if(pua_send_publish(&publ) < 0) {
		rpc->fault(ctx, 500, "publish failed (unknown publication, or send"
							 " error: see the log)");
		return;
	}
	rpc->rpl_printf(ctx, "OK");
}

static struct hdr_field *hdr_named(struct sip_msg *m, const char *name)
{
	struct hdr_field *h;
	int len = strlen(name);

	if(parse_headers(m, HDR_EOH_F, 0) < 0)
		return NULL;
	for(h = m->headers; h; h = h->next)
		if(h->name.len == len && strncasecmp(h->name.s, name, len) == 0)
			return h;
	return NULL;
}

static str hdr_value(struct sip_msg *m, const char *name)
{
	struct hdr_field *h = m ? hdr_named(m, name) : NULL;
	str v = STR_NULL;

	if(h) {
		v = h->body;
		trim(&v);
	}
	return v;
}

/* The delayed answer of pua.publish, as Kamailio's pua_rpc gives it: for
 * a 2xx {"SIP-ETag", "Expires"} of the reply; otherwise a fault with the
 * reply's code and reason (Kamailio's loses it: an empty struct). */
static int rpc_publish_done(ua_pres_t *h, struct sip_msg *reply)
{
	rpc_delayed_ctx_t *d = h->cb_param;
	pua_view_t *v = pua_view_of(h);
	str reason = str_init("Request Timeout"), etag, exp;
	int code = v && v->last_code ? v->last_code : 408;
	int expires = -1;
	void *st;

	if(!d)
		return 0;
	if(reply == FAKED_REPLY)
		reply = NULL;
	if(reply) {
		code = reply->first_line.u.reply.statuscode;
		reason = reply->first_line.u.reply.reason;
	} else if(code != 408) {
		reason = (str)str_init("Server Internal Error");
	}
	if(code < 200 || code >= 300) {
		d->rpc.fault(d->reply_ctx, code, "%.*s", reason.len, reason.s);
		d->rpc.delayed_ctx_close(d);
		return 0;
	}
	etag = hdr_value(reply, "SIP-ETag");
	exp = hdr_value(reply, "Expires");
	if(exp.len > 0 && str2sint(&exp, &expires) < 0)
		expires = -1;
	if(d->rpc.add(d->reply_ctx, "{", &st) >= 0) {
		if(etag.len > 0)
			d->rpc.struct_add(st, "S", "SIP-ETag", &etag);
		if(expires >= 0)
			d->rpc.struct_add(st, "d", "Expires", expires);
	}
	d->rpc.delayed_ctx_close(d);
	return 0;
}

static void rpc_publish(rpc_t *rpc, void *ctx)
{
	rpc_delayed_ctx_t *d = NULL;
	rpc_publ_args_t a;
	publ_info_t publ;
	int rc;

	if(rpc->capabilities && (rpc->capabilities(ctx) & RPC_DELAYED_REPLY))
		d = rpc->delayed_ctx_new(ctx);
	if(!d) { /* kamcmd: answered at once, as pua.send_publish */
		rpc_send_publish(rpc, ctx);
		return;
	}
	if(publ_scan(rpc, ctx, &a, &publ) < 0)
		goto fail;
	publ.source_flag = RPC_ASYN_PUBLISH;
	publ.cb_param = d;
	rc = pua_send_publish(&publ);
	if(rc == -3)
		return; /* the send failed: the callback has answered already */
	if(rc < 0) {
		rpc->fault(ctx, 500, "publish failed (unknown publication: see the"
							 " log)");
		goto fail;
	}
	return;
fail:
	rpc->delayed_ctx_close(d);
}

static void rpc_subscribe(rpc_t *rpc, void *ctx)
{
	str uri, watcher, event, exp;
	lp_str_t u, w, c;
	char cbuf[256];
	subs_info_t s;
	int expires, ev;

	if(rpc->scan(ctx, ".S.S.S.S", &uri, &watcher, &event, &exp) < 4) {
		rpc->fault(ctx, 400, "usage: <presentity_uri> <watcher_uri> <event>"
							 " <expires>");
		return;
	}
	if((ev = rpc_event(rpc, ctx, &event)) < 0
			|| rpc_expires(rpc, ctx, &exp, &expires) < 0)
		return;
	u = (lp_str_t){uri.s, uri.len};
	w = (lp_str_t){watcher.s, watcher.len};
	c.s = cbuf;
	c.len = pua_kam_local_contact(&w, cbuf, sizeof(cbuf));
	if(c.len < 0) {
		rpc->fault(ctx, 400, "bad watcher uri");
		return;
	}
	memset(&s, 0, sizeof(s));
	s.pres_uri = &u;
	s.watcher_uri = &w;
	s.contact = &c;
	s.event = ev;
	s.expires = expires;
	s.source_flag = RPC_SUBSCRIBE;
	if(pua_send_subscribe(&s) < 0) {
		rpc->fault(ctx, 500, "subscribe failed (unknown subscription, or"
							 " send error: see the log)");
		return;
	}
	rpc->rpl_printf(ctx, "OK");
}

static rpc_export_t compat_cmds[] = {
	{"pua.publish", rpc_publish, rpc_publish_doc, 0},
	{"pua.send_publish", rpc_send_publish, rpc_send_publish_doc, 0},
	{"pua.subscribe", rpc_subscribe, rpc_subscribe_doc, 0},
	{0, 0, 0, 0}
};

int pua_rpc_kam_register(void)
{
	rpc_export_t *c;
	int mine = 0;

	for(c = compat_cmds; c->name; c++) {
		if(rpc_lookup(c->name, strlen(c->name))) {
			LM_INFO("%s is another module's (pua_rpc): not registered by"
					" pua\n", c->name);
			continue;
		}
		if(rpc_register(c) < 0) {
			LM_ERR("cannot register RPC %s\n", c->name);
			return -1;
		}
		mine++;
	}
	if(mine && pua_register_cb(RPC_ASYN_PUBLISH, rpc_publish_done, NULL) < 0)
		return -1;
	return 0;
}

/* ---- pua.list ---- */

static const char *req_state(int kind)
{
	static const char *names[] = {"idle", "initial", "refresh", "modify",
			"remove"};

	return kind >= 0 && kind <= PUA_RK_REMOVE ? names[kind] : "?";
}

static const char *subs_state(int s)
{
	static const char *names[] = {"none", "pending", "active", "terminated"};

	return s >= 0 && s <= PUA_SUBS_TERMINATED ? names[s] : "?";
}

static str ks(const lp_str_t *s)
{
	str r = {s->s ? s->s : "", s->s ? s->len : 0};
	return r;
}

static int event_name(int flag, str *out)
{
	const pua_event_t *ev = pua_event_get(flag);

	*out = ev ? ks(&ev->name) : (str)str_init("?");
	return 0;
}

static void list_rec(rpc_t *rpc, void *ctx, const pua_rec_t *r, unsigned int t)
{
	void *h;
	str ev, a, b, c, d, e;
	int left = r->expires > t ? (int)(r->expires - t) : 0;
	int want = r->desired_expires > t ? (int)(r->desired_expires - t) : 0;

	if(rpc->add(ctx, "{", &h) < 0)
		return;
	event_name(r->event, &ev);
	a = ks(&r->pres_uri);
	b = ks(&r->id);
	rpc->struct_add(h, "sSSSdddsddd", "type",
			r->kind == PUA_PUBL ? "publish" : "subscribe", "pres_uri", &a,
			"id", &b, "event", &ev, "expires", left, "desired", want,
			"last_code", r->last_code, "pending", req_state(r->req_kind),
			"queued", r->queued, "sent", (int)r->req_no, "failed_refreshes",
			r->fails);
	if(r->kind == PUA_PUBL) {
		c = ks(&r->etag);
		d = ks(&r->tuple_id);
		rpc->struct_add(h, "SdS", "etag", &c, "version", r->version,
				"tuple_id", &d);
		return;
	}
	a = ks(&r->watcher_uri);
	b = ks(&r->call_id);
	c = ks(&r->from_tag);
	d = ks(&r->to_tag);
	e = ks(&r->remote_contact);
	rpc->struct_add(h, "SSSSdSsd", "watcher", &a, "call_id", &b, "from_tag", &c,
			"to_tag", &d, "cseq", (int)r->cseq, "remote_target", &e, "state",
			subs_state(r->subs_state), "notifies", r->notifies);
}

void pua_rpc_list(rpc_t *rpc, void *ctx)
{
	unsigned int slot, t = pua.now();
	lp_hentry_t *e;

	for(slot = 0; slot < pua.table->size; slot++) {
		pua_lock(slot);
		for(e = pua.table->buckets[slot].first; e; e = e->next)
			list_rec(rpc, ctx, (const pua_rec_t *)e, t);
		pua_unlock(slot);
	}
}
