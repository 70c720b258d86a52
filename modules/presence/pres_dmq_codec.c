/* Byte-level helpers of our DMQ messages; see pres_dmq_codec.h. */
#include <stdlib.h>
#include <string.h>

#include "lp_log.h"
#include "pres_dmq_codec.h"

int pres_dmq_reserve(pres_dmq_buf_t *b, int more)
{
	char *s;
	int cap;

	if(b->len + more <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while(cap < b->len + more)
		cap *= 2;
	s = realloc(b->s, cap);
	if(!s)
		return -1;
	b->s = s;
	b->cap = cap;
	return 0;
}

void pres_dmq_put(pres_dmq_buf_t *b, const lp_str_t *f)
{
	if(f->len > 0)
		memcpy(b->s + b->len, f->s, f->len);
	b->len += f->len > 0 ? f->len : 0;
}

int pres_dmq_begin_hdr(pres_dmq_buf_t *b, const char *h)
{
	int n = (int)strlen(h);

	memset(b, 0, sizeof(*b));
	if(pres_dmq_reserve(b, n) < 0)
		return -1;
	memcpy(b->s, h, n);
	b->len = n;
	return 0;
}

pres_dmq_buf_t *pres_dmq_chunk(pres_dmq_chunks_t *c, int size)
{
	pres_dmq_buf_t *bufs, *b = c->nbufs ? &c->bufs[c->nbufs - 1] : NULL;

	if(b && b->len < PRES_DMQ_CHUNK && b->len + size <= PRES_DMQ_MSG_MAX)
		return b;
	bufs = realloc(c->bufs, (c->nbufs + 1) * sizeof(*bufs));
	if(!bufs)
		goto oom;
	c->bufs = bufs;
	b = &bufs[c->nbufs];
	if(pres_dmq_begin_hdr(b, c->hdr) < 0)
		goto oom;
	c->nbufs++;
	return b;
oom:
	c->err = 1;
	return NULL;
}

int pres_dmq_chunks_send(pres_dmq_chunks_t *c, void *node, const char *what)
{
	int i, sent = 0;

	for(i = 0; i < c->nbufs; i++) {
		if(!c->err && c->bufs[i].n > 0
				&& pres_dmq_send_to(c->bufs[i].s, c->bufs[i].len, node) < 0)
			c->err = 1;
		sent += c->bufs[i].n;
		pres_dmq_buf_free(&c->bufs[i]);
	}
	free(c->bufs);
	c->bufs = NULL;
	c->nbufs = 0;
	if(c->err) {
		LP_LOG_LIMITED(LP_L_ERR, "dmq: %s%s not all replicated (out of"
								 " memory or send failure)",
				what ? "sync answer of " : "changes of subscriptions",
				what ? what : "");
		return -1;
	}
	if(what)
		LP_INFO("dmq: sent %d %s to a node that asked for a sync", sent, what);
	return sent;
}

int pres_dmq_send_hdr(const char *h)
{
	pres_dmq_buf_t b;
	int rc = -1;

	if(pres_dmq_begin_hdr(&b, h) == 0)
		rc = pres_dmq_send_to(b.s, b.len, NULL);
	pres_dmq_buf_free(&b);
	return rc;
}

int pres_dmq_get_num(pres_dmq_cursor_t *c, unsigned long max,
		unsigned long *out, char sep)
{
	unsigned long v = 0;
	int digits = 0;

	while(c->p < c->end && *c->p >= '0' && *c->p <= '9' && digits < 11) {
		v = v * 10 + (unsigned long)(*c->p - '0');
		c->p++;
		digits++;
	}
	if(digits == 0 || digits > 10 || v > max || c->p >= c->end || *c->p != sep)
		return -1;
	c->p++;
	*out = v;
	return 0;
}

int pres_dmq_get_len(pres_dmq_cursor_t *c, int max, int *out, char sep)
{
	unsigned long v;

	if(pres_dmq_get_num(c, (unsigned long)max, &v, sep) < 0)
		return -1;
	*out = (int)v;
	return 0;
}

void pres_dmq_take(pres_dmq_cursor_t *c, lp_str_t *f, int len)
{
	f->s = (char *)c->p;
	f->len = len;
	c->p += len;
}

int pres_dmq_cmp_str(const lp_str_t *a, const lp_str_t *b)
{
	int n = a->len < b->len ? a->len : b->len;
	int c = n > 0 ? memcmp(a->s, b->s, n) : 0;

	if(c)
		return c > 0 ? 1 : -1;
	return a->len == b->len ? 0 : (a->len > b->len ? 1 : -1);
}

int pres_dmq_clean(const lp_str_t *f)
{
	int i;

	for(i = 0; i < f->len; i++)
		if((unsigned char)f->s[i] < 0x20 || f->s[i] == 0x7f)
			return 0;
	return 1;
}

int pres_dmq_starts(const pres_dmq_cursor_t *c, const char *h)
{
	size_t n = strlen(h);

	return (size_t)(c->end - c->p) >= n && memcmp(c->p, h, n) == 0;
}
