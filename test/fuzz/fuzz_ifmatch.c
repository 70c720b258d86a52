/* libFuzzer target: the SIP-If-Match check (lp_siphdr_etag; untrusted in
 * every PUBLISH that refreshes, modifies or removes). The input is one
 * header value; invariants: an accepted entity-tag is non-empty, lies inside
 * the input, holds no ',' nor blank; -2 (more than one) only when the
 * trimmed value has a ',' or a blank inside; nothing set on an error. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lp_siphdr.h"

static int has_sep(const lp_str_t *t)
{
	int i;

	for(i = 0; i < t->len; i++)
		if(strchr(", \t\r\n", t->s[i]) && t->s[i] != '\0')
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lp_str_t v = {(char *)data, (int)size}, tag, t;
	int rc;

	if(size > 4096)
		return 0;
	rc = lp_siphdr_etag(&v, &tag);
	t = v;
	lp_str_trim(&t);
	if(rc == 0) {
		if(tag.len <= 0 || (const uint8_t *)tag.s < data
				|| (const uint8_t *)tag.s + tag.len > data + size
				|| has_sep(&tag) || memchr(tag.s, '\0', tag.len))
			abort();
	} else if(rc == -2) {
		if(!has_sep(&t) || tag.s || tag.len)
			abort();
	} else if(rc != -1 || tag.s || tag.len) {
		abort();
	}
	return 0;
}
