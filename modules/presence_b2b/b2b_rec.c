/* presence_b2b records and the provider side of the internal subscription
 * service: one record per internal subscription, created by the service's
 * subscribe callback and ended by its unsubscribe callback (at once when no
 * dialog exists, else through an Expires: 0 SUBSCRIBE sent by the timer).
 * Also the module state and its start-up / shutdown. */
#include <stdio.h>
#include <string.h>

#include "b2b_logic.h"
#include "lp_log.h"

static unsigned int default_rand(void)
{
	static unsigned int x = 2463534242u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

static unsigned int zero_clock(void)
{
	return 0;
}

pb2b_state_t pb2b = {
		PB2B_CFG_DEFAULTS, NULL, NULL, NULL, default_rand, zero_clock};

static const lp_str_t presence_pkg = {"presence", 8};

static int prov_subscribe(lp_qsub_t *sub, void *pdata);
static void prov_unsubscribe(lp_qsub_t *sub, void *pdata);

static const lp_qprovider_ops_t pb2b_provider = {
		"presence_b2b", prov_subscribe, prov_unsubscribe};

static void free_entry(lp_hentry_t *e)
{
	pb2b_rec_t *r = (pb2b_rec_t *)e;

	lp_qsub_release(r->sub);
	pb2b_fork_free_all(r);
	lp_free(r->remote_tag.s);
	lp_free(r->remote_target.s);
	lp_free(r->route_set.s);
	lp_free(r);
}

int pb2b_init(void)
{
	pb2b.recs = lp_htable_new(pb2b.cfg.htable_power);
	pb2b.svc = lp_qsvc_new();
	pb2b.view = pb2b_view_new();
	if(!pb2b.recs || !pb2b.svc || !pb2b.view)
		goto error;
	if(pb2b.cfg.handle_presence
			&& lp_qsvc_register(pb2b.svc, &presence_pkg, &pb2b_provider, NULL) < 0)
		goto error;
	return 0;
error:
	LP_ERR("presence_b2b: out of memory at start-up");
	pb2b_destroy();
	return -1;
}

void pb2b_destroy(void)
{
	/* records first: they hold subscription references */
	lp_htable_destroy(pb2b.recs, free_entry);
	pb2b.recs = NULL;
	pb2b_view_destroy(pb2b.view);
	pb2b.view = NULL;
	lp_qsvc_destroy(pb2b.svc);
	pb2b.svc = NULL;
}

void pb2b_rec_destroy(pb2b_rec_t *r)
{
	lp_htable_unlink(pb2b.recs, &r->e);
	free_entry(&r->e);
}

/* A new record for sub, not linked; NULL when memory runs out. */
static pb2b_rec_t *rec_new(lp_qsub_t *sub, unsigned int now)
{
	pb2b_rec_t *r = lp_zalloc(sizeof(*r));
	char tok[PB2B_TOKEN_LEN + 1];

	if(!r)
		return NULL;
	r->id = lp_qsub_id(sub);
	pb2b_token(tok, pb2b.rand);
	r->callid.s = r->callid_buf;
	r->callid.len = snprintf(r->callid_buf, sizeof(r->callid_buf),
			"%s-%u@presence_b2b", tok, r->id);
	r->local_tag.s = r->tag_buf;
	r->e.hash = lp_hash_str(&r->callid);
	r->state = PB2B_IDLE;
	r->created = now;
	r->next_send = pb2b_first_send_time(&pb2b.cfg, now, pb2b.rand());
	r->last_substate = -1;
	r->sub = sub;
	return r;
}

static int prov_subscribe(lp_qsub_t *sub, void *pdata)
{
	pb2b_rec_t *r = rec_new(sub, pb2b.now());
	unsigned int slot;

	if(!r)
		return -1;
	lp_qsub_ref(sub);
	slot = lp_htable_slot(pb2b.recs, r->e.hash);
	lp_htable_lock(pb2b.recs, slot);
	lp_htable_link(pb2b.recs, &r->e);
	lp_htable_unlock(pb2b.recs, slot);
	return 0;
}

/* Mark the record of id unsubscribed; a record without a dialog (first or
 * fork) goes at once. Returns 1 when found. */
static int mark_unsub(unsigned int id)
{
	unsigned int i;
	lp_hentry_t *e;
	pb2b_rec_t *r = NULL;

	for(i = 0; i < pb2b.recs->size && !r; i++) {
		lp_htable_lock(pb2b.recs, i);
		for(e = pb2b.recs->buckets[i].first; e; e = e->next)
			if(((pb2b_rec_t *)e)->id == id)
				break;
		r = (pb2b_rec_t *)e;
		if(r) {
			r->unsub = 1;
			if(r->state == PB2B_IDLE && !r->forks)
				pb2b_rec_destroy(r);
		}
		lp_htable_unlock(pb2b.recs, i);
	}
	return r != NULL;
}

static void prov_unsubscribe(lp_qsub_t *sub, void *pdata)
{
	mark_unsub(lp_qsub_id(sub));
}

void pb2b_foreach(void (*fn)(const pb2b_rec_t *r, void *ctx), void *ctx)
{
	unsigned int i;
	lp_hentry_t *e;

	for(i = 0; i < pb2b.recs->size; i++) {
		lp_htable_lock(pb2b.recs, i);
		for(e = pb2b.recs->buckets[i].first; e; e = e->next)
			fn((const pb2b_rec_t *)e, ctx);
		lp_htable_unlock(pb2b.recs, i);
	}
}

int pb2b_count(void)
{
	unsigned int i;
	int n = 0;

	for(i = 0; i < pb2b.recs->size; i++) {
		lp_htable_lock(pb2b.recs, i);
		n += pb2b.recs->buckets[i].count;
		lp_htable_unlock(pb2b.recs, i);
	}
	return n;
}

int pb2b_rpc_subscribe(const lp_str_t *record, const lp_str_t *package,
		const lp_str_t *subscriber, unsigned int *id)
{
	int rc;

	rc = lp_qsvc_subscribe(pb2b.svc, record, package, subscriber,
			pb2b_view_queue(pb2b.view), NULL, id);
	if(rc < 0)
		return rc;
	if(pb2b_view_track(pb2b.view, *id) < 0) {
		lp_qsvc_unsubscribe(pb2b.svc, *id);
		return LP_QSVC_ENOMEM;
	}
	return 0;
}

int pb2b_rpc_unsubscribe(unsigned int id)
{
	int rc = lp_qsvc_unsubscribe(pb2b.svc, id);

	if(rc == 0) {
		pb2b_view_drain(pb2b.view);
		pb2b_view_forget(pb2b.view, id);
	}
	return rc;
}
