/* Splits a fuzz input into up to four bodies at the byte sequence "\n--\n"
 * so one input exercises aggregation of several publications. */
#ifndef FUZZ_SPLIT_H
#define FUZZ_SPLIT_H

#include <stddef.h>
#include <string.h>

#include "lp_str.h"

#define FUZZ_MAX_PARTS 4

static int fuzz_split(const char *data, size_t size, lp_str_t *parts)
{
	static const char sep[] = "\n--\n";
	const char *p = data, *end = data + size, *q;
	int n = 0;

	while(n < FUZZ_MAX_PARTS - 1
			&& (q = memmem(p, end - p, sep, sizeof(sep) - 1)) != NULL) {
		parts[n].s = (char *)p;
		parts[n++].len = (int)(q - p);
		p = q + sizeof(sep) - 1;
	}
	parts[n].s = (char *)p;
	parts[n++].len = (int)(end - p);
	return n;
}

#endif
