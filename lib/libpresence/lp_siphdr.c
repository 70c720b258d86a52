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
