/* libFuzzer target: pxml_pidf_check (the PUBLISH body check) and the shared
 * hardened parse on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "pxml_pidf.h"
#include "lp_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why;
	xmlDocPtr doc;

	if(size > 2 * PXML_MAX_BODY)
		return 0;
	pxml_pidf_check((const char *)data, (int)size, &why);
	doc = lp_xml_parse((const char *)data, (int)size, &why);
	xmlFreeDoc(doc);
	return 0;
}
