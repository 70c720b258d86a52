/* libFuzzer target: the decoder of the DMQ subscription messages between
 * presence nodes (pres_dmq_sdecode; a KDMQ body comes from the network).
 * Invariants: a refused message leaves nothing allocated; an accepted one
 * has 1..10000 records (SUB) or none (SSYNC), every field inside the input
 * and within PRES_DMQ_SFIELD_MAX, no control byte in any field, a dialog
 * (callid, to_tag) in every record and an owner, event and presentity in
 * every store; re-encoding its records gives a message that decodes to the
 * same records. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pres_dmq_subs.h"

#define NFIELDS 19 /* owner, event and PRES_SUBS_STRS's 17 */

static void fields(const pres_dmq_srec_t *r, const lp_str_t **f)
{
	int i = 0;

	f[i++] = &r->owner;
	f[i++] = &r->event;
#define F(x) f[i++] = &r->s.x;
	PRES_SUBS_STRS(F)
#undef F
}

static void check_field(const lp_str_t *f, const uint8_t *d, size_t n)
{
	int i;

	if(f->len < 0 || f->len > PRES_DMQ_SFIELD_MAX)
		abort();
	if(f->len
			&& ((const uint8_t *)f->s < d
					|| (const uint8_t *)f->s + f->len > d + n))
		abort();
	for(i = 0; i < f->len; i++)
		if((unsigned char)f->s[i] < 0x20 || f->s[i] == 0x7f)
			abort();
}

static void check_rec(const pres_dmq_srec_t *r, const uint8_t *d, size_t n)
{
	const lp_str_t *f[NFIELDS];
	int i;

	if(r->op != 'S' && r->op != 'R')
		abort();
	fields(r, f);
	for(i = 0; i < NFIELDS; i++)
		check_field(f[i], d, n);
	if(!r->s.callid.len || !r->s.to_tag.len || r->s.event || r->s.version < 0)
		abort();
	if(r->op == 'S'
			&& (!r->owner.len || r->owner.len > PRES_DMQ_OWNER_MAX
					|| !r->event.len || !r->s.pres_uri.len))
		abort();
}

static int same(const lp_str_t *a, const lp_str_t *b)
{
	return a->len == b->len && (!a->len || !memcmp(a->s, b->s, a->len));
}

static int same_rec(const pres_dmq_srec_t *a, const pres_dmq_srec_t *b)
{
	const lp_str_t *fa[NFIELDS], *fb[NFIELDS];
	int i;

	if(a->op != b->op || a->changed != b->changed || a->reserved != b->reserved
			|| a->s.expires != b->s.expires
			|| a->s.remote_cseq != b->s.remote_cseq
			|| a->s.local_cseq != b->s.local_cseq || a->s.status != b->s.status
			|| a->s.version != b->s.version || a->s.flags != b->s.flags)
		return 0;
	fields(a, fa);
	fields(b, fb);
	for(i = 0; i < NFIELDS; i++)
		if(!same(fa[i], fb[i]))
			return 0;
	return 1;
}

/* Re-encode m's records and decode them again: the same records. */
static void roundtrip(const pres_dmq_smsg_t *m)
{
	pres_dmq_buf_t b;
	pres_dmq_smsg_t m2;
	int i;

	if(pres_dmq_sbegin(&b, PRES_DMQ_SUB) < 0)
		return;
	for(i = 0; i < m->n; i++)
		if(pres_dmq_sadd(&b, &m->recs[i]) < 0)
			abort(); /* the decoder accepted what the encoder refuses */
	if(pres_dmq_sdecode(b.s, b.len, &m2) < 0 || m2.kind != PRES_DMQ_SUB
			|| m2.n != m->n)
		abort();
	for(i = 0; i < m->n; i++)
		if(!same_rec(&m->recs[i], &m2.recs[i]))
			abort();
	pres_dmq_smsg_free(&m2);
	pres_dmq_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pres_dmq_smsg_t m;
	int i;

	if(size > 200000)
		return 0;
	if(pres_dmq_sdecode((const char *)data, (int)size, &m) < 0) {
		if(m.recs || m.n)
			abort();
		return 0;
	}
	if(m.kind == PRES_DMQ_SSYNC) {
		if(m.n || m.recs || size != 13)
			abort();
		return 0;
	}
	if(m.kind != PRES_DMQ_SUB || m.n < 1 || m.n > 10000)
		abort();
	for(i = 0; i < m.n; i++)
		check_rec(&m.recs[i], data, size);
	roundtrip(&m);
	pres_dmq_smsg_free(&m);
	return 0;
}
