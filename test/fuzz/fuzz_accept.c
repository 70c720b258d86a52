/* libFuzzer target: the Accept parser (lp_siphdr_accept_parse and
 * lp_siphdr_accept_takes; untrusted in every SUBSCRIBE). The input is one
 * header value; invariants: on success every range lies inside the input,
 * type and subtype are non-empty, q is 0..1000, at most
 * LP_SIPHDR_ACCEPT_MAX ranges, and a wildcard type has a wildcard subtype;
 * on failure the list is empty; takes() answers 0 or 1 and never takes a
 * type from an empty list. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lp_siphdr.h"

static int inside(const lp_str_t *t, const uint8_t *data, size_t size)
{
	return t->len > 0 && (const uint8_t *)t->s >= data
		   && (const uint8_t *)t->s + t->len <= data + size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lp_str_t v = {(char *)data, (int)size};
	lp_str_t pidf = LP_STR("application/pidf+xml");
	lp_siphdr_accept_t a;
	int i, rc, t;

	if(size > 4096)
		return 0;
	rc = lp_siphdr_accept_parse(&v, &a);
	if(rc != 0 && (rc != -1 || a.n != 0))
		abort();
	if(a.n < 0 || a.n > LP_SIPHDR_ACCEPT_MAX)
		abort();
	for(i = 0; i < a.n; i++) {
		const lp_siphdr_mrange_t *r = &a.r[i];
		if(!inside(&r->type, data, size) || !inside(&r->subtype, data, size)
				|| r->q < 0 || r->q > 1000)
			abort();
		if(r->type.len == 1 && r->type.s[0] == '*'
				&& !(r->subtype.len == 1 && r->subtype.s[0] == '*'))
			abort();
	}
	t = lp_siphdr_accept_takes(&a, &pidf);
	if(t != 0 && t != 1)
		abort();
	if(a.n == 0 && t)
		abort();
	/* the input as a content type, against a list that takes anything */
	v = LP_STR("*/*");
	if(lp_siphdr_accept_parse(&v, &a) != 0 || a.n != 1)
		abort();
	v.s = (char *)data;
	v.len = (int)size;
	t = lp_siphdr_accept_takes(&a, &v);
	if(t != 0 && t != 1)
		abort();
	return 0;
}
