/* The NOTIFY sender queues (pres_fanq.h): a NOTIFY copied into one shared
 * block, queued on the sender of its dialog, sent and freed by that
 * sender. */
#include <stddef.h>
#include <string.h>

#include "lp_log.h"
#include "lp_mem.h"
#include "pres_fanq.h"
#include "pres_logic.h"

#define ALIGN8(x) (((x) + 7) & ~(size_t)7)

pres_fanq_t *pres_fanq_new(int n, unsigned int cap)
{
	pres_fanq_t *f;
	int i;

	if(n < 1 || cap < 1)
		return NULL;
	f = lp_malloc(sizeof(*f) + n * sizeof(lp_wq_t *) + sizeof(unsigned long));
	if(!f)
		return NULL;
	memset(f, 0, sizeof(*f));
	f->q = (lp_wq_t **)(f + 1);
	f->dropped = (unsigned long *)(f->q + n);
	*f->dropped = 0;
	for(i = 0; i < n; i++) {
		f->q[i] = lp_wq_new(cap);
		if(!f->q[i]) {
			f->n = i;
			pres_fanq_free(f);
			return NULL;
		}
	}
	f->n = n;
	return f;
}

static void item_free(lp_wq_item_t *it)
{
	lp_free(it);
}

void pres_fanq_free(pres_fanq_t *f)
{
	int i;

	if(!f)
		return;
	for(i = 0; i < f->n; i++)
		lp_wq_destroy(f->q[i], item_free);
	lp_free(f);
}

int pres_fanq_index(const pres_fanq_t *f, const subs_t *s)
{
	return (int)(lp_hash_str(&s->callid) % (unsigned int)f->n);
}

/* n copied into one block: the item, the subscription, headers, body. */
static pres_fanq_item_t *item_new(const pres_notify_t *n)
{
	size_t head = ALIGN8(sizeof(pres_fanq_item_t));
	size_t sl = ALIGN8(pres_subs_block_size(n->subs));
	pres_fanq_item_t *it;
	char *p;

	it = lp_malloc(head + sl + n->headers.len + n->body.len + 2);
	if(!it)
		return NULL;
	memset(it, 0, sizeof(*it));
	p = (char *)it + head;
	it->n.subs = pres_subs_fill(p, n->subs);
	p += sl;
	it->n.headers.s = p;
	it->n.headers.len = n->headers.len;
	if(n->headers.len)
		memcpy(p, n->headers.s, n->headers.len);
	p[n->headers.len] = '\0';
	p += n->headers.len + 1;
	if(n->body.s) {
		it->n.body.s = p;
		it->n.body.len = n->body.len;
		memcpy(p, n->body.s, n->body.len);
		p[n->body.len] = '\0';
	}
	it->n.body_shared = 1; /* freed with the block */
	return it;
}

int pres_fanq_push(pres_fanq_t *f, const pres_notify_t *n)
{
	pres_fanq_item_t *it = item_new(n);
	int i = pres_fanq_index(f, n->subs);

	if(!it || lp_wq_push(f->q[i], &it->link) < 0) {
		__sync_fetch_and_add(f->dropped, 1);
		LP_LOG_LIMITED(LP_L_ERR,
				"NOTIFY in dialog %.*s not sent: %s (%lu so far)",
				LP_STR_FMT(n->subs->callid),
				it ? "its sender's queue is full (fanout_queue_size)"
				   : "out of shared memory",
				*f->dropped);
		if(it)
			lp_free(it);
		return -1;
	}
	if(f->wake)
		f->wake(i);
	return 0;
}

int pres_fanq_serve(
		pres_fanq_t *f, int i, int (*send)(const pres_notify_t *n), int max)
{
	lp_wq_item_t *its[64];
	int k, got;

	if(max > (int)(sizeof(its) / sizeof(its[0])))
		max = (int)(sizeof(its) / sizeof(its[0]));
	got = lp_wq_peek(f->q[i], its, max);
	for(k = 0; k < got; k++)
		send(&((pres_fanq_item_t *)its[k])->n);
	if(got > 0)
		lp_wq_drop(f->q[i], got, item_free);
	return got;
}

unsigned int pres_fanq_len(pres_fanq_t *f)
{
	unsigned int len = 0;
	int i;

	for(i = 0; f && i < f->n; i++)
		len += lp_wq_len(f->q[i]);
	return len;
}

void pres_fanq_orphan(pres_fanq_t *f)
{
	int i;

	for(i = 0; f && i < f->n; i++)
		lp_wq_orphan(f->q[i]);
}
