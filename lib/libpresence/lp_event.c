/* Event packages: a parser for the Event header value (RFC 6665 section 7.2.1
 * grammar with RFC 3261 tokens and quoted-strings), the RFC 6665 section
 * 8.2.1 comparison of two Event values, and the registry of packages a
 * server handles. The parser never allocates: every lp_str_t it fills
 * points into the text it was given. A registered entry and its copy of the
 * name live in one lp_malloc block, so the registry can live in shared
 * memory and one lp_free releases an entry. */
#include <string.h>

#include "lp_event.h"
#include "lp_log.h"
#include "lp_mem.h"

/* Longest Event value accepted (after trimming). Real values are a few dozen
 * bytes; the limit keeps hostile input from being carried into the
 * subscription tables. */
#define LP_EVENT_MAX_LEN 1024

static const lp_str_t lp_event_id_name = {(char *)"id", 2};

/* RFC 3261 token characters; "." is left out when `nodot` (RFC 6665
 * token-nodot, which the package and template names use). */
static int lp_event_is_tchar(unsigned char c, int nodot)
{
	if((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
			|| (c >= '0' && c <= '9'))
		return 1;
	if(c == '.')
		return !nodot;
	return c != '\0' && strchr("-!%*_+`'~", c) != NULL;
}

static const char *lp_event_skip_blanks(const char *p, const char *end)
{
	while(p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static const char *lp_event_scan_token(
		const char *p, const char *end, int nodot)
{
	while(p < end && lp_event_is_tchar((unsigned char)*p, nodot))
		p++;
	return p;
}

/* A quoted-string starting at p (on the opening quote). Returns the end
 * (past the closing quote), or NULL when unterminated or when it holds a
 * control character other than HTAB (CR and LF included: the SIP parser
 * unfolds header lines before we see them). */
static const char *lp_event_scan_quoted(const char *p, const char *end)
{
	unsigned char c;

	for(p++; p < end; p++) {
		c = (unsigned char)*p;
		if(c == '"')
			return p + 1;
		if(c == '\\') {
			if(++p == end)
				return NULL;
			c = (unsigned char)*p;
		}
		if((c < 0x20 && c != '\t') || c == 0x7f)
			return NULL;
	}
	return NULL;
}

/* event-type = token-nodot *("." token-nodot). Returns the end, or NULL. */
static const char *lp_event_parse_name(
		const char *p, const char *end, lp_event_hdr_t *out)
{
	const char *start = p, *q;

	for(;;) {
		q = lp_event_scan_token(p, end, 1);
		if(q == p)
			return NULL;
		if(p == start)
			out->package = (lp_str_t){(char *)start, (int)(q - start)};
		p = q;
		if(p == end || *p != '.')
			break;
		p++;
	}
	out->name = (lp_str_t){(char *)start, (int)(p - start)};
	return p;
}

static int lp_event_add_param(lp_event_hdr_t *out, const lp_event_param_t *prm)
{
	int i, is_id;

	if(out->nparams >= LP_EVENT_MAX_PARAMS)
		return -1;
	is_id = lp_str_caseeq(&prm->name, &lp_event_id_name);
	if(is_id && prm->value.s == NULL) /* RFC 6665: "id" EQUAL token */
		return -1;
	/* a repeated name would make the id, or an identity parameter,
	 * ambiguous */
	for(i = 0; i < out->nparams; i++)
		if(lp_str_caseeq(&out->params[i].name, &prm->name))
			return -1;
	out->params[out->nparams++] = *prm;
	if(is_id)
		out->id = prm->value;
	return 0;
}

/* One ";name[=value]" starting at p (on the ';'). Returns the end, or NULL. */
static const char *lp_event_parse_param(
		const char *p, const char *end, lp_event_hdr_t *out)
{
	lp_event_param_t prm = {LP_STR_NULL, LP_STR_NULL};
	const char *q;

	p = lp_event_skip_blanks(p + 1, end);
	q = lp_event_scan_token(p, end, 0);
	if(q == p)
		return NULL;
	prm.name = (lp_str_t){(char *)p, (int)(q - p)};
	p = lp_event_skip_blanks(q, end);
	if(p < end && *p == '=') {
		p = lp_event_skip_blanks(p + 1, end);
		if(p < end && *p == '"')
			q = lp_event_scan_quoted(p, end);
		else
			q = lp_event_scan_token(p, end, 0);
		if(q == NULL || q == p)
			return NULL;
		prm.value = (lp_str_t){(char *)p, (int)(q - p)};
		p = q;
	}
	if(lp_event_add_param(out, &prm) < 0)
		return NULL;
	return p;
}

int lp_event_parse(const lp_str_t *value, lp_event_hdr_t *out)
{
	lp_str_t v;
	const char *p, *end;

	if(value == NULL || out == NULL || value->len < 0
			|| (value->s == NULL && value->len > 0))
		return -1;
	memset(out, 0, sizeof(*out));
	v = *value;
	lp_str_trim(&v);
	if(v.len == 0 || v.len > LP_EVENT_MAX_LEN)
		return -1;
	end = v.s + v.len;
	p = lp_event_parse_name(v.s, end, out);
	while(p != NULL) {
		p = lp_event_skip_blanks(p, end);
		if(p == end)
			return 0;
		if(*p != ';')
			return -1;
		p = lp_event_parse_param(p, end, out);
	}
	return -1;
}

int lp_event_same(const lp_event_hdr_t *a, const lp_event_hdr_t *b)
{
	/* RFC 6665 8.2.1: event-type and id compared byte by byte; an Event
	 * with an id never matches one without. */
	if(!lp_str_eq(&a->name, &b->name))
		return 0;
	if((a->id.s == NULL) != (b->id.s == NULL))
		return 0;
	return lp_str_eq(&a->id, &b->id);
}

const lp_event_param_t *lp_event_get_param(
		const lp_event_hdr_t *h, const lp_str_t *name)
{
	int i;

	for(i = 0; i < h->nparams; i++)
		if(lp_str_caseeq(&h->params[i].name, name))
			return &h->params[i];
	return NULL;
}

static int lp_event_is_id(const lp_event_param_t *prm)
{
	return lp_str_caseeq(&prm->name, &lp_event_id_name);
}

/* Parameters of `reg` other than id. */
static int lp_event_identity_count(const lp_event_hdr_t *reg)
{
	int i, n = 0;

	for(i = 0; i < reg->nparams; i++)
		if(!lp_event_is_id(&reg->params[i]))
			n++;
	return n;
}

/* 1 when every identity parameter of `reg` is in `hdr` with the same value
 * (a flag parameter only matches a flag). */
static int lp_event_identity_in(
		const lp_event_hdr_t *reg, const lp_event_hdr_t *hdr)
{
	const lp_event_param_t *hp;
	int i;

	for(i = 0; i < reg->nparams; i++) {
		if(lp_event_is_id(&reg->params[i]))
			continue;
		hp = lp_event_get_param(hdr, &reg->params[i].name);
		if(hp == NULL
				|| (hp->value.s == NULL) != (reg->params[i].value.s == NULL)
				|| !lp_str_eq(&hp->value, &reg->params[i].value))
			return 0;
	}
	return 1;
}

static int lp_event_same_identity(
		const lp_event_hdr_t *a, const lp_event_hdr_t *b)
{
	return lp_str_eq(&a->name, &b->name)
		   && lp_event_identity_count(a) == lp_event_identity_count(b)
		   && lp_event_identity_in(a, b) && lp_event_identity_in(b, a);
}

lp_event_t *lp_event_register(
		lp_event_registry_t *reg, const lp_str_t *name, void *data)
{
	lp_event_hdr_t probe;
	lp_event_t *ev, **tail;
	lp_str_t n;

	if(reg == NULL || name == NULL)
		return NULL;
	/* an id names one subscription, never a package */
	if(lp_event_parse(name, &probe) < 0 || probe.id.s != NULL) {
		LP_ERR("event: cannot register malformed event '%.*s'",
				LP_STR_FMT(*name));
		return NULL;
	}
	for(tail = &reg->first; *tail; tail = &(*tail)->next) {
		if(lp_event_same_identity(&(*tail)->parsed, &probe)) {
			LP_ERR("event: '%.*s' is already registered",
					LP_STR_FMT(*name));
			return NULL;
		}
	}
	n = *name;
	lp_str_trim(&n);
	ev = lp_malloc(sizeof(*ev) + n.len + 1);
	if(ev == NULL) {
		LP_ERR("event: out of memory registering '%.*s'", LP_STR_FMT(n));
		return NULL;
	}
	ev->name.s = (char *)(ev + 1);
	ev->name.len = n.len;
	memcpy(ev->name.s, n.s, n.len);
	ev->name.s[n.len] = '\0';
	/* parsed above already; parsing the copy re-points the fields into it */
	(void)lp_event_parse(&ev->name, &ev->parsed);
	ev->data = data;
	ev->next = NULL;
	*tail = ev;
	reg->count++;
	return ev;
}

lp_event_t *lp_event_lookup(
		const lp_event_registry_t *reg, const lp_event_hdr_t *hdr)
{
	lp_event_t *ev, *best = NULL;
	int n, best_n = -1;

	if(reg == NULL || hdr == NULL)
		return NULL;
	for(ev = reg->first; ev; ev = ev->next) {
		if(!lp_str_eq(&ev->parsed.name, &hdr->name)
				|| !lp_event_identity_in(&ev->parsed, hdr))
			continue;
		n = lp_event_identity_count(&ev->parsed);
		if(n > best_n) {
			best = ev;
			best_n = n;
		}
	}
	return best;
}

int lp_event_allow_list(const lp_event_registry_t *reg, char *buf, int size)
{
	const lp_event_t *ev;
	int len = 0, sep;

	if(reg == NULL || buf == NULL || size <= 0)
		return -1;
	for(ev = reg->first; ev; ev = ev->next) {
		sep = len > 0 ? 2 : 0;
		/* room for the separator, the name and the closing NUL */
		if(sep + ev->name.len >= size - len)
			return -1;
		memcpy(buf + len, ", ", sep);
		memcpy(buf + len + sep, ev->name.s, ev->name.len);
		len += sep + ev->name.len;
	}
	buf[len] = '\0';
	return len;
}

void lp_event_registry_free(lp_event_registry_t *reg)
{
	lp_event_t *ev, *next;

	if(reg == NULL)
		return;
	for(ev = reg->first; ev; ev = next) {
		next = ev->next;
		lp_free(ev);
	}
	reg->first = NULL;
	reg->count = 0;
}
