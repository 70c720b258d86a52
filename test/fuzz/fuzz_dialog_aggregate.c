/* libFuzzer target: pxml_dialog_aggregate over the input split into bodies,
 * then pxml_dialog_set_version on the result and on the raw input. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_split.h"
#include "pxml_dialog.h"
#include "lp_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lp_str_t parts[FUZZ_MAX_PARTS], *v[FUZZ_MAX_PARTS], out, ver;
	lp_str_t raw = {(char *)data, (int)size};
	int n, i;

	if(size > 2 * LP_XML_MAX_BODY)
		return 0;
	n = fuzz_split((const char *)data, size, parts);
	for(i = 0; i < n; i++)
		v[i] = &parts[i];
	if(pxml_dialog_aggregate(v, n, "sip:line@example.com", &out) == 0) {
		if(out.len <= LP_XML_MAX_BODY) {
			if(pxml_dialog_set_version(&out, 12345, &ver) != 0)
				abort(); /* an aggregate that does not parse again */
			free(ver.s);
		}
		free(out.s);
	}
	if(pxml_dialog_set_version(&raw, 7, &ver) == 0)
		free(ver.s);
	return 0;
}
