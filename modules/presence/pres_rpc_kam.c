/* RPC commands of the presence module, with Kamailio's names, argument
 * order and output fields: presence.cleanup, presence.refreshWatchers,
 * presence.updateWatchers, presence.presentity_list (5.6),
 * presence.presentity_show and presence.watcher_list (5.7),
 * presence.publish_cache_sync (6.1). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/dprint.h"
#include "core/rpc.h"
#include "core/str.h"

#include "lp_kam.h"
#include "pres_pub.h"
#include "pres_pubsync.h"
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
	const lp_str_t *user, *domain; /* filters of a scan; NULL: any */
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

	if((c->user && !lp_str_eq(&p->user, c->user))
			|| (c->domain && !lp_str_caseeq(&p->domain, c->domain)))
		return 0;
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

/* The publications of user@domain; a NULL user or domain matches any (a
 * scan of every bucket, filtered in list_one). */
static void list_pubs(rpc_t *rpc, void *ctx, int full, const lp_str_t *user,
		const lp_str_t *domain)
{
	list_ctx_t c = {rpc, ctx, full, 0, NULL, NULL};

	if(user && domain)
		pres_pub_foreach(user, domain, list_one, &c);
	else {
		c.user = user;
		c.domain = domain;
		pres_pub_foreach(NULL, NULL, list_one, &c);
	}
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
		"Show the publications held in memory matching a user and domain:"
		" <mode> <user> <domain> (mode 'full' or 'basic', '*' matches any"
		" user or domain), or <mode> <uri>",
		0};

static lp_str_t *filter_of(str *s, lp_str_t *out)
{
	if(s->len == 1 && s->s[0] == '*')
		return NULL;
	*out = (lp_str_t){s->s, s->len};
	return out;
}

/* Kamailio 5.7: presentity_show <mode> <user> <domain>, '*' for any; also
 * <mode> <uri>, or the URI alone or first. */
static void rpc_presentity_show(rpc_t *rpc, void *ctx)
{
	str a = STR_NULL, b = STR_NULL, c = STR_NULL, mode = STR_NULL, uri;
	lp_str_t user, domain;
	int n;

	if(library_mode(rpc, ctx))
		return;
	n = rpc->scan(ctx, "S*SS", &a, &b, &c);
	if(n < 1) {
		rpc->fault(ctx, 500, "Not enough parameters: <mode> <user> <domain>");
		return;
	}
	if(n >= 3) {
		list_pubs(rpc, ctx,
				a.len == 4 && strncasecmp(a.s, "full", 4) == 0,
				filter_of(&b, &user), filter_of(&c, &domain));
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
		"List the subscriptions (watchers) of a presentity: <mode> <uri>"
		" (mode 'basic' or 'full'; every event), or <uri> <event>",
		0};

/* One watcher: basic prints who watches what in which state; full adds
 * the dialog and the rest of the record. */
static int watcher_one(rpc_t *rpc, void *ctx, const subs_t *s, int full)
{
	void *th;
	str wu = kstr_of(&s->watcher_user), wd = kstr_of(&s->watcher_domain);
	str pu = kstr_of(&s->pres_uri), ev = kstr_of(&s->event->name);
	str ci = kstr_of(&s->callid), tt = kstr_of(&s->to_tag);
	str ft = kstr_of(&s->from_tag), ct = kstr_of(&s->contact);
	str rs = kstr_of(&s->reason), ua = kstr_of(&s->user_agent);
	unsigned int now = pres.now();

	if(rpc->add(ctx, "{", &th) < 0
			|| rpc->struct_add(th, "SSSSdd", "presentity_uri", &pu,
					   "watcher_username", &wu, "watcher_domain", &wd,
					   "event", &ev, "status", s->status, "expires",
					   (int)(s->expires > now ? s->expires - now : 0))
					   < 0)
		return -1;
	if(!full)
		return 0;
	return rpc->struct_add(th, "SSSSdSdS", "callid", &ci, "to_tag", &tt,
			"from_tag", &ft, "contact", &ct, "local_cseq", (int)s->local_cseq,
			"reason", &rs, "version", s->version, "user_agent", &ua);
}

/* The watchers of uri for one event; -1 on error. */
static int list_watchers(rpc_t *rpc, void *ctx, const lp_str_t *uri,
		pres_ev_t *ev, int full)
{
	subs_t **ws = NULL;
	int n, i, err = 0;

	n = pres_subs_watchers(uri, ev, &ws);
	for(i = 0; i < n; i++) {
		if(!err && watcher_one(rpc, ctx, ws[i], full) < 0)
			err = 1;
		free(ws[i]);
	}
	free(ws);
	return n < 0 || err ? -1 : 0;
}

static int is_mode(const str *s)
{
	return (s->len == 4 && strncasecmp(s->s, "full", 4) == 0)
		   || (s->len == 5 && strncasecmp(s->s, "basic", 5) == 0);
}

static void rpc_watcher_list(rpc_t *rpc, void *ctx)
{
	str a, b;
	lp_str_t uri;
	lp_event_t *e;
	pres_ev_t *ev;
	int rc = 0;

	if(rpc->scan(ctx, "SS", &a, &b) < 2) {
		rpc->fault(ctx, 500, "Not enough parameters: <mode> <uri>");
		return;
	}
	if(library_mode(rpc, ctx))
		return;
	if(!is_mode(&a)) { /* <uri> <event>: one event, every field */
		ev = pres_event_by_hdr(&(lp_str_t){b.s, b.len});
		if(!ev) {
			rpc->fault(ctx, 500, "Unknown event");
			return;
		}
		rc = list_watchers(rpc, ctx, &(lp_str_t){a.s, a.len}, ev, 1);
	} else {
		uri = (lp_str_t){b.s, b.len};
		for(e = pres.events.first; e && rc == 0; e = e->next)
			rc = list_watchers(rpc, ctx, &uri, (pres_ev_t *)e->data,
					a.len == 4);
	}
	if(rc < 0)
		rpc->fault(ctx, 500, "Internal error");
}

/* ---- publish_cache_sync ---- */

/* How long the sync waits for the DB writer's queue to empty. */
#define PRES_PUBSYNC_WAIT_MS 2000

static const char *rpc_publish_cache_sync_doc[] = {
		"Synchronize changes made to the presentity table with the publish"
		" cache and notify the watchers of what changed",
		0};

/* Kamailio 6.1: no parameters. Reply: a struct of counts (pres_pubsync.h),
 * or a message when there is no cache to sync. */
static void rpc_publish_cache_sync(rpc_t *rpc, void *ctx)
{
	pres_pubsync_counts_t c;
	void *th;
	int rc;

	if(library_mode(rpc, ctx))
		return;
	rc = pres_pub_sync(PRES_PUBSYNC_WAIT_MS, &c);
	if(rc == PRES_PUBSYNC_NOCACHE) {
		rpc->rpl_printf(ctx, "publ_cache is 0: no publish cache to sync");
		return;
	}
	if(rc == PRES_PUBSYNC_BUSY) {
		rpc->fault(ctx, 503,
				"changes still wait for the database writer; try again");
		return;
	}
	if(rc < 0) {
		rpc->fault(ctx, 500, "cannot read the presentity table");
		return;
	}
	if(rpc->add(ctx, "{", &th) < 0
			|| rpc->struct_add(th, "ddddd", "added", c.added, "removed",
					   c.removed, "updated", c.updated, "skipped", c.skipped,
					   "notified", c.notified)
					   < 0)
		rpc->fault(ctx, 500, "Internal error creating the response");
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
	{"presence.publish_cache_sync", rpc_publish_cache_sync,
			rpc_publish_cache_sync_doc, 0},
	{0, 0, 0, 0}
};
