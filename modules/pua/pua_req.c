/* Building the PUBLISH and SUBSCRIBE requests pua sends: from a record's
 * state to a pua_req_t (R-URI, To, From, header lines, body, dialog and
 * the token its reply comes back with) that the glue hands to tm. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lp_log.h"
#include "pua_logic.h"

/* A growing malloc'd text buffer. */
typedef struct sb {
	char *s;
	int len, size, failed;
} sb_t;

static void sb_add(sb_t *b, const char *s, int len)
{
	char *n;

	if(b->failed || len <= 0)
		return;
	if(b->len + len + 1 > b->size) {
		int size = (b->len + len + 1) * 2;
		n = realloc(b->s, size);
		if(!n) {
			b->failed = 1;
			return;
		}
		b->s = n;
		b->size = size;
	}
	memcpy(b->s + b->len, s, len);
	b->len += len;
	b->s[b->len] = '\0';
}

static void sb_printf(sb_t *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void sb_printf(sb_t *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if(n < 0 || n >= (int)sizeof(tmp)) {
		b->failed = 1;
		return;
	}
	sb_add(b, tmp, n);
}

/* Extra header lines as given, with a CRLF added when the last is missing
 * one. */
static void sb_lines(sb_t *b, const lp_str_t *h)
{
	if(!h || h->len <= 0)
		return;
	sb_add(b, h->s, h->len);
	if(h->len < 2 || h->s[h->len - 2] != '\r' || h->s[h->len - 1] != '\n')
		sb_add(b, "\r\n", 2);
}

static const char *winfo_accept(const pua_event_t *ev)
{
	if(ev->content_type.len > 0)
		return NULL;
	return "application/watcherinfo+xml";
}

/* Copy the pieces into one block: the struct, then each string. */
typedef struct req_parts {
	lp_str_t ruri, to, from, headers, body, next_hop, call_id, from_tag,
			to_tag, route_set;
} req_parts_t;

static pua_req_t *req_block(const pua_rec_t *r, const req_parts_t *p)
{
	size_t size = sizeof(pua_req_t) + 11;
	pua_req_t *q;
	char *w;

	size += p->ruri.len + p->to.len + p->from.len + p->headers.len
			+ p->body.len + p->next_hop.len + p->call_id.len + p->from_tag.len
			+ p->to_tag.len + p->route_set.len + r->pres_uri.len;
	q = calloc(1, size);
	if(!q)
		return NULL;
	w = (char *)(q + 1);
	lp_str_put(&q->ruri, &w, &p->ruri);
	lp_str_put(&q->to_uri, &w, &p->to);
	lp_str_put(&q->from_uri, &w, &p->from);
	lp_str_put(&q->headers, &w, &p->headers);
	lp_str_put(&q->body, &w, &p->body);
	if(!p->body.s)
		q->body = LP_STR_NULL;
	lp_str_put(&q->next_hop, &w, &p->next_hop);
	lp_str_put(&q->call_id, &w, &p->call_id);
	lp_str_put(&q->from_tag, &w, &p->from_tag);
	lp_str_put(&q->to_tag, &w, &p->to_tag);
	lp_str_put(&q->route_set, &w, &p->route_set);
	lp_str_put(&q->pres_uri, &w, &r->pres_uri);
	q->serial = r->serial;
	q->req_no = r->req_no;
	q->kind = r->kind;
	q->cseq = r->cseq;
	return q;
}

static lp_str_t next_hop_of(const pua_rec_t *r)
{
	if(r->outbound_proxy.len > 0)
		return r->outbound_proxy;
	return lp_str_c(pua.cfg.outbound_proxy);
}

pua_req_t *pua_req_publish(pua_rec_t *r, int kind, int expires, const lp_str_t *body)
{
	const pua_event_t *ev = pua_event_get(r->event);
	req_parts_t p;
	sb_t h = {0};
	pua_req_t *q;

	if(!ev)
		return NULL;
	memset(&p, 0, sizeof(p));
	sb_printf(&h, "Event: %.*s\r\n", LP_STR_FMT(ev->name));
	sb_printf(&h, "Expires: %d\r\n", expires);
	if(kind != PUA_RK_INITIAL)
		sb_printf(&h, "SIP-If-Match: %.*s\r\n", LP_STR_FMT(r->etag));
	if(body && body->s) {
		lp_str_t ct = r->content_type.len ? r->content_type : ev->content_type;
		sb_printf(&h, "Content-Type: %.*s\r\n", LP_STR_FMT(ct));
		p.body = *body;
	}
	sb_lines(&h, &r->extra_headers);
	if(h.failed) {
		free(h.s);
		return NULL;
	}
	p.ruri = p.to = p.from = r->pres_uri;
	p.headers.s = h.s;
	p.headers.len = h.len;
	p.next_hop = next_hop_of(r);
	r->req_no++;
	r->req_kind = kind;
	r->req_expires = expires;
	q = req_block(r, &p);
	free(h.s);
	return q;
}

pua_req_t *pua_req_subscribe(pua_rec_t *r, int expires)
{
	const pua_event_t *ev = pua_event_get(r->event);
	const char *acc;
	req_parts_t p;
	sb_t h = {0};
	pua_req_t *q;

	if(!ev)
		return NULL;
	memset(&p, 0, sizeof(p));
	sb_printf(&h, "Event: %.*s\r\n", LP_STR_FMT(ev->name));
	sb_printf(&h, "Expires: %d\r\n", expires);
	sb_printf(&h, "Contact: <%.*s>\r\n", LP_STR_FMT(r->contact));
	acc = winfo_accept(ev);
	if(acc)
		sb_printf(&h, "Accept: %s\r\n", acc);
	else
		sb_printf(&h, "Accept: %.*s\r\n", LP_STR_FMT(ev->content_type));
	sb_lines(&h, &r->extra_headers);
	if(h.failed) {
		free(h.s);
		return NULL;
	}
	p.ruri = r->remote_contact.len ? r->remote_contact : r->pres_uri;
	p.to = r->pres_uri;
	p.from = r->watcher_uri;
	p.headers.s = h.s;
	p.headers.len = h.len;
	p.next_hop = next_hop_of(r);
	p.call_id = r->call_id;
	p.from_tag = r->from_tag;
	p.to_tag = r->to_tag;
	p.route_set = r->record_route;
	r->req_no++;
	r->cseq++;
	r->req_kind = expires == 0 ? PUA_RK_REMOVE
				  : r->to_tag.len ? PUA_RK_REFRESH
								  : PUA_RK_INITIAL;
	r->req_expires = expires;
	q = req_block(r, &p);
	if(q)
		q->in_dialog = r->to_tag.len > 0;
	free(h.s);
	return q;
}

int pua_req_send(pua_req_t *req)
{
	int rc;

	if(!req)
		return -1;
	rc = pua.send ? pua.send(req) : -1;
	if(rc < 0) {
		pua_reply_t rep;

		LP_ERR("cannot send %s for %.*s",
				req->kind == PUA_PUBL ? "PUBLISH" : "SUBSCRIBE",
				LP_STR_FMT(req->pres_uri));
		memset(&rep, 0, sizeof(rep));
		rep.pres_uri = req->pres_uri;
		rep.serial = req->serial;
		rep.req_no = req->req_no;
		rep.code = 500;
		rep.expires = rep.min_expires = -1;
		pua_on_reply(&rep);
	}
	free(req);
	return rc < 0 ? -1 : 0;
}

/* One element of a comma-separated list of name-addrs: commas inside <>
 * or quotes do not split. Returns the end of the element. */
static const char *rr_elem_end(const char *p, const char *end)
{
	int in_angle = 0, in_quote = 0;

	for(; p < end; p++) {
		if(in_quote) {
			if(*p == '\\' && p + 1 < end)
				p++;
			else if(*p == '"')
				in_quote = 0;
		} else if(*p == '"') {
			in_quote = 1;
		} else if(*p == '<') {
			in_angle = 1;
		} else if(*p == '>') {
			in_angle = 0;
		} else if(*p == ',' && !in_angle) {
			break;
		}
	}
	return p;
}

#define PUA_RR_MAX 32

int pua_rr_reverse(const lp_str_t *rr, char *buf, int size)
{
	lp_str_t el[PUA_RR_MAX];
	const char *p, *end;
	int n = 0, i, len = 0;

	if(!rr || rr->len <= 0)
		return 0;
	p = rr->s;
	end = rr->s + rr->len;
	while(p < end) {
		const char *e = rr_elem_end(p, end);
		if(n == PUA_RR_MAX)
			return -1;
		el[n].s = (char *)p;
		el[n].len = (int)(e - p);
		lp_str_trim(&el[n]);
		if(el[n].len > 0)
			n++;
		p = e < end ? e + 1 : e;
	}
	for(i = n - 1; i >= 0; i--) {
		if(len + el[i].len + 2 > size)
			return -1;
		if(len)
			buf[len++] = ',';
		memcpy(buf + len, el[i].s, el[i].len);
		len += el[i].len;
	}
	buf[len] = '\0';
	return len;
}
