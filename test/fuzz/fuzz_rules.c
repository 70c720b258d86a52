/* libFuzzer target for the pres-rules evaluator: the input is a rules
 * document, evaluated for a fixed watcher, sphere and time; the result is
 * then applied to a fixed PIDF document with every kind of component and
 * attribute, and the output must itself be a PIDF document the filter
 * accepts. Seed corpus: test/fuzz/corpus/rules/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pxml_rules.h"

static const char pidf[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\""
		" xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\""
		" xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\""
		" xmlns:foo=\"urn:vendor-specific:foo-namespace\""
		" entity=\"pres:alice@example.com\">"
		"<tuple id=\"t-sip\"><status><basic>open</basic><foo:busy/></status>"
		"<dm:deviceID>mac:1</dm:deviceID><rpid:class>work</rpid:class>"
		"<contact>sip:alice@pc.example.com</contact><note>n</note>"
		"<timestamp>2008-01-01T10:00:00Z</timestamp></tuple>"
		"<tuple id=\"t-mail\"><status><basic>closed</basic></status>"
		"<contact>mailto:alice@example.com</contact></tuple>"
		"<dm:person id=\"p1\"><rpid:activities><rpid:meeting/>"
		"</rpid:activities><rpid:mood><rpid:happy/></rpid:mood>"
		"<rpid:place-type><rpid:office/></rpid:place-type>"
		"<rpid:sphere><rpid:work/></rpid:sphere>"
		"<rpid:user-input idle-threshold=\"600\" last-input="
		"\"2008-01-01T09:50:00Z\">idle</rpid:user-input>"
		"<foo:foo>x</foo:foo><dm:note>n</dm:note><!-- c --></dm:person>"
		"<dm:device id=\"d1\"><rpid:class>desk</rpid:class>"
		"<dm:deviceID>mac:1</dm:deviceID><dm:note>n</dm:note></dm:device>"
		"<note>n</note></presence>";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lp_str_t doc = {(char *)data, (int)size};
	lp_str_t watcher = LP_STR("sip:bob@example.org");
	lp_str_t in = LP_STR(pidf), out = LP_STR_NULL, again = LP_STR_NULL;
	pxml_rules_result_t r;

	if(size > 1 << 20)
		return 0;
	if(pxml_rules_evaluate(
			   &doc, &watcher, "work", 1590969600 /* 2020-06-01 */, &r)
			== 0) {
		if(pxml_rules_filter(&in, &r, &out) != 0)
			abort(); /* a valid PIDF must always filter */
		/* the output is a PIDF document the filter accepts again */
		if(pxml_rules_filter(&out, &r, &again) != 0)
			abort();
		free(again.s);
		free(out.s);
	} else if(r.error == 0 || r.matched) {
		abort(); /* a failure must say why and grant nothing */
	}
	(void)pxml_sub_state(r.sub_handling);
	pxml_rules_result_free(&r);
	return 0;
}
