/* libFuzzer target: pxml_check_basic and pxml_check_activities. The first
 * line of the input is the status / activity argument, the rest the PIDF
 * body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pxml_check.h"
#include "pxml_pidf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl;
	lp_str_t arg, body;
	int rb, ra;

	if(size > 2 * PXML_MAX_BODY)
		return 0;
	nl = memchr(data, '\n', size);
	if(!nl)
		return 0;
	arg = (lp_str_t){(char *)data, (int)(nl - (const char *)data)};
	body = (lp_str_t){(char *)nl + 1, (int)(size - (arg.len + 1))};
	rb = pxml_check_basic(&body, &arg);
	ra = pxml_check_activities(&body, &arg);
	if((rb != 1 && rb != -1) || ra < -2 || ra > 1 || ra == 0)
		abort();
	return 0;
}
