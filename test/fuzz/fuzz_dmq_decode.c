/* libFuzzer target: the decoder of the DMQ messages between presence nodes
 * (pres_dmq_decode; a KDMQ body comes from the network). Invariants: a
 * refused message leaves nothing allocated; an accepted one has 1..10000
 * records (PUB) or none (SYNC), every field inside the input and within its
 * limit, no control byte in a header-like field, and re-encoding its records
 * gives a message that decodes to the same records. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pres_dmq.h"

static void inside(const lp_str_t *f, const uint8_t *d, size_t n, int max)
{
	if(f->len < 0 || f->len > max)
		abort();
	if(f->len
			&& ((const uint8_t *)f->s < d
					|| (const uint8_t *)f->s + f->len > d + n))
		abort();
}

static int same(const lp_str_t *a, const lp_str_t *b)
{
	return a->len == b->len && (!a->len || !memcmp(a->s, b->s, a->len));
}

static void check_rec(const pres_dmq_rec_t *r, const uint8_t *d, size_t n)
{
	if(r->op != 'S' && r->op != 'R')
		abort();
	inside(&r->user, d, n, PRES_DMQ_MAX_KEY);
	inside(&r->domain, d, n, PRES_DMQ_MAX_KEY);
	inside(&r->event, d, n, PRES_DMQ_MAX_KEY);
	inside(&r->sender, d, n, PRES_DMQ_MAX_KEY);
	inside(&r->etag, d, n, PRES_DMQ_MAX_ETAG);
	inside(&r->old_etag, d, n, PRES_DMQ_MAX_ETAG);
	inside(&r->body, d, n, PRES_DMQ_MAX_BODY);
	if(!r->user.len || !r->domain.len || !r->event.len || !r->etag.len
			|| memchr(r->user.s, '\n', r->user.len)
			|| memchr(r->etag.s, '\0', r->etag.len))
		abort();
}

static int same_rec(const pres_dmq_rec_t *a, const pres_dmq_rec_t *b)
{
	return a->op == b->op && a->received == b->received
		   && a->expires == b->expires && a->priority == b->priority
		   && same(&a->user, &b->user) && same(&a->domain, &b->domain)
		   && same(&a->event, &b->event) && same(&a->etag, &b->etag)
		   && same(&a->old_etag, &b->old_etag) && same(&a->sender, &b->sender)
		   && same(&a->body, &b->body);
}

/* Re-encode m's records and decode them again: the same records. */
static void roundtrip(const pres_dmq_msg_t *m)
{
	pres_dmq_buf_t b;
	pres_dmq_msg_t m2;
	int i;

	if(pres_dmq_begin(&b, PRES_DMQ_PUB) < 0)
		return;
	for(i = 0; i < m->n; i++)
		if(pres_dmq_add(&b, &m->recs[i]) < 0)
			abort(); /* the decoder accepted what the encoder refuses */
	if(pres_dmq_decode(b.s, b.len, &m2) < 0 || m2.n != m->n)
		abort();
	for(i = 0; i < m->n; i++)
		if(!same_rec(&m->recs[i], &m2.recs[i]))
			abort();
	pres_dmq_msg_free(&m2);
	pres_dmq_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pres_dmq_msg_t m;
	int i;

	if(size > 200000)
		return 0;
	if(pres_dmq_decode((const char *)data, (int)size, &m) < 0) {
		if(m.recs || m.n)
			abort();
		return 0;
	}
	if(m.kind == PRES_DMQ_SYNC) {
		if(m.n || m.recs)
			abort();
		return 0;
	}
	if(m.kind != PRES_DMQ_PUB || m.n < 1 || m.n > 10000)
		abort();
	for(i = 0; i < m.n; i++)
		check_rec(&m.recs[i], data, size);
	roundtrip(&m);
	pres_dmq_msg_free(&m);
	return 0;
}
