/* Strict checks of the SIP header fields a presence server acts on (see
 * lp_siphdr.h): Expires, SIP-If-Match, Content-Encoding, the single-valued
 * headers that must not repeat, and a log budget for the rejections. */
#include <string.h>

#include "lp_event.h"
#include "lp_siphdr.h"

/* RFC 3261 token characters. */
static int lp_siphdr_tchar(unsigned char c)
{
	if((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
			|| (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("-.!%*_+`'~", c) != NULL;
}

static int lp_siphdr_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int lp_siphdr_expires(const lp_str_t *v, int *secs)
{
	lp_str_t t;
	long long n = 0;
	int i;

	if(!v || v->len < 0 || (!v->s && v->len > 0))
		return -1;
	t = *v;
	lp_str_trim(&t);
	if(t.len == 0)
		return -1;
	for(i = 0; i < t.len; i++) {
		if(t.s[i] < '0' || t.s[i] > '9')
			return -1;
		if(n < LP_SIPHDR_EXPIRES_MAX) /* stop growing once saturated */
			n = n * 10 + (t.s[i] - '0');
	}
	*secs = n > LP_SIPHDR_EXPIRES_MAX ? LP_SIPHDR_EXPIRES_MAX : (int)n;
	return 0;
}

int lp_siphdr_etag(const lp_str_t *v, lp_str_t *tag)
{
	lp_str_t t;
	int i;

	*tag = LP_STR_NULL;
	if(!v || v->len < 0 || (!v->s && v->len > 0))
		return -1;
	t = *v;
	lp_str_trim(&t);
	if(t.len == 0)
		return -1;
	for(i = 0; i < t.len; i++)
		if(t.s[i] == ',' || lp_siphdr_blank(t.s[i]))
			return -2;
	for(i = 0; i < t.len; i++)
		if(!lp_siphdr_tchar((unsigned char)t.s[i]))
			return -1;
	*tag = t;
	return 0;
}

int lp_siphdr_encoding(const lp_str_t *v)
{
	const char *p, *end, *comma;
	lp_str_t item;
	int i, rc = 0;

	if(!v || v->len < 0 || (!v->s && v->len > 0))
		return -1;
	p = v->s;
	end = v->s + v->len;
	do {
		comma = p ? memchr(p, ',', end - p) : NULL;
		item.s = (char *)p;
		item.len = p ? (int)((comma ? comma : end) - p) : 0;
		lp_str_trim(&item);
		if(item.len == 0)
			return -1;
		for(i = 0; i < item.len; i++)
			if(!lp_siphdr_tchar((unsigned char)item.s[i]))
				return -1;
		if(!lp_str_caseeq(&item, &LP_STR("identity")))
			rc = 1;
		p = comma ? comma + 1 : end;
	} while(comma);
	return rc;
}

static int lp_siphdr_fail(
		lp_siphdr_out_t *out, int code, const char *reason, const char *why)
{
	out->code = code;
	out->reason = reason;
	out->why = why;
	return code;
}

/* The Event value, when present: well-formed and its id within the limit.
 * NULL, or what is wrong. */
static const char *lp_siphdr_event(const lp_siphdr_in_t *in)
{
	lp_event_hdr_t h;

	if(in->count[LP_SH_EVENT] == 0)
		return NULL; /* the caller's logic answers 489 */
	if(lp_event_parse(&in->value[LP_SH_EVENT], &h) < 0)
		return "malformed or overlong Event header";
	if(in->event_id_max > 0 && h.id.len > in->event_id_max)
		return "Event id parameter too long";
	return NULL;
}

static const char *const lp_siphdr_single_why[LP_SH_CENC] = {
		"repeated Expires header", "repeated Event header",
		"repeated SIP-If-Match header", "repeated Content-Type header",
		"repeated Content-Length header"};

int lp_siphdr_check(const lp_siphdr_in_t *in, lp_siphdr_out_t *out)
{
	const char *why;
	int f, rc;

	memset(out, 0, sizeof(*out));
	out->expires = LP_SIPHDR_EXPIRES_NONE;
	if(in->framing_error)
		return lp_siphdr_fail(out, 400, "Bad Request",
				"body shorter than its Content-Length");
	for(f = 0; f < LP_SH_CENC; f++)
		if(in->count[f] > 1)
			return lp_siphdr_fail(
					out, 400, "Bad Request", lp_siphdr_single_why[f]);
	if(in->count[LP_SH_EXPIRES]
			&& lp_siphdr_expires(&in->value[LP_SH_EXPIRES], &out->expires) < 0)
		return lp_siphdr_fail(out, 400, "Bad Expires", "malformed Expires");
	why = lp_siphdr_event(in);
	if(why)
		return lp_siphdr_fail(out, 400, "Bad Event Header", why);
	if(in->count[LP_SH_IFMATCH]) {
		rc = lp_siphdr_etag(&in->value[LP_SH_IFMATCH], &out->etag);
		if(rc < 0)
			return lp_siphdr_fail(out, 400, "Bad SIP-If-Match",
					rc == -2 ? "more than one entity-tag in SIP-If-Match"
							 : "malformed SIP-If-Match");
	}
	if(in->count[LP_SH_CENC]) {
		rc = lp_siphdr_encoding(&in->value[LP_SH_CENC]);
		if(rc < 0)
			return lp_siphdr_fail(out, 400, "Bad Content-Encoding",
					"malformed Content-Encoding");
		if(rc > 0)
			return lp_siphdr_fail(out, 415, "Unsupported Media Type",
					"unsupported Content-Encoding");
	}
	return 0;
}

/* ---- Accept (RFC 3261 s20.1, s25.1) ---- */

typedef struct lp_siphdr_cur {
	const char *p, *end;
} lp_siphdr_cur_t;

static void cur_ws(lp_siphdr_cur_t *c)
{
	while(c->p < c->end && lp_siphdr_blank(*c->p))
		c->p++;
}

/* A token (at least one character) after optional blanks. */
static int cur_token(lp_siphdr_cur_t *c, lp_str_t *t)
{
	cur_ws(c);
	t->s = (char *)c->p;
	while(c->p < c->end && lp_siphdr_tchar((unsigned char)*c->p))
		c->p++;
	t->len = (int)(c->p - t->s);
	return t->len > 0 ? 0 : -1;
}

/* A quoted string ('"' already next), backslash escapes included. */
static int cur_quoted(lp_siphdr_cur_t *c)
{
	for(c->p++; c->p < c->end; c->p++) {
		if(*c->p == '"') {
			c->p++;
			return 0;
		}
		if(*c->p == '\\' && ++c->p == c->end)
			return -1;
		if(*c->p == '\0')
			return -1;
	}
	return -1;
}

static int cur_eat(lp_siphdr_cur_t *c, char ch)
{
	cur_ws(c);
	if(c->p < c->end && *c->p == ch) {
		c->p++;
		return 1;
	}
	return 0;
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) */
static int qvalue(const lp_str_t *v, int *q)
{
	int i, scale = 100;

	if(v->len < 1 || v->len > 5 || (v->s[0] != '0' && v->s[0] != '1'))
		return -1;
	*q = v->s[0] == '1' ? 1000 : 0;
	if(v->len == 1)
		return 0;
	if(v->s[1] != '.')
		return -1;
	for(i = 2; i < v->len; i++, scale /= 10) {
		if(v->s[i] < '0' || v->s[i] > '9' || (*q == 1000 && v->s[i] != '0'))
			return -1;
		*q += (v->s[i] - '0') * scale;
	}
	return 0;
}

/* One parameter after its ';': name [= token / quoted-string]; q kept. */
static int accept_param(lp_siphdr_cur_t *c, int *q)
{
	lp_str_t name, val;
	int is_q;

	if(cur_token(c, &name) < 0)
		return -1;
	is_q = lp_str_caseeq(&name, &LP_STR("q"));
	if(!cur_eat(c, '='))
		return is_q ? -1 : 0;
	cur_ws(c);
	if(c->p < c->end && *c->p == '"')
		return is_q ? -1 : cur_quoted(c);
	if(cur_token(c, &val) < 0)
		return -1;
	return is_q ? qvalue(&val, q) : 0;
}

static int accept_range(lp_siphdr_cur_t *c, lp_siphdr_mrange_t *r)
{
	r->q = 1000;
	if(cur_token(c, &r->type) < 0 || !cur_eat(c, '/')
			|| cur_token(c, &r->subtype) < 0)
		return -1;
	if(lp_str_eq(&r->type, &LP_STR("*"))
			&& !lp_str_eq(&r->subtype, &LP_STR("*")))
		return -1;
	while(cur_eat(c, ';'))
		if(accept_param(c, &r->q) < 0)
			return -1;
	cur_ws(c);
	return 0;
}

int lp_siphdr_accept_parse(const lp_str_t *v, lp_siphdr_accept_t *a)
{
	lp_siphdr_cur_t c;

	a->n = 0;
	if(!v || v->len < 0 || (!v->s && v->len > 0))
		return -1;
	c.p = v->s;
	c.end = v->s + v->len;
	cur_ws(&c);
	if(c.p == c.end)
		return 0; /* empty: nothing acceptable */
	do {
		if(a->n == LP_SIPHDR_ACCEPT_MAX
				|| accept_range(&c, &a->r[a->n]) < 0) {
			a->n = 0;
			return -1;
		}
		a->n++;
	} while(cur_eat(&c, ','));
	if(c.p != c.end) {
		a->n = 0;
		return -1;
	}
	return 0;
}

int lp_siphdr_accept_takes(const lp_siphdr_accept_t *a, const lp_str_t *ctype)
{
	lp_siphdr_cur_t c = {ctype->s, ctype->s + ctype->len};
	lp_str_t type, sub;
	int i, spec, best = 0, q = 0;

	if(cur_token(&c, &type) < 0 || !cur_eat(&c, '/')
			|| cur_token(&c, &sub) < 0)
		return 0;
	for(i = 0; i < a->n; i++) {
		const lp_siphdr_mrange_t *r = &a->r[i];
		if(lp_str_eq(&r->type, &LP_STR("*")))
			spec = 1;
		else if(!lp_str_caseeq(&r->type, &type))
			continue;
		else if(lp_str_eq(&r->subtype, &LP_STR("*")))
			spec = 2;
		else if(lp_str_caseeq(&r->subtype, &sub))
			spec = 3;
		else
			continue;
		if(spec > best || (spec == best && r->q > q)) {
			best = spec;
			q = r->q;
		}
	}
	return q > 0;
}
