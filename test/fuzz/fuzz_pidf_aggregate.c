/* libFuzzer target: pxml_pidf_aggregate over the input split into bodies;
 * a result must itself be a PIDF document pxml_pidf_check accepts. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_split.h"
#include "pxml_agg.h"
#include "pxml_pidf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lp_str_t parts[FUZZ_MAX_PARTS], *v[FUZZ_MAX_PARTS], out;
	const char *why;
	int n, i;

	if(size > 2 * PXML_MAX_BODY)
		return 0;
	n = fuzz_split((const char *)data, size, parts);
	for(i = 0; i < n; i++)
		v[i] = &parts[i];
	if(pxml_pidf_aggregate(v, n, "sip:alice@example.com", &out) == 0) {
		if(out.len <= PXML_MAX_BODY
				&& pxml_pidf_check(out.s, out.len, &why) != 0)
			abort(); /* an aggregate that does not parse again */
		free(out.s);
	}
	return 0;
}
