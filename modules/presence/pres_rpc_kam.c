/* RPC commands of the presence module, with Kamailio's names, argument
 * order and output fields: presence.cleanup, presence.refreshWatchers,
 * presence.updateWatchers, presence.presentity_list (5.6),
 * presence.presentity_show and presence.watcher_list (5.7). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/dprint.h"
#include "core/rpc.h"
#include "core/str.h"

#include "lp_kam.h"
#include "pres_pub.h"
#include "pres_rpc_kam.h"
#include "pres_subs.h"

static int library_mode(rpc_t *rpc, void *ctx)
{
	if(pres.cfg.db_url)
		return 0;
	rpc->fault(ctx, 500, "library mode (no db_url)");
	return 1;
}

static const char *rpc_cleanup_doc[] = {
		"Remove expired publications and subscriptions now", 0};

static void rpc_cleanup(rpc_t *rpc, void *ctx)
{
	if(library_mode(rpc, ctx))
		return;
	pres_clean_expired();
	rpc->rpl_printf(ctx, "OK");
}

static const char *rpc_refresh_doc[] = {
		"Send NOTIFYs to the watchers of a presentity: <presentity_uri> <event>"
		" <refresh_type> [<file_uri> <filename>] (0: authorization rules"
		" changed, 1: published state changed in the DB, 2: in the"
		" pidf-manipulation document)",
		0};

static void rpc_refresh_watchers(rpc_t *rpc, void *ctx)
{
	str uri, event, furi = STR_NULL, fname = STR_NULL;
	int type, n;

	if(rpc->scan(ctx, "SSd", &uri, &event, &type) < 3) {
		rpc->fault(ctx, 400, "usage: <presentity_uri> <event> <refresh_type>");
		return;
	}
	if(type == 2 && rpc->scan(ctx, "*SS", &furi, &fname) < 2) {
		rpc->fault(ctx, 400, "refresh_type 2 needs <file_uri> <filename>");
		return;
	}
	if(library_mode(rpc, ctx))
		return;
	n = pres_refresh_watchers_file(&(lp_str_t){uri.s, uri.len},
			&(lp_str_t){event.s, event.len}, type,
			&(lp_str_t){furi.s, furi.len}, &(lp_str_t){fname.s, fname.len});
	if(n < 0) {
		rpc->fault(ctx, 404, "unknown event or bad presentity uri");
		return;
	}
	rpc->rpl_printf(ctx, "notified %d", n);
}

static const char *rpc_update_doc[] = {
		"Re-evaluate the authorization of a presentity's watchers (its rules"
		" changed) and NOTIFY those whose state changed: <presentity_uri>"
		" <event>",
		0};

static void rpc_update_watchers(rpc_t *rpc, void *ctx)
{
	str uri, event;

	if(rpc->scan(ctx, "SS", &uri, &event) < 2) {
		rpc->fault(ctx, 500, "Not enough parameters");
		return;
	}
	if(library_mode(rpc, ctx))
		return;
	if(pres_refresh_watchers(&(lp_str_t){uri.s, uri.len},
			   &(lp_str_t){event.s, event.len}, 0)
			< 0)
		rpc->fault(ctx, 500, "Processing error");
}

/* ---- presentity_list / presentity_show ---- */

typedef struct list_ctx {
	rpc_t *rpc;
	void *ctx;
	int full;
	int error;
} list_ctx_t;

static str kstr_of(const lp_str_t *s)
{
	str r = {s->s ? s->s : "", s->s ? s->len : 0};
	return r;
}

/* One record as Kamailio prints it: user, domain, event, etag, sender,
 * expires; with "full" also received_time, priority, ruid, body, hashid
 * (we keep no ruid: it is empty). */
static int list_one(const pres_pub_t *p, void *vctx)
{
	list_ctx_t *c = vctx;
	void *th;
	str user = kstr_of(&p->user), domain = kstr_of(&p->domain);
	str event = kstr_of(&p->event), etag = kstr_of(&p->etag);
	str sender = kstr_of(&p->sender), body = kstr_of(&p->body);

	if(c->rpc->add(c->ctx, "{", &th) < 0
			|| c->rpc->struct_add(th, "SSSSSd", "user", &user, "domain", &domain,
					   "event", &event, "etag", &etag, "sender", &sender,
					   "expires", (int)p->expires)
					   < 0) {
		c->error = 1;
		return 1;
	}
	if(c->full
			&& c->rpc->struct_add(th, "ddsSd", "received_time", (int)p->received,
					   "priority", p->priority, "ruid", "", "body", &body,
					   "hashid", (int)p->h.hash)
					   < 0) {
		c->error = 1;
		return 1;
	}
	return 0;
}

static void list_pubs(rpc_t *rpc, void *ctx, int full, const lp_str_t *user,
		const lp_str_t *domain)
{
	list_ctx_t c = {rpc, ctx, full, 0};

	pres_pub_foreach(user, domain, list_one, &c);
	if(c.error)
		rpc->fault(ctx, 500, "Internal error creating the response");
}

static const char *rpc_presentity_list_doc[] = {
		"List the publications held in memory: [full]", 0};

static void rpc_presentity_list(rpc_t *rpc, void *ctx)
{
	str mode = STR_NULL;

	if(library_mode(rpc, ctx))
		return;
	rpc->scan(ctx, "*S", &mode);
	list_pubs(rpc, ctx, mode.len == 4 && strncasecmp(mode.s, "full", 4) == 0,
			NULL, NULL);
}

static int is_uri(const str *s)
{
	return (s->len > 4 && strncasecmp(s->s, "sip:", 4) == 0)
		   || (s->len > 5 && strncasecmp(s->s, "sips:", 5) == 0);
}

static const char *rpc_presentity_show_doc[] = {
		"Show the publications of one presentity held in memory:"
		" <mode> <uri> (mode 'full' or 'basic')",
		0};

/* Kamailio 5.7: presentity_show <mode> <uri>; the URI alone, or first, is
 * taken too. */
static void rpc_presentity_show(rpc_t *rpc, void *ctx)
{
	str a = STR_NULL, b = STR_NULL, mode = STR_NULL, uri;
	lp_str_t user, domain;
	int n;

	if(library_mode(rpc, ctx))
		return;
	n = rpc->scan(ctx, "S*S", &a, &b);
	if(n < 1) {
		rpc->fault(ctx, 500, "Not enough parameters: <mode> <uri>");
		return;
	}
	if(n >= 2 && !is_uri(&a)) {
		mode = a;
		uri = b;
	} else {
		uri = a;
		mode = b;
	}
	if(pres_split_uri(&(lp_str_t){uri.s, uri.len}, &user, &domain) < 0) {
		rpc->fault(ctx, 500, "Invalid presentity uri");
		return;
	}
	list_pubs(rpc, ctx, mode.len == 4 && strncasecmp(mode.s, "full", 4) == 0,
			&user, &domain);
}

/* ---- watcher_list ---- */

static const char *rpc_watcher_list_doc[] = {
		"List the subscriptions (watchers) of a presentity: <presentity_uri>"
		" <event>",
		0};

static int watcher_one(rpc_t *rpc, void *ctx, const subs_t *s)
{
	void *th;
	str wu = kstr_of(&s->watcher_user), wd = kstr_of(&s->watcher_domain);
	str pu = kstr_of(&s->pres_uri), ev = kstr_of(&s->event->name);
	str ci = kstr_of(&s->callid), tt = kstr_of(&s->to_tag);
	str ft = kstr_of(&s->from_tag), ct = kstr_of(&s->contact);
	str rs = kstr_of(&s->reason), ua = kstr_of(&s->user_agent);
	unsigned int now = pres.now();

	if(rpc->add(ctx, "{", &th) < 0)
		return -1;
	return rpc->struct_add(th, "SSSSSSSSdddSdS", "presentity_uri", &pu,
			"watcher_username", &wu, "watcher_domain", &wd, "event", &ev,
			"callid", &ci, "to_tag", &tt, "from_tag", &ft, "contact", &ct,
			"status", s->status, "expires",
			(int)(s->expires > now ? s->expires - now : 0), "local_cseq",
			(int)s->local_cseq, "reason", &rs, "version", s->version,
			"user_agent", &ua);
}

static void rpc_watcher_list(rpc_t *rpc, void *ctx)
{
	str uri, event;
	pres_ev_t *ev;
	subs_t **ws = NULL;
	int n, i, err = 0;

	if(rpc->scan(ctx, "SS", &uri, &event) < 2) {
		rpc->fault(ctx, 500, "Not enough parameters: <presentity_uri> <event>");
		return;
	}
	if(library_mode(rpc, ctx))
		return;
	ev = pres_event_by_hdr(&(lp_str_t){event.s, event.len});
	if(!ev) {
		rpc->fault(ctx, 500, "Unknown event");
		return;
	}
	n = pres_subs_watchers(&(lp_str_t){uri.s, uri.len}, ev, &ws);
	for(i = 0; i < n; i++) {
		if(!err && watcher_one(rpc, ctx, ws[i]) < 0)
			err = 1;
		free(ws[i]);
	}
	free(ws);
	if(n < 0 || err)
		rpc->fault(ctx, 500, "Internal error");
}

rpc_export_t pres_rpc_cmds[] = {
	{"presence.cleanup", rpc_cleanup, rpc_cleanup_doc, 0},
	{"presence.refreshWatchers", rpc_refresh_watchers, rpc_refresh_doc, 0},
	{"presence.updateWatchers", rpc_update_watchers, rpc_update_doc, 0},
	{"presence.presentity_list", rpc_presentity_list, rpc_presentity_list_doc,
			RET_ARRAY},
	{"presence.presentity_show", rpc_presentity_show, rpc_presentity_show_doc,
			RET_ARRAY},
	{"presence.watcher_list", rpc_watcher_list, rpc_watcher_list_doc,
			RET_ARRAY},
	{0, 0, 0, 0}
};
