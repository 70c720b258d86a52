/* pua module: Kamailio exports (parameters, script functions, RPC,
 * bind_pua), start-up, shutdown and the timers. The work itself is in the
 * host-neutral pua_*.c files; pua_kam.c adapts tm and SIP messages. */
#include <stdlib.h>
#include <time.h>

#include "core/dprint.h"
#include "core/rpc.h"
#include "core/rpc_lookup.h"
#include "core/sr_module.h"
#include "core/timer.h"
#include "core/ut.h"

#include "lp_kam.h"
#include "pua_kam.h"

MODULE_VERSION

static int mod_init(void);
static int child_init(int rank);
static void mod_destroy(void);
static int w_pua_update_contact(struct sip_msg *msg, char *p1, char *p2);
static int w_pua_handle_notify(struct sip_msg *msg, char *p1, char *p2);
static int bind_pua(pua_api_t *api);

static str db_url_p = STR_NULL;
static str outbound_proxy_p = STR_NULL;

static cmd_export_t cmds[] = {
	{"pua_update_contact", (cmd_function)w_pua_update_contact, 0, 0, 0,
			REQUEST_ROUTE},
	{"pua_handle_notify", (cmd_function)w_pua_handle_notify, 0, 0, 0,
			REQUEST_ROUTE},
	{"bind_pua", (cmd_function)bind_pua, 1, 0, 0, 0},
	{0, 0, 0, 0, 0, 0}
};

static param_export_t params[] = {
	{"hash_size", INT_PARAM, &pua.cfg.hash_size},
	{"db_url", PARAM_STR, &db_url_p},
	{"db_table", PARAM_STRING, &pua.cfg.db_table},
	{"min_expires", INT_PARAM, &pua.cfg.min_expires},
	{"default_expires", INT_PARAM, &pua.cfg.default_expires},
	{"update_period", INT_PARAM, &pua.cfg.update_period},
	{"outbound_proxy", PARAM_STR, &outbound_proxy_p},
	{"dlginfo_increase_version", INT_PARAM, &pua.cfg.dlginfo_increase_version},
	{"reginfo_increase_version", INT_PARAM, &pua.cfg.reginfo_increase_version},
	{"db_mode", INT_PARAM, &pua.cfg.db_mode},
	{"db_table_lock_write", INT_PARAM, &pua.cfg.db_table_lock_write},
	{"check_remote_contact", INT_PARAM, &pua.cfg.check_remote_contact},
	{"fetch_rows", INT_PARAM, &pua.cfg.fetch_rows},
	{0, 0, 0}
};

static void rpc_cleanup(rpc_t *rpc, void *ctx);
static void rpc_publish(rpc_t *rpc, void *ctx);
static void rpc_subscribe(rpc_t *rpc, void *ctx);
static void rpc_list(rpc_t *rpc, void *ctx);

static const char *rpc_cleanup_doc[] = {
	"Remove expired publications and subscriptions now", 0};
static const char *rpc_publish_doc[] = {
	"Publish: <presentity_uri> <expires> <event> <content_type> <id> <etag>"
	" <outbound_proxy> <extra_headers> [<body>] ('.' for an empty value)", 0};
static const char *rpc_subscribe_doc[] = {
	"Subscribe: <presentity_uri> <watcher_uri> <event> <expires>", 0};
static const char *rpc_list_doc[] = {
	"List every publication and subscription pua holds", 0};

static rpc_export_t rpc_cmds[] = {
	{"pua.cleanup", rpc_cleanup, rpc_cleanup_doc, 0},
	{"pua.publish", rpc_publish, rpc_publish_doc, 0},
	{"pua.subscribe", rpc_subscribe, rpc_subscribe_doc, 0},
	{"pua.list", rpc_list, rpc_list_doc, RET_ARRAY},
	{0, 0, 0, 0}
};

struct module_exports exports = {
	"pua",			 /* module name */
	DEFAULT_DLFLAGS, /* dlopen flags */
	cmds,			 /* script functions */
	params,			 /* parameters */
	rpc_cmds,		 /* RPC commands */
	0,				 /* pseudo-variables */
	0,				 /* response handler */
	mod_init,		 /* module init */
	child_init,		 /* per-child init */
	mod_destroy		 /* destroy */
};

static void refresh_timer(unsigned int ticks, void *param)
{
	pua_timer_refresh();
}

/* update_period: drop what expired, and (db_mode 0) save what changed. */
static void update_timer(unsigned int ticks, void *param)
{
	pua_cleanup();
	if(pua.cfg.db_url && pua.cfg.db_mode == PUA_DB_MEMORY)
		pua_db_save();
}

/* The events pua knows by itself (the seed's list, plus "dialog" for
 * dlginfo_increase_version); modules may add more or re-register these. */
static int add_own_events(void)
{
	return pua_add_event(PRESENCE_EVENT, "presence", "application/pidf+xml", NULL)
				   | pua_add_event(PWINFO_EVENT, "presence.winfo", NULL, NULL)
				   | pua_add_event(MSGSUM_EVENT, "message-summary",
						   "application/simple-message-summary", NULL)
				   | pua_add_event(BLA_EVENT, "dialog;sla",
						   "application/dialog-info+xml", NULL)
				   | pua_add_event(DIALOG_EVENT, "dialog",
						   "application/dialog-info+xml", NULL)
				   | pua_add_event(REGINFO_EVENT, "reg",
						   "application/reginfo+xml", NULL);
}

static int init_db(void)
{
	int n;

	if(pua_db_init() < 0 || pua_db_check() < 0)
		return -1;
	n = pua_db_load();
	if(n < 0)
		return -1;
	LM_INFO("%d pua records loaded from %s\n", n, pua.cfg.db_table);
	/* each process opens its own connection */
	lp_db_close(pua.db);
	pua.db = NULL;
	return 0;
}

static int check_cfg(void)
{
	if(pua.cfg.db_mode != PUA_DB_MEMORY && pua.cfg.db_mode != PUA_DB_ONLY) {
		LM_ERR("db_mode must be 0 (memory) or 2 (DB only); 1 is reserved\n");
		return -1;
	}
	if(pua.cfg.db_mode == PUA_DB_ONLY && !pua.cfg.db_url) {
		LM_ERR("db_mode 2 needs db_url\n");
		return -1;
	}
	if(pua.cfg.min_expires < 0 || pua.cfg.default_expires <= 0) {
		LM_ERR("min_expires must be >= 0 and default_expires > 0\n");
		return -1;
	}
	return 0;
}

static int mod_init(void)
{
	lp_kam_install();
	pua.cfg.db_url = lp_kam_str_param(&db_url_p);
	pua.cfg.outbound_proxy = lp_kam_str_param(&outbound_proxy_p);
	pua.now = lp_kam_now;
	pua.send = pua_kam_send;
	if(check_cfg() < 0)
		return -1;
	if(load_tm_api(&pua_tmb) < 0) {
		LM_ERR("cannot bind tm (load tm before pua)\n");
		return -1;
	}
	if(sl_load_api(&pua_slb) < 0) {
		LM_ERR("cannot bind sl (load sl before pua)\n");
		return -1;
	}
	pua.table = lp_htable_new(pua.cfg.hash_size);
	if(!pua.table || add_own_events() != 0) {
		LM_ERR("out of shared memory\n");
		return -1;
	}
	if(pua.cfg.db_url && init_db() < 0)
		return -1;
	if(!pua.cfg.db_url)
		LM_INFO("no db_url: records are kept in memory only\n");
	register_timer(refresh_timer, 0, 1);
	if(pua.cfg.update_period > 0)
		register_timer(update_timer, 0, pua.cfg.update_period);
	return 0;
}

static int child_init(int rank)
{
	return 0; /* DB connections are opened on first use, per process */
}

static void mod_destroy(void)
{
	if(pua.cfg.db_url && pua.table && pua.cfg.db_mode == PUA_DB_MEMORY) {
		int n = pua_db_save();
		if(n >= 0)
			LM_INFO("%d pua records saved at shutdown\n", n);
	}
	if(pua.db)
		lp_db_close(pua.db);
	pua.db = NULL;
}

static int w_pua_update_contact(struct sip_msg *msg, char *p1, char *p2)
{
	return pua_kam_update_contact(msg);
}

static int w_pua_handle_notify(struct sip_msg *msg, char *p1, char *p2)
{
	return pua_kam_handle_notify(msg);
}

/* ---- RPC ---- */

static void rpc_cleanup(rpc_t *rpc, void *ctx)
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

static void rpc_publish(rpc_t *rpc, void *ctx)
{
	str uri, event, ctype, id, etag, proxy, extra, body = STR_NULL;
	lp_str_t uri_b, etag_b, proxy_b, extra_b, body_b, ct_b, id_b;
	publ_info_t publ;
	int expires, ev;

	if(rpc->scan(ctx, "SdSSSSSS", &uri, &expires, &event, &ctype, &id, &etag,
			   &proxy, &extra) < 8) {
		rpc->fault(ctx, 400, "usage: <presentity_uri> <expires> <event>"
							 " <content_type> <id> <etag> <outbound_proxy>"
							 " <extra_headers> [<body>]");
		return;
	}
	if(rpc->scan(ctx, "*S", &body) < 1)
		body.s = NULL;
	if((ev = rpc_event(rpc, ctx, &event)) < 0)
		return;
	memset(&publ, 0, sizeof(publ));
	publ.pres_uri = opt(&uri, &uri_b);
	publ.expires = expires;
	publ.event = ev;
	if(opt(&ctype, &ct_b))
		publ.content_type = ct_b;
	if(opt(&id, &id_b))
		publ.id = id_b;
	publ.etag = opt(&etag, &etag_b);
	publ.outbound_proxy = opt(&proxy, &proxy_b);
	publ.extra_headers = opt(&extra, &extra_b);
	publ.body = body.s ? opt(&body, &body_b) : NULL;
	publ.source_flag = RPC_PUBLISH;
	if(!publ.pres_uri) {
		rpc->fault(ctx, 400, "no presentity uri");
		return;
	}
	if(pua_send_publish(&publ) < 0) {
		rpc->fault(ctx, 500, "publish failed (unknown publication, or send"
							 " error: see the log)");
		return;
	}
	rpc->rpl_printf(ctx, "OK");
}

static void rpc_subscribe(rpc_t *rpc, void *ctx)
{
	str uri, watcher, event;
	lp_str_t u, w, c;
	char cbuf[256];
	subs_info_t s;
	int expires, ev;

	if(rpc->scan(ctx, "SSSd", &uri, &watcher, &event, &expires) < 4) {
		rpc->fault(ctx, 400, "usage: <presentity_uri> <watcher_uri> <event>"
							 " <expires>");
		return;
	}
	if((ev = rpc_event(rpc, ctx, &event)) < 0)
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
	rpc->struct_add(h, "sSSSdddsdd", "type",
			r->kind == PUA_PUBL ? "publish" : "subscribe", "pres_uri", &a,
			"id", &b, "event", &ev, "expires", left, "desired", want,
			"last_code", r->last_code, "pending", req_state(r->req_kind),
			"queued", r->queued, "sent", (int)r->req_no);
	if(r->kind == PUA_PUBL) {
		c = ks(&r->etag);
		rpc->struct_add(h, "Sd", "etag", &c, "version", r->version);
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

static void rpc_list(rpc_t *rpc, void *ctx)
{
	unsigned int slot, t = pua.now();
	lp_hentry_t *e;

	for(slot = 0; slot < pua.table->size; slot++) {
		lp_htable_lock(pua.table, slot);
		for(e = pua.table->buckets[slot].first; e; e = e->next)
			list_rec(rpc, ctx, (const pua_rec_t *)e, t);
		lp_htable_unlock(pua.table, slot);
	}
}

/* ---- API ---- */

static int api_register_puacb(int types, pua_cb f, void *param)
{
	return pua_register_cb(types, f, param);
}

static int bind_pua(pua_api_t *api)
{
	if(!api) {
		LM_ERR("bind_pua: NULL api\n");
		return -1;
	}
	memset(api, 0, sizeof(*api));
	api->send_subscribe = pua_send_subscribe;
	api->send_publish = pua_send_publish;
	api->is_dialog = pua_is_dialog;
	api->register_puacb = api_register_puacb;
	api->add_event = pua_add_event;
	return 0;
}
