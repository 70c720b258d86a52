/* libFuzzer target: the Expires value parser (lp_siphdr_expires; every
 * PUBLISH and SUBSCRIBE carries one). The input is one Expires value;
 * invariants: success only for blanks around 1*DIGIT, the value is never
 * negative and never above LP_SIPHDR_EXPIRES_MAX, equals the number when it
 * is below that and saturates to it otherwise (never wraps). */
#include <stdint.h>
#include <stdlib.h>

#include "lp_siphdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lp_str_t v = {(char *)data, (int)size}, t;
	unsigned long long n = 0;
	int secs = -5, rc, i, sat = 0;

	if(size > 4096)
		return 0;
	rc = lp_siphdr_expires(&v, &secs);
	t = v;
	lp_str_trim(&t);
	for(i = 0; i < t.len; i++) {
		if(t.s[i] < '0' || t.s[i] > '9') {
			if(rc != -1 || secs != -5)
				abort(); /* accepted a non-digit, or wrote on error */
			return 0;
		}
		if(!sat) {
			n = n * 10 + (unsigned long long)(t.s[i] - '0');
			sat = n >= LP_SIPHDR_EXPIRES_MAX;
		}
	}
	if(t.len == 0)
		return rc == -1 ? 0 : (abort(), 0);
	if(rc != 0 || secs < 0)
		abort();
	if(sat ? secs != LP_SIPHDR_EXPIRES_MAX : (unsigned long long)secs != n)
		abort();
	return 0;
}
