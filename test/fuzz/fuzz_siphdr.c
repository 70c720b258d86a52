/* libFuzzer target: lp_siphdr_check, the whole strict header judgement of
 * a PUBLISH or SUBSCRIBE. The input is split at "\n--\n" into the values of
 * Expires, Event, SIP-If-Match and Content-Encoding; its first byte gives
 * the header counts (a repeat, an absence) and the Event id limit.
 * Invariants: the code is 0, 400 or 415 with a reason and a log text for
 * an error; a well-formed result's expires is in range and its entity-tag
 * lies inside the input. */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_split.h"
#include "lp_siphdr.h"

static const int fields[FUZZ_MAX_PARTS] = {
		LP_SH_EXPIRES, LP_SH_EVENT, LP_SH_IFMATCH, LP_SH_CENC};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lp_str_t parts[FUZZ_MAX_PARTS];
	lp_siphdr_in_t in;
	lp_siphdr_out_t out;
	int n, i, rc;

	if(size < 1 || size > 8192)
		return 0;
	memset(&in, 0, sizeof(in));
	n = fuzz_split((const char *)data + 1, size - 1, parts);
	for(i = 0; i < n; i++) {
		in.count[fields[i]] = (data[0] >> (2 * i)) & 3;
		in.value[fields[i]] = parts[i];
	}
	in.event_id_max = (data[0] & 0x80) ? LP_SIPHDR_EVENT_ID_MAX : 0;
	rc = lp_siphdr_check(&in, &out);
	if(rc != out.code || (rc != 0 && rc != 400 && rc != 415))
		abort();
	if(rc && (!out.reason || !out.why))
		abort();
	if(rc == 0) {
		if(out.expires < LP_SIPHDR_EXPIRES_NONE)
			abort();
		if(out.etag.len
				&& ((const uint8_t *)out.etag.s < data
						|| (const uint8_t *)out.etag.s + out.etag.len
								   > data + size))
			abort();
	}
	return 0;
}
