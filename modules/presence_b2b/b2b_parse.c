/* presence_b2b parsing helpers that need no SIP stack: the
 * Subscription-State value of a NOTIFY, the basic status and note of a PIDF
 * body (shown by presence_b2b.list), random tokens for tags and Call-IDs. */
#include <stdio.h>
#include <string.h>

#include "b2b_logic.h"

static lp_str_t next_part(lp_str_t *rest)
{
	lp_str_t part = *rest;
	char *semi = memchr(rest->s, ';', rest->len);

	if(semi) {
		part.len = (int)(semi - rest->s);
		rest->s = semi + 1;
		rest->len -= part.len + 1;
	} else {
		rest->s += rest->len;
		rest->len = 0;
	}
	lp_str_trim(&part);
	return part;
}

static int parse_state(const lp_str_t *v, lp_qstate_t *st)
{
	if(lp_str_caseeq(v, &LP_STR("active")))
		*st = LP_QSTATE_ACTIVE;
	else if(lp_str_caseeq(v, &LP_STR("pending")))
		*st = LP_QSTATE_PENDING;
	else if(lp_str_caseeq(v, &LP_STR("terminated")))
		*st = LP_QSTATE_TERMINATED;
	else
		return -1;
	return 0;
}

static int parse_uint(const lp_str_t *v, int *out)
{
	long n = 0;
	int i;

	if(v->len <= 0 || v->len > 10)
		return -1;
	for(i = 0; i < v->len; i++) {
		if(v->s[i] < '0' || v->s[i] > '9')
			return -1;
		n = n * 10 + (v->s[i] - '0');
	}
	if(n > 0x7fffffff)
		return -1;
	*out = (int)n;
	return 0;
}

/* One "name=value" parameter of Subscription-State. */
static int parse_param(lp_str_t *p, pb2b_substate_t *out)
{
	char *eq = memchr(p->s, '=', p->len);
	lp_str_t name = *p, value = LP_STR_NULL;

	if(eq) {
		name.len = (int)(eq - p->s);
		value.s = eq + 1;
		value.len = p->len - name.len - 1;
		lp_str_trim(&name);
		lp_str_trim(&value);
	}
	if(lp_str_caseeq(&name, &LP_STR("expires")))
		return parse_uint(&value, &out->expires);
	/* saturating: a huge value is a long wait, not a malformed header;
	 * an unreadable one is ignored */
	if(lp_str_caseeq(&name, &LP_STR("retry-after"))) {
		out->retry_after = pb2b_delta_parse(&value);
		return 0;
	}
	if(lp_str_caseeq(&name, &LP_STR("reason")))
		out->reason = value;
	return 0;
}

int pb2b_substate_parse(const lp_str_t *value, pb2b_substate_t *out)
{
	lp_str_t rest = *value, part;

	memset(out, 0, sizeof(*out));
	out->expires = -1;
	out->retry_after = -1;
	if(!rest.s)
		return -1;
	part = next_part(&rest);
	if(parse_state(&part, &out->state) < 0)
		return -1;
	while(rest.len > 0) {
		part = next_part(&rest);
		if(part.len && parse_param(&part, out) < 0)
			return -1;
	}
	return 0;
}

/* Position just after the start tag <[prefix:]name ...> in doc from pos,
 * or -1. */
static int find_start_tag(const lp_str_t *doc, int pos, const char *name)
{
	int nlen = (int)strlen(name), i, j;

	for(i = pos; i < doc->len; i++) {
		if(doc->s[i] != '<')
			continue;
		for(j = i + 1; j < doc->len && doc->s[j] != '>' && doc->s[j] != ' '
						&& doc->s[j] != '/';
				j++)
			;
		/* tag name is doc->s[i+1 .. j) ; compare its local part */
		if(j - (i + 1) >= nlen && memcmp(doc->s + j - nlen, name, nlen) == 0
				&& (j - nlen == i + 1 || doc->s[j - nlen - 1] == ':')) {
			while(j < doc->len && doc->s[j] != '>')
				j++;
			if(j < doc->len && doc->s[j - 1] != '/')
				return j + 1;
		}
	}
	return -1;
}

lp_str_t pb2b_pidf_element(const lp_str_t *doc, const char *local_name)
{
	lp_str_t r = LP_STR_NULL;
	int start;
	char *end;

	if(!doc->s || doc->len <= 0)
		return r;
	start = find_start_tag(doc, 0, local_name);
	if(start < 0)
		return r;
	end = memchr(doc->s + start, '<', doc->len - start);
	if(!end)
		return r;
	r.s = doc->s + start;
	r.len = (int)(end - r.s);
	lp_str_trim(&r);
	return r;
}

int pb2b_delta_parse(const lp_str_t *value)
{
	long long v = 0;
	int i = 0;

	if(!value->s)
		return -1;
	while(i < value->len && (value->s[i] == ' ' || value->s[i] == '\t'))
		i++;
	if(i == value->len || value->s[i] < '0' || value->s[i] > '9')
		return -1;
	for(; i < value->len && value->s[i] >= '0' && value->s[i] <= '9'; i++)
		if(v <= 0x7fffffffLL)
			v = v * 10 + (value->s[i] - '0');
	if(i < value->len && value->s[i] != ' ' && value->s[i] != '\t'
			&& value->s[i] != ';' && value->s[i] != '(' && value->s[i] != '\r')
		return -1;
	return v > 0x7fffffffLL ? 0x7fffffff : (int)v;
}

void pb2b_token(char *buf, unsigned int (*rnd)(void))
{
	unsigned int i;

	for(i = 0; i < PB2B_TOKEN_LEN / 8; i++)
		snprintf(buf + 8 * i, 9, "%08x", rnd() & 0xffffffffu);
}

int pb2b_dialog_sizes_ok(const lp_str_t *rtag, const lp_str_t *target,
		const lp_str_t *route)
{
	return rtag->len <= PB2B_RTAG_MAX && target->len <= PB2B_TARGET_MAX
		   && route->len <= PB2B_ROUTE_MAX;
}

const char *pb2b_dstate_name(pb2b_dstate_t s)
{
	switch(s) {
		case PB2B_IDLE:
			return "idle";
		case PB2B_SENT:
			return "unconfirmed";
		case PB2B_EARLY:
			return "early";
		case PB2B_CONFIRMED:
			return "confirmed";
		case PB2B_TERMINATING:
			return "terminating";
	}
	return "unknown";
}
