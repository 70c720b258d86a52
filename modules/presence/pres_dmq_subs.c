/* DMQ replication of subscriptions, host-neutral; see pres_dmq_subs.h for
 * the ownership rule and the format. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lp_log.h"
#include "pres_dmq_codec.h"
#include "pres_dmq_subs.h"

#define HDR_SUB "PDMQ/1 SUB\n"
#define HDR_SSYNC "PDMQ/1 SSYNC\n"
#define NSTR 17 /* PRES_SUBS_STRS */
#define NLEN (NSTR + 2)
#define MAX_RECORDS 10000

/* The owner table, in the allocator's (shared) memory: append-only, so an
 * id once given names the same URI for the life of the process tree. */
typedef struct owners
{
	void *lock;
	int n; /* ids 1..n-1 used; 0 is this node */
	int len[PRES_DMQ_OWNERS];
	char uri[PRES_DMQ_OWNERS][PRES_DMQ_OWNER_MAX];
} owners_t;

static owners_t *owners;
static pres_dmq_alive_f alive_f;
int pres_dmq_applying;

int pres_dmq_subs_init(const lp_str_t *self, pres_dmq_alive_f alive)
{
	if(!self || self->len <= 0 || self->len > PRES_DMQ_OWNER_MAX || owners)
		return -1;
	owners = lp_malloc(sizeof(*owners));
	if(!owners)
		return -1;
	memset(owners, 0, sizeof(*owners));
	owners->lock = lp_lock_new();
	if(!owners->lock) {
		lp_free(owners);
		owners = NULL;
		return -1;
	}
	memcpy(owners->uri[0], self->s, self->len);
	owners->len[0] = self->len;
	owners->n = 1;
	alive_f = alive;
	return 0;
}

void pres_dmq_subs_destroy(void)
{
	if(!owners)
		return;
	lp_lock_free(owners->lock);
	lp_free(owners);
	owners = NULL;
	alive_f = NULL;
}

int pres_dmq_subs_on(void)
{
	return pres.cfg.enable_dmq && pres.cfg.subs_dmq && owners
		   && pres_dmq_has_sender();
}

static int owner_eq(int i, const lp_str_t *uri)
{
	return owners->len[i] == uri->len
		   && memcmp(owners->uri[i], uri->s, uri->len) == 0;
}

int pres_dmq_owner_id(const lp_str_t *uri)
{
	int i, id = -1;

	if(!owners || uri->len <= 0 || uri->len > PRES_DMQ_OWNER_MAX)
		return -1;
	lp_lock_get(owners->lock);
	for(i = 0; i < owners->n && id < 0; i++)
		if(owner_eq(i, uri))
			id = i;
	if(id < 0 && owners->n < PRES_DMQ_OWNERS) {
		id = owners->n;
		memcpy(owners->uri[id], uri->s, uri->len);
		owners->len[id] = uri->len;
		owners->n++;
	}
	lp_lock_release(owners->lock);
	if(id < 0)
		LP_LOG_LIMITED(LP_L_ERR, "dmq: more than %d subscription owners",
				PRES_DMQ_OWNERS);
	return id;
}

static lp_str_t owner_uri(int id)
{
	lp_str_t u = {NULL, 0};

	if(owners && id >= 0 && id < PRES_DMQ_OWNERS) {
		u.s = owners->uri[id];
		u.len = owners->len[id]; /* written once, before the id was given */
	}
	return u;
}

void pres_dmq_subs_view(pres_dmq_view_t *v)
{
	int i, n;

	memset(v, 0, sizeof(*v));
	v->on = pres_dmq_subs_on();
	if(!v->on || pres_dmq_applying)
		return; /* a replicated change: this node's own subscriptions */
	v->all = pres.cfg.skip_notify_dmq;
	lp_lock_get(owners->lock);
	n = owners->n;
	lp_lock_release(owners->lock);
	for(i = 1; i < n; i++) {
		lp_str_t u = owner_uri(i);
		v->notify[i] = v->all || !alive_f || !alive_f(&u);
	}
}

/* ---------------------------------------------------------------- format */

/* The 17 strings of s and the owner and event, in message order. */
static void fields(pres_dmq_srec_t *r, lp_str_t **f)
{
	int i = 0;

	f[i++] = &r->owner;
	f[i++] = &r->event;
#define PRES_F(x) f[i++] = &r->s.x;
	PRES_SUBS_STRS(PRES_F)
#undef PRES_F
}

static int rec_fits(pres_dmq_srec_t *r)
{
	lp_str_t *f[NLEN];
	int i;

	fields(r, f);
	for(i = 0; i < NLEN; i++)
		if(f[i]->len < 0 || f[i]->len > PRES_DMQ_SFIELD_MAX)
			return 0;
	if(r->op != 'S' && r->op != 'R')
		return 0;
	if(r->s.callid.len <= 0 || r->s.to_tag.len <= 0)
		return 0;
	return r->op == 'R'
		   || (r->owner.len > 0 && r->owner.len <= PRES_DMQ_OWNER_MAX
				   && r->event.len > 0 && r->s.pres_uri.len > 0);
}

int pres_dmq_sbegin(pres_dmq_buf_t *b, int kind)
{
	return pres_dmq_begin_hdr(b, kind == PRES_DMQ_SSYNC ? HDR_SSYNC : HDR_SUB);
}

int pres_dmq_sadd(pres_dmq_buf_t *b, const pres_dmq_srec_t *cr)
{
	pres_dmq_srec_t r = *cr;
	lp_str_t *f[NLEN];
	char line[400];
	int n, i, sum = 0;

	if(!rec_fits(&r))
		return -1;
	fields(&r, f);
	n = snprintf(line, sizeof(line), "%c %u %u %u %u %u %u %u %u", r.op,
			r.changed, r.reserved, r.s.expires, r.s.remote_cseq,
			r.s.local_cseq, r.s.status, (unsigned int)r.s.version, r.s.flags);
	for(i = 0; i < NLEN && n > 0 && n < (int)sizeof(line); i++) {
		n += snprintf(line + n, sizeof(line) - n, " %d", f[i]->len);
		sum += f[i]->len;
	}
	if(n <= 0 || n + 1 >= (int)sizeof(line)
			|| pres_dmq_reserve(b, n + 1 + sum + 1) < 0)
		return -1;
	line[n++] = '\n';
	memcpy(b->s + b->len, line, n);
	b->len += n;
	for(i = 0; i < NLEN; i++)
		pres_dmq_put(b, f[i]);
	b->s[b->len++] = '\n';
	b->n++;
	return 0;
}

static int get_u(pres_dmq_cursor_t *c, unsigned int *out)
{
	unsigned long v;

	if(pres_dmq_get_num(c, UINT_MAX, &v, ' ') < 0)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static int get_srec(pres_dmq_cursor_t *c, pres_dmq_srec_t *r)
{
	unsigned int version;
	lp_str_t *f[NLEN];
	int len[NLEN], i;
	long sum = 0;

	memset(r, 0, sizeof(*r));
	if(c->end - c->p < 2 || (c->p[0] != 'S' && c->p[0] != 'R')
			|| c->p[1] != ' ')
		return -1;
	r->op = c->p[0];
	c->p += 2;
	if(get_u(c, &r->changed) < 0 || get_u(c, &r->reserved) < 0
			|| get_u(c, &r->s.expires) < 0 || get_u(c, &r->s.remote_cseq) < 0
			|| get_u(c, &r->s.local_cseq) < 0 || get_u(c, &r->s.status) < 0
			|| get_u(c, &version) < 0 || version > INT_MAX
			|| get_u(c, &r->s.flags) < 0)
		return -1;
	r->s.version = (int)version;
	for(i = 0; i < NLEN; i++) {
		if(pres_dmq_get_len(c, PRES_DMQ_SFIELD_MAX, &len[i],
				   i == NLEN - 1 ? '\n' : ' ')
				< 0)
			return -1;
		sum += len[i];
	}
	if(c->end - c->p < sum + 1)
		return -1;
	fields(r, f);
	for(i = 0; i < NLEN; i++)
		pres_dmq_take(c, f[i], len[i]);
	if(*c->p++ != '\n' || !rec_fits(r))
		return -1;
	for(i = 0; i < NLEN; i++)
		if(!pres_dmq_clean(f[i]))
			return -1;
	return 0;
}

int pres_dmq_sdecode(const char *s, int len, pres_dmq_smsg_t *m)
{
	pres_dmq_cursor_t c = {s, s + (len > 0 ? len : 0)};
	pres_dmq_srec_t *recs;
	int cap = 0;

	memset(m, 0, sizeof(*m));
	if(!s || len <= 0)
		return -1;
	if(pres_dmq_starts(&c, HDR_SSYNC)) {
		m->kind = PRES_DMQ_SSYNC;
		return c.p + strlen(HDR_SSYNC) == c.end ? 0 : -1;
	}
	if(!pres_dmq_starts(&c, HDR_SUB))
		return -1;
	m->kind = PRES_DMQ_SUB;
	c.p += strlen(HDR_SUB);
	while(c.p < c.end) {
		if(m->n == MAX_RECORDS)
			goto bad;
		if(m->n == cap) {
			cap = cap ? cap * 2 : 8;
			recs = realloc(m->recs, cap * sizeof(*recs));
			if(!recs)
				goto bad;
			m->recs = recs;
		}
		if(get_srec(&c, &m->recs[m->n]) < 0)
			goto bad;
		m->n++;
	}
	if(m->n > 0)
		return 0;
bad:
	pres_dmq_smsg_free(m);
	return -1;
}

void pres_dmq_smsg_free(pres_dmq_smsg_t *m)
{
	free(m->recs);
	memset(m, 0, sizeof(*m));
}

static int cmp_u(unsigned int a, unsigned int b)
{
	return a == b ? 0 : (a > b ? 1 : -1);
}

int pres_dmq_scmp(const pres_dmq_srec_t *a, const pres_dmq_srec_t *b)
{
	int c = cmp_u(a->changed, b->changed);

	if(!c)
		c = cmp_u(a->s.local_cseq, b->s.local_cseq);
	if(!c)
		c = cmp_u(a->s.remote_cseq, b->s.remote_cseq);
	return c ? c : pres_dmq_cmp_str(&a->owner, &b->owner);
}

/* ---------------------------------------------------------------- send */

static void rec_of(const pres_srec_t *r, pres_dmq_srec_t *d)
{
	memset(d, 0, sizeof(*d));
	d->op = 'S';
	d->changed = r->changed;
	d->reserved = r->reserved;
	d->owner = owner_uri(r->owner);
	d->event = r->s.event->name;
	d->s = r->s;
	d->s.event = NULL;
	d->s.next = NULL;
	d->s.auth_rules_doc = NULL;
}

int pres_dmq_subs_wins(const pres_srec_t *a, const pres_srec_t *b)
{
	pres_dmq_srec_t ra, rb;

	rec_of(a, &ra);
	rec_of(b, &rb);
	return pres_dmq_scmp(&ra, &rb);
}

void pres_dmq_subs_store(pres_dmq_chunks_t *c, const pres_srec_t *r)
{
	pres_dmq_buf_t *b;
	pres_dmq_srec_t d;

	if(!c->hdr) /* zeroed */
		c->hdr = HDR_SUB;
	b = pres_dmq_chunk(c, (int)pres_subs_block_size(&r->s) + 256);
	rec_of(r, &d);
	if(!b || pres_dmq_sadd(b, &d) < 0)
		LP_LOG_LIMITED(LP_L_ERR, "dmq: subscription %.*s not replicated",
				LP_STR_FMT(r->s.callid));
}

void pres_dmq_subs_send(pres_dmq_chunks_t *c)
{
	if(c->nbufs > 0)
		pres_dmq_chunks_send(c, NULL, NULL);
}

void pres_dmq_subs_remove(const lp_str_t *pres_uri, const pres_dlg_key_t *k)
{
	pres_dmq_srec_t d;
	pres_dmq_buf_t b;

	if(!pres_dmq_subs_on())
		return;
	memset(&d, 0, sizeof(d));
	d.op = 'R';
	d.changed = pres.now();
	d.owner = owner_uri(0);
	if(pres_uri)
		d.s.pres_uri = *pres_uri;
	d.s.callid = *k->callid;
	d.s.to_tag = *k->to_tag;
	d.s.from_tag = *k->from_tag;
	if(pres_dmq_sbegin(&b, PRES_DMQ_SUB) < 0 || pres_dmq_sadd(&b, &d) < 0) {
		LP_LOG_LIMITED(LP_L_ERR, "dmq: end of subscription %.*s not replicated",
				LP_STR_FMT(*k->callid));
		pres_dmq_buf_free(&b);
		return;
	}
	pres_dmq_send_buf(&b);
}

int pres_dmq_subs_request_sync(void)
{
	int rc;

	if(!pres_dmq_subs_on())
		return 0;
	rc = pres_dmq_send_hdr(HDR_SSYNC);
	if(rc < 0)
		LP_ERR("dmq: cannot request the subscriptions of the other nodes");
	return rc;
}

/* ---------------------------------------------------------------- sync */

/* With the record's bucket locked: into the sync answer. */
static int sync_visit(const pres_srec_t *r, void *ctx)
{
	pres_dmq_chunks_t *c = ctx;

	if(r->s.expires <= pres.now())
		return 0;
	pres_dmq_subs_store(c, r);
	return c->err;
}

static int send_sync(void *node)
{
	pres_dmq_chunks_t c = {NULL, NULL, 0, 0}; /* pres_dmq_subs_store */

	pres_subs_foreach_rec(sync_visit, &c);
	return pres_dmq_chunks_send(&c, node, "subscriptions");
}

/* ---------------------------------------------------------------- apply */

/* A watcher came, changed status or went at another node: this node's
 * own watcher-info subscribers hear of it (those the other node owns hear
 * from it), unless skip_notify_dmq leaves it all to that node. */
static void winfo_heard(const subs_t *s)
{
	if(pres.cfg.skip_notify_dmq)
		return;
	pres_dmq_applying = 1;
	pres_winfo_notify_change(s);
	pres_dmq_applying = 0;
}

static int apply_store(pres_dmq_srec_t *r)
{
	pres_ev_t *ev = pres_event_by_hdr(&r->event);
	int owner = pres_dmq_owner_id(&r->owner);
	subs_t s = r->s;
	int rc;

	if(!ev) {
		LP_LOG_LIMITED(LP_L_WARN,
				"dmq: subscription for unknown event '%.*s' ignored",
				LP_STR_FMT(r->event));
		return 0;
	}
	if(owner < 0 || s.expires <= pres.now())
		return 0;
	s.event = ev;
	if(owner != 0 && pres.cfg.default_socket)
		s.sockinfo_str = lp_str_c(pres.cfg.default_socket);
	rc = pres_subs_dmq_put(&s, owner, r->reserved, r->changed);
	if(rc == 2)
		winfo_heard(&s);
	return rc > 0 ? 1 : rc;
}

static int apply_remove(pres_dmq_srec_t *r)
{
	pres_dlg_key_t k = {&r->s.callid, &r->s.to_tag, &r->s.from_tag};
	subs_t *gone = NULL;
	int rc = pres_subs_dmq_drop(&k, r->changed, &gone);

	if(gone) {
		gone->status = TERMINATED_STATUS;
		winfo_heard(gone);
		free(gone);
	}
	return rc;
}

int pres_dmq_subs_receive(const char *s, int len, void *node)
{
	pres_dmq_cursor_t c = {s, s + (len > 0 ? len : 0)};
	pres_dmq_smsg_t m;
	int i, applied = 0, failed = 0, rc;

	if(!pres_dmq_starts(&c, HDR_SUB) && !pres_dmq_starts(&c, HDR_SSYNC))
		return 0;
	if(!pres_dmq_subs_on()) {
		LP_LOG_LIMITED(LP_L_WARN, "dmq: subscription message ignored"
								  " (enable_subs_dmq is 0)");
		return 1;
	}
	if(pres_dmq_sdecode(s, len, &m) < 0) {
		LP_LOG_LIMITED(LP_L_WARN,
				"dmq: malformed subscription message (%d bytes) ignored", len);
		return -1;
	}
	if(m.kind == PRES_DMQ_SSYNC) {
		if(node)
			send_sync(node);
		return 1;
	}
	for(i = 0; i < m.n; i++) {
		pres_dmq_srec_t *r = &m.recs[i];
		rc = r->op == 'R' ? apply_remove(r) : apply_store(r);
		applied += rc > 0;
		failed += rc < 0;
	}
	if(failed)
		LP_LOG_LIMITED(LP_L_ERR,
				"dmq: %d of %d replicated subscription changes not stored",
				failed, m.n);
	LP_DBG("dmq: %d of %d subscription changes applied", applied, m.n);
	pres_dmq_smsg_free(&m);
	return 1;
}
