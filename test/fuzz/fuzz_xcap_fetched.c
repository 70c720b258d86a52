/* libFuzzer target for what presence_xml parses of a document fetched from
 * an XCAP server (libcurl parses the HTTP framing itself): the header
 * lines, for the ETag it keeps and sends back as If-None-Match, and the
 * body, a pres-rules document that is evaluated and applied as an
 * authorization would, and checked as a PIDF. The input is the header
 * block, a blank line ("\r\n\r\n" or "\n\n"), then the body. The ETag kept
 * must be a clean header value (no CR, LF, NUL) that fits its buffer.
 * Seed corpus: test/fuzz/corpus/xcap_fetched/. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pxml_http.h"
#include "pxml_pidf.h"
#include "pxml_rules.h"

static const char pidf[] =
		"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:a@x\">"
		"<tuple id=\"t\"><status><basic>open</basic></status>"
		"<note>n</note></tuple></presence>";

static void headers(const char *p, const char *end)
{
	char etag[PXML_HTTP_ETAG_MAX] = "";
	const char *nl;
	size_t n;

	while(p < end) {
		nl = memchr(p, '\n', end - p);
		n = nl ? (size_t)(nl - p + 1) : (size_t)(end - p);
		if(pxml_http_etag_line(p, n, etag, sizeof(etag))
				&& (strlen(etag) >= sizeof(etag) || strpbrk(etag, "\r\n")))
			abort();
		p += n;
	}
}

static void body(const char *p, int len)
{
	lp_str_t doc = {(char *)p, len}, w = LP_STR("sip:bob@example.org");
	lp_str_t in = LP_STR(pidf), out = LP_STR_NULL;
	pxml_rules_result_t r;
	const char *why;

	if(pxml_rules_evaluate(&doc, &w, NULL, 1590969600, &r) == 0) {
		if(pxml_rules_filter(&in, &r, &out) != 0)
			abort();
		free(out.s);
	} else if(r.matched) {
		abort(); /* a refused document grants nothing */
	}
	pxml_rules_result_free(&r);
	(void)pxml_pidf_check(p, len, &why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *d = (const char *)data, *sep;
	size_t hl, skip;

	if(size > 1 << 20)
		return 0;
	sep = memmem(d, size, "\r\n\r\n", 4);
	skip = 4;
	if(!sep) {
		sep = memmem(d, size, "\n\n", 2);
		skip = 2;
	}
	hl = sep ? (size_t)(sep - d) : size;
	headers(d, d + hl);
	if(sep)
		body(sep + skip, (int)(size - hl - skip));
	return 0;
}
