/* presence_b2b module: Kamailio exports (parameters, handle_notify(), RPC,
 * bind_presence_b2b), start-up and the one-second timer that drives the
 * subscriptions. The decisions are in the host-neutral b2b_*.c files;
 * b2b_kam.c speaks SIP for them. */
#include <stdlib.h>

#include "core/dprint.h"
#include "core/rpc.h"
#include "core/rpc_lookup.h"
#include "core/sr_module.h"
#include "core/timer.h"

#include "lp_hash.h"
#include "lp_kam.h"
#include "lp_rand.h"
#include "b2b_kam.h"
#include "presence_b2b_api.h"

MODULE_VERSION

static int mod_init(void);
int pb2b_stats_kam_init(void); /* b2b_stats_kam.c */
static int child_init(int rank);
static void mod_destroy(void);
static int w_handle_notify(struct sip_msg *msg, char *p1, char *p2);
static int bind_presence_b2b(presence_b2b_api_t *api);

static cmd_export_t cmds[] = {
	{"handle_notify", (cmd_function)w_handle_notify, 0, 0, 0, REQUEST_ROUTE},
	{"bind_presence_b2b", (cmd_function)bind_presence_b2b, 1, 0, 0, 0},
	{0, 0, 0, 0, 0, 0}
};

static param_export_t params[] = {
	{"default_expiration", PARAM_INT, &pb2b.cfg.default_expiration},
	{"on_error_retry_time", PARAM_INT, &pb2b.cfg.on_error_retry_time},
	{"presence_route", PARAM_STRING, &pb2b.cfg.presence_route},
	{"additional_presence_headers", PARAM_STRING, &pb2b.cfg.additional_headers},
	{"wait_for_term_notify", PARAM_INT, &pb2b.cfg.wait_for_term_notify},
	{"resubscribe_delta", PARAM_INT, &pb2b.cfg.resubscribe_delta},
	{"min_resubscribe_time", PARAM_INT, &pb2b.cfg.min_resubscribe_time},
	{"handle_presence_subscriptions", PARAM_INT, &pb2b.cfg.handle_presence},
	{"presence_outbound_proxy", PARAM_STRING, &pb2b.cfg.outbound_proxy},
	{"max_subscribe_delay", PARAM_INT, &pb2b.cfg.max_subscribe_delay},
	{"htable_size", PARAM_INT, &pb2b.cfg.htable_power},
	{"contact", PARAM_STRING, &pb2b.cfg.contact},
	{"default_subscriber", PARAM_STRING, &pb2b.cfg.default_subscriber},
	{"max_branches", PARAM_INT, &pb2b.cfg.max_branches},
	{"shm_retry_after", PARAM_INT, &pb2b.cfg.shm_retry_after},
	{0, 0, 0}
};

static void rpc_subscribe(rpc_t *rpc, void *ctx);
static void rpc_unsubscribe(rpc_t *rpc, void *ctx);
static void rpc_list(rpc_t *rpc, void *ctx);

static const char *rpc_subscribe_doc[] = {
	"Create an internal subscription served by presence_b2b:"
	" <record_uri> [package (presence)] [subscriber_uri]; prints its id", 0};
static const char *rpc_unsubscribe_doc[] = {
	"End subscriptions made with presence_b2b.subscribe:"
	" <id> or <record_uri> (all of that record)", 0};
static const char *rpc_list_doc[] = {
	"List the subscriptions: dialog state, next refresh, last status", 0};

static rpc_export_t rpc_cmds[] = {
	{"presence_b2b.subscribe", rpc_subscribe, rpc_subscribe_doc, 0},
	{"presence_b2b.unsubscribe", rpc_unsubscribe, rpc_unsubscribe_doc, 0},
	{"presence_b2b.list", rpc_list, rpc_list_doc, RET_ARRAY},
	{0, 0, 0, 0}
};

struct module_exports exports = {
	"presence_b2b",	 /* module name */
	DEFAULT_DLFLAGS, /* dlopen flags */
	cmds,			 /* script functions and the API binder */
	params,			 /* parameters */
	rpc_cmds,		 /* RPC commands */
	0,				 /* pseudo-variables */
	0,				 /* response handler */
	mod_init,		 /* module init */
	child_init,		 /* per-child init */
	mod_destroy		 /* destroy */
};

/* Tags and Call-IDs must not be predictable (RFC 3261 s19.3): the kernel's
 * CSPRNG, random() only if it ever fails. */
static unsigned int kam_random(void)
{
	unsigned int v;

	if(lp_rand_bytes(&v, sizeof(v)) < 0)
		v = (unsigned int)random();
	return v;
}

/* Every second: take the RPC subscriber's messages, then send what the
 * timing rules ask for (no lock is held while tm sends). */
static void b2b_timer(unsigned int ticks, void *param)
{
	pb2b_send_t *list, *s;

	pb2b_view_drain(pb2b.view);
	list = pb2b_timer(pb2b_kam_now());
	for(s = list; s; s = s->next)
		pb2b_kam_send(s);
	pb2b_send_list_free(list);
}

static int check_cfg(void)
{
	pb2b_cfg_t *c = &pb2b.cfg;

	if(c->default_expiration <= 0 || c->on_error_retry_time < 0
			|| c->wait_for_term_notify < 0 || c->resubscribe_delta < 0
			|| c->min_resubscribe_time < 0 || c->max_subscribe_delay < 0
			|| c->shm_retry_after < 0) {
		LM_ERR("default_expiration must be > 0 and the other times >= 0\n");
		return -1;
	}
	if(c->max_branches < 1 || c->max_branches > PB2B_BRANCHES_MAX) {
		LM_ERR("max_branches must be 1 to %d\n", PB2B_BRANCHES_MAX);
		return -1;
	}
	return 0;
}

static int mod_init(void)
{
	lp_kam_install();
	/* this start's hash key, before anything is hashed and before the
	 * fork (collisions cannot be precomputed) */
	if(lp_hash_seed_random() < 0) {
		LM_ERR("no randomness from the kernel for the hash key\n");
		return -1;
	}
	if(pb2b_stats_kam_init() < 0)
		return -1;
	pb2b.now = pb2b_kam_now;
	pb2b.rand = kam_random;
	if(check_cfg() < 0)
		return -1;
	if(load_tm_api(&pb2b_tmb) < 0) {
		LM_ERR("cannot bind tm (load tm before presence_b2b)\n");
		return -1;
	}
	if(sl_load_api(&pb2b_slb) < 0) {
		LM_ERR("cannot bind sl (load sl before presence_b2b)\n");
		return -1;
	}
	if(pb2b_init() < 0)
		return -1;
	if(register_timer(b2b_timer, 0, 1) < 0) {
		LM_ERR("cannot register the timer\n");
		return -1;
	}
	return 0;
}

/* The listen sockets are final here, still before the fork. */
static int child_init(int rank)
{
	if(rank == PROC_INIT)
		return pb2b_kam_local_uris();
	return 0;
}

static void mod_destroy(void)
{
	if(pb2b.recs)
		pb2b_destroy();
}

static int w_handle_notify(struct sip_msg *msg, char *p1, char *p2)
{
	return pb2b_kam_handle_notify(msg);
}

static int bind_presence_b2b(presence_b2b_api_t *api)
{
	if(!api || !pb2b.svc)
		return -1;
	api->svc = pb2b.svc;
	return 0;
}

/* ---------------------------------------------------------------- RPC */

static inline lp_str_t lps_of(str x)
{
	lp_str_t r = {x.s, x.len};
	return r;
}

static inline str kstr_of(lp_str_t x)
{
	str r = {x.s ? x.s : "", x.s ? x.len : 0};
	return r;
}

static const char *qsvc_error(int rc)
{
	switch(rc) {
		case LP_QSVC_ENOPROV:
			return "no provider for this package";
		case LP_QSVC_EINVAL:
			return "bad record URI or package";
		case LP_QSVC_ENOENT:
			return "no such subscription";
		case LP_QSVC_EPROVIDER:
		case LP_QSVC_ENOMEM:
			return "out of memory";
	}
	return "error";
}

static void rpc_subscribe(rpc_t *rpc, void *ctx)
{
	str uri = STR_NULL, pkg = STR_NULL, sub = STR_NULL;
	lp_str_t u, p, s;
	unsigned int id;
	int rc, n;

	n = rpc->scan(ctx, "S*SS", &uri, &pkg, &sub);
	if(n < 1) {
		rpc->fault(ctx, 400, "usage: <record_uri> [package] [subscriber_uri]");
		return;
	}
	/* arguments not given are left undefined by scan: use n, not them */
	u = lps_of(uri);
	p = n >= 2 && pkg.len > 0 ? lps_of(pkg) : LP_STR("presence");
	s = n >= 3 ? lps_of(sub) : LP_STR_NULL;
	rc = pb2b_rpc_subscribe(&u, &p, &s, &id);
	if(rc < 0) {
		LM_INFO("presence_b2b.subscribe %.*s (%.*s) refused: %s\n", u.len,
				u.s, p.len, p.s, qsvc_error(rc));
		rpc->fault(ctx, rc == LP_QSVC_ENOPROV ? 404 : 500, "%s", qsvc_error(rc));
		return;
	}
	rpc->add(ctx, "d", (int)id);
}

#define RPC_MAX_IDS 1024

typedef struct ids_by_record {
	lp_str_t record;
	unsigned int ids[RPC_MAX_IDS];
	int n;
} ids_by_record_t;

static void collect_ids(const pb2b_rec_t *r, void *ctx)
{
	ids_by_record_t *c = ctx;

	if(c->n < RPC_MAX_IDS && lp_str_eq(lp_qsub_record(r->sub), &c->record))
		c->ids[c->n++] = r->id;
}

/* Is id one of the RPC subscriber's subscriptions? */
static int rpc_owned(unsigned int id)
{
	static unsigned int ids[RPC_MAX_IDS];
	int i, n = pb2b_view_ids(pb2b.view, ids, RPC_MAX_IDS);

	for(i = 0; i < n; i++)
		if(ids[i] == id)
			return 1;
	return 0;
}

static int all_digits(str *s)
{
	int i;

	for(i = 0; i < s->len; i++)
		if(s->s[i] < '0' || s->s[i] > '9')
			return 0;
	return s->len > 0 && s->len < 10;
}

static void rpc_unsubscribe(rpc_t *rpc, void *ctx)
{
	static ids_by_record_t c;
	str arg = STR_NULL;
	int i, done = 0;

	if(rpc->scan(ctx, ".S", &arg) < 1) { /* an id arrives as an int */
		rpc->fault(ctx, 400, "usage: <id> | <record_uri>");
		return;
	}
	memset(&c, 0, sizeof(c));
	if(all_digits(&arg)) {
		c.ids[0] = (unsigned int)atoi(arg.s);
		c.n = 1;
	} else {
		c.record = lps_of(arg);
		pb2b_foreach(collect_ids, &c);
	}
	for(i = 0; i < c.n; i++)
		if(rpc_owned(c.ids[i]) && pb2b_rpc_unsubscribe(c.ids[i]) == 0)
			done++;
	if(!done) {
		rpc->fault(ctx, 404, "no such subscription");
		return;
	}
	rpc->add(ctx, "d", done);
}

typedef struct list_ctx {
	rpc_t *rpc;
	void *ctx;
	unsigned int now;
} list_ctx_t;

static int secs_until(unsigned int t, unsigned int now)
{
	if(!t)
		return -1;
	return t > now ? (int)(t - now) : 0;
}

/* When the next SUBSCRIBE (or the end of a terminating dialog) is due,
 * in seconds from now; -1 when nothing is scheduled. */
static int next_event_in(const pb2b_rec_t *r, unsigned int now)
{
	if(r->state == PB2B_TERMINATING || (r->unsub && r->deadline))
		return secs_until(r->deadline, now);
	if(r->out_cseq || r->state == PB2B_SENT)
		return -1;
	return secs_until(r->next_send, now);
}

static void list_status(rpc_t *rpc, void *h, const pb2b_rec_t *r)
{
	unsigned int count = 0;
	lp_qmsg_t *m = pb2b_view_last(pb2b.view, r->id, &count);
	lp_str_t basic = LP_STR_NULL, note = LP_STR_NULL;
	str ct, doc, b, n;

	if(m) {
		basic = pb2b_pidf_element(&m->document, "basic");
		note = pb2b_pidf_element(&m->document, "note");
	}
	ct = kstr_of(m ? m->content_type : LP_STR_NULL);
	doc = kstr_of(m ? m->document : LP_STR_NULL);
	b = kstr_of(basic);
	n = kstr_of(note);
	rpc->struct_add(h, "dsdSSSS", "messages", (int)count, "status_state",
			m ? lp_qstate_name(m->state) : "none", "status_expires",
			m ? (int)m->expires : -1, "content_type", &ct, "basic", &b, "note",
			&n, "document", &doc);
	lp_qmsg_free(m);
}

static void list_one(const pb2b_rec_t *r, void *arg)
{
	list_ctx_t *l = arg;
	rpc_t *rpc = l->rpc;
	void *h;
	str rec = kstr_of(*lp_qsub_record(r->sub));
	str pkg = kstr_of(*lp_qsub_package(r->sub));
	str sub = kstr_of(*lp_qsub_subscriber(r->sub));
	str callid = kstr_of(r->callid), lt = kstr_of(r->local_tag);
	str rt = kstr_of(r->remote_tag), tgt = kstr_of(r->remote_target);

	if(sub.len == 0) /* what From carries */
		sub = kstr_of(lp_str_c(pb2b.cfg.default_subscriber));
	if(rpc->add(l->ctx, "{", &h) < 0)
		return;
	rpc->struct_add(h, "dSSSsd", "id", (int)r->id, "record", &rec, "package",
			&pkg, "subscriber", &sub, "state", pb2b_dstate_name(r->state),
			"unsubscribing", r->unsub);
	rpc->struct_add(h, "SSSSd", "callid", &callid, "local_tag", &lt,
			"remote_tag", &rt, "remote_target", &tgt, "cseq", (int)r->cseq);
	rpc->struct_add(h, "dddddd", "expires_in", secs_until(r->expires_at, l->now),
			"next_refresh_in", next_event_in(r, l->now), "last_code",
			r->last_code, "subscribes_sent", (int)r->n_sent, "notifies",
			(int)r->n_notify, "branches", pb2b_branches(r));
	list_status(rpc, h, r);
}

static void rpc_list(rpc_t *rpc, void *ctx)
{
	list_ctx_t l = {rpc, ctx, pb2b_kam_now()};

	pb2b_view_drain(pb2b.view);
	pb2b_foreach(list_one, &l);
}
